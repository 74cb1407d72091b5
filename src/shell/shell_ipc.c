/* shell_ipc: the shell_ops structs on the net <-> host channel (codec,
 * no I/O; the table of shell_ops.c names these per operation). Fields go
 * in declaration order; strings as u32 length + bytes; the fixed ids as a
 * string of length 0 or 36; arrays as u32 count then the elements. Both
 * sides enforce the SHELL_MAX_* limits, so an encoder refuses what the
 * other end's decoder would reject. */
#include "shell/shell_ipc.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ipc/ipc.h"

/* Stdin bytes of one Send: whatever fits in one datagram. */
#define IPC_SHELL_MAX_DATA (IPC_MAX_MSG - IPC_HEADER_LEN)

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

	IPC_TRY(buf_get_string_view(in, &p, &n));
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
	IPC_TRY(buf_get_cstring(in, out, SHELL_MAX_STRING));
	if (**out == 0) {
		free(*out);
		*out = NULL;
	}
	return ERR_OK;
}

/* Strings of at most max bytes each: SHELL_MAX_STRING, or for a
 * command's arguments SHELL_MAX_PSRP_TEXT, as a PowerShell pipeline's
 * may be that long (shell_soap.c holds cmd's to SHELL_MAX_STRING). */
static enum err put_strings(struct buf *out, char *const *v, uint32_t n, size_t max)
{
	for (uint32_t i = 0; i < n; i++) {
		if (v[i] && strlen(v[i]) > max)
			return ERR_LIMIT;
		IPC_TRY(buf_put_cstring(out, v[i]));
	}
	return ERR_OK;
}

/* Slots stay NULL until filled, so a request freed halfway frees only
 * what was read. */
static char **new_strings(uint32_t n)
{
	return calloc(n ? n : 1, sizeof(char *));
}

static enum err get_strings(struct buf *in, char **v, uint32_t n, size_t max)
{
	for (uint32_t i = 0; i < n; i++)
		IPC_TRY(buf_get_cstring(in, &v[i], max));
	return ERR_OK;
}

enum err shell_ipc_limits_encode(struct buf *out, const struct shell_limits *m)
{
	IPC_TRY(buf_put_u32(out, m->max_shells_per_user));
	IPC_TRY(buf_put_u32(out, m->max_processes_per_shell));
	IPC_TRY(buf_put_u64(out, m->idle_timeout_ms));
	IPC_TRY(buf_put_u64(out, m->max_shell_run_time_ms));
	return buf_put_u32(out, m->max_memory_per_shell_mb);
}

enum err shell_ipc_limits_decode(struct buf *in, struct shell_limits *m)
{
	memset(m, 0, sizeof(*m));
	IPC_TRY(buf_get_u32(in, &m->max_shells_per_user));
	IPC_TRY(buf_get_u32(in, &m->max_processes_per_shell));
	IPC_TRY(buf_get_u64(in, &m->idle_timeout_ms));
	IPC_TRY(buf_get_u64(in, &m->max_shell_run_time_ms));
	IPC_TRY(buf_get_u32(in, &m->max_memory_per_shell_mb));
	return ipc_body_end(in);
}

enum err shell_ipc_create_encode(struct buf *out, const void *arg)
{
	const struct shell_create_req *m = arg;

	if (m->nenv > SHELL_MAX_ENV ||
	    (m->creation_xml && strlen(m->creation_xml) > SHELL_MAX_PSRP_TEXT))
		return ERR_LIMIT;
	IPC_TRY(put_id(out, m->shell_id));
	IPC_TRY(put_str(out, m->endpoint));
	IPC_TRY(buf_put_cstring(out, m->creation_xml));
	IPC_TRY(put_str(out, m->protocol_version));
	IPC_TRY(buf_put_u32(out, m->compression));
	IPC_TRY(put_str(out, m->pwsh));
	IPC_TRY(put_str(out, m->working_dir));
	IPC_TRY(buf_put_u64(out, m->idle_timeout_ms));
	IPC_TRY(buf_put_u32(out, m->noprofile));
	IPC_TRY(buf_put_u32(out, m->codepage));
	IPC_TRY(put_str(out, m->client_ip));
	IPC_TRY(put_str(out, m->name));
	IPC_TRY(buf_put_u32(out, m->nenv));
	IPC_TRY(put_strings(out, m->env_names, m->nenv, SHELL_MAX_STRING));
	IPC_TRY(put_strings(out, m->env_values, m->nenv, SHELL_MAX_STRING));
	return put_str(out, m->delegated);
}

static enum err create_decode(struct buf *in, struct shell_create_req *m)
{
	uint32_t n;

