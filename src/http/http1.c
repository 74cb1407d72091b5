/* http1: HTTP/1.1 requests in, responses out, for the network process.
 * Parsing is libhttp-parser's (one pass, no copies of what we do not keep);
 * this file decides what to keep and where the limits are. */
#include "http/http1.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <http_parser.h>
#include <openssl/crypto.h>

#include "common/log.h"

/* A body buffer that grew past this is released between requests, so an
 * idle keep-alive connection does not pin MaxEnvelopeSizekb of memory;
 * below it the storage is reused and a request costs no allocation. */
#define HTTP1_KEEP_BODY_ALLOC (64 * 1024)
/* Longer header names are none of the ones we keep. */
#define HTTP1_MAX_NAME 32

/* The headers we keep; each may appear once. */
enum hdr {
	HDR_AUTHORIZATION,
	HDR_CONTENT_TYPE,
	HDR_HOST,
	HDR_WSMANIDENTIFY,
	HDR_COUNT,
	HDR_OTHER = HDR_COUNT, /* any header we do not keep */
};

/* What the last header callback delivered: names and values arrive in
 * pieces, and a piece of the other kind ends the one before. */
enum piece {
	PIECE_NONE,  /* no header of this message yet */
	PIECE_NAME,  /* inside a header name */
	PIECE_VALUE, /* inside a header value */
};

struct http1_parser {
	http_parser hp;
	struct http1_request req;
	char name[HTTP1_MAX_NAME];
	size_t name_len; /* may pass HTTP1_MAX_NAME: then the name is not ours */
	enum hdr cur;	 /* the header whose value is arriving, or HDR_OTHER */
	size_t vlen[HDR_COUNT];
	unsigned seen;	   /* one bit per enum hdr */
	char identify[32]; /* the WSMANIDENTIFY value */
	size_t path_len;
	int in_query; /* the rest of the URL is query or fragment */
	enum piece last;
	size_t nheaders;
	size_t header_bytes; /* request line and headers read so far */
	int headers_done;
	int complete; /* a whole request was read; the parser is paused */
	int started;
	enum err err; /* sticky: why parsing stopped */
	http1_body_fn *body_policy;
	void *body_policy_arg;
};

#define SLOT(f) offsetof(struct http1_parser, f), sizeof(((struct http1_parser *)0)->f)
static const struct {
	const char *name;
	size_t name_len;
	size_t off, cap; /* where the value goes, and its room including the NUL */
} slots[HDR_COUNT] = {
    [HDR_AUTHORIZATION] = {"Authorization", 13, SLOT(req.authorization)},
    [HDR_CONTENT_TYPE] = {"Content-Type", 12, SLOT(req.content_type)},
    [HDR_HOST] = {"Host", 4, SLOT(req.host)},
    [HDR_WSMANIDENTIFY] = {"WSMANIDENTIFY", 13, SLOT(identify)},
};

static int fail(struct http1_parser *p, enum err e)
{
	p->err = e;
	return -1;
}

static char *slot_value(struct http1_parser *p, enum hdr h)
{
	return (char *)p + slots[h].off;
}

static int on_url(http_parser *hp, const char *at, size_t n)
{
	struct http1_parser *p = hp->data;
	size_t take = 0;

	if (p->in_query)
		return 0;
	while (take < n && at[take] != '?' && at[take] != '#')
		take++;
	p->in_query = take < n;
	/* A longer path cannot be ours; refusing beats keeping a prefix. */
	if (take >= sizeof(p->req.path) - p->path_len)
		return fail(p, ERR_HTTP_BAD_REQUEST);
	memcpy(p->req.path + p->path_len, at, take);
	p->path_len += take;
	p->req.path[p->path_len] = 0;
	return 0;
}

/* Ends the value of a kept header: trailing blanks go (http_parser has
 * already dropped the leading ones). */
static void finish_header(struct http1_parser *p)
{
	if (p->cur == HDR_OTHER)
		return;
	char *v = slot_value(p, p->cur);
	size_t n = p->vlen[p->cur];
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	v[n] = 0;
	p->vlen[p->cur] = n;
}

static int on_header_field(http_parser *hp, const char *at, size_t n)
{
	struct http1_parser *p = hp->data;

	/* Trailers of a chunked body: never headers we act on. http_parser
	 * bounds them by its own HTTP_MAX_HEADER_SIZE. */
	if (p->headers_done)
		return 0;
	/* RFC 7230 3.2.4: "A server MUST reject any received request message
	 * that contains whitespace between a header field-name and colon";
	 * Debian builds http_parser non-strict, which lets a space (not a
	 * tab) through, and "Content-Length :" would not count as one. */
	if (memchr(at, ' ', n))
		return fail(p, ERR_HTTP_BAD_REQUEST);
	if (p->last != PIECE_NAME) {
		if (p->last == PIECE_VALUE)
			finish_header(p);
		if (++p->nheaders > HTTP1_MAX_HEADERS)
			return fail(p, ERR_HTTP_BAD_REQUEST);
		p->name_len = 0;
		p->last = PIECE_NAME;
	}
	if (p->name_len <= sizeof(p->name) && n <= sizeof(p->name) - p->name_len)
		memcpy(p->name + p->name_len, at, n);
	p->name_len += n; /* bounded by HTTP1_MAX_HEADER_BYTES */
	return 0;
}

