"""WMI's methods over WS-Management (issue 16): Win32_Service from this
machine's init scripts (no systemd as PID 1 here) with StartService and
StopService, Win32_Process's Create and Terminate, each run in the
caller's own host as the caller. The services are LSB scripts the tests
write into /etc/init.d (unique owt_ names, removed after) whose daemon
runs as a chosen account; our winrm command drives them as Windows'
winrm would; bad input gets Windows' faults and the service goes on."""
import os
import pwd
import re
import select
import shutil
import struct
import subprocess
import time
import uuid

import harness as h
from test_cim import WMI, get_env, instances, properties, remote, winrm

CODE_INVALID_PARAMETER = 2147749896  # WBEM_E_INVALID_PARAMETER
CODE_NOT_FOUND = 2150858752
INITD = "/etc/init.d"

SCRIPT = """#!/bin/sh
### BEGIN INIT INFO
# Provides:          %(name)s
# Required-Start:
# Required-Stop:
# Default-Start:    %(start)s
# Default-Stop:     %(stop)s
# Short-Description: openwinrm test service %(name)s
# Description:       A sleeping daemon the end-to-end tests start and stop
### END INIT INFO
OWNER=%(owner)s
PIDFILE=%(dir)s/pid
running() { [ -f "$PIDFILE" ] && [ -d "/proc/$(cat "$PIDFILE")" ]; }
case "$1" in
status) running && exit 0; exit 3 ;;
start)
    running && exit 0
    if [ "$(id -u)" = 0 ] && [ "$OWNER" != root ]; then
        exec runuser -u "$OWNER" -- "$0" start
    fi
    setsid sleep %(marker)s </dev/null >/dev/null 2>&1 &
    echo $! > "$PIDFILE" || exit 4 ;;
stop)
    running || exit 0
    kill "$(cat "$PIDFILE")" 2>/dev/null || exit 4
    rm -f "$PIDFILE" ;;
*) echo "Usage: $0 {start|stop|status}"; exit 2 ;;
esac
exit 0
"""


class TestService:
    """An init script of the test's, its daemon running as owner; gone
    (daemon killed, files and rc.d links removed) on close. runlevels:
    its header's Default-Start (Default-Stop the others), none by default."""

    def __init__(self, tag, owner, runlevels=""):
        self.name = "owt_%s_%s" % (h.fixture().suffix, tag)
        self.owner = owner
        self.dir = "/tmp/%s" % self.name
        self.script = os.path.join(INITD, self.name)
        self.marker = "%d.%d" % (400000 + uuid.uuid4().int % 100000, os.getpid())
        os.makedirs(self.dir, exist_ok=True)
        pw = pwd.getpwnam(owner)
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        with open(self.script, "w") as f:
            f.write(SCRIPT % {"name": self.name, "owner": owner, "dir": self.dir, "marker": self.marker,
                              "start": runlevels, "stop": "0 1 6" if runlevels else ""})
        os.chmod(self.script, 0o755)

    def run(self, action):
        return subprocess.run([self.script, action], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=30).returncode

    def pid(self):
        """The daemon's pid while it runs, else None."""
        try:
            pid = int(open(os.path.join(self.dir, "pid")).read())
        except (OSError, ValueError):
            return None
        try:
            state = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return None
        return pid if state != "Z" else None

    def links(self):
        """The rc.d links to the script: ['rc2.d/S01name', ...]."""
        return sorted("%s/%s" % (d, f) for d in os.listdir("/etc") if re.match(r"rc[0-6S]\.d$", d)
                      for f in os.listdir(os.path.join("/etc", d)) if f[3:] == self.name)

    def close(self):
        for link in self.links():
            os.unlink(os.path.join("/etc", link))
        pid = self.pid()
        if pid:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        for p in (self.script,):
            try:
                os.unlink(p)
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


def invoke_env(class_name, method, selectors=None, body=None):
    uri = WMI + class_name
    if body is None:
        body = '<p:%s_INPUT xmlns:p="%s"/>' % (method, uri)
    return h.envelope(uri + "/" + method, body, resource=uri, selectors=selectors)


