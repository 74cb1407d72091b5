/* Unit tests for shell_ipc and the IPC framing of shell_ops: round trips of every message, exact
 * bytes of the layout, truncation at every byte, trailing bytes, over-limit counts. Leaks of
 * partial decodes show up under LeakSanitizer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "ipc/ipc.h"
#include "shell/shell_ipc.h"
#include "shell/shell_ops.h"
#include "check.h"

#define SID "0D6FCA9D-2D40-44C3-B691-E665BE7AA687"
#define CID "b0973e54-434e-4d99-b4be-ade584ce3bfb"

static struct buf bytes(const void *p, size_t n)
{
	struct buf b;

	buf_init(&b, IPC_MAX_MSG * 2);
	buf_put(&b, p, n);
	return b;
}

/* One decoder per message type, freeing what it decoded. */
typedef enum err decode_fn(struct buf *b);

static enum err dec_limits(struct buf *b)
{
	struct shell_limits m;
	return shell_ipc_limits_decode(b, &m);
}
static enum err dec_create(struct buf *b)
{
	struct shell_create_req m;
	enum err e = shell_ipc_create_decode(b, &m);
	if (e == ERR_OK)
		shell_create_req_clear(&m);
	return e;
}
static enum err dec_create_reply(struct buf *b)
{
	struct shell_create_reply m;
	return shell_ipc_create_reply_decode(b, &m);
}
static enum err dec_command(struct buf *b)
{
	struct shell_command_req m;
	enum err e = shell_ipc_command_decode(b, &m);
	if (e == ERR_OK)
		shell_command_req_clear(&m);
	return e;
}
static enum err dec_command_reply(struct buf *b)
{
	struct shell_command_reply m;
	return shell_ipc_command_reply_decode(b, &m);
}
static enum err dec_send(struct buf *b)
{
	struct shell_send_req m;
	enum err e = shell_ipc_send_decode(b, &m);
	if (e == ERR_OK)
		shell_send_req_clear(&m);
	return e;
}
static enum err dec_receive(struct buf *b)
{
	struct shell_receive_req m;
	return shell_ipc_receive_decode(b, &m);
}
static enum err dec_receive_reply(struct buf *b)
{
	struct shell_receive_reply m;
	return shell_ipc_receive_reply_decode(b, &m);
}
static enum err dec_signal(struct buf *b)
{
	struct shell_signal_req m;
	return shell_ipc_signal_decode(b, &m);
}
static enum err dec_connect(struct buf *b)
{
	struct shell_connect_req m;
	enum err e = shell_ipc_connect_decode(b, &m);
	if (e == ERR_OK)
		shell_connect_req_clear(&m);
	return e;
}
static enum err dec_delete(struct buf *b)
{
	struct shell_delete_req m;
	return shell_ipc_delete_decode(b, &m);
}

/* Every prefix fails as incomplete or malformed; one extra byte is malformed. */
static void check_framing(const char *name, decode_fn *dec, const struct buf *enc)
{
	int prefixes_fail = 1;
	char label[128];

	for (size_t n = 0; n < buf_len(enc); n++) {
		struct buf b = bytes(buf_ptr(enc), n);
		enum err e = dec(&b);
		if (e != ERR_INCOMPLETE && e != ERR_FORMAT)
			prefixes_fail = 0;
		buf_clear(&b);
	}
	snprintf(label, sizeof(label), "%s: every truncation is rejected", name);
	CHECK(label, prefixes_fail);

	struct buf b = bytes(buf_ptr(enc), buf_len(enc));
	buf_put_u8(&b, 0);
	snprintf(label, sizeof(label), "%s: trailing byte -> ERR_FORMAT", name);
	CHECK(label, dec(&b) == ERR_FORMAT);
	buf_clear(&b);
}

