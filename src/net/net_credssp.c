/* net_credssp: network process. CredSSP logons (MS-CSSP over HTTP,
 * docs/authentication.md "CredSSP"). The client runs a TLS handshake
 * whose records travel base64 in "Authorization: CredSSP" headers, ours
 * in the "WWW-Authenticate: CredSSP" of each 401; through that channel it
 * then sends TSRequests. This file holds the channel (OpenSSL on memory
 * BIOs) and the DER of the TSRequests; what they carry goes to the
 * privileged part, which holds the inner SPNEGO context and decides
 * (priv_credssp.c). The channel is the server's identity: the HTTPS
 * listener's certificate, or over HTTP the one Service/CertificateThumbprint
 * names, else one made in memory, as Windows makes its own. Once the
 * logon is complete, the same TLS session encrypts the connection's
 * messages over HTTP (MS-WSMV 2.2.9.1.3, msgenc.h), and the connection
 * stays authenticated as with Negotiate (conn_gss). */
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "common/log.h"
#include "common/tls_binding.h"
#include "common/util.h"
#include "credssp/credssp.h"
#include "net/net_int.h"

#define SCHEME "CredSSP"
/* A certificate made in memory lasts a year, as Windows' own does;
 * the network process is restarted far more often. */
#define SELF_SIGNED_DAYS 365
#define SELF_SIGNED_BITS 2048
/* One leg's TLS records: a whole TSRequest, with the records' overhead. */
#define MAX_LEG_BYTES (CREDSSP_MAX_TSREQUEST + 8192)

/* TLS 1.2 and 1.3 with AES-GCM only: the message encryption's trailer
 * lengths (16 and 17) are fixed for these, and Windows, pyspnego and our
 * client all offer them. One TLS 1.3 ticket: nothing resumes a CredSSP
 * channel, but pyspnego answers its Finished alone and expects a token
 * back, which the ticket is (Windows sends them too). */
static SSL_CTX *credssp_context(struct net *n)
{
	SSL_CTX *ctx;

	if (n->credssp_ctx)
		return n->credssp_ctx;
	if (!(ctx = SSL_CTX_new(TLS_server_method())))
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM") != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256") != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 1) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	n->credssp_ctx = ctx;
	return ctx;
}

static void drop_identity(struct net *n)
{
	X509_free(n->credssp_cert);
	EVP_PKEY_free(n->credssp_key);
	n->credssp_cert = NULL;
	n->credssp_key = NULL;
	n->credssp_generated = 0;
}

/* A self-signed RSA certificate for this machine's name. */
static int make_identity(struct net *n)
{
	EVP_PKEY *key = EVP_RSA_gen(SELF_SIGNED_BITS);
	X509 *x = X509_new();
	BIGNUM *serial = BN_new();
	X509_NAME *name;
	int ok = key && x && serial && X509_set_version(x, 2) == 1 &&
		 BN_rand(serial, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
		 BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) &&
		 X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
		 X509_gmtime_adj(X509_getm_notAfter(x), (long)SELF_SIGNED_DAYS * 86400) &&
		 X509_set_pubkey(x, key) == 1 && (name = X509_get_subject_name(x)) &&
		 X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					    (const unsigned char *)n->hostname, -1, -1, 0) == 1 &&
		 X509_set_issuer_name(x, name) == 1 && X509_sign(x, key, EVP_sha256()) > 0;

	BN_free(serial);
	if (!ok) {
		log_warnx("cannot make a certificate for CredSSP over HTTP");
		X509_free(x);
		EVP_PKEY_free(key);
		return 0;
	}
	drop_identity(n);
	n->credssp_cert = x;
	n->credssp_key = key;
	n->credssp_generated = 1;
	log_info("CredSSP over HTTP presents a certificate made in memory for %s", n->hostname);
	return 1;
}

