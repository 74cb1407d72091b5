/* host: the per-user host process (host role). It turns the typed
 * requests of the network process into calls of the engine of the
 * request's shell kind (cmd: shell_engine, PowerShell: psrp_engine) and
 * the engines' answers into IPC_SHELL_REPLY messages, on one libevent
 * loop that never blocks: a Receive may long-poll while a Send or Signal
 * for the same command arrives. */
#include "host/host.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "cim/cim.h"
#include "common/buf.h"
#include "common/log.h"
#include "host/cim_calls.h"
#include "host/delegation.h"
#include "host/psrp_engine.h"
#include "host/shell_engine.h"
#include "ipc/ipc.h"
#include "ipc/ipc_endpoint.h"
#include "shell/shell_ipc.h"
#include "shell/shell_ops.h"

/* Output bytes one Receive reply may carry: what is left of a datagram
 * after the header, the status and the reply's own fields at their most. */
#define HOST_MAX_RECEIVE_DATA                                                                      \
	(IPC_MAX_MSG - IPC_HEADER_LEN - 4 - (4 + SHELL_MAX_CHUNKS * 5 + 4 * 4))

struct host {
	struct event_base *base;
	struct ipc_endpoint *net;
	struct shell_engine *eng;
	struct psrp_engine *ps;
	char *forwarded_tickets;       /* "FILE:path", or NULL */
	struct delegation *delegation; /* a CredSSP logon's credentials */
	char *endpoint;		       /* HOST_ENV_ENDPOINT: the one it serves, or NULL */
	struct cim_snapshots *cim;     /* WMI answers whose pages are being taken */
	struct cim_calls *cim_calls;   /* WMI methods whose children run */
	int stopped;
};

/* Ends the loop: the network process is gone or broke the protocol. */
static void host_stop(struct host *h, const char *why)
{
	if (!h->stopped)
		log_info("host: channel to the network process closed (%s)", why);
	h->stopped = 1;
	event_base_loopbreak(h->base);
}

static void host_send(struct host *h, uint32_t type, uint32_t id, const struct buf *body)
{
	enum err e = ipc_endpoint_send(h->net, type, id, body, NULL, 0);

	if (e != ERR_OK)
		host_stop(h, err_str(e));
}

/* The delegated credentials last as long as the shells: when none is
 * left, they go (delegation.h). */
static uint32_t shells_left(struct host *h)
{
	uint32_t left = shell_engine_shells(h->eng) + psrp_engine_shells(h->ps);

	if (!left)
		delegation_forget(h->delegation);
	return left;
}

/* IPC_SHELL_REPLY to request id: the status and, when it is ERR_OK, op's reply. */
static void host_answer(struct host *h, uint32_t id, const struct shell_op *op, enum err status,
			const void *reply)
{
	struct buf out;

	buf_init(&out, IPC_MAX_MSG);
	if (shell_op_reply_encode(&out, op, status, reply) != ERR_OK) {
		buf_reset(&out);
		if (shell_op_reply_encode(&out, op, ERR_WSMAN_INTERNAL, NULL) != ERR_OK)
			host_stop(h, "cannot encode a reply");
	}
	if (!h->stopped)
		host_send(h, IPC_SHELL_REPLY, id, &out);
	buf_clear(&out);
	/* A Delete, or a Create that failed, may have left none. */
	shells_left(h);
}

/* The engine answers Send and Receive when their work is done: a Send
 * with no reply, a Receive with the output. */
static void engine_answered(void *arg, uint32_t id, enum err status,
			    const struct shell_receive_reply *r)
{
	host_answer(arg, id, shell_op_at(r ? SHELL_CMD_RECEIVE : SHELL_CMD_SEND), status, r);
}

/* The PowerShell engine answers every operation when pwsh has. */
static void psrp_answered(void *arg, uint32_t id, const struct shell_op *op, enum err status,
			  const void *reply)
{
	host_answer(arg, id, op, status, reply);
}

static void cim_calls_answered(void *arg, uint32_t id, enum err status,
			       const struct cim_invoke_reply *reply)
{
	host_answer(arg, id, shell_op_at(SHELL_CIM_INVOKE), status, reply);
}

/* An engine ended a shell on its own: the network process counts the
 * shells of both kinds to know when this host may close. */
