/* Fuzzes every shell_ipc decoder, through the rows of shell_ops.h, on the
 * same bytes (a host decodes what a compromised network process may
 * send, and the reverse), and the IPC_SHELL_REQUEST and IPC_SHELL_REPLY
 * framings around them. What decodes must encode back to exactly the
 * input: the layout has one spelling. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "ipc/ipc.h"
#include "shell/shell_ipc.h"
#include "shell/shell_ops.h"

typedef enum err decode_fn(struct buf *in, void *m);
typedef enum err encode_fn(struct buf *out, const void *m);

/* Decodes data into a fresh struct of size bytes and, if that works,
 * checks it encodes back to data; op (if any) frees what it owns. */
static void round_trip(const uint8_t *data, size_t len, size_t size, decode_fn *decode,
		       encode_fn *encode, const struct shell_op *op)
{
	struct buf in, out;
	void *m = calloc(1, size ? size : 1);

	if (!m)
		abort();
	buf_init(&in, IPC_MAX_MSG);
	buf_init(&out, IPC_MAX_MSG);
	buf_put(&in, data, len);
	if (decode(&in, m) == ERR_OK) {
		if (encode(&out, m) != ERR_OK || buf_len(&out) != len ||
		    memcmp(buf_ptr(&out), data, len) != 0)
			abort();
		if (op)
			shell_op_clear(op, m);
	}
	buf_clear(&in);
	buf_clear(&out);
	free(m);
}

static enum err limits_decode(struct buf *in, void *m)
{
	return shell_ipc_limits_decode(in, m);
}

static enum err limits_encode(struct buf *out, const void *m)
{
	return shell_ipc_limits_encode(out, m);
}

static enum err shells_left_decode(struct buf *in, void *m)
{
	return shell_ipc_shells_left_decode(in, m);
}

static enum err shells_left_encode(struct buf *out, const void *m)
{
	return shell_ipc_shells_left_encode(out, *(const uint32_t *)m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct shell_op *asked;
	struct buf in;

	if (size > IPC_MAX_MSG)
		return 0;
	round_trip(data, size, sizeof(struct shell_limits), limits_decode, limits_encode, NULL);
	round_trip(data, size, sizeof(uint32_t), shells_left_decode, shells_left_encode, NULL);
	for (uint32_t i = 0; i < SHELL_OP_COUNT; i++) {
		const struct shell_op *op = shell_op_at(i);
		round_trip(data, size, op->req_size, op->decode, op->encode, op);
		if (op->decode_reply)
			round_trip(data, size, op->reply_size, op->decode_reply, op->encode_reply,
				   NULL);

		/* IPC_SHELL_REPLY: the status, then (on ERR_OK) the row's reply. */
		void *reply = calloc(1, op->reply_size ? op->reply_size : 1);
		enum err st;
		if (!reply)
			abort();
		buf_init(&in, IPC_MAX_MSG);
		buf_put(&in, data, size);
		(void)shell_op_reply_decode(&in, op, &st, reply);
		buf_clear(&in);
		free(reply);
	}

	/* IPC_SHELL_REQUEST: a row's id, then its request. */
	buf_init(&in, IPC_MAX_MSG);
	buf_put(&in, data, size);
	if (shell_op_request_decode(&in, &asked) == ERR_OK) {
		void *req = calloc(1, asked->req_size);
		if (!req)
			abort();
		if (asked->decode(&in, req) == ERR_OK)
			shell_op_clear(asked, req);
		free(req);
	}
	buf_clear(&in);
	return 0;
}
