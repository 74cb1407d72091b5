/* priv_credssp: the acceptor side of CredSSP (MS-CSSP 3.1.5), judged in
 * the privileged part as Negotiate is (priv_gss.c); the inner SPNEGO
 * context, which needs the keytab and the NTLM hashes, is in the GSSAPI
 * acceptor's slot PRIV_MAX_GSS_CONTEXTS + this logon's slot, which seals
 * and unseals with it when asked (acceptor.h). The network process
 * holds the CredSSP TLS channel and the DER (it decodes what clients send,
 * as it does HTTP); it hands each TSRequest's fields here. What makes
 * CredSSP CredSSP happens here, with the inner context, which never leaves:
 *   1. negoTokens: the SPNEGO exchange, checked as a Negotiate logon is
 *      (the principal, the service it asked for, the local account);
 *   2. pubKeyAuth: the client proves that the TLS channel it talks through
 *      ends at the server it authenticated to (the certificate the network
 *      process presented, server_cert), and we prove the same back;
 *   3. authInfo: the delegated credentials, which must name the account
 *      the inner context authenticated. PAM's account stack then checks
 *      that account, as after any logon, and it is admitted as every other
 *      (priv_auth_admit). The credentials go back only then, sealed for
 *      the user's own hosts (sealbox.h), which the privileged part gives
 *      the key when it starts them: the network process carries them to
 *      the host and cannot read them.
 * Each step must come in this order, on the connection that began it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gssapi/gssapi.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "common/sealbox.h"
#include "common/util.h"
#include "credssp/credssp.h"
#include "priv/priv_int.h"

/* MS-CSSP 2.2.1 errorCode: the NTSTATUS of a failed logon, as Windows
 * reports a bad credential to a CredSSP client (v3 and up). */
#define STATUS_LOGON_FAILURE 0xC000006Du
#define STATUS_ACCESS_DENIED 0xC0000022u

enum credssp_phase {
	PHASE_NEGOTIATE,    /* SPNEGO legs */
	PHASE_PUB_KEY_AUTH, /* the inner context is complete: the binding is next */
	PHASE_AUTH_INFO,    /* the binding checked: the credentials are next */
};

struct credssp_slot {
	struct priv_slot key;
	enum credssp_phase phase;
	uint32_t version; /* agreed: the lower of ours and the client's first */
	int has_nonce;
	uint8_t nonce[CREDSSP_NONCE_LEN];
	const char *mech;
	char account[IPC_MAX_USER + 1]; /* the local account the principal maps to */
	char who[IPC_MAX_USER + 64];	/* the principal, for the log */
};

/* The key an account's own hosts open delegated credentials with: made
 * when the first of them starts (priv_credssp_host_key), kept for the
 * privileged part's life. */
struct host_key {
	uid_t uid;
	int used;
	uint8_t key[SEALBOX_KEY_LEN];
};

struct priv_credssp {
	struct credssp_slot slots[PRIV_MAX_GSS_CONTEXTS];
	uint64_t generation; /* of the acceptor their contexts are in */
	struct host_key keys[PRIV_MAX_TOKENS];
	uint32_t next_key; /* the slot a new key takes when all are used */
};

static struct priv_credssp *state(struct priv *p)
{
	if (!p->credssp)
		p->credssp = calloc(1, sizeof(*p->credssp));
	return p->credssp;
}

int priv_credssp_host_key(struct priv *p, uid_t uid, uint8_t key[SEALBOX_KEY_LEN])
{
	struct priv_credssp *c = state(p);
	struct host_key *k;

	if (!c)
		return 0;
	for (size_t i = 0; i < PRIV_MAX_TOKENS; i++)
		if (c->keys[i].used && c->keys[i].uid == uid) {
			memcpy(key, c->keys[i].key, SEALBOX_KEY_LEN);
			return 1;
		}
	/* A host of an account whose key is overwritten here can no longer
	 * open what is sealed for it: it logs so, and runs without. */
	k = &c->keys[c->next_key++ % PRIV_MAX_TOKENS];
	if (RAND_bytes(k->key, sizeof(k->key)) != 1)
		return 0;
	k->uid = uid;
	k->used = 1;
	memcpy(key, k->key, SEALBOX_KEY_LEN);
	return 1;
}

