"""A real MIT Kerberos KDC for one test, on loopback.

    with krb.Realm() as realm:
        realm.add_user(a.name, a.password)
        realm.add_service("HTTP/localhost", keytab)   # root-only keytab
        env = realm.kinit(a.name, a.password, ccache)  # {KRB5_CONFIG, KRB5CCNAME}
        svc = h.service({...}, env=dict(realm.env(), KRB5_KTNAME=keytab))
    or, for the common case (the service answering as HTTP/localhost, a
    user with a fresh ticket):
        svc = realm.http_service(https=False, http=True)
        env = realm.login(a.name)

Everything lives in a temporary directory under the run directory: its own
krb5.conf (a random realm OWT<5 letters>.TEST, KDC 127.0.0.1:<free port>,
no DNS, TCP only, 5 s clock skew so that expiry tests wait seconds, not
minutes), kdc.conf, and, in a root-only subdirectory, the database, stash
and ACL. Every tool runs with KRB5_CONFIG and KRB5_KDC_PROFILE pointing
there: the machine's /etc/krb5.conf and default credential caches are never
read or written. krb5kdc runs in the foreground as a child; stop() (or
leaving the with block) ends it, and it is listed in the run's services.txt
so that tests/run.py kills it should the test die first."""
import atexit
import os
import secrets
import signal
import socket
import string
import subprocess
import tempfile
import time

import harness as h

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
TOOL_TIMEOUT = 30.0
ENCTYPES = "aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal"


def localhost(url):
    """url with localhost for 127.0.0.1: Kerberos cannot target an IP address."""
    return url.replace("127.0.0.1", "localhost")


