/* net_password: network process. Basic passwords go to the privileged
 * part to be checked, one check per set of credentials and client address
 * at a time: requests that carry credentials a check is under way for,
 * from the same address, wait for its answer instead of asking again. Clients that open many
 * connections at once with one account (Ansible's forks, a pool of pywinrm sessions) then cost one
 * PAM conversation, not one each, of which those past Service/MaxConcurrentLogonsPerSource would be
 * 503s. The cache's background rechecks (AUTH_ACCEPTED_RECHECK) go through here too, with no
 * request waiting. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "net/net_int.h"

struct password_check {
	struct password_check *prev, *next; /* in struct net's list */
	struct net *net;
	uint8_t key[AUTH_KEY_LEN];	 /* auth_verify_key of verify */
	int keyed;			 /* 0: no key (no digest), matches nothing */
	struct ipc_auth_password verify; /* what was sent */
	struct ipc_call *call;
	struct request *waiting; /* linked by request.next_waiting */
	net_password_fn *done;	 /* what continues each waiting request */
};

static void check_free(struct password_check *pc)
{
	struct net *n = pc->net;

	if (pc->prev)
		pc->prev->next = pc->next;
	else
		n->password_checks = pc->next;
	if (pc->next)
		pc->next->prev = pc->prev;
	ipc_auth_password_clear(&pc->verify);
	OPENSSL_cleanse(pc->key, sizeof(pc->key));
	free(pc);
}

/* Per address too: every address's logons are its own in the privileged
 * part's log and its failure counts (priv_throttle.c). */
static struct password_check *check_of(struct net *n, const uint8_t key[AUTH_KEY_LEN],
				       const char *peer)
{
	for (struct password_check *pc = n->password_checks; pc; pc = pc->next)
		if (pc->keyed && util_ct_equal(pc->key, key, AUTH_KEY_LEN) &&
		    strcmp(pc->verify.peer, peer) == 0)
			return pc;
	return NULL;
}

static void checked(void *arg, struct ipc_msg *m, enum err e)
{
	struct password_check *pc = arg;
	struct request *waiting = pc->waiting;
	net_password_fn *done = pc->done;
	struct ipc_auth_result res;
	struct auth_identity id;

	pc->call = NULL;
	auth_identity_clear(&id);
	if ((e = net_priv_auth_result(m, e, &res)) == ERR_OK)
		auth_complete(&pc->verify, &res, &id);
	pc->waiting = NULL;
	check_free(pc);
	/* Each waiting request goes on with the one verdict. Their replies
	 * may end their own connections, never another's: the next one is
	 * read before the request is handed on. */
	while (waiting) {
		struct request *r = waiting;
		waiting = r->next_waiting;
		r->password = NULL;
		r->next_waiting = NULL;
		r->id = id;
		done(r, e, res.status);
	}
	auth_identity_clear(&id);
	ipc_auth_result_clear(&res);
}

/* The check of verify's credentials under way, or a new one (verify
 * moved into it); NULL when it could not be sent (verify cleared). */
static struct password_check *check_start(struct net *n, struct ipc_auth_password *verify)
{
	struct password_check *pc;
	uint8_t key[AUTH_KEY_LEN] = {0};
	int keyed = auth_verify_key(verify, key) == 0;

	if (keyed && (pc = check_of(n, key, verify->peer))) {
		ipc_auth_password_clear(verify);
		OPENSSL_cleanse(key, sizeof(key));
		return pc;
	}
	if (!(pc = calloc(1, sizeof(*pc)))) {
		log_warnx("out of memory for a password check");
		ipc_auth_password_clear(verify);
		OPENSSL_cleanse(key, sizeof(key));
		return NULL;
	}
	memcpy(pc->key, key, sizeof(key));
	pc->keyed = keyed;
	OPENSSL_cleanse(key, sizeof(key));
	pc->net = n;
	pc->verify = *verify;
	memset(verify, 0, sizeof(*verify));
	pc->next = n->password_checks;
	if (pc->next)
		pc->next->prev = pc;
	n->password_checks = pc;
	if (net_priv_auth_password(n, &pc->verify, checked, pc, &pc->call) != ERR_OK) {
		check_free(pc);
		return NULL;
	}
	return pc;
}

enum err net_password_check(struct request *r, net_password_fn *done)
{
	struct password_check *pc = check_start(r->conn->net, &r->verify);

	if (!pc)
		return ERR_HTTP_BUSY;
	pc->done = done;
	r->password = pc;
	r->next_waiting = pc->waiting;
	pc->waiting = r;
	return ERR_OK;
}

void net_password_recheck(struct net *n, struct ipc_auth_password *verify)
{
	check_start(n, verify);
}

void net_password_forget(struct request *r)
{
	struct password_check *pc = r->password;

	if (!pc)
		return;
	for (struct request **p = &pc->waiting; *p; p = &(*p)->next_waiting)
		if (*p == r) {
			*p = r->next_waiting;
			break;
		}
	r->password = NULL;
	r->next_waiting = NULL;
	/* The check goes on without it: its answer still fills the cache. */
}

void net_password_shutdown(struct net *n)
{
	while (n->password_checks) {
		struct password_check *pc = n->password_checks;
		ipc_endpoint_cancel(pc->call);
		check_free(pc);
	}
}
