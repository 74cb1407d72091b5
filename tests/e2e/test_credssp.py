"""CredSSP (MS-CSSP over HTTP, docs/authentication.md "CredSSP"): Debian's
pywinrm through tests/e2e/credssp_shim (Debian has no CredSSP client
library; the shim is written for these tests from MS-CSSP and pyspnego's
behaviour, independently of the service's C code) and our winrs log on
over HTTP, where every message is then encrypted with the CredSSP TLS
session (MS-WSMV 2.2.9.1.3), and over HTTPS. A logon that breaks the
protocol (a wrong binding, steps out of order, credentials of another
account, a wrong password) is refused and logged, and the service goes on
serving. The delegated password gives the user's shell the second hop:
a Kerberos TGT (KRB5CCNAME) and gss-ntlmssp's NTLM_USER_FILE, removed when
the last shell ends."""
import json
import os
import subprocess
import sys

import harness as h
import krb

SHIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "credssp_shim")
# Before pywinrm's first import, which looks for requests_credssp once.
sys.path.insert(0, SHIM)
CLIENT_ALLOWS = {"Client/Auth/CredSSP": "true", "Client/TrustedHosts": "127.0.0.1", "Client/AllowFreshCredentials": "WSMAN/*",
                 "Client/AllowFreshCredentialsWhenNTLMOnly": "WSMAN/*"}


def credssp_service(https=True, **settings):
    svc = h.Service(dict({"Service/Auth/CredSSP": "true"}, **settings), https=https, http=True)
    for role in ("a", "b", "out"):
        h.ntlm_password(svc, h.user(role))
    return svc.start()


def _session(url, u, password=None, **shim):
    """pywinrm's own Session with transport='credssp' (message encryption
    wherever pywinrm does it: HTTP), the shim told how to misbehave."""
    os.environ["OWT_CREDSSP_SHIM"] = json.dumps(shim)
    import winrm
    return winrm.Session(url, auth=(u.name, password or u.password), transport="credssp",
                         server_cert_validation="ignore", operation_timeout_sec=20,
                         read_timeout_sec=30)


def _run(url, u, command, *args, **shim):
    r = _session(url, u, **shim).run_cmd(command, list(args))
    return r.std_out.decode(errors="replace"), r.status_code


def test_pywinrm_credssp_http_encrypted_and_https():
    svc = credssp_service()
    a = h.user("a")
    for scheme in ("HTTP", "HTTPS"):
        mark = svc.log_mark()
        out, code = _run(svc.url(scheme), a, "id", "-un")
        h.eq((out.strip(), code), (a.name, 0), "pywinrm over %s" % scheme)
        svc.wait_for_log(r'authentication success: principal "%s" as user "%s" from 127\.0\.0\.1, '
                         r'scheme CredSSP \(NTLM\)' % (".*" + a.name, a.name), since=mark)
    # Over 16 KiB each way: multipart/x-multi-encrypted in both directions.
    big = "x" * 12000
    out, code = _run(svc.url("HTTP"), a, "printf", "%s%s%s", big, big, big)
    h.eq((len(out), code), (36000, 0), "long arguments and a long output over HTTP")


def test_winrs_credssp():
    svc = credssp_service()
    a = h.user("a")
    conf = h.client_config(CLIENT_ALLOWS)
    for scheme, extra in (("HTTP", []), ("HTTPS", ["-skipCAcheck"])):
        r = h.winrs(["-r:" + svc.url(scheme), "-a:CredSSP", "-u:" + a.name, "-p:" + a.password]
                    + extra + ["id -un; head -c 100000 /dev/zero | wc -c"], config_dir=conf)
        h.eq((r.stdout.decode(), r.returncode), ("%s\n100000\n" % a.name, 0),
             "winrs -a:CredSSP over %s: %s" % (scheme, r.stderr.decode(errors="replace")))


def _refused(svc, u, verdict, password=None, url=None, then=None, **shim):
    """A logon that must fail: the client gets a refusal, the log says
    verdict, and the service then admits a correct logon (of then, else
    u)."""
    import requests_credssp
    import winrm.exceptions as we
    mark = svc.log_mark()
    try:
        _session(url or svc.url("HTTP"), u, password, **shim).run_cmd("id", ["-un"])
    except (requests_credssp.AuthenticationException, we.InvalidCredentialsError,
            we.WinRMTransportError, we.WinRMError):
        pass
    else:
        raise h.TestFailure("admitted: %s" % (shim or "a wrong password"))
    svc.wait_for_log(verdict, since=mark)
    then = then or u
    out, code = _run(svc.url("HTTP"), then, "id", "-un")
    h.eq((out.strip(), code), (then.name, 0), "the next correct logon after %s" % verdict)


