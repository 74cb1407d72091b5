/* test_client: the client library's parsers of network input and its
 * request writers: the HTTP/1.1 response parser and request writer
 * (http/http1_client.c), Digest (client/digest.c, RFC 7616 3.9.1), the
 * choices and header parsing of Negotiate and Kerberos (client/gss.c), and
 * the WS-Man client (wsman/client.c), whose requests must read back
 * through the service's own decoders and whose reply readers must read
 * the service's own replies and Windows' (MS-WSMV 3.1.4.5.2, 3.1.4.11 to 3.1.4.14;
 * faults: docs/protocol-notes.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "client/client_int.h"
#include "common/buf.h"
#include "common/err.h"
#include "http/http1.h"
#include "shell/shell_ops.h"
#include "shell/shell_soap.h"
#include "wsman/wsman.h"
#include "check.h"

/* What the service adds to requests and replies, where a test needs none. */
static const struct shell_service_ctx no_ctx;
static const struct shell_reply_ctx no_reply_ctx;

#define STREQ(a, b) ((a) && (b) && strcmp((a), (b)) == 0)

#define SHELL_ID "0D6FCA9D-2D40-44C3-B691-E665BE7AA687"
#define CMD_ID "B0973E54-434E-4D99-B4BE-ADE584CE3BFB"

/* The shell and command the requests and replies below name. */
static const struct shell_receive_req receive_ids = {.shell_id = SHELL_ID, .command_id = CMD_ID};
static const struct shell_delete_req delete_id = {.shell_id = SHELL_ID};
static const struct shell_command_reply command_started = {.command_id = CMD_ID};
#define ENDPOINT "http://192.168.56.11:5985/wsman"

/* ---- HTTP/1.1 responses ---- */

/* Windows Server with Negotiate, Kerberos and Basic on, no credentials
 * sent (RFC 4559 4.1; Kerberos added as a domain member). */
static const char win_401[] = "HTTP/1.1 401 \r\n"
			      "Server: Microsoft-HTTPAPI/2.0\r\n"
			      "WWW-Authenticate: Negotiate\r\n"
			      "WWW-Authenticate: Kerberos\r\n"
			      "www-authenticate: Basic realm=\"WSMAN\"\r\n"
			      "Date: Tue, 05 Mar 2024 10:00:00 GMT\r\n"
			      "Connection: close\r\n"
			      "Content-Length: 0\r\n"
			      "\r\n";

static const char ok_200[] = "HTTP/1.1 200 \r\n"
			     "Content-Type: application/soap+xml;charset=UTF-8\r\n"
			     "Server: Microsoft-HTTPAPI/2.0\r\n"
			     "Date: Tue, 05 Mar 2024 10:00:00 GMT\r\n"
			     "Content-Length: 12\r\n"
			     "\r\n"
			     "<s:Envelope>";

static const char chunked_200[] = "HTTP/1.1 200 OK\r\n"
				  "Content-Type: application/soap+xml;charset=UTF-8\r\n"
				  "Transfer-Encoding: chunked\r\n"
				  "\r\n"
				  "5\r\nhello\r\n"
				  "6;ext=1\r\n world\r\n"
				  "0\r\n"
				  "WWW-Authenticate: Trailer\r\n"
				  "\r\n";

/* A string literal as pointer and length, NULs inside included. */
#define S(lit) lit, sizeof(lit) - 1

/* Feeds n bytes at s at once. */
static enum err feed(struct http1_response_parser *p, const char *s, size_t n, size_t *used,
		     struct http1_response **resp)
{
	return http1_response_parse(p, (const uint8_t *)s, n, used, resp);
}

static int body_is(const struct http1_response *r, const char *s)
{
	return r && buf_len(&r->body) == strlen(s) && memcmp(buf_ptr(&r->body), s, strlen(s)) == 0;
}

static int bytes_are(const struct buf *b, const void *p, size_t n)
{
	return buf_len(b) == n && (n == 0 || memcmp(b->data + b->off, p, n) == 0);
}

static int buf_is(const struct buf *b, const char *s)
{
	return bytes_are(b, s, strlen(s));
}

/* Feeds s one byte at a time: every byte but the last must be consumed
 * with ERR_INCOMPLETE, the last must finish the response. */
static struct http1_response *feed_bytewise(struct http1_response_parser *p, const char *s)
{
	size_t n = strlen(s), used;
	struct http1_response *r = NULL;

	for (size_t i = 0; i < n; i++) {
		enum err e = feed(p, s + i, 1, &used, &r);
		if (used != 1 || (i + 1 < n && (e != ERR_INCOMPLETE || r)) ||
		    (i + 1 == n && e != ERR_OK))
			return NULL;
	}
	return r;
}

