/* credssp: TSRequest and TSCredentials (MS-CSSP 2.2.1) through OpenSSL's
 * ASN.1 templates, converted to and from the plain structs of credssp.h. */
#include "credssp/credssp.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "common/utf16.h"

/* ---- the ASN.1 types, all tags EXPLICIT (MS-CSSP 2.2.1) ---- */

/* NegoData ::= SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING } */
typedef struct {
	ASN1_OCTET_STRING *nego_token;
} NEGO_DATA_ITEM;
DEFINE_STACK_OF(NEGO_DATA_ITEM)

ASN1_SEQUENCE(NEGO_DATA_ITEM) =
    {
	ASN1_EXP(NEGO_DATA_ITEM, nego_token, ASN1_OCTET_STRING, 0),
} static_ASN1_SEQUENCE_END(NEGO_DATA_ITEM)

	typedef struct {
	ASN1_INTEGER *version;
	STACK_OF(NEGO_DATA_ITEM) * nego_tokens;
	ASN1_OCTET_STRING *auth_info;
	ASN1_OCTET_STRING *pub_key_auth;
	ASN1_INTEGER *error_code;
	ASN1_OCTET_STRING *client_nonce;
} TSREQUEST;

ASN1_SEQUENCE(TSREQUEST) =
    {
	ASN1_EXP(TSREQUEST, version, ASN1_INTEGER, 0),
	ASN1_EXP_SEQUENCE_OF_OPT(TSREQUEST, nego_tokens, NEGO_DATA_ITEM, 1),
	ASN1_EXP_OPT(TSREQUEST, auth_info, ASN1_OCTET_STRING, 2),
	ASN1_EXP_OPT(TSREQUEST, pub_key_auth, ASN1_OCTET_STRING, 3),
	ASN1_EXP_OPT(TSREQUEST, error_code, ASN1_INTEGER, 4),
	ASN1_EXP_OPT(TSREQUEST, client_nonce, ASN1_OCTET_STRING, 5),
} static_ASN1_SEQUENCE_END(TSREQUEST)

    /* The two types that carry a password wipe their strings before OpenSSL
     * frees them (its own free does not), through a callback run for every
     * free: of a decoded value, of one whose decoding failed half-way, and of
     * one built to be encoded. */
    static void wipe_string(ASN1_OCTET_STRING * *s)
{
	ASN1_STRING_clear_free(*s);
	*s = NULL;
}

typedef struct {
	ASN1_INTEGER *cred_type;
	ASN1_OCTET_STRING *credentials;
} TSCREDENTIALS;

static int wipe_credentials(int op, ASN1_VALUE **pval, const ASN1_ITEM *it, void *exarg)
{
	(void)it, (void)exarg;
	if (op == ASN1_OP_FREE_PRE)
		wipe_string(&((TSCREDENTIALS *)*pval)->credentials);
	return 1;
}

ASN1_SEQUENCE_cb(TSCREDENTIALS, wipe_credentials) =
    {
	ASN1_EXP(TSCREDENTIALS, cred_type, ASN1_INTEGER, 0),
	ASN1_EXP(TSCREDENTIALS, credentials, ASN1_OCTET_STRING, 1),
} static_ASN1_SEQUENCE_END_cb(TSCREDENTIALS, TSCREDENTIALS)

	typedef struct {
	ASN1_OCTET_STRING *domain;
	ASN1_OCTET_STRING *user;
	ASN1_OCTET_STRING *password;
} TSPASSWORDCREDS;

static int wipe_password_creds(int op, ASN1_VALUE **pval, const ASN1_ITEM *it, void *exarg)
{
	(void)it, (void)exarg;
	if (op == ASN1_OP_FREE_PRE) {
		TSPASSWORDCREDS *c = (TSPASSWORDCREDS *)*pval;
		wipe_string(&c->domain);
		wipe_string(&c->user);
		wipe_string(&c->password);
	}
	return 1;
}

