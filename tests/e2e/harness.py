"""End-to-end harness: starts the real winrmd on loopback and drives it.

Everything is hermetic. Per run (tests/run.py calls Fixture.create once and
destroy at the end, even on failure): test accounts named owt_<suffix>_<role>
with real passwords (chpasswd), the groups owt_users_<suffix> and
owt_admins_<suffix> that the service configuration names (so the machine's
own groups are never touched), and a self-signed certificate made with the
openssl CLI. Per test: a fresh configuration directory, free loopback ports,
and a winrmd started as root in the foreground with stderr in a log file.

Tests are plain functions that raise on failure (check/eq below, or plain
assert). tests/run.py runs each in its own process with a hard timeout and
then calls finish(), which stops every service the test started and fails
the test if a service log holds a sanitizer report or a service died.
"""
import base64
import fcntl
import grp
import http.client
import json
import os
import pwd
import re
import resource
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import termios
import time
import uuid
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SERVICE_ACCOUNT = "winrmd"
USER_PREFIX = "owt_"
GECOS_TAG = "openwinrm-e2e"
ROLES = ("a", "b", "adm", "out")  # two plain users, an admin, an outsider

STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
HTTP_TIMEOUT = 60.0

SANITIZER_PATTERNS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                      "runtime error:", "Sanitizer:DEADLYSIGNAL")

# Wire constants (MS-WSMV 2.2.4, 3.1.4.11 to 3.1.4.14; faults: docs/protocol-notes.md).
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "wsmid": "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd",
    "wmie": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError",
}
SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
A_CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
A_DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
A_COMMAND = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command"
A_SEND = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send"
A_RECEIVE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive"
A_SIGNAL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal"
SIGNAL_TERMINATE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate"
PROTOCOL_VERSION = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"

CODE_TIMED_OUT = 2150858793
CODE_INVALID_SELECTORS = 2150858843
CODE_ACTION_NOT_SUPPORTED = 2150858771
CODE_QUOTA_MAX_SHELLS = 2150859173
CODE_REMOTESHELLS_NOT_ALLOWED = 2150859180

# pywinrm 0.3.0 lets requests read REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from the
# environment, and that overrides server_cert_validation='ignore' (it then
# verifies our self-signed certificate and fails). Loopback never needs a
# proxy either.
for _var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "http_proxy", "https_proxy",
             "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,::1,localhost"

# Words a log line may use for an authentication verdict or a refusal.
SUCCESS_WORDS = r"(success|succeeded|accepted|authenticated|granted|allowed|\bok\b|good)"
FAILURE_WORDS = (r"(fail|denied|deny|refus|reject|invalid|\bbad\b|wrong|unknown|"
                 r"not allowed|not permitted|unauthori[sz]ed|forbidden|\b401\b)")


class Skip(Exception):
    """Raised by a test that cannot run on this machine (run.py: ok # SKIP)."""


class TestFailure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def eq(got, want, what):
    if got != want:
        raise TestFailure("%s: got %s, want %s" % (what, _short(got), _short(want)))


def _short(v, n=600):
    r = repr(v)
    return r if len(r) <= n else r[:n] + "...(%d chars)" % len(r)


def _run(argv, **kw):
    kw.setdefault("check", True)
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(argv, **kw)


def build_dir():
    return os.path.abspath(os.environ.get("OWT_BUILD") or os.path.join(REPO, "build", "san"))


def winrmd_path():
    """The built winrmd, copied once per run into the run directory (0755):
    the test users must be able to execute it by its path (a single-user
    service runs as one, test_acceptor), and a checkout may sit under a
    private directory (a fresh clone in a 0700 mktemp, a home), from which
    test_private_tree starts one. The copy goes away with the run directory."""
    return run_copy("winrmd")


def run_copy(name):
    """build/NAME copied into the run directory, executable by everyone."""
    src = os.path.join(build_dir(), name)
    check(os.access(src, os.X_OK), "%s is missing: build with `make san`" % src)
    bin_dir = os.path.join(fixture().run_dir, "bin")
    exe = os.path.join(bin_dir, name)
    st = os.stat(src)
    try:
        cp = os.stat(exe)
        if (cp.st_size, int(cp.st_mtime)) == (st.st_size, int(st.st_mtime)):
            return exe
    except FileNotFoundError:
        pass
    os.makedirs(bin_dir, mode=0o755, exist_ok=True)
    os.chmod(bin_dir, 0o755)
    shutil.copy2(src, exe + ".tmp")
    os.chmod(exe + ".tmp", 0o755)
    os.replace(exe + ".tmp", exe)  # never overwrite a binary a service may be re-executing
    return exe


# ---------------------------------------------------------------------------
# Processes: found through /proc so that only what we started is killed, by pid.

