/* config_write: the stored format written (privileged part and CLI):
 * config_serialize, and the atomic replacement of a file of DIR that
 * config_save and ntlm_users.c use. What it writes, config_read.c reads. */
#include "config/config_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether s has a line: neither read-only, computed nor write-only. */
static int stored(const struct setting *s)
{
	return !(s->flags & F_RO) && s->type != T_NONE && s->type != T_SECRET;
}

static enum err put_setting(struct buf *out, const char *prefix, const char *name, const char *v)
{
	return buf_putf(out, "%s%s =%s%s\n", prefix, name, *v ? " " : "", v);
}

enum err config_serialize(const struct config *c, struct buf *out)
{
	size_t start = buf_len(out);
	char num[16], prefix[2 * MAX_KEY];
	enum err e;

	if ((e = buf_putf(out, "# openwinrm winrm/config: one \"Path/Name = value\" per line.\n"
			       "# `winrm set` rewrites this file and drops comments.\n")) != ERR_OK)
		return e;
	for (size_t i = 0; i < config_nsettings; i++) {
		const struct setting *s = &config_settings[i];
		if (!stored(s))
			continue;
		snprintf(prefix, sizeof(prefix), "%s%s", s->path, *s->path ? "/" : "");
		if ((e = put_setting(out, prefix, s->name, config_value_text(s, c, num))) != ERR_OK)
			return e;
	}
	for (size_t k = 0; k < config_ncollections; k++) {
		const struct collection *col = &config_collections[k];
		for (uint32_t i = 0; i < *config_instance_count(c, col); i++) {
			const void *item = config_instance(c, col, i);
			char sel[MAX_KEY];

			col->selectors_of(item, sel);
			snprintf(prefix, sizeof(prefix), "%s?%s/", col->resource, sel);
			for (size_t r = 0; r < col->nsettings; r++) {
				const struct setting *s = &col->settings[r];
				if (!stored(s) || (s->flags & F_KEY))
					continue;
				if ((e = put_setting(out, prefix, s->name,
						     config_value_text(s, item, num))) != ERR_OK)
					return e;
			}
		}
	}
	/* config_parse refuses more, so do not write more. */
	return buf_len(out) - start > CONFIG_MAX_FILE ? ERR_LIMIT : ERR_OK;
}

/* Removes the temporary files of name that writers killed before their
 * rename left in dir: those whose pid is no process's. A live writer's
 * is kept, and so is one whose pid is another's now or that we may not
 * signal (it stays until a writer that may look). */
static void remove_stale_temporaries(const char *dir, const char *name)
{
	char prefix[NAME_MAX + 1];
	int n = snprintf(prefix, sizeof(prefix), "%s.tmp.", name);
	DIR *d;
	struct dirent *de;

	if (n < 0 || (size_t)n >= sizeof(prefix) || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		char *end;
		if (strncmp(de->d_name, prefix, (size_t)n) != 0)
			continue;
		errno = 0;
		long pid = strtol(de->d_name + n, &end, 10);
		if (errno || *end || pid <= 0 || pid == (long)getpid() || pid > INT_MAX)
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

enum err config_write_file(const char *dir, const char *name, const void *data, size_t len,
			   mode_t mode)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t off = 0;
	int fd = -1, dfd, saved;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return ERR_IO;
	}
	/* A temporary file left by a crashed writer with our pid is stale;
	 * so are those of writers no longer running. */
	(void)unlink(tmp);
	remove_stale_temporaries(dir, name);
	/* fchmod: the umask must not narrow (or the creator widen) the mode. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	/* The rename is durable only once the directory is. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return ERR_IO;
	if (fsync(dfd) < 0) {
		saved = errno;
		close(dfd);
		errno = saved;
		return ERR_IO;
	}
	close(dfd);
	return ERR_OK;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	errno = saved;
	return ERR_IO;
}

enum err config_save(const struct config *c, const char *dir)
{
	struct buf out;
	enum err e;
	int saved;

	buf_init(&out, CONFIG_MAX_FILE + 1024);
	if ((e = config_serialize(c, &out)) == ERR_OK)
		e = config_write_file(dir, CONFIG_FILE, buf_ptr(&out), buf_len(&out), 0644);
	saved = errno;
	buf_clear(&out);
	errno = saved;
	return e;
}
