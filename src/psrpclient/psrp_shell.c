/* psrp_shell: WSMan's shell, command and operation calls. Each call
 * writes its handle before it returns, as PowerShell checks right after
 * the call, and leaves the request to a worker thread: the libwinrm calls
 * under it block (a Receive is a long poll), and PowerShell calls back
 * into the API from inside every completion. A worker takes an idle
 * connection of the session, or opens one, and gives it back when done
 * (psrp_session.c).
 *
 * Workers are kept and reused, since most of PowerShell's calls come one
 * after another: a call made from inside an operation's last completion
 * (Command done: Receive; Receive done: close the command) is run next by
 * that completion's own worker, which is free once it returns; any other
 * goes to a worker waiting idle, or to a new one. A new thread costs a
 * clone, a wait to be scheduled and .NET's set-up of a thread that calls
 * into it, each time; a command on an open session is six operations
 * (Invoke-Command runs two pipelines: Command, Receive, CloseCommand
 * each). The close of a finished command asks the service nothing and
 * completes during the call: its Receive sent the terminate Signal ahead
 * when Done came (terminate_soon). */
#include "psrpclient/psrp_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

/* The PowerShell namespace of creationXml (MS-PSRP 3.1.5.3.1). */
#define NS_POWERSHELL "http://schemas.microsoft.com/powershell"
#define STATE_DONE "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"
#define MAX_ERRBUF 1200
/* How often a Receive of a disconnected shell looks whether it is back. */
#define DISCONNECTED_POLL_MS 100
/* Windows' client sends Connect with the protocol version of Create;
 * PowerShell's WSManConnectShellEx passes no options, so this is it. */
#define CONNECT_PROTOCOL_VERSION "2.3"
/* How long a worker waits idle for another call before it ends. */
#define WORKER_IDLE_SECONDS 30

enum job_kind {
	JOB_CREATE_SHELL,
	JOB_RUN_COMMAND,
	JOB_SEND,
	JOB_RECEIVE,
	JOB_SIGNAL,
	JOB_CLOSE_COMMAND,
	JOB_CLOSE_SHELL,
	JOB_DISCONNECT,
	JOB_RECONNECT, /* the shell, or its command */
	JOB_CONNECT,   /* the shell (text: its connectXml's base64), or its command */
	JOB_REFUSE,    /* report refuse_code and refuse_message, nothing else */
};

/* One call's request, owned by its worker. The references it holds on
 * session, shell, command and operation are released with it. */
struct job {
	enum job_kind kind;
	WSMAN_SHELL_ASYNC async;
	struct psrp_session *session;
	struct psrp_shell *shell;
	struct psrp_command *command;
	struct psrp_operation *operation;
	/* JOB_CREATE_SHELL: the spec's strings (text the creationXml, argument
	 * the session's name); JOB_RUN_COMMAND: text is the command line and
	 * argument its one argument; JOB_CONNECT: text the connectXml */
	struct winrm_shell_spec spec;
	char *text, *argument, *protocol_version;
	/* JOB_SEND */
	uint8_t *data;
	size_t len;
	int end;
	enum winrm_input input;
	/* JOB_SIGNAL */
	enum winrm_signal signal;
	/* JOB_DISCONNECT */
	uint64_t idle_timeout_ms;
	int drop_output;
	/* JOB_RECEIVE of Invoke-Command -InDisconnectedSession: nothing is
	 * received until the shell has been disconnected and taken back */
	int delay_output;
	/* JOB_REFUSE */
	DWORD refuse_code;
	const char *refuse_message;
	/* The pooled connection the job runs on, until its last completion
	 * (or after it, when it still has the terminate Signal to send), and
	 * how its request ended (whether it may be reused). */
	struct winrm_session *conn;
	enum winrm_result conn_result;
	int conn_kept;
	/* Where a call made from inside the job's last completion is put for
	 * its worker to run next (NULL: nowhere), and the idle queue's link. */
	struct job **then;
	struct job *next;
};

/* The worker running a last completion: where job_start puts a call made
 * from inside it. */
static __thread struct job **continuation;

/* ---- references ---- */

static void shell_release(struct psrp_shell *sh)
{
	if (!psrp_unref(&sh->refs))
		return;
	psrp_session_release(sh->session);
	psrp_xpress_end(sh);
	pthread_mutex_destroy(&sh->codec_lock);
	free(sh->resource_uri);
	free(sh);
}

static void command_release(struct psrp_command *c)
{
	if (!psrp_unref(&c->refs))
		return;
	shell_release(c->shell);
	free(c);
}

static void operation_release(struct psrp_operation *op)
{
	if (psrp_unref(&op->refs))
		free(op);
}

static void job_free(struct job *j)
{
	if (j->operation)
		operation_release(j->operation);
	if (j->command)
		command_release(j->command);
	if (j->shell)
		shell_release(j->shell);
	if (j->session)
		psrp_session_release(j->session);
	free(j->text);
	free(j->argument);
	free(j->protocol_version);
	free(j->data);
	free(j);
}

/* A job about shell (and command; either may be NULL), holding a
 * reference on each, and on the session. */
static struct job *job_new(enum job_kind kind, const WSMAN_SHELL_ASYNC *async,
			   struct psrp_session *s, struct psrp_shell *sh, struct psrp_command *c)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->kind = kind;
	j->async = *async;
	psrp_lock();
	if ((j->session = s ? s : sh ? sh->session : NULL))
		j->session->refs++;
	if ((j->shell = sh))
		sh->refs++;
	if ((j->command = c))
		c->refs++;
	psrp_unlock();
	return j;
}

