/* ratelimit: fixed windows per key, a small table searched linearly
 * (it is consulted once per log line, and RATELIMIT_KEYS is small). */
#include "common/ratelimit.h"

#include <stddef.h>

static int window_over(const struct ratelimit *rl, const struct ratelimit_key *k, uint64_t now_ms)
{
	return now_ms - k->window_start_ms >= rl->interval_ms;
}

/* key's entry, else a free one, else the one whose window began first
 * (its held-back count is lost: a flood of more than RATELIMIT_KEYS
 * distinct keys at once is not what this is for). */
static struct ratelimit_key *entry_of(struct ratelimit *rl, const void *key)
{
	struct ratelimit_key *oldest = &rl->keys[0];

	for (size_t i = 0; i < RATELIMIT_KEYS; i++) {
		struct ratelimit_key *k = &rl->keys[i];
		if (k->key == key)
			return k;
		if (oldest->key && (!k->key || k->window_start_ms < oldest->window_start_ms))
			oldest = k;
	}
	oldest->key = NULL;
	return oldest;
}

int ratelimit_pass(struct ratelimit *rl, const void *key, uint64_t now_ms)
{
	struct ratelimit_key *k = entry_of(rl, key);

	if (!k->key || window_over(rl, k, now_ms)) {
		/* A new window; what the old one held back is reported by
		 * ratelimit_held, which the caller asks first. */
		k->key = key;
		k->window_start_ms = now_ms;
		k->passed = 0;
		k->held = 0;
	}
	if (k->passed < rl->burst) {
		k->passed++;
		return 1;
	}
	k->held++;
	return 0;
}

const void *ratelimit_held(struct ratelimit *rl, uint64_t now_ms, uint32_t *held)
{
	for (size_t i = 0; i < RATELIMIT_KEYS; i++) {
		struct ratelimit_key *k = &rl->keys[i];
		if (k->key && k->held && window_over(rl, k, now_ms)) {
			*held = k->held;
			k->held = 0;
			return k->key;
		}
	}
	return NULL;
}
