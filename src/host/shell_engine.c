/* shell_engine: shells, commands and their processes (host role). See shell_engine.h. */
#include "host/shell_engine.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "host/engine_util.h"
#include "host/proctree.h"
#include "host/spawn.h"

/* Output buffered per command. Above it both pipes stay unread, so the
 * child blocks on a full pipe: Windows' BufferMode Block, nothing lost. */
#define SHELL_MAX_OUTPUT (1024 * 1024)
#define SHELL_READ_SIZE (64 * 1024)
/* Stdin bytes of Sends waiting for the pipe, per command. Clients wait
 * for each SendResponse, so only a misbehaving one gets near it. */
#define SHELL_MAX_STDIN (4 * 1024 * 1024)
/* The joined command line: every argument and a separator. */
#define SHELL_MAX_CMDLINE ((size_t)(SHELL_MAX_ARGS + 1) * (SHELL_MAX_STRING + 1))
/* Hard caps under the Winrs quotas, which may say 0 (unlimited) and do
 * not count finished commands, each of which may still hold output. */
#define SHELL_MAX_SHELLS 1024
#define SHELL_MAX_COMMANDS 1024 /* per shell, running or finished */
/* Timers beyond this are as good as never and stay clear of time_t overflow. */

/* Winrs defaults, as config.c's rows have them: MS-WSMV 2.2.4.42
 * (MaxShellsPerUser: "the limit SHOULD be 30"; IdleTimeout and
 * MaxShellRunTime of Windows 8 and later, its product notes <28> and <29>)
 * and MaxProcessesPerShell as Windows reports it (docs/protocol-notes.md,
 * "Winrs defaults"). */
static const struct shell_limits shell_default_limits = {
    .max_shells_per_user = 30,
    .max_processes_per_shell = 2147483647,
    .idle_timeout_ms = 7200000,
    .max_shell_run_time_ms = 2147483647,
    .max_memory_per_shell_mb = 2147483647,
};

/* A run of output bytes of one stream. Adjacent chunks always differ in
 * stream (reads of the same stream append to the tail), so one chunk is
 * one rsp:Stream element of a reply. */
struct out_chunk {
	struct out_chunk *next;
	uint8_t stream;
	struct buf data;
};

/* The bytes of one Send, answered once they are all in the pipe. */
struct stdin_send {
	struct stdin_send *next;
	uint32_t req_id;
	int end;
	uint8_t *data;
	size_t len, off;
};

struct command {
	struct command *next;
	struct shell *shell;
	char id[SHELL_ID_LEN + 1];
	pid_t pid;
	/* The leader has exited. It stays a zombie, unreaped, until the
	 * command is released, so that its pid and process group cannot be
	 * reused and the release can still kill jobs it left running. */
	int exited;
	uint32_t exit_code; /* valid once exited */
	int in_fd;	    /* -1 once stdin is closed */
	struct event *ev_in;
	struct stdin_send *in_head, *in_tail;
	size_t in_queued;
	int out_fd[2]; /* indexed by enum shell_stream; -1 at EOF */
	struct event *ev_out[2];
	struct out_chunk *head, *tail;
	size_t buffered;
	int parked; /* a Receive waits for output or the end */
	uint32_t recv_id;
	uint32_t recv_max;
	struct event *ev_recv;
};

struct shell {
	struct shell *next;
	struct shell_engine *eng;
	char id[SHELL_ID_LEN + 1];
	char *working_dir; /* absolute, checked at Create */
	char **env;	   /* "NAME=value", one per distinct name */
	uint32_t nenv;
	char *client_ip;
	uint64_t idle_ms; /* 0: never idle */
	uint64_t created_ms;
	uint64_t active_ms; /* the last request to it */
	struct event *ev_idle, *ev_runtime;
	struct command *commands;
};

struct shell_engine {
	struct event_base *base;
	struct event *ev_chld;
	struct shell_limits limits;
	struct shell *shells;
	uint32_t nshells;
	/* Released leaders that were still dying when killed; sigchld reaps them. */
	struct spawn_reaper reaper;
	struct proctree_watch *quota;	/* MaxMemoryPerShellMB's round, while commands run */
	shell_engine_answer_fn *answer; /* NULL while the engine is torn down */
	shell_engine_ended_fn *ended;
	void *arg;
	char user[64];
};

static void answer(struct shell_engine *e, uint32_t id, enum err status,
		   const struct shell_receive_reply *r)
{
	if (e->answer)
		e->answer(e->arg, id, status, r);
}

static const char *quote(char dst[LOG_QUOTE_MAX], const char *s)
{
	return log_quote(dst, LOG_QUOTE_MAX, s ? s : "", s ? strlen(s) : 0);
}

