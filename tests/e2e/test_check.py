"""winrmd --check (issue 15, item 4): the service's configuration checked as
the service will use it, each misconfiguration it knows found, in words,
with what to change. The services here are configured, never started."""
import os
import shutil
import socket
import subprocess
import tempfile

import harness as h
import krb
import pki


def check(svc, *extra):
    """(exit status, output) of winrmd --check on svc's configuration."""
    r = subprocess.run([h.winrmd_path(), "--check", "--config-dir", svc.conf_dir,
                        "--user", h.SERVICE_ACCOUNT] + list(extra),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = r.stdout.decode(errors="replace")
    for pat in h.SANITIZER_PATTERNS:
        h.check(pat not in out, "winrmd --check: sanitizer report:\n%s" % out)
    return r.returncode, out


def expect(out, verdict, step, *words):
    lines = out.splitlines()
    for i, l in enumerate(lines):
        if l.split()[:2] == [verdict, step]:
            text = l + ("\n" + lines[i + 1] if i + 1 < len(lines) else "")
            if all(w.lower() in text.lower() for w in words):
                return
    h.check(False, "no %s %s line with %s in:\n%s" % (verdict, step, words, out))


def test_a_sound_configuration():
    svc = h.Service()
    rc, out = check(svc)
    h.eq(rc, 0, "exit status:\n" + out)
    for step in ("config", "account", "groups", "directory", "listener", "pam"):
        expect(out, "ok", step)
    # The test certificate is good for 3 days.
    expect(out, "warn", "certificate", "expires in")


def test_a_key_that_is_not_the_certificates():
    svc = h.Service()
    d = tempfile.mkdtemp(prefix="owt-check-")
    try:
        shutil.copy(pki.lone_key(d, "other"), os.path.join(svc.conf_dir, "key.pem"))
        rc, out = check(svc)
        h.eq(rc, 1, "exit status")
        expect(out, "FAIL", "certificate", "is not the certificate", "winrm quickconfig")
    finally:
        shutil.rmtree(d, True)


def test_an_expired_certificate():
    svc = h.Service()
    d = tempfile.mkdtemp(prefix="owt-check-")
    try:
        old = pki.CA(d, "check-ca").server("check-expired", ["127.0.0.1"], expired=True)
        shutil.copy(old.cert_path, os.path.join(svc.conf_dir, "cert.pem"))
        shutil.copy(old.key_path, os.path.join(svc.conf_dir, "key.pem"))
        rc, out = check(svc)
        h.eq(rc, 1, "exit status")
        expect(out, "FAIL", "certificate", "expired")
    finally:
        shutil.rmtree(d, True)


def test_no_remote_users_group_and_no_service_account():
    svc = h.Service({"Service/RemoteUsersGroup": "owt_no_such_group"})
    rc, out = check(svc, "--user", "owt_no_such_account")
    h.eq(rc, 1, "exit status")
    expect(out, "FAIL", "groups", "owt_no_such_group", "groupadd")
    expect(out, "FAIL", "account", "owt_no_such_account", "useradd")


def test_a_directory_others_can_write():
    svc = h.Service()
    os.chmod(svc.conf_dir, 0o777)
    rc, out = check(svc)
    h.eq(rc, 1, "exit status")
    expect(out, "FAIL", "directory", "writable by others", "chmod go-w")


def test_an_ntlm_hash_file_others_can_read():
    svc = h.Service({"Service/Auth/Negotiate": "true"})
    path = os.path.join(svc.conf_dir, "ntlm_users")
    with open(path, "w") as f:
        f.write("")
    os.chmod(path, 0o644)
    rc, out = check(svc)
    h.eq(rc, 1, "exit status")
    expect(out, "FAIL", "ntlm", "readable by others", "chmod 600")
    os.remove(path)
    rc, out = check(svc)
    expect(out, "warn", "ntlm", "winrm user set")


def test_no_pam_file_and_no_powershell():
    svc = h.Service({"Service/PowerShell": "/nonexistent/pwsh"})
    rc, out = check(svc, "--pam-service", "owt-no-such-stack")
    h.eq(rc, 1, "exit status")
    expect(out, "FAIL", "pam", "/etc/pam.d/owt-no-such-stack", "every logon will be refused")
    expect(out, "warn", "powershell", "not executable", "dotnet tool install")


def test_a_port_in_use():
    svc = h.Service()
    port = svc.listener().port
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen(1)
        rc, out = check(svc)
    expect(out, "warn", "listener", "port %d is in use" % port, "ss -ltnp")


def test_a_keytab_without_a_name_the_service_answers_to():
    with krb.Realm() as realm:
        realm.add_service("HTTP/elsewhere.test", realm.http_keytab)
        svc = h.Service({"Service/Auth/Keytab": realm.http_keytab,
                         "Service/Auth/ServicePrincipalNames": "HTTP/localhost"}, env=realm.env())
        rc, out = check(svc)
        h.eq(rc, 1, "exit status")
        expect(out, "FAIL", "keytab", "HTTP/localhost", "ktadd")
