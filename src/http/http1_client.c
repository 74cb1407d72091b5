/* http1_client: the client library's half of HTTP/1.1: requests out,
 * responses in, parsed by libhttp-parser like the service's requests. */
#include "http/http1.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>

/* Longer header names are none of the ones we keep. */
#define MAX_NAME 32
#define MAX_HEADERS 100

enum kept { KEPT_NONE, KEPT_CONTENT_TYPE, KEPT_CHALLENGE };

struct http1_response_parser {
	http_parser hp;
	struct http1_response resp;
	char name[MAX_NAME];
	size_t name_len;
	int in_value;
	enum kept kept;
	size_t ct_len;
	size_t nheaders;
	int headers_done;
	int complete;
	int started;
	enum err err;
};

static int fail(struct http1_response_parser *p, enum err e)
{
	p->err = e;
	return -1;
}

/* Ends the value that was arriving. */
static int finish_value(struct http1_response_parser *p)
{
	struct http1_response *r = &p->resp;

	if (p->kept == KEPT_CHALLENGE) {
		if (r->challenges_len >= sizeof(r->challenges))
			return fail(p, ERR_LIMIT);
		r->challenges[r->challenges_len++] = 0;
	} else if (p->kept == KEPT_CONTENT_TYPE) {
		r->content_type[p->ct_len] = 0;
	}
	p->kept = KEPT_NONE;
	return 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t n)
{
	struct http1_response_parser *p = hp->data;

	if (p->headers_done)
		return 0;
	if (p->in_value || p->nheaders == 0) {
		if (p->in_value && finish_value(p) < 0)
			return -1;
		if (++p->nheaders > MAX_HEADERS)
			return fail(p, ERR_LIMIT);
		p->name_len = 0;
		p->in_value = 0;
	}
	if (p->name_len <= sizeof(p->name) && n <= sizeof(p->name) - p->name_len)
		memcpy(p->name + p->name_len, at, n);
	p->name_len += n;
	return 0;
}

static int name_is(const struct http1_response_parser *p, const char *name)
{
	return p->name_len == strlen(name) && strncasecmp(p->name, name, p->name_len) == 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t n)
{
	struct http1_response_parser *p = hp->data;
	struct http1_response *r = &p->resp;

	if (p->headers_done)
		return 0;
	if (!p->in_value) {
		p->in_value = 1;
		p->kept = name_is(p, "WWW-Authenticate") ? KEPT_CHALLENGE
			  : name_is(p, "Content-Type")	 ? KEPT_CONTENT_TYPE
							 : KEPT_NONE;
		p->ct_len = 0;
	}
	if (p->kept == KEPT_CHALLENGE) {
		/* Room for this piece and the NUL that ends the value. */
		if (n >= sizeof(r->challenges) - r->challenges_len)
			return fail(p, ERR_LIMIT);
		memcpy(r->challenges + r->challenges_len, at, n);
		r->challenges_len += n;
	} else if (p->kept == KEPT_CONTENT_TYPE) {
		if (n >= sizeof(r->content_type) - p->ct_len)
			return fail(p, ERR_LIMIT);
		memcpy(r->content_type + p->ct_len, at, n);
		p->ct_len += n;
	}
	return 0;
}

static int on_headers_complete(http_parser *hp)
{
	struct http1_response_parser *p = hp->data;

	if (p->in_value && finish_value(p) < 0)
		return -1;
	p->headers_done = 1;
	/* RFC 7230 3.1.2: status-code = 3DIGIT; libhttp-parser takes fewer. */
	if (hp->http_major != 1 || hp->status_code < 100)
		return fail(p, ERR_FORMAT);
	if (hp->content_length != ULLONG_MAX && hp->content_length > p->resp.body.max)
		return fail(p, ERR_LIMIT);
	p->resp.status = hp->status_code;
	return 0;
}

static int on_body(http_parser *hp, const char *at, size_t n)
{
	struct http1_response_parser *p = hp->data;
	enum err e = buf_put(&p->resp.body, at, n);

	return e == ERR_OK ? 0 : fail(p, e == ERR_LIMIT ? ERR_LIMIT : e);
}

/* Forgets what a response said: before each response, and after an
 * interim (1xx) one. */
static void fields_reset(struct http1_response_parser *p)
{
	struct http1_response *r = &p->resp;

	r->status = r->keep_alive = 0;
	r->content_type[0] = 0;
	r->challenges_len = 0;
	buf_reset(&r->body);
	p->name_len = p->ct_len = p->nheaders = 0;
	p->in_value = p->headers_done = 0;
	p->kept = KEPT_NONE;
}

