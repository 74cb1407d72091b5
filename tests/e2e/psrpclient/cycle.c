/* libpsrpclient.so driven as PowerShell drives it, against a real winrmd
 * and its pwsh, under the sanitizers (tests/e2e/test_psrpclient_cycle.py
 * builds and runs it):
 *
 *   cycle cycles LIBRARY URL USER CALLS EXPECTED
 *   cycle host-goes-away LIBRARY URL USER CALLS SECONDS OPERATION_TIMEOUT_MS
 *
 * The password is in $PSRPCLIENT_PASSWORD. CALLS holds one line per
 * session: its ShellId, the creationXml's base64 (SESSION_CAPABILITY and
 * INIT_RUNSPACEPOOL), its CommandId and the Command's argument (a
 * CREATE_PIPELINE), all made by tests/e2e/psrp.py.
 *
 * cycles: for each line, over HTTPS with Basic: a session, the shell,
 * its Receive until the pool is Opened, the command, its Receive until
 * CommandState Done with EXPECTED among the output, then the command,
 * the shell and the session closed; each completion's flags as
 * PowerShell compares them. Exits 0 when every check held, so that
 * LeakSanitizer, at exit, has a clean run to judge.
 *
 * host-goes-away: the first line's command (a long one) and its Receive;
 * prints "receiving" and reads a line, sent once the service is gone;
 * the Receive must then fail within SECONDS, and everything closes
 * without the service. OPERATION_TIMEOUT_MS is PowerShell's
 * OperationTimeout session option (0: its default, which the library
 * caps), which bounds how long a Receive waits for a silent service. */
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "psrpclient/wsman_api.h"
#include "check.h"
#include "wsman_calls.h"

#define RESOURCE_URI "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
#define CREATION_XML_OPEN "<creationXml xmlns=\"http://schemas.microsoft.com/powershell\">"
/* MS-PSRP 2.2.1 message types, and the state a pool reports when opened */
#define RUNSPACEPOOL_STATE 0x00021005u
#define PIPELINE_OUTPUT 0x00041004u
#define POOL_OPENED "<I32 N=\"RunspaceState\">2</I32>"
/* MS-PSRP 2.2.4: ObjectId, FragmentId, flags (bit 0: the message's
 * start), the blob's big-endian length */
#define FRAGMENT_HEADER 21
#define FRAGMENT_START 0x1

/* A worker thread of the library keeps OpenSSL's and glibc's per-thread
 * state (its error queue, its random generators, its TLS block: about
 * 2.6 KiB at its first TLS exchange and 7 KiB in all under the
 * sanitizers) until it has been idle for 30 s, and a busier moment makes
 * one more worker. So the heap grows in steps as each worker first does
 * something, wherever in the run that falls. What a session keeps makes
 * it grow after every session instead: the heap may grow in at most a
 * quarter of the sessions (of those that left the threads as they were),
 * by at most THREAD_STATE_BYTES for each thread in all. */
#define THREAD_STATE_BYTES 8192

/* A step's bound on a loaded two-core machine. */
#define STEP_SECONDS 90

#ifdef __SANITIZE_ADDRESS__
/* The sanitizer runtime's (clang's <sanitizer/allocator_interface.h>;
 * GCC has no header for it). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

/* The heap in use, as AddressSanitizer's allocator counts it; 0 in a
 * build without it, where growth goes unmeasured. */
static size_t heap_in_use(void)
{
#ifdef __SANITIZE_ADDRESS__
	return __sanitizer_get_current_allocated_bytes();
#else
	return 0;
#endif
}

/* The heap once the workers of a session have ended: measured until two
 * readings 100 ms apart agree (a connection still on its way out holds
 * its TLS buffers), 5 s at most. */
static size_t settled_heap(void)
{
	size_t now = heap_in_use(), before;

	for (int i = 0; i < 50; i++) {
		usleep(100 * 1000);
		before = now;
		if ((now = heap_in_use()) == before)
			break;
	}
	return now;
}

/* The process's threads: the driver's own and the library's workers. */
static int threads_alive(void)
{
	DIR *tasks = opendir("/proc/self/task");
	int n = 0;

	for (struct dirent *e; tasks && (e = readdir(tasks));)
		n += e->d_name[0] != '.';
	if (tasks)
		closedir(tasks);
	return n;
}

