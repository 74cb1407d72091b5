/* envelope: the SOAP 1.2 envelope and its WS-Addressing / WS-Management
 * header (DSP0226 5 and 6, as MS-WSMV 3.1.4.1 amends them; Identify,
 * DSP0226 11), plus the XML helpers of wsman_xml.h. Pure functions over
 * (pointer, length). */
#include "wsman/wsman.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "common/util.h"
#include "wsman/wsman_xml.h"

#define NS_XML "http://www.w3.org/XML/1998/namespace"

/* libxml2's messages quote attacker-controlled bytes; never let them
 * reach stderr. Parse failures are reported through enum err instead. */
static void xml_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void xml_quiet_structured(void *ctx, xmlErrorPtr error)
{
	(void)ctx;
	(void)error;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, xml_quiet);
}

/* Called by the parser as soon as it has read `<!DOCTYPE name ...`, before
 * any markup declaration inside `[...]`: stopping here means no entity is
 * ever declared, let alone expanded (billion laughs, XXE), and no external
 * subset is fetched. */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id,
		       const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;

	(void)name;
	(void)external_id;
	(void)system_id;
	ctxt->wellFormed = 0;
	xmlStopParser(ctxt);
}

/* No XML_PARSE_NOENT, DTDLOAD, DTDATTR, HUGE or NOBLANKS (blank text
 * inside rsp:Command must survive); NONET as a second fence. */
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

static enum err read_doc(const uint8_t *data, size_t len, xmlDocPtr *out)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	*out = NULL;
	pthread_once(&xml_once, xml_init);
	if (len == 0 || len > INT_MAX)
		return ERR_WSMAN_INVALID_XML;
	if (!(ctxt = xmlNewParserCtxt()))
		return ERR_NOMEM;
	ctxt->sax->internalSubset = refuse_dtd;
	ctxt->sax->serror = xml_quiet_structured;
	doc = xmlCtxtReadMemory(ctxt, (const char *)data, (int)len, NULL, NULL, PARSE_OPTIONS);
	xmlFreeParserCtxt(ctxt);
	if (!doc)
		return ERR_WSMAN_INVALID_XML;
	/* A second fence behind refuse_dtd: no subset may survive. */
	if (doc->intSubset || doc->extSubset) {
		xmlFreeDoc(doc);
		return ERR_WSMAN_INVALID_XML;
	}
	*out = doc;
	return ERR_OK;
}

/* ---- helpers shared through wsman_xml.h ---- */

