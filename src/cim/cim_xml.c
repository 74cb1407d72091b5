/* cim_xml: the network process's half: an instance, and a method's
 * output, as Windows' WMI plugin writes them (docs/design.md, "Management
 * data"; the shape of the protocol reference's Win32_Service reply). */
#include "cim/cim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* Windows lists the properties in ordinal order of their names
 * ("CSName" before "Caption"). */
static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct cim_property *const *)a)->name,
		      (*(const struct cim_property *const *)b)->name);
}

static enum err put_property(struct buf *out, const struct cim_property *p)
{
	enum err e;

	if (p->type == CIM_NULL)
		return buf_putf(out, "<p:%s xsi:nil=\"true\"/>", p->name);
	if ((e = buf_putf(out, "<p:%s>%s", p->name,
			  p->type == CIM_DATETIME ? "<cim:Datetime>" : "")) != ERR_OK ||
	    (e = util_xml_escape(out, p->value)) != ERR_OK)
		return e;
	return buf_putf(out, "%s</p:%s>", p->type == CIM_DATETIME ? "</cim:Datetime>" : "",
			p->name);
}

/* <p:ELEMENT xmlns:p="<class URI>" xmlns:cim=... xmlns:xsi=...[ xsi:type=
 * "p:<Class>_Type"] xml:lang="en-US">, the properties of v[0..n) in
 * ordinal order, and its end: an instance (typed) or a method's output
 * (element <Method>_OUTPUT, no type). */
static enum err put_element(struct buf *out, const struct cim_target *t, const char *class_name,
			    const char *element, int typed, const struct cim_property *v,
			    uint32_t n)
{
	const struct cim_property *sorted[CIM_MAX_PROPERTIES];
	enum err e;

	n = n < CIM_MAX_PROPERTIES ? n : CIM_MAX_PROPERTIES;
	for (uint32_t i = 0; i < n; i++)
		sorted[i] = &v[i];
	qsort(sorted, n, sizeof(sorted[0]), by_name);
	if (t->dmtf)
		e = buf_putf(out, "<p:%s xmlns:p=\"" CIM_DMTF_PREFIX "%s\"", element, class_name);
	else
		e = buf_putf(out, "<p:%s xmlns:p=\"" CIM_WMI_PREFIX "%s/%s\"", element,
			     t->namespace_name, class_name);
	if (e == ERR_OK)
		e = buf_putf(out, " xmlns:cim=\"" CIM_NS_COMMON "\" xmlns:xsi=\"" NS_XSI "\"");
	if (e == ERR_OK && typed)
		e = buf_putf(out, " xsi:type=\"p:%s_Type\"", class_name);
	if (e != ERR_OK || (e = buf_putf(out, " xml:lang=\"en-US\">")) != ERR_OK)
		return e;
	for (uint32_t i = 0; i < n && e == ERR_OK; i++)
		e = put_property(out, sorted[i]);
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
