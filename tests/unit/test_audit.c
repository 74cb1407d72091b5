/* Unit tests for audit: the JSON line of an event (escaping, UTF-8, the
 * bounds of its fields) and the file writer. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "check.h"
#include "priv/priv_int.h"

/* 2026-12-06T20:15:00.042Z */
#define STAMP_MS 1796588100042ull

static char *json_of(const struct audit_event *ev, enum audit_origin origin)
{
	static char line[AUDIT_MAX_LINE + 1];
	struct buf b;

	buf_init(&b, AUDIT_MAX_LINE);
	line[0] = 0;
	if (audit_json(&b, ev, origin, STAMP_MS) == ERR_OK)
		snprintf(line, sizeof(line), "%.*s", (int)buf_len(&b), (const char *)buf_ptr(&b));
	buf_clear(&b);
	return line;
}

static int has(const char *haystack, const char *needle)
{
	int found = strstr(haystack, needle) != NULL;
	if (!found)
		printf("# %s not in %.300s\n", needle, haystack);
	return found;
}

static void logon_failed(void)
{
	struct audit_event ev;

	audit_event_init(&ev, AUDIT_LOGON_FAILED);
	AUDIT_SET(&ev, source_address, "192.0.2.7");
	ev.source_port = 50123;
	AUDIT_SET(&ev, user, "alice");
	AUDIT_SET(&ev, scheme, "Basic");
	AUDIT_SET(&ev, reason, "failure (PAM: Authentication failure)");
	const char *j = json_of(&ev, AUDIT_FROM_PRIV);
	CHECK("the line starts with the time and the event",
	      strncmp(j, "{\"time\":\"2026-12-06T20:15:00.042Z\",\"event\":\"logon_failed\"", 56) ==
		  0);
	CHECK("a failed logon carries 4625", has(j, "\"security_event_id\":4625"));
	CHECK("and no WinRM event id", !strstr(j, "winrm_event_id"));
	CHECK("its source address and port",
	      has(j, "\"source_port\":50123") && has(j, "\"source_address\":\"192.0.2.7\""));
	CHECK("its reason", has(j, "\"reason\":\"failure (PAM: Authentication failure)\""));
	CHECK("its origin", has(j, "\"origin\":\"privileged part\""));
	CHECK("empty fields are left out", !strstr(j, "shell_id") && !strstr(j, "exit_code"));
	CHECK("the line ends with the object", j[strlen(j) - 1] == '}' && !strchr(j, '\n'));
}

