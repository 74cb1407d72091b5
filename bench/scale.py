#!/usr/bin/python3
"""Load and scale figures of issue 14, each against its own service.

  load    CLIENTS keep-alive clients (Basic over HTTPS, spread over USERS
          accounts) each running a short command (`echo x`: Create,
          Command, Receive until Done, Signal, Delete) again and again for
          SECONDS: errors, the p50/p99 of a command cycle, and the
          service's memory (privileged part and network process; the
          users' hosts apart) at the start and the end.
  idle    IDLE idle keep-alive connections (each sent one unauthenticated
          Identify, then waits, and says Identify again every 90 s so the
          service's 120 s keep-alive limit does not close it) and SLOW
          clients trickling a request a byte a second (the service closes
          them after 30 s; they connect again), while a normal client runs
          commands: its latency under that load against its latency on the
          same service before the load, in the same run (the ratio), and
          the service's memory with the load.
  shells  SHELLS open shells over USERS accounts: the service's own memory
          per idle shell (privileged part and network process, and the
          users' hosts separately; no shell has a process of the user's
          until it runs a command).

Run as root from the repository root after `make`:
    /usr/bin/python3 bench/scale.py load [CLIENTS [SECONDS [USERS]]]     (1000 600 50)
    /usr/bin/python3 bench/scale.py idle [IDLE [SLOW [SECONDS]]]         (10000 1000 60)
    /usr/bin/python3 bench/scale.py shells [SHELLS [USERS]]              (10000 50)
The service is the optimized build with an HTTPS listener on 127.0.0.1;
its settings are printed. Accounts are made for the run (tests/e2e's
fixture and USERS more) and removed at exit. Every loop is bounded in
count and time. Exits non-zero only when something fails to run.
"""
import asyncio
import os
import re
import resource
import ssl
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUEST_TIMEOUT = 120
# Descriptors for the client and the service: as many as the machine
# allows, at most 65536 (the build machines' hard limit is 20000).
SHELL_CONNS = 4  # connections per user in the shells scenario
NOFILE = min(65536, resource.getrlimit(resource.RLIMIT_NOFILE)[1])


def out(line=""):
    print(line, flush=True)


# ---- the service's memory ----

def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return 0


def service_memory(h, svc):
    """RSS in KB of (the privileged part and the network process, the users'
    hosts, the session processes and PAM workers forked by the privileged part)."""
    own = hosts = sessions = 0
    for pid in [svc.pid] + [p for p, _ in h.descendants(svc.pid)]:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if not os.path.basename(argv[0]).startswith(b"winrmd"):
            continue  # the users' own processes
        if pid == svc.pid or b"--role=net" in argv:
            own += rss_kb(pid)
        elif b"--role=host" in argv:
            hosts += rss_kb(pid)
        else:
            sessions += rss_kb(pid)
    return own, hosts, sessions


# ---- accounts ----

def make_users(h, n):
    """n more accounts in the run's users group, as the fixture makes its own."""
    fx = h.fixture()
    users = []
    for i in range(n):
        name = "%s%s_s%03d" % (h.USER_PREFIX, fx.suffix, i)
        password = "P%dbench%s" % (i, fx.suffix)
        subprocess.run(["useradd", "--shell", "/bin/bash", "--create-home", "--groups", fx.users_group,
                        "--comment", "%s pid=%d" % (h.GECOS_TAG, os.getpid()), name], check=True)
        users.append(h.User("s%03d" % i, name, password))
    subprocess.run(["chpasswd"], input="".join("%s:%s\n" % (u.name, u.password) for u in users).encode(),
                   check=True)
    return users


