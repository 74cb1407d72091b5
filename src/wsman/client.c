/* client: the client side of the codec: request envelopes in the shape
 * Windows' own client sends, and the readers of the replies a service
 * (winrmd or Windows) sends back. Replies are parsed by wsman_parse, with
 * the same hardened libxml2 settings as requests. */
#include "wsman/wsman.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlstring.h>

#include "common/util.h"
#include "wsman/wsman_internal.h"

#define CLIENT_NS                                                                         \
	"xmlns:s=\"" NS_SOAP "\" xmlns:a=\"" NS_WSA "\" xmlns:w=\"" NS_WSMAN "\" xmlns:p=\"" NS_WSMV \
	"\" xmlns:rsp=\"" NS_SHELL "\" xmlns:x=\"" NS_TRANSFER "\" xmlns:n=\"" NS_ENUMERATION "\""
#define CLIENT_MAX_TEXT (1024 * 1024)
/* The selector set of a shell request: ShellId alone. */
#define SHELL_SELECTOR(id) (&(struct wsman_pair){.name = "ShellId", .value = (char *)(id)}), 1

/* Text a client gives (command lines, variables, directories) must be
 * UTF-8: an XML document cannot carry anything else, and the service
 * would refuse the whole envelope. */
static enum err put_text(struct buf *out, const char *open, const char *s, const char *close)
{
	enum err e;

	if (s && !xmlCheckUTF8((const unsigned char *)s))
		return ERR_FORMAT;
	if ((e = buf_putf(out, "%s", open)) != ERR_OK || (e = wsman_put_escaped(out, s)) != ERR_OK)
		return e;
	return buf_putf(out, "%s", close);
}

/* <set><item Name="name">value</item>...</set>; nothing for no pairs. */
static enum err put_named(struct buf *out, const char *set, const char *item, const struct wsman_pair *p,
			  size_t n)
{
	enum err e;

	if (n == 0)
		return ERR_OK;
	if ((e = buf_putf(out, "<%s>", set)) != ERR_OK)
		return e;
	for (size_t i = 0; i < n; i++)
		if ((e = buf_putf(out, "<%s", item)) != ERR_OK ||
		    (e = put_text(out, " Name=\"", p[i].name, "\">")) != ERR_OK ||
		    (e = put_text(out, "", p[i].value, "")) != ERR_OK || (e = buf_putf(out, "</%s>", item)) != ERR_OK)
			return e;
	return buf_putf(out, "</%s>", set);
}

/* Everything up to and including <s:Body>. */
static enum err client_head(struct buf *out, const struct wsman_client_header *h, const char *resource,
			    const char *action, const struct wsman_pair *selectors, size_t nselectors,
			    const struct wsman_pair *options, size_t noptions)
{
	char id[UTIL_GUID_LEN + 1];
	enum err e;

	if ((e = util_guid(id)) != ERR_OK)
		return e;
	if ((e = buf_putf(out, "<s:Envelope " CLIENT_NS "><s:Header>")) != ERR_OK ||
	    (e = put_text(out, "<a:To>", h->to, "</a:To>")) != ERR_OK ||
	    (e = put_text(out, "<w:ResourceURI s:mustUnderstand=\"true\">", resource, "</w:ResourceURI>")) != ERR_OK ||
	    (e = buf_putf(out,
			  "<a:ReplyTo><a:Address s:mustUnderstand=\"true\">" NS_ADDRESSING_ANONYMOUS
			  "</a:Address></a:ReplyTo><a:Action s:mustUnderstand=\"true\">%s</a:Action>"
			  "<w:MaxEnvelopeSize s:mustUnderstand=\"true\">%u</w:MaxEnvelopeSize>"
			  "<a:MessageID>uuid:%s</a:MessageID>"
			  "<w:Locale xml:lang=\"en-US\" s:mustUnderstand=\"false\"/>"
			  "<p:DataLocale xml:lang=\"en-US\" s:mustUnderstand=\"false\"/>"
			  "<w:OperationTimeout>",
			  action, h->max_envelope_size, id)) != ERR_OK ||
	    (e = util_duration_put_ms(out, h->operation_timeout_ms)) != ERR_OK ||
	    (e = buf_putf(out, "</w:OperationTimeout>")) != ERR_OK)
		return e;
	if ((e = put_named(out, "w:SelectorSet", "w:Selector", selectors, nselectors)) != ERR_OK ||
	    (e = put_named(out, "w:OptionSet", "w:Option", options, noptions)) != ERR_OK)
		return e;
	return buf_putf(out, "</s:Header><s:Body>");
}

