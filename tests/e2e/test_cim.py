"""Management data (issue 16, first slice): WMI's and DMTF's class URIs
with Get and Enumerate/Pull, read by our winrm command and by pywinrm's
raw protocol, checked against this host's own values; unknown classes
and outsiders get Windows' faults."""
import os
import re
import socket
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime

import harness as h

WMI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"
DMTF = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CIM = "http://schemas.dmtf.org/wbem/wscim/1/common"
A_GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
A_ENUMERATE = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
A_PULL = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
ENUM_NS = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
WSMAN_NS = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
CODE_NOT_FOUND = 2150858752
CODE_ACCESS_DENIED = 5


def winrm(args, timeout=60):
    argv = [h.client_path("winrm")] + list(args) + ["--config-dir", h.client_config()]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    for pat in h.SANITIZER_PATTERNS:
        h.check(pat.encode() not in r.stderr, "winrm: sanitizer report:\n%s" % r.stderr.decode(errors="replace"))
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def remote(svc, u):
    return ["-r:" + svc.url(), "-u:" + u.name, "-p:" + u.password, "-a:Basic", "-skipCAcheck"]


def pretty_name():
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            for line in open(path):
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip("\"'")
        except OSError:
            pass
    return "Linux"


def meminfo_kb(key):
    for line in open("/proc/meminfo"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise h.TestFailure("no %s in /proc/meminfo" % key)


def boot_time():
    for line in open("/proc/stat"):
        if line.startswith("btime "):
            return int(line.split()[1])
    raise h.TestFailure("no btime in /proc/stat")


def properties(text):
    """winrm's plain text ("    Name = value") as a dict; a datetime's
    cim:Datetime shows as its own "Datetime = ..." line under the name."""
    out, last = {}, None
    for line in text.splitlines():
        m = re.match(r"^(\s*)(\w+)(?: = (.*))?$", line)
        if not m:
            continue
        if m.group(3) is None:
            last = m.group(2)
        elif m.group(2) == "Datetime" and last:
            out[last] = m.group(3)
        else:
            out[m.group(2)] = m.group(3)
    return out


def get_env(resource, selectors=None, action=A_GET, body=""):
    return h.envelope(action, body, resource=resource, selectors=selectors)


def parse_datetime(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def test_winrm_get_operating_system():
    """`winrm get wmicimv2/Win32_OperatingSystem` as a member of the remote
    users' group: this host's values."""
    svc = h.service()
    code, out, err = winrm(["get", "wmicimv2/Win32_OperatingSystem"] + remote(svc, h.user("a")))
    h.eq(code, 0, "winrm get (%s)" % err)
    p = properties(out)
    h.check(out.startswith("Win32_OperatingSystem"), "the class heads the output:\n%s" % out)
    h.eq(p.get("Caption"), pretty_name(), "Caption (os-release PRETTY_NAME)")
    h.eq(p.get("Version"), os.uname().release, "Version (kernel release)")
    h.eq(p.get("CSName"), os.uname().nodename, "CSName (host name)")
    h.eq(p.get("OSArchitecture"), "64-bit" if "64" in os.uname().machine else "32-bit", "OSArchitecture")
    h.eq(int(p.get("TotalVisibleMemorySize", "0")), meminfo_kb("MemTotal"), "TotalVisibleMemorySize (KB)")
    free = int(p.get("FreePhysicalMemory", "0"))
    h.check(0 < free <= meminfo_kb("MemTotal"), "FreePhysicalMemory %d KB within MemTotal" % free)
    h.check(int(p.get("NumberOfProcesses", "0")) > 1, "NumberOfProcesses: %s" % p.get("NumberOfProcesses"))
    h.check(abs(parse_datetime(p["LastBootUpTime"]) - boot_time()) <= 1,
            "LastBootUpTime %s is /proc/stat's btime %d" % (p.get("LastBootUpTime"), boot_time()))
    h.check(abs(parse_datetime(p["LocalDateTime"]) - time.time()) < 60, "LocalDateTime %s is now" % p.get("LocalDateTime"))


def test_winrm_enumerate_classes():
    """`winrm enumerate` (optimized Enumerate, then Pulls) of both classes, as an administrator."""
    svc = h.service()
    adm = h.user("adm")
    code, out, err = winrm(["enumerate", "wmicimv2/Win32_OperatingSystem"] + remote(svc, adm))
    h.eq(code, 0, "winrm enumerate Win32_OperatingSystem (%s)" % err)
    h.eq(properties(out).get("Version"), os.uname().release, "enumerated Version")
    code, out, err = winrm(["enumerate", "wmicimv2/Win32_ComputerSystem"] + remote(svc, adm))
    h.eq(code, 0, "winrm enumerate Win32_ComputerSystem (%s)" % err)
    p = properties(out)
    h.eq(p.get("Name"), os.uname().nodename.split(".")[0], "Name")
    h.eq(int(p.get("NumberOfLogicalProcessors", "0")), os.sysconf("SC_NPROCESSORS_ONLN"), "NumberOfLogicalProcessors")
    h.eq(int(p.get("TotalPhysicalMemory", "0")), meminfo_kb("MemTotal") * 1024, "TotalPhysicalMemory (bytes)")
    h.check(int(p.get("NumberOfProcessors", "0")) >= 1, "NumberOfProcessors: %s" % p.get("NumberOfProcessors"))
    try:
        vendor = open("/sys/class/dmi/id/sys_vendor").read().strip()
    except OSError:
        vendor = None
    if vendor:
        h.eq(p.get("Manufacturer"), vendor, "Manufacturer (/sys/class/dmi/id/sys_vendor)")
    h.check("Domain" in p, "a Domain: %s" % out)
    short = os.uname().nodename.split(".")[0]
    code, out, err = winrm(["get", "wmicimv2/Win32_ComputerSystem?Name=" + short] + remote(svc, adm))
    h.eq((code, properties(out).get("Name")), (0, short), "winrm get with a selector (%s)" % err)
    code, out, err = winrm(["get", "cimv2/CIM_ComputerSystem"] + remote(svc, adm))
    h.eq(code, 0, "winrm get cimv2/CIM_ComputerSystem (%s)" % err)
    h.check(out.startswith("CIM_ComputerSystem"), "DMTF's class heads the output:\n%s" % out)
    h.eq(properties(out).get("Name"), short, "DMTF Name")


def instances(text, class_name):
    """winrm's plain text of many instances, each headed by its class: a
    list of property dicts."""
    blocks, current = [], None
    for line in text.splitlines():
        if line.split(" [")[0] == class_name:
            current = []
            blocks.append(current)
        elif current is not None:
            current.append(line)
    return [properties("\n".join(b)) for b in blocks]


def test_winrm_processes():
    """Win32_Process: every process the user sees (more than one page of
    the host's answer), a process the test started among them with its
    values, and a Get of it by its key, Handle."""
    svc = h.service()
    u = h.user("a")
    marker = "300.%d" % (uuid.uuid4().int % 100000)  # a command line no other process has
    child = subprocess.Popen(["sleep", marker])
    try:
        code, out, err = winrm(["enumerate", "wmicimv2/Win32_Process"] + remote(svc, u))
        h.eq(code, 0, "winrm enumerate Win32_Process (%s)" % err)
        seen = instances(out, "Win32_Process")
        expected = len([d for d in os.listdir("/proc") if d.isdigit()])
        h.check(len(seen) > 10 and abs(len(seen) - expected) < max(10, expected // 4),
                "%d processes enumerated, /proc has %d" % (len(seen), expected))
        mine = [p for p in seen if p.get("Handle") == str(child.pid)]
        h.eq(len(mine), 1, "the test's own sleep among them")
        p = mine[0]
        h.eq(p.get("Name"), "sleep", "Name (the process's comm)")
        h.eq(p.get("CommandLine"), "sleep " + marker, "CommandLine")
        h.eq(p.get("ParentProcessId"), str(os.getpid()), "ParentProcessId")
        h.eq(p.get("ProcessId"), str(child.pid), "ProcessId")
        h.check(abs(parse_datetime(p["CreationDate"]) - time.time()) < 120, "CreationDate %s is recent" % p.get("CreationDate"))
        code, out, err = winrm(["get", "wmicimv2/Win32_Process?Handle=%d" % child.pid] + remote(svc, u))
        h.eq(code, 0, "winrm get Win32_Process?Handle= (%s)" % err)
        h.eq(properties(out).get("CommandLine"), "sleep " + marker, "got CommandLine")
        code, out, err = winrm(["get", "wmicimv2/Win32_Process"] + remote(svc, u))
        h.check(code != 0 and "2150858752" not in err, "a Get of many without a key is refused: %s" % err)
    finally:
        child.kill()
        child.wait(timeout=10)


def test_pywinrm_raw_get_shape():
    """pywinrm's Protocol.send_message with a Get of Win32_OperatingSystem:
    the instance in Windows' shape (p: in the class URI's namespace,
    xsi:type, alphabetical order, cim:Datetime)."""
    import xmltodict  # noqa: F401 (pywinrm's own dependency; the envelope is ours)
    svc = h.service()
    p = h.protocol(svc, h.user("a"))
    reply = p.send_message(get_env(WMI + "Win32_OperatingSystem").decode())
    root = ET.fromstring(reply)
    inst = root.find("{http://www.w3.org/2003/05/soap-envelope}Body")[0]
    h.eq(inst.tag, "{%sWin32_OperatingSystem}Win32_OperatingSystem" % WMI, "the instance element")
    h.eq(inst.get("{%s}type" % XSI), "p:Win32_OperatingSystem_Type", "xsi:type")
    names = [c.tag.split("}")[1] for c in inst]
    h.eq(names, sorted(names, key=str.lower), "properties in alphabetical order, case-insensitively (Caption before CSName)")
    h.check({"BuildNumber", "CSName", "Caption", "LastBootUpTime", "LocalDateTime", "Version"} <= set(names),
            "the slice's properties: %s" % names)
    boot = inst.find("{%sWin32_OperatingSystem}LastBootUpTime/{%s}Datetime" % (WMI, CIM))
    h.check(boot is not None and abs(parse_datetime(boot.text) - boot_time()) <= 1,
            "LastBootUpTime in cim:Datetime: %r" % (boot.text if boot is not None else None))
    h.check(b'xmlns:p="%sWin32_OperatingSystem"' % WMI.encode() in reply,
            "the p prefix as Windows binds it: %s" % reply[:400])


def test_get_with_selectors_and_dmtf_uri():
    """A Get names the instance by its key (Name), a wrong key is Windows'
    not-found fault; DMTF's URI serves CIM_ classes only."""
    svc = h.service()
    u = h.user("a")
    r = h.request(svc, get_env(WMI + "Win32_ComputerSystem",
                               selectors=[("Name", os.uname().nodename.split(".")[0].upper())]), auth=u)
    h.eq(r.status, 200, "Get by Name, any case (%s)" % h._short(r.body, 300))
    r = h.request(svc, get_env(WMI + "Win32_ComputerSystem", selectors=[("Name", "no-such-machine")]), auth=u)
    h.eq((r.status, r.fault().subcode_local), (500, "InvalidSelectors"), "no such instance (%r)" % r)
    r = h.request(svc, get_env(WMI + "Win32_ComputerSystem", selectors=[("NoSuchKey", "x")]), auth=u)
    h.eq((r.status, r.fault().subcode_local), (500, "InvalidSelectors"), "no such key (%r)" % r)
    r = h.request(svc, get_env(DMTF + "CIM_OperatingSystem"), auth=u)
    h.eq(r.status, 200, "DMTF Get (%s)" % h._short(r.body, 300))
    inst = r.xml().find("{http://www.w3.org/2003/05/soap-envelope}Body")[0]
    h.eq(inst.tag, "{%sCIM_OperatingSystem}CIM_OperatingSystem" % DMTF, "DMTF's element")
    h.eq(inst.findtext("{%sCIM_OperatingSystem}Version" % DMTF), os.uname().release, "DMTF Version")
    r = h.request(svc, get_env(DMTF + "Win32_OperatingSystem"), auth=u)
    h.eq((r.status, r.fault().code), (500, CODE_NOT_FOUND), "a Win32_ class by the DMTF URI (%r)" % r)


def test_enumerate_then_pull():
    """An Enumerate without OptimizeEnumeration gets the context alone; the
    Pull gets the instance and the end of the sequence."""
    svc = h.service()
    u = h.user("a")
    r = h.request(svc, get_env(WMI + "Win32_ComputerSystem", action=A_ENUMERATE, body="<n:Enumerate/>"), auth=u)
    h.eq(r.status, 200, "Enumerate (%s)" % h._short(r.body, 300))
    ctx = r.xml().findtext(".//{%s}EnumerationContext" % ENUM_NS)
    h.check(ctx, "an EnumerationContext: %s" % h._short(r.body, 300))
    pull = get_env(WMI + "Win32_ComputerSystem", action=A_PULL,
                   body="<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>"
                        "<n:MaxElements>5</n:MaxElements></n:Pull>" % ctx)
    r = h.request(svc, pull, auth=u)
    h.eq(r.status, 200, "Pull (%s)" % h._short(r.body, 300))
    items = r.xml().find(".//{%s}Items" % ENUM_NS)
    h.check(items is not None and len(items) == 1, "one instance pulled: %s" % h._short(r.body, 500))
    h.check(r.xml().find(".//{%s}EndOfSequence" % ENUM_NS) is not None, "EndOfSequence")
    r = h.request(svc, pull, auth=u)
    h.eq((r.status, r.fault().subcode_local), (500, "InvalidEnumerationContext"), "the context is over (%r)" % r)
    r = h.request(svc, get_env(WMI + "Win32_ComputerSystem", action=A_ENUMERATE,
                               body="<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements>"
                                    "</n:Enumerate>"), auth=u)
    h.eq(r.status, 200, "optimized Enumerate (%s)" % h._short(r.body, 300))
    h.check(r.xml().find(".//{%s}EndOfSequence" % WSMAN_NS) is not None, "all in the optimized reply")


def test_unknown_class_and_namespace():
    svc = h.service()
    u = h.user("a")
    for uri in (WMI + "Win32_NoSuchClass", "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/nosuch/Win32_OperatingSystem",
                WMI + "*"):
        r = h.request(svc, get_env(uri), auth=u)
        h.eq(r.status, 500, "status for %s" % uri)
        f = r.fault()
        h.eq(f.subcode_local, "DestinationUnreachable", "subcode for %s (%r)" % (uri, f))
        h.check(f.code in (CODE_NOT_FOUND, 2150858811), "code for %s (%r)" % (uri, f))
    h.assert_serving(svc)


def test_wmi_errors_in_windows_shape():
    """WMI's own errors come as Windows' WMI plug-in writes them: the
    detail a p:MSFT_WmiError whose error_Code a client reads. A Get
    without keys of a class of many instances is
    ERROR_WSMAN_INVALID_URI_WMI_SINGLETON, which a WMI library over
    pywinrm takes as its cue to enumerate instead (it looks for
    wmie:MSFT_WmiError/wmie:error_Code under the fault's detail); our
    winrm prints its words and code; the service keeps serving."""
    svc = h.service()
    u = h.user("a")
    r = h.request(svc, get_env(WMI + "Win32_Process"), auth=u)
    f = r.fault()
    h.eq((r.status, f.subcode_local), (500, "InvalidSelectors"), "a Get of many without keys (%r)" % f)
    detail = r.xml().find("s:Body/s:Fault/s:Detail", h.NS)
    h.eq(detail.findtext("wmie:MSFT_WmiError/wmie:error_Code", None, h.NS), "2150859002",
         "error_Code where the WMI library looks for it: %s" % h._short(r.body, 600))
    h.check(detail.find("f:WSManFault", h.NS) is None, "no f:WSManFault beside it")
    props = f.wmi_error
    h.eq(list(props), ["CIMStatusCode", "CIMStatusCodeDescription", "ErrorSource", "ErrorSourceFormat", "ErrorType",
                       "Message", "MessageID", "OtherErrorSourceFormat", "OtherErrorType", "OwningEntity",
                       "PerceivedSeverity", "ProbableCause", "ProbableCauseDescription", "error_Category",
                       "error_Code", "error_Type", "error_WindowsErrorMessage"],
         "MSFT_WmiError's properties in the order of a recorded Windows reply")
    h.eq((props["MessageID"], props["error_Type"], props["CIMStatusCode"]),
         ("HRESULT 0x803380fa", "HRESULT", "4"), "its HRESULT and MI result")
    h.check(props["Message"].startswith("The WinRM client cannot process the request. The resource URI is not valid"),
            "Windows' words: %r" % props["Message"])
    h.check(detail.find("wmie:MSFT_WmiError", h.NS).get("{http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd}IsCIM_Error")
            == "true", "b:IsCIM_Error")
    code, out, err = winrm(["get", "wmicimv2/Win32_Process"] + remote(svc, u))
    h.check(code != 0 and "2150859002" in err and "not a singleton" in err, "winrm's message: %s" % err)
    r = h.request(svc, get_env(WMI + "Win32_OperatingSystem"), auth=u)
    h.eq(r.status, 200, "the singleton is got without keys")
    h.assert_serving(svc)


def test_outsider_refused():
    """A user in neither group gets WinRM's access denied and no data, logged."""
    svc = h.service()
    out = h.user("out")
    mark = svc.log_mark()
    r = h.request(svc, get_env(WMI + "Win32_OperatingSystem"), auth=out)
    h.eq(r.status, 500, "status (%s)" % h._short(r.body, 300))
    h.eq(r.fault().subcode_local, "AccessDenied", "subcode")
    h.check(b"Caption" not in r.body, "no data in the refusal")
    svc.wait_for_log([re.escape(out.name), h.FAILURE_WORDS + r"|access"], since=mark)
    code, stdout, err = winrm(["get", "wmicimv2/Win32_OperatingSystem"] + remote(svc, out))
    h.check(code != 0 and "Caption" not in stdout, "winrm get as an outsider: %d %s" % (code, stdout))
    h.assert_serving(svc)


def test_wsl_enumerates_dmtf_class():
    """Dell's WS-Man command line (Debian's wsl: bash, curl and xmllint),
    a client not written here, enumerates DMTF's CIM_OperatingSystem over
    HTTPS with Basic: an Enumerate, then a Pull, each answered."""
    import shutil
    import tempfile
    h.check(shutil.which("wslenum") and shutil.which("uuidgen"),
            "wslenum or uuidgen missing (Debian packages wsl, uuid-runtime)")
    svc = h.service()
    u = h.user("a")
    li = svc.listener()
    out_dir = tempfile.mkdtemp(prefix="owt-wsl-")
    try:
        env = dict(os.environ, WSENDPOINT="%s:%d" % (li.host, li.port), WSUSER=u.name, WSPASS=u.password,
                   WSDONTASK="y", KEEPHISTORY="0", OUTPREFIX=out_dir)
        r = subprocess.run(["wslenum", "CIM_OperatingSystem"], env=env, cwd=out_dir, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        text = r.stdout.decode(errors="replace")
        replies = sorted(f for f in os.listdir(out_dir) if re.match(r"response-\d+\.xml$", f))
        h.check(len(replies) >= 2, "an Enumerate and a Pull: %s\n%s" % (os.listdir(out_dir), text))
        found = []
        for f in replies:
            root = ET.parse(os.path.join(out_dir, f)).getroot()
            h.check(root.find(".//{http://www.w3.org/2003/05/soap-envelope}Fault") is None,
                    "%s is a fault: %s" % (f, ET.tostring(root)[:600]))
            found += root.iter("{%sCIM_OperatingSystem}CIM_OperatingSystem" % DMTF)
        h.eq(len(found), 1, "instances wsl received")
        h.eq(found[0].findtext("{%sCIM_OperatingSystem}Version" % DMTF), os.uname().release, "Version")
    finally:
        shutil.rmtree(out_dir)


def test_winrm_get_over_http_sealed_with_ntlm():
    """Our winrm with Negotiate (NTLM) over plain HTTP: the Get and the
    reply travel sealed, and the instance is the same."""
    import test_ntlm
    svc = test_ntlm.ntlm_service()
    u = h.user("a")
    argv = [h.client_path("winrm"), "get", "wmicimv2/Win32_OperatingSystem", "-r:" + svc.url("HTTP"),
            "-u:" + u.name, "-p:" + u.password, "-a:Negotiate",
            "--config-dir", h.client_config({"Client/TrustedHosts": "127.0.0.1"})]
    # gss-ntlmssp's initiator leaks inside its own code, which only
    # LeakSanitizer's full unwind shows to tests/lsan.supp (as test_ntlm's winrs).
    lsan = os.environ.get("LSAN_OPTIONS", "")
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                       env=dict(os.environ, LSAN_OPTIONS=(lsan + ":" if lsan else "") + "fast_unwind_on_malloc=0"))
    out = r.stdout.decode(errors="replace")
    for pat in h.SANITIZER_PATTERNS:
        h.check(pat.encode() not in r.stderr, "winrm: sanitizer report:\n%s" % r.stderr.decode(errors="replace"))
    h.eq(r.returncode, 0, "winrm get -a:Negotiate over HTTP (%s)" % r.stderr.decode(errors="replace"))
    h.eq(properties(out).get("Version"), os.uname().release, "Version over sealed HTTP")
    svc.wait_for_log(r"authentication success: .*as user \"%s\".*\(NTLM\)" % u.name)


def test_served_with_remote_shells_off():
    """AllowRemoteShellAccess governs shells only: with it off a Create is
    refused and WMI's data is still read, by a plain user."""
    svc = h.service({"Winrs/AllowRemoteShellAccess": "false"})
    u = h.user("a")
    r = h.request(svc, h.create_env(), auth=u)
    h.eq(r.status, 500, "Create with shells off (%s)" % h._short(r.body, 300))
    r = h.request(svc, get_env(WMI + "Win32_OperatingSystem"), auth=u)
    h.eq(r.status, 200, "Get with shells off (%s)" % h._short(r.body, 300))
    h.eq(r.xml().findtext(".//{%sWin32_OperatingSystem}Version" % WMI), os.uname().release, "Version")


# ---- filters: WQL (MS-WSMV 3.1.4.1.13, MS-WMI 2.2.1.1) and selectors ----

WQL = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
SELECTOR_DIALECT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
CODE_CANNOT_PROCESS_FILTER = 2150858778


def enumerate_env(resource, flt, dialect=WQL, element="w:Filter"):
    """An optimized Enumerate with a filter (flt is the filter's inner XML)."""
    f = '<%s Dialect="%s">%s</%s>' % (element, dialect, flt, element)
    return get_env(resource, action=A_ENUMERATE,
                   body="<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements>%s"
                        "</n:Enumerate>" % f)


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def items_of(r):
    items = r.xml().find(".//{%s}Items" % WSMAN_NS)
    h.check(items is not None, "an optimized reply with w:Items: %s" % h._short(r.body, 500))
    h.check(r.xml().find(".//{%s}EndOfSequence" % WSMAN_NS) is not None, "all in one reply")
    return list(items)


def wql(svc, u, query, resource=WMI + "*"):
    return h.request(svc, enumerate_env(resource, xml_escape(query)), auth=u)


def test_winrm_enumerate_wql_keeps_and_drops():
    """`winrm enumerate wmicimv2/* -filter:"select * from ..."`, as Windows'
    winrm sends it (WQL, the default dialect): a WHERE that holds keeps
    the instance, one that does not drops it, on both classes."""
    svc = h.service()
    u = h.user("a")
    word = pretty_name().split()[0]
    short = os.uname().nodename.split(".")[0]
    kept = [
        ("select * from Win32_OperatingSystem where OSType = 36", "Win32_OperatingSystem"),
        ("SELECT * FROM win32_operatingsystem WHERE caption LIKE '%%%s%%'" % word.lower(), "Win32_OperatingSystem"),
        ("select * from Win32_OperatingSystem where OSType >= 36 and not (Version <> '%s')" % os.uname().release,
         "Win32_OperatingSystem"),
        ("select * from Win32_ComputerSystem where NumberOfLogicalProcessors >= 1 and Name = '%s'" % short.upper(),
         "Win32_ComputerSystem"),
        ("select * from Win32_OperatingSystem where LastBootUpTime < '%s'"
         % time.strftime("%Y%m%d%H%M%S.000000+000", time.gmtime(time.time() + 3600)), "Win32_OperatingSystem"),
    ]
    for query, cls in kept:
        code, out, err = winrm(["enumerate", "wmicimv2/*", "-filter:" + query] + remote(svc, u))
        h.eq(code, 0, "%s (%s)" % (query, err))
        h.check(out.startswith(cls), "%s keeps the instance:\n%s" % (query, out))
    h.eq(properties(out).get("LastBootUpTime") is not None, True, "the whole instance")
    dropped = [
        "select * from Win32_OperatingSystem where OSType = 18",
        "select * from Win32_OperatingSystem where Caption like '%Windows Server%'",
        "select * from Win32_ComputerSystem where Name = 'no-such-machine' or NumberOfLogicalProcessors > 100000",
        "select * from Win32_OperatingSystem where LastBootUpTime > '%s'"
        % time.strftime("%Y%m%d%H%M%S.000000+000", time.gmtime(time.time() + 3600)),
    ]
    for query in dropped:
        code, out, err = winrm(["enumerate", "wmicimv2/*", "-filter:" + query] + remote(svc, u))
        h.eq((code, out.strip()), (0, ""), "%s drops the instance (%s)" % (query, err))
    # The class's own URI with a query of it, and the DMTF URI.
    code, out, err = winrm(["enumerate", "wmicimv2/Win32_OperatingSystem", "-filter:select * from "
                            "Win32_OperatingSystem where OSType = 36", "-dialect:WQL"] + remote(svc, u))
    h.eq((code, out.startswith("Win32_OperatingSystem")), (0, True), "the class URI with -dialect:WQL (%s)" % err)
    code, out, err = winrm(["enumerate", "cimv2/CIM_OperatingSystem", "-filter:select * from "
                            "CIM_OperatingSystem where OSType = 36"] + remote(svc, u))
    h.eq((code, out.startswith("CIM_OperatingSystem")), (0, True), "DMTF's URI (%s)" % err)


def test_wql_select_list():
    """`select Caption, Version from ...`: Windows' w:XmlFragment of the
    selected properties alone, unqualified, in alphabetical order (MS-WSMV
    3.1.4.1.13 <58> <59>), shown by winrm as XmlFragment."""
    svc = h.service()
    u = h.user("a")
    r = wql(svc, u, "select Version, LastBootUpTime, caption from Win32_OperatingSystem")
    h.eq(r.status, 200, "a select list (%s)" % h._short(r.body, 300))
    items = items_of(r)
    h.eq(len(items), 1, "one item")
    frag = items[0]
    h.eq(frag.tag, "{%s}XmlFragment" % WSMAN_NS, "the item is w:XmlFragment")
    h.eq([c.tag for c in frag], ["Caption", "LastBootUpTime", "Version"], "the selected properties, unqualified")
    h.eq(frag.findtext("Version"), os.uname().release, "Version")
    h.eq(frag.findtext("Caption"), pretty_name(), "Caption")
    h.check(abs(parse_datetime(frag.findtext("LastBootUpTime/Datetime")) - boot_time()) <= 1,
            "a datetime in an unqualified Datetime: %s" % h._short(r.body, 800))
    code, out, err = winrm(["enumerate", "wmicimv2/*", "-filter:select Caption, OSType from "
                            "Win32_OperatingSystem"] + remote(svc, u))
    h.eq(code, 0, "winrm with a select list (%s)" % err)
    p = properties(out)
    h.check(out.startswith("XmlFragment"), "winrm shows the fragment:\n%s" % out)
    h.eq((p.get("Caption"), p.get("OSType"), "Version" in p), (pretty_name(), "36", False),
         "the selected properties alone:\n%s" % out)


def test_wql_raw_shapes():
    """A raw Enumerate of wmi/root/cimv2/* with a w:Filter (and with an
    n:Filter, which MS-WSMV reads alike): the instance in its own class's
    namespace, as Windows Server 2008 R2 was recorded answering; Pulls
    serve a filtered enumeration as any other."""
    svc = h.service()
    u = h.user("a")
    for element in ("w:Filter", "n:Filter"):
        r = h.request(svc, enumerate_env(WMI + "*", "select * from Win32_ComputerSystem where "
                                         "NumberOfLogicalProcessors &gt; 0", element=element), auth=u)
        h.eq(r.status, 200, "%s (%s)" % (element, h._short(r.body, 300)))
        items = items_of(r)
        h.eq([i.tag for i in items], ["{%sWin32_ComputerSystem}Win32_ComputerSystem" % WMI],
             "the instance in its class's namespace")
        h.check(b'xmlns:p="%sWin32_ComputerSystem"' % WMI.encode() in r.body, "p bound to the class URI")
    r = h.request(svc, get_env(WMI + "*", action=A_ENUMERATE,
                               body='<n:Enumerate><w:Filter Dialect="%s">select * from Win32_OperatingSystem'
                                    '</w:Filter></n:Enumerate>' % WQL), auth=u)
    ctx = r.xml().findtext(".//{%s}EnumerationContext" % ENUM_NS)
    h.check(r.status == 200 and ctx, "an unoptimized filtered Enumerate: %s" % h._short(r.body, 300))
    r = h.request(svc, get_env(WMI + "*", action=A_PULL,
                               body="<n:Pull><n:EnumerationContext>%s</n:EnumerationContext></n:Pull>" % ctx),
                  auth=u)
    h.eq(r.status, 200, "Pull (%s)" % h._short(r.body, 300))
    h.eq(r.xml().findtext(".//{%sWin32_OperatingSystem}OSType" % WMI), "36", "the instance pulled")


def test_selector_filter():
    """The selector filter dialect (DSP0226 Annex E): instances whose
    properties equal the selectors, by winrm -dialect:selector and raw;
    MS-WSMV's refusals (a quote in a value, a name twice, a datetime)."""
    svc = h.service()
    u = h.user("a")
    short = os.uname().nodename.split(".")[0]
    code, out, err = winrm(["enumerate", "wmicimv2/Win32_ComputerSystem", "-dialect:selector",
                            '-filter:{Name="%s"}' % short.upper()] + remote(svc, u))
    h.eq((code, properties(out).get("Name")), (0, short), "selector keeps (%s)" % err)
    code, out, err = winrm(["enumerate", "wmicimv2/Win32_ComputerSystem", "-dialect:selector",
                            '-filter:{Name="no-such-machine"}'] + remote(svc, u))
    h.eq((code, out.strip()), (0, ""), "selector drops (%s)" % err)

    def sel(pairs, resource=WMI + "Win32_OperatingSystem"):
        flt = "<w:SelectorSet>%s</w:SelectorSet>" % "".join(
            '<w:Selector Name="%s">%s</w:Selector>' % (k, xml_escape(v)) for k, v in pairs)
        return h.request(svc, enumerate_env(resource, flt, dialect=SELECTOR_DIALECT), auth=u)
    r = sel([("OSType", "36"), ("CSName", os.uname().nodename.upper())])
    h.eq(r.status, 200, "two selectors (%s)" % h._short(r.body, 300))
    h.eq(len(items_of(r)), 1, "both equal: kept")
    r = sel([("OSType", "36.0")])
    h.eq(len(items_of(r)), 1, "a number compares as a number")
    r = sel([("OSType", "18")])
    h.eq(len(items_of(r)), 0, "not equal: dropped")
    for pairs, why in (([("Caption", "it's")], "a quote in a value"),
                       ([("OSType", "36"), ("ostype", "36")], "a name twice"),
                       ([("LastBootUpTime", "x")], "a datetime property"),
                       ([("NoSuchProperty", "1")], "a property the class lacks")):
        r = sel(pairs)
        h.eq((r.status, r.fault().subcode_local, r.fault().code), (500, "CannotProcessFilter",
             CODE_CANNOT_PROCESS_FILTER), "%s (%s)" % (why, h._short(r.body, 300)))
    r = sel([("OSType", "36")], resource=WMI + "*")
    h.eq(r.fault().subcode_local, "CannotProcessFilter", "a selector filter on a * URI")
    h.assert_serving(svc)


def test_bad_filters_refused_and_service_serves():
    """Malformed and hostile queries: n:CannotProcessFilter with
    2150858778 (Windows' reply to a bad WQL query), before the host is
    asked, logged; the service keeps serving."""
    svc = h.service()
    u = h.user("a")
    mark = svc.log_mark()
    bad = [
        "select * from Win32_OperatingSystem where " + "(" * 40 + "OSType = 36" + ")" * 40,
        "select * from Win32_OperatingSystem where " + "NOT " * 40 + "OSType = 36",
        "select * from Win32_OperatingSystem where Caption = '%s'" % ("x" * 3000),
        "select * from Win32_OperatingSystem where OSType ~ 36",
        "select * from Win32_OperatingSystem where OSType == 36",
        "select * from Win32_OperatingSystem where",
        "select * form Win32_OperatingSystem",
        "select * from Win32_OperatingSystem where Caption = 'unterminated",
        "select * from Win32_OperatingSystem where " + " or ".join("OSType = %d" % i for i in range(100)),
        "select * from Win32_NoSuchClass",
        "select * from Win32_OperatingSystem where NoSuchProperty = 1",
        "select NoSuchProperty from Win32_OperatingSystem",
        "select * from Win32_OperatingSystem where OSType = 'thirty-six'",
        "select * from Win32_OperatingSystem where LastBootUpTime LIKE '2024%'",
        "",
    ]
    for query in bad:
        r = wql(svc, u, query)
        h.eq((r.status, r.fault().subcode_local, r.fault().code),
             (500, "CannotProcessFilter", CODE_CANNOT_PROCESS_FILTER), "%s: %r" % (query[:80], r))
        h.check(r.fault().reason.startswith("The data source could not process the filter."),
                "Windows' reason: %r" % r.fault().reason)
    r = h.request(svc, enumerate_env(WMI + "*", "select * from X where " + "a" * 5000), auth=u)
    h.eq(r.fault().subcode_local, "CannotProcessFilter", "a filter past 4096 bytes")
    svc.wait_for_log([r"enumeration filter refused for %s: nested deeper" % re.escape(u.name)], since=mark)
    code, out, err = winrm(["enumerate", "wmicimv2/*", "-filter:select * from Win32_OperatingSystem "
                            "where OSType ~ 36"] + remote(svc, u))
    h.check(code != 0 and "CannotProcessFilter" in err and "2150858778" in err,
            "winrm reports the refusal: %d %s" % (code, err))
    h.assert_serving(svc)


def test_wildcard_and_dialects_refused():
    """A * URI takes a WQL query and nothing else (unverified against
    Windows: a:DestinationUnreachable as for any resource URI it cannot
    serve); a dialect other than WQL and Selector is WS-Enumeration's
    n:FilterDialectRequestedUnavailable."""
    svc = h.service()
    u = h.user("a")
    for r, what in ((h.request(svc, get_env(WMI + "*", action=A_ENUMERATE, body="<n:Enumerate/>"), auth=u),
                     "a * URI without a filter"),
                    (h.request(svc, enumerate_env(WMI + "*", "/a", dialect="http://www.w3.org/TR/1999/"
                                                  "REC-xpath-19991116"), auth=u), "XPath on a * URI")):
        h.eq((r.status, r.fault().subcode_local), (500, "DestinationUnreachable"), "%s (%r)" % (what, r))
    r = h.request(svc, enumerate_env(WMI + "Win32_OperatingSystem", "/a",
                                     dialect="http://www.w3.org/TR/1999/REC-xpath-19991116"), auth=u)
    h.eq((r.status, r.fault().subcode_local, r.fault().code),
         (500, "FilterDialectRequestedUnavailable", 2150858777), "XPath (%r)" % r)
    code, out, err = winrm(["enumerate", "wmicimv2/*"] + remote(svc, u))
    h.check(code != 0, "winrm enumerate wmicimv2/* without a filter: %d %s %s" % (code, out, err))
    h.assert_serving(svc)


WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
ANONYMOUS = WSA + "/role/anonymous"
SOAP_BODY = "{http://www.w3.org/2003/05/soap-envelope}Body"


def mode_env(resource, mode, extra="", optimize=True):
    """An Enumerate asking for EnumerateEPR or EnumerateObjectAndEPR (DSP0226 8.7)."""
    opt = "<w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>" if optimize else ""
    return get_env(resource, action=A_ENUMERATE,
                   body="<n:Enumerate>%s<w:EnumerationMode>%s</w:EnumerationMode>%s</n:Enumerate>"
                        % (opt, mode, extra))


def epr_of(item):
    """An EPR item's address, resource URI and selectors (in order)."""
    h.eq(item.tag, "{%s}EndpointReference" % WSA, "an EPR")
    params = item.find("{%s}ReferenceParameters" % WSA)
    h.check(params is not None, "a:ReferenceParameters in the EPR")
    return (item.findtext("{%s}Address" % WSA), params.findtext("{%s}ResourceURI" % WSMAN_NS),
            [(s.get("Name"), s.text or "") for s in params.iter("{%s}Selector" % WSMAN_NS)])


def get_by_epr(svc, u, epr):
    """The Get an EPR stands for: its instance's element."""
    _, uri, selectors = epr
    r = h.request(svc, get_env(uri, selectors=selectors or None), auth=u)
    h.eq(r.status, 200, "the Get of the EPR %r (%s)" % (epr, h._short(r.body, 300)))
    return r.xml().find(SOAP_BODY)[0]


def test_enumerate_eprs_round_trip():
    """EnumerateEPR: each item an EPR (the anonymous address, the class's
    URI, its keys as selectors, as WMI's __RELPATH names them) that a Get
    takes back to its instance: two keys (accounts), DMTF's URI
    (processes), a singleton without selectors (the operating system)."""
    svc = h.service()
    u = h.user("a")
    r = h.request(svc, mode_env(WMI + "Win32_UserAccount", "EnumerateEPR"), auth=u)
    h.eq(r.status, 200, "EnumerateEPR of Win32_UserAccount (%s)" % h._short(r.body, 300))
    eprs = [epr_of(i) for i in items_of(r)]
    root = [e for e in eprs if dict(e[2]).get("Name") == "root"]
    h.eq(len(root), 1, "root's EPR among %d: %r" % (len(eprs), eprs[:3]))
    address, uri, selectors = root[0]
    h.eq((address, uri, [n for n, _ in selectors]), (ANONYMOUS, WMI + "Win32_UserAccount", ["Domain", "Name"]),
         "root's EPR")
    h.eq(get_by_epr(svc, u, root[0]).findtext("{%sWin32_UserAccount}Name" % WMI), "root", "the Get of root's EPR")

    r = h.request(svc, mode_env(DMTF + "CIM_Process", "EnumerateEPR"), auth=u)
    h.eq(r.status, 200, "EnumerateEPR of CIM_Process (%s)" % h._short(r.body, 300))
    eprs = [epr_of(i) for i in items_of(r)]
    h.check(eprs and all(e[1] == DMTF + "CIM_Process" and [n for n, _ in e[2]] == ["Handle"] for e in eprs),
            "DMTF's URI and Handle in each: %r" % eprs[:3])
    first = eprs[0]
    h.eq(get_by_epr(svc, u, first).findtext("{%sCIM_Process}Handle" % DMTF), first[2][0][1],
         "the Get of a process's EPR")

    r = h.request(svc, mode_env(WMI + "Win32_OperatingSystem", "EnumerateEPR"), auth=u)
    eprs = [epr_of(i) for i in items_of(r)]
    h.eq([(e[1], e[2]) for e in eprs], [(WMI + "Win32_OperatingSystem", [])], "the singleton's EPR")
    h.eq(get_by_epr(svc, u, eprs[0]).findtext("{%sWin32_OperatingSystem}Version" % WMI), os.uname().release,
         "the Get of the singleton's EPR")


def test_enumerate_object_and_epr():
    """EnumerateObjectAndEPR: w:Item with the instance, then its EPR; with
    a WQL query on wmicimv2/* the EPR names the query's class; Pulls give
    the same items; a mode that is neither is refused, and so are EPRs of
    winrm/config's listeners, as before."""
    svc = h.service()
    u = h.user("a")
    r = h.request(svc, mode_env(WMI + "Win32_ComputerSystem", "EnumerateObjectAndEPR"), auth=u)
    h.eq(r.status, 200, "EnumerateObjectAndEPR (%s)" % h._short(r.body, 300))
    [item] = items_of(r)
    h.eq((item.tag, [c.tag for c in item]),
         ("{%s}Item" % WSMAN_NS, ["{%sWin32_ComputerSystem}Win32_ComputerSystem" % WMI, "{%s}EndpointReference" % WSA]),
         "w:Item: the instance, then its EPR")
    name = item[0].findtext("{%sWin32_ComputerSystem}Name" % WMI)
    epr = epr_of(item[1])
    h.eq(epr, (ANONYMOUS, WMI + "Win32_ComputerSystem", [("Name", name)]), "the computer's EPR")
    h.eq(get_by_epr(svc, u, epr).findtext("{%sWin32_ComputerSystem}Name" % WMI), name, "its Get")

    r = h.request(svc, mode_env(WMI + "*", "EnumerateObjectAndEPR",
                                '<w:Filter Dialect="%s">select Name from Win32_UserAccount where Name = '
                                "'root'</w:Filter>" % WQL), auth=u)
    h.eq(r.status, 200, "EnumerateObjectAndEPR with WQL (%s)" % h._short(r.body, 300))
    [item] = items_of(r)
    h.eq([c.tag for c in item], ["{%s}XmlFragment" % WSMAN_NS, "{%s}EndpointReference" % WSA],
         "the select list's fragment, then the EPR")
    h.eq(epr_of(item[1])[1], WMI + "Win32_UserAccount", "the query's class in the EPR")

    r = h.request(svc, mode_env(WMI + "Win32_ComputerSystem", "EnumerateEPR", optimize=False), auth=u)
    ctx = r.xml().findtext(".//{%s}EnumerationContext" % ENUM_NS)
    h.check(r.status == 200 and ctx, "a context: %s" % h._short(r.body, 300))
    r = h.request(svc, get_env(WMI + "Win32_ComputerSystem", action=A_PULL,
                               body="<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>"
                                    "<n:MaxElements>5</n:MaxElements></n:Pull>" % ctx), auth=u)
    items = r.xml().find(".//{%s}Items" % ENUM_NS)
    h.check(r.status == 200 and items is not None and len(items) == 1, "pulled: %s" % h._short(r.body, 500))
    h.eq(epr_of(items[0])[2], [("Name", name)], "the pulled EPR")

    r = h.request(svc, mode_env(WMI + "Win32_ComputerSystem", "EnumerateObjects"), auth=u)
    h.eq((r.status, r.fault().subcode_local), (500, "UnsupportedFeature"), "an unknown mode (%r)" % r)
    adm = h.user("adm")
    r = h.request(svc, mode_env("http://schemas.microsoft.com/wbem/wsman/1/config/listener", "EnumerateEPR"),
                  auth=adm)
    h.eq((r.status, r.fault().subcode_local), (500, "UnsupportedFeature"), "the listeners' EPRs (%r)" % r)
    h.assert_serving(svc)


def test_winrm_enumerate_return_types():
    """`winrm enumerate -returnType:EPR|ObjectAndEPR` (winrm.vbs' switch),
    printed as Windows' winrm prints an EPR; a get with the printed
    selector finds the instance."""
    svc = h.service()
    u = h.user("a")
    short = os.uname().nodename.split(".")[0]
    code, out, err = winrm(["enumerate", "wmicimv2/Win32_ComputerSystem", "-returnType:EPR"] + remote(svc, u))
    h.eq(code, 0, "winrm enumerate -returnType:EPR (%s)" % err)
    epr = ("EndpointReference\n"
           "    Address = http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous\n"
           "    ReferenceParameters\n"
           "        ResourceURI = %sWin32_ComputerSystem\n"
           "        SelectorSet\n"
           "            Selector: Name = " % WMI)
    h.check(out.startswith(epr) and out.count("\n") == 6, "the EPR as Windows prints it:\n%s" % out)
    name = out.splitlines()[5].split(" = ", 1)[1]
    h.eq(name.lower(), short.lower(), "the computer's name as the selector")
    code, out, err = winrm(["get", "wmicimv2/Win32_ComputerSystem?Name=" + name] + remote(svc, u))
    h.eq((code, properties(out).get("Name")), (0, name), "winrm get with the EPR's selector (%s)" % err)

    code, out, err = winrm(["enumerate", "wmicimv2/Win32_UserAccount", "-ReturnType:ObjectAndEPR",
                            "-filter:select * from Win32_UserAccount where Name='root'"] + remote(svc, u))
    h.eq(code, 0, "winrm enumerate -ReturnType:ObjectAndEPR (%s)" % err)
    h.check(re.match(r"Item\n    Win32_UserAccount( \[lang=\"en-US\"\])?\n", out) and "\n    EndpointReference\n" in out and
            re.search(r"\n                Selector: Domain = [^,\n]+, Name = root\n", out),
            "the item: the instance, then its EPR:\n%s" % out)
    code, out, err = winrm(["enumerate", "wmicimv2/Win32_UserAccount", "-returnType:Handles"] + remote(svc, u))
    h.check(code != 0 and "-returnType:Handles is not a valid option" in err, "a bad -returnType: %s" % err)
    code, out, err = winrm(["get", "wmicimv2/Win32_OperatingSystem", "-returnType:EPR"] + remote(svc, u))
    h.check(code != 0 and "goes with enumerate" in err, "-returnType: on a get: %s" % err)
