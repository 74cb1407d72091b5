/* configmsg: WS-Transfer and WS-Enumeration bodies for resources other
 * than the shell (DSP0226 7 and 8), such as winrm/config (MS-WSMV 3.1.4.1.29):
 * a Put or Create body flattened into properties, the Enumerate, Pull and
 * Release requests, and the replies as Windows writes them. What the
 * properties mean is the caller's business (config.c for winrm/config). */
#include "wsman/wsman.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "wsman/wsman_xml.h"

/* The envelopes of Windows' GetResponse and of its enumeration replies. */
#define TRANSFER_NS                                                                                \
	"xmlns:s=\"" NS_SOAP "\" xmlns:a=\"" NS_WSA "\" xmlns:x=\"" NS_TRANSFER                    \
	"\" xmlns:w=\"" NS_WSMAN "\" xmlns:p=\"" NS_WSMV "\""
#define ENUMERATION_NS                                                                             \
	"xmlns:s=\"" NS_SOAP "\" xmlns:a=\"" NS_WSA "\" xmlns:n=\"" NS_ENUMERATION                 \
	"\" xmlns:w=\"" NS_WSMAN "\" xmlns:p=\"" NS_WSMV "\""
#define REPLY_TAIL "</s:Body></s:Envelope>"

/* ---- Put and Create bodies ---- */

static int ns_is(const xmlNode *n, const char *ns)
{
	return n->ns && n->ns->href && strcasecmp((const char *)n->ns->href, ns) == 0;
}

static enum err add_leaf(const xmlNode *n, const char *path, struct wsman_properties *out)
{
	struct wsman_property *p;
	char *nil;
	enum err e;

	if (out->n >= WSMAN_MAX_PROPERTIES)
		return ERR_WSMAN_ENCODING_LIMIT;
	p = &out->p[out->n];
	p->value = NULL;
	if (!(p->name = strdup(path)))
		return ERR_NOMEM;
	out->n++; /* owned from here on */
	if ((e = wsman_xml_attr(n, NS_XSI, "nil", WSMAN_MAX_HEADER_VALUE, &nil)) != ERR_OK)
		return e;
	if (nil && wsman_bool_parse(nil) == 1) {
		free(nil);
		return ERR_OK;
	}
	free(nil);
	return wsman_xml_text(n, WSMAN_MAX_PROPERTY_VALUE, 1, &p->value);
}

/* The children of parent, whose path below the root is path (plen bytes). */
static enum err add_children(const xmlNode *parent, const xmlChar *ns, char *path, size_t plen,
			     unsigned depth, struct wsman_properties *out)
{
	enum err e;

	for (xmlNode *c = wsman_xml_first(parent); c; c = wsman_xml_next(c)) {
		size_t nlen = strlen((const char *)c->name);

		/* Exactly the root's namespace: a client that edits the
		 * document a Get returned keeps it. */
		if (!c->ns || !c->ns->href ||
		    strcmp((const char *)c->ns->href, (const char *)ns) != 0 ||
		    depth > WSMAN_MAX_PROPERTY_DEPTH)
			return ERR_WSMAN_SCHEMA;
		if (plen + (plen > 0) + nlen > WSMAN_MAX_PROPERTY_NAME)
			return ERR_WSMAN_ENCODING_LIMIT;
		if (plen)
			path[plen] = '/';
		memcpy(path + plen + (plen > 0), c->name, nlen + 1);
		if (wsman_xml_first(c))
			e = add_children(c, ns, path, plen + (plen > 0) + nlen, depth + 1, out);
		else
			e = add_leaf(c, path, out);
		if (e != ERR_OK)
			return e;
		path[plen] = 0;
	}
	return ERR_OK;
}

enum err wsman_properties_parse(const struct wsman_request *req, const char *root,
				struct wsman_properties *out)
{
	char path[WSMAN_MAX_PROPERTY_NAME + 1] = "";
	const xmlNode *b = req->body;
	enum err e;

	out->n = 0;
	if (!b || !req->hdr.resource_uri || !ns_is(b, req->hdr.resource_uri) ||
	    strcasecmp((const char *)b->name, root) != 0)
		return ERR_WSMAN_SCHEMA;
	if ((e = add_children(b, b->ns->href, path, 0, 1, out)) != ERR_OK)
		wsman_properties_clear(out);
	return e;
}

void wsman_properties_clear(struct wsman_properties *p)
{
	for (uint32_t i = 0; i < p->n && i < WSMAN_MAX_PROPERTIES; i++) {
		free(p->p[i].name);
		free(p->p[i].value);
	}
	memset(p, 0, sizeof(*p));
}

/* ---- Enumerate, Pull, Release ---- */