static enum err client_tail(struct buf *out)
{
	return buf_putf(out, "</s:Body></s:Envelope>");
}

enum err wsman_client_identify(struct buf *out)
{
	return buf_putf(out, "<s:Envelope xmlns:s=\"" NS_SOAP "\" xmlns:wsmid=\"" NS_IDENTITY
			     "\"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>");
}

enum err wsman_client_shell_create(struct buf *out, const struct wsman_client_header *h,
				   const struct shell_create_req *r)
{
	char codepage[16];
	struct wsman_pair opts[2] = {
		{.name = "WINRS_NOPROFILE", .value = r->noprofile ? "TRUE" : "FALSE"},
		{.name = "WINRS_CODEPAGE", .value = codepage},
	};
	enum err e;

	snprintf(codepage, sizeof(codepage), "%u", r->codepage ? r->codepage : 65001);
	if ((e = client_head(out, h, URI_SHELL_CMD, ACTION_CREATE, NULL, 0, opts, 2)) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:Shell>")) != ERR_OK)
		return e;
	if (r->working_dir &&
	    (e = put_text(out, "<rsp:WorkingDirectory>", r->working_dir, "</rsp:WorkingDirectory>")) != ERR_OK)
		return e;
	struct wsman_pair env[SHELL_MAX_ENV];
	if (r->nenv > SHELL_MAX_ENV)
		return ERR_LIMIT;
	for (uint32_t i = 0; i < r->nenv; i++)
		env[i] = (struct wsman_pair){.name = r->env_names[i], .value = r->env_values[i]};
	if ((e = put_named(out, "rsp:Environment", "rsp:Variable", env, r->nenv)) != ERR_OK)
		return e;
	if (r->idle_timeout_ms &&
	    ((e = buf_putf(out, "<rsp:IdleTimeOut>")) != ERR_OK ||
	     (e = util_duration_put_ms(out, r->idle_timeout_ms)) != ERR_OK ||
	     (e = buf_putf(out, "</rsp:IdleTimeOut>")) != ERR_OK))
		return e;
	if ((e = buf_putf(out, "<rsp:InputStreams>stdin</rsp:InputStreams>"
			       "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>")) != ERR_OK)
		return e;
	return client_tail(out);
}

enum err wsman_client_shell_command(struct buf *out, const struct wsman_client_header *h,
				    const struct shell_command_req *r)
{
	struct wsman_pair opts[2] = {
		{.name = "WINRS_CONSOLEMODE_STDIN", .value = "TRUE"},
		{.name = "WINRS_SKIP_CMD_SHELL", .value = r->skip_cmd_shell ? "TRUE" : "FALSE"},
	};
	enum err e;

	if (r->argc < 1)
		return ERR_USAGE;
	if ((e = client_head(out, h, URI_SHELL_CMD, ACTION_COMMAND, SHELL_SELECTOR(r->shell_id), opts, 2)) != ERR_OK ||
	    (e = put_text(out, "<rsp:CommandLine><rsp:Command>", r->argv[0], "</rsp:Command>")) != ERR_OK)
		return e;
	for (uint32_t i = 1; i < r->argc; i++)
		if ((e = put_text(out, "<rsp:Arguments>", r->argv[i], "</rsp:Arguments>")) != ERR_OK)
			return e;
	if ((e = buf_putf(out, "</rsp:CommandLine>")) != ERR_OK)
		return e;
	return client_tail(out);
}

enum err wsman_client_shell_send(struct buf *out, const struct wsman_client_header *h,
				 const struct shell_send_req *r)
{
	enum err e;

	if ((e = client_head(out, h, URI_SHELL_CMD, ACTION_SEND, SHELL_SELECTOR(r->shell_id), NULL, 0)) != ERR_OK ||
	    (e = put_text(out, "<rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"", r->command_id,
			  r->end ? "\" End=\"true\">" : "\">")) != ERR_OK ||
	    (e = util_b64_encode(out, r->data, r->len)) != ERR_OK ||
	    (e = buf_putf(out, "</rsp:Stream></rsp:Send>")) != ERR_OK)
		return e;
	return client_tail(out);
}

enum err wsman_client_shell_receive(struct buf *out, const struct wsman_client_header *h,
				    const char *shell_id, const char *command_id)
{
	struct wsman_pair opt = {.name = "WSMAN_CMDSHELL_OPTION_KEEPALIVE", .value = "TRUE"};
	enum err e;

	if ((e = client_head(out, h, URI_SHELL_CMD, ACTION_RECEIVE, SHELL_SELECTOR(shell_id), &opt, 1)) != ERR_OK ||
	    (e = put_text(out, "<rsp:Receive><rsp:DesiredStream CommandId=\"", command_id,
			  "\">stdout stderr</rsp:DesiredStream></rsp:Receive>")) != ERR_OK)
		return e;
	return client_tail(out);
}

enum err wsman_client_shell_signal(struct buf *out, const struct wsman_client_header *h,
				   const struct shell_signal_req *r)
{
	static const char *const codes[] = {
		[SHELL_SIGNAL_TERMINATE] = "terminate",
		[SHELL_SIGNAL_CTRL_C] = "ctrl_c",
		[SHELL_SIGNAL_CTRL_BREAK] = "ctrl_break",
	};
	enum err e;

	if (r->signal < SHELL_SIGNAL_TERMINATE || r->signal > SHELL_SIGNAL_CTRL_BREAK)
		return ERR_USAGE;
	if ((e = client_head(out, h, URI_SHELL_CMD, NS_SHELL "/Signal", SHELL_SELECTOR(r->shell_id), NULL, 0)) != ERR_OK ||
	    (e = put_text(out, "<rsp:Signal CommandId=\"", r->command_id, "\">")) != ERR_OK ||
	    (e = buf_putf(out, "<rsp:Code>" NS_SHELL "/signal/%s</rsp:Code></rsp:Signal>",
			  codes[r->signal])) != ERR_OK)
		return e;
	return client_tail(out);
}

enum err wsman_client_shell_delete(struct buf *out, const struct wsman_client_header *h,
				   const char *shell_id)
{
	enum err e;

	if ((e = client_head(out, h, URI_SHELL_CMD, ACTION_DELETE, SHELL_SELECTOR(shell_id), NULL, 0)) != ERR_OK)
		return e;
	return client_tail(out);
}

enum err wsman_client_request(struct buf *out, const struct wsman_client_header *h, const char *resource,
			      const char *action, const struct wsman_pair *selectors, size_t nselectors,
			      const char *body_xml)
{
	enum err e;

	if ((e = client_head(out, h, resource, action, selectors, nselectors, NULL, 0)) != ERR_OK ||
	    (body_xml && (e = buf_putf(out, "%s", body_xml)) != ERR_OK))
		return e;
	return client_tail(out);
}

/* ---- replies ---- */

static xmlNode *child(const xmlNode *parent, const char *ns, const char *name)
{
	for (xmlNode *c = parent ? wsman_xml_first(parent) : NULL; c; c = wsman_xml_next(c))
		if (wsman_xml_is(c, ns, name))
			return c;
	return NULL;
}

/* The text of an element into a fixed array; ERR_FORMAT when missing or
 * too long. */
static enum err text_into(const xmlNode *n, char *dst, size_t cap)
{
	char *v;
	enum err e;

	if (!n)
		return ERR_FORMAT;
	if ((e = wsman_xml_text(n, cap - 1, 1, &v)) != ERR_OK)
		return e == ERR_WSMAN_ENCODING_LIMIT ? ERR_FORMAT : e;
	snprintf(dst, cap, "%s", v);
	free(v);
	return *dst ? ERR_OK : ERR_FORMAT;
}

/* Every text of the subtree, blanks between pieces, whitespace runs
 * folded: fault messages may nest (f:Message/f:ProviderFault). */
static void all_text(const xmlNode *n, struct buf *out)
{
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			all_text(c, out);
		} else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
			for (const char *s = (const char *)c->content; *s; s++) {
				int space = *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n';
				size_t n_ = buf_len(out);
				if (space && (n_ == 0 || buf_ptr(out)[n_ - 1] == ' '))
					continue;
				if (buf_put_u8(out, space ? ' ' : (uint8_t)*s) != ERR_OK)
					return;
			}
			if (buf_len(out) && buf_ptr(out)[buf_len(out) - 1] != ' ')
				buf_put_u8(out, ' ');
		}
	}
}

