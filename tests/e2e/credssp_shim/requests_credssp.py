"""requests_credssp for openwinrm's end-to-end tests only: a CredSSP client
([MS-CSSP]) with the interface Debian's pywinrm 0.3.0 imports for
transport='credssp' (winrm/transport.py: HttpCredSSPAuth(username=,
password=, disable_tlsv1_2=); winrm/encryption.py: .wrap, .unwrap,
.cipher_negotiated), so that pywinrm's real transport and CredSSP message
encryption run against our service.

Why it exists: Debian 12 packages no CredSSP client (no
python3-requests-credssp, no pyspnego). It is test code, never installed
or shipped: tests that want it put this directory on PYTHONPATH. It is
written apart from the service's C code (src/credssp/) and follows what
requests-credssp and pyspnego do against Windows, so that the two sides
check each other rather than share a mistake.

Built from Debian packages: ssl (TLS on memory BIOs, no certificate
verification: MS-CSSP binds the server's key through pubKeyAuth instead),
python3-pyasn1 (the DER), python3-gssapi (SPNEGO over NTLM through
gss-ntlmssp, or over Kerberos from a ticket cache), python3-requests.

Refusal tests make it misbehave on purpose: constructor keywords, or, as
pywinrm builds the object itself, the same keywords as a JSON object in
the environment variable OWT_CREDSSP_SHIM (keywords given to the
constructor win), e.g.
    OWT_CREDSSP_SHIM='{"misbehave": ["wrong_pub_key_auth"]}'
    OWT_CREDSSP_SHIM='{"version": 4}'
    OWT_CREDSSP_SHIM='{"delegate": ["otheruser", "otherpassword"]}'
MISBEHAVIOURS lists the names misbehave takes.
"""
import base64
import dataclasses
import hashlib
import json
import os
import re
import ssl
import typing
from urllib.parse import urlparse

import gssapi
import gssapi.raw
from pyasn1.codec.der import decoder, encoder
from pyasn1.type import namedtype, tag, univ
from requests.auth import AuthBase

# MS-CSSP 2.2.1: the newest TSRequest version, the one pyspnego sends.
CREDSSP_VERSION = 6
# MS-CSSP 2.2.1: "clientNonce ... a 32-byte array of cryptographically
# random bytes".
NONCE_LEN = 32
# MS-CSSP 2.2.1.2: TSCredentials.credType 1, TSPasswordCreds.
CRED_TYPE_PASSWORD = 1
# MS-CSSP 3.1.5 steps 3 and 4, versions 5 and above.
CLIENT_TO_SERVER = b"CredSSP Client-To-Server Binding Hash\x00"
SERVER_TO_CLIENT = b"CredSSP Server-To-Client Binding Hash\x00"
# The NTLM AUTHENTICATE message's signature and type: pyspnego and
# requests-credssp send it together with pubKeyAuth although SPNEGO still
# waits for the acceptor's mechListMIC.
NTLM_AUTHENTICATE = b"NTLMSSP\x00\x03\x00\x00\x00"
# Bounds on every loop over the peer's answers.
MAX_LEGS = 16
MAX_RECORDS = 4096

SPNEGO = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
KRB5 = gssapi.OID.from_int_seq("1.2.840.113554.1.2.2")
NTLM = gssapi.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")

MISBEHAVIOURS = {
    "wrong_pub_key_auth": "pubKeyAuth sealed correctly over a value one bit off the right one",
    "corrupt_pub_key_auth": "pubKeyAuth with its last sealed byte changed, so its seal fails",
    "skip_pub_key_auth": "the last SPNEGO token without pubKeyAuth, then authInfo on the next leg",
    "auth_info_before_pub_key": "authInfo instead of pubKeyAuth with the last SPNEGO token",
    "auth_info_with_pub_key": "authInfo in the pubKeyAuth TSRequest, before the server proved its key",
    "omit_nonce": "no clientNonce at version 5 or 6, pubKeyAuth the bare key as in versions 2 to 4",
    "trailing_byte": "one byte after the DER of every TSRequest",
}
ENVIRONMENT = "OWT_CREDSSP_SHIM"


class AuthenticationException(Exception):
    """Authentication did not complete. error_code is the NTSTATUS of the
    server's TSRequest errorCode (unsigned), response the HTTP response
    that ended it, when there is one."""

    def __init__(self, message, response=None, error_code=None):
        super().__init__(message)
        self.response = response
        self.error_code = error_code


