/* progress: see progress.h. One thread wakes every PROGRESS_EVERY_MS and
 * rewrites the line; the transfer's threads only add to two counters. */
#include "cli/progress.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

static atomic_uint_least64_t received, sent;
static atomic_int running, shown;
static uint64_t start_ms;
static const char *program_name;
static pthread_t ticker;
static pthread_mutex_t line_lock = PTHREAD_MUTEX_INITIALIZER;

/* "12.3 MB" */
static const char *amount(uint64_t n, char *out, size_t len)
{
	static const char *const unit[] = {"B", "KB", "MB", "GB", "TB"};
	double v = (double)n;
	size_t u = 0;

	while (v >= 1000 && u + 1 < sizeof(unit) / sizeof(unit[0]))
		v /= 1000, u++;
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return out;
}

static void draw(int last)
{
	uint64_t in = atomic_load(&received), out = atomic_load(&sent);
	double secs = (double)(util_now_ms() - start_ms) / 1000;
	char a[32], b[32], r[32];

	pthread_mutex_lock(&line_lock);
	fprintf(stderr, "\r\033[K%s: received %s, sent %s, %s/s, %.0f s%s", program_name,
		amount(in, a, sizeof(a)), amount(out, b, sizeof(b)),
		amount(secs > 0 ? (uint64_t)((double)(in + out) / secs) : 0, r, sizeof(r)), secs,
		last ? "\n" : "");
	fflush(stderr);
	pthread_mutex_unlock(&line_lock);
}

static void *tick(void *arg)
{
	const struct timespec every = {0, PROGRESS_EVERY_MS * 1000000L};

	(void)arg;
	while (atomic_load(&running)) {
		nanosleep(&every, NULL);
		if (atomic_load(&running) && util_now_ms() - start_ms >= PROGRESS_AFTER_MS) {
			atomic_store(&shown, 1);
			draw(0);
		}
	}
	return NULL;
}

int progress_start(const char *program)
{
	if (!isatty(STDERR_FILENO) || isatty(STDOUT_FILENO))
		return 0;
	program_name = program;
	start_ms = util_now_ms();
	atomic_store(&running, 1);
	if (pthread_create(&ticker, NULL, tick, NULL) != 0) {
		atomic_store(&running, 0);
		return -1;
	}
	pthread_detach(ticker);
	return 0;
}

void progress_received(size_t n)
{
	atomic_fetch_add(&received, n);
}

void progress_sent(size_t n)
{
	atomic_fetch_add(&sent, n);
}

void progress_end(void)
{
	if (!atomic_exchange(&running, 0) || !atomic_load(&shown))
		return;
	draw(1);
}