/* The operation handle of a job, given to PowerShell: one reference
 * for it, one for the job. */
static int job_operation(struct job *j, WSMAN_OPERATION_HANDLE *out)
{
	if (!out || !(j->operation = calloc(1, sizeof(*j->operation))))
		return 0;
	j->operation->refs = 2;
	*out = j->operation;
	return 1;
}

/* ---- reporting ---- */

/* Gives the job's connection back: to the session's pool unless its
 * request failed below WS-Management. */
static void connection_give_back(struct job *j)
{
	enum winrm_result r = j->conn_result;

	if (!j->conn)
		return;
	if (r == WINRM_OK || r == WINRM_E_FAULT || r == WINRM_E_TIMEOUT)
		psrp_connection_put(j->session, j->conn);
	else
		winrm_session_free(j->conn);
	j->conn = NULL;
}

/* Whether the job may still report: not once PowerShell closed its
 * operation. */
static int job_live(const struct job *j)
{
	int live;

	psrp_lock();
	live = !j->operation || !j->operation->closed;
	psrp_unlock();
	return live;
}

/* The completion call: code and message as the WSMAN_ERROR (none for
 * NO_ERROR), data as the response. */
static void report(struct job *j, DWORD flags, DWORD code, const char *message,
		   WSMAN_RESPONSE_DATA *data)
{
	WSMAN_ERROR error = {.code = code};
	WSMAN_CHAR *detail = NULL;
	char *words = NULL;
	struct job **outer = continuation;

	/* Before the last completion: PowerShell makes its next call from
	 * inside it, which then finds the connection in the pool instead of
	 * opening and authenticating another. */
	if ((flags & WSMAN_FLAG_CALLBACK_END_OF_OPERATION) && !j->conn_kept)
		connection_give_back(j);
	if (!j->async.completionFunction || !job_live(j))
		return;
	if (code) {
		if ((words = psrp_powershell_words(message)))
			message = words;
		psrp_error_remember(code, message);
		error.errorDetail = detail = psrp_to_utf16(message, NULL);
	}
	/* Saved and restored: a refusal is reported from inside the call. */
	continuation = flags & WSMAN_FLAG_CALLBACK_END_OF_OPERATION ? j->then : NULL;
	j->async.completionFunction(j->async.operationContext, flags, code ? &error : NULL,
				    j->shell, j->command, j->operation, data);
	continuation = outer;
	free(detail);
	free(words);
}

static void report_done(struct job *j)
{
	report(j, WSMAN_FLAG_CALLBACK_END_OF_OPERATION, NO_ERROR, NULL, NULL);
}

/* The failure of a libwinrm call on w, in its own words. A service's
 * AccessDenied fault comes after it accepted the credentials (a refused
 * logon is WINRM_E_AUTH), so it is about this user and this endpoint;
 * Windows' words for it, "Access is denied.", do not say that. */
static void report_failure(struct job *j, enum winrm_result r, struct winrm_session *w)
{
	char message[MAX_ERRBUF];

	snprintf(message, sizeof(message), "%s%s", winrm_error(w),
		 r == WINRM_E_FAULT && winrm_fault_code(w) == ERROR_ACCESS_DENIED
		     ? " The service accepted the credentials but does not let this user use "
		       "this endpoint (-ConfigurationName): its administrator allows users per "
		       "endpoint (winrmd: Service/RemoteUsersGroup, or the session "
		       "configuration's permissions)."
		     : "");
	j->conn_result = r;
	report(j, WSMAN_FLAG_CALLBACK_END_OF_OPERATION, psrp_error_code(r, w), message, NULL);
}

/* ---- the workers ---- */

static const char *command_id(const struct job *j)
{
	return j->command ? j->command->id : NULL;
}

/* A Receive's output, gathered so the last piece can be told apart. */
struct received {
	struct {
		uint8_t *data;
		size_t len;
	} * pieces;
	size_t n, cap;
	int failed;
};

static void gather(void *arg, enum winrm_stream stream, const void *data, size_t len)
{
	struct received *got = arg;

	(void)stream;
	if (got->failed)
		return;
	if (got->n == got->cap) {
		size_t cap = got->cap ? 2 * got->cap : 16;
		void *p = realloc(got->pieces, cap * sizeof(*got->pieces));
		if (!p) {
			got->failed = 1;
			return;
		}
		got->pieces = p;
		got->cap = cap;
	}
	if (!(got->pieces[got->n].data = malloc(len))) {
		got->failed = 1;
		return;
	}
	memcpy(got->pieces[got->n].data, data, len);
	got->pieces[got->n++].len = len;
}

/* Each piece (one rsp:Stream) of a compressed shell's output as the
 * bytes its xpress blocks hold. */
static int decompress_pieces(struct psrp_shell *sh, struct received *got)
{
	for (size_t i = 0; i < got->n; i++) {
		uint8_t *plain;
		size_t len;
		if (!psrp_xpress_decode(sh, got->pieces[i].data, got->pieces[i].len, &plain, &len))
			return 0;
		free(got->pieces[i].data);
		got->pieces[i].data = plain;
		got->pieces[i].len = len;
	}
	return 1;
}

static void received_clear(struct received *got)
{
	for (size_t i = 0; i < got->n; i++)
		free(got->pieces[i].data);
	free(got->pieces);
	memset(got, 0, sizeof(*got));
}

