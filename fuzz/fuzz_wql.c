/* Fuzzes the Enumerate's filters of cim_wql.c, compiled from what a
 * client sends: the input is a WQL query, or (first byte 0x01) selector
 * pairs "name\0value\0...". What compiles is then matched against two
 * instances, one with a value of every type and one of NULLs, and
 * written as an item (the second with its EPR): the only refusal is
 * CannotProcessFilter, a WQL filter's class is a name, and a dropped
 * instance writes nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cim/cim.h"
#include "common/buf.h"
#include "wsman/wsman.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void add(struct cim_instance *inst, const char *name, enum cim_type type, const char *v)
{
	struct cim_property *p = &inst->properties[inst->nproperties++];

	snprintf(p->name, sizeof(p->name), "%s", name);
	p->type = type;
	snprintf(p->value, sizeof(p->value), "%s", v);
}

static void instances(struct cim_instance *full, struct cim_instance *empty)
{
	static const char *const names[] = {"Caption", "OSType", "Primary", "LastBootUpTime",
					    "Name"};
	static const enum cim_type types[] = {CIM_STRING, CIM_NUMBER, CIM_BOOLEAN, CIM_DATETIME,
					      CIM_STRING};
	static const char *const values[] = {"Debian GNU/Linux 12 (bookworm)", "36", "true",
					     "2024-05-01T10:00:00+02:00", "caf\xc3\xa9_%[x]"};

	memset(full, 0, sizeof(*full));
	memset(empty, 0, sizeof(*empty));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		add(full, names[i], types[i], values[i]);
		add(empty, names[i], CIM_NULL, "");
	}
}

static enum err selectors(const char *text, size_t size, struct cim_filter *f)
{
	const char *names[CIM_MAX_WQL_TERMS + 1], *values[CIM_MAX_WQL_TERMS + 1];
	uint32_t n = 0;
	size_t o = 0;

	while (o < size && n <= CIM_MAX_WQL_TERMS) {
		names[n] = text + o;
		o += strlen(text + o) + 1;
		values[n] = o < size ? text + o : "";
		o += o < size ? strlen(text + o) + 1 : 0;
		n++;
	}
	return cim_selector_filter(names, values, n, f, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cim_instance full, empty;
	static struct cim_reply page; /* the class and its key, for the EPR */
	static struct cim_filter f;
	struct cim_target t = {.namespace_name = "root/cimv2"};
	char *text = malloc(size + 1);
	const struct cim_instance *each[2] = {&full, &empty};
	struct buf out;
	enum err e;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	instances(&full, &empty);
	if (size > 0 && data[0] == 1)
		e = selectors(text + 1, size - 1, &f);
	else
		e = cim_wql_parse(text, &f, NULL);
	if (e != ERR_OK && e != ERR_WSMAN_CANNOT_PROCESS_FILTER)
		abort();
	if (e == ERR_OK && f.kind == CIM_FILTER_WQL && !cim_is_name(cim_filter_class(&f)))
		abort();
	snprintf(t.class_name, sizeof(t.class_name), "%s",
		 e == ERR_OK && f.kind == CIM_FILTER_WQL ? cim_filter_class(&f) : "X");
	snprintf(page.class_name, sizeof(page.class_name), "%s", t.class_name);
	page.nkeys = 1;
	snprintf(page.keys[0], sizeof(page.keys[0]), "Name");
	buf_init(&out, 64 * 1024);
	for (int i = 0; i < 2 && e == ERR_OK; i++) {
		const char *why = NULL;
		int kept = 0;
		enum err m;
		buf_reset(&out);
		/* The first as an object, the second with its EPR (key Name). */
		m = cim_item_xml(&out, &t, &page,
				 i ? WSMAN_ENUM_OBJECTS_AND_EPRS : WSMAN_ENUM_OBJECTS, &f, each[i],
				 &kept, &why);
		if ((m != ERR_OK && (m != ERR_WSMAN_CANNOT_PROCESS_FILTER || !why || kept)) ||
		    (m == ERR_OK && !kept && buf_len(&out) != 0))
			abort();
	}
	buf_clear(&out);
	free(text);
	return 0;
}