/* One line of CALLS, as PowerShell would pass it. */
struct calls {
	WSMAN_CHAR *shell_id, *command_id, *creation_xml, *argument;
};

/* What one Receive's completions carried, in order. The pieces' bytes
 * are scanned as PSRP fragments as they come. */
struct receive_log {
	struct completion c;
	WSMAN_OPERATION_HANDLE op;
	int op_closed;
	uint8_t *bytes;
	size_t len, scanned;
	const char *expected;	 /* output text looked for in PIPELINE_OUTPUT */
	int opened, output_seen; /* what the fragments said */
	int flagged_pieces;	 /* pieces of data whose flags were not 0 */
	int ends;		 /* END_OF_OPERATION completions */
	int after_end;		 /* completions after the first END_OF_OPERATION */
	DWORD end_flags, end_code;
	int end_done; /* the end carried CommandState Done */
};

static void init_log(struct receive_log *r, const char *expected)
{
	*r = (struct receive_log){.c = COMPLETION_INIT, .expected = expected};
}

static uint32_t big_endian32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t little_endian32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The whole fragments not yet scanned; called with the log's lock. A
 * message's type is in its first fragment, after its destination. */
static void scan_fragments(struct receive_log *r)
{
	while (r->len - r->scanned >= FRAGMENT_HEADER) {
		const uint8_t *f = r->bytes + r->scanned;
		uint32_t n = big_endian32(f + 17);
		const uint8_t *blob = f + FRAGMENT_HEADER;
		uint32_t type;

		if (r->len - r->scanned - FRAGMENT_HEADER < n)
			return;
		r->scanned += FRAGMENT_HEADER + n;
		if (!(f[16] & FRAGMENT_START) || n < 8)
			continue;
		type = little_endian32(blob + 4);
		if (type == RUNSPACEPOOL_STATE && memmem(blob, n, POOL_OPENED, strlen(POOL_OPENED)))
			r->opened = 1;
		if (type == PIPELINE_OUTPUT && r->expected &&
		    memmem(blob, n, r->expected, strlen(r->expected)))
			r->output_seen = 1;
	}
}

/* The bytes are the session's alone: let go after it, so that the heap
 * measured between sessions is the library's. */
static void drop_bytes(struct receive_log *r)
{
	pthread_mutex_lock(&r->c.lock);
	free(r->bytes);
	r->bytes = NULL;
	r->len = r->scanned = 0;
	pthread_mutex_unlock(&r->c.lock);
}

static void append_piece(struct receive_log *r, const uint8_t *data, size_t n)
{
	uint8_t *more = realloc(r->bytes, r->len + n);

	if (!more)
		return;
	memcpy(more + r->len, data, n);
	r->bytes = more;
	r->len += n;
	scan_fragments(r);
}

/* The Receive's operation closed once, by its last completion or by the
 * driver, whichever comes first: a second close would free it twice. */
static void close_receive(struct receive_log *r)
{
	int first;

	pthread_mutex_lock(&r->c.lock);
	first = !r->op_closed;
	r->op_closed = 1;
	pthread_mutex_unlock(&r->c.lock);
	if (first && r->op)
		API(WSManCloseOperation)(r->op, 0);
}

static void on_receive(void *ctx, DWORD flags, WSMAN_ERROR *error, WSMAN_SHELL_HANDLE shell,
		       WSMAN_COMMAND_HANDLE command, WSMAN_OPERATION_HANDLE operation,
		       WSMAN_RESPONSE_DATA *data)
{
	struct receive_log *r = ctx;
	const WSMAN_RECEIVE_DATA_RESULT *rd = data ? &data->receiveData : NULL;
	DWORD n = rd ? rd->streamData.binaryData.dataLength : 0;
	char state[160] = "";

	pthread_mutex_lock(&r->c.lock);
	r->after_end += r->ends > 0;
	if (n) {
		r->flagged_pieces += flags != 0;
		append_piece(r, rd->streamData.binaryData.data, n);
	}
	if (flags & WSMAN_FLAG_CALLBACK_END_OF_OPERATION) {
		r->ends++;
		r->end_flags = flags;
		r->end_code = error ? error->code : NO_ERROR;
		ascii(rd ? rd->commandState : NULL, state, sizeof(state));
		r->end_done = strstr(state, "/CommandState/Done") != NULL;
	}
	pthread_mutex_unlock(&r->c.lock);
	/* PowerShell closes the operation from inside its last completion. */
	if (flags & WSMAN_FLAG_CALLBACK_END_OF_OPERATION)
		close_receive(r);
	on_complete(&r->c, flags, error, shell, command, operation, data);
}

