/* net_request: network process. One request in flight, from the parsed
 * HTTP request to the reply: the checks every request passes
 * (MaxConnections, method, path, content type), authentication, the
 * account's share of MaxConnections (net_account.c), the
 * WS-Management envelope and the resource it addresses, and the reply,
 * sealed when the request was. The request owns what it parsed and the
 * IPC call it waits on; it ends when its reply is handed to the
 * connection (net_conn.c). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "net/net_int.h"

void net_request_free(struct request *r)
{
	struct conn *c = r->conn;

	if (r->counted)
		c->net->active_requests--;
	if (r->call && r->host)
		net_host_cancel(r);
	net_password_forget(r);
	net_account_leave(r);
	ipc_endpoint_cancel(r->call);
	if (r->ws_parsed)
		wsman_request_clear(&r->ws);
	if (r->op_req) {
		shell_op_clear(r->op, r->op_req);
		free(r->op_req);
	}
	free(r->listed);
	buf_clear(&r->plain);
	ipc_auth_password_clear(&r->verify);
	auth_identity_clear(&r->id); /* Basic is per request */
	if (c->req == r)
		c->req = NULL;
	free(r);
}

/* ---- replies ---- */

/* The host name the client addressed (Host header without the port,
 * IPv6 brackets kept), for faults and the EPR of what it creates. */
static const char *machine(const struct request *r, char *out, size_t len)
{
	const char *h = r->http && r->http->host[0] ? r->http->host : r->conn->net->hostname;

	snprintf(out, len, "%s", h);
	char *colon = strrchr(out, ':');
	if (colon && !strchr(colon, ']') && (out[0] != '[' || colon > strchr(out, ']')))
		*colon = 0;
	return out;
}

void net_url(const struct request *r, char *out, size_t len)
{
	const struct conn *c = r->conn;

	snprintf(out, len, "%s://%s%s", c->https ? "https" : "http",
		 r->http && r->http->host[0] ? r->http->host : c->net->hostname, c->url_path);
}

/* Ends r with this reply; the connection writes it. */
static void respond(struct request *r, int status, const struct http1_header *hdrs, size_t nh,
		    const struct buf *body, const char *ctype)
{
	struct conn *c = r->conn;
	struct buf head, sealed;
	int keep = !c->close_after_reply && !c->logon_over && r->http && r->http->keep_alive;
	size_t blen = body ? buf_len(body) : 0;
	/* The callers' headers (at most the 401's challenges) and the last
	 * leg's token, which rides on whatever reply comes next. */
	struct http1_header all[NET_MAX_REPLY_HEADERS + 1];
	enum err e = ERR_OK;

	if (nh > NET_MAX_REPLY_HEADERS) {
		log_warnx("a reply with %zu headers: internal error", nh);
		nh = NET_MAX_REPLY_HEADERS;
	}
	if (nh)
		memcpy(all, hdrs, nh * sizeof(*hdrs));
	if (c->gss.reply_token) {
		all[nh].name = "WWW-Authenticate";
		all[nh++].value = c->gss.reply_token;
	}
	buf_init(&sealed, 0);
	if (r->seal_reply && blen) {
		e = net_gss_seal(r, body, &sealed, &ctype);
		body = &sealed;
		blen = buf_len(body);
	}
	buf_init(&head, HTTP1_MAX_HEADER_BYTES);
	if (e == ERR_OK)
		e = http1_response_head(&head, status, all, nh, blen ? ctype : NULL, blen, keep);
	if (e != ERR_OK) {
		log_warnx("cannot write the reply to %s: %s", c->peer, err_str(e));
		buf_clear(&head);
		buf_clear(&sealed);
		net_conn_free(c);
		return;
	}
	free(c->gss.reply_token);
	c->gss.reply_token = NULL;
	log_debug("%s %s status %d bytes %zu ms %llu", c->peer,
		  r->ws_parsed && r->ws.hdr.action ? r->ws.hdr.action : "-", status, blen,
		  (unsigned long long)(util_now_ms() - r->started_ms));
	net_request_free(r);
	net_conn_send(c, &head, body, keep);
	buf_clear(&head);
	buf_clear(&sealed);
}

