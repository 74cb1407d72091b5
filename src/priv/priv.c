/* priv: privileged part. Start-up (configuration, mode, listeners,
 * daemon), the network process, the event loop and its signals, and the
 * dispatch of what the network process asks. The network process is
 * treated as the attacker's foothold: it may only send the requests of
 * the table below, each checked by ipc_recv's table and the decoders, and a
 * message that breaks the rules ends that process rather than guessing
 * what was meant. When the network process ends, for whatever reason, what
 * it held is dropped (its tokens, the checks and host starts it asked for)
 * and a new one is started with the same listening sockets, within a start
 * limit (PRIV_NET_RESTART_BURST). */
#include "priv/priv_int.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <systemd/sd-daemon.h>

#include "audit/audit.h"
#include "common/log.h"
#include "common/util.h"

#define PID_FILE "winrmd.pid"
#define ROLE_FD 3 /* the IPC channel of a re-executed role, as winrmd.c expects */
/* On shutdown the network process gets this long to close its sockets, so
 * the ports are free when we exit; then it is killed. */
#define NET_STOP_WAIT_MS 3000

/* ---- children ---- */

pid_t priv_fork(void)
{
	static const int handled[] = {SIGHUP, SIGINT, SIGTERM, SIGCHLD};
	sigset_t all, old;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0)
		for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
			signal(handled[i], SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

int priv_closefrom(const int *keep, int n)
{
	int sorted[PRIV_MAX_KEEP_FDS], k = 0;
	unsigned lo = 3;

	if (n > (int)(sizeof(sorted) / sizeof(sorted[0])))
		return -1;
	/* syslog's socket goes with the rest: closing it through closelog
	 * makes the next line reopen it, instead of writing into whatever
	 * later reuses its number. */
	closelog();
	for (int i = 0; i < n; i++) {
		if (keep[i] < 0)
			continue;
		int j = k++;
		for (; j > 0 && sorted[j - 1] > keep[i]; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = keep[i];
	}
	for (int i = 0; i < k; i++) {
		unsigned fd = (unsigned)sorted[i];
		if (fd < lo)
			continue;
		if (fd > lo && close_range(lo, fd - 1, 0) < 0)
			return -1;
		lo = fd + 1;
	}
	return close_range(lo, ~0U, 0);
}

int priv_setids(uid_t uid, gid_t gid)
{
	if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -1;
	/* As OpenSSH's permanently_set_uid: if root can be regained, the
	 * change did not take, whatever the calls said. */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

void priv_child_fail(int errfd, const char *what)
{
	int e = errno;

	log_warn("%s", what);
	if (errfd >= 0) {
		ssize_t w = write(errfd, &e, sizeof(e));
		(void)w;
	}
	_exit(127);
}

int priv_exe_open(const char *path)
{
	/* O_PATH: execveat needs no read permission on the file, only the
	 * permission to execute it, which the kernel checks against the
	 * role's account on the file itself, with no path to look up. */
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0 || fd > ROLE_FD)
		return fd;
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, ROLE_FD + 1);
	close(fd);
	return moved;
}

void priv_exec_role(const struct priv *p, const char *role, uid_t peer_uid, pid_t peer_pid,
		    int chan, int errfd, const int *inherit, int ninherit)
{
	char rolearg[32], uidarg[48], pidarg[48];
	const char *argv[8];
	int n = 0;

	snprintf(rolearg, sizeof(rolearg), "--role=%s", role);
	snprintf(uidarg, sizeof(uidarg), "--peer-uid=%u", (unsigned)peer_uid);
	snprintf(pidarg, sizeof(pidarg), "--peer-pid=%d", (int)peer_pid);
	argv[n++] = "winrmd";
	argv[n++] = rolearg;
	argv[n++] = uidarg;
	argv[n++] = pidarg;
	if (p->opts->foreground)
		argv[n++] = "--foreground";
	if (p->opts->debug)
		argv[n++] = "--debug";
	argv[n] = NULL;

	/* Nothing of the administrator's terminal (winrmd --foreground):
	 * stdin and stdout from /dev/null, and a session of its own, so the
	 * terminal is not its controlling terminal (no TIOCSTI into the
	 * administrator's shell, no Ctrl-C). stderr stays: the foreground
	 * log goes there (log.c). */
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0)
		priv_child_fail(errfd, "/dev/null");
	close(null);
	if (setsid() < 0)
		priv_child_fail(errfd, "setsid");
	/* The channel becomes fd 3: move the error pipe out of its way. */
	if (errfd == ROLE_FD && (errfd = fcntl(errfd, F_DUPFD_CLOEXEC, ROLE_FD + 1)) < 0)
		_exit(127);
	if (chan != ROLE_FD && dup2(chan, ROLE_FD) < 0)
		priv_child_fail(errfd, "dup2");
	if (fcntl(ROLE_FD, F_SETFD, 0) < 0)
		priv_child_fail(errfd, "fcntl");
	int keep[PRIV_MAX_KEEP_FDS] = {ROLE_FD, errfd, p->exe_fd, -1, -1};
	for (int i = 0; i < ninherit && i < 2; i++)
		keep[3 + i] = inherit[i];
	if (ninherit > 2 || priv_closefrom(keep, PRIV_MAX_KEEP_FDS) < 0)
		priv_child_fail(errfd, "close_range");
	/* AT_EMPTY_PATH: exe_fd itself, no path looked up as the role's
	 * account. That exe_fd is close-on-exec would fail a script only (its
	 * interpreter could not open /dev/fd/N); winrmd is ELF. environ is
	 * NULL after a clearenv that kept nothing (the network process
	 * outside the sanitizer build), which glibc's fexecve refuses. */
	static char *const no_env[] = {NULL};
	execveat(p->exe_fd, "", (char *const *)argv, environ ? environ : no_env, AT_EMPTY_PATH);
	priv_child_fail(errfd, "cannot execute winrmd");
}

