/* Fuzzes ntlm_negotiate_with_version, which reads the first Negotiate
 * token of every client before GSSAPI does: what it makes is the input
 * with 8 more bytes, the same head but the offsets, and a message it
 * would leave alone (it has its Version now). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acceptor/ntlm_negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = malloc(size + NTLM_VERSION_LEN), *again;
	size_t n;

	if (!out)
		return 0;
	n = ntlm_negotiate_with_version(data, size, out, size + NTLM_VERSION_LEN);
	if (n) {
		if (n != size + NTLM_VERSION_LEN || memcmp(out, data, 16) != 0 ||
		    memcmp(out + 40, data + 32, size - 32) != 0)
			abort();
		again = malloc(n + NTLM_VERSION_LEN);
		if (again && ntlm_negotiate_with_version(out, n, again, n + NTLM_VERSION_LEN) != 0)
			abort();
		free(again);
	}
	free(out);
	return 0;
}
