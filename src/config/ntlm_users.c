/* ntlm_users: DIR/ntlm_users, the smbpasswd-format file of NT hashes that
 * gss-ntlmssp verifies local accounts' NTLM logins against (config.h).
 * A change reads the whole file, edits it in memory and writes it back
 * atomically; lines other than the edited entry are copied unchanged. */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <unicase.h>
#include <unistr.h>

#include "common/utf16.h"

/* ---- the NT hash ---- */

/* MD4 lives in OpenSSL 3's legacy provider. Loading it into a context of
 * our own leaves the process's default context (TLS, everything else)
 * with the algorithms it had. */
static enum err md4(const unsigned char *data, size_t len, unsigned char out[NTLM_HASH_LEN])
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *legacy = NULL, *deflt = NULL;
	EVP_MD *md = NULL;
	unsigned int outlen = 0;
	enum err e = ERR_INTERNAL;

	if (ctx && (legacy = OSSL_PROVIDER_load(ctx, "legacy")) &&
	    (deflt = OSSL_PROVIDER_load(ctx, "default")) && (md = EVP_MD_fetch(ctx, "MD4", NULL)) &&
	    EVP_MD_get_size(md) == NTLM_HASH_LEN && EVP_Digest(data, len, out, &outlen, md, NULL) &&
	    outlen == NTLM_HASH_LEN)
		e = ERR_OK;
	EVP_MD_free(md);
	if (deflt)
		OSSL_PROVIDER_unload(deflt);
	if (legacy)
		OSSL_PROVIDER_unload(legacy);
	OSSL_LIB_CTX_free(ctx);
	return e;
}

enum err ntlm_nt_hash(const char *password, unsigned char hash[NTLM_HASH_LEN])
{
	size_t n = strlen(password), len = 0;
	unsigned char *utf16;
	enum err e;

	if (n > SIZE_MAX / 2 - 1)
		return ERR_LIMIT;
	if (!(utf16 = malloc(2 * n + 1)))
		return ERR_NOMEM;
	if ((e = utf16_from_utf8(password, n, utf16, &len)) == ERR_OK)
		e = md4(utf16, len, hash);
	/* It is the password, re-encoded. */
	OPENSSL_cleanse(utf16, 2 * n + 1);
	free(utf16);
	return e;
}

/* ---- the file ---- */

__attribute__((format(printf, 2, 3))) static void say(struct buf *errmsg, const char *fmt, ...)
{
	va_list ap;

	if (!errmsg)
		return;
	va_start(ap, fmt);
	(void)buf_vputf(errmsg, fmt, ap);
	va_end(ap);
}

/* DIR/ntlm_users into text (a missing file is empty), NUL-terminated. */
static enum err read_users(const char *dir, struct buf *text, struct buf *errmsg)
{
	char path[PATH_MAX];
	uint8_t *space;
	ssize_t r;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, CONFIG_NTLM_USERS) >= sizeof(path)) {
		say(errmsg, "%s: configuration directory path too long", dir);
		return ERR_IO;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return buf_terminate(text);
		say(errmsg, "%s: %s", path, strerror(errno));
		return ERR_IO;
	}
	for (;;) {
		if (buf_len(text) > NTLM_MAX_FILE) {
			close(fd);
			say(errmsg, "%s: larger than %d bytes", path, NTLM_MAX_FILE);
			return ERR_LIMIT;
		}
		if (buf_reserve(text, 65536, &space) != ERR_OK) {
			close(fd);
			return ERR_NOMEM;
		}
		r = read(fd, space, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		buf_commit(text, (size_t)r);
	}
	if (r < 0) {
		say(errmsg, "%s: %s", path, strerror(errno));
		close(fd);
		return ERR_IO;
	}
	close(fd);
	if (memchr(buf_ptr(text), 0, buf_len(text))) {
		say(errmsg, "%s: holds a NUL byte: not an smbpasswd file", path);
		return ERR_FORMAT;
	}
	return buf_terminate(text);
}

void ntlm_computer_name(char out[NTLM_MAX_COMPUTER_NAME + 1])
{
	char host[256];
	size_t n = 0;

	if (gethostname(host, sizeof(host)) < 0)
		host[0] = 0;
	host[sizeof(host) - 1] = 0;
	for (; n < NTLM_MAX_COMPUTER_NAME && host[n] && host[n] != '.'; n++)
		out[n] = (char)toupper((unsigned char)host[n]);
	out[n] = 0;
}

/* The account name of an entry line, after any DOMAIN\ (its length in
 * *n), or NULL for lines that are not entries: comments and lines without
 * a ':'. */
