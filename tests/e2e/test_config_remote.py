"""winrm/config over WS-Management (MS-WSMV 3.1.4.1.29, 3.1.4.2 to 3.1.4.10): Get, Put,
Create, Delete, Enumerate/Pull/Release as raw requests, what administrators
may do and plain users may not, what a change does to the stored file and
to the running service, and that a refused change leaves the file as it was."""
import os
import socket
import uuid
import xml.etree.ElementTree as ET

import harness as h

CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"
A_GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
A_PUT = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put"
R_GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse"
R_PUT = "http://schemas.xmlsoap.org/ws/2004/09/transfer/PutResponse"
NS_ENUM = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
A_ENUMERATE = NS_ENUM + "/Enumerate"
A_PULL = NS_ENUM + "/Pull"
A_RELEASE = NS_ENUM + "/Release"
NS = dict(h.NS, n=NS_ENUM)

CODE_ACCESS_DENIED = 5
CODE_INVALID_PARAMETER = 2150858810
CODE_ALREADY_EXISTS = 2150858803
CODE_RESOURCE_NOT_FOUND = 2150858752
CODE_INVALID_SELECTORS = 2150858813
CODE_INVALID_CONTEXT = 2150858779
CODE_SCHEMA = 2150858817


def call(svc, u, action, uri=CONFIG, body="", selectors=None):
    return h.request(svc, h.envelope(action, body, resource=uri, selectors=selectors), auth=u)


def body_of(r, action):
    """The first element of s:Body of a 200 reply whose a:Action is action."""
    h.eq(r.status, 200, "status of %s (%s)" % (action.rsplit("/", 1)[-1], h._short(r.body, 600)))
    root = r.xml()
    h.eq(root.findtext("s:Header/a:Action", namespaces=NS), action, "a:Action")
    body = root.find("s:Body", NS)
    return list(body)[0] if len(body) else None


def leaves(el, prefix=""):
    """[(path below el, text)] of the leaf elements, in document order."""
    out = []
    for c in el:
        name = prefix + c.tag.split("}")[1]
        if len(c):
            out += leaves(c, name + "/")
        else:
            out.append((name, c.text or ""))
    return out


def fault(r, subcode, code):
    h.eq(r.status, 500, "status (%s)" % h._short(r.body, 600))
    f = r.fault()
    h.eq((f.subcode_local, f.code), (subcode, code), "fault subcode and WSManFault Code")
    return f


def conf_bytes(svc):
    with open(os.path.join(svc.conf_dir, "winrm.conf"), "rb") as f:
        return f.read()


def get(svc, u, sub="", selectors=None):
    return body_of(call(svc, u, A_GET, CONFIG + sub, selectors=selectors), R_GET)


def edited(el, changes):
    """el (a resource as Get returned it) with the leaves named in changes
    set, as XML text for a Put; ElementTree picks its own prefixes."""
    for path, value in changes.items():
        node = el
        for part in path.split("/"):
            node = node.find("{%s}%s" % (el.tag[1:].split("}")[0], part))
            h.check(node is not None, "no %s in the resource" % path)
        node.text = value
    return ET.tostring(el, encoding="unicode")


