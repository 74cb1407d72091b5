"""Losing the network process (issue 14, faults): the privileged part
restarts it on the same listening sockets and clients reconnect; the
users' hosts it carried end with their commands; a crash loop stops the
service, as a service manager's start limit would."""
import os
import re
import signal
import socket
import time

import harness as h

RESTART_BOUND = 10.0  # seconds from the kill until the service answers again
CLEANUP_BOUND = 15.0  # seconds until the dead network process's hosts and commands are gone
RESTART_BURST = 5  # PRIV_NET_RESTART_BURST


def _net_pid(svc, since):
    """The pid of the network process started after log offset since."""
    line = svc.wait_for_log(r"network process started: pid \d+", timeout=RESTART_BOUND, since=since)
    return int(re.search(r"pid (\d+)", line).group(1))



def _identify(svc):
    r = h.request(svc, h.IDENTIFY_ENV, headers={"WSMANIDENTIFY": "unauthenticated"})
    h.eq(r.status, 200, "Identify after the restart (%s)" % h._short(r.body, 300))


def test_killed_network_process_is_restarted():
    """SIGKILL of the network process while a user's command runs: the
    death is logged with its status, a new one answers on the same port
    within RESTART_BOUND (Identify, a Basic logon running a command with
    pywinrm and with winrs), and the host of the dead process's user ends
    with its command and the job it left in the background."""
    svc = h.service()
    a, b = h.user("a"), h.user("b")
    net = _net_pid(svc, 0)
    ra = h.Raw(svc, a)
    shell_a = ra.create()
    ra.command(shell_a, "sleep 307 & sleep 308")
    h.check(h.wait_until(lambda: len(h.pids_named(a.uid, "sleep")) == 2, 10),
            "%s's two sleeps did not start" % a.name)
    hosts_a = h.host_pids(a)
    h.eq(len(hosts_a), 1, "host processes running as %s" % a.name)
    session_a = h._proc_stat(hosts_a[0])[0]  # the root process that holds its PAM session

    mark = svc.log_mark()
    os.kill(net, signal.SIGKILL)
    t0 = time.monotonic()
    svc.wait_for_log(r"network process \(pid %d\) killed by signal 9" % net,
                     timeout=RESTART_BOUND, since=mark)
    new = _net_pid(svc, mark)
    h.check(new != net, "a new network process")
    svc.wait_for_log(r"network process restarted", timeout=RESTART_BOUND, since=mark)
    _identify(svc)
    out, err, code = h.run_cmd(h.protocol(svc, b), "echo back")
    h.eq((out, code), (b"back\n", 0), "pywinrm with Basic after the restart (%r)" % err)
    r = h.winrs(h.winrs_basic(svc, a) + ["id -un"])
    h.eq((r.stdout, r.returncode), (a.name.encode() + b"\n", 0),
         "winrs with Basic after the restart (%s)" % r.stderr.decode(errors="replace"))
    h.check(time.monotonic() - t0 < 2 * RESTART_BOUND, "the service answered again too late")

    h.check(h.wait_until(lambda: all(h.process_ended(p) for p in hosts_a + [session_a]),
                         CLEANUP_BOUND),
            "the host of the dead network process's user, or its session process, still runs")
    h.check(h.wait_until(lambda: not h.pids_named(a.uid, "sleep"), CLEANUP_BOUND),
            "%s's command (or its background job) outlived its host: %r"
            % (a.name, h.pids_named(a.uid, "sleep")))
    r = ra.post(h.receive_env(shell_a, "00000000-0000-0000-0000-000000000000", timeout="PT5S"))
    h.eq(r.status, 500, "Receive on a shell of the dead network process (%s)" % h._short(r.body, 300))
    h.check(svc.alive(), "winrmd still runs")
    h.assert_serving(svc)


def test_network_process_crash_loop_stops_the_service():
    """Killed again at once after each restart: RESTART_BURST restarts,
    then the next death stops winrmd with status 1 and a log line naming
    the start limit, its port closed and no process of it left."""
    svc = h.service()
    port = svc.listener().port
    mark = 0
    for i in range(RESTART_BURST + 1):
        net = _net_pid(svc, mark)
        mark = svc.log_mark()
        os.kill(net, signal.SIGKILL)
        svc.wait_for_log(r"network process \(pid %d\) killed by signal 9" % net,
                         timeout=RESTART_BOUND, since=mark)
    tree = h.descendants(svc.pid)
    status = svc.wait_exit(RESTART_BOUND)
    h.eq(status, 1, "winrmd's exit status after the crash loop")
    svc.wait_for_log(r"restarted %d times within \d+ s and ended again: stopping \(start limit\)"
                     % RESTART_BURST, since=mark)
    h.eq(svc.log_text().count("network process restarted (restart "), RESTART_BURST,
         "restarts logged")
    h.check(h.wait_until(lambda: all(h.process_ended(p) for p, _ in tree), CLEANUP_BOUND),
            "processes of the stopped service remain: %r" % tree)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        h.check(False, "port %d still accepts connections" % port)
    except OSError:
        pass
