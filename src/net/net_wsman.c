/* net_wsman: network process. WS-Management dispatch of authenticated
 * requests (the shell's to the user's host, winrm/config's to
 * net_config.c), and the channels to per-user hosts. Each
 * user has at most one host; a request can only reach the host of the user
 * it authenticated as, so another user's ShellId is simply unknown there. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "ipc/ipc_shell.h"
#include "net/net_int.h"

static struct user_host *host_find(struct net *n, uid_t uid)
{
	for (struct user_host *h = n->hosts; h; h = h->next)
		if (h->uid == uid)
			return h;
	return NULL;
}

static void host_free(struct user_host *h)
{
	struct net *n = h->net;

	for (struct user_host **pp = &n->hosts; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	while (h->pending) {
		struct pending *p = h->pending;
		h->pending = p->next;
		if (p->conn)
			p->conn->waiting = NULL;
		free(p);
	}
	for (struct conn *c = h->waiting; c; c = c->host_next)
		c->host_waited = NULL;
	if (h->ev)
		event_free(h->ev);
	if (h->linger)
		event_free(h->linger);
	if (h->ready)
		ipc_peer_close(&h->peer);
	free(h);
}

/* The host died, misbehaved or could not start: every request it owed,
 * and every connection waiting for it, gets a fault. */
static void host_fail_all(struct user_host *h, enum err e)
{
	struct conn *c, *next;

	for (struct pending *p = h->pending; p; p = p->next) {
		if ((c = p->conn)) {
			c->waiting = NULL;
			p->conn = NULL;
			net_reply_fault(c, e);
		}
	}
	for (c = h->waiting, h->waiting = NULL; c; c = next) {
		next = c->host_next;
		c->host_waited = NULL;
		c->host_next = NULL;
		net_reply_fault(c, e);
	}
	host_free(h);
}

static void host_push_settings(struct user_host *h)
{
	struct net *n = h->net;
	struct shell_limits lim = {
		.max_shells_per_user = n->cfg.winrs.max_shells_per_user,
		.max_processes_per_shell = n->cfg.winrs.max_processes_per_shell,
		.idle_timeout_ms = n->cfg.winrs.idle_timeout_ms,
		.max_shell_run_time_ms = n->cfg.winrs.max_shell_run_time_ms,
	};
	struct buf b;

	buf_init(&b, 1024);
	if (ipc_shell_limits_encode(&b, &lim) != ERR_OK ||
	    ipc_send(&h->peer, IPC_HOST_SETTINGS, 0, &b, NULL, 0) != ERR_OK)
		log_warnx("cannot send settings to the host of %s", h->user);
	buf_clear(&b);
	net_watch_peer(h->ev, &h->peer);
}

void net_wsman_push_settings(struct net *n)
{
	for (struct user_host *h = n->hosts; h; h = h->next)
		if (h->ready)
			host_push_settings(h);
}

static void host_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct user_host *h = arg;
	(void)fd, (void)what;

	/* Closing the channel makes the host end and exit; the next Create
	 * starts a new one. */
	if (h->shells == 0 && !h->pending) {
		log_info("closing the idle host of %s", h->user);
		host_free(h);
	}
}

static void host_update_linger(struct user_host *h)
{
	if (h->shells == 0 && !h->pending) {
		struct timeval tv = {.tv_sec = NET_HOST_LINGER_MS / 1000};
		evtimer_add(h->linger, &tv);
	} else {
		evtimer_del(h->linger);
	}
}

/* ---- replies from a host ---- */

static void reply_with(struct conn *c, enum err e, struct buf *body)
{
	if (e == ERR_OK)
		net_reply(c, 200, body);
	else
		net_reply_fault(c, e);
}

