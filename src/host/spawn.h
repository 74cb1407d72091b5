/* spawn: starting and reaping the children of a per-user host (host role
 * only), for both engines: the cmd shell's commands and PowerShell's pwsh.
 * A child gets piped stdin, stdout and stderr, its own session and process
 * group (so a signal reaches the whole job), a clean signal state, and
 * dies with the host (PR_SET_PDEATHSIG). Whether the exec worked is known
 * when spawn_start returns: a close-on-exec status pipe says which step
 * failed and why, and closes unwritten once the exec succeeded. */
#ifndef OPENWINRM_SPAWN_H
#define OPENWINRM_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

struct spawn_spec {
	const char *file;
	char **argv;	 /* NULL-terminated */
	char **envp;	 /* NULL-terminated, the child's whole environment */
	const char *dir; /* working directory */
	int path_search; /* file without a slash is looked up in envp's PATH */
};

/* The parent's ends of the child's pipes: close-on-exec and nonblocking. */
struct spawn_child {
	pid_t pid;
	int in_fd, out_fd, err_fd;
};

/* The step of the child that failed. */
enum spawn_stage {
	SPAWN_PARENT = 0, /* pipe or fork, in the parent: no child to tell */
	SPAWN_SETUP = 1,  /* descriptors, session, parent-death signal */
	SPAWN_CHDIR = 2,
	SPAWN_EXEC = 3
};

struct spawn_failure {
	enum spawn_stage stage;
	int error; /* errno of that step */
};

/* Starts sp. Blocks only until the child has exec'd (or failed to), which
 * is the one wait of an engine. ERR_OK: child is filled. Else the child
 * is reaped, nothing stays open, and why says which step failed (logged). */
enum err spawn_start(const struct spawn_spec *sp, struct spawn_child *child,
		     struct spawn_failure *why);

/* One descriptor every child started from now on gets at
 * SPAWN_INHERITED_FD, open across exec (for the commands, and what they
 * run); -1 for none. The host's CredSSP delegation hands gss-ntlmssp's
 * user file so (delegation.h). */
#define SPAWN_INHERITED_FD 4
void spawn_inherit(int fd);

/* The host's environment with extra's "NAME=value" strings replacing any
 * of the same name. The strings are borrowed; free only the array. */
char **spawn_env_merge(char *const *extra, uint32_t nextra);

/* Children killed while they may still be dying: reaped later, so that no
 * zombie outlives them. Each engine keeps its own and only ever waits for
 * its own pids (both watch SIGCHLD on the same base). */
#define SPAWN_MAX_KILLED 256
struct spawn_reaper {
	pid_t pids[SPAWN_MAX_KILLED];
	uint32_t n;
};

/* Reaps pid, which was sent SIGKILL, or remembers it if it has not died
 * yet. When the list is full it waits: SIGKILL cannot be stopped from
 * landing, so the wait is short. */
void spawn_reap_or_defer(struct spawn_reaper *r, pid_t pid);
/* Reaps whichever remembered children have died (on SIGCHLD). */
void spawn_reap_deferred(struct spawn_reaper *r);

#endif
