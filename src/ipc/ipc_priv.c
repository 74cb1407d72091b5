/* ipc_priv: codecs of the messages between the privileged part and the
 * network process or the GSSAPI acceptor. Both directions are hostile
 * input to someone: the privileged part must survive a compromised
 * network process or acceptor, so every
 * decoder checks each length against its limit before allocating, refuses
 * NUL bytes inside strings (a C string would silently end there) and
 * trailing bytes. A whole datagram is one message, so a short body is
 * malformed (ERR_FORMAT), never "incomplete". Encoders refuse what the
 * decoder would refuse, so a sender learns of a bad value at its own end. */
#include "ipc/ipc_priv.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/config.h"

/* Fields the header leaves unbounded. The scheme is a short token; a
 * listener's name and URL prefix come from configuration values, which are
 * at most CONFIG_MAX_VALUE bytes ("Address=" and "+Transport=HTTPS" add 24). */
#define MAX_SCHEME 64
#define MAX_LISTENER_NAME (CONFIG_MAX_VALUE + 32)
#define MAX_URL_PREFIX CONFIG_MAX_VALUE

static enum err put_str(struct buf *out, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n > max)
		return ERR_LIMIT;
	return buf_put_string(out, s ? s : "", n);
}

/* A TCP port: 0 (unknown) to 65535. */
static enum err get_port(struct buf *in, uint32_t *v)
{
	IPC_TRY(buf_get_u32(in, v));
	return *v > 65535 ? ERR_FORMAT : ERR_OK;
}

static enum err put_port(struct buf *out, uint32_t v)
{
	return v > 65535 ? ERR_USAGE : buf_put_u32(out, v);
}

static enum err get_bool(struct buf *in, uint32_t *v)
{
	IPC_TRY(buf_get_u32(in, v));
	return *v > 1 ? ERR_FORMAT : ERR_OK;
}

static void free_secret(char **s)
{
	if (*s) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

enum err ipc_auth_password_encode(struct buf *out, const struct ipc_auth_password *m)
{
	IPC_TRY(put_str(out, m->user, IPC_MAX_USER));
	IPC_TRY(put_str(out, m->password, IPC_MAX_PASSWORD));
	IPC_TRY(put_str(out, m->peer, IPC_MAX_PEER));
	IPC_TRY(put_port(out, m->peer_port));
	return put_str(out, m->scheme, MAX_SCHEME);
}

static enum err auth_password_fields(struct buf *in, struct ipc_auth_password *m)
{
	IPC_TRY(buf_get_cstring(in, &m->user, IPC_MAX_USER));
	IPC_TRY(buf_get_cstring(in, &m->password, IPC_MAX_PASSWORD));
	IPC_TRY(buf_get_cstring(in, &m->peer, IPC_MAX_PEER));
	IPC_TRY(get_port(in, &m->peer_port));
	IPC_TRY(buf_get_cstring(in, &m->scheme, MAX_SCHEME));
	return ipc_body_end(in);
}

enum err ipc_auth_password_decode(struct buf *in, struct ipc_auth_password *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = auth_password_fields(in, m);
	if (e != ERR_OK)
		ipc_auth_password_clear(m);
	return e;
}

void ipc_auth_password_clear(struct ipc_auth_password *m)
{
	free(m->user);
	free_secret(&m->password);
	free(m->peer);
	free(m->scheme);
	memset(m, 0, sizeof(*m));
}

enum err ipc_auth_result_encode(struct buf *out, const struct ipc_auth_result *m)
{
	if (m->status > IPC_AUTH_CONTINUE || m->is_admin > 1)
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, m->status));
	IPC_TRY(put_str(out, m->user, IPC_MAX_USER));
	IPC_TRY(buf_put_u32(out, m->uid));
	IPC_TRY(buf_put_u32(out, m->is_admin));
	return buf_put(out, m->token, IPC_TOKEN_LEN);
}

/* The fields of an IPC_AUTH_RESULT, which also open IPC_AUTH_GSS_RESULT. */
static enum err auth_result_fields(struct buf *in, struct ipc_auth_result *m)
{
	IPC_TRY(buf_get_u32(in, &m->status));
	if (m->status > IPC_AUTH_CONTINUE)
		return ERR_FORMAT;
	IPC_TRY(buf_get_cstring(in, &m->user, IPC_MAX_USER));
	IPC_TRY(buf_get_u32(in, &m->uid));
	IPC_TRY(get_bool(in, &m->is_admin));
	IPC_TRY(buf_get(in, m->token, IPC_TOKEN_LEN));
	return ERR_OK;
}

enum err ipc_auth_result_decode(struct buf *in, struct ipc_auth_result *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = auth_result_fields(in, m);
	if (e == ERR_OK)
		e = ipc_body_end(in);
	if (e != ERR_OK)
		ipc_auth_result_clear(m);
	return e;
}

