/* credssp: the messages of CredSSP (MS-CSSP) and its public-key binding,
 * for both sides of the CredSSP authentication of WinRM (docs/winrm-
 * protocol.md 8.5). No I/O, no TLS and no security context: the caller
 * decrypts the TLS records of the Authorization header, hands the plain
 * TSRequest here, and seals or unseals pubKeyAuth and authInfo with the
 * inner SPNEGO context itself.
 *
 * The DER is read and written by OpenSSL's ASN.1 templates; callers see
 * plain structs only. Decoders take exactly one message: MS-CSSP 2.2.1
 * <8> says a TSRequest travels whole in one TLS message, so a short input
 * is ERR_FORMAT, as are trailing bytes and anything that is not DER
 * (MS-CSSP 2.2: "encoded by using ASN.1 ... and Distinguished Encoding
 * Rules (DER)"): a decoded message encodes back to exactly its input. */
#ifndef OPENWINRM_CREDSSP_H
#define OPENWINRM_CREDSSP_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "common/buf.h"
#include "common/err.h"

/* The highest version we speak: a peer's higher version is allowed
 * (MS-CSSP 2.2.1: "treat the peer as one that is compatible with the
 * version ... the implementation understands"), the lowest valid is 2. */
#define CREDSSP_VERSION 6
#define CREDSSP_VERSION_MIN 2
/* MS-CSSP 2.2.1 clientNonce: "A 32-byte array". */
#define CREDSSP_NONCE_LEN 32
/* SHA-256, the binding hash of versions 5 and 6. */
#define CREDSSP_BINDING_HASH_LEN 32
/* The largest TSRequest: a Kerberos negoToken with a big PAC stays under
 * 64 KiB (the largest GSSAPI token the privileged part takes), with room
 * for the message's other fields. */
#define CREDSSP_MAX_TSREQUEST (72 * 1024)
/* The largest TSCredentials: three names of a few hundred UTF-16 units. */
#define CREDSSP_MAX_CREDENTIALS (8 * 1024)

/* MS-CSSP 2.2.1 TSRequest. A byte field is absent when its pointer is
 * NULL; a present one is never empty (no peer sends an empty OCTET
 * STRING there, and refusing it keeps one encoding per struct). Decoded
 * fields are allocations of their own, freed (wiped first) by
 * credssp_tsrequest_clear; to encode, point them at the caller's bytes. */
struct credssp_tsrequest {
	uint32_t version;
	/* NegoData's one negoToken (SPNEGO, NTLM or Kerberos). NegoData is a
	 * SEQUENCE OF, but every implementation sends one and reads only
	 * the first, so more than one (or an empty list) is refused rather
	 * than silently dropped. */
	uint8_t *nego_token;
	size_t nego_token_len;
	uint8_t *auth_info; /* TSCredentials sealed by the inner context */
	size_t auth_info_len;
	uint8_t *pub_key_auth; /* the sealed binding (credssp_pubkey_auth) */
	size_t pub_key_auth_len;
	/* errorCode (versions 3, 4 and 6): an NTSTATUS, which Windows
	 * writes as a signed 32-bit INTEGER (0xC000006D as -1073741715). */
	int has_error_code;
	uint32_t error_code;
	int has_client_nonce; /* versions 5 and 6 */
	uint8_t client_nonce[CREDSSP_NONCE_LEN];
};

/* One TSRequest of exactly len bytes into *out (zeroed first). ERR_LIMIT
 * over CREDSSP_MAX_TSREQUEST; ERR_FORMAT for anything not one DER
 * TSRequest, a version below CREDSSP_VERSION_MIN or above UINT32_MAX, an
 * errorCode outside 32 bits, a clientNonce not of CREDSSP_NONCE_LEN
 * bytes, or a negoTokens of other than one token; ERR_NOMEM. On error
 * *out holds nothing to clear. */
enum err credssp_tsrequest_parse(const uint8_t *p, size_t len, struct credssp_tsrequest *out);
/* The DER of m appended to out. ERR_USAGE for what the parser would
 * refuse (a version below CREDSSP_VERSION_MIN, an empty present field);
 * ERR_LIMIT over CREDSSP_MAX_TSREQUEST or out's maximum. */
enum err credssp_tsrequest_encode(struct buf *out, const struct credssp_tsrequest *m);
/* Wipes and frees the decoded fields; *m is zeroed. */
void credssp_tsrequest_clear(struct credssp_tsrequest *m);

/* MS-CSSP 2.2.1.2.1 TSPasswordCreds, as NUL-terminated UTF-8 (UTF-16LE
 * on the wire). The domain is often empty. */
struct credssp_password_creds {
	char *domain;
	char *user;
	char *password;
};

/* One TSCredentials (the plaintext of authInfo) of exactly len bytes into
 * *out. ERR_UNSUPPORTED for credType 2 (smart card) and 6 (Remote
 * Credential Guard); ERR_FORMAT for other types but 1 (MS-CSSP 2.2.1.2:
 * "MUST be one of the following values"), anything not DER, ill-formed
 * UTF-16 or a NUL in a string; ERR_LIMIT over CREDSSP_MAX_CREDENTIALS;
 * ERR_NOMEM. Every copy of the password made on the way is wiped; the
 * input is the caller's to wipe. On error *out holds nothing to clear. */
enum err credssp_credentials_parse(const uint8_t *p, size_t len,
				   struct credssp_password_creds *out);
/* The DER of a TSCredentials of credType 1 carrying c, appended to out
 * (which then holds the password: buf_clear wipes it). ERR_FORMAT for a
 * string that is not UTF-8; ERR_LIMIT over CREDSSP_MAX_CREDENTIALS. */
enum err credssp_credentials_encode(struct buf *out, const struct credssp_password_creds *c);
/* Wipes and frees the three strings; *c is zeroed. */
void credssp_password_creds_clear(struct credssp_password_creds *c);

/* Which side sends the pubKeyAuth. */
enum credssp_direction {
	CREDSSP_CLIENT_TO_SERVER,
	CREDSSP_SERVER_TO_CLIENT,
};

/* The plaintext of pubKeyAuth for cert, the server's TLS certificate
 * (MS-CSSP 3.1.5 steps 3 and 4), appended to out: what the sender seals
 * and what the receiver compares the unsealed bytes with (CRYPTO_memcmp).
 * SubjectPublicKey is the content of the subjectPublicKey BIT STRING of
 * the certificate's SubjectPublicKeyInfo, after its unused-bits octet
 * (for RSA the DER RSAPublicKey), as FreeRDP, pyspnego and Windows use it.
 * Version is the one both sides agreed on:
 *   5 and up: SHA-256("CredSSP Client-To-Server Binding Hash\0" or
 *             "CredSSP Server-To-Client Binding Hash\0" || nonce ||
 *             SubjectPublicKey); nonce is the client's CREDSSP_NONCE_LEN
 *             bytes;
 *   2 to 4:   SubjectPublicKey itself from the client, and with its first
 *             byte plus one from the server; nonce is unused (NULL).
 * ERR_USAGE for a version below CREDSSP_VERSION_MIN, a missing nonce or
 * certificate; ERR_FORMAT for a certificate without a public key. */
enum err credssp_pubkey_auth(const X509 *cert, uint32_t version, enum credssp_direction direction,
			     const uint8_t *nonce, struct buf *out);

#endif
