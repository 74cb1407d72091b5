/* test_credssp: the CredSSP codec and binding (credssp/, MS-CSSP): real
 * TSRequests decoded and encoded back byte for byte, TSCredentials with a
 * password outside ASCII, the refusals (truncated, trailing bytes, wrong
 * tags, BER that is not DER, bad versions and nonces, credType 2 and 6),
 * and the public-key binding against values computed apart from OpenSSL's
 * X509 code. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/buf.h"
#include "credssp/credssp.h"
#include "check.h"

/* ---- vectors ---- */

/* wallix/redemption, tests/core/RDP/nla/test_nla.cpp (TestNlaclient): the
 * TSRequests of its CredSSP client test, an NTLM exchange with a server
 * named WIN7. The client's NTLM NEGOTIATE (version 6)... */
static const uint8_t negotiate[] = {
    0x30, 0x37, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x30, 0x30, 0x2e, 0x30, 0x2c, 0xa0, 0x2a,
    0x04, 0x28, 0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00, 0xb7,
    0x82, 0x08, 0xe2, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x28, 0x00, 0x00, 0x00, 0x06, 0x01, 0xb1, 0x1d, 0x00, 0x00, 0x00, 0x0f,
};
/* ... the server's with the NTLM CHALLENGE (version 2, long-form lengths)... */
static const uint8_t challenge[] = {
    0x30, 0x81, 0x88, 0xa0, 0x03, 0x02, 0x01, 0x02, 0xa1, 0x81, 0x80, 0x30, 0x7e, 0x30, 0x7c, 0xa0,
    0x7a, 0x04, 0x78, 0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0xb7, 0x82, 0x08, 0xe2, 0xb8, 0x6c, 0xda, 0xa6, 0xf0,
    0xf6, 0x30, 0x8d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x40, 0x00, 0x38,
    0x00, 0x00, 0x00, 0x05, 0x01, 0x28, 0x0a, 0x00, 0x00, 0x00, 0x0f, 0x01, 0x00, 0x08, 0x00, 0x57,
    0x00, 0x49, 0x00, 0x4e, 0x00, 0x37, 0x00, 0x02, 0x00, 0x08, 0x00, 0x57, 0x00, 0x49, 0x00, 0x4e,
    0x00, 0x37, 0x00, 0x03, 0x00, 0x08, 0x00, 0x77, 0x00, 0x69, 0x00, 0x6e, 0x00, 0x37, 0x00, 0x04,
    0x00, 0x08, 0x00, 0x77, 0x00, 0x69, 0x00, 0x6e, 0x00, 0x37, 0x00, 0x07, 0x00, 0x08, 0x00, 0x67,
    0x95, 0x0e, 0x5a, 0x4e, 0x56, 0x76, 0xd6, 0x00, 0x00, 0x00, 0x00,
};
/* ... the client's NTLM AUTHENTICATE with pubKeyAuth (two-byte lengths)... */
static const uint8_t authenticate[] = {
    0x30, 0x82, 0x01, 0x59, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x82, 0x01, 0x2c, 0x30, 0x82, 0x01,
    0x28, 0x30, 0x82, 0x01, 0x24, 0xa0, 0x82, 0x01, 0x20, 0x04, 0x82, 0x01, 0x1c, 0x4e, 0x54, 0x4c,
    0x4d, 0x53, 0x53, 0x50, 0x00, 0x03, 0x00, 0x00, 0x00, 0x18, 0x00, 0x18, 0x00, 0x58, 0x00, 0x00,
    0x00, 0x70, 0x00, 0x70, 0x00, 0x70, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x0e, 0x00, 0xe0, 0x00, 0x00,
    0x00, 0x0c, 0x00, 0x0c, 0x00, 0xee, 0x00, 0x00, 0x00, 0x12, 0x00, 0x12, 0x00, 0xfa, 0x00, 0x00,
    0x00, 0x10, 0x00, 0x10, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x35, 0xa2, 0x88, 0xe2, 0x06, 0x01, 0xb1,
    0x1d, 0x00, 0x00, 0x00, 0x0f, 0x9d, 0x98, 0xe1, 0x30, 0xdc, 0x7a, 0xce, 0x81, 0xa9, 0x7a, 0x11,
    0x14, 0x7d, 0x5d, 0x73, 0xd0, 0x34, 0xbe, 0xb5, 0x6e, 0xce, 0xec, 0x0a, 0x50, 0x2d, 0x29, 0x63,
    0x7f, 0xcc, 0x5e, 0xe7, 0x18, 0xb8, 0x6c, 0xda, 0xa6, 0xf0, 0xf6, 0x30, 0x8d, 0xa6, 0x41, 0xcc,
    0x7a, 0x52, 0x8e, 0x7a, 0xb3, 0x06, 0x7d, 0x0b, 0xe0, 0x00, 0xd5, 0xf6, 0x13, 0x01, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x67, 0x95, 0x0e, 0x5a, 0x4e, 0x56, 0x76, 0xd6, 0xb8, 0x6c, 0xda,
    0xa6, 0xf0, 0xf6, 0x30, 0x8d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x57, 0x00, 0x49,
    0x00, 0x4e, 0x00, 0x37, 0x00, 0x02, 0x00, 0x08, 0x00, 0x57, 0x00, 0x49, 0x00, 0x4e, 0x00, 0x37,
    0x00, 0x03, 0x00, 0x08, 0x00, 0x77, 0x00, 0x69, 0x00, 0x6e, 0x00, 0x37, 0x00, 0x04, 0x00, 0x08,
    0x00, 0x77, 0x00, 0x69, 0x00, 0x6e, 0x00, 0x37, 0x00, 0x07, 0x00, 0x08, 0x00, 0x67, 0x95, 0x0e,
    0x5a, 0x4e, 0x56, 0x76, 0xd6, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x49, 0x00, 0x74,
    0x00, 0x68, 0x00, 0x61, 0x00, 0x71, 0x00, 0x75, 0x00, 0x65, 0x00, 0x55, 0x00, 0x6c, 0x00, 0x79,
    0x00, 0x73, 0x00, 0x73, 0x00, 0x65, 0x00, 0x54, 0x00, 0xe9, 0x00, 0x6c, 0x00, 0xe9, 0x00, 0x6d,
    0x00, 0x61, 0x00, 0x71, 0x00, 0x75, 0x00, 0x65, 0x00, 0x44, 0xbc, 0x4d, 0x7a, 0x13, 0x3f, 0x6b,
    0x81, 0xdb, 0x1d, 0x2b, 0x7b, 0xbf, 0x1e, 0x18, 0x0f, 0xa3, 0x22, 0x04, 0x20, 0x01, 0x00, 0x00,
    0x00, 0x89, 0xe2, 0xda, 0x48, 0x17, 0x29, 0xb5, 0x08, 0x00, 0x00, 0x00, 0x00, 0x20, 0x59, 0x27,
    0x3f, 0x08, 0xd0, 0xc2, 0xe4, 0x75, 0x66, 0x10, 0x49, 0x7b, 0xbd, 0x8d, 0xf7,
};
/* ... the server's pubKeyAuth answer... */
static const uint8_t server_pub_key_auth[] = {
    0x30, 0x29, 0xa0, 0x03, 0x02, 0x01, 0x02, 0xa3, 0x22, 0x04, 0x20, 0x01, 0x00, 0x00, 0x00,
    0xa2, 0xe0, 0x5b, 0x50, 0x97, 0x8e, 0x99, 0x27, 0x00, 0x00, 0x00, 0x00, 0xdc, 0xa7, 0x0b,
    0xfe, 0x37, 0x45, 0x3d, 0x1b, 0x05, 0x15, 0xce, 0x56, 0x0a, 0x54, 0xa1, 0xf1,
};
/* ... and the client's sealed TSCredentials in authInfo. */
static const uint8_t auth_info[] = {
    0x30, 0x5c, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa2, 0x55, 0x04, 0x53, 0x01, 0x00, 0x00, 0x00, 0xaf,
    0xad, 0x46, 0x2a, 0x6a, 0x9d, 0xf7, 0x88, 0x01, 0x00, 0x00, 0x00, 0xd5, 0x4f, 0xc8, 0xd0, 0xbd,
    0x89, 0x60, 0xe0, 0x71, 0x60, 0x31, 0x7a, 0xcc, 0xec, 0xc5, 0xbf, 0x23, 0x4b, 0xe5, 0xf9, 0xa5,
    0x8c, 0x21, 0x66, 0xa6, 0x78, 0xda, 0xd1, 0xbd, 0xef, 0xa4, 0xfd, 0x47, 0xa6, 0xf1, 0x56, 0xa5,
    0xd9, 0x52, 0x72, 0x92, 0xfa, 0x41, 0xa5, 0xb4, 0x9d, 0x94, 0xfb, 0x0e, 0xe2, 0x61, 0xba, 0xfc,
    0xd5, 0xf3, 0xa7, 0xb5, 0x33, 0xd5, 0x62, 0x8d, 0x93, 0x18, 0x54, 0x39, 0x8a, 0xe7,
};
/* MS-CSSP section 4, step 9 (v20240423): the specification's own sample
 * TSCredentials, a smart card's (credType 2). */