static int on_message_complete(http_parser *hp)
{
	struct http1_response_parser *p = hp->data;

	/* RFC 7231 6.2: "A client MUST be able to parse one or more 1xx
	 * responses received prior to a final response, even if the client
	 * does not expect one." Forgotten, and parsing goes on to the final
	 * one; 101 (an upgrade, never asked for) stays final. */
	if (hp->status_code / 100 == 1 && hp->status_code != 101) {
		fields_reset(p);
		return 0;
	}
	p->complete = 1;
	p->resp.keep_alive = http_should_keep_alive(hp);
	http_parser_pause(hp, 1);
	return 0;
}

static const http_parser_settings settings = {
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static void response_reset(struct http1_response_parser *p)
{
	fields_reset(p);
	p->complete = p->started = 0;
	p->err = ERR_OK;
	http_parser_init(&p->hp, HTTP_RESPONSE);
	p->hp.data = p;
}

struct http1_response_parser *http1_response_parser_new(size_t max_body)
{
	struct http1_response_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	buf_init(&p->resp.body, max_body);
	response_reset(p);
	return p;
}

void http1_response_parser_free(struct http1_response_parser *p)
{
	if (!p)
		return;
	buf_clear(&p->resp.body);
	free(p);
}

void http1_response_parser_next(struct http1_response_parser *p)
{
	response_reset(p);
}

static enum err failed(struct http1_response_parser *p)
{
	if (p->err == ERR_OK)
		p->err = HTTP_PARSER_ERRNO(&p->hp) == HPE_HEADER_OVERFLOW ? ERR_LIMIT : ERR_FORMAT;
	return p->err;
}

enum err http1_response_parse(struct http1_response_parser *p, const uint8_t *data, size_t len,
			      size_t *consumed, struct http1_response **resp)
{
	*consumed = 0;
	*resp = NULL;
	if (p->err != ERR_OK)
		return p->err;
	if (p->complete) {
		*resp = &p->resp;
		return ERR_OK;
	}
	if (len == 0)
		return ERR_INCOMPLETE;
	p->started = 1;
	size_t used = http_parser_execute(&p->hp, &settings, (const char *)data, len);
	*consumed = used;
	if (HTTP_PARSER_ERRNO(&p->hp) == HPE_PAUSED && p->complete) {
		*resp = &p->resp;
		return ERR_OK;
	}
	if (HTTP_PARSER_ERRNO(&p->hp) != HPE_OK || used != len)
		return failed(p);
	return ERR_INCOMPLETE;
}

enum err http1_response_eof(struct http1_response_parser *p, struct http1_response **resp)
{
	*resp = NULL;
	if (p->err != ERR_OK)
		return p->err;
	if (!p->complete) {
		if (!p->started)
			return ERR_IO;
		http_parser_execute(&p->hp, &settings, NULL, 0);
		if (!p->complete)
			return failed(p);
	}
	p->resp.keep_alive = 0;
	*resp = &p->resp;
	return ERR_OK;
}

const char *http1_response_challenge(const struct http1_response *r, const char *prev)
{
	const char *end = r->challenges + r->challenges_len;
	const char *next = prev ? prev + strlen(prev) + 1 : r->challenges;

	return next < end ? next : NULL;
}

/* A CR or LF would let a value start a header or a body of its own. */
static int text_ok(const char *s)
{
	return s && s[strcspn(s, "\r\n")] == 0;
}

enum err http1_request_write(struct buf *out, const char *method, const char *path,
			     const char *host, const struct http1_header *extra, size_t nextra,
			     const char *content_type, const void *body, size_t body_len)
{
	enum err e;

	if (!text_ok(method) || !text_ok(path) || !text_ok(host) ||
	    (content_type && !text_ok(content_type)) || (body_len > 0 && !body))
		return ERR_USAGE;
	for (size_t i = 0; i < nextra; i++)
		if (!text_ok(extra[i].name) || !text_ok(extra[i].value))
			return ERR_USAGE;
	if ((e = buf_putf(out, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, host)) != ERR_OK)
		return e;
	for (size_t i = 0; i < nextra; i++)
		if ((e = buf_putf(out, "%s: %s\r\n", extra[i].name, extra[i].value)) != ERR_OK)
			return e;
	if (content_type && (e = buf_putf(out, "Content-Type: %s\r\n", content_type)) != ERR_OK)
		return e;
	if ((e = buf_putf(out, "Content-Length: %zu\r\n\r\n", body_len)) != ERR_OK)
		return e;
	return body_len ? buf_put(out, body, body_len) : ERR_OK;
}
