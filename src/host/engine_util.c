/* engine_util: the timers and user name both engines of the host use. */
#include "host/engine_util.h"

#include <pwd.h>
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#define ENGINE_MAX_TIMER_MS ((uint64_t)INT32_MAX * 1000)

void engine_timer_arm(struct event *ev, uint64_t ms)
{
	if (ms > ENGINE_MAX_TIMER_MS)
		ms = ENGINE_MAX_TIMER_MS;
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
			     .tv_usec = (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(ev, &tv);
}

void engine_event_free(struct event **ev)
{
	if (*ev)
		event_free(*ev);
	*ev = NULL;
}

void engine_user_name(char *dst, size_t size)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw)
		snprintf(dst, size, "%s", pw->pw_name);
	else
		snprintf(dst, size, "uid %u", (unsigned)getuid());
}
