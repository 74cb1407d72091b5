"""Kerberos message encryption over plain HTTP (MS-WSMV 2.2.9.1) with
Debian's pywinrm 0.3.0 and requests_kerberos 0.12.0, unchanged, against a
real MIT KDC (krb.py) and the service's keytab for HTTP/localhost.

Debian 12's pykerberos 1.1.14 has no authGSSWinRMEncryptMessage, so its
pywinrm refuses message_encryption='always' with transport='kerberos' (the
first test shows that, as a control). The subprocess that runs pywinrm
therefore puts pykerberos_gssapi/ first on sys.path: a `kerberos` module
with pykerberos' client API and 1.2.1's two WinRM functions, built on
python3-gssapi (see its docstring). Everything on the wire is real GSSAPI:
the AP-REQ/AP-REP exchange with mutual authentication, then gss_wrap_iov
HEADER/DATA/PADDING on requests and gss_unwrap_iov on replies, opened and
sealed by the service with its own GSSAPI context.

As in test_kerberos.py, URLs name "localhost": Kerberos cannot target an IP.
"""
import base64
import json
import os
import re
import secrets
import socket
import subprocess
import threading

import harness as h
import krb
from krb import localhost
import sealing

HERE = os.path.dirname(os.path.abspath(__file__))
DROPIN = os.path.join(HERE, "pykerberos_gssapi")
CHILD_TIMEOUT = 120
PROTOCOL = sealing.PROTOCOL.encode()
# RFC 4121 Wrap token with confidentiality for the AES-SHA1 enctypes the
# realm offers (krb.ENCTYPES): the 16-byte token header, then, rotated
# into the header by gss_wrap_iov, the 16-byte confounder, the 16-byte
# encrypted copy of the token header and the 12-byte checksum.
KRB_HEADER_LEN = 60

# pywinrm with the caller's ticket cache; the drop-in first unless told not to.
PYWINRM = r"""
import json, sys
if sys.argv[1] != "-":
    sys.path.insert(0, sys.argv[1])
import kerberos, winrm
url, enc = sys.argv[2], sys.argv[3]
s = winrm.Session(url, auth=(None, None), transport="kerberos", message_encryption=enc)
try:
    r = s.run_cmd(sys.argv[4], sys.argv[5:])
except Exception as e:
    print(json.dumps({"error": "%s: %s" % (type(e).__name__, e), "kerberos": kerberos.__file__}))
    sys.exit(0)
t = s.protocol.transport
print(json.dumps({"status": r.status_code, "len": len(r.std_out),
                  "head": r.std_out[:200].decode(errors="replace"),
                  "zero": r.std_out.count(b"\0") == len(r.std_out),
                  "stderr": r.std_err[:500].decode(errors="replace"),
                  "kerberos": kerberos.__file__,
                  "sealing": t.encryption.protocol_string.decode() if t.encryption else None}))
"""