# ---------------------------------------------------------------------------
# The DER structures of MS-CSSP 2.2.1, every tag explicit.

def _explicit(n):
    return tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, n)


class NegoToken(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("negoToken", univ.OctetString().subtype(explicitTag=_explicit(0))))


class NegoData(univ.SequenceOf):
    componentType = NegoToken()


class TSRequestAsn1(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer().subtype(explicitTag=_explicit(0))),
        namedtype.OptionalNamedType("negoTokens", NegoData().subtype(explicitTag=_explicit(1))),
        namedtype.OptionalNamedType("authInfo", univ.OctetString().subtype(explicitTag=_explicit(2))),
        namedtype.OptionalNamedType("pubKeyAuth", univ.OctetString().subtype(explicitTag=_explicit(3))),
        namedtype.OptionalNamedType("errorCode", univ.Integer().subtype(explicitTag=_explicit(4))),
        namedtype.OptionalNamedType("clientNonce", univ.OctetString().subtype(explicitTag=_explicit(5))))


class TSCredentialsAsn1(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("credType", univ.Integer().subtype(explicitTag=_explicit(0))),
        namedtype.NamedType("credentials", univ.OctetString().subtype(explicitTag=_explicit(1))))


class TSPasswordCredsAsn1(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("domainName", univ.OctetString().subtype(explicitTag=_explicit(0))),
        namedtype.NamedType("userName", univ.OctetString().subtype(explicitTag=_explicit(1))),
        namedtype.NamedType("password", univ.OctetString().subtype(explicitTag=_explicit(2))))


def _decode_exactly(data, spec, what):
    try:
        value, rest = decoder.decode(data, asn1Spec=spec)
    except Exception as e:  # pyasn1 raises several error types
        raise AuthenticationException("%s: not DER: %s" % (what, e))
    if rest:
        raise AuthenticationException("%s: %d bytes after the DER" % (what, len(rest)))
    return value


@dataclasses.dataclass
class TSRequest:
    """One TSRequest as plain fields; None for an absent one. nego_tokens
    is a list (NegoData is a SEQUENCE OF); error_code is unsigned."""

    version: int = CREDSSP_VERSION
    nego_tokens: typing.Optional[typing.List[bytes]] = None
    auth_info: typing.Optional[bytes] = None
    pub_key_auth: typing.Optional[bytes] = None
    error_code: typing.Optional[int] = None
    client_nonce: typing.Optional[bytes] = None

    @property
    def nego_token(self):
        """The first token (what requests-credssp and pyspnego read)."""
        return self.nego_tokens[0] if self.nego_tokens else None

    def encode(self):
        m = TSRequestAsn1()
        m["version"] = self.version
        if self.nego_tokens is not None:
            data = m["negoTokens"]
            for i, token in enumerate(self.nego_tokens):
                data[i]["negoToken"] = token
        for field, name in (("auth_info", "authInfo"), ("pub_key_auth", "pubKeyAuth"),
                            ("client_nonce", "clientNonce")):
            if getattr(self, field) is not None:
                m[name] = getattr(self, field)
        if self.error_code is not None:
            # Windows writes the NTSTATUS as a signed 32-bit INTEGER.
            m["errorCode"] = self.error_code - (1 << 32) if self.error_code >= 1 << 31 else self.error_code
        return encoder.encode(m)

    @classmethod
    def decode(cls, data):
        m = _decode_exactly(data, TSRequestAsn1(), "TSRequest")

        def opt(name):
            return bytes(m[name]) if m[name].isValue else None
        tokens = [bytes(t["negoToken"]) for t in m["negoTokens"]] if m["negoTokens"].isValue else None
        error = int(m["errorCode"]) & 0xFFFFFFFF if m["errorCode"].isValue else None
        return cls(int(m["version"]), tokens, opt("authInfo"), opt("pubKeyAuth"), error, opt("clientNonce"))


def encode_credentials(domain, user, password):
    """TSCredentials (credType 1) around TSPasswordCreds, the strings in
    UTF-16LE (MS-CSSP 2.2.1.2.1)."""
    p = TSPasswordCredsAsn1()
    p["domainName"] = domain.encode("utf-16-le")
    p["userName"] = user.encode("utf-16-le")
    p["password"] = password.encode("utf-16-le")
    c = TSCredentialsAsn1()
    c["credType"] = CRED_TYPE_PASSWORD
    c["credentials"] = encoder.encode(p)
    return encoder.encode(c)


