#!/usr/bin/python3
"""Negotiate (NTLM), Kerberos, certificates and CredSSP against their peers,
in one run, on loopback.

One winrmd (the optimized build) with an HTTP and an HTTPS listener on
127.0.0.1 accepting Basic (PAM), Negotiate (NTLMv2 through gss-ntlmssp and
the service's hash file DIR/ntlm_users, written by `winrm user set`),
Kerberos (a real MIT KDC on 127.0.0.1, tests/e2e/krb.py, and the service's
keytab for HTTP/localhost), client certificates (a test CA and a
certmapping entry) and CredSSP (NTLM inside, from the same hash file; over
HTTP with the certificate the service makes in memory, RSA 2048); one
temporary user (tests/e2e/harness.py's fixture) known to PAM, to the hash
file and to the KDC. Then:

  1. cost per new connection: the wall time of one client process that opens
     one TCP connection, authenticates and sends one request, median of RUNS
     runs per row, the rows interleaved (so drift in the machine's load hits
     every row alike): `winrm identify` anonymous over HTTP and over HTTPS
     (the TLS-only peer), with Basic over HTTPS (PAM each time, and from the
     service's verification cache), with Negotiate/NTLM over HTTP (sealed),
     with Kerberos and a password over HTTP (sealed; the client asks the KDC
     for its tickets every time), with a client certificate over HTTPS
     (mapped by a certmapping entry: the chain, then PAM's account stack),
     with CredSSP over HTTP (a TLS handshake inside the HTTP headers, NTLM
     inside it, pubKeyAuth, TSCredentials; the Identify then encrypted with
     that TLS session) and over HTTPS (the same inside the outer TLS);
     and `winrs ... true` with Basic over HTTPS, Negotiate/NTLM over HTTP,
     a client certificate over HTTPS, Kerberos over HTTP from the
     ticket cache (the only way our clients authenticate from a ticket cache: see
     "Kerberos and winrm identify" below) and CredSSP over HTTP (with the
     delegation: the user's host asks the KDC for a TGT with the delegated
     password and writes gss-ntlmssp's user file). Ratios against the peers;
     differences of medians are printed as such, nothing is subtracted from
     a measured number;
  2. throughput: `winrs ... 'head -c BYTES /dev/zero' | wc -c` (the count
     must be exact) with WinRM message encryption over HTTP (MS-WSMV
     2.2.9.1) and over HTTPS (TLS, no message encryption), for
     Negotiate/NTLM, for Kerberos and for CredSSP (over HTTP every message
     encrypted by the CredSSP TLS session, MS-WSMV 2.2.9.1.3, in 16 KiB
     chunks: multipart/x-multi-encrypted); best of two runs each; MB/s,
     the ratio HTTP-sealed / HTTPS, and CredSSP against NTLM over HTTP.

Kerberos and winrm identify: libwinrm sends an Identify without a user name
unauthenticated (WSMANIDENTIFY: unauthenticated) even with -a:Kerberos, so
`winrm id -a:Kerberos` from a ticket cache measures no Kerberos at all; the
Kerberos Identify row therefore gives -u:USER@REALM -p:PASSWORD, and the
ticket-cache handshake is measured with `winrs ... true`.

Exits non-zero only when something fails to run (a client fails, a wrong
byte count, the service dies), never because of a ratio. Every loop is
bounded in count and in time. Everything made (user, groups, KDC, service,
files under /tmp/owt-run-*) is removed at exit, also on Ctrl-C or SIGTERM.

Run as root from the repository root after `make`:
    /usr/bin/python3 bench/gss_bench.py [RUNS] [BYTES] [--time-limit SECONDS]
RUNS defaults to 20, BYTES to 100000000, SECONDS (per part) to 600. WINRMD, WINRS and WINRM select
other binaries (default build/winrmd, build/winrs, build/winrm).
"""
import argparse
import atexit
import hashlib
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(REPO, "build")
WINRMD = os.path.abspath(os.environ.get("WINRMD") or os.path.join(BUILD, "winrmd"))
WINRS = os.path.abspath(os.environ.get("WINRS") or os.path.join(BUILD, "winrs"))
WINRM = os.path.abspath(os.environ.get("WINRM") or os.path.join(BUILD, "winrm"))

CLIENT_TIMEOUT = 60.0       # one handshake-row client run
TRANSFER_TIMEOUT = 900.0    # one throughput transfer
RELOAD_TIMEOUT = 10.0       # SIGHUP until the network process applied it
THROUGHPUT_RUNS = 2         # best of


