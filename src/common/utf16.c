/* utf16: UTF-8 and UTF-16LE, Windows' wide strings (see utf16.h). */
#include "common/utf16.h"

/* One code point from the UTF-8 at *p (n bytes left), advancing *p; -1 for
 * an invalid sequence: truncated, overlong, a surrogate, above U+10FFFF. */
static long utf8_next(const unsigned char **p, size_t n)
{
	static const long min_of_length[] = {0, 0, 0x80, 0x800, 0x10000};
	const unsigned char *s = *p;
	size_t len;
	long cp;

	if (s[0] < 0x80)
		len = 1, cp = s[0];
	else if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return -1;
	if (len > n)
		return -1;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min_of_length[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*p = s + len;
	return cp;
}

static void put_utf16le(unsigned char **o, long unit)
{
	*(*o)++ = (unsigned char)(unit & 0xff);
	*(*o)++ = (unsigned char)(unit >> 8);
}

enum err utf16_from_utf8(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	unsigned char *o = out;

	while (p < end) {
		long cp = utf8_next(&p, (size_t)(end - p));
		if (cp < 0)
			return ERR_FORMAT;
		if (cp >= 0x10000) {
			put_utf16le(&o, 0xd800 + ((cp - 0x10000) >> 10));
			put_utf16le(&o, 0xdc00 + ((cp - 0x10000) & 0x3ff));
		} else {
			put_utf16le(&o, cp);
		}
	}
	*outlen = (size_t)(o - out);
	return ERR_OK;
}

/* The UTF-8 of code point cp (valid: not a surrogate, at most U+10FFFF). */
static enum err put_utf8(struct buf *out, uint32_t cp)
{
	uint8_t b[4];
	size_t n;

	if (cp < 0x80)
		b[0] = (uint8_t)cp, n = 1;
	else if (cp < 0x800)
		b[0] = (uint8_t)(0xc0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3f)), n = 2;
	else if (cp < 0x10000)
		b[0] = (uint8_t)(0xe0 | cp >> 12), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)),
		b[2] = (uint8_t)(0x80 | (cp & 0x3f)), n = 3;
	else
		b[0] = (uint8_t)(0xf0 | cp >> 18), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f)),
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (uint8_t)(0x80 | (cp & 0x3f)),
		n = 4;
	return buf_put(out, b, n);
}

enum err utf16_to_utf8(const uint16_t *s, size_t n, struct buf *out)
{
	enum err e;

	for (size_t i = 0; i < n; i++) {
		uint32_t cp = s[i];
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return ERR_FORMAT;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 1 == n || s[i + 1] < 0xdc00 || s[i + 1] > 0xdfff)
				return ERR_FORMAT;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (s[++i] - 0xdc00u);
		}
		if ((e = put_utf8(out, cp)) != ERR_OK)
			return e;
	}
	return ERR_OK;
}

size_t utf16_len(const uint16_t *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
