/* event_fail: libevent's allocations made to fail on demand, for the code
 * that must survive an allocation failure under load (curl's torture runs,
 * for one allocator). Header-only, as check.h and priv_fixture.h;
 * event_fail_install must run before any other libevent call. */
#ifndef OPENWINRM_TEST_EVENT_FAIL_H
#define OPENWINRM_TEST_EVENT_FAIL_H

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

/* How many more allocations succeed before every later one fails; -1:
 * none fails. */
static long event_fail_after = -1;

static inline int event_fail_now(void)
{
	if (event_fail_after < 0)
		return 0;
	if (event_fail_after == 0)
		return 1;
	event_fail_after--;
	return 0;
}

static inline void *event_fail_malloc(size_t n)
{
	return event_fail_now() ? NULL : malloc(n);
}

static inline void *event_fail_realloc(void *p, size_t n)
{
	return event_fail_now() ? NULL : realloc(p, n);
}

static inline void event_fail_install(void)
{
	event_set_mem_functions(event_fail_malloc, event_fail_realloc, free);
}

/* The descriptor the next open would get: equal before and after a call
 * when the call leaked none. */
static inline int event_fail_next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

#endif