static void test_response_bodies(void)
{
	struct http1_response_parser *p = http1_response_parser_new(1 << 20);
	struct http1_response *r;
	size_t used;
	enum err e;

	e = feed(p, ok_200, strlen(ok_200), &used, &r);
	CHECK("Content-Length response", e == ERR_OK && r && used == strlen(ok_200));
	CHECK("Content-Length status", r && r->status == 200);
	CHECK("Content-Length body", body_is(r, "<s:Envelope>"));
	CHECK("Content-Type kept",
	      r && STREQ(r->content_type, "application/soap+xml;charset=UTF-8"));
	CHECK("HTTP/1.1 without Connection: close keeps alive", r && r->keep_alive == 1);
	CHECK("no challenge", r && http1_response_challenge(r, NULL) == NULL);
	e = feed(p, S("HTTP/1.1 200"), &used, &r);
	CHECK("a whole response stays until next",
	      e == ERR_OK && used == 0 && body_is(r, "<s:Envelope>"));

	http1_response_parser_next(p);
	e = feed(p, chunked_200, strlen(chunked_200), &used, &r);
	CHECK("chunked response", e == ERR_OK && used == strlen(chunked_200));
	CHECK("chunked body joined", body_is(r, "hello world"));
	CHECK("chunked keeps alive", r && r->keep_alive == 1);
	CHECK("trailer is not a challenge", r && http1_response_challenge(r, NULL) == NULL);

	/* No length and not chunked: the body runs to the close. */
	static const char to_close[] = "HTTP/1.1 500 Internal Server Error\r\n"
				       "Content-Type: application/soap+xml;charset=UTF-8\r\n"
				       "\r\n"
				       "<s:Envelope/>";
	http1_response_parser_next(p);
	e = feed(p, to_close, strlen(to_close), &used, &r);
	CHECK("close-delimited body needs the close",
	      e == ERR_INCOMPLETE && !r && used == strlen(to_close));
	e = http1_response_eof(p, &r);
	CHECK("close-delimited body ends at eof",
	      e == ERR_OK && r && r->status == 500 && body_is(r, "<s:Envelope/>"));
	CHECK("close-delimited body does not keep alive", r && r->keep_alive == 0);

	/* HTTP/1.0 without a length, nothing after the headers. */
	http1_response_parser_next(p);
	e = feed(p, S("HTTP/1.0 200 OK\r\n\r\n"), &used, &r);
	CHECK("HTTP/1.0 empty close-delimited", e == ERR_INCOMPLETE &&
						    http1_response_eof(p, &r) == ERR_OK && r &&
						    r->status == 200 && buf_len(&r->body) == 0);

	/* 204 has no body whatever the framing says. */
	http1_response_parser_next(p);
	e = feed(p, S("HTTP/1.1 204 No Content\r\n\r\n"), &used, &r);
	CHECK("204 ends at the headers",
	      e == ERR_OK && r && r->status == 204 && r->keep_alive == 1);

	/* RFC 7231 6.2: a client MUST be able to parse 1xx responses before
	 * the final one, even unexpected; their headers are not the reply's. */
	static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n"
				      "HTTP/1.1 102 Processing\r\n"
				      "WWW-Authenticate: Interim\r\n"
				      "Content-Type: text/interim\r\n\r\n"
				      "HTTP/1.1 401 \r\n"
				      "WWW-Authenticate: Negotiate\r\n"
				      "Content-Length: 2\r\n\r\nno";
	http1_response_parser_next(p);
	e = feed(p, interim, strlen(interim), &used, &r);
	CHECK("1xx responses are skipped",
	      e == ERR_OK && r && r->status == 401 && used == strlen(interim) && body_is(r, "no"));
	CHECK("1xx headers are forgotten",
	      r && STREQ(http1_response_challenge(r, NULL), "Negotiate") &&
		  !http1_response_challenge(r, http1_response_challenge(r, NULL)) &&
		  r->content_type[0] == 0);
	http1_response_parser_next(p);
	r = feed_bytewise(p, interim);
	CHECK("1xx responses skipped byte by byte",
	      r && r->status == 401 && body_is(r, "no") &&
		  STREQ(http1_response_challenge(r, NULL), "Negotiate"));
	http1_response_parser_next(p);
	e = feed(p, S("HTTP/1.1 100 Continue\r\n\r\n"), &used, &r);
	CHECK("a 1xx alone is not the reply", e == ERR_INCOMPLETE && !r);
	CHECK("eof after a 1xx alone is ERR_FORMAT", http1_response_eof(p, &r) == ERR_FORMAT && !r);

	/* eof and the states it may find. */
	http1_response_parser_next(p);
	CHECK("eof before any byte is ERR_IO", http1_response_eof(p, &r) == ERR_IO && !r);
	http1_response_parser_next(p);
	feed(p, S("HTTP/1.1 200 OK\r\nContent-Le"), &used, &r);
	CHECK("eof inside the headers is ERR_FORMAT",
	      http1_response_eof(p, &r) == ERR_FORMAT && !r);
	http1_response_parser_next(p);
	feed(p, S("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), &used, &r);
	CHECK("eof inside a Content-Length body is ERR_FORMAT",
	      http1_response_eof(p, &r) == ERR_FORMAT);
	http1_response_parser_next(p);
	feed(p, S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"), &used, &r);
	CHECK("eof inside a chunk is ERR_FORMAT", http1_response_eof(p, &r) == ERR_FORMAT);
	http1_response_parser_next(p);
	feed(p, S("\r\n"), &used, &r);
	CHECK("eof after only blank lines is ERR_FORMAT", http1_response_eof(p, &r) == ERR_FORMAT);
	http1_response_parser_next(p);
	feed(p, ok_200, strlen(ok_200), &used, &r);
	CHECK("eof after a whole response returns it, closed",
	      http1_response_eof(p, &r) == ERR_OK && r && body_is(r, "<s:Envelope>") &&
		  r->keep_alive == 0);
	http1_response_parser_free(p);
}

static void test_response_keep_alive(void)
{
	static const struct {
		const char *text;
		int keep_alive;
	} cases[] = {
	    {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1},
	    {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 0},
	    {"HTTP/1.1 200 OK\r\nconnection: Close\r\nContent-Length: 0\r\n\r\n", 0},
	    {"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 1},
	    {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0},
	    {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 1},
	};
	struct http1_response_parser *p = http1_response_parser_new(1024);
	struct http1_response *r;
	size_t used;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[64];
		http1_response_parser_next(p);
		enum err e = feed(p, cases[i].text, strlen(cases[i].text), &used, &r);
		snprintf(name, sizeof(name), "keep-alive case %zu", i);
		CHECK(name, e == ERR_OK && r && r->keep_alive == cases[i].keep_alive);
	}
	http1_response_parser_free(p);
}

/* A 401 with n WWW-Authenticate: Negotiate headers of 1000-byte tokens,
 * appended to b. */
static void challenges_401(struct buf *b, int n)
{
	buf_putf(b, "HTTP/1.1 401 \r\n");
	for (int i = 0; i < n; i++) {
		buf_putf(b, "WWW-Authenticate: Negotiate ");
		for (int k = 0; k < 1000; k++)
			buf_put_u8(b, 'A');
		buf_putf(b, "\r\n");
	}
	buf_putf(b, "Content-Length: 0\r\n\r\n");
}

static void test_response_challenges(void)
{
	struct http1_response_parser *p = http1_response_parser_new(1024);
	struct http1_response *r;
	const char *c;
	size_t used;
	enum err e;

	e = feed(p, win_401, strlen(win_401), &used, &r);
	CHECK("401 parsed", e == ERR_OK && r && r->status == 401 && buf_len(&r->body) == 0);
	CHECK("401 with Connection: close", r && r->keep_alive == 0);
	c = r ? http1_response_challenge(r, NULL) : NULL;
	CHECK("first challenge", STREQ(c, "Negotiate"));
	c = c ? http1_response_challenge(r, c) : NULL;
	CHECK("second challenge", STREQ(c, "Kerberos"));
	c = c ? http1_response_challenge(r, c) : NULL;
	CHECK("third challenge (name matched without case)", STREQ(c, "Basic realm=\"WSMAN\""));
	CHECK("no fourth challenge", c && http1_response_challenge(r, c) == NULL);

	/* Byte by byte: every callback split; the same result. */
	http1_response_parser_next(p);
	r = feed_bytewise(p, win_401);
	c = r ? http1_response_challenge(r, NULL) : NULL;
	CHECK("401 byte by byte", r && r->status == 401 && STREQ(c, "Negotiate"));
	c = c ? http1_response_challenge(r, c) : NULL;
	CHECK("401 byte by byte: second", STREQ(c, "Kerberos"));
	c = c ? http1_response_challenge(r, c) : NULL;
	CHECK("401 byte by byte: third",
	      STREQ(c, "Basic realm=\"WSMAN\"") && !http1_response_challenge(r, c));

	/* A challenge leg, an empty value, and a header named like one. */
	static const char leg[] = "HTTP/1.1 401 \r\n"
				  "WWW-Authenticate: Negotiate TlRMTVNTUAACAAAA\r\n"
				  "WWW-Authenticate-X: no\r\n"
				  "WWW-Authenticate:\r\n"
				  "X-WWW-Authenticate: no\r\n"
				  "WWW-Authenticate: Digest realm=\"a, b\", nonce=\"n\"\r\n"
				  "Content-Length: 0\r\n\r\n";
	http1_response_parser_next(p);
	e = feed(p, leg, strlen(leg), &used, &r);
	c = e == ERR_OK ? http1_response_challenge(r, NULL) : NULL;
	CHECK("challenge with a token",
	      STREQ(c, "Negotiate TlRMTVNTUAACAAAA") && r->keep_alive == 1);
	c = c ? http1_response_challenge(r, c) : NULL;
	CHECK("empty challenge kept in its place", STREQ(c, ""));
	c = c ? http1_response_challenge(r, c) : NULL;
	CHECK("challenge with a quoted comma", STREQ(c, "Digest realm=\"a, b\", nonce=\"n\""));
	CHECK("similar header names are not challenges", c && !http1_response_challenge(r, c));

	/* Reuse: a response after one with challenges has none of them. */
	http1_response_parser_next(p);
	e = feed(p, S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), &used, &r);
	CHECK("reused parser forgets the challenges",
	      e == ERR_OK && r && !http1_response_challenge(r, NULL) && r->content_type[0] == 0 &&
		  body_is(r, "ok"));

	/* The challenges' room: 16384 bytes with their NULs. */
	struct buf big;
	buf_init(&big, 1 << 20);
	challenges_401(&big, 16);
	http1_response_parser_next(p);
	e = http1_response_parse(p, buf_ptr(&big), buf_len(&big), &used, &r);
	CHECK("16 challenges of 1010 bytes fit",
	      e == ERR_OK && r && r->challenges_len == 16 * 1011);
	buf_reset(&big);
	challenges_401(&big, 17);
	http1_response_parser_next(p);
	e = http1_response_parse(p, buf_ptr(&big), buf_len(&big), &used, &r);
	CHECK("challenges over 16384 bytes: ERR_LIMIT", e == ERR_LIMIT && !r);
	CHECK("the error stays",
	      feed(p, S("x"), &used, &r) == ERR_LIMIT && http1_response_eof(p, &r) == ERR_LIMIT);

	/* A Content-Type over its 255 bytes, more than 100 headers. */
	buf_reset(&big);
	buf_putf(&big, "HTTP/1.1 200 OK\r\nContent-Type: ");
	for (int k = 0; k < 300; k++)
		buf_put_u8(&big, 't');
	buf_putf(&big, "\r\nContent-Length: 0\r\n\r\n");
	http1_response_parser_next(p);
	CHECK("Content-Type over 255 bytes: ERR_LIMIT",
	      http1_response_parse(p, buf_ptr(&big), buf_len(&big), &used, &r) == ERR_LIMIT);
	buf_reset(&big);
	buf_putf(&big, "HTTP/1.1 200 OK\r\n");
	for (int k = 0; k < 101; k++)
		buf_putf(&big, "X-H%d: v\r\n", k);
	buf_putf(&big, "Content-Length: 0\r\n\r\n");
	http1_response_parser_next(p);
	CHECK("101 headers: ERR_LIMIT",
	      http1_response_parse(p, buf_ptr(&big), buf_len(&big), &used, &r) == ERR_LIMIT);
	buf_clear(&big);
	http1_response_parser_free(p);
}

static void test_response_bytewise_and_reuse(void)
{
	struct http1_response_parser *p = http1_response_parser_new(1 << 20);
	struct http1_response *r;
	size_t used;
	enum err e;

	r = feed_bytewise(p, chunked_200);
	CHECK("chunked byte by byte",
	      r && r->status == 200 && body_is(r, "hello world") &&
		  STREQ(r->content_type, "application/soap+xml;charset=UTF-8"));
	http1_response_parser_next(p);
	r = feed_bytewise(p, ok_200);
	CHECK("Content-Length byte by byte", r && body_is(r, "<s:Envelope>") && r->keep_alive == 1);

	/* Two responses in one read: the first stops where it ends. */
	struct buf two;
	buf_init(&two, 4096);
	buf_putf(&two, "%s%s", win_401, ok_200);
	http1_response_parser_next(p);
	e = http1_response_parse(p, buf_ptr(&two), buf_len(&two), &used, &r);
	CHECK("first of two responses",
	      e == ERR_OK && r && r->status == 401 && used == strlen(win_401));
	http1_response_parser_next(p);
	e = http1_response_parse(p, buf_ptr(&two) + used, buf_len(&two) - used, &used, &r);
	CHECK("second of two responses", e == ERR_OK && r && r->status == 200 &&
					     used == strlen(ok_200) && body_is(r, "<s:Envelope>") &&
					     !http1_response_challenge(r, NULL));
	buf_clear(&two);

	/* Reuse after an error. */
	http1_response_parser_next(p);
	CHECK("garbage", feed(p, S("garbage\r\n\r\n"), &used, &r) == ERR_FORMAT);
	http1_response_parser_next(p);
	CHECK("usable again after next",
	      feed(p, ok_200, strlen(ok_200), &used, &r) == ERR_OK && body_is(r, "<s:Envelope>"));
	http1_response_parser_free(p);
}

static void test_response_refusals(void)
{
	struct http1_response_parser *p = http1_response_parser_new(10);
	struct http1_response *r;
	size_t used;
	static const struct {
		const char *text;
		size_t len;
	} garbage[] = {
	    {S("garbage\r\n\r\n")},
	    {S("POST /wsman HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")},
	    {S("HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")},
	    {S("HTTP/1.1 2000 OK\r\n\r\n")},
	    {S("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")},
	    {S("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")},
	    {S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")},
	    {S("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n")},
	    /* RFC 7230 3.1.2: status-code = 3DIGIT. */
	    {S("HTTP/1.1 20 No Content\r\n\r\n")},
	    {S("HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n")},
	};

	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		char name[64];
		http1_response_parser_next(p);
		enum err e = feed(p, garbage[i].text, garbage[i].len, &used, &r);
		snprintf(name, sizeof(name), "garbage %zu is ERR_FORMAT", i);
		CHECK(name, e == ERR_FORMAT && !r);
	}

	/* max_body is 10. */
	http1_response_parser_next(p);
	CHECK("Content-Length at the max",
	      feed(p, S("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"), &used, &r) ==
		      ERR_OK &&
		  body_is(r, "0123456789"));
	http1_response_parser_next(p);
	CHECK("Content-Length over the max: ERR_LIMIT at the headers",
	      feed(p, S("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"), &used, &r) == ERR_LIMIT &&
		  !r);
	http1_response_parser_next(p);
	CHECK("huge Content-Length: ERR_LIMIT",
	      feed(p, S("HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n"), &used, &r) ==
		  ERR_LIMIT);
	http1_response_parser_next(p);
	CHECK("Content-Length beyond 64 bits: ERR_FORMAT",
	      feed(p, S("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n"), &used,
		   &r) == ERR_FORMAT);
	static const char chunks[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				     "6\r\n012345\r\n5\r\n6789A\r\n0\r\n\r\n";
	http1_response_parser_next(p);
	CHECK("chunked over the max: ERR_LIMIT",
	      feed(p, chunks, strlen(chunks), &used, &r) == ERR_LIMIT && !r);
	static const char eof_body[] = "HTTP/1.1 200 OK\r\n\r\n0123456789A";
	http1_response_parser_next(p);
	CHECK("close-delimited over the max: ERR_LIMIT",
	      feed(p, eof_body, strlen(eof_body), &used, &r) == ERR_LIMIT &&
		  http1_response_eof(p, &r) == ERR_LIMIT);
	http1_response_parser_next(p);
	CHECK("close-delimited at the max",
	      feed(p, eof_body, strlen(eof_body) - 1, &used, &r) == ERR_INCOMPLETE &&
		  http1_response_eof(p, &r) == ERR_OK && body_is(r, "0123456789"));
	http1_response_parser_free(p);
}

/* ---- HTTP/1.1 requests ---- */

static void test_request_write(void)
{
	struct buf out;
	const struct http1_header hdrs[] = {
	    {"User-Agent", "Microsoft WinRM Client"},
	    {"Authorization", "Basic dmFncmFudDp2YWdyYW50"},
	};
	static const char body[] = "<s:Envelope/>";
	static const char want[] = "POST /wsman HTTP/1.1\r\n"
				   "Host: 192.168.56.11:5985\r\n"
				   "User-Agent: Microsoft WinRM Client\r\n"
				   "Authorization: Basic dmFncmFudDp2YWdyYW50\r\n"
				   "Content-Type: application/soap+xml;charset=UTF-8\r\n"
				   "Content-Length: 13\r\n"
				   "\r\n"
				   "<s:Envelope/>";
	enum err e;

	buf_init(&out, 1 << 16);
	e = http1_request_write(&out, "POST", "/wsman", "192.168.56.11:5985", hdrs, 2,
				"application/soap+xml;charset=UTF-8", body, strlen(body));
	CHECK("request bytes", e == ERR_OK && buf_len(&out) == strlen(want) &&
				   memcmp(buf_ptr(&out), want, strlen(want)) == 0);

	/* The service reads what the client writes. */
	struct http1_parser *sp = http1_parser_new(1024);
	struct http1_request *req = NULL;
	size_t used;
	e = http1_parse(sp, buf_ptr(&out), buf_len(&out), &used, &req);
	CHECK("the service parses the request",
	      e == ERR_OK && req && used == buf_len(&out) && req->method_post &&
		  STREQ(req->path, "/wsman") && STREQ(req->host, "192.168.56.11:5985") &&
		  STREQ(req->authorization, "Basic dmFncmFudDp2YWdyYW50") &&
		  buf_len(&req->body) == 13 && req->keep_alive);
	http1_parser_free(sp);

	buf_reset(&out);
	e = http1_request_write(&out, "POST", "/wsman", "h", NULL, 0, NULL, NULL, 0);
	CHECK("request without body or type",
	      e == ERR_OK &&
		  buf_is(&out, "POST /wsman HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"));

	buf_reset(&out);
	buf_put(&out, "keep", 4);
	e = http1_request_write(&out, "POST", "/", "h", NULL, 0, NULL, "x", 1);
	CHECK("appends to the buffer",
	      e == ERR_OK && memcmp(buf_ptr(&out), "keepPOST / HTTP/1.1\r\n", 21) == 0);

	buf_reset(&out);
	struct http1_header evil = {"Authorization", "Basic x\r\nX-Injected: 1"};
	CHECK("CR/LF in a header value: ERR_USAGE",
	      http1_request_write(&out, "POST", "/wsman", "h", &evil, 1, NULL, NULL, 0) ==
		      ERR_USAGE &&
		  buf_len(&out) == 0);
	evil = (struct http1_header){"Authorization", "Basic x\nX-Injected: 1"};
	CHECK("LF alone in a header value: ERR_USAGE",
	      http1_request_write(&out, "POST", "/wsman", "h", &evil, 1, NULL, NULL, 0) ==
		      ERR_USAGE &&
		  buf_len(&out) == 0);
	evil = (struct http1_header){"X-A\r\nX-B", "v"};
	CHECK("CR/LF in a header name: ERR_USAGE",
	      http1_request_write(&out, "POST", "/wsman", "h", &evil, 1, NULL, NULL, 0) ==
		  ERR_USAGE);
	CHECK("CR/LF in the path: ERR_USAGE",
	      http1_request_write(&out, "POST", "/wsman\r\nX: y", "h", NULL, 0, NULL, NULL, 0) ==
		  ERR_USAGE);
	CHECK("CR/LF in the host: ERR_USAGE",
	      http1_request_write(&out, "POST", "/wsman", "h\r\n", NULL, 0, NULL, NULL, 0) ==
		  ERR_USAGE);
	CHECK("CR in the method: ERR_USAGE",
	      http1_request_write(&out, "PO\rST", "/wsman", "h", NULL, 0, NULL, NULL, 0) ==
		  ERR_USAGE);
	CHECK("CR/LF in the content type: ERR_USAGE",
	      http1_request_write(&out, "POST", "/wsman", "h", NULL, 0, "text/xml\r\n\r\nbody",
				  NULL, 0) == ERR_USAGE);
	CHECK("a body length without a body: ERR_USAGE",
	      http1_request_write(&out, "POST", "/wsman", "h", NULL, 0, NULL, NULL, 5) ==
		  ERR_USAGE);
	CHECK("refusals write nothing", buf_len(&out) == 0);
	buf_clear(&out);

	buf_init(&out, 40);
	CHECK("too big for the buffer: ERR_LIMIT",
	      http1_request_write(&out, "POST", "/wsman", "h", hdrs, 2, NULL, body, strlen(body)) ==
		  ERR_LIMIT);
	buf_clear(&out);
}

/* ---- Digest ---- */

#define RFC_REALM "http-auth@example.org"
#define RFC_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define RFC_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define RFC_MD5 "8ca523f5e9506fed4657c9700eebdbec"
#define RFC_SHA256 "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"

/* RFC 7616 3.9.1's two WWW-Authenticate values, the second spaced
 * otherwise (a tab, doubled blanks, none). */
static const char rfc_sha256[] =
    "Digest realm=\"" RFC_REALM "\", qop=\"auth, auth-int\", algorithm=SHA-256, "
    "nonce=\"" RFC_NONCE "\", opaque=\"" RFC_OPAQUE "\"";
static const char rfc_md5[] =
    "Digest\trealm=\"" RFC_REALM "\",  qop=\"auth, auth-int\",algorithm=MD5,"
    "nonce=\"" RFC_NONCE "\",opaque=\"" RFC_OPAQUE "\"";

/* The value of name= in an Authorization header (quotes removed). */
static int auth_param(const char *h, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name), o = 0;

	for (const char *p = h; (p = strstr(p, name)); p++) {
		if (p[n] != '=' || (p != h && p[-1] != ' '))
			continue;
		p += n + 1;
		int quoted = *p == '"';
		p += quoted;
		while (*p && (quoted ? *p != '"' : *p != ',') && o + 1 < cap) {
			if (quoted && *p == '\\' && p[1])
				p++;
			out[o++] = *p++;
		}
		out[o] = 0;
		return 1;
	}
	return 0;
}

/* Lower-case hex of H(a:b:...): the test's own arithmetic. */
static void hex_hash(const EVP_MD *md, char out[65], const char *const *parts, size_t n)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_DigestInit_ex(ctx, md, NULL);
	for (size_t i = 0; i < n; i++) {
		if (i)
			EVP_DigestUpdate(ctx, ":", 1);
		EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
	}
	EVP_DigestFinal_ex(ctx, h, &len);
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void expected_response(const EVP_MD *md, const char *user, const char *realm,
			      const char *pass, const char *method, const char *uri,
			      const char *nonce, const char *nc, const char *cnonce, char out[65])
{
	char ha1[65], ha2[65];
	const char *p1[] = {user, realm, pass}, *p2[] = {method, uri};

	hex_hash(md, ha1, p1, 3);
	hex_hash(md, ha2, p2, 2);
	const char *p3[] = {ha1, nonce, nc, cnonce, "auth", ha2};
	hex_hash(md, out, p3, 6);
}

static void test_digest_rfc7616(void)
{
	struct digest_state d = {0};
	struct buf out;
	char want[65];
	int stale = -1;

	/* The test's own arithmetic agrees with the RFC first. */
	expected_response(EVP_sha256(), "Mufasa", RFC_REALM, "Circle of Life", "GET",
			  "/dir/index.html", RFC_NONCE, "00000001", RFC_CNONCE, want);
	CHECK("RFC 7616 SHA-256 vector (test arithmetic)", strcmp(want, RFC_SHA256) == 0);
	expected_response(EVP_md5(), "Mufasa", RFC_REALM, "Circle of Life", "GET",
			  "/dir/index.html", RFC_NONCE, "00000001", RFC_CNONCE, want);
	CHECK("RFC 7616 MD5 vector (test arithmetic)", strcmp(want, RFC_MD5) == 0);

	buf_init(&out, 4096);
	CHECK("RFC 7616 SHA-256 challenge",
	      digest_challenge(&d, rfc_sha256, &stale) == ERR_OK && stale == 0);
	CHECK("challenge fields", STREQ(d.realm, RFC_REALM) && STREQ(d.nonce, RFC_NONCE) &&
				      STREQ(d.opaque, RFC_OPAQUE) && d.sha256 == 1 &&
				      d.qop_auth == 1 && d.nc == 0);
	CHECK("SHA-256 authorization",
	      digest_authorization_cnonce(&d, "Mufasa", "Circle of Life", "GET", "/dir/index.html",
					  RFC_CNONCE, &out) == ERR_OK);
	CHECK("SHA-256 authorization bytes",
	      buf_is(&out, "Digest username=\"Mufasa\", realm=\"" RFC_REALM "\", nonce=\"" RFC_NONCE
			   "\", uri=\"/dir/index.html\", algorithm=SHA-256, response=\"" RFC_SHA256
			   "\", qop=auth, nc=00000001, cnonce=\"" RFC_CNONCE
			   "\", opaque=\"" RFC_OPAQUE "\""));

	buf_reset(&out);
	CHECK("RFC 7616 MD5 challenge (tab, blanks, none)",
	      digest_challenge(&d, rfc_md5, &stale) == ERR_OK);
	CHECK("a new challenge restarts nc", d.nc == 0 && d.sha256 == 0 && d.qop_auth == 1);
	CHECK("MD5 authorization",
	      digest_authorization_cnonce(&d, "Mufasa", "Circle of Life", "GET", "/dir/index.html",
					  RFC_CNONCE, &out) == ERR_OK);
	CHECK("MD5 authorization bytes",
	      buf_is(&out, "Digest username=\"Mufasa\", realm=\"" RFC_REALM "\", nonce=\"" RFC_NONCE
			   "\", uri=\"/dir/index.html\", algorithm=MD5, response=\"" RFC_MD5
			   "\", qop=auth, nc=00000001, cnonce=\"" RFC_CNONCE
			   "\", opaque=\"" RFC_OPAQUE "\""));

	/* The public function: a fresh cnonce each time, nc counting up,
	 * and a response that is right for that cnonce and nc. */
	char cnonce1[128], cnonce2[128], nc[32], resp[128], v[128];
	digest_challenge(&d, rfc_sha256, &stale);
	buf_reset(&out);
	CHECK("authorization with a random cnonce",
	      digest_authorization(&d, "Mufasa", "Circle of Life", "POST", "/wsman", &out) ==
		      ERR_OK &&
		  buf_terminate(&out) == ERR_OK);
	const char *h = (const char *)buf_ptr(&out);
	CHECK("header fields", auth_param(h, "cnonce", cnonce1, sizeof(cnonce1)) &&
				   auth_param(h, "nc", nc, sizeof(nc)) &&
				   auth_param(h, "response", resp, sizeof(resp)) &&
				   strcmp(nc, "00000001") == 0 &&
				   auth_param(h, "uri", v, sizeof(v)) && strcmp(v, "/wsman") == 0);
	CHECK("cnonce is 32 hex digits",
	      strlen(cnonce1) == 32 && strspn(cnonce1, "0123456789abcdef") == 32);
	expected_response(EVP_sha256(), "Mufasa", RFC_REALM, "Circle of Life", "POST", "/wsman",
			  RFC_NONCE, nc, cnonce1, want);
	CHECK("response right for its cnonce", strcmp(resp, want) == 0);
	buf_reset(&out);
	digest_authorization(&d, "Mufasa", "Circle of Life", "POST", "/wsman", &out);
	buf_terminate(&out);
	h = (const char *)buf_ptr(&out);
	auth_param(h, "cnonce", cnonce2, sizeof(cnonce2));
	auth_param(h, "nc", nc, sizeof(nc));
	auth_param(h, "response", resp, sizeof(resp));
	CHECK("nc increments", strcmp(nc, "00000002") == 0 && d.nc == 2);
	CHECK("cnonce changes", strcmp(cnonce1, cnonce2) != 0);
	expected_response(EVP_sha256(), "Mufasa", RFC_REALM, "Circle of Life", "POST", "/wsman",
			  RFC_NONCE, nc, cnonce2, want);
	CHECK("second response right for nc 2", strcmp(resp, want) == 0);

	/* The RFC's 401 as written, folded lines and all, through the
	 * response parser: SHA-256 first, MD5 second. */
	static const char rfc_401[] = "HTTP/1.1 401 Unauthorized\r\n"
				      "WWW-Authenticate: Digest\r\n"
				      "       realm=\"" RFC_REALM "\",\r\n"
				      "       qop=\"auth, auth-int\",\r\n"
				      "       algorithm=SHA-256,\r\n"
				      "       nonce=\"" RFC_NONCE "\",\r\n"
				      "       opaque=\"" RFC_OPAQUE "\"\r\n"
				      "WWW-Authenticate: Digest\r\n"
				      "       realm=\"" RFC_REALM "\",\r\n"
				      "       qop=\"auth, auth-int\",\r\n"
				      "       algorithm=MD5,\r\n"
				      "       nonce=\"" RFC_NONCE "\",\r\n"
				      "       opaque=\"" RFC_OPAQUE "\"\r\n"
				      "Content-Length: 0\r\n\r\n";
	struct http1_response_parser *p = http1_response_parser_new(1024);
	struct http1_response *r;
	size_t used;
	const char *c = NULL;
	int vectors = 0;
	if (http1_response_parse(p, (const uint8_t *)rfc_401, strlen(rfc_401), &used, &r) == ERR_OK)
		c = http1_response_challenge(r, NULL);
	for (; c; c = http1_response_challenge(r, c), vectors++) {
		buf_reset(&out);
		if (digest_challenge(&d, c, &stale) != ERR_OK ||
		    digest_authorization_cnonce(&d, "Mufasa", "Circle of Life", "GET",
						"/dir/index.html", RFC_CNONCE, &out) != ERR_OK ||
		    buf_terminate(&out) != ERR_OK ||
		    !auth_param((const char *)buf_ptr(&out), "response", resp, sizeof(resp)) ||
		    strcmp(resp, vectors == 0 ? RFC_SHA256 : RFC_MD5) != 0)
			break;
	}
	CHECK("RFC 7616 401 with folded challenges gives both vectors", vectors == 2 && !c);
	http1_response_parser_free(p);

	buf_clear(&out);
	digest_clear(&d);
	CHECK("digest_clear empties", !d.realm && !d.nonce && !d.opaque && d.nc == 0);
	buf_init(&out, 4096);
	CHECK("authorization without a challenge: ERR_USAGE",
	      digest_authorization(&d, "u", "p", "POST", "/wsman", &out) == ERR_USAGE &&
		  buf_len(&out) == 0);
	buf_clear(&out);
}

/* head, then c n times, then tail, as a C string in b (reset first). */
static const char *repeated(struct buf *b, const char *head, char c, int n, const char *tail)
{
	buf_reset(b);
	buf_putf(b, "%s", head);
	for (int i = 0; i < n; i++)
		buf_put_u8(b, (uint8_t)c);
	buf_putf(b, "%s", tail);
	buf_terminate(b);
	return (const char *)buf_ptr(b);
}

static void test_digest_challenges(void)
{
	struct digest_state d = {0};
	struct buf out;
	int stale;

	buf_init(&out, 8192);
	CHECK(
	    "quoted commas and escaped quotes",
	    digest_challenge(&d,
			     "Digest realm=\"a, \\\"b\\\" \\\\ c\", nonce=\"n,1\", opaque=\"x\\y\"",
			     &stale) == ERR_OK &&
		STREQ(d.realm, "a, \"b\" \\ c") && STREQ(d.nonce, "n,1") && STREQ(d.opaque, "xy"));
	CHECK("requoted in the authorization",
	      digest_authorization_cnonce(&d, "do\"m\\u", "p", "POST", "/wsman", "c", &out) ==
		      ERR_OK &&
		  buf_terminate(&out) == ERR_OK &&
		  strncmp((const char *)buf_ptr(&out),
			  "Digest username=\"do\\\"m\\\\u\", realm=\"a, \\\"b\\\" \\\\ c\", "
			  "nonce=\"n,1\", uri=\"/wsman\", "
			  "algorithm=MD5, response=\"",
			  97) == 0 &&
		  strstr((const char *)buf_ptr(&out), ", opaque=\"xy\""));
	/* The authorization is a challenge-shaped list: its quoting reads back. */
	struct digest_state back = {0};
	CHECK("authorization reads back",
	      digest_challenge(&back, (const char *)buf_ptr(&out), &stale) == ERR_OK &&
		  STREQ(back.realm, d.realm) && STREQ(back.nonce, d.nonce) &&
		  STREQ(back.opaque, d.opaque) && back.qop_auth == 0);
	digest_clear(&back);

	CHECK("stale=true", digest_challenge(&d, "Digest realm=\"r\", nonce=\"n2\", stale=true",
					     &stale) == ERR_OK &&
				stale == 1 && STREQ(d.nonce, "n2"));
	CHECK("stale=TRUE quoted",
	      digest_challenge(&d, "Digest realm=\"r\", stale=\"TRUE\", nonce=\"n\"", &stale) ==
		      ERR_OK &&
		  stale == 1);
	CHECK("stale=false", digest_challenge(&d, "Digest realm=\"r\", nonce=\"n\", stale=false",
					      &stale) == ERR_OK &&
				 stale == 0);
	CHECK("no stale",
	      digest_challenge(&d, "Digest realm=\"r\", nonce=\"n\"", &stale) == ERR_OK &&
		  stale == 0);

	CHECK("qop auth,auth-int",
	      digest_challenge(&d, "Digest realm=\"r\", nonce=\"n\", qop=\"auth,auth-int\"",
			       &stale) == ERR_OK &&
		  d.qop_auth == 1);
	CHECK("qop auth-int,auth",
	      digest_challenge(&d, "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int,auth\"",
			       &stale) == ERR_OK &&
		  d.qop_auth == 1);
	CHECK("qop token auth",
	      digest_challenge(&d, "Digest realm=\"r\", nonce=\"n\", qop=auth", &stale) == ERR_OK &&
		  d.qop_auth == 1);
	CHECK("qop auth-int only",
	      digest_challenge(&d, "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"", &stale) ==
		      ERR_OK &&
		  d.qop_auth == 0);
	buf_reset(&out);
	digest_authorization_cnonce(&d, "Mufasa", "Circle of Life", "GET", "/dir/index.html", "c",
				    &out);
	buf_terminate(&out);
	CHECK("without qop auth: RFC 2069 form, no nc or cnonce",
	      !strstr((const char *)buf_ptr(&out), "qop=") &&
		  !strstr((const char *)buf_ptr(&out), "nc=") &&
		  !strstr((const char *)buf_ptr(&out), "cnonce=") &&
		  !strstr((const char *)buf_ptr(&out), "opaque="));
	/* RFC 2617's own example has qop; its RFC 2069 sibling is
	 * H(HA1:nonce:HA2), checked with the test's arithmetic. */
	{
		char ha1[65], ha2[65], want[65], got[128];
		const char *p1[] = {"Mufasa", "r", "Circle of Life"},
			   *p2[] = {"GET", "/dir/index.html"};
		hex_hash(EVP_md5(), ha1, p1, 3);
		hex_hash(EVP_md5(), ha2, p2, 2);
		const char *p3[] = {ha1, "n", ha2};
		hex_hash(EVP_md5(), want, p3, 3);
		CHECK("RFC 2069 response",
		      auth_param((const char *)buf_ptr(&out), "response", got, sizeof(got)) &&
			  strcmp(got, want) == 0);
	}

	/* Refusals leave the state as it was. */
	digest_challenge(&d, rfc_sha256, &stale);
	d.nc = 7;
	static const char *const refused[] = {
	    "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256",
	    "Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess",
	    "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256-sess",
	    "Digest realm=\"r\", nonce=\"n\", algorithm=\"\"",
	    "Digest realm=\"r\", opaque=\"o\"",
	    "Digest realm=\"r\"",
	    "Digest nonce=\"n\"",
	    "Digest ",
	    "Digest",
	    "Digestrealm=\"r\", nonce=\"n\"",
	    "Basic realm=\"WSMAN\"",
	    "Negotiate",
	    "",
	    "Digest realm=\"r\", nonce=\"unterminated",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char name[80];
		stale = -1;
		snprintf(name, sizeof(name), "refused challenge %zu", i);
		CHECK(name, digest_challenge(&d, refused[i], &stale) == ERR_FORMAT);
	}
	CHECK("refusals keep the previous challenge",
	      STREQ(d.nonce, RFC_NONCE) && d.sha256 && d.nc == 7);

	CHECK("names and values without case",
	      digest_challenge(&d, "digest REALM=\"r\", Nonce=\"n\", ALGORITHM=sha-256", &stale) ==
		      ERR_OK &&
		  d.sha256 && STREQ(d.nonce, "n"));
	CHECK("unknown parameters ignored",
	      digest_challenge(&d,
			       "Digest realm=\"r\", domain=\"/wsman /x\", charset=UTF-8, "
			       "userhash=false, nonce=\"n\"",
			       &stale) == ERR_OK &&
		  STREQ(d.nonce, "n"));
	CHECK("token values",
	      digest_challenge(&d, "Digest realm=r,nonce=abc,opaque=o", &stale) == ERR_OK &&
		  STREQ(d.realm, "r") && STREQ(d.nonce, "abc") && STREQ(d.opaque, "o"));
	CHECK("a later parameter wins",
	      digest_challenge(&d, "Digest realm=\"r\", nonce=\"a\", nonce=\"b\"", &stale) ==
		      ERR_OK &&
		  STREQ(d.nonce, "b"));
	CHECK("another scheme after the parameters ends them",
	      digest_challenge(&d, "Digest realm=\"r\", nonce=\"n\", Basic realm=\"WSMAN\"",
			       &stale) == ERR_OK &&
		  STREQ(d.realm, "r") && !d.opaque);
	CHECK("empty values",
	      digest_challenge(&d, "Digest realm=\"\", nonce=\"\"", &stale) == ERR_OK &&
		  STREQ(d.realm, "") && STREQ(d.nonce, ""));
	/* RFC 7235 2.1: auth-param = token BWS "=" BWS ( token / quoted-string ). */
	CHECK("blanks around '='",
	      digest_challenge(&d, "Digest realm = \"r\", nonce =\"n\", algorithm= SHA-256",
			       &stale) == ERR_OK &&
		  STREQ(d.realm, "r") && STREQ(d.nonce, "n") && d.sha256);

	/* Values up to 1023 bytes; longer ones refuse the challenge rather
	 * than being cut (a cut token's tail must not become a parameter). */
	struct buf big;
	buf_init(&big, 1 << 16);
	CHECK("a 1023-byte nonce",
	      digest_challenge(&d, repeated(&big, "Digest realm=\"r\", nonce=\"", 'n', 1023, "\""),
			       &stale) == ERR_OK &&
		  strlen(d.nonce) == 1023);
	CHECK("a 1024-byte quoted nonce is refused",
	      digest_challenge(&d, repeated(&big, "Digest realm=\"r\", nonce=\"", 'n', 1024, "\""),
			       &stale) != ERR_OK);
	CHECK("an over-long opaque is refused, not dropped",
	      digest_challenge(&d,
			       repeated(&big, "Digest realm=\"r\", nonce=\"n\", opaque=\"", 'o',
					2000, "\", algorithm=SHA-256"),
			       &stale) != ERR_OK);
	repeated(&big, "Digest realm=\"r\", nonce=", 'n', 1023, "opaque=evil");
	digest_clear(&d);
	CHECK("an over-long token is refused, its tail not read as a parameter",
	      digest_challenge(&d, (const char *)buf_ptr(&big), &stale) != ERR_OK && !d.opaque);
	CHECK("an unterminated quoted value after the nonce is refused",
	      digest_challenge(&d, "Digest realm=\"r\", nonce=\"n\", opaque=\"abc", &stale) !=
		  ERR_OK);
	buf_clear(&big);
	buf_clear(&out);
	digest_clear(&d);
}

/* ---- WS-Man requests, read back by the service ---- */

static const struct wsman_client_header client_hdr = {
    .to = ENDPOINT "?x=1&y=<2>",
    .operation_timeout_ms = 60000,
    .max_envelope_size = 153600,
};

/* Parses a built request with the service's envelope parser and checks
 * the header every request carries. */
static int read_back(const struct buf *b, struct wsman_request *req, const char *action,
		     const char *shell_id)
{
	enum err e = wsman_parse(buf_ptr(b), buf_len(b), req);

	if (e != ERR_OK) {
		printf("# wsman_parse: %s\n", err_str(e));
		return 0;
	}
	return STREQ(req->hdr.action, action) && STREQ(req->hdr.resource_uri, URI_SHELL_CMD) &&
	       STREQ(req->hdr.to, client_hdr.to) && req->hdr.operation_timeout_ms == 60000 &&
	       req->hdr.max_envelope_size == 153600 && STREQ(req->hdr.locale, "en-US") &&
	       req->hdr.message_id && strncmp(req->hdr.message_id, "uuid:", 5) == 0 &&
	       strlen(req->hdr.message_id) == 41 &&
	       (shell_id ? STREQ(wsman_selector(req, "ShellId"), shell_id)
			 : req->hdr.nselectors == 0);
}

static void test_wsman_create(void)
{
	char *names[] = {"PATH", "A&B<C>", "QUOTE", "LINES", "UNICODE", "EMPTY"};
	char *values[] = {"/usr/bin:/bin",
			  "x\"y'z",
			  "\"quoted\"",
			  "l1\r\nl2\tt",
			  "h\xc3\xa9llo \xe2\x82\xac",
			  ""};
	struct shell_create_req cr = {.working_dir = "/home/alice/dir with spaces & <stuff>",
				      .idle_timeout_ms = 90500,
				      .noprofile = 1,
				      .codepage = 437,
				      .nenv = 6,
				      .env_names = names,
				      .env_values = values};
	struct shell_create_req got;
	struct wsman_request req;
	struct buf b;
	enum err e;

	buf_init(&b, 1 << 20);
	CHECK("Create builds", shell_soap_create_build(&b, &client_hdr, &cr) == ERR_OK);
	CHECK("Create reads back", read_back(&b, &req, ACTION_CREATE, NULL));
	e = shell_soap_create_parse(&req, &no_ctx, &got);
	CHECK("Create body decodes", e == ERR_OK);
	CHECK("working directory round-trips",
	      e == ERR_OK && STREQ(got.working_dir, cr.working_dir));
	CHECK("idle timeout round-trips", e == ERR_OK && got.idle_timeout_ms == 90500);
	CHECK("noprofile and codepage round-trip",
	      e == ERR_OK && got.noprofile == 1 && got.codepage == 437);
	int env_ok = e == ERR_OK && got.nenv == 6;
	for (uint32_t i = 0; env_ok && i < 6; i++)
		env_ok = STREQ(got.env_names[i], names[i]) && STREQ(got.env_values[i], values[i]);
	CHECK("environment round-trips in order", env_ok);
	if (e == ERR_OK)
		shell_create_req_clear(&got);
	wsman_request_clear(&req);

	/* The defaults: no directory, no environment, no idle timeout. */
	struct shell_create_req none = {0};
	buf_reset(&b);
	CHECK("bare Create builds", shell_soap_create_build(&b, &client_hdr, &none) == ERR_OK);
	CHECK("bare Create reads back", read_back(&b, &req, ACTION_CREATE, NULL));
	e = shell_soap_create_parse(&req, &no_ctx, &got);
	CHECK("bare Create decodes", e == ERR_OK && !got.working_dir && got.nenv == 0 &&
					 got.idle_timeout_ms == 0 && got.noprofile == 0 &&
					 got.codepage == 65001);
	CHECK("bare Create options", STREQ(wsman_option(&req, "WINRS_NOPROFILE"), "FALSE") &&
					 STREQ(wsman_option(&req, "WINRS_CODEPAGE"), "65001"));
	if (e == ERR_OK)
		shell_create_req_clear(&got);
	wsman_request_clear(&req);

	/* Windows' default IdleTimeout, in Windows' own spelling. */
	struct shell_create_req idle = {.idle_timeout_ms = 7200000};
	buf_reset(&b);
	shell_soap_create_build(&b, &client_hdr, &idle);
	buf_terminate(&b);
	CHECK("IdleTimeOut spelled as Windows",
	      strstr((const char *)buf_ptr(&b), "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>") !=
		  NULL);
	CHECK("OperationTimeout spelled as Windows",
	      strstr((const char *)buf_ptr(&b),
		     "<w:OperationTimeout>PT60.000S</w:OperationTimeout>") != NULL);
	CHECK("IdleTimeOut reads back",
	      read_back(&b, &req, ACTION_CREATE, NULL) &&
		  shell_soap_create_parse(&req, &no_ctx, &got) == ERR_OK &&
		  got.idle_timeout_ms == 7200000);
	shell_create_req_clear(&got);
	wsman_request_clear(&req);

	/* C0 controls have no XML form: the escaper sends '?'. */
	char *cn[] = {"CTRL"}, *cv[] = {"a\001b\037"};
	struct shell_create_req ctrl = {.nenv = 1, .env_names = cn, .env_values = cv};
	buf_reset(&b);
	shell_soap_create_build(&b, &client_hdr, &ctrl);
	CHECK("control characters arrive as '?'",
	      read_back(&b, &req, ACTION_CREATE, NULL) &&
		  shell_soap_create_parse(&req, &no_ctx, &got) == ERR_OK && got.nenv == 1 &&
		  STREQ(got.env_values[0], "a?b?"));
	shell_create_req_clear(&got);
	wsman_request_clear(&req);

	buf_clear(&b);
	buf_init(&b, 100);
	CHECK("Create over the buffer: ERR_LIMIT",
	      shell_soap_create_build(&b, &client_hdr, &cr) == ERR_LIMIT);
	buf_clear(&b);
}

static void test_wsman_command(void)
{
	char *argv[] = {"ls",	     "-l",	  "",	      "  spaced  ",	  "a&b<c>",
			"quote\"s'", "tab\there", "cr\r\nlf", "\xc3\xa9t\xc3\xa9"};
	struct shell_command_req cm = {
	    .shell_id = SHELL_ID, .skip_cmd_shell = 1, .argc = 9, .argv = argv};
	struct shell_command_req got;
	struct wsman_request req;
	struct buf b;
	enum err e;

	buf_init(&b, 1 << 20);
	CHECK("Command builds", shell_soap_command_build(&b, &client_hdr, &cm) == ERR_OK);
	CHECK("Command reads back", read_back(&b, &req, ACTION_COMMAND, SHELL_ID));
	CHECK("Command options", STREQ(wsman_option(&req, "WINRS_CONSOLEMODE_STDIN"), "TRUE") &&
				     STREQ(wsman_option(&req, "WINRS_SKIP_CMD_SHELL"), "TRUE"));
	e = shell_soap_command_parse(&req, &no_ctx, &got);
	CHECK("Command body decodes", e == ERR_OK && STREQ(got.shell_id, SHELL_ID) &&
					  got.command_id[0] == 0 && got.skip_cmd_shell == 1);
	int args_ok = e == ERR_OK && got.argc == 9;
	for (uint32_t i = 0; args_ok && i < 9; i++)
		args_ok = STREQ(got.argv[i], argv[i]);
	CHECK("arguments round-trip exactly", args_ok);
	if (e == ERR_OK)
		shell_command_req_clear(&got);
	wsman_request_clear(&req);

	char *one[] = {"whoami"};
	struct shell_command_req cm1 = {.shell_id = SHELL_ID, .argc = 1, .argv = one};
	buf_reset(&b);
	CHECK("Command without arguments",
	      shell_soap_command_build(&b, &client_hdr, &cm1) == ERR_OK &&
		  read_back(&b, &req, ACTION_COMMAND, SHELL_ID) &&
		  shell_soap_command_parse(&req, &no_ctx, &got) == ERR_OK && got.argc == 1 &&
		  STREQ(got.argv[0], "whoami") && got.skip_cmd_shell == 0 &&
		  STREQ(wsman_option(&req, "WINRS_SKIP_CMD_SHELL"), "FALSE"));
	shell_command_req_clear(&got);
	wsman_request_clear(&req);

	struct shell_command_req none = {.shell_id = SHELL_ID, .argc = 0, .argv = one};
	buf_reset(&b);
	CHECK("Command without a command: ERR_USAGE",
	      shell_soap_command_build(&b, &client_hdr, &none) == ERR_USAGE && buf_len(&b) == 0);
	buf_clear(&b);
}

static void test_wsman_send(void)
{
	uint8_t bin[256 * 3 + 1];
	struct shell_send_req sd = {
	    .shell_id = SHELL_ID, .command_id = CMD_ID, .data = bin, .len = sizeof(bin)};
	struct shell_send_req got;
	struct wsman_request req;
	struct buf b;
	enum err e;

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7);
	buf_init(&b, 1 << 20);
	CHECK("Send builds", shell_soap_send_build(&b, &client_hdr, &sd) == ERR_OK);
	CHECK("Send reads back", read_back(&b, &req, ACTION_SEND, SHELL_ID));
	e = shell_soap_send_parse(&req, &no_ctx, &got);
	CHECK("Send body decodes",
	      e == ERR_OK && STREQ(got.shell_id, SHELL_ID) && STREQ(got.command_id, CMD_ID));
	CHECK("binary stdin round-trips",
	      e == ERR_OK && got.len == sizeof(bin) && memcmp(got.data, bin, sizeof(bin)) == 0);
	CHECK("no End", e == ERR_OK && got.end == 0);
	if (e == ERR_OK)
		shell_send_req_clear(&got);
	wsman_request_clear(&req);

	/* The last piece: End="true", possibly with no bytes at all. */
	static const uint8_t nul[] = {0, '\n', 0xff};
	struct shell_send_req last = {
	    .shell_id = SHELL_ID, .command_id = CMD_ID, .end = 1, .data = (uint8_t *)nul, .len = 3};
	buf_reset(&b);
	CHECK("Send with End", shell_soap_send_build(&b, &client_hdr, &last) == ERR_OK &&
				   read_back(&b, &req, ACTION_SEND, SHELL_ID) &&
				   shell_soap_send_parse(&req, &no_ctx, &got) == ERR_OK &&
				   got.end == 1 && got.len == 3 && memcmp(got.data, nul, 3) == 0);
	shell_send_req_clear(&got);
	wsman_request_clear(&req);

	struct shell_send_req empty = {.shell_id = SHELL_ID, .command_id = CMD_ID, .end = 1};
	buf_reset(&b);
	CHECK("empty Send with End", shell_soap_send_build(&b, &client_hdr, &empty) == ERR_OK &&
					 read_back(&b, &req, ACTION_SEND, SHELL_ID) &&
					 shell_soap_send_parse(&req, &no_ctx, &got) == ERR_OK &&
					 got.end == 1 && got.len == 0);
	shell_send_req_clear(&got);
	wsman_request_clear(&req);
	buf_clear(&b);
}

/* PowerShell's requests as libpsrpclient sends them through the PS rows,
 * read back by the service's own PowerShell parsers. */
#define PS_URI SHELL_PS_URI_PREFIX "Microsoft.PowerShell"

static int read_back_ps(const struct buf *b, struct wsman_request *req, const char *action)
{
	enum err e = wsman_parse(buf_ptr(b), buf_len(b), req);

	if (e != ERR_OK)
		printf("# wsman_parse: %s\n", err_str(e));
	return e == ERR_OK && STREQ(req->hdr.action, action) &&
	       STREQ(req->hdr.resource_uri, PS_URI);
}

static int option_must_comply(const struct wsman_request *req, const char *name)
{
	for (uint32_t i = 0; i < req->hdr.noptions; i++)
		if (STREQ(req->hdr.options[i].name, name))
			return req->hdr.options[i].must_comply;
	return 0;
}

static void test_wsman_powershell(void)
{
	static const char *const endpoints[] = {"Microsoft.PowerShell", NULL};
	const struct shell_service_ctx ctx = {.ps_endpoints = endpoints};
	struct wsman_client_header h = client_hdr;
	struct shell_create_req cr = {.shell_id = SHELL_ID,
				      .protocol_version = "2.4",
				      .creation_xml = "AAAAAAAAAAEAAAAAAAAAAAMAAADHAgAAAAIAAQB2",
				      .noprofile = 1};
	char *argv[] = {" ", "AAAAAAAAAAMAAAAAAAAAAAMAAAo6AgAAAAYQAgAy"};
	struct shell_command_req cm = {
	    .shell_id = SHELL_ID, .command_id = CMD_ID, .argc = 2, .argv = argv};
	struct shell_send_req sd = {.shell_id = SHELL_ID,
				    .stream = SHELL_PROMPT_RESPONSE,
				    .data = (uint8_t *)"pr",
				    .len = 2};
	struct shell_receive_req rc = {.shell_id = SHELL_ID};
	struct shell_signal_req sg = {
	    .shell_id = SHELL_ID, .command_id = CMD_ID, .signal = SHELL_SIGNAL_PS_STOP};
	struct shell_create_req gcr;
	struct shell_command_req gcm;
	struct shell_send_req gsd;
	struct shell_receive_req grc;
	struct shell_signal_req gsg;
	struct wsman_request req;
	struct buf b;

	h.resource_uri = PS_URI;
	buf_init(&b, 1 << 20);
	CHECK("PowerShell Create reads back",
	      shell_op_at(SHELL_PS_CREATE)->client_build(&b, &h, &cr) == ERR_OK &&
		  read_back_ps(&b, &req, ACTION_CREATE) &&
		  shell_soap_ps_create_parse(&req, &ctx, &gcr) == ERR_OK &&
		  STREQ(gcr.shell_id, SHELL_ID) && STREQ(gcr.protocol_version, "2.4") &&
		  STREQ(gcr.creation_xml, cr.creation_xml) &&
		  STREQ(wsman_option(&req, "WINRS_NOPROFILE"), "1") &&
		  option_must_comply(&req, "protocolversion"));
	CHECK("PowerShell Create asks for no compression unless told",
	      gcr.compression == SHELL_COMPRESSION_NONE && !req.hdr.compression_type);
	shell_create_req_clear(&gcr);
	wsman_request_clear(&req);
	buf_reset(&b);
	cr.compression = SHELL_COMPRESSION_XPRESS;
	CHECK(
	    "PowerShell Create asking for xpress reads back (rsp:CompressionType, mustUnderstand)",
	    shell_op_at(SHELL_PS_CREATE)->client_build(&b, &h, &cr) == ERR_OK &&
		read_back_ps(&b, &req, ACTION_CREATE) &&
		shell_soap_ps_create_parse(&req, &ctx, &gcr) == ERR_OK &&
		gcr.compression == SHELL_COMPRESSION_XPRESS &&
		STREQ(req.hdr.compression_type, "xpress") && req.hdr.compression_type_required);
	cr.compression = SHELL_COMPRESSION_NONE;
	shell_create_req_clear(&gcr);
	wsman_request_clear(&req);
	buf_reset(&b);
	CHECK("PowerShell Create without protocolversion: ERR_USAGE",
	      shell_op_at(SHELL_PS_CREATE)
		      ->client_build(&b, &h, &(struct shell_create_req){.shell_id = SHELL_ID}) ==
		  ERR_USAGE);

	buf_reset(&b);
	CHECK("PowerShell Command with its CommandId reads back",
	      shell_op_at(SHELL_PS_COMMAND)->client_build(&b, &h, &cm) == ERR_OK &&
		  read_back_ps(&b, &req, ACTION_COMMAND) &&
		  shell_soap_ps_command_parse(&req, &ctx, &gcm) == ERR_OK &&
		  STREQ(gcm.command_id, CMD_ID) && gcm.argc == 2 && STREQ(gcm.argv[1], argv[1]));
	shell_command_req_clear(&gcm);
	wsman_request_clear(&req);

	buf_reset(&b);
	CHECK("PowerShell Send on pr to the pool reads back",
	      shell_op_at(SHELL_PS_SEND)->client_build(&b, &h, &sd) == ERR_OK &&
		  read_back_ps(&b, &req, ACTION_SEND) &&
		  shell_soap_ps_send_parse(&req, &ctx, &gsd) == ERR_OK &&
		  gsd.stream == SHELL_PROMPT_RESPONSE && !gsd.command_id[0] && gsd.len == 2 &&
		  memcmp(gsd.data, "pr", 2) == 0);
	shell_send_req_clear(&gsd);
	wsman_request_clear(&req);

	buf_reset(&b);
	CHECK("PowerShell Receive of the pool's stdout reads back",
	      shell_op_at(SHELL_PS_RECEIVE)->client_build(&b, &h, &rc) == ERR_OK &&
		  buf_terminate(&b) == ERR_OK &&
		  strstr((const char *)buf_ptr(&b), ">stdout</rsp:DesiredStream>") &&
		  read_back_ps(&b, &req, ACTION_RECEIVE) &&
		  shell_soap_ps_receive_parse(&req, &ctx, &grc) == ERR_OK && !grc.command_id[0]);
	wsman_request_clear(&req);

	buf_reset(&b);
	CHECK("PowerShell's stop signal reads back",
	      shell_op_at(SHELL_PS_SIGNAL)->client_build(&b, &h, &sg) == ERR_OK &&
		  buf_terminate(&b) == ERR_OK &&
		  strstr((const char *)buf_ptr(&b),
			 "<rsp:Code>powershell/signal/crtl_c</rsp:Code>") &&
		  read_back_ps(&b, &req, ACTION_SIGNAL) &&
		  shell_soap_ps_signal_parse(&req, &ctx, &gsg) == ERR_OK &&
		  gsg.signal == SHELL_SIGNAL_PS_STOP && STREQ(gsg.command_id, CMD_ID));
	wsman_request_clear(&req);
	buf_clear(&b);
}

/* Create's reply as Windows writes it, rsp declared on the envelope: the
 * rsp:Shell handed to PowerShell declares it itself. */
static void test_ps_create_read(void)
{
	static const char reply[] =
	    "<s:Envelope xmlns:s=\"" NS_SOAP "\" xmlns:a=\"" NS_WSA "\" xmlns:x=\"" NS_TRANSFER
	    "\" xmlns:w=\"" NS_WSMAN "\" xmlns:rsp=\"" NS_SHELL "\"><s:Header>"
	    "<a:Action>" NS_TRANSFER "/CreateResponse</a:Action><a:MessageID>uuid:1</a:MessageID>"
	    "</s:Header><s:Body><x:ResourceCreated><a:Address>https://h/wsman</a:Address>"
	    "</x:ResourceCreated><rsp:Shell><rsp:ShellId>" SHELL_ID "</rsp:ShellId>"
	    "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:BufferMode>Block</rsp:BufferMode>"
	    "</rsp:Shell></s:Body></s:Envelope>";
	struct shell_ps_created got;
	struct wsman_request resp;

	CHECK("PowerShell Create reply: ShellId and rsp:Shell",
	      wsman_parse((const uint8_t *)reply, sizeof(reply) - 1, &resp) == ERR_OK &&
		  shell_soap_ps_create_read(&resp, &got) == ERR_OK &&
		  STREQ(got.reply.shell_id, SHELL_ID) && got.shell_xml &&
		  strstr(got.shell_xml, "<rsp:Shell xmlns:rsp=\"" NS_SHELL "\">") &&
		  strstr(got.shell_xml, "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>"));
	if (got.shell_xml)
		printf("# %s\n", got.shell_xml);
	free(got.shell_xml);
	wsman_request_clear(&resp);
}

static void test_wsman_receive_signal_delete(void)
{
	struct wsman_request req;
	struct shell_receive_req rc;
	struct shell_signal_req sg;
	struct shell_delete_req dl;
	struct buf b;

	buf_init(&b, 1 << 20);
	CHECK("Receive builds", shell_soap_receive_build(&b, &client_hdr, &receive_ids) == ERR_OK);
	CHECK("Receive reads back", read_back(&b, &req, ACTION_RECEIVE, SHELL_ID));
	CHECK("Receive keep-alive option",
	      STREQ(wsman_option(&req, "WSMAN_CMDSHELL_OPTION_KEEPALIVE"), "TRUE"));
	CHECK("Receive body decodes", shell_soap_receive_parse(&req, &no_ctx, &rc) == ERR_OK &&
					  STREQ(rc.shell_id, SHELL_ID) &&
					  STREQ(rc.command_id, CMD_ID) && rc.timeout_ms == 60000 &&
					  rc.max_bytes == shell_soap_receive_budget(153600));
	wsman_request_clear(&req);

	static const struct {
		uint32_t sig;
		const char *code;
	} sigs[] = {
	    {SHELL_SIGNAL_TERMINATE, "terminate"},
	    {SHELL_SIGNAL_CTRL_C, "ctrl_c"},
	    {SHELL_SIGNAL_CTRL_BREAK, "ctrl_break"},
	};
	for (size_t i = 0; i < 3; i++) {
		struct shell_signal_req s = {
		    .shell_id = SHELL_ID, .command_id = CMD_ID, .signal = sigs[i].sig};
		char name[64], code[128];
		buf_reset(&b);
		snprintf(name, sizeof(name), "Signal %s round-trips", sigs[i].code);
		snprintf(code, sizeof(code), "<rsp:Code>" NS_SHELL "/signal/%s</rsp:Code>",
			 sigs[i].code);
		int ok = shell_soap_signal_build(&b, &client_hdr, &s) == ERR_OK &&
			 buf_terminate(&b) == ERR_OK && strstr((const char *)buf_ptr(&b), code) &&
			 read_back(&b, &req, ACTION_SIGNAL, SHELL_ID) &&
			 shell_soap_signal_parse(&req, &no_ctx, &sg) == ERR_OK &&
			 sg.signal == sigs[i].sig && STREQ(sg.shell_id, SHELL_ID) &&
			 STREQ(sg.command_id, CMD_ID);
		CHECK(name, ok);
		wsman_request_clear(&req);
	}
	struct shell_signal_req bad = {.shell_id = SHELL_ID, .command_id = CMD_ID, .signal = 0};
	buf_reset(&b);
	CHECK("signal 0: ERR_USAGE", shell_soap_signal_build(&b, &client_hdr, &bad) == ERR_USAGE);
	bad.signal = SHELL_SIGNAL_PS_STOP + 1;
	CHECK("signal 5: ERR_USAGE",
	      shell_soap_signal_build(&b, &client_hdr, &bad) == ERR_USAGE && buf_len(&b) == 0);

	buf_reset(&b);
	CHECK("Delete builds", shell_soap_delete_build(&b, &client_hdr, &delete_id) == ERR_OK);
	CHECK("Delete reads back", read_back(&b, &req, ACTION_DELETE, SHELL_ID) &&
				       shell_soap_delete_parse(&req, &no_ctx, &dl) == ERR_OK &&
				       STREQ(dl.shell_id, SHELL_ID) && req.body == NULL);
	wsman_request_clear(&req);

	buf_reset(&b);
	CHECK("Identify builds", wsman_client_identify(&b) == ERR_OK);
	CHECK("Identify reads back",
	      wsman_parse(buf_ptr(&b), buf_len(&b), &req) == ERR_OK && req.is_identify);
	wsman_request_clear(&req);
	buf_clear(&b);
}

/* ---- replies: the service's own, then Windows' ---- */

/* What the output callback saw. */
struct seen {
	struct buf out, err;
	int calls;
	enum shell_stream order[16];
};

static void collect(void *arg, enum shell_stream stream, const uint8_t *data, size_t len)
{
	struct seen *s = arg;

	if (s->calls < 16)
		s->order[s->calls] = stream;
	s->calls++;
	buf_put(stream == SHELL_STDERR ? &s->err : &s->out, data, len);
}

/* The readers of libwinrm's shell replies, into the shapes the checks use. */
static enum err shell_created(const struct wsman_request *resp, char id[SHELL_ID_LEN + 1])
{
	struct shell_create_reply r;
	enum err e = shell_soap_create_read(resp, &r);

	if (e == ERR_OK)
		memcpy(id, r.shell_id, SHELL_ID_LEN + 1);
	return e;
}

static enum err command_started_id(const struct wsman_request *resp, char id[SHELL_ID_LEN + 1])
{
	struct shell_command_reply r;
	enum err e = shell_soap_command_read(resp, &r);

	if (e == ERR_OK)
		memcpy(id, r.command_id, SHELL_ID_LEN + 1);
	return e;
}

static enum err received(const struct wsman_request *resp, void *arg, int *done, uint32_t *code)
{
	struct shell_received got = {.output = collect, .arg = arg};
	enum err e = shell_soap_receive_read(resp, &got);

	*done = got.done;
	*code = got.exit_code;
	return e;
}

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->out, 1 << 20);
	buf_init(&s->err, 1 << 20);
}

