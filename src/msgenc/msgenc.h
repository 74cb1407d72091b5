/* msgenc: WinRM message encryption over HTTP (MS-WSMV 2.2.9.1), for the
 * service and the client alike. A SOAP message is sealed with the session
 * key of an established GSSAPI context (Kerberos or NTLM, from SPNEGO or
 * bare) and framed as multipart/encrypted:
 *
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
 *   \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=N\r\n
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/octet-stream\r\n
 *   <u32 LE signature length> <signature> <sealed data>
 *   --Encrypted Boundary--\r\n
 *
 * After CredSSP (MS-WSMV 2.2.9.1.3) the cipher is the TLS session the
 * CredSSP handshake built: each chunk of at most 16384 plaintext bytes is
 * one SSL_write, the uint32 is the TLS trailer length and the whole record
 * follows it. A message over 16384 bytes is multipart/x-multi-encrypted:
 * one header part and data part pair per chunk, one closing boundary.
 *
 * The framing (msgenc_parse, msgenc_parse_chunks) is separate from the
 * cryptography so that the part that reads network bytes can be fuzzed on
 * its own. The crypto is GSSAPI's: gss_wrap_iov (Kerberos: HEADER, DATA,
 * PADDING) or gss_wrap (gss-ntlmssp, whose token is the 16-byte signature
 * then the sealed data); or OpenSSL's TLS record layer for CredSSP.
 * Nothing here computes a key or a checksum. */
#ifndef OPENWINRM_MSGENC_H
#define OPENWINRM_MSGENC_H

#include <stddef.h>
#include <stdint.h>

#include <gssapi/gssapi.h>
#include <openssl/ssl.h>

#include "common/buf.h"
#include "common/err.h"

/* The protocol string of the Content-Type: clients label Kerberos traffic
 * either way (pywinrm says SPNEGO), and a reply repeats the request's. */
enum msgenc_protocol {
	MSGENC_SPNEGO,	 /* application/HTTP-SPNEGO-session-encrypted */
	MSGENC_KERBEROS, /* application/HTTP-Kerberos-session-encrypted */
	MSGENC_CREDSSP,	 /* application/HTTP-CredSSP-session-encrypted: sealed by TLS */
};

/* How the request wrote its inner header lines; a reply mirrors it
 * (pywinrm needs the tab, WinRb and Windows send none). */
enum msgenc_style {
	MSGENC_TABS,
	MSGENC_NO_TABS,
};

/* The most a decrypted message may be; larger bodies are refused before
 * any work. */
#define MSGENC_MAX_SIGNATURE 1024

/* The most plaintext one CredSSP chunk carries (MS-WSMV 2.2.9.1.3: the
 * TLS record's maximum fragment). */
#define MSGENC_TLS_CHUNK 16384

/* Is this Content-Type an encrypted body (multipart/encrypted with one of
 * the protocol strings, or multipart/x-multi-encrypted with CredSSP's)?
 * Fills *proto. Lenient about case, spaces and quotes, as Windows is. */
int msgenc_is_encrypted(const char *content_type, enum msgenc_protocol *proto);

/* The Content-Type header value for a body sealed under proto from
 * plain_len bytes: CredSSP over MSGENC_TLS_CHUNK bytes is
 * multipart/x-multi-encrypted, everything else multipart/encrypted. */
const char *msgenc_content_type(enum msgenc_protocol proto, size_t plain_len);

/* One encrypted message as framed on the wire; pointers into the body. */
struct msgenc_parts {
	size_t original_length; /* OriginalContent's Length= */
	const uint8_t *signature;
	size_t signature_len;
	const uint8_t *sealed;
	size_t sealed_len;
	enum msgenc_style style;
};

/* Splits a multipart/encrypted body; ERR_FORMAT for anything that is not
 * exactly one header part, one data part and the closing boundary. */
enum err msgenc_parse(const uint8_t *body, size_t len, struct msgenc_parts *out);

/* One header part and data part pair of a CredSSP body; pointers into
 * the body. */