static void test_limits(void)
{
	struct shell_limits in = {30, 0, 7200000, 2147483647, 512}, out;
	static const uint8_t want[] = {
	    0, 0, 0, 30,			 /* MaxShellsPerUser */
	    0, 0, 0, 0,				 /* MaxProcessesPerShell */
	    0, 0, 0, 0,	 0,    0x6d, 0xdd, 0,	 /* IdleTimeout */
	    0, 0, 0, 0,	 0x7f, 0xff, 0xff, 0xff, /* MaxShellRunTime */
	    0, 0, 2, 0,				 /* MaxMemoryPerShellMB */
	};
	struct buf b;

	buf_init(&b, IPC_MAX_MSG);
	CHECK("limits: encode", shell_ipc_limits_encode(&b, &in) == ERR_OK);
	CHECK("limits: exact bytes",
	      buf_len(&b) == sizeof(want) && memcmp(buf_ptr(&b), want, sizeof(want)) == 0);
	check_framing("limits", dec_limits, &b);
	CHECK("limits: decode", shell_ipc_limits_decode(&b, &out) == ERR_OK);
	CHECK("limits: round trip", in.max_shells_per_user == out.max_shells_per_user &&
					in.max_processes_per_shell == out.max_processes_per_shell &&
					in.idle_timeout_ms == out.idle_timeout_ms &&
					in.max_shell_run_time_ms == out.max_shell_run_time_ms &&
					in.max_memory_per_shell_mb == out.max_memory_per_shell_mb);
	buf_clear(&b);
}

static void test_create(void)
{
	char *names[] = {"env1", "1234"}, *values[] = {"var1", ""};
	struct shell_create_req in = {.shell_id = SID,
				      .endpoint = "Microsoft.PowerShell",
				      .creation_xml = "AAAAAAAAAAEAAAAAAAAAAAMAAADHAgAAAAIAAQB2",
				      .protocol_version = "2.3",
				      .compression = SHELL_COMPRESSION_XPRESS,
				      .pwsh = "/opt/pwsh/pwsh",
				      .working_dir = "/tmp",
				      .idle_timeout_ms = 60000,
				      .noprofile = 1,
				      .codepage = 65001,
				      .client_ip = "192.168.56.1",
				      .name = "Runspace1",
				      .nenv = 2,
				      .env_names = names,
				      .env_values = values};
	struct shell_create_req out, empty = {0};
	struct buf b;

	buf_init(&b, IPC_MAX_MSG);
	CHECK("create: encode", shell_ipc_create_encode(&b, &in) == ERR_OK);
	check_framing("create", dec_create, &b);
	CHECK("create: decode", shell_ipc_create_decode(&b, &out) == ERR_OK);
	CHECK("create: working_dir", out.working_dir && strcmp(out.working_dir, "/tmp") == 0);
	CHECK("create: PowerShell fields",
	      strcmp(out.shell_id, SID) == 0 && out.endpoint &&
		  strcmp(out.endpoint, "Microsoft.PowerShell") == 0 && out.creation_xml &&
		  strcmp(out.creation_xml, in.creation_xml) == 0 && out.protocol_version &&
		  strcmp(out.protocol_version, "2.3") == 0 && out.pwsh &&
		  strcmp(out.pwsh, "/opt/pwsh/pwsh") == 0 &&
		  out.compression == SHELL_COMPRESSION_XPRESS);
	CHECK("create: numbers",
	      out.idle_timeout_ms == 60000 && out.noprofile == 1 && out.codepage == 65001);
	CHECK("create: client_ip", out.client_ip && strcmp(out.client_ip, "192.168.56.1") == 0);
	CHECK("create: the session's name", out.name && strcmp(out.name, "Runspace1") == 0);
	CHECK("create: env", out.nenv == 2 && strcmp(out.env_names[0], "env1") == 0 &&
				 strcmp(out.env_values[0], "var1") == 0 &&
				 strcmp(out.env_names[1], "1234") == 0 &&
				 strcmp(out.env_values[1], "") == 0);
	shell_create_req_clear(&out);
	buf_clear(&b);

	/* Absent strings travel as empty ones and come back absent. */
	/* nine empty strings, the u64 and four u32s */
	static const uint8_t want_empty[9 * 4 + 8 + 4 * 4] = {0};
	buf_init(&b, IPC_MAX_MSG);
	CHECK("create: empty encode", shell_ipc_create_encode(&b, &empty) == ERR_OK);
	CHECK("create: empty exact bytes",
	      buf_len(&b) == sizeof(want_empty) &&
		  memcmp(buf_ptr(&b), want_empty, sizeof(want_empty)) == 0);
	CHECK("create: empty decode", shell_ipc_create_decode(&b, &out) == ERR_OK &&
					  !out.working_dir && !out.client_ip && !out.name &&
					  out.nenv == 0);
	shell_create_req_clear(&out);
	buf_clear(&b);

	/* nenv over SHELL_MAX_ENV. */
	buf_init(&b, IPC_MAX_MSG);
	buf_put_u32(&b, 0), buf_put_u32(&b, 0), buf_put_u32(&b, 0), buf_put_u32(&b, 0);
	buf_put_u32(&b, 0), buf_put_u32(&b, 0);
	buf_put_u32(&b, 0), buf_put_u64(&b, 0), buf_put_u32(&b, 0), buf_put_u32(&b, 0),
	    buf_put_u32(&b, 0);
	buf_put_u32(&b, 0); /* the name */
	buf_put_u32(&b, SHELL_MAX_ENV + 1);
	CHECK("create: nenv over limit -> ERR_LIMIT",
	      shell_ipc_create_decode(&b, &out) == ERR_LIMIT);
	buf_clear(&b);

	/* A compression the enum does not have. */
	buf_init(&b, IPC_MAX_MSG);
	buf_put_u32(&b, 0), buf_put_u32(&b, 0), buf_put_u32(&b, 0), buf_put_u32(&b, 0);
	buf_put_u32(&b, SHELL_COMPRESSION_XPRESS + 1);
	CHECK("create: unknown compression -> ERR_FORMAT",
	      shell_ipc_create_decode(&b, &out) == ERR_FORMAT);
	buf_clear(&b);
	in.nenv = SHELL_MAX_ENV + 1;
	buf_init(&b, IPC_MAX_MSG);
	CHECK("create: encoder refuses nenv over limit",
	      shell_ipc_create_encode(&b, &in) == ERR_LIMIT);
	buf_clear(&b);

	/* A string with a NUL, and one over SHELL_MAX_STRING. */
	buf_init(&b, IPC_MAX_MSG);
	buf_put_string(&b, "/t\0p", 4);
	CHECK("create: NUL in a string -> ERR_FORMAT",
	      shell_ipc_create_decode(&b, &out) == ERR_FORMAT);
	buf_clear(&b);
	buf_init(&b, IPC_MAX_MSG);
	buf_put_u32(&b, SHELL_MAX_STRING + 1);
	for (int i = 0; i <= SHELL_MAX_STRING; i++)
		buf_put_u8(&b, 'a');
	CHECK("create: string over limit rejected",
	      shell_ipc_create_decode(&b, &out) == ERR_FORMAT);
	buf_clear(&b);
}