static enum hdr header_of(const char *name, size_t len)
{
	for (int h = 0; h < HDR_COUNT; h++)
		if (len == slots[h].name_len && strncasecmp(name, slots[h].name, len) == 0)
			return (enum hdr)h;
	return HDR_OTHER;
}

static int on_header_value(http_parser *hp, const char *at, size_t n)
{
	struct http1_parser *p = hp->data;

	if (p->headers_done)
		return 0;
	if (p->last != PIECE_VALUE) {
		p->cur = header_of(p->name, p->name_len);
		p->last = PIECE_VALUE;
		if (p->cur != HDR_OTHER) {
			/* Two Authorization or Content-Type values would leave us
			 * guessing which one the client meant, and a proxy in
			 * between may have guessed otherwise. */
			if (p->seen & (1u << p->cur))
				return fail(p, ERR_HTTP_BAD_REQUEST);
			p->seen |= 1u << p->cur;
		}
	}
	if (p->cur == HDR_OTHER)
		return 0;
	/* Values are never truncated: a cut Authorization or Content-Type
	 * would be a different value. Folded lines land here piece by piece
	 * and count against the same room. */
	size_t *len = &p->vlen[p->cur];
	if (n >= slots[p->cur].cap - *len)
		return fail(p, ERR_HTTP_BAD_REQUEST);
	memcpy(slot_value(p, p->cur) + *len, at, n);
	*len += n;
	return 0;
}

/* The caller's word on a body about to hold total bytes (within max_body:
 * checked before). Discarding frees what was kept of it. */
static int ask_policy(struct http1_parser *p, size_t total)
{
	if (!p->body_policy)
		return 0;
	switch (p->body_policy(p->body_policy_arg, &p->req, total)) {
	case HTTP1_BODY_KEEP:
		return 0;
	case HTTP1_BODY_DISCARD:
		p->req.body_discarded = 1;
		buf_clear(&p->req.body);
		return 0;
	case HTTP1_BODY_REFUSE:
	default:
		return fail(p, ERR_HTTP_BUSY);
	}
}

static int on_headers_complete(http_parser *hp)
{
	struct http1_parser *p = hp->data;
	struct http1_request *r = &p->req;
	const char *m = http_method_str((enum http_method)hp->method);
	size_t ml = strlen(m);

	if (p->last == PIECE_VALUE)
		finish_header(p);
	p->headers_done = 1;
	/* HTTP/0.9 has no headers and no length; an upgrade (or CONNECT)
	 * would hand the connection to another protocol. */
	if (hp->http_major != 1 || hp->upgrade)
		return fail(p, ERR_HTTP_BAD_REQUEST);
	if (hp->content_length != ULLONG_MAX && hp->content_length > r->body.max)
		return fail(p, ERR_HTTP_TOO_LARGE);
	if (ml >= sizeof(r->method))
		ml = sizeof(r->method) - 1;
	memcpy(r->method, m, ml);
	r->method[ml] = 0;
	r->method_post = hp->method == HTTP_POST;
	r->http_minor = hp->http_minor;
	r->keep_alive = http_should_keep_alive(hp);
	r->has_authorization = (p->seen >> HDR_AUTHORIZATION) & 1;
	r->wsmanidentify_unauthenticated =
	    ((p->seen >> HDR_WSMANIDENTIFY) & 1) && strcasecmp(p->identify, "unauthenticated") == 0;
	/* One allocation for the whole announced body instead of doublings. */
	if (hp->content_length != ULLONG_MAX && hp->content_length > 0) {
		uint8_t *space;
		enum err e;
		if (ask_policy(p, (size_t)hp->content_length) != 0)
			return -1;
		if (r->body_discarded)
			return 0;
		e = buf_reserve(&r->body, (size_t)hp->content_length, &space);
		if (e != ERR_OK)
			return fail(p, e == ERR_LIMIT ? ERR_HTTP_TOO_LARGE : e);
	}
	return 0;
}