ASN1_SEQUENCE_cb(TSPASSWORDCREDS, wipe_password_creds) =
    {
	ASN1_EXP(TSPASSWORDCREDS, domain, ASN1_OCTET_STRING, 0),
	ASN1_EXP(TSPASSWORDCREDS, user, ASN1_OCTET_STRING, 1),
	ASN1_EXP(TSPASSWORDCREDS, password, ASN1_OCTET_STRING, 2),
} static_ASN1_SEQUENCE_END_cb(TSPASSWORDCREDS, TSPASSWORDCREDS)

    /* MS-CSSP 2.2.1.2 credType. */
    enum cred_type {
	    CRED_TYPE_PASSWORD = 1,
	    CRED_TYPE_SMART_CARD = 2,
	    CRED_TYPE_REMOTE_GUARD = 6,
    };

/* ---- DER in and out ---- */

/* The value of type it in exactly [p, p + len), or NULL with *e saying
 * why: ERR_LIMIT over max bytes, else ERR_FORMAT. OpenSSL's decoder also
 * takes BER (indefinite and non-minimal lengths, constructed strings):
 * what it accepts must encode back to the same bytes, else it is refused,
 * so that one message has one encoding (and the fuzzer's round trip
 * holds). A refusal leaves nothing on OpenSSL's error queue, where a
 * later SSL_get_error of this thread would find it. A failed allocation
 * inside OpenSSL reads as ERR_FORMAT too. Known limit: a constructed
 * OCTET STRING that fails half-way leaves OpenSSL's unwiped scratch copy
 * of its content in freed memory (the input holds the same bytes anyway). */
static ASN1_VALUE *der_decode(const uint8_t *p, size_t len, size_t max, const ASN1_ITEM *it,
			      enum err *e)
{
	const unsigned char *end = p;
	unsigned char *der = NULL;
	ASN1_VALUE *v;
	int n = 0;

	if (len > max) {
		*e = ERR_LIMIT;
		return NULL;
	}
	*e = ERR_FORMAT;
	ERR_set_mark();
	v = ASN1_item_d2i(NULL, &end, (long)len, it);
	if (v && ((n = ASN1_item_i2d(v, &der, it)) < 0 || end != p + len || (size_t)n != len ||
		  memcmp(der, p, len) != 0)) {
		ASN1_item_free(v, it);
		v = NULL;
	}
	OPENSSL_clear_free(der, n > 0 ? (size_t)n : 0);
	ERR_pop_to_mark();
	return v;
}

/* The DER of v appended to out, at most max bytes. The DER is wiped: it
 * may hold a password. */
static enum err der_encode(ASN1_VALUE *v, const ASN1_ITEM *it, size_t max, struct buf *out)
{
	unsigned char *der = NULL;
	int n = ASN1_item_i2d(v, &der, it);
	enum err e;

	if (n < 0)
		return ERR_NOMEM;
	e = (size_t)n > max ? ERR_LIMIT : buf_put(out, der, (size_t)n);
	OPENSSL_clear_free(der, (size_t)n);
	return e;
}

static void wipe_free(void *p, size_t n)
{
	if (p) {
		OPENSSL_cleanse(p, n);
		free(p);
	}
}

static enum err octets_set(ASN1_OCTET_STRING *s, const uint8_t *p, size_t n)
{
	if (n > INT_MAX)
		return ERR_LIMIT;
	return ASN1_OCTET_STRING_set(s, p, (int)n) ? ERR_OK : ERR_NOMEM;
}

/* A new OCTET STRING in *s holding a copy of p; p NULL: absent. */
static enum err octets_new(const uint8_t *p, size_t n, ASN1_OCTET_STRING **s)
{
	if (!p)
		return ERR_OK;
	if (!(*s = ASN1_OCTET_STRING_new()))
		return ERR_NOMEM;
	return octets_set(*s, p, n);
}

/* A copy of s's bytes in *out; s NULL: absent, *out stays NULL. */
static enum err octets_copy(const ASN1_OCTET_STRING *s, uint8_t **out, size_t *outlen)
{
	size_t n;

