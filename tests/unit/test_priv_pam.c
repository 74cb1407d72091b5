/* Unit tests for priv_pam: the privileged part's tokens (issue, find,
 * renew and its account checks, which slot a new one takes), the
 * hand-over of account checks to their caller when no PAM worker runs
 * them, a worker that cannot be watched for lack of memory, and the
 * refusals held for PAM's failure delay. Needs the passwd entries root,
 * nobody, daemon, bin and sys; one test runs a real PAM worker with the
 * service winrm (scripts/bootstrap installs /etc/pam.d/winrm) and a wrong
 * password for root. */
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/util.h"
#include "priv/priv_int.h"
#include "check.h"
#include "event_fail.h"
#include "priv_fixture.h"

static struct priv *priv_new(void)
{
	struct priv *p = calloc(1, sizeof(*p));

	if (!p)
		abort();
	p->privsep = 1;
	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
		p->workers[i].fd = -1;
	return p;
}

static void priv_free(struct priv *p)
{
	priv_auth_stop(p);
	free(p);
}

/* A token for user, as after a password check. */
static enum ipc_auth_status admit(struct priv *p, const char *user, uint8_t token[IPC_TOKEN_LEN])
{
	struct ipc_auth_result res = {0};
	char name[IPC_MAX_USER + 1];

	priv_auth_admit(p, user, "192.0.2.1", "Basic", &res, name);
	memcpy(token, res.token, IPC_TOKEN_LEN);
	return (enum ipc_auth_status)res.status;
}

static struct priv_account *slot_of(struct priv *p, const uint8_t token[IPC_TOKEN_LEN])
{
	for (uint32_t i = 0; i < PRIV_MAX_TOKENS; i++)
		if (p->tokens[i].name && memcmp(p->tokens[i].token, token, IPC_TOKEN_LEN) == 0)
			return &p->tokens[i];
	return NULL;
}

static void test_renew(void)
{
	struct priv *p = priv_new();
	uint8_t t1[IPC_TOKEN_LEN], unknown[IPC_TOKEN_LEN];
	struct ipc_token_renewed r, r2, r3;
	char name[IPC_MAX_USER + 1];
	const char *why;

	CHECK("renew: root admitted", admit(p, "root", t1) == IPC_AUTH_OK);
	uint64_t before = util_now_ms();
	why = priv_token_renew(p, t1, 0, &r, name);
	CHECK("renew: a live token is renewed", r.status == IPC_AUTH_OK && r.uid == 0 &&
						    r.is_admin == 1 && strcmp(name, "root") == 0 &&
						    strcmp(why, "renewed") == 0);
	CHECK("renew: the new token differs", memcmp(r.token, t1, IPC_TOKEN_LEN) != 0);
	const struct priv_account *a = priv_token_find(p, r.token);
	CHECK("renew: the new token names the account with a full lifetime",
	      a && a->uid == 0 && strcmp(a->name, "root") == 0 &&
		  a->expires_ms >= before + IPC_TOKEN_LIFETIME_MS);
	a = priv_token_find(p, t1);
	CHECK("renew: the old token stays good for the grace period only",
	      a && a->expires_ms <= util_now_ms() + PRIV_TOKEN_RENEW_GRACE_MS);

	why = priv_token_renew(p, t1, 0, &r2, name);
	CHECK("renew: a token is renewed once",
	      r2.status == IPC_AUTH_BAD_CREDENTIALS && strstr(why, "already renewed") &&
		  r2.uid == 0 && r2.token[0] == 0 && r2.token[IPC_TOKEN_LEN - 1] == 0);
	why = priv_token_renew(p, r.token, 0, &r3, name);
	CHECK("renew: the successor is renewed in turn", r3.status == IPC_AUTH_OK);

	memset(unknown, 0x5a, sizeof(unknown));
	why = priv_token_renew(p, unknown, 0, &r2, name);
	CHECK("renew: an unknown token is refused",
	      r2.status == IPC_AUTH_BAD_CREDENTIALS && name[0] == 0 && strstr(why, "unknown"));

	slot_of(p, r3.token)->expires_ms = util_now_ms() - 1;
	why = priv_token_renew(p, r3.token, 0, &r2, name);
	CHECK("renew: an expired token is refused", r2.status == IPC_AUTH_BAD_CREDENTIALS);

	/* An account that may no longer connect: admitted as a member of
	 * RemoteUsersGroup (nobody's group is nogroup), then taken out. */
	uint8_t tn[IPC_TOKEN_LEN];
	p->cfg.service.remote_users_group = "nogroup";
	p->cfg.service.allow_no_login_shells = 1; /* nobody's is nologin */
	CHECK("renew: nobody admitted as a member of RemoteUsersGroup",
	      admit(p, "nobody", tn) == IPC_AUTH_OK);
	p->cfg.service.remote_users_group = NULL;
	why = priv_token_renew(p, tn, 0, &r2, name);
	CHECK("renew: an account in no allowed group is refused",
	      r2.status == IPC_AUTH_NOT_ALLOWED && strcmp(name, "nobody") == 0 && r2.token[0] == 0);
	CHECK("renew: ... and its token is not replaced", priv_token_find(p, tn) != NULL);

	/* An account whose name now names another uid is not the one that
	 * authenticated. */
	uint8_t tu[IPC_TOKEN_LEN];
	CHECK("renew: root admitted again", admit(p, "root", tu) == IPC_AUTH_OK);
	slot_of(p, tu)->uid = 4242;
	why = priv_token_renew(p, tu, 0, &r2, name);
	CHECK("renew: a changed uid is refused",
	      r2.status == IPC_AUTH_BAD_CREDENTIALS && strstr(why, "uid"));
	priv_free(p);
}