/* The delegated credentials sealed for the account's own hosts: the
 * three strings as buf_put_cstring writes them, under the account's key, bound to its
 * uid (delegation.h opens them). */
static enum err seal_for_host(struct priv *p, uid_t uid, const struct credssp_password_creds *c,
			      struct ipc_auth_credssp_result *r)
{
	uint8_t key[SEALBOX_KEY_LEN];
	char aad[64];
	struct buf plain, sealed;
	enum err e = ERR_INTERNAL;

	buf_init(&plain, IPC_MAX_DELEGATED - SEALBOX_OVERHEAD);
	buf_init(&sealed, IPC_MAX_DELEGATED);
	snprintf(aad, sizeof(aad), SEALBOX_AAD_FORMAT, (unsigned)uid);
	if (priv_credssp_host_key(p, uid, key) && buf_put_cstring(&plain, c->domain) == ERR_OK &&
	    buf_put_cstring(&plain, c->user) == ERR_OK &&
	    buf_put_cstring(&plain, c->password) == ERR_OK &&
	    sealbox_seal(key, aad, strlen(aad), buf_ptr(&plain), buf_len(&plain), &sealed) ==
		ERR_OK &&
	    (r->delegated = malloc(buf_len(&sealed)))) {
		memcpy(r->delegated, buf_ptr(&sealed), buf_len(&sealed));
		r->delegated_len = buf_len(&sealed);
		e = ERR_OK;
	}
	OPENSSL_cleanse(key, sizeof(key));
	buf_clear(&plain);
	buf_clear(&sealed);
	return e;
}

/* The end of a logon that waits for PAM's account stack: the slot may be
 * reused meanwhile, so what the answer needs is copied here. */
struct credssp_logon {
	uint32_t id;
	struct ipc_auth_credssp_result r;
	struct credssp_password_creds creds;
	char account[IPC_MAX_USER + 1];
	char name[IPC_MAX_USER + 1]; /* as admitted; r.result.user points here */
	char who[IPC_MAX_USER + 64];
	char peer[IPC_MAX_PEER + 1];
	uint32_t peer_port;
	const char *mech;
};

static void slot_free(void *slot)
{
	struct credssp_slot *s = slot;

	OPENSSL_cleanse(s, sizeof(*s));
}

/* conn's logon under way, or a new one (*fresh). */
static struct credssp_slot *slot_for(struct priv *p, uint64_t conn, const char *peer,
				     uint32_t version, int *fresh)
{
	struct credssp_slot *s;
	struct priv_credssp *c = state(p);

	if (!c)
		return NULL;
	priv_acceptor_check(p);
	priv_acceptor_slots(p, &c->generation, c->slots, PRIV_MAX_GSS_CONTEXTS, sizeof(*s),
			    slot_free);
	s = priv_slot_for(c->slots, PRIV_MAX_GSS_CONTEXTS, sizeof(*s), conn, peer,
			  PRIV_MAX_HANDSHAKES_PER_SOURCE, PRIV_GSS_CONTEXT_TTL_MS, slot_free,
			  fresh);
	if (*fresh) {
		s->version = version < CREDSSP_VERSION ? version : CREDSSP_VERSION;
		s->mech = "?";
	}
	return s;
}

static void answer(struct priv *p, uint32_t id, const struct ipc_auth_credssp_result *r)
{
	struct buf body;

	buf_init(&body, IPC_MAX_MSG - IPC_HEADER_LEN);
	if (ipc_auth_credssp_result_encode(&body, r) == ERR_OK)
		priv_net_send(p, IPC_AUTH_CREDSSP_RESULT, id, &body, NULL, 0);
	else
		log_warnx("cannot encode a CredSSP authentication result");
	buf_clear(&body);
}