void net_reply(struct request *r, int status, const struct buf *body)
{
	respond(r, status, NULL, 0, body, "application/soap+xml;charset=UTF-8");
}

/* 401 with a WWW-Authenticate header per enabled scheme. */
static void reply_unauthorized(struct request *r)
{
	const char *schemes[4];
	struct http1_header hdrs[4];
	size_t n = auth_challenges(&r->conn->net->auth, r->conn->https, schemes);

	for (size_t i = 0; i < n; i++) {
		hdrs[i].name = "WWW-Authenticate";
		hdrs[i].value = schemes[i];
	}
	respond(r, 401, hdrs, n, NULL, NULL);
}

void net_reply_fault(struct request *r, enum err e)
{
	struct buf body;
	char host[256];
	int status;

	/* The privileged part logged why; a 401 names the schemes to try. */
	if (e == ERR_HTTP_UNAUTHORIZED) {
		reply_unauthorized(r);
		return;
	}
	/* Every refusal is logged here, once; TimedOut is the normal end of a
	 * Receive long poll, not a refusal. */
	if (e != ERR_WSMAN_TIMED_OUT) {
		char action[LOG_QUOTE_MAX];
		const char *a = r->ws_parsed && r->ws.hdr.action ? r->ws.hdr.action : "-";
		log_info("request from %s user %s action \"%s\" refused: %s", r->conn->peer,
			 auth_identity_valid(&r->id) ? r->id.user : "-",
			 log_quote(action, sizeof(action), a, strlen(a)), err_str(e));
		net_audit_refusal(r, err_str(e));
	}
	buf_init(&body, 64 * 1024);
	status = wsman_fault(&body, e, r->ws_parsed ? r->ws.hdr.message_id : NULL,
			     machine(r, host, sizeof(host)));
	if (status == 405) {
		struct http1_header allow = {"Allow", "POST"};
		respond(r, status, &allow, 1, NULL, NULL);
	} else {
		net_reply(r, status, &body);
	}
	buf_clear(&body);
}

/* A reply without a body, with the last leg's token if one is due. */
static void reply_status(struct request *r, int status)
{
	respond(r, status, NULL, 0, NULL, NULL);
}

static void reply_identify(struct request *r, int authenticated)
{
	struct buf body;

	buf_init(&body, 8192);
	if (wsman_reply_identify(&body, authenticated) == ERR_OK)
		net_reply(r, 200, &body);
	else
		net_reply_fault(r, ERR_WSMAN_INTERNAL);
	buf_clear(&body);
}

/* ---- the pipeline ---- */

enum err net_identity_check(const struct request *r, const char *route)
{
	if (auth_identity_valid(&r->id))
		return ERR_OK;
	/* Never by design: a path that forgot to authenticate. Refused as
	 * though no credentials came, rather than run as whichever account a
	 * default identity would name (root, for a zeroed one). */
	log_warnx("request from %s reached %s without a verified identity: refused", r->conn->peer,
		  route);
	return ERR_HTTP_UNAUTHORIZED;
}

/* The request is authenticated: its envelope, and the resource it names. */
static void dispatch(struct request *r)
{
	struct net *n = r->conn->net;
	const struct wsman_header *hdr = &r->ws.hdr;
	enum err e;

	if ((e = net_identity_check(r, "the resource dispatch")) != ERR_OK ||
	    (e = net_account_enter(r)) != ERR_OK) {
		net_reply_fault(r, e);
		return;
	}
	/* Certificate authentication parsed it already, for its resource. */
	if (!r->ws_parsed) {
		e = wsman_parse(buf_ptr(r->body), buf_len(r->body), &r->ws);
		r->ws_parsed = 1;
		if (e != ERR_OK) {
			net_reply_fault(r, e);
			return;
		}
	}
	if (r->ws.is_identify) {
		reply_identify(r, 1);
		return;
	}
	int config = hdr->resource_uri && net_config_uri(hdr->resource_uri);
	int cim = !config && hdr->resource_uri && cim_uri_is_cim(hdr->resource_uri);
	if (!config && !cim && (!hdr->resource_uri || !shell_op_resource(hdr->resource_uri))) {
		net_reply_fault(r, ERR_WSMAN_UNKNOWN_RESOURCE);
		return;
	}
	/* MaxTimeoutms bounds the OperationTimeout a client may ask for. */
	if (hdr->operation_timeout_ms > n->cfg.max_timeout_ms) {
		net_reply_fault(r, ERR_WSMAN_INVALID_HEADER);
		return;
	}
	if (config)
		net_config_dispatch(r);
	else if (cim)
		net_cim_dispatch(r);
	else
		net_shell_dispatch(r);
}

