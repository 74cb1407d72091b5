/* priv_pam: privileged part. Verifies passwords with PAM, runs PAM's
 * account stack for GSSAPI logons, decides whether an account may use
 * WinRM, and remembers the accounts that passed under unguessable tokens.
 * A PAM conversation can take seconds (pam_unix delays every failure on
 * purpose, a directory server may be slow), so each runs in a forked
 * worker that reports one byte through a pipe; the event loop never waits
 * for PAM, and a bounded queue holds what exceeds the workers. */
#include "priv/priv_int.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "common/util.h"

#define VERDICT_OK 0
#define VERDICT_FAILED 1  /* authentication failed, or PAM could not answer */
#define VERDICT_ACCOUNT 2 /* pam_acct_mgmt refused the account */
#define MAX_GROUP_NAME 256

/* The log's words for PAM's refusals, the same for a password check and
 * for a GSSAPI logon. The client sees neither: every refusal is a 401. */
#define TEXT_FAILED "failure"
#define TEXT_ACCOUNT                                                                               \
	"failure (PAM's account management refused the account: expired or not permitted)"
#define TEXT_QUEUE_FULL "refused (too many verifications waiting)"
#define TEXT_NO_WORKER "refused (cannot start a PAM worker)"
#define TEXT_NO_PASSWD "failure (no passwd entry for the account)"
#define TEXT_NOT_SELF "failure (not the account winrmd runs as)"
#define TEXT_RENAMED "failure (PAM's account stack settled on another account)"
#define TEXT_NO_LOGIN_SHELL                                                                        \
	"failure (the account's shell is nologin, false or not in /etc/shells: "                   \
	"Service/AllowNoLoginShells)"

const char *priv_pam_service(const struct priv *p)
{
	return p->opts && p->opts->pam_service ? p->opts->pam_service : PRIV_PAM_SERVICE;
}

