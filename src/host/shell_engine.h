/* shell_engine: the shell engine of a per-user host (host role only). It holds
 * the user's shells, runs their commands as process groups with piped
 * stdin/stdout/stderr, buffers output between Receives and enforces the
 * Winrs limits. It runs on the host's libevent base and never blocks,
 * except for the short read that tells whether an exec succeeded.
 *
 * Create, Command, Signal and Delete are answered when the call returns.
 * Send and Receive may have to wait (for the pipe, for output), so they
 * are always answered through the engine's answer callback, possibly
 * before the call returns. */
#ifndef OPENWINRM_SHELL_ENGINE_H
#define OPENWINRM_SHELL_ENGINE_H

#include <stdint.h>

#include "common/err.h"
#include "shell/shell_ops.h"

struct event_base;
struct shell_engine;

/* Answers a Send (reply NULL) or a Receive (reply set when status is
 * ERR_OK; its chunks are views valid only during the call). It must not
 * call back into the engine. */
typedef void shell_engine_answer_fn(void *arg, uint32_t req_id, enum err status,
				    const struct shell_receive_reply *reply);

/* Tells of a shell the engine ended on its own (IdleTimeout,
 * MaxShellRunTime), with the number of shells left. */
typedef void shell_engine_ended_fn(void *arg, uint32_t shells_left);

/* Starts with Windows' Winrs defaults until shell_engine_set_limits. */
struct shell_engine *shell_engine_new(struct event_base *base, shell_engine_answer_fn *answer,
				      shell_engine_ended_fn *ended, void *arg);
/* Kills every command's process group and frees every shell, answering
 * nothing (the channel is gone). */
void shell_engine_free(struct shell_engine *e);
/* New limits apply to later requests; MaxShellRunTime also to existing shells. */
void shell_engine_set_limits(struct shell_engine *e, const struct shell_limits *l);

/* A command line wrapped in one pair of double quotes, and holding no
 * other, loses them, in place, as Windows' cmd /c strips them (`cmd /?`),
 * unless what they enclose is the name of an executable file with
 * whitespace and none of &<>()@^| in it, which cmd keeps quoted. The Ruby
 * WinRM gem sends every command so ("ipconfig /all"). Other quotes are the
 * user's shell's to read. */
void shell_engine_cmd_quotes(char *line);

uint32_t shell_engine_shells(const struct shell_engine *e);
/* Enumerate: the cmd shells, or the commands of one, added to what reply
 * holds (the host lists its PowerShell shells first). */
enum err shell_engine_list(struct shell_engine *e, const struct shell_list_req *req,
			   struct shell_list_reply *reply);

enum err shell_engine_create(struct shell_engine *e, const struct shell_create_req *req,
			     struct shell_create_reply *reply);
enum err shell_engine_command(struct shell_engine *e, const struct shell_command_req *req,
			      struct shell_command_reply *reply);
/* Takes req->data (the engine wipes and frees it). */
void shell_engine_send(struct shell_engine *e, uint32_t req_id, struct shell_send_req *req);
void shell_engine_receive(struct shell_engine *e, uint32_t req_id,
			  const struct shell_receive_req *req);
/* The client of Receive req_id is gone: if it is parked, it is dropped
 * unanswered, and the output it would have taken waits for the next. */
void shell_engine_cancel(struct shell_engine *e, uint32_t req_id);
enum err shell_engine_signal(struct shell_engine *e, const struct shell_signal_req *req);
enum err shell_engine_delete(struct shell_engine *e, const struct shell_delete_req *req);

#endif