static const WSMAN_CHAR stdout_id[] = {'s', 't', 'd', 'o', 'u', 't', 0};

/* One piece of output per completion (flags 0), as WSMan reports each
 * stream element; then, for a command that is done, a last completion
 * without data whose flags are END_OF_OPERATION alone, which is what
 * PowerShell compares with to close the Receive. */
static void deliver(struct job *j, struct received *got, int done, uint32_t exit_code)
{
	WSMAN_RESPONSE_DATA data = {0};
	WSMAN_CHAR *state = NULL;

	data.receiveData.streamId = stdout_id;
	data.receiveData.streamData.type = WSMAN_DATA_TYPE_BINARY;
	for (size_t i = 0; i < got->n; i++) {
		data.receiveData.streamData.binaryData.dataLength = (DWORD)got->pieces[i].len;
		data.receiveData.streamData.binaryData.data = got->pieces[i].data;
		report(j, 0, NO_ERROR, NULL, &data);
	}
	if (!done)
		return;
	data.receiveData.streamData.binaryData.dataLength = 0;
	data.receiveData.streamData.binaryData.data = NULL;
	data.receiveData.commandState = state = psrp_to_utf16(STATE_DONE, NULL);
	data.receiveData.exitCode = exit_code;
	report(j, WSMAN_FLAG_CALLBACK_END_OF_OPERATION, NO_ERROR, NULL, &data);
	free(state);
}

/* Whether the job's Receive should stop: its shell or command closed,
 * or its operation. */
static int receive_stopped(const struct job *j)
{
	int stop;

	psrp_lock();
	stop = j->shell->closed || (j->command && j->command->closed);
	psrp_unlock();
	return stop || !job_live(j);
}

static int shell_disconnected(const struct psrp_shell *sh)
{
	int disconnected;

	psrp_lock();
	disconnected = sh->disconnected;
	psrp_unlock();
	return disconnected;
}

/* Waits while the shell is disconnected; 0 when the Receive should stop
 * instead. */
static int wait_connected(const struct job *j)
{
	const struct timespec pause = {0, DISCONNECTED_POLL_MS * 1000000L};

	while (shell_disconnected(j->shell)) {
		if (receive_stopped(j))
			return 0;
		nanosleep(&pause, NULL);
	}
	return !receive_stopped(j);
}

/* A finished command is ended by its Receive's worker with the Signal
 * PowerShell's WSManCloseCommand would send (PowerShell closes every
 * command after Done): marked before Done is reported, so that the close
 * completes during the call instead of waiting a round trip, and sent
 * after the last completion, on the Receive's connection kept for it,
 * while PowerShell goes on. */
static void terminate_soon(struct job *j)
{
	psrp_set(&j->command->terminated);
	j->conn_kept = 1;
}

/* Sent ahead: its reply is read before the connection's next request,
 * so nobody waits for it here either. Its failure is nobody's to hear:
 * the command is done, and a shell deleted meanwhile ended it. */
static void terminate_now(struct job *j, struct winrm_session *w)
{
	j->conn_kept = 0;
	if (!winrm_shell_signal_ahead_ex(w, j->shell->resource_uri, j->shell->id, j->command->id,
					 WINRM_SIGNAL_TERMINATE))
		j->conn_result = winrm_shell_signal_ex(w, j->shell->resource_uri, j->shell->id,
						       j->command->id, WINRM_SIGNAL_TERMINATE);
	connection_give_back(j);
}

/* Receive is called once and polls until the command is done, or, for
 * the shell itself, until PowerShell closes it or the shell. A poll that
 * timed out is simply the next one; one that failed because the shell was
 * disconnected meanwhile waits for its Reconnect. */
static void receive_until_done(struct job *j, struct winrm_session *w)
{
	const struct timespec pause = {0, DISCONNECTED_POLL_MS * 1000000L};

	/* -InDisconnectedSession: PowerShell disconnects once told (with this
	 * flag alone, which it compares with ==) that the delayed Receive is
	 * in place; it is served after the shell is taken back. */
	if (j->delay_output) {
		report(j, WSMAN_FLAG_CALLBACK_RECEIVE_DELAY_STREAM_REQUEST_PROCESSED, NO_ERROR,
		       NULL, NULL);
		while (!shell_disconnected(j->shell)) {
			if (receive_stopped(j))
				return;
			nanosleep(&pause, NULL);
		}
	}
	for (;;) {
		struct received got = {0};
		uint32_t exit_code = 0;
		int done = 0, failed;
		enum winrm_result r;

		if (!wait_connected(j))
			return;
		r = winrm_shell_receive_ex(w, j->shell->resource_uri, j->shell->id, command_id(j),
					   gather, &got, &done, &exit_code);
		j->conn_result = r;
		if (receive_stopped(j)) {
			received_clear(&got);
			return;
		}
		if (r == WINRM_E_FAULT && shell_disconnected(j->shell)) {
			received_clear(&got);
			continue;
		}
		if (r == WINRM_OK && done && j->command)
			terminate_soon(j);
		if (r == WINRM_OK && got.failed)
			report(j, WSMAN_FLAG_CALLBACK_END_OF_OPERATION, ERROR_OUTOFMEMORY,
			       "out of memory while receiving", NULL);
		else if (r == WINRM_OK && j->shell->xpress && !decompress_pieces(j->shell, &got)) {
			report(j, WSMAN_FLAG_CALLBACK_END_OF_OPERATION, ERROR_INVALID_DATA,
			       "the service's compressed output is not valid xpress data "
			       "(or too large): reconnect with the session option NoCompression "
			       "($o = New-PSSessionOption; $o.NoCompression = $true)",
			       NULL);
			got.failed = 1;
		} else if (r == WINRM_OK)
			deliver(j, &got, done, exit_code);
		else if (r != WINRM_E_TIMEOUT)
			report_failure(j, r, w);
		failed = got.failed;
		received_clear(&got);
		if (j->conn_kept)
			terminate_now(j, w);
		if ((r != WINRM_OK && r != WINRM_E_TIMEOUT) || failed || done)
			return;
	}
}

