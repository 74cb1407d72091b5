/* Unit tests for http/http1.c: the request parser over libhttp-parser and
 * the response writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http1.h"
#include "check.h"

#define MAX_BODY (500 * 1024)

/* pywinrm 0.3.0 open_shell() as captured on the wire (transport "basic",
 * user ".\vagrant", password "pa:ss word"); only the Host port differs. */
static const char pywinrm_body[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<env:Envelope xmlns:xsd=\"http://www.w3.org/20"
    "01/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:env=\"http://"
    "www.w3.org/2003/05/soap-envelope\" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/address"
    "ing\" xmlns:b=\"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd\" xmlns:n=\"http://sch"
    "emas.xmlsoap.org/ws/2004/09/enumeration\" xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/09/"
    "transfer\" xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" xmlns:p=\"http://sch"
    "emas.microsoft.com/wbem/wsman/1/wsman.xsd\" xmlns:rsp=\"http://schemas.microsoft.com/wbem/"
    "wsman/1/windows/shell\" xmlns:cfg=\"http://schemas.microsoft.com/wbem/wsman/1/config\"><en"
    "v:Header><a:To>http://windows-host:5985/wsman</a:To><a:ReplyTo><a:Address mustUnderstand=\""
    "true\">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:Repl"
    "yTo><w:MaxEnvelopeSize mustUnderstand=\"true\">153600</w:MaxEnvelopeSize><a:MessageID>uuid"
    ":2c7b93c6-b53d-463e-91fb-79148cd6e543</a:MessageID><w:Locale mustUnderstand=\"false\" xml:"
    "lang=\"en-US\"></w:Locale><p:DataLocale mustUnderstand=\"false\" xml:lang=\"en-US\"></p:Da"
    "taLocale><w:OperationTimeout>PT20S</w:OperationTimeout><w:ResourceURI mustUnderstand=\"tru"
    "e\">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI><a:Action m"
    "ustUnderstand=\"true\">http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action><w:"
    "OptionSet><w:Option Name=\"WINRS_NOPROFILE\">FALSE</w:Option><w:Option Name=\"WINRS_CODEPA"
    "GE\">437</w:Option></w:OptionSet></env:Header><env:Body><rsp:Shell><rsp:InputStreams>stdin"
    "</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell></env:B"
    "ody></env:Envelope>";

static const char pywinrm_head[] = "POST /wsman HTTP/1.1\r\n"
				   "Host: 127.0.0.1:5985\r\n"
				   "User-Agent: Python WinRM client\r\n"
				   "Accept-Encoding: gzip, deflate\r\n"
				   "Accept: */*\r\n"
				   "Connection: keep-alive\r\n"
				   "Content-Type: application/soap+xml;charset=UTF-8\r\n"
				   "Content-Length: %zu\r\n"
				   "Authorization: Basic Llx2YWdyYW50OnBhOnNzIHdvcmQ=\r\n"
				   "\r\n";

/* Windows "winrm id -a:none": Identify without credentials. */
static const char identify_body[] =
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
    "xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\">"
    "<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>";

static void build_pywinrm(struct buf *b)
{
	buf_init(b, 1 << 20);
	buf_putf(b, pywinrm_head, strlen(pywinrm_body));
	buf_put(b, pywinrm_body, strlen(pywinrm_body));
}

static void build_identify(struct buf *b)
{
	buf_init(b, 1 << 20);
	buf_putf(b,
		 "POST /wsman HTTP/1.1\r\n"
		 "Host: server:5985\r\n"
		 "User-Agent: Microsoft WinRM Client\r\n"
		 "Content-Type: application/soap+xml;charset=UTF-8\r\n"
		 "WSMANIDENTIFY: unauthenticated\r\n"
		 "Content-Length: %zu\r\n"
		 "\r\n%s",
		 strlen(identify_body), identify_body);
}

/* Feeds s whole; returns the parse result and leaves *req and *used. */
static enum err feed(struct http1_parser *p, const char *s, size_t n, size_t *used,
		     struct http1_request **req)
{
	return http1_parse(p, (const uint8_t *)s, n, used, req);
}

static enum err feed_str(struct http1_parser *p, const char *s, struct http1_request **req)
{
	size_t used;
	return feed(p, s, strlen(s), &used, req);
}

static int body_is(const struct http1_request *r, const char *s)
{
	return buf_len(&r->body) == strlen(s) && memcmp(buf_ptr(&r->body), s, strlen(s)) == 0;
}

static void check_pywinrm(const char *what, const struct http1_request *r)
{
	char name[128];
#define SUB(x) (snprintf(name, sizeof(name), "%s: %s", what, x), name)
	CHECK(SUB("method POST"), r && r->method_post == 1 && strcmp(r->method, "POST") == 0);
	if (!r)
		return;
	CHECK(SUB("path"), strcmp(r->path, "/wsman") == 0);
	CHECK(SUB("content type"),
	      strcmp(r->content_type, "application/soap+xml;charset=UTF-8") == 0);
	CHECK(SUB("authorization"),
	      strcmp(r->authorization, "Basic Llx2YWdyYW50OnBhOnNzIHdvcmQ=") == 0 &&
		  r->has_authorization == 1);
	CHECK(SUB("host"), strcmp(r->host, "127.0.0.1:5985") == 0);
	CHECK(SUB("keep-alive HTTP/1.1"), r->keep_alive == 1 && r->http_minor == 1);
	CHECK(SUB("not identify"), r->wsmanidentify_unauthenticated == 0);
	CHECK(SUB("body bytes"), body_is(r, pywinrm_body));
#undef SUB
}

static void test_pywinrm(void)
{
	struct http1_parser *p = http1_parser_new(MAX_BODY);
	struct http1_request *r = NULL;
	struct buf b;
	size_t used = 0;

	build_pywinrm(&b);
	CHECK("pywinrm: body is the captured 1683 bytes", strlen(pywinrm_body) == 1683);
	CHECK("not started before any byte", http1_parser_started(p) == 0);
	enum err e = http1_parse(p, buf_ptr(&b), buf_len(&b), &used, &r);
	CHECK("pywinrm: whole request parsed", e == ERR_OK && used == buf_len(&b));
	check_pywinrm("pywinrm", r);
	CHECK("started after a request", http1_parser_started(p) == 1);
	/* Called again before next: the same request, nothing consumed. */
	struct http1_request *r2 = NULL;
	e = http1_parse(p, buf_ptr(&b), buf_len(&b), &used, &r2);
	CHECK("parse before next returns the same request", e == ERR_OK && used == 0 && r2 == r);
	http1_parser_next(p);
	CHECK("not started after next", http1_parser_started(p) == 0);
	CHECK("next empties the request", r->path[0] == 0 && r->authorization[0] == 0 &&
					      buf_len(&r->body) == 0 && r->has_authorization == 0);
	/* The same connection carries the next request. */
	e = http1_parse(p, buf_ptr(&b), buf_len(&b), &used, &r);
	CHECK("second request on the connection", e == ERR_OK && used == buf_len(&b));
	check_pywinrm("second", r);
	buf_clear(&b);
	http1_parser_free(p);
}

static void test_pipelined(void)
{
	struct http1_parser *p = http1_parser_new(MAX_BODY);
	struct http1_request *r = NULL;
	struct buf a, b;
	size_t used = 0;

	build_pywinrm(&a);
	build_identify(&b);
	size_t first = buf_len(&a);
	buf_put(&a, buf_ptr(&b), buf_len(&b));
	enum err e = http1_parse(p, buf_ptr(&a), buf_len(&a), &used, &r);
	CHECK("pipelined: first request, exactly its bytes", e == ERR_OK && used == first);
	check_pywinrm("pipelined first", r);
	http1_parser_next(p);
	e = http1_parse(p, buf_ptr(&a) + first, buf_len(&a) - first, &used, &r);
	CHECK("pipelined: second request", e == ERR_OK && used == buf_len(&b));
	CHECK("pipelined: identify flag and no authorization",
	      r && r->wsmanidentify_unauthenticated == 1 && r->has_authorization == 0 &&
		  r->authorization[0] == 0);
	CHECK("pipelined: identify host and body",
	      r && strcmp(r->host, "server:5985") == 0 && body_is(r, identify_body));
	buf_clear(&a);
	buf_clear(&b);
	http1_parser_free(p);
}

static void test_byte_by_byte(void)
{
	struct http1_parser *p = http1_parser_new(MAX_BODY);
	struct http1_request *r = NULL;
	struct buf b;
	size_t used, i;
	int all_incomplete = 1;
	enum err e = ERR_INCOMPLETE;

	build_pywinrm(&b);
	for (i = 0; i < buf_len(&b); i++) {
		e = http1_parse(p, buf_ptr(&b) + i, 1, &used, &r);
		if (i + 1 < buf_len(&b) && (e != ERR_INCOMPLETE || used != 1 || r))
			all_incomplete = 0;
	}
	CHECK("byte by byte: incomplete until the last byte", all_incomplete);
	CHECK("byte by byte: last byte completes", e == ERR_OK && used == 1);
	check_pywinrm("byte by byte", r);
	buf_clear(&b);
	http1_parser_free(p);
}

static void test_chunked(void)
{
	struct http1_parser *p = http1_parser_new(MAX_BODY);
	struct http1_request *r = NULL;
	static const char chunked[] = "POST /wsman HTTP/1.1\r\n"
				      "Host: h\r\n"
				      "Content-Type: application/soap+xml;charset=UTF-8\r\n"
				      "Transfer-Encoding: chunked\r\n"
				      "\r\n"
				      "5\r\nhello\r\n"
				      "6;ext=1\r\n world\r\n"
				      "0\r\n"
				      "Authorization: Basic dHJhaWxlcjp4\r\n"
				      "\r\n";
	size_t used;

	enum err e = feed(p, chunked, strlen(chunked), &used, &r);
	CHECK("chunked: parsed whole", e == ERR_OK && used == strlen(chunked));
	CHECK("chunked: body decoded", r && body_is(r, "hello world"));
	CHECK("chunked: a trailer is not a header",
	      r && r->has_authorization == 0 && r->authorization[0] == 0);
	http1_parser_free(p);

	/* Over the limit: refused when the chunk announces it. */
	p = http1_parser_new(10);
	e = feed_str(
	    p, "POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nb\r\n", &r);
	CHECK("chunked: a chunk over the limit is 413", e == ERR_HTTP_TOO_LARGE);
	http1_parser_free(p);

	p = http1_parser_new(11);
	e = feed_str(p,
		     "POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
		     "6\r\n world\r\n0\r\n\r\n",
		     &r);
	CHECK("chunked: exactly the limit is fine", e == ERR_OK && r && body_is(r, "hello world"));
	http1_parser_free(p);

	p = http1_parser_new(MAX_BODY);
	e = feed_str(
	    p,
	    "POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
	    "5\r\nhello\r\n0\r\n\r\n",
	    &r);
	CHECK("chunked with Content-Length is 400", e == ERR_HTTP_BAD_REQUEST);
	http1_parser_free(p);

	p = http1_parser_new(MAX_BODY);
	e = feed_str(p, "POST /wsman HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", &r);
	CHECK("transfer-encoding other than chunked is 400", e == ERR_HTTP_BAD_REQUEST);
	http1_parser_free(p);
}

static void test_body_limit(void)
{
	struct http1_parser *p = http1_parser_new(100);
	struct http1_request *r = NULL;
	size_t used;

	/* Refused from the headers alone, before any body byte arrives. */
	enum err e = feed_str(p, "POST /wsman HTTP/1.1\r\nContent-Length: 101\r\n\r\n", &r);
	CHECK("Content-Length over the limit is 413", e == ERR_HTTP_TOO_LARGE && !r);
	e = feed_str(p, "more", &r);
	CHECK("errors are sticky", e == ERR_HTTP_TOO_LARGE);
	http1_parser_next(p);
	e = feed_str(p, "POST /wsman HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n", &r);
	CHECK("huge Content-Length is refused",
	      e == ERR_HTTP_TOO_LARGE || e == ERR_HTTP_BAD_REQUEST);
	http1_parser_free(p);

	p = http1_parser_new(100);
	char req[256];
	char body[101];
	memset(body, 'x', 100);
	body[100] = 0;
	snprintf(req, sizeof(req), "POST /wsman HTTP/1.1\r\nContent-Length: 100\r\n\r\n%s", body);
	e = feed(p, req, strlen(req), &used, &r);
	CHECK("Content-Length exactly the limit is fine",
	      e == ERR_OK && used == strlen(req) && r && body_is(r, body));
	http1_parser_free(p);

	p = http1_parser_new(100);
	e = feed_str(p, "POST /wsman HTTP/1.1\r\nContent-Length: 12\r\n\r\nhello", &r);
	CHECK("partial body is incomplete", e == ERR_INCOMPLETE && !r);
	e = feed_str(p, " world!", &r);
	CHECK("body completed by the next feed", e == ERR_OK && r && body_is(r, "hello world!"));
	http1_parser_free(p);
}

/* A body policy as the network process's: requests with credentials keep
 * their bodies up to refuse_over, those without up to discard_over. */
struct policy_seen {
	size_t discard_over, refuse_over;
	size_t asked[4];
	int nasked;
};

static enum http1_body test_policy(void *arg, const struct http1_request *req, size_t total)
{
	struct policy_seen *s = arg;

	if (s->nasked < 4)
		s->asked[s->nasked++] = total;
	if (req->has_authorization)
		return total > s->refuse_over ? HTTP1_BODY_REFUSE : HTTP1_BODY_KEEP;
	return total > s->discard_over ? HTTP1_BODY_DISCARD : HTTP1_BODY_KEEP;
}

static void test_body_policy(void)
{
	struct policy_seen seen = {.discard_over = 8, .refuse_over = 12};
	struct http1_parser *p = http1_parser_new(100);
	struct http1_request *r = NULL;
	enum err e;

	http1_parser_set_body_policy(p, test_policy, &seen);
	e = feed_str(p, "POST /wsman HTTP/1.1\r\nContent-Length: 5\r\n\r\nsmall", &r);
	CHECK("a body within the policy is kept",
	      e == ERR_OK && r && body_is(r, "small") && !r->body_discarded);
	CHECK("asked with the announced length", seen.nasked == 1 && seen.asked[0] == 5);
	http1_parser_next(p);
	e = feed_str(p, "POST /wsman HTTP/1.1\r\nContent-Length: 20\r\n\r\n0123456789", &r);
	CHECK("a discarded body is still read to its end", e == ERR_INCOMPLETE && !r);
	e = feed_str(p, "0123456789", &r);
	CHECK("then the request is whole, without its body",
	      e == ERR_OK && r && buf_len(&r->body) == 0 && r->body_discarded &&
		  r->body.alloc == 0);
	http1_parser_next(p);
	e = feed_str(p, "POST /wsman HTTP/1.1\r\nContent-Length: 2\r\n\r\nok", &r);
	CHECK("the next request is read as usual",
	      e == ERR_OK && r && body_is(r, "ok") && !r->body_discarded);
	http1_parser_next(p);
	e = feed_str(p,
		     "POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
		     &r);
	CHECK("a chunked body that outgrows the policy is dropped",
	      e == ERR_OK && r && buf_len(&r->body) == 0 && r->body_discarded);
	http1_parser_next(p);
	seen.nasked = 0;
	e = feed_str(
	    p, "POST /wsman HTTP/1.1\r\nAuthorization: Basic x\r\nContent-Length: 13\r\n\r\n", &r);
	CHECK("a body the policy refuses is ERR_HTTP_BUSY, before it arrives",
	      e == ERR_HTTP_BUSY && !r && seen.nasked == 1 && seen.asked[0] == 13);
	http1_parser_free(p);
}

/* A request whose header block (request line to the blank line) is
 * exactly total bytes long. */
static void build_padded(struct buf *b, size_t total)
{
	static const char start[] = "POST /wsman HTTP/1.1\r\nX-Pad: ";
	size_t pad = total - strlen(start) - 4;

	buf_init(b, 1 << 20);
	buf_put(b, start, strlen(start));
	for (size_t i = 0; i < pad; i++)
		buf_put_u8(b, 'a');
	buf_put(b, "\r\n\r\n", 4);
}

static void test_header_limit(void)
{
	struct http1_parser *p = http1_parser_new(MAX_BODY);
	struct http1_request *r = NULL;
	struct buf b;
	size_t used;

	build_padded(&b, HTTP1_MAX_HEADER_BYTES);
	enum err e = http1_parse(p, buf_ptr(&b), buf_len(&b), &used, &r);
	CHECK("header block of exactly 16 KiB is fine", e == ERR_OK && used == buf_len(&b));
	buf_clear(&b);
	http1_parser_free(p);

	p = http1_parser_new(MAX_BODY);
	build_padded(&b, HTTP1_MAX_HEADER_BYTES + 1);
	e = http1_parse(p, buf_ptr(&b), buf_len(&b), &used, &r);
	CHECK("header block over 16 KiB is refused", e == ERR_HTTP_HEADER_TOO_BIG && !r);
	http1_parser_free(p);

	/* Fed in two parts: refused as soon as the limit is reached. */
	p = http1_parser_new(MAX_BODY);
	e = http1_parse(p, buf_ptr(&b), 10000, &used, &r);
	CHECK("big header block: first part incomplete", e == ERR_INCOMPLETE && used == 10000);
	e = http1_parse(p, buf_ptr(&b) + 10000, buf_len(&b) - 10000, &used, &r);
	CHECK("big header block: refused in the second part", e == ERR_HTTP_HEADER_TOO_BIG);
	buf_clear(&b);
	http1_parser_free(p);

	/* Many small headers. */
	p = http1_parser_new(MAX_BODY);
	buf_init(&b, 1 << 20);
	buf_putf(&b, "POST /wsman HTTP/1.1\r\n");
	for (int i = 0; i < HTTP1_MAX_HEADERS; i++)
		buf_putf(&b, "X-H%d: v\r\n", i);
	buf_putf(&b, "\r\n");
	e = http1_parse(p, buf_ptr(&b), buf_len(&b), &used, &r);
	CHECK("64 headers are fine", e == ERR_OK);
	http1_parser_free(p);
	p = http1_parser_new(MAX_BODY);
	buf_reset(&b);
	buf_putf(&b, "POST /wsman HTTP/1.1\r\n");
	for (int i = 0; i < HTTP1_MAX_HEADERS + 1; i++)
		buf_putf(&b, "X-H%d: v\r\n", i);
	buf_putf(&b, "\r\n");
	e = http1_parse(p, buf_ptr(&b), buf_len(&b), &used, &r);
	CHECK("65 headers are refused", e == ERR_HTTP_BAD_REQUEST);
	buf_clear(&b);
	http1_parser_free(p);
}

static void test_header_values(void)
{
	struct http1_parser *p = http1_parser_new(MAX_BODY);
	struct http1_request *r = NULL;
	struct buf b;
	enum err e;

	e = feed_str(p,
		     "POST /wsman?PSVersion=5.1.17763.1 HTTP/1.1\r\n"
		     "content-TYPE:   application/soap+xml;charset=UTF-8  \t\r\n"
		     "AUTHORIZATION:Basic eA==\r\n"
		     "wsmanidentify: Unauthenticated\r\n"
		     "Content-Length: 0\r\n"
		     "\r\n",
		     &r);
	CHECK("names case-insensitive, values trimmed",
	      e == ERR_OK && r &&
		  strcmp(r->content_type, "application/soap+xml;charset=UTF-8") == 0 &&
		  strcmp(r->authorization, "Basic eA==") == 0);
	CHECK("query stripped from the path", r && strcmp(r->path, "/wsman") == 0);
	CHECK("WSMANIDENTIFY value case-insensitive", r && r->wsmanidentify_unauthenticated == 1);
	CHECK("missing Host is fine", r && r->host[0] == 0);
	http1_parser_free(p);

	p = http1_parser_new(MAX_BODY);
	e = feed_str(p,
		     "POST /wsman HTTP/1.1\r\n"
		     "Authorization: Negotiate\r\n"
		     " TlRMTVNTUAABAAAAMpCI4gAAAAAoAAAAAAAAACgAAAAGAbEdAAAADw==\r\n"
		     "\r\n",
		     &r);
	/* The fold's line break goes, its blank stays. */
	CHECK("folded header concatenates",
	      e == ERR_OK && r &&
		  strcmp(r->authorization,
			 "Negotiate TlRMTVNTUAABAAAAMpCI4gAAAAAoAAAAAAAAACgAAAAGAbEdAAAADw==") ==
		      0);
	http1_parser_free(p);

	p = http1_parser_new(MAX_BODY);
	e = feed_str(p,
		     "POST /wsman HTTP/1.1\r\nAuthorization: Basic eA==\r\nAuthorization: Basic "
		     "eQ==\r\n\r\n",
		     &r);
	CHECK("duplicate Authorization is 400", e == ERR_HTTP_BAD_REQUEST);
	http1_parser_free(p);
	p = http1_parser_new(MAX_BODY);
	e = feed_str(p, "POST /wsman HTTP/1.1\r\nContent-Type: a\r\ncontent-type: a\r\n\r\n", &r);
	CHECK("duplicate Content-Type is 400", e == ERR_HTTP_BAD_REQUEST);
	http1_parser_free(p);

	p = http1_parser_new(MAX_BODY);
	e = feed_str(p, "POST /wsman HTTP/1.1\r\nAuthorization:\r\n\r\n", &r);
	CHECK("empty Authorization is present and empty",
	      e == ERR_OK && r && r->has_authorization == 1 && r->authorization[0] == 0);
	http1_parser_free(p);

	/* Authorization: 8191 bytes fit (with the NUL), 8192 do not. */
	for (size_t len = 8191; len <= 8192; len++) {
		p = http1_parser_new(MAX_BODY);
		buf_init(&b, 1 << 20);
		buf_putf(&b, "POST /wsman HTTP/1.1\r\nAuthorization: ");
		for (size_t i = 0; i < len; i++)
			buf_put_u8(&b, 'A');
		buf_putf(&b, "\r\n\r\n");
		size_t used;
		e = http1_parse(p, buf_ptr(&b), buf_len(&b), &used, &r);
		if (len == 8191)
			CHECK("Authorization of 8191 bytes is kept whole",
			      e == ERR_OK && r && strlen(r->authorization) == 8191);
		else
			CHECK("Authorization of 8192 bytes is 400, not truncated",
			      e == ERR_HTTP_BAD_REQUEST);
		buf_clear(&b);
		http1_parser_free(p);
	}

	p = http1_parser_new(MAX_BODY);
	buf_init(&b, 1 << 20);
	buf_putf(&b, "POST /wsman HTTP/1.1\r\nContent-Type: ");
	for (int i = 0; i < 256; i++)
		buf_put_u8(&b, 'x');
	buf_putf(&b, "\r\n\r\n");
	{
		size_t used;
		e = http1_parse(p, buf_ptr(&b), buf_len(&b), &used, &r);
	}
	CHECK("Content-Type too long is 400", e == ERR_HTTP_BAD_REQUEST);
	buf_clear(&b);
	http1_parser_free(p);

	p = http1_parser_new(MAX_BODY);
	buf_init(&b, 1 << 20);
	buf_putf(&b, "POST /");
	for (int i = 0; i < HTTP1_MAX_PATH; i++)
		buf_put_u8(&b, 'p');
	buf_putf(&b, " HTTP/1.1\r\n\r\n");
	{
		size_t used;
		e = http1_parse(p, buf_ptr(&b), buf_len(&b), &used, &r);
	}
	CHECK("path too long is 400", e == ERR_HTTP_BAD_REQUEST);
	buf_clear(&b);
	http1_parser_free(p);
}

static void test_methods_and_garbage(void)
{
	struct http1_parser *p = http1_parser_new(MAX_BODY);
	struct http1_request *r = NULL;
	enum err e;

	e = feed_str(p, "GET /wsman HTTP/1.1\r\nHost: h\r\n\r\n", &r);
	CHECK("GET parsed", e == ERR_OK && r && r->method_post == 0 &&
				strcmp(r->method, "GET") == 0 && strcmp(r->path, "/wsman") == 0);
	http1_parser_free(p);

	static const char *const bad[] = {
	    "\x00\x01\x02garbage\r\n\r\n",
	    "HELLO WORLD\r\n\r\n",
	    "POST /wsman HTTP/1.1\r\nBad Header\r\n\r\n",
	    "POST /wsman HTTP/9.x\r\n\r\n",
	    "POST /wsman HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
	    "POST /wsman HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
	    "POST /wsman HTTP/1.1\r\nX: a\x01b\r\n\r\n",
	    "POST /wsman HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello",
	    "POST /wsman HTTP/1.1\r\nAuthorization\t: Basic eA==\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[64];
		size_t used;
		p = http1_parser_new(MAX_BODY);
		/* The first entry starts with a NUL: feed its real length. */
		size_t n = i == 0 ? 18 : strlen(bad[i]);
		e = feed(p, bad[i], n, &used, &r);
		snprintf(name, sizeof(name), "garbage %zu is 400", i);
		CHECK(name, e == ERR_HTTP_BAD_REQUEST && !r);
		http1_parser_free(p);
	}

	p = http1_parser_new(MAX_BODY);
	e = feed_str(p, "GET /wsman\r\n\r\n", &r);
	CHECK("HTTP/0.9 is 400", e == ERR_HTTP_BAD_REQUEST);
	http1_parser_free(p);

	p = http1_parser_new(MAX_BODY);
	e = feed_str(p, "GET /wsman HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		     &r);
	CHECK("upgrade is 400", e == ERR_HTTP_BAD_REQUEST);
	http1_parser_free(p);

	p = http1_parser_new(MAX_BODY);
	e = feed_str(p, "CONNECT host:443 HTTP/1.1\r\n\r\n", &r);
	CHECK("CONNECT is 400", e == ERR_HTTP_BAD_REQUEST);
	http1_parser_free(p);

	/* After an error next starts over. */
	p = http1_parser_new(MAX_BODY);
	e = feed_str(p, "BAD\x01\r\n", &r);
	http1_parser_next(p);
	e = feed_str(p, "POST /wsman HTTP/1.1\r\n\r\n", &r);
	CHECK("next after an error parses afresh", e == ERR_OK && r && r->method_post);
	http1_parser_free(p);
}

static void test_keep_alive(void)
{
	static const struct {
		const char *req;
		int keep_alive, minor;
	} cases[] = {
	    {"POST /wsman HTTP/1.0\r\n\r\n", 0, 0},
	    {"POST /wsman HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1, 0},
	    {"POST /wsman HTTP/1.1\r\n\r\n", 1, 1},
	    {"POST /wsman HTTP/1.1\r\nConnection: Keep-Alive\r\n\r\n", 1, 1},
	    {"POST /wsman HTTP/1.1\r\nConnection: close\r\n\r\n", 0, 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http1_parser *p = http1_parser_new(MAX_BODY);
		struct http1_request *r = NULL;
		char name[64];
		enum err e = feed_str(p, cases[i].req, &r);
		snprintf(name, sizeof(name), "keep-alive case %zu", i);
		CHECK(name, e == ERR_OK && r && r->keep_alive == cases[i].keep_alive &&
				r->http_minor == cases[i].minor);
		http1_parser_free(p);
	}
}

/* Checks the Date line of a response is IMF-fixdate for now (or the second
 * before), then replaces its value with a fixed one for comparison. */
static int mask_date(char *s)
{
	char *d = strstr(s, "\r\nDate: ");
	char now[2][64];

	if (!d)
		return 0;
	d += 8;
	for (int i = 0; i < 2; i++) {
		time_t t = time(NULL) - i;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(now[i], sizeof(now[i]), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	}
	if (strncmp(d, now[0], 29) != 0 && strncmp(d, now[1], 29) != 0)
		return 0;
	if (d[29] != '\r')
		return 0;
	memcpy(d, "Tue, 01 Jan 2019 00:00:00 GMT", 29);
	return 1;
}

static int response_is(struct buf *out, const char *expect)
{
	char text[4096];
	size_t n = buf_len(out);

	if (n >= sizeof(text))
		return 0;
	memcpy(text, buf_ptr(out), n);
	text[n] = 0;
	if (strlen(text) != n || !mask_date(text))
		return 0;
	if (strcmp(text, expect) != 0) {
		printf("# got:\n%s\n# expected:\n%s\n", text, expect);
		return 0;
	}
	return 1;
}

static void test_response(void)
{
	struct buf out;
	enum err e;
	static const char soap[] = "<s:Envelope/>";

	buf_init(&out, 1 << 20);
	e = http1_response(&out, 200, NULL, 0, "application/soap+xml;charset=UTF-8", soap,
			   strlen(soap), 1);
	CHECK("200 with a body",
	      e == ERR_OK &&
		  response_is(&out, "HTTP/1.1 200 OK\r\n"
				    "Server: Microsoft-HTTPAPI/2.0\r\n"
				    "Date: Tue, 01 Jan 2019 00:00:00 GMT\r\n"
				    "Content-Type: application/soap+xml;charset=UTF-8\r\n"
				    "Content-Length: 13\r\n"
				    "\r\n"
				    "<s:Envelope/>"));

	buf_reset(&out);
	struct http1_header www[] = {{"WWW-Authenticate", "Negotiate"},
				     {"WWW-Authenticate", "Basic realm=\"WSMAN\""}};
	e = http1_response(&out, 401, www, 2, NULL, NULL, 0, 0);
	CHECK("401 with two challenges and close",
	      e == ERR_OK && response_is(&out, "HTTP/1.1 401 Unauthorized\r\n"
					       "Server: Microsoft-HTTPAPI/2.0\r\n"
					       "Date: Tue, 01 Jan 2019 00:00:00 GMT\r\n"
					       "WWW-Authenticate: Negotiate\r\n"
					       "WWW-Authenticate: Basic realm=\"WSMAN\"\r\n"
					       "Content-Length: 0\r\n"
					       "Connection: close\r\n"
					       "\r\n"));

	buf_reset(&out);
	struct http1_header allow = {"Allow", "POST"};
	e = http1_response(&out, 405, &allow, 1, NULL, NULL, 0, 1);
	CHECK("405 with Allow",
	      e == ERR_OK && response_is(&out, "HTTP/1.1 405 Method Not Allowed\r\n"
					       "Server: Microsoft-HTTPAPI/2.0\r\n"
					       "Date: Tue, 01 Jan 2019 00:00:00 GMT\r\n"
					       "Allow: POST\r\n"
					       "Content-Length: 0\r\n"
					       "\r\n"));

	static const struct {
		int status;
		const char *line;
	} reasons[] = {
	    {400, "HTTP/1.1 400 Bad Request\r\n"},
	    {404, "HTTP/1.1 404 Not Found\r\n"},
	    {413, "HTTP/1.1 413 Request Entity Too Large\r\n"},
	    {415, "HTTP/1.1 415 Unsupported Media Type\r\n"},
	    {500, "HTTP/1.1 500 Internal Server Error\r\n"},
	    {503, "HTTP/1.1 503 Service Unavailable\r\n"},
	    {299, "HTTP/1.1 299 \r\n"},
	};
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		char name[64];
		buf_reset(&out);
		e = http1_response(&out, reasons[i].status, NULL, 0, NULL, NULL, 0, 1);
		snprintf(name, sizeof(name), "status line %d", reasons[i].status);
		CHECK(name,
		      e == ERR_OK && buf_len(&out) > strlen(reasons[i].line) &&
			  memcmp(buf_ptr(&out), reasons[i].line, strlen(reasons[i].line)) == 0);
	}

	/* Appends after what the buffer holds. */
	buf_reset(&out);
	buf_put(&out, "prefix", 6);
	e = http1_response(&out, 200, NULL, 0, NULL, "x", 1, 1);
	CHECK("appends to the buffer", e == ERR_OK && buf_len(&out) > 18 &&
					   memcmp(out.data, "prefixHTTP/1.1 200", 18) == 0 &&
					   out.data[out.size - 1] == 'x');

	buf_reset(&out);
	struct http1_header evil = {"X-Evil", "a\r\nSet-Cookie: b"};
	e = http1_response(&out, 200, &evil, 1, NULL, NULL, 0, 1);
	CHECK("CR/LF in a header value is refused", e == ERR_USAGE && buf_len(&out) == 0);
	e = http1_response(&out, 200, NULL, 0, "text/xml\nX: y", NULL, 0, 1);
	CHECK("CR/LF in the content type is refused", e == ERR_USAGE && buf_len(&out) == 0);
	e = http1_response(&out, 42, NULL, 0, NULL, NULL, 0, 1);
	CHECK("a status outside 100-999 is refused", e == ERR_USAGE && buf_len(&out) == 0);
	buf_clear(&out);

	buf_init(&out, 100);
	e = http1_response(&out, 200, NULL, 0, NULL, "0123456789", 10, 1);
	CHECK("too big for the buffer: nothing appended", e == ERR_LIMIT && buf_len(&out) == 0);
	buf_clear(&out);
}

int main(void)
{
	test_pywinrm();
	test_pipelined();
	test_byte_by_byte();
	test_chunked();
	test_body_limit();
	test_body_policy();
	test_header_limit();
	test_header_values();
	test_methods_and_garbage();
	test_keep_alive();
	test_response();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