static void test_create_reply(void)
{
	struct shell_create_reply in = {.shell_id = SID,
					.idle_timeout_ms = 7200000,
					.process_id = 4242},
				  out;
	struct buf b;

	buf_init(&b, IPC_MAX_MSG);
	CHECK("create reply: encode", shell_ipc_create_reply_encode(&b, &in) == ERR_OK);
	CHECK("create reply: length", buf_len(&b) == 4 + 36 + 8 + 4);
	check_framing("create reply", dec_create_reply, &b);
	CHECK("create reply: round trip",
	      shell_ipc_create_reply_decode(&b, &out) == ERR_OK && strcmp(out.shell_id, SID) == 0 &&
		  out.idle_timeout_ms == 7200000 && out.process_id == 4242);
	buf_clear(&b);

	/* Ids must be empty or a GUID, on both sides. */
	snprintf(in.shell_id, sizeof(in.shell_id), "not-a-guid");
	buf_init(&b, IPC_MAX_MSG);
	CHECK("create reply: encoder refuses a bad id",
	      shell_ipc_create_reply_encode(&b, &in) == ERR_USAGE);
	buf_clear(&b);
	buf_init(&b, IPC_MAX_MSG);
	buf_put_string(&b, "0D6FCA9D-2D40-44C3-B691-E665BE7AA68Z", 36);
	buf_put_u64(&b, 1);
	CHECK("create reply: non-GUID id -> ERR_FORMAT",
	      shell_ipc_create_reply_decode(&b, &out) == ERR_FORMAT);
	buf_clear(&b);
	buf_init(&b, IPC_MAX_MSG);
	buf_put_string(&b, "0D6FCA9D", 8);
	buf_put_u64(&b, 1);
	CHECK("create reply: short id -> ERR_FORMAT",
	      shell_ipc_create_reply_decode(&b, &out) == ERR_FORMAT);
	buf_clear(&b);
}