def windows_config(svc):
    """The leaves of section 6.2's document with this service's values: the
    harness turns Basic on and names its groups; MaxEnvelopeSizekb is
    Windows' default (the traced host had 150), CredSSP is off and
    MaxShellsPerUser is openwinrm's 30; AdminGroups and RemoteUsersGroup
    end cfg:Service."""
    return [
        ("MaxEnvelopeSizekb", "500"), ("MaxTimeoutms", "60000"), ("MaxBatchItems", "32000"),
        ("MaxProviderRequests", "4294967295"),
        ("Client/NetworkDelayms", "5000"), ("Client/URLPrefix", "wsman"), ("Client/AllowUnencrypted", "false"),
        ("Client/Auth/Basic", "true"), ("Client/Auth/Digest", "true"), ("Client/Auth/Kerberos", "true"),
        ("Client/Auth/Negotiate", "true"), ("Client/Auth/Certificate", "true"), ("Client/Auth/CredSSP", "false"),
        ("Client/DefaultPorts/HTTP", "5985"), ("Client/DefaultPorts/HTTPS", "5986"), ("Client/TrustedHosts", ""),
        ("Service/RootSDDL", "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)"),
        ("Service/MaxConcurrentOperations", "4294967295"), ("Service/MaxConcurrentOperationsPerUser", "1500"),
        ("Service/EnumerationTimeoutms", "240000"), ("Service/MaxConnections", "300"),
        ("Service/MaxPacketRetrievalTimeSeconds", "120"), ("Service/AllowUnencrypted", "false"),
        ("Service/Auth/Basic", "true"), ("Service/Auth/Kerberos", "true"), ("Service/Auth/Negotiate", "true"),
        ("Service/Auth/Certificate", "false"), ("Service/Auth/CredSSP", "false"),
        ("Service/Auth/CbtHardeningLevel", "Relaxed"),
        ("Service/DefaultPorts/HTTP", "5985"), ("Service/DefaultPorts/HTTPS", "5986"),
        ("Service/IPv4Filter", "*"), ("Service/IPv6Filter", "*"),
        ("Service/EnableCompatibilityHttpListener", "false"), ("Service/EnableCompatibilityHttpsListener", "false"),
        ("Service/CertificateThumbprint", ""), ("Service/AllowRemoteAccess", "true"),
        ("Service/AdminGroups", svc.fx.admins_group), ("Service/RemoteUsersGroup", svc.fx.users_group),
        ("Winrs/AllowRemoteShellAccess", "true"), ("Winrs/IdleTimeout", "7200000"),
        ("Winrs/MaxConcurrentUsers", "2147483647"), ("Winrs/MaxShellRunTime", "2147483647"),
        ("Winrs/MaxProcessesPerShell", "2147483647"), ("Winrs/MaxMemoryPerShellMB", "2147483647"),
        ("Winrs/MaxShellsPerUser", "30"),
    ]


def test_get_returns_windows_defaults():
    svc = h.service()
    adm = h.user("adm")
    el = get(svc, adm)
    h.eq(el.tag, "{%s}Config" % CONFIG, "root element of winrm/config")
    h.eq(leaves(el), windows_config(svc), "winrm/config, leaf by leaf, in Windows' order")

    el = get(svc, adm, "/service/auth")
    h.eq(el.tag, "{%s/service/auth}Auth" % CONFIG, "a sub-resource's element and namespace")
    h.eq([n for n, _ in leaves(el)], ["Basic", "Kerberos", "Negotiate", "Certificate", "CredSSP",
                                      "CbtHardeningLevel"], "service/auth settings")
    el = get(svc, adm, "/Winrs")
    h.eq(el.tag, "{%s/winrs}Winrs" % CONFIG, "resource URIs match case-insensitively")

    li = svc.listener()
    el = get(svc, adm, "/Listener", [("Address", "IP:127.0.0.1"), ("Transport", "HTTPS")])
    h.eq(el.tag, "{%s/listener}Listener" % CONFIG, "a listener's element")
    got = leaves(el)
    h.eq(got[:8], [("Address", "IP:127.0.0.1"), ("Transport", "HTTPS"), ("Port", str(li.port)),
                   ("Hostname", ""), ("Enabled", "true"), ("URLPrefix", "wsman"), ("CertificateThumbprint", ""),
                   ("ListeningOn", "127.0.0.1")], "section 6.7's listener, in order")
    h.eq(got[8:], [("CertificateFile", "cert.pem"), ("KeyFile", "key.pem")], "our listener settings last")

    fault(call(svc, adm, A_GET, CONFIG + "/listener", selectors=[("Address", "IP:127.0.0.9"),
                                                                 ("Transport", "HTTP")]),
          "InvalidSelectors", CODE_RESOURCE_NOT_FOUND)
    r = call(svc, adm, A_GET, CONFIG + "/service/nosuch")
    h.eq((r.status, r.fault().subcode_local), (500, "DestinationUnreachable"), "unknown config resource")
    r = call(svc, adm, A_GET, CONFIG + "/service/certmapping")
    h.eq((r.status, r.fault().subcode_local), (500, "InvalidSelectors"), "a certmapping Get names one")