/* The certificate and key of a listener's PEM if its thumbprint is want. */
static int listener_identity(struct net *n, const struct ipc_listener_info *l, const char *want)
{
	BIO *cb = BIO_new_mem_buf(l->cert_pem, -1), *kb = BIO_new_mem_buf(l->key_pem, -1);
	X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *key = NULL;
	char print[TLS_THUMBPRINT_HEX + 1];
	int found = cert && tls_thumbprint(cert, print) == 0 && strcasecmp(print, want) == 0 &&
		    kb && (key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL));

	BIO_free(cb);
	BIO_free(kb);
	if (!found) {
		X509_free(cert);
		ERR_clear_error();
		return 0;
	}
	drop_identity(n);
	n->credssp_cert = cert;
	n->credssp_key = key;
	return 1;
}

void net_credssp_configure(struct net *n, const struct config *cfg, const struct ipc_config *ic)
{
	const char *want = cfg->service.certificate_thumbprint;

	if (!want || !*want) {
		/* Back to a certificate made in memory, when one is needed. */
		if (!n->credssp_generated)
			drop_identity(n);
		return;
	}
	for (uint32_t i = 0; i < ic->nlisteners; i++)
		if (ic->listeners[i].https && listener_identity(n, &ic->listeners[i], want))
			return;
	log_warnx("Service/CertificateThumbprint %s names no HTTPS listener's certificate: "
		  "CredSSP over HTTP presents a certificate made in memory",
		  want);
	if (!n->credssp_generated)
		drop_identity(n);
}

void net_credssp_stop(struct net *n)
{
	drop_identity(n);
	SSL_CTX_free(n->credssp_ctx);
	n->credssp_ctx = NULL;
}

void net_credssp_forget(struct conn *c)
{
	SSL_free(c->credssp.tls); /* frees its BIOs, wipes its keys */
	free(c->credssp.delegated);
	memset(&c->credssp, 0, sizeof(c->credssp));
}

void net_credssp_delegate(struct conn *c, struct shell_create_req *create)
{
	create->delegated = c->credssp.delegated;
	c->credssp.delegated = NULL;
}

/* The sealed credentials as text, for the Create that carries them. */
static char *delegated_text(const struct ipc_auth_credssp_result *res)
{
	struct buf b;
	char *s = NULL;

	if (!res->delegated_len)
		return NULL;
	buf_init(&b, util_b64_encoded_len(res->delegated_len) + 1);
	if (util_b64_encode(&b, res->delegated, res->delegated_len) == ERR_OK &&
	    buf_terminate(&b) == ERR_OK)
		s = strdup((const char *)buf_ptr(&b));
	buf_clear(&b);
	return s;
}

SSL *net_credssp_session(const struct conn *c)
{
	return c->credssp.complete ? c->credssp.tls : NULL;
}

/* A new channel for the connection, presenting its identity. */
static SSL *channel(struct conn *c)
{
	struct net *n = c->net;
	SSL_CTX *ctx = credssp_context(n);
	SSL *listener = c->https ? bufferevent_openssl_get_ssl(c->bev) : NULL;
	X509 *cert = listener ? SSL_get_certificate(listener) : n->credssp_cert;
	EVP_PKEY *key = listener ? SSL_get_privatekey(listener) : n->credssp_key;
	BIO *rb = NULL, *wb = NULL;
	SSL *tls;

	if (!listener && !cert && make_identity(n)) {
		cert = n->credssp_cert;
		key = n->credssp_key;
	}
	if (!ctx || !cert || !key || !(tls = SSL_new(ctx)))
		return NULL;
	if (SSL_use_certificate(tls, cert) != 1 || SSL_use_PrivateKey(tls, key) != 1 ||
	    !(rb = BIO_new(BIO_s_mem())) || !(wb = BIO_new(BIO_s_mem()))) {
		BIO_free(rb);
		SSL_free(tls);
		return NULL;
	}
	SSL_set_bio(tls, rb, wb);
	SSL_set_accept_state(tls);
	return tls;
}

/* What the channel has to send, as the "CredSSP <b64>" of the next reply's
 * WWW-Authenticate; a bare "CredSSP" when it has nothing. */
static enum err queue_reply_token(struct conn *c)
{
	BIO *wb = SSL_get_wbio(c->credssp.tls);
	const uint8_t *data;
	long n = BIO_get_mem_data(wb, (char **)&data);
	struct buf b;
	enum err e;

