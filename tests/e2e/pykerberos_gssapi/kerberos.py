"""A test-side stand-in for pykerberos' `kerberos` module, built on python-gssapi.

Why it exists: Debian 12 ships pykerberos 1.1.14 (python3-kerberos), which
lacks authGSSWinRMEncryptMessage and authGSSWinRMDecryptMessage (added in
pykerberos 1.2.1). Debian's requests_kerberos 0.12.0 looks for the first of
them (HTTPKerberosAuth.winrm_encryption_available) and Debian's pywinrm 0.3.0
therefore cannot seal Kerberos messages: message_encryption='always' is
refused, and 'auto' over HTTP sends plain SOAP. This module gives the same
client API as pykerberos 1.1.14 (what requests_kerberos 0.12.0 calls:
authGSSClientInit with its service/principal/gssflags/mech_oid arguments,
authGSSClientStep, authGSSClientResponse, authGSSClientUserName,
authGSSClientClean, the GSSError/KrbError classes and the GSS_C_* constants)
plus those two functions with pykerberos 1.2.1's semantics, all on Debian's
python3-gssapi (python-gssapi 1.8.2), i.e. on the same MIT libgssapi_krb5
that pykerberos links against. No channelBindings, as in 1.1.14:
requests_kerberos then sends no channel binding (it catches the
AttributeError), exactly as it does with Debian's own module. Nothing is
mocked: every call is a real GSSAPI call against whatever KDC and credential
cache KRB5_CONFIG and KRB5CCNAME name.

The tests put this directory first on sys.path only in the subprocess that
runs pywinrm (tests/e2e/test_pywinrm_kerberos_sealed.py); Debian's pywinrm
and requests_kerberos are used unchanged.

The WinRM functions, as in pykerberos 1.2.1 (src/kerberos.c and
src/kerberosgss.c, encrypt_message/decrypt_message):

  authGSSWinRMEncryptMessage(context, message) -> (encrypted_data, header)
      message: str (encoded as UTF-8) or bytes/bytearray (taken as is),
      without NUL bytes (pykerberos parses it with "et" and measures it
      with strlen). gss_wrap_iov on the established context with
      conf_req_flag=1 and the default QOP over three buffers: HEADER
      (allocated), DATA (the message, encrypted in place), PADDING
      (allocated); the conf_state is not examined. Returns the bytes
      DATA + PADDING and the bytes HEADER (the MS-WSMV "signature"; 60 bytes
      for aes256-cts-hmac-sha1-96, whose padding is empty).

  authGSSWinRMDecryptMessage(context, encrypted_data, header) -> bytes
      encrypted_data and header: bytes. gss_unwrap_iov over two buffers,
      HEADER (header) and DATA (encrypted_data, decrypted in place); the
      conf_state and QOP are not examined. Returns the decrypted DATA.

Failures raise GSSError(((major message, major), (minor message, minor))),
as pykerberos does (codes as signed 32-bit ints, as its "i" format gives).
One difference that cannot be avoided on python-gssapi: its unwrap_iov
raises on any status other than GSS_S_COMPLETE, so a token that MIT
accepts with only a supplementary status (a duplicate, old, out-of-order
or gap token) raises here, where pykerberos (which tests GSS_ERROR only)
would return the data. In-order traffic, which is all pywinrm produces, is
unaffected.
"""
import base64

import gssapi.raw as _raw
from gssapi.raw.misc import GSSError as _RawGSSError