	if (!s)
		return ERR_OK;
	if ((n = (size_t)ASN1_STRING_length(s)) == 0)
		return ERR_FORMAT;
	if (!(*out = malloc(n)))
		return ERR_NOMEM;
	memcpy(*out, ASN1_STRING_get0_data(s), n);
	*outlen = n;
	return ERR_OK;
}

/* ---- TSRequest ---- */

enum err credssp_tsrequest_parse(const uint8_t *p, size_t len, struct credssp_tsrequest *out)
{
	const ASN1_ITEM *it = ASN1_ITEM_rptr(TSREQUEST);
	const ASN1_OCTET_STRING *token = NULL;
	TSREQUEST *r;
	uint64_t version;
	int64_t code;
	enum err e;

	memset(out, 0, sizeof(*out));
	if (!(r = (TSREQUEST *)der_decode(p, len, CREDSSP_MAX_TSREQUEST, it, &e)))
		return e;
	e = ERR_FORMAT;
	/* MS-CSSP 2.2.1: "Valid values for this field are 2, 3, 4, 5, and
	 * 6", and higher ones are a newer peer's; an unsigned 32-bit value
	 * on Windows. */
	if (!ASN1_INTEGER_get_uint64(&version, r->version) || version < CREDSSP_VERSION_MIN ||
	    version > UINT32_MAX)
		goto done;
	out->version = (uint32_t)version;
	if (r->error_code) {
		if (!ASN1_INTEGER_get_int64(&code, r->error_code) || code < INT32_MIN ||
		    code > INT32_MAX)
			goto done;
		out->has_error_code = 1;
		out->error_code = (uint32_t)code;
	}
	if (r->client_nonce) {
		if (ASN1_STRING_length(r->client_nonce) != CREDSSP_NONCE_LEN)
			goto done;
		memcpy(out->client_nonce, ASN1_STRING_get0_data(r->client_nonce),
		       CREDSSP_NONCE_LEN);
		out->has_client_nonce = 1;
	}
	if (r->nego_tokens) {
		if (sk_NEGO_DATA_ITEM_num(r->nego_tokens) != 1)
			goto done;
		token = sk_NEGO_DATA_ITEM_value(r->nego_tokens, 0)->nego_token;
	}
	if ((e = octets_copy(token, &out->nego_token, &out->nego_token_len)) == ERR_OK &&
	    (e = octets_copy(r->auth_info, &out->auth_info, &out->auth_info_len)) == ERR_OK)
		e = octets_copy(r->pub_key_auth, &out->pub_key_auth, &out->pub_key_auth_len);
done:
	if (e != ERR_OK)
		credssp_tsrequest_clear(out);
	ASN1_item_free((ASN1_VALUE *)r, it);
	return e;
}

/* NegoData of the one token p. */
static enum err nego_data_new(const uint8_t *p, size_t n, STACK_OF(NEGO_DATA_ITEM) * *out)
{
	const ASN1_ITEM *it = ASN1_ITEM_rptr(NEGO_DATA_ITEM);
	NEGO_DATA_ITEM *item;

	if (!(*out = sk_NEGO_DATA_ITEM_new_null()) || !(item = (NEGO_DATA_ITEM *)ASN1_item_new(it)))
		return ERR_NOMEM;
	if (!sk_NEGO_DATA_ITEM_push(*out, item)) {
		ASN1_item_free((ASN1_VALUE *)item, it);
		return ERR_NOMEM;
	}
	return octets_set(item->nego_token, p, n);
}

/* NTSTATUS as the signed 32-bit INTEGER Windows writes. */
static enum err error_code_new(uint32_t status, ASN1_INTEGER **out)
{
	int64_t v = status > INT32_MAX ? (int64_t)status - ((int64_t)1 << 32) : (int64_t)status;

	if (!(*out = ASN1_INTEGER_new()) || !ASN1_INTEGER_set_int64(*out, v))
		return ERR_NOMEM;
	return ERR_OK;
}

