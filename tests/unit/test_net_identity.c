/* Unit tests for the network process's routing by identity (src/net/): a
 * request whose identity no verification filled must never reach a host.
 * OMI ran requests that came without credentials as root, because the
 * caller's uid defaulted to 0 (OMIGOD, CVE-2021-38647); here a zeroed
 * identity (uid 0, nothing else set) asks to be routed while root has a
 * host, and must be refused as unauthenticated. The channels are not
 * connected: what is sent on them waits in their queues, where the test
 * looks for it, and the event loop never runs. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth/auth.h"
#include "common/buf.h"
#include "common/log.h"
#include "ipc/ipc_endpoint.h"
#include "net/net_int.h"
#include "check.h"

static void never_answered(struct request *r, struct user_host *h, struct ipc_msg *m, enum err e)
{
	(void)r, (void)h, (void)m, (void)e;
}

static enum err no_message(void *arg, struct ipc_msg *m)
{
	(void)arg, (void)m;
	return ERR_OK;
}

static void not_closed(void *arg, enum err why)
{
	(void)arg, (void)why;
}

/* A request of identity id on connection c; call is cancelled by the caller. */
static struct request request_as(struct conn *c, const struct auth_identity *id)
{
	struct request r;

	memset(&r, 0, sizeof(r));
	r.conn = c;
	r.id = *id;
	return r;
}

static void test_zeroed_identity_refused(void)
{
	static const struct ipc_endpoint_ops priv_ops = {no_message, not_closed};
	struct event_base *base = event_base_new();
	struct net n;
	struct conn c;
	struct buf body;
	struct auth_identity root_id, zeroed;
	struct ipc_auth_result admitted = {.status = IPC_AUTH_OK, .user = "root", .uid = 0};
	enum err e;

	memset(&n, 0, sizeof(n));
	memset(&c, 0, sizeof(c));
	n.base = base;
	n.priv = ipc_endpoint_new(base, -1, IPC_ROLE_NET, IPC_ROLE_PRIV, 0, 0, &priv_ops, NULL);
	c.net = &n;
	snprintf(c.peer, sizeof(c.peer), "192.0.2.1");
	buf_init(&body, 64);
	buf_put(&body, "x", 1);

	/* Root authenticated, and its host is starting. */
	memset(admitted.token, 0x5a, sizeof(admitted.token));
	auth_identity_set(&admitted, "Basic", &root_id);
	struct request by_root = request_as(&c, &root_id);
	e = net_host_call(&by_root, 1, "", &body, 1000, never_answered);
	struct user_host *root_host = by_root.host;
	CHECK("root's own request reaches root's host",
	      e == ERR_OK && root_host && root_host->uid == 0 && n.hosts == root_host);
	uint32_t root_calls = root_host ? ipc_endpoint_calls(root_host->chan) : 0;

	/* A request whose identity nothing filled: all zeroes, so uid 0. */
	memset(&zeroed, 0, sizeof(zeroed));
	struct request anon = request_as(&c, &zeroed);
	e = net_host_call(&anon, 1, "", &body, 1000, never_answered);
	CHECK("a zeroed identity is not routed to uid 0's host",
	      e == ERR_HTTP_UNAUTHORIZED && !anon.host && !anon.call);
	CHECK("nothing reached root's host, and no host was started",
	      root_host && ipc_endpoint_calls(root_host->chan) == root_calls &&
		  n.hosts == root_host && !root_host->next);
	ipc_endpoint_cancel(anon.call);
	anon = request_as(&c, &zeroed);
	e = root_host ? net_host_call_to(&anon, root_host, &body, 1000, never_answered) : ERR_OK;
	CHECK("a zeroed identity is not routed to a host named directly",
	      e == ERR_HTTP_UNAUTHORIZED && !anon.host && !anon.call &&
		  ipc_endpoint_calls(root_host->chan) == root_calls);
	ipc_endpoint_cancel(anon.call);

	/* Root's identity filled by hand, not by auth_identity_set: the
	 * marker a boolean would have held is not the verified one. */
	struct auth_identity forged = root_id;
	forged.verified = 1;
	anon = request_as(&c, &forged);
	e = net_host_call(&anon, 1, "", &body, 1000, never_answered);
	CHECK("an identity auth_identity_set did not fill is refused",
	      e == ERR_HTTP_UNAUTHORIZED && !anon.host && !anon.call);
	ipc_endpoint_cancel(anon.call);

	ipc_endpoint_cancel(by_root.call);
	net_host_shutdown(&n);
	ipc_endpoint_free(n.priv);
	buf_clear(&body);
	event_base_free(base);
}

int main(void)
{
	log_init("test", 1, 0);
	test_zeroed_identity_refused();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