static void host_reply(struct user_host *h, struct conn *c, struct ipc_msg *m)
{
	enum err status, e;
	struct buf body;

	buf_init(&body, IPC_MAX_MSG * 2);
	/* Output grows by a third in base64; the markup fits the rest. */
	buf_grow(&body, buf_len(&m->body) / 3 * 4 + 4096);
	if ((e = ipc_shell_status_decode(&m->body, &status)) != ERR_OK)
		goto bad;
	if (status != ERR_OK) {
		net_reply_fault(c, status);
		goto out;
	}
	switch (c->op) {
	case OP_CREATE: {
		struct shell_create_reply r;
		char url[400];
		if ((e = ipc_shell_create_reply_decode(&m->body, &r)) != ERR_OK)
			goto bad;
		net_url(c, url, sizeof(url));
		struct wsman_shell_info info = {
			.shell_id = r.shell_id,
			.owner = c->id.user,
			.client_ip = c->peer,
			.working_dir = c->u.create.working_dir,
			.nenv = c->u.create.nenv,
			.env_names = c->u.create.env_names,
			.env_values = c->u.create.env_values,
			.idle_timeout_ms = r.idle_timeout_ms,
		};
		h->shells++;
		reply_with(c, wsman_reply_shell_created(&body, &c->ws, url, &info), &body);
		break;
	}
	case OP_COMMAND: {
		struct shell_command_reply r;
		if ((e = ipc_shell_command_reply_decode(&m->body, &r)) != ERR_OK)
			goto bad;
		reply_with(c, wsman_reply_command(&body, &c->ws, r.command_id), &body);
		break;
	}
	case OP_RECEIVE: {
		static struct shell_receive_reply r; /* large: keep it off the stack */
		if ((e = ipc_shell_receive_reply_decode(&m->body, &r)) != ERR_OK)
			goto bad;
		reply_with(c, wsman_reply_receive(&body, &c->ws, c->u.receive.command_id, &r), &body);
		break;
	}
	case OP_SEND:
		reply_with(c, wsman_reply_send(&body, &c->ws), &body);
		break;
	case OP_SIGNAL:
		reply_with(c, wsman_reply_signal(&body, &c->ws), &body);
		break;
	case OP_DELETE:
		if (h->shells > 0)
			h->shells--;
		reply_with(c, wsman_reply_delete(&body, &c->ws), &body);
		break;
	default:
		goto bad;
	}
	if (ipc_msg_done(m) != ERR_OK)
		log_warnx("trailing bytes in a reply from the host of %s", h->user);
out:
	buf_clear(&body);
	return;
bad:
	log_warnx("malformed reply from the host of %s", h->user);
	net_reply_fault(c, ERR_WSMAN_INTERNAL);
	buf_clear(&body);
}

/* Messages on the channel keep their order, so the host's count is
 * current with every reply already handled. */
static void host_shells_left(struct user_host *h, struct ipc_msg *m)
{
	uint32_t shells;

	if (ipc_shells_left_decode(&m->body, &shells) == ERR_OK)
		h->shells = shells;
	else
		log_warnx("malformed shell count from the host of %s", h->user);
}

static void host_cb(evutil_socket_t fd, short what, void *arg)
{
	struct user_host *h = arg;
	(void)fd;

	if ((what & EV_WRITE) && ipc_flush(&h->peer) != ERR_OK) {
		host_fail_all(h, ERR_WSMAN_HOST_GONE);
		return;
	}
	if (what & EV_READ) {
		for (int i = 0; i < 64; i++) {
			struct ipc_msg m;
			enum err e = ipc_recv(&h->peer, &m);
			if (e == ERR_INCOMPLETE)
				break;
			if (e != ERR_OK) {
				log_warnx("host of user %s ended%s", h->user,
					  e == ERR_FORMAT ? " (sent a forbidden message)" : "");
				host_fail_all(h, ERR_WSMAN_HOST_GONE);
				return;
			}
			if (m.type == IPC_SHELLS_LEFT) {
				host_shells_left(h, &m);
				ipc_msg_clear(&m);
				continue;
			}
			struct pending *p = net_pending_take(&h->pending, m.id);
			if (p && p->conn)
				host_reply(h, p->conn, &m);
			free(p);
			ipc_msg_clear(&m);
		}
	}
	host_update_linger(h);
	net_watch_peer(h->ev, &h->peer);
}

/* ---- sending requests to a host ---- */