enum err wsman_client_fault(const struct wsman_request *resp, struct wsman_client_fault *f)
{
	xmlNode *fault = resp->body, *n;
	char *v = NULL;
	struct buf msg;

	memset(f, 0, sizeof(*f));
	if (!fault || !wsman_xml_is(fault, NS_SOAP, "Fault"))
		return ERR_FORMAT;
	if ((n = child(child(child(fault, NS_SOAP, "Code"), NS_SOAP, "Subcode"), NS_SOAP, "Value"))) {
		char sub[sizeof(f->subcode)];
		if (text_into(n, sub, sizeof(sub)) == ERR_OK) {
			const char *colon = strchr(sub, ':');
			snprintf(f->subcode, sizeof(f->subcode), "%s", colon ? colon + 1 : sub);
		}
	}
	n = child(child(fault, NS_SOAP, "Detail"), NS_WSMANFAULT, "WSManFault");
	if (n && wsman_xml_attr(n, NULL, "Code", 32, &v) == ERR_OK && v) {
		uint64_t code;
		if (util_parse_u64(v, UINT32_MAX, &code) == ERR_OK)
			f->code = (uint32_t)code;
		free(v);
	}
	buf_init(&msg, sizeof(f->message) - 1);
	if (n && (n = child(n, NS_WSMANFAULT, "Message")))
		all_text(n, &msg);
	if (buf_len(&msg) == 0 && (n = child(child(fault, NS_SOAP, "Reason"), NS_SOAP, "Text")))
		all_text(n, &msg);
	size_t len = buf_len(&msg);
	while (len && buf_ptr(&msg)[len - 1] == ' ')
		len--;
	memcpy(f->message, buf_ptr(&msg), len);
	f->message[len] = 0;
	buf_clear(&msg);
	return ERR_OK;
}

