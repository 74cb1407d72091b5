/* ipc_shell: the shell_ops structs on the net <-> host channel. Fields go
 * in declaration order; strings as u32 length + bytes; the fixed ids as a
 * string of length 0 or 36; arrays as u32 count then the elements. Both
 * sides enforce the SHELL_MAX_* limits, so an encoder refuses what the
 * other end's decoder would reject. */
#include "ipc/ipc_shell.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ipc/ipc.h"

/* Stdin bytes of one Send: whatever fits in one datagram. */
#define IPC_SHELL_MAX_DATA (IPC_MAX_MSG - IPC_HEADER_LEN)

#define TRY(x)                                                                                     \
	do {                                                                                       \
		enum err e_ = (x);                                                                 \
		if (e_ != ERR_OK)                                                                  \
			return e_;                                                                 \
	} while (0)

static enum err end_of_body(const struct buf *in)
{
	return buf_len(in) == 0 ? ERR_OK : ERR_FORMAT;
}

static enum err put_id(struct buf *out, const char *id)
{
	size_t n = strnlen(id, SHELL_ID_LEN + 1);

	if (n != 0 && !util_is_guid(id))
		return ERR_USAGE;
	return buf_put_string(out, id, n);
}

static enum err get_id(struct buf *in, char id[SHELL_ID_LEN + 1])
{
	const uint8_t *p;
	size_t n;

	TRY(buf_get_string_view(in, &p, &n));
	if (n != 0 && n != SHELL_ID_LEN)
		return ERR_FORMAT;
	memcpy(id, p, n);
	id[n] = 0;
	return n == 0 || util_is_guid(id) ? ERR_OK : ERR_FORMAT;
}

/* An optional string (NULL) travels as the empty string. */
static enum err put_str(struct buf *out, const char *s)
{
	if (s && strlen(s) > SHELL_MAX_STRING)
		return ERR_LIMIT;
	return buf_put_cstring(out, s);
}

static enum err get_optional_str(struct buf *in, char **out)
{
	TRY(buf_get_cstring(in, out, SHELL_MAX_STRING));
	if (**out == 0) {
		free(*out);
		*out = NULL;
	}
	return ERR_OK;
}

static enum err put_strings(struct buf *out, char *const *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		TRY(put_str(out, v[i]));
	return ERR_OK;
}

/* Slots stay NULL until filled, so a request freed halfway frees only
 * what was read. */
static char **new_strings(uint32_t n)
{
	return calloc(n ? n : 1, sizeof(char *));
}

static enum err get_strings(struct buf *in, char **v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		TRY(buf_get_cstring(in, &v[i], SHELL_MAX_STRING));
	return ERR_OK;
}

enum err ipc_shell_limits_encode(struct buf *out, const struct shell_limits *m)
{
	TRY(buf_put_u32(out, m->max_shells_per_user));
	TRY(buf_put_u32(out, m->max_processes_per_shell));
	TRY(buf_put_u64(out, m->idle_timeout_ms));
	return buf_put_u64(out, m->max_shell_run_time_ms);
}

enum err ipc_shell_limits_decode(struct buf *in, struct shell_limits *m)
{
	memset(m, 0, sizeof(*m));
	TRY(buf_get_u32(in, &m->max_shells_per_user));
	TRY(buf_get_u32(in, &m->max_processes_per_shell));
	TRY(buf_get_u64(in, &m->idle_timeout_ms));
	TRY(buf_get_u64(in, &m->max_shell_run_time_ms));
	return end_of_body(in);
}

enum err ipc_shell_create_encode(struct buf *out, const struct shell_create_req *m)
{
	if (m->nenv > SHELL_MAX_ENV)
		return ERR_LIMIT;
	TRY(put_str(out, m->working_dir));
	TRY(buf_put_u64(out, m->idle_timeout_ms));
	TRY(buf_put_u32(out, m->noprofile));
	TRY(buf_put_u32(out, m->codepage));
	TRY(put_str(out, m->client_ip));
	TRY(buf_put_u32(out, m->nenv));
	TRY(put_strings(out, m->env_names, m->nenv));
	return put_strings(out, m->env_values, m->nenv);
}

static enum err create_decode(struct buf *in, struct shell_create_req *m)
{
	uint32_t n;

