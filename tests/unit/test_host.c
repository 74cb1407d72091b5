/* Unit tests for host: a forked child runs host_main on one end of an IPC
 * socketpair and this process plays the network process. Every wait is
 * bounded in time, every loop in count. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/util.h"
#include "host/host.h"
#include "ipc/ipc.h"
#include "shell/shell_ipc.h"
#include "shell/shell_ops.h"
#include "check.h"

#define WAIT_MS 10000 /* the longest any single reply may take */
#define MAX_STASH 16  /* replies that arrived while waiting for another */
#define UNKNOWN_ID "11111111-2222-4333-8444-555555555555"

struct net {
	struct ipc_peer peer;
	pid_t host;
	uint32_t next_id;
	struct ipc_msg stash[MAX_STASH];
	int nstash;
};

static struct net net;

static void start_host(void)
{
	int sv[2];
	pid_t me = getpid();

	if (ipc_socketpair(sv) < 0) {
		perror("socketpair");
		exit(2);
	}
	/* Commands run under $SHELL; make it the same everywhere. */
	setenv("SHELL", "/bin/sh", 1);
	fflush(stdout);
	net.host = fork();
	if (net.host < 0) {
		perror("fork");
		exit(2);
	}
	if (net.host == 0) {
		close(sv[0]);
		exit(
		    host_main(sv[1], getuid(), me, 1, 0)); /* exit: LeakSanitizer checks the host */
	}
	close(sv[1]);
	ipc_peer_init(&net.peer, sv[0], IPC_ROLE_NET, IPC_ROLE_HOST, getuid(), net.host);
	net.next_id = 1;
}

static uint32_t request(uint32_t type, const struct buf *body)
{
	uint32_t id = net.next_id++;

	if (ipc_send(&net.peer, type, id, body, NULL, 0) != ERR_OK) {
		printf("# cannot send %s\n", ipc_type_name(type));
		return 0;
	}
	return id;
}

/* The reply to id, or ERR_IO after timeout_ms; the caller clears *m. */
static enum err wait_reply(uint32_t id, int timeout_ms, struct ipc_msg *m)
{
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;

	for (int i = 0; i < net.nstash; i++) {
		if (net.stash[i].id == id) {
			*m = net.stash[i];
			net.stash[i] = net.stash[--net.nstash];
			return ERR_OK;
		}
	}
	for (int rounds = 0; rounds < 100000; rounds++) {
		struct pollfd pfd = {.fd = net.peer.fd, .events = POLLIN};
		uint64_t now = util_now_ms();
		enum err e;

		if (ipc_pending(&net.peer)) {
			pfd.events |= POLLOUT;
			ipc_flush(&net.peer);
		}
		e = ipc_recv(&net.peer, m);
		if (e == ERR_OK) {
			if (m->type == IPC_SHELL_REPLY && m->id == id)
				return ERR_OK;
			if (net.nstash < MAX_STASH)
				net.stash[net.nstash++] = *m;
			else
				ipc_msg_clear(m);
			continue;
		}
		if (e != ERR_INCOMPLETE)
			return e;
		if (now >= deadline)
			return ERR_IO;
		poll(&pfd, 1, (int)(deadline - now));
	}
	return ERR_IO;
}

/* IPC_SHELL_REQUEST for operation op; its request id (0 if not sent). */
static uint32_t ask(enum shell_op_id op, const void *req)
{
	struct buf b;
	uint32_t id = 0;

	buf_init(&b, IPC_MAX_MSG);
	if (shell_op_request_encode(&b, shell_op_at(op), req) == ERR_OK)
		id = request(IPC_SHELL_REQUEST, &b);
	buf_clear(&b);
	return id;
}

/* The status of the reply to request id of op (ERR_IO if none came) and,
 * when it is ERR_OK, op's typed reply in reply (views into *m for a
 * Receive: the caller clears *m after using it). */
static enum err status_of(enum shell_op_id op, uint32_t id, int timeout_ms, struct ipc_msg *m,
			  void *reply)
{
	enum err st;

	if (wait_reply(id, timeout_ms, m) != ERR_OK) {
		memset(m, 0, sizeof(*m));
		return ERR_IO;
	}
	if (shell_op_reply_decode(&m->body, shell_op_at(op), &st, reply) != ERR_OK)
		return ERR_INTERNAL;
	return st;
}

/* The status of an operation answered with a status alone. */
static enum err simple_reply(enum shell_op_id op, uint32_t id)
{
	struct ipc_msg m;
	enum err st = status_of(op, id, WAIT_MS, &m, NULL);

	ipc_msg_clear(&m);
	return st;
}

static void settings(uint32_t shells, uint32_t procs, uint64_t idle, uint64_t runtime)
{
	struct shell_limits l = {shells, procs, idle, runtime, 0};
	struct buf b;

	buf_init(&b, IPC_MAX_MSG);
	shell_ipc_limits_encode(&b, &l);
	request(IPC_HOST_SETTINGS, &b);
	buf_clear(&b);
}

static enum err create_shell(const char *dir, uint64_t idle, const char *env_name,
			     const char *env_value, struct shell_create_reply *rep)
{
	char *names[1] = {(char *)env_name}, *values[1] = {(char *)env_value};
	struct shell_create_req req = {.working_dir = (char *)dir,
				       .idle_timeout_ms = idle,
				       .codepage = 437,
				       .client_ip = "192.0.2.7",
				       .nenv = env_name ? 1 : 0,
				       .env_names = names,
				       .env_values = values};
	struct ipc_msg m;
	enum err st = status_of(SHELL_CMD_CREATE, ask(SHELL_CMD_CREATE, &req), WAIT_MS, &m, rep);

	ipc_msg_clear(&m);
	return st;
}