/* --- lookups --- */

static struct shell *find_shell(struct shell_engine *e, const char *id)
{
	if (!*id)
		return NULL;
	for (struct shell *s = e->shells; s; s = s->next)
		if (strcasecmp(s->id, id) == 0)
			return s;
	return NULL;
}

static struct command *command_find(struct shell *s, const char *id)
{
	if (!*id)
		return NULL;
	for (struct command *c = s->commands; c; c = c->next)
		if (strcasecmp(c->id, id) == 0)
			return c;
	return NULL;
}

static enum err lookup(struct shell_engine *e, const char *shell_id, const char *command_id,
		       struct command **out)
{
	struct shell *s = find_shell(e, shell_id);

	if (!s)
		return ERR_WSMAN_UNKNOWN_SHELL;
	s->active_ms = util_now_ms();
	/* MS-WSMV 3.1.4.1.31.5: any request to the shell restarts its idle timer. */
	if (s->idle_ms)
		engine_timer_arm(s->ev_idle, s->idle_ms);
	*out = command_find(s, command_id);
	return *out ? ERR_OK : ERR_WSMAN_UNKNOWN_COMMAND;
}

/* --- output --- */

static int command_finished(const struct command *c)
{
	return c->exited && c->out_fd[SHELL_STDOUT] < 0 && c->out_fd[SHELL_STDERR] < 0;
}

/* Reads while the buffer has room, pauses both pipes when it is full. */
static void command_flow(struct command *c)
{
	for (int s = 0; s < 2; s++) {
		if (!c->ev_out[s])
			continue;
		if (c->buffered < SHELL_MAX_OUTPUT)
			event_add(c->ev_out[s], NULL);
		else
			event_del(c->ev_out[s]);
	}
}

static void chunk_free(struct out_chunk *k)
{
	buf_clear(&k->data);
	free(k);
}

static void receive_fail(struct command *c, enum err status)
{
	c->parked = 0;
	evtimer_del(c->ev_recv);
	answer(c->shell->eng, c->recv_id, status, NULL);
}

/* Answers the parked Receive with up to recv_max bytes in production
 * order, then drops what it carried. */
static void receive_answer(struct command *c)
{
	struct shell_receive_reply r;
	size_t budget = c->recv_max, taken = 0, left[2] = {0, 0};

	memset(&r, 0, sizeof(r));
	for (struct out_chunk *k = c->head; k; k = k->next) {
		size_t n = 0;
		if (budget > 0 && r.nchunks < SHELL_MAX_CHUNKS) {
			n = buf_len(&k->data) < budget ? buf_len(&k->data) : budget;
			r.chunks[r.nchunks++] =
			    (struct shell_chunk){k->stream, buf_ptr(&k->data), n};
			budget -= n;
			taken += n;
		}
		left[k->stream] += buf_len(&k->data) - n;
	}
	r.stdout_end = c->out_fd[SHELL_STDOUT] < 0 && left[SHELL_STDOUT] == 0;
	r.stderr_end = c->out_fd[SHELL_STDERR] < 0 && left[SHELL_STDERR] == 0;
	r.done = command_finished(c) && r.stdout_end && r.stderr_end;
	r.exit_code = r.done ? c->exit_code : 0;

	c->parked = 0;
	evtimer_del(c->ev_recv);
	answer(c->shell->eng, c->recv_id, ERR_OK, &r);

	for (uint32_t i = 0; i < r.nchunks; i++) {
		struct out_chunk *k = c->head;
		buf_consume(&k->data, r.chunks[i].len);
		if (buf_len(&k->data) == 0) {
			c->head = k->next;
			if (!c->head)
				c->tail = NULL;
			chunk_free(k);
		}
	}
	c->buffered -= taken;
	command_flow(c);
}

/* A parked Receive returns as soon as there is something to say. */
static void command_wake(struct command *c)
{
	if (c->parked && (c->head || command_finished(c)))
		receive_answer(c);
}

static void output_eof(struct command *c, int s)
{
	engine_event_free(&c->ev_out[s]);
	close(c->out_fd[s]);
	c->out_fd[s] = -1;
}

