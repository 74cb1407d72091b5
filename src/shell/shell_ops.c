/* shell_ops: the table of the shells' operations (one row each), the
 * IPC framing around their requests and replies, and the clearing of
 * request structs (shared by the network process, the host and libwinrm). */
#include "shell/shell_ops.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "cim/cim.h"
#include "ipc/ipc.h"
#include "shell/shell_ipc.h"
#include "shell/shell_soap.h"
#include "wsman/wsman.h"

static void create_clear(void *req)
{
	shell_create_req_clear(req);
}

static void command_clear(void *req)
{
	shell_command_req_clear(req);
}

static void send_clear(void *req)
{
	shell_send_req_clear(req);
}

static void connect_clear(void *req)
{
	shell_connect_req_clear(req);
}

/* The cmd shell (MS-WSMV 3.1.4.5.2 Create, 3.1.4.11 Command, 3.1.4.13 Send,
 * 3.1.4.14 Receive, 3.1.4.12 Signal, 3.1.4.4.1 Delete). */
/* Past a certain length clang-format re-indents the whole table, which
 * would hide each row's change in a diff. */
/* clang-format off */
static const struct shell_op ops[SHELL_OP_COUNT] = {
    [SHELL_CMD_CREATE] =
	{
	    .name = "Create",
	    .resource = URI_SHELL_CMD,
	    .action = ACTION_CREATE,
	    .flags = SHELL_OP_NEW_SHELL,
	    .req_size = sizeof(struct shell_create_req),
	    .reply_size = sizeof(struct shell_create_reply),
	    .parse = shell_soap_create_parse,
	    .encode = shell_ipc_create_encode,
	    .decode = shell_ipc_create_decode,
	    .encode_reply = shell_ipc_create_reply_encode,
	    .decode_reply = shell_ipc_create_reply_decode,
	    .build_reply = shell_soap_create_reply,
	    .client_build = shell_soap_create_build,
	    .client_read = shell_soap_create_read,
	    .clear = create_clear,
	},
    [SHELL_CMD_COMMAND] =
	{
	    .name = "Command",
	    .resource = URI_SHELL_CMD,
	    .action = ACTION_COMMAND,
	    .req_size = sizeof(struct shell_command_req),
	    .reply_size = sizeof(struct shell_command_reply),
	    .parse = shell_soap_command_parse,
	    .encode = shell_ipc_command_encode,
	    .decode = shell_ipc_command_decode,
	    .encode_reply = shell_ipc_command_reply_encode,
	    .decode_reply = shell_ipc_command_reply_decode,
	    .build_reply = shell_soap_command_reply,
	    .client_build = shell_soap_command_build,
	    .client_read = shell_soap_command_read,
	    .clear = command_clear,
	},
    [SHELL_CMD_SEND] =
	{
	    .name = "Send",
	    .resource = URI_SHELL_CMD,
	    .action = ACTION_SEND,
	    .req_size = sizeof(struct shell_send_req),
	    .parse = shell_soap_send_parse,
	    .encode = shell_ipc_send_encode,
	    .decode = shell_ipc_send_decode,
	    .build_reply = shell_soap_send_reply,
	    .client_build = shell_soap_send_build,
	    .clear = send_clear,
	},
    [SHELL_CMD_RECEIVE] =
	{
	    .name = "Receive",
	    .resource = URI_SHELL_CMD,
	    .action = ACTION_RECEIVE,
	    .req_size = sizeof(struct shell_receive_req),
	    .reply_size = sizeof(struct shell_receive_reply),
	    .parse = shell_soap_receive_parse,
	    .encode = shell_ipc_receive_encode,
	    .decode = shell_ipc_receive_decode,
	    .encode_reply = shell_ipc_receive_reply_encode,
	    .decode_reply = shell_ipc_receive_reply_decode,
	    .build_reply = shell_soap_receive_reply,
	    .client_build = shell_soap_receive_build,
	    .client_read = shell_soap_receive_read,
	},
    [SHELL_CMD_SIGNAL] =
	{
	    .name = "Signal",
	    .resource = URI_SHELL_CMD,
	    .action = ACTION_SIGNAL,
	    .req_size = sizeof(struct shell_signal_req),
	    .parse = shell_soap_signal_parse,
	    .encode = shell_ipc_signal_encode,
	    .decode = shell_ipc_signal_decode,
	    .build_reply = shell_soap_signal_reply,
	    .client_build = shell_soap_signal_build,
	},
    [SHELL_CMD_DELETE] =
	{
	    .name = "Delete",
	    .resource = URI_SHELL_CMD,
	    .action = ACTION_DELETE,
	    .flags = SHELL_OP_END_SHELL,
	    .req_size = sizeof(struct shell_delete_req),
	    .parse = shell_soap_delete_parse,
	    .encode = shell_ipc_delete_encode,
	    .decode = shell_ipc_delete_decode,
	    .build_reply = shell_soap_delete_reply,
	    .client_build = shell_soap_delete_build,
	},

    /* PowerShell's endpoints, one resource URI per session configuration
     * (MS-PSRP 3.1.5.3): the messages of cmd's rows, with a pool that
     * itself sends and receives, the client's ShellId and creationXml, and
     * Windows' PowerShell Create reply. */
    [SHELL_PS_CREATE] =
	{
	    .name = "PowerShell Create",
	    .resource = SHELL_PS_URI_PREFIX,
	    .action = ACTION_CREATE,
	    .flags = SHELL_OP_NEW_SHELL | SHELL_OP_RESOURCE_PREFIX,
	    .req_size = sizeof(struct shell_create_req),
	    .reply_size = sizeof(struct shell_create_reply),
	    .parse = shell_soap_ps_create_parse,
	    .encode = shell_ipc_create_encode,
	    .decode = shell_ipc_create_decode,
	    .encode_reply = shell_ipc_create_reply_encode,
	    .decode_reply = shell_ipc_create_reply_decode,
	    .build_reply = shell_soap_ps_create_reply,
	    .client_build = shell_soap_ps_create_build,
	    .client_read = shell_soap_ps_create_read,
	    .clear = create_clear,
	},
    [SHELL_PS_COMMAND] =
	{
	    .name = "PowerShell Command",
	    .resource = SHELL_PS_URI_PREFIX,
	    .action = ACTION_COMMAND,
	    .flags = SHELL_OP_RESOURCE_PREFIX,
	    .req_size = sizeof(struct shell_command_req),
	    .reply_size = sizeof(struct shell_command_reply),
	    .parse = shell_soap_ps_command_parse,
	    .encode = shell_ipc_command_encode,
	    .decode = shell_ipc_command_decode,
	    .encode_reply = shell_ipc_command_reply_encode,
	    .decode_reply = shell_ipc_command_reply_decode,
	    .build_reply = shell_soap_command_reply,
	    .client_build = shell_soap_command_build,
	    .client_read = shell_soap_command_read,
	    .clear = command_clear,
	},
    [SHELL_PS_SEND] =
	{
	    .name = "PowerShell Send",
	    .resource = SHELL_PS_URI_PREFIX,
	    .action = ACTION_SEND,
	    .flags = SHELL_OP_RESOURCE_PREFIX,
	    .req_size = sizeof(struct shell_send_req),
	    .parse = shell_soap_ps_send_parse,
	    .encode = shell_ipc_send_encode,
	    .decode = shell_ipc_send_decode,
	    .build_reply = shell_soap_send_reply,
	    .client_build = shell_soap_send_build,
	    .clear = send_clear,
	},
    [SHELL_PS_RECEIVE] =
	{
	    .name = "PowerShell Receive",
	    .resource = SHELL_PS_URI_PREFIX,
	    .action = ACTION_RECEIVE,
	    .flags = SHELL_OP_RESOURCE_PREFIX,
	    .req_size = sizeof(struct shell_receive_req),
	    .reply_size = sizeof(struct shell_receive_reply),
	    .parse = shell_soap_ps_receive_parse,
	    .encode = shell_ipc_receive_encode,
	    .decode = shell_ipc_receive_decode,
	    .encode_reply = shell_ipc_receive_reply_encode,
	    .decode_reply = shell_ipc_receive_reply_decode,
	    .build_reply = shell_soap_receive_reply,
	    .client_build = shell_soap_ps_receive_build,
	    .client_read = shell_soap_receive_read,
	},
    [SHELL_PS_SIGNAL] =
	{
	    .name = "PowerShell Signal",
	    .resource = SHELL_PS_URI_PREFIX,
	    .action = ACTION_SIGNAL,
	    .flags = SHELL_OP_RESOURCE_PREFIX,
	    .req_size = sizeof(struct shell_signal_req),
	    .parse = shell_soap_ps_signal_parse,
	    .encode = shell_ipc_signal_encode,
	    .decode = shell_ipc_signal_decode,
	    .build_reply = shell_soap_signal_reply,
	    .client_build = shell_soap_signal_build,
	},
    [SHELL_PS_DELETE] =
	{
	    .name = "PowerShell Delete",
	    .resource = SHELL_PS_URI_PREFIX,
	    .action = ACTION_DELETE,
	    .flags = SHELL_OP_END_SHELL | SHELL_OP_RESOURCE_PREFIX,
	    .req_size = sizeof(struct shell_delete_req),
	    .parse = shell_soap_delete_parse,
	    .encode = shell_ipc_delete_encode,
	    .decode = shell_ipc_delete_decode,
	    .build_reply = shell_soap_delete_reply,
	    .client_build = shell_soap_delete_build,
	},
    /* Disconnected sessions (MS-PSRP 3.1.5.3.16 to 3.1.5.3.19): the shell
     * and its pwsh go on while no client is connected; the same user takes
     * it back from the same client (Reconnect) or another (Connect). */
    [SHELL_PS_DISCONNECT] =
	{
	    .name = "PowerShell Disconnect",
	    .resource = SHELL_PS_URI_PREFIX,
	    .action = ACTION_DISCONNECT,
	    .flags = SHELL_OP_RESOURCE_PREFIX,
	    .req_size = sizeof(struct shell_disconnect_req),
	    .parse = shell_soap_disconnect_parse,
	    .encode = shell_ipc_disconnect_encode,
	    .decode = shell_ipc_disconnect_decode,
	    .build_reply = shell_soap_disconnect_reply,
	    .client_build = shell_soap_disconnect_build,
	},
    [SHELL_PS_RECONNECT] =
	{
	    .name = "PowerShell Reconnect",
	    .resource = SHELL_PS_URI_PREFIX,
	    .action = ACTION_RECONNECT,
	    .flags = SHELL_OP_RESOURCE_PREFIX,
	    .req_size = sizeof(struct shell_reconnect_req),
	    .parse = shell_soap_reconnect_parse,
	    .encode = shell_ipc_reconnect_encode,
	    .decode = shell_ipc_reconnect_decode,
	    .build_reply = shell_soap_reconnect_reply,
	    .client_build = shell_soap_reconnect_build,
	},
    [SHELL_PS_CONNECT] =
	{
	    .name = "PowerShell Connect",
	    .resource = SHELL_PS_URI_PREFIX,
	    .action = ACTION_CONNECT,
	    .flags = SHELL_OP_RESOURCE_PREFIX,
	    .req_size = sizeof(struct shell_connect_req),
	    .reply_size = sizeof(struct shell_connect_reply),
	    .parse = shell_soap_connect_parse,
	    .encode = shell_ipc_connect_encode,
	    .decode = shell_ipc_connect_decode,
	    .encode_reply = shell_ipc_connect_reply_encode,
	    .decode_reply = shell_ipc_connect_reply_decode,
	    .build_reply = shell_soap_connect_reply,
	    .client_build = shell_soap_connect_build,
	    .client_read = shell_soap_connect_read,
	    .clear = connect_clear,
	},
    /* Get-PSSession -ComputerName (MS-PSRP 3.1.4.11): the caller's shells,
     * and the commands of one of them, each in one optimized Enumerate. */
    [SHELL_LIST_SHELLS] =
	{
	    .name = "Enumerate shells",
	    .resource = URI_SHELLS,
	    .action = ACTION_ENUMERATE,
	    .flags = SHELL_OP_LIST,
	    .req_size = sizeof(struct shell_list_req),
	    .reply_size = sizeof(struct shell_list_reply),
	    .parse = shell_soap_list_shells_parse,
	    .encode = shell_ipc_list_encode,
	    .decode = shell_ipc_list_decode,
	    .encode_reply = shell_ipc_list_reply_encode,
	    .decode_reply = shell_ipc_list_reply_decode,
	    .build_reply = shell_soap_list_reply,
	},
    [SHELL_LIST_COMMANDS] =
	{
	    .name = "Enumerate commands",
	    .resource = URI_SHELL_COMMANDS,
	    .action = ACTION_ENUMERATE,
	    .flags = SHELL_OP_LIST,
	    .req_size = sizeof(struct shell_list_req),
	    .reply_size = sizeof(struct shell_list_reply),
	    .parse = shell_soap_list_commands_parse,
	    .encode = shell_ipc_list_encode,
	    .decode = shell_ipc_list_decode,
	    .encode_reply = shell_ipc_list_reply_encode,
	    .decode_reply = shell_ipc_list_reply_decode,
	    .build_reply = shell_soap_list_reply,
	},
    /* WMI's Get and Enumerate: the class's instances, typed; the network
     * process parses the request and writes the reply itself (net_cim.c),
     * as a class is a resource and not a shell kind. */
    [SHELL_CIM_INSTANCES] =
	{
	    .name = "CIM instances",
	    .req_size = sizeof(struct cim_request),
	    .reply_size = sizeof(struct cim_reply),
	    .encode = cim_ipc_request_encode,
	    .decode = cim_ipc_request_decode,
	    .encode_reply = cim_ipc_reply_encode,
	    .decode_reply = cim_ipc_reply_decode,
	},
    [SHELL_CIM_INVOKE] =
	{
	    .name = "CIM method",
	    .req_size = sizeof(struct cim_invoke_request),
	    .reply_size = sizeof(struct cim_invoke_reply),
	    .encode = cim_ipc_invoke_encode,
	    .decode = cim_ipc_invoke_decode,
	    .encode_reply = cim_ipc_invoke_reply_encode,
	    .decode_reply = cim_ipc_invoke_reply_decode,
	},
};
/* clang-format on */