	IPC_TRY(get_id(in, m->shell_id));
	IPC_TRY(get_optional_str(in, &m->endpoint));
	IPC_TRY(buf_get_cstring(in, &m->creation_xml, SHELL_MAX_PSRP_TEXT));
	if (!*m->creation_xml) {
		free(m->creation_xml);
		m->creation_xml = NULL;
	}
	IPC_TRY(get_optional_str(in, &m->protocol_version));
	IPC_TRY(buf_get_u32(in, &m->compression));
	if (m->compression > SHELL_COMPRESSION_XPRESS)
		return ERR_FORMAT;
	IPC_TRY(get_optional_str(in, &m->pwsh));
	IPC_TRY(get_optional_str(in, &m->working_dir));
	IPC_TRY(buf_get_u64(in, &m->idle_timeout_ms));
	IPC_TRY(buf_get_u32(in, &m->noprofile));
	IPC_TRY(buf_get_u32(in, &m->codepage));
	IPC_TRY(get_optional_str(in, &m->client_ip));
	IPC_TRY(get_optional_str(in, &m->name));
	IPC_TRY(buf_get_u32(in, &n));
	if (n > SHELL_MAX_ENV)
		return ERR_LIMIT;
	m->nenv = n;
	m->env_names = new_strings(n);
	m->env_values = new_strings(n);
	if (!m->env_names || !m->env_values)
		return ERR_NOMEM;
	IPC_TRY(get_strings(in, m->env_names, n, SHELL_MAX_STRING));
	IPC_TRY(get_strings(in, m->env_values, n, SHELL_MAX_STRING));
	IPC_TRY(get_optional_str(in, &m->delegated));
	return ipc_body_end(in);
}

enum err shell_ipc_create_decode(struct buf *in, void *arg)
{
	struct shell_create_req *m = arg;

	memset(m, 0, sizeof(*m));
	enum err e = create_decode(in, m);
	if (e != ERR_OK)
		shell_create_req_clear(m);
	return e;
}

enum err shell_ipc_create_reply_encode(struct buf *out, const void *arg)
{
	const struct shell_create_reply *m = arg;

	IPC_TRY(put_id(out, m->shell_id));
	IPC_TRY(buf_put_u64(out, m->idle_timeout_ms));
	return buf_put_u32(out, m->process_id);
}

enum err shell_ipc_create_reply_decode(struct buf *in, void *arg)
{
	struct shell_create_reply *m = arg;

	memset(m, 0, sizeof(*m));
	IPC_TRY(get_id(in, m->shell_id));
	IPC_TRY(buf_get_u64(in, &m->idle_timeout_ms));
	IPC_TRY(buf_get_u32(in, &m->process_id));
	return ipc_body_end(in);
}

enum err shell_ipc_command_encode(struct buf *out, const void *arg)
{
	const struct shell_command_req *m = arg;

	if (m->argc == 0)
		return ERR_USAGE;
	if (m->argc > SHELL_MAX_ARGS)
		return ERR_LIMIT;
	IPC_TRY(put_id(out, m->shell_id));
	IPC_TRY(put_id(out, m->command_id));
	IPC_TRY(buf_put_u32(out, m->skip_cmd_shell));
	IPC_TRY(buf_put_u32(out, m->argc));
	return put_strings(out, m->argv, m->argc, SHELL_MAX_PSRP_TEXT);
}

static enum err command_decode(struct buf *in, struct shell_command_req *m)
{
	uint32_t n;

	IPC_TRY(get_id(in, m->shell_id));
	IPC_TRY(get_id(in, m->command_id));
	IPC_TRY(buf_get_u32(in, &m->skip_cmd_shell));
	IPC_TRY(buf_get_u32(in, &n));
	if (n == 0)
		return ERR_FORMAT;
	if (n > SHELL_MAX_ARGS)
		return ERR_LIMIT;
	m->argc = n;
	if (!(m->argv = new_strings(n)))
		return ERR_NOMEM;
	IPC_TRY(get_strings(in, m->argv, n, SHELL_MAX_PSRP_TEXT));
	return ipc_body_end(in);
}

enum err shell_ipc_command_decode(struct buf *in, void *arg)
{
	struct shell_command_req *m = arg;

	memset(m, 0, sizeof(*m));
	enum err e = command_decode(in, m);
	if (e != ERR_OK)
		shell_command_req_clear(m);
	return e;
}

enum err shell_ipc_command_reply_encode(struct buf *out, const void *arg)
{
	const struct shell_command_reply *m = arg;

	return put_id(out, m->command_id);
}

enum err shell_ipc_command_reply_decode(struct buf *in, void *arg)
{
	struct shell_command_reply *m = arg;

