/* Fuzzes the part of message encryption that reads network bytes: the
 * input up to its first newline is a Content-Type value for
 * msgenc_is_encrypted, the rest a body for msgenc_parse (SPNEGO and
 * Kerberos) and msgenc_parse_chunks (CredSSP). Whatever msgenc_parse
 * accepts must lie inside the body, the signature within its limit, the
 * sealed bytes as long as OriginalContent says, and the body must end with
 * the closing boundary right after them. Whatever msgenc_parse_chunks
 * accepts must be pairs in order inside the body, each data part whole
 * application-data records, 16384 bytes of plaintext for all but the last
 * and 1 to 16384 for that, the closing boundary right after it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msgenc/msgenc.h"

#define CLOSING "--Encrypted Boundary--\r\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_content_type(const uint8_t *data, size_t n)
{
	char *ct = malloc(n + 1);
	enum msgenc_protocol proto = (enum msgenc_protocol) - 1;

	if (!ct)
		return;
	memcpy(ct, data, n);
	ct[n] = 0;
	if (msgenc_is_encrypted(ct, &proto) && proto != MSGENC_SPNEGO && proto != MSGENC_KERBEROS &&
	    proto != MSGENC_CREDSSP)
		abort();
	free(ct);
}

static void check_gss(const uint8_t *body, size_t len)
{
	struct msgenc_parts m;
	const uint8_t *end = body + len;

	if (msgenc_parse(body, len, &m) != ERR_OK)
		return;
	if (m.signature < body || m.signature_len == 0 || m.signature_len > MSGENC_MAX_SIGNATURE ||
	    m.sealed != m.signature + m.signature_len || m.sealed_len != m.original_length ||
	    m.sealed_len > (size_t)(end - m.sealed) ||
	    (size_t)(end - m.sealed) - m.sealed_len != strlen(CLOSING) ||
	    memcmp(m.sealed + m.sealed_len, CLOSING, strlen(CLOSING)) != 0 ||
	    (m.style != MSGENC_TABS && m.style != MSGENC_NO_TABS))
		abort();
}

struct walk {
	const uint8_t *body, *end;
	const uint8_t *after; /* the end of the previous pair's records */
	size_t last_length;   /* the previous pair's Length=, 0 before the first */
};

static enum err check_chunk(void *arg, const struct msgenc_chunk *ch)
{
	struct walk *w = arg;
	const uint8_t *p = ch->records, *end = ch->records + ch->records_len;

	if (ch->records < w->after || ch->records_len > (size_t)(w->end - ch->records) ||
	    ch->original_length == 0 || ch->original_length > MSGENC_TLS_CHUNK ||
	    (w->last_length && w->last_length != MSGENC_TLS_CHUNK) || p == end)
		abort();
	while (p < end) {
		if (end - p < 5 || p[0] != 23 || p[1] != 3 || p[2] != 3 ||
		    (size_t)(end - p) - 5 < ((size_t)p[3] << 8 | p[4]))
			abort();
		p += 5 + ((size_t)p[3] << 8 | p[4]);
	}
	w->after = end;
	w->last_length = ch->original_length;
	return ERR_OK;
}

static void check_credssp(const uint8_t *body, size_t len)
{
	struct walk w = {body, body + len, body, 0};
	enum msgenc_style style = (enum msgenc_style) - 1;

	if (msgenc_parse_chunks(body, len, &style, check_chunk, &w) != ERR_OK)
		return;
	if (!w.last_length || (size_t)(w.end - w.after) != strlen(CLOSING) ||
	    memcmp(w.after, CLOSING, strlen(CLOSING)) != 0 ||
	    (style != MSGENC_TABS && style != MSGENC_NO_TABS))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ct_len = nl ? (size_t)(nl - data) : 0;
	size_t len;
	uint8_t *copy;

	check_content_type(data, ct_len);
	/* A copy of exactly the body's size, so ASan sees any read past it. */
	len = nl ? size - ct_len - 1 : size;
	if (!(copy = malloc(len ? len : 1)))
		return 0;
	memcpy(copy, nl ? nl + 1 : data, len);
	check_gss(copy, len);
	check_credssp(copy, len);
	free(copy);
	return 0;
}
