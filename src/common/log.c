/* log: stderr or syslog, one line per call, at most LOG_BURST warnings of
 * one format per LOG_INTERVAL_MS. */
#include "common/log.h"
#include "common/ratelimit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static int log_foreground = 1;
static int log_debug_on;
static char log_role[16] = "winrmd";

/* The processes that log are single-threaded. */
static struct ratelimit log_limit = {.burst = LOG_BURST, .interval_ms = LOG_INTERVAL_MS};

void log_init(const char *role, int foreground, int debug)
{
	log_foreground = foreground;
	log_debug_on = debug;
	log_set_role(role);
	if (!foreground)
		openlog("winrmd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_role(const char *role)
{
	snprintf(log_role, sizeof(log_role), "%s", role);
}

static void log_line(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char line[2048];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n < 0)
		return;
	if (log_foreground) {
		char stamp[32];
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		/* One write per line so lines of several processes never interleave. */
		char out[2300];
		int m = snprintf(out, sizeof(out), "%s.%03ldZ winrmd[%s:%d]: %s%s%s\n", stamp,
				 ts.tv_nsec / 1000000, log_role, (int)getpid(), line,
				 suffix ? ": " : "", suffix ? suffix : "");
		if (m > 0) {
			ssize_t w = write(STDERR_FILENO, out,
					  (size_t)m < sizeof(out) ? (size_t)m : sizeof(out) - 1);
			(void)w;
		}
	} else {
		syslog(pri, "[%s] %s%s%s", log_role, line, suffix ? ": " : "",
		       suffix ? suffix : "");
	}
}

static void log_plain(int pri, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_plain(int pri, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line(pri, fmt, ap, NULL);
	va_end(ap);
}

static void log_emit(int pri, const char *fmt, va_list ap, const char *suffix)
{
	struct timespec ts;
	const void *key;
	uint32_t held;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	while ((key = ratelimit_held(&log_limit, now_ms, &held)))
		log_plain(LOG_WARNING, "%u similar lines suppressed (\"%s\")", held,
			  (const char *)key);
	if ((pri != LOG_WARNING && pri != LOG_ERR) || ratelimit_pass(&log_limit, fmt, now_ms))
		log_line(pri, fmt, ap, suffix);
}

#define LOG_BODY(pri, suffix)                                                                      \
	do {                                                                                       \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_emit(pri, fmt, ap, suffix);                                                    \
		va_end(ap);                                                                        \
	} while (0)

void log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, NULL);
}

void log_debug(const char *fmt, ...)
{
	if (log_debug_on)
		LOG_BODY(LOG_DEBUG, NULL);
}

void log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, NULL);
}

void log_warn(const char *fmt, ...)
{
	const char *s = strerror(errno);
	LOG_BODY(LOG_WARNING, s);
}

void fatal(const char *fmt, ...)
{
	const char *s = strerror(errno);
	LOG_BODY(LOG_CRIT, s);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, NULL);
	exit(1);
}

const char *log_quote(char *dst, size_t dstlen, const void *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = src;
	size_t o = 0;

	if (dstlen == 0)
		return dst;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		int plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
		size_t need = plain ? 1 : 4;
		if (o + need + 4 > dstlen) {
			if (o + 3 < dstlen)
				memcpy(dst + o, "...", 3), o += 3;
			break;
		}
		if (plain) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = 0;
	return dst;
}
