"""winrs against winrmd: streams, exit codes, signals, the client-side
rules of Windows' client, and failures explained in words."""
import os
import pty
import select
import signal
import subprocess
import threading
import time

import harness as h

BINARY_CMD = ("head -c 10485760 /dev/zero | openssl enc -aes-128-ctr -nosalt "
              "-K 000102030405060708090a0b0c0d0e0f -iv 00000000000000000000000000000000")


def _err(r):
    return r.stderr.decode(errors="replace")


def test_stdin_reaches_the_command():
    svc = h.service()
    r = h.winrs(h.winrs_basic(svc) + ["cat"], input=b"abc")
    h.eq((r.stdout, r.returncode), (b"abc", 0), "printf abc | winrs cat (%s)" % _err(r))


def test_exit_code_and_streams():
    svc = h.service()
    r = h.winrs(h.winrs_basic(svc) + ["echo out; echo err >&2; exit 7"])
    h.eq((r.stdout, r.stderr, r.returncode), (b"out\n", b"err\n", 7), "stdout, stderr and exit code")
    # The command line is the arguments joined by spaces, as Windows' winrs sends it.
    r = h.winrs(h.winrs_basic(svc) + ["echo", "a", "b"])
    h.eq(r.stdout, b"a b\n", "arguments joined")


def test_binary_output_byte_identical():
    svc = h.service()
    local = subprocess.run(["sh", "-c", BINARY_CMD], stdout=subprocess.PIPE, check=True).stdout
    h.eq(len(local), 10485760, "local reference length")
    r = h.winrs(h.winrs_basic(svc) + [BINARY_CMD])
    h.eq(r.returncode, 0, "exit code (%s)" % _err(r)[-400:])
    h.check(r.stdout == local, "10 MB of binary output differs (%d bytes came)" % len(r.stdout))


def test_binary_stdin_byte_identical():
    svc = h.service()
    data = bytes(range(256)) * 4096 + b"\0\r\n"
    r = h.winrs(h.winrs_basic(svc) + ["cat"], input=data)
    h.check(r.returncode == 0 and r.stdout == data, "1 MB of binary stdin came back different (%d bytes, %s)"
            % (len(r.stdout), _err(r)[-300:]))


def test_text_that_is_not_utf8_is_refused_with_the_reason():
    svc = h.service()
    r = h.winrs(h.winrs_basic(svc) + [b"echo caf\xe9".decode("utf-8", "surrogateescape")])
    h.eq(r.returncode, 255, "exit code (%s)" % _err(r))
    h.check("not UTF-8" in _err(r), "message: %s" % _err(r))


def test_output_arrives_as_produced():
    svc = h.service()
    argv = [h.client_path("winrs"), "--config-dir", h.client_config()] + h.winrs_basic(svc) + \
        ["for i in 1 2 3; do echo $i; sleep 1; done"]
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    times = []
    try:
        for _ in range(3):
            line = p.stdout.readline()
            times.append(time.monotonic() - start)
            h.eq(line, b"%d\n" % len(times), "line %d" % len(times))
        h.eq(p.wait(timeout=30), 0, "exit code")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    h.check(times[2] - times[0] >= 1.5, "lines came together, not a second apart: %s" % times)
    h.check(times[0] < times[2] - 1.5, "the first line waited for the last: %s" % times)


def test_working_directory_environment_noprofile():
    svc = h.service()
    r = h.winrs(h.winrs_basic(svc) + ["-d:/tmp", "-env:OWT_ONE=1", "-environment:OWT_TWO=two words",
                                      "-noprofile", "-t:30", 'pwd; echo "$OWT_ONE|$OWT_TWO"'])
    h.eq((r.stdout, r.returncode), (b"/tmp\n1|two words\n", 0), "-d, -env, -noprofile (%s)" % _err(r))