enum err credssp_tsrequest_encode(struct buf *out, const struct credssp_tsrequest *m)
{
	const ASN1_ITEM *it = ASN1_ITEM_rptr(TSREQUEST);
	TSREQUEST *r;
	enum err e = ERR_OK;

	if (m->version < CREDSSP_VERSION_MIN || (m->nego_token && !m->nego_token_len) ||
	    (m->auth_info && !m->auth_info_len) || (m->pub_key_auth && !m->pub_key_auth_len))
		return ERR_USAGE;
	if (!(r = (TSREQUEST *)ASN1_item_new(it)))
		return ERR_NOMEM;
	if (!ASN1_INTEGER_set_uint64(r->version, m->version))
		e = ERR_NOMEM;
	if (e == ERR_OK && m->nego_token)
		e = nego_data_new(m->nego_token, m->nego_token_len, &r->nego_tokens);
	if (e == ERR_OK)
		e = octets_new(m->auth_info, m->auth_info_len, &r->auth_info);
	if (e == ERR_OK)
		e = octets_new(m->pub_key_auth, m->pub_key_auth_len, &r->pub_key_auth);
	if (e == ERR_OK && m->has_error_code)
		e = error_code_new(m->error_code, &r->error_code);
	if (e == ERR_OK && m->has_client_nonce)
		e = octets_new(m->client_nonce, CREDSSP_NONCE_LEN, &r->client_nonce);
	if (e == ERR_OK)
		e = der_encode((ASN1_VALUE *)r, it, CREDSSP_MAX_TSREQUEST, out);
	ASN1_item_free((ASN1_VALUE *)r, it);
	return e;
}

void credssp_tsrequest_clear(struct credssp_tsrequest *m)
{
	wipe_free(m->nego_token, m->nego_token_len);
	wipe_free(m->auth_info, m->auth_info_len);
	wipe_free(m->pub_key_auth, m->pub_key_auth_len);
	OPENSSL_cleanse(m, sizeof(*m));
}

/* ---- TSCredentials ---- */

/* The UTF-16LE of s as a new UTF-8 string in *out. A NUL is refused: it
 * would cut the C string short. Every copy is wiped: s may be the
 * password. */
static enum err string_from_utf16le(const ASN1_OCTET_STRING *s, char **out)
{
	const uint8_t *p = ASN1_STRING_get0_data(s);
	size_t units = (size_t)ASN1_STRING_length(s) / 2;
	uint16_t *u;
	struct buf b;
	enum err e = ERR_OK;

	if (ASN1_STRING_length(s) % 2)
		return ERR_FORMAT;
	if (!(u = malloc(units ? units * sizeof(*u) : 1)))
		return ERR_NOMEM;
	for (size_t i = 0; i < units; i++)
		if ((u[i] = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8)) == 0)
			e = ERR_FORMAT;
	buf_init(&b, 3 * units + 1);
	if (e == ERR_OK)
		e = utf16_to_utf8(u, units, &b);
	if (e == ERR_OK && (e = buf_terminate(&b)) == ERR_OK && !(*out = malloc(buf_len(&b) + 1)))
		e = ERR_NOMEM;
	if (e == ERR_OK)
		memcpy(*out, buf_ptr(&b), buf_len(&b) + 1);
	buf_clear(&b);
	wipe_free(u, units * sizeof(*u));
	return e;
}

/* The UTF-8 s as UTF-16LE into the OCTET STRING to, through a wiped copy. */
static enum err string_to_utf16le(const char *s, ASN1_OCTET_STRING *to)
{
	size_t n, len = 0;
	uint8_t *u;
	enum err e;

	if (!s)
		return ERR_USAGE;
	if ((n = strlen(s)) > CREDSSP_MAX_CREDENTIALS)
		return ERR_LIMIT;
	if (!(u = malloc(2 * n + 1)))
		return ERR_NOMEM;
	if ((e = utf16_from_utf8(s, n, u, &len)) == ERR_OK)
		e = octets_set(to, u, len);
	wipe_free(u, 2 * n + 1);
	return e;
}