static void host_send(struct user_host *h, struct conn *c)
{
	static const uint32_t types[] = {
		[OP_CREATE] = IPC_SHELL_CREATE, [OP_COMMAND] = IPC_SHELL_COMMAND,
		[OP_SEND] = IPC_SHELL_SEND,     [OP_RECEIVE] = IPC_SHELL_RECEIVE,
		[OP_SIGNAL] = IPC_SHELL_SIGNAL, [OP_DELETE] = IPC_SHELL_DELETE,
	};
	struct buf b;
	enum err e = ERR_INTERNAL;
	uint32_t id;

	buf_init(&b, IPC_MAX_MSG);
	switch (c->op) {
	case OP_CREATE: e = ipc_shell_create_encode(&b, &c->u.create); break;
	case OP_COMMAND: e = ipc_shell_command_encode(&b, &c->u.command); break;
	case OP_SEND: e = ipc_shell_send_encode(&b, &c->u.send); break;
	case OP_RECEIVE: e = ipc_shell_receive_encode(&b, &c->u.receive); break;
	case OP_SIGNAL: e = ipc_shell_signal_encode(&b, &c->u.signal); break;
	case OP_DELETE: e = ipc_shell_delete_encode(&b, &c->u.del); break;
	default: break;
	}
	if (e == ERR_OK && !net_pending_add(&h->pending, types[c->op], c, &id))
		e = ERR_NOMEM;
	if (e == ERR_OK && (e = ipc_send(&h->peer, types[c->op], id, &b, NULL, 0)) != ERR_OK) {
		struct pending *p = net_pending_take(&h->pending, id);
		free(p);
	}
	buf_clear(&b);
	if (e != ERR_OK) {
		net_reply_fault(c, e == ERR_LIMIT ? ERR_WSMAN_ENCODING_LIMIT : ERR_WSMAN_INTERNAL);
		return;
	}
	c->state = CONN_WAIT_HOST;
	host_update_linger(h);
	net_watch_peer(h->ev, &h->peer);
}

/* ---- starting hosts ---- */

static struct user_host *host_start(struct conn *c)
{
	struct net *n = c->net;
	struct user_host *h = calloc(1, sizeof(*h));
	struct ipc_host_open req;
	struct buf b;
	uint32_t id;

	if (!h)
		return NULL;
	h->net = n;
	h->uid = c->id.uid;
	h->peer.fd = -1;
	snprintf(h->user, sizeof(h->user), "%s", c->id.user);
	h->linger = evtimer_new(n->base, host_linger_cb, h);
	memcpy(req.token, c->id.token, sizeof(req.token));
	buf_init(&b, 256);
	struct pending *p = h->linger ? calloc(1, sizeof(*p)) : NULL;
	if (!p || ipc_host_open_encode(&b, &req) != ERR_OK) {
		free(p);
		buf_clear(&b);
		if (h->linger)
			event_free(h->linger);
		free(h);
		return NULL;
	}
	p->id = id = ++n->next_id;
	p->type = IPC_HOST_OPEN;
	p->host = h;
	p->next = n->priv_pending;
	n->priv_pending = p;
	h->next = n->hosts;
	n->hosts = h;
	if (ipc_send(&n->priv, IPC_HOST_OPEN, id, &b, NULL, 0) != ERR_OK)
		log_warnx("cannot ask the privileged part for a host");
	buf_clear(&b);
	net_watch_peer(n->priv_ev, &n->priv);
	return h;
}

void net_wsman_host_opened(struct net *n, struct user_host *h, struct ipc_msg *m)
{
	struct ipc_host_opened o;
	int fd = ipc_msg_take_fd(m);

	if (fd < 0 || ipc_host_opened_decode(&m->body, &o) != ERR_OK || ipc_msg_done(m) != ERR_OK ||
	    o.uid != h->uid) {
		log_warnx("malformed HOST_OPENED for %s", h->user);
		if (fd >= 0)
			close(fd);
		host_fail_all(h, ERR_WSMAN_INTERNAL);
		return;
	}
	ipc_peer_init(&h->peer, fd, IPC_ROLE_NET, IPC_ROLE_HOST, (uid_t)o.uid, (pid_t)o.pid);
	h->ev = event_new(n->base, fd, EV_READ | EV_PERSIST, host_cb, h);
	if (!h->ev) {
		host_fail_all(h, ERR_WSMAN_INTERNAL);
		return;
	}
	h->ready = 1;
	event_add(h->ev, NULL);
	log_debug("host of %s ready (pid %u)", h->user, o.pid);
	host_push_settings(h);
	struct conn *c, *next;
	for (c = h->waiting, h->waiting = NULL; c; c = next) {
		next = c->host_next;
		c->host_next = NULL;
		c->host_waited = NULL;
		host_send(h, c);
	}
}

