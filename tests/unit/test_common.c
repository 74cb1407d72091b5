/* Unit tests for src/common: bounded buffer, base64, durations, ids, the
 * TLS channel binding, the rate limit and the log lines it holds back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "common/tls_binding.h"
#include "common/util.h"
#include "check.h"

static void test_buf(void)
{
	struct buf b;
	uint32_t v32;
	uint64_t v64;
	const uint8_t *p;
	size_t n;
	char *s;

	buf_init(&b, 16);
	CHECK("buf: put within max", buf_put(&b, "0123456789", 10) == ERR_OK);
	CHECK("buf: put over max refused", buf_put(&b, "0123456789", 10) == ERR_LIMIT);
	CHECK("buf: length unchanged after refusal", buf_len(&b) == 10);
	CHECK("buf: consume", buf_consume(&b, 4) == ERR_OK && buf_len(&b) == 6);
	CHECK("buf: consumed space is reused", buf_put(&b, "abcdefghij", 10) == ERR_OK);
	CHECK("buf: consume past end", buf_consume(&b, 17) == ERR_INCOMPLETE);
	buf_clear(&b);

	buf_init(&b, 1024);
	buf_put_u32(&b, 0xdeadbeef);
	buf_put_u64(&b, 0x0102030405060708ULL);
	buf_put_cstring(&b, "hello");
	CHECK("buf: u32 big-endian bytes", memcmp(buf_ptr(&b), "\xde\xad\xbe\xef", 4) == 0);
	CHECK("buf: get u32", buf_get_u32(&b, &v32) == ERR_OK && v32 == 0xdeadbeef);
	CHECK("buf: get u64", buf_get_u64(&b, &v64) == ERR_OK && v64 == 0x0102030405060708ULL);
	CHECK("buf: get cstring",
	      buf_get_cstring(&b, &s, 100) == ERR_OK && strcmp(s, "hello") == 0);
	free(s);
	CHECK("buf: empty after gets", buf_len(&b) == 0);
	CHECK("buf: get from empty is incomplete", buf_get_u32(&b, &v32) == ERR_INCOMPLETE);

	buf_reset(&b);
	buf_put_u32(&b, 100); /* announces 100 bytes, has 3 */
	buf_put(&b, "abc", 3);
	CHECK("buf: string longer than data", buf_get_string_view(&b, &p, &n) == ERR_INCOMPLETE);
	buf_reset(&b);
	buf_put_string(&b, "a\0b", 3);
	CHECK("buf: NUL inside cstring refused", buf_get_cstring(&b, &s, 100) == ERR_FORMAT);
	CHECK("buf: refusal does not consume", buf_len(&b) == 7);
	buf_reset(&b);
	buf_put_cstring(&b, "toolong");
	CHECK("buf: cstring over maxlen refused", buf_get_cstring(&b, &s, 3) == ERR_FORMAT);
	buf_reset(&b);
	CHECK("buf: putf", buf_putf(&b, "%s=%d", "x", 42) == ERR_OK && buf_len(&b) == 4 &&
			       memcmp(buf_ptr(&b), "x=42", 4) == 0);
	char big[600];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK("buf: putf longer than its stack buffer",
	      buf_putf(&b, "%s", big) == ERR_OK && buf_len(&b) == 4 + 599);
	buf_clear(&b);
}

static void test_b64(void)
{
	struct buf b;

	buf_init(&b, 1024);
	util_b64_encode(&b, "hello world", 11);
	CHECK("b64: encode", buf_len(&b) == 16 && memcmp(buf_ptr(&b), "aGVsbG8gd29ybGQ=", 16) == 0);
	buf_reset(&b);
	CHECK("b64: decode with WinRb newlines",
	      util_b64_decode(&b, "aGVs\nbG8g\nd29y bGQ=\n", 20) == ERR_OK && buf_len(&b) == 11 &&
		  memcmp(buf_ptr(&b), "hello world", 11) == 0);
	buf_reset(&b);
	CHECK("b64: empty", util_b64_decode(&b, "", 0) == ERR_OK && buf_len(&b) == 0);
	CHECK("b64: bad character", util_b64_decode(&b, "aGV$", 4) == ERR_FORMAT);
	CHECK("b64: data after padding", util_b64_decode(&b, "aA==aGVs", 8) == ERR_FORMAT);
	CHECK("b64: not a multiple of four", util_b64_decode(&b, "aGVsb", 5) == ERR_FORMAT);
	CHECK("b64: non-zero padding bits", util_b64_decode(&b, "aB==", 4) == ERR_FORMAT);
	buf_clear(&b);
}

