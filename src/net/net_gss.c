/* net_gss: connections authenticated with Negotiate or Kerberos. Each leg
 * of the handshake goes to the privileged part (which holds the keys); the
 * finished context comes back exported and lives on the connection, which
 * stays authenticated until it closes (winrm-protocol.md 1.7). Requests on
 * it are opened and replies sealed with that context (MS-WSMV 2.2.9.1);
 * over plain HTTP a request that is not sealed is refused unless
 * AllowUnencrypted is true. */
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

	if (c->gss != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &c->gss, GSS_C_NO_BUFFER);
	free(c->gss_reply_token);
	c->gss_reply_token = NULL;
	memset(&c->gss_id, 0, sizeof(c->gss_id));
	net_token_forget(c);
}

void net_gss_leg(struct conn *c)
{
	struct net *n = c->net;
	struct ipc_auth_gss leg;
	uint8_t binding[IPC_MAX_CHANNEL_BINDING];
	struct buf body;
	uint32_t id;

	/* A new handshake replaces whatever the connection had. */
	net_gss_forget(c);
	memset(&leg, 0, sizeof(leg));
	if (auth_gss_leg(c->req->authorization, &leg) != ERR_OK) {
		log_info("authentication refused: peer %s sent a %s header without a usable token",
			 c->peer, scheme_name(leg.kerberos_only));
		ipc_auth_gss_free(&leg);
		net_reply_unauthorized(c);
		return;
	}
	c->gss_kerberos = (int)leg.kerberos_only;
	leg.conn = c->serial;
	leg.peer = c->peer;
	leg.binding_len = channel_binding(c, binding, sizeof(binding));
	leg.binding = leg.binding_len ? binding : NULL;
	buf_init(&body, IPC_MAX_MSG);
	if (ipc_auth_gss_encode(&body, &leg) != ERR_OK ||
	    !net_pending_add(&n->priv_pending, IPC_AUTH_GSS, c, &id) ||
	    ipc_send(&n->priv, IPC_AUTH_GSS, id, &body, NULL, 0) != ERR_OK) {
		if (c->waiting)
			c->waiting->conn = NULL, c->waiting = NULL;
		net_reply_fault(c, ERR_HTTP_BUSY);
	} else {
		net_watch_peer(n->priv_ev, &n->priv);
		c->state = CONN_WAIT_PRIV;
	}
	buf_clear(&body);
	leg.peer = NULL, leg.binding = NULL;
	ipc_auth_gss_free(&leg);
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

/* A plain SOAP body on an authenticated HTTP connection while
 * AllowUnencrypted is false: Windows answers 401 on Negotiate connections
 * and 500 with no body on Kerberos ones (winrm-protocol.md 1.6). */
/* Windows answers by mechanism, not by scheme: 500 for Kerberos (pywinrm
 * sends its AP-REQ under "Negotiate" and gets 500), 401 for NTLM. */
static void refuse_unencrypted(struct conn *c)
{
	log_info("request from %s user %s refused: not encrypted on an HTTP connection "
		 "(Service/AllowUnencrypted is false)",
		 c->peer, c->gss_id.user);
	if (msgenc_is_kerberos(c->gss))
		net_reply_headers(c, 500, NULL, 0);
	else
		net_reply_unauthorized(c);
}

void net_gss_serve(struct conn *c)
{
	struct http1_request *req = c->req;
	enum msgenc_protocol proto;
	struct buf plain;

	c->id = c->gss_id;
	if (buf_len(&req->body) == 0) {
		/* An authentication-only POST: an empty 200, unsealed. */
		net_reply_headers(c, 200, NULL, 0);
		return;
	}
	if (!msgenc_is_encrypted(req->content_type, &proto)) {
		if (!c->https && !c->net->cfg.service.allow_unencrypted) {
			refuse_unencrypted(c);
			return;
		}
		net_dispatch_authenticated(c);
		return;
	}
	/* The parser reuses req->body for the next request: same limit. */
	buf_init(&plain, req->body.max);
	if (msgenc_unwrap(c->gss, buf_ptr(&req->body), buf_len(&req->body), &plain, &c->seal_style) !=
	    ERR_OK) {
		buf_clear(&plain);
		/* A bad signature, a replay or broken framing: nothing on this
		 * connection can be trusted any more. */
		log_info("request from %s user %s refused: the encrypted message does not verify "
			 "(tampered, replayed or malformed); closing the connection",
			 c->peer, c->gss_id.user);
		c->close_after_reply = 1;
		net_gss_forget(c);
		net_reply_headers(c, 400, NULL, 0);
		return;
	}
	buf_clear(&req->body);
	req->body = plain;
	c->seal_reply = 1;
	c->seal_protocol = proto;
	net_dispatch_authenticated(c);
}

enum err net_gss_seal(struct conn *c, const struct buf *body, struct buf *sealed, const char **ctype)
{
	enum err e;

	buf_init(sealed, buf_len(body) + 4096);
	e = msgenc_wrap(c->gss, c->seal_protocol, c->seal_style, buf_ptr(body), buf_len(body), sealed);
	if (e == ERR_OK)
		*ctype = msgenc_content_type(c->seal_protocol);
	return e;
}

void net_gss_result(struct conn *c, struct ipc_msg *m)
{
	struct ipc_auth_gss_result r;
	OM_uint32 major, minor;

	c->state = CONN_READING;
	if (ipc_auth_gss_result_decode(&m->body, &r) != ERR_OK || ipc_msg_done(m) != ERR_OK) {
		log_warnx("bad AUTH_GSS_RESULT from the privileged part");
		net_reply_fault(c, ERR_WSMAN_INTERNAL);
		return;
	}
	if ((r.result.status == IPC_AUTH_CONTINUE || r.result.status == IPC_AUTH_OK) &&
	    r.out_token_len)
		c->gss_reply_token = token_header(c->gss_kerberos, r.out_token, r.out_token_len);
	switch (r.result.status) {
	case IPC_AUTH_CONTINUE:
		/* One WWW-Authenticate only: WinRb reads the last, go-ntlmssp the
		 * first. The connection stays open for the next leg. */
		if (!c->gss_reply_token) {
			net_reply_fault(c, ERR_WSMAN_INTERNAL);
			break;
		}
		net_reply_headers(c, 401, NULL, 0);
		break;
	case IPC_AUTH_OK: {
		gss_buffer_desc tok = {r.context_len, r.context};
		major = gss_import_sec_context(&minor, &tok, &c->gss);
		if (GSS_ERROR(major)) {
			log_warnx("cannot import the security context for %s: GSSAPI status %u/%u",
				  c->peer, (unsigned)major, (unsigned)minor);
			net_gss_forget(c);
			net_reply_fault(c, ERR_WSMAN_INTERNAL);
			break;
		}
		auth_identity_set(&r.result, scheme_name(c->gss_kerberos), &c->gss_id);
		/* Its token was made after this request arrived (net_token.c). */
		c->gss_token_ms = c->started_ms;
		net_gss_serve(c);
		break;
	}
	default:
		net_reply_auth_refused(c, r.result.status);
		break;
	}
	ipc_auth_gss_result_free(&r);
}
