/* msgenc: MS-WSMV 2.2.9.1 framing around GSSAPI's wrap and unwrap. */
#include "msgenc/msgenc.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#define BOUNDARY "--Encrypted Boundary\r\n"
#define CLOSING "--Encrypted Boundary--\r\n"
#define OCTET_STREAM "Content-Type: application/octet-stream\r\n"
#define SPNEGO_PROTOCOL "application/HTTP-SPNEGO-session-encrypted"
#define KERBEROS_PROTOCOL "application/HTTP-Kerberos-session-encrypted"
#define CREDSSP_PROTOCOL "application/HTTP-CredSSP-session-encrypted"
#define SINGLE "multipart/encrypted"
#define MULTI "multipart/x-multi-encrypted"
#define CONTENT_TYPE(outer, protocol)                                                              \
	outer ";protocol=\"" protocol "\";boundary=\"Encrypted Boundary\""
/* gss-ntlmssp's wrap token: the MS-NLMP signature, then the sealed data. */
#define NTLM_SIGNATURE_LEN 16

/* TLS records (RFC 5246 6.2, RFC 8446 5.1): a 5-byte header of content
 * type, version and length. Only application data may carry a message;
 * TLS 1.3 writes 3.3 as the record version too. */
#define TLS_RECORD_HEADER 5
#define TLS_APPLICATION_DATA 23
/* RFC 5246 6.2.3: "The length MUST NOT exceed 2^14 + 2048." (TLS 1.3
 * allows less.) */
#define TLS_MAX_CIPHERTEXT (16384 + 2048)
/* Room for what SSL_write may add to one chunk beyond its plaintext: a
 * record header, an explicit nonce and a tag (29 bytes with TLS 1.2), or
 * TLS 1.3's content type and tag plus a KeyUpdate record the peer asked
 * for; generous, and checked. */
#define TLS_WRITE_SLACK 256

static const char *protocol_string(enum msgenc_protocol proto)
{
	switch (proto) {
	case MSGENC_KERBEROS:
		return KERBEROS_PROTOCOL;
	case MSGENC_CREDSSP:
		return CREDSSP_PROTOCOL;
	case MSGENC_SPNEGO:
		break;
	}
	return SPNEGO_PROTOCOL;
}

const char *msgenc_content_type(enum msgenc_protocol proto, size_t plain_len)
{
	switch (proto) {
	case MSGENC_KERBEROS:
		return CONTENT_TYPE(SINGLE, KERBEROS_PROTOCOL);
	case MSGENC_CREDSSP:
		/* MS-WSMV 2.2.9.1.3: messages over the TLS record size go as
		 * several encrypted parts under the x-multi type. */
		return plain_len > MSGENC_TLS_CHUNK ? CONTENT_TYPE(MULTI, CREDSSP_PROTOCOL)
						    : CONTENT_TYPE(SINGLE, CREDSSP_PROTOCOL);
	case MSGENC_SPNEGO:
		break;
	}
	return CONTENT_TYPE(SINGLE, SPNEGO_PROTOCOL);
}

int msgenc_is_encrypted(const char *content_type, enum msgenc_protocol *proto)
{
	const char *ct = content_type ? content_type : "";
	int multi;

	ct += strspn(ct, " \t");
	multi = strncasecmp(ct, MULTI, strlen(MULTI)) == 0;
	if (!multi && strncasecmp(ct, SINGLE, strlen(SINGLE)) != 0)
		return 0;
	if (strcasestr(ct, CREDSSP_PROTOCOL))
		*proto = MSGENC_CREDSSP;
	else if (multi) /* only CredSSP splits a message */
		return 0;
	else if (strcasestr(ct, SPNEGO_PROTOCOL))
		*proto = MSGENC_SPNEGO;
	else if (strcasestr(ct, KERBEROS_PROTOCOL))
		*proto = MSGENC_KERBEROS;
	else
		return 0;
	return 1;
}

/* ---- framing ---- */

struct cursor {
	const uint8_t *p, *end;
};

static int peek(const struct cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(c->end - c->p) >= n && memcmp(c->p, lit, n) == 0;
}

static int take(struct cursor *c, const char *lit)
{
	if (!peek(c, lit))
		return 0;
	c->p += strlen(lit);
	return 1;
}

