/* net: the network process (service account). Event loop, listeners, TLS,
 * connections, HTTP and the authentication step of each request. */
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "common/util.h"
#include "net/net_int.h"

static void conn_free(struct conn *c);
static void conn_reply_written(struct conn *c);
static void conn_arm_timer(struct conn *c, uint64_t ms);
static void conn_read_cb(struct bufferevent *bev, void *arg);
static void conn_process(struct conn *c);

/* ---- pending IPC requests ---- */

struct pending *net_pending_new(struct pending **list, uint32_t type, struct conn *c, uint32_t *id)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->id = ++c->net->next_id;
	p->type = type;
	p->conn = c;
	p->next = *list;
	*list = p;
	*id = p->id;
	return p;
}

struct pending *net_pending_add(struct pending **list, uint32_t type, struct conn *c, uint32_t *id)
{
	struct pending *p = net_pending_new(list, type, c, id);

	if (p)
		c->waiting = p;
	return p;
}

struct pending *net_pending_take(struct pending **list, uint32_t id)
{
	for (struct pending **pp = list; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct pending *p = *pp;
			*pp = p->next;
			if (p->conn && p->conn->waiting == p)
				p->conn->waiting = NULL;
			if (p->conn && p->conn->gss_renewing == p)
				p->conn->gss_renewing = NULL;
			return p;
		}
	}
	return NULL;
}

void net_watch_peer(struct event *ev, const struct ipc_peer *p)
{
	event_del(ev);
	event_assign(ev, event_get_base(ev), p->fd,
		     EV_READ | EV_PERSIST | (ipc_pending(p) ? EV_WRITE : 0), event_get_callback(ev),
		     event_get_callback_arg(ev));
	event_add(ev, NULL);
}

/* ---- replies ---- */

const char *net_machine(const struct conn *c)
{
	static char machine[256];
	const char *h = c->req && c->req->host[0] ? c->req->host : c->net->hostname;

	snprintf(machine, sizeof(machine), "%s", h);
	/* Strip the port, keeping IPv6 brackets. */
	char *colon = strrchr(machine, ':');
	if (colon && !strchr(colon, ']') && (machine[0] != '[' || colon > strchr(machine, ']')))
		*colon = 0;
	return machine;
}

void net_url(const struct conn *c, char *out, size_t len)
{
	snprintf(out, len, "%s://%s%s", c->https ? "https" : "http",
		 c->req && c->req->host[0] ? c->req->host : c->net->hostname, c->url_path);
}

static void conn_finish_request(struct conn *c)
{
	if (c->request_counted) {
		c->net->active_requests--;
		c->request_counted = 0;
	}
	if (c->ws_parsed) {
		wsman_request_free(&c->ws);
		c->ws_parsed = 0;
	}
	switch (c->op) {
	case OP_CREATE: shell_create_req_free(&c->u.create); break;
	case OP_COMMAND: shell_command_req_free(&c->u.command); break;
	case OP_SEND: shell_send_req_free(&c->u.send); break;
	default: break;
	}
	c->op = OP_NONE;
	c->seal_reply = 0;
	ipc_auth_password_free(&c->verify);
	memset(&c->id, 0, sizeof(c->id)); /* Basic is per request */
}