static const char *entry_name(const char *line, size_t len, size_t *n)
{
	const char *colon = memchr(line, ':', len), *slash;

	if (len == 0 || line[0] == '#' || !colon)
		return NULL;
	if ((slash = memchr(line, '\\', (size_t)(colon - line))))
		line = slash + 1;
	*n = (size_t)(colon - line);
	return line;
}

static int is_entry_of(const char *line, size_t len, const char *name)
{
	size_t n;
	const char *e = entry_name(line, len, &n);

	return e && n == strlen(name) && memcmp(e, name, n) == 0;
}

/* Whether an entry's name (e, n bytes) is name as gss-ntlmssp matches
 * them: equal ignoring case, by libunistring's ulc_casecmp in the
 * locale's language, the comparison gss-ntlmssp itself makes. */
static int same_but_for_case(const char *e, size_t n, const char *name)
{
	int order = 1;

	return ulc_casecmp(e, n, name, strlen(name), uc_locale_language(), NULL, &order) == 0 &&
	       order == 0;
}

/* An entry's uid, the field after its name; 0 if it has none. */
static int entry_uid(const char *line, size_t len, uint32_t *uid)
{
	const char *field = memchr(line, ':', len), *end = line + len;
	unsigned long v = 0;
	int digits = 0;

	for (field = field ? field + 1 : end; field < end && *field != ':'; field++, digits++) {
		if (*field < '0' || *field > '9' || digits >= 10)
			return 0;
		v = v * 10 + (unsigned long)(*field - '0');
	}
	if (!digits || field >= end || v > UINT32_MAX)
		return 0;
	*uid = (uint32_t)v;
	return 1;
}

static enum err check_name(const char *name, struct buf *errmsg)
{
	size_t n = strlen(name);

	if (n == 0 || n > NTLM_MAX_NAME) {
		say(errmsg, "an account name has 1 to %d bytes", NTLM_MAX_NAME);
		return ERR_CONFIG;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch < 0x20 || ch == 0x7f || ch == ':' || ch == '\\' || (i == 0 && ch == '#')) {
			say(errmsg, "the account name may not hold ':', '\\', control characters "
				    "or start with '#'");
			return ERR_CONFIG;
		}
	}
	return ERR_OK;
}

/* Copies text to out without name's entries, writing replacement (if not
 * NULL) where the first one was, or at the end. The number of entries of
 * name dropped in *found. ERR_CONFIG when a replacement would join an
 * entry whose name equals name but for case: NTLM would match either. */
static enum err rewrite(const char *text, const char *name, const char *replacement,
			struct buf *out, unsigned *found)
{
	const char *p = text;
	int placed = 0;
	enum err e;

	*found = 0;
	while (*p) {
		size_t len = strcspn(p, "\n");
		int nl = p[len] == '\n';

		size_t n;
		const char *entry = entry_name(p, len, &n);

		if (replacement && entry && !is_entry_of(p, len, name) &&
		    same_but_for_case(entry, n, name))
			return ERR_CONFIG;
		if (is_entry_of(p, len, name)) {
			(*found)++;
			if (replacement && !placed &&
			    (e = buf_put(out, replacement, strlen(replacement))) != ERR_OK)
				return e;
			placed = 1;
		} else {
			/* A last line without its '\n' gets one, so that an
			 * entry appended after it starts a line of its own. */
			if ((e = buf_put(out, p, len)) != ERR_OK ||
			    (e = buf_put(out, "\n", 1)) != ERR_OK)
				return e;
		}
		p += len + nl;
	}
	if (replacement && !placed)
		return buf_put(out, replacement, strlen(replacement));
	return ERR_OK;
}

static enum err write_users(const char *dir, const struct buf *out, struct buf *errmsg)
{
	if (buf_len(out) > NTLM_MAX_FILE) {
		say(errmsg, "%s/%s would be larger than %d bytes", dir, CONFIG_NTLM_USERS,
		    NTLM_MAX_FILE);
		return ERR_LIMIT;
	}
	/* 0600: NT hashes are password equivalents (pass-the-hash). */
	if (config_write_file(dir, CONFIG_NTLM_USERS, buf_ptr(out), buf_len(out), 0600) != ERR_OK) {
		say(errmsg, "cannot write %s/%s: %s", dir, CONFIG_NTLM_USERS, strerror(errno));
		return ERR_IO;
	}
	return ERR_OK;
}

/* Reads the file, drops name's entries (adding replacement), writes it. */
static enum err edit(const char *dir, const char *name, const char *replacement, unsigned *found,
		     struct buf *errmsg)
{
	struct buf text, out;
	enum err e;

