/* credssp: the client side of CredSSP (MS-CSSP) over HTTP for libwinrm,
 * as requests-credssp and pyspnego do it against Windows (docs/winrm-
 * protocol.md 8.5). A TLS client on memory BIOs whose records travel
 * base64 in `Authorization: CredSSP`, the server's in the 401 replies'
 * `WWW-Authenticate: CredSSP`; over that channel TSRequest messages
 * (src/credssp/) carry an SPNEGO exchange made by gss.c, the proof that
 * both ends of it saw the same TLS public key (pubKeyAuth), and last the
 * user's password (authInfo). conn.c carries the legs on empty POSTs and
 * afterwards, over HTTP, encrypts every message with the TLS channel
 * (MS-WSMV 2.2.9.1.3). Nothing here computes a key: TLS is OpenSSL's,
 * the inner context GSSAPI's. */
#include "client/client_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "common/util.h"

/* Windows negotiates TLS 1.2 with ECDHE-RSA AES-GCM (or TLS 1.3) for
 * CredSSP; only AEAD suites, whose trailer msgenc can count on. */
#define TLS12_SUITES "ECDHE+AESGCM:DHE+AESGCM:RSA+AESGCM:!aNULL:!PSK:!SRP:!DSS"
#define TLS13_SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"
/* The base64 of one leg's TLS records: a TSRequest and the TLS framing. */
#define MAX_LEG_B64 util_b64_encoded_len(CREDSSP_MAX_TSREQUEST + 1024)
/* The oldest version we accept: 2 to 4 bind the public key without the
 * client's nonce, open to the attack of CVE-2018-0886; Windows' client
 * refuses such servers since its fix (Encryption Oracle Remediation,
 * "Mitigated" by default). */
#define MIN_SERVER_VERSION 5
/* An NTLM AUTHENTICATE message: its signature and MessageType 3. */
static const uint8_t ntlm_authenticate[] = "NTLMSSP\0\3\0\0\0";

void client_credssp_clear(struct winrm_session *s)
{
	if (s->credssp_tls) {
		SSL_free(s->credssp_tls);
		s->credssp_tls = NULL;
	}
	s->credssp_stage = CLIENT_CREDSSP_TLS;
	OPENSSL_cleanse(s->credssp_nonce, sizeof(s->credssp_nonce));
}

static enum winrm_result tls_failed(struct winrm_session *s, const char *what)
{
	return client_fail(s, WINRM_E_TLS, "the CredSSP TLS channel with %s failed while %s (%s)",
			   s->host_header, what,
			   ERR_reason_error_string(ERR_peek_last_error()) ?: "no reason given");
}

/* The inner TLS context. Its certificate is not checked against a trust
 * store: Windows presents a self-signed CredSSP certificate on HTTP
 * listeners, and CredSSP binds the server's public key through
 * pubKeyAuth instead (MS-CSSP 3.1.5 steps 3 and 4), which an impostor
 * cannot produce without the inner context's key. No tickets and no
 * session cache: every handshake is a full one, on its connection. */
static enum winrm_result tls_context(struct winrm_session *s)
{
	SSL_CTX *ctx;

	if (s->credssp_ctx)
		return WINRM_OK;
	if (!(ctx = SSL_CTX_new(TLS_client_method())))
		return tls_failed(s, "setting up");
	s->credssp_ctx = ctx;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, TLS12_SUITES) ||
	    !SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES))
		return tls_failed(s, "setting up");
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return WINRM_OK;
}

/* What TLS wrote, as an Authorization value "CredSSP <base64>" in authz;
 * authz is left empty when it wrote nothing. */
static enum winrm_result drain(struct winrm_session *s, struct buf *authz)
{
	BIO *wbio = SSL_get_wbio(s->credssp_tls);
	size_t n = BIO_ctrl_pending(wbio);
	struct buf records;
	uint8_t *space;
	enum err e = ERR_OK;

