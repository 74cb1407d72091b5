/* net_audit: network process. The audit events it sees in the requests it
 * parses and the replies it builds (audit.h): shells and PowerShell
 * sessions started and ended, commands started and ended with their exit
 * code, duration and bytes, and refusals. It writes nothing itself: each
 * goes to the privileged part as an IPC_AUDIT notice. A command's bytes
 * and start are counted here, per command, in a bounded table. */
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "net/net_int.h"

/* A command whose Command was answered and whose end (CommandState Done
 * in a Receive reply, or its shell's Delete) was not seen yet. */
struct audited_command {
	uid_t uid; /* the connecting user's: command ids are unique within a user's shells */
	char shell_id[SHELL_ID_LEN + 1];
	char command_id[SHELL_ID_LEN + 1];
	uint64_t started_ms; /* 0: the slot is free */
	uint64_t bytes_in, bytes_out;
};

/* The network process is single-threaded and there is one per process. */
static struct audited_command commands[NET_AUDIT_MAX_COMMANDS];

void net_audit_send(struct net *n, const struct audit_event *ev)
{
	struct buf body;

	buf_init(&body, IPC_MAX_MSG - IPC_HEADER_LEN);
	if (ipc_audit_encode(&body, ev) != ERR_OK ||
	    ipc_endpoint_send(n->priv, IPC_AUDIT, 0, &body, NULL, 0) != ERR_OK)
		log_warnx("cannot send an audit event (%s) to the privileged part",
			  audit_kind_name(ev->kind));
	buf_clear(&body);
}

/* An event about what a request asked: the connection's and the
 * identity's fields filled in. */
static void request_event(const struct request *r, struct audit_event *ev, uint32_t kind)
{
	audit_event_init(ev, kind);
	AUDIT_SET(ev, source_address, r->conn->peer);
	ev->source_port = r->conn->peer_port;
	AUDIT_SET(ev, listener, r->conn->listener);
	if (auth_identity_valid(&r->id)) {
		AUDIT_SET(ev, user, r->id.user);
		AUDIT_SET(ev, scheme, r->id.scheme);
	}
	if (r->ws_parsed) {
		AUDIT_SET(ev, resource, r->ws.hdr.resource_uri);
		AUDIT_SET(ev, action, r->ws.hdr.action);
	}
}

void net_audit_refusal(const struct request *r, const char *reason)
{
	struct audit_event ev;

	request_event(r, &ev, AUDIT_REFUSAL);
	AUDIT_SET(&ev, reason, reason);
	net_audit_send(r->conn->net, &ev);
}

static struct audited_command *find(uid_t uid, const char *shell_id, const char *command_id)
{
	for (size_t i = 0; i < NET_AUDIT_MAX_COMMANDS; i++)
		if (commands[i].started_ms && commands[i].uid == uid &&
		    strcmp(commands[i].command_id, command_id) == 0 &&
		    strcmp(commands[i].shell_id, shell_id) == 0)
			return &commands[i];
	return NULL;
}

/* The command's end: its numbers, and its slot freed. */
static void command_end(const struct request *r, struct audited_command *c, int has_exit_code,
			uint32_t exit_code, const char *reason)
{
	struct audit_event ev;

	request_event(r, &ev, AUDIT_COMMAND_END);
	AUDIT_SET(&ev, shell_id, c->shell_id);
	AUDIT_SET(&ev, command_id, c->command_id);
	AUDIT_SET(&ev, reason, reason);
	ev.has_exit_code = (uint32_t)has_exit_code;
	ev.exit_code = exit_code;
	ev.duration_ms = util_now_ms() - c->started_ms;
	ev.bytes_in = c->bytes_in;
	ev.bytes_out = c->bytes_out;
	memset(c, 0, sizeof(*c));
	net_audit_send(r->conn->net, &ev);
}

/* A free slot, else the oldest command's, whose end is reported as far
 * as it was followed. */
static struct audited_command *new_slot(const struct request *r)
{
	struct audited_command *oldest = &commands[0];

