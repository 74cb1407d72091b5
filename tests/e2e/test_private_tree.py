"""winrmd in a directory its accounts cannot reach (issue 15): a clone
under /root or in a directory of mode 0700 (mktemp -d), as README's
`./scripts/bootstrap build && build/winrm quickconfig` leaves it. The
privileged part executes the network process, the GSSAPI acceptor and the
users' hosts from a descriptor it opened as root at start, not by path as
their accounts, so that tree serves as a packaged /usr/sbin/winrmd does;
and that descriptor reaches none of them."""
import os
import shutil
import stat
import subprocess
import tempfile

import harness as h
from test_ntlm import pywinrm

ROLES = ("net", "acceptor", "host")


def private_winrmd():
    """The build's winrmd, copied into a new directory of mode 0700 (root's)."""
    d = tempfile.mkdtemp(prefix="private-", dir=h.fixture().run_dir)
    h.eq(stat.S_IMODE(os.stat(d).st_mode), 0o700, "mkdtemp's mode")
    exe = os.path.join(d, "winrmd")
    shutil.copy2(os.path.join(h.build_dir(), "winrmd"), exe)
    os.chmod(exe, 0o755)
    return exe


def role_of(pid):
    """The --role of a process winrmd executed, None for any other."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv = f.read().decode(errors="replace").split("\0")
    except OSError:
        return None
    roles = [a[len("--role="):] for a in argv if a.startswith("--role=")]
    return roles[0] if roles else None


def holds(pid, path):
    """Whether pid has a descriptor of the file at path."""
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == path:
                return True
        except OSError:
            pass
    return False


def test_serves_from_a_directory_its_accounts_cannot_reach():
    exe = private_winrmd()
    u = h.user("a")
    try:
        subprocess.run([exe, "--version"], user=h.SERVICE_ACCOUNT, group=h.SERVICE_ACCOUNT,
                       extra_groups=[], stdout=subprocess.DEVNULL, timeout=30)
        h.check(False, "the service account executed %s by its path" % exe)
    except PermissionError:
        pass  # what the roles' exec by path met

    svc = h.Service({}, https=True, http=True, exe=exe)
    h.ntlm_password(svc, u)
    svc.start()
    out, err, code = h.run_cmd(h.protocol(svc, u), "id -un")
    h.eq((out, code), (u.name.encode() + b"\n", 0), "a cmd shell's command, over Basic (%r)" % err)
    r = pywinrm(svc.url("HTTP"), "auto", "id", "-un")
    h.eq((r["status"], r["stdout_head"]), (0, u.name + "\n"), "a command over NTLM (the acceptor)")

    # Every role runs, executed from that file, while a command runs in a
    # host; none of them, nor the command, holds a descriptor of it.
    p = h.protocol(svc, u)
    shell = p.open_shell()
    command = p.run_command(shell, "sleep 30")
    try:
        h.check(h.wait_until(lambda: len(h.pids_named(u.uid, "sleep")) == 1, 10),
                "the command runs")
        executed = [(pid, role_of(pid)) for pid, _ in h.descendants(svc.pid) if role_of(pid)]
        h.eq(sorted({role for _, role in executed}), sorted(ROLES), "the roles running")
        for pid, role in executed:
            h.eq(os.readlink("/proc/%d/exe" % pid), exe, "the %s process's executable" % role)
            with open("/proc/%d/comm" % pid) as f:
                h.eq(f.read().strip(), "winrmd", "the %s process's name" % role)
        h.check(holds(svc.pid, exe), "the privileged part holds a descriptor of winrmd")
        for pid, _ in h.descendants(svc.pid):
            h.check(not role_of(pid) and os.stat("/proc/%d" % pid).st_uid == 0
                    or not holds(pid, exe),
                    "process %d (%s) holds a descriptor of winrmd" % (pid, role_of(pid)))
    finally:
        p.cleanup_command(shell, command)
        p.close_shell(shell)
    h.check(svc.alive(), "winrmd still runs")