	buf_reset(authz);
	if (n == 0)
		return WINRM_OK;
	buf_init(&records, CREDSSP_MAX_TSREQUEST + 1024);
	if ((e = buf_reserve(&records, n, &space)) == ERR_OK) {
		if (BIO_read(wbio, space, (int)n) != (int)n)
			e = ERR_INTERNAL;
		else
			buf_commit(&records, n);
	}
	if (e == ERR_OK && (e = buf_putf(authz, "CredSSP ")) == ERR_OK &&
	    (e = util_b64_encode(authz, buf_ptr(&records), buf_len(&records))) == ERR_OK)
		e = buf_terminate(authz);
	buf_clear(&records);
	return e == ERR_OK
		   ? WINRM_OK
		   : client_fail(s, WINRM_E_AUTH, "the CredSSP message does not fit a header");
}

/* One TSRequest encrypted by the TLS channel, into authz. */
static enum winrm_result send_tsrequest(struct winrm_session *s, const struct credssp_tsrequest *m,
					struct buf *authz)
{
	struct buf der;
	size_t done = 0;
	int ok;

	buf_init(&der, CREDSSP_MAX_TSREQUEST);
	if (credssp_tsrequest_encode(&der, m) != ERR_OK) {
		buf_clear(&der);
		return client_fail(s, WINRM_E_AUTH, "the CredSSP message is too large");
	}
	ERR_clear_error();
	ok = SSL_write_ex(s->credssp_tls, buf_ptr(&der), buf_len(&der), &done) == 1 &&
	     done == buf_len(&der);
	buf_clear(&der);
	return ok ? drain(s, authz) : tls_failed(s, "encrypting");
}

/* Windows' words for the NTSTATUS codes a CredSSP server answers with. */
static const char *ntstatus_text(uint32_t code)
{
	switch (code) {
	case 0xC000006Du:
		return "STATUS_LOGON_FAILURE: the user name or password is wrong";
	case 0xC000006Eu:
		return "STATUS_ACCOUNT_RESTRICTION";
	case 0xC0000022u:
		return "STATUS_ACCESS_DENIED";
	case 0xC000015Bu:
		return "STATUS_LOGON_TYPE_NOT_GRANTED: the account may not log on from the "
		       "network";
	case 0xC0000224u:
		return "STATUS_PASSWORD_MUST_CHANGE";
	case 0xC0000071u:
		return "STATUS_PASSWORD_EXPIRED";
	case 0xC0000234u:
		return "STATUS_ACCOUNT_LOCKED_OUT";
	default:
		return "see Windows' NTSTATUS values";
	}
}

/* The server's TSRequest from what the last 401 brought; its errorCode
 * (MS-CSSP 2.2.1: "the server ... sends the error code to the client")
 * is a refusal. */
static enum winrm_result read_tsrequest(struct winrm_session *s, struct credssp_tsrequest *m)
{
	struct buf plain;
	enum winrm_result r = WINRM_OK;
	enum err e = ERR_OK;

	memset(m, 0, sizeof(*m));
	buf_init(&plain, CREDSSP_MAX_TSREQUEST);
	/* Bounded by the bytes the last leg brought: each read takes some. */
	for (int rounds = 0; rounds < 4096 && e == ERR_OK; rounds++) {
		uint8_t chunk[16384];
		size_t got = 0;
		ERR_clear_error();
		int rc = SSL_read_ex(s->credssp_tls, chunk, sizeof(chunk), &got);
		if (rc == 1) {
			e = buf_put(&plain, chunk, got);
			continue;
		}
		if (SSL_get_error(s->credssp_tls, rc) != SSL_ERROR_WANT_READ) {
			buf_clear(&plain);
			return tls_failed(s, "decrypting the server's message");
		}
		break;
	}
	if (e != ERR_OK || buf_len(&plain) == 0)
		r = client_fail(s, WINRM_E_PROTOCOL, "%s sent %s CredSSP message", s->host_header,
				e != ERR_OK ? "an oversized" : "an empty");
	else if (credssp_tsrequest_parse(buf_ptr(&plain), buf_len(&plain), m) != ERR_OK)
		r = client_fail(s, WINRM_E_PROTOCOL,
				"%s sent a CredSSP message that is not a TSRequest",
				s->host_header);
	else if (m->has_error_code)
		r = client_fail(s, WINRM_E_AUTH,
				"%s refused CredSSP authentication with NTSTATUS 0x%08X (%s)",
				s->host_header, m->error_code, ntstatus_text(m->error_code));
	buf_clear(&plain);
	if (r != WINRM_OK)
		credssp_tsrequest_clear(m);
	return r;
}

