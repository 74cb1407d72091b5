/* text: resource XML as the winrm tool shows and edits it: Windows'
 * WsmTxt.xsl text form, the pretty form, and the edit `winrm set` makes
 * to a resource before it puts it back. The XML comes from the network,
 * so it is parsed as requests are: no network, no DTD, no entities. */
#include "wsman/wsman.h"

#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "wsman/wsman_xml.h"

#define TEXT_PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
#define TEXT_MAX_DEPTH 32
#define TEXT_MAX_VALUE 65536

static enum err parse(const char *xml, size_t len, xmlDocPtr *doc, xmlNode **root)
{
	if (len > INT32_MAX)
		return ERR_LIMIT;
	*doc = xmlReadMemory(xml, (int)len, NULL, NULL, TEXT_PARSE_OPTIONS);
	if (!*doc)
		return ERR_FORMAT;
	/* A DTD could declare entities; nothing WS-Man sends has one. */
	if ((*doc)->intSubset || !(*root = xmlDocGetRootElement(*doc))) {
		xmlFreeDoc(*doc);
		*doc = NULL;
		return ERR_FORMAT;
	}
	/* A whole envelope stands for the first element of its body. */
	if (wsman_xml_is(*root, NS_SOAP, "Envelope")) {
		xmlNode *body = NULL;
		for (xmlNode *c = wsman_xml_first(*root); c; c = wsman_xml_next(c))
			if (wsman_xml_is(c, NS_SOAP, "Body"))
				body = c;
		if (!body || !(*root = wsman_xml_first(body))) {
			xmlFreeDoc(*doc);
			*doc = NULL;
			return ERR_FORMAT;
		}
	}
	return ERR_OK;
}

static int has_element_children(const xmlNode *n)
{
	return wsman_xml_first(n) != NULL;
}

static int is_nil(const xmlNode *n)
{
	char *v = NULL;
	int nil =
	    wsman_xml_attr(n, NS_XSI, "nil", 16, &v) == ERR_OK && v && wsman_bool_parse(v) == 1;

	free(v);
	return nil;
}

static enum err indent(struct buf *out, int depth)
{
	for (int i = 0; i < depth; i++)
		if (buf_putf(out, "    ") != ERR_OK)
			return ERR_LIMIT;
	return ERR_OK;
}

/* ` [Source="GPO"]`-style: every attribute but namespace and xsi ones. */
static enum err attributes(struct buf *out, const xmlNode *n)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		if (a->ns && strcmp((const char *)a->ns->href, NS_XSI) == 0)
			continue;
		xmlChar *v = xmlNodeGetContent((const xmlNode *)a);
		enum err e =
		    buf_putf(out, " [%s=\"%s\"]", (const char *)a->name, v ? (const char *)v : "");
		xmlFree(v);
		if (e != ERR_OK)
			return e;
	}
	return ERR_OK;
}

/* An EPR's selectors, c and the w:Selector siblings after it, on one line
 * as Windows prints a created listener's: "Selector: Address = *,
 * Transport = HTTPS". */
static enum err selector_line(struct buf *out, const xmlNode *c, int depth)
{
	const char *sep = "";
	enum err e;

	if ((e = indent(out, depth)) != ERR_OK || (e = buf_putf(out, "Selector: ")) != ERR_OK)
		return e;
	for (const xmlNode *r = c; r && wsman_xml_is(r, NS_WSMAN, "Selector");
	     r = wsman_xml_next(r)) {
		char *name = NULL, *v = NULL;
		if ((e = wsman_xml_attr(r, NULL, "Name", TEXT_MAX_VALUE, &name)) == ERR_OK &&
		    (e = wsman_xml_text(r, TEXT_MAX_VALUE, 1, &v)) == ERR_OK)
			e = buf_putf(out, "%s%s = %s", sep, name ? name : "", v);
		free(name);
		free(v);
		if (e != ERR_OK)
			return e;
		sep = ", ";
	}
	return buf_putf(out, "\n");
}

/* WsmTxt.xsl: an element with element children is its name then its
 * children one level in; a leaf is "Name = value", or "Name" when empty,
 * "Name = null" when nil; repeated leaves of one name share a line,
 * their values joined by ", ". */
static enum err text_of(struct buf *out, const xmlNode *n, int depth)
{
	enum err e;

