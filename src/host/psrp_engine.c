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
#include "host/proctree.h"
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
/* How long a Receive parked on a pipeline that has output, but not yet
 * its end, waits for more before it is answered. pwsh writes a
 * pipeline's last output and its PIPELINE_STATE as separate lines (0.35
 * ms apart at the median here, 1 ms at the 90th percentile), so answering
 * the output alone costs the client one more Receive's round trip for
 * the end: a command on an open session is two pipelines, each a Receive
 * or two. Output that keeps coming goes out this much later at most, and
 * not at all later once more than PSRP_GATHER_CHUNKS fragments wait. */
#define PSRP_GATHER_MS 5
#define PSRP_GATHER_CHUNKS 16
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
/* Processes over MaxProcessesPerShell killed per shell and round. */
#define PSRP_MAX_EXCESS_KILLS 64

/* The default limits until psrp_engine_set_limits: Windows' Winrs
 * defaults, as shell_engine has them. */
static const struct shell_limits psrp_default_limits = {
    .max_shells_per_user = 30,
    .max_processes_per_shell = 2147483647,
    .idle_timeout_ms = 7200000,
    .max_shell_run_time_ms = 2147483647,
    .max_memory_per_shell_mb = 2147483647,
};

/* pwsh's usual homes, when the service names none. */
static const char *const pwsh_paths[] = {"/usr/bin/pwsh", "/usr/local/bin/pwsh",
					 "/opt/microsoft/powershell/7/pwsh", "/opt/pwsh/pwsh",
					 "/snap/bin/pwsh"};

/* Added to the host's environment for pwsh ([PS] telemetry and update
 * checks would phone home from every pool). */
static char env_telemetry[] = "POWERSHELL_TELEMETRY_OPTOUT=1";
static char env_update[] = "POWERSHELL_UPDATECHECK=Off";

/* .NET's own limit on its managed heap, so that PowerShell code over
 * MaxMemoryPerShellMB gets OutOfMemoryException in its pipeline and the
 * session lives on, as an allocation fails in Windows' job object; the
 * quota round (below) catches what the heap limit cannot see: native
 * memory, and the commands pwsh starts. */
#define PSRP_GC_LIMIT_VAR "DOTNET_GCHeapHardLimit"

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
	struct event *ev_gather; /* the parked Receive gathers output (PSRP_GATHER_MS) */
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
	int created;	   /* pwsh acked the Data that creates it (after CommandAck) */
	/* Close or stop asked before that: pwsh handles lines concurrently,
	 * so one sent then could overtake the Command or its Data and leave
	 * the pipeline open or running. */
	int close_after_create, stop_after_create;
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
	/* Disconnected sessions (MS-PSRP 3.1.5.3.16): pwsh runs on, its output
	 * is kept for the client that comes back, the idle timer counts the
	 * disconnect's IdleTimeOut. */
	int disconnected;
	uint32_t buffer_mode; /* enum shell_buffer_mode */
	uint64_t disconnect_idle_ms;
	uint64_t active_ms;		  /* the last request to the shell */
	char name[SHELL_PS_NAME_MAX + 1]; /* the Create's, else the ShellId */
	char endpoint[SHELL_PS_NAME_MAX + 1];
	char client_ip[64];
	/* For a Connect from a new client, which pwsh -s cannot answer (its
	 * line protocol has no Connect; [PS] ServerRemoteSession.ExecuteConnect
	 * runs only in the WSMan plugin): the pool as INIT_RUNSPACEPOOL made
	 * it, and pwsh's own SESSION_CAPABILITY, APPLICATION_PRIVATE_DATA and
	 * RUNSPACEPOOL_STATE of the opening, each one whole fragment. */
	struct psrp_pool_init init;
	int have_init;
	struct ps_chunk *opening[3];
};

/* The opening messages kept in ps_shell.opening, in the order a client
 * that connects gets them. */
static const uint32_t opening_types[3] = {
    PSRP_MSG_SESSION_CAPABILITY, PSRP_MSG_APPLICATION_PRIVATE_DATA, PSRP_MSG_RUNSPACEPOOL_STATE};

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
	struct proctree_watch *quota; /* the quota round, while a quota is set and shells run */
	struct shell_limits limits;
	struct ps_shell *shells;
	uint32_t nshells;
	struct ps_corpse *corpses;
	struct spawn_child spare; /* pid 0: none (see "the spare pwsh") */
	/* How the last Create started its pwsh (struct pwsh_launch's fields),
	 * for the next spare; launch_set once known. */
	char *launch[3];
	int launch_set;
	psrp_engine_answer_fn *answer; /* NULL while the engine is torn down */
	psrp_engine_ended_fn *ended;
	void *arg;
	char user[64];
	/* psrp_engine_restrict's: the pwsh and its -ConfigurationFile, or NULL. */
	char *fixed_pwsh;
	char *configuration_file;
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
			    event_callback_fn recv_timeout, event_callback_fn gathered)
{
	t->shell = sh;
	memcpy(t->guid, guid, sizeof(t->guid));
	t->ev_recv = evtimer_new(sh->eng->base, recv_timeout, t);
	t->ev_gather = evtimer_new(sh->eng->base, gathered, t);
	return t->ev_recv && t->ev_gather ? ERR_OK : ERR_NOMEM;
}

