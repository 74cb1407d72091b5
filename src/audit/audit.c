/* audit: events as JSON lines and journal fields; the privileged part's
 * writer. */
#include "audit/audit.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

/* Returns the first error of a chain of puts. */
#define TRY(x)                                                                                     \
	do {                                                                                       \
		enum err e_ = (x);                                                                 \
		if (e_ != ERR_OK)                                                                  \
			return e_;                                                                 \
	} while (0)

#define F(json, journal, member)                                                                   \
	{                                                                                          \
		json, journal, offsetof(struct audit_event, member),                               \
		    sizeof(((struct audit_event *)0)->member)                                      \
	}
const struct audit_field audit_fields[] = {
    F("source_address", "WINRM_SOURCE_ADDRESS", source_address),
    F("user", "WINRM_USER", user),
    F("run_as", "WINRM_RUN_AS", run_as),
    F("scheme", "WINRM_SCHEME", scheme),
    F("listener", "WINRM_LISTENER", listener),
    F("resource_uri", "WINRM_RESOURCE_URI", resource),
    F("endpoint", "WINRM_ENDPOINT", endpoint),
    F("shell_id", "WINRM_SHELL_ID", shell_id),
    F("command_id", "WINRM_COMMAND_ID", command_id),
    F("action", "WINRM_ACTION", action),
    F("principal", "WINRM_PRINCIPAL", principal),
    F("reason", "WINRM_REASON", reason),
    F("command_line", "WINRM_COMMAND_LINE", command_line),
};
#undef F
const size_t audit_nfields = sizeof(audit_fields) / sizeof(audit_fields[0]);

/* Windows' event IDs (docs/design.md, "The audit trail"): WinRM's
 * Operational channel logs 91 when it creates a shell (cmd or PowerShell)
 * and 142 when an operation fails; its Security log 4624 and 4625 for a
 * logon and a failed one, 4634 for a logoff. */
static const struct {
	const char *name;
	uint32_t winrm_id, security_id;
} kinds[AUDIT_KIND_COUNT] = {
    [AUDIT_LOGON] = {"logon", 169, 4624},
    [AUDIT_LOGON_FAILED] = {"logon_failed", 0, 4625},
    [AUDIT_HOST_START] = {"host_start", 0, 0},
    [AUDIT_SHELL_START] = {"shell_start", 91, 0},
    [AUDIT_SHELL_END] = {"shell_end", 0, 0},
    [AUDIT_COMMAND_START] = {"command_start", 0, 0},
    [AUDIT_COMMAND_END] = {"command_end", 0, 0},
    [AUDIT_PS_SESSION_START] = {"powershell_session_start", 91, 0},
    [AUDIT_PS_SESSION_END] = {"powershell_session_end", 0, 0},
    [AUDIT_CONFIG_CHANGE] = {"config_change", 0, 0},
    [AUDIT_REFUSAL] = {"refusal", 142, 0},
    [AUDIT_ELEVATED_METHOD] = {"elevated_method", 0, 0},
};

const char *audit_kind_name(uint32_t kind)
{
	return kind < AUDIT_KIND_COUNT ? kinds[kind].name : "unknown";
}

uint32_t audit_winrm_event_id(uint32_t kind)
{
	return kind < AUDIT_KIND_COUNT ? kinds[kind].winrm_id : 0;
}

uint32_t audit_security_event_id(uint32_t kind)
{
	return kind < AUDIT_KIND_COUNT ? kinds[kind].security_id : 0;
}

void audit_event_init(struct audit_event *ev, uint32_t kind)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
}

int audit_set(char *field, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	int cut = n >= size;

	if (cut)
		n = size - 1;
	memcpy(field, src ? src : "", n);
	field[n] = 0;
	return cut;
}

void audit_set_command_line(struct audit_event *ev, uint32_t argc, char *const *argv)
{
	size_t used = 0, room = sizeof(ev->command_line);

	ev->command_line[0] = 0;
	for (uint32_t i = 0; i < argc && !ev->command_line_cut; i++) {
		if (i > 0 && used + 1 < room)
			ev->command_line[used++] = ' ';
		ev->command_line_cut = (i > 0 && used + 1 >= room) ||
				       audit_set(ev->command_line + used, room - used, argv[i]);
		used += strlen(ev->command_line + used);
	}
	ev->command_line[used] = 0;
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* RFC 3629's table: no overlong forms, no surrogates, nothing past U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static enum err put_json_string(struct buf *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);

	TRY(buf_put_u8(out, '"'));
	for (size_t i = 0; i < n;) {
		size_t len = utf8_sequence(s + i, n - i);
		enum err e;

		if (len == 0) {
			e = buf_put(out, "\\ufffd", 6);
			len = 1;
		} else if (s[i] == '"' || s[i] == '\\') {
			e = buf_putf(out, "\\%c", s[i]);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			e = buf_putf(out, "\\u%04x", s[i]);
		} else {
			e = buf_put(out, s + i, len);
		}
		if (e != ERR_OK)
			return e;
		i += len;
	}
	return buf_put_u8(out, '"');
}