/* gss_wrap with confidentiality, or gss_unwrap insisting on it. */
static enum winrm_result inner_seal(struct winrm_session *s, int seal, const uint8_t *p, size_t n,
				    struct buf *out)
{
	OM_uint32 major, minor, m;
	gss_buffer_desc in = {n, (void *)p}, res = GSS_C_EMPTY_BUFFER;
	int conf = 0;
	enum err e;

	if (seal)
		major = gss_wrap(&minor, s->gss_ctx, 1, GSS_C_QOP_DEFAULT, &in, &conf, &res);
	else
		major = gss_unwrap(&minor, s->gss_ctx, &in, &res, &conf, NULL);
	if (major != GSS_S_COMPLETE || !conf) {
		gss_release_buffer(&m, &res);
		return seal ? client_fail(s, WINRM_E_AUTH,
					  "cannot encrypt with the CredSSP inner context")
			    : client_fail(s, WINRM_E_AUTH,
					  "%s sent a CredSSP pubKeyAuth that does not decrypt with "
					  "the inner context: refused, possible man in the middle",
					  s->host_header);
	}
	e = buf_put(out, res.value, res.length);
	if (res.value)
		OPENSSL_cleanse(res.value, res.length);
	gss_release_buffer(&m, &res);
	return e == ERR_OK ? WINRM_OK
			   : client_fail(s, WINRM_E_AUTH, "the CredSSP value is too large");
}

/* MS-CSSP 3.1.5 step 1: the SPNEGO exchange starts in the first
 * TSRequest, sent with the version we speak. */
static enum winrm_result send_nego_token(struct winrm_session *s, const struct buf *tok,
					 struct buf *authz)
{
	struct credssp_tsrequest m = {.version = CREDSSP_VERSION,
				      .nego_token = (uint8_t *)buf_ptr(tok),
				      .nego_token_len = buf_len(tok)};

	return send_tsrequest(s, &m, authz);
}

static enum winrm_result start_nego(struct winrm_session *s, struct buf *authz)
{
	struct buf tok;
	enum winrm_result r;

	buf_init(&tok, CREDSSP_MAX_TSREQUEST);
	if ((r = client_gss_start(s, &tok)) == WINRM_OK)
		r = send_nego_token(s, &tok, authz);
	buf_clear(&tok);
	s->credssp_stage = CLIENT_CREDSSP_NEGO;
	return r;
}

/* The TLS handshake, one flight per leg (pyspnego's _step_tls). */
static enum winrm_result handshake(struct winrm_session *s, struct buf *authz)
{
	enum winrm_result r;
	int rc;

	ERR_clear_error();
	rc = SSL_do_handshake(s->credssp_tls);
	if (rc != 1 && SSL_get_error(s->credssp_tls, rc) != SSL_ERROR_WANT_READ)
		return tls_failed(s, "shaking hands");
	if ((r = drain(s, authz)) != WINRM_OK)
		return r;
	if (rc != 1)
		return buf_len(authz) ? WINRM_OK
				      : client_fail(s, WINRM_E_PROTOCOL,
						    "%s sent an incomplete CredSSP TLS handshake",
						    s->host_header);
	/* TLS 1.3 ends with our Finished, which goes alone as pyspnego
	 * sends it; TLS 1.2 ends with the server's, and the SPNEGO exchange
	 * starts at once. */
	if (buf_len(authz)) {
		s->credssp_stage = CLIENT_CREDSSP_TLS_ENDED;
		return WINRM_OK;
	}
	return start_nego(s, authz);
}

enum winrm_result client_credssp_begin(struct winrm_session *s, struct buf *authz)
{
	BIO *rbio, *wbio;
	enum winrm_result r;

