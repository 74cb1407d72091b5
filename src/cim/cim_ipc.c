/* cim_ipc: the typed instances on the net <-> host channel (codec, no
 * I/O), in shell_ipc's layout: fields in declaration order, strings as
 * u32 length + bytes, arrays as u32 count then the elements. The
 * network-process-only fields of a request do not travel. Both sides
 * hold the CIM_MAX_* limits, so an encoder refuses what the other end's
 * decoder would reject. */
#include "cim/cim.h"

#include "ipc/ipc.h"

/* Names become element names in the network process's XML: only what
 * cim_is_name admits. */
static enum err get_name(struct buf *in, char out[CIM_MAX_NAME + 1])
{
	IPC_TRY(buf_get_field(in, out, CIM_MAX_NAME + 1));
	return cim_is_name(out) ? ERR_OK : ERR_FORMAT;
}

static enum err get_flag(struct buf *in, uint32_t *out)
{
	IPC_TRY(buf_get_u32(in, out));
	return *out <= 1 ? ERR_OK : ERR_FORMAT;
}

/* A Get's or a method's keys: a count, then name and value each. */
static enum err put_selectors(struct buf *out, const struct cim_selector *v, uint32_t n)
{
	if (n > CIM_MAX_SELECTORS)
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, n));
	for (uint32_t i = 0; i < n; i++) {
		IPC_TRY(buf_put_field(out, v[i].name, sizeof(v[i].name)));
		IPC_TRY(buf_put_field(out, v[i].value, sizeof(v[i].value)));
	}
	return ERR_OK;
}

static enum err get_selectors(struct buf *in, struct cim_selector *v, uint32_t *n)
{
	IPC_TRY(buf_get_u32(in, n));
	if (*n > CIM_MAX_SELECTORS)
		return ERR_FORMAT;
	for (uint32_t i = 0; i < *n; i++) {
		IPC_TRY(get_name(in, v[i].name));
		IPC_TRY(buf_get_field(in, v[i].value, sizeof(v[i].value)));
	}
	return ERR_OK;
}

/* An instance's properties or a method's parameters: a count (at most
 * max), then name, type and text each. */
static enum err put_properties(struct buf *out, const struct cim_property *v, uint32_t n,
			       uint32_t max)
{
	if (n > max)
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, n));
	for (uint32_t i = 0; i < n; i++) {
		if (v[i].type >= CIM_TYPE_COUNT)
			return ERR_USAGE;
		IPC_TRY(buf_put_field(out, v[i].name, sizeof(v[i].name)));
		IPC_TRY(buf_put_u32(out, v[i].type));
		IPC_TRY(buf_put_field(out, v[i].value, sizeof(v[i].value)));
	}
	return ERR_OK;
}

static enum err get_properties(struct buf *in, struct cim_property *v, uint32_t *n, uint32_t max)
{
	IPC_TRY(buf_get_u32(in, n));
	if (*n > max)
		return ERR_FORMAT;
	for (uint32_t i = 0; i < *n; i++) {
		IPC_TRY(get_name(in, v[i].name));
		IPC_TRY(buf_get_u32(in, &v[i].type));
		if (v[i].type >= CIM_TYPE_COUNT)
			return ERR_FORMAT;
		IPC_TRY(buf_get_field(in, v[i].value, sizeof(v[i].value)));
	}
	return ERR_OK;
}

/* What every request forwards for the namespace's check. */
static enum err put_access(struct buf *out, const struct cim_access *a)
{
	if (a->is_admin > 1 || a->requires_encryption > 1 || a->encrypted > 1)
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, a->is_admin));
	IPC_TRY(buf_put_field(out, a->remote_users_group, sizeof(a->remote_users_group)));
	IPC_TRY(buf_put_field(out, a->client_ip, sizeof(a->client_ip)));
	IPC_TRY(buf_put_field(out, a->sddl, sizeof(a->sddl)));
	IPC_TRY(buf_put_u32(out, a->requires_encryption));
	return buf_put_u32(out, a->encrypted);
}

static enum err get_access(struct buf *in, struct cim_access *a)
{
	IPC_TRY(get_flag(in, &a->is_admin));
	IPC_TRY(buf_get_field(in, a->remote_users_group, sizeof(a->remote_users_group)));
	IPC_TRY(buf_get_field(in, a->client_ip, sizeof(a->client_ip)));
	IPC_TRY(buf_get_field(in, a->sddl, sizeof(a->sddl)));
	IPC_TRY(get_flag(in, &a->requires_encryption));
	return get_flag(in, &a->encrypted);
}

