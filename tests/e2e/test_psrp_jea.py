"""PowerShell session configurations (winrm/config/plugin) with the real
PowerShell as the client, through libpsrpclient (test_psrpclient.py says
how pwsh is driven): a Just Enough Administration endpoint DnsOps whose
.pssc maps a Linux group to a role capability, runs as another account
(RunAsUser) with a transcript; its members get only the role's commands,
everything else is refused; a user outside the group gets AccessDenied;
the audit lines name both accounts. And the `winrm` command's plugin
table: create, get, enumerate, set, delete, bad input refused, nothing
else in the file lost."""
import os
import re
import shutil
import subprocess
import tempfile

import harness as h
import psrp
from test_psrpclient import pwsh, _port, _said

# What the role allows besides RestrictedRemoteServer's own commands
# (Get-Command, Get-Help, Select-Object, Measure-Object, Exit-PSSession,
# Get-FormatData, Out-Default).
ROLE_PSRC = """@{
    VisibleCmdlets = 'Get-Date'
    VisibleFunctions = 'Get-WhoAmI', 'Get-Identity'
    FunctionDefinitions = @(
        @{ Name = 'Get-WhoAmI'; ScriptBlock = { & /usr/bin/id } },
        @{ Name = 'Get-Identity'; ScriptBlock = {
            '{0}|{1}|{2}|{3}|{4}' -f $env:WINRMD_CONNECTED_USER, $env:WINRMD_CLIENT_IP,
                $env:WINRMD_AUTH_SCHEME, $env:WINRMD_ROLES, $env:WINRMD_ENDPOINT } }
    )
}
"""

# A role capability found by name in a module on root's module path.
MODULE_PSRC = """@{
    VisibleCmdlets = 'Get-Random'
}
"""

PSSC = """@{
    SchemaVersion = '2.0.0.0'
    SessionType = 'RestrictedRemoteServer'
    TranscriptDirectory = '%(transcripts)s'
    RunAsVirtualAccount = $true
    RequiredGroups = @{ Or = '%(group)s', 'root' }
    RoleDefinitions = @{
        '%(group)s' = @{ RoleCapabilityFiles = '%(psrc)s'; RoleCapabilities = '%(module_role)s' }
        'root' = @{ VisibleCmdlets = 'Stop-Computer' }
    }
}
"""

# Each probe is something a restricted session must refuse.
PROBES = {
    "iex": "Invoke-Expression 'id'",
    "start": "Start-Process /usr/bin/id",
    "amp": "& /usr/bin/id",
    "app": "/usr/bin/id",
    "dotnet": "[System.Diagnostics.Process]::Start('/usr/bin/id')",
    "context": "$ExecutionContext.InvokeCommand.InvokeScript('id')",
    "pwsh": "& /opt/pwsh/pwsh -c id",
}

MODULES = "/usr/local/share/powershell/Modules"


def _root_file(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, 0, 0)
    os.chmod(path, mode)


class JeaSetup:
    """The files of the DnsOps endpoint, root's, in a directory of the run;
    the role capability module on root's module path (removed by close)."""

    def __init__(self, runas):
        fx = h.fixture()
        self.dir = tempfile.mkdtemp(prefix="jea-", dir=fx.run_dir)
        os.chmod(self.dir, 0o755)
        self.group = fx.group("dnsops", [h.user("a")])
        self.transcripts = os.path.join(self.dir, "transcripts")
        os.mkdir(self.transcripts, 0o700)
        shutil.chown(self.transcripts, user=runas.name, group=runas.gid)
        self.psrc = os.path.join(self.dir, "DnsOps.psrc")
        _root_file(self.psrc, ROLE_PSRC)
        self.module_role = "OwtRole%s" % fx.suffix
        self.module = os.path.join(MODULES, "owt_jea_%s" % fx.suffix)
        os.makedirs(os.path.join(self.module, "RoleCapabilities"))
        _root_file(os.path.join(self.module, "RoleCapabilities", self.module_role + ".psrc"), MODULE_PSRC)
        self.pssc = os.path.join(self.dir, "DnsOps.pssc")
        _root_file(self.pssc, PSSC % {"transcripts": self.transcripts, "group": self.group,
                                      "psrc": self.psrc, "module_role": self.module_role})

    def close(self):
        shutil.rmtree(self.module, ignore_errors=True)