/* Waits up to seconds for *flag (set under the log's lock) or the
 * Receive's end; whether *flag was set. */
static int wait_for(struct receive_log *r, const int *flag, int seconds)
{
	time_t until = time(NULL) + seconds;
	int calls;

	pthread_mutex_lock(&r->c.lock);
	calls = r->c.calls;
	pthread_mutex_unlock(&r->c.lock);
	for (;;) {
		int set, ended, left = (int)(until - time(NULL));
		pthread_mutex_lock(&r->c.lock);
		set = *flag;
		ended = r->ends > 0;
		pthread_mutex_unlock(&r->c.lock);
		if (set || ended || left <= 0 || !wait_calls(&r->c, ++calls, left))
			return set;
	}
}

/* A check of one session, quiet when it holds: twenty sessions read as
 * a few lines, and a failure names its session. */
static int holds(int session, const char *what, int cond, const struct completion *c)
{
	if (cond)
		return 1;
	failed++;
	printf("not ok - session %d: %s (last completion: flags %#x, code %#x%s%s)\n", session,
	       what, c ? c->flags : 0, c ? c->code : 0, c && c->detail[0] ? ": " : "",
	       c ? c->detail : "");
	fflush(stdout);
	return 0;
}

/* The service and how to reach it. */
struct target {
	const char *url, *user, *password;
	DWORD operation_timeout_ms;
};

static WSMAN_SESSION_HANDLE open_session(WSMAN_API_HANDLE api, const struct target *t)
{
	WSMAN_CHAR *conn = u16(t->url), *name = u16(t->user), *secret = u16(t->password);
	WSMAN_DATA timeout = {.type = WSMAN_DATA_TYPE_DWORD, .number = t->operation_timeout_ms};
	WSMAN_AUTHENTICATION_CREDENTIALS cred = {.authenticationMechanism = WSMAN_FLAG_AUTH_BASIC};
	WSMAN_DATA on = {.type = WSMAN_DATA_TYPE_DWORD, .number = 1};
	WSMAN_SESSION_HANDLE s = NULL;

	cred.userAccount.username = name;
	cred.userAccount.password = secret;
	if (API(WSManCreateSession)(api, conn, 0, &cred, NULL, &s) == NO_ERROR) {
		/* -SessionOption (New-PSSessionOption -SkipCACheck -SkipCNCheck) */
		API(WSManSetSessionOption)(s, WSMAN_OPTION_SKIP_CA_CHECK, &on);
		API(WSManSetSessionOption)(s, WSMAN_OPTION_SKIP_CN_CHECK, &on);
		/* $o.OperationTimeout, which PowerShell passes on as this */
		if (t->operation_timeout_ms) {
			DWORD option = WSMAN_OPTION_DEFAULT_OPERATION_TIMEOUTMS;
			API(WSManSetSessionOption)(s, option, &timeout);
		}
	}
	free(conn), free(name), free(secret);
	return s;
}

/* The shell of calls c into *shell, created, with its Receive running
 * until the pool is opened (PowerShell's Receive on the shell, which it
 * keeps); whether all went well. *shell is to be closed either way. */
static int open_pool(int session, WSMAN_SESSION_HANDLE s, const struct calls *c,
		     struct receive_log *pool, WSMAN_SHELL_HANDLE *shell)
{
	struct completion created = COMPLETION_INIT;
	WSMAN_SHELL_ASYNC on_created = {&created, on_complete}, on_pool = {pool, on_receive};
	WSMAN_CHAR *uri = u16(RESOURCE_URI), *pv_name = u16("protocolversion"), *pv = u16("2.3");
	WSMAN_OPTION pv_option = {.name = pv_name, .value = pv, .mustComply = 1};
	WSMAN_OPTION_SET options = {.optionsCount = 1, .options = &pv_option};
	WSMAN_DATA content = {.type = WSMAN_DATA_TYPE_TEXT};
	int ok;

