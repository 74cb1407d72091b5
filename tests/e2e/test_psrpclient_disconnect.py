"""Disconnected sessions under the real PowerShell through libpsrpclient:
a session disconnected and connected again in one pwsh, keeping its
state; Invoke-Command -InDisconnectedSession, then from a new pwsh process
the session found (Runspace.GetRunspaces, what Get-PSSession -ComputerName
runs, through the project's Microsoft.WSMan.Management module), connected
to, and the output produced while nobody was connected received; another
user finds none of it."""
import os
import time

import harness as h
from test_psrpclient import pwsh, _port, _said

CONNECT = ("-ComputerName 127.0.0.1 -Port %d -UseSSL -SessionOption $https "
           "-Authentication Basic -Credential $cred")


def test_disconnect_and_connect_in_one_process():
    svc = h.service()
    a = h.user("a")
    r = pwsh("$s = New-PSSession %s; "
             "Invoke-Command -Session $s -ScriptBlock { $x = 21 }; "
             "$s.Runspace.Disconnect(); 'state ' + $s.State; "
             "$s.Runspace.Connect(); 'state ' + $s.State; "
             "Invoke-Command -Session $s -ScriptBlock { $x * 2 }; "
             "Remove-PSSession $s; 'removed'" % (CONNECT % _port(svc, "HTTPS")), a)
    h.eq((r.stdout.split("\n")[:4], r.returncode),
         (["state Disconnected", "state Opened", "42", "removed"], 0),
         "Disconnect-PSSession, Connect-PSSession, the session's state kept (%s)"
         % _said(r)[-3000:])


MODULES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "share", "powershell", "Modules")
# pwsh finds the project's Microsoft.WSMan.Management as `make install` puts it
# on its module path.
WITH_MODULE = "$env:PSModulePath = '%s' + [IO.Path]::PathSeparator + $env:PSModulePath; " % MODULES


# Get-PSSession -ComputerName itself refuses to run on Linux ("Remote
# PSSession enumeration with -ComputerName is only supported on Windows"),
# and pwsh for Linux has no Connect-PSSession or Receive-PSSession; what
# they do is public API: Runspace.GetRunspaces (which runs
# Get-WSManInstance, from the project's module), Runspace.Connect and
# CreateDisconnectedPowerShell().Connect().
GET_RUNSPACES = (WITH_MODULE +
                 "$ci = [System.Management.Automation.Runspaces.WSManConnectionInfo]::new("
                 "$true, '127.0.0.1', %d, '/wsman', "
                 "'http://schemas.microsoft.com/powershell/Microsoft.PowerShell', $cred); "
                 "$ci.AuthenticationMechanism = 'Basic'; $ci.SkipCACheck = $true; "
                 "$ci.SkipCNCheck = $true; $rs = @([runspace]::GetRunspaces($ci)); ")


def test_a_new_process_finds_the_session_connects_and_receives_what_ran_meanwhile():
    svc = h.service()
    a, b = h.user("a"), h.user("b")
    port = _port(svc, "HTTPS")
    r = pwsh("$s = Invoke-Command %s -InDisconnectedSession -ScriptBlock { "
             "1..3 | %% { Start-Sleep -Milliseconds 500; \"tick$_\" } }; "
             "'state ' + $s.State" % (CONNECT % port), a)
    h.eq((r.stdout.strip(), r.returncode), ("state Disconnected", 0),
         "Invoke-Command -InDisconnectedSession leaves the session disconnected (%s)"
         % _said(r)[-3000:])
    time.sleep(2)  # the command ends while nobody is connected; pwsh has exited

    # b's own cmd shell is listed too, as Windows lists it; PowerShell
    # takes only its endpoint's shells for runspaces.
    p = h.protocol(svc, b)
    cmd_shell = p.open_shell()
    try:
        r = pwsh(GET_RUNSPACES % port + "'found ' + $rs.Count", b)
    finally:
        p.close_shell(cmd_shell)
    h.eq((r.stdout.strip(), r.returncode), ("found 0", 0),
         "another user finds none of it, nor a runspace in their cmd shell (%s)"
         % _said(r)[-3000:])

    r = pwsh(GET_RUNSPACES % port +
             "'found ' + $rs.Count + ' ' + $rs[0].RunspaceStateInfo.State + ' ' + "
             "$rs[0].RunspaceAvailability; "
             "$rs[0].Connect(); 'state ' + $rs[0].RunspaceStateInfo.State; "
             "$rs[0].CreateDisconnectedPowerShell().Connect(); "
             "$p = [powershell]::Create(); $p.Runspace = $rs[0]; "
             "[void]$p.AddScript('\"still \" + [Environment]::UserName'); $p.Invoke(); "
             "$rs[0].Close(); "
             "'left ' + @(Get-WSManInstance -ResourceURI Shell -Enumerate -ComputerName 127.0.0.1 "
             "-Port %d -UseSSL -Authentication 8 -Credential $cred "
             "-SessionOption (New-WSManSessionOption -SkipCACheck -SkipCNCheck)).Count"
             % port, a)
    h.eq((r.stdout.split("\n")[:7], r.returncode),
         (["found 1 Disconnected None", "state Opened", "tick1", "tick2", "tick3",
           "still " + a.name, "left 0"], 0),
         "a new pwsh finds the session, connects, receives its output and closes it (%s)"
         % _said(r)[-3000:])