static const uint8_t smart_card_creds[] = {
    0x30, 0x82, 0x01, 0x0f, 0xa0, 0x03, 0x02, 0x01, 0x02, 0xa1, 0x82, 0x01, 0x06, 0x04, 0x82, 0x01,
    0x02, 0x30, 0x81, 0xff, 0xa0, 0x1a, 0x04, 0x18, 0x62, 0x00, 0x62, 0x00, 0x62, 0x00, 0x62, 0x00,
    0x62, 0x00, 0x62, 0x00, 0x62, 0x00, 0x62, 0x00, 0x62, 0x00, 0x62, 0x00, 0x62, 0x00, 0x62, 0x00,
    0xa1, 0x81, 0xe0, 0x30, 0x81, 0xdd, 0xa0, 0x03, 0x02, 0x01, 0x01, 0xa2, 0x2e, 0x04, 0x2c, 0x4f,
    0x00, 0x4d, 0x00, 0x4e, 0x00, 0x49, 0x00, 0x4b, 0x00, 0x45, 0x00, 0x59, 0x00, 0x20, 0x00, 0x43,
    0x00, 0x61, 0x00, 0x72, 0x00, 0x64, 0x00, 0x4d, 0x00, 0x61, 0x00, 0x6e, 0x00, 0x20, 0x00, 0x33,
    0x00, 0x78, 0x00, 0x32, 0x00, 0x31, 0x00, 0x20, 0x00, 0x30, 0x00, 0xa3, 0x50, 0x04, 0x4e, 0x6c,
    0x00, 0x65, 0x00, 0x2d, 0x00, 0x4d, 0x00, 0x53, 0x00, 0x53, 0x00, 0x6d, 0x00, 0x61, 0x00, 0x72,
    0x00, 0x74, 0x00, 0x63, 0x00, 0x61, 0x00, 0x72, 0x00, 0x64, 0x00, 0x55, 0x00, 0x73, 0x00, 0x65,
    0x00, 0x72, 0x00, 0x2d, 0x00, 0x38, 0x00, 0x62, 0x00, 0x64, 0x00, 0x61, 0x00, 0x30, 0x00, 0x31,
    0x00, 0x39, 0x00, 0x66, 0x00, 0x2d, 0x00, 0x31, 0x00, 0x32, 0x00, 0x36, 0x00, 0x36, 0x00, 0x2d,
    0x00, 0x2d, 0x00, 0x35, 0x00, 0x33, 0x00, 0x32, 0x00, 0x36, 0x00, 0x38, 0x00, 0xa4, 0x54, 0x04,
    0x52, 0x4d, 0x00, 0x69, 0x00, 0x63, 0x00, 0x72, 0x00, 0x6f, 0x00, 0x73, 0x00, 0x6f, 0x00, 0x66,
    0x00, 0x74, 0x00, 0x20, 0x00, 0x42, 0x00, 0x61, 0x00, 0x73, 0x00, 0x65, 0x00, 0x20, 0x00, 0x53,
    0x00, 0x6d, 0x00, 0x61, 0x00, 0x72, 0x00, 0x74, 0x00, 0x20, 0x00, 0x43, 0x00, 0x61, 0x00, 0x72,
    0x00, 0x64, 0x00, 0x20, 0x00, 0x43, 0x00, 0x72, 0x00, 0x79, 0x00, 0x70, 0x00, 0x74, 0x00, 0x6f,
    0x00, 0x20, 0x00, 0x50, 0x00, 0x72, 0x00, 0x6f, 0x00, 0x76, 0x00, 0x69, 0x00, 0x64, 0x00, 0x65,
    0x00, 0x72, 0x00,
};
/* Made once with a DER writer of a few lines in /usr/bin/python3 and
 * str.encode("utf-16-le"), not with OpenSSL: TSCredentials of credType 1
 * for domain "Ithaque", user "Ulysse", password "P\u00e9n\u00e9lope\U0001F600"
 * (an astral character: a surrogate pair in UTF-16)... */