void ipc_auth_result_clear(struct ipc_auth_result *m)
{
	free(m->user);
	/* The token is a capability to start the user's host. */
	OPENSSL_cleanse(m, sizeof(*m));
}

/* A byte string of at most max bytes, copied out (NULL when empty). */
static enum err get_blob(struct buf *in, uint8_t **out, size_t *len, size_t max)
{
	const uint8_t *p;

	*out = NULL;
	IPC_TRY(buf_get_string_view(in, &p, len));
	if (*len > max)
		return ERR_LIMIT;
	if (*len == 0)
		return ERR_OK;
	if (!(*out = malloc(*len)))
		return ERR_NOMEM;
	memcpy(*out, p, *len);
	return ERR_OK;
}

static enum err put_blob(struct buf *out, const uint8_t *p, size_t len, size_t max)
{
	if (len > max)
		return ERR_LIMIT;
	return buf_put_string(out, p ? (const void *)p : "", len);
}

enum err ipc_auth_gss_encode(struct buf *out, const struct ipc_auth_gss *m)
{
	if (m->kerberos_only > 1 || m->token_len == 0)
		return ERR_USAGE;
	IPC_TRY(buf_put_u64(out, m->conn));
	IPC_TRY(buf_put_u32(out, m->kerberos_only));
	IPC_TRY(put_str(out, m->peer, IPC_MAX_PEER));
	IPC_TRY(put_port(out, m->peer_port));
	IPC_TRY(put_blob(out, m->token, m->token_len, IPC_MAX_GSS_TOKEN));
	return put_blob(out, m->binding, m->binding_len, IPC_MAX_CHANNEL_BINDING);
}

static enum err auth_gss_fields(struct buf *in, struct ipc_auth_gss *m)
{
	IPC_TRY(buf_get_u64(in, &m->conn));
	IPC_TRY(get_bool(in, &m->kerberos_only));
	IPC_TRY(buf_get_cstring(in, &m->peer, IPC_MAX_PEER));
	IPC_TRY(get_port(in, &m->peer_port));
	IPC_TRY(get_blob(in, &m->token, &m->token_len, IPC_MAX_GSS_TOKEN));
	IPC_TRY(get_blob(in, &m->binding, &m->binding_len, IPC_MAX_CHANNEL_BINDING));
	IPC_TRY(ipc_body_end(in));
	return m->token_len ? ERR_OK : ERR_FORMAT;
}

enum err ipc_auth_gss_decode(struct buf *in, struct ipc_auth_gss *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = auth_gss_fields(in, m);
	if (e != ERR_OK)
		ipc_auth_gss_clear(m);
	return e;
}

void ipc_auth_gss_clear(struct ipc_auth_gss *m)
{
	free(m->peer);
	free(m->token);
	free(m->binding);
	memset(m, 0, sizeof(*m));
}

enum err ipc_auth_cert_encode(struct buf *out, const struct ipc_auth_cert *m)
{
	if (m->chain_len == 0)
		return ERR_USAGE;
	IPC_TRY(put_str(out, m->peer, IPC_MAX_PEER));
	IPC_TRY(put_port(out, m->peer_port));
	IPC_TRY(put_str(out, m->resource_uri, IPC_MAX_RESOURCE_URI));
	return put_blob(out, m->chain, m->chain_len, IPC_MAX_CERT_CHAIN);
}

static enum err auth_cert_fields(struct buf *in, struct ipc_auth_cert *m)
{
	IPC_TRY(buf_get_cstring(in, &m->peer, IPC_MAX_PEER));
	IPC_TRY(get_port(in, &m->peer_port));
	IPC_TRY(buf_get_cstring(in, &m->resource_uri, IPC_MAX_RESOURCE_URI));
	IPC_TRY(get_blob(in, &m->chain, &m->chain_len, IPC_MAX_CERT_CHAIN));
	IPC_TRY(ipc_body_end(in));
	return m->chain_len ? ERR_OK : ERR_FORMAT;
}

enum err ipc_auth_cert_decode(struct buf *in, struct ipc_auth_cert *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = auth_cert_fields(in, m);
	if (e != ERR_OK)
		ipc_auth_cert_clear(m);
	return e;
}

void ipc_auth_cert_clear(struct ipc_auth_cert *m)
{
	free(m->peer);
	free(m->resource_uri);
	free(m->chain);
	memset(m, 0, sizeof(*m));
}

enum err ipc_auth_gss_result_encode(struct buf *out, const struct ipc_auth_gss_result *m)
{
	IPC_TRY(ipc_auth_result_encode(out, &m->result));
	IPC_TRY(put_blob(out, m->out_token, m->out_token_len, IPC_MAX_GSS_TOKEN));
	return put_blob(out, m->context, m->context_len, IPC_MAX_GSS_CONTEXT);
}