/* One header line (without its CRLF) and whether it began with blanks. */
static int line(struct cursor *c, const uint8_t **start, size_t *len, int *indented)
{
	const uint8_t *s = c->p;

	*indented = s < c->end && (*s == '\t' || *s == ' ');
	while (s < c->end && (*s == '\t' || *s == ' '))
		s++;
	for (const uint8_t *q = s; q + 1 < c->end; q++) {
		if (q[0] == '\r' && q[1] == '\n') {
			*start = s;
			*len = (size_t)(q - s);
			c->p = q + 2;
			return 1;
		}
		if (*q == 0)
			return 0;
	}
	return 0;
}

static int line_is(const uint8_t *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && strncasecmp((const char *)s, prefix, k) == 0;
}

/* The decimal after "Length=" in an OriginalContent line. */
static int original_length(const uint8_t *s, size_t n, size_t *out)
{
	for (size_t i = 0; i + 7 <= n; i++) {
		if (strncasecmp((const char *)s + i, "Length=", 7) != 0)
			continue;
		size_t v = 0, digits = 0;
		for (i += 7; i < n && s[i] >= '0' && s[i] <= '9' && digits < 10; i++, digits++)
			v = v * 10 + (size_t)(s[i] - '0');
		if (digits == 0 || digits == 10 || (i < n && s[i] != ';' && s[i] != ' '))
			return 0;
		*out = v;
		return 1;
	}
	return 0;
}

/* One pair up to its data: the boundary, the header part (its
 * Content-Type and OriginalContent, any order), the boundary, the
 * octet-stream line and the uint32 after it. The style of the first inner
 * line goes to *style unless style is NULL. */
static int pair_head(struct cursor *c, size_t *length, uint32_t *u32, enum msgenc_style *style)
{
	const uint8_t *s;
	size_t n;
	int indented, have_type = 0, have_length = 0, first = 1;

	if (!take(c, BOUNDARY))
		return 0;
	while (!take(c, BOUNDARY)) {
		if (!line(c, &s, &n, &indented))
			return 0;
		if (first && style)
			*style = indented ? MSGENC_TABS : MSGENC_NO_TABS;
		first = 0;
		if (line_is(s, n, "Content-Type:"))
			have_type = 1;
		else if (line_is(s, n, "OriginalContent:"))
			have_length = original_length(s, n, length);
		else
			return 0;
	}
	if (!have_type || !have_length)
		return 0;
	/* The data part: the octet-stream line, then binary. */
	while (c->p < c->end && (*c->p == '\t' || *c->p == ' '))
		c->p++;
	if (!take(c, OCTET_STREAM) || c->end - c->p < 4)
		return 0;
	*u32 = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 |
	       (uint32_t)c->p[3] << 24;
	c->p += 4;
	return 1;
}

enum err msgenc_parse(const uint8_t *body, size_t len, struct msgenc_parts *out)
{
	struct cursor c = {body, body + len};
	uint32_t sig_len;

	memset(out, 0, sizeof(*out));
	if (!pair_head(&c, &out->original_length, &sig_len, &out->style))
		return ERR_FORMAT;
	if (sig_len == 0 || sig_len > MSGENC_MAX_SIGNATURE ||
	    (size_t)(c.end - c.p) < sig_len + strlen(CLOSING))
		return ERR_FORMAT;
	/* The sealed bytes may hold anything, the boundary included: the
	 * closing line is found by position, at the very end. */
	if (memcmp(c.end - strlen(CLOSING), CLOSING, strlen(CLOSING)) != 0)
		return ERR_FORMAT;
	out->signature = c.p;
	out->signature_len = sig_len;
	out->sealed = c.p + sig_len;
	out->sealed_len = (size_t)(c.end - strlen(CLOSING) - out->sealed);
	if (out->sealed_len != out->original_length)
		return ERR_FORMAT;
	return ERR_OK;
}

/* Steps over one or more whole application-data records; 0 if the data
 * part does not start with one or a record is broken or cut short. */
