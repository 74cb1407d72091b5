"""Refusals: each gets the right status or fault, leaves a log line, and the
service goes on serving (a good request succeeds afterwards)."""
import os
import re
import subprocess
import uuid

import harness as h

CREATE = h.create_env()


def _soap_fault(resp, status, subcode_local, code):
    h.eq(resp.status, status, "HTTP status (%s)" % h._short(resp.body, 300))
    ct = resp.header("Content-Type") or ""
    h.check("application/soap+xml" in ct, "a fault must be application/soap+xml (masterzen), got %r" % ct)
    f = resp.fault()
    h.eq(f.subcode_local, subcode_local, "fault subcode (%r)" % f)
    if code is not None:
        h.eq(f.code, code, "WSManFault Code (%r)" % f)
    return f


def _offers_basic(resp):
    values = resp.header_all("WWW-Authenticate")
    return any(re.match(r"\s*basic\b", v, re.I) or re.search(r",\s*basic\b", v, re.I) for v in values)


def test_no_authorization_header():
    svc = h.service()
    mark = svc.log_mark()
    r = h.request(svc, CREATE)
    h.eq(r.status, 401, "status without Authorization")
    h.check(_offers_basic(r), "WWW-Authenticate must offer Basic: %r" % r.header_all("WWW-Authenticate"))
    svc.wait_for_log(r"\b401\b|unauthenticated|no credentials|challenge|authentication (refused|required)",
                     since=mark)
    h.assert_serving(svc)


def test_basic_off_by_default():
    svc = h.service({"Service/Auth/Basic": None})
    r = h.request(svc, CREATE, auth=h.user("a"))
    h.eq(r.status, 401, "Basic with Service/Auth/Basic unset")
    h.check(not _offers_basic(r), "Basic must not be offered when off: %r" % r.header_all("WWW-Authenticate"))


def test_wrong_password():
    svc = h.service()
    a = h.user("a")
    mark = svc.log_mark()
    r = h.request(svc, CREATE, auth=(a.name, a.password + "x"))
    h.eq(r.status, 401, "status with a wrong password")
    svc.wait_for_log([re.escape(a.name), h.FAILURE_WORDS], since=mark)
    h.assert_serving(svc)


def test_unknown_user_looks_like_wrong_password():
    svc = h.service()
    a = h.user("a")
    wrong = h.request(svc, CREATE, auth=(a.name, "not-the-password"))
    mark = svc.log_mark()
    nobody = h.fixture().unknown_user_name()
    unknown = h.request(svc, CREATE, auth=(nobody, "not-the-password"))
    h.eq(unknown.status, 401, "status for an unknown user")
    strip = lambda r: (r.status, r.reason, sorted((k.lower(), v) for k, v in r.headers.items()
                                                  if k.lower() not in ("date",)), r.body)
    h.eq(strip(unknown), strip(wrong), "unknown user vs wrong password (status, headers, body)")
    svc.wait_for_log([re.escape(nobody), h.FAILURE_WORDS], since=mark)
    h.assert_serving(svc)


def test_basic_over_http_without_allow_unencrypted():
    svc = h.service({"Service/AllowUnencrypted": "false"}, http=True)
    mark = svc.log_mark()
    r = h.request(svc.listener("HTTP"), CREATE, auth=h.user("a"))
    h.eq(r.status, 401, "Basic over plain HTTP with AllowUnencrypted=false")
    svc.wait_for_log(r"\b401\b|unencrypted|authentication refused|not offered", since=mark)
    h.assert_serving(svc)  # over HTTPS


def test_basic_over_http_with_allow_unencrypted():
    svc = h.service({"Service/AllowUnencrypted": "true"}, http=True)
    out, err, code = h.run_cmd(h.protocol(svc, h.user("a"), listener=svc.listener("HTTP")), "echo plain")
    h.eq((out, err, code), (b"plain\n", b"", 0), "command over HTTP with AllowUnencrypted=true")


def test_digest_is_refused():
    svc = h.service()
    mark = svc.log_mark()
    r = h.request(svc, CREATE, auth='Digest username="%s", realm="WSMAN", nonce="abc", uri="/wsman", '
                                    'response="0123456789abcdef0123456789abcdef"' % h.user("a").name)
    h.eq(r.status, 401, "status for Digest")
    h.check(_offers_basic(r), "the 401 must offer Basic: %r" % r.header_all("WWW-Authenticate"))
    h.check(not any(v.lower().startswith("digest") for v in r.header_all("WWW-Authenticate")),
            "Digest must not be offered")
    svc.wait_for_log(r"\b401\b|digest", since=mark)
    h.assert_serving(svc)