enum err credssp_credentials_parse(const uint8_t *p, size_t len, struct credssp_password_creds *out)
{
	const ASN1_ITEM *creds_it = ASN1_ITEM_rptr(TSCREDENTIALS);
	const ASN1_ITEM *password_it = ASN1_ITEM_rptr(TSPASSWORDCREDS);
	TSCREDENTIALS *creds;
	TSPASSWORDCREDS *pw = NULL;
	int64_t type;
	enum err e;

	memset(out, 0, sizeof(*out));
	if (!(creds = (TSCREDENTIALS *)der_decode(p, len, CREDSSP_MAX_CREDENTIALS, creds_it, &e)))
		return e;
	e = ERR_FORMAT;
	if (!ASN1_INTEGER_get_int64(&type, creds->cred_type))
		goto done;
	if (type != CRED_TYPE_PASSWORD) {
		if (type == CRED_TYPE_SMART_CARD || type == CRED_TYPE_REMOTE_GUARD)
			e = ERR_UNSUPPORTED;
		goto done;
	}
	if (!(pw = (TSPASSWORDCREDS *)der_decode(ASN1_STRING_get0_data(creds->credentials),
						 (size_t)ASN1_STRING_length(creds->credentials),
						 CREDSSP_MAX_CREDENTIALS, password_it, &e)))
		goto done;
	if ((e = string_from_utf16le(pw->domain, &out->domain)) == ERR_OK &&
	    (e = string_from_utf16le(pw->user, &out->user)) == ERR_OK)
		e = string_from_utf16le(pw->password, &out->password);
done:
	if (e != ERR_OK)
		credssp_password_creds_clear(out);
	ASN1_item_free((ASN1_VALUE *)pw, password_it);
	ASN1_item_free((ASN1_VALUE *)creds, creds_it);
	return e;
}

enum err credssp_credentials_encode(struct buf *out, const struct credssp_password_creds *c)
{
	const ASN1_ITEM *creds_it = ASN1_ITEM_rptr(TSCREDENTIALS);
	const ASN1_ITEM *password_it = ASN1_ITEM_rptr(TSPASSWORDCREDS);
	TSCREDENTIALS *creds = (TSCREDENTIALS *)ASN1_item_new(creds_it);
	TSPASSWORDCREDS *pw = (TSPASSWORDCREDS *)ASN1_item_new(password_it);
	unsigned char *der = NULL;
	int n = 0;
	enum err e = creds && pw ? ERR_OK : ERR_NOMEM;

	if (e == ERR_OK && (e = string_to_utf16le(c->domain, pw->domain)) == ERR_OK &&
	    (e = string_to_utf16le(c->user, pw->user)) == ERR_OK)
		e = string_to_utf16le(c->password, pw->password);
	if (e == ERR_OK && !ASN1_INTEGER_set_int64(creds->cred_type, CRED_TYPE_PASSWORD))
		e = ERR_NOMEM;
	if (e == ERR_OK && (n = ASN1_item_i2d((ASN1_VALUE *)pw, &der, password_it)) < 0)
		e = ERR_NOMEM;
	if (e == ERR_OK)
		e = octets_set(creds->credentials, der, (size_t)n);
	if (e == ERR_OK)
		e = der_encode((ASN1_VALUE *)creds, creds_it, CREDSSP_MAX_CREDENTIALS, out);
	OPENSSL_clear_free(der, n > 0 ? (size_t)n : 0);
	ASN1_item_free((ASN1_VALUE *)pw, password_it);
	ASN1_item_free((ASN1_VALUE *)creds, creds_it);
	return e;
}

static void wipe_string_free(char **s)
{
	if (*s)
		wipe_free(*s, strlen(*s));
	*s = NULL;
}

void credssp_password_creds_clear(struct credssp_password_creds *c)
{
	wipe_string_free(&c->domain);
	wipe_string_free(&c->user);
	wipe_string_free(&c->password);
}
