/* shell_ops: the remote shells' vocabulary and their operations, one
 * table row each. The structs say what Create, Command, Send, Receive,
 * Signal and Delete carry, free of XML and of IPC framing; a row names the
 * functions that carry one operation through every process: the SOAP body
 * the network process parses and the reply it builds (shell_soap.c), the
 * IPC bodies between it and the user's host (shell_ipc.c), and the
 * envelope libwinrm sends and the reply it reads. The network process and
 * libwinrm find rows by resource URI and action; the host, which gets
 * IPC_SHELL_REQUEST, by id, and runs each with its handler (host/).
 * A new shell kind or operation is a row here and a handler there.
 *
 * Strings in the structs are NUL-terminated heap copies owned by the
 * struct unless a field says it is a view. */
#ifndef OPENWINRM_SHELL_OPS_H
#define OPENWINRM_SHELL_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define SHELL_ID_LEN 36	       /* upper-case GUID */
#define SHELL_MAX_ENV 256      /* rsp:Variable elements per Create */
#define SHELL_MAX_ARGS 1024    /* rsp:Arguments elements per Command */
#define SHELL_MAX_STRING 65536 /* any one name, value, argument or directory */
/* creationXml, connectXml and a Command's PSRP Arguments: base64 text of
 * whole PSRP fragments (a 32 KiB fragment is ~44 KB of base64; a client
 * may send several in one). */
#define SHELL_MAX_PSRP_TEXT (160 * 1024)

/* The PowerShell endpoints (MS-PSRP 3.1.5.3.1): one resource URI per
 * session configuration, this prefix then the configuration's name. */
#define SHELL_PS_URI_PREFIX "http://schemas.microsoft.com/powershell/"
#define SHELL_PS_NAME_MAX 255

/* The compression of a PowerShell shell's stream data (MS-WSMV
 * 3.1.4.1.31.6): with xpress, Send data arrives compressed and Receive
 * data MUST leave compressed, in psrp/xpress.h's blocks. */
enum shell_compression {
	SHELL_COMPRESSION_NONE = 0,
	SHELL_COMPRESSION_XPRESS = 1,
};

struct shell_create_req {
	/* PowerShell: the client's ShellId (rsp:Shell ShellId, the pool's
	 * GUID); empty for cmd, where the host makes one. */
	char shell_id[SHELL_ID_LEN + 1];
	/* PowerShell: the session configuration's name (what follows
	 * SHELL_PS_URI_PREFIX); NULL for cmd. */
	char *endpoint;
	char *creation_xml;	/* PowerShell: creationXml as sent (base64 PSRP fragments) */
	char *protocol_version; /* PowerShell: the protocolversion option ("2.3") */
	uint32_t compression;	/* PowerShell: enum shell_compression (rsp:CompressionType) */
	/* PowerShell: the pwsh to run, from the service's PowerShell setting
	 * (filled by the network process); NULL: the host searches the usual
	 * install paths. */
	char *pwsh;
	char *working_dir;	  /* NULL: the user's home directory */
	uint64_t idle_timeout_ms; /* 0: Winrs/IdleTimeout */
	uint32_t noprofile;	  /* WINRS_NOPROFILE */
	uint32_t codepage; /* WINRS_CODEPAGE, 0 if absent (accepted, bytes pass as they are) */
	char *client_ip;   /* for rsp:ClientIP and logs; filled by the network process */
	/* PowerShell: rsp:Shell's Name, the session's (New-PSSession -Name);
	 * NULL if none */
	char *name;
	uint32_t nenv;
	char **env_names;
	char **env_values;
	/* CredSSP: the credentials the client delegated, sealed by the
	 * privileged part for the user's own host (base64), on the first
	 * Create to that host after the logon; NULL if none. The network
	 * process carries them and cannot open them (host/delegation.h). */
	char *delegated;
};

struct shell_create_reply {
	char shell_id[SHELL_ID_LEN + 1];
	uint64_t idle_timeout_ms; /* effective */
	uint32_t process_id;	  /* PowerShell: the pwsh serving the shell (rsp:ProcessId) */
};

struct shell_command_req {
	char shell_id[SHELL_ID_LEN + 1];
	char command_id[SHELL_ID_LEN + 1]; /* client-chosen (WinRb) or empty: the host makes one */
	uint32_t skip_cmd_shell;	   /* WINRS_SKIP_CMD_SHELL: exec argv directly */
	uint32_t argc;			   /* >= 1: argv[0] is rsp:Command */
	char **argv;			   /* rsp:Command then each rsp:Arguments */
};

