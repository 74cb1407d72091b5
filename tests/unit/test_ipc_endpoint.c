/* Unit tests for src/ipc/ipc_endpoint.c: calls matched to replies, their
 * deadlines, a reply of the wrong type, a lost channel, cancelled calls,
 * a peer that starts late, and endpoints freed from their own callbacks.
 * Both ends live in this process on one event loop (the credential check
 * sees this pid on both sides); every loop is bounded in turns and time. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/util.h"
#include "ipc/ipc.h"
#include "ipc/ipc_endpoint.h"
#include "check.h"

#define MAX_TURNS 2000
#define MAX_WAIT_MS 5000

static struct event_base *base;

/* What one endpoint saw. */
struct seen {
	int requests; /* handle() calls */
	uint32_t last_type, last_id;
	int closed;
	enum err closed_why;
	int free_on_close; /* free the endpoint from closed() */
	struct ipc_endpoint *ep;
};

/* What one call got. */
struct answer {
	int count;
	enum err e;
	uint32_t type;
	int calls_then; /* calls still outstanding when it was answered */
	struct ipc_endpoint *ep;
};

static enum err handle(void *arg, struct ipc_msg *m)
{
	struct seen *s = arg;

	s->requests++;
	s->last_type = m->type;
	s->last_id = m->id;
	return ERR_OK;
}

static void closed(void *arg, enum err why)
{
	struct seen *s = arg;

	s->closed++;
	s->closed_why = why;
	if (s->free_on_close)
		ipc_endpoint_free(s->ep);
}

static const struct ipc_endpoint_ops ops = {handle, closed};

static void answered(void *arg, struct ipc_msg *m, enum err e)
{
	struct answer *a = arg;

	a->count++;
	a->e = e;
	a->type = m ? m->type : 0;
	a->calls_then = a->ep ? (int)ipc_endpoint_calls(a->ep) : -1;
}