enum err audit_json(struct buf *out, const struct audit_event *ev, enum audit_origin origin,
		    uint64_t unix_ms)
{
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;
	char stamp[32];

	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	TRY(buf_putf(out, "{\"time\":\"%s.%03uZ\",\"event\":\"%s\"", stamp,
		     (unsigned)(unix_ms % 1000), audit_kind_name(ev->kind)));
	if (audit_winrm_event_id(ev->kind))
		TRY(buf_putf(out, ",\"winrm_event_id\":%u", audit_winrm_event_id(ev->kind)));
	if (audit_security_event_id(ev->kind))
		TRY(buf_putf(out, ",\"security_event_id\":%u", audit_security_event_id(ev->kind)));
	TRY(buf_putf(out, ",\"origin\":\"%s\"",
		     origin == AUDIT_FROM_NET ? "network process" : "privileged part"));
	if (ev->source_port)
		TRY(buf_putf(out, ",\"source_port\":%u", ev->source_port));
	for (size_t i = 0; i < audit_nfields; i++) {
		const char *v = (const char *)ev + audit_fields[i].offset;
		if (!*v)
			continue;
		TRY(buf_putf(out, ",\"%s\":", audit_fields[i].json));
		TRY(put_json_string(out, v));
	}
	if (ev->command_line_cut)
		TRY(buf_putf(out, ",\"command_line_truncated\":true"));
	if (ev->kind == AUDIT_COMMAND_END) {
		if (ev->has_exit_code)
			TRY(buf_putf(out, ",\"exit_code\":%u", ev->exit_code));
		TRY(buf_putf(out, ",\"duration_ms\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu",
			     (unsigned long long)ev->duration_ms, (unsigned long long)ev->bytes_in,
			     (unsigned long long)ev->bytes_out));
	}
	return buf_put_u8(out, '}');
}

/* ---- the writer (the privileged part) ---- */

static int audit_fd = -1;
static int journal_runs;

void audit_close(void)
{
	if (audit_fd >= 0)
		close(audit_fd);
	audit_fd = -1;
}

void audit_configure(const char *path)
{
	/* sd_journal_sendv would write to a socket nobody reads. */
	journal_runs = access("/run/systemd/journal/socket", W_OK) == 0;
	audit_close();
	if (!path || !*path)
		return;
	audit_fd =
	    open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (audit_fd < 0)
		log_warn("cannot open the audit log file %s", path);
}

/* The journal entry: MESSAGE, the event's name and IDs, and every field
 * that is set, as fields of their own. */
static void write_journal(const struct audit_event *ev, enum audit_origin origin, const char *json)
{
	enum { FIXED = 8, MAX_IOV = FIXED + 16 };
	char fixed[FIXED][96];
	struct iovec iov[MAX_IOV];
	struct buf fields;
	size_t n = 0;
	int k = 0;

	_Static_assert(sizeof(audit_fields) / sizeof(audit_fields[0]) <= MAX_IOV - FIXED,
		       "an iovec for each field");
	snprintf(fixed[k++], sizeof(fixed[0]), "PRIORITY=%d", 6 /* LOG_INFO */);
	snprintf(fixed[k++], sizeof(fixed[0]), "SYSLOG_IDENTIFIER=winrmd");
	snprintf(fixed[k++], sizeof(fixed[0]), "WINRM_EVENT=%s", audit_kind_name(ev->kind));
	snprintf(fixed[k++], sizeof(fixed[0]), "WINRM_EVENT_ID=%u", audit_winrm_event_id(ev->kind));
	snprintf(fixed[k++], sizeof(fixed[0]), "WINRM_SECURITY_EVENT_ID=%u",
		 audit_security_event_id(ev->kind));
	snprintf(fixed[k++], sizeof(fixed[0]), "WINRM_ORIGIN=%s",
		 origin == AUDIT_FROM_NET ? "net" : "priv");
	snprintf(fixed[k++], sizeof(fixed[0]), "WINRM_SOURCE_PORT=%u", ev->source_port);
	for (int i = 0; i < k; i++)
		iov[n++] = (struct iovec){fixed[i], strlen(fixed[i])};
	/* One buffer for the rest, so MESSAGE (the JSON line, which holds
	 * the numbers too) and the fields need no allocation each. */
	buf_init(&fields, AUDIT_MAX_LINE * 2);
	size_t starts[MAX_IOV];
	size_t nfield = 0;
	starts[nfield++] = buf_len(&fields);
	buf_putf(&fields, "MESSAGE=winrm audit %s", json);
	for (size_t i = 0; i < audit_nfields; i++) {
		const char *v = (const char *)ev + audit_fields[i].offset;
		if (!*v)
			continue;
		starts[nfield++] = buf_len(&fields);
		buf_putf(&fields, "%s=%s", audit_fields[i].journal, v);
	}
	starts[nfield] = buf_len(&fields);
	for (size_t i = 0; i < nfield; i++)
		iov[n++] = (struct iovec){(void *)(buf_ptr(&fields) + starts[i]),
					  starts[i + 1] - starts[i]};
	int r = sd_journal_sendv(iov, (int)n);
	if (r < 0) {
		errno = -r;
		log_warn("cannot write an audit event to the journal");
	}
	buf_clear(&fields);
}

void audit_write(const struct audit_event *ev, enum audit_origin origin)
{
	struct buf line;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	buf_init(&line, AUDIT_MAX_LINE);
	if (audit_json(&line, ev, origin,
		       (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000) != ERR_OK ||
	    buf_terminate(&line) != ERR_OK) {
		log_warnx("an audit event (%s) does not fit its line", audit_kind_name(ev->kind));
		buf_clear(&line);
		return;
	}
	if (journal_runs)
		write_journal(ev, origin, (const char *)buf_ptr(&line));
	else
		log_info("audit %s", (const char *)buf_ptr(&line));
	if (audit_fd >= 0 && buf_put_u8(&line, '\n') == ERR_OK) {
		/* One write per line (O_APPEND): lines never interleave. */
		ssize_t w = write(audit_fd, buf_ptr(&line), buf_len(&line));
		if (w != (ssize_t)buf_len(&line))
			log_warn("cannot write an audit event to the audit log file");
	}
	buf_clear(&line);
}
