/* log: one small logging API for every process (after OpenBSD's log.c).
 * Lines go to stderr in the foreground and to syslog otherwise, tagged with
 * the process role. log_warn appends strerror(errno); fatal* exit and are
 * only for start-up and broken invariants, never for network input. */
#ifndef OPENWINRM_LOG_H
#define OPENWINRM_LOG_H

#include <stddef.h>

/* A condition that repeats as fast as a loop turns (accept() failing,
 * say) must not fill the disk: each format string of a warning (log_warn,
 * log_warnx), so each call site, has LOG_BURST lines per LOG_INTERVAL_MS,
 * and the first line logged after that window says how many it held back.
 * Informational lines are the service's events (each logon, session,
 * command and refusal, one per request at most) and are never held back:
 * an audit trail with gaps is no audit trail. Nor are fatal lines. */
#define LOG_BURST 100
#define LOG_INTERVAL_MS 10000

void log_init(const char *role, int foreground, int debug);
void log_set_role(const char *role);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Copies attacker-controlled bytes into dst for a log line: at most
 * dstlen-1 bytes, non-printable bytes and quotes escaped as \xNN, cut
 * with "..." when too long. Returns dst. */
const char *log_quote(char *dst, size_t dstlen, const void *src, size_t n);
#define LOG_QUOTE_MAX 256

#endif