/* Accounts the unit tests may give tokens to: root, and system accounts
 * every Debian has, admitted through their groups. */
static const char *const ring_accounts[] = {"root", "nobody", "daemon", "bin"};

static void admit_system_accounts(struct priv *p)
{
	p->cfg.service.remote_users_group = "nogroup,daemon,bin,sys";
	p->cfg.service.allow_no_login_shells = 1; /* theirs are nologin */
}

/* A new token takes a free or expired slot before evicting a live one, so
 * the tokens renewals leave behind (expired early) do not push out others. */
static void test_slots(void)
{
	struct priv *p = priv_new();
	static uint8_t tokens[PRIV_MAX_TOKENS][IPC_TOKEN_LEN];
	uint8_t t[IPC_TOKEN_LEN], t2[IPC_TOKEN_LEN];
	int ok = 1;

	admit_system_accounts(p);
	for (uint32_t i = 0; i < PRIV_MAX_TOKENS; i++)
		ok &= admit(p, ring_accounts[i / PRIV_MAX_TOKENS_PER_ACCOUNT], tokens[i]) ==
		      IPC_AUTH_OK;
	CHECK("slots: the ring filled", ok && priv_token_find(p, tokens[0]) != NULL);
	slot_of(p, tokens[9])->expires_ms = util_now_ms() - 1;
	CHECK("slots: one more token", admit(p, "sys", t) == IPC_AUTH_OK);
	CHECK("slots: it took the expired slot", slot_of(p, t) == &p->tokens[9]);
	CHECK("slots: the oldest live token survived", priv_token_find(p, tokens[0]) != NULL);
	CHECK("slots: with every slot live, one more", admit(p, "sys", t2) == IPC_AUTH_OK);
	CHECK("slots: evicts the oldest after the last slot taken",
	      priv_token_find(p, tokens[10]) == NULL && priv_token_find(p, tokens[0]) != NULL &&
		  priv_token_find(p, t2) != NULL && priv_token_find(p, t) != NULL);
	priv_free(p);
}

/* One account holds at most PRIV_MAX_TOKENS_PER_ACCOUNT live tokens: past
 * that its own oldest goes, and the tokens of others stay. */
static void test_slots_per_account(void)
{
	struct priv *p = priv_new();
	static uint8_t tokens[PRIV_MAX_TOKENS_PER_ACCOUNT][IPC_TOKEN_LEN];
	uint8_t other[IPC_TOKEN_LEN], t[IPC_TOKEN_LEN];
	int ok = 1;

	admit_system_accounts(p);
	CHECK("per account: nobody admitted first", admit(p, "nobody", other) == IPC_AUTH_OK);
	for (uint32_t i = 0; i < PRIV_MAX_TOKENS_PER_ACCOUNT; i++)
		ok &= admit(p, "root", tokens[i]) == IPC_AUTH_OK;
	CHECK("per account: root holds its share", ok && priv_token_find(p, tokens[0]) != NULL);
	CHECK("per account: one more for root", admit(p, "root", t) == IPC_AUTH_OK);
	CHECK("per account: it took root's own oldest", priv_token_find(p, tokens[0]) == NULL &&
							    priv_token_find(p, tokens[1]) != NULL &&
							    priv_token_find(p, t) != NULL);
	CHECK("per account: the other account's older token stays",
	      priv_token_find(p, other) != NULL);
	uint32_t live = 0;
	for (uint32_t i = 0; i < PRIV_MAX_TOKENS; i++)
		live += p->tokens[i].name && p->tokens[i].uid == 0;
	CHECK("per account: root still holds exactly its share",
	      live == PRIV_MAX_TOKENS_PER_ACCOUNT);
	priv_free(p);
}