static void shell_ended(struct host *h)
{
	uint32_t left = shells_left(h);
	struct buf out;

	buf_init(&out, IPC_MAX_MSG);
	if (shell_ipc_shells_left_encode(&out, left) != ERR_OK)
		host_stop(h, "cannot encode a message");
	else
		host_send(h, IPC_SHELLS_LEFT, 0, &out);
	buf_clear(&out);
}

static void engine_shell_ended(void *arg, uint32_t cmd_shells_left)
{
	(void)cmd_shells_left;
	shell_ended(arg);
}

static void psrp_shell_ended(void *arg, uint32_t ps_shells_left)
{
	(void)ps_shells_left;
	shell_ended(arg);
}

/* Tickets are used only from a regular file of this user's: the directory
 * is root's, so nobody else can have put it there. */
static void use_forwarded_tickets(const struct host *h)
{
	struct stat st;

	if (!h->forwarded_tickets || getenv("KRB5CCNAME"))
		return;
	if (lstat(h->forwarded_tickets + strlen("FILE:"), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == getuid() && setenv("KRB5CCNAME", h->forwarded_tickets, 1) < 0)
		log_warn("host: KRB5CCNAME");
}

/* ---- the handlers: one per operation of shell_ops.h ----
 * ERR_OK: reply holds the answer; RUNS_ON: the engine answers later
 * (engine_answered); anything else is the answer, a status alone. */
#define RUNS_ON ERR_INCOMPLETE

typedef enum err host_handler_fn(struct host *h, uint32_t id, void *req, void *reply);

static enum err run_create(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)id;
	delegation_take(h->delegation, req);
	use_forwarded_tickets(h);
	return shell_engine_create(h->eng, req, reply);
}

static enum err run_command(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)id;
	return shell_engine_command(h->eng, req, reply);
}

static enum err run_send(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)reply;
	shell_engine_send(h->eng, id, req);
	return RUNS_ON;
}

/* A Receive's reply must fit one IPC message, whatever the envelope allows. */
static struct shell_receive_req *within_one_message(struct shell_receive_req *r)
{
	if (r->max_bytes > HOST_MAX_RECEIVE_DATA)
		r->max_bytes = HOST_MAX_RECEIVE_DATA;
	return r;
}

static enum err run_receive(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)reply;
	shell_engine_receive(h->eng, id, within_one_message(req));
	return RUNS_ON;
}

static enum err run_signal(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)id, (void)reply;
	return shell_engine_signal(h->eng, req);
}

static enum err run_delete(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)id, (void)reply;
	return shell_engine_delete(h->eng, req);
}

/* PowerShell: pwsh answers every operation, so each runs on. */
static enum err run_ps_create(struct host *h, uint32_t id, void *req, void *reply)
{
	const struct shell_create_req *create = req;

	(void)reply;
	if (h->endpoint && (!create->endpoint || strcasecmp(create->endpoint, h->endpoint) != 0)) {
		log_warnx("host: a Create for endpoint %s in the host of %s refused",
			  create->endpoint ? create->endpoint : "(none)", h->endpoint);
		return ERR_WSMAN_ACCESS_DENIED;
	}
	delegation_take(h->delegation, req);
	use_forwarded_tickets(h);
	psrp_engine_create(h->ps, id, req);
	return RUNS_ON;
}

static enum err run_ps_command(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)reply;
	psrp_engine_command(h->ps, id, req);
	return RUNS_ON;
}

static enum err run_ps_send(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)reply;
	psrp_engine_send(h->ps, id, req);
	return RUNS_ON;
}

static enum err run_ps_receive(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)reply;
	psrp_engine_receive(h->ps, id, within_one_message(req));
	return RUNS_ON;
}

static enum err run_ps_signal(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)reply;
	psrp_engine_signal(h->ps, id, req);
	return RUNS_ON;
}

static enum err run_ps_delete(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)reply;
	psrp_engine_delete(h->ps, id, req);
	return RUNS_ON;
}

/* Disconnected sessions and Enumerate: answered at once. */
static enum err run_ps_disconnect(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)id, (void)reply;
	return psrp_engine_disconnect(h->ps, req);
}

static enum err run_ps_reconnect(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)id, (void)reply;
	return psrp_engine_reconnect(h->ps, req);
}

static enum err run_ps_connect(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)id;
	return psrp_engine_connect(h->ps, req, reply);
}

