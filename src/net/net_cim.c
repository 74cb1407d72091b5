/* net_cim: network process. Management data (cim/cim.h): a Get or an
 * Enumerate of a WMI or DMTF class URI is parsed here and sent to the
 * user's own host as SHELL_CIM_INSTANCES (started if need be, as for a
 * shell; it lingers when idle as any host does), where the class's
 * provider makes the instances as the user; their typed answer becomes
 * Windows' GetResponse, or an enumeration that net_enum.c serves to the
 * Pulls that follow. The namespace's access check is the host's
 * (cim_instances), on the groups the user's process really has. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "net/net_int.h"

/* One instance's XML: CIM_MAX_PROPERTIES escaped values and markup. */
#define MAX_INSTANCE_XML (64 * 1024)
#define MAX_REPLY (1024 * 1024)

/* What the request addressed, as the reply's namespaces spell it. */
static void target_of(const struct cim_request *req, struct cim_target *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->namespace_name, sizeof(t->namespace_name), "%s", req->namespace_name);
	snprintf(t->class_name, sizeof(t->class_name), "%s", req->class_name);
	t->dmtf = req->dmtf != 0;
}

/* GetResponse: the instance the selectors name (none: the singleton). */
static void reply_get(struct request *r, const struct cim_target *t, const struct cim_reply *got)
{
	const struct wsman_header *hdr = &r->ws.hdr;
	const char *names[WSMAN_MAX_SELECTORS], *values[WSMAN_MAX_SELECTORS];
	struct buf xml, body;
	uint32_t index = 0;
	enum err e;

	for (uint32_t i = 0; i < hdr->nselectors; i++) {
		names[i] = hdr->selectors[i].name;
		values[i] = hdr->selectors[i].value ? hdr->selectors[i].value : "";
	}
	buf_init(&xml, MAX_INSTANCE_XML);
	buf_init(&body, MAX_REPLY);
	if ((e = cim_select(got, names, values, hdr->nselectors, &index)) == ERR_OK &&
	    (e = cim_instance_xml(&xml, t, got->class_name, &got->instances[index])) == ERR_OK)
		e = wsman_reply_resource(&body, &r->ws, NS_TRANSFER "/GetResponse",
					 (const char *)buf_ptr(&xml), buf_len(&xml));
	net_reply_sized(r, e, &body);
	buf_clear(&xml);
	buf_clear(&body);
}

/* EnumerateResponse: every instance, rendered now, served by net_enum.c. */
static void reply_enumerate(struct request *r, const struct cim_target *t,
			    const struct cim_reply *got)
{
	const struct cim_request *req = r->op_req;
	struct net_enumeration *en = net_enum_start(r->conn->net, r->id.uid);
	const char *why = NULL;
	struct buf xml;
	enum err e = en ? ERR_OK : ERR_WSMAN_INTERNAL;

	buf_init(&xml, MAX_INSTANCE_XML);
	for (uint32_t i = 0; i < got->ninstances && i < NET_MAX_ENUM_ITEMS && e == ERR_OK; i++) {
		int kept = 0;
		buf_reset(&xml);
		if ((e = cim_item_xml(&xml, t, got->class_name, &req->filter, &got->instances[i],
				      &kept, &why)) == ERR_OK &&
		    kept && (e = buf_terminate(&xml)) == ERR_OK &&
		    !(en->items[en->n++] = strdup((const char *)buf_ptr(&xml))))
			e = ERR_WSMAN_INTERNAL;
	}
	buf_clear(&xml);
	if (why)
		log_info("enumeration of %s refused for %s: %s", got->class_name, r->id.user, why);
	if (e != ERR_OK) {
		if (en)
			net_enum_free(en);
		net_reply_fault(r, e);
		return;
	}
	net_enum_serve(r, en, 1, req->optimize, req->max_elements);
}

static void answered(struct request *r, struct user_host *h, struct ipc_msg *m, enum err e)
{
	const struct cim_request *req = r->op_req;
	struct cim_reply *got;
	struct cim_target t;
	enum err status = ERR_OK;

	if (!m) {
		net_reply_fault(r, net_call_failure(e));
		return;
	}
	if (!(got = calloc(1, sizeof(*got))) ||
	    shell_op_reply_decode(&m->body, r->op, &status, got) != ERR_OK) {
		log_warnx("malformed management data from the host of %s", h->user);
		free(got);
		net_reply_fault(r, ERR_WSMAN_INTERNAL);
		return;
	}
	target_of(req, &t);
	/* A query of a class WMI does not have is a bad filter (Windows
	 * Server 2008 R2's recorded reply). */
	if (status == ERR_WSMAN_WMI_NOT_FOUND && req->filter.kind == CIM_FILTER_WQL)
		status = ERR_WSMAN_CANNOT_PROCESS_FILTER;
	if (status != ERR_OK)
		net_reply_fault(r, status);
	else if (req->enumerate)
		reply_enumerate(r, &t, got);
	else
		reply_get(r, &t, got);
	free(got);
}