	TRY(get_optional_str(in, &m->working_dir));
	TRY(buf_get_u64(in, &m->idle_timeout_ms));
	TRY(buf_get_u32(in, &m->noprofile));
	TRY(buf_get_u32(in, &m->codepage));
	TRY(get_optional_str(in, &m->client_ip));
	TRY(buf_get_u32(in, &n));
	if (n > SHELL_MAX_ENV)
		return ERR_LIMIT;
	m->nenv = n;
	m->env_names = new_strings(n);
	m->env_values = new_strings(n);
	if (!m->env_names || !m->env_values)
		return ERR_NOMEM;
	TRY(get_strings(in, m->env_names, n));
	TRY(get_strings(in, m->env_values, n));
	return end_of_body(in);
}

enum err ipc_shell_create_decode(struct buf *in, struct shell_create_req *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = create_decode(in, m);
	if (e != ERR_OK)
		shell_create_req_free(m);
	return e;
}

enum err ipc_shell_create_reply_encode(struct buf *out, const struct shell_create_reply *m)
{
	TRY(put_id(out, m->shell_id));
	return buf_put_u64(out, m->idle_timeout_ms);
}

enum err ipc_shell_create_reply_decode(struct buf *in, struct shell_create_reply *m)
{
	memset(m, 0, sizeof(*m));
	TRY(get_id(in, m->shell_id));
	TRY(buf_get_u64(in, &m->idle_timeout_ms));
	return end_of_body(in);
}

enum err ipc_shell_command_encode(struct buf *out, const struct shell_command_req *m)
{
	if (m->argc == 0)
		return ERR_USAGE;
	if (m->argc > SHELL_MAX_ARGS)
		return ERR_LIMIT;
	TRY(put_id(out, m->shell_id));
	TRY(put_id(out, m->command_id));
	TRY(buf_put_u32(out, m->skip_cmd_shell));
	TRY(buf_put_u32(out, m->argc));
	return put_strings(out, m->argv, m->argc);
}

static enum err command_decode(struct buf *in, struct shell_command_req *m)
{
	uint32_t n;

	TRY(get_id(in, m->shell_id));
	TRY(get_id(in, m->command_id));
	TRY(buf_get_u32(in, &m->skip_cmd_shell));
	TRY(buf_get_u32(in, &n));
	if (n == 0)
		return ERR_FORMAT;
	if (n > SHELL_MAX_ARGS)
		return ERR_LIMIT;
	m->argc = n;
	if (!(m->argv = new_strings(n)))
		return ERR_NOMEM;
	TRY(get_strings(in, m->argv, n));
	return end_of_body(in);
}

enum err ipc_shell_command_decode(struct buf *in, struct shell_command_req *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = command_decode(in, m);
	if (e != ERR_OK)
		shell_command_req_free(m);
	return e;
}

enum err ipc_shell_command_reply_encode(struct buf *out, const struct shell_command_reply *m)
{
	return put_id(out, m->command_id);
}

enum err ipc_shell_command_reply_decode(struct buf *in, struct shell_command_reply *m)
{
	memset(m, 0, sizeof(*m));
	TRY(get_id(in, m->command_id));
	return end_of_body(in);
}

enum err ipc_shell_send_encode(struct buf *out, const struct shell_send_req *m)
{
	if (m->len > IPC_SHELL_MAX_DATA)
		return ERR_LIMIT;
	TRY(put_id(out, m->shell_id));
	TRY(put_id(out, m->command_id));
	TRY(buf_put_u32(out, m->end));
	return buf_put_string(out, m->data, m->len);
}

static enum err send_decode(struct buf *in, struct shell_send_req *m)
{
	const uint8_t *p;
	size_t n;

	TRY(get_id(in, m->shell_id));
	TRY(get_id(in, m->command_id));
	TRY(buf_get_u32(in, &m->end));
	TRY(buf_get_string_view(in, &p, &n));
	if (n > IPC_SHELL_MAX_DATA)
		return ERR_LIMIT;
	if (n) {
		m->data = malloc(n);
		if (!m->data)
			return ERR_NOMEM;
		memcpy(m->data, p, n);
		m->len = n;
	}
	return end_of_body(in);
}

enum err ipc_shell_send_decode(struct buf *in, struct shell_send_req *m)
{
	memset(m, 0, sizeof(*m));
	enum err e = send_decode(in, m);
	if (e != ERR_OK)
		shell_send_req_free(m);
	return e;
}