struct outcome {
	int done, dropped;
	enum ipc_auth_status status;
	const char *verdict;
};

static void check_done(struct priv *p, void *arg, enum ipc_auth_status status, const char *verdict)
{
	struct outcome *o = arg;
	(void)p;
	o->done++;
	o->status = status;
	o->verdict = verdict;
}

static void check_dropped(void *arg)
{
	((struct outcome *)arg)->dropped++;
}

/* Account checks wait in the same queue as password checks: a full queue
 * answers BUSY at once, and a shutdown drops what still waits. */
static void test_account_check_queue(void)
{
	struct priv *p = priv_new();
	struct outcome o = {0};
	struct priv_check check = {check_done, check_dropped, &o};

	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
		p->workers[i].fd = 1000 + i; /* busy */
	p->queue_len = PRIV_MAX_PAM_QUEUE;
	priv_account_check(p, "root", "192.0.2.1", "Negotiate", &check);
	CHECK("account check: a full queue answers BUSY at once",
	      o.done == 1 && o.dropped == 0 && o.status == IPC_AUTH_BUSY && o.verdict &&
		  strstr(o.verdict, "too many"));
	p->queue_len = 0;
	memset(&o, 0, sizeof(o));
	priv_account_check(p, "owt-no-such-account", "192.0.2.1", "Kerberos", &check);
	CHECK("account check: no passwd entry is refused at once, without a worker",
	      o.done == 1 && o.status == IPC_AUTH_BAD_CREDENTIALS && o.verdict &&
		  strstr(o.verdict, "no passwd entry") && p->queue_len == 0);
	memset(&o, 0, sizeof(o));
	priv_account_check(p, "root", "192.0.2.1", "Kerberos", &check);
	CHECK("account check: queued while the workers are busy",
	      o.done == 0 && p->queue_len == 1 && p->queue_head && !p->queue_head->m.password &&
		  strcmp(p->queue_head->m.user, "root") == 0);
	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
		p->workers[i].fd = -1;
	priv_auth_stop(p);
	CHECK("account check: dropped, not answered, at shutdown", o.done == 0 && o.dropped == 1);
	free(p);
}

/* libevent out of memory while a worker starts (event_new, then
 * event_add): that one check is answered BUSY, as when the fork fails,
 * and the service goes on. No worker was forked, the slot is free again
 * and no descriptor leaked. */
static void test_worker_no_memory(void)
{
	static const char *const what[] = {"event_new", "event_add"};

	for (long after = 0; after < 2; after++) {
		struct priv *p = priv_new();
		struct outcome o = {0};
		struct priv_check check = {check_done, check_dropped, &o};
		struct event_base *base = p->base = event_base_new();
		char name[128];
		int fd = event_fail_next_fd();

		event_fail_after = after;
		priv_account_check(p, "root", "192.0.2.1", "Kerberos", &check);
		event_fail_after = -1;
		snprintf(name, sizeof(name), "no memory for %s: the check is answered BUSY",
			 what[after]);
		CHECK(name, o.done == 1 && o.dropped == 0 && o.status == IPC_AUTH_BUSY &&
				o.verdict && strstr(o.verdict, "cannot start a PAM worker"));
		snprintf(name, sizeof(name), "no memory for %s: the slot is free, nothing queued",
			 what[after]);
		CHECK(name, p->workers[0].fd == -1 && p->workers[0].pid == 0 && !p->workers[0].ev &&
				!p->workers[0].req && p->queue_len == 0);
		snprintf(name, sizeof(name),
			 "no memory for %s: no worker forked, no descriptor leaked", what[after]);
		CHECK(name, waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD &&
				event_fail_next_fd() == fd);
		priv_free(p);
		event_base_free(base);
	}
}

