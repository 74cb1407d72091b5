#!/usr/bin/python3
"""Management data against the same data read locally, in one run (issue
16's figures).

One winrmd (the optimized build) with an HTTPS listener on 127.0.0.1 and
Basic on; a temporary member of the remote users' group (tests/e2e's
fixture), whose host makes the instances. Per trial, the rows interleaved
(so drift in the machine's load hits every row alike):

  processes  with PROCESSES sleeping processes started for these rows (so
             the class has more than a thousand instances, as a busy
             server's has; the other rows run without them, since
             Win32_OperatingSystem counts the processes),
             `winrm enumerate wmicimv2/Win32_Process` (a new client
             process: TLS, Basic, the Enumerate and its Pulls, the text)
             against `ps -eo ...` printing the same properties; and the
             same Enumerate and Pulls on a kept connection (Python's
             http.client, 32 instances a message), the service's part alone;
  packages   `winrm enumerate wmicimv2/Win32_Product` against `dpkg-query
             -W` printing the same fields; and the raw Enumerate and Pulls;
  services   `winrm enumerate wmicimv2/Win32_Service` against the service
             manager's own listing: `systemctl list-units --type=service
             --all` where systemd runs, else `service --status-all` (each
             init script asked its status, as the provider asks them);
             and the raw Enumerate and Pulls;
  gets       the rate of small Gets (Win32_OperatingSystem: the user's host
             reads /proc, os-release, uname for each) against the rate of
             Identify on the same service, both Basic-authenticated over
             HTTPS on keep-alive connections, with wrk for SECONDS each, on
             1 and on 8 connections.

Prints each row's median, min and max, the counts each side saw, and the
ratios of each trial (winrmd's time over the local tool's, the Get rate
over the Identify rate), whose spread is the figure: one trial is not one.

Run as root from the repository root after `make`:
    /usr/bin/python3 bench/cim_enum.py [TRIALS [SECONDS [PROCESSES]]]
TRIALS defaults to 5, SECONDS to 5, PROCESSES to 1000. WINRMD and WINRM are build/'s. Exits
non-zero only when something fails to run (a client fails, a wrong
status), never because of a ratio. Every loop is bounded in count and
time; everything made is removed at exit.
"""
import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import bench_harness

WMI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"
A_GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
A_ENUMERATE = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
A_PULL = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
PAGE = 32               # instances a message on the raw connection
MAX_PULLS = 10000       # of one raw enumeration
CLIENT_TIMEOUT = 300
PS_FORMAT = "pid,ppid,sess,nlwp,lstart,time,vsz,rss,min_flt,maj_flt,comm,args"
DPKG_FORMAT = "${Package} ${Architecture} ${Version} ${Maintainer} ${db:Status-Status} ${binary:Synopsis}\n"


def out(line=""):
    print(line, flush=True)


def timed(argv):
    """(seconds, stdout) of a command that must succeed."""
    t0 = time.monotonic()
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=CLIENT_TIMEOUT)
    secs = time.monotonic() - t0
    if r.returncode != 0:
        raise SystemExit("cim_enum: %s failed: %s" % (argv[:3], r.stderr.decode(errors="replace")[-500:]))
    return secs, r.stdout.decode(errors="replace")


def winrm_enumerate(h, svc, u, cls):
    """(seconds, instances) of `winrm enumerate wmicimv2/cls`."""
    secs, text = timed([h.client_path("winrm"), "enumerate", "wmicimv2/" + cls, "-r:" + svc.url(),
                        "-u:" + u.name, "-p:" + u.password, "-a:Basic", "-skipCAcheck",
                        "--config-dir", h.client_config()])
    return secs, sum(1 for line in text.splitlines() if line.split(" [")[0] == cls)


def raw_enumerate(h, svc, u, cls):
    """(seconds, instances) of an optimized Enumerate and its Pulls on one
    kept connection."""
    li = svc.listener()
    conn = h.connect(li, CLIENT_TIMEOUT)
    tag = ("<p:%s " % cls).encode()
    t0 = time.monotonic()
    try:
        body = ("<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>%d</w:MaxElements>"
                "</n:Enumerate>" % PAGE)
        r = h.request(li, h.envelope(A_ENUMERATE, body, resource=WMI + cls, max_envelope=512000),
                      auth=u, conn=conn)
        count = r.body.count(tag)
        for _ in range(MAX_PULLS):
            if r.status != 200:
                raise SystemExit("cim_enum: %s enumeration: %d %s" % (cls, r.status, r.body[:300]))
            if b"EndOfSequence" in r.body:
                return time.monotonic() - t0, count
            ctx = re.search(rb"EnumerationContext>([^<]+)<", r.body).group(1).decode()
            body = ("<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>"
                    "<n:MaxElements>%d</n:MaxElements></n:Pull>" % (ctx, PAGE))
            r = h.request(li, h.envelope(A_PULL, body, resource=WMI + cls, max_envelope=512000),
                          auth=u, conn=conn)
            count += r.body.count(tag)
        raise SystemExit("cim_enum: %s: no end after %d Pulls" % (cls, MAX_PULLS))
    finally:
        conn.close()


def local(argv):
    """(seconds, lines) of a local tool's listing (ps's header line not counted)."""
    secs, text = timed(argv)
    lines = text.splitlines()
    return secs, len(lines) - (1 if argv[0] == "ps" else 0)