	content.text.buffer = c->creation_xml;
	for (const WSMAN_CHAR *w = c->creation_xml; *w; w++)
		content.text.bufferLength++;
	API(WSManCreateShellEx)
	(s, 0, uri, c->shell_id, NULL, &options, &content, &on_created, shell);
	ok = holds(session,
		   "Create completes without error, END_OF_OPERATION and "
		   "SUPPORTS_DISCONNECT, for this shell",
		   *shell && wait_calls(&created, 1, STEP_SECONDS) && created.code == NO_ERROR &&
		       created.flags == (WSMAN_FLAG_CALLBACK_END_OF_OPERATION |
					 WSMAN_FLAG_CALLBACK_SHELL_SUPPORTS_DISCONNECT) &&
		       created.shell == *shell,
		   &created);
	if (ok) {
		API(WSManReceiveShellOutput)(*shell, NULL, 0, NULL, &on_pool, &pool->op);
		ok = holds(session, "the shell's Receive brings RUNSPACEPOOL_STATE Opened",
			   pool->op && wait_for(pool, &pool->opened, STEP_SECONDS), &pool->c);
	}
	free(uri), free(pv_name), free(pv);
	return ok;
}

/* The command of calls c into *command, created; whether it was.
 * *command is to be closed either way. */
static int run_command(int session, WSMAN_SHELL_HANDLE shell, const struct calls *c,
		       WSMAN_COMMAND_HANDLE *command)
{
	struct completion started = COMPLETION_INIT;
	WSMAN_SHELL_ASYNC on_started = {&started, on_complete};
	WSMAN_CHAR *line = u16(" ");
	WSMAN_COMMAND_ARG_SET args = {.argsCount = 1, .args = (PCWSTR *)&c->argument};
	int ok;

	API(WSManRunShellCommandEx)
	(shell, 0, c->command_id, line, &args, NULL, &on_started, command);
	ok = holds(session, "Command completes without error, END_OF_OPERATION",
		   *command && wait_calls(&started, 1, STEP_SECONDS) && started.code == NO_ERROR &&
		       started.flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION,
		   &started);
	free(line);
	return ok;
}

/* What a session made, to be closed whether or not all went well. */
struct handles {
	WSMAN_SESSION_HANDLE session;
	WSMAN_SHELL_HANDLE shell;
	WSMAN_COMMAND_HANDLE command;
};

/* A session's start as PowerShell's: the session, the shell with its
 * pool opened, the command, and the command's Receive under way, whose
 * completions go to output; whether all went well. */
static int start_receive(int session, WSMAN_API_HANDLE api, const struct target *target,
			 const struct calls *c, struct receive_log *pool,
			 struct receive_log *output, struct handles *h)
{
	WSMAN_SHELL_ASYNC on_output = {output, on_receive};

	h->session = open_session(api, target);
	if (!holds(session, "CreateSession", h->session != NULL, NULL) ||
	    !open_pool(session, h->session, c, pool, &h->shell) ||
	    !run_command(session, h->shell, c, &h->command))
		return 0;
	API(WSManReceiveShellOutput)(h->shell, h->command, 0, NULL, &on_output, &output->op);
	return holds(session, "the command's Receive is under way", output->op != NULL, NULL);
}

/* Waits for the nth completion of closed, a close's: END_OF_OPERATION,
 * and without error when must_succeed (the service is there). */
static void closed_well(int session, const char *what, struct completion *closed, int n,
			int must_succeed)
{
	holds(session, what,
	      wait_calls(closed, n, STEP_SECONDS) &&
		  closed->flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION &&
		  (!must_succeed || closed->code == NO_ERROR),
	      closed);
}

/* PowerShell's closing of a session: the command's Receive and the
 * command, the shell's Receive and the shell, the session. */
static void close_all(int session, const struct handles *h, struct receive_log *pool,
		      struct receive_log *output, int must_succeed)
{
	struct completion closed = COMPLETION_INIT;
	WSMAN_SHELL_ASYNC on_closed = {&closed, on_complete};
	int calls = 0;