struct shell_command_reply {
	char command_id[SHELL_ID_LEN + 1];
};

/* Input streams (rsp:Send/rsp:Stream Name). */
enum shell_input {
	SHELL_STDIN = 0,
	SHELL_PROMPT_RESPONSE = 1 /* PowerShell's "pr": host-call answers (MS-PSRP 3.1.5.3.5) */
};

struct shell_send_req {
	char shell_id[SHELL_ID_LEN + 1];
	char command_id[SHELL_ID_LEN + 1]; /* empty: the shell itself (PowerShell's pool) */
	uint32_t stream;		   /* enum shell_input */
	uint32_t end;			   /* End="true": close the command's stdin after writing */
	uint8_t *data;			   /* decoded stdin bytes */
	size_t len;
};

struct shell_receive_req {
	char shell_id[SHELL_ID_LEN + 1];
	char command_id[SHELL_ID_LEN + 1]; /* empty: the shell itself (PowerShell's pool) */
	uint64_t timeout_ms; /* long-poll bound: OperationTimeout, else MaxTimeoutms */
	uint32_t
	    max_bytes; /* output bytes the reply may carry (fits the client's MaxEnvelopeSize) */
};

enum shell_stream { SHELL_STDOUT = 0, SHELL_STDERR = 1 };

struct shell_chunk {
	uint8_t stream;	     /* enum shell_stream */
	const uint8_t *data; /* view into the message it was decoded from */
	size_t len;
};

/* PowerShell: one chunk is one whole PSRP fragment, never split (pypsrp
 * and PowerShell unpack each rsp:Stream as whole fragments). */
#define SHELL_MAX_CHUNKS 64
struct shell_receive_reply {
	uint32_t nchunks;
	struct shell_chunk chunks[SHELL_MAX_CHUNKS]; /* in production order */
	uint32_t stdout_end; /* the stream is finished and fully delivered */
	uint32_t stderr_end;
	uint32_t done;	    /* CommandState/Done (else Running) */
	uint32_t exit_code; /* valid when done */
};

enum shell_signal {
	SHELL_SIGNAL_TERMINATE = 1,  /* kill the command's process group, release the command */
	SHELL_SIGNAL_CTRL_C = 2,     /* SIGINT to the process group */
	SHELL_SIGNAL_CTRL_BREAK = 3, /* SIGQUIT to the process group (the Unix 'break' key) */
	/* PowerShell's stop ("powershell/signal/crtl_c", MS-PSRP 3.1.5.3.9):
	 * stop the pipeline; every other code closes the command. */
	SHELL_SIGNAL_PS_STOP = 4
};

struct shell_signal_req {
	char shell_id[SHELL_ID_LEN + 1];
	char command_id[SHELL_ID_LEN + 1];
	uint32_t signal; /* enum shell_signal */
};

struct shell_delete_req {
	char shell_id[SHELL_ID_LEN + 1];
};

/* ---- disconnected PowerShell shells (MS-PSRP 3.1.5.3.16 to 3.1.5.3.19) ---- */

/* What a disconnected shell does with output beyond its buffer: stop
 * reading pwsh (Block, the default) or drop the oldest (Drop). */
enum shell_buffer_mode { SHELL_BUFFER_BLOCK = 0, SHELL_BUFFER_DROP = 1 };

struct shell_disconnect_req {
	char shell_id[SHELL_ID_LEN + 1];
	uint64_t idle_timeout_ms; /* rsp:IdleTimeOut; 0: the shell's own */
	uint32_t buffer_mode;	  /* enum shell_buffer_mode */
};

/* Reconnect (the client that disconnected) and Connect (any client of the
 * same user): the shell itself for an empty command_id, else that command. */
struct shell_reconnect_req {
	char shell_id[SHELL_ID_LEN + 1];
	char command_id[SHELL_ID_LEN + 1];
};

struct shell_connect_req {
	char shell_id[SHELL_ID_LEN + 1];
	char command_id[SHELL_ID_LEN + 1];
	char *connect_xml; /* the shell's Connect: connectXml as sent (base64 PSRP fragments) */
	/* the shell's Connect: enum shell_compression, as its
	 * rsp:CompressionType asks (the new client's choice, as at Create) */
	uint32_t compression;
	/* libwinrm: the protocolversion option its Connect sends, as Create's
	 * (the service does not read it) */
	char *protocol_version;
};

