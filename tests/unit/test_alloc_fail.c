/* The allocation-failure run over the codecs, after curl's torture tests.
 * Each codec decodes each seed of its fuzz corpus with allocation number N
 * failing, for N = 1, 2, ... until a run completes without reaching N.
 * Every run must come back, and a failed allocation may make a decoder
 * refuse what it accepted otherwise, never accept what it refused; what a
 * failure path forgets to free, LeakSanitizer reports at exit (make
 * check). Our own code's allocations fail through the linker's --wrap
 * (the Makefile links this binary alone so), libxml2's through xmlMemSetup,
 * OpenSSL's through CRYPTO_set_mem_functions and wimlib's through
 * wimlib_set_memory_allocator. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlmemory.h>
#include <openssl/crypto.h>
#include <wimlib.h>

#include "auth/auth.h"
#include "client/client_int.h"
#include "common/buf.h"
#include "common/util.h"
#include "config/config.h"
#include "credssp/credssp.h"
#include "host/psrp_packet.h"
#include "http/http1.h"
#include "ipc/ipc.h"
#include "ipc/ipc_priv.h"
#include "msgenc/msgenc.h"
#include "psrp/xpress.h"
#include "shell/shell_ops.h"
#include "shell/shell_soap.h"
#include "wsman/wsman.h"
#include "check.h"
#include "../../fuzz/corpus.h"

/* Runs per input: a decode that allocates more often than this is a
 * failure of its own (and would make the run too slow to keep). */
#define ALLOC_FAIL_MAX_N 20000

/* ---- the failing allocator ---- */

static int armed;	      /* allocations are counted, and one fails */
static unsigned long allocs;  /* since armed */
static unsigned long fail_at; /* the allocation that fails */

static int fail_now(void)
{
	return armed && ++allocs == fail_at;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}

static void *ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return __wrap_malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return __wrap_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/* The sanitizers' hooks. libxml2 2.9.14's node copy leaks the part it
 * copied when an allocation fails (xmlStaticCopyNodeList returns NULL and
 * drops its list), and hands back a truncated copy. Its frames have no
 * symbols, and no frame pointers for the fast unwinder to get past them,
 * so the leak is known by the one caller of xmlDocCopyNode, in stacks
 * unwound the slow way. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:wsman_xml_dump\n";
}

/* ---- one driver per codec: the decodes that succeeded ---- */

/* common/buf: the input as a string put, read back and formatted. */
static unsigned buf_codec(const uint8_t *d, size_t n)
{
	struct buf b;
	char *s;
	unsigned ok = 0;

	buf_init(&b, 2 * n + 64);
	ok += buf_put_string(&b, d, n) == ERR_OK;
	ok += buf_putf(&b, "%zu", n) == ERR_OK && buf_terminate(&b) == ERR_OK;
	if (buf_get_cstring(&b, &s, n) == ERR_OK) {
		ok++;
		free(s);
	}
	buf_clear(&b);
	return ok;
}

/* http/http1: the requests of one connection. */
static unsigned http1_request_codec(const uint8_t *d, size_t n)
{
	struct http1_parser *p = http1_parser_new(512000);
	struct http1_request *req;
	size_t off = 0, used = 0;
	unsigned ok = 0;

	while (p && off < n && http1_parse(p, d + off, n - off, &used, &req) == ERR_OK && used) {
		ok++;
		off += used;
		http1_parser_next(p);
	}
	http1_parser_free(p);
	return ok;
}

/* http/http1_client: the responses of one connection, then its close. */
static unsigned http1_response_codec(const uint8_t *d, size_t n)
{
	struct http1_response_parser *p = http1_response_parser_new(1 << 20);
	struct http1_response *resp;
	size_t off = 0, used = 0;
	enum err e = ERR_INCOMPLETE;
	unsigned ok = 0;

	while (p && off < n &&
	       (e = http1_response_parse(p, d + off, n - off, &used, &resp)) == ERR_OK && used) {
		ok++;
		off += used;
		http1_response_parser_next(p);
	}
	if (p && (e == ERR_OK || e == ERR_INCOMPLETE))
		ok += http1_response_eof(p, &resp) == ERR_OK;
	http1_response_parser_free(p);
	return ok;
}

/* wsman/text: what the winrm tool does with a resource a service sent:
 * the three renderings and a `winrm set` edit. */
