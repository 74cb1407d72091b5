"""The HTTP layer: persistent connections, chunked bodies, paths and methods,
slow clients, IPv6, the IPv4 filter."""
import http.client
import socket
import ssl
import threading
import time

import harness as h


def test_keep_alive_several_requests_on_one_connection():
    svc = h.service()
    a = h.user("a")
    conn = h.connect(svc.listener())
    try:
        r = h.request(svc, h.create_env(), auth=a, conn=conn)
        shell_id = h.shell_id_of(r)
        sock = conn.sock
        h.check(sock is not None, "the connection was closed after the first response (%s)"
                % r.header("Connection"))
        cmd = h.command_id_of(h.request(svc, h.command_env(shell_id, "echo kept"), auth=a, conn=conn))
        h.check(conn.sock is sock, "a new connection was needed for the second request")
        r = h.request(svc, h.receive_env(shell_id, cmd), auth=a, conn=conn)
        h.eq(r.status, 200, "Receive on the same connection")
        h.check(conn.sock is sock, "a new connection was needed for the third request")
        r = h.request(svc, h.delete_env(shell_id), auth=a, conn=conn)
        h.eq(r.status, 200, "Delete on the same connection")
        h.check(conn.sock is sock, "a new connection was needed for the fourth request")
        h.check((r.header("Connection") or "").lower() != "close", "server asked to close")
    finally:
        conn.close()


def _raw_tls(li, timeout=30):
    s = socket.create_connection((li.host, li.port), timeout=timeout)
    return h.tls_context().wrap_socket(s, server_hostname=None)


def _read_response(sock):
    r = http.client.HTTPResponse(sock, method="POST")
    r.begin()
    return h.Response(r.status, r.reason, r.headers, r.read())


def test_chunked_request_body():
    svc = h.service()
    li = svc.listener()
    body = h.create_env()
    head = ("POST /wsman HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: %s\r\n"
            "Content-Type: application/soap+xml;charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n"
            % (li.host, li.port, h.basic(h.user("a")))).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 97]), body[i:i + 97]) for i in range(0, len(body), 97))
    s = _raw_tls(li)
    try:
        s.sendall(head)
        s.sendall(chunks[:300])
        time.sleep(0.2)  # arrive in more than one read
        s.sendall(chunks[300:] + b"0\r\n\r\n")
        r = _read_response(s)
    finally:
        s.close()
    shell_id = h.shell_id_of(r)
    h.Raw(svc, h.user("a")).delete(shell_id)


def test_other_path_is_404():
    svc = h.service()
    r = h.request(svc, h.create_env(), auth=h.user("a"), path="/notwsman")
    h.eq(r.status, 404, "POST /notwsman")
    r = h.request(svc, h.create_env(), auth=h.user("a"), path="/wsman/extra")
    h.eq(r.status, 404, "POST /wsman/extra")
    h.assert_serving(svc)


def test_get_is_405():
    svc = h.service()
    r = h.request(svc, method="GET", auth=h.user("a"))
    h.eq(r.status, 405, "GET /wsman")
    h.check("POST" in (r.header("Allow") or ""), "Allow: POST expected, got %r" % r.header("Allow"))
    h.assert_serving(svc)


def test_slow_client_is_disconnected_others_served():
    """A client sending one byte a second is cut off by the request timeout
    (bounded: within ~70 s) while other clients are served meanwhile."""
    svc = h.service()
    li = svc.listener()
    result = {}

    def trickle():
        s = _raw_tls(li)
        s.settimeout(1.0)
        data = b"POST /wsman HTTP/1.1\r\nHost: x\r\nX-Slow: "
        t0 = time.monotonic()
        i = 0
        try:
            while time.monotonic() - t0 < 100:
                try:
                    s.send(data[i:i + 1] if i < len(data) else b"a")
                    i += 1
                except OSError as e:
                    result["how"] = "send failed: %s" % e
                    break
                try:
                    got = s.recv(4096)
                    if not got:
                        result["how"] = "EOF"
                        break
                    result["response"] = result.get("response", b"") + got
                except (socket.timeout, TimeoutError):
                    pass
                except OSError as e:
                    result["how"] = "recv failed: %s" % e
                    break
        finally:
            result["after"] = time.monotonic() - t0
            result["bytes"] = i
            s.close()

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    p = h.protocol(svc, h.user("a"))
    served = 0
    while t.is_alive():
        out, err, code = h.run_cmd(p, "echo meanwhile")
        h.eq((out, code), (b"meanwhile\n", 0), "a normal client while another trickles")
        served += 1
        t.join(5)
    h.check("how" in result, "the trickling client was still connected after %.0f s" % result["after"])
    h.check(result["after"] <= 75, "the trickling client was cut off only after %.0f s (%s)"
            % (result["after"], result["how"]))
    h.check(served >= 1, "no other client served while one trickled")
    resp = result.get("response", b"")
    h.check(not resp or resp.startswith(b"HTTP/1.1 4"), "unexpected bytes to the slow client: %r" % resp[:200])
    h.assert_serving(svc)


def test_ipv6_loopback_listener():
    if not h.have_ipv6_loopback():
        raise h.Skip("no IPv6 loopback (::1) on this machine")
    svc = h.service(https=False, ipv6=True)
    li = svc.listener("HTTPS", "::1")
    out, err, code = h.run_cmd(h.protocol(svc, h.user("a"), listener=li), "echo v6")
    h.eq((out, err, code), (b"v6\n", b"", 0), "command over https://[::1]")


def _no_response(li):
    """What happened to a full, authenticated request: raises if any HTTP
    response came back, returns a description otherwise."""
    try:
        s = socket.create_connection((li.host, li.port), timeout=10)
    except OSError as e:
        return "connect: %s" % e
    try:
        if li.https:
            try:
                s = h.tls_context().wrap_socket(s)
            except (ssl.SSLError, OSError) as e:
                return "TLS handshake: %s" % e
        body = h.create_env()
        req = ("POST /wsman HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: "
               "application/soap+xml;charset=UTF-8\r\nContent-Length: %d\r\n\r\n"
               % (h.basic(h.user("a")), len(body))).encode() + body
        try:
            s.sendall(req)
        except OSError as e:
            return "send: %s" % e
        try:
            got = s.recv(4096)
        except (socket.timeout, TimeoutError):
            raise h.TestFailure("the connection stayed open without an answer for 10 s")
        except OSError as e:
            return "recv: %s" % e
        h.eq(got, b"", "bytes received from a filtered address")
        return "EOF"
    finally:
        s.close()


def test_ipv4_filter_excludes_loopback():
    v6 = h.have_ipv6_loopback()
    svc = h.service({"Service/IPv4Filter": "10.11.12.13-10.11.12.14", "Service/AllowUnencrypted": "true"},
                    http=True, ipv6=v6)
    _no_response(svc.listener("HTTPS"))
    _no_response(svc.listener("HTTP"))
    h.check(svc.alive(), "winrmd still runs")
    if v6:  # IPv6Filter is still "*": the service goes on serving there.
        out, err, code = h.run_cmd(h.protocol(svc, h.user("a"), listener=svc.listener("HTTPS", "::1")),
                                   "echo v6")
        h.eq((out, code), (b"v6\n", 0), "command over ::1 while IPv4 is filtered")
