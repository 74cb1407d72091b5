/* wsman_calls: what a test program calling libpsrpclient.so as PowerShell
 * does needs around the API: the library's functions looked up by name
 * (it is loaded with dlopen, as .NET loads it, into `lib`), ASCII text
 * as UTF-16, and completions recorded and waited for. Shared by
 * tests/unit/test_psrpclient_abi.c (a canned service) and
 * tests/e2e/psrpclient/cycle.c (a real winrmd); the includer includes
 * psrpclient/wsman_api.h first. */
#ifndef OPENWINRM_TEST_WSMAN_CALLS_H
#define OPENWINRM_TEST_WSMAN_CALLS_H

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *lib;

/* The exported function name, from the library under test. */
#define API(name) ((__typeof__(&name))dlsym(lib, #name))

/* A UTF-16 copy of ASCII s (free it). */
static WSMAN_CHAR *u16(const char *s)
{
	size_t n = strlen(s);
	WSMAN_CHAR *w = calloc(n + 1, sizeof(*w));

	for (size_t i = 0; w && i < n; i++)
		w[i] = (WSMAN_CHAR)s[i];
	return w;
}

/* UTF-16 w as ASCII into out, '?' for the rest: text for messages and
 * for finding ASCII words in. */
static void ascii(const WSMAN_CHAR *w, char *out, size_t cap)
{
	size_t n = 0;

	for (; w && w[n] && n < cap - 1; n++)
		out[n] = w[n] < 0x80 ? (char)w[n] : '?';
	out[n] = 0;
}

/* The completions of one or more operations, as they come from the
 * library's worker threads: how many, and the last one's flags, error
 * and shell. */
struct completion {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int calls;
	DWORD flags, code;
	char detail[1300]; /* the error's text, as ascii() gives it */
	WSMAN_SHELL_HANDLE shell;
};

#define COMPLETION_INIT                                                                            \
	{                                                                                          \
		.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER                \
	}

static void on_complete(void *ctx, DWORD flags, WSMAN_ERROR *error, WSMAN_SHELL_HANDLE shell,
			WSMAN_COMMAND_HANDLE command, WSMAN_OPERATION_HANDLE operation,
			WSMAN_RESPONSE_DATA *data)
{
	struct completion *c = ctx;

	(void)command, (void)operation, (void)data;
	pthread_mutex_lock(&c->lock);
	c->flags = flags;
	c->code = error ? error->code : 0;
	ascii(error ? error->errorDetail : NULL, c->detail, sizeof(c->detail));
	c->shell = shell;
	c->calls++;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Waits up to seconds for the nth completion. */
static int wait_calls(struct completion *c, int n, int seconds)
{
	struct timespec until;
	int ok;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&c->lock);
	while (c->calls < n && pthread_cond_timedwait(&c->cond, &c->lock, &until) == 0)
		;
	ok = c->calls >= n;
	pthread_mutex_unlock(&c->lock);
	return ok;
}

#endif
