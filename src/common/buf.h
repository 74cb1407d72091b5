/* buf: the one bounded buffer for bytes that cross a trust boundary
 * (after OpenSSH's sshbuf). Every buffer has a maximum fixed at creation;
 * every put checks it before growing and every get checks the length
 * before consuming, so a short or hostile input yields ERR_INCOMPLETE or
 * ERR_FORMAT, never a read past the end. Integers are big-endian. */
#ifndef OPENWINRM_BUF_H
#define OPENWINRM_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct buf {
	uint8_t *data;
	size_t off;   /* bytes before off have been consumed */
	size_t size;  /* end of the valid bytes */
	size_t alloc; /* bytes allocated at data */
	size_t dirty; /* bytes at data ever committed: the ones to wipe */
	size_t max;   /* the most bytes this buffer may ever hold */
};

void buf_init(struct buf *b, size_t max);
/* Frees the storage after wiping it: buffers may have held secrets. */
void buf_clear(struct buf *b);
/* Empties the buffer, keeping its storage. */
void buf_reset(struct buf *b);

static inline size_t buf_len(const struct buf *b)
{
	return b->size - b->off;
}
static inline const uint8_t *buf_ptr(const struct buf *b)
{
	return b->data ? b->data + b->off : (const uint8_t *)"";
}

/* Makes room for n more bytes at once (within max), so a buffer about to
 * be filled piece by piece is allocated once instead of doubling. */
enum err buf_grow(struct buf *b, size_t n);
/* Space for n more bytes at the end; commit it with buf_commit. Bytes
 * written there and not committed are the writer's to wipe. */
enum err buf_reserve(struct buf *b, size_t n, uint8_t **space);
void buf_commit(struct buf *b, size_t n);

enum err buf_put(struct buf *b, const void *p, size_t n);
enum err buf_put_u8(struct buf *b, uint8_t v);
enum err buf_put_u32(struct buf *b, uint32_t v);
enum err buf_put_u64(struct buf *b, uint64_t v);
/* A u32 length then the bytes. */
enum err buf_put_string(struct buf *b, const void *p, size_t n);
enum err buf_put_cstring(struct buf *b, const char *s);
enum err buf_putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum err buf_vputf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* NUL-terminates the contents without counting the NUL, for C string views. */
enum err buf_terminate(struct buf *b);

enum err buf_consume(struct buf *b, size_t n);
enum err buf_get(struct buf *b, void *out, size_t n);
enum err buf_get_u8(struct buf *b, uint8_t *v);
enum err buf_get_u32(struct buf *b, uint32_t *v);
enum err buf_get_u64(struct buf *b, uint64_t *v);
/* A view of a length-prefixed string inside the buffer (valid until the
 * buffer changes). */
enum err buf_get_string_view(struct buf *b, const uint8_t **p, size_t *n);
/* A length-prefixed string copied into a new NUL-terminated allocation;
 * ERR_FORMAT if it holds a NUL or is longer than maxlen. */
enum err buf_get_cstring(struct buf *b, char **out, size_t maxlen);
/* A fixed-size text field (char out[size]) as a length-prefixed string:
 * the putter refuses (ERR_USAGE) one that fills the field without its
 * NUL; the getter ERR_FORMAT for a string with a NUL or longer than
 * size - 1. */
enum err buf_put_field(struct buf *b, const char *s, size_t size);
enum err buf_get_field(struct buf *b, char *out, size_t size);

#endif
