"""The test-only CredSSP client (credssp_shim/requests_credssp.py) on its
own, without the service (none is started): its DER against the C
codec's vectors in tests/unit/test_credssp.c (real TSRequests from
wallix/redemption, MS-CSSP's sample, a TSCredentials and binding hashes
made apart from OpenSSL), then whole exchanges against a strict acceptor
written here (server-side TLS on memory BIOs, gss-ntlmssp accepting from
an NTLM_USER_FILE, or Kerberos from a test realm's keytab), each
misbehaviour refused, and Debian's pywinrm (transport='credssp', message
encryption) through it against a small HTTP server in this process."""
import base64
import http.server
import os
import re
import ssl
import struct
import sys
import tempfile
import threading

from cryptography import x509
from cryptography.hazmat.primitives import serialization

import harness as h
import pki

SHIM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "credssp_shim")
sys.path.insert(0, SHIM_DIR)
import gssapi  # noqa: E402
import requests_credssp as shim  # noqa: E402

CODEC_TEST = os.path.join(h.REPO, "tests", "unit", "test_credssp.c")
DOMAIN, USER, PASSWORD = "OWT", "credssp_user", "Pw-" + base64.b32encode(os.urandom(10)).decode()
MAX_LEGS = 16
PROTOCOL = b"application/HTTP-CredSSP-session-encrypted"
BOUNDARY = b"--Encrypted Boundary"
OCTET = b"\tContent-Type: application/octet-stream\r\n"
CHUNK = 16384


def codec_vectors():
    """The byte arrays and strings the C codec's unit test is built on, by
    name: one copy of each vector in the tree."""
    with open(CODEC_TEST) as f:
        text = f.read()
    arrays = {m.group(1): bytes(int(x, 16) for x in re.findall(r"0x([0-9a-fA-F]{2})", m.group(2)))
              for m in re.finditer(r"static const uint8_t (\w+)\[\] = \{(.*?)\};", text, re.S)}
    strings = {m.group(1): "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))).replace("\\n", "\n")
               for m in re.finditer(r"static const char (\w+)\[\] =(.*?);", text, re.S)}
    return arrays, strings


# ---------------------------------------------------------------------------
# The codec.

def test_der_matches_the_codec_vectors():
    v, _ = codec_vectors()
    for name in ("negotiate", "challenge", "authenticate", "server_pub_key_auth", "auth_info",
                 "v6_pub_key_auth", "logon_failure"):
        m = shim.TSRequest.decode(v[name])
        h.eq(m.encode(), v[name], "%s decoded and encoded back" % name)
    ntlm = shim.TSRequest.decode(v["negotiate"])
    h.eq((ntlm.version, ntlm.nego_token[:9], ntlm.pub_key_auth), (6, b"NTLMSSP\0\1", None), "NEGOTIATE")
    h.eq(shim.TSRequest.decode(v["challenge"]).version, 2, "CHALLENGE's version")
    auth = shim.TSRequest.decode(v["authenticate"])
    h.eq((auth.nego_token[:9], len(auth.pub_key_auth)), (b"NTLMSSP\0\3", 32), "AUTHENTICATE and pubKeyAuth")
    nonce = shim.TSRequest.decode(v["v6_pub_key_auth"])
    h.eq((nonce.client_nonce, nonce.pub_key_auth), (bytes(range(32)), bytes(range(0x40, 0x60))),
         "clientNonce and pubKeyAuth")
    h.eq(shim.TSRequest.decode(v["logon_failure"]).error_code, 0xC000006D, "errorCode, unsigned")
    h.eq(shim.TSRequest(6, error_code=0xC000006D).encode(), v["logon_failure"], "errorCode encoded")
    built = shim.TSRequest(6, nego_tokens=[ntlm.nego_token]).encode()
    h.eq(built, v["negotiate"], "NEGOTIATE built from its token")

    h.eq(shim.decode_credentials(v["password_creds"]), ("Ithaque", "Ulysse", "P\u00e9n\u00e9lope\U0001F600"),
         "TSPasswordCreds")
    h.eq(shim.encode_credentials("Ithaque", "Ulysse", "P\u00e9n\u00e9lope\U0001F600"), v["password_creds"],
         "TSPasswordCreds encoded")
    for bad in (v["negotiate"] + b"\0", v["negotiate"][:-1], b"\x31" + v["negotiate"][1:]):
        try:
            shim.TSRequest.decode(bad)
        except shim.AuthenticationException:
            continue
        raise h.TestFailure("decoded %s" % bad.hex())
    try:
        shim.decode_credentials(v["smart_card_creds"])
        raise h.TestFailure("a smart card TSCredentials decoded as a password")
    except shim.AuthenticationException:
        pass