def test_refusals_logged_and_the_service_goes_on():
    svc = credssp_service()
    a, b = h.user("a"), h.user("b")
    step = r"authentication failure \(%s.*scheme CredSSP"
    _refused(svc, a, step % "pubKeyAuth does not bind this server's certificate",
             misbehave=["wrong_pub_key_auth"])
    _refused(svc, a, step % "a field that does not unseal", misbehave=["corrupt_pub_key_auth"])
    _refused(svc, a, step % "authInfo before pubKeyAuth", misbehave=["auth_info_before_pub_key"])
    _refused(svc, a, step % "authInfo before pubKeyAuth", misbehave=["skip_pub_key_auth"])
    _refused(svc, a, step % "authInfo with pubKeyAuth", misbehave=["auth_info_with_pub_key"])
    _refused(svc, a, step % "no clientNonce", misbehave=["omit_nonce"])
    _refused(svc, a, step % "the delegated credentials name another account",
             delegate=[b.name, b.password])
    _refused(svc, a, r"authentication refused: peer 127\.0\.0\.1, scheme CredSSP: not one TSRequest",
             misbehave=["trailing_byte"])
    _refused(svc, a, r"authentication failure \(.*\): principal .* scheme CredSSP \(",
             password="not-" + a.password)
    # An account PAM knows but no allowed group holds: the fault after
    # authentication, as for every scheme.
    out = h.user("out")
    _refused(svc, out, r'authentication not allowed \(in no allowed group\).*user "%s".*scheme CredSSP'
             % out.name, then=a)


def test_old_versions_bind_the_key_itself():
    """Versions 2 to 4 (no nonce: pubKeyAuth is the key, the server's
    answer its first byte plus one) are accepted, as Windows' services do
    by default (the fix of CVE-2018-0886 is the client's: ours refuses
    them)."""
    svc = credssp_service()
    a = h.user("a")
    for version in (2, 4):
        out, code = _run(svc.url("HTTP"), a, "id", "-un", version=version)
        h.eq((out.strip(), code), (a.name, 0), "a version %d client" % version)


def test_credssp_off_is_not_offered():
    svc = credssp_service(**{"Service/Auth/CredSSP": "false"})
    import requests
    r = requests.post(svc.url("HTTP"), data=b"", timeout=10)
    h.check("CredSSP" not in r.headers.get("WWW-Authenticate", ""),
            "not offered: %s" % r.headers.get("WWW-Authenticate"))
    mark = svc.log_mark()
    r = requests.post(svc.url("HTTP"), data=b"", headers={"Authorization": "CredSSP FgMBAA=="},
                      timeout=10)
    h.eq(r.status_code, 401, "a CredSSP leg while CredSSP is off")
    svc.wait_for_log(r'authentication refused: peer 127\.0\.0\.1 scheme "CredSSP"', since=mark)


