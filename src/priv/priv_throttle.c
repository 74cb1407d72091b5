/* priv_throttle: what each client address and each account may ask of
 * the PAM pool. Password checks are counted as they wait and run (one
 * address may hold only Service/MaxConcurrentLogonsPerSource of them, one
 * account Service/MaxConcurrentLogonsPerAccount, whatever the addresses),
 * and their failures within PRIV_FAILURE_WINDOW_MS, per address and per
 * account: past Service/MaxLogonFailuresPerSource (PerAccount), further
 * password checks from that address (for that account) are refused
 * without asking PAM until the window that counted them has passed, as
 * sshd's PerSourcePenalties and Windows' account lockout threshold do.
 * Below those limits, a check from an address or for an account with
 * failures in its window is suspect: it waits behind the others for a
 * worker and runs at the lowest CPU priority (priv_pam.c), so a storm of
 * wrong passwords takes only the CPU that correct logons leave. */
#include "priv/priv_int.h"

#include <string.h>

#include "common/util.h"

/* The entry of key, found or made; NULL when every entry is still needed
 * (counting failures in its window, or with checks under way). */
static struct priv_tally *tally_of(struct priv_tally *t, const char *key, uint64_t now)
{
	struct priv_tally *free_slot = NULL;

	for (uint32_t i = 0; i < PRIV_THROTTLE_ENTRIES; i++) {
		struct priv_tally *e = &t[i];
		if (e->key[0] && strcmp(e->key, key) == 0)
			return e;
		if (!free_slot && e->inflight == 0 &&
		    (!e->key[0] || now - e->window_start_ms >= PRIV_FAILURE_WINDOW_MS))
			free_slot = e;
	}
	if (free_slot) {
		memset(free_slot, 0, sizeof(*free_slot));
		snprintf(free_slot->key, sizeof(free_slot->key), "%s", key);
		free_slot->window_start_ms = now;
	}
	return free_slot;
}

/* Failures of e within the current window (a window that has passed
 * starts again from none). */
static uint32_t failures(struct priv_tally *e, uint64_t now)
{
	if (now - e->window_start_ms >= PRIV_FAILURE_WINDOW_MS) {
		e->window_start_ms = now;
		e->failures = 0;
	}
	return e->failures;
}

const char *priv_throttle_admit(struct priv *p, const char *peer, const char *user,
				enum ipc_auth_status *status)
{
	const struct config *c = &p->cfg;
	uint64_t now = util_now_ms();
	struct priv_tally *src = tally_of(p->throttle_sources, peer, now);
	struct priv_tally *acct = tally_of(p->throttle_accounts, user, now);

	*status = IPC_AUTH_BUSY;
	if (!src || !acct)
		return "refused (too many addresses and accounts being counted)";
	*status = IPC_AUTH_BAD_CREDENTIALS;
	if (c->service.max_logon_failures_per_source &&
	    failures(src, now) >= c->service.max_logon_failures_per_source)
		return "refused (too many failed logons from this address: try again later)";
	if (c->service.max_logon_failures_per_account &&
	    failures(acct, now) >= c->service.max_logon_failures_per_account)
		return "refused (too many failed logons for this account: try again later)";
	*status = IPC_AUTH_BUSY;
	if (src->inflight >= c->service.max_concurrent_logons_per_source)
		return "refused (too many logons from this address at once)";
	if (acct->inflight >= c->service.max_concurrent_logons_per_account)
		return "refused (too many logons for this account at once)";
	src->inflight++;
	acct->inflight++;
	return NULL;
}

int priv_throttle_suspect(struct priv *p, const char *peer, const char *user)
{
	uint64_t now = util_now_ms();

	for (uint32_t i = 0; i < PRIV_THROTTLE_ENTRIES; i++) {
		struct priv_tally *e[2] = {&p->throttle_sources[i], &p->throttle_accounts[i]};
		const char *key[2] = {peer, user};
		for (int k = 0; k < 2; k++)
			if (e[k]->key[0] && e[k]->failures &&
			    now - e[k]->window_start_ms < PRIV_FAILURE_WINDOW_MS &&
			    strcmp(e[k]->key, key[k]) == 0)
				return 1;
	}
	return 0;
}

void priv_throttle_done(struct priv *p, const char *peer, const char *user, int failed)
{
	uint64_t now = util_now_ms();
	struct priv_tally *e[2] = {tally_of(p->throttle_sources, peer, now),
				   tally_of(p->throttle_accounts, user, now)};

	for (int i = 0; i < 2; i++) {
		if (!e[i])
			continue;
		if (e[i]->inflight)
			e[i]->inflight--;
		if (failed) {
			failures(e[i], now);
			e[i]->failures++;
		}
	}
}