static void test_duration(void)
{
	uint64_t ms;

	CHECK("duration: PT20S", util_duration_parse("PT20S", &ms) == ERR_OK && ms == 20000);
	CHECK("duration: PT60.000S",
	      util_duration_parse("PT60.000S", &ms) == ERR_OK && ms == 60000);
	CHECK("duration: PT0.5S", util_duration_parse("PT0.5S", &ms) == ERR_OK && ms == 500);
	CHECK("duration: P0DT0H0M9S",
	      util_duration_parse("P0DT0H0M9S", &ms) == ERR_OK && ms == 9000);
	CHECK("duration: PT1M", util_duration_parse("PT1M", &ms) == ERR_OK && ms == 60000);
	CHECK("duration: P1D", util_duration_parse("P1D", &ms) == ERR_OK && ms == 86400000);
	CHECK("duration: negative refused", util_duration_parse("PT-1S", &ms) == ERR_FORMAT);
	CHECK("duration: empty refused", util_duration_parse("PT", &ms) == ERR_FORMAT);
	CHECK("duration: bare number refused", util_duration_parse("60", &ms) == ERR_FORMAT);
	CHECK("duration: hours before T refused", util_duration_parse("P1H", &ms) == ERR_FORMAT);
	CHECK("duration: overflow refused",
	      util_duration_parse("PT99999999999999999999S", &ms) == ERR_FORMAT);
	struct buf b;
	buf_init(&b, 64);
	util_duration_put_ms(&b, 7200000);
	CHECK("duration: Windows' IdleTimeOut form",
	      buf_len(&b) == 11 && memcmp(buf_ptr(&b), "PT7200.000S", 11) == 0);
	buf_clear(&b);
}

static void test_ids(void)
{
	char a[UTIL_GUID_LEN + 1], b[UTIL_GUID_LEN + 1];
	uint64_t v;

	CHECK("guid: made", util_guid(a) == ERR_OK && util_guid(b) == ERR_OK);
	CHECK("guid: well-formed", util_is_guid(a) && a[14] == '4');
	CHECK("guid: two differ", strcmp(a, b) != 0);
	CHECK("guid: lower case accepted", util_is_guid("0d6fca9d-2d40-44c3-b691-e665be7aa687"));
	CHECK("guid: braces refused", !util_is_guid("{0D6FCA9D-2D40-44C3-B691-E665BE7AA68}"));
	CHECK("guid: short refused", !util_is_guid("0D6FCA9D"));
	CHECK("u64: parse",
	      util_parse_u64("4294967295", UINT32_MAX, &v) == ERR_OK && v == UINT32_MAX);
	CHECK("u64: over max", util_parse_u64("4294967296", UINT32_MAX, &v) == ERR_LIMIT);
	CHECK("u64: sign refused", util_parse_u64("-1", UINT32_MAX, &v) == ERR_FORMAT);
	CHECK("u64: small max", util_parse_u64("7", 5, &v) == ERR_LIMIT);
	char q[16];
	CHECK("log_quote: escapes and cuts",
	      strcmp(log_quote(q, sizeof(q), "a\"b\n", 4), "a\\x22b\\x0a") == 0);
	log_quote(q, sizeof(q), "0123456789abcdefghij", 20);
	CHECK("log_quote: long input cut with ...",
	      strlen(q) < sizeof(q) && strstr(q, "...") != NULL);
}

/* Self-signed P-256 certificates made with `openssl req -new -x509
 * -sha256` (then -sha384, -sha1), each with the digest that
 * `openssl x509 -outform der | sha256sum` (sha384sum for the SHA-384 one)
 * prints: the bytes any other implementation of RFC 5929 puts after the
 * prefix. */
