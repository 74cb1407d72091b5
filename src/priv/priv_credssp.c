/* priv_credssp: the acceptor side of CredSSP (MS-CSSP 3.1.5), in the
 * privileged part for the reasons Negotiate is (priv_gss.c): the inner
 * SPNEGO context needs the keytab and the NTLM hashes. The network process
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
	gss_ctx_id_t ctx;
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
	const char *mech;
};

static void slot_free(void *slot)
{
	struct credssp_slot *s = slot;
	OM_uint32 minor;

	if (s->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &s->ctx, GSS_C_NO_BUFFER);
	OPENSSL_cleanse(s, sizeof(*s));
}

/* conn's logon under way, or a new one. */
static struct credssp_slot *slot_for(struct priv *p, uint64_t conn, const char *peer,
				     uint32_t version)
{
	struct credssp_slot *s;
	int fresh;

	if (!state(p))
		return NULL;
	s = priv_slot_for(p->credssp->slots, PRIV_MAX_GSS_CONTEXTS, sizeof(*s), conn, peer,
			  PRIV_MAX_HANDSHAKES_PER_SOURCE, PRIV_GSS_CONTEXT_TTL_MS, slot_free,
			  &fresh);
	if (fresh) {
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
			const char *mech)
{
	char qpeer[LOG_QUOTE_MAX], qwho[LOG_QUOTE_MAX], quser[LOG_QUOTE_MAX];

	log_info("authentication %s: principal \"%s\" as user \"%s\" from %s, scheme CredSSP (%s)",
		 verdict, log_quote(qwho, sizeof(qwho), who, strlen(who)),
		 log_quote(quser, sizeof(quser), user, strlen(user)),
		 log_quote(qpeer, sizeof(qpeer), peer, strlen(peer)), mech);
}

/* A copy of a GSSAPI buffer into a field of the answer. */
static int take_buffer(gss_buffer_desc *b, uint8_t **out, size_t *len)
{
	OM_uint32 minor;
	int ok = b->length == 0;

	if (b->length && (*out = malloc(b->length))) {
		memcpy(*out, b->value, b->length);
		*len = b->length;
		ok = 1;
	}
	gss_release_buffer(&minor, b);
	return ok;
}

/* Step 1: one SPNEGO leg. NULL to go on (CONTINUE, or complete and the
 * principal mapped); else the verdict of a refusal. */
static const char *negotiate(struct priv *p, struct credssp_slot *s,
			     const struct ipc_auth_credssp *m, struct ipc_auth_credssp_result *r,
			     char *why, size_t whylen)
{
	OM_uint32 major, minor;
	gss_buffer_desc in = {m->nego_token_len, m->nego_token}, out = GSS_C_EMPTY_BUFFER;
	gss_name_t src = GSS_C_NO_NAME;
	gss_OID mech = GSS_C_NO_OID;
	const char *verdict = NULL;

	if (s->phase != PHASE_NEGOTIATE)
		return "failure (negoTokens after the inner handshake ended)";
	major =
	    gss_accept_sec_context(&minor, &s->ctx, GSS_C_NO_CREDENTIAL, &in,
				   GSS_C_NO_CHANNEL_BINDINGS, &src, &mech, &out, NULL, NULL, NULL);
	if (!take_buffer(&out, &r->nego_token, &r->nego_token_len))
		verdict = "failure (out of memory)";
	else if (GSS_ERROR(major)) {
		char gss[384];
		snprintf(why, whylen, "failure (%s)",
			 priv_gss_why(major, minor, mech, gss, sizeof(gss)));
		verdict = why;
	} else if (!(major & GSS_S_CONTINUE_NEEDED)) {
		s->mech = priv_gss_mech_name(mech);
		verdict =
		    priv_gss_principal(p, s->ctx, src, mech, s->account, s->who, sizeof(s->who));
		s->phase = PHASE_PUB_KEY_AUTH;
	}
	gss_release_name(&minor, &src);
	return verdict;
}

/* The plaintext of a field the client sealed with the inner context. */
static const char *unseal(struct credssp_slot *s, const uint8_t *p, size_t len, struct buf *plain)
{
	OM_uint32 major, minor;
	int conf = 0;
	gss_buffer_desc in = {len, (void *)p}, out = GSS_C_EMPTY_BUFFER;
	const char *verdict = NULL;

	major = gss_unwrap(&minor, s->ctx, &in, &out, &conf, NULL);
	if (major != GSS_S_COMPLETE || !conf)
		verdict = "failure (a field that does not unseal with the inner context)";
	else if (buf_put(plain, out.value, out.length) != ERR_OK)
		verdict = "failure (a sealed field too long)";
	if (out.value)
		OPENSSL_cleanse(out.value, out.length);
	gss_release_buffer(&minor, &out);
	return verdict;
}

/* Step 2: the client's binding of the server's public key, and ours. */
static const char *bind_public_key(struct credssp_slot *s, const struct ipc_auth_credssp *m,
				   struct ipc_auth_credssp_result *r)
{
	const uint8_t *der = m->server_cert;
	X509 *cert;
	struct buf got, want;
	const char *verdict = NULL;
	OM_uint32 major, minor;
	int conf = 0;
	gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER;

	if (s->phase != PHASE_PUB_KEY_AUTH)
		return "failure (pubKeyAuth before the inner handshake ended)";
	if (s->version >= 5 && !s->has_nonce)
		return "failure (no clientNonce with a version 5 or later pubKeyAuth)";
	cert = d2i_X509(NULL, &der, (long)m->server_cert_len);
	buf_init(&got, IPC_MAX_CREDSSP_FIELD);
	buf_init(&want, 1024);
	if (!cert || der != m->server_cert + m->server_cert_len)
		verdict = "failure (the network process sent an unusable certificate)";
	else if (!(verdict = unseal(s, m->pub_key_auth, m->pub_key_auth_len, &got)) &&
		 (credssp_pubkey_auth(cert, s->version, CREDSSP_CLIENT_TO_SERVER,
				      s->has_nonce ? s->nonce : NULL, &want) != ERR_OK ||
		  buf_len(&got) != buf_len(&want) ||
		  CRYPTO_memcmp(buf_ptr(&got), buf_ptr(&want), buf_len(&want)) != 0))
		verdict = "failure (pubKeyAuth does not bind this server's certificate: a man in "
			  "the middle, or a client that checked another key)";
	if (!verdict) {
		buf_reset(&want);
		if (credssp_pubkey_auth(cert, s->version, CREDSSP_SERVER_TO_CLIENT,
					s->has_nonce ? s->nonce : NULL, &want) != ERR_OK)
			verdict = "failure (cannot compute the server's pubKeyAuth)";
	}
	if (!verdict) {
		in.length = buf_len(&want);
		in.value = (void *)buf_ptr(&want);
		major = gss_wrap(&minor, s->ctx, 1, GSS_C_QOP_DEFAULT, &in, &conf, &out);
		if (GSS_ERROR(major) || !conf ||
		    !take_buffer(&out, &r->pub_key_auth, &r->pub_key_auth_len))
			verdict = "failure (cannot seal the server's pubKeyAuth)";
		gss_release_buffer(&minor, &out);
		s->phase = PHASE_AUTH_INFO;
	}
	buf_clear(&got);
	buf_clear(&want);
	X509_free(cert);
	return verdict;
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

/* Step 3: the delegated credentials. */
static const char *credentials(struct credssp_slot *s, const struct ipc_auth_credssp *m,
			       struct credssp_password_creds *creds)
{
	struct buf plain;
	const char *verdict;
	enum err e;

	if (s->phase != PHASE_AUTH_INFO)
		return "failure (authInfo before pubKeyAuth was checked)";
	buf_init(&plain, CREDSSP_MAX_CREDENTIALS);
	verdict = unseal(s, m->auth_info, m->auth_info_len, &plain);
	if (!verdict &&
	    (e = credssp_credentials_parse(buf_ptr(&plain), buf_len(&plain), creds)) != ERR_OK)
		verdict = e == ERR_UNSUPPORTED
			      ? "failure (delegated credentials other than a password: smart card "
				"or Remote Credential Guard)"
			      : "failure (malformed TSCredentials)";
	else if (!verdict && !names_account(creds, s->account))
		verdict = "failure (the delegated credentials name another account than the one "
			  "that authenticated)";
	buf_clear(&plain);
	return verdict;
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
	log_verdict(verdict, l->who, l->name[0] ? l->name : l->account, l->peer, l->mech);
	answer(p, l->id, r);
	logon_free(l);
}

static void account_dropped(void *arg)
{
	logon_free(arg);
}

/* The credentials are in: PAM's account stack checks the account in a
 * worker, as after a Negotiate logon; the answer goes out when it has. */
static void check_account(struct priv *p, uint32_t id, struct credssp_slot *s,
			  const struct ipc_auth_credssp *m, struct credssp_password_creds *creds)
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
	snprintf(l->peer, sizeof(l->peer), "%s", m->peer);
	l->mech = s->mech;
	struct priv_check check = {account_checked, account_dropped, l};
	priv_account_check(p, l->account, l->peer, "CredSSP", &check);
}

void priv_credssp_request(struct priv *p, uint32_t id, struct ipc_auth_credssp *m)
{
	struct credssp_slot *s = slot_for(p, m->conn, m->peer, m->version);
	struct ipc_auth_credssp_result r;
	struct credssp_password_creds creds;
	const char *verdict = NULL;
	char why[512];

	memset(&r, 0, sizeof(r));
	memset(&creds, 0, sizeof(creds));
	r.result.status = IPC_AUTH_CONTINUE;
	if (!s) {
		r.result.status = IPC_AUTH_BUSY;
		answer(p, id, &r);
		ipc_auth_credssp_clear(m);
		return;
	}
	if (m->has_client_nonce) {
		s->has_nonce = 1;
		memcpy(s->nonce, m->client_nonce, sizeof(s->nonce));
	}
	if (!m->nego_token && !m->pub_key_auth && !m->auth_info)
		verdict = "failure (a TSRequest with nothing to do)";
	/* MS-CSSP 3.1.5: the credentials go only after the client checked
	 * the server's binding, which answers its own. */
	else if (m->pub_key_auth && m->auth_info)
		verdict = "failure (authInfo with pubKeyAuth: the client did not wait for the "
			  "server's binding)";
	if (!verdict && m->nego_token)
		verdict = negotiate(p, s, m, &r, why, sizeof(why));
	if (!verdict && m->pub_key_auth)
		verdict = bind_public_key(s, m, &r);
	if (!verdict && m->auth_info && !(verdict = credentials(s, m, &creds))) {
		/* Answered once PAM's account stack has checked the account. */
		check_account(p, id, s, m, &creds);
		slot_free(s);
		ipc_auth_credssp_result_clear(&r);
		ipc_auth_credssp_clear(m);
		return;
	}
	if (verdict) {
		log_verdict(verdict, s->who[0] ? s->who : "?", s->account, m->peer, s->mech);
		ipc_auth_credssp_result_clear(&r);
		r.result.status = IPC_AUTH_BAD_CREDENTIALS;
		r.error_code = STATUS_LOGON_FAILURE;
		slot_free(s);
	}
	credssp_password_creds_clear(&creds);
	answer(p, id, &r);
	ipc_auth_credssp_result_clear(&r);
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
