"""winrm user set|delete|list: DIR/ntlm_users, the smbpasswd-format file of
NT hashes that gss-ntlmssp (NTLM_USER_FILE) verifies local accounts'
NTLM logins against. Root's, mode 0600, one exact line per account, only
the hash (checked against MS-NLMP's vector), bad input changing nothing.
The service's NTLM logins themselves are tested with the service."""
import os
import re
import socket
import subprocess
import time

import harness as h

# MS-NLMP 4.2.1: NTOWFv1("Password").
PASSWORD_NT_HASH = "A4F49C406510BDCAB6824EE7C30FD852"


def winrm(args, config_dir, as_user=None):
    argv = [h.client_path("winrm")] + list(args) + ["--config-dir", config_dir]
    if as_user:
        # A copy every account may execute, run with the user's ids only.
        argv = ["setpriv", "--reuid=%d" % as_user.uid, "--regid=%d" % as_user.gid, "--clear-groups",
                h.run_copy("winrm")] + argv[1:]
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    for pat in h.SANITIZER_PATTERNS:
        h.check(pat.encode() not in r.stderr, "winrm: sanitizer report:\n%s" % r.stderr.decode(errors="replace"))
    return r


def _err(r):
    return r.stderr.decode(errors="replace")


def _ok(r, what):
    h.eq(r.returncode, 0, "%s (%s)" % (what, _err(r)))


def _file(d):
    return os.path.join(d, "ntlm_users")


def _read(d):
    with open(_file(d), "rb") as f:
        return f.read()


def _entry_re(u, nt_hash):
    # COMPUTER\name: the NetBIOS name gss-ntlmssp's challenges carry.
    computer = socket.gethostname().split(".")[0].upper()[:15]
    return re.compile(rb"^%s\\%s:%d:X{32}:%s:\[U {10}\]:LCT-([0-9A-F]{8}):\n$"
                      % (re.escape(computer.encode()), re.escape(u.name.encode()), u.uid, nt_hash.encode()))


def test_set_writes_one_smbpasswd_line():
    d = h.client_config()
    a = h.user("a")
    before = int(time.time())
    _ok(winrm(["user", "set", a.name, "-p:Password"], d), "winrm user set")
    st = os.stat(_file(d))
    h.eq((st.st_mode & 0o7777, st.st_uid, st.st_gid), (0o600, 0, 0), "ntlm_users mode and owner")
    text = _read(d)
    m = _entry_re(a, PASSWORD_NT_HASH).match(text)
    h.check(m, "not the smbpasswd line with the NT hash of 'Password': %r" % text)
    lct = int(m.group(1), 16)
    h.check(before - 5 <= lct <= time.time() + 5, "LCT-%s is not the time of the change" % m.group(1).decode())
    h.check(b"Password" not in text, "the password itself is stored")
    h.eq(sorted(os.listdir(d)), ["ntlm_users", "winrm.conf"], "files left in the configuration directory")


def test_set_replaces_list_and_delete():
    d = h.client_config()
    a, b = h.user("a"), h.user("b")
    # A line that is not ours (a comment) survives every rewrite.
    with open(_file(d), "w") as f:
        f.write("# kept\n")
    os.chmod(_file(d), 0o600)
    _ok(winrm(["user", "set", a.name, "-p:first"], d), "set a")
    _ok(winrm(["user", "set", b.name, "-p:Password"], d), "set b")
    _ok(winrm(["user", "set", a.name, "-p:Password"], d), "set a again")
    lines = _read(d).splitlines(keepends=True)
    h.eq(len(lines), 3, "a comment and one line per account: %r" % lines)
    h.eq(lines[0], b"# kept\n", "the comment")
    h.check(_entry_re(a, PASSWORD_NT_HASH).match(lines[1]), "a's entry replaced in place: %r" % lines[1])
    h.check(_entry_re(b, PASSWORD_NT_HASH).match(lines[2]), "b's entry: %r" % lines[2])

    r = winrm(["user", "list"], d)
    _ok(r, "user list")
    h.eq(r.stdout.decode(), "%s\n%s\n" % (a.name, b.name), "user list")

    _ok(winrm(["user", "delete", a.name], d), "delete a")
    r = winrm(["user", "list"], d)
    h.eq(r.stdout.decode(), "%s\n" % b.name, "user list after delete")
    before = _read(d)
    r = winrm(["user", "delete", a.name], d)
    h.check(r.returncode != 0 and a.name in _err(r), "deleting a missing entry: %d %s" % (r.returncode, _err(r)))
    h.eq(_read(d), before, "the file after a failed delete")
    h.eq(oct(os.stat(_file(d)).st_mode & 0o7777), oct(0o600), "mode after rewrites")


def test_bad_input_changes_nothing():
    d = h.client_config()
    a = h.user("a")
    fx = h.fixture()
    r = winrm(["user", "set", fx.unknown_user_name(), "-p:Password"], d)
    h.check(r.returncode != 0 and "not a local account" in _err(r), "unknown account: %s" % _err(r))
    h.check(not os.path.exists(_file(d)), "a refused set created the file")

    _ok(winrm(["user", "set", a.name, "-p:Password"], d), "set a")
    before = _read(d)
    cases = [
        (["user", "set", fx.unknown_user_name(), "-p:Password"], "not a local account"),
        (["user", "set", a.name, b"-p:caf\xe9"], "UTF-8"),          # Latin-1, not UTF-8
        (["user", "set", a.name, b"-p:\xed\xa0\x80"], "UTF-8"),     # a UTF-16 surrogate
        (["user", "set", a.name, b"-p:\xc0\xaf"], "UTF-8"),         # overlong '/'
        (["user", "set", a.name, "-p:"], "empty"),
        (["user", "set", a.name], "-p:"),                           # no terminal to prompt on
        (["user", "set"], "usage"),
        (["user", "list", a.name], "usage"),
        (["user", "rename", a.name], "usage"),
        (["user", "delete", a.name, "-p:x"], "-p:"),
        (["user", "set", a.name, "-p:x", "-r:localhost"], "this machine"),
        (["user", "delete", fx.unknown_user_name()], "no entry"),
    ]
    for args, word in cases:
        r = winrm(args, d)
        h.check(r.returncode != 0, "%r succeeded" % args)
        h.check(word.lower() in _err(r).lower(), "%r: message %r lacks %r" % (args, _err(r), word))
        h.eq(_read(d), before, "%r changed ntlm_users" % args)
    h.eq(sorted(os.listdir(d)), ["ntlm_users", "winrm.conf"], "files left in the configuration directory")


def test_non_root_refused():
    d = h.client_config()
    a = h.user("a")
    for args in (["user", "set", a.name, "-p:Password"], ["user", "list"]):
        r = winrm(args, d, as_user=a)
        h.check(r.returncode != 0 and "root" in _err(r), "%r as %s: %d %s" % (args, a.name, r.returncode, _err(r)))
    h.check(not os.path.exists(_file(d)), "a refused set created the file")


def test_help_mentions_user():
    r = subprocess.run([h.client_path("winrm"), "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    _ok(r, "winrm --help")
    out = r.stdout.decode()
    for want in ("user set NAME [-p:PASSWORD]", "user delete NAME", "user list"):
        h.check(want in out, "--help lacks %r:\n%s" % (want, out))
