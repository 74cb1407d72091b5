/* auth: the authentication decisions of the network process, per request:
 * which scheme a header names, Basic and its cache of verifications, the
 * token of a Negotiate/Kerberos leg (those schemes authenticate the
 * connection; net_gss.c keeps that state), certificate authentication
 * (net_cert.c). The identity a request runs as starts invalid and
 * becomes valid only through a successful verification (a PAM check in the
 * privileged part, or a hit in the cache of such checks); there is no
 * default identity (OMI ran unauthenticated requests as root, CVE-2021-38647,
 * because its caller's uid defaulted to 0). An identity names an account only
 * when auth_identity_valid says so: a zeroed one does not (its marker is
 * not AUTH_VERIFIED's value, which auth.c alone writes), nor a cleared one,
 * whose uid is AUTH_NO_UID. Every place that routes a request by its
 * identity (net/) checks that first.
 * Basic is per request: a later request without credentials on the same
 * connection is anonymous again. */
#ifndef OPENWINRM_AUTH_H
#define OPENWINRM_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/err.h"
#include "ipc/ipc_priv.h"

/* Successful verifications are remembered for this long, keyed by a salted
 * SHA-256 of user and password (never the password itself). */
#define AUTH_CACHE_TTL_MS 120000
#define AUTH_CACHE_SIZE 1024
/* An entry in use is checked again before it expires, in the background
 * (AUTH_ACCEPTED_RECHECK), once this much of its life has passed, and
 * again after AUTH_RECHECK_RETRY_MS while no answer renewed it (the
 * privileged part was busy): clients that send Basic on every request
 * then never meet an expired entry, and never all at once (issue 14's
 * load run: every account's entry expired together, and the checks that
 * followed, past Service/MaxConcurrentLogonsPerSource, were 503s). */
#define AUTH_RECHECK_AFTER_MS (AUTH_CACHE_TTL_MS * 3 / 4)
#define AUTH_RECHECK_RETRY_MS 5000
#define AUTH_KEY_LEN 32 /* SHA-256 */

/* The uid of no account ((uid_t)-1 is setreuid's "unchanged", never an
 * account's), held by an identity that names nobody, where 0 would name root. */
#define AUTH_NO_UID ((uid_t)-1)

struct auth_identity {
	/* AUTH_VERIFIED (auth.c) once auth_identity_set filled it from the
	 * privileged part's verdict; anything else, 0 included, is invalid. */
	uint32_t verified;
	char user[IPC_MAX_USER + 1];
	uid_t uid;
	int is_admin;
	uint8_t token[IPC_TOKEN_LEN]; /* for IPC_HOST_OPEN */
	const char *scheme;	      /* "Basic", "Negotiate", "Kerberos", "CredSSP" */
};

struct auth_settings {
	int basic;
	int negotiate;
	int kerberos;
	int certificate;
	int credssp;
	int allow_unencrypted;
};

enum auth_verdict {
	AUTH_ANONYMOUS, /* no Authorization: 401 with the challenge */
	AUTH_REFUSED, /* refused without asking PAM (scheme off, Basic over HTTP, Digest, malformed)
		       */
	AUTH_ACCEPTED,	       /* identity is valid (cache hit) */
	AUTH_ACCEPTED_RECHECK, /* as AUTH_ACCEPTED, and *verify is filled: the entry is due
				  to be checked again (auth_complete renews it) */
	AUTH_VERIFY,	       /* ask the privileged part: *verify is filled */
	AUTH_GSS,	       /* a Negotiate or Kerberos leg: see auth_gss_leg */
	AUTH_CERT,	       /* certificate authentication over TLS: the privileged part maps
				  the client's certificate (net_cert.c) */
	AUTH_CREDSSP,	       /* a CredSSP leg (net_credssp.c) */
};

/* Decides what an Authorization header means. over_tls: the listener is
 * HTTPS. On AUTH_VERIFY the caller sends verify to the privileged part and
 * later calls auth_complete with the result. */
enum auth_verdict auth_evaluate(const struct auth_settings *s, int over_tls,
				const char *authorization, const char *peer,
				struct auth_identity *id, struct ipc_auth_password *verify);
/* The cache's key of the credentials in verify (a salted SHA-256, equal
 * for equal credentials within this process): 0 on success. For telling
 * checks of the same credentials apart without comparing passwords. */
int auth_verify_key(const struct ipc_auth_password *verify, uint8_t key[AUTH_KEY_LEN]);
/* 1 if authorization is Basic credentials (usable here) that the cache
 * holds a live verification of: a request carrying them is as good as
 * authenticated already. No side effects: auth_evaluate decides. */
int auth_basic_cached(const struct auth_settings *s, int over_tls, const char *authorization);
/* The token of a Negotiate or Kerberos Authorization header, decoded into
 * leg->token (and leg->kerberos_only set); ERR_FORMAT if it is not base64
 * or empty. */
enum err auth_gss_leg(const char *authorization, struct ipc_auth_gss *leg);
/* An identity that names nobody (uid AUTH_NO_UID, not verified). */
void auth_identity_clear(struct auth_identity *id);
/* 1 if id names the account a verification admitted: filled by
 * auth_identity_set (or copied from one it filled), with a name and a uid. */
int auth_identity_valid(const struct auth_identity *id);
/* The identity in the privileged part's verdict r, when it admitted an
 * account with a usable name; else id is cleared. A Negotiate/Kerberos
 * handshake's lasts as long as the connection (the schemes authenticate
 * the connection, not the request). The one function that makes an
 * identity valid. */
void auth_identity_set(const struct ipc_auth_result *r, const char *scheme,
		       struct auth_identity *id);
/* Records a privileged verdict: fills id when OK and caches the success;
 * a refusal of the credentials (not a busy one) removes them from the
 * cache. */
void auth_complete(const struct ipc_auth_password *verify, const struct ipc_auth_result *r,
		   struct auth_identity *id);
/* The answer to a verdict of the privileged part other than OK or
 * CONTINUE: authenticated but in no allowed group is the w:AccessDenied
 * fault, as Windows answers after authentication; no capacity is 503;
 * everything else asks again (ERR_HTTP_UNAUTHORIZED: a 401). */
enum err auth_refusal(uint32_t status);
/* The WWW-Authenticate values for a 401, exactly the enabled schemes, in
 * Windows' order (Negotiate, Kerberos, Basic realm="WSMAN", CredSSP). */
size_t auth_challenges(const struct auth_settings *s, int over_tls, const char *out[4]);
/* Forgets every cached verification (on reload: settings may have changed). */
void auth_cache_flush(void);

#endif
