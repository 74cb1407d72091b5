"""WS-Management Identify (MS-WSMV 3.1.4.1.23)."""
import harness as h


def test_identify_unauthenticated():
    svc = h.service()
    r = h.request(svc, h.IDENTIFY_ENV, headers={"WSMANIDENTIFY": "unauthenticated"})
    h.eq(r.status, 200, "anonymous Identify status (%s)" % h._short(r.body, 300))
    h.check("application/soap+xml" in (r.header("Content-Type") or ""), "SOAP content type")
    resp = r.xml().find("s:Body/wsmid:IdentifyResponse", h.NS)
    h.check(resp is not None, "no wsmid:IdentifyResponse in %s" % h._short(r.body))
    h.eq(h._text(resp.find("wsmid:ProtocolVersion", h.NS)), h.PROTOCOL_VERSION, "ProtocolVersion")
    h.check(h._text(resp.find("wsmid:ProductVendor", h.NS)), "ProductVendor present")
    h.check(h._text(resp.find("wsmid:ProductVersion", h.NS)), "ProductVersion present")


def test_identify_without_header_needs_credentials():
    svc = h.service()
    r = h.request(svc, h.IDENTIFY_ENV)
    h.eq(r.status, 401, "Identify without WSMANIDENTIFY and without credentials")
    r = h.request(svc, h.IDENTIFY_ENV, auth=h.user("a"))
    h.eq(r.status, 200, "authenticated Identify")
    h.check(r.xml().find("s:Body/wsmid:IdentifyResponse", h.NS) is not None, "IdentifyResponse")
