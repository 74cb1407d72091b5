"""masterzen/winrm (Go, Debian golang-github-masterzen-winrm-dev) over HTTPS
with Basic and insecure TLS, as Packer and Terraform use it."""
import hashlib
import os

import harness as h


def test_go_run_without_stdin():
    svc = h.service()
    out, err, code = h.run_goclient(svc, h.user("a"), "echo go-out; echo go-err >&2; exit 7")
    h.eq(out, b"go-out\n", "stdout")
    h.eq(err, b"go-err\n", "stderr")
    h.eq(code, 7, "exit status (254 means the client failed)")


def test_go_run_with_stdin():
    svc = h.service()
    out, err, code = h.run_goclient(svc, h.user("a"), "cat; exit 4", stdin=b"hello from go\nline 2\n")
    h.eq(out, b"hello from go\nline 2\n", "stdout")
    h.eq((err, code), (b"", 4), "stderr and exit status")


def test_go_large_stdin_in_several_sends():
    """masterzen cuts input into EnvelopeSize-1000 byte pieces (152600), so
    400 kB arrives as three Sends of ~200 kB envelopes, then End="true"."""
    svc = h.service()
    data = os.urandom(400 * 1000)
    out, err, code = h.run_goclient(svc, h.user("a"), "sha256sum", stdin=data)
    want = "%s  -\n" % hashlib.sha256(data).hexdigest()
    h.eq((out.decode(errors="replace"), err, code), (want, b"", 0), "digest of the input, status")


def test_go_exit_code_zero_and_identity():
    svc = h.service()
    u = h.user("b")
    out, err, code = h.run_goclient(svc, u, "id -un")
    h.eq((out, err, code), (u.name.encode() + b"\n", b"", 0), "result")


def test_go_ntlm_over_https():
    """masterzen/winrm's NTLM client (Azure/go-ntlmssp, Packer's and
    Terraform's use_ntlm) over HTTPS: each request first goes out without
    credentials, and on a 401 offering Negotiate the client runs the NTLM
    handshake with the request's body on every leg. It sends no channel
    binding, which CbtHardeningLevel Strict refuses."""
    svc = h.Service()
    u = h.user("a")
    h.ntlm_password(svc, u)
    svc.start()
    out, err, code = h.run_goclient(svc, u, "id -un; echo go-err >&2; exit 3", ntlm=True)
    h.eq((out, err, code), (u.name.encode() + b"\n", b"go-err\n", 3), "result")
    svc.wait_for_log(r"authentication success: .*as user \"%s\".*\(NTLM\)" % u.name)
    data = os.urandom(300 * 1000)
    out, err, code = h.run_goclient(svc, u, "sha256sum", stdin=data, ntlm=True)
    h.eq((out.decode(errors="replace"), code), ("%s  -\n" % hashlib.sha256(data).hexdigest(), 0),
         "input through NTLM: %s" % err.decode(errors="replace"))
    # A wrong password: the client reports the 401, the service goes on.
    mark = svc.log_mark()
    out, err, code = h.run_goclient(svc, h.User("a", u.name, "wrong" + u.password), "true", ntlm=True)
    h.eq(code, 254, "a wrong password fails in the client: %s" % err.decode(errors="replace"))
    svc.wait_for_log(r"authentication failure: from 127.0.0.1, scheme Negotiate", since=mark)
    out, err, code = h.run_goclient(svc, u, "true", ntlm=True)
    h.eq(code, 0, "after the refusal: %s" % err.decode(errors="replace"))
    # go-ntlmssp sends no channel binding: CbtHardeningLevel Strict refuses it.
    svc.update({"Service/Auth/CbtHardeningLevel": "Strict"})
    svc.reload()
    mark = svc.log_mark()
    out, err, code = h.run_goclient(svc, u, "true", ntlm=True)
    h.eq(code, 254, "no binding under Strict: %s" % err.decode(errors="replace"))
    svc.wait_for_log(r"failure \(no channel binding, CbtHardeningLevel is Strict\)", since=mark)
