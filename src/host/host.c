/* host: the per-user host process (host role). It turns the typed
 * requests of the network process into shell engine calls and the
 * engine's answers into IPC_SHELL_REPLY messages, on one libevent loop
 * that never blocks: a Receive may long-poll while a Send or Signal for
 * the same command arrives. */
#include "host/host.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/buf.h"
#include "common/log.h"
#include "ipc/ipc.h"
#include "ipc/ipc_shell.h"
#include "shell/shell.h"

/* Messages handled per wakeup, so a chatty peer cannot starve the pipes. */
#define HOST_MAX_BATCH 64
/* Output bytes one Receive reply may carry: what is left of a datagram
 * after the header, the status and the reply's own fields at their most. */
#define HOST_MAX_RECEIVE_DATA                                                                      \
	(IPC_MAX_MSG - IPC_HEADER_LEN - 4 - (4 + SHELL_MAX_CHUNKS * 5 + 4 * 4))

struct host {
	struct event_base *base;
	struct ipc_peer peer;
	struct event *ev_read, *ev_write;
	struct shell_engine *eng;
	char *forwarded_tickets; /* "FILE:path", or NULL */
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

static void host_write_interest(struct host *h)
{
	if (ipc_pending(&h->peer))
		event_add(h->ev_write, NULL);
	else
		event_del(h->ev_write);
}

static void host_reply(struct host *h, uint32_t id, const struct buf *body)
{
	enum err e = ipc_send(&h->peer, IPC_SHELL_REPLY, id, body, NULL, 0);

	if (e != ERR_OK)
		host_stop(h, err_str(e));
	else
		host_write_interest(h);
}

/* A reply that is only a status (Send, Signal, Delete and every failure). */
static void host_reply_status(struct host *h, uint32_t id, enum err status)
{
	struct buf out;

	buf_init(&out, IPC_MAX_MSG);
	if (ipc_shell_status_encode(&out, status) == ERR_OK)
		host_reply(h, id, &out);
	else
		host_stop(h, "cannot encode a reply");
	buf_clear(&out);
}

/* The engine's answer to a Send or a Receive. */
static void host_answer(void *arg, uint32_t id, enum err status, const struct shell_receive_reply *r)
{
	struct host *h = arg;
	struct buf out;

	if (status != ERR_OK || !r) {
		host_reply_status(h, id, status);
		return;
	}
	buf_init(&out, IPC_MAX_MSG);
	if (ipc_shell_status_encode(&out, ERR_OK) == ERR_OK &&
	    ipc_shell_receive_reply_encode(&out, r) == ERR_OK)
		host_reply(h, id, &out);
	else
		host_reply_status(h, id, ERR_WSMAN_INTERNAL);
	buf_clear(&out);
}

/* The engine ended a shell on its own: the network process counts them
 * to know when this host may close. */
static void host_shell_ended(void *arg, uint32_t shells_left)
{
	struct host *h = arg;
	struct buf out;

	buf_init(&out, IPC_MAX_MSG);
	if (ipc_shells_left_encode(&out, shells_left) != ERR_OK)
		host_stop(h, "cannot encode a message");
	else if (ipc_send(&h->peer, IPC_SHELLS_LEFT, 0, &out, NULL, 0) != ERR_OK)
		host_stop(h, "cannot send a message");
	else
		host_write_interest(h);
	buf_clear(&out);
}

/* A whole datagram that ends early is as malformed as one with junk. */
static enum err decoded(enum err e)
{
	if (e == ERR_INCOMPLETE)
		e = ERR_FORMAT;
	if (e != ERR_OK)
		log_warnx("host: malformed request from the network process: %s", err_str(e));
	return e;
}

/* Tickets are used only from a regular file of this user's: the directory
 * is root's, so nobody else can have put it there. */
static void host_use_forwarded_tickets(const struct host *h)
{
	struct stat st;

	if (!h->forwarded_tickets || getenv("KRB5CCNAME"))
		return;
	if (lstat(h->forwarded_tickets + strlen("FILE:"), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == getuid() && setenv("KRB5CCNAME", h->forwarded_tickets, 1) < 0)
		log_warn("host: KRB5CCNAME");
}

/* Create and Command, the two requests answered with a typed reply. */
static void host_typed(struct host *h, struct ipc_msg *m)
{
	int create = m->type == IPC_SHELL_CREATE;
	union {
		struct shell_create_req create;
		struct shell_command_req command;
	} req;
	union {
		struct shell_create_reply create;
		struct shell_command_reply command;
	} rep;
	enum err e = decoded(create ? ipc_shell_create_decode(&m->body, &req.create)
				    : ipc_shell_command_decode(&m->body, &req.command));
	struct buf out;

	if (e == ERR_OK && create) {
		host_use_forwarded_tickets(h);
		e = shell_create(h->eng, &req.create, &rep.create);
		shell_create_req_free(&req.create);
	} else if (e == ERR_OK) {
		e = shell_command(h->eng, &req.command, &rep.command);
		shell_command_req_free(&req.command);
	}
	if (e != ERR_OK) {
		host_reply_status(h, m->id, e);
		return;
	}
	buf_init(&out, IPC_MAX_MSG);
	if (ipc_shell_status_encode(&out, ERR_OK) == ERR_OK &&
	    (create ? ipc_shell_create_reply_encode(&out, &rep.create)
		    : ipc_shell_command_reply_encode(&out, &rep.command)) == ERR_OK)
		host_reply(h, m->id, &out);
	else
		host_stop(h, "cannot encode a reply");
	buf_clear(&out);
}

static void host_dispatch(struct host *h, struct ipc_msg *m)
{
	enum err e;

	switch (m->type) {
	case IPC_HOST_SETTINGS: {
		struct shell_limits l;
		if (decoded(ipc_shell_limits_decode(&m->body, &l)) == ERR_OK)
			shell_engine_set_limits(h->eng, &l);
		return;
	}
	case IPC_SHELL_CREATE:
	case IPC_SHELL_COMMAND:
		host_typed(h, m);
		return;
	case IPC_SHELL_SEND: {
		struct shell_send_req req;
		if ((e = decoded(ipc_shell_send_decode(&m->body, &req))) != ERR_OK) {
			host_reply_status(h, m->id, e);
			return;
		}
		shell_send(h->eng, m->id, &req);
		shell_send_req_free(&req);
		return;
	}
	case IPC_SHELL_RECEIVE: {
		struct shell_receive_req req;
		if ((e = decoded(ipc_shell_receive_decode(&m->body, &req))) != ERR_OK) {
			host_reply_status(h, m->id, e);
			return;
		}
		if (req.max_bytes > HOST_MAX_RECEIVE_DATA)
			req.max_bytes = HOST_MAX_RECEIVE_DATA;
		shell_receive(h->eng, m->id, &req);
		return;
	}
	case IPC_SHELL_SIGNAL: {
		struct shell_signal_req req;
		if ((e = decoded(ipc_shell_signal_decode(&m->body, &req))) == ERR_OK)
			e = shell_signal(h->eng, &req);
		host_reply_status(h, m->id, e);
		return;
	}
	case IPC_SHELL_DELETE: {
		struct shell_delete_req req;
		if ((e = decoded(ipc_shell_delete_decode(&m->body, &req))) == ERR_OK)
			e = shell_delete(h->eng, &req);
		host_reply_status(h, m->id, e);
		return;
	}
	default:
		/* ipc_recv admits only the types the network process may send us. */
		host_stop(h, "unexpected message type");
		return;
	}
}

static void host_readable(evutil_socket_t fd, short what, void *arg)
{
	struct host *h = arg;
	struct ipc_msg m;

	(void)fd, (void)what;
	for (int i = 0; i < HOST_MAX_BATCH && !h->stopped; i++) {
		enum err e = ipc_recv(&h->peer, &m);
		if (e == ERR_INCOMPLETE)
			return;
		if (e != ERR_OK) {
			host_stop(h, err_str(e));
			return;
		}
		log_debug("host: %s id %u", ipc_type_name(m.type), m.id);
		host_dispatch(h, &m);
		ipc_msg_clear(&m);
	}
}

static void host_writable(evutil_socket_t fd, short what, void *arg)
{
	struct host *h = arg;
	enum err e;

	(void)fd, (void)what;
	if ((e = ipc_flush(&h->peer)) != ERR_OK)
		host_stop(h, err_str(e));
	else
		host_write_interest(h);
}

int host_main(int net_fd, uid_t net_uid, pid_t net_pid, int foreground, int debug)
{
	struct host h;
	int rc = 1;

	/* The caller set up logging for this role. */
	(void)foreground, (void)debug;
	memset(&h, 0, sizeof(h));
	/* The user's own commands run as the same uid: without this they
	 * could ptrace the host and send the network process forged replies. */
	if (prctl(PR_SET_DUMPABLE, 0) < 0) {
		log_warn("host: prctl(PR_SET_DUMPABLE)");
		return 1;
	}
	/* A command that closes its stdin must not kill the host on write. */
	signal(SIGPIPE, SIG_IGN);
	const char *tickets = getenv(HOST_ENV_FORWARDED_TICKETS);
	if (tickets && strncmp(tickets, "FILE:/", 6) == 0 && !(h.forwarded_tickets = strdup(tickets)))
		goto out;
	unsetenv(HOST_ENV_FORWARDED_TICKETS);
	ipc_peer_init(&h.peer, net_fd, IPC_ROLE_HOST, IPC_ROLE_NET, net_uid, net_pid);
	if (!(h.base = event_base_new())) {
		log_warnx("host: cannot create the event loop");
		goto out;
	}
	h.ev_read = event_new(h.base, net_fd, EV_READ | EV_PERSIST, host_readable, &h);
	h.ev_write = event_new(h.base, net_fd, EV_WRITE | EV_PERSIST, host_writable, &h);
	h.eng = shell_engine_new(h.base, host_answer, host_shell_ended, &h);
	if (!h.ev_read || !h.ev_write || !h.eng || event_add(h.ev_read, NULL) < 0) {
		log_warnx("host: cannot set up the event loop");
		goto out;
	}
	event_base_dispatch(h.base);
	rc = 0;
out:
	/* Every command dies with the channel (SIGKILL to each process group). */
	shell_engine_free(h.eng);
	if (h.ev_read)
		event_free(h.ev_read);
	if (h.ev_write)
		event_free(h.ev_write);
	ipc_peer_close(&h.peer);
	if (h.base)
		event_base_free(h.base);
	free(h.forwarded_tickets);
	return rc;
}
