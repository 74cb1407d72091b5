/* net_token: network process. Keeps the host token of a connection that
 * Negotiate or Kerberos authenticated alive while the connection is in use.
 * Those schemes authenticate the connection once (winrm-protocol.md 1.7),
 * and it may stay open for hours, but the token of its handshake, which
 * starts the user's host (IPC_HOST_OPEN) and carries an administrator's
 * configuration changes (IPC_CONFIG_CHANGE), lasts IPC_TOKEN_LIFETIME_MS.
 * Basic needs none of this: it is verified again (or found in the cache of
 * recent verifications) on every request. When and why the token is
 * renewed: NET_TOKEN_RENEW_AGE_MS. The renewal is asked like everything
 * else from the privileged part, without waiting: the connection goes on
 * with the old token, still good, until the new one arrives. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "net/net_int.h"

void net_token_touch(struct conn *c)
{
	struct net *n = c->net;
	struct ipc_token_renew m;
	struct pending *p;
	struct buf body;
	uint64_t now = util_now_ms();
	uint32_t id;
	enum err e;

	if (!c->gss_id.valid || !c->gss_token_ms || c->gss_renewing ||
	    now - c->gss_token_ms <= NET_TOKEN_RENEW_AGE_MS)
		return;
	memcpy(m.token, c->gss_id.token, sizeof(m.token));
	buf_init(&body, 256);
	e = ipc_token_renew_encode(&body, &m);
	if (e == ERR_OK && !(p = net_pending_new(&n->priv_pending, IPC_TOKEN_RENEW, c, &id)))
		e = ERR_NOMEM;
	if (e == ERR_OK && (e = ipc_send(&n->priv, IPC_TOKEN_RENEW, id, &body, NULL, 0)) != ERR_OK)
		free(net_pending_take(&n->priv_pending, id));
	OPENSSL_cleanse(&m, sizeof(m));
	buf_clear(&body);
	if (e != ERR_OK) {
		/* The next use of the connection tries again. */
		log_warnx("cannot ask for the renewal of a host token: %s", err_str(e));
		return;
	}
	p->asked_ms = now;
	c->gss_renewing = p;
	net_watch_peer(n->priv_ev, &n->priv);
}

void net_token_renewed(struct pending *p, struct ipc_msg *m)
{
	struct conn *c = p->conn;
	struct ipc_token_renewed r;

	if (m->type != IPC_TOKEN_RENEWED || ipc_token_renewed_decode(&m->body, &r) != ERR_OK ||
	    ipc_msg_done(m) != ERR_OK) {
		log_warnx("bad answer %s to a token renewal from the privileged part",
			  ipc_type_name(m->type));
		return;
	}
	/* !c: the connection closed, or authenticated anew, meanwhile. */
	if (!c) {
		OPENSSL_cleanse(&r, sizeof(r));
		return;
	}
	if (r.status != IPC_AUTH_OK) {
		/* The privileged part logged why. The old token serves until it
		 * expires; asking again would be refused again. */
		log_debug("host token of connection %llu from %s (user %s) not renewed",
			  (unsigned long long)c->serial, c->peer, c->gss_id.user);
		c->gss_token_ms = 0;
	} else if (!c->gss_id.valid || r.uid != (uint32_t)c->gss_id.uid) {
		log_warnx(
		    "token renewal for connection %llu answered for uid %u, not %s's: ignored",
		    (unsigned long long)c->serial, (unsigned)r.uid, c->gss_id.user);
	} else {
		memcpy(c->gss_id.token, r.token, sizeof(c->gss_id.token));
		c->gss_id.is_admin = r.is_admin != 0;
		/* The token was made after the request went out: counting from
		 * then can only overstate its age. */
		c->gss_token_ms = p->asked_ms;
		log_debug("host token renewed for connection %llu from %s (user %s)",
			  (unsigned long long)c->serial, c->peer, c->gss_id.user);
	}
	OPENSSL_cleanse(&r, sizeof(r));
}

void net_token_forget(struct conn *c)
{
	if (c->gss_renewing) {
		c->gss_renewing->conn = NULL;
		c->gss_renewing = NULL;
	}
	c->gss_token_ms = 0;
}