def test_binding_matches_the_codec_vectors():
    v, s = codec_vectors()
    der = ssl.PEM_cert_to_DER_cert(s["cert_pem"])
    key = shim.subject_public_key(der)
    pkcs1 = x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    h.eq(key, pkcs1, "SubjectPublicKey is the RSAPublicKey")
    nonce = bytes(range(32))
    h.eq(shim.pub_key_auth_value(key, shim.CLIENT_TO_SERVER, nonce).hex(), s["client_hash_hex"], "v6 client")
    h.eq(shim.pub_key_auth_value(key, shim.SERVER_TO_CLIENT, nonce).hex(), s["server_hash_hex"], "v6 server")
    import hashlib
    h.eq(hashlib.sha256(shim.pub_key_auth_value(key, shim.CLIENT_TO_SERVER, None)).hexdigest(),
         s["v4_client_sha256_hex"], "v4 client: the key")
    h.eq(hashlib.sha256(shim.pub_key_auth_value(key, shim.SERVER_TO_CLIENT, None)).hexdigest(),
         s["v4_server_sha256_hex"], "v4 server: first byte plus one")
    with tempfile.TemporaryDirectory() as d:
        ec_cert = pki.CA(d).server("credssp", ["127.0.0.1"])
        point = ec_cert.cert.public_key().public_bytes(serialization.Encoding.X962,
                                                       serialization.PublicFormat.UncompressedPoint)
        h.eq(shim.subject_public_key(ec_cert.der), point, "an EC certificate's key: the point")


# ---------------------------------------------------------------------------
# A strict acceptor, the server side of MS-CSSP 3.1.5, for these tests only.

class Refused(Exception):
    pass


class Acceptor:
    """step(client token) -> server token, raising Refused where a server
    must refuse; credentials and initiator are what it authenticated and
    was given. version is what it answers with; wrong_proof sends a
    pubKeyAuth the client must refuse."""

    def __init__(self, cert, key, version=shim.CREDSSP_VERSION, wrong_proof=False):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self._in, self._out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self._in, self._out, server_side=True)
        with open(cert) as f:
            self.public_key = x509.load_pem_x509_certificate(f.read().encode()).public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        self.version, self.wrong_proof = version, wrong_proof
        self.gss = gssapi.SecurityContext(usage="accept")
        self.credentials = self.initiator = None
        self.complete = False
        self._steps = self._run()
        next(self._steps)

    def step(self, token):
        try:
            return self._steps.send(token)
        except StopIteration:
            raise Refused("a token after the end")

    def wrap(self, data):
        self.tls.write(data)
        return self._out.read()

    def unwrap(self, data):
        self._in.write(data)
        chunks = []
        for _ in range(1000):
            try:
                chunks.append(self.tls.read())
            except ssl.SSLWantReadError:
                return b"".join(chunks)
        raise Refused("endless TLS data")

    def _recv(self, token):
        try:
            return shim.TSRequest.decode(self.unwrap(token))
        except shim.AuthenticationException as e:
            raise Refused(str(e))

    def _run(self):
        token = yield None
        for _ in range(MAX_LEGS):
            self._in.write(token)
            try:
                self.tls.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                done = False
            token = yield self._out.read()
            if done:
                break
        request = self._recv(token)
        version = min(request.version, self.version)
        for _ in range(MAX_LEGS):
            if request.auth_info is not None:
                raise Refused("authInfo before the server's pubKeyAuth")
            out = self.gss.step(request.nego_token) if request.nego_token else None
            if request.pub_key_auth is not None:
                break
            if out is None:
                # Kerberos ends with the AP-REP to send, NTLM with the
                # mechListMIC: pubKeyAuth comes with the next request.
                raise Refused("neither a token nor pubKeyAuth")
            request = self._recv((yield self.wrap(shim.TSRequest(self.version, nego_tokens=[out]).encode())))
        if not self.gss.complete:
            raise Refused("pubKeyAuth before the end of SPNEGO")
        nonce = request.client_nonce
        if (version >= 5) != (nonce is not None) or (nonce is not None and len(nonce) != shim.NONCE_LEN):
            raise Refused("clientNonce %r at version %d" % (nonce, version))
        try:
            proof = self.gss.unwrap(request.pub_key_auth).message
        except gssapi.exceptions.GSSError as e:
            raise Refused("pubKeyAuth does not unseal: %s" % e)
        if proof != shim.pub_key_auth_value(self.public_key, shim.CLIENT_TO_SERVER, nonce):
            raise Refused("pubKeyAuth is not over our key")
        answer = shim.pub_key_auth_value(self.public_key, shim.SERVER_TO_CLIENT, nonce)
        if self.wrong_proof:
            answer = answer[:-1] + bytes([answer[-1] ^ 1])
        reply = shim.TSRequest(self.version, nego_tokens=[out] if out else None,
                               pub_key_auth=self.gss.wrap(answer, True).message)
        request = self._recv((yield self.wrap(reply.encode())))
        if request.auth_info is None or request.pub_key_auth is not None or request.nego_tokens:
            raise Refused("not authInfo alone: %r" % request)
        self.credentials = shim.decode_credentials(self.gss.unwrap(request.auth_info).message)
        self.initiator = str(self.gss.initiator_name).rstrip("\0")  # gss-ntlmssp ends it with a NUL
        self.complete = True
        yield None


