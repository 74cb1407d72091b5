#!/usr/bin/python3
"""Client side of the Negotiate tests, run as its own process so that
OpenSSL can be given a configuration with the legacy provider: the NTLM
libraries of Debian 12 (ntlm_auth under requests_ntlm) need MD4, which
OpenSSL 3 keeps there. Prints one JSON object.

    gss_client.py pywinrm URL USER PASSWORD ENCRYPTION TRANSPORT COMMAND [ARGS...]
    gss_client.py pywinrm-message URL USER PASSWORD ENCRYPTION TRANSPORT ENVELOPE
    gss_client.py raw URL USER PASSWORD SCENARIO [ARGS...]
    gss_client.py raw URL USER PASSWORD domain DOMAIN
"""
import base64
import http.client
import json
import ssl
import sys
import time
import urllib.parse

from sealing import IDENTIFY, SEALED, SOAP, frame, parts


def pywinrm(url, user, password, encryption, transport, argv):
    import winrm
    s = winrm.Session(url, auth=(user, password), transport=transport,
                      message_encryption=encryption, server_cert_validation="ignore")
    r = s.run_cmd(argv[0], argv[1:])
    return {"status": r.status_code, "stdout_len": len(r.std_out),
            "stdout_head": r.std_out[:200].decode("utf-8", "replace"),
            "stdout_zero": r.std_out.count(b"\0") == len(r.std_out),
            "stderr": r.std_err.decode("utf-8", "replace")}


def pywinrm_repeat(url, user, password, encryption, transport, seconds):
    """One pywinrm session (one keep-alive connection while it lasts)
    running `id -un` once a second for seconds: when each ran, and what
    came of it."""
    import winrm
    s = winrm.Session(url, auth=(user, password), transport=transport,
                      message_encryption=encryption, server_cert_validation="ignore")
    start, runs = time.monotonic(), []
    while time.monotonic() - start < float(seconds) and len(runs) < 200:
        t = round(time.monotonic() - start, 1)
        try:
            r = s.run_cmd("id", ["-un"])
            runs.append([t, "ok" if r.status_code == 0 else "status %d" % r.status_code])
        except Exception as e:  # any failure is an outcome to report
            runs.append([t, "%s: %s" % (type(e).__name__, str(e)[:200])])
        time.sleep(1)
    return {"runs": runs}


def pywinrm_message(url, user, password, encryption, transport, envelope):
    """One envelope through pywinrm's Protocol (its transport, its sealing,
    its reading of a fault): the reply, or the error pywinrm raised."""
    import winrm
    from winrm.exceptions import WinRMError, WinRMTransportError
    p = winrm.Protocol(endpoint=url, transport=transport, username=user, password=password,
                       message_encryption=encryption, server_cert_validation="ignore")
    try:
        reply = p.send_message(envelope)
        return {"reply": reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply}
    except (WinRMError, WinRMTransportError) as e:
        return {"error": "%s: %s" % (type(e).__name__, e)}


class Conn:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        if u.scheme == "https":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.c = http.client.HTTPSConnection(u.hostname, u.port, timeout=20, context=ctx)
        else:
            self.c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
        self.path = u.path

    def post(self, body=b"", headers=None, ctype=SOAP):
        h = {"Content-Type": ctype, "Connection": "Keep-Alive"}
        h.update(headers or {})
        self.c.request("POST", self.path, body=body, headers=h)
        r = self.c.getresponse()
        return r.status, r.getheaders(), r.read()


def challenge_of(headers):
    for k, v in headers:
        if k.lower() == "www-authenticate" and v.lower().startswith("negotiate "):
            return base64.b64decode(v.split(None, 1)[1])
    return None


def seal(ctx, plain):
    msg = ctx.wrap(plain)  # 16-byte signature, then the sealed bytes
    return frame(msg[:16], msg[16:], len(plain))


def unseal(ctx, body):
    signature, sealed = parts(body)
    return ctx.unwrap(signature + sealed)


def handshake(conn, user, password, compat=3, domain=""):
    from ntlm_auth.ntlm import NtlmContext
    ctx = NtlmContext(user, password, domain=domain, ntlm_compatibility=compat)
    t1 = ctx.step()
    st, hdrs, _ = conn.post(b"", {"Authorization": "Negotiate " + base64.b64encode(t1).decode()})
    ch = challenge_of(hdrs)
    if st != 401 or ch is None:
        return ctx, None, st
    t3 = ctx.step(ch)
    st, _, _ = conn.post(b"", {"Authorization": "Negotiate " + base64.b64encode(t3).decode()})
    return ctx, t3, st


