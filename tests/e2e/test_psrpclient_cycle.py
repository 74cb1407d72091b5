"""libpsrpclient.so under the sanitizers, driven from C as PowerShell drives it, against winrmd and pwsh."""
# tests/e2e/psrpclient/cycle.c loads the library under test with dlopen,
# as .NET does, and is built here with the sanitizer build's flags, so
# LeakSanitizer judges every allocation of the library over the whole run
# when the driver exits (a leak fails it). pwsh itself cannot load a
# sanitizer build (tests/e2e/test_psrpclient.py); the PSRP payloads the
# driver sends in its place are tests/e2e/psrp.py's.
import os
import re
import select
import signal
import subprocess
import time
import uuid

import harness as h
import psrp

SRC = os.path.join(h.HERE, "psrpclient", "cycle.c")
# The Makefile's SAN_FLAGS
SAN_FLAGS = ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
             "-fno-sanitize-recover=all"]
SESSIONS = 20
# Twenty sessions take about 25 s here (two cores, sanitizer builds);
# the bound leaves room for a loaded machine within the runner's three
# minutes a test.
CYCLES_TIMEOUT = 150
# Opening the pool and starting the command.
RECEIVING_TIMEOUT = 120
# The driver's own bound on the failed Receive is 30 s.
HOST_GONE_TIMEOUT = 60
# A silent service: PowerShell's OperationTimeout for the session, and
# the longest a call then waits for a reply, with the 30 s libwinrm
# allows beyond it (CLIENT_REPLY_SLACK_MS). The Receive and the two
# closes after it each wait that long at most.
SILENT_OPERATION_TIMEOUT_S = 5
SILENT_WAIT_S = SILENT_OPERATION_TIMEOUT_S + 30


def _driver(tmp):
    """cycle.c built against the build under test, as tests/e2e/test_libwinrm.py builds its program."""
    b = h.build_dir()
    lib = os.path.join(b, "libpsrpclient.so")
    h.check(os.path.exists(lib), "%s is missing: build with `make san`" % lib)
    exe = os.path.join(tmp, "cycle")
    flags = SAN_FLAGS if os.path.basename(b) == "san" else []
    r = h._run(["cc", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror",
                "-I" + os.path.join(h.REPO, "src"), "-I" + os.path.join(h.REPO, "tests", "unit"),
                SRC, "-o", exe, "-ldl", "-lpthread"] + flags, check=False)
    h.eq(r.returncode, 0, "building %s: %s" % (SRC, r.stderr.decode(errors="replace")))
    return exe, lib


def _calls(svc, user, path, scripts):
    """The calls file of one session per script: ShellId, creationXml,
    CommandId and CREATE_PIPELINE, the GUIDs inside the fragments the
    ones the driver passes to Create and Command. Returns the ShellIds."""
    shells = []
    with open(path, "w") as f:
        for script in scripts:
            pool = psrp.Pool(svc, user)
            command_id = str(uuid.uuid4()).upper()
            f.write("%s %s %s %s\n" % (pool.shell_id, pool.creation(), command_id,
                                       pool.pipeline(script, command_id)))
            shells.append(pool.shell_id)
    return shells


def _start(svc, user, mode, scripts, *extra):
    """The driver started on scripts, one session each. Returns (the
    process, the sessions' ShellIds)."""
    tmp = os.path.join(svc.dir, "psrpclient-cycle")
    os.makedirs(tmp, exist_ok=True)
    exe, lib = _driver(tmp)
    calls = os.path.join(tmp, "calls-%s" % mode)
    shells = _calls(svc, user, calls, scripts)
    env = dict(os.environ, PSRPCLIENT_PASSWORD=user.password, WINRM_CONFIG_DIR=h.client_config())
    proc = subprocess.Popen([exe, mode, lib, svc.url() + "?PSVersion=7.6.10", user.name, calls]
                            + list(extra), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, universal_newlines=True)
    return proc, shells


def _finished(proc, timeout, what):
    """proc's (stdout, stderr) once it exited within timeout; a hang fails."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise h.TestFailure("%s: no exit within %d s\n%s\n%s" % (what, timeout, out, err[-3000:]))


def _read_until(proc, text, timeout):
    """proc's output as it comes, up to text; all of it when proc ends or
    timeout passes first. Read from the pipe itself, which select watches,
    so no line waits in a buffer."""
    got, deadline = b"", time.monotonic() + timeout
    while text.encode() not in got:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            break
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        got += chunk
    return got.decode(errors="replace")


def _comments(out):
    """The driver's "# " lines: what it measured."""
    return "".join(l for l in out.splitlines(True) if l.startswith("# "))


def _clean_exit(proc, out, err, what):
    for pat in h.SANITIZER_PATTERNS:
        h.check(pat not in err, "%s: sanitizer report:\n%s" % (what, err[-6000:]))
    h.eq(proc.returncode, 0, "%s: exit status\n%s\n%s" % (what, out[-4000:], err[-3000:]))