static void conn_write_reply(struct conn *c, int status, const struct http1_header *hdrs, size_t nh,
			     const struct buf *body, const char *ctype)
{
	struct buf head, sealed;
	int keep = !c->close_after_reply && c->req && c->req->keep_alive;
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
	if (c->gss_reply_token) {
		all[nh].name = "WWW-Authenticate";
		all[nh++].value = c->gss_reply_token;
	}
	buf_init(&sealed, 0);
	if (c->seal_reply && blen) {
		e = net_gss_seal(c, body, &sealed, &ctype);
		body = &sealed;
		blen = buf_len(body);
	}
	buf_init(&head, HTTP1_MAX_HEADER_BYTES);
	if (e != ERR_OK ||
	    http1_response_head(&head, status, all, nh, blen ? ctype : NULL, blen, keep) != ERR_OK) {
		if (e != ERR_OK)
			log_warnx("cannot seal the reply to %s: %s", c->peer, err_str(e));
		buf_clear(&head);
		buf_clear(&sealed);
		conn_free(c);
		return;
	}
	free(c->gss_reply_token);
	c->gss_reply_token = NULL;
	log_debug("%s %s status %d bytes %zu ms %llu", c->peer,
		  c->ws_parsed && c->ws.hdr.action ? c->ws.hdr.action : "-", status, blen,
		  (unsigned long long)(util_now_ms() - c->started_ms));
	c->close_after_reply = !keep;
	conn_finish_request(c);
	c->state = CONN_WRITING;
	/* Plain HTTP: write the reply now, head and body in one call; handing
	 * it to the bufferevent would cost an epoll_ctl to add and one to
	 * remove the write event for every request. Only a remainder goes
	 * through it. The body is never copied behind the head. */
	size_t done = 0, hlen = buf_len(&head);
	if (!c->https) {
		struct iovec iov[2] = {{(void *)buf_ptr(&head), hlen}, {(void *)(body ? buf_ptr(body) : NULL), blen}};
		ssize_t w;
		do
			w = writev(bufferevent_getfd(c->bev), iov, blen ? 2 : 1);
		while (w < 0 && errno == EINTR);
		done = w > 0 ? (size_t)w : 0;
	}
	if (done < hlen)
		bufferevent_write(c->bev, buf_ptr(&head) + done, hlen - done);
	if (blen && done < hlen + blen) {
		size_t from = done > hlen ? done - hlen : 0;
		bufferevent_write(c->bev, buf_ptr(body) + from, blen - from);
	}
	buf_clear(&head);
	buf_clear(&sealed);
	if (done > 0 && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		/* Closing frees c, which the caller may still be using (the
		 * read loop in conn_feed): leave that to the next loop turn. */
		if (c->close_after_reply)
			conn_arm_timer(c, 0);
		else
			conn_reply_written(c);
	}
}

void net_reply(struct conn *c, int status, const struct buf *body)
{
	conn_write_reply(c, status, NULL, 0, body, "application/soap+xml;charset=UTF-8");
}

void net_reply_fault(struct conn *c, enum err e)
{
	struct buf body;
	int status;

	/* Every refusal is logged here, once; TimedOut is the normal end of a
	 * Receive long poll, not a refusal. */
	if (e != ERR_WSMAN_TIMED_OUT) {
		char action[LOG_QUOTE_MAX];
		const char *a = c->ws_parsed && c->ws.hdr.action ? c->ws.hdr.action : "-";
		log_info("request from %s user %s action \"%s\" refused: %s", c->peer,
			 c->id.valid ? c->id.user : "-", log_quote(action, sizeof(action), a, strlen(a)),
			 err_str(e));
	}

	buf_init(&body, 64 * 1024);
	status = wsman_fault(&body, e, c->ws_parsed ? c->ws.hdr.message_id : NULL, net_machine(c));
	if (status == 405) {
		struct http1_header allow = {"Allow", "POST"};
		conn_write_reply(c, status, &allow, 1, NULL, NULL);
	} else {
		net_reply(c, status, &body);
	}
	buf_clear(&body);
}

void net_reply_headers(struct conn *c, int status, const struct http1_header *hdrs, size_t nh)
{
	conn_write_reply(c, status, hdrs, nh, NULL, NULL);
}

void net_reply_auth_refused(struct conn *c, uint32_t status)
{
	/* Authenticated but in no allowed group is a SOAP fault, as Windows
	 * answers after authentication; everything else asks again. */
	if (status == IPC_AUTH_NOT_ALLOWED)
		net_reply_fault(c, ERR_WSMAN_ACCESS_DENIED);
	else if (status == IPC_AUTH_BUSY)
		net_reply_fault(c, ERR_HTTP_BUSY);
	else
		net_reply_unauthorized(c);
}

void net_reply_unauthorized(struct conn *c)
{
	const char *schemes[4];
	struct http1_header hdrs[4];
	size_t n = auth_challenges(&c->net->auth, c->https, schemes);

	for (size_t i = 0; i < n; i++) {
		hdrs[i].name = "WWW-Authenticate";
		hdrs[i].value = schemes[i];
	}
	conn_write_reply(c, 401, hdrs, n, NULL, NULL);
}