def test_put_is_saved_and_applied():
    svc = h.service()
    adm, a = h.user("adm"), h.user("a")
    mark = svc.log_mark()
    winrs = get(svc, adm, "/winrs")
    r = call(svc, adm, A_PUT, CONFIG + "/winrs", edited(winrs, {"MaxShellsPerUser": "1"}))
    el = body_of(r, R_PUT)
    h.eq(dict(leaves(el))["MaxShellsPerUser"], "1", "PutResponse shows the new value")
    h.check(b"Winrs/MaxShellsPerUser = 1\n" in conf_bytes(svc), "the stored file has the new value")
    svc.wait_for_log([r"configuration change by %s" % adm.name, r"Put winrm/config/winrs", "applied"],
                     since=mark)
    # The running service enforces it at once: the reply came after the reload.
    raw = h.Raw(svc, a)
    first = raw.create()
    fault(raw.post(h.create_env()), "QuotaLimit", h.CODE_QUOTA_MAX_SHELLS)
    raw.delete(first)

    # The whole service resource sent back with one change: the read-only
    # settings in it go back unchanged and are accepted.
    service = get(svc, adm, "/service")
    r = call(svc, adm, A_PUT, CONFIG + "/service", edited(service, {"AllowUnencrypted": "true",
                                                                   "Auth/CbtHardeningLevel": "Strict"}))
    el = body_of(r, R_PUT)
    h.eq((dict(leaves(el))["AllowUnencrypted"], dict(leaves(el))["Auth/CbtHardeningLevel"]),
         ("true", "Strict"), "service after Put")
    text = conf_bytes(svc)
    h.check(b"Service/AllowUnencrypted = true\n" in text and b"Service/Auth/CbtHardeningLevel = Strict\n" in text,
            "the stored file has both changes")
    h.eq(dict(leaves(get(svc, adm)))["Service/AllowUnencrypted"], "true", "a later Get sees it")


def test_refused_put_changes_nothing():
    svc = h.service()
    adm = h.user("adm")
    before = conf_bytes(svc)
    winrs = get(svc, adm, "/winrs")
    ns = "{%s/winrs}" % CONFIG

    mark = svc.log_mark()
    bogus = ET.fromstring(ET.tostring(winrs))
    ET.SubElement(bogus, ns + "Bogus").text = "1"
    fault(call(svc, adm, A_PUT, CONFIG + "/winrs", ET.tostring(bogus, encoding="unicode")),
          "InvalidParameter", CODE_INVALID_PARAMETER)
    svc.wait_for_log([adm.name, "refused", "unknown setting Bogus"], since=mark)
    h.eq(conf_bytes(svc), before, "the file after an unknown setting")

    # A good change next to a bad value: all or nothing.
    both = ET.fromstring(ET.tostring(winrs))
    r = call(svc, adm, A_PUT, CONFIG + "/winrs", edited(both, {"IdleTimeout": "60000", "MaxShellsPerUser": "x"}))
    fault(r, "InvalidParameter", CODE_INVALID_PARAMETER)
    h.eq(conf_bytes(svc), before, "the file after a bad value")
    h.eq(dict(leaves(get(svc, adm, "/winrs")))["IdleTimeout"], "7200000", "the good change was not kept")

    service = get(svc, adm, "/service")
    fault(call(svc, adm, A_PUT, CONFIG + "/service", edited(service, {"MaxConcurrentOperations": "5"})),
          "InvalidParameter", CODE_INVALID_PARAMETER)
    h.eq(conf_bytes(svc), before, "the file after changing a read-only setting")

    wrong_ns = '<c:Winrs xmlns:c="%s"><c:MaxShellsPerUser>3</c:MaxShellsPerUser></c:Winrs>' % CONFIG
    fault(call(svc, adm, A_PUT, CONFIG + "/winrs", wrong_ns), "SchemaValidationError", CODE_SCHEMA)
    fault(call(svc, adm, A_PUT, CONFIG + "/winrs", ""), "SchemaValidationError", CODE_SCHEMA)
    h.eq(conf_bytes(svc), before, "the file after malformed bodies")
    h.assert_serving(svc)


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