static unsigned wsman_text_codec(const uint8_t *d, size_t n)
{
	static const struct wsman_pair pair = {.name = "MaxEnvelopeSizekb", .value = "500"};
	struct buf out, msg;
	unsigned ok = 0;

	buf_init(&out, 1 << 24);
	buf_init(&msg, 1024);
	for (int f = WSMAN_TEXT_PLAIN; f <= WSMAN_TEXT_PRETTY; f++) {
		ok += wsman_text_render((const char *)d, n, (enum wsman_text_format)f, &out) ==
		      ERR_OK;
		buf_reset(&out);
	}
	ok += wsman_text_set((const char *)d, n, &pair, 1, &out, &msg) == ERR_OK;
	buf_clear(&out);
	buf_clear(&msg);
	return ok;
}

/* Counts a decode that succeeded, and releases what it gave m (a decoder
 * that fails frees what it took). */
#define DECODED(call, release, m)                                                                  \
	do {                                                                                       \
		if ((call) == ERR_OK) {                                                            \
			ok++;                                                                      \
			release(&(m));                                                             \
		}                                                                                  \
	} while (0)

/* wsman: the envelope, then every body decoder of the service on it (one
 * that fails frees what it took). */
static unsigned wsman_codec(const uint8_t *d, size_t n)
{
	static const struct shell_service_ctx ctx = {.client_ip = "192.0.2.1",
						     .max_timeout_ms = 60000};
	struct wsman_request req;
	struct wsman_properties props;
	struct wsman_enumerate_req en;
	struct wsman_pull_req pl;
	unsigned ok = 0;

	if (wsman_parse(d, n, &req) == ERR_OK) {
		ok++;
		/* Every shell operation's parser, through its row (the rows the
		 * network process parses itself have none). */
		for (uint32_t i = 0; i < SHELL_OP_COUNT; i++) {
			const struct shell_op *op = shell_op_at(i);
			void *r = op->parse ? calloc(1, op->req_size) : NULL;
			if (r && op->parse(&req, &ctx, r) == ERR_OK) {
				ok++;
				shell_op_clear(op, r);
			}
			free(r);
		}
		if (req.body)
			DECODED(wsman_properties_parse(
				    &req, (const char *)((xmlNode *)req.body)->name, &props),
				wsman_properties_clear, props);
		ok += wsman_enumerate_parse(&req, &en) == ERR_OK;
		ok += wsman_pull_parse(&req, &pl) == ERR_OK;
		ok += wsman_release_parse(&req, &pl) == ERR_OK;
	}
	wsman_request_clear(&req);
	return ok;
}

static void ignore_output(void *arg, enum shell_stream stream, const uint8_t *data, size_t len)
{
	(void)arg;
	(void)stream;
	(void)data;
	(void)len;
}

static enum err ignore_item(void *arg, const char *xml)
{
	(void)arg;
	(void)xml;
	return ERR_OK;
}

/* wsman/client: a reply, then every reader of the client library on it. */
static unsigned wsman_client_codec(const uint8_t *d, size_t n)
{
	struct wsman_request resp;
	struct wsman_client_fault f;
	struct shell_create_reply created;
	struct shell_command_reply started;
	struct shell_received got = {.output = ignore_output};
	char context[256], *body = NULL;
	int end;
	unsigned ok = wsman_parse(d, n, &resp) == ERR_OK;

	ok += wsman_client_fault(&resp, &f) == ERR_OK;
	ok += shell_soap_create_read(&resp, &created) == ERR_OK;
	ok += shell_soap_command_read(&resp, &started) == ERR_OK;
	ok += shell_soap_receive_read(&resp, &got) == ERR_OK;
	ok += wsman_client_enumerated(&resp, ignore_item, NULL, context, sizeof(context), &end) ==
	      ERR_OK;
	ok += wsman_client_body_xml(&resp, &body) == ERR_OK;
	free(body);
	wsman_request_clear(&resp);
	return ok;
}

/* ipc_priv: the first byte is the message type, as for fuzz_ipc_priv; only
 * the decoders that allocate. */
