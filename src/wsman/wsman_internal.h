/* wsman_internal: helpers shared by envelope.c, shellmsg.c and fault.c.
 * Private to src/wsman/ (the module's door is wsman.h); it exists so the
 * three files share one element matcher, one text extractor and one
 * escaper instead of three copies. */
#ifndef OPENWINRM_WSMAN_INTERNAL_H
#define OPENWINRM_WSMAN_INTERNAL_H

#include <stddef.h>

#include <libxml/tree.h>

#include "common/buf.h"
#include "common/err.h"
#include "wsman/wsman.h"

#define NS_ADDRESSING_ANONYMOUS NS_WSA "/role/anonymous"

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
enum err wsman_xml_attr(const xmlNode *n, const char *ns, const char *name, size_t max,
			char **out);

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
/* x:ResourceCreated, the EPR of a created instance (sections 4.1, 6.4):
 * a:Address, then a:ReferenceParameters with w:ResourceURI and a
 * w:SelectorSet of the n name/value pairs. */
enum err wsman_put_resource_created(struct buf *out, const char *machine_url, const char *resource_uri,
				    const char *const *names, const char *const *values, uint32_t n);
/* Writes `<s:Envelope xml:lang="en-US" NSDECLS><s:Header>` with a:Action,
 * a fresh a:MessageID, the anonymous a:To and, when relates_to is not
 * NULL, a:RelatesTo, then `</s:Header><s:Body>`. */
enum err wsman_put_head(struct buf *out, const char *nsdecls, const char *action,
			const char *relates_to);

#endif