static void log_verdict(const char *verdict, const char *who, const char *user, const char *peer,
			uint32_t peer_port, const char *mech)
{
	char qpeer[LOG_QUOTE_MAX], qwho[LOG_QUOTE_MAX], quser[LOG_QUOTE_MAX];

	log_info("authentication %s: principal \"%s\" as user \"%s\" from %s, scheme CredSSP (%s)",
		 verdict, log_quote(qwho, sizeof(qwho), who, strlen(who)),
		 log_quote(quser, sizeof(quser), user, strlen(user)),
		 log_quote(qpeer, sizeof(qpeer), peer, strlen(peer)), mech);
	priv_audit_logon(verdict, user, who, peer, peer_port, "CredSSP");
}

/* Does the user name of the delegated credentials name account? Spelt
 * "alice", "HOST\alice", ".\alice" or "alice@REALM", with the domain in
 * its own field or not: the name before "@" or after "\" is compared,
 * ignoring case as Windows does. The account the inner context verified
 * is the one used; the credentials only have to agree with it. */
static int names_account(const struct credssp_password_creds *c, const char *account)
{
	const char *name = c->user, *bs = strrchr(name, '\\');
	size_t n;

	if (bs)
		name = bs + 1;
	n = strcspn(name, "@");
	return n && n == strlen(account) && strncasecmp(name, account, n) == 0;
}

static void logon_free(struct credssp_logon *l)
{
	l->r.result.user = NULL;
	ipc_auth_credssp_result_clear(&l->r);
	credssp_password_creds_clear(&l->creds);
	OPENSSL_cleanse(l, sizeof(*l));
	free(l);
}

static void account_checked(struct priv *p, void *arg, enum ipc_auth_status status,
			    const char *verdict)
{
	struct credssp_logon *l = arg;
	struct ipc_auth_credssp_result *r = &l->r;

	r->result.status = status;
	if (status == IPC_AUTH_OK)
		verdict = priv_auth_admit(p, l->account, l->peer, "CredSSP", &r->result, l->name);
	if (r->result.status == IPC_AUTH_OK &&
	    seal_for_host(p, (uid_t)r->result.uid, &l->creds, r) != ERR_OK) {
		OPENSSL_cleanse(r->result.token, sizeof(r->result.token));
		r->result.status = IPC_AUTH_BUSY;
		verdict = "failure (cannot seal the delegated credentials)";
	}
	if (r->result.status != IPC_AUTH_OK)
		r->error_code = r->result.status == IPC_AUTH_NOT_ALLOWED ? STATUS_ACCESS_DENIED
									 : STATUS_LOGON_FAILURE;
	log_verdict(verdict, l->who, l->name[0] ? l->name : l->account, l->peer, l->peer_port,
		    l->mech);
	answer(p, l->id, r);
	logon_free(l);
}

static void account_dropped(void *arg)
{
	logon_free(arg);
}

/* The credentials are in: PAM's account stack checks the account in a
 * worker, as after a Negotiate logon; the answer goes out when it has. */
static void check_account(struct priv *p, uint32_t id, struct credssp_slot *s, const char *peer,
			  uint32_t peer_port, struct credssp_password_creds *creds)
{
	struct credssp_logon *l = calloc(1, sizeof(*l));

	if (!l) {
		struct ipc_auth_credssp_result r = {.result.status = IPC_AUTH_BUSY};
		log_warnx("out of memory for a CredSSP logon");
		answer(p, id, &r);
		return;
	}
	l->id = id;
	l->creds = *creds;
	memset(creds, 0, sizeof(*creds));
	snprintf(l->account, sizeof(l->account), "%s", s->account);
	snprintf(l->who, sizeof(l->who), "%s", s->who);
	snprintf(l->peer, sizeof(l->peer), "%s", peer);
	l->peer_port = peer_port;
	l->mech = s->mech;
	struct priv_check check = {account_checked, account_dropped, l};
	priv_account_check(p, l->account, l->peer, "CredSSP", &check);
}