def remove_users(users):
    for u in users:
        subprocess.run(["pkill", "-KILL", "-u", u.name], stderr=subprocess.DEVNULL)
        subprocess.run(["userdel", "-r", "-f", u.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---- an HTTP/1.1 client on asyncio ----

class Conn:
    def __init__(self, li, ctx):
        self.li, self.ctx = li, ctx
        self.r = self.w = None

    async def open(self):
        self.r, self.w = await asyncio.open_connection(self.li.host, self.li.port, ssl=self.ctx)

    def close(self):
        if self.w:
            self.w.close()
        self.r = self.w = None

    async def post(self, body, auth=None, headers=None):
        """(status, body) of one POST on the kept-alive connection."""
        if self.w is None:
            await self.open()
        if isinstance(body, str):
            body = body.encode()
        head = ["POST /wsman HTTP/1.1", "Host: %s:%d" % (self.li.host, self.li.port),
                "Content-Type: application/soap+xml;charset=UTF-8", "Content-Length: %d" % len(body)]
        if auth:
            head.append("Authorization: " + auth)
        head += ["%s: %s" % kv for kv in (headers or {}).items()]
        self.w.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        line = await self.r.readline()
        if not line:
            raise ConnectionError("closed by the service")
        status = int(line.split()[1])
        length, close = 0, False
        while True:
            hl = await self.r.readline()
            if hl in (b"\r\n", b""):
                break
            k, _, v = hl.decode("latin-1").partition(":")
            if k.strip().lower() == "content-length":
                length = int(v)
            elif k.strip().lower() == "connection" and v.strip().lower() == "close":
                close = True
        data = await self.r.readexactly(length) if length else b""
        if close:
            self.close()
        return status, data


async def command_cycle(h, conn, auth):
    """One short command on a shell of its own; raises on anything but 200."""
    async def call(env):
        status, data = await asyncio.wait_for(conn.post(env, auth), REQUEST_TIMEOUT)
        if status != 200:
            raise RuntimeError("HTTP %d: %s" % (status, data[:300]))
        return h.Response(status, "", {}, data)
    shell = h.shell_id_of(await call(h.create_env()))
    cmd = h.command_id_of(await call(h.command_env(shell, "echo", ["x"])))
    for _ in range(100):
        r = await call(h.receive_env(shell, cmd))
        if b"CommandState/Done" in r.body:
            break
    else:
        raise RuntimeError("the command did not end")
    await call(h.signal_env(shell, cmd))
    await call(h.delete_env(shell))


async def warm(h, li, ctx, users):
    """One Basic logon per user, one at a time: PAM verifies each password
    once, and the clients that follow find it in the network process's cache
    instead of all asking PAM at once from one address (which the logon
    throttle, Service/MaxConcurrentLogonsPerSource, answers with 503)."""
    for u in users:
        c = Conn(li, ctx)
        try:
            status, data = await c.post(h.IDENTIFY_ENV, h.basic(u))
            if status != 200:
                raise RuntimeError("logon of %s: HTTP %d %s" % (u.name, status, data[:200]))
        finally:
            c.close()


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else float("nan")


# ---- the scenarios ----

async def load(h, svc, users, clients, seconds):
    ctx = h.tls_context()
    li = svc.listener()
    lat, errors = [], {}
    deadline = time.monotonic() + seconds

    async def client(i):
        u = users[i % len(users)]
        conn = Conn(li, ctx)
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            try:
                await command_cycle(h, conn, h.basic(u))
                lat.append(time.monotonic() - t0)
            except Exception as e:  # every failure is counted and reported
                key = "%s: %s" % (type(e).__name__, str(e)[:80])
                errors[key] = errors.get(key, 0) + 1
                conn.close()
                await asyncio.sleep(1)
        conn.close()

    await warm(h, li, ctx, users)
    before = service_memory(h, svc)
    tasks = [asyncio.create_task(client(i)) for i in range(clients)]
    marks, t0 = [], time.monotonic()
    while not all(t.done() for t in tasks) and time.monotonic() < deadline + REQUEST_TIMEOUT * 2:
        await asyncio.sleep(min(30, max(1, deadline - time.monotonic())))
        marks.append((round(time.monotonic() - t0), len(lat), service_memory(h, svc)))
        out("# %4d s: %d cycles, memory (own, hosts, sessions) %s KB" % marks[-1])
    await asyncio.gather(*tasks, return_exceptions=True)
    return before, marks, lat, errors


async def idle(h, svc, users, nidle, nslow, seconds):
    ctx = h.tls_context()
    li = svc.listener()
    stop = asyncio.Event()
    counts = {"idle up": 0, "idle lost": 0, "slow reconnects": 0}

    async def idle_client():
        conn = Conn(li, ctx)
        try:
            await conn.post(h.IDENTIFY_ENV, headers={"WSMANIDENTIFY": "unauthenticated"})
            counts["idle up"] += 1
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), 90)
                except asyncio.TimeoutError:
                    await conn.post(h.IDENTIFY_ENV, headers={"WSMANIDENTIFY": "unauthenticated"})
        except Exception:
            counts["idle lost"] += 1
        finally:
            conn.close()

    async def slow_client():
        request = ("POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + "x" * 100000).encode()
        for _ in range(1000):
            if stop.is_set():
                return
            try:
                r, w = await asyncio.open_connection(li.host, li.port, ssl=ctx)
                for b in request:
                    if stop.is_set():
                        break
                    w.write(bytes([b]))
                    await w.drain()
                    await asyncio.sleep(1)
                w.close()
            except Exception:
                counts["slow reconnects"] += 1
                await asyncio.sleep(1)

    async def measure(n):
        conn, v = Conn(li, ctx), []
        for _ in range(n):
            t0 = time.monotonic()
            await command_cycle(h, conn, h.basic(users[0]))
            v.append(time.monotonic() - t0)
        conn.close()
        return v

    await warm(h, li, ctx, users)
    await measure(5)  # warm: TLS, the user's host
    quiet = await measure(50)
    mem_quiet = service_memory(h, svc)
    idle_tasks = []
    for i in range(nidle):
        idle_tasks.append(asyncio.create_task(idle_client()))
        if i % 200 == 199:
            await asyncio.sleep(0.05)  # a ramp, not a SYN flood
    for _ in range(600):
        if counts["idle up"] + counts["idle lost"] >= nidle:
            break
        await asyncio.sleep(1)
    slow_tasks = [asyncio.create_task(slow_client()) for _ in range(nslow)]
    await asyncio.sleep(2)
    loaded, t_end = [], time.monotonic() + seconds
    while time.monotonic() < t_end and len(loaded) < 100000:
        loaded += await measure(10)
    mem_loaded = service_memory(h, svc)
    up = counts["idle up"] - counts["idle lost"]
    stop.set()
    await asyncio.gather(*idle_tasks, *slow_tasks, return_exceptions=True)
    return quiet, loaded, mem_quiet, mem_loaded, up, counts


async def shells(h, svc, users, nshells):
    """Shells made over a few kept-alive connections per user, so what grows
    is the shells' memory, not the connections'."""
    ctx = h.tls_context()
    li = svc.listener()
    conns = {u.name: [Conn(li, ctx) for _ in range(SHELL_CONNS)] for u in users}

    async def create(u, conn, n):
        for _ in range(n):
            status, data = await conn.post(h.create_env(), h.basic(u))
            if status != 200:
                raise RuntimeError("Create for %s: HTTP %d %s" % (u.name, status, data[:200]))

    # Each user's host started and its connections open, one shell each.
    await warm(h, li, ctx, users)
    await asyncio.gather(*[create(u, c, 1) for u in users for c in conns[u.name]])
    base = service_memory(h, svc)
    per_conn = max(0, nshells // len(users) // SHELL_CONNS - 1)
    for u in users:
        await asyncio.gather(*[create(u, c, per_conn) for c in conns[u.name]])
    await asyncio.sleep(2)
    after = service_memory(h, svc)
    for cs in conns.values():
        for c in cs:
            c.close()
    return base, after, len(users) * SHELL_CONNS * (per_conn + 1), len(users) * SHELL_CONNS


def main():
    if os.geteuid() != 0:
        raise SystemExit("scale: run as root (it makes accounts and a service)")
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    args = [int(a) for a in sys.argv[2:]]
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))
    os.environ.pop("OWT_RUN_DIR", None)
    os.environ["OWT_BUILD"] = os.path.join(REPO, "build")
    sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
    import harness as h
    h.fixture()
    if mode == "load":
        clients, seconds, nusers = (args + [1000, 600, 50][len(args):])[:3]
    elif mode == "idle":
        nidle, nslow, seconds = (args + [10000, 1000, 60][len(args):])[:3]
        nusers = 1
    elif mode == "shells":
        nshells, nusers = (args + [10000, 50][len(args):])[:2]
    else:
        raise SystemExit(__doc__)
    users = make_users(h, nusers)
    settings = {"Service/MaxConnections": 2000 if mode == "load" else 300,
                "Winrs/MaxShellsPerUser": 1000, "Winrs/MaxConcurrentUsers": 1000}
    svc = None
    try:
        svc = h.Service(settings, name="scale", nofile=NOFILE).start()
        out("# scale %s, %s, settings %s" % (" ".join(sys.argv[1:]), time.strftime("%Y-%m-%d %H:%M"),
                                              settings))
        out("# load average before: %s" % open("/proc/loadavg").read().strip())
        if mode == "load":
            before, marks, lat, errors = asyncio.run(load(h, svc, users, clients, seconds))
            # From the first mark (30 s in, every host started) to the end:
            # growth under a steady load, not the start-up's.
            start, end = (marks[0][2], marks[-1][2]) if marks else (before, before)
            out("# memory before the load (own, hosts, sessions): %s KB" % (before,))
            out("| clients | seconds | cycles | errors | cycle p50 | cycle p99 | memory own at 30 s -> end | hosts at 30 s -> end |")
            out("|---|---|---|---|---|---|---|---|")
            out("| %d | %d | %d | %d | %.1f ms | %.1f ms | %d -> %d KB | %d -> %d KB |" % (
                clients, seconds, len(lat), sum(errors.values()), pct(lat, 0.5) * 1000, pct(lat, 0.99) * 1000,
                start[0], end[0], start[1], end[1]))
            for k, v in sorted(errors.items()):
                out("# error x%d: %s" % (v, k))
        elif mode == "idle":
            quiet, loaded, mq, ml, up, counts = asyncio.run(idle(h, svc, users, nidle, nslow, seconds))
            ratio = statistics.median(loaded) / statistics.median(quiet)
            out("| idle conns up | slow clients | cycle p50 quiet | p50 loaded | ratio | p99 quiet | p99 loaded | memory own quiet -> loaded |")
            out("|---|---|---|---|---|---|---|---|")
            out("| %d | %d | %.1f ms | %.1f ms | %.2f | %.1f ms | %.1f ms | %d -> %d KB |" % (
                up, nslow, statistics.median(quiet) * 1000, statistics.median(loaded) * 1000, ratio,
                pct(quiet, 0.99) * 1000, pct(loaded, 0.99) * 1000, mq[0], ml[0]))
            out("# %s; %d cycles loaded" % (counts, len(loaded)))
        else:
            base, after, made, first = asyncio.run(shells(h, svc, users, nshells))
            out("| shells | users | own memory per shell | hosts' memory per shell | own before -> after | hosts before -> after |")
            out("|---|---|---|---|---|---|")
            extra = made - first
            out("| %d | %d | %.1f KB | %.1f KB | %d -> %d KB | %d -> %d KB |" % (
                made, len(users), (after[0] - base[0]) / extra, (after[1] - base[1]) / extra,
                base[0], after[0], base[1], after[1]))
        out("# load average after: %s" % open("/proc/loadavg").read().strip())
        if not svc.alive():
            raise SystemExit("scale: the service died")
    finally:
        if svc:
            svc.stop()
        remove_users(users)


if __name__ == "__main__":
    main()