def _run_and_interrupt(svc, command, interrupts):
    argv = [h.client_path("winrs"), "--config-dir", h.client_config()] + h.winrs_basic(svc) + [command]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # The command prints its pid once it runs.
        pid = int(p.stdout.readline())
        for _ in range(interrupts):
            p.send_signal(signal.SIGINT)
            time.sleep(0.5)
        code = p.wait(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return code, pid, p.stderr.read().decode(errors="replace")


def test_ctrl_c_reaches_the_command():
    svc = h.service()
    code, pid, err = _run_and_interrupt(svc, "echo $$; exec sleep 30", 1)
    h.eq(code, 130, "exit code after ctrl_c (the remote sleep died of SIGINT) (%s)" % err)
    h.check(h.wait_gone(pid), "remote command %d still runs" % pid)


def test_second_ctrl_c_terminates():
    svc = h.service()
    code, pid, err = _run_and_interrupt(svc, "trap '' INT; echo $$; sleep 30", 2)
    h.eq(code, 130, "winrs exit code after a second Ctrl-C")
    h.check(h.wait_gone(pid), "remote command %d survived terminate" % pid)
    h.check("error" not in err.lower(), "terminating printed an error: %s" % err)


# ---- Windows' client-side rules (docs/design.md, The client side), each refused before any traffic ----

def _refused(args, config, want, exit_code=255):
    r = h.winrs(args + ["true"], config_dir=config)
    h.eq(r.returncode, exit_code, "exit code of a refused winrs (%s)" % _err(r))
    h.check(want.lower() in _err(r).lower(), "message %r lacks %r" % (_err(r), want))
    return _err(r)


def test_rule_explicit_credentials_required():
    for scheme in ("Basic", "Digest", "Negotiate"):
        _refused(["-r:https://127.0.0.1:1/wsman", "-a:" + scheme], None, "needs explicit credentials")


def test_rule_trusted_hosts_for_http():
    svc = h.service({"Service/AllowUnencrypted": "true"}, http=True)
    a = h.user("a")
    args = h.winrs_basic(svc, a, https=False)
    allow = {"Client/AllowUnencrypted": "true"}
    _refused(args, h.client_config(allow), "not in the TrustedHosts list")
    _refused(args, h.client_config(dict(allow, **{"Client/TrustedHosts": "10.*,otherhost"})),
             'TrustedHosts="127.0.0.1"')
    for pattern in ("127.0.0.1", "127.0.0.*", "*", "other, 127.0.*"):
        cfg = h.client_config(dict(allow, **{"Client/TrustedHosts": pattern}))
        r = h.winrs(args + ["echo ok"], config_dir=cfg)
        h.eq((r.stdout, r.returncode), (b"ok\n", 0), "TrustedHosts=%r (%s)" % (pattern, _err(r)))
    # HTTPS needs no TrustedHosts.
    r = h.winrs(h.winrs_basic(svc, a) + ["echo ok"])
    h.eq(r.stdout, b"ok\n", "HTTPS without TrustedHosts (%s)" % _err(r))


def test_rule_basic_over_http_needs_allow_unencrypted():
    cfg = h.client_config({"Client/TrustedHosts": "*"})
    base = ["-r:http://127.0.0.1:1/wsman", "-u:x", "-p:y", "-a:Basic"]
    _refused(base + ["-unencrypted"], cfg, 'AllowUnencrypted="true"')
    _refused(base, cfg, 'AllowUnencrypted="true"')
    cfg = h.client_config({"Client/TrustedHosts": "*", "Client/AllowUnencrypted": "true"})
    _refused(base, cfg, "-unencrypted")


def test_rule_client_auth_settings():
    svc = h.service()
    a = h.user("a")
    msg = _refused(h.winrs_basic(svc, a)[:3] + ["-a:Digest", "-skipCAcheck"],
                   h.client_config({"Client/Auth/Digest": "false"}), "Digest authentication is currently disabled")
    h.check('client/auth @{Digest="true"}' in msg, "message names the setting: %s" % msg)
    _refused(h.winrs_basic(svc, a), h.client_config({"Client/Auth/Basic": "false"}),
             "Basic authentication is currently disabled")


def test_rule_default_scheme_in_a_kerberos_realm():
    """Windows: Kerberos by default when this host is in a realm and the
    target is a name other than localhost; Negotiate otherwise, and whenever
    explicit credentials are given."""
    import tempfile
    krb5 = tempfile.NamedTemporaryFile("w", suffix=".conf", dir=h.fixture().run_dir, delete=False)
    krb5.write("[libdefaults]\n    default_realm = OWT.EXAMPLE\n")
    krb5.close()
    env = dict(os.environ, KRB5_CONFIG=krb5.name)
    cfg = h.client_config({"Client/TrustedHosts": "*"})

    def run(target, *extra):
        return subprocess.run([h.client_path("winrs"), "--config-dir", cfg, "-r:" + target] + list(extra) + ["true"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, env=env)
    # In a realm the default is Kerberos, which needs no explicit
    # credentials: the client goes on to connect (and fails there).
    r = run("https://somehost.owt.example:1/wsman")
    h.check("cannot resolve somehost.owt.example" in _err(r), "a name in a realm: %s" % _err(r))
    for target in ("https://localhost:1/wsman", "https://127.0.0.1:1/wsman"):
        r = run(target)
        h.check("Negotiate authentication needs explicit credentials" in _err(r), "%s: %s" % (target, _err(r)))
    r = run("https://somehost.owt.example:1/wsman", "-u:x", "-p:y")
    h.check("cannot resolve somehost.owt.example" in _err(r), "explicit credentials: %s" % _err(r))
    # Without a realm, Negotiate.
    r = subprocess.run([h.client_path("winrs"), "--config-dir", cfg, "-r:https://somehost:1/wsman", "true"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, KRB5_CONFIG="/nonexistent"))
    h.check("Negotiate authentication needs explicit credentials" in _err(r), "no realm: %s" % _err(r))


def test_rule_kerberos_and_default_scheme():
    cfg = h.client_config({"Client/TrustedHosts": "*"})
    _refused(["-r:http://127.0.0.1:1/wsman", "-a:Kerberos"], cfg, "Kerberos cannot be used with an IP address")
    # Kerberos over HTTP is not subject to TrustedHosts: it goes on to connect.
    _refused(["-r:http://somehost.invalid:1/wsman", "-a:Kerberos"], h.client_config(), "cannot resolve somehost.invalid")
    # With explicit credentials the default is Negotiate, allowed to an IP.
    _refused(["-r:https://127.0.0.1:1/wsman", "-u:x", "-p:y"], None, "cannot connect to 127.0.0.1 port 1")


# ---- failures explained ----

def test_message_connection_refused():
    port = h.free_port()
    _refused(["-r:https://127.0.0.1:%d/wsman" % port, "-u:x", "-p:y", "-a:Basic"], None, "connection refused")


def test_message_untrusted_certificate():
    svc = h.service()
    args = [a for a in h.winrs_basic(svc) if a != "-skipCAcheck"]
    msg = _refused(args, None, "not trusted")
    h.check("-skipCAcheck" in msg, "message names the switch: %s" % msg)


def test_message_scheme_not_offered():
    svc = h.service()
    args = [a if a != "-a:Basic" else "-a:Digest" for a in h.winrs_basic(svc)]
    msg = _refused(args, None, "does not accept Digest")
    h.check("Negotiate" in msg and "Basic" in msg, "message lists the offered schemes: %s" % msg)


def test_message_basic_over_http_refused_by_server():
    svc = h.service(http=True)  # the service's AllowUnencrypted stays false
    cfg = h.client_config({"Client/TrustedHosts": "*", "Client/AllowUnencrypted": "true"})
    msg = _refused(h.winrs_basic(svc, https=False), cfg, "does not accept Basic")
    h.check("winrm/config/service @{AllowUnencrypted" in msg, "message names the server setting: %s" % msg)


def test_message_wrong_password():
    svc = h.service()
    a = h.user("a")
    args = ["-p:wrong" if x.startswith("-p:") else x for x in h.winrs_basic(svc, a)]
    _refused(args, None, "rejected the credentials of %s" % a.name)


# ---- Digest: the service never offers it, so a proxy checks it ----

def _digest_proxy(svc, u, algorithm):
    """An HTTP server on loopback that demands Digest (RFC 7616, qop=auth),
    checks each response with hashlib, and forwards the accepted requests
    to svc with Basic as u. Returns (server, seen) where seen lists the
    (nc, verified) of every Authorization it got."""
    import hashlib
    import http.server
    import re
    import secrets
    import threading
    H = (lambda s: hashlib.md5(s.encode()).hexdigest()) if algorithm == "MD5" else \
        (lambda s: hashlib.sha256(s.encode()).hexdigest())
    realm, nonce, opaque = "owt digest", secrets.token_hex(16), secrets.token_hex(8)
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _challenge(self):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Digest realm="%s", qop="auth,auth-int", algorithm=%s, '
                             'nonce="%s", opaque="%s"' % (realm, algorithm, nonce, opaque))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Digest "):
                return self._challenge()
            p = dict((m.group(1), m.group(2) if m.group(2) is not None else m.group(3))
                     for m in re.finditer(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))', auth[7:]))
            want = H("%s:%s:%s" % (H("%s:%s:%s" % (u.name, realm, u.password)), nonce,
                                   ":".join([p.get("nc", ""), p.get("cnonce", ""), p.get("qop", ""),
                                             H("POST:%s" % self.path)])))
            ok = (p.get("username") == u.name and p.get("realm") == realm and p.get("nonce") == nonce
                  and p.get("uri") == self.path and p.get("opaque") == opaque and p.get("qop") == "auth"
                  and p.get("algorithm") == algorithm and p.get("response") == want)
            seen.append((int(p.get("nc", "0"), 16), ok))
            if not ok:
                return self._challenge()
            r = h.request(svc, body, auth=u)
            self.send_response(r.status)
            self.send_header("Content-Type", r.header("Content-Type") or "application/soap+xml;charset=UTF-8")
            self.send_header("Content-Length", str(len(r.body)))
            self.end_headers()
            self.wfile.write(r.body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def test_digest_md5_and_sha256():
    svc = h.service()
    a = h.user("a")
    cfg = h.client_config({"Client/TrustedHosts": "127.0.0.1", "Client/AllowUnencrypted": "true"})
    for algorithm in ("MD5", "SHA-256"):
        server, seen = _digest_proxy(svc, a, algorithm)
        try:
            url = "http://127.0.0.1:%d/wsman" % server.server_address[1]
            r = h.winrs(["-r:" + url, "-u:" + a.name, "-p:" + a.password, "-a:Digest", "-un",
                         "echo digest; exit 3"], config_dir=cfg)
            h.eq((r.stdout, r.returncode), (b"digest\n", 3), "winrs with Digest %s (%s)" % (algorithm, _err(r)))
            h.check(seen and all(ok for _, ok in seen), "a Digest %s response did not verify: %s" % (algorithm, seen))
            # Each session (winrs has one per thread) counts its own uses of the nonce.
            ncs = [nc for nc, _ in seen]
            h.check(ncs[0] == 1 and max(ncs) >= 3, "nonce counts do not count up: %s" % ncs)
            bad = h.winrs(["-r:" + url, "-u:" + a.name, "-p:wrong", "-a:Digest", "-un", "true"], config_dir=cfg)
            h.eq(bad.returncode, 255, "wrong Digest password")
            h.check("rejected the credentials" in _err(bad), "message: %s" % _err(bad))
        finally:
            server.shutdown()
            server.server_close()


def _winrs_with_terminal_stderr(args, seconds=15):
    """Runs winrs with stderr on a pseudo-terminal and stdout on a pipe (as
    `winrs ... > file` from a terminal): (stdout bytes, what the terminal
    showed, exit status)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([h.client_path("winrs"), "--config-dir", h.client_config()] + list(args),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    shown, out = b"", []
    reader = threading.Thread(target=lambda: out.append(p.stdout.read()))
    reader.start()
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the terminal closed with winrs
                    break
                if not chunk:
                    break
                shown += chunk
            elif p.poll() is not None:
                break
        rc = p.wait(10)
        reader.join(10)
        return b"".join(out), shown.decode(errors="replace"), rc
    finally:
        os.close(master)
        if p.poll() is None:
            p.kill()


def test_progress_line_on_a_terminal_only_for_a_transfer_that_lasts():
    """Output to a file from a terminal: after 2 s the terminal shows bytes
    and rate, rewritten in place, and a last line; a short transfer shows
    none, and neither does a stderr that is not a terminal."""
    svc = h.service()
    slow = "for i in $(seq 1 30); do head -c 100000 /dev/zero; sleep 0.1; done"
    out, shown, rc = _winrs_with_terminal_stderr(h.winrs_basic(svc) + [slow])
    h.eq((len(out), rc), (3000000, 0), "the output, whole")
    h.check("winrs: received" in shown and "/s" in shown and "\r" in shown,
            "no progress line on the terminal: %r" % shown[-300:])
    h.check("received 3.0 MB" in shown.splitlines()[-1] if shown.strip() else False,
            "the last line gives the total: %r" % shown[-300:])
    out, shown, rc = _winrs_with_terminal_stderr(h.winrs_basic(svc) + ["head -c 1000 /dev/zero"])
    h.eq((len(out), rc, shown), (1000, 0, ""), "a short transfer shows nothing")
    r = h.winrs(h.winrs_basic(svc) + [slow])
    h.check(b"received" not in r.stderr, "progress on a stderr that is no terminal: %r" % r.stderr[-300:])