static int tls_records(struct cursor *c)
{
	size_t count = 0;

	while (c->p < c->end && *c->p == TLS_APPLICATION_DATA) {
		size_t left = (size_t)(c->end - c->p), n;
		if (left < TLS_RECORD_HEADER || c->p[1] != 3 || c->p[2] != 3)
			return 0;
		n = (size_t)c->p[3] << 8 | c->p[4];
		if (n == 0 || n > TLS_MAX_CIPHERTEXT || n > left - TLS_RECORD_HEADER)
			return 0;
		c->p += TLS_RECORD_HEADER + n;
		count++;
	}
	return count > 0;
}

enum err msgenc_parse_chunks(const uint8_t *body, size_t len, enum msgenc_style *style,
			     msgenc_chunk_fn *fn, void *arg)
{
	struct cursor c = {body, body + len};
	struct msgenc_chunk ch;
	enum err e;
	int last = 0;

	/* Each pass consumes at least a boundary: bounded by len. */
	for (int first = 1; !last; first = 0) {
		if (!pair_head(&c, &ch.original_length, &ch.trailer_len, first ? style : NULL))
			return ERR_FORMAT;
		ch.records = c.p;
		if (!tls_records(&c))
			return ERR_FORMAT;
		ch.records_len = (size_t)(c.p - ch.records);
		last = take(&c, CLOSING);
		if (last ? c.p != c.end : !peek(&c, BOUNDARY))
			return ERR_FORMAT;
		/* MS-WSMV 2.2.9.1.3: the message is cut into 16384-byte
		 * chunks, so only the last may be shorter. */
		if (ch.original_length == 0 || ch.original_length > MSGENC_TLS_CHUNK ||
		    (!last && ch.original_length != MSGENC_TLS_CHUNK))
			return ERR_FORMAT;
		if (fn && (e = fn(arg, &ch)) != ERR_OK)
			return e;
	}
	return ERR_OK;
}

/* ---- sealing ---- */

static int oid_equal(gss_const_OID a, gss_const_OID b)
{
	return a && b && a->length == b->length && memcmp(a->elements, b->elements, a->length) == 0;
}

int msgenc_mech_is_kerberos(gss_const_OID mech)
{
	return oid_equal(mech, gss_mech_krb5) || oid_equal(mech, gss_mech_krb5_wrong) ||
	       oid_equal(mech, gss_mech_krb5_old);
}

int msgenc_is_kerberos(gss_ctx_id_t ctx)
{
	OM_uint32 minor;
	gss_OID mech = GSS_C_NO_OID;

	return gss_inquire_context(&minor, ctx, NULL, NULL, NULL, &mech, NULL, NULL, NULL) ==
		   GSS_S_COMPLETE &&
	       msgenc_mech_is_kerberos(mech);
}

static enum err frame_head(struct buf *out, enum msgenc_protocol proto, enum msgenc_style style,
			   size_t length, size_t sig_len)
{
	const char *t = style == MSGENC_TABS ? "\t" : "";
	uint8_t le[4] = {(uint8_t)sig_len, (uint8_t)(sig_len >> 8), (uint8_t)(sig_len >> 16),
			 (uint8_t)(sig_len >> 24)};

	if (buf_putf(
		out,
		BOUNDARY
		"%sContent-Type: %s\r\n"
		"%sOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%zu\r\n" BOUNDARY
		"%s" OCTET_STREAM,
		t, protocol_string(proto), t, length, t) != ERR_OK)
		return ERR_LIMIT;
	return buf_put(out, le, sizeof(le));
}

static enum err wrap_kerberos(gss_ctx_id_t ctx, enum msgenc_protocol proto, enum msgenc_style style,
			      const uint8_t *plain, size_t len, struct buf *out)
{
	OM_uint32 major, minor;
	int conf = 0;
	gss_iov_buffer_desc iov[3];
	uint8_t *space;

	memset(iov, 0, sizeof(iov));
	iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER;
	iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
	iov[1].buffer.length = len;
	iov[2].type = GSS_IOV_BUFFER_TYPE_PADDING;
	major = gss_wrap_iov_length(&minor, ctx, 1, GSS_C_QOP_DEFAULT, &conf, iov, 3);
	if (GSS_ERROR(major) || iov[0].buffer.length > MSGENC_MAX_SIGNATURE)
		return ERR_INTERNAL;
	/* OriginalContent counts the padding: it is part of the sealed bytes. */
	if (frame_head(out, proto, style, len + iov[2].buffer.length, iov[0].buffer.length) !=
	    ERR_OK)
		return ERR_LIMIT;
	size_t total = iov[0].buffer.length + len + iov[2].buffer.length;
	if (buf_reserve(out, total, &space) != ERR_OK)
		return ERR_LIMIT;
	iov[0].buffer.value = space;
	iov[1].buffer.value = space + iov[0].buffer.length;
	memcpy(iov[1].buffer.value, plain, len);
	iov[2].buffer.value = space + iov[0].buffer.length + len;
	major = gss_wrap_iov(&minor, ctx, 1, GSS_C_QOP_DEFAULT, &conf, iov, 3);
	if (GSS_ERROR(major) || !conf) {
		memset(space, 0, total);
		return ERR_INTERNAL;
	}
	buf_commit(out, total);
	return buf_put(out, CLOSING, strlen(CLOSING));
}

