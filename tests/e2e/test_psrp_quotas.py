"""Winrs/MaxMemoryPerShellMB and MaxProcessesPerShell on a PowerShell
session's process tree (src/host/proctree.c), as Windows' job object
applies them to its PowerShell plugin's host: PowerShell code over the
memory quota gets OutOfMemoryException and the session lives on (.NET's
heap limit); a command of the session over it ends the session with
Windows' "provider host process" fault; processes over the process quota
are killed, the newest each round (which ones depends on when the
round falls; how many does not). Each is logged and the service goes on.
Service/MaxConcurrentOperationsPerUser counts a user's operations in all
of its hosts, a session configuration's included."""
import subprocess
import threading
import time

import harness as h
import psrp
from test_psrpclient import PROLOGUE, PWSH, pwsh, pwsh_env, _said

CODE_QUOTA_MAX_OPERATIONS = 2150859174  # ERROR_WSMAN_QUOTA_MAX_OPERATIONS


def _session(svc):
    return ("$s = New-PSSession -ComputerName 127.0.0.1 -Port %d -UseSSL -SessionOption $https "
            "-Authentication Basic -Credential $cred; " % svc.listener("HTTPS").port)


def _service(**settings):
    return h.service(dict({"Service/PowerShell": psrp.pwsh_path()}, **settings))


def test_memory_quota_managed_and_native():
    svc = _service(**{"Winrs/MaxMemoryPerShellMB": "400"})
    a = h.user("a")
    r = pwsh(_session(svc) +
             "Invoke-Command -Session $s -ScriptBlock { "
             "  try { $big = [byte[]]::new(600MB); 'allocated' } "
             "  catch { $_.Exception.InnerException.GetType().Name } }; "
             "Invoke-Command -Session $s -ScriptBlock { 'alive' }; "
             "try { Invoke-Command -Session $s -ScriptBlock { "
             "  /usr/bin/python3 -c 'import time; b = bytearray(700 << 20); time.sleep(60)' } "
             "} catch { 'broken: ' + $_.Exception.Message }; "
             "$s.State", a, timeout=150)
    out = r.stdout.splitlines()
    h.eq(out[:2], ["OutOfMemoryException", "alive"],
         "PowerShell's own allocation over the quota fails, the session lives on (%s)" % _said(r)[-2000:])
    h.check(any("provider host process did not return a proper response" in x for x in out),
            "a command over the quota ends the session with Windows' words: %s" % _said(r)[-2000:])
    h.eq(out[-1], "Broken", "the session's state")
    svc.wait_for_log(r"MB resident in \d+ processes, over MaxMemoryPerShellMB 400")
    svc.wait_for_log(r"ended: over MaxMemoryPerShellMB")
    r = pwsh(_session(svc) + "Invoke-Command -Session $s -ScriptBlock { [Environment]::UserName }", a)
    h.eq((r.stdout.strip(), r.returncode), (a.name, 0), "a new session afterwards (%s)" % _said(r)[-2000:])


def test_process_quota_kills_the_newest():
    svc = _service(**{"Winrs/MaxProcessesPerShell": "3"})
    a = h.user("a")
    r = pwsh(_session(svc) +
             "Invoke-Command -Session $s -ScriptBlock { "
             "  $p = 1..5 | ForEach-Object { Start-Process -FilePath /bin/sleep -ArgumentList 60 -PassThru }; "
             "  $deadline = (Get-Date).AddSeconds(20); "
             "  while (($p | Where-Object { -not $_.HasExited }).Count -gt 2 -and (Get-Date) -lt $deadline) "
             "  { Start-Sleep -Milliseconds 200 }; "
             "  ($p | Where-Object { -not $_.HasExited }).Count; "
             "  $p | Stop-Process -ErrorAction SilentlyContinue }; "
             "Invoke-Command -Session $s -ScriptBlock { 'alive' }", a, timeout=150)
    out = r.stdout.split()
    h.eq((out[1:], r.returncode), (["alive"], 0), "the session lives on (%s)" % _said(r)[-2000:])
    h.check(out[0] in ("1", "2"), "with pwsh, at most two of the five stay (%s)" % _said(r)[-2000:])
    svc.wait_for_log(r"processes, over MaxProcessesPerShell 3: killed the \d+ newest")


def test_operations_counted_across_the_users_hosts():
    """Service/MaxConcurrentOperationsPerUser counts a user's operations
    in all of its hosts, as Windows counts them whichever plugin serves
    them: while a PowerShell session to a session configuration of its
    own (a host of its own) waits on a command, the user's cmd shell takes
    fewer long polls than the quota, and the one past it gets Windows'
    fault, logged. (Counted per host, the cmd shell took the whole quota.)"""
    quota = 4
    svc = _service(**{"Service/MaxConcurrentOperationsPerUser": str(quota),
                      "Plugin?Name=Ops/AllowedGroups": h.fixture().users_group})
    a = h.user("a")
    ra = h.Raw(svc, a)
    shell = ra.create()
    cmds = [ra.command(shell, "sleep 60") for _ in range(quota)]
    mark = svc.log_mark()
    session = subprocess.Popen(
        [PWSH, "-NoProfile", "-NonInteractive", "-Command", "$ErrorActionPreference = 'Stop'; " +
         PROLOGUE + _session(svc).replace("$cred; ", "$cred -ConfigurationName Ops; ") +
         "Invoke-Command -Session $s -ScriptBlock { Start-Sleep 20; 'slept' }"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=pwsh_env(a), universal_newlines=True)
    try:
        svc.wait_for_log(r"PowerShell session .*endpoint Ops, user %s" % a.name, timeout=60,
                         since=mark)
        time.sleep(3)  # its command runs, its Receive waits in the host
        results, lock = [], threading.Lock()

        def poll(cmd):
            r = ra.post(h.receive_env(shell, cmd, timeout="PT8S"))
            with lock:
                results.append(r.fault().code if r.status == 500 else r.status)
        polls = [threading.Thread(target=poll, args=(c,)) for c in cmds]
        for t in polls:
            t.start()
        for t in polls:
            t.join(60)
        refused = results.count(CODE_QUOTA_MAX_OPERATIONS)
        h.check(refused >= 1 and results.count(h.CODE_TIMED_OUT) == quota - refused,
                "polls of the cmd shell beside the session's operations: %s" % results)
        svc.wait_for_log(r"%s has %d operations running, MaxConcurrentOperationsPerUser: refused"
                         % (a.name, quota), since=mark)
        out, err = session.communicate(timeout=120)
        h.eq((out.strip(), session.returncode), ("slept", 0), "the session's command (%s)"
             % (out + err)[-2000:])
    finally:
        if session.poll() is None:
            session.kill()
            session.wait()
    ra.delete(shell)
