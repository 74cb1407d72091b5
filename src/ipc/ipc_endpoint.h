/* ipc_endpoint: one IPC channel on a libevent loop, the same for every
 * process pair (privileged part and network process, network process and
 * each per-user host). It reads in batches, watches for writes only while
 * messages wait, and matches each reply to the call that asked for it by
 * request id (OpenSSH's monitor_wrap, without blocking): a call has a
 * deadline, so a process never waits on another for ever. Messages that
 * are not replies (requests and notices) go to the endpoint's handler.
 *
 * Callbacks may free the endpoint (the free waits until they return) and
 * may cancel any call. */
#ifndef OPENWINRM_IPC_ENDPOINT_H
#define OPENWINRM_IPC_ENDPOINT_H

#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/err.h"
#include "ipc/ipc.h"

/* Messages handled per wakeup, so one peer cannot starve the rest. */
#define IPC_ENDPOINT_BATCH 64

struct event_base;
struct ipc_endpoint;
struct ipc_call;

struct ipc_endpoint_ops {
	/* A request or a notice from the peer. ERR_OK goes on; anything else
	 * says the message broke the protocol, and the channel closes. */
	enum err (*handle)(void *arg, struct ipc_msg *m);
	/* The channel closed: why is ERR_IO (the peer went away), ERR_FORMAT
	 * (it sent what it may not) or what handle returned. Runs before the
	 * calls still outstanding are answered with ERR_IO, so it may answer
	 * them otherwise (ipc_endpoint_fail). */
	void (*closed)(void *arg, enum err why);
};

/* The answer to a call, exactly once unless the call is cancelled: the
 * reply (e == ERR_OK; the callee owns m for the call's duration), or NULL
 * and why none came: ERR_TIMEOUT (the deadline passed), ERR_IO (the
 * channel closed), ERR_FORMAT (a reply of a type that does not answer the
 * call), or what ipc_endpoint_fail was given. */
typedef void ipc_answer_fn(void *arg, struct ipc_msg *m, enum err e);

/* An endpoint on fd, or, with fd -1, one whose peer is still starting:
 * messages queue until ipc_endpoint_attach. NULL when out of memory. */
struct ipc_endpoint *ipc_endpoint_new(struct event_base *base, int fd, enum ipc_role self,
				      enum ipc_role peer, uid_t peer_uid, pid_t peer_pid,
				      const struct ipc_endpoint_ops *ops, void *arg);
enum err ipc_endpoint_attach(struct ipc_endpoint *ep, int fd, uid_t peer_uid, pid_t peer_pid);
/* Closes the channel. Outstanding calls are dropped unanswered: their
 * owners must be gone or cancel them first. */
void ipc_endpoint_free(struct ipc_endpoint *ep);

/* A notice, or the answer to a request of the peer (id is its id). */
enum err ipc_endpoint_send(struct ipc_endpoint *ep, uint32_t type, uint32_t id,
			   const struct buf *body, const int *fds, int nfds);
/* Sends a request and arranges for answer(arg, ...) when its reply
 * arrives or timeout_ms have passed. On success *call is the handle for
 * ipc_endpoint_cancel; on failure nothing was sent and answer never runs. */
enum err ipc_endpoint_call(struct ipc_endpoint *ep, uint32_t type, const struct buf *body,
			   uint64_t timeout_ms, ipc_answer_fn *answer, void *arg,
			   struct ipc_call **call);
/* The asker is going away: its answer will not be delivered. */
void ipc_endpoint_cancel(struct ipc_call *call);
/* The request id call went out with, for telling the peer it is
 * cancelled (IPC_SHELL_CANCEL). */
uint32_t ipc_call_id(const struct ipc_call *call);
/* Answers every outstanding call with e (no message) and closes the
 * channel; later sends and calls fail with ERR_IO. */
void ipc_endpoint_fail(struct ipc_endpoint *ep, enum err e);
/* Calls not answered yet. */
uint32_t ipc_endpoint_calls(const struct ipc_endpoint *ep);

#endif
