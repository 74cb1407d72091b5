/* priv_host: privileged part. Starts a per-user host for an account that
 * passed a password check. Each host lives under a session process that
 * stays root: it opens the PAM session (limits, loginuid, systemd-logind,
 * home directory creation), forks the host, which becomes the user for good
 * and execs winrmd --role=host, then waits for it and closes the session,
 * as OpenSSH's monitor does for a login. The session process reports the
 * host's pid through a pipe only once the exec succeeded, and the event
 * loop reads that pipe, so a slow PAM session module stalls nobody. */
#include "priv/priv_int.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "host/host.h"

struct priv_session {
	struct priv_session *next;
	struct priv *p;
	pid_t pid;	/* the session process; 0 once reaped */
	pid_t host_pid; /* 0 until the session process reports it */
	uid_t uid;	/* the host's: the connecting user's, or its endpoint's RunAsUser */
	char *name;	/* "alice", or "dnsbot for alice (endpoint DnsOps)", for the log */
	enum err fail;	/* why the session process gave up, as it reported */
	uint32_t id;	/* the IPC_HOST_OPEN being answered */
	int report_fd;	/* -1 once the request is answered */
	int net_end;	/* the network process's end of the host channel, until sent */
	struct event *ev;
	uint8_t report[4];
	size_t nreport;
};

static void host_failed(struct priv *p, uint32_t id, enum err reason)
{
	struct buf body;

	buf_init(&body, IPC_MAX_MSG - IPC_HEADER_LEN);
	if (ipc_host_failed_encode(&body, reason) == ERR_OK)
		priv_net_send(p, IPC_HOST_FAILED, id, &body, NULL, 0);
	buf_clear(&body);
}

/* What a session process starts: the host of the connecting user, its
 * own (ep NULL) or that of a session configuration, which runs as
 * ep->run_as. */
struct host_start {
	const struct priv_account *user;
	struct priv_endpoint *ep;
	const char *peer, *scheme; /* of the connection that asked, for the session */
	/* The user's own host: the key it opens CredSSP's delegated
	 * credentials with (priv_credssp_host_key). */
	int has_delegation_key;
	uint8_t delegation_key[SEALBOX_KEY_LEN];
};

/* The account the host runs as. */
static const struct priv_account *host_account(const struct host_start *st)
{
	return st->ep ? &st->ep->run_as : st->user;
}

/* The session's identity, which pwsh and commands inherit: who connected,
 * from where, how (docs/design.md, "Session configurations"); for a
 * session configuration also what the host serves and runs (host.h). */
static int identity_env(const struct host_start *st)
{
	const struct priv_endpoint *ep = st->ep;

	if (setenv("WINRMD_CONNECTED_USER", st->user->name, 1) < 0 ||
	    setenv("WINRMD_CLIENT_IP", st->peer, 1) < 0 ||
	    setenv("WINRMD_AUTH_SCHEME", st->scheme, 1) < 0)
		return -1;
	if (!ep)
		return 0;
	if (setenv(HOST_ENV_ENDPOINT, ep->name, 1) < 0 || setenv(HOST_ENV_PWSH, ep->pwsh, 1) < 0 ||
	    setenv("WINRMD_ROLES", ep->roles, 1) < 0 ||
	    (*ep->compiled && setenv(HOST_ENV_CONFIGURATION_FILE, ep->compiled, 1) < 0))
		return -1;
	return 0;
}

/* The host's environment: what login(1) sets, then what PAM modules
 * (pam_env, pam_systemd) added, then the session's identity. */
