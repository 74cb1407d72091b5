/* gss: Negotiate (SPNEGO) and Kerberos for libwinrm, through GSSAPI. The
 * tokens come and go in Authorization / WWW-Authenticate headers (RFC 4559
 * 4.1 and 4.2); conn.c carries them on empty POSTs and, once the context
 * is complete, seals every message with it (msgenc, MS-WSMV 2.2.9.1).
 * Nothing here computes a key: Kerberos is MIT's, NTLM is gss-ntlmssp's. */
#include "client/client_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "common/tls_binding.h"
#include "common/util.h"

/* 1.3.6.1.5.5.2 and 1.3.6.1.4.1.311.2.2.10 */
static gss_OID_desc spnego_oid = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};
static gss_OID_desc ntlm_oid = {10, (void *)"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"};

/* The base64 of a token that fits in one header line of the parser's. */
#define MAX_TOKEN_B64 HTTP1_MAX_CHALLENGE_BYTES

const char *client_scheme_token(const char *challenge, const char *scheme)
{
	size_t n = strlen(scheme);
	const char *t;

	if (!challenge || strncasecmp(challenge, scheme, n) != 0 || !strchr(" \t,", challenge[n]))
		return NULL;
	t = challenge + n + strspn(challenge + n, " \t");
	/* "Negotiate, Basic realm=..." folded into one line is a bare offer. */
	return *t == ',' ? t + strlen(t) : t;
}

enum winrm_auth client_default_auth(int explicit_credentials, int kerberos_possible)
{
	return !explicit_credentials && kerberos_possible ? WINRM_AUTH_KERBEROS
							  : WINRM_AUTH_NEGOTIATE;
}

enum client_mech client_gss_mech(enum winrm_auth auth, int explicit_credentials,
				 int kerberos_possible)
{
	if (auth == WINRM_AUTH_KERBEROS)
		return CLIENT_MECH_KERBEROS;
	/* With a password and no realm to ask (or an address Kerberos cannot
	 * name), only NTLM can use it; SPNEGO would try Kerberos first. */
	return explicit_credentials && !kerberos_possible ? CLIENT_MECH_SPNEGO_NTLM
							  : CLIENT_MECH_SPNEGO;
}

void client_gss_clear(struct winrm_session *s)
{
	OM_uint32 minor;

	if (s->gss_ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &s->gss_ctx, GSS_C_NO_BUFFER);
	if (s->gss_cred != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&minor, &s->gss_cred);
	s->gss_ready = 0;
}

/* A failure to start or continue the context, in words a person can act
 * on where the cause is a known one. */
static enum winrm_result gss_failed(struct winrm_session *s, const char *what, OM_uint32 major,
				    OM_uint32 minor)
{
	char text[512];
	const char *name = winrm_auth_name(s->auth);

	msgenc_gss_why(major, minor,
		       s->mech == CLIENT_MECH_KERBEROS ? (gss_OID)gss_mech_krb5 : GSS_C_NO_OID,
		       text, sizeof(text));
	if (!s->user &&
	    (GSS_ROUTINE_ERROR(major) == GSS_S_NO_CRED || minor == (OM_uint32)KRB5_FCC_NOFILE ||
	     minor == (OM_uint32)KRB5_CC_NOTFOUND ||
	     minor == (OM_uint32)KRB5KRB_AP_ERR_TKT_EXPIRED))
		return client_fail(
		    s, WINRM_E_AUTH,
		    "%s authentication to %s found no usable Kerberos ticket (%s): run kinit "
		    "to get one, or give explicit credentials (-u:USER -p:PASSWORD)",
		    name, s->host, text);
	if (minor == (OM_uint32)KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN)
		return client_fail(
		    s, WINRM_E_AUTH,
		    "the Kerberos KDC does not know the service HTTP/%s (%s): give the host's "
		    "name as registered in the realm (not an alias), or use -a:Negotiate with "
		    "explicit credentials",
		    s->host, text);
	if (minor == (OM_uint32)KRB5_KDC_UNREACH || minor == (OM_uint32)KRB5_REALM_CANT_RESOLVE)
		return client_fail(
		    s, WINRM_E_AUTH,
		    "%s authentication to %s cannot reach a Kerberos KDC (%s): check the realm "
		    "in krb5.conf and the network, or use -a:Negotiate with explicit credentials",
		    name, s->host, text);
	if (minor == (OM_uint32)KRB5KDC_ERR_PREAUTH_FAILED ||
	    minor == (OM_uint32)KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN)
		return client_fail(
		    s, WINRM_E_AUTH,
		    "the Kerberos KDC rejected the credentials of %s (%s): check the user name "
		    "(user@REALM) and password",
		    s->user ? s->user : "(none)", text);
	return client_fail(s, WINRM_E_AUTH, "%s authentication to %s failed while %s: %s", name,
			   s->host, what, text[0] ? text : "no reason given");
}

