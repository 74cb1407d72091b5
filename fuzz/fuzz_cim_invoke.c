/* Fuzzes what the network process reads of a WMI method call or a Put
 * of an instance: an envelope through wsman_parse, then the class URI
 * (cim_uri_parse) and, as net_cim chooses by the action, a Put's keys
 * and properties (cim_put_parse) or the method, keys and input
 * parameters (cim_invoke_parse). What it admits is a method name (none
 * for a Put), keys and parameters that are names, within their bounds,
 * each parameter once, and it travels to the host: the request encodes,
 * and decodes back to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cim/cim.h"
#include "ipc/ipc.h"
#include "wsman/wsman.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct cim_invoke_request *r)
{
	struct cim_invoke_request *back = calloc(1, sizeof(*back));
	struct buf b;

	uint32_t max = r->kind == CIM_CALL_PUT ? CIM_MAX_PROPERTIES : CIM_MAX_PARAMETERS;

	if (!back || (r->kind == CIM_CALL_PUT ? *r->method != 0 : !cim_is_name(r->method)) ||
	    r->nparameters > max || r->nselectors > CIM_MAX_SELECTORS)
		abort();
	for (uint32_t i = 0; i < r->nparameters; i++) {
		if (!cim_is_name(r->parameters[i].name) ||
		    (r->parameters[i].type != CIM_STRING && r->parameters[i].type != CIM_NULL))
			abort();
		for (uint32_t k = 0; k < i; k++)
			if (strcasecmp(r->parameters[i].name, r->parameters[k].name) == 0)
				abort();
	}
	buf_init(&b, IPC_MAX_MSG);
	if (cim_ipc_invoke_encode(&b, r) != ERR_OK || cim_ipc_invoke_decode(&b, back) != ERR_OK ||
	    memcmp(r, back, sizeof(*r)) != 0)
		abort();
	buf_clear(&b);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wsman_request ws;
	struct cim_target t;
	struct cim_invoke_request *r;

	memset(&ws, 0, sizeof(ws));
	if (wsman_parse(data, size, &ws) != ERR_OK) {
		wsman_request_clear(&ws);
		return 0;
	}
	if (ws.hdr.resource_uri && cim_uri_parse(ws.hdr.resource_uri, &t) == ERR_OK &&
	    (r = calloc(1, sizeof(*r)))) {
		int put = ws.hdr.action && strcmp(ws.hdr.action, ACTION_PUT) == 0;
		if ((put ? cim_put_parse(&ws, &t, r) : cim_invoke_parse(&ws, &t, r)) == ERR_OK)
			check(r);
		free(r);
	}
	wsman_request_clear(&ws);
	return 0;
}
