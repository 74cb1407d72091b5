"""Win32_Service where systemd is the service manager (issue 16): no
systemd runs as PID 1 on the test machines, so the test runs a real one
beside the service. In a mount namespace of the test's, /run is an empty
tmpfs holding /run/systemd/system (what sd_booted looks for) and a D-Bus
bus at the system bus's path; a systemd user manager (root's, in a cgroup
of the test's) owns org.freedesktop.systemd1 there, with the Manager
interface the system manager has, and refuses other users' changes as
polkit refuses them on a server. winrmd runs in the same namespace, so
its users' hosts and the privileged part talk to that manager as they
would to the system's: enumerations list its loaded units and its unit
files, a normal user's StopService is refused (2), an administrator's
StartService, StopService and ChangeStartMode (run as root) are done."""
import json
import os
import subprocess
import tempfile
import time
import uuid

import harness as h
from test_cim import WMI, instances, properties, remote, winrm
from test_cim_methods import invoke_env, output_of

HOLD_SECONDS = 900
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/>
<allow receive_sender="*"/></policy></busconfig>
"""
# The manager's own bus, on the socket it passes (its user bus and the
# system bus's path, which every account may reach), as dbus-user-session
# has it but with a policy that admits every account.
DBUS_SOCKET = """[Socket]
ListenStream=%t/bus
ListenStream=/run/dbus/system_bus_socket
SocketMode=0666
"""
DBUS_SERVICE = """[Unit]
Requires=dbus.socket
[Service]
Type=notify
NotifyAccess=main
ExecStart=/usr/bin/dbus-daemon --config-file=%s --address=systemd: --nofork --nopidfile --systemd-activation
"""
TEST_UNIT = """[Unit]
Description=openwinrm test unit %(name)s
[Service]
ExecStart=/bin/sleep %(marker)s
[Install]
WantedBy=default.target
"""
IDLE_UNIT = """[Unit]
Description=openwinrm idle test unit
[Service]
ExecStart=/bin/sleep 1
"""


def _cgroup_roots():
    """The cgroup directories a test's cgroup is made in: the unified
    hierarchy, and systemd's named one where the machine has both."""
    if os.path.exists("/sys/fs/cgroup/cgroup.procs"):
        return ["/sys/fs/cgroup"]
    return [d for d in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd") if os.path.isdir(d)]


class Manager:
    """The namespace, its bus and its systemd user manager; close() ends
    them and removes the test's cgroups."""

    def __init__(self):
        self.fx = h.fixture()
        self.name = "owt_%s_sd" % self.fx.suffix
        self.idle = "owt_%s_idle" % self.fx.suffix
        self.marker = "%d.%d" % (500000 + uuid.uuid4().int % 100000, os.getpid())
        self.dir = tempfile.mkdtemp(prefix="systemd-", dir=self.fx.run_dir)
        self.cgroups = [os.path.join(root, "owt-%s-systemd" % self.fx.suffix) for root in _cgroup_roots()]
        self.ns = h.Namespaces(["--mount"], HOLD_SECONDS)
        self.proc = None
        # The bus's units as the administrator's (XDG_CONFIG_HOME, as
        # /etc/systemd/system), the test's as a package's (XDG_DATA_HOME, as
        # /lib/systemd/system), which masking hides behind /dev/null.
        config = os.path.join(self.dir, "config", "systemd", "user")
        vendor = os.path.join(self.dir, "data", "systemd", "user")
        os.makedirs(os.path.join(config, "default.target.wants"))
        os.makedirs(vendor)
        with open(os.path.join(self.dir, "bus.conf"), "w") as f:
            f.write(BUS_CONFIG)
        for path, text in ((os.path.join(config, "dbus.socket"), DBUS_SOCKET),
                           (os.path.join(config, "dbus.service"), DBUS_SERVICE % os.path.join(self.dir, "bus.conf")),
                           (os.path.join(vendor, self.name + ".service"),
                            TEST_UNIT % {"name": self.name, "marker": self.marker}),
                           (os.path.join(vendor, self.idle + ".service"), IDLE_UNIT)):
            with open(path, "w") as f:
                f.write(text)
        os.symlink(os.path.join(vendor, self.name + ".service"),
                   os.path.join(config, "default.target.wants", self.name + ".service"))
        self.env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.dir, "XDG_RUNTIME_DIR": "/run/user/0"}
        for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                         ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache")):
            self.env[var] = os.path.join(self.dir, sub)

    def start(self):
        subprocess.run(self.ns.nsenter(["mnt"]) + [
            "sh", "-ec", "mount -t tmpfs -o mode=0755 owt-run /run; "
            "mkdir -p /run/dbus /run/user/0 /run/systemd/system; chmod 700 /run/user/0"], check=True, timeout=30)
        for cg in self.cgroups:
            os.makedirs(cg, exist_ok=True)
        cgroups = self.cgroups

        def into_cgroups():
            for cg in cgroups:
                with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))
        log = open(os.path.join(self.dir, "systemd.log"), "wb")
        self.proc = subprocess.Popen(self.ns.nsenter(["mnt"]) + ["/lib/systemd/systemd", "--user"],
                                     env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     preexec_fn=into_cgroups)
        log.close()
        # The first call on the bus starts it (socket activation); the
        # manager takes its name once the bus runs, and starts the test's
        # enabled unit with default.target.
        deadline = time.monotonic() + 30
        while self.active(self.name) != "active":
            h.check(time.monotonic() < deadline and self.proc.poll() is None,
                    "the test's systemd did not start its unit: %s" % self.systemctl("status", self.name))
            self.bus("GetUnitFileState", "s", self.name + ".service")
            time.sleep(0.2)
        return self

    def run(self, argv):
        r = subprocess.run(self.ns.nsenter(["mnt"]) + argv, env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        return r.returncode, r.stdout.decode(errors="replace")

    def bus(self, method, signature, *args):
        """A Manager call on the system bus's path, as root: its JSON data or None."""
        code, out = self.run(["busctl", "--system", "--json=short", "call", "org.freedesktop.systemd1",
                              "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", method, signature]
                             + [str(a) for a in args])
        return json.loads(out)["data"] if code == 0 else None

    def systemctl(self, *args):
        return self.run(["systemctl", "--user"] + list(args))[1].strip()

    def active(self, name):
        return self.systemctl("is-active", name)

    def wait_active(self, name, want, what):
        deadline = time.monotonic() + 10
        while self.active(name) != want and time.monotonic() < deadline:
            time.sleep(0.1)
        h.eq(self.active(name), want, what)

    def services(self):
        """What Win32_Service should list: the loaded service units whose
        file is there, and every service unit file but templates and aliases."""
        names = set()
        for unit in self.bus("ListUnitsByPatterns", "asas", 0, 1, "*.service")[0]:
            if unit[2] != "not-found":
                names.add(unit[0][:-len(".service")])
        for path, state in self.bus("ListUnitFilesByPatterns", "asas", 0, 1, "*.service")[0]:
            unit = os.path.basename(path)
            if not unit.endswith("@.service") and state != "alias":
                names.add(unit[:-len(".service")])
        return names

    def close(self):
        self.ns.close()
        if self.proc:
            self.proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        for cg in self.cgroups:
            while os.path.isdir(cg) and time.monotonic() < deadline:
                for d, _, _ in sorted(os.walk(cg), key=lambda w: -w[0].count("/")):
                    try:
                        os.rmdir(d)
                    except OSError:
                        pass
                if os.path.isdir(cg):
                    time.sleep(0.1)
            h.check(not os.path.isdir(cg), "the test's cgroup %s is removed" % cg)


def test_services_where_systemd_manages_them():
    sd = Manager()
    svc = None
    try:
        sd.start()
        svc = h.service(wrap=sd.ns.nsenter(["mnt"]))
        a, adm = h.user("a"), h.user("adm")
        uri = "wmicimv2/Win32_Service?Name="

        def get(name):
            code, out, err = winrm(["get", uri + name] + remote(svc, adm))
            h.eq(code, 0, "winrm get %s (%s)" % (name, err))
            return properties(out)

        def invoke(method, user=adm, params=None):
            code, out, err = winrm(["invoke", method, uri + sd.name] + ([params] if params else [])
                                   + remote(svc, user))
            element, values = output_of(out)
            h.eq((code, element), (0, method + "_OUTPUT"), "winrm invoke %s (%s%s)" % (method, out, err))
            return values.get("ReturnValue")

        code, out, err = winrm(["enumerate", "wmicimv2/Win32_Service"] + remote(svc, a), timeout=120)
        h.eq(code, 0, "winrm enumerate Win32_Service as a normal user (%s)" % err)
        seen = {p.get("Name"): p for p in instances(out, "Win32_Service")}
        h.eq(set(seen), sd.services(), "the manager's loaded units and unit files")
        p = seen[sd.name]
        pid = sd.systemctl("show", "-p", "MainPID", "--value", sd.name)
        h.eq((p.get("State"), p.get("Started"), p.get("StartMode"), p.get("ProcessId")),
             ("Running", "true", "Auto", pid), "the test unit, enabled and started by the manager")
        h.eq(p.get("DisplayName"), "openwinrm test unit %s" % sd.name, "DisplayName (Description)")
        h.eq(p.get("PathName"), "/bin/sleep " + sd.marker, "PathName (ExecStart)")
        idle = seen[sd.idle]
        h.eq((idle.get("State"), idle.get("StartMode")), ("Stopped", "Manual"),
             "a unit file never loaded: stopped, static")

        r = h.request(svc, invoke_env("Win32_Service", "StopService", [("Name", sd.name)]), auth=a)
        h.eq(r.xml().findtext(".//{%sWin32_Service}ReturnValue" % WMI), "2",
             "a normal user's StopService: the manager refuses it (%r)" % r)
        h.eq(sd.active(sd.name), "active", "still running")

        h.eq(invoke("StopService"), "0", "an administrator's StopService (as root)")
        sd.wait_active(sd.name, "inactive", "stopped by StopUnit")
        h.eq(get(sd.name).get("State"), "Stopped", "then its State")
        h.eq(invoke("StopService"), "5", "StopService of a stopped unit")
        h.eq(invoke("StartService"), "0", "StartService")
        sd.wait_active(sd.name, "active", "started by StartUnit")
        h.eq(invoke("StartService"), "10", "StartService of a running unit")

        for mode, enabled, shown in (("Manual", "disabled", "Manual"), ("Disabled", "masked", "Disabled"),
                                     ("Automatic", "enabled", "Auto")):
            h.eq(invoke("ChangeStartMode", params='@{StartMode="%s"}' % mode), "0", "ChangeStartMode %s" % mode)
            h.eq(sd.systemctl("is-enabled", sd.name), enabled, "the unit file after ChangeStartMode %s" % mode)
            h.eq(get(sd.name).get("StartMode"), shown, "StartMode after ChangeStartMode %s" % mode)
            if mode == "Disabled":
                h.eq(invoke("StopService"), "0", "StopService of the masked unit")
                h.eq(invoke("StartService"), "14", "StartService of a masked unit")
                h.eq(sd.active(sd.name), "inactive", "not started")
        h.eq(invoke("ChangeStartMode", user=a, params='@{StartMode="Disabled"}'), "2",
             "a normal user's ChangeStartMode")
        h.eq(sd.systemctl("is-enabled", sd.name), "enabled", "unchanged by the normal user")
        h.assert_serving(svc)
    finally:
        if svc:
            svc.stop()
        sd.close()
