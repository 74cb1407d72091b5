/* ipc_endpoint: an IPC channel on a libevent loop, with calls matched to
 * their replies by id and bounded by deadlines (any role). */
#include "ipc/ipc_endpoint.h"

#include <stdlib.h>

#include <event2/event.h>

#include "common/log.h"

struct ipc_call {
	struct ipc_endpoint *ep;
	struct ipc_call *prev, *next;
	uint32_t id;
	uint32_t type; /* of the request */
	struct event *timer;
	ipc_answer_fn *answer;
	void *arg;
};

struct ipc_endpoint {
	struct event_base *base;
	struct ipc_peer peer;
	struct event *rev, *wev; /* NULL until the socket is attached */
	const struct ipc_endpoint_ops *ops;
	void *arg;
	struct ipc_call *calls;
	uint32_t ncalls;
	uint32_t next_id;
	int closed;
	/* Callbacks running now: a free asked for meanwhile waits for them. */
	int depth;
	int free_pending;
};

static void read_cb(evutil_socket_t fd, short what, void *arg);
static void write_cb(evutil_socket_t fd, short what, void *arg);

static void destroy(struct ipc_endpoint *ep)
{
	while (ep->calls)
		ipc_endpoint_cancel(ep->calls);
	if (ep->rev)
		event_free(ep->rev);
	if (ep->wev)
		event_free(ep->wev);
	ipc_peer_close(&ep->peer);
	free(ep);
}

static void enter(struct ipc_endpoint *ep)
{
	ep->depth++;
}

/* Leaves a callback section; the last one out does a pending free. */
static void leave(struct ipc_endpoint *ep)
{
	if (--ep->depth == 0 && ep->free_pending)
		destroy(ep);
}

/* Write interest only while messages wait: an idle channel costs no wakeups. */
static void watch_writes(struct ipc_endpoint *ep)
{
	if (!ep->wev || ep->closed)
		return;
	if (ipc_pending(&ep->peer))
		event_add(ep->wev, NULL);
	else
		event_del(ep->wev);
}

struct ipc_endpoint *ipc_endpoint_new(struct event_base *base, int fd, enum ipc_role self,
				      enum ipc_role peer, uid_t peer_uid, pid_t peer_pid,
				      const struct ipc_endpoint_ops *ops, void *arg)
{
	struct ipc_endpoint *ep = calloc(1, sizeof(*ep));

	if (!ep)
		return NULL;
	ep->base = base;
	ep->ops = ops;
	ep->arg = arg;
	ipc_peer_init_detached(&ep->peer, self, peer);
	/* On failure the socket stays the caller's: it was never attached. */
	if (fd >= 0 && ipc_endpoint_attach(ep, fd, peer_uid, peer_pid) != ERR_OK) {
		destroy(ep);
		return NULL;
	}
	return ep;
}

enum err ipc_endpoint_attach(struct ipc_endpoint *ep, int fd, uid_t peer_uid, pid_t peer_pid)
{
	if (ep->closed || ep->rev)
		return ERR_USAGE;
	ep->rev = event_new(ep->base, fd, EV_READ | EV_PERSIST, read_cb, ep);
	ep->wev = event_new(ep->base, fd, EV_WRITE | EV_PERSIST, write_cb, ep);
	if (!ep->rev || !ep->wev || event_add(ep->rev, NULL) < 0) {
		if (ep->rev)
			event_free(ep->rev);
		if (ep->wev)
			event_free(ep->wev);
		ep->rev = ep->wev = NULL;
		return ERR_NOMEM;
	}
	ipc_peer_attach(&ep->peer, fd, peer_uid, peer_pid);
	watch_writes(ep); /* what queued before the peer was there */
	return ERR_OK;
}

void ipc_endpoint_free(struct ipc_endpoint *ep)
{
	if (!ep)
		return;
	if (ep->depth > 0)
		ep->free_pending = 1;
	else
		destroy(ep);
}

static void unlink_call(struct ipc_call *c)
{
	struct ipc_endpoint *ep = c->ep;

	if (c->prev)
		c->prev->next = c->next;
	else
		ep->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ep->ncalls--;
	c->ep = NULL;
}

static void call_free(struct ipc_call *c)
{
	if (c->timer)
		event_free(c->timer);
	free(c);
}

/* Takes c off the endpoint and answers it. */
static void deliver(struct ipc_call *c, struct ipc_msg *m, enum err e)
{
	unlink_call(c);
	c->answer(c->arg, m, e);
	call_free(c);
}

void ipc_endpoint_cancel(struct ipc_call *c)
{
	if (!c)
		return;
	unlink_call(c);
	call_free(c);
}

uint32_t ipc_call_id(const struct ipc_call *call)
{
	return call->id;
}

uint32_t ipc_endpoint_calls(const struct ipc_endpoint *ep)
{
	return ep->ncalls;
}

