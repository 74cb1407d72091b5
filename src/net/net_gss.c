/* net_gss: network process. Connections authenticated with Negotiate or
 * Kerberos. Each leg of the handshake goes to the privileged part (which
 * holds the keys); the finished context comes back exported and lives on
 * the connection, which stays authenticated until it closes (MS-WSMV
 * 2.2.9.1.2.1; docs/protocol-notes.md). Requests on it are opened and
 * replies sealed with that context (MS-WSMV 2.2.9.1); over plain HTTP a
 * request that is not sealed is refused unless AllowUnencrypted is true.
 * A CredSSP logon (net_credssp.c) leaves the connection in the same state,
 * its identity here and its cipher the CredSSP TLS session, which opening
 * and sealing use instead of a context (MS-WSMV 2.2.9.1.3).
 * The request pipeline (net_request.c) calls these and does the replying. */
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "common/tls_binding.h"
#include "common/util.h"
#include "net/net_int.h"

static const char *scheme_name(int kerberos)
{
	return kerberos ? "Kerberos" : "Negotiate";
}

_Static_assert(IPC_MAX_CHANNEL_BINDING >= TLS_BINDING_MAX, "a channel binding fits in AUTH_GSS");

/* RFC 5929 tls-server-end-point of our certificate (tls_binding.h). */
static size_t channel_binding(struct conn *c, uint8_t *out, size_t len)
{
	SSL *ssl = c->https ? bufferevent_openssl_get_ssl(c->bev) : NULL;

	return tls_binding_end_point(ssl ? SSL_get_certificate(ssl) : NULL, out, len);
}

void net_gss_forget(struct conn *c)
{
	OM_uint32 minor;

	if (c->gss.ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &c->gss.ctx, GSS_C_NO_BUFFER);
	free(c->gss.reply_token);
	c->gss.reply_token = NULL;
	auth_identity_clear(&c->gss.id);
	net_token_forget(c);
	net_credssp_forget(c);
}

enum err net_gss_leg(struct request *r, ipc_answer_fn *answer)
{
	struct conn *c = r->conn;
	struct ipc_auth_gss leg;
	uint8_t binding[IPC_MAX_CHANNEL_BINDING];
	enum err e = ERR_OK;

	/* A new handshake replaces whatever the connection had. */
	net_gss_forget(c);
	memset(&leg, 0, sizeof(leg));
	if (auth_gss_leg(r->http->authorization, &leg) != ERR_OK) {
		log_info("authentication refused: peer %s sent a %s header without a usable token",
			 c->peer, scheme_name(leg.kerberos_only));
		e = ERR_HTTP_UNAUTHORIZED;
	} else {
		c->gss.kerberos = (int)leg.kerberos_only;
		leg.conn = c->serial;
		leg.peer = c->peer;
		leg.peer_port = c->peer_port;
		leg.binding_len = channel_binding(c, binding, sizeof(binding));
		leg.binding = leg.binding_len ? binding : NULL;
		if (net_priv_auth_gss(r, &leg, answer) != ERR_OK)
			e = ERR_HTTP_BUSY;
	}
	leg.peer = NULL, leg.binding = NULL;
	ipc_auth_gss_clear(&leg);
	return e;
}

/* "Negotiate <base64>" for a WWW-Authenticate header. */
static char *token_header(int kerberos, const uint8_t *tok, size_t len)
{
	struct buf b;
	char *s = NULL;

	buf_init(&b, 4 * IPC_MAX_GSS_TOKEN / 3 + 64);
	if (buf_putf(&b, "%s ", scheme_name(kerberos)) == ERR_OK &&
	    util_b64_encode(&b, tok, len) == ERR_OK && buf_terminate(&b) == ERR_OK)
		s = strdup((const char *)buf_ptr(&b));
	buf_clear(&b);
	return s;
}

/* The connection's identity and context from a finished handshake. */
static enum err established(struct request *r, const struct ipc_auth_gss_result *res)
{
	struct conn *c = r->conn;
	gss_buffer_desc tok = {res->context_len, res->context};
	OM_uint32 major, minor;

	major = gss_import_sec_context(&minor, &tok, &c->gss.ctx);
	if (GSS_ERROR(major)) {
		char why[512];
		/* In words: the usual cause is a krb5.conf the service account
		 * cannot read, which the numbers alone do not say. */
		log_warnx("cannot import the security context for %s: %s", c->peer,
			  msgenc_gss_why(major, minor, GSS_C_NO_OID, why, sizeof(why)));
		net_gss_forget(c);
		return ERR_WSMAN_INTERNAL;
	}
	auth_identity_set(&res->result, scheme_name(c->gss.kerberos), &c->gss.id);
	if (!auth_identity_valid(&c->gss.id)) {
		log_warnx("%s handshake of %s admitted no usable account: refused",
			  scheme_name(c->gss.kerberos), c->peer);
		net_gss_forget(c);
		return ERR_WSMAN_INTERNAL;
	}
	/* Its token was made after this request arrived (net_token.c). */
	c->gss.token_ms = r->started_ms;
	return ERR_OK;
}

