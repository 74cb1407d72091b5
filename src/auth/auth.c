/* auth: what an Authorization header means, for the network process.
 * Passwords are only ever checked by the privileged part; this file keeps
 * salted hashes of the ones it said yes to, so clients that send Basic on
 * every request (masterzen, python-requests) cost one PAM conversation per
 * AUTH_CACHE_TTL_MS instead of one per request. */
#include "auth/auth.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "common/util.h"
#include "wsman/wsman.h"

#define AUTH_SALT_LEN 32
/* Each key may live in one set of this many slots, so two busy accounts
 * rarely evict each other; the oldest entry of the set goes first. */
#define AUTH_CACHE_WAYS 4
_Static_assert(AUTH_CACHE_SIZE % AUTH_CACHE_WAYS == 0, "cache sets must divide the cache");
/* struct auth_identity's marker of a verified identity: neither 0 (zeroed
 * memory) nor 1 (a stray boolean), and written only by auth_identity_set. */
#define AUTH_VERIFIED 0x56e71f1du

struct cache_entry {
	uint8_t key[AUTH_KEY_LEN]; /* SHA-256(salt || user || 0 || password) */
	uint64_t expires_ms;	   /* 0: empty; at or before now: expired */
	uint64_t recheck_ms;	   /* when a request using it asks for a recheck */
	struct auth_identity id;
};

/* The network process is single-threaded; these belong to it alone. The
 * salt, random per process, rules out precomputed tables against a memory
 * dump; guessing one entry's password offline stays possible, which is why
 * entries expire and nothing here outlives the process. */
static struct cache_entry cache[AUTH_CACHE_SIZE];
static uint8_t salt[AUTH_SALT_LEN];
static EVP_MD *sha256;
static uint64_t (*auth_clock)(void) = util_now_ms;

/* Not in auth.h: only the unit test moves the clock, to check expiry
 * without waiting AUTH_CACHE_TTL_MS. NULL restores the monotonic clock. */
void auth_set_clock(uint64_t (*now_ms)(void));
void auth_set_clock(uint64_t (*now_ms)(void))
{
	auth_clock = now_ms ? now_ms : util_now_ms;
}

enum scheme {
	SCHEME_BASIC,
	SCHEME_NEGOTIATE,
	SCHEME_KERBEROS,
	SCHEME_NTLM,
	SCHEME_CREDSSP,
	SCHEME_DIGEST,
	SCHEME_CERTIFICATE,
	SCHEME_UNKNOWN,
};

static enum scheme scheme_of(const char *s, size_t n)
{
	static const struct {
		const char *name;
		enum scheme scheme;
	} schemes[] = {
	    {"Basic", SCHEME_BASIC},
	    {"Negotiate", SCHEME_NEGOTIATE},
	    {"Kerberos", SCHEME_KERBEROS},
	    {"NTLM", SCHEME_NTLM},
	    {"CredSSP", SCHEME_CREDSSP},
	    {"Digest", SCHEME_DIGEST},
	    /* §8.6: certificate authentication names its security profile,
	     * and the whole header is that URI. */
	    {WSMAN_SECPROFILE_HTTPS_MUTUAL, SCHEME_CERTIFICATE},
	};

	/* RFC 7235 2.1: the scheme is a case-insensitive token. */
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strlen(schemes[i].name) == n && strncasecmp(s, schemes[i].name, n) == 0)
			return schemes[i].scheme;
	return SCHEME_UNKNOWN;
}

/* 0 on success; on failure the caller goes without the cache. */
static int cache_key(const char *user, const char *password, uint8_t key[AUTH_KEY_LEN])
{
	static int salted;
	EVP_MD_CTX *ctx;
	int ok;

	if (!salted) {
		if (RAND_bytes(salt, sizeof(salt)) != 1)
			return -1;
		salted = 1;
	}
	/* Fetched once: an implicit fetch per digest costs a lock and a lookup. */
	if (!sha256 && !(sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)))
		return -1;
	if (!(ctx = EVP_MD_CTX_new()))
		return -1;
	/* The NUL keeps ("ab", "c") and ("a", "bc") apart. */
	ok = EVP_DigestInit_ex(ctx, sha256, NULL) == 1 &&
	     EVP_DigestUpdate(ctx, salt, sizeof(salt)) == 1 &&
	     EVP_DigestUpdate(ctx, user, strlen(user) + 1) == 1 &&
	     EVP_DigestUpdate(ctx, password, strlen(password)) == 1 &&
	     EVP_DigestFinal_ex(ctx, key, NULL) == 1;
	EVP_MD_CTX_free(ctx); /* wipes the digest state */
	return ok ? 0 : -1;
}