	client_credssp_clear(s);
	client_gss_clear(s);
	if ((r = tls_context(s)) != WINRM_OK)
		return r;
	if (!(s->credssp_tls = SSL_new(s->credssp_ctx)))
		return tls_failed(s, "setting up");
	rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(BIO_s_mem());
	if (!rbio || !wbio) {
		BIO_free(rbio);
		BIO_free(wbio);
		return tls_failed(s, "setting up");
	}
	/* The server's records wait in rbio until TLS asks for them. */
	BIO_set_mem_eof_return(rbio, -1);
	SSL_set_bio(s->credssp_tls, rbio, wbio);
	SSL_set_connect_state(s->credssp_tls);
	return handshake(s, authz);
}

/* With SPNEGO, NTLM's AUTHENTICATE leaves the context incomplete (the
 * server's mechListMIC is still to come) although it can already seal:
 * pyspnego and requests-credssp send pubKeyAuth with it, recognising it
 * by its signature, and so do we. */
static int is_ntlm_authenticate(const struct buf *tok)
{
	return memmem(buf_ptr(tok), buf_len(tok), ntlm_authenticate,
		      sizeof(ntlm_authenticate) - 1) != NULL;
}

/* Windows asks AllowFreshCredentialsWhenNTLMOnly before it delegates to
 * a server only NTLM authenticated (NTLM proves nothing of the server's
 * identity: anyone who knows the user's password, or relays to the
 * one that does, passes). */
static enum winrm_result check_ntlm_policy(struct winrm_session *s)
{
	if (s->fresh_credentials_ntlm)
		return WINRM_OK;
	return client_fail(
	    s, WINRM_E_POLICY,
	    "CredSSP to %s authenticated the server with NTLM only, which does not prove its "
	    "identity, and the client configuration does not allow delegating credentials "
	    "then: add WSMAN/%s to AllowFreshCredentialsWhenNTLMOnly: winrm set "
	    "winrm/config/client '@{AllowFreshCredentialsWhenNTLMOnly=\"%s%sWSMAN/%s\"}'",
	    s->host, s->host, s->fresh_credentials_ntlm_list,
	    *s->fresh_credentials_ntlm_list ? "," : "", s->host);
}

/* MS-CSSP 3.1.5 step 3: the last SPNEGO token (if any) with pubKeyAuth,
 * the server's public key bound to our fresh nonce and sealed. */
static enum winrm_result send_pubkey(struct winrm_session *s, const struct buf *tok, int ntlm,
				     struct buf *authz)
{
	X509 *cert = SSL_get0_peer_certificate(s->credssp_tls);
	struct buf binding, sealed;
	enum winrm_result r = WINRM_OK;

	if (s->credssp_version < MIN_SERVER_VERSION)
		return client_fail(
		    s, WINRM_E_AUTH,
		    "%s speaks CredSSP version %u, which does not protect the public key "
		    "binding (CVE-2018-0886): refused, as Windows' updated clients refuse it. "
		    "Install the server's CredSSP update",
		    s->host_header, s->credssp_version);
	if (ntlm && (r = check_ntlm_policy(s)) != WINRM_OK)
		return r;
	if (RAND_bytes(s->credssp_nonce, sizeof(s->credssp_nonce)) != 1)
		return client_fail(s, WINRM_E_AUTH, "no random numbers for the CredSSP nonce");
	buf_init(&binding, CREDSSP_BINDING_HASH_LEN);
	buf_init(&sealed, 4096);
	if (credssp_pubkey_auth(cert, s->credssp_version, CREDSSP_CLIENT_TO_SERVER,
				s->credssp_nonce, &binding) != ERR_OK)
		r = client_fail(
		    s, WINRM_E_PROTOCOL,
		    "%s presented a CredSSP TLS certificate without a usable public key",
		    s->host_header);
	if (r == WINRM_OK)
		r = inner_seal(s, 1, buf_ptr(&binding), buf_len(&binding), &sealed);
	if (r == WINRM_OK) {
		struct credssp_tsrequest m = {.version = CREDSSP_VERSION,
					      .nego_token = (uint8_t *)buf_ptr(tok),
					      .nego_token_len = buf_len(tok),
					      .pub_key_auth = (uint8_t *)buf_ptr(&sealed),
					      .pub_key_auth_len = buf_len(&sealed),
					      .has_client_nonce = 1};
		if (!buf_len(tok))
			m.nego_token = NULL;
		memcpy(m.client_nonce, s->credssp_nonce, sizeof(m.client_nonce));
		r = send_tsrequest(s, &m, authz);
		OPENSSL_cleanse(m.client_nonce, sizeof(m.client_nonce));
	}
	buf_clear(&binding);
	buf_clear(&sealed);
	s->credssp_stage = CLIENT_CREDSSP_PUBKEY;
	return r;
}

