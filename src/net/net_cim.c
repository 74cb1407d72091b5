/* net_cim: network process. Management data (cim/cim.h): a Get or an
 * Enumerate of a WMI or DMTF class URI is parsed here and sent to the
 * user's own host as SHELL_CIM_INSTANCES (started if need be, as for a
 * shell; it lingers when idle as any host does), where the class's
 * provider makes the instances as the user; their typed answer becomes
 * Windows' GetResponse (the host picks the instance the keys name), or
 * an enumeration, gathered a page (one IPC message) at a time, that
 * net_enum.c serves to the Pulls that follow. An Invoke (any other
 * action: the class URI + "/" + a method) has its input read here
 * (cim_invoke_parse) and the method run in the same host, as the user
 * (SHELL_CIM_INVOKE), or, for an administrator, by the privileged part
 * as root (IPC_CIM_INVOKE); a Put of an instance (cim_put_parse) goes
 * the same way, as a call of its own kind (CIM_CALL_PUT). The
 * namespace's access check is the host's (cim_namespace_allows), on the
 * groups the user's process really has, with the namespace's security
 * from the configuration in force and whether the request came
 * encrypted, which travel with the request (access_of). */
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

/* What the request may take: its OperationTimeout, else MaxTimeoutms. */
static uint64_t timeout_of(const struct request *r)
{
	return r->ws.hdr.operation_timeout_ms ? r->ws.hdr.operation_timeout_ms
					      : r->conn->net->cfg.max_timeout_ms;
}

/* The request as it stands (a page after the first names where the
 * host's answer goes on) to the user's own host; done takes the answer. */
static enum err call_host(struct request *r, int start_host, net_host_done_fn *done)
{
	struct buf b;
	enum err e;