	buf_init(&b, util_b64_encoded_len(n > 0 ? (size_t)n : 0) + sizeof(SCHEME) + 1);
	e = buf_putf(&b, n > 0 ? SCHEME " " : SCHEME);
	if (e == ERR_OK && n > 0)
		e = util_b64_encode(&b, data, (size_t)n);
	if (e == ERR_OK)
		e = buf_terminate(&b);
	free(c->gss.reply_token);
	c->gss.reply_token = e == ERR_OK ? strdup((const char *)buf_ptr(&b)) : NULL;
	buf_clear(&b);
	(void)BIO_reset(wb);
	return c->gss.reply_token ? ERR_OK : ERR_WSMAN_INTERNAL;
}

/* Sends m through the channel, for the next reply. */
static enum err send_tsrequest(struct conn *c, const struct credssp_tsrequest *m)
{
	struct buf der;
	enum err e;

	buf_init(&der, CREDSSP_MAX_TSREQUEST);
	e = credssp_tsrequest_encode(&der, m);
	if (e == ERR_OK && SSL_write(c->credssp.tls, buf_ptr(&der), (int)buf_len(&der)) <= 0)
		e = ERR_WSMAN_INTERNAL;
	buf_clear(&der);
	return e == ERR_OK ? queue_reply_token(c) : e;
}

/* The leg's records into the channel; what they carried once the
 * handshake is over (appended to app). 0 on a TLS failure. */
static int take_records(struct conn *c, const struct buf *records, struct buf *app)
{
	SSL *tls = c->credssp.tls;
	uint8_t *space;
	int n;

	if (BIO_write(SSL_get_rbio(tls), buf_ptr(records), (int)buf_len(records)) !=
	    (int)buf_len(records))
		return 0;
	if (!SSL_is_init_finished(tls) && (n = SSL_do_handshake(tls)) <= 0 &&
	    SSL_get_error(tls, n) != SSL_ERROR_WANT_READ)
		return 0;
	if (!SSL_is_init_finished(tls))
		return 1;
	for (int i = 0; i < CREDSSP_MAX_TSREQUEST / 1024 + 8; i++) {
		if (buf_reserve(app, 16384, &space) != ERR_OK)
			return 0;
		if ((n = SSL_read(tls, space, 16384)) > 0) {
			buf_commit(app, (size_t)n);
			continue;
		}
		return SSL_get_error(tls, n) == SSL_ERROR_WANT_READ;
	}
	return 0;
}

/* A failed leg: logged, and the channel dropped, so the client starts
 * over. */
static enum err refuse(struct conn *c, const char *why)
{
	char msg[256];
	unsigned long code = ERR_get_error();

	ERR_error_string_n(code, msg, sizeof(msg));
	log_info("authentication refused: peer %s, scheme CredSSP: %s%s%s", c->peer, why,
		 code ? ": " : "", code ? msg : "");
	ERR_clear_error();
	net_credssp_forget(c);
	return ERR_HTTP_UNAUTHORIZED;
}

/* The TSRequest's fields for the privileged part. */
static enum err relay(struct request *r, const struct credssp_tsrequest *t, ipc_answer_fn *answer)
{
	struct conn *c = r->conn;
	X509 *cert = SSL_get_certificate(c->credssp.tls);
	uint8_t *der = NULL;
	int der_len = cert ? i2d_X509(cert, &der) : -1;
	struct ipc_auth_credssp m = {
	    .conn = c->serial,
	    .peer = c->peer,
	    .peer_port = c->peer_port,
	    .version = t->version,
	    .nego_token = t->nego_token,
	    .nego_token_len = t->nego_token_len,
	    .pub_key_auth = t->pub_key_auth,
	    .pub_key_auth_len = t->pub_key_auth_len,
	    .auth_info = t->auth_info,
	    .auth_info_len = t->auth_info_len,
	    .has_client_nonce = (uint32_t)t->has_client_nonce,
	    .server_cert = der,
	    .server_cert_len = der_len > 0 ? (size_t)der_len : 0,
	};
	enum err e;

