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
 * The framing (msgenc_parse) is separate from the cryptography so that the
 * part that reads network bytes can be fuzzed on its own. The crypto is
 * GSSAPI's: gss_wrap_iov (Kerberos: HEADER, DATA, PADDING) or gss_wrap
 * (gss-ntlmssp, whose token is the 16-byte signature then the sealed
 * data); nothing here computes a key or a checksum. */
#ifndef OPENWINRM_MSGENC_H
#define OPENWINRM_MSGENC_H

#include <stddef.h>
#include <stdint.h>

#include <gssapi/gssapi.h>

#include "common/buf.h"
#include "common/err.h"

/* The protocol string of the Content-Type: clients label Kerberos traffic
 * either way (pywinrm says SPNEGO), and a reply repeats the request's. */
enum msgenc_protocol {
	MSGENC_SPNEGO,	 /* application/HTTP-SPNEGO-session-encrypted */
	MSGENC_KERBEROS, /* application/HTTP-Kerberos-session-encrypted */
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

/* Is this Content-Type an encrypted body (multipart/encrypted with one of
 * the protocol strings)? Fills *proto. Lenient about case, spaces and
 * quotes, as Windows is. */
int msgenc_is_encrypted(const char *content_type, enum msgenc_protocol *proto);

/* The Content-Type header value for a body sealed under proto. */
const char *msgenc_content_type(enum msgenc_protocol proto);

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

/* Kerberos under any of its object identifiers: the standard one, and the
 * one Windows' SSPI puts first in SPNEGO (1.2.840.48018.1.2.2), which MIT
 * reports back as the negotiated mechanism. Anything else is NTLM here. */
int msgenc_mech_is_kerberos(gss_const_OID mech);
/* The mechanism of an established context is Kerberos. */
int msgenc_is_kerberos(gss_ctx_id_t ctx);

/* Seals plain with ctx and appends the framed body to out. */
enum err msgenc_wrap(gss_ctx_id_t ctx, enum msgenc_protocol proto, enum msgenc_style style,
		     const uint8_t *plain, size_t len, struct buf *out);

/* Checks and opens a framed body into plain (appended). A bad signature, a
 * replayed or out-of-order message and a length that disagrees with
 * OriginalContent are ERR_FORMAT; *style tells how to frame the reply. */
enum err msgenc_unwrap(gss_ctx_id_t ctx, const uint8_t *body, size_t len, struct buf *plain,
		       enum msgenc_style *style);

#endif
