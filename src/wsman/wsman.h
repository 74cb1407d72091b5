/* wsman: the SOAP 1.2 / WS-Addressing / WS-Management codec. No I/O.
 * Requests are parsed with libxml2 with network access, DTD loading and
 * entity expansion off, and any DTD refused; elements are matched by
 * namespace URI and local name, never by prefix (every client picks its
 * own). Replies are written as Windows writes them (single line, Windows'
 * prefixes). faults: one table (wsman/fault.c) maps each enum err to the
 * HTTP status, SOAP code, subcode, WSManFault code and reason. */
#ifndef OPENWINRM_WSMAN_H
#define OPENWINRM_WSMAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define NS_SOAP "http://www.w3.org/2003/05/soap-envelope"
#define NS_WSA "http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define NS_ADDRESSING_ANONYMOUS NS_WSA "/role/anonymous"
#define NS_WSMAN "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define NS_WSMV "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
#define NS_SHELL "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
#define NS_TRANSFER "http://schemas.xmlsoap.org/ws/2004/09/transfer"
#define NS_IDENTITY "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
#define NS_ENUMERATION "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define NS_WSMANFAULT "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define NS_CIMBINDING "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
#define NS_CIM_COMMON "http://schemas.dmtf.org/wbem/wscim/1/common"
#define NS_MSFT_WMI_ERROR "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError"

#define URI_SHELL_CMD "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
#define ACTION_CREATE NS_TRANSFER "/Create"
#define ACTION_DELETE NS_TRANSFER "/Delete"
#define ACTION_COMMAND NS_SHELL "/Command"
#define ACTION_SEND NS_SHELL "/Send"
#define ACTION_RECEIVE NS_SHELL "/Receive"
#define ACTION_SIGNAL NS_SHELL "/Signal"
#define ACTION_DISCONNECT NS_SHELL "/Disconnect"
#define ACTION_RECONNECT NS_SHELL "/Reconnect"
#define ACTION_CONNECT NS_SHELL "/Connect"

#define WSMAN_MAX_SELECTORS 8
#define WSMAN_MAX_OPTIONS 32
#define WSMAN_MAX_HEADER_VALUE 2048

struct wsman_pair {
	char *name;
	char *value;
	int must_comply;
};

/* What the SOAP header said. Absent elements are NULL / 0. */
struct wsman_header {
	char *action;
	char *message_id;
	char *resource_uri;
	char *to;
	uint64_t operation_timeout_ms; /* 0: absent */
	uint64_t max_envelope_size;    /* bytes; 0: absent */
	char *locale;		       /* xml:lang of w:Locale */
	/* rsp:CompressionType (MS-WSMV 3.2.4.1.19: a shell Create's header)
	 * and whether it carried s:mustUnderstand="true". */
	char *compression_type;
	int compression_type_required;
	uint32_t nselectors;
	struct wsman_pair selectors[WSMAN_MAX_SELECTORS];
	uint32_t noptions;
	struct wsman_pair options[WSMAN_MAX_OPTIONS];
};

struct wsman_request {
	void *doc;	 /* xmlDocPtr, kept for the body decoders */
	void *body;	 /* xmlNodePtr: first element child of s:Body, or NULL */
	int is_identify; /* body is wsmid:Identify */
	struct wsman_header hdr;
};

/* Parses an envelope. ERR_WSMAN_INVALID_XML (not XML, a DTD, not a SOAP
 * 1.2 envelope), ERR_WSMAN_INVALID_HEADER (e.g. a bad OperationTimeout or
 * MaxEnvelopeSize), ERR_WSMAN_HEADER_REQUIRED (no Action/MessageID on a
 * non-Identify request), ERR_WSMAN_MUST_UNDERSTAND. On error req is freed
 * but any MessageID found is left in req->hdr.message_id for the fault's
 * RelatesTo (free it with wsman_request_clear). */
enum err wsman_parse(const uint8_t *data, size_t len, struct wsman_request *req);
void wsman_request_clear(struct wsman_request *req);

