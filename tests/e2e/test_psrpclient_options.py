"""libpsrpclient with the ways PowerShell names a target and the session
options it passes: -ConnectionUri (HTTP and HTTPS), the PSSessionOption's
NoCompression, OperationTimeout, OpenTimeout, IdleTimeout, SkipCNCheck,
and proxy settings, which the library refuses in words (it has no proxy
support). New-PSSessionOption has only -SkipCACheck and -SkipCNCheck on
Unix; the others are properties of the PSSessionOption it returns, which
PowerShell passes on as on Windows."""
import os
import subprocess

import harness as h
import test_psrpclient as pc

WHO = "-ScriptBlock { [Environment]::UserName }"


def _ok(r, user, what):
    h.eq((r.stdout.split(), r.returncode), ([user.name], 0), "%s (%s)" % (what, pc._said(r)[-2000:]))


def test_connection_uri_http_and_https():
    svc = h.Service(http=True)
    a = h.user("a")
    h.ntlm_password(svc, a)
    svc.start()
    r = pc.pwsh("Invoke-Command -ConnectionUri http://127.0.0.1:%d/wsman -Authentication Negotiate "
                "-Credential $cred %s" % (svc.listener("HTTP").port, WHO), a,
                {"Client/TrustedHosts": "127.0.0.1"})
    _ok(r, a, "-ConnectionUri http://...")
    r = pc.pwsh("Invoke-Command -ConnectionUri https://localhost:%d/wsman -SessionOption $https "
                "-Authentication Basic -Credential $cred %s" % (svc.listener("HTTPS").port, WHO), a)
    _ok(r, a, "-ConnectionUri https://...")


def test_session_options():
    svc = h.service()
    a = h.user("a")
    r = pc.pwsh("$o = New-PSSessionOption -SkipCACheck -SkipCNCheck; $o.NoCompression = $true; "
                "$o.OperationTimeout = [TimeSpan]::FromSeconds(30); $o.OpenTimeout = [TimeSpan]::FromSeconds(30); "
                "$o.CancelTimeout = [TimeSpan]::FromSeconds(10); $o.IdleTimeout = [TimeSpan]::FromMinutes(10); "
                "$s = New-PSSession -ComputerName localhost -Port %d -UseSSL -SessionOption $o "
                "-Authentication Basic -Credential $cred; "
                "Invoke-Command -Session $s %s; Remove-PSSession $s"
                % (svc.listener("HTTPS").port, WHO), a)
    _ok(r, a, "NoCompression, OperationTimeout, OpenTimeout, CancelTimeout, IdleTimeout")


def test_proxy_options_are_refused_in_words():
    svc = h.service()
    a = h.user("a")
    run = ("$o = New-PSSessionOption -SkipCACheck -SkipCNCheck; %s; "
           "Invoke-Command -ComputerName localhost -Port " + str(svc.listener("HTTPS").port) +
           " -UseSSL -SessionOption $o -Authentication Basic -Credential $cred " + WHO)
    for access in ("IEConfig", "WinHttpConfig", "AutoDetect"):
        r = pc.pwsh(run % ("$o.ProxyAccessType = '%s'" % access), a, timeout=90)
        err = " ".join(r.stderr.split())
        h.check(r.returncode != 0, "%s: it ran (%s)" % (access, pc._said(r)[-1500:]))
        h.check("does not support a proxy" in err and "NoProxyServer" in err,
                "%s: the refusal names the proxy and what to set: %s" % (access, err[-2000:]))
    # No proxy is what the library does: a proxy credential then goes nowhere.
    r = pc.pwsh(run % "$o.ProxyAccessType = 'NoProxyServer'; $o.ProxyAuthentication = 'Basic'; "
                "$o.ProxyCredential = $cred", a)
    _ok(r, a, "ProxyAccessType NoProxyServer")


def test_skip_cn_check_alone():
    """A certificate the client trusts (SSL_CERT_FILE) for another name:
    refused for its name, accepted with SkipCNCheck alone."""
    svc = h.Service()
    cert, key = (os.path.join(svc.conf_dir, f) for f in ("cert.pem", "key.pem"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3",
                    "-subj", "/CN=other.owt.example", "-addext", "subjectAltName=DNS:other.owt.example",
                    "-keyout", key, "-out", cert], check=True, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=60)
    os.chmod(key, 0o600)
    os.chmod(cert, 0o644)
    svc.start()
    a = h.user("a")
    run = ("Invoke-Command -ComputerName 127.0.0.1 -Port %d -UseSSL %s-Authentication Basic "
           "-Credential $cred %s")
    trust = {"SSL_CERT_FILE": cert}
    r = pc.pwsh(run % (svc.listener("HTTPS").port, "", WHO), a, env=trust, timeout=90)
    err = " ".join(r.stderr.split())
    h.check(r.returncode != 0 and "not for 127.0.0.1: it is for other.owt.example" in err and
            "New-PSSessionOption -SkipCNCheck" in err,
            "a certificate for another name is refused, naming it: %s" % pc._said(r)[-2000:])
    r = pc.pwsh(run % (svc.listener("HTTPS").port, "-SessionOption (New-PSSessionOption -SkipCNCheck) ", WHO),
                a, env=trust)
    _ok(r, a, "SkipCNCheck alone")
