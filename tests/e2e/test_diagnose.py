"""winrm diagnose -r:TARGET (issue 15, item 4): one line per step of a
connection, and for each cause of failure the step that finds it, the
cause in words and what to change."""
import os
import shutil
import subprocess
import tempfile

import harness as h
import krb
import pki
from krb import localhost


def diagnose(args, config_dir=None, env=None):
    """(exit status, output) of winrm diagnose ARGS."""
    d = config_dir or h.client_config()
    r = subprocess.run([h.client_path("winrm"), "diagnose"] + list(args) + ["--config-dir", d],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=90,
                       env=dict(os.environ, **(env or {})))
    out = r.stdout.decode(errors="replace")
    for pat in h.SANITIZER_PATTERNS:
        h.check(pat not in out, "winrm diagnose: sanitizer report:\n%s" % out)
    return r.returncode, out


def line_of(out, verdict, step):
    """The line of step with verdict, and its fix line if any."""
    lines = out.splitlines()
    for i, l in enumerate(lines):
        if l.split()[:2] == [verdict, step]:
            fix = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("      fix:") else ""
            return l + "\n" + fix
    raise h.TestFailure("no %s line for %s in:\n%s" % (verdict, step, out))


def expect(out, verdict, step, *words):
    text = line_of(out, verdict, step)
    for w in words:
        h.check(w.lower() in text.lower(), "%s %s: %r lacks %r" % (verdict, step, text, w))


def basic(u):
    return ["-u:" + u.name, "-p:" + u.password, "-a:Basic"]


def test_every_step_passes_on_a_working_service():
    svc = h.service()
    u = h.user("a")
    rc, out = diagnose(["-r:" + svc.url()] + basic(u) + ["-skipCAcheck"])
    h.eq(rc, 0, "exit status:\n" + out)
    for step in ("name", "tcp", "identify", "clock", "schemes", "rules", "logon", "command"):
        line_of(out, "ok", step)
    expect(out, "warn", "tls", "not signed by a CA", "skipped by -skipCAcheck")
    h.check("every step passed" in out, out)


def test_an_unknown_name():
    rc, out = diagnose(["-r:https://owt-no-such-host.invalid:5986", "-a:Basic", "-u:x", "-p:y"])
    h.eq(rc, 1, "exit status")
    expect(out, "FAIL", "name", "owt-no-such-host.invalid", "does not resolve", "/etc/hosts")
    h.check(" tcp " not in out, "steps after a failed name ran:\n" + out)


def test_a_closed_port():
    port = h.free_port()
    rc, out = diagnose(["-r:https://127.0.0.1:%d" % port, "-a:Basic", "-u:x", "-p:y"])
    h.eq(rc, 1, "exit status")
    expect(out, "FAIL", "tcp", str(port), "refused", "nothing listens", "winrm quickconfig")


def test_an_untrusted_certificate():
    svc = h.service()
    u = h.user("a")
    rc, out = diagnose(["-r:" + svc.url()] + basic(u))
    h.eq(rc, 1, "exit status")
    expect(out, "FAIL", "tls", "not signed by a CA this machine trusts", "update-ca-certificates",
           "-skipCAcheck")


def test_an_expired_certificate():
    d = tempfile.mkdtemp(prefix="owt-diag-")
    try:
        ca = pki.CA(d, "diag-ca")
        old = ca.server("diag-expired", ["127.0.0.1"], expired=True)
        svc = h.Service()
        shutil.copy(old.cert_path, os.path.join(svc.conf_dir, "cert.pem"))
        shutil.copy(old.key_path, os.path.join(svc.conf_dir, "key.pem"))
        svc.start()
        u = h.user("a")
        rc, out = diagnose(["-r:" + svc.url()] + basic(u), env={"SSL_CERT_FILE": ca.cert_path})
        h.eq(rc, 1, "exit status")
        expect(out, "FAIL", "tls", "expired", "renew")
    finally:
        shutil.rmtree(d, True)