static const uint8_t password_creds[] = {
    0x30, 0x45, 0xa0, 0x03, 0x02, 0x01, 0x01, 0xa1, 0x3e, 0x04, 0x3c, 0x30, 0x3a, 0xa0, 0x10,
    0x04, 0x0e, 0x49, 0x00, 0x74, 0x00, 0x68, 0x00, 0x61, 0x00, 0x71, 0x00, 0x75, 0x00, 0x65,
    0x00, 0xa1, 0x0e, 0x04, 0x0c, 0x55, 0x00, 0x6c, 0x00, 0x79, 0x00, 0x73, 0x00, 0x73, 0x00,
    0x65, 0x00, 0xa2, 0x16, 0x04, 0x14, 0x50, 0x00, 0xe9, 0x00, 0x6e, 0x00, 0xe9, 0x00, 0x6c,
    0x00, 0x6f, 0x00, 0x70, 0x00, 0x65, 0x00, 0x3d, 0xd8, 0x00, 0xde,
};
/* ... a version 6 TSRequest with an NTLM AUTHENTICATE header as token,
 * pubKeyAuth 0x40..0x5f and clientNonce 0x00..0x1f... */
static const uint8_t v6_pub_key_auth[] = {
    0x30, 0x63, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x14, 0x30, 0x12, 0x30, 0x10, 0xa0, 0x0e,
    0x04, 0x0c, 0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x03, 0x00, 0x00, 0x00, 0xa3,
    0x22, 0x04, 0x20, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b,
    0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a,
    0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0xa5, 0x22, 0x04, 0x20, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
    0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
    0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};
/* ... and a server's errorCode STATUS_LOGON_FAILURE, 0xC000006D, as the
 * signed 32-bit INTEGER Windows writes. */
static const uint8_t logon_failure[] = {
    0x30, 0x0d, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa4, 0x06, 0x02, 0x04, 0xc0, 0x00, 0x00, 0x6d,
};

/* ---- TSRequest ---- */

/* Decodes v, checks it encodes back to exactly v; the decoded message in
 * *m (to clear) when both hold. */
static int round_trip(const uint8_t *v, size_t n, struct credssp_tsrequest *m)
{
	struct buf b;
	int same;

	if (credssp_tsrequest_parse(v, n, m) != ERR_OK)
		return 0;
	buf_init(&b, CREDSSP_MAX_TSREQUEST);
	same = credssp_tsrequest_encode(&b, m) == ERR_OK && buf_len(&b) == n &&
	       memcmp(buf_ptr(&b), v, n) == 0;
	buf_clear(&b);
	if (!same)
		credssp_tsrequest_clear(m);
	return same;
}

static int starts_with_ntlm(const uint8_t *token, size_t len, uint8_t message_type)
{
	return len >= 12 && memcmp(token, "NTLMSSP\0", 8) == 0 && token[8] == message_type;
}