const char *wsman_selector(const struct wsman_request *req, const char *name);
const char *wsman_option(const struct wsman_request *req, const char *name);
/* TRUE/True/true/1 -> 1, FALSE/False/false/0 -> 0, absent -> dflt, else -1. */
int wsman_option_bool(const struct wsman_request *req, const char *name, int dflt);
/* The most bytes the reply may have: the client's w:MaxEnvelopeSize, or
 * what clients send when they send none. */
uint64_t wsman_max_envelope(const struct wsman_request *req);

/* Replies that belong to no one resource. `machine` (faults) is the host
 * name the client addressed (Host header without port). */
enum err wsman_reply_identify(struct buf *out, int authenticated);
/* A reply whose body is fixed markup (""), with the namespaces Windows
 * declares on the shell's replies. */
enum err wsman_reply_fixed(struct buf *out, const struct wsman_request *req, const char *action,
			   const char *body);
/* DeleteResponse: Windows answers Delete with an empty s:Body, which MS-WSMV
 * 2.2.2.3 allows (docs/protocol-notes.md, "DeleteResponse"). */
enum err wsman_reply_delete(struct buf *out, const struct wsman_request *req);

/* ---- WS-Transfer and WS-Enumeration on resources such as winrm/config
 * (configmsg.c; DSP0226 7 and 8) ---- */
#define ACTION_GET NS_TRANSFER "/Get"
#define ACTION_PUT NS_TRANSFER "/Put"
#define ACTION_ENUMERATE NS_ENUMERATION "/Enumerate"
#define ACTION_PULL NS_ENUMERATION "/Pull"
#define ACTION_RELEASE NS_ENUMERATION "/Release"

#define WSMAN_MAX_PROPERTIES 128      /* leaf elements of one Put or Create body */
#define WSMAN_MAX_PROPERTY_NAME 256   /* a leaf's path below the root element */
#define WSMAN_MAX_PROPERTY_VALUE 4096 /* a leaf's text */
#define WSMAN_MAX_PROPERTY_DEPTH 3    /* Config/Client/Auth/Basic */
#define WSMAN_MAX_CONTEXT 64	      /* an EnumerationContext: "uuid:" and a GUID */

/* A Put or Create body, flattened: one property per leaf element (one
 * without element children), named by its path below the root element
 * ("Auth/Basic" in cfg:Service) with its text, trimmed; NULL for
 * xsi:nil="true" (winrm's $null). Attributes such as Source are ignored. */
struct wsman_property {
	char *name;
	char *value;
};
struct wsman_properties {
	uint32_t n;
	struct wsman_property p[WSMAN_MAX_PROPERTIES];
};
/* The body must be the element {ResourceURI}root, the namespace and the
 * name compared case-insensitively (Windows matches resource URIs so, and
 * `winrm create` names the namespace after the URI as typed), every
 * descendant in the root's namespace. ERR_WSMAN_SCHEMA otherwise, or for
 * nesting deeper than WSMAN_MAX_PROPERTY_DEPTH; ERR_WSMAN_ENCODING_LIMIT
 * beyond the other limits. On error out holds nothing. */
enum err wsman_properties_parse(const struct wsman_request *req, const char *root,
				struct wsman_properties *out);
void wsman_properties_clear(struct wsman_properties *p);

/* Certificate authentication's Authorization header, whole: the security
 * profile's URI, no scheme token (the certificate travels in the TLS
 * handshake). Windows' client, pywinrm and masterzen/winrm send it on every
 * request. */
#define WSMAN_SECPROFILE_HTTPS_MUTUAL                                                              \
	"http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

#define WSMAN_SELECTOR_FILTER "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
/* The Selector dialect as PowerShell's WSMan cmdlets name it. */
#define WSMAN_SELECTOR_FILTER_MS "http://schemas.microsoft.com/wbem/wsman/1/wsman/SelectorFilter"
#define WSMAN_MAX_FILTER_SELECTORS 4
#define WSMAN_MAX_FILTER_NAME 64
#define WSMAN_MAX_FILTER_VALUE 256
#define WSMAN_MAX_DIALECT 256	   /* a Filter's Dialect URI */
#define WSMAN_MAX_FILTER_TEXT 4096 /* another dialect's filter text (a WQL query) */
/* What an enumeration's items are (DSP0226 8.7, w:EnumerationMode): the
 * resources (no w:EnumerationMode), their EPRs, or each resource and its
 * EPR in a w:Item. */