/* The element {ns}name among the children of s:Body. */
static xmlNode *body_element(const struct wsman_request *resp, const char *ns, const char *name)
{
	for (xmlNode *n = resp->body; n; n = wsman_xml_next(n))
		if (wsman_xml_is(n, ns, name))
			return n;
	return NULL;
}

enum err wsman_client_shell_created(const struct wsman_request *resp, char shell_id[SHELL_ID_LEN + 1])
{
	xmlNode *n;

	/* rsp:Shell/rsp:ShellId, else the ShellId selector of ResourceCreated. */
	if ((n = child(body_element(resp, NS_SHELL, "Shell"), NS_SHELL, "ShellId")))
		return text_into(n, shell_id, SHELL_ID_LEN + 1);
	n = child(child(child(body_element(resp, NS_TRANSFER, "ResourceCreated"), NS_WSA, "ReferenceParameters"),
			NS_WSMAN, "SelectorSet"),
		  NS_WSMAN, "Selector");
	return text_into(n, shell_id, SHELL_ID_LEN + 1);
}

enum err wsman_client_command_started(const struct wsman_request *resp,
				      char command_id[SHELL_ID_LEN + 1])
{
	if (!resp->body || !wsman_xml_is(resp->body, NS_SHELL, "CommandResponse"))
		return ERR_FORMAT;
	return text_into(child(resp->body, NS_SHELL, "CommandId"), command_id, SHELL_ID_LEN + 1);
}

