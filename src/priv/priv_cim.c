/* priv_cim: privileged part. An administrator's WMI method or Put of an
 * instance, run as root (IPC_CIM_INVOKE; docs/design.md, "Administrators
 * acting as root"): on
 * Windows an administrator's token is elevated, so the providers act with
 * full rights; here the user's host never runs as root, so the network
 * process sends an administrator's Invoke here instead. Nothing of it is
 * trusted: the token must be live and name an administrator by the
 * configuration in force, and the namespace's security comes from that
 * configuration too. The method runs once in a forked child that stays
 * root with nothing else of ours (no descriptor but its answer's pipe, no
 * environment, no_new_privs), bounded by the method's own timeout; the
 * event loop reads the answer from the pipe, never waiting, and a child
 * past its time is killed. */
#include "priv/priv_int.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"

/* What the child may take beyond the method's own bound (its fork, the
 * method's own checks), before it is killed. */
#define CHILD_MARGIN_MS 5000
#define MAX_ANSWER (IPC_MAX_MSG - IPC_HEADER_LEN)

static void answer(struct priv *p, uint32_t id, const struct ipc_cim_invoked *m)
{
	struct buf body;

	buf_init(&body, MAX_ANSWER);
	if (ipc_cim_invoked_encode(&body, m) == ERR_OK)
		priv_net_send(p, IPC_CIM_INVOKED, id, &body, NULL, 0);
	else
		log_warnx("cannot encode an elevated method's answer");
	buf_clear(&body);
}

/* What the call is: the method, or "Put" (an instance's properties). */
static const char *call_name(const struct cim_invoke_request *c)
{
	return c->kind == CIM_CALL_PUT ? "Put" : c->method;
}

/* "root/cimv2/Win32_Service.StopService(Name=x)",
 * "root/cimv2/Win32_UserAccount.Put(Domain=H,Name=u)", for the log and
 * the audit trail. */
static void describe(const struct cim_invoke_request *c, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "%s/%s.%s(", c->namespace_name, c->class_name,
				    call_name(c));

	for (uint32_t i = 0; i < c->nselectors && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s=%s", i ? "," : "",
				      c->selectors[i].name, c->selectors[i].value);
	if (n < size)
		snprintf(out + n, size - n, ")");
}

static void audit(const struct priv_elevated *el, const char *outcome)
{
	struct audit_event ev;

	audit_event_init(&ev, AUDIT_ELEVATED_METHOD);
	AUDIT_SET(&ev, user, el->user);
	AUDIT_SET(&ev, source_address, el->peer);
	AUDIT_SET(&ev, scheme, el->scheme);
	AUDIT_SET(&ev, run_as, "root");
	AUDIT_SET(&ev, resource, el->what);
	AUDIT_SET(&ev, action, el->method);
	AUDIT_SET(&ev, reason, outcome);
	audit_write(&ev, AUDIT_FROM_PRIV);
}

/* Frees the slot; a child still running is killed (SIGCHLD reaps it). */
static void release(struct priv_elevated *el)
{
	if (el->ev)
		event_free(el->ev);
	if (el->fd >= 0)
		close(el->fd);
	if (el->pid > 0)
		kill(el->pid, SIGKILL);
	buf_clear(&el->got);
	memset(el, 0, sizeof(*el));
}

/* Logs and audits the outcome, answers, and frees the slot. */
static void finish(struct priv_elevated *el, const struct ipc_cim_invoked *m)
{
	const struct cim_property *rv =
	    m->status == ERR_OK ? cim_property(&m->reply.output, "ReturnValue") : NULL;
	char outcome[CIM_MAX_VALUE + 64], q[LOG_QUOTE_MAX];

	if (m->status == ERR_OK && m->reply.kind == CIM_CALL_PUT)
		snprintf(outcome, sizeof(outcome), "done");
	else if (m->status == ERR_OK)
		snprintf(outcome, sizeof(outcome), "ReturnValue %s", rv ? rv->value : "-");
	else
		snprintf(outcome, sizeof(outcome), "refused: %s", err_str((enum err)m->status));
	log_info("elevated method by %s from %s: %s: %s", el->user, el->peer,
		 log_quote(q, sizeof(q), el->what, strlen(el->what)), outcome);
	audit(el, outcome);
	answer(el->p, el->id, m);
	release(el);
}