static unsigned ipc_priv_codec(const uint8_t *d, size_t n)
{
	union {
		struct ipc_auth_password password;
		struct ipc_auth_result result;
		struct ipc_auth_gss gss;
		struct ipc_auth_cert cert;
		struct ipc_auth_gss_result gss_result;
		struct ipc_auth_credssp credssp;
		struct ipc_auth_credssp_result credssp_result;
		struct ipc_config config;
		struct ipc_config_change change;
		struct ipc_config_result change_result;
	} m;
	struct buf in;
	unsigned ok = 0;

	if (n < 1)
		return 0;
	buf_init(&in, IPC_MAX_MSG - IPC_HEADER_LEN);
	if (buf_put(&in, d + 1, n - 1) == ERR_OK) {
		switch (d[0]) {
		case IPC_AUTH_PASSWORD:
			DECODED(ipc_auth_password_decode(&in, &m.password), ipc_auth_password_clear,
				m.password);
			break;
		case IPC_AUTH_RESULT:
			DECODED(ipc_auth_result_decode(&in, &m.result), ipc_auth_result_clear,
				m.result);
			break;
		case IPC_AUTH_GSS:
			DECODED(ipc_auth_gss_decode(&in, &m.gss), ipc_auth_gss_clear, m.gss);
			break;
		case IPC_AUTH_CERT:
			DECODED(ipc_auth_cert_decode(&in, &m.cert), ipc_auth_cert_clear, m.cert);
			break;
		case IPC_AUTH_GSS_RESULT:
			DECODED(ipc_auth_gss_result_decode(&in, &m.gss_result),
				ipc_auth_gss_result_clear, m.gss_result);
			break;
		case IPC_AUTH_CREDSSP:
			DECODED(ipc_auth_credssp_decode(&in, &m.credssp), ipc_auth_credssp_clear,
				m.credssp);
			break;
		case IPC_AUTH_CREDSSP_RESULT:
			DECODED(ipc_auth_credssp_result_decode(&in, &m.credssp_result),
				ipc_auth_credssp_result_clear, m.credssp_result);
			break;
		case IPC_CONFIG:
			DECODED(ipc_config_decode(&in, &m.config), ipc_config_clear, m.config);
			break;
		case IPC_CONFIG_CHANGE:
			DECODED(ipc_config_change_decode(&in, &m.change), ipc_config_change_clear,
				m.change);
			break;
		case IPC_CONFIG_RESULT:
			DECODED(ipc_config_result_decode(&in, &m.change_result),
				ipc_config_result_clear, m.change_result);
			break;
		default:
			break;
		}
	}
	buf_clear(&in);
	return ok;
}

/* shell_ipc: every decoder of the rows of shell_ops.h, each on the whole
 * input (in a buffer of its own), as for fuzz_shell_ipc. */
static unsigned shell_ipc_codec(const uint8_t *d, size_t n)
{
	unsigned ok = 0;

	for (uint32_t i = 0; i < SHELL_OP_COUNT; i++) {
		const struct shell_op *op = shell_op_at(i);
		void *r = calloc(1, op->req_size);
		struct buf in;
		buf_init(&in, IPC_MAX_MSG);
		if (r && buf_put(&in, d, n) == ERR_OK && op->decode(&in, r) == ERR_OK) {
			ok++;
			shell_op_clear(op, r);
		}
		buf_clear(&in);
		free(r);
	}
	return ok;
}

/* msgenc: the body after the first line, read both ways as fuzz_msgenc
 * does. */
static unsigned msgenc_codec(const uint8_t *d, size_t n)
{
	const uint8_t *nl = memchr(d, '\n', n);
	struct msgenc_parts m;
	enum msgenc_style style;

	if (nl)
		n -= (size_t)(nl + 1 - d), d = nl + 1;
	return (msgenc_parse(d, n, &m) == ERR_OK) +
	       (msgenc_parse_chunks(d, n, &style, NULL, NULL) == ERR_OK);
}

/* config: the stored file's text, parsed and written out again. */
static unsigned config_codec(const uint8_t *d, size_t n)
{
	struct config c;
	struct buf msg, text;
	unsigned ok = 0;

	buf_init(&msg, 4096);
	buf_init(&text, 2 * CONFIG_MAX_FILE);
	if (config_parse(&c, (const char *)d, n, &msg) == ERR_OK) {
		ok++;
		ok += config_serialize(&c, &text) == ERR_OK;
		config_clear(&c);
	}
	buf_clear(&msg);
	buf_clear(&text);
	return ok;
}

/* auth: an Authorization value (the first byte picks the settings, as for
 * fuzz_auth), a privileged "yes" to a password check and the cache hit
 * after it, and the token of a Negotiate or Kerberos leg. */
