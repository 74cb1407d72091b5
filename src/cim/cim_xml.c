/* cim_xml: the network process's half: an instance, and a method's
 * output, as Windows' WMI plugin writes them (docs/design.md, "Management
 * data"; the shape of the protocol reference's Win32_Service reply). */
#include "cim/cim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "wsman/wsman.h"

const struct cim_property *cim_property(const struct cim_instance *inst, const char *name)
{
	for (uint32_t i = 0; i < inst->nproperties; i++)
		if (strcasecmp(inst->properties[i].name, name) == 0)
			return &inst->properties[i];
	return NULL;
}

/* Windows lists the properties in alphabetical order of their names,
 * case-insensitively: "Caption" before "CSName" and "Started" before
 * "StartMode" in the protocol reference's Win32_Service and in Windows
 * Server 2008 R2's recorded Win32_OperatingSystem, instances and select
 * lists' fragments alike. An array is its name repeated, one element each
 * (DSP0230's mapping of a CIM array), so names that tie keep the order
 * the provider wrote them in: qsort is not stable, the elements' places
 * in the instance break the tie. */
static int by_name(const void *a, const void *b)
{
	const struct cim_property *x = *(const struct cim_property *const *)a;
	const struct cim_property *y = *(const struct cim_property *const *)b;
	int c = strcasecmp(x->name, y->name);

	return c ? c : (x > y) - (x < y);
}

/* <prefix Name> with the value; a datetime inside <datetime>. */
static enum err put_property(struct buf *out, const struct cim_property *p, const char *prefix,
			     const char *datetime)
{
	enum err e;

	if (p->type == CIM_NULL)
		return buf_putf(out, "<%s%s xsi:nil=\"true\"/>", prefix, p->name);
	if ((e = buf_putf(out, "<%s%s>", prefix, p->name)) != ERR_OK ||
	    (p->type == CIM_DATETIME && (e = buf_putf(out, "<%s>", datetime)) != ERR_OK) ||
	    (e = util_xml_escape(out, p->value)) != ERR_OK ||
	    (p->type == CIM_DATETIME && (e = buf_putf(out, "</%s>", datetime)) != ERR_OK))
		return e;
	return buf_putf(out, "</%s%s>", prefix, p->name);
}

/* The resource URI of t's class class_name: the one the client used,
 * Windows' or DMTF's. */
static void class_uri(const struct cim_target *t, const char *class_name, char *out, size_t len)
{
	if (t->dmtf)
		snprintf(out, len, CIM_DMTF_PREFIX "%s", class_name);
	else
		snprintf(out, len, CIM_WMI_PREFIX "%s/%s", t->namespace_name, class_name);
}

#define MAX_CLASS_URI (sizeof(CIM_WMI_PREFIX) + CIM_MAX_NAMESPACE + 1 + CIM_MAX_NAME)

/* <p:ELEMENT xmlns:p="<class URI>" xmlns:cim=... xmlns:xsi=...[ xsi:type=
 * "p:<Class>_Type"] xml:lang="en-US">, the properties of v[0..n) in
 * ordinal order, and its end: an instance (typed) or a method's output
 * (element <Method>_OUTPUT, no type). */
static enum err put_element(struct buf *out, const struct cim_target *t, const char *class_name,
			    const char *element, int typed, const struct cim_property *v,
			    uint32_t n)
{
	const struct cim_property *sorted[CIM_MAX_PROPERTIES];
	char uri[MAX_CLASS_URI];
	enum err e;

	n = n < CIM_MAX_PROPERTIES ? n : CIM_MAX_PROPERTIES;
	for (uint32_t i = 0; i < n; i++)
		sorted[i] = &v[i];
	qsort(sorted, n, sizeof(sorted[0]), by_name);
	class_uri(t, class_name, uri, sizeof(uri));
	e = buf_putf(out, "<p:%s xmlns:p=\"%s\"", element, uri);
	if (e == ERR_OK)
		e = buf_putf(out, " xmlns:cim=\"" CIM_NS_COMMON "\" xmlns:xsi=\"" NS_XSI "\"");
	if (e == ERR_OK && typed)
		e = buf_putf(out, " xsi:type=\"p:%s_Type\"", class_name);
	if (e != ERR_OK || (e = buf_putf(out, " xml:lang=\"en-US\">")) != ERR_OK)
		return e;
	for (uint32_t i = 0; i < n && e == ERR_OK; i++)
		e = put_property(out, sorted[i], "p:", "cim:Datetime");
	if (e != ERR_OK)
		return e;
	return buf_putf(out, "</p:%s>", element);
}