/* Step 4 checked: the server's pubKeyAuth opens to the server-to-client
 * binding of the same key and nonce. */
static enum winrm_result check_pubkey(struct winrm_session *s, const struct credssp_tsrequest *m)
{
	X509 *cert = SSL_get0_peer_certificate(s->credssp_tls);
	struct buf want, got;
	enum winrm_result r = WINRM_OK;

	if (!m->pub_key_auth)
		return client_fail(s, WINRM_E_AUTH,
				   "%s answered CredSSP without its pubKeyAuth: refused",
				   s->host_header);
	buf_init(&want, CREDSSP_BINDING_HASH_LEN);
	buf_init(&got, 4096);
	if (credssp_pubkey_auth(cert, s->credssp_version, CREDSSP_SERVER_TO_CLIENT,
				s->credssp_nonce, &want) != ERR_OK)
		r = client_fail(s, WINRM_E_PROTOCOL, "cannot compute the CredSSP binding");
	if (r == WINRM_OK)
		r = inner_seal(s, 0, m->pub_key_auth, m->pub_key_auth_len, &got);
	if (r == WINRM_OK && (buf_len(&got) != buf_len(&want) ||
			      CRYPTO_memcmp(buf_ptr(&got), buf_ptr(&want), buf_len(&want)) != 0))
		r = client_fail(
		    s, WINRM_E_AUTH,
		    "%s proved no knowledge of the CredSSP TLS certificate's key (its pubKeyAuth "
		    "does not match): refused, possible man in the middle",
		    s->host_header);
	buf_clear(&want);
	buf_clear(&got);
	return r;
}

/* Step 5: the password, sealed by the inner context. "DOMAIN\user" gives
 * its domain; any other form (user, user@realm) goes whole with an empty
 * domain, as pyspnego's split_username does. Every buffer that held the
 * password in clear is wiped (buf_clear). */
static enum winrm_result send_credentials(struct winrm_session *s, struct buf *authz)
{
	const char *slash = strchr(s->user, '\\');
	char domain[256] = "";
	struct buf plain, sealed;
	enum winrm_result r = WINRM_OK;

	if (slash && (size_t)(slash - s->user) < sizeof(domain))
		memcpy(domain, s->user, (size_t)(slash - s->user));
	struct credssp_password_creds c = {
	    .domain = domain, .user = slash ? (char *)slash + 1 : s->user, .password = s->password};
	buf_init(&plain, CREDSSP_MAX_CREDENTIALS);
	buf_init(&sealed, CREDSSP_MAX_CREDENTIALS + 1024);
	if (credssp_credentials_encode(&plain, &c) != ERR_OK)
		r = client_fail(s, WINRM_E_USAGE,
				"the user name or password is too long or not UTF-8");
	if (r == WINRM_OK)
		r = inner_seal(s, 1, buf_ptr(&plain), buf_len(&plain), &sealed);
	buf_clear(&plain);
	if (r == WINRM_OK) {
		struct credssp_tsrequest m = {.version = CREDSSP_VERSION,
					      .auth_info = (uint8_t *)buf_ptr(&sealed),
					      .auth_info_len = buf_len(&sealed)};
		r = send_tsrequest(s, &m, authz);
	}
	buf_clear(&sealed);
	s->credssp_stage = CLIENT_CREDSSP_CREDENTIALS;
	return r;
}

/* A TSRequest of the SPNEGO exchange (step 2): the next token, or, once
 * the context can seal, pubKeyAuth. */
static enum winrm_result nego(struct winrm_session *s, struct buf *authz)
{
	struct credssp_tsrequest m;
	struct buf tok;
	enum winrm_result r;
	int complete = 0;