enum err wsman_client_received(const struct wsman_request *resp, wsman_client_output_fn *fn, void *arg,
			       int *done, uint32_t *exit_code)
{
	xmlNode *rr = resp->body, *state;
	struct buf data;
	enum err e = ERR_OK;

	*done = 0;
	*exit_code = 0;
	if (!rr || !wsman_xml_is(rr, NS_SHELL, "ReceiveResponse"))
		return ERR_FORMAT;
	buf_init(&data, CLIENT_MAX_TEXT);
	for (xmlNode *c = wsman_xml_first(rr); c && e == ERR_OK; c = wsman_xml_next(c)) {
		char *name = NULL, *text = NULL;
		if (!wsman_xml_is(c, NS_SHELL, "Stream"))
			continue;
		/* One text node, the usual shape, is decoded where it lies (the
		 * decoder skips the whitespace a trim would remove). */
		const xmlNode *t = c->children;
		int direct = t && !t->next && t->type == XML_TEXT_NODE && t->content;
		if ((e = wsman_xml_attr(c, NULL, "Name", 64, &name)) == ERR_OK &&
		    (direct || (e = wsman_xml_text(c, CLIENT_MAX_TEXT, 1, &text)) == ERR_OK)) {
			const char *b64 = direct ? (const char *)t->content : text;
			buf_reset(&data);
			if ((e = util_b64_decode(&data, b64, strlen(b64))) == ERR_OK && buf_len(&data))
				fn(arg, name && strcasecmp(name, "stderr") == 0 ? SHELL_STDERR : SHELL_STDOUT,
				   buf_ptr(&data), buf_len(&data));
		}
		free(name);
		free(text);
	}
	buf_clear(&data);
	if (e != ERR_OK)
		return ERR_FORMAT;
	if ((state = child(rr, NS_SHELL, "CommandState"))) {
		char *s = NULL;
		if (wsman_xml_attr(state, NULL, "State", 256, &s) == ERR_OK && s) {
			size_t n = strlen(s), k = strlen("CommandState/Done");
			*done = n >= k && strcmp(s + n - k, "CommandState/Done") == 0;
		}
		free(s);
		xmlNode *code = child(state, NS_SHELL, "ExitCode");
		char num[24];
		uint64_t v;
		/* Windows writes exit codes unsigned; a minus sign is tolerated. */
		if (code && text_into(code, num, sizeof(num)) == ERR_OK) {
			if (num[0] == '-' && util_parse_u64(num + 1, (uint64_t)INT32_MAX + 1, &v) == ERR_OK)
				*exit_code = (uint32_t)(0 - v);
			else if (util_parse_u64(num, UINT32_MAX, &v) == ERR_OK)
				*exit_code = (uint32_t)v;
		}
	}
	return ERR_OK;
}

/* An element as standalone XML text in a new string. */
static enum err element_xml(const xmlNode *n, char **out)
{
	struct buf b;
	enum err e;

	*out = NULL;
	buf_init(&b, CLIENT_MAX_TEXT * 8);
	if ((e = wsman_xml_dump(n, 0, &b)) == ERR_OK && (e = buf_terminate(&b)) == ERR_OK &&
	    !(*out = strdup((const char *)buf_ptr(&b))))
		e = ERR_NOMEM;
	buf_clear(&b);
	return e;
}

enum err wsman_client_body_xml(const struct wsman_request *resp, char **xml)
{
	*xml = NULL;
	return resp->body ? element_xml(resp->body, xml) : ERR_OK;
}

enum err wsman_client_enumerated(const struct wsman_request *resp, wsman_client_item_fn *fn, void *arg,
				 char *context, size_t cap, int *end)
{
	xmlNode *r = resp->body, *items = NULL, *ctx;
	enum err e = ERR_OK;

	*end = 0;
	context[0] = 0;
	if (!r || (!wsman_xml_is(r, NS_ENUMERATION, "EnumerateResponse") &&
		   !wsman_xml_is(r, NS_ENUMERATION, "PullResponse")))
		return ERR_FORMAT;
	/* Optimized enumeration answers in w:Items / w:EndOfSequence, Pull in
	 * the n: ones (winrm-protocol.md 6.7). */
	for (xmlNode *c = wsman_xml_first(r); c; c = wsman_xml_next(c)) {
		if (wsman_xml_is(c, NS_WSMAN, "Items") || wsman_xml_is(c, NS_ENUMERATION, "Items"))
			items = c;
		else if (wsman_xml_is(c, NS_WSMAN, "EndOfSequence") || wsman_xml_is(c, NS_ENUMERATION, "EndOfSequence"))
			*end = 1;
	}
	if ((ctx = child(r, NS_ENUMERATION, "EnumerationContext")) && ctx->children &&
	    text_into(ctx, context, cap) != ERR_OK)
		return ERR_FORMAT;
	for (xmlNode *c = items ? wsman_xml_first(items) : NULL; c && e == ERR_OK; c = wsman_xml_next(c)) {
		char *xml;
		if ((e = element_xml(c, &xml)) == ERR_OK) {
			e = fn(arg, xml);
			free(xml);
		}
	}
	if (!context[0])
		*end = 1;
	return e;
}
