"""Winrs/MaxMemoryPerShellMB and MaxProcessesPerShell on a PowerShell
session's process tree (src/host/proctree.c), as Windows' job object
applies them to its PowerShell plugin's host: PowerShell code over the
memory quota gets OutOfMemoryException and the session lives on (.NET's
heap limit); a command of the session over it ends the session with
Windows' "provider host process" fault; processes over the process quota
are killed, the newest each round (which ones depends on when the
round falls; how many does not). Each is logged and the service goes on."""
import harness as h
import psrp
from test_psrpclient import pwsh, _said


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