static void test_tsrequest_vectors(void)
{
	struct credssp_tsrequest m;

	CHECK("NEGOTIATE: decodes and encodes back byte for byte",
	      round_trip(negotiate, sizeof(negotiate), &m));
	CHECK("NEGOTIATE: version 6, one NTLM NEGOTIATE token, nothing else",
	      m.version == 6 && m.nego_token_len == 0x28 &&
		  starts_with_ntlm(m.nego_token, m.nego_token_len, 1) && !m.auth_info &&
		  !m.pub_key_auth && !m.has_error_code && !m.has_client_nonce);
	credssp_tsrequest_clear(&m);
	CHECK("clear zeroes", !m.nego_token && m.version == 0);

	CHECK("CHALLENGE: decodes and encodes back", round_trip(challenge, sizeof(challenge), &m));
	CHECK("CHALLENGE: version 2, the NTLM CHALLENGE",
	      m.version == 2 && m.nego_token_len == 0x78 &&
		  starts_with_ntlm(m.nego_token, m.nego_token_len, 2));
	credssp_tsrequest_clear(&m);

	CHECK("AUTHENTICATE: decodes and encodes back",
	      round_trip(authenticate, sizeof(authenticate), &m));
	CHECK("AUTHENTICATE: the NTLM AUTHENTICATE and a 32-byte pubKeyAuth",
	      m.version == 6 && m.nego_token_len == 0x11c &&
		  starts_with_ntlm(m.nego_token, m.nego_token_len, 3) && m.pub_key_auth_len == 32 &&
		  memcmp(m.pub_key_auth, "\x01\0\0\0", 4) == 0 && !m.auth_info);
	credssp_tsrequest_clear(&m);

	CHECK("server pubKeyAuth: decodes and encodes back",
	      round_trip(server_pub_key_auth, sizeof(server_pub_key_auth), &m));
	CHECK("server pubKeyAuth: version 2, no token",
	      m.version == 2 && !m.nego_token && m.pub_key_auth_len == 32);
	credssp_tsrequest_clear(&m);

	CHECK("authInfo: decodes and encodes back", round_trip(auth_info, sizeof(auth_info), &m));
	CHECK("authInfo: 0x53 sealed bytes",
	      m.version == 6 && m.auth_info_len == 0x53 && !m.nego_token && !m.pub_key_auth);
	credssp_tsrequest_clear(&m);

	CHECK("v6 with clientNonce: decodes and encodes back",
	      round_trip(v6_pub_key_auth, sizeof(v6_pub_key_auth), &m));
	int nonce_ok = m.has_client_nonce;
	for (int i = 0; i < CREDSSP_NONCE_LEN; i++)
		nonce_ok = nonce_ok && m.client_nonce[i] == i;
	CHECK("v6 with clientNonce: the nonce and pubKeyAuth",
	      nonce_ok && m.pub_key_auth_len == 32 && m.pub_key_auth[0] == 0x40 &&
		  m.pub_key_auth[31] == 0x5f &&
		  starts_with_ntlm(m.nego_token, m.nego_token_len, 3));
	credssp_tsrequest_clear(&m);

	CHECK("errorCode: decodes and encodes back",
	      round_trip(logon_failure, sizeof(logon_failure), &m));
	CHECK("errorCode: the NTSTATUS 0xC000006D",
	      m.has_error_code && m.error_code == 0xC000006Du && !m.nego_token);
	credssp_tsrequest_clear(&m);
}

/* The encoder on its own, from fields rather than from a decode. */
static void test_tsrequest_encode(void)
{
	struct buf b;

	buf_init(&b, CREDSSP_MAX_TSREQUEST);
	struct credssp_tsrequest m = {.version = 6,
				      .nego_token = (uint8_t *)negotiate + 17,
				      .nego_token_len = sizeof(negotiate) - 17};
	CHECK("encode: the NEGOTIATE from its token",
	      credssp_tsrequest_encode(&b, &m) == ERR_OK && buf_len(&b) == sizeof(negotiate) &&
		  memcmp(buf_ptr(&b), negotiate, sizeof(negotiate)) == 0);

	buf_reset(&b);
	struct credssp_tsrequest e = {.version = 6, .has_error_code = 1, .error_code = 0xC000006D};
	CHECK("encode: errorCode as a signed 32-bit INTEGER",
	      credssp_tsrequest_encode(&b, &e) == ERR_OK && buf_len(&b) == sizeof(logon_failure) &&
		  memcmp(buf_ptr(&b), logon_failure, sizeof(logon_failure)) == 0);

	buf_reset(&b);
	m.version = 1;
	CHECK("encode: version 1 refused", credssp_tsrequest_encode(&b, &m) == ERR_USAGE);
	m.version = 6;
	m.nego_token_len = 0;
	CHECK("encode: a present empty token refused",
	      credssp_tsrequest_encode(&b, &m) == ERR_USAGE && buf_len(&b) == 0);

	struct buf small;
	buf_init(&small, 10);
	CHECK("encode: over the buffer's maximum",
	      credssp_tsrequest_encode(&small, &e) == ERR_LIMIT);
	buf_clear(&small);
	buf_clear(&b);
}

static enum err parse_only(const uint8_t *v, size_t n)
{
	struct credssp_tsrequest m;
	enum err e = credssp_tsrequest_parse(v, n, &m);