static enum err wrap_token(gss_ctx_id_t ctx, enum msgenc_protocol proto, enum msgenc_style style,
			   const uint8_t *plain, size_t len, struct buf *out)
{
	OM_uint32 major, minor;
	int conf = 0;
	gss_buffer_desc in = {len, (void *)plain}, tok = GSS_C_EMPTY_BUFFER;
	enum err e = ERR_INTERNAL;

	major = gss_wrap(&minor, ctx, 1, GSS_C_QOP_DEFAULT, &in, &conf, &tok);
	if (!GSS_ERROR(major) && conf && tok.length == len + NTLM_SIGNATURE_LEN) {
		e = frame_head(out, proto, style, len, NTLM_SIGNATURE_LEN);
		if (e == ERR_OK)
			e = buf_put(out, tok.value, tok.length);
		if (e == ERR_OK)
			e = buf_put(out, CLOSING, strlen(CLOSING));
	}
	gss_release_buffer(&minor, &tok);
	return e;
}

enum err msgenc_wrap(gss_ctx_id_t ctx, enum msgenc_protocol proto, enum msgenc_style style,
		     const uint8_t *plain, size_t len, struct buf *out)
{
	if (ctx == GSS_C_NO_CONTEXT || proto == MSGENC_CREDSSP)
		return ERR_USAGE;
	if (msgenc_is_kerberos(ctx))
		return wrap_kerberos(ctx, proto, style, plain, len, out);
	return wrap_token(ctx, proto, style, plain, len, out);
}

/* Any supplementary status (a duplicate, old, out-of-order or missing
 * token) is a refusal too: each message must be the next one. */
static int unwrap_ok(OM_uint32 major, int conf)
{
	return major == GSS_S_COMPLETE && conf;
}

static enum err unwrap_kerberos(gss_ctx_id_t ctx, const struct msgenc_parts *m, struct buf *plain)
{
	OM_uint32 major, minor;
	int conf = 0;
	gss_qop_t qop;
	gss_iov_buffer_desc iov[2];
	uint8_t *space, sig[MSGENC_MAX_SIGNATURE];

	if (buf_reserve(plain, m->sealed_len, &space) != ERR_OK)
		return ERR_LIMIT;
	/* Decrypted in place in the output: copies of the header and data. */
	memcpy(sig, m->signature, m->signature_len);
	memcpy(space, m->sealed, m->sealed_len);
	memset(iov, 0, sizeof(iov));
	iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER;
	iov[0].buffer.value = sig;
	iov[0].buffer.length = m->signature_len;
	iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
	iov[1].buffer.value = space;
	iov[1].buffer.length = m->sealed_len;
	major = gss_unwrap_iov(&minor, ctx, &conf, &qop, iov, 2);
	if (!unwrap_ok(major, conf)) {
		memset(space, 0, m->sealed_len);
		return ERR_FORMAT;
	}
	buf_commit(plain, iov[1].buffer.length);
	return ERR_OK;
}

static enum err unwrap_token(gss_ctx_id_t ctx, const struct msgenc_parts *m, struct buf *plain)
{
	OM_uint32 major, minor;
	int conf = 0;
	gss_qop_t qop;
	/* Signature and sealed data lie next to each other in the body, as
	 * gss-ntlmssp's token has them. */
	gss_buffer_desc in = {m->signature_len + m->sealed_len, (void *)m->signature};
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
	enum err e = ERR_FORMAT;