def _settings(setup, runas):
    return {
        "Plugin?Name=Microsoft.PowerShell/Enabled": "true",
        "Plugin?Name=DnsOps/AllowedGroups": setup.group,
        "Plugin?Name=DnsOps/RunAsUser": runas.name,
        "Plugin?Name=DnsOps/ConfigFilePath": setup.pssc,
    }


def _session(svc, configuration="DnsOps"):
    return ("New-PSSession -ComputerName 127.0.0.1 -Port %d -UseSSL -SessionOption $https "
            "-Authentication Basic -Credential $cred -ConfigurationName %s"
            % (_port(svc, "HTTPS"), configuration))


def _member_script(svc):
    lines = ["$s = " + _session(svc),
             "'COMMANDS=' + ((Invoke-Command -Session $s { Get-Command } | ForEach-Object Name | "
             "Sort-Object) -join ',')",
             "'ID=' + (Invoke-Command -Session $s { Get-WhoAmI })",
             "'IDENTITY=' + (Invoke-Command -Session $s { Get-Identity })",
             "'RANDOM=' + ((Invoke-Command -Session $s { Get-Random -Maximum 10 }) -lt 10)"]
    for name, probe in sorted(PROBES.items()):
        lines.append("try { $o = Invoke-Command -Session $s -ErrorAction Stop { %s }; "
                     "'PROBE %s ALLOWED ' + ($o -join ' ') } "
                     "catch { 'PROBE %s REFUSED ' + $_.Exception.Message.Split(\"`n\")[0] }"
                     % (probe, name, name))
    lines += ["'DATE=' + ((Invoke-Command -Session $s { Get-Date }) -is [datetime])",
              "Remove-PSSession $s", "'DONE'"]
    return "; ".join(lines)


def _marked(out, key):
    m = re.search(r"^%s=(.*)$" % re.escape(key), out, re.M)
    return m.group(1).strip() if m else None


def test_jea_endpoint_runs_the_role_as_the_runas_account():
    a, runas = h.user("a"), h.user("out")
    setup = JeaSetup(runas)
    try:
        svc = h.Service(_settings(setup, runas))
        svc.start()
        mark = svc.log_mark()
        r = pwsh(_member_script(svc), a, timeout=240)
        out = r.stdout
        h.check(r.returncode == 0 and "DONE" in out, "the JEA session ran: %s" % _said(r)[-3000:])
        commands = (_marked(out, "COMMANDS") or "").split(",")
        for want in ("Get-Date", "Get-WhoAmI", "Get-Identity", "Get-Random", "Get-Command",
                     "Exit-PSSession"):
            h.check(want in commands, "Get-Command shows %s: %s" % (want, commands))
        for never in ("Invoke-Expression", "Start-Process", "Get-Process", "Stop-Computer",
                      "Set-Content", "Remove-Item"):
            h.check(never not in commands, "Get-Command hides %s: %s" % (never, commands))
        h.check(("uid=%d(%s)" % (runas.uid, runas.name)) in (_marked(out, "ID") or ""),
                "Get-WhoAmI runs as the RunAs account %s: %s" % (runas.name, _marked(out, "ID")))
        h.eq(_marked(out, "IDENTITY"), "%s|127.0.0.1|Basic|%s|DnsOps" % (a.name, setup.group),
             "the connecting user, address, scheme, role and endpoint reach the session")
        h.eq(_marked(out, "RANDOM"), "True", "a role capability found by module name applies")
        h.eq(_marked(out, "DATE"), "True", "the session still works after the refusals")
        for name in PROBES:
            h.check(("PROBE %s REFUSED" % name) in out and ("PROBE %s ALLOWED" % name) not in out,
                    "%s is refused: %s" % (PROBES[name], out[-3000:]))
        found = [os.path.join(d, f) for d, _, fs in os.walk(setup.transcripts) for f in fs]
        h.check(found, "a transcript appeared in %s" % setup.transcripts)
        text = open(found[0], encoding="utf-8", errors="replace").read()
        h.check("Get-WhoAmI" in text, "the transcript records the commands: %s" % text[:2000])
        log = svc.log_since(mark)
        h.check(re.search(r"PowerShell session \S+ started: endpoint DnsOps, user %s from 127\.0\.0\.1 "
                          r"\(Basic\), runs as %s" % (a.name, runas.name), log),
                "the audit line of the start names both accounts: %s" % log[-3000:])
        h.check(re.search(r"PowerShell session \S+ ended: endpoint DnsOps, user %s .* runs as %s"
                          % (a.name, runas.name), log), "the audit line of the end: %s" % log[-3000:])
        h.check(re.search(r"endpoint DnsOps: session file \S+ for %s, roles: %s" % (a.name, setup.group), log),
                "the roles that applied are logged: %s" % log[-3000:])
        st = os.lstat(os.path.join(svc.conf_dir, "jea"))
        h.eq((st.st_uid, st.st_mode & 0o7777), (0, 0o711), "the compiled files' directory is root's")
    finally:
        setup.close()


