"""MS-WSMV 2.2.9.1 message framing for the tests' raw clients (the
service's own is src/msgenc/): the multipart/encrypted body around one
sealed message, with the tab-indented part headers Windows and pywinrm
write. Standard library only: the clients import it in subprocesses."""
import struct

IDENTIFY = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            b'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
            b'<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>')
SOAP = "application/soap+xml;charset=UTF-8"
PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
SEALED = 'multipart/encrypted;protocol="%s";boundary="Encrypted Boundary"' % PROTOCOL
BOUNDARY = b"--Encrypted Boundary\r\n"
OCTET = b"\tContent-Type: application/octet-stream\r\n"
CLOSING = b"--Encrypted Boundary--\r\n"


def frame(signature, sealed, length):
    """The body: the signature's length (4 bytes, little-endian), the
    signature (NTLM's 16 bytes, or Kerberos' gss_wrap_iov header), then the
    sealed bytes; length is the plaintext's (OriginalContent)."""
    return (BOUNDARY + b"\tContent-Type: " + PROTOCOL.encode() + b"\r\n"
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n" % length
            + BOUNDARY + OCTET + struct.pack("<I", len(signature)) + signature + sealed + CLOSING)


def parts(body):
    """(signature, sealed bytes) of a framed body."""
    start = body.index(OCTET) + len(OCTET)
    n = struct.unpack("<I", body[start:start + 4])[0]
    end = body.rindex(CLOSING)
    return body[start + 4:start + 4 + n], body[start + 4 + n:end]