	if (h->command) {
		close_receive(output);
		API(WSManCloseCommand)(h->command, 0, &on_closed);
		closed_well(session, "CloseCommand completes, END_OF_OPERATION", &closed, ++calls,
			    must_succeed);
	}
	if (h->shell) {
		close_receive(pool);
		API(WSManCloseShell)(h->shell, 0, &on_closed);
		closed_well(session, "CloseShell completes, END_OF_OPERATION", &closed, ++calls,
			    must_succeed);
	}
	if (h->session)
		holds(session, "CloseSession", API(WSManCloseSession)(h->session, 0) == NO_ERROR,
		      NULL);
}

/* One whole session of calls c; whether every check held. */
static int cycle(int session, WSMAN_API_HANDLE api, const struct target *target,
		 const struct calls *c, struct receive_log *pool, struct receive_log *output)
{
	struct handles h = {0};
	int before = failed;

	if (start_receive(session, api, target, c, pool, output, &h)) {
		holds(session, "the command's Receive ends within its bound",
		      wait_for(output, &output->ends, STEP_SECONDS), &output->c);
		pthread_mutex_lock(&output->c.lock);
		holds(session,
		      "the command's Receive: each piece with flags 0, then one END_OF_OPERATION "
		      "alone, without error, with CommandState Done",
		      output->flagged_pieces == 0 && output->ends == 1 &&
			  output->end_flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION &&
			  output->end_code == NO_ERROR && output->end_done,
		      &output->c);
		holds(session, "the output holds the script's result", output->output_seen, NULL);
		pthread_mutex_unlock(&output->c.lock);
	}
	close_all(session, &h, pool, output, 1);
	pthread_mutex_lock(&pool->c.lock);
	holds(session, "the shell's Receive: each piece with flags 0, no end while it was open",
	      pool->flagged_pieces == 0 && pool->ends == 0, &pool->c);
	pthread_mutex_unlock(&pool->c.lock);
	drop_bytes(pool);
	drop_bytes(output);
	return failed == before;
}

/* The host goes away while the command's Receive waits: the Receive
 * fails, in its one last completion, and the rest closes regardless. */