static void output_readable(evutil_socket_t fd, short what, void *arg)
{
	struct command *c = arg;
	int s = fd == c->out_fd[SHELL_STDOUT] ? SHELL_STDOUT : SHELL_STDERR;
	size_t want = SHELL_MAX_OUTPUT - c->buffered;
	struct out_chunk *prev = c->tail, *k = prev;
	uint8_t *space;
	ssize_t n;

	(void)what;
	/* command_flow unregisters a full command's pipes; a read of 0 bytes
	 * would look like EOF, so never issue one. */
	if (want == 0)
		return;
	if (want > SHELL_READ_SIZE)
		want = SHELL_READ_SIZE;
	if (!k || k->stream != s) {
		if (!(k = calloc(1, sizeof(*k)))) {
			log_warnx("shell: out of memory for output");
			return;
		}
		k->stream = (uint8_t)s;
		buf_init(&k->data, SHELL_MAX_OUTPUT);
		if (c->tail)
			c->tail->next = k;
		else
			c->head = k;
		c->tail = k;
	}
	if (buf_reserve(&k->data, want, &space) != ERR_OK) {
		errno = ENOMEM;
		n = -1;
	} else {
		n = read(fd, space, want);
	}
	if (n > 0) {
		buf_commit(&k->data, (size_t)n);
		c->buffered += (size_t)n;
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		/* An error ends the stream as EOF would: retrying could spin. */
		if (n < 0)
			log_warn("shell: output of command %s", c->id);
		output_eof(c, s);
	}
	if (buf_len(&k->data) == 0) {
		/* Only a fresh chunk can be empty: drop it from the tail. */
		if (prev)
			prev->next = NULL;
		else
			c->head = NULL;
		c->tail = prev;
		chunk_free(k);
	}
	command_flow(c);
	command_wake(c);
}

static void receive_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	/* The network process turns this into w:TimedOut; clients poll again. */
	receive_fail(arg, ERR_WSMAN_TIMED_OUT);
}

/* --- stdin --- */

static void stdin_close(struct command *c)
{
	if (c->in_fd < 0)
		return;
	engine_event_free(&c->ev_in);
	close(c->in_fd);
	c->in_fd = -1;
}

static void stdin_send_free(struct stdin_send *s)
{
	if (s->data) {
		/* stdin may carry passwords typed into the remote command */
		OPENSSL_cleanse(s->data, s->len);
		free(s->data);
	}
	free(s);
}

static struct stdin_send *stdin_pop(struct command *c)
{
	struct stdin_send *s = c->in_head;

	c->in_head = s->next;
	if (!c->in_head)
		c->in_tail = NULL;
	c->in_queued -= s->len;
	return s;
}

/* Answers every queued Send without writing it. */
static void stdin_drop(struct command *c, enum err status)
{
	while (c->in_head) {
		struct stdin_send *s = stdin_pop(c);
		answer(c->shell->eng, s->req_id, status, NULL);
		stdin_send_free(s);
	}
}

/* Writes queued Sends as far as the pipe takes them; a Send is answered
 * when its last byte is in the pipe, which is the backpressure clients
 * wait for. */
static void stdin_write(struct command *c)
{
	while (c->in_head) {
		struct stdin_send *s = c->in_head;
		if (s->off < s->len) {
			ssize_t n = write(c->in_fd, s->data + s->off, s->len - s->off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN) {
				event_add(c->ev_in, NULL);
				return;
			}
			if (n < 0) {
				/* EPIPE: the command closed its stdin; its input is moot. */
				stdin_close(c);
				stdin_drop(c, ERR_OK);
				return;
			}
			s->off += (size_t)n;
			continue;
		}
		stdin_pop(c);
		answer(c->shell->eng, s->req_id, ERR_OK, NULL);
		int end = s->end;
		stdin_send_free(s);
		if (end) {
			stdin_close(c);
			stdin_drop(c, ERR_OK);
			return;
		}
	}
	if (c->ev_in)
		event_del(c->ev_in);
}

static void stdin_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	stdin_write(arg);
}

/* --- commands --- */

/* Ends a command: kills whatever still runs in its process group (the
 * leader, or jobs it left in the background, as Windows ends a shell's job
 * object), answers whatever still waits on it with status, and frees it. */
static void command_release(struct command *c, enum err status)
{
	struct shell_engine *e = c->shell->eng;
	struct command **pp = &c->shell->commands;

	killpg(c->pid, SIGKILL);
	if (!c->exited)
		log_info("command %s in shell %s killed", c->id, c->shell->id);
	spawn_reap_or_defer(&e->reaper, c->pid);
	if (c->parked)
		receive_fail(c, status);
	stdin_drop(c, status);
	stdin_close(c);
	for (int s = 0; s < 2; s++)
		if (c->out_fd[s] >= 0)
			output_eof(c, s);
	while (c->head) {
		struct out_chunk *k = c->head;
		c->head = k->next;
		chunk_free(k);
	}
	engine_event_free(&c->ev_recv);
	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	free(c);
}

