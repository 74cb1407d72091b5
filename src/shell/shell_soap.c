/* shell_soap: the SOAP bodies of the remote shell resource
 * (windows/shell/cmd: MS-WSMV 3.1.4.1.31, the operations of 3.1.4.4.1,
 * 3.1.4.5.2 and 3.1.4.11 to 3.1.4.14, the types of 2.2.4 and 2.2.5),
 * both sides, no I/O: the service's decoders from a parsed envelope into
 * the shell_ops structs and its replies as Windows writes them; the
 * client's requests as Windows' client writes them and its readers of
 * the replies. The table of shell_ops.c names these per operation. */
#include "shell/shell_soap.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "common/util.h"
#include "wsman/wsman.h"
#include "wsman/wsman_xml.h"

#define STATE_DONE NS_SHELL "/CommandState/Done"
#define STATE_RUNNING NS_SHELL "/CommandState/Running"

/* Decoded stdin of one Send. Clients cut their input to fit the envelope
 * (masterzen: MaxEnvelopeSize - 1000 raw bytes), so this is far above
 * anything a request within MaxEnvelopeSizekb can carry. */
#define SEND_MAX_BYTES (1024 * 1024)
/* Its base64 text, with room for line breaks however a client wraps. */
#define SEND_MAX_TEXT (2 * (SEND_MAX_BYTES / 3 + 1) * 4)

/* shell_soap_receive_budget's model of a ReceiveResponse: everything but the
 * rsp:Stream chunks (envelope, header with RelatesTo, End streams,
 * CommandState) fits FIXED; each chunk element costs at most CHUNK in
 * markup and base64 padding. The host sends no more than one IPC message
 * holds, whatever the budget; the cap only keeps the arithmetic small. */
#define RECEIVE_FIXED_MARKUP 2048
#define RECEIVE_CHUNK_MARKUP 200
#define RECEIVE_MAX_BYTES (16u << 20)
/* The items of one Enumerate reply: SHELL_MAX_LISTED shells of ~1.5 KB. */
#define LIST_MAX_TEXT (SHELL_MAX_LISTED * 2048)

/* ---- decoders ---- */

static void guid_upper(char out[SHELL_ID_LEN + 1], const char *guid)
{
	for (int i = 0; i < SHELL_ID_LEN; i++)
		out[i] = (char)toupper((unsigned char)guid[i]);
	out[SHELL_ID_LEN] = 0;
}

/* Windows answers a missing, malformed and unknown ShellId alike. */
static enum err shell_id(const struct wsman_request *req, char out[SHELL_ID_LEN + 1])
{
	const char *id = wsman_selector(req, "ShellId");

	if (!id || !util_is_guid(id))
		return ERR_WSMAN_UNKNOWN_SHELL;
	guid_upper(out, id);
	return ERR_OK;
}

/* The body element of the request, which must be {NS_SHELL}name. */
static enum err body_is(const struct wsman_request *req, const char *name, xmlNode **out)
{
	xmlNode *body = req->body;

	if (!wsman_xml_is(body, NS_SHELL, name))
		return ERR_WSMAN_SCHEMA;
	*out = body;
	return ERR_OK;
}

/* The first child {NS_SHELL}name of parent, or NULL. */
static xmlNode *shell_child(const xmlNode *parent, const char *name)
{
	xmlNode *c = wsman_xml_first(parent);

	while (c && !wsman_xml_is(c, NS_SHELL, name))
		c = wsman_xml_next(c);
	return c;
}

/* How a request of each shell kind names its target. A cmd shell only
 * has commands: Send/Receive/Signal without a CommandId are invalid
 * (Windows: code 87 for a Receive without it). A PowerShell shell is a
 * RunspacePool that itself sends and receives (MS-PSRP 3.1.5.3.5,
 * 3.1.5.3.7): no CommandId means the pool. */
enum target { TARGET_COMMAND, TARGET_COMMAND_OR_SHELL };

/* The CommandId attribute of Send/Receive/Signal into out (left empty
 * when absent and the kind allows it); anything but a GUID cannot name
 * one of our commands. */
static enum err command_id_attr(const xmlNode *n, enum target target, char out[SHELL_ID_LEN + 1])
{
	char *v;
	enum err e;

	if ((e = wsman_xml_attr(n, NULL, "CommandId", SHELL_MAX_STRING, &v)) != ERR_OK)
		return e;
	if (!v)
		return target == TARGET_COMMAND_OR_SHELL ? ERR_OK : ERR_WSMAN_INVALID_PARAMETER;
	if (util_is_guid(v))
		guid_upper(out, v);
	else
		e = ERR_WSMAN_UNKNOWN_COMMAND;
	free(v);
	return e;
}

/* rsp:IdleTimeOut is an xs:duration (MS-WSMV 2.2.4.37). pywinrm 0.3.0
 * passes its idle_timeout argument through unconverted, so a bare decimal
 * is taken as the seconds that argument is documented in elsewhere
 * (docs/protocol-notes.md, "rsp:IdleTimeOut"). */
static enum err idle_timeout(const xmlNode *n, uint64_t *ms)
{
	char *v;
	uint64_t secs;
	enum err e;

	if ((e = wsman_xml_text(n, SHELL_MAX_STRING, 1, &v)) != ERR_OK)
		return e;
	if (util_duration_parse(v, ms) != ERR_OK) {
		if (util_parse_u64(v, UINT64_MAX / 1000, &secs) == ERR_OK)
			*ms = secs * 1000;
		else
			e = ERR_WSMAN_INVALID_PARAMETER;
	}
	free(v);
	return e;
}

static enum err environment(const xmlNode *env, struct shell_create_req *out)
{
	uint32_t n = out->nenv;
	enum err e;

	for (xmlNode *v = wsman_xml_first(env); v; v = wsman_xml_next(v)) {
		if (wsman_xml_is(v, NS_SHELL, "Variable") && ++n > SHELL_MAX_ENV)
			return ERR_WSMAN_ENCODING_LIMIT;
	}
	if (n == out->nenv)
		return ERR_OK;
	char **names = realloc(out->env_names, n * sizeof(*names));
	if (names)
		out->env_names = names;
	char **values = realloc(out->env_values, n * sizeof(*values));
	if (values)
		out->env_values = values;
	if (!names || !values)
		return ERR_NOMEM;
	for (xmlNode *v = wsman_xml_first(env); v; v = wsman_xml_next(v)) {
		if (!wsman_xml_is(v, NS_SHELL, "Variable"))
			continue;
		uint32_t i = out->nenv++;
		out->env_names[i] = out->env_values[i] = NULL;
		if ((e = wsman_xml_attr(v, NULL, "Name", SHELL_MAX_STRING, &out->env_names[i])) !=
			ERR_OK ||
		    (e = wsman_xml_text(v, SHELL_MAX_STRING, 0, &out->env_values[i])) != ERR_OK)
			return e;
		if (!out->env_names[i])
			return ERR_WSMAN_SCHEMA;
		/* environ has no way to carry these: "A=B" would become
		 * variable A. */
		if (!*out->env_names[i] || strchr(out->env_names[i], '='))
			return ERR_WSMAN_INVALID_PARAMETER;
	}
	return ERR_OK;
}

static enum err create_options(const struct wsman_request *req, struct shell_create_req *out)
{
	const char *cp = wsman_option(req, "WINRS_CODEPAGE");
	int noprofile = wsman_option_bool(req, "WINRS_NOPROFILE", 0);
	uint64_t v;

	if (noprofile < 0)
		return ERR_WSMAN_INVALID_PARAMETER;
	out->noprofile = (uint32_t)noprofile;
	if (cp) {
		if (util_parse_u64(cp, UINT32_MAX, &v) != ERR_OK)
			return ERR_WSMAN_INVALID_PARAMETER;
		out->codepage = (uint32_t)v;
	}
	return ERR_OK;
}

static enum err create_body(const struct wsman_request *req, struct shell_create_req *out)
{
	xmlNode *shell;
	enum err e;

	if ((e = body_is(req, "Shell", &shell)) != ERR_OK ||
	    (e = create_options(req, out)) != ERR_OK)
		return e;
	/* InputStreams/OutputStreams are always stdin / stdout stderr for
	 * cmd; Lifetime and Name are accepted and not echoed, as Windows. */
	for (xmlNode *c = wsman_xml_first(shell); c; c = wsman_xml_next(c)) {
		if (wsman_xml_is(c, NS_SHELL, "WorkingDirectory")) {
			if (out->working_dir)
				return ERR_WSMAN_SCHEMA;
			if ((e = wsman_xml_text(c, SHELL_MAX_STRING, 0, &out->working_dir)) !=
			    ERR_OK)
				return e;
			/* Empty means the default, like no element at all. */
			if (!*out->working_dir) {
				free(out->working_dir);
				out->working_dir = NULL;
			}
		} else if (wsman_xml_is(c, NS_SHELL, "Environment")) {
			if ((e = environment(c, out)) != ERR_OK)
				return e;
		} else if (wsman_xml_is(c, NS_SHELL, "IdleTimeOut")) {
			if ((e = idle_timeout(c, &out->idle_timeout_ms)) != ERR_OK)
				return e;
		}
	}
	return ERR_OK;
}