const char *priv_wait_status(int status, char *out, size_t len)
{
	if (WIFEXITED(status))
		snprintf(out, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, len, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(out, len, "ended (wait status %#x)", (unsigned)status);
	return out;
}

/* ---- the network process ---- */

void priv_stop(struct priv *p, int status)
{
	if (!p->stopping) {
		p->stopping = 1;
		p->exit_status = status;
	}
	event_base_loopbreak(p->base);
}

void priv_net_send(struct priv *p, uint32_t type, uint32_t id, const struct buf *body,
		   const int *fds, int nfds)
{
	enum err e;

	/* Lost and not yet restarted: what was asked died with it. */
	if (!p->net)
		return;
	e = ipc_endpoint_send(p->net, type, id, body, fds, nfds);
	if (e == ERR_IO) {
		/* Its end is closed: it is killed (if it still runs) and,
		 * once reaped, restarted. Not here: the caller is still
		 * using what that would drop. */
		log_warnx("network process gone: cannot send %s", ipc_type_name(type));
		if (p->net_pid > 0)
			kill(p->net_pid, SIGKILL);
	} else if (e != ERR_OK) {
		log_warnx("cannot send %s to the network process: %s", ipc_type_name(type),
			  err_str(e));
	}
}

/* ---- what the network process may ask (OpenSSH's monitor table) ----
 * Each handler decodes its request (a malformed one stops the service:
 * the network process is not trusted to mean well) and answers with the
 * same id, now or when the work is done. */

static enum err answer_auth_password(struct priv *p, struct ipc_msg *msg)
{
	struct ipc_auth_password m;

	IPC_TRY(ipc_auth_password_decode(&msg->body, &m));
	priv_auth_request(p, msg->id, &m);
	return ERR_OK;
}

static enum err answer_host_open(struct priv *p, struct ipc_msg *msg)
{
	struct ipc_host_open m;

	IPC_TRY(ipc_host_open_decode(&msg->body, &m));
	priv_host_open(p, msg->id, &m);
	OPENSSL_cleanse(&m, sizeof(m));
	return ERR_OK;
}

static enum err answer_auth_gss(struct priv *p, struct ipc_msg *msg)
{
	struct ipc_auth_gss m;

	IPC_TRY(ipc_auth_gss_decode(&msg->body, &m));
	priv_gss_request(p, msg->id, &m);
	return ERR_OK;
}

static enum err answer_token_renew(struct priv *p, struct ipc_msg *msg)
{
	struct ipc_token_renew m;

	IPC_TRY(ipc_token_renew_decode(&msg->body, &m));
	priv_token_renew_request(p, msg->id, &m);
	OPENSSL_cleanse(&m, sizeof(m));
	return ERR_OK;
}

static enum err answer_auth_cert(struct priv *p, struct ipc_msg *msg)
{
	struct ipc_auth_cert m;

	IPC_TRY(ipc_auth_cert_decode(&msg->body, &m));
	priv_cert_request(p, msg->id, &m);
	return ERR_OK;
}

static enum err answer_auth_credssp(struct priv *p, struct ipc_msg *msg)
{
	struct ipc_auth_credssp m;

	IPC_TRY(ipc_auth_credssp_decode(&msg->body, &m));
	priv_credssp_request(p, msg->id, &m);
	return ERR_OK;
}

static enum err answer_config_change(struct priv *p, struct ipc_msg *msg)
{
	struct ipc_config_change m;

	IPC_TRY(ipc_config_change_decode(&msg->body, &m));
	priv_config_change(p, msg->id, &m);
	ipc_config_change_clear(&m);
	return ERR_OK;
}

static enum err answer_cim_invoke(struct priv *p, struct ipc_msg *msg)
{
	struct ipc_cim_invoke m;

	IPC_TRY(ipc_cim_invoke_decode(&msg->body, &m));
	priv_cim_invoke(p, msg->id, &m);
	OPENSSL_cleanse(m.token, sizeof(m.token));
	return ERR_OK;
}

/* A notice: nothing is answered. */
static enum err answer_audit(struct priv *p, struct ipc_msg *msg)
{
	struct audit_event ev;

	(void)p;
	IPC_TRY(ipc_audit_decode(&msg->body, &ev));
	return priv_audit_from_net(&ev);
}

static const struct {
	uint32_t type;
	enum err (*answer)(struct priv *p, struct ipc_msg *msg);
} requests[] = {
    {IPC_AUTH_PASSWORD, answer_auth_password}, {IPC_HOST_OPEN, answer_host_open},
    {IPC_AUTH_GSS, answer_auth_gss},	       {IPC_TOKEN_RENEW, answer_token_renew},
    {IPC_CONFIG_CHANGE, answer_config_change}, {IPC_AUTH_CERT, answer_auth_cert},
    {IPC_AUTH_CREDSSP, answer_auth_credssp},   {IPC_AUDIT, answer_audit},
    {IPC_CIM_INVOKE, answer_cim_invoke},
};

static enum err answer_net(void *arg, struct ipc_msg *msg)
{
	struct priv *p = arg;
	enum err e;

	if (p->stopping)
		return ERR_OK;
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		if (requests[i].type != msg->type)
			continue;
		if ((e = requests[i].answer(p, msg)) != ERR_OK)
			log_warnx("network process sent a malformed %s (%s): stopping",
				  ipc_type_name(msg->type), err_str(e));
		return e;
	}
	return ERR_FORMAT; /* ipc_recv admits only these types from the network process */
}