/* ---- the request pipeline ---- */

static int content_type_is_soap(const char *ct)
{
	return strncasecmp(ct, "application/soap+xml", 20) == 0;
}

void net_dispatch_authenticated(struct conn *c)
{
	enum err e;

	if (!c->ws_parsed) {
		e = wsman_parse(buf_ptr(&c->req->body), buf_len(&c->req->body), &c->ws);
		c->ws_parsed = 1;
		if (e != ERR_OK) {
			net_reply_fault(c, e);
			return;
		}
	}
	if (c->ws.is_identify) {
		struct buf body;
		buf_init(&body, 8192);
		if (wsman_reply_identify(&body, 1) == ERR_OK)
			net_reply(c, 200, &body);
		else
			net_reply_fault(c, ERR_WSMAN_INTERNAL);
		buf_clear(&body);
		return;
	}
	net_wsman_dispatch(c);
}

static void conn_auth_result(struct conn *c, struct ipc_msg *m)
{
	struct ipc_auth_result r;

	memset(&r, 0, sizeof(r));
	if (ipc_auth_result_decode(&m->body, &r) != ERR_OK || ipc_msg_done(m) != ERR_OK) {
		log_warnx("bad AUTH_RESULT from the privileged part");
		ipc_auth_result_free(&r);
		net_reply_fault(c, ERR_WSMAN_INTERNAL);
		return;
	}
	auth_complete(&c->verify, &r, &c->id);
	ipc_auth_password_free(&c->verify);
	c->state = CONN_READING;
	if (r.status == IPC_AUTH_OK)
		net_dispatch_authenticated(c);
	else
		net_reply_auth_refused(c, r.status);
	ipc_auth_result_free(&r);
}

static void conn_process(struct conn *c)
{
	struct http1_request *req = c->req;
	struct net *n = c->net;

	c->started_ms = util_now_ms();
	if (n->active_requests >= n->cfg.service.max_connections) {
		log_warnx("MaxConnections (%u) active requests reached: refusing %s",
			  n->cfg.service.max_connections, c->peer);
		c->close_after_reply = 1;
		net_reply_fault(c, ERR_HTTP_BUSY);
		return;
	}
	n->active_requests++;
	c->request_counted = 1;
	memset(&c->id, 0, sizeof(c->id));

	if (!req->method_post) {
		net_reply_fault(c, ERR_HTTP_METHOD);
		return;
	}
	if (strcasecmp(req->path, c->url_path) != 0) {
		net_reply_fault(c, ERR_HTTP_NOT_FOUND);
		return;
	}
	enum msgenc_protocol sealed;
	if (buf_len(&req->body) > 0 && !content_type_is_soap(req->content_type) &&
	    !msgenc_is_encrypted(req->content_type, &sealed)) {
		net_reply_fault(c, ERR_HTTP_MEDIA_TYPE);
		return;
	}

	/* Identify without credentials only when the client asks for it
	 * explicitly, as Windows does (Test-WSMan, winrm id -a:none). */
	if (!req->has_authorization && req->wsmanidentify_unauthenticated) {
		enum err e = wsman_parse(buf_ptr(&req->body), buf_len(&req->body), &c->ws);
		c->ws_parsed = 1;
		if (e == ERR_OK && c->ws.is_identify) {
			struct buf body;
			buf_init(&body, 8192);
			if (wsman_reply_identify(&body, 0) == ERR_OK)
				net_reply(c, 200, &body);
			else
				net_reply_fault(c, ERR_WSMAN_INTERNAL);
			buf_clear(&body);
			return;
		}
		net_reply_unauthorized(c);
		return;
	}

	/* Negotiate and Kerberos authenticate the connection: later requests
	 * come without Authorization (winrm-protocol.md 1.7). */
	if (!req->has_authorization && c->gss_id.valid) {
		net_gss_serve(c);
		return;
	}

	switch (auth_evaluate(&n->auth, c->https, req->authorization, c->peer, &c->id, &c->verify)) {
	case AUTH_GSS:
		net_gss_leg(c);
		return;
	case AUTH_ANONYMOUS:
		log_info("unauthenticated request from %s: challenge sent", c->peer);
		net_reply_unauthorized(c);
		return;
	case AUTH_REFUSED: {
		char scheme[32], q[LOG_QUOTE_MAX];
		size_t sl = strcspn(req->authorization, " ");
		snprintf(scheme, sizeof(scheme), "%.*s", (int)(sl < 31 ? sl : 31), req->authorization);
		log_info("authentication refused: peer %s scheme \"%s\" (scheme disabled, not offered "
			 "on this transport, or malformed)",
			 c->peer, log_quote(q, sizeof(q), scheme, strlen(scheme)));
		net_reply_unauthorized(c);
		return;
	}
	case AUTH_ACCEPTED:
		net_dispatch_authenticated(c);
		return;
	case AUTH_VERIFY: {
		struct buf body;
		uint32_t id;
		buf_init(&body, IPC_MAX_MSG);
		if (ipc_auth_password_encode(&body, &c->verify) != ERR_OK ||
		    !net_pending_add(&n->priv_pending, IPC_AUTH_PASSWORD, c, &id) ||
		    ipc_send(&n->priv, IPC_AUTH_PASSWORD, id, &body, NULL, 0) != ERR_OK) {
			buf_clear(&body);
			if (c->waiting)
				c->waiting->conn = NULL, c->waiting = NULL;
			net_reply_fault(c, ERR_HTTP_BUSY);
			return;
		}
		buf_clear(&body);
		net_watch_peer(n->priv_ev, &n->priv);
		c->state = CONN_WAIT_PRIV;
		return;
	}
	}
}

