"""Kerberos with a real MIT KDC (krb.py) on loopback. Debian's pywinrm
(requests_kerberos, pykerberos) over HTTPS and our winrs -a:Kerberos over
HTTP with every message sealed, the service accepting with its keytab
(Service/Auth/Keytab) for HTTP/localhost (Service/Auth/ServicePrincipalNames);
winrs -ad and the second hop; and the refusals: an expired ticket, a ticket
for another service principal, a principal with no local account, an
outsider, and over HTTP a request that is not sealed. Debian 12's
pykerberos 1.1.14 has no authGSSWinRMEncryptMessage, so with it pywinrm
cannot seal Kerberos messages: message_encryption='always' is refused by
pywinrm itself, and 'auto' over HTTP sends plain SOAP, which the service
refuses as Windows does. Sealed Kerberos over HTTP with pywinrm is tested
in test_pywinrm_kerberos_sealed.py, with pykerberos_gssapi/kerberos.py
(pykerberos' API plus 1.2.1's WinRM functions, on python3-gssapi) standing
in for pykerberos."""
import os
import re
import secrets
import shutil
import subprocess
import time

import harness as h
import krb
from krb import localhost


def pywinrm(url, env, *argv, encryption="auto"):
    """pywinrm's kerberos transport with the caller's ticket cache."""
    code = ("import json,sys,winrm\n"
            "s=winrm.Session(sys.argv[1],auth=(None,None),transport='kerberos',"
            "message_encryption=sys.argv[2],server_cert_validation='ignore')\n"
            "r=s.run_cmd(sys.argv[3],sys.argv[4:])\n"
            "print(json.dumps({'status':r.status_code,'out':r.std_out.decode(errors='replace')[:200],"
            "'len':len(r.std_out)}))\n")
    return subprocess.run(["/usr/bin/python3", "-c", code, url, encryption] + list(argv),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=dict(os.environ, **env), timeout=120)


def test_pywinrm_kerberos_https_and_unsealed_http_refused():
    a = h.user("a")
    with krb.Realm() as realm:
        svc = realm.http_service(https=True)
        env = realm.login(a.name)
        r = pywinrm(localhost(svc.url("HTTPS")), env, "id", "-un")
        h.eq(r.returncode, 0, "pywinrm kerberos: %s" % r.stderr.decode(errors="replace")[-2000:])
        h.check(('"out": "%s\\n"' % a.name) in r.stdout.decode(), r.stdout.decode())
        svc.wait_for_log(r"authentication success: principal \"%s@%s\" as user \"%s\".*\(Kerberos\)"
                         % (a.name, realm.realm, a.name))
        r = pywinrm(localhost(svc.url("HTTPS")), env, "head", "-c", "10485760", "/dev/zero")
        h.eq(r.returncode, 0, "10 MB: %s" % r.stderr.decode(errors="replace")[-2000:])
        h.check('"len": 10485760' in r.stdout.decode(), r.stdout.decode())
        mark = svc.log_mark()
        r = pywinrm(localhost(svc.url("HTTP")), env, "true")
        # pywinrm sends its raw krb5 token under "Negotiate"; Windows answers
        # plain SOAP on a Kerberos logon with 500 whatever the scheme
        # (pywinrm #129), which pywinrm reports as a bad HTTP response.
        h.check(r.returncode != 0, "plain SOAP over HTTP ran a command")
        h.check("Code 500" in r.stderr.decode(errors="replace"),
                "500 for a Kerberos logon: %s" % r.stderr.decode(errors="replace")[-1500:])
        svc.wait_for_log(r"refused: not encrypted on an HTTP connection", since=mark)


RAW_LOGON = r"""
import http.client, sys, kerberos
port, service, scheme, then = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
rc, ctx = kerberos.authGSSClientInit(service)
kerberos.authGSSClientStep(ctx, "")
c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
h = {"Content-Type": "application/soap+xml;charset=UTF-8"}
c.request("POST", "/wsman", body=b"",
          headers=dict(h, Authorization=scheme + " " + kerberos.authGSSClientResponse(ctx)))
r = c.getresponse(); r.read()
print(r.status, r.getheader("WWW-Authenticate", "").replace(",", " ").split(" ")[0])
for body in then:
    c.request("POST", "/wsman", body=body.encode(), headers=h)
    r = c.getresponse(); r.read()
    print(r.status)
"""


