/* fuzz_wsman: wsman_parse, then every shell decoder (shell_soap.c) and the Put/Create
 * and enumeration decoders on whatever parsed, then the replies and the
 * fault built from the decoded (attacker-chosen) strings, which must
 * always be well-formed XML. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "shell/shell_ops.h"
#include "shell/shell_soap.h"
#include "wsman/wsman.h"

static void well_formed(struct buf *b)
{
	xmlDocPtr d = xmlReadMemory((const char *)buf_ptr(b), (int)buf_len(b), NULL, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!d)
		abort();
	xmlFreeDoc(d);
	buf_reset(b);
}

/* The configuration resources' decoders; the names and values they
 * return go back out in replies. */
static void config_bodies(const struct wsman_request *req, struct buf *out)
{
	struct wsman_properties props;
	struct wsman_enumerate_req en;
	struct wsman_pull_req pl;
	const char *items[2] = {"<i/>", "<j/>"};

	if (req->body && wsman_properties_parse(req, (const char *)((xmlNode *)req->body)->name,
						&props) == ERR_OK) {
		const char *names[2] = {"", ""}, *values[2] = {"", ""};
		for (uint32_t i = 0; i < props.n && i < 2; i++) {
			names[i] = props.p[i].name;
			values[i] = props.p[i].value ? props.p[i].value : "";
		}
		if (wsman_reply_resource_created(out, req, req->hdr.to, req->hdr.resource_uri,
						 names, values, 2) == ERR_OK)
			well_formed(out);
		wsman_properties_clear(&props);
	}
	if (wsman_enumerate_parse(req, &en) == ERR_OK &&
	    wsman_reply_enumerate(out, req, req->hdr.message_id, en.optimize, items, 2,
				  en.max_elements == 2) == ERR_OK)
		well_formed(out);
	if (wsman_pull_parse(req, &pl) == ERR_OK &&
	    wsman_reply_pull(out, req, pl.context, items, 1, pl.max_elements == 1) == ERR_OK)
		well_formed(out);
	if (wsman_release_parse(req, &pl) == ERR_OK && wsman_reply_release(out, req) == ERR_OK)
		well_formed(out);
}

/* Disconnect, Reconnect, Connect and the Enumerate of shells and
 * commands; the replies carry attacker-chosen strings. */
static void disconnected_shells(const struct wsman_request *req,
				const struct shell_service_ctx *sctx, struct buf *out)
{
	struct shell_disconnect_req dc;
	struct shell_reconnect_req rc;
	struct shell_connect_req cn;
	struct shell_list_req ls;
	static struct shell_list_reply listed;
	struct shell_reply_ctx ctx = {.owner = req->hdr.locale ? req->hdr.locale : ""};

	(void)shell_soap_disconnect_parse(req, sctx, &dc);
	(void)shell_soap_reconnect_parse(req, sctx, &rc);
	if (shell_soap_connect_parse(req, sctx, &cn) == ERR_OK) {
		struct shell_connect_reply r = {.len = 3, .data = {0, 1, 2}};
		if (shell_soap_connect_reply(out, req, &ctx, &cn, &r) == ERR_OK)
			well_formed(out);
		shell_connect_req_clear(&cn);
	}
	if (shell_soap_list_shells_parse(req, sctx, &ls) == ERR_OK ||
	    shell_soap_list_commands_parse(req, sctx, &ls) == ERR_OK) {
		memset(&listed, 0, sizeof(listed));
		/* the second shell has no endpoint: a cmd shell's item */
		listed.nshells = 2;
		listed.ncommands = 1;
		snprintf(listed.shells[0].endpoint, sizeof(listed.shells[0].endpoint), "%s",
			 req->hdr.resource_uri ? req->hdr.resource_uri : "");
		snprintf(listed.shells[0].client_ip, sizeof(listed.shells[0].client_ip), "%s",
			 req->hdr.action ? req->hdr.action : "");
		listed.shells[0].memory_bytes = UINT64_MAX;
		listed.shells[0].run_ms = UINT64_MAX;
		if (shell_soap_list_reply(out, req, &ctx, &ls, &listed) == ERR_OK)
			well_formed(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wsman_request req;
	struct shell_create_req cr;
	struct shell_command_req cm;
	struct shell_send_req sd;
	struct shell_receive_req rc;
	struct shell_signal_req sg;
	struct shell_delete_req dl;
	struct buf out;
	enum err e = wsman_parse(data, size, &req);

	buf_init(&out, 1 << 22);
	wsman_fault(&out, e == ERR_OK ? ERR_WSMAN_TIMED_OUT : e, req.hdr.message_id, req.hdr.to);
	if (buf_len(&out) > 0)
		well_formed(&out);
	if (e == ERR_OK) {
		static const struct shell_service_ctx sctx = {.client_ip = "192.0.2.1",
							      .max_timeout_ms = 60000};
		if (shell_soap_create_parse(&req, &sctx, &cr) == ERR_OK) {
			struct shell_reply_ctx ctx = {.machine_url = req.hdr.to,
						      .owner = req.hdr.locale,
						      .client_ip = req.hdr.action};
			struct shell_create_reply created = {.idle_timeout_ms = cr.idle_timeout_ms};
			snprintf(created.shell_id, sizeof(created.shell_id), "%s",
				 req.hdr.resource_uri ? req.hdr.resource_uri : "");
			if (shell_soap_create_reply(&out, &req, &ctx, &cr, &created) == ERR_OK)
				well_formed(&out);
			shell_create_req_clear(&cr);
		}
		if (shell_soap_command_parse(&req, &sctx, &cm) == ERR_OK) {
			struct shell_command_reply started;
			snprintf(started.command_id, sizeof(started.command_id), "%s",
				 cm.argv[cm.argc - 1]);
			if (shell_soap_command_reply(&out, &req, NULL, &cm, &started) == ERR_OK)
				well_formed(&out);
			shell_command_req_clear(&cm);
		}
		if (shell_soap_send_parse(&req, &sctx, &sd) == ERR_OK) {
			struct shell_receive_reply r = {.nchunks = 1,
							.chunks = {{SHELL_STDERR, sd.data, sd.len}},
							.done = sd.end,
							.exit_code = (uint32_t)sd.len};
			struct shell_receive_req rq;
			memcpy(rq.command_id, sd.command_id, sizeof(rq.command_id));
			if (shell_soap_receive_reply(&out, &req, NULL, &rq, &r) == ERR_OK)
				well_formed(&out);
			shell_send_req_clear(&sd);
		}
		disconnected_shells(&req, &sctx, &out);
		shell_soap_receive_parse(&req, &sctx, &rc);
		shell_soap_signal_parse(&req, &sctx, &sg);
		shell_soap_delete_parse(&req, &sctx, &dl);
		if (wsman_reply_delete(&out, &req) == ERR_OK)
			well_formed(&out);
		config_bodies(&req, &out);
	}
	buf_clear(&out);
	wsman_request_clear(&req);
	return 0;
}