/* Called when its channel closes or when it is reaped, whichever comes
 * first. Its tokens are dropped because nobody else holds them; its checks
 * because their answers would reach the next one under request ids it may
 * reuse for other requests; the handshakes because they are keyed by its
 * connection serials, which the next one reuses for other connections.
 * The restart waits for reap, so two never run at once. */
void priv_net_gone(struct priv *p)
{
	if (!p->net)
		return;
	ipc_endpoint_free(p->net);
	p->net = NULL;
	if (p->net_pid > 0)
		kill(p->net_pid, SIGKILL);
	priv_auth_stop(p);
	/* Handshakes under way were the dead process's connections': the
	 * acceptor is replaced, which fails its calls under way (their
	 * answers go nowhere, p->net being gone), and their slots go. */
	priv_acceptor_configure(p, 1);
	priv_gss_stop(p);
	priv_gss_configure(p);
	priv_credssp_stop(p);
	priv_cim_stop(p);
	priv_host_net_gone(p);
}

static void lost_net(void *arg, enum err why)
{
	struct priv *p = arg;

	if (why == ERR_IO)
		log_warnx("network process closed its channel");
	else
		log_warnx("network process broke the protocol (%s): ending it", err_str(why));
	priv_net_gone(p);
}

int priv_child_env(const char *const *keep, size_t n)
{
	char *saved[PRIV_MAX_CHILD_ENV] = {NULL};
	int failed = n > PRIV_MAX_CHILD_ENV;

	n = failed ? 0 : n;
	for (size_t i = 0; i < n; i++)
		if (getenv(keep[i]) && !(saved[i] = strdup(getenv(keep[i]))))
			failed = 1;
	failed = failed || clearenv() != 0;
	for (size_t i = 0; i < n; i++) {
		if (!failed && saved[i] && setenv(keep[i], saved[i], 1) < 0)
			failed = 1;
		free(saved[i]);
	}
	return failed ? -1 : 0;
}

