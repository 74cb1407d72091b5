/* Fuzzes the part of message encryption that reads network bytes: the
 * input up to its first newline is a Content-Type value for
 * msgenc_is_encrypted, the rest a multipart/encrypted body for
 * msgenc_parse. Whatever the parser accepts must lie inside the body, the
 * signature within its limit, the sealed bytes as long as OriginalContent
 * says, and the body must end with the closing boundary right after them. */
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
	if (msgenc_is_encrypted(ct, &proto) && proto != MSGENC_SPNEGO && proto != MSGENC_KERBEROS)
		abort();
	free(ct);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ct_len = nl ? (size_t)(nl - data) : 0;
	const uint8_t *body;
	size_t len;
	uint8_t *copy;
	struct msgenc_parts m;

	check_content_type(data, ct_len);
	/* A copy of exactly the body's size, so ASan sees any read past it. */
	len = nl ? size - ct_len - 1 : size;
	if (!(copy = malloc(len ? len : 1)))
		return 0;
	memcpy(copy, nl ? nl + 1 : data, len);
	body = copy;
	if (msgenc_parse(body, len, &m) == ERR_OK) {
		const uint8_t *end = body + len;
		if (m.signature < body || m.signature_len == 0 ||
		    m.signature_len > MSGENC_MAX_SIGNATURE ||
		    m.sealed != m.signature + m.signature_len ||
		    m.sealed_len != m.original_length || m.sealed_len > (size_t)(end - m.sealed) ||
		    (size_t)(end - m.sealed) - m.sealed_len != strlen(CLOSING) ||
		    memcmp(m.sealed + m.sealed_len, CLOSING, strlen(CLOSING)) != 0 ||
		    (m.style != MSGENC_TABS && m.style != MSGENC_NO_TABS))
			abort();
	}
	free(copy);
	return 0;
}
