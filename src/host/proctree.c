/* proctree: per-shell process counts and resident memory from /proc. */
#include "host/proctree.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bounds on one snapshot, so that a fork bomb of the user's own costs a
 * round of counting, not the host. */
#define PROCTREE_MAX 65536
/* Descent passes: deeper trees than this are counted down to this depth. */
#define PROCTREE_MAX_DEPTH 64

struct proc_entry {
	pid_t pid, ppid, session;
	unsigned long long start; /* clock ticks after boot */
	uint64_t resident_bytes;
};

struct proctree {
	struct proc_entry *v; /* sorted by pid */
	uint32_t n, cap;
};

/* /proc/PID/stat: "pid (comm) state ppid pgrp session ... starttime(22)
 * vsize(23) rss(24)"; comm may hold spaces and parentheses, so the fields
 * are counted from its last ')'. */
static int read_stat(int dirfd, const char *name, struct proc_entry *e, long page)
{
	char path[300], text[1024];
	int fd;
	ssize_t len;

	if ((size_t)snprintf(path, sizeof(path), "%s/stat", name) >= sizeof(path))
		return -1;
	if ((fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	text[len] = 0;
	const char *p = strrchr(text, ')');
	long long pid = atoll(text), rss;
	int ppid, session;
	char state;
	unsigned long long start;
	if (!p || sscanf(p + 1,
			 " %c %d %*d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
			 "%*d %llu %*u %lld",
			 &state, &ppid, &session, &start, &rss) != 5)
		return -1;
	/* A zombie holds no memory and runs nothing: it is no process here. */
	if (state == 'Z' || state == 'X')
		return -1;
	e->pid = (pid_t)pid;
	e->ppid = (pid_t)ppid;
	e->session = (pid_t)session;
	e->start = start;
	e->resident_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
	return 0;
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = ((const struct proc_entry *)a)->pid, y = ((const struct proc_entry *)b)->pid;
	return (x > y) - (x < y);
}

struct proctree *proctree_snapshot(void)
{
	struct proctree *t = calloc(1, sizeof(*t));
	DIR *d = opendir("/proc");
	struct dirent *de;
	struct stat st;
	uid_t me = geteuid();
	long page = sysconf(_SC_PAGESIZE);

	if (!t || !d) {
		free(t);
		if (d)
			closedir(d);
		return NULL;
	}
	while ((de = readdir(d)) && t->n < PROCTREE_MAX) {
		if (!isdigit((unsigned char)de->d_name[0]) ||
		    fstatat(dirfd(d), de->d_name, &st, 0) < 0 || st.st_uid != me)
			continue;
		if (t->n == t->cap) {
			uint32_t cap = t->cap ? t->cap * 2 : 64;
			struct proc_entry *v = reallocarray(t->v, cap, sizeof(*v));
			if (!v) {
				closedir(d);
				proctree_free(t);
				return NULL;
			}
			t->v = v;
			t->cap = cap;
		}
		if (read_stat(dirfd(d), de->d_name, &t->v[t->n], page) == 0)
			t->n++;
	}
	closedir(d);
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), by_pid);
	return t;
}

void proctree_free(struct proctree *t)
{
	if (!t)
		return;
	free(t->v);
	free(t);
}

static const struct proc_entry *find(const struct proctree *t, pid_t pid)
{
	struct proc_entry key = {.pid = pid};
	return t->n ? bsearch(&key, t->v, t->n, sizeof(key), by_pid) : NULL;
}

/* Marks root's processes in member (one byte per entry): root, its
 * session's members when root leads one, and their descendants. Returns
 * how many, 0 when root is gone. */
static uint32_t mark(const struct proctree *t, pid_t root, unsigned char *member)
{
	const struct proc_entry *r = find(t, root);
	uint32_t count = 0;

	if (!r)
		return 0;
	for (uint32_t i = 0; i < t->n; i++) {
		member[i] = t->v[i].pid == root || (r->session == root && t->v[i].session == root);
		count += member[i];
	}
	for (int depth = 0; depth < PROCTREE_MAX_DEPTH; depth++) {
		uint32_t added = 0;
		for (uint32_t i = 0; i < t->n; i++) {
			const struct proc_entry *parent;
			if (member[i] || !(parent = find(t, t->v[i].ppid)))
				continue;
			if (member[parent - t->v]) {
				member[i] = 1;
				added++;
			}
		}
		if (!added)
			break;
		count += added;
	}
	return count;
}

struct proctree_usage proctree_usage(const struct proctree *t, pid_t root)
{
	struct proctree_usage u = {0, 0};
	unsigned char *member = calloc(t->n ? t->n : 1, 1);

	if (!member)
		return u;
	u.processes = mark(t, root, member);
	for (uint32_t i = 0; i < t->n; i++)
		if (member[i])
			u.resident_bytes += t->v[i].resident_bytes;
	free(member);
	return u;
}

uint32_t proctree_newest(const struct proctree *t, pid_t root, pid_t *out, uint32_t max)
{
	unsigned char *member = calloc(t->n ? t->n : 1, 1);
	uint32_t n = 0;

	if (!member)
		return 0;
	mark(t, root, member);
	/* Selection of the newest, max times: max is small (the excess). */
	while (n < max) {
		const struct proc_entry *best = NULL;
		for (uint32_t i = 0; i < t->n; i++)
			if (member[i] && t->v[i].pid != root &&
			    (!best || t->v[i].start > best->start ||
			     (t->v[i].start == best->start && t->v[i].pid > best->pid)))
				best = &t->v[i];
		if (!best)
			break;
		member[best - t->v] = 0;
		out[n++] = best->pid;
	}
	free(member);
	return n;
}
