/* Fuzzes the CredSSP decoders (credssp/credssp.c): the first byte picks
 * the message (0: TSRequest, what a peer sends inside TLS; 1: the
 * TSCredentials a client seals into authInfo), the rest is the message.
 * Whatever decodes must encode back to exactly the same bytes: the
 * decoders refuse what is not DER (OpenSSL's own decoder would take BER),
 * so one message has one encoding. The seeds in fuzz/corpus/credssp/ are
 * the vectors of tests/unit/test_credssp.c, which say where each is from. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "credssp/credssp.h"

enum { FUZZ_TSREQUEST, FUZZ_TSCREDENTIALS };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out;
	int decoded = 0;

	if (size < 1)
		return 0;
	buf_init(&out, CREDSSP_MAX_TSREQUEST);
	if (data[0] == FUZZ_TSREQUEST) {
		struct credssp_tsrequest m;
		if (credssp_tsrequest_parse(data + 1, size - 1, &m) == ERR_OK) {
			decoded = 1;
			if (credssp_tsrequest_encode(&out, &m) != ERR_OK)
				abort();
			credssp_tsrequest_clear(&m);
		}
	} else if (data[0] == FUZZ_TSCREDENTIALS) {
		struct credssp_password_creds c;
		if (credssp_credentials_parse(data + 1, size - 1, &c) == ERR_OK) {
			decoded = 1;
			if (credssp_credentials_encode(&out, &c) != ERR_OK)
				abort();
			credssp_password_creds_clear(&c);
		}
	}
	if (decoded &&
	    (buf_len(&out) != size - 1 || memcmp(buf_ptr(&out), data + 1, size - 1) != 0))
		abort();
	buf_clear(&out);
	return 0;
}
