/* config_resource: the resources of winrm/config edited (privileged part
 * and CLI): `winrm set` (config_set) and WS-Transfer Put (config_put),
 * which share the lookup and the checks of a value, instances (listeners,
 * plugins, certmappings) created and deleted, and what a resource path
 * names.
 *
 * config_set takes a NULL value as winrm's `$null`: empty for text (and
 * write-only) settings, refused for the others. */
#include "config/config_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- instances: listeners, plugins, certmappings, namespaces ---- */

static enum err instance_create(struct config *c, const struct collection *k, const char *selectors,
				struct buf *errmsg)
{
	char canon[MAX_KEY];
	uint32_t idx;
	enum err e;

	if (k->fixed)
		return config_fail(errmsg, 0, "a %s cannot be created: %s", k->noun, k->fixed);
	if ((e = k->selectors_parse(selectors, canon, errmsg, 0)) != ERR_OK)
		return e;
	if (config_instance_find(c, k, canon) >= 0) {
		config_fail(errmsg, 0, "the %s %s already exists", k->noun, canon);
		return ERR_EXISTS;
	}
	return config_instance_add(c, k, canon, &idx, errmsg, 0);
}

enum err config_instance_named(const struct config *c, const struct collection *k,
			       const char *selectors, uint32_t *idx, struct buf *errmsg)
{
	char canon[MAX_KEY];
	enum err e;
	int i;

	if ((e = k->selectors_parse(selectors, canon, errmsg, 0)) != ERR_OK)
		return e;
	if ((i = config_instance_find(c, k, canon)) < 0) {
		config_fail(errmsg, 0, "there is no %s %s", k->noun, canon);
		return ERR_NOT_FOUND;
	}
	*idx = (uint32_t)i;
	return ERR_OK;
}

static enum err instance_delete(struct config *c, const struct collection *k, const char *selectors,
				struct buf *errmsg)
{
	uint32_t i;
	enum err e;

	if (k->fixed)
		return config_fail(errmsg, 0, "a %s cannot be deleted: %s", k->noun, k->fixed);
	if ((e = config_instance_named(c, k, selectors, &i, errmsg)) != ERR_OK)
		return e;
	/* A file without plugins means the default ones (config_read.c). */
	if (k == CONFIG_PLUGINS && c->nplugins == 1)
		return config_fail(errmsg, 0,
				   "the last plugin cannot be deleted: set its Enabled to false");
	config_instance_remove(c, k, i);
	return ERR_OK;
}

enum err config_listener_create(struct config *c, const char *selectors, struct buf *errmsg)
{
	return instance_create(c, CONFIG_LISTENERS, selectors, errmsg);
}

enum err config_listener_delete(struct config *c, const char *selectors, struct buf *errmsg)
{
	return instance_delete(c, CONFIG_LISTENERS, selectors, errmsg);
}

/* The collection and selectors of "listener?...", "plugin?...",
 * "service/certmapping?...", "service/namespace?...". */
static enum err instance_resource(const char *resource, const struct collection **k,
				  const char **sel, struct buf *errmsg)
{
	char q[MAX_QUOTE];

	if (!(*k = config_collection_of(resource, sel)) || !*sel)
		return config_fail(
		    errmsg, 0,
		    "%s is not an instance: use listener?Address=...+Transport=..., "
		    "plugin?Name=..., service/certmapping?Issuer=...+Subject=...+URI=... or "
		    "service/namespace?Name=...",
		    config_quote(q, resource, strlen(resource)));
	return ERR_OK;
}

enum err config_instance_create(struct config *c, const char *resource, struct buf *errmsg)
{
	const struct collection *k;
	const char *sel;
	enum err e;

	if ((e = instance_resource(resource, &k, &sel, errmsg)) != ERR_OK)
		return e;
	return instance_create(c, k, sel, errmsg);
}