	if ((r = read_tsrequest(s, &m)) != WINRM_OK)
		return r;
	s->credssp_version = m.version < CREDSSP_VERSION ? m.version : CREDSSP_VERSION;
	buf_init(&tok, CREDSSP_MAX_TSREQUEST);
	if (!m.nego_token)
		r = client_fail(s, WINRM_E_PROTOCOL,
				"%s sent a CredSSP message without the SPNEGO token expected",
				s->host_header);
	else
		r = client_gss_next(s, m.nego_token, m.nego_token_len, &tok, &complete);
	credssp_tsrequest_clear(&m);
	if (r == WINRM_OK) {
		int ntlm_auth = !complete && is_ntlm_authenticate(&tok);
		if (complete || ntlm_auth)
			r = send_pubkey(s, &tok, ntlm_auth || !msgenc_is_kerberos(s->gss_ctx),
					authz);
		else if (buf_len(&tok) == 0)
			r = client_fail(s, WINRM_E_AUTH,
					"%s asked for another CredSSP leg, but GSSAPI has no "
					"token to send",
					s->host_header);
		else
			r = send_nego_token(s, &tok, authz);
	}
	buf_clear(&tok);
	return r;
}

/* The server's proof (step 4), with SPNEGO's last token (NTLM's
 * mechListMIC) that completes the context; then the credentials. */
static enum winrm_result pubkey(struct winrm_session *s, struct buf *authz, int *complete)
{
	struct credssp_tsrequest m;
	struct buf tok;
	enum winrm_result r;
	int done = 1;

	if ((r = read_tsrequest(s, &m)) != WINRM_OK)
		return r;
	buf_init(&tok, CREDSSP_MAX_TSREQUEST);
	if (m.nego_token)
		r = client_gss_next(s, m.nego_token, m.nego_token_len, &tok, &done);
	if (r == WINRM_OK && !done)
		r = client_fail(s, WINRM_E_AUTH,
				"%s did not complete the SPNEGO exchange of CredSSP",
				s->host_header);
	if (r == WINRM_OK)
		r = check_pubkey(s, &m);
	credssp_tsrequest_clear(&m);
	buf_clear(&tok);
	if (r == WINRM_OK && (r = send_credentials(s, authz)) == WINRM_OK)
		*complete = 1;
	return r;
}

enum winrm_result client_credssp_step(struct winrm_session *s, const char *token_b64,
				      struct buf *authz, int *complete)
{
	struct buf raw;
	enum err e;

	*complete = 0;
	buf_reset(authz);
	if (!s->credssp_tls)
		return client_fail(s, WINRM_E_AUTH, "no CredSSP handshake is under way");
	buf_init(&raw, MAX_LEG_B64);
	e = util_b64_decode(&raw, token_b64, strcspn(token_b64, " \t"));
	if (e != ERR_OK || (buf_len(&raw) == 0 && s->credssp_stage != CLIENT_CREDSSP_TLS_ENDED) ||
	    (buf_len(&raw) && BIO_write(SSL_get_rbio(s->credssp_tls), buf_ptr(&raw),
					(int)buf_len(&raw)) != (int)buf_len(&raw))) {
		buf_clear(&raw);
		return client_fail(s, WINRM_E_PROTOCOL,
				   "%s sent a CredSSP token that is not base64", s->host_header);
	}
	buf_clear(&raw);
	switch (s->credssp_stage) {
	case CLIENT_CREDSSP_TLS:
		return handshake(s, authz);
	case CLIENT_CREDSSP_TLS_ENDED:
		/* What came back (TLS 1.3 tickets, or nothing) waits for the
		 * first read. */
		return start_nego(s, authz);
	case CLIENT_CREDSSP_NEGO:
		return nego(s, authz);
	case CLIENT_CREDSSP_PUBKEY:
		return pubkey(s, authz, complete);
	case CLIENT_CREDSSP_CREDENTIALS:
	default: {
		/* A 401 after the credentials, with the reason inside. */
		struct credssp_tsrequest m;
		enum winrm_result r = read_tsrequest(s, &m);
		credssp_tsrequest_clear(&m);
		return r != WINRM_OK ? r
				     : client_fail(s, WINRM_E_AUTH,
						   "%s refused the credentials CredSSP delegated",
						   s->host_header);
	}
	}
}
