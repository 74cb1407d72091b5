"""Bad PSRP input (issue 11, point 7): fragments cut short, out of order
or claiming more than they carry, input for a pipeline that does not
exist, a Command reusing a live CommandId, signals on closed or unknown
commands (answered as Windows answers a closed one), and a client that vanishes in the middle of a large output.
Each is answered (a fault where Windows gives one) and logged; pwsh is
never left wedged (it drops bad fragments with a transport error, and a
client that stops receiving only holds its own pwsh back), and the
service and another user's session go on serving."""
import struct
import time

import harness as h
import psrp


def ps_service(**settings):
    return h.service(dict({"Service/PowerShell": psrp.pwsh_path()}, **settings))


def _still_runs(pool, text):
    r, cid = pool.command("'%s'" % text)
    h.eq(r.status, 200, "a pipeline after the bad input (%s)" % h._short(r.body))
    msgs, _ = pool.receive_until(cid, None)
    h.eq(psrp.outputs(msgs), [text], "its output")


def _fragment(object_id, fragment_id, flags, claimed, blob):
    return struct.pack(">QQBI", object_id, fragment_id, flags, claimed) + blob


def test_bad_fragments_cost_only_their_session():
    svc = ps_service()
    a, b = h.user("a"), h.user("b")
    bystander = psrp.Pool(svc, b)
    bystander.open()
    pool = psrp.Pool(svc, a)
    pool.open()
    bad = {
        "a header cut short": b"\x00" * 10,
        "a blob shorter than its length says": _fragment(90, 0, 3, 1000, b"x" * 10),
        "a length of 4 GiB": _fragment(91, 0, 3, 0xFFFFFFFF, b"x" * 64),
        "a middle fragment with no start": _fragment(92, 5, 0, 4, b"abcd"),
        "an end fragment with no start": _fragment(93, 7, 2, 4, b"abcd"),
    }
    for what, data in bad.items():
        r = pool.send(data)
        h.check(r.status in (200, 500), "%s: answered (%d)" % (what, r.status))
        if r.status == 500:
            h.check(r.fault() is not None, "%s: a WS-Man fault" % what)
    # pwsh drops each with a transport error on its stderr, which the host
    # logs, and the session goes on.
    svc.wait_for_log(r"shell %s: pwsh: Remote transport error" % pool.shell_id)
    _still_runs(pool, "after the bad fragments")
    _still_runs(bystander, "the other user is served")
    h.eq(bystander.delete().status, 200, "the bystander's Delete")
    h.assert_serving(svc)


def test_unknown_targets_and_a_live_command_id_refused():
    svc = ps_service()
    pool = psrp.Pool(svc, h.user("a"))
    pool.open()
    nobody = "11111111-2222-3333-4444-555555555555"
    r = pool.send(b"data", command_id=nobody)
    h.eq(r.fault().subcode_local, "InvalidSelectors", "Send to no such pipeline")
    svc.wait_for_log(r'action "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send" refused')
    # A closed pipeline is forgotten, so a Signal to an unknown one is
    # answered as one to a closed one (docs/psrp.md 1.7: Ansible stops
    # each finished pipeline).
    h.eq(pool.signal(nobody, psrp.SIGNAL_STOP).status, 200, "Signal to no such pipeline")

    r, cid = pool.command("Start-Sleep -Seconds 3; 'the first'")
    h.eq(r.status, 200, "Command")
    r, _ = pool.command("'the second'", command_id=cid)
    h.eq(r.status, 500, "a Command reusing a live CommandId (%s)" % h._short(r.body))
    h.check(r.fault() is not None, "answered with a fault")
    svc.wait_for_log(r'action "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command" refused')
    msgs, _ = pool.receive_until(cid, None)
    h.eq(psrp.outputs(msgs), ["the first"], "the live pipeline was not disturbed")

    # Signals on a pipeline that has ended: Windows answers them (pypsrp
    # and Ansible close finished pipelines).
    h.eq(pool.signal(cid, psrp.SIGNAL_TERMINATE).status, 200, "Terminate on an ended pipeline")
    h.eq(pool.signal(cid, psrp.SIGNAL_STOP).status in (200, 500), True, "stop after that")
    _still_runs(pool, "still here")
    h.eq(pool.delete().status, 200, "Delete")
    r = pool.signal(cid, psrp.SIGNAL_STOP)
    h.eq(r.fault().subcode_local, "InvalidSelectors", "a signal after the shell's Delete")


def test_a_client_that_vanishes_mid_output():
    """A pipeline writes far more than anyone receives; the client stops
    receiving. pwsh is held back (Windows' Block mode), not wedged: the
    same user's Delete from a new connection ends it promptly, and
    another user is served throughout."""
    svc = ps_service()
    a, b = h.user("a"), h.user("b")
    pool = psrp.Pool(svc, a)
    pool.open()
    r, cid = pool.command("1..3000000 | ForEach-Object { 'line of output number ' + $_ }")
    h.eq(r.status, 200, "Command")
    r = pool.receive(cid)
    h.eq(r.status, 200, "one Receive, then the client goes away")
    time.sleep(3)
    bystander = psrp.Pool(svc, b)
    bystander.open()
    _still_runs(bystander, "served while the other pwsh is held back")
    t0 = time.monotonic()
    h.eq(pool.delete().status, 200, "Delete from a new connection")
    h.check(time.monotonic() - t0 < 15, "Delete took %.1f s" % (time.monotonic() - t0))
    svc.wait_for_log(r"shell %s of %s ended: deleted" % (pool.shell_id, a.name), timeout=15)
    h.eq(bystander.delete().status, 200, "the bystander's Delete")
    h.assert_serving(svc)