static void target_events_free(struct ps_target *t)
{
	engine_event_free(&t->ev_recv);
	engine_event_free(&t->ev_gather);
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
	evtimer_del(t->ev_gather);
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
	target_events_free(t);
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
	if (!p->created) {
		p->close_after_create = 1;
		return;
	}
	p->close_sent = 1;
	pwsh_packet(p->t.shell, PSRP_PACKET_CLOSE, PSRP_STREAM_DEFAULT, p->t.guid, NULL, 0);
}

/* PowerShell's stop: pwsh stops the pipeline, writes PIPELINE_STATE
 * Stopped, then SignalAck. */
static void pipeline_stop(struct ps_pipeline *p)
{
	if (!p->created) {
		p->stop_after_create = 1;
		return;
	}
	pwsh_packet(p->t.shell, PSRP_PACKET_SIGNAL, PSRP_STREAM_DEFAULT, p->t.guid, NULL, 0);
}

/* Reads pwsh's stdout while the shell's output is under its cap. */
static void output_flow(struct ps_shell *sh)
{
	if (!sh->ev_out)
		return;
	if (sh->buffered < PSRP_MAX_OUTPUT ||
	    (sh->disconnected && sh->buffer_mode == SHELL_BUFFER_DROP))
		event_add(sh->ev_out, NULL);
	else
		event_del(sh->ev_out);
}

/* The chunk's fragment as xpress blocks, each Receive's stream being one
 * fragment compressed on its own (what the Windows plugin's client
 * decompresses per rsp:Stream); NULL if it cannot be. Output is kept
 * plain and compressed as it goes out, since a client that connects
 * afresh chooses again whether it wants compression. */
static struct ps_chunk *chunk_compressed(struct ps_shell *sh, const struct ps_chunk *raw)
{
	struct buf blocks;
	struct ps_chunk *k = NULL;

	buf_init(&blocks, xpress_stream_encoded_max(raw->len));
	if (xpress_stream_encode(sh->xpress, raw->data, raw->len, &blocks) == ERR_OK &&
	    (k = malloc(sizeof(*k) + buf_len(&blocks)))) {
		*k = *raw;
		k->next = NULL;
		k->len = buf_len(&blocks);
		memcpy(k->data, buf_ptr(&blocks), k->len);
	} else
		log_warnx("psrp: shell %s: cannot compress output", sh->id);
	buf_clear(&blocks);
	return k;
}

/* Answers t's parked Receive with whole fragments in order, as many as
 * fit req->max_bytes (MS-PSRP: a fragment is never split across streams
 * or replies, docs/psrp.md 1.3). */