def decode_credentials(data):
    """(domain, user, password) of a password TSCredentials."""
    c = _decode_exactly(data, TSCredentialsAsn1(), "TSCredentials")
    if int(c["credType"]) != CRED_TYPE_PASSWORD:
        raise AuthenticationException("TSCredentials: credType %d" % int(c["credType"]))
    p = _decode_exactly(bytes(c["credentials"]), TSPasswordCredsAsn1(), "TSPasswordCreds")
    return tuple(bytes(p[n]).decode("utf-16-le") for n in ("domainName", "userName", "password"))


# ---------------------------------------------------------------------------
# The public-key binding (MS-CSSP 3.1.5 steps 3 and 4).

class _SubjectPublicKeyInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("algorithm", univ.Any()),
        namedtype.NamedType("subjectPublicKey", univ.BitString()))


def _implicit(n):
    return tag.Tag(tag.tagClassContext, tag.tagFormatSimple, n)


class _TBSCertificate(univ.Sequence):
    # RFC 5280 4.1, only as far as the key: the rest is left undecoded.
    componentType = namedtype.NamedTypes(
        namedtype.OptionalNamedType("version", univ.Any().subtype(explicitTag=_explicit(0))),
        namedtype.NamedType("serialNumber", univ.Integer()),
        namedtype.NamedType("signature", univ.Any()),
        namedtype.NamedType("issuer", univ.Any()),
        namedtype.NamedType("validity", univ.Any()),
        namedtype.NamedType("subject", univ.Any()),
        namedtype.NamedType("subjectPublicKeyInfo", _SubjectPublicKeyInfo()),
        namedtype.OptionalNamedType("issuerUniqueID", univ.BitString().subtype(implicitTag=_implicit(1))),
        namedtype.OptionalNamedType("subjectUniqueID", univ.BitString().subtype(implicitTag=_implicit(2))),
        namedtype.OptionalNamedType("extensions", univ.Any().subtype(explicitTag=_explicit(3))))


class _Certificate(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("tbsCertificate", _TBSCertificate()),
        namedtype.NamedType("signatureAlgorithm", univ.Any()),
        namedtype.NamedType("signatureValue", univ.BitString()))


def subject_public_key(cert_der):
    """The contents of the BIT STRING subjectPublicKey of the certificate's
    SubjectPublicKeyInfo (an RSAPublicKey for RSA), which MS-CSSP binds."""
    cert = _decode_exactly(cert_der, _Certificate(), "server certificate")
    return cert["tbsCertificate"]["subjectPublicKeyInfo"]["subjectPublicKey"].asOctets()


def pub_key_auth_value(public_key, magic, nonce):
    """The value sealed into pubKeyAuth. Versions 5 and up (a nonce):
    SHA-256(magic || nonce || key). Versions 2 to 4 (no nonce): the key
    itself from the client (magic CLIENT_TO_SERVER), the key with its first
    byte plus one from the server."""
    if nonce is not None:
        return hashlib.sha256(magic + nonce + public_key).digest()
    if magic == CLIENT_TO_SERVER:
        return public_key
    return bytes([(public_key[0] + 1) & 0xFF]) + public_key[1:]


def split_username(username):
    """(domain, user) as pyspnego splits it for TSPasswordCreds: DOMAIN\\user,
    or no domain and the name whole (a UPN stays user@realm)."""
    if "\\" in username:
        domain, user = username.split("\\", 1)
        return domain, user
    return "", username


# ---------------------------------------------------------------------------
# The client.

OPTIONS = ("auth_mechanism", "minimum_version", "service", "version", "misbehave", "delegate", "tls_version")


def check_options(**options):
    """Refuses, with ValueError, what CredSSPContext would not understand."""
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ValueError("unknown keywords %s; known: %s" % (sorted(unknown), OPTIONS))
    bad = set(options.get("misbehave", ())) - set(MISBEHAVIOURS)
    if bad:
        raise ValueError("unknown misbehaviour %s; known: %s" % (sorted(bad), sorted(MISBEHAVIOURS)))
    if options.get("auth_mechanism", "auto") not in ("auto", "ntlm", "kerberos"):
        raise ValueError("auth_mechanism %r: auto, ntlm or kerberos" % options["auth_mechanism"])
    if options.get("version", CREDSSP_VERSION) not in range(2, CREDSSP_VERSION + 1):
        raise ValueError("version %r: 2 to %d" % (options["version"], CREDSSP_VERSION))
    if options.get("tls_version") not in (None, "1.2", "1.3"):
        raise ValueError("tls_version %r: 1.2 or 1.3" % options["tls_version"])

