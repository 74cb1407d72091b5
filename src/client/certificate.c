/* certificate: the client certificate of Certificate authentication,
 * read from PEM files into the session's TLS context. Windows' client
 * takes a thumbprint from its certificate store; Linux has no such store,
 * so the files stand in for it. Every problem with the files is found
 * here, before any connection, and the private key lives only in the
 * SSL_CTX. */
#include "client/client_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* OpenSSL asks for a passphrase only for an encrypted key. A library has
 * no terminal to ask on: refuse, and remember that it asked. */
static int passphrase_refused(char *buf, int size, int rwflag, void *asked)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(int *)asked = 1;
	return -1;
}

/* The file opened for reading, or the reason it cannot be. */
static BIO *open_pem(struct winrm_session *s, const char *path, const char *what,
		     enum winrm_result *r)
{
	BIO *b;

	errno = 0;
	if (!(b = BIO_new_file(path, "r")))
		*r = client_fail(s, WINRM_E_USAGE, "cannot read the %s %s: %s", what, path,
				 strerror(errno ? errno : ENOENT));
	return b;
}

static enum winrm_result load_certificate(struct winrm_session *s, const char *cert_file)
{
	enum winrm_result r = WINRM_OK;
	BIO *probe = open_pem(s, cert_file, "client certificate", &r);

	/* Opened once alone for errno's word on why it cannot be read, which
	 * OpenSSL's error queue does not keep. */
	if (!probe)
		return r;
	BIO_free(probe);
	/* The leaf first, then any intermediate CAs the server may not have. */
	if (SSL_CTX_use_certificate_chain_file(s->ctx, cert_file) != 1)
		return client_fail(
		    s, WINRM_E_USAGE,
		    "%s holds no PEM certificate (%s): -certificate: takes a PEM file with the "
		    "client certificate, then its chain if any",
		    cert_file, ERR_reason_error_string(ERR_peek_last_error()) ?: "no detail");
	/* A certificate whose Extended Key Usage leaves out Client
	 * Authentication (1.3.6.1.5.5.7.3.2) is refused by every server:
	 * say so now rather than after a handshake. */
	if (X509_check_purpose(SSL_CTX_get0_certificate(s->ctx), X509_PURPOSE_SSL_CLIENT, 0) != 1)
		return client_fail(
		    s, WINRM_E_USAGE,
		    "the certificate in %s is not for client authentication: its "
		    "Extended Key Usage or Key Usage leaves out Client Authentication "
		    "(1.3.6.1.5.5.7.3.2), so a service refuses it",
		    cert_file);
	return WINRM_OK;
}

static enum winrm_result load_key(struct winrm_session *s, const char *cert_file,
				  const char *key_file)
{
	const char *path = key_file ? key_file : cert_file;
	enum winrm_result r = WINRM_OK;
	int asked = 0, used;
	BIO *b = open_pem(s, path, "private key", &r);
	EVP_PKEY *key;

	if (!b)
		return r;
	/* Skips the certificates before the key when both share a file. */
	key = PEM_read_bio_PrivateKey(b, NULL, passphrase_refused, &asked);
	BIO_free(b);
	if (!key && asked)
		return client_fail(
		    s, WINRM_E_USAGE,
		    "the private key in %s is encrypted, and libwinrm cannot ask for its "
		    "passphrase: decrypt it into a file only you can read (openssl pkey -in %s "
		    "-out KEY.pem) and give that with -certificatekey:KEY.pem",
		    path, path);
	if (!key)
		return client_fail(s, WINRM_E_USAGE, "%s holds no PEM private key%s", path,
				   key_file ? ""
					    : ": give the key's file with -certificatekey:PATH");
	/* SSL_CTX_use_PrivateKey refuses a key that does not belong to the
	 * certificate; the context keeps its own reference. */
	used = SSL_CTX_use_PrivateKey(s->ctx, key) == 1 && SSL_CTX_check_private_key(s->ctx) == 1;
	EVP_PKEY_free(key);
	if (!used)
		return client_fail(s, WINRM_E_USAGE,
				   "the private key in %s does not match the certificate in %s",
				   path, cert_file);
	return WINRM_OK;
}

enum winrm_result winrm_session_set_certificate(struct winrm_session *s, const char *cert_file,
						const char *key_file)
{
	enum winrm_result r;

	if (s->auth != WINRM_AUTH_CERTIFICATE)
		return client_fail(s, WINRM_E_USAGE,
				   "a client certificate is for Certificate authentication "
				   "(-a:Certificate), and this session uses %s",
				   winrm_auth_name(s->auth));
	if (!cert_file || !*cert_file)
		return client_fail(s, WINRM_E_USAGE, "no client certificate file given");
	if (s->client_cert)
		return client_fail(s, WINRM_E_USAGE,
				   "the session has its client certificate already");
	if (key_file && !*key_file)
		key_file = NULL;
	if ((r = client_tls_context(s)) != WINRM_OK)
		return r;
	if ((r = load_certificate(s, cert_file)) == WINRM_OK)
		r = load_key(s, cert_file, key_file);
	ERR_clear_error();
	if (r != WINRM_OK) {
		/* No half-loaded context: a later call starts from a fresh one. */
		SSL_CTX_free(s->ctx);
		s->ctx = NULL;
		return r;
	}
	/* The service may ask for the certificate after the handshake, once
	 * it has seen the secprofile header. Over TLS 1.2 HTTP.sys
	 * renegotiates, which OpenSSL's client accepts by default (secure
	 * renegotiation, RFC 5746; SSL_OP_NO_RENEGOTIATION is not set). Over
	 * TLS 1.3 (Windows Server 2022) it sends a post-handshake
	 * CertificateRequest, which the client must have offered to take
	 * (RFC 8446 4.2.6: "Servers MUST NOT send a post-handshake
	 * CertificateRequest to clients which do not offer this extension"). */
	SSL_CTX_set_post_handshake_auth(s->ctx, 1);
	s->client_cert = 1;
	return WINRM_OK;
}
