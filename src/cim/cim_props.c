/* cim_props: what every provider uses to write an instance: the set it
 * appends to, typed properties, and the small readers of /proc-like
 * files. */
#include "cim/cim_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

struct cim_instance *cim_set_add(struct cim_set *s)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		struct cim_instance *v;
		if (s->n >= CIM_MAX_SET_INSTANCES)
			return NULL;
		if (cap > CIM_MAX_SET_INSTANCES)
			cap = CIM_MAX_SET_INSTANCES;
		if (!(v = realloc(s->v, (size_t)cap * sizeof(*v))))
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
	return &s->v[s->n++];
}

void cim_set_free(struct cim_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void cim_prop(struct cim_instance *inst, const char *name, enum cim_type type, const char *fmt, ...)
{
	struct cim_property *p;
	va_list ap;

	if (inst->nproperties >= CIM_MAX_PROPERTIES)
		return;
	p = &inst->properties[inst->nproperties++];
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->type = type;
	va_start(ap, fmt);
	vsnprintf(p->value, sizeof(p->value), fmt, ap);
	va_end(ap);
}

void cim_prop_text(struct cim_instance *inst, const char *name, const char *value)
{
	if (value && *value)
		cim_prop(inst, name, CIM_STRING, "%s", value);
	else
		cim_prop(inst, name, CIM_NULL, "%s", "");
}

void cim_prop_datetime(struct cim_instance *inst, const char *name, time_t t)
{
	struct tm tm;
	char text[40];
	long off;

	if (!localtime_r(&t, &tm) || !strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm)) {
		cim_prop(inst, name, CIM_NULL, "%s", "");
		return;
	}
	off = tm.tm_gmtoff / 60;
	if (off == 0)
		cim_prop(inst, name, CIM_DATETIME, "%sZ", text);
	else
		cim_prop(inst, name, CIM_DATETIME, "%s%c%02ld:%02ld", text, off < 0 ? '-' : '+',
			 labs(off) / 60, labs(off) % 60);
}

void cim_read_line(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "re");

	*out = 0;
	if (!f)
		return;
	if (!fgets(out, (int)cap, f))
		*out = 0;
	out[strcspn(out, "\n")] = 0;
	fclose(f);
}

unsigned long long cim_keyed_number(const char *path, const char *key)
{
	unsigned long long v = 0;
	size_t n = strlen(key);
	char line[256];
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && isspace((unsigned char)line[n])) {
			v = strtoull(line + n, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

void cim_prop_strings(struct cim_instance *inst, const char *name, const char *const *v, size_t n)
{
	if (n == 0)
		cim_prop_text(inst, name, NULL);
	for (size_t i = 0; i < n; i++)
		cim_prop(inst, name, CIM_STRING, "%s", v[i]);
}

void cim_host_name(char *out, size_t cap)
{
	struct utsname u;

	if (uname(&u) != 0)
		snprintf(u.nodename, sizeof(u.nodename), "localhost");
	u.nodename[strcspn(u.nodename, ".")] = 0;
	snprintf(out, cap, "%s", u.nodename);
}