/* The slot holding key (*match = 1), or else the one to overwrite: the
 * empty, expired or oldest of its set. */
static struct cache_entry *cache_slot(const uint8_t key[AUTH_KEY_LEN], int *match)
{
	uint32_t h = (uint32_t)key[0] | (uint32_t)key[1] << 8 | (uint32_t)key[2] << 16 |
		     (uint32_t)key[3] << 24;
	struct cache_entry *set = &cache[h % (AUTH_CACHE_SIZE / AUTH_CACHE_WAYS) * AUTH_CACHE_WAYS];
	struct cache_entry *victim = &set[0];

	for (int i = 0; i < AUTH_CACHE_WAYS; i++) {
		if (set[i].expires_ms != 0 && util_ct_equal(set[i].key, key, AUTH_KEY_LEN)) {
			*match = 1;
			return &set[i];
		}
		if (set[i].expires_ms < victim->expires_ms)
			victim = &set[i];
	}
	*match = 0;
	return victim;
}

static void cache_entry_wipe(struct cache_entry *e)
{
	OPENSSL_cleanse(e, sizeof(*e));
}

/* The entry of (name, password), live or expired, or NULL. */
static struct cache_entry *cache_match(const char *name, const char *password)
{
	uint8_t key[AUTH_KEY_LEN];
	struct cache_entry *e = NULL;
	int match = 0;

	if (*name && cache_key(name, password, key) == 0)
		e = cache_slot(key, &match);
	OPENSSL_cleanse(key, sizeof(key));
	return match ? e : NULL;
}

/* Splits decoded "user:password" into NUL-terminated copies; 0 if usable.
 * The password may hold ':' (only the first one splits). */
static int basic_split(const char *b64, char user[IPC_MAX_USER + 1],
		       char password[IPC_MAX_PASSWORD + 1])
{
	struct buf dec;
	int ok = 0;

	buf_init(&dec, IPC_MAX_USER + 1 + IPC_MAX_PASSWORD);
	if (util_b64_decode(&dec, b64, strlen(b64)) == ERR_OK) {
		const uint8_t *d = buf_ptr(&dec);
		size_t n = buf_len(&dec);
		const uint8_t *colon = memchr(d, ':', n);
		size_t ulen = colon ? (size_t)(colon - d) : 0;
		/* A NUL would end the C string early: PAM would see another name. */
		if (colon && ulen > 0 && ulen <= IPC_MAX_USER && n - ulen - 1 <= IPC_MAX_PASSWORD &&
		    !memchr(d, 0, n)) {
			memcpy(user, d, ulen);
			user[ulen] = 0;
			memcpy(password, colon + 1, n - ulen - 1);
			password[n - ulen - 1] = 0;
			ok = 1;
		}
	}
	buf_clear(&dec);
	return ok;
}

/* The password leaves this file only here, in the request to the
 * privileged part (which the caller frees with ipc_auth_password_clear). */
static enum auth_verdict basic_verify(const char *user, const char *password, const char *peer,
				      struct ipc_auth_password *verify)
{
	verify->user = strdup(user);
	verify->peer = strndup(peer ? peer : "", IPC_MAX_PEER);
	verify->scheme = strdup("Basic");
	if (verify->user && verify->peer && verify->scheme)
		verify->password = strdup(password);
	if (!verify->password) {
		log_warnx("out of memory for a password check");
		free(verify->user);
		free(verify->peer);
		free(verify->scheme);
		memset(verify, 0, sizeof(*verify));
		return AUTH_REFUSED;
	}
	return AUTH_VERIFY;
}

