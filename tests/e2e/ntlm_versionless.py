#!/usr/bin/python3
"""An NTLM client as the Ruby WinRM gem's rubyntlm (Vagrant, Chef,
test-kitchen) is on the wire: a NEGOTIATE_MESSAGE of 34 bytes with no
Version field (flags 0xe0088237 less KEY_EXCH, the workstation at offset
32), NTLMv2 responses, no MIC; then an authenticated Identify on the same
HTTPS connection. Its own process, for OpenSSL's legacy provider (MD4).
Prints one JSON object: the status of each step.

    ntlm_versionless.py HOST PORT USER PASSWORD
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import ssl
import struct
import sys
import time

IDENTIFY = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            b'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
            b'<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>')
# rubyntlm's flags (UNICODE, OEM, REQUEST_TARGET, SIGN, SEAL, NTLM,
# ALWAYS_SIGN, NTLM2_KEY, 128, 56) without KEY_EXCH, so that the session
# key needs no RC4 here.
FLAGS = 0xa0088237


def negotiate():
    workstation = b"WS"
    return (b"NTLMSSP\0" + struct.pack("<II", 1, FLAGS) + struct.pack("<HHI", 0, 0, 32)
            + struct.pack("<HHI", len(workstation), len(workstation), 32) + workstation)


def authenticate(challenge, user, password):
    server_challenge = challenge[24:32]
    ti_len, _, ti_off = struct.unpack("<HHI", challenge[40:48])
    target_info = challenge[ti_off:ti_off + ti_len]
    nt_hash = hashlib.new("md4", password.encode("utf-16-le")).digest()
    ntowfv2 = hmac.new(nt_hash, (user.upper() + "").encode("utf-16-le"), "md5").digest()
    client_challenge = os.urandom(8)
    timestamp = struct.pack("<Q", (int(time.time()) + 11644473600) * 10000000)
    temp = (b"\x01\x01" + b"\0" * 6 + timestamp + client_challenge + b"\0" * 4 + target_info
            + b"\0" * 4)
    proof = hmac.new(ntowfv2, server_challenge + temp, "md5").digest()
    nt = proof + temp
    lm = hmac.new(ntowfv2, server_challenge + client_challenge, "md5").digest() + client_challenge
    domain, name, ws = b"", user.encode("utf-16-le"), "WS".encode("utf-16-le")
    off = 64
    fields, payload = b"", b""
    for part in (lm, nt, domain, name, ws):
        fields += struct.pack("<HHI", len(part), len(part), off + len(payload))
        payload += part
    fields += struct.pack("<HHI", 0, 0, off + len(payload))  # no session key: no KEY_EXCH
    return b"NTLMSSP\0" + struct.pack("<I", 3) + fields + struct.pack("<I", FLAGS) + payload


def post(conn, body, token=None):
    headers = {"Content-Type": "application/soap+xml;charset=UTF-8"}
    if token is not None:
        headers["Authorization"] = "Negotiate " + base64.b64encode(token).decode()
    conn.request("POST", "/wsman", body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    return r.status, r.getheader("WWW-Authenticate") or "", data


def main():
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=30)
    out = {}
    status, www, _ = post(conn, b"", negotiate())
    out["negotiate"] = status
    token = base64.b64decode(www.split()[1]) if www.startswith("Negotiate ") and " " in www else b""
    out["challenge"] = token[:8] == b"NTLMSSP\0" and token[8:12] == b"\x02\0\0\0"
    if out["challenge"]:
        status, _, _ = post(conn, b"", authenticate(token, user, password))
        out["authenticate"] = status
        status, _, data = post(conn, IDENTIFY)
        out["identify"] = status
        out["vendor"] = b"openwinrm" in data
    print(json.dumps(out))


if __name__ == "__main__":
    main()