	for (size_t i = 0; i < NET_AUDIT_MAX_COMMANDS; i++) {
		if (!commands[i].started_ms)
			return &commands[i];
		if (commands[i].started_ms < oldest->started_ms)
			oldest = &commands[i];
	}
	command_end(r, oldest, 0, 0, "no longer followed: too many commands under way");
	return oldest;
}

static void command_start(const struct request *r, const struct shell_command_req *req,
			  const struct shell_command_reply *reply, int powershell)
{
	struct audited_command *c = new_slot(r);
	struct audit_event ev;

	c->uid = r->id.uid;
	snprintf(c->shell_id, sizeof(c->shell_id), "%s", req->shell_id);
	snprintf(c->command_id, sizeof(c->command_id), "%s", reply->command_id);
	c->started_ms = util_now_ms();
	if (!c->started_ms)
		c->started_ms = 1;
	request_event(r, &ev, AUDIT_COMMAND_START);
	AUDIT_SET(&ev, shell_id, c->shell_id);
	AUDIT_SET(&ev, command_id, c->command_id);
	/* A PowerShell pipeline's arguments are PSRP fragments in base64,
	 * not a command line: its host runs what they hold. */
	if (!powershell)
		audit_set_command_line(&ev, req->argc, req->argv);
	net_audit_send(r->conn->net, &ev);
}

/* Every command of a shell that is gone ends with it. */
static void shell_deleted(const struct request *r, const char *shell_id)
{
	for (size_t i = 0; i < NET_AUDIT_MAX_COMMANDS; i++)
		if (commands[i].started_ms && commands[i].uid == r->id.uid &&
		    strcmp(commands[i].shell_id, shell_id) == 0)
			command_end(r, &commands[i], 0, 0, "its shell was deleted");
}

static void shell_event(const struct request *r, const struct user_host *h, uint32_t kind,
			const char *shell_id, const char *endpoint)
{
	struct audit_event ev;

	request_event(r, &ev, kind);
	AUDIT_SET(&ev, shell_id, shell_id);
	AUDIT_SET(&ev, endpoint, endpoint);
	AUDIT_SET(&ev, run_as, *h->run_as ? h->run_as : h->user);
	net_audit_send(r->conn->net, &ev);
}

void net_audit_shell_op(const struct request *r, const struct user_host *h, const char *endpoint,
			const void *reply)
{
	uint32_t op = shell_op_id(r->op);
	int ps = op >= SHELL_PS_CREATE && op <= SHELL_PS_CONNECT;
	struct audited_command *c;

	switch (op) {
	case SHELL_CMD_CREATE:
	case SHELL_PS_CREATE:
		shell_event(r, h, ps ? AUDIT_PS_SESSION_START : AUDIT_SHELL_START,
			    ((const struct shell_create_reply *)reply)->shell_id, endpoint);
		break;
	case SHELL_CMD_DELETE:
	case SHELL_PS_DELETE: {
		const char *shell_id = ((const struct shell_delete_req *)r->op_req)->shell_id;
		shell_deleted(r, shell_id);
		shell_event(r, h, ps ? AUDIT_PS_SESSION_END : AUDIT_SHELL_END, shell_id, endpoint);
		break;
	}
	case SHELL_CMD_COMMAND:
	case SHELL_PS_COMMAND:
		command_start(r, r->op_req, reply, ps);
		break;
	case SHELL_CMD_SEND:
	case SHELL_PS_SEND: {
		const struct shell_send_req *req = r->op_req;
		if ((c = find(r->id.uid, req->shell_id, req->command_id)))
			c->bytes_in += req->len;
		break;
	}
	case SHELL_CMD_RECEIVE:
	case SHELL_PS_RECEIVE: {
		const struct shell_receive_req *req = r->op_req;
		const struct shell_receive_reply *got = reply;
		if (!(c = find(r->id.uid, req->shell_id, req->command_id)))
			break;
		for (uint32_t i = 0; i < got->nchunks; i++)
			c->bytes_out += got->chunks[i].len;
		if (got->done)
			command_end(r, c, 1, got->exit_code, "");
		break;
	}
	default:
		break;
	}
}