static enum err auth_gss_result_fields(struct buf *in, struct ipc_auth_gss_result *m)
{
	IPC_TRY(auth_result_fields(in, &m->result));
	IPC_TRY(get_blob(in, &m->out_token, &m->out_token_len, IPC_MAX_GSS_TOKEN));
	IPC_TRY(get_blob(in, &m->context, &m->context_len, IPC_MAX_GSS_CONTEXT));
	IPC_TRY(ipc_body_end(in));
	/* A context belongs only to a success. */
	return m->context_len && m->result.status != IPC_AUTH_OK ? ERR_FORMAT : ERR_OK;
}

enum err ipc_auth_gss_result_decode(struct buf *in, struct ipc_auth_gss_result *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = auth_gss_result_fields(in, m);
	if (e != ERR_OK)
		ipc_auth_gss_result_clear(m);
	return e;
}

void ipc_auth_gss_result_clear(struct ipc_auth_gss_result *m)
{
	ipc_auth_result_clear(&m->result);
	free(m->out_token);
	if (m->context)
		OPENSSL_cleanse(m->context, m->context_len);
	free(m->context);
	memset(m, 0, sizeof(*m));
}

enum err ipc_auth_credssp_encode(struct buf *out, const struct ipc_auth_credssp *m)
{
	if (m->has_client_nonce > 1 || m->server_cert_len == 0)
		return ERR_USAGE;
	IPC_TRY(buf_put_u64(out, m->conn));
	IPC_TRY(put_str(out, m->peer, IPC_MAX_PEER));
	IPC_TRY(put_port(out, m->peer_port));
	IPC_TRY(buf_put_u32(out, m->version));
	IPC_TRY(put_blob(out, m->nego_token, m->nego_token_len, IPC_MAX_GSS_TOKEN));
	IPC_TRY(put_blob(out, m->pub_key_auth, m->pub_key_auth_len, IPC_MAX_CREDSSP_FIELD));
	IPC_TRY(put_blob(out, m->auth_info, m->auth_info_len, IPC_MAX_CREDSSP_FIELD));
	IPC_TRY(buf_put_u32(out, m->has_client_nonce));
	IPC_TRY(buf_put(out, m->client_nonce, IPC_CREDSSP_NONCE_LEN));
	return put_blob(out, m->server_cert, m->server_cert_len, IPC_MAX_CERT);
}

static enum err auth_credssp_fields(struct buf *in, struct ipc_auth_credssp *m)
{
	IPC_TRY(buf_get_u64(in, &m->conn));
	IPC_TRY(buf_get_cstring(in, &m->peer, IPC_MAX_PEER));
	IPC_TRY(get_port(in, &m->peer_port));
	IPC_TRY(buf_get_u32(in, &m->version));
	IPC_TRY(get_blob(in, &m->nego_token, &m->nego_token_len, IPC_MAX_GSS_TOKEN));
	IPC_TRY(get_blob(in, &m->pub_key_auth, &m->pub_key_auth_len, IPC_MAX_CREDSSP_FIELD));
	IPC_TRY(get_blob(in, &m->auth_info, &m->auth_info_len, IPC_MAX_CREDSSP_FIELD));
	IPC_TRY(get_bool(in, &m->has_client_nonce));
	IPC_TRY(buf_get(in, m->client_nonce, IPC_CREDSSP_NONCE_LEN));
	IPC_TRY(get_blob(in, &m->server_cert, &m->server_cert_len, IPC_MAX_CERT));
	IPC_TRY(ipc_body_end(in));
	return m->server_cert_len ? ERR_OK : ERR_FORMAT;
}

enum err ipc_auth_credssp_decode(struct buf *in, struct ipc_auth_credssp *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = auth_credssp_fields(in, m);
	if (e != ERR_OK)
		ipc_auth_credssp_clear(m);
	return e;
}

void ipc_auth_credssp_clear(struct ipc_auth_credssp *m)
{
	free(m->peer);
	free(m->nego_token);
	free(m->pub_key_auth);
	/* Sealed, but it holds the password. */
	if (m->auth_info)
		OPENSSL_cleanse(m->auth_info, m->auth_info_len);
	free(m->auth_info);
	free(m->server_cert);
	memset(m, 0, sizeof(*m));
}

enum err ipc_auth_credssp_result_encode(struct buf *out, const struct ipc_auth_credssp_result *m)
{
	IPC_TRY(ipc_auth_result_encode(out, &m->result));
	IPC_TRY(put_blob(out, m->nego_token, m->nego_token_len, IPC_MAX_GSS_TOKEN));
	IPC_TRY(put_blob(out, m->pub_key_auth, m->pub_key_auth_len, IPC_MAX_CREDSSP_FIELD));
	IPC_TRY(buf_put_u32(out, m->error_code));
	return put_blob(out, m->delegated, m->delegated_len, IPC_MAX_DELEGATED);
}