int priv_pam_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata)
{
	const char *password = appdata;
	struct pam_response *r;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			if (!password || !(r[i].resp = strdup(password)))
				goto fail;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			break;
		default:
			/* A visible prompt (a user name, a one-time code): nobody
			 * is there to answer it. */
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (int i = 0; i < n; i++) {
		if (r[i].resp) {
			OPENSSL_cleanse(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
	return PAM_CONV_ERR;
}

static void wipe_password(struct ipc_auth_password *m)
{
	if (m->password) {
		OPENSSL_cleanse(m->password, strlen(m->password));
		free(m->password);
		m->password = NULL;
	}
}

static void req_free(struct priv_auth_req *r)
{
	if (r) {
		if (r->throttled)
			priv_throttle_done(r->p, r->m.peer, r->m.user, 0);
		if (r->delay_ev)
			event_free(r->delay_ev);
		/* An account check nobody answered: its caller's state goes too. */
		if (r->check.drop)
			r->check.drop(r->check.arg);
		ipc_auth_password_clear(&r->m);
		free(r);
	}
}

/* What a worker reports, in one write (atomic: under PIPE_BUF): */
#define REPORT_VERDICT 0 /* VERDICT_* */
#define REPORT_DELAY 1	 /* uint32_t: PAM's failure delay, in ms, for the caller to keep */
#define REPORT_ACCOUNT 5 /* for a yes: the account PAM settled on, to the end */
#define REPORT_MAX (REPORT_ACCOUNT + IPC_MAX_USER)

/* The failure delay pam_authenticate asked for (pam_unix: about 2 s,
 * randomised): with PAM_FAIL_DELAY set, libpam calls this instead of
 * sleeping, so the worker is free at once and the privileged part's
 * event loop holds the refusal back for the delay (a timer, no process). */
static unsigned fail_delay_us;

static void keep_fail_delay(int status, unsigned delay_us, void *appdata)
{
	(void)status, (void)appdata;
	fail_delay_us = delay_us;
}

/* The worker: one PAM transaction, one report: the verdict, PAM's
 * failure delay, and for a yes the account PAM settled on (PAM_USER),
 * which a module of the stack may have rewritten from the name the client
 * sent (pam_sss and pam_winbind give the directory's spelling). An
 * account check skips pam_authenticate: GSSAPI already verified the
 * credential, and there is no password to give. */
static void __attribute__((noreturn))
worker_run(const struct priv *p, struct priv_auth_req *r, int fd)
{
	struct pam_conv conv = {priv_pam_conv, r->m.password};
	pam_handle_t *h = NULL;
	uint8_t report[REPORT_MAX] = {VERDICT_FAILED};
	size_t len = REPORT_ACCOUNT;
	const void *settled = NULL;
	void (*delay_fn)(int, unsigned, void *) = keep_fail_delay;
	uint32_t delay_ms;
	int keep[1] = {fd};
	int rc;

	if (priv_closefrom(keep, 1) < 0)
		_exit(1);
	log_set_role("pam");
	if (r->suspect && setpriority(PRIO_PROCESS, 0, PRIV_SUSPECT_NICE) < 0)
		log_warn("setpriority for a suspect password check");
	rc = pam_start(priv_pam_service(p), r->m.user, &conv, &h);
	if (rc == PAM_SUCCESS)
		rc = pam_set_item(h, PAM_RHOST, r->m.peer);
	if (rc == PAM_SUCCESS)
		rc = pam_set_item(h, PAM_FAIL_DELAY, *(const void **)&delay_fn);
	if (rc == PAM_SUCCESS && !r->check.done)
		rc = pam_authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
	/* An expired password or account, or an access.conf refusal. */
	if (rc == PAM_SUCCESS) {
		rc = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
		report[REPORT_VERDICT] = rc == PAM_SUCCESS ? VERDICT_OK : VERDICT_ACCOUNT;
	}
	if (rc == PAM_SUCCESS) {
		size_t n;
		if (pam_get_item(h, PAM_USER, &settled) != PAM_SUCCESS || !settled ||
		    (n = strlen(settled)) == 0 || n > IPC_MAX_USER)
			report[REPORT_VERDICT] = VERDICT_FAILED;
		else
			memcpy(report + REPORT_ACCOUNT, settled, n), len += n;
	}
	delay_ms = fail_delay_us / 1000;
	memcpy(report + REPORT_DELAY, &delay_ms, sizeof(delay_ms));
	if (rc != PAM_SUCCESS)
		log_debug("PAM: %s", pam_strerror(h, rc));
	if (h)
		pam_end(h, rc);
	wipe_password(&r->m);
	ssize_t w = write(fd, report, len);
	_exit(w == (ssize_t)len ? 0 : 1);
}

/* Frees a worker's slot (an unreaped worker is left to SIGCHLD) and
 * hands back the request it was serving. */
static struct priv_auth_req *worker_release(struct priv_worker *w)
{
	struct priv_auth_req *r = w->req;

	event_free(w->ev);
	close(w->fd);
	w->ev = NULL;
	w->fd = -1;
	w->req = NULL;
	w->pid = 0;
	return r;
}

static void worker_done(evutil_socket_t fd, short what, void *arg);

/* Starts r in the free slot w; 0 on success, -1 (logged, w still free)
 * when it cannot. Everything that can fail comes before the fork, so a
 * failure leaves no worker behind. */
static int worker_start(struct priv *p, struct priv_worker *w, struct priv_auth_req *r)
{
	struct timeval tv = {PRIV_PAM_TIMEOUT_MS / 1000, 0};
	struct event *ev;
	int pfd[2];

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		log_warn("pipe for PAM");
		return -1;
	}
	/* Out of memory under load: this verification fails, the service
	 * goes on. */
	ev = event_new(p->base, pfd[0], EV_READ | EV_PERSIST, worker_done, w);
	if (!ev || event_add(ev, &tv) < 0) {
		log_warnx("libevent: cannot watch a PAM worker");
		goto fail;
	}
	pid_t pid = priv_fork();
	if (pid < 0) {
		log_warn("fork for PAM");
		goto fail;
	}
	if (pid == 0)
		worker_run(p, r, pfd[1]);
	close(pfd[1]);
	/* The worker has its own copy: ours is no longer needed. */
	wipe_password(&r->m);
	w->p = p;
	w->fd = pfd[0];
	w->pid = pid;
	w->req = r;
	w->ev = ev;
	util_set_nonblock(w->fd);
	return 0;
fail:
	if (ev)
		event_free(ev);
	close(pfd[0]);
	close(pfd[1]);
	return -1;
}

static void reply(struct priv *p, uint32_t id, const struct ipc_auth_result *r)
{
	struct buf body;

	buf_init(&body, IPC_MAX_MSG - IPC_HEADER_LEN);
	if (ipc_auth_result_encode(&body, r) == ERR_OK)
		priv_net_send(p, IPC_AUTH_RESULT, id, &body, NULL, 0);
	else
		log_warnx("cannot encode an authentication result");
	buf_clear(&body);
}

static void log_verdict(const struct ipc_auth_password *m, const char *verdict)
{
	char quser[LOG_QUOTE_MAX], qpeer[LOG_QUOTE_MAX], qscheme[LOG_QUOTE_MAX];

	log_info("authentication %s: user \"%s\" from %s, scheme %s", verdict,
		 log_quote(quser, sizeof(quser), m->user, strlen(m->user)),
		 log_quote(qpeer, sizeof(qpeer), m->peer, strlen(m->peer)),
		 log_quote(qscheme, sizeof(qscheme), m->scheme, strlen(m->scheme)));
	priv_audit_logon(verdict, m->user, "", m->peer, m->peer_port, m->scheme);
}

/* Hands an account check's outcome to whoever waits for it. */
static void check_done(struct priv *p, struct priv_auth_req *r, enum ipc_auth_status status,
		       const char *verdict)
{
	struct priv_check c = r->check;

	memset(&r->check, 0, sizeof(r->check));
	req_free(r);
	c.done(p, c.arg, status, verdict);
}

static void refuse(struct priv *p, struct priv_auth_req *r, enum ipc_auth_status status,
		   const char *verdict)
{
	struct ipc_auth_result res = {.status = status};

	if (r->check.done) {
		check_done(p, r, status, verdict);
		return;
	}
	log_verdict(&r->m, verdict);
	reply(p, r->id, &res);
	req_free(r);
}

int priv_in_groups(const char *list, const gid_t *groups, int ngroups)
{
	const char *cursor = list ? list : "", *item;
	size_t n;

	while ((item = util_list_next(&cursor, &n))) {
		if (n == 0 || n >= MAX_GROUP_NAME)
			continue;
		char name[MAX_GROUP_NAME];
		memcpy(name, item, n);
		name[n] = 0;
		struct group *g = getgrnam(name);
		for (int i = 0; g && i < ngroups; i++)
			if (groups[i] == g->gr_gid)
				return 1;
	}
	return 0;
}

/* Who may use WinRM: root and the members of Service/AdminGroups (as
 * administrators), the members of Service/RemoteUsersGroup. In single-user
 * mode the service is the invoking user's own: that user may, and no one
 * else, whatever the scheme that authenticated them. */
int priv_account_groups(const struct priv_account *a, gid_t **out)
{
	int n = 64;
	gid_t *groups = NULL;

	for (;;) {
		gid_t *g = realloc(groups, sizeof(gid_t) * (size_t)n);
		if (!g) {
			free(groups);
			return -1;
		}
		groups = g;
		int want = n;
		if (getgrouplist(a->name, a->gid, groups, &want) >= 0) {
			n = want;
			break;
		}
		if (want <= n || want > PRIV_MAX_GROUPS) {
			free(groups);
			return -1;
		}
		n = want;
	}
	*out = groups;
	return n;
}

static int authorise(const struct priv *p, const struct priv_account *a, int *is_admin)
{
	gid_t *groups;
	int n, allowed;

	*is_admin = a->uid == 0;
	if (*is_admin)
		return p->privsep || p->self_uid == 0;
	if ((n = priv_account_groups(a, &groups)) < 0)
		return 0;
	*is_admin = priv_in_groups(p->cfg.service.admin_groups, groups, n);
	allowed = p->privsep
		      ? *is_admin || priv_in_groups(p->cfg.service.remote_users_group, groups, n)
		      : a->uid == p->self_uid;
	free(groups);
	return allowed;
}

int priv_login_shell(const char *shell)
{
	const char *base = strrchr(shell, '/'), *listed;
	int found = 0;

	base = base ? base + 1 : shell;
	/* They say "this account does not log in" wherever they live, even
	 * where /etc/shells lists them. */
	if (strcmp(base, "nologin") == 0 || strcmp(base, "false") == 0)
		return 0;
	setusershell();
	while (!found && (listed = getusershell()))
		found = strcmp(listed, shell) == 0;
	endusershell();
	return found;
}

/* An account whose shell says it does not log in (a service account, a
 * locked-out user) could still run commands without any shell
 * (WINRS_SKIP_CMD_SHELL, PowerShell): refused, root included, unless
 * Service/AllowNoLoginShells. A refusal is a failed logon (401), as for
 * an expired account, not the "access denied" fault of a logon that
 * succeeded: the account may not log on at all, and a password guesser
 * learns nothing. */
static int may_log_on(const struct priv *p, const struct priv_account *a)
{
	return p->cfg.service.allow_no_login_shells || priv_login_shell(a->shell);
}

void priv_account_clear(struct priv_account *a)
{
	free(a->name);
	free(a->home);
	free(a->shell);
	OPENSSL_cleanse(a, sizeof(*a));
}

int priv_account_lookup(const char *user, struct priv_account *a)
{
	struct passwd *pw = getpwnam(user);

	memset(a, 0, sizeof(*a));
	if (!pw)
		return 0;
	a->name = strdup(pw->pw_name);
	a->home = strdup(pw->pw_dir ? pw->pw_dir : "/");
	a->shell = strdup(pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	if (!a->name || !a->home || !a->shell) {
		priv_account_clear(a);
		return 0;
	}
	return 1;
}

/* The slot for a new token of uid's: the account's own oldest if it holds
 * PRIV_MAX_TOKENS_PER_ACCOUNT live ones; else the ring's next, the oldest
 * issued, unless it still holds a live token while a later slot is free or
 * expired (tokens replaced by a renewal expire early). A live token of
 * another account is evicted only when every slot holds one. */
static struct priv_account *token_slot(struct priv *p, uid_t uid)
{
	struct priv_account *own_oldest = NULL, *free_slot = NULL;
	uint64_t now = util_now_ms();
	uint32_t k = p->token_next, own = 0;

	for (uint32_t i = 0; i < PRIV_MAX_TOKENS; i++) {
		uint32_t j = (p->token_next + i) % PRIV_MAX_TOKENS;
		struct priv_account *a = &p->tokens[j];
		if (!a->name || a->expires_ms <= now) {
			if (!free_slot) {
				free_slot = a;
				k = j;
			}
		} else if (a->uid == uid) {
			own++;
			if (!own_oldest || a->expires_ms < own_oldest->expires_ms)
				own_oldest = a;
		}
	}
	if (own >= PRIV_MAX_TOKENS_PER_ACCOUNT)
		return own_oldest;
	p->token_next = (k + 1) % PRIV_MAX_TOKENS;
	return &p->tokens[k];
}

/* Files a (moved in) under a fresh token. */
static int token_issue(struct priv *p, struct priv_account *a, uint8_t token[IPC_TOKEN_LEN])
{
	struct priv_account *slot;

	if (RAND_bytes(a->token, IPC_TOKEN_LEN) != 1)
		return 0;
	a->expires_ms = util_now_ms() + IPC_TOKEN_LIFETIME_MS;
	a->renewed = 0;
	slot = token_slot(p, a->uid);
	priv_account_clear(slot);
	*slot = *a;
	memset(a, 0, sizeof(*a));
	memcpy(token, slot->token, IPC_TOKEN_LEN);
	return 1;
}

static struct priv_account *token_lookup(struct priv *p, const uint8_t token[IPC_TOKEN_LEN])
{
	struct priv_account *hit = NULL;

	/* Every slot is compared, in constant time, so timing tells nothing
	 * about how much of a guessed token was right or where it lives. */
	for (uint32_t i = 0; i < PRIV_MAX_TOKENS; i++) {
		struct priv_account *a = &p->tokens[i];
		if (util_ct_equal(a->token, token, IPC_TOKEN_LEN) && a->name)
			hit = a;
	}
	if (hit && hit->expires_ms <= util_now_ms())
		return NULL;
	return hit;
}

const struct priv_account *priv_token_find(struct priv *p, const uint8_t token[IPC_TOKEN_LEN])
{
	return token_lookup(p, token);
}

const char *priv_token_renew(struct priv *p, const uint8_t token[IPC_TOKEN_LEN],
			     int account_checked, struct ipc_token_renewed *r,
			     char name[IPC_MAX_USER + 1])
{
	struct priv_account *old = token_lookup(p, token), a;
	uint64_t now = util_now_ms();
	int admin = 0;

	memset(r, 0, sizeof(*r));
	r->status = IPC_AUTH_BAD_CREDENTIALS;
	name[0] = 0;
	if (!old)
		return "refused (unknown or expired token)";
	snprintf(name, IPC_MAX_USER + 1, "%s", old->name);
	/* One successor per token: a renewal cannot multiply tokens. */
	if (old->renewed)
		return "refused (the token was already renewed)";
	if (now - old->logon_ms >= PRIV_LOGON_MAX_AGE_MS)
		return "refused (the logon is 10 hours old: the client must authenticate again)";
	/* The account as it is now: deleted, or its name given to another
	 * uid, it is not the one that authenticated. */
	if (!priv_account_lookup(old->name, &a))
		return "refused (no passwd entry for the account)";
	if (a.uid != old->uid) {
		priv_account_clear(&a);
		return "refused (the account's uid changed)";
	}
	/* Renewal is no way around a new shell, nor a removal from the
	 * allowed groups. */
	if (!may_log_on(p, &a)) {
		priv_account_clear(&a);
		return TEXT_NO_LOGIN_SHELL;
	}
	if (!authorise(p, &a, &admin)) {
		priv_account_clear(&a);
		r->status = IPC_AUTH_NOT_ALLOWED;
		return "refused (in no allowed group)";
	}
	/* Before token_issue, which may take old's slot. */
	old->renewed = 1;
	if (old->expires_ms > now + PRIV_TOKEN_RENEW_GRACE_MS)
		old->expires_ms = now + PRIV_TOKEN_RENEW_GRACE_MS;
	a.logon_ms = old->logon_ms;
	a.checked_ms = account_checked ? now : old->checked_ms;
	memcpy(a.peer, old->peer, sizeof(a.peer));
	memcpy(a.scheme, old->scheme, sizeof(a.scheme));
	r->uid = (uint32_t)a.uid;
	if (!token_issue(p, &a, r->token)) {
		priv_account_clear(&a);
		memset(r, 0, sizeof(*r));
		r->status = IPC_AUTH_BUSY;
		return "failure (no random token)";
	}
	r->status = IPC_AUTH_OK;
	r->is_admin = (uint32_t)admin;
	return "renewed";
}

static void renewal_answer(struct priv *p, uint32_t id, struct ipc_token_renewed *r,
			   const char *name, const char *verdict)
{
	char q[LOG_QUOTE_MAX];
	struct buf body;

	log_quote(q, sizeof(q), name, strlen(name));
	if (r->status == IPC_AUTH_OK)
		log_debug("host token of user \"%s\" renewed", q);
	else
		log_info("host token renewal %s: user \"%s\"", verdict, q);
	buf_init(&body, 256);
	if (ipc_token_renewed_encode(&body, r) == ERR_OK)
		priv_net_send(p, IPC_TOKEN_RENEWED, id, &body, NULL, 0);
	else
		log_warnx("cannot encode a token renewal");
	OPENSSL_cleanse(r, sizeof(*r));
	buf_clear(&body);
}

static void renew_and_answer(struct priv *p, uint32_t id, const uint8_t token[IPC_TOKEN_LEN],
			     int account_checked)
{
	struct ipc_token_renewed r;
	char name[IPC_MAX_USER + 1];
	const char *verdict = priv_token_renew(p, token, account_checked, &r, name);

	renewal_answer(p, id, &r, name, verdict);
}

/* A renewal waiting for PAM's account stack. */
struct renewal {
	uint32_t id;
	uint8_t token[IPC_TOKEN_LEN];
	char name[IPC_MAX_USER + 1];
};

static void renewal_free(void *arg)
{
	OPENSSL_clear_free(arg, sizeof(struct renewal));
}

static void renewal_checked(struct priv *p, void *arg, enum ipc_auth_status status,
			    const char *verdict)
{
	struct renewal *w = arg;
	struct priv_account *a;
	struct ipc_token_renewed r = {.status = (uint32_t)status};

	if (status == IPC_AUTH_OK) {
		renew_and_answer(p, w->id, w->token, 1);
	} else {
		/* A refusal by PAM ends what the token could still do, now: it
		 * opens no host for an account PAM no longer admits. A busy
		 * queue only postpones the check (the next renewal asks again). */
		if (status != IPC_AUTH_BUSY && (a = token_lookup(p, w->token)) != NULL) {
			a->renewed = 1;
			a->expires_ms = util_now_ms();
		}
		renewal_answer(p, w->id, &r, w->name, verdict);
	}
	renewal_free(w);
}

void priv_token_renew_request(struct priv *p, uint32_t id, const struct ipc_token_renew *m)
{
	const struct priv_account *a = token_lookup(p, m->token);
	struct renewal *w;

	if (!a || a->renewed || util_now_ms() - a->checked_ms < PRIV_ACCOUNT_RECHECK_MS) {
		renew_and_answer(p, id, m->token, 0);
		return;
	}
	if (!(w = OPENSSL_zalloc(sizeof(*w)))) {
		struct ipc_token_renewed r = {.status = IPC_AUTH_BUSY};
		renewal_answer(p, id, &r, a->name, "failure (out of memory)");
		return;
	}
	w->id = id;
	memcpy(w->token, m->token, sizeof(w->token));
	snprintf(w->name, sizeof(w->name), "%s", a->name);
	struct priv_check check = {renewal_checked, renewal_free, w};
	priv_account_check(p, a->name, a->peer, a->scheme, &check);
}

int priv_is_admin(struct priv *p, const struct priv_account *a)
{
	int admin = 0;

	return authorise(p, a, &admin) && admin;
}

const char *priv_auth_admit(struct priv *p, const char *user, const char *peer, const char *scheme,
			    struct ipc_auth_result *res, char name[IPC_MAX_USER + 1])
{
	struct priv_account a;
	const char *verdict = TEXT_NO_PASSWD;
	int admin;

	res->status = IPC_AUTH_BAD_CREDENTIALS;
	name[0] = 0;
	if (priv_account_lookup(user, &a)) {
		snprintf(name, IPC_MAX_USER + 1, "%s", a.name);
		res->user = name;
		res->uid = (uint32_t)a.uid;
		/* The start of the token's renewal chain. */
		a.logon_ms = a.checked_ms = util_now_ms();
		snprintf(a.peer, sizeof(a.peer), "%s", peer);
		snprintf(a.scheme, sizeof(a.scheme), "%s", scheme);
		if (!may_log_on(p, &a)) {
			verdict = TEXT_NO_LOGIN_SHELL;
		} else if (!authorise(p, &a, &admin)) {
			res->status = IPC_AUTH_NOT_ALLOWED;
			verdict = "not allowed (in no allowed group)";
		} else if (!token_issue(p, &a, res->token)) {
			res->status = IPC_AUTH_BUSY;
			verdict = "failure (no random token)";
		} else {
			res->status = IPC_AUTH_OK;
			res->is_admin = (uint32_t)admin;
			verdict = admin ? "success (administrator)" : "success";
		}
		priv_account_clear(&a);
	}
	return verdict;
}

/* PAM said yes for the account settled: decide, remember and answer. */
static void verified(struct priv *p, struct priv_auth_req *r, const char *settled)
{
	struct ipc_auth_result res = {.status = IPC_AUTH_BAD_CREDENTIALS};
	char name[IPC_MAX_USER + 1];

	if (strcmp(settled, r->m.user) != 0) {
		char qsent[LOG_QUOTE_MAX], qsettled[LOG_QUOTE_MAX];
		log_info("PAM settled user \"%s\" as account \"%s\"",
			 log_quote(qsent, sizeof(qsent), r->m.user, strlen(r->m.user)),
			 log_quote(qsettled, sizeof(qsettled), settled, strlen(settled)));
	}
	log_verdict(&r->m, priv_auth_admit(p, settled, r->m.peer, r->m.scheme, &res, name));
	reply(p, r->id, &res);
	OPENSSL_cleanse(res.token, sizeof(res.token));
	req_free(r);
}

static void start_queued(struct priv *p, struct priv_worker *w)
{
	while (w->fd < 0 && p->queue_head) {
		struct priv_auth_req *r = p->queue_head;
		p->queue_head = r->next;
		if (!p->queue_head)
			p->queue_tail = NULL;
		p->queue_len--;
		r->next = NULL;
		if (worker_start(p, w, r) < 0)
			refuse(p, r, IPC_AUTH_BUSY, TEXT_NO_WORKER);
	}
}

static void delay_over(evutil_socket_t fd, short what, void *arg)
{
	struct priv_auth_req *r = arg, **pp;
	struct priv *p = r->p;

	(void)fd, (void)what;
	for (pp = &p->delayed; *pp && *pp != r; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = r->next;
	p->ndelayed--;
	r->next = NULL;
	refuse(p, r, IPC_AUTH_BAD_CREDENTIALS, TEXT_FAILED);
}

/* A wrong password's refusal, answered once PAM's failure delay has
 * passed, as pam_unix would have slept, without a worker waiting. */
static void refuse_later(struct priv *p, struct priv_auth_req *r, uint32_t delay_ms)
{
	struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};

	if (p->ndelayed >= PRIV_MAX_DELAYED ||
	    !(r->delay_ev = event_new(p->base, -1, 0, delay_over, r)) ||
	    event_add(r->delay_ev, &tv) < 0) {
		refuse(p, r, IPC_AUTH_BAD_CREDENTIALS, TEXT_FAILED);
		return;
	}
	r->next = p->delayed;
	p->delayed = r;
	p->ndelayed++;
}

static void worker_done(evutil_socket_t fd, short what, void *arg)
{
	struct priv_worker *w = arg;
	struct priv *p = w->p;
	/* The worker's report, NUL-terminated (one more byte than a worker
	 * writes, so an overlong report shows). */
	char report[REPORT_MAX + 2] = {VERDICT_FAILED};
	const char *settled = report + REPORT_ACCOUNT;
	uint8_t verdict = VERDICT_FAILED;
	uint32_t delay_ms = 0;

	if (what & EV_TIMEOUT) {
		log_warnx("PAM took longer than %d s: stopping worker %d",
			  PRIV_PAM_TIMEOUT_MS / 1000, (int)w->pid);
		if (w->pid > 0)
			kill(w->pid, SIGKILL);
	} else {
		ssize_t n = read(fd, report, sizeof(report) - 1);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* The worker died without a word, or said yes for no account. */
		verdict = n >= REPORT_ACCOUNT ? (uint8_t)report[REPORT_VERDICT] : VERDICT_FAILED;
		if (n >= REPORT_ACCOUNT)
			memcpy(&delay_ms, report + REPORT_DELAY, sizeof(delay_ms));
		if (verdict == VERDICT_OK && (n <= REPORT_ACCOUNT || n > REPORT_MAX ||
					      memchr(settled, 0, (size_t)n - REPORT_ACCOUNT)))
			verdict = VERDICT_FAILED;
	}
	struct priv_auth_req *r = worker_release(w);
	if (r->throttled) {
		r->throttled = 0;
		priv_throttle_done(p, r->m.peer, r->m.user, verdict == VERDICT_FAILED);
	}
	/* An account check is for the account GSSAPI verified, no other. */
	if (verdict == VERDICT_OK && r->check.done && strcmp(settled, r->m.user) != 0)
		refuse(p, r, IPC_AUTH_BAD_CREDENTIALS, TEXT_RENAMED);
	else if (verdict == VERDICT_OK && r->check.done)
		check_done(p, r, IPC_AUTH_OK, NULL);
	else if (verdict == VERDICT_OK)
		verified(p, r, settled);
	else if (verdict == VERDICT_FAILED && delay_ms && !r->check.done)
		refuse_later(p, r, delay_ms);
	else
		refuse(p, r, IPC_AUTH_BAD_CREDENTIALS,
		       verdict == VERDICT_ACCOUNT ? TEXT_ACCOUNT : TEXT_FAILED);
	start_queued(p, w);
}

/* Runs r in a free worker, or queues it. */
static void submit(struct priv *p, struct priv_auth_req *r)
{
	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++) {
		if (p->workers[i].fd < 0) {
			if (worker_start(p, &p->workers[i], r) < 0)
				refuse(p, r, IPC_AUTH_BUSY, TEXT_NO_WORKER);
			return;
		}
	}
	if (p->queue_len >= PRIV_MAX_PAM_QUEUE) {
		refuse(p, r, IPC_AUTH_BUSY, TEXT_QUEUE_FULL);
		return;
	}
	/* A check that is not suspect goes ahead of the suspect ones. */
	struct priv_auth_req **at = &p->queue_head;
	while (*at && (r->suspect || !(*at)->suspect))
		at = &(*at)->next;
	r->next = *at;
	*at = r;
	if (!r->next)
		p->queue_tail = r;
	p->queue_len++;
}

void priv_auth_request(struct priv *p, uint32_t id, struct ipc_auth_password *m)
{
	struct priv_auth_req *r = calloc(1, sizeof(*r));

	if (!r) {
		log_warnx("out of memory for an authentication request");
		struct ipc_auth_result res = {.status = IPC_AUTH_BUSY};
		reply(p, id, &res);
		ipc_auth_password_clear(m);
		return;
	}
	r->id = id;
	r->p = p;
	r->m = *m;
	memset(m, 0, sizeof(*m));
	/* Single-user mode serves one account; no one else is asked about. */
	if (!p->privsep && strcmp(r->m.user, p->self_name) != 0) {
		refuse(p, r, IPC_AUTH_BAD_CREDENTIALS, TEXT_NOT_SELF);
		return;
	}
	/* One address's share of the pool, and the failures it (or the
	 * account) may have a minute. */
	enum ipc_auth_status status;
	const char *why = priv_throttle_admit(p, r->m.peer, r->m.user, &status);
	if (why) {
		refuse(p, r, status, why);
		return;
	}
	r->throttled = 1;
	r->suspect = priv_throttle_suspect(p, r->m.peer, r->m.user);
	submit(p, r);
}

void priv_account_check(struct priv *p, const char *user, const char *peer, const char *scheme,
			const struct priv_check *check)
{
	struct priv_auth_req *r;

	/* No worker for a name PAM would not know either. */
	if (!getpwnam(user)) {
		check->done(p, check->arg, IPC_AUTH_BAD_CREDENTIALS, TEXT_NO_PASSWD);
		return;
	}
	/* Single-user mode serves one account, whichever scheme verified
	 * this one (GSSAPI, a certificate, CredSSP), as for a password. */
	if (!p->privsep && strcmp(user, p->self_name) != 0) {
		check->done(p, check->arg, IPC_AUTH_BAD_CREDENTIALS, TEXT_NOT_SELF);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (r) {
		r->p = p;
		r->m.user = strdup(user);
		r->m.peer = strdup(peer);
		r->m.scheme = strdup(scheme);
	}
	if (!r || !r->m.user || !r->m.peer || !r->m.scheme) {
		log_warnx("out of memory for an account check");
		req_free(r);
		check->done(p, check->arg, IPC_AUTH_BUSY, "refused (out of memory)");
		return;
	}
	r->check = *check;
	submit(p, r);
}

void priv_auth_reaped(struct priv *p, pid_t pid)
{
	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
		if (p->workers[i].pid == pid)
			p->workers[i].pid = 0;
}

void priv_auth_stop(struct priv *p)
{
	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++) {
		struct priv_worker *w = &p->workers[i];
		if (w->fd < 0)
			continue;
		if (w->pid > 0)
			kill(w->pid, SIGTERM);
		req_free(worker_release(w));
	}
	while (p->queue_head) {
		struct priv_auth_req *r = p->queue_head;
		p->queue_head = r->next;
		req_free(r);
	}
	p->queue_tail = NULL;
	p->queue_len = 0;
	while (p->delayed) {
		struct priv_auth_req *r = p->delayed;
		p->delayed = r->next;
		req_free(r);
	}
	p->ndelayed = 0;
	for (uint32_t i = 0; i < PRIV_MAX_TOKENS; i++)
		priv_account_clear(&p->tokens[i]);
}