__all__ = [
    "KrbError", "BasicAuthError", "PwdChangeError", "GSSError",
    "AUTH_GSS_CONTINUE", "AUTH_GSS_COMPLETE",
    "GSS_C_DELEG_FLAG", "GSS_C_MUTUAL_FLAG", "GSS_C_REPLAY_FLAG", "GSS_C_SEQUENCE_FLAG",
    "GSS_C_CONF_FLAG", "GSS_C_INTEG_FLAG", "GSS_C_ANON_FLAG", "GSS_C_PROT_READY_FLAG",
    "GSS_C_TRANS_FLAG", "GSS_MECH_OID_KRB5", "GSS_MECH_OID_SPNEGO",
    "authGSSClientInit", "authGSSClientStep", "authGSSClientResponse",
    "authGSSClientUserName", "authGSSClientClean",
    "authGSSWinRMEncryptMessage", "authGSSWinRMDecryptMessage",
]


class KrbError(Exception):
    pass


class BasicAuthError(KrbError):
    pass


class PwdChangeError(KrbError):
    pass


class GSSError(KrbError):
    pass


AUTH_GSS_CONTINUE = 0
AUTH_GSS_COMPLETE = 1

GSS_C_DELEG_FLAG = 1
GSS_C_MUTUAL_FLAG = 2
GSS_C_REPLAY_FLAG = 4
GSS_C_SEQUENCE_FLAG = 8
GSS_C_CONF_FLAG = 16
GSS_C_INTEG_FLAG = 32
GSS_C_ANON_FLAG = 64
GSS_C_PROT_READY_FLAG = 128
GSS_C_TRANS_FLAG = 256

# pykerberos exports these as opaque capsules; here they are python-gssapi OIDs.
GSS_MECH_OID_KRB5 = _raw.OID.from_int_seq("1.2.840.113554.1.2.2")
GSS_MECH_OID_SPNEGO = _raw.OID.from_int_seq("1.3.6.1.5.5.2")

_GSS_S_NO_CONTEXT = 8 << 16


def _signed32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _status_text(err, code, is_major):
    try:
        texts = err.get_all_statuses(code, is_major)
    except Exception:  # a code the library cannot describe
        texts = []
    # pykerberos' display loop keeps the last message of each kind.
    return texts[-1] if texts else "Unknown error"


def _gss_error(err):
    """pykerberos' set_gss_error: GSSError(((maj_text, maj), (min_text, min)))."""
    return GSSError((_status_text(err, err.maj_code, True), _signed32(err.maj_code)),
                    (_status_text(err, err.min_code, False), _signed32(err.min_code)))


class _ClientState:
    """What pykerberos keeps in its gss_client_state (a capsule there)."""

    __slots__ = ("server_name", "creds", "gss_flags", "mech", "context", "response", "username")

    def __init__(self, server_name, creds, gss_flags, mech):
        self.server_name = server_name
        self.creds = creds
        self.gss_flags = gss_flags
        self.mech = mech
        self.context = None
        self.response = None
        self.username = None


def _state(context):
    if not isinstance(context, _ClientState):
        raise TypeError("Expected a context object")
    return context


def authGSSClientInit(service, principal=None, gssflags=GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG,
                      mech_oid=None):
    """Like pykerberos: imports service ("HTTP@host") as a host-based
    service name and, given principal, acquires that user's initiator
    credentials. Returns (AUTH_GSS_COMPLETE, context)."""
    if not isinstance(service, str):
        raise TypeError("argument 1 must be str, not %s" % type(service).__name__)
    if principal is not None and not isinstance(principal, str):
        raise TypeError("principal must be str or None, not %s" % type(principal).__name__)
    if mech_oid is not None and not isinstance(mech_oid, _raw.OID):
        raise TypeError("Invalid type for mech_oid")
    flags = int(gssflags)
    try:
        name = _raw.import_name(service.encode(), _raw.NameType.hostbased_service)
        creds = None
        if principal:
            user = _raw.import_name(principal.encode(), _raw.NameType.user)
            creds = _raw.acquire_cred(user, usage="initiate").creds
    except _RawGSSError as e:
        raise _gss_error(e) from None
    return AUTH_GSS_COMPLETE, _ClientState(name, creds, flags, mech_oid)