enum err config_instance_delete(struct config *c, const char *resource, struct buf *errmsg)
{
	const struct collection *k;
	const char *sel;
	enum err e;

	if ((e = instance_resource(resource, &k, &sel, errmsg)) != ERR_OK)
		return e;
	return instance_delete(c, k, sel, errmsg);
}

enum err config_instance_resource(const struct config *c, const char *resource, uint32_t i,
				  char *out, size_t len)
{
	const char *sel;
	const struct collection *k = config_collection_of(resource, &sel);
	char canon[MAX_KEY];

	if (!k || sel)
		return ERR_CONFIG;
	if (i >= *config_instance_count(c, k))
		return ERR_NOT_FOUND;
	k->selectors_of(config_instance(c, k, i), canon);
	return (size_t)snprintf(out, len, "%s?%s", k->resource, canon) < len ? ERR_OK : ERR_LIMIT;
}

enum err config_instance_check(const char *resource)
{
	const struct collection *k;
	const char *sel;
	char canon[MAX_KEY];
	enum err e;

	if ((e = instance_resource(resource, &k, &sel, NULL)) != ERR_OK)
		return e;
	return k->selectors_parse(sel, canon, NULL, 0);
}

const struct config_listener *config_listener_at(const struct config *c, uint32_t i)
{
	for (uint32_t k = 0; k < c->nlisteners; k++)
		if (c->listeners[k].enabled && i-- == 0)
			return &c->listeners[k];
	return NULL;
}

/* ---- `winrm set` and Put ---- */

const struct setting *config_section_first(const char *resource)
{
	size_t n = strlen(resource);

	for (size_t i = 0; i < config_nsettings; i++)
		if (n == 0 ||
		    (strncasecmp(config_settings[i].path, resource, n) == 0 &&
		     (config_settings[i].path[n] == 0 || config_settings[i].path[n] == '/')))
			return &config_settings[i];
	return NULL;
}

const char *config_section_name(const struct setting *s, size_t plen, size_t *len)
{
	const char *h = s->path + plen;

	if (plen == 0) {
		*len = 6;
		return "Config";
	}
	while (h > s->path && h[-1] != '/')
		h--;
	*len = (size_t)(s->path + plen - h);
	return h;
}

enum config_resource config_resource_of(const char *resource, char name[CONFIG_MAX_ELEMENT])
{
	const struct collection *k;
	const struct setting *s;
	const char *h, *sel;
	size_t n;

	if ((k = config_collection_of(resource, &sel))) {
		if (sel)
			return CONFIG_RES_UNKNOWN;
		snprintf(name, CONFIG_MAX_ELEMENT, "%s", k->element);
		return CONFIG_RES_COLLECTION;
	}
	if (!(s = config_section_first(resource)))
		return CONFIG_RES_UNKNOWN;
	h = config_section_name(s, strlen(resource), &n);
	snprintf(name, CONFIG_MAX_ELEMENT, "%.*s", (int)n, h);
	return CONFIG_RES_SINGLETON;
}

/* The row of setting `name` of resource, and the struct its value lives in. */
static enum err resolve(struct config *c, const char *resource, const char *name,
			const struct setting **s, void **base, struct buf *errmsg)
{
	char q[MAX_QUOTE], qr[MAX_QUOTE];
	const struct collection *k;
	const char *sel;
	uint32_t i;
	enum err e;

	if ((k = config_collection_of(resource, &sel))) {
		if (!sel)
			return config_fail(errmsg, 0, "which %s? Use %s?%s", k->noun, k->resource,
					   k->form);
		if ((e = config_instance_named(c, k, sel, &i, errmsg)) != ERR_OK)
			return e;
		*base = config_instance(c, k, i);
		*s = config_lookup(k->settings, k->nsettings, "", name);
	} else {
		if (!config_section_first(resource))
			return config_fail(errmsg, 0, "unknown resource winrm/config/%s",
					   config_quote(qr, resource, strlen(resource)));
		*base = c;
		*s = config_lookup(config_settings, config_nsettings, resource, name);
	}
	if (!*s)
		return config_fail(errmsg, 0, "unknown setting %s in winrm/config%s%s",
				   config_quote(q, name, strlen(name)), *resource ? "/" : "",
				   config_quote(qr, resource, strlen(resource)));
	return ERR_OK;
}