/* The shell's Connect: connectResponseXml's bytes (the server's
 * SESSION_CAPABILITY and RUNSPACEPOOL_INIT_DATA, whole fragments); a
 * command's Connect has none. */
#define SHELL_CONNECT_RESPONSE_MAX 8192
struct shell_connect_reply {
	uint32_t len;
	uint8_t data[SHELL_CONNECT_RESPONSE_MAX];
};

/* ---- Enumerate of shells and of one shell's commands (MS-WSMV 3.1.4.1.31) ---- */

#define URI_SHELLS "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
#define URI_SHELL_COMMANDS URI_SHELLS "/Command"
#define SHELL_MAX_LISTED 128 /* items of one Enumerate */

struct shell_list_req {
	/* Commands: the Selector filter's ShellId (required); shells: empty. */
	char shell_id[SHELL_ID_LEN + 1];
};

struct shell_summary {
	char shell_id[SHELL_ID_LEN + 1];
	char name[SHELL_PS_NAME_MAX + 1];     /* the Create's, else the ShellId */
	char owner[64];			      /* the user whose shell it is */
	char endpoint[SHELL_PS_NAME_MAX + 1]; /* the session configuration; "": cmd */
	char client_ip[64];		      /* of the Create */
	uint32_t process_id;
	uint32_t disconnected;
	uint32_t buffer_mode; /* enum shell_buffer_mode */
	uint32_t compression; /* enum shell_compression */
	uint64_t idle_timeout_ms;
	uint64_t run_ms;      /* since Create */
	uint64_t inactive_ms; /* since the last request to it */
	uint64_t memory_bytes;
};

struct shell_command_summary {
	char command_id[SHELL_ID_LEN + 1];
	uint32_t done; /* its last state went out to the client */
};

/* The caller's own shells, or the commands of one of them. */
struct shell_list_reply {
	uint32_t nshells;
	struct shell_summary shells[SHELL_MAX_LISTED];
	uint32_t ncommands;
	struct shell_command_summary commands[SHELL_MAX_LISTED];
};

/* Limits the network process hands each host (from winrm/config/winrs). */
struct shell_limits {
	uint32_t max_shells_per_user;	  /* MaxShellsPerUser, 0 = unlimited */
	uint32_t max_processes_per_shell; /* MaxProcessesPerShell, 0 = unlimited */
	uint64_t idle_timeout_ms;	  /* IdleTimeout: default and maximum IdleTimeOut */
	uint64_t max_shell_run_time_ms;	  /* MaxShellRunTime */
	uint32_t max_memory_per_shell_mb; /* MaxMemoryPerShellMB, 0 = unlimited */
};

void shell_create_req_clear(struct shell_create_req *r);
void shell_command_req_clear(struct shell_command_req *r);
void shell_send_req_clear(struct shell_send_req *r);
void shell_connect_req_clear(struct shell_connect_req *r);

/* ---- the operations ---- */

struct wsman_request;
struct wsman_client_header;

/* What the service adds to a parsed request. */
struct shell_service_ctx {
	const char *client_ip; /* the peer's address */
	/* PowerShell: the session configurations served (NULL-terminated
	 * names) and the pwsh to run them ("" or NULL: the host searches) */
	const char *const *ps_endpoints;
	const char *pwsh;
	uint64_t
	    max_timeout_ms; /* MaxTimeoutms: the long poll of a Receive without OperationTimeout */
};

/* What a reply names besides the request and the host's answer. */
struct shell_reply_ctx {
	const char *machine_url; /* the URL the client addressed, for the new shell's EPR */
	const char *owner;	 /* the authenticated user */
	const char *client_ip;
};

/* What libwinrm reads from a ReceiveResponse: each stream's bytes go to
 * output as they are decoded. */
typedef void shell_output_fn(void *arg, enum shell_stream stream, const uint8_t *data, size_t len);
struct shell_received {
	shell_output_fn *output;
	void *arg;
	int done;	    /* CommandState/Done */
	uint32_t exit_code; /* when done */
};