def _items(el, container):
    return [dict(leaves(i)) for i in el.find(container, NS)]


def test_listener_create_enumerate_delete():
    svc = h.service()
    adm = h.user("adm")
    port = h.free_port()
    sel = [("Address", "IP:127.0.0.1"), ("Transport", "HTTP")]
    luri = CONFIG + "/Listener"
    create = ('<p:Listener xmlns:p="%s"><p:Port>%d</p:Port><p:Hostname>localhost</p:Hostname></p:Listener>'
              % (luri, port))
    r = call(svc, adm, h.A_CREATE, luri, create, sel)
    el = body_of(r, "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse")
    h.eq(el.tag, "{%s}ResourceCreated" % h.NS["x"], "CreateResponse body")
    h.eq([(s.get("Name"), s.text) for s in el.iter("{%s}Selector" % h.NS["w"])], sel, "the new listener's EPR")
    h.eq(el.findtext("a:ReferenceParameters/w:ResourceURI", namespaces=NS), luri, "EPR resource URI")
    h.check(("Listener?Address=IP:127.0.0.1+Transport=HTTP/Port = %d\n" % port).encode() in conf_bytes(svc),
            "the stored file has the listener")
    # It listens once the reply is out, and it is the service answering.
    new = h.Listener("HTTP", "127.0.0.1")
    new.port = port
    h.eq(h.request(new, h.IDENTIFY_ENV).status, 401, "the new listener answers (unauthenticated: 401)")

    fault(call(svc, adm, h.A_CREATE, luri, create, sel), "AlreadyExists", CODE_ALREADY_EXISTS)

    r = call(svc, adm, A_ENUMERATE, CONFIG + "/listener",
             "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements></n:Enumerate>")
    el = body_of(r, NS_ENUM + "/EnumerateResponse")
    items = _items(el, "w:Items")
    h.eq([(i["Address"], i["Transport"], i["Port"]) for i in items],
         [("IP:127.0.0.1", "HTTPS", str(svc.listener().port)), ("IP:127.0.0.1", "HTTP", str(port))],
         "optimized Enumerate: every listener")
    h.check(el.find("w:EndOfSequence", NS) is not None and not el.findtext("n:EnumerationContext", namespaces=NS),
            "optimized Enumerate ends the sequence")

    r = call(svc, adm, A_ENUMERATE, CONFIG + "/listener", "<n:Enumerate/>")
    ctx = body_of(r, NS_ENUM + "/EnumerateResponse").findtext("n:EnumerationContext", namespaces=NS)
    h.check(ctx and ctx.startswith("uuid:"), "plain Enumerate gives a context: %r" % ctx)
    pull = "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext><n:MaxElements>1</n:MaxElements></n:Pull>" % ctx
    el = body_of(call(svc, adm, A_PULL, CONFIG + "/listener", pull), NS_ENUM + "/PullResponse")
    h.eq([i["Transport"] for i in _items(el, "n:Items")], ["HTTPS"], "first Pull")
    h.check(el.find("n:EndOfSequence", NS) is None and el.findtext("n:EnumerationContext", namespaces=NS) == ctx,
            "more to pull")
    el = body_of(call(svc, adm, A_PULL, CONFIG + "/listener", pull), NS_ENUM + "/PullResponse")
    h.eq([i["Transport"] for i in _items(el, "n:Items")], ["HTTP"], "second Pull")
    h.check(el.find("n:EndOfSequence", NS) is not None, "the last Pull ends the sequence")
    fault(call(svc, adm, A_PULL, CONFIG + "/listener", pull), "InvalidEnumerationContext", CODE_INVALID_CONTEXT)

    r = call(svc, adm, A_ENUMERATE, CONFIG + "/listener", "<n:Enumerate/>")
    ctx = body_of(r, NS_ENUM + "/EnumerateResponse").findtext("n:EnumerationContext", namespaces=NS)
    release = "<n:Release><n:EnumerationContext>%s</n:EnumerationContext></n:Release>" % ctx
    h.check(body_of(call(svc, adm, A_RELEASE, CONFIG + "/listener", release), NS_ENUM + "/ReleaseResponse") is None,
            "ReleaseResponse has an empty body")
    fault(call(svc, adm, A_PULL, CONFIG + "/listener", release.replace("Release", "Pull")),
          "InvalidEnumerationContext", CODE_INVALID_CONTEXT)

    r = call(svc, adm, h.A_DELETE, luri, selectors=sel)
    h.check(body_of(r, "http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse") is None,
            "DeleteResponse has an empty body")
    h.check(not _listening(port), "port %d still accepts connections after Delete" % port)
    h.check(b"Transport=HTTP/" not in conf_bytes(svc), "the listener is gone from the file")
    fault(call(svc, adm, h.A_DELETE, luri, selectors=sel), "InvalidSelectors", CODE_RESOURCE_NOT_FOUND)
    h.assert_serving(svc)


