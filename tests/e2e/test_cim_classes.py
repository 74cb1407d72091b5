"""Management data (issue 16 point 2): disks, network adapters and their
IP configuration, installed packages, local users and groups, read with
our winrm command as a member of the remote users' group and compared
with this host's own tools run as the same account (df, ip, dpkg-query,
getent); an array property as Windows writes it, its element repeated."""
import json
import os
import re
import subprocess

import harness as h
from test_cim import WMI, DMTF, get_env, instances, properties, remote, winrm

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"


def as_user(u, argv):
    """A command's output run as the test user (the account the service's
    host reads as), so what it may not reach is left out alike."""
    r = subprocess.run(["runuser", "-u", u.name, "--"] + argv, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    h.eq(r.returncode, 0, "%s: %s" % (argv, r.stderr.decode(errors="replace")))
    return r.stdout.decode(errors="replace")


def enumerate_class(svc, u, class_name):
    code, out, err = winrm(["enumerate", "wmicimv2/" + class_name] + remote(svc, u), timeout=120)
    h.eq(code, 0, "winrm enumerate %s (%s)" % (class_name, err))
    return instances(out, class_name)


def get_instance(svc, u, resource):
    code, out, err = winrm(["get", resource] + remote(svc, u))
    h.eq(code, 0, "winrm get %s (%s)" % (resource, err))
    return properties(out)


def short_host():
    return os.uname().nodename.split(".")[0]


def test_logical_disks():
    """Win32_LogicalDisk: df's file systems (as the user sees them), the
    root's size and type, a Get by its DeviceID, and DMTF's CIM_LogicalDisk."""
    svc = h.service()
    u = h.user("a")
    disks = enumerate_class(svc, u, "Win32_LogicalDisk")
    df = [line.split() for line in as_user(u, ["df", "-B1", "--output=target,fstype,size"]).splitlines()[1:]]
    h.eq(sorted(d.get("DeviceID") for d in disks), sorted(row[0] for row in df), "the disks are df's mount points")
    root = [row for row in df if row[0] == "/"][0]
    p = get_instance(svc, u, "wmicimv2/Win32_LogicalDisk?DeviceID=/")
    h.eq((p.get("FileSystem"), p.get("Size")), (root[1], root[2]), "the root's FileSystem and Size (df's)")
    avail = int(as_user(u, ["df", "-B1", "--output=avail", "/"]).split()[1])
    h.check(abs(int(p["FreeSpace"]) - avail) < 256 << 20, "FreeSpace %s is df's Avail %d" % (p["FreeSpace"], avail))
    h.eq((p.get("DriveType"), p.get("Description"), p.get("SystemName")), ("3", "Local Fixed Disk", short_host()),
         "a local disk")
    r = h.request(svc, get_env(DMTF + "CIM_LogicalDisk", selectors=[("DeviceID", "/")]), auth=u)
    h.eq(r.status, 200, "DMTF Get (%s)" % h._short(r.body, 300))
    h.eq(r.xml().findtext(".//{%sCIM_LogicalDisk}Size" % DMTF), root[2], "DMTF Size")
    r = h.request(svc, get_env(WMI + "Win32_LogicalDisk", selectors=[("DeviceID", "/no/such/mount")]), auth=u)
    h.eq((r.status, r.fault().subcode_local), (500, "InvalidSelectors"), "no such disk (%r)" % r)


def ip_json(*args):
    r = subprocess.run(["ip", "-j"] + list(args), stdout=subprocess.PIPE, timeout=30, check=True)
    return json.loads(r.stdout or b"[]")


def resolv_conf_servers():
    servers = []
    try:
        for line in open("/etc/resolv.conf"):
            words = line.split()
            if len(words) >= 2 and words[0] == "nameserver":
                servers.append(words[1])
    except OSError:
        pass
    return servers[:3]


def listed(value):
    """winrm's text of an array ("a, b"; "null" for none) as a list."""
    return [] if value in (None, "null") else value.split(", ")


def test_network_adapters():
    """Win32_NetworkAdapter and its configuration against `ip`: one each per
    interface, index, MTU, MAC in Windows' form, addresses and prefixes
    (IPv4's first), default gateways, the resolver's servers."""
    svc = h.service()
    u = h.user("a")
    links = {l["ifindex"]: l for l in ip_json("addr", "show")}
    adapters = enumerate_class(svc, u, "Win32_NetworkAdapter")
    configs = enumerate_class(svc, u, "Win32_NetworkAdapterConfiguration")
    h.eq(sorted(int(a["DeviceID"]) for a in adapters), sorted(links), "an adapter per interface")
    h.eq(sorted(int(c["Index"]) for c in configs), sorted(links), "a configuration per interface")
    gateways = {}
    for family in ("-4", "-6"):
        for route in ip_json(family, "route", "show", "default"):
            if "gateway" in route:
                gateways.setdefault(route["dev"], []).append(route["gateway"])
    for a in adapters:
        link = links[int(a["DeviceID"])]
        h.eq(a.get("Name"), link["ifname"], "Name")
        h.eq(a.get("NetEnabled"), "true" if "UP" in link["flags"] else "false", "NetEnabled of %s" % link["ifname"])
        mac = link.get("address", "").upper()
        if link.get("link_type") == "ether":
            h.eq(a.get("MACAddress"), mac, "MACAddress of %s" % link["ifname"])
            h.eq(a.get("AdapterType"), "Ethernet 802.3", "AdapterType of %s" % link["ifname"])
    for c in configs:
        link = links[int(c["Index"])]
        name = link["ifname"]
        h.eq(c.get("MTU"), str(link["mtu"]), "MTU of %s" % name)
        infos = link.get("addr_info", [])
        v4 = [i["local"] for i in infos if i["family"] == "inet"]
        v6 = [i["local"] for i in infos if i["family"] == "inet6"]
        got = listed(c.get("IPAddress"))
        h.eq(sorted(got[:len(v4)]), sorted(v4), "IPv4 addresses of %s first" % name)
        h.eq(sorted(got[len(v4):]), sorted(v6), "then IPv6's of %s" % name)
        subnets = listed(c.get("IPSubnet"))
        h.eq(len(subnets), len(got), "an IPSubnet per IPAddress of %s" % name)
        for addr, subnet in zip(got, subnets):
            info = [i for i in infos if i["local"] == addr][0]
            if info["family"] == "inet6":
                h.eq(subnet, str(info["prefixlen"]), "the prefix of %s" % addr)
            else:
                bits = (0xffffffff << (32 - info["prefixlen"])) & 0xffffffff
                h.eq(subnet, ".".join(str(bits >> s & 255) for s in (24, 16, 8, 0)), "the mask of %s" % addr)
        h.eq(c.get("IPEnabled"), "true" if infos else "false", "IPEnabled of %s" % name)
        h.eq(listed(c.get("DefaultIPGateway")), gateways.get(name, []) if infos else [], "gateways of %s" % name)
        dns = resolv_conf_servers() if infos and "LOOPBACK" not in link["flags"] else []
        h.eq(listed(c.get("DNSServerSearchOrder")), dns, "DNS servers of %s" % name)
    p = get_instance(svc, u, "wmicimv2/Win32_NetworkAdapterConfiguration?Index=1")
    h.eq(p.get("Index"), "1", "a Get by Index")


def test_array_on_the_wire():
    """An array in the instance's XML: the element repeated, in order (the
    loopback's two addresses)."""
    svc = h.service()
    u = h.user("a")
    lo = [l for l in ip_json("addr", "show") if "LOOPBACK" in l["flags"]][0]
    uri = WMI + "Win32_NetworkAdapterConfiguration"
    r = h.request(svc, get_env(uri, selectors=[("Index", str(lo["ifindex"]))]), auth=u)
    h.eq(r.status, 200, "Get (%s)" % h._short(r.body, 300))
    inst = r.xml().find("{%s}Body" % NS_SOAP)[0]
    names = [c.tag.split("}")[1] for c in inst]
    h.eq(names, sorted(names, key=str.lower), "properties in alphabetical order, case-insensitively, repeats together")
    addresses = [e.text for e in inst.findall("{%s}IPAddress" % uri)]
    h.eq(addresses, [i["local"] for i in lo["addr_info"]], "each address its own p:IPAddress, in order")
    nil = inst.find("{%s}DNSServerSearchOrder" % uri)
    h.eq(nil.get("{http://www.w3.org/2001/XMLSchema-instance}nil"), "true", "an empty array: nil")


def test_products():
    """Win32_Product: dpkg-query's installed packages with their versions,
    and a Get by IdentifyingNumber."""
    svc = h.service()
    u = h.user("a")
    out = as_user(u, ["dpkg-query", "-W", "-f=${db:Status-Status} ${Package}:${Architecture} ${Version}\n"])
    want = {}
    for line in out.splitlines():
        state, key, version = (line.split(" ", 2) + [""])[:3]
        if state == "installed":
            want[key] = version
    products = enumerate_class(svc, u, "Win32_Product")
    got = {p.get("IdentifyingNumber"): p.get("Version") for p in products}
    h.check(len(want) > 50, "dpkg-query lists this host's packages (%d)" % len(want))
    h.eq({k: got.get(k) for k in want}, want, "each installed package with its version")
    h.eq(len(got), len(products), "one instance per IdentifyingNumber")
    arch = as_user(u, ["dpkg-query", "-W", "-f=${Architecture}", "bash"]).strip()
    p = get_instance(svc, u, "wmicimv2/Win32_Product?IdentifyingNumber=bash:" + arch)
    synopsis = as_user(u, ["dpkg-query", "-W", "-f=${binary:Synopsis}", "bash"]).strip()
    h.eq((p.get("Name"), p.get("Description"), p.get("InstallState")), ("bash", synopsis, "5"), "bash")
    h.check(re.match(r"^\d{8}$", p.get("InstallDate", "")), "InstallDate YYYYMMDD: %s" % p.get("InstallDate"))


def test_accounts():
    """Win32_UserAccount and Win32_Group: getent's accounts, the test
    user's with Samba's Unix SID and nil for what shadow would say (the
    user may not read it); a Get by Domain and Name."""
    svc = h.service()
    u = h.user("a")
    users = enumerate_class(svc, u, "Win32_UserAccount")
    passwd = [line.split(":") for line in as_user(u, ["getent", "passwd"]).splitlines()]
    h.eq(sorted(x.get("Name") for x in users), sorted(p[0] for p in passwd), "getent passwd's accounts")
    host = short_host()
    p = get_instance(svc, u, "wmicimv2/Win32_UserAccount?Domain=%s+Name=%s" % (host, u.name))
    gecos = u.pw.pw_gecos.split(",")[0]
    h.eq((p.get("SID"), p.get("Caption"), p.get("Domain"), p.get("FullName", "null")),
         ("S-1-22-1-%d" % u.uid, "%s\\%s" % (host, u.name), host, gecos or "null"), "the user's account")
    h.eq((p.get("Disabled"), p.get("Lockout"), p.get("LocalAccount"), p.get("SIDType"), p.get("AccountType")),
         ("null", "null", "true", "1", "512"), "shadow unreadable: nil; a local normal account")
    groups = enumerate_class(svc, u, "Win32_Group")
    group_lines = [line.split(":") for line in as_user(u, ["getent", "group"]).splitlines()]
    h.eq(sorted(g.get("Name") for g in groups), sorted(g[0] for g in group_lines), "getent group's groups")
    mine = [g for g in groups if g.get("SID") == "S-1-22-2-%d" % u.gid]
    h.check(len(mine) == 1 and mine[0].get("SIDType") == "4", "the user's group, an alias: %s" % mine)
    r = h.request(svc, get_env(DMTF + "Win32_UserAccount"), auth=u)
    h.eq((r.status, r.fault().subcode_local), (500, "DestinationUnreachable"), "no DMTF account class (%r)" % r)


def test_enumeration_larger_than_a_reply():
    """Over a thousand processes: more instances than one reply's buffer
    holds (MaxBatchItems is 32000, the optimized Enumerate asks for them
    all), so the batch shrinks until it fits, and every process arrives
    in the Pulls that follow (a fault "limit exceeded" before)."""
    svc = h.service()
    u = h.user("a")
    sleepers = []
    try:
        for _ in range(1000):
            sleepers.append(subprocess.Popen(["sleep", "600"]))
        seen = {p.get("Handle") for p in enumerate_class(svc, u, "Win32_Process")}
        missing = [p.pid for p in sleepers if str(p.pid) not in seen]
        h.eq(missing, [], "every sleeping process among the %d enumerated" % len(seen))
    finally:
        for p in sleepers:
            p.kill()
            p.wait(timeout=10)