	if (e == ERR_OK)
		credssp_tsrequest_clear(&m);
	return e;
}

#define PARSE(v) parse_only(v, sizeof(v))

/* A version 6 TSRequest whose clientNonce has n bytes (n < 100). */
static size_t with_nonce(uint8_t *out, size_t n)
{
	static const uint8_t head[] = {0xa0, 0x03, 0x02, 0x01, 0x06};

	out[0] = 0x30, out[1] = (uint8_t)(sizeof(head) + 4 + n);
	memcpy(out + 2, head, sizeof(head));
	out[7] = 0xa5, out[8] = (uint8_t)(2 + n), out[9] = 0x04, out[10] = (uint8_t)n;
	memset(out + 11, 0x5a, n);
	return 11 + n;
}

static void test_tsrequest_refusals(void)
{
	uint8_t v[400];
	size_t n;
	int all = 1;

	for (size_t i = 0; i < sizeof(authenticate); i++)
		all = all && parse_only(authenticate, i) == ERR_FORMAT;
	CHECK("every truncation of AUTHENTICATE refused", all);
	memcpy(v, negotiate, sizeof(negotiate));
	v[sizeof(negotiate)] = 0;
	CHECK("a trailing byte refused", parse_only(v, sizeof(negotiate) + 1) == ERR_FORMAT);
	CHECK("a refusal leaves no error on OpenSSL's queue", ERR_peek_error() == 0);

	static const uint8_t set[] = {0x31, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x06};
	static const uint8_t version_tag[] = {0x30, 0x05, 0xa1, 0x03, 0x02, 0x01, 0x06};
	static const uint8_t implicit[] = {0x30, 0x03, 0x80, 0x01, 0x06};
	static const uint8_t utf8_token[] = {0x30, 0x10, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x09,
					     0x30, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0c, 0x01, 0x41};
	static const uint8_t unknown_field[] = {0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01,
						0x06, 0xa6, 0x03, 0x02, 0x01, 0x00};
	static const uint8_t out_of_order[] = {0x30, 0x12, 0xa0, 0x03, 0x02, 0x01, 0x06,
					       0xa3, 0x02, 0x04, 0x00, 0xa1, 0x07, 0x30,
					       0x05, 0x30, 0x03, 0xa0, 0x01, 0x41};
	CHECK("a SET for the SEQUENCE refused", PARSE(set) == ERR_FORMAT);
	CHECK("version under [1] refused", PARSE(version_tag) == ERR_FORMAT);
	CHECK("an IMPLICIT version refused", PARSE(implicit) == ERR_FORMAT);
	CHECK("a UTF8String token refused", PARSE(utf8_token) == ERR_FORMAT);
	CHECK("an unknown field [6] refused", PARSE(unknown_field) == ERR_FORMAT);
	CHECK("fields out of order refused", PARSE(out_of_order) == ERR_FORMAT);

	/* BER that OpenSSL's decoder takes, and DER does not allow. */
	static const uint8_t long_form[] = {0x30, 0x81, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x06};
	static const uint8_t indefinite[] = {0x30, 0x80, 0xa0, 0x03, 0x02, 0x01, 0x06, 0x00, 0x00};
	static const uint8_t primitive_key[] = {0x30, 0x0b, 0xa0, 0x03, 0x02, 0x01, 0x06,
						0xa3, 0x04, 0x04, 0x02, 0x41, 0x42};
	static const uint8_t constructed_key[] = {0x30, 0x0d, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa3,
						  0x06, 0x24, 0x04, 0x04, 0x02, 0x41, 0x42};
	static const uint8_t padded_version[] = {0x30, 0x06, 0xa0, 0x04, 0x02, 0x02, 0x00, 0x06};
	CHECK("a non-minimal length refused", PARSE(long_form) == ERR_FORMAT);
	CHECK("an indefinite length refused", PARSE(indefinite) == ERR_FORMAT);
	CHECK("control: a primitive pubKeyAuth accepted", PARSE(primitive_key) == ERR_OK);
	CHECK("a constructed pubKeyAuth refused", PARSE(constructed_key) == ERR_FORMAT);
	CHECK("a zero-padded version refused", PARSE(padded_version) == ERR_FORMAT);

	static const uint8_t version1[] = {0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x01};
	static const uint8_t negative[] = {0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0xff};
	static const uint8_t huge[] = {0x30, 0x09, 0xa0, 0x07, 0x02, 0x05,
				       0x01, 0x00, 0x00, 0x00, 0x00};
	static const uint8_t largest[] = {0x30, 0x09, 0xa0, 0x07, 0x02, 0x05,
					  0x00, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t version7[] = {0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x07};
	CHECK("version 1 refused", PARSE(version1) == ERR_FORMAT);
	CHECK("a negative version refused", PARSE(negative) == ERR_FORMAT);
	CHECK("a version over 32 bits refused", PARSE(huge) == ERR_FORMAT);
	CHECK("version 0xffffffff accepted", PARSE(largest) == ERR_OK);
	struct credssp_tsrequest m;
	CHECK("a newer peer's version 7 accepted as is",
	      round_trip(version7, sizeof(version7), &m) && m.version == 7);
	credssp_tsrequest_clear(&m);

	static const uint8_t positive_status[] = {0x30, 0x0e, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa4,
						  0x07, 0x02, 0x05, 0x00, 0xc0, 0x00, 0x00, 0x6d};
	CHECK("an errorCode over 32 signed bits refused", PARSE(positive_status) == ERR_FORMAT);

	n = with_nonce(v, CREDSSP_NONCE_LEN);
	CHECK("control: a 32-byte nonce accepted", parse_only(v, n) == ERR_OK);
	n = with_nonce(v, CREDSSP_NONCE_LEN - 1);
	CHECK("a 31-byte nonce refused", parse_only(v, n) == ERR_FORMAT);
	n = with_nonce(v, CREDSSP_NONCE_LEN + 1);
	CHECK("a 33-byte nonce refused", parse_only(v, n) == ERR_FORMAT);

	static const uint8_t one_token[] = {0x30, 0x10, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x09,
					    0x30, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x04, 0x01, 0x41};
	static const uint8_t two_tokens[] = {0x30, 0x17, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x10,
					     0x30, 0x0e, 0x30, 0x05, 0xa0, 0x03, 0x04, 0x01, 0x41,
					     0x30, 0x05, 0xa0, 0x03, 0x04, 0x01, 0x42};
	static const uint8_t no_token[] = {0x30, 0x09, 0xa0, 0x03, 0x02, 0x01,
					   0x06, 0xa1, 0x02, 0x30, 0x00};
	static const uint8_t empty_token[] = {0x30, 0x0f, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x08,
					      0x30, 0x06, 0x30, 0x04, 0xa0, 0x02, 0x04, 0x00};
	static const uint8_t empty_key[] = {0x30, 0x09, 0xa0, 0x03, 0x02, 0x01,
					    0x06, 0xa3, 0x02, 0x04, 0x00};
	CHECK("control: one negoToken accepted", PARSE(one_token) == ERR_OK);
	CHECK("two negoTokens refused", PARSE(two_tokens) == ERR_FORMAT);
	CHECK("an empty NegoData refused", PARSE(no_token) == ERR_FORMAT);
	CHECK("an empty negoToken refused", PARSE(empty_token) == ERR_FORMAT);
	CHECK("an empty pubKeyAuth refused", PARSE(empty_key) == ERR_FORMAT);

	uint8_t *big = calloc(1, CREDSSP_MAX_TSREQUEST + 1);
	CHECK("over CREDSSP_MAX_TSREQUEST refused",
	      big && parse_only(big, CREDSSP_MAX_TSREQUEST + 1) == ERR_LIMIT);
	free(big);
}

/* ---- TSCredentials ---- */

static void test_credentials(void)
{
	static const char password[] = "P\xc3\xa9n\xc3\xa9lope\xf0\x9f\x98\x80";
	struct credssp_password_creds c;
	struct buf b;

	CHECK("password creds: decode",
	      credssp_credentials_parse(password_creds, sizeof(password_creds), &c) == ERR_OK);
	CHECK("password creds: the three strings as UTF-8",
	      c.domain && strcmp(c.domain, "Ithaque") == 0 && c.user &&
		  strcmp(c.user, "Ulysse") == 0 && c.password && strcmp(c.password, password) == 0);
	credssp_password_creds_clear(&c);
	CHECK("password creds: clear zeroes", !c.domain && !c.user && !c.password);

	struct credssp_password_creds in = {
	    .domain = (char *)"Ithaque", .user = (char *)"Ulysse", .password = (char *)password};
	buf_init(&b, CREDSSP_MAX_CREDENTIALS);
	CHECK("password creds: encode gives the independent DER",
	      credssp_credentials_encode(&b, &in) == ERR_OK &&
		  buf_len(&b) == sizeof(password_creds) &&
		  memcmp(buf_ptr(&b), password_creds, sizeof(password_creds)) == 0);

	struct credssp_password_creds empty = {
	    .domain = (char *)"", .user = (char *)"u", .password = (char *)""};
	buf_reset(&b);
	CHECK("empty domain and password: round trip",
	      credssp_credentials_encode(&b, &empty) == ERR_OK &&
		  credssp_credentials_parse(buf_ptr(&b), buf_len(&b), &c) == ERR_OK &&
		  strcmp(c.domain, "") == 0 && strcmp(c.user, "u") == 0 &&
		  strcmp(c.password, "") == 0);
	credssp_password_creds_clear(&c);

	buf_reset(&b);
	in.password = (char *)"\xc3";
	CHECK("encode: a password not UTF-8 refused",
	      credssp_credentials_encode(&b, &in) == ERR_FORMAT && buf_len(&b) == 0);
	in.password = NULL;
	CHECK("encode: a NULL password refused", credssp_credentials_encode(&b, &in) == ERR_USAGE);
	buf_clear(&b);
}

/* TSCredentials of credType 1 whose password is the n raw bytes pw (n < 64). */
static size_t creds_with_password(uint8_t *out, const uint8_t *pw, size_t n)
{
	static const uint8_t empty_names[] = {0xa0, 0x02, 0x04, 0x00, 0xa1, 0x02, 0x04, 0x00};
	size_t inner = sizeof(empty_names) + 4 + n;
	uint8_t *p = out;

	*p++ = 0x30, *p++ = (uint8_t)(5 + 4 + 2 + inner);
	memcpy(p, "\xa0\x03\x02\x01\x01", 5), p += 5;
	*p++ = 0xa1, *p++ = (uint8_t)(4 + inner), *p++ = 0x04, *p++ = (uint8_t)(2 + inner);
	*p++ = 0x30, *p++ = (uint8_t)inner;
	memcpy(p, empty_names, sizeof(empty_names)), p += sizeof(empty_names);
	*p++ = 0xa2, *p++ = (uint8_t)(2 + n), *p++ = 0x04, *p++ = (uint8_t)n;
	memcpy(p, pw, n);
	return (size_t)(p - out) + n;
}

static enum err creds_only(const uint8_t *v, size_t n)
{
	struct credssp_password_creds c;
	enum err e = credssp_credentials_parse(v, n, &c);

	if (e == ERR_OK)
		credssp_password_creds_clear(&c);
	return e;
}

static void test_credentials_refusals(void)
{
	uint8_t v[400];
	size_t n;
	int all = 1;

	CHECK("MS-CSSP's smart card sample: credType 2 unsupported",
	      creds_only(smart_card_creds, sizeof(smart_card_creds)) == ERR_UNSUPPORTED);
	memcpy(v, smart_card_creds, sizeof(smart_card_creds));
	v[8] = 6;
	CHECK("credType 6 (Remote Guard) unsupported",
	      creds_only(v, sizeof(smart_card_creds)) == ERR_UNSUPPORTED);
	v[8] = 3;
	CHECK("credType 3 invalid", creds_only(v, sizeof(smart_card_creds)) == ERR_FORMAT);
	v[8] = 1;
	CHECK("credType 1 over smart card fields refused",
	      creds_only(v, sizeof(smart_card_creds)) == ERR_FORMAT);

	for (size_t i = 0; i < sizeof(password_creds); i++)
		all = all && creds_only(password_creds, i) == ERR_FORMAT;
	CHECK("every truncation of the password creds refused", all);
	memcpy(v, password_creds, sizeof(password_creds));
	v[sizeof(password_creds)] = 0;
	CHECK("a trailing byte refused", creds_only(v, sizeof(password_creds) + 1) == ERR_FORMAT);

	n = creds_with_password(v, (const uint8_t *)"p\0w\0", 4);
	CHECK("control: password \"pw\" accepted", creds_only(v, n) == ERR_OK);
	n = creds_with_password(v, (const uint8_t *)"p\0w", 3);
	CHECK("an odd UTF-16 length refused", creds_only(v, n) == ERR_FORMAT);
	n = creds_with_password(v, (const uint8_t *)"p\0\0\0w\0", 6);
	CHECK("a NUL in the password refused", creds_only(v, n) == ERR_FORMAT);
	n = creds_with_password(v, (const uint8_t *)"\x3d\xd8", 2);
	CHECK("an unpaired surrogate refused", creds_only(v, n) == ERR_FORMAT);

	uint8_t *big = calloc(1, CREDSSP_MAX_CREDENTIALS + 1);
	CHECK("over CREDSSP_MAX_CREDENTIALS refused",
	      big && creds_only(big, CREDSSP_MAX_CREDENTIALS + 1) == ERR_LIMIT);
	free(big);
}

/* ---- the public-key binding ---- */

/* A self-signed RSA 2048 certificate made once with `openssl req -x509
 * -newkey rsa:2048 -subj /CN=credssp-test`. */
static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
			       "MIIDETCCAfmgAwIBAgIUFF4vbd8kwKGsb8UX6ocgSoRnoTQwDQYJKoZIhvcNAQEL\n"
			       "BQAwFzEVMBMGA1UEAwwMY3JlZHNzcC10ZXN0MCAXDTI2MTIwNjAzMDkzMloYDzIx\n"
			       "MjYxMTEyMDMwOTMyWjAXMRUwEwYDVQQDDAxjcmVkc3NwLXRlc3QwggEiMA0GCSqG\n"
			       "SIb3DQEBAQUAA4IBDwAwggEKAoIBAQDGWLHtONEAwxe6I5r2nhs0VRQPQUeprfwY\n"
			       "dIy1Rloon/8dHzWcav+TD1vRvIiazdGfMDugLlTpOU/1cn6TvhMkQJvfERCrlU/o\n"
			       "KKu2vC3Yotc+v/n5zxkxygYEjOMcRmdS2IN/F/nUHdFCCTtWNBadrKQdsKjgQEgf\n"
			       "9O0Za0VE25krq5gXmwxB0BScM/81DLh0cII9dI2bBrz7g8c7HeMU79tm9Rquulb1\n"
			       "mbeoVurp/WOKn/eTRGyzAFKnxLq3V7NEtRacPfTdgEtWS8Rq7ezABm8Rg2NesPc2\n"
			       "7CGvBJBpnXpD0zj/y1Kd5DsPgUkpEcrkksFGabd0o3HLY2PSLfXnAgMBAAGjUzBR\n"
			       "MB0GA1UdDgQWBBSoTM+UVJJhqjZSffuPdNn0COTe4jAfBgNVHSMEGDAWgBSoTM+U\n"
			       "VJJhqjZSffuPdNn0COTe4jAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUA\n"
			       "A4IBAQApaIN0acJKKoalN4AbSy4jStPvF7LHeKGs642g3RmAMhqjZRiqsnfIrWaL\n"
			       "/EMZ/6ltOFPgU38b1RZbGEyQZQtPe6DVeVXWy6SBucSYxE4b3TWQteJN+rZgWQAv\n"
			       "tiRdneRFdSJLImIFXrAepAaXTTAm8mr+HEVYfsb8/UhSaV4be4IP89+V2nA3e5uS\n"
			       "jUoBQ6xyGblNAmgomK0VRt8WRpijb4KOOiPorAC6tGZmFdBv2In5jlcfeg8ZpEm9\n"
			       "1Wo5xgVq4n0mz5r4HQ4U9W3a7FvZY8oBTPJLPEWr9mjfNZmcZhyYwo9T6Xr8YWHp\n"
			       "Xs4zTY+JVZMHgoDaFDAc6tVz2x7u\n"
			       "-----END CERTIFICATE-----\n";

/* Computed once with /usr/bin/python3: key = cert.public_key().public_bytes(
 * Encoding.DER, PublicFormat.PKCS1) of the cryptography package (checked to
 * be the tail of the SubjectPublicKeyInfo after the BIT STRING's 0x00
 * unused-bits octet), nonce = bytes(range(32)), then hashlib.sha256 of
 * b"CredSSP Client-To-Server Binding Hash\x00" + nonce + key, of the
 * Server-To-Client one, of key itself (version 4, the client) and of key
 * with its first byte plus one (version 4, the server). */
#define KEY_LEN 270
static const char client_hash_hex[] =
    "0ba256678f9bceea09d9935569875ee8bb157f162f441d395aa72226551eabfc";
static const char server_hash_hex[] =
    "b21a89f4af168fa153810508b4ab4a3979f4683dd083be04bb9b2fe2da21e84e";
static const char v4_client_sha256_hex[] =
    "9c7cc46cdfba0071554bf6c35e8bba41772ef9d2f4a1ee6941644bffb1cdf4e7";
static const char v4_server_sha256_hex[] =
    "57354522d8b6b3387b70b8978dba0b4e43012ef088a1da8a81b1defbe80ea26b";

static int equals_hex(const uint8_t *p, size_t n, const char *hex)
{
	char s[2 * EVP_MAX_MD_SIZE + 1];

	if (2 * n >= sizeof(s))
		return 0;
	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	return strlen(hex) == 2 * n && memcmp(s, hex, 2 * n) == 0;
}

static int sha256_equals_hex(const struct buf *b, const char *hex)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	return EVP_Digest(buf_ptr(b), buf_len(b), md, &n, EVP_sha256(), NULL) &&
	       equals_hex(md, n, hex);
}

