"""Disconnected PowerShell sessions on the wire (MS-PSRP 3.1.5.3.16 to
3.1.5.3.19, 3.1.4.11), sent as pypsrp recorded Windows' client sending them
(test_psrp_disconnect_runspaces): Disconnect, Enumerate of the shells and
of a shell's commands, Connect from another connection that receives what
the pipeline wrote meanwhile, Reconnect, the disconnect's IdleTimeOut, and
the refusals (another user's shell, a shell connected elsewhere, none)."""
import base64
import os
import struct
import time
import uuid

import harness as h
import psrp

A_DISCONNECT = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Disconnect"
A_RECONNECT = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Reconnect"
A_CONNECT = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Connect"
A_ENUMERATE = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
URI_SHELLS = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
CONNECT_RUNSPACEPOOL = 0x00010008
RUNSPACEPOOL_INIT_DATA = 0x0002100B
NS_N = "{http://schemas.xmlsoap.org/ws/2004/09/enumeration}"

# winerror.h
SHELL_NOT_FOUND = 2150858843          # ERROR_WSMAN_INVALID_SELECTORS (shell not found)
SHELL_DISCONNECTED = 2150859204       # ERROR_WINRS_SHELL_DISCONNECTED
CONNECTED_ELSEWHERE = 2150859213      # ERROR_WINRS_SHELL_CONNECTED_TO_DIFFERENT_CLIENT


def ps_service(**settings):
    return h.service(dict({"Service/PowerShell": psrp.pwsh_path()}, **settings))


def opened_pool():
    # A service, user a and an open RunspacePool of theirs.
    svc = ps_service()
    a = h.user("a")
    pool = psrp.Pool(svc, a)
    pool.open()
    return svc, a, pool


def enumerate_body(shell_id=None):
    flt = ('<wsman:Filter Dialect="http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter">'
           '<wsman:SelectorSet><wsman:Selector Name="ShellId">%s</wsman:Selector>'
           '</wsman:SelectorSet></wsman:Filter>' % shell_id) if shell_id else ""
    return ('<wsen:Enumerate xmlns:wsen="http://schemas.xmlsoap.org/ws/2004/09/enumeration">'
            '<wsman:OptimizeEnumeration /><wsman:MaxElements>32000</wsman:MaxElements>%s'
            '</wsen:Enumerate>' % flt)


def enumerate_items(svc, user, shell_id=None):
    """pypsrp's Enumerate of Shell, or of Shell/Command with the ShellId filter."""
    resource = URI_SHELLS + ("/Command" if shell_id else "")
    r = h.request(svc, psrp.envelope(A_ENUMERATE, resource, enumerate_body(shell_id)), auth=user)
    h.eq(r.status, 200, "Enumerate of %s (%s)" % (resource, h._short(r.body)))
    resp = r.xml().find("s:Body/%sEnumerateResponse" % NS_N, h.NS)
    h.check(resp is not None and resp.find("w:EndOfSequence", h.NS) is not None,
            "an optimized EnumerateResponse with EndOfSequence: %s" % h._short(r.body))
    items = resp.find("w:Items", h.NS)
    return [] if items is None else list(items)


def fields(item):
    return {c.tag.split("}")[1]: c.text for c in item}


def connect_body(pool):
    """connectXml: SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL (data <S />), as recorded."""
    frag = psrp.Fragmenter()
    data = (frag.fragment(psrp.message(psrp.SESSION_CAPABILITY, pool.shell_id, None,
                                       psrp.CAPABILITY_XML))
            + frag.fragment(psrp.message(CONNECT_RUNSPACEPOOL, pool.shell_id, None, "<S />")))
    return ('<rsp:Connect><connectXml xmlns="%s">%s</connectXml></rsp:Connect>'
            % (psrp.NS_PS, base64.b64encode(data).decode()))


def connect(pool, command_id=None):
    if command_id:
        return pool.post(A_CONNECT, '<rsp:Connect CommandId="%s" />' % command_id)
    return pool.post(A_CONNECT, connect_body(pool),
                     options=psrp.option_set([("protocolversion", "2.3")], must_comply=True))


def fault_code(r, what):
    h.check(r.status == 500, "%s: a fault, got %d %s" % (what, r.status, h._short(r.body)))
    return r.fault().code