/* ---- connections ---- */

static void conn_arm_timer(struct conn *c, uint64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(c->timer, &tv);
}

static void conn_free(struct conn *c)
{
	struct net *n = c->net;

	conn_finish_request(c);
	if (c->waiting) {
		c->waiting->conn = NULL;
		c->waiting = NULL;
	}
	net_token_forget(c);
	net_wsman_forget(c);
	net_gss_forget(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		n->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	n->nconns--;
	if (c->timer)
		event_free(c->timer);
	if (c->bev)
		bufferevent_free(c->bev);
	http1_parser_free(c->parser);
	free(c);
}

static void conn_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd, (void)what;

	if (c->state == CONN_WRITING &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		conn_reply_written(c);
		return;
	}
	if (c->state == CONN_DRAINING) {
		conn_free(c);
		return;
	}
	if (c->state != CONN_READING)
		return;
	if (http1_parser_started(c->parser))
		log_info("closing connection from %s: request not received within %d s", c->peer,
			 NET_REQUEST_TIMEOUT_MS / 1000);
	conn_free(c);
}

/* Feeds buffered input to the parser; processes at most one request. */
static void conn_feed(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	while (c->state == CONN_READING && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		size_t used = 0;
		int was_started = http1_parser_started(c->parser);
		struct http1_request *req = NULL;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		enum err e = http1_parse(c->parser, v.iov_base, v.iov_len, &used, &req);
		evbuffer_drain(in, used);
		if (!was_started && http1_parser_started(c->parser)) {
			conn_arm_timer(c, NET_REQUEST_TIMEOUT_MS);
			net_token_touch(c);
		}
		if (e == ERR_INCOMPLETE) {
			if (used == 0)
				break; /* nothing consumable: wait for more bytes */
			continue;
		}
		if (e != ERR_OK) {
			c->close_after_reply = 1;
			c->drain_before_close = 1;
			c->req = NULL;
			net_reply_fault(c, e);
			return;
		}
		evtimer_del(c->timer);
		c->req = req;
		conn_process(c);
	}
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_DRAINING) {
		struct evbuffer *in = bufferevent_get_input(bev);
		c->drained += evbuffer_get_length(in);
		evbuffer_drain(in, evbuffer_get_length(in));
		if (c->drained > NET_DRAIN_MAX_BYTES)
			conn_free(c);
		return;
	}
	conn_feed(c);
}