/* Single-user mode (not started as root) serves the invoking account
 * alone, whatever verified the others: a GSSAPI, certificate or CredSSP
 * logon's account check is refused at once, as a password is, and no
 * token is issued or renewed for another account (issue 14, item 2). */
static void test_single_user(void)
{
	struct priv *p = priv_new();
	struct outcome o = {0};
	struct priv_check check = {check_done, check_dropped, &o};
	const struct passwd *nobody = getpwnam("nobody");
	uint8_t t[IPC_TOKEN_LEN];

	if (!nobody)
		abort();
	p->privsep = 0;
	p->self_uid = nobody->pw_uid;
	p->self_name = "nobody";
	p->cfg.service.allow_no_login_shells = 1; /* nobody's is nologin */
	priv_account_check(p, "root", "192.0.2.1", "Kerberos", &check);
	CHECK("single-user: another account's GSSAPI logon is refused at once",
	      o.done == 1 && o.status == IPC_AUTH_BAD_CREDENTIALS && o.verdict &&
		  strstr(o.verdict, "not the account winrmd runs as") && p->queue_len == 0);
	CHECK("single-user: no token for another account, root included",
	      admit(p, "root", t) == IPC_AUTH_NOT_ALLOWED);
	CHECK("single-user: the invoking account is admitted, in no group",
	      admit(p, "nobody", t) == IPC_AUTH_OK);
	p->self_name = NULL;
	priv_free(p);
}

/* n failed password checks for user from peer, each let through. */
static void fail_checks(struct priv *p, const char *peer, const char *user, int n)
{
	enum ipc_auth_status st;

	for (int i = 0; i < n; i++) {
		CHECK("throttle: a check goes to PAM", !priv_throttle_admit(p, peer, user, &st));
		priv_throttle_done(p, peer, user, 1);
	}
}

/* priv_throttle: one address's share of the PAM pool, and the failures
 * an address and an account may have a minute. */
static void test_throttle(void)
{
	struct priv *p = priv_new();
	enum ipc_auth_status st;

	p->cfg.service.max_concurrent_logons_per_source = 2;
	p->cfg.service.max_concurrent_logons_per_account = 2;
	p->cfg.service.max_logon_failures_per_source = 4;
	p->cfg.service.max_logon_failures_per_account = 3;
	CHECK("throttle: the first two checks from an address go to PAM",
	      !priv_throttle_admit(p, "10.0.0.1", "alice", &st) &&
		  !priv_throttle_admit(p, "10.0.0.1", "bob", &st));
	CHECK("throttle: a third at once is refused as busy",
	      priv_throttle_admit(p, "10.0.0.1", "carol", &st) && st == IPC_AUTH_BUSY);
	CHECK("throttle: another address is not",
	      !priv_throttle_admit(p, "10.0.0.2", "carol", &st));
	CHECK("throttle: but a third for one account at once is, whatever the address",
	      !priv_throttle_admit(p, "10.0.0.4", "carol", &st) &&
		  priv_throttle_admit(p, "10.0.0.5", "carol", &st) && st == IPC_AUTH_BUSY);
	priv_throttle_done(p, "10.0.0.4", "carol", 0);
	priv_throttle_done(p, "10.0.0.1", "alice", 1);
	priv_throttle_done(p, "10.0.0.1", "bob", 1);
	priv_throttle_done(p, "10.0.0.2", "carol", 0);
	fail_checks(p, "10.0.0.3", "alice", 2);
	CHECK("throttle: three failures shut alice out, from any address",
	      priv_throttle_admit(p, "10.0.0.9", "alice", &st) && st == IPC_AUTH_BAD_CREDENTIALS);
	CHECK("throttle: but not dave", !priv_throttle_admit(p, "10.0.0.9", "dave", &st));
	priv_throttle_done(p, "10.0.0.9", "dave", 0);
	fail_checks(p, "10.0.0.1", "erin", 2);
	CHECK("throttle: four failures shut 10.0.0.1 out, for any account",
	      priv_throttle_admit(p, "10.0.0.1", "dave", &st) && st == IPC_AUTH_BAD_CREDENTIALS);
	p->cfg.service.max_logon_failures_per_source = 0;
	p->cfg.service.max_logon_failures_per_account = 0;
	CHECK("throttle: 0 counts no failures", !priv_throttle_admit(p, "10.0.0.1", "alice", &st));
	priv_throttle_done(p, "10.0.0.1", "alice", 0);
	priv_free(p);
}