	major = gss_unwrap(&minor, ctx, &in, &out, &conf, &qop);
	if (unwrap_ok(major, conf))
		e = buf_put(plain, out.value, out.length) == ERR_OK ? ERR_OK : ERR_LIMIT;
	if (out.value)
		memset(out.value, 0, out.length);
	gss_release_buffer(&minor, &out);
	return e;
}

enum err msgenc_unwrap(gss_ctx_id_t ctx, const uint8_t *body, size_t len, struct buf *plain,
		       enum msgenc_style *style)
{
	struct msgenc_parts m;
	enum err e;

	if (ctx == GSS_C_NO_CONTEXT)
		return ERR_USAGE;
	if ((e = msgenc_parse(body, len, &m)) != ERR_OK)
		return e;
	*style = m.style;
	if (msgenc_is_kerberos(ctx))
		return unwrap_kerberos(ctx, &m, plain);
	return unwrap_token(ctx, &m, plain);
}

/* ---- CredSSP: the TLS session as the cipher ---- */

/* The session is one we can frame for: past its handshake, on memory
 * BIOs with nothing pending in them, and AES-GCM, whose trailer has a
 * fixed length (Windows reads it from SecPkgContext_StreamSizes.cbTrailer;
 * with a CBC suite it would depend on the padding, which OpenSSL does not
 * report). The trailer of that cipher, or 0. */
static uint32_t tls_trailer(SSL *tls)
{
	const SSL_CIPHER *cipher;
	BIO *rbio, *wbio;
	int nid;

	if (!tls || !SSL_is_init_finished(tls))
		return 0;
	rbio = SSL_get_rbio(tls);
	wbio = SSL_get_wbio(tls);
	if (!rbio || !wbio || BIO_method_type(rbio) != BIO_TYPE_MEM ||
	    BIO_method_type(wbio) != BIO_TYPE_MEM || BIO_ctrl_pending(rbio) ||
	    BIO_ctrl_pending(wbio) || SSL_has_pending(tls))
		return 0;
	cipher = SSL_get_current_cipher(tls);
	nid = cipher ? SSL_CIPHER_get_cipher_nid(cipher) : NID_undef;
	if (nid != NID_aes_128_gcm && nid != NID_aes_256_gcm)
		return 0;
	switch (SSL_version(tls)) {
	case TLS1_2_VERSION:
		return 16; /* the GCM tag (the explicit nonce counts as header) */
	case TLS1_3_VERSION:
		return 17; /* the inner content type, then the tag */
	}
	return 0;
}

size_t msgenc_tls_wrapped_max(size_t len)
{
	/* Per chunk: the two header parts with a Length= of five digits and
	 * the TLS record's overhead; then the closing boundary. */
	size_t chunks = len / MSGENC_TLS_CHUNK + 1;
	size_t per_chunk =
	    2 * strlen(BOUNDARY) + 3 + strlen("Content-Type: ") + strlen(CREDSSP_PROTOCOL) + 2 +
	    strlen("OriginalContent: type=application/soap+xml;charset=UTF-8;Length=") + 5 + 2 +
	    strlen(OCTET_STREAM) + 4 + TLS_WRITE_SLACK;

	return len + chunks * per_chunk + strlen(CLOSING);
}

/* One chunk through SSL_write; the records it made go to out. */
static enum err tls_seal(SSL *tls, const uint8_t *plain, size_t n, struct buf *out)
{
	BIO *wbio = SSL_get_wbio(tls);
	struct cursor c;
	size_t written = 0, made;
	uint8_t *space;
	enum err e;

	/* Room first, so that no record is made that cannot be sent. */
	if ((e = buf_reserve(out, n + TLS_WRITE_SLACK, &space)) != ERR_OK)
		return e;
	if (SSL_write_ex(tls, plain, n, &written) != 1 || written != n) {
		ERR_clear_error();
		return ERR_INTERNAL;
	}
	made = BIO_ctrl_pending(wbio);
	if (made > n + TLS_WRITE_SLACK || BIO_read(wbio, space, (int)made) != (int)made)
		return ERR_INTERNAL;
	/* Only application data may follow the octet-stream line: the
	 * peer's reader refuses anything else. */
	c = (struct cursor){space, space + made};
	if (!tls_records(&c) || c.p != c.end) {
		memset(space, 0, made);
		return ERR_INTERNAL;
	}
	buf_commit(out, made);
	return ERR_OK;
}

