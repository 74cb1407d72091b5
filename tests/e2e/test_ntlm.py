"""NTLM under Negotiate with real clients: Debian's pywinrm (requests_ntlm,
ntlm_auth) over HTTP with message encryption and over HTTPS with channel
binding, and the refusals, driven through ntlm_auth by gss_client.py. The
service verifies with gss-ntlmssp against DIR/ntlm_users, written by
`winrm user set`. Every refusal is logged and the service goes on serving
(each scenario ends with a fresh, successful handshake)."""
import json
import os
import re
import socket
import subprocess
import time

import harness as h

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gss_client.py")
OPENSSL_LEGACY = """openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
"""


def ntlm_service(debug=False, **settings):
    svc = h.Service(settings, https=True, http=True, debug=debug)
    for role in ("a", "out"):
        h.ntlm_password(svc, h.user(role))
    return svc.start()


def client_env():
    """The environment of an NTLM client: OpenSSL's legacy provider (ntlm_auth's MD4)."""
    conf = os.path.join(h.fixture().run_dir, "openssl-legacy.cnf")
    if not os.path.exists(conf):
        with open(conf, "w") as f:
            f.write(OPENSSL_LEGACY)
    return dict(os.environ, OPENSSL_CONF=conf)


def client(*args):
    """Runs gss_client.py as an NTLM client."""
    r = subprocess.run(["/usr/bin/python3", CLIENT] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=client_env(), timeout=120)
    h.check(r.returncode == 0, "gss_client %s failed:\n%s" % (args[:1] + args[4:],
                                                              r.stderr.decode(errors="replace")[-3000:]))
    return json.loads(r.stdout.decode().strip().splitlines()[-1])


def pywinrm(transport_url, encryption, *argv):
    u = h.user("a")
    return client("pywinrm", transport_url, u.name, u.password, encryption, "ntlm", *argv)


def raw(svc, scenario):
    u = h.user("a")
    return client("raw", svc.url("HTTP"), u.name, u.password, scenario)


def test_pywinrm_http_encrypted_always_and_auto():
    svc = ntlm_service()
    for enc in ("always", "auto"):
        r = pywinrm(svc.url("HTTP"), enc, "id", "-un")
        h.eq((r["status"], r["stdout_head"]), (0, h.user("a").name + "\n"), "id -un, encryption " + enc)
    svc.wait_for_log(r"authentication success: principal .* as user \"%s\".*Negotiate \(NTLM\)"
                     % h.user("a").name)