/* The whole reply is out: close, or get ready for the next request. */
static void conn_reply_written(struct conn *c)
{
	if (c->close_after_reply && c->drain_before_close) {
		c->state = CONN_DRAINING;
		evbuffer_drain(bufferevent_get_input(c->bev),
			       evbuffer_get_length(bufferevent_get_input(c->bev)));
		conn_arm_timer(c, NET_DRAIN_TIMEOUT_MS);
		return;
	}
	if (c->close_after_reply) {
		conn_free(c);
		return;
	}
	c->state = CONN_READING;
	c->req = NULL;
	http1_parser_next(c->parser);
	conn_arm_timer(c, NET_IDLE_TIMEOUT_MS);
	net_token_touch(c);
	/* A pipelined request may already be buffered: parse it from the
	 * loop, not from here, so a long pipeline cannot recurse. */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_WRITING && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_reply_written(c);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	(void)bev;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (what & BEV_EVENT_ERROR) {
			unsigned long e = bufferevent_get_openssl_error(c->bev);
			if (e) {
				char msg[256];
				ERR_error_string_n(e, msg, sizeof(msg));
				log_debug("TLS error from %s: %s", c->peer, msg);
			}
		}
		conn_free(c);
	}
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct net_listener *l = arg;
	struct net *n = l->net;
	char peer[64] = "?";
	const void *addr = NULL;
	int one = 1;
	(void)lev, (void)salen;

	if (sa->sa_family == AF_INET) {
		addr = &((struct sockaddr_in *)sa)->sin_addr;
		inet_ntop(AF_INET, addr, peer, sizeof(peer));
	} else if (sa->sa_family == AF_INET6) {
		addr = &((struct sockaddr_in6 *)sa)->sin6_addr;
		inet_ntop(AF_INET6, addr, peer, sizeof(peer));
	}
	if (!addr || !config_filter_allows(sa->sa_family == AF_INET ? &n->cfg.service.ipv4_filter
								    : &n->cfg.service.ipv6_filter,
					   sa->sa_family, addr)) {
		log_info("connection from %s refused by Service/IPv%dFilter", peer,
			 sa->sa_family == AF_INET ? 4 : 6);
		close(fd);
		return;
	}
	if (n->nconns >= NET_MAX_OPEN_CONNECTIONS) {
		log_warnx("too many open connections: closing one from %s", peer);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->net = n;
	c->serial = ++n->next_serial;
	c->https = l->https;
	snprintf(c->url_path, sizeof(c->url_path), "%s", l->url_path);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->parser = http1_parser_new((size_t)n->cfg.max_envelope_size_kb * 1024);
	c->timer = evtimer_new(n->base, conn_timeout_cb, c);
	if (l->https) {
		SSL *ssl = SSL_new(l->ssl_ctx);
		if (ssl)
			c->bev = bufferevent_openssl_socket_new(n->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
								BEV_OPT_CLOSE_ON_FREE);
	} else {
		c->bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	if (!c->bev || !c->parser || !c->timer) {
		if (!c->bev)
			close(fd);
		if (c->timer)
			event_free(c->timer);
		http1_parser_free(c->parser);
		if (c->bev)
			bufferevent_free(c->bev);
		free(c);
		return;
	}
	c->next = n->conns;
	if (n->conns)
		n->conns->prev = c;
	n->conns = c;
	n->nconns++;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	/* While a request is being answered its successor is not parsed, so
	 * stop reading once this much is buffered. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, NET_MAX_BUFFERED_INPUT);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	/* The first request (and the TLS handshake) must arrive within the
	 * request timeout: a client trickling bytes cannot hold the socket. */
	conn_arm_timer(c, NET_REQUEST_TIMEOUT_MS);
}


/* ---- configuration from the privileged part ---- */

static SSL_CTX *tls_context(const char *cert_pem, const char *key_pem, const char *name)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int ok = 0;

	if (!ctx || !cb || !kb)
		goto out;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Without this OpenSSL 3 reports EOF without close_notify as an error
	 * on every client that simply closes its socket. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (!(cert = PEM_read_bio_X509(cb, NULL, NULL, NULL)) || SSL_CTX_use_certificate(ctx, cert) != 1)
		goto out;
	for (X509 *extra; (extra = PEM_read_bio_X509(cb, NULL, NULL, NULL));)
		if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
			X509_free(extra);
			goto out;
		}
	ERR_clear_error(); /* the loop ends on "no start line" */
	if (!(key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL)) ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1)
		goto out;
	ok = 1;
