/* net_cert: network process. Certificate logons (§8.6): a request whose
 * Authorization names the mutual-authentication profile, on a TLS
 * connection where the client presented a certificate. The certificate's
 * chain goes to the privileged part with the resource URI, since a
 * certmapping entry holds for some resources only; the answer is the
 * account. The connection remembers it for its next requests to the same
 * resource (clients send the header with every request), for as long as a
 * Basic verification is cached; a reload forgets it. The request pipeline
 * (net_request.c) calls these and does the replying. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "common/util.h"
#include "net/net_int.h"

static const char *resource_of(const struct request *r)
{
	return r->ws.hdr.resource_uri ? r->ws.hdr.resource_uri : "";
}

/* DER of one certificate appended to chain. */
static int append_der(struct buf *chain, X509 *x)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	int ok = len > 0 && buf_put(chain, der, (size_t)len) == ERR_OK;

	OPENSSL_free(der);
	return ok;
}

/* The client's certificate, then the rest of the chain it sent (none on
 * a resumed session, whose certificate OpenSSL keeps). */
static enum err peer_chain(struct conn *c, struct buf *chain)
{
	SSL *ssl = c->https ? bufferevent_openssl_get_ssl(c->bev) : NULL;
	X509 *leaf = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
	STACK_OF(X509) *rest = ssl ? SSL_get_peer_cert_chain(ssl) : NULL;

	if (!leaf)
		return ERR_HTTP_UNAUTHORIZED;
	if (!append_der(chain, leaf))
		return ERR_LIMIT;
	/* On the server side OpenSSL's chain does not hold the leaf. */
	for (int i = 0; i < sk_X509_num(rest); i++)
		if (!append_der(chain, sk_X509_value(rest, i)))
			return ERR_LIMIT;
	return ERR_OK;
}

int net_cert_cached(struct request *r)
{
	struct conn_cert *cc = &r->conn->cert;

	if (!auth_identity_valid(&cc->id) || !cc->resource_uri ||
	    util_now_ms() - cc->checked_ms >= AUTH_CACHE_TTL_MS ||
	    strcasecmp(cc->resource_uri, resource_of(r)) != 0)
		return 0;
	r->id = cc->id;
	return 1;
}

enum err net_cert_logon(struct request *r, ipc_answer_fn *answer)
{
	struct ipc_auth_cert m = {.peer = r->conn->peer,
				  .peer_port = r->conn->peer_port,
				  .resource_uri = (char *)resource_of(r)};
	struct buf chain;
	enum err e;

	buf_init(&chain, IPC_MAX_CERT_CHAIN);
	if ((e = peer_chain(r->conn, &chain)) != ERR_OK) {
		log_info("certificate authentication refused: peer %s %s", r->conn->peer,
			 e == ERR_LIMIT ? "sent a certificate chain over 64 KB"
					: "presented no client certificate");
		buf_clear(&chain);
		return ERR_HTTP_UNAUTHORIZED;
	}
	m.chain = (uint8_t *)buf_ptr(&chain); /* the encoder only reads it */
	m.chain_len = buf_len(&chain);
	e = net_priv_auth_cert(r, &m, answer);
	buf_clear(&chain);
	return e;
}

enum err net_cert_result(struct request *r, struct ipc_msg *m, enum err e)
{
	struct conn_cert *cc = &r->conn->cert;
	struct ipc_auth_result res;

	if ((e = net_priv_auth_result(m, e, &res)) != ERR_OK)
		return e;
	if (res.status == IPC_AUTH_OK) {
		auth_identity_set(&res, "Certificate", &r->id);
		net_cert_forget(r->conn);
		if (auth_identity_valid(&r->id) && (cc->resource_uri = strdup(resource_of(r)))) {
			cc->id = r->id;
			cc->checked_ms = util_now_ms();
		}
	}
	e = auth_identity_valid(&r->id) ? ERR_OK : auth_refusal(res.status);
	ipc_auth_result_clear(&res);
	return e;
}

void net_cert_forget(struct conn *c)
{
	free(c->cert.resource_uri);
	memset(&c->cert, 0, sizeof(c->cert));
	auth_identity_clear(&c->cert.id);
}
