/* shell_ipc: the shell_ops structs on the channel between the network
 * process and a per-user host, written and read through struct buf (the
 * table in shell_ops.c names these per operation). Decoders copy strings
 * out of the message (except the Receive reply, whose chunks are views
 * into the message body), check every length against the SHELL_MAX_*
 * limits and reject trailing bytes; a body that ends early is malformed
 * (ERR_FORMAT), as every IPC decoder says (ipc.h). The request and reply
 * arguments are the operation's structs of shell_ops.h. */
#ifndef OPENWINRM_SHELL_IPC_H
#define OPENWINRM_SHELL_IPC_H

#include "common/buf.h"
#include "common/err.h"
#include "shell/shell_ops.h"

/* IPC_HOST_SETTINGS. */
enum err shell_ipc_limits_encode(struct buf *out, const struct shell_limits *m);
enum err shell_ipc_limits_decode(struct buf *in, struct shell_limits *m);
/* IPC_SHELLS_LEFT: the host's count of shells. */
enum err shell_ipc_shells_left_encode(struct buf *out, uint32_t shells);
enum err shell_ipc_shells_left_decode(struct buf *in, uint32_t *shells);

/* struct shell_create_req / shell_create_reply */
enum err shell_ipc_create_encode(struct buf *out, const void *req);
enum err shell_ipc_create_decode(struct buf *in, void *req);
enum err shell_ipc_create_reply_encode(struct buf *out, const void *reply);
enum err shell_ipc_create_reply_decode(struct buf *in, void *reply);
/* struct shell_command_req / shell_command_reply */
enum err shell_ipc_command_encode(struct buf *out, const void *req);
enum err shell_ipc_command_decode(struct buf *in, void *req);
enum err shell_ipc_command_reply_encode(struct buf *out, const void *reply);
enum err shell_ipc_command_reply_decode(struct buf *in, void *reply);
/* struct shell_send_req */
enum err shell_ipc_send_encode(struct buf *out, const void *req);
enum err shell_ipc_send_decode(struct buf *in, void *req);
/* struct shell_receive_req / shell_receive_reply (chunks point into in's
 * storage: keep the message until they are used) */
enum err shell_ipc_receive_encode(struct buf *out, const void *req);
enum err shell_ipc_receive_decode(struct buf *in, void *req);
enum err shell_ipc_receive_reply_encode(struct buf *out, const void *reply);
enum err shell_ipc_receive_reply_decode(struct buf *in, void *reply);
/* struct shell_signal_req */
enum err shell_ipc_signal_encode(struct buf *out, const void *req);
enum err shell_ipc_signal_decode(struct buf *in, void *req);
/* struct shell_delete_req */
enum err shell_ipc_delete_encode(struct buf *out, const void *req);
enum err shell_ipc_delete_decode(struct buf *in, void *req);
/* struct shell_disconnect_req */
enum err shell_ipc_disconnect_encode(struct buf *out, const void *req);
enum err shell_ipc_disconnect_decode(struct buf *in, void *req);
/* struct shell_reconnect_req */
enum err shell_ipc_reconnect_encode(struct buf *out, const void *req);
enum err shell_ipc_reconnect_decode(struct buf *in, void *req);
/* struct shell_connect_req / shell_connect_reply */
enum err shell_ipc_connect_encode(struct buf *out, const void *req);
enum err shell_ipc_connect_decode(struct buf *in, void *req);
enum err shell_ipc_connect_reply_encode(struct buf *out, const void *reply);
enum err shell_ipc_connect_reply_decode(struct buf *in, void *reply);
/* struct shell_list_req / shell_list_reply */
enum err shell_ipc_list_encode(struct buf *out, const void *req);
enum err shell_ipc_list_decode(struct buf *in, void *req);
enum err shell_ipc_list_reply_encode(struct buf *out, const void *reply);
enum err shell_ipc_list_reply_decode(struct buf *in, void *reply);

#endif