/* A count element: a decimal number from 1 up. */
static enum err count_of(const xmlNode *n, uint32_t *out)
{
	uint64_t v;
	char *s;
	enum err e;

	if ((e = wsman_xml_text(n, WSMAN_MAX_HEADER_VALUE, 1, &s)) != ERR_OK)
		return e;
	if (util_parse_u64(s, UINT32_MAX, &v) != ERR_OK || v == 0)
		e = ERR_WSMAN_SCHEMA;
	else
		*out = (uint32_t)v;
	free(s);
	return e;
}

/* w:EnumerationMode's text: EnumerateEPR or EnumerateObjectAndEPR
 * (DSP0226 8.7; objects are asked for by leaving it out). */
static enum err mode_of(const xmlNode *n, enum wsman_enumeration_mode *out)
{
	char *s;
	enum err e = wsman_xml_text(n, WSMAN_MAX_HEADER_VALUE, 1, &s);

	if (e != ERR_OK)
		return e == ERR_WSMAN_ENCODING_LIMIT ? ERR_WSMAN_ENUMERATION_MODE : e;
	if (strcmp(s, "EnumerateEPR") == 0)
		*out = WSMAN_ENUM_EPRS;
	else if (strcmp(s, "EnumerateObjectAndEPR") == 0)
		*out = WSMAN_ENUM_OBJECTS_AND_EPRS;
	else
		e = ERR_WSMAN_ENUMERATION_MODE;
	free(s);
	return e;
}

enum err wsman_enumerate_objects_only(const struct wsman_enumerate_req *o)
{
	return o->mode == WSMAN_ENUM_OBJECTS ? ERR_OK : ERR_WSMAN_ENUMERATION_MODE;
}

/* The Selector dialect's w:SelectorSet/w:Selector Name=".." text. */
static enum err selector_filter(const xmlNode *f, struct wsman_enumerate_req *out)
{
	xmlNode *set = wsman_xml_first(f);
	enum err e;

	if (!set || !wsman_xml_is(set, NS_WSMAN, "SelectorSet"))
		return ERR_WSMAN_INVALID_SELECTORS;
	for (xmlNode *c = wsman_xml_first(set); c; c = wsman_xml_next(c)) {
		char *name;
		if (!wsman_xml_is(c, NS_WSMAN, "Selector") ||
		    out->nfilter == WSMAN_MAX_FILTER_SELECTORS)
			return ERR_WSMAN_INVALID_SELECTORS;
		if ((e = wsman_xml_attr(c, NULL, "Name", WSMAN_MAX_FILTER_NAME, &name)) != ERR_OK)
			return e == ERR_WSMAN_ENCODING_LIMIT ? ERR_WSMAN_INVALID_SELECTORS : e;
		if (!name)
			return ERR_WSMAN_INVALID_SELECTORS;
		memcpy(out->filter[out->nfilter].name, name, strlen(name) + 1);
		free(name);
		e = wsman_xml_text_into(c, out->filter[out->nfilter].value,
					sizeof(out->filter[out->nfilter].value));
		if (e != ERR_OK)
			return ERR_WSMAN_INVALID_SELECTORS;
		out->nfilter++;
	}
	return out->nfilter ? ERR_OK : ERR_WSMAN_INVALID_SELECTORS;
}

/* A filter of another dialect: its character data (a WQL query). */
static enum err filter_text(const xmlNode *f, struct wsman_enumerate_req *out)
{
	char *text;
	enum err e;

	if ((e = wsman_xml_text(f, WSMAN_MAX_FILTER_TEXT, 1, &text)) != ERR_OK)
		return e == ERR_WSMAN_ENCODING_LIMIT ? ERR_WSMAN_CANNOT_PROCESS_FILTER : e;
	memcpy(out->text, text, strlen(text) + 1);
	free(text);
	return ERR_OK;
}

/* w:Filter or n:Filter with its Dialect (MS-WSMV 3.1.4.1.13: "MUST
 * support the wsman:Filter element and process it exactly the same as if
 * the wsen:Filter element were present"). */
static enum err filter(const xmlNode *f, struct wsman_enumerate_req *out)
{
	char *dialect;
	enum err e;

	if (out->filtered)
		return ERR_WSMAN_SCHEMA;
	out->filtered = 1;
	if ((e = wsman_xml_attr(f, NULL, "Dialect", WSMAN_MAX_DIALECT, &dialect)) != ERR_OK)
		return e == ERR_WSMAN_ENCODING_LIMIT ? ERR_WSMAN_FILTER_DIALECT : e;
	if (dialect) {
		memcpy(out->dialect, dialect, strlen(dialect) + 1);
		free(dialect);
	}
	out->selector = strcmp(out->dialect, WSMAN_SELECTOR_FILTER) == 0 ||
			strcmp(out->dialect, WSMAN_SELECTOR_FILTER_MS) == 0;
	return out->selector ? selector_filter(f, out) : filter_text(f, out);
}