static enum err auth_credssp_result_fields(struct buf *in, struct ipc_auth_credssp_result *m)
{
	IPC_TRY(auth_result_fields(in, &m->result));
	IPC_TRY(get_blob(in, &m->nego_token, &m->nego_token_len, IPC_MAX_GSS_TOKEN));
	IPC_TRY(get_blob(in, &m->pub_key_auth, &m->pub_key_auth_len, IPC_MAX_CREDSSP_FIELD));
	IPC_TRY(buf_get_u32(in, &m->error_code));
	IPC_TRY(get_blob(in, &m->delegated, &m->delegated_len, IPC_MAX_DELEGATED));
	IPC_TRY(ipc_body_end(in));
	/* Credentials belong only to a success. */
	return m->result.status != IPC_AUTH_OK && m->delegated_len ? ERR_FORMAT : ERR_OK;
}

enum err ipc_auth_credssp_result_decode(struct buf *in, struct ipc_auth_credssp_result *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = auth_credssp_result_fields(in, m);
	if (e != ERR_OK)
		ipc_auth_credssp_result_clear(m);
	return e;
}

void ipc_auth_credssp_result_clear(struct ipc_auth_credssp_result *m)
{
	ipc_auth_result_clear(&m->result);
	free(m->nego_token);
	free(m->pub_key_auth);
	free(m->delegated);
	memset(m, 0, sizeof(*m));
}

static void free_blob_secret(uint8_t **p, size_t len)
{
	if (*p)
		OPENSSL_cleanse(*p, len);
	free(*p);
	*p = NULL;
}

enum err ipc_accept_encode(struct buf *out, const struct ipc_accept *m)
{
	if (m->slot >= IPC_MAX_ACCEPT_SLOTS || m->fresh > 1 || m->keep > 1)
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, m->slot));
	IPC_TRY(buf_put_u32(out, m->fresh));
	IPC_TRY(buf_put_u32(out, m->keep));
	IPC_TRY(put_blob(out, m->token, m->token_len, IPC_MAX_GSS_TOKEN));
	IPC_TRY(put_blob(out, m->binding, m->binding_len, IPC_MAX_CHANNEL_BINDING));
	IPC_TRY(put_blob(out, m->unwrap, m->unwrap_len, IPC_MAX_ACCEPT_FIELD));
	return put_blob(out, m->wrap, m->wrap_len, IPC_MAX_ACCEPT_FIELD);
}

static enum err accept_fields(struct buf *in, struct ipc_accept *m)
{
	IPC_TRY(buf_get_u32(in, &m->slot));
	if (m->slot >= IPC_MAX_ACCEPT_SLOTS)
		return ERR_FORMAT;
	IPC_TRY(get_bool(in, &m->fresh));
	IPC_TRY(get_bool(in, &m->keep));
	IPC_TRY(get_blob(in, &m->token, &m->token_len, IPC_MAX_GSS_TOKEN));
	IPC_TRY(get_blob(in, &m->binding, &m->binding_len, IPC_MAX_CHANNEL_BINDING));
	IPC_TRY(get_blob(in, &m->unwrap, &m->unwrap_len, IPC_MAX_ACCEPT_FIELD));
	IPC_TRY(get_blob(in, &m->wrap, &m->wrap_len, IPC_MAX_ACCEPT_FIELD));
	return ipc_body_end(in);
}

enum err ipc_accept_decode(struct buf *in, struct ipc_accept *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = accept_fields(in, m);
	if (e != ERR_OK)
		ipc_accept_clear(m);
	return e;
}

void ipc_accept_clear(struct ipc_accept *m)
{
	free(m->token);
	free(m->binding);
	free(m->unwrap);
	free_blob_secret(&m->wrap, m->wrap_len);
	memset(m, 0, sizeof(*m));
}

enum err ipc_accepted_encode(struct buf *out, const struct ipc_accepted *m)
{
	if (m->failed_step > IPC_ACCEPT_STEP_WRAP || m->complete > 1 ||
	    (!m->complete && (m->context_len || m->deleg_len)))
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, m->failed_step));
	IPC_TRY(buf_put_u32(out, m->major));
	IPC_TRY(buf_put_u32(out, m->minor));
	IPC_TRY(put_str(out, m->why, IPC_MAX_GSS_WHY));
	IPC_TRY(buf_put_u32(out, m->complete));
	IPC_TRY(put_blob(out, m->out_token, m->out_token_len, IPC_MAX_GSS_TOKEN));
	IPC_TRY(put_str(out, m->source, IPC_MAX_USER + 64));
	IPC_TRY(put_str(out, m->target, IPC_MAX_USER + 64));
	IPC_TRY(put_blob(out, m->mech, m->mech_len, IPC_MAX_MECH_OID));
	IPC_TRY(buf_put_u32(out, m->flags));
	IPC_TRY(put_blob(out, m->context, m->context_len, IPC_MAX_GSS_CONTEXT));
	IPC_TRY(put_blob(out, m->deleg, m->deleg_len, IPC_MAX_DELEGATED_CRED));
	IPC_TRY(put_blob(out, m->unwrapped, m->unwrapped_len, IPC_MAX_ACCEPT_FIELD));
	return put_blob(out, m->wrapped, m->wrapped_len, IPC_MAX_ACCEPT_FIELD);
}