int wsman_xml_is(const xmlNode *n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

static xmlNode *element_from(xmlNode *n)
{
	while (n && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

xmlNode *wsman_xml_first(const xmlNode *parent)
{
	return parent ? element_from(parent->children) : NULL;
}

xmlNode *wsman_xml_next(const xmlNode *n)
{
	return n ? element_from(n->next) : NULL;
}

static int xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_chardata(const xmlNode *c)
{
	return (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content;
}

/* Two passes over the character data so that nothing is copied before the
 * (trimmed) length is known to fit max: the first finds the offsets of
 * the first and past the last significant byte, the second copies them. */
enum err wsman_xml_text(const xmlNode *n, size_t max, int trim, char **out)
{
	size_t off = 0, start = SIZE_MAX, end = 0, len, o = 0;
	const xmlNode *c;
	char *s;

	*out = NULL;
	/* The common case, one text node (a Stream's base64 may be megabytes). */
	if (n->children && !n->children->next && is_chardata(n->children)) {
		const char *p = (const char *)n->children->content;
		len = strlen(p);
		while (trim && len > 0 && xml_space(*p))
			p++, len--;
		while (trim && len > 0 && xml_space(p[len - 1]))
			len--;
		if (len > max)
			return ERR_WSMAN_ENCODING_LIMIT;
		if (!(s = malloc(len + 1)))
			return ERR_NOMEM;
		memcpy(s, p, len);
		s[len] = 0;
		*out = s;
		return ERR_OK;
	}
	for (c = n->children; c; c = c->next) {
		if (!is_chardata(c))
			continue;
		for (const xmlChar *p = c->content; *p; p++, off++) {
			if (!trim || !xml_space((char)*p)) {
				if (start == SIZE_MAX)
					start = off;
				end = off + 1;
			}
		}
	}
	len = start == SIZE_MAX ? 0 : end - start;
	if (len > max)
		return ERR_WSMAN_ENCODING_LIMIT;
	if (!(s = malloc(len + 1)))
		return ERR_NOMEM;
	off = 0;
	for (c = n->children; c && o < len; c = c->next) {
		if (!is_chardata(c))
			continue;
		for (const xmlChar *p = c->content; *p && o < len; p++, off++) {
			if (off >= start)
				s[o++] = (char)*p;
		}
	}
	s[len] = 0;
	*out = s;
	return ERR_OK;
}

enum err wsman_xml_attr(const xmlNode *n, const char *ns, const char *name, size_t max, char **out)
{
	xmlChar *v;
	size_t len;
	enum err e = ERR_OK;

	*out = NULL;
	v = ns ? xmlGetNsProp(n, (const xmlChar *)name, (const xmlChar *)ns)
	       : xmlGetNoNsProp(n, (const xmlChar *)name);
	if (!v)
		return ERR_OK;
	len = strlen((const char *)v);
	if (len > max)
		e = ERR_WSMAN_ENCODING_LIMIT;
	else if (!(*out = malloc(len + 1)))
		e = ERR_NOMEM;
	else
		memcpy(*out, v, len + 1);
	xmlFree(v);
	return e;
}

int wsman_bool_parse(const char *s)
{
	if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0)
		return 1;
	if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0)
		return 0;
	return -1;
}

enum err wsman_put_escaped(struct buf *out, const char *s)
{
	return util_xml_escape(out, s);
}

enum err wsman_put_head(struct buf *out, const char *nsdecls, const char *action,
			const char *relates_to)
{
	char id[UTIL_GUID_LEN + 1];
	enum err e;

	if ((e = util_guid(id)) != ERR_OK)
		return e;
	if ((e = buf_putf(out,
			  "<s:Envelope xml:lang=\"en-US\" %s><s:Header><a:Action>%s</a:Action>"
			  "<a:MessageID>uuid:%s</a:MessageID><a:To>%s</a:To>",
			  nsdecls, action, id, NS_ADDRESSING_ANONYMOUS)) != ERR_OK)
		return e;
	if (relates_to && ((e = buf_put(out, "<a:RelatesTo>", 13)) != ERR_OK ||
			   (e = wsman_put_escaped(out, relates_to)) != ERR_OK ||
			   (e = buf_put(out, "</a:RelatesTo>", 14)) != ERR_OK))
		return e;
	return buf_putf(out, "</s:Header><s:Body>");
}

/* ---- the header ---- */

enum header_kind {
	H_ACTION,
	H_MESSAGE_ID,
	H_TO,
	H_RESOURCE_URI,
	H_OPERATION_TIMEOUT,
	H_MAX_ENVELOPE_SIZE,
	H_LOCALE,
	H_SELECTOR_SET,
	H_OPTION_SET,
	H_COMPRESSION_TYPE,
	H_IGNORED, /* known and harmless to ignore, even with mustUnderstand */
};

static const struct {
	const char *ns;
	const char *name;
	enum header_kind kind;
} header_table[] = {
    {NS_WSA, "Action", H_ACTION},
    {NS_WSA, "MessageID", H_MESSAGE_ID},
    {NS_WSA, "To", H_TO},
    /* Replies always travel back on the request's connection. */
    {NS_WSA, "ReplyTo", H_IGNORED},
    {NS_WSMAN, "ResourceURI", H_RESOURCE_URI},
    {NS_WSMAN, "OperationTimeout", H_OPERATION_TIMEOUT},
    {NS_WSMAN, "MaxEnvelopeSize", H_MAX_ENVELOPE_SIZE},
    {NS_WSMAN, "Locale", H_LOCALE},
    {NS_WSMAN, "SelectorSet", H_SELECTOR_SET},
    {NS_WSMAN, "OptionSet", H_OPTION_SET},
    /* Only a shell's Create reads it; elsewhere it means nothing. */
    {NS_SHELL, "CompressionType", H_COMPRESSION_TYPE},
    /* We answer in en-US and UTF-8 whatever the data locale. */
    {NS_WSMV, "DataLocale", H_IGNORED},
    /* Robust-connection bookkeeping of Windows clients; we keep no
     * per-session state to resume. */
    {NS_WSMV, "SessionId", H_IGNORED},
    {NS_WSMV, "OperationID", H_IGNORED},
    {NS_WSMV, "SequenceId", H_IGNORED},
};

/* Namespaces whose header elements we are expected to know; an unknown
 * one of these marked s:mustUnderstand is a request we cannot honour. */
static int strict_namespace(const char *ns)
{
	return strcmp(ns, NS_SOAP) == 0 || strcmp(ns, NS_WSA) == 0 || strcmp(ns, NS_WSMAN) == 0 ||
	       strcmp(ns, NS_WSMV) == 0;
}

/* Only the SOAP-namespaced attribute counts: pywinrm, masterzen and WinRb
 * put an unqualified mustUnderstand on their headers, which SOAP 1.2
 * treats as an ordinary attribute (SOAP 1.2 part 1, 5.2.3;
 * docs/protocol-notes.md, "s:mustUnderstand"). */
static enum err must_understand(const xmlNode *n, int *yes)
{
	char *v;
	enum err e = wsman_xml_attr(n, NS_SOAP, "mustUnderstand", WSMAN_MAX_HEADER_VALUE, &v);

	*yes = 0;
	if (e == ERR_OK && v) {
		*yes = wsman_bool_parse(v) == 1;
		free(v);
	}
	return e;
}

static enum err header_string(const xmlNode *n, char **slot)
{
	/* WS-Addressing: exactly one of each; a second one is ambiguous. */
	if (*slot)
		return ERR_WSMAN_INVALID_HEADER;
	return wsman_xml_text(n, WSMAN_MAX_HEADER_VALUE, 1, slot);
}

static enum err header_timeout(const xmlNode *n, struct wsman_header *h)
{
	char *v;
	enum err e;

	if (h->operation_timeout_ms)
		return ERR_WSMAN_INVALID_HEADER;
	if ((e = wsman_xml_text(n, WSMAN_MAX_HEADER_VALUE, 1, &v)) != ERR_OK)
		return e;
	/* Windows answers a:InvalidMessageInformationHeader to PT-1S. */
	if (util_duration_parse(v, &h->operation_timeout_ms) != ERR_OK)
		e = ERR_WSMAN_INVALID_HEADER;
	free(v);
	return e;
}

/* The smallest reply envelope worth sending: a ReceiveResponse must still
 * carry some output after its markup (see shell_soap_receive_budget). */
#define MIN_MAX_ENVELOPE_SIZE 8192

static enum err header_max_envelope(const xmlNode *n, struct wsman_header *h)
{
	char *v;
	enum err e;

	if (h->max_envelope_size)
		return ERR_WSMAN_INVALID_HEADER;
	if ((e = wsman_xml_text(n, WSMAN_MAX_HEADER_VALUE, 1, &v)) != ERR_OK)
		return e;
	if (util_parse_u64(v, UINT32_MAX, &h->max_envelope_size) != ERR_OK)
		e = ERR_WSMAN_INVALID_HEADER;
	else if (h->max_envelope_size < MIN_MAX_ENVELOPE_SIZE)
		/* MS-WSMV 3.1.4.1.7: below 8192 octets servers "MUST return"
		 * DSP0226 6.2's w:EncodingLimit; ours has the MaxEnvelopeSize
		 * detail. */
		e = ERR_WSMAN_MAX_ENVELOPE;
	free(v);
	return e;
}

static enum err header_locale(const xmlNode *n, struct wsman_header *h)
{
	if (h->locale)
		return ERR_WSMAN_INVALID_HEADER;
	return wsman_xml_attr(n, NS_XML, "lang", WSMAN_MAX_HEADER_VALUE, &h->locale);
}

/* Reads the Selector or Option children of a set into pairs[]. Other
 * children are ignored; a missing Name violates the schema. */
static enum err header_pairs(const xmlNode *set, const char *child, struct wsman_pair *pairs,
			     uint32_t max, uint32_t *count)
{
	enum err e;

	for (xmlNode *c = wsman_xml_first(set); c; c = wsman_xml_next(c)) {
		if (!wsman_xml_is(c, NS_WSMAN, child))
			continue;
		if (*count >= max)
			return ERR_WSMAN_ENCODING_LIMIT;
		struct wsman_pair *p = &pairs[*count];
		char *mc;
		if ((e = wsman_xml_attr(c, NULL, "Name", WSMAN_MAX_HEADER_VALUE, &p->name)) !=
		    ERR_OK)
			return e;
		(*count)++; /* owned from here on, freed with the request */
		if (!p->name)
			return ERR_WSMAN_SCHEMA;
		if ((e = wsman_xml_text(c, WSMAN_MAX_HEADER_VALUE, 1, &p->value)) != ERR_OK)
			return e;
		if ((e = wsman_xml_attr(c, NULL, "MustComply", WSMAN_MAX_HEADER_VALUE, &mc)) !=
		    ERR_OK)
			return e;
		p->must_comply = mc && wsman_bool_parse(mc) == 1;
		free(mc);
	}
	return ERR_OK;
}

static enum err header_element(const xmlNode *n, struct wsman_header *h)
{
	const char *ns = n->ns && n->ns->href ? (const char *)n->ns->href : NULL;
	int mu;
	enum err e;

	for (size_t i = 0; i < sizeof(header_table) / sizeof(header_table[0]); i++) {
		if (!wsman_xml_is(n, header_table[i].ns, header_table[i].name))
			continue;
		switch (header_table[i].kind) {
		case H_ACTION:
			return header_string(n, &h->action);
		case H_MESSAGE_ID:
			return header_string(n, &h->message_id);
		case H_TO:
			return header_string(n, &h->to);
		case H_RESOURCE_URI:
			return header_string(n, &h->resource_uri);
		case H_OPERATION_TIMEOUT:
			return header_timeout(n, h);
		case H_MAX_ENVELOPE_SIZE:
			return header_max_envelope(n, h);
		case H_LOCALE:
			return header_locale(n, h);
		case H_SELECTOR_SET:
			return header_pairs(n, "Selector", h->selectors, WSMAN_MAX_SELECTORS,
					    &h->nselectors);
		case H_OPTION_SET:
			return header_pairs(n, "Option", h->options, WSMAN_MAX_OPTIONS,
					    &h->noptions);
		case H_COMPRESSION_TYPE:
			if ((e = header_string(n, &h->compression_type)) != ERR_OK)
				return e;
			return must_understand(n, &h->compression_type_required);
		case H_IGNORED:
			return ERR_OK;
		}
	}
	/* Be liberal: SOAP 1.2 part 1, 5.4.8 has every mandatory header not
	 * understood refused; we refuse only those in a namespace we
	 * implement (docs/protocol-notes.md, "Unknown header"). */
	if (!ns || !strict_namespace(ns))
		return ERR_OK;
	if ((e = must_understand(n, &mu)) != ERR_OK)
		return e;
	return mu ? ERR_WSMAN_MUST_UNDERSTAND : ERR_OK;
}

/* Every header element is read even after a failure, so the MessageID is
 * known for the fault's RelatesTo wherever it sits; the first error wins. */
static enum err parse_header(const xmlNode *header, struct wsman_header *h)
{
	enum err first = ERR_OK;

	for (xmlNode *n = wsman_xml_first(header); n; n = wsman_xml_next(n)) {
		enum err e = header_element(n, h);
		if (first == ERR_OK)
			first = e;
	}
	return first;
}

/* SOAP 1.2 part 1, 5.1: an Envelope holds an optional Header then exactly
 * one Body, and nothing else. */
static enum err split_envelope(const xmlNode *root, xmlNode **header, xmlNode **body)
{
	*header = *body = NULL;
	if (!wsman_xml_is(root, NS_SOAP, "Envelope"))
		return ERR_WSMAN_INVALID_XML;
	for (xmlNode *n = wsman_xml_first(root); n; n = wsman_xml_next(n)) {
		if (wsman_xml_is(n, NS_SOAP, "Header") && !*header && !*body)
			*header = n;
		else if (wsman_xml_is(n, NS_SOAP, "Body") && !*body)
			*body = n;
		else
			return ERR_WSMAN_INVALID_XML;
	}
	return *body ? ERR_OK : ERR_WSMAN_INVALID_XML;
}

static enum err parse_envelope(const uint8_t *data, size_t len, struct wsman_request *req)
{
	xmlDocPtr doc;
	xmlNode *header, *body;
	enum err e;

	if ((e = read_doc(data, len, &doc)) != ERR_OK)
		return e;
	req->doc = doc;
	if ((e = split_envelope(xmlDocGetRootElement(doc), &header, &body)) != ERR_OK)
		return e;
	req->body = wsman_xml_first(body);
	req->is_identify = wsman_xml_is(req->body, NS_IDENTITY, "Identify");
	if (header && (e = parse_header(header, &req->hdr)) != ERR_OK)
		return e;
	/* DSP0226 11: Identify is the one request without addressing headers. */
	if (!req->is_identify && (!req->hdr.action || !*req->hdr.action || !req->hdr.message_id ||
				  !*req->hdr.message_id))
		return ERR_WSMAN_HEADER_REQUIRED;
	return ERR_OK;
}

enum err wsman_parse(const uint8_t *data, size_t len, struct wsman_request *req)
{
	enum err e;

	memset(req, 0, sizeof(*req));
	if ((e = parse_envelope(data, len, req)) != ERR_OK) {
		char *message_id = req->hdr.message_id;
		req->hdr.message_id = NULL;
		wsman_request_clear(req);
		req->hdr.message_id = message_id;
	}
	return e;
}

static void free_pairs(struct wsman_pair *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
}

void wsman_request_clear(struct wsman_request *req)
{
	struct wsman_header *h = &req->hdr;

	if (req->doc)
		xmlFreeDoc(req->doc);
	free(h->action);
	free(h->message_id);
	free(h->resource_uri);
	free(h->to);
	free(h->locale);
	free(h->compression_type);
	free_pairs(h->selectors, h->nselectors);
	free_pairs(h->options, h->noptions);
	memset(req, 0, sizeof(*req));
}

static const char *pair_value(const struct wsman_pair *p, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(p[i].name, name) == 0)
			return p[i].value;
	}
	return NULL;
}