def test_plain_user_is_denied():
    svc = h.service()
    a = h.user("a")
    before = conf_bytes(svc)
    mark = svc.log_mark()
    fault(call(svc, a, A_GET), "AccessDenied", CODE_ACCESS_DENIED)
    svc.wait_for_log([a.name, "refused", "access denied"], since=mark)
    winrs = get(svc, h.user("adm"), "/winrs")
    fault(call(svc, a, A_PUT, CONFIG + "/winrs", edited(winrs, {"MaxShellsPerUser": "1"})),
          "AccessDenied", CODE_ACCESS_DENIED)
    fault(call(svc, a, A_ENUMERATE, CONFIG + "/listener", "<n:Enumerate/>"), "AccessDenied", CODE_ACCESS_DENIED)
    fault(call(svc, a, h.A_DELETE, CONFIG + "/listener",
               selectors=[("Address", "IP:127.0.0.1"), ("Transport", "HTTPS")]), "AccessDenied", CODE_ACCESS_DENIED)
    h.eq(conf_bytes(svc), before, "the file after a plain user's attempts")
    h.eq(h.request(svc, h.envelope(A_GET, resource=CONFIG)).status, 401, "no credentials: 401")
    h.assert_serving(svc, a)


def test_unknown_enumeration_context():
    svc = h.service()
    adm = h.user("adm")
    ctx = "uuid:%s" % str(uuid.uuid4()).upper()
    for action, body in ((A_PULL, "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext></n:Pull>" % ctx),
                         (A_RELEASE, "<n:Release><n:EnumerationContext>%s</n:EnumerationContext></n:Release>"
                          % ctx)):
        f = fault(call(svc, adm, action, CONFIG + "/listener", body), "InvalidEnumerationContext",
                  CODE_INVALID_CONTEXT)
        h.eq((f.value, f.subcode_ns), ("s:Receiver", NS_ENUM), "code and subcode namespace")


