/* Unit tests for auth/auth.c: Basic parsing, refusals, domain stripping,
 * the verification cache and the challenge list. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "auth/auth.h"
#include "common/util.h"
#include "wsman/wsman.h"
#include "check.h"

/* auth.c's test-only clock hook (deliberately not in auth.h). */
extern void auth_set_clock(uint64_t (*now_ms)(void));

static uint64_t fake_now = 1000000;
static uint64_t fake_clock(void)
{
	return fake_now;
}

static const struct auth_settings basic_only = {.basic = 1};
static const struct auth_settings basic_http = {.basic = 1, .allow_unencrypted = 1};

/* What ipc_auth_password_clear does (it lives in ipc_priv.c). */
static void verify_free(struct ipc_auth_password *v)
{
	free(v->user);
	if (v->password) {
		OPENSSL_cleanse(v->password, strlen(v->password));
		free(v->password);
	}
	free(v->peer);
	free(v->scheme);
	memset(v, 0, sizeof(*v));
}

/* "Basic " + base64(cred, n) */
static void basic_header(char *out, size_t outlen, const char *cred, size_t n)
{
	struct buf b;

	buf_init(&b, 1 << 16);
	buf_put(&b, "Basic ", 6);
	util_b64_encode(&b, cred, n);
	snprintf(out, outlen, "%.*s", (int)buf_len(&b), (const char *)buf_ptr(&b));
	buf_clear(&b);
}

static enum auth_verdict eval_cred(const struct auth_settings *s, int tls, const char *cred,
				   struct auth_identity *id, struct ipc_auth_password *v)
{
	char hdr[4096];

	basic_header(hdr, sizeof(hdr), cred, strlen(cred));
	return auth_evaluate(s, tls, hdr, "192.0.2.7", id, v);
}

/* auth_basic_cached of Basic cred. */
static int cached(const struct auth_settings *s, int tls, const char *cred)
{
	char hdr[4096];

	basic_header(hdr, sizeof(hdr), cred, strlen(cred));
	return auth_basic_cached(s, tls, hdr);
}

static int verify_is(const struct ipc_auth_password *v, const char *user, const char *password)
{
	return v->user && v->password && v->peer && v->scheme && strcmp(v->user, user) == 0 &&
	       strcmp(v->password, password) == 0 && strcmp(v->peer, "192.0.2.7") == 0 &&
	       strcmp(v->scheme, "Basic") == 0;
}