static void close_channel(struct ipc_endpoint *ep)
{
	ep->closed = 1;
	if (ep->rev)
		event_del(ep->rev);
	if (ep->wev)
		event_del(ep->wev);
	ipc_peer_close(&ep->peer);
}

void ipc_endpoint_fail(struct ipc_endpoint *ep, enum err e)
{
	enter(ep);
	close_channel(ep);
	while (ep->calls && !ep->free_pending)
		deliver(ep->calls, NULL, e);
	leave(ep);
}

/* The peer went away or broke the protocol. */
static void lose(struct ipc_endpoint *ep, enum err why)
{
	if (ep->closed)
		return;
	close_channel(ep);
	if (ep->ops->closed)
		ep->ops->closed(ep->arg, why);
	while (ep->calls && !ep->free_pending)
		deliver(ep->calls, NULL, ERR_IO);
}

enum err ipc_endpoint_send(struct ipc_endpoint *ep, uint32_t type, uint32_t id,
			   const struct buf *body, const int *fds, int nfds)
{
	enum err e;

	if (ep->closed)
		return ERR_IO;
	e = ipc_send(&ep->peer, type, id, body, fds, nfds);
	watch_writes(ep);
	return e;
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_call *c = arg;
	struct ipc_endpoint *ep = c->ep;
	(void)fd, (void)what;

	log_warnx("ipc: no answer to %s %u within its deadline", ipc_type_name(c->type), c->id);
	enter(ep);
	deliver(c, NULL, ERR_TIMEOUT);
	leave(ep);
}

enum err ipc_endpoint_call(struct ipc_endpoint *ep, uint32_t type, const struct buf *body,
			   uint64_t timeout_ms, ipc_answer_fn *answer, void *arg,
			   struct ipc_call **call)
{
	struct timeval tv = {.tv_sec = (time_t)(timeout_ms / 1000),
			     .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000};
	struct ipc_call *c;
	enum err e;

	*call = NULL;
	if (ep->closed)
		return ERR_IO;
	if (!(c = calloc(1, sizeof(*c))) || !(c->timer = evtimer_new(ep->base, timeout_cb, c))) {
		free(c);
		return ERR_NOMEM;
	}
	/* 0 is the id of notices, which answer nothing. */
	if (++ep->next_id == 0)
		ep->next_id = 1;
	c->id = ep->next_id;
	if ((e = ipc_endpoint_send(ep, type, c->id, body, NULL, 0)) != ERR_OK ||
	    evtimer_add(c->timer, &tv) < 0) {
		call_free(c);
		return e != ERR_OK ? e : ERR_NOMEM;
	}
	c->type = type;
	c->answer = answer;
	c->arg = arg;
	c->ep = ep;
	c->next = ep->calls;
	if (ep->calls)
		ep->calls->prev = c;
	ep->calls = c;
	ep->ncalls++;
	*call = c;
	return ERR_OK;
}

static struct ipc_call *call_find(struct ipc_endpoint *ep, uint32_t id)
{
	for (struct ipc_call *c = ep->calls; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void dispatch(struct ipc_endpoint *ep, struct ipc_msg *m)
{
	uint32_t asked = ipc_answers(m->type);
	struct ipc_call *c;
	enum err e;

	if (asked == IPC_NONE) {
		if ((e = ep->ops->handle(ep->arg, m)) != ERR_OK)
			lose(ep, e);
		return;
	}
	/* A call whose deadline passed is forgotten: its reply comes late. */
	if (!(c = call_find(ep, m->id))) {
		log_info("ipc: %s for no outstanding call (id %u): dropped", ipc_type_name(m->type),
			 m->id);
		return;
	}
	if (asked != c->type) {
		log_warnx("ipc: %s does not answer %s", ipc_type_name(m->type),
			  ipc_type_name(c->type));
		deliver(c, NULL, ERR_FORMAT);
		return;
	}
	deliver(c, m, ERR_OK);
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_endpoint *ep = arg;
	(void)fd, (void)what;

	enter(ep);
	for (int i = 0; i < IPC_ENDPOINT_BATCH && !ep->closed && !ep->free_pending; i++) {
		struct ipc_msg m;
		enum err e = ipc_recv(&ep->peer, &m);
		if (e == ERR_INCOMPLETE)
			break;
		if (e != ERR_OK) {
			lose(ep, e == ERR_IO ? ERR_IO : ERR_FORMAT);
			break;
		}
		dispatch(ep, &m);
		ipc_msg_clear(&m);
	}
	leave(ep);
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_endpoint *ep = arg;
	(void)fd, (void)what;

	enter(ep);
	if (ipc_flush(&ep->peer) != ERR_OK)
		lose(ep, ERR_IO);
	else
		watch_writes(ep);
	leave(ep);
}
