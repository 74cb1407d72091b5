/* Unit tests for priv_files: which owners and modes make a file or a
 * directory of the configuration unsafe (priv_files_unsafe), and the
 * check of a configuration directory made here, as root or not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "priv/priv_int.h"
#include "check.h"

static struct stat st(uid_t uid, mode_t mode)
{
	struct stat s;

	memset(&s, 0, sizeof(s));
	s.st_uid = uid;
	s.st_mode = mode;
	return s;
}

static int says(const char *why, const char *what)
{
	return why && strstr(why, what);
}

static void test_unsafe(void)
{
	struct stat s;

	s = st(0, S_IFDIR | 0755);
	CHECK("unsafe: root's 0755 directory is safe", !priv_files_unsafe(&s, 0, 0));
	s = st(0, S_IFREG | 0600);
	CHECK("unsafe: root's 0600 file is safe", !priv_files_unsafe(&s, 0, 0));
	s = st(1000, S_IFREG | 0644);
	CHECK("unsafe: another account's file is not",
	      says(priv_files_unsafe(&s, 0, 0), "owned by another account"));
	CHECK("unsafe: ... unless it is the invoking user's (single-user mode)",
	      !priv_files_unsafe(&s, 1000, 0));
	s = st(0, S_IFREG | 0664);
	CHECK("unsafe: a group-writable file is not",
	      says(priv_files_unsafe(&s, 0, 0), "writable by its group"));
	s = st(0, S_IFDIR | 0777);
	CHECK("unsafe: a world-writable directory is not",
	      says(priv_files_unsafe(&s, 0, 0), "writable by everyone"));
	s = st(0, S_IFDIR | 01777);
	CHECK("unsafe: a sticky one (/tmp) is safe above the configuration",
	      !priv_files_unsafe(&s, 0, 1));
	CHECK("unsafe: ... but not as the configuration directory itself",
	      priv_files_unsafe(&s, 0, 0) != NULL);
	s = st(1000, S_IFDIR | 01777);
	CHECK("unsafe: a sticky directory of another account is not",
	      priv_files_unsafe(&s, 0, 1) != NULL);
}

static void test_check(void)
{
	struct priv *p = calloc(1, sizeof(*p));
	char dir[] = "/tmp/test_priv_files.XXXXXX", file[64];
	struct config c;
	struct buf msg;

	if (!p || !mkdtemp(dir) || chmod(dir, 0755) < 0 || config_defaults(&c) != ERR_OK)
		abort();
	p->privsep = geteuid() == 0;
	p->self_uid = geteuid();
	snprintf(p->config_dir, sizeof(p->config_dir), "%s", dir);
	snprintf(file, sizeof(file), "%s/%s", dir, CONFIG_FILE);
	FILE *f = fopen(file, "w");
	if (!f || fclose(f) != 0 || chmod(file, 0644) < 0)
		abort();
	buf_init(&msg, 4096);
	CHECK("check: a 0755 directory with a 0644 winrm.conf",
	      priv_files_check(p, &c, &msg) == ERR_OK);
	chmod(file, 0664);
	CHECK("check: a group-writable winrm.conf is refused, named",
	      priv_files_check(p, &c, &msg) == ERR_CONFIG && buf_terminate(&msg) == ERR_OK &&
		  strstr((const char *)buf_ptr(&msg), file) &&
		  strstr((const char *)buf_ptr(&msg), "writable by its group"));
	chmod(file, 0644);
	chmod(dir, 0777);
	buf_clear(&msg);
	buf_init(&msg, 4096);
	CHECK("check: a world-writable directory is refused",
	      priv_files_check(p, &c, &msg) == ERR_CONFIG && buf_terminate(&msg) == ERR_OK &&
		  strstr((const char *)buf_ptr(&msg), "writable by everyone"));
	buf_clear(&msg);
	unlink(file);
	rmdir(dir);
	config_clear(&c);
	free(p);
}

int main(void)
{
	test_unsafe();
	test_check();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