static void test_basic_parse(void)
{
	struct auth_identity id;
	struct ipc_auth_password v;
	enum auth_verdict r;

	auth_cache_flush();
	r = auth_evaluate(&basic_only, 1, "Basic Ym9iOnNlY3JldA==", "192.0.2.7", &id, &v);
	CHECK("Basic over TLS asks PAM",
	      r == AUTH_VERIFY && verify_is(&v, "bob", "secret") && !auth_identity_valid(&id));
	verify_free(&v);

	r = eval_cred(&basic_only, 1, "bob:pa:ss word", &id, &v);
	CHECK("password keeps its ':' and blanks",
	      r == AUTH_VERIFY && verify_is(&v, "bob", "pa:ss word"));
	verify_free(&v);

	r = eval_cred(&basic_only, 1, "bob:", &id, &v);
	CHECK("empty password goes to PAM", r == AUTH_VERIFY && verify_is(&v, "bob", ""));
	verify_free(&v);

	/* The real pywinrm header from the HTTP test: .\vagrant / pa:ss word */
	r = auth_evaluate(&basic_only, 1, "Basic Llx2YWdyYW50OnBhOnNzIHdvcmQ=", "192.0.2.7", &id,
			  &v);
	CHECK(".\\user is stripped", r == AUTH_VERIFY && verify_is(&v, "vagrant", "pa:ss word"));
	verify_free(&v);

	r = auth_evaluate(&basic_only, 1, "bAsIc   Ym9iOnNlY3JldA==  ", "192.0.2.7", &id, &v);
	CHECK("scheme is case-insensitive, blanks tolerated",
	      r == AUTH_VERIFY && verify_is(&v, "bob", "secret"));
	verify_free(&v);

	char host[256], cred[512];
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = 0;
	host[strcspn(host, ".")] = 0;
	snprintf(cred, sizeof(cred), "%s\\bob:pw", host);
	r = eval_cred(&basic_only, 1, cred, &id, &v);
	CHECK("HOST\\user is stripped", r == AUTH_VERIFY && verify_is(&v, "bob", "pw"));
	verify_free(&v);
	for (char *c = host; *c; c++)
		*c = (char)(islower((unsigned char)*c) ? toupper((unsigned char)*c)
						       : tolower((unsigned char)*c));
	snprintf(cred, sizeof(cred), "%s\\bob:pw", host);
	r = eval_cred(&basic_only, 1, cred, &id, &v);
	CHECK("HOST\\user is stripped in any case", r == AUTH_VERIFY && verify_is(&v, "bob", "pw"));
	verify_free(&v);

	r = eval_cred(&basic_only, 1, "CORP-no-such-host\\bob:pw", &id, &v);
	CHECK("other DOMAIN\\user is kept",
	      r == AUTH_VERIFY && verify_is(&v, "CORP-no-such-host\\bob", "pw"));
	verify_free(&v);

	CHECK("strip: plain name", strcmp(util_strip_local_domain("alice"), "alice") == 0);
	CHECK("strip: .\\", strcmp(util_strip_local_domain(".\\alice"), "alice") == 0);
	CHECK("strip: only the first separator",
	      strcmp(util_strip_local_domain(".\\a\\b"), "a\\b") == 0);
	CHECK("strip: \\alice kept", strcmp(util_strip_local_domain("\\alice"), "\\alice") == 0);

	/* Malformed credentials: refused without asking PAM. */
	static const char *const bad[] = {
	    "Basic",
	    "Basic ",
	    "Basic !!!!",
	    "Basic Ym9iOnNlY3JldA",    /* no padding */
	    "Basic Ym9iOnNlY3JldA===", /* too much padding */
	    "Basic bm9jb2xvbg==",      /* "nocolon" */
	    "Basic OnB3",	       /* ":pw": empty user */
	    "Basic Llw6cHc=",	       /* ".\:pw": empty after stripping */
	    "Basic Ym9iAHg6cHc=",      /* "bob\0x:pw" */
	    "Basic Ym9iOnAAdw==",      /* "bob:p\0w" */
	    "Basicx Ym9iOnNlY3JldA==",
	    "Bearer abc",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[80];
		r = auth_evaluate(&basic_only, 1, bad[i], "192.0.2.7", &id, &v);
		snprintf(name, sizeof(name), "malformed %zu refused", i);
		CHECK(name,
		      r == AUTH_REFUSED && !auth_identity_valid(&id) && !v.user && !v.password);
	}

	/* Lengths: user up to IPC_MAX_USER, password up to IPC_MAX_PASSWORD. */
	char big[IPC_MAX_USER + IPC_MAX_PASSWORD + 8];
	memset(big, 'u', IPC_MAX_USER);
	big[IPC_MAX_USER] = ':';
	memset(big + IPC_MAX_USER + 1, 'p', IPC_MAX_PASSWORD);
	big[IPC_MAX_USER + 1 + IPC_MAX_PASSWORD] = 0;
	r = eval_cred(&basic_only, 1, big, &id, &v);
	CHECK("longest user and password accepted",
	      r == AUTH_VERIFY && v.user && strlen(v.user) == IPC_MAX_USER && v.password &&
		  strlen(v.password) == IPC_MAX_PASSWORD);
	verify_free(&v);
	big[IPC_MAX_USER + 1 + IPC_MAX_PASSWORD] = 'p';
	big[IPC_MAX_USER + 2 + IPC_MAX_PASSWORD] = 0;
	r = eval_cred(&basic_only, 1, big, &id, &v);
	CHECK("password too long refused", r == AUTH_REFUSED && !v.password);
	memmove(big + 1, big, IPC_MAX_USER);
	big[0] = 'u';
	big[IPC_MAX_USER + 2] = 0; /* user of IPC_MAX_USER + 1, password "" */
	big[IPC_MAX_USER + 1] = ':';
	r = eval_cred(&basic_only, 1, big, &id, &v);
	CHECK("user too long refused", r == AUTH_REFUSED && !v.user);
}

