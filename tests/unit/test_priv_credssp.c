/* Unit tests for priv_credssp: the order of a CredSSP logon's steps in
 * the privileged part. An NTLMSSP NEGOTIATE in negoTokens gets a
 * CHALLENGE; pubKeyAuth before the inner handshake ended, authInfo before
 * pubKeyAuth, a TSRequest with nothing in it and a token that is no
 * GSSAPI token are refused, with STATUS_LOGON_FAILURE for the client and
 * no token; a step continues only the logon of its own connection. The
 * whole logon, with real clients, is tests/e2e/test_credssp.py. The
 * GSSAPI acceptor killed mid-logon costs that logon only. Needs
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

#define STATUS_LOGON_FAILURE 0xC000006Du

/* Which fields a step carries. */
enum { NEGO = 1, PUBKEY = 2, AUTHINFO = 4 };

struct answer {
	uint32_t status;
	uint32_t error_code;
	size_t nego_len, pubkey_len;
	uint8_t nego[9]; /* the first bytes of the output token */
	int has_creds;
};

static uint8_t *copy(const void *p, size_t len)
{
	uint8_t *c = malloc(len);

	if (!c)
		abort();
	memcpy(c, p, len);
	return c;
}

static int step(struct priv_fixture *f, uint64_t conn, int fields, const uint8_t *token, size_t len,
		struct answer *a)
{
	static const uint8_t sealed[] = "sealed by nobody";
	static const uint8_t cert[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	struct ipc_auth_credssp m = {.conn = conn, .peer = strdup("192.0.2.1"), .version = 6};
	struct ipc_auth_credssp_result res;
	struct ipc_msg msg;
	int ok;

	if (!m.peer)
		abort();
	if (fields & NEGO)
		m.nego_token = copy(token, len), m.nego_token_len = len;
	if (fields & PUBKEY) {
		m.pub_key_auth = copy(sealed, sizeof(sealed)), m.pub_key_auth_len = sizeof(sealed);
		m.has_client_nonce = 1;
	}
	if (fields & AUTHINFO)
		m.auth_info = copy(sealed, sizeof(sealed)), m.auth_info_len = sizeof(sealed);
	m.server_cert = copy(cert, sizeof(cert));
	m.server_cert_len = sizeof(cert);
	memset(a, 0, sizeof(*a));
	priv_credssp_request(f->p, 5, &m);
	if (fixture_recv(f, &msg) != ERR_OK)
		return 0;
	ok = msg.type == IPC_AUTH_CREDSSP_RESULT && msg.id == 5 &&
	     ipc_auth_credssp_result_decode(&msg.body, &res) == ERR_OK;
	if (ok) {
		a->status = res.result.status;
		a->error_code = res.error_code;
		a->nego_len = res.nego_token_len;
		if (res.nego_token_len >= sizeof(a->nego))
			memcpy(a->nego, res.nego_token, sizeof(a->nego));
		a->pubkey_len = res.pub_key_auth_len;
		a->has_creds = res.delegated_len != 0;
		ipc_auth_credssp_result_clear(&res);
	}
	ipc_msg_clear(&msg);
	return ok;
}

static int refused(const struct answer *a)
{
	return a->status == IPC_AUTH_BAD_CREDENTIALS && a->error_code == STATUS_LOGON_FAILURE &&
	       a->nego_len == 0 && a->pubkey_len == 0 && !a->has_creds;
}

static void test_order(struct priv_fixture *f)
{
	static const uint8_t garbage[] = "not a GSSAPI token";
	struct answer a;

	CHECK("an NTLMSSP NEGOTIATE gets a CHALLENGE",
	      step(f, 1, NEGO, ntlm_negotiate, sizeof(ntlm_negotiate), &a) &&
		  a.status == IPC_AUTH_CONTINUE && a.error_code == 0 && a.nego_len > 9 &&
		  memcmp(a.nego, "NTLMSSP\0\x02", 9) == 0 && a.pubkey_len == 0 && !a.has_creds);
	CHECK("pubKeyAuth before the inner handshake ended is refused",
	      step(f, 1, PUBKEY, NULL, 0, &a) && refused(&a));
	CHECK("... and the logon is over: a new one starts afresh",
	      step(f, 1, NEGO, ntlm_negotiate, sizeof(ntlm_negotiate), &a) &&
		  a.status == IPC_AUTH_CONTINUE);
	CHECK("authInfo before pubKeyAuth is refused",
	      step(f, 1, AUTHINFO, NULL, 0, &a) && refused(&a));
	CHECK("authInfo on a connection with no logon is refused",
	      step(f, 2, AUTHINFO, NULL, 0, &a) && refused(&a));
	CHECK("a TSRequest with nothing to do is refused",
	      step(f, 3, 0, NULL, 0, &a) && refused(&a));
	CHECK("a negoToken that is no GSSAPI token is refused",
	      step(f, 4, NEGO, garbage, sizeof(garbage) - 1, &a) && refused(&a));
}

/* The acceptor, which holds the inner context, killed mid-logon: that
 * logon is refused, the next one is served by the acceptor started after
 * it. */
static void test_acceptor_death(struct priv_fixture *f)
{
	struct answer a;
	int status;
	pid_t pid = priv_acceptor_pid(f->p);

	CHECK("death: a logon begins",
	      step(f, 9, NEGO, ntlm_negotiate, sizeof(ntlm_negotiate), &a) &&
		  a.status == IPC_AUTH_CONTINUE);
	if (pid <= 0 || kill(pid, SIGKILL) < 0 || waitpid(pid, &status, 0) != pid)
		abort();
	priv_acceptor_reaped(f->p, pid, status);
	CHECK("death: the logon under way is refused",
	      step(f, 9, NEGO, ntlm_negotiate, sizeof(ntlm_negotiate), &a) && refused(&a));
	for (int waited = 0; waited < FIXTURE_WAIT_MS && priv_acceptor_pid(f->p) <= 0;
	     waited += 10) {
		event_base_loop(f->p->base, EVLOOP_NONBLOCK);
		usleep(10000);
	}
	CHECK("death: the next logon is served by another acceptor",
	      priv_acceptor_pid(f->p) > 0 && priv_acceptor_pid(f->p) != pid &&
		  step(f, 10, NEGO, ntlm_negotiate, sizeof(ntlm_negotiate), &a) &&
		  a.status == IPC_AUTH_CONTINUE);
}

int main(void)
{
	struct priv_fixture f;

	fixture_start(&f, 1);
	/* gss-ntlmssp reads the fixture's (empty) hash file. */
	priv_gss_configure(f.p);
	fixture_acceptor(&f);
	test_order(&f);
	test_acceptor_death(&f);
	fixture_stop(&f);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