/* Runs the loop until *flag is set, at most MAX_TURNS turns and MAX_WAIT_MS. */
static int run_until(const int *flag)
{
	uint64_t deadline = util_now_ms() + MAX_WAIT_MS;

	for (int i = 0; i < MAX_TURNS && !*flag && util_now_ms() < deadline; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(1000);
	return *flag;
}

/* A net endpoint and a priv endpoint on a fresh socketpair. */
static void pair(struct ipc_endpoint **net, struct seen *ns, struct ipc_endpoint **priv,
		 struct seen *ps)
{
	int sv[2];

	memset(ns, 0, sizeof(*ns));
	memset(ps, 0, sizeof(*ps));
	if (ipc_socketpair(sv) < 0)
		abort();
	*net = ns->ep = ipc_endpoint_new(base, sv[0], IPC_ROLE_NET, IPC_ROLE_PRIV, getuid(),
					 getpid(), &ops, ns);
	*priv = ps->ep = ipc_endpoint_new(base, sv[1], IPC_ROLE_PRIV, IPC_ROLE_NET, getuid(),
					  getpid(), &ops, ps);
	if (!*net || !*priv)
		abort();
}

static void send_reply(struct ipc_endpoint *ep, uint32_t type, uint32_t id)
{
	struct buf b;

	buf_init(&b, 64);
	buf_put_u32(&b, 0);
	ipc_endpoint_send(ep, type, id, &b, NULL, 0);
	buf_clear(&b);
}

static void test_call_answered(void)
{
	struct ipc_endpoint *net, *priv;
	struct seen ns, ps;
	struct answer a = {0};
	struct ipc_call *c;
	struct buf b;

	pair(&net, &ns, &priv, &ps);
	a.ep = net;
	buf_init(&b, 64);
	buf_put_cstring(&b, "x");
	CHECK("call: sent",
	      ipc_endpoint_call(net, IPC_HOST_OPEN, &b, 5000, answered, &a, &c) == ERR_OK && c &&
		  ipc_endpoint_calls(net) == 1);
	buf_clear(&b);
	CHECK("call: the peer gets the request",
	      run_until(&ps.requests) && ps.last_type == IPC_HOST_OPEN && ps.last_id != 0);
	send_reply(priv, IPC_HOST_FAILED, ps.last_id);
	CHECK("call: answered once with the reply",
	      run_until(&a.count) && a.count == 1 && a.e == ERR_OK && a.type == IPC_HOST_FAILED);
	CHECK("call: no longer outstanding", a.calls_then == 0 && ipc_endpoint_calls(net) == 0);
	/* A second reply to the same id finds no call: dropped, nothing answered. */
	send_reply(priv, IPC_HOST_FAILED, ps.last_id);
	for (int i = 0; i < 20; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	CHECK("call: a late reply is dropped", a.count == 1 && !ns.closed);
	ipc_endpoint_free(net);
	ipc_endpoint_free(priv);
}

static void test_deadline(void)
{
	struct ipc_endpoint *net, *priv;
	struct seen ns, ps;
	struct answer a = {0};
	struct ipc_call *c;
	uint64_t t0 = util_now_ms();

	pair(&net, &ns, &priv, &ps);
	CHECK("deadline: sent",
	      ipc_endpoint_call(net, IPC_TOKEN_RENEW, NULL, 200, answered, &a, &c) == ERR_OK);
	/* libevent measures the deadline from its loop's cached clock, which
	 * may lag ours by a turn: "not at once" is what is checked. */
	CHECK("deadline: answered ERR_TIMEOUT without a reply",
	      run_until(&a.count) && a.e == ERR_TIMEOUT && a.type == 0 &&
		  util_now_ms() - t0 >= 150);
	CHECK("deadline: the channel stays open", !ns.closed && ipc_endpoint_calls(net) == 0);
	ipc_endpoint_free(net);
	ipc_endpoint_free(priv);
}

static void test_wrong_reply(void)
{
	struct ipc_endpoint *net, *priv;
	struct seen ns, ps;
	struct answer a = {0};
	struct ipc_call *c;

	pair(&net, &ns, &priv, &ps);
	ipc_endpoint_call(net, IPC_AUTH_PASSWORD, NULL, 5000, answered, &a, &c);
	run_until(&ps.requests);
	/* CONFIG_RESULT answers CONFIG_CHANGE, not AUTH_PASSWORD. */
	send_reply(priv, IPC_CONFIG_RESULT, ps.last_id);
	CHECK("wrong reply: answered ERR_FORMAT",
	      run_until(&a.count) && a.e == ERR_FORMAT && a.type == 0);
	ipc_endpoint_free(net);
	ipc_endpoint_free(priv);
}

static void test_lost(void)
{
	struct ipc_endpoint *net, *priv;
	struct seen ns, ps;
	struct answer a1 = {0}, a2 = {0};
	struct ipc_call *c1, *c2;

	pair(&net, &ns, &priv, &ps);
	ipc_endpoint_call(net, IPC_AUTH_GSS, NULL, 5000, answered, &a1, &c1);
	ipc_endpoint_call(net, IPC_AUTH_GSS, NULL, 5000, answered, &a2, &c2);
	ipc_endpoint_cancel(c2);
	ipc_endpoint_free(priv);
	CHECK("lost: closed, why ERR_IO",
	      run_until(&ns.closed) && ns.closed == 1 && ns.closed_why == ERR_IO);
	CHECK("lost: the call answered ERR_IO", a1.count == 1 && a1.e == ERR_IO);
	CHECK("lost: a cancelled call is not answered", a2.count == 0);
	struct ipc_call *c3;
	CHECK("lost: later calls fail at once",
	      ipc_endpoint_call(net, IPC_AUTH_GSS, NULL, 5000, answered, &a2, &c3) == ERR_IO &&
		  !c3 && ipc_endpoint_send(net, IPC_AUTH_GSS, 0, NULL, NULL, 0) == ERR_IO);
	ipc_endpoint_free(net);
}

static void test_free_in_callback(void)
{
	struct ipc_endpoint *net, *priv;
	struct seen ns, ps;
	struct answer a = {0};
	struct ipc_call *c;

	pair(&net, &ns, &priv, &ps);
	ns.free_on_close = 1;
	ipc_endpoint_call(net, IPC_AUTH_GSS, NULL, 5000, answered, &a, &c);
	ipc_endpoint_free(priv);
	/* The owner freed it in closed(): its calls go unanswered, and
	 * LeakSanitizer checks nothing is left. */
	CHECK("free in callback: closed once, no answer",
	      run_until(&ns.closed) && ns.closed == 1 && a.count == 0);
}

static void test_fail(void)
{
	struct ipc_endpoint *net, *priv;
	struct seen ns, ps;
	struct answer a = {0}, b = {0};
	struct ipc_call *c;

	pair(&net, &ns, &priv, &ps);
	ipc_endpoint_call(net, IPC_HOST_OPEN, NULL, 5000, answered, &a, &c);
	ipc_endpoint_call(net, IPC_HOST_OPEN, NULL, 5000, answered, &b, &c);
	ipc_endpoint_fail(net, ERR_WSMAN_QUOTA_USERS);
	CHECK("fail: every call answered with the reason", a.count == 1 && b.count == 1 &&
							       a.e == ERR_WSMAN_QUOTA_USERS &&
							       b.e == ERR_WSMAN_QUOTA_USERS);
	CHECK("fail: not a loss of the peer", ns.closed == 0 && ipc_endpoint_calls(net) == 0);
	ipc_endpoint_free(net);
	ipc_endpoint_free(priv);
}

/* A host's channel before the host exists: calls queue, then go. */
static void test_detached(void)
{
	struct ipc_endpoint *net, *host;
	struct seen ns, hs;
	struct answer a = {0};
	struct ipc_call *c;
	int sv[2];

	memset(&ns, 0, sizeof(ns));
	memset(&hs, 0, sizeof(hs));
	net = ipc_endpoint_new(base, -1, IPC_ROLE_NET, IPC_ROLE_HOST, 0, 0, &ops, &ns);
	CHECK("detached: a call queues",
	      net && ipc_endpoint_call(net, IPC_SHELL_REQUEST, NULL, 5000, answered, &a, &c) ==
			 ERR_OK);
	ipc_socketpair(sv);
	hs.ep = host = ipc_endpoint_new(base, sv[1], IPC_ROLE_HOST, IPC_ROLE_NET, getuid(),
					getpid(), &ops, &hs);
	CHECK("detached: attach", ipc_endpoint_attach(net, sv[0], getuid(), getpid()) == ERR_OK);
	CHECK("detached: the queued request arrives",
	      run_until(&hs.requests) && hs.last_type == IPC_SHELL_REQUEST);
	send_reply(host, IPC_SHELL_REPLY, hs.last_id);
	CHECK("detached: answered",
	      run_until(&a.count) && a.e == ERR_OK && a.type == IPC_SHELL_REPLY);
	ipc_endpoint_free(net);
	ipc_endpoint_free(host);
}

int main(void)
{
	log_init("test", 1, 0);
	base = event_base_new();
	test_call_answered();
	test_deadline();
	test_wrong_reply();
	test_lost();
	test_free_in_callback();
	test_fail();
	test_detached();
	event_base_free(base);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