static void test_policy(void)
{
	struct auth_identity id;
	struct ipc_auth_password v;
	enum auth_verdict r;

	r = eval_cred(&basic_only, 0, "bob:secret", &id, &v);
	CHECK("Basic over HTTP refused when AllowUnencrypted=false",
	      r == AUTH_REFUSED && !v.password);
	r = eval_cred(&basic_http, 0, "bob:secret", &id, &v);
	CHECK("Basic over HTTP with AllowUnencrypted=true",
	      r == AUTH_VERIFY && verify_is(&v, "bob", "secret"));
	verify_free(&v);
	struct auth_settings off = {.basic = 0, .negotiate = 1, .allow_unencrypted = 1};
	r = eval_cred(&off, 1, "bob:secret", &id, &v);
	CHECK("Basic refused when disabled", r == AUTH_REFUSED && !v.password);

	struct auth_settings all = {
	    .basic = 1, .negotiate = 1, .kerberos = 1, .allow_unencrypted = 1};
	static const char *const refused[] = {
	    "Digest username=\"bob\", realm=\"WSMAN\", nonce=\"abc\", uri=\"/wsman\", "
	    "response=\"0\"",
	    "NTLM TlRMTVNTUAABAAAA",
	    "CredSSP FgMBAA==",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char name[80];
		r = auth_evaluate(&all, 1, refused[i], "192.0.2.7", &id, &v);
		snprintf(name, sizeof(name), "scheme %.*s refused", (int)strcspn(refused[i], " "),
			 refused[i]);
		CHECK(name, r == AUTH_REFUSED && !auth_identity_valid(&id) && !v.user);
	}

	/* Negotiate and Kerberos legs go to the privileged part, when enabled. */
	r = auth_evaluate(&all, 0,
			  "Negotiate TlRMTVNTUAABAAAAMpCI4gAAAAAoAAAAAAAAACgAAAAGAbEdAAAADw==",
			  "192.0.2.7", &id, &v);
	CHECK("Negotiate leg, also on HTTP", r == AUTH_GSS && !auth_identity_valid(&id) && !v.user);
	r = auth_evaluate(&all, 1, "Kerberos YIIB", "192.0.2.7", &id, &v);
	CHECK("Kerberos leg", r == AUTH_GSS);
	r = auth_evaluate(&off, 1, "Kerberos YIIB", "192.0.2.7", &id, &v);
	CHECK("Kerberos refused when disabled", r == AUTH_REFUSED);
	struct auth_settings credssp = {.credssp = 1};
	r = auth_evaluate(&credssp, 0, "CredSSP FgMBAA==", "192.0.2.7", &id, &v);
	CHECK("CredSSP leg when enabled, also on HTTP",
	      r == AUTH_CREDSSP && !auth_identity_valid(&id));
	r = auth_evaluate(&credssp, 1, "CredSSP", "192.0.2.7", &id, &v);
	CHECK("CredSSP without a token refused", r == AUTH_REFUSED);
	r = auth_evaluate(&all, 1, "Negotiate", "192.0.2.7", &id, &v);
	CHECK("Negotiate without a token refused", r == AUTH_REFUSED);

	/* Certificate authentication: the header is the profile's URI, over
	 * TLS, when enabled; the privileged part maps the certificate. */
	struct auth_settings cert = {.certificate = 1};
	r = auth_evaluate(&cert, 1, WSMAN_SECPROFILE_HTTPS_MUTUAL, "192.0.2.7", &id, &v);
	CHECK("certificate profile over TLS",
	      r == AUTH_CERT && !auth_identity_valid(&id) && !v.user);
	r = auth_evaluate(&cert, 0, WSMAN_SECPROFILE_HTTPS_MUTUAL, "192.0.2.7", &id, &v);
	CHECK("certificate profile over HTTP refused", r == AUTH_REFUSED);
	r = auth_evaluate(&all, 1, WSMAN_SECPROFILE_HTTPS_MUTUAL, "192.0.2.7", &id, &v);
	CHECK("certificate profile refused when disabled", r == AUTH_REFUSED);
	r = auth_evaluate(&cert, 1, WSMAN_SECPROFILE_HTTPS_MUTUAL " x", "192.0.2.7", &id, &v);
	CHECK("certificate profile with a parameter refused", r == AUTH_REFUSED);

	r = auth_evaluate(&all, 1, "", "192.0.2.7", &id, &v);
	CHECK("empty Authorization is anonymous", r == AUTH_ANONYMOUS && !auth_identity_valid(&id));
	r = auth_evaluate(&all, 1, NULL, "192.0.2.7", &id, &v);
	CHECK("absent Authorization is anonymous",
	      r == AUTH_ANONYMOUS && !auth_identity_valid(&id));
	r = auth_evaluate(&all, 1, " \t ", "192.0.2.7", &id, &v);
	CHECK("blank Authorization is anonymous", r == AUTH_ANONYMOUS);
}

