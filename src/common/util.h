/* util: small shared helpers: clocks, unguessable ids, xs:duration,
 * base64 (encoded by OpenSSL, decoded by a strict decoder of our own), XML
 * escaping, number and list parsing, descriptor flags and constant-time
 * comparison. */
#ifndef OPENWINRM_UTIL_H
#define OPENWINRM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/* Milliseconds on the monotonic clock. */
uint64_t util_now_ms(void);

/* An upper-case GUID without braces (36 chars + NUL) from 122 random bits
 * of the OS CSPRNG: ShellIds and CommandIds must be unguessable. */
#define UTIL_GUID_LEN 36
enum err util_guid(char out[UTIL_GUID_LEN + 1]);
/* 1 if s is a GUID in the form util_guid produces (either case). */
int util_is_guid(const char *s);

/* xs:duration as WS-Man uses it (PT20S, PT60.000S, P0DT0H0M9S, PT1M):
 * to milliseconds. ERR_FORMAT for anything else, including negatives. */
enum err util_duration_parse(const char *s, uint64_t *ms);
/* Milliseconds as Windows writes IdleTimeOut: PT7200.000S. */
enum err util_duration_put_ms(struct buf *out, uint64_t ms);

/* Base64 (standard alphabet with padding). Decoding skips ASCII whitespace
 * (WinRb wraps lines every 60 characters). */
enum err util_b64_encode(struct buf *out, const void *p, size_t n);
enum err util_b64_decode(struct buf *out, const char *s, size_t n);
static inline size_t util_b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Appends s (NULL: nothing) escaped for both XML element text and
 * attribute values: the XML-special characters as entities, TAB, LF and CR
 * as character references (they survive attribute-value normalisation and
 * line-end folding), other C0 controls, which XML 1.0 cannot carry even as
 * references, as '?'. */
enum err util_xml_escape(struct buf *out, const char *s);

/* Parses a decimal unsigned number, the whole string, at most max. */
enum err util_parse_u64(const char *s, uint64_t max, uint64_t *out);

int util_ct_equal(const void *a, const void *b, size_t n);
/* A user name as sent with ".\" or "HOST\" (this machine) stripped: the
 * same local account. Any other domain stays, and names no local account. */
const char *util_strip_local_domain(const char *user);
/* 1 if host is an IPv4 or IPv6 address, not a name. */
int util_text_is_ip(const char *host);
/* This machine's canonical name (as Kerberos clients ask for HTTP/<fqdn>),
 * else its host name when that does not resolve; "" when it has none. */
void util_fqdn(char *out, size_t len);
/* The next item of a comma-separated list (blanks around items ignored)
 * and its length; NULL when none is left. Advances *cursor. */
const char *util_list_next(const char **cursor, size_t *len);

/* Keeps large allocations (HTTP bodies, shell output) on the heap and
 * the heap's pages mapped: a fresh mmap per reply costs a page fault per
 * page, more than building the reply. For the bulk-data processes only. */
void util_tune_malloc(void);

/* Sets O_NONBLOCK / FD_CLOEXEC. */
int util_set_nonblock(int fd);
int util_set_cloexec(int fd);
/* For a child between fork and exec: every signal's default action and
 * none blocked (exec keeps ignored signals ignored, and the mask: the
 * daemon's processes ignore SIGPIPE). Async-signal-safe. */
void util_default_signals(void);

#endif
