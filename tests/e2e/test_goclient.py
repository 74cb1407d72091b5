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