class Peers:
    """The NTLM user file and the RSA certificate of the run, for Acceptor."""

    def __init__(self):
        fx = h.fixture()
        self.cert, self.key = fx.cert, fx.key
        path = os.path.join(fx.run_dir, "credssp-shim-ntlm-users")
        with open(path, "w") as f:
            f.write("%s:%s:%s\n" % (DOMAIN, USER, PASSWORD))
        # gss-ntlmssp reads it when accepting, in this process only.
        os.environ["NTLM_USER_FILE"] = path

    def acceptor(self, **kw):
        return Acceptor(self.cert, self.key, **kw)


def client(**kw):
    return shim.CredSSPContext("localhost", DOMAIN + "\\" + USER, PASSWORD, auth_mechanism="ntlm", **kw)


def exchange(c, a):
    """Runs client c against acceptor a to the end; Refused or
    AuthenticationException propagate."""
    token = c.step()
    for _ in range(MAX_LEGS):
        answer = a.step(token)
        if c.complete:
            h.check(a.complete, "the client finished before the acceptor")
            return
        token = c.step(answer)
    raise h.TestFailure("no end after %d legs" % MAX_LEGS)


def test_loopback_exchange_tls_1_2_and_1_3():
    peers = Peers()
    for tls in ("1.2", "1.3"):
        c, a = client(tls_version=tls), peers.acceptor()
        exchange(c, a)
        h.eq(a.credentials, (DOMAIN, USER, PASSWORD), "TLS %s: the delegated credentials" % tls)
        h.eq(a.initiator.upper(), (DOMAIN + "\\" + USER).upper(), "TLS %s: the authenticated name" % tls)
        h.eq((c.version, c.tls.version()), (6, "TLSv" + tls), "CredSSP and TLS versions")
        sent = [m for d, m in c.trace if d == "out"]
        h.eq([m.version for m in sent], [6] * len(sent), "every TSRequest at version 6")
        h.eq(len(sent[-2].client_nonce), 32, "the nonce with pubKeyAuth")
        h.eq(sent[-2].nego_token.count(shim.NTLM_AUTHENTICATE), 1, "AUTHENTICATE goes with pubKeyAuth")
        h.eq((sent[-1].auth_info is not None, sent[-1].nego_tokens), (True, None), "authInfo alone")
        big = os.urandom(3 * CHUNK + 5)
        h.eq(a.unwrap(c.wrap(big)), big, "client to server through the TLS session")
        h.eq(c.unwrap(a.wrap(b"reply")), b"reply", "server to client")
        h.check(re.search(r"GCM|CHACHA", c.cipher_negotiated), "cipher " + c.cipher_negotiated)


