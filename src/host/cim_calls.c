/* cim_calls: a host's WMI methods and the children they wait for (host
 * role). See cim_calls.h. */
#include "host/cim_calls.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/log.h"

/* A method whose child still runs. */
struct running {
	struct cim_calls *calls;
	uint32_t id;
	int cancelled; /* the client is gone: reap, answer no one */
	struct cim_pending pending;
	struct cim_invoke_reply reply;
	struct event *deadline;
	struct running *next;
};

struct cim_calls {
	struct event_base *base;
	cim_calls_answer_fn *answer;
	void *arg;
	struct event *ev_chld; /* the engines watch SIGCHLD too, each for its own pids */
	struct running *running;
};

static void done(struct running *r, int status, int timed_out)
{
	struct cim_calls *c = r->calls;
	enum err e;

	for (struct running **p = &c->running; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	e = cim_pending_finish(&r->pending, &r->reply, status, timed_out);
	if (!r->cancelled)
		c->answer(c->arg, r->id, e, &r->reply);
	event_free(r->deadline);
	free(r);
}

/* SIGKILL to the child's process group (its own session) and itself. */
static void kill_and_reap(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void timed_out(evutil_socket_t fd, short what, void *arg)
{
	struct running *r = arg;

	(void)fd, (void)what;
	kill_and_reap(r->pending.pid);
	done(r, 0, 1);
}

static void sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct cim_calls *c = arg;
	struct running *r = c->running, *next;

	(void)sig, (void)what;
	for (; r; r = next) {
		int status;
		next = r->next;
		if (waitpid(r->pending.pid, &status, WNOHANG) == r->pending.pid)
			done(r, status, 0);
	}
}

struct cim_calls *cim_calls_new(struct event_base *base, cim_calls_answer_fn *answer, void *arg)
{
	struct cim_calls *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->base = base;
	c->answer = answer;
	c->arg = arg;
	if (!(c->ev_chld = evsignal_new(base, SIGCHLD, sigchld, c)) ||
	    evsignal_add(c->ev_chld, NULL) < 0) {
		if (c->ev_chld)
			event_free(c->ev_chld);
		free(c);
		return NULL;
	}
	return c;
}

void cim_calls_free(struct cim_calls *c)
{
	if (!c)
		return;
	while (c->running) {
		struct running *r = c->running;
		c->running = r->next;
		kill_and_reap(r->pending.pid);
		event_free(r->deadline);
		free(r);
	}
	event_free(c->ev_chld);
	free(c);
}

enum err cim_calls_invoke(struct cim_calls *c, uint32_t id, const struct cim_invoke_request *req,
			  struct cim_invoke_reply *reply)
{
	struct cim_pending pending;
	struct running *r;
	struct timeval tv;
	enum err e = cim_invoke(req, reply, &pending);

	if (e != ERR_OK || !pending.pid)
		return e;
	if (!(r = calloc(1, sizeof(*r))) || !(r->deadline = evtimer_new(c->base, timed_out, r))) {
		log_warnx("host: no memory to wait for process %d of a WMI method",
			  (int)pending.pid);
		free(r);
		kill_and_reap(pending.pid);
		return ERR_WSMAN_INTERNAL;
	}
	r->calls = c;
	r->id = id;
	r->pending = pending;
	r->reply = *reply;
	tv.tv_sec = pending.timeout_ms / 1000;
	tv.tv_usec = (pending.timeout_ms % 1000) * 1000;
	evtimer_add(r->deadline, &tv);
	/* Its SIGCHLD, whenever it came, reaches the loop after this returns. */
	r->next = c->running;
	c->running = r;
	return ERR_INCOMPLETE;
}

void cim_calls_cancel(struct cim_calls *c, uint32_t id)
{
	for (struct running *r = c->running; r; r = r->next)
		if (r->id == id)
			r->cancelled = 1;
}