static void seen_clear(struct seen *s)
{
	buf_clear(&s->out);
	buf_clear(&s->err);
}

/* A client request, for the service's writers to answer. */
static void client_request(struct wsman_request *req)
{
	struct buf b;

	buf_init(&b, 1 << 16);
	shell_soap_receive_build(&b, &client_hdr, &receive_ids);
	wsman_parse(buf_ptr(&b), buf_len(&b), req);
	buf_clear(&b);
}

static enum err reply_parse(struct buf *b, struct wsman_request *resp)
{
	return wsman_parse(buf_ptr(b), buf_len(b), resp);
}

static void test_service_replies(void)
{
	struct wsman_request req, resp;
	struct buf b;
	char id[SHELL_ID_LEN + 1];
	struct seen s;
	int done;
	uint32_t code;

	buf_init(&b, 1 << 20);
	client_request(&req);

	struct shell_reply_ctx ctx = {
	    .machine_url = ENDPOINT, .owner = "alice", .client_ip = "192.168.56.1"};
	struct shell_create_req creq = {0};
	struct shell_create_reply created = {.shell_id = SHELL_ID, .idle_timeout_ms = 7200000};
	shell_soap_create_reply(&b, &req, &ctx, &creq, &created);
	memset(id, 'x', sizeof(id));
	CHECK("CreateResponse parses", reply_parse(&b, &resp) == ERR_OK);
	CHECK("shell id from CreateResponse",
	      shell_created(&resp, id) == ERR_OK && strcmp(id, SHELL_ID) == 0);
	CHECK("a CreateResponse is not a CommandResponse",
	      command_started_id(&resp, id) == ERR_FORMAT);
	CHECK("a CreateResponse is not a ReceiveResponse",
	      received(&resp, NULL, &done, &code) == ERR_FORMAT);
	struct wsman_client_fault f;
	CHECK("a CreateResponse is not a fault", wsman_client_fault(&resp, &f) == ERR_FORMAT);
	wsman_request_clear(&resp);

	buf_reset(&b);
	shell_soap_command_reply(&b, &req, &no_reply_ctx, NULL, &command_started);
	CHECK("CommandResponse", reply_parse(&b, &resp) == ERR_OK &&
				     command_started_id(&resp, id) == ERR_OK &&
				     strcmp(id, CMD_ID) == 0);
	CHECK("a CommandResponse has no shell id", shell_created(&resp, id) == ERR_FORMAT);
	wsman_request_clear(&resp);

	/* Output in production order, End markers, Done with an exit code. */
	static const uint8_t o1[] = "hello\n", e1[] = "oops", o2[] = {0, 1, 0xfe, 0xff, '\r', '\n'};
	struct shell_receive_reply rr = {.nchunks = 4,
					 .chunks = {{SHELL_STDOUT, o1, 6},
						    {SHELL_STDERR, e1, 4},
						    {SHELL_STDOUT, o2, 6},
						    {SHELL_STDERR, e1, 0}},
					 .stdout_end = 1,
					 .stderr_end = 1,
					 .done = 1,
					 .exit_code = 3};
	buf_reset(&b);
	shell_soap_receive_reply(&b, &req, &no_reply_ctx, &receive_ids, &rr);
	seen_init(&s);
	code = 99;
	CHECK("ReceiveResponse",
	      reply_parse(&b, &resp) == ERR_OK && received(&resp, &s, &done, &code) == ERR_OK);
	CHECK("streams in order, empty ones skipped", s.calls == 3 && s.order[0] == SHELL_STDOUT &&
							  s.order[1] == SHELL_STDERR &&
							  s.order[2] == SHELL_STDOUT);
	uint8_t want[12];
	memcpy(want, o1, 6);
	memcpy(want + 6, o2, 6);
	CHECK("stdout bytes", bytes_are(&s.out, want, sizeof(want)));
	CHECK("stderr bytes", buf_is(&s.err, "oops"));
	CHECK("Done and exit code", done == 1 && code == 3);
	seen_clear(&s);
	wsman_request_clear(&resp);

	struct shell_receive_reply running = {.nchunks = 1, .chunks = {{SHELL_STDOUT, o1, 6}}};
	buf_reset(&b);
	shell_soap_receive_reply(&b, &req, &no_reply_ctx, &receive_ids, &running);
	seen_init(&s);
	done = -1;
	CHECK("Running", reply_parse(&b, &resp) == ERR_OK &&
			     received(&resp, &s, &done, &code) == ERR_OK && done == 0 &&
			     s.calls == 1 && buf_is(&s.out, "hello\n"));
	seen_clear(&s);
	wsman_request_clear(&resp);

	struct shell_receive_reply big = {.done = 1, .exit_code = UINT32_MAX};
	buf_reset(&b);
	shell_soap_receive_reply(&b, &req, &no_reply_ctx, &receive_ids, &big);
	seen_init(&s);
	CHECK("exit code 4294967295 unsigned", reply_parse(&b, &resp) == ERR_OK &&
						   received(&resp, &s, &done, &code) == ERR_OK &&
						   done == 1 && code == UINT32_MAX && s.calls == 0);
	seen_clear(&s);
	wsman_request_clear(&resp);

	/* Every fault of the table reads back with its subcode, code and text. */
	buf_reset(&b);
	wsman_fault(&b, ERR_WSMAN_TIMED_OUT, req.hdr.message_id, "192.168.56.11");
	CHECK("TimedOut fault parses",
	      reply_parse(&b, &resp) == ERR_OK && wsman_client_fault(&resp, &f) == ERR_OK);
	CHECK("TimedOut subcode", strcmp(f.subcode, "TimedOut") == 0);
	CHECK("TimedOut code", f.code == 2150858793u);
	CHECK("TimedOut message folded and trimmed",
	      strcmp(f.message,
		     "The WS-Management service cannot complete the operation within the time "
		     "specified in OperationTimeout.") == 0);
	CHECK("a fault is not a ReceiveResponse",
	      received(&resp, NULL, &done, &code) == ERR_FORMAT);
	wsman_request_clear(&resp);

	buf_reset(&b);
	wsman_fault(&b, ERR_WSMAN_UNKNOWN_SHELL, req.hdr.message_id, NULL);
	CHECK("unknown shell fault",
	      reply_parse(&b, &resp) == ERR_OK && wsman_client_fault(&resp, &f) == ERR_OK &&
		  strcmp(f.subcode, "InvalidSelectors") == 0 && f.code == 2150858843u &&
		  strncmp(f.message, "The request for the Windows Remote Shell failed", 47) == 0 &&
		  f.message[strlen(f.message) - 1] == '.');
	wsman_request_clear(&resp);

	buf_reset(&b);
	wsman_fault(&b, ERR_WSMAN_INVALID_PARAMETER, req.hdr.message_id, NULL);
	CHECK("provider fault text",
	      reply_parse(&b, &resp) == ERR_OK && wsman_client_fault(&resp, &f) == ERR_OK &&
		  strcmp(f.subcode, "InvalidParameter") == 0 && f.code == 87 &&
		  strcmp(f.message, "The parameter is incorrect.") == 0);
	wsman_request_clear(&resp);

	buf_reset(&b);
	wsman_fault(&b, ERR_WSMAN_MUST_UNDERSTAND, req.hdr.message_id, NULL);
	CHECK("MustUnderstand has no subcode",
	      reply_parse(&b, &resp) == ERR_OK && wsman_client_fault(&resp, &f) == ERR_OK &&
		  f.subcode[0] == 0 && f.code == 2150858768u && f.message[0]);
	wsman_request_clear(&resp);

	int all = 1;
	for (int e = ERR_WSMAN_INVALID_XML; e <= ERR_WSMAN_INTERNAL; e++) {
		buf_reset(&b);
		wsman_fault(&b, (enum err)e, req.hdr.message_id, "h");
		all = all && reply_parse(&b, &resp) == ERR_OK &&
		      wsman_client_fault(&resp, &f) == ERR_OK && f.code != 0 &&
		      (f.subcode[0] || e == ERR_WSMAN_MUST_UNDERSTAND) && !strchr(f.subcode, ':') &&
		      f.message[0] && f.message[0] != ' ' &&
		      f.message[strlen(f.message) - 1] != ' ' && !strstr(f.message, "  ");
		wsman_request_clear(&resp);
	}
	CHECK("every fault of the table reads back", all);

	wsman_request_clear(&req);
	buf_clear(&b);
}

