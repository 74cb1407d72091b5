/* ipc_shell: typed messages between the network process and a per-user
 * host: the shell_ops structs, written and read through struct buf.
 * Decoders copy strings out of the message (except shell_receive_reply,
 * whose chunks are views into the message body), check every length
 * against the SHELL_MAX_* limits and reject trailing bytes. */
#ifndef OPENWINRM_IPC_SHELL_H
#define OPENWINRM_IPC_SHELL_H

#include "common/buf.h"
#include "common/err.h"
#include "shell/shell_ops.h"

enum err ipc_shell_limits_encode(struct buf *out, const struct shell_limits *m);
enum err ipc_shell_limits_decode(struct buf *in, struct shell_limits *m);

enum err ipc_shell_create_encode(struct buf *out, const struct shell_create_req *m);
enum err ipc_shell_create_decode(struct buf *in, struct shell_create_req *m);
enum err ipc_shell_create_reply_encode(struct buf *out, const struct shell_create_reply *m);
enum err ipc_shell_create_reply_decode(struct buf *in, struct shell_create_reply *m);

enum err ipc_shell_command_encode(struct buf *out, const struct shell_command_req *m);
enum err ipc_shell_command_decode(struct buf *in, struct shell_command_req *m);
enum err ipc_shell_command_reply_encode(struct buf *out, const struct shell_command_reply *m);
enum err ipc_shell_command_reply_decode(struct buf *in, struct shell_command_reply *m);

enum err ipc_shell_send_encode(struct buf *out, const struct shell_send_req *m);
enum err ipc_shell_send_decode(struct buf *in, struct shell_send_req *m);

enum err ipc_shell_receive_encode(struct buf *out, const struct shell_receive_req *m);
enum err ipc_shell_receive_decode(struct buf *in, struct shell_receive_req *m);
enum err ipc_shell_receive_reply_encode(struct buf *out, const struct shell_receive_reply *m);
/* Chunks point into in's storage: keep the message until they are used. */
enum err ipc_shell_receive_reply_decode(struct buf *in, struct shell_receive_reply *m);

enum err ipc_shell_signal_encode(struct buf *out, const struct shell_signal_req *m);
enum err ipc_shell_signal_decode(struct buf *in, struct shell_signal_req *m);

enum err ipc_shell_delete_encode(struct buf *out, const struct shell_delete_req *m);
enum err ipc_shell_delete_decode(struct buf *in, struct shell_delete_req *m);

/* IPC_SHELL_REPLY starts with the status; the typed reply follows only
 * when it is ERR_OK (and for SEND, SIGNAL and DELETE nothing follows). */
enum err ipc_shell_status_encode(struct buf *out, enum err status);
enum err ipc_shell_status_decode(struct buf *in, enum err *status);

/* IPC_SHELLS_LEFT: the host's count of shells; no trailing bytes. */
enum err ipc_shells_left_encode(struct buf *out, uint32_t shells);
enum err ipc_shells_left_decode(struct buf *in, uint32_t *shells);

#endif