def test_a_scheme_the_service_does_not_offer():
    svc = h.service({"Service/Auth/Basic": "false"})
    u = h.user("a")
    rc, out = diagnose(["-r:" + svc.url()] + basic(u) + ["-skipCAcheck"])
    h.eq(rc, 1, "exit status")
    expect(out, "FAIL", "schemes", "not Basic", "Negotiate",
           'winrm set winrm/config/service/auth @{Basic="true"}')


def test_a_target_outside_trusted_hosts():
    svc = h.service(http=True)
    u = h.user("a")
    rc, out = diagnose(["-r:" + svc.url("HTTP"), "-u:" + u.name, "-p:" + u.password,
                        "-a:Negotiate"])
    h.eq(rc, 1, "exit status")
    expect(out, "FAIL", "rules", "TrustedHosts", "winrm set winrm/config/client")
    line_of(out, "ok", "tcp")


def test_ntlm_name_forms():
    """Negotiate with a password is NTLM off a realm: the name form sets the
    domain the service looks the account up in."""
    svc = h.service()
    u = h.user("a")
    for name, verdict, words in ((u.name, "ok", ("local account", "winrm user set")),
                                 ("OTHERDOM\\" + u.name, "warn", ("domain OTHERDOM", "-u:NAME"))):
        rc, out = diagnose(["-r:" + svc.url(), "-u:" + name, "-p:" + u.password, "-a:Negotiate",
                            "-skipCAcheck"],
                           env={"LSAN_OPTIONS": os.environ.get("LSAN_OPTIONS", "") +
                                ":fast_unwind_on_malloc=0"})
        expect(out, verdict, "ntlm", *words)


def test_a_wrong_password():
    svc = h.service()
    u = h.user("a")
    rc, out = diagnose(["-r:" + svc.url(), "-u:" + u.name, "-p:not-" + u.password, "-a:Basic",
                        "-skipCAcheck"])
    h.eq(rc, 1, "exit status")
    expect(out, "FAIL", "logon", "check the user name and password", "winrm user set")


def diagnose_elsewhere(realm):
    """winrm diagnose -a:Kerberos, with a's ticket, of https://localhost:PORT
    where the service answers to HTTP/elsewhere.test alone."""
    realm.add_service("HTTP/elsewhere.test", realm.http_keytab)
    svc = realm.http_service(https=True, settings={
        "Service/Auth/ServicePrincipalNames": "HTTP/elsewhere.test"})
    env = dict(realm.login(h.user("a").name), **realm.env())
    return diagnose(["-r:" + localhost(svc.url("HTTPS")), "-a:Kerberos", "-skipCAcheck"], env=env)


def test_a_kerberos_name_the_kdc_does_not_know():
    with krb.Realm() as realm:
        # The KDC has no HTTP/localhost, the name the client asks for.
        rc, out = diagnose_elsewhere(realm)
        h.eq(rc, 1, "exit status:\n" + out)
        expect(out, "FAIL", "kerberos", "HTTP/localhost", "not found in Kerberos database",
               "addprinc -randkey HTTP/localhost")


def test_a_ticket_for_a_name_the_service_does_not_answer_to():
    with krb.Realm() as realm:
        # The KDC has HTTP/localhost; its key is in another keytab.
        realm.add_service("HTTP/localhost", os.path.join(realm.dir, "other.keytab"))
        rc, out = diagnose_elsewhere(realm)
        h.eq(rc, 1, "exit status:\n" + out)
        line_of(out, "ok", "kerberos")
        expect(out, "FAIL", "logon", "does not answer to that name", "ServicePrincipalNames",
               "refused your Kerberos ticket for HTTP/localhost")


def test_a_clock_skew():
    """This machine's clock 10 minutes ahead (libfaketime), as a machine
    without NTP drifts: the service's Date header shows it."""
    svc = h.service()
    u = h.user("a")
    asan = os.environ.get("ASAN_OPTIONS", "")
    rc, out = diagnose(["-r:" + svc.url()] + basic(u) + ["-skipCAcheck"],
                       env={"LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                            "FAKETIME": "+10m",
                            "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"})
    h.eq(rc, 1, "exit status:\n" + out)
    expect(out, "FAIL", "clock", "behind this machine's", "NTP")
