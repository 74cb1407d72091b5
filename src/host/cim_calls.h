/* cim_calls: the WMI methods of a per-user host (host role): each runs
 * as the user through cim_invoke (cim/cim.h); one whose work goes on in
 * a child (an init script's start or stop) is answered when the child
 * ends, or at its deadline with ReturnValue 7 and the child's process
 * group killed, while the host's loop goes on serving. */
#ifndef OPENWINRM_CIM_CALLS_H
#define OPENWINRM_CIM_CALLS_H

#include <stdint.h>

#include <event2/event.h>

#include "cim/cim.h"

struct cim_calls;

/* A later answer: status ERR_OK with the reply, or a fault. */
typedef void cim_calls_answer_fn(void *arg, uint32_t id, enum err status,
				 const struct cim_invoke_reply *reply);

struct cim_calls *cim_calls_new(struct event_base *base, cim_calls_answer_fn *answer, void *arg);
/* Kills the children still running (their process groups) and reaps them. */
void cim_calls_free(struct cim_calls *c);

/* Runs req's method as request id. ERR_OK (reply filled) or a fault: the
 * answer is now. ERR_INCOMPLETE: it comes later, through answer. */
enum err cim_calls_invoke(struct cim_calls *c, uint32_t id, const struct cim_invoke_request *req,
			  struct cim_invoke_reply *reply);
/* The client is gone: no answer for id. Its child goes on to its end
 * (half a service's stop is worse than a whole one) and is reaped. */
void cim_calls_cancel(struct cim_calls *c, uint32_t id);

#endif
