/* cim_run: the children of the host's providers and methods: init
 * scripts asked for their status or told to start or stop, bounded in
 * time, and the processes Win32_Process.Create starts, detached. Each
 * gets its own session, /dev/null for stdio, no descriptor of the host's
 * (the users' command pipes, the channel) and default signals. */
#include "cim/cim_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

/* How often a bounded wait looks at its children. */
#define WAIT_STEP_MS 5

/* What `service` keeps of the environment for an init script. */
static char *const script_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C",
    NULL,
};

/* In a child: default signals, stdio on null, descriptors above 2
 * closed on exec, its own session. Only async-signal-safe calls. */
static int child_setup(int null)
{
	util_default_signals();
	for (int i = 0; i < 3; i++)
		if (dup2(null, i) < 0)
			return -1;
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0 || setsid() < 0)
		return -1;
	return 0;
}

enum err cim_command_add(struct cim_command *cmd, const char *word)
{
	size_t n = strlen(word) + 1;

	if (cmd->argc >= CIM_MAX_COMMAND_WORDS || n > sizeof(cmd->words) - cmd->used)
		return ERR_WSMAN_INTERNAL;
	cmd->argv[cmd->argc] = memcpy(cmd->words + cmd->used, word, n);
	cmd->argv[++cmd->argc] = NULL;
	cmd->used += n;
	return ERR_OK;
}

pid_t cim_run_start(char *const argv[])
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid;

	if (null < 0)
		return -1;
	if ((pid = fork()) == 0) {
		if (child_setup(null) == 0)
			execve(argv[0], argv, script_env);
		_exit(127);
	}
	close(null);
	return pid;
}

void cim_run_pending(char *const argv[], const struct cim_call *call, cim_finish_fn *finish,
		     uint32_t failure, struct cim_invoke_reply *out, struct cim_pending *pending)
{
	if ((pending->pid = cim_run_start(argv)) <= 0) {
		pending->pid = 0;
		cim_return(out, failure);
	} else {
		pending->timeout_ms = call->timeout_ms;
		pending->finish = finish;
	}
}

void cim_run_wait(const pid_t *pids, int *status, size_t n, uint32_t timeout_ms)
{
	uint64_t deadline = util_now_ms() + timeout_ms;
	const struct timespec step = {0, WAIT_STEP_MS * 1000000L};
	size_t left = n;

	for (size_t i = 0; i < n; i++)
		status[i] = -1;
	while (left) {
		for (size_t i = 0; i < n; i++) {
			int st;
			if (status[i] == -1 && waitpid(pids[i], &st, WNOHANG) == pids[i]) {
				status[i] = st;
				left--;
			}
		}
		if (!left || util_now_ms() >= deadline)
			break;
		nanosleep(&step, NULL);
	}
	for (size_t i = 0; i < n && left; i++)
		if (status[i] == -1) {
			kill(-pids[i], SIGKILL);
			kill(pids[i], SIGKILL);
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
		}
}

/* The report of a step that failed, or of the grandchild's pid (stage
 * 0), on the status pipe: two ints each. */
static int report_to(int fd, int stage, int value)
{
	int msg[2] = {stage, value};

	return write(fd, msg, sizeof(msg)) == (ssize_t)sizeof(msg) ? 0 : -1;
}

static void __attribute__((noreturn)) detached_fail(int fd, enum cim_run_stage stage)
{
	(void)report_to(fd, (int)stage, errno);
	_exit(127);
}

/* The child between: a new session, the grandchild, its pid to the
 * parent, and gone, so the grandchild is init's (or the subreaper's). */
static void __attribute__((noreturn))
detach(char *const argv[], const char *dir, int null, int report)
{
	pid_t pid;

	if (child_setup(null) < 0 || (pid = fork()) < 0)
		detached_fail(report, CIM_RUN_FORK);
	if (pid > 0)
		_exit(report_to(report, 0, (int)pid) == 0 ? 0 : 127);
	if (dir && chdir(dir) < 0)
		detached_fail(report, CIM_RUN_CHDIR);
	execvp(argv[0], argv);
	detached_fail(report, CIM_RUN_EXEC);
}

enum err cim_run_detached(char *const argv[], const char *dir, pid_t *pid, int *error,
			  enum cim_run_stage *stage)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), report[2] = {-1, -1}, msg[2];
	const char *home = getenv("HOME");
	pid_t child = -1;
	ssize_t n;

	*stage = CIM_RUN_FORK;
	*error = 0;
	*pid = 0;
	if (!dir && home && *home == '/')
		dir = home;
	if (null < 0 || pipe2(report, O_CLOEXEC) < 0 || (child = fork()) < 0) {
		*error = errno;
		goto out;
	}
	if (child == 0)
		detach(argv, dir, null, report[1]);
	close(report[1]);
	report[1] = -1;
	/* The grandchild's pid, then nothing (its exec closed the pipe), or
	 * the step that failed. */
	for (;;) {
		do
			n = read(report[0], msg, sizeof(msg));
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(msg))
			break;
		if (msg[0] == 0) {
			*pid = (pid_t)msg[1];
			continue;
		}
		*stage = (enum cim_run_stage)msg[0];
		*error = msg[1] ? msg[1] : EIO;
		goto out;
	}
	if (n != 0 || *pid <= 0)
		*error = EIO;
out:
	if (child > 0)
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
	for (int i = 0; i < 2; i++)
		if (report[i] >= 0)
			close(report[i]);
	if (null >= 0)
		close(null);
	return *error ? ERR_WSMAN_INTERNAL : ERR_OK;
}