enum err wsman_enumerate_parse(const struct wsman_request *req, struct wsman_enumerate_req *out)
{
	enum err e;

	memset(out, 0, sizeof(*out));
	if (!wsman_xml_is(req->body, NS_ENUMERATION, "Enumerate"))
		return ERR_WSMAN_SCHEMA;
	/* Other children in a namespace (n:Expires, the stray p:SessionId
	 * WinRb sends) are ignored (docs/protocol-notes.md, "Enumerate"). */
	for (xmlNode *c = wsman_xml_first(req->body); c; c = wsman_xml_next(c)) {
		if (wsman_xml_is(c, NS_WSMAN, "OptimizeEnumeration")) {
			out->optimize = 1;
		} else if (wsman_xml_is(c, NS_WSMAN, "MaxElements")) {
			if ((e = count_of(c, &out->max_elements)) != ERR_OK)
				return e;
		} else if (wsman_xml_is(c, NS_WSMAN, "Filter") ||
			   wsman_xml_is(c, NS_ENUMERATION, "Filter")) {
			if ((e = filter(c, out)) != ERR_OK)
				return e;
		} else if (wsman_xml_is(c, NS_WSMAN, "EnumerationMode")) {
			if ((e = mode_of(c, &out->mode)) != ERR_OK)
				return e;
		} else if (!c->ns) {
			/* In no namespace: no client's and no vendor's element,
			 * but what libxml2 leaves, unreported, when memory runs
			 * out at the envelope's namespace declarations; ignored,
			 * a filter or a mode would be lost unnoticed. */
			return ERR_WSMAN_SCHEMA;
		}
	}
	return ERR_OK;
}

static enum err context_of(const xmlNode *n, char out[WSMAN_MAX_CONTEXT + 1])
{
	char *s;
	enum err e = wsman_xml_text(n, WSMAN_MAX_CONTEXT, 1, &s);

	if (e == ERR_WSMAN_ENCODING_LIMIT)
		return ERR_WSMAN_INVALID_CONTEXT;
	if (e != ERR_OK)
		return e;
	if (!*s)
		e = ERR_WSMAN_INVALID_CONTEXT;
	else
		memcpy(out, s, strlen(s) + 1);
	free(s);
	return e;
}

static enum err pull_or_release(const struct wsman_request *req, const char *name, int pull,
				struct wsman_pull_req *out)
{
	int have = 0;
	enum err e;

	memset(out, 0, sizeof(*out));
	if (!wsman_xml_is(req->body, NS_ENUMERATION, name))
		return ERR_WSMAN_SCHEMA;
	/* n:MaxTime and n:MaxCharacters are ignored: the items are at hand
	 * and bounded by MaxElements and the envelope size. */
	for (xmlNode *c = wsman_xml_first(req->body); c; c = wsman_xml_next(c)) {
		if (wsman_xml_is(c, NS_ENUMERATION, "EnumerationContext") && !have) {
			if ((e = context_of(c, out->context)) != ERR_OK)
				return e;
			have = 1;
		} else if (pull && wsman_xml_is(c, NS_ENUMERATION, "MaxElements")) {
			if ((e = count_of(c, &out->max_elements)) != ERR_OK)
				return e;
		}
	}
	return have ? ERR_OK : ERR_WSMAN_INVALID_CONTEXT;
}

enum err wsman_pull_parse(const struct wsman_request *req, struct wsman_pull_req *out)
{
	return pull_or_release(req, "Pull", 1, out);
}

enum err wsman_release_parse(const struct wsman_request *req, struct wsman_pull_req *out)
{
	return pull_or_release(req, "Release", 0, out);
}

/* ---- replies ---- */

enum err wsman_put_element(struct buf *out, const char *tag, const char *value)
{
	enum err e;

	if ((e = buf_putf(out, "<%s>", tag)) != ERR_OK ||
	    (e = wsman_put_escaped(out, value)) != ERR_OK)
		return e;
	return buf_putf(out, "</%s>", tag);
}