def _flip_last_bit(b):
    return b[:-1] + bytes([b[-1] ^ 1])


class CredSSPContext:
    """One CredSSP exchange over TLS on memory BIOs, without HTTP:
    step(server_token) returns the next client token; complete is true once
    the token with authInfo is out. trace lists ("out"|"in", TSRequest) in
    order; version is the negotiated version once known."""

    def __init__(self, hostname, username, password, auth_mechanism="auto", disable_tlsv1_2=False,
                 minimum_version=2, service="HTTP", version=CREDSSP_VERSION, misbehave=(), delegate=None,
                 tls_version=None):
        check_options(auth_mechanism=auth_mechanism, misbehave=misbehave, version=version,
                      tls_version=tls_version)
        self.hostname, self.service = hostname, service
        self.username, self.password = username, password
        self.auth_mechanism = auth_mechanism
        self.minimum_version, self.claimed_version = minimum_version, version
        self.misbehave = frozenset(misbehave)
        self.delegate = tuple(delegate) if delegate else (username, password)
        self.trace = []
        self.version = None
        self.complete = False
        self.gss = None
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = self._tls_context(disable_tlsv1_2, tls_version).wrap_bio(
            self._incoming, self._outgoing, server_side=False)
        self._steps = self._exchange()

    @staticmethod
    def _tls_context(disable_tlsv1_2, tls_version):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        # MS-CSSP 3.1.5 step 1: the certificate is not verified; pubKeyAuth
        # binds its key to the inner authentication.
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        # As pyspnego, for SChannel: no compression, no empty fragments
        # before CBC records (SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS), tolerance
        # of SChannel's block padding (SSL_OP_TLS_BLOCK_PADDING_BUG).
        ctx.options |= ssl.OP_NO_COMPRESSION | 0x00000200 | 0x00000800
        if disable_tlsv1_2:
            # requests-credssp: exactly TLS 1.0, every cipher (OpenSSL 3
            # offers none at TLS 1.0 above security level 0).
            ctx.set_ciphers("ALL:@SECLEVEL=0")
            ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1
        elif tls_version:
            ctx.minimum_version = ctx.maximum_version = {
                "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[tls_version]
        else:
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    def step(self, in_token=None):
        """The next token for the server, given the server's last (None
        the first time)."""
        if in_token is None:
            return next(self._steps)
        try:
            return self._steps.send(in_token)
        except StopIteration:
            raise AuthenticationException("CredSSP: a server token after the exchange ended")

    # ---- the steps of MS-CSSP 3.1.5

    def _exchange(self):
        yield from self._handshake()
        public_key = subject_public_key(self.tls.getpeercert(binary_form=True))

        self.gss = self._security_context()
        out_token = self.gss.step()
        for _ in range(MAX_LEGS):
            answer = yield from self._send(TSRequest(self.claimed_version, nego_tokens=[out_token]))
            if not answer.nego_token:
                raise AuthenticationException("CredSSP: the server's TSRequest has no token: %r" % answer)
            out_token = self.gss.step(answer.nego_token)
            if self.gss.complete or (out_token and NTLM_AUTHENTICATE in out_token):
                break
        else:
            raise AuthenticationException("CredSSP: no end to the SPNEGO exchange")

        self.version = min(answer.version, self.claimed_version)
        if self.version < self.minimum_version:
            raise AuthenticationException("CredSSP: server version %d below the minimum %d"
                                          % (self.version, self.minimum_version))
        yield from self._send_pub_key_auth(out_token, public_key)
        yield from self._send(TSRequest(self.claimed_version, auth_info=self._sealed_credentials()),
                              last=True)

    def _handshake(self):
        """MS-CSSP 3.1.5 step 1, as pyspnego: send what TLS writes until it
        writes nothing more (TLS 1.3 adds a leg for the client's Finished)."""
        in_token = None
        for _ in range(MAX_LEGS):
            if in_token:
                self._incoming.write(in_token)
            try:
                self.tls.do_handshake()
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError as e:
                raise AuthenticationException("CredSSP: TLS handshake: %s" % e)
            out_token = self._outgoing.read()
            if not out_token:
                return
            in_token = yield out_token
        raise AuthenticationException("CredSSP: no end to the TLS handshake")

    def _send_pub_key_auth(self, out_token, public_key):
        """Steps 3 and 4: the last SPNEGO token (NTLM's AUTHENTICATE) with
        the sealed binding, then the server's proof checked."""
        nonce = os.urandom(NONCE_LEN) if self.version > 4 and "omit_nonce" not in self.misbehave else None
        value = pub_key_auth_value(public_key, CLIENT_TO_SERVER, nonce)
        if "wrong_pub_key_auth" in self.misbehave:
            value = _flip_last_bit(value)
        sealed = self.gss.wrap(value, True).message
        if "corrupt_pub_key_auth" in self.misbehave:
            sealed = _flip_last_bit(sealed)
        request = TSRequest(self.claimed_version, nego_tokens=[out_token] if out_token else None,
                            client_nonce=nonce, pub_key_auth=sealed)
        skipping = self.misbehave & {"skip_pub_key_auth", "auth_info_before_pub_key"}
        if skipping:
            request.pub_key_auth = request.client_nonce = None
        if self.misbehave & {"auth_info_before_pub_key", "auth_info_with_pub_key"}:
            request.auth_info = self._sealed_credentials()
        answer = yield from self._send(request)
        if answer.nego_token:
            # SPNEGO over NTLM: the acceptor's mechListMIC.
            self.gss.step(answer.nego_token)
        if skipping:
            return
        if not answer.pub_key_auth:
            raise AuthenticationException("CredSSP: the server answered without pubKeyAuth: %r" % answer)
        try:
            proof = self.gss.unwrap(answer.pub_key_auth).message
        except gssapi.exceptions.GSSError as e:
            raise AuthenticationException("CredSSP: the server's pubKeyAuth does not unseal: %s" % e)
        if proof != pub_key_auth_value(public_key, SERVER_TO_CLIENT, nonce):
            raise AuthenticationException("CredSSP: the server's pubKeyAuth does not match its key")

    def _sealed_credentials(self):
        domain, user = split_username(self.delegate[0])
        return self.gss.wrap(encode_credentials(domain, user, self.delegate[1]), True).message

    def _send(self, request, last=False):
        """Sends one TSRequest through TLS; returns the server's, decoded,
        unless last (the server's answer to authInfo is HTTP, not CredSSP)."""
        self.trace.append(("out", request))
        der = request.encode()
        if "trailing_byte" in self.misbehave:
            der += b"\x00"
        if last:
            self.complete = True
        in_token = yield self.wrap(der)
        if last:
            return None
        answer = TSRequest.decode(self.unwrap(in_token))
        self.trace.append(("in", answer))
        if answer.error_code is not None:
            raise AuthenticationException("CredSSP: the server's errorCode 0x%08X" % answer.error_code,
                                          error_code=answer.error_code)
        return answer

    def _security_context(self):
        """SPNEGO over Kerberos (from the ticket cache KRB5CCNAME names, or
        with the password when asked for Kerberos) or over NTLM (with the
        password, through gss-ntlmssp). auto takes Kerberos only when
        KRB5CCNAME is set and holds a ticket: never a stale default cache.
        The credentials hold SPNEGO and the one mechanism SPNEGO may offer:
        without SPNEGO among them, MIT's SPNEGO takes default credentials,
        which gss-ntlmssp finds in NTLM_USER_FILE when that is set, with the
        file's password rather than ours."""
        mech = NTLM
        creds = None
        if self.auth_mechanism == "kerberos" or (self.auth_mechanism == "auto" and os.environ.get("KRB5CCNAME")):
            mech = KRB5
            try:
                if gssapi.Credentials(usage="initiate", mechs=[KRB5]).lifetime:
                    creds = gssapi.Credentials(usage="initiate", mechs=[SPNEGO, KRB5])
            except gssapi.exceptions.GSSError:
                pass
            if creds is None and self.auth_mechanism == "auto":
                mech = NTLM
        if creds is None:
            kind = gssapi.NameType.kerberos_principal if mech == KRB5 else gssapi.NameType.user
            creds = gssapi.raw.acquire_cred_with_password(gssapi.Name(self.username, kind), self.password.encode(),
                                                          usage="initiate", mechs=[SPNEGO, mech]).creds
            creds = gssapi.Credentials(creds)
        gssapi.raw.set_neg_mechs(creds, [mech])
        flags = (gssapi.RequirementFlag.confidentiality | gssapi.RequirementFlag.integrity
                 | gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.replay_detection
                 | gssapi.RequirementFlag.out_of_sequence_detection)
        target = gssapi.Name("%s@%s" % (self.service, self.hostname), gssapi.NameType.hostbased_service)
        return gssapi.SecurityContext(name=target, creds=creds, usage="initiate", mech=SPNEGO, flags=flags)

    # ---- the TLS session, which also seals WinRM messages (MS-WSMV 2.2.9.1.3)

    def wrap(self, data):
        try:
            self.tls.write(data)
        except ssl.SSLError as e:
            raise AuthenticationException("CredSSP: TLS write: %s" % e)
        return self._outgoing.read()

    def unwrap(self, data):
        self._incoming.write(data)
        chunks = []
        for _ in range(MAX_RECORDS):
            try:
                chunks.append(self.tls.read())
            except ssl.SSLWantReadError:
                return b"".join(chunks)
            except ssl.SSLError as e:
                raise AuthenticationException("CredSSP: TLS read: %s" % e)
        raise AuthenticationException("CredSSP: more than %d TLS reads in one unwrap" % MAX_RECORDS)

    @property
    def cipher_negotiated(self):
        return self.tls.cipher()[0]


# ---------------------------------------------------------------------------
# HTTP (winrm-protocol.md 8.5): the tokens in Authorization: CredSSP and
# WWW-Authenticate: CredSSP, every leg on the one connection.

TOKEN_RE = re.compile(r"CredSSP ([^,\s]*)$", re.I)


def _options():
    text = os.environ.get(ENVIRONMENT)
    return json.loads(text) if text else {}


class HttpCredSSPAuth(AuthBase):
    """requests-credssp's HttpCredSSPAuth: on a 401 offering CredSSP, runs the
    exchange on the same connection and returns the server's answer to
    authInfo (the original request's response). Keywords beyond
    requests-credssp's (service, version, misbehave, delegate, tls_version)
    are CredSSPContext's; missing ones come from OWT_CREDSSP_SHIM.
    contexts maps host name to its CredSSPContext; wrap, unwrap and
    cipher_negotiated use the last one, as pywinrm expects."""

    def __init__(self, username, password, auth_mechanism=None, disable_tlsv1_2=False, minimum_version=None,
                 **options):
        merged = _options()
        merged.update(options)
        if auth_mechanism is not None:
            merged["auth_mechanism"] = auth_mechanism
        if minimum_version is not None:
            merged["minimum_version"] = minimum_version
        check_options(**merged)
        self.username, self.password = username, password
        self.disable_tlsv1_2 = disable_tlsv1_2
        self.options = merged
        self.contexts = {}
        self.context = None

    def __call__(self, request):
        request.headers["Connection"] = "Keep-Alive"
        request.register_hook("response", self.response_hook)
        return request

    def response_hook(self, response, **kwargs):
        if response.status_code != 401:
            return response
        if "CREDSSP" not in response.headers.get("www-authenticate", "").upper():
            raise AuthenticationException("the server does not offer CredSSP: %r"
                                          % response.headers.get("www-authenticate"), response=response)
        return self._authenticate(response, **kwargs)

    def _authenticate(self, response, **kwargs):
        host = urlparse(response.url).hostname
        context = CredSSPContext(host, self.username, self.password, disable_tlsv1_2=self.disable_tlsv1_2,
                                 **self.options)
        self.contexts[host] = self.context = context
        out_token = context.step()
        history = [response]
        for _ in range(MAX_LEGS):
            response.content  # read it all, so the connection can carry the next leg
            response.raw.release_conn()
            request = response.request.copy()
            request.headers["Authorization"] = "CredSSP " + base64.b64encode(out_token).decode()
            response = response.connection.send(request, **kwargs)
            if context.complete:
                response.history = history
                return response
            history.append(response)
            if response.status_code != 401:
                raise AuthenticationException("CredSSP: HTTP %d in the middle of the exchange"
                                              % response.status_code, response=response)
            match = TOKEN_RE.search(response.headers.get("www-authenticate", ""))
            if not match:
                raise AuthenticationException("CredSSP: a 401 without a CredSSP token: %r"
                                              % response.headers.get("www-authenticate"), response=response)
            try:
                out_token = context.step(base64.b64decode(match.group(1), validate=True))
            except AuthenticationException as e:
                e.response = response
                raise
        raise AuthenticationException("CredSSP: more than %d legs" % MAX_LEGS, response=response)

    # ---- pywinrm's message encryption (winrm/encryption.py)

    def wrap(self, data):
        return self.context.wrap(data)

    def unwrap(self, data):
        return self.context.unwrap(data)

    @property
    def cipher_negotiated(self):
        return self.context.cipher_negotiated
