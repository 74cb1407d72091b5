/* fuzz_wsman_client: wsman_parse on a reply, then every wsman_client_*
 * reader on it, whatever the parse said. What the readers return must
 * keep within its bounds; the output callback reads every byte it is
 * handed; and the ids a reply hands over, sent back in the next requests,
 * must give envelopes the service's own parser reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "shell/shell_ops.h"
#include "shell/shell_soap.h"
#include "wsman/wsman.h"

struct touched {
	uint64_t sum;
	size_t bytes;
};

static void touch(void *arg, enum shell_stream stream, const uint8_t *data, size_t len)
{
	struct touched *t = arg;

	if ((stream != SHELL_STDOUT && stream != SHELL_STDERR) || len == 0)
		abort();
	for (size_t i = 0; i < len; i++)
		t->sum = t->sum * 31 + data[i];
	t->bytes += len;
}

static void check_fault(const struct wsman_client_fault *f)
{
	size_t n = strnlen(f->message, sizeof(f->message));

	if (strnlen(f->subcode, sizeof(f->subcode)) == sizeof(f->subcode) ||
	    n == sizeof(f->message))
		abort();
	/* Folded: no leading, trailing or doubled blank, no other space. */
	if (n && (f->message[0] == ' ' || f->message[n - 1] == ' '))
		abort();
	if (strstr(f->message, "  ") || strpbrk(f->message, "\t\r\n"))
		abort();
}

static void check_id(const char *id)
{
	size_t n = strnlen(id, SHELL_ID_LEN + 1);

	if (n == 0 || n > SHELL_ID_LEN)
		abort();
}

/* The next requests of a session, built with ids from the reply. */
static void send_back(const char *shell_id, const char *command_id)
{
	static const struct wsman_client_header h = {.to = "http://192.168.56.11:5985/wsman",
						     .operation_timeout_ms = 60000,
						     .max_envelope_size = 153600};
	char *argv[] = {"cmd"};
	struct shell_command_req cm = {.argc = 1, .argv = argv};
	struct shell_signal_req sg = {.signal = SHELL_SIGNAL_TERMINATE};
	struct shell_receive_req rc = {0};
	struct shell_delete_req dl = {0};
	struct wsman_request req;
	struct buf out;

	memcpy(cm.shell_id, shell_id, strlen(shell_id) + 1);
	memcpy(sg.shell_id, shell_id, strlen(shell_id) + 1);
	memcpy(sg.command_id, command_id, strlen(command_id) + 1);
	memcpy(rc.shell_id, shell_id, strlen(shell_id) + 1);
	memcpy(rc.command_id, command_id, strlen(command_id) + 1);
	memcpy(dl.shell_id, shell_id, strlen(shell_id) + 1);
	buf_init(&out, 1 << 20);
	for (int i = 0; i < 4; i++) {
		enum err e = i == 0   ? shell_soap_command_build(&out, &h, &cm)
			     : i == 1 ? shell_soap_receive_build(&out, &h, &rc)
			     : i == 2 ? shell_soap_signal_build(&out, &h, &sg)
				      : shell_soap_delete_build(&out, &h, &dl);
		if (e != ERR_OK || wsman_parse(buf_ptr(&out), buf_len(&out), &req) != ERR_OK)
			abort();
		wsman_request_clear(&req);
		buf_reset(&out);
	}
	buf_clear(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every item of an enumeration must be standalone XML the winrm tool can
 * show. */
static enum err item(void *arg, const char *xml)
{
	struct buf out;

	(void)arg;
	buf_init(&out, 1 << 24);
	if (wsman_text_render(xml, strlen(xml), WSMAN_TEXT_PLAIN, &out) != ERR_OK)
		abort();
	buf_clear(&out);
	return ERR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wsman_request resp;
	struct wsman_client_fault f;
	struct touched t = {0, 0};
	char shell_id[SHELL_ID_LEN + 1] = "", command_id[SHELL_ID_LEN + 1] = "";

	wsman_parse(data, size, &resp);
	if (wsman_client_fault(&resp, &f) == ERR_OK)
		check_fault(&f);
	struct shell_create_reply created;
	struct shell_command_reply started;
	struct shell_received got = {.output = touch, .arg = &t, .done = -1, .exit_code = 1};
	if (shell_soap_create_read(&resp, &created) == ERR_OK) {
		check_id(created.shell_id);
		memcpy(shell_id, created.shell_id, sizeof(shell_id));
	}
	struct shell_ps_created ps;
	if (shell_soap_ps_create_read(&resp, &ps) == ERR_OK) {
		check_id(ps.reply.shell_id);
		/* The rsp:Shell handed to PowerShell reads alone, its
		 * namespaces declared. */
		if (ps.shell_xml) {
			xmlDoc *doc =
			    xmlReadMemory(ps.shell_xml, (int)strlen(ps.shell_xml), NULL, NULL,
					  XML_PARSE_NONET | XML_PARSE_NOERROR |
					      XML_PARSE_NOWARNING | XML_PARSE_NSCLEAN);
			if (!doc || !xmlDocGetRootElement(doc)->ns)
				abort();
			xmlFreeDoc(doc);
		}
		free(ps.shell_xml);
	}
	if (shell_soap_command_read(&resp, &started) == ERR_OK) {
		check_id(started.command_id);
		memcpy(command_id, started.command_id, sizeof(command_id));
	}
	if (shell_soap_receive_read(&resp, &got) == ERR_OK) {
		if (got.done != 0 && got.done != 1)
			abort();
	}
	char context[256], *body = NULL;
	int end = -1;
	if (wsman_client_enumerated(&resp, item, NULL, context, sizeof(context), &end) == ERR_OK &&
	    ((end != 0 && end != 1) || strlen(context) >= sizeof(context)))
		abort();
	if (wsman_client_body_xml(&resp, &body) == ERR_OK && body) {
		item(NULL, body);
		free(body);
	}
	if (shell_id[0] || command_id[0])
		send_back(shell_id[0] ? shell_id : command_id,
			  command_id[0] ? command_id : shell_id);
	wsman_request_clear(&resp);
	return 0;
}