/* The child: the method, once, as root; its answer on fd, then gone. */
static void __attribute__((noreturn)) child_run(struct cim_invoke_request *call, int fd)
{
	struct ipc_cim_invoked m;
	struct buf body;
	int keep[1] = {fd};
	size_t off = 0;

	memset(&m, 0, sizeof(m));
	if (priv_closefrom(keep, 1) < 0 || priv_child_env(NULL, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(1);
	log_set_role("cim");
	m.status = (uint32_t)cim_invoke_wait(call, &m.reply);
	buf_init(&body, MAX_ANSWER);
	if (ipc_cim_invoked_encode(&body, &m) != ERR_OK)
		_exit(1);
	while (off < buf_len(&body)) {
		ssize_t w = write(fd, (const uint8_t *)buf_ptr(&body) + off, buf_len(&body) - off);
		if (w <= 0)
			_exit(1);
		off += (size_t)w;
	}
	_exit(0);
}

/* The child's answer, as it comes; at its end (or at the deadline) the
 * request is answered. */
static void readable(evutil_socket_t fd, short what, void *arg)
{
	struct priv_elevated *el = arg;
	struct ipc_cim_invoked m = {.status = ERR_WSMAN_INTERNAL};
	uint8_t chunk[4096];
	ssize_t n;

	if (what & EV_TIMEOUT) {
		log_warnx("elevated method %s: no answer in time: killing its process", el->what);
		finish(el, &m);
		return;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_put(&el->got, chunk, (size_t)n) != ERR_OK) {
			finish(el, &m);
			return;
		}
	if (n < 0)
		return; /* EAGAIN: more to come */
	if (ipc_cim_invoked_decode(&el->got, &m) != ERR_OK) {
		log_warnx("elevated method %s: its process gave no answer", el->what);
		memset(&m, 0, sizeof(m));
		m.status = ERR_WSMAN_INTERNAL;
	}
	el->pid = 0; /* it wrote its all and exits: SIGCHLD reaps it */
	finish(el, &m);
}

/* Forks the child into slot el; ERR_OK, or the fault to answer. */
static enum err start(struct priv *p, struct priv_elevated *el, struct cim_invoke_request *call)
{
	uint64_t ms = (uint64_t)call->timeout_ms + CHILD_MARGIN_MS;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	int pfd[2];

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		log_warn("pipe for an elevated method");
		return ERR_WSMAN_INTERNAL;
	}
	el->ev = event_new(p->base, pfd[0], EV_READ | EV_PERSIST, readable, el);
	if (!el->ev || event_add(el->ev, &tv) < 0) {
		log_warnx("libevent: cannot watch an elevated method");
		goto fail;
	}
	if ((el->pid = priv_fork()) < 0) {
		log_warn("fork for an elevated method");
		goto fail;
	}
	if (el->pid == 0)
		child_run(call, pfd[1]);
	close(pfd[1]);
	el->fd = pfd[0];
	util_set_nonblock(el->fd);
	buf_init(&el->got, MAX_ANSWER);
	return ERR_OK;
fail:
	if (el->ev)
		event_free(el->ev);
	el->ev = NULL;
	el->pid = 0;
	close(pfd[0]);
	close(pfd[1]);
	return ERR_WSMAN_INTERNAL;
}

/* The namespace's check as the configuration in force says, for an
 * administrator; whether the request came encrypted stays as sent. */
static void access_of(const struct priv *p, const struct priv_account *a,
		      struct cim_invoke_request *call)
{
	const struct config_namespace *ns = config_namespace_find(&p->cfg, call->namespace_name);
	const char *remote_users = p->cfg.service.remote_users_group;
	struct cim_access *acc = &call->access;

	acc->is_admin = 1;
	snprintf(acc->remote_users_group, sizeof(acc->remote_users_group), "%s",
		 remote_users ? remote_users : "");
	snprintf(acc->client_ip, sizeof(acc->client_ip), "%s", a->peer);
	snprintf(acc->sddl, sizeof(acc->sddl), "%s", ns ? ns->sddl : "");
	acc->requires_encryption = ns && ns->requires_encryption;
}

void priv_cim_invoke(struct priv *p, uint32_t id, struct ipc_cim_invoke *m)
{
	const struct priv_account *a = priv_token_find(p, m->token);
	struct priv_elevated *el = NULL, refused;
	struct ipc_cim_invoked res = {.status = ERR_OK};

	for (int i = 0; i < PRIV_MAX_ELEVATED && !el; i++)
		if (!p->elevated[i].ev)
			el = &p->elevated[i];
	if (!el) {
		el = &refused;
		res.status = ERR_HTTP_BUSY;
	}
	memset(el, 0, sizeof(*el));
	el->fd = -1;
	el->p = p;
	el->id = id;
	snprintf(el->user, sizeof(el->user), "%s", a ? a->name : "-");
	snprintf(el->peer, sizeof(el->peer), "%s", a ? a->peer : "-");
	snprintf(el->scheme, sizeof(el->scheme), "%s", a ? a->scheme : "");
	snprintf(el->method, sizeof(el->method), "%s", call_name(&m->call));
	describe(&m->call, el->what, sizeof(el->what));
	/* A token the network process holds proves a logon; the right to act
	 * as root is decided now, here. */
	if (res.status == ERR_OK && (!a || !priv_is_admin(p, a)))
		res.status = ERR_WSMAN_ACCESS_DENIED;
	if (res.status == ERR_OK) {
		access_of(p, a, &m->call);
		res.status = start(p, el, &m->call);
	}
	if (res.status != ERR_OK)
		finish(el, &res);
}

void priv_cim_stop(struct priv *p)
{
	for (int i = 0; i < PRIV_MAX_ELEVATED; i++)
		if (p->elevated[i].ev)
			release(&p->elevated[i]);
}
