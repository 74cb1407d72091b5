/* tls_binding: RFC 5929 tls-server-end-point and the thumbprint of a
 * certificate. */
#include "common/tls_binding.h"

#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>

size_t tls_binding_end_point(X509 *cert, uint8_t *out, size_t cap)
{
	size_t plen = strlen(TLS_BINDING_PREFIX);
	int md_nid = NID_undef;
	const EVP_MD *md;
	unsigned int n = 0;

	if (!cert || cap < TLS_BINDING_MAX ||
	    !X509_get_signature_info(cert, &md_nid, NULL, NULL, NULL))
		return 0;
	/* RFC 5929 4.1: "if the certificate's signatureAlgorithm uses a
	 * single hash function and that hash function is either MD5 or SHA-1,
	 * then use SHA-256". The RFC leaves signatures without a hash
	 * (Ed25519) undefined: SHA-256 there as well, so that our client and
	 * our service agree. */
	if (md_nid == NID_md5 || md_nid == NID_sha1 || md_nid == NID_undef)
		md_nid = NID_sha256;
	if (!(md = EVP_get_digestbynid(md_nid)))
		return 0;
	memcpy(out, TLS_BINDING_PREFIX, plen);
	if (!X509_digest(cert, md, out + plen, &n))
		return 0;
	return plen + n;
}

int tls_thumbprint(X509 *cert, char out[TLS_THUMBPRINT_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = 0;
	if (!cert || X509_digest(cert, EVP_sha1(), md, &n) != 1 || 2 * n != TLS_THUMBPRINT_HEX)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02X", md[i]);
	return 0;
}