# A raw client on one keep-alive connection: the drop-in's handshake, then
# messages sealed with authGSSWinRMEncryptMessage, some of them spoiled.
RAW = r"""
import http.client, json, os, sys
sys.path[:0] = [sys.argv[1], os.path.dirname(sys.argv[1])]  # the drop-in, then sealing.py
import kerberos
from sealing import CLOSING, IDENTIFY, SEALED, SOAP, frame, parts
port, scenario = int(sys.argv[2]), sys.argv[3]

def post(c, body, ctype, headers=None):
    hd = {"Content-Type": ctype, "Connection": "Keep-Alive"}
    hd.update(headers or {})
    c.request("POST", "/wsman", body=body, headers=hd)
    r = c.getresponse()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read(), r.will_close

def connect():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    _, ctx = kerberos.authGSSClientInit("HTTP@localhost",
                                        gssflags=kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_SEQUENCE_FLAG)
    kerberos.authGSSClientStep(ctx, "")
    st, hd, _, _ = post(c, b"", SOAP, {"Authorization": "Negotiate " + kerberos.authGSSClientResponse(ctx)})
    auth = hd.get("www-authenticate", "")
    if st != 200 or not auth.startswith("Negotiate "):
        raise SystemExit("handshake: status %d, WWW-Authenticate %r" % (st, auth))
    # Mutual authentication: the AP-REP must complete the context.
    if kerberos.authGSSClientStep(ctx, auth.split(None, 1)[1]) != kerberos.AUTH_GSS_COMPLETE:
        raise SystemExit("the service's AP-REP did not complete the context")
    return c, ctx

# The body, and where its sealed data and its header start.
def seal(ctx, plain):
    data, header = kerberos.authGSSWinRMEncryptMessage(ctx, plain)
    body = frame(header, data, len(data))
    data_at = len(body) - len(CLOSING) - len(data)
    return body, data_at, data_at - len(header)

def unseal(ctx, body):
    header, data = parts(body)
    return kerberos.authGSSWinRMDecryptMessage(ctx, data, header)

def identify(c, ctx):
    st, hd, body, _ = post(c, seal(ctx, IDENTIFY)[0], SEALED)
    ok = st == 200 and hd.get("content-type", "").startswith("multipart/encrypted") and \
        b"IdentifyResponse" in unseal(ctx, body)
    return st, ok

def flip(body, at):
    return body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1:]

out = {}
c, ctx = connect()
out["first"] = identify(c, ctx)  # the connection works, and the sequence numbers advance
if scenario in ("data", "header"):
    body, data_at, header_at = seal(ctx, IDENTIFY)
    at = data_at + (len(body) - len(CLOSING) - data_at) // 2 if scenario == "data" else (header_at + data_at) // 2
    st, _, reply, close = post(c, flip(body, at), SEALED)
elif scenario == "replay":
    body = seal(ctx, IDENTIFY)[0]
    out["replayed_first"] = post(c, body, SEALED)[0]
    st, _, reply, close = post(c, body, SEALED)
out["status"], out["reply_len"], out["closes"] = st, len(reply), close
# Whatever happened above, a new connection is authenticated and served.
c2, ctx2 = connect()
out["after"] = identify(c2, ctx2)
print(json.dumps(out))
"""


def child(code, env, *argv):
    r = subprocess.run(["/usr/bin/python3", "-I", "-c", code] + [str(a) for a in argv],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, **env), timeout=CHILD_TIMEOUT)
    h.eq(r.returncode, 0, "child %s: %s" % (argv[2:4], r.stderr.decode(errors="replace")[-3000:]))
    return json.loads(r.stdout.decode().strip().splitlines()[-1])


def pywinrm(url, env, encryption, *argv, dropin=True):
    return child(PYWINRM, env, DROPIN if dropin else "-", url, encryption, *argv)


def ran(res, what):
    h.check("error" not in res, "%s: %s" % (what, res.get("error")))
    h.eq(res["status"], 0, "%s: exit status (stderr %r)" % (what, res.get("stderr")))
    h.eq(res["kerberos"], os.path.join(DROPIN, "kerberos.py"), "%s: the kerberos module" % what)
    h.eq(res["sealing"], PROTOCOL.decode(), "%s: pywinrm's message encryption" % what)
    return res


def kerberos_service(realm):
    """The service (HTTP listener only) and user a's fresh ticket cache."""
    return realm.http_service(), realm.login(h.user("a").name)


def success_line(realm):
    a = h.user("a").name
    return (r"authentication success: principal \"%s@%s\" as user \"%s\" from 127\.0\.0\.1, "
            r"scheme Negotiate \(Kerberos\)" % (a, re.escape(realm.realm), a))


def test_pywinrm_kerberos_sealed_http_always():
    a = h.user("a")
    with krb.Realm() as realm:
        svc, env = kerberos_service(realm)
        url = localhost(svc.url("HTTP"))
        # The control: Debian's own pykerberos cannot seal, so pywinrm refuses.
        res = pywinrm(url, env, "always", "true", dropin=False)
        h.check("message encryption is set to 'always'" in res.get("error", ""),
                "Debian's pykerberos: %r" % res)
        h.check(res["kerberos"].startswith("/usr/lib/python3/dist-packages/"), res["kerberos"])

        mark = svc.log_mark()
        res = ran(pywinrm(url, env, "always", "id", "-un"), "id -un")
        h.eq(res["head"], a.name + "\n", "id -un")
        svc.wait_for_log(success_line(realm), since=mark)

        res = ran(pywinrm(url, env, "always", "head", "-c", "10485760", "/dev/zero"), "10 MB")
        h.eq((res["len"], res["zero"]), (10485760, True), "10 MB of zeros through Kerberos sealing")
        h.check("refused" not in svc.log_since(mark), "a refusal in the log:\n" + svc.log_since(mark))