static enum auth_verdict basic_evaluate(const char *b64, const char *peer, struct auth_identity *id,
					struct ipc_auth_password *verify)
{
	char user[IPC_MAX_USER + 1], password[IPC_MAX_PASSWORD + 1];
	enum auth_verdict v = AUTH_REFUSED;

	if (basic_split(b64, user, password)) {
		/* ".\bob" and "bob" are one account, and one cache entry. */
		const char *name = util_strip_local_domain(user);
		struct cache_entry *e = cache_match(name, password);

		uint64_t now = auth_clock();

		if (e && e->expires_ms > now) {
			*id = e->id;
			v = AUTH_ACCEPTED;
			if (now >= e->recheck_ms &&
			    basic_verify(name, password, peer, verify) == AUTH_VERIFY) {
				e->recheck_ms = now + AUTH_RECHECK_RETRY_MS;
				v = AUTH_ACCEPTED_RECHECK;
			}
		} else if (*name) {
			if (e)
				cache_entry_wipe(e);
			v = basic_verify(name, password, peer, verify);
		}
	}
	OPENSSL_cleanse(user, sizeof(user));
	OPENSSL_cleanse(password, sizeof(password));
	return v;
}

/* "Scheme param": the scheme and where its parameter starts. */
static enum scheme split_authorization(const char *authorization, const char **param)
{
	const char *a = authorization + strspn(authorization, " \t");
	size_t scheme_len = strcspn(a, " \t");

	*param = a + scheme_len + strspn(a + scheme_len, " \t");
	return scheme_of(a, scheme_len);
}

enum auth_verdict auth_evaluate(const struct auth_settings *s, int over_tls,
				const char *authorization, const char *peer,
				struct auth_identity *id, struct ipc_auth_password *verify)
{
	const char *a = authorization ? authorization : "";
	const char *param;

	/* Every request starts without an identity. */
	auth_identity_clear(id);
	memset(verify, 0, sizeof(*verify));
	if (!a[strspn(a, " \t")])
		return AUTH_ANONYMOUS;

	switch (split_authorization(a, &param)) {
	case SCHEME_BASIC:
		/* §1.6/§8.1: Windows never accepts Basic on plain HTTP while
		 * AllowUnencrypted is false: the password would cross in clear. */
		if (!s->basic || (!over_tls && !s->allow_unencrypted))
			return AUTH_REFUSED;
		return basic_evaluate(param, peer, id, verify);
	case SCHEME_NEGOTIATE:
		return s->negotiate && *param ? AUTH_GSS : AUTH_REFUSED;
	case SCHEME_KERBEROS:
		return s->kerberos && *param ? AUTH_GSS : AUTH_REFUSED;
	case SCHEME_CERTIFICATE:
		/* §8.6: HTTPS only, where the handshake proves the client
		 * holds the certificate's key. */
		return s->certificate && over_tls && !*param ? AUTH_CERT : AUTH_REFUSED;
	case SCHEME_CREDSSP:
		/* Over HTTP too: the CredSSP channel encrypts what follows. */
		return s->credssp && *param ? AUTH_CREDSSP : AUTH_REFUSED;
	case SCHEME_NTLM:
		/* Windows never offers the bare NTLM scheme; NTLM arrives
		 * under Negotiate. */
		return AUTH_REFUSED;
	case SCHEME_DIGEST:
		/* §8.7: the Windows service never offers nor accepts Digest. */
	default:
		return AUTH_REFUSED;
	}
}

int auth_verify_key(const struct ipc_auth_password *verify, uint8_t key[AUTH_KEY_LEN])
{
	return verify->user && verify->password ? cache_key(verify->user, verify->password, key)
						: -1;
}

int auth_basic_cached(const struct auth_settings *s, int over_tls, const char *authorization)
{
	char user[IPC_MAX_USER + 1], password[IPC_MAX_PASSWORD + 1];
	const char *param;
	int live = 0;

	if (s->basic && (over_tls || s->allow_unencrypted) &&
	    split_authorization(authorization, &param) == SCHEME_BASIC &&
	    basic_split(param, user, password)) {
		struct cache_entry *e = cache_match(util_strip_local_domain(user), password);
		live = e && e->expires_ms > auth_clock();
	}
	OPENSSL_cleanse(user, sizeof(user));
	OPENSSL_cleanse(password, sizeof(password));
	return live;
}