	memset(m, 0, sizeof(*m));
	IPC_TRY(get_id(in, m->command_id));
	return ipc_body_end(in);
}

enum err shell_ipc_send_encode(struct buf *out, const void *arg)
{
	const struct shell_send_req *m = arg;

	if (m->len > IPC_SHELL_MAX_DATA)
		return ERR_LIMIT;
	IPC_TRY(put_id(out, m->shell_id));
	IPC_TRY(put_id(out, m->command_id));
	IPC_TRY(buf_put_u32(out, m->stream));
	IPC_TRY(buf_put_u32(out, m->end));
	return buf_put_string(out, m->data, m->len);
}

static enum err send_decode(struct buf *in, struct shell_send_req *m)
{
	const uint8_t *p;
	size_t n;

	IPC_TRY(get_id(in, m->shell_id));
	IPC_TRY(get_id(in, m->command_id));
	IPC_TRY(buf_get_u32(in, &m->stream));
	if (m->stream > SHELL_PROMPT_RESPONSE)
		return ERR_FORMAT;
	IPC_TRY(buf_get_u32(in, &m->end));
	IPC_TRY(buf_get_string_view(in, &p, &n));
	if (n > IPC_SHELL_MAX_DATA)
		return ERR_LIMIT;
	if (n) {
		m->data = malloc(n);
		if (!m->data)
			return ERR_NOMEM;
		memcpy(m->data, p, n);
		m->len = n;
	}
	return ipc_body_end(in);
}

enum err shell_ipc_send_decode(struct buf *in, void *arg)
{
	struct shell_send_req *m = arg;

	memset(m, 0, sizeof(*m));
	enum err e = send_decode(in, m);
	if (e != ERR_OK)
		shell_send_req_clear(m);
	return e;
}

enum err shell_ipc_receive_encode(struct buf *out, const void *arg)
{
	const struct shell_receive_req *m = arg;

	IPC_TRY(put_id(out, m->shell_id));
	IPC_TRY(put_id(out, m->command_id));
	IPC_TRY(buf_put_u64(out, m->timeout_ms));
	return buf_put_u32(out, m->max_bytes);
}

enum err shell_ipc_receive_decode(struct buf *in, void *arg)
{
	struct shell_receive_req *m = arg;

	memset(m, 0, sizeof(*m));
	IPC_TRY(get_id(in, m->shell_id));
	IPC_TRY(get_id(in, m->command_id));
	IPC_TRY(buf_get_u64(in, &m->timeout_ms));
	IPC_TRY(buf_get_u32(in, &m->max_bytes));
	return ipc_body_end(in);
}

enum err shell_ipc_receive_reply_encode(struct buf *out, const void *arg)
{
	const struct shell_receive_reply *m = arg;

	if (m->nchunks > SHELL_MAX_CHUNKS)
		return ERR_LIMIT;
	IPC_TRY(buf_put_u32(out, m->nchunks));
	for (uint32_t i = 0; i < m->nchunks; i++) {
		if (m->chunks[i].stream > SHELL_STDERR)
			return ERR_USAGE;
		IPC_TRY(buf_put_u8(out, m->chunks[i].stream));
		IPC_TRY(buf_put_string(out, m->chunks[i].data, m->chunks[i].len));
	}
	IPC_TRY(buf_put_u32(out, m->stdout_end));
	IPC_TRY(buf_put_u32(out, m->stderr_end));
	IPC_TRY(buf_put_u32(out, m->done));
	return buf_put_u32(out, m->exit_code);
}

enum err shell_ipc_receive_reply_decode(struct buf *in, void *arg)
{
	struct shell_receive_reply *m = arg;

	memset(m, 0, sizeof(*m));
	IPC_TRY(buf_get_u32(in, &m->nchunks));
	if (m->nchunks > SHELL_MAX_CHUNKS) {
		m->nchunks = 0;
		return ERR_LIMIT;
	}
	for (uint32_t i = 0; i < m->nchunks; i++) {
		struct shell_chunk *c = &m->chunks[i];
		IPC_TRY(buf_get_u8(in, &c->stream));
		if (c->stream > SHELL_STDERR)
			return ERR_FORMAT;
		IPC_TRY(buf_get_string_view(in, &c->data, &c->len));
	}
	IPC_TRY(buf_get_u32(in, &m->stdout_end));
	IPC_TRY(buf_get_u32(in, &m->stderr_end));
	IPC_TRY(buf_get_u32(in, &m->done));
	IPC_TRY(buf_get_u32(in, &m->exit_code));
	return ipc_body_end(in);
}

