/* psrp_engine: PowerShell shells, each a pwsh -s (host role). See psrp_engine.h.
 *
 * A shell talks to pwsh about GUIDs: the pool (all zeros) and one per
 * pipeline. Each GUID is a target: its output queued for Receive, its Data
 * packets (at most one in flight, docs/psrp.md 2.2: pwsh handles each line
 * on a thread of its own, so only the client's wait for DataAck keeps a
 * GUID's data in order) and the operations waiting for its acks. Lines
 * from pwsh are handled as they come; anything that ends a shell while a
 * line is being handled is deferred to the shell's deadline event, made
 * active, so that the line loop never sees its shell freed. */
#include "host/psrp_engine.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "host/psrp_packet.h"
#include "host/engine_util.h"
#include "host/spawn.h"
#include "psrp/xpress.h"

/* Output queued per shell, pool and pipelines together. Above it pwsh's
 * stdout stays unread, so pwsh blocks on a full pipe: nothing is lost. */
#define PSRP_MAX_OUTPUT (64 * 1024 * 1024)
/* One Send's bytes, and the bytes of Sends queued per shell (clients
 * wait for each SendResponse, so only a misbehaving one queues more). */
#define PSRP_MAX_SEND (16 * 1024 * 1024)
#define PSRP_MAX_QUEUED_INPUT (64 * 1024 * 1024)
/* Packets not yet written to pwsh: the queued input in base64, and room
 * for the small control packets. */
#define PSRP_MAX_TO_PWSH (PSRP_MAX_QUEUED_INPUT / 3 * 4 + 1024 * 1024)
#define PSRP_READ_SIZE (64 * 1024)
/* Lines handled per readable event, so that one chatty pwsh cannot keep
 * the host's loop from its other clients. */
#define PSRP_MAX_LINES_PER_READ 256
/* stderr reads logged per shell; later ones are read and dropped. */
#define PSRP_MAX_STDERR_LOGS 32
#define PSRP_MAX_SHELLS 1024
#define PSRP_MAX_PIPELINES 1024 /* per shell */
/* How long pwsh may take to open the pool (it starts .NET first) and to
 * close it on Delete, and how long SIGTERM has before SIGKILL. */
#define PSRP_OPEN_MS 60000
#define PSRP_CLOSE_MS 10000
#define PSRP_TERM_MS 2000

/* The default limits until psrp_engine_set_limits: Windows' Winrs
 * defaults, as shell_engine has them. */
static const struct shell_limits psrp_default_limits = {
    .max_shells_per_user = 30,
    .max_processes_per_shell = 2147483647,
    .idle_timeout_ms = 7200000,
    .max_shell_run_time_ms = 2147483647,
};

/* pwsh's usual homes, when the service names none. */
static const char *const pwsh_paths[] = {"/usr/bin/pwsh", "/usr/local/bin/pwsh",
					 "/opt/microsoft/powershell/7/pwsh", "/opt/pwsh/pwsh",
					 "/snap/bin/pwsh"};

/* Added to the host's environment for pwsh ([PS] telemetry and update
 * checks would phone home from every pool). */
static char env_telemetry[] = "POWERSHELL_TELEMETRY_OPTOUT=1";
static char env_update[] = "POWERSHELL_UPDATECHECK=Off";
static char *const pwsh_env[] = {env_telemetry, env_update};

/* Who waits for an answer: request id of op; op NULL for the engine's
 * own packets, which nobody waits for. */
struct ps_req {
	uint32_t id;
	const struct shell_op *op;
};

/* One Data line's decoded bytes: one PSRP fragment, one chunk of a reply. */
struct ps_chunk {
	struct ps_chunk *next;
	int terminal; /* holds the pipeline's terminal PIPELINE_STATE */
	size_t len;
	uint8_t data[];
};

/* A Data packet for pwsh, answered on its DataAck. */
struct ps_send {
	struct ps_send *next;
	struct ps_req req;
	enum psrp_stream stream;
	uint8_t *data;
	size_t len;
};

/* An operation answered by pwsh's next ack of one kind for the target. */
struct ps_wait {
	struct ps_wait *next;
	enum psrp_packet_kind ack;
	struct ps_req req;
};

struct ps_shell;

struct ps_target {
	struct ps_shell *shell;
	char guid[PSRP_GUID_LEN + 1];
	struct ps_chunk *out_head, *out_tail;
	int parked; /* a Receive waits for output */
	uint32_t recv_id;
	uint32_t recv_max;
	struct event *ev_recv;
	struct ps_send *send_head, *send_tail;
	int send_ready;	    /* pwsh knows the GUID (the pool; a pipeline after CommandAck) */
	int send_in_flight; /* send_head is written, its DataAck due */
	struct ps_wait *waits;
};

struct ps_pipeline {
	struct ps_pipeline *next;
	struct ps_target t;
	char command_id[SHELL_ID_LEN + 1];
	int end_queued;	   /* its terminal PIPELINE_STATE is in the queue */
	int end_delivered; /* ... and a Receive carried it: Done */
	int close_sent;	   /* every Command X gets exactly one Close X */
	/* Close asked before CommandAck: pwsh handles lines concurrently, so a
	 * Close sent then could overtake the Command and leave it open. */
	int close_after_ack;
};

struct ps_shell {
	struct ps_shell *next;
	struct psrp_engine *eng;
	char id[SHELL_ID_LEN + 1];
	pid_t pid;
	int exited; /* pwsh has exited; it stays an unreaped zombie until freed */
	int in_fd, out_fd, err_fd;
	struct event *ev_in, *ev_out, *ev_err;
	struct buf to_pwsh; /* packets not yet written */
	struct buf line;    /* the line being read from stdout */
	size_t buffered;    /* output bytes queued in all targets */
	size_t queued_input;
	uint32_t stderr_logs;
	struct ps_target pool;
	struct ps_pipeline *pipelines;
	uint32_t npipelines;
	struct ps_req create; /* answered on DataAck 0 */
	int opened;	      /* Create answered */
	int deleting;	      /* Delete asked: answered on CloseAck 0, pwsh's exit or deadline */
	struct ps_req del;
	int end_now; /* the deadline event was made active to end the shell */
	uint64_t idle_ms;
	uint64_t created_ms;
	/* Set when Create negotiated xpress (MS-WSMV 3.1.4.1.31.6): Send data
	 * arrives compressed, and Receive data MUST go out compressed. */
	struct xpress_codec *xpress;
	struct event *ev_idle, *ev_runtime, *ev_deadline;
};