/* "DOMAIN\user" is how Windows users write an account; Kerberos wants
 * user@DOMAIN, NTLM takes either. */
static void principal_text(const char *user, int kerberos, char *out, size_t cap)
{
	const char *slash = strchr(user, '\\');

	if (kerberos && slash && !strchr(user, '@'))
		snprintf(out, cap, "%s@%.*s", slash + 1, (int)(slash - user), user);
	else
		snprintf(out, cap, "%s", user);
}

/* The mechanism to start: Kerberos for -a:Kerberos; SPNEGO for Negotiate,
 * or bare NTLM when Kerberos is out (an address, no realm, or Kerberos
 * failed), the tokens Linux clients send under "Negotiate". SPNEGO with a
 * password would hand it to Kerberos as well, which asks the default
 * realm's KDC for a TGT in the user's name: a lookup that stalls, a failed
 * logon counted at somebody's KDC. */
static gss_OID mech_of(const struct winrm_session *s)
{
	if (s->mech == CLIENT_MECH_KERBEROS)
		return (gss_OID)gss_mech_krb5;
	return s->mech == CLIENT_MECH_SPNEGO_NTLM ? &ntlm_oid : &spnego_oid;
}

static enum winrm_result acquire(struct winrm_session *s)
{
	OM_uint32 major, minor;
	char principal[512];
	gss_buffer_desc name_buf, pw;
	gss_name_t name = GSS_C_NO_NAME;
	gss_OID_set_desc mechs = {1, mech_of(s)};

	if (!s->user)
		return WINRM_OK; /* the caller's credential cache */
	principal_text(s->user, s->mech == CLIENT_MECH_KERBEROS, principal, sizeof(principal));
	name_buf = (gss_buffer_desc){strlen(principal), principal};
	pw = (gss_buffer_desc){strlen(s->password), s->password};
	major = gss_import_name(&minor, &name_buf, GSS_C_NT_USER_NAME, &name);
	if (major != GSS_S_COMPLETE)
		return client_fail(s, WINRM_E_USAGE, "%s is not a user name GSSAPI accepts",
				   s->user);
	major = gss_acquire_cred_with_password(&minor, name, &pw, GSS_C_INDEFINITE, &mechs,
					       GSS_C_INITIATE, &s->gss_cred, NULL, NULL);
	gss_release_name(&minor, &name);
	if (s->mech == CLIENT_MECH_SPNEGO_NTLM && GSS_ROUTINE_ERROR(major) == GSS_S_BAD_MECH)
		return client_fail(
		    s, WINRM_E_AUTH,
		    "Negotiate cannot use NTLM here: is gss-ntlmssp installed (/etc/gss/mech.d)?");
	if (major != GSS_S_COMPLETE)
		return gss_failed(s, "taking the password", major, minor);
	return WINRM_OK;
}

/* "Negotiate <base64>" (or Kerberos) of a token into authz. */
static enum winrm_result header_of(struct winrm_session *s, const struct buf *tok,
				   struct buf *authz)
{
	buf_reset(authz);
	if (buf_putf(authz, "%s ", s->mech == CLIENT_MECH_KERBEROS ? "Kerberos" : "Negotiate") !=
		ERR_OK ||
	    util_b64_encode(authz, buf_ptr(tok), buf_len(tok)) != ERR_OK ||
	    buf_terminate(authz) != ERR_OK)
		return client_fail(s, WINRM_E_AUTH, "the %s token does not fit in a header",
				   winrm_auth_name(s->auth));
	return WINRM_OK;
}

