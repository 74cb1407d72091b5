"""WS-Transfer Put of WMI instances (issue 16): Win32_UserAccount's
writable FullName and Disabled, set with usermod as the caller (an
administrator's as root, in the privileged part), the reply the instance
as it now is; a read-only property changed, a class with nothing
writable, and a caller without Provider Write refused with WMI's faults.
Only the harness's own test users are changed, and put back after; their
full names keep the harness's tag, by which it finds them to remove."""
import os
import pwd
import re
import subprocess

import harness as h
from test_cim import WMI, XSI, properties, remote, winrm

A_PUT = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put"
A_PUT_RESPONSE = A_PUT + "Response"
CODE_WMI_ACCESS_DENIED = 2147749891  # 0x80041003, WBEM_E_ACCESS_DENIED
CODE_READ_ONLY = 2147749923  # 0x80041023, WBEM_E_READ_ONLY
CODE_NOT_CAPABLE = 2147749924  # 0x80041024, WBEM_E_PROVIDER_NOT_CAPABLE
CLASS = "Win32_UserAccount"
NS_SDDL = "Service/Namespace?Name=root/cimv2/Sddl"


def host():
    return os.uname().nodename.split(".")[0].upper()


def keys(u):
    return [("Domain", host()), ("Name", u.name)]


def put_env(u, props, class_name=CLASS, selectors=None):
    """A Put of an instance: props as (name, value) pairs, None as xsi:nil."""
    body = ['<p:%s xmlns:p="%s%s" xmlns:xsi="%s">' % (class_name, WMI, class_name, XSI)]
    for name, value in props:
        if value is None:
            body.append('<p:%s xsi:nil="true"/>' % name)
        else:
            body.append("<p:%s>%s</p:%s>" % (name, value, name))
    body.append("</p:%s>" % class_name)
    return h.envelope(A_PUT, "".join(body), resource=WMI + class_name,
                      selectors=keys(u) if selectors is None else selectors)


def instance_of(r):
    """The reply's instance: its properties' text, None for xsi:nil."""
    inst = r.xml().find("{http://www.w3.org/2003/05/soap-envelope}Body")[0]
    h.eq(inst.tag, "{%s%s}%s" % (WMI, CLASS, CLASS), "the reply's element")
    return {c.tag.split("}")[1]: (None if c.get("{%s}nil" % XSI) == "true" else (c.text or ""))
            for c in inst}


def gecos(u):
    return pwd.getpwnam(u.name).pw_gecos