out:
	if (!ok) {
		char msg[256];
		ERR_error_string_n(ERR_get_error(), msg, sizeof(msg));
		log_warnx("listener %s: certificate or key unusable: %s", name, msg);
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	BIO_free(cb);
	BIO_free(kb);
	return ctx;
}

static void net_close_listeners(struct net *n)
{
	for (uint32_t i = 0; i < n->nlisteners; i++)
		evconnlistener_free(n->listeners[i].lev);
	n->nlisteners = 0;
	/* Live TLS connections hold their own references to these. */
	for (uint32_t i = 0; i < n->nssl_ctxs; i++)
		SSL_CTX_free(n->ssl_ctxs[i]);
	n->nssl_ctxs = 0;
}

static void net_apply_config(struct net *n, struct ipc_msg *m)
{
	struct ipc_config ic;
	struct config cfg;
	struct buf errmsg;
	int fds[IPC_MAX_FDS], nfds = 0;

	memset(&ic, 0, sizeof(ic));
	buf_init(&errmsg, 1024);
	while (nfds < IPC_MAX_FDS && (fds[nfds] = ipc_msg_take_fd(m)) >= 0)
		nfds++;
	if (ipc_config_decode(&m->body, &ic) != ERR_OK || ipc_msg_done(m) != ERR_OK ||
	    ic.nsockets != (uint32_t)nfds ||
	    config_parse(&cfg, ic.config_text, strlen(ic.config_text), &errmsg) != ERR_OK) {
		buf_terminate(&errmsg);
		log_warnx("configuration from the privileged part refused: %s",
			  buf_len(&errmsg) ? (const char *)buf_ptr(&errmsg) : "malformed message");
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		ipc_config_free(&ic);
		buf_clear(&errmsg);
		return;
	}
	buf_clear(&errmsg);

	void *ctxs[IPC_MAX_LISTENERS] = {0};
	for (uint32_t i = 0; i < ic.nlisteners; i++)
		if (ic.listeners[i].https)
			ctxs[i] = tls_context(ic.listeners[i].cert_pem, ic.listeners[i].key_pem,
					      ic.listeners[i].name);

	net_close_listeners(n);
	for (int i = 0; i < nfds; i++) {
		uint32_t li = ic.socket_listener[i];
		struct net_listener *l = &n->listeners[n->nlisteners];
		if (li >= ic.nlisteners || (ic.listeners[li].https && !ctxs[li])) {
			close(fds[i]);
			continue;
		}
		l->net = n;
		l->https = (int)ic.listeners[li].https;
		l->ssl_ctx = ctxs[li];
		snprintf(l->url_path, sizeof(l->url_path), "/%s", ic.listeners[li].url_prefix);
		snprintf(l->name, sizeof(l->name), "%s", ic.listeners[li].name);
		util_set_nonblock(fds[i]);
		l->lev = evconnlistener_new(n->base, accept_cb, l, LEV_OPT_CLOSE_ON_FREE, -1, fds[i]);
		if (!l->lev) {
			close(fds[i]);
			continue;
		}
		n->nlisteners++;
	}
	for (uint32_t i = 0; i < ic.nlisteners; i++)
		if (ctxs[i])
			n->ssl_ctxs[n->nssl_ctxs++] = ctxs[i];
	ipc_config_free(&ic);

	if (n->configured)
		config_free(&n->cfg);
	n->cfg = cfg;
	n->configured = 1;
	n->auth.basic = cfg.service.auth.basic;
	n->auth.negotiate = cfg.service.auth.negotiate;
	n->auth.kerberos = cfg.service.auth.kerberos;
	n->auth.allow_unencrypted = cfg.service.allow_unencrypted;
	/* Settings that decide who may log in may have changed. */
	auth_cache_flush();
	net_wsman_push_settings(n);
	log_info("configuration applied: %u listening sockets", n->nlisteners);
}

/* ---- the channel to the privileged part ---- */

