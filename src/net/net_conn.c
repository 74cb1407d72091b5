/* net_conn: network process. A client's TCP (or TLS) connection: accepted
 * through the address filters, its bytes read and fed to the HTTP parser
 * one request at a time, the reply written, the timers of a request that
 * trickles in and of keep-alive idleness, and the lingering close after an
 * error. A whole request goes to net_request.c; its reply comes back as
 * bytes to write. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "net/net_int.h"

static void conn_reply_written(struct conn *c);

/* The cap on the bytes bodies of unverified requests hold together. */
static size_t unverified_cap(const struct net *n)
{
	size_t envelopes = (size_t)n->cfg.max_envelope_size_kb * 1024 * NET_UNVERIFIED_ENVELOPES;
	return envelopes > NET_UNVERIFIED_BYTES ? envelopes : NET_UNVERIFIED_BYTES;
}

/* The request's body is gone (its reply is out, the body was dropped, the
 * connection closes): its bytes no longer count. Once
 * such bodies have shrunk to a quarter of what they had reached, the heap
 * they left is given back to the system (the trim event, net.c). */
static void conn_release_unverified(struct conn *c)
{
	struct net *n = c->net;
	const struct timeval delay = {NET_TRIM_DELAY_MS / 1000, (NET_TRIM_DELAY_MS % 1000) * 1000};

	if (!c->unverified_held)
		return;
	n->unverified_bytes -= c->unverified_held;
	c->unverified_held = 0;
	if (n->unverified_peak >= NET_TRIM_MARK && n->unverified_bytes <= n->unverified_peak / 4 &&
	    !evtimer_pending(n->trim, NULL)) {
		n->unverified_peak = n->unverified_bytes;
		evtimer_add(n->trim, &delay);
	}
}

/* The parser's body policy (http1_body_fn): what a request's body may
 * hold before anyone knows who sent it. */
static enum http1_body conn_body_policy(void *arg, const struct http1_request *req, size_t total)
{
	struct conn *c = arg;
	struct net *n = c->net;
	size_t cap = unverified_cap(n), more = total - c->unverified_held; /* chunks only add */
	int anonymous = !req->has_authorization;

	/* On a connection Negotiate, Kerberos or CredSSP authenticated, a
	 * request without credentials is one like any other (credentials in
	 * it would start a new logon). */
	if (anonymous && auth_identity_valid(&c->gss.id))
		return HTTP1_BODY_KEEP;
	if ((!anonymous || total <= NET_UNVERIFIED_BODY_MAX) && n->unverified_bytes <= cap &&
	    more <= cap - n->unverified_bytes) {
		n->unverified_bytes += more;
		c->unverified_held = total;
		if (n->unverified_bytes > n->unverified_peak)
			n->unverified_peak = n->unverified_bytes;
		return HTTP1_BODY_KEEP;
	}
	/* Elsewhere a request without credentials is answered 401 whatever
	 * its body says, bar a small Identify (and that too when there is no
	 * room). */
	if (anonymous) {
		conn_release_unverified(c);
		return HTTP1_BODY_DISCARD;
	}
	/* No room: Basic credentials the cache says were checked a moment ago
	 * are as good as verified. Asked only now, as it costs a digest. */
	if (auth_basic_cached(&n->auth, c->https, req->authorization))
		return HTTP1_BODY_KEEP;
	log_warnx("bodies of requests not authenticated yet hold %zu bytes, the most "
		  "allowed %zu: refusing %zu more from %s",
		  n->unverified_bytes, cap, more, c->peer);
	return HTTP1_BODY_REFUSE;
}