enum err shell_soap_create_parse(const struct wsman_request *req,
				 const struct shell_service_ctx *ctx, void *arg)
{
	struct shell_create_req *out = arg;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = create_body(req, out)) == ERR_OK && ctx->client_ip &&
	    !(out->client_ip = strdup(ctx->client_ip)))
		e = ERR_NOMEM;
	if (e != ERR_OK)
		shell_create_req_clear(out);
	return e;
}

/* ---- PowerShell's Create (MS-PSRP 3.1.5.3.1; docs/psrp.md, "Create") ---- */

#define NS_POWERSHELL "http://schemas.microsoft.com/powershell"

/* protocolversion must be there with major version 2 and no option
 * starting PS_ may demand compliance, as PowerShell's own plugin checks
 * (EnsureOptionsComply, EnsureProtocolVersionComplies). */
static enum err ps_create_options(const struct wsman_request *req, struct shell_create_req *out)
{
	const char *v = wsman_option(req, "protocolversion");

	for (uint32_t i = 0; i < req->hdr.noptions; i++) {
		const struct wsman_pair *o = &req->hdr.options[i];
		if (o->must_comply && strncasecmp(o->name, "PS_", 3) == 0)
			return ERR_WSMAN_INVALID_PARAMETER;
	}
	if (!v || strncmp(v, "2.", 2) != 0 || strlen(v) > 16)
		return ERR_WSMAN_INVALID_PARAMETER;
	return (out->protocol_version = strdup(v)) ? ERR_OK : ERR_NOMEM;
}

/* MS-WSMV 3.1.4.1.31.6: after a Create with rsp:CompressionType
 * "xpress" the service MUST compress ReceiveResponse data, and the client
 * compresses its Sends (3.2.4.1.19); Windows' client asks unless
 * -NoCompression. xpress is the one algorithm there is, compared as OMI
 * compares it. Another value can be honoured only by ignoring the
 * header, which SOAP 1.2 (part 1, 5.2.3) allows for an optional one; a
 * mandatory one is refused as not understood. (What Windows answers to
 * another value is not known; OMI refuses the request.) */
static enum err ps_compression(const struct wsman_request *req, uint32_t *out)
{
	const char *v = req->hdr.compression_type;

	*out = SHELL_COMPRESSION_NONE;
	if (v && strcmp(v, "xpress") == 0)
		*out = SHELL_COMPRESSION_XPRESS;
	else if (v && req->hdr.compression_type_required)
		return ERR_WSMAN_MUST_UNDERSTAND;
	return ERR_OK;
}

/* A stream list that names at least one stream. */
static enum err ps_streams(const xmlNode *shell, const char *name)
{
	xmlNode *n = shell_child(shell, name);
	char *v;
	enum err e;

	if (!n)
		return ERR_WSMAN_SCHEMA;
	if ((e = wsman_xml_text(n, SHELL_MAX_STRING, 1, &v)) != ERR_OK)
		return e;
	e = *v ? ERR_OK : ERR_WSMAN_INVALID_PARAMETER;
	free(v);
	return e;
}

static enum err ps_create_body(const struct wsman_request *req, const struct shell_service_ctx *ctx,
			       struct shell_create_req *out)
{
	const char *name = req->hdr.resource_uri + strlen(SHELL_PS_URI_PREFIX);
	xmlNode *shell, *c;
	char *id;
	enum err e;

	if ((e = body_is(req, "Shell", &shell)) != ERR_OK ||
	    (e = ps_create_options(req, out)) != ERR_OK ||
	    (e = ps_compression(req, &out->compression)) != ERR_OK)
		return e;
	/* Session configuration names are matched as Windows matches them,
	 * without regard to case; the reply names the one the client asked for. */
	for (const char *const *p = ctx->ps_endpoints; p && *p; p++)
		if (strcasecmp(*p, name) == 0 && !(out->endpoint = strdup(*p)))
			return ERR_NOMEM;
	if (!out->endpoint)
		return ERR_WSMAN_NO_ENDPOINT;
	if ((e = wsman_xml_attr(shell, NULL, "ShellId", SHELL_MAX_STRING, &id)) != ERR_OK)
		return e;
	if (id) {
		if (util_is_guid(id))
			guid_upper(out->shell_id, id);
		else
			e = ERR_WSMAN_INVALID_PARAMETER;
		free(id);
		if (e != ERR_OK)
			return e;
	}
	/* The session's name, which Get-PSSession needs back (its items
	 * without rsp:Name are skipped). */
	if ((e = wsman_xml_attr(shell, NULL, "Name", SHELL_PS_NAME_MAX, &out->name)) != ERR_OK)
		return e == ERR_WSMAN_ENCODING_LIMIT ? ERR_WSMAN_INVALID_PARAMETER : e;
	if ((e = ps_streams(shell, "InputStreams")) != ERR_OK ||
	    (e = ps_streams(shell, "OutputStreams")) != ERR_OK)
		return e;
	if ((c = shell_child(shell, "IdleTimeOut")) &&
	    (e = idle_timeout(c, &out->idle_timeout_ms)) != ERR_OK)
		return e;
	for (c = wsman_xml_first(shell); c && !wsman_xml_is(c, NS_POWERSHELL, "creationXml");
	     c = wsman_xml_next(c))
		;
	if (!c)
		return ERR_WSMAN_SCHEMA;
	if ((e = wsman_xml_text(c, SHELL_MAX_PSRP_TEXT, 1, &out->creation_xml)) != ERR_OK)
		return e;
	if (!*out->creation_xml)
		return ERR_WSMAN_SCHEMA;
	if (ctx->pwsh && *ctx->pwsh && !(out->pwsh = strdup(ctx->pwsh)))
		return ERR_NOMEM;
	return ctx->client_ip && !(out->client_ip = strdup(ctx->client_ip)) ? ERR_NOMEM : ERR_OK;
}

enum err shell_soap_ps_create_parse(const struct wsman_request *req,
				    const struct shell_service_ctx *ctx, void *arg)
{
	struct shell_create_req *out = arg;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = ps_create_body(req, ctx, out)) != ERR_OK)
		shell_create_req_clear(out);
	return e;
}

/* A cmd command needs its text; PowerShell sends " " or an empty
 * rsp:Command and the pipeline in its rsp:Arguments (MS-PSRP 3.1.5.3.3),
 * a whole fragment of the client's size in base64: larger than any cmd
 * argument may be (PowerShell through libpsrpclient sends 109 KiB
 * fragments, ~146 KB of base64, for Copy-Item's chunks). */
enum command_kind { COMMAND_CMD, COMMAND_PSRP };

static enum err command_line(const xmlNode *cl, enum command_kind kind,
			     struct shell_command_req *out)
{
	uint32_t n = 0;
	xmlNode *cmd = NULL;
	char *id;
	enum err e;

	if ((e = wsman_xml_attr(cl, NULL, "CommandId", SHELL_MAX_STRING, &id)) != ERR_OK)
		return e;
	/* WinRb chooses the CommandId itself (WinRM 3.0); Windows refuses a
	 * client id that is not a GUID. */
	if (id) {
		if (util_is_guid(id))
			guid_upper(out->command_id, id);
		else
			e = ERR_WSMAN_INVALID_PARAMETER;
		free(id);
		if (e != ERR_OK)
			return e;
	}
	for (xmlNode *c = wsman_xml_first(cl); c; c = wsman_xml_next(c)) {
		if (wsman_xml_is(c, NS_SHELL, "Command")) {
			if (cmd)
				return ERR_WSMAN_SCHEMA;
			cmd = c;
		} else if (wsman_xml_is(c, NS_SHELL, "Arguments") && ++n > SHELL_MAX_ARGS) {
			return ERR_WSMAN_ENCODING_LIMIT;
		}
	}
	if (!cmd)
		return ERR_WSMAN_SCHEMA;
	if (!(out->argv = calloc(n + 1, sizeof(*out->argv))))
		return ERR_NOMEM;
	out->argc = 1;
	/* Trimmed: masterzen pretty-prints around its CDATA. WinRb's literal
	 * quotes stay; they are part of the command line as written. */
	if ((e = wsman_xml_text(cmd, SHELL_MAX_STRING, 1, &out->argv[0])) != ERR_OK)
		return e;
	if (!*out->argv[0] && kind == COMMAND_CMD)
		return ERR_WSMAN_INVALID_PARAMETER;
	/* Arguments are exact: a blank or space-padded argument is the
	 * client's to send. */
	for (xmlNode *c = wsman_xml_first(cl); c; c = wsman_xml_next(c)) {
		if (!wsman_xml_is(c, NS_SHELL, "Arguments"))
			continue;
		if ((e = wsman_xml_text(
			 c, kind == COMMAND_PSRP ? SHELL_MAX_PSRP_TEXT : SHELL_MAX_STRING, 0,
			 &out->argv[out->argc])) != ERR_OK)
			return e;
		out->argc++;
	}
	return ERR_OK;
}

static enum err command_body(const struct wsman_request *req, enum command_kind kind,
			     struct shell_command_req *out)
{
	xmlNode *cl;
	int skip = wsman_option_bool(req, "WINRS_SKIP_CMD_SHELL", 0);
	enum err e;