/* Windows' replies (MS-WSMV 3.1.4.5.2, 3.1.4.11, 3.1.4.14; the faults of
 * docs/protocol-notes.md), with their
 * line breaks. */
#define WIN_OPEN                                                                                   \
	"<s:Envelope xml:lang=\"en-US\" xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "      \
	"xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "                            \
	"xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\" "                              \
	"xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "                              \
	"xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\" "                   \
	"xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\">\n"
#define WIN_HEADER(action)                                                                         \
	"<s:Header>\n<a:Action>" action "</a:Action>\n"                                            \
	"<a:MessageID>uuid:6DCE8848-4531-44EC-ACC4-4DBB68B1CC29</a:MessageID>\n"                   \
	"<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>\n"           \
	"<a:RelatesTo>uuid:ED6D6F9B-0B0B-43FF-9767-6824A80562E1</a:RelatesTo>\n</s:Header>\n"
#define WIN_FAULT_HEADER WIN_HEADER("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault")
#define WIN_CLOSE "</s:Body>\n</s:Envelope>"

/* The replies are laid out as Windows writes them. */
/* clang-format off */

/* WinRM 2.0: only x:ResourceCreated. */
static const char win2_created[] =
	WIN_OPEN WIN_HEADER("http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse")
	"<s:Body>\n<x:ResourceCreated>\n<a:Address>http://192.168.56.11:5985/wsman</a:Address>\n"
	"<a:ReferenceParameters>\n<w:ResourceURI>" URI_SHELL_CMD "</w:ResourceURI>\n"
	"<w:SelectorSet>\n<w:Selector Name=\"ShellId\">\n  " SHELL_ID "\n</w:Selector>\n"
	"</w:SelectorSet>\n</a:ReferenceParameters>\n</x:ResourceCreated>\n"
	WIN_CLOSE;