def output_of(text):
    """winrm's text of <Method>_OUTPUT: the element's name and its values."""
    lines = text.strip().splitlines()
    return (lines[0].split(" [")[0].strip() if lines else ""), properties(text)


def status_all():
    """`service --status-all`: {name: '+', '-' or '?'}."""
    r = subprocess.run(["service", "--status-all"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120, env=dict(os.environ, LANG="C"))
    return {m.group(2): m.group(1) for m in re.finditer(r"\[ (.) \]\s+(\S+)", r.stdout.decode(errors="replace"))}


def test_winrm_enumerate_services():
    """`winrm enumerate wmicimv2/Win32_Service`: every init script
    `service --status-all` lists, the running ones Running, and the
    test's service with its header's names, its daemon's pid and Manual
    (no rc2.d link); a Get of it by Name."""
    svc = h.service()
    adm = h.user("adm")
    ts = TestService("root", "root")
    try:
        h.eq(ts.run("start"), 0, "the test service starts")
        local = status_all()
        code, out, err = winrm(["enumerate", "wmicimv2/Win32_Service"] + remote(svc, adm), timeout=120)
        h.eq(code, 0, "winrm enumerate Win32_Service (%s)" % err)
        seen = {p.get("Name"): p for p in instances(out, "Win32_Service")}
        h.eq(set(seen), set(local), "the services `service --status-all` lists")
        for name, mark in local.items():
            if mark == "+":
                h.eq(seen[name].get("State"), "Running", "State of %s, running by `service`" % name)
        p = seen[ts.name]
        h.eq((p.get("State"), p.get("Started"), p.get("Status")), ("Running", "true", "OK"), "the test service")
        h.eq(p.get("DisplayName"), "openwinrm test service %s" % ts.name, "DisplayName (Short-Description)")
        h.eq(p.get("Description"), "A sleeping daemon the end-to-end tests start and stop", "Description")
        h.eq(p.get("StartMode"), "Manual", "StartMode (no link in rc2.d)")
        h.eq(p.get("PathName"), ts.script, "PathName")
        h.eq(p.get("ServiceType"), "Own Process", "ServiceType")
        h.eq(p.get("SystemName"), os.uname().nodename.split(".")[0], "SystemName")
        code, out, err = winrm(["get", "wmicimv2/Win32_Service?Name=" + ts.name] + remote(svc, adm))
        h.eq((code, properties(out).get("State")), (0, "Running"), "winrm get by Name (%s)" % err)
        ts.run("stop")
        code, out, err = winrm(["get", "wmicimv2/Win32_Service?Name=" + ts.name] + remote(svc, adm))
        h.eq((code, properties(out).get("State")), (0, "Stopped"), "stopped by its script (%s)" % err)
    finally:
        ts.close()


def test_winrm_invoke_stop_and_start():
    """`winrm invoke StopService wmicimv2/Win32_Service?Name=SERVICE` as an
    administrator, on a service whose daemon runs as that administrator:
    Windows' output, the daemon gone; StopService again answers 5 (it
    cannot accept the control); StartService starts it as the caller."""
    svc = h.service()
    adm = h.user("adm")
    ts = TestService("adm", adm.name)
    try:
        h.eq(ts.run("start"), 0, "the test service starts")
        first = ts.pid()
        h.check(first and os.stat("/proc/%d" % first).st_uid == adm.uid, "its daemon runs as %s" % adm.name)
        mark = svc.log_mark()
        code, out, err = winrm(["invoke", "StopService", "wmicimv2/Win32_Service?Name=" + ts.name] + remote(svc, adm))
        h.eq(code, 0, "winrm invoke StopService (%s)" % err)
        h.eq(output_of(out), ("StopService_OUTPUT", {"ReturnValue": "0"}), "the output:\n%s" % out)
        h.eq(ts.pid(), None, "the daemon is gone")
        svc.wait_for_log(r"elevated method by %s from .*Win32_Service\.StopService\(Name=%s\): ReturnValue 0"
                         % (re.escape(adm.name), re.escape(ts.name)), since=mark)
        code, out, err = winrm(["invoke", "StopService", "wmicimv2/Win32_Service?Name=" + ts.name] + remote(svc, adm))
        h.eq((code, output_of(out)[1].get("ReturnValue")), (0, "5"), "StopService of a stopped service (%s)" % err)
        code, out, err = winrm(["invoke", "StartService", "wmicimv2/Win32_Service?Name=" + ts.name, "@{}"]
                               + remote(svc, adm))
        h.eq((code, output_of(out)), (0, ("StartService_OUTPUT", {"ReturnValue": "0"})), "StartService (%s)" % err)
        again = ts.pid()
        h.check(again and again != first and os.stat("/proc/%d" % again).st_uid == adm.uid,
                "started again, as %s" % adm.name)
        code, out, err = winrm(["invoke", "StartService", "wmicimv2/Win32_Service?Name=" + ts.name] + remote(svc, adm))
        h.eq((code, output_of(out)[1].get("ReturnValue")), (0, "10"), "StartService of a running service (%s)" % err)
    finally:
        ts.close()


def test_stop_of_a_root_service():
    """A service whose daemon runs as root: a normal user's StopService
    (root/cimv2 grants the remote users Execute Methods) is the script's
    own refusal, ReturnValue 2 as WMI's access denied, and the daemon
    keeps running; an administrator's runs as root, in the privileged
    part (docs/design.md, "Administrators acting as root"), stops it, and
    is in the audit trail."""
    svc = h.service()
    ts = TestService("sys", "root")
    try:
        h.eq(ts.run("start"), 0, "the test service starts")
        daemon = ts.pid()
        r = h.request(svc, invoke_env("Win32_Service", "StopService", [("Name", ts.name)]), auth=h.user("a"))
        h.eq(r.status, 200, "a normal user's StopService is answered (%r)" % r)
        h.eq(r.xml().findtext(".//{%sWin32_Service}ReturnValue" % WMI), "2", "a normal user's ReturnValue")
        h.eq(ts.pid(), daemon, "still running after the normal user's StopService")
        adm = h.user("adm")
        code, out, err = winrm(["invoke", "StopService", "wmicimv2/Win32_Service?Name=" + ts.name]
                               + remote(svc, adm))
        h.eq((code, output_of(out)), (0, ("StopService_OUTPUT", {"ReturnValue": "0"})),
             "an administrator acts as root (%s)" % err)
        h.eq(ts.pid(), None, "the daemon is gone after the administrator's StopService")
        svc.wait_for_log(['"event":"elevated_method"', '"user":"%s"' % adm.name, '"run_as":"root"',
                          re.escape("Win32_Service.StopService(Name=%s)" % ts.name),
                          '"reason":"ReturnValue 0"'])
    finally:
        ts.close()


def test_change_start_mode():
    """ChangeStartMode, update-rc.d's work: a normal user's answers 2 and
    changes nothing; an administrator's (as root) takes the service to
    Automatic (S links), Disabled (K links; StartService then answers
    14) and Manual (no links), each read back as StartMode; a mode that is
    not a service's answers 21."""
    svc = h.service()
    adm = h.user("adm")
    ts = TestService("mode", "root", runlevels="2 3 4 5")

    def start_mode():
        code, out, err = winrm(["get", "wmicimv2/Win32_Service?Name=" + ts.name] + remote(svc, adm))
        h.eq(code, 0, "winrm get (%s)" % err)
        return properties(out).get("StartMode")

    def change(mode, user=adm):
        code, out, err = winrm(["invoke", "ChangeStartMode", "wmicimv2/Win32_Service?Name=" + ts.name,
                                '@{StartMode="%s"}' % mode] + remote(svc, user))
        h.eq(code, 0, "winrm invoke ChangeStartMode %s (%s)" % (mode, err))
        element, values = output_of(out)
        h.eq(element, "ChangeStartMode_OUTPUT", "the output:\n%s" % out)
        return values.get("ReturnValue")

    try:
        h.eq(start_mode(), "Manual", "no links: Manual")
        r = h.request(svc, invoke_env("Win32_Service", "ChangeStartMode", [("Name", ts.name)],
                                      body='<p:ChangeStartMode_INPUT xmlns:p="%sWin32_Service">'
                                      '<p:StartMode>Automatic</p:StartMode></p:ChangeStartMode_INPUT>' % WMI),
                      auth=h.user("a"))
        h.eq(r.status, 200, "a normal user's ChangeStartMode is answered (%r)" % r)
        h.eq(r.xml().findtext(".//{%sWin32_Service}ReturnValue" % WMI), "2", "a normal user's ReturnValue")
        h.eq((start_mode(), ts.links()), ("Manual", []), "nothing changed by the normal user")
        mark = svc.log_mark()
        h.eq(change("Automatic"), "0", "to Automatic")
        h.eq(start_mode(), "Auto", "then StartMode")
        h.check(any(re.match(r"rc2\.d/S\d\d", link) for link in ts.links()), "an S link in rc2.d: %s" % ts.links())
        svc.wait_for_log(r"elevated method by %s from .*Win32_Service\.ChangeStartMode\(Name=%s\): ReturnValue 0"
                         % (re.escape(adm.name), re.escape(ts.name)), since=mark)
        h.eq(change("disabled"), "0", "to Disabled (the name in any case, as WMI takes it)")
        h.eq(start_mode(), "Disabled", "then StartMode")
        h.check(not any(re.match(r"rc[2-5]\.d/S", link) for link in ts.links()), "no S link: %s" % ts.links())
        code, out, err = winrm(["invoke", "StartService", "wmicimv2/Win32_Service?Name=" + ts.name] + remote(svc, adm))
        h.eq((code, output_of(out)[1].get("ReturnValue")), (0, "14"), "StartService of a disabled service (%s)" % err)
        h.eq(ts.pid(), None, "not started")
        h.eq(change("Manual"), "0", "to Manual")
        h.eq((start_mode(), ts.links()), ("Manual", []), "then StartMode, and no links")
        h.eq(change("Boot"), "21", "Boot, a driver's mode")
        h.eq(start_mode(), "Manual", "unchanged")
    finally:
        ts.close()


def _initctl_request(fifo, limit=10.0):
    """The next request init is sent on its FIFO (sysvinit's initreq.h:
    384 bytes, magic 0x03091969, command, runlevel) as (command,
    runlevel), or None if none comes within limit seconds."""
    data, deadline = b"", time.monotonic() + limit
    while len(data) < 384 and time.monotonic() < deadline:
        if select.select([fifo], [], [], 0.1)[0]:
            data += os.read(fifo, 384 - len(data))
    if len(data) < 384:
        return None
    magic, command, runlevel = struct.unpack_from("<iii", data)
    h.eq(magic, 0x03091969, "the initreq's magic")
    return command, chr(runlevel)


def test_reboot_and_shutdown():
    """Win32_OperatingSystem's Reboot and Shutdown run the machine's own
    shutdown(8) as the caller. The service runs in a mount namespace of
    the test's whose /run is empty but for /run/initctl, a FIFO the test
    reads as init would: there systemd's shutdown (systemctl), finding
    neither systemd nor the bus, asks init over /run/initctl, sysvinit's
    protocol, and nothing reaches the real machine's init. A normal
    user's Reboot answers 1314 (ERROR_PRIVILEGE_NOT_HELD) and asks
    nothing; an administrator's (as root) asks runlevel 6, Shutdown
    runlevel 0 (the singleton named by its Name, or by nothing); an
    instance that is not this machine is a fault."""
    ns = h.Namespaces(["--mount"], 900)
    fifo = svc = None
    try:
        subprocess.run(ns.nsenter(["mnt"]) + ["sh", "-ec", "mount -t tmpfs -o mode=0755 owt-run /run; "
                                              "mkfifo -m 600 /run/initctl"], check=True, timeout=30)
        fifo = os.open("/proc/%d/root/run/initctl" % ns.holder.pid, os.O_RDONLY | os.O_NONBLOCK)
        svc = h.service(wrap=ns.nsenter(["mnt"]))
        adm = h.user("adm")
        code, out, err = winrm(["get", "wmicimv2/Win32_OperatingSystem"] + remote(svc, adm))
        h.eq(code, 0, "winrm get (%s)" % err)
        name = properties(out)["Name"]

        r = h.request(svc, invoke_env("Win32_OperatingSystem", "Reboot", [("Name", name)]), auth=h.user("a"))
        h.eq(r.status, 200, "a normal user's Reboot is answered (%r)" % r)
        h.eq(r.xml().findtext(".//{%sWin32_OperatingSystem}ReturnValue" % WMI), "1314",
             "a normal user's ReturnValue")
        h.eq(_initctl_request(fifo, 1.0), None, "init was asked nothing")

        # Named by its key, or by nothing, as the singleton's Get and EPR name it.
        for method, uri, runlevel in (("Reboot", "wmicimv2/Win32_OperatingSystem?Name=" + name, "6"),
                                      ("Shutdown", "wmicimv2/Win32_OperatingSystem", "0")):
            code, out, err = winrm(["invoke", method, uri] + remote(svc, adm))
            h.eq((code, output_of(out)), (0, ("%s_OUTPUT" % method, {"ReturnValue": "0"})),
                 "an administrator's %s (%s)" % (method, err))
            h.eq(_initctl_request(fifo), (1, runlevel), "init asked for runlevel %s (INIT_CMD_RUNLVL)" % runlevel)
        svc.wait_for_log(['"event":"elevated_method"', '"user":"%s"' % adm.name,
                          re.escape("Win32_OperatingSystem.Reboot(Name=%s)" % name), '"reason":"ReturnValue 0"'])

        r = h.request(svc, invoke_env("Win32_OperatingSystem", "Reboot", [("Name", "another|/|")]), auth=adm)
        h.eq((r.status, r.fault().subcode_local), (500, "InvalidSelectors"), "another machine's Reboot (%r)" % r)
    finally:
        if fifo is not None:
            os.close(fifo)
        if svc:
            svc.stop()
        ns.close()


def test_process_create_and_terminate():
    """Win32_Process.Create as an administrator starts the command line as
    root, administrators acting as root (ProcessId in the output),
    Terminate ends it; a normal user's Terminate of root's process
    answers 2 and it lives on."""
    svc = h.service()
    adm = h.user("adm")
    marker = "322.%d" % (uuid.uuid4().int % 100000)
    code, out, err = winrm(["invoke", "Create", "wmicimv2/Win32_Process",
                            '@{CommandLine="sleep %s";CurrentDirectory="/tmp"}' % marker] + remote(svc, adm))
    h.eq(code, 0, "winrm invoke Create (%s)" % err)
    element, values = output_of(out)
    h.eq((element, values.get("ReturnValue")), ("Create_OUTPUT", "0"), "the output:\n%s" % out)
    pid = int(values.get("ProcessId", "0"))
    child = subprocess.Popen(["sleep", "300"])
    try:
        h.check(pid > 0, "a ProcessId: %s" % out)
        h.eq(os.stat("/proc/%d" % pid).st_uid, 0, "the administrator's process runs as root")
        deadline = time.time() + 5
        while open("/proc/%d/cmdline" % pid).read() != "sleep\0%s\0" % marker and time.time() < deadline:
            time.sleep(0.05)
        h.eq(open("/proc/%d/cmdline" % pid).read(), "sleep\0%s\0" % marker, "its command line")
        h.eq(os.readlink("/proc/%d/cwd" % pid), "/tmp", "its directory")
        code, out, err = winrm(["invoke", "Terminate", "wmicimv2/Win32_Process?Handle=%d" % pid] + remote(svc, adm))
        h.eq((code, output_of(out)), (0, ("Terminate_OUTPUT", {"ReturnValue": "0"})), "Terminate (%s)" % err)
        gone = False
        for _ in range(100):
            try:
                gone = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] == "Z"
            except OSError:
                gone = True
            if gone:
                break
            time.sleep(0.05)
        h.check(gone, "the process ended")
        code, out, err = winrm(["invoke", "Terminate", "wmicimv2/Win32_Process?Handle=%d" % child.pid]
                               + remote(svc, h.user("a")))
        h.eq((code, output_of(out)[1].get("ReturnValue")), (0, "2"),
             "a normal user's Terminate of root's process (%s)" % err)
        h.eq(child.poll(), None, "root's process lives on")
    finally:
        child.kill()
        child.wait(timeout=10)
        try:
            os.kill(pid, 9)
        except OSError:
            pass