static void conn_arm_timer(struct conn *c, uint64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
			     .tv_usec = (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(c->timer, &tv);
}

void net_conn_free(struct conn *c)
{
	struct net *n = c->net;

	if (c->req)
		net_request_free(c->req);
	conn_release_unverified(c);
	net_gss_forget(c);
	net_cert_forget(c);
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

void net_conn_send(struct conn *c, const struct buf *head, const struct buf *body, int keep_alive)
{
	size_t done = 0, hlen = buf_len(head), blen = body ? buf_len(body) : 0;

	c->close_after_reply = !keep_alive;
	c->state = CONN_WRITING;
	/* Plain HTTP: write the reply now, head and body in one call; handing
	 * it to the bufferevent would cost an epoll_ctl to add and one to
	 * remove the write event for every request. Only a remainder goes
	 * through it. The body is never copied behind the head. */
	if (!c->https) {
		struct iovec iov[2] = {{(void *)buf_ptr(head), hlen},
				       {(void *)(body ? buf_ptr(body) : NULL), blen}};
		ssize_t w;
		do
			w = writev(bufferevent_getfd(c->bev), iov, blen ? 2 : 1);
		while (w < 0 && errno == EINTR);
		done = w > 0 ? (size_t)w : 0;
	}
	if (done < hlen)
		bufferevent_write(c->bev, buf_ptr(head) + done, hlen - done);
	if (blen && done < hlen + blen) {
		size_t from = done > hlen ? done - hlen : 0;
		bufferevent_write(c->bev, buf_ptr(body) + from, blen - from);
	}
	if (done > 0 && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		/* Closing frees c, which the caller may still be using (the
		 * read loop in conn_feed): leave that to the next loop turn. */
		if (c->close_after_reply)
			conn_arm_timer(c, 0);
		else
			conn_reply_written(c);
	}
}

static void conn_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd, (void)what;

	if (c->state == CONN_WRITING && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		conn_reply_written(c);
		return;
	}
	if (c->state == CONN_DRAINING) {
		net_conn_free(c);
		return;
	}
	if (c->state != CONN_READING)
		return;
	if (http1_parser_started(c->parser))
		log_info("closing connection from %s: request not received within %d s", c->peer,
			 NET_REQUEST_TIMEOUT_MS / 1000);
	net_conn_free(c);
}

/* Feeds buffered input to the parser; processes at most one request. */
static void conn_feed(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	while (c->state == CONN_READING && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		size_t used = 0;
		int was_started = http1_parser_started(c->parser);
		struct http1_request *http = NULL;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		enum err e = http1_parse(c->parser, v.iov_base, v.iov_len, &used, &http);
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
		/* Whatever happens to the request now has its own deadline. */
		evtimer_del(c->timer);
		c->state = CONN_ANSWERING;
		/* Until its reply is out, what the client sends next is read
		 * ahead only so far: a connection without a Negotiate, Kerberos
		 * or CredSSP identity gets an unverified body's budget. */
		bufferevent_setwatermark(c->bev, EV_READ, 0,
					 auth_identity_valid(&c->gss.id) ? NET_MAX_BUFFERED_INPUT
									 : NET_UNVERIFIED_BODY_MAX);
		net_request_start(c, e == ERR_OK ? http : NULL, e);
		return;
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
			net_conn_free(c);
		return;
	}
	conn_feed(c);
}

void net_conn_end_logon(struct conn *c)
{
	c->logon_over = 1;
	if (c->state == CONN_READING && !http1_parser_started(c->parser))
		conn_arm_timer(c, 0); /* idle: closed from the loop, as on a timeout */
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
	if (c->close_after_reply || c->logon_over) {
		net_conn_free(c);
		return;
	}
	c->state = CONN_READING;
	conn_release_unverified(c);
	http1_parser_next(c->parser);
	conn_arm_timer(c, NET_IDLE_TIMEOUT_MS);
	net_token_touch(c);
	/* A pipelined request may already be buffered: parse it from the
	 * loop, not from here, so a long pipeline cannot recurse. */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		bufferevent_trigger(c->bev, EV_READ,
				    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
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
		net_conn_free(c);
	}
}

static uint16_t port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

/* "Address=*+Transport=HTTP port 5985": the listener and the local port. */
static void listener_name(const struct net_listener *l, int fd, char *out, size_t len)
{
	struct sockaddr_storage local;
	socklen_t locallen = sizeof(local);

	if (getsockname(fd, (struct sockaddr *)&local, &locallen) != 0)
		local.ss_family = AF_UNSPEC;
	snprintf(out, len, "%s port %u", l->name, port_of((const struct sockaddr *)&local));
}

/* A connection Service/IPv4Filter or IPv6Filter refuses: a refusal
 * before any request, so with the connection's fields alone. */
static void refused_by_filter(const struct net_listener *l, int fd, const struct sockaddr *sa,
			      const char *peer)
{
	struct audit_event ev;

	audit_event_init(&ev, AUDIT_REFUSAL);
	AUDIT_SET(&ev, source_address, peer);
	ev.source_port = port_of(sa);
	listener_name(l, fd, ev.listener, sizeof(ev.listener));
	AUDIT_SET(&ev, reason,
		  sa->sa_family == AF_INET ? "refused by Service/IPv4Filter"
					   : "refused by Service/IPv6Filter");
	net_audit_send(l->net, &ev);
}

void net_conn_accept(struct net_listener *l, int fd, const struct sockaddr *sa)
{
	struct net *n = l->net;
	const struct config_filter *filter = NULL;
	char peer[64] = "?";
	const void *addr = NULL;
	int one = 1;

	if (sa->sa_family == AF_INET) {
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
		filter = &n->cfg.service.ipv4_filter;
	} else if (sa->sa_family == AF_INET6) {
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		filter = &n->cfg.service.ipv6_filter;
	}
	if (addr)
		inet_ntop(sa->sa_family, addr, peer, sizeof(peer));
	if (!addr || !config_filter_allows(filter, sa->sa_family, addr)) {
		log_info("connection from %s refused by Service/IPv%dFilter", peer,
			 sa->sa_family == AF_INET ? 4 : 6);
		refused_by_filter(l, fd, sa, peer);
		close(fd);
		return;
	}
	if (n->nconns >= n->max_conns) {
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
	auth_identity_clear(&c->gss.id);
	auth_identity_clear(&c->cert.id);
	c->serial = ++n->next_serial;
	c->https = l->https;
	snprintf(c->url_path, sizeof(c->url_path), "%s", l->url_path);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->peer_port = port_of(sa);
	listener_name(l, fd, c->listener, sizeof(c->listener));
	c->parser = http1_parser_new((size_t)n->cfg.max_envelope_size_kb * 1024);
	c->timer = evtimer_new(n->base, conn_timeout_cb, c);
	if (l->https) {
		SSL *ssl = SSL_new(l->ssl_ctx);
		if (ssl)
			c->bev = bufferevent_openssl_socket_new(
			    n->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
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
	http1_parser_set_body_policy(c->parser, conn_body_policy, c);
	c->next = n->conns;
	if (n->conns)
		n->conns->prev = c;
	n->conns = c;
	n->nconns++;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	/* While a request is being answered its successor is not parsed, so
	 * stop reading once this much is buffered (conn_feed sets it per
	 * request). */
	bufferevent_setwatermark(c->bev, EV_READ, 0, NET_UNVERIFIED_BODY_MAX);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	/* The first request (and the TLS handshake) must arrive within the
	 * request timeout: a client trickling bytes cannot hold the socket. */
	conn_arm_timer(c, NET_REQUEST_TIMEOUT_MS);
}
