/* ntlm_negotiate: see ntlm_negotiate.h. MS-NLMP 2.2.1.1: Signature
 * "NTLMSSP\0" (8), MessageType 1 (4), NegotiateFlags (4), DomainNameFields
 * and WorkstationFields (8 each: length, maximum length, offset), then
 * Version (8) when NTLMSSP_NEGOTIATE_VERSION is set, then the payload. */
#include "acceptor/ntlm_negotiate.h"

#include <string.h>

#define HEADER_LEN 32			   /* up to the Version field */
#define NEGOTIATE_VERSION 0x02000000u	   /* NTLMSSP_NEGOTIATE_VERSION */
static const size_t field_at[] = {16, 24}; /* DomainNameFields, WorkstationFields */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

size_t ntlm_negotiate_with_version(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	if (len < HEADER_LEN || memcmp(in, "NTLMSSP\0", 8) != 0 || le32(in + 8) != 1 ||
	    (le32(in + 12) & NEGOTIATE_VERSION) || cap < len + NTLM_VERSION_LEN)
		return 0;
	/* Without a Version the payload starts at 32: a field with bytes
	 * must lie at 32 or after, within the message; and a message of 40
	 * bytes or more whose fields all point at 40 or after has room for a
	 * Version already (zeroed by the client), which gss-ntlmssp reads. */
	int points_at_32 = len < HEADER_LEN + NTLM_VERSION_LEN;
	for (size_t i = 0; i < 2; i++) {
		uint16_t n = le16(in + field_at[i]);
		uint32_t off = le32(in + field_at[i] + 4);
		if (n == 0)
			continue;
		if (off < HEADER_LEN || off > len || n > len - off)
			return 0;
		if (off < HEADER_LEN + NTLM_VERSION_LEN)
			points_at_32 = 1;
	}
	if (!points_at_32)
		return 0;
	memcpy(out, in, HEADER_LEN);
	memset(out + HEADER_LEN, 0, NTLM_VERSION_LEN);
	memcpy(out + HEADER_LEN + NTLM_VERSION_LEN, in + HEADER_LEN, len - HEADER_LEN);
	for (size_t i = 0; i < 2; i++) {
		uint32_t off = le32(in + field_at[i] + 4);
		if (off >= HEADER_LEN)
			put32(out + field_at[i] + 4, off + NTLM_VERSION_LEN);
	}
	return len + NTLM_VERSION_LEN;
}
