"""libpsrpclient under the real PowerShell: an unmodified pwsh (7.6, at
/opt/pwsh/pwsh) finds our libpsrpclient.so through LD_LIBRARY_PATH and
remotes to winrmd's PowerShell endpoint with Invoke-Command and
New-PSSession, over HTTPS with Basic and over HTTP with Negotiate (NTLM,
sealed), and fails in words a person can act on.

pwsh is a .NET program: it cannot load a library built with
AddressSanitizer (the sanitizer's runtime must come first in the
process), so these tests give it the release build's library
(build/libpsrpclient.so, `make`) while the service is the build under
test. The library's own code runs under the sanitizers in
tests/unit/test_psrpclient_abi.c."""
import os
import shutil
import subprocess

import harness as h

PWSH = os.environ.get("OWT_PWSH", "/opt/pwsh/pwsh")
PWSH_TIMEOUT = 150
# What pwsh 7.6 says when it finds no libpsrpclient.
NO_LIBRARY = "no supported WSMan client library"


def _library_dir():
    """A directory holding libpsrpclient.so as PowerShell loads it."""
    b = h.build_dir()
    rel = b if os.path.basename(b) != "san" else os.path.dirname(b)
    lib = os.path.join(rel, "libpsrpclient.so")
    h.check(os.path.exists(lib), "%s is missing: build with `make`" % lib)
    d = os.path.join(h.fixture().run_dir, "psrpclient-lib")
    if not os.path.isdir(d):
        os.makedirs(d)
        shutil.copy(lib, d)
        os.chmod(d, 0o755)
    return d


# What every pwsh of these tests runs first: $cred, the PSCredential of
# the user in the environment, and $https, the options for our
# self-signed certificate.
PROLOGUE = ("$cred = New-Object System.Management.Automation.PSCredential($env:OWT_USER, "
            "(ConvertTo-SecureString $env:OWT_PASS -AsPlainText -Force)); "
            "$https = New-PSSessionOption -SkipCACheck -SkipCNCheck; ")


def pwsh_env(user, client_settings=None, extra=None):
    """The environment of a pwsh that loads libpsrpclient from our build,
    with user's name and password for PROLOGUE (the password in the
    environment, never on a command line)."""
    if not os.access(PWSH, os.X_OK):
        raise h.TestFailure("%s is missing (scripts/bootstrap installs PowerShell 7.6)" % PWSH)
    home = os.path.join(h.fixture().run_dir, "pwsh-home")
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ,
               HOME=home,
               LD_LIBRARY_PATH=_library_dir(),
               WINRM_CONFIG_DIR=h.client_config(client_settings),
               OWT_USER=user.name,
               OWT_PASS=user.password,
               POWERSHELL_TELEMETRY_OPTOUT="1",
               POWERSHELL_UPDATECHECK="Off",
               DOTNET_CLI_TELEMETRY_OPTOUT="1")
    env.update(extra or {})
    return env


def pwsh(script, user, client_settings=None, timeout=PWSH_TIMEOUT, env=None):
    """Runs script in pwsh -NoProfile after PROLOGUE, stopping at the first
    error. env: variables over pwsh_env's. Returns the CompletedProcess
    (text)."""
    return subprocess.run([PWSH, "-NoProfile", "-NonInteractive", "-Command",
                           "$ErrorActionPreference = 'Stop'; " + PROLOGUE + script],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                          env=pwsh_env(user, client_settings, env), universal_newlines=True)


def _port(svc, transport):
    return svc.listener(transport).port


def _invoke(svc, transport, auth, extra=""):
    ssl = "-UseSSL -SessionOption $https " if transport == "HTTPS" else ""
    return ("Invoke-Command -ComputerName 127.0.0.1 -Port %d %s-Authentication %s -Credential $cred %s"
            "-ScriptBlock { [Environment]::UserName }" % (_port(svc, transport), ssl, auth, extra))


def _said(r):
    return (r.stdout + r.stderr).strip()


def test_invoke_command_basic_over_https():
    svc = h.service()
    a = h.user("a")
    r = pwsh(_invoke(svc, "HTTPS", "Basic"), a)
    h.eq((r.stdout.strip(), r.returncode), (a.name, 0), "Invoke-Command over HTTPS (%s)" % _said(r)[-2000:])


def test_invoke_command_negotiate_over_http():
    svc = h.Service(http=True)
    a = h.user("a")
    h.ntlm_password(svc, a)
    svc.start()
    r = pwsh(_invoke(svc, "HTTP", "Negotiate"), a, {"Client/TrustedHosts": "127.0.0.1"})
    h.eq((r.stdout.strip(), r.returncode), (a.name, 0), "Invoke-Command over HTTP (%s)" % _said(r)[-2000:])


def test_new_pssession_runs_twice_and_is_removed():
    """Several commands on one session keep its state; Remove-PSSession
    leaves no shell behind on the service."""
    from test_psrp_disconnect import enumerate_items
    svc = h.service()
    a = h.user("a")
    mark = svc.log_mark()
    r = pwsh("$s = New-PSSession -ComputerName 127.0.0.1 -Port %d -UseSSL -SessionOption $https "
             "-Authentication Basic -Credential $cred; "
             "Invoke-Command -Session $s -ScriptBlock { $x = 21 }; "
             "Invoke-Command -Session $s -ScriptBlock { $x * 2 }; "
             "Invoke-Command -Session $s -ScriptBlock { $x + 1 }; "
             "Remove-PSSession $s; 'removed'" % _port(svc, "HTTPS"), a)
    h.eq((r.stdout.split(), r.returncode), (["42", "22", "removed"], 0),
         "a session keeps its state between commands (%s)" % _said(r)[-2000:])
    svc.wait_for_log(r"psrp: shell \S+ of %s ended: deleted" % a.name, timeout=10, since=mark)
    h.eq(enumerate_items(svc, a), [], "no shell of the user's left on the service")


def test_wrong_password_is_refused_in_words():
    svc = h.service()
    a = h.user("a")
    wrong = h.User(a.role, a.name, a.password + "-wrong")
    r = pwsh(_invoke(svc, "HTTPS", "Basic"), wrong, timeout=90)
    h.check(r.returncode != 0, "a wrong password was accepted: %s" % _said(r))
    h.check("rejected the credentials of %s" % a.name in r.stderr and "check the user name and password"
            in r.stderr, "the refusal says why: %s" % r.stderr[-2000:])


def test_no_service_fails_without_hanging():
    a = h.user("a")
    r = pwsh("Invoke-Command -ComputerName 127.0.0.1 -Port %d -UseSSL -SessionOption $https "
             "-Authentication Basic -Credential $cred -ScriptBlock { 1 }" % h.free_port(), a, timeout=120)
    h.check(r.returncode != 0 and NO_LIBRARY not in r.stderr, "no service: %s" % _said(r)[-2000:])
    h.check("cannot connect" in r.stderr.lower() or "connection refused" in r.stderr.lower(),
            "the failure names the connection: %s" % r.stderr[-2000:])
