/* psrp_certificate: the client certificate of -CertificateThumbprint.
 * Windows' WSMan takes the certificate of that SHA-1 thumbprint, and its
 * private key, from the user's certificate store. Linux has none, so a
 * directory of PEM files stands in for it (docs/psrpclient.md,
 * "Certificate authentication"): NAME.pem holds the certificate (then any
 * chain) and its key, or the key is beside it in NAME.key. */
#include "psrpclient/psrp_int.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/tls_binding.h"

/* Names the directory, in place of the default below. */
#define CERTIFICATES_ENV "OPENWINRM_CERTIFICATES"
/* A certificate, its chain and its key take a few KB: a bigger file is
 * not one of them and is not read. */
#define MAX_CERTIFICATE_FILE (1 << 20)
#define MAX_MESSAGE 1200

/* $OPENWINRM_CERTIFICATES, else $XDG_CONFIG_HOME/openwinrm/certificates,
 * else ~/.config/openwinrm/certificates (XDG's default); a new string. */
static char *certificate_dir(void)
{
	const char *named = secure_getenv(CERTIFICATES_ENV);
	const char *config = secure_getenv("XDG_CONFIG_HOME");
	const char *home = secure_getenv("HOME");
	struct passwd *pw;
	char *dir = NULL;

	if (named && *named)
		return strdup(named);
	if (config && *config) {
		if (asprintf(&dir, "%s/openwinrm/certificates", config) < 0)
			return NULL;
		return dir;
	}
	if ((!home || !*home) && (pw = getpwuid(getuid())))
		home = pw->pw_dir;
	if (asprintf(&dir, "%s/.config/openwinrm/certificates", home ? home : "") < 0)
		return NULL;
	return dir;
}

/* A thumbprint as typed in Windows' spelling, upper-case hex. Windows'
 * certificate dialog shows it in pairs separated by spaces, and a copy of
 * it starts with an invisible U+200E LEFT-TO-RIGHT MARK: both are
 * skipped, so a pasted thumbprint works. */
static int thumbprint_parse(const char *text, char hex[TLS_THUMBPRINT_HEX + 1])
{
	static const char lrm[] = "\xE2\x80\x8E";
	size_t digits = 0;
	int v;

	for (const char *p = text; *p; p++) {
		if (*p == ' ' || *p == '\t')
			continue;
		if (strncmp(p, lrm, strlen(lrm)) == 0) {
			p += strlen(lrm) - 1;
			continue;
		}
		if ((v = OPENSSL_hexchar2int((unsigned char)*p)) < 0 ||
		    digits == TLS_THUMBPRINT_HEX)
			return 0;
		hex[digits++] = "0123456789ABCDEF"[v];
	}
	hex[digits] = 0;
	return digits == TLS_THUMBPRINT_HEX;
}

/* Whether the first certificate of path, a regular file of sensible
 * size, has this thumbprint. Other files of the directory are skipped,
 * whatever they hold. */
static int certificate_matches(const char *path, const char *thumbprint)
{
	char hex[TLS_THUMBPRINT_HEX + 1];
	struct stat st;
	X509 *x = NULL;
	BIO *b;
	int match;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_CERTIFICATE_FILE ||
	    !(b = BIO_new_file(path, "r")))
		return 0;
	/* An empty passphrase as user data: a certificate is never
	 * encrypted, and OpenSSL's default is to prompt on the terminal. */
	x = PEM_read_bio_X509(b, NULL, NULL, (void *)"");
	BIO_free(b);
	match = tls_thumbprint(x, hex) == 0 && strcmp(hex, thumbprint) == 0;
	X509_free(x);
	ERR_clear_error();
	return match;
}

static int pem_name(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 4 && strcmp(e->d_name + n - 4, ".pem") == 0;
}

/* The first NAME.pem of dir, in name order, whose certificate has this
 * thumbprint (a new path), and NAME.key when that exists. NULL when none, with
 * errno from scandir when dir cannot be read (else 0). */
