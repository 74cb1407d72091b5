/* shell_ops: the vocabulary of the remote shell (windows/shell/cmd):
 * what Create, Command, Send, Receive, Signal and Delete carry, free of
 * XML and of IPC framing. wsman/ decodes SOAP bodies into these, ipc/
 * carries them between the network process and a per-user host, and
 * host/ executes them. Strings are NUL-terminated heap copies owned by
 * the struct unless a field says it is a view. */
#ifndef OPENWINRM_SHELL_OPS_H
#define OPENWINRM_SHELL_OPS_H

#include <stddef.h>
#include <stdint.h>

#define SHELL_ID_LEN 36             /* upper-case GUID */
#define SHELL_MAX_ENV 256           /* rsp:Variable elements per Create */
#define SHELL_MAX_ARGS 1024         /* rsp:Arguments elements per Command */
#define SHELL_MAX_STRING 65536      /* any one name, value, argument or directory */

struct shell_create_req {
	char *working_dir;        /* NULL: the user's home directory */
	uint64_t idle_timeout_ms; /* 0: Winrs/IdleTimeout */
	uint32_t noprofile;       /* WINRS_NOPROFILE */
	uint32_t codepage;        /* WINRS_CODEPAGE, 0 if absent (accepted, bytes pass as they are) */
	char *client_ip;          /* for rsp:ClientIP and logs; filled by the network process */
	uint32_t nenv;
	char **env_names;
	char **env_values;
};

struct shell_create_reply {
	char shell_id[SHELL_ID_LEN + 1];
	uint64_t idle_timeout_ms; /* effective */
};

struct shell_command_req {
	char shell_id[SHELL_ID_LEN + 1];
	char command_id[SHELL_ID_LEN + 1]; /* client-chosen (WinRb) or empty: the host makes one */
	uint32_t skip_cmd_shell;           /* WINRS_SKIP_CMD_SHELL: exec argv directly */
	uint32_t argc;                     /* >= 1: argv[0] is rsp:Command */
	char **argv;                       /* rsp:Command then each rsp:Arguments */
};

struct shell_command_reply {
	char command_id[SHELL_ID_LEN + 1];
};

struct shell_send_req {
	char shell_id[SHELL_ID_LEN + 1];
	char command_id[SHELL_ID_LEN + 1];
	uint32_t end;   /* End="true": close the command's stdin after writing */
	uint8_t *data;  /* decoded stdin bytes */
	size_t len;
};

struct shell_receive_req {
	char shell_id[SHELL_ID_LEN + 1];
	char command_id[SHELL_ID_LEN + 1];
	uint64_t timeout_ms; /* long-poll bound: OperationTimeout capped by MaxTimeoutms */
	uint32_t max_bytes;  /* output bytes the reply may carry (fits the client's MaxEnvelopeSize) */
};

enum shell_stream { SHELL_STDOUT = 0, SHELL_STDERR = 1 };

struct shell_chunk {
	uint8_t stream;      /* enum shell_stream */
	const uint8_t *data; /* view into the message it was decoded from */
	size_t len;
};

#define SHELL_MAX_CHUNKS 64
struct shell_receive_reply {
	uint32_t nchunks;
	struct shell_chunk chunks[SHELL_MAX_CHUNKS]; /* in production order */
	uint32_t stdout_end; /* the stream is finished and fully delivered */
	uint32_t stderr_end;
	uint32_t done;       /* CommandState/Done (else Running) */
	uint32_t exit_code;  /* valid when done */
};

enum shell_signal {
	SHELL_SIGNAL_TERMINATE = 1, /* kill the command's process group, release the command */
	SHELL_SIGNAL_CTRL_C = 2,    /* SIGINT to the process group */
	SHELL_SIGNAL_CTRL_BREAK = 3 /* SIGQUIT to the process group (the Unix 'break' key) */
};

struct shell_signal_req {
	char shell_id[SHELL_ID_LEN + 1];
	char command_id[SHELL_ID_LEN + 1];
	uint32_t signal; /* enum shell_signal */
};

struct shell_delete_req {
	char shell_id[SHELL_ID_LEN + 1];
};

/* Limits the network process hands each host (from winrm/config/winrs). */
struct shell_limits {
	uint32_t max_shells_per_user;      /* MaxShellsPerUser, 0 = unlimited */
	uint32_t max_processes_per_shell;  /* MaxProcessesPerShell, 0 = unlimited */
	uint64_t idle_timeout_ms;          /* IdleTimeout: default and maximum IdleTimeOut */
	uint64_t max_shell_run_time_ms;    /* MaxShellRunTime */
};

void shell_create_req_free(struct shell_create_req *r);
void shell_command_req_free(struct shell_command_req *r);
void shell_send_req_free(struct shell_send_req *r);

#endif
