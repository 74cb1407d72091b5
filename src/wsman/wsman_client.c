/* wsman_client: the client side of the codec: request envelopes in the
 * shape Windows' own client sends, and the readers of the replies a
 * service (winrmd or Windows) sends back. Replies are parsed by
 * wsman_parse, with the same hardened libxml2 settings as requests. The
 * shell's own bodies are in shell/shell_soap.c. */
#include "wsman/wsman.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlstring.h>

#include "common/util.h"
#include "wsman/wsman_xml.h"

#define CLIENT_NS                                                                                  \
	"xmlns:s=\"" NS_SOAP "\" xmlns:a=\"" NS_WSA "\" xmlns:w=\"" NS_WSMAN                       \
	"\" xmlns:p=\"" NS_WSMV "\" xmlns:rsp=\"" NS_SHELL "\" xmlns:x=\"" NS_TRANSFER             \
	"\" xmlns:n=\"" NS_ENUMERATION "\""
#define CLIENT_MAX_TEXT (1024 * 1024)

/* Text a client gives (command lines, variables, directories) must be
 * UTF-8: an XML document cannot carry anything else, and the service
 * would refuse the whole envelope. */
enum err wsman_put_text(struct buf *out, const char *open, const char *s, const char *close)
{
	enum err e;

	if (s && !xmlCheckUTF8((const unsigned char *)s))
		return ERR_FORMAT;
	if ((e = buf_putf(out, "%s", open)) != ERR_OK || (e = wsman_put_escaped(out, s)) != ERR_OK)
		return e;
	return buf_putf(out, "%s", close);
}

enum err wsman_put_named(struct buf *out, const char *set, const char *item,
			 const struct wsman_pair *p, size_t n)
{
	enum err e;

	if (n == 0)
		return ERR_OK;
	if ((e = buf_putf(out, "<%s>", set)) != ERR_OK)
		return e;
	/* MustComply as Windows' client writes it on options it requires
	 * (PowerShell's protocolversion, MS-PSRP 3.1.5.3.1). */
	for (size_t i = 0; i < n; i++)
		if ((e = buf_putf(out, "<%s%s", item,
				  p[i].must_comply ? " MustComply=\"true\"" : "")) != ERR_OK ||
		    (e = wsman_put_text(out, " Name=\"", p[i].name, "\">")) != ERR_OK ||
		    (e = wsman_put_text(out, "", p[i].value, "")) != ERR_OK ||
		    (e = buf_putf(out, "</%s>", item)) != ERR_OK)
			return e;
	return buf_putf(out, "</%s>", set);
}

enum err wsman_client_head(struct buf *out, const struct wsman_client_header *h,
			   const char *resource, const char *action,
			   const struct wsman_pair *selectors, size_t nselectors,
			   const struct wsman_pair *options, size_t noptions)
{
	char id[UTIL_GUID_LEN + 1];
	enum err e;

	if ((e = util_guid(id)) != ERR_OK)
		return e;
	if ((e = buf_putf(out, "<s:Envelope " CLIENT_NS "><s:Header>")) != ERR_OK ||
	    (e = wsman_put_text(out, "<a:To>", h->to, "</a:To>")) != ERR_OK ||
	    (e = wsman_put_text(out, "<w:ResourceURI s:mustUnderstand=\"true\">", resource,
				"</w:ResourceURI>")) != ERR_OK ||
	    (e = buf_putf(
		 out,
		 "<a:ReplyTo><a:Address s:mustUnderstand=\"true\">" NS_ADDRESSING_ANONYMOUS
		 "</a:Address></a:ReplyTo><a:Action s:mustUnderstand=\"true\">%s</a:Action>"
		 "<w:MaxEnvelopeSize s:mustUnderstand=\"true\">%u</w:MaxEnvelopeSize>"
		 "<a:MessageID>uuid:%s</a:MessageID>"
		 "<w:Locale xml:lang=\"en-US\" s:mustUnderstand=\"false\"/>"
		 "<p:DataLocale xml:lang=\"en-US\" s:mustUnderstand=\"false\"/>"
		 "<w:OperationTimeout>",
		 action, h->max_envelope_size, id)) != ERR_OK ||
	    (e = util_duration_put_ms(out, h->operation_timeout_ms)) != ERR_OK ||
	    (e = buf_putf(out, "</w:OperationTimeout>")) != ERR_OK)
		return e;
	if (h->compression_type &&
	    (e = wsman_put_text(out, "<rsp:CompressionType s:mustUnderstand=\"true\">",
				h->compression_type, "</rsp:CompressionType>")) != ERR_OK)
		return e;
	if ((e = wsman_put_named(out, "w:SelectorSet", "w:Selector", selectors, nselectors)) !=
		ERR_OK ||
	    (e = wsman_put_named(out, "w:OptionSet", "w:Option", options, noptions)) != ERR_OK)
		return e;
	return buf_putf(out, "</s:Header><s:Body>");
}

