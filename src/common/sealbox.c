/* sealbox: AES-256-GCM through OpenSSL's EVP interface; see sealbox.h. */
#include "common/sealbox.h"

#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* One AES-256-GCM pass over in (len bytes) into out, with the nonce and
 * aad set; the tag is read after sealing or checked before the final
 * step of opening. */
static int gcm(int seal, const uint8_t *key, const uint8_t *nonce, const void *aad, size_t aad_len,
	       const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0,
	    ok =
		c && len <= INT_MAX && aad_len <= INT_MAX &&
		EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, seal) == 1 &&
		EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) == 1 &&
		(len == 0 || EVP_CipherUpdate(c, out, &n, in, (int)len) == 1) &&
		(seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEALBOX_TAG_LEN, tag) == 1) &&
		EVP_CipherFinal_ex(c, out + (len ? n : 0), &n) == 1 &&
		(!seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEALBOX_TAG_LEN, tag) == 1);

	EVP_CIPHER_CTX_free(c); /* wipes the key schedule */
	return ok;
}

enum err sealbox_seal(const uint8_t key[SEALBOX_KEY_LEN], const void *aad, size_t aad_len,
		      const uint8_t *plain, size_t len, struct buf *out)
{
	uint8_t *space;

	if (buf_reserve(out, len + SEALBOX_OVERHEAD, &space) != ERR_OK)
		return ERR_LIMIT;
	if (RAND_bytes(space, SEALBOX_NONCE_LEN) != 1 ||
	    !gcm(1, key, space, aad, aad_len, plain, len, space + SEALBOX_NONCE_LEN,
		 space + SEALBOX_NONCE_LEN + len)) {
		OPENSSL_cleanse(space, len + SEALBOX_OVERHEAD);
		return ERR_INTERNAL;
	}
	buf_commit(out, len + SEALBOX_OVERHEAD);
	return ERR_OK;
}

enum err sealbox_open(const uint8_t key[SEALBOX_KEY_LEN], const void *aad, size_t aad_len,
		      const uint8_t *sealed, size_t len, struct buf *plain)
{
	uint8_t *space, tag[SEALBOX_TAG_LEN];
	size_t n;

	if (len < SEALBOX_OVERHEAD)
		return ERR_FORMAT;
	n = len - SEALBOX_OVERHEAD;
	if (buf_reserve(plain, n + 1, &space) != ERR_OK)
		return ERR_LIMIT;
	memcpy(tag, sealed + SEALBOX_NONCE_LEN + n, sizeof(tag));
	if (!gcm(0, key, sealed, aad, aad_len, sealed + SEALBOX_NONCE_LEN, n, space, tag)) {
		OPENSSL_cleanse(space, n);
		return ERR_FORMAT;
	}
	buf_commit(plain, n);
	return ERR_OK;
}
