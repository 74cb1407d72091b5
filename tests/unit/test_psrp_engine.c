/* Unit tests of psrp_engine: the engine on a real event base against the
 * real pwsh (/opt/pwsh/pwsh, or $WINRMD_TEST_PWSH): a pool opened with
 * tests/e2e/psrp.py's messages, pipelines that complete and that are
 * stopped, Delete, pwsh's death and the refusals. Every wait is bounded in
 * time. Without a pwsh it says so and runs nothing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "check.h"
#include "common/buf.h"
#include "common/util.h"
#include "host/psrp_engine.h"
#include "host/psrp_packet.h"
#include "psrp/xpress.h"
#include "psrp_fixture.h"

#define WAIT_MS 20000 /* pwsh starts .NET: the longest any one answer may take */
#define MAX_ANSWERS 64
#define POOL_ID "9A8B7C6D-1111-4222-8333-444455556666"
#define GONE_ID "11111111-2222-4333-8444-555555555555"
#define PIPE_ID "0F1E2D3C-AAAA-4BBB-8CCC-DDDDEEEEFFFF"
#define SLEEP_ID "5B1BE6C6-ECFA-4BA8-806B-8DD7C290A0FA"
#define SPARE_A_ID "A0000000-1111-4222-8333-444455556666"
#define SPARE_B_ID "B0000000-1111-4222-8333-444455556666"
#define SPARE_C_ID "C0000000-1111-4222-8333-444455556666"

struct answer {
	uint32_t id;
	uint32_t op;
	enum err status;
	struct shell_create_reply create;
	struct shell_command_reply command;
	uint32_t nchunks, done, exit_code;
	struct buf data; /* the Receive's chunks, back to back */
};

static struct event_base *base;
static struct psrp_engine *eng;
static struct answer answers[MAX_ANSWERS];
static uint32_t nanswers, next_id = 1, ended_calls, ended_left;
static const char *pwsh;
/* Set while a test plays a client that negotiated xpress. */
static struct xpress_codec *client_xpress;

static void answered(void *arg, uint32_t id, const struct shell_op *op, enum err status,
		     const void *reply)
{
	struct answer *a = &answers[nanswers++ % MAX_ANSWERS];

	(void)arg;
	buf_clear(&a->data);
	memset(a, 0, sizeof(*a));
	buf_init(&a->data, 1 << 24);
	a->id = id;
	a->op = shell_op_id(op);
	a->status = status;
	if (!reply)
		return;
	if (a->op == SHELL_PS_CREATE)
		a->create = *(const struct shell_create_reply *)reply;
	else if (a->op == SHELL_PS_COMMAND)
		a->command = *(const struct shell_command_reply *)reply;
	else if (a->op == SHELL_PS_RECEIVE) {
		const struct shell_receive_reply *r = reply;
		a->nchunks = r->nchunks;
		a->done = r->done;
		a->exit_code = r->exit_code;
		for (uint32_t i = 0; i < r->nchunks; i++)
			buf_put(&a->data, r->chunks[i].data, r->chunks[i].len);
	}
}