def test_disconnect_enumerate_connect_from_a_new_connection_and_refusals():
    svc = ps_service()
    a, b = h.user("a"), h.user("b")
    pool = psrp.Pool(svc, a)
    pool.open()
    r, cid = pool.command("1..4 | % { Start-Sleep -Milliseconds 400; \"tick$_\" }")
    h.eq(r.status, 200, "Command")

    r = pool.post(A_DISCONNECT, "<rsp:Disconnect />")
    h.eq(r.status, 200, "Disconnect (%s)" % h._short(r.body))
    h.eq(r.xml().find("s:Header/a:Action", h.NS).text, A_DISCONNECT + "Response", "its action")
    h.eq(len(list(r.xml().find("s:Body", h.NS))), 0, "Windows' empty DisconnectResponse body")
    h.eq(fault_code(pool.receive(cid), "Receive while disconnected"), SHELL_DISCONNECTED,
         "a Receive on a disconnected shell")

    items = enumerate_items(svc, a)
    h.eq(len(items), 1, "the user's one shell is listed")
    f = fields(items[0])
    h.eq(f["ShellId"], pool.shell_id, "ShellId")
    h.eq(f["State"], "Disconnected", "State")
    h.eq(f["Owner"], a.name, "Owner")
    h.eq(f["ResourceUri"], pool.resource, "ResourceUri")
    h.eq(f["BufferMode"], "Block", "BufferMode")
    for name in ("ClientIP", "ProcessId", "IdleTimeOut", "MaxIdleTimeOut", "Locale", "DataLocale",
                 "CompressionMode", "ProfileLoaded", "Encoding", "ShellRunTime", "ShellInactivity",
                 "MemoryUsed", "ChildProcesses"):
        h.check(f.get(name), "%s is there: %r" % (name, f))
    h.check(f["MemoryUsed"].endswith("MB") and int(f["MemoryUsed"][:-2]) > 0,
            "MemoryUsed in MB: %s" % f["MemoryUsed"])
    commands = enumerate_items(svc, a, pool.shell_id)
    h.eq([fields(c)["CommandId"] for c in commands], [cid], "the shell's command")

    # Another user sees nothing and cannot take it.
    h.eq(enumerate_items(svc, b), [], "another user's Enumerate")
    h.eq(enumerate_items(svc, b, pool.shell_id), [], "another user's Enumerate of the commands")
    thief = psrp.Pool(svc, b)
    thief.shell_id = pool.shell_id
    h.eq(fault_code(connect(thief), "another user's Connect"), SHELL_NOT_FOUND,
         "another user's Connect: the shell is unknown to them")
    nobody = psrp.Pool(svc, a)
    h.eq(fault_code(connect(nobody), "Connect to no shell"), SHELL_NOT_FOUND, "Connect to no shell")

    time.sleep(2.5)  # the pipeline ends while nobody is connected
    again = psrp.Pool(svc, a)  # a new client: its own connections, a fresh fragmenter
    again.shell_id = pool.shell_id
    r = connect(again)
    h.eq(r.status, 200, "Connect (%s)" % h._short(r.body))
    resp = r.xml().find("s:Body/rsp:ConnectResponse", h.NS)
    h.eq(resp.find("rsp:InputStreams", h.NS).text, "stdin pr", "ConnectResponse's InputStreams")
    xml = resp.find("{%s}connectResponseXml" % psrp.NS_PS)
    msgs = psrp.fragments(base64.b64decode(xml.text))
    h.eq([t for t, _, _ in msgs], [psrp.SESSION_CAPABILITY, RUNSPACEPOOL_INIT_DATA],
         "connectResponseXml: the server's capability and the pool's init data")
    h.check('<I32 N="MinRunspaces">1</I32>' in msgs[1][2] and
            '<I32 N="MaxRunspaces">1</I32>' in msgs[1][2], "the pool's runspaces: %r" % msgs[1][2])
    other = psrp.Pool(svc, a)
    other.shell_id = pool.shell_id
    h.eq(fault_code(connect(other), "a second Connect"), CONNECTED_ELSEWHERE,
         "Connect to a shell connected to another client")

    opening, _ = again.receive_until(None, lambda m: any(t == psrp.RUNSPACEPOOL_STATE for t, _, _ in m))
    h.eq([t for t, _, _ in opening][:2], [psrp.APPLICATION_PRIVATE_DATA, psrp.RUNSPACEPOOL_STATE],
         "the pool's private data and state come first to the new client")
    h.eq(connect(again, cid).status, 200, "Connect of the command")
    out, _ = again.receive_until(cid, None)
    h.eq(psrp.outputs(out), ["tick1", "tick2", "tick3", "tick4"],
         "the output written while disconnected")
    h.eq(psrp.pipeline_state(out), 4, "the pipeline Completed")
    r, cid2 = again.command("'after connect'")
    h.eq(r.status, 200, "a new command after Connect")
    out, _ = again.receive_until(cid2, None)
    h.eq(psrp.outputs(out), ["after connect"], "the pool works for the new client")
    h.eq(again.delete().status, 200, "Delete")
    h.eq(enumerate_items(svc, a), [], "no shell left")
    h.check(svc.alive(), "the service is still serving")