static void test_command(void)
{
	char *argv[] = {"echo", "hello", "world"};
	struct shell_command_req in = {
	    .shell_id = SID, .command_id = CID, .skip_cmd_shell = 1, .argc = 3, .argv = argv};
	struct shell_command_req out;
	struct shell_command_reply rin = {.command_id = CID}, rout;
	struct buf b;

	buf_init(&b, IPC_MAX_MSG);
	CHECK("command: encode", shell_ipc_command_encode(&b, &in) == ERR_OK);
	check_framing("command", dec_command, &b);
	CHECK("command: decode", shell_ipc_command_decode(&b, &out) == ERR_OK);
	CHECK("command: ids", strcmp(out.shell_id, SID) == 0 && strcmp(out.command_id, CID) == 0);
	CHECK("command: argv", out.skip_cmd_shell == 1 && out.argc == 3 &&
				   strcmp(out.argv[0], "echo") == 0 &&
				   strcmp(out.argv[2], "world") == 0);
	shell_command_req_clear(&out);
	buf_clear(&b);

	/* An empty command id (the host makes one). */
	in.command_id[0] = 0;
	in.argc = 1;
	static const uint8_t want[] = {0,   0,	 0,   36,  '0', 'D', '6', 'F', 'C', 'A', '9', 'D',
				       '-', '2', 'D', '4', '0', '-', '4', '4', 'C', '3', '-', 'B',
				       '6', '9', '1', '-', 'E', '6', '6', '5', 'B', 'E', '7', 'A',
				       'A', '6', '8', '7', 0,	0,   0,	  0,   0,   0,	 0,   1,
				       0,   0,	 0,   1,   0,	0,   0,	  4,   'e', 'c', 'h', 'o'};
	buf_init(&b, IPC_MAX_MSG);
	CHECK("command: encode, empty command id", shell_ipc_command_encode(&b, &in) == ERR_OK);
	CHECK("command: exact bytes",
	      buf_len(&b) == sizeof(want) && memcmp(buf_ptr(&b), want, sizeof(want)) == 0);
	CHECK("command: empty id decodes",
	      shell_ipc_command_decode(&b, &out) == ERR_OK && out.command_id[0] == 0);
	shell_command_req_clear(&out);
	buf_clear(&b);

	/* A PowerShell pipeline's first fragment, longer than SHELL_MAX_STRING. */
	char *big = malloc(SHELL_MAX_PSRP_TEXT + 2);
	char *ps_argv[] = {"", big};
	if (!big)
		abort();
	memset(big, 'A', SHELL_MAX_PSRP_TEXT);
	big[SHELL_MAX_PSRP_TEXT] = 0;
	in.argc = 2;
	in.argv = ps_argv;
	buf_init(&b, IPC_MAX_MSG);
	CHECK("command: a PSRP argument of SHELL_MAX_PSRP_TEXT travels",
	      shell_ipc_command_encode(&b, &in) == ERR_OK &&
		  shell_ipc_command_decode(&b, &out) == ERR_OK && out.argc == 2 &&
		  strlen(out.argv[1]) == SHELL_MAX_PSRP_TEXT);
	shell_command_req_clear(&out);
	buf_clear(&b);
	big[SHELL_MAX_PSRP_TEXT] = 'A';
	big[SHELL_MAX_PSRP_TEXT + 1] = 0;
	buf_init(&b, IPC_MAX_MSG);
	CHECK("command: one byte more is over the limit",
	      shell_ipc_command_encode(&b, &in) == ERR_LIMIT);
	buf_clear(&b);
	free(big);
	in.argv = argv;

	in.argc = 0;
	buf_init(&b, IPC_MAX_MSG);
	CHECK("command: encoder refuses argc 0", shell_ipc_command_encode(&b, &in) == ERR_USAGE);
	buf_clear(&b);
	in.argc = SHELL_MAX_ARGS + 1;
	buf_init(&b, IPC_MAX_MSG);
	CHECK("command: encoder refuses argc over limit",
	      shell_ipc_command_encode(&b, &in) == ERR_LIMIT);
	buf_clear(&b);

	uint32_t counts[] = {0, SHELL_MAX_ARGS + 1};
	enum err expect[] = {ERR_FORMAT, ERR_LIMIT};
	for (int i = 0; i < 2; i++) {
		buf_init(&b, IPC_MAX_MSG);
		buf_put_string(&b, SID, 36);
		buf_put_u32(&b, 0);
		buf_put_u32(&b, 0);
		buf_put_u32(&b, counts[i]);
		CHECK(i == 0 ? "command: argc 0 -> ERR_FORMAT"
			     : "command: argc over limit -> ERR_LIMIT",
		      shell_ipc_command_decode(&b, &out) == expect[i]);
		buf_clear(&b);
	}

	buf_init(&b, IPC_MAX_MSG);
	CHECK("command reply: encode", shell_ipc_command_reply_encode(&b, &rin) == ERR_OK);
	check_framing("command reply", dec_command_reply, &b);
	CHECK("command reply: round trip", shell_ipc_command_reply_decode(&b, &rout) == ERR_OK &&
					       strcmp(rout.command_id, CID) == 0);
	buf_clear(&b);
}