static enum err accepted_fields(struct buf *in, struct ipc_accepted *m)
{
	IPC_TRY(buf_get_u32(in, &m->failed_step));
	if (m->failed_step > IPC_ACCEPT_STEP_WRAP)
		return ERR_FORMAT;
	IPC_TRY(buf_get_u32(in, &m->major));
	IPC_TRY(buf_get_u32(in, &m->minor));
	IPC_TRY(buf_get_cstring(in, &m->why, IPC_MAX_GSS_WHY));
	IPC_TRY(get_bool(in, &m->complete));
	IPC_TRY(get_blob(in, &m->out_token, &m->out_token_len, IPC_MAX_GSS_TOKEN));
	IPC_TRY(buf_get_cstring(in, &m->source, IPC_MAX_USER + 64));
	IPC_TRY(buf_get_cstring(in, &m->target, IPC_MAX_USER + 64));
	IPC_TRY(get_blob(in, &m->mech, &m->mech_len, IPC_MAX_MECH_OID));
	IPC_TRY(buf_get_u32(in, &m->flags));
	IPC_TRY(get_blob(in, &m->context, &m->context_len, IPC_MAX_GSS_CONTEXT));
	IPC_TRY(get_blob(in, &m->deleg, &m->deleg_len, IPC_MAX_DELEGATED_CRED));
	IPC_TRY(get_blob(in, &m->unwrapped, &m->unwrapped_len, IPC_MAX_ACCEPT_FIELD));
	IPC_TRY(get_blob(in, &m->wrapped, &m->wrapped_len, IPC_MAX_ACCEPT_FIELD));
	IPC_TRY(ipc_body_end(in));
	/* A context and credentials come only out of an established context. */
	return !m->complete && (m->context_len || m->deleg_len) ? ERR_FORMAT : ERR_OK;
}

enum err ipc_accepted_decode(struct buf *in, struct ipc_accepted *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = accepted_fields(in, m);
	if (e != ERR_OK)
		ipc_accepted_clear(m);
	return e;
}

void ipc_accepted_clear(struct ipc_accepted *m)
{
	free(m->why);
	free(m->out_token);
	free(m->source);
	free(m->target);
	free(m->mech);
	free_blob_secret(&m->context, m->context_len);
	free_blob_secret(&m->deleg, m->deleg_len);
	free_blob_secret(&m->unwrapped, m->unwrapped_len);
	free(m->wrapped);
	memset(m, 0, sizeof(*m));
}

static enum err token_fields(struct buf *in, uint8_t token[IPC_TOKEN_LEN])
{
	IPC_TRY(buf_get(in, token, IPC_TOKEN_LEN));
	return ipc_body_end(in);
}

/* A body that is one token and nothing else (TOKEN_RENEW). */
static enum err get_token_body(struct buf *in, uint8_t token[IPC_TOKEN_LEN])
{
	enum err e = token_fields(in, token);
	if (e != ERR_OK)
		OPENSSL_cleanse(token, IPC_TOKEN_LEN);
	return e;
}

enum err ipc_host_open_encode(struct buf *out, const struct ipc_host_open *m)
{
	IPC_TRY(buf_put(out, m->token, IPC_TOKEN_LEN));
	IPC_TRY(put_str(out, m->endpoint, IPC_MAX_ENDPOINT));
	IPC_TRY(put_str(out, m->peer, IPC_MAX_PEER));
	return put_str(out, m->scheme, IPC_MAX_SCHEME);
}

enum err ipc_audit_encode(struct buf *out, const struct audit_event *m)
{
	if (m->kind >= AUDIT_KIND_COUNT || m->source_port > 65535 || m->has_exit_code > 1 ||
	    m->command_line_cut > 1)
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, m->kind));
	IPC_TRY(buf_put_u32(out, m->source_port));
	IPC_TRY(buf_put_u32(out, m->has_exit_code));
	IPC_TRY(buf_put_u32(out, m->exit_code));
	IPC_TRY(buf_put_u32(out, m->command_line_cut));
	IPC_TRY(buf_put_u64(out, m->duration_ms));
	IPC_TRY(buf_put_u64(out, m->bytes_in));
	IPC_TRY(buf_put_u64(out, m->bytes_out));
	for (size_t i = 0; i < audit_nfields; i++)
		IPC_TRY(put_str(out, (const char *)m + audit_fields[i].offset,
				audit_fields[i].size - 1));
	return ERR_OK;
}

static enum err audit_fields_of(struct buf *in, struct audit_event *m)
{
	IPC_TRY(buf_get_u32(in, &m->kind));
	IPC_TRY(buf_get_u32(in, &m->source_port));
	if (m->kind >= AUDIT_KIND_COUNT || m->source_port > 65535)
		return ERR_FORMAT;
	IPC_TRY(get_bool(in, &m->has_exit_code));
	IPC_TRY(buf_get_u32(in, &m->exit_code));
	IPC_TRY(get_bool(in, &m->command_line_cut));
	IPC_TRY(buf_get_u64(in, &m->duration_ms));
	IPC_TRY(buf_get_u64(in, &m->bytes_in));
	IPC_TRY(buf_get_u64(in, &m->bytes_out));
	for (size_t i = 0; i < audit_nfields; i++)
		IPC_TRY(
		    buf_get_field(in, (char *)m + audit_fields[i].offset, audit_fields[i].size));
	return ipc_body_end(in);
}

