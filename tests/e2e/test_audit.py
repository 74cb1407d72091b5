"""The audit trail (issue 15, item 3): every event kind read back from the
JSON lines of Service/AuditLogFile, as real clients cause them: logons
(a wrong password with its source address, port and reason), host start,
shell and command start and end (exit code, duration, bytes in and out,
the command line escaped), a PowerShell session on Microsoft.PowerShell,
a `winrm set` done remotely, and refusals. No journal runs on the test
machine, so the syslog fallback (here the service's stderr log) must
carry each event too."""
import json
import os
import socket
import tempfile
import time

import harness as h
import psrp


def _audit_service(**settings):
    d = tempfile.mkdtemp(prefix="audit-", dir=h.fixture().run_dir)
    path = os.path.join(d, "audit.json")
    svc = h.service(dict({"Service/AuditLogFile": path}, **settings))
    return svc, path


def _events(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _wait_for(path, match, what, limit=15.0):
    """The events for which match(event) holds, once there is one (the
    network process's events reach the file a moment after the reply)."""
    deadline = time.monotonic() + limit
    while True:
        found = [e for e in _events(path) if match(e)]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    h.check(found, "no %s event in the audit file within %.0f s; events: %s"
            % (what, limit, [e.get("event") for e in _events(path)]))
    return found


def _one(path, event, what, **fields):
    return _wait_for(path, lambda e: e.get("event") == event and all(
        e.get(k) == v for k, v in fields.items()), what)[-1]


def test_logons_shells_commands_and_a_refusal():
    svc, path = _audit_service()
    a = h.user("a")
    st = os.stat(path)
    h.eq(oct(st.st_mode & 0o777), oct(0o600), "the audit file's mode")
    h.eq(st.st_uid, 0, "the audit file's owner (the privileged part, root)")

    # A wrong password: the failed logon names the source and the reason.
    p = h.protocol(svc, h.User(a.role, a.name, a.password + "x"))
    try:
        p.open_shell()
        h.check(False, "a wrong password opened a shell")
    except Exception:
        pass
    failed = _one(path, "logon_failed", "failed logon", user=a.name)
    h.eq(failed["source_address"], "127.0.0.1", "the failed logon's source address")
    h.check(0 < failed.get("source_port", 0) < 65536, "and port: %r" % failed.get("source_port"))
    h.check(failed["reason"].startswith("failure"), "a reason: %r" % failed["reason"])
    h.eq(failed["scheme"], "Basic", "its scheme")
    h.eq(failed["security_event_id"], 4625, "Security's failed-logon ID")

    # A shell, a command with stdin and an exit code, its end.
    p = h.protocol(svc, a)
    shell_id = p.open_shell()
    command = "cat; printf '\\t\\001'; exit 3"
    command_id = p.run_command(shell_id, command)
    h.send_stdin(p, shell_id, command_id, b"hello audit\n", end=True)
    out, err, code = p.get_command_output(shell_id, command_id)
    h.eq((out, code), (b"hello audit\n\t\x01", 3), "the command's output and exit code")
    p.cleanup_command(shell_id, command_id)
    p.close_shell(shell_id)

    logon = _one(path, "logon", "logon", user=a.name)
    h.eq(logon["security_event_id"], 4624, "Security's logon ID")
    h.eq(logon["source_address"], "127.0.0.1", "the logon's source address")
    host = _one(path, "host_start", "host start", user=a.name)
    h.eq(host["run_as"], a.name, "the host's run-as account")
    start = _one(path, "shell_start", "shell start", shell_id=shell_id)
    h.eq(start["winrm_event_id"], 91, "WinRM's shell-creation ID")
    h.eq(start["source_address"], "127.0.0.1", "event 91 with the source address")
    h.check(0 < start["source_port"] < 65536, "and port: %r" % start.get("source_port"))
    h.eq(start["user"], a.name, "the shell's user")
    h.eq(start["origin"], "network process", "who saw it")
    h.check("Transport=HTTPS" in start["listener"] or "Transport=HTTP" in start["listener"],
            "the listener: %r" % start["listener"])
    cstart = _one(path, "command_start", "command start", command_id=command_id)
    h.eq(cstart["command_line"], command, "the command line as sent")
    h.eq(cstart["shell_id"], shell_id, "the command's shell")
    cend = _one(path, "command_end", "command end", command_id=command_id)
    h.eq(cend["exit_code"], 3, "the exit code")
    h.eq(cend["bytes_in"], len(b"hello audit\n"), "bytes in (stdin sent)")
    h.eq(cend["bytes_out"], len(b"hello audit\n\t\x01"), "bytes out (output received)")
    h.check(0 <= cend["duration_ms"] < 60000, "a duration: %r" % cend["duration_ms"])
    _one(path, "shell_end", "shell end", shell_id=shell_id)

    # A control character in a command line is escaped in the file: the
    # line is still one JSON object.
    p = h.protocol(svc, a)
    out, _, code = h.run_cmd(p, "echo", ["'tab\there'"])
    tabbed = _wait_for(path, lambda e: e.get("event") == "command_start"
                       and "tab\there" in e.get("command_line", ""), "escaped command line")
    with open(path, "rb") as f:
        raw = f.read()
    h.check(b"tab\\u0009here" in raw and b"tab\there" not in raw,
            "the tab is written as \\u0009: %r" % tabbed[-1]["command_line"])

    # A refusal: a request for a shell that does not exist.
    p = h.protocol(svc, a)
    try:
        p.run_command("00000000-0000-0000-0000-000000000000", "true")
    except Exception:
        pass
    refusal = _one(path, "refusal", "refusal", user=a.name)
    h.eq(refusal["winrm_event_id"], 142, "WinRM's failed-operation ID")
    h.check(refusal.get("reason"), "the refusal's reason")
    h.check(refusal.get("action", "").endswith("/Command"), "its action: %r" % refusal.get("action"))

    # The syslog fallback (the service's stderr in the foreground) holds them too.
    log = svc.log_text()
    for e in ("logon_failed", "shell_start", "command_end", "refusal"):
        h.check('"event":"%s"' % e in log, "the log has the %s event" % e)


def test_a_remote_winrm_set_and_a_powershell_session():
    svc, path = _audit_service(**{"Service/PowerShell": psrp.pwsh_path()})
    adm, a = h.user("adm"), h.user("a")
    r = subprocess_run([h.client_path("winrm"), "set", "winrm/config/winrs",
                        '@{MaxShellsPerUser="25"}', "-r:" + svc.url(), "-u:" + adm.name,
                        "-p:" + adm.password, "-a:Basic", "-skipCAcheck",
                        "--config-dir", h.client_config()])
    h.eq(r.returncode, 0, "winrm set -r: (%s)" % r.stderr.decode(errors="replace"))
    change = _one(path, "config_change", "configuration change", user=adm.name)
    h.eq(change["reason"], "applied", "the change's outcome")
    h.check("winrm/config/winrs" in change["action"], "what changed: %r" % change["action"])
    h.eq(change["source_address"], "127.0.0.1", "from where")

    # A user who is no administrator: refused, and audited as such.
    r = subprocess_run([h.client_path("winrm"), "set", "winrm/config/winrs",
                        '@{MaxShellsPerUser="24"}', "-r:" + svc.url(), "-u:" + a.name,
                        "-p:" + a.password, "-a:Basic", "-skipCAcheck",
                        "--config-dir", h.client_config()])
    h.check(r.returncode != 0, "a plain user's winrm set is refused")
    # The network process refuses its Get already: the configuration is
    # an administrator's to read.
    refused = _one(path, "refusal", "refused configuration access", user=a.name)
    h.eq(refused["resource_uri"], "http://schemas.microsoft.com/wbem/wsman/1/config/winrs",
         "the resource refused")
    h.eq(refused["reason"], "access denied", "why")

    pool = psrp.Pool(svc, a)
    pool.open()
    r, cid = pool.command("'audited'")
    h.eq(r.status, 200, "a pipeline")
    msgs, _ = pool.receive_until(cid, None)
    h.eq(psrp.outputs(msgs), ["audited"], "its output")
    h.eq(pool.delete().status, 200, "the pool's Delete")
    ps = _one(path, "powershell_session_start", "PowerShell session start", shell_id=pool.shell_id)
    h.eq(ps["endpoint"], "Microsoft.PowerShell", "the endpoint")
    h.eq(ps["resource_uri"], "http://schemas.microsoft.com/powershell/Microsoft.PowerShell",
         "the resource URI")
    h.eq(ps["winrm_event_id"], 91, "WinRM's shell-creation ID")
    h.eq(ps["source_address"], "127.0.0.1", "event 91 with the source address")
    _one(path, "command_start", "pipeline start", command_id=cid)
    _one(path, "powershell_session_end", "PowerShell session end", shell_id=pool.shell_id)


def _connect_and_wait_for_close(li):
    with socket.create_connection((li.host, li.port), timeout=5) as s:
        s.settimeout(5)
        try:
            s.recv(1)
        except OSError:
            pass


def test_a_filtered_address_is_a_refusal_and_sighup_reopens_the_file():
    svc, path = _audit_service(**{"Service/IPv4Filter": "10.0.0.1"})
    li = svc.listener()
    _connect_and_wait_for_close(li)
    refusal = _one(path, "refusal", "filter refusal", source_address="127.0.0.1")
    h.check("IPv4Filter" in refusal["reason"], "the reason: %r" % refusal["reason"])
    # logrotate: the file is renamed, SIGHUP makes the service open a new one.
    os.rename(path, path + ".1")
    svc.reload()
    deadline = time.monotonic() + 10
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    _connect_and_wait_for_close(li)
    _one(path, "refusal", "refusal after the reopen", source_address="127.0.0.1")


def subprocess_run(argv):
    import subprocess
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    for pat in h.SANITIZER_PATTERNS:
        h.check(pat.encode() not in r.stderr, "sanitizer report:\n%s" % r.stderr.decode(errors="replace"))
    return r