	if ((e = shell_id(req, out->shell_id)) != ERR_OK ||
	    (e = body_is(req, "CommandLine", &cl)) != ERR_OK)
		return e;
	if (skip < 0)
		return ERR_WSMAN_INVALID_PARAMETER;
	out->skip_cmd_shell = (uint32_t)skip;
	return command_line(cl, kind, out);
}

static enum err command_parse(const struct wsman_request *req, enum command_kind kind,
			      struct shell_command_req *out)
{
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = command_body(req, kind, out)) != ERR_OK)
		shell_command_req_clear(out);
	return e;
}

enum err shell_soap_command_parse(const struct wsman_request *req,
				  const struct shell_service_ctx *ctx, void *arg)
{
	(void)ctx;
	return command_parse(req, COMMAND_CMD, arg);
}

/* The pipeline travels in the one rsp:Arguments: without it there is no
 * pipeline to create. */
enum err shell_soap_ps_command_parse(const struct wsman_request *req,
				     const struct shell_service_ctx *ctx, void *arg)
{
	struct shell_command_req *out = arg;
	enum err e;

	(void)ctx;
	if ((e = command_parse(req, COMMAND_PSRP, out)) != ERR_OK)
		return e;
	if (out->argc != 2 || !*out->argv[1]) {
		shell_command_req_clear(out);
		return ERR_WSMAN_INVALID_PARAMETER;
	}
	return ERR_OK;
}

/* One rsp:Stream of a Send: appended to data, its End folded into
 * out->end, its name into out->stream. cmd declares stdin alone; a
 * PowerShell shell stdin and pr (MS-PSRP 3.1.5.3.5). All streams of one
 * Send go to one target on one stream. */
static enum err send_stream(const xmlNode *s, enum target target, int first,
			    struct shell_send_req *out, struct buf *data)
{
	char id[SHELL_ID_LEN + 1] = "";
	char *name, *end_attr, *b64;
	uint32_t stream = SHELL_STDIN;
	enum err e;

	if ((e = wsman_xml_attr(s, NULL, "Name", SHELL_MAX_STRING, &name)) != ERR_OK)
		return e;
	if (!name)
		return ERR_WSMAN_SCHEMA;
	if (strcmp(name, "stdin") == 0)
		e = ERR_OK;
	else if (strcmp(name, "pr") == 0 && target == TARGET_COMMAND_OR_SHELL)
		stream = SHELL_PROMPT_RESPONSE;
	else
		e = ERR_WSMAN_INVALID_PARAMETER;
	free(name);
	if (e != ERR_OK || (e = command_id_attr(s, target, id)) != ERR_OK)
		return e;
	if (first) {
		memcpy(out->command_id, id, sizeof(id));
		out->stream = stream;
	} else if (strcmp(out->command_id, id) != 0 || out->stream != stream) {
		return ERR_WSMAN_INVALID_PARAMETER;
	}
	if ((e = wsman_xml_attr(s, NULL, "End", SHELL_MAX_STRING, &end_attr)) != ERR_OK)
		return e;
	if (end_attr) {
		int v = wsman_bool_parse(end_attr);
		free(end_attr);
		if (v < 0)
			return ERR_WSMAN_INVALID_PARAMETER;
		out->end |= (uint32_t)v;
	}
	if ((e = wsman_xml_text(s, SEND_MAX_TEXT, 0, &b64)) != ERR_OK)
		return e;
	/* WinRb wraps its base64 every 60 characters; the decoder skips
	 * whitespace. */
	e = util_b64_decode(data, b64, strlen(b64));
	free(b64);
	if (e == ERR_FORMAT)
		return ERR_WSMAN_SCHEMA;
	return e == ERR_LIMIT ? ERR_WSMAN_ENCODING_LIMIT : e;
}

static enum err send_body(const struct wsman_request *req, enum target target,
			  struct shell_send_req *out, struct buf *data)
{
	xmlNode *send;
	int nstreams = 0;
	enum err e;

	if ((e = shell_id(req, out->shell_id)) != ERR_OK ||
	    (e = body_is(req, "Send", &send)) != ERR_OK)
		return e;
	for (xmlNode *s = wsman_xml_first(send); s; s = wsman_xml_next(s)) {
		if (!wsman_xml_is(s, NS_SHELL, "Stream"))
			continue;
		if ((e = send_stream(s, target, nstreams == 0, out, data)) != ERR_OK)
			return e;
		nstreams++;
	}
	return nstreams ? ERR_OK : ERR_WSMAN_SCHEMA;
}

static enum err send_parse(const struct wsman_request *req, enum target target,
			   struct shell_send_req *out)
{
	struct buf data;
	enum err e;

	memset(out, 0, sizeof(*out));
	buf_init(&data, SEND_MAX_BYTES);
	e = send_body(req, target, out, &data);
	if (e == ERR_OK && buf_len(&data) > 0) {
		out->len = buf_len(&data);
		if (!(out->data = malloc(out->len)))
			e = ERR_NOMEM;
		else
			memcpy(out->data, buf_ptr(&data), out->len);
	}
	buf_clear(&data); /* wipes: stdin may be a password */
	if (e != ERR_OK)
		shell_send_req_clear(out);
	return e;
}

enum err shell_soap_send_parse(const struct wsman_request *req, const struct shell_service_ctx *ctx,
			       void *arg)
{
	(void)ctx;
	return send_parse(req, TARGET_COMMAND, arg);
}

enum err shell_soap_ps_send_parse(const struct wsman_request *req,
				  const struct shell_service_ctx *ctx, void *arg)
{
	(void)ctx;
	return send_parse(req, TARGET_COMMAND_OR_SHELL, arg);
}

static enum err receive_parse(const struct wsman_request *req, const struct shell_service_ctx *ctx,
			      enum target target, struct shell_receive_req *out)
{
	xmlNode *recv, *ds;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = shell_id(req, out->shell_id)) != ERR_OK ||
	    (e = body_is(req, "Receive", &recv)) != ERR_OK)
		return e;
	/* The stream list is not consulted: a cmd shell has exactly stdout
	 * and stderr, and every client asks for both; a PowerShell shell
	 * writes stdout alone (MS-PSRP 3.1.5.3.7). */
	if (!(ds = shell_child(recv, "DesiredStream")))
		return ERR_WSMAN_SCHEMA;
	if ((e = command_id_attr(ds, target, out->command_id)) != ERR_OK)
		return e;
	/* MaxTimeoutms bounds what a client may ask (checked before parsing). */
	out->timeout_ms =
	    req->hdr.operation_timeout_ms ? req->hdr.operation_timeout_ms : ctx->max_timeout_ms;
	out->max_bytes = shell_soap_receive_budget(wsman_max_envelope(req));
	return ERR_OK;
}

enum err shell_soap_receive_parse(const struct wsman_request *req,
				  const struct shell_service_ctx *ctx, void *arg)
{
	return receive_parse(req, ctx, TARGET_COMMAND, arg);
}

enum err shell_soap_ps_receive_parse(const struct wsman_request *req,
				     const struct shell_service_ctx *ctx, void *arg)
{
	return receive_parse(req, ctx, TARGET_COMMAND_OR_SHELL, arg);
}

/* By the code URI's last segment, case-insensitively: MS-WSMV spells
 * terminate .../signal/Terminate in 2.2.4.38 (as pypsrp sends it) and
 * .../signal/terminate in 2.2.5.6 (as pywinrm, masterzen and WinRb do). */
static enum err signal_code(const char *uri, uint32_t *sig)
{
	static const struct {
		const char *name;
		enum shell_signal sig;
	} codes[] = {
	    {"terminate", SHELL_SIGNAL_TERMINATE},
	    {"ctrl_c", SHELL_SIGNAL_CTRL_C},
	    {"ctrl_break", SHELL_SIGNAL_CTRL_BREAK},
	};
	const char *slash = strrchr(uri, '/');
	const char *last = slash ? slash + 1 : uri;

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (strcasecmp(last, codes[i].name) == 0) {
			*sig = codes[i].sig;
			return ERR_OK;
		}
	}
	return ERR_WSMAN_INVALID_PARAMETER;
}

/* The signal's target and its code URI (text, trimmed). */
static enum err signal_body(const struct wsman_request *req, enum target target,
			    struct shell_signal_req *out, char **uri)
{
	xmlNode *sig, *code;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = shell_id(req, out->shell_id)) != ERR_OK ||
	    (e = body_is(req, "Signal", &sig)) != ERR_OK ||
	    (e = command_id_attr(sig, target, out->command_id)) != ERR_OK)
		return e;
	if (!(code = shell_child(sig, "Code")))
		return ERR_WSMAN_SCHEMA;
	return wsman_xml_text(code, SHELL_MAX_STRING, 1, uri);
}

enum err shell_soap_signal_parse(const struct wsman_request *req,
				 const struct shell_service_ctx *ctx, void *arg)
{
	struct shell_signal_req *out = arg;
	char *uri;
	enum err e;

	(void)ctx;
	if ((e = signal_body(req, TARGET_COMMAND, out, &uri)) != ERR_OK)
		return e;
	e = signal_code(uri, &out->signal);
	free(uri);
	return e;
}