def test_plugin_create_enumerate_delete():
    """winrm/config/plugin over the network: the session configurations are
    instances named by Name, as Windows keeps its PowerShell plugins."""
    svc = h.service()
    adm = h.user("adm")
    puri = CONFIG + "/Plugin"
    pns = puri
    sel = [("Name", "DnsOps")]
    create = ('<p:PlugInConfiguration xmlns:p="%s"><p:RunAsUser>nobody</p:RunAsUser>'
              '<p:AllowedGroups>dnsops</p:AllowedGroups></p:PlugInConfiguration>' % pns)
    r = call(svc, adm, h.A_CREATE, puri, create, sel)
    el = body_of(r, "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse")
    h.eq([(s.get("Name"), s.text) for s in el.iter("{%s}Selector" % h.NS["w"])], sel, "the new plugin's EPR")
    h.check(b"Plugin?Name=DnsOps/RunAsUser = nobody\n" in conf_bytes(svc), "the stored file has the plugin")
    fault(call(svc, adm, h.A_CREATE, puri, create, sel), "AlreadyExists", CODE_ALREADY_EXISTS)
    for bad in ([("Name", "../x")], [("Name", "a b")], [("Address", "*")], sel + [("Name", "x")]):
        fault(call(svc, adm, h.A_CREATE, puri, create, bad), "InvalidSelectors", CODE_INVALID_SELECTORS)
    r = call(svc, adm, A_GET, puri, selectors=[("Name", "dnsops")])
    h.eq(dict(leaves(body_of(r, "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse")))["RunAsUser"],
         "nobody", "Get of the plugin")
    r = call(svc, adm, A_ENUMERATE, CONFIG + "/plugin",
             "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements></n:Enumerate>")
    h.eq([i["Name"] for i in _items(body_of(r, NS_ENUM + "/EnumerateResponse"), "w:Items")],
         ["Microsoft.PowerShell", "PowerShell.7", "DnsOps"], "Enumerate: every plugin")
    r = call(svc, adm, h.A_DELETE, puri, selectors=sel)
    h.check(body_of(r, "http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse") is None,
            "DeleteResponse has an empty body")
    h.check(b"Plugin?Name=DnsOps/" not in conf_bytes(svc) and b"Plugin?Name=PowerShell.7/" in conf_bytes(svc),
            "the plugin is gone from the file, the others stay")
    h.assert_serving(svc)


