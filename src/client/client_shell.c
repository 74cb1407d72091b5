/* client_shell: the remote shell (windows/shell/cmd) over a session:
 * each call builds its operation's envelope and reads its reply through
 * the operation's row of shell/shell_ops.h. */
#include "client/client_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shell/shell_ops.h"
#include "shell/shell_soap.h"

/* Raw stdin bytes per Send, so that the base64 text and the envelope
 * around it stay within the MaxEnvelopeSize every service accepts. */
#define SEND_PIECE ((CLIENT_MAX_ENVELOPE - 4096) / 4 * 3)
_Static_assert(SEND_PIECE == WINRM_SEND_MAX_BYTES, "winrm.h promises this piece size");

static int id_ok(const char *id)
{
	return id && *id && strlen(id) <= WINRM_ID_LEN;
}

/* A command's id, or none (NULL: the shell itself, which only PowerShell's
 * endpoints address). */
static int command_ok(const char *resource, const char *command_id)
{
	return command_id ? id_ok(command_id) : resource != NULL;
}

/* The row of operation cmd_id (a SHELL_CMD_* id) for the resource: cmd's
 * for NULL, PowerShell's for its prefix, else NULL. */
static const struct shell_op *op_for(const char *resource, enum shell_op_id cmd_id)
{
	if (!resource)
		return shell_op_at(cmd_id);
	if (strncasecmp(resource, SHELL_PS_URI_PREFIX, strlen(SHELL_PS_URI_PREFIX)) != 0 ||
	    !resource[strlen(SHELL_PS_URI_PREFIX)])
		return NULL;
	return shell_op_at(cmd_id + (SHELL_PS_CREATE - SHELL_CMD_CREATE));
}

/* The envelope of request req of operation op on resource, of at most
 * cap bytes, into env (initialised here; clear it either way). */
static enum err envelope_of(struct winrm_session *s, const char *resource,
			    const struct shell_op *op, const void *req, size_t cap, struct buf *env)
{
	struct wsman_client_header h;

	client_header(s, &h);
	h.resource_uri = resource;
	buf_init(env, cap);
	return op->client_build(env, &h, req);
}

/* Posts the request req of operation op on resource, with an envelope of
 * at most cap bytes, and reads what the row reads from the reply into
 * result. */
static enum winrm_result call_op(struct winrm_session *s, const char *resource,
				 const struct shell_op *op, const void *req, size_t cap,
				 void *result)
{
	struct wsman_request resp;
	struct buf env;
	enum winrm_result r;

	if (!op)
		return client_fail(s, WINRM_E_USAGE,
				   "'%s' is neither cmd nor a PowerShell endpoint (%s<name>)",
				   resource, SHELL_PS_URI_PREFIX);
	if ((r = client_post_built(s, &env, envelope_of(s, resource, op, req, cap, &env), &resp)) !=
	    WINRM_OK)
		return r;
	if (op->client_read && op->client_read(&resp, result) != ERR_OK)
		r = client_fail(s, WINRM_E_PROTOCOL, "the %s reply of %s could not be read",
				op->name, s->host_header);
	wsman_request_clear(&resp);
	return r;
}

/* The same for operation cmd_id (a SHELL_CMD_* id) of resource's kind. */
static enum winrm_result call(struct winrm_session *s, const char *resource,
			      enum shell_op_id cmd_id, const void *req, size_t cap, void *result)
{
	return call_op(s, resource, op_for(resource, cmd_id), req, cap, result);
}

/* The same for operation ps_id, which only PowerShell's endpoints have. */
static enum winrm_result call_ps(struct winrm_session *s, const char *resource,
				 enum shell_op_id ps_id, const void *req, size_t cap, void *result)
{
	if (!resource || !op_for(resource, SHELL_CMD_CREATE))
		return client_fail(s, WINRM_E_USAGE,
				   "only PowerShell's endpoints (%s<name>) "
				   "disconnect and connect",
				   SHELL_PS_URI_PREFIX);
	return call_op(s, resource, shell_op_at(ps_id), req, cap, result);
}