enum err msgenc_tls_wrap(SSL *tls, enum msgenc_style style, const uint8_t *plain, size_t len,
			 struct buf *out)
{
	uint32_t trailer = tls_trailer(tls);
	enum err e;

	if (!trailer || len == 0)
		return ERR_USAGE;
	for (size_t at = 0, n; at < len; at += n) {
		n = len - at < MSGENC_TLS_CHUNK ? len - at : MSGENC_TLS_CHUNK;
		if ((e = frame_head(out, MSGENC_CREDSSP, style, n, trailer)) != ERR_OK ||
		    (e = tls_seal(tls, plain + at, n, out)) != ERR_OK)
			return e;
	}
	return buf_put(out, CLOSING, strlen(CLOSING));
}

struct tls_open {
	SSL *tls;
	struct buf *plain;
	size_t total; /* the sum of the Length= values so far */
};

/* The first pass: how much plaintext the body claims, before any work. */
static enum err tls_count(void *arg, const struct msgenc_chunk *ch)
{
	struct tls_open *o = arg;

	o->total += ch->original_length;
	return o->total > o->plain->max - buf_len(o->plain) ? ERR_LIMIT : ERR_OK;
}

/* The second pass: one chunk's records in, exactly Length= bytes out, and
 * nothing left over in the BIO or the session. */
static enum err tls_open_chunk(void *arg, const struct msgenc_chunk *ch)
{
	struct tls_open *o = arg;
	BIO *rbio = SSL_get_rbio(o->tls);
	size_t got = 0, n;
	uint8_t *space;
	enum err e;

	if ((e = buf_reserve(o->plain, ch->original_length, &space)) != ERR_OK)
		return e;
	if (ch->records_len > INT_MAX ||
	    BIO_write(rbio, ch->records, (int)ch->records_len) != (int)ch->records_len)
		return ERR_INTERNAL;
	/* Each read returns at least one byte: at most Length= rounds. */
	while (got < ch->original_length &&
	       SSL_read_ex(o->tls, space + got, ch->original_length - got, &n) == 1)
		got += n;
	/* Short, long, an alert (close_notify ends the reads early) or a
	 * record that did not verify. */
	if (got != ch->original_length || SSL_has_pending(o->tls) || BIO_ctrl_pending(rbio) ||
	    (SSL_get_shutdown(o->tls) & SSL_RECEIVED_SHUTDOWN)) {
		memset(space, 0, ch->original_length);
		ERR_clear_error();
		return ERR_FORMAT;
	}
	buf_commit(o->plain, got);
	return ERR_OK;
}

enum err msgenc_tls_unwrap(SSL *tls, const uint8_t *body, size_t len, struct buf *plain,
			   enum msgenc_style *style)
{
	struct tls_open o = {tls, plain, 0};
	enum err e;

	if (!tls_trailer(tls))
		return ERR_USAGE;
	/* All the framing and the total first: no record is decrypted for a
	 * body that is broken further on. */
	if ((e = msgenc_parse_chunks(body, len, style, tls_count, &o)) != ERR_OK)
		return e;
	return msgenc_parse_chunks(body, len, style, tls_open_chunk, &o);
}

const char *msgenc_gss_why(OM_uint32 major, OM_uint32 minor, gss_OID mech, char *out, size_t len)
{
	size_t used = 0;

	out[0] = 0;
	for (int pass = 0; pass < 2; pass++) {
		OM_uint32 code = pass ? minor : major, ctx = 0, m;
		int type = pass ? GSS_C_MECH_CODE : GSS_C_GSS_CODE;
		if (pass && !minor)
			break;
		for (int i = 0; i < 4; i++) {
			gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
			if (GSS_ERROR(gss_display_status(&m, code, type, mech, &ctx, &text)))
				break;
			int n = snprintf(out + used, len - used, "%s%.*s", used ? "; " : "",
					 (int)text.length, (const char *)text.value);
			gss_release_buffer(&m, &text);
			if (n > 0)
				used += (size_t)n < len - used ? (size_t)n : len - used - 1;
			if (!ctx)
				break;
		}
	}
	return out;
}