static void priv_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net *n = arg;
	(void)fd;

	if ((what & EV_WRITE) && ipc_flush(&n->priv) != ERR_OK)
		goto lost;
	if (what & EV_READ) {
		for (int i = 0; i < 64; i++) {
			struct ipc_msg m;
			enum err e = ipc_recv(&n->priv, &m);
			if (e == ERR_INCOMPLETE)
				break;
			if (e != ERR_OK)
				goto lost;
			if (m.type == IPC_CONFIG) {
				net_apply_config(n, &m);
			} else {
				struct pending *p = net_pending_take(&n->priv_pending, m.id);
				if (!p) {
					log_warnx("reply %s with unknown id from the privileged part",
						  ipc_type_name(m.type));
				} else if (p->type == IPC_TOKEN_RENEW) {
					/* The connection does not wait for it, and may be gone. */
					net_token_renewed(p, &m);
				} else if (p->type == IPC_HOST_OPEN) {
					/* Handled even when the connection that asked is gone:
					 * others may wait for the same host. */
					enum err why = ERR_WSMAN_INTERNAL;
					if (m.type == IPC_HOST_OPENED)
						net_wsman_host_opened(n, p->host, &m);
					else if (m.type == IPC_HOST_FAILED &&
						 ipc_host_failed_decode(&m.body, &why) == ERR_OK)
						net_wsman_host_failed(n, p->host, why);
					else
						net_wsman_host_failed(n, p->host, ERR_WSMAN_INTERNAL);
				} else if (p->conn) {
					if (m.type == IPC_AUTH_RESULT && p->type == IPC_AUTH_PASSWORD)
						conn_auth_result(p->conn, &m);
					else if (m.type == IPC_AUTH_GSS_RESULT && p->type == IPC_AUTH_GSS)
						net_gss_result(p->conn, &m);
					else if (m.type == IPC_CONFIG_RESULT && p->type == IPC_CONFIG_CHANGE)
						net_config_result(p->conn, &m);
					else
						net_reply_fault(p->conn, ERR_WSMAN_INTERNAL);
				}
				free(p);
			}
			ipc_msg_clear(&m);
		}
	}
	net_watch_peer(n->priv_ev, &n->priv);
	return;
lost:
	log_warnx("lost the privileged part: exiting");
	event_base_loopbreak(n->base);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct net *n = arg;
	(void)what;
	log_info("signal %d: exiting", (int)sig);
	event_base_loopbreak(n->base);
}

int net_main(int priv_fd, uid_t priv_uid, pid_t priv_pid, int foreground, int debug)
{
	struct net n;
	struct rlimit rl;
	(void)foreground, (void)debug;

	memset(&n, 0, sizeof(n));
	signal(SIGPIPE, SIG_IGN);
	/* Thousands of idle keep-alive connections are expected: descriptors are cheap. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (gethostname(n.hostname, sizeof(n.hostname) - 1) != 0)
		snprintf(n.hostname, sizeof(n.hostname), "localhost");
	n.base = event_base_new();
	if (!n.base)
		fatalx("event_base_new failed");
	ipc_peer_init(&n.priv, priv_fd, IPC_ROLE_NET, IPC_ROLE_PRIV, priv_uid, priv_pid);
	n.priv_ev = event_new(n.base, priv_fd, EV_READ | EV_PERSIST, priv_cb, &n);
	struct event *sigterm = evsignal_new(n.base, SIGTERM, signal_cb, &n);
	if (!n.priv_ev || !sigterm)
		fatalx("event_new failed");
	event_add(n.priv_ev, NULL);
	event_add(sigterm, NULL);
	/* The privileged part handles Ctrl-C in the foreground and tells us. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	log_info("network process started");

	event_base_dispatch(n.base);

	while (n.conns)
		conn_free(n.conns);
	net_wsman_shutdown(&n);
	net_config_shutdown(&n);
	net_close_listeners(&n);
	while (n.priv_pending) {
		struct pending *p = n.priv_pending;
		n.priv_pending = p->next;
		free(p);
	}
	if (n.configured)
		config_free(&n.cfg);
	event_free(n.priv_ev);
	event_free(sigterm);
	ipc_peer_close(&n.priv);
	event_base_free(n.base);
	return 0;
}