static struct ipc_auth_password password_check(const char *user, const char *peer)
{
	struct ipc_auth_password m = {strdup(user), strdup("pw"), strdup(peer), strdup("Basic"), 0};
	return m;
}

/* A check from an address, or for an account, with failures in the
 * window is suspect: it waits behind the checks that are not (and its
 * worker runs at PRIV_SUSPECT_NICE), so a storm of wrong passwords gets
 * only the CPU the correct logons leave. */
static void test_suspect_checks(void)
{
	struct priv *p = priv_new();
	struct ipc_auth_password m;

	p->cfg.service.max_concurrent_logons_per_source = 10;
	p->cfg.service.max_concurrent_logons_per_account = 10;
	CHECK("suspect: none before any failure", !priv_throttle_suspect(p, "10.0.0.1", "alice"));
	fail_checks(p, "10.0.0.1", "mallory", 1);
	CHECK("suspect: the failing address, for any account",
	      priv_throttle_suspect(p, "10.0.0.1", "alice"));
	CHECK("suspect: the failed account, from any address",
	      priv_throttle_suspect(p, "10.0.0.2", "mallory"));
	CHECK("suspect: not another address and account",
	      !priv_throttle_suspect(p, "10.0.0.2", "alice"));
	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
		p->workers[i].fd = 1000 + i; /* busy */
	m = password_check("mallory", "10.0.0.3");
	priv_auth_request(p, 1, &m);
	m = password_check("bob", "10.0.0.1");
	priv_auth_request(p, 2, &m);
	m = password_check("alice", "10.0.0.2");
	priv_auth_request(p, 3, &m);
	m = password_check("carol", "10.0.0.4");
	priv_auth_request(p, 4, &m);
	const struct priv_auth_req *q = p->queue_head;
	CHECK("suspect: the checks that are not go first, each in turn",
	      p->queue_len == 4 && q && q->id == 3 && !q->suspect && q->next && q->next->id == 4 &&
		  q->next->next && q->next->next->id == 1 && q->next->next->suspect &&
		  q->next->next->next && q->next->next->next->id == 2 &&
		  p->queue_tail == q->next->next->next && !q->next->next->next->next);
	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
		p->workers[i].fd = -1;
	priv_auth_stop(p);
	priv_free(p);
}

/* An account whose shell says it does not log in (nobody's is
 * /usr/sbin/nologin) gets no token, root's rules the same, unless
 * Service/AllowNoLoginShells; a token of one is not renewed once the
 * setting goes off. */
static void test_login_shells(void)
{
	struct priv *p = priv_new();
	struct ipc_auth_result res = {0};
	struct ipc_token_renewed r;
	char name[IPC_MAX_USER + 1];
	uint8_t t[IPC_TOKEN_LEN];
	const char *why;

	CHECK("shells: bash is a login shell", priv_login_shell("/bin/bash"));
	CHECK("shells: nologin and false are not, wherever they are",
	      !priv_login_shell("/usr/sbin/nologin") && !priv_login_shell("/sbin/nologin") &&
		  !priv_login_shell("/bin/false") && !priv_login_shell("/usr/local/bin/nologin"));
	CHECK("shells: nor is one /etc/shells does not list",
	      !priv_login_shell("/usr/bin/python3") && !priv_login_shell(""));
	p->cfg.service.remote_users_group = "nogroup";
	why = priv_auth_admit(p, "nobody", "192.0.2.1", "Basic", &res, name);
	CHECK("shells: nobody (nologin) is refused as a failed logon",
	      res.status == IPC_AUTH_BAD_CREDENTIALS && strstr(why, "Service/AllowNoLoginShells") &&
		  res.token[0] == 0 && res.token[IPC_TOKEN_LEN - 1] == 0);
	p->cfg.service.allow_no_login_shells = 1;
	CHECK("shells: ... admitted with AllowNoLoginShells", admit(p, "nobody", t) == IPC_AUTH_OK);
	p->cfg.service.allow_no_login_shells = 0;
	why = priv_token_renew(p, t, 0, &r, name);
	CHECK("shells: ... and its token not renewed once the setting is off",
	      r.status == IPC_AUTH_BAD_CREDENTIALS && strstr(why, "Service/AllowNoLoginShells"));
	p->cfg.service.remote_users_group = NULL;
	priv_free(p);
}