class BenchError(Exception):
    pass


def die(msg):
    raise BenchError(msg)


def out(line=""):
    print(line, flush=True)


# ---------------------------------------------------------------------------
# Set-up: the harness of the end-to-end tests, with the optimized build.

def preflight():
    if os.geteuid() != 0:
        die("run as root (it creates a user, a KDC and a service)")
    for exe in (WINRMD, WINRS, WINRM):
        if not os.access(exe, os.X_OK):
            die("no %s (run make first)" % exe)
    for tool in ("krb5kdc", "kdb5_util", "kadmin.local", "kinit", "wc", "head"):
        if not shutil.which(tool):
            die("%s is missing (krb5-kdc, krb5-admin-server, krb5-user)" % tool)
    mech_d = "/etc/gss/mech.d"
    if not (os.path.isdir(mech_d) and any("ntlmssp" in f for f in os.listdir(mech_d))):
        die("gss-ntlmssp is not installed (nothing for it in %s)" % mech_d)


def import_harness():
    # Our own fixture always (never a test run's), and the optimized build.
    os.environ.pop("OWT_RUN_DIR", None)
    os.environ["OWT_BUILD"] = BUILD
    sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
    import harness
    import krb
    return harness, krb


def on_signal(signum, frame):
    sys.stderr.write("gss_bench: %s; cleaning up\n" % signal.Signals(signum).name)
    raise SystemExit(128 + signum)


def ignore_signals():
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)


