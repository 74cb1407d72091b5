/* Unit tests for sealbox: what is sealed opens with the same key and
 * associated data, and with nothing else; a changed byte anywhere, a
 * short input, another key or another uid's associated data are
 * ERR_FORMAT; two seals of the same secret differ (a fresh nonce). */
#include <stdio.h>
#include <string.h>

#include "common/sealbox.h"
#include "check.h"

static int opens(const uint8_t *key, const char *aad, const struct buf *sealed, struct buf *plain)
{
	buf_reset(plain);
	return sealbox_open(key, aad, strlen(aad), buf_ptr(sealed), buf_len(sealed), plain) ==
	       ERR_OK;
}

int main(void)
{
	static const uint8_t secret[] = "DOMAIN:alice:Pa55w0rd";
	uint8_t key[SEALBOX_KEY_LEN], other[SEALBOX_KEY_LEN];
	const char *aad = "winrmd delegated credentials for uid 1000";
	struct buf a, b, plain;

	memset(key, 0x11, sizeof(key));
	memset(other, 0x22, sizeof(other));
	buf_init(&a, 1024);
	buf_init(&b, 1024);
	buf_init(&plain, 1024);
	CHECK("seals", sealbox_seal(key, aad, strlen(aad), secret, sizeof(secret), &a) == ERR_OK &&
			   buf_len(&a) == sizeof(secret) + SEALBOX_OVERHEAD);
	CHECK("the secret is not in the sealed bytes",
	      !memmem(buf_ptr(&a), buf_len(&a), "Pa55w0rd", 8));
	CHECK("opens with the same key and data",
	      opens(key, aad, &a, &plain) && buf_len(&plain) == sizeof(secret) &&
		  memcmp(buf_ptr(&plain), secret, sizeof(secret)) == 0);
	CHECK("not with another key", !opens(other, aad, &a, &plain) && buf_len(&plain) == 0);
	CHECK("not for another uid",
	      !opens(key, "winrmd delegated credentials for uid 1001", &a, &plain));
	CHECK("two seals differ",
	      sealbox_seal(key, aad, strlen(aad), secret, sizeof(secret), &b) == ERR_OK &&
		  memcmp(buf_ptr(&a), buf_ptr(&b), buf_len(&a)) != 0);
	int every_byte = 1;
	for (size_t i = 0; i < buf_len(&a); i++) {
		a.data[i] ^= 0x01;
		every_byte &= !opens(key, aad, &a, &plain);
		a.data[i] ^= 0x01;
	}
	CHECK("a changed byte anywhere is refused", every_byte);
	struct buf cut = a;
	cut.size = SEALBOX_OVERHEAD - 1;
	CHECK("a short input is refused", !opens(key, aad, &cut, &plain));
	CHECK("an empty secret seals and opens",
	      (buf_reset(&b), sealbox_seal(key, aad, strlen(aad), secret, 0, &b) == ERR_OK) &&
		  opens(key, aad, &b, &plain) && buf_len(&plain) == 0);
	buf_clear(&a);
	buf_clear(&b);
	buf_clear(&plain);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