def local_services():
    """The service manager's own listing: (its row's name, argv)."""
    if os.path.isdir("/run/systemd/system"):
        return "systemctl list-units --type=service --all", [
            "systemctl", "list-units", "--type=service", "--all", "--no-legend", "--plain"]
    # Some of its lines (a script without a status action) go to stderr.
    return "service --status-all", ["sh", "-c", "service --status-all 2>&1"]


def wrk_rate(h, svc, u, envelope, connections, seconds, work):
    """Requests per second wrk gets for the envelope (Basic over HTTPS)."""
    script = os.path.join(work, "req.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\n'
                'wrk.body = [[%s]]\n'
                'wrk.headers["Content-Type"] = "application/soap+xml;charset=UTF-8"\n'
                'wrk.headers["Authorization"] = "%s"\n' % (envelope.decode(), h.basic(u)))
    _, text = timed(["wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "-s", script,
                     svc.listener().url()])
    if "Non-2xx" in text or "Socket errors" in text:
        raise SystemExit("cim_enum: wrk saw errors:\n%s" % text)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))


def table(rows, counts, pairs):
    out("| row | median | min | max | instances or lines |")
    out("|---|---|---|---|---|")
    for name, v in rows.items():
        unit = "/s" if name.startswith("rate") else " s"
        fmt = "%.0f" if unit == "/s" else "%.3f"
        out(("| %s | " + fmt + "%s | " + fmt + "%s | " + fmt + "%s | %s |") % (
            name, statistics.median(v), unit, min(v), unit, max(v), unit,
            ", ".join(str(c) for c in sorted(set(counts.get(name, [])))) or "-"))
    out()
    out("| ratio | per trial (sorted) | median |")
    out("|---|---|---|")
    for label, a, b in pairs:
        ratios = sorted(x / y for x, y in zip(rows[a], rows[b]))
        out("| %s | %s | %.2f |" % (label, ", ".join("%.2f" % r for r in ratios), statistics.median(ratios)))


def main():
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    extra = min(int(sys.argv[3]) if len(sys.argv) > 3 else 1000, 20000)
    h = bench_harness.harness("cim_enum")
    u = h.user("a")
    svc = h.Service({}, name="cim-bench").start()
    work = tempfile.mkdtemp(prefix="owt-cim-bench-")
    rows, counts = collections.OrderedDict(), collections.defaultdict(list)

    def row(name, result):
        secs, n = result
        rows.setdefault(name, []).append(secs)
        counts[name].append(n)

    services_row, services_argv = local_services()
    get_env = h.envelope(A_GET, resource=WMI + "Win32_OperatingSystem", message_id="uuid:0")
    try:
        for what in (get_env, h.IDENTIFY_ENV):
            r = h.request(svc, what, auth=u)
            if r.status != 200:
                raise SystemExit("cim_enum: warm-up got %d: %s" % (r.status, r.body[:300]))
        out("# cim_enum: %d trials, rates over %d s, %s, load %.1f" % (
            trials, seconds, time.strftime("%Y-%m-%d"), os.getloadavg()[0]))
        for n in range(trials):
            sleepers = []
            try:
                for _ in range(extra):
                    sleepers.append(subprocess.Popen(["sleep", "3600"]))
                row("winrm enumerate Win32_Process", winrm_enumerate(h, svc, u, "Win32_Process"))
                row("ps -eo (the same properties)", local(["ps", "-eo", PS_FORMAT]))
                row("raw Enumerate/Pull Win32_Process", raw_enumerate(h, svc, u, "Win32_Process"))
            finally:
                for p in sleepers:
                    p.kill()
                    p.wait(timeout=10)
            row("winrm enumerate Win32_Product", winrm_enumerate(h, svc, u, "Win32_Product"))
            row("dpkg-query -W (the same fields)", local(["dpkg-query", "-W", "-f=" + DPKG_FORMAT]))
            row("raw Enumerate/Pull Win32_Product", raw_enumerate(h, svc, u, "Win32_Product"))
            row("winrm enumerate Win32_Service", winrm_enumerate(h, svc, u, "Win32_Service"))
            row(services_row, local(services_argv))
            row("raw Enumerate/Pull Win32_Service", raw_enumerate(h, svc, u, "Win32_Service"))
            for c in (1, 8):
                rows.setdefault("rate: Identify, %d conn" % c, []).append(
                    wrk_rate(h, svc, u, h.IDENTIFY_ENV, c, seconds, work))
                rows.setdefault("rate: Get Win32_OperatingSystem, %d conn" % c, []).append(
                    wrk_rate(h, svc, u, get_env, c, seconds, work))
            out("# trial %d done" % (n + 1))
        table(rows, counts, [
            ("winrm enumerate / ps (processes)", "winrm enumerate Win32_Process", "ps -eo (the same properties)"),
            ("raw / ps (processes)", "raw Enumerate/Pull Win32_Process", "ps -eo (the same properties)"),
            ("winrm enumerate / dpkg-query (packages)", "winrm enumerate Win32_Product",
             "dpkg-query -W (the same fields)"),
            ("raw / dpkg-query (packages)", "raw Enumerate/Pull Win32_Product", "dpkg-query -W (the same fields)"),
            ("winrm enumerate / %s (services)" % services_row, "winrm enumerate Win32_Service", services_row),
            ("raw / %s (services)" % services_row, "raw Enumerate/Pull Win32_Service", services_row),
            ("Get / Identify, 1 conn", "rate: Get Win32_OperatingSystem, 1 conn", "rate: Identify, 1 conn"),
            ("Get / Identify, 8 conn", "rate: Get Win32_OperatingSystem, 8 conn", "rate: Identify, 8 conn"),
        ])
    finally:
        svc.stop()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