	buf_init(&b, IPC_MAX_MSG);
	if ((e = shell_op_request_encode(&b, r->op, r->op_req)) == ERR_OK)
		e = net_host_call(r, start_host, "", &b,
				  timeout_of(r) + NET_HOST_DEADLINE_MARGIN_MS, done);
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
		if ((e = cim_item_xml(&xml, t, got, req->mode, &req->filter, &got->instances[i],
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
		e = call_host(r, 0, answered);
	} else if (e == ERR_OK) {
		net_enum_serve(r, en, 1, req->optimize, req->max_elements);
	}
	if (e != ERR_OK) {
		if (en)
			net_enum_free(en);
		net_reply_fault(r, e);
	}
}

/* The host's typed answer to r (a new struct of the row's reply), or
 * NULL when there is none to use: the call failed, the answer is
 * malformed, or it is a fault; the client has its fault then. */
static void *host_answer(struct request *r, struct user_host *h, struct ipc_msg *m, enum err e)
{
	enum err status = ERR_OK;
	void *got;

	if (!m) {
		net_reply_fault(r, net_call_failure(e));
		return NULL;
	}
	if (!(got = calloc(1, r->op->reply_size)) ||
	    shell_op_reply_decode(&m->body, r->op, &status, got) != ERR_OK) {
		log_warnx("malformed management data from the host of %s", h->user);
		status = ERR_WSMAN_INTERNAL;
	}
	if (status == ERR_OK)
		return got;
	/* A query of a class WMI does not have is a bad filter (Windows
	 * Server 2008 R2's recorded reply). */
	if (status == ERR_WSMAN_WMI_NOT_FOUND && r->op == shell_op_at(SHELL_CIM_INSTANCES) &&
	    ((const struct cim_request *)r->op_req)->filter.kind == CIM_FILTER_WQL)
		status = ERR_WSMAN_CANNOT_PROCESS_FILTER;
	free(got);
	net_reply_fault(r, status);
	return NULL;
}

static void answered(struct request *r, struct user_host *h, struct ipc_msg *m, enum err e)
{
	const struct cim_request *req = r->op_req;
	/* The pages gathered so far, if this is a later page: they go with
	 * it if it failed (r is gone then). */
	struct net_enumeration *en = req->enumerate && *req->enumeration
					 ? net_enum_find(r->conn->net, req->enumeration, r->id.uid)
					 : NULL;
	struct cim_reply *got = host_answer(r, h, m, e);
	struct cim_target t;

	if (!got) {
		if (en)
			net_enum_free(en);
		return;
	}
	target_of(req, &t);
	if (req->enumerate)
		reply_enumerate(r, &t, got);
	else
		reply_get(r, &t, got);
	free(got);
}

/* What the host's namespace check takes: who asks (the verified
 * token's verdict, the group whose members are the remote users, the
 * peer for the log), the namespace's security from the configuration in
 * force, and whether this request came encrypted. */
static void access_of(const struct request *r, const char *namespace_name, struct cim_access *a)
{
	const struct config *cfg = &r->conn->net->cfg;
	const char *remote_users = cfg->service.remote_users_group;
	const struct config_namespace *ns = config_namespace_find(cfg, namespace_name);

	a->is_admin = r->id.is_admin != 0;
	snprintf(a->remote_users_group, sizeof(a->remote_users_group), "%s",
		 remote_users ? remote_users : "");
	snprintf(a->client_ip, sizeof(a->client_ip), "%s", r->conn->peer);
	if (ns) {
		snprintf(a->sddl, sizeof(a->sddl), "%s", ns->sddl);
		a->requires_encryption = ns->requires_encryption != 0;
	}
	a->encrypted = r->conn->https || r->seal_reply;
}

/* A Get or an Enumerate of t: to the user's own host. */
static void ask_host(struct request *r, const struct cim_target *t, int enumerate,
		     const struct wsman_enumerate_req *options, const struct cim_filter *filter)
{
	struct cim_request *req = calloc(1, sizeof(*req));
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
	req->enumerate = enumerate != 0;
	e = cim_selectors_parse(&r->ws, req->selectors, &req->nselectors);
	access_of(r, t->namespace_name, &req->access);
	if (options) {
		req->optimize = options->optimize != 0;
		req->max_elements = options->max_elements;
		req->mode = options->mode;
	}
	if (filter)
		req->filter = *filter;
	if (e == ERR_OK)
		e = call_host(r, 1, answered);
	if (e != ERR_OK)
		net_reply_fault(r, e);
}

/* The method's answer: <Method>_OUTPUT, under the action + "Response"
 * (DSP0226 9: a custom action's response); a Put's: the instance as it
 * now is, as a Get's reply writes it, under PutResponse (DSP0226 7.5:
 * the service "should" return the new representation; Windows does). */
static void reply_invoke(struct request *r, const struct cim_invoke_reply *got)
{
	struct cim_target t;
	struct buf xml, body, action;
	enum err e;

	buf_init(&xml, MAX_INSTANCE_XML);
	buf_init(&body, MAX_REPLY);
	buf_init(&action, WSMAN_MAX_HEADER_VALUE + sizeof("Response"));
	if ((e = cim_uri_parse(r->ws.hdr.resource_uri, &t)) == ERR_OK &&
	    (e = got->kind == CIM_CALL_PUT
		     ? cim_instance_xml(&xml, &t, got->class_name, &got->output)
		     : cim_output_xml(&xml, &t, got)) == ERR_OK &&
	    (e = buf_putf(&action, "%sResponse", r->ws.hdr.action)) == ERR_OK &&
	    (e = buf_terminate(&action)) == ERR_OK)
		e = wsman_reply_resource(&body, &r->ws, (const char *)buf_ptr(&action),
					 (const char *)buf_ptr(&xml), buf_len(&xml));
	net_reply_sized(r, e, &body);
	buf_clear(&xml);
	buf_clear(&body);
	buf_clear(&action);
}

static void invoked(struct request *r, struct user_host *h, struct ipc_msg *m, enum err e)
{
	struct cim_invoke_reply *got = host_answer(r, h, m, e);

	if (got)
		reply_invoke(r, got);
	free(got);
}

/* The privileged part's answer to an administrator's call, run as root. */
static void invoked_as_root(void *arg, struct ipc_msg *m, enum err e)
{
	struct request *r = arg;
	struct ipc_cim_invoked *res = malloc(sizeof(*res));

	r->call = NULL;
	if (!res)
		net_reply_fault(r, ERR_WSMAN_INTERNAL);
	else if ((e = net_priv_cim_invoked(m, e, res)) != ERR_OK)
		net_reply_fault(r, e);
	else if (res->status != ERR_OK)
		net_reply_fault(r, (enum err)res->status);
	else
		reply_invoke(r, &res->reply);
	free(res);
}

/* An Invoke of a method of t, or a Put of an instance of t (parse reads
 * which): its input read here; the call run in the user's own host, as
 * the user, or for an administrator by the privileged part, as root
 * (which checks the token's verdict again). */
static void invoke(struct request *r, const struct cim_target *t,
		   enum err (*parse)(const struct wsman_request *, const struct cim_target *,
				     struct cim_invoke_request *))
{
	struct cim_invoke_request *req = calloc(1, sizeof(*req));
	uint64_t timeout_ms = timeout_of(r);
	enum err e;

	if (!req) {
		net_reply_fault(r, ERR_WSMAN_INTERNAL);
		return;
	}
	r->op = shell_op_at(SHELL_CIM_INVOKE);
	r->op_req = req;
	if ((e = parse(&r->ws, t, req)) == ERR_OK) {
		req->timeout_ms =
		    (uint32_t)(timeout_ms < CIM_METHOD_TIMEOUT_MS ? timeout_ms
								  : CIM_METHOD_TIMEOUT_MS);
		access_of(r, t->namespace_name, &req->access);
		e = r->id.is_admin ? net_priv_cim_invoke(r, req, invoked_as_root)
				   : call_host(r, 1, invoked);
	}
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
	} else if (strcmp(hdr->action, ACTION_PUT) == 0) {
		if (t.wildcard)
			net_reply_fault(r, ERR_WSMAN_UNKNOWN_RESOURCE);
		else
			invoke(r, &t, cim_put_parse);
	} else {
		/* Any other action is a method's, or not supported (cim_invoke_parse). */
		invoke(r, &t, cim_invoke_parse);
	}
}
