"""Losing one user's host process hurts only that user, and only until
their next shell."""
import os
import signal
import time

import harness as h


def test_killed_host_affects_only_its_user():
    svc = h.service()
    a, b = h.user("a"), h.user("b")
    ra = h.Raw(svc, a)
    pb = h.protocol(svc, b)
    shell_a = ra.create()
    cmd_a = ra.command(shell_a, "sleep 30")
    shell_b = pb.open_shell()
    cmd_b = pb.run_command(shell_b, "sleep 30; echo b-done")
    t0 = time.monotonic()

    hosts_a = h.host_pids(a)
    h.eq(len(hosts_a), 1, "host processes (--role=host) running as %s" % a.name)
    hosts_b = h.host_pids(b)
    h.eq(len(hosts_b), 1, "host processes running as %s" % b.name)
    os.kill(hosts_a[0], signal.SIGKILL)

    r = ra.post(h.receive_env(shell_a, cmd_a, timeout="PT5S"))
    h.eq(r.status, 500, "A's Receive after its host was killed (%s)" % h._short(r.body, 300))
    f = r.fault()
    h.check(f.code != h.CODE_TIMED_OUT, "A's command is gone, so not a TimedOut fault: %r" % f)

    out, err, code = pb.get_command_output(shell_b, cmd_b)
    h.eq((out, err, code), (b"b-done\n", b"", 0), "B's command, running while A's host died")
    h.check(time.monotonic() - t0 >= 25, "B's sleep 30 ended early")
    h.eq(h.host_pids(b), hosts_b, "B's host process is the same one")
    pb.cleanup_command(shell_b, cmd_b)
    pb.close_shell(shell_b)

    out, err, code = h.run_cmd(pb, "echo b-again")
    h.eq((out, code), (b"b-again\n", 0), "B creates a new shell")
    out, err, code = h.run_cmd(h.protocol(svc, a), "id -un")
    h.eq((out, code), (a.name.encode() + b"\n", 0), "A creates a new shell afterwards")
    h.check(svc.alive(), "winrmd still runs")