static const char win_receive[] =
	WIN_OPEN WIN_HEADER("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse")
	"<s:Body>\n<rsp:ReceiveResponse>\n"
	"<rsp:Stream Name=\"stdout\" CommandId=\"" CMD_ID "\">b3V0cHV0IDE=</rsp:Stream>\n"
	"<rsp:Stream Name=\"stdout\" CommandId=\"" CMD_ID "\">Cg==</rsp:Stream>\n"
	"<rsp:Stream Name=\"stderr\" CommandId=\"" CMD_ID "\">ZXJy\nb3I=</rsp:Stream>\n"
	"<rsp:Stream Name=\"stdout\" CommandId=\"" CMD_ID "\">b3V0cHV0IDIK</rsp:Stream>\n"
	"<rsp:Stream CommandId=\"" CMD_ID "\" End=\"true\" Name=\"stdout\"/>\n"
	"<rsp:Stream Name=\"stderr\" CommandId=\"" CMD_ID "\" End=\"true\"></rsp:Stream>\n"
	"<rsp:CommandState CommandId=\"" CMD_ID "\" "
	"State=\"" NS_SHELL "/CommandState/Done\">\n"
	"<rsp:ExitCode>-1</rsp:ExitCode>\n</rsp:CommandState>\n</rsp:ReceiveResponse>\n"
	WIN_CLOSE;