/* PowerShell's plugin stops the pipeline for its client's misspelled
 * "powershell/signal/crtl_c" alone and closes the command for any other
 * code (pypsrp's "powershell/signal/ctrl_c", Terminate); a Signal without
 * a CommandId is a no-op (docs/psrp.md, "Signal"). */
#define PS_SIGNAL_STOP "powershell/signal/crtl_c"

enum err shell_soap_ps_signal_parse(const struct wsman_request *req,
				    const struct shell_service_ctx *ctx, void *arg)
{
	struct shell_signal_req *out = arg;
	char *uri;
	enum err e;

	(void)ctx;
	if ((e = signal_body(req, TARGET_COMMAND_OR_SHELL, out, &uri)) != ERR_OK)
		return e;
	out->signal =
	    strcasecmp(uri, PS_SIGNAL_STOP) == 0 ? SHELL_SIGNAL_PS_STOP : SHELL_SIGNAL_TERMINATE;
	free(uri);
	return ERR_OK;
}

enum err shell_soap_delete_parse(const struct wsman_request *req,
				 const struct shell_service_ctx *ctx, void *arg)
{
	struct shell_delete_req *out = arg;

	(void)ctx;
	memset(out, 0, sizeof(*out));
	return shell_id(req, out->shell_id);
}

/* ---- disconnected shells (MS-PSRP 3.1.5.3.16 to 3.1.5.3.19) ---- */

/* rsp:Disconnect: optional rsp:IdleTimeOut (how long the shell may stay
 * disconnected) and rsp:BufferMode Block or Drop. */
enum err shell_soap_disconnect_parse(const struct wsman_request *req,
				     const struct shell_service_ctx *ctx, void *arg)
{
	struct shell_disconnect_req *out = arg;
	xmlNode *body, *c;
	char *mode;
	enum err e;

	(void)ctx;
	memset(out, 0, sizeof(*out));
	if ((e = shell_id(req, out->shell_id)) != ERR_OK ||
	    (e = body_is(req, "Disconnect", &body)) != ERR_OK)
		return e;
	if ((c = shell_child(body, "IdleTimeOut")) &&
	    (e = idle_timeout(c, &out->idle_timeout_ms)) != ERR_OK)
		return e;
	if (!(c = shell_child(body, "BufferMode")))
		return ERR_OK;
	if ((e = wsman_xml_text(c, SHELL_MAX_STRING, 1, &mode)) != ERR_OK)
		return e;
	if (strcasecmp(mode, "Drop") == 0)
		out->buffer_mode = SHELL_BUFFER_DROP;
	else if (strcasecmp(mode, "Block") != 0)
		e = ERR_WSMAN_INVALID_PARAMETER;
	free(mode);
	return e;
}

/* Windows' client sends the shell's Reconnect with an empty s:Body
 * (pypsrp's recorded test_psrp_disconnect_runspaces) and a command's as
 * rsp:Reconnect CommandId="..." (MS-PSRP 3.1.5.3.18). */
enum err shell_soap_reconnect_parse(const struct wsman_request *req,
				    const struct shell_service_ctx *ctx, void *arg)
{
	struct shell_reconnect_req *out = arg;
	xmlNode *body;
	enum err e;

	(void)ctx;
	memset(out, 0, sizeof(*out));
	if ((e = shell_id(req, out->shell_id)) != ERR_OK || !req->body)
		return e;
	if ((e = body_is(req, "Reconnect", &body)) != ERR_OK)
		return e;
	return command_id_attr(body, TARGET_COMMAND_OR_SHELL, out->command_id);
}

/* rsp:Connect with the pool's connectXml, or rsp:Connect CommandId="..."
 * for one of its commands. */
static enum err connect_body(const struct wsman_request *req, struct shell_connect_req *out)
{
	xmlNode *body, *c;
	enum err e;

	if ((e = shell_id(req, out->shell_id)) != ERR_OK ||
	    (e = body_is(req, "Connect", &body)) != ERR_OK ||
	    (e = command_id_attr(body, TARGET_COMMAND_OR_SHELL, out->command_id)) != ERR_OK)
		return e;
	if (*out->command_id)
		return ERR_OK;
	if ((e = ps_compression(req, &out->compression)) != ERR_OK)
		return e;
	for (c = wsman_xml_first(body); c && !wsman_xml_is(c, NS_POWERSHELL, "connectXml");
	     c = wsman_xml_next(c))
		;
	if (!c)
		return ERR_WSMAN_SCHEMA;
	if ((e = wsman_xml_text(c, SHELL_MAX_PSRP_TEXT, 1, &out->connect_xml)) != ERR_OK)
		return e;
	return *out->connect_xml ? ERR_OK : ERR_WSMAN_SCHEMA;
}

enum err shell_soap_connect_parse(const struct wsman_request *req,
				  const struct shell_service_ctx *ctx, void *arg)
{
	struct shell_connect_req *out = arg;
	enum err e;

	(void)ctx;
	memset(out, 0, sizeof(*out));
	if ((e = connect_body(req, out)) != ERR_OK)
		shell_connect_req_clear(out);
	return e;
}

/* Enumerate of the shells: any filter is refused (Windows filters
 * nothing there either, as far as is known). */
enum err shell_soap_list_shells_parse(const struct wsman_request *req,
				      const struct shell_service_ctx *ctx, void *arg)
{
	struct shell_list_req *out = arg;
	struct wsman_enumerate_req en;
	enum err e;

	(void)ctx;
	memset(out, 0, sizeof(*out));
	if ((e = wsman_enumerate_parse(req, &en)) != ERR_OK ||
	    (e = wsman_enumerate_objects_only(&en)) != ERR_OK)
		return e;
	return en.filtered ? ERR_WSMAN_FILTERING_NOT_SUPPORTED : ERR_OK;
}

/* Enumerate of a shell's commands: the Selector filter ShellId='...'
 * names the shell (PowerShell's Get-PSSession, pypsrp). */
enum err shell_soap_list_commands_parse(const struct wsman_request *req,
					const struct shell_service_ctx *ctx, void *arg)
{
	struct shell_list_req *out = arg;
	struct wsman_enumerate_req en;
	enum err e;

	(void)ctx;
	memset(out, 0, sizeof(*out));
	if ((e = wsman_enumerate_parse(req, &en)) != ERR_OK ||
	    (e = wsman_enumerate_objects_only(&en)) != ERR_OK)
		return e;
	if (en.filtered && !en.selector)
		return ERR_WSMAN_FILTERING_NOT_SUPPORTED;
	if (!en.filtered || en.nfilter != 1 || strcasecmp(en.filter[0].name, "ShellId") != 0)
		return ERR_WSMAN_INVALID_SELECTORS;
	if (!util_is_guid(en.filter[0].value))
		return ERR_WSMAN_UNKNOWN_SHELL;
	guid_upper(out->shell_id, en.filter[0].value);
	return ERR_OK;
}

/* ---- the Receive budget ---- */

/* The reply holds k <= min(SHELL_MAX_CHUNKS, bytes) chunk elements, so it
 * is at most FIXED + CHUNK * k + 4/3 * bytes long (per-chunk base64
 * padding is inside CHUNK). While that many bytes allow all 64 chunks,
 * bytes = 3/4 (room - 64 CHUNK); below that each byte may be its own
 * chunk, so bytes = room / (CHUNK + 4/3). */
uint32_t shell_soap_receive_budget(uint64_t max_envelope_size)
{
	const uint64_t all_chunks = (uint64_t)SHELL_MAX_CHUNKS * RECEIVE_CHUNK_MARKUP;
	uint64_t room, bytes;

	if (max_envelope_size <= RECEIVE_FIXED_MARKUP)
		return 0;
	room = max_envelope_size - RECEIVE_FIXED_MARKUP;
	if (room > all_chunks && (room - all_chunks) / 4 * 3 >= SHELL_MAX_CHUNKS)
		bytes = (room - all_chunks) / 4 * 3;
	else
		bytes = room * 3 / (3 * RECEIVE_CHUNK_MARKUP + 4);
	return bytes > RECEIVE_MAX_BYTES ? RECEIVE_MAX_BYTES : (uint32_t)bytes;
}

/* ---- replies ---- */

static enum err put_environment(struct buf *out, const struct shell_create_req *info)
{
	enum err e;

	if (!info->nenv)
		return ERR_OK;
	if ((e = buf_putf(out, "<rsp:Environment>")) != ERR_OK)
		return e;
	for (uint32_t i = 0; i < info->nenv; i++) {
		if ((e = buf_putf(out, "<rsp:Variable Name=\"")) != ERR_OK ||
		    (e = wsman_put_escaped(out, info->env_names[i])) != ERR_OK ||
		    (e = buf_putf(out, "\">")) != ERR_OK ||
		    (e = wsman_put_escaped(out, info->env_values[i])) != ERR_OK ||
		    (e = buf_putf(out, "</rsp:Variable>")) != ERR_OK)
			return e;
	}
	return buf_putf(out, "</rsp:Environment>");
}

/* Both forms of the id (MS-WSMV 3.1.4.5.2: the EPR's selector, and
 * rsp:Shell, which the reply SHOULD carry): pywinrm and WinRb take the first
 * element with Name="ShellId", masterzen //w:Selector[@Name='ShellId'],
 * pypsrp rsp:Shell/rsp:ShellId. The working directory and the variables
 * are echoed when the client gave them. */