enum err net_gss_result(struct request *r, struct ipc_msg *m, enum err e)
{
	struct conn *c = r->conn;
	struct ipc_auth_gss_result res;

	if ((e = net_priv_gss_result(m, e, &res)) != ERR_OK) {
		ipc_auth_gss_result_clear(&res);
		return e;
	}
	if ((res.result.status == IPC_AUTH_CONTINUE || res.result.status == IPC_AUTH_OK) &&
	    res.out_token_len)
		c->gss.reply_token =
		    token_header(c->gss.kerberos, res.out_token, res.out_token_len);
	switch (res.result.status) {
	case IPC_AUTH_CONTINUE:
		/* One WWW-Authenticate only: WinRb reads the last, go-ntlmssp the
		 * first. The connection stays open for the next leg. */
		e = c->gss.reply_token ? ERR_INCOMPLETE : ERR_WSMAN_INTERNAL;
		break;
	case IPC_AUTH_OK:
		e = established(r, &res);
		break;
	default:
		e = auth_refusal(res.result.status);
		break;
	}
	ipc_auth_gss_result_clear(&res);
	return e;
}

/* MS-WSMV 3.1.4.1.29.1: the service "MUST NOT accept requests if either
 * the SOAP request or response would be unencrypted" while AllowUnencrypted
 * is false. Windows refuses a plain SOAP body on an authenticated HTTP
 * connection by mechanism, not by scheme: 500 with no body for Kerberos
 * (pywinrm sends its AP-REQ under "Negotiate" and gets 500), 401 for NTLM
 * (docs/protocol-notes.md, "A plain SOAP body"). */
static int refuse_unencrypted(struct conn *c)
{
	log_info("request from %s user %s refused: not encrypted on an HTTP connection "
		 "(Service/AllowUnencrypted is false)",
		 c->peer, c->gss.id.user);
	return msgenc_is_kerberos(c->gss.ctx) ? 500 : 401;
}

/* Opens a sealed body with the connection's cipher: the CredSSP TLS
 * session, or the GSSAPI context; a body sealed for the other is refused. */
static enum err unwrap(struct request *r, enum msgenc_protocol proto)
{
	struct conn *c = r->conn;
	SSL *tls = net_credssp_session(c);
	const struct buf *body = &r->http->body;

	if ((proto == MSGENC_CREDSSP) != (tls != NULL))
		return ERR_FORMAT;
	if (tls)
		return msgenc_tls_unwrap(tls, buf_ptr(body), buf_len(body), &r->plain,
					 &r->seal_style);
	return msgenc_unwrap(c->gss.ctx, buf_ptr(body), buf_len(body), &r->plain, &r->seal_style);
}

int net_gss_open(struct request *r)
{
	struct conn *c = r->conn;
	enum msgenc_protocol proto;

	if (!msgenc_is_encrypted(r->http->content_type, &proto)) {
		if (!c->https && !c->net->cfg.service.allow_unencrypted)
			return refuse_unencrypted(c);
		return 0;
	}
	/* The parser's limit on the body bounds what it opens into. */
	buf_init(&r->plain, r->http->body.max);
	if (unwrap(r, proto) != ERR_OK) {
		/* A bad signature, a replay or broken framing: nothing on this
		 * connection can be trusted any more. */
		log_info("request from %s user %s refused: the encrypted message does not verify "
			 "(tampered, replayed or malformed); closing the connection",
			 c->peer, c->gss.id.user);
		c->close_after_reply = 1;
		net_gss_forget(c);
		return 400;
	}
	r->body = &r->plain;
	r->seal_reply = 1;
	r->seal_protocol = proto;
	return 0;
}

enum err net_gss_seal(struct request *r, const struct buf *body, struct buf *sealed,
		      const char **ctype)
{
	enum err e;

	SSL *tls = net_credssp_session(r->conn);

	/* Each 16 KiB chunk of a CredSSP message costs its two parts' lines
	 * and a TLS record's overhead. */
	buf_init(sealed, buf_len(body) + 4096 + buf_len(body) / 16384 * 512);
	if (tls)
		e = msgenc_tls_wrap(tls, r->seal_style, buf_ptr(body), buf_len(body), sealed);
	else
		e = msgenc_wrap(r->conn->gss.ctx, r->seal_protocol, r->seal_style, buf_ptr(body),
				buf_len(body), sealed);
	if (e == ERR_OK)
		*ctype = msgenc_content_type(r->seal_protocol, buf_len(body));
	return e;
}
