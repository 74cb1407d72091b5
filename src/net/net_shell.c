/* net_shell: network process. The operations of the shell kinds, each a
 * row of shell/shell_ops.h: the SOAP request is parsed into the row's
 * struct, sent to the user's host (net_host.c) as IPC_SHELL_REQUEST, and
 * the host's typed answer becomes the row's SOAP reply. Nothing here
 * knows one operation from another but by the row's flags. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "net/net_int.h"

enum err net_call_failure(enum err e)
{
	switch (e) {
	case ERR_TIMEOUT: /* as Windows for an operation over its OperationTimeout */
		return ERR_WSMAN_TIMED_OUT;
	case ERR_IO:
		return ERR_WSMAN_HOST_GONE;
	case ERR_FORMAT:
		return ERR_WSMAN_INTERNAL;
	default:
		return e;
	}
}

/* The session configuration a PowerShell request's resource URI names
 * (SHELL_PS_URI_PREFIX + Name), or NULL for any other. */
static const struct config_plugin *ps_plugin(const struct config *c, const char *resource_uri)
{
	size_t n = strlen(SHELL_PS_URI_PREFIX);

	if (!resource_uri || strncasecmp(resource_uri, SHELL_PS_URI_PREFIX, n) != 0)
		return NULL;
	return config_plugin_find(c, resource_uri + n);
}

/* The audit line of a PowerShell session started, ended or refused:
 * source address, user, scheme, endpoint and the account it runs as. */
static void audit(const struct request *r, const struct user_host *h,
		  const struct config_plugin *pl, const char *shell_id, const char *what)
{
	/* The host's account once it runs; before, what the plugin says. */
	const char *run_as = h && *h->run_as	? h->run_as
			     : *pl->run_as_user ? pl->run_as_user
						: r->id.user;

	log_info("PowerShell session %s %s: endpoint %s, user %s from %s (%s), runs as %s",
		 shell_id, what, pl->name, r->id.user, r->conn->peer,
		 r->id.scheme ? r->id.scheme : "", run_as);
}

/* The row's SOAP reply to the host's typed answer (reply). */
static void reply_built(struct request *r, const void *reply, size_t hint)
{
	const struct shell_op *op = r->op;
	struct shell_reply_ctx ctx = {.owner = r->id.user, .client_ip = r->conn->peer};
	char url[400];
	struct buf body;
	enum err e;

	net_url(r, url, sizeof(url));
	ctx.machine_url = url;
	buf_init(&body, IPC_MAX_MSG * 2);
	/* Output grows by a third in base64; the markup fits the rest. */
	buf_grow(&body, hint / 3 * 4 + 4096);
	if ((e = op->build_reply(&body, &r->ws, &ctx, r->op_req, reply)) == ERR_OK)
		net_reply(r, 200, &body);
	else
		net_reply_fault(r, e);
	buf_clear(&body);
}

static void answered(struct request *r, struct user_host *h, struct ipc_msg *m, enum err e)
{
	const struct shell_op *op = r->op;
	const struct config_plugin *pl;
	void *reply = NULL;
	enum err status = ERR_OK;

	if (!m) {
		if (e == ERR_WSMAN_ACCESS_DENIED &&
		    (pl = ps_plugin(&r->conn->net->cfg, r->ws.hdr.resource_uri)))
			audit(r, NULL, pl, "-", "refused");
		net_reply_fault(r, net_call_failure(e));
		return;
	}
	if (!(reply = calloc(1, op->reply_size ? op->reply_size : 1)) ||
	    shell_op_reply_decode(&m->body, op, &status, reply) != ERR_OK) {
		log_warnx("malformed reply from the host of %s", h->user);
		free(reply);
		net_reply_fault(r, ERR_WSMAN_INTERNAL);
		return;
	}
	if (status != ERR_OK) {
		free(reply);
		net_reply_fault(r, status);
		return;
	}
	if (op->flags & SHELL_OP_NEW_SHELL)
		net_host_count(h, 1);
	if (op->flags & SHELL_OP_END_SHELL)
		net_host_count(h, -1);
	pl = ps_plugin(&r->conn->net->cfg, r->ws.hdr.resource_uri);
	net_audit_shell_op(r, h, pl ? pl->name : "", reply);
	if (pl && (op->flags & (SHELL_OP_NEW_SHELL | SHELL_OP_END_SHELL)))
		audit(r, h, pl,
		      op->flags & SHELL_OP_NEW_SHELL
			  ? ((const struct shell_create_reply *)reply)->shell_id
			  : ((const struct shell_delete_req *)r->op_req)->shell_id,
		      op->flags & SHELL_OP_NEW_SHELL ? "started" : "ended");
	reply_built(r, reply, buf_len(&m->body));
	free(reply);
}

/* ---- Enumerate: the shells of every host the caller may see ---- */

static void list_next(struct request *r, int first);

/* One host's list, added to what was listed; a host that does not know
 * the shell whose commands are asked lists nothing. */