enum err shell_soap_create_reply(struct buf *out, const struct wsman_request *req,
				 const struct shell_reply_ctx *ctx, const void *request,
				 const void *answer)
{
	const struct shell_create_req *cr = request;
	const struct shell_create_reply *r = answer;
	const char *selector = "ShellId", *id = r->shell_id;
	enum err e;

	if ((e = wsman_put_head(out, WSMAN_REPLY_NS, NS_TRANSFER "/CreateResponse",
				req->hdr.message_id)) != ERR_OK ||
	    (e = wsman_put_epr(out, "x:ResourceCreated", ctx->machine_url, URI_SHELL_CMD, &selector,
			       &id, 1)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:Shell xmlns:rsp=\"" NS_SHELL "\">")) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:ShellId", r->shell_id)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:ResourceUri>" URI_SHELL_CMD "</rsp:ResourceUri>")) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:Owner", ctx->owner)) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:ClientIP", ctx->client_ip)) != ERR_OK ||
	    (cr->working_dir &&
	     (e = wsman_put_element(out, "rsp:WorkingDirectory", cr->working_dir)) != ERR_OK) ||
	    (e = put_environment(out, cr)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:IdleTimeOut>")) != ERR_OK ||
	    (e = util_duration_put_ms(out, r->idle_timeout_ms)) != ERR_OK)
		return e;
	return buf_putf(
	    out,
	    "</rsp:IdleTimeOut><rsp:InputStreams>stdin</rsp:InputStreams>"
	    "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams>"
	    "<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>"
	    "<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>" WSMAN_REPLY_TAIL);
}

/* Windows' element set, in Windows' order (pypsrp's recorded
 * test_psrp_open_runspace). PowerShell's client reads IdleTimeOut and
 * MaxIdleTimeOut as PT<s>.<3 digits>S and BufferMode (docs/psrp.md,
 * "Create"). The locale, buffer mode and profile are what this service
 * does: Block buffering; CompressionMode says what Create negotiated, in
 * OMI's words. */
enum err shell_soap_ps_create_reply(struct buf *out, const struct wsman_request *req,
				    const struct shell_reply_ctx *ctx, const void *request,
				    const void *answer)
{
	const struct shell_create_req *create = request;
	const struct shell_create_reply *r = answer;
	const char *selector = "ShellId", *id = r->shell_id;
	const char *resource = req->hdr.resource_uri;
	enum err e;

	if ((e = wsman_put_head(out, WSMAN_REPLY_NS, NS_TRANSFER "/CreateResponse",
				req->hdr.message_id)) != ERR_OK ||
	    (e = wsman_put_epr(out, "x:ResourceCreated", ctx->machine_url, resource, &selector, &id,
			       1)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:Shell xmlns:rsp=\"" NS_SHELL "\">")) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:ShellId", r->shell_id)) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:ResourceUri", resource)) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:Owner", ctx->owner)) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:ClientIP", ctx->client_ip)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:ProcessId>%" PRIu32 "</rsp:ProcessId><rsp:IdleTimeOut>",
			  r->process_id)) != ERR_OK ||
	    (e = util_duration_put_ms(out, r->idle_timeout_ms)) != ERR_OK)
		return e;
	return buf_putf(
	    out,
	    "</rsp:IdleTimeOut><rsp:InputStreams>stdin pr</rsp:InputStreams>"
	    "<rsp:OutputStreams>stdout</rsp:OutputStreams>"
	    "<rsp:MaxIdleTimeOut>PT2147483.647S</rsp:MaxIdleTimeOut>"
	    "<rsp:Locale>en-US</rsp:Locale><rsp:DataLocale>en-US</rsp:DataLocale>"
	    "<rsp:CompressionMode>%s</rsp:CompressionMode>"
	    "<rsp:ProfileLoaded>Yes</rsp:ProfileLoaded><rsp:Encoding>UTF8</rsp:Encoding>"
	    "<rsp:BufferMode>Block</rsp:BufferMode><rsp:State>Connected</rsp:State>"
	    "<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>"
	    "<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>" WSMAN_REPLY_TAIL,
	    create->compression == SHELL_COMPRESSION_XPRESS ? "XpressCompression"
							    : "NoCompression");
}

enum err shell_soap_command_reply(struct buf *out, const struct wsman_request *req,
				  const struct shell_reply_ctx *ctx, const void *request,
				  const void *answer)
{
	const struct shell_command_reply *r = answer;
	enum err e;

	(void)ctx, (void)request;
	if ((e = wsman_put_head(out, WSMAN_REPLY_NS, NS_SHELL "/CommandResponse",
				req->hdr.message_id)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:CommandResponse>")) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:CommandId", r->command_id)) != ERR_OK)
		return e;
	return buf_putf(out, "</rsp:CommandResponse>" WSMAN_REPLY_TAIL);
}

enum err shell_soap_send_reply(struct buf *out, const struct wsman_request *req,
			       const struct shell_reply_ctx *ctx, const void *request,
			       const void *answer)
{
	(void)ctx, (void)request, (void)answer;
	return wsman_reply_fixed(out, req, NS_SHELL "/SendResponse", "<rsp:SendResponse/>");
}

enum err shell_soap_signal_reply(struct buf *out, const struct wsman_request *req,
				 const struct shell_reply_ctx *ctx, const void *request,
				 const void *answer)
{
	(void)ctx, (void)request, (void)answer;
	return wsman_reply_fixed(out, req, NS_SHELL "/SignalResponse", "<rsp:SignalResponse/>");
}

enum err shell_soap_delete_reply(struct buf *out, const struct wsman_request *req,
				 const struct shell_reply_ctx *ctx, const void *request,
				 const void *answer)
{
	(void)ctx, (void)request, (void)answer;
	return wsman_reply_delete(out, req);
}

static const char *stream_name(uint8_t stream)
{
	return stream == SHELL_STDERR ? "stderr" : "stdout";
}

/* `<rsp:Stream Name=".." CommandId=".."` (no CommandId for a PowerShell
 * pool) and, with end set, ` End="true"`. */
static enum err put_stream_open(struct buf *out, const char *name, const char *command_id, int end)
{
	enum err e;

	if ((e = buf_putf(out, "<rsp:Stream Name=\"%s\"", name)) != ERR_OK ||
	    (*command_id && ((e = buf_putf(out, " CommandId=\"")) != ERR_OK ||
			     (e = wsman_put_escaped(out, command_id)) != ERR_OK ||
			     (e = buf_putf(out, "\"")) != ERR_OK)))
		return e;
	return buf_putf(out, end ? " End=\"true\">" : ">");
}

/* pywinrm counts the elements whose State ends in CommandState/Done and
 * wants exactly one, followed by an ExitCode; masterzen reads the same.
 * Chunks go out one element each, in production order, as Windows does.
 * A PowerShell pool's Receive has no command, so no CommandState (pypsrp's
 * recorded test_psrp_open_runspace). */
