/* client_int: what the files of libwinrm share. Private to src/client/;
 * the library's door is winrm.h. */
#ifndef OPENWINRM_CLIENT_INT_H
#define OPENWINRM_CLIENT_INT_H

#include <stdarg.h>
#include <stdint.h>

#include <gssapi/gssapi.h>
#include <openssl/ssl.h>

#include "client/winrm.h"
#include "common/buf.h"
#include "config/config.h"
#include "credssp/credssp.h"
#include "http/http1.h"
#include "msgenc/msgenc.h"
#include "wsman/wsman.h"

#define CLIENT_MAX_ENVELOPE 153600	/* w:MaxEnvelopeSize we ask for, as Windows' client */
#define CLIENT_MAX_RESPONSE (8u << 20)	/* the largest reply body we read */
#define CLIENT_CONNECT_TIMEOUT_MS 21000 /* Windows' TCP connect gives up after about 21 s */
#define CLIENT_REPLY_SLACK_MS 30000	/* beyond the OperationTimeout, for the reply to come */

struct digest_state {
	char *realm, *nonce, *opaque;
	int sha256;   /* algorithm=SHA-256 (else MD5) */
	int qop_auth; /* the server offered qop="auth" */
	uint32_t nc;  /* nonce count */
};

/* The GSSAPI mechanism behind Negotiate or Kerberos. */
enum client_mech {
	CLIENT_MECH_SPNEGO,	 /* Negotiate: Kerberos if it can, else NTLM */
	CLIENT_MECH_SPNEGO_NTLM, /* Negotiate with a password and no Kerberos to use it with */
	CLIENT_MECH_KERBEROS,	 /* the Kerberos scheme: krb5 alone */
};

/* Where a CredSSP handshake stands (MS-CSSP 3.1.5), on the client. */
enum client_credssp_stage {
	CLIENT_CREDSSP_TLS,	    /* TLS handshake records travel in the headers */
	CLIENT_CREDSSP_TLS_ENDED,   /* TLS 1.3: our Finished went alone; what comes back is read */
	CLIENT_CREDSSP_NEGO,	    /* SPNEGO tokens in TSRequest negoTokens */
	CLIENT_CREDSSP_PUBKEY,	    /* our pubKeyAuth sent; the server's proof expected */
	CLIENT_CREDSSP_CREDENTIALS, /* authInfo sent: a 2xx ends the handshake */
};

struct winrm_session {
	/* the endpoint */
	char url[1100];
	char host[256]; /* without brackets */
	char host_header[280];
	char path[512];
	char port[8];
	int https;
	int host_is_ip, host_is_local;
	/* who and how */
	char *user, *password;
	enum winrm_auth auth;
	unsigned flags;
	/* what the enumerations ask for (winrm_session_set_enumeration_mode) */
	enum winrm_enumeration_mode enumeration_mode;
	uint32_t timeout_ms;
	/* the connection */
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	int client_cert;       /* ctx holds the client certificate and its key (Certificate) */
	char tls_problem[512]; /* why the certificate was not trusted */
	const char *tls_alert; /* the alert that ended the connection (OpenSSL's static text) */
	int tls_spoken;	       /* a handshake with the endpoint succeeded: it speaks TLS */
	int ahead;	       /* a request was sent ahead; its reply is unread */
	char ahead_shell[WINRM_ID_LEN + 1], ahead_command[WINRM_ID_LEN + 1];
	struct http1_response_parser *parser;
	struct buf req;
	uint8_t rbuf[65536];
	size_t rstart, rend; /* bytes of rbuf read but not yet parsed */
	struct digest_state digest;
	/* Negotiate and Kerberos: the context authenticates the connection */
	enum client_mech mech;
	int seal; /* messages are encrypted (HTTP without -unencrypted) */
	gss_cred_id_t gss_cred;
	gss_ctx_id_t gss_ctx;
	int gss_ready; /* this connection's context is complete (CredSSP: its TLS channel) */
	/* CredSSP: the TLS channel whose records travel in the headers, and
	 * after the handshake the cipher of every message over HTTP */
	SSL_CTX *credssp_ctx;
	SSL *credssp_tls;
	enum client_credssp_stage credssp_stage;
	uint32_t credssp_version; /* the lower of the server's and ours */
	uint8_t credssp_nonce[CREDSSP_NONCE_LEN];
	/* Client/AllowFreshCredentialsWhenNTLMOnly lists the target, and its
	 * value for the message that says how to add it */
	int fresh_credentials_ntlm;
	char *fresh_credentials_ntlm_list;
	/* the last error */
	char err[1200];
	uint32_t fault_code;
};