/* The logon in s is over: its slot, and the inner context in the
 * acceptor's. */
static void logon_over(struct priv *p, struct credssp_slot *s)
{
	priv_acceptor_release(p, PRIV_MAX_GSS_CONTEXTS + (uint32_t)(s - p->credssp->slots));
	slot_free(s);
}

/* One TSRequest waiting for the acceptor: what its answer needs. */
struct credssp_step {
	uint32_t id;
	uint64_t conn;
	uint32_t slot;
	uint64_t generation;
	int nego, pub_key_auth, auth_info; /* the fields it carried */
	struct buf want;		   /* pubKeyAuth: what the client's must unseal to */
	char peer[IPC_MAX_PEER + 1];
	uint32_t peer_port;
};

static void step_free(struct credssp_step *st)
{
	if (!st)
		return;
	buf_clear(&st->want);
	free(st);
}

/* What the client's pubKeyAuth must unseal to (st->want) and ours
 * (server), for the certificate the network process presented: NULL, or
 * the verdict of a refusal. */
static const char *public_key_binding(struct credssp_slot *s, const struct ipc_auth_credssp *m,
				      struct credssp_step *st, struct buf *server)
{
	const uint8_t *der = m->server_cert;
	X509 *cert = d2i_X509(NULL, &der, (long)m->server_cert_len);
	const char *verdict = NULL;
	const uint8_t *nonce = s->has_nonce ? s->nonce : NULL;

	if (!cert || der != m->server_cert + m->server_cert_len)
		verdict = "failure (the network process sent an unusable certificate)";
	else if (credssp_pubkey_auth(cert, s->version, CREDSSP_CLIENT_TO_SERVER, nonce,
				     &st->want) != ERR_OK ||
		 credssp_pubkey_auth(cert, s->version, CREDSSP_SERVER_TO_CLIENT, nonce, server) !=
		     ERR_OK)
		verdict = "failure (cannot compute the server's pubKeyAuth)";
	X509_free(cert);
	return verdict;
}

/* Whether the steps of m may come now, in s's phase: NULL, or the verdict
 * of a refusal. MS-CSSP 3.1.5: the credentials go only after the client
 * checked the server's binding, which answers its own. */
static const char *in_order(const struct credssp_slot *s, const struct ipc_auth_credssp *m)
{
	if (!m->nego_token && !m->pub_key_auth && !m->auth_info)
		return "failure (a TSRequest with nothing to do)";
	if (m->pub_key_auth && m->auth_info)
		return "failure (authInfo with pubKeyAuth: the client did not wait for the "
		       "server's binding)";
	if (m->nego_token && s->phase != PHASE_NEGOTIATE)
		return "failure (negoTokens after the inner handshake ended)";
	if (m->pub_key_auth && !m->nego_token && s->phase != PHASE_PUB_KEY_AUTH)
		return "failure (pubKeyAuth before the inner handshake ended)";
	if (m->pub_key_auth && s->version >= 5 && !s->has_nonce)
		return "failure (no clientNonce with a version 5 or later pubKeyAuth)";
	if (m->auth_info && s->phase != PHASE_AUTH_INFO)
		return "failure (authInfo before pubKeyAuth was checked)";
	return NULL;
}

/* step's slot, unless another logon (or acceptor) has it now. */
static struct credssp_slot *step_slot(struct priv *p, const struct credssp_step *st)
{
	struct credssp_slot *s;

	if (!p->credssp || p->credssp->generation != st->generation)
		return NULL;
	s = &p->credssp->slots[st->slot];
	return s->key.last_ms && s->key.conn == st->conn ? s : NULL;
}

/* Step 1's outcome: NULL to go on (CONTINUE, or complete and the
 * principal mapped); else the verdict of a refusal. */