/* A chain of renewals ends PRIV_LOGON_MAX_AGE_MS after the logon. */
static void test_logon_age(void)
{
	struct priv *p = priv_new();
	struct ipc_token_renewed r;
	char name[IPC_MAX_USER + 1];
	uint8_t t[IPC_TOKEN_LEN];
	const char *why;

	CHECK("age: root admitted", admit(p, "root", t) == IPC_AUTH_OK);
	struct priv_account *a = slot_of(p, t);
	CHECK("age: the logon is stamped with its time, source and scheme",
	      a && util_now_ms() - a->logon_ms < 5000 && a->checked_ms == a->logon_ms &&
		  strcmp(a->peer, "192.0.2.1") == 0 && strcmp(a->scheme, "Basic") == 0);
	uint64_t logon = util_now_ms() - PRIV_LOGON_MAX_AGE_MS + 60000;
	a->logon_ms = logon;
	why = priv_token_renew(p, t, 0, &r, name);
	const struct priv_account *next = priv_token_find(p, r.token);
	CHECK("age: a logon younger than the cap is renewed, its age kept",
	      r.status == IPC_AUTH_OK && next && next->logon_ms == logon &&
		  strcmp(next->peer, "192.0.2.1") == 0 && strcmp(next->scheme, "Basic") == 0);
	slot_of(p, r.token)->logon_ms = util_now_ms() - PRIV_LOGON_MAX_AGE_MS;
	why = priv_token_renew(p, r.token, 0, &r, name);
	CHECK("age: at the cap the renewal is refused: authenticate again",
	      r.status == IPC_AUTH_BAD_CREDENTIALS && strstr(why, "10 hours") && r.token[0] == 0 &&
		  strcmp(name, "root") == 0);
	priv_free(p);
}

static struct ipc_token_renewed renewal_answered(struct priv_fixture *f)
{
	struct ipc_token_renewed r = {.status = 99};
	struct ipc_msg m;

	if (fixture_recv(f, &m) == ERR_OK) {
		if (m.type != IPC_TOKEN_RENEWED || ipc_token_renewed_decode(&m.body, &r) != ERR_OK)
			r.status = 98;
		ipc_msg_clear(&m);
	}
	return r;
}

/* A renewal runs PAM's account stack again when the last run is
 * PRIV_ACCOUNT_RECHECK_MS old (the workers are held busy here, so the
 * check waits in the queue, where the test answers it as PAM would). */
static void test_renew_rechecks_the_account(void)
{
	struct priv_fixture f;
	struct ipc_token_renew m;
	struct ipc_token_renewed r;
	uint8_t t[IPC_TOKEN_LEN];

	fixture_start(&f, 1);
	CHECK("recheck: root admitted", fixture_admit(&f, "root", t));
	memcpy(m.token, t, IPC_TOKEN_LEN);
	priv_token_renew_request(f.p, 7, &m);
	r = renewal_answered(&f);
	CHECK("recheck: a recent check is not run again: renewed at once",
	      r.status == IPC_AUTH_OK && f.p->queue_len == 0);

	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
		f.p->workers[i].fd = 1000 + i; /* busy */
	memcpy(m.token, r.token, IPC_TOKEN_LEN);
	slot_of(f.p, m.token)->checked_ms = util_now_ms() - PRIV_ACCOUNT_RECHECK_MS;
	priv_token_renew_request(f.p, 8, &m);
	struct priv_auth_req *q = f.p->queue_head;
	CHECK("recheck: an old check runs PAM's account stack again, for the logon's source",
	      f.p->queue_len == 1 && q && !q->m.password && strcmp(q->m.user, "root") == 0 &&
		  strcmp(q->m.peer, "192.0.2.1") == 0 && strcmp(q->m.scheme, "Negotiate") == 0);

	/* PAM says yes: renewed, and the new token's check is fresh. */
	struct priv_check c = q->check;
	q->check.drop = NULL;
	c.done(f.p, c.arg, IPC_AUTH_OK, NULL);
	r = renewal_answered(&f);
	const struct priv_account *a = priv_token_find(f.p, r.token);
	CHECK("recheck: admitted by PAM, renewed with a fresh check",
	      r.status == IPC_AUTH_OK && a && util_now_ms() - a->checked_ms < 5000);

	/* PAM says no (an expired or locked account): refused, and the token
	 * opens nothing any more. */
	memcpy(m.token, r.token, IPC_TOKEN_LEN);
	slot_of(f.p, m.token)->checked_ms = util_now_ms() - PRIV_ACCOUNT_RECHECK_MS;
	priv_token_renew_request(f.p, 9, &m);
	q = f.p->queue_head->next;
	CHECK("recheck: queued again", f.p->queue_len == 2 && q);
	c = q->check;
	q->check.drop = NULL;
	c.done(f.p, c.arg, IPC_AUTH_BAD_CREDENTIALS, "refused (account expired)");
	r = renewal_answered(&f);
	CHECK("recheck: refused by PAM, the renewal is refused",
	      r.status == IPC_AUTH_BAD_CREDENTIALS && r.token[0] == 0);
	CHECK("recheck: ... and the token it would have replaced is dead at once",
	      priv_token_find(f.p, m.token) == NULL);
	for (int i = 0; i < PRIV_MAX_PAM_WORKERS; i++)
		f.p->workers[i].fd = -1;
	fixture_stop(&f);
}