def test_sessions_leave_nothing_behind():
    svc = h.Service({"Service/PowerShell": psrp.pwsh_path()}).start()
    a = h.user("a")
    t0 = time.monotonic()
    proc, shells = _start(svc, a, "cycles", ["[Environment]::UserName + '-' + 6 * 7"] * SESSIONS,
                          "<S>%s-42</S>" % a.name)
    out, err = _finished(proc, CYCLES_TIMEOUT, "the driver's %d sessions" % SESSIONS)
    _clean_exit(proc, out, err, "the driver's %d sessions" % SESSIONS)
    h.check("every session went through whole" in out and "0 failed" in out, out[-4000:])
    print("# %d sessions in %.0f s\n%s" % (SESSIONS, time.monotonic() - t0, _comments(out)))

    # Each session's shell had a pwsh of its own, which ended with it;
    # what may be left of the user's is the spare pwsh the host starts
    # ahead for a next session.
    log = svc.log_text()
    pids = []
    for sid in shells:
        m = re.search(r"psrp: shell %s opened for %s \(pwsh (\d+)" % (sid, a.name), log)
        h.check(m, "the log names session %s's pwsh\n%s" % (sid, svc.log_tail(40)))
        h.check(re.search(r"psrp: shell %s of %s ended" % (sid, a.name), log),
                "session %s's shell ended on the service\n%s" % (sid, svc.log_tail(40)))
        pids.append(int(m.group(1)))
    h.eq(len(set(pids)), SESSIONS, "a pwsh a session")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(h.process_ended(p) for p in pids):
        time.sleep(0.2)
    h.eq([p for p in pids if not h.process_ended(p)], [], "the sessions' pwsh left running")
    left = h.pids_named(a.uid, "pwsh")
    h.check(len(left) <= 1, "no pwsh of the user's but the spare one is left: %s" % left)


def _receive_fails(svc, user, take_host_away, fail_within=30, operation_timeout_ms=0,
                   driver_timeout=HOST_GONE_TIMEOUT):
    """The driver's command Receive pending when take_host_away() runs; it
    must end in an error within fail_within seconds of it, and the driver
    exit cleanly within driver_timeout. Returns the driver's output."""
    proc, _ = _start(svc, user, "host-goes-away", ["Start-Sleep 120"], str(fail_within),
                     str(operation_timeout_ms))
    said = _read_until(proc, "receiving\n", RECEIVING_TIMEOUT)
    if "receiving\n" not in said:
        out, err = _finished(proc, driver_timeout, "the driver")
        raise h.TestFailure("the driver did not get to its Receive:\n%s%s\n%s" % (said, out, err[-3000:]))
    # The Receive is on its way to the service, and pwsh in its sleep.
    time.sleep(2)
    t0 = time.monotonic()
    take_host_away()
    proc.stdin.write("gone\n")
    proc.stdin.flush()
    out, err = _finished(proc, driver_timeout, "the driver after the host went away")
    _clean_exit(proc, out, err, "the driver after the host went away")
    h.check("0 failed" in out, out[-4000:])
    print("# the driver ended %.1f s after the host went away\n%s" % (time.monotonic() - t0, _comments(out)))
    return out


def test_service_stopped_mid_receive():
    svc = h.Service({"Service/PowerShell": psrp.pwsh_path()}).start()
    out = _receive_fails(svc, h.user("a"), svc.stop)
    # Mid-stop, the service's listening socket may still take the
    # Receive's new connection, then close it in the TLS handshake: the
    # error must not ask whether the listener that just spoke TLS is one.
    h.check("Is it an HTTPS listener" not in out, "the Receive's error:\n%s" % _comments(out))


def test_user_host_killed_mid_receive():
    svc = h.Service({"Service/PowerShell": psrp.pwsh_path()}).start()
    a = h.user("a")

    def kill_host():
        hosts = h.host_pids(a)
        h.eq(len(hosts), 1, "host processes (--role=host) running as %s" % a.name)
        os.kill(hosts[0], signal.SIGKILL)

    _receive_fails(svc, a, kill_host)
    h.check(svc.alive(), "winrmd still runs")


def test_service_silent_mid_receive():
    """The service stops answering but keeps its connections open (a host
    frozen, a network gone): the Receive fails once OperationTimeout and
    the library's slack for the reply have passed, and each close after
    it takes as long at most."""
    svc = h.Service({"Service/PowerShell": psrp.pwsh_path()}).start()
    net = int(re.search(r"pid (\d+)", svc.wait_for_log(r"network process started: pid \d+")).group(1))
    try:
        _receive_fails(svc, h.user("a"), lambda: os.kill(net, signal.SIGSTOP),
                       fail_within=SILENT_WAIT_S + 10,
                       operation_timeout_ms=SILENT_OPERATION_TIMEOUT_S * 1000,
                       driver_timeout=3 * SILENT_WAIT_S + 30)
    finally:
        os.kill(net, signal.SIGCONT)
