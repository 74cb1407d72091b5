/* proctree: what a shell's processes use, read from /proc, for the
 * per-shell quotas Windows applies with a job object (MaxMemoryPerShellMB,
 * MaxProcessesPerShell). Linux has no job object a user's host may create
 * (cgroups need delegation this service cannot count on), so a host counts
 * instead: a shell's processes are the root it started (which has its own
 * session) with everything descended from it or still in its session.
 * A process that leaves both (a daemon that double-forks and calls setsid)
 * is not counted: that is this method's limit, written in docs/design.md.
 * One snapshot serves every shell of a host: /proc is read once a round. */
#ifndef OPENWINRM_PROCTREE_H
#define OPENWINRM_PROCTREE_H

#include <stdint.h>
#include <sys/types.h>

struct proctree;

struct proctree_usage {
	uint32_t processes;
	uint64_t resident_bytes;
};

/* A quota in MB or processes is enforced when set: Windows' default
 * 2147483647 means no limit in practice, so then nothing is counted. */
static inline int proctree_limit_set(uint32_t limit)
{
	return limit != 0 && limit < 2147483647u;
}

/* Reads every process of /proc whose owner is this process's uid (a host
 * can only count and signal its own). NULL when out of memory. */
struct proctree *proctree_snapshot(void);
void proctree_free(struct proctree *t);

/* What the roots (a shell's pwsh, or its commands), their descendants and
 * the members of the sessions they lead use together. */
struct proctree_usage proctree_usage(const struct proctree *t, const pid_t *roots, uint32_t nroots);

/* Kills (SIGKILL) up to count of the roots' processes, newest first (by
 * start time), never a root: the ones over a process quota, which Windows'
 * job object would have refused to create. Returns how many. */
uint32_t proctree_kill_newest(const struct proctree *t, const pid_t *roots, uint32_t nroots,
			      uint32_t count);

/* A quota round once a second while running: fn gets one snapshot for all
 * of an engine's shells. */
struct event_base;
struct proctree_watch;
typedef void proctree_round_fn(void *arg, const struct proctree *t);
struct proctree_watch *proctree_watch_new(struct event_base *base, proctree_round_fn *fn,
					  void *arg);
void proctree_watch_run(struct proctree_watch *w, int on);
void proctree_watch_free(struct proctree_watch *w);

#endif
