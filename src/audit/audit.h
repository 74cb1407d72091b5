/* audit: the service's audit trail. One event per logon (success or
 * failure, with the reason), host start, shell and PowerShell session
 * start and end, command start and end, configuration change and refusal.
 * The privileged part alone writes them: those it sees itself, and those
 * the network process sees in the requests and replies it parses, which
 * come to it as IPC_AUDIT notices (the network process writes no file).
 * Each goes to the journal with structured fields (WINRM_EVENT=, ...), or
 * to syslog as one JSON line where no journal runs, and, when
 * Service/AuditLogFile names one, as one JSON object per line appended to
 * that file. An event is a fixed-size struct: every string is bounded
 * (the command line to AUDIT_MAX_COMMAND_LINE bytes, with a flag when it
 * was cut), so one event costs a bounded amount whatever a client sends.
 * Audit events are never rate-limited. */
#ifndef OPENWINRM_AUDIT_H
#define OPENWINRM_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define AUDIT_MAX_FIELD 256
#define AUDIT_MAX_COMMAND_LINE 4096
/* The longest JSON line: every byte of every field escaped as \uXXXX. */
#define AUDIT_MAX_LINE (6 * (AUDIT_MAX_COMMAND_LINE + 16 * AUDIT_MAX_FIELD) + 1024)

enum audit_kind {
	AUDIT_LOGON = 0,
	AUDIT_LOGON_FAILED = 1,
	AUDIT_HOST_START = 2, /* a host process started for a user: the run-as account */
	AUDIT_SHELL_START = 3,
	AUDIT_SHELL_END = 4,
	AUDIT_COMMAND_START = 5,
	AUDIT_COMMAND_END = 6,
	AUDIT_PS_SESSION_START = 7, /* a PowerShell shell on a session configuration */
	AUDIT_PS_SESSION_END = 8,
	AUDIT_CONFIG_CHANGE = 9,
	AUDIT_REFUSAL = 10,
	AUDIT_ELEVATED_METHOD = 11, /* an administrator's WMI method, run as root */
	AUDIT_KIND_COUNT
};

/* Who saw the event: the privileged part, or the network process, whose
 * word the privileged part records as that process's. */
enum audit_origin { AUDIT_FROM_PRIV, AUDIT_FROM_NET };

struct audit_event {
	uint32_t kind;		      /* enum audit_kind */
	uint32_t source_port;	      /* 0: not known */
	uint32_t has_exit_code;	      /* AUDIT_COMMAND_END: the command reported one */
	uint32_t exit_code;	      /* when has_exit_code */
	uint32_t command_line_cut;    /* command_line is the first bytes of a longer one */
	uint64_t duration_ms;	      /* AUDIT_COMMAND_END: since the Command */
	uint64_t bytes_in, bytes_out; /* AUDIT_COMMAND_END: stdin sent, output received */
	char source_address[AUDIT_MAX_FIELD + 1];
	char user[AUDIT_MAX_FIELD + 1];	    /* the authenticated (or claimed) account */
	char run_as[AUDIT_MAX_FIELD + 1];   /* the account the host runs as */
	char scheme[AUDIT_MAX_FIELD + 1];   /* Basic, Negotiate, Kerberos, Certificate, CredSSP */
	char listener[AUDIT_MAX_FIELD + 1]; /* "HTTP" or "HTTPS" and the local port */
	char resource[AUDIT_MAX_FIELD + 1]; /* the resource URI */
	char endpoint[AUDIT_MAX_FIELD + 1]; /* a PowerShell session configuration */
	char shell_id[AUDIT_MAX_FIELD + 1];
	char command_id[AUDIT_MAX_FIELD + 1];
	char action[AUDIT_MAX_FIELD + 1];    /* the WS-Management action, of a refusal */
	char principal[AUDIT_MAX_FIELD + 1]; /* a Kerberos principal, a certificate's subject */
	char reason[AUDIT_MAX_FIELD + 1];    /* a failure's or refusal's, a change's outcome */
	char command_line[AUDIT_MAX_COMMAND_LINE + 1];
};

/* The string fields of struct audit_event, one row each, so the JSON
 * encoder, the journal fields and the IPC codec walk one table. */
struct audit_field {
	const char *json;    /* "source_address" */
	const char *journal; /* "WINRM_SOURCE_ADDRESS" */
	size_t offset, size; /* in struct audit_event; size counts the NUL */
};
extern const struct audit_field audit_fields[];
extern const size_t audit_nfields;

const char *audit_kind_name(uint32_t kind);
/* The event ID of Microsoft-Windows-WinRM/Operational a SIEM rule for
 * WinRM looks for, or 0 where there is none; and of Windows' Security log
 * (4624, 4625), or 0. */
uint32_t audit_winrm_event_id(uint32_t kind);
uint32_t audit_security_event_id(uint32_t kind);

/* A zeroed event of kind. */
void audit_event_init(struct audit_event *ev, uint32_t kind);
/* Copies src (NULL: "") into a field of size bytes, cut to fit; 1 if cut. */
int audit_set(char *field, size_t size, const char *src);
#define AUDIT_SET(ev, field, src) audit_set((ev)->field, sizeof((ev)->field), (src))
/* The command line: the words joined by spaces, cut at
 * AUDIT_MAX_COMMAND_LINE bytes (command_line_cut set). */
void audit_set_command_line(struct audit_event *ev, uint32_t argc, char *const *argv);

/* One JSON object, no newline: time (UTC, milliseconds), event,
 * winrm_event_id and security_event_id where there is one, origin, the
 * string fields that are not empty, and the numbers of a command's end.
 * Strings are escaped as RFC 8259 requires (quote, backslash and control
 * characters, these as \u00XX, and DEL as \u007f); a byte that is not
 * part of valid UTF-8 becomes U+FFFD, so the line is valid UTF-8 whatever
 * the client sent. */
enum err audit_json(struct buf *out, const struct audit_event *ev, enum audit_origin origin,
		    uint64_t unix_ms);

/* The privileged part: the file the configuration names ("" or NULL:
 * none), opened again (O_APPEND, 0600) each time the configuration takes
 * effect, SIGHUP included, so logrotate's rename is followed. */
void audit_configure(const char *path);
/* Writes ev to the journal (else syslog, or stderr in the foreground)
 * and to the file. */
void audit_write(const struct audit_event *ev, enum audit_origin origin);
void audit_close(void);

#endif
