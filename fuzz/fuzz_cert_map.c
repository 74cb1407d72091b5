/* Fuzzes priv_cert_map, the privileged part's reading of a client's
 * certificate chain (DER certificates one after another, as IPC_AUTH_CERT
 * carries them): the input is the chain, against an entry that maps any
 * certificate of any issuer for any resource, so a parsed certificate goes
 * on to the names, the usage and the issuer lookup. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "priv/priv_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c = {
	    .ncertmappings = 1,
	    .certmappings = {{.issuer = (char *)"0123456789ABCDEF0123456789ABCDEF01234567",
			      .subject = (char *)"*",
			      .uri = (char *)"*",
			      .user_name = (char *)"nobody",
			      .enabled = 1}},
	};
	struct priv_cert_verdict v;
	const char *verdict = priv_cert_map(&c, NULL, data, size, "", &v);

	/* No issuer is known: nothing may be admitted. */
	if (!verdict || v.account[0] || !memchr(v.who, 0, sizeof(v.who)))
		abort();
	return 0;
}