enum err ipc_shell_receive_encode(struct buf *out, const struct shell_receive_req *m)
{
	TRY(put_id(out, m->shell_id));
	TRY(put_id(out, m->command_id));
	TRY(buf_put_u64(out, m->timeout_ms));
	return buf_put_u32(out, m->max_bytes);
}

enum err ipc_shell_receive_decode(struct buf *in, struct shell_receive_req *m)
{
	memset(m, 0, sizeof(*m));
	TRY(get_id(in, m->shell_id));
	TRY(get_id(in, m->command_id));
	TRY(buf_get_u64(in, &m->timeout_ms));
	TRY(buf_get_u32(in, &m->max_bytes));
	return end_of_body(in);
}

enum err ipc_shell_receive_reply_encode(struct buf *out, const struct shell_receive_reply *m)
{
	if (m->nchunks > SHELL_MAX_CHUNKS)
		return ERR_LIMIT;
	TRY(buf_put_u32(out, m->nchunks));
	for (uint32_t i = 0; i < m->nchunks; i++) {
		if (m->chunks[i].stream > SHELL_STDERR)
			return ERR_USAGE;
		TRY(buf_put_u8(out, m->chunks[i].stream));
		TRY(buf_put_string(out, m->chunks[i].data, m->chunks[i].len));
	}
	TRY(buf_put_u32(out, m->stdout_end));
	TRY(buf_put_u32(out, m->stderr_end));
	TRY(buf_put_u32(out, m->done));
	return buf_put_u32(out, m->exit_code);
}

enum err ipc_shell_receive_reply_decode(struct buf *in, struct shell_receive_reply *m)
{
	memset(m, 0, sizeof(*m));
	TRY(buf_get_u32(in, &m->nchunks));
	if (m->nchunks > SHELL_MAX_CHUNKS) {
		m->nchunks = 0;
		return ERR_LIMIT;
	}
	for (uint32_t i = 0; i < m->nchunks; i++) {
		struct shell_chunk *c = &m->chunks[i];
		TRY(buf_get_u8(in, &c->stream));
		if (c->stream > SHELL_STDERR)
			return ERR_FORMAT;
		TRY(buf_get_string_view(in, &c->data, &c->len));
	}
	TRY(buf_get_u32(in, &m->stdout_end));
	TRY(buf_get_u32(in, &m->stderr_end));
	TRY(buf_get_u32(in, &m->done));
	TRY(buf_get_u32(in, &m->exit_code));
	return end_of_body(in);
}

enum err ipc_shell_signal_encode(struct buf *out, const struct shell_signal_req *m)
{
	TRY(put_id(out, m->shell_id));
	TRY(put_id(out, m->command_id));
	return buf_put_u32(out, m->signal);
}

enum err ipc_shell_signal_decode(struct buf *in, struct shell_signal_req *m)
{
	memset(m, 0, sizeof(*m));
	TRY(get_id(in, m->shell_id));
	TRY(get_id(in, m->command_id));
	TRY(buf_get_u32(in, &m->signal));
	return end_of_body(in);
}

enum err ipc_shell_delete_encode(struct buf *out, const struct shell_delete_req *m)
{
	return put_id(out, m->shell_id);
}

enum err ipc_shell_delete_decode(struct buf *in, struct shell_delete_req *m)
{
	memset(m, 0, sizeof(*m));
	TRY(get_id(in, m->shell_id));
	return end_of_body(in);
}

enum err ipc_shell_status_encode(struct buf *out, enum err status)
{
	if ((unsigned)status >= ERR_COUNT)
		return ERR_USAGE;
	return buf_put_u32(out, (uint32_t)status);
}

/* The typed reply may follow, so trailing bytes are the caller's to check. */
enum err ipc_shell_status_decode(struct buf *in, enum err *status)
{
	uint32_t v;

	TRY(buf_get_u32(in, &v));
	if (v >= ERR_COUNT)
		return ERR_FORMAT;
	*status = (enum err)v;
	return ERR_OK;
}

enum err ipc_shells_left_encode(struct buf *out, uint32_t shells)
{
	return buf_put_u32(out, shells);
}

enum err ipc_shells_left_decode(struct buf *in, uint32_t *shells)
{
	TRY(buf_get_u32(in, shells));
	return end_of_body(in);
}