static char *certificate_find(const char *dir, const char *thumbprint, char **key_file)
{
	struct dirent **names;
	char *found = NULL, *path;
	int n;

	*key_file = NULL;
	errno = 0;
	if ((n = scandir(dir, &names, pem_name, alphasort)) < 0)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (!found && asprintf(&path, "%s/%s", dir, names[i]->d_name) >= 0) {
			if (certificate_matches(path, thumbprint))
				found = path;
			else
				free(path);
		}
		free(names[i]);
	}
	free(names);
	errno = 0;
	if (found && (*key_file = strdup(found))) {
		memcpy(*key_file + strlen(found) - 4, ".key", 4);
		if (access(*key_file, F_OK) != 0) {
			free(*key_file);
			*key_file = NULL;
		}
	}
	return found;
}

static DWORD refuse(DWORD code, const char *message)
{
	psrp_error_remember(code, message);
	return code;
}

/* ssh refuses a private key that others than its user can read or
 * change, and so does this library: the key is the user's credential. */
static DWORD key_kept_private(const struct psrp_session *s)
{
	const char *path = s->key_file ? s->key_file : s->cert_file;
	char message[MAX_MESSAGE];
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(message, sizeof(message),
			 "Cannot read %s, the private key of the "
			 "certificate with thumbprint %s: %s",
			 path, s->thumbprint, strerror(errno));
		return refuse(ERROR_WSMAN_CERT_NOT_FOUND, message);
	}
	if (!(st.st_mode & (S_IRWXG | S_IRWXO)))
		return NO_ERROR;
	snprintf(message, sizeof(message),
		 "The private key of the certificate with thumbprint %s, in %s, is open to others "
		 "than you (mode %04o): libpsrpclient does not use a key others can read, as ssh "
		 "does not. Make it yours alone: chmod 600 %s",
		 s->thumbprint, path, (unsigned)(st.st_mode & 07777), path);
	return refuse(ERROR_WSMAN_CERT_NOT_FOUND, message);
}

/* A connection made and dropped: libwinrm reads the certificate and key
 * and checks them (and refuses certificates over http://), so every
 * problem shows in New-PSSession rather than in its first operation. */
static DWORD certificate_usable(struct psrp_session *s)
{
	char errbuf[MAX_MESSAGE] = "", *words;
	struct winrm_session *w;
	DWORD code = NO_ERROR;

	if ((w = psrp_connection_get(s, &code, errbuf, sizeof(errbuf)))) {
		winrm_session_free(w);
		return NO_ERROR;
	}
	words = psrp_powershell_words(errbuf);
	psrp_error_remember(code, words ? words : errbuf);
	free(words);
	return code;
}

DWORD psrp_certificate_choose(struct psrp_session *s, PCWSTR thumbprint)
{
	char hex[TLS_THUMBPRINT_HEX + 1], message[MAX_MESSAGE];
	char *given = psrp_to_utf8(thumbprint), *dir = NULL;
	DWORD code = ERROR_WSMAN_CERT_NOT_FOUND;

	if (!given || !thumbprint_parse(given, hex)) {
		snprintf(message, sizeof(message),
			 "-CertificateThumbprint '%s' is not a certificate thumbprint: give the 40 "
			 "hexadecimal digits of the certificate's SHA-1 hash (openssl x509 -in "
			 "CERT.pem -noout -fingerprint -sha1).",
			 given ? given : "");
		refuse(code, message);
	} else if (!(dir = certificate_dir()) || !(s->thumbprint = strdup(hex))) {
		code = ERROR_OUTOFMEMORY;
	} else if (!(s->cert_file = certificate_find(dir, hex, &s->key_file))) {
		snprintf(
		    message, sizeof(message),
		    "No certificate with thumbprint %s in %s%s%s. Linux has no certificate "
		    "store: libpsrpclient takes the certificate of -CertificateThumbprint from "
		    "that directory (the environment variable " CERTIFICATES_ENV " names "
		    "another), from a file NAME.pem holding the certificate and its private key, "
		    "or with the key beside it in NAME.key, readable by you alone.",
		    hex, dir, errno ? ", which cannot be read: " : "",
		    errno ? strerror(errno) : "");
		refuse(code, message);
	} else if ((code = certificate_usable(s)) == NO_ERROR) {
		code = key_kept_private(s);
	}
	free(given);
	free(dir);
	return code;
}