static void test_send(void)
{
	uint8_t data[] = {'h', 'i', 0, '\n'};
	struct shell_send_req in = {
	    .shell_id = SID, .command_id = CID, .end = 1, .data = data, .len = 4};
	struct shell_send_req out;
	struct buf b;

	buf_init(&b, IPC_MAX_MSG);
	CHECK("send: encode", shell_ipc_send_encode(&b, &in) == ERR_OK);
	check_framing("send", dec_send, &b);
	CHECK("send: decode", shell_ipc_send_decode(&b, &out) == ERR_OK);
	CHECK("send: round trip", out.end == 1 && out.len == 4 && memcmp(out.data, data, 4) == 0 &&
				      strcmp(out.command_id, CID) == 0);
	shell_send_req_clear(&out);
	buf_clear(&b);

	in.data = NULL;
	in.len = 0;
	buf_init(&b, IPC_MAX_MSG);
	CHECK("send: empty End", shell_ipc_send_encode(&b, &in) == ERR_OK &&
				     shell_ipc_send_decode(&b, &out) == ERR_OK && out.len == 0 &&
				     out.end == 1);
	shell_send_req_clear(&out);
	buf_clear(&b);

	in.len = IPC_MAX_MSG;
	in.data = calloc(1, in.len);
	buf_init(&b, IPC_MAX_MSG * 2);
	CHECK("send: encoder refuses data over a datagram",
	      shell_ipc_send_encode(&b, &in) == ERR_LIMIT);
	buf_reset(&b);
	buf_put_string(&b, SID, 36);
	buf_put_string(&b, CID, 36);
	buf_put_u32(&b, 0), buf_put_u32(&b, 0);
	buf_put_string(&b, in.data, in.len);
	CHECK("send: data over a datagram -> ERR_LIMIT",
	      shell_ipc_send_decode(&b, &out) == ERR_LIMIT);
	buf_clear(&b);
	free(in.data);
}

static void test_receive(void)
{
	struct shell_receive_req in = {
	    .shell_id = SID, .command_id = CID, .timeout_ms = 20000, .max_bytes = 110000};
	struct shell_receive_req out;
	struct buf b;

	buf_init(&b, IPC_MAX_MSG);
	CHECK("receive: encode", shell_ipc_receive_encode(&b, &in) == ERR_OK);
	CHECK("receive: length", buf_len(&b) == 40 + 40 + 8 + 4);
	check_framing("receive", dec_receive, &b);
	CHECK("receive: round trip", shell_ipc_receive_decode(&b, &out) == ERR_OK &&
					 strcmp(out.shell_id, SID) == 0 &&
					 strcmp(out.command_id, CID) == 0 &&
					 out.timeout_ms == 20000 && out.max_bytes == 110000);
	buf_clear(&b);
}