/* A ReceiveResponse whose ExitCode is the %s. */
#define RECEIVE_DONE_FMT                                                                           \
	WIN_OPEN WIN_HEADER("r")                                                                   \
	"<s:Body><rsp:ReceiveResponse><rsp:CommandState CommandId=\"" CMD_ID "\" "                 \
	"State=\"" NS_SHELL "/CommandState/Done\"><rsp:ExitCode>%s</rsp:ExitCode>"                 \
	"</rsp:CommandState></rsp:ReceiveResponse>" WIN_CLOSE

static const char win_file_not_found[] =
	WIN_OPEN WIN_FAULT_HEADER
	"<s:Body>\n<s:Fault>\n"
	"<s:Code><s:Value>s:Receiver</s:Value>"
	"<s:Subcode><s:Value>w:InternalError</s:Value></s:Subcode></s:Code>\n"
	"<s:Reason><s:Text xml:lang=\"en-US\">The system cannot find the file specified. "
	"</s:Text></s:Reason>\n"
	"<s:Detail>\n"
	"<f:WSManFault xmlns:f=\"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault\" "
	"Code=\"2147942402\" Machine=\"server2008r2.domain.local\">\n"
	"<f:Message>\n"
	"<f:ProviderFault provider=\"Shell cmd plugin\" "
	"path=\"%systemroot%\\system32\\winrscmd.dll\">"
	"The system cannot find the file specified. </f:ProviderFault>\n"
	"</f:Message>\n</f:WSManFault>\n</s:Detail>\n</s:Fault>\n"
	WIN_CLOSE;