static struct ipc_auth_result ok_result(const char *user, uint32_t uid, uint8_t tok)
{
	struct ipc_auth_result res;

	memset(&res, 0, sizeof(res));
	res.status = IPC_AUTH_OK;
	res.user = (char *)user;
	res.uid = uid;
	res.is_admin = 1;
	memset(res.token, tok, sizeof(res.token));
	return res;
}

static void test_cache(void)
{
	struct auth_identity id;
	struct ipc_auth_password v;
	struct ipc_auth_result res = ok_result("bob", 1001, 0xab);
	enum auth_verdict r;
	uint8_t tok[IPC_TOKEN_LEN];

	memset(tok, 0xab, sizeof(tok));
	auth_set_clock(fake_clock);
	auth_cache_flush();

	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: first request asks PAM", r == AUTH_VERIFY);
	auth_complete(&v, &res, &id);
	verify_free(&v);
	CHECK("cache: complete OK fills the identity",
	      auth_identity_valid(&id) && strcmp(id.user, "bob") == 0 && id.uid == 1001 &&
		  id.is_admin == 1 && memcmp(id.token, tok, sizeof(tok)) == 0 && id.scheme &&
		  strcmp(id.scheme, "Basic") == 0);

	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: hit after OK", r == AUTH_ACCEPTED && auth_identity_valid(&id) &&
					 strcmp(id.user, "bob") == 0 && id.uid == 1001 &&
					 memcmp(id.token, tok, sizeof(tok)) == 0 && !v.user &&
					 !v.password);
	r = eval_cred(&basic_only, 1, ".\\bob:secret", &id, &v);
	CHECK("cache: .\\bob is the same entry", r == AUTH_ACCEPTED && auth_identity_valid(&id));
	r = eval_cred(&basic_only, 0, "bob:secret", &id, &v);
	CHECK("cache: no hit where Basic is refused",
	      r == AUTH_REFUSED && !auth_identity_valid(&id));

	r = eval_cred(&basic_only, 1, "bob:secreT", &id, &v);
	CHECK("cache: miss with another password", r == AUTH_VERIFY && !auth_identity_valid(&id));
	verify_free(&v);
	r = eval_cred(&basic_only, 1, "bo:bsecret", &id, &v);
	CHECK("cache: miss when the split moves", r == AUTH_VERIFY);
	verify_free(&v);

	CHECK("cache: auth_basic_cached sees the live entry",
	      cached(&basic_only, 1, "bob:secret") && cached(&basic_only, 1, ".\\bob:secret") &&
		  !cached(&basic_only, 1, "bob:secreT") && !cached(&basic_only, 0, "bob:secret") &&
		  cached(&basic_http, 0, "bob:secret"));
	CHECK("cache: auth_basic_cached of what is not Basic",
	      !auth_basic_cached(&basic_only, 1, "") &&
		  !auth_basic_cached(&basic_only, 1, "Negotiate Ym9iOnNlY3JldA==") &&
		  !auth_basic_cached(&basic_only, 1, "Basic !!"));

	/* Rechecked in the background once three quarters of its life are
	 * over: one recheck at a time, again after AUTH_RECHECK_RETRY_MS
	 * while the privileged part is busy, renewed by an OK. */
	fake_now += AUTH_RECHECK_AFTER_MS - 1;
	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: no recheck in the first three quarters", r == AUTH_ACCEPTED && !v.password);
	fake_now += 1;
	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: a recheck is due, and the request goes on",
	      r == AUTH_ACCEPTED_RECHECK && auth_identity_valid(&id) && v.user &&
		  strcmp(v.user, "bob") == 0 && v.password && strcmp(v.password, "secret") == 0);
	struct ipc_auth_password due = v;
	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: one recheck at a time", r == AUTH_ACCEPTED && !v.password);
	struct ipc_auth_result busy = {.status = IPC_AUTH_BUSY};
	auth_complete(&due, &busy, &id);
	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: a busy answer keeps the entry", r == AUTH_ACCEPTED);
	fake_now += AUTH_RECHECK_RETRY_MS;
	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: asked again after the retry interval", r == AUTH_ACCEPTED_RECHECK);
	verify_free(&v);
	auth_complete(&due, &res, &id);
	verify_free(&due);
	fake_now += AUTH_CACHE_TTL_MS - 1;
	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: an OK recheck renews the entry", r == AUTH_ACCEPTED_RECHECK);
	verify_free(&v);
	fake_now += 1;
	CHECK("cache: auth_basic_cached no more at expiry", !cached(&basic_only, 1, "bob:secret"));
	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: miss at expiry", r == AUTH_VERIFY && !auth_identity_valid(&id));

	auth_complete(&v, &res, &id);
	verify_free(&v);
	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: hit again after a new OK", r == AUTH_ACCEPTED);

	/* A failed check (say the password changed meanwhile) removes the
	 * entry of those credentials. */
	struct ipc_auth_password same = {.user = (char *)"bob", .password = (char *)"secret"};
	struct ipc_auth_result bad = {.status = IPC_AUTH_BAD_CREDENTIALS};
	auth_complete(&same, &bad, &id);
	CHECK("cache: failed check leaves the identity invalid", !auth_identity_valid(&id));
	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: miss after a failed check", r == AUTH_VERIFY);

	struct ipc_auth_result not_allowed = {.status = IPC_AUTH_NOT_ALLOWED,
					      .user = (char *)"bob"};
	auth_complete(&v, &not_allowed, &id);
	verify_free(&v);
	CHECK("cache: NOT_ALLOWED leaves the identity invalid", !auth_identity_valid(&id));
	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: NOT_ALLOWED is not cached", r == AUTH_VERIFY);
	verify_free(&v);

	/* OK: then flush. */
	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	auth_complete(&v, &res, &id);
	verify_free(&v);
	auth_cache_flush();
	r = eval_cred(&basic_only, 1, "bob:secret", &id, &v);
	CHECK("cache: miss after flush", r == AUTH_VERIFY);
	verify_free(&v);

	/* Many accounts: bounded, and the newest entries are found. */
	int recent_hits = 0;
	for (int i = 0; i < 3 * AUTH_CACHE_SIZE; i++) {
		char cred[64], user[32];
		snprintf(user, sizeof(user), "user%d", i);
		snprintf(cred, sizeof(cred), "%s:pw", user);
		r = eval_cred(&basic_only, 1, cred, &id, &v);
		struct ipc_auth_result ok = ok_result(user, (uint32_t)i, 1);
		auth_complete(&v, &ok, &id);
		verify_free(&v);
		fake_now++;
	}
	for (int i = 3 * AUTH_CACHE_SIZE - 4; i < 3 * AUTH_CACHE_SIZE; i++) {
		char cred[64];
		snprintf(cred, sizeof(cred), "user%d:pw", i);
		if (eval_cred(&basic_only, 1, cred, &id, &v) == AUTH_ACCEPTED && id.uid == (uid_t)i)
			recent_hits++;
		verify_free(&v);
	}
	CHECK("cache: the newest entries survive a flood", recent_hits == 4);

	/* The canonical name from the privileged part is the identity. */
	auth_cache_flush();
	r = eval_cred(&basic_only, 1, "BOB:secret", &id, &v);
	auth_complete(&v, &res, &id);
	verify_free(&v);
	CHECK("identity takes the canonical name",
	      auth_identity_valid(&id) && strcmp(id.user, "bob") == 0);
	struct ipc_auth_result nameless = ok_result(NULL, 1, 1);
	r = eval_cred(&basic_only, 1, "carol:pw", &id, &v);
	auth_complete(&v, &nameless, &id);
	verify_free(&v);
	CHECK("OK without a name is refused", !auth_identity_valid(&id));
	auth_set_clock(NULL);
	auth_cache_flush();
}