/* value without the blanks around it, which would not survive the stored
 * format, into v. */
static enum err trim_value(const struct setting *s, const char *value, char v[CONFIG_MAX_VALUE + 1],
			   struct buf *errmsg)
{
	size_t n;

	while (*value == ' ' || *value == '\t')
		value++;
	n = strlen(value);
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	if (n > CONFIG_MAX_VALUE)
		return config_fail(errmsg, 0, "%s: value longer than %d bytes", s->name,
				   CONFIG_MAX_VALUE);
	memcpy(v, value, n);
	v[n] = 0;
	return ERR_OK;
}

/* Sets s at base from text, NULL being winrm's $null. */
static enum err set_resolved(const struct setting *s, void *base, const char *value,
			     struct buf *errmsg)
{
	char v[CONFIG_MAX_VALUE + 1];
	enum err e;

	if (!value) {
		if (s->type != T_STR && s->type != T_FILTER && s->type != T_SECRET)
			return config_fail(errmsg, 0, "%s: $null is allowed only for text settings",
					   s->name);
		value = "";
	}
	if ((e = trim_value(s, value, v, errmsg)) != ERR_OK)
		return e;
	return config_assign(s, base, v, errmsg, 0);
}

enum err config_set(struct config *c, const char *resource, const char *name, const char *value,
		    struct buf *errmsg)
{
	const struct setting *s;
	void *base;
	enum err e;

	if ((e = resolve(c, resource, name, &s, &base, errmsg)) != ERR_OK)
		return e;
	return set_resolved(s, base, value, errmsg);
}

enum err config_put(struct config *c, const char *resource, const struct config_pair *pairs,
		    size_t n, struct buf *errmsg)
{
	char sub[MAX_KEY + 1], v[CONFIG_MAX_VALUE + 1], q[MAX_QUOTE], qr[MAX_QUOTE];
	const char *sel;
	const struct collection *k = config_collection_of(resource, &sel);
	uint64_t seen = 0;

	for (size_t i = 0; i < n; i++) {
		const char *full = pairs[i].name, *slash = strrchr(full, '/');
		const char *res = resource;
		const struct setting *s;
		void *base;
		uint64_t bit;
		enum err e;

		/* A nested element's setting belongs to the sub-resource its
		 * path names; an instance has no nested elements. */
		if (slash) {
			if (k || (size_t)snprintf(sub, sizeof(sub), "%s%s%.*s", resource,
						  *resource ? "/" : "", (int)(slash - full),
						  full) >= sizeof(sub))
				return config_fail(
				    errmsg, 0, "unknown setting %s in winrm/config%s%s",
				    config_quote(q, full, strlen(full)), *resource ? "/" : "",
				    config_quote(qr, resource, strlen(resource)));
			res = sub;
		}
		if ((e = resolve(c, res, slash ? slash + 1 : full, &s, &base, errmsg)) != ERR_OK)
			return e;
		if (s->type == T_NONE)
			continue;
		bit = (uint64_t)1 << (k ? s - k->settings : s - config_settings);
		if (seen & bit)
			return config_fail(errmsg, 0, "%s is given twice", s->name);
		seen |= bit;
		if ((s->flags & (F_RO | F_KEY)) && pairs[i].value &&
		    trim_value(s, pairs[i].value, v, NULL) == ERR_OK &&
		    config_value_same(s, base, v))
			continue;
		if ((e = set_resolved(s, base, pairs[i].value, errmsg)) != ERR_OK)
			return e;
	}
	return ERR_OK;
}