static void receive_answer(struct ps_target *t)
{
	struct ps_shell *sh = t->shell;
	struct ps_pipeline *p = pipeline_of(t);
	struct shell_receive_reply r;
	struct ps_chunk *compressed[SHELL_MAX_CHUNKS] = {0};
	size_t budget = t->recv_max;
	int end = p && p->end_delivered;
	enum err refused = ERR_WSMAN_MAX_ENVELOPE;

	memset(&r, 0, sizeof(r));
	for (struct ps_chunk *k = t->out_head; k && r.nchunks < SHELL_MAX_CHUNKS; k = k->next) {
		const struct ps_chunk *out = k;
		if (sh->xpress && !(out = compressed[r.nchunks] = chunk_compressed(sh, k))) {
			refused = ERR_NOMEM;
			break;
		}
		if (out->len > budget)
			break;
		r.chunks[r.nchunks++] = (struct shell_chunk){SHELL_STDOUT, out->data, out->len};
		budget -= out->len;
		end |= k->terminal;
	}
	if (r.nchunks == 0 && t->out_head) {
		/* The client's envelope cannot carry the next fragment. */
		free(compressed[0]);
		receive_fail(t, refused);
		return;
	}
	/* MS-PSRP 3.1.5.3.7 via the Windows plugin: Done once the terminal
	 * state has gone out; pool replies carry no CommandState. */
	r.done = p && end;
	r.stdout_end = r.done; /* a PowerShell shell has no stderr stream */
	t->parked = 0;
	evtimer_del(t->ev_recv);
	evtimer_del(t->ev_gather);
	answer(sh->eng, req_of(t->recv_id, SHELL_PS_RECEIVE), ERR_OK, &r);
	for (uint32_t i = 0; i <= r.nchunks && i < SHELL_MAX_CHUNKS; i++)
		free(compressed[i]);
	for (uint32_t i = 0; i < r.nchunks; i++) {
		struct ps_chunk *k = t->out_head;
		t->out_head = k->next;
		sh->buffered -= k->len;
		free(k);
	}
	if (!t->out_head)
		t->out_tail = NULL;
	output_flow(sh);
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

/* Whether t's queued output is worth gathering more for: a few chunks,
 * with room left in the reply. More is a stream of output, which goes at
 * once (and the look stays short). */
static int reply_has_room(const struct ps_target *t)
{
	size_t n = 0, chunks = 0;

	for (const struct ps_chunk *k = t->out_head; k; k = k->next)
		if (++chunks > PSRP_GATHER_CHUNKS || (n += k->len) >= t->recv_max)
			return 0;
	return 1;
}

/* t's parked Receive has something to answer with: the pool's output, a
 * pipeline's end or a reply's worth go at once; a pipeline's other output
 * waits up to PSRP_GATHER_MS for its end (or more output) to join it. */
static void receive_ready(struct ps_target *t)
{
	struct ps_pipeline *p = pipeline_of(t);
	const struct timeval gather = {0, PSRP_GATHER_MS * 1000};

	if (!p || p->end_queued || p->end_delivered || !reply_has_room(t))
		receive_answer(t);
	else if (!evtimer_pending(t->ev_gather, NULL))
		evtimer_add(t->ev_gather, &gather);
}

static void receive_gathered(evutil_socket_t fd, short what, void *arg)
{
	struct ps_target *t = arg;

	(void)fd, (void)what;
	if (t->parked)
		receive_answer(t);
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

/* "the spare pwsh", below */
static void spare_start(struct psrp_engine *e);
static void spare_discard(struct psrp_engine *e);

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
	spare_start(sh->eng);
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
	} else {
		answer(t->shell->eng, s->req, ERR_OK, NULL);
	}
	send_free(s);
	if (p && !p->created) {
		p->created = 1;
		if (p->close_after_create)
			pipeline_close(p);
		else if (p->stop_after_create)
			pipeline_stop(p);
	}
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

static struct ps_chunk *chunk_copy(const struct ps_chunk *k)
{
	struct ps_chunk *c = malloc(sizeof(*c) + k->len);

	if (c) {
		memcpy(c, k, sizeof(*c) + k->len);
		c->next = NULL;
	}
	return c;
}

/* Keeps the first of each opening message pwsh writes on the pool. */
static void opening_keep(struct ps_shell *sh, const struct ps_chunk *k)
{
	uint32_t type;

	if (sh->opening[0] && sh->opening[1] && sh->opening[2])
		return;
	type = psrp_single_message_type(k->data, k->len);
	for (int i = 0; i < 3; i++)
		if (type && type == opening_types[i] && !sh->opening[i])
			sh->opening[i] = chunk_copy(k);
}

/* Drop mode, disconnected: over the cap the oldest output of t goes (a
 * pipeline's last state stays, so that its client still sees it end). */
static void drop_oldest(struct ps_shell *sh, struct ps_target *t)
{
	if (!sh->disconnected || sh->buffer_mode != SHELL_BUFFER_DROP)
		return;
	while (sh->buffered > PSRP_MAX_OUTPUT && t->out_head && t->out_head != t->out_tail &&
	       !t->out_head->terminal) {
		struct ps_chunk *k = t->out_head;
		t->out_head = k->next;
		sh->buffered -= k->len;
		free(k);
	}
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
	if (!p)
		opening_keep(sh, k);
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
	drop_oldest(sh, t);
	output_flow(sh);
	if (t->parked)
		receive_ready(t);
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
	for (int i = 0; i < 3; i++)
		free(sh->opening[i]);
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
	shell_end(sh, ERR_WSMAN_PROVIDER_DIED, "pwsh ended");
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
	if (e->spare.pid > 0) {
		siginfo_t si = {0};
		if (waitid(P_PID, (id_t)e->spare.pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == e->spare.pid) {
			/* Reaped with the corpses below. */
			log_warnx("psrp: the spare pwsh %d ended on its own", (int)e->spare.pid);
			spare_discard(e);
		}
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

/* --- quotas on the process tree (proctree.h) --- */

static int quotas_set(const struct psrp_engine *e)
{
	return proctree_limit_set(e->limits.max_memory_per_shell_mb) ||
	       proctree_limit_set(e->limits.max_processes_per_shell);
}

static void quota_arm(struct psrp_engine *e)
{
	proctree_watch_run(e->quota, e->shells && quotas_set(e));
}

/* Over MaxProcessesPerShell, the newest processes are killed (where
 * Windows' job object refuses to create them); over MaxMemoryPerShellMB,
 * the shell ends with its whole tree, as Windows' job object ends the
 * plugin's host. */
static void quota_check(struct ps_shell *sh, const struct proctree *t)
{
	const struct shell_limits *l = &sh->eng->limits;
	struct proctree_usage u = proctree_usage(t, &sh->pid, 1);
	uint64_t resident_mb = u.resident_bytes >> 20;

	if (proctree_limit_set(l->max_memory_per_shell_mb) &&
	    resident_mb > l->max_memory_per_shell_mb) {
		log_warnx("psrp: shell %s of %s: %llu MB resident in %u processes, over "
			  "MaxMemoryPerShellMB %u",
			  sh->id, sh->eng->user, (unsigned long long)resident_mb, u.processes,
			  l->max_memory_per_shell_mb);
		killpg(sh->pid, SIGKILL);
		shell_end(sh, ERR_WSMAN_PROVIDER_DIED, "over MaxMemoryPerShellMB");
		return;
	}
	if (proctree_limit_set(l->max_processes_per_shell) &&
	    u.processes > l->max_processes_per_shell) {
		uint32_t excess = u.processes - l->max_processes_per_shell;
		uint32_t n = proctree_kill_newest(
		    t, &sh->pid, 1,
		    excess < PSRP_MAX_EXCESS_KILLS ? excess : PSRP_MAX_EXCESS_KILLS);
		log_warnx("psrp: shell %s of %s: %u processes, over MaxProcessesPerShell %u: "
			  "killed the %u newest",
			  sh->id, sh->eng->user, u.processes, l->max_processes_per_shell, n);
	}
}

static void quota_round(void *arg, const struct proctree *t)
{
	struct psrp_engine *e = arg;

	for (struct ps_shell *sh = e->shells, *next; sh; sh = next) {
		next = sh->next;
		if (sh->pid > 0 && !sh->exited && !sh->deleting)
			quota_check(sh, t);
	}
	quota_arm(e);
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
	if (sh->disconnected)
		return ERR_WSMAN_SHELL_DISCONNECTED;
	sh->active_ms = util_now_ms();
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

const char *psrp_engine_pwsh_find(const char *configured)
{
	if (configured && *configured)
		return configured;
	for (size_t i = 0; i < sizeof(pwsh_paths) / sizeof(pwsh_paths[0]); i++)
		if (access(pwsh_paths[i], X_OK) == 0)
			return pwsh_paths[i];
	return NULL;
}

/* How a Create's pwsh is started: which pwsh (Service/PowerShell, or the
 * search), where (NULL: the account's home) and for which client (its
 * address is in the session's environment). */
struct pwsh_launch {
	const char *pwsh, *working_dir, *client_ip;
};

static struct pwsh_launch launch_of(const struct shell_create_req *req)
{
	return (struct pwsh_launch){req->pwsh, req->working_dir, req->client_ip};
}

/* Starts a pwsh -s as l says into child. A session configuration's host
 * (psrp_engine_restrict) runs its own pwsh with its session file, where
 * its account lives, whatever the Create asks. */
static enum err pwsh_start(const struct psrp_engine *e, const struct pwsh_launch *l,
			   struct spawn_child *child)
{
	char *argv[] = {NULL, "-NoLogo", "-NoProfile", "-s", NULL, NULL, NULL};
	const char *home = getenv("HOME");
	struct spawn_spec sp = {.argv = argv};
	struct spawn_failure why;
	/* The session's identity (docs/design.md, "Session configurations"):
	 * the client's address is the Create's, the rest the host's. */
	char client_ip[96], gc_limit[64];
	char *env[] = {env_telemetry, env_update, client_ip, gc_limit};
	uint32_t nenv = 3;
	uint32_t mb = e->limits.max_memory_per_shell_mb;
	enum err err;

	if (!(sp.file = e->fixed_pwsh ? e->fixed_pwsh : psrp_engine_pwsh_find(l->pwsh)))
		return ERR_WSMAN_NO_PWSH;
	argv[0] = (char *)sp.file;
	if (e->configuration_file) {
		argv[4] = "-ConfigurationFile";
		argv[5] = e->configuration_file;
	}
	snprintf(client_ip, sizeof(client_ip), "WINRMD_CLIENT_IP=%.64s",
		 l->client_ip ? l->client_ip : "");
	sp.dir = l->working_dir && !e->fixed_pwsh ? l->working_dir : home && *home ? home : "/";
	if (proctree_limit_set(mb)) {
		snprintf(gc_limit, sizeof(gc_limit), PSRP_GC_LIMIT_VAR "=0x%llx",
			 (unsigned long long)mb << 20);
		nenv++;
	}
	if (!(sp.envp = spawn_env_merge(env, nenv)))
		return ERR_NOMEM;
	err = spawn_start(&sp, child, &why);
	free(sp.envp);
	if (err != ERR_OK)
		return why.stage == SPAWN_EXEC	  ? ERR_WSMAN_NO_PWSH
		       : why.stage == SPAWN_CHDIR ? ERR_WSMAN_INVALID_PARAMETER
						  : err;
	return ERR_OK;
}

/* --- the spare pwsh ---
 * .NET takes a second or more to start pwsh, which is most of what a new
 * session costs. So once a Create is answered the host starts one pwsh
 * ahead, the way that Create asked for it (its pwsh, its directory, its
 * client's address, the memory quota then in force), and the next Create
 * that asks the same takes it instead of starting one. A spare is the
 * account's own process in its host, idle on its stdin until it serves;
 * it dies with the host, when it does not fit a Create, and when the
 * memory quota changes. */

/* NULL and "" both mean "not asked". */
static int same_text(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static int same_launch(const struct pwsh_launch *a, const struct pwsh_launch *b)
{
	return same_text(a->pwsh, b->pwsh) && same_text(a->working_dir, b->working_dir) &&
	       same_text(a->client_ip, b->client_ip);
}

static void spare_discard(struct psrp_engine *e)
{
	struct spawn_child *c = &e->spare;

	if (c->pid <= 0)
		return;
	close(c->in_fd);
	close(c->out_fd);
	close(c->err_fd);
	corpse_add(e, c->pid);
	c->pid = 0;
}

/* The spare for a Create launched as l, taken out of the engine, or 0
 * when it has none that fits (and then none at all). */
static int spare_take(struct psrp_engine *e, const struct pwsh_launch *l, struct spawn_child *out)
{
	struct pwsh_launch had = {e->launch[0], e->launch[1], e->launch[2]};

	if (e->spare.pid <= 0 || !same_launch(&had, l)) {
		spare_discard(e);
		return 0;
	}
	*out = e->spare;
	e->spare.pid = 0;
	return 1;
}

/* What the next spare is started as. */
static void launch_remember(struct psrp_engine *e, const struct pwsh_launch *l)
{
	const char *want[3] = {l->pwsh, l->working_dir, l->client_ip};

	e->launch_set = 1;
	for (int i = 0; i < 3; i++) {
		if (same_text(e->launch[i], want[i]))
			continue;
		free(e->launch[i]);
		e->launch[i] = want[i] ? strdup(want[i]) : NULL;
		if (want[i] && !e->launch[i])
			e->launch_set = 0;
	}
}

static void spare_start(struct psrp_engine *e)
{
	struct pwsh_launch l = {e->launch[0], e->launch[1], e->launch[2]};

	if (e->spare.pid > 0 || !e->launch_set || e->answer == NULL)
		return;
	if (pwsh_start(e, &l, &e->spare) != ERR_OK) {
		e->spare.pid = 0;
		return;
	}
	log_debug("psrp: pwsh %d started for %s's next session", (int)e->spare.pid, e->user);
}

/* Starts pwsh -s for sh as req asks, or gives it the spare that fits. The
 * one wait of the engine: spawn_start blocks until the exec is done (not
 * until pwsh is up), so that a missing pwsh answers Create at once. */
static enum err pwsh_spawn(struct ps_shell *sh, const struct shell_create_req *req)
{
	struct psrp_engine *e = sh->eng;
	struct pwsh_launch l = launch_of(req);
	struct spawn_child child;
	enum err err;

	if (!spare_take(e, &l, &child) && (err = pwsh_start(e, &l, &child)) != ERR_OK)
		return err;
	launch_remember(e, &l);
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
	sh->created_ms = sh->active_ms = util_now_ms();
	snprintf(sh->name, sizeof(sh->name), "%s", req->name ? req->name : req->shell_id);
	snprintf(sh->endpoint, sizeof(sh->endpoint), "%s", req->endpoint ? req->endpoint : "");
	snprintf(sh->client_ip, sizeof(sh->client_ip), "%s", req->client_ip ? req->client_ip : "");
	/* Winrs/IdleTimeout is both the default and the most a client gets. */
	if (max_idle && (idle == 0 || idle > max_idle))
		idle = max_idle;
	sh->idle_ms = idle;
	sh->pool.send_ready = 1;
	sh->ev_idle = evtimer_new(e->base, idle_expired, sh);
	sh->ev_runtime = evtimer_new(e->base, runtime_expired, sh);
	sh->ev_deadline = evtimer_new(e->base, deadline_reached, sh);
	if (target_init(&sh->pool, sh, PSRP_POOL_GUID, receive_timeout, receive_gathered) !=
		ERR_OK ||
	    !sh->ev_idle || !sh->ev_runtime || !sh->ev_deadline) {
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
	/* Kept for a Connect from another client; a pool without it can still
	 * be used, only not connected to afresh. */
	sh->have_init =
	    psrp_pool_init_peek(buf_ptr(&creation), buf_len(&creation), &sh->init) == ERR_OK;
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
	quota_arm(e);
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
	struct shell_command_reply reply;
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
	if (err == ERR_OK &&
	    (!s || target_init(&p->t, sh, pid, receive_timeout, receive_gathered) != ERR_OK))
		err = ERR_NOMEM;
	if (err != ERR_OK) {
		if (p)
			target_events_free(&p->t);
		free(p);
		if (s)
			send_free(s);
		buf_clear(&args);
		answer(e, who, err, NULL);
		return;
	}
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
	/* Answered now rather than on pwsh's acks (a round trip through .NET
	 * for each): pwsh takes the pipeline's packets in order, so what the
	 * client sends next waits its turn here, and a pipeline pwsh fails
	 * says so in its output, which the client's Receive reads. */
	memset(&reply, 0, sizeof(reply));
	memcpy(reply.command_id, p->command_id, sizeof(reply.command_id));
	answer(e, who, ERR_OK, &reply);
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
		receive_ready(t);
	if (t->parked)
		engine_timer_arm(t->ev_recv, req->timeout_ms);
}

static int target_cancel(struct ps_target *t, uint32_t req_id)
{
	if (!t->parked || t->recv_id != req_id)
		return 0;
	t->parked = 0;
	evtimer_del(t->ev_recv);
	return 1;
}

void psrp_engine_cancel(struct psrp_engine *e, uint32_t req_id)
{
	for (struct ps_shell *sh = e->shells; sh; sh = sh->next) {
		if (target_cancel(&sh->pool, req_id))
			return;
		for (struct ps_pipeline *p = sh->pipelines; p; p = p->next)
			if (target_cancel(&p->t, req_id))
				return;
	}
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
		if (p->close_sent || p->end_queued || p->close_after_create) {
			answer(e, who, ERR_OK, NULL);
			return;
		}
		wait_add(t, PSRP_PACKET_SIGNAL_ACK, who);
		pipeline_stop(p);
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

/* --- disconnected sessions --- */

/* The shell of a Disconnect, Reconnect or Connect: any state but being
 * deleted or not yet open. */
static struct ps_shell *shell_open_find(struct psrp_engine *e, const char *id)
{
	struct ps_shell *sh = shell_find(e, id);

	if (sh && sh->opened) {
		sh->active_ms = util_now_ms();
		return sh;
	}
	return NULL;
}

static void idle_restart(struct ps_shell *sh)
{
	uint64_t ms = sh->disconnected ? sh->disconnect_idle_ms : sh->idle_ms;

	if (ms)
		engine_timer_arm(sh->ev_idle, ms);
}

enum err psrp_engine_disconnect(struct psrp_engine *e, const struct shell_disconnect_req *req)
{
	struct ps_shell *sh = shell_open_find(e, req->shell_id);
	uint64_t idle = req->idle_timeout_ms, max_idle = e->limits.idle_timeout_ms;

	if (!sh)
		return ERR_WSMAN_UNKNOWN_SHELL;
	/* The Receives of the client that leaves fail as Windows fails them. */
	receive_fail(&sh->pool, ERR_WSMAN_STREAM_DISCONNECTED);
	for (struct ps_pipeline *p = sh->pipelines; p; p = p->next)
		receive_fail(&p->t, ERR_WSMAN_STREAM_DISCONNECTED);
	if (idle == 0)
		idle = sh->idle_ms;
	if (max_idle && (idle == 0 || idle > max_idle))
		idle = max_idle;
	sh->disconnected = 1;
	sh->disconnect_idle_ms = idle;
	sh->buffer_mode = req->buffer_mode;
	idle_restart(sh);
	output_flow(sh);
	log_info("psrp: shell %s of %s disconnected (idle %llu ms, %s)", sh->id, e->user,
		 (unsigned long long)idle, sh->buffer_mode == SHELL_BUFFER_DROP ? "Drop" : "Block");
	return ERR_OK;
}

/* Back to Connected: Block again, the shell's own idle timeout. */
static void shell_connected(struct ps_shell *sh, const char *how)
{
	sh->disconnected = 0;
	sh->buffer_mode = SHELL_BUFFER_BLOCK;
	idle_restart(sh);
	output_flow(sh);
	log_info("psrp: shell %s of %s %s", sh->id, sh->eng->user, how);
}

/* A command of a connected shell, by its CommandId. */
static enum err command_find(struct ps_shell *sh, const char *command_id)
{
	if (sh->disconnected)
		return ERR_WSMAN_SHELL_DISCONNECTED;
	for (struct ps_pipeline *p = sh->pipelines; p; p = p->next)
		if (strcasecmp(p->command_id, command_id) == 0)
			return ERR_OK;
	return ERR_WSMAN_UNKNOWN_COMMAND;
}

enum err psrp_engine_reconnect(struct psrp_engine *e, const struct shell_reconnect_req *req)
{
	struct ps_shell *sh = shell_open_find(e, req->shell_id);

	if (!sh)
		return ERR_WSMAN_UNKNOWN_SHELL;
	if (*req->command_id)
		return command_find(sh, req->command_id);
	if (sh->disconnected)
		shell_connected(sh, "reconnected");
	return ERR_OK;
}

/* Queues a copy of an opening message at the front of the pool's output:
 * a client that connects reads them before anything else. */
static enum err opening_requeue(struct ps_shell *sh, const struct ps_chunk *k)
{
	struct ps_chunk *c = chunk_copy(k);

	if (!c)
		return ERR_NOMEM;
	c->next = sh->pool.out_head;
	sh->pool.out_head = c;
	if (!sh->pool.out_tail)
		sh->pool.out_tail = c;
	sh->buffered += c->len;
	return ERR_OK;
}

/* connectResponseXml as [PS] ExecuteConnect builds it: the server's
 * SESSION_CAPABILITY and RUNSPACEPOOL_INIT_DATA, whole fragments; then
 * the pool's APPLICATION_PRIVATE_DATA and RUNSPACEPOOL_STATE wait for the
 * new client's first Receive, as the plugin's post-connect sends them. */
static enum err connect_pool(struct ps_shell *sh, const struct shell_connect_req *req,
			     struct shell_connect_reply *reply)
{
	struct buf connect, out;
	char xml[160];
	enum err err;

	buf_init(&connect, SHELL_MAX_PSRP_TEXT);
	err = req->connect_xml
		  ? util_b64_decode(&connect, req->connect_xml, strlen(req->connect_xml))
		  : ERR_FORMAT;
	err = err == ERR_OK && buf_len(&connect) >= PSRP_FRAGMENT_HEADER
		  ? ERR_OK
		  : ERR_WSMAN_INVALID_PARAMETER;
	buf_clear(&connect);
	if (err != ERR_OK)
		return err;
	if (!sh->have_init || !sh->opening[0] || !sh->opening[1] || !sh->opening[2]) {
		log_warnx("psrp: shell %s: its opening was not kept, it cannot be connected to",
			  sh->id);
		return ERR_WSMAN_INVALID_PARAMETER;
	}
	snprintf(xml, sizeof(xml),
		 "<Obj RefId=\"0\"><MS><I32 N=\"MinRunspaces\">%d</I32>"
		 "<I32 N=\"MaxRunspaces\">%d</I32></MS></Obj>",
		 (int)sh->init.min_runspaces, (int)sh->init.max_runspaces);
	buf_init(&out, sizeof(reply->data));
	if ((err = buf_put(&out, sh->opening[0]->data, sh->opening[0]->len)) == ERR_OK)
		err = psrp_fragment_put(&out, 1, PSRP_DESTINATION_CLIENT,
					PSRP_MSG_RUNSPACEPOOL_INIT_DATA, sh->init.rpid, xml);
	if (err == ERR_OK) {
		memcpy(reply->data, buf_ptr(&out), buf_len(&out));
		reply->len = (uint32_t)buf_len(&out);
	}
	buf_clear(&out);
	if (err == ERR_OK && (err = opening_requeue(sh, sh->opening[2])) == ERR_OK)
		err = opening_requeue(sh, sh->opening[1]);
	return err == ERR_OK ? ERR_OK : ERR_WSMAN_INTERNAL;
}

/* A client that connects afresh chooses again, as at Create, whether the
 * shell's data is compressed: the output waiting for it is plain until it
 * goes out, and its Sends are read as it chose. */
static enum err shell_compression(struct ps_shell *sh, uint32_t compression)
{
	if (compression != SHELL_COMPRESSION_XPRESS) {
		xpress_codec_free(sh->xpress);
		sh->xpress = NULL;
		return ERR_OK;
	}
	return sh->xpress ? ERR_OK : xpress_codec_new(&sh->xpress);
}

enum err psrp_engine_connect(struct psrp_engine *e, const struct shell_connect_req *req,
			     struct shell_connect_reply *reply)
{
	struct ps_shell *sh = shell_open_find(e, req->shell_id);
	enum err err;

	memset(reply, 0, sizeof(*reply));
	if (!sh)
		return ERR_WSMAN_UNKNOWN_SHELL;
	if (*req->command_id)
		return command_find(sh, req->command_id);
	/* Only a disconnected shell is free to connect to. */
	if (!sh->disconnected)
		return ERR_WSMAN_SHELL_IN_USE;
	if ((err = connect_pool(sh, req, reply)) != ERR_OK ||
	    (err = shell_compression(sh, req->compression)) != ERR_OK)
		return err;
	shell_connected(sh, "connected from a new client");
	return ERR_OK;
}

/* pwsh's resident memory (/proc/PID/statm), 0 if unknown. */
static uint64_t pwsh_memory(pid_t pid)
{
	char path[64];
	unsigned long long size, resident;
	FILE *f;
	int got;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	got = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	return got == 2 ? (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

static void summarize(const struct ps_shell *sh, uint64_t now, struct shell_summary *s)
{
	memcpy(s->shell_id, sh->id, sizeof(s->shell_id));
	memcpy(s->name, sh->name, sizeof(s->name));
	snprintf(s->owner, sizeof(s->owner), "%s", sh->eng->user);
	memcpy(s->endpoint, sh->endpoint, sizeof(s->endpoint));
	memcpy(s->client_ip, sh->client_ip, sizeof(s->client_ip));
	s->process_id = (uint32_t)sh->pid;
	s->disconnected = (uint32_t)sh->disconnected;
	s->buffer_mode = sh->buffer_mode;
	s->compression = sh->xpress ? SHELL_COMPRESSION_XPRESS : SHELL_COMPRESSION_NONE;
	s->idle_timeout_ms = sh->disconnected ? sh->disconnect_idle_ms : sh->idle_ms;
	s->run_ms = now - sh->created_ms;
	s->inactive_ms = now - sh->active_ms;
	s->memory_bytes = pwsh_memory(sh->pid) + sh->buffered;
}

enum err psrp_engine_list(struct psrp_engine *e, const struct shell_list_req *req,
			  struct shell_list_reply *reply)
{
	uint64_t now = util_now_ms();
	struct ps_shell *sh;

	memset(reply, 0, sizeof(*reply));
	if (!*req->shell_id) {
		for (sh = e->shells; sh && reply->nshells < SHELL_MAX_LISTED; sh = sh->next)
			if (sh->opened && !sh->deleting)
				summarize(sh, now, &reply->shells[reply->nshells++]);
		return ERR_OK;
	}
	if (!(sh = shell_find(e, req->shell_id)) || !sh->opened)
		return ERR_WSMAN_UNKNOWN_SHELL;
	for (struct ps_pipeline *p = sh->pipelines; p && reply->ncommands < SHELL_MAX_LISTED;
	     p = p->next) {
		struct shell_command_summary *c = &reply->commands[reply->ncommands++];
		memcpy(c->command_id, p->command_id, sizeof(c->command_id));
		c->done = (uint32_t)p->end_delivered;
	}
	return ERR_OK;
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
	if (!(e->quota = proctree_watch_new(base, quota_round, e))) {
		free(e);
		return NULL;
	}
	/* The cmd engine watches SIGCHLD on the same base; libevent runs both,
	 * and each waits only for its own children. */
	if (!(e->ev_chld = evsignal_new(base, SIGCHLD, sigchld, e)) ||
	    evsignal_add(e->ev_chld, NULL) < 0) {
		if (e->ev_chld)
			event_free(e->ev_chld);
		proctree_watch_free(e->quota);
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
	spare_discard(e);
	for (int i = 0; i < 3; i++)
		free(e->launch[i]);
	while (e->corpses) {
		reap(e->corpses->pid);
		corpse_free(e->corpses);
	}
	event_free(e->ev_chld);
	proctree_watch_free(e->quota);
	free(e->fixed_pwsh);
	free(e->configuration_file);
	free(e);
}

enum err psrp_engine_restrict(struct psrp_engine *e, const char *pwsh,
			      const char *configuration_file)
{
	if (!(e->fixed_pwsh = strdup(pwsh)) ||
	    (configuration_file && !(e->configuration_file = strdup(configuration_file))))
		return ERR_NOMEM;
	return ERR_OK;
}

void psrp_engine_set_limits(struct psrp_engine *e, const struct shell_limits *l)
{
	/* The spare was started under the old memory quota (its GC limit). */
	if (l->max_memory_per_shell_mb != e->limits.max_memory_per_shell_mb)
		spare_discard(e);
	e->limits = *l;
	for (struct ps_shell *sh = e->shells; sh; sh = sh->next)
		arm_runtime(sh);
	quota_arm(e);
}

uint32_t psrp_engine_shells(const struct psrp_engine *e)
{
	return e->nshells;
}
