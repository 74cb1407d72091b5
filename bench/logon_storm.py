#!/usr/bin/python3
"""A correct logon during a storm of wrong passwords, against the same logon
on an idle service, in one run (issue 14's logon-storm figure).

One winrmd (the optimized build) with an HTTPS listener on 127.0.0.1 and
Basic on (PAM, pam_unix: each wrong password is answered after PAM's
failure delay, about 2 s); temporary users from tests/e2e/harness.py's
fixture. Three rows, interleaved trial by trial (so drift in the
machine's load hits every row alike), each trial on a fresh service,
since the network process caches a verified password and only a first
logon asks PAM:

  idle     the correct logon (one Basic-authenticated Identify, from
           127.0.0.2) on a service doing nothing else;
  one      the same while STORM clients send wrong passwords for another
           user at once from one address (127.0.0.1);
  many     the same while STORM clients send wrong passwords for another
           user at once, each from an address of its own (127.0.1.x,
           127.0.2.x ...).

Prints the median latency of each row, the ratio to idle (the target is
under 2), the spread of the same-trial ratios (each trial's logon against
that trial's idle one), and what the storm's clients got (401 after the failure delay,
503 when their address had too many logons under way, or refused without
PAM once the failures of the address or account passed their limit).

Run as root from the repository root after `make`:
    /usr/bin/python3 bench/logon_storm.py [TRIALS] [STORM]
TRIALS defaults to 5, STORM to 200. Exits non-zero only when something
fails to run (the correct logon is refused, the service dies), never
because of a ratio. Every loop is bounded in count and time; everything
made is removed at exit.
"""
import collections
import http.client
import multiprocessing
import os
import statistics
import sys
import threading
import time

import bench_harness

# The service and the measured client run on one core, the storm's clients
# on the other (the build machines have two).
SERVICE_CPU, STORM_CPU = 0, 1
STORM_SETTLE_S = 0.5   # the storm's clients connected before the measured logon
CLIENT_TIMEOUT = 120


def out(line=""):
    print(line, flush=True)


def logon(h, svc, who, source):
    """(HTTP status or the error, seconds) of one Basic Identify from source."""
    li = svc.listener()
    conn = http.client.HTTPSConnection(li.host, li.port, timeout=CLIENT_TIMEOUT,
                                       context=h.tls_context(), source_address=(source, 0))
    t0 = time.monotonic()
    try:
        return h.request(li, h.IDENTIFY_ENV, auth=who, conn=conn).status, time.monotonic() - t0
    except OSError as e:
        return type(e).__name__, time.monotonic() - t0
    finally:
        conn.close()


def storm_source(mode, i):
    return "127.0.0.1" if mode == "one" else "127.0.%d.%d" % (1 + i // 250, 1 + i % 250)


def storm_clients(h, svc, victim, mode, storm, results):
    """In a process of its own, on the core the service does not have:
    storm clients sending wrong passwords for victim at once; what they
    got goes back through results."""
    os.sched_setaffinity(0, {STORM_CPU})
    got = collections.Counter()
    lock = threading.Lock()

    def wrong(i):
        status = logon(h, svc, (victim, "wrong-%d" % i), storm_source(mode, i))[0]
        with lock:
            got[status] += 1
    clients = [threading.Thread(target=wrong, args=(i,)) for i in range(storm)]
    for t in clients:
        t.start()
    for t in clients:
        t.join(CLIENT_TIMEOUT)
    results.put(dict(got))


def trial(h, mode, storm, got):
    """The correct logon's seconds on a fresh service, during mode's storm."""
    svc = h.Service({}, name="storm").start()
    try:
        logon(h, svc, None, "127.0.0.2")  # warm: TLS and the listener
        victim, user = h.user("b"), h.user("a")
        storm_proc, results = None, None
        if mode != "idle":
            # The storm's clients are a process of their own on a core of
            # their own, as an attacker is another machine: as threads of
            # this process they shared its interpreter lock with the
            # measured logon, and on the service's core their own TLS
            # and Python work would be counted as the service's.
            results = multiprocessing.get_context("fork").Queue()
            storm_proc = multiprocessing.get_context("fork").Process(
                target=storm_clients, args=(h, svc, victim.name, mode, storm, results))
            storm_proc.start()
            time.sleep(STORM_SETTLE_S)
        status, secs = logon(h, svc, user, "127.0.0.3")
        if storm_proc:
            got[mode].update(results.get(timeout=CLIENT_TIMEOUT * 2))
            storm_proc.join(CLIENT_TIMEOUT)
        if status != 200:
            raise SystemExit("logon_storm: the correct logon got %s (%s)" % (status, mode))
        return secs
    finally:
        svc.stop()


def main():
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    storm = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    h = bench_harness.harness("logon_storm")
    os.sched_setaffinity(0, {SERVICE_CPU})  # inherited by every service started
    rows = collections.OrderedDict((m, []) for m in ("idle", "one", "many"))
    got = {m: collections.Counter() for m in rows}
    out("# logon_storm: %d trials, storms of %d wrong passwords, %s" % (trials, storm, time.strftime("%Y-%m-%d")))
    for n in range(trials):
        for mode in rows:
            rows[mode].append(trial(h, mode, storm, got))
        out("# trial %d: %s" % (n + 1, ", ".join("%s %.3f s" % (m, v[-1]) for m, v in rows.items())))
    idle = statistics.median(rows["idle"])
    out("| row | median | min | max | median / idle | per trial / that trial's idle | the storm's clients got |")
    out("|---|---|---|---|---|---|---|")
    for mode, v in rows.items():
        per_trial = sorted(x / i for x, i in zip(v, rows["idle"]))
        out("| %s | %.3f s | %.3f s | %.3f s | %.2f | %s | %s |" % (
            mode, statistics.median(v), min(v), max(v), statistics.median(v) / idle,
            ", ".join("%.2f" % r for r in per_trial),
            ", ".join("%s: %d" % (k, c) for k, c in sorted(got[mode].items(), key=str)) or "-"))


if __name__ == "__main__":
    main()