static const char cert_sha256[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBfzCCASSgAwIBAgIBATAKBggqhkjOPQQDAjAdMRswGQYDVQQDDBJ0bHMtYmlu\n"
    "ZGluZy1zaGEyNTYwIBcNMjYxMTIxMjMxOTU2WhgPMjEyNjEwMjgyMzE5NTZaMB0x\n"
    "GzAZBgNVBAMMEnRscy1iaW5kaW5nLXNoYTI1NjBZMBMGByqGSM49AgEGCCqGSM49\n"
    "AwEHA0IABElUnDkCHsCzll3uuH+GfdKabydWXdhG8K8pUMnwiM+pnE7qrHVoieJe\n"
    "MkBy3V4Ond7DaPDbIOc3SqydFlvMRQqjUzBRMB0GA1UdDgQWBBRdtCaT7yz52s7c\n"
    "A4ZQt3YVDqXunjAfBgNVHSMEGDAWgBRdtCaT7yz52s7cA4ZQt3YVDqXunjAPBgNV\n"
    "HRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDSjhKGrtNh/yxAelzPxUS8\n"
    "4adV2PDGVT4Rp7BPppVxjQIhALM7FK0F8z8XL63jB4PpWFO/qZW9aWA+fKIpkYD3\n"
    "p9rN\n"
    "-----END CERTIFICATE-----\n";
static const char digest_sha256[] =
    "8bf789fc248b1f53dc87fc8edf84e7b5142f07decc3fb5e176ac3c3fec27631a";

static const char cert_sha384[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBfjCCASSgAwIBAgIBATAKBggqhkjOPQQDAzAdMRswGQYDVQQDDBJ0bHMtYmlu\n"
    "ZGluZy1zaGEzODQwIBcNMjYxMTIxMjMxOTU3WhgPMjEyNjEwMjgyMzE5NTdaMB0x\n"
    "GzAZBgNVBAMMEnRscy1iaW5kaW5nLXNoYTM4NDBZMBMGByqGSM49AgEGCCqGSM49\n"
    "AwEHA0IABElUnDkCHsCzll3uuH+GfdKabydWXdhG8K8pUMnwiM+pnE7qrHVoieJe\n"
    "MkBy3V4Ond7DaPDbIOc3SqydFlvMRQqjUzBRMB0GA1UdDgQWBBRdtCaT7yz52s7c\n"
    "A4ZQt3YVDqXunjAfBgNVHSMEGDAWgBRdtCaT7yz52s7cA4ZQt3YVDqXunjAPBgNV\n"
    "HRMBAf8EBTADAQH/MAoGCCqGSM49BAMDA0gAMEUCIEPfb/rECz1S1lwq8sG7OEz1\n"
    "8ziTXrVeyEtTfbe2xzFeAiEAzHH/D+DkjwrvpI0DdnUp4Q4wnPqmYjJC8rm8eqTH\n"
    "P7s=\n"
    "-----END CERTIFICATE-----\n";
static const char digest_sha384[] = "3f8359d6b9b3fc90999cfdf7fdc93eef2ed2f79198448931"
				    "b3597a12a026d6aa7f92a6807e7951cc40783ee0829cfc1c";

static const char cert_sha1[] = "-----BEGIN CERTIFICATE-----\n"
				"MIIBeDCCAR+gAwIBAgIBATAJBgcqhkjOPQQBMBsxGTAXBgNVBAMMEHRscy1iaW5k\n"
				"aW5nLXNoYTEwIBcNMjYxMTIxMjMxOTU3WhgPMjEyNjEwMjgyMzE5NTdaMBsxGTAX\n"
				"BgNVBAMMEHRscy1iaW5kaW5nLXNoYTEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC\n"
				"AARJVJw5Ah7As5Zd7rh/hn3Smm8nVl3YRvCvKVDJ8IjPqZxO6qx1aIniXjJAct1e\n"
				"Dp3ew2jw2yDnN0qsnRZbzEUKo1MwUTAdBgNVHQ4EFgQUXbQmk+8s+drO3AOGULd2\n"
				"FQ6l7p4wHwYDVR0jBBgwFoAUXbQmk+8s+drO3AOGULd2FQ6l7p4wDwYDVR0TAQH/\n"
				"BAUwAwEB/zAJBgcqhkjOPQQBA0gAMEUCIQDShPZrTu1MT9ZRnyWsJzgS9/6YkT0d\n"
				"2tUugUmTG3glmQIgCAJwK+A/ObZFZ6OwlrUMqBIBVpQ7keS90qbPrG9197w=\n"
				"-----END CERTIFICATE-----\n";
static const char digest_sha1_as_sha256[] =
    "6678c91905124f6736429ccea92bf4544b024bccd39fee326e504ac9075e0ef2";

static X509 *cert_of(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

/* 1 if the binding of pem is the prefix and then the digest in hex. */
static int binding_is(const char *pem, const char *hex)
{
	static const char digits[] = "0123456789abcdef";
	X509 *x = cert_of(pem);
	uint8_t out[TLS_BINDING_MAX];
	size_t plen = strlen(TLS_BINDING_PREFIX),
	       n = x ? tls_binding_end_point(x, out, sizeof(out)) : 0;
	int ok = n == plen + strlen(hex) / 2 && memcmp(out, TLS_BINDING_PREFIX, plen) == 0;

	for (size_t i = plen; ok && i < n; i++)
		ok = digits[out[i] >> 4] == hex[2 * (i - plen)] &&
		     digits[out[i] & 15] == hex[2 * (i - plen) + 1];
	X509_free(x);
	return ok;
}

static void test_tls_binding(void)
{
	X509 *x = cert_of(cert_sha256);
	uint8_t out[TLS_BINDING_MAX];

	CHECK("tls_binding: ecdsa-with-SHA256 hashes with SHA-256",
	      binding_is(cert_sha256, digest_sha256));
	CHECK("tls_binding: ecdsa-with-SHA384 hashes with SHA-384",
	      binding_is(cert_sha384, digest_sha384));
	CHECK("tls_binding: ecdsa-with-SHA1 hashes with SHA-256 (RFC 5929 4.1)",
	      binding_is(cert_sha1, digest_sha1_as_sha256));
	CHECK("tls_binding: no certificate, no binding",
	      tls_binding_end_point(NULL, out, sizeof(out)) == 0);
	CHECK("tls_binding: a buffer below the maximum is refused",
	      x && tls_binding_end_point(x, out, sizeof(out) - 1) == 0);
	X509_free(x);
}

static void test_ratelimit(void)
{
	struct ratelimit rl = {.burst = 3, .interval_ms = 1000};
	static const char a[] = "a", b[] = "b";
	uint32_t held = 0;
	int n = 0;

	for (int i = 0; i < 10; i++)
		n += ratelimit_pass(&rl, a, 100 + (uint64_t)i);
	CHECK("ratelimit: burst events of a key pass in a window", n == 3);
	CHECK("ratelimit: another key has its own burst", ratelimit_pass(&rl, b, 200));
	CHECK("ratelimit: nothing reported while the window lasts",
	      ratelimit_held(&rl, 1099, &held) == NULL);
	CHECK("ratelimit: once it ends, what it held back",
	      ratelimit_held(&rl, 1100, &held) == a && held == 7);
	CHECK("ratelimit: reported once", ratelimit_held(&rl, 1100, &held) == NULL);
	CHECK("ratelimit: a new window passes again", ratelimit_pass(&rl, a, 1100));

	/* More keys than the table: each still passes its first event. */
	static const char many[RATELIMIT_KEYS + 8];
	n = 0;
	for (size_t i = 0; i < sizeof(many); i++)
		n += ratelimit_pass(&rl, &many[i], 5000 + i);
	CHECK("ratelimit: a full table makes room", n == (int)sizeof(many));
}

/* The lines logged while fn(count) runs, read from stderr. */
static int lines_logged(void (*fn)(int), int count, char *text, size_t textlen)
{
	char path[] = "/tmp/owt-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO), lines = 0;

	if (fd < 0 || saved < 0)
		return -1;
	unlink(path);
	dup2(fd, STDERR_FILENO);
	fn(count);
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t got = pread(fd, text, textlen - 1, 0);
	close(fd);
	text[got > 0 ? got : 0] = 0;
	for (char *p = text; (p = strchr(p, '\n')); p++)
		lines++;
	return lines;
}

static void flood(int count)
{
	for (int i = 0; i < count; i++)
		log_warnx("flood line %d", i);
	log_warnx("another call site");
}

static void events(int count)
{
	for (int i = 0; i < count; i++)
		log_info("event %d", i);
}

static void test_log_flood(void)
{
	static char text[64 * 1024];

	log_init("test", 1, 0);
	CHECK("log: a flood of one format is cut at LOG_BURST lines",
	      lines_logged(flood, 10 * LOG_BURST, text, sizeof(text)) == LOG_BURST + 1);
	CHECK("log: its last line passed", strstr(text, "flood line 99\n") != NULL);
	CHECK("log: the line after it was held back", strstr(text, "flood line 100\n") == NULL);
	CHECK("log: another format is not held back", strstr(text, "another call site") != NULL);
	CHECK("log: events (informational lines) are never held back",
	      lines_logged(events, 3 * LOG_BURST, text, sizeof(text)) == 3 * LOG_BURST);
}

int main(void)
{
	test_buf();
	test_b64();
	test_duration();
	test_ids();
	test_tls_binding();
	test_ratelimit();
	test_log_flood();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