def test_pywinrm_kerberos_sealed_http_auto():
    """'auto' on an http:// URL means sealed, now that requests_kerberos
    reports WinRM encryption available."""
    a = h.user("a")
    with krb.Realm() as realm:
        svc, env = kerberos_service(realm)
        mark = svc.log_mark()
        res = ran(pywinrm(localhost(svc.url("HTTP")), env, "auto", "id", "-un"), "auto")
        h.eq(res["head"], a.name + "\n", "id -un, encryption auto")
        svc.wait_for_log(success_line(realm), since=mark)
        h.check("not encrypted" not in svc.log_since(mark), svc.log_since(mark))


# ---------------------------------------------------------------------------
# What went over the wire.

class RecordingProxy:
    """A loopback TCP relay to 127.0.0.1:port that keeps every byte, per
    connection: [client-to-service, service-to-client]."""

    def __init__(self, port):
        self.target = port
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.conns = []
        self.socks = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                down, _ = self.lsock.accept()
            except OSError:
                return
            try:
                up = socket.create_connection(("127.0.0.1", self.target), timeout=30)
            except OSError:
                down.close()  # the client sees the failure at once
                continue
            rec = [bytearray(), bytearray()]
            with self.lock:
                self.conns.append(rec)
                self.socks += [down, up]
            threading.Thread(target=self._pump, args=(down, up, rec[0]), daemon=True).start()
            threading.Thread(target=self._pump, args=(up, down, rec[1]), daemon=True).start()

    @staticmethod
    def _pump(src, dst, record):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                record += data
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        self.lsock.close()
        with self.lock:
            for s in self.socks:
                s.close()


def http_messages(stream):
    """(start line, {header: value}, body) for each HTTP/1.1 message of a
    recorded byte stream (Content-Length or chunked bodies)."""
    msgs, i = [], 0
    while i < len(stream):
        end = stream.index(b"\r\n\r\n", i)
        lines = bytes(stream[i:end]).decode("latin-1").split("\r\n")
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        i = end + 4
        if hdrs.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                nl = stream.index(b"\r\n", i)
                size = int(bytes(stream[i:nl]).split(b";")[0], 16)
                i = nl + 2
                if size == 0:
                    i = stream.index(b"\r\n", i) + 2  # no trailers expected
                    break
                body += stream[i:i + size]
                i += size + 2
        else:
            n = int(hdrs.get("content-length", "0"))
            body = stream[i:i + n]
            h.eq(len(body), n, "a whole body in the recording")
            i += n
        msgs.append((lines[0], hdrs, bytes(body)))
    return msgs


def check_sealed_body(body, what):
    """The MS-WSMV framing around a Kerberos wrap token, as pywinrm and the
    service write it."""
    h.check(body.startswith(sealing.BOUNDARY + b"\tContent-Type: " + PROTOCOL + b"\r\n"),
            "%s: %r" % (what, body[:120]))
    m = re.search(rb"\tOriginalContent: type=application/soap\+xml;charset=UTF-8;Length=(\d+)\r\n", body)
    h.check(m is not None, "%s: no OriginalContent line: %r" % (what, body[:200]))
    h.check(body.endswith(sealing.CLOSING), "%s: closing boundary" % what)
    header, sealed = sealing.parts(body)
    h.eq(len(header), KRB_HEADER_LEN, "%s: signature (gss_wrap_iov HEADER) length" % what)
    h.eq(len(sealed), int(m.group(1)), "%s: sealed length against OriginalContent" % what)