static enum err run(const char *sid, const char *want_cid, int skip, uint32_t argc, char **argv,
		    char cid[SHELL_ID_LEN + 1])
{
	struct shell_command_req req = {
	    .skip_cmd_shell = (uint32_t)skip, .argc = argc, .argv = argv};
	struct shell_command_reply rep;
	struct ipc_msg m;
	enum err st;

	snprintf(req.shell_id, sizeof(req.shell_id), "%s", sid);
	snprintf(req.command_id, sizeof(req.command_id), "%s", want_cid ? want_cid : "");
	st = status_of(SHELL_CMD_COMMAND, ask(SHELL_CMD_COMMAND, &req), WAIT_MS, &m, &rep);
	if (st == ERR_OK)
		memcpy(cid, rep.command_id, SHELL_ID_LEN + 1);
	ipc_msg_clear(&m);
	return st;
}

static enum err run_sh(const char *sid, const char *line, char cid[SHELL_ID_LEN + 1])
{
	char *argv[1] = {(char *)line};
	return run(sid, NULL, 0, 1, argv, cid);
}

static uint32_t send_receive(const char *sid, const char *cid, uint64_t timeout_ms,
			     uint32_t max_bytes)
{
	struct shell_receive_req req = {.timeout_ms = timeout_ms, .max_bytes = max_bytes};
	uint32_t id;

	snprintf(req.shell_id, sizeof(req.shell_id), "%s", sid);
	snprintf(req.command_id, sizeof(req.command_id), "%s", cid);
	id = ask(SHELL_CMD_RECEIVE, &req);
	return id;
}

static uint32_t send_stdin(const char *sid, const char *cid, const void *data, size_t len, int end)
{
	struct shell_send_req req = {.end = (uint32_t)end, .data = (uint8_t *)data, .len = len};
	uint32_t id;

	snprintf(req.shell_id, sizeof(req.shell_id), "%s", sid);
	snprintf(req.command_id, sizeof(req.command_id), "%s", cid);
	id = ask(SHELL_CMD_SEND, &req);
	return id;
}

static enum err sig(const char *sid, const char *cid, uint32_t signal)
{
	struct shell_signal_req req = {.signal = signal};
	uint32_t id;

	snprintf(req.shell_id, sizeof(req.shell_id), "%s", sid);
	snprintf(req.command_id, sizeof(req.command_id), "%s", cid);
	id = ask(SHELL_CMD_SIGNAL, &req);
	return simple_reply(SHELL_CMD_SIGNAL, id);
}

static uint32_t send_delete(const char *sid)
{
	struct shell_delete_req req;
	uint32_t id;

	snprintf(req.shell_id, sizeof(req.shell_id), "%s", sid);
	id = ask(SHELL_CMD_DELETE, &req);
	return id;
}

/* What a series of Receives gathered. */
struct output {
	struct buf out, err;
	int done;
	uint32_t exit_code;
	int replies;
	size_t largest;	 /* most data bytes in one reply */
	uint32_t chunks; /* most chunks in one reply */
	int ends_ok;	 /* stdout_end and stderr_end were set with done */
	enum err last;	 /* status of the last reply */
};

static void output_init(struct output *o)
{
	memset(o, 0, sizeof(*o));
	buf_init(&o->out, 16 * 1024 * 1024);
	buf_init(&o->err, 16 * 1024 * 1024);
}

static void output_clear(struct output *o)
{
	buf_clear(&o->out);
	buf_clear(&o->err);
}

/* Adds one Receive reply to o; returns its status. */
static enum err take_reply(uint32_t id, int timeout_ms, struct output *o)
{
	struct shell_receive_reply r;
	struct ipc_msg m;
	enum err st = status_of(SHELL_CMD_RECEIVE, id, timeout_ms, &m, &r);

	o->last = st;
	if (st == ERR_OK) {
		size_t total = 0;
		for (uint32_t i = 0; i < r.nchunks; i++) {
			buf_put(r.chunks[i].stream == SHELL_STDOUT ? &o->out : &o->err,
				r.chunks[i].data, r.chunks[i].len);
			total += r.chunks[i].len;
		}
		if (total > o->largest)
			o->largest = total;
		if (r.nchunks > o->chunks)
			o->chunks = r.nchunks;
		o->replies++;
		if (r.done) {
			o->done = 1;
			o->exit_code = r.exit_code;
			o->ends_ok = r.stdout_end && r.stderr_end;
		}
	}
	ipc_msg_clear(&m);
	return st;
}

/* Receives until Done, polling through time-outs; at most 2000 replies
 * and 30 seconds. */
static void collect(const char *sid, const char *cid, uint32_t max_bytes, struct output *o)
{
	uint64_t deadline = util_now_ms() + 30000;

	for (int i = 0; i < 2000 && !o->done && util_now_ms() < deadline; i++) {
		enum err st = take_reply(send_receive(sid, cid, 5000, max_bytes), WAIT_MS, o);
		if (st != ERR_OK && st != ERR_WSMAN_TIMED_OUT)
			return;
	}
}