enum err cim_instance_xml(struct buf *out, const struct cim_target *t, const char *class_name,
			  const struct cim_instance *inst)
{
	return put_element(out, t, class_name, class_name, 1, inst->properties, inst->nproperties);
}

enum err cim_output_xml(struct buf *out, const struct cim_target *t,
			const struct cim_invoke_reply *reply)
{
	char element[CIM_MAX_NAME + sizeof("_OUTPUT")];

	snprintf(element, sizeof(element), "%s_OUTPUT", reply->method);
	return put_element(out, t, reply->class_name, element, 0, reply->output.properties,
			   reply->output.nproperties);
}

/* A WQL select list's item, as DSP0227 8.1 renders a CQL projection and
 * Windows Server 2008 R2 was recorded writing it: the selected properties
 * in w:XmlFragment, unqualified (MS-WSMV <58>), in alphabetical order
 * (<59>), a datetime inside an unqualified Datetime. */
static enum err fragment_xml(struct buf *out, const struct cim_filter *f,
			     const struct cim_instance *inst)
{
	const struct cim_property *kept[CIM_MAX_PROPERTIES];
	uint32_t n = 0;
	enum err e;

	for (uint32_t i = 0; i < inst->nproperties && i < CIM_MAX_PROPERTIES; i++)
		if (cim_filter_keeps(f, inst->properties[i].name))
			kept[n++] = &inst->properties[i];
	qsort(kept, n, sizeof(kept[0]), by_name);
	e = buf_putf(out, "<w:XmlFragment xmlns:xsi=\"" NS_XSI "\" xmlns:w=\"" NS_WSMAN "\">");
	for (uint32_t i = 0; i < n && e == ERR_OK; i++)
		e = put_property(out, kept[i], "", "Datetime");
	if (e != ERR_OK)
		return e;
	return buf_putf(out, "</w:XmlFragment>");
}

/* inst's EPR (DSP0226 8.7), as Windows' WMI plugin gives one: the
 * anonymous address, the class's resource URI, a selector per key. */
static enum err epr_xml(struct buf *out, const struct cim_target *t, const struct cim_reply *page,
			const struct cim_instance *inst)
{
	const char *names[CIM_MAX_KEYS], *values[CIM_MAX_KEYS];
	char uri[MAX_CLASS_URI];
	uint32_t n = page->nkeys < CIM_MAX_KEYS ? page->nkeys : CIM_MAX_KEYS;

	for (uint32_t i = 0; i < n; i++) {
		const struct cim_property *p = cim_property(inst, page->keys[i]);
		if (!p)
			return ERR_WSMAN_INTERNAL;
		names[i] = page->keys[i];
		values[i] = p->type == CIM_NULL ? "" : p->value;
	}
	class_uri(t, page->class_name, uri, sizeof(uri));
	return wsman_put_epr(out, "a:EndpointReference", NS_ADDRESSING_ANONYMOUS, uri, names,
			     values, n);
}

enum err cim_item_xml(struct buf *out, const struct cim_target *t, const struct cim_reply *page,
		      uint32_t mode, const struct cim_filter *f, const struct cim_instance *inst,
		      int *kept, const char **why)
{
	int both = mode == WSMAN_ENUM_OBJECTS_AND_EPRS;
	enum err e;

	if ((e = cim_filter_match(f, inst, kept, why)) != ERR_OK || !*kept)
		return e;
	if (mode == WSMAN_ENUM_EPRS)
		return epr_xml(out, t, page, inst);
	if (both && (e = buf_putf(out, "<w:Item>")) != ERR_OK)
		return e;
	if (cim_filter_projects(f))
		e = fragment_xml(out, f, inst);
	else
		e = cim_instance_xml(out, t, page->class_name, inst);
	if (e != ERR_OK || !both || (e = epr_xml(out, t, page, inst)) != ERR_OK)
		return e;
	return buf_putf(out, "</w:Item>");
}