def _try(svc, configuration, tag):
    return ("try { Invoke-Command -ComputerName 127.0.0.1 -Port %d -UseSSL -SessionOption $https "
            "-Authentication Basic -Credential $cred -ConfigurationName %s -ScriptBlock { Get-Date } "
            "-ErrorAction Stop; '%s ALLOWED' } catch { '%s REFUSED ' + $_.Exception.Message }; "
            % (_port(svc, "HTTPS"), configuration, tag, tag))


def test_jea_endpoint_refuses_a_user_outside_its_groups():
    a, b, runas = h.user("a"), h.user("b"), h.user("out")
    setup = JeaSetup(runas)
    try:
        # Strict lets in the WinRM users' group, but its session file
        # requires the dnsops group, which b is not in.
        settings = _settings(setup, runas)
        settings.update({"Plugin?Name=Strict/AllowedGroups": h.fixture().users_group,
                         "Plugin?Name=Strict/RunAsUser": runas.name,
                         "Plugin?Name=Strict/ConfigFilePath": setup.pssc})
        svc = h.Service(settings)
        svc.start()
        mark = svc.log_mark()
        r = pwsh(_try(svc, "DnsOps", "JEA") + _try(svc, "Strict", "STRICT") +
                 "Invoke-Command -ComputerName 127.0.0.1 -Port %d -UseSSL -SessionOption $https "
                 "-Authentication Basic -Credential $cred -ScriptBlock { [Environment]::UserName }"
                 % _port(svc, "HTTPS"), b, timeout=200)
        out = r.stdout
        h.check("JEA REFUSED" in out and "access is denied" in out.lower(),
                "AccessDenied for a user outside the group: %s" % _said(r)[-3000:])
        h.check(re.search(r"STRICT REFUSED .*Access is denied", out),
                "AccessDenied for a user outside RequiredGroups: %s" % _said(r)[-3000:])
        h.check(out.strip().splitlines()[-1:] == [b.name],
                "the default endpoint still serves that user: %s" % _said(r)[-3000:])
        log = svc.log_since(mark)
        h.check(re.search(r"PowerShell endpoint DnsOps refused to %s from 127\.0\.0\.1 \(Basic\): not in "
                          r"the endpoint's AllowedUsers or AllowedGroups" % b.name, log),
                "the refusal is logged with its reason: %s" % log[-3000:])
        h.check(re.search(r"PowerShell session - refused: endpoint DnsOps, user %s from 127\.0\.0\.1 "
                          r"\(Basic\), runs as %s" % (b.name, runas.name), log),
                "the refusal's audit line: %s" % log[-3000:])
        h.check(re.search(r"endpoint Strict: %s refused: not in RequiredGroups" % b.name, log),
                "the RequiredGroups refusal is logged: %s" % log[-3000:])
        h.check(not h.pids_of_uid(runas.uid), "nothing started as %s" % runas.name)
        h.check(not os.listdir(os.path.join(svc.conf_dir, "jea")), "no session file left behind")
        r = pwsh(_try(svc, "Strict", "STRICT"), a, timeout=200)
        h.check("STRICT ALLOWED" in r.stdout, "a member of RequiredGroups passes: %s" % _said(r)[-3000:])
        h.check(svc.alive(), "the service still runs")
    finally:
        setup.close()


