"""libpsrpclient's CredSSP under the real PowerShell: `Invoke-Command` and
`New-PSSession -Authentication Credssp -Credential $c` over HTTP (-Port;
every message encrypted with the CredSSP TLS session) and over HTTPS
(-UseSSL) run as the user, and the service logs scheme CredSSP. The
client settings that guard CredSSP (Client/Auth/CredSSP,
Client/AllowFreshCredentials, Client/AllowFreshCredentialsWhenNTLMOnly;
docs/psrpclient.md "CredSSP") come, as every client setting of the
library, from $WINRM_CONFIG_DIR/winrm.conf (default /etc/winrm), which
pc.pwsh points at a directory of the test's own; their refusals reach
pwsh naming the setting and the command that changes it, with no
password sent. A CredSSP logon to the PowerShell endpoint gives its
session the delegated credential: from inside Invoke-Command, a Kerberos
winrs reaches a second winrmd as the user (test_credssp.py tests the
second hop from the cmd shell)."""
import re

import harness as h
import test_psrpclient as pc
from test_credssp import CLIENT_ALLOWS, credssp_service

WHO = "{ [Environment]::UserName }"


def _where(svc, transport):
    """-Port and, over HTTPS, -UseSSL with our self-signed certificate's
    options ($https of pc.PROLOGUE)."""
    return "-ComputerName 127.0.0.1 -Port %d %s" % (
        svc.listener(transport).port, "-UseSSL -SessionOption $https " if transport == "HTTPS" else "")


def _invoke(svc, transport, credential="-Credential $cred "):
    return "Invoke-Command %s-Authentication Credssp %s-ScriptBlock %s" % (_where(svc, transport),
                                                                           credential, WHO)


def _said(r):
    """pwsh's error output on one line, without its colours."""
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", r.stderr).split())


def test_invoke_command_and_new_pssession_credssp():
    """Over HTTP and HTTPS: Invoke-Command, then a New-PSSession that keeps
    its state between commands and is removed; each connection of the
    session authenticates with CredSSP, as the user."""
    svc = credssp_service()
    a = h.user("a")
    for transport in ("HTTP", "HTTPS"):
        mark = svc.log_mark()
        r = pc.pwsh(_invoke(svc, transport), a, CLIENT_ALLOWS)
        h.eq((r.stdout.strip(), r.returncode), (a.name, 0),
             "Invoke-Command -Authentication Credssp over %s (%s)" % (transport, pc._said(r)[-2000:]))
        svc.wait_for_log(r'authentication success: principal "[^"]*%s" as user "%s" from 127\.0\.0\.1, '
                         r'scheme CredSSP' % (a.name, a.name), since=mark)
        svc.wait_for_log(r"PowerShell session \S+ started: endpoint Microsoft\.PowerShell, user %s from "
                         r"127\.0\.0\.1 \(CredSSP\), runs as %s" % (a.name, a.name), since=mark)

        mark = svc.log_mark()
        r = pc.pwsh("$s = New-PSSession %s-Authentication Credssp -Credential $cred; "
                    "Invoke-Command -Session $s -ScriptBlock { $x = 21 }; "
                    "Invoke-Command -Session $s -ScriptBlock { \"$([Environment]::UserName) $($x * 2)\" }; "
                    "Remove-PSSession $s; 'removed'" % _where(svc, transport), a, CLIENT_ALLOWS)
        h.eq((r.stdout.split(), r.returncode), ([a.name, "42", "removed"], 0),
             "New-PSSession -Authentication Credssp over %s (%s)" % (transport, pc._said(r)[-2000:]))
        svc.wait_for_log(r"psrp: shell \S+ of %s ended: deleted" % a.name, timeout=10, since=mark)
        logons = [line for line in svc.log_since(mark).splitlines() if "authentication success" in line]
        h.check(logons and all("scheme CredSSP" in line for line in logons),
                "every logon of the session was CredSSP: %s" % logons)


def _refused(r, what, *words):
    said = _said(r)
    h.check(r.returncode != 0, "%s: it ran (%s)" % (what, pc._said(r)[-1500:]))
    for w in words:
        h.check(w in said, "%s: the refusal says %r: %s" % (what, w, said[-2000:]))
    # PowerShell quotes each @{...} of a WSMan message itself: once.
    h.check("''" not in said, "%s: the command to run is quoted once: %s" % (what, said[-2000:]))