static void test_receive_reply(void)
{
	struct shell_receive_reply in, out;
	static const uint8_t want[] = {0, 0, 0, 2, 0, 0, 0, 0, 3, 'a', 'b', 'c', 1, 0, 0, 0, 0,
				       0, 0, 0, 1, 0, 0, 0, 0, 0, 0,   0,   1,	 0, 0, 0, 3};
	struct buf b;

	memset(&in, 0, sizeof(in));
	in.nchunks = 2;
	in.chunks[0] = (struct shell_chunk){SHELL_STDOUT, (const uint8_t *)"abc", 3};
	in.chunks[1] = (struct shell_chunk){SHELL_STDERR, NULL, 0};
	in.stdout_end = 1;
	in.done = 1;
	in.exit_code = 3;
	buf_init(&b, IPC_MAX_MSG);
	CHECK("receive reply: encode", shell_ipc_receive_reply_encode(&b, &in) == ERR_OK);
	CHECK("receive reply: exact bytes",
	      buf_len(&b) == sizeof(want) && memcmp(buf_ptr(&b), want, sizeof(want)) == 0);
	check_framing("receive reply", dec_receive_reply, &b);
	CHECK("receive reply: decode", shell_ipc_receive_reply_decode(&b, &out) == ERR_OK);
	CHECK("receive reply: chunks",
	      out.nchunks == 2 && out.chunks[0].stream == SHELL_STDOUT && out.chunks[0].len == 3 &&
		  memcmp(out.chunks[0].data, "abc", 3) == 0 &&
		  out.chunks[1].stream == SHELL_STDERR && out.chunks[1].len == 0);
	CHECK("receive reply: state",
	      out.stdout_end == 1 && out.stderr_end == 0 && out.done == 1 && out.exit_code == 3);
	buf_clear(&b);

	buf_init(&b, IPC_MAX_MSG);
	buf_put_u32(&b, SHELL_MAX_CHUNKS + 1);
	CHECK("receive reply: too many chunks -> ERR_LIMIT",
	      shell_ipc_receive_reply_decode(&b, &out) == ERR_LIMIT);
	buf_clear(&b);
	in.nchunks = SHELL_MAX_CHUNKS + 1;
	buf_init(&b, IPC_MAX_MSG);
	CHECK("receive reply: encoder refuses too many chunks",
	      shell_ipc_receive_reply_encode(&b, &in) == ERR_LIMIT);
	buf_clear(&b);

	buf_init(&b, IPC_MAX_MSG);
	buf_put_u32(&b, 1);
	buf_put_u8(&b, 2);
	buf_put_string(&b, "x", 1);
	for (int i = 0; i < 4; i++)
		buf_put_u32(&b, 0);
	CHECK("receive reply: unknown stream -> ERR_FORMAT",
	      shell_ipc_receive_reply_decode(&b, &out) == ERR_FORMAT);
	buf_clear(&b);
}

static void test_signal_delete_status(void)
{
	struct shell_signal_req sin = {.shell_id = SID,
				       .command_id = CID,
				       .signal = SHELL_SIGNAL_CTRL_C},
				sout;
	struct shell_delete_req din = {.shell_id = SID}, dout;
	struct buf b;
	enum err st;

	buf_init(&b, IPC_MAX_MSG);
	CHECK("signal: encode", shell_ipc_signal_encode(&b, &sin) == ERR_OK);
	check_framing("signal", dec_signal, &b);
	CHECK("signal: round trip", shell_ipc_signal_decode(&b, &sout) == ERR_OK &&
					sout.signal == SHELL_SIGNAL_CTRL_C &&
					strcmp(sout.command_id, CID) == 0);
	buf_clear(&b);

	buf_init(&b, IPC_MAX_MSG);
	CHECK("delete: encode", shell_ipc_delete_encode(&b, &din) == ERR_OK);
	CHECK("delete: exact bytes",
	      buf_len(&b) == 40 && memcmp(buf_ptr(&b), "\0\0\0\x24" SID, 40) == 0);
	check_framing("delete", dec_delete, &b);
	CHECK("delete: round trip",
	      shell_ipc_delete_decode(&b, &dout) == ERR_OK && strcmp(dout.shell_id, SID) == 0);
	buf_clear(&b);

	/* IPC_SHELL_REPLY: the status, then the row's reply only after ERR_OK. */
	const struct shell_op *receive = shell_op_at(SHELL_CMD_RECEIVE);
	struct shell_receive_reply rr;
	buf_init(&b, IPC_MAX_MSG);
	CHECK("status: encode",
	      shell_op_reply_encode(&b, receive, ERR_WSMAN_TIMED_OUT, NULL) == ERR_OK &&
		  buf_len(&b) == 4);
	CHECK("status: decode",
	      shell_op_reply_decode(&b, receive, &st, &rr) == ERR_OK && st == ERR_WSMAN_TIMED_OUT);
	buf_reset(&b);
	buf_put_u32(&b, ERR_WSMAN_TIMED_OUT);
	buf_put_u8(&b, 7);
	CHECK("status: a failure carries no reply",
	      shell_op_reply_decode(&b, receive, &st, &rr) == ERR_FORMAT);
	buf_reset(&b);
	buf_put_u32(&b, ERR_COUNT);
	CHECK("status: out of range -> ERR_FORMAT",
	      shell_op_reply_decode(&b, receive, &st, &rr) == ERR_FORMAT);
	buf_reset(&b);
	buf_put_u8(&b, 0);
	/* A datagram is a whole message: every IPC decoder says ERR_FORMAT. */
	CHECK("status: short -> ERR_FORMAT",
	      shell_op_reply_decode(&b, receive, &st, &rr) == ERR_FORMAT);
	CHECK("status: encoder refuses out of range",
	      shell_op_reply_encode(&b, receive, ERR_COUNT, NULL) == ERR_USAGE);
	buf_clear(&b);

	/* IPC_SHELL_REQUEST: the row's id, then its request. */
	const struct shell_op *op = NULL;
	buf_init(&b, IPC_MAX_MSG);
	CHECK("request: encode",
	      shell_op_request_encode(&b, shell_op_at(SHELL_CMD_DELETE), &din) == ERR_OK);
	CHECK("request: decode names the row",
	      shell_op_request_decode(&b, &op) == ERR_OK && op == shell_op_at(SHELL_CMD_DELETE) &&
		  op->decode(&b, &dout) == ERR_OK && strcmp(dout.shell_id, SID) == 0);
	buf_reset(&b);
	buf_put_u32(&b, SHELL_OP_COUNT);
	CHECK("request: unknown operation -> ERR_FORMAT",
	      shell_op_request_decode(&b, &op) == ERR_FORMAT);
	buf_clear(&b);
}