enum err shell_soap_receive_reply(struct buf *out, const struct wsman_request *req,
				  const struct shell_reply_ctx *ctx, const void *request,
				  const void *answer)
{
	const char *command_id = ((const struct shell_receive_req *)request)->command_id;
	const struct shell_receive_reply *r = answer;
	enum err e;

	(void)ctx;
	if (r->nchunks > SHELL_MAX_CHUNKS)
		return ERR_USAGE;
	if ((e = wsman_put_head(out, WSMAN_REPLY_NS, NS_SHELL "/ReceiveResponse",
				req->hdr.message_id)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:ReceiveResponse>")) != ERR_OK)
		return e;
	for (uint32_t i = 0; i < r->nchunks; i++) {
		const struct shell_chunk *c = &r->chunks[i];
		if (c->len == 0)
			continue;
		if (c->stream != SHELL_STDOUT && c->stream != SHELL_STDERR)
			return ERR_USAGE;
		if ((e = put_stream_open(out, stream_name(c->stream), command_id, 0)) != ERR_OK ||
		    (e = util_b64_encode(out, c->data, c->len)) != ERR_OK ||
		    (e = buf_putf(out, "</rsp:Stream>")) != ERR_OK)
			return e;
	}
	if ((r->stdout_end && ((e = put_stream_open(out, "stdout", command_id, 1)) != ERR_OK ||
			       (e = buf_putf(out, "</rsp:Stream>")) != ERR_OK)) ||
	    (r->stderr_end && ((e = put_stream_open(out, "stderr", command_id, 1)) != ERR_OK ||
			       (e = buf_putf(out, "</rsp:Stream>")) != ERR_OK)))
		return e;
	if (!*command_id)
		return buf_putf(out, "</rsp:ReceiveResponse>" WSMAN_REPLY_TAIL);
	if ((e = buf_putf(out, "<rsp:CommandState CommandId=\"")) != ERR_OK ||
	    (e = wsman_put_escaped(out, command_id)) != ERR_OK)
		return e;
	if (r->done)
		e = buf_putf(out,
			     "\" State=\"" STATE_DONE "\"><rsp:ExitCode>%" PRIu32 "</rsp:ExitCode>",
			     r->exit_code);
	else
		e = buf_putf(out, "\" State=\"" STATE_RUNNING "\">");
	if (e != ERR_OK)
		return e;
	return buf_putf(out, "</rsp:CommandState></rsp:ReceiveResponse>" WSMAN_REPLY_TAIL);
}

/* ---- disconnected shells and Enumerate: the replies ---- */

/* Windows answers Disconnect and Reconnect with an empty s:Body. */
enum err shell_soap_disconnect_reply(struct buf *out, const struct wsman_request *req,
				     const struct shell_reply_ctx *ctx, const void *request,
				     const void *answer)
{
	(void)ctx, (void)request, (void)answer;
	return wsman_reply_fixed(out, req, NS_SHELL "/DisconnectResponse", "");
}

enum err shell_soap_reconnect_reply(struct buf *out, const struct wsman_request *req,
				    const struct shell_reply_ctx *ctx, const void *request,
				    const void *answer)
{
	(void)ctx, (void)request, (void)answer;
	return wsman_reply_fixed(out, req, NS_SHELL "/ReconnectResponse", "");
}

/* The pool's: the streams and connectResponseXml; a command's: empty. */
enum err shell_soap_connect_reply(struct buf *out, const struct wsman_request *req,
				  const struct shell_reply_ctx *ctx, const void *request,
				  const void *answer)
{
	const struct shell_connect_req *cr = request;
	const struct shell_connect_reply *r = answer;
	enum err e;

	(void)ctx;
	if (*cr->command_id)
		return wsman_reply_fixed(out, req, NS_SHELL "/ConnectResponse",
					 "<rsp:ConnectResponse/>");
	if ((e = wsman_put_head(out, WSMAN_REPLY_NS, NS_SHELL "/ConnectResponse",
				req->hdr.message_id)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:ConnectResponse><rsp:InputStreams>stdin pr</rsp:InputStreams>"
			       "<rsp:OutputStreams>stdout</rsp:OutputStreams>"
			       "<connectResponseXml xmlns=\"" NS_POWERSHELL "\">")) != ERR_OK ||
	    (e = util_b64_encode(out, r->data, r->len)) != ERR_OK)
		return e;
	return buf_putf(out, "</connectResponseXml></rsp:ConnectResponse>" WSMAN_REPLY_TAIL);
}

/* xs:duration as Windows writes ShellRunTime and ShellInactivity. */
static enum err put_days(struct buf *out, const char *name, uint64_t ms)
{
	uint64_t s = ms / 1000;

	return buf_putf(out, "<rsp:%s>P%" PRIu64 "DT%" PRIu64 "H%" PRIu64 "M%" PRIu64 "S</rsp:%s>",
			name, s / 86400, s / 3600 % 24, s / 60 % 60, s % 60, name);
}

/* One rsp:Shell item, the element set of the Create reply and Windows'
 * Enumerate additions (pypsrp's recorded test_psrp_disconnect_runspaces);
 * a cmd shell (no endpoint) has cmd's resource URI and streams. */
static enum err put_shell_item(struct buf *out, const struct shell_summary *s)
{
	int cmd = !*s->endpoint;
	enum err e;

	if ((e = buf_putf(out, "<rsp:Shell xmlns:rsp=\"" NS_SHELL "\">")) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:ShellId", s->shell_id)) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:Name", s->name)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:ResourceUri>%s", cmd ? URI_SHELL_CMD : SHELL_PS_URI_PREFIX)) !=
		ERR_OK ||
	    (e = wsman_put_escaped(out, s->endpoint)) != ERR_OK ||
	    (e = buf_putf(out, "</rsp:ResourceUri>")) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:Owner", s->owner)) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:ClientIP", s->client_ip)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:ProcessId>%" PRIu32 "</rsp:ProcessId><rsp:IdleTimeOut>",
			  s->process_id)) != ERR_OK ||
	    (e = util_duration_put_ms(out, s->idle_timeout_ms)) != ERR_OK)
		return e;
	if ((e = buf_putf(
		 out,
		 "</rsp:IdleTimeOut><rsp:InputStreams>%s</rsp:InputStreams>"
		 "<rsp:OutputStreams>%s</rsp:OutputStreams>"
		 "<rsp:MaxIdleTimeOut>PT2147483.647S</rsp:MaxIdleTimeOut>"
		 "<rsp:Locale>en-US</rsp:Locale><rsp:DataLocale>en-US</rsp:DataLocale>"
		 "<rsp:CompressionMode>%s</rsp:CompressionMode>"
		 "<rsp:ProfileLoaded>Yes</rsp:ProfileLoaded><rsp:Encoding>UTF8</rsp:Encoding>"
		 "<rsp:BufferMode>%s</rsp:BufferMode><rsp:State>%s</rsp:State>",
		 cmd ? "stdin" : "stdin pr", cmd ? "stdout stderr" : "stdout",
		 s->compression == SHELL_COMPRESSION_XPRESS ? "XpressCompression" : "NoCompression",
		 s->buffer_mode == SHELL_BUFFER_DROP ? "Drop" : "Block",
		 s->disconnected ? "Disconnected" : "Connected")) != ERR_OK ||
	    (e = put_days(out, "ShellRunTime", s->run_ms)) != ERR_OK ||
	    (e = put_days(out, "ShellInactivity", s->inactive_ms)) != ERR_OK)
		return e;
	return buf_putf(out,
			"<rsp:MemoryUsed>%" PRIu64 "MB</rsp:MemoryUsed>"
			"<rsp:ChildProcesses>0</rsp:ChildProcesses></rsp:Shell>",
			(s->memory_bytes + (1u << 20) - 1) >> 20);
}

static enum err put_command_item(struct buf *out, const struct shell_command_summary *c)
{
	enum err e;

	if ((e = buf_putf(out, "<rsp:Command xmlns:rsp=\"" NS_SHELL "\">")) != ERR_OK ||
	    (e = wsman_put_element(out, "rsp:CommandId", c->command_id)) != ERR_OK)
		return e;
	return buf_putf(out,
			"<rsp:CommandLine></rsp:CommandLine><rsp:CommandState>%s"
			"</rsp:CommandState></rsp:Command>",
			c->done ? "Done" : "Running");
}

/* All the items in one optimized EnumerateResponse, as Windows answers
 * PowerShell (w:EndOfSequence, an empty context). */
enum err shell_soap_list_reply(struct buf *out, const struct wsman_request *req,
			       const struct shell_reply_ctx *ctx, const void *request,
			       const void *answer)
{
	const struct shell_list_reply *r = answer;
	const char *items[SHELL_MAX_LISTED];
	size_t offsets[SHELL_MAX_LISTED];
	uint32_t n =
	    *((const struct shell_list_req *)request)->shell_id ? r->ncommands : r->nshells;
	struct buf text;
	enum err e = ERR_OK;

	(void)ctx;
	if (n > SHELL_MAX_LISTED)
		return ERR_USAGE;
	buf_init(&text, LIST_MAX_TEXT);
	for (uint32_t i = 0; i < n && e == ERR_OK; i++) {
		offsets[i] = buf_len(&text);
		e = *((const struct shell_list_req *)request)->shell_id
			? put_command_item(&text, &r->commands[i])
			: put_shell_item(&text, &r->shells[i]);
		if (e == ERR_OK)
			e = buf_put_u8(&text, 0);
	}
	for (uint32_t i = 0; i < n && e == ERR_OK; i++)
		items[i] = (const char *)buf_ptr(&text) + offsets[i];
	if (e == ERR_OK)
		e = wsman_reply_enumerate(out, req, NULL, 1, items, n, 1);
	buf_clear(&text);
	return e;
}

/* ---- the client: requests ---- */

/* The selector set of a shell request: ShellId alone. */
#define SHELL_SELECTOR(id) (&(struct wsman_pair){.name = "ShellId", .value = (char *)(id)}), 1

/* The resource a request addresses: the caller's (a PowerShell session
 * configuration), else cmd. */
static const char *client_resource(const struct wsman_client_header *h)
{
	return h->resource_uri ? h->resource_uri : URI_SHELL_CMD;
}

/* ` CommandId="id"` when the request names a command (a PowerShell pool
 * is addressed without one), then close. */
static enum err put_command_id(struct buf *out, const char *command_id, const char *close)
{
	enum err e;

	if (*command_id && (e = wsman_put_text(out, " CommandId=\"", command_id, "\"")) != ERR_OK)
		return e;
	return buf_putf(out, "%s", close);
}

/* rsp:IdleTimeOut as Windows' client writes it; nothing for 0 (the
 * service's default). */
static enum err put_idle_timeout(struct buf *out, uint64_t ms)
{
	enum err e;

	if (!ms)
		return ERR_OK;
	if ((e = buf_putf(out, "<rsp:IdleTimeOut>")) != ERR_OK ||
	    (e = util_duration_put_ms(out, ms)) != ERR_OK)
		return e;
	return buf_putf(out, "</rsp:IdleTimeOut>");
}

