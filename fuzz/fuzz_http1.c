/* Fuzzes http1_parse: the input is the bytes of a connection, fed once
 * whole and once in pieces whose sizes come from a hash of the input, with
 * or without a body policy (a bit of that hash). Both
 * runs must see the same requests and end the same way, and every request
 * must keep its fields within their bounds. */
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

static uint64_t request_digest(uint64_t h, const struct http1_request *r, size_t max_body)
{
	if (strnlen(r->method, sizeof(r->method)) == sizeof(r->method) ||
	    strnlen(r->path, sizeof(r->path)) == sizeof(r->path) ||
	    strnlen(r->content_type, sizeof(r->content_type)) == sizeof(r->content_type) ||
	    strnlen(r->authorization, sizeof(r->authorization)) == sizeof(r->authorization) ||
	    strnlen(r->host, sizeof(r->host)) == sizeof(r->host) || buf_len(&r->body) > max_body ||
	    r->method_post != (strcmp(r->method, "POST") == 0))
		abort();
	h = fnv(h, r->method, strlen(r->method));
	h = fnv(h, r->path, strlen(r->path) + 1);
	h = fnv(h, r->content_type, strlen(r->content_type) + 1);
	h = fnv(h, r->authorization, strlen(r->authorization) + 1);
	h = fnv(h, r->host, strlen(r->host) + 1);
	int flags[5] = {r->wsmanidentify_unauthenticated, r->keep_alive, r->http_minor,
			r->has_authorization, r->body_discarded};
	if (r->body_discarded && buf_len(&r->body) != 0)
		abort();
	h = fnv(h, flags, sizeof(flags));
	return fnv(h, buf_ptr(&r->body), buf_len(&r->body));
}

/* The network process's shape of policy (net_conn.c): bodies without
 * credentials past a small budget are dropped, those with credentials past
 * a larger one refused. */
static enum http1_body policy(void *arg, const struct http1_request *req, size_t total)
{
	(void)arg;
	if (req->has_authorization)
		return total > 1024 ? HTTP1_BODY_REFUSE : HTTP1_BODY_KEEP;
	return total > 64 ? HTTP1_BODY_DISCARD : HTTP1_BODY_KEEP;
}

/* Feeds data in pieces of 1..64 bytes drawn from seed, or whole if seed is 0. */
static uint64_t run(const uint8_t *data, size_t size, uint64_t seed, size_t max_body,
		    int with_policy)
{
	struct http1_parser *p = http1_parser_new(max_body);
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t off = 0;
	enum err e = ERR_INCOMPLETE;

	if (with_policy)
		http1_parser_set_body_policy(p, policy, NULL);

	while (off < size) {
		size_t n = size - off, used = 0;
		struct http1_request *req = NULL;
		if (seed) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			if (n > seed % 64 + 1)
				n = seed % 64 + 1;
		}
		e = http1_parse(p, data + off, n, &used, &req);
		if (used > n || (e == ERR_INCOMPLETE && used != n) ||
		    (e == ERR_OK && (!req || !used)))
			abort();
		off += used;
		if (e == ERR_OK) {
			h = request_digest(h, req, max_body);
			http1_parser_next(p);
		} else if (e != ERR_INCOMPLETE) {
			break;
		}
	}
	http1_parser_free(p);
	return fnv(h, &e, sizeof(e));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t max_bodies[4] = {0, 16, 2048, 512000};
	uint64_t seed = fnv(0xcbf29ce484222325ULL, data, size) | 1;
	size_t max_body = max_bodies[seed >> 62];
	int with_policy = (seed >> 61) & 1;

	if (run(data, size, 0, max_body, with_policy) !=
	    run(data, size, seed, max_body, with_policy))
		abort();
	return 0;
}