/* Sets or clears the shell's disconnected mark. */
static void shell_mark(struct psrp_shell *sh, int disconnected)
{
	psrp_lock();
	sh->disconnected = disconnected;
	psrp_unlock();
}

/* Connect of a shell (reporting its connectResponseXml, which PowerShell
 * reads its pool from) or of one of its commands; what connected is then
 * the service's, so closing it deletes or terminates it. */
static void run_connect(struct job *j, struct winrm_session *w)
{
	struct psrp_shell *sh = j->shell;
	WSMAN_RESPONSE_DATA data = {0};
	char *response = NULL;
	size_t units = 0;
	enum winrm_result r;

	r = winrm_shell_connect_ex(w, sh->resource_uri, sh->id, command_id(j),
				   j->protocol_version ? j->protocol_version
						       : CONNECT_PROTOCOL_VERSION,
				   j->text, j->command ? NULL : &response);
	if (r != WINRM_OK) {
		report_failure(j, r, w);
		return;
	}
	psrp_set(j->command ? &j->command->created : &sh->created);
	data.connectData.data.type = WSMAN_DATA_TYPE_TEXT;
	data.connectData.data.text.buffer = response ? psrp_to_utf16(response, &units) : NULL;
	data.connectData.data.text.bufferLength = (DWORD)units;
	report(j, WSMAN_FLAG_CALLBACK_END_OF_OPERATION, NO_ERROR, NULL, response ? &data : NULL);
	free((void *)data.connectData.data.text.buffer);
	free(response);
}

/* A Send's data as xpress blocks, in place. */
static int compress_job_data(struct job *j)
{
	uint8_t *blocks;
	size_t len;

	if (!psrp_xpress_encode(j->shell, j->data, j->len, &blocks, &len))
		return 0;
	free(j->data);
	j->data = blocks;
	j->len = len;
	return 1;
}

/* The request of j on w; reports its completion. */
static void run_on(struct job *j, struct winrm_session *w)
{
	struct psrp_shell *sh = j->shell;
	WSMAN_RESPONSE_DATA data = {0};
	char *shell_xml = NULL;
	size_t units = 0;
	enum winrm_result r = WINRM_OK;

	switch (j->kind) {
	case JOB_CREATE_SHELL:
		if ((r = winrm_shell_create_ex(w, &j->spec, sh->id, &shell_xml)) != WINRM_OK)
			break;
		psrp_set(&sh->created);
		if (j->spec.xpress && psrp_xpress_negotiated(shell_xml)) {
			if (!psrp_xpress_start(sh)) {
				free(shell_xml);
				report(j, WSMAN_FLAG_CALLBACK_END_OF_OPERATION, ERROR_OUTOFMEMORY,
				       "out of memory for the compression the service agreed to",
				       NULL);
				return;
			}
			psrp_set(&sh->xpress);
		}
		/* PowerShell reads IdleTimeOut and BufferMode from it, and allows
		 * Disconnect-PSSession only with SUPPORTS_DISCONNECT. */
		data.createData.data.type = WSMAN_DATA_TYPE_TEXT;
		data.createData.data.text.buffer =
		    shell_xml ? psrp_to_utf16(shell_xml, &units) : NULL;
		data.createData.data.text.bufferLength = (DWORD)units;
		report(j,
		       WSMAN_FLAG_CALLBACK_END_OF_OPERATION |
			   WSMAN_FLAG_CALLBACK_SHELL_SUPPORTS_DISCONNECT,
		       NO_ERROR, NULL, shell_xml ? &data : NULL);
		free((void *)data.createData.data.text.buffer);
		free(shell_xml);
		return;
	case JOB_RUN_COMMAND:
		r = winrm_shell_command_ex(w, sh->resource_uri, sh->id, j->command->id, j->text,
					   (const char *const *)&j->argument, j->argument ? 1 : 0);
		if (r == WINRM_OK)
			psrp_set(&j->command->created);
		break;
	case JOB_SEND:
		if (sh->xpress && j->len && !compress_job_data(j)) {
			report(j, WSMAN_FLAG_CALLBACK_END_OF_OPERATION, ERROR_OUTOFMEMORY,
			       "out of memory while compressing the data to send", NULL);
			return;
		}
		r = winrm_shell_send_ex(w, sh->resource_uri, sh->id, command_id(j), j->input,
					j->data, j->len, j->end);
		break;
	case JOB_RECEIVE:
		receive_until_done(j, w);
		return;
	case JOB_SIGNAL:
		r = winrm_shell_signal_ex(w, sh->resource_uri, sh->id, command_id(j), j->signal);
		break;
	/* WSManCloseCommand ends the command as Windows' client does, with
	 * Signal terminate, which PowerShell's endpoints take as close. */
	case JOB_CLOSE_COMMAND:
		r = winrm_shell_signal_ex(w, sh->resource_uri, sh->id, j->command->id,
					  WINRM_SIGNAL_TERMINATE);
		break;
	case JOB_CLOSE_SHELL:
		r = winrm_shell_delete_ex(w, sh->resource_uri, sh->id);
		break;
	case JOB_DISCONNECT:
		/* Marked first: the Receives the service fails from now on wait. */
		psrp_set(&sh->disconnected);
		r = winrm_shell_disconnect_ex(w, sh->resource_uri, sh->id, j->idle_timeout_ms,
					      j->drop_output);
		if (r != WINRM_OK)
			shell_mark(sh, 0);
		break;
	case JOB_RECONNECT:
		r = winrm_shell_reconnect_ex(w, sh->resource_uri, sh->id, command_id(j));
		if (r == WINRM_OK && !j->command)
			shell_mark(sh, 0);
		break;
	case JOB_CONNECT:
		run_connect(j, w);
		return;
	case JOB_REFUSE:
		break;
	}
	if (r == WINRM_OK)
		report_done(j);
	else
		report_failure(j, r, w);
}