static int host_env(const struct priv *p, const struct host_start *st, char **pam_env)
{
	const struct priv_account *a = host_account(st);
	char tickets[PATH_MAX + 8];
	/* Where tickets clients forward (winrs -ad) arrive, for the second
	 * hop: the connecting user's, so only in a host that runs as them. */
	const char *forwarded =
	    a->uid == st->user->uid
		? priv_gss_forwarded_tickets(p, a->uid, tickets, sizeof(tickets))
		: NULL;
	/* The realm the service knows, for the TGT of CredSSP's delegated
	 * credentials (the host's own use only: commands do not get it). */
	char *krb5_config = getenv("KRB5_CONFIG") ? strdup(getenv("KRB5_CONFIG")) : NULL;
	int failed = clearenv() != 0 ||
		     (krb5_config && setenv(HOST_ENV_KRB5_CONFIG, krb5_config, 1) < 0) ||
		     setenv("HOME", a->home, 1) < 0 || setenv("USER", a->name, 1) < 0 ||
		     setenv("LOGNAME", a->name, 1) < 0 || setenv("SHELL", a->shell, 1) < 0 ||
		     setenv("PATH", a->uid == 0 ? PRIV_ROOT_PATH : PRIV_USER_PATH, 1) < 0;

	free(krb5_config);
	if (failed)
		return -1;
	for (size_t i = 0; pam_env && pam_env[i]; i++)
		if (strchr(pam_env[i], '=') && putenv(pam_env[i]) != 0)
			return -1;
	if (forwarded && setenv(HOST_ENV_FORWARDED_TICKETS, forwarded, 1) < 0)
		return -1;
	if (st->has_delegation_key) {
		char hex[2 * SEALBOX_KEY_LEN + 1];
		for (size_t i = 0; i < SEALBOX_KEY_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", st->delegation_key[i]);
		failed = setenv(HOST_ENV_DELEGATION_KEY, hex, 1) < 0;
		OPENSSL_cleanse(hex, sizeof(hex));
		if (failed)
			return -1;
	}
	return identity_env(st);
}

/* The host process: become its account for good, then exec. */
static void __attribute__((noreturn))
host_run(const struct priv *p, const struct host_start *st, char **pam_env, int chan, int errfd)
{
	const struct priv_account *a = host_account(st);

	if (p->privsep) {
		if (initgroups(a->name, a->gid) < 0)
			priv_child_fail(errfd, "initgroups");
		if (priv_setids(a->uid, a->gid) < 0)
			priv_child_fail(errfd, "cannot become the user");
	}
	if (host_env(p, st, pam_env) < 0)
		priv_child_fail(errfd, "environment");
	if (chdir(a->home) < 0 && chdir("/") < 0)
		priv_child_fail(errfd, "chdir");
	priv_exec_role(p, "host", p->net_uid, p->net_pid, chan, errfd, NULL, 0);
}

/* The session process's host, for the SIGTERM handler. */
static volatile sig_atomic_t session_host;
static volatile sig_atomic_t session_term;

static void session_on_term(int sig)
{
	(void)sig;
	session_term = 1;
	if (session_host > 0)
		kill((pid_t)session_host, SIGTERM);
}

static void session_pam_end(pam_handle_t *h, int opened, int cred, int rc)
{
	if (!h)
		return;
	if (opened && (rc = pam_close_session(h, PAM_SILENT)) != PAM_SUCCESS)
		log_warnx("PAM close session: %s", pam_strerror(h, rc));
	if (cred)
		pam_setcred(h, PAM_DELETE_CRED | PAM_SILENT);
	pam_end(h, rc);
}

/* Forks the host and waits for exec; the host's pid, or -1. */
static pid_t session_fork_host(const struct priv *p, const struct host_start *st, char **pam_env,
			       int chan)
{
	const struct priv_account *a = host_account(st);
	int ep[2], err = 0;
	sigset_t term, old;

	if (pipe2(ep, O_CLOEXEC) < 0) {
		log_warn("pipe");
		return -1;
	}
	/* SIGTERM waits until session_host names the child. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	pid_t pid = session_term ? -1 : fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(ep[0]);
		host_run(p, st, pam_env, chan, ep[1]);
	}
	session_host = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(ep[1]);
	if (pid < 0) {
		close(ep[0]);
		return -1;
	}
	/* The exec closes ep[1]: EOF with no errno means the host runs. */
	ssize_t n;
	do
		n = read(ep[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == 0)
		return pid;
	if (n == (ssize_t)sizeof(err)) {
		errno = err;
		log_warn("host for %s did not start", a->name);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	session_host = 0;
	return -1;
}

/* The session process tells the privileged part why it gave up: e with
 * the high bit set, where a pid would have come. */
static void session_report_failure(int report, enum err e)
{
	uint32_t v = 0x80000000u | (uint32_t)e;
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	if (write(report, b, sizeof(b)) != (ssize_t)sizeof(b))
		log_warn("session: reporting a failure");
}

static void __attribute__((noreturn))
session_run(const struct priv *p, const struct host_start *st, int chan, int report)
{
	const struct priv_account *a = host_account(st);
	struct sigaction sa;
	struct pam_conv conv = {priv_pam_conv, NULL};
	pam_handle_t *h = NULL;
	char **pam_env = NULL;
	/* exe_fd: the host is executed from it (priv_exec_role). */
	int keep[3] = {chan, report, p->exe_fd}, rc = PAM_SUCCESS, cred = 0, opened = 0, status = 0;
	char desc[64];

	if (priv_closefrom(keep, 3) < 0)
		_exit(1);
	log_set_role("session");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = session_on_term;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);

	/* JEA: the session file, compiled as root before the host starts. */
	if (st->ep) {
		enum err e = priv_endpoint_compile(p->config_dir, st->user->name, st->ep);
		if (e != ERR_OK) {
			session_report_failure(report, e);
			_exit(1);
		}
		if (*st->ep->compiled)
			log_info("endpoint %s: session file %s for %s, roles: %s", st->ep->name,
				 st->ep->compiled, st->user->name,
				 *st->ep->roles ? st->ep->roles : "(none)");
	}
	if (p->privsep) {
		rc = pam_start(priv_pam_service(p), a->name, &conv, &h);
		if (rc == PAM_SUCCESS &&
		    (rc = pam_setcred(h, PAM_ESTABLISH_CRED | PAM_SILENT)) == PAM_SUCCESS)
			cred = 1;
		if (rc == PAM_SUCCESS && (rc = pam_open_session(h, PAM_SILENT)) == PAM_SUCCESS)
			opened = 1;
		if (rc != PAM_SUCCESS) {
			log_warnx("PAM session for %s: %s", a->name,
				  h ? pam_strerror(h, rc) : "pam_start failed");
			session_pam_end(h, opened, cred, rc);
			_exit(1);
		}
		pam_env = pam_getenvlist(h);
	}
	pid_t host = session_fork_host(p, st, pam_env, chan);
	close(chan);
	if (host > 0) {
		uint8_t b[4] = {(uint8_t)(host >> 24), (uint8_t)(host >> 16), (uint8_t)(host >> 8),
				(uint8_t)host};
		if (write(report, b, sizeof(b)) != (ssize_t)sizeof(b))
			kill(host, SIGTERM); /* nobody will talk to it */
		close(report);
		log_info("host of %s started: pid %d", a->name, (int)host);
		while (waitpid(host, &status, 0) < 0 && errno == EINTR)
			;
		log_info("host of %s (pid %d) %s", a->name, (int)host,
			 priv_wait_status(status, desc, sizeof(desc)));
	}
	if (st->ep && *st->ep->compiled)
		(void)unlink(st->ep->compiled);
	session_pam_end(h, opened, cred, PAM_SUCCESS);
	_exit(host > 0 ? 0 : 1);
}

static void session_free(struct priv_session *s)
{
	if (s->ev)
		event_free(s->ev);
	if (s->report_fd >= 0)
		close(s->report_fd);
	if (s->net_end >= 0)
		close(s->net_end);
	free(s->name);
	free(s);
}

static void session_unlink(struct priv *p, struct priv_session *s)
{
	for (struct priv_session **pp = &p->sessions; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			p->nsessions--;
			break;
		}
	}
	session_free(s);
}

/* The request is answered (or nobody is left to answer): the report pipe
 * and the network process's end of the channel go; s too if its session
 * process is already reaped. */
static void session_answered(struct priv_session *s)
{
	event_free(s->ev);
	s->ev = NULL;
	close(s->report_fd);
	s->report_fd = -1;
	close(s->net_end);
	s->net_end = -1;
	if (s->pid == 0)
		session_unlink(s->p, s);
}

/* Answers the request once the session process has spoken (or died). */
static void session_answer(struct priv_session *s, int started)
{
	struct priv *p = s->p;

	if (started) {
		struct ipc_host_opened m = {.uid = (uint32_t)s->uid, .pid = (uint32_t)s->host_pid};
		struct buf body;

		buf_init(&body, IPC_MAX_MSG - IPC_HEADER_LEN);
		if (ipc_host_opened_encode(&body, &m) == ERR_OK)
			priv_net_send(p, IPC_HOST_OPENED, s->id, &body, &s->net_end, 1);
		buf_clear(&body);
	} else {
		log_warnx("could not start a host for %s", s->name);
		host_failed(p, s->id, s->fail ? s->fail : ERR_WSMAN_INTERNAL);
	}
	session_answered(s);
}

static void session_report_cb(evutil_socket_t fd, short what, void *arg)
{
	struct priv_session *s = arg;

	if (what & EV_TIMEOUT) {
		log_warnx("host of %s did not start within %d s", s->name,
			  PRIV_HOST_START_TIMEOUT_MS / 1000);
		if (s->pid > 0)
			kill(s->pid, SIGKILL);
		session_answer(s, 0);
		return;
	}
	ssize_t n = read(fd, s->report + s->nreport, sizeof(s->report) - s->nreport);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		s->nreport += (size_t)n;
		if (s->nreport < sizeof(s->report))
			return;
		uint32_t pid = (uint32_t)s->report[0] << 24 | (uint32_t)s->report[1] << 16 |
			       (uint32_t)s->report[2] << 8 | s->report[3];
		s->host_pid = pid > 0 && pid <= INT32_MAX ? (pid_t)pid : 0;
		/* A failure the session process reported (session_report_failure). */
		if (pid > INT32_MAX && (pid & ~0x80000000u) > 0 && (pid & ~0x80000000u) < ERR_COUNT)
			s->fail = (enum err)(pid & ~0x80000000u);
	}
	session_answer(s, s->host_pid > 0);
}

