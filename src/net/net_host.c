/* net_host: network process. The per-user hosts and their channels. Each
 * user has at most one host of their own, and one per isolated session
 * configuration they use (config_plugin_isolated: its requests carry its
 * resource URI, as on Windows, where the URI picks the plugin); a request
 * can only reach a host of the user it authenticated as, so another
 * user's ShellId is simply unknown there. A host is asked for by the privileged part
 * (IPC_HOST_OPEN) at the first request that needs it; requests sent meanwhile queue on its channel,
 * each with its deadline, and go out when it has started. */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "net/net_int.h"
#include "shell/shell_ipc.h"

static struct user_host *find(struct net *n, uid_t uid, const char *endpoint)
{
	for (struct user_host *h = n->hosts; h; h = h->next)
		if (h->uid == uid && strcmp(h->endpoint, endpoint) == 0)
			return h;
	return NULL;
}

/* Closing the channel makes the host end every command and exit. */
static void user_host_free(struct user_host *h)
{
	struct net *n = h->net;

	for (struct user_host **pp = &n->hosts; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	ipc_endpoint_cancel(h->opening);
	ipc_endpoint_free(h->chan);
	if (h->linger)
		event_free(h->linger);
	free(h->opened_under);
	free(h);
}

/* What a session configuration's host is opened under and must not serve
 * past: who may connect, the account it runs as, the session file. NULL
 * when out of memory; "" when the plugin is gone or disabled. */
static char *plugin_terms(const struct config *c, const char *endpoint)
{
	const struct config_plugin *pl = config_plugin_find(c, endpoint);
	char *s = NULL;

	if (!pl || !pl->enabled)
		return strdup("");
	if (asprintf(&s, "%s\n%s\n%s\n%s", pl->allowed_users, pl->allowed_groups, pl->run_as_user,
		     pl->config_file_path) < 0)
		return NULL;
	return s;
}

/* The host died, misbehaved or could not start: every request it owed
 * gets e, and the next request starts a new host. */
static void fail(struct user_host *h, enum err e)
{
	ipc_endpoint_fail(h->chan, e);
	user_host_free(h);
}

static void push_settings(struct user_host *h)
{
	struct net *n = h->net;
	const struct config_plugin *pl =
	    *h->endpoint ? config_plugin_find(&n->cfg, h->endpoint) : NULL;
	struct shell_limits lim = {
	    .max_shells_per_user = pl && pl->max_shells_per_user < n->cfg.winrs.max_shells_per_user
				       ? pl->max_shells_per_user
				       : n->cfg.winrs.max_shells_per_user,
	    .max_processes_per_shell = n->cfg.winrs.max_processes_per_shell,
	    .idle_timeout_ms = n->cfg.winrs.idle_timeout_ms,
	    .max_shell_run_time_ms = n->cfg.winrs.max_shell_run_time_ms,
	    .max_memory_per_shell_mb = n->cfg.winrs.max_memory_per_shell_mb,
	};
	struct buf b;

	buf_init(&b, 1024);
	if (shell_ipc_limits_encode(&b, &lim) != ERR_OK ||
	    ipc_endpoint_send(h->chan, IPC_HOST_SETTINGS, 0, &b, NULL, 0) != ERR_OK)
		log_warnx("cannot send settings to the host of %s", h->user);
	buf_clear(&b);
}

/* A changed session configuration ends the hosts opened under the old
 * one, with their sessions, as Windows restarts its service when one
 * changes: one left running would go on admitting the users, or running
 * as the account, that the change took away. */
void net_host_push_settings(struct net *n)
{
	struct user_host *next;

	for (struct user_host *h = n->hosts; h; h = next) {
		char *terms = h->opened_under ? plugin_terms(&n->cfg, h->endpoint) : NULL;
		next = h->next;
		if (h->opened_under && (!terms || strcmp(terms, h->opened_under) != 0)) {
			log_info("closing the host of %s for %s: the session configuration changed",
				 h->user, h->endpoint);
			fail(h, ERR_WSMAN_HOST_GONE);
		} else {
			push_settings(h);
		}
		free(terms);
	}
}

static void linger_expired(evutil_socket_t fd, short what, void *arg)
{
	struct user_host *h = arg;
	(void)fd, (void)what;

	if (h->shells == 0 && ipc_endpoint_calls(h->chan) == 0) {
		log_info("closing the idle host of %s", h->user);
		user_host_free(h);
	}
}

/* A host with no shells and nothing asked of it closes after a while. */
static void update_linger(struct user_host *h)
{
	if (h->shells == 0 && ipc_endpoint_calls(h->chan) == 0) {
		struct timeval tv = {.tv_sec = NET_HOST_LINGER_MS / 1000};
		evtimer_add(h->linger, &tv);
	} else {
		evtimer_del(h->linger);
	}
}

void net_host_count(struct user_host *h, int delta)
{
	if (delta < 0 && h->shells == 0)
		return;
	h->shells = (uint32_t)((int64_t)h->shells + delta);
}

/* ---- the channel ---- */

/* IPC_SHELLS_LEFT, the only message a host sends unasked. Messages on the
 * channel keep their order, so the count is current with every reply
 * already handled. */
static enum err from_host(void *arg, struct ipc_msg *m)
{
	struct user_host *h = arg;
	uint32_t shells;

	if (m->type != IPC_SHELLS_LEFT)
		return ERR_FORMAT;
	if (shell_ipc_shells_left_decode(&m->body, &shells) == ERR_OK)
		h->shells = shells;
	else
		log_warnx("malformed shell count from the host of %s", h->user);
	update_linger(h);
	return ERR_OK;
}

static void host_lost(void *arg, enum err why)
{
	struct user_host *h = arg;

	log_warnx("host of user %s ended%s", h->user,
		  why == ERR_FORMAT ? " (sent a forbidden message)" : "");
	fail(h, ERR_WSMAN_HOST_GONE);
}

static void opened(void *arg, struct ipc_msg *m, enum err e)
{
	struct user_host *h = arg;
	struct ipc_host_opened o;
	struct passwd *pw;
	int fd;

	h->opening = NULL;
	/* A session configuration's host runs as the account the privileged
	 * part chose for it (RunAsUser); the user's own host as the user. */
	if ((e = net_priv_host_opened(m, e, &o, &fd)) == ERR_OK && !*h->endpoint &&
	    o.uid != h->uid) {
		log_warnx("HOST_OPENED for uid %u, not %s's", o.uid, h->user);
		close(fd);
		e = ERR_WSMAN_INTERNAL;
	}
	if (e == ERR_OK &&
	    (e = ipc_endpoint_attach(h->chan, fd, (uid_t)o.uid, (pid_t)o.pid)) != ERR_OK)
		close(fd);
	if (e != ERR_OK) {
		log_warnx("host of user %s could not start: %s", h->user, err_str(e));
		fail(h, e);
		return;
	}
	h->host_uid = (uid_t)o.uid;
	if ((pw = getpwuid(h->host_uid)))
		snprintf(h->run_as, sizeof(h->run_as), "%s", pw->pw_name);
	log_debug("host of %s%s%s ready (pid %u, uid %u)", h->user, *h->endpoint ? " for " : "",
		  h->endpoint, o.pid, o.uid);
	update_linger(h);
}

static struct user_host *start(struct net *n, const struct auth_identity *id, const char *endpoint,
			       const char *peer)
{
	static const struct ipc_endpoint_ops ops = {from_host, host_lost};
	struct user_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->net = n;
	h->uid = id->uid;
	snprintf(h->user, sizeof(h->user), "%s", id->user);
	snprintf(h->endpoint, sizeof(h->endpoint), "%s", endpoint);
	h->next = n->hosts;
	n->hosts = h;
	if ((*endpoint && !(h->opened_under = plugin_terms(&n->cfg, endpoint))) ||
	    !(h->linger = evtimer_new(n->base, linger_expired, h)) ||
	    !(h->chan =
		  ipc_endpoint_new(n->base, -1, IPC_ROLE_NET, IPC_ROLE_HOST, 0, 0, &ops, h)) ||
	    net_priv_host_open(n, id->token, endpoint, peer, id->scheme, opened, h, &h->opening) !=
		ERR_OK) {
		log_warnx("cannot ask the privileged part for the host of %s", h->user);
		user_host_free(h);
		return NULL;
	}
	/* The settings go first, queued with the requests. */
	push_settings(h);
	return h;
}

static void answered(void *arg, struct ipc_msg *m, enum err e)
{
	struct request *r = arg;
	struct user_host *h = r->host;

	r->call = NULL;
	r->host_done(r, h, m, e);
	update_linger(h);
}

enum err net_host_call(struct request *r, int start_host, const char *endpoint,
		       const struct buf *body, uint64_t timeout_ms, net_host_done_fn *done)
{
	struct net *n = r->conn->net;
	struct user_host *h;
	enum err e;

	if ((e = net_identity_check(r, "a user's host")) != ERR_OK)
		return e;
	if (!(h = find(n, r->id.uid, endpoint)) && !start_host)
		return ERR_WSMAN_UNKNOWN_SHELL; /* no host: this user has no shells there */
	if (!h && !(h = start(n, &r->id, endpoint, r->conn->peer)))
		return ERR_HTTP_BUSY;
	return net_host_call_to(r, h, body, timeout_ms, done);
}

/* (uid, endpoint) order: <0, 0, >0. */
static int host_order(uid_t uid, const char *endpoint, const struct user_host *h)
{
	if (uid != h->uid)
		return uid < h->uid ? -1 : 1;
	return strcmp(endpoint, h->endpoint);
}

struct user_host *net_host_next(struct net *n, int first, uid_t uid, const char *endpoint)
{
	struct user_host *next = NULL;

	for (struct user_host *h = n->hosts; h; h = h->next)
		if ((first || host_order(uid, endpoint, h) < 0) &&
		    (!next || host_order(h->uid, h->endpoint, next) < 0))
			next = h;
	return next;
}

enum err net_host_call_to(struct request *r, struct user_host *h, const struct buf *body,
			  uint64_t timeout_ms, net_host_done_fn *done)
{
	struct net *n = r->conn->net;
	enum err e;

	if ((e = net_identity_check(r, "a host")) != ERR_OK)
		return e;
	/* MaxConcurrentOperationsPerUser: what the user's hosts have not
	 * answered yet (long-polled Receives, mostly), all of them: Windows
	 * counts a user's operations whichever plugin serves them. Windows'
	 * fault for it is the one ERR_WSMAN_QUOTA_PROCESSES carries
	 * (ERROR_WSMAN_QUOTA_MAX_OPERATIONS). */
	uint32_t max_ops = n->cfg.service.max_concurrent_operations_per_user, ops = 0;
	for (struct user_host *o = n->hosts; max_ops && o; o = o->next)
		if (o->uid == h->uid)
			ops += ipc_endpoint_calls(o->chan);
	if (max_ops && ops >= max_ops) {
		log_warnx("%s has %u operations running, MaxConcurrentOperationsPerUser: refused",
			  h->user, ops);
		return ERR_WSMAN_QUOTA_PROCESSES;
	}

	e = ipc_endpoint_call(h->chan, IPC_SHELL_REQUEST, body, timeout_ms, answered, r, &r->call);
	if (e != ERR_OK)
		return e == ERR_LIMIT ? ERR_WSMAN_ENCODING_LIMIT : ERR_WSMAN_INTERNAL;
	r->host = h;
	r->host_done = done;
	update_linger(h);
	return ERR_OK;
}

void net_host_cancel(struct request *r)
{
	struct buf none;

	/* A Receive the host parked for a client that is gone would take the
	 * output with it; told, the host keeps it for the next Receive. */
	buf_init(&none, 0);
	if (ipc_endpoint_send(r->host->chan, IPC_SHELL_CANCEL, ipc_call_id(r->call), &none, NULL,
			      0) != ERR_OK)
		log_warnx("cannot tell the host of %s a request is cancelled", r->host->user);
	buf_clear(&none);
}

void net_host_shutdown(struct net *n)
{
	while (n->hosts)
		user_host_free(n->hosts);
}