static const char *negotiated(struct priv *p, struct credssp_slot *s, struct ipc_accepted *a,
			      struct ipc_auth_credssp_result *r, char *why, size_t whylen)
{
	r->nego_token = a->out_token;
	r->nego_token_len = a->out_token_len;
	a->out_token = NULL;
	if (a->failed_step == IPC_ACCEPT_STEP_ACCEPT) {
		snprintf(why, whylen, "failure (%s)", a->why);
		return why;
	}
	if (!a->complete)
		return NULL;
	s->mech = priv_gss_mech_name(a);
	s->phase = PHASE_PUB_KEY_AUTH;
	return priv_gss_principal(p, a, s->account, s->who, sizeof(s->who));
}

/* What an unseal the acceptor refused says. */
static const char *unseal_failed(const struct ipc_accepted *a)
{
	return a->complete || a->major != GSS_S_NO_CONTEXT
		   ? "failure (a field that does not unseal with the inner context)"
		   : "failure (pubKeyAuth before the inner handshake ended)";
}

/* Step 2's outcome: the client's binding of the server's public key, and ours. */
static const char *public_key_bound(struct credssp_slot *s, const struct credssp_step *st,
				    struct ipc_accepted *a, struct ipc_auth_credssp_result *r)
{
	if (a->failed_step == IPC_ACCEPT_STEP_UNWRAP)
		return unseal_failed(a);
	if (a->unwrapped_len != buf_len(&st->want) ||
	    CRYPTO_memcmp(a->unwrapped, buf_ptr(&st->want), buf_len(&st->want)) != 0)
		return "failure (pubKeyAuth does not bind this server's certificate: a man in "
		       "the middle, or a client that checked another key)";
	if (a->failed_step == IPC_ACCEPT_STEP_WRAP)
		return "failure (cannot seal the server's pubKeyAuth)";
	r->pub_key_auth = a->wrapped;
	r->pub_key_auth_len = a->wrapped_len;
	a->wrapped = NULL;
	s->phase = PHASE_AUTH_INFO;
	return NULL;
}

/* Step 3's outcome: the delegated credentials. */
static const char *credentials(struct credssp_slot *s, const struct ipc_accepted *a,
			       struct credssp_password_creds *creds)
{
	enum err e;

	if (a->failed_step == IPC_ACCEPT_STEP_UNWRAP)
		return unseal_failed(a);
	if ((e = credssp_credentials_parse(a->unwrapped, a->unwrapped_len, creds)) != ERR_OK)
		return e == ERR_UNSUPPORTED
			   ? "failure (delegated credentials other than a password: smart card "
			     "or Remote Credential Guard)"
			   : "failure (malformed TSCredentials)";
	if (!names_account(creds, s->account))
		return "failure (the delegated credentials name another account than the one "
		       "that authenticated)";
	return NULL;
}

static void refuse(struct ipc_auth_credssp_result *r)
{
	ipc_auth_credssp_result_clear(r);
	r->result.status = IPC_AUTH_BAD_CREDENTIALS;
	r->error_code = STATUS_LOGON_FAILURE;
}