/* The session's channels (the host's socket pair, the pipe that reports
 * the host's pid) and the watch on that pipe, all made before the fork so
 * that a failure (logged) leaves no session process behind: -1, and what
 * was made is s's for session_free. *chan and *report are the ends the
 * session process keeps. */
static int session_prepare(struct priv_session *s, int *chan, int *report)
{
	struct timeval tv = {PRIV_HOST_START_TIMEOUT_MS / 1000, 0};
	int sv[2], rp[2];

	if (ipc_socketpair(sv) < 0) {
		log_warn("socketpair for a host");
		return -1;
	}
	s->net_end = sv[0];
	if (pipe2(rp, O_CLOEXEC) < 0) {
		log_warn("pipe for a host");
		close(sv[1]);
		return -1;
	}
	s->report_fd = rp[0];
	util_set_nonblock(s->report_fd);
	/* Out of memory under load: this host start fails, the service goes on. */
	s->ev = event_new(s->p->base, s->report_fd, EV_READ | EV_PERSIST, session_report_cb, s);
	if (!s->ev || event_add(s->ev, &tv) < 0) {
		log_warnx("libevent: cannot watch a host start");
		close(sv[1]);
		close(rp[1]);
		return -1;
	}
	*chan = sv[1];
	*report = rp[1];
	return 0;
}

