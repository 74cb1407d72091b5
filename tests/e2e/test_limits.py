"""Winrs limits, settings and reloading them on SIGHUP."""
import os
import time

import harness as h

CODE_QUOTA_MAX_OPERATIONS = 2150859174  # ERROR_WSMAN_QUOTA_MAX_OPERATIONS


def test_max_shells_per_user():
    svc = h.service({"Winrs/MaxShellsPerUser": "2"})
    ra, rb = h.Raw(svc, h.user("a")), h.Raw(svc, h.user("b"))
    s1, s2 = ra.create(), ra.create()
    r = ra.post(h.create_env())
    h.eq(r.status, 500, "third Create status (%s)" % h._short(r.body, 300))
    f = r.fault()
    h.eq((f.subcode_local, f.code), ("QuotaLimit", h.CODE_QUOTA_MAX_SHELLS), "third Create fault")
    # The quota is per user.
    sb = rb.create()
    rb.delete(sb)
    # Deleting a shell makes room again.
    ra.delete(s1)
    s3 = ra.create()
    ra.delete(s2)
    ra.delete(s3)


def test_max_concurrent_operations_per_user():
    """Service/MaxConcurrentOperationsPerUser counts what the user's host
    has not answered yet: two long-polled Receives take a quota of 2, the
    third request gets Windows' QuotaLimit fault, another user does not
    notice, and when the polls end there is room again."""
    import threading
    svc = h.service({"Service/MaxConcurrentOperationsPerUser": "2"})
    a, b = h.user("a"), h.user("b")
    ra = h.Raw(svc, a)
    shells = [ra.create() for _ in range(2)]
    cmds = [ra.command(s, "sleep 30") for s in shells]
    statuses = []

    def poll(shell, cmd):
        # The probes below are operations too: a poll that arrives while one
        # is in the host is itself refused, and tries again.
        for _ in range(100):
            r = ra.post(h.receive_env(shell, cmd, timeout="PT8S"))
            if not (r.status == 500 and r.fault().subcode_local == "QuotaLimit"):
                break
            time.sleep(0.05)
        statuses.append(r.status)
    polls = [threading.Thread(target=poll, args=sc) for sc in zip(shells, cmds)]
    for t in polls:
        t.start()
    # Probe with a request that needs no cleanup (a Receive on no shell)
    # until the two polls are parked in the host.
    nothing = "00000000-0000-4000-8000-000000000000"
    deadline = time.monotonic() + 20
    while True:
        r = ra.post(h.receive_env(nothing, nothing, timeout="PT1S"))
        if r.status == 500 and r.fault().subcode_local == "QuotaLimit":
            break
        h.check(time.monotonic() < deadline, "the third request was never refused")
        time.sleep(0.2)
    h.eq(r.fault().code, CODE_QUOTA_MAX_OPERATIONS, "Windows' fault for it")
    svc.wait_for_log("2 operations running, MaxConcurrentOperationsPerUser: refused")
    rb = h.Raw(svc, b)
    rb.delete(rb.create())
    for t in polls:
        t.join(60)
    h.eq(sorted(statuses), [500, 500], "the long polls ended with TimedOut")
    r = ra.post(h.create_env())
    h.eq(r.status, 200, "room again once the polls ended (%s)" % h._short(r.body, 300))
    ra.delete(h.shell_id_of(r))
    for s in shells:
        ra.delete(s)


def test_one_account_cannot_take_every_connection():
    """Issue 14, item 7: one account's long-polled Receives filled
    MaxConnections, and every other account got 503. An account may hold
    Service/MaxConnectionsPerUserPercent (50) of MaxConnections' active
    requests: of six polls under MaxConnections 6, three wait, three get
    Windows' fault for too many operations (logged), and another user's
    command runs meanwhile."""
    import threading
    svc = h.service({"Service/MaxConnections": "6"})
    a, b = h.user("a"), h.user("b")
    ra = h.Raw(svc, a)
    shell = ra.create()
    cmds = [ra.command(shell, "sleep 60") for _ in range(6)]
    results, lock = [], threading.Lock()

    def poll(cmd):
        r = ra.post(h.receive_env(shell, cmd, timeout="PT10S"))
        with lock:
            results.append((r.status, r.fault().code if r.status == 500 else None))
    polls = [threading.Thread(target=poll, args=(c,)) for c in cmds]
    for t in polls:
        t.start()
    deadline = time.monotonic() + 20
    while True:
        with lock:
            refused = [x for x in results if x[1] == CODE_QUOTA_MAX_OPERATIONS]
        if len(refused) == 3:
            break
        h.check(time.monotonic() < deadline, "the polls over the share were not refused: %s\n%s"
                % (results, svc.log_tail(20)))
        time.sleep(0.1)
    svc.wait_for_log(r"%s has 3 requests under way, its share \(50%%\) of MaxConnections \(6\): "
                     r"refusing" % a.name)
    rb = h.Raw(svc, b)
    sb = rb.create()
    out, _, code = rb.receive_all(sb, rb.command(sb, "echo other"))
    h.eq((out, code), (b"other\n", 0), "another user's command while the polls wait")
    rb.delete(sb)
    for t in polls:
        t.join(60)
    h.eq(sorted(results), sorted([(500, h.CODE_TIMED_OUT)] * 3 + [(500, CODE_QUOTA_MAX_OPERATIONS)] * 3),
         "three polls waited their time, three were refused")
    ra.delete(shell)