enum err auth_gss_leg(const char *authorization, struct ipc_auth_gss *leg)
{
	const char *param;
	struct buf dec;

	leg->kerberos_only = split_authorization(authorization, &param) == SCHEME_KERBEROS;
	size_t plen = strcspn(param, " \t");
	if (plen == 0 || param[plen] != 0)
		return ERR_FORMAT;
	buf_init(&dec, IPC_MAX_GSS_TOKEN);
	if (util_b64_decode(&dec, param, plen) != ERR_OK || buf_len(&dec) == 0 ||
	    !(leg->token = malloc(buf_len(&dec)))) {
		buf_clear(&dec);
		return ERR_FORMAT;
	}
	memcpy(leg->token, buf_ptr(&dec), buf_len(&dec));
	leg->token_len = buf_len(&dec);
	buf_clear(&dec);
	return ERR_OK;
}

void auth_identity_clear(struct auth_identity *id)
{
	OPENSSL_cleanse(id, sizeof(*id)); /* the token is a capability */
	id->uid = AUTH_NO_UID;
}

int auth_identity_valid(const struct auth_identity *id)
{
	return id->verified == AUTH_VERIFIED && id->uid != AUTH_NO_UID && id->user[0] != 0;
}

void auth_identity_set(const struct ipc_auth_result *r, const char *scheme,
		       struct auth_identity *id)
{
	auth_identity_clear(id);
	if (r->status != IPC_AUTH_OK || !r->user || !*r->user || strlen(r->user) > IPC_MAX_USER ||
	    (uid_t)r->uid == AUTH_NO_UID)
		return;
	id->verified = AUTH_VERIFIED;
	memcpy(id->user, r->user, strlen(r->user) + 1);
	id->uid = (uid_t)r->uid;
	id->is_admin = r->is_admin != 0;
	memcpy(id->token, r->token, sizeof(id->token));
	id->scheme = scheme;
}

void auth_complete(const struct ipc_auth_password *verify, const struct ipc_auth_result *r,
		   struct auth_identity *id)
{
	uint8_t key[AUTH_KEY_LEN];
	int have_key =
	    verify->user && verify->password && cache_key(verify->user, verify->password, key) == 0;
	int match = 0;
	struct cache_entry *e = have_key ? cache_slot(key, &match) : NULL;

	auth_identity_set(r, "Basic", id);
	if (auth_identity_valid(id)) {
		if (e) {
			memcpy(e->key, key, sizeof(key));
			e->id = *id;
			e->expires_ms = auth_clock() + AUTH_CACHE_TTL_MS;
			e->recheck_ms = auth_clock() + AUTH_RECHECK_AFTER_MS;
		}
	} else {
		if (r->status == IPC_AUTH_OK)
			log_warnx("password check passed without a usable account name: refused");
		/* A refused password (or a changed one, or an account removed
		 * from the allowed groups) must not live on in the cache; a
		 * busy privileged part said nothing about it. */
		if (match && r->status != IPC_AUTH_BUSY)
			cache_entry_wipe(e);
	}
	OPENSSL_cleanse(key, sizeof(key));
}

size_t auth_challenges(const struct auth_settings *s, int over_tls, const char *out[4])
{
	size_t n = 0;

	if (s->negotiate)
		out[n++] = "Negotiate";
	if (s->kerberos)
		out[n++] = "Kerberos";
	/* Offering Basic where auth_evaluate refuses it would only invite a
	 * password in clear. */
	if (s->basic && (over_tls || s->allow_unencrypted))
		out[n++] = "Basic realm=\"WSMAN\"";
	if (s->credssp)
		out[n++] = "CredSSP";
	return n;
}

void auth_cache_flush(void)
{
	OPENSSL_cleanse(cache, sizeof(cache));
}

enum err auth_refusal(uint32_t status)
{
	if (status == IPC_AUTH_NOT_ALLOWED)
		return ERR_WSMAN_ACCESS_DENIED;
	if (status == IPC_AUTH_BUSY)
		return ERR_HTTP_BUSY;
	return ERR_HTTP_UNAUTHORIZED;
}
