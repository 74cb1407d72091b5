/* http1: HTTP/1.1 request parsing (over Debian's libhttp-parser) and
 * response writing for the service; request writing and response parsing
 * for the client library. No I/O: the network process feeds bytes in and writes
 * the bytes out. One request at a time: the parser pauses after each
 * complete message, so pipelined requests wait their turn. Limits are
 * checked where bytes pile up: the header block against
 * HTTP1_MAX_HEADER_BYTES, the body (Content-Length or chunked) against the
 * max_body given at init (MaxEnvelopeSizekb). */
#ifndef OPENWINRM_HTTP1_H
#define OPENWINRM_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define HTTP1_MAX_HEADER_BYTES 16384 /* HTTP.sys MaxRequestBytes default */
#define HTTP1_MAX_HEADERS 64
#define HTTP1_MAX_PATH 1024

struct http1_request {
	int method_post; /* 1 for POST */
	char method[16];
	char path[HTTP1_MAX_PATH]; /* the request target as sent, without the query */
	/* The headers WinRM needs, values trimmed, NUL-terminated, empty if absent. */
	char content_type[256];
	char authorization[8192];
	char host[256];
	int wsmanidentify_unauthenticated; /* WSMANIDENTIFY: unauthenticated */
	int keep_alive; /* HTTP/1.1 without Connection: close, or 1.0 keep-alive */
	int http_minor;
	int has_authorization;
	/* The body was read to its end and dropped, as the body policy said
	 * (HTTP1_BODY_DISCARD): body is empty. */
	int body_discarded;
	struct buf body;
};

struct http1_parser; /* opaque; wraps http_parser */

struct http1_parser *http1_parser_new(size_t max_body);
void http1_parser_free(struct http1_parser *p);
/* Feeds bytes. Returns ERR_OK and sets *req when a whole request has been
 * read (it stays valid until http1_parser_next); ERR_INCOMPLETE when more
 * bytes are needed; ERR_HTTP_BAD_REQUEST, ERR_HTTP_HEADER_TOO_BIG or
 * ERR_HTTP_TOO_LARGE otherwise. *consumed says how many bytes were used:
 * the rest belong to the next request. */
enum err http1_parse(struct http1_parser *p, const uint8_t *data, size_t len, size_t *consumed,
		     struct http1_request **req);
/* What becomes of a request's body, asked of the caller once the
 * request's headers are read (Content-Length: total is the announced
 * length) and, for a chunked body, before each chunk (total: what the body
 * would then hold). Without a policy every body is kept. */
enum http1_body {
	HTTP1_BODY_KEEP,    /* kept, within max_body */
	HTTP1_BODY_DISCARD, /* read to its end and dropped: req->body_discarded */
	HTTP1_BODY_REFUSE,  /* the request is refused: ERR_HTTP_BUSY */
};
typedef enum http1_body http1_body_fn(void *arg, const struct http1_request *req, size_t total);
void http1_parser_set_body_policy(struct http1_parser *p, http1_body_fn *policy, void *arg);
/* Readies the parser for the next request on the same connection. */
void http1_parser_next(struct http1_parser *p);
/* 1 once any byte of a request has been fed since the last request ended. */
int http1_parser_started(const struct http1_parser *p);

struct http1_header {
	const char *name;
	const char *value;
};

/* Appends the head of a response whose body_len bytes of body the caller
 * sends after it (so a large body is not copied behind the head). */
enum err http1_response_head(struct buf *out, int status, const struct http1_header *extra,
			     size_t nextra, const char *content_type, size_t body_len,
			     int keep_alive);
/* Appends a whole response: status line, Date/Server, the extra headers,
 * Content-Type (if given), Content-Length, Connection: close when
 * !keep_alive, then the body. */
enum err http1_response(struct buf *out, int status, const struct http1_header *extra,
			size_t nextra, const char *content_type, const void *body, size_t body_len,
			int keep_alive);

/* ---- the client's half ---- */

#define HTTP1_MAX_CHALLENGE_BYTES 16384

struct http1_response {
	int status;
	int keep_alive;
	char content_type[256];
	/* Every WWW-Authenticate value, each ended by a NUL, in order. */
	char challenges[HTTP1_MAX_CHALLENGE_BYTES];
	size_t challenges_len;
	struct buf body;
};

struct http1_response_parser;

struct http1_response_parser *http1_response_parser_new(size_t max_body);
void http1_response_parser_free(struct http1_response_parser *p);
/* Feeds bytes of a response. ERR_OK with *resp once it is whole (valid
 * until http1_response_parser_next), ERR_INCOMPLETE for more, ERR_FORMAT
 * for a malformed response, ERR_LIMIT for one over the limits. */
enum err http1_response_parse(struct http1_response_parser *p, const uint8_t *data, size_t len,
			      size_t *consumed, struct http1_response **resp);
/* The server closed the connection: a body that runs to the close ends
 * here; anything else unfinished is ERR_FORMAT (nothing read: ERR_IO). */
enum err http1_response_eof(struct http1_response_parser *p, struct http1_response **resp);
void http1_response_parser_next(struct http1_response_parser *p);
/* The next WWW-Authenticate value after prev (NULL: the first), or NULL. */
const char *http1_response_challenge(const struct http1_response *r, const char *prev);

/* Appends a whole request with Host, the extra headers, Content-Type (if
 * given) and Content-Length. */
enum err http1_request_write(struct buf *out, const char *method, const char *path,
			     const char *host, const struct http1_header *extra, size_t nextra,
			     const char *content_type, const void *body, size_t body_len);

#endif