def _winrm(svc, *args):
    return subprocess.run([h.client_path("winrm")] + list(args) + ["--config-dir", svc.conf_dir],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=30)


def test_winrm_cli_manages_the_plugin_table():
    svc = h.Service()
    conf = os.path.join(svc.conf_dir, "winrm.conf")
    r = _winrm(svc, "enumerate", "winrm/config/plugin")
    h.eq(re.findall(r"^    Name = (.*)$", r.stdout, re.M), ["Microsoft.PowerShell", "PowerShell.7"],
         "the two default endpoints (%s)" % r.stderr)
    r = _winrm(svc, "create", "winrm/config/plugin?Name=DnsOps",
               '@{RunAsUser="nobody";AllowedGroups="dnsops,netops";ConfigFilePath="/etc/winrm/dnsops.pssc"}')
    h.check(r.returncode == 0 and "Selector: Name = DnsOps" in r.stdout, "create: %s%s" % (r.stdout, r.stderr))
    r = _winrm(svc, "get", "winrm/config/plugin?Name=dnsops")
    h.check(r.returncode == 0 and "    RunAsUser = nobody\n" in r.stdout and
            "    AllowedGroups = dnsops,netops\n" in r.stdout, "get: %s%s" % (r.stdout, r.stderr))
    r = _winrm(svc, "set", "winrm/config/plugin?Name=DnsOps", '@{MaxShellsPerUser="3";Enabled="false"}')
    h.check(r.returncode == 0 and "    MaxShellsPerUser = 3\n" in r.stdout, "set: %s%s" % (r.stdout, r.stderr))
    before = open(conf).read()
    for bad in (["create", "winrm/config/plugin?Name=DNSOPS"],
                ["create", "winrm/config/plugin?Name=../etc"],
                ["create", "winrm/config/plugin?Colour=red"],
                ["set", "winrm/config/plugin?Name=DnsOps", '@{ConfigFilePath="relative.pssc"}'],
                ["set", "winrm/config/plugin?Name=DnsOps", '@{RunAsUser="a,b"}'],
                ["set", "winrm/config/plugin?Name=DnsOps", '@{Name="Other"}'],
                ["delete", "winrm/config/plugin?Name=Missing"]):
        r = _winrm(svc, *bad)
        h.check(r.returncode != 0 and r.stderr.strip(), "refused: %s (%s)" % (bad, r.stdout))
        h.eq(open(conf).read(), before, "a refused %s changes nothing" % bad[0])
    r = _winrm(svc, "delete", "winrm/config/plugin?Name=PowerShell.7")
    h.check(r.returncode == 0, "delete: %s" % r.stderr)
    r = _winrm(svc, "enumerate", "winrm/config/plugin")
    h.eq(re.findall(r"^    Name = (.*)$", r.stdout, re.M), ["Microsoft.PowerShell", "DnsOps"],
         "the deleted one stays deleted, the others are kept")
    text = open(conf).read()
    for kept in ("Service/Auth/Basic = true", "Service/RemoteUsersGroup = " + h.fixture().users_group,
                 "Listener?Address=IP:127.0.0.1+Transport=HTTPS/CertificateFile = cert.pem",
                 "Plugin?Name=DnsOps/MaxShellsPerUser = 3"):
        h.check(kept in text, "%r kept in winrm.conf:\n%s" % (kept, text))