enum err ipc_audit_decode(struct buf *in, struct audit_event *m)
{
	memset(m, 0, sizeof(*m));
	return audit_fields_of(in, m);
}

static enum err host_open_fields(struct buf *in, struct ipc_host_open *m)
{
	IPC_TRY(buf_get(in, m->token, IPC_TOKEN_LEN));
	IPC_TRY(buf_get_field(in, m->endpoint, sizeof(m->endpoint)));
	IPC_TRY(buf_get_field(in, m->peer, sizeof(m->peer)));
	IPC_TRY(buf_get_field(in, m->scheme, sizeof(m->scheme)));
	return ipc_body_end(in);
}

enum err ipc_host_open_decode(struct buf *in, struct ipc_host_open *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = host_open_fields(in, m);
	if (e != ERR_OK)
		OPENSSL_cleanse(m, sizeof(*m)); /* a token is a capability */
	return e;
}

enum err ipc_token_renew_encode(struct buf *out, const struct ipc_token_renew *m)
{
	return buf_put(out, m->token, IPC_TOKEN_LEN);
}

enum err ipc_token_renew_decode(struct buf *in, struct ipc_token_renew *m)
{
	return get_token_body(in, m->token);
}

/* A refusal carries nothing but its status: one representation per
 * message, and no stale token by mistake. */
static int valid_token_renewed(const struct ipc_token_renewed *m)
{
	static const uint8_t zero[IPC_TOKEN_LEN];

	if (m->is_admin > 1)
		return 0;
	switch (m->status) {
	case IPC_AUTH_OK:
		return 1;
	case IPC_AUTH_BAD_CREDENTIALS:
	case IPC_AUTH_NOT_ALLOWED:
	case IPC_AUTH_BUSY:
		return m->uid == 0 && m->is_admin == 0 &&
		       memcmp(m->token, zero, IPC_TOKEN_LEN) == 0;
	default:
		return 0;
	}
}

enum err ipc_token_renewed_encode(struct buf *out, const struct ipc_token_renewed *m)
{
	if (!valid_token_renewed(m))
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, m->status));
	IPC_TRY(buf_put_u32(out, m->uid));
	IPC_TRY(buf_put_u32(out, m->is_admin));
	return buf_put(out, m->token, IPC_TOKEN_LEN);
}

static enum err token_renewed_fields(struct buf *in, struct ipc_token_renewed *m)
{
	IPC_TRY(buf_get_u32(in, &m->status));
	IPC_TRY(buf_get_u32(in, &m->uid));
	IPC_TRY(buf_get_u32(in, &m->is_admin));
	IPC_TRY(buf_get(in, m->token, IPC_TOKEN_LEN));
	IPC_TRY(ipc_body_end(in));
	return valid_token_renewed(m) ? ERR_OK : ERR_FORMAT;
}

enum err ipc_token_renewed_decode(struct buf *in, struct ipc_token_renewed *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = token_renewed_fields(in, m);
	if (e != ERR_OK)
		OPENSSL_cleanse(m, sizeof(*m)); /* a token is a capability */
	return e;
}

/* The receiver trusts the channel's messages only from this pid, and
 * ipc_peer_init reads pid 0 as "any": a host pid must be a real one. */
static int valid_host(uint32_t uid, uint32_t pid)
{
	return uid != UINT32_MAX && pid != 0 && pid <= INT32_MAX;
}

enum err ipc_host_opened_encode(struct buf *out, const struct ipc_host_opened *m)
{
	if (!valid_host(m->uid, m->pid))
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, m->uid));
	return buf_put_u32(out, m->pid);
}

enum err ipc_host_opened_decode(struct buf *in, struct ipc_host_opened *m)
{
	memset(m, 0, sizeof(*m));
	IPC_TRY(buf_get_u32(in, &m->uid));
	IPC_TRY(buf_get_u32(in, &m->pid));
	IPC_TRY(ipc_body_end(in));
	return valid_host(m->uid, m->pid) ? ERR_OK : ERR_FORMAT;
}

enum err ipc_host_failed_encode(struct buf *out, enum err reason)
{
	if (reason == ERR_OK || reason >= ERR_COUNT)
		return ERR_USAGE;
	return buf_put_u32(out, (uint32_t)reason);
}

enum err ipc_host_failed_decode(struct buf *in, enum err *reason)
{
	uint32_t v;