/* Closing what the service never had (its Create, Command or Connect
 * failed) asks the service nothing; nor does closing a disconnected shell
 * or its command, which go on there for another client to connect to, as
 * closing WSMan's handle of a disconnected shell leaves it (PowerShell
 * closes every session when its process ends), nor closing a command its
 * Receive already ended. */
static int nothing_to_close(const struct job *j)
{
	int none;

	psrp_lock();
	none = (j->kind == JOB_CLOSE_SHELL && (!j->shell->created || j->shell->disconnected)) ||
	       (j->kind == JOB_CLOSE_COMMAND &&
		(!j->command->created || j->shell->disconnected || j->command->terminated));
	psrp_unlock();
	return none;
}

static void job_run(struct job *j)
{
	struct winrm_session *w;
	char errbuf[MAX_ERRBUF] = "";
	DWORD code = 0;

	if (j->kind == JOB_REFUSE) {
		report(j, WSMAN_FLAG_CALLBACK_END_OF_OPERATION, j->refuse_code, j->refuse_message,
		       NULL);
	} else if (nothing_to_close(j)) {
		report_done(j);
	} else if (!(w = psrp_connection_get(j->session, &code, errbuf, sizeof(errbuf)))) {
		report(j, WSMAN_FLAG_CALLBACK_END_OF_OPERATION, code, errbuf, NULL);
	} else {
		j->conn = w;
		run_on(j, w);
		connection_give_back(j);
	}
	job_free(j);
}

/* The idle workers and the jobs handed to them, under pool_lock. Each
 * queued job has a waiting worker of its own: job_start queues only while
 * more workers wait than jobs are queued, so no job waits behind another
 * (a Receive may run for a minute). */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static struct job *queue_head, *queue_tail;
static unsigned queued, waiting;

/* The next queued job, waiting for one up to WORKER_IDLE_SECONDS; NULL
 * when none came, and the worker ends. */
static struct job *pool_take(void)
{
	struct timespec until;
	struct job *j;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WORKER_IDLE_SECONDS;
	pthread_mutex_lock(&pool_lock);
	while (!queue_head) {
		int r;
		waiting++;
		r = pthread_cond_timedwait(&pool_wake, &pool_lock, &until);
		waiting--;
		if (r != 0 && !queue_head)
			break;
	}
	if ((j = queue_head)) {
		if (!(queue_head = j->next))
			queue_tail = NULL;
		queued--;
	}
	pthread_mutex_unlock(&pool_lock);
	return j;
}

static void *worker(void *arg)
{
	struct job *j = arg;

	while (j) {
		struct job *then = NULL;
		j->then = &then;
		job_run(j);
		j = then ? then : pool_take();
	}
	return NULL;
}

/* Gives j to a waiting worker, when one is free for it. */
static int pool_give(struct job *j)
{
	int given;

	pthread_mutex_lock(&pool_lock);
	if ((given = waiting > queued)) {
		j->next = NULL;
		if (queue_tail)
			queue_tail->next = j;
		else
			queue_head = j;
		queue_tail = j;
		queued++;
		pthread_cond_signal(&pool_wake);
	}
	pthread_mutex_unlock(&pool_lock);
	return given;
}

/* Hands j to a worker: the one whose last completion is calling, an idle
 * one, or a new one. A close that asks the service nothing completes in
 * this thread, during the call, as PowerShell's own CloseAsync completes
 * when it has nothing to close: no worker to wake, nothing to wait for.
 * When no thread can be made, j becomes a refusal, reported from this one
 * too (PowerShell takes a completion during the call as WSMan's own may
 * come). */
static void job_start(struct job *j)
{
	pthread_t t;
	pthread_attr_t attr;
	int started = 0;

	if (nothing_to_close(j)) {
		job_run(j);
		return;
	}
	if (continuation && !*continuation) {
		*continuation = j;
		return;
	}
	if (pool_give(j))
		return;
	if (pthread_attr_init(&attr) == 0) {
		started = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
			  pthread_create(&t, &attr, worker, j) == 0;
		pthread_attr_destroy(&attr);
	}
	if (started)
		return;
	j->kind = JOB_REFUSE;
	j->refuse_code = ERROR_OUTOFMEMORY;
	j->refuse_message = "no thread could be started for the operation";
	job_run(j);
}