/* The session's name for the log: "alice", "dnsbot for alice (endpoint DnsOps)". */
static char *session_name(const struct host_start *st)
{
	char *name;

	if (!st->ep)
		return strdup(st->user->name);
	if (asprintf(&name, "%s for %s (endpoint %s)", st->ep->run_as.name, st->user->name,
		     st->ep->name) < 0)
		return NULL;
	return name;
}

/* A session configuration's host: may this user have it, and as whom?
 * The audit line either way. */
static enum err admit(struct priv *p, const struct priv_account *a, const struct ipc_host_open *m,
		      struct priv_endpoint *ep)
{
	const char *why;
	enum err e = priv_endpoint_admit(p, a, m->endpoint, ep, &why);

	if (e != ERR_OK)
		log_warnx("PowerShell endpoint %s refused to %s from %s (%s): %s", m->endpoint,
			  a->name, m->peer, m->scheme, why);
	else
		log_info("PowerShell endpoint %s: %s from %s (%s) admitted, runs as %s%s%s",
			 ep->name, a->name, m->peer, m->scheme, ep->run_as.name,
			 *ep->pssc ? ", session file " : "", ep->pssc);
	return e;
}

void priv_host_open(struct priv *p, uint32_t id, const struct ipc_host_open *m)
{
	const struct priv_account *a = priv_token_find(p, m->token);
	struct host_start st = {.user = a, .peer = m->peer, .scheme = m->scheme};
	struct priv_endpoint *ep = NULL;
	struct priv_session *s = NULL;
	int chan, report;
	enum err e;

	if (!a) {
		log_warnx("host requested with an unknown or expired token");
		host_failed(p, id, ERR_WSMAN_ACCESS_DENIED);
		return;
	}
	if (*m->endpoint) {
		if (!(ep = calloc(1, sizeof(*ep)))) {
			host_failed(p, id, ERR_WSMAN_INTERNAL);
			return;
		}
		if ((e = admit(p, a, m, ep)) != ERR_OK) {
			host_failed(p, id, e);
			goto out;
		}
		st.ep = ep;
	}
	if (p->nsessions >= p->cfg.winrs.max_concurrent_users || p->nsessions >= PRIV_MAX_HOSTS) {
		log_warnx("host for %s refused: %u hosts running (Winrs/MaxConcurrentUsers)",
			  a->name, p->nsessions);
		host_failed(p, id, ERR_WSMAN_QUOTA_USERS);
		goto out;
	}
	if (!(s = calloc(1, sizeof(*s))) || !(s->name = session_name(&st))) {
		free(s);
		host_failed(p, id, ERR_WSMAN_INTERNAL);
		goto out;
	}
	s->p = p;
	s->id = id;
	s->uid = host_account(&st)->uid;
	/* Made here, in the privileged part itself, before the fork. */
	st.has_delegation_key =
	    s->uid == a->uid && priv_credssp_host_key(p, a->uid, st.delegation_key);
	s->net_end = s->report_fd = -1;
	if (session_prepare(s, &chan, &report) < 0) {
		session_free(s);
		host_failed(p, id, ERR_WSMAN_INTERNAL);
		goto out;
	}
	pid_t pid = priv_fork();
	if (pid == 0) {
		close(s->net_end);
		close(s->report_fd);
		session_run(p, &st, chan, report);
	}
	close(chan);
	close(report);
	if (pid < 0) {
		log_warn("fork for a host");
		session_free(s);
		host_failed(p, id, ERR_WSMAN_INTERNAL);
		goto out;
	}
	s->pid = pid;
	s->next = p->sessions;
	p->sessions = s;
	p->nsessions++;
	priv_audit_host_start(a, host_account(&st)->name, m);
out:
	OPENSSL_cleanse(st.delegation_key, sizeof(st.delegation_key));
	if (ep) {
		priv_endpoint_clear(ep);
		free(ep);
	}
}