def raw(url, user, password, scenario, *args):
    out = {}
    c = Conn(url)
    if scenario == "logon":
        _, _, out["final"] = handshake(c, user, password)
    elif scenario == "renew":
        # One connection kept in use past the age at which the service
        # renews its host token (args: seconds to idle, a file holding a
        # Create envelope); the Create must start the host with the token
        # the renewal brought.
        # Every reply is unsealed, in order: NTLM's sealing keeps state.
        ctx, _, out["final"] = handshake(c, user, password)
        st, _, body = c.post(seal(ctx, IDENTIFY), ctype=SEALED)
        out["first"] = st if b"IdentifyResponse" in unseal(ctx, body) else -st
        time.sleep(float(args[0]))
        st, _, body = c.post(seal(ctx, IDENTIFY), ctype=SEALED)
        out["second"] = st if b"IdentifyResponse" in unseal(ctx, body) else -st
        with open(args[1], "rb") as f:
            st, _, body = c.post(seal(ctx, f.read()), ctype=SEALED)
        out["create"] = st
        out["create_reply"] = unseal(ctx, body).decode("utf-8", "replace")
    elif scenario == "domain":
        # The user named in the domain args[0] ("" for none), as DOMAIN\user.
        _, _, out["final"] = handshake(c, user, password, domain=args[0])
    elif scenario == "v1":
        _, _, out["final"] = handshake(c, user, password, compat=1)
    elif scenario == "wrong":
        _, _, out["final"] = handshake(c, user, password + "x")
    elif scenario == "garbage":
        out["final"] = c.post(b"", {"Authorization": "Negotiate Z2FyYmFnZSB0b2tlbg=="})[0]
    elif scenario == "truncated":
        from ntlm_auth.ntlm import NtlmContext
        t1 = NtlmContext(user, password, domain="").step()
        out["final"] = c.post(b"", {"Authorization": "Negotiate " + base64.b64encode(t1[:12]).decode()})[0]
    elif scenario == "sealed":
        ctx, _, out["final"] = handshake(c, user, password)
        st, hdrs, body = c.post(seal(ctx, IDENTIFY), ctype=SEALED)
        out["status"] = st
        out["content_type"] = dict((k.lower(), v) for k, v in hdrs).get("content-type", "")
        out["reply"] = unseal(ctx, body).decode("utf-8", "replace")
        # A second message: the sequence numbers must advance on both sides.
        st, _, body = c.post(seal(ctx, IDENTIFY), ctype=SEALED)
        out["second"] = st
        out["second_reply_ok"] = b"IdentifyResponse" in unseal(ctx, body)
    elif scenario == "unencrypted":
        _, _, out["final"] = handshake(c, user, password)
        out["status"] = c.post(IDENTIFY)[0]
    elif scenario in ("tamper", "replay"):
        ctx, _, out["final"] = handshake(c, user, password)
        body = seal(ctx, IDENTIFY)
        if scenario == "tamper":
            i = body.index(b"--Encrypted Boundary--") - 5
            bad = body[:i] + bytes([body[i] ^ 1]) + body[i + 1:]
            out["status"] = c.post(bad, ctype=SEALED)[0]
        else:
            out["first"] = c.post(body, ctype=SEALED)[0]
            out["status"] = c.post(body, ctype=SEALED)[0]
    elif scenario == "reuse":
        _, t3, out["final"] = handshake(c, user, password)
        c2 = Conn(url)
        out["status"] = c2.post(b"", {"Authorization": "Negotiate " + base64.b64encode(t3).decode()})[0]
    # Whatever happened above, a new connection must still be served.
    _, _, out["after"] = handshake(Conn(url), user, password)
    return out


def main():
    if sys.argv[1] == "pywinrm":
        url, user, password, enc, transport = sys.argv[2:7]
        res = pywinrm(url, user, password, enc, transport, sys.argv[7:])
    elif sys.argv[1] == "pywinrm-message":
        res = pywinrm_message(*sys.argv[2:8])
    elif sys.argv[1] == "pywinrm-repeat":
        res = pywinrm_repeat(*sys.argv[2:8])
    else:
        res = raw(*sys.argv[2:])
    print(json.dumps(res))


if __name__ == "__main__":
    main()
