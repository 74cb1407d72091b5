/* wsman_xml: the XML helpers of the codec, for the files of src/wsman/
 * and for the codecs of resources built on it (shell/shell_soap.c): one
 * element matcher, one text extractor, one escaper, the head of a reply
 * and of a client's request, instead of a copy each. */
#ifndef OPENWINRM_WSMAN_XML_H
#define OPENWINRM_WSMAN_XML_H

#include <stddef.h>

#include <libxml/tree.h>

#include "common/buf.h"
#include "common/err.h"
#include "wsman/wsman.h"

/* The namespaces of Windows' shell replies, as real traces show them
 * (docs/protocol-notes.md, "Reply namespaces"). */
#define WSMAN_REPLY_NS                                                                             \
	"xmlns:s=\"" NS_SOAP "\" xmlns:a=\"" NS_WSA "\" xmlns:x=\"" NS_TRANSFER                    \
	"\" xmlns:w=\"" NS_WSMAN "\" xmlns:rsp=\"" NS_SHELL "\" xmlns:p=\"" NS_WSMV "\""
#define WSMAN_REPLY_TAIL "</s:Body></s:Envelope>"

/* 1 if n is the element {ns}name. */
int wsman_xml_is(const xmlNode *n, const char *ns, const char *name);
/* The first element child of parent / the next element sibling of n, or
 * NULL: whitespace, comments and processing instructions are skipped. */
xmlNode *wsman_xml_first(const xmlNode *parent);
xmlNode *wsman_xml_next(const xmlNode *n);

/* The character data directly inside n (text and CDATA sections, nested
 * elements ignored) as a new NUL-terminated string, surrounding XML
 * whitespace removed when trim is set. ERR_WSMAN_ENCODING_LIMIT when it is
 * longer than max bytes. */
enum err wsman_xml_text(const xmlNode *n, size_t max, int trim, char **out);
/* Attribute `name` in namespace ns (NULL: the unqualified attribute) as a
 * new string; *out is NULL when the attribute is absent.
 * ERR_WSMAN_ENCODING_LIMIT when longer than max bytes. */
enum err wsman_xml_attr(const xmlNode *n, const char *ns, const char *name, size_t max, char **out);

/* n and its subtree as standalone XML text (namespaces declared on its
 * ancestors declared again on it), appended to out. */
enum err wsman_xml_dump(const xmlNode *n, int pretty, struct buf *out);

/* xs:boolean as WinRM clients spell it: true/True/TRUE/1 -> 1,
 * false/False/FALSE/0 -> 0, anything else -> -1. */
int wsman_bool_parse(const char *s);

/* Writes s (NULL: nothing) escaped for both element text and attribute
 * values. */
enum err wsman_put_escaped(struct buf *out, const char *s);
/* <tag>value, escaped</tag>. */
enum err wsman_put_element(struct buf *out, const char *tag, const char *value);
/* Writes `<s:Envelope xml:lang="en-US" NSDECLS><s:Header>` with a:Action,
 * a fresh a:MessageID, the anonymous a:To and, when relates_to is not
 * NULL, a:RelatesTo, then `</s:Header><s:Body>`. */
enum err wsman_put_head(struct buf *out, const char *nsdecls, const char *action,
			const char *relates_to);

/* ---- reading replies (wsman_client.c) ---- */
/* The first child {ns}name of parent (NULL: none, or no parent). */
xmlNode *wsman_xml_child(const xmlNode *parent, const char *ns, const char *name);
/* The trimmed text of n into a fixed array; ERR_FORMAT when n is NULL,
 * the text empty or longer than cap - 1. */
enum err wsman_xml_text_into(const xmlNode *n, char *dst, size_t cap);
/* The element {ns}name among the children of s:Body. */
xmlNode *wsman_body_element(const struct wsman_request *resp, const char *ns, const char *name);

/* ---- writing requests (wsman_client.c) ----
 * Text a client gives (command lines, variables, directories) must be
 * UTF-8: an XML document cannot carry anything else, and the service
 * would refuse the whole envelope (ERR_FORMAT). */
/* open, s escaped (NULL: nothing), close. */
enum err wsman_put_text(struct buf *out, const char *open, const char *s, const char *close);
/* <set><item Name="name">value</item>...</set> (MustComply="true" on the
 * pairs that say must_comply); nothing for no pairs. */
enum err wsman_put_named(struct buf *out, const char *set, const char *item,
			 const struct wsman_pair *p, size_t n);
/* Everything up to and including <s:Body>, as Windows' client writes it. */
enum err wsman_client_head(struct buf *out, const struct wsman_client_header *h,
			   const char *resource, const char *action,
			   const struct wsman_pair *selectors, size_t nselectors,
			   const struct wsman_pair *options, size_t noptions);
enum err wsman_client_tail(struct buf *out);

#endif