const struct shell_op *shell_op_at(uint32_t id)
{
	return id < SHELL_OP_COUNT ? &ops[id] : NULL;
}

uint32_t shell_op_id(const struct shell_op *op)
{
	return (uint32_t)(op - ops);
}

/* Windows matches resource URIs case-insensitively; actions exactly. A
 * prefix row wants a non-empty name after its prefix. */
static int resource_matches(const struct shell_op *op, const char *resource)
{
	size_t n;

	if (!op->resource)
		return 0;
	if (!(op->flags & SHELL_OP_RESOURCE_PREFIX))
		return strcasecmp(resource, op->resource) == 0;
	n = strlen(op->resource);
	return strncasecmp(resource, op->resource, n) == 0 && resource[n] != 0;
}

int shell_op_resource(const char *resource)
{
	for (size_t i = 0; i < SHELL_OP_COUNT; i++)
		if (resource_matches(&ops[i], resource))
			return 1;
	return 0;
}

const struct shell_op *shell_op_find(const char *resource, const char *action)
{
	for (size_t i = 0; i < SHELL_OP_COUNT; i++)
		if (resource_matches(&ops[i], resource) && strcmp(action, ops[i].action) == 0)
			return &ops[i];
	return NULL;
}

void shell_op_clear(const struct shell_op *op, void *req)
{
	if (op->clear)
		op->clear(req);
	memset(req, 0, op->req_size);
}