/* Enumerate: the PowerShell shells, then the cmd shells; the commands of
 * whichever has the shell asked for. */
static enum err run_list(struct host *h, uint32_t id, void *req, void *reply)
{
	const struct shell_list_req *r = req;
	enum err e = psrp_engine_list(h->ps, r, reply);

	(void)id;
	if (*r->shell_id && e != ERR_WSMAN_UNKNOWN_SHELL)
		return e;
	return shell_engine_list(h->eng, r, reply);
}

/* Management data: made here, as the user, as a WMI provider acts as its
 * caller; reading /proc and /sys does not block the loop. */
static enum err run_cim(struct host *h, uint32_t id, void *req, void *reply)
{
	(void)id;
	if (!h->cim && !(h->cim = cim_snapshots_new()))
		return ERR_WSMAN_INTERNAL;
	return cim_instances(h->cim, req, reply);
}

/* A WMI method, as the user; one that waits for its child is answered
 * when the child ends (cim_calls_answered). */
static enum err run_cim_invoke(struct host *h, uint32_t id, void *req, void *reply)
{
	return cim_calls_invoke(h->cim_calls, id, req, reply);
}

static host_handler_fn *const handlers[SHELL_OP_COUNT] = {
    [SHELL_CMD_CREATE] = run_create,
    [SHELL_CMD_COMMAND] = run_command,
    [SHELL_CMD_SEND] = run_send,
    [SHELL_CMD_RECEIVE] = run_receive,
    [SHELL_CMD_SIGNAL] = run_signal,
    [SHELL_CMD_DELETE] = run_delete,
    [SHELL_PS_CREATE] = run_ps_create,
    [SHELL_PS_COMMAND] = run_ps_command,
    [SHELL_PS_SEND] = run_ps_send,
    [SHELL_PS_RECEIVE] = run_ps_receive,
    [SHELL_PS_SIGNAL] = run_ps_signal,
    [SHELL_PS_DELETE] = run_ps_delete,
    [SHELL_PS_DISCONNECT] = run_ps_disconnect,
    [SHELL_PS_RECONNECT] = run_ps_reconnect,
    [SHELL_PS_CONNECT] = run_ps_connect,
    [SHELL_LIST_SHELLS] = run_list,
    [SHELL_LIST_COMMANDS] = run_list,
    [SHELL_CIM_INSTANCES] = run_cim,
    [SHELL_CIM_INVOKE] = run_cim_invoke,
};

/* IPC_SHELL_REQUEST: a malformed request is answered with its fault, as
 * a bad SOAP body would be; only a request for no known operation ends
 * the channel. */
static enum err run_request(struct host *h, struct ipc_msg *m)
{
	const struct shell_op *op;
	void *req = NULL, *reply = NULL;
	enum err e;

	if (shell_op_request_decode(&m->body, &op) != ERR_OK) {
		log_warnx("host: request for no known operation from the network process");
		return ERR_FORMAT;
	}
	if (!handlers[shell_op_id(op)]) {
		/* A row this host has no handler for: the client's fault, not the channel's. */
		e = ERR_WSMAN_ACTION_NOT_SUPPORTED;
	} else if (h->endpoint && !(op->flags & SHELL_OP_RESOURCE_PREFIX)) {
		/* A session configuration's host serves PowerShell alone: a cmd
		 * shell would escape the restricted session as its account. */
		log_warnx("host: %s refused in the host of endpoint %s", op->name, h->endpoint);
		e = ERR_WSMAN_ACCESS_DENIED;
	} else if (!(req = calloc(1, op->req_size)) ||
		   !(reply = calloc(1, op->reply_size ? op->reply_size : 1))) {
		e = ERR_NOMEM;
	} else if ((e = op->decode(&m->body, req)) != ERR_OK) {
		log_warnx("host: malformed %s request from the network process: %s", op->name,
			  err_str(e));
		free(req);
		req = NULL;
	} else {
		e = handlers[shell_op_id(op)](h, m->id, req, reply);
	}
	if (e != RUNS_ON)
		host_answer(h, m->id, op, e, reply);
	if (req)
		shell_op_clear(op, req);
	free(req);
	free(reply);
	return ERR_OK;
}

static enum err host_settings(struct host *h, struct ipc_msg *m)
{
	struct shell_limits l;
	enum err e = shell_ipc_limits_decode(&m->body, &l);