static void listed_by(struct request *r, struct user_host *h, struct ipc_msg *m, enum err e)
{
	struct shell_list_reply *all = r->listed, *got = calloc(1, sizeof(*got));
	enum err status = ERR_OK;

	r->listed_uid = h->uid;
	snprintf(r->listed_endpoint, sizeof(r->listed_endpoint), "%s", h->endpoint);
	if (!got || !m || shell_op_reply_decode(&m->body, r->op, &status, got) != ERR_OK ||
	    (status != ERR_OK && status != ERR_WSMAN_UNKNOWN_SHELL)) {
		log_warnx("no list of shells from the host of %s: %s", h->user,
			  err_str(m ? status : e));
	} else if (status == ERR_OK) {
		for (uint32_t i = 0; i < got->nshells && all->nshells < SHELL_MAX_LISTED; i++)
			all->shells[all->nshells++] = got->shells[i];
		for (uint32_t i = 0; i < got->ncommands && all->ncommands < SHELL_MAX_LISTED; i++)
			all->commands[all->ncommands++] = got->commands[i];
	}
	free(got);
	list_next(r, 0);
}

/* Asks the next host the caller may see, in (uid, endpoint) order, or
 * replies with what all listed: an administrator's walk covers every
 * host, anyone else's their own host and their session configurations'. */
static void list_next(struct request *r, int first)
{
	struct user_host *h = net_host_next(r->conn->net, first, r->listed_uid, r->listed_endpoint);
	uint64_t timeout_ms = r->conn->net->cfg.max_timeout_ms + NET_HOST_DEADLINE_MARGIN_MS;
	struct buf b;
	enum err e;

	while (h && !r->id.is_admin && h->uid != r->id.uid)
		h = net_host_next(r->conn->net, 0, h->uid, h->endpoint);
	if (!h) {
		reply_built(r, r->listed, 0);
		return;
	}
	buf_init(&b, IPC_MAX_MSG);
	if ((e = shell_op_request_encode(&b, r->op, r->op_req)) == ERR_OK)
		e = net_host_call_to(r, h, &b, timeout_ms, listed_by);
	buf_clear(&b);
	if (e != ERR_OK)
		net_reply_fault(r, ERR_WSMAN_INTERNAL);
}

void net_shell_dispatch(struct request *r)
{
	struct net *n = r->conn->net;
	const struct wsman_header *hdr = &r->ws.hdr;
	const struct shell_op *op = shell_op_find(hdr->resource_uri, hdr->action);
	const struct config_plugin *pl = ps_plugin(&n->cfg, hdr->resource_uri);
	const char *served[CONFIG_MAX_PLUGINS + 1];
	struct shell_service_ctx ctx = {.client_ip = r->conn->peer,
					.ps_endpoints = served,
					.pwsh = n->cfg.service.powershell,
					.max_timeout_ms = n->cfg.max_timeout_ms};
	size_t nserved = 0;
	uint64_t timeout_ms =
	    hdr->operation_timeout_ms ? hdr->operation_timeout_ms : n->cfg.max_timeout_ms;
	struct buf b;
	enum err e;

	if ((e = net_identity_check(r, "a shell operation")) != ERR_OK) {
		net_reply_fault(r, e);
		return;
	}
	if (!op) {
		net_reply_fault(r, ERR_WSMAN_ACTION_NOT_SUPPORTED);
		return;
	}
	/* The session configurations served: the enabled plugins. */
	for (uint32_t i = 0; i < n->cfg.nplugins; i++)
		if (n->cfg.plugins[i].enabled)
			served[nserved++] = n->cfg.plugins[i].name;
	served[nserved] = NULL;
	if (!(r->op_req = calloc(1, op->req_size))) {
		net_reply_fault(r, ERR_WSMAN_INTERNAL);
		return;
	}
	r->op = op;
	if ((e = op->parse(&r->ws, &ctx, r->op_req)) != ERR_OK) {
		net_reply_fault(r, e);
		return;
	}
	if ((op->flags & SHELL_OP_NEW_SHELL) && !n->cfg.winrs.allow_remote_shell_access) {
		net_reply_fault(r, ERR_WSMAN_SHELL_ACCESS_OFF);
		return;
	}
	/* Administrators (root, Service/AdminGroups) see every user's shells,
	 * as on Windows; everyone else only their own. */
	if (op->flags & SHELL_OP_LIST) {
		if (!(r->listed = calloc(1, sizeof(struct shell_list_reply))))
			net_reply_fault(r, ERR_WSMAN_INTERNAL);
		else
			list_next(r, 1);
		return;
	}
	const char *endpoint = pl && config_plugin_isolated(pl) ? pl->name : "";
	/* Delegated credentials go to the user's own host only, never to a
	 * session configuration's, which may run as another account. */
	if ((op->flags & SHELL_OP_NEW_SHELL) && !*endpoint)
		net_credssp_delegate(r->conn, r->op_req);
	buf_init(&b, IPC_MAX_MSG);
	if ((e = shell_op_request_encode(&b, op, r->op_req)) == ERR_OK)
		e = net_host_call(r, op->flags & SHELL_OP_NEW_SHELL, endpoint, &b,
				  timeout_ms + NET_HOST_DEADLINE_MARGIN_MS, answered);
	else if (e == ERR_LIMIT)
		e = ERR_WSMAN_ENCODING_LIMIT;
	else
		e = ERR_WSMAN_INTERNAL;
	buf_clear(&b);
	if (e != ERR_OK)
		net_reply_fault(r, e);
}