def authGSSClientStep(context, challenge, /):
    """One gss_init_sec_context call with the base64 challenge ('' for the
    first). AUTH_GSS_COMPLETE or AUTH_GSS_CONTINUE; raises GSSError."""
    st = _state(context)
    if not isinstance(challenge, str):
        raise TypeError("argument 2 must be str, not %s" % type(challenge).__name__)
    st.response = None
    token = base64.b64decode(challenge) if challenge else None
    try:
        if st.context is None:
            st.context = _raw.SecurityContext()
        res = _raw.init_sec_context(st.server_name, creds=st.creds, context=st.context,
                                    mech=st.mech, flags=st.gss_flags, lifetime=0,
                                    input_token=token)
        if res.token:
            st.response = base64.b64encode(res.token).decode("ascii")
        if res.more_steps:
            return AUTH_GSS_CONTINUE
        initiator = _raw.inquire_context(st.context, initiator_name=True, target_name=False,
                                         lifetime=False, mech=False, flags=False,
                                         locally_init=False, complete=False).initiator_name
        st.username = _raw.display_name(initiator, name_type=False).name.decode("utf-8", "replace")
        return AUTH_GSS_COMPLETE
    except _RawGSSError as e:
        raise _gss_error(e) from None


def authGSSClientResponse(context):
    """The base64 token of the last step, or None."""
    return _state(context).response


def authGSSClientUserName(context):
    """The initiator's name ("user@REALM") once a step completed, or None."""
    return _state(context).username


def authGSSClientClean(context):
    """A no-op, as in pykerberos since contexts became capsules: the
    GSSAPI context is released when the context object is reclaimed."""
    _state(context)
    return AUTH_GSS_COMPLETE


def _established(st):
    if st.context is None:
        raise _gss_error(_RawGSSError(_GSS_S_NO_CONTEXT, 0))
    return st.context


def _message_bytes(message):
    # PyArg_ParseTuple "et" with "UTF-8": str is encoded, bytes-like passed through;
    # without "#", an embedded NUL is refused.
    if isinstance(message, str):
        data = message.encode("utf-8")
    elif isinstance(message, (bytes, bytearray)):
        data = bytes(message)
    else:
        raise TypeError("argument 2 must be str, bytes or bytearray, not %s" % type(message).__name__)
    if b"\0" in data:
        raise TypeError("argument 2 must be encoded string without null bytes, not %s"
                        % type(message).__name__)
    return data


def authGSSWinRMEncryptMessage(context, message):
    """(encrypted_data, header): gss_wrap_iov with conf_req_flag=1 over
    HEADER (allocated), DATA (message) and PADDING (allocated); the
    encrypted data is DATA followed by PADDING."""
    st = _state(context)
    data = _message_bytes(message)
    ctx = _established(st)
    iov = _raw.IOV((_raw.IOVBufferType.header, True, None),
                   (_raw.IOVBufferType.data, False, data),
                   (_raw.IOVBufferType.padding, True, None),
                   std_layout=False)
    try:
        _raw.wrap_iov(ctx, iov, confidential=True, qop=None)
    except _RawGSSError as e:
        raise _gss_error(e) from None
    header, sealed, padding = iov[0].value or b"", iov[1].value or b"", iov[2].value or b""
    return sealed + padding, header


def authGSSWinRMDecryptMessage(context, encrypted_data, header):
    """The plaintext: gss_unwrap_iov over HEADER (header) and DATA
    (encrypted_data)."""
    st = _state(context)
    for arg in (encrypted_data, header):
        if not isinstance(arg, bytes):
            raise TypeError("expected bytes, %s found" % type(arg).__name__)
    ctx = _established(st)
    iov = _raw.IOV((_raw.IOVBufferType.header, False, header),
                   (_raw.IOVBufferType.data, False, encrypted_data),
                   std_layout=False)
    try:
        _raw.unwrap_iov(ctx, iov)
    except _RawGSSError as e:
        raise _gss_error(e) from None
    return iov[1].value or b""
