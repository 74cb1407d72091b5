/* Unit tests for priv_net_gone: when the network process is lost, the
 * privileged part keeps nothing its successor could use. The tokens
 * issued to the dead process are refused to the next one, a check it
 * asked for is dropped unanswered, a host start under way is answered to
 * nobody (its session process still reaped), and what would have been
 * sent meanwhile goes nowhere. Single-user mode, /bin/true standing in
 * for winrmd; needs the passwd entry root. */
#include "priv_fixture.h"
#include "check.h"

#define REQUEST_ID 7

struct outcome {
	int done, dropped;
};

static void check_done(struct priv *p, void *arg, enum ipc_auth_status status, const char *verdict)
{
	(void)p, (void)status, (void)verdict;
	((struct outcome *)arg)->done++;
}

static void check_dropped(void *arg)
{
	((struct outcome *)arg)->dropped++;
}

/* The successor's channel, as start_net makes it. */
static void next_network_process(struct priv_fixture *f)
{
	int sv[2];

	if (ipc_socketpair(sv) < 0)
		abort();
	ipc_peer_close(&f->net);
	f->p->net = ipc_endpoint_new(f->p->base, sv[0], IPC_ROLE_PRIV, IPC_ROLE_NET, getuid(),
				     getpid(), &fixture_net_ops, f->p);
	ipc_peer_init(&f->net, sv[1], IPC_ROLE_NET, IPC_ROLE_PRIV, getuid(), getpid());
	if (!f->p->net)
		abort();
}

/* Whether the privileged part sends nothing more while its loop turns
 * for half a second. */
static int quiet(struct priv_fixture *f)
{
	struct ipc_msg m;

	for (int i = 0; i < 50; i++) {
		event_base_loop(f->p->base, EVLOOP_NONBLOCK);
		if (ipc_recv(&f->net, &m) != ERR_INCOMPLETE)
			return 0;
		usleep(10000);
	}
	return 1;
}

static void test_nothing_survives(struct priv_fixture *f)
{
	struct ipc_host_open req = {.peer = "127.0.0.1", .scheme = "Basic"};
	struct outcome o = {0};
	struct priv_check check = {check_done, check_dropped, &o};
	uint8_t root[IPC_TOKEN_LEN];
	struct ipc_msg m;
	enum err reason = ERR_OK;

	CHECK("root admitted", fixture_admit(f, "root", root));
	memcpy(req.token, root, IPC_TOKEN_LEN);
	/* A host start under way: the session process is forked, its report
	 * not read yet. */
	priv_host_open(f->p, REQUEST_ID, &req);
	CHECK("a host start is under way", f->p->nsessions == 1);
	/* A check waiting for a PAM worker (all busy). */
	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
		f->p->workers[i].fd = 1000 + i;
	f->p->self_name = (char *)"root"; /* single-user mode's one account */
	priv_account_check(f->p, "root", "192.0.2.1", "Kerberos", &check);
	f->p->self_name = NULL;
	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
		f->p->workers[i].fd = -1;
	CHECK("a check is queued", f->p->queue_len == 1 && o.done == 0);

	priv_net_gone(f->p);
	CHECK("the channel is closed", f->p->net == NULL && fixture_recv(f, &m) == ERR_IO);
	CHECK("the queued check is dropped, not answered", o.done == 0 && o.dropped == 1);
	CHECK("the token is forgotten", priv_token_find(f->p, root) == NULL);
	CHECK("the host start's session process is still reaped",
	      fixture_reap_sessions(f) == 1 && f->p->nsessions == 0);
	priv_net_gone(f->p);
	CHECK("a second loss (reaped after its channel closed) changes nothing",
	      f->p->net == NULL && f->p->nsessions == 0);

	next_network_process(f);
	priv_host_open(f->p, REQUEST_ID, &req);
	CHECK("the dead process's token is refused to the next one",
	      fixture_recv(f, &m) == ERR_OK && m.type == IPC_HOST_FAILED &&
		  ipc_host_failed_decode(&m.body, &reason) == ERR_OK &&
		  reason == ERR_WSMAN_ACCESS_DENIED);
	ipc_msg_clear(&m);
	CHECK("... and nothing else reached it", quiet(f));
}

int main(void)
{
	struct priv_fixture f;

	fixture_start(&f, 0);
	test_nothing_survives(&f);
	fixture_stop(&f);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