/* One call of gss_init_sec_context with the server's token (NULL at
 * first); its output, if any, into tok (else tok is left empty).
 * Over HTTPS every Negotiate and Kerberos leg carries the connection's
 * channel binding, as Windows' client does (Extended Protection): a
 * service with CbtHardeningLevel=Strict refuses a logon without one, and
 * the binding ties the logon to this TLS connection, so a server that
 * relays our tokens through a TLS connection of its own (another
 * certificate) cannot use them. NTLM puts its hash in the AUTHENTICATE
 * message, Kerberos in the authenticator's checksum. When OpenSSL cannot
 * hash the certificate, the legs go unbound, which Relaxed still
 * accepts. CredSSP's inner exchange is never bound, as pyspnego's and
 * Windows' are not: its pubKeyAuth binds it to the CredSSP TLS channel
 * instead (MS-CSSP 3.1.5 step 3). */
static enum winrm_result init_step(struct winrm_session *s, const gss_buffer_desc *in,
				   struct buf *tok, int *complete, OM_uint32 *major_out,
				   OM_uint32 *minor_out)
{
	OM_uint32 major, minor, m;
	char service[300];
	uint8_t binding[TLS_BINDING_MAX];
	struct gss_channel_bindings_struct cbs;
	gss_channel_bindings_t cb = GSS_C_NO_CHANNEL_BINDINGS;
	gss_buffer_desc name_buf, out = GSS_C_EMPTY_BUFFER;
	gss_name_t target = GSS_C_NO_NAME;
	OM_uint32 flags = GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |
			  GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
	enum winrm_result r = WINRM_OK;

	if (s->flags & WINRM_FLAG_ALLOW_DELEGATION)
		flags |= GSS_C_DELEG_FLAG;
	memset(&cbs, 0, sizeof(cbs));
	if (s->auth != WINRM_AUTH_CREDSSP &&
	    (cbs.application_data.length = client_tls_binding(s, binding, sizeof(binding))) != 0) {
		cbs.application_data.value = binding;
		cb = &cbs;
	}
	snprintf(service, sizeof(service), "HTTP@%s", s->host);
	name_buf = (gss_buffer_desc){strlen(service), service};
	major = gss_import_name(&minor, &name_buf, GSS_C_NT_HOSTBASED_SERVICE, &target);
	if (major == GSS_S_COMPLETE)
		major = gss_init_sec_context(&minor, s->gss_cred, &s->gss_ctx, target, mech_of(s),
					     flags, GSS_C_INDEFINITE, cb, (gss_buffer_t)in, NULL,
					     &out, NULL, NULL);
	gss_release_name(&m, &target);
	*major_out = major;
	*minor_out = minor;
	buf_reset(tok);
	if (GSS_ERROR(major))
		r = WINRM_E_AUTH;
	else if (buf_put(tok, out.value, out.length) != ERR_OK)
		r = client_fail(s, WINRM_E_AUTH, "the %s token is too large",
				winrm_auth_name(s->auth));
	*complete = major == GSS_S_COMPLETE;
	gss_release_buffer(&m, &out);
	return r;
}

enum winrm_result client_gss_start(struct winrm_session *s, struct buf *tok)
{
	OM_uint32 major = 0, minor = 0;
	enum winrm_result r;
	int complete;

	/* A password with SPNEGO and a realm: Kerberos first, and NTLM if
	 * Kerberos cannot even start (no KDC, an unknown principal). */
	for (int round = 0; round < 2; round++) {
		client_gss_clear(s);
		if ((r = acquire(s)) != WINRM_OK)
			return r;
		r = init_step(s, NULL, tok, &complete, &major, &minor);
		if (r != WINRM_E_AUTH || !s->user || s->mech != CLIENT_MECH_SPNEGO)
			break;
		s->mech = CLIENT_MECH_SPNEGO_NTLM;
	}
	if (r == WINRM_E_AUTH && GSS_ERROR(major))
		return gss_failed(s, "starting", major, minor);
	if (r == WINRM_OK && buf_len(tok) == 0)
		return client_fail(s, WINRM_E_AUTH, "GSSAPI produced no %s token to send",
				   winrm_auth_name(s->auth));
	return r;
}

enum winrm_result client_gss_next(struct winrm_session *s, const uint8_t *in, size_t len,
				  struct buf *tok, int *complete)
{
	OM_uint32 major, minor;
	gss_buffer_desc in_buf = {len, (void *)in};
	enum winrm_result r = init_step(s, &in_buf, tok, complete, &major, &minor);

	if (r == WINRM_E_AUTH && GSS_ERROR(major))
		return gss_failed(s, "checking the server's answer", major, minor);
	return r;
}