def test_a_logon_no_longer_admitted_ends_on_its_open_connection():
    """Negotiate authenticates a connection once, and it may stay open for
    hours; the privileged part checks the account again whenever it renews
    the connection's host token (after 10 s of use at most). Taken out of
    the allowed groups while its pywinrm session runs commands, the user's
    open connection is closed and its next logon refused: the session
    stops working within a bound, instead of going on for as long as the
    client keeps the connection."""
    svc = ntlm_service()
    u = h.user("a")
    proc = subprocess.Popen(["/usr/bin/python3", CLIENT, "pywinrm-repeat", svc.url("HTTP"), u.name,
                             u.password, "always", "ntlm", "28"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=client_env())
    try:
        time.sleep(4)
        svc.update({"Service/RemoteUsersGroup": h.fixture().admins_group})
        svc.reload()
        changed = 4 + 1
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    h.check(proc.returncode == 0, "pywinrm-repeat failed: %s" % err.decode(errors="replace")[-2000:])
    runs = json.loads(out.decode().strip().splitlines()[-1])["runs"]
    h.check(runs and runs[0][1] == "ok", "the session worked before the change: %r" % runs)
    failed = [t for t, what in runs if what != "ok"]
    h.check(failed, "the connection kept serving a user who may no longer connect: %r" % runs)
    h.check(failed[0] <= changed + 16, "the logon ended %.1f s after the change: %r"
            % (failed[0] - changed, runs))
    h.check(all(what != "ok" for t, what in runs if t >= failed[0]),
            "a command ran after the logon ended: %r" % runs)
    svc.wait_for_log(r"host token renewal refused \(in no allowed group\): user \"%s\"" % u.name)
    svc.wait_for_log(r"closing connection \d+ from .*: the logon of user %s is over" % u.name)
    svc.wait_for_log(r"not allowed \(in no allowed group\)")


def test_an_account_stack_that_settles_on_another_account_is_refused():
    """GSSAPI verified a's NTLM hash; PAM's account stack then settles the
    logon on another account (a directory module with a broken mapping, here
    tests/e2e/pam_module's rename=): the logon is refused, logged, and no
    host opens for either account."""
    a, b, fx = h.user("a"), h.user("b"), h.fixture()
    stack = "%s%s_rename" % (h.USER_PREFIX, fx.suffix)
    stack_path = os.path.join("/etc/pam.d", stack)
    try:
        with open(stack_path, "w") as f:
            f.write("@include common-auth\naccount required %s rename=%s\n@include common-account\n"
                    "@include common-session-noninteractive\n" % (h.pam_test_module(), b.name))
        svc = h.Service(pam_service=stack, https=True, http=True)
        h.ntlm_password(svc, a)
        svc.start()
        r = subprocess.run(["/usr/bin/python3", CLIENT, "pywinrm", svc.url("HTTP"), a.name, a.password,
                            "always", "ntlm", "id", "-un"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=client_env(), timeout=120)
        h.check(r.returncode != 0, "a logon PAM settled on %s ran: %r" % (b.name, r.stdout))
        svc.wait_for_log(r"failure \(PAM's account stack settled on another account\)")
        h.eq((h.host_pids(a), h.host_pids(b)), ([], []), "hosts of a and b after the refusal")
        h.assert_serving(svc)
    finally:
        os.unlink(stack_path)


def test_pywinrm_http_encrypted_10mb_output():
    svc = ntlm_service()
    r = pywinrm(svc.url("HTTP"), "always", "head", "-c", "10485760", "/dev/zero")
    h.eq((r["status"], r["stdout_len"], r["stdout_zero"]), (0, 10485760, True), "10 MB through sealing")


def test_pywinrm_https_with_channel_binding():
    """requests_ntlm puts the tls-server-end-point binding in its
    AUTHENTICATE message over HTTPS; CbtHardeningLevel Relaxed and Strict
    both accept it, because it matches our certificate."""
    for level in ("Relaxed", "Strict"):
        svc = ntlm_service(**{"Service/Auth/CbtHardeningLevel": level})
        for enc in ("auto", "always"):
            r = pywinrm(svc.url("HTTPS"), enc, "echo", "tls")
            h.eq((r["status"], r["stdout_head"]), (0, "tls\n"), "HTTPS, %s, encryption %s" % (level, enc))
        svc.stop()


def test_sealed_messages_read_by_ntlm_auth():
    """A reply sealed by the service opens with ntlm_auth's own unwrap, in
    sequence, and carries the request's protocol string."""
    svc = ntlm_service()
    r = raw(svc, "sealed")
    h.eq((r["final"], r["status"], r["second"]), (200, 200, 200), "statuses")
    h.check('protocol="application/HTTP-SPNEGO-session-encrypted"' in r["content_type"],
            "reply content type %r" % r["content_type"])
    h.check("IdentifyResponse" in r["reply"], "reply %r" % r["reply"][:200])
    h.check(r["second_reply_ok"], "second sealed reply")


def _refused(svc, scenario, field, status, log_pattern):
    mark = svc.log_mark()
    r = raw(svc, scenario)
    h.eq(r[field], status, scenario)
    h.eq(r["after"], 200, "a new connection after %s" % scenario)
    svc.wait_for_log(log_pattern, since=mark)
    h.check(svc.alive(), "winrmd died after %s" % scenario)


def test_refusals_are_logged_and_service_goes_on():
    svc = ntlm_service()
    _refused(svc, "wrong", "final", 401, r"authentication failure: from 127\.0\.0\.1, scheme Negotiate")
    # ntlm_auth with compatibility level 1 answers with an NTLMv1 response.
    _refused(svc, "v1", "final", 401, r"authentication failure: from 127\.0\.0\.1, scheme Negotiate")
    _refused(svc, "garbage", "final", 401, r"authentication failure: .*scheme Negotiate")
    _refused(svc, "truncated", "final", 401, r"authentication failure: .*scheme Negotiate")
    _refused(svc, "unencrypted", "status", 401, r"refused: not encrypted on an HTTP connection")
    _refused(svc, "tamper", "status", 400, r"refused: the encrypted message does not verify")
    _refused(svc, "replay", "status", 400, r"refused: the encrypted message does not verify")
    # The AUTHENTICATE message of one connection, sent on another.
    _refused(svc, "reuse", "status", 401, r"authentication failure: .*scheme Negotiate")


def test_unmapped_and_outsider_refused():
    svc = ntlm_service()
    # An account with a hash but in no allowed group: authenticated, then
    # denied (a SOAP fault, as Windows answers after authentication).
    out = h.user("out")
    mark = svc.log_mark()
    # Every scenario ends with a full handshake ("after"); v1's own fails.
    r = client("raw", svc.url("HTTP"), out.name, out.password, "v1")
    h.eq(r["after"], 500, "outsider's handshake ends in a fault")
    svc.wait_for_log(r"authentication not allowed .*as user \"%s\"" % out.name, since=mark)
    # A user with no entry in ntlm_users: gss-ntlmssp knows no such account.
    b = h.user("b")
    mark = svc.log_mark()
    r = client("raw", svc.url("HTTP"), b.name, b.password, "wrong")
    h.eq(r["after"], 401, "no hash entry")
    svc.wait_for_log(r"authentication failure: .*scheme Negotiate", since=mark)


def test_winrs_negotiate_http_sealed_and_https():
    """Our own client's NTLM (gss-ntlmssp with the password given): every
    message sealed over HTTP (TrustedHosts names the target, as Windows'
    client requires), plain over HTTPS where TLS encrypts."""
    svc = ntlm_service()
    u = h.user("a")
    cred = ["-u:" + u.name, "-p:" + u.password, "-a:Negotiate"]
    cfg = h.client_config({"Client/TrustedHosts": "127.0.0.1"})
    r = h.winrs(["-r:" + svc.url("HTTP")] + cred + ["id -un; head -c 5000000 /dev/urandom | wc -c"],
                config_dir=cfg)
    h.eq((r.stdout.decode(), r.returncode), ("%s\n5000000\n" % u.name, 0),
         "winrs -a:Negotiate over HTTP: %s" % r.stderr.decode(errors="replace"))
    svc.wait_for_log(r"authentication success: .*as user \"%s\".*\(NTLM\)" % u.name)
    r = h.winrs(["-r:" + svc.url("HTTPS"), "-skipCAcheck"] + cred + ["id -un"])
    h.eq((r.stdout.decode(), r.returncode), ("%s\n" % u.name, 0),
         "winrs -a:Negotiate over HTTPS: %s" % r.stderr.decode(errors="replace"))
    # Without the target in TrustedHosts the client refuses NTLM over HTTP.
    r = h.winrs(["-r:" + svc.url("HTTP")] + cred + ["true"])
    h.check(r.returncode != 0 and "TrustedHosts" in r.stderr.decode(errors="replace"),
            "NTLM over HTTP to an untrusted host: %s" % r.stderr.decode(errors="replace"))
    # An account with no key in ntlm_users, as every account is after
    # quickconfig: the message names the command that gives it one.
    b = h.user("b")
    # (gss-ntlmssp's initiator leaks on this path, inside its own code,
    # which only LeakSanitizer's full unwind shows to tests/lsan.supp.)
    lsan = os.environ.get("LSAN_OPTIONS", "")
    r = h.winrs(["-r:" + svc.url("HTTPS"), "-skipCAcheck", "-u:" + b.name, "-p:" + b.password,
                 "-a:Negotiate", "hostname"],
                env={"LSAN_OPTIONS": (lsan + ":" if lsan else "") + "fast_unwind_on_malloc=0"})
    h.check(r.returncode != 0 and "`winrm user set NAME`" in r.stderr.decode(errors="replace"),
            "NTLM for an account without a key: %s" % r.stderr.decode(errors="replace"))


def test_winrs_negotiate_https_channel_binding_strict():
    """winrs binds its NTLM logon over HTTPS to the TLS connection (RFC 5929
    tls-server-end-point of the certificate it was shown), as Windows'
    client does, so a service with CbtHardeningLevel Strict, which refuses
    a logon without a binding, lets it in."""
    svc = ntlm_service(**{"Service/Auth/CbtHardeningLevel": "Strict"})
    u = h.user("a")
    mark = svc.log_mark()
    r = h.winrs(["-r:" + svc.url("HTTPS"), "-skipCAcheck", "-u:" + u.name, "-p:" + u.password,
                 "-a:Negotiate", "id -un"])
    h.eq((r.stdout.decode(), r.returncode), ("%s\n" % u.name, 0),
         "winrs -a:Negotiate over HTTPS under Strict: %s" % r.stderr.decode(errors="replace"))
    svc.wait_for_log(r"authentication success: .*as user \"%s\".*\(NTLM\)" % u.name, since=mark)


def test_host_token_renewed_on_a_connection_in_use():
    """The host token of an NTLM logon lasts 150 s, the connection as long as
    it is used. The service renews the token when the connection is used
    and the token is older than 10 s (NET_TOKEN_RENEW_AGE_MS); the Create
    after the renewal starts the user's host with the new token. (The
    failure this prevents, a Create refused once the handshake is 150 s old
    and the host gone, would take minutes to show.)"""
    svc = ntlm_service(debug=True)
    u = h.user("a")
    create = os.path.join(svc.dir, "create.xml")
    with open(create, "wb") as f:
        f.write(h.create_env())
    mark = svc.log_mark()
    r = client("raw", svc.url("HTTP"), u.name, u.password, "renew", "11", create)
    h.eq((r["final"], r["first"], r["second"], r["create"]), (200, 200, 200, 200),
         "handshake, request, request after 11 s idle, Create: %s" % r["create_reply"][:300])
    h.check("ResourceCreated" in r["create_reply"] or "Shell" in r["create_reply"],
            "CreateResponse: %s" % r["create_reply"][:300])
    renewed = [line for line in svc.log_since(mark).splitlines()
               if re.search(r"host token renewed for connection \d+ from 127\.0\.0\.1 \(user %s\)"
                            % re.escape(u.name), line)]
    # Once: at the request after the idle time, not at the quick ones.
    h.eq(len(renewed), 1, "renewal log lines:\n%s" % svc.log_tail(40))
    svc.wait_for_log(r"host of %s ready" % re.escape(u.name), since=mark)


def test_expired_account_refused_then_restored():
    """PAM's account stack runs for an NTLM logon as after a password (only
    pam_authenticate is skipped, GSSAPI verified the credential), so an
    expired account is refused, as Windows refuses one, with the words a
    Basic logon of the same account gets in the log; restored, it logs on.
    The fixture's accounts are shared by the run: the expiry is undone
    whatever happens."""
    svc = ntlm_service()
    u = h.user("a")
    verdict = r"authentication failure \(PAM's account management refused the account: expired or not permitted\)"
    subprocess.run(["chage", "-E", "0", u.name], check=True, timeout=30)
    try:
        mark = svc.log_mark()
        r = raw(svc, "logon")
        h.eq((r["final"], r["after"]), (401, 401), "NTLM logons of an expired account")
        svc.wait_for_log(verdict + r": principal \".*\" as user \"%s\" from 127\.0\.0\.1, "
                         r"scheme Negotiate \(NTLM\)" % re.escape(u.name), since=mark)
        mark = svc.log_mark()
        h.eq(h.request(svc, h.IDENTIFY_ENV, auth=h.basic(u)).status, 401, "Basic, expired account")
        svc.wait_for_log(verdict + r": user \"%s\" from 127\.0\.0\.1, scheme Basic" % re.escape(u.name),
                         since=mark)
    finally:
        subprocess.run(["chage", "-E", "-1", u.name], check=True, timeout=30)
    r = raw(svc, "logon")
    h.eq((r["final"], r["after"]), (200, 200), "NTLM logons once the account is restored")
    h.check(svc.alive(), "winrmd died")


def test_the_verified_entry_decides_the_account():
    """gss-ntlmssp matches DIR/ntlm_users ignoring case, as NTLM names are:
    with accounts owt..._a and owt..._A, a's password sent as owt..._A is
    verified against a's entry, and the command runs as a, not as the
    account the client spelled. That second account cannot be given an
    NTLM password of its own either."""
    a, fx = h.user("a"), h.fixture()
    twin = a.name[:-1] + a.name[-1].upper()
    svc = ntlm_service()
    try:
        h._run(["useradd", "--create-home", "--groups", fx.users_group,
                "--comment", "%s pid=%d" % (h.GECOS_TAG, os.getpid()), twin])
        r = client("pywinrm", svc.url("HTTP"), twin, a.password, "always", "ntlm", "id", "-un")
        h.eq((r["status"], r["stdout_head"]), (0, a.name + "\n"),
             "a's password sent as %s: the command's account" % twin)
        svc.wait_for_log(r"authentication success: principal .* as user \"%s\".*Negotiate \(NTLM\)"
                         % a.name)
        s = subprocess.run([h.client_path("winrm"), "user", "set", twin, "-p:" + a.password,
                            "--config-dir", svc.conf_dir], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        h.check(s.returncode != 0 and b"differs from %s only in case" % twin.encode() in s.stderr,
                "winrm user set %s beside %s: %r" % (twin, a.name, s.stderr))
    finally:
        errors = []
        h._remove_user(twin, errors)
        h.eq(errors, [], "removing %s" % twin)


def test_only_this_machines_domain_is_local():
    """Without winbind the hash file holds this machine's accounts: a
    client naming its account with no domain or with this machine's
    NetBIOS name (the name NTLMv2's response is computed with, so no
    other spelling verifies) is that account; another domain's user of
    the same name and password is not ours. gss-ntlmssp refuses that
    response already (this test documents it); the service refuses such
    a domain itself as well (priv_gss_ntlm_user, unit test_priv_gss), so
    as not to depend on it."""
    svc = ntlm_service()
    u = h.user("a")
    computer = socket.gethostname().split(".")[0].upper()[:15]
    for domain, want in (("", 200), (computer, 200), ("OTHERDOMAIN", 401)):
        mark = svc.log_mark()
        r = client("raw", svc.url("HTTP"), u.name, u.password, "domain", domain)
        h.eq(r["final"], want, "NTLM logon as %s\\%s" % (domain, u.name))
        if want == 401:
            svc.wait_for_log(r"authentication failure.*scheme Negotiate", since=mark)


def test_no_login_shell_refused_unless_allowed():
    """An account whose shell is nologin could still run commands without
    a shell (WINRS_SKIP_CMD_SHELL, PowerShell): it is refused at logon,
    Basic and NTLM alike, with a 401 as for an expired account (it may
    not log on at all; a password guesser learns nothing), and a log line
    that says why. Service/AllowNoLoginShells lets it in."""
    fx = h.fixture()
    u = h.User("nologin", "%s%s_nologin" % (h.USER_PREFIX, fx.suffix), h.user("a").password)
    try:
        h._run(["useradd", "--create-home", "--shell", "/usr/sbin/nologin", "--groups", fx.users_group,
                "--comment", "%s pid=%d" % (h.GECOS_TAG, os.getpid()), u.name])
        h._run(["chpasswd"], input=("%s:%s\n" % (u.name, u.password)).encode())
        svc = h.Service({}, https=True, http=True)
        h.ntlm_password(svc, u)
        svc.start()
        verdict = r"authentication failure \(the account's shell is nologin, false or not in /etc/shells"
        mark = svc.log_mark()
        h.eq(h.request(svc, h.IDENTIFY_ENV, auth=h.basic(u)).status, 401, "Basic, nologin shell")
        svc.wait_for_log(verdict + r".*: user \"%s\"" % re.escape(u.name), since=mark)
        mark = svc.log_mark()
        r = client("raw", svc.url("HTTP"), u.name, u.password, "logon")
        h.eq(r["final"], 401, "NTLM, nologin shell")
        svc.wait_for_log(verdict + r".*as user \"%s\".*\(NTLM\)" % re.escape(u.name), since=mark)
        svc.update({"Service/AllowNoLoginShells": True})
        svc.reload()
        h.eq(h.request(svc, h.IDENTIFY_ENV, auth=h.basic(u)).status, 200, "Basic, AllowNoLoginShells")
        r = client("raw", svc.url("HTTP"), u.name, u.password, "logon")
        h.eq(r["final"], 200, "NTLM, AllowNoLoginShells")
    finally:
        errors = []
        h._remove_user(u.name, errors)
        h.eq(errors, [], "removing %s" % u.name)


def test_a_negotiate_message_without_its_version_field():
    """The Ruby WinRM gem's NTLM (rubyntlm; Vagrant, Chef, test-kitchen)
    and Node's ntlm-client send a NEGOTIATE_MESSAGE without the Version
    field, which MS-NLMP allows and Windows accepts and gss-ntlmssp alone
    refuses: the service gives gss-ntlmssp the message with a zero Version,
    and the logon and a request on its connection go through."""
    svc = ntlm_service()
    u = h.user("a")
    li = svc.listener("HTTPS")
    r = subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(CLIENT), "ntlm_versionless.py"),
                        li.host, str(li.port), u.name, u.password],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=client_env(), timeout=60)
    h.eq(r.returncode, 0, "the client: %s" % r.stderr.decode(errors="replace")[-2000:])
    got = json.loads(r.stdout.decode().strip().splitlines()[-1])
    h.eq(got, {"negotiate": 401, "challenge": True, "authenticate": 200, "identify": 200,
               "vendor": True}, "a versionless NEGOTIATE_MESSAGE's logon")
    svc.wait_for_log(r"authentication success: .*as user \"%s\".*\(NTLM\)" % u.name)


