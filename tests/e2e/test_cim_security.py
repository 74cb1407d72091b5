"""Namespace security (issue 16, point 3): root/cimv2's security
descriptor and RequiresEncryption in winrm/config/service/namespace,
read and changed with winrm, locally and remotely; the harness's real
users refused without Remote Enable, admitted by their own SID or a
group's, a deny ACE winning over an allow; a RequiresEncryption
namespace refusing Basic over plain HTTP whatever AllowUnencrypted says
and serving HTTPS and pywinrm's sealed NTLM; each refusal with WMI's
code, in the service's log and in the audit trail."""
import grp
import os
import re
import subprocess

import harness as h
import test_audit
import test_cim as cim
import test_ntlm

NS = "Service/Namespace?Name=root/cimv2/"
NS_RESOURCE = "winrm/config/service/namespace?Name=root/cimv2"
ADMINS = "(A;CI;CCDCLCSWRPWPRCWD;;;BA)"
REMOTE_USERS = "(A;CI;CCDCWP;;;S-1-5-32-580)"
DEFAULT_SD = "O:BAG:BAD:" + ADMINS + REMOTE_USERS
CODE_WMI_ACCESS_DENIED = 2147749891  # 0x80041003, WBEM_E_ACCESS_DENIED
CODE_E_ACCESSDENIED = 2147942405  # 0x80070005
CODE_INVALID_SD = 2150859100  # 0x8033815C, ERROR_WSMAN_INVALID_SECURITY_DESCRIPTOR


def sd(*aces):
    return "O:BAG:BAD:" + "".join(aces)


def uid_sid(u):
    return "S-1-22-1-%d" % u.uid


def get_os(target, u):
    return h.request(target, cim.get_env(cim.WMI + "Win32_OperatingSystem"), auth=u)


def served(r, what):
    h.eq(r.status, 200, "%s (%s)" % (what, h._short(r.body, 400)))
    h.eq(r.xml().findtext(".//{%sWin32_OperatingSystem}Version" % cim.WMI), os.uname().release,
         "%s: the Version" % what)


def refused(r, code, what):
    h.eq(r.status, 500, "%s: status (%s)" % (what, h._short(r.body, 400)))
    f = r.fault()
    h.eq((f.subcode_local, f.code), ("AccessDenied", code), "%s: fault" % what)
    h.check(b"Caption" not in r.body, "%s: no data in the refusal" % what)


def denial_logged(svc, u, words, mark):
    """The host's line: user, source, namespace and the right or reason."""
    return svc.wait_for_log([r"WMI access denied: user %s from 127\.0\.0\.1 on namespace root/cimv2 "
                             r"\(class Win32_OperatingSystem\): " % re.escape(u.name), words], since=mark)


def winrm_set(svc, u, value):
    return cim.winrm(["set", NS_RESOURCE, "@{%s}" % value] + cim.remote(svc, u))