enum err shell_soap_create_build(struct buf *out, const struct wsman_client_header *h,
				 const void *req)
{
	const struct shell_create_req *r = req;
	char codepage[16];
	struct wsman_pair opts[2] = {
	    {.name = "WINRS_NOPROFILE", .value = r->noprofile ? "TRUE" : "FALSE"},
	    {.name = "WINRS_CODEPAGE", .value = codepage},
	};
	enum err e;

	snprintf(codepage, sizeof(codepage), "%u", r->codepage ? r->codepage : 65001);
	if ((e = wsman_client_head(out, h, URI_SHELL_CMD, ACTION_CREATE, NULL, 0, opts, 2)) !=
		ERR_OK ||
	    (e = buf_putf(out, "<rsp:Shell>")) != ERR_OK)
		return e;
	if (r->working_dir && (e = wsman_put_text(out, "<rsp:WorkingDirectory>", r->working_dir,
						  "</rsp:WorkingDirectory>")) != ERR_OK)
		return e;
	struct wsman_pair env[SHELL_MAX_ENV];
	if (r->nenv > SHELL_MAX_ENV)
		return ERR_LIMIT;
	for (uint32_t i = 0; i < r->nenv; i++)
		env[i] = (struct wsman_pair){.name = r->env_names[i], .value = r->env_values[i]};
	if ((e = wsman_put_named(out, "rsp:Environment", "rsp:Variable", env, r->nenv)) != ERR_OK)
		return e;
	if ((e = put_idle_timeout(out, r->idle_timeout_ms)) != ERR_OK)
		return e;
	if ((e = buf_putf(out,
			  "<rsp:InputStreams>stdin</rsp:InputStreams>"
			  "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>")) !=
	    ERR_OK)
		return e;
	return wsman_client_tail(out);
}

/* As Windows' client writes PowerShell's Create (pypsrp's recorded
 * test_psrp_open_runspace; WSManClientSessionTransportManager.CreateAsync):
 * protocolversion MustComply, WINRS_NOPROFILE when asked, the client's
 * ShellId, PowerShell's streams and the creationXml; rsp:CompressionType
 * xpress when compression is asked for (the parser's ps_compression). */
enum err shell_soap_ps_create_build(struct buf *out, const struct wsman_client_header *head,
				    const void *req)
{
	const struct shell_create_req *r = req;
	struct wsman_client_header with = *head, *h = &with;
	struct wsman_pair opts[2] = {
	    {.name = "protocolversion", .value = r->protocol_version, .must_comply = 1},
	    {.name = "WINRS_NOPROFILE", .value = "1", .must_comply = 1},
	};
	enum err e;

	if (!h->resource_uri || !r->protocol_version || !r->creation_xml || !*r->shell_id)
		return ERR_USAGE;
	if (r->compression == SHELL_COMPRESSION_XPRESS)
		with.compression_type = "xpress";
	if ((e = wsman_client_head(out, h, h->resource_uri, ACTION_CREATE, NULL, 0, opts,
				   r->noprofile ? 2 : 1)) != ERR_OK ||
	    (e = wsman_put_text(out, "<rsp:Shell ShellId=\"", r->shell_id, "\"")) != ERR_OK ||
	    (r->name && (e = wsman_put_text(out, " Name=\"", r->name, "\"")) != ERR_OK) ||
	    (e = buf_putf(out, ">")) != ERR_OK)
		return e;
	if ((e = put_idle_timeout(out, r->idle_timeout_ms)) != ERR_OK)
		return e;
	if ((e = wsman_put_text(out,
				"<rsp:InputStreams>stdin pr</rsp:InputStreams>"
				"<rsp:OutputStreams>stdout</rsp:OutputStreams>"
				"<creationXml xmlns=\"" NS_POWERSHELL "\">",
				r->creation_xml, "</creationXml></rsp:Shell>")) != ERR_OK)
		return e;
	return wsman_client_tail(out);
}

enum err shell_soap_command_build(struct buf *out, const struct wsman_client_header *h,
				  const void *req)
{
	const struct shell_command_req *r = req;
	struct wsman_pair opts[2] = {
	    {.name = "WINRS_CONSOLEMODE_STDIN", .value = "TRUE"},
	    {.name = "WINRS_SKIP_CMD_SHELL", .value = r->skip_cmd_shell ? "TRUE" : "FALSE"},
	};
	enum err e;

	if (r->argc < 1)
		return ERR_USAGE;
	/* A client-chosen CommandId is an attribute of rsp:CommandLine
	 * (MS-WSMV 2.2.4.7; PowerShell's is its pipeline's GUID). */
	if ((e = wsman_client_head(out, h, client_resource(h), ACTION_COMMAND,
				   SHELL_SELECTOR(r->shell_id), opts, 2)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:CommandLine")) != ERR_OK ||
	    (e = put_command_id(out, r->command_id, ">")) != ERR_OK ||
	    (e = wsman_put_text(out, "<rsp:Command>", r->argv[0], "</rsp:Command>")) != ERR_OK)
		return e;
	for (uint32_t i = 1; i < r->argc; i++)
		if ((e = wsman_put_text(out, "<rsp:Arguments>", r->argv[i], "</rsp:Arguments>")) !=
		    ERR_OK)
			return e;
	if ((e = buf_putf(out, "</rsp:CommandLine>")) != ERR_OK)
		return e;
	return wsman_client_tail(out);
}

enum err shell_soap_send_build(struct buf *out, const struct wsman_client_header *h,
			       const void *req)
{
	const struct shell_send_req *r = req;
	enum err e;

	if ((e = wsman_client_head(out, h, client_resource(h), ACTION_SEND,
				   SHELL_SELECTOR(r->shell_id), NULL, 0)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:Send><rsp:Stream Name=\"%s\"",
			  r->stream == SHELL_PROMPT_RESPONSE ? "pr" : "stdin")) != ERR_OK ||
	    (e = put_command_id(out, r->command_id, r->end ? " End=\"true\">" : ">")) != ERR_OK ||
	    (e = util_b64_encode(out, r->data, r->len)) != ERR_OK ||
	    (e = buf_putf(out, "</rsp:Stream></rsp:Send>")) != ERR_OK)
		return e;
	return wsman_client_tail(out);
}

