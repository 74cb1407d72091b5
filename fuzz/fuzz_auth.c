/* Fuzzes auth_evaluate, auth_complete and auth_basic_cached (which must
 * say yes exactly when auth_evaluate accepts from the cache). The first input byte picks the
 * settings, the transport and what the privileged part answers; the rest
 * is the Authorization value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/auth.h"
#include "common/util.h"

static void verify_free(struct ipc_auth_password *v)
{
	free(v->user);
	if (v->password)
		OPENSSL_cleanse(v->password, strlen(v->password));
	free(v->password);
	free(v->peer);
	free(v->scheme);
	memset(v, 0, sizeof(*v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char value[8192];
	struct auth_identity id;
	struct ipc_auth_password v;

	if (size == 0)
		return 0;
	uint8_t f = data[0];
	size_t n = size - 1 < sizeof(value) - 1 ? size - 1 : sizeof(value) - 1;
	memcpy(value, data + 1, n);
	value[n] = 0;
	struct auth_settings s = {.basic = f & 1,
				  .negotiate = f >> 1 & 1,
				  .kerberos = f >> 2 & 1,
				  .allow_unencrypted = f >> 3 & 1,
				  .certificate = f >> 5 & 1};
	int tls = f >> 4 & 1;

	const char *stripped = util_strip_local_domain(value);
	if (stripped < value || stripped > value + n)
		abort();
	const char *ch[4];
	if (auth_challenges(&s, tls, ch) > 3)
		abort();

	int cached = auth_basic_cached(&s, tls, value);
	enum auth_verdict r = auth_evaluate(&s, tls, value, "192.0.2.1", &id, &v);
	if (cached != (r == AUTH_ACCEPTED))
		abort();
	if (r == AUTH_GSS) {
		/* A Negotiate/Kerberos leg: its token, decoded, must fit an IPC
		 * message, and only an enabled scheme gets here. */
		struct ipc_auth_gss leg = {0};
		enum err e = auth_gss_leg(value, &leg);
		if ((e == ERR_OK) != (leg.token_len > 0) || leg.token_len > IPC_MAX_GSS_TOKEN ||
		    (leg.kerberos_only ? !s.kerberos : !s.negotiate))
			abort();
		ipc_auth_gss_clear(&leg);
	}
	if (r != AUTH_VERIFY) {
		if (v.user || v.password || (auth_identity_valid(&id) != (r == AUTH_ACCEPTED)))
			abort();
		return 0;
	}
	if (!s.basic || (!tls && !s.allow_unencrypted) || auth_identity_valid(&id) || !v.user ||
	    !*v.user || strlen(v.user) > IPC_MAX_USER || !v.password ||
	    strlen(v.password) > IPC_MAX_PASSWORD)
		abort();
	/* The privileged part says yes (then the same header is a hit) or no
	 * (then it must be asked again). */
	struct ipc_auth_result res = {.status = f & 0x20 ? IPC_AUTH_OK : IPC_AUTH_BAD_CREDENTIALS,
				      .user = v.user,
				      .uid = 1000};
	auth_complete(&v, &res, &id);
	verify_free(&v);
	cached = auth_basic_cached(&s, tls, value);
	r = auth_evaluate(&s, tls, value, "192.0.2.1", &id, &v);
	if (cached != (r == AUTH_ACCEPTED) ||
	    ((f & 0x20) ? r != AUTH_ACCEPTED || !auth_identity_valid(&id) : r != AUTH_VERIFY))
		abort();
	verify_free(&v);
	if (f & 0x40)
		auth_cache_flush();
	return 0;
}