static int out_is(const struct buf *b, const char *s)
{
	return buf_len(b) == strlen(s) && memcmp(buf_ptr(b), s, strlen(s)) == 0;
}

/* Reads the first line of stdout (the command prints its pid there). */
static pid_t read_pid(const char *sid, const char *cid)
{
	struct output o;
	uint64_t v = 0;
	pid_t pid = -1;

	output_init(&o);
	for (int i = 0; i < 20 && !memchr(buf_ptr(&o.out), '\n', buf_len(&o.out)); i++)
		if (take_reply(send_receive(sid, cid, 5000, 60000), WAIT_MS, &o) != ERR_OK)
			break;
	const char *nl = memchr(buf_ptr(&o.out), '\n', buf_len(&o.out));
	if (nl) {
		char tmp[32];
		size_t n = (size_t)(nl - (const char *)buf_ptr(&o.out));
		if (n < sizeof(tmp)) {
			memcpy(tmp, buf_ptr(&o.out), n);
			tmp[n] = 0;
			if (util_parse_u64(tmp, INT32_MAX, &v) == ERR_OK)
				pid = (pid_t)v;
		}
	}
	output_clear(&o);
	return pid;
}

/* 1 once pid no longer exists (or, with zombie_ok, is dead but unreaped),
 * within 5 s. */
static int process_gone(pid_t pid, int zombie_ok)
{
	for (int i = 0; i < 500; i++) {
		char path[64], state[256];
		FILE *f;

		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 1;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((f = fopen(path, "r"))) {
			size_t n = fread(state, 1, sizeof(state) - 1, f);
			fclose(f);
			state[n] = 0;
			const char *p = strrchr(state, ')');
			if (zombie_ok && p && p[1] == ' ' && p[2] == 'Z')
				return 1;
		}
		usleep(10000);
	}
	return 0;
}

static void test_basic(const char *sid)
{
	char cid[SHELL_ID_LEN + 1];
	struct output o;

	output_init(&o);
	CHECK("command: started", run_sh(sid, "echo hello; echo err >&2; exit 3", cid) == ERR_OK);
	CHECK("command: id is a GUID", util_is_guid(cid));
	collect(sid, cid, 60000, &o);
	CHECK("command: done", o.done);
	CHECK("command: stdout", out_is(&o.out, "hello\n"));
	CHECK("command: stderr", out_is(&o.err, "err\n"));
	CHECK("command: exit code 3", o.exit_code == 3);
	CHECK("command: both streams ended with done", o.ends_ok);
	output_clear(&o);

	/* After Done the command stays until terminate, answering Done again. */
	output_init(&o);
	CHECK("receive after done: ok",
	      take_reply(send_receive(sid, cid, 1000, 60000), WAIT_MS, &o) == ERR_OK);
	CHECK("receive after done: done again, no output",
	      o.done && o.exit_code == 3 && buf_len(&o.out) == 0 && buf_len(&o.err) == 0);
	output_clear(&o);
	CHECK("terminate after done: ok", sig(sid, cid, SHELL_SIGNAL_TERMINATE) == ERR_OK);
	output_init(&o);
	CHECK("receive after terminate: unknown command",
	      take_reply(send_receive(sid, cid, 1000, 60000), WAIT_MS, &o) ==
		  ERR_WSMAN_UNKNOWN_COMMAND);
	output_clear(&o);
	CHECK("terminate again: unknown command",
	      sig(sid, cid, SHELL_SIGNAL_TERMINATE) == ERR_WSMAN_UNKNOWN_COMMAND);
}

/* Output is kept in production order, adjacent bytes of one stream as
 * one chunk however many writes made them. */
static void test_chunks(const char *sid)
{
	char cid[SHELL_ID_LEN + 1];
	struct output o;
	struct ipc_msg m;
	struct shell_receive_reply r;
	enum err st;

	CHECK("chunks: started", run_sh(sid,
					"printf a; printf b; sleep 0.1; printf c >&2; sleep 0.1; "
					"printf d; printf e; exec sleep 30",
					cid) == ERR_OK);
	usleep(500 * 1000);
	st = status_of(SHELL_CMD_RECEIVE, send_receive(sid, cid, 5000, 60000), WAIT_MS, &m, &r);
	CHECK("chunks: reply", st == ERR_OK);
	CHECK("chunks: three, in order",
	      st == ERR_OK && r.nchunks == 3 && r.chunks[0].stream == SHELL_STDOUT &&
		  r.chunks[0].len == 2 && memcmp(r.chunks[0].data, "ab", 2) == 0 &&
		  r.chunks[1].stream == SHELL_STDERR && r.chunks[1].len == 1 &&
		  r.chunks[2].stream == SHELL_STDOUT && r.chunks[2].len == 2 &&
		  memcmp(r.chunks[2].data, "de", 2) == 0);
	CHECK("chunks: running, streams open",
	      st == ERR_OK && !r.done && !r.stdout_end && !r.stderr_end);
	ipc_msg_clear(&m);

	/* max_bytes cuts inside a chunk; the rest follows in the next reply. */
	CHECK("chunks: terminate", sig(sid, cid, SHELL_SIGNAL_TERMINATE) == ERR_OK);
	output_init(&o);
	CHECK("chunks: second command", run_sh(sid, "printf 0123456789", cid) == ERR_OK);
	usleep(200 * 1000);
	take_reply(send_receive(sid, cid, 5000, 4), WAIT_MS, &o);
	CHECK("chunks: max_bytes honoured", out_is(&o.out, "0123") && !o.done);
	collect(sid, cid, 4, &o);
	CHECK("chunks: the rest in order",
	      out_is(&o.out, "0123456789") && o.done && o.largest == 4);
	output_clear(&o);
	sig(sid, cid, SHELL_SIGNAL_TERMINATE);
}