enum winrm_result client_gss_begin(struct winrm_session *s, struct buf *authz)
{
	struct buf tok;
	enum winrm_result r;

	buf_init(&tok, MAX_TOKEN_B64);
	if ((r = client_gss_start(s, &tok)) == WINRM_OK)
		r = header_of(s, &tok, authz);
	buf_clear(&tok);
	return r;
}

enum winrm_result client_gss_step(struct winrm_session *s, const char *token_b64, struct buf *authz,
				  int *complete)
{
	struct buf raw, tok;
	enum winrm_result r;

	buf_init(&raw, MAX_TOKEN_B64);
	buf_init(&tok, MAX_TOKEN_B64);
	if (util_b64_decode(&raw, token_b64, strcspn(token_b64, " \t")) != ERR_OK ||
	    buf_len(&raw) == 0)
		r = client_fail(s, WINRM_E_PROTOCOL, "%s sent a %s token that is not base64",
				s->host_header, winrm_auth_name(s->auth));
	else
		r = client_gss_next(s, buf_ptr(&raw), buf_len(&raw), &tok, complete);
	buf_reset(authz);
	if (r == WINRM_OK && buf_len(&tok))
		r = header_of(s, &tok, authz);
	buf_clear(&raw);
	buf_clear(&tok);
	return r;
}

enum msgenc_protocol client_seal_protocol(const struct winrm_session *s)
{
	if (s->auth == WINRM_AUTH_CREDSSP)
		return MSGENC_CREDSSP;
	return s->mech == CLIENT_MECH_KERBEROS ? MSGENC_KERBEROS : MSGENC_SPNEGO;
}

enum winrm_result client_gss_seal(struct winrm_session *s, const struct buf *plain, struct buf *out)
{
	/* CredSSP's cipher is its TLS session, the others' the GSSAPI context. */
	enum err e =
	    s->auth == WINRM_AUTH_CREDSSP
		? msgenc_tls_wrap(s->credssp_tls, MSGENC_TABS, buf_ptr(plain), buf_len(plain), out)
		: msgenc_wrap(s->gss_ctx, client_seal_protocol(s), MSGENC_TABS, buf_ptr(plain),
			      buf_len(plain), out);

	if (e == ERR_LIMIT)
		return client_fail(s, WINRM_E_USAGE, "the request is too large to send");
	if (e != ERR_OK)
		return client_fail(s, WINRM_E_AUTH,
				   "cannot encrypt the request with the %s context",
				   winrm_auth_name(s->auth));
	return WINRM_OK;
}

enum winrm_result client_gss_open(struct winrm_session *s, struct http1_response *resp)
{
	enum msgenc_protocol proto;
	enum msgenc_style style;
	struct buf plain;
	enum err e;

	if (!msgenc_is_encrypted(resp->content_type, &proto)) {
		/* Empty bodies carry nothing to protect: a 401 or a bare 500. */
		if (buf_len(&resp->body) == 0)
			return WINRM_OK;
		return client_fail(
		    s, WINRM_E_PROTOCOL,
		    "%s answered an encrypted request with an unencrypted reply (HTTP %d, %s): "
		    "refused, as it could come from anyone on the network",
		    s->host_header, resp->status,
		    resp->content_type[0] ? resp->content_type : "no type");
	}
	buf_init(&plain, CLIENT_MAX_RESPONSE);
	if ((proto == MSGENC_CREDSSP) != (s->auth == WINRM_AUTH_CREDSSP))
		e = ERR_FORMAT;
	else if (proto == MSGENC_CREDSSP)
		e = msgenc_tls_unwrap(s->credssp_tls, buf_ptr(&resp->body), buf_len(&resp->body),
				      &plain, &style);
	else
		e = msgenc_unwrap(s->gss_ctx, buf_ptr(&resp->body), buf_len(&resp->body), &plain,
				  &style);
	if (e == ERR_OK) {
		buf_reset(&resp->body);
		e = buf_put(&resp->body, buf_ptr(&plain), buf_len(&plain));
	}
	buf_clear(&plain);
	if (e != ERR_OK)
		return client_fail(
		    s, WINRM_E_PROTOCOL,
		    "%s sent an encrypted reply that does not decrypt with this connection's "
		    "%s context (tampered with, replayed, or out of order)",
		    s->host_header, winrm_auth_name(s->auth));
	return WINRM_OK;
}