enum err wsman_put_epr(struct buf *out, const char *element, const char *address,
		       const char *resource_uri, const char *const *names,
		       const char *const *values, uint32_t n)
{
	enum err e;

	if ((e = buf_putf(out, "<%s>", element)) != ERR_OK ||
	    (e = wsman_put_element(out, "a:Address", address)) != ERR_OK ||
	    (e = buf_putf(out, "<a:ReferenceParameters>")) != ERR_OK ||
	    (e = wsman_put_element(out, "w:ResourceURI", resource_uri)) != ERR_OK ||
	    (n && (e = buf_putf(out, "<w:SelectorSet>")) != ERR_OK))
		return e;
	for (uint32_t i = 0; i < n; i++)
		if ((e = buf_putf(out, "<w:Selector Name=\"")) != ERR_OK ||
		    (e = wsman_put_escaped(out, names[i])) != ERR_OK ||
		    (e = buf_putf(out, "\">")) != ERR_OK ||
		    (e = wsman_put_escaped(out, values[i])) != ERR_OK ||
		    (e = buf_putf(out, "</w:Selector>")) != ERR_OK)
			return e;
	if (n && (e = buf_putf(out, "</w:SelectorSet>")) != ERR_OK)
		return e;
	return buf_putf(out, "</a:ReferenceParameters></%s>", element);
}

enum err wsman_reply_resource(struct buf *out, const struct wsman_request *req, const char *action,
			      const char *xml, size_t len)
{
	enum err e;

	if ((e = wsman_put_head(out, TRANSFER_NS, action, req->hdr.message_id)) != ERR_OK ||
	    (e = buf_put(out, xml, len)) != ERR_OK)
		return e;
	return buf_putf(out, REPLY_TAIL);
}

enum err wsman_reply_resource_created(struct buf *out, const struct wsman_request *req,
				      const char *machine_url, const char *resource_uri,
				      const char *const *selector_names,
				      const char *const *selector_values, uint32_t nselectors)
{
	enum err e;

	if ((e = wsman_put_head(out, TRANSFER_NS, NS_TRANSFER "/CreateResponse",
				req->hdr.message_id)) != ERR_OK ||
	    (e = wsman_put_epr(out, "x:ResourceCreated", machine_url, resource_uri, selector_names,
			       selector_values, nselectors)) != ERR_OK)
		return e;
	return buf_putf(out, REPLY_TAIL);
}

static enum err put_items(struct buf *out, const char *prefix, const char *const *items, uint32_t n,
			  int end)
{
	enum err e;

	if ((e = buf_putf(out, "<%s:Items>", prefix)) != ERR_OK)
		return e;
	for (uint32_t i = 0; i < n; i++)
		if ((e = buf_put(out, items[i], strlen(items[i]))) != ERR_OK)
			return e;
	if ((e = buf_putf(out, "</%s:Items>", prefix)) != ERR_OK)
		return e;
	return end ? buf_putf(out, "<%s:EndOfSequence/>", prefix) : ERR_OK;
}

/* <n:EnumerationContext>context</n:EnumerationContext>, empty for NULL. */
static enum err put_context(struct buf *out, const char *context)
{
	enum err e;

	if ((e = buf_putf(out, "<n:EnumerationContext>")) != ERR_OK ||
	    (e = wsman_put_escaped(out, context)) != ERR_OK)
		return e;
	return buf_putf(out, "</n:EnumerationContext>");
}

enum err wsman_reply_enumerate(struct buf *out, const struct wsman_request *req,
			       const char *context, int optimized, const char *const *items,
			       uint32_t n, int end)
{
	enum err e;

	if ((e = wsman_put_head(out, ENUMERATION_NS, NS_ENUMERATION "/EnumerateResponse",
				req->hdr.message_id)) != ERR_OK ||
	    (e = buf_putf(out, "<n:EnumerateResponse>")) != ERR_OK ||
	    (e = put_context(out, end ? NULL : context)) != ERR_OK ||
	    (optimized && (e = put_items(out, "w", items, n, end)) != ERR_OK))
		return e;
	return buf_putf(out, "</n:EnumerateResponse>" REPLY_TAIL);
}

enum err wsman_reply_pull(struct buf *out, const struct wsman_request *req, const char *context,
			  const char *const *items, uint32_t n, int end)
{
	enum err e;

	if ((e = wsman_put_head(out, ENUMERATION_NS, NS_ENUMERATION "/PullResponse",
				req->hdr.message_id)) != ERR_OK ||
	    (e = buf_putf(out, "<n:PullResponse>")) != ERR_OK ||
	    (!end && (e = put_context(out, context)) != ERR_OK) ||
	    (e = put_items(out, "n", items, n, end)) != ERR_OK)
		return e;
	return buf_putf(out, "</n:PullResponse>" REPLY_TAIL);
}

enum err wsman_reply_release(struct buf *out, const struct wsman_request *req)
{
	enum err e;

	if ((e = wsman_put_head(out, ENUMERATION_NS, NS_ENUMERATION "/ReleaseResponse",
				req->hdr.message_id)) != ERR_OK)
		return e;
	return buf_putf(out, REPLY_TAIL);
}