	if (!c->credssp.version)
		c->credssp.version = t->version < CREDSSP_VERSION ? t->version : CREDSSP_VERSION;
	memcpy(m.client_nonce, t->client_nonce, sizeof(m.client_nonce));
	e = der_len > 0 && net_priv_auth_credssp(r, &m, answer) == ERR_OK ? ERR_OK : ERR_HTTP_BUSY;
	OPENSSL_free(der);
	return e;
}

enum err net_credssp_leg(struct request *r, ipc_answer_fn *answer)
{
	struct conn *c = r->conn;
	const char *param = r->http->authorization + strlen(SCHEME);
	struct buf records, app;
	struct credssp_tsrequest t;
	enum err e;

	param += strspn(param, " \t");
	/* A new logon, or the first leg of one, replaces whatever the
	 * connection had. */
	if (!c->credssp.tls || c->credssp.complete) {
		net_gss_forget(c);
		if (!(c->credssp.tls = channel(c))) {
			log_warnx("cannot set up a CredSSP channel for %s", c->peer);
			return ERR_HTTP_BUSY;
		}
	}
	buf_init(&records, MAX_LEG_BYTES);
	buf_init(&app, CREDSSP_MAX_TSREQUEST);
	if (util_b64_decode(&records, param, strlen(param)) != ERR_OK || !buf_len(&records))
		e = refuse(c, "a header without a usable token");
	else if (!take_records(c, &records, &app))
		e = refuse(c, "the TLS channel failed");
	else if (!buf_len(&app))
		/* The handshake goes on (or just ended): our records go back. */
		e = queue_reply_token(c) == ERR_OK ? ERR_INCOMPLETE : ERR_WSMAN_INTERNAL;
	else if (credssp_tsrequest_parse(buf_ptr(&app), buf_len(&app), &t) != ERR_OK)
		e = refuse(c, "not one TSRequest");
	else {
		e = relay(r, &t, answer);
		credssp_tsrequest_clear(&t);
	}
	buf_clear(&records);
	buf_clear(&app);
	return e;
}

/* The TSRequest of a refusal: its errorCode tells the client why
 * (versions 3 and up); nothing to send otherwise. */
static void send_error(struct conn *c, uint32_t code)
{
	struct credssp_tsrequest t = {.version = c->credssp.version};

	if (!code || c->credssp.version < 3)
		return;
	t.has_error_code = 1;
	t.error_code = code;
	if (send_tsrequest(c, &t) != ERR_OK)
		log_warnx("cannot tell %s why its CredSSP logon failed", c->peer);
}

enum err net_credssp_result(struct request *r, struct ipc_msg *m, enum err e)
{
	struct conn *c = r->conn;
	struct ipc_auth_credssp_result res;
	struct credssp_tsrequest t = {.version = c->credssp.version};

	if ((e = net_priv_credssp_result(m, e, &res)) != ERR_OK) {
		net_credssp_forget(c);
		return e;
	}
	switch (res.result.status) {
	case IPC_AUTH_CONTINUE:
		t.nego_token = res.nego_token;
		t.nego_token_len = res.nego_token_len;
		t.pub_key_auth = res.pub_key_auth;
		t.pub_key_auth_len = res.pub_key_auth_len;
		e = send_tsrequest(c, &t) == ERR_OK ? ERR_INCOMPLETE : ERR_WSMAN_INTERNAL;
		break;
	case IPC_AUTH_OK:
		auth_identity_set(&res.result, SCHEME, &c->gss.id);
		/* Its token was made after this request arrived (net_token.c). */
		c->gss.token_ms = r->started_ms;
		c->credssp.complete = 1;
		/* For the user's host, which the first shell goes to. */
		free(c->credssp.delegated);
		c->credssp.delegated = delegated_text(&res);
		e = auth_identity_valid(&c->gss.id) ? ERR_OK : ERR_WSMAN_INTERNAL;
		break;
	default:
		send_error(c, res.error_code);
		net_credssp_forget(c);
		e = auth_refusal(res.result.status);
		break;
	}
	ipc_auth_credssp_result_clear(&res);
	return e;
}
