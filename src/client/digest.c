/* digest: HTTP Digest authentication (RFC 7616), the client-only scheme
 * of Windows' WinRM client (its service never offers it). The hashes are
 * OpenSSL's; this file only reads the challenge and lays out the
 * response. */
#include "client/client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define DIGEST_MAX_PARAM 1024

void digest_clear(struct digest_state *d)
{
	free(d->realm);
	free(d->nonce);
	free(d->opaque);
	memset(d, 0, sizeof(*d));
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	return p;
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Reads name=value (token or quoted-string; RFC 7235 2.1 allows blanks
 * around '=') at *pp into name and value. 1: read; 0: no parameter
 * starts here (the end, or the next scheme of a list); -1: a value that
 * is unterminated or longer than DIGEST_MAX_PARAM, which refuses the
 * challenge rather than cutting the value or reading its tail as a
 * parameter of its own. */
static int next_param(const char **pp, char name[64], char value[DIGEST_MAX_PARAM])
{
	const char *p = skip_space(*pp);
	size_t n = 0, v = 0;

	while (*p && *p != '=' && *p != ' ' && *p != '\t' && *p != ',' && n < 63)
		name[n++] = *p++;
	name[n] = 0;
	p = skip_blanks(p);
	if (n == 0 || *p != '=')
		return 0;
	p = skip_blanks(p + 1);
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (v >= DIGEST_MAX_PARAM - 1)
				return -1;
			value[v++] = *p;
		}
		if (*p != '"')
			return -1;
		p++;
	} else {
		for (; *p && *p != ',' && *p != ' ' && *p != '\t'; p++) {
			if (v >= DIGEST_MAX_PARAM - 1)
				return -1;
			value[v++] = *p;
		}
	}
	value[v] = 0;
	*pp = p;
	return 1;
}

static int list_has(const char *list, const char *word)
{
	size_t w = strlen(word);

	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, " ,");
		if (n == w && strncasecmp(p, word, w) == 0)
			return 1;
		p += n;
	}
	return 0;
}

enum err digest_challenge(struct digest_state *d, const char *challenge, int *stale)
{
	char name[64], value[DIGEST_MAX_PARAM];
	const char *p = challenge;
	struct digest_state nd = {0};
	int r;

	*stale = 0;
	if (strncasecmp(p, "Digest", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return ERR_FORMAT;
	p += 6;
	while ((r = next_param(&p, name, value)) > 0) {
		char **slot = strcasecmp(name, "realm") == 0	? &nd.realm
			      : strcasecmp(name, "nonce") == 0	? &nd.nonce
			      : strcasecmp(name, "opaque") == 0 ? &nd.opaque
								: NULL;
		if (slot) {
			free(*slot);
			if (!(*slot = strdup(value))) {
				digest_clear(&nd);
				return ERR_NOMEM;
			}
		} else if (strcasecmp(name, "algorithm") == 0) {
			if (strcasecmp(value, "SHA-256") == 0)
				nd.sha256 = 1;
			else if (strcasecmp(value, "MD5") != 0) {
				/* -sess variants and others are not offered by
				 * the servers WinRM meets; refusing beats guessing. */
				digest_clear(&nd);
				return ERR_FORMAT;
			}
		} else if (strcasecmp(name, "qop") == 0) {
			nd.qop_auth = list_has(value, "auth");
		} else if (strcasecmp(name, "stale") == 0) {
			*stale = strcasecmp(value, "true") == 0;
		}
	}
	if (r < 0 || !nd.realm || !nd.nonce) {
		digest_clear(&nd);
		return ERR_FORMAT;
	}
	digest_clear(d);
	*d = nd;
	return ERR_OK;
}

/* Lower-case hex of the hash of the arguments joined with ':'. */
static enum err hash_hex(int sha256, char out[65], int n, ...)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	va_list ap;
	int ok;

	if (!ctx)
		return ERR_NOMEM;
	ok = EVP_DigestInit_ex(ctx, sha256 ? EVP_sha256() : EVP_md5(), NULL);
	va_start(ap, n);
	for (int i = 0; i < n && ok; i++) {
		const char *s = va_arg(ap, const char *);
		ok = (i == 0 || EVP_DigestUpdate(ctx, ":", 1)) &&
		     EVP_DigestUpdate(ctx, s, strlen(s));
	}
	va_end(ap);
	ok = ok && EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return ERR_INTERNAL;
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	OPENSSL_cleanse(md, sizeof(md));
	return ERR_OK;
}

/* name="v" as a quoted-string (backslash before '"' and '\\'), after
 * sep. */
static enum err put_quoted(struct buf *out, const char *sep, const char *name, const char *v)
{
	enum err e = buf_putf(out, "%s%s=\"", sep, name);

	for (; *v && e == ERR_OK; v++)
		e = (*v == '"' || *v == '\\') ? buf_putf(out, "\\%c", *v)
					      : buf_put_u8(out, (uint8_t)*v);
	return e == ERR_OK ? buf_put_u8(out, '"') : e;
}

enum err digest_authorization(struct digest_state *d, const char *user, const char *password,
			      const char *method, const char *uri, struct buf *out)
{
	char cnonce[33];
	unsigned char rnd[16];

	if (!d->nonce)
		return ERR_USAGE;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return ERR_INTERNAL;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(cnonce + 2 * i, 3, "%02x", rnd[i]);
	return digest_authorization_cnonce(d, user, password, method, uri, cnonce, out);
}

enum err digest_authorization_cnonce(struct digest_state *d, const char *user, const char *password,
				     const char *method, const char *uri, const char *cnonce,
				     struct buf *out)
{
	char ha1[65], ha2[65], resp[65], nc[9];
	enum err e;

	if (!d->nonce)
		return ERR_USAGE;
	snprintf(nc, sizeof(nc), "%08x", ++d->nc);
	if ((e = hash_hex(d->sha256, ha1, 3, user, d->realm, password)) != ERR_OK ||
	    (e = hash_hex(d->sha256, ha2, 2, method, uri)) != ERR_OK)
		goto out;
	e = d->qop_auth ? hash_hex(d->sha256, resp, 6, ha1, d->nonce, nc, cnonce, "auth", ha2)
			: hash_hex(d->sha256, resp, 3, ha1, d->nonce, ha2);
	if (e != ERR_OK)
		goto out;
	if ((e = put_quoted(out, "Digest ", "username", user)) != ERR_OK ||
	    (e = put_quoted(out, ", ", "realm", d->realm)) != ERR_OK ||
	    (e = put_quoted(out, ", ", "nonce", d->nonce)) != ERR_OK ||
	    (e = put_quoted(out, ", ", "uri", uri)) != ERR_OK ||
	    (e = buf_putf(out, ", algorithm=%s, response=\"%s\"", d->sha256 ? "SHA-256" : "MD5",
			  resp)) != ERR_OK)
		goto out;
	if (d->qop_auth &&
	    (e = buf_putf(out, ", qop=auth, nc=%s, cnonce=\"%s\"", nc, cnonce)) != ERR_OK)
		goto out;
	if (d->opaque)
		e = put_quoted(out, ", ", "opaque", d->opaque);
out:
	OPENSSL_cleanse(ha1, sizeof(ha1));
	return e;
}