/* Sets the session's error text; returns r. */
enum winrm_result client_fail(struct winrm_session *s, enum winrm_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* POSTs an envelope and reads the reply. On WINRM_OK *resp is the parsed
 * envelope of a 200 reply (free it with wsman_request_clear). Faults become
 * WINRM_E_FAULT / WINRM_E_TIMEOUT with the fault's text; refusals of the
 * credentials become WINRM_E_AUTH with what the server offers. */
enum winrm_result client_post(struct winrm_session *s, const struct buf *envelope,
			      struct wsman_request *resp);
/* Looks at the raw body of a 200 reply before it is parsed. */
typedef void client_body_fn(struct winrm_session *s, const struct buf *body, void *arg);
/* client_post, with the reply to a request already sent by
 * client_send_ahead (ahead set; envelope is sent only if that failed),
 * and then() called on the raw body of a 200 reply before it is parsed:
 * the moment to send the next request ahead. */
enum winrm_result client_post_then(struct winrm_session *s, const struct buf *envelope, int ahead,
				   client_body_fn *then, void *arg, struct wsman_request *resp);
/* Writes a request whose reply will be read by client_post_then, so the
 * server works on it while we handle the last reply. 0 if not sent (no
 * open connection, or one already ahead). */
int client_send_ahead(struct winrm_session *s, const struct buf *envelope);
/* What an envelope builder's error means to the caller (WINRM_OK for ERR_OK). */
enum winrm_result client_built(struct winrm_session *s, enum err built);
/* client_post of an envelope a builder just wrote (built: its result);
 * the envelope is freed either way. */
enum winrm_result client_post_built(struct winrm_session *s, struct buf *envelope, enum err built,
				    struct wsman_request *resp);
/* The raw body of a 200 reply to an unauthenticated or authenticated
 * request (Identify, whose reply has no WS-Addressing header). */
enum winrm_result client_post_raw(struct winrm_session *s, const struct buf *envelope, int identify,
				  struct buf *body);
void client_disconnect(struct winrm_session *s);
/* The session's TLS context, made on first use: the trust store and the
 * checks the flags leave on. */
enum winrm_result client_tls_context(struct winrm_session *s);
/* The channel binding of the open HTTPS connection: RFC 5929
 * tls-server-end-point of the certificate the server presented
 * (tls_binding.h), into out (cap at least TLS_BINDING_MAX). Its length;
 * 0 over HTTP, where there is nothing to bind to. */
size_t client_tls_binding(const struct winrm_session *s, uint8_t *out, size_t cap);

/* Digest (RFC 7616) from a WWW-Authenticate value. */
enum err digest_challenge(struct digest_state *d, const char *challenge, int *stale);
enum err digest_authorization(struct digest_state *d, const char *user, const char *password,
			      const char *method, const char *uri, struct buf *out);
/* digest_authorization with the client nonce given rather than drawn from
 * the CSPRNG: for the test vectors of RFC 7616 3.9.1, never for the wire. */
enum err digest_authorization_cnonce(struct digest_state *d, const char *user, const char *password,
				     const char *method, const char *uri, const char *cnonce,
				     struct buf *out);
void digest_clear(struct digest_state *d);

/* The token after scheme in one WWW-Authenticate value: NULL if the value
 * is another scheme's, "" if it offers the scheme without a token. */
const char *client_scheme_token(const char *challenge, const char *scheme);
/* Windows' default scheme: Kerberos when Kerberos is possible (this host
 * is in a realm, the target is a name other than localhost) and no
 * explicit credentials are given, else Negotiate. */
enum winrm_auth client_default_auth(int explicit_credentials, int kerberos_possible);
enum client_mech client_gss_mech(enum winrm_auth auth, int explicit_credentials,
				 int kerberos_possible);
/* A new context: its first token, raw, into tok. */
enum winrm_result client_gss_start(struct winrm_session *s, struct buf *tok);
/* The server's next raw token; the answer, if any, into tok (else it is
 * left empty); *complete once the context is established. */
enum winrm_result client_gss_next(struct winrm_session *s, const uint8_t *in, size_t len,
				  struct buf *tok, int *complete);
/* A new context: its first token as an Authorization value in authz. */
enum winrm_result client_gss_begin(struct winrm_session *s, struct buf *authz);
/* The server's next token (base64); the answer, if any, into authz (else
 * it is left empty); *complete once the context is established. */
enum winrm_result client_gss_step(struct winrm_session *s, const char *token_b64, struct buf *authz,
				  int *complete);
/* The protocol string a sealed request carries: CredSSP's, or Kerberos'
 * or SPNEGO's by the mechanism. */
enum msgenc_protocol client_seal_protocol(const struct winrm_session *s);
/* A request body sealed for the wire, and a reply opened in place (a
 * plaintext reply with a body is refused): with the CredSSP TLS channel,
 * or the GSSAPI context. */
enum winrm_result client_gss_seal(struct winrm_session *s, const struct buf *plain,
				  struct buf *out);
enum winrm_result client_gss_open(struct winrm_session *s, struct http1_response *resp);
void client_gss_clear(struct winrm_session *s);

/* CredSSP (MS-CSSP over HTTP, credssp.c), with the calling conventions
 * of client_gss_begin and client_gss_step: *complete once the
 * credentials are on their way, when the next 2xx ends the handshake. */
enum winrm_result client_credssp_begin(struct winrm_session *s, struct buf *authz);
enum winrm_result client_credssp_step(struct winrm_session *s, const char *token_b64,
				      struct buf *authz, int *complete);
/* Forgets the connection's CredSSP channel (its TLS state and context). */
void client_credssp_clear(struct winrm_session *s);
/* Does a comma list of "SERVICE/HOST" names (Client/AllowFreshCredentials
 * and ...WhenNTLMOnly, the host with "*" wildcards as Windows' policy
 * takes them: *.example.com, or * alone for every host) allow WSMAN/host? */
int client_fresh_credentials_allowed(const char *list, const char *host);

/* The header every request starts with. */
void client_header(const struct winrm_session *s, struct wsman_client_header *h);

#endif