def test_pywinrm_kerberos_sealed_wire_is_encrypted():
    """pywinrm's session through a recording relay: after the handshake
    (an empty POST with the AP-REQ, a 200 with the AP-REP) every request
    and reply body is a Kerberos-sealed multipart/encrypted message, and no
    SOAP, command text or command output crosses in the clear."""
    with krb.Realm() as realm:
        svc, env = kerberos_service(realm)
        for enc in ("always", "auto"):
            marker = "owt-sealed-" + secrets.token_hex(8)
            proxy = RecordingProxy(svc.listener("HTTP").port)
            try:
                res = ran(pywinrm("http://localhost:%d/wsman" % proxy.port, env, enc, "echo", marker),
                          "through the relay, " + enc)
            finally:
                proxy.close()
            h.eq(res["head"], marker + "\n", "echo, encryption " + enc)
            h.check(proxy.conns, "the relay saw no connection")
            sent = b"".join(bytes(c[0]) for c in proxy.conns)
            got = b"".join(bytes(c[1]) for c in proxy.conns)
            # Nothing readable: no SOAP, no command, no output (as text or base64).
            b64 = base64.b64encode((marker + "\n").encode())
            for needle in (b"Envelope", b"schemas.xmlsoap.org", b"wsman", marker.encode(), b64):
                h.check(needle not in sent.replace(b"POST /wsman ", b""),
                        "%r in clear in a request (%s)" % (needle, enc))
                h.check(needle not in got, "%r in clear in a reply (%s)" % (needle, enc))
            requests = [m for c in proxy.conns for m in http_messages(c[0])]
            replies = [m for c in proxy.conns for m in http_messages(c[1])]
            h.check(requests[0][1].get("authorization", "").startswith("Negotiate ") and
                    not requests[0][2], "the first request: %r" % (requests[0][:2],))
            h.check(replies[0][0].startswith("HTTP/1.1 200") and
                    replies[0][1].get("www-authenticate", "").startswith("Negotiate "),
                    "the first reply (mutual authentication): %r" % (replies[0][:2],))
            sealed = [m for m in requests if m[2]]
            # Create shell, command, receive (at least once), signal, delete.
            h.check(len(sealed) >= 5, "only %d requests with a body" % len(sealed))
            for start, hdrs, body in sealed:
                ct = hdrs.get("content-type", "")
                h.check(ct.startswith("multipart/encrypted") and 'protocol="%s"' % PROTOCOL.decode() in ct,
                        "request content type %r" % ct)
                check_sealed_body(body, "request " + start)
            bodies = [m for m in replies if m[2]]
            h.eq(len(bodies), len(sealed), "replies with a body")
            for start, hdrs, body in bodies:
                h.check(start.startswith("HTTP/1.1 200"), "reply %r" % start)
                h.check(hdrs.get("content-type", "").startswith("multipart/encrypted"),
                        "reply content type %r" % hdrs.get("content-type"))
                check_sealed_body(body, "reply")


# ---------------------------------------------------------------------------
# Spoiled messages on an authenticated connection.

def test_kerberos_sealed_tampered_and_replayed_refused():
    """Sealed with the drop-in's authGSSWinRMEncryptMessage, after a good
    sealed Identify on the same connection: a flipped bit in the sealed
    data, one in the signature (the gss_wrap_iov HEADER), and a replay of a
    message already accepted are each refused with 400, logged, and the
    connection closed; a new connection is then served."""
    with krb.Realm() as realm:
        svc, env = kerberos_service(realm)
        port = svc.listener("HTTP").port
        for scenario in ("data", "header", "replay"):
            mark = svc.log_mark()
            r = child(RAW, env, DROPIN, port, scenario)
            h.eq(r["first"], [200, True], "%s: the sealed Identify before" % scenario)
            if scenario == "replay":
                h.eq(r["replayed_first"], 200, "replay: the message the first time")
            h.eq((r["status"], r["reply_len"], r["closes"]), (400, 0, True), scenario)
            h.eq(r["after"], [200, True], "%s: a new connection afterwards" % scenario)
            svc.wait_for_log(r"request from 127\.0\.0\.1 user %s refused: the encrypted message "
                             r"does not verify" % h.user("a").name, since=mark)
            h.check(svc.alive(), "winrmd died after %s" % scenario)