	IPC_TRY(buf_get_u32(in, &v));
	IPC_TRY(ipc_body_end(in));
	if (v == ERR_OK || v >= ERR_COUNT)
		return ERR_FORMAT;
	*reason = (enum err)v;
	return ERR_OK;
}

static enum err listener_put(struct buf *out, const struct ipc_listener_info *l)
{
	if (l->https > 1)
		return ERR_USAGE;
	IPC_TRY(put_str(out, l->name, MAX_LISTENER_NAME));
	IPC_TRY(buf_put_u32(out, l->https));
	IPC_TRY(put_str(out, l->url_prefix, MAX_URL_PREFIX));
	IPC_TRY(put_str(out, l->cert_pem, IPC_MAX_PEM));
	return put_str(out, l->key_pem, IPC_MAX_PEM);
}

static enum err listener_get(struct buf *in, struct ipc_listener_info *l)
{
	IPC_TRY(buf_get_cstring(in, &l->name, MAX_LISTENER_NAME));
	IPC_TRY(get_bool(in, &l->https));
	IPC_TRY(buf_get_cstring(in, &l->url_prefix, MAX_URL_PREFIX));
	IPC_TRY(buf_get_cstring(in, &l->cert_pem, IPC_MAX_PEM));
	IPC_TRY(buf_get_cstring(in, &l->key_pem, IPC_MAX_PEM));
	return ERR_OK;
}

enum err ipc_config_encode(struct buf *out, const struct ipc_config *m)
{
	if (m->nlisteners > IPC_MAX_LISTENERS || m->nsockets > IPC_MAX_FDS)
		return ERR_LIMIT;
	IPC_TRY(put_str(out, m->config_text, IPC_MAX_CONFIG_TEXT));
	IPC_TRY(buf_put_u32(out, m->nlisteners));
	for (uint32_t i = 0; i < m->nlisteners; i++)
		IPC_TRY(listener_put(out, &m->listeners[i]));
	IPC_TRY(buf_put_u32(out, m->nsockets));
	for (uint32_t i = 0; i < m->nsockets; i++) {
		if (m->socket_listener[i] >= m->nlisteners)
			return ERR_USAGE;
		IPC_TRY(buf_put_u32(out, m->socket_listener[i]));
	}
	return ERR_OK;
}

static enum err config_fields(struct buf *in, struct ipc_config *m)
{
	uint32_t n;

	IPC_TRY(buf_get_cstring(in, &m->config_text, IPC_MAX_CONFIG_TEXT));
	IPC_TRY(buf_get_u32(in, &n));
	if (n > IPC_MAX_LISTENERS)
		return ERR_FORMAT;
	for (uint32_t i = 0; i < n; i++) {
		/* Counted before its fields so ipc_config_clear sees a half-read entry. */
		m->nlisteners = i + 1;
		IPC_TRY(listener_get(in, &m->listeners[i]));
	}
	IPC_TRY(buf_get_u32(in, &n));
	if (n > IPC_MAX_FDS)
		return ERR_FORMAT;
	for (uint32_t i = 0; i < n; i++) {
		IPC_TRY(buf_get_u32(in, &m->socket_listener[i]));
		if (m->socket_listener[i] >= m->nlisteners)
			return ERR_FORMAT;
	}
	m->nsockets = n;
	return ipc_body_end(in);
}

enum err ipc_config_decode(struct buf *in, struct ipc_config *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = config_fields(in, m);
	if (e != ERR_OK)
		ipc_config_clear(m);
	return e;
}

void ipc_config_clear(struct ipc_config *m)
{
	free(m->config_text);
	for (uint32_t i = 0; i < m->nlisteners && i < IPC_MAX_LISTENERS; i++) {
		free(m->listeners[i].name);
		free(m->listeners[i].url_prefix);
		free(m->listeners[i].cert_pem);
		free_secret(&m->listeners[i].key_pem);
	}
	memset(m, 0, sizeof(*m));
}

/* A pair's value: u32 1 and the string, or u32 0 for NULL ($null). */
static enum err put_opt_str(struct buf *out, const char *s, size_t max)
{
	IPC_TRY(buf_put_u32(out, s != NULL));
	return s ? put_str(out, s, max) : ERR_OK;
}

static enum err get_opt_str(struct buf *in, char **out, size_t max)
{
	uint32_t present;

	*out = NULL;
	IPC_TRY(get_bool(in, &present));
	if (present)
		IPC_TRY(buf_get_cstring(in, out, max));
	return ERR_OK;
}

static int valid_config_op(uint32_t op)
{
	return op >= IPC_CONFIG_PUT && op <= IPC_CONFIG_DELETE;
}