/* A pwsh whose shell is gone, terminated and waited for. */
struct ps_corpse {
	struct ps_corpse *next;
	struct psrp_engine *eng;
	pid_t pid;
	struct event *ev_kill;
};

struct psrp_engine {
	struct event_base *base;
	struct event *ev_chld;
	struct shell_limits limits;
	struct ps_shell *shells;
	uint32_t nshells;
	struct ps_corpse *corpses;
	psrp_engine_answer_fn *answer; /* NULL while the engine is torn down */
	psrp_engine_ended_fn *ended;
	void *arg;
	char user[64];
};

static struct ps_req req_of(uint32_t id, uint32_t op_id)
{
	return (struct ps_req){id, shell_op_at(op_id)};
}

static void answer(struct psrp_engine *e, struct ps_req r, enum err status, const void *reply)
{
	/* A row with a typed reply never gets ERR_OK without one. */
	if (status == ERR_OK && !reply && r.op && r.op->reply_size)
		status = ERR_WSMAN_INTERNAL;
	if (r.op && e->answer)
		e->answer(e->arg, r.id, r.op, status, reply);
}

/* --- writing to pwsh --- */

static void pwsh_write(struct ps_shell *sh)
{
	/* Bounded: each turn writes bytes or returns. */
	while (sh->in_fd >= 0 && buf_len(&sh->to_pwsh) > 0) {
		ssize_t n = write(sh->in_fd, buf_ptr(&sh->to_pwsh), buf_len(&sh->to_pwsh));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			event_add(sh->ev_in, NULL);
			return;
		}
		if (n < 0) {
			/* EPIPE: pwsh is going; its exit ends the shell. */
			log_warn("psrp: shell %s: writing to pwsh", sh->id);
			engine_event_free(&sh->ev_in);
			close(sh->in_fd);
			sh->in_fd = -1;
			buf_reset(&sh->to_pwsh);
			return;
		}
		buf_consume(&sh->to_pwsh, (size_t)n);
	}
	if (sh->ev_in)
		event_del(sh->ev_in);
}

static void stdin_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	pwsh_write(arg);
}

/* Defers ending sh to its deadline event (see the top of the file). */
static void shell_end_soon(struct ps_shell *sh)
{
	sh->end_now = 1;
	event_active(sh->ev_deadline, EV_TIMEOUT, 0);
}

static void pwsh_packet(struct ps_shell *sh, enum psrp_packet_kind kind, enum psrp_stream stream,
			const char *guid, const void *data, size_t len)
{
	if (sh->in_fd < 0)
		return;
	if (psrp_packet_encode(&sh->to_pwsh, kind, stream, guid, data, len) != ERR_OK) {
		/* Only a bug in the bounds above gets here: the shell cannot go on. */
		log_warnx("psrp: shell %s: no room for a packet to pwsh", sh->id);
		shell_end_soon(sh);
		return;
	}
	pwsh_write(sh);
}

/* --- targets --- */

static enum err target_init(struct ps_target *t, struct ps_shell *sh, const char *guid,
			    event_callback_fn recv_timeout)
{
	t->shell = sh;
	memcpy(t->guid, guid, sizeof(t->guid));
	t->ev_recv = evtimer_new(sh->eng->base, recv_timeout, t);
	return t->ev_recv ? ERR_OK : ERR_NOMEM;
}

static void send_free(struct ps_send *s)
{
	if (s->data) {
		/* the pool's input may carry credentials (Get-Credential's answers) */
		OPENSSL_cleanse(s->data, s->len);
		free(s->data);
	}
	free(s);
}

static void wait_add(struct ps_target *t, enum psrp_packet_kind ack, struct ps_req req)
{
	struct ps_wait *w = calloc(1, sizeof(*w)), **pp = &t->waits;

	if (!w) {
		answer(t->shell->eng, req, ERR_NOMEM, NULL);
		return;
	}
	w->ack = ack;
	w->req = req;
	while (*pp)
		pp = &(*pp)->next;
	*pp = w;
}

/* Writes the target's next Data if none is in flight. */
static void send_next(struct ps_target *t)
{
	struct ps_send *s = t->send_head;

	if (!s || !t->send_ready || t->send_in_flight)
		return;
	t->send_in_flight = 1;
	pwsh_packet(t->shell, PSRP_PACKET_DATA, s->stream, t->guid, s->data, s->len);
}

static void send_queue(struct ps_target *t, struct ps_send *s)
{
	t->shell->queued_input += s->len;
	if (t->send_tail)
		t->send_tail->next = s;
	else
		t->send_head = s;
	t->send_tail = s;
	send_next(t);
}

static struct ps_send *send_pop(struct ps_target *t)
{
	struct ps_send *s = t->send_head;

	t->send_head = s->next;
	if (!t->send_head)
		t->send_tail = NULL;
	t->send_in_flight = 0;
	t->shell->queued_input -= s->len;
	return s;
}

static void chunks_free(struct ps_target *t)
{
	while (t->out_head) {
		struct ps_chunk *k = t->out_head;
		t->out_head = k->next;
		t->shell->buffered -= k->len;
		free(k);
	}
	t->out_tail = NULL;
}

static void receive_fail(struct ps_target *t, enum err status)
{
	if (!t->parked)
		return;
	t->parked = 0;
	evtimer_del(t->ev_recv);
	answer(t->shell->eng, req_of(t->recv_id, SHELL_PS_RECEIVE), status, NULL);
}

/* Answers everything that waits on t with status and frees what it holds. */
static void target_clear(struct ps_target *t, enum err status)
{
	struct psrp_engine *e = t->shell->eng;

	receive_fail(t, status);
	while (t->send_head) {
		struct ps_send *s = send_pop(t);
		answer(e, s->req, status, NULL);
		send_free(s);
	}
	while (t->waits) {
		struct ps_wait *w = t->waits;
		t->waits = w->next;
		answer(e, w->req, status, NULL);
		free(w);
	}
	chunks_free(t);
	engine_event_free(&t->ev_recv);
}

static struct ps_pipeline *pipeline_of(struct ps_target *t)
{
	return t == &t->shell->pool
		   ? NULL
		   : (struct ps_pipeline *)((char *)t - offsetof(struct ps_pipeline, t));
}

static void pipeline_free(struct ps_pipeline *p, enum err status)
{
	struct ps_shell *sh = p->t.shell;
	struct ps_pipeline **pp = &sh->pipelines;

	target_clear(&p->t, status);
	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	sh->npipelines--;
	free(p);
}