def test_loopback_versions_2_and_4():
    """No nonce; pubKeyAuth the key itself, the server's its first byte
    plus one; the smaller of the two versions wins."""
    peers = Peers()
    for mine, theirs in ((2, 6), (4, 6), (6, 2), (6, 4)):
        c, a = client(version=mine), peers.acceptor(version=theirs)
        exchange(c, a)
        h.eq(c.version, min(mine, theirs), "negotiated version")
        h.eq(a.credentials, (DOMAIN, USER, PASSWORD), "credentials at %d/%d" % (mine, theirs))
        sent = [m for d, m in c.trace if d == "out"]
        h.eq(({m.version for m in sent}, sent[-2].client_nonce), ({mine}, None), "claimed version, no nonce")


def test_loopback_misbehaviours_refused():
    peers = Peers()
    want = {
        "wrong_pub_key_auth": "not over our key",
        "corrupt_pub_key_auth": "does not unseal",
        "skip_pub_key_auth": "authInfo before",
        "auth_info_before_pub_key": "authInfo before",
        "auth_info_with_pub_key": "authInfo before",
        "omit_nonce": "clientNonce None at version 6",
        "trailing_byte": "after the DER",
    }
    h.eq(sorted(want), sorted(shim.MISBEHAVIOURS), "every misbehaviour tried")
    for name, reason in want.items():
        try:
            exchange(client(misbehave=[name]), peers.acceptor())
            raise h.TestFailure("%s: accepted" % name)
        except Refused as e:
            h.check(reason in str(e), "%s: refused for %r, not %r" % (name, str(e), reason))
    c, a = client(delegate=["OTHER\\someone", "elses-password"]), peers.acceptor()
    exchange(c, a)
    h.eq(a.credentials, ("OTHER", "someone", "elses-password"), "another user's credentials delegated")
    h.eq(a.initiator.upper(), (DOMAIN + "\\" + USER).upper(), "while authenticated as ours")
    try:
        shim.CredSSPContext("h", "u", "p", misbehave=["no_such_thing"])
        raise h.TestFailure("an unknown misbehaviour accepted")
    except ValueError:
        pass


def test_loopback_client_refuses_wrong_server_proof_and_password():
    peers = Peers()
    try:
        exchange(client(), peers.acceptor(wrong_proof=True))
        raise h.TestFailure("a wrong server pubKeyAuth accepted")
    except shim.AuthenticationException as e:
        h.check("does not match its key" in str(e), str(e))
    c = shim.CredSSPContext("localhost", DOMAIN + "\\" + USER, "wrong", auth_mechanism="ntlm")
    try:
        exchange(c, peers.acceptor())
        raise h.TestFailure("a wrong password authenticated")
    except gssapi.exceptions.GSSError:
        pass


# ---------------------------------------------------------------------------
# pywinrm through the shim, against an HTTP server in this process.

class Handler(http.server.BaseHTTPRequestHandler):
    """One connection: CredSSP in the headers (winrm-protocol.md 8.5), then
    MS-WSMV 2.2.9.1.3 sealed bodies, each answered with the body reversed."""
    protocol_version = "HTTP/1.1"
    acceptor = None
    peers = None
    refusals = []

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        auth = self.headers.get("Authorization", "")
        if self.acceptor is None or not self.acceptor.complete:
            if not auth.startswith("CredSSP "):
                return self.reply(401, headers=[("WWW-Authenticate", "CredSSP")])
            if self.acceptor is None:
                self.acceptor = self.peers.acceptor()
            try:
                out = self.acceptor.step(base64.b64decode(auth[8:]))
            except (Refused, gssapi.exceptions.GSSError) as e:
                Handler.refusals.append(str(e))
                self.acceptor = None
                return self.reply(401, headers=[("WWW-Authenticate", "CredSSP")])
            if not self.acceptor.complete:
                return self.reply(401, headers=[("WWW-Authenticate", "CredSSP " + base64.b64encode(out).decode())])
        if not body:
            return self.reply(200)
        self.reply(200, *self.sealed(self.unsealed(body)[::-1]))

    def unsealed(self, body):
        h.check(b'protocol="%s"' % PROTOCOL in self.headers["Content-Type"].encode(), self.headers["Content-Type"])
        plain = b""
        for part in body.split(OCTET)[1:]:
            record = part[4:].split(BOUNDARY)[0]
            plain += self.acceptor.unwrap(record)
        return plain

    def sealed(self, plain):
        body = b""
        for i in range(0, len(plain), CHUNK):
            chunk = plain[i:i + CHUNK]
            body += (BOUNDARY + b"\r\n\tContent-Type: " + PROTOCOL + b"\r\n"
                     b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n" % len(chunk)
                     + BOUNDARY + b"\r\n" + OCTET + struct.pack("<I", 16) + self.acceptor.wrap(chunk))
        kind = "multipart/x-multi-encrypted" if len(plain) > CHUNK else "multipart/encrypted"
        ctype = '%s;protocol="%s";boundary="Encrypted Boundary"' % (kind, PROTOCOL.decode())
        return body + BOUNDARY + b"--\r\n", [("Content-Type", ctype)]


