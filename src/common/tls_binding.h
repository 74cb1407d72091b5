/* tls_binding: what both sides derive from a certificate, computed here
 * so that they cannot drift apart. The TLS channel binding of a Negotiate
 * or Kerberos logon over HTTPS (Extended Protection for Authentication),
 * RFC 5929 4 tls-server-end-point: the service binds to its own
 * certificate, the client to the one the server presented on the
 * connection. And a certificate's thumbprint, as Windows names
 * certificates: a certmapping's Issuer, a listener's
 * CertificateThumbprint, pwsh's -CertificateThumbprint. */
#ifndef OPENWINRM_TLS_BINDING_H
#define OPENWINRM_TLS_BINDING_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define TLS_BINDING_PREFIX "tls-server-end-point:"
/* The longest binding: the prefix and the largest digest. */
#define TLS_BINDING_MAX (sizeof(TLS_BINDING_PREFIX) - 1 + EVP_MAX_MD_SIZE)

/* The application_data of GSSAPI's channel bindings (initiator and
 * acceptor addresses empty, as Windows sends them): "tls-server-end-point:"
 * and the hash of cert's DER encoding. Written into out; returns its
 * length, or 0 when there is no binding to give (cert NULL, a digest
 * OpenSSL does not have, cap below TLS_BINDING_MAX). */
size_t tls_binding_end_point(X509 *cert, uint8_t *out, size_t cap);

/* The SHA-1 of cert's DER encoding in upper-case hex, as Windows shows a
 * thumbprint; 0, or -1 (out empty) when it cannot be computed. */
#define TLS_THUMBPRINT_HEX 40
int tls_thumbprint(X509 *cert, char out[TLS_THUMBPRINT_HEX + 1]);

#endif
