"""Client certificate authentication (§8.6): a certificate mapped to a local
account by winrm/config/service/certmapping logs on over HTTPS with
pywinrm's 'certificate' transport; what is not mapped, not trusted, not
valid or not allowed is refused and logged, and the service goes on."""
import os
import subprocess

import harness as h
import pki

PS_URI_PREFIX = "http://schemas.microsoft.com/powershell/*"


def _winrm(args, config_dir):
    r = subprocess.run([h.client_path("winrm")] + args + ["--config-dir", config_dir],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    h.eq(r.returncode, 0, "winrm %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
    return r.stdout.decode()


def _map(svc, ca, subject, user, uri="*", enabled=True):
    _winrm(["create", "winrm/config/service/certmapping?Issuer=%s+Subject=%s+URI=%s"
            % (ca.thumbprint, subject, uri),
            '@{UserName="%s";Enabled="%s"}' % (user.name, "true" if enabled else "false")],
           svc.conf_dir)


def _service(ca_paths, mappings):
    """A service with certificate authentication on, trusting the CAs of
    ca_paths (one PEM file of them, named by Service/Auth/TrustedIssuers),
    with the certmapping entries `winrm create` makes of mappings, each
    the arguments of _map."""
    svc = h.Service({"Service/Auth/Certificate": "true"})
    issuers = os.path.join(svc.dir, "issuers.pem")
    with open(issuers, "wb") as out:
        for p in ca_paths:
            with open(p, "rb") as f:
                out.write(f.read())
    svc.update({"Service/Auth/TrustedIssuers": issuers})
    for m in mappings:
        _map(svc, *m[:3], **m[3] if len(m) > 3 else {})
    return svc.start()


def _protocol(svc, cert):
    import winrm
    return winrm.Protocol(endpoint=svc.url(), transport="certificate", cert_pem=cert.cert_path,
                          cert_key_pem=cert.key_path, server_cert_validation="ignore",
                          operation_timeout_sec=20, read_timeout_sec=30)


def _run(svc, cert, command="id -un"):
    return h.run_cmd(_protocol(svc, cert), command)


def _refused(svc, cert, verdict, fault=None):
    """cert gets a 401 (pywinrm's InvalidCredentialsError), or the fault
    whose subcode is fault, and the log says why."""
    import winrm.exceptions as we
    mark = svc.log_mark()
    try:
        _run(svc, cert)
    except we.InvalidCredentialsError:
        got = None
    except we.WinRMError as e:  # a fault: pywinrm quotes its subcode
        got = fault if "'fault_subcode': 'w:%s'" % fault in str(e) else str(e)
    else:
        raise h.TestFailure("%s was admitted" % cert.cert_path)
    h.eq(got, fault, "the refusal of %s" % os.path.basename(cert.cert_path))
    svc.wait_for_log(r"authentication %s: certificate .* scheme Certificate" % verdict, since=mark)


def test_pywinrm_certificate_runs_commands_as_the_mapped_user():
    d = h.fixture().run_dir
    ca = pki.CA(d, "cert-ca-1")
    a = h.user("a")
    cert = ca.client("cert-alice-1", upn="alice@localhost")
    svc = _service([ca.cert_path], [(ca, "alice@localhost", a)])
    out, err, code = _run(svc, cert)
    h.eq((out.decode().strip(), code), (a.name, 0), "the command ran as the mapped user (%s)" % err)
    svc.wait_for_log(r'authentication success: certificate ".*CN=cert-alice-1" as user "%s" '
                     r'from 127\.0\.0\.1, scheme Certificate' % a.name)
    # The mapping needs no password, and the entry keeps none.
    listing = _winrm(["enumerate", "winrm/config/service/certmapping"], svc.conf_dir)
    h.check(a.password not in listing and a.name in listing, "the entry: %s" % listing)


def test_goclient_certificate():
    """masterzen/winrm's ClientAuthRequest (Packer, Terraform) logs on with
    a mapped certificate and runs a command as its account."""
    d = h.fixture().run_dir
    ca = pki.CA(d, "cert-ca-go")
    b = h.user("b")
    cert = ca.client("cert-bob-go", dns="bob.example.com")
    svc = _service([ca.cert_path], [(ca, "*.example.com", b)])
    out, err, code = h.run_goclient(svc, None, "id -un", cert=(cert.cert_path, cert.key_path))
    h.eq((out.decode().strip(), code), (b.name, 0), "the Go client ran as %s (%s)" % (b.name, err))


def test_winrs_certificate():
    """winrs -a:Certificate -certificate:PEM -certificatekey:PEM runs a
    command as the mapped account; `winrm id` with the same certificate
    authenticates; an unmapped certificate gets winrs's refusal."""
    d = h.fixture().run_dir
    ca = pki.CA(d, "cert-ca-winrs")
    a = h.user("a")
    cert = ca.client("cert-alice-winrs", upn="alice@localhost", email="alice@example.com")
    svc = _service([ca.cert_path], [(ca, "alice@example.com", a)])
    sw = ["-r:" + svc.url(), "-skipCAcheck", "-a:Certificate", "-certificate:" + cert.cert_path,
          "-certificatekey:" + cert.key_path]
    r = h.winrs(sw + ["id -un"])
    h.eq((r.stdout.decode().strip(), r.returncode), (a.name, 0),
         "winrs ran as the mapped user (%s)" % r.stderr.decode(errors="replace"))
    r = subprocess.run([h.client_path("winrm"), "id", "--config-dir", h.client_config()] + sw,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    h.eq(r.returncode, 0, "winrm id with the certificate: %s" % r.stderr.decode(errors="replace"))
    h.check(b"ProductVendor" in r.stdout, "winrm id printed the identity: %s" % r.stdout[:300])
    stranger = ca.client("cert-stranger-winrs", upn="stranger@localhost")
    r = h.winrs(["-r:" + svc.url(), "-skipCAcheck", "-certificate:" + stranger.cert_path,
                 "-certificatekey:" + stranger.key_path, "id -un"])
    h.check(r.returncode != 0 and b"certmapping" in r.stderr,
            "an unmapped certificate: winrs says what the service needs (%s)" % r.stderr[:400])
    svc.wait_for_log(r"authentication failure \(no certmapping entry for this certificate and "
                     r"resource\): certificate \"/CN=cert-stranger-winrs\"")


def test_certificate_refusals():
    """Another issuer, expired, unmapped, mapped for another URI, disabled,
    over 16 KB, not for client authentication, an account in no allowed
    group: each refused and logged; then a good one still runs."""
    d = h.fixture().run_dir
    ca = pki.CA(d, "cert-ca-2")
    other = pki.CA(d, "cert-other-ca")
    a, out = h.user("a"), h.user("out")
    svc = _service([ca.cert_path, other.cert_path],
                   [(ca, "alice@localhost", a), (ca, "off@localhost", a, {"enabled": False}),
                    (ca, "ps@localhost", a, {"uri": PS_URI_PREFIX}), (ca, "outsider@localhost", out)])

    _refused(svc, other.client("cert-foreign", upn="alice@localhost"), r"failure \(certificate: [^)]+\)")
    _refused(svc, ca.client("cert-expired", upn="alice@localhost", expired=True),
             r"failure \(certificate: certificate has expired\)")
    _refused(svc, ca.client("cert-nobody", upn="nobody@localhost"),
             r"failure \(no certmapping entry for this certificate and resource\)")
    _refused(svc, ca.client("cert-ps", upn="ps@localhost"),
             r"failure \(no certmapping entry for this certificate and resource\)")
    _refused(svc, ca.client("cert-off", upn="off@localhost"),
             r"failure \(its certmapping entry is disabled\)")
    _refused(svc, ca.client("cert-big", upn="alice@localhost", padding=17000),
             r"failure \(a certificate over 16 KB\)")
    # A chain over 64 KB (four big certificates after a good one) goes no
    # further than the network process.
    chained = ca.client("cert-chained", upn="alice@localhost")
    with open(chained.cert_path, "ab") as out:
        for i in range(4):
            with open(ca.client("cert-pad-%d" % i, padding=17000).cert_path, "rb") as f:
                out.write(f.read())
    import winrm.exceptions as we
    mark = svc.log_mark()
    try:
        _run(svc, chained)
        raise h.TestFailure("a chain over 64 KB was admitted")
    except we.InvalidCredentialsError:
        pass
    svc.wait_for_log("certificate authentication refused: peer 127.0.0.1 sent a certificate "
                     "chain over 64 KB", since=mark)
    _refused(svc, ca.client("cert-server", upn="alice@localhost", usage=(pki.SERVER_AUTH,)),
             r"failure \(the certificate is not for client authentication\)")
    _refused(svc, ca.client("cert-outsider", upn="outsider@localhost"),
             r"not allowed \(in no allowed group\)", fault="AccessDenied")
    out_, err, code = _run(svc, ca.client("cert-alice-2", upn="alice@localhost"))
    h.eq((out_.decode().strip(), code), (a.name, 0), "a mapped certificate still runs (%s)" % err)
    h.assert_serving(svc)


def test_certificate_header_refused_where_it_cannot_hold():
    """Over HTTP, while Service/Auth/Certificate is false, and on HTTPS
    without a client certificate: 401, logged, nothing runs."""
    svc = h.service({"Service/Auth/Certificate": "true"}, http=True)
    hdr = {"Authorization": "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"}
    r = h.request(svc.listener("HTTP"), h.create_env(), headers=hdr)
    h.eq(r.status, 401, "the certificate profile over HTTP")
    mark = svc.log_mark()
    r = h.request(svc.listener("HTTPS"), h.create_env(), headers=hdr)
    h.eq(r.status, 401, "the certificate profile without a certificate")
    svc.wait_for_log("certificate authentication refused: peer 127.0.0.1 presented no client "
                     "certificate", since=mark)
    off = h.service()
    r = h.request(off.listener("HTTPS"), h.create_env(), headers=hdr)
    h.eq(r.status, 401, "the certificate profile while Certificate is false")
    h.assert_serving(svc)
    h.assert_serving(off)
