/* Unit tests for ntlm_negotiate: a NEGOTIATE_MESSAGE without its Version
 * (rubyntlm's 34 bytes, Node's 32) gets a zero one at offset 32 and its
 * payload's offsets moved by 8; every other token, and a message that
 * has a Version or room for one, is left alone. */
#include <stdio.h>
#include <string.h>

#include "acceptor/ntlm_negotiate.h"
#include "check.h"

/* The head of a NEGOTIATE_MESSAGE: signature, type 1, flags, then the
 * domain and workstation fields (length, maximum, offset). */
static size_t negotiate(uint8_t *m, uint32_t flags, uint16_t dlen, uint32_t doff, uint16_t wlen,
			uint32_t woff)
{
	const uint32_t v[] = {1, flags};
	memcpy(m, "NTLMSSP\0", 8);
	for (int i = 0; i < 2; i++)
		for (int b = 0; b < 4; b++)
			m[8 + 4 * i + b] = (uint8_t)(v[i] >> (8 * b));
	const uint32_t f[][2] = {{dlen, doff}, {wlen, woff}};
	for (int i = 0; i < 2; i++) {
		uint8_t *p = m + 16 + 8 * i;
		p[0] = p[2] = (uint8_t)f[i][0];
		p[1] = p[3] = (uint8_t)(f[i][0] >> 8);
		for (int b = 0; b < 4; b++)
			p[4 + b] = (uint8_t)(f[i][1] >> (8 * b));
	}
	return 32;
}

static uint32_t offset_of(const uint8_t *m, int field)
{
	const uint8_t *p = m + 16 + 8 * field + 4;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int main(void)
{
	uint8_t m[64], out[80];
	size_t n;

	/* rubyntlm: flags 0xe0088237, the workstation "WS" at 32. */
	n = negotiate(m, 0xe0088237u, 0, 32, 2, 32);
	memcpy(m + n, "WS", 2);
	n += 2;
	size_t got = ntlm_negotiate_with_version(m, n, out, sizeof(out));
	CHECK("rubyntlm's 34 bytes become 42", got == 42);
	CHECK("the head is kept", memcmp(out, m, 16) == 0);
	CHECK("a zero Version at 32", memcmp(out + 32, "\0\0\0\0\0\0\0\0", 8) == 0);
	CHECK("the payload follows it", memcmp(out + 40, "WS", 2) == 0);
	CHECK("the offsets move by 8", offset_of(out, 0) == 40 && offset_of(out, 1) == 40);

	/* Node's ntlm-client: no payload at all. */
	n = negotiate(m, 0x00088206u, 0, 0, 0, 0);
	CHECK("32 bytes become 40", ntlm_negotiate_with_version(m, n, out, sizeof(out)) == 40 &&
					offset_of(out, 0) == 0 && offset_of(out, 1) == 0);

	/* Left alone. */
	n = negotiate(m, 0xe2088297u, 0, 40, 0, 40);
	memset(m + 32, 0, 8);
	CHECK("a message with a Version",
	      ntlm_negotiate_with_version(m, 40, out, sizeof(out)) == 0);
	n = negotiate(m, 0x00088206u, 0, 40, 0, 40);
	memset(m + 32, 0, 8);
	CHECK("room for a Version, the flag clear",
	      ntlm_negotiate_with_version(m, 40, out, sizeof(out)) == 0);
	n = negotiate(m, 0xe0088237u, 0, 32, 4, 32);
	CHECK("a field past the end", ntlm_negotiate_with_version(m, 34, out, sizeof(out)) == 0);
	n = negotiate(m, 0xe0088237u, 2, 16, 0, 32);
	CHECK("a field inside the head", ntlm_negotiate_with_version(m, 34, out, sizeof(out)) == 0);
	m[8] = 3;
	CHECK("another message type", ntlm_negotiate_with_version(m, 34, out, sizeof(out)) == 0);
	CHECK("a Kerberos or SPNEGO token",
	      ntlm_negotiate_with_version((const uint8_t *)"\x60\x82\x02\x00", 4, out,
					  sizeof(out)) == 0);
	n = negotiate(m, 0xe0088237u, 0, 32, 2, 32);
	CHECK("no room for the result", ntlm_negotiate_with_version(m, 34, out, 41) == 0);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