def _tls_ending_proxy(target, directory):
    """A proxy on a free loopback port that ends TLS with a certificate of
    its own and opens its own TLS connection to target (host, port), as a
    TLS-inspecting middlebox does; (port, stop)."""
    import ssl
    import threading
    import pki
    cert = pki.CA(directory, "proxy-ca").server("proxy", ["127.0.0.1"])
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert.cert_path, cert.key_path)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname, client_ctx.verify_mode = False, ssl.CERT_NONE
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.5)
    stopping = threading.Event()

    def pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass

    def serve():
        while not stopping.is_set():
            try:
                raw, _ = listener.accept()
            except OSError:
                continue
            try:
                front = server_ctx.wrap_socket(raw, server_side=True)
                back = client_ctx.wrap_socket(socket.create_connection(target, timeout=30))
            except OSError:
                raw.close()
                continue
            threading.Thread(target=pump, args=(front, back), daemon=True).start()
            threading.Thread(target=pump, args=(back, front), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], lambda: (stopping.set(), listener.close())


def test_a_tls_ending_proxy_breaks_the_channel_binding_and_the_message_says_so():
    """Negotiate over HTTPS is bound to the service's certificate: through a
    proxy that ends TLS, the service refuses the logon, and winrs says it
    is the proxy, not the password."""
    import shutil
    import tempfile
    svc = ntlm_service()
    u = h.user("a")
    d = tempfile.mkdtemp(prefix="owt-proxy-")
    li = svc.listener("HTTPS")
    port, stop = _tls_ending_proxy((li.host, li.port), d)
    try:
        lsan = os.environ.get("LSAN_OPTIONS", "")
        r = h.winrs(["-r:https://127.0.0.1:%d" % port, "-skipCAcheck", "-u:" + u.name,
                     "-p:" + u.password, "-a:Negotiate", "hostname"],
                    env={"LSAN_OPTIONS": (lsan + ":" if lsan else "") + "fast_unwind_on_malloc=0"})
        err = r.stderr.decode(errors="replace")
        h.check(r.returncode != 0, "a logon through the proxy went through")
        h.check("channel binding" in err and "proxy" in err, "the message: %s" % err)
        svc.wait_for_log(r"authentication failure: .*scheme Negotiate")
    finally:
        stop()
        shutil.rmtree(d, True)