enum err ipc_config_change_encode(struct buf *out, const struct ipc_config_change *m)
{
	if (!valid_config_op(m->op))
		return ERR_USAGE;
	if (m->npairs > IPC_MAX_CONFIG_PAIRS)
		return ERR_LIMIT;
	IPC_TRY(buf_put(out, m->token, IPC_TOKEN_LEN));
	IPC_TRY(buf_put_u32(out, m->op));
	IPC_TRY(put_str(out, m->resource, IPC_MAX_CONFIG_RESOURCE));
	IPC_TRY(put_str(out, m->selectors, IPC_MAX_CONFIG_SELECTORS));
	IPC_TRY(buf_put_u32(out, m->npairs));
	for (uint32_t i = 0; i < m->npairs; i++) {
		IPC_TRY(put_str(out, m->pairs[i].name, IPC_MAX_CONFIG_NAME));
		IPC_TRY(put_opt_str(out, m->pairs[i].value, CONFIG_MAX_VALUE));
	}
	return ERR_OK;
}

static enum err config_change_fields(struct buf *in, struct ipc_config_change *m)
{
	uint32_t n;

	IPC_TRY(buf_get(in, m->token, IPC_TOKEN_LEN));
	IPC_TRY(buf_get_u32(in, &m->op));
	if (!valid_config_op(m->op))
		return ERR_FORMAT;
	IPC_TRY(buf_get_cstring(in, &m->resource, IPC_MAX_CONFIG_RESOURCE));
	IPC_TRY(buf_get_cstring(in, &m->selectors, IPC_MAX_CONFIG_SELECTORS));
	IPC_TRY(buf_get_u32(in, &n));
	if (n > IPC_MAX_CONFIG_PAIRS)
		return ERR_FORMAT;
	for (uint32_t i = 0; i < n; i++) {
		/* Counted before its fields so ipc_config_change_clear sees a half-read pair. */
		m->npairs = i + 1;
		IPC_TRY(buf_get_cstring(in, &m->pairs[i].name, IPC_MAX_CONFIG_NAME));
		IPC_TRY(get_opt_str(in, &m->pairs[i].value, CONFIG_MAX_VALUE));
	}
	return ipc_body_end(in);
}

enum err ipc_config_change_decode(struct buf *in, struct ipc_config_change *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = config_change_fields(in, m);
	if (e != ERR_OK)
		ipc_config_change_clear(m);
	return e;
}

void ipc_config_change_clear(struct ipc_config_change *m)
{
	free(m->resource);
	free(m->selectors);
	for (uint32_t i = 0; i < m->npairs && i < IPC_MAX_CONFIG_PAIRS; i++) {
		free(m->pairs[i].name);
		free(m->pairs[i].value);
	}
	/* The token is a capability to act as an administrator. */
	OPENSSL_cleanse(m, sizeof(*m));
}

enum err ipc_config_result_encode(struct buf *out, const struct ipc_config_result *m)
{
	if (m->status >= ERR_COUNT)
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, m->status));
	return put_str(out, m->message, IPC_MAX_CONFIG_MESSAGE);
}

static enum err config_result_fields(struct buf *in, struct ipc_config_result *m)
{
	IPC_TRY(buf_get_u32(in, &m->status));
	if (m->status >= ERR_COUNT)
		return ERR_FORMAT;
	IPC_TRY(buf_get_cstring(in, &m->message, IPC_MAX_CONFIG_MESSAGE));
	return ipc_body_end(in);
}

enum err ipc_config_result_decode(struct buf *in, struct ipc_config_result *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = config_result_fields(in, m);
	if (e != ERR_OK)
		ipc_config_result_clear(m);
	return e;
}

void ipc_config_result_clear(struct ipc_config_result *m)
{
	free(m->message);
	memset(m, 0, sizeof(*m));
}

enum err ipc_cim_invoke_encode(struct buf *out, const struct ipc_cim_invoke *m)
{
	IPC_TRY(buf_put(out, m->token, IPC_TOKEN_LEN));
	return cim_ipc_invoke_encode(out, &m->call);
}

static enum err cim_invoke_fields(struct buf *in, struct ipc_cim_invoke *m)
{
	IPC_TRY(buf_get(in, m->token, IPC_TOKEN_LEN));
	return cim_ipc_invoke_decode(in, &m->call);
}

enum err ipc_cim_invoke_decode(struct buf *in, struct ipc_cim_invoke *m)
{
	enum err e;

	memset(m, 0, sizeof(*m));
	if ((e = cim_invoke_fields(in, m)) != ERR_OK)
		OPENSSL_cleanse(m->token, IPC_TOKEN_LEN);
	return e;
}

enum err ipc_cim_invoked_encode(struct buf *out, const struct ipc_cim_invoked *m)
{
	if (m->status >= ERR_COUNT)
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, m->status));
	return m->status == ERR_OK ? cim_ipc_invoke_reply_encode(out, &m->reply) : ERR_OK;
}

enum err ipc_cim_invoked_decode(struct buf *in, struct ipc_cim_invoked *m)
{
	memset(m, 0, sizeof(*m));
	IPC_TRY(buf_get_u32(in, &m->status));
	if (m->status >= ERR_COUNT)
		return ERR_FORMAT;
	return m->status == ERR_OK ? cim_ipc_invoke_reply_decode(in, &m->reply) : ipc_body_end(in);
}
