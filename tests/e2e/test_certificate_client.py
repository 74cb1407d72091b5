"""Certificate authentication from the client side (winrs, winrm): the
https/mutual security profile as the Authorization of every request and
the client certificate in the TLS handshake, checked by a Python ssl
server that demands a certificate of a test CA and records what each
request brought; and the refusals before any connection (HTTP, a key
that does not fit, Client/Auth/Certificate=false, a user name)."""
import http.server
import os
import socket
import ssl
import subprocess
import tempfile
import threading

import harness as h
from pki import CA, lone_key

MUTUAL = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"
# What the recording server answers every request with: a fault winrs
# prints, so its message shows the reply was read on the connection.
FAULT_MESSAGE = "owt recording server: nothing is served here"
FAULT = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
         'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
         'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">'
         '<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>'
         '<a:MessageID>uuid:6DCE8848-4531-44EC-ACC4-4DBB68B1CC29</a:MessageID>'
         '<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>'
         '<a:RelatesTo>uuid:ED6D6F9B-0B0B-43FF-9767-6824A80562E1</a:RelatesTo></s:Header>'
         '<s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value>'
         '<s:Subcode><s:Value>w:AccessDenied</s:Value></s:Subcode></s:Code>'
         '<s:Reason><s:Text xml:lang="en-US">%s</s:Text></s:Reason>'
         '<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="5">'
         '<f:Message>%s</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>'
         % (FAULT_MESSAGE, FAULT_MESSAGE)).encode()


def _err(r):
    return r.stderr.decode(errors="replace")


