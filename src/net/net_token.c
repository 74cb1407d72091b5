/* net_token: network process. Keeps the host token of a connection that
 * Negotiate or Kerberos authenticated alive while the connection is in use.
 * Those schemes authenticate the connection once (MS-WSMV 2.2.9.1.2.1),
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

static void renewed(void *arg, struct ipc_msg *m, enum err e)
{
	struct conn *c = arg;
	struct ipc_token_renewed r;

	c->gss.renewing = NULL;
	if ((e = net_priv_token_renewed(m, e, &r)) != ERR_OK) {
		/* The next use of the connection asks again. */
		log_warnx("no answer to a token renewal from the privileged part: %s", err_str(e));
	} else if (r.status == IPC_AUTH_BUSY) {
		/* Too many checks waiting: the next use of the connection asks
		 * again, while the token is still good. */
		log_debug("host token of connection %llu from %s (user %s) not renewed yet",
			  (unsigned long long)c->serial, c->peer, c->gss.id.user);
	} else if (r.status != IPC_AUTH_OK) {
		/* The privileged part logged why: the account may no longer
		 * connect, or the logon is too old. */
		log_info("closing connection %llu from %s: the logon of user %s is over; the "
			 "client must authenticate again",
			 (unsigned long long)c->serial, c->peer, c->gss.id.user);
		c->gss.token_ms = 0;
		net_conn_end_logon(c);
	} else if (!auth_identity_valid(&c->gss.id) || r.uid != (uint32_t)c->gss.id.uid) {
		log_warnx(
		    "token renewal for connection %llu answered for uid %u, not %s's: ignored",
		    (unsigned long long)c->serial, (unsigned)r.uid, c->gss.id.user);
	} else {
		memcpy(c->gss.id.token, r.token, sizeof(c->gss.id.token));
		c->gss.id.is_admin = r.is_admin != 0;
		/* The token was made after the request went out: counting from
		 * then can only overstate its age. */
		c->gss.token_ms = c->gss.renew_asked_ms;
		log_debug("host token renewed for connection %llu from %s (user %s)",
			  (unsigned long long)c->serial, c->peer, c->gss.id.user);
	}
	OPENSSL_cleanse(&r, sizeof(r));
}

void net_token_touch(struct conn *c)
{
	uint64_t now = util_now_ms();
	enum err e;

	if (!auth_identity_valid(&c->gss.id) || !c->gss.token_ms || c->gss.renewing ||
	    now - c->gss.token_ms <= NET_TOKEN_RENEW_AGE_MS)
		return;
	if ((e = net_priv_token_renew(c->net, c->gss.id.token, renewed, c, &c->gss.renewing)) !=
	    ERR_OK) {
		/* The next use of the connection tries again. */
		log_warnx("cannot ask for the renewal of a host token: %s", err_str(e));
		return;
	}
	c->gss.renew_asked_ms = now;
}

void net_token_forget(struct conn *c)
{
	ipc_endpoint_cancel(c->gss.renewing);
	c->gss.renewing = NULL;
	c->gss.token_ms = 0;
}