static void pipeline_close(struct ps_pipeline *p)
{
	if (p->close_sent)
		return;
	if (!p->t.send_ready) {
		p->close_after_ack = 1;
		return;
	}
	p->close_sent = 1;
	pwsh_packet(p->t.shell, PSRP_PACKET_CLOSE, PSRP_STREAM_DEFAULT, p->t.guid, NULL, 0);
}

/* Reads pwsh's stdout while the shell's output is under its cap. */
static void output_flow(struct ps_shell *sh)
{
	if (!sh->ev_out)
		return;
	if (sh->buffered < PSRP_MAX_OUTPUT)
		event_add(sh->ev_out, NULL);
	else
		event_del(sh->ev_out);
}

/* Answers t's parked Receive with whole fragments in order, as many as
 * fit req->max_bytes (MS-PSRP: a fragment is never split across streams
 * or replies, docs/psrp.md 1.3). */
static void receive_answer(struct ps_target *t)
{
	struct ps_pipeline *p = pipeline_of(t);
	struct shell_receive_reply r;
	size_t budget = t->recv_max;
	int end = p && p->end_delivered;

	memset(&r, 0, sizeof(r));
	for (struct ps_chunk *k = t->out_head; k && r.nchunks < SHELL_MAX_CHUNKS; k = k->next) {
		if (k->len > budget)
			break;
		r.chunks[r.nchunks++] = (struct shell_chunk){SHELL_STDOUT, k->data, k->len};
		budget -= k->len;
		end |= k->terminal;
	}
	if (r.nchunks == 0 && t->out_head) {
		/* The client's envelope cannot carry the next fragment. */
		receive_fail(t, ERR_WSMAN_MAX_ENVELOPE);
		return;
	}
	/* MS-PSRP 3.1.5.3.7 via the Windows plugin: Done once the terminal
	 * state has gone out; pool replies carry no CommandState. */
	r.done = p && end;
	r.stdout_end = r.done; /* a PowerShell shell has no stderr stream */
	t->parked = 0;
	evtimer_del(t->ev_recv);
	answer(t->shell->eng, req_of(t->recv_id, SHELL_PS_RECEIVE), ERR_OK, &r);
	for (uint32_t i = 0; i < r.nchunks; i++) {
		struct ps_chunk *k = t->out_head;
		t->out_head = k->next;
		t->shell->buffered -= k->len;
		free(k);
	}
	if (!t->out_head)
		t->out_tail = NULL;
	output_flow(t->shell);
	if (r.done) {
		p->end_delivered = 1;
		/* pwsh knows no end of a pipeline but this Close; CloseAck frees it. */
		pipeline_close(p);
	}
}

static void receive_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	/* The network process turns this into w:TimedOut; clients poll again. */
	receive_fail(arg, ERR_WSMAN_TIMED_OUT);
}

/* --- what pwsh says --- */

static struct ps_target *target_find(struct ps_shell *sh, const char *guid)
{
	if (strcmp(guid, PSRP_POOL_GUID) == 0)
		return &sh->pool;
	for (struct ps_pipeline *p = sh->pipelines; p; p = p->next)
		if (strcmp(p->t.guid, guid) == 0)
			return &p->t;
	return NULL;
}

static void answer_create(struct ps_shell *sh)
{
	struct shell_create_reply r;

	memset(&r, 0, sizeof(r));
	memcpy(r.shell_id, sh->id, sizeof(r.shell_id));
	r.idle_timeout_ms = sh->idle_ms;
	r.process_id = (uint32_t)sh->pid;
	sh->opened = 1;
	evtimer_del(sh->ev_deadline);
	log_info("psrp: shell %s opened for %s (pwsh %d%s)", sh->id, sh->eng->user, (int)sh->pid,
		 sh->xpress ? ", xpress compression" : "");
	answer(sh->eng, sh->create, ERR_OK, &r);
}

/* A Data packet of t was taken: answer whoever sent it. */
static void data_acked(struct ps_target *t)
{
	struct ps_pipeline *p = pipeline_of(t);
	struct ps_send *s;

	if (!t->send_in_flight)
		return; /* pwsh acks what it was sent; an ack of nothing is ignored */
	s = send_pop(t);
	if (s->req.op == shell_op_at(SHELL_PS_CREATE)) {
		answer_create(t->shell);
	} else if (s->req.op == shell_op_at(SHELL_PS_COMMAND)) {
		struct shell_command_reply r;
		memset(&r, 0, sizeof(r));
		memcpy(r.command_id, p->command_id, sizeof(r.command_id));
		answer(t->shell->eng, s->req, ERR_OK, &r);
	} else {
		answer(t->shell->eng, s->req, ERR_OK, NULL);
	}
	send_free(s);
	send_next(t);
}

/* Answers the first operation waiting for ack on t. */
static void wait_done(struct ps_target *t, enum psrp_packet_kind ack)
{
	for (struct ps_wait **pp = &t->waits; *pp; pp = &(*pp)->next) {
		struct ps_wait *w = *pp;
		if (w->ack != ack)
			continue;
		*pp = w->next;
		answer(t->shell->eng, w->req, ERR_OK, NULL);
		free(w);
		return;
	}
}

/* The chunk's fragment as xpress blocks, each Receive's stream being one
 * fragment compressed on its own (what the Windows plugin's client
 * decompresses per rsp:Stream). */
static struct ps_chunk *chunk_compressed(struct ps_shell *sh, struct ps_chunk *raw)
{
	struct buf blocks;
	struct ps_chunk *k = NULL;

	buf_init(&blocks, xpress_stream_encoded_max(raw->len));
	if (xpress_stream_encode(sh->xpress, raw->data, raw->len, &blocks) == ERR_OK &&
	    (k = malloc(sizeof(*k) + buf_len(&blocks)))) {
		*k = *raw;
		k->len = buf_len(&blocks);
		memcpy(k->data, buf_ptr(&blocks), k->len);
	} else
		log_warnx("psrp: shell %s: cannot compress output: dropped", sh->id);
	buf_clear(&blocks);
	free(raw);
	return k;
}