enum err cim_ipc_request_encode(struct buf *out, const void *request)
{
	const struct cim_request *r = request;

	if (r->dmtf > 1 || r->enumerate > 1)
		return ERR_USAGE;
	IPC_TRY(buf_put_field(out, r->namespace_name, sizeof(r->namespace_name)));
	IPC_TRY(buf_put_field(out, r->class_name, sizeof(r->class_name)));
	IPC_TRY(buf_put_u32(out, r->dmtf));
	IPC_TRY(buf_put_u32(out, r->enumerate));
	IPC_TRY(put_selectors(out, r->selectors, r->nselectors));
	IPC_TRY(buf_put_u32(out, r->snapshot));
	IPC_TRY(buf_put_u32(out, r->first));
	return put_access(out, &r->access);
}

enum err cim_ipc_request_decode(struct buf *in, void *request)
{
	struct cim_request *r = request;

	IPC_TRY(buf_get_field(in, r->namespace_name, sizeof(r->namespace_name)));
	IPC_TRY(buf_get_field(in, r->class_name, sizeof(r->class_name)));
	IPC_TRY(get_flag(in, &r->dmtf));
	IPC_TRY(get_flag(in, &r->enumerate));
	IPC_TRY(get_selectors(in, r->selectors, &r->nselectors));
	IPC_TRY(buf_get_u32(in, &r->snapshot));
	IPC_TRY(buf_get_u32(in, &r->first));
	IPC_TRY(get_access(in, &r->access));
	return ipc_body_end(in);
}

/* A page lies within its answer, and an answer that goes on has a
 * snapshot to go on from. */
static int page_fits(const struct cim_reply *r)
{
	return r->ninstances <= CIM_PAGE_INSTANCES && r->total <= CIM_MAX_SET_INSTANCES &&
	       r->first <= r->total && r->ninstances <= r->total - r->first &&
	       (r->snapshot != 0) == (r->first + r->ninstances < r->total);
}

enum err cim_ipc_reply_encode(struct buf *out, const void *reply)
{
	const struct cim_reply *r = reply;

	if (!page_fits(r) || r->nkeys > CIM_MAX_KEYS)
		return ERR_USAGE;
	IPC_TRY(buf_put_field(out, r->class_name, sizeof(r->class_name)));
	IPC_TRY(buf_put_u32(out, r->nkeys));
	for (uint32_t i = 0; i < r->nkeys; i++)
		IPC_TRY(buf_put_field(out, r->keys[i], sizeof(r->keys[i])));
	IPC_TRY(buf_put_u32(out, r->snapshot));
	IPC_TRY(buf_put_u32(out, r->total));
	IPC_TRY(buf_put_u32(out, r->first));
	IPC_TRY(buf_put_u32(out, r->ninstances));
	for (uint32_t i = 0; i < r->ninstances; i++) {
		const struct cim_instance *inst = &r->instances[i];
		IPC_TRY(
		    put_properties(out, inst->properties, inst->nproperties, CIM_MAX_PROPERTIES));
	}
	return ERR_OK;
}

enum err cim_ipc_reply_decode(struct buf *in, void *reply)
{
	struct cim_reply *r = reply;

	IPC_TRY(get_name(in, r->class_name));
	IPC_TRY(buf_get_u32(in, &r->nkeys));
	if (r->nkeys > CIM_MAX_KEYS)
		return ERR_FORMAT;
	for (uint32_t i = 0; i < r->nkeys; i++)
		IPC_TRY(get_name(in, r->keys[i]));
	IPC_TRY(buf_get_u32(in, &r->snapshot));
	IPC_TRY(buf_get_u32(in, &r->total));
	IPC_TRY(buf_get_u32(in, &r->first));
	IPC_TRY(buf_get_u32(in, &r->ninstances));
	if (!page_fits(r))
		return ERR_FORMAT;
	for (uint32_t i = 0; i < r->ninstances; i++) {
		struct cim_instance *inst = &r->instances[i];
		IPC_TRY(
		    get_properties(in, inst->properties, &inst->nproperties, CIM_MAX_PROPERTIES));
	}
	return ipc_body_end(in);
}