struct msgenc_chunk {
	size_t original_length; /* OriginalContent's Length=: this chunk's plaintext */
	uint32_t trailer_len;	/* the uint32 after the octet-stream line, as sent */
	const uint8_t *records; /* whole TLS application-data records */
	size_t records_len;
};

/* Called for each pair in order; an error stops the walk and is returned. */
typedef enum err msgenc_chunk_fn(void *arg, const struct msgenc_chunk *chunk);

/* Splits a CredSSP body (multipart/encrypted or x-multi-encrypted) into
 * its pairs and hands each to fn (NULL: only checks). A data part is a run
 * of TLS records (type 23, version 3.3), found by their length fields and
 * never by searching for the boundary, followed by the next pair's
 * boundary or the closing one at the very end. Every Length= is 1 to
 * MSGENC_TLS_CHUNK, and MSGENC_TLS_CHUNK for all but the last pair. The
 * uint32 is not checked: clients compute it (pywinrm gets it wrong for
 * TLS 1.3) and no reader uses it. ERR_FORMAT for anything else; *style
 * from the first pair's first inner line. */
enum err msgenc_parse_chunks(const uint8_t *body, size_t len, enum msgenc_style *style,
			     msgenc_chunk_fn *fn, void *arg);

/* Kerberos under any of its object identifiers: the standard one, and the
 * one Windows' SSPI puts first in SPNEGO (1.2.840.48018.1.2.2), which MIT
 * reports back as the negotiated mechanism. Anything else is NTLM here. */
int msgenc_mech_is_kerberos(gss_const_OID mech);
/* GSSAPI's own words for a failure, major then minor, into out (for the
 * log); returns out. */
const char *msgenc_gss_why(OM_uint32 major, OM_uint32 minor, gss_OID mech, char *out, size_t len);
/* The mechanism of an established context is Kerberos. */
int msgenc_is_kerberos(gss_ctx_id_t ctx);

/* Seals plain with ctx and appends the framed body to out (SPNEGO or
 * Kerberos; CredSSP is msgenc_tls_wrap's: ERR_USAGE). */
enum err msgenc_wrap(gss_ctx_id_t ctx, enum msgenc_protocol proto, enum msgenc_style style,
		     const uint8_t *plain, size_t len, struct buf *out);

/* Checks and opens a framed body into plain (appended). A bad signature, a
 * replayed or out-of-order message and a length that disagrees with
 * OriginalContent are ERR_FORMAT; *style tells how to frame the reply. */
enum err msgenc_unwrap(gss_ctx_id_t ctx, const uint8_t *body, size_t len, struct buf *plain,
		       enum msgenc_style *style);

/* The most bytes msgenc_tls_wrap appends for len plaintext bytes: size
 * the output buffer's maximum with it. */
size_t msgenc_tls_wrapped_max(size_t len);

/* Seals plain (1 byte or more: an empty body is sent unsealed, 9.7) with
 * the TLS session of a finished CredSSP handshake and appends the framed
 * body to out, one pair per MSGENC_TLS_CHUNK bytes. tls must be past its
 * handshake, its rbio and wbio memory BIOs with nothing pending, and its
 * cipher AES-GCM under TLS 1.2 (trailer 16) or TLS 1.3 (trailer 17):
 * anything else is ERR_USAGE. After any error the session is out of step
 * with the peer and the connection must be closed. */
enum err msgenc_tls_wrap(SSL *tls, enum msgenc_style style, const uint8_t *plain, size_t len,
			 struct buf *out);

/* Checks the whole framing (msgenc_parse_chunks), then feeds each pair's
 * records to tls's rbio and reads them into plain (appended). A record
 * that does not decrypt (tampered, replayed, out of order), an alert, a
 * chunk whose plaintext is not its Length= and bytes left over are
 * ERR_FORMAT; more than plain may hold is ERR_LIMIT, before any
 * decryption. The same preconditions on tls as msgenc_tls_wrap. */
enum err msgenc_tls_unwrap(SSL *tls, const uint8_t *body, size_t len, struct buf *plain,
			   enum msgenc_style *style);

#endif