void net_wsman_host_failed(struct net *n, struct user_host *h, enum err e)
{
	(void)n;
	log_warnx("host of user %s could not start: %s", h->user, err_str(e));
	host_fail_all(h, e);
}

void net_wsman_forget(struct conn *c)
{
	struct user_host *h = c->host_waited;

	if (!h)
		return;
	for (struct conn **pp = &h->waiting; *pp; pp = &(*pp)->host_next) {
		if (*pp == c) {
			*pp = c->host_next;
			break;
		}
	}
	c->host_waited = NULL;
}

void net_wsman_shutdown(struct net *n)
{
	while (n->hosts)
		host_free(n->hosts);
}

/* ---- dispatch ---- */

static enum shell_op shell_op_of(const char *action)
{
	static const struct {
		const char *action;
		enum shell_op op;
	} ops[] = {
		{ACTION_CREATE, OP_CREATE}, {ACTION_COMMAND, OP_COMMAND}, {ACTION_SEND, OP_SEND},
		{ACTION_RECEIVE, OP_RECEIVE}, {ACTION_SIGNAL, OP_SIGNAL}, {ACTION_DELETE, OP_DELETE},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(action, ops[i].action) == 0)
			return ops[i].op;
	return OP_NONE;
}

void net_wsman_dispatch(struct conn *c)
{
	struct net *n = c->net;
	const struct wsman_header *hdr = &c->ws.hdr;
	enum err e;

	int config = hdr->resource_uri && net_config_uri(hdr->resource_uri);

	if (!config && (!hdr->resource_uri || strcasecmp(hdr->resource_uri, URI_SHELL_CMD) != 0)) {
		net_reply_fault(c, ERR_WSMAN_UNKNOWN_RESOURCE);
		return;
	}
	/* MaxTimeoutms bounds the OperationTimeout a client may ask for. */
	if (hdr->operation_timeout_ms > n->cfg.max_timeout_ms) {
		net_reply_fault(c, ERR_WSMAN_INVALID_HEADER);
		return;
	}
	if (config) {
		net_config_dispatch(c);
		return;
	}
	enum shell_op op = shell_op_of(hdr->action);
	switch (op) {
	case OP_CREATE: e = wsman_shell_create_parse(&c->ws, &c->u.create); break;
	case OP_COMMAND: e = wsman_shell_command_parse(&c->ws, &c->u.command); break;
	case OP_SEND: e = wsman_shell_send_parse(&c->ws, &c->u.send); break;
	case OP_RECEIVE: e = wsman_shell_receive_parse(&c->ws, &c->u.receive); break;
	case OP_SIGNAL: e = wsman_shell_signal_parse(&c->ws, &c->u.signal); break;
	case OP_DELETE: e = wsman_shell_delete_parse(&c->ws, &c->u.del); break;
	default: e = ERR_WSMAN_ACTION_NOT_SUPPORTED; break;
	}
	if (e != ERR_OK) {
		if (op == OP_CREATE)
			shell_create_req_free(&c->u.create);
		else if (op == OP_COMMAND)
			shell_command_req_free(&c->u.command);
		else if (op == OP_SEND)
			shell_send_req_free(&c->u.send);
		net_reply_fault(c, e);
		return;
	}
	c->op = op;
	if (op == OP_RECEIVE) {
		uint64_t t = hdr->operation_timeout_ms ? hdr->operation_timeout_ms : n->cfg.max_timeout_ms;
		c->u.receive.timeout_ms = t;
	}

	struct user_host *h = host_find(n, c->id.uid);
	if (op == OP_CREATE) {
		if (!n->cfg.winrs.allow_remote_shell_access) {
			net_reply_fault(c, ERR_WSMAN_SHELL_ACCESS_OFF);
			return;
		}
		free(c->u.create.client_ip);
		c->u.create.client_ip = strdup(c->peer);
		if (!h && !(h = host_start(c))) {
			net_reply_fault(c, ERR_WSMAN_INTERNAL);
			return;
		}
	} else if (!h) {
		/* No host: this user has no shells at all. */
		net_reply_fault(c, ERR_WSMAN_UNKNOWN_SHELL);
		return;
	}
	if (!h->ready) {
		c->host_waited = h;
		c->host_next = h->waiting;
		h->waiting = c;
		c->state = CONN_WAIT_HOST;
		return;
	}
	host_send(h, c);
}