/* A call's parameters: a method's input, or a Put's properties. */
static uint32_t max_parameters(uint32_t kind)
{
	return kind == CIM_CALL_PUT ? CIM_MAX_PROPERTIES : CIM_MAX_PARAMETERS;
}

/* The kind of call, first. */
static enum err put_kind(struct buf *out, uint32_t kind)
{
	return kind > CIM_CALL_PUT ? ERR_USAGE : buf_put_u32(out, kind);
}

/* The method a call names: a name for a method, "" for a Put. */
static enum err put_method(struct buf *out, uint32_t kind, const char *method, size_t size)
{
	if ((kind == CIM_CALL_PUT) != (*method == 0))
		return ERR_USAGE;
	return buf_put_field(out, method, size);
}

static enum err get_method(struct buf *in, uint32_t kind, char out[CIM_MAX_NAME + 1])
{
	if (kind == CIM_CALL_METHOD)
		return get_name(in, out);
	IPC_TRY(buf_get_field(in, out, CIM_MAX_NAME + 1));
	return *out ? ERR_FORMAT : ERR_OK;
}

/* SHELL_CIM_INVOKE: the kind of call, the class, the method, its keys
 * and parameters, and what the namespace's check takes, as a Get's. */
enum err cim_ipc_invoke_encode(struct buf *out, const void *request)
{
	const struct cim_invoke_request *r = request;

	if (r->dmtf > 1 || r->timeout_ms > CIM_METHOD_TIMEOUT_MS)
		return ERR_USAGE;
	IPC_TRY(put_kind(out, r->kind));
	IPC_TRY(buf_put_field(out, r->namespace_name, sizeof(r->namespace_name)));
	IPC_TRY(buf_put_field(out, r->class_name, sizeof(r->class_name)));
	IPC_TRY(buf_put_u32(out, r->dmtf));
	IPC_TRY(put_method(out, r->kind, r->method, sizeof(r->method)));
	IPC_TRY(put_selectors(out, r->selectors, r->nselectors));
	IPC_TRY(put_properties(out, r->parameters, r->nparameters, max_parameters(r->kind)));
	IPC_TRY(buf_put_u32(out, r->timeout_ms));
	return put_access(out, &r->access);
}

enum err cim_ipc_invoke_decode(struct buf *in, void *request)
{
	struct cim_invoke_request *r = request;

	IPC_TRY(get_flag(in, &r->kind));
	IPC_TRY(buf_get_field(in, r->namespace_name, sizeof(r->namespace_name)));
	IPC_TRY(buf_get_field(in, r->class_name, sizeof(r->class_name)));
	IPC_TRY(get_flag(in, &r->dmtf));
	IPC_TRY(get_method(in, r->kind, r->method));
	IPC_TRY(get_selectors(in, r->selectors, &r->nselectors));
	IPC_TRY(get_properties(in, r->parameters, &r->nparameters, max_parameters(r->kind)));
	IPC_TRY(buf_get_u32(in, &r->timeout_ms));
	if (r->timeout_ms > CIM_METHOD_TIMEOUT_MS)
		return ERR_FORMAT;
	IPC_TRY(get_access(in, &r->access));
	return ipc_body_end(in);
}

/* The call's answer: names that become element names (<Method>_OUTPUT
 * or <Class>, and the properties') only as cim_is_name admits them. */
enum err cim_ipc_invoke_reply_encode(struct buf *out, const void *reply)
{
	const struct cim_invoke_reply *r = reply;

	IPC_TRY(put_kind(out, r->kind));
	IPC_TRY(buf_put_field(out, r->class_name, sizeof(r->class_name)));
	IPC_TRY(put_method(out, r->kind, r->method, sizeof(r->method)));
	return put_properties(out, r->output.properties, r->output.nproperties,
			      max_parameters(r->kind));
}

enum err cim_ipc_invoke_reply_decode(struct buf *in, void *reply)
{
	struct cim_invoke_reply *r = reply;

	IPC_TRY(get_flag(in, &r->kind));
	IPC_TRY(get_name(in, r->class_name));
	IPC_TRY(get_method(in, r->kind, r->method));
	IPC_TRY(get_properties(in, r->output.properties, &r->output.nproperties,
			       max_parameters(r->kind)));
	return ipc_body_end(in);
}