/* The privileged part's verdict on the request's Basic password (r->id
 * is the identity it admitted, if any). */
static void password_checked(struct request *r, enum err e, uint32_t status)
{
	if (e != ERR_OK)
		net_reply_fault(r, e);
	/* On the identity, not the verdict: an OK without a usable account
	 * (auth_complete logged it) is no identity. */
	else if (auth_identity_valid(&r->id))
		dispatch(r);
	else
		net_reply_fault(r, auth_refusal(status));
}

/* A request on a connection Negotiate, Kerberos or CredSSP authenticated. */
static void serve_gss(struct request *r)
{
	int status;

	r->id = r->conn->gss.id;
	/* An authentication-only POST: an empty 200, unsealed. */
	if (buf_len(r->body) == 0)
		reply_status(r, 200);
	else if ((status = net_gss_open(r)) == 401)
		net_reply_fault(r, ERR_HTTP_UNAUTHORIZED);
	else if (status)
		reply_status(r, status);
	else
		dispatch(r);
}

/* The privileged part's answer to a Negotiate/Kerberos leg. */
static void leg_answered(void *arg, struct ipc_msg *m, enum err e)
{
	struct request *r = arg;

	r->call = NULL;
	e = net_gss_result(r, m, e);
	if (e == ERR_OK)
		serve_gss(r);
	else if (e == ERR_INCOMPLETE)
		reply_status(r, 401); /* the next leg's token rides on it */
	else
		net_reply_fault(r, e);
}

/* The privileged part's answer to a CredSSP TSRequest. */
static void credssp_answered(void *arg, struct ipc_msg *m, enum err e)
{
	struct request *r = arg;

	r->call = NULL;
	e = net_credssp_result(r, m, e);
	if (e == ERR_OK)
		serve_gss(r);
	else if (e == ERR_INCOMPLETE)
		reply_status(r, 401); /* the next TSRequest rides on it */
	else
		net_reply_fault(r, e);
}

/* The privileged part's answer to a certificate logon. */
static void cert_answered(void *arg, struct ipc_msg *m, enum err e)
{
	struct request *r = arg;

	r->call = NULL;
	if ((e = net_cert_result(r, m, e)) == ERR_OK)
		dispatch(r);
	else
		net_reply_fault(r, e);
}

/* Certificate authentication: a certmapping entry holds for some
 * resources only, so the envelope is read first. */
static void cert_logon(struct request *r)
{
	enum err e = wsman_parse(buf_ptr(r->body), buf_len(r->body), &r->ws);

	r->ws_parsed = 1;
	if (e != ERR_OK)
		net_reply_fault(r, e);
	else if (net_cert_cached(r))
		dispatch(r);
	else if ((e = net_cert_logon(r, cert_answered)) != ERR_OK)
		net_reply_fault(r, e);
}

static int content_type_is_soap(const char *ct)
{
	return strncasecmp(ct, "application/soap+xml", 20) == 0;
}

