"""What pwsh says when remoting through libpsrpclient fails: each failure
names what went wrong and what to change, in PowerShell's parameters
(libwinrm's winrs switches are translated, psrp_words.c). A wrong
password and no service are in test_psrpclient.py."""
import harness as h
import test_psrpclient as pc


def _run(svc, user, auth="Basic", options="-SessionOption $https ", extra="", transport="HTTPS",
         client_settings=None):
    ssl = "-UseSSL " if transport == "HTTPS" else ""
    r = pc.pwsh("Invoke-Command -ComputerName localhost -Port %d %s%s-Authentication %s %s"
                "-ScriptBlock { 'ran' }" % (svc.listener(transport).port, ssl, options, auth, extra),
                user, client_settings, timeout=90)
    h.check(r.returncode != 0 and "ran" not in r.stdout.split(), "it ran: %s" % pc._said(r)[-1500:])
    return " ".join(r.stderr.split())


def _says(err, *words):
    for w in words:
        h.check(w.lower() in err.lower(), "%r is not in what pwsh said: %s" % (w, err[-2000:]))
    for winrs in ("-u:", "-p:", "-a:", "-usessl"):
        h.check(winrs not in err, "winrs' switch %s in what pwsh said: %s" % (winrs, err[-2000:]))


def test_untrusted_certificate():
    svc = h.service()
    err = _run(svc, h.user("a"), options="", extra="-Credential $cred ")
    _says(err, "certificate is not trusted", "New-PSSessionOption -SkipCACheck")


def test_scheme_the_service_does_not_offer():
    svc = h.service({"Service/Auth/Basic": "false"})
    err = _run(svc, h.user("a"), extra="-Credential $cred ")
    _says(err, "does not accept Basic", "offers Negotiate", "with -Authentication, or")


def test_endpoint_that_does_not_exist():
    svc = h.service()
    err = _run(svc, h.user("a"), extra="-Credential $cred -ConfigurationName No.Such.Endpoint ")
    _says(err, "No.Such.Endpoint", "session configuration")


def test_user_who_may_not_connect():
    svc = h.service()
    err = _run(svc, h.user("out"), extra="-Credential $cred ")
    _says(err, "Access is denied", "does not let this user use this endpoint")


def test_negotiate_to_localhost_without_credentials():
    svc = h.Service(http=True).start()
    err = _run(svc, h.user("a"), auth="Negotiate", options="", transport="HTTP")
    _says(err, "-Credential", "-Authentication Kerberos")