/* Starts the network process; -1 (logged) if it cannot be. Its
 * configuration follows in IPC_CONFIG. */
static int start_net(struct priv *p)
{
	static const struct ipc_endpoint_ops ops = {answer_net, lost_net};
	static const char *const sanitizer_env[] = {"ASAN_OPTIONS", "LSAN_OPTIONS",
						    "UBSAN_OPTIONS"};
	int sv[2];

	if (ipc_socketpair(sv) < 0) {
		log_warn("socketpair for the network process");
		return -1;
	}
	pid_t pid = priv_fork();
	if (pid < 0) {
		log_warn("fork for the network process");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		if (p->privsep &&
		    (setgroups(1, &p->net_gid) < 0 || priv_setids(p->net_uid, p->net_gid) < 0))
			priv_child_fail(-1, "cannot become the service account");
		/* Nothing of root's (or of whoever started the service), as
		 * OpenSSH's privileged-separated child, but the sanitizer
		 * runtime's options, which a sanitizer build reads before main
		 * (the tests' leak checks). */
		if (priv_child_env(sanitizer_env,
				   sizeof(sanitizer_env) / sizeof(sanitizer_env[0])) < 0)
			priv_child_fail(-1, "environment");
		priv_exec_role(p, "net", p->self_uid, p->self_pid, sv[1], -1, NULL, 0);
	}
	close(sv[1]);
	p->net_pid = pid;
	p->net =
	    ipc_endpoint_new(p->base, sv[0], IPC_ROLE_PRIV, IPC_ROLE_NET, p->net_uid, pid, &ops, p);
	if (!p->net) {
		log_warnx("libevent: cannot watch the network process");
		kill(pid, SIGKILL); /* reaped by reap, or at shutdown */
		return -1;
	}
	log_info("network process started: pid %d", (int)pid);
	return 0;
}

/* IPC_CONFIG for c and l: the body and the descriptors to send with it. */
static enum err config_message(const struct config *c, const struct priv_listeners *l,
			       struct buf *body, int fds[IPC_MAX_FDS], int *nfds)
{
	struct ipc_config m;
	struct buf text;
	enum err e;

	memset(&m, 0, sizeof(m));
	buf_init(&text, IPC_MAX_CONFIG_TEXT + 1);
	if ((e = config_serialize(c, &text)) != ERR_OK || (e = buf_terminate(&text)) != ERR_OK) {
		buf_clear(&text);
		return e;
	}
	m.config_text = (char *)text.data;
	m.nlisteners = l->nlisteners;
	for (uint32_t i = 0; i < l->nlisteners; i++) {
		m.listeners[i].name = l->name[i];
		m.listeners[i].https = l->https[i];
		m.listeners[i].url_prefix = l->url_prefix[i];
		m.listeners[i].cert_pem = l->cert_pem[i];
		m.listeners[i].key_pem = l->key_pem[i];
	}
	m.nsockets = l->nsockets;
	for (uint32_t i = 0; i < l->nsockets; i++) {
		m.socket_listener[i] = l->sockets[i].listener;
		fds[i] = l->sockets[i].fd;
	}
	*nfds = (int)l->nsockets;
	e = ipc_config_encode(body, &m);
	buf_clear(&text);
	return e;
}