def _proc_stat(pid):
    """(ppid, starttime) of pid, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("ascii", "replace")
    except OSError:
        return None
    rest = data[data.rfind(")") + 2:].split()
    return int(rest[1]), int(rest[19])


def _all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def descendants(root):
    """[(pid, starttime)] of every live descendant of root."""
    children = {}
    for pid in _all_pids():
        st = _proc_stat(pid)
        if st:
            children.setdefault(st[0], []).append((pid, st[1]))
    out, todo = [], [root]
    while todo:
        for pid, start in children.get(todo.pop(), []):
            out.append((pid, start))
            todo.append(pid)
    return out


def pids_of_uid(uid):
    out = []
    for pid in _all_pids():
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            out.append(pid)
                        break
        except OSError:
            pass
    return out


def kill_exact(pid, start, sig=signal.SIGKILL):
    """Signals pid only if it is still the process that had this start time."""
    st = _proc_stat(pid)
    if st and st[1] == start:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


class Namespaces:
    """New namespaces (unshare's options, e.g. "--mount", "--net") held by
    one process (self.holder, a sleep of seconds, longer than a test
    lives), for a test's own root or machine; nsenter(...) enters them.
    close() ends every process in them, then the holder, which ends them
    and their mounts."""

    def __init__(self, options, seconds):
        self.holder = subprocess.Popen(["unshare"] + list(options) + ["--propagation", "private",
                                        "sleep", str(seconds)], stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while os.readlink("/proc/%d/ns/mnt" % self.holder.pid) == os.readlink("/proc/self/ns/mnt"):
            check(time.monotonic() < deadline and self.holder.poll() is None, "unshare did not start")
            time.sleep(0.05)
        self.mount_ns = os.readlink("/proc/%d/ns/mnt" % self.holder.pid)

    def nsenter(self, kinds):
        """nsenter's argv for the holder's namespaces of these kinds ("mnt", "net", "uts")."""
        return ["nsenter"] + ["--%s=/proc/%d/ns/%s" % ({"mnt": "mount"}.get(k, k), self.holder.pid, k)
                              for k in kinds]

    def close(self):
        for pid in _all_pids():
            st = _proc_stat(pid)  # first: a pid reused after the check below is spared
            try:
                inside = os.readlink("/proc/%d/ns/mnt" % pid) == self.mount_ns
            except OSError:
                continue
            if inside and st and pid != self.holder.pid:
                kill_exact(pid, st[1])
        self.holder.kill()
        self.holder.wait()


# ---------------------------------------------------------------------------
# The per-run fixture: accounts, groups, certificate.

class User:
    def __init__(self, role, name, password):
        self.role, self.name, self.password = role, name, password

    @property
    def pw(self):
        return pwd.getpwnam(self.name)

    @property
    def uid(self):
        return self.pw.pw_uid

    @property
    def gid(self):
        return self.pw.pw_gid

    def groups(self):
        return sorted(set(os.getgrouplist(self.name, self.gid)))

    def __repr__(self):
        return "User(%s)" % self.name


class Fixture:
    def __init__(self, run_dir, suffix, users, users_group, admins_group):
        self.run_dir, self.suffix = run_dir, suffix
        self.users = users
        self.users_group, self.admins_group = users_group, admins_group

    @property
    def cert(self):
        return os.path.join(self.run_dir, "cert.pem")

    @property
    def key(self):
        return os.path.join(self.run_dir, "key.pem")

    def user(self, role):
        return self.users[role]

    def unknown_user_name(self):
        return "%s%s_nobody" % (USER_PREFIX, self.suffix)

    @classmethod
    def create(cls, run_dir):
        """Makes groups, users and the certificate; writes run_dir/fixture.json.
        On a partial failure whatever was made is removed again."""
        try:
            grp.getgrnam(SERVICE_ACCOUNT)
            pwd.getpwnam(SERVICE_ACCOUNT)
        except KeyError:
            raise TestFailure("the service account %r is missing: run scripts/bootstrap build"
                              % SERVICE_ACCOUNT)
        os.chmod(run_dir, 0o755)  # the service account must reach the config dirs
        for _ in range(20):
            suffix = secrets.token_hex(3)[:5]
            if not _name_taken("%s%s_a" % (USER_PREFIX, suffix)):
                break
        fx = cls(run_dir, suffix, {}, "owt_users_" + suffix, "owt_admins_" + suffix)
        try:
            for g in (fx.users_group, fx.admins_group):
                _run(["groupadd", g])
            for role in ROLES:
                name = "%s%s_%s" % (USER_PREFIX, suffix, role)
                password = "P" + secrets.token_urlsafe(15)
                argv = ["useradd", "--create-home", "--shell", "/bin/bash",
                        "--comment", "%s pid=%d" % (GECOS_TAG, os.getpid())]
                if role in ("a", "b"):
                    argv += ["--groups", fx.users_group]
                elif role == "adm":
                    argv += ["--groups", fx.admins_group]
                _run(argv + [name])
                fx.users[role] = User(role, name, password)
                _run(["chpasswd"], input=("%s:%s\n" % (name, password)).encode())
            _make_cert(fx.cert, fx.key)
            fx.save()
        except BaseException:
            fx.destroy()
            raise
        return fx

    def save(self):
        data = {"run_dir": self.run_dir, "suffix": self.suffix,
                "users_group": self.users_group, "admins_group": self.admins_group,
                "users": {r: [u.name, u.password] for r, u in self.users.items()}}
        path = os.path.join(self.run_dir, "fixture.json")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)

    @classmethod
    def load(cls, run_dir):
        with open(os.path.join(run_dir, "fixture.json")) as f:
            d = json.load(f)
        users = {r: User(r, n, p) for r, (n, p) in d["users"].items()}
        return cls(d["run_dir"], d["suffix"], users, d["users_group"], d["admins_group"])

    def group(self, tag, members=()):
        """A group of this run, owt_<tag>_<suffix>, with members (User), made
        now if missing; removed with the run's accounts. Its name."""
        name = "%s%s_%s" % (USER_PREFIX, tag, self.suffix)
        if not _group_exists(name):
            _run(["groupadd", name])
        for u in members:
            _run(["gpasswd", "-a", u.name, name])
        return name

    def destroy(self):
        """Removes the accounts and groups (killing what still runs as them)."""
        errors = []
        for u in self.users.values():
            _remove_user(u.name, errors)
        for g in _run_groups(self.suffix) + [self.users_group, self.admins_group]:
            if _group_exists(g):
                r = subprocess.run(["groupdel", g], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                if r.returncode:
                    errors.append("groupdel %s: %s" % (g, r.stdout.decode(errors="replace").strip()))
        return errors


def _run_groups(suffix):
    """The groups group() made for the run with this suffix."""
    return [g.gr_name for g in grp.getgrall()
            if g.gr_name.startswith(USER_PREFIX) and g.gr_name.endswith("_" + suffix)
            and g.gr_name not in ("owt_users_" + suffix, "owt_admins_" + suffix)]


def _name_taken(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def _remove_user(name, errors):
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    for _ in range(3):
        pids = pids_of_uid(uid)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    r = subprocess.run(["userdel", "--remove", name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # userdel exits 12 when only the mail spool was missing; the account is gone then.
    if _name_taken(name):
        errors.append("userdel %s (%d): %s" % (name, r.returncode,
                                                r.stdout.decode(errors="replace").strip()))


def remove_stale_accounts():
    """Removes owt_ accounts and groups left by earlier runs whose runner died
    (killed by a time limit, say). Only accounts carrying our GECOS tag and
    the pid of a runner that is no longer alive are touched."""
    errors, suffixes = [], set()
    for p in pwd.getpwall():
        if not p.pw_name.startswith(USER_PREFIX) or not p.pw_gecos.startswith(GECOS_TAG):
            continue
        m = re.search(r"pid=(\d+)", p.pw_gecos)
        if m and _proc_stat(int(m.group(1))) is not None:
            continue  # that run is still going
        _remove_user(p.pw_name, errors)
        m = re.match(r"owt_([0-9a-f]+)_", p.pw_name)
        if m:
            suffixes.add(m.group(1))
    for sfx in suffixes:
        for g in _run_groups(sfx) + ["owt_users_" + sfx, "owt_admins_" + sfx]:
            if _group_exists(g):
                subprocess.run(["groupdel", g], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return errors


def _make_cert(cert, key):
    _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3",
          "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost",
          "-keyout", key, "-out", cert])
    os.chmod(cert, 0o644)
    os.chmod(key, 0o600)


_FIXTURE = None


def fixture():
    """The run's fixture: the one tests/run.py made (OWT_RUN_DIR), or, when a
    test module runs alone, one made now and removed at exit."""
    global _FIXTURE
    if _FIXTURE is None:
        run_dir = os.environ.get("OWT_RUN_DIR")
        if run_dir:
            _FIXTURE = Fixture.load(run_dir)
        else:
            import atexit
            run_dir = tempfile.mkdtemp(prefix="owt-run-", dir="/tmp")  # reachable by all
            _FIXTURE = Fixture.create(run_dir)
            atexit.register(lambda: (finish(), _FIXTURE.destroy(), shutil.rmtree(run_dir, True)))
    return _FIXTURE


def user(role):
    return fixture().user(role)


# ---------------------------------------------------------------------------
# Ports and addresses.

def free_port(host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class Listener:
    def __init__(self, transport, host):
        self.transport, self.host = transport, host  # "HTTPS"/"HTTP", "127.0.0.1"/"::1"
        self.port = free_port(host)

    @property
    def https(self):
        return self.transport == "HTTPS"

    @property
    def selector(self):
        return "Listener?Address=IP:%s+Transport=%s" % (self.host, self.transport)

    def url(self, path="/wsman"):
        h = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d%s" % ("https" if self.https else "http", h, self.port, path)


# ---------------------------------------------------------------------------
# The service.

_SERVICES = []


class Service:
    """One winrmd. settings: {"Path/Name": value} added to (or, with None,
    removed from) the defaults: Basic on, the run's groups, and the listeners.
    env: variables for the winrmd process over this one's environment
    (KRB5_CONFIG, KRB5_KTNAME of a krb.Realm, say). debug: start it with
    --debug (as OWT_DEBUG=1 does every service), for a test that waits for
    a debug line. nofile: the descriptor limit (soft and hard) it starts
    with, which its processes cannot raise. terminal: started in a session of its
    own with a pseudo-terminal as controlling terminal and stdin, as from
    an administrator's shell (self.pty, the master side, is closed at
    stop). exe: the winrmd to start, if not the run's copy (winrmd_path).
    wrap: an argv that execs the rest in place (a Namespaces' nsenter)."""

    def __init__(self, settings=None, https=True, http=False, ipv6=False, name=None, env=None,
                 debug=False, pam_service=None, nofile=None, terminal=False, exe=None, wrap=None):
        fx = fixture()
        self.fx = fx
        self.exe = exe
        self.wrap = list(wrap or [])
        self.terminal = terminal
        self.pty = None
        self.env = dict(env or {})
        self.debug = debug
        self.pam_service = pam_service
        self.nofile = nofile
        self.dir = tempfile.mkdtemp(prefix=(name or "svc") + "-", dir=fx.run_dir)
        os.chmod(self.dir, 0o755)
        self.conf_dir = os.path.join(self.dir, "conf")
        os.mkdir(self.conf_dir)
        os.chmod(self.conf_dir, 0o755)
        self.log_path = os.path.join(self.dir, "winrmd.log")
        self.listeners = []
        if https:
            self.listeners.append(Listener("HTTPS", "127.0.0.1"))
        if http:
            self.listeners.append(Listener("HTTP", "127.0.0.1"))
        if ipv6:
            self.listeners.append(Listener("HTTPS", "::1"))
        shutil.copy(fx.cert, os.path.join(self.conf_dir, "cert.pem"))
        shutil.copy(fx.key, os.path.join(self.conf_dir, "key.pem"))
        # Root's alone, as quickconfig writes it: the privileged part reads
        # it and hands it to the network process, which never opens it.
        shutil.chown(os.path.join(self.conf_dir, "key.pem"), user="root", group="root")
        os.chmod(os.path.join(self.conf_dir, "key.pem"), 0o600)
        self.settings = self.default_settings()
        self.update(settings or {})
        self.proc = None
        self.problems = []
        self.stopped = False
        self.exit_expected = False

    def default_settings(self):
        s = {
            "Service/Auth/Basic": "true",
            "Service/RemoteUsersGroup": self.fx.users_group,
            "Service/AdminGroups": self.fx.admins_group,
        }
        for li in self.listeners:
            s[li.selector + "/Port"] = str(li.port)
            if li.https:
                s[li.selector + "/CertificateFile"] = "cert.pem"
                s[li.selector + "/KeyFile"] = "key.pem"
        return s

    def update(self, settings):
        for k, v in settings.items():
            if v is None:
                self.settings.pop(k, None)
            else:
                self.settings[k] = ("true" if v else "false") if isinstance(v, bool) else str(v)
        self.write_config()

    def write_config(self):
        text = "".join("%s = %s\n" % kv for kv in self.settings.items())
        path = os.path.join(self.conf_dir, "winrm.conf")
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.chmod(path + ".tmp", 0o644)
        os.replace(path + ".tmp", path)

    # -- listeners
    def listener(self, transport="HTTPS", host="127.0.0.1"):
        for li in self.listeners:
            if li.transport == transport and li.host == host:
                return li
        raise TestFailure("no %s listener on %s in this service" % (transport, host))

    def url(self, transport="HTTPS", host="127.0.0.1"):
        return self.listener(transport, host).url()

    # -- lifecycle
    def start(self):
        argv = self.wrap + [self.exe or winrmd_path(), "--config-dir", self.conf_dir, "--foreground", "--user", SERVICE_ACCOUNT]
        if self.debug or os.environ.get("OWT_DEBUG"):
            argv.append("--debug")
        if self.pam_service:
            argv += ["--pam-service", self.pam_service]
        log = open(self.log_path, "ab")
        stdin, tty = subprocess.DEVNULL, None
        if self.terminal:
            self.pty, tty = os.openpty()
            stdin = tty

        def preexec():
            if self.nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))
            if tty is not None:
                os.setsid()
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        # Ready as systemd knows it (Type=notify): READY=1 comes once the
        # configuration is in force, the audit file open and the sockets
        # listening, where a connection already succeeds a moment before.
        # A test that reads the notifications itself has the log line
        # winrmd writes just before READY=1 waited for instead.
        own_notify = "NOTIFY_SOCKET" in self.env
        self._log_start = os.path.getsize(self.log_path)
        notify_path = os.path.join(self.dir, "notify")
        if os.path.exists(notify_path):
            os.unlink(notify_path)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            notify.bind(notify_path)
            env = dict(os.environ, NOTIFY_SOCKET=notify_path)
            env.update(self.env)
            self.proc = subprocess.Popen(argv, stdin=stdin, stdout=log, stderr=log,
                                         cwd=self.dir, env=env,
                                         preexec_fn=preexec if self.nofile or tty is not None else None)
            log.close()
            if tty is not None:
                os.close(tty)
            _SERVICES.append(self)
            run_dir = self.fx.run_dir
            with open(os.path.join(run_dir, "services.txt"), "a") as f:
                f.write("%d %d %s\n" % (self.proc.pid, _proc_stat(self.proc.pid)[1], self.log_path))
            self._wait_ready(None if own_notify else notify, time.monotonic() + STARTUP_TIMEOUT)
        finally:
            # Later notices (RELOADING=1, STOPPING=1) find no socket and are dropped.
            notify.close()
            os.unlink(notify_path)
        return self

    def _wait_ready(self, notify, deadline):
        """Until READY=1 arrives on notify or, without it, the log says
        "winrmd started"."""
        if notify:
            notify.settimeout(0.05)
        while True:
            if self.proc.poll() is not None:
                raise TestFailure("winrmd exited during start-up with status %s\n%s"
                                  % (self.proc.returncode, self.log_tail()))
            if notify:
                try:
                    if b"READY=1" in notify.recv(4096).split(b"\n"):
                        return
                except socket.timeout:
                    pass
            else:
                with open(self.log_path, "rb") as f:
                    f.seek(self._log_start)
                    if b"winrmd started" in f.read():
                        return
                time.sleep(0.05)
            if time.monotonic() > deadline:
                raise TestFailure("winrmd was not ready (READY=1) within %.0fs\n%s"
                                  % (STARTUP_TIMEOUT, self.log_tail()))

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def reload(self, settle=1.0):
        check(self.alive(), "winrmd is not running (status %s)" % self.proc.returncode)
        os.kill(self.proc.pid, signal.SIGHUP)
        time.sleep(settle)
        check(self.alive(), "winrmd exited after SIGHUP (status %s)" % self.proc.returncode)

    def wait_exit(self, seconds):
        """For a test that makes winrmd stop on its own: its exit status
        once it has exited within seconds (else a failure); stop() then
        does not count the exit as a death."""
        try:
            status = self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            raise TestFailure("winrmd still runs after %.0fs\n%s" % (seconds, self.log_tail(30)))
        self.exit_expected = True
        return status

    def stop(self):
        """SIGTERM, bounded wait, then SIGKILL of it and of what it started.
        Problems (crash, no clean exit) are collected in self.problems."""
        if self.stopped or self.proc is None:
            return self.problems
        self.stopped = True
        tree = descendants(self.proc.pid)
        status = self.proc.poll()
        if status is not None:
            if not self.exit_expected:
                self.problems.append("winrmd died during the test (status %s)" % _status(status))
        else:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                status = self.proc.wait(STOP_TIMEOUT)
                if status != 0:
                    self.problems.append("winrmd exited with status %s after SIGTERM" % _status(status))
            except subprocess.TimeoutExpired:
                self.problems.append("winrmd did not exit within %.0fs of SIGTERM" % STOP_TIMEOUT)
                self.proc.kill()
                self.proc.wait()
        # Helpers should follow the privileged part out; give them a moment.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and any((_proc_stat(p) or (0, None))[1] == s for p, s in tree):
            time.sleep(0.1)
        for pid, start in tree:
            kill_exact(pid, start)
        if self.pty is not None:
            os.close(self.pty)
            self.pty = None
        return self.problems

    # -- log
    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_mark(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_since(self, mark):
        with open(self.log_path, "rb") as f:
            f.seek(mark)
            return f.read().decode("utf-8", "replace")

    def log_tail(self, n=60):
        lines = self.log_text().splitlines()
        return "--- %s (last %d of %d lines) ---\n%s" % (self.log_path, min(n, len(lines)),
                                                        len(lines), "\n".join(lines[-n:]))

    def wait_for_log(self, pattern, timeout=5.0, since=0, flags=re.I):
        """The first line after byte offset since matching pattern (a regex,
        or a list of regexes that must all match the same line)."""
        pats = [pattern] if isinstance(pattern, str) else list(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_since(since).splitlines():
                if all(re.search(p, line, flags) for p in pats):
                    return line
            if time.monotonic() > deadline:
                raise TestFailure("no log line matching %r within %.0fs\n%s"
                                  % (pats, timeout, self.log_tail(30)))
            time.sleep(0.1)

    def sanitizer_reports(self):
        text = self.log_text()
        return [p for p in SANITIZER_PATTERNS if p in text]


def _status(code):
    if code is not None and code < 0:
        try:
            return "killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return str(code)


def service(settings=None, **kw):
    """Starts a service for the current test (finish() stops it)."""
    return Service(settings, **kw).start()


def finish():
    """Stops every service this process started. Returns (the problems —
    sanitizer reports, crashes — as one message or None, the services that
    message covers)."""
    msgs, reported = [], []
    for svc in _SERVICES:
        problems = list(svc.stop())
        reports = svc.sanitizer_reports()
        if reports:
            problems.append("sanitizer report in the log: %s" % ", ".join(reports))
        if problems:
            msgs.append("%s: %s\n%s" % (svc.dir, "; ".join(problems), svc.log_tail(80)))
            reported.append(svc)
    return ("\n".join(msgs) or None), reported


def log_tails(n=60, exclude=()):
    return "\n".join(svc.log_tail(n) for svc in _SERVICES if svc not in exclude)


# ---------------------------------------------------------------------------
# Raw HTTP(S).

def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def basic(u):
    """The Authorization header value for a User or a (name, password) pair."""
    name, password = (u.name, u.password) if isinstance(u, User) else u
    return "Basic " + base64.b64encode(("%s:%s" % (name, password)).encode()).decode()


class Response:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def header(self, name):
        return self.headers.get(name)

    def header_all(self, name):
        return self.headers.get_all(name) or []

    def xml(self):
        try:
            return ET.fromstring(self.body)
        except ET.ParseError as e:
            raise TestFailure("response body is not XML (%s): %s" % (e, _short(self.body)))

    def fault(self):
        return Fault(self)

    def __repr__(self):
        return "Response(%d, %s)" % (self.status, _short(self.body, 300))


class Fault:
    """The parts of a SOAP fault that clients read (docs/protocol-notes.md, Faults)."""

    def __init__(self, resp):
        root = resp.xml()
        f = root.find("s:Body/s:Fault", NS)
        if f is None:
            raise TestFailure("status %d without a SOAP fault: %s" % (resp.status, _short(resp.body)))
        self.value = _text(f.find("s:Code/s:Value", NS))
        self.subcode = _text(f.find("s:Code/s:Subcode/s:Value", NS))
        self.reason = _text(f.find("s:Reason/s:Text", NS))
        wf = f.find("s:Detail/f:WSManFault", NS)
        self.code = int(wf.get("Code")) if wf is not None and wf.get("Code") else None
        self.message = "".join(wf.itertext()) if wf is not None else ""
        # WMI's own errors: p:MSFT_WmiError (self.wmi_error, {property: text}).
        we = f.find("s:Detail/wmie:MSFT_WmiError", NS)
        self.wmi_error = {el.tag.split("}")[1]: el.text for el in we} if we is not None else None
        if self.wmi_error:
            self.code = int(self.wmi_error["error_Code"])
            self.message = self.wmi_error.get("Message") or ""
        # The subcode's namespace, whatever prefix the server chose.
        sub = f.find("s:Code/s:Subcode/s:Value", NS)
        self.subcode_ns = None
        if sub is not None and self.subcode and ":" in self.subcode:
            self.subcode_ns = _resolve_prefix(resp.body, self.subcode.split(":")[0])
        self.subcode_local = (self.subcode or "").split(":")[-1]

    def key(self):
        return (self.value, self.subcode_ns, self.subcode_local, self.code)

    def __repr__(self):
        return "Fault(%s, %s, %s, %r)" % (self.value, self.subcode, self.code, self.reason)


def _text(el):
    return el.text.strip() if el is not None and el.text else None


def _resolve_prefix(body, prefix):
    """The namespace URI a prefix is bound to anywhere in the document."""
    m = re.search(rb'xmlns:' + re.escape(prefix.encode()) + rb'="([^"]*)"', body)
    return m.group(1).decode() if m else None


def connect(listener, timeout=HTTP_TIMEOUT):
    if listener.https:
        return http.client.HTTPSConnection(listener.host, listener.port, timeout=timeout,
                                           context=tls_context())
    return http.client.HTTPConnection(listener.host, listener.port, timeout=timeout)


def request(target, body=b"", auth=None, method="POST", path="/wsman", headers=None,
            conn=None, timeout=HTTP_TIMEOUT, content_type="application/soap+xml;charset=UTF-8"):
    """One HTTP request. target: a Service (its HTTPS listener) or a Listener.
    auth: a User, a (name, password) pair, a raw header string, or None."""
    li = target.listener() if isinstance(target, Service) else target
    own = conn is None
    c = conn or connect(li, timeout)
    h = {"User-Agent": "openwinrm-e2e", "Host": "%s:%d" % (li.host, li.port)}
    if content_type and method == "POST":
        h["Content-Type"] = content_type
    if auth is not None:
        h["Authorization"] = auth if isinstance(auth, str) else basic(auth)
    h.update(headers or {})
    if isinstance(body, str):
        body = body.encode()
    try:
        c.request(method, path, body=body if method == "POST" else None, headers=h)
        r = c.getresponse()
        data = r.read()
        return Response(r.status, r.reason, r.headers, data)
    finally:
        if own:
            c.close()


# ---------------------------------------------------------------------------
# SOAP envelopes in pywinrm's shape (MS-WSMV 3.1.4.5.2, 3.1.4.11 to 3.1.4.14).

def envelope(action, body="", shell_id=None, options=None, resource=SHELL_URI,
             message_id=None, timeout="PT20S", max_envelope=153600, selectors=None):
    """selectors: [(name, value)] for the w:SelectorSet (shell_id adds ShellId)."""
    message_id = message_id or "uuid:%s" % uuid.uuid4()
    sel = ""
    pairs = ([("ShellId", shell_id)] if shell_id else []) + list(selectors or [])
    if pairs:
        sel = "<w:SelectorSet>%s</w:SelectorSet>" % "".join(
            '<w:Selector Name="%s">%s</w:Selector>' % (_esc(k), _esc(v)) for k, v in pairs)
    opts = ""
    if options:
        opts = "<w:OptionSet>%s</w:OptionSet>" % "".join(
            '<w:Option Name="%s">%s</w:Option>' % (_esc(k), _esc(v)) for k, v in options)
    res = '<w:ResourceURI mustUnderstand="true">%s</w:ResourceURI>' % resource if resource else ""
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:env="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd" '
        'xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" '
        'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" '
        'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
        'xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd" '
        'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" '
        'xmlns:cfg="http://schemas.microsoft.com/wbem/wsman/1/config">'
        '<env:Header>'
        '<a:To>http://windows-host:5985/wsman</a:To>'
        '<a:ReplyTo><a:Address mustUnderstand="true">%s</a:Address></a:ReplyTo>'
        '<w:MaxEnvelopeSize mustUnderstand="true">%d</w:MaxEnvelopeSize>'
        '<a:MessageID>%s</a:MessageID>'
        '<w:Locale mustUnderstand="false" xml:lang="en-US"></w:Locale>'
        '<p:DataLocale mustUnderstand="false" xml:lang="en-US"></p:DataLocale>'
        '<w:OperationTimeout>%s</w:OperationTimeout>'
        '%s'
        '<a:Action mustUnderstand="true">%s</a:Action>'
        '%s%s'
        '</env:Header>'
        '<env:Body>%s</env:Body>'
        '</env:Envelope>'
    ) % (ANONYMOUS, max_envelope, message_id, timeout, res, action, sel, opts, body)
    return xml.encode()


def _esc(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def create_env(**kw):
    return envelope(A_CREATE, '<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams>'
                              '<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>',
                    options=[("WINRS_NOPROFILE", "FALSE"), ("WINRS_CODEPAGE", "437")], **kw)


def command_env(shell_id, command, arguments=None, **kw):
    args = "<rsp:Arguments>%s</rsp:Arguments>" % _esc(arguments) if arguments else ""
    return envelope(A_COMMAND, "<rsp:CommandLine><rsp:Command>%s</rsp:Command>%s</rsp:CommandLine>"
                    % (_esc(command), args), shell_id=shell_id,
                    options=[("WINRS_CONSOLEMODE_STDIN", "TRUE"), ("WINRS_SKIP_CMD_SHELL", "FALSE")],
                    **kw)


def send_env(shell_id, command_id, data, end=True, **kw):
    return envelope(A_SEND, '<rsp:Send><rsp:Stream Name="stdin" CommandId="%s"%s>%s</rsp:Stream></rsp:Send>'
                    % (_esc(command_id), ' End="true"' if end else "", base64.b64encode(data).decode()),
                    shell_id=shell_id, **kw)


def receive_env(shell_id, command_id, **kw):
    return envelope(A_RECEIVE, '<rsp:Receive><rsp:DesiredStream CommandId="%s">stdout stderr'
                               '</rsp:DesiredStream></rsp:Receive>' % _esc(command_id),
                    shell_id=shell_id, **kw)


def signal_env(shell_id, command_id, code=SIGNAL_TERMINATE, **kw):
    return envelope(A_SIGNAL, '<rsp:Signal CommandId="%s"><rsp:Code>%s</rsp:Code></rsp:Signal>'
                    % (_esc(command_id), code), shell_id=shell_id, **kw)


def delete_env(shell_id, **kw):
    return envelope(A_DELETE, "", shell_id=shell_id, **kw)


IDENTIFY_ENV = (
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    b'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
    b'<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>')


def shell_id_of(resp):
    """The ShellId the way pywinrm reads it: the first element with Name="ShellId"."""
    eq(resp.status, 200, "Create status (%s)" % _short(resp.body, 400))
    for el in resp.xml().iter():
        if el.get("Name") == "ShellId" and el.text:
            return el.text.strip()
    raise TestFailure("no ShellId in %s" % _short(resp.body))


def command_id_of(resp):
    eq(resp.status, 200, "Command status (%s)" % _short(resp.body, 400))
    for el in resp.xml().iter():
        if el.tag.endswith("}CommandId") and el.text:
            return el.text.strip()
    raise TestFailure("no CommandId in %s" % _short(resp.body))


class Raw:
    """The shell operations as raw requests, for checking statuses and faults."""

    def __init__(self, target, u, listener=None):
        self.listener = listener or (target.listener() if isinstance(target, Service) else target)
        self.user = u

    def post(self, env, **kw):
        return request(self.listener, env, auth=self.user, **kw)

    def create(self):
        return shell_id_of(self.post(create_env()))

    def command(self, shell_id, command, arguments=None):
        return command_id_of(self.post(command_env(shell_id, command, arguments)))

    def receive_all(self, shell_id, command_id, limit=120.0):
        """Receives until Done: (stdout, stderr, exit code)."""
        out, err = [], []
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            r = self.post(receive_env(shell_id, command_id, timeout="PT5S"))
            if r.status == 500 and r.fault().code == CODE_TIMED_OUT:
                continue
            eq(r.status, 200, "Receive status (%s)" % _short(r.body, 400))
            done, code = False, None
            for el in r.xml().iter():
                if el.tag.endswith("}Stream") and el.text:
                    (out if el.get("Name") == "stdout" else err).append(base64.b64decode(el.text))
                if (el.get("State") or "").endswith("CommandState/Done"):
                    done = True
                if el.tag.endswith("}ExitCode"):
                    code = int(el.text)
            if done:
                return b"".join(out), b"".join(err), code
        raise TestFailure("command did not finish within %.0fs" % limit)

    def delete(self, shell_id):
        r = self.post(delete_env(shell_id))
        eq(r.status, 200, "Delete status (%s)" % _short(r.body, 400))


# ---------------------------------------------------------------------------
# pywinrm 0.3.0.

def protocol(svc, u, transport=None, listener=None, operation_timeout_sec=20, read_timeout_sec=30):
    """A winrm.Protocol with Basic: 'ssl' on HTTPS, 'basic' on HTTP."""
    import winrm
    li = listener or svc.listener()
    return winrm.Protocol(endpoint=li.url(), transport=transport or ("ssl" if li.https else "basic"),
                          username=u.name, password=u.password, server_cert_validation="ignore",
                          operation_timeout_sec=operation_timeout_sec, read_timeout_sec=read_timeout_sec)


def run_cmd(p, command, args=()):
    """What winrm.Session.run_cmd does: (stdout, stderr, exit code)."""
    shell_id = p.open_shell()
    command_id = p.run_command(shell_id, command, args)
    out, err, code = p.get_command_output(shell_id, command_id)
    p.cleanup_command(shell_id, command_id)
    p.close_shell(shell_id)
    return out, err, code


def send_stdin(p, shell_id, command_id, data, end=True):
    """pywinrm 0.3.0 has no Send: build rsp:Send as its other requests are
    built and post it through Protocol.send_message."""
    import xmltodict
    req = {"env:Envelope": p._get_soap_header(resource_uri=SHELL_URI, action=A_SEND, shell_id=shell_id)}
    stream = {"@Name": "stdin", "@CommandId": command_id, "#text": base64.b64encode(data).decode()}
    if end:
        stream["@End"] = "true"
    req["env:Envelope"].setdefault("env:Body", {})["rsp:Send"] = {"rsp:Stream": stream}
    return p.send_message(xmltodict.unparse(req))


def assert_serving(svc, u=None):
    """The service still runs commands: a good request succeeds."""
    u = u or user("a")
    check(svc.alive(), "winrmd is no longer running (status %s)" % _status(svc.proc.poll()))
    out, err, code = run_cmd(protocol(svc, u), "echo still-serving")
    eq((out, code), (b"still-serving\n", 0), "a good request after the refusal")


def wsman_error_code(exc):
    """The WSManFault Code from a pywinrm WinRMError message, or None."""
    m = re.search(r"'wsmanfault_code': '(\d+)'", str(exc))
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------------------
# masterzen/winrm (Go).

GOCLIENT_SRC = os.path.join(HERE, "goclient")


def goclient():
    """Builds tests/e2e/goclient offline against the Debian-packaged
    masterzen/winrm (GOPATH mode) into BUILD/e2e/, once per change."""
    out_dir = os.path.join(build_dir(), "e2e")
    exe = os.path.join(out_dir, "goclient")
    src = os.path.join(GOCLIENT_SRC, "main.go")
    if os.path.exists(exe) and os.path.getmtime(exe) >= os.path.getmtime(src):
        return exe
    os.makedirs(out_dir, exist_ok=True)
    env = dict(os.environ, GOPATH="/usr/share/gocode", GO111MODULE="off", GOFLAGS="",
               GOPROXY="off", GOCACHE=os.path.join(out_dir, "gocache"), CGO_ENABLED="0")
    r = subprocess.run(["go", "build", "-o", exe + ".tmp", "."], cwd=GOCLIENT_SRC, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(r.returncode == 0, "go build of the Go client failed:\n" + r.stdout.decode(errors="replace"))
    os.replace(exe + ".tmp", exe)
    return exe


def run_goclient(svc, u, command, stdin=None, listener=None, timeout=120, ntlm=False, cert=None):
    """Runs the Go client (Basic, NTLM through go-ntlmssp, or with cert, a
    (certificate, key) pair of PEM paths, certificate authentication):
    (stdout, stderr, exit status)."""
    li = listener or svc.listener()
    argv = [goclient(), "-host", li.host, "-port", str(li.port), "-https=%s" % str(li.https).lower()]
    if cert:
        argv += ["-cert", cert[0], "-key", cert[1]]
    else:
        argv += ["-user", u.name, "-ntlm=%s" % str(ntlm).lower()]
    if stdin is not None:
        argv.append("-stdin")
    argv.append(command)
    env = dict(os.environ, GOCLIENT_PASSWORD=u.password if u else "")
    r = subprocess.run(argv, input=stdin if stdin is not None else b"", stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=timeout)
    return r.stdout, r.stderr, r.returncode


def host_pids(u):
    """Pids of the per-user host processes (winrmd --role=host) running as u."""
    r = subprocess.run(["ps", "-o", "pid=", "-o", "args=", "-u", str(u.uid)],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = []
    for line in r.stdout.decode(errors="replace").splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and re.search(r"--role[= ]host\b", parts[1]):
            out.append(int(parts[0]))
    return out


# ---------------------------------------------------------------------------
# The project's own clients (winrs, winrm).

def client_path(name):
    exe = os.path.join(build_dir(), name)
    check(os.access(exe, os.X_OK), "%s is missing: build with `make san`" % exe)
    return exe


def client_config(settings=None):
    """A client configuration directory: winrm.conf with these
    "Path/Name": value settings over Windows' defaults."""
    d = tempfile.mkdtemp(prefix="client-", dir=fixture().run_dir)
    os.chmod(d, 0o755)
    with open(os.path.join(d, "winrm.conf"), "w") as f:
        for k, v in (settings or {}).items():
            f.write("%s = %s\n" % (k, v))
    return d


PAM_TEST_MODULE = os.path.join(HERE, "pam_module", "pam_owt_lowercase.c")


def pam_test_module():
    """tests/e2e/pam_module/pam_owt_lowercase.c built into the run's
    directory (once per run): the path of the module."""
    module = os.path.join(fixture().run_dir, "pam_owt_lowercase.so")
    if not os.path.exists(module):
        r = subprocess.run(["cc", "-shared", "-fPIC", "-Wall", "-Werror", "-o", module + ".tmp",
                            PAM_TEST_MODULE, "-lpam"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=120)
        eq(r.returncode, 0, "building %s: %s" % (PAM_TEST_MODULE, r.stdout.decode(errors="replace")))
        os.replace(module + ".tmp", module)
    return module


def ntlm_password(svc, u):
    """An NTLM hash entry for u in svc's configuration (`winrm user set`),
    before svc starts or while it runs (gss-ntlmssp reads the file anew)."""
    r = subprocess.run([client_path("winrm"), "user", "set", u.name, "-p:" + u.password,
                        "--config-dir", svc.conf_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    eq(r.returncode, 0, "winrm user set %s: %s" % (u.name, r.stderr.decode(errors="replace")))


def winrs(args, config_dir=None, input=b"", timeout=120, env=None):
    """Runs build/winrs with --config-dir (a fresh default one if None) and
    env over this environment; returns the CompletedProcess (stdout and
    stderr as bytes)."""
    argv = [client_path("winrs"), "--config-dir", config_dir or client_config()] + list(args)
    r = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       env=dict(os.environ, **(env or {})))
    for pat in SANITIZER_PATTERNS:
        check(pat.encode() not in r.stderr, "winrs: sanitizer report:\n%s" % r.stderr.decode(errors="replace"))
    return r


def winrs_basic(svc, u=None, https=True):
    """The switches that reach svc with Basic as u (HTTPS, certificate check off)."""
    u = u or user("a")
    li = svc.listener("HTTPS" if https else "HTTP")
    sw = ["-r:%s" % li.url(), "-u:%s" % u.name, "-p:%s" % u.password, "-a:Basic"]
    return sw + (["-skipCAcheck"] if https else ["-unencrypted"])


def process_ended(pid):
    """Whether pid has exited: gone, or a zombie its parent has yet to reap."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def wait_ended(pid, seconds):
    """Whether pid has exited (process_ended) within seconds."""
    deadline = time.monotonic() + seconds
    while not process_ended(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def pids_named(uid, comm):
    """uid's processes whose name (/proc/PID/comm) is comm."""
    out = []
    for pid in pids_of_uid(uid):
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip() == comm:
                    out.append(pid)
        except OSError:
            pass
    return out


def wait_until(predicate, seconds):
    """Whether predicate() became true within seconds (asked every 0.1 s)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def wait_gone(pid, seconds=5.0):
    """True once pid no longer exists (bounded by seconds)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False