static void test_stdin(const char *sid)
{
	char cid[SHELL_ID_LEN + 1];
	struct output o;

	output_init(&o);
	CHECK("stdin: cat started", run_sh(sid, "cat", cid) == ERR_OK);
	CHECK("stdin: first send",
	      simple_reply(SHELL_CMD_SEND, send_stdin(sid, cid, "line 1\n", 7, 0)) == ERR_OK);
	CHECK("stdin: second send with end",
	      simple_reply(SHELL_CMD_SEND, send_stdin(sid, cid, "line 2\n", 7, 1)) == ERR_OK);
	CHECK("stdin: send after end is dropped",
	      simple_reply(SHELL_CMD_SEND, send_stdin(sid, cid, "x", 1, 0)) == ERR_OK);
	collect(sid, cid, 60000, &o);
	CHECK("stdin: cat echoed it", out_is(&o.out, "line 1\nline 2\n"));
	CHECK("stdin: cat exited 0", o.done && o.exit_code == 0);
	output_clear(&o);
	sig(sid, cid, SHELL_SIGNAL_TERMINATE);

	/* A Send is answered only once its bytes are in the pipe: the reader
	 * sleeps first, and the pipe holds less than this. */
	static uint8_t big[150000];
	memset(big, 'z', sizeof(big));
	output_init(&o);
	CHECK("stdin backpressure: started", run_sh(sid, "sleep 1; wc -c", cid) == ERR_OK);
	uint64_t t0 = util_now_ms();
	uint32_t id = send_stdin(sid, cid, big, sizeof(big), 1);
	struct ipc_msg m;
	enum err early = wait_reply(id, 300, &m);
	if (early == ERR_OK)
		ipc_msg_clear(&m);
	CHECK("stdin backpressure: no reply while the pipe is full", early == ERR_IO);
	CHECK("stdin backpressure: reply once read",
	      simple_reply(SHELL_CMD_SEND, id) == ERR_OK && util_now_ms() - t0 >= 500);
	collect(sid, cid, 60000, &o);
	CHECK("stdin backpressure: every byte arrived", out_is(&o.out, "150000\n"));
	output_clear(&o);
	sig(sid, cid, SHELL_SIGNAL_TERMINATE);
}

static void test_big_output(const char *sid)
{
	char cid[SHELL_ID_LEN + 1];
	struct output o;
	int zeros = 1;

	output_init(&o);
	CHECK("5 MB: started", run_sh(sid, "head -c 5000000 /dev/zero", cid) == ERR_OK);
	collect(sid, cid, 60000, &o);
	for (size_t i = 0; i < buf_len(&o.out); i++)
		zeros &= buf_ptr(&o.out)[i] == 0;
	CHECK("5 MB: arrives whole", buf_len(&o.out) == 5000000 && zeros);
	CHECK("5 MB: no reply above max_bytes", o.largest <= 60000 && o.replies >= 5000000 / 60000);
	CHECK("5 MB: done, exit 0", o.done && o.exit_code == 0);
	output_clear(&o);
	sig(sid, cid, SHELL_SIGNAL_TERMINATE);
}

static void test_timeout_and_signals(const char *sid)
{
	char cid[SHELL_ID_LEN + 1];
	struct output o;
	uint64_t t0;

	output_init(&o);
	CHECK("timeout: sleep started", run_sh(sid, "sleep 5", cid) == ERR_OK);
	t0 = util_now_ms();
	CHECK("timeout: receive times out",
	      take_reply(send_receive(sid, cid, 300, 60000), WAIT_MS, &o) == ERR_WSMAN_TIMED_OUT);
	CHECK("timeout: after about 300 ms",
	      util_now_ms() - t0 >= 250 && util_now_ms() - t0 < 3000);

	/* A second long poll on the command ends the first one. */
	uint32_t first = send_receive(sid, cid, 20000, 60000);
	uint32_t second = send_receive(sid, cid, 20000, 60000);
	CHECK("two receives: the older times out",
	      take_reply(first, 3000, &o) == ERR_WSMAN_TIMED_OUT);
	/* terminate answers the parked one before releasing the command. */
	CHECK("terminate running: ok", sig(sid, cid, SHELL_SIGNAL_TERMINATE) == ERR_OK);
	CHECK("terminate running: parked receive answered",
	      take_reply(second, 3000, &o) == ERR_WSMAN_TIMED_OUT);
	output_clear(&o);

	/* Run sleep itself: a shell started with -c may catch a SIGINT that
	 * comes before it forked the job, and then wait the job out. */
	char *sleep_argv[] = {"sleep", "30"};
	output_init(&o);
	CHECK("ctrl_c: sleep 30 started", run(sid, NULL, 1, 2, sleep_argv, cid) == ERR_OK);
	CHECK("ctrl_c: signal ok", sig(sid, cid, SHELL_SIGNAL_CTRL_C) == ERR_OK);
	t0 = util_now_ms();
	collect(sid, cid, 60000, &o);
	CHECK("ctrl_c: exit code 130", o.done && o.exit_code == 130);
	CHECK("ctrl_c: promptly", util_now_ms() - t0 < 5000);
	output_clear(&o);
	sig(sid, cid, SHELL_SIGNAL_TERMINATE);

	output_init(&o);
	CHECK("ctrl_break: sleep 30 started", run(sid, NULL, 1, 2, sleep_argv, cid) == ERR_OK);
	CHECK("ctrl_break: signal ok", sig(sid, cid, SHELL_SIGNAL_CTRL_BREAK) == ERR_OK);
	collect(sid, cid, 60000, &o);
	CHECK("ctrl_break: exit code 131 (SIGQUIT)", o.done && o.exit_code == 131);
	output_clear(&o);
	CHECK("unknown signal code: invalid parameter",
	      sig(sid, cid, 99) == ERR_WSMAN_INVALID_PARAMETER);
	sig(sid, cid, SHELL_SIGNAL_TERMINATE);
}