def expiry(u):
    """chage -l's "Account expires" line."""
    out = subprocess.run(["chage", "-l", u.name], stdout=subprocess.PIPE, check=True,
                         env={"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}).stdout.decode()
    return re.search(r"^Account expires\s*:\s*(.*)$", out, re.M).group(1).strip()


def restore(u, original_gecos):
    subprocess.run(["usermod", "-c", original_gecos, "--expiredate", "", u.name], check=True)


def get_account(svc, u, who):
    code, out, err = winrm(["get", "wmicimv2/%s?Domain=%s+Name=%s" % (CLASS, host(), u.name)] + remote(svc, who))
    h.eq(code, 0, "winrm get of %s (%s)" % (u.name, err))
    return properties(out)


def refused(r, subcode, code, what):
    h.eq(r.status, 500, "%s: status (%s)" % (what, h._short(r.body, 400)))
    f = r.fault()
    h.eq((f.subcode_local, f.code), (subcode, code), "%s: fault" % what)


def test_administrator_sets_full_name_and_disabled():
    """`winrm set wmicimv2/Win32_UserAccount?Domain=H+Name=U @{FullName=...}`
    as an administrator: a Get, the whole instance back in a Put, run as
    root; getent and a winrm get read the new name; Disabled="true" is an
    expiry date in the past (chage -l) and reads back true, "false" clears
    it (an administrator's winrm get, as them, cannot read the shadow: nil);
each is logged and audited as elevated."""
    svc = h.service()
    adm, a = h.user("adm"), h.user("a")
    original = gecos(a)
    new_name = "%s Put %d" % (h.GECOS_TAG, os.getpid())
    uri = "wmicimv2/%s?Domain=%s+Name=%s" % (CLASS, host(), a.name)
    try:
        mark = svc.log_mark()
        code, out, err = winrm(["set", uri, '@{FullName="%s"}' % new_name] + remote(svc, adm))
        h.eq(code, 0, "winrm set FullName (%s%s)" % (out, err))
        h.eq(properties(out).get("FullName"), new_name, "the PutResponse's FullName:\n" + out)
        h.eq(gecos(a).split(",")[0], new_name, "getent passwd's full name")
        h.eq(get_account(svc, a, adm).get("FullName"), new_name, "a winrm get's FullName")
        svc.wait_for_log(r"elevated method by %s from .*%s\.Put\(Domain=%s,Name=%s\): done"
                         % (re.escape(adm.name), CLASS, host(), re.escape(a.name)), since=mark)
        svc.wait_for_log(['"event":"elevated_method"', '"user":"%s"' % adm.name, '"run_as":"root"',
                          '"action":"Put"', '"reason":"done"'], since=mark)

        code, out, err = winrm(["set", uri, '@{Disabled="true"}'] + remote(svc, adm))
        h.eq(code, 0, "winrm set Disabled true (%s%s)" % (out, err))
        h.eq((properties(out).get("Disabled"), properties(out).get("Status")), ("true", "Degraded"),
             "the PutResponse's Disabled and Status:\n" + out)
        h.check(expiry(a) != "never", "chage -l: the account expires (%s)" % expiry(a))
        # An administrator's Get runs as them, who may not read the shadow.
        h.eq(get_account(svc, a, adm).get("Disabled"), "null", "a winrm get's Disabled, as the administrator")

        code, out, err = winrm(["set", uri, '@{Disabled="false"}'] + remote(svc, adm))
        h.eq(code, 0, "winrm set Disabled false (%s%s)" % (out, err))
        h.eq(properties(out).get("Disabled"), "false", "the PutResponse's Disabled:\n" + out)
        h.eq(expiry(a), "never", "chage -l after Disabled false")
        h.eq(gecos(a).split(",")[0], new_name, "the full name is kept")
    finally:
        restore(a, original)


def test_whole_instance_back_unchanged_and_raw_shape():
    """A raw Put of the whole instance a Get gave (read-only properties,
    nil ones included) with FullName changed: PutResponse, the instance as
    it now is; the same instance again changes nothing and is answered."""
    svc = h.service()
    adm, a = h.user("adm"), h.user("a")
    original = gecos(a)
    r = h.request(svc, h.envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", "",
                                  resource=WMI + CLASS, selectors=keys(a)), auth=adm)
    h.eq(r.status, 200, "the Get (%r)" % r)
    inst = instance_of(r)
    try:
        inst["FullName"] = "%s raw %d" % (h.GECOS_TAG, os.getpid())
        r = h.request(svc, put_env(a, sorted(inst.items())), auth=adm)
        h.eq(r.status, 200, "the Put of the whole instance (%s)" % h._short(r.body, 600))
        h.check(("<a:Action>%s</a:Action>" % A_PUT_RESPONSE).encode() in r.body or
                A_PUT_RESPONSE.encode() in r.body, "the PutResponse action")
        # The Get ran as the administrator, the Put as root: what the
        # administrator could not read (the shadow's) is nil in the Get.
        readable = {k: v for k, v in inst.items() if v is not None}
        got = instance_of(r)
        h.eq({k: got.get(k) for k in readable}, readable, "the reply is the instance as it now is")
        h.eq(gecos(a).split(",")[0], inst["FullName"], "getent passwd's full name")
        r = h.request(svc, put_env(a, sorted(inst.items())), auth=adm)
        h.eq(r.status, 200, "the same instance again (%r)" % r)
        h.eq(instance_of(r), got, "the same instance again: nothing changed")
    finally:
        restore(a, original)


def test_normal_users_refused():
    """root/cimv2's default descriptor gives the remote users no Provider
    Write: a normal user's Put is WMI's access denied before anything
    runs. With Provider Write granted, the Put runs in their own host as
    them and usermod refuses them (Debian's chfn, CHFN_RESTRICT rwh, would
    not let them change their full name either), for their own account as
    for another's: WMI's access denied again, nothing changed."""
    a, b = h.user("a"), h.user("b")
    before = (gecos(a), gecos(b))
    svc = h.service()
    mark = svc.log_mark()
    r = h.request(svc, put_env(a, [("FullName", "%s nope" % h.GECOS_TAG)]), auth=a)
    refused(r, "AccessDenied", CODE_WMI_ACCESS_DENIED, "a normal user's Put by default")
    svc.wait_for_log(r"WMI access denied: user %s from 127\.0\.0\.1 .*: no Provider Write" % re.escape(a.name),
                     since=mark)
    svc.stop()
    svc = h.service({NS_SDDL: "O:BAG:BAD:(A;CI;CCDCLCSWRPWPRCWD;;;BA)(A;CI;CCDCRPWP;;;S-1-5-32-580)"})
    for target in (a, b):
        mark = svc.log_mark()
        r = h.request(svc, put_env(target, [("FullName", "%s nope" % h.GECOS_TAG)]), auth=a)
        refused(r, "AccessDenied", CODE_WMI_ACCESS_DENIED, "%s's Put on %s" % (a.name, target.name))
        svc.wait_for_log(r"WMI Put of %s\(Domain=%s,Name=%s\) by %s from 127\.0\.0\.1: .*its process exited 1"
                         % (CLASS, host(), re.escape(target.name), re.escape(a.name)), since=mark)
    h.eq((gecos(a), gecos(b)), before, "nothing changed")


def test_refusals_and_service_keeps_serving():
    """A changed read-only property (SID) is WBEM_E_READ_ONLY, one the
    class does not have and a repeated one WBEM_E_INVALID_PARAMETER, no
    instance w:InvalidSelectors, a class with nothing writable
    WBEM_E_PROVIDER_NOT_CAPABLE; nothing changes and the service goes on."""
    svc = h.service()
    adm, a = h.user("adm"), h.user("a")
    before = gecos(a)
    r = h.request(svc, put_env(a, [("SID", "S-1-5-18")]), auth=adm)
    refused(r, "InternalError", CODE_READ_ONLY, "a changed SID")
    r = h.request(svc, put_env(a, [("FullName", "x"), ("SID", "S-1-5-18")]), auth=adm)
    refused(r, "InternalError", CODE_READ_ONLY, "FullName with a changed SID")
    r = h.request(svc, put_env(a, [("NoSuchProperty", "x")]), auth=adm)
    refused(r, "InvalidParameter", 2147749896, "a property the class does not have")
    r = h.request(svc, put_env(a, [("FullName", "x"), ("FullName", "y")]), auth=adm)
    refused(r, "InvalidParameter", 2147749896, "an array")
    r = h.request(svc, put_env(a, [("FullName", "x,room")]), auth=adm)
    refused(r, "InvalidParameter", 2147749896, "a comma in FullName")
    r = h.request(svc, put_env(a, [("Disabled", "maybe")]), auth=adm)
    refused(r, "InvalidParameter", 2147749896, "Disabled not a boolean")
    r = h.request(svc, put_env(a, [("FullName", "x")], selectors=[("Domain", host()), ("Name", "owt_nobody_x")]),
                  auth=adm)
    h.eq((r.status, r.fault().subcode_local), (500, "InvalidSelectors"), "no such account (%r)" % r)
    r = h.request(svc, h.envelope(A_PUT, '<p:Win32_Group xmlns:p="%sWin32_Group"><p:Name>x</p:Name>'
                                  '</p:Win32_Group>' % WMI, resource=WMI + "Win32_Group",
                                  selectors=[("Domain", host()), ("Name", "root")]), auth=adm)
    refused(r, "InternalError", CODE_NOT_CAPABLE, "a class with nothing writable")
    r = h.request(svc, put_env(a, [("FullName", "x")], class_name="Win32_Other"), auth=adm)
    h.eq(r.status, 500, "a body not of the URI's class (%r)" % r)
    h.eq(gecos(a), before, "nothing changed")
    r = h.request(svc, h.envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", "",
                                  resource=WMI + CLASS, selectors=keys(a)), auth=adm)
    h.eq(r.status, 200, "the service keeps serving (%r)" % r)


def test_without_provider_write_refused():
    """root/cimv2's default grants administrators Provider Write (RP); a
    descriptor that gives them everything else refuses their Put with
    WMI's access denied, before anything runs."""
    sddl = "O:BAG:BAD:(A;CI;CCDCSWWPRCWD;;;BA)"
    svc = h.service({NS_SDDL: sddl})
    adm, a = h.user("adm"), h.user("a")
    before = gecos(a)
    mark = svc.log_mark()
    r = h.request(svc, put_env(a, [("FullName", "%s nope" % h.GECOS_TAG)]), auth=adm)
    refused(r, "AccessDenied", CODE_WMI_ACCESS_DENIED, "a Put without Provider Write")
    h.eq(gecos(a), before, "nothing changed")
    # The administrator's Put is checked again as root, in the privileged part's child.
    svc.wait_for_log(r"WMI access denied: user root from 127\.0\.0\.1 .*\(class %s\): no Provider Write" % CLASS,
                     since=mark)
    svc.wait_for_log(r"elevated method by %s from .*\.Put\(.*\): refused" % re.escape(adm.name), since=mark)
