/* net_account: network process. The requests each account has under way,
 * so that one account cannot hold every one of MaxConnections' active
 * requests (long-polled Receives, mostly) and lock the others out
 * (issue 14, item 7): it may hold Service/MaxConnectionsPerUserPercent of
 * them. An account is counted from the moment its request is authenticated
 * until the request ends; it has an entry only while it has requests. */
#include <stdlib.h>

#include "common/log.h"
#include "net/net_int.h"

static struct net_account **bucket(struct net *n, uid_t uid)
{
	return &n->accounts[(uint32_t)uid % NET_ACCOUNT_BUCKETS];
}

/* The most requests one account may have under way: its share of
 * MaxConnections, at least one. */
static uint32_t account_share(const struct config *cfg)
{
	uint64_t share = (uint64_t)cfg->service.max_connections *
			 cfg->service.max_connections_per_user_percent / 100;
	return share > 0 ? (uint32_t)share : 1;
}

enum err net_account_enter(struct request *r)
{
	struct net *n = r->conn->net;
	struct net_account **b = bucket(n, r->id.uid), *a;
	uint32_t share = account_share(&n->cfg);

	for (a = *b; a && a->uid != r->id.uid; a = a->next)
		;
	if (a && a->active >= share) {
		log_warnx("%s has %u requests under way, its share (%u%%) of MaxConnections (%u): "
			  "refusing one from %s",
			  r->id.user, a->active, n->cfg.service.max_connections_per_user_percent,
			  n->cfg.service.max_connections, r->conn->peer);
		return ERR_WSMAN_QUOTA_PROCESSES;
	}
	if (!a) {
		if (!(a = calloc(1, sizeof(*a))))
			return ERR_HTTP_BUSY;
		a->uid = r->id.uid;
		a->next = *b;
		*b = a;
	}
	a->active++;
	r->account = a;
	return ERR_OK;
}

void net_account_leave(struct request *r)
{
	struct net_account *a = r->account;

	if (!a)
		return;
	r->account = NULL;
	if (--a->active > 0)
		return;
	for (struct net_account **pp = bucket(r->conn->net, a->uid); *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	free(a);
}
