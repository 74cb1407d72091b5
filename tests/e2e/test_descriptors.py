"""The network process out of descriptors (issue 14, item 5)."""
import os
import re
import socket
import subprocess
import time

import harness as h

# Connections beyond what the lowered limit leaves free: more than it can
# accept, fewer than the listening socket's backlog, so every connect()
# completes and waits there.
EXTRA_CONNECTIONS = 40
WATCH_S = 3.0


def _cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _identify(svc):
    return h.request(svc, h.IDENTIFY_ENV, headers={"WSMANIDENTIFY": "unauthenticated"})


def _lower_limit(pid, limit):
    """prlimit as the process's own account: root here may lack
    CAP_SYS_RESOURCE, and lowering one's own limit needs none."""
    st = os.stat("/proc/%d" % pid)
    subprocess.run(["prlimit", "--pid", str(pid), "--nofile=%d:%d" % (limit, limit)],
                   user=st.st_uid, group=st.st_gid, extra_groups=[], check=True, timeout=10)


def test_out_of_descriptors():
    """With its descriptor limit lowered under it (prlimit, as a host with
    a small limit would be) and more clients connected than it can take,
    the network process neither spins nor floods the log: accept() failing
    pauses the listeners and is logged a bounded number of times. Once the
    clients go, a new client is served."""
    svc = h.service()
    net = int(re.search(r"pid (\d+)",
                        svc.wait_for_log(r"network process started: pid \d+")).group(1))
    h.eq(_identify(svc).status, 200, "Identify before")
    limit = len(os.listdir("/proc/%d/fd" % net)) + 10
    _lower_limit(net, limit)
    with open("/proc/%d/limits" % net) as f:
        h.check(re.search(r"Max open files\s+%d\s+%d\s" % (limit, limit), f.read()),
                "the limit lowered")
    li = svc.listener()
    held = []
    try:
        for _ in range(limit + EXTRA_CONNECTIONS):
            held.append(socket.create_connection((li.host, li.port), timeout=5))
        svc.wait_for_log(r"Too many open files", timeout=10)
        mark, cpu, start = svc.log_mark(), _cpu_seconds(net), time.monotonic()
        time.sleep(WATCH_S)
        cpu, elapsed = _cpu_seconds(net) - cpu, time.monotonic() - start
        grown = svc.log_mark() - mark
        h.check(cpu < 0.2 * elapsed, "the network process used %.2fs of CPU in %.1fs out of "
                "descriptors\n%s" % (cpu, elapsed, svc.log_tail(10)))
        h.check(grown < 16 * 1024, "the log grew by %d bytes in %.1fs out of descriptors\n%s"
                % (grown, elapsed, svc.log_tail(10)))
    finally:
        for s in held:
            s.close()
    _identify_served(svc)


def _identify_served(svc):
    deadline = time.monotonic() + 15
    while True:
        try:
            r = _identify(svc)
            if r.status == 200:
                break
        except OSError as e:
            r = e
        h.check(time.monotonic() < deadline, "no Identify served once the clients left: %s\n%s"
                % (h._short(r, 300), svc.log_tail(20)))
        time.sleep(0.2)


def test_connection_cap_below_the_limit():
    """Started with a small descriptor limit, the network process caps its
    connections below it (logged at start), and closes those over the cap
    at once: it never runs out of descriptors, and once the clients go a
    new client is served."""
    limit = 600
    svc = h.service(nofile=limit)
    li = svc.listener()
    held = []
    try:
        for _ in range(limit + EXTRA_CONNECTIONS):
            held.append(socket.create_connection((li.host, li.port), timeout=5))
        time.sleep(1)
        h.check("Too many open files" not in svc.log_text(),
                "the network process ran out of descriptors\n%s" % svc.log_tail(10))
        svc.wait_for_log(r"too many open connections", timeout=10)
        cap = int(re.search(r"at most (\d+) connections",
                            svc.wait_for_log(r"network process started: at most")).group(1))
        h.check(cap < limit, "the cap %d is below the limit %d" % (cap, limit))
    finally:
        for s in held:
            s.close()
    _identify_served(svc)