static void command_exited(struct command *c, const siginfo_t *si)
{
	c->exited = 1;
	c->exit_code =
	    si->si_code == CLD_EXITED ? (uint32_t)si->si_status : 128 + (uint32_t)si->si_status;
	log_info("command %s in shell %s exited with %u", c->id, c->shell->id, c->exit_code);
	/* Its input has no reader left that we answer for. */
	stdin_close(c);
	stdin_drop(c, ERR_OK);
	command_wake(c);
}

static void sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct shell_engine *e = arg;

	(void)sig, (void)what;
	/* Looks without reaping (WNOWAIT): see struct command. */
	for (struct shell *s = e->shells; s; s = s->next) {
		for (struct command *c = s->commands; c; c = c->next) {
			siginfo_t si = {0};
			if (!c->exited &&
			    waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    si.si_pid == c->pid)
				command_exited(c, &si);
		}
	}
	spawn_reap_deferred(&e->reaper);
}

/* Starts the command: the shell's $SHELL -c cmdline, or argv itself with
 * WINRS_SKIP_CMD_SHELL. */
static enum err command_spawn(struct shell *sh, struct command *c,
			      const struct shell_command_req *req, const char *cmdline)
{
	struct spawn_spec sp = {.dir = sh->working_dir};
	struct spawn_child child;
	struct spawn_failure why;
	const char *shell_path = getenv("SHELL");
	char *shell_argv[] = {NULL, "-c", (char *)cmdline, NULL};
	enum err e;

	if (req->skip_cmd_shell) {
		/* argv must end with NULL, which the request's does not. */
		if (!(sp.argv = calloc((size_t)req->argc + 1, sizeof(char *))))
			return ERR_NOMEM;
		memcpy(sp.argv, req->argv, req->argc * sizeof(char *));
		sp.file = req->argv[0];
		sp.path_search = 1;
	} else {
		if (!shell_path || shell_path[0] != '/')
			shell_path = "/bin/sh";
		shell_argv[0] = (char *)shell_path;
		sp.file = shell_path;
		sp.argv = shell_argv;
	}
	if (!(sp.envp = spawn_env_merge(sh->env, sh->nenv))) {
		e = ERR_NOMEM;
		goto out;
	}
	e = spawn_start(&sp, &child, &why);
	if (e != ERR_OK) {
		if (why.stage == SPAWN_EXEC && req->skip_cmd_shell &&
		    (why.error == ENOENT || why.error == ENOTDIR || why.error == EACCES))
			e = ERR_WSMAN_FILE_NOT_FOUND;
		goto out;
	}
	c->pid = child.pid;
	c->in_fd = child.in_fd;
	c->out_fd[SHELL_STDOUT] = child.out_fd;
	c->out_fd[SHELL_STDERR] = child.err_fd;
out:
	if (sp.argv != shell_argv)
		free(sp.argv);
	free(sp.envp);
	return e;
}

static enum err command_events(struct shell_engine *e, struct command *c)
{
	c->ev_recv = evtimer_new(e->base, receive_timeout, c);
	c->ev_in = event_new(e->base, c->in_fd, EV_WRITE | EV_PERSIST, stdin_writable, c);
	for (int s = 0; s < 2; s++)
		c->ev_out[s] =
		    event_new(e->base, c->out_fd[s], EV_READ | EV_PERSIST, output_readable, c);
	if (!c->ev_recv || !c->ev_in || !c->ev_out[0] || !c->ev_out[1])
		return ERR_NOMEM;
	command_flow(c);
	return ERR_OK;
}

/* Whether one more command would break MaxProcessesPerShell (running
 * ones) or SHELL_MAX_COMMANDS (all held ones). */
static int commands_full(const struct shell *s, uint32_t max_running)
{
	uint32_t running = 0, held = 0;

	for (const struct command *c = s->commands; c; c = c->next) {
		running += !c->exited;
		held++;
	}
	return (max_running && running >= max_running) || held >= SHELL_MAX_COMMANDS;
}

/* --- MaxMemoryPerShellMB (proctree.h) ---
 * A shell's processes are its running commands' trees. Over the quota,
 * the command whose tree holds the most is killed (exit code 137), one a
 * round: in Windows' job object the allocation that goes over fails, so
 * the command that grows is the one that fails. MaxProcessesPerShell stays
 * the number of commands running at once (commands_full). */

#define SHELL_QUOTA_MAX_ROOTS SHELL_MAX_COMMANDS

static int shell_running(const struct shell_engine *e)
{
	for (const struct shell *s = e->shells; s; s = s->next)
		for (const struct command *c = s->commands; c; c = c->next)
			if (!c->exited)
				return 1;
	return 0;
}

