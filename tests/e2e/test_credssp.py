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
CLIENT_ALLOWS = {"Client/Auth/CredSSP": "true", "Client/TrustedHosts": "127.0.0.1", "Client/AllowFreshCredentials": "WSMAN/*",
                 "Client/AllowFreshCredentialsWhenNTLMOnly": "WSMAN/*"}


def credssp_service(https=True, **settings):
    svc = h.Service(dict({"Service/Auth/CredSSP": "true"}, **settings), https=https, http=True)
    for role in ("a", "b"):
        h.ntlm_password(svc, h.user(role))
    return svc.start()


def _session(url, u, password=None, **shim):
    """pywinrm's own Session with transport='credssp' (message encryption
    wherever pywinrm does it: HTTP), the shim told how to misbehave."""
    if SHIM not in sys.path:
        sys.path.insert(0, SHIM)
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