/* IPC_SHELL_CANCEL of a parked Receive (its client went away): no answer
 * to it, and the output it would have carried goes to the next. */
static void test_cancel(const char *sid)
{
	char cid[SHELL_ID_LEN + 1];
	struct buf none;
	struct ipc_msg m;
	struct output o;

	output_init(&o);
	CHECK("cancel: command started",
	      run_sh(sid, "sleep 0.5; echo late; exit 3", cid) == ERR_OK);
	uint32_t parked = send_receive(sid, cid, 20000, 60000);
	buf_init(&none, 0);
	CHECK("cancel: sent",
	      ipc_send(&net.peer, IPC_SHELL_CANCEL, parked, &none, NULL, 0) == ERR_OK);
	buf_clear(&none);
	enum err answered = wait_reply(parked, 1500, &m);
	CHECK("cancel: the parked Receive is not answered", answered == ERR_IO);
	if (answered == ERR_OK)
		ipc_msg_clear(&m);
	collect(sid, cid, 60000, &o);
	CHECK("cancel: the next Receive gets the output and the exit code",
	      o.done && o.exit_code == 3 && out_is(&o.out, "late\n"));
	output_clear(&o);
	sig(sid, cid, SHELL_SIGNAL_TERMINATE);
}

static void test_skip_cmd_shell(const char *sid)
{
	char cid[SHELL_ID_LEN + 1];
	char *missing[] = {"/nonexistent"};
	char *printf_argv[] = {"printf", "%s|", "a b", "$HOME"};
	struct output o;

	CHECK("skip_cmd_shell: missing file",
	      run(sid, NULL, 1, 1, missing, cid) == ERR_WSMAN_FILE_NOT_FOUND);
	output_init(&o);
	CHECK("skip_cmd_shell: printf via PATH", run(sid, NULL, 1, 4, printf_argv, cid) == ERR_OK);
	collect(sid, cid, 60000, &o);
	CHECK("skip_cmd_shell: arguments are not re-split or expanded",
	      out_is(&o.out, "a b|$HOME|"));
	output_clear(&o);
	sig(sid, cid, SHELL_SIGNAL_TERMINATE);

	/* Without it, Command and Arguments are joined with spaces for $SHELL -c. */
	char *joined[] = {"echo", "one", "two"};
	output_init(&o);
	CHECK("cmd shell: joined arguments", run(sid, NULL, 0, 3, joined, cid) == ERR_OK);
	collect(sid, cid, 60000, &o);
	CHECK("cmd shell: output", out_is(&o.out, "one two\n"));
	output_clear(&o);
	sig(sid, cid, SHELL_SIGNAL_TERMINATE);

	char *nothere[] = {"/nonexistent"};
	output_init(&o);
	CHECK("cmd shell: missing command still starts the shell",
	      run(sid, NULL, 0, 1, nothere, cid) == ERR_OK);
	collect(sid, cid, 60000, &o);
	CHECK("cmd shell: the shell reports 127",
	      o.done && o.exit_code == 127 && buf_len(&o.err) > 0);
	output_clear(&o);
	sig(sid, cid, SHELL_SIGNAL_TERMINATE);
}