static unsigned auth_codec(const uint8_t *d, size_t n)
{
	char value[8192];
	struct auth_identity id;
	struct ipc_auth_password v;
	struct ipc_auth_gss leg = {0};
	unsigned ok = 0;

	if (n == 0 || n - 1 >= sizeof(value))
		return 0;
	memcpy(value, d + 1, n - 1);
	value[n - 1] = 0;
	struct auth_settings s = {.basic = d[0] & 1,
				  .negotiate = d[0] >> 1 & 1,
				  .kerberos = d[0] >> 2 & 1,
				  .allow_unencrypted = d[0] >> 3 & 1,
				  .certificate = d[0] >> 5 & 1};
	/* Every run starts from the same cache. */
	auth_cache_flush();
	enum auth_verdict r = auth_evaluate(&s, d[0] >> 4 & 1, value, "192.0.2.1", &id, &v);
	ok += r == AUTH_VERIFY || r == AUTH_GSS;
	if (r == AUTH_VERIFY) {
		struct ipc_auth_result res = {.status = IPC_AUTH_OK, .user = v.user, .uid = 1000};
		auth_complete(&v, &res, &id);
		ipc_auth_password_clear(&v);
		ok +=
		    auth_evaluate(&s, d[0] >> 4 & 1, value, "192.0.2.1", &id, &v) == AUTH_ACCEPTED;
		ipc_auth_password_clear(&v);
	}
	if (r == AUTH_GSS && auth_gss_leg(value, &leg) == ERR_OK) {
		ok++;
		ipc_auth_gss_clear(&leg);
	}
	return ok;
}

/* client/digest: a WWW-Authenticate value after a first challenge. */
static unsigned digest_codec(const uint8_t *d, size_t n)
{
	struct digest_state st = {0};
	char *s = malloc(n + 1);
	int stale;
	unsigned ok = 0;

	if (!s)
		return 0;
	memcpy(s, d, n);
	s[n] = 0;
	ok += digest_challenge(&st, "Digest realm=\"WSMAN\", nonce=\"first\", qop=\"auth\"",
			       &stale) == ERR_OK;
	ok += digest_challenge(&st, s, &stale) == ERR_OK;
	digest_clear(&st);
	free(s);
	return ok;
}

/* psrp/xpress: the input decoded with a new codec, so wimlib's
 * decompressor is made (and may fail) in every run, then encoded back. */
static unsigned xpress_codec_run(const uint8_t *d, size_t n)
{
	struct xpress_codec *c;
	struct buf out, again;
	unsigned ok = 0;

	if (xpress_codec_new(&c) != ERR_OK)
		return 0;
	buf_init(&out, 4 * XPRESS_BLOCK_MAX);
	buf_init(&again, xpress_stream_encoded_max(4 * XPRESS_BLOCK_MAX));
	if (xpress_stream_decode(c, d, n, &out) == ERR_OK) {
		ok++;
		ok += xpress_stream_encode(c, buf_ptr(&out), buf_len(&out), &again) == ERR_OK;
	}
	buf_clear(&again);
	buf_clear(&out);
	xpress_codec_free(c);
	return ok;
}

/* host/psrp_packet: a line from pwsh, its Data decoded and the packet
 * encoded again; the PSRP peeks (which allocate nothing). */
static unsigned psrp_packet_codec(const uint8_t *d, size_t n)
{
	struct psrp_packet p;
	struct buf payload, line;
	char pid[PSRP_GUID_LEN + 1];
	uint32_t state;
	unsigned ok = 0;

	ok += psrp_create_pipeline_pid(d, n, pid) == ERR_OK;
	ok += (unsigned)psrp_pipeline_end_peek(d, n, &state);
	if (psrp_packet_parse((const char *)d, n, &p) != ERR_OK)
		return ok;
	ok++;
	buf_init(&payload, PSRP_PACKET_MAX_LINE);
	buf_init(&line, 2 * PSRP_PACKET_MAX_LINE);
	if (p.kind != PSRP_PACKET_DATA || util_b64_decode(&payload, p.text, p.text_len) == ERR_OK)
		ok += psrp_packet_encode(&line, p.kind, p.stream, p.guid, buf_ptr(&payload),
					 buf_len(&payload)) == ERR_OK;
	buf_clear(&payload);
	buf_clear(&line);
	return ok;
}

/* credssp: a TSRequest or TSCredentials (the first byte picks, as for
 * fuzz_credssp) decoded, then encoded again. */