static void escaping(void)
{
	struct audit_event ev;

	audit_event_init(&ev, AUDIT_COMMAND_START);
	AUDIT_SET(&ev, command_line, "echo \"a\\b\"\n\t\x01\x1f\x7f end");
	const char *j = json_of(&ev, AUDIT_FROM_NET);
	CHECK("quotes, backslashes and control characters are escaped",
	      has(j, "\"command_line\":\"echo \\\"a\\\\b\\\"\\u000a\\u0009\\u0001\\u001f\\u007f "
		     "end\""));
	CHECK("origin network process", has(j, "\"origin\":\"network process\""));

	AUDIT_SET(&ev, command_line, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	CHECK("valid UTF-8 passes as it is",
	      has(json_of(&ev, AUDIT_FROM_NET),
		  "\"command_line\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""));
	/* A lone continuation byte, an overlong '/', a surrogate, a sequence
	 * cut by the end, a byte never in UTF-8. */
	AUDIT_SET(&ev, command_line,
		  "a\x80"
		  "b\xc0\xaf"
		  "c\xed\xa0\x80"
		  "d\xff"
		  "e\xe2\x82");
	CHECK("invalid UTF-8 becomes U+FFFD, byte by byte",
	      has(json_of(&ev, AUDIT_FROM_NET),
		  "\"command_line\":\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffde"
		  "\\ufffd\\ufffd\""));
}

static void bounds(void)
{
	struct audit_event ev;
	static char huge[3 * AUDIT_MAX_COMMAND_LINE];
	char *words[3] = {"bash", "-c", huge};

	memset(huge, 'x', sizeof(huge) - 1);
	audit_event_init(&ev, AUDIT_COMMAND_START);
	audit_set_command_line(&ev, 3, words);
	CHECK("a long command line is cut at its bound",
	      strlen(ev.command_line) == AUDIT_MAX_COMMAND_LINE && ev.command_line_cut &&
		  strncmp(ev.command_line, "bash -c xxx", 11) == 0);
	CHECK("and says so", has(json_of(&ev, AUDIT_FROM_NET), "\"command_line_truncated\":true"));
	char *short_words[2] = {"whoami", "/all"};
	audit_event_init(&ev, AUDIT_COMMAND_START);
	audit_set_command_line(&ev, 2, short_words);
	CHECK("a short one is joined by spaces, not cut",
	      strcmp(ev.command_line, "whoami /all") == 0 && !ev.command_line_cut &&
		  !strstr(json_of(&ev, AUDIT_FROM_NET), "truncated"));
	CHECK("a field is cut to its size",
	      AUDIT_SET(&ev, user, huge) == 1 && strlen(ev.user) == AUDIT_MAX_FIELD);

	/* Every field at its bound, every byte escaped: the line still fits. */
	audit_event_init(&ev, AUDIT_COMMAND_END);
	for (size_t i = 0; i < audit_nfields; i++) {
		char *f = (char *)&ev + audit_fields[i].offset;
		memset(f, 0x01, audit_fields[i].size - 1);
	}
	struct buf b;
	buf_init(&b, AUDIT_MAX_LINE);
	CHECK("the worst event fits AUDIT_MAX_LINE",
	      audit_json(&b, &ev, AUDIT_FROM_NET, STAMP_MS) == ERR_OK);
	buf_clear(&b);
}

static void command_end(void)
{
	struct audit_event ev;

	audit_event_init(&ev, AUDIT_COMMAND_END);
	ev.has_exit_code = 1;
	ev.exit_code = 3;
	ev.duration_ms = 1500;
	ev.bytes_in = 12;
	ev.bytes_out = 4096;
	const char *j = json_of(&ev, AUDIT_FROM_NET);
	CHECK("a command's end carries its numbers",
	      has(j, "\"exit_code\":3,\"duration_ms\":1500,\"bytes_in\":12,\"bytes_out\":4096"));
	ev.has_exit_code = 0;
	CHECK("no exit code when none was reported", !strstr(json_of(&ev, AUDIT_FROM_NET), "exit"));
	audit_event_init(&ev, AUDIT_SHELL_START);
	CHECK("a shell start is WinRM's 91",
	      has(json_of(&ev, AUDIT_FROM_NET), "\"winrm_event_id\":91"));
	CHECK("an unknown kind has a name",
	      strcmp(audit_kind_name(AUDIT_KIND_COUNT), "unknown") == 0);
}

/* The file's text (at most len-1 bytes) into text. */
static void read_file(const char *path, char *text, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, text, len - 1) : -1;

	text[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

static void file_writer(void)
{
	char dir[] = "/tmp/test_audit.XXXXXX", path[64], text[4096];
	struct audit_event ev;

	if (!mkdtemp(dir)) {
		CHECK("a temporary directory", 0);
		return;
	}
	snprintf(path, sizeof(path), "%s/audit.json", dir);
	audit_configure(path);
	audit_event_init(&ev, AUDIT_CONFIG_CHANGE);
	AUDIT_SET(&ev, user, "root");
	audit_write(&ev, AUDIT_FROM_PRIV);
	audit_event_init(&ev, AUDIT_REFUSAL);
	AUDIT_SET(&ev, reason, "line\nbreak");
	audit_write(&ev, AUDIT_FROM_NET);
	audit_close();
	read_file(path, text, sizeof(text));
	struct stat st;
	int private = stat(path, &st) == 0 && (st.st_mode & 0777) == 0600;
	int lines = 0;
	for (char *p = text; (p = strchr(p, '\n')); p++)
		lines++;
	CHECK("one line per event, a newline in a value escaped",
	      lines == 2 && has(text, "\"event\":\"config_change\"") &&
		  has(text, "\"reason\":\"line\\u000abreak\""));
	CHECK("the file is the owner's alone (0600)", private);
	unlink(path);
	rmdir(dir);
}

/* The privileged part writes what the network process may report, as its
 * word, and refuses the kinds that are its own. */
static void from_net(void)
{
	char dir[] = "/tmp/test_audit.XXXXXX", path[64], text[16384];
	struct audit_event ev;
	int accepted = 0, refused = 0;

	if (!mkdtemp(dir)) {
		CHECK("a temporary directory", 0);
		return;
	}
	snprintf(path, sizeof(path), "%s/audit.json", dir);
	audit_configure(path);
	for (uint32_t kind = 0; kind < AUDIT_KIND_COUNT; kind++) {
		audit_event_init(&ev, kind);
		AUDIT_SET(&ev, user, "mallory");
		enum err e = priv_audit_from_net(&ev);
		int own = kind == AUDIT_LOGON || kind == AUDIT_LOGON_FAILED ||
			  kind == AUDIT_HOST_START || kind == AUDIT_CONFIG_CHANGE ||
			  kind == AUDIT_ELEVATED_METHOD;
		accepted += !own && e == ERR_OK;
		refused += own && e == ERR_FORMAT;
	}
	audit_close();
	read_file(path, text, sizeof(text));
	CHECK("the network process's kinds are written", accepted == AUDIT_KIND_COUNT - 5);
	CHECK("a logon, host start, change or elevated method it claims is refused", refused == 5);
	CHECK("and none of those is written",
	      !strstr(text, "\"event\":\"logon") && !strstr(text, "host_start") &&
		  !strstr(text, "config_change") && !strstr(text, "elevated_method"));
	CHECK("what it reports is tagged as its word",
	      has(text, "\"event\":\"shell_start\",\"winrm_event_id\":91,\"origin\":\"network "
			"process\""));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	logon_failed();
	escaping();
	bounds();
	command_end();
	file_writer();
	from_net();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