static void test_unknown_ids(const char *sid)
{
	char cid[SHELL_ID_LEN + 1];
	struct output o;

	output_init(&o);
	CHECK("unknown shell: command", run_sh(UNKNOWN_ID, "true", cid) == ERR_WSMAN_UNKNOWN_SHELL);
	CHECK("unknown shell: receive", take_reply(send_receive(UNKNOWN_ID, UNKNOWN_ID, 100, 100),
						   WAIT_MS, &o) == ERR_WSMAN_UNKNOWN_SHELL);
	CHECK("unknown shell: send",
	      simple_reply(SHELL_CMD_SEND, send_stdin(UNKNOWN_ID, UNKNOWN_ID, "x", 1, 0)) ==
		  ERR_WSMAN_UNKNOWN_SHELL);
	CHECK("unknown shell: signal",
	      sig(UNKNOWN_ID, UNKNOWN_ID, SHELL_SIGNAL_TERMINATE) == ERR_WSMAN_UNKNOWN_SHELL);
	CHECK("unknown shell: delete",
	      simple_reply(SHELL_CMD_DELETE, send_delete(UNKNOWN_ID)) == ERR_WSMAN_UNKNOWN_SHELL);
	CHECK("empty shell id: delete",
	      simple_reply(SHELL_CMD_DELETE, send_delete("")) == ERR_WSMAN_UNKNOWN_SHELL);
	CHECK("unknown command: receive", take_reply(send_receive(sid, UNKNOWN_ID, 100, 100),
						     WAIT_MS, &o) == ERR_WSMAN_UNKNOWN_COMMAND);
	CHECK("empty command id: receive", take_reply(send_receive(sid, "", 100, 100), WAIT_MS,
						      &o) == ERR_WSMAN_UNKNOWN_COMMAND);
	CHECK("unknown command: send",
	      simple_reply(SHELL_CMD_SEND, send_stdin(sid, UNKNOWN_ID, "x", 1, 0)) ==
		  ERR_WSMAN_UNKNOWN_COMMAND);
	CHECK("unknown command: signal",
	      sig(sid, UNKNOWN_ID, SHELL_SIGNAL_CTRL_C) == ERR_WSMAN_UNKNOWN_COMMAND);
	output_clear(&o);

	/* A client-chosen CommandId (WinRb) is used, once. */
	char mine[] = "E7DA5A4C-1B2C-4D3E-8F90-A1B2C3D4E5F6";
	char *argv[] = {"true"};
	CHECK("client command id: accepted",
	      run(sid, mine, 0, 1, argv, cid) == ERR_OK && strcmp(cid, mine) == 0);
	CHECK("client command id: reuse refused",
	      run(sid, mine, 0, 1, argv, cid) == ERR_WSMAN_INVALID_PARAMETER);
	sig(sid, mine, SHELL_SIGNAL_TERMINATE);
}

static void test_create_options(void)
{
	struct shell_create_reply rep;
	char cid[SHELL_ID_LEN + 1];
	struct output o;

	CHECK("working dir: missing directory refused",
	      create_shell("/nonexistent/dir", 0, NULL, NULL, &rep) == ERR_WSMAN_INVALID_PARAMETER);
	CHECK("working dir: a file refused",
	      create_shell("/etc/passwd", 0, NULL, NULL, &rep) == ERR_WSMAN_INVALID_PARAMETER);
	CHECK("env: a name with '=' refused",
	      create_shell(NULL, 0, "A=B", "1", &rep) == ERR_WSMAN_INVALID_PARAMETER);
	CHECK("idle: above the limit is capped",
	      create_shell(NULL, 99999999999ULL, NULL, NULL, &rep) == ERR_OK &&
		  rep.idle_timeout_ms == 7200000);
	simple_reply(SHELL_CMD_DELETE, send_delete(rep.shell_id));

	CHECK("working dir and env: shell created",
	      create_shell("/tmp", 0, "OPENWINRM_T", "v a=l", &rep) == ERR_OK);
	CHECK("idle: default", rep.idle_timeout_ms == 7200000);
	output_init(&o);
	CHECK("working dir and env: command",
	      run_sh(rep.shell_id, "pwd; echo \"$OPENWINRM_T\"", cid) == ERR_OK);
	collect(rep.shell_id, cid, 60000, &o);
	CHECK("working dir and env: output", out_is(&o.out, "/tmp\nv a=l\n"));
	output_clear(&o);
	CHECK("delete: ok", simple_reply(SHELL_CMD_DELETE, send_delete(rep.shell_id)) == ERR_OK);
	CHECK("delete: twice -> unknown shell",
	      simple_reply(SHELL_CMD_DELETE, send_delete(rep.shell_id)) == ERR_WSMAN_UNKNOWN_SHELL);

	/* The idle timer deletes a shell nobody talks to; any request naming
	 * the shell, even a failing one, restarts it. */
	CHECK("idle: short timeout",
	      create_shell(NULL, 600, NULL, NULL, &rep) == ERR_OK && rep.idle_timeout_ms == 600);
	int alive = 1;
	for (int i = 0; i < 4; i++) {
		usleep(300 * 1000);
		output_init(&o);
		alive &= take_reply(send_receive(rep.shell_id, UNKNOWN_ID, 100, 100), WAIT_MS,
				    &o) == ERR_WSMAN_UNKNOWN_COMMAND;
		output_clear(&o);
	}
	CHECK("idle: requests keep the shell alive", alive);
	usleep(1200 * 1000);
	CHECK("idle: shell gone after it",
	      run_sh(rep.shell_id, "true", cid) == ERR_WSMAN_UNKNOWN_SHELL);
}

static void test_limits(const char *sid)
{
	struct shell_create_reply r1, r2;
	char cid[SHELL_ID_LEN + 1], cid2[SHELL_ID_LEN + 1];

	/* One shell (sid) exists: two allowed means one more. */
	settings(2, 1, 7200000, 2147483647);
	CHECK("MaxShellsPerUser: second shell", create_shell(NULL, 0, NULL, NULL, &r1) == ERR_OK);
	CHECK("MaxShellsPerUser: third refused",
	      create_shell(NULL, 0, NULL, NULL, &r2) == ERR_WSMAN_QUOTA_SHELLS);
	simple_reply(SHELL_CMD_DELETE, send_delete(r1.shell_id));
	CHECK("MaxShellsPerUser: room again after delete",
	      create_shell(NULL, 0, NULL, NULL, &r2) == ERR_OK);
	simple_reply(SHELL_CMD_DELETE, send_delete(r2.shell_id));

	CHECK("MaxProcessesPerShell: first", run_sh(sid, "sleep 30", cid) == ERR_OK);
	CHECK("MaxProcessesPerShell: second refused",
	      run_sh(sid, "true", cid2) == ERR_WSMAN_QUOTA_PROCESSES);
	sig(sid, cid, SHELL_SIGNAL_TERMINATE);

	/* MaxShellRunTime applies to shells already open. */
	settings(0, 0, 7200000, 2147483647);
	CHECK("MaxShellRunTime: shell", create_shell(NULL, 0, NULL, NULL, &r1) == ERR_OK);
	settings(0, 0, 7200000, 300);
	usleep(800 * 1000);
	CHECK("MaxShellRunTime: shell deleted",
	      run_sh(r1.shell_id, "true", cid) == ERR_WSMAN_UNKNOWN_SHELL);
	CHECK("MaxShellRunTime: so is the older one",
	      run_sh(sid, "true", cid) == ERR_WSMAN_UNKNOWN_SHELL);
	settings(30, 2147483647, 7200000, 2147483647);
}