/* ---- shells ---- */

/* PowerShell's openContent, <creationXml xmlns="...powershell">base64
 * </creationXml> (WSManClientSessionTransportManager.CreateAsync; Connect's
 * is connectXml): its base64 text, which libwinrm puts in an element of
 * its own. */
static char *open_content_text(const WSMAN_DATA *content, const char *element)
{
	char *xml, *text = NULL;
	xmlDoc *doc;
	xmlNode *root;

	if (!content || content->type != WSMAN_DATA_TYPE_TEXT ||
	    !(xml = psrp_to_utf8_n(content->text.buffer, content->text.bufferLength)))
		return NULL;
	/* PowerShell's own text, parsed quietly and without the network. */
	doc = xmlReadMemory(xml, (int)strlen(xml), NULL, "UTF-8",
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (root && root->ns && xmlStrcmp(root->name, (const xmlChar *)element) == 0 &&
	    xmlStrcmp(root->ns->href, (const xmlChar *)NS_POWERSHELL) == 0) {
		xmlChar *c = xmlNodeGetContent(root);
		text = c ? strdup((const char *)c) : NULL;
		xmlFree(c);
	}
	xmlFreeDoc(doc);
	free(xml);
	return text;
}

/* The options PowerShell passes to Create: protocolversion and
 * WINRS_NOPROFILE (MustComply both). Others are not sent. */
static void read_create_options(const WSMAN_OPTION_SET *options, struct job *j)
{
	for (DWORD i = 0; options && i < options->optionsCount; i++) {
		char *name = psrp_to_utf8(options->options[i].name);
		char *value = psrp_to_utf8(options->options[i].value);
		if (name && value && strcasecmp(name, "protocolversion") == 0) {
			free(j->protocol_version);
			j->protocol_version = value;
			value = NULL;
		} else if (name && value && strcasecmp(name, "WINRS_NOPROFILE") == 0) {
			j->spec.noprofile = strcmp(value, "0") != 0 && strcasecmp(value, "FALSE");
		}
		free(name);
		free(value);
	}
}

/* A ShellId or CommandId from PowerShell into id; 0 if it is none. */
static int copy_id(char id[WINRM_ID_LEN + 1], PCWSTR from)
{
	char *text = psrp_to_utf8(from);
	int ok = text && strlen(text) <= WINRM_ID_LEN;

	if (ok)
		memcpy(id, text, strlen(text) + 1);
	free(text);
	return ok;
}

/* A shell object of the session's for resourceUri and shellId, with
 * PowerShell's reference. */
static struct psrp_shell *shell_new(struct psrp_session *s, PCWSTR resource_uri, PCWSTR shell_id)
{
	struct psrp_shell *sh = calloc(1, sizeof(*sh));

	if (!sh || !copy_id(sh->id, shell_id) || !(sh->resource_uri = psrp_to_utf8(resource_uri))) {
		free(sh);
		return NULL;
	}
	pthread_mutex_init(&sh->codec_lock, NULL);
	sh->refs = 1;
	sh->session = s;
	psrp_lock();
	s->refs++;
	psrp_unlock();
	return sh;
}

void WSManCreateShellEx(WSMAN_SESSION_HANDLE session, DWORD flags, PCWSTR resourceUri,
			PCWSTR shellId, WSMAN_SHELL_STARTUP_INFO *startup,
			WSMAN_OPTION_SET *options, WSMAN_DATA *createXml, WSMAN_SHELL_ASYNC *async,
			WSMAN_SHELL_HANDLE *shell)
{
	struct psrp_shell *sh;
	struct job *j;

	/* Buffering is Disconnect's to choose. */
	if (!shell)
		return;
	*shell = NULL;
	if (!session || !async || !(sh = shell_new(session, resourceUri, shellId)))
		return;
	*shell = sh;
	if (!(j = job_new(JOB_CREATE_SHELL, async, NULL, sh, NULL)))
		return;
	read_create_options(options, j);
	j->text = open_content_text(createXml, "creationXml");
	if (!j->text || !j->protocol_version) {
		j->kind = JOB_REFUSE;
		j->refuse_code = ERROR_INVALID_PARAMETER;
		j->refuse_message = "libpsrpclient creates PowerShell shells only: the creationXml "
				    "and the protocolversion option are required";
		job_start(j);
		return;
	}
	j->spec.resource_uri = sh->resource_uri;
	j->spec.shell_id = sh->id;
	j->spec.protocol_version = j->protocol_version;
	j->spec.creation_xml = j->text;
	j->spec.xpress = !(flags & WSMAN_FLAG_NO_COMPRESSION);
	/* 0xFFFFFFFF is PowerShell's "the service's default". */
	if (startup && startup->idleTimeoutMs != UINT32_MAX)
		j->spec.idle_timeout_ms = startup->idleTimeoutMs;
	/* The session's name, which Get-PSSession reads back from the service. */
	if (startup && startup->name && !(j->argument = psrp_to_utf8(startup->name))) {
		j->kind = JOB_REFUSE;
		j->refuse_code = ERROR_INVALID_PARAMETER;
		j->refuse_message = "the session's name is not UTF-16 text";
	}
	j->spec.name = j->argument;
	job_start(j);
}

void WSManCloseShell(WSMAN_SHELL_HANDLE shell, DWORD flags, WSMAN_SHELL_ASYNC *async)
{
	static const WSMAN_SHELL_ASYNC no_completion;
	struct job *j;

	(void)flags;
	if (!shell)
		return;
	psrp_set(&shell->closed);
	if ((j = job_new(JOB_CLOSE_SHELL, async ? async : &no_completion, NULL, shell, NULL)))
		job_start(j);
	shell_release(shell);
}

/* ---- commands ---- */

static struct psrp_command *command_new(struct psrp_shell *sh, PCWSTR command_id)
{
	struct psrp_command *c = calloc(1, sizeof(*c));

	if (!c || !copy_id(c->id, command_id)) {
		free(c);
		return NULL;
	}
	c->refs = 1;
	c->shell = sh;
	psrp_lock();
	sh->refs++;
	psrp_unlock();
	return c;
}

void WSManRunShellCommandEx(WSMAN_SHELL_HANDLE shell, DWORD flags, PCWSTR commandId,
			    PCWSTR commandLine, WSMAN_COMMAND_ARG_SET *args,
			    WSMAN_OPTION_SET *options, WSMAN_SHELL_ASYNC *async,
			    WSMAN_COMMAND_HANDLE *command)
{
	struct psrp_command *c;
	struct job *j;

	(void)flags, (void)options; /* PowerShell passes none */
	if (!command)
		return;
	*command = NULL;
	if (!shell || !async || !(c = command_new(shell, commandId)))
		return;
	*command = c;
	if (!(j = job_new(JOB_RUN_COMMAND, async, NULL, shell, c)))
		return;
	j->text = psrp_to_utf8(commandLine);
	if (args && args->argsCount > 1) {
		j->kind = JOB_REFUSE;
		j->refuse_code = ERROR_INVALID_PARAMETER;
		j->refuse_message = "a PowerShell command takes one argument";
	} else if (!j->text ||
		   (args && args->argsCount == 1 && !(j->argument = psrp_to_utf8(args->args[0])))) {
		j->kind = JOB_REFUSE;
		j->refuse_code = ERROR_INVALID_PARAMETER;
		j->refuse_message = "the command line or its argument is not UTF-16 text";
	}
	job_start(j);
}

void WSManCloseCommand(WSMAN_COMMAND_HANDLE command, DWORD flags, WSMAN_SHELL_ASYNC *async)
{
	static const WSMAN_SHELL_ASYNC no_completion;
	struct job *j;

	(void)flags;
	if (!command)
		return;
	psrp_set(&command->closed);
	if ((j = job_new(JOB_CLOSE_COMMAND, async ? async : &no_completion, NULL, command->shell,
			 command)))
		job_start(j);
	command_release(command);
}

/* ---- operations ---- */

/* A job for an operation on shell (and command), with its operation
 * handle given to PowerShell in *operation; NULL when none can be made. */
static struct job *operation_job(enum job_kind kind, WSMAN_SHELL_HANDLE shell,
				 WSMAN_COMMAND_HANDLE command, const WSMAN_SHELL_ASYNC *async,
				 WSMAN_OPERATION_HANDLE *operation)
{
	struct job *j;

	if (operation)
		*operation = NULL;
	if (!shell || !async || !(j = job_new(kind, async, NULL, shell, command)))
		return NULL;
	if (!job_operation(j, operation)) {
		job_free(j);
		return NULL;
	}
	return j;
}

void WSManSendShellInput(WSMAN_SHELL_HANDLE shell, WSMAN_COMMAND_HANDLE command, DWORD flags,
			 PCWSTR streamId, WSMAN_DATA *streamData, BOOL endOfStream,
			 WSMAN_SHELL_ASYNC *async, WSMAN_OPERATION_HANDLE *operation)
{
	struct job *j = operation_job(JOB_SEND, shell, command, async, operation);
	char *stream;

	(void)flags;
	if (!j)
		return;
	stream = psrp_to_utf8(streamId);
	j->input =
	    stream && strcmp(stream, "pr") == 0 ? WINRM_INPUT_PROMPT_RESPONSE : WINRM_INPUT_STDIN;
	j->end = endOfStream != 0;
	/* PowerShell frees its buffer when the call returns. */
	if (!stream || (strcmp(stream, "stdin") != 0 && strcmp(stream, "pr") != 0) || !streamData ||
	    streamData->type != WSMAN_DATA_TYPE_BINARY) {
		j->kind = JOB_REFUSE;
		j->refuse_code = ERROR_INVALID_PARAMETER;
		j->refuse_message = "Send takes binary data on the stdin or pr stream";
	} else if ((j->len = streamData->binaryData.dataLength) && !(j->data = malloc(j->len))) {
		j->kind = JOB_REFUSE;
		j->refuse_code = ERROR_OUTOFMEMORY;
		j->refuse_message = "out of memory for the data to send";
	} else if (j->len) {
		memcpy(j->data, streamData->binaryData.data, j->len);
	}
	free(stream);
	job_start(j);
}

void WSManReceiveShellOutput(WSMAN_SHELL_HANDLE shell, WSMAN_COMMAND_HANDLE command, DWORD flags,
			     WSMAN_STREAM_ID_SET *streams, WSMAN_SHELL_ASYNC *async,
			     WSMAN_OPERATION_HANDLE *operation)
{
	struct job *j = operation_job(JOB_RECEIVE, shell, command, async, operation);

	(void)streams; /* PowerShell's one output stream, stdout */
	if (!j)
		return;
	j->delay_output = (flags & WSMAN_FLAG_RECEIVE_DELAY_OUTPUT_STREAM) != 0;
	job_start(j);
}

/* The codes of WSManSignalShell, case-insensitively as Windows and
 * PowerShell's plugin compare them. */
static int signal_of(const char *code, enum winrm_signal *sig)
{
	static const struct {
		const char *code;
		enum winrm_signal sig;
	} codes[] = {
	    {"powershell/signal/crtl_c", WINRM_SIGNAL_PS_STOP},
	    {"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate",
	     WINRM_SIGNAL_TERMINATE},
	    {"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c",
	     WINRM_SIGNAL_CTRL_C},
	    {"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_break",
	     WINRM_SIGNAL_CTRL_BREAK},
	};

	for (size_t i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcasecmp(code, codes[i].code) == 0) {
			*sig = codes[i].sig;
			return 1;
		}
	return 0;
}

void WSManSignalShell(WSMAN_SHELL_HANDLE shell, WSMAN_COMMAND_HANDLE command, DWORD flags,
		      PCWSTR code, WSMAN_SHELL_ASYNC *async, WSMAN_OPERATION_HANDLE *operation)
{
	struct job *j = operation_job(JOB_SIGNAL, shell, command, async, operation);
	char *text;

	(void)flags;
	if (!j)
		return;
	text = psrp_to_utf8(code);
	if (!signal_of(text, &j->signal)) {
		j->kind = JOB_REFUSE;
		j->refuse_code = ERROR_NOT_SUPPORTED;
		j->refuse_message = "libpsrpclient sends only PowerShell's stop signal and "
				    "terminate, ctrl_c and ctrl_break";
	}
	free(text);
	job_start(j);
}

DWORD WSManCloseOperation(WSMAN_OPERATION_HANDLE operation, DWORD flags)
{
	(void)flags;
	if (!operation)
		return ERROR_INVALID_PARAMETER;
	psrp_set(&operation->closed);
	operation_release(operation);
	return NO_ERROR;
}

/* ---- disconnected sessions ---- */

/* PowerShell's buffering flags: drop the oldest output when the
 * service's buffer is full (else the shell waits, Windows' default). */
static int drops_output(DWORD flags)
{
	return (flags & WSMAN_FLAG_SERVER_BUFFERING_MODE_DROP) != 0;
}

void WSManDisconnectShell(WSMAN_SHELL_HANDLE shell, DWORD flags, WSMAN_SHELL_DISCONNECT_INFO *info,
			  WSMAN_SHELL_ASYNC *async)
{
	struct job *j;

	if (!shell || !async || !(j = job_new(JOB_DISCONNECT, async, NULL, shell, NULL)))
		return;
	j->drop_output = drops_output(flags);
	/* 0xFFFFFFFF is PowerShell's "the service's default". */
	if (info && info->idleTimeoutMs != UINT32_MAX)
		j->idle_timeout_ms = info->idleTimeoutMs;
	job_start(j);
}

void WSManReconnectShell(WSMAN_SHELL_HANDLE shell, DWORD flags, WSMAN_SHELL_ASYNC *async)
{
	struct job *j;

	(void)flags; /* the buffering mode goes back to the service's on Reconnect */
	if (shell && async && (j = job_new(JOB_RECONNECT, async, NULL, shell, NULL)))
		job_start(j);
}

void WSManReconnectShellCommand(WSMAN_COMMAND_HANDLE command, DWORD flags, WSMAN_SHELL_ASYNC *async)
{
	struct job *j;

	(void)flags;
	if (command && async && (j = job_new(JOB_RECONNECT, async, NULL, command->shell, command)))
		job_start(j);
}

/* Connect takes a disconnected shell of the user's from another client:
 * the handle is written at once, as PowerShell checks for one. */
void WSManConnectShell(WSMAN_SESSION_HANDLE session, DWORD flags, PCWSTR resourceUri,
		       PCWSTR shellId, WSMAN_OPTION_SET *options, WSMAN_DATA *connectXml,
		       WSMAN_SHELL_ASYNC *async, WSMAN_SHELL_HANDLE *shell)
{
	struct psrp_shell *sh;
	struct job *j;

	(void)flags; /* the buffering mode of the connected shell is Block */
	if (!shell)
		return;
	*shell = NULL;
	if (!session || !async || !(sh = shell_new(session, resourceUri, shellId)))
		return;
	*shell = sh;
	if (!(j = job_new(JOB_CONNECT, async, NULL, sh, NULL)))
		return;
	read_create_options(options, j);
	if (!(j->text = open_content_text(connectXml, "connectXml"))) {
		j->kind = JOB_REFUSE;
		j->refuse_code = ERROR_INVALID_PARAMETER;
		j->refuse_message = "libpsrpclient connects PowerShell shells only: the connectXml "
				    "is required";
	}
	job_start(j);
}

void WSManConnectShellCommand(WSMAN_SHELL_HANDLE shell, DWORD flags, PCWSTR commandId,
			      WSMAN_OPTION_SET *options, WSMAN_DATA *connectXml,
			      WSMAN_SHELL_ASYNC *async, WSMAN_COMMAND_HANDLE *command)
{
	struct psrp_command *c;
	struct job *j;

	(void)flags, (void)options, (void)connectXml; /* PowerShell passes none */
	if (!command)
		return;
	*command = NULL;
	if (!shell || !async || !(c = command_new(shell, commandId)))
		return;
	*command = c;
	if ((j = job_new(JOB_CONNECT, async, NULL, shell, c)))
		job_start(j);
}
