/* Unit tests for priv_gss and the GSSAPI acceptor it drives: what the
 * acceptor is given (memory copies of the keytab and of gss-ntlmssp's
 * NTLM_USER_FILE, NETBIOS_COMPUTER_NAME, winbind, nothing else of the
 * environment) and when it is replaced (a changed configuration or hash
 * file), where forwarded tickets go, and the legs of a handshake: an
 * NTLMSSP NEGOTIATE is answered with a challenge (CONTINUE), garbage and
 * a leg that continues nothing on its connection are refused without an
 * output token or a context; an acceptor killed mid-handshake costs that
 * handshake only; which NTLM domains name this machine's accounts. Needs
 * gss-ntlmssp and build/winrmd; no KDC, no network. */
#include <signal.h>
#include <sys/wait.h>

#include "priv_fixture.h"
#include "check.h"

/* The NTLMSSP NEGOTIATE message pywinrm sends first (bare, not SPNEGO). */
static const uint8_t ntlm_negotiate[] = {
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00, 0x32, 0x90,
    0x88, 0xe2, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x28, 0x00, 0x00, 0x00, 0x06, 0x01, 0xb1, 0x1d, 0x00, 0x00, 0x00, 0x0f};

/* An NTLMSSP AUTHENTICATE header with nothing after it. */
static const uint8_t ntlm_authenticate[] = {0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00,
					    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static void set(struct priv_fixture *f, const char *name, const char *value)
{
	struct buf msg;

	buf_init(&msg, 1024);
	if (config_set(&f->p->cfg, "service/auth", name, value, &msg) != ERR_OK)
		abort();
	buf_clear(&msg);
}

/* The acceptor's pid once it runs winrmd --role=acceptor (not the fork
 * before its exec), or 0. */
static pid_t acceptor_running(struct priv_fixture *f)
{
	char path[64], cmdline[256];

	for (int waited = 0; waited < FIXTURE_WAIT_MS; waited += 10) {
		pid_t pid = priv_acceptor_pid(f->p);
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		FILE *c = pid > 0 ? fopen(path, "r") : NULL;
		size_t n = c ? fread(cmdline, 1, sizeof(cmdline) - 1, c) : 0;
		if (c)
			fclose(c);
		for (size_t i = 0; i < n; i++)
			cmdline[i] = cmdline[i] ? cmdline[i] : ' ';
		cmdline[n] = 0;
		if (strstr(cmdline, "--role=acceptor"))
			return pid;
		event_base_loop(f->p->base, EVLOOP_NONBLOCK);
		usleep(10000);
	}
	return 0;
}

/* NAME=value of pid's environment ("" if it has no NAME), in out. */
static const char *env_of(pid_t pid, const char *name, char *out, size_t len)
{
	char path[64], env[8192];
	size_t n, k = strlen(name);
	FILE *e;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	out[0] = 0;
	if (!(e = fopen(path, "r")))
		return out;
	n = fread(env, 1, sizeof(env) - 1, e);
	fclose(e);
	env[n] = 0;
	for (size_t i = 0; i < n; i += strlen(env + i) + 1)
		if (strncmp(env + i, name, k) == 0 && env[i + k] == '=')
			snprintf(out, len, "%s", env + i + k + 1);
	return out;
}

/* What the descriptor a /proc/self/fd/N path in the acceptor's
 * environment names is ("" if none). */
static const char *fd_target(pid_t pid, const char *self_path, char *out, size_t len)
{
	char path[128];
	const char *fd = strstr(self_path, "/proc/self/fd/");
	ssize_t n;

	out[0] = 0;
	if (!fd)
		return out;
	snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fd + strlen("/proc/self/fd/"));
	if ((n = readlink(path, out, len - 1)) < 0)
		n = 0;
	out[n] = 0;
	return out;
}