static void output_queue(struct ps_shell *sh, struct ps_target *t, const struct psrp_packet *pk)
{
	struct ps_pipeline *p = pipeline_of(t);
	struct buf bytes;
	struct ps_chunk *k;
	uint32_t state;

	buf_init(&bytes, PSRP_PACKET_MAX_LINE);
	if (util_b64_decode(&bytes, pk->text, pk->text_len) != ERR_OK || buf_len(&bytes) == 0 ||
	    !(k = malloc(sizeof(*k) + buf_len(&bytes)))) {
		log_warnx("psrp: shell %s: unreadable Data from pwsh dropped", sh->id);
		buf_clear(&bytes);
		return;
	}
	k->next = NULL;
	k->len = buf_len(&bytes);
	memcpy(k->data, buf_ptr(&bytes), k->len);
	buf_clear(&bytes);
	k->terminal = p && psrp_pipeline_end_peek(k->data, k->len, &state);
	if (sh->xpress && !(k = chunk_compressed(sh, k)))
		return;
	if (k->terminal) {
		p->end_queued = 1;
		log_info("psrp: pipeline %s in shell %s ended in state %u", p->command_id, sh->id,
			 state);
	}
	if (t->out_tail)
		t->out_tail->next = k;
	else
		t->out_head = k;
	t->out_tail = k;
	sh->buffered += k->len;
	output_flow(sh);
	if (t->parked)
		receive_answer(t);
}

static void pwsh_line(struct ps_shell *sh, const char *line, size_t len)
{
	struct psrp_packet pk;
	struct ps_target *t;
	char q[LOG_QUOTE_MAX];

	if (psrp_packet_parse(line, len, &pk) != ERR_OK) {
		log_warnx("psrp: shell %s: pwsh wrote %s", sh->id,
			  log_quote(q, sizeof(q), line, len));
		shell_end_soon(sh);
		return;
	}
	if (!(t = target_find(sh, pk.guid))) {
		/* A pipeline closed by Terminate while running may still talk. */
		log_debug("psrp: shell %s: packet for closed pipeline %s dropped", sh->id, pk.guid);
		return;
	}
	switch (pk.kind) {
	case PSRP_PACKET_DATA:
		if (!sh->deleting)
			output_queue(sh, t, &pk);
		break;
	case PSRP_PACKET_DATA_ACK:
		data_acked(t);
		break;
	case PSRP_PACKET_COMMAND_ACK:
		t->send_ready = 1;
		if (t != &sh->pool && pipeline_of(t)->close_after_ack)
			pipeline_close(pipeline_of(t));
		else
			send_next(t);
		break;
	case PSRP_PACKET_SIGNAL_ACK:
		wait_done(t, PSRP_PACKET_SIGNAL_ACK);
		break;
	case PSRP_PACKET_CLOSE_ACK:
		if (t == &sh->pool) {
			if (sh->deleting)
				shell_end_soon(sh);
			break;
		}
		/* The pipeline is closed, which is what a stop asked too: pwsh
		 * may write a Signal's SignalAck after a later Close's CloseAck. */
		while (t->waits)
			wait_done(t, t->waits->ack);
		/* A Receive still parked on it learns of the end on its next poll;
		 * input still queued for it has nobody to go to. */
		receive_fail(t, ERR_WSMAN_TIMED_OUT);
		pipeline_free(pipeline_of(t), ERR_WSMAN_UNKNOWN_COMMAND);
		break;
	default:
		/* Command, Signal, Close: the client's packets, not pwsh's. */
		log_warnx("psrp: shell %s: pwsh sent a client's packet", sh->id);
		shell_end_soon(sh);
	}
}

/* Reads what is there and handles each whole line (a bounded number).
 * 1 if it read something. */
static int stdout_read(struct ps_shell *sh)
{
	uint8_t *space;
	ssize_t n;
	size_t want = PSRP_READ_SIZE;

	if (sh->out_fd < 0)
		return 0;
	if (want > sh->line.max - buf_len(&sh->line))
		want = sh->line.max - buf_len(&sh->line);
	if (want == 0 || buf_reserve(&sh->line, want, &space) != ERR_OK) {
		log_warnx("psrp: shell %s: a line from pwsh over %d bytes", sh->id,
			  PSRP_PACKET_MAX_LINE);
		shell_end_soon(sh);
		return 0;
	}
	n = read(sh->out_fd, space, want);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* EOF: pwsh is ending; its exit ends the shell. */
		engine_event_free(&sh->ev_out);
		close(sh->out_fd);
		sh->out_fd = -1;
		return 0;
	}
	buf_commit(&sh->line, (size_t)n);
	for (int lines = 0; lines < PSRP_MAX_LINES_PER_READ && !sh->end_now; lines++) {
		const char *start = (const char *)buf_ptr(&sh->line);
		const char *nl = memchr(start, '\n', buf_len(&sh->line));
		if (!nl)
			break;
		pwsh_line(sh, start, (size_t)(nl - start));
		buf_consume(&sh->line, (size_t)(nl - start) + 1);
	}
	if (memchr(buf_ptr(&sh->line), '\n', buf_len(&sh->line)) && !sh->end_now && sh->ev_out)
		event_active(sh->ev_out, EV_READ, 0); /* lines left: handle them next turn */
	return 1;
}

static void stdout_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	(void)stdout_read(arg);
}

/* pwsh -s writes its errors to stderr: logged (a bounded number of reads)
 * and always drained, so pwsh never blocks on it. */
static void stderr_readable(evutil_socket_t fd, short what, void *arg)
{
	struct ps_shell *sh = arg;
	char data[4096], q[LOG_QUOTE_MAX];
	ssize_t n = read(fd, data, sizeof(data));

	(void)what;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		engine_event_free(&sh->ev_err);
		close(sh->err_fd);
		sh->err_fd = -1;
		return;
	}
	if (sh->stderr_logs++ < PSRP_MAX_STDERR_LOGS)
		log_warnx("psrp: shell %s: pwsh: %s", sh->id,
			  log_quote(q, sizeof(q), data, (size_t)n));
}

/* --- ending shells and their pwsh --- */

static void corpse_free(struct ps_corpse *c)
{
	struct ps_corpse **pp = &c->eng->corpses;

	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	engine_event_free(&c->ev_kill);
	free(c);
}

/* The leader is gone: whatever it left in its group goes too, then the
 * zombie is reaped (only now, so its pid could not be reused before the
 * group was killed). */
