"""A test certificate authority, made with python3-cryptography in a
temporary directory: CAs, client certificates for certificate
authentication and TLS server certificates, with the names, usages and
validity a test asks for; and keys alone or encrypted."""
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UPN_OID = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH
SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH


def _der_utf8(s):
    """An ASN.1 UTF8String, as a UPN otherName's value."""
    b = s.encode()
    if len(b) < 128:
        return bytes([0x0C, len(b)]) + b
    return bytes([0x0C, 0x82, len(b) >> 8, len(b) & 0xFF]) + b


def _write_key(path, key, passphrase=None):
    """key to path in PKCS#8 PEM, encrypted with passphrase if given."""
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    os.chmod(path, 0o644)  # the test's clients run as root or as the test users
    return path


def lone_key(directory, name):
    """The path of a new key, name.key, that no certificate goes with."""
    return _write_key(os.path.join(directory, name + ".key"), ec.generate_private_key(ec.SECP256R1()))


class Cert:
    def __init__(self, directory, name, cert, key):
        self.cert, self.key = cert, key
        self.directory, self.name = directory, name
        self.cert_path = os.path.join(directory, name + ".pem")
        self.key_path = _write_key(os.path.join(directory, name + ".key"), key)
        with open(self.cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))

    @property
    def thumbprint(self):
        """SHA-1 of the DER, upper-case hex: what Windows calls a thumbprint."""
        return self.cert.fingerprint(hashes.SHA1()).hex().upper()

    @property
    def der(self):
        """The certificate in DER, as a TLS peer sees it."""
        return self.cert.public_bytes(serialization.Encoding.DER)

    def encrypted_key(self, passphrase):
        """The path of the key encrypted with passphrase, name-encrypted.key."""
        return _write_key(os.path.join(self.directory, self.name + "-encrypted.key"), self.key, passphrase)


class CA(Cert):
    def __init__(self, directory, name="ca", issuer=None):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "openwinrm test " + name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        b = (x509.CertificateBuilder().subject_name(subject)
             .issuer_name(issuer.cert.subject if issuer else subject)
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(hours=1))
             .not_valid_after(now + datetime.timedelta(days=2))
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                            critical=True))
        cert = b.sign(issuer.key if issuer else key, hashes.SHA256())
        super().__init__(directory, name, cert, key)

    def client(self, name, upn=None, dns=None, email=None, usage=(CLIENT_AUTH,), expired=False,
               padding=0):
        """A client certificate CN=name, with a UPN (and DNS name, e-mail
        address) in subjectAltName, for the given extended key usages;
        expired, or made bigger by padding bytes of a comment extension."""
        alt = []
        if upn:
            alt.append(x509.OtherName(UPN_OID, _der_utf8(upn)))
        if dns:
            alt.append(x509.DNSName(dns))
        if email:
            alt.append(x509.RFC822Name(email))
        return self._issue(name, alt, usage, expired, padding)

    def server(self, name, hosts, expired=False):
        """A TLS server certificate CN=name for serverAuth, with hosts (IP
        addresses or DNS names) in subjectAltName; expired if asked."""
        alt = []
        for host in hosts:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                alt.append(x509.DNSName(host))
        return self._issue(name, alt, (SERVER_AUTH,), expired)

    def _issue(self, name, alt, usage, expired=False, padding=0):
        """A certificate CN=name of this CA, for digital signatures."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        start, end = ((now - datetime.timedelta(days=3), now - datetime.timedelta(days=1)) if expired
                      else (now - datetime.timedelta(hours=1), now + datetime.timedelta(days=2)))
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
             .issuer_name(self.cert.subject).public_key(key.public_key())
             .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
             .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                            critical=True))
        if alt:
            b = b.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        if usage:
            b = b.add_extension(x509.ExtendedKeyUsage(list(usage)), critical=False)
        if padding:
            b = b.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"),
                                                           b"\x04\x82" + padding.to_bytes(2, "big")
                                                           + b"\0" * padding), critical=False)
        return Cert(self.directory, name, b.sign(self.key, hashes.SHA256()), key)