enum wsman_enumeration_mode {
	WSMAN_ENUM_OBJECTS = 0,
	WSMAN_ENUM_EPRS,
	WSMAN_ENUM_OBJECTS_AND_EPRS,
};
struct wsman_enumerate_req {
	int optimize;	       /* w:OptimizeEnumeration: the first batch in the reply */
	uint32_t max_elements; /* w:MaxElements; 0 when absent */
	enum wsman_enumeration_mode mode;
	/* A w:Filter or an n:Filter (MS-WSMV 3.1.4.1.13: the same): its
	 * Dialect as sent ("" when absent), and for the Selector dialect
	 * (DSP0226 Annex E; `selector` set) its selectors, for any other its
	 * text (trimmed). Which dialects a resource takes is its own say. */
	int filtered;
	int selector;
	char dialect[WSMAN_MAX_DIALECT + 1];
	char text[WSMAN_MAX_FILTER_TEXT + 1];
	uint32_t nfilter;
	struct {
		char name[WSMAN_MAX_FILTER_NAME + 1];
		char value[WSMAN_MAX_FILTER_VALUE + 1];
	} filter[WSMAN_MAX_FILTER_SELECTORS];
};
/* n:Enumerate. A malformed selector filter is ERR_WSMAN_INVALID_SELECTORS;
 * a Dialect longer than WSMAN_MAX_DIALECT ERR_WSMAN_FILTER_DIALECT, a
 * filter text longer than WSMAN_MAX_FILTER_TEXT ERR_WSMAN_CANNOT_PROCESS_FILTER
 * (the text is the character data directly inside the filter); two
 * filters ERR_WSMAN_SCHEMA.
 * ERR_WSMAN_ENUMERATION_MODE for a w:EnumerationMode other than
 * EnumerateEPR and EnumerateObjectAndEPR; a resource that serves objects
 * only refuses those with it too (wsman_enumerate_objects_only). */
enum err wsman_enumerate_parse(const struct wsman_request *req, struct wsman_enumerate_req *out);
/* ERR_WSMAN_ENUMERATION_MODE unless o asks for the resources themselves:
 * for what serves no EPRs (winrm/config's collections, the shells). */
enum err wsman_enumerate_objects_only(const struct wsman_enumerate_req *o);
struct wsman_pull_req {
	char context[WSMAN_MAX_CONTEXT + 1];
	uint32_t max_elements; /* n:MaxElements; 0 when absent (WS-Enumeration: one) */
};
/* n:Pull and n:Release. A missing, empty or overlong EnumerationContext
 * cannot name one of ours: ERR_WSMAN_INVALID_CONTEXT. */
enum err wsman_pull_parse(const struct wsman_request *req, struct wsman_pull_req *out);
enum err wsman_release_parse(const struct wsman_request *req, struct wsman_pull_req *out);

/* GetResponse or PutResponse (action): xml, the resource's element, as the body. */
enum err wsman_reply_resource(struct buf *out, const struct wsman_request *req, const char *action,
			      const char *xml, size_t len);
/* An EPR as element (x:ResourceCreated, DSP0226 7.6, a created
 * instance's and a shell's, MS-WSMV 3.1.4.5.2; a:EndpointReference, an
 * enumeration's item, DSP0226 8.7): a:Address, then a:ReferenceParameters
 * with w:ResourceURI and a w:SelectorSet of the n name/value pairs (none:
 * no set, a singleton's), escaped. The a: and w: prefixes are the
 * envelope's. */
enum err wsman_put_epr(struct buf *out, const char *element, const char *address,
		       const char *resource_uri, const char *const *names,
		       const char *const *values, uint32_t n);
/* CreateResponse: x:ResourceCreated, the EPR of the new instance (DSP0226
 * 7.6, as the shell's). */
enum err wsman_reply_resource_created(struct buf *out, const struct wsman_request *req,
				      const char *machine_url, const char *resource_uri,
				      const char *const *selector_names,
				      const char *const *selector_values, uint32_t nselectors);
/* EnumerateResponse (optimized: the items in w:Items, w:EndOfSequence at
 * the end, the context empty then) and PullResponse (n:Items,
 * n:EndOfSequence, no context at the end). Items are standalone XML. */