static void reap(pid_t pid)
{
	killpg(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void corpse_kill(evutil_socket_t fd, short what, void *arg)
{
	struct ps_corpse *c = arg;

	(void)fd, (void)what;
	log_info("psrp: pwsh %d still running after SIGTERM: killed", (int)c->pid);
	killpg(c->pid, SIGKILL);
}

/* Ends a pwsh that has not exited: stdin is closed already (pwsh exits on
 * EOF), SIGTERM now, SIGKILL if it is still there PSRP_TERM_MS later. */
static void corpse_add(struct psrp_engine *e, pid_t pid)
{
	struct ps_corpse *c = calloc(1, sizeof(*c));

	killpg(pid, SIGTERM);
	if (!c || !(c->ev_kill = evtimer_new(e->base, corpse_kill, c))) {
		free(c);
		reap(pid); /* no memory to wait: SIGKILL lands at once */
		return;
	}
	c->eng = e;
	c->pid = pid;
	c->next = e->corpses;
	e->corpses = c;
	engine_timer_arm(c->ev_kill, PSRP_TERM_MS);
}

static void shell_unlink(struct ps_shell *sh)
{
	struct ps_shell **pp = &sh->eng->shells;

	while (*pp && *pp != sh)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = sh->next;
		sh->eng->nshells--;
	}
}

static void fd_close(int *fd, struct event **ev)
{
	engine_event_free(ev);
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Frees sh, answering everything that still waits with status (a pending
 * Delete with success), and ends its pwsh. Tells `ended` when a shell the
 * client had ended otherwise than by Delete. */
static void shell_end(struct ps_shell *sh, enum err status, const char *reason)
{
	struct psrp_engine *e = sh->eng;
	int tell = sh->opened && !sh->deleting;

	shell_unlink(sh);
	if (sh->deleting)
		answer(e, sh->del, ERR_OK, NULL);
	if (!sh->opened)
		answer(e, sh->create, status == ERR_OK ? ERR_WSMAN_INTERNAL : status, NULL);
	while (sh->pipelines)
		pipeline_free(sh->pipelines, status);
	target_clear(&sh->pool, status);
	fd_close(&sh->in_fd, &sh->ev_in);
	fd_close(&sh->out_fd, &sh->ev_out);
	fd_close(&sh->err_fd, &sh->ev_err);
	if (sh->pid > 0) {
		if (sh->exited)
			reap(sh->pid);
		else
			corpse_add(e, sh->pid);
	}
	log_info("psrp: shell %s of %s ended: %s", sh->id, e->user, reason);
	engine_event_free(&sh->ev_idle);
	engine_event_free(&sh->ev_runtime);
	engine_event_free(&sh->ev_deadline);
	buf_clear(&sh->to_pwsh);
	buf_clear(&sh->line);
	xpress_codec_free(sh->xpress);
	free(sh);
	if (tell && e->answer)
		e->ended(e->arg, e->nshells);
}

/* The deadline: pwsh did not open the pool or close it in time, or a
 * line asked for the shell's end (end_now). */
static void deadline_reached(evutil_socket_t fd, short what, void *arg)
{
	struct ps_shell *sh = arg;

	(void)fd, (void)what;
	if (sh->deleting)
		shell_end(sh, ERR_WSMAN_UNKNOWN_SHELL, "deleted");
	else if (sh->end_now)
		shell_end(sh, ERR_WSMAN_INTERNAL, "pwsh broke the protocol");
	else
		shell_end(sh, ERR_WSMAN_INTERNAL, "pwsh did not open the pool in time");
}

static void pwsh_exited(struct ps_shell *sh, const siginfo_t *si)
{
	sh->exited = 1;
	/* What pwsh wrote last (CloseAck 0, say) may still sit in the pipe. */
	for (int i = 0; i < PSRP_MAX_LINES_PER_READ && !sh->end_now && stdout_read(sh); i++)
		;
	if (sh->deleting) {
		shell_end(sh, ERR_WSMAN_UNKNOWN_SHELL, "deleted");
		return;
	}
	/* pwsh exits 4000 (seen as 160) when its stdin closes; anything now is unexpected. */
	log_warnx("psrp: shell %s: pwsh %d %s %d", sh->id, (int)sh->pid,
		  si->si_code == CLD_EXITED ? "exited with" : "killed by signal", si->si_status);
	shell_end(sh, ERR_WSMAN_INTERNAL, "pwsh ended");
}

static void sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct psrp_engine *e = arg;
	struct ps_shell *sh, *next_sh;
	struct ps_corpse *c, *next_c;

	(void)sig, (void)what;
	/* Only our own pids, and without reaping (WNOWAIT): see reap(). */
	for (sh = e->shells; sh; sh = next_sh) {
		siginfo_t si = {0};
		next_sh = sh->next;
		if (!sh->exited &&
		    waitid(P_PID, (id_t)sh->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == sh->pid)
			pwsh_exited(sh, &si);
	}
	for (c = e->corpses; c; c = next_c) {
		siginfo_t si = {0};
		next_c = c->next;
		if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == c->pid) {
			reap(c->pid);
			corpse_free(c);
		}
	}
}

static void idle_expired(evutil_socket_t fd, short what, void *arg)
{
	struct ps_shell *sh = arg;

	(void)fd, (void)what;
	/* A pending long poll is activity (WSMAN_CMDSHELL_OPTION_KEEPALIVE). */
	int polled = sh->pool.parked;
	for (struct ps_pipeline *p = sh->pipelines; p; p = p->next)
		polled |= p->t.parked;
	if (polled) {
		engine_timer_arm(sh->ev_idle, sh->idle_ms);
		return;
	}
	shell_end(sh, ERR_WSMAN_UNKNOWN_SHELL, "idle");
}

static void runtime_expired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	shell_end(arg, ERR_WSMAN_UNKNOWN_SHELL, "run time");
}

static void arm_runtime(struct ps_shell *sh)
{
	uint64_t max = sh->eng->limits.max_shell_run_time_ms;
	uint64_t age = util_now_ms() - sh->created_ms;

	if (max == 0)
		evtimer_del(sh->ev_runtime);
	else
		engine_timer_arm(sh->ev_runtime, max > age ? max - age : 0);
}

/* --- lookups --- */

/* A shell being deleted is gone for every request. */
static struct ps_shell *shell_find(struct psrp_engine *e, const char *id)
{
	for (struct ps_shell *sh = e->shells; sh; sh = sh->next)
		if (!sh->deleting && strcasecmp(sh->id, id) == 0)
			return sh;
	return NULL;
}

/* The shell of a request, its idle timer restarted (MS-WSMV 3.1.4.1.31.5:
 * any request to the shell is activity), and the request's target: the
 * pool for an empty command_id, else that pipeline (NULL if none). */
static enum err lookup(struct psrp_engine *e, const char *shell_id, const char *command_id,
		       struct ps_shell **sh_out, struct ps_target **t_out)
{
	struct ps_shell *sh = shell_find(e, shell_id);

