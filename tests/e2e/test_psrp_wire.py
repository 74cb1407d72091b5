"""The PowerShell endpoints on the wire (MS-PSRP 3.1.5.3): Create, Command,
Send, Receive, Signal and Delete sent as pypsrp recorded Windows' client
sending them (tests/e2e/psrp.py), answered in Windows' shape by a real
pwsh per RunspacePool running as the user; and the refusals."""
import os
import re
import time

import harness as h
import psrp


def ps_service(**settings):
    return h.service(dict({"Service/PowerShell": psrp.pwsh_path()}, **settings))


def _proc_owner_and_name(pid):
    with open("/proc/%d/status" % pid) as f:
        status = f.read()
    uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        argv = f.read().split(b"\0")
    return uid, argv


SHELL_ELEMENTS = ["ShellId", "ResourceUri", "Owner", "ClientIP", "ProcessId", "IdleTimeOut",
                  "InputStreams", "OutputStreams", "MaxIdleTimeOut", "Locale", "DataLocale",
                  "CompressionMode", "ProfileLoaded", "Encoding", "BufferMode", "State",
                  "ShellRunTime", "ShellInactivity"]


def test_runspace_pool_and_pipeline_in_windows_shape():
    svc = ps_service()
    a = h.user("a")
    pool = psrp.Pool(svc, a)
    created, (msgs, last) = pool.open()

    root = created.xml()
    sel = root.find(".//x:ResourceCreated/a:ReferenceParameters/w:SelectorSet/w:Selector", h.NS)
    h.eq(sel.text if sel is not None else None, pool.shell_id, "the ShellId selector (the client's)")
    shell = root.find(".//rsp:Shell", h.NS)
    names = [c.tag.split("}")[1] for c in shell]
    h.eq(names, SHELL_ELEMENTS, "rsp:Shell's elements, in Windows' order")
    field = {c.tag.split("}")[1]: c.text for c in shell}
    h.eq(field["ResourceUri"], pool.resource, "ResourceUri")
    h.eq(field["Owner"], a.name, "Owner")
    h.eq(field["IdleTimeOut"], "PT7200.000S", "IdleTimeOut as PT<s>.<ms>S")
    h.eq(field["InputStreams"], "stdin pr", "InputStreams")
    uid, argv = _proc_owner_and_name(int(field["ProcessId"]))
    h.eq(uid, a.uid, "the pwsh serving the pool runs as the user")
    h.check(any(b"-s" == x for x in argv) and any(b"pwsh" in x for x in argv),
            "ProcessId is a pwsh in server mode: %r" % argv)

    types = [t for t, _, _ in msgs]
    h.eq(types[:3], [psrp.SESSION_CAPABILITY, psrp.APPLICATION_PRIVATE_DATA, psrp.RUNSPACEPOOL_STATE],
         "the pool's opening messages")
    h.check(last.xml().find(".//rsp:CommandState", h.NS) is None,
            "a pool Receive carries no CommandState")

    r, cid = pool.command("[Environment]::UserName; $PSVersionTable.PSVersion.Major")
    h.eq(r.status, 200, "Command (%s)" % h._short(r.body))
    h.eq(r.xml().findtext(".//rsp:CommandId", namespaces=h.NS), cid, "the client's CommandId")
    msgs, last = pool.receive_until(cid, None)
    h.eq(psrp.outputs(msgs)[:1], [a.name], "the pipeline's output: the user's name")
    state = last.xml().find(".//rsp:CommandState", h.NS)
    h.check(state.get("State").endswith("CommandState/Done"), "CommandState Done")
    h.eq(state.findtext("rsp:ExitCode", namespaces=h.NS), "0", "ExitCode")
    h.eq(psrp.pipeline_state(msgs), 4, "PIPELINE_STATE Completed")
    for s in last.xml().iter("{%s}Stream" % h.NS["rsp"]):
        h.eq(s.get("CommandId"), cid, "each stream names the command")

    # pypsrp closes each pipeline and reuses nothing; Ansible signals a
    # finished one; the same CommandId may then run again.
    h.eq(pool.signal(cid, psrp.SIGNAL_TERMINATE).status, 200, "Terminate on a finished pipeline")
    h.eq(pool.signal(cid, "powershell/signal/ctrl_c").status, 200, "a second close is harmless")
    r, cid2 = pool.command("1 + 1", command_id=cid)
    h.eq(r.status, 200, "a CommandId used again after its close (%s)" % h._short(r.body))
    msgs, _ = pool.receive_until(cid2, None)
    h.check("2" in " ".join(x for t, _, x in msgs if t == psrp.PIPELINE_OUTPUT),
            "the second pipeline's output")

    pid = int(field["ProcessId"])
    h.eq(pool.delete().status, 200, "Delete")
    h.check(h.wait_gone(pid, 15.0), "pwsh ended with its shell")
    r = pool.receive()
    h.eq(r.fault().subcode_local, "InvalidSelectors", "Receive after Delete")