def test_certmapping_create_get_put_enumerate_delete():
    """winrm/config/service/certmapping over the network (MS-WSMV 3.1.4.1.29.3):
    instances named by Issuer, Subject and URI, a URI holding '/'; the
    Password Windows sends is taken and neither stored, returned nor logged."""
    svc = h.service()
    adm = h.user("adm")
    curi = CONFIG + "/service/certmapping"
    issuer = "5600a015ca5e8a26f638b74e819ae92096da5c8c"
    shell = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/*"
    sel = [("Issuer", issuer), ("Subject", "*@example.com"), ("URI", shell)]
    # As winrm.vbs builds it: the root named after the URI's last segment.
    create = ('<p:certmapping xmlns:p="%s"><p:UserName>%s</p:UserName><p:Password>Sw0rdfish!</p:Password>'
              '<p:Enabled>true</p:Enabled></p:certmapping>' % (curi, adm.name))
    r = call(svc, adm, h.A_CREATE, curi, create, sel)
    el = body_of(r, "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse")
    h.eq([(s.get("Name"), s.text) for s in el.iter("{%s}Selector" % h.NS["w"])], sel, "the new mapping's EPR")
    h.eq(el.findtext("a:ReferenceParameters/w:ResourceURI", namespaces=NS), curi, "EPR resource URI")
    h.check(("Service/CertMapping?Issuer=%s+Subject=*@example.com+URI=%s/UserName = %s\n"
             % (issuer.upper(), shell, adm.name)).encode() in conf_bytes(svc), "the stored file has the mapping")
    fault(call(svc, adm, h.A_CREATE, curi, create, sel), "AlreadyExists", CODE_ALREADY_EXISTS)
    for bad in ([("Issuer", "12"), sel[1], sel[2]], sel[:2], [("Issuer", issuer), ("Subject", "a*b"), sel[2]],
                [sel[0], sel[1], ("URI", "http://x/y?z")], sel + [("Name", "x")]):
        fault(call(svc, adm, h.A_CREATE, curi, create, bad), "InvalidSelectors", CODE_INVALID_SELECTORS)
    nouser = create.replace("<p:UserName>%s</p:UserName>" % adm.name, "")
    before = conf_bytes(svc)
    fault(call(svc, adm, h.A_CREATE, curi, nouser, [sel[0], ("Subject", "bob"), sel[2]]), "InvalidParameter",
          CODE_INVALID_PARAMETER)
    h.eq(conf_bytes(svc), before, "the file after a mapping without UserName was refused")

    # Get, with the selectors in other cases: they compare case-insensitively.
    el = get(svc, adm, "/service/certmapping", [("Issuer", issuer.upper()), ("Subject", "*@EXAMPLE.COM"),
                                                ("URI", shell)])
    h.eq(el.tag, "{%s}CertMapping" % curi, "the document's element and namespace")
    h.eq(leaves(el), [("URI", shell), ("Subject", "*@example.com"), ("Issuer", issuer.upper()),
                      ("UserName", adm.name), ("Enabled", "true"), ("Password", "")], "Get of the mapping")
    r = call(svc, adm, A_PUT, curi, edited(el, {"Enabled": "false", "Password": "0therPass"}), sel)
    h.eq(dict(leaves(body_of(r, R_PUT)))["Enabled"], "false", "PutResponse shows the change")
    h.check(b"Enabled = false" in conf_bytes(svc), "the Put is stored")

    r = call(svc, adm, A_ENUMERATE, curi,
             "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements></n:Enumerate>")
    items = _items(body_of(r, NS_ENUM + "/EnumerateResponse"), "w:Items")
    h.eq([(i["Subject"], i["URI"], i["Enabled"]) for i in items], [("*@example.com", shell, "false")],
         "Enumerate: every mapping")
    for secret in (b"Sw0rdfish!", b"0therPass"):
        h.check(secret not in conf_bytes(svc) and secret not in r.body, "the password was stored or returned")
        h.check(secret.decode() not in svc.log_text(), "the password was logged")

    r = call(svc, adm, h.A_DELETE, curi, selectors=sel)
    h.check(body_of(r, "http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse") is None,
            "DeleteResponse has an empty body")
    h.check(b"CertMapping" not in conf_bytes(svc), "the mapping is gone from the file")
    fault(call(svc, adm, h.A_DELETE, curi, selectors=sel), "InvalidSelectors", CODE_RESOURCE_NOT_FOUND)
    fault(call(svc, adm, A_GET, curi, selectors=sel), "InvalidSelectors", CODE_RESOURCE_NOT_FOUND)
    h.assert_serving(svc)


def test_certmapping_plain_user_is_denied():
    svc = h.service()
    a = h.user("a")
    curi = CONFIG + "/service/certmapping"
    sel = [("Issuer", "5600a015ca5e8a26f638b74e819ae92096da5c8c"), ("Subject", "*"), ("URI", "*")]
    create = ('<p:CertMapping xmlns:p="%s"><p:UserName>%s</p:UserName></p:CertMapping>' % (curi, a.name))
    before = conf_bytes(svc)
    fault(call(svc, a, h.A_CREATE, curi, create, sel), "AccessDenied", CODE_ACCESS_DENIED)
    fault(call(svc, a, A_ENUMERATE, curi, "<n:Enumerate/>"), "AccessDenied", CODE_ACCESS_DENIED)
    fault(call(svc, a, A_GET, curi, selectors=sel), "AccessDenied", CODE_ACCESS_DENIED)
    h.eq(conf_bytes(svc), before, "the file after a plain user's attempts")
