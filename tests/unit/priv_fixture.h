/* priv_fixture: a privileged part for the unit tests of src/priv/, set up
 * in one place, so a change to struct priv is mended here once: the
 * defaults as configuration, a temporary configuration directory, an
 * event base, and a socketpair as the channel to the network process,
 * whose end the test reads. Header-only, as check.h: each test of a
 * privileged-part file includes it once (inline: each uses what it needs). */
#ifndef OPENWINRM_TEST_PRIV_FIXTURE_H
#define OPENWINRM_TEST_PRIV_FIXTURE_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "priv/priv_int.h"

/* How long a test waits for the privileged part's answer. */
#define FIXTURE_WAIT_MS 10000

struct priv_fixture {
	struct priv *p;
	struct winrmd_opts opts;
	char winrmd[PATH_MAX]; /* the build's, for the roles priv execs */
	struct ipc_peer net;   /* the network process's end of the channel */
};

/* The privileged part's end of the network channel: the tests read what
 * it sends from their own end (fixture_recv) and send it nothing. */
static inline enum err fixture_no_request(void *arg, struct ipc_msg *m)
{
	(void)arg;
	(void)m;
	return ERR_FORMAT;
}

static const struct ipc_endpoint_ops fixture_net_ops = {fixture_no_request, NULL};

/* From now on the roles are executed from path, opened as priv_main opens
 * winrmd; a path that cannot be opened makes roles that cannot be. */
static inline void fixture_exe(struct priv_fixture *f, const char *path)
{
	if (f->p->exe_fd >= 0)
		close(f->p->exe_fd);
	f->p->exe_fd = priv_exe_open(path);
}

/* A privileged part as priv_main leaves it once running, with root's
 * privilege separation (privsep) as given. Aborts if the machine cannot
 * give what it needs. */
static inline void fixture_start(struct priv_fixture *f, int privsep)
{
	struct priv *p = calloc(1, sizeof(*p));
	int sv[2];

	memset(f, 0, sizeof(*f));
	log_init("test", 1, 0);
	f->p = p;
	if (!p || ipc_socketpair(sv) < 0 || !(p->base = event_base_new()))
		abort();
	snprintf(p->config_dir, sizeof(p->config_dir), "/tmp/owt-priv-XXXXXX");
	if (!mkdtemp(p->config_dir) || config_defaults(&p->cfg) != ERR_OK)
		abort();
	f->opts.config_dir = p->config_dir;
	f->opts.service_account = "nobody";
	/* build/tests/test_x: the roles are build/winrmd's. */
	ssize_t n = readlink("/proc/self/exe", f->winrmd, sizeof(f->winrmd) - 1);
	char *slash;
	if (n > 0) {
		f->winrmd[n] = 0;
		for (int i = 0; i < 2 && (slash = strrchr(f->winrmd, '/')); i++)
			*slash = 0;
		strncat(f->winrmd, "/winrmd", sizeof(f->winrmd) - strlen(f->winrmd) - 1);
	}
	f->opts.foreground = 1;
	p->opts = &f->opts;
	p->exe_fd = -1;
	fixture_exe(f, "/bin/true");
	p->privsep = privsep;
	p->self_uid = getuid();
	p->self_pid = getpid();
	p->net_uid = getuid();
	p->net_gid = getgid();
	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
		p->workers[i].fd = -1;
	p->net = ipc_endpoint_new(p->base, sv[0], IPC_ROLE_PRIV, IPC_ROLE_NET, getuid(), getpid(),
				  &fixture_net_ops, p);
	ipc_peer_init(&f->net, sv[1], IPC_ROLE_NET, IPC_ROLE_PRIV, getuid(), getpid());
	if (!p->net)
		abort();
}

static inline int fixture_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The GSSAPI acceptor, started as priv starts it (build/winrmd
 * --role=acceptor), for the configuration as it is. */
static inline void fixture_acceptor(struct priv_fixture *f)
{
	fixture_exe(f, f->winrmd);
	priv_acceptor_configure(f->p, 0);
	if (!f->p->acceptor)
		abort();
}

static inline void fixture_stop(struct priv_fixture *f)
{
	struct priv *p = f->p;

	priv_acceptor_stop(p);
	priv_host_stop(p);
	priv_auth_stop(p);
	priv_credssp_stop(p);
	priv_gss_stop(p);
	priv_cert_stop(p);
	priv_listen_clear(&p->listen);
	config_clear(&p->cfg);
	if (p->exe_fd >= 0)
		close(p->exe_fd);
	ipc_endpoint_free(p->net);
	ipc_peer_close(&f->net);
	event_base_free(p->base);
	nftw(p->config_dir, fixture_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(p);
}

/* The next message the privileged part sent, its event loop turning
 * meanwhile, waiting at most FIXTURE_WAIT_MS; ERR_INCOMPLETE if none
 * came. */
static inline enum err fixture_recv(struct priv_fixture *f, struct ipc_msg *m)
{
	for (int waited = 0; waited < FIXTURE_WAIT_MS; waited += 10) {
		event_base_loop(f->p->base, EVLOOP_NONBLOCK);
		enum err e = ipc_recv(&f->net, m);
		if (e != ERR_INCOMPLETE)
			return e;
		usleep(10000);
	}
	return ERR_INCOMPLETE;
}

/* Reaps the session processes that ended, as the SIGCHLD handler does,
 * waiting at most FIXTURE_WAIT_MS for the first; how many were sessions. */
static inline int fixture_reap_sessions(struct priv_fixture *f)
{
	int status, sessions = 0;
	pid_t pid;

	for (int waited = 0; waited < FIXTURE_WAIT_MS && !sessions; waited += 10) {
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			sessions += priv_host_reaped(f->p, pid, status);
		if (pid < 0 && errno == ECHILD)
			break;
		usleep(10000);
	}
	return sessions;
}

/* A token for user, as after a password check. */
static inline int fixture_admit(struct priv_fixture *f, const char *user,
				uint8_t token[IPC_TOKEN_LEN])
{
	struct ipc_auth_result res = {0};
	char name[IPC_MAX_USER + 1];

	priv_auth_admit(f->p, user, "192.0.2.1", "Negotiate", &res, name);
	memcpy(token, res.token, IPC_TOKEN_LEN);
	return res.status == IPC_AUTH_OK;
}

/* A token for nobody, no administrator: admitted as a member of
 * RemoteUsersGroup under privilege separation (single-user mode admits
 * only the invoking account, root here), then the settings as they were. */
static inline int fixture_admit_nobody(struct priv_fixture *f, uint8_t token[IPC_TOKEN_LEN])
{
	char *group = f->p->cfg.service.remote_users_group;
	int ok;

	f->p->privsep = 1;
	f->p->cfg.service.remote_users_group = "nogroup";
	f->p->cfg.service.allow_no_login_shells = 1; /* nobody's is nologin */
	ok = fixture_admit(f, "nobody", token);
	f->p->cfg.service.allow_no_login_shells = 0;
	f->p->cfg.service.remote_users_group = group;
	f->p->privsep = 0;
	return ok;
}

/* Ends token's life now. */
static inline void fixture_expire(struct priv_fixture *f, const uint8_t token[IPC_TOKEN_LEN])
{
	for (uint32_t i = 0; i < PRIV_MAX_TOKENS; i++)
		if (f->p->tokens[i].name &&
		    memcmp(f->p->tokens[i].token, token, IPC_TOKEN_LEN) == 0)
			f->p->tokens[i].expires_ms = util_now_ms() - 1;
}

#endif
