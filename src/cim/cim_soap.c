/* cim_soap: the network process's half: what a CIM request's envelope
 * says beyond its resource URI, read with the bounds the typed request
 * has: the selectors (a Get's, a Put's or a method's keys), a method's
 * name and input (DSP0227 11: <p:Method_INPUT> in the class URI's
 * namespace, one element per input parameter) and a Put's instance
 * (<p:Class> likewise, one element per property). The body arrives from wsman_parse's
 * hardened parser; what it admits here is names and bounded text, so
 * the host gets nothing an element name could not be. Fuzzed by
 * fuzz/fuzz_cim_invoke.c (both bodies). */
#include "cim/cim.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wsman/wsman.h"

enum err cim_selectors_parse(const struct wsman_request *ws, struct cim_selector *out, uint32_t *n)
{
	const struct wsman_header *hdr = &ws->hdr;

	*n = 0;
	/* A key no property could have is no key of this class. */
	for (uint32_t i = 0; i < hdr->nselectors; i++) {
		const char *name = hdr->selectors[i].name;
		const char *value = hdr->selectors[i].value ? hdr->selectors[i].value : "";
		if (i >= CIM_MAX_SELECTORS || !cim_is_name(name) || strlen(name) > CIM_MAX_NAME ||
		    strlen(value) > CIM_MAX_VALUE)
			return ERR_WSMAN_INVALID_SELECTORS;
		snprintf(out[i].name, CIM_MAX_NAME + 1, "%s", name);
		snprintf(out[i].value, CIM_MAX_VALUE + 1, "%s", value);
		*n = i + 1;
	}
	return ERR_OK;
}

/* The method the action names: the resource URI, "/", a name. */
static enum err method_of(const struct wsman_header *hdr, char out[CIM_MAX_NAME + 1])
{
	size_t n = hdr->resource_uri ? strlen(hdr->resource_uri) : 0;
	const char *name;

	if (!n || !hdr->action || strncasecmp(hdr->action, hdr->resource_uri, n) != 0 ||
	    hdr->action[n] != '/')
		return ERR_WSMAN_ACTION_NOT_SUPPORTED;
	name = hdr->action + n + 1;
	if (!cim_is_name(name) || strlen(name) > CIM_MAX_NAME)
		return ERR_WSMAN_ACTION_NOT_SUPPORTED;
	memcpy(out, name, strlen(name) + 1);
	return ERR_OK;
}

/* One input parameter or property: a name (no path: embedded objects
 * are not taken), each once, text within CIM_MAX_VALUE or nil, at most
 * max of them. */
static enum err add_parameter(struct cim_invoke_request *out, const struct wsman_property *p,
			      uint32_t max)
{
	struct cim_property *to;

	if (out->nparameters >= max || !cim_is_name(p->name) || strlen(p->name) > CIM_MAX_NAME ||
	    (p->value && strlen(p->value) > CIM_MAX_VALUE))
		return ERR_WSMAN_WMI_INVALID_PARAMETER;
	for (uint32_t i = 0; i < out->nparameters; i++)
		if (strcasecmp(out->parameters[i].name, p->name) == 0)
			return ERR_WSMAN_WMI_INVALID_PARAMETER; /* an array: none is taken */
	to = &out->parameters[out->nparameters++];
	snprintf(to->name, sizeof(to->name), "%s", p->name);
	to->type = p->value ? CIM_STRING : CIM_NULL;
	snprintf(to->value, sizeof(to->value), "%s", p->value ? p->value : "");
	return ERR_OK;
}

/* The call's class and keys. */
static enum err call_of(const struct wsman_request *ws, const struct cim_target *t,
			enum cim_call_kind kind, struct cim_invoke_request *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	snprintf(out->namespace_name, sizeof(out->namespace_name), "%s", t->namespace_name);
	snprintf(out->class_name, sizeof(out->class_name), "%s", t->class_name);
	out->dmtf = t->dmtf != 0;
	return cim_selectors_parse(ws, out->selectors, &out->nselectors);
}

/* The children of the body's root element as parameters, at most max. */
static enum err parameters_of(const struct wsman_request *ws, const char *root, uint32_t max,
			      struct cim_invoke_request *out)
{
	struct wsman_properties props;
	enum err e;

	if ((e = wsman_properties_parse(ws, root, &props)) != ERR_OK)
		return e;
	for (uint32_t i = 0; i < props.n && e == ERR_OK; i++)
		e = add_parameter(out, &props.p[i], max);
	wsman_properties_clear(&props);
	return e;
}

enum err cim_invoke_parse(const struct wsman_request *ws, const struct cim_target *t,
			  struct cim_invoke_request *out)
{
	char root[CIM_MAX_NAME + sizeof("_INPUT")];
	enum err e;

	if ((e = call_of(ws, t, CIM_CALL_METHOD, out)) != ERR_OK ||
	    (e = method_of(&ws->hdr, out->method)) != ERR_OK)
		return e;
	/* No body: a method called without its input element, which a
	 * method without parameters does not need. */
	if (!ws->body)
		return ERR_OK;
	snprintf(root, sizeof(root), "%s_INPUT", out->method);
	return parameters_of(ws, root, CIM_MAX_PARAMETERS, out);
}

enum err cim_put_parse(const struct wsman_request *ws, const struct cim_target *t,
		       struct cim_invoke_request *out)
{
	enum err e;

	if ((e = call_of(ws, t, CIM_CALL_PUT, out)) != ERR_OK)
		return e;
	/* DSP0226 7.5: "The message body ... shall contain the new
	 * representation"; WMI takes no Put without the instance. */
	if (!ws->body)
		return ERR_WSMAN_SCHEMA;
	return parameters_of(ws, t->class_name, CIM_MAX_PROPERTIES, out);
}
