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

enum err cim_ipc_request_encode(struct buf *out, const void *request)
{
	const struct cim_request *r = request;

	if (r->dmtf > 1 || r->enumerate > 1 || r->is_admin > 1 ||
	    r->nselectors > CIM_MAX_SELECTORS || r->requires_encryption > 1 || r->encrypted > 1)
		return ERR_USAGE;
	IPC_TRY(buf_put_field(out, r->namespace_name, sizeof(r->namespace_name)));
	IPC_TRY(buf_put_field(out, r->class_name, sizeof(r->class_name)));
	IPC_TRY(buf_put_u32(out, r->dmtf));
	IPC_TRY(buf_put_u32(out, r->enumerate));
	IPC_TRY(buf_put_u32(out, r->nselectors));
	for (uint32_t i = 0; i < r->nselectors; i++) {
		IPC_TRY(buf_put_field(out, r->selectors[i].name, sizeof(r->selectors[i].name)));
		IPC_TRY(buf_put_field(out, r->selectors[i].value, sizeof(r->selectors[i].value)));
	}
	IPC_TRY(buf_put_u32(out, r->snapshot));
	IPC_TRY(buf_put_u32(out, r->first));
	IPC_TRY(buf_put_u32(out, r->is_admin));
	IPC_TRY(buf_put_field(out, r->remote_users_group, sizeof(r->remote_users_group)));
	IPC_TRY(buf_put_field(out, r->client_ip, sizeof(r->client_ip)));
	IPC_TRY(buf_put_field(out, r->sddl, sizeof(r->sddl)));
	IPC_TRY(buf_put_u32(out, r->requires_encryption));
	return buf_put_u32(out, r->encrypted);
}

enum err cim_ipc_request_decode(struct buf *in, void *request)
{
	struct cim_request *r = request;

	IPC_TRY(buf_get_field(in, r->namespace_name, sizeof(r->namespace_name)));
	IPC_TRY(buf_get_field(in, r->class_name, sizeof(r->class_name)));
	IPC_TRY(get_flag(in, &r->dmtf));
	IPC_TRY(get_flag(in, &r->enumerate));
	IPC_TRY(buf_get_u32(in, &r->nselectors));
	if (r->nselectors > CIM_MAX_SELECTORS)
		return ERR_FORMAT;
	for (uint32_t i = 0; i < r->nselectors; i++) {
		IPC_TRY(get_name(in, r->selectors[i].name));
		IPC_TRY(buf_get_field(in, r->selectors[i].value, sizeof(r->selectors[i].value)));
	}
	IPC_TRY(buf_get_u32(in, &r->snapshot));
	IPC_TRY(buf_get_u32(in, &r->first));
	IPC_TRY(get_flag(in, &r->is_admin));
	IPC_TRY(buf_get_field(in, r->remote_users_group, sizeof(r->remote_users_group)));
	IPC_TRY(buf_get_field(in, r->client_ip, sizeof(r->client_ip)));
	IPC_TRY(buf_get_field(in, r->sddl, sizeof(r->sddl)));
	IPC_TRY(get_flag(in, &r->requires_encryption));
	IPC_TRY(get_flag(in, &r->encrypted));
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

	if (!page_fits(r))
		return ERR_USAGE;
	IPC_TRY(buf_put_field(out, r->class_name, sizeof(r->class_name)));
	IPC_TRY(buf_put_u32(out, r->snapshot));
	IPC_TRY(buf_put_u32(out, r->total));
	IPC_TRY(buf_put_u32(out, r->first));
	IPC_TRY(buf_put_u32(out, r->ninstances));
	for (uint32_t i = 0; i < r->ninstances; i++) {
		const struct cim_instance *inst = &r->instances[i];
		if (inst->nproperties > CIM_MAX_PROPERTIES)
			return ERR_USAGE;
		IPC_TRY(buf_put_u32(out, inst->nproperties));
		for (uint32_t j = 0; j < inst->nproperties; j++) {
			const struct cim_property *p = &inst->properties[j];
			if (p->type >= CIM_TYPE_COUNT)
				return ERR_USAGE;
			IPC_TRY(buf_put_field(out, p->name, sizeof(p->name)));
			IPC_TRY(buf_put_u32(out, p->type));
			IPC_TRY(buf_put_field(out, p->value, sizeof(p->value)));
		}
	}
	return ERR_OK;
}

enum err cim_ipc_reply_decode(struct buf *in, void *reply)
{
	struct cim_reply *r = reply;

	IPC_TRY(get_name(in, r->class_name));
	IPC_TRY(buf_get_u32(in, &r->snapshot));
	IPC_TRY(buf_get_u32(in, &r->total));
	IPC_TRY(buf_get_u32(in, &r->first));
	IPC_TRY(buf_get_u32(in, &r->ninstances));
	if (!page_fits(r))
		return ERR_FORMAT;
	for (uint32_t i = 0; i < r->ninstances; i++) {
		struct cim_instance *inst = &r->instances[i];
		IPC_TRY(buf_get_u32(in, &inst->nproperties));
		if (inst->nproperties > CIM_MAX_PROPERTIES)
			return ERR_FORMAT;
		for (uint32_t j = 0; j < inst->nproperties; j++) {
			struct cim_property *p = &inst->properties[j];
			IPC_TRY(get_name(in, p->name));
			IPC_TRY(buf_get_u32(in, &p->type));
			if (p->type >= CIM_TYPE_COUNT)
				return ERR_FORMAT;
			IPC_TRY(buf_get_field(in, p->value, sizeof(p->value)));
		}
	}
	return ipc_body_end(in);
}
