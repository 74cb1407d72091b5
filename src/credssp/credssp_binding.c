/* credssp_binding: the plaintext of pubKeyAuth, which binds the inner
 * authentication to the server's TLS key (MS-CSSP 3.1.5). */
#include "credssp/credssp.h"

#include <string.h>

#include <openssl/evp.h>

/* MS-CSSP 3.1.5: "The hash MUST include the null terminator (\0) of the
 * string": sizeof counts it. */
static const char client_magic[] = "CredSSP Client-To-Server Binding Hash";
static const char server_magic[] = "CredSSP Server-To-Client Binding Hash";

/* SHA-256(magic || nonce || key) appended to out. */
static enum err binding_hash(enum credssp_direction direction, const uint8_t *nonce,
			     const uint8_t *key, size_t key_len, struct buf *out)
{
	const char *magic = direction == CREDSSP_CLIENT_TO_SERVER ? client_magic : server_magic;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	uint8_t *space;
	enum err e = buf_reserve(out, CREDSSP_BINDING_HASH_LEN, &space);

	if (e == ERR_OK && (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
			    !EVP_DigestUpdate(ctx, magic, sizeof(client_magic)) ||
			    !EVP_DigestUpdate(ctx, nonce, CREDSSP_NONCE_LEN) ||
			    !EVP_DigestUpdate(ctx, key, key_len) ||
			    !EVP_DigestFinal_ex(ctx, space, &n) || n != CREDSSP_BINDING_HASH_LEN))
		e = ERR_INTERNAL;
	if (e == ERR_OK)
		buf_commit(out, n);
	EVP_MD_CTX_free(ctx);
	return e;
}

enum err credssp_pubkey_auth(const X509 *cert, uint32_t version, enum credssp_direction direction,
			     const uint8_t *nonce, struct buf *out)
{
	const ASN1_BIT_STRING *key;
	const uint8_t *key_data;
	size_t key_len;
	uint8_t *space;
	enum err e;

	if (!cert || version < CREDSSP_VERSION_MIN || (version >= 5 && !nonce))
		return ERR_USAGE;
	/* OpenSSL keeps a BIT STRING's unused-bits octet apart from its
	 * data: the data is the SubjectPublicKey the peers hash. */
	if (!(key = X509_get0_pubkey_bitstr(cert)) || ASN1_STRING_length(key) <= 0)
		return ERR_FORMAT;
	key_data = ASN1_STRING_get0_data(key);
	key_len = (size_t)ASN1_STRING_length(key);
	if (version >= 5)
		return binding_hash(direction, nonce, key_data, key_len, out);
	if ((e = buf_reserve(out, key_len, &space)) != ERR_OK)
		return e;
	memcpy(space, key_data, key_len);
	/* MS-CSSP 3.1.5 step 4, versions 2 to 4: "The server then adds 1 to
	 * the first byte representing the public key ... so that the
	 * client-generated pubKeyAuth message cannot be replayed back to the
	 * client". A byte: 0xff wraps to 0 (a DER key starts with 0x30). */
	if (direction == CREDSSP_SERVER_TO_CLIENT)
		space[0]++;
	buf_commit(out, key_len);
	return ERR_OK;
}
