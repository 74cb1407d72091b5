"""Kerberos with a real MIT KDC (krb.py) on loopback: Debian's pywinrm
(requests_kerberos, pykerberos) over HTTPS, the
service accepting with its keytab (Service/Auth/Keytab) for HTTP/localhost
(Service/Auth/ServicePrincipalNames), and the refusals: an expired ticket,
a ticket for another service principal, a principal with no local account,
an outsider, and over HTTP a
request that is not sealed. Debian 12's pykerberos 1.1.14 has no
authGSSWinRMEncryptMessage, so its pywinrm cannot seal Kerberos messages:
message_encryption='always' is refused by pywinrm itself, and 'auto' over
HTTP sends plain SOAP, which the service refuses as Windows does."""
import os
import secrets
import subprocess
import time

import harness as h
import krb


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


def localhost(url):
    return url.replace("127.0.0.1", "localhost")


def test_pywinrm_kerberos_https_and_unsealed_http_refused():
    a = h.user("a")
    pw = "K" + secrets.token_urlsafe(12)
    with krb.Realm() as realm:
        keytab = os.path.join(realm.dir, "http.keytab")
        realm.add_service("HTTP/localhost", keytab)
        realm.add_user(a.name, pw)
        svc = h.Service({"Service/Auth/Keytab": keytab,
                         "Service/Auth/ServicePrincipalNames": "HTTP/localhost"},
                        https=True, http=True, env=realm.env()).start()
        env = realm.kinit(a.name, pw, os.path.join(realm.dir, "cc-a"))
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
        # pywinrm sends its raw krb5 token under "Negotiate": 401, as Windows.
        h.check(r.returncode != 0, "plain SOAP over HTTP ran a command")
        svc.wait_for_log(r"refused: not encrypted on an HTTP connection", since=mark)


def test_kerberos_refusals():
    a, out = h.user("a"), h.user("out")
    pw = "K" + secrets.token_urlsafe(12)
    with krb.Realm() as realm:
        keytab = os.path.join(realm.dir, "http.keytab")
        realm.add_service("HTTP/localhost", keytab)
        # Another service's key in the same keytab: its tickets decrypt,
        # but this service does not answer to that name.
        realm.add_service("HTTP/elsewhere.test", keytab)
        realm.add_user(a.name, pw)
        realm.add_user(out.name, pw)
        nobody = "owt_nobody_" + secrets.token_hex(3)  # a principal with no local account
        realm.add_user(nobody, pw)
        svc = h.Service({"Service/Auth/Keytab": keytab,
                         "Service/Auth/ServicePrincipalNames": "HTTP/localhost"},
                        https=True, http=True, env=realm.env()).start()
        url = localhost(svc.url("HTTPS"))

        mark = svc.log_mark()
        env = realm.kinit(a.name, pw, os.path.join(realm.dir, "cc-other"))
        # A ticket for HTTP/elsewhere.test presented to this service.
        code = ("import base64,http.client,sys,kerberos\n"
                "rc,ctx=kerberos.authGSSClientInit('HTTP@elsewhere.test')\n"
                "kerberos.authGSSClientStep(ctx,'')\n"
                "tok=kerberos.authGSSClientResponse(ctx)\n"
                "c=http.client.HTTPConnection('127.0.0.1',int(sys.argv[1]),timeout=20)\n"
                "c.request('POST','/wsman',body=b'',headers={'Authorization':'Negotiate '+tok,"
                "'Content-Type':'application/soap+xml;charset=UTF-8'})\n"
                "print(c.getresponse().status)\n")
        port = svc.listener("HTTP").port
        r = subprocess.run(["/usr/bin/python3", "-c", code, str(port)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=dict(os.environ, **env), timeout=60)
        h.eq(r.stdout.decode().strip(), "401", "another SPN: %s" % r.stderr.decode(errors="replace")[-1500:])
        svc.wait_for_log(r"a ticket for another service principal", since=mark)

        # An outsider: authenticated, then access denied.
        mark = svc.log_mark()
        env = realm.kinit(out.name, pw, os.path.join(realm.dir, "cc-out"))
        r = pywinrm(url, env, "true")
        h.check(r.returncode != 0, "an outsider ran a command")
        svc.wait_for_log(r"authentication not allowed .*as user \"%s\"" % out.name, since=mark)

        # A principal that maps to no local account.
        mark = svc.log_mark()
        r = pywinrm(url, realm.kinit(nobody, pw, os.path.join(realm.dir, "cc-nobody")), "true")
        h.check(r.returncode != 0, "a principal without an account ran a command")
        svc.wait_for_log(r"failure \(no passwd entry for the account\): principal \"%s@" % nobody,
                         since=mark)

        # An expired ticket (the realm's clock skew is 5 s).
        mark = svc.log_mark()
        env = realm.kinit(a.name, pw, os.path.join(realm.dir, "cc-short"), lifetime="2s")
        subprocess.run(["kvno", "HTTP/localhost"], env=dict(os.environ, **env), timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(9)
        r = pywinrm(url, env, "true")
        h.check(r.returncode != 0, "an expired ticket ran a command")
        h.check(svc.alive(), "winrmd died")
        r = pywinrm(url, realm.kinit(a.name, pw, os.path.join(realm.dir, "cc-fresh")), "true")
        h.eq(r.returncode, 0, "a fresh ticket after the refusals: %s" % r.stderr.decode(errors="replace")[-1500:])