/* A Get or an Enumerate of t: to the user's own host. */
static void ask_host(struct request *r, const struct cim_target *t, int enumerate,
		     const struct wsman_enumerate_req *options, const struct cim_filter *filter)
{
	struct net *n = r->conn->net;
	uint64_t timeout_ms =
	    r->ws.hdr.operation_timeout_ms ? r->ws.hdr.operation_timeout_ms : n->cfg.max_timeout_ms;
	struct cim_request *req = calloc(1, sizeof(*req));
	struct buf b;
	enum err e;

	if (!req) {
		net_reply_fault(r, ERR_WSMAN_INTERNAL);
		return;
	}
	r->op = shell_op_at(SHELL_CIM_INSTANCES);
	r->op_req = req;
	snprintf(req->namespace_name, sizeof(req->namespace_name), "%s", t->namespace_name);
	snprintf(req->class_name, sizeof(req->class_name), "%s", t->class_name);
	req->dmtf = t->dmtf != 0;
	req->is_admin = r->id.is_admin != 0;
	snprintf(req->remote_users_group, sizeof(req->remote_users_group), "%s",
		 n->cfg.service.remote_users_group ? n->cfg.service.remote_users_group : "");
	snprintf(req->client_ip, sizeof(req->client_ip), "%s", r->conn->peer);
	req->enumerate = enumerate != 0;
	if (options) {
		req->optimize = options->optimize != 0;
		req->max_elements = options->max_elements;
	}
	if (filter)
		req->filter = *filter;
	buf_init(&b, IPC_MAX_MSG);
	if ((e = shell_op_request_encode(&b, r->op, req)) == ERR_OK)
		e = net_host_call(r, 1, "", &b, timeout_ms + NET_HOST_DEADLINE_MARGIN_MS, answered);
	else
		e = ERR_WSMAN_INTERNAL;
	buf_clear(&b);
	if (e != ERR_OK)
		net_reply_fault(r, e);
}

/* The Enumerate's filter, compiled before the host is asked (MS-WSMV
 * 3.1.4.1.13): WQL names the class (the URI's, "*" or not, is not looked
 * at: unverified), a selector filter works on the URI's class; a "*" URI
 * takes nothing else. */
static enum err filter_of(const struct wsman_enumerate_req *o, struct cim_target *t,
			  struct cim_filter *f, const char **why)
{
	const char *names[WSMAN_MAX_FILTER_SELECTORS], *values[WSMAN_MAX_FILTER_SELECTORS];
	enum err e;

	memset(f, 0, sizeof(*f));
	if (!o->filtered)
		return t->wildcard ? ERR_WSMAN_UNKNOWN_RESOURCE : ERR_OK;
	if (o->selector) {
		/* "Selector Filter Dialect can only be used for class-specific
		 * resource URIs". */
		if (t->wildcard) {
			*why = "a selector filter on a * resource URI";
			return ERR_WSMAN_CANNOT_PROCESS_FILTER;
		}
		for (uint32_t i = 0; i < o->nfilter; i++) {
			names[i] = o->filter[i].name;
			values[i] = o->filter[i].value;
		}
		return cim_selector_filter(names, values, o->nfilter, f, why);
	}
	if (strcasecmp(o->dialect, CIM_DIALECT_WQL) != 0)
		return t->wildcard ? ERR_WSMAN_UNKNOWN_RESOURCE : ERR_WSMAN_FILTER_DIALECT;
	if ((e = cim_wql_parse(o->text, f, why)) != ERR_OK)
		return e;
	snprintf(t->class_name, sizeof(t->class_name), "%s", cim_filter_class(f));
	t->wildcard = 0;
	return ERR_OK;
}

void net_cim_dispatch(struct request *r)
{
	const struct wsman_header *hdr = &r->ws.hdr;
	struct wsman_enumerate_req options;
	struct cim_filter filter;
	const char *why = NULL;
	struct cim_target t;
	enum err e;

	if ((e = net_identity_check(r, "management data")) != ERR_OK ||
	    (e = cim_uri_parse(hdr->resource_uri, &t)) != ERR_OK) {
		net_reply_fault(r, e);
		return;
	}
	if (strcmp(hdr->action, ACTION_GET) == 0) {
		if (t.wildcard)
			net_reply_fault(r, ERR_WSMAN_UNKNOWN_RESOURCE);
		else
			ask_host(r, &t, 0, NULL, NULL);
	} else if (strcmp(hdr->action, ACTION_ENUMERATE) == 0) {
		if (hdr->nselectors)
			e = ERR_WSMAN_INVALID_SELECTORS;
		else if ((e = wsman_enumerate_parse(&r->ws, &options)) == ERR_OK)
			e = filter_of(&options, &t, &filter, &why);
		if (why)
			log_info("enumeration filter refused for %s: %s", r->id.user, why);
		if (e != ERR_OK)
			net_reply_fault(r, e);
		else
			ask_host(r, &t, 1, &options, &filter);
	} else if (strcmp(hdr->action, ACTION_PULL) == 0) {
		net_enum_pull(r, 0);
	} else if (strcmp(hdr->action, ACTION_RELEASE) == 0) {
		net_enum_pull(r, 1);
	} else {
		net_reply_fault(r, ERR_WSMAN_ACTION_NOT_SUPPORTED);
	}
}
