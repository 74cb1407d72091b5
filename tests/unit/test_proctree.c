/* proctree: a shell's processes are its root, the root's session and
 * their descendants, counted from /proc; the newest come first. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
 * zombie is no process to count. Each is started after the previous one is up. */
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
	struct proctree_usage u = proctree_usage(t, root);
	CHECK("root, child, grandchild that left the session, orphan in the session",
	      u.processes == 4);
	CHECK("resident memory counted", u.resident_bytes > 0);
	struct proctree_usage mine = proctree_usage(t, getpid());
	CHECK("the test itself does not lead a session with the tree in it",
	      mine.processes >= 1 && mine.processes <= 1 + 4);
	pid_t newest[8];
	uint32_t n = proctree_newest(t, root, newest, 8);
	CHECK("every process but the root", n == 3);
	int root_listed = 0;
	for (uint32_t i = 0; i < n; i++)
		root_listed |= newest[i] == root;
	CHECK("the root is never among the newest", !root_listed);
	CHECK("max bounds the answer", proctree_newest(t, root, newest, 1) == 1);
	struct proctree_usage gone = proctree_usage(t, 999999999);
	CHECK("a root that is gone has nothing", gone.processes == 0 && gone.resident_bytes == 0);
	proctree_free(t);

	kill(-root, SIGKILL);
	for (uint32_t i = 0; i < n; i++)
		kill(newest[i], SIGKILL);
	waitpid(root, NULL, 0);
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
	test_limit_set();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