enum err wsman_reply_enumerate(struct buf *out, const struct wsman_request *req,
			       const char *context, int optimized, const char *const *items,
			       uint32_t n, int end);
enum err wsman_reply_pull(struct buf *out, const struct wsman_request *req, const char *context,
			  const char *const *items, uint32_t n, int end);
enum err wsman_reply_release(struct buf *out, const struct wsman_request *req);

/* Faults: writes the whole SOAP fault envelope for e (RelatesTo = the
 * request's MessageID when known) and returns the HTTP status to send
 * (500 for faults; 400/401/404/405/413/415/503 for the HTTP-level codes,
 * whose body is empty). */
int wsman_fault(struct buf *out, enum err e, const char *relates_to, const char *machine);
int wsman_http_status(enum err e);

/* ---- the client side (wsman_client.c) ----
 * Requests in the shape Windows' client sends them; replies are parsed
 * with wsman_parse and read with the wsman_client_* readers below. */
struct wsman_client_header {
	const char *to; /* the endpoint URL */
	/* The w:ResourceURI of kinds with one URI per endpoint (PowerShell's
	 * session configurations); NULL: the builder's own resource. */
	const char *resource_uri;
	uint64_t operation_timeout_ms; /* w:OperationTimeout */
	uint32_t max_envelope_size;    /* w:MaxEnvelopeSize: the most the reply may be */
	/* rsp:CompressionType, mustUnderstand (a PowerShell Create asking for
	 * "xpress", MS-WSMV 3.1.4.1.31.6); NULL: none. */
	const char *compression_type;
};

enum err wsman_client_identify(struct buf *out);
/* The builders fail with ERR_FORMAT for text that is not UTF-8. */
/* A request on any resource (Get, Put, Create, Delete, Enumerate, Pull,
 * Release or a custom action): body_xml, well-formed XML or NULL, goes
 * into s:Body as it is; the prefixes s, a, w, p, x (transfer) and n
 * (enumeration) are declared on the envelope. */
enum err wsman_client_request(struct buf *out, const struct wsman_client_header *h,
			      const char *resource, const char *action,
			      const struct wsman_pair *selectors, size_t nselectors,
			      const char *body_xml);

/* ---- resources as the winrm tool shows and edits them (wsman/text.c) ---- */
enum wsman_text_format {
	WSMAN_TEXT_PLAIN,  /* Windows' WsmTxt.xsl: indented "Name = value" */
	WSMAN_TEXT_XML,	   /* the element as it came */
	WSMAN_TEXT_PRETTY, /* the element, indented */
};
/* Renders a resource (an element, or an envelope: the first element of
 * its body) in format. ERR_FORMAT for what is not XML or has a DTD. */
enum err wsman_text_render(const char *xml, size_t len, enum wsman_text_format format,
			   struct buf *out);
/* `winrm set`: gives each named direct child of the resource's root
 * element the value (NULL: xsi:nil="true") and writes the whole resource
 * to out. ERR_CONFIG, with errmsg, when a name matches no child or
 * several, or a group of settings. */
enum err wsman_text_set(const char *xml, size_t len, const struct wsman_pair *pairs, size_t npairs,
			struct buf *out, struct buf *errmsg);

struct wsman_client_fault {
	char subcode[64];   /* local name of the subcode, e.g. "TimedOut" */
	uint32_t code;	    /* f:WSManFault Code, 0 if absent */
	char message[1024]; /* f:Message (else s:Reason), whitespace folded */
};
/* ERR_FORMAT unless the body is an s:Fault. */
enum err wsman_client_fault(const struct wsman_request *resp, struct wsman_client_fault *f);
/* The first element of s:Body as standalone XML text (NULL for an empty
 * body); the caller frees it. */
enum err wsman_client_body_xml(const struct wsman_request *resp, char **xml);
/* Each item of an EnumerateResponse or PullResponse, as standalone XML,
 * to fn in order; context gets the EnumerationContext for the next Pull
 * and *end is set at the end of the sequence. */
typedef enum err wsman_client_item_fn(void *arg, const char *item_xml);
enum err wsman_client_enumerated(const struct wsman_request *resp, wsman_client_item_fn *fn,
				 void *arg, char *context, size_t cap, int *end);

#endif