static void test_shells_left(void)
{
	struct buf b;
	uint32_t n = 0;

	buf_init(&b, 64);
	CHECK("shells left: round trip", shell_ipc_shells_left_encode(&b, 29) == ERR_OK &&
					     shell_ipc_shells_left_decode(&b, &n) == ERR_OK &&
					     n == 29);
	buf_reset(&b);
	buf_put_u32(&b, 1);
	buf_put_u8(&b, 0);
	CHECK("shells left: trailing byte -> ERR_FORMAT",
	      shell_ipc_shells_left_decode(&b, &n) == ERR_FORMAT);
	buf_reset(&b);
	buf_put_u8(&b, 0);
	CHECK("shells left: short -> ERR_FORMAT",
	      shell_ipc_shells_left_decode(&b, &n) == ERR_FORMAT);
	buf_clear(&b);
}

/* A new client's Connect carries its own choice of compression. */
static void test_connect(void)
{
	struct shell_connect_req in = {.shell_id = SID,
				       .connect_xml = "AAAAAAAAAAEAAAAAAAAAAAMAAADHAgAAAAIAAQB2",
				       .compression = SHELL_COMPRESSION_XPRESS},
				 out;
	struct buf b;

	buf_init(&b, IPC_MAX_MSG);
	CHECK("connect: encode", shell_ipc_connect_encode(&b, &in) == ERR_OK);
	check_framing("connect", dec_connect, &b);
	CHECK("connect: decode", shell_ipc_connect_decode(&b, &out) == ERR_OK);
	CHECK("connect: fields", strcmp(out.shell_id, SID) == 0 && out.command_id[0] == 0 &&
				     out.connect_xml &&
				     strcmp(out.connect_xml, in.connect_xml) == 0 &&
				     out.compression == SHELL_COMPRESSION_XPRESS);
	shell_connect_req_clear(&out);
	buf_reset(&b);
	in.compression = SHELL_COMPRESSION_XPRESS + 1;
	CHECK("connect: encode an unknown compression",
	      shell_ipc_connect_encode(&b, &in) == ERR_OK);
	CHECK("connect: an unknown compression -> ERR_FORMAT",
	      shell_ipc_connect_decode(&b, &out) == ERR_FORMAT);
	buf_clear(&b);
}

int main(void)
{
	test_limits();
	test_create();
	test_create_reply();
	test_command();
	test_send();
	test_receive();
	test_receive_reply();
	test_signal_delete_status();
	test_connect();
	test_shells_left();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