static void quota_arm(struct shell_engine *e)
{
	proctree_watch_run(e->quota, proctree_limit_set(e->limits.max_memory_per_shell_mb) &&
					 shell_running(e));
}

/* What the shell's running commands use, with all they started. */
static struct proctree_usage shell_usage(const struct shell *sh, const struct proctree *t)
{
	pid_t roots[SHELL_QUOTA_MAX_ROOTS];
	uint32_t n = 0;

	for (struct command *c = sh->commands; c && n < SHELL_QUOTA_MAX_ROOTS; c = c->next)
		if (!c->exited)
			roots[n++] = c->pid;
	return proctree_usage(t, roots, n);
}

static void quota_check(struct shell *sh, const struct proctree *t, uint32_t max_mb)
{
	struct command *biggest = NULL;
	uint64_t biggest_bytes = 0;
	struct proctree_usage u = shell_usage(sh, t);

	if ((u.resident_bytes >> 20) <= max_mb)
		return;
	for (struct command *c = sh->commands; c; c = c->next) {
		uint64_t bytes = c->exited ? 0 : proctree_usage(t, &c->pid, 1).resident_bytes;
		if (bytes > biggest_bytes) {
			biggest = c;
			biggest_bytes = bytes;
		}
	}
	if (!biggest)
		return;
	log_warnx("shell %s of %s: %llu MB resident in %u processes, over MaxMemoryPerShellMB %u: "
		  "command %s (%llu MB) killed",
		  sh->id, sh->eng->user, (unsigned long long)(u.resident_bytes >> 20), u.processes,
		  max_mb, biggest->id, (unsigned long long)(biggest_bytes >> 20));
	killpg(biggest->pid, SIGKILL);
}

static void quota_round(void *arg, const struct proctree *t)
{
	struct shell_engine *e = arg;

	for (struct shell *sh = e->shells; sh; sh = sh->next)
		quota_check(sh, t, e->limits.max_memory_per_shell_mb);
	quota_arm(e);
}

void shell_engine_cmd_quotes(char *line)
{
	size_t n = strlen(line);
	size_t inner = n >= 2 ? n - 2 : 0;

	if (n < 2 || line[0] != '"' || line[n - 1] != '"' || strchr(line + 1, '"') != line + n - 1)
		return;
	/* cmd's first rule: "/opt/my tools/run" stays as it is. */
	if (strcspn(line + 1, "&<>()@^|") >= inner && strcspn(line + 1, " \t") < inner) {
		char *path = strndup(line + 1, inner);
		int executable = path && access(path, X_OK) == 0;
		free(path);
		if (executable)
			return;
	}
	memmove(line, line + 1, inner);
	line[inner] = 0;
}

/* Windows joins Command and each Arguments value with single spaces. */
static enum err cmdline_join(struct buf *b, const struct shell_command_req *req)
{
	for (uint32_t i = 0; i < req->argc; i++) {
		enum err e;
		if (i > 0 && (e = buf_put_u8(b, ' ')) != ERR_OK)
			return e;
		if ((e = buf_put(b, req->argv[i], strlen(req->argv[i]))) != ERR_OK)
			return e;
	}
	return buf_terminate(b);
}

enum err shell_engine_command(struct shell_engine *e, const struct shell_command_req *req,
			      struct shell_command_reply *reply)
{
	struct command *c = NULL;
	struct shell *sh;
	enum err err = lookup(e, req->shell_id, req->command_id, &c);
	struct buf line;
	char q[LOG_QUOTE_MAX];

	if (err == ERR_WSMAN_UNKNOWN_SHELL)
		return err;
	if (c || req->argc == 0)
		return ERR_WSMAN_INVALID_PARAMETER; /* c: a client-chosen CommandId in use */
	sh = find_shell(e, req->shell_id);
	if (commands_full(sh, e->limits.max_processes_per_shell))
		return ERR_WSMAN_QUOTA_PROCESSES;
	if (!(c = calloc(1, sizeof(*c))))
		return ERR_NOMEM;
	c->shell = sh;
	c->in_fd = c->out_fd[0] = c->out_fd[1] = -1;
	err = ERR_OK;
	if (req->command_id[0])
		memcpy(c->id, req->command_id, sizeof(c->id));
	else
		err = util_guid(c->id);
	buf_init(&line, SHELL_MAX_CMDLINE);
	if (err == ERR_OK)
		err = cmdline_join(&line, req);
	/* The line goes to the user's shell as cmd /c's goes to cmd. */
	if (err == ERR_OK && !req->skip_cmd_shell)
		shell_engine_cmd_quotes((char *)buf_ptr(&line));
	if (err == ERR_OK)
		err = command_spawn(sh, c, req, (const char *)buf_ptr(&line));
	if (err == ERR_OK)
		log_info(
		    "command %s started in shell %s for %s: %s", c->id, sh->id, e->user,
		    log_quote(q, sizeof(q), buf_ptr(&line), strlen((const char *)buf_ptr(&line))));
	buf_clear(&line);
	if (err != ERR_OK) {
		free(c);
		return err;
	}
	c->next = sh->commands;
	sh->commands = c;
	if ((err = command_events(e, c)) != ERR_OK) {
		command_release(c, ERR_WSMAN_INTERNAL);
		return err;
	}
	memcpy(reply->command_id, c->id, sizeof(reply->command_id));
	quota_arm(e);
	return ERR_OK;
}

