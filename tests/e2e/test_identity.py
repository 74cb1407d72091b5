"""Commands run as the authenticated user, and users stay apart."""
import os
import re
import uuid

import harness as h


def test_uid_gid_and_groups_are_the_users():
    svc = h.service()
    for role in ("a", "b"):
        u = h.user(role)
        out, err, code = h.run_cmd(h.protocol(svc, u), "id -u; id -g; id -G")
        h.eq((err, code), (b"", 0), "stderr and exit code of id for %s" % u.name)
        lines = out.decode().split("\n")
        h.eq(int(lines[0]), u.uid, "uid of %s" % u.name)
        h.eq(int(lines[1]), u.gid, "gid of %s" % u.name)
        h.eq(sorted(set(int(g) for g in lines[2].split())), u.groups(),
             "supplementary groups of %s" % u.name)


def test_the_account_pam_settled_on_is_the_one_used():
    """A PAM stack may settle the name a client sent on another spelling
    (pam_sss, pam_winbind). With accounts owt_..._a and owt_..._A and a
    stack that lower-cases PAM_USER before pam_unix, a's password sent as
    owt_..._A is a's logon: the command runs as a, not as the account the
    client spelled."""
    a, fx = h.user("a"), h.fixture()
    twin = a.name[:-1] + a.name[-1].upper()
    stack = "%s%s_lowercase" % (h.USER_PREFIX, fx.suffix)
    stack_path = os.path.join("/etc/pam.d", stack)
    module = h.pam_test_module()
    try:
        with open(stack_path, "w") as f:
            f.write("auth required %s\n@include common-auth\n@include common-account\n"
                    "@include common-session-noninteractive\n" % module)
        h._run(["useradd", "--create-home", "--groups", fx.users_group,
                "--comment", "%s pid=%d" % (h.GECOS_TAG, os.getpid()), twin])
        svc = h.service(pam_service=stack)
        out, err, code = h.run_cmd(h.protocol(svc, h.User("twin", twin, a.password)), "id -un")
        h.eq((out, err, code), ((a.name + "\n").encode(), b"", 0),
             "a's password sent as %s: the command's account" % twin)
        svc.wait_for_log(r'PAM settled user "%s" as account "%s"' % (twin, a.name))
    finally:
        errors = []
        h._remove_user(twin, errors)
        if os.path.exists(stack_path):
            os.unlink(stack_path)
        h.eq(errors, [], "removing %s" % twin)


def test_users_files_are_protected_from_each_other():
    svc = h.service()
    a, b = h.user("a"), h.user("b")
    path = os.path.join(svc.dir, "secret-of-a")
    with open(path, "w") as f:
        f.write("only for a\n")
    os.chown(path, a.uid, a.gid)
    os.chmod(path, 0o600)
    out, err, code = h.run_cmd(h.protocol(svc, a), "cat " + path)
    h.eq((out, code), (b"only for a\n", 0), "the owner reads the file")
    out, err, code = h.run_cmd(h.protocol(svc, b), "cat " + path)
    h.eq(out, b"", "another user's stdout")
    h.check(code != 0, "another user's cat must fail, exit code was 0")
    h.check(b"Permission denied" in err, "stderr should say Permission denied: %r" % err)


def _normalised(resp, ids):
    f = resp.fault()
    text = (f.reason or "") + "|" + (f.message or "")
    for i in ids:
        text = re.sub(re.escape(i), "<ID>", text, flags=re.I)
    return (resp.status, resp.header("Content-Type"), f.key(), text)


def test_other_users_shell_id_is_unknown_to_them():
    """B using A's ShellId gets exactly the fault of a made-up GUID
    (w:InvalidSelectors, Code 2150858843): no hint that the shell exists."""
    svc = h.service()
    ra, rb = h.Raw(svc, h.user("a")), h.Raw(svc, h.user("b"))
    shell_a = ra.create()
    cmd_a = ra.command(shell_a, "sleep 1; echo mine")
    fake_shell, fake_cmd = str(uuid.uuid4()).upper(), str(uuid.uuid4()).upper()
    ids = [shell_a, cmd_a, fake_shell, fake_cmd]
    for what, real_env, fake_env in [
        ("Command", h.command_env(shell_a, "id"), h.command_env(fake_shell, "id")),
        ("Receive", h.receive_env(shell_a, cmd_a), h.receive_env(fake_shell, fake_cmd)),
        ("Signal", h.signal_env(shell_a, cmd_a), h.signal_env(fake_shell, fake_cmd)),
        ("Delete", h.delete_env(shell_a), h.delete_env(fake_shell)),
    ]:
        real = rb.post(real_env)
        fake = rb.post(fake_env)
        h.eq(fake.status, 500, "%s on a made-up ShellId: status" % what)
        h.eq(fake.fault().code, h.CODE_INVALID_SELECTORS, "%s on a made-up ShellId: WSManFault Code" % what)
        h.eq(fake.fault().subcode_local, "InvalidSelectors", "%s on a made-up ShellId: subcode" % what)
        h.eq(_normalised(real, ids), _normalised(fake, ids),
             "%s by B on A's shell vs on a made-up one" % what)
    # A's shell and command were not touched by any of that.
    out, err, code = ra.receive_all(shell_a, cmd_a)
    h.eq((out, code), (b"mine\n", 0), "A's command after B's attempts")
    ra.delete(shell_a)