/* Used when the client sent no MaxEnvelopeSize: what pywinrm, masterzen and
 * WinRb send, and Windows' own client default. */
#define DEFAULT_MAX_ENVELOPE_SIZE 153600

uint64_t wsman_max_envelope(const struct wsman_request *req)
{
	return req->hdr.max_envelope_size ? req->hdr.max_envelope_size : DEFAULT_MAX_ENVELOPE_SIZE;
}

const char *wsman_selector(const struct wsman_request *req, const char *name)
{
	return pair_value(req->hdr.selectors, req->hdr.nselectors, name);
}

const char *wsman_option(const struct wsman_request *req, const char *name)
{
	return pair_value(req->hdr.options, req->hdr.noptions, name);
}

int wsman_option_bool(const struct wsman_request *req, const char *name, int dflt)
{
	const char *v = wsman_option(req, name);

	return v ? wsman_bool_parse(v) : dflt;
}

/* ---- replies that belong to no one resource ---- */

enum err wsman_reply_identify(struct buf *out, int authenticated)
{
	struct utsname u;
	enum err e;

	/* Anonymous Identify (MS-WSMV 3.1.4.1.23) hides the OS version, as
	 * Windows does; Test-WSMan reads only "Stack:" (docs/protocol-notes.md,
	 * "Anonymous Identify"). */
	if ((e = buf_putf(out, "<s:Envelope xml:lang=\"en-US\" xmlns:s=\"" NS_SOAP
			       "\"><s:Header/><s:Body>"
			       "<wsmid:IdentifyResponse xmlns:wsmid=\"" NS_IDENTITY "\">"
			       "<wsmid:ProtocolVersion>" NS_WSMAN "</wsmid:ProtocolVersion>"
			       "<wsmid:ProductVendor>openwinrm</wsmid:ProductVendor>"
			       "<wsmid:ProductVersion>OS: ")) != ERR_OK)
		return e;
	if (authenticated && uname(&u) == 0)
		e = wsman_put_escaped(out, u.release);
	else
		e = buf_putf(out, "0.0.0");
	if (e != ERR_OK)
		return e;
	return buf_putf(out, " SP: 0.0 Stack: 3.0</wsmid:ProductVersion></wsmid:IdentifyResponse>"
			     "</s:Body></s:Envelope>");
}

enum err wsman_reply_fixed(struct buf *out, const struct wsman_request *req, const char *action,
			   const char *body)
{
	enum err e;

	if ((e = wsman_put_head(out, WSMAN_REPLY_NS, action, req->hdr.message_id)) != ERR_OK)
		return e;
	return buf_putf(out, "%s" WSMAN_REPLY_TAIL, body);
}

enum err wsman_reply_delete(struct buf *out, const struct wsman_request *req)
{
	return wsman_reply_fixed(out, req, NS_TRANSFER "/DeleteResponse", "");
}