class Pki:
    """A test CA (pki.py) with a client certificate (clientAuth, a UPN and
    an email name) and a server certificate for 127.0.0.1 and localhost,
    in a temporary directory; plus what the refusals need: another key,
    the client key encrypted, and a client certificate of another CA."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pki-", dir=h.fixture().run_dir)
        self.ca = CA(self.dir)
        self.client = self.ca.client("owtcert", upn="owtcert@localhost", email="owtcert@localhost")
        self.server = self.ca.server("localhost", ["127.0.0.1", "localhost"])
        # The other CA's certificate has the client's name: its files go apart.
        rogue_dir = self.path("rogue")
        os.mkdir(rogue_dir)
        self.rogue = CA(rogue_dir, "rogue_ca").client("owtcert")
        self.other_key = lone_key(self.dir, "other")
        self.encrypted_key = self.client.encrypted_key("secret")
        # One file with the certificate, the issuing CA (a chain) and the key.
        self.client_all = self.path("client_all.pem")
        with open(self.client_all, "w") as f:
            for path in (self.client.cert_path, self.ca.cert_path, self.client.key_path):
                f.write(open(path).read())

    def path(self, name):
        return os.path.join(self.dir, name)


class Recorder:
    """An HTTPS server on a free loopback port that demands a client
    certificate of pki's CA (ssl.CERT_REQUIRED) and answers every POST
    with FAULT. requests lists (Authorization values, the peer's
    certificate in DER) per request; connections counts the TCP
    connections accepted, refused the handshakes that failed. tls is the
    highest version it speaks: over TLS 1.2 it refuses a certificate in
    the handshake, over TLS 1.3 after the client's part of it. With
    post_handshake (TLS 1.3) it asks for the certificate only once it has
    read a request, as Windows Server 2022 does on seeing the header."""

    def __init__(self, pki, tls=ssl.TLSVersion.TLSv1_3, post_handshake=False):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.maximum_version = tls
        ctx.post_handshake_auth = post_handshake
        ctx.load_cert_chain(pki.server.cert_path, pki.server.key_path)
        ctx.load_verify_locations(pki.ca.cert_path)
        ctx.verify_mode = ssl.CERT_REQUIRED
        self.requests, self.refused, self.connections, self.before_asking = [], [], 0, []
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if post_handshake:
                    self._ask_for_the_certificate()
                rec.requests.append((self.headers.get_all("Authorization") or [],
                                     self.connection.getpeercert(binary_form=True)))
                self.send_response(500)
                self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
                self.send_header("Content-Length", str(len(FAULT)))
                self.end_headers()
                self.wfile.write(FAULT)

            def _ask_for_the_certificate(self):
                tls = self.connection
                rec.before_asking.append(tls.getpeercert(binary_form=True))
                tls.verify_client_post_handshake()
                tls.do_handshake()  # sends the CertificateRequest
                # Reads the client's answer; no application data follows it.
                tls.settimeout(1.0)
                try:
                    tls.recv(1)
                except (socket.timeout, ssl.SSLWantReadError):
                    pass
                tls.settimeout(30)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                sock, addr = self.socket.accept()
                rec.connections += 1
                sock.settimeout(30)
                try:
                    return ctx.wrap_socket(sock, server_side=True), addr
                except OSError as e:  # socketserver drops the connection
                    rec.refused.append(str(e))
                    sock.close()
                    raise

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, scheme="https"):
        return "%s://127.0.0.1:%d/wsman" % (scheme, self.port)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _winrs(pki, args, config=None, timeout=60):
    """winrs ... true, trusting the test CA (SSL_CERT_FILE) and nothing else."""
    return h.winrs(list(args) + ["true"], config_dir=config, env={"SSL_CERT_FILE": pki.ca.cert_path},
                   timeout=timeout)


def _with_recorder(test):
    """test(pki, rec) once with a TLS 1.3 server and once with a TLS 1.2 one."""
    def run():
        pki = Pki()
        for tls in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
            rec = Recorder(pki, tls)
            try:
                test(pki, rec)
            except h.TestFailure as e:
                raise h.TestFailure("%s (server up to %s)" % (e, tls.name))
            finally:
                rec.close()
    run.__name__ = test.__name__
    return run


def _check_presented(pki, rec, what):
    h.check(rec.requests, "%s: no request reached the server (refused handshakes: %s)" % (what, rec.refused))
    for authz, der in rec.requests:
        h.eq(authz, [MUTUAL], "%s: the Authorization of a request" % what)
        h.check(der == pki.client.der, "%s: the server saw another certificate or none" % what)


@_with_recorder
def test_winrs_presents_the_certificate_and_the_mutual_profile(pki, rec):
    r = _winrs(pki, ["-r:" + rec.url(), "-a:Certificate", "-certificate:" + pki.client_all])
    h.eq(r.returncode, 255, "winrs against a server that answers a fault (%s)" % _err(r))
    h.check(FAULT_MESSAGE in _err(r), "the server's fault reached winrs: %s" % _err(r))
    _check_presented(pki, rec, "-a:Certificate -certificate:")
    h.eq(rec.refused, [], "refused handshakes")


@_with_recorder
def test_separate_key_file_and_the_scheme_implied(pki, rec):
    """-certificatekey: for a PEM pair (pywinrm's cert_pem, cert_key_pem);
    -certificate: without -a: means Certificate, the only scheme that
    takes one."""
    r = _winrs(pki, ["-r:" + rec.url(), "-certificate:" + pki.client.cert_path,
                     "-certificatekey:" + pki.client.key_path])
    h.check(FAULT_MESSAGE in _err(r), "the server's fault reached winrs: %s" % _err(r))
    _check_presented(pki, rec, "-certificate: -certificatekey:")


@_with_recorder
def test_winrm_identify_with_a_certificate(pki, rec):
    """winrm sends Identify authenticated (never WSMANIDENTIFY: unauthenticated);
    the reply to Identify is read raw, so the fault is an HTTP 500 to it."""
    r = subprocess.run([h.client_path("winrm"), "id", "-r:" + rec.url(), "-a:Certificate",
                        "-certificate:" + pki.client_all, "--config-dir", h.client_config()],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, SSL_CERT_FILE=pki.ca.cert_path))
    h.eq(r.returncode, 1, "winrm id against a server that answers a fault (%s)" % _err(r))
    h.check("HTTP status 500" in _err(r), "the server's reply reached winrm: %s" % _err(r))
    _check_presented(pki, rec, "winrm id -a:Certificate")


@_with_recorder
def test_certificate_of_another_ca_refused_by_the_server(pki, rec):
    r = _winrs(pki, ["-r:" + rec.url(), "-certificate:" + pki.rogue.cert_path,
                     "-certificatekey:" + pki.rogue.key_path])
    h.eq(r.returncode, 255, "exit code (%s)" % _err(r))
    h.eq(rec.requests, [], "requests the server took without a certificate of its CA")
    h.check(rec.refused, "the server refused no handshake")
    # The alert is lost when the server's reset overtakes it (TLS 1.3,
    # where the client sent its request before the server checked).
    h.check("refused the client certificate" in _err(r) and
            ("unknown ca" in _err(r) or "without a reply" in _err(r)),
            "the message says the server refused the certificate, and how: %s" % _err(r))


def _refused_before_connecting(pki, args, want, config=None):
    """winrs refused with want in its message, and no connection made."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        args = [a.replace("PORT", str(port)) for a in args]
        r = _winrs(pki, args, config, timeout=20)
        h.eq(r.returncode, 255, "exit code of a refused winrs (%s)" % _err(r))
        h.check(want.lower() in _err(r).lower(), "message %r lacks %r" % (_err(r), want))
        try:
            listener.accept()[0].close()
            h.check(False, "winrs connected before refusing (%s)" % args)
        except BlockingIOError:
            pass
        return _err(r)
    finally:
        listener.close()


def test_over_http_refused_before_connecting():
    pki = Pki()
    cfg = h.client_config({"Client/TrustedHosts": "*", "Client/AllowUnencrypted": "true"})
    msg = _refused_before_connecting(pki, ["-r:http://127.0.0.1:PORT/wsman", "-a:Certificate",
                                           "-certificate:" + pki.client_all],
                                     "HTTPS only", cfg)
    h.check("-usessl" in msg, "message names the way to HTTPS: %s" % msg)
    # A bare host without -usessl is HTTP too.
    _refused_before_connecting(pki, ["-r:127.0.0.1:PORT", "-certificate:" + pki.client_all],
                               "HTTPS only", cfg)


def test_key_problems_refused_before_connecting():
    pki = Pki()
    url = "-r:https://127.0.0.1:PORT/wsman"
    cert = "-certificate:" + pki.client.cert_path
    msg = _refused_before_connecting(pki, [url, cert, "-certificatekey:" + pki.other_key],
                                     "does not match the certificate")
    h.check(pki.other_key in msg and pki.client.cert_path in msg, "message names both files: %s" % msg)
    _refused_before_connecting(pki, [url, cert, "-certificatekey:" + pki.encrypted_key], "is encrypted")
    _refused_before_connecting(pki, [url, cert], "-certificatekey:PATH")  # no key in the file
    _refused_before_connecting(pki, [url, cert, "-certificatekey:" + pki.path("missing.key")],
                               "cannot read the private key")
    _refused_before_connecting(pki, [url, "-certificate:" + pki.path("missing.pem")],
                               "cannot read the client certificate")
    _refused_before_connecting(pki, [url, "-certificate:" + pki.client.key_path], "holds no PEM certificate")
    # The server's certificate is not for client authentication.
    _refused_before_connecting(pki, [url, "-certificate:" + pki.server.cert_path,
                                     "-certificatekey:" + pki.server.key_path], "not for client authentication")


def test_client_auth_certificate_false_refuses():
    pki = Pki()
    msg = _refused_before_connecting(pki, ["-r:https://127.0.0.1:PORT/wsman", "-a:Certificate",
                                           "-certificate:" + pki.client_all],
                                     "Certificate authentication is currently disabled",
                                     h.client_config({"Client/Auth/Certificate": "false"}))
    h.check('winrm/config/client/auth @{Certificate="true"}' in msg, "message names the setting: %s" % msg)


def test_switches_that_do_not_go_with_a_certificate():
    pki = Pki()
    url = "-r:https://127.0.0.1:PORT/wsman"
    cert = "-certificate:" + pki.client_all
    for creds in (["-u:someone", "-p:secret"], ["-u:someone"], ["-p:secret"]):
        _refused_before_connecting(pki, [url, "-a:Certificate", cert] + creds, "takes no user name or password")
    _refused_before_connecting(pki, [url, "-a:Certificate"], "-certificate:PATH")
    _refused_before_connecting(pki, [url, "-a:Basic", "-u:x", "-p:y", cert], "for Certificate authentication")
    _refused_before_connecting(pki, [url, "-certificatekey:" + pki.client.key_path],
                               "goes with -certificate:PATH")


def test_certificate_asked_for_after_the_handshake():
    """TLS 1.3 post-handshake authentication (RFC 8446 4.6.2): the client
    offers it, and answers a CertificateRequest that comes after the
    request, where Windows Server 2022 asks for it."""
    pki = Pki()
    rec = Recorder(pki, ssl.TLSVersion.TLSv1_3, post_handshake=True)
    try:
        r = _winrs(pki, ["-r:" + rec.url(), "-certificate:" + pki.client_all])
        h.check(FAULT_MESSAGE in _err(r), "the server's fault reached winrs: %s" % _err(r))
        h.check(rec.before_asking and all(c is None for c in rec.before_asking),
                "the server had the certificate before asking for it: %s" % rec.before_asking)
        _check_presented(pki, rec, "post-handshake")
    finally:
        rec.close()