/* A Receive of streams (the kind's output streams, space-separated). */
static enum err receive_build(struct buf *out, const struct wsman_client_header *h,
			      const struct shell_receive_req *r, const char *streams)
{
	struct wsman_pair opt = {.name = "WSMAN_CMDSHELL_OPTION_KEEPALIVE", .value = "TRUE"};
	enum err e;

	if ((e = wsman_client_head(out, h, client_resource(h), ACTION_RECEIVE,
				   SHELL_SELECTOR(r->shell_id), &opt, 1)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:Receive><rsp:DesiredStream")) != ERR_OK ||
	    (e = put_command_id(out, r->command_id, ">")) != ERR_OK ||
	    (e = buf_putf(out, "%s</rsp:DesiredStream></rsp:Receive>", streams)) != ERR_OK)
		return e;
	return wsman_client_tail(out);
}

enum err shell_soap_receive_build(struct buf *out, const struct wsman_client_header *h,
				  const void *req)
{
	return receive_build(out, h, req, "stdout stderr");
}

/* PowerShell's only output stream (MS-PSRP 3.1.5.3.7). */
enum err shell_soap_ps_receive_build(struct buf *out, const struct wsman_client_header *h,
				     const void *req)
{
	return receive_build(out, h, req, "stdout");
}

enum err shell_soap_signal_build(struct buf *out, const struct wsman_client_header *h,
				 const void *req)
{
	const struct shell_signal_req *r = req;
	/* PowerShell's stop code is not a URI, and misspelled as its client
	 * sends it (WSManClientCommandTransportManager.StopSignal). */
	static const char *const codes[] = {
	    [SHELL_SIGNAL_TERMINATE] = NS_SHELL "/signal/terminate",
	    [SHELL_SIGNAL_CTRL_C] = NS_SHELL "/signal/ctrl_c",
	    [SHELL_SIGNAL_CTRL_BREAK] = NS_SHELL "/signal/ctrl_break",
	    [SHELL_SIGNAL_PS_STOP] = "powershell/signal/crtl_c",
	};
	enum err e;

	if (r->signal < SHELL_SIGNAL_TERMINATE || r->signal > SHELL_SIGNAL_PS_STOP)
		return ERR_USAGE;
	if ((e = wsman_client_head(out, h, client_resource(h), NS_SHELL "/Signal",
				   SHELL_SELECTOR(r->shell_id), NULL, 0)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:Signal")) != ERR_OK ||
	    (e = put_command_id(out, r->command_id, ">")) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:Code>%s</rsp:Code></rsp:Signal>", codes[r->signal])) != ERR_OK)
		return e;
	return wsman_client_tail(out);
}

enum err shell_soap_delete_build(struct buf *out, const struct wsman_client_header *h,
				 const void *req)
{
	const char *shell_id = ((const struct shell_delete_req *)req)->shell_id;
	enum err e;

	if ((e = wsman_client_head(out, h, client_resource(h), ACTION_DELETE,
				   SHELL_SELECTOR(shell_id), NULL, 0)) != ERR_OK)
		return e;
	return wsman_client_tail(out);
}

/* Disconnect as Windows' client writes it: rsp:Disconnect, with the
 * idle time PowerShell asks for and the buffer mode when it names one. */
enum err shell_soap_disconnect_build(struct buf *out, const struct wsman_client_header *h,
				     const void *req)
{
	const struct shell_disconnect_req *r = req;
	enum err e;

	if ((e = wsman_client_head(out, h, client_resource(h), ACTION_DISCONNECT,
				   SHELL_SELECTOR(r->shell_id), NULL, 0)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:Disconnect>")) != ERR_OK ||
	    (e = put_idle_timeout(out, r->idle_timeout_ms)) != ERR_OK ||
	    (r->buffer_mode == SHELL_BUFFER_DROP &&
	     (e = buf_putf(out, "<rsp:BufferMode>Drop</rsp:BufferMode>")) != ERR_OK) ||
	    (e = buf_putf(out, "</rsp:Disconnect>")) != ERR_OK)
		return e;
	return wsman_client_tail(out);
}

/* The shell's Reconnect with an empty body, a command's as rsp:Reconnect
 * CommandId (pypsrp's recordings of Windows' client). */
enum err shell_soap_reconnect_build(struct buf *out, const struct wsman_client_header *h,
				    const void *req)
{
	const struct shell_reconnect_req *r = req;
	enum err e;

	if ((e = wsman_client_head(out, h, client_resource(h), ACTION_RECONNECT,
				   SHELL_SELECTOR(r->shell_id), NULL, 0)) != ERR_OK)
		return e;
	if (*r->command_id && ((e = buf_putf(out, "<rsp:Reconnect")) != ERR_OK ||
			       (e = put_command_id(out, r->command_id, "/>")) != ERR_OK))
		return e;
	return wsman_client_tail(out);
}

/* The shell's Connect: protocolversion MustComply and the connectXml; a
 * command's: rsp:Connect CommandId. */
enum err shell_soap_connect_build(struct buf *out, const struct wsman_client_header *h,
				  const void *req)
{
	const struct shell_connect_req *r = req;
	struct wsman_pair opt = {
	    .name = "protocolversion", .value = r->protocol_version, .must_comply = 1};
	int pool = !*r->command_id;
	enum err e;

	if (pool && (!r->connect_xml || !r->protocol_version))
		return ERR_USAGE;
	if ((e = wsman_client_head(out, h, client_resource(h), ACTION_CONNECT,
				   SHELL_SELECTOR(r->shell_id), pool ? &opt : NULL, pool)) !=
		ERR_OK ||
	    (e = buf_putf(out, "<rsp:Connect")) != ERR_OK)
		return e;
	if (!pool)
		e = put_command_id(out, r->command_id, "/>");
	else
		e = wsman_put_text(out, "><connectXml xmlns=\"" NS_POWERSHELL "\">", r->connect_xml,
				   "</connectXml></rsp:Connect>");
	if (e != ERR_OK)
		return e;
	return wsman_client_tail(out);
}

/* ---- the client: replies ---- */

/* One rsp:Stream's base64 text, far above what any envelope a client
 * accepts can carry. */
#define CLIENT_MAX_STREAM_TEXT (1024 * 1024)

enum err shell_soap_create_read(const struct wsman_request *resp, void *result)
{
	char *shell_id = ((struct shell_create_reply *)result)->shell_id;
	xmlNode *n;

	/* rsp:Shell/rsp:ShellId, else the ShellId selector of ResourceCreated. */
	if ((n = wsman_xml_child(wsman_body_element(resp, NS_SHELL, "Shell"), NS_SHELL, "ShellId")))
		return wsman_xml_text_into(n, shell_id, SHELL_ID_LEN + 1);
	n = wsman_xml_child(wsman_xml_child(wsman_xml_child(wsman_body_element(resp, NS_TRANSFER,
									       "ResourceCreated"),
							    NS_WSA, "ReferenceParameters"),
					    NS_WSMAN, "SelectorSet"),
			    NS_WSMAN, "Selector");
	return wsman_xml_text_into(n, shell_id, SHELL_ID_LEN + 1);
}

/* n as XML that reads alone: a copy as the root of a document of its own
 * declares the namespaces it uses (rsp may be declared on the envelope). */
static enum err element_xml(const xmlNode *n, char **out)
{
	xmlNode *copy;
	xmlBuffer *xml = NULL;
	xmlDoc *doc;
	enum err e = ERR_OK;

	*out = NULL;
	if (!(doc = xmlNewDoc((const xmlChar *)"1.0")) ||
	    !(copy = xmlDocCopyNode((xmlNode *)n, doc, 1)) ||
	    (xmlDocSetRootElement(doc, copy), 0) || !(xml = xmlBufferCreate()))
		e = ERR_NOMEM;
	else if (xmlNodeDump(xml, doc, copy, 0, 0) < 0 ||
		 !(*out = strdup((const char *)xmlBufferContent(xml))))
		e = ERR_NOMEM;
	if (xml)
		xmlBufferFree(xml);
	xmlFreeDoc(doc);
	return e;
}

enum err shell_soap_ps_create_read(const struct wsman_request *resp, void *result)
{
	struct shell_ps_created *got = result;
	xmlNode *shell = wsman_body_element(resp, NS_SHELL, "Shell");
	enum err e;

	got->shell_xml = NULL;
	if ((e = shell_soap_create_read(resp, &got->reply)) != ERR_OK)
		return e;
	return shell ? element_xml(shell, &got->shell_xml) : ERR_OK;
}

enum err shell_soap_connect_read(const struct wsman_request *resp, void *result)
{
	struct shell_ps_connected *got = result;
	xmlNode *r = resp->body, *c;

	got->response_xml = NULL;
	if (!r || !wsman_xml_is(r, NS_SHELL, "ConnectResponse"))
		return ERR_FORMAT;
	for (c = wsman_xml_first(r); c && !wsman_xml_is(c, NS_POWERSHELL, "connectResponseXml");
	     c = wsman_xml_next(c))
		;
	return c ? element_xml(c, &got->response_xml) : ERR_OK;
}

enum err shell_soap_command_read(const struct wsman_request *resp, void *result)
{
	char *command_id = ((struct shell_command_reply *)result)->command_id;

	if (!resp->body || !wsman_xml_is(resp->body, NS_SHELL, "CommandResponse"))
		return ERR_FORMAT;
	return wsman_xml_text_into(wsman_xml_child(resp->body, NS_SHELL, "CommandId"), command_id,
				   SHELL_ID_LEN + 1);
}

enum err shell_soap_receive_read(const struct wsman_request *resp, void *result)
{
	struct shell_received *got = result;
	int *done = &got->done;
	uint32_t *exit_code = &got->exit_code;
	xmlNode *rr = resp->body, *state;
	struct buf data;
	enum err e = ERR_OK;

	*done = 0;
	*exit_code = 0;
	if (!rr || !wsman_xml_is(rr, NS_SHELL, "ReceiveResponse"))
		return ERR_FORMAT;
	buf_init(&data, CLIENT_MAX_STREAM_TEXT);
	for (xmlNode *c = wsman_xml_first(rr); c && e == ERR_OK; c = wsman_xml_next(c)) {
		char *name = NULL, *text = NULL;
		if (!wsman_xml_is(c, NS_SHELL, "Stream"))
			continue;
		/* One text node, the usual shape, is decoded where it lies (the
		 * decoder skips the whitespace a trim would remove). */
		const xmlNode *t = c->children;
		int direct = t && !t->next && t->type == XML_TEXT_NODE && t->content;
		if ((e = wsman_xml_attr(c, NULL, "Name", 64, &name)) == ERR_OK &&
		    (direct ||
		     (e = wsman_xml_text(c, CLIENT_MAX_STREAM_TEXT, 1, &text)) == ERR_OK)) {
			const char *b64 = direct ? (const char *)t->content : text;
			buf_reset(&data);
			if ((e = util_b64_decode(&data, b64, strlen(b64))) == ERR_OK &&
			    buf_len(&data))
				got->output(got->arg,
					    name && strcasecmp(name, "stderr") == 0 ? SHELL_STDERR
										    : SHELL_STDOUT,
					    buf_ptr(&data), buf_len(&data));
		}
		free(name);
		free(text);
	}
	buf_clear(&data);
	if (e != ERR_OK)
		return ERR_FORMAT;
	if ((state = wsman_xml_child(rr, NS_SHELL, "CommandState"))) {
		char *s = NULL;
		if (wsman_xml_attr(state, NULL, "State", 256, &s) == ERR_OK && s) {
			size_t n = strlen(s), k = strlen("CommandState/Done");
			*done = n >= k && strcmp(s + n - k, "CommandState/Done") == 0;
		}
		free(s);
		xmlNode *code = wsman_xml_child(state, NS_SHELL, "ExitCode");
		char num[24];
		uint64_t v;
		/* Windows writes exit codes unsigned; a minus sign is tolerated. */
		if (code && wsman_xml_text_into(code, num, sizeof(num)) == ERR_OK) {
			if (num[0] == '-' &&
			    util_parse_u64(num + 1, (uint64_t)INT32_MAX + 1, &v) == ERR_OK)
				*exit_code = (uint32_t)(0 - v);
			else if (util_parse_u64(num, UINT32_MAX, &v) == ERR_OK)
				*exit_code = (uint32_t)v;
		}
	}
	return ERR_OK;
}