static const char win_bad_timeout[] =
	WIN_OPEN WIN_HEADER("http://schemas.xmlsoap.org/ws/2004/08/addressing/fault")
	"<s:Body>\n<s:Fault>\n"
	"<s:Code><s:Value>s:Sender</s:Value>"
	"<s:Subcode><s:Value>a:InvalidMessageInformationHeader</s:Value></s:Subcode></s:Code>\n"
	"<s:Reason><s:Text xml:lang=\"en-US\">The WS-Management service cannot process the "
	"request. The request contains one or more invalid SOAP headers. </s:Text></s:Reason>\n"
	"<s:Detail>\n"
	"<f:WSManFault xmlns:f=\"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault\" "
	"Code=\"2150858767\" Machine=\"127.0.0.1\">\n"
	"<f:Message>The WS-Management service cannot process the request. The XML contains an "
	"invalid timeout field in the SOAP header: PT-1S. </f:Message>\n"
	"</f:WSManFault>\n</s:Detail>\n</s:Fault>\n"
	WIN_CLOSE;

/* A fault with neither f:WSManFault nor p:MSFT_WmiError. */
static const char reason_only[] =
	WIN_OPEN WIN_FAULT_HEADER
	"<s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value>"
	"<s:Subcode><s:Value>w:InvalidParameter</s:Value></s:Subcode></s:Code>"
	"<s:Reason><s:Text xml:lang=\"en-US\">  The parameter\r\n\tis   incorrect. </s:Text>"
	"</s:Reason><s:Detail/></s:Fault>"
	WIN_CLOSE;

/* WinRb's recording of Windows' WMI error (spec/stubs/responses/
 * wmi_error_v2.xml, some properties left out): p:MSFT_WmiError, no
 * f:WSManFault. */
static const char wmi_error[] =
	WIN_OPEN WIN_FAULT_HEADER
	"<s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value>"
	"<s:Subcode><s:Value>w:QuotaLimit</s:Value></s:Subcode></s:Code>"
	"<s:Reason><s:Text xml:lang=\"en-US\">The WS-Management service cannot process the "
	"request. The maximum number of concurrent shells for this user has been exceeded. Close "
	"existing shells or raise the quota for this user. </s:Text></s:Reason><s:Detail>"
	"<p:MSFT_WmiError b:IsCIM_Error='true' "
	"xmlns:b='http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd' "
	"xmlns:cim='http://schemas.dmtf.org/wbem/wscim/1/common' "
	"xmlns:p='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError' "
	"xsi:type='p:MSFT_WmiError_Type' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>\n"
	"<p:CIMStatusCode xsi:type='cim:cimUnsignedInt'>27</p:CIMStatusCode>\n"
	"<p:Message xsi:type='cim:cimString'>The WS-Management service cannot process the request. "
	"This user is allowed a maximum number of 30 concurrent shells, which has been exceeded. "
	"Close existing shells or raise the quota for this user. </p:Message>\n"
	"<p:MessageID xsi:type='cim:cimString'>HRESULT 0x803381a5</p:MessageID>\n"
	"<p:error_Category xsi:type='cim:cimUnsignedInt'>30</p:error_Category>\n"
	"<p:error_Code xsi:type='cim:cimUnsignedInt'>2150859173</p:error_Code>\n"
	"<p:error_Type xsi:type='cim:cimString'>HRESULT</p:error_Type>\n"
	"</p:MSFT_WmiError></s:Detail></s:Fault>"
	WIN_CLOSE;