enum err wsman_client_tail(struct buf *out)
{
	return buf_putf(out, "</s:Body></s:Envelope>");
}

enum err wsman_client_identify(struct buf *out)
{
	return buf_putf(out, "<s:Envelope xmlns:s=\"" NS_SOAP "\" xmlns:wsmid=\"" NS_IDENTITY
			     "\"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>");
}

enum err wsman_client_request(struct buf *out, const struct wsman_client_header *h,
			      const char *resource, const char *action,
			      const struct wsman_pair *selectors, size_t nselectors,
			      const char *body_xml)
{
	enum err e;

	if ((e = wsman_client_head(out, h, resource, action, selectors, nselectors, NULL, 0)) !=
		ERR_OK ||
	    (body_xml && (e = buf_putf(out, "%s", body_xml)) != ERR_OK))
		return e;
	return wsman_client_tail(out);
}

/* ---- replies ---- */

xmlNode *wsman_xml_child(const xmlNode *parent, const char *ns, const char *name)
{
	for (xmlNode *c = parent ? wsman_xml_first(parent) : NULL; c; c = wsman_xml_next(c))
		if (wsman_xml_is(c, ns, name))
			return c;
	return NULL;
}

enum err wsman_xml_text_into(const xmlNode *n, char *dst, size_t cap)
{
	char *v;
	enum err e;

	if (!n)
		return ERR_FORMAT;
	if ((e = wsman_xml_text(n, cap - 1, 1, &v)) != ERR_OK)
		return e == ERR_WSMAN_ENCODING_LIMIT ? ERR_FORMAT : e;
	snprintf(dst, cap, "%s", v);
	free(v);
	return *dst ? ERR_OK : ERR_FORMAT;
}

/* Every text of the subtree, blanks between pieces, whitespace runs
 * folded: fault messages may nest (f:Message/f:ProviderFault). */
static void all_text(const xmlNode *n, struct buf *out)
{
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			all_text(c, out);
		} else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
			   c->content) {
			for (const char *s = (const char *)c->content; *s; s++) {
				int space = *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n';
				size_t n_ = buf_len(out);
				if (space && (n_ == 0 || buf_ptr(out)[n_ - 1] == ' '))
					continue;
				if (buf_put_u8(out, space ? ' ' : (uint8_t)*s) != ERR_OK)
					return;
			}
			if (buf_len(out) && buf_ptr(out)[buf_len(out) - 1] != ' ')
				buf_put_u8(out, ' ');
		}
	}
}

static void fault_code(const char *text, struct wsman_client_fault *f)
{
	uint64_t code;

	if (util_parse_u64(text, UINT32_MAX, &code) == ERR_OK)
		f->code = (uint32_t)code;
}

enum err wsman_client_fault(const struct wsman_request *resp, struct wsman_client_fault *f)
{
	xmlNode *fault = resp->body, *detail, *n;
	char *v = NULL;
	struct buf msg;

