"""The Debian packages (debian/, scripts/build-packages): the version agrees
with the sources', lintian reports no error (and docs/design.md lists each
warning it gives), systemd-analyze verify accepts the unit, and in a fresh
Debian 12 root they install with apt, `winrm quickconfig` sets the service
up, the packaged winrmd serves pywinrm, an upgrade keeps the configuration
and a purge removes it with the service account.

The fresh root: a debootstrap (minbase) of bookworm, made once into
/var/cache/openwinrm-tests (about a minute) and copied for each run. It is
entered through a mount and a network namespace of its own (unshare), so
that nothing of it reaches the host: /proc and apt's download cache are
mounted there alone, and quickconfig's listeners on every address (5985,
5986) are on that namespace's loopback only. pywinrm is the host's
/usr/bin/python3, run in that network namespace. There is no systemd as
PID 1 in it: winrmd is started as the unit's ExecStart starts it."""
import contextlib
import fcntl
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import harness as h

CACHE = "/var/cache/openwinrm-tests"
BASE = os.path.join(CACHE, "bookworm-minbase")
BASE_DONE = os.path.join(BASE, ".openwinrm-complete")
APT_ARCHIVES = os.path.join(CACHE, "apt-archives")
CACHE_LOCK = os.path.join(CACHE, "lock")
LOCK_WAIT_SECONDS = 60
MIRROR = "http://deb.debian.org/debian"
PACKAGES = os.path.join(h.REPO, "build", "packages")
PACKAGE_NAMES = ("openwinrm", "openwinrm-clients", "libwinrm0", "libwinrm-dev", "libpsrpclient")
HTTPS_PORT = 15986  # the port the test moves quickconfig's HTTPS listener to
USER, PASSWORD = "owtpkg", "Pkg-test-password-1"
WAIT_SECONDS = 15
HOLD_SECONDS = 300  # the namespaces' longest life, past the runner's limit for a test
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}


def run(argv, timeout=120, check=True, **kw):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       timeout=timeout, **kw)
    text = r.stdout.decode(errors="replace")
    if check:
        h.eq(r.returncode, 0, "%s:\n%s" % (" ".join(argv), text[-4000:]))
    return r.returncode, text


def version_of_sources():
    with open(os.path.join(h.REPO, "src", "common", "version.h")) as f:
        return re.search(r'#define OPENWINRM_VERSION "([^"]+)"', f.read()).group(1)


def build_packages():
    """The .deb files by package name, built by scripts/build-packages
    (which rebuilds only when the sources changed since)."""
    run(["nice", "-n", "5", os.path.join(h.REPO, "scripts", "build-packages"), PACKAGES], timeout=170)
    debs = {}
    for fn in os.listdir(PACKAGES):
        m = re.match(r"([a-z0-9.+-]+)_([^_]+)_[a-z0-9]+\.deb$", fn)
        if m and m.group(1) in PACKAGE_NAMES:
            debs[m.group(1)] = os.path.join(PACKAGES, fn)
    h.eq(sorted(debs), sorted(PACKAGE_NAMES), "the packages built in %s" % PACKAGES)
    return debs


def test_package_version_is_the_sources():
    _, version = run(["dpkg-parsechangelog", "-l", os.path.join(h.REPO, "debian", "changelog"), "-S", "Version"])
    h.eq(version.strip().rsplit("-", 1)[0], version_of_sources(),
         "debian/changelog's upstream version and src/common/version.h's OPENWINRM_VERSION")


def test_packages_build_and_lintian_reports_no_error():
    build_packages()
    with open(os.path.join(PACKAGES, "lintian.txt")) as f:
        report = f.read()
    h.check(not re.search(r"^E: ", report, re.M), "lintian errors:\n" + report)
    with open(os.path.join(h.REPO, "docs", "design.md")) as f:
        design = f.read()
    for tag in sorted(set(re.findall(r"^W: \S+: (\S+)", report, re.M))):
        h.check("`%s`" % tag in design, "lintian's warning %s is not explained in docs/design.md" % tag)