	if (e != ERR_OK)
		log_warnx("host: malformed settings from the network process: %s", err_str(e));
	else {
		shell_engine_set_limits(h->eng, &l);
		psrp_engine_set_limits(h->ps, &l);
	}
	return ERR_OK;
}

static enum err from_net(void *arg, struct ipc_msg *m)
{
	struct host *h = arg;

	log_debug("host: %s id %u", ipc_type_name(m->type), m->id);
	if (m->type == IPC_HOST_SETTINGS)
		return host_settings(h, m);
	if (m->type == IPC_SHELL_REQUEST)
		return run_request(h, m);
	if (m->type == IPC_SHELL_CANCEL) {
		/* Only one of the engines has a request of that id. */
		shell_engine_cancel(h->eng, m->id);
		psrp_engine_cancel(h->ps, m->id);
		cim_calls_cancel(h->cim_calls, m->id);
		return ipc_body_end(&m->body);
	}
	return ERR_FORMAT; /* ipc_recv admits only the types the network process may send us */
}

static void net_lost(void *arg, enum err why)
{
	host_stop(arg, err_str(why));
}

int host_main(int net_fd, uid_t net_uid, pid_t net_pid, int foreground, int debug)
{
	static const struct ipc_endpoint_ops ops = {from_net, net_lost};
	struct host h;
	int rc = 1;

	/* The caller set up logging for this role. */
	(void)foreground, (void)debug;
	memset(&h, 0, sizeof(h));
	/* A command that closes its stdin must not kill the host on write. */
	signal(SIGPIPE, SIG_IGN);
	const char *tickets = getenv(HOST_ENV_FORWARDED_TICKETS);
	if (tickets && strncmp(tickets, "FILE:/", 6) == 0 &&
	    !(h.forwarded_tickets = strdup(tickets)))
		goto out;
	unsetenv(HOST_ENV_FORWARDED_TICKETS);
	if (getenv(HOST_ENV_ENDPOINT) && !(h.endpoint = strdup(getenv(HOST_ENV_ENDPOINT))))
		goto out;
	if (!(h.base = event_base_new())) {
		log_warnx("host: cannot create the event loop");
		goto out;
	}
	h.net = ipc_endpoint_new(h.base, net_fd, IPC_ROLE_HOST, IPC_ROLE_NET, net_uid, net_pid,
				 &ops, &h);
	h.eng = shell_engine_new(h.base, engine_answered, engine_shell_ended, &h);
	h.ps = psrp_engine_new(h.base, psrp_answered, psrp_shell_ended, &h);
	h.cim_calls = cim_calls_new(h.base, cim_calls_answered, &h);
	h.delegation =
	    delegation_new(h.base, getenv(HOST_ENV_KRB5_CONFIG), getenv(HOST_ENV_DELEGATION_KEY));
	unsetenv(HOST_ENV_KRB5_CONFIG);
	unsetenv(HOST_ENV_DELEGATION_KEY);
	if (!h.net || !h.eng || !h.ps || !h.cim_calls || !h.delegation) {
		log_warnx("host: cannot set up the event loop");
		if (!h.net)
			close(net_fd);
		goto out;
	}
	if (h.endpoint) {
		const char *pwsh = getenv(HOST_ENV_PWSH),
			   *file = getenv(HOST_ENV_CONFIGURATION_FILE);
		if (!pwsh || *pwsh != '/' ||
		    psrp_engine_restrict(h.ps, pwsh, file && *file ? file : NULL) != ERR_OK) {
			log_warnx("host: endpoint %s without a pwsh to run", h.endpoint);
			goto out;
		}
		unsetenv(HOST_ENV_PWSH);
		unsetenv(HOST_ENV_CONFIGURATION_FILE);
	}
	event_base_dispatch(h.base);
	rc = 0;
out:
	/* Every command and pwsh dies with the channel (SIGKILL to each process group). */
	psrp_engine_free(h.ps);
	shell_engine_free(h.eng);
	cim_calls_free(h.cim_calls);
	ipc_endpoint_free(h.net);
	if (h.base)
		event_base_free(h.base);
	delegation_free(h.delegation);
	cim_snapshots_free(h.cim);
	free(h.forwarded_tickets);
	free(h.endpoint);
	return rc;
}