/* Only auth_identity_set makes an identity valid, and only from an OK
 * verdict naming an account; no default names one (a zeroed identity
 * would name root: OMIGOD). */
static void test_identity_marker(void)
{
	struct auth_identity id;
	struct ipc_auth_result res = ok_result("root", 0, 0x11);

	memset(&id, 0, sizeof(id));
	CHECK("a zeroed identity (uid 0) is invalid", !auth_identity_valid(&id));
	auth_identity_clear(&id);
	CHECK("a cleared identity names no uid",
	      !auth_identity_valid(&id) && id.uid == AUTH_NO_UID);
	auth_identity_set(&res, "Basic", &id);
	CHECK("root admitted by name is valid",
	      auth_identity_valid(&id) && id.uid == 0 && strcmp(id.user, "root") == 0);
	struct auth_identity copy = id;
	CHECK("a copy of a verified identity is valid", auth_identity_valid(&copy));
	copy.verified = 1;
	CHECK("a marker set by hand is not the verified one", !auth_identity_valid(&copy));
	res.user = "";
	auth_identity_set(&res, "Basic", &id);
	CHECK("OK with an empty name is no identity",
	      !auth_identity_valid(&id) && id.uid == AUTH_NO_UID);
	res = ok_result("bob", (uint32_t)AUTH_NO_UID, 0x11);
	auth_identity_set(&res, "Basic", &id);
	CHECK("OK for uid -1 is no identity", !auth_identity_valid(&id));
	res = ok_result("bob", 1001, 0x11);
	res.status = IPC_AUTH_BAD_CREDENTIALS;
	auth_identity_set(&res, "Basic", &id);
	CHECK("a refusal clears the identity", !auth_identity_valid(&id) && id.uid == AUTH_NO_UID);
}