def test_user_in_no_allowed_group():
    svc = h.service()
    out = h.user("out")
    mark = svc.log_mark()
    r = h.request(svc, CREATE, auth=out)
    _soap_fault(r, 500, "AccessDenied", None)
    svc.wait_for_log([re.escape(out.name), h.FAILURE_WORDS + r"|access"], since=mark)
    h.assert_serving(svc)


def test_envelope_over_max_envelope_size():
    svc = h.service({"MaxEnvelopeSizekb": "40"})
    body = CREATE.replace(b"<env:Body>", b"<env:Body><!--" + b"x" * (48 * 1024) + b"-->", 1)
    mark = svc.log_mark()
    r = h.request(svc, body, auth=h.user("a"))
    h.eq(r.status, 413, "status for a 48 kB+ envelope with MaxEnvelopeSizekb=40")
    svc.wait_for_log(r"\b413\b|too large|limit|MaxEnvelopeSize", since=mark)
    h.assert_serving(svc)


def test_malformed_xml():
    svc = h.service()
    mark = svc.log_mark()
    r = h.request(svc, CREATE[:len(CREATE) // 2], auth=h.user("a"))
    h.eq(r.status, 400, "status for a truncated envelope (%s)" % h._short(r.body, 300))
    svc.wait_for_log(r"\b400\b|invalid xml|malformed|not well-formed|parse", since=mark)
    h.assert_serving(svc)


def test_unknown_action_on_shell_resource():
    svc = h.service()
    raw = h.Raw(svc, h.user("a"))
    shell_id = raw.create()
    mark = svc.log_mark()
    r = raw.post(h.envelope("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Frobnicate",
                            shell_id=shell_id))
    f = _soap_fault(r, 500, "ActionNotSupported", h.CODE_ACTION_NOT_SUPPORTED)
    h.eq(f.subcode_ns, h.NS["a"], "ActionNotSupported is a WS-Addressing subcode")
    svc.wait_for_log(r"ActionNotSupported|action not supported|unknown action|Frobnicate|\b500\b",
                     since=mark)
    raw.delete(shell_id)
    h.assert_serving(svc)


def test_unknown_shell_id():
    svc = h.service()
    raw = h.Raw(svc, h.user("a"))
    made_up = str(uuid.uuid4()).upper()
    mark = svc.log_mark()
    for env in (h.command_env(made_up, "id"), h.receive_env(made_up, str(uuid.uuid4()).upper()),
                h.delete_env(made_up)):
        f = _soap_fault(raw.post(env), 500, "InvalidSelectors", h.CODE_INVALID_SELECTORS)
        h.eq(f.value.split(":")[-1], "Sender", "fault code value")
    svc.wait_for_log([r"InvalidSelectors|unknown shell|no such shell|shell.*not found|%s|\b500\b"
                      % made_up], since=mark)
    h.assert_serving(svc)


def _start_refused(svc, pattern):
    """winrmd started on svc's configuration exits at once, saying pattern."""
    r = subprocess.run([h.winrmd_path(), "--config-dir", svc.conf_dir, "--foreground",
                        "--user", h.SERVICE_ACCOUNT], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    err = r.stderr.decode(errors="replace")
    h.check(r.returncode != 0 and re.search(pattern, err),
            "winrmd's start (status %d) should say %r:\n%s" % (r.returncode, pattern, err[-2000:]))


def test_configuration_others_could_write_is_refused():
    """As sshd's StrictModes: a configuration directory, or a file the
    privileged part reads, that is not root's or that its group or
    everyone may write stops winrmd from starting, with a message naming
    the path and the problem; on reload the previous configuration stays.
    Above the directory, a sticky /tmp is fine (the test's own dirs sit
    there)."""
    svc = h.Service()
    conf_file = os.path.join(svc.conf_dir, "winrm.conf")
    os.chmod(svc.conf_dir, 0o777)
    _start_refused(svc, r"%s is writable by everyone" % re.escape(svc.conf_dir))
    os.chmod(svc.conf_dir, 0o755)
    os.chmod(conf_file, 0o664)
    _start_refused(svc, r"%s is writable by its group" % re.escape(conf_file))
    os.chmod(conf_file, 0o644)
    key = os.path.join(svc.conf_dir, "key.pem")
    os.chown(key, h.user("a").uid, 0)
    _start_refused(svc, r"%s is owned by another account than root" % re.escape(key))
    os.chown(key, 0, 0)
    svc.start()
    os.chmod(conf_file, 0o666)
    mark = svc.log_mark()
    svc.reload()
    svc.wait_for_log(r"%s is writable by everyone.*keeping the previous configuration" % re.escape(conf_file),
                     since=mark)
    os.chmod(conf_file, 0o644)
    h.eq(h.request(svc, h.IDENTIFY_ENV, auth=h.basic(h.user("a"))).status, 200, "still serving")