def test_client_settings_refuse_credssp_in_words():
    """CredSSP disabled, the host not in AllowFreshCredentials (both
    refused before connecting), a server NTLM alone authenticated and not
    in AllowFreshCredentialsWhenNTLMOnly (refused before the password is
    sent: the service sees no logon), and no -Credential."""
    svc = credssp_service()
    a = h.user("a")
    cases = (
        ("CredSSP disabled", {"Client/Auth/CredSSP": "false"}, "HTTPS", "-Credential $cred ",
         ("CredSSP authentication is currently disabled in the client configuration",
          "winrm set winrm/config/client/auth '@{CredSSP=\"true\"}'")),
        ("not in AllowFreshCredentials", {"Client/AllowFreshCredentials": "WSMAN/other"}, "HTTP",
         "-Credential $cred ",
         ("does not allow delegating credentials to it", "add WSMAN/127.0.0.1 to AllowFreshCredentials",
          "winrm set winrm/config/client '@{AllowFreshCredentials=\"WSMAN/other,WSMAN/127.0.0.1\"}'")),
        ("NTLM only", {"Client/AllowFreshCredentialsWhenNTLMOnly": ""}, "HTTPS", "-Credential $cred ",
         ("authenticated the server with NTLM only",
          "winrm set winrm/config/client '@{AllowFreshCredentialsWhenNTLMOnly=\"WSMAN/127.0.0.1\"}'")),
        ("no -Credential", {}, "HTTPS", "",
         ("CredSSP authentication needs explicit credentials", "(-Credential)")),
    )
    for what, settings, transport, credential, words in cases:
        mark = svc.log_mark()
        r = pc.pwsh(_invoke(svc, transport, credential), a, dict(CLIENT_ALLOWS, **settings), timeout=90)
        _refused(r, what, *words)
        h.check("authentication success" not in svc.log_since(mark),
                "%s: nobody logged on: %s" % (what, svc.log_since(mark)))


def test_powershell_session_gets_the_delegated_credential():
    """A CredSSP logon to the PowerShell endpoint gives its session the
    delegated credential: inside Invoke-Command, a kinit-free Kerberos
    winrs reaches a second winrmd as the user (the TGT the user's host got
    with the password), and gss-ntlmssp finds the password in memory."""
    import os
    import krb
    a = h.user("a")
    with krb.Realm() as realm:
        realm.add_user(a.name, a.password)
        first = realm.http_service(settings={"Service/Auth/CredSSP": "true"})
        h.ntlm_password(first, a)
        second = realm.http_service(name="second")
        inner = h.client_config({"Client/TrustedHosts": "localhost"})
        os.chmod(os.path.join(inner, "winrm.conf"), 0o644)
        hop = ("$env:KRB5_CONFIG = '%s'; for ($i = 0; $i -lt 100; $i++) { klist -s; "
               "if ($LASTEXITCODE -eq 0) { break }; Start-Sleep -Milliseconds 100 }; "
               "& '%s' --config-dir '%s' -r:%s -a:Kerberos 'echo kerberos hop as $(id -un)'; "
               "$env:NTLM_USER_FILE"
               % (realm.krb5_conf, h.run_copy("winrs"), inner, krb.localhost(second.url("HTTP"))))
        r = pc.pwsh("Invoke-Command %s-Authentication Credssp -Credential $cred -ScriptBlock { %s }"
                    % (_where(first, "HTTP"), hop), a, CLIENT_ALLOWS)
        h.eq(r.returncode, 0, "the second hop from the PowerShell session (%s)" % pc._said(r)[-2000:])
        h.check("kerberos hop as %s" % a.name in r.stdout, r.stdout)
        h.check("/proc/self/fd/4" in r.stdout, "NTLM_USER_FILE in the session: %s" % r.stdout)
        second.wait_for_log(r'authentication success: principal "%s@%s" as user "%s".*\(Kerberos\)'
                            % (a.name, realm.realm, a.name))
