/* util: clocks, ids, durations, base64. */
#include "common/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

uint64_t util_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

enum err util_guid(char out[UTIL_GUID_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char r[16];
	size_t o = 0;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return ERR_INTERNAL;
	r[6] = (r[6] & 0x0f) | 0x40; /* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[r[i] >> 4];
		out[o++] = hex[r[i] & 15];
	}
	out[o] = 0;
	OPENSSL_cleanse(r, sizeof(r));
	return ERR_OK;
}

int util_is_guid(const char *s)
{
	for (int i = 0; i < UTIL_GUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return s[UTIL_GUID_LEN] == 0;
}

/* Reads digits[.digits] at *p; the value in thousandths. */
static enum err duration_number(const char **p, uint64_t *milli, int *had_fraction)
{
	const char *s = *p;
	uint64_t whole = 0, frac = 0;
	int digits = 0, fdigits = 0;

	while (isdigit((unsigned char)*s)) {
		if (whole > (UINT64_MAX / 1000 - 9) / 10)
			return ERR_FORMAT;
		whole = whole * 10 + (uint64_t)(*s++ - '0');
		digits++;
	}
	*had_fraction = 0;
	if (*s == '.') {
		s++;
		*had_fraction = 1;
		while (isdigit((unsigned char)*s)) {
			if (fdigits < 3)
				frac = frac * 10 + (uint64_t)(*s - '0');
			fdigits++;
			s++;
		}
		if (fdigits == 0)
			return ERR_FORMAT;
		for (int i = fdigits; i < 3; i++)
			frac *= 10;
	}
	if (digits == 0)
		return ERR_FORMAT;
	*milli = whole * 1000 + frac;
	*p = s;
	return ERR_OK;
}

enum err util_duration_parse(const char *s, uint64_t *ms)
{
	uint64_t total = 0, v;
	int in_time = 0, any = 0, frac;
	/* Units allowed in order; each at most once. */
	const char *order = "DHMS";
	int last = -1;

	if (*s++ != 'P')
		return ERR_FORMAT;
	while (*s) {
		if (*s == 'T') {
			if (in_time)
				return ERR_FORMAT;
			in_time = 1;
			s++;
			if (!*s)
				return ERR_FORMAT;
			continue;
		}
		if (duration_number(&s, &v, &frac) != ERR_OK)
			return ERR_FORMAT;
		const char *u = strchr(order, *s);
		if (!*s || !u)
			return ERR_FORMAT;
		int idx = (int)(u - order);
		if (idx <= last || (idx == 0 && in_time) || (idx > 0 && !in_time) ||
		    (frac && *s != 'S'))
			return ERR_FORMAT;
		last = idx;
		uint64_t mult = idx == 0 ? 86400 : idx == 1 ? 3600 : idx == 2 ? 60 : 1;
		if (v > (UINT64_MAX - total) / mult)
			return ERR_FORMAT;
		total += v * mult;
		any = 1;
		s++;
	}
	if (!any)
		return ERR_FORMAT;
	*ms = total;
	return ERR_OK;
}

enum err util_duration_put_ms(struct buf *out, uint64_t ms)
{
	return buf_putf(out, "PT%llu.%03lluS", (unsigned long long)(ms / 1000),
			(unsigned long long)(ms % 1000));
}

enum err util_b64_encode(struct buf *out, const void *p, size_t n)
{
	uint8_t *space;
	size_t need = util_b64_encoded_len(n);
	enum err e;

	if (n > (SIZE_MAX / 4) * 3 - 3 || n > INT32_MAX)
		return ERR_LIMIT;
	if ((e = buf_reserve(out, need + 1, &space)) != ERR_OK)
		return e;
	int w = EVP_EncodeBlock(space, p, (int)n);
	if (w < 0)
		return ERR_INTERNAL;
	buf_commit(out, (size_t)w);
	return ERR_OK;
}

/* Decoding table: 1 + the value of each character of the standard
 * alphabet, B64_PAD for '=', B64_SKIP for the whitespace that is skipped,
 * 0 for anything else. */
#define B64_PAD 65
#define B64_SKIP 66
static const uint8_t b64_table[256] = {
    ['A'] = 1,	      ['B'] = 2,	 ['C'] = 3,	    ['D'] = 4,	       ['E'] = 5,
    ['F'] = 6,	      ['G'] = 7,	 ['H'] = 8,	    ['I'] = 9,	       ['J'] = 10,
    ['K'] = 11,	      ['L'] = 12,	 ['M'] = 13,	    ['N'] = 14,	       ['O'] = 15,
    ['P'] = 16,	      ['Q'] = 17,	 ['R'] = 18,	    ['S'] = 19,	       ['T'] = 20,
    ['U'] = 21,	      ['V'] = 22,	 ['W'] = 23,	    ['X'] = 24,	       ['Y'] = 25,
    ['Z'] = 26,	      ['a'] = 27,	 ['b'] = 28,	    ['c'] = 29,	       ['d'] = 30,
    ['e'] = 31,	      ['f'] = 32,	 ['g'] = 33,	    ['h'] = 34,	       ['i'] = 35,
    ['j'] = 36,	      ['k'] = 37,	 ['l'] = 38,	    ['m'] = 39,	       ['n'] = 40,
    ['o'] = 41,	      ['p'] = 42,	 ['q'] = 43,	    ['r'] = 44,	       ['s'] = 45,
    ['t'] = 46,	      ['u'] = 47,	 ['v'] = 48,	    ['w'] = 49,	       ['x'] = 50,
    ['y'] = 51,	      ['z'] = 52,	 ['0'] = 53,	    ['1'] = 54,	       ['2'] = 55,
    ['3'] = 56,	      ['4'] = 57,	 ['5'] = 58,	    ['6'] = 59,	       ['7'] = 60,
    ['8'] = 61,	      ['9'] = 62,	 ['+'] = 63,	    ['/'] = 64,	       ['='] = B64_PAD,
    [' '] = B64_SKIP, ['\t'] = B64_SKIP, ['\r'] = B64_SKIP, ['\n'] = B64_SKIP,
};

/* b64_table's digits shifted into place for each position of a quad,
 * filled once. */
static uint32_t b64_shifted[4][256];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void b64_fill(void)
{
	for (int pos = 0; pos < 4; pos++)
		for (int c = 0; c < 256; c++)
			b64_shifted[pos][c] = b64_table[c] >= 1 && b64_table[c] <= 64
						  ? (uint32_t)(b64_table[c] - 1) << (18 - 6 * pos)
						  : 0x80000000u;
}

/* A strict decoder kept here rather than EVP_DecodeUpdate because that one
 * silently accepts data after padding and needs a context per call; this is
 * a single straight pass that skips whitespace and checks padding, writing
 * into space reserved once (output and stdin run to megabytes). */
enum err util_b64_decode(struct buf *out, const char *s, size_t n)
{
	uint32_t acc = 0;
	int bits = 0, pad = 0;
	size_t quads = 0, o = 0, room = n / 4 * 3 + 3;
	uint8_t *space;
	enum err e;

	/* Whitespace makes the estimate high: never ask for more than the
	 * buffer may hold, and check the room as bytes come. */
	if (room > out->max - buf_len(out))
		room = out->max - buf_len(out);
	if ((e = buf_reserve(out, room, &space)) != ERR_OK)
		return e;
	pthread_once(&b64_once, b64_fill);
	for (size_t i = 0; i < n; i++) {
		/* Whole quads of plain characters, the bulk of any input, go
		 * four at a time through tables of pre-shifted values (bit 31:
		 * not a digit); anything else takes the careful path below. */
		while (bits == 0 && !pad && i + 4 <= n && o + 3 <= room) {
			const unsigned char *q4 = (const unsigned char *)s + i;
			uint32_t q = b64_shifted[0][q4[0]] | b64_shifted[1][q4[1]] |
				     b64_shifted[2][q4[2]] | b64_shifted[3][q4[3]];
			if (q & 0x80000000u)
				break;
			space[o] = (uint8_t)(q >> 16);
			space[o + 1] = (uint8_t)(q >> 8);
			space[o + 2] = (uint8_t)q;
			o += 3;
			quads += 4;
			i += 4;
		}
		if (i >= n)
			break;
		uint8_t v = b64_table[(unsigned char)s[i]];
		if (v >= 1 && v <= 64 && !pad) {
			quads++;
			acc = acc << 6 | (uint32_t)(v - 1);
			bits += 6;
			if (bits >= 8) {
				if (o == room) {
					OPENSSL_cleanse(space, o);
					return ERR_LIMIT;
				}
				bits -= 8;
				space[o++] = (uint8_t)(acc >> bits);
			}
		} else if (v == B64_PAD && ++pad <= 2) {
			quads++;
		} else if (v != B64_SKIP) {
			goto bad;
		}
	}
	if (quads % 4 != 0)
		goto bad;
	/* Leftover bits must be zero padding. */
	if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0)
		goto bad;
	buf_commit(out, o);
	return ERR_OK;
bad:
	OPENSSL_cleanse(space, o);
	return ERR_FORMAT;
}

void util_tune_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

enum err util_xml_escape(struct buf *out, const char *s)
{
	enum err e = ERR_OK;

	for (; s && *s && e == ERR_OK; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&':
			e = buf_put(out, "&amp;", 5);
			break;
		case '<':
			e = buf_put(out, "&lt;", 4);
			break;
		case '>':
			e = buf_put(out, "&gt;", 4);
			break;
		case '"':
			e = buf_put(out, "&quot;", 6);
			break;
		case '\t':
			e = buf_put(out, "&#9;", 4);
			break;
		case '\n':
			e = buf_put(out, "&#10;", 5);
			break;
		case '\r':
			e = buf_put(out, "&#13;", 5);
			break;
		default:
			e = buf_put_u8(out, c < 0x20 ? '?' : c);
		}
	}
	return e;
}