def test_garbage_in_the_channel_refused():
    """A token that is no TLS record, and one that is not base64, end the
    logon with a 401 and a log line; the service goes on."""
    import requests
    svc = credssp_service()
    a = h.user("a")
    for token, why in (("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "the TLS channel failed"),
                       ("not*base64", "a header without a usable token")):
        mark = svc.log_mark()
        r = requests.post(svc.url("HTTP"), data=b"", headers={"Authorization": "CredSSP " + token},
                          timeout=10)
        h.eq(r.status_code, 401, "CredSSP %s" % token)
        svc.wait_for_log(r"authentication refused: peer 127\.0\.0\.1, scheme CredSSP: %s" % why,
                         since=mark)
    out, code = _run(svc.url("HTTP"), a, "id", "-un")
    h.eq((out.strip(), code), (a.name, 0), "a good logon after the garbage")



def _processes_under(root):
    """root and every process descended from it."""
    parents = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    parents[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    found, todo = [], [root]
    while todo and len(found) < 1000:
        pid = todo.pop()
        found.append(pid)
        todo.extend(p for p, pp in parents.items() if pp == pid)
    return found


def _memory_holds(pid, secret):
    """Whether secret is anywhere in pid's writable memory (as root). A
    mapping over 1 GiB is AddressSanitizer's shadow (or its reservations),
    which holds no program data: skipped."""
    chunk = 16 << 20
    try:
        with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
            for line in maps:
                span, perms = line.split()[:2]
                lo, hi = (int(x, 16) for x in span.split("-"))
                if not perms.startswith("rw") or hi - lo > (1 << 30):
                    continue
                tail = b""
                for at in range(lo, hi, chunk):
                    try:
                        mem.seek(at)
                        data = tail + mem.read(min(chunk, hi - at))
                    except (OSError, ValueError):
                        tail = b""
                        continue
                    if secret in data:
                        i = data.find(secret)
                        return "%s at %#x: %r" % (line.strip(), at + i - len(tail),
                                                  data[max(0, i - 48):i + len(secret) + 48])
                    tail = data[-len(secret):]
    except OSError:
        return False
    return False


def _delegated_file(svc, what):
    """The path of the delegated credentials' file the host logged (what:
    "Kerberos ticket" or "NTLM credentials")."""
    line = svc.wait_for_log(r"host: %s for .* in /" % what)
    return line.rsplit(" in ", 1)[1].strip()


def test_second_hop_with_a_kerberos_ticket_from_the_delegated_password():
    """A CredSSP logon (NTLM inside) gives the user's shell a TGT got with
    the delegated password: klist shows it, and a winrs -a:Kerberos run in
    the shell reaches a second winrmd as the user. The ticket cache, the
    user's alone, is removed when the shell ends."""
    a = h.user("a")
    with krb.Realm() as realm:
        realm.add_user(a.name, a.password)
        first = realm.http_service(name="first", settings={"Service/Auth/CredSSP": "true"})
        h.ntlm_password(first, a)
        second = realm.http_service(name="second")
        hop = ("KRB5_CONFIG=%s %s --config-dir %s -r:%s -a:Kerberos 'echo second hop as $(id -un)'"
               % (realm.krb5_conf, h.run_copy("winrs"), h.client_config(),
                  krb.localhost(second.url("HTTP"))))
        protocol = _session(first.url("HTTP"), a).protocol
        shell = protocol.open_shell()
        # The host asks the KDC in a child; the command waits for the ticket.
        cache = _delegated_file(first, "Kerberos ticket")
        command = protocol.run_command(
            shell, "KRB5_CONFIG=%s klist; echo $KRB5CCNAME; stat -c %%u:%%a %s; %s"
            % (realm.krb5_conf, cache, hop))
        stdout, stderr, code = protocol.get_command_output(shell, command)
        protocol.cleanup_command(shell, command)
        out = stdout.decode(errors="replace")
        h.eq(code, 0, "the second hop: %s%s" % (out, stderr.decode(errors="replace")))
        h.check("Default principal: %s@%s" % (a.name, realm.realm) in out, out)
        h.check("krbtgt/%s@%s" % (realm.realm, realm.realm) in out, out)
        h.check("FILE:%s\n%d:600\n" % (cache, a.uid) in out,
                "the commands' KRB5CCNAME names the cache, the user's alone: %s" % out)
        h.check("second hop as %s\n" % a.name in out, out)
        second.wait_for_log(r'authentication success: principal "%s@%s" as user "%s".*\(Kerberos\)'
                            % (a.name, realm.realm, a.name))
        protocol.close_shell(shell)
        h.check(h.wait_until(lambda: not os.path.exists(cache), 10),
                "the ticket cache is removed when the last shell ends")


def _host_memfds(svc):
    """The memfds of svc's hosts, by name."""
    names = []
    for pid in _processes_under(svc.proc.pid):
        try:
            if b"--role=host" not in open("/proc/%d/cmdline" % pid, "rb").read():
                continue
            for fd in os.listdir("/proc/%d/fd" % pid):
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                if target.startswith("/memfd:"):
                    names.append(target)
        except OSError:
            pass
    return names


def test_ntlm_onward_and_the_password_nowhere_else():
    """Without a realm, the delegated password is offered to gss-ntlmssp
    only, from the host's memory: the commands inherit a sealed memfd that
    NTLM_USER_FILE names, which a winrs -a:Negotiate with no credentials
    in the shell uses to reach a second winrmd as the user. It is gone
    when the shell ends. The password appears in no log line, in no file
    the service keeps or /dev/shm, and in the memory of no winrmd process
    (the network process that carried it sealed included) once the shell
    is gone."""
    a = h.user("a")
    first = credssp_service(https=False)
    second = credssp_service(https=False)
    conf = h.client_config({"Client/TrustedHosts": "127.0.0.1"})
    os.chmod(os.path.join(conf, "winrm.conf"), 0o644)
    # No user, no password: GSSAPI's default credentials, which gss-ntlmssp
    # finds in NTLM_USER_FILE.
    hop = ("%s --config-dir %s -r:%s -a:Negotiate 'echo second hop as $(id -un)'"
           % (h.run_copy("winrs"), conf, second.url("HTTP")))
    protocol = _session(first.url("HTTP"), a).protocol
    shell = protocol.open_shell()
    command = protocol.run_command(shell, "echo $NTLM_USER_FILE; " + hop)
    stdout, stderr, code = protocol.get_command_output(shell, command)
    out = stdout.decode(errors="replace")
    h.eq(code, 0, "NTLM onward: %s%s" % (out, stderr.decode(errors="replace")))
    h.check(out.startswith("/proc/self/fd/4\n"), "NTLM_USER_FILE names the inherited memfd: %s" % out)
    h.check("second hop as %s\n" % a.name in out, out)
    second.wait_for_log(r'authentication success: principal ".*%s" as user "%s".*scheme Negotiate \(NTLM\)'
                        % (a.name, a.name))
    h.eq(_host_memfds(first), ["/memfd:winrmd-delegated-ntlm (deleted)"], "the host holds it")
    protocol.cleanup_command(shell, command)
    protocol.close_shell(shell)
    h.check(h.wait_until(lambda: not _host_memfds(first), 10),
            "the NTLM memfd is closed when the last shell ends")
    secret = a.password.encode()
    places = [os.path.join(svc.dir, "winrmd.log") for svc in (first, second)]
    places += [os.path.join(root, name) for svc in (first, second)
               for root, _, files in os.walk(svc.conf_dir) for name in files]
    places += [os.path.join("/dev/shm", name) for name in os.listdir("/dev/shm")]
    for path in places:
        try:
            with open(path, "rb") as f:
                h.check(secret not in f.read(), "the password in %s" % path)
        except OSError:
            pass
    for pid in _processes_under(first.proc.pid):
        found = _memory_holds(pid, secret)
        h.check(not found, "the password in the memory of pid %d (%s; the service is %d): %s"
                % (pid, open("/proc/%d/cmdline" % pid, "rb").read().replace(b"\0", b" ")[:80],
                   first.proc.pid, found))


def _credssp_certificate(url, u):
    """The DER certificate the service presented in the CredSSP channel
    of a logon to url."""
    session = _session(url, u)
    session.protocol.close_shell(session.protocol.open_shell())
    return session.protocol.transport.session.auth.context.tls.getpeercert(binary_form=True)


def test_the_certificate_credssp_presents():
    """Over HTTPS, the listener's certificate; over HTTP, one made in
    memory (self-signed, for this host's name, the same for every logon),
    or the HTTPS listener's whose thumbprint Service/CertificateThumbprint
    gives."""
    from cryptography import x509
    a = h.user("a")
    svc = credssp_service()
    with open(os.path.join(svc.conf_dir, "cert.pem"), "rb") as f:
        listener = x509.load_pem_x509_certificate(f.read())
    listener_der = listener.public_bytes(serialization_der())
    h.eq(_credssp_certificate(svc.url("HTTPS"), a), listener_der, "CredSSP over HTTPS")
    made = x509.load_der_x509_certificate(_credssp_certificate(svc.url("HTTP"), a))
    h.check(made.issuer == made.subject and made.public_key().key_size == 2048,
            "a self-signed RSA 2048 certificate: %s" % made.subject)
    h.eq(made.subject.rfc4514_string(), "CN=" + os.uname().nodename, "for this host's name")
    h.eq(x509.load_der_x509_certificate(_credssp_certificate(svc.url("HTTP"), a)), made,
         "the same certificate for the next logon")
    thumbprint = listener.fingerprint(hashes_sha1()).hex().upper()
    svc.update({"Service/CertificateThumbprint": thumbprint})
    svc.reload()
    h.eq(_credssp_certificate(svc.url("HTTP"), a), listener_der,
         "CredSSP over HTTP with Service/CertificateThumbprint %s" % thumbprint)


def serialization_der():
    from cryptography.hazmat.primitives import serialization
    return serialization.Encoding.DER


def hashes_sha1():
    from cryptography.hazmat.primitives import hashes
    return hashes.SHA1()


def test_kerberos_inside_credssp():
    """SPNEGO inside CredSSP carries Kerberos (the AP-REP answered, then
    pubKeyAuth in a TSRequest of its own): the logon is the Kerberos
    principal's, mapped to the account. (Our own client, as Negotiate,
    chooses Kerberos only for a host name in a realm, never localhost,
    which is all the test realm's service answers to.)"""
    a = h.user("a")
    with krb.Realm() as realm:
        realm.add_user(a.name, a.password)
        svc = realm.http_service(settings={"Service/Auth/CredSSP": "true"})
        url = krb.localhost(svc.url("HTTP"))
        os.environ.update(realm.env())  # the shim runs in this process
        out, code = _run(url, a, "id", "-un", auth_mechanism="kerberos")
        h.eq((out.strip(), code), (a.name, 0), "the shim with Kerberos inside")
        svc.wait_for_log(r'authentication success: principal "%s@%s" as user "%s" .*scheme CredSSP '
                         r'\(Kerberos\)' % (a.name, realm.realm, a.name))


def test_winrs_credssp_second_hop_both_ways():
    """The acceptance of issue 13: winrs -a:CredSSP to a winrmd, over HTTPS
    and over HTTP (every message encrypted, the output over 16 KiB), and
    inside that command a winrs -a:Negotiate (NTLM, from the delegated
    password in memory) and a kinit-free winrs -a:Kerberos (the TGT the
    host got with it) to a second winrmd both log on as the user."""
    a = h.user("a")
    with krb.Realm() as realm:
        realm.add_user(a.name, a.password)
        first = realm.http_service(https=True, settings={"Service/Auth/CredSSP": "true"})
        second = realm.http_service(name="second")
        for svc in (first, second):
            h.ntlm_password(svc, a)
        inner = h.client_config({"Client/TrustedHosts": "127.0.0.1,localhost"})
        os.chmod(os.path.join(inner, "winrm.conf"), 0o644)
        winrs = h.run_copy("winrs")
        script = ("export KRB5_CONFIG=%s; i=0; until klist -s || [ $i -ge 100 ]; do sleep 0.1; "
                  "i=$((i+1)); done; "
                  "%s --config-dir %s -r:%s -a:Negotiate 'echo ntlm hop as $(id -un)'; "
                  "%s --config-dir %s -r:%s -a:Kerberos 'echo kerberos hop as $(id -un)'; "
                  "head -c 40000 /dev/zero | tr '\\0' x"
                  % (realm.krb5_conf, winrs, inner, second.url("HTTP"), winrs, inner,
                     krb.localhost(second.url("HTTP"))))
        outer = h.client_config(CLIENT_ALLOWS)
        for scheme, extra in (("HTTPS", ["-skipCAcheck"]), ("HTTP", [])):
            mark = second.log_mark()
            r = h.winrs(["-r:" + first.url(scheme), "-a:CredSSP", "-u:" + a.name, "-p:" + a.password]
                        + extra + [script], config_dir=outer)
            out = r.stdout.decode(errors="replace")
            h.eq(r.returncode, 0, "over %s: %s%s" % (scheme, out[:2000], r.stderr.decode(errors="replace")))
            h.check("ntlm hop as %s\n" % a.name in out, out[:2000])
            h.check("kerberos hop as %s\n" % a.name in out, out[:2000])
            h.eq(out.count("x"), 40000, "the output over 16 KiB, over %s" % scheme)
            second.wait_for_log(r'authentication success: principal ".*%s" as user "%s".*scheme '
                                r'Negotiate \(NTLM\)' % (a.name, a.name), since=mark)
            second.wait_for_log(r'authentication success: principal "%s@%s" as user "%s".*scheme '
                                r'Kerberos \(Kerberos\)' % (a.name, realm.realm, a.name), since=mark)