def test_systemd_analyze_verify_accepts_the_unit():
    debs = build_packages()
    tree = tempfile.mkdtemp(prefix="unit-", dir=h.fixture().run_dir)
    for name in ("openwinrm", "openwinrm-clients"):
        run(["dpkg-deb", "-x", debs[name], tree])
    with open(os.path.join(tree, "lib/systemd/system/winrmd.service")) as f:
        unit = f.read()
    h.check("ExecStart=/usr/sbin/winrmd --foreground" in unit, "the unit's ExecStart:\n" + unit)
    # verify checks that the commands and the man pages exist: here they
    # are the unpacked package's, not (absent) host files.
    check_dir = os.path.join(tree, "check")
    os.mkdir(check_dir)
    with open(os.path.join(check_dir, "winrmd.service"), "w") as f:
        f.write(unit.replace("/usr/sbin/winrmd", os.path.join(tree, "usr/sbin/winrmd")))
    status, text = run(["systemd-analyze", "verify", os.path.join(check_dir, "winrmd.service")], check=False,
                       env=dict(os.environ, MANPATH=os.path.join(tree, "usr/share/man")))
    h.eq((status, text), (0, ""), "systemd-analyze verify of the packaged unit")


class FreshRoot:
    """A copy of the cached bookworm root, entered through namespaces of
    its own (self.namespaces)."""

    def __init__(self):
        self.dir = None
        self.namespaces = None

    def open(self):
        make_base()
        self.dir = tempfile.mkdtemp(prefix="root-", dir="/var/tmp")
        run(["cp", "-a", BASE + "/.", self.dir], timeout=120)
        shutil.copy("/etc/resolv.conf", os.path.join(self.dir, "etc/resolv.conf"))
        self.namespaces = h.Namespaces(["--mount", "--net"], HOLD_SECONDS)
        self.host(["mount", "-t", "proc", "proc", os.path.join(self.dir, "proc")], net=False)
        os.makedirs(APT_ARCHIVES, exist_ok=True)
        self.host(["mount", "--bind", APT_ARCHIVES, os.path.join(self.dir, "var/cache/apt/archives")], net=False)
        self.host(["ip", "link", "set", "lo", "up"])

    def nsenter(self, net):
        return self.namespaces.nsenter(["mnt", "net"] if net else ["mnt"])

    def host(self, argv, net=True, **kw):
        """A host program in the namespaces (net: in the root's network
        namespace, else in the host's, as apt needs for the mirror)."""
        return run(self.nsenter(net) + argv, env=dict(os.environ, **ENV), **kw)

    def chroot(self, argv, net=True, **kw):
        return self.host(["chroot", self.dir] + argv, net=net, **kw)

    def start_winrmd(self, log_path):
        """winrmd as the unit's ExecStart starts it: in the foreground."""
        log = open(log_path, "ab")
        proc = subprocess.Popen(self.nsenter(True) + ["chroot", self.dir, "/usr/sbin/winrmd", "--foreground"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=ENV)
        log.close()
        return proc

    def close(self):
        """Kills every process in the namespaces (quickconfig's winrmd left
        the test's process group), then the holder, which ends them."""
        if self.namespaces:
            self.namespaces.close()
        # The mounts were the namespace's: gone with it, so this removes
        # the copy alone.
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def cache_locked():
    """The cache to ourselves: another run (another checkout's suite on
    this machine) may be making the base or holding apt's download lock
    in the shared archive directory."""
    os.makedirs(CACHE, exist_ok=True)
    with open(CACHE_LOCK, "w") as f:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                h.check(time.monotonic() < deadline, "%s stayed locked for %ds" % (CACHE_LOCK, LOCK_WAIT_SECONDS))
                time.sleep(0.5)
        yield


def make_base():
    """debootstrap's bookworm, once: a directory that is complete only with
    its marker (an interrupted debootstrap is started again)."""
    if os.path.exists(BASE_DONE):
        return
    # A debootstrap that failed may have left its /proc mounted there.
    subprocess.run(["umount", "-R", os.path.join(BASE, "proc")], stderr=subprocess.DEVNULL)
    run(["rm", "-rf", "--one-file-system", BASE])
    run(["nice", "-n", "5", "debootstrap", "--variant=minbase", "bookworm", BASE, MIRROR], timeout=170)
    open(BASE_DONE, "w").close()


def serve_pywinrm(root, log_path):
    """Starts the packaged winrmd, runs `id -un` with pywinrm over HTTPS
    from the host's python in the root's network namespace, stops it."""
    proc = root.start_winrmd(log_path)
    script = """
import sys, time, winrm
deadline = time.monotonic() + %d
while True:
    try:
        r = winrm.Session('https://127.0.0.1:%d/wsman', auth=(%r, %r), transport='basic',
                          server_cert_validation='ignore').run_cmd('id', ['-un'])
        break
    except Exception as e:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.2)
sys.stdout.write('%%d %%s' %% (r.status_code, r.std_out.decode()))
""" % (WAIT_SECONDS, HTTPS_PORT, USER, PASSWORD)
    try:
        status, text = root.host(["/usr/bin/python3", "-c", script], check=False, timeout=60)
    finally:
        proc.send_signal(signal.SIGTERM)
        exit_status = proc.wait(WAIT_SECONDS)
    with open(log_path, errors="replace") as f:
        log = f.read()
    h.eq((status, text), (0, "0 %s\n" % USER), "pywinrm's `id -un` against the packaged winrmd; its log:\n" + log)
    h.check("winrmd started" in log, "winrmd's log:\n" + log)
    h.eq(exit_status, 0, "winrmd's exit status at SIGTERM")


def second_version(deb, work):
    """deb repacked as the next Debian revision, for an upgrade."""
    tree = os.path.join(work, "v2")
    run(["dpkg-deb", "-R", deb, tree])
    control = os.path.join(tree, "DEBIAN", "control")
    with open(control) as f:
        text = f.read()
    version = re.search(r"^Version: (\S+)-(\d+)$", text, re.M)
    new = "%s-%d" % (version.group(1), int(version.group(2)) + 1)
    with open(control, "w") as f:
        f.write(text[:version.start()] + "Version: " + new + text[version.end():])
    out = os.path.join(work, "openwinrm_%s.deb" % new)
    run(["dpkg-deb", "--root-owner-group", "-b", tree, out])
    return out, new


def test_install_quickconfig_serve_upgrade_purge():
    debs = build_packages()
    with cache_locked():
        root = FreshRoot()
        try:
            root.open()
            install_quickconfig_serve_upgrade_purge(root, debs)
        finally:
            root.close()


@contextlib.contextmanager
def systemd_stand_in(root):
    """The root as quickconfig sees a machine that systemd runs
    (/run/systemd/system, sd_booted's test) with a systemctl that records
    its arguments and, for `enable --now`, starts winrmd as systemd would
    (daemonized here, as there is no systemd to supervise it). Yields the
    arguments of each call so far."""
    marker = os.path.join(root.dir, "run/systemd/system")
    fake = os.path.join(root.dir, "usr/bin/systemctl")
    log = os.path.join(root.dir, "tmp/systemctl.log")
    h.check(not os.path.exists(fake), "the root has a systemctl of its own")
    os.makedirs(marker)
    with open(fake, "w") as f:
        f.write('#!/bin/sh\necho "$*" >>/tmp/systemctl.log\n'
                'if [ "$*" = "enable --now winrmd.service" ]; then exec /usr/sbin/winrmd; fi\n')
    os.chmod(fake, 0o755)

    def calls():
        with open(log) as f:
            return f.read().splitlines()
    try:
        yield calls
    finally:
        os.unlink(fake)
        shutil.rmtree(os.path.join(root.dir, "run/systemd"))


def install_quickconfig_serve_upgrade_purge(root, debs):
    work = tempfile.mkdtemp(prefix="pkg-", dir=h.fixture().run_dir)
    os.chmod(work, 0o755)
    in_root = os.path.join(root.dir, "tmp", "debs")
    os.mkdir(in_root)
    for deb in debs.values():
        shutil.copy(deb, in_root)
    root.chroot(["apt-get", "-q", "update"], net=False)
    root.chroot(["apt-get", "install", "-y", "-q", "--no-install-recommends"] +
                ["/tmp/debs/" + os.path.basename(d) for d in debs.values()], net=False, timeout=170)
    h.check(not os.path.exists(os.path.join(root.dir, "etc/winrm/winrm.conf")),
            "a configuration before quickconfig")
    root.chroot(["getent", "passwd", "winrmd"])
    root.chroot(["getent", "group", "winrm-users"])

    with systemd_stand_in(root) as calls:
        _, text = root.chroot(["winrm", "quickconfig", "-transport:https", "-quiet"], timeout=60)
        h.check("WinRM has been updated for remote management." in text, "quickconfig said:\n" + text)
        h.check("systemctl enable --now winrmd.service" in text, "quickconfig's plan:\n" + text)
        h.eq(calls(), ["enable --now winrmd.service"], "what quickconfig asked systemctl")
    with open(os.path.join(root.dir, "etc/winrm/winrmd.pid")) as f:
        pid = int(f.read())
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + WAIT_SECONDS
    while os.path.exists("/proc/%d" % pid):
        h.check(time.monotonic() < deadline, "quickconfig's winrmd did not stop")
        time.sleep(0.05)

    listener = "winrm/config/Listener?Address=*+Transport=HTTPS"
    root.chroot(["winrm", "set", listener, '@{Port="%d"}' % HTTPS_PORT])
    root.chroot(["winrm", "set", "winrm/config/service/auth", '@{Basic="true"}'])
    root.chroot(["useradd", "--create-home", "--shell", "/bin/bash", "--groups", "winrm-users", USER])
    subprocess.run(root.nsenter(False) + ["chroot", root.dir, "chpasswd"], check=True, timeout=30,
                   input=("%s:%s\n" % (USER, PASSWORD)).encode(), env=ENV)
    serve_pywinrm(root, os.path.join(work, "winrmd-1.log"))

    # An upgrade keeps what was set.
    root.chroot(["winrm", "set", "winrm/config/winrs", '@{MaxShellsPerUser="7"}'])
    v2, new_version = second_version(debs["openwinrm"], work)
    shutil.copy(v2, in_root)
    root.chroot(["dpkg", "-i", "/tmp/debs/" + os.path.basename(v2)], net=False)
    _, version = root.chroot(["dpkg-query", "-W", "-f=${Version}", "openwinrm"])
    h.eq(version, new_version, "openwinrm's version after the upgrade")
    _, text = root.chroot(["winrm", "get", "winrm/config/winrs"])
    h.check("MaxShellsPerUser = 7" in text, "after the upgrade:\n" + text)
    serve_pywinrm(root, os.path.join(work, "winrmd-2.log"))

    # A purge leaves no configuration and no service account; the
    # remote users' group stays while it has members.
    root.chroot(["apt-get", "purge", "-y", "-q", "openwinrm"], net=False)
    left = os.listdir(os.path.join(root.dir, "etc/winrm")) if os.path.exists(
        os.path.join(root.dir, "etc/winrm")) else None
    h.eq(left, None, "/etc/winrm after the purge")
    for db, name in (("passwd", "winrmd"), ("group", "winrmd")):
        status, text = root.chroot(["getent", db, name], check=False)
        h.eq(status, 2, "getent %s %s after the purge: %s" % (db, name, text))
    _, text = root.chroot(["getent", "group", "winrm-users"])
    h.check(USER in text, "winrm-users, with its member, after the purge: " + text)
