/* proctree: a shell's processes are its root, the root's session and
 * their descendants, counted from /proc; the newest come first. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "check.h"
#include "host/proctree.h"

static void pause_forever(void)
{
	for (int i = 0; i < 600; i++)
		sleep(1); /* bounded: the test kills the tree long before */
	_exit(0);
}

/* A root leading its own session with three processes under it: a child,
 * a grandchild that left the session (setsid: still a descendant), and a
 * process the root's child started and then left (reparented away, but in
 * the session). The orphan's parent stays a zombie of the child's, and a
 * zombie is no process to count. Then the newest are killed, down to the
 * root. Each is started after the previous one is up. */
static pid_t start_tree(int ready_fd)
{
	pid_t root = fork();
	if (root != 0)
		return root;
	setsid();
	if (fork() == 0) {
		if (fork() == 0) {
			setsid();
			if (write(ready_fd, "g", 1) != 1)
				_exit(1);
			pause_forever();
		}
		usleep(100000);
		if (fork() == 0) { /* orphaned below: stays in the session */
			if (fork() == 0) {
				if (write(ready_fd, "o", 1) != 1)
					_exit(1);
				pause_forever();
			}
			_exit(0);
		}
		pause_forever();
	}
	pause_forever();
	return 0;
}

static void test_tree(void)
{
	int fds[2];
	char c[2];
	CHECK("pipe", pipe(fds) == 0);
	pid_t root = start_tree(fds[1]);
	close(fds[1]);
	CHECK("the tree is up", read(fds[0], c, 1) == 1 && read(fds[0], c + 1, 1) == 1);
	close(fds[0]);
	usleep(200000); /* the orphan's parent has exited */

	struct proctree *t = proctree_snapshot();
	CHECK("snapshot", t != NULL);
	struct proctree_usage u = proctree_usage(t, &root, 1);
	CHECK("root, child, grandchild that left the session, orphan in the session",
	      u.processes == 4);
	CHECK("resident memory counted", u.resident_bytes > 0);
	pid_t both[2] = {root, getpid()};
	struct proctree_usage two = proctree_usage(t, both, 2);
	CHECK("two roots count together, each process once", two.processes >= 5);
	pid_t gone_root = 999999999;
	struct proctree_usage gone = proctree_usage(t, &gone_root, 1);
	CHECK("a root that is gone has nothing", gone.processes == 0 && gone.resident_bytes == 0);
	CHECK("the newest is killed, never the root", proctree_kill_newest(t, &root, 1, 1) == 1);
	proctree_free(t);

	usleep(200000);
	t = proctree_snapshot();
	CHECK("one process fewer", t && proctree_usage(t, &root, 1).processes == 3);
	CHECK("no more than there are, and never the root",
	      t && proctree_kill_newest(t, &root, 1, 10) == 2);
	proctree_free(t);
	usleep(200000);
	t = proctree_snapshot();
	CHECK("the root is left", t && proctree_usage(t, &root, 1).processes == 1);
	proctree_free(t);

	kill(-root, SIGKILL);
	waitpid(root, NULL, 0);
}

static int rounds;

static void count_round(void *arg, const struct proctree *t)
{
	pid_t self = getpid();
	(void)arg;
	if (proctree_usage(t, &self, 1).processes >= 1)
		rounds++;
}

static void test_watch(void)
{
	struct event_base *base = event_base_new();
	struct proctree_watch *w = proctree_watch_new(base, count_round, NULL);
	struct timeval stop = {2, 500000};

	CHECK("a watch", w != NULL);
	proctree_watch_run(w, 1);
	proctree_watch_run(w, 1); /* running already: no second timer */
	event_base_loopexit(base, &stop);
	event_base_dispatch(base);
	CHECK("a round a second", rounds == 2);
	proctree_watch_run(w, 0);
	CHECK("stopped, the loop has nothing left", event_base_dispatch(base) == 1);
	proctree_watch_free(w);
	event_base_free(base);
}

static void test_limit_set(void)
{
	CHECK("0 is no limit", !proctree_limit_set(0));
	CHECK("Windows' default is no limit", !proctree_limit_set(2147483647u));
	CHECK("a quota", proctree_limit_set(150));
}

int main(void)
{
	test_tree();
	test_watch();
	test_limit_set();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