def test_isolated_endpoint_keeps_its_own_shell_quota():
    """A plugin that names its users runs in a host of its own, as the user
    (no RunAsUser), with the plugin's MaxShellsPerUser; the default
    endpoint's shells do not count against it."""
    a = h.user("a")
    svc = h.Service({"Plugin?Name=Microsoft.PowerShell/Enabled": "true",
                     "Plugin?Name=Ops/AllowedUsers": a.name,
                     "Plugin?Name=Ops/MaxShellsPerUser": "1"})
    svc.start()
    port = _port(svc, "HTTPS")
    new = ("New-PSSession -ComputerName 127.0.0.1 -Port %d -UseSSL -SessionOption $https "
           "-Authentication Basic -Credential $cred" % port)
    r = pwsh("$d = %s; $s1 = %s -ConfigurationName Ops; "
             "'ONE=' + ((Invoke-Command -Session $s1 { [Environment]::UserName; $env:WINRMD_ENDPOINT }) -join ','); "
             "try { $s2 = %s -ConfigurationName Ops -ErrorAction Stop; 'TWO ALLOWED' } "
             "catch { 'TWO REFUSED ' + $_.Exception.Message }; "
             "Remove-PSSession $s1, $d" % (new, new, new), a, timeout=200)
    h.check(("ONE=%s,Ops" % a.name) in r.stdout, "the endpoint runs as the user: %s" % _said(r)[-3000:])
    h.check("TWO REFUSED" in r.stdout and "maximum number of concurrent shells" in r.stdout,
            "MaxShellsPerUser=1 of the plugin: %s" % _said(r)[-3000:])


def test_a_changed_session_configuration_ends_its_sessions():
    """Changing who may use an endpoint ends the hosts opened under the old
    terms (Windows restarts its service for that): a's open session ends,
    a's next one is refused, b's is served, and other endpoints go on."""
    a, b = h.user("a"), h.user("b")
    svc = h.Service({"Plugin?Name=Microsoft.PowerShell/Enabled": "true",
                     "Plugin?Name=Ops/AllowedUsers": a.name})
    svc.start()
    ops = psrp.Pool(svc, a, endpoint="Ops")
    ops.open()
    default = psrp.Pool(svc, a)
    default.open()
    r, cid = ops.command("[Environment]::UserName")
    h.eq(r.status, 200, "a command on Ops before the change (%s)" % h._short(r.body))
    msgs, _ = ops.receive_until(cid, None)
    h.eq(psrp.outputs(msgs), [a.name], "Ops serves a")

    mark = svc.log_mark()
    r = _winrm(svc, "set", "winrm/config/plugin?Name=Ops", '@{AllowedUsers="%s"}' % b.name)
    h.eq(r.returncode, 0, "winrm set of the plugin (%s)" % r.stderr)
    svc.wait_for_log(r"closing the host of %s for Ops: the session configuration changed"
                     % a.name, timeout=15, since=mark)
    r, _ = ops.command("1")
    h.check(r.status == 500, "a's open Ops session is gone: %d %s" % (r.status, h._short(r.body)))
    r = psrp.Pool(svc, a, endpoint="Ops").create()
    h.check(r.status == 500 and r.fault() and r.fault().code == 5,
            "a new Ops session of a's is refused with AccessDenied: %s" % h._short(r.body))
    nb = psrp.Pool(svc, b, endpoint="Ops")
    nb.open()
    h.eq(nb.delete().status, 200, "b's Ops session, opened and deleted")
    r, cid = default.command("1 + 1")
    h.eq(r.status, 200, "a's session on the default endpoint goes on (%s)" % h._short(r.body))
    msgs, _ = default.receive_until(cid, None)
    h.check(any("<I32>2</I32>" in x for _, _, x in msgs), "its output: %r" % msgs)
    h.eq(default.delete().status, 200, "and is deleted")
    h.check(svc.alive(), "the service still runs")