class Realm:
    def __init__(self):
        fx = h.fixture()
        self.realm = "OWT%s.TEST" % "".join(secrets.choice(string.ascii_uppercase) for _ in range(5))
        self.dir = tempfile.mkdtemp(prefix="krb-", dir=fx.run_dir)
        # krb5.conf must be readable by the service's unprivileged processes;
        # the database and its master key only by root.
        os.chmod(self.dir, 0o755)
        self.db_dir = os.path.join(self.dir, "kdc")
        os.mkdir(self.db_dir, 0o700)
        self.krb5_conf = os.path.join(self.dir, "krb5.conf")
        self.kdc_conf = os.path.join(self.db_dir, "kdc.conf")
        self.kdc_log = os.path.join(self.dir, "kdc.log")
        self.port = h.free_port()
        self.proc = None
        self.http_keytab = os.path.join(self.dir, "http.keytab")
        self._passwords = {}
        self._logins = 0
        self._write_config()
        self._run(["kdb5_util", "create", "-r", self.realm, "-s", "-P", secrets.token_urlsafe(24)])
        self._start()
        atexit.register(self.stop)  # a module run alone; run.py's child uses services.txt

    # -- configuration
    def _write_config(self):
        with open(self.krb5_conf, "w") as f:
            f.write("[libdefaults]\n"
                    "    default_realm = %(r)s\n"
                    "    dns_lookup_kdc = false\n"
                    "    dns_lookup_realm = false\n"
                    "    rdns = false\n"
                    "    dns_canonicalize_hostname = false\n"
                    "    udp_preference_limit = 1\n"
                    "    clockskew = 5\n"
                    "    forwardable = true\n"
                    "    default_ccache_name = FILE:%(d)s/ccache\n"
                    "[realms]\n"
                    "    %(r)s = {\n"
                    "        kdc = 127.0.0.1:%(p)d\n"
                    "    }\n"
                    "[domain_realm]\n"
                    "    localhost = %(r)s\n"
                    "    127.0.0.1 = %(r)s\n"
                    % {"r": self.realm, "p": self.port, "d": self.dir})
        os.chmod(self.krb5_conf, 0o644)
        with open(self.kdc_conf, "w") as f:
            f.write("[kdcdefaults]\n"
                    "    kdc_listen = 127.0.0.1:%(p)d\n"
                    "    kdc_tcp_listen = 127.0.0.1:%(p)d\n"
                    "[realms]\n"
                    "    %(r)s = {\n"
                    "        database_name = %(db)s/principal\n"
                    "        key_stash_file = %(db)s/stash\n"
                    "        acl_file = %(db)s/kadm5.acl\n"
                    "        kdc_listen = 127.0.0.1:%(p)d\n"
                    "        kdc_tcp_listen = 127.0.0.1:%(p)d\n"
                    "        max_life = 10h\n"
                    "        max_renewable_life = 7d\n"
                    "        master_key_type = aes256-cts-hmac-sha1-96\n"
                    "        supported_enctypes = %(e)s\n"
                    "    }\n"
                    "[logging]\n"
                    "    kdc = FILE:%(log)s\n"
                    "    admin_server = FILE:%(log)s\n"
                    "    default = FILE:%(log)s\n"
                    % {"r": self.realm, "p": self.port, "db": self.db_dir, "e": ENCTYPES,
                       "log": self.kdc_log})
        with open(os.path.join(self.db_dir, "kadm5.acl"), "w") as f:
            f.write("*/admin@%s *\n" % self.realm)

    def env(self):
        """What a Kerberos client (or the service) needs to use this realm."""
        return {"KRB5_CONFIG": self.krb5_conf}

    def _admin_env(self):
        return dict(os.environ, KRB5_CONFIG=self.krb5_conf, KRB5_KDC_PROFILE=self.kdc_conf,
                    KRB5CCNAME="FILE:" + os.path.join(self.dir, "ccache"))

    def _run(self, argv, input=None, env=None):
        r = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env or self._admin_env(), timeout=TOOL_TIMEOUT)
        h.check(r.returncode == 0, "%s failed (%d): %s%s" % (" ".join(argv[:2]), r.returncode,
                                                             r.stdout.decode(errors="replace"),
                                                             r.stderr.decode(errors="replace")))
        return r

    def principal(self, name):
        return name if "@" in name else "%s@%s" % (name, self.realm)

    def _kadmin(self, query):
        # kadmin.local exits 0 even when the query fails; its errors go to stderr.
        r = self._run(["kadmin.local", "-r", self.realm, "-q", query])
        err = r.stderr.decode(errors="replace")
        h.check("error" not in err.lower() and "while" not in err, "kadmin.local %r: %s" % (query, err))
        return r

    # -- the KDC
    def _start(self):
        log = open(self.kdc_log, "ab")
        self.proc = subprocess.Popen(["krb5kdc", "-n", "-r", self.realm], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log, env=self._admin_env())
        log.close()
        with open(os.path.join(h.fixture().run_dir, "services.txt"), "a") as f:
            f.write("%d %d %s\n" % (self.proc.pid, h._proc_stat(self.proc.pid)[1], self.kdc_log))
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise h.TestFailure("krb5kdc exited during start-up (status %s)\n%s"
                                    % (self.proc.returncode, self.log_tail()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise h.TestFailure("krb5kdc did not listen on 127.0.0.1:%d within %.0fs\n%s"
                                        % (self.port, START_TIMEOUT, self.log_tail()))
                time.sleep(0.05)

    def stop(self):
        """SIGTERM, a bounded wait, then SIGKILL. Safe to call twice."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def log_tail(self, n=40):
        try:
            with open(self.kdc_log, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            lines = []
        return "--- %s ---\n%s" % (self.kdc_log, "\n".join(lines[-n:]))

    # -- principals
    def add_user(self, name, password):
        """A principal name@REALM with this password (no blanks or quotes:
        kadmin.local splits its query itself). Pre-authentication is
        required, as Active Directory requires it: a wrong password fails
        at the KDC."""
        h.check(password and not any(c.isspace() or c in "\"'\\" for c in password),
                "add_user: a password without blanks or quotes, please")
        self._kadmin("addprinc +requires_preauth -pw %s %s" % (password, self.principal(name)))

    def add_service(self, principal, keytab_path):
        """A principal with a random key, exported to keytab_path (created
        or extended), readable by root only, as the service's privileged
        part reads it."""
        p = self.principal(principal)
        self._kadmin("addprinc -randkey %s" % p)
        self._kadmin("ktadd -k %s %s" % (keytab_path, p))
        h.check(os.path.getsize(keytab_path) > 0, "ktadd wrote no keytab to %s" % keytab_path)
        os.chown(keytab_path, 0, 0)
        os.chmod(keytab_path, 0o600)
        return p

    def http_service(self, https=False, http=True, settings=None, **kw):
        """winrmd started with self.http_keytab (Service/Auth/Keytab), made
        with the key of HTTP/localhost on first use, and answering to that
        name (ServicePrincipalNames), with settings over those. kw go to
        harness.Service."""
        if not os.path.exists(self.http_keytab):
            self.add_service("HTTP/localhost", self.http_keytab)
        svc = h.Service(dict({"Service/Auth/Keytab": self.http_keytab,
                              "Service/Auth/ServicePrincipalNames": "HTTP/localhost"},
                             **(settings or {})),
                        https=https, http=http, env=self.env(), **kw).start()
        return svc

    def login(self, name, lifetime=None):
        """A fresh ticket cache for name (a principal with a random password,
        made on first use); the environment that uses it."""
        if name not in self._passwords:
            self._passwords[name] = "K" + secrets.token_urlsafe(12)
            self.add_user(name, self._passwords[name])
        self._logins += 1
        return self.kinit(name, self._passwords[name],
                          os.path.join(self.dir, "cc-%d-%s" % (self._logins, name)), lifetime=lifetime)

    def kinit(self, name, password, ccache_path, lifetime=None, forwardable=True):
        """Gets name's TGT into ccache_path; the environment that uses it.
        lifetime: seconds, or a kinit duration such as "10s"."""
        argv = ["kinit", "-c", "FILE:" + ccache_path, "-f" if forwardable else "-F"]
        if lifetime is not None:
            argv += ["-l", "%ds" % lifetime if isinstance(lifetime, int) else str(lifetime)]
        env = dict(self.env(), KRB5CCNAME="FILE:" + ccache_path)
        # kinit reads the password from standard input when it is not a terminal.
        self._run(argv + [self.principal(name)], input=(password + "\n").encode(),
                  env=dict(os.environ, **env))
        return env