static void host_goes_away(WSMAN_API_HANDLE api, const struct target *target, const struct calls *c,
			   int seconds, struct receive_log *pool, struct receive_log *output)
{
	struct handles h = {0};
	char line[16];

	if (start_receive(1, api, target, c, pool, output, &h)) {
		printf("receiving\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			printf("# stdin closed before the service was gone\n");
		holds(1, "the pending Receive ends once the host is gone",
		      wait_for(output, &output->ends, seconds), &output->c);
		pthread_mutex_lock(&output->c.lock);
		holds(1, "...in one END_OF_OPERATION, with an error",
		      output->ends == 1 &&
			  output->end_flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION &&
			  output->end_code != NO_ERROR,
		      &output->c);
		printf("# the Receive's error: %#x %s\n", output->end_code, output->c.detail);
		pthread_mutex_unlock(&output->c.lock);
	}
	close_all(1, &h, pool, output, 0);
}

static WSMAN_CHAR *creation_xml(const char *base64)
{
	size_t n = strlen(CREATION_XML_OPEN) + strlen(base64) + sizeof("</creationXml>");
	char *xml = malloc(n);
	WSMAN_CHAR *w;

	if (!xml)
		return NULL;
	snprintf(xml, n, CREATION_XML_OPEN "%s</creationXml>", base64);
	w = u16(xml);
	free(xml);
	return w;
}

/* The lines of the file at path; their number, 0 when it cannot be read. */
static int read_calls(const char *path, struct calls **out)
{
	FILE *f = fopen(path, "r");
	char sid[64], cid[64], *create = NULL, *arg = NULL;
	struct calls *all = NULL;
	int n = 0;

	while (f && fscanf(f, "%63s %ms %63s %ms", sid, &create, cid, &arg) == 4) {
		struct calls *more = realloc(all, (n + 1) * sizeof(*all));
		if (!more)
			break;
		all = more;
		all[n++] = (struct calls){u16(sid), u16(cid), creation_xml(create), u16(arg)};
		free(create), free(arg);
		create = arg = NULL;
	}
	free(create), free(arg);
	if (f)
		fclose(f);
	*out = all;
	return n;
}

int main(int argc, char **argv)
{
	const char *password = getenv("PSRPCLIENT_PASSWORD");
	struct target target = {.password = password};
	WSMAN_API_HANDLE api = NULL;
	struct receive_log *logs;
	struct calls *calls = NULL;
	int host_test, n, whole = 0;
	/* Over the sessions that left the threads as they found them: how
	 * many, in how many of them the heap grew, and by how much. */
	size_t heap = 0, growth = 0;
	int threads = 0, measured = 0, grew = 0;

	host_test = argc == 8 && strcmp(argv[1], "host-goes-away") == 0;
	if (!password || !(host_test || (argc == 7 && strcmp(argv[1], "cycles") == 0))) {
		fprintf(stderr,
			"usage: PSRPCLIENT_PASSWORD=... %s cycles LIBRARY URL USER CALLS EXPECTED\n"
			"       PSRPCLIENT_PASSWORD=... %s host-goes-away LIBRARY URL USER CALLS "
			"SECONDS OPERATION_TIMEOUT_MS\n",
			argv[0], argv[0]);
		return 2;
	}
	target.url = argv[3], target.user = argv[4];
	if (host_test)
		target.operation_timeout_ms = (DWORD)strtoul(argv[7], NULL, 10);
	lib = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		printf("not ok - dlopen %s: %s\n", argv[2], dlerror());
		return 1;
	}
	n = read_calls(argv[5], &calls);
	/* Two logs a session, kept to the end: a completion may still be on
	 * its way out of a worker when its operation is closed. */
	logs = calloc(2 * (size_t)(n ? n : 1), sizeof(*logs));
	CHECK("the calls file names at least one session", n > 0 && logs);
	CHECK("WSManInitialize",
	      API(WSManInitialize)(WSMAN_FLAG_REQUESTED_API_VERSION_1_1, &api) == NO_ERROR);
	for (int i = 0; i < 2 * n; i++)
		init_log(&logs[i], i % 2 ? (host_test ? NULL : argv[6]) : NULL);
	if (host_test && n > 0)
		host_goes_away(api, &target, &calls[0], atoi(argv[6]), &logs[0], &logs[1]);
	for (int i = 0; !host_test && i < n; i++) {
		size_t heap_now;
		int threads_now;

		whole += cycle(i + 1, api, &target, &calls[i], &logs[2 * i], &logs[2 * i + 1]);
		heap_now = settled_heap();
		threads_now = threads_alive();
		if (i > 0 && threads_now == threads) {
			measured++;
			if (heap_now > heap)
				growth += heap_now - heap, grew++;
		}
		printf("# session %d: heap in use %zu bytes, %d threads\n", i + 1, heap_now,
		       threads_now);
		heap = heap_now, threads = threads_now;
	}
	if (!host_test && n > 1) {
		printf("# of %d sessions that left the threads as they were, the heap grew "
		       "after %d, by %zu bytes in all\n",
		       measured, grew, growth);
		CHECK("the worker threads do not multiply from session to session",
		      measured >= (n - 1) / 2);
		CHECK("the heap does not grow from session to session", grew <= measured / 4);
		CHECK("the heap grows by no more than the threads' own state",
		      growth <= THREAD_STATE_BYTES * (size_t)threads);
	}
	if (!host_test)
		CHECK("every session went through whole", whole == n);
	CHECK("WSManDeinitialize", API(WSManDeinitialize)(api, 0) == NO_ERROR);
	/* The workers end right after their last completion returns; a
	 * shell's Receive after the shell's Delete is answered. */
	sleep(1);
	for (int i = 0; i < 2 * n; i++) {
		pthread_mutex_lock(&logs[i].c.lock);
		if (logs[i].after_end)
			printf("not ok - session %d: a completion after END_OF_OPERATION\n",
			       i / 2 + 1);
		failed += logs[i].after_end > 0;
		pthread_mutex_unlock(&logs[i].c.lock);
		free(logs[i].bytes);
	}
	for (int i = 0; i < n; i++)
		free(calls[i].shell_id), free(calls[i].command_id), free(calls[i].creation_xml),
		    free(calls[i].argument);
	free(calls);
	free(logs);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
