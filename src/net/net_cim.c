/* net_cim: network process. Management data (cim/cim.h): a Get or an
 * Enumerate of a WMI or DMTF class URI is parsed here and sent to the
 * user's own host as SHELL_CIM_INSTANCES (started if need be, as for a
 * shell; it lingers when idle as any host does), where the class's
 * provider makes the instances as the user; their typed answer becomes
 * Windows' GetResponse (the host picks the instance the keys name), or
 * an enumeration, gathered a page (one IPC message) at a time, that
 * net_enum.c serves to the Pulls that follow. The namespace's access
 * check is the host's (cim_namespace_allows), on the groups the user's
 * process really has, with the namespace's security from the
 * configuration in force and whether the request came encrypted, which
 * travel with the request. */
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

static void answered(struct request *r, struct user_host *h, struct ipc_msg *m, enum err e);

/* The request as it stands (a page after the first names where the
 * host's answer goes on) to the user's own host. */
static enum err call_host(struct request *r, int start_host)
{
	struct net *n = r->conn->net;
	uint64_t timeout_ms =
	    r->ws.hdr.operation_timeout_ms ? r->ws.hdr.operation_timeout_ms : n->cfg.max_timeout_ms;
	struct buf b;
	enum err e;

	buf_init(&b, IPC_MAX_MSG);
	if ((e = shell_op_request_encode(&b, r->op, r->op_req)) == ERR_OK)
		e = net_host_call(r, start_host, "", &b, timeout_ms + NET_HOST_DEADLINE_MARGIN_MS,
				  answered);
	else
		e = ERR_WSMAN_INTERNAL;
	buf_clear(&b);
	return e;
}

/* GetResponse: the one instance the host chose. */
static void reply_get(struct request *r, const struct cim_target *t, const struct cim_reply *got)
{
	struct buf xml, body;
	enum err e = got->ninstances == 1 ? ERR_OK : ERR_WSMAN_INTERNAL;

	buf_init(&xml, MAX_INSTANCE_XML);
	buf_init(&body, MAX_REPLY);
	if (e == ERR_OK &&
	    (e = cim_instance_xml(&xml, t, got->class_name, &got->instances[0])) == ERR_OK)
		e = wsman_reply_resource(&body, &r->ws, NS_TRANSFER "/GetResponse",
					 (const char *)buf_ptr(&xml), buf_len(&xml));
	net_reply_sized(r, e, &body);
	buf_clear(&xml);
	buf_clear(&body);
}

/* The enumeration this request gathers its pages in: made with the
 * first page, found again by its context for the next ones. */
static struct net_enumeration *gathering(struct request *r, const struct cim_reply *got)
{
	struct cim_request *req = r->op_req;
	struct net_enumeration *en;

	if (got->first == 0) {
		if ((en = net_enum_start(r->conn->net, r->id.uid)))
			snprintf(req->enumeration, sizeof(req->enumeration), "%s", en->context);
		return en;
	}
	return net_enum_find(r->conn->net, req->enumeration, r->id.uid);
}

/* A page of an Enumerate: its instances rendered into the enumeration;
 * the next page asked for, or, with the last, the EnumerateResponse
 * (net_enum.c serves it and the Pulls that follow). */
static void reply_enumerate(struct request *r, const struct cim_target *t,
			    const struct cim_reply *got)
{
	struct cim_request *req = r->op_req;
	struct net_enumeration *en = gathering(r, got);
	const char *why = NULL;
	struct buf xml;
	enum err e = en ? ERR_OK : ERR_WSMAN_INTERNAL;

	buf_init(&xml, MAX_INSTANCE_XML);
	for (uint32_t i = 0; i < got->ninstances && e == ERR_OK; i++) {
		int kept = 0;
		buf_reset(&xml);
		if ((e = cim_item_xml(&xml, t, got->class_name, &req->filter, &got->instances[i],
				      &kept, &why)) == ERR_OK &&
		    kept)
			e = net_enum_add(en, &xml);
	}
	buf_clear(&xml);
	if (why)
		log_info("enumeration of %s refused for %s: %s", got->class_name, r->id.user, why);
	if (e == ERR_OK && got->snapshot) {
		req->snapshot = got->snapshot;
		req->first = got->first + got->ninstances;
		e = call_host(r, 0);
	} else if (e == ERR_OK) {
		net_enum_serve(r, en, 1, req->optimize, req->max_elements);
	}
	if (e != ERR_OK) {
		if (en)
			net_enum_free(en);
		net_reply_fault(r, e);
	}
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
	const struct wsman_header *hdr = &r->ws.hdr;
	struct net *n = r->conn->net;
	struct cim_request *req = calloc(1, sizeof(*req));
	const struct config_namespace *ns;
	enum err e = ERR_OK;

	if (!req) {
		net_reply_fault(r, ERR_WSMAN_INTERNAL);
		return;
	}
	r->op = shell_op_at(SHELL_CIM_INSTANCES);
	r->op_req = req;
	snprintf(req->namespace_name, sizeof(req->namespace_name), "%s", t->namespace_name);
	snprintf(req->class_name, sizeof(req->class_name), "%s", t->class_name);
	req->dmtf = t->dmtf != 0;
	req->enumerate = enumerate != 0;
	/* A key no property could have is no key of this class. */
	for (uint32_t i = 0; i < hdr->nselectors && e == ERR_OK; i++) {
		const char *name = hdr->selectors[i].name;
		const char *value = hdr->selectors[i].value ? hdr->selectors[i].value : "";
		if (i >= CIM_MAX_SELECTORS || !cim_is_name(name) || strlen(name) > CIM_MAX_NAME ||
		    strlen(value) > CIM_MAX_VALUE) {
			e = ERR_WSMAN_INVALID_SELECTORS;
			break;
		}
		snprintf(req->selectors[i].name, CIM_MAX_NAME + 1, "%s", name);
		snprintf(req->selectors[i].value, CIM_MAX_VALUE + 1, "%s", value);
		req->nselectors = i + 1;
	}
	req->is_admin = r->id.is_admin != 0;
	snprintf(req->remote_users_group, sizeof(req->remote_users_group), "%s",
		 n->cfg.service.remote_users_group ? n->cfg.service.remote_users_group : "");
	snprintf(req->client_ip, sizeof(req->client_ip), "%s", r->conn->peer);
	if ((ns = config_namespace_find(&n->cfg, t->namespace_name))) {
		snprintf(req->sddl, sizeof(req->sddl), "%s", ns->sddl);
		req->requires_encryption = ns->requires_encryption != 0;
	}
	req->encrypted = r->conn->https || r->seal_reply;
	if (options) {
		req->optimize = options->optimize != 0;
		req->max_elements = options->max_elements;
	}
	if (filter)
		req->filter = *filter;
	if (e == ERR_OK)
		e = call_host(r, 1);
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