static void step_answered(struct priv *p, void *arg, struct ipc_accepted *a)
{
	struct credssp_step *st = arg;
	struct credssp_slot *s = step_slot(p, st);
	struct ipc_auth_credssp_result r;
	struct credssp_password_creds creds;
	const char *verdict = NULL;
	char why[IPC_MAX_GSS_WHY + 16];

	memset(&r, 0, sizeof(r));
	memset(&creds, 0, sizeof(creds));
	r.result.status = IPC_AUTH_CONTINUE;
	if (!a || !s)
		verdict = a ? "failure (the logon's slot went to another connection)"
			    : "failure (the GSSAPI acceptor did not answer; it is started again)";
	if (!verdict && st->nego)
		verdict = negotiated(p, s, a, &r, why, sizeof(why));
	if (!verdict && st->pub_key_auth)
		verdict = public_key_bound(s, st, a, &r);
	if (!verdict && st->auth_info && !(verdict = credentials(s, a, &creds))) {
		/* Answered once PAM's account stack has checked the account. */
		check_account(p, st->id, s, st->peer, st->peer_port, &creds);
		logon_over(p, s);
		credssp_password_creds_clear(&creds);
		ipc_auth_credssp_result_clear(&r);
		step_free(st);
		return;
	}
	if (verdict) {
		log_verdict(verdict, s && s->who[0] ? s->who : "?", s ? s->account : "", st->peer,
			    st->peer_port, s ? s->mech : "?");
		refuse(&r);
		if (s)
			logon_over(p, s);
	}
	credssp_password_creds_clear(&creds);
	answer(p, st->id, &r);
	ipc_auth_credssp_result_clear(&r);
	step_free(st);
}

void priv_credssp_request(struct priv *p, uint32_t id, struct ipc_auth_credssp *m)
{
	int fresh;
	struct credssp_slot *s = slot_for(p, m->conn, m->peer, m->version, &fresh);
	struct credssp_step *st = s ? calloc(1, sizeof(*st)) : NULL;
	struct ipc_auth_credssp_result r;
	struct ipc_accept a;
	struct buf server;
	const char *verdict = NULL;

	memset(&r, 0, sizeof(r));
	if (!st) {
		r.result.status = IPC_AUTH_BUSY;
		answer(p, id, &r);
		ipc_auth_credssp_clear(m);
		return;
	}
	if (m->has_client_nonce) {
		s->has_nonce = 1;
		memcpy(s->nonce, m->client_nonce, sizeof(s->nonce));
	}
	*st = (struct credssp_step){.id = id,
				    .conn = m->conn,
				    .slot = (uint32_t)(s - p->credssp->slots),
				    .generation = p->credssp->generation,
				    .nego = m->nego_token != NULL,
				    .pub_key_auth = m->pub_key_auth != NULL,
				    .auth_info = m->auth_info != NULL};
	snprintf(st->peer, sizeof(st->peer), "%s", m->peer);
	st->peer_port = m->peer_port;
	buf_init(&st->want, 1024);
	buf_init(&server, 1024);
	memset(&a, 0, sizeof(a));
	a.slot = PRIV_MAX_GSS_CONTEXTS + st->slot;
	a.fresh = (uint32_t)fresh;
	a.keep = 1;
	a.token = m->nego_token;
	a.token_len = m->nego_token_len;
	a.unwrap = m->pub_key_auth ? m->pub_key_auth : m->auth_info;
	a.unwrap_len = m->pub_key_auth ? m->pub_key_auth_len : m->auth_info_len;
	if (!(verdict = in_order(s, m)) && m->pub_key_auth &&
	    !(verdict = public_key_binding(s, m, st, &server))) {
		a.wrap = (uint8_t *)buf_ptr(&server);
		a.wrap_len = buf_len(&server);
	}
	if (!verdict && priv_acceptor_call(p, &a, step_answered, st) != ERR_OK)
		verdict = "failure (the GSSAPI acceptor is not running; it is started again)";
	else if (!verdict)
		st = NULL; /* step_answered's now */
	if (verdict) {
		log_verdict(verdict, s->who[0] ? s->who : "?", s->account, m->peer, m->peer_port,
			    s->mech);
		refuse(&r);
		logon_over(p, s);
		answer(p, id, &r);
		step_free(st);
	}
	buf_clear(&server);
	ipc_auth_credssp_clear(m);
}

void priv_credssp_stop(struct priv *p)
{
	if (!p->credssp)
		return;
	for (size_t i = 0; i < PRIV_MAX_GSS_CONTEXTS; i++)
		if (p->credssp->slots[i].key.last_ms)
			slot_free(&p->credssp->slots[i]);
	free(p->credssp);
	p->credssp = NULL;
}
