/* Unit tests for priv_host: a host start the privileged part cannot watch
 * for lack of memory fails that one request (IPC_HOST_FAILED, as a failed
 * fork does), not the service. Needs the passwd entry root; no session
 * process is started. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "priv/priv_int.h"
#include "check.h"
#include "event_fail.h"

static enum err handle(void *arg, struct ipc_msg *m)
{
	(void)arg;
	(void)m;
	return ERR_OK;
}

static void closed(void *arg, enum err why)
{
	(void)arg;
	(void)why;
}

static const struct ipc_endpoint_ops ops = {handle, closed};

/* What the network process received: the reason of an IPC_HOST_FAILED
 * answering id, or ERR_FORMAT for anything else. */
static enum err host_failed_reason(struct ipc_peer *net, uint32_t id)
{
	struct ipc_msg msg;
	enum err reason = ERR_FORMAT;

	if (ipc_recv(net, &msg) != ERR_OK)
		return ERR_FORMAT;
	if (msg.type != IPC_HOST_FAILED || msg.id != id ||
	    ipc_host_failed_decode(&msg.body, &reason) != ERR_OK)
		reason = ERR_FORMAT;
	ipc_msg_clear(&msg);
	return reason;
}

/* libevent out of memory while a host starts (event_new, then event_add):
 * before the fork, so no session process runs, nothing is counted and no
 * descriptor leaks. */
static void test_host_open_no_memory(void)
{
	static const char *const what[] = {"event_new", "event_add"};

	for (long after = 0; after < 2; after++) {
		struct priv *p = calloc(1, sizeof(*p));
		struct ipc_host_open m;
		struct ipc_auth_result res = {0};
		struct ipc_peer net;
		char user[IPC_MAX_USER + 1], name[128];
		int sv[2];

		if (!p || ipc_socketpair(sv) < 0)
			abort();
		p->privsep = 1;
		for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
			p->workers[i].fd = -1;
		p->cfg.winrs.max_concurrent_users = 1;
		p->base = event_base_new();
		p->net = ipc_endpoint_new(p->base, sv[0], IPC_ROLE_PRIV, IPC_ROLE_NET, getuid(), getpid(),
					  &ops, p);
		ipc_peer_init(&net, sv[1], IPC_ROLE_NET, IPC_ROLE_PRIV, getuid(), getpid());
		priv_auth_admit(p, "root", &res, user);
		memcpy(m.token, res.token, IPC_TOKEN_LEN);
		int fd = event_fail_next_fd();

		event_fail_after = after;
		priv_host_open(p, 7, &m);
		event_fail_after = -1;
		snprintf(name, sizeof(name), "no memory for %s: the request gets IPC_HOST_FAILED",
			 what[after]);
		CHECK(name, res.status == IPC_AUTH_OK &&
				    host_failed_reason(&net, 7) == ERR_WSMAN_INTERNAL);
		snprintf(name, sizeof(name), "no memory for %s: no session counted", what[after]);
		CHECK(name, p->nsessions == 0 && !p->sessions);
		snprintf(name, sizeof(name), "no memory for %s: no session process, no descriptor leaked",
			 what[after]);
		CHECK(name, waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD &&
				    event_fail_next_fd() == fd);
		ipc_peer_close(&net);
		ipc_endpoint_free(p->net);
		priv_auth_stop(p);
		event_base_free(p->base);
		free(p);
	}
}

int main(void)
{
	event_fail_install();
	test_host_open_no_memory();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