	*sh_out = sh;
	*t_out = NULL;
	if (!sh || !sh->opened)
		return ERR_WSMAN_UNKNOWN_SHELL;
	if (sh->idle_ms)
		engine_timer_arm(sh->ev_idle, sh->idle_ms);
	if (!*command_id) {
		*t_out = &sh->pool;
		return ERR_OK;
	}
	for (struct ps_pipeline *p = sh->pipelines; p; p = p->next) {
		if (strcasecmp(p->command_id, command_id) == 0) {
			*t_out = &p->t;
			return ERR_OK;
		}
	}
	return ERR_WSMAN_UNKNOWN_COMMAND;
}

/* --- the operations --- */

static enum err shell_events(struct ps_shell *sh)
{
	struct event_base *base = sh->eng->base;

	sh->ev_in = event_new(base, sh->in_fd, EV_WRITE | EV_PERSIST, stdin_writable, sh);
	sh->ev_out = event_new(base, sh->out_fd, EV_READ | EV_PERSIST, stdout_readable, sh);
	sh->ev_err = event_new(base, sh->err_fd, EV_READ | EV_PERSIST, stderr_readable, sh);
	if (!sh->ev_in || !sh->ev_out || !sh->ev_err)
		return ERR_NOMEM;
	event_add(sh->ev_out, NULL);
	event_add(sh->ev_err, NULL);
	return ERR_OK;
}

static const char *pwsh_find(const char *configured)
{
	if (configured && *configured)
		return configured;
	for (size_t i = 0; i < sizeof(pwsh_paths) / sizeof(pwsh_paths[0]); i++)
		if (access(pwsh_paths[i], X_OK) == 0)
			return pwsh_paths[i];
	return NULL;
}

/* Starts pwsh -s for sh in the user's home (or the Create's directory).
 * The one wait of the engine: spawn_start blocks until the exec is done
 * (not until pwsh is up), so that a missing pwsh answers Create at once. */
static enum err pwsh_spawn(struct ps_shell *sh, const struct shell_create_req *req)
{
	char *argv[] = {NULL, "-NoLogo", "-NoProfile", "-s", NULL};
	const char *home = getenv("HOME");
	struct spawn_spec sp = {.argv = argv};
	struct spawn_child child;
	struct spawn_failure why;
	enum err err;

	if (!(sp.file = pwsh_find(req->pwsh)))
		return ERR_WSMAN_NO_PWSH;
	argv[0] = (char *)sp.file;
	sp.dir = req->working_dir ? req->working_dir : home && *home ? home : "/";
	if (!(sp.envp = spawn_env_merge(pwsh_env, sizeof(pwsh_env) / sizeof(pwsh_env[0]))))
		return ERR_NOMEM;
	err = spawn_start(&sp, &child, &why);
	free(sp.envp);
	if (err != ERR_OK)
		return why.stage == SPAWN_EXEC	  ? ERR_WSMAN_NO_PWSH
		       : why.stage == SPAWN_CHDIR ? ERR_WSMAN_INVALID_PARAMETER
						  : err;
	sh->pid = child.pid;
	sh->in_fd = child.in_fd;
	sh->out_fd = child.out_fd;
	sh->err_fd = child.err_fd;
	return ERR_OK;
}

static struct ps_shell *shell_new(struct psrp_engine *e, const struct shell_create_req *req)
{
	struct ps_shell *sh = calloc(1, sizeof(*sh));
	uint64_t idle = req->idle_timeout_ms, max_idle = e->limits.idle_timeout_ms;

	if (!sh)
		return NULL;
	sh->eng = e;
	sh->in_fd = sh->out_fd = sh->err_fd = -1;
	memcpy(sh->id, req->shell_id, sizeof(sh->id));
	buf_init(&sh->to_pwsh, PSRP_MAX_TO_PWSH);
	buf_init(&sh->line, PSRP_PACKET_MAX_LINE + 1);
	sh->created_ms = util_now_ms();
	/* Winrs/IdleTimeout is both the default and the most a client gets. */
	if (max_idle && (idle == 0 || idle > max_idle))
		idle = max_idle;
	sh->idle_ms = idle;
	sh->pool.send_ready = 1;
	sh->ev_idle = evtimer_new(e->base, idle_expired, sh);
	sh->ev_runtime = evtimer_new(e->base, runtime_expired, sh);
	sh->ev_deadline = evtimer_new(e->base, deadline_reached, sh);
	if (target_init(&sh->pool, sh, PSRP_POOL_GUID, receive_timeout) != ERR_OK || !sh->ev_idle ||
	    !sh->ev_runtime || !sh->ev_deadline) {
		target_clear(&sh->pool, ERR_NOMEM);
		engine_event_free(&sh->ev_idle);
		engine_event_free(&sh->ev_runtime);
		engine_event_free(&sh->ev_deadline);
		free(sh);
		return NULL;
	}
	return sh;
}

void psrp_engine_create(struct psrp_engine *e, uint32_t req_id, const struct shell_create_req *req)
{
	struct ps_req who = req_of(req_id, SHELL_PS_CREATE);
	struct ps_send *s = NULL;
	struct ps_shell *sh;
	struct buf creation;
	enum err err;

	for (sh = e->shells; sh; sh = sh->next)
		if (strcasecmp(sh->id, req->shell_id) == 0) {
			answer(e, who, ERR_WSMAN_ALREADY_EXISTS, NULL);
			return;
		}
	if ((e->limits.max_shells_per_user && e->nshells >= e->limits.max_shells_per_user) ||
	    e->nshells >= PSRP_MAX_SHELLS) {
		answer(e, who, ERR_WSMAN_QUOTA_SHELLS, NULL);
		return;
	}
	/* creationXml: SESSION_CAPABILITY and INIT_RUNSPACEPOOL, whole
	 * fragments, given to pwsh as the pool's first Data. */
	buf_init(&creation, SHELL_MAX_PSRP_TEXT);
	err = req->creation_xml
		  ? util_b64_decode(&creation, req->creation_xml, strlen(req->creation_xml))
		  : ERR_FORMAT;
	if (err != ERR_OK || buf_len(&creation) == 0) {
		buf_clear(&creation);
		answer(e, who, ERR_WSMAN_INVALID_PARAMETER, NULL);
		return;
	}
	if (!(sh = shell_new(e, req)) || !(s = calloc(1, sizeof(*s)))) {
		free(sh);
		buf_clear(&creation);
		answer(e, who, ERR_NOMEM, NULL);
		return;
	}
	s->req = who;
	s->stream = PSRP_STREAM_DEFAULT;
	s->len = buf_len(&creation);
	s->data = malloc(s->len);
	if (s->data)
		memcpy(s->data, buf_ptr(&creation), s->len);
	buf_clear(&creation);
	sh->create = who;
	sh->next = e->shells;
	e->shells = sh;
	e->nshells++;
	if (!s->data)
		err = ERR_NOMEM;
	else if (req->compression == SHELL_COMPRESSION_XPRESS)
		err = xpress_codec_new(&sh->xpress);
	else
		err = ERR_OK;
	if (err == ERR_OK && (err = pwsh_spawn(sh, req)) == ERR_OK)
		err = shell_events(sh);
	if (err != ERR_OK) {
		send_free(s);
		shell_end(sh, err, "pwsh did not start");
		return;
	}
	log_info("psrp: shell %s for %s: pwsh %d started", sh->id, e->user, (int)sh->pid);
	/* Answered by answer_create on DataAck 0, which pwsh sends after the
	 * pool's opening messages. */
	engine_timer_arm(sh->ev_deadline, PSRP_OPEN_MS);
	if (sh->idle_ms)
		engine_timer_arm(sh->ev_idle, sh->idle_ms);
	arm_runtime(sh);
	send_queue(&sh->pool, s);
}