def test_max_memory_per_shell_mb():
    """Winrs/MaxMemoryPerShellMB on a cmd shell: a command whose processes
    go over it is killed (exit code 137) within a few seconds and logged;
    the shell and a command under the quota are untouched."""
    svc = h.service({"Winrs/MaxMemoryPerShellMB": "150"})
    a = h.user("a")
    ra = h.Raw(svc, a)
    sid = ra.create()
    small = ra.command(sid, "sleep 20; echo small")
    t0 = time.monotonic()
    big = ra.command(sid, "/usr/bin/python3 -c 'import time; b = bytearray(300 << 20); time.sleep(60)'")
    out, err, code = ra.receive_all(sid, big, limit=60)
    h.eq(code, 137, "the command over the quota was killed (%s)" % err)
    h.check(time.monotonic() - t0 < 20, "within seconds, not at the end of its sleep")
    svc.wait_for_log(r"over MaxMemoryPerShellMB 150: command %s \(\d+ MB\) killed" % big)
    out, err, code = ra.receive_all(sid, small, limit=60)
    h.eq((out, code), (b"small\n", 0), "the command under the quota ran to its end")
    ra.delete(sid)


def test_allow_remote_shell_access_false():
    svc = h.service({"Winrs/AllowRemoteShellAccess": "false"})
    r = h.Raw(svc, h.user("a")).post(h.create_env())
    h.eq(r.status, 500, "Create with AllowRemoteShellAccess=false (%s)" % h._short(r.body, 300))
    h.eq(r.fault().code, h.CODE_REMOTESHELLS_NOT_ALLOWED, "WSManFault Code")


def test_sighup_reload_turns_basic_off_and_on():
    svc = h.service()
    a = h.user("a")
    h.assert_serving(svc, a)
    svc.update({"Service/Auth/Basic": "false"})
    svc.reload()
    deadline = time.monotonic() + 10
    while True:
        r = h.request(svc, h.create_env(), auth=a)
        if r.status == 401:
            break
        if r.status == 200:
            h.Raw(svc, a).delete(h.shell_id_of(r))
        h.check(time.monotonic() < deadline, "Basic still accepted 10 s after SIGHUP (status %d)" % r.status)
        time.sleep(0.5)
    svc.update({"Service/Auth/Basic": "true"})
    svc.reload()
    deadline = time.monotonic() + 10
    while h.request(svc, h.IDENTIFY_ENV, auth=a).status != 200:
        h.check(time.monotonic() < deadline, "Basic not accepted again 10 s after the second SIGHUP")
        time.sleep(0.5)
    h.assert_serving(svc, a)


def test_pid_file():
    svc = h.service()
    path = os.path.join(svc.conf_dir, "winrmd.pid")
    deadline = time.monotonic() + 5
    while not os.path.exists(path):
        h.check(time.monotonic() < deadline, "no %s" % path)
        time.sleep(0.1)
    with open(path) as f:
        h.eq(f.read().strip(), str(svc.pid), "pid in winrmd.pid")


def test_idle_shell_reaped():
    """A shell nobody talks to for its IdleTimeOut (pywinrm's idle_timeout,
    in seconds) is deleted, which frees its place under MaxShellsPerUser."""
    from winrm.exceptions import WinRMError
    svc = h.service({"Winrs/MaxShellsPerUser": "1"})
    a = h.user("a")
    p = h.protocol(svc, a)
    mark = svc.log_mark()
    shell_id = p.open_shell(idle_timeout=1)
    svc.wait_for_log(r"shell %s of %s deleted: idle" % (shell_id, a.name), timeout=10, since=mark)
    try:
        p.run_command(shell_id, "true")
        raise h.TestFailure("a command ran in a shell deleted as idle")
    except WinRMError as exc:
        h.eq(h.wsman_error_code(exc), h.CODE_INVALID_SELECTORS, "WSManFault Code for the deleted shell")
    out, _, code = h.run_cmd(p, "echo room")
    h.eq((out, code), (b"room\n", 0), "a new shell within MaxShellsPerUser=1")
