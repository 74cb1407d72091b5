/* priv_files: privileged part. Refuses a configuration that others than
 * root could have written, as OpenSSH's StrictModes and secure_filename
 * do: the configuration directory, the files the privileged part reads at
 * start-up and reload (winrm.conf, ntlm_users, the listeners' certificates
 * and keys, the keytab, TrustedIssuers) and every directory above them
 * must belong to root (or, in single-user mode, to the invoking user) and
 * not be writable by their group or by others. Whoever could write one
 * could choose who logs in, and as whom. Session configuration files are
 * checked by the same rule when used (priv_endpoint.c). The check runs before the
 * configuration is used, not when each file is opened: a file swapped
 * in between is the owner's doing, who could change it anyway. */
#include "priv/priv_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *priv_files_unsafe(const struct stat *st, uid_t owner, int above)
{
	if (st->st_uid != 0 && st->st_uid != owner)
		return "is owned by another account than root";
	/* In a sticky directory (/tmp) only an entry's owner can rename or
	 * remove it, and every entry below has been checked to be root's. */
	if (above && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
		return NULL;
	if (st->st_mode & S_IWOTH)
		return "is writable by everyone";
	if (st->st_mode & S_IWGRP)
		return "is writable by its group";
	return NULL;
}

/* path (dir/path if relative), where links lead, and each directory
 * above it up to /. A missing file is no danger: whoever reads it says
 * so, and its directory is checked. */
static enum err check_path(const char *dir, const char *path, uid_t owner, struct buf *errmsg)
{
	char full[PATH_MAX], real[PATH_MAX];
	struct stat st;
	const char *why;

	if (!path || !*path)
		return ERR_OK;
	if ((size_t)snprintf(full, sizeof(full), "%s%s%s", path[0] == '/' ? "" : dir,
			     path[0] == '/' ? "" : "/", path) >= sizeof(full)) {
		buf_putf(errmsg, "%s/%s: path too long", dir, path);
		return ERR_CONFIG;
	}
	if (!realpath(full, real)) {
		if (errno == ENOENT)
			return ERR_OK;
		buf_putf(errmsg, "%s: %s", full, strerror(errno));
		return ERR_CONFIG;
	}
	for (int above = 0;; above = 1) {
		if (stat(real, &st) < 0) {
			buf_putf(errmsg, "%s: %s", real, strerror(errno));
			return ERR_CONFIG;
		}
		if ((why = priv_files_unsafe(&st, owner, above))) {
			buf_putf(errmsg,
				 "%s %s (owner uid %u, mode %04o): refusing a configuration others "
				 "could have changed; make it root's and not group- or "
				 "world-writable",
				 real, why, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
			return ERR_CONFIG;
		}
		char *slash = strrchr(real, '/');
		if (!slash || slash[1] == 0)
			return ERR_OK;
		slash[slash == real ? 1 : 0] = 0;
	}
}

enum err priv_files_check(const struct priv *p, const struct config *c, struct buf *errmsg)
{
	uid_t owner = p->privsep ? 0 : p->self_uid;
	const char *files[] = {".", CONFIG_FILE, CONFIG_NTLM_USERS, c->service.auth.keytab,
			       c->service.auth.trusted_issuers};
	enum err e;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if ((e = check_path(p->config_dir, files[i], owner, errmsg)) != ERR_OK)
			return e;
	for (uint32_t i = 0; i < c->nlisteners; i++) {
		const struct config_listener *l = &c->listeners[i];
		if ((e = check_path(p->config_dir, l->certificate_file, owner, errmsg)) != ERR_OK ||
		    (e = check_path(p->config_dir, l->key_file, owner, errmsg)) != ERR_OK)
			return e;
	}
	return ERR_OK;
}