enum err shell_op_request_encode(struct buf *out, const struct shell_op *op, const void *req)
{
	IPC_TRY(buf_put_u32(out, shell_op_id(op)));
	return op->encode(out, req);
}

enum err shell_op_request_decode(struct buf *in, const struct shell_op **op)
{
	uint32_t id;

	IPC_TRY(buf_get_u32(in, &id));
	return (*op = shell_op_at(id)) ? ERR_OK : ERR_FORMAT;
}

enum err shell_op_reply_encode(struct buf *out, const struct shell_op *op, enum err status,
			       const void *reply)
{
	if ((unsigned)status >= ERR_COUNT)
		return ERR_USAGE;
	IPC_TRY(buf_put_u32(out, (uint32_t)status));
	if (status != ERR_OK || !op->encode_reply)
		return ERR_OK;
	return op->encode_reply(out, reply);
}

enum err shell_op_reply_decode(struct buf *in, const struct shell_op *op, enum err *status,
			       void *reply)
{
	uint32_t v;

	IPC_TRY(buf_get_u32(in, &v));
	if (v >= ERR_COUNT)
		return ERR_FORMAT;
	*status = (enum err)v;
	if (*status != ERR_OK || !op->decode_reply)
		return ipc_body_end(in);
	return op->decode_reply(in, reply);
}

/* ---- the request structs ---- */

static void free_strings(char **v, uint32_t n)
{
	if (!v)
		return;
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void shell_create_req_clear(struct shell_create_req *r)
{
	free(r->endpoint);
	free(r->creation_xml);
	free(r->protocol_version);
	free(r->pwsh);
	free(r->working_dir);
	free(r->client_ip);
	free(r->name);
	free_strings(r->env_names, r->nenv);
	free_strings(r->env_values, r->nenv);
	free(r->delegated);
	memset(r, 0, sizeof(*r));
}

void shell_connect_req_clear(struct shell_connect_req *r)
{
	free(r->connect_xml);
	free(r->protocol_version);
	memset(r, 0, sizeof(*r));
}

void shell_command_req_clear(struct shell_command_req *r)
{
	free_strings(r->argv, r->argc);
	memset(r, 0, sizeof(*r));
}

void shell_send_req_clear(struct shell_send_req *r)
{
	if (r->data) {
		/* stdin may carry passwords typed into the remote command */
		OPENSSL_cleanse(r->data, r->len);
		free(r->data);
	}
	memset(r, 0, sizeof(*r));
}