static unsigned credssp_codec(const uint8_t *d, size_t n)
{
	struct credssp_tsrequest m;
	struct credssp_password_creds c;
	struct buf out;
	unsigned ok = 0;

	if (n == 0)
		return 0;
	buf_init(&out, CREDSSP_MAX_TSREQUEST);
	if (d[0] == 0 && credssp_tsrequest_parse(d + 1, n - 1, &m) == ERR_OK) {
		ok++;
		ok += credssp_tsrequest_encode(&out, &m) == ERR_OK;
		credssp_tsrequest_clear(&m);
	}
	if (d[0] == 1 && credssp_credentials_parse(d + 1, n - 1, &c) == ERR_OK) {
		ok++;
		ok += credssp_credentials_encode(&out, &c) == ERR_OK;
		credssp_password_creds_clear(&c);
	}
	buf_clear(&out);
	return ok;
}

/* ---- the run ---- */

struct codec {
	const char *name;
	const char *corpus; /* the seeds */
	unsigned (*decode)(const uint8_t *d, size_t n);
};

static const struct codec codecs[] = {
    {"common/buf", "fuzz/corpus/ipc_priv", buf_codec},
    {"http1 requests", "fuzz/corpus/http1", http1_request_codec},
    {"http1 responses", "fuzz/corpus/http1_response", http1_response_codec},
    {"wsman envelopes and shell bodies", "fuzz/corpus/wsman", wsman_codec},
    {"wsman client readers", "fuzz/corpus/wsman_client", wsman_client_codec},
    {"wsman text renderings", "fuzz/corpus/wsman_text", wsman_text_codec},
    {"ipc_priv decoders", "fuzz/corpus/ipc_priv", ipc_priv_codec},
    {"shell_ipc decoders", "fuzz/corpus/shell_ipc", shell_ipc_codec},
    {"msgenc_parse and msgenc_parse_chunks", "fuzz/corpus/msgenc", msgenc_codec},
    {"config_parse", "fuzz/corpus/config", config_codec},
    {"auth headers", "fuzz/corpus/auth", auth_codec},
    {"digest challenges", "fuzz/corpus/digest", digest_codec},
    {"xpress streams", "fuzz/corpus/psrp_xpress", xpress_codec_run},
    {"pwsh packets and PSRP peeks", "fuzz/corpus/psrp_packet", psrp_packet_codec},
    {"CredSSP messages", "fuzz/corpus/credssp", credssp_codec},
};

struct tally {
	const struct codec *codec;
	unsigned long runs;
	int bad; /* inputs that broke a rule */
};

/* Decodes one input with each allocation failing in turn. */
static void torture(void *arg, const char *path, const uint8_t *d, size_t n)
{
	struct tally *t = arg;
	unsigned want = t->codec->decode(d, n);

	for (unsigned long at = 1; at <= ALLOC_FAIL_MAX_N; at++) {
		allocs = 0;
		fail_at = at;
		armed = 1;
		unsigned got = t->codec->decode(d, n);
		armed = 0;
		t->runs++;
		if (got > want) {
			printf("# %s: allocation %lu failing, %u decodes succeeded, not %u\n", path,
			       at, got, want);
			t->bad++;
			return;
		}
		if (allocs < at)
			return;
	}
	printf("# %s: more than %d allocations\n", path, ALLOC_FAIL_MAX_N);
	t->bad++;
}

int main(void)
{
	char name[256];

	/* Before OpenSSL allocates anything, which it refuses after. */
	CHECK("OpenSSL takes the failing allocator",
	      CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) == 1);
	CHECK("libxml2 takes the failing allocator",
	      xmlMemSetup(free, __wrap_malloc, __wrap_realloc, __wrap_strdup) == 0);
	CHECK("wimlib takes the failing allocator",
	      wimlib_set_memory_allocator(__wrap_malloc, free, __wrap_realloc) == 0);
	/* One-time set-ups, whose failures are the libraries' business and
	 * would end the run anyway: libxml2's globals, OpenSSL's random
	 * generator and SHA-256 (the Basic cache's key). */
	xmlInitParser();
	auth_codec((const uint8_t *)"\021Basic dTpw", 11);
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		struct tally t = {&codecs[i], 0, 0};
		int inputs = corpus_each(codecs[i].corpus, torture, &t);
		snprintf(name, sizeof(name),
			 "%s: %d inputs of %s, each allocation failing (%lu runs)", codecs[i].name,
			 inputs, codecs[i].corpus, t.runs);
		CHECK(name, inputs > 0 && t.bad == 0);
	}
	xmlCleanupParser();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