int priv_host_reaped(struct priv *p, pid_t pid, int status)
{
	char desc[64];

	for (struct priv_session *s = p->sessions; s; s = s->next) {
		if (s->pid != pid)
			continue;
		s->pid = 0;
		if (!WIFEXITED(status) || (s->host_pid > 0 && WEXITSTATUS(status) != 0))
			log_warnx("session process of %s %s", s->name,
				  priv_wait_status(status, desc, sizeof(desc)));
		if (s->report_fd < 0)
			session_unlink(p, s);
		return 1;
	}
	return 0;
}

void priv_host_net_gone(struct priv *p)
{
	struct priv_session *next;

	/* A running host is not re-attached to the next network process: its
	 * only channel ran to the one that died (docs/design.md, "When the
	 * network process dies"). */
	for (struct priv_session *s = p->sessions; s; s = next) {
		next = s->next;
		if (s->report_fd < 0)
			continue;
		log_info("host start for %s abandoned: the network process that asked is gone",
			 s->name);
		session_answered(s);
	}
}

void priv_host_stop(struct priv *p)
{
	while (p->sessions) {
		struct priv_session *s = p->sessions;
		/* The session process ends its host and closes the PAM session. */
		if (s->pid > 0)
			kill(s->pid, SIGTERM);
		p->sessions = s->next;
		session_free(s);
	}
	p->nsessions = 0;
}