void psrp_engine_command(struct psrp_engine *e, uint32_t req_id,
			 const struct shell_command_req *req)
{
	struct ps_req who = req_of(req_id, SHELL_PS_COMMAND);
	struct ps_pipeline *p;
	struct ps_shell *sh;
	struct ps_target *t;
	struct ps_send *s;
	struct buf args;
	char pid[PSRP_GUID_LEN + 1];
	enum err err = lookup(e, req->shell_id, req->command_id, &sh, &t);

	if (err == ERR_WSMAN_UNKNOWN_SHELL) {
		answer(e, who, err, NULL);
		return;
	}
	if ((t && t != &sh->pool) || req->argc != 2) {
		/* t: that CommandId is still a pipeline here (pwsh would die of
		 * a second Command for its GUID). */
		answer(e, who,
		       req->argc == 2 ? ERR_WSMAN_ALREADY_EXISTS : ERR_WSMAN_INVALID_PARAMETER,
		       NULL);
		return;
	}
	/* MS-PSRP 3.1.5.3.3: Arguments hold the first CREATE_PIPELINE
	 * fragment; pwsh routes the pipeline by the PID in its header. */
	buf_init(&args, SHELL_MAX_PSRP_TEXT);
	err = util_b64_decode(&args, req->argv[1], strlen(req->argv[1]));
	if (err == ERR_OK)
		err = psrp_create_pipeline_pid(buf_ptr(&args), buf_len(&args), pid) == ERR_OK
			  ? ERR_OK
			  : ERR_WSMAN_INVALID_PARAMETER;
	if (err == ERR_OK && target_find(sh, pid))
		err = ERR_WSMAN_ALREADY_EXISTS;
	if (err == ERR_OK && sh->npipelines >= PSRP_MAX_PIPELINES)
		err = ERR_WSMAN_QUOTA_PROCESSES;
	p = err == ERR_OK ? calloc(1, sizeof(*p)) : NULL;
	s = p ? calloc(1, sizeof(*s)) : NULL;
	if (s && !(s->data = malloc(buf_len(&args)))) {
		free(s);
		s = NULL;
	}
	if (err == ERR_OK && (!s || target_init(&p->t, sh, pid, receive_timeout) != ERR_OK))
		err = ERR_NOMEM;
	if (err != ERR_OK) {
		if (p)
			engine_event_free(&p->t.ev_recv);
		free(p);
		if (s)
			send_free(s);
		buf_clear(&args);
		answer(e, who, err, NULL);
		return;
	}
	s->req = who;
	s->stream = PSRP_STREAM_DEFAULT;
	s->len = buf_len(&args);
	memcpy(s->data, buf_ptr(&args), s->len);
	buf_clear(&args);
	/* The client's CommandId, else the PID in upper case, as Windows. */
	if (req->command_id[0]) {
		memcpy(p->command_id, req->command_id, sizeof(p->command_id));
	} else {
		for (int i = 0; i < PSRP_GUID_LEN; i++)
			p->command_id[i] =
			    (char)(pid[i] >= 'a' && pid[i] <= 'f' ? pid[i] - 32 : pid[i]);
	}
	p->next = sh->pipelines;
	sh->pipelines = p;
	sh->npipelines++;
	log_info("psrp: pipeline %s started in shell %s for %s", p->command_id, sh->id, e->user);
	/* Its data waits in the queue until CommandAck (send_ready). */
	pwsh_packet(sh, PSRP_PACKET_COMMAND, PSRP_STREAM_DEFAULT, pid, NULL, 0);
	send_queue(&p->t, s);
}

/* Replaces a compressed Send's data with what it decodes to, bounded as
 * any Send is (a compression ratio can be enormous). The compressed bytes
 * are wiped: the pool's input may carry credentials. */
static enum err send_decompressed(struct ps_shell *sh, struct shell_send_req *req)
{
	struct buf plain;
	enum err err;

	buf_init(&plain, PSRP_MAX_SEND);
	err = xpress_stream_decode(sh->xpress, req->data, req->len, &plain);
	OPENSSL_cleanse(req->data, req->len);
	free(req->data);
	req->data = NULL;
	req->len = 0;
	if (err == ERR_OK && buf_len(&plain) > 0) {
		if (!(req->data = malloc(buf_len(&plain))))
			err = ERR_NOMEM;
		else {
			req->len = buf_len(&plain);
			memcpy(req->data, buf_ptr(&plain), req->len);
		}
	}
	if (err != ERR_OK)
		log_warnx("psrp: shell %s: compressed input refused: %s", sh->id, err_str(err));
	buf_clear(&plain); /* wipes */
	return err;
}