static void test_delete_kills(void)
{
	struct shell_create_reply rep;
	char cid[SHELL_ID_LEN + 1];
	struct output o;
	pid_t pid;

	CHECK("delete kills: shell", create_shell(NULL, 0, NULL, NULL, &rep) == ERR_OK);
	CHECK("delete kills: command",
	      run_sh(rep.shell_id, "echo $$; exec sleep 30", cid) == ERR_OK);
	pid = read_pid(rep.shell_id, cid);
	CHECK("delete kills: pid read", pid > 0 && kill(pid, 0) == 0);
	uint32_t parked = send_receive(rep.shell_id, cid, 20000, 60000);
	usleep(50 * 1000);
	CHECK("delete kills: delete ok",
	      simple_reply(SHELL_CMD_DELETE, send_delete(rep.shell_id)) == ERR_OK);
	output_init(&o);
	CHECK("delete kills: parked receive -> unknown shell",
	      take_reply(parked, 3000, &o) == ERR_WSMAN_UNKNOWN_SHELL);
	output_clear(&o);
	/* The host reaps it, so it vanishes rather than lingering as a zombie. */
	CHECK("delete kills: process gone and reaped", pid > 0 && process_gone(pid, 0));
}

/* A job the command left in the background dies with the command's
 * release (terminate, or Delete of its shell), as a Windows shell's job
 * object ends every process in it; the leader exited long before. */
static void test_background_jobs(void)
{
	struct shell_create_reply rep;
	char cid[SHELL_ID_LEN + 1];
	struct output o;
	pid_t job;
	const char *line = "sleep 30 >/dev/null 2>&1 & echo $!";

	CHECK("background: shell", create_shell(NULL, 0, NULL, NULL, &rep) == ERR_OK);
	for (int round = 0; round < 2; round++) {
		CHECK("background: command", run_sh(rep.shell_id, line, cid) == ERR_OK);
		job = read_pid(rep.shell_id, cid);
		output_init(&o);
		collect(rep.shell_id, cid, 60000, &o);
		CHECK("background: leader done, job alive",
		      o.done && o.exit_code == 0 && job > 0 && kill(job, 0) == 0);
		output_clear(&o);
		if (round == 0)
			CHECK("background: terminate ok",
			      sig(rep.shell_id, cid, SHELL_SIGNAL_TERMINATE) == ERR_OK);
		else
			CHECK("background: delete ok",
			      simple_reply(SHELL_CMD_DELETE, send_delete(rep.shell_id)) == ERR_OK);
		/* The job is not the host's child: whoever inherited it reaps it. */
		CHECK(round == 0 ? "background: terminate killed the job"
				 : "background: delete killed the job",
		      job > 0 && process_gone(job, 1));
	}
}

/* The count in the next IPC_SHELLS_LEFT message, or -1 if none came. */
static long shells_left(int timeout_ms)
{
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	struct ipc_msg m;
	uint32_t n;
	long r = -1;

	for (int rounds = 0; rounds < 1000 && r < 0 && util_now_ms() < deadline; rounds++) {
		for (int i = 0; i < net.nstash && r < 0; i++) {
			if (net.stash[i].type != IPC_SHELLS_LEFT)
				continue;
			m = net.stash[i];
			net.stash[i] = net.stash[--net.nstash];
			if (shell_ipc_shells_left_decode(&m.body, &n) == ERR_OK)
				r = n;
			ipc_msg_clear(&m);
		}
		if (r < 0) {
			/* Waiting for a reply that never comes stashes what arrives. */
			if (wait_reply(UINT32_MAX, 50, &m) == ERR_OK)
				ipc_msg_clear(&m);
		}
	}
	return r;
}

static void test_shells_left(void)
{
	struct shell_create_reply r1, r2;
	long n;
	int counted = 1;

	/* Earlier tests' idle and run time deletions were told too. */
	for (int i = 0; i < MAX_STASH && shells_left(300) >= 0; i++)
		;
	CHECK("shells left: idle shell", create_shell(NULL, 300, NULL, NULL, &r1) == ERR_OK);
	CHECK("shells left: other shell", create_shell(NULL, 0, NULL, NULL, &r2) == ERR_OK);
	n = shells_left(5000);
	CHECK("shells left: idle deletion told, the other shell left", n >= 1);
	/* Run time ends every shell, each one told with the count after it. */
	settings(30, 2147483647, 7200000, 200);
	for (long want = n - 1; want >= 0 && counted; want--)
		counted = shells_left(5000) == want;
	CHECK("shells left: run time deletions told down to none", n >= 1 && counted);
	settings(30, 2147483647, 7200000, 2147483647);
	CHECK("shells left: a client's Delete is answered, not told",
	      create_shell(NULL, 0, NULL, NULL, &r2) == ERR_OK &&
		  simple_reply(SHELL_CMD_DELETE, send_delete(r2.shell_id)) == ERR_OK &&
		  shells_left(300) == -1);
}