enum err priv_stage(struct priv *p, struct config *c, struct priv_staged *st, struct buf *errmsg)
{
	enum err e;

	memset(st, 0, sizeof(*st));
	buf_init(&st->body, IPC_MAX_MSG - IPC_HEADER_LEN);
	if ((e = priv_files_check(p, c, errmsg)) != ERR_OK)
		goto fail;
	if ((e = priv_listen_prepare(c, p->config_dir, &p->listen, &st->next, errmsg)) != ERR_OK)
		goto fail;
	if ((e = config_message(c, &st->next, &st->body, st->fds, &st->nfds)) != ERR_OK) {
		buf_putf(errmsg,
			 "configuration too large for the network process (%s): certificates?",
			 err_str(e));
		priv_listen_abort(&st->next);
		goto fail;
	}
	st->cfg = *c;
	memset(c, 0, sizeof(*c));
	return ERR_OK;
fail:
	config_clear(c);
	buf_clear(&st->body);
	return e;
}

void priv_stage_abort(struct priv_staged *st)
{
	priv_listen_abort(&st->next);
	config_clear(&st->cfg);
	buf_clear(&st->body);
}

void priv_stage_commit(struct priv *p, struct priv_staged *st)
{
	priv_listen_commit(&p->listen, &st->next);
	config_clear(&p->cfg);
	p->cfg = st->cfg;
	memset(&st->cfg, 0, sizeof(st->cfg));
	priv_gss_configure(p);
	priv_acceptor_configure(p, st->reread);
	audit_configure(p->cfg.service.audit_log_file);
	priv_net_send(p, IPC_CONFIG, 0, &st->body, st->fds, st->nfds);
	buf_clear(&st->body);
}

/* A new network process for the one that died, with the configuration in
 * force and the same listening sockets, unless it died too often. */
static void restart_net(struct priv *p)
{
	uint64_t now = util_now_ms(), *oldest = &p->net_restart_ms[p->net_restart_next];
	struct buf body;
	int fds[IPC_MAX_FDS], nfds;

	if (p->stopping)
		return;
	if (p->net_restarts >= PRIV_NET_RESTART_BURST &&
	    now - *oldest < PRIV_NET_RESTART_WINDOW_MS) {
		log_warnx("network process restarted %d times within %d s and ended again: "
			  "stopping (start limit)",
			  PRIV_NET_RESTART_BURST, PRIV_NET_RESTART_WINDOW_MS / 1000);
		priv_stop(p, 1);
		return;
	}
	*oldest = now;
	p->net_restart_next = (p->net_restart_next + 1) % PRIV_NET_RESTART_BURST;
	p->net_restarts++;
	buf_init(&body, IPC_MAX_MSG - IPC_HEADER_LEN);
	if (start_net(p) < 0 || config_message(&p->cfg, &p->listen, &body, fds, &nfds) != ERR_OK) {
		log_warnx("cannot restart the network process: stopping");
		priv_stop(p, 1);
	} else {
		log_info("network process restarted (restart %u since start-up)", p->net_restarts);
		priv_net_send(p, IPC_CONFIG, 0, &body, fds, nfds);
	}
	buf_clear(&body);
}

/* ---- signals ---- */

/* systemd's readiness protocol (Type=notify): sd_notify writes to the
 * socket $NOTIFY_SOCKET names and does nothing without it, so a winrmd
 * started by hand or by a test is unaffected. Children never see the
 * variable: every one starts from a cleared environment. */
static void notify_reloading(void)
{
	struct timespec now;

	/* MONOTONIC_USEC: a newer systemd (Type=notify-reload) matches the
	 * reload it asked for with the one announced. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)now.tv_sec * 1000000ULL +
		       (unsigned long long)now.tv_nsec / 1000);
}

static void reload(struct priv *p)
{
	struct priv_staged st;
	struct config c;
	struct buf msg;

	log_info("reloading the configuration");
	notify_reloading();
	buf_init(&msg, 4096);
	if (config_load(&c, p->config_dir, &msg) != ERR_OK ||
	    priv_stage(p, &c, &st, &msg) != ERR_OK) {
		buf_terminate(&msg);
		log_warnx("%s; keeping the previous configuration", (const char *)buf_ptr(&msg));
	} else {
		/* The keytab may have new keys under the same name. */
		st.reread = 1;
		priv_stage_commit(p, &st);
	}
	buf_clear(&msg);
	sd_notify(0, "READY=1");
}