void psrp_engine_send(struct psrp_engine *e, uint32_t req_id, struct shell_send_req *req)
{
	struct ps_req who = req_of(req_id, SHELL_PS_SEND);
	struct ps_shell *sh;
	struct ps_target *t;
	struct ps_send *s;
	enum err err = lookup(e, req->shell_id, req->command_id, &sh, &t);

	if (err == ERR_OK && sh->xpress)
		err = send_decompressed(sh, req);
	if (err == ERR_OK &&
	    (req->len > PSRP_MAX_SEND || req->len > PSRP_MAX_QUEUED_INPUT - sh->queued_input))
		err = ERR_LIMIT;
	if (err == ERR_OK && req->len == 0) {
		answer(e, who, ERR_OK, NULL); /* nothing for pwsh (an empty Data closes nothing) */
		return;
	}
	if (err == ERR_OK && !(s = calloc(1, sizeof(*s))))
		err = ERR_NOMEM;
	if (err != ERR_OK) {
		answer(e, who, err, NULL);
		return;
	}
	s->req = who;
	/* MS-PSRP 3.1.5.3.5: pr carries host-call answers. */
	s->stream = req->stream == SHELL_PROMPT_RESPONSE ? PSRP_STREAM_PROMPT_RESPONSE
							 : PSRP_STREAM_DEFAULT;
	s->data = req->data;
	s->len = req->len;
	req->data = NULL;
	req->len = 0;
	send_queue(t, s);
}

void psrp_engine_receive(struct psrp_engine *e, uint32_t req_id,
			 const struct shell_receive_req *req)
{
	struct ps_shell *sh;
	struct ps_target *t;
	enum err err = lookup(e, req->shell_id, req->command_id, &sh, &t);
	struct ps_pipeline *p;

	if (err == ERR_OK && req->max_bytes == 0)
		err = ERR_WSMAN_MAX_ENVELOPE;
	if (err != ERR_OK) {
		answer(e, req_of(req_id, SHELL_PS_RECEIVE), err, NULL);
		return;
	}
	/* One long poll per target: the newer one takes over. */
	receive_fail(t, ERR_WSMAN_TIMED_OUT);
	t->parked = 1;
	t->recv_id = req_id;
	t->recv_max = req->max_bytes;
	p = pipeline_of(t);
	if (t->out_head || (p && p->end_delivered))
		receive_answer(t);
	else
		engine_timer_arm(t->ev_recv, req->timeout_ms);
}

void psrp_engine_signal(struct psrp_engine *e, uint32_t req_id, const struct shell_signal_req *req)
{
	struct ps_req who = req_of(req_id, SHELL_PS_SIGNAL);
	struct ps_shell *sh;
	struct ps_target *t;
	struct ps_pipeline *p;
	enum err err = lookup(e, req->shell_id, req->command_id, &sh, &t);

	/* docs/psrp.md 1.7: a Signal to the pool does nothing (a pool-level
	 * Signal would make pwsh exit), and one to a pipeline already closed
	 * succeeds (Ansible stops each finished pipeline). */
	if (err == ERR_WSMAN_UNKNOWN_COMMAND || (err == ERR_OK && t == &sh->pool)) {
		answer(e, who, ERR_OK, NULL);
		return;
	}
	if (err != ERR_OK) {
		answer(e, who, err, NULL);
		return;
	}
	p = pipeline_of(t);
	if (req->signal == SHELL_SIGNAL_PS_STOP) {
		/* pwsh stops the pipeline, writes PIPELINE_STATE Stopped, then SignalAck. */
		if (p->close_sent || p->end_queued || !t->send_ready) {
			answer(e, who, ERR_OK, NULL);
			return;
		}
		wait_add(t, PSRP_PACKET_SIGNAL_ACK, who);
		pwsh_packet(sh, PSRP_PACKET_SIGNAL, PSRP_STREAM_DEFAULT, t->guid, NULL, 0);
		return;
	}
	/* [PS] WSManPlugin: every other code closes the command. */
	wait_add(t, PSRP_PACKET_CLOSE_ACK, who);
	pipeline_close(p);
}

void psrp_engine_delete(struct psrp_engine *e, uint32_t req_id, const struct shell_delete_req *req)
{
	struct ps_shell *sh = shell_find(e, req->shell_id);

	if (!sh || !sh->opened) {
		answer(e, req_of(req_id, SHELL_PS_DELETE), ERR_WSMAN_UNKNOWN_SHELL, NULL);
		return;
	}
	sh->deleting = 1;
	sh->del = req_of(req_id, SHELL_PS_DELETE);
	/* Nobody will read the output any more: drop it, and read on so that
	 * the acks come through. */
	receive_fail(&sh->pool, ERR_WSMAN_UNKNOWN_SHELL);
	chunks_free(&sh->pool);
	for (struct ps_pipeline *p = sh->pipelines; p; p = p->next) {
		receive_fail(&p->t, ERR_WSMAN_UNKNOWN_SHELL);
		chunks_free(&p->t);
		/* Close 0 waits for every command to be closed. */
		pipeline_close(p);
	}
	output_flow(sh);
	pwsh_packet(sh, PSRP_PACKET_CLOSE, PSRP_STREAM_DEFAULT, PSRP_POOL_GUID, NULL, 0);
	engine_timer_arm(sh->ev_deadline, PSRP_CLOSE_MS);
}

/* --- engine --- */

struct psrp_engine *psrp_engine_new(struct event_base *base, psrp_engine_answer_fn *fn,
				    psrp_engine_ended_fn *ended, void *arg)
{
	struct psrp_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->base = base;
	e->answer = fn;
	e->ended = ended;
	e->arg = arg;
	e->limits = psrp_default_limits;
	engine_user_name(e->user, sizeof(e->user));
	/* The cmd engine watches SIGCHLD on the same base; libevent runs both,
	 * and each waits only for its own children. */
	if (!(e->ev_chld = evsignal_new(base, SIGCHLD, sigchld, e)) ||
	    evsignal_add(e->ev_chld, NULL) < 0) {
		if (e->ev_chld)
			event_free(e->ev_chld);
		free(e);
		return NULL;
	}
	return e;
}

void psrp_engine_free(struct psrp_engine *e)
{
	if (!e)
		return;
	e->answer = NULL;
	while (e->shells) {
		struct ps_shell *sh = e->shells;
		/* Killed outright: the channel is gone, nobody waits for a close. */
		if (!sh->exited && sh->pid > 0)
			killpg(sh->pid, SIGKILL);
		sh->exited = 1;
		shell_end(sh, ERR_WSMAN_HOST_GONE, "channel closed");
	}
	while (e->corpses) {
		reap(e->corpses->pid);
		corpse_free(e->corpses);
	}
	event_free(e->ev_chld);
	free(e);
}

void psrp_engine_set_limits(struct psrp_engine *e, const struct shell_limits *l)
{
	e->limits = *l;
	for (struct ps_shell *sh = e->shells; sh; sh = sh->next)
		arm_runtime(sh);
}

uint32_t psrp_engine_shells(const struct psrp_engine *e)
{
	return e->nshells;
}