static void test_channel_close(void)
{
	struct shell_create_reply rep;
	char cid[SHELL_ID_LEN + 1];
	pid_t pid;
	int status = -1;

	CHECK("close: shell", create_shell(NULL, 0, NULL, NULL, &rep) == ERR_OK);
	CHECK("close: command", run_sh(rep.shell_id, "echo $$; exec sleep 30", cid) == ERR_OK);
	pid = read_pid(rep.shell_id, cid);
	CHECK("close: pid read", pid > 0);
	ipc_peer_close(&net.peer);
	for (int i = 0; i < 500; i++) {
		if (waitpid(net.host, &status, WNOHANG) == net.host)
			break;
		usleep(10000);
	}
	CHECK("close: host exited 0", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Its commands die with it (reaped by whoever inherits them). */
	CHECK("close: command killed", pid > 0 && process_gone(pid, 1));
}

/* A session configuration's host (host.h, HOST_ENV_ENDPOINT): no cmd
 * shell, no other endpoint, and the pwsh and session file the privileged
 * part named, whatever the Create says. A script stands in for pwsh and
 * writes down its command line. */
static void test_endpoint_host(void)
{
	char script[] = "/tmp/test_host.XXXXXX", args[64], line[512] = "";
	struct shell_create_req cmd = {.codepage = 437, .client_ip = "192.0.2.7"};
	struct shell_create_req ps = {.shell_id = "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE",
				      .endpoint = "Other",
				      .creation_xml = "AAAA",
				      .pwsh = "/bin/echo",
				      .working_dir = "/",
				      .client_ip = "192.0.2.7"};
	struct shell_create_reply rep;
	struct ipc_msg m;
	int fd = mkstemp(script);
	FILE *f;

	snprintf(args, sizeof(args), "%s.args", script);
	if (fd >= 0) {
		dprintf(fd, "#!/bin/sh\necho \"$*\" > %s\n", args);
		fchmod(fd, 0700);
		close(fd);
	}
	setenv(HOST_ENV_ENDPOINT, "DnsOps", 1);
	setenv(HOST_ENV_PWSH, script, 1);
	setenv(HOST_ENV_CONFIGURATION_FILE, "/etc/winrm/jea/DnsOps.1.pssc", 1);
	start_host();
	unsetenv(HOST_ENV_ENDPOINT);
	unsetenv(HOST_ENV_PWSH);
	unsetenv(HOST_ENV_CONFIGURATION_FILE);
	CHECK("endpoint host: no cmd shell",
	      status_of(SHELL_CMD_CREATE, ask(SHELL_CMD_CREATE, &cmd), WAIT_MS, &m, &rep) ==
		  ERR_WSMAN_ACCESS_DENIED);
	ipc_msg_clear(&m);
	CHECK("endpoint host: no other endpoint",
	      status_of(SHELL_PS_CREATE, ask(SHELL_PS_CREATE, &ps), WAIT_MS, &m, &rep) ==
		  ERR_WSMAN_ACCESS_DENIED);
	ipc_msg_clear(&m);
	ps.endpoint = "dnsops";
	/* The stand-in exits at once: the Create fails, after it ran. */
	CHECK("endpoint host: its own endpoint runs",
	      status_of(SHELL_PS_CREATE, ask(SHELL_PS_CREATE, &ps), WAIT_MS, &m, &rep) !=
		  ERR_WSMAN_ACCESS_DENIED);
	ipc_msg_clear(&m);
	if ((f = fopen(args, "r"))) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	CHECK("endpoint host: the named pwsh with the session file",
	      strcmp(line, "-NoLogo -NoProfile -s -ConfigurationFile "
			   "/etc/winrm/jea/DnsOps.1.pssc\n") == 0);
	ipc_peer_close(&net.peer);
	for (int i = 0; i < 500 && waitpid(net.host, NULL, WNOHANG) != net.host; i++)
		usleep(10000);
	unlink(script);
	unlink(args);
}

int main(void)
{
	struct shell_create_reply rep;

	signal(SIGPIPE, SIG_IGN);
	start_host();
	CHECK("create: ok", create_shell(NULL, 0, NULL, NULL, &rep) == ERR_OK);
	CHECK("create: shell id is a GUID", util_is_guid(rep.shell_id));
	test_basic(rep.shell_id);
	test_chunks(rep.shell_id);
	test_stdin(rep.shell_id);
	test_big_output(rep.shell_id);
	test_timeout_and_signals(rep.shell_id);
	test_cancel(rep.shell_id);
	test_skip_cmd_shell(rep.shell_id);
	test_unknown_ids(rep.shell_id);
	test_create_options();
	test_delete_kills();
	test_background_jobs();
	test_limits(rep.shell_id);
	test_shells_left();
	test_channel_close();
	test_endpoint_host();
	for (int i = 0; i < net.nstash; i++)
		ipc_msg_clear(&net.stash[i]);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