enum winrm_result winrm_shell_create(struct winrm_session *s, const struct winrm_shell_options *o,
				     char shell_id[WINRM_ID_LEN + 1])
{
	static const struct winrm_shell_options none;
	struct shell_create_req req = {0};
	struct shell_create_reply created;
	enum winrm_result r = WINRM_OK;
	char **names = NULL, **values = NULL;

	o = o ? o : &none;
	if (o->nenv > SHELL_MAX_ENV)
		return client_fail(s, WINRM_E_USAGE, "more than %d environment variables",
				   SHELL_MAX_ENV);
	if (o->nenv && (!(names = calloc(o->nenv, sizeof(char *))) ||
			!(values = calloc(o->nenv, sizeof(char *))))) {
		r = client_fail(s, WINRM_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < o->nenv; i++) {
		const char *eq = strchr(o->env[i], '=');
		if (!eq || eq == o->env[i]) {
			r = client_fail(s, WINRM_E_USAGE,
					"environment variable '%s' is not NAME=VALUE", o->env[i]);
			goto out;
		}
		if (!(names[i] = strndup(o->env[i], (size_t)(eq - o->env[i]))) ||
		    !(values[i] = strdup(eq + 1))) {
			r = client_fail(s, WINRM_E_NOMEM, "out of memory");
			goto out;
		}
	}
	req.working_dir = (char *)o->working_dir;
	req.idle_timeout_ms = o->idle_timeout_ms;
	req.noprofile = o->noprofile != 0;
	req.codepage = o->codepage;
	req.nenv = (uint32_t)o->nenv;
	req.env_names = names;
	req.env_values = values;
	if ((r = call(s, NULL, SHELL_CMD_CREATE, &req, CLIENT_MAX_ENVELOPE * 4, &created)) ==
	    WINRM_OK)
		memcpy(shell_id, created.shell_id, WINRM_ID_LEN + 1);
out:
	for (size_t i = 0; i < o->nenv; i++) {
		free(names ? names[i] : NULL);
		free(values ? values[i] : NULL);
	}
	free(names);
	free(values);
	return r;
}

enum winrm_result winrm_shell_command(struct winrm_session *s, const char *shell_id,
				      const char *const *argv, size_t argc, int skip_cmd_shell,
				      char command_id[WINRM_ID_LEN + 1])
{
	struct shell_command_req req = {0};
	struct shell_command_reply started;
	enum winrm_result r;

	if (!id_ok(shell_id) || argc < 1 || argc > SHELL_MAX_ARGS)
		return client_fail(s, WINRM_E_USAGE, "a command needs a shell and a command line");
	snprintf(req.shell_id, sizeof(req.shell_id), "%s", shell_id);
	req.skip_cmd_shell = skip_cmd_shell != 0;
	req.argc = (uint32_t)argc;
	req.argv = (char **)argv;
	if ((r = call(s, NULL, SHELL_CMD_COMMAND, &req, CLIENT_MAX_ENVELOPE * 4, &started)) ==
	    WINRM_OK)
		memcpy(command_id, started.command_id, WINRM_ID_LEN + 1);
	return r;
}

enum winrm_result winrm_shell_send(struct winrm_session *s, const char *shell_id,
				   const char *command_id, const void *data, size_t len, int end)
{
	if (!command_id)
		return client_fail(s, WINRM_E_USAGE, "Send needs a shell and a command");
	return winrm_shell_send_ex(s, NULL, shell_id, command_id, WINRM_INPUT_STDIN, data, len,
				   end);
}

enum winrm_result winrm_shell_send_ex(struct winrm_session *s, const char *resource_uri,
				      const char *shell_id, const char *command_id,
				      enum winrm_input input, const void *data, size_t len, int end)
{
	const uint8_t *p = data;

	if (!id_ok(shell_id) || !command_ok(resource_uri, command_id) || (len && !data))
		return client_fail(s, WINRM_E_USAGE, "Send needs a shell and a command");
	for (int first = 1; first || len > 0; first = 0) {
		struct shell_send_req req = {0};
		enum winrm_result r;
		size_t n = len > SEND_PIECE ? SEND_PIECE : len;

		snprintf(req.shell_id, sizeof(req.shell_id), "%s", shell_id);
		snprintf(req.command_id, sizeof(req.command_id), "%s",
			 command_id ? command_id : "");
		req.stream =
		    input == WINRM_INPUT_PROMPT_RESPONSE ? SHELL_PROMPT_RESPONSE : SHELL_STDIN;
		req.data = (uint8_t *)p;
		req.len = n;
		req.end = end && n == len;
		if ((r = call(s, resource_uri, SHELL_CMD_SEND, &req, CLIENT_MAX_ENVELOPE * 2,
			      NULL)) != WINRM_OK)
			return r;
		p += n;
		len -= n;
	}
	return WINRM_OK;
}

struct output_to {
	winrm_output_fn *fn;
	void *arg;
};

static void output_adapter(void *arg, enum shell_stream stream, const uint8_t *data, size_t len)
{
	struct output_to *o = arg;

	o->fn(o->arg, stream == SHELL_STDERR ? WINRM_STDERR : WINRM_STDOUT, data, len);
}

/* The Receive envelope of operation (cmd's or PowerShell's row). */
static enum err receive_envelope(struct winrm_session *s, const struct shell_op *op,
				 const char *resource, struct buf *env, const char *shell_id,
				 const char *command_id)
{
	struct shell_receive_req req = {0};

	snprintf(req.shell_id, sizeof(req.shell_id), "%s", shell_id);
	snprintf(req.command_id, sizeof(req.command_id), "%s", command_id);
	return envelope_of(s, resource, op, &req, CLIENT_MAX_ENVELOPE, env);
}

/* Output streams in a chain of Receives: the next one goes out as soon as
 * a reply is in, so the service gathers and encodes more output while
 * this one is decoded and written. Not after Done: nothing more comes.
 * cmd's commands only: a PowerShell pool is never done, and a Receive
 * sent ahead on it would hold the connection for a whole long poll when
 * the caller stops receiving. */
static void receive_ahead(struct winrm_session *s, const struct buf *body, void *arg)
{
	const char *const *ids = arg;
	static const char done[] = "CommandState/Done";
	struct buf env;

	if (memmem(buf_ptr(body), buf_len(body), done, sizeof(done) - 1))
		return;
	if (receive_envelope(s, shell_op_at(SHELL_CMD_RECEIVE), NULL, &env, ids[0], ids[1]) ==
		ERR_OK &&
	    client_send_ahead(s, &env)) {
		snprintf(s->ahead_shell, sizeof(s->ahead_shell), "%s", ids[0]);
		snprintf(s->ahead_command, sizeof(s->ahead_command), "%s", ids[1]);
	}
	buf_clear(&env);
}

enum winrm_result winrm_shell_receive(struct winrm_session *s, const char *shell_id,
				      const char *command_id, winrm_output_fn *fn, void *arg,
				      int *done, uint32_t *exit_code)
{
	*done = 0;
	if (!command_id)
		return client_fail(s, WINRM_E_USAGE,
				   "Receive needs a shell, a command and an output function");
	return winrm_shell_receive_ex(s, NULL, shell_id, command_id, fn, arg, done, exit_code);
}

enum winrm_result winrm_shell_receive_ex(struct winrm_session *s, const char *resource_uri,
					 const char *shell_id, const char *command_id,
					 winrm_output_fn *fn, void *arg, int *done,
					 uint32_t *exit_code)
{
	const struct shell_op *op = op_for(resource_uri, SHELL_CMD_RECEIVE);
	struct wsman_request resp;
	struct output_to to = {fn, arg};
	struct shell_received got = {.output = output_adapter, .arg = &to};
	const char *ids[2] = {shell_id, command_id ? command_id : ""};
	struct buf env;
	enum winrm_result r;
	int ahead;

	*done = 0;
	if (!op || !id_ok(shell_id) || !command_ok(resource_uri, command_id) || !fn)
		return client_fail(s, WINRM_E_USAGE,
				   "Receive needs a shell, a command and an output function");
	if ((r = client_built(s, receive_envelope(s, op, resource_uri, &env, ids[0], ids[1]))) !=
	    WINRM_OK) {
		buf_clear(&env);
		return r;
	}
	ahead = s->ahead && strcmp(s->ahead_shell, ids[0]) == 0 &&
		strcmp(s->ahead_command, ids[1]) == 0;
	r = client_post_then(s, &env, ahead, resource_uri ? NULL : receive_ahead, ids, &resp);
	buf_clear(&env);
	if (r != WINRM_OK)
		return r;
	if (op->client_read(&resp, &got) != ERR_OK)
		r = client_fail(s, WINRM_E_PROTOCOL, "the Receive reply of %s could not be read",
				s->host_header);
	*done = got.done;
	*exit_code = got.exit_code;
	wsman_request_clear(&resp);
	return r;
}

enum winrm_result winrm_shell_signal(struct winrm_session *s, const char *shell_id,
				     const char *command_id, enum winrm_signal sig)
{
	if (!command_id)
		return client_fail(s, WINRM_E_USAGE, "Signal needs a shell and a command");
	return winrm_shell_signal_ex(s, NULL, shell_id, command_id, sig);
}

/* Whether shell_id and command_id address a Signal; its request in req. */
static int signal_req(struct shell_signal_req *req, const char *resource_uri, const char *shell_id,
		      const char *command_id, enum winrm_signal sig)
{
	if (!id_ok(shell_id) || !command_ok(resource_uri, command_id))
		return 0;
	*req = (struct shell_signal_req){.signal = (uint32_t)sig};
	snprintf(req->shell_id, sizeof(req->shell_id), "%s", shell_id);
	snprintf(req->command_id, sizeof(req->command_id), "%s", command_id ? command_id : "");
	return 1;
}

enum winrm_result winrm_shell_signal_ex(struct winrm_session *s, const char *resource_uri,
					const char *shell_id, const char *command_id,
					enum winrm_signal sig)
{
	struct shell_signal_req req;

	if (!signal_req(&req, resource_uri, shell_id, command_id, sig))
		return client_fail(s, WINRM_E_USAGE, "Signal needs a shell and a command");
	return call(s, resource_uri, SHELL_CMD_SIGNAL, &req, CLIENT_MAX_ENVELOPE, NULL);
}

int winrm_shell_signal_ahead_ex(struct winrm_session *s, const char *resource_uri,
				const char *shell_id, const char *command_id, enum winrm_signal sig)
{
	const struct shell_op *op = op_for(resource_uri, SHELL_CMD_SIGNAL);
	struct shell_signal_req req;
	struct buf env;
	int sent;

	if (!op || !command_id || !signal_req(&req, resource_uri, shell_id, command_id, sig))
		return 0;
	sent = envelope_of(s, resource_uri, op, &req, CLIENT_MAX_ENVELOPE, &env) == ERR_OK &&
	       client_send_ahead(s, &env);
	/* Its reply is no Receive's: none may take it for theirs (an empty
	 * ShellId is nobody's). */
	if (sent)
		s->ahead_shell[0] = s->ahead_command[0] = 0;
	buf_clear(&env);
	return sent;
}

enum winrm_result winrm_shell_delete(struct winrm_session *s, const char *shell_id)
{
	return winrm_shell_delete_ex(s, NULL, shell_id);
}

enum winrm_result winrm_shell_delete_ex(struct winrm_session *s, const char *resource_uri,
					const char *shell_id)
{
	struct shell_delete_req req = {0};

	if (!id_ok(shell_id))
		return client_fail(s, WINRM_E_USAGE, "Delete needs a shell");
	snprintf(req.shell_id, sizeof(req.shell_id), "%s", shell_id);
	return call(s, resource_uri, SHELL_CMD_DELETE, &req, CLIENT_MAX_ENVELOPE, NULL);
}

/* PowerShell's creationXml and a Command's PSRP arguments are sent whole
 * (a Create or Command cannot be cut), so their envelope is sized to
 * hold the most the service accepts. */
#define PS_ENVELOPE_CAP (CLIENT_MAX_ENVELOPE + SHELL_MAX_PSRP_TEXT)

enum winrm_result winrm_shell_create_ex(struct winrm_session *s,
					const struct winrm_shell_spec *spec,
					char shell_id[WINRM_ID_LEN + 1], char **shell_xml)
{
	struct shell_create_req req = {0};
	struct shell_ps_created created = {0};
	enum winrm_result r;

	if (shell_xml)
		*shell_xml = NULL;
	if (!spec || !spec->resource_uri || !id_ok(spec->shell_id) || !spec->protocol_version ||
	    !spec->creation_xml)
		return client_fail(s, WINRM_E_USAGE,
				   "a PowerShell shell needs its resource URI, ShellId, protocol "
				   "version and creationXml");
	snprintf(req.shell_id, sizeof(req.shell_id), "%s", spec->shell_id);
	req.protocol_version = (char *)spec->protocol_version;
	req.creation_xml = (char *)spec->creation_xml;
	req.noprofile = spec->noprofile != 0;
	req.idle_timeout_ms = spec->idle_timeout_ms;
	req.name = (char *)spec->name;
	req.compression = spec->xpress ? SHELL_COMPRESSION_XPRESS : SHELL_COMPRESSION_NONE;
	if ((r = call(s, spec->resource_uri, SHELL_CMD_CREATE, &req, PS_ENVELOPE_CAP, &created)) !=
	    WINRM_OK)
		return r;
	memcpy(shell_id, created.reply.shell_id, WINRM_ID_LEN + 1);
	if (shell_xml)
		*shell_xml = created.shell_xml;
	else
		free(created.shell_xml);
	return WINRM_OK;
}

enum winrm_result winrm_shell_command_ex(struct winrm_session *s, const char *resource_uri,
					 const char *shell_id, const char *command_id,
					 const char *command_line, const char *const *args,
					 size_t nargs)
{
	struct shell_command_req req = {0};
	struct shell_command_reply started;
	const char *argv[SHELL_MAX_ARGS];

	if (!id_ok(shell_id) || !id_ok(command_id) || !command_line || nargs >= SHELL_MAX_ARGS ||
	    (nargs && !args))
		return client_fail(s, WINRM_E_USAGE,
				   "a command needs a shell, its CommandId and a command line");
	argv[0] = command_line;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = args[i];
	snprintf(req.shell_id, sizeof(req.shell_id), "%s", shell_id);
	snprintf(req.command_id, sizeof(req.command_id), "%s", command_id);
	req.argc = (uint32_t)nargs + 1;
	req.argv = (char **)argv;
	return call(s, resource_uri, SHELL_CMD_COMMAND, &req, PS_ENVELOPE_CAP, &started);
}

enum winrm_result winrm_shell_disconnect_ex(struct winrm_session *s, const char *resource_uri,
					    const char *shell_id, uint64_t idle_timeout_ms,
					    int drop_output)
{
	struct shell_disconnect_req req = {.idle_timeout_ms = idle_timeout_ms,
					   .buffer_mode = drop_output ? SHELL_BUFFER_DROP
								      : SHELL_BUFFER_BLOCK};

	if (!id_ok(shell_id))
		return client_fail(s, WINRM_E_USAGE, "Disconnect needs a shell");
	snprintf(req.shell_id, sizeof(req.shell_id), "%s", shell_id);
	return call_ps(s, resource_uri, SHELL_PS_DISCONNECT, &req, CLIENT_MAX_ENVELOPE, NULL);
}

enum winrm_result winrm_shell_reconnect_ex(struct winrm_session *s, const char *resource_uri,
					   const char *shell_id, const char *command_id)
{
	struct shell_reconnect_req req = {0};

	if (!id_ok(shell_id) || (command_id && !id_ok(command_id)))
		return client_fail(s, WINRM_E_USAGE, "Reconnect needs a shell");
	snprintf(req.shell_id, sizeof(req.shell_id), "%s", shell_id);
	snprintf(req.command_id, sizeof(req.command_id), "%s", command_id ? command_id : "");
	return call_ps(s, resource_uri, SHELL_PS_RECONNECT, &req, CLIENT_MAX_ENVELOPE, NULL);
}

enum winrm_result winrm_shell_connect_ex(struct winrm_session *s, const char *resource_uri,
					 const char *shell_id, const char *command_id,
					 const char *protocol_version, const char *connect_xml,
					 char **response_xml)
{
	struct shell_connect_req req = {0};
	struct shell_ps_connected got = {0};
	enum winrm_result r;

	if (response_xml)
		*response_xml = NULL;
	if (!id_ok(shell_id) ||
	    (command_id ? !id_ok(command_id) : !connect_xml || !protocol_version || !response_xml))
		return client_fail(s, WINRM_E_USAGE,
				   "Connect needs a shell and its connectXml and protocol "
				   "version, or one of its commands");
	snprintf(req.shell_id, sizeof(req.shell_id), "%s", shell_id);
	snprintf(req.command_id, sizeof(req.command_id), "%s", command_id ? command_id : "");
	req.connect_xml = (char *)connect_xml;
	req.protocol_version = (char *)protocol_version;
	if ((r = call_ps(s, resource_uri, SHELL_PS_CONNECT, &req, PS_ENVELOPE_CAP, &got)) !=
	    WINRM_OK)
		return r;
	if (response_xml)
		*response_xml = got.response_xml;
	else
		free(got.response_xml);
	return WINRM_OK;
}

enum winrm_result winrm_identify(struct winrm_session *s, char **xml)
{
	struct buf env, body;
	enum winrm_result r;

	*xml = NULL;
	buf_init(&env, 4096);
	buf_init(&body, CLIENT_MAX_RESPONSE);
	if ((r = client_built(s, wsman_client_identify(&env))) == WINRM_OK &&
	    (r = client_post_raw(s, &env, 1, &body)) == WINRM_OK) {
		if (buf_terminate(&body) != ERR_OK ||
		    !(*xml = strndup((const char *)buf_ptr(&body), buf_len(&body))))
			r = client_fail(s, WINRM_E_NOMEM, "out of memory");
	}
	buf_clear(&env);
	buf_clear(&body);
	return r;
}
