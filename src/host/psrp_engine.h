/* psrp_engine: the PowerShell shells of a per-user host (host role only).
 * Each shell is one RunspacePool served by its own `pwsh -NoLogo
 * -NoProfile -s`, a child of the host running as the host's user, spoken
 * to in PowerShell's out-of-process line protocol (one <Data>, <Command>,
 * <Signal>, <Close> packet per line, answered by the matching *Ack). The
 * engine turns the WinRM shell operations of the PowerShell endpoints
 * (MS-PSRP 3.1.5.3) into those packets and the packets pwsh writes into
 * Receive replies: whole PSRP fragments, one chunk each, in the order pwsh
 * wrote them, for the pool (empty CommandId) or for one pipeline.
 *
 * It runs on the host's libevent base and never blocks. Every operation
 * waits for pwsh (an ack, output), so every one is answered through the
 * answer callback, possibly before the call returns. */
#ifndef OPENWINRM_PSRP_ENGINE_H
#define OPENWINRM_PSRP_ENGINE_H

#include <stdint.h>

#include "common/err.h"
#include "shell/shell_ops.h"

struct event_base;
struct psrp_engine;

/* Answers request req_id of operation op (one of the SHELL_PS_* rows).
 * reply is op's reply struct (struct shell_create_reply, struct
 * shell_command_reply or struct shell_receive_reply) when status is ERR_OK
 * and the row has one, else NULL; a Receive reply's chunks are views valid
 * only during the call. It must not call back into the engine. */
typedef void psrp_engine_answer_fn(void *arg, uint32_t req_id, const struct shell_op *op,
				   enum err status, const void *reply);

/* Tells of a shell that ended without a Delete (pwsh exited, IdleTimeout),
 * with the number of PowerShell shells left. */
typedef void psrp_engine_ended_fn(void *arg, uint32_t shells_left);

struct psrp_engine *psrp_engine_new(struct event_base *base, psrp_engine_answer_fn *answer,
				    psrp_engine_ended_fn *ended, void *arg);
/* Kills every pwsh (its process group) and frees every shell, answering
 * nothing (the channel is gone). */
void psrp_engine_free(struct psrp_engine *e);
void psrp_engine_set_limits(struct psrp_engine *e, const struct shell_limits *l);
/* A session configuration's host (host.h, HOST_ENV_ENDPOINT): every pwsh
 * is pwsh (the privileged part's choice, not the Create's) with
 * -ConfigurationFile configuration_file when that is not NULL, the
 * restricted session the privileged part compiled. Copies both; ERR_NOMEM. */
enum err psrp_engine_restrict(struct psrp_engine *e, const char *pwsh,
			      const char *configuration_file);
/* The pwsh to run: configured when it is set, else the first of the usual
 * install paths that is executable, else NULL. */
const char *psrp_engine_pwsh_find(const char *configured);
uint32_t psrp_engine_shells(const struct psrp_engine *e);

void psrp_engine_create(struct psrp_engine *e, uint32_t req_id, const struct shell_create_req *req);
void psrp_engine_command(struct psrp_engine *e, uint32_t req_id,
			 const struct shell_command_req *req);
/* Takes req->data (the engine wipes and frees it). */
void psrp_engine_send(struct psrp_engine *e, uint32_t req_id, struct shell_send_req *req);
void psrp_engine_receive(struct psrp_engine *e, uint32_t req_id,
			 const struct shell_receive_req *req);
/* As shell_engine_cancel. */
void psrp_engine_cancel(struct psrp_engine *e, uint32_t req_id);
void psrp_engine_signal(struct psrp_engine *e, uint32_t req_id, const struct shell_signal_req *req);
void psrp_engine_delete(struct psrp_engine *e, uint32_t req_id, const struct shell_delete_req *req);

/* Disconnected sessions (MS-PSRP 3.1.5.3.16 to 3.1.5.3.19), answered at
 * once (the status; Connect's reply filled on ERR_OK). Disconnect fails
 * the shell's pending Receives and keeps pwsh running until the
 * disconnect's IdleTimeOut; while disconnected, Command, Send, Receive and
 * Signal are refused (ERR_WSMAN_SHELL_DISCONNECTED). Connect takes a
 * disconnected shell from any client of the user (a connected one is
 * ERR_WSMAN_SHELL_IN_USE); Reconnect from the one that left. */
enum err psrp_engine_disconnect(struct psrp_engine *e, const struct shell_disconnect_req *req);
enum err psrp_engine_reconnect(struct psrp_engine *e, const struct shell_reconnect_req *req);
enum err psrp_engine_connect(struct psrp_engine *e, const struct shell_connect_req *req,
			     struct shell_connect_reply *reply);
/* The open shells (empty req->shell_id), or the commands of one. */
enum err psrp_engine_list(struct psrp_engine *e, const struct shell_list_req *req,
			  struct shell_list_reply *reply);

#endif
