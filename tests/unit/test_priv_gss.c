/* Unit tests for priv_gss: where a configuration points the mechanisms
 * (KRB5_KTNAME, gss-ntlmssp's NTLM_USER_FILE and NETBIOS_COMPUTER_NAME,
 * winbind), where forwarded tickets go, and the legs of a handshake: an
 * NTLMSSP NEGOTIATE is answered with a challenge (CONTINUE), garbage and
 * a leg that continues nothing on its connection are refused without an
 * output token or a context; which NTLM domains name this machine's
 * accounts. Needs gss-ntlmssp; no KDC, no network. */
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

static int env_is(const char *name, const char *want)
{
	const char *v = getenv(name);

	return want ? v && strcmp(v, want) == 0 : v == NULL;
}

static void set(struct priv_fixture *f, const char *name, const char *value)
{
	struct buf msg;

	buf_init(&msg, 1024);
	if (config_set(&f->p->cfg, "service/auth", name, value, &msg) != ERR_OK)
		abort();
	buf_clear(&msg);
}

static void test_configure(struct priv_fixture *f)
{
	char want[PATH_MAX + 64], got[PATH_MAX + 64], computer[NTLM_MAX_COMPUTER_NAME + 1], out[16];
	const char *p;

	setenv("KRB5_KTNAME", "FILE:/nonexistent/started.keytab", 1);
	snprintf(want, sizeof(want), "%s/none.keytab", f->p->config_dir);
	set(f, "Keytab", want);
	priv_gss_configure(f->p);
	CHECK("configure: Keytab names the keytab", env_is("KRB5_KTNAME", want));
	CHECK("configure: NTLMv2 only", env_is("LM_COMPAT_LEVEL", "5"));
	snprintf(want, sizeof(want), "%s/%s", f->p->config_dir, CONFIG_NTLM_USERS);
	ntlm_computer_name(computer);
	CHECK("configure: gss-ntlmssp reads our hashes under this host's NetBIOS name",
	      env_is("NTLM_USER_FILE", want) && env_is("NETBIOS_COMPUTER_NAME", computer));

	set(f, "Keytab", "");
	set(f, "NtlmWinbind", "true");
	priv_gss_configure(f->p);
	CHECK("configure: a cleared Keytab goes back to the KRB5_KTNAME winrmd started with",
	      env_is("KRB5_KTNAME", "FILE:/nonexistent/started.keytab"));
	CHECK("configure: with NtlmWinbind, winbind names the host and holds the hashes",
	      env_is("NTLM_USER_FILE", NULL) && env_is("NETBIOS_COMPUTER_NAME", NULL));
	set(f, "NtlmWinbind", "false");
	snprintf(want, sizeof(want), "%s/none.keytab", f->p->config_dir);
	set(f, "Keytab", want);
	priv_gss_configure(f->p);

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
	test_ntlm_domains();
	test_handshake_slots();
	fixture_stop(&f);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