def test_invoke_reply_shape_and_bad_input():
    """The raw reply: action <class URI>/<Method>Response, <p:Create_OUTPUT>
    in the class URI's namespace; then bad calls, each with its fault,
    and the service serving after them."""
    svc = h.service()
    adm = h.user("adm")
    uri = WMI + "Win32_Process"
    body = ('<p:Create_INPUT xmlns:p="%s"><p:CommandLine>sleep 12.5</p:CommandLine></p:Create_INPUT>' % uri)
    r = h.request(svc, invoke_env("Win32_Process", "Create", body=body), auth=adm)
    h.eq(r.status, 200, "Create (%s)" % h._short(r.body, 400))
    x = r.xml()
    h.eq(x.findtext(".//{%s}Action" % h.NS["a"]), uri + "/CreateResponse", "the reply's action")
    out = x.find(".//{%s}Body" % h.NS["s"])[0]
    h.eq(out.tag, "{%s}Create_OUTPUT" % uri, "the output element")
    h.eq([c.tag.split("}")[1] for c in out], ["ProcessId", "ReturnValue"], "its parameters, in ordinal order")
    os.kill(int(out.findtext("{%s}ProcessId" % uri)), 9)

    def fault(env, subcode, code=None, what=""):
        resp = h.request(svc, env, auth=adm)
        h.eq((resp.status, resp.fault().subcode_local), (500, subcode), "%s (%s)" % (what, h._short(resp.body, 400)))
        if code is not None:
            h.eq(resp.fault().code, code, "%s: the code" % what)

    fault(invoke_env("Win32_Process", "Explode"), "ActionNotSupported", h.CODE_ACTION_NOT_SUPPORTED, "unknown method")
    fault(invoke_env("Win32_Process", "Terminate", [("Handle", "1")],
                     '<p:Terminate_INPUT xmlns:p="%s"><p:Reason>soon</p:Reason></p:Terminate_INPUT>' % uri),
          "InvalidParameter", CODE_INVALID_PARAMETER, "a Reason that is no uint32")
    fault(invoke_env("Win32_Process", "Create", None,
                     '<p:Create_INPUT xmlns:p="%s"><p:Command>x</p:Command></p:Create_INPUT>' % uri),
          "InvalidParameter", CODE_INVALID_PARAMETER, "a parameter Create does not take")
    fault(invoke_env("Win32_Service", "StopService"), "InvalidSelectors", None, "StopService without its key")
    fault(invoke_env("Win32_Service", "StopService", [("Name", "owt-no-such-service")]), "InvalidSelectors",
          CODE_NOT_FOUND, "no such service")
    fault(invoke_env("Win32_Service", "StopService", [("Name", "x")],
                     '<p:StartService_INPUT xmlns:p="%s"/>' % (WMI + "Win32_Service")),
          "SchemaValidationError", None, "the input of another method")
    fault(invoke_env("Win32_NoSuchClass", "Create"), "DestinationUnreachable", CODE_NOT_FOUND, "unknown class")
    h.assert_serving(svc)
