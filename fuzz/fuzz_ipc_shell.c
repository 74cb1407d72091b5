/* Fuzzes every ipc_shell decoder on the same bytes (a host decodes what a
 * compromised network process may send, and the reverse). What decodes
 * must encode back to exactly the input: the layout has one spelling. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "ipc/ipc.h"
#include "ipc/ipc_shell.h"

static void same(const uint8_t *data, size_t size, struct buf *out, enum err e)
{
	if (e != ERR_OK || buf_len(out) != size || memcmp(buf_ptr(out), data, size) != 0)
		abort();
	buf_clear(out);
}

#define ROUND_TRIP(type, decode, encode, release)                                                  \
	do {                                                                                       \
		type m;                                                                            \
		struct buf in, out;                                                                \
		buf_init(&in, IPC_MAX_MSG);                                                        \
		buf_init(&out, IPC_MAX_MSG);                                                       \
		buf_put(&in, data, size);                                                          \
		if (decode(&in, &m) == ERR_OK) {                                                   \
			same(data, size, &out, encode(&out, &m));                                  \
			release;                                                                   \
		}                                                                                  \
		buf_clear(&in);                                                                    \
	} while (0)

/* ROUND_TRIP passes the decoded message by address. */
static enum err shells_left_encode(struct buf *out, const uint32_t *shells)
{
	return ipc_shells_left_encode(out, *shells);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf reply;
	enum err st;

	if (size > IPC_MAX_MSG)
		return 0;
	ROUND_TRIP(struct shell_limits, ipc_shell_limits_decode, ipc_shell_limits_encode, (void)0);
	ROUND_TRIP(struct shell_create_req, ipc_shell_create_decode, ipc_shell_create_encode,
		   shell_create_req_free(&m));
	ROUND_TRIP(struct shell_create_reply, ipc_shell_create_reply_decode,
		   ipc_shell_create_reply_encode, (void)0);
	ROUND_TRIP(struct shell_command_req, ipc_shell_command_decode, ipc_shell_command_encode,
		   shell_command_req_free(&m));
	ROUND_TRIP(struct shell_command_reply, ipc_shell_command_reply_decode,
		   ipc_shell_command_reply_encode, (void)0);
	ROUND_TRIP(struct shell_send_req, ipc_shell_send_decode, ipc_shell_send_encode,
		   shell_send_req_free(&m));
	ROUND_TRIP(struct shell_receive_req, ipc_shell_receive_decode, ipc_shell_receive_encode, (void)0);
	ROUND_TRIP(struct shell_receive_reply, ipc_shell_receive_reply_decode,
		   ipc_shell_receive_reply_encode, (void)0);
	ROUND_TRIP(struct shell_signal_req, ipc_shell_signal_decode, ipc_shell_signal_encode, (void)0);
	ROUND_TRIP(struct shell_delete_req, ipc_shell_delete_decode, ipc_shell_delete_encode, (void)0);
	ROUND_TRIP(uint32_t, ipc_shells_left_decode, shells_left_encode, (void)0);

	/* A reply: the status, then (on ERR_OK) what follows it. */
	buf_init(&reply, IPC_MAX_MSG);
	buf_put(&reply, data, size);
	if (ipc_shell_status_decode(&reply, &st) == ERR_OK && st == ERR_OK) {
		struct shell_receive_reply r;
		(void)ipc_shell_receive_reply_decode(&reply, &r);
	}
	buf_clear(&reply);
	return 0;
}
