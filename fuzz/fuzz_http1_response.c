/* Fuzzes http1_response_parse and http1_response_eof: the input is the
 * bytes a server sends on one connection, fed in two pieces split at the
 * value of its first byte, then the close. Every response found must keep
 * its fields within their bounds (each challenge ended by its NUL inside
 * the array), and feeding the same bytes whole must find the same
 * responses and end the same way. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http1.h"

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t response_digest(uint64_t h, const struct http1_response *r, size_t max_body)
{
	const char *end = r->challenges + r->challenges_len;
	size_t n = 0;

	/* 1xx responses are interim and skipped, but for 101. */
	if (r->status < 100 || r->status > 999 || (r->status < 200 && r->status != 101) ||
	    (r->keep_alive != 0 && r->keep_alive != 1) ||
	    strnlen(r->content_type, sizeof(r->content_type)) == sizeof(r->content_type) ||
	    r->challenges_len > sizeof(r->challenges) || buf_len(&r->body) > max_body)
		abort();
	for (const char *c = http1_response_challenge(r, NULL); c;
	     c = http1_response_challenge(r, c)) {
		if (c < r->challenges || c >= end ||
		    strnlen(c, (size_t)(end - c)) == (size_t)(end - c))
			abort();
		n++;
	}
	if (r->challenges_len && r->challenges[r->challenges_len - 1] != 0)
		abort();
	int fields[3] = {r->status, r->keep_alive, (int)n};
	h = fnv(h, fields, sizeof(fields));
	h = fnv(h, r->content_type, strlen(r->content_type) + 1);
	h = fnv(h, r->challenges, r->challenges_len);
	return fnv(h, buf_ptr(&r->body), buf_len(&r->body));
}

/* Feeds data[0..split) then data[split..size), then the close. */
static uint64_t run(const uint8_t *data, size_t size, size_t split, size_t max_body)
{
	struct http1_response_parser *p = http1_response_parser_new(max_body);
	struct http1_response *resp = NULL;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t ends[2] = {split, size}, off = 0;
	enum err e = ERR_INCOMPLETE;

	if (!p)
		abort();
	for (int piece = 0; piece < 2 && (e == ERR_OK || e == ERR_INCOMPLETE); piece++) {
		while (off < ends[piece]) {
			size_t n = ends[piece] - off, used = 0;
			e = http1_response_parse(p, data + off, n, &used, &resp);
			if (used > n || (e == ERR_INCOMPLETE && (used != n || resp)) ||
			    (e == ERR_OK && (!resp || !used)) || (e != ERR_OK && resp))
				abort();
			off += used;
			if (e == ERR_OK) {
				h = response_digest(h, resp, max_body);
				http1_response_parser_next(p);
			} else if (e != ERR_INCOMPLETE) {
				break;
			}
		}
	}
	if (e == ERR_OK || e == ERR_INCOMPLETE) {
		e = http1_response_eof(p, &resp);
		if ((e == ERR_OK) != (resp != NULL))
			abort();
		if (e == ERR_OK) {
			if (resp->keep_alive)
				abort();
			h = response_digest(h, resp, max_body);
		}
	}
	http1_response_parser_free(p);
	return fnv(h, &e, sizeof(e));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t max_bodies[4] = {0, 16, 2048, 1 << 20};
	size_t max_body = max_bodies[fnv(0xcbf29ce484222325ULL, data, size) >> 62];
	size_t split = size ? data[0] : 0;

	if (split > size)
		split = size;
	if (run(data, size, split, max_body) != run(data, size, size, max_body))
		abort();
	return 0;
}
