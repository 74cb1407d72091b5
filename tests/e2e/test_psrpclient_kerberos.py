"""libpsrpclient with Kerberos under the real pwsh, against winrmd and a
real MIT KDC (krb.py) on loopback, over HTTP: every message sealed (the
service refuses plain SOAP over HTTP, so a command that runs was
encrypted). -Authentication Kerberos with the caller's ticket cache, and
with -Credential (the password gets the ticket). Negotiate to localhost
is NTLM, as Windows chooses it (Kerberos only for a host name in a
realm): test_psrpclient.test_invoke_command_negotiate_over_http, and
test_psrpclient_errors for Negotiate without credentials."""
import os

import harness as h
import krb
import test_psrpclient as pc

SCRIPT = "{ [Environment]::UserName; id -un }"


def _invoke(svc, auth, credential=""):
    return ("Invoke-Command -ComputerName localhost -Port %d -Authentication %s %s-ScriptBlock %s"
            % (svc.listener("HTTP").port, auth, credential, SCRIPT))


def _kerberos_logon(svc, realm, u, since):
    svc.wait_for_log(r"authentication success: principal \"%s@%s\" as user \"%s\".*\(Kerberos\)"
                     % (u.name, realm.realm, u.name), since=since)


def test_invoke_command_kerberos_sealed_over_http():
    a = h.user("a")
    with krb.Realm() as realm:
        svc = realm.http_service()
        env = realm.login(a.name)
        mark = svc.log_mark()
        r = pc.pwsh(_invoke(svc, "Kerberos"), a, env=env)
        h.eq((r.stdout.split(), r.returncode), ([a.name, a.name], 0),
             "Invoke-Command -Authentication Kerberos with the ticket cache (%s)" % pc._said(r)[-2000:])
        _kerberos_logon(svc, realm, a, mark)

        # No ticket: the credential's password gets one (the realm's password).
        mark = svc.log_mark()
        no_cache = dict(realm.env(), KRB5CCNAME="FILE:" + os.path.join(realm.dir, "cc-none-%d" % os.getpid()),
                        OWT_PASS=realm._passwords[a.name])
        r = pc.pwsh(_invoke(svc, "Kerberos", "-Credential $cred "), a, env=no_cache)
        h.eq((r.stdout.split(), r.returncode), ([a.name, a.name], 0),
             "Invoke-Command -Authentication Kerberos -Credential (%s)" % pc._said(r)[-2000:])
        _kerberos_logon(svc, realm, a, mark)
        h.check("not encrypted" not in svc.log_text(), "every message was sealed")


def test_kerberos_without_a_ticket_says_so():
    a = h.user("a")
    with krb.Realm() as realm:
        svc = realm.http_service()
        env = dict(realm.env(), KRB5CCNAME="FILE:/nonexistent/owt-no-ccache")
        r = pc.pwsh(_invoke(svc, "Kerberos"), a, env=env, timeout=90)
        h.check(r.returncode != 0, "no ticket, yet it ran: %s" % pc._said(r)[-1500:])
        err = " ".join(r.stderr.split())
        h.check("kinit" in err and "-Credential" in err and "-u:" not in err,
                "the refusal says how to get a ticket, in PowerShell's words: %s" % err[-2000:])