def test_reconnect_and_the_disconnect_idle_timeout():
    svc, a, pool = opened_pool()
    r = pool.post(A_DISCONNECT, "<rsp:Disconnect><rsp:BufferMode>Drop</rsp:BufferMode></rsp:Disconnect>")
    h.eq(r.status, 200, "Disconnect with Drop")
    h.eq(fields(enumerate_items(svc, a)[0])["BufferMode"], "Drop", "BufferMode Drop listed")
    r = pool.post(A_RECONNECT, "")  # Windows' client: an empty s:Body
    h.eq(r.status, 200, "Reconnect (%s)" % h._short(r.body))
    h.eq(r.xml().find("s:Header/a:Action", h.NS).text, A_RECONNECT + "Response", "its action")
    f = fields(enumerate_items(svc, a)[0])
    h.eq((f["State"], f["BufferMode"]), ("Connected", "Block"), "connected again")
    r, cid = pool.command("'back'")
    out, _ = pool.receive_until(cid, None)
    h.eq(psrp.outputs(out), ["back"], "the pool works after Reconnect")

    pid = int(f["ProcessId"])
    r = pool.post(A_DISCONNECT, "<rsp:Disconnect><rsp:IdleTimeOut>PT2S</rsp:IdleTimeOut></rsp:Disconnect>")
    h.eq(r.status, 200, "Disconnect with IdleTimeOut")
    h.eq(fields(enumerate_items(svc, a)[0])["IdleTimeOut"], "PT2.000S", "the disconnect's idle time")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (enumerate_items(svc, a) or os.path.exists("/proc/%d" % pid)):
        time.sleep(0.5)
    h.eq(enumerate_items(svc, a), [], "the shell is gone after its IdleTimeOut")
    h.check(not os.path.exists("/proc/%d" % pid), "and its pwsh %d" % pid)
    r = pool.post(A_RECONNECT, "")
    h.eq(fault_code(r, "Reconnect after the idle timeout"), SHELL_NOT_FOUND, "nothing to reconnect to")
    h.check(svc.alive(), "the service is still serving")


def test_malformed_disconnect_connect_and_enumerate():
    svc, a, pool = opened_pool()
    r = pool.post(A_DISCONNECT, "<rsp:Disconnect><rsp:BufferMode>Sometimes</rsp:BufferMode></rsp:Disconnect>")
    h.eq(fault_code(r, "BufferMode Sometimes"), 87, "an unknown BufferMode is InvalidParameter")
    r = pool.post(A_DISCONNECT, "<rsp:Disconnect><rsp:IdleTimeOut>soon</rsp:IdleTimeOut></rsp:Disconnect>")
    h.eq(fault_code(r, "IdleTimeOut soon"), 87, "a bad IdleTimeOut is InvalidParameter")
    r = pool.post(A_CONNECT, "<rsp:Connect />")
    h.check(fault_code(r, "Connect without connectXml") is not None, "Connect without connectXml")
    r = h.request(svc, psrp.envelope(A_ENUMERATE, URI_SHELLS + "/Command", enumerate_body()), auth=a)
    h.eq(r.fault().subcode, "w:InvalidSelectors", "Enumerate of commands without a ShellId filter")
    r = h.request(svc, psrp.envelope(A_ENUMERATE, URI_SHELLS, enumerate_body(pool.shell_id)), auth=a)
    h.eq(r.fault().subcode, "n:FilteringNotSupported", "Enumerate of shells with a filter")
    # the shell is still there and connected
    r, cid = pool.command("'still'")
    out, _ = pool.receive_until(cid, None)
    h.eq(psrp.outputs(out), ["still"], "the shell goes on")
    h.check(svc.alive(), "the service is still serving")