static void test_configure(struct priv_fixture *f)
{
	char want[PATH_MAX + 64], got[PATH_MAX + 64], computer[NTLM_MAX_COMPUTER_NAME + 1], out[16];
	char link[PATH_MAX];
	const char *p;
	pid_t pid, before;

	setenv("OWT_NOT_FOR_THE_ACCEPTOR", "1", 1);
	snprintf(want, sizeof(want), "%s/none.keytab", f->p->config_dir);
	set(f, "Keytab", want);
	fixture_acceptor(f);
	pid = acceptor_running(f);
	CHECK("acceptor: started", pid > 0);
	env_of(pid, "KRB5_KTNAME", got, sizeof(got));
	CHECK("acceptor: its keytab is a copy in memory, not the file",
	      strncmp(got, "FILE:/proc/self/fd/", 19) == 0 &&
		  strcmp(fd_target(pid, got, link, sizeof(link)), "/memfd:keytab (deleted)") == 0);
	CHECK("acceptor: NTLMv2 only",
	      strcmp(env_of(pid, "LM_COMPAT_LEVEL", got, sizeof(got)), "5") == 0);
	ntlm_computer_name(computer);
	env_of(pid, "NTLM_USER_FILE", got, sizeof(got));
	CHECK("acceptor: gss-ntlmssp reads a copy of our hashes in memory",
	      strcmp(fd_target(pid, got, link, sizeof(link)), "/memfd:ntlm_users (deleted)") == 0);
	CHECK("acceptor: ... under this host's NetBIOS name",
	      strcmp(env_of(pid, "NETBIOS_COMPUTER_NAME", got, sizeof(got)), computer) == 0);
	CHECK("acceptor: nothing else of winrmd's environment",
	      !env_of(pid, "OWT_NOT_FOR_THE_ACCEPTOR", got, sizeof(got))[0] &&
		  !env_of(pid, "PATH", got, sizeof(got))[0]);

	before = pid;
	priv_acceptor_configure(f->p, 0);
	CHECK("acceptor: an unchanged configuration keeps it", acceptor_running(f) == before);
	set(f, "NtlmWinbind", "true");
	priv_acceptor_configure(f->p, 0);
	pid = acceptor_running(f);
	CHECK("acceptor: with NtlmWinbind, another, and winbind holds the hashes",
	      pid > 0 && pid != before && !env_of(pid, "NTLM_USER_FILE", got, sizeof(got))[0] &&
		  !env_of(pid, "NETBIOS_COMPUTER_NAME", got, sizeof(got))[0]);
	set(f, "NtlmWinbind", "false");
	priv_acceptor_configure(f->p, 0);
	before = acceptor_running(f);
	snprintf(want, sizeof(want), "%s/%s", f->p->config_dir, CONFIG_NTLM_USERS);
	FILE *users = fopen(want, "w");
	if (!users || fputs("# winrm user set\n", users) < 0 || fclose(users) != 0)
		abort();
	priv_acceptor_check(f->p);
	pid = acceptor_running(f);
	CHECK("acceptor: another when the hash file changed (winrm user set)",
	      pid > 0 && pid != before);
	unsetenv("OWT_NOT_FOR_THE_ACCEPTOR");

	snprintf(want, sizeof(want), "FILE:%s/ccache/krb5cc_1000", f->p->config_dir);
	p = priv_gss_forwarded_tickets(f->p, 1000, got, sizeof(got));
	CHECK("forwarded tickets: DIR/ccache/krb5cc_UID", p == got && strcmp(got, want) == 0);
	CHECK("forwarded tickets: no path when it does not fit",
	      priv_gss_forwarded_tickets(f->p, 1000, out, sizeof(out)) == NULL);
}

/* What one leg on connection conn was answered. */
struct leg {
	uint32_t status;
	size_t out_len;
	uint8_t out[8]; /* the first bytes of the output token */
	size_t context_len;
};

static int leg(struct priv_fixture *f, uint64_t conn, const uint8_t *token, size_t len,
	       struct leg *r)
{
	struct ipc_auth_gss m = {
	    .conn = conn, .peer = strdup("192.0.2.1"), .token = malloc(len), .token_len = len};
	struct ipc_auth_gss_result res;
	struct ipc_msg msg;
	int ok;

	if (!m.peer || !m.token)
		abort();
	memcpy(m.token, token, len);
	memset(r, 0, sizeof(*r));
	priv_gss_request(f->p, 3, &m);
	if (fixture_recv(f, &msg) != ERR_OK)
		return 0;
	ok = msg.type == IPC_AUTH_GSS_RESULT && msg.id == 3 &&
	     ipc_auth_gss_result_decode(&msg.body, &res) == ERR_OK;
	if (ok) {
		r->status = res.result.status;
		r->out_len = res.out_token_len;
		if (res.out_token_len >= sizeof(r->out))
			memcpy(r->out, res.out_token, sizeof(r->out));
		r->context_len = res.context_len;
		ipc_auth_gss_result_clear(&res);
	}
	ipc_msg_clear(&msg);
	return ok;
}

static int refused(const struct leg *r)
{
	return r->status == IPC_AUTH_BAD_CREDENTIALS && r->out_len == 0 && r->context_len == 0;
}

static void test_legs(struct priv_fixture *f)
{
	static const uint8_t garbage[] = "not a GSSAPI token";
	static const uint8_t spnego_cut[] = {0x60, 0x82, 0x01, 0x00, 0x06, 0x06, 0x2b, 0x06};
	struct leg r;

	CHECK("refuse garbage", leg(f, 1, garbage, sizeof(garbage) - 1, &r) && refused(&r));
	CHECK("refuse a cut SPNEGO token",
	      leg(f, 2, spnego_cut, sizeof(spnego_cut), &r) && refused(&r));
	CHECK("an NTLMSSP NEGOTIATE gets a CHALLENGE",
	      leg(f, 3, ntlm_negotiate, sizeof(ntlm_negotiate), &r) &&
		  r.status == IPC_AUTH_CONTINUE && r.out_len > 8 &&
		  memcmp(r.out, "NTLMSSP\0\x02", 8) == 0 && r.context_len == 0);
	CHECK("an AUTHENTICATE on another connection continues nothing",
	      leg(f, 4, ntlm_authenticate, sizeof(ntlm_authenticate), &r) && refused(&r));
	CHECK("a broken AUTHENTICATE ends the handshake of its connection",
	      leg(f, 3, ntlm_authenticate, sizeof(ntlm_authenticate), &r) && refused(&r));
	CHECK("... which then starts afresh",
	      leg(f, 3, ntlm_negotiate, sizeof(ntlm_negotiate), &r) &&
		  r.status == IPC_AUTH_CONTINUE);
}