static void reap(struct priv *p)
{
	char desc[64];
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == p->net_pid) {
			p->net_pid = 0;
			log_warnx("network process (pid %d) %s", (int)pid,
				  priv_wait_status(status, desc, sizeof(desc)));
			priv_net_gone(p);
			restart_net(p);
		} else if (!priv_acceptor_reaped(p, pid, status) &&
			   !priv_host_reaped(p, pid, status)) {
			priv_auth_reaped(p, pid);
		}
	}
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct priv *p = arg;
	(void)what;

	switch (sig) {
	case SIGHUP:
		reload(p);
		break;
	case SIGCHLD:
		reap(p);
		break;
	default:
		log_info("stopping on signal %d", (int)sig);
		priv_stop(p, 0);
		break;
	}
}

/* ---- start-up ---- */

static void absolute_dir(const char *dir, char out[PATH_MAX])
{
	char cwd[PATH_MAX];

	if (dir[0] == '/') {
		if ((size_t)snprintf(out, PATH_MAX, "%s", dir) >= PATH_MAX)
			fatalx("configuration directory path too long");
		return;
	}
	/* We chdir to / when we become a daemon; a reload must still find it. */
	if (!getcwd(cwd, sizeof(cwd)))
		fatal("getcwd");
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s", cwd, dir) >= PATH_MAX)
		fatalx("configuration directory path too long");
}

static void choose_mode(struct priv *p)
{
	struct passwd *pw;

	p->self_uid = getuid();
	p->privsep = geteuid() == 0;
	if (p->privsep) {
		pw = getpwnam(p->opts->service_account);
		if (!pw)
			fatalx("no account \"%s\" for the network process: create it with "
			       "`useradd --system %s` (or name another with --user)",
			       p->opts->service_account, p->opts->service_account);
		if (pw->pw_uid == 0)
			fatalx("the network process's account \"%s\" must not be root",
			       p->opts->service_account);
		p->net_uid = pw->pw_uid;
		p->net_gid = pw->pw_gid;
		return;
	}
	pw = getpwuid(p->self_uid);
	if (!pw || !(p->self_name = strdup(pw->pw_name)))
		fatalx("no passwd entry for uid %u", (unsigned)p->self_uid);
	p->net_uid = p->self_uid;
	p->net_gid = getgid();
	log_info("not started as root: single-user mode, only \"%s\" may log in", p->self_name);
}

/* With a standard descriptor closed, the next socket would take its number
 * and a stray printf or a child's stderr would write into it. */
static void sanitise_stdfd(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int null = open("/dev/null", O_RDWR);
		if (null < 0)
			fatal("/dev/null");
		if (null != fd)
			fatalx("cannot reopen descriptor %d", fd);
	}
}

static void daemonize(void)
{
	pid_t pid = fork();

	if (pid < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		fatal("setsid");
	if (chdir("/") < 0)
		fatal("chdir /");
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fatal("/dev/null");
	for (int i = 0; i <= 2; i++)
		if (dup2(fd, i) < 0)
			fatal("dup2");
	close(fd);
}

static void pid_file_write(struct priv *p)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	int fd;

	if ((size_t)snprintf(p->pid_file, sizeof(p->pid_file), "%s/%s", p->config_dir, PID_FILE) >=
	    sizeof(p->pid_file)) {
		log_warnx("pid file path too long");
		return;
	}
	fd = open(p->pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		log_warn("cannot write %s", p->pid_file);
		return;
	}
	if (write(fd, line, (size_t)n) != n)
		log_warn("cannot write %s", p->pid_file);
	else
		p->pid_file_written = 1;
	close(fd);
}

static struct event *add_signal(struct priv *p, int sig)
{
	struct event *ev = evsignal_new(p->base, sig, signal_cb, p);

	if (!ev || event_add(ev, NULL) < 0)
		fatalx("libevent: cannot watch signal %d", sig);
	return ev;
}