enum err util_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return ERR_FORMAT;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return ERR_FORMAT;
		uint64_t d = (uint64_t)(*s - '0');
		if (d > max || v > (max - d) / 10)
			return ERR_LIMIT;
		v = v * 10 + d;
	}
	*out = v;
	return ERR_OK;
}

int util_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int util_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int util_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	return fl < 0 ? -1 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

void util_default_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int i = 1; i < NSIG; i++)
		(void)sigaction(i, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

const char *util_strip_local_domain(const char *user)
{
	char host[HOST_NAME_MAX + 1];
	const char *bs = strchr(user, '\\');
	size_t plen, hlen;

	if (!bs)
		return user;
	plen = (size_t)(bs - user);
	if (plen == 1 && user[0] == '.')
		return bs + 1;
	if (gethostname(host, sizeof(host)) != 0)
		return user;
	host[sizeof(host) - 1] = 0;
	/* Any other domain stays: PAM knows no such account and says no. */
	hlen = strcspn(host, ".");
	if (hlen > 0 && plen == hlen && strncasecmp(user, host, hlen) == 0)
		return bs + 1;
	return user;
}

int util_text_is_ip(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

void util_fqdn(char *out, size_t len)
{
	struct addrinfo hints = {.ai_flags = AI_CANONNAME}, *ai = NULL;

	out[0] = 0;
	if (len == 0 || gethostname(out, len) < 0) {
		if (len)
			out[0] = 0;
		return;
	}
	out[len - 1] = 0;
	if (out[0] && getaddrinfo(out, NULL, &hints, &ai) == 0 && ai && ai->ai_canonname)
		snprintf(out, len, "%s", ai->ai_canonname);
	if (ai)
		freeaddrinfo(ai);
}

const char *util_list_next(const char **cursor, size_t *len)
{
	const char *s = *cursor + strspn(*cursor, " \t,");
	size_t n = strcspn(s, ",");

	*cursor = s + n;
	if (!*s)
		return NULL;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*len = n;
	return s;
}
