/* Fuzzes client_scheme_token and digest_challenge on the input as a NUL-terminated
 * WWW-Authenticate value, then digest_authorization on whatever it
 * accepted. A refused challenge must leave the previous one in place; an
 * accepted one must answer, and the answer's quoting must read back: its
 * realm, nonce and opaque parsed as a challenge are the ones accepted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

#define PREVIOUS "Digest realm=\"WSMAN\", nonce=\"previous\", qop=\"auth\""

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest_state d = {0}, back = {0};
	struct buf out;
	char *s = malloc(size + 1);
	int stale;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	/* The Negotiate/Kerberos reader of the same header: a token, if any,
	 * lies inside the value. */
	for (int k = 0; k < 2; k++) {
		const char *t = client_scheme_token(s, k ? "Kerberos" : "Negotiate");
		if (t && (t < s || t > s + strlen(s)))
			abort();
	}
	if (digest_challenge(&d, PREVIOUS, &stale) != ERR_OK)
		abort();
	if (digest_challenge(&d, s, &stale) != ERR_OK) {
		if (!same(d.nonce, "previous") || !same(d.realm, "WSMAN") || d.opaque || d.sha256 ||
		    !d.qop_auth)
			abort();
		goto out;
	}
	if (!d.realm || !d.nonce || strlen(d.realm) >= 1024 || strlen(d.nonce) >= 1024 ||
	    (d.opaque && strlen(d.opaque) >= 1024) || (stale != 0 && stale != 1) || d.nc != 0)
		abort();
	buf_init(&out, 1 << 16);
	for (int i = 1; i <= 2; i++) {
		buf_reset(&out);
		if (digest_authorization(&d, "DOMAIN\\us\"er", "pass word", "POST", "/wsman",
					 &out) != ERR_OK ||
		    d.nc != (uint32_t)i || buf_terminate(&out) != ERR_OK)
			abort();
	}
	if (digest_challenge(&back, (const char *)buf_ptr(&out), &stale) != ERR_OK ||
	    !same(back.realm, d.realm) || !same(back.nonce, d.nonce) ||
	    !same(back.opaque, d.opaque) || back.sha256 != d.sha256 ||
	    back.qop_auth != d.qop_auth || stale)
		abort();
	buf_clear(&out);
out:
	digest_clear(&back);
	digest_clear(&d);
	free(s);
	return 0;
}