void shell_engine_send(struct shell_engine *e, uint32_t req_id, struct shell_send_req *req)
{
	struct command *c;
	struct stdin_send *s;
	enum err err = lookup(e, req->shell_id, req->command_id, &c);

	if (err != ERR_OK) {
		answer(e, req_id, err, NULL);
		return;
	}
	if (c->in_fd < 0) {
		/* Closed by End, by the command, or by its exit: nobody reads. */
		answer(e, req_id, ERR_OK, NULL);
		return;
	}
	if (req->len > SHELL_MAX_STDIN - c->in_queued) {
		answer(e, req_id, ERR_LIMIT, NULL);
		return;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		answer(e, req_id, ERR_NOMEM, NULL);
		return;
	}
	s->req_id = req_id;
	s->end = req->end != 0;
	s->data = req->data;
	s->len = req->len;
	req->data = NULL;
	req->len = 0;
	if (c->in_tail)
		c->in_tail->next = s;
	else
		c->in_head = s;
	c->in_tail = s;
	c->in_queued += s->len;
	stdin_write(c);
}

void shell_engine_receive(struct shell_engine *e, uint32_t req_id,
			  const struct shell_receive_req *req)
{
	struct command *c;
	enum err err = lookup(e, req->shell_id, req->command_id, &c);

	if (err == ERR_OK && req->max_bytes == 0)
		err = ERR_WSMAN_MAX_ENVELOPE; /* no room for any output: it could never finish */
	if (err != ERR_OK) {
		answer(e, req_id, err, NULL);
		return;
	}
	/* One long poll per command: the newer one takes over. */
	if (c->parked)
		receive_fail(c, ERR_WSMAN_TIMED_OUT);
	c->parked = 1;
	c->recv_id = req_id;
	c->recv_max = req->max_bytes;
	if (c->head || command_finished(c))
		receive_answer(c);
	else
		engine_timer_arm(c->ev_recv, req->timeout_ms);
}

void shell_engine_cancel(struct shell_engine *e, uint32_t req_id)
{
	for (struct shell *s = e->shells; s; s = s->next)
		for (struct command *c = s->commands; c; c = c->next)
			if (c->parked && c->recv_id == req_id) {
				c->parked = 0;
				evtimer_del(c->ev_recv);
				return;
			}
}

enum err shell_engine_signal(struct shell_engine *e, const struct shell_signal_req *req)
{
	struct command *c;
	enum err err = lookup(e, req->shell_id, req->command_id, &c);

	if (err != ERR_OK)
		return err;
	switch (req->signal) {
	case SHELL_SIGNAL_TERMINATE:
		if (c->parked) {
			if (command_finished(c))
				receive_answer(c);
			else
				receive_fail(c, ERR_WSMAN_TIMED_OUT);
		}
		command_release(c, ERR_OK);
		return ERR_OK;
	case SHELL_SIGNAL_CTRL_C:
		if (!c->exited)
			killpg(c->pid, SIGINT);
		return ERR_OK;
	case SHELL_SIGNAL_CTRL_BREAK:
		if (!c->exited)
			killpg(c->pid, SIGQUIT);
		return ERR_OK;
	default:
		return ERR_WSMAN_INVALID_PARAMETER;
	}
}

/* --- shells --- */

static void free_shell(struct shell *sh)
{
	engine_event_free(&sh->ev_idle);
	engine_event_free(&sh->ev_runtime);
	for (uint32_t i = 0; i < sh->nenv; i++)
		free(sh->env[i]);
	free(sh->env);
	free(sh->working_dir);
	free(sh->client_ip);
	free(sh);
}