static void test_binding(void)
{
	BIO *bio = BIO_new_mem_buf(cert_pem, -1);
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	uint8_t nonce[CREDSSP_NONCE_LEN];
	struct buf b, server;

	BIO_free(bio);
	CHECK("binding: the test certificate loads", cert != NULL);
	if (!cert)
		return;
	for (int i = 0; i < CREDSSP_NONCE_LEN; i++)
		nonce[i] = (uint8_t)i;
	buf_init(&b, 4096);
	buf_init(&server, 4096);

	CHECK("binding v6: the client's hash",
	      credssp_pubkey_auth(cert, 6, CREDSSP_CLIENT_TO_SERVER, nonce, &b) == ERR_OK &&
		  equals_hex(buf_ptr(&b), buf_len(&b), client_hash_hex));
	buf_reset(&b);
	CHECK("binding v5: the server's hash",
	      credssp_pubkey_auth(cert, 5, CREDSSP_SERVER_TO_CLIENT, nonce, &b) == ERR_OK &&
		  equals_hex(buf_ptr(&b), buf_len(&b), server_hash_hex));

	buf_reset(&b);
	CHECK("binding v4: the client's SubjectPublicKey",
	      credssp_pubkey_auth(cert, 4, CREDSSP_CLIENT_TO_SERVER, NULL, &b) == ERR_OK &&
		  buf_len(&b) == KEY_LEN && buf_ptr(&b)[0] == 0x30 &&
		  sha256_equals_hex(&b, v4_client_sha256_hex));
	CHECK("binding v2: the server's, first byte plus one",
	      credssp_pubkey_auth(cert, 2, CREDSSP_SERVER_TO_CLIENT, NULL, &server) == ERR_OK &&
		  buf_len(&server) == KEY_LEN && buf_ptr(&server)[0] == 0x31 &&
		  memcmp(buf_ptr(&server) + 1, buf_ptr(&b) + 1, KEY_LEN - 1) == 0 &&
		  sha256_equals_hex(&server, v4_server_sha256_hex));

	buf_reset(&b);
	CHECK("binding v5 without a nonce refused",
	      credssp_pubkey_auth(cert, 5, CREDSSP_CLIENT_TO_SERVER, NULL, &b) == ERR_USAGE);
	CHECK("binding version 1 refused",
	      credssp_pubkey_auth(cert, 1, CREDSSP_CLIENT_TO_SERVER, nonce, &b) == ERR_USAGE);
	CHECK("binding without a certificate refused",
	      credssp_pubkey_auth(NULL, 6, CREDSSP_CLIENT_TO_SERVER, nonce, &b) == ERR_USAGE &&
		  buf_len(&b) == 0);
	buf_clear(&b);
	buf_clear(&server);
	X509_free(cert);
}

int main(void)
{
	test_tsrequest_vectors();
	test_tsrequest_encode();
	test_tsrequest_refusals();
	test_credentials();
	test_credentials_refusals();
	test_binding();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