enum shell_op_flags {
	SHELL_OP_NEW_SHELL = 1, /* makes a shell: AllowRemoteShellAccess, starts the user's host */
	SHELL_OP_END_SHELL = 2, /* ends one: the host may close when it has none left */
	/* resource is a prefix: the kind has one URI per endpoint
	 * (PowerShell's session configurations) */
	SHELL_OP_RESOURCE_PREFIX = 4,
	/* lists what the user has: a user without a host has nothing to
	 * list, and gets the empty reply rather than an unknown shell */
	SHELL_OP_LIST = 8,
};

struct shell_op {
	const char *name;     /* for logs */
	const char *resource; /* the shell kind's resource URI (compared case-insensitively) */
	const char *action;
	unsigned flags;	   /* enum shell_op_flags */
	size_t req_size;   /* the request struct */
	size_t reply_size; /* the host's typed reply; 0: the status alone */
	/* Network process: the SOAP request into the struct (zeroed first;
	 * on error it holds nothing). NULL, as build_reply, for a row whose
	 * SOAP the network process handles itself (SHELL_CIM_INSTANCES). */
	enum err (*parse)(const struct wsman_request *ws, const struct shell_service_ctx *ctx,
			  void *req);
	/* net -> host, host -> net (decoders: whole bodies, trailing bytes refused). */
	enum err (*encode)(struct buf *out, const void *req);
	enum err (*decode)(struct buf *in, void *req);
	enum err (*encode_reply)(struct buf *out, const void *reply);
	enum err (*decode_reply)(struct buf *in, void *reply);
	/* Network process: the SOAP reply, as Windows writes it. */
	enum err (*build_reply)(struct buf *out, const struct wsman_request *ws,
				const struct shell_reply_ctx *ctx, const void *req,
				const void *reply);
	/* libwinrm: the request envelope, and what it reads from the reply
	 * (NULL: nothing; the reply only has to be one). */
	enum err (*client_build)(struct buf *out, const struct wsman_client_header *h,
				 const void *req);
	enum err (*client_read)(const struct wsman_request *resp, void *result);
	/* Frees what a request owns (NULL: nothing). */
	void (*clear)(void *req);
};

enum shell_op_id {
	SHELL_CMD_CREATE,
	SHELL_CMD_COMMAND,
	SHELL_CMD_SEND,
	SHELL_CMD_RECEIVE,
	SHELL_CMD_SIGNAL,
	SHELL_CMD_DELETE,
	SHELL_PS_CREATE,
	SHELL_PS_COMMAND,
	SHELL_PS_SEND,
	SHELL_PS_RECEIVE,
	SHELL_PS_SIGNAL,
	SHELL_PS_DELETE,
	SHELL_PS_DISCONNECT,
	SHELL_PS_RECONNECT,
	SHELL_PS_CONNECT,
	SHELL_LIST_SHELLS,
	SHELL_LIST_COMMANDS,
	/* Management data (cim/cim.h): a class's instances, made in the
	 * user's own host; no resource URI of its own (net_cim.c routes it). */
	SHELL_CIM_INSTANCES,
	/* A method of a class (Invoke), run in the user's own host as the
	 * user; routed by net_cim.c as SHELL_CIM_INSTANCES. */
	SHELL_CIM_INVOKE,
	SHELL_OP_COUNT
};

/* The row of an id, or NULL. */
const struct shell_op *shell_op_at(uint32_t id);
uint32_t shell_op_id(const struct shell_op *op);
/* 1 if some shell kind has resource as its URI. */
int shell_op_resource(const char *resource);
/* The row for resource and action; NULL if the kind has no such action. */
const struct shell_op *shell_op_find(const char *resource, const char *action);
/* Frees what req owns and zeroes it. */
void shell_op_clear(const struct shell_op *op, void *req);

/* IPC_SHELL_REQUEST: the row's id, then its request. The decoder gives
 * the row whose request follows (ERR_FORMAT for an unknown id). */
enum err shell_op_request_encode(struct buf *out, const struct shell_op *op, const void *req);
enum err shell_op_request_decode(struct buf *in, const struct shell_op **op);
/* IPC_SHELL_REPLY: the status, then, when it is ERR_OK and the row has
 * one, the typed reply. */
enum err shell_op_reply_encode(struct buf *out, const struct shell_op *op, enum err status,
			       const void *reply);
enum err shell_op_reply_decode(struct buf *in, const struct shell_op *op, enum err *status,
			       void *reply);

#endif