static void destroy_shell(struct shell *sh, const char *reason, enum err status)
{
	struct shell_engine *e = sh->eng;
	struct shell **pp = &e->shells;

	while (sh->commands)
		command_release(sh->commands, status);
	while (*pp != sh)
		pp = &(*pp)->next;
	*pp = sh->next;
	e->nshells--;
	log_info("shell %s of %s deleted: %s", sh->id, e->user, reason);
	free_shell(sh);
}

static void idle_expired(evutil_socket_t fd, short what, void *arg)
{
	struct shell *sh = arg;
	struct shell_engine *e = sh->eng;

	(void)fd, (void)what;
	/* A pending long poll is activity (WSMAN_CMDSHELL_OPTION_KEEPALIVE). */
	for (struct command *c = sh->commands; c; c = c->next) {
		if (c->parked) {
			engine_timer_arm(sh->ev_idle, sh->idle_ms);
			return;
		}
	}
	destroy_shell(sh, "idle", ERR_WSMAN_UNKNOWN_SHELL);
	e->ended(e->arg, e->nshells);
}

static void runtime_expired(evutil_socket_t fd, short what, void *arg)
{
	struct shell *sh = arg;
	struct shell_engine *e = sh->eng;

	(void)fd, (void)what;
	destroy_shell(sh, "run time", ERR_WSMAN_UNKNOWN_SHELL);
	e->ended(e->arg, e->nshells);
}

static void arm_runtime(struct shell *sh)
{
	uint64_t max = sh->eng->limits.max_shell_run_time_ms;
	uint64_t age = util_now_ms() - sh->created_ms;

	if (max == 0)
		evtimer_del(sh->ev_runtime);
	else
		engine_timer_arm(sh->ev_runtime, max > age ? max - age : 0);
}

/* The variables as "NAME=value", a later duplicate replacing the earlier. */
static enum err set_env(struct shell *sh, const struct shell_create_req *req)
{
	if (!(sh->env = calloc(req->nenv ? req->nenv : 1, sizeof(char *))))
		return ERR_NOMEM;
	for (uint32_t i = 0; i < req->nenv; i++) {
		const char *name = req->env_names[i], *value = req->env_values[i];
		size_t nlen = strlen(name), len = nlen + strlen(value) + 2;
		uint32_t j;
		char *v;

		if (nlen == 0 || strchr(name, '='))
			return ERR_WSMAN_INVALID_PARAMETER;
		if (!(v = malloc(len)))
			return ERR_NOMEM;
		snprintf(v, len, "%s=%s", name, value);
		for (j = 0; j < sh->nenv; j++)
			if (strncmp(sh->env[j], v, nlen + 1) == 0)
				break;
		if (j < sh->nenv)
			free(sh->env[j]);
		else
			sh->nenv++;
		sh->env[j] = v;
	}
	return ERR_OK;
}

static enum err set_dir(struct shell *sh, const char *dir)
{
	struct stat st;

	if (!dir) {
		dir = getenv("HOME");
		if (!dir || !*dir)
			dir = "/";
	}
	/* Windows checks that the directory exists; so do we, and keep it
	 * absolute so the commands do not depend on the host's own cwd. */
	if (!(sh->working_dir = realpath(dir, NULL)))
		return errno == ENOMEM ? ERR_NOMEM : ERR_WSMAN_INVALID_PARAMETER;
	if (stat(sh->working_dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    access(sh->working_dir, X_OK) < 0)
		return ERR_WSMAN_INVALID_PARAMETER;
	return ERR_OK;
}

enum err shell_engine_create(struct shell_engine *e, const struct shell_create_req *req,
			     struct shell_create_reply *reply)
{
	uint64_t idle = req->idle_timeout_ms, max_idle = e->limits.idle_timeout_ms;
	struct shell *sh;
	enum err err;
	char q[LOG_QUOTE_MAX];

	if ((e->limits.max_shells_per_user && e->nshells >= e->limits.max_shells_per_user) ||
	    e->nshells >= SHELL_MAX_SHELLS)
		return ERR_WSMAN_QUOTA_SHELLS;
	if (!(sh = calloc(1, sizeof(*sh))))
		return ERR_NOMEM;
	sh->eng = e;
	sh->created_ms = sh->active_ms = util_now_ms();
	/* Winrs/IdleTimeout is both the default and the most a client gets. */
	if (max_idle && (idle == 0 || idle > max_idle))
		idle = max_idle;
	sh->idle_ms = idle;
	if ((err = util_guid(sh->id)) != ERR_OK ||
	    (err = set_dir(sh, req->working_dir)) != ERR_OK || (err = set_env(sh, req)) != ERR_OK)
		goto fail;
	sh->ev_idle = evtimer_new(e->base, idle_expired, sh);
	sh->ev_runtime = evtimer_new(e->base, runtime_expired, sh);
	if ((req->client_ip && !(sh->client_ip = strdup(req->client_ip))) || !sh->ev_idle ||
	    !sh->ev_runtime) {
		err = ERR_NOMEM;
		goto fail;
	}
	sh->next = e->shells;
	e->shells = sh;
	e->nshells++;
	if (sh->idle_ms)
		engine_timer_arm(sh->ev_idle, sh->idle_ms);
	arm_runtime(sh);
	log_info("shell %s created for %s from %s", sh->id, e->user, quote(q, sh->client_ip));
	memcpy(reply->shell_id, sh->id, sizeof(reply->shell_id));
	reply->idle_timeout_ms = sh->idle_ms;
	return ERR_OK;
fail:
	free_shell(sh);
	return err;
}

enum err shell_engine_delete(struct shell_engine *e, const struct shell_delete_req *req)
{
	struct shell *sh = find_shell(e, req->shell_id);