/* A reply with the given body. */
#define WIN_REPLY(body) WIN_OPEN WIN_HEADER("r") "<s:Body>" body WIN_CLOSE

/* clang-format on */

static enum err parse_str(const char *s, struct wsman_request *resp)
{
	return wsman_parse((const uint8_t *)s, strlen(s), resp);
}

static void test_windows_replies(void)
{
	struct wsman_request resp;
	struct wsman_client_fault f;
	char id[SHELL_ID_LEN + 1];
	struct seen s;
	int done;
	uint32_t code;

	CHECK("WinRM 2.0 CreateResponse: id from the selector",
	      parse_str(win2_created, &resp) == ERR_OK && shell_created(&resp, id) == ERR_OK &&
		  strcmp(id, SHELL_ID) == 0);
	wsman_request_clear(&resp);

	seen_init(&s);
	code = 0;
	CHECK("Windows ReceiveResponse", parse_str(win_receive, &resp) == ERR_OK &&
					     received(&resp, &s, &done, &code) == ERR_OK);
	CHECK("Windows streams joined",
	      buf_is(&s.out, "output 1\noutput 2\n") && buf_is(&s.err, "error") && s.calls == 4);
	CHECK("negative ExitCode -1 is 4294967295", done == 1 && code == 4294967295u);
	seen_clear(&s);
	wsman_request_clear(&resp);

	/* ExitCode spellings. */
	static const struct {
		const char *text;
		uint32_t code;
	} codes[] = {
	    {"0", 0},
	    {" 3221225786 ", 3221225786u},
	    {"-2147483648", 2147483648u},
	    {"-2147483649", 0},
	    {"4294967296", 0},
	    {"0x1", 0},
	    {"", 0},
	    {"--1", 0},
	    {"-0", 0},
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char doc[2048], name[64];
		snprintf(doc, sizeof(doc), RECEIVE_DONE_FMT, codes[i].text);
		code = 12345;
		snprintf(name, sizeof(name), "ExitCode \"%s\" is %u", codes[i].text, codes[i].code);
		CHECK(name, parse_str(doc, &resp) == ERR_OK &&
				received(&resp, NULL, &done, &code) == ERR_OK && done == 1 &&
				code == codes[i].code);
		wsman_request_clear(&resp);
	}

	static const char no_state[] = WIN_REPLY("<rsp:ReceiveResponse/>");
	code = 12345;
	CHECK("no CommandState: not done, exit code 0",
	      parse_str(no_state, &resp) == ERR_OK &&
		  received(&resp, NULL, &done, &code) == ERR_OK && done == 0 && code == 0);
	wsman_request_clear(&resp);

	static const char bad_b64[] =
	    WIN_REPLY("<rsp:ReceiveResponse><rsp:Stream "
		      "Name=\"stdout\">b3V0*</rsp:Stream></rsp:ReceiveResponse>");
	CHECK("bad base64: ERR_FORMAT", parse_str(bad_b64, &resp) == ERR_OK &&
					    received(&resp, NULL, &done, &code) == ERR_FORMAT);
	wsman_request_clear(&resp);

	CHECK("Windows provider fault", parse_str(win_file_not_found, &resp) == ERR_OK &&
					    wsman_client_fault(&resp, &f) == ERR_OK);
	CHECK("provider fault subcode and code",
	      strcmp(f.subcode, "InternalError") == 0 && f.code == 2147942402u);
	CHECK("provider fault message from f:ProviderFault",
	      strcmp(f.message, "The system cannot find the file specified.") == 0);
	wsman_request_clear(&resp);

	CHECK("Windows a: fault",
	      parse_str(win_bad_timeout, &resp) == ERR_OK &&
		  wsman_client_fault(&resp, &f) == ERR_OK &&
		  strcmp(f.subcode, "InvalidMessageInformationHeader") == 0 &&
		  f.code == 2150858767u &&
		  strcmp(f.message,
			 "The WS-Management service cannot process the request. The XML "
			 "contains an invalid timeout field in the SOAP header: PT-1S.") == 0);
	wsman_request_clear(&resp);

	CHECK("fault without a detail's code: s:Reason folded",
	      parse_str(reason_only, &resp) == ERR_OK && wsman_client_fault(&resp, &f) == ERR_OK &&
		  f.code == 0 && strcmp(f.subcode, "InvalidParameter") == 0 &&
		  strcmp(f.message, "The parameter is incorrect.") == 0);
	wsman_request_clear(&resp);
	CHECK("WMI's error: MSFT_WmiError's error_Code and Message",
	      parse_str(wmi_error, &resp) == ERR_OK && wsman_client_fault(&resp, &f) == ERR_OK &&
		  f.code == 2150859173u && strcmp(f.subcode, "QuotaLimit") == 0 &&
		  strcmp(f.message,
			 "The WS-Management service cannot process the request. This "
			 "user is allowed a maximum number of 30 concurrent shells, which "
			 "has been exceeded. Close existing shells or raise the quota for "
			 "this user.") == 0);
	wsman_request_clear(&resp);

	/* A long message is cut at 1023 bytes, still terminated. */
	struct buf big;
	buf_init(&big, 1 << 20);
	buf_putf(&big, WIN_OPEN WIN_FAULT_HEADER "<s:Body><s:Fault><s:Reason><s:Text>");
	for (int i = 0; i < 3000; i++)
		buf_putf(&big, "%c", 'a' + i % 26);
	buf_putf(&big, "</s:Text></s:Reason></s:Fault>" WIN_CLOSE);
	CHECK("long fault message cut at 1023",
	      wsman_parse(buf_ptr(&big), buf_len(&big), &resp) == ERR_OK &&
		  wsman_client_fault(&resp, &f) == ERR_OK && strlen(f.message) == 1023 &&
		  f.subcode[0] == 0 && f.code == 0);
	wsman_request_clear(&resp);
	buf_clear(&big);

	static const char long_id[] =
	    WIN_REPLY("<rsp:Shell><rsp:ShellId>" SHELL_ID "0</rsp:ShellId></rsp:Shell>");
	CHECK("a ShellId over 36 bytes: ERR_FORMAT",
	      parse_str(long_id, &resp) == ERR_OK && shell_created(&resp, id) == ERR_FORMAT);
	wsman_request_clear(&resp);
	static const char empty_id[] = WIN_REPLY(
	    "<rsp:CommandResponse><rsp:CommandId> </rsp:CommandId></rsp:CommandResponse>");
	CHECK("an empty CommandId: ERR_FORMAT",
	      parse_str(empty_id, &resp) == ERR_OK && command_started_id(&resp, id) == ERR_FORMAT);
	wsman_request_clear(&resp);
	static const char empty_body[] = WIN_REPLY("");
	CHECK("an empty body is nothing", parse_str(empty_body, &resp) == ERR_OK &&
					      wsman_client_fault(&resp, &f) == ERR_FORMAT &&
					      shell_created(&resp, id) == ERR_FORMAT &&
					      command_started_id(&resp, id) == ERR_FORMAT &&
					      received(&resp, NULL, &done, &code) == ERR_FORMAT);
	wsman_request_clear(&resp);
}

/* ---- Negotiate and Kerberos (client/gss.c) ---- */

/* A Windows challenge leg and final 200 (RFC 4559 4.1, 4.2). */
static const char negotiate_401[] =
    "HTTP/1.1 401 \r\n"
    "WWW-Authenticate: Negotiate oYIBCTCCAQWgAwoBAaEMBgorBgEEAYI3AgIK\r\n"
    "Server: Microsoft-HTTPAPI/2.0\r\n"
    "Content-Length: 0\r\n"
    "\r\n";
static const char kerberos_200[] =
    "HTTP/1.1 200 \r\n"
    "WWW-Authenticate: Kerberos  YIGZBgkqhkiG9xIBAgICAG+BiTCBhqADAgEF \r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static void test_gss_pure(void)
{
	struct http1_response_parser *p = http1_response_parser_new(1 << 16);
	struct http1_response *resp = NULL;
	size_t used;
	const char *c;

	CHECK("scheme token: the token after the scheme",
	      STREQ(client_scheme_token("Negotiate oYIBCTCC", "Negotiate"), "oYIBCTCC"));
	CHECK("scheme token: case-insensitive scheme",
	      STREQ(client_scheme_token("negotiate TlRMTVNTUAACAAAA", "Negotiate"),
		    "TlRMTVNTUAACAAAA"));
	CHECK("scheme token: bare offer is empty",
	      STREQ(client_scheme_token("Negotiate", "Negotiate"), ""));
	CHECK("scheme token: bare offer with blanks is empty",
	      STREQ(client_scheme_token("Kerberos \t", "Kerberos"), ""));
	CHECK("scheme token: another scheme is NULL",
	      client_scheme_token("Basic realm=\"WSMAN\"", "Negotiate") == NULL);
	CHECK("scheme token: a longer scheme name is not ours",
	      client_scheme_token("NegotiateX abc", "Negotiate") == NULL);
	CHECK("scheme token: NTLM is not Negotiate",
	      client_scheme_token("NTLM TlRMTVNT", "Negotiate") == NULL);
	CHECK("scheme token: a folded list offers without a token",
	      STREQ(client_scheme_token("Negotiate, Basic realm=\"WSMAN\"", "Negotiate"), ""));
	CHECK("scheme token: NULL challenge", client_scheme_token(NULL, "Negotiate") == NULL);

	CHECK("a 401 leg parses",
	      p && feed(p, S(negotiate_401), &used, &resp) == ERR_OK && resp->status == 401);
	c = resp ? http1_response_challenge(resp, NULL) : NULL;
	CHECK("its challenge carries the SPNEGO token",
	      STREQ(client_scheme_token(c, "Negotiate"), "oYIBCTCCAQWgAwoBAaEMBgorBgEEAYI3AgIK"));
	http1_response_parser_next(p);
	resp = NULL;
	CHECK("a Kerberos 200 parses",
	      p && feed(p, S(kerberos_200), &used, &resp) == ERR_OK && resp->status == 200);
	c = resp ? http1_response_challenge(resp, NULL) : NULL;
	CHECK("its AP-REP token, blanks around it dropped",
	      c &&
		  strncmp(client_scheme_token(c, "Kerberos"),
			  "YIGZBgkqhkiG9xIBAgICAG+BiTCBhqADAgEF", 36) == 0 &&
		  client_scheme_token(c, "Negotiate") == NULL);
	http1_response_parser_free(p);

	CHECK("default scheme: Kerberos in a realm without credentials",
	      client_default_auth(0, 1) == WINRM_AUTH_KERBEROS);
	CHECK("default scheme: Negotiate with credentials",
	      client_default_auth(1, 1) == WINRM_AUTH_NEGOTIATE);
	CHECK("default scheme: Negotiate without Kerberos",
	      client_default_auth(0, 0) == WINRM_AUTH_NEGOTIATE);
	CHECK("mech: Kerberos scheme is krb5 alone",
	      client_gss_mech(WINRM_AUTH_KERBEROS, 1, 0) == CLIENT_MECH_KERBEROS &&
		  client_gss_mech(WINRM_AUTH_KERBEROS, 0, 1) == CLIENT_MECH_KERBEROS);
	CHECK("mech: Negotiate from the credential cache is SPNEGO",
	      client_gss_mech(WINRM_AUTH_NEGOTIATE, 0, 1) == CLIENT_MECH_SPNEGO);
	CHECK("mech: Negotiate with a password in a realm is SPNEGO (Kerberos first)",
	      client_gss_mech(WINRM_AUTH_NEGOTIATE, 1, 1) == CLIENT_MECH_SPNEGO);
	CHECK("mech: Negotiate with a password and no Kerberos is NTLM in SPNEGO",
	      client_gss_mech(WINRM_AUTH_NEGOTIATE, 1, 0) == CLIENT_MECH_SPNEGO_NTLM);
}

int main(void)
{
	test_response_bodies();
	test_response_keep_alive();
	test_response_challenges();
	test_response_bytewise_and_reuse();
	test_response_refusals();
	test_request_write();
	test_digest_rfc7616();
	test_digest_challenges();
	test_wsman_create();
	test_wsman_command();
	test_wsman_send();
	test_wsman_receive_signal_delete();
	test_wsman_powershell();
	test_ps_create_read();
	test_service_replies();
	test_windows_replies();
	test_gss_pure();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
