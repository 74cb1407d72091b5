/* proctree: per-shell process counts and resident memory from /proc. */
#include "host/proctree.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"

/* Bounds on one snapshot, so that a fork bomb of the user's own costs a
 * round of counting, not the host. */
#define PROCTREE_MAX 65536
/* Descent passes: deeper trees than this are counted down to this depth. */
#define PROCTREE_MAX_DEPTH 64
/* How often a watch counts. */
#define PROCTREE_ROUND_MS 1000

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

/* Marks the roots' processes in member (one byte per entry): each root,
 * its session's members when it leads one, and their descendants.
 * Returns how many. */
static uint32_t mark(const struct proctree *t, const pid_t *roots, uint32_t nroots,
		     unsigned char *member)
{
	uint32_t count = 0;

	memset(member, 0, t->n ? t->n : 1);
	for (uint32_t k = 0; k < nroots; k++) {
		const struct proc_entry *r = find(t, roots[k]);
		if (!r)
			continue;
		for (uint32_t i = 0; i < t->n; i++) {
			if (!member[i] &&
			    (t->v[i].pid == roots[k] ||
			     (r->session == roots[k] && t->v[i].session == roots[k]))) {
				member[i] = 1;
				count++;
			}
		}
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

static int is_root(pid_t pid, const pid_t *roots, uint32_t nroots)
{
	for (uint32_t k = 0; k < nroots; k++)
		if (roots[k] == pid)
			return 1;
	return 0;
}

struct proctree_usage proctree_usage(const struct proctree *t, const pid_t *roots, uint32_t nroots)
{
	struct proctree_usage u = {0, 0};
	unsigned char *member = malloc(t->n ? t->n : 1);

	if (!member)
		return u;
	u.processes = mark(t, roots, nroots, member);
	for (uint32_t i = 0; i < t->n; i++)
		if (member[i])
			u.resident_bytes += t->v[i].resident_bytes;
	free(member);
	return u;
}

uint32_t proctree_kill_newest(const struct proctree *t, const pid_t *roots, uint32_t nroots,
			      uint32_t count)
{
	unsigned char *member = malloc(t->n ? t->n : 1);
	uint32_t n = 0;

	if (!member)
		return 0;
	mark(t, roots, nroots, member);
	/* Selection of the newest, count times: count is small (the excess). */
	while (n < count) {
		const struct proc_entry *best = NULL;
		for (uint32_t i = 0; i < t->n; i++)
			if (member[i] && !is_root(t->v[i].pid, roots, nroots) &&
			    (!best || t->v[i].start > best->start ||
			     (t->v[i].start == best->start && t->v[i].pid > best->pid)))
				best = &t->v[i];
		if (!best)
			break;
		member[best - t->v] = 0;
		kill(best->pid, SIGKILL);
		n++;
	}
	free(member);
	return n;
}

struct proctree_watch {
	struct event *ev;
	proctree_round_fn *fn;
	void *arg;
};

static void watch_round(evutil_socket_t fd, short what, void *arg)
{
	struct proctree_watch *w = arg;
	struct proctree *t;

	(void)fd, (void)what;
	if (!(t = proctree_snapshot())) {
		log_warnx("cannot count the shells' processes (out of memory)");
		return;
	}
	w->fn(w->arg, t);
	proctree_free(t);
}

struct proctree_watch *proctree_watch_new(struct event_base *base, proctree_round_fn *fn, void *arg)
{
	struct proctree_watch *w = calloc(1, sizeof(*w));

	if (!w || !(w->ev = event_new(base, -1, EV_PERSIST, watch_round, w))) {
		free(w);
		return NULL;
	}
	w->fn = fn;
	w->arg = arg;
	return w;
}

void proctree_watch_run(struct proctree_watch *w, int on)
{
	struct timeval tv = {PROCTREE_ROUND_MS / 1000, (PROCTREE_ROUND_MS % 1000) * 1000};

	if (!on)
		event_del(w->ev);
	else if (!event_pending(w->ev, EV_TIMEOUT, NULL))
		event_add(w->ev, &tv);
}

void proctree_watch_free(struct proctree_watch *w)
{
	if (!w)
		return;
	event_free(w->ev);
	free(w);
}