def test_an_administrator_lists_every_users_shells():
    svc = ps_service()
    a, b, adm = h.user("a"), h.user("b"), h.user("adm")
    pools = [psrp.Pool(svc, a), psrp.Pool(svc, b)]
    for p in pools:
        p.open()
    r, cid = pools[1].command("'x'")
    items = enumerate_items(svc, adm)
    got = sorted((fields(i)["ShellId"], fields(i)["Owner"]) for i in items)
    h.eq(got, sorted([(pools[0].shell_id, a.name), (pools[1].shell_id, b.name)]),
         "an administrator sees every user's shells, each with its owner")
    h.eq([fields(c)["CommandId"] for c in enumerate_items(svc, adm, pools[1].shell_id)], [cid],
         "and another user's shell's commands")
    h.eq([fields(i)["Owner"] for i in enumerate_items(svc, a)], [a.name],
         "a user still sees only their own")
    thief = psrp.Pool(svc, adm)
    thief.shell_id = pools[0].shell_id
    h.eq(fault_code(connect(thief), "an administrator's Connect to another's shell"),
         SHELL_NOT_FOUND, "listing is not taking: Connect stays the owner's")
    for p in pools:
        h.eq(p.delete().status, 200, "Delete")
    h.check(svc.alive(), "the service is still serving")


def test_winrm_enumerate_shell_lists_them():
    """`winrm enumerate shell -r:...`, as on Windows, over libwinrm's Enumerate."""
    from test_winrm_cli import winrm, _remote, _out, _err
    svc, a, pool = opened_pool()
    r = winrm(["enumerate", "shell"] + _remote(svc, a), h.client_config())
    h.eq(r.returncode, 0, "winrm enumerate shell (%s)" % _err(r))
    h.check("ShellId = %s" % pool.shell_id in _out(r) and "State = Connected" in _out(r),
            "the shell is listed: %s" % _out(r))
    h.eq(pool.delete().status, 200, "Delete")


def test_cmd_shells_are_listed_with_the_powershell_ones():
    """As Windows lists every shell of the caller's: a cmd shell (pywinrm's,
    open with a command running) beside a PowerShell one, each with its
    resource URI and streams, and the cmd shell's commands by ShellId."""
    svc, a, pool = opened_pool()
    p = h.protocol(svc, a)
    cmd_shell = p.open_shell()
    command_id = p.run_command(cmd_shell, "sleep", ["30"])
    try:
        listed = {fields(i)["ShellId"]: fields(i) for i in enumerate_items(svc, a)}
        h.eq(sorted(listed), sorted([pool.shell_id, cmd_shell]), "both shells listed")
        cmd = listed[cmd_shell]
        h.eq((cmd["ResourceUri"], cmd["InputStreams"], cmd["OutputStreams"], cmd["Owner"],
              cmd["State"], cmd["ClientIP"]),
             ("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd", "stdin",
              "stdout stderr", a.name, "Connected", "127.0.0.1"), "the cmd shell's item")
        h.eq(listed[pool.shell_id]["ResourceUri"], psrp.PS_PREFIX + "Microsoft.PowerShell",
             "the PowerShell shell's item")
        commands = [fields(i)["CommandId"] for i in enumerate_items(svc, a, cmd_shell)]
        h.eq([c.upper() for c in commands], [command_id.upper()], "the cmd shell's command")
        h.eq(enumerate_items(svc, h.user("b")), [], "another user lists none of them")
    finally:
        p.cleanup_command(cmd_shell, command_id)
        p.close_shell(cmd_shell)
    h.eq(pool.delete().status, 200, "Delete")
    h.eq(enumerate_items(svc, a), [], "nothing listed once both are closed")