	if (depth > TEXT_MAX_DEPTH)
		return ERR_LIMIT;
	if ((e = indent(out, depth)) != ERR_OK ||
	    (e = buf_putf(out, "%s", (const char *)n->name)) != ERR_OK)
		return e;
	if (has_element_children(n)) {
		if ((e = attributes(out, n)) != ERR_OK || (e = buf_putf(out, "\n")) != ERR_OK)
			return e;
		for (const xmlNode *c = wsman_xml_first(n); c; c = wsman_xml_next(c)) {
			const xmlNode *prev = c->prev;
			while (prev && prev->type != XML_ELEMENT_NODE)
				prev = prev->prev;
			/* A repeat of the leaf before it was printed with it. */
			if (prev && !has_element_children(c) && !has_element_children(prev) &&
			    xmlStrcmp(prev->name, c->name) == 0)
				continue;
			if (has_element_children(c) || wsman_xml_is(c, NS_WSMAN, "Selector")) {
				e = has_element_children(c) ? text_of(out, c, depth + 1)
							    : selector_line(out, c, depth + 1);
				if (e != ERR_OK)
					return e;
				continue;
			}
			if ((e = indent(out, depth + 1)) != ERR_OK ||
			    (e = buf_putf(out, "%s", (const char *)c->name)) != ERR_OK)
				return e;
			const char *sep = " = ";
			for (const xmlNode *r = c; r; r = wsman_xml_next(r)) {
				if (xmlStrcmp(r->name, c->name) != 0 || has_element_children(r))
					break;
				char *v = NULL;
				int shown = 1;
				if (is_nil(r))
					e = buf_putf(out, "%snull", sep);
				else if ((e = wsman_xml_text(r, TEXT_MAX_VALUE, 1, &v)) == ERR_OK &&
					 *v)
					e = buf_putf(out, "%s%s", sep, v);
				else
					shown = 0; /* an empty value: the bare name */
				free(v);
				if (e != ERR_OK)
					return e;
				if (shown)
					sep = ", ";
			}
			if ((e = attributes(out, c)) != ERR_OK ||
			    (e = buf_putf(out, "\n")) != ERR_OK)
				return e;
		}
		return ERR_OK;
	}
	char *v = NULL;
	if ((e = wsman_xml_text(n, TEXT_MAX_VALUE, 1, &v)) != ERR_OK)
		return e;
	e = *v ? buf_putf(out, " = %s", v) : ERR_OK;
	free(v);
	if (e == ERR_OK)
		e = attributes(out, n);
	return e == ERR_OK ? buf_putf(out, "\n") : e;
}

enum err wsman_xml_dump(const xmlNode *n, int pretty, struct buf *out)
{
	/* In a document of its own, so namespaces declared on the ancestors
	 * (s:Envelope, s:Body) are declared again where the text starts. */
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr copy = doc ? xmlDocCopyNode((xmlNodePtr)n, doc, 1) : NULL;
	/* Not xmlNodeDump into an xmlBuffer: when an allocation fails there,
	 * libxml2 2.9.14 frees the xmlBuffer's storage, leaves it pointing at
	 * it and reports success. An output buffer keeps the failure, and
	 * then has no content. */
	xmlOutputBufferPtr o = copy ? xmlAllocOutputBuffer(NULL) : NULL;
	enum err e = ERR_NOMEM;

	if (o) {
		xmlDocSetRootElement(doc, copy);
		copy = NULL;
		xmlNodeDumpOutput(o, doc, xmlDocGetRootElement(doc), 0, pretty, NULL);
		if (!o->error && xmlOutputBufferGetContent(o))
			e = buf_put(out, xmlOutputBufferGetContent(o), xmlOutputBufferGetSize(o));
		xmlOutputBufferClose(o);
	}
	if (copy)
		xmlFreeNode(copy);
	if (doc)
		xmlFreeDoc(doc);
	return e;
}

enum err wsman_text_render(const char *xml, size_t len, enum wsman_text_format format,
			   struct buf *out)
{
	xmlDocPtr doc;
	xmlNode *root;
	enum err e;

	if ((e = parse(xml, len, &doc, &root)) != ERR_OK)
		return e;
	if (format == WSMAN_TEXT_PLAIN)
		e = text_of(out, root, 0);
	else if ((e = wsman_xml_dump(root, format == WSMAN_TEXT_PRETTY, out)) == ERR_OK)
		e = buf_putf(out, "\n");
	xmlFreeDoc(doc);
	return e;
}

enum err wsman_text_set(const char *xml, size_t len, const struct wsman_pair *pairs, size_t npairs,
			struct buf *out, struct buf *errmsg)
{
	xmlDocPtr doc;
	xmlNode *root;
	enum err e;

	if ((e = parse(xml, len, &doc, &root)) != ERR_OK) {
		buf_putf(errmsg, "the resource the service returned is not XML");
		return e;
	}
	/* winrm.vbs: each key must name exactly one direct child of the root. */
	for (size_t i = 0; i < npairs && e == ERR_OK; i++) {
		xmlNode *match = NULL;
		int count = 0;
		for (xmlNode *c = wsman_xml_first(root); c; c = wsman_xml_next(c)) {
			if (strcasecmp((const char *)c->name, pairs[i].name) == 0) {
				match = c;
				count++;
			}
		}
		if (count != 1) {
			buf_putf(errmsg,
				 count ? "%s matches more than one setting of %s"
				       : "%s is not a setting of %s",
				 pairs[i].name, (const char *)root->name);
			e = ERR_CONFIG;
			break;
		}
		if (has_element_children(match)) {
			buf_putf(errmsg,
				 "%s is a group of settings, not one: set it on its own resource",
				 pairs[i].name);
			e = ERR_CONFIG;
			break;
		}
		xmlNodeSetContent(match, NULL);
		xmlUnsetNsProp(match, xmlSearchNsByHref(doc, match, (const xmlChar *)NS_XSI),
			       (const xmlChar *)"nil");
		if (pairs[i].value) {
			xmlNodeAddContent(match, (const xmlChar *)pairs[i].value);
		} else {
			xmlNsPtr xsi = xmlSearchNsByHref(doc, match, (const xmlChar *)NS_XSI);
			if (!xsi)
				xsi =
				    xmlNewNs(root, (const xmlChar *)NS_XSI, (const xmlChar *)"xsi");
			xmlSetNsProp(match, xsi, (const xmlChar *)"nil", (const xmlChar *)"true");
		}
	}
	if (e == ERR_OK)
		e = wsman_xml_dump(root, 0, out);
	xmlFreeDoc(doc);
	return e;
}