	memset(f, 0, sizeof(*f));
	if (!fault || !wsman_xml_is(fault, NS_SOAP, "Fault"))
		return ERR_FORMAT;
	if ((n = wsman_xml_child(
		 wsman_xml_child(wsman_xml_child(fault, NS_SOAP, "Code"), NS_SOAP, "Subcode"),
		 NS_SOAP, "Value"))) {
		char sub[sizeof(f->subcode)];
		if (wsman_xml_text_into(n, sub, sizeof(sub)) == ERR_OK) {
			const char *colon = strchr(sub, ':');
			snprintf(f->subcode, sizeof(f->subcode), "%s", colon ? colon + 1 : sub);
		}
	}
	detail = wsman_xml_child(fault, NS_SOAP, "Detail");
	buf_init(&msg, sizeof(f->message) - 1);
	if ((n = wsman_xml_child(detail, NS_WSMANFAULT, "WSManFault"))) {
		if (wsman_xml_attr(n, NULL, "Code", 32, &v) == ERR_OK && v)
			fault_code(v, f);
		free(v);
		if ((n = wsman_xml_child(n, NS_WSMANFAULT, "Message")))
			all_text(n, &msg);
	} else if ((n = wsman_xml_child(detail, NS_MSFT_WMI_ERROR, "MSFT_WmiError"))) {
		/* WMI's own error, as Windows' WMI plug-in writes it. */
		char code[16];
		xmlNode *c = wsman_xml_child(n, NS_MSFT_WMI_ERROR, "error_Code");
		if (c && wsman_xml_text_into(c, code, sizeof(code)) == ERR_OK)
			fault_code(code, f);
		if ((n = wsman_xml_child(n, NS_MSFT_WMI_ERROR, "Message")))
			all_text(n, &msg);
	}
	if (buf_len(&msg) == 0 &&
	    (n = wsman_xml_child(wsman_xml_child(fault, NS_SOAP, "Reason"), NS_SOAP, "Text")))
		all_text(n, &msg);
	size_t len = buf_len(&msg);
	while (len && buf_ptr(&msg)[len - 1] == ' ')
		len--;
	memcpy(f->message, buf_ptr(&msg), len);
	f->message[len] = 0;
	buf_clear(&msg);
	return ERR_OK;
}

xmlNode *wsman_body_element(const struct wsman_request *resp, const char *ns, const char *name)
{
	for (xmlNode *n = resp->body; n; n = wsman_xml_next(n))
		if (wsman_xml_is(n, ns, name))
			return n;
	return NULL;
}

/* An element as standalone XML text in a new string. */
static enum err element_xml(const xmlNode *n, char **out)
{
	struct buf b;
	enum err e;

	*out = NULL;
	buf_init(&b, CLIENT_MAX_TEXT * 8);
	if ((e = wsman_xml_dump(n, 0, &b)) == ERR_OK && (e = buf_terminate(&b)) == ERR_OK &&
	    !(*out = strdup((const char *)buf_ptr(&b))))
		e = ERR_NOMEM;
	buf_clear(&b);
	return e;
}

enum err wsman_client_body_xml(const struct wsman_request *resp, char **xml)
{
	*xml = NULL;
	return resp->body ? element_xml(resp->body, xml) : ERR_OK;
}

enum err wsman_client_enumerated(const struct wsman_request *resp, wsman_client_item_fn *fn,
				 void *arg, char *context, size_t cap, int *end)
{
	xmlNode *r = resp->body, *items = NULL, *ctx;
	enum err e = ERR_OK;

	*end = 0;
	context[0] = 0;
	if (!r || (!wsman_xml_is(r, NS_ENUMERATION, "EnumerateResponse") &&
		   !wsman_xml_is(r, NS_ENUMERATION, "PullResponse")))
		return ERR_FORMAT;
	/* Optimized enumeration answers in w:Items / w:EndOfSequence (DSP0226
	 * 8.2.3), Pull in the n: ones (DSP0226 8.4). */
	for (xmlNode *c = wsman_xml_first(r); c; c = wsman_xml_next(c)) {
		if (wsman_xml_is(c, NS_WSMAN, "Items") || wsman_xml_is(c, NS_ENUMERATION, "Items"))
			items = c;
		else if (wsman_xml_is(c, NS_WSMAN, "EndOfSequence") ||
			 wsman_xml_is(c, NS_ENUMERATION, "EndOfSequence"))
			*end = 1;
	}
	if ((ctx = wsman_xml_child(r, NS_ENUMERATION, "EnumerationContext")) && ctx->children &&
	    wsman_xml_text_into(ctx, context, cap) != ERR_OK)
		return ERR_FORMAT;
	for (xmlNode *c = items ? wsman_xml_first(items) : NULL; c && e == ERR_OK;
	     c = wsman_xml_next(c)) {
		char *xml;
		if ((e = element_xml(c, &xml)) == ERR_OK) {
			e = fn(arg, xml);
			free(xml);
		}
	}
	if (!context[0])
		*end = 1;
	return e;
}