/* A wrong password for root, checked by a real PAM worker (the service
 * "winrm", pam_unix: a failure delay of about 2 s); the privileged part's
 * loop turns until the refusal is held (ndelayed grows past held_before)
 * or answered. Returns the status answered, 99 if none came. */
static uint32_t wrong_password(struct priv_fixture *f, uint32_t id, uint32_t held_before, int *held)
{
	struct ipc_auth_password m = {strdup("root"), strdup("owt-wrong-password"),
				      strdup("192.0.2.7"), strdup("Basic"), 50000};
	struct ipc_auth_result res = {.status = 99};
	struct ipc_msg msg;

	*held = 0;
	priv_auth_request(f->p, id, &m);
	pid_t worker = f->p->workers[0].pid;
	for (int waited = 0; waited < FIXTURE_WAIT_MS && !*held; waited += 10) {
		event_base_loop(f->p->base, EVLOOP_NONBLOCK);
		*held = f->p->ndelayed > held_before;
		if (f->p->workers[0].fd < 0 && !*held)
			break; /* the worker reported, and nothing was held */
		usleep(10000);
	}
	if (fixture_recv(f, &msg) == ERR_OK) {
		struct ipc_auth_result r;
		if (msg.type == IPC_AUTH_RESULT &&
		    ipc_auth_result_decode(&msg.body, &r) == ERR_OK) {
			res.status = r.status;
			ipc_auth_result_clear(&r);
		}
		ipc_msg_clear(&msg);
	}
	if (worker > 0) /* reaped here: the fixture has no SIGCHLD handler */
		waitpid(worker, NULL, 0);
	return res.status;
}

/* PAM's failure delay is kept by a timer, for at most PRIV_MAX_DELAYED
 * refusals at once: past that a refusal is answered at once, and nothing
 * is held (no timer, no entry) that the count does not know of. */
static void test_delayed_refusals_overflow(void)
{
	struct priv_fixture f;
	int held;

	fixture_start(&f, 1);
	uint32_t st = wrong_password(&f, 1, 0, &held);
	CHECK("delay: a wrong password's refusal is held for PAM's failure delay, then answered",
	      held && st == IPC_AUTH_BAD_CREDENTIALS && f.p->ndelayed == 0 && !f.p->delayed);
	f.p->ndelayed = PRIV_MAX_DELAYED; /* as if that many were held */
	st = wrong_password(&f, 2, PRIV_MAX_DELAYED, &held);
	CHECK("delay: with PRIV_MAX_DELAYED held, the next refusal is answered at once",
	      !held && st == IPC_AUTH_BAD_CREDENTIALS && f.p->ndelayed == PRIV_MAX_DELAYED &&
		  !f.p->delayed);
	f.p->ndelayed = 0;
	fixture_stop(&f);
}

int main(void)
{
	event_fail_install();
	test_renew();
	test_single_user();
	test_throttle();
	test_suspect_checks();
	test_login_shells();
	test_logon_age();
	test_renew_rechecks_the_account();
	test_delayed_refusals_overflow();
	test_slots();
	test_slots_per_account();
	test_account_check_queue();
	test_worker_no_memory();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