/* The acceptor killed between two legs: the handshake under way is
 * refused, the next one is served by the acceptor started after it. */
static void test_acceptor_death(struct priv_fixture *f)
{
	struct leg r;
	int status;
	pid_t pid = acceptor_running(f);

	CHECK("death: a handshake begins", leg(f, 7, ntlm_negotiate, sizeof(ntlm_negotiate), &r) &&
					       r.status == IPC_AUTH_CONTINUE);
	if (pid <= 0 || kill(pid, SIGKILL) < 0 || waitpid(pid, &status, 0) != pid)
		abort();
	CHECK("death: priv knows its acceptor", priv_acceptor_reaped(f->p, pid, status));
	CHECK("death: the handshake under way is refused",
	      leg(f, 7, ntlm_authenticate, sizeof(ntlm_authenticate), &r) && refused(&r));
	pid_t again = acceptor_running(f);
	CHECK("death: another acceptor is started", again > 0 && again != pid);
	CHECK("death: ... which serves the next handshake",
	      leg(f, 8, ntlm_negotiate, sizeof(ntlm_negotiate), &r) &&
		  r.status == IPC_AUTH_CONTINUE && r.out_len > 8);
}

/* Without winbind only this machine's names are local: no domain, ".",
 * the NetBIOS name (the host name cut to 15 characters, any case) or the
 * host name; another domain's alice is not ours. */
static void test_ntlm_domains(void)
{
	char computer[NTLM_MAX_COMPUTER_NAME + 1], host[256], name[300];
	const char *u;

	ntlm_computer_name(computer);
	if (gethostname(host, sizeof(host)) < 0)
		abort();
	host[sizeof(host) - 1] = 0;
	host[strcspn(host, ".")] = 0;
	CHECK("ntlm domain: none, or \".\"",
	      strcmp(priv_gss_ntlm_user("alice"), "alice") == 0 &&
		  strcmp(priv_gss_ntlm_user(".\\alice"), "alice") == 0);
	snprintf(name, sizeof(name), "%s\\alice", computer);
	u = priv_gss_ntlm_user(name);
	CHECK("ntlm domain: this machine's NetBIOS name", u && strcmp(u, "alice") == 0);
	snprintf(name, sizeof(name), "%s\\alice", host);
	u = priv_gss_ntlm_user(name);
	CHECK("ntlm domain: this machine's host name", u && strcmp(u, "alice") == 0);
	CHECK("ntlm domain: another domain is refused", !priv_gss_ntlm_user("OTHERDOMAIN\\alice") &&
							    !priv_gss_ntlm_user("\\alice") &&
							    !priv_gss_ntlm_user("..\\alice"));
}

static void release_slot(void *slot)
{
	memset(slot, 0, sizeof(struct priv_slot));
}

/* Handshakes under way: a flood from one address takes that address's
 * own oldest slots once it holds its share, never another's. */
static void test_handshake_slots(void)
{
	struct priv_slot slots[6] = {0};
	int fresh;

	for (uint64_t conn = 1; conn <= 2; conn++)
		priv_slot_for(slots, 6, sizeof(slots[0]), conn, "10.0.0.2", 3, 60000, release_slot,
			      &fresh);
	for (uint64_t conn = 100; conn < 120; conn++)
		priv_slot_for(slots, 6, sizeof(slots[0]), conn, "10.0.0.1", 3, 60000, release_slot,
			      &fresh);
	struct priv_slot *again = priv_slot_for(slots, 6, sizeof(slots[0]), 1, "10.0.0.2", 3, 60000,
						release_slot, &fresh);
	CHECK("slots: another address's handshake survives a flood", !fresh && again->conn == 1);
	again = priv_slot_for(slots, 6, sizeof(slots[0]), 2, "10.0.0.2", 3, 60000, release_slot,
			      &fresh);
	CHECK("slots: ... both of them", !fresh && again->conn == 2);
	int flooding = 0;
	for (int i = 0; i < 6; i++)
		flooding += slots[i].last_ms && strcmp(slots[i].peer, "10.0.0.1") == 0;
	CHECK("slots: the flooding address holds its share and no more", flooding == 3);
	again = priv_slot_for(slots, 6, sizeof(slots[0]), 119, "10.0.0.1", 3, 60000, release_slot,
			      &fresh);
	CHECK("slots: its newest handshake goes on", !fresh && again->conn == 119);
}

int main(void)
{
	struct priv_fixture f;

	fixture_start(&f, 1);
	test_configure(&f);
	test_legs(&f);
	test_acceptor_death(&f);
	test_ntlm_domains();
	test_handshake_slots();
	fixture_stop(&f);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