class Setup:
    def __init__(self, h, krb):
        fx = h.fixture()  # user, groups, certificate; removed at exit (atexit)
        # Registered after the fixture's cleanup, so it runs before it: a
        # second Ctrl-C must not cut the cleanup short.
        atexit.register(ignore_signals)
        self.user = fx.user("a")
        self.password = self.user.password

        # The binaries copied once, where the service account can execute
        # winrmd (the harness runs it from there), so that a rebuild during
        # the run changes nothing it measures.
        bin_dir = os.path.join(fx.run_dir, "bench-bin")
        os.makedirs(bin_dir, mode=0o755, exist_ok=True)
        os.chmod(bin_dir, 0o755)
        self.bins = {}
        for name, src in (("winrmd", WINRMD), ("winrs", WINRS), ("winrm", WINRM)):
            dst = os.path.join(bin_dir, name)
            shutil.copy2(src, dst)
            os.chmod(dst, 0o755)
            self.bins[name] = dst
        self.winrmd, self.winrs, self.winrm = self.bins["winrmd"], self.bins["winrs"], self.bins["winrm"]
        h.winrmd_path = lambda: self.winrmd

        self.realm = krb.Realm()  # stopped at exit (atexit), before the fixture goes
        keytab = os.path.join(self.realm.dir, "http.keytab")
        self.spn = self.realm.add_service("HTTP/localhost", keytab)
        self.realm.add_user(self.user.name, self.password)

        # Certificate logons: a test CA (tests/e2e/pki.py), the user's
        # client certificate, and a certmapping entry for it. With
        # Certificate on, every HTTPS handshake asks for a client
        # certificate (optionally), the HTTPS peers' rows included.
        # CredSSP verifies NTLM inside it with the same hash file as
        # Negotiate; its delegation asks this realm's KDC for a TGT.
        import pki
        ca = pki.CA(fx.run_dir, "bench-ca")
        self.client_cert = ca.client("bench-client", upn="bench@localhost")
        self.svc = h.Service({"Service/Auth/Keytab": keytab,
                              "Service/Auth/ServicePrincipalNames": "HTTP/localhost",
                              "Service/Auth/Certificate": "true",
                              "Service/Auth/TrustedIssuers": ca.cert_path,
                              "Service/Auth/CredSSP": "true"},
                             https=True, http=True, env=self.realm.env())
        r = subprocess.run([self.winrm, "create", "winrm/config/service/certmapping?Issuer=%s+Subject="
                            "bench@localhost+URI=*" % ca.thumbprint, '@{UserName="%s"}' % self.user.name,
                            "--config-dir", self.svc.conf_dir], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if r.returncode != 0:
            die("winrm create certmapping failed: %s" % r.stderr.decode(errors="replace"))
        r = subprocess.run([self.winrm, "user", "set", self.user.name, "-p:" + self.password,
                            "--config-dir", self.svc.conf_dir], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if r.returncode != 0:
            die("winrm user set failed: %s" % r.stderr.decode(errors="replace"))
        self.svc.start()

        self.krb_env = self.realm.kinit(self.user.name, self.password,
                                        os.path.join(self.realm.dir, "cc-bench"))
        # -u/-p Kerberos gets its tickets from the KDC itself; it is given
        # a cache of its own so that it never touches the kinit one.
        self.krb_pw_env = dict(self.realm.env(),
                               KRB5CCNAME="FILE:" + os.path.join(self.realm.dir, "cc-password"))
        # The clients of the rows without Kerberos see no realm at all (an
        # empty krb5.conf), as on a machine in no realm, where NTLM is what
        # Negotiate uses: nothing of the machine's /etc/krb5.conf (Debian's
        # names ATHENA.MIT.EDU) or its DNS takes part in what is measured.
        self.no_realm_conf = os.path.join(self.realm.dir, "no-realm-krb5.conf")
        with open(self.no_realm_conf, "w"):
            pass
        os.chmod(self.no_realm_conf, 0o644)
        # NTLM over HTTP needs the target in TrustedHosts, as on Windows;
        # CredSSP is off in a client by default and delegates only to the
        # targets its policy names (with NTLM inside, those of the
        # NTLM-only list too).
        self.client_dir = h.client_config({"Client/TrustedHosts": "*", "Client/Auth/CredSSP": "true",
                                           "Client/AllowFreshCredentials": "WSMAN/*",
                                           "Client/AllowFreshCredentialsWhenNTLMOnly": "WSMAN/*"})
        self.http = self.svc.listener("HTTP").port
        self.https = self.svc.listener("HTTPS").port
        atexit.register(ignore_signals)  # again: before the KDC's and the service's stop too

    def client_env(self, extra=None):
        """The environment of a client: no realm, or extra's (a realm's)."""
        env = {k: v for k, v in os.environ.items() if k not in ("KRB5_CONFIG", "KRB5CCNAME")}
        env["KRB5_CONFIG"] = self.no_realm_conf
        env.update(extra or {})
        return env


# ---------------------------------------------------------------------------
# The rows.

AUTH_LINE = re.compile(r"authentication success: .*scheme (\S+)(?: \((\w+)\))?")


class Row:
    def __init__(self, key, label, argv, env, contains, expect_auth, kind="id"):
        self.key, self.label, self.argv, self.env = key, label, argv, env
        self.contains = contains
        # "Basic", "NTLM", "Kerberos", "Certificate", "CredSSP/NTLM" or
        # None: what the log must show
        self.expect_auth = expect_auth
        self.kind = kind                # "id": stdout has an IdentifyResponse; "true": no output
        self.times = []
        self.auth_lines = 0
        self.before_each = None         # untimed work before each run (the cold-cache reload)
        self.warmup_log = None          # what the service must log in the warm-up run, and why

    def median_ms(self):
        return statistics.median(self.times) * 1e3

    def run_once(self, svc):
        if self.before_each:
            self.before_each()
        mark = svc.log_mark()
        t0 = time.perf_counter()
        try:
            r = subprocess.run(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=self.env, timeout=CLIENT_TIMEOUT)
        except subprocess.TimeoutExpired:
            die("%s: no answer within %.0fs" % (self.label, CLIENT_TIMEOUT))
        except OSError as e:
            die("%s: cannot run %s: %s" % (self.label, self.argv[0], e))
        t = time.perf_counter() - t0
        if r.returncode != 0:
            die("%s failed (exit %d): %s" % (self.label, r.returncode, r.stderr.decode(errors="replace").strip()))
        if self.kind == "id" and b"IdentifyResponse" not in r.stdout:
            die("%s: no IdentifyResponse in %r" % (self.label, r.stdout[:300]))
        if self.kind == "true" and r.stdout:
            die("%s: unexpected output %r" % (self.label, r.stdout[:300]))
        return t, self.auth_seen(svc, mark)

    def auth_seen(self, svc, mark):
        """The mechanisms of the authentication-success lines the service
        logged for this run ("Basic" only when PAM ran; CredSSP's as
        "CredSSP/" and the mechanism inside it, told apart from Negotiate's)."""
        seen = []
        for line in svc.log_since(mark).splitlines():
            m = AUTH_LINE.search(line)
            if m:
                scheme, mech = m.group(1), m.group(2)
                seen.append("%s/%s" % (scheme, mech) if scheme == "CredSSP" else mech or scheme)
        return seen


def make_rows(s):
    user, pw = s.user.name, s.password
    cfg = ["--config-dir", s.client_dir]
    http_ip = "-r:http://127.0.0.1:%d/wsman" % s.http
    https_ip = "-r:https://127.0.0.1:%d/wsman" % s.https
    http_name = "-r:http://localhost:%d/wsman" % s.http  # Kerberos needs a host name
    plain_env = s.client_env()
    krb_env = s.client_env(s.krb_env)
    krb_pw_env = s.client_env(s.krb_pw_env)
    realm_user = "%s@%s" % (user, s.realm.realm)
    idr = [s.winrm, "id"] + cfg
    wsr = [s.winrs] + cfg
    cert = ["-a:Certificate", "-certificate:" + s.client_cert.cert_path,
            "-certificatekey:" + s.client_cert.key_path]
    credssp = ["-u:" + user, "-p:" + pw, "-a:CredSSP"]

    rows = [
        Row("A", "winrm id, anonymous, HTTP", idr + [http_ip], plain_env,
            "process start + TCP connect + one plain POST (Identify, WSMANIDENTIFY: unauthenticated)", None),
        Row("B", "winrm id, anonymous, HTTPS", idr + [https_ip, "-skipCAcheck"], plain_env,
            "[A] + a TLS handshake (the TLS-only peer)", None),
        Row("C", "winrm id, Basic, HTTPS, PAM", idr + [https_ip, "-skipCAcheck", "-u:" + user, "-p:" + pw,
                                                     "-a:Basic"], plain_env,
            "[B] + Basic with a PAM check (a forked PAM worker of the privileged part; pam_unix "
            "verifies the account's hash, yescrypt as Debian 12's chpasswd writes it): the service's "
            "verification cache is flushed (SIGHUP reload, untimed) before each run", "Basic"),
        Row("D", "winrm id, Basic, HTTPS, cached", idr + [https_ip, "-skipCAcheck", "-u:" + user, "-p:" + pw,
                                                        "-a:Basic"], plain_env,
            "[B] + Basic answered from the network process's verification cache (no PAM)", None),
        Row("E", "winrm id, Negotiate/NTLM, HTTP", idr + [http_ip, "-u:" + user, "-p:" + pw, "-a:Negotiate"],
            plain_env,
            "[A] + SPNEGO/NTLMv2 (two extra round trips on empty POSTs; gss-ntlmssp on both sides, the "
            "service's hash file) + the Identify sealed both ways", "NTLM"),
        Row("F", "winrm id, Kerberos+password, HTTP", idr + [http_name, "-u:" + realm_user, "-p:" + pw,
                                                           "-a:Kerberos"], krb_pw_env,
            "[A] + the client's AS exchange (pre-authenticated: 2 round trips to the KDC, string-to-key) "
            "and TGS exchange + one extra round trip (AP-REQ/AP-REP, the service's keytab) + the "
            "Identify sealed both ways", "Kerberos"),
        Row("J", "winrm id, Kerberos (ccache), HTTP", idr + [http_name, "-a:Kerberos"], krb_env,
            "[A] + one extra round trip (AP-REQ/AP-REP, the service's keytab; the service ticket cached "
            "since the warm-up) + the Identify sealed both ways", "Kerberos"),
        Row("K", "winrm id, Certificate, HTTPS", idr + [https_ip, "-skipCAcheck"] + cert, plain_env,
            "[B] + the client certificate in the handshake + the privileged part's mapping (chain "
            "verified up to the entry's issuer) and PAM's account stack (a forked PAM worker)",
            "Certificate"),
        Row("M", "winrm id, CredSSP, HTTP", idr + [http_ip] + credssp, plain_env,
            "[A] + CredSSP, five extra legs on empty POSTs: a TLS 1.3 handshake inside the HTTP headers "
            "(two legs; the service's in-memory RSA 2048 certificate), SPNEGO/NTLMv2 inside it (two "
            "legs, the second with pubKeyAuth; answered with the service's), the TSCredentials (one "
            "leg, unsealed in the privileged part, PAM's account stack) + the Identify encrypted with "
            "the CredSSP TLS session both ways", "CredSSP/NTLM"),
        Row("N", "winrm id, CredSSP, HTTPS", idr + [https_ip, "-skipCAcheck"] + credssp, plain_env,
            "[B] + the same five CredSSP legs inside the outer TLS (the inner handshake with the "
            "listener's certificate); the Identify not encrypted again", "CredSSP/NTLM"),
        Row("G", "winrs true, Basic, HTTPS, cached", wsr + [https_ip, "-skipCAcheck", "-u:" + user, "-p:" + pw,
                                                          "-a:Basic", "true"], plain_env,
            "process start + TCP + TLS handshake + Basic from the verification cache + Create, Command, "
            "Receive, Delete (the remote fork and exec of true)", None, "true"),
        Row("H", "winrs true, Negotiate/NTLM, HTTP", wsr + [http_ip, "-u:" + user, "-p:" + pw, "-a:Negotiate",
                                                           "true"], plain_env,
            "as [G] with NTLM (two extra round trips) instead of TLS and Basic, every message sealed",
            "NTLM", "true"),
        Row("I", "winrs true, Kerberos (ccache), HTTP", wsr + [http_name, "-a:Kerberos", "true"], krb_env,
            "as [G] with Kerberos from the ticket cache (the service ticket is cached since the "
            "warm-up: one extra round trip, AP-REQ/AP-REP) instead of TLS and Basic, every message sealed",
            "Kerberos", "true"),
        Row("L", "winrs true, Certificate, HTTPS", wsr + [https_ip, "-skipCAcheck"] + cert + ["true"],
            plain_env, "as [G] with a certificate logon (as [K], once: the connection keeps it) instead "
            "of cached Basic", "Certificate", "true"),
        Row("O", "winrs true, CredSSP, HTTP", wsr + [http_ip] + credssp + ["true"], plain_env,
            "as [H] with CredSSP (as [M], once) instead of NTLM, every message encrypted by the "
            "CredSSP TLS session; with the first shell the user's host opens the sealed delegated "
            "password, puts gss-ntlmssp's user file in a memfd and starts a child that asks the "
            "KDC for a TGT (stopped if the shell ends first)", "CredSSP/NTLM", "true"),
    ]
    return {r.key: r for r in rows}


def reload_service(svc):
    """SIGHUP; returns once the network process applied the configuration
    (which flushes the verification cache)."""
    mark = svc.log_mark()
    if not svc.alive():
        die("winrmd is no longer running\n%s" % svc.log_tail(30))
    os.kill(svc.pid, signal.SIGHUP)
    deadline = time.monotonic() + RELOAD_TIMEOUT
    while "configuration applied" not in svc.log_since(mark):
        if time.monotonic() > deadline:
            die("winrmd did not apply a reload within %.0fs\n%s" % (RELOAD_TIMEOUT, svc.log_tail(30)))
        time.sleep(0.005)


# ---------------------------------------------------------------------------
# Throughput.

def service_processes(h, svc):
    """{pid: "net" | "host" | "other"} of the service's processes now."""
    procs = {}
    for pid, _ in h.descendants(svc.pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        role = "other"
        for a in args:
            if a.startswith(b"--role="):
                role = a[7:].decode(errors="replace")
        procs[pid] = role
    return procs


def process_cpu(pid):
    """User + system CPU seconds of pid so far, None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def transfer(argv, env, nbytes):
    """Seconds for argv's stdout, piped to wc -c, to arrive; checks the count."""
    t0 = time.perf_counter()
    with open(os.devnull, "rb") as devnull:
        p1 = subprocess.Popen(argv, stdin=devnull, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            p2 = subprocess.Popen(["wc", "-c"], stdin=p1.stdout, stdout=subprocess.PIPE)
        except BaseException:
            p1.kill()
            p1.wait()
            raise
        p1.stdout.close()
        try:
            count, _ = p2.communicate(timeout=TRANSFER_TIMEOUT)
            err = p1.stderr.read()
            rc = p1.wait(timeout=30)
        except BaseException:
            for p in (p1, p2):
                p.kill()
                p.wait()
            raise
        finally:
            p1.stderr.close()
    t = time.perf_counter() - t0
    if rc != 0:
        die("%s failed (exit %d): %s" % (" ".join(argv[-2:]), rc, err.decode(errors="replace").strip()))
    n = int(count.split()[0]) if count.split() else -1
    if n != nbytes:
        die("%s delivered %d bytes, not %d" % (" ".join(argv[-2:]), n, nbytes))
    return t


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="Negotiate/NTLM, Kerberos, certificates and CredSSP against their "
                                             "peers (see the file's head)")
    ap.add_argument("runs", nargs="?", type=int, default=20, help="runs per handshake row (median), default 20")
    ap.add_argument("bytes", nargs="?", type=int, default=100000000,
                    help="bytes of command output for the throughput rows, default 100000000")
    ap.add_argument("--time-limit", type=float, default=600.0,
                    help="seconds for the handshake rows together, and again for the throughput rows: "
                         "once spent, no further round starts (and the output says how many were made); "
                         "default 600")
    args = ap.parse_args()
    if args.runs < 1 or args.bytes < 1 or args.time_limit <= 0:
        ap.error("runs, bytes and the time limit must be positive")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    started = time.monotonic()
    try:
        preflight()
    except BenchError as e:
        out("gss_bench: %s" % e)
        return 1
    h, krb = import_harness()
    try:
        return bench(h, krb, args, started)
    except (BenchError, h.TestFailure) as e:
        out("gss_bench: %s" % e)
        return 1


def describe(path):
    """mtime and the start of the SHA-256 of a binary, to tell builds apart."""
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    return "%s, sha256 %s" % (time.strftime("%Y-%m-%d %H:%M", time.gmtime(os.stat(path).st_mtime)), digest)


def head_commit():
    try:
        r = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=30)
        return r.stdout.decode().strip() or "unknown"
    except OSError:
        return "unknown"


def versions():
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n", "gss-ntlmssp", "krb5-kdc",
                        "libgssapi-krb5-2", "libssl3"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       timeout=30)
    return ", ".join(r.stdout.decode().strip().splitlines())


def bench(h, krb, args, started):
    out("gss_bench: setting up (a temporary user, a KDC, winrmd) ...")
    s = Setup(h, krb)
    svc = s.svc
    rows = make_rows(s)
    rows["C"].before_each = lambda: reload_service(svc)
    # The host takes the delegated password with the first shell: the NTLM
    # user file in memory at once, the TGT in a child that `true` outlives
    # only sometimes (the child is stopped when the last shell ends).
    rows["O"].warmup_log = (re.compile(r"host: NTLM credentials for \S+ from the delegated credentials"),
                            "the host taking the delegated password")

    out("binaries (copied at start): %s; commit %s" % (", ".join(
        "%s %s (%s)" % (name, src, describe(s.bins[name]))
        for name, src in (("winrmd", WINRMD), ("winrs", WINRS), ("winrm", WINRM))), head_commit()))
    out("%s; %d CPUs, load %s" % (versions(), os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3])))
    out("service: HTTP 127.0.0.1:%d, HTTPS 127.0.0.1:%d (self-signed RSA 2048); Basic (PAM), Negotiate "
        "(gss-ntlmssp, %s/ntlm_users), Kerberos (keytab, %s; KDC 127.0.0.1:%d), Certificate, CredSSP "
        "(NTLM inside; over HTTP the in-memory RSA 2048 certificate); user %s"
        % (s.http, s.https, svc.conf_dir, s.spn, s.realm.port, s.user.name))
    out("clients: Kerberos rows with the realm's krb5.conf (and the kinit cache, or -u/-p); all other rows "
        "with an empty krb5.conf (no realm; see docs/performance.md)")

    # Warm-up: each row once, and the mechanism each one really used.
    order = [rows[k] for k in "ABCDEFJKMNGHILO"]
    for row in order:
        mark = svc.log_mark()
        _, seen = row.run_once(svc)
        if row.expect_auth and seen != [row.expect_auth]:
            die("%s: the service logged %s, not one %s authentication\n%s"
                % (row.label, seen or "no authentication", row.expect_auth, svc.log_tail(20)))
        if row.warmup_log and not row.warmup_log[0].search(svc.log_since(mark)):
            die("%s: the service logged nothing of %s\n%s" % (row.label, row.warmup_log[1], svc.log_tail(20)))

    # 1. Handshakes: RUNS rounds, each row once per round.
    deadline = time.monotonic() + args.time_limit
    rounds = 0
    for _ in range(args.runs):
        if time.monotonic() > deadline:
            break
        for row in order:
            t, seen = row.run_once(svc)
            row.times.append(t)
            row.auth_lines += len(seen)
        rounds += 1
    if not svc.alive():
        die("winrmd died during the handshake rows\n%s" % svc.log_tail(30))

    out()
    note = "" if rounds == args.runs else " (time limit: %d of %d runs)" % (rounds, args.runs)
    out("1. Cost per new connection: wall time of one client process, median of %d runs%s;" % (rounds, note))
    out("   rows interleaved; 'auth' counts the service's authentication-success log lines (PAM or GSSAPI")
    out("   handshakes completed; a Basic cache hit logs none)")
    for row in order:
        ts = [t * 1e3 for t in row.times]
        out("[%s] %-38s %7.2f ms  (min %.2f, max %.2f; auth %d/%d)"
            % (row.key, row.label, row.median_ms(), min(ts), max(ts), row.auth_lines, len(ts)))
        out("      = %s" % row.contains)
    m = {k: r.median_ms() for k, r in rows.items()}

    def ratio(a, b):
        return "[%s]/[%s] = %.2f" % (a, b, m[a] / m[b])

    def diff(a, b):
        return "[%s]-[%s] = %+.2f ms" % (a, b, m[a] - m[b])

    out()
    out("   NTLM handshake, winrm id:     %s (TLS-only peer), %s (Basic+PAM over HTTPS), %s (Basic cached)"
        % (ratio("E", "B"), ratio("E", "C"), ratio("E", "D")))
    out("   Kerberos (ccache), winrm id:  %s (TLS-only peer), %s (Basic+PAM over HTTPS), %s (Basic cached)"
        % (ratio("J", "B"), ratio("J", "C"), ratio("J", "D")))
    out("   Kerberos+password, winrm id:  %s (TLS-only peer), %s (Basic+PAM over HTTPS)"
        % (ratio("F", "B"), ratio("F", "C")))
    out("   Certificate, winrm id:        %s (TLS-only peer), %s (Basic+PAM over HTTPS), %s (NTLM)"
        % (ratio("K", "B"), ratio("K", "C"), ratio("K", "E")))
    out("   winrs true:                   %s (NTLM / Basic HTTPS), %s (Kerberos ccache / Basic HTTPS), "
        "%s (Kerberos / NTLM)" % (ratio("H", "G"), ratio("I", "G"), ratio("I", "H")))
    out("   winrs true, Certificate:      %s (Basic HTTPS), %s (NTLM)" % (ratio("L", "G"), ratio("L", "H")))
    out("   CredSSP, winrm id, HTTP:      %s (NTLM, HTTP), %s (TLS-only peer), %s (Basic+PAM over HTTPS), "
        "%s (Basic cached)" % (ratio("M", "E"), ratio("M", "B"), ratio("M", "C"), ratio("M", "D")))
    out("   CredSSP, winrm id, HTTPS:     %s (TLS-only peer), %s (Basic+PAM over HTTPS), %s (Basic cached), "
        "%s (CredSSP HTTP)" % (ratio("N", "B"), ratio("N", "C"), ratio("N", "D"), ratio("N", "M")))
    out("   winrs true, CredSSP:          %s (NTLM, HTTP), %s (Basic HTTPS)" % (ratio("O", "H"), ratio("O", "G")))
    out("   differences of medians (only here is anything subtracted, and each says what it leaves):")
    out("     %s  the TLS handshake (client and server)" % diff("B", "A"))
    out("     %s  the PAM check, with its round trip to the privileged part" % diff("C", "D"))
    out("     %s  NTLM: 2 round trips, gss-ntlmssp both sides, sealing one request and reply"
        % diff("E", "A"))
    out("     %s  NTLM over HTTP against TLS + cached Basic" % diff("E", "D"))
    out("     %s  Kerberos from the ticket cache: 1 round trip + sealing one request and reply"
        % diff("J", "A"))
    out("     %s  Kerberos with a password: KDC exchanges + 1 round trip + sealing" % diff("F", "A"))
    out("     %s  winrs true: Kerberos from the cache over HTTP against TLS + cached Basic" % diff("I", "G"))
    out("     %s  winrs true: NTLM over HTTP against TLS + cached Basic" % diff("H", "G"))
    out("     %s  the certificate logon: mapping, chain, PAM account stack" % diff("K", "B"))
    out("     %s  CredSSP over NTLM: the inner TLS handshake, three more legs, pubKeyAuth, TSCredentials"
        % diff("M", "E"))
    out("     %s  CredSSP inside HTTPS: inner TLS handshake, NTLM, pubKeyAuth, TSCredentials (5 legs)"
        % diff("N", "B"))
    out("     %s  winrs true: CredSSP against NTLM over HTTP, the delegation included"
        % diff("O", "H"))

    # 2. Throughput.
    nbytes = args.bytes
    cmd = "head -c %d /dev/zero" % nbytes
    user, pw = s.user.name, s.password
    cfg = ["--config-dir", s.client_dir]
    plain_env, krb_env = s.client_env(), s.client_env(s.krb_env)
    def password_rows(key, name, scheme, mech):
        """The HTTP (message encryption) and HTTPS rows of a scheme that
        logs on to 127.0.0.1 with -u/-p."""
        logon = ["-u:" + user, "-p:" + pw, "-a:" + scheme, cmd]
        return [("%s-http" % key, "%s, HTTP, sealed" % name, mech,
                 [s.winrs] + cfg + ["-r:http://127.0.0.1:%d/wsman" % s.http] + logon, plain_env),
                ("%s-https" % key, "%s, HTTPS" % name, mech,
                 [s.winrs] + cfg + ["-r:https://127.0.0.1:%d/wsman" % s.https, "-skipCAcheck"] + logon, plain_env)]

    tput = password_rows("ntlm", "Negotiate/NTLM", "Negotiate", "NTLM") + [
        ("krb-http", "Kerberos (ccache), HTTP, sealed", "Kerberos",
         [s.winrs] + cfg + ["-r:http://localhost:%d/wsman" % s.http, "-a:Kerberos", cmd], krb_env),
        ("krb-https", "Kerberos (ccache), HTTPS", "Kerberos",
         [s.winrs] + cfg + ["-r:https://localhost:%d/wsman" % s.https, "-skipCAcheck", "-a:Kerberos", cmd], krb_env),
    ] + password_rows("credssp", "CredSSP", "CredSSP", "CredSSP/NTLM")
    best = {}
    # The second round only while the time limit allows; each transfer is
    # bounded by TRANSFER_TIMEOUT.
    tdeadline = time.monotonic() + args.time_limit
    for attempt in range(THROUGHPUT_RUNS):
        for key, label, mech, argv, env in tput:
            if attempt > 0 and time.monotonic() > tdeadline:
                break
            mark = svc.log_mark()
            procs = service_processes(h, svc)
            cpu0 = {pid: process_cpu(pid) for pid in procs}
            ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = transfer(argv, env, nbytes)
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            split = {"client": ru1.ru_utime - ru0.ru_utime + ru1.ru_stime - ru0.ru_stime}
            for pid, role in procs.items():
                c1 = process_cpu(pid)
                if c1 is not None and cpu0[pid] is not None:
                    split[role] = split.get(role, 0.0) + c1 - cpu0[pid]
            seen = rows["A"].auth_seen(svc, mark)
            if seen != [mech]:
                die("%s: the service logged %s, not one %s authentication" % (label, seen or "none", mech))
            best.setdefault(key, []).append((t, split))
    if not svc.alive():
        die("winrmd died during the throughput rows\n%s" % svc.log_tail(30))

    out()
    out("2. Throughput: winrs '%s' | wc -c (count checked), best of the runs listed (%d planned);"
        % (cmd, THROUGHPUT_RUNS))
    out("   each run one connection and one handshake; the wall time includes process start, handshake,")
    out("   shell Create and Delete")
    mbs = {}
    for key, label, _, _, _ in tput:
        t, split = min(best[key], key=lambda r: r[0])
        mbs[key] = nbytes / t / 1e6
        out("   %-34s %8.1f MB/s  (%.2f s; runs: %s)" % (label, mbs[key], t,
                                                         ", ".join("%.2f" % r[0] for r in best[key])))
        out("      CPU s in that run: client (winrs + wc) %.2f, network process %.2f, user's host %.2f"
            % (split.get("client", 0), split.get("net", 0), split.get("host", 0)))
    out()
    out("   HTTP-sealed / HTTPS, Negotiate/NTLM: %.2f" % (mbs["ntlm-http"] / mbs["ntlm-https"]))
    out("   HTTP-sealed / HTTPS, Kerberos:       %.2f" % (mbs["krb-http"] / mbs["krb-https"]))
    out("   HTTP-sealed / HTTPS, CredSSP:        %.2f" % (mbs["credssp-http"] / mbs["credssp-https"]))
    out("   CredSSP / Negotiate/NTLM, HTTP-sealed: %.2f" % (mbs["credssp-http"] / mbs["ntlm-http"]))

    problems, _ = h.finish()
    if problems:
        die("the service reported problems:\n%s" % problems)
    out()
    out("gss_bench: done in %.0f s" % (time.monotonic() - started))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        out("gss_bench: interrupted; cleaning up")
        sys.exit(130)
