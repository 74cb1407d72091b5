/* engine_util: what the host's two engines (shell_engine, psrp_engine)
 * share besides starting children (spawn.h): their timers and the name
 * their log lines give the host's user. */
#ifndef OPENWINRM_ENGINE_UTIL_H
#define OPENWINRM_ENGINE_UTIL_H

#include <stddef.h>
#include <stdint.h>

struct event;

/* Arms ev for ms milliseconds, capped where a timeval's seconds stay in
 * range (a limit of "no limit" is a very large number). */
void engine_timer_arm(struct event *ev, uint64_t ms);
/* Frees *ev if set and clears it. */
void engine_event_free(struct event **ev);
/* The host's user ("uid N" when the name cannot be found). */
void engine_user_name(char *dst, size_t size);

#endif