def local_winrm(args, conf_dir):
    """Our winrm on a configuration directory, without -r:."""
    r = subprocess.run([h.client_path("winrm")] + args + ["--config-dir", conf_dir], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def test_without_remote_enable_refused_logged_and_audited():
    """Remote Management Users without Remote Enable (WP): a member reads
    nothing, with WBEM_E_ACCESS_DENIED, a log line naming the right and an
    audit refusal; administrators still read."""
    svc, path = test_audit._audit_service(**{NS + "Sddl": sd(ADMINS, "(A;CI;CCDC;;;S-1-5-32-580)")})
    a, adm = h.user("a"), h.user("adm")
    mark = svc.log_mark()
    refused(get_os(svc, a), CODE_WMI_ACCESS_DENIED, "a remote user without Remote Enable")
    denial_logged(svc, a, r"no Remote Enable$", mark)
    ev = test_audit._one(path, "refusal", "the namespace's refusal", user=a.name)
    h.eq((ev.get("reason"), ev.get("resource_uri")), ("WMI namespace access denied",
                                                       cim.WMI + "Win32_OperatingSystem"),
         "the audit event's reason and resource")
    h.eq(ev.get("source_address"), "127.0.0.1", "the audit event's source")
    code, out, err = cim.winrm(["get", "wmicimv2/Win32_OperatingSystem"] + cim.remote(svc, a))
    h.check(code != 0 and "Caption" not in out and str(CODE_WMI_ACCESS_DENIED) in out + err,
            "winrm get without Remote Enable: %d\n%s%s" % (code, out, err))
    served(get_os(svc, adm), "an administrator")


def test_granted_by_uid_then_by_group():
    """A descriptor naming one account (Samba's S-1-22-1-UID) lets it read
    and not the other member of the remote users' group; an administrator
    adds a group of the other (S-1-22-2-GID) with winrm set -r:, and it reads."""
    a, b, adm = h.user("a"), h.user("b"), h.user("adm")
    # Before a's host starts: a host has the groups of its start, as a
    # Windows token has those of its logon.
    gid = grp.getgrnam(h.fixture().group("nsread", [a])).gr_gid
    svc = h.service({NS + "Sddl": sd(ADMINS, "(A;;CCWP;;;%s)" % uid_sid(b))})
    served(get_os(svc, b), "the account the descriptor names")
    mark = svc.log_mark()
    refused(get_os(svc, a), CODE_WMI_ACCESS_DENIED, "another remote user")
    denial_logged(svc, a, r"no Enable Account$", mark)
    new = sd(ADMINS, "(A;;CCWP;;;%s)" % uid_sid(b), "(A;;CCWP;;;S-1-22-2-%d)" % gid)
    code, out, err = winrm_set(svc, adm, 'Sddl="%s"' % new)
    h.eq(code, 0, "winrm set -r: of the Sddl (%s%s)" % (out, err))
    h.check("Sddl = " + new in out, "the reply shows the new descriptor:\n" + out)
    served(get_os(svc, a), "a member of the group the descriptor names")


def test_deny_wins_over_allow():
    """A deny of Remote Enable to one account, before the allow its group
    has: it is refused, the other member reads; a deny to the remote users'
    group by its gid refuses both, and an administrator outside it reads."""
    a, b, adm = h.user("a"), h.user("b"), h.user("adm")
    svc = h.service({NS + "Sddl": sd("(D;;WP;;;%s)" % uid_sid(a), ADMINS, REMOTE_USERS)})
    mark = svc.log_mark()
    refused(get_os(svc, a), CODE_WMI_ACCESS_DENIED, "the denied account")
    denial_logged(svc, a, r"no Remote Enable$", mark)
    served(get_os(svc, b), "the other member")
    users_gid = grp.getgrnam(h.fixture().users_group).gr_gid
    code, out, err = winrm_set(svc, adm, 'Sddl="%s"' % sd("(D;;CC;;;S-1-22-2-%d)" % users_gid, ADMINS,
                                                          REMOTE_USERS))
    h.eq(code, 0, "winrm set -r: (%s%s)" % (out, err))
    refused(get_os(svc, b), CODE_WMI_ACCESS_DENIED, "a member of the denied group")
    served(get_os(svc, adm), "an administrator outside the denied group")


def test_requires_encryption():
    """RequiresEncryption: Basic over plain HTTP is refused although
    AllowUnencrypted is true, as is unsealed NTLM; HTTPS and pywinrm's
    sealed NTLM over HTTP read. Set back to false, plain HTTP reads again."""
    svc = h.Service({NS + "RequiresEncryption": "true", "Service/AllowUnencrypted": "true"}, https=True,
                    http=True)
    a, adm = h.user("a"), h.user("adm")
    h.ntlm_password(svc, a)
    svc.start()
    http = svc.listener("HTTP")
    mark = svc.log_mark()
    refused(get_os(http, a), CODE_E_ACCESSDENIED, "Basic over plain HTTP")
    denial_logged(svc, a, r"requires encryption", mark)
    served(get_os(svc, a), "Basic over HTTPS")
    env = cim.get_env(cim.WMI + "Win32_OperatingSystem").decode()
    sealed = test_ntlm.client("pywinrm-message", http.url(), a.name, a.password, "always", "ntlm", env)
    h.check("reply" in sealed and "<p:Version>%s</p:Version>" % os.uname().release in sealed["reply"],
            "pywinrm, NTLM sealed over HTTP: %s" % str(sealed)[:600])
    plain = test_ntlm.client("pywinrm-message", http.url(), a.name, a.password, "never", "ntlm", env)
    # pywinrm reads f:WSManFault's code; WMI's MSFT_WmiError leaves it the reason.
    h.check("Access is denied." in plain.get("error", "") and "w:AccessDenied" in plain.get("error", ""),
            "pywinrm, NTLM unsealed over HTTP: %s" % str(plain)[:600])
    code, out, err = winrm_set(svc, adm, 'RequiresEncryption="false"')
    h.check(code == 0 and "RequiresEncryption = false" in out, "winrm set -r: (%s%s)" % (out, err))
    served(get_os(http, a), "Basic over plain HTTP once encryption is not required")


def test_winrm_get_set_and_malformed_sddl():
    """winrm get, enumerate and set of the namespace, locally and with -r:;
    a malformed descriptor is refused with ERROR_WSMAN_INVALID_SECURITY_DESCRIPTOR
    (locally its words and 0x8033815C, remotely the fault's code) and
    nothing changes; the namespace can be neither created nor deleted."""
    svc = h.service()
    adm, a = h.user("adm"), h.user("a")
    conf = os.path.join(svc.conf_dir, "winrm.conf")
    code, out, err = cim.winrm(["get", NS_RESOURCE] + cim.remote(svc, adm))
    h.eq(code, 0, "winrm get -r: (%s)" % err)
    h.eq(cim.properties(out), {"Name": "root/cimv2", "Sddl": DEFAULT_SD, "RequiresEncryption": "false"},
         "the default namespace security")
    code, out, err = cim.winrm(["enumerate", "winrm/config/service/namespace"] + cim.remote(svc, adm))
    h.check(code == 0 and out.count("Namespace") == 1 and "Name = root/cimv2" in out,
            "winrm enumerate -r: (%s%s)" % (out, err))
    new = sd(ADMINS, "(A;CI;CCWP;;;%s)" % uid_sid(a))
    code, out, err = winrm_set(svc, adm, 'Sddl="%s";RequiresEncryption="true"' % new)
    h.eq(code, 0, "winrm set -r: (%s%s)" % (out, err))
    h.eq(cim.properties(out).get("Sddl"), new, "the PutResponse's Sddl")
    with open(conf) as f:
        text = f.read()
    h.check("%sSddl = %s\n" % (NS, new) in text and "%sRequiresEncryption = true\n" % NS in text,
            "the stored file:\n" + text)
    code, out, err = cim.winrm(["get", "winrm/config/service/namespace?Name=ROOT\\CIMV2"] + cim.remote(svc, adm))
    h.eq(cim.properties(out).get("RequiresEncryption"), "true", "winrm get -r: in WMI's spelling (%s)" % err)

    for bad in ("O:BAG:BAD:(A;;GA;;;BA)", "D:(A;;CCWP;;;AU)", "O:BAG:BAD:(A;;CC;;;AU)(D;;CC;;;BA)", "garbage"):
        code, out, err = winrm_set(svc, adm, 'Sddl="%s"' % bad)
        h.check(code != 0 and "security descriptor is invalid" in out + err and str(CODE_INVALID_SD) in out + err,
                "winrm set -r: of %r: %d %s%s" % (bad, code, out, err))
        code, out, err = local_winrm(["set", NS_RESOURCE, '@{Sddl="%s"}' % bad], svc.conf_dir)
        h.check(code != 0 and "not a valid security descriptor" in err and "0x8033815C" in err,
                "local winrm set of %r: %d %s" % (bad, code, err))
    with open(conf) as f:
        h.eq(f.read(), text, "the file after the refused descriptors")
    r = h.request(svc, h.envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Put",
                                  '<p:Namespace xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/config/'
                                  'service/namespace"><p:Sddl>O:BA</p:Sddl></p:Namespace>',
                                  resource="http://schemas.microsoft.com/wbem/wsman/1/config/service/namespace",
                                  selectors=[("Name", "root/cimv2")]), auth=adm)
    h.eq((r.status, r.fault().subcode_local, r.fault().code), (500, "InvalidParameter", CODE_INVALID_SD),
         "a raw Put of a malformed Sddl (%s)" % h._short(r.body, 400))
    for verb in ("create", "delete"):
        code, out, err = cim.winrm([verb, NS_RESOURCE] + cim.remote(svc, adm))
        h.check(code != 0, "winrm %s -r: of the namespace: %s%s" % (verb, out, err))
    code, out, err = cim.winrm(["set", NS_RESOURCE, '@{RequiresEncryption="false"}'] + cim.remote(svc, a))
    h.check(code != 0, "a plain user's winrm set -r: (%s)" % out)
    h.assert_serving(svc)
