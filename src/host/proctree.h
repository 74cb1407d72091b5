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

/* What root, its descendants and its session's members use. */
struct proctree_usage proctree_usage(const struct proctree *t, pid_t root);

/* Up to max of root's processes other than root, newest first (by start
 * time): the ones that went over a process quota. Returns how many. */
uint32_t proctree_newest(const struct proctree *t, pid_t root, pid_t *out, uint32_t max);

#endif