static void test_challenges(void)
{
	const char *out[4];
	size_t n;
	struct auth_settings all = {.basic = 1, .negotiate = 1, .kerberos = 1};

	n = auth_challenges(&all, 1, out);
	CHECK("challenges: all over TLS in Windows' order",
	      n == 3 && strcmp(out[0], "Negotiate") == 0 && strcmp(out[1], "Kerberos") == 0 &&
		  strcmp(out[2], "Basic realm=\"WSMAN\"") == 0);
	n = auth_challenges(&all, 0, out);
	CHECK("challenges: no Basic over HTTP without AllowUnencrypted",
	      n == 2 && strcmp(out[0], "Negotiate") == 0 && strcmp(out[1], "Kerberos") == 0);
	all.allow_unencrypted = 1;
	n = auth_challenges(&all, 0, out);
	CHECK("challenges: Basic over HTTP with AllowUnencrypted",
	      n == 3 && strcmp(out[2], "Basic realm=\"WSMAN\"") == 0);
	n = auth_challenges(&basic_only, 1, out);
	CHECK("challenges: Basic only", n == 1 && strcmp(out[0], "Basic realm=\"WSMAN\"") == 0);
	struct auth_settings neg = {.negotiate = 1};
	n = auth_challenges(&neg, 0, out);
	CHECK("challenges: Negotiate only", n == 1 && strcmp(out[0], "Negotiate") == 0);
	struct auth_settings none = {0};
	CHECK("challenges: none", auth_challenges(&none, 1, out) == 0);
	struct auth_settings every = {.basic = 1, .negotiate = 1, .kerberos = 1, .credssp = 1};
	n = auth_challenges(&every, 1, out);
	CHECK("challenges: CredSSP last, after Basic",
	      n == 4 && strcmp(out[2], "Basic realm=\"WSMAN\"") == 0 &&
		  strcmp(out[3], "CredSSP") == 0);
}

int main(void)
{
	test_basic_parse();
	test_policy();
	test_cache();
	test_identity_marker();
	test_challenges();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
