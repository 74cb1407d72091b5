/* buf: bounded buffer. */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void buf_clear(struct buf *b)
{
	if (b->data) {
		OPENSSL_cleanse(b->data, b->dirty);
		free(b->data);
	}
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->off = b->size = 0;
}

enum err buf_grow(struct buf *b, size_t n)
{
	uint8_t *space;

	if (n > b->max - buf_len(b))
		n = b->max - buf_len(b);
	return buf_reserve(b, n, &space);
}

enum err buf_reserve(struct buf *b, size_t n, uint8_t **space)
{
	if (n > b->max || buf_len(b) > b->max - n)
		return ERR_LIMIT;
	if (b->size + n > b->alloc && b->off > 0) {
		/* Reclaim consumed bytes before growing. */
		memmove(b->data, b->data + b->off, b->size - b->off);
		b->size -= b->off;
		b->off = 0;
	}
	if (b->size + n > b->alloc) {
		size_t want = b->alloc ? b->alloc : 256;
		while (want < b->size + n)
			want = want > SIZE_MAX / 2 ? SIZE_MAX : want * 2;
		if (want > b->max)
			want = b->max;
		uint8_t *p = malloc(want);
		if (!p)
			return ERR_NOMEM;
		if (b->data) {
			memcpy(p, b->data, b->size);
			OPENSSL_cleanse(b->data, b->dirty);
			free(b->data);
		}
		b->data = p;
		b->alloc = want;
		b->dirty = b->size;
	}
	*space = b->data + b->size;
	return ERR_OK;
}

void buf_commit(struct buf *b, size_t n)
{
	b->size += n;
	if (b->size > b->dirty)
		b->dirty = b->size;
}

enum err buf_put(struct buf *b, const void *p, size_t n)
{
	uint8_t *space;
	enum err e;

	if (n == 0)
		return ERR_OK;
	if ((e = buf_reserve(b, n, &space)) != ERR_OK)
		return e;
	memcpy(space, p, n);
	buf_commit(b, n);
	return ERR_OK;
}

enum err buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

enum err buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	return buf_put(b, x, sizeof(x));
}

enum err buf_put_u64(struct buf *b, uint64_t v)
{
	enum err e = buf_put_u32(b, (uint32_t)(v >> 32));
	return e != ERR_OK ? e : buf_put_u32(b, (uint32_t)v);
}

enum err buf_put_string(struct buf *b, const void *p, size_t n)
{
	enum err e;

	if (n > UINT32_MAX)
		return ERR_LIMIT;
	if ((e = buf_put_u32(b, (uint32_t)n)) != ERR_OK)
		return e;
	return buf_put(b, p, n);
}

enum err buf_put_cstring(struct buf *b, const char *s)
{
	return buf_put_string(b, s ? s : "", s ? strlen(s) : 0);
}

enum err buf_vputf(struct buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return ERR_FORMAT;
	if ((size_t)n < sizeof(small))
		return buf_put(b, small, (size_t)n);

	uint8_t *space;
	enum err e = buf_reserve(b, (size_t)n + 1, &space);
	if (e != ERR_OK)
		return e;
	vsnprintf((char *)space, (size_t)n + 1, fmt, ap);
	buf_commit(b, (size_t)n);
	return ERR_OK;
}

enum err buf_putf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum err e = buf_vputf(b, fmt, ap);
	va_end(ap);
	return e;
}

enum err buf_terminate(struct buf *b)
{
	uint8_t *space;
	enum err e = buf_reserve(b, 1, &space);
	if (e != ERR_OK)
		return e;
	*space = 0;
	return ERR_OK;
}

enum err buf_consume(struct buf *b, size_t n)
{
	if (n > buf_len(b))
		return ERR_INCOMPLETE;
	b->off += n;
	if (b->off == b->size)
		b->off = b->size = 0;
	return ERR_OK;
}

enum err buf_get(struct buf *b, void *out, size_t n)
{
	if (n > buf_len(b))
		return ERR_INCOMPLETE;
	if (n)
		memcpy(out, b->data + b->off, n);
	return buf_consume(b, n);
}

enum err buf_get_u8(struct buf *b, uint8_t *v)
{
	return buf_get(b, v, 1);
}

enum err buf_get_u32(struct buf *b, uint32_t *v)
{
	uint8_t x[4];
	enum err e = buf_get(b, x, sizeof(x));
	if (e != ERR_OK)
		return e;
	*v = (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint32_t)x[2] << 8 | x[3];
	return ERR_OK;
}

enum err buf_get_u64(struct buf *b, uint64_t *v)
{
	uint32_t hi, lo;
	enum err e;

	if (buf_len(b) < 8)
		return ERR_INCOMPLETE;
	if ((e = buf_get_u32(b, &hi)) != ERR_OK || (e = buf_get_u32(b, &lo)) != ERR_OK)
		return e;
	*v = (uint64_t)hi << 32 | lo;
	return ERR_OK;
}

enum err buf_get_string_view(struct buf *b, const uint8_t **p, size_t *n)
{
	uint32_t len;
	const uint8_t *start;

	if (buf_len(b) < 4)
		return ERR_INCOMPLETE;
	start = b->data + b->off;
	len = (uint32_t)start[0] << 24 | (uint32_t)start[1] << 16 | (uint32_t)start[2] << 8 |
	      start[3];
	if (len > buf_len(b) - 4)
		return ERR_INCOMPLETE;
	*p = start + 4;
	*n = len;
	b->off += 4 + (size_t)len;
	/* Unlike buf_consume this never compacts: the view must stay valid. */
	return ERR_OK;
}

/* A length-prefixed string of text: at most maxlen bytes, no NUL among
 * them; on error the buffer is as it was. */
static enum err get_text_view(struct buf *b, size_t maxlen, const uint8_t **p, size_t *n)
{
	size_t save = b->off;
	enum err e = buf_get_string_view(b, p, n);

	if (e != ERR_OK)
		return e;
	if (*n > maxlen || memchr(*p, 0, *n)) {
		b->off = save;
		return ERR_FORMAT;
	}
	return ERR_OK;
}

enum err buf_get_cstring(struct buf *b, char **out, size_t maxlen)
{
	const uint8_t *p;
	size_t n;
	size_t save = b->off;
	enum err e = get_text_view(b, maxlen, &p, &n);

	if (e != ERR_OK)
		return e;
	char *s = malloc(n + 1);
	if (!s) {
		b->off = save;
		return ERR_NOMEM;
	}
	memcpy(s, p, n);
	s[n] = 0;
	*out = s;
	return ERR_OK;
}

enum err buf_put_field(struct buf *b, const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		return ERR_USAGE;
	return buf_put_string(b, s, n);
}

enum err buf_get_field(struct buf *b, char *out, size_t size)
{
	const uint8_t *p;
	size_t n;
	enum err e = size ? get_text_view(b, size - 1, &p, &n) : ERR_USAGE;

	if (e != ERR_OK)
		return e;
	memcpy(out, p, n);
	out[n] = 0;
	return ERR_OK;
}