def raw_logon(svc, env, service, scheme="Negotiate", then=()):
    """An empty POST with a ticket for service ("HTTP@host") under scheme on
    the HTTP listener, then each body of then, plain, on that connection:
    the statuses (the first with the scheme of the reply's token)."""
    r = subprocess.run(["/usr/bin/python3", "-c", RAW_LOGON, str(svc.listener("HTTP").port), service,
                        scheme] + list(then), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, **env), timeout=60)
    h.eq(r.returncode, 0, "the raw client: %s" % r.stderr.decode(errors="replace")[-1500:])
    return r.stdout.decode().splitlines()


def test_kerberos_refusals():
    a, out = h.user("a"), h.user("out")
    with krb.Realm() as realm:
        svc = realm.http_service(https=True)
        # Another service's key in the same keytab: its tickets decrypt,
        # but this service does not answer to that name.
        realm.add_service("HTTP/elsewhere.test", realm.http_keytab)
        url = localhost(svc.url("HTTPS"))

        mark = svc.log_mark()
        env = realm.login(a.name)
        # A ticket for HTTP/elsewhere.test presented to this service.
        h.eq(raw_logon(svc, env, "HTTP@elsewhere.test"), ["401 Negotiate"], "another SPN")
        svc.wait_for_log(r"a ticket for another service principal", since=mark)

        # An outsider: authenticated, then access denied.
        mark = svc.log_mark()
        env = realm.login(out.name)
        r = pywinrm(url, env, "true")
        h.check(r.returncode != 0, "an outsider ran a command")
        svc.wait_for_log(r"authentication not allowed .*as user \"%s\"" % out.name, since=mark)

        # A principal that maps to no local account.
        mark = svc.log_mark()
        nobody = "owt_nobody_" + secrets.token_hex(3)  # a principal with no local account
        r = pywinrm(url, realm.login(nobody), "true")
        h.check(r.returncode != 0, "a principal without an account ran a command")
        svc.wait_for_log(r"failure \(no passwd entry for the account\): principal \"%s@" % nobody,
                         since=mark)

        # An expired ticket (the realm's clock skew is 5 s).
        mark = svc.log_mark()
        env = realm.login(a.name, lifetime="2s")
        subprocess.run(["kvno", "HTTP/localhost"], env=dict(os.environ, **env), timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(9)
        r = pywinrm(url, env, "true")
        h.check(r.returncode != 0, "an expired ticket ran a command")
        h.check(svc.alive(), "winrmd died")
        r = pywinrm(url, realm.login(a.name), "true")
        h.eq(r.returncode, 0, "a fresh ticket after the refusals: %s" % r.stderr.decode(errors="replace")[-1500:])


def test_winrs_kerberos_http_sealed_and_the_second_hop():
    """winrs -a:Kerberos over HTTP (every message sealed: the service
    refuses plain SOAP there); without -ad the remote command has no
    ticket; with -ad klist shows the forwarded TGT and a winrs run inside
    the remote command reaches a second winrmd with Kerberos."""
    a = h.user("a")
    with krb.Realm() as realm:
        first = realm.http_service(name="first")
        second = realm.http_service(name="second")
        env = realm.login(a.name)
        base = ["-r:" + localhost(first.url("HTTP")), "-a:Kerberos"]

        r = h.winrs(base + ["id -un; head -c 5000000 /dev/zero | wc -c"], env=env)
        h.eq((r.stdout.decode(), r.returncode), ("%s\n5000000\n" % a.name, 0),
             "winrs -a:Kerberos: %s" % r.stderr.decode(errors="replace"))
        first.wait_for_log(r"authentication success: principal \"%s@%s\" as user \"%s\".*\(Kerberos\)"
                           % (a.name, realm.realm, a.name))
        # Identify with -a:Kerberos authenticates from the ticket cache
        # (anonymous only without -a and credentials).
        mark = first.log_mark()
        r = subprocess.run([h.client_path("winrm"), "id", "--config-dir", h.client_config(),
                            "-r:" + localhost(first.url("HTTP")), "-a:Kerberos"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=dict(os.environ, **env), timeout=60)
        h.eq(r.returncode, 0, "winrm id -a:Kerberos: %s" % r.stderr.decode(errors="replace"))
        first.wait_for_log(r"authentication success: principal \"%s@" % a.name, since=mark)

        # The nested winrs runs as the user in the remote command, whose
        # environment the service builds: it names the realm's krb5.conf
        # itself, and a client configuration readable by the user.
        hop = ("KRB5_CONFIG=%s %s --config-dir %s -r:%s -a:Kerberos 'echo second hop as $(id -un)'"
               % (realm.krb5_conf, h.run_copy("winrs"), h.client_config(), localhost(second.url("HTTP"))))
        r = h.winrs(base + ["klist; " + hop], env=env)
        h.check(r.returncode != 0, "a second hop without delegated tickets: %s" % r.stdout.decode())
        h.check("second hop as" not in r.stdout.decode(), r.stdout.decode())
        h.check("found no usable Kerberos ticket" in r.stderr.decode(errors="replace"),
                "the nested winrs says why: %s" % r.stderr.decode(errors="replace"))

        r = h.winrs(base + ["-ad", "klist -f; " + hop], env=env)
        out = r.stdout.decode(errors="replace")
        h.eq(r.returncode, 0, "winrs -ad: %s%s" % (out, r.stderr.decode(errors="replace")))
        h.check("Default principal: %s@%s" % (a.name, realm.realm) in out, out)
        h.check("krbtgt/%s@%s" % (realm.realm, realm.realm) in out, out)
        h.check(re.search(r"Flags: \S*f", out), "the TGT is marked forwarded: %s" % out)
        h.check("second hop as %s\n" % a.name in out, out)
        line = first.wait_for_log(r"forwarded Kerberos tickets stored in ")
        st = os.stat(line.split("stored in ", 1)[1].strip())
        h.eq((st.st_uid, st.st_mode & 0o777), (a.uid, 0o600), "the stored tickets: the user's alone")
        second.wait_for_log(r"authentication success: principal \"%s@%s\" as user \"%s\".*\(Kerberos\)"
                            % (a.name, realm.realm, a.name))


def test_forwarded_tickets_replaced_while_a_command_reads_them():
    """Each logon with -ad forwards tickets again. A command of the user's
    that reads the cache meanwhile always finds a whole cache of the
    user's: krb5 re-creates a ccache as its writer (root), so the service
    writes it aside and renames it into place (before that, a reader
    could meet root's file: "Credentials cache permissions incorrect")."""
    a = h.user("a")
    with krb.Realm() as realm:
        svc = realm.http_service()
        env = realm.login(a.name)
        base = ["-r:" + localhost(svc.url("HTTP")), "-a:Kerberos", "-ad"]
        reader = subprocess.Popen(
            [h.client_path("winrs"), "--config-dir", h.client_config()]
            + base + ["n=0; for i in $(seq 400); do klist -s || n=$((n+1)); done; echo unreadable=$n"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, **env))
        try:
            deadline = time.monotonic() + 60
            logons = 0
            while reader.poll() is None and logons < 40 and time.monotonic() < deadline:
                r = h.winrs(base + ["true"], env=env)
                h.eq(r.returncode, 0, "a logon forwarding tickets: %s" % r.stderr.decode(errors="replace"))
                logons += 1
            out, err = reader.communicate(timeout=120)
        finally:
            if reader.poll() is None:
                reader.kill()
                reader.wait()
        h.check(logons >= 2, "the reader ended before tickets were forwarded again (%d logons)" % logons)
        h.eq((out.decode(errors="replace"), reader.returncode), ("unreadable=0\n", 0),
             "the cache as the command saw it: %s" % err.decode(errors="replace"))


def test_kerberos_scheme_plain_soap_over_http_refused():
    """Under the "Kerberos" scheme (not "Negotiate") an authenticated HTTP
    connection that then sends plain SOAP gets 500, as Windows answers;
    the handshake itself (an empty body) succeeds."""
    a = h.user("a")
    with krb.Realm() as realm:
        svc = realm.http_service()
        env = realm.login(a.name)
        h.eq(raw_logon(svc, env, "HTTP@localhost", "Kerberos", [h.create_env()]), ["200 Kerberos", "500"],
             "handshake, then plain SOAP")
        svc.wait_for_log(r"refused: not encrypted on an HTTP connection")
        h.check(svc.alive(), "winrmd died")


def test_kerberos_this_machines_names():
    """With no ServicePrincipalNames the service answers to HTTP/ with this
    machine's name, short and fully qualified, as Windows registers both;
    not to another name in its keytab (here HTTP/localhost)."""
    import socket
    short = socket.gethostname()
    try:
        fqdn = socket.getaddrinfo(short, None, flags=socket.AI_CANONNAME)[0][3] or short
    except OSError:  # a host name that does not resolve: the service keeps the short one
        fqdn = short
    a = h.user("a")
    with krb.Realm() as realm:
        realm.add_service("HTTP/localhost", realm.http_keytab)
        for name in sorted({short, fqdn}):
            realm.add_service("HTTP/" + name, realm.http_keytab)
        svc = h.Service({"Service/Auth/Keytab": realm.http_keytab}, https=False, http=True,
                        env=realm.env()).start()
        env = realm.login(a.name)
        for name in sorted({short, fqdn}):
            h.eq(raw_logon(svc, env, "HTTP@" + name), ["200 Negotiate"], "a ticket for HTTP/" + name)
        h.eq(raw_logon(svc, env, "HTTP@localhost"), ["401 Negotiate"], "HTTP/localhost, not configured")
        svc.wait_for_log(r"a ticket for another service principal")


def test_winrs_kerberos_https_channel_binding_strict():
    """winrs -a:Kerberos over HTTPS binds the logon to the TLS connection
    (RFC 5929 tls-server-end-point, in the authenticator's checksum), as
    Windows' client does, so CbtHardeningLevel Strict, which refuses a
    logon without a binding, lets it in."""
    a = h.user("a")
    with krb.Realm() as realm:
        svc = realm.http_service(https=True)
        svc.update({"Service/Auth/CbtHardeningLevel": "Strict"})
        svc.reload()
        mark = svc.log_mark()
        r = h.winrs(["-r:" + localhost(svc.url("HTTPS")), "-skipCAcheck", "-skipCNcheck", "-a:Kerberos",
                     "id -un"], env=realm.login(a.name))
        h.eq((r.stdout.decode(), r.returncode), ("%s\n" % a.name, 0),
             "winrs -a:Kerberos over HTTPS under Strict: %s" % r.stderr.decode(errors="replace"))
        svc.wait_for_log(r"authentication success: principal \"%s@%s\" as user \"%s\".*\(Kerberos\)"
                         % (a.name, realm.realm, a.name), since=mark)


def test_an_unreadable_krb5_conf_is_named_in_the_log():
    """The service account cannot read the Kerberos configuration: the log
    says so, naming the file, not GSSAPI's status numbers."""
    a = h.user("a")
    with krb.Realm() as realm:
        private = os.path.join(realm.dir, "krb5-root-only.conf")
        shutil.copy(realm.krb5_conf, private)
        os.chmod(private, 0o600)
        realm.add_service("HTTP/localhost", realm.http_keytab)
        svc = h.Service({"Service/Auth/Keytab": realm.http_keytab,
                         "Service/Auth/ServicePrincipalNames": "HTTP/localhost"},
                        env={"KRB5_CONFIG": private}).start()
        r = h.winrs(["-r:" + localhost(svc.url("HTTPS")), "-a:Kerberos", "-skipCAcheck", "hostname"],
                    env=realm.login(a.name))
        h.check(r.returncode != 0, "a logon went through without the Kerberos configuration")
        svc.wait_for_log(r"permission denied reading %s, the Kerberos configuration: the service "
                         r"account must be able to read it" % re.escape(private))
        h.check("GSSAPI status" not in svc.log_text(), "numbers in the log")
