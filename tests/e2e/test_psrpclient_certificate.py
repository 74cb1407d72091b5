"""libpsrpclient's certificate authentication under the real PowerShell:
`Invoke-Command -UseSSL -CertificateThumbprint T` (pwsh passes T as it was
typed, checking nothing) finds the certificate of thumbprint T in the
user's certificate directory (docs/psrpclient.md) and runs as the account
winrmd's certmapping gives it. An unknown thumbprint, a key others can
read, a key not the certificate's and http:// are refused by the library
in words; a certificate with no certmapping entry is refused by the
service."""
import os

import harness as h
import pki
import test_psrpclient as pc
from test_certificate import PS_URI_PREFIX, _service

WHO = "{ [Environment]::UserName }"
SKIP_CHECKS = "-SessionOption (New-PSSessionOption -SkipCACheck -SkipCNCheck)"


def _invoke(svc, thumbprint, ssl=True):
    return ("Invoke-Command -ComputerName 127.0.0.1 -Port %d %s-CertificateThumbprint '%s' %s"
            % (svc.listener("HTTPS").port, "-UseSSL %s " % SKIP_CHECKS if ssl else "",
               thumbprint, WHO))


def _write(path, data, mode):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def _install(cert, directory, key_apart=False, key_mode=0o600, key=None):
    """cert in directory as the library looks it up: NAME.pem with the
    certificate and its key, or (key_apart) NAME.pem and NAME.key; key:
    other PEM key bytes in place of the certificate's."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    base = os.path.join(directory, os.path.basename(cert.cert_path)[:-len(".pem")])
    with open(cert.cert_path, "rb") as c, open(cert.key_path, "rb") as k:
        cert_pem, key_pem = c.read(), key or k.read()
    if key_apart:
        _write(base + ".pem", cert_pem, 0o644)
        _write(base + ".key", key_pem, key_mode)
    else:
        _write(base + ".pem", cert_pem + key_pem, key_mode)


def _windows_spelling(thumbprint):
    """As Windows' certificate dialog copies it: a LEFT-TO-RIGHT MARK, then
    lower-case pairs separated by spaces."""
    return "\u200e" + " ".join(thumbprint[i:i + 2] for i in range(0, 40, 2)).lower()


def _directory(name):
    return os.path.join(h.fixture().run_dir, "pwsh-certificates", name)


def _said(r):
    return " ".join(r.stderr.split())


def _refused(r, what, *words):
    said = _said(r)
    h.check(r.returncode != 0, "%s: it ran (%s)" % (what, pc._said(r)[-1500:]))
    for w in words:
        h.check(w in said, "%s: the refusal says %r: %s" % (what, w, said[-2000:]))


def test_certificate_thumbprint_runs_as_the_mapped_user():
    """From ~/.config/openwinrm/certificates (the default), with the
    thumbprint spelled as Windows copies it; then New-PSSession with
    -ConnectionUri and the key in NAME.key, from $OPENWINRM_CERTIFICATES."""
    d = h.fixture().run_dir
    ca = pki.CA(d, "pscert-ca-1")
    a, b = h.user("a"), h.user("b")
    alice = ca.client("pscert-alice", upn="alice@localhost")
    bob = ca.client("pscert-bob", upn="bob@localhost")
    svc = _service([ca.cert_path], [(ca, "alice@localhost", a, {"uri": PS_URI_PREFIX}),
                                    (ca, "bob@localhost", b)])
    home = os.path.join(d, "pwsh-home")
    _install(alice, os.path.join(home, ".config", "openwinrm", "certificates"))
    mark = svc.log_mark()
    r = pc.pwsh(_invoke(svc, _windows_spelling(alice.thumbprint)), a, env={"XDG_CONFIG_HOME": ""})
    h.eq((r.stdout.strip(), r.returncode), (a.name, 0),
         "Invoke-Command -CertificateThumbprint (%s)" % pc._said(r)[-2000:])
    svc.wait_for_log(r'authentication success: certificate ".*CN=pscert-alice" as user "%s" '
                     r'from 127\.0\.0\.1, scheme Certificate' % a.name, since=mark)

    elsewhere = _directory("apart")
    _install(bob, elsewhere, key_apart=True)
    r = pc.pwsh("$s = New-PSSession -ConnectionUri https://127.0.0.1:%d/wsman %s "
                "-CertificateThumbprint %s; Invoke-Command -Session $s %s; Remove-PSSession $s"
                % (svc.listener("HTTPS").port, SKIP_CHECKS, bob.thumbprint, WHO),
                a, env={"OPENWINRM_CERTIFICATES": elsewhere})
    h.eq((r.stdout.strip(), r.returncode), (b.name, 0),
         "New-PSSession -ConnectionUri with NAME.pem and NAME.key (%s)" % pc._said(r)[-2000:])


def test_unknown_thumbprint_is_refused_in_words():
    d = h.fixture().run_dir
    ca = pki.CA(d, "pscert-ca-2")
    a = h.user("a")
    svc = _service([ca.cert_path], [(ca, "alice@localhost", a)])
    directory = _directory("unknown")
    _install(ca.client("pscert-other", upn="alice@localhost"), directory)
    unknown = ca.client("pscert-absent", upn="alice@localhost").thumbprint
    r = pc.pwsh(_invoke(svc, unknown), a, env={"OPENWINRM_CERTIFICATES": directory})
    _refused(r, "an unknown thumbprint", "No certificate with thumbprint %s in %s" % (unknown, directory),
             "OPENWINRM_CERTIFICATES")
    r = pc.pwsh(_invoke(svc, "not-a-thumbprint"), a, env={"OPENWINRM_CERTIFICATES": directory})
    _refused(r, "a thumbprint of no hash", "'not-a-thumbprint' is not a certificate thumbprint")


def test_unmapped_certificate_is_refused_by_the_service():
    d = h.fixture().run_dir
    ca = pki.CA(d, "pscert-ca-3")
    a = h.user("a")
    svc = _service([ca.cert_path], [(ca, "alice@localhost", a)])
    stranger = ca.client("pscert-stranger", upn="stranger@localhost")
    directory = _directory("stranger")
    _install(stranger, directory)
    mark = svc.log_mark()
    r = pc.pwsh(_invoke(svc, stranger.thumbprint), a, env={"OPENWINRM_CERTIFICATES": directory})
    _refused(r, "an unmapped certificate", "certmapping")
    svc.wait_for_log(r'authentication failure \(no certmapping entry for this certificate and '
                     r'resource\): certificate "/CN=pscert-stranger"', since=mark)


def test_unusable_certificates_are_refused_in_words():
    """A key others can read, a key not the certificate's, and http://:
    refused before anything reaches the service."""
    d = h.fixture().run_dir
    ca = pki.CA(d, "pscert-ca-4")
    a = h.user("a")
    svc = _service([ca.cert_path], [(ca, "alice@localhost", a)])
    mark = svc.log_mark()
    cases = (("open", {"key_mode": 0o644}, True, ("is open to others than you (mode 0644)",
                                                  "chmod 600")),
             ("mismatched", {"key_apart": True, "key": ca.client("pscert-x").key_path}, True,
              ("does not match the certificate",)),
             ("http", {}, False, ("HTTPS only", "-UseSSL")))
    for name, install, ssl, words in cases:
        cert = ca.client("pscert-" + name, upn="alice@localhost")
        if "key" in install:
            with open(install["key"], "rb") as f:
                install = dict(install, key=f.read())
        directory = _directory(name)
        _install(cert, directory, **install)
        r = pc.pwsh(_invoke(svc, cert.thumbprint, ssl), a, env={"OPENWINRM_CERTIFICATES": directory})
        _refused(r, name, cert.thumbprint if name != "http" else "Certificate", *words)
    h.check("pscert-" not in svc.log_since(mark), "nothing reached the service: %s" % svc.log_since(mark))
