/* ratelimit: lets at most `burst` events of one key through per window
 * of `interval_ms`, counting the rest, so that a condition that repeats
 * in a loop (a log line, say) costs a bounded amount however fast it
 * repeats. Keys are compared by address (a log line's format string, so
 * one call site). The caller passes the time: the tests control it. */
#ifndef OPENWINRM_RATELIMIT_H
#define OPENWINRM_RATELIMIT_H

#include <stdint.h>

#define RATELIMIT_KEYS 64 /* keys tracked at once; the oldest window gives way */

struct ratelimit_key {
	const void *key; /* NULL: free */
	uint64_t window_start_ms;
	uint32_t passed; /* in this window */
	uint32_t held;	 /* held back in this window */
};

struct ratelimit {
	uint32_t burst;
	uint64_t interval_ms;
	struct ratelimit_key keys[RATELIMIT_KEYS];
};

/* Whether an event of key at now_ms may pass; one that does not is
 * counted, for ratelimit_held. */
int ratelimit_pass(struct ratelimit *rl, const void *key, uint64_t now_ms);

/* A key whose window has ended with events held back, its count in
 * *held (reset here so each is reported once); NULL when there is none. */
const void *ratelimit_held(struct ratelimit *rl, uint64_t now_ms, uint32_t *held);

#endif