static int on_chunk_header(http_parser *hp)
{
	struct http1_parser *p = hp->data;
	size_t held = buf_len(&p->req.body);

	/* Refuse as soon as a chunk announces more than the room left. */
	if (hp->content_length > p->req.body.max - held)
		return fail(p, ERR_HTTP_TOO_LARGE);
	if (hp->content_length == 0 || p->req.body_discarded)
		return 0;
	return ask_policy(p, held + (size_t)hp->content_length);
}

static int on_body(http_parser *hp, const char *at, size_t n)
{
	struct http1_parser *p = hp->data;

	if (p->req.body_discarded)
		return 0;
	enum err e = buf_put(&p->req.body, at, n);

	if (e != ERR_OK)
		return fail(p, e == ERR_LIMIT ? ERR_HTTP_TOO_LARGE : e);
	return 0;
}

static int on_message_complete(http_parser *hp)
{
	struct http1_parser *p = hp->data;

	/* One request at a time: pipelined bytes wait until the caller has
	 * answered this one and called http1_parser_next. */
	p->complete = 1;
	http_parser_pause(hp, 1);
	return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_chunk_header = on_chunk_header,
};

/* Empties the request and the per-message state; the body's storage is
 * kept unless it grew large. */
static void request_reset(struct http1_parser *p)
{
	struct http1_request *r = &p->req;

	OPENSSL_cleanse(r->authorization, p->vlen[HDR_AUTHORIZATION]);
	r->method_post = 0;
	r->method[0] = r->path[0] = r->content_type[0] = r->authorization[0] = r->host[0] = 0;
	r->wsmanidentify_unauthenticated = r->keep_alive = r->http_minor = 0;
	r->has_authorization = r->body_discarded = 0;
	if (r->body.alloc > HTTP1_KEEP_BODY_ALLOC)
		buf_clear(&r->body);
	else
		buf_reset(&r->body);
	memset(p->vlen, 0, sizeof(p->vlen));
	p->identify[0] = 0;
	p->name_len = p->path_len = p->nheaders = p->header_bytes = 0;
	p->cur = HDR_OTHER;
	p->seen = 0;
	p->in_query = p->headers_done = p->complete = p->started = 0;
	p->last = PIECE_NONE;
	p->err = ERR_OK;
}

struct http1_parser *http1_parser_new(size_t max_body)
{
	struct http1_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	http_parser_init(&p->hp, HTTP_REQUEST);
	p->hp.data = p;
	buf_init(&p->req.body, max_body);
	request_reset(p);
	return p;
}

void http1_parser_free(struct http1_parser *p)
{
	if (!p)
		return;
	buf_clear(&p->req.body);
	OPENSSL_cleanse(p->req.authorization, sizeof(p->req.authorization));
	free(p);
}

void http1_parser_set_body_policy(struct http1_parser *p, http1_body_fn *policy, void *arg)
{
	p->body_policy = policy;
	p->body_policy_arg = arg;
}

void http1_parser_next(struct http1_parser *p)
{
	/* After a complete request http_parser is paused at the start of the
	 * next one; after an error or a request abandoned half-way it must
	 * start over. (Debian's non-strict build accepts more requests even
	 * after Connection: close: closing is the caller's part.) */
	if (p->complete)
		http_parser_pause(&p->hp, 0);
	else
		http_parser_init(&p->hp, HTTP_REQUEST);
	request_reset(p);
}

int http1_parser_started(const struct http1_parser *p)
{
	return p->started;
}

static enum err parse_failed(struct http1_parser *p)
{
	enum http_errno he = HTTP_PARSER_ERRNO(&p->hp);

	if (p->err == ERR_OK)
		p->err = he == HPE_HEADER_OVERFLOW ? ERR_HTTP_HEADER_TOO_BIG : ERR_HTTP_BAD_REQUEST;
	log_debug("HTTP request refused: %s (%s)", err_str(p->err), http_errno_name(he));
	return p->err;
}

enum err http1_parse(struct http1_parser *p, const uint8_t *data, size_t len, size_t *consumed,
		     struct http1_request **req)
{
	size_t off = 0;

	*consumed = 0;
	*req = NULL;
	if (p->err != ERR_OK)
		return p->err;
	if (p->complete) {
		*req = &p->req;
		return ERR_OK;
	}
	if (len > 0)
		p->started = 1;
	while (off < len) {
		size_t n = len - off;
		/* Until the headers end, feed no more than the header block may
		 * still hold, so the limit is exact whatever the feed sizes. */
		if (!p->headers_done && n > HTTP1_MAX_HEADER_BYTES - p->header_bytes)
			n = HTTP1_MAX_HEADER_BYTES - p->header_bytes;
		size_t used = http_parser_execute(&p->hp, &settings, (const char *)data + off, n);
		off += used;
		*consumed = off;
		enum http_errno he = HTTP_PARSER_ERRNO(&p->hp);
		if (he == HPE_PAUSED && p->complete) {
			*req = &p->req;
			return ERR_OK;
		}
		if (he != HPE_OK || used != n)
			return parse_failed(p);
		if (!p->headers_done) {
			p->header_bytes += used;
			if (p->header_bytes >= HTTP1_MAX_HEADER_BYTES)
				return p->err = ERR_HTTP_HEADER_TOO_BIG;
		}
	}
	return ERR_INCOMPLETE;
}