enum err shell_ipc_signal_encode(struct buf *out, const void *arg)
{
	const struct shell_signal_req *m = arg;

	IPC_TRY(put_id(out, m->shell_id));
	IPC_TRY(put_id(out, m->command_id));
	return buf_put_u32(out, m->signal);
}

enum err shell_ipc_signal_decode(struct buf *in, void *arg)
{
	struct shell_signal_req *m = arg;

	memset(m, 0, sizeof(*m));
	IPC_TRY(get_id(in, m->shell_id));
	IPC_TRY(get_id(in, m->command_id));
	IPC_TRY(buf_get_u32(in, &m->signal));
	return ipc_body_end(in);
}

enum err shell_ipc_delete_encode(struct buf *out, const void *arg)
{
	const struct shell_delete_req *m = arg;

	return put_id(out, m->shell_id);
}

enum err shell_ipc_delete_decode(struct buf *in, void *arg)
{
	struct shell_delete_req *m = arg;

	memset(m, 0, sizeof(*m));
	IPC_TRY(get_id(in, m->shell_id));
	return ipc_body_end(in);
}

enum err shell_ipc_shells_left_encode(struct buf *out, uint32_t shells)
{
	return buf_put_u32(out, shells);
}

enum err shell_ipc_shells_left_decode(struct buf *in, uint32_t *shells)
{
	IPC_TRY(buf_get_u32(in, shells));
	return ipc_body_end(in);
}

/* ---- disconnected shells ---- */

enum err shell_ipc_disconnect_encode(struct buf *out, const void *arg)
{
	const struct shell_disconnect_req *m = arg;

	IPC_TRY(put_id(out, m->shell_id));
	IPC_TRY(buf_put_u64(out, m->idle_timeout_ms));
	return buf_put_u32(out, m->buffer_mode);
}

enum err shell_ipc_disconnect_decode(struct buf *in, void *arg)
{
	struct shell_disconnect_req *m = arg;

	memset(m, 0, sizeof(*m));
	IPC_TRY(get_id(in, m->shell_id));
	IPC_TRY(buf_get_u64(in, &m->idle_timeout_ms));
	IPC_TRY(buf_get_u32(in, &m->buffer_mode));
	if (m->buffer_mode != SHELL_BUFFER_BLOCK && m->buffer_mode != SHELL_BUFFER_DROP)
		return ERR_FORMAT;
	return ipc_body_end(in);
}

enum err shell_ipc_reconnect_encode(struct buf *out, const void *arg)
{
	const struct shell_reconnect_req *m = arg;

	IPC_TRY(put_id(out, m->shell_id));
	return put_id(out, m->command_id);
}

enum err shell_ipc_reconnect_decode(struct buf *in, void *arg)
{
	struct shell_reconnect_req *m = arg;

	memset(m, 0, sizeof(*m));
	IPC_TRY(get_id(in, m->shell_id));
	IPC_TRY(get_id(in, m->command_id));
	return ipc_body_end(in);
}

enum err shell_ipc_connect_encode(struct buf *out, const void *arg)
{
	const struct shell_connect_req *m = arg;

	if (m->connect_xml && strlen(m->connect_xml) > SHELL_MAX_PSRP_TEXT)
		return ERR_LIMIT;
	IPC_TRY(put_id(out, m->shell_id));
	IPC_TRY(put_id(out, m->command_id));
	IPC_TRY(buf_put_u32(out, m->compression));
	return buf_put_cstring(out, m->connect_xml);
}

enum err shell_ipc_connect_decode(struct buf *in, void *arg)
{
	struct shell_connect_req *m = arg;
	enum err e;

	memset(m, 0, sizeof(*m));
	if ((e = get_id(in, m->shell_id)) != ERR_OK || (e = get_id(in, m->command_id)) != ERR_OK ||
	    (e = buf_get_u32(in, &m->compression)) != ERR_OK ||
	    (e = buf_get_cstring(in, &m->connect_xml, SHELL_MAX_PSRP_TEXT)) != ERR_OK ||
	    (e = ipc_body_end(in)) != ERR_OK ||
	    (m->compression > SHELL_COMPRESSION_XPRESS && (e = ERR_FORMAT) != ERR_OK)) {
		shell_connect_req_clear(m);
		return e;
	}
	if (!*m->connect_xml) {
		free(m->connect_xml);
		m->connect_xml = NULL;
	}
	return ERR_OK;
}

enum err shell_ipc_connect_reply_encode(struct buf *out, const void *arg)
{
	const struct shell_connect_reply *m = arg;

	if (m->len > SHELL_CONNECT_RESPONSE_MAX)
		return ERR_LIMIT;
	return buf_put_string(out, m->data, m->len);
}