static void ended(void *arg, uint32_t left)
{
	(void)arg;
	ended_calls++;
	ended_left = left;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

/* Runs the loop until id is answered; NULL after WAIT_MS. */
static struct answer *wait_answer(uint32_t id)
{
	uint64_t deadline = util_now_ms() + WAIT_MS;

	while (util_now_ms() < deadline) {
		for (uint32_t i = 0; i < MAX_ANSWERS && i < nanswers; i++)
			if (answers[i].id == id)
				return &answers[i];
		event_base_loop(base, EVLOOP_ONCE);
	}
	printf("# no answer to request %u\n", id);
	return NULL;
}

static enum err status_of(uint32_t id)
{
	struct answer *a = wait_answer(id);
	return a ? a->status : ERR_IO;
}

/* One whole single-fragment message to the server (MS-PSRP 2.2.4, 2.2.1),
 * GUIDs in .NET byte order as psrp.py's uuid.bytes_le. */
static void put_guid_le(struct buf *b, const char *guid)
{
	static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	uint8_t raw[16], le[16];

	for (int i = 0, j = 0; i < 16; i++, j += 2) {
		if (guid[j] == '-')
			j++;
		char hex[3] = {guid[j], guid[j + 1], 0};
		raw[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	for (int i = 0; i < 16; i++)
		le[i] = raw[order[i]];
	buf_put(b, le, 16);
}

static void put_fragment(struct buf *b, uint64_t object_id, uint32_t type, const char *pid,
			 const char *xml)
{
	uint8_t le[8] = {2,
			 0,
			 0,
			 0,
			 (uint8_t)type,
			 (uint8_t)(type >> 8),
			 (uint8_t)(type >> 16),
			 (uint8_t)(type >> 24)};

	buf_put_u64(b, object_id);
	buf_put_u64(b, 0);
	buf_put_u8(b, PSRP_FRAGMENT_START | PSRP_FRAGMENT_END);
	buf_put_u32(b, (uint32_t)(PSRP_MESSAGE_HEADER + strlen(xml)));
	buf_put(b, le, 8);
	put_guid_le(b, POOL_ID);
	put_guid_le(b, pid ? pid : PSRP_POOL_GUID);
	buf_put(b, xml, strlen(xml));
}

static char *base64_of(const struct buf *raw)
{
	struct buf b;
	char *s;

	buf_init(&b, 1 << 20);
	util_b64_encode(&b, buf_ptr(raw), buf_len(raw));
	buf_terminate(&b);
	s = strdup((const char *)buf_ptr(&b));
	buf_clear(&b);
	return s;
}

static uint32_t create_in(const char *shell_id, const char *pwsh_path, const char *dir)
{
	struct buf raw;
	struct shell_create_req req = {.pwsh = (char *)pwsh_path, .working_dir = (char *)dir};
	uint32_t id = next_id++;

	buf_init(&raw, 1 << 16);
	put_fragment(&raw, 1, PSRP_MSG_SESSION_CAPABILITY, NULL, PSRP_CAPABILITY_XML);
	put_fragment(&raw, 2, PSRP_MSG_INIT_RUNSPACEPOOL, NULL, PSRP_INIT_RUNSPACEPOOL_XML);
	memcpy(req.shell_id, shell_id, SHELL_ID_LEN + 1);
	req.compression = client_xpress ? SHELL_COMPRESSION_XPRESS : SHELL_COMPRESSION_NONE;
	req.creation_xml = base64_of(&raw);
	psrp_engine_create(eng, id, &req);
	free(req.creation_xml);
	buf_clear(&raw);
	return id;
}

static uint32_t create(const char *shell_id, const char *pwsh_path)
{
	return create_in(shell_id, pwsh_path, NULL);
}

static uint64_t object_ids = 10;

/* A Command running script as pipeline pid, CommandId command_id ("": none). */
static uint32_t command(const char *shell_id, const char *command_id, const char *pid,
			const char *script)
{
	struct buf raw, xml;
	char space[] = " ";
	char *argv[2] = {space, NULL};
	struct shell_command_req req = {.argc = 2, .argv = argv};
	uint32_t id = next_id++;

	buf_init(&raw, 1 << 16);
	buf_init(&xml, 1 << 16);
	buf_putf(&xml, "%s%s%s", PSRP_PIPELINE_XML_HEAD, script, PSRP_PIPELINE_XML_TAIL);
	buf_terminate(&xml);
	put_fragment(&raw, object_ids++, PSRP_MSG_CREATE_PIPELINE, pid,
		     (const char *)buf_ptr(&xml));
	memcpy(req.shell_id, shell_id, SHELL_ID_LEN + 1);
	memcpy(req.command_id, command_id, strlen(command_id) + 1);
	argv[1] = base64_of(&raw);
	psrp_engine_command(eng, id, &req);
	free(argv[1]);
	buf_clear(&raw);
	buf_clear(&xml);
	return id;
}

static uint32_t receive(const char *shell_id, const char *command_id)
{
	struct shell_receive_req req = {.timeout_ms = 2000, .max_bytes = 150000};
	uint32_t id = next_id++;

	memcpy(req.shell_id, shell_id, SHELL_ID_LEN + 1);
	memcpy(req.command_id, command_id, strlen(command_id) + 1);
	psrp_engine_receive(eng, id, &req);
	return id;
}

/* Takes data (the engine frees it). */
static uint32_t send_op(const char *shell_id, uint8_t *data, size_t len)
{
	struct shell_send_req req = {.stream = SHELL_STDIN, .data = data, .len = len};
	uint32_t id = next_id++;

	memcpy(req.shell_id, shell_id, SHELL_ID_LEN + 1);
	psrp_engine_send(eng, id, &req);
	free(req.data);
	return id;
}

static uint32_t signal_op(const char *shell_id, const char *command_id, uint32_t code)
{
	struct shell_signal_req req = {.signal = code};
	uint32_t id = next_id++;

	memcpy(req.shell_id, shell_id, SHELL_ID_LEN + 1);
	memcpy(req.command_id, command_id, strlen(command_id) + 1);
	psrp_engine_signal(eng, id, &req);
	return id;
}

static uint32_t delete_op(const char *shell_id)
{
	struct shell_delete_req req;
	uint32_t id = next_id++;

	memcpy(req.shell_id, shell_id, SHELL_ID_LEN + 1);
	psrp_engine_delete(eng, id, &req);
	return id;
}

/* What Receives on a target brought until a message of type arrived (or,
 * for a pipeline, Done): the message types in order, the last PipelineState
 * seen, whether Done came, and the concatenated data in out. */
struct received {
	uint32_t types[64];
	uint32_t ntypes;
	int done, any_state_in_pool_done;
	int undecodable; /* a compressed reply that did not decode */
	uint32_t exit_code;
	struct buf text;
};

static void receive_until(const char *shell_id, const char *command_id, uint32_t want_type,
			  struct received *r)
{
	uint64_t deadline = util_now_ms() + WAIT_MS;

	memset(r, 0, sizeof(*r));
	buf_init(&r->text, 1 << 24);
	while (util_now_ms() < deadline && !r->done) {
		struct answer *a = wait_answer(receive(shell_id, command_id));
		if (!a || (a->status != ERR_OK && a->status != ERR_WSMAN_TIMED_OUT))
			return;
		struct buf plain;
		buf_init(&plain, 1 << 24);
		if (client_xpress && xpress_stream_decode(client_xpress, buf_ptr(&a->data),
							  buf_len(&a->data), &plain) != ERR_OK)
			r->undecodable = 1;
		const uint8_t *p = buf_ptr(client_xpress ? &plain : &a->data);
		size_t n = buf_len(client_xpress ? &plain : &a->data), used;
		struct psrp_fragment f;
		struct psrp_message m;
		int seen = 0;
		while (psrp_fragment_peek(p, n, &f, &used) == ERR_OK) {
			if (psrp_message_peek(f.blob, f.blob_len, &m) == ERR_OK) {
				if (r->ntypes < 64)
					r->types[r->ntypes++] = m.type;
				seen |= m.type == want_type;
				buf_put(&r->text, m.data, m.data_len);
			}
			p += used, n -= used;
		}
		buf_clear(&plain);
		r->done = (int)a->done;
		r->exit_code = a->exit_code;
		if (seen)
			return;
	}
}

static int has_text(const struct received *r, const char *s)
{
	return memmem(buf_ptr(&r->text), buf_len(&r->text), s, strlen(s)) != NULL;
}

static int process_gone(pid_t pid)
{
	uint64_t deadline = util_now_ms() + 5000;

	while (util_now_ms() < deadline) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 1;
		event_base_loop(base, EVLOOP_ONCE);
	}
	return 0;
}

static void test_pool_and_pipelines(void)
{
	struct passwd *pw = getpwuid(getuid());
	struct answer *a;
	struct received r;
	char want[128];
	pid_t pid;

	a = wait_answer(create(POOL_ID, pwsh));
	CHECK("Create answered when pwsh took the pool's data",
	      a && a->status == ERR_OK && strcmp(a->create.shell_id, POOL_ID) == 0 &&
		  a->create.process_id > 0 && a->create.idle_timeout_ms == 7200000);
	pid = a ? (pid_t)a->create.process_id : 0;
	CHECK("one shell", psrp_engine_shells(eng) == 1);
	CHECK("a second Create of a live ShellId",
	      status_of(create(POOL_ID, pwsh)) == ERR_WSMAN_ALREADY_EXISTS);

	receive_until(POOL_ID, "", PSRP_MSG_RUNSPACEPOOL_STATE, &r);
	CHECK("the pool's opening messages, in order",
	      r.ntypes >= 3 && r.types[0] == PSRP_MSG_SESSION_CAPABILITY &&
		  r.types[1] == 0x00021009 && r.types[2] == PSRP_MSG_RUNSPACEPOOL_STATE &&
		  has_text(&r, "<I32 N=\"RunspaceState\">2</I32>") && !r.done);
	buf_clear(&r.text);

	a = wait_answer(command(POOL_ID, PIPE_ID, PIPE_ID, "[Environment]::UserName"));
	CHECK("Command answered with the client's CommandId (before pwsh acks it)",
	      a && a->status == ERR_OK && strcmp(a->command.command_id, PIPE_ID) == 0);
	CHECK("the same CommandId again while it runs",
	      status_of(command(POOL_ID, PIPE_ID, GONE_ID, "1")) == ERR_WSMAN_ALREADY_EXISTS);
	receive_until(POOL_ID, PIPE_ID, 0, &r);
	snprintf(want, sizeof(want), "<S>%s</S>", pw ? pw->pw_name : "?");
	CHECK("the pipeline's output and Done",
	      r.done && r.exit_code == 0 && has_text(&r, want) &&
		  has_text(&r, "<I32 N=\"PipelineState\">4</I32>"));
	buf_clear(&r.text);
	CHECK("Terminate on a finished pipeline",
	      status_of(signal_op(POOL_ID, PIPE_ID, SHELL_SIGNAL_TERMINATE)) == ERR_OK);
	CHECK("its CommandId runs again",
	      status_of(command(POOL_ID, PIPE_ID, PIPE_ID, "1 + 1")) == ERR_OK);
	receive_until(POOL_ID, PIPE_ID, 0, &r);
	CHECK("the second pipeline's output", r.done && has_text(&r, "<I32>2</I32>"));
	buf_clear(&r.text);

	a = wait_answer(command(POOL_ID, "", SLEEP_ID, "Start-Sleep -Seconds 60; 'not reached'"));
	CHECK("no CommandId: the PID in upper case",
	      a && a->status == ERR_OK && strcmp(a->command.command_id, SLEEP_ID) == 0);
	CHECK("Signal on the pool does nothing",
	      status_of(signal_op(POOL_ID, "", SHELL_SIGNAL_TERMINATE)) == ERR_OK);
	uint64_t t0 = util_now_ms();
	/* Received while the stop is pending, as PowerShell's client does: the
	 * Done and its Close may overtake pwsh's SignalAck. The Command was
	 * answered before pwsh acked the pipeline's creation, so the stop
	 * usually comes first and waits for it. */
	uint32_t stop = signal_op(POOL_ID, SLEEP_ID, SHELL_SIGNAL_PS_STOP);
	receive_until(POOL_ID, SLEEP_ID, 0, &r);
	CHECK("PowerShell's stop", status_of(stop) == ERR_OK);
	CHECK("PIPELINE_STATE Stopped, promptly",
	      r.done && has_text(&r, "<I32 N=\"PipelineState\">3</I32>") &&
		  !has_text(&r, "not reached") && util_now_ms() - t0 < 10000);
	buf_clear(&r.text);

	CHECK("Receive on no such pipeline",
	      status_of(receive(POOL_ID, GONE_ID)) == ERR_WSMAN_UNKNOWN_COMMAND);
	CHECK("Command on no such shell",
	      status_of(command(GONE_ID, "", PIPE_ID, "1")) == ERR_WSMAN_UNKNOWN_SHELL);
	CHECK("Command whose Arguments open no pipeline",
	      status_of(command(POOL_ID, "", NULL, "1")) == ERR_WSMAN_INVALID_PARAMETER);
	{
		struct shell_send_req big = {.len = 16 * 1024 * 1024 + 1};
		uint32_t id = next_id++;
		memcpy(big.shell_id, POOL_ID, sizeof(big.shell_id));
		big.data = calloc(1, big.len);
		psrp_engine_send(eng, id, &big);
		free(big.data);
		CHECK("a Send over 16 MiB", status_of(id) == ERR_LIMIT);
	}

	CHECK("Delete", status_of(delete_op(POOL_ID)) == ERR_OK);
	CHECK("pwsh ended with its shell", pid > 0 && process_gone(pid));
	CHECK("no shell left", psrp_engine_shells(eng) == 0);
	CHECK("Receive after Delete", status_of(receive(POOL_ID, "")) == ERR_WSMAN_UNKNOWN_SHELL);
	CHECK("Delete of no such shell", status_of(delete_op(POOL_ID)) == ERR_WSMAN_UNKNOWN_SHELL);
	CHECK("ended is not told of a Delete", ended_calls == 0);
}

/* Terminate closes a running pipeline; Delete closes the others first,
 * since pwsh's Close of the pool waits for every pipeline's. */
static void test_delete_with_running_pipelines(void)
{
	struct answer *a = wait_answer(create(POOL_ID, pwsh));
	pid_t pid = a && a->status == ERR_OK ? (pid_t)a->create.process_id : 0;
	struct received r;
	uint64_t t0;

	receive_until(POOL_ID, "", PSRP_MSG_RUNSPACEPOOL_STATE, &r);
	buf_clear(&r.text);
	CHECK("a long pipeline",
	      status_of(command(POOL_ID, PIPE_ID, PIPE_ID, "Start-Sleep -Seconds 60")) == ERR_OK);
	CHECK("Terminate closes it while it runs",
	      status_of(signal_op(POOL_ID, PIPE_ID, SHELL_SIGNAL_TERMINATE)) == ERR_OK);
	CHECK("and forgets it", status_of(receive(POOL_ID, PIPE_ID)) == ERR_WSMAN_UNKNOWN_COMMAND);
	CHECK("another long one",
	      status_of(command(POOL_ID, SLEEP_ID, SLEEP_ID, "Start-Sleep -Seconds 60")) == ERR_OK);
	t0 = util_now_ms();
	CHECK("Delete with a pipeline running", status_of(delete_op(POOL_ID)) == ERR_OK);
	CHECK("answered by pwsh's CloseAck, not the deadline", util_now_ms() - t0 < 8000);
	CHECK("pwsh gone", pid > 0 && process_gone(pid));
}

/* Whether a's data (a Receive's, uncompressed) holds text. */
static int answered_text(const struct answer *a, const char *text)
{
	return memmem(buf_ptr(&a->data), buf_len(&a->data), text, strlen(text)) != NULL;
}

/* A Receive parked before a pipeline's output comes gets that output and
 * the pipeline's end in one reply, though pwsh writes them as separate
 * lines: a command costs its client one Receive, not two. */
static void test_output_and_end_in_one_reply(void)
{
	struct answer *a = wait_answer(create(POOL_ID, pwsh));
	pid_t pid = a && a->status == ERR_OK ? (pid_t)a->create.process_id : 0;
	struct shell_receive_req req = {.timeout_ms = WAIT_MS, .max_bytes = 150000};
	struct received r;
	int together = 0;

	memcpy(req.shell_id, POOL_ID, sizeof(req.shell_id));
	memcpy(req.command_id, PIPE_ID, sizeof(PIPE_ID));
	receive_until(POOL_ID, "", PSRP_MSG_RUNSPACEPOOL_STATE, &r);
	buf_clear(&r.text);
	/* pwsh's first pipeline is slow (.NET compiles what it runs on). */
	status_of(command(POOL_ID, PIPE_ID, PIPE_ID, "1"));
	receive_until(POOL_ID, PIPE_ID, 0, &r);
	buf_clear(&r.text);
	status_of(signal_op(POOL_ID, PIPE_ID, SHELL_SIGNAL_TERMINATE));
	for (int i = 0; i < 3; i++) {
		uint32_t id = next_id++;
		CHECK("a pipeline", status_of(command(POOL_ID, PIPE_ID, PIPE_ID, "7")) == ERR_OK);
		psrp_engine_receive(eng, id, &req);
		a = wait_answer(id);
		together += a && a->status == ERR_OK && a->done &&
			    answered_text(a, "<I32>7</I32>") &&
			    answered_text(a, "<I32 N=\"PipelineState\">4</I32>");
		status_of(signal_op(POOL_ID, PIPE_ID, SHELL_SIGNAL_TERMINATE));
	}
	CHECK("three pipelines' output and end, each in the reply of one Receive", together == 3);
	CHECK("Delete", status_of(delete_op(POOL_ID)) == ERR_OK);
	CHECK("pwsh gone", pid > 0 && process_gone(pid));
}

/* xpress negotiated: every Receive's data is xpress blocks (MS-WSMV
 * 3.1.4.1.31.6), and Send data that does not decode is refused. */
static void test_compressed_streams(void)
{
	struct answer *a;
	struct received r;
	uint8_t *garbage = malloc(8);
	pid_t pid;

	if (xpress_codec_new(&client_xpress) != ERR_OK || !garbage) {
		CHECK("a client codec", 0);
		free(garbage);
		return;
	}
	a = wait_answer(create(POOL_ID, pwsh));
	pid = a && a->status == ERR_OK ? (pid_t)a->create.process_id : 0;
	receive_until(POOL_ID, "", PSRP_MSG_RUNSPACEPOOL_STATE, &r);
	CHECK("compressed opening messages", !r.undecodable && r.ntypes >= 3 &&
						 r.types[0] == PSRP_MSG_SESSION_CAPABILITY &&
						 has_text(&r, "<I32 N=\"RunspaceState\">2</I32>"));
	buf_clear(&r.text);
	CHECK("a pipeline with 20 kB of output",
	      status_of(command(POOL_ID, PIPE_ID, PIPE_ID, "'x' * 20000")) == ERR_OK);
	receive_until(POOL_ID, PIPE_ID, 0, &r);
	CHECK("its output compressed, whole, then Done",
	      !r.undecodable && r.done &&
		  has_text(&r, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") &&
		  has_text(&r, "<I32 N=\"PipelineState\">4</I32>"));
	buf_clear(&r.text);
	/* A header claiming 64 KiB compressed into 4 bytes that follow it. */
	memcpy(garbage, "\xff\xff\x03\x00\x01\x02\x03\x04", 8);
	CHECK("a Send whose blocks do not decode",
	      status_of(send_op(POOL_ID, garbage, 8)) == ERR_FORMAT);
	CHECK("Delete", status_of(delete_op(POOL_ID)) == ERR_OK);
	CHECK("pwsh gone", pid > 0 && process_gone(pid));
	xpress_codec_free(client_xpress);
	client_xpress = NULL;
}

/* A child of this process that is none of known[] (the engine's spare
 * pwsh), waited for up to 10 s; 0 if none appears. */
static pid_t other_child(const pid_t *known, int nknown)
{
	uint64_t deadline = util_now_ms() + 10000;

	while (util_now_ms() < deadline) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		pid_t found = 0;
		while (d && !found && (de = readdir(d))) {
			char path[300], text[512];
			pid_t pid = (pid_t)atoi(de->d_name);
			int ppid = 0, fd, n;
			if (pid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
			if ((fd = open(path, O_RDONLY)) < 0)
				continue;
			n = (int)read(fd, text, sizeof(text) - 1);
			close(fd);
			text[n > 0 ? n : 0] = 0;
			const char *p = strrchr(text, ')');
			if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1 || ppid != getpid())
				continue;
			found = pid;
			for (int i = 0; i < nknown; i++)
				if (known[i] == pid)
					found = 0;
		}
		if (d)
			closedir(d);
		if (found)
			return found;
		event_base_loop(base, EVLOOP_ONCE);
	}
	return 0;
}

static pid_t created_pid(uint32_t id)
{
	struct answer *a = wait_answer(id);
	return a && a->status == ERR_OK ? (pid_t)a->create.process_id : 0;
}

/* Once a Create is answered a spare pwsh waits for the next Create that
 * asks the same, which takes it; one that asks otherwise gets its own and
 * the spare is ended. */
static void test_spare(void)
{
	pid_t a = created_pid(create(SPARE_A_ID, pwsh));
	pid_t spare = other_child(&a, 1);
	CHECK("a spare pwsh after the first Create", a > 0 && spare > 0);
	pid_t b = created_pid(create(SPARE_B_ID, pwsh));
	CHECK("the next Create that asks the same takes it", b == spare);
	pid_t known[2] = {a, b};
	pid_t spare2 = other_child(known, 2);
	CHECK("and another spare follows", spare2 > 0);
	pid_t c = created_pid(create_in(SPARE_C_ID, pwsh, "/tmp"));
	CHECK("a Create asking another directory starts its own", c > 0 && c != spare2);
	CHECK("and the spare that did not fit is ended", spare2 > 0 && process_gone(spare2));
	const char *ids[] = {SPARE_A_ID, SPARE_B_ID, SPARE_C_ID};
	for (int i = 0; i < 3; i++)
		CHECK("Delete", status_of(delete_op(ids[i])) == ERR_OK);
}

static void test_no_pwsh(void)
{
	CHECK("no pwsh at that path",
	      status_of(create(GONE_ID, "/nonexistent/pwsh")) == ERR_WSMAN_NO_PWSH);
	CHECK("and no shell", psrp_engine_shells(eng) == 0);
}

static void test_pwsh_dies(void)
{
	struct answer *a = wait_answer(create(POOL_ID, pwsh));
	pid_t pid = a && a->status == ERR_OK ? (pid_t)a->create.process_id : 0;
	struct received r;
	uint32_t id;

	receive_until(POOL_ID, "", PSRP_MSG_RUNSPACEPOOL_STATE, &r);
	buf_clear(&r.text);
	/* A parked Receive whose client went away (IPC_SHELL_CANCEL) is
	 * never answered, not even when the next one takes over. */
	uint32_t cancelled = receive(POOL_ID, "");
	psrp_engine_cancel(eng, cancelled);
	id = receive(POOL_ID, "");
	if (pid > 0)
		kill(pid, SIGKILL);
	CHECK("a parked Receive fails when pwsh dies", status_of(id) == ERR_WSMAN_PROVIDER_DIED);
	int heard = 0;
	for (uint32_t i = 0; i < MAX_ANSWERS && i < nanswers; i++)
		heard |= answers[i].id == cancelled;
	CHECK("a cancelled Receive is not answered", !heard);
	CHECK("ended is told", ended_calls == 1 && ended_left == 0);
	CHECK("the shell is gone", status_of(receive(POOL_ID, "")) == ERR_WSMAN_UNKNOWN_SHELL);
}

static void test_free_kills(void)
{
	pid_t pid = created_pid(create(POOL_ID, pwsh));
	pid_t spare = other_child(&pid, 1);

	psrp_engine_free(eng);
	eng = NULL;
	CHECK("freeing the engine ends every pwsh", pid > 0 && kill(pid, 0) < 0 && errno == ESRCH);
	CHECK("the spare too", spare > 0 && kill(spare, 0) < 0 && errno == ESRCH);
}

int main(void)
{
	struct event *ev_tick;
	struct timeval tv = {0, 100000};

	pwsh = getenv("WINRMD_TEST_PWSH") ? getenv("WINRMD_TEST_PWSH") : "/opt/pwsh/pwsh";
	if (access(pwsh, X_OK) < 0) {
		printf("# no pwsh at %s: nothing to test (scripts/bootstrap installs it)\n", pwsh);
		printf("%d passed, %d failed\n", passed, failed);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	/* Keeps EVLOOP_ONCE from sleeping past a deadline. */
	ev_tick = event_new(base, -1, EV_PERSIST, tick, NULL);
	event_add(ev_tick, &tv);
	eng = psrp_engine_new(base, answered, ended, NULL);
	test_pool_and_pipelines();
	test_delete_with_running_pipelines();
	test_output_and_end_in_one_reply();
	test_compressed_streams();
	test_spare();
	test_no_pwsh();
	test_pwsh_dies();
	test_free_kills();
	event_free(ev_tick);
	event_base_free(base);
	for (int i = 0; i < MAX_ANSWERS; i++)
		buf_clear(&answers[i].data);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
