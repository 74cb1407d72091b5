"""What the network process and the hosts give up (issue 14, item 9):
a clean environment, no_new_privs, not dumpable, and nothing of the
administrator's terminal."""
import os
import re

import harness as h

# What the network process's environment may hold: the sanitizer runtime's options.
NET_ENV = {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"}


def _net_pid(svc):
    """The network process's pid, once it runs as itself: the privileged
    part logs the pid right after fork, before the child's exec; the child
    applies its configuration after it entered its sandbox."""
    pid = int(re.search(r"pid (\d+)",
                        svc.wait_for_log(r"network process started: pid \d+")).group(1))
    svc.wait_for_log(r"\[net:%d\]: configuration applied" % pid)
    return pid


def _status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def _environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        return {v.split(b"=", 1)[0].decode() for v in f.read().split(b"\0") if v}


def _tty_nr(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[4])


def _not_dumpable(pid, what):
    """/proc/PID/ of an undumpable process belongs to root, whoever runs it."""
    st = os.stat("/proc/%d/environ" % pid)
    h.check(_status(pid)["Uid"].split()[0] != "0", "%s runs as root" % what)
    h.eq((st.st_uid, st.st_gid), (0, 0), "owner of /proc/PID/environ of the %s "
         "(root: not dumpable)" % what)


def _detached(pid, what):
    h.eq(_tty_nr(pid), 0, "controlling terminal of the %s" % what)
    h.eq(os.readlink("/proc/%d/fd/0" % pid), "/dev/null", "stdin of the %s" % what)
    h.eq(os.readlink("/proc/%d/fd/1" % pid), "/dev/null", "stdout of the %s" % what)


def test_network_process_gives_up_environment_privileges_and_tracing():
    """Started from an environment with a secret in it, the network
    process has none of it (only the sanitizer options pass), has
    no_new_privs and a seccomp filter, and is not dumpable: no process of the service account
    can ptrace it or read its memory."""
    svc = h.service(env={"OWT_ADMIN_SECRET": "hunter2"})
    net = _net_pid(svc)
    names = _environ(net)
    h.check(names <= NET_ENV, "the network process's environment holds %s"
            % sorted(names - NET_ENV))
    h.eq(_status(net)["NoNewPrivs"], "1", "NoNewPrivs of the network process")
    h.eq(_status(net)["Seccomp"], "2", "Seccomp mode of the network process (2: a filter)")
    _not_dumpable(net, "network process")
    h.assert_serving(svc)


def test_foreground_processes_leave_the_terminal():
    """winrmd --foreground started from a terminal: the network process
    and a user's host have no controlling terminal and read nothing from
    it; the host is not dumpable, and the commands it runs are (the
    user's own, debuggable by the user)."""
    svc = h.service(terminal=True)
    net = _net_pid(svc)
    u = h.user("a")
    r = h.winrs(h.winrs_basic(svc) + ["stat -c %u /proc/self/environ"])
    h.eq((r.stdout.strip(), r.returncode), (str(u.uid).encode(), 0),
         "owner of a command's /proc/self/environ (dumpable: the user) (%s)"
         % r.stderr.decode(errors="replace"))
    hosts = h.host_pids(u)
    h.check(hosts, "the user's host lingers after the command")
    h.check(_tty_nr(svc.pid) != 0, "the privileged part has the terminal (the test's setup)")
    _detached(net, "network process")
    _detached(hosts[0], "host")
    _not_dumpable(hosts[0], "host")


def test_a_host_session_is_set_up_as_a_login():
    """The PAM session of a user's host is a login's, as sshd's: the
    user's limits from limits.d apply to the commands (not root's), and
    the audit login uid is the user's."""
    u = h.user("a")
    limits = "/etc/security/limits.d/%s.conf" % u.name
    with open(limits, "w") as f:
        f.write("%s - nofile 2345\n" % u.name)
    try:
        svc = h.service()
        r = h.winrs(h.winrs_basic(svc) + ["ulimit -Sn; ulimit -Hn; cat /proc/self/loginuid"])
    finally:
        os.unlink(limits)
    h.eq((r.stdout.split(), r.returncode), ([b"2345", b"2345", str(u.uid).encode()], 0),
         "a command's open-file limits and login uid (%s)" % r.stderr.decode(errors="replace"))