enum err shell_ipc_connect_reply_decode(struct buf *in, void *arg)
{
	struct shell_connect_reply *m = arg;
	const uint8_t *p;
	size_t n;

	memset(m, 0, sizeof(*m));
	IPC_TRY(buf_get_string_view(in, &p, &n));
	if (n > SHELL_CONNECT_RESPONSE_MAX)
		return ERR_FORMAT;
	memcpy(m->data, p, n);
	m->len = (uint32_t)n;
	return ipc_body_end(in);
}

/* ---- Enumerate ---- */

enum err shell_ipc_list_encode(struct buf *out, const void *arg)
{
	const struct shell_list_req *m = arg;

	return put_id(out, m->shell_id);
}

enum err shell_ipc_list_decode(struct buf *in, void *arg)
{
	struct shell_list_req *m = arg;

	memset(m, 0, sizeof(*m));
	IPC_TRY(get_id(in, m->shell_id));
	return ipc_body_end(in);
}

enum err shell_ipc_list_reply_encode(struct buf *out, const void *arg)
{
	const struct shell_list_reply *m = arg;

	if (m->nshells > SHELL_MAX_LISTED || m->ncommands > SHELL_MAX_LISTED)
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, m->nshells));
	for (uint32_t i = 0; i < m->nshells; i++) {
		const struct shell_summary *s = &m->shells[i];
		IPC_TRY(put_id(out, s->shell_id));
		IPC_TRY(buf_put_field(out, s->name, sizeof(s->name)));
		IPC_TRY(buf_put_field(out, s->owner, sizeof(s->owner)));
		IPC_TRY(buf_put_field(out, s->endpoint, sizeof(s->endpoint)));
		IPC_TRY(buf_put_field(out, s->client_ip, sizeof(s->client_ip)));
		IPC_TRY(buf_put_u32(out, s->process_id));
		IPC_TRY(buf_put_u32(out, s->disconnected));
		IPC_TRY(buf_put_u32(out, s->buffer_mode));
		IPC_TRY(buf_put_u32(out, s->compression));
		IPC_TRY(buf_put_u64(out, s->idle_timeout_ms));
		IPC_TRY(buf_put_u64(out, s->run_ms));
		IPC_TRY(buf_put_u64(out, s->inactive_ms));
		IPC_TRY(buf_put_u64(out, s->memory_bytes));
	}
	IPC_TRY(buf_put_u32(out, m->ncommands));
	for (uint32_t i = 0; i < m->ncommands; i++) {
		IPC_TRY(put_id(out, m->commands[i].command_id));
		IPC_TRY(buf_put_u32(out, m->commands[i].done));
	}
	return ERR_OK;
}

enum err shell_ipc_list_reply_decode(struct buf *in, void *arg)
{
	struct shell_list_reply *m = arg;

	memset(m, 0, sizeof(*m));
	IPC_TRY(buf_get_u32(in, &m->nshells));
	if (m->nshells > SHELL_MAX_LISTED)
		return ERR_FORMAT;
	for (uint32_t i = 0; i < m->nshells; i++) {
		struct shell_summary *s = &m->shells[i];
		IPC_TRY(get_id(in, s->shell_id));
		IPC_TRY(buf_get_field(in, s->name, sizeof(s->name)));
		IPC_TRY(buf_get_field(in, s->owner, sizeof(s->owner)));
		IPC_TRY(buf_get_field(in, s->endpoint, sizeof(s->endpoint)));
		IPC_TRY(buf_get_field(in, s->client_ip, sizeof(s->client_ip)));
		IPC_TRY(buf_get_u32(in, &s->process_id));
		IPC_TRY(buf_get_u32(in, &s->disconnected));
		IPC_TRY(buf_get_u32(in, &s->buffer_mode));
		IPC_TRY(buf_get_u32(in, &s->compression));
		IPC_TRY(buf_get_u64(in, &s->idle_timeout_ms));
		IPC_TRY(buf_get_u64(in, &s->run_ms));
		IPC_TRY(buf_get_u64(in, &s->inactive_ms));
		IPC_TRY(buf_get_u64(in, &s->memory_bytes));
	}
	IPC_TRY(buf_get_u32(in, &m->ncommands));
	if (m->ncommands > SHELL_MAX_LISTED)
		return ERR_FORMAT;
	for (uint32_t i = 0; i < m->ncommands; i++) {
		IPC_TRY(get_id(in, m->commands[i].command_id));
		IPC_TRY(buf_get_u32(in, &m->commands[i].done));
	}
	return ipc_body_end(in);
}
