/* cim_xml: the network process's half: an instance as Windows' WMI
 * plugin writes it (docs/design.md, "Management
 * data"; the shape of the protocol reference's Win32_Service reply). */
#include "cim/cim.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* Windows lists the properties in ordinal order of their names
 * ("CSName" before "Caption"). An array is its name repeated, one
 * element each (DSP0230's mapping of a CIM array), so names that tie
 * keep the order the provider wrote them in: qsort is not stable, the
 * elements' places in the instance break the tie. */
static int by_name(const void *a, const void *b)
{
	const struct cim_property *x = *(const struct cim_property *const *)a;
	const struct cim_property *y = *(const struct cim_property *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x > y) - (x < y);
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

enum err cim_instance_xml(struct buf *out, const struct cim_target *t, const char *class_name,
			  const struct cim_instance *inst)
{
	const struct cim_property *sorted[CIM_MAX_PROPERTIES];
	uint32_t n =
	    inst->nproperties < CIM_MAX_PROPERTIES ? inst->nproperties : CIM_MAX_PROPERTIES;
	enum err e;

	for (uint32_t i = 0; i < n; i++)
		sorted[i] = &inst->properties[i];
	qsort(sorted, n, sizeof(sorted[0]), by_name);
	if (t->dmtf)
		e = buf_putf(out, "<p:%s xmlns:p=\"" CIM_DMTF_PREFIX "%s\"", class_name,
			     class_name);
	else
		e = buf_putf(out, "<p:%s xmlns:p=\"" CIM_WMI_PREFIX "%s/%s\"", class_name,
			     t->namespace_name, class_name);
	if (e != ERR_OK || (e = buf_putf(out,
					 " xmlns:cim=\"" CIM_NS_COMMON "\" xmlns:xsi=\"" NS_XSI
					 "\" xsi:type=\"p:%s_Type\" xml:lang=\"en-US\">",
					 class_name)) != ERR_OK)
		return e;
	for (uint32_t i = 0; i < n && e == ERR_OK; i++)
		e = put_property(out, sorted[i]);
	if (e != ERR_OK)
		return e;
	return buf_putf(out, "</p:%s>", class_name);
}