def test_pywinrm_through_the_shim():
    import winrm.transport
    h.check(winrm.transport.HAVE_CREDSSP and winrm.transport.HttpCredSSPAuth is shim.HttpCredSSPAuth,
            "pywinrm did not import the shim")
    Handler.peers = Peers()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # daemon threads per connection
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        url = "http://127.0.0.1:%d/wsman" % server.server_address[1]
        t = winrm.transport.Transport(url, username=DOMAIN + "\\" + USER, password=PASSWORD,
                                      auth_method="credssp", message_encryption="always",
                                      server_cert_validation="ignore", read_timeout_sec=30)
        h.eq(t.send_message(b"<hello/>"), b">/olleh<", "a small message both ways")
        big = bytes(range(256)) * 200  # over 16 KiB: multipart/x-multi-encrypted
        h.eq(t.send_message(big), big[::-1], "a 51200-byte message both ways")
        h.check(isinstance(t.session.auth, shim.HttpCredSSPAuth), "the session's auth")
        h.eq(Handler.refusals, [], "refusals")

        os.environ[shim.ENVIRONMENT] = '{"misbehave": ["wrong_pub_key_auth"]}'
        try:
            bad = winrm.transport.Transport(url, username=DOMAIN + "\\" + USER, password=PASSWORD,
                                            auth_method="credssp", message_encryption="always",
                                            server_cert_validation="ignore", read_timeout_sec=30)
            bad.send_message(b"<hello/>")
            raise h.TestFailure("a wrong pubKeyAuth got through")
        except shim.AuthenticationException as e:
            h.eq(e.response.status_code, 401, "the refusal's status")
        finally:
            del os.environ[shim.ENVIRONMENT]
        h.eq(len(Handler.refusals), 1, "one refusal")
        h.check("not over our key" in Handler.refusals[0], Handler.refusals[0])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_loopback_kerberos_from_a_ticket_cache():
    """auth_mechanism auto with KRB5CCNAME: SPNEGO over Kerberos, the
    pubKeyAuth in its own TSRequest after the AP-REP (no token with it)."""
    import krb
    peers = Peers()
    with krb.Realm() as realm:
        keytab = os.path.join(realm.dir, "http.keytab")
        realm.add_service("HTTP/localhost", keytab)
        realm.add_user(USER, PASSWORD)
        env = realm.kinit(USER, PASSWORD, os.path.join(realm.dir, "ccache"), lifetime=600)
        os.environ.update(env, KRB5_KTNAME="FILE:" + keytab)
        c = shim.CredSSPContext("localhost", USER, PASSWORD)
        a = peers.acceptor()
        exchange(c, a)
        h.eq(a.initiator, "%s@%s" % (USER, realm.realm), "the Kerberos principal")
        h.eq(a.credentials, ("", USER, PASSWORD), "the delegated credentials")
        sent = [m for d, m in c.trace if d == "out"]
        h.check(sent[-3].nego_token.find(b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02") > 0, "no Kerberos token")
        h.eq((sent[-2].nego_tokens, len(sent[-2].client_nonce)), (None, 32), "pubKeyAuth alone, with a nonce")