	buf_init(&text, NTLM_MAX_FILE + 65536 + 1);
	buf_init(&out, NTLM_MAX_FILE + 65536 + 1);
	if ((e = read_users(dir, &text, errmsg)) == ERR_OK &&
	    (e = rewrite((const char *)buf_ptr(&text), name, replacement, &out, found)) == ERR_OK &&
	    (replacement || *found))
		e = write_users(dir, &out, errmsg);
	else if (e == ERR_CONFIG)
		say(errmsg,
		    "another account's entry in %s/%s differs from %s only in case: NTLM user "
		    "names are not case-sensitive, so one of the two accounts can have an NTLM "
		    "password",
		    dir, CONFIG_NTLM_USERS, name);
	buf_clear(&text);
	buf_clear(&out);
	return e;
}

enum err ntlm_users_set(const char *dir, const char *name, uint32_t uid,
			const unsigned char hash[NTLM_HASH_LEN], time_t now, struct buf *errmsg)
{
	char line[NTLM_MAX_NAME + NTLM_MAX_COMPUTER_NAME + 128], hex[2 * NTLM_HASH_LEN + 1];
	char computer[NTLM_MAX_COMPUTER_NAME + 1];
	unsigned found;
	enum err e;

	if ((e = check_name(name, errmsg)) != ERR_OK)
		return e;
	ntlm_computer_name(computer);
	for (size_t i = 0; i < NTLM_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02X", hash[i]);
	/* No LM hash (32 'X'); account flags: U, a normal user account. */
	snprintf(line, sizeof(line),
		 "%s\\%s:%lu:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:%s:[U          ]:LCT-%08lX:\n",
		 computer, name, (unsigned long)uid, hex, (unsigned long)(uint32_t)now);
	e = edit(dir, name, line, &found, errmsg);
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_cleanse(hex, sizeof(hex));
	return e;
}

enum err ntlm_users_match(const char *dir, const char *user, char name[NTLM_MAX_NAME + 1],
			  uint32_t *uid, struct buf *errmsg)
{
	struct buf text;
	const char *p;
	unsigned matches = 0;
	enum err e;

	buf_init(&text, NTLM_MAX_FILE + 65536 + 1);
	if ((e = read_users(dir, &text, errmsg)) != ERR_OK) {
		buf_clear(&text);
		return e;
	}
	for (p = (const char *)buf_ptr(&text); *p;) {
		size_t len = strcspn(p, "\n"), n;
		const char *entry = entry_name(p, len, &n);

		if (entry && same_but_for_case(entry, n, user) && matches++ == 0) {
			if (n > NTLM_MAX_NAME || !entry_uid(p, len, uid)) {
				say(errmsg, "%s/%s: the entry for %s is malformed", dir,
				    CONFIG_NTLM_USERS, user);
				e = ERR_FORMAT;
			}
			snprintf(name, NTLM_MAX_NAME + 1, "%.*s", (int)(n <= NTLM_MAX_NAME ? n : 0),
				 entry);
		}
		p += len + (p[len] == '\n');
	}
	buf_clear(&text);
	if (matches > 1) {
		say(errmsg, "%u entries of %s/%s match %s but for case", matches, dir,
		    CONFIG_NTLM_USERS, user);
		return ERR_CONFIG;
	}
	return matches ? e : ERR_NOT_FOUND;
}

enum err ntlm_users_delete(const char *dir, const char *name, struct buf *errmsg)
{
	unsigned found = 0;
	enum err e;

	if ((e = check_name(name, errmsg)) != ERR_OK)
		return e;
	if ((e = edit(dir, name, NULL, &found, errmsg)) != ERR_OK)
		return e;
	if (!found) {
		say(errmsg, "%s has no entry in %s/%s", name, dir, CONFIG_NTLM_USERS);
		return ERR_NOT_FOUND;
	}
	return ERR_OK;
}

enum err ntlm_users_list(const char *dir, struct buf *out, struct buf *errmsg)
{
	struct buf text;
	const char *p;
	enum err e;

	buf_init(&text, NTLM_MAX_FILE + 65536 + 1);
	if ((e = read_users(dir, &text, errmsg)) != ERR_OK) {
		buf_clear(&text);
		return e;
	}
	for (p = (const char *)buf_ptr(&text); *p && e == ERR_OK;) {
		size_t len = strcspn(p, "\n"), n;
		const char *name = entry_name(p, len, &n);

		if (name && (e = buf_put(out, name, n)) == ERR_OK)
			e = buf_put(out, "\n", 1);
		p += len + (p[len] == '\n');
	}
	buf_clear(&text);
	return e;
}