	if (!sh)
		return ERR_WSMAN_UNKNOWN_SHELL;
	destroy_shell(sh, "client", ERR_WSMAN_UNKNOWN_SHELL);
	return ERR_OK;
}

/* --- engine --- */

struct shell_engine *shell_engine_new(struct event_base *base, shell_engine_answer_fn *fn,
				      shell_engine_ended_fn *ended, void *arg)
{
	struct shell_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->base = base;
	e->answer = fn;
	e->ended = ended;
	e->arg = arg;
	e->limits = shell_default_limits;
	engine_user_name(e->user, sizeof(e->user));
	if (!(e->quota = proctree_watch_new(base, quota_round, e)) ||
	    !(e->ev_chld = evsignal_new(base, SIGCHLD, sigchld, e)) ||
	    evsignal_add(e->ev_chld, NULL) < 0) {
		if (e->ev_chld)
			event_free(e->ev_chld);
		proctree_watch_free(e->quota);
		free(e);
		return NULL;
	}
	return e;
}

void shell_engine_free(struct shell_engine *e)
{
	if (!e)
		return;
	e->answer = NULL;
	while (e->shells)
		destroy_shell(e->shells, "channel closed", ERR_WSMAN_HOST_GONE);
	event_free(e->ev_chld);
	proctree_watch_free(e->quota);
	free(e);
}

void shell_engine_set_limits(struct shell_engine *e, const struct shell_limits *l)
{
	e->limits = *l;
	for (struct shell *sh = e->shells; sh; sh = sh->next)
		arm_runtime(sh);
	quota_arm(e);
}

uint32_t shell_engine_shells(const struct shell_engine *e)
{
	return e->nshells;
}

/* A cmd shell as Enumerate shows it: no endpoint (that is how the item
 * says cmd), the host's process, what its commands use. */
static void summarize(const struct shell *sh, const struct proctree *t, uint64_t now,
		      struct shell_summary *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->shell_id, sh->id, sizeof(s->shell_id));
	snprintf(s->name, sizeof(s->name), "%s", sh->id);
	snprintf(s->owner, sizeof(s->owner), "%s", sh->eng->user);
	snprintf(s->client_ip, sizeof(s->client_ip), "%s", sh->client_ip ? sh->client_ip : "");
	s->process_id = (uint32_t)getpid();
	s->buffer_mode = SHELL_BUFFER_BLOCK;
	s->compression = SHELL_COMPRESSION_NONE;
	s->idle_timeout_ms = sh->idle_ms;
	s->run_ms = now - sh->created_ms;
	s->inactive_ms = now - sh->active_ms;
	s->memory_bytes = t ? shell_usage(sh, t).resident_bytes : 0;
}

enum err shell_engine_list(struct shell_engine *e, const struct shell_list_req *req,
			   struct shell_list_reply *reply)
{
	uint64_t now = util_now_ms();
	struct shell *sh;

	if (!*req->shell_id) {
		struct proctree *t = e->shells ? proctree_snapshot() : NULL;
		for (sh = e->shells; sh && reply->nshells < SHELL_MAX_LISTED; sh = sh->next)
			summarize(sh, t, now, &reply->shells[reply->nshells++]);
		proctree_free(t);
		return ERR_OK;
	}
	if (!(sh = find_shell(e, req->shell_id)))
		return ERR_WSMAN_UNKNOWN_SHELL;
	for (struct command *c = sh->commands; c && reply->ncommands < SHELL_MAX_LISTED;
	     c = c->next) {
		struct shell_command_summary *s = &reply->commands[reply->ncommands++];
		memcpy(s->command_id, c->id, sizeof(s->command_id));
		s->done = (uint32_t)command_finished(c);
	}
	return ERR_OK;
}