/* ---- responses ---- */

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Request Entity Too Large";
	case 415:
		return "Unsupported Media Type";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	/* HTTP.sys itself sends no reason phrase, and clients ignore it. */
	default:
		return "";
	}
}

/* IMF-fixdate (RFC 7231 7.1.1.1), formatted once per second: strftime
 * would follow the locale, and every response needs it. The network
 * process is single-threaded, so one cache serves it. */
static const char *http_date(void)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static time_t cached = (time_t)-1;
	static char text[64];
	time_t now = time(NULL);
	struct tm tm;

	if (now != cached && gmtime_r(&now, &tm)) {
		snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d GMT",
			 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		cached = now;
	}
	return text;
}

/* Writes at dst, or only counts when dst is NULL: the head is measured
 * first so the response is appended with one reservation, all or nothing. */
struct head_writer {
	uint8_t *dst;
	size_t n;
};

static void put(struct head_writer *w, const char *s, size_t n)
{
	if (w->dst)
		memcpy(w->dst + w->n, s, n);
	w->n += n;
}

static void put_header(struct head_writer *w, const char *name, const char *value)
{
	put(w, name, strlen(name));
	put(w, ": ", 2);
	put(w, value, strlen(value));
	put(w, "\r\n", 2);
}

struct head {
	char status[4];
	const char *reason;
	const char *date;
	const struct http1_header *extra;
	size_t nextra;
	const char *content_type;
	char content_length[24];
	int keep_alive;
};

static void write_head(struct head_writer *w, const struct head *h)
{
	put(w, "HTTP/1.1 ", 9);
	put(w, h->status, 3);
	put(w, " ", 1);
	put(w, h->reason, strlen(h->reason));
	put(w, "\r\n", 2);
	/* Clients and scanners fingerprint Windows by this value. */
	put_header(w, "Server", "Microsoft-HTTPAPI/2.0");
	put_header(w, "Date", h->date);
	for (size_t i = 0; i < h->nextra; i++)
		put_header(w, h->extra[i].name, h->extra[i].value);
	if (h->content_type)
		put_header(w, "Content-Type", h->content_type);
	put_header(w, "Content-Length", h->content_length);
	if (!h->keep_alive)
		put(w, "Connection: close\r\n", 19);
	put(w, "\r\n", 2);
}

/* A CR or LF would let a value start a header or a body of its own. */
static int header_text_ok(const char *s)
{
	return s && s[strcspn(s, "\r\n")] == 0;
}

enum err http1_response_head(struct buf *out, int status, const struct http1_header *extra,
			     size_t nextra, const char *content_type, size_t body_len,
			     int keep_alive)
{
	struct head h = {.reason = reason_phrase(status),
			 .extra = extra,
			 .nextra = nextra,
			 .content_type = content_type,
			 .keep_alive = keep_alive};
	struct head_writer w = {NULL, 0};
	uint8_t *space;
	enum err e;

	if (status < 100 || status > 999 || (content_type && !header_text_ok(content_type)))
		return ERR_USAGE;
	for (size_t i = 0; i < nextra; i++)
		if (!header_text_ok(extra[i].name) || !header_text_ok(extra[i].value))
			return ERR_USAGE;
	snprintf(h.status, sizeof(h.status), "%03d", status);
	snprintf(h.content_length, sizeof(h.content_length), "%zu", body_len);
	h.date = http_date();

	write_head(&w, &h);
	if ((e = buf_reserve(out, w.n, &space)) != ERR_OK)
		return e;
	w.dst = space;
	w.n = 0;
	write_head(&w, &h);
	buf_commit(out, w.n);
	return ERR_OK;
}

enum err http1_response(struct buf *out, int status, const struct http1_header *extra,
			size_t nextra, const char *content_type, const void *body, size_t body_len,
			int keep_alive)
{
	size_t before = buf_len(out);
	enum err e;

	if (body_len > 0 && !body)
		return ERR_USAGE;
	if ((e = http1_response_head(out, status, extra, nextra, content_type, body_len,
				     keep_alive)) != ERR_OK)
		return e;
	if (body_len > 0 && (e = buf_put(out, body, body_len)) != ERR_OK) {
		/* All or nothing: drop the head written above. */
		out->size = out->off + before;
		return e;
	}
	return ERR_OK;
}