static void process(struct request *r)
{
	struct conn *c = r->conn;
	struct http1_request *http = r->http;
	struct net *n = c->net;
	enum msgenc_protocol sealed;
	enum err e;

	if (n->active_requests >= n->cfg.service.max_connections) {
		log_warnx("MaxConnections (%u) active requests reached: refusing %s",
			  n->cfg.service.max_connections, c->peer);
		c->close_after_reply = 1;
		net_reply_fault(r, ERR_HTTP_BUSY);
		return;
	}
	n->active_requests++;
	r->counted = 1;
	if (!http->method_post) {
		net_reply_fault(r, ERR_HTTP_METHOD);
		return;
	}
	if (strcasecmp(http->path, c->url_path) != 0) {
		net_reply_fault(r, ERR_HTTP_NOT_FOUND);
		return;
	}
	if (buf_len(r->body) > 0 && !content_type_is_soap(http->content_type) &&
	    !msgenc_is_encrypted(http->content_type, &sealed)) {
		net_reply_fault(r, ERR_HTTP_MEDIA_TYPE);
		return;
	}

	/* Identify without credentials only when the client asks for it
	 * explicitly, as Windows does (Test-WSMan, winrm id -a:none). */
	if (!http->has_authorization && http->wsmanidentify_unauthenticated) {
		e = wsman_parse(buf_ptr(r->body), buf_len(r->body), &r->ws);
		r->ws_parsed = 1;
		if (e == ERR_OK && r->ws.is_identify)
			reply_identify(r, 0);
		else
			net_reply_fault(r, ERR_HTTP_UNAUTHORIZED);
		return;
	}

	/* Negotiate and Kerberos authenticate the connection: later requests
	 * come without Authorization. MS-WSMV 2.2.9.1.2.1: the client "MUST
	 * include the Authorization field in the request until the ... service
	 * responds with a 200 OK response" (docs/protocol-notes.md, "Requests
	 * after the handshake"). */
	if (!http->has_authorization && auth_identity_valid(&c->gss.id)) {
		serve_gss(r);
		return;
	}

	enum auth_verdict verdict =
	    auth_evaluate(&n->auth, c->https, http->authorization, c->peer, &r->id, &r->verify);
	/* For the audit trail of the password check, if one is made. */
	r->verify.peer_port = c->peer_port;
	switch (verdict) {
	case AUTH_GSS:
		if ((e = net_gss_leg(r, leg_answered)) != ERR_OK)
			net_reply_fault(r, e);
		return;
	case AUTH_ANONYMOUS:
		log_info("unauthenticated request from %s: challenge sent", c->peer);
		net_reply_fault(r, ERR_HTTP_UNAUTHORIZED);
		return;
	case AUTH_REFUSED: {
		char scheme[32], q[LOG_QUOTE_MAX];
		size_t sl = strcspn(http->authorization, " ");
		snprintf(scheme, sizeof(scheme), "%.*s", (int)(sl < 31 ? sl : 31),
			 http->authorization);
		log_info(
		    "authentication refused: peer %s scheme \"%s\" (scheme disabled, not offered "
		    "on this transport, or malformed)",
		    c->peer, log_quote(q, sizeof(q), scheme, strlen(scheme)));
		net_audit_refusal(r, "authentication scheme disabled, not offered on this "
				     "transport, or malformed");
		net_reply_fault(r, ERR_HTTP_UNAUTHORIZED);
		return;
	}
	case AUTH_ACCEPTED_RECHECK:
		net_password_recheck(n, &r->verify);
		dispatch(r);
		return;
	case AUTH_ACCEPTED:
		dispatch(r);
		return;
	case AUTH_CERT:
		cert_logon(r);
		return;
	case AUTH_CREDSSP:
		if ((e = net_credssp_leg(r, credssp_answered)) == ERR_INCOMPLETE)
			reply_status(r, 401); /* the channel's handshake goes on */
		else if (e != ERR_OK)
			net_reply_fault(r, e);
		return;
	case AUTH_VERIFY:
		if ((e = net_password_check(r, password_checked)) != ERR_OK)
			net_reply_fault(r, e);
		return;
	}
}

void net_request_start(struct conn *c, struct http1_request *http, enum err parse_error)
{
	struct request *r = calloc(1, sizeof(*r));

	if (!r) {
		log_warnx("out of memory for a request from %s", c->peer);
		net_conn_free(c);
		return;
	}
	r->conn = c;
	r->http = http;
	r->body = http ? &http->body : NULL;
	r->started_ms = util_now_ms();
	auth_identity_clear(&r->id);
	c->req = r;
	if (!http) {
		c->close_after_reply = 1;
		c->drain_before_close = 1;
		net_reply_fault(r, parse_error);
		return;
	}
	process(r);
}