/* Gives the network process a moment to exit, so its sockets are closed
 * when we are. */
static void reap_net(struct priv *p)
{
	struct timespec ms = {0, 10 * 1000 * 1000};

	if (p->net_pid <= 0)
		return;
	kill(p->net_pid, SIGTERM);
	for (int waited = 0; waited < NET_STOP_WAIT_MS; waited += 10) {
		int status;
		pid_t r = waitpid(p->net_pid, &status, WNOHANG);
		if (r == p->net_pid && p->exit_status != 0) {
			char desc[64];
			log_warnx("network process %s",
				  priv_wait_status(status, desc, sizeof(desc)));
		}
		if (r == p->net_pid || (r < 0 && errno == ECHILD))
			return;
		nanosleep(&ms, NULL);
	}
	log_warnx("network process did not stop: killing it");
	kill(p->net_pid, SIGKILL);
	waitpid(p->net_pid, NULL, 0);
}

static void shutdown_all(struct priv *p)
{
	sd_notify(0, "STOPPING=1");
	reap_net(p);
	priv_acceptor_stop(p);
	priv_host_stop(p);
	priv_auth_stop(p);
	priv_credssp_stop(p);
	priv_cim_stop(p);
	priv_gss_stop(p);
	priv_cert_stop(p);
	ipc_endpoint_free(p->net);
	event_free(p->sig_hup);
	event_free(p->sig_term);
	event_free(p->sig_int);
	event_free(p->sig_chld);
	event_base_free(p->base);
	priv_listen_clear(&p->listen);
	config_clear(&p->cfg);
	if (p->pid_file_written && unlink(p->pid_file) < 0)
		log_warn("cannot remove %s", p->pid_file);
	free(p->self_name);
	close(p->exe_fd);
}

int priv_main(const struct winrmd_opts *opts)
{
	struct priv_staged st;
	struct config c;
	struct buf msg;
	int status;
	struct priv *p = calloc(1, sizeof(*p));

	if (!p)
		fatalx("out of memory");
	signal(SIGPIPE, SIG_IGN);
	sanitise_stdfd();
	if (priv_closefrom(NULL, 0) < 0)
		fatal("close_range");
	if ((p->exe_fd = priv_exe_open("/proc/self/exe")) < 0)
		fatal("/proc/self/exe");
	p->opts = opts;
	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
		p->workers[i].fd = -1;
	/* Until we are a daemon, start-up errors go to the terminal. */
	if (!opts->foreground)
		log_init("priv", 1, opts->debug);

	absolute_dir(opts->config_dir, p->config_dir);
	buf_init(&msg, 4096);
	if (config_load(&c, p->config_dir, &msg) != ERR_OK) {
		buf_terminate(&msg);
		fatalx("%s", (const char *)buf_ptr(&msg));
	}
	choose_mode(p);
	if (priv_stage(p, &c, &st, &msg) != ERR_OK) {
		buf_terminate(&msg);
		fatalx("%s", (const char *)buf_ptr(&msg));
	}

	if (!opts->foreground) {
		daemonize();
		log_init("priv", 0, opts->debug);
	}
	p->self_pid = getpid();
	pid_file_write(p);

	if (!(p->base = event_base_new()))
		fatalx("libevent: no event base");
	/* Signals are watched before any child exists, so none is missed. */
	p->sig_hup = add_signal(p, SIGHUP);
	p->sig_term = add_signal(p, SIGTERM);
	p->sig_int = add_signal(p, SIGINT);
	p->sig_chld = add_signal(p, SIGCHLD);
	if (start_net(p) < 0)
		fatalx("cannot start the network process");
	priv_stage_commit(p, &st);
	buf_clear(&msg);

	log_info("winrmd started (%s mode, %u listening sockets)",
		 p->privsep ? "privilege-separated" : "single-user", p->listen.nsockets);
	/* The sockets listen (connections wait in their backlog until the
	 * network process, started above, accepts them): ready. */
	sd_notify(0, "READY=1");
	if (!p->stopping)
		event_base_dispatch(p->base);
	shutdown_all(p);
	audit_close();
	status = p->exit_status;
	log_info("winrmd stopped");
	free(p);
	return status;
}