def test_stop_signal_stops_a_running_pipeline():
    svc = ps_service()
    pool = psrp.Pool(svc, h.user("a"))
    pool.open()
    r, cid = pool.command("Start-Sleep -Seconds 60; 'not reached'")
    h.eq(r.status, 200, "Command")
    time.sleep(1.0)
    t0 = time.monotonic()
    h.eq(pool.signal(cid, psrp.SIGNAL_STOP).status, 200, "PowerShell's stop signal")
    msgs, _ = pool.receive_until(cid, None, limit=30.0)
    h.eq(psrp.pipeline_state(msgs), 3, "PIPELINE_STATE Stopped")
    h.check(time.monotonic() - t0 < 20, "the pipeline stopped promptly")
    h.check("not reached" not in psrp.outputs(msgs), "the script did not go on")
    h.eq(pool.delete().status, 200, "Delete")


def test_refusals_fault_and_the_service_goes_on():
    svc = ps_service()
    a, b = h.user("a"), h.user("b")
    pool = psrp.Pool(svc, a, endpoint="No.Such.Configuration")
    f = pool.create().fault()
    h.eq(f.subcode_local, "DestinationUnreachable", "an unknown session configuration")
    h.check("session configuration" in f.reason, "the reason says what: %r" % f.reason)

    pool = psrp.Pool(svc, a)
    r = pool.post(h.A_CREATE, pool.create_body(), shell=False)
    h.eq(r.fault().code, 87, "Create without protocolversion")
    r = pool.post(h.A_CREATE, pool.create_body(), shell=False,
                  options=psrp.option_set([("protocolversion", "3.0")], must_comply=True))
    h.eq(r.fault().code, 87, "protocol 3.0")

    pool.open()
    other = psrp.Pool(svc, b)
    other.shell_id = pool.shell_id
    h.eq(other.receive().fault().subcode_local, "InvalidSelectors", "another user's pool")
    h.eq(other.delete().fault().subcode_local, "InvalidSelectors", "another user's Delete")
    h.eq(pool.create().status, 500, "a second Create with a live ShellId")
    r = pool.receive(command_id="11111111-2222-3333-4444-555555555555")
    h.eq(r.fault().subcode_local, "InvalidSelectors", "Receive for no such pipeline")
    h.eq(pool.signal(None, psrp.SIGNAL_TERMINATE).status, 200, "a pool-level Signal does nothing")
    # A fragment that is cut short reaches pwsh as it is; pwsh must not take
    # the pool down with it.
    h.eq(pool.send(b"\x00" * 10).status in (200, 500), True, "a truncated fragment is answered")
    r, cid = pool.command("'still here'")
    h.eq(r.status, 200, "the pool still runs pipelines (%s)" % h._short(r.body))
    msgs, _ = pool.receive_until(cid, None)
    h.eq(psrp.outputs(msgs), ["still here"], "its output")
    h.eq(pool.delete().status, 200, "Delete")
    h.assert_serving(svc)


def test_no_pwsh_says_how_to_install_one():
    svc = h.service({"Service/PowerShell": "/nonexistent/pwsh"})
    f = psrp.Pool(svc, h.user("a")).create().fault()
    h.check("pwsh" in f.reason and "install" in f.reason.lower(),
            "the fault says PowerShell is missing and how to install it: %r" % f.reason)
    h.assert_serving(svc)
