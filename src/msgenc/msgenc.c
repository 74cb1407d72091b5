/* msgenc: MS-WSMV 2.2.9.1 framing around GSSAPI's wrap and unwrap. */
#include "msgenc/msgenc.h"

#include <string.h>
#include <strings.h>

#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

#define BOUNDARY "--Encrypted Boundary\r\n"
#define CLOSING "--Encrypted Boundary--\r\n"
#define OCTET_STREAM "Content-Type: application/octet-stream\r\n"
#define SPNEGO_PROTOCOL "application/HTTP-SPNEGO-session-encrypted"
#define KERBEROS_PROTOCOL "application/HTTP-Kerberos-session-encrypted"
/* gss-ntlmssp's wrap token: the MS-NLMP signature, then the sealed data. */
#define NTLM_SIGNATURE_LEN 16

static const char *protocol_string(enum msgenc_protocol proto)
{
	return proto == MSGENC_KERBEROS ? KERBEROS_PROTOCOL : SPNEGO_PROTOCOL;
}

const char *msgenc_content_type(enum msgenc_protocol proto)
{
	return proto == MSGENC_KERBEROS ? "multipart/encrypted;protocol=\"" KERBEROS_PROTOCOL
					  "\";boundary=\"Encrypted Boundary\""
					: "multipart/encrypted;protocol=\"" SPNEGO_PROTOCOL
					  "\";boundary=\"Encrypted Boundary\"";
}

int msgenc_is_encrypted(const char *content_type, enum msgenc_protocol *proto)
{
	const char *ct = content_type ? content_type : "";

	ct += strspn(ct, " \t");
	if (strncasecmp(ct, "multipart/encrypted", 19) != 0)
		return 0;
	if (strcasestr(ct, SPNEGO_PROTOCOL))
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

static int take(struct cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return 0;
	c->p += n;
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

enum err msgenc_parse(const uint8_t *body, size_t len, struct msgenc_parts *out)
{
	struct cursor c = {body, body + len};
	const uint8_t *s;
	size_t n;
	int indented, have_type = 0, have_length = 0, first = 1;
	uint32_t sig_len;

	memset(out, 0, sizeof(*out));
	if (!take(&c, BOUNDARY))
		return ERR_FORMAT;
	/* The header part: its Content-Type and OriginalContent, any order. */
	while (!take(&c, BOUNDARY)) {
		if (!line(&c, &s, &n, &indented))
			return ERR_FORMAT;
		if (first)
			out->style = indented ? MSGENC_TABS : MSGENC_NO_TABS;
		first = 0;
		if (line_is(s, n, "Content-Type:"))
			have_type = 1;
		else if (line_is(s, n, "OriginalContent:"))
			have_length = original_length(s, n, &out->original_length);
		else
			return ERR_FORMAT;
	}
	if (!have_type || !have_length)
		return ERR_FORMAT;
	/* The data part: the octet-stream line, then binary to the end. */
	while (c.p < c.end && (*c.p == '\t' || *c.p == ' '))
		c.p++;
	if (!take(&c, OCTET_STREAM) || c.end - c.p < 4)
		return ERR_FORMAT;
	sig_len = (uint32_t)c.p[0] | (uint32_t)c.p[1] << 8 | (uint32_t)c.p[2] << 16 |
		  (uint32_t)c.p[3] << 24;
	c.p += 4;
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
	if (ctx == GSS_C_NO_CONTEXT)
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
