/* spawn: fork, exec and reaping of the host's children (host role). See spawn.h. */
#include "host/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define SPAWN_STATUS_FD 3
_Static_assert(SPAWN_INHERITED_FD == SPAWN_STATUS_FD + 1, "the inherited descriptor follows");

/* What the child needs, prepared before fork: after it only
 * async-signal-safe calls are allowed. */
struct spawn_pipes {
	pid_t parent;
	int in[2], out[2], err[2], status[2];
};

/* Tells the parent which step failed and why, on the status pipe. */
static void __attribute__((noreturn)) child_fail(int fd, int stage)
{
	int msg[2] = {stage, errno};
	ssize_t n = write(fd, msg, sizeof(msg));

	(void)n;
	_exit(127);
}

/* The descriptor every child gets at SPAWN_INHERITED_FD, or -1. */
static int inherited = -1;

void spawn_inherit(int fd)
{
	inherited = fd;
}

static void __attribute__((noreturn))
child_exec(const struct spawn_spec *sp, const struct spawn_pipes *p)
{
	int fd[4] = {p->in[0], p->out[1], p->err[1], p->status[1]};
	int keep = -1;

	util_default_signals();
	/* Move all four above 2 first, so that placing 0, 1, 2 and then the
	 * status descriptor never overwrites one still needed. */
	for (int i = 0; i < 4; i++)
		if ((fd[i] = fcntl(fd[i], F_DUPFD_CLOEXEC, SPAWN_STATUS_FD)) < 0)
			child_fail(p->status[1], SPAWN_SETUP);
	if (inherited >= 0 && (keep = fcntl(inherited, F_DUPFD_CLOEXEC, SPAWN_STATUS_FD)) < 0)
		child_fail(fd[3], SPAWN_SETUP);
	for (int i = 0; i < 3; i++)
		if (dup2(fd[i], i) < 0)
			child_fail(fd[3], SPAWN_SETUP);
	if (fd[3] != SPAWN_STATUS_FD && dup3(fd[3], SPAWN_STATUS_FD, O_CLOEXEC) < 0)
		child_fail(fd[3], SPAWN_SETUP);
	/* Without close-on-exec: the command and what it runs keep it. */
	if (keep >= 0 && (keep == SPAWN_INHERITED_FD ? fcntl(keep, F_SETFD, 0)
						     : dup2(keep, SPAWN_INHERITED_FD)) < 0)
		child_fail(SPAWN_STATUS_FD, SPAWN_SETUP);
	close_range(keep >= 0 ? SPAWN_INHERITED_FD + 1 : SPAWN_STATUS_FD + 1, ~0U, 0);
	/* Its own session and process group, so signals reach the whole job. */
	if (setsid() < 0)
		child_fail(SPAWN_STATUS_FD, SPAWN_SETUP);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != p->parent)
		child_fail(SPAWN_STATUS_FD, SPAWN_SETUP);
	if (chdir(sp->dir) < 0)
		child_fail(SPAWN_STATUS_FD, SPAWN_CHDIR);
	/* execvp searches the PATH of environ, which must be the child's own. */
	environ = sp->envp;
	if (sp->path_search)
		execvp(sp->file, sp->argv);
	else
		execve(sp->file, sp->argv, sp->envp);
	child_fail(SPAWN_STATUS_FD, SPAWN_EXEC);
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	p[0] = p[1] = -1;
}

/* The pipes are created close-on-exec; the child gets dups of its ends. */
enum err spawn_start(const struct spawn_spec *sp, struct spawn_child *child,
		     struct spawn_failure *why)
{
	struct spawn_pipes p = {
	    .in = {-1, -1}, .out = {-1, -1}, .err = {-1, -1}, .status = {-1, -1}};
	enum err e = ERR_WSMAN_INTERNAL;
	char q[LOG_QUOTE_MAX];
	int msg[2];
	ssize_t n;
	pid_t pid;

	why->stage = SPAWN_PARENT;
	why->error = 0;
	p.parent = getpid();
	if (pipe2(p.in, O_CLOEXEC) < 0 || pipe2(p.out, O_CLOEXEC) < 0 ||
	    pipe2(p.err, O_CLOEXEC) < 0 || pipe2(p.status, O_CLOEXEC) < 0) {
		why->error = errno;
		log_warn("spawn: pipe");
		goto out;
	}
	if ((pid = fork()) < 0) {
		why->error = errno;
		log_warn("spawn: fork");
		goto out;
	}
	if (pid == 0)
		child_exec(sp, &p);
	close(p.in[0]), p.in[0] = -1;
	close(p.out[1]), p.out[1] = -1;
	close(p.err[1]), p.err[1] = -1;
	close(p.status[1]), p.status[1] = -1;
	/* Blocks only until the exec: the status pipe closes on success. */
	do
		n = read(p.status[0], msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof(msg)) {
			why->stage = (enum spawn_stage)msg[0];
			why->error = msg[1];
			log_warnx("spawn: cannot start %s (step %d): %s",
				  log_quote(q, sizeof(q), sp->file, strlen(sp->file)), msg[0],
				  strerror(msg[1]));
		}
		goto out;
	}
	child->pid = pid;
	child->in_fd = p.in[1], p.in[1] = -1;
	child->out_fd = p.out[0], p.out[0] = -1;
	child->err_fd = p.err[0], p.err[0] = -1;
	util_set_nonblock(child->in_fd);
	util_set_nonblock(child->out_fd);
	util_set_nonblock(child->err_fd);
	e = ERR_OK;
out:
	close_pair(p.in);
	close_pair(p.out);
	close_pair(p.err);
	close_pair(p.status);
	return e;
}

char **spawn_env_merge(char *const *extra, uint32_t nextra)
{
	size_t n = 0, k = 0;
	char **v;

	for (char **p = environ; *p; p++)
		n++;
	if (!(v = calloc(n + nextra + 1, sizeof(*v))))
		return NULL;
	for (char **p = environ; *p; p++) {
		size_t len = strcspn(*p, "=");
		uint32_t i;
		for (i = 0; i < nextra; i++)
			if (strncmp(extra[i], *p, len + 1) == 0)
				break;
		if (i == nextra)
			v[k++] = *p;
	}
	for (uint32_t i = 0; i < nextra; i++)
		v[k++] = extra[i];
	return v;
}

void spawn_reap_or_defer(struct spawn_reaper *r, pid_t pid)
{
	pid_t got;

	while ((got = waitpid(pid, NULL, r->n < SPAWN_MAX_KILLED ? WNOHANG : 0)) < 0 &&
	       errno == EINTR)
		;
	if (got == 0)
		r->pids[r->n++] = pid;
}

void spawn_reap_deferred(struct spawn_reaper *r)
{
	for (uint32_t i = 0; i < r->n;)
		if (waitpid(r->pids[i], NULL, WNOHANG) != 0)
			r->pids[i] = r->pids[--r->n];
		else
			i++;
}
