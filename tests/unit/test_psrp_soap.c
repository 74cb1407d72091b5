/* test_psrp_soap: the PowerShell endpoints' rows of shell_ops (MS-PSRP
 * 3.1.5.3) against requests shaped as pypsrp recorded them from Windows
 * (docs/psrp.md section 1; the envelopes below carry its header as
 * recorded, with short PSRP payloads): the resource-prefix match, Create's
 * validation (protocolversion, PS_ options, streams, creationXml, the
 * session configuration), the pool as a target of Send, Receive and
 * Signal, PowerShell's signal codes, and the Create and pool Receive
 * replies in Windows' shape. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/winrm.h"
#include "common/buf.h"
#include "common/err.h"
#include "shell/shell_ops.h"
#include "shell/shell_soap.h"
#include "wsman/wsman.h"
#include "check.h"

#define STREQ(a, b) ((a) && (b) && strcmp((a), (b)) == 0)
#define SHELL_ID "32835EAA-1E68-4691-8936-4234A6EE2DD3"
#define CMD_ID "8372DF51-5986-4AC3-96B4-8C519AE0976F"
#define PS_URI SHELL_PS_URI_PREFIX "Microsoft.PowerShell"
#define SIGNAL_URI "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/"

static const char *const endpoints[] = {"Microsoft.PowerShell", "PowerShell.7", NULL};
static const struct shell_service_ctx ctx = {.client_ip = "127.0.0.1",
					     .ps_endpoints = endpoints,
					     .pwsh = "/opt/pwsh/pwsh",
					     .max_timeout_ms = 60000};

/* pypsrp's recorded envelope (test_psrp_stream_output_invocation). */
static enum err request(const char *action, const char *resource, const char *options,
			const char *selector, const char *body, struct wsman_request *req)
{
	static char doc[256 * 1024]; /* room for a PSRP fragment of 150 KB of base64 */
	int n = snprintf(
	    doc, sizeof(doc),
	    "<s:Envelope xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\" "
	    "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
	    "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
	    "xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
	    "xmlns:wsmv=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\"><s:Header>"
	    "<wsa:Action s:mustUnderstand=\"true\">%s</wsa:Action>"
	    "<wsmv:DataLocale s:mustUnderstand=\"false\" xml:lang=\"en-US\" />"
	    "<wsman:Locale s:mustUnderstand=\"false\" xml:lang=\"en-US\" />"
	    "<wsman:MaxEnvelopeSize s:mustUnderstand=\"true\">512000</wsman:MaxEnvelopeSize>"
	    "<wsa:MessageID>uuid:1A6DB7C4-E618-4792-93ED-803D4745233B</wsa:MessageID>"
	    "<wsman:OperationTimeout>PT20S</wsman:OperationTimeout>"
	    "<wsa:ReplyTo><wsa:Address s:mustUnderstand=\"true\">"
	    "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:Address>"
	    "</wsa:ReplyTo>"
	    "<wsman:ResourceURI s:mustUnderstand=\"true\">%s</wsman:ResourceURI>"
	    "<wsmv:SessionId s:mustUnderstand=\"false\">"
	    "uuid:7C007E5F-D153-40C5-81B5-A22CBCB425AD</wsmv:SessionId>"
	    "<wsa:To>https://127.0.0.1:55986/wsman</wsa:To>%s%s</s:Header>"
	    "<s:Body>%s</s:Body></s:Envelope>",
	    action, resource, options, selector, body);
	if (n < 0 || (size_t)n >= sizeof(doc))
		abort();
	return wsman_parse((const uint8_t *)doc, (size_t)n, req);
}

#define PROTOCOL_23                                                                                \
	"<wsman:OptionSet s:mustUnderstand=\"true\"><wsman:Option MustComply=\"true\" "            \
	"Name=\"protocolversion\">2.3</wsman:Option></wsman:OptionSet>"
#define SELECTOR                                                                                   \
	"<wsman:SelectorSet><wsman:Selector Name=\"ShellId\">" SHELL_ID                            \
	"</wsman:Selector></wsman:SelectorSet>"
#define CREATION_XML "AAAAAAAAAAEAAAAAAAAAAAMAAADHAgAAAAIAAQAyg16qHmhGkYk2QjSm7i3T"
#define SHELL_BODY(streams_in, extra)                                                              \
	"<rsp:Shell ShellId=\"" SHELL_ID "\"><rsp:InputStreams>" streams_in "</rsp:InputStreams>"  \
	"<rsp:OutputStreams>stdout</rsp:OutputStreams>" extra "</rsp:Shell>"
#define CREATION                                                                                   \
	"<creationXml xmlns=\"http://schemas.microsoft.com/powershell\">" CREATION_XML             \
	"</creationXml>"

static enum err ps_create(const char *resource, const char *options, const char *body,
			  struct shell_create_req *c)
{
	struct wsman_request req;
	enum err e = request(ACTION_CREATE, resource, options, "", body, &req);

	if (e == ERR_OK)
		e = shell_soap_ps_create_parse(&req, &ctx, c);
	wsman_request_clear(&req);
	return e;
}

static void test_rows(void)
{
	const struct shell_op *op = shell_op_find(PS_URI, ACTION_CREATE);

	CHECK("a PowerShell URI finds the PowerShell Create row",
	      op && shell_op_id(op) == SHELL_PS_CREATE);
	op = shell_op_find(SHELL_PS_URI_PREFIX "Some.Endpoint", ACTION_RECEIVE);
	CHECK("any configuration name finds the rows", op && shell_op_id(op) == SHELL_PS_RECEIVE);
	op = shell_op_find("HTTP://SCHEMAS.MICROSOFT.COM/POWERSHELL/microsoft.powershell",
			   ACTION_SIGNAL);
	CHECK("the prefix matches without regard to case",
	      op && shell_op_id(op) == SHELL_PS_SIGNAL);
	CHECK("the bare prefix is no resource", !shell_op_resource(SHELL_PS_URI_PREFIX));
	op = shell_op_find(URI_SHELL_CMD, ACTION_CREATE);
	CHECK("cmd keeps its own rows", op && shell_op_id(op) == SHELL_CMD_CREATE);
}

static void test_create(void)
{
	struct shell_create_req c;

	CHECK("Windows-shaped Create decodes",
	      ps_create(PS_URI, PROTOCOL_23, SHELL_BODY("stdin pr", CREATION), &c) == ERR_OK);
	CHECK("the client's ShellId", STREQ(c.shell_id, SHELL_ID));
	CHECK("the session configuration", STREQ(c.endpoint, "Microsoft.PowerShell"));
	CHECK("creationXml as sent", STREQ(c.creation_xml, CREATION_XML));
	CHECK("protocolversion", STREQ(c.protocol_version, "2.3"));
	CHECK("the service's pwsh and the peer",
	      STREQ(c.pwsh, "/opt/pwsh/pwsh") && STREQ(c.client_ip, "127.0.0.1"));
	shell_create_req_clear(&c);

	CHECK("configuration names match without regard to case",
	      ps_create(SHELL_PS_URI_PREFIX "powershell.7", PROTOCOL_23,
			SHELL_BODY("stdin pr", CREATION), &c) == ERR_OK &&
		  STREQ(c.endpoint, "PowerShell.7"));
	shell_create_req_clear(&c);

	static const struct {
		const char *name, *resource, *options, *body;
		enum err e;
	} bad[] = {
	    {"an unknown configuration", SHELL_PS_URI_PREFIX "Nope", PROTOCOL_23,
	     SHELL_BODY("stdin pr", CREATION), ERR_WSMAN_NO_ENDPOINT},
	    {"no protocolversion", PS_URI, "", SHELL_BODY("stdin pr", CREATION),
	     ERR_WSMAN_INVALID_PARAMETER},
	    {"protocol 3.0", PS_URI,
	     "<wsman:OptionSet><wsman:Option MustComply=\"true\" "
	     "Name=\"protocolversion\">3.0</wsman:Option></wsman:OptionSet>",
	     SHELL_BODY("stdin pr", CREATION), ERR_WSMAN_INVALID_PARAMETER},
	    {"a PS_ option that must be complied with", PS_URI,
	     "<wsman:OptionSet><wsman:Option MustComply=\"true\" "
	     "Name=\"protocolversion\">2.3</wsman:Option><wsman:Option MustComply=\"true\" "
	     "Name=\"PS_FUTURE\">1</wsman:Option></wsman:OptionSet>",
	     SHELL_BODY("stdin pr", CREATION), ERR_WSMAN_INVALID_PARAMETER},
	    {"no creationXml", PS_URI, PROTOCOL_23, SHELL_BODY("stdin pr", ""), ERR_WSMAN_SCHEMA},
	    {"no input streams", PS_URI, PROTOCOL_23, SHELL_BODY("", CREATION),
	     ERR_WSMAN_INVALID_PARAMETER},
	    {"a ShellId that is not a GUID", PS_URI, PROTOCOL_23,
	     "<rsp:Shell ShellId=\"x\"><rsp:InputStreams>stdin</rsp:InputStreams>"
	     "<rsp:OutputStreams>stdout</rsp:OutputStreams>" CREATION "</rsp:Shell>",
	     ERR_WSMAN_INVALID_PARAMETER},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[128];
		snprintf(name, sizeof(name), "Create refused: %s", bad[i].name);
		CHECK(name,
		      ps_create(bad[i].resource, bad[i].options, bad[i].body, &c) == bad[i].e &&
			  !c.endpoint && !c.creation_xml);
	}
}

/* Windows PowerShell's header, unless -NoCompression (docs/psrp.md,
 * "Compression"). */
#define COMPRESSION(value, required)                                                               \
	"<rsp:CompressionType s:mustUnderstand=\"" required "\">" value "</rsp:CompressionType>"

static void test_create_compression(void)
{
	static const struct {
		const char *name, *header;
		enum err e;
		uint32_t compression; /* when e is ERR_OK */
	} cases[] = {
	    {"no CompressionType: none", "", ERR_OK, SHELL_COMPRESSION_NONE},
	    {"a mandatory xpress: xpress", COMPRESSION("xpress", "true"), ERR_OK,
	     SHELL_COMPRESSION_XPRESS},
	    {"an optional xpress: xpress", COMPRESSION("xpress", "false"), ERR_OK,
	     SHELL_COMPRESSION_XPRESS},
	    {"a mandatory unknown algorithm: s:MustUnderstand", COMPRESSION("lznt1", "true"),
	     ERR_WSMAN_MUST_UNDERSTAND, 0},
	    {"the name compared exactly, as OMI does", COMPRESSION("XPRESS", "true"),
	     ERR_WSMAN_MUST_UNDERSTAND, 0},
	    {"an optional unknown algorithm ignored: none", COMPRESSION("lznt1", "false"), ERR_OK,
	     SHELL_COMPRESSION_NONE},
	    {"two CompressionType headers: ambiguous",
	     COMPRESSION("xpress", "true") COMPRESSION("xpress", "true"), ERR_WSMAN_INVALID_HEADER,
	     0},
	};
	struct shell_create_req c;
	struct wsman_request req;
	char options[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(options, sizeof(options), "%s%s", PROTOCOL_23, cases[i].header);
		enum err e = ps_create(PS_URI, options, SHELL_BODY("stdin pr", CREATION), &c);
		CHECK(cases[i].name,
		      e == cases[i].e &&
			  (e != ERR_OK ? !c.endpoint : c.compression == cases[i].compression));
		if (e == ERR_OK)
			shell_create_req_clear(&c);
	}
	/* The envelope parser knows the header: mandatory on any request
	 * it is no unknown header. */
	CHECK("the envelope takes a mandatory CompressionType",
	      request(ACTION_RECEIVE, PS_URI, COMPRESSION("xpress", "true"), SELECTOR,
		      "<rsp:Receive><rsp:DesiredStream>stdout</rsp:DesiredStream></rsp:Receive>",
		      &req) == ERR_OK &&
		  STREQ(req.hdr.compression_type, "xpress") && req.hdr.compression_type_required);
	wsman_request_clear(&req);
}

/* PowerShell's first CREATE_PIPELINE fragment is as large as the
 * client's fragments: libpsrpclient's are 109 KiB, 149 KB of base64
 * (Copy-Item -ToSession sends them). A cmd argument stays within
 * SHELL_MAX_STRING. */
static void test_command_argument_limits(void)
{
	struct wsman_request req;
	struct shell_command_req c;
	size_t fragment = (WINRM_SEND_MAX_BYTES + 2) / 3 * 4;
	char *body = malloc(fragment + 256);
	int n;

	if (!body)
		abort();
	n = sprintf(body, "<rsp:CommandLine CommandId=\"" CMD_ID
			  "\"><rsp:Command>x</rsp:Command><rsp:Arguments>");
	memset(body + n, 'A', fragment);
	strcpy(body + n + fragment, "</rsp:Arguments></rsp:CommandLine>");
	CHECK("a Command of a 109 KiB fragment parses",
	      request(ACTION_COMMAND, PS_URI, "", SELECTOR, body, &req) == ERR_OK);
	CHECK("a pipeline's Arguments may be a whole 109 KiB fragment",
	      shell_soap_ps_command_parse(&req, &ctx, &c) == ERR_OK && c.argc == 2 &&
		  strlen(c.argv[1]) == fragment);
	shell_command_req_clear(&c);
	CHECK("a cmd argument of that size is over the limit",
	      shell_soap_command_parse(&req, &ctx, &c) == ERR_WSMAN_ENCODING_LIMIT);
	wsman_request_clear(&req);
	free(body);
}

static void test_command_send_receive_signal(void)
{
	struct wsman_request req;
	struct shell_command_req c;
	struct shell_send_req s;
	struct shell_receive_req r;
	struct shell_signal_req g;

	CHECK("Command parses",
	      request(ACTION_COMMAND, PS_URI,
		      "<wsman:OptionSet s:mustUnderstand=\"true\"><wsman:Option "
		      "Name=\"WINRS_SKIP_CMD_SHELL\">False</wsman:Option></wsman:OptionSet>",
		      SELECTOR,
		      "<rsp:CommandLine CommandId=\"" CMD_ID "\"><rsp:Command /><rsp:Arguments>"
		      "AAAAAAAAAAMAAAAAAAAAAAMAAAo6AgAAAAYQAgAy</rsp:Arguments></rsp:CommandLine>",
		      &req) == ERR_OK);
	CHECK("an empty command line and the pipeline in Arguments",
	      shell_soap_ps_command_parse(&req, &ctx, &c) == ERR_OK && c.argc == 2 &&
		  STREQ(c.argv[0], "") &&
		  STREQ(c.argv[1], "AAAAAAAAAAMAAAAAAAAAAAMAAAo6AgAAAAYQAgAy") &&
		  STREQ(c.command_id, CMD_ID));
	shell_command_req_clear(&c);
	CHECK("cmd still wants a command line",
	      shell_soap_command_parse(&req, &ctx, &c) == ERR_WSMAN_INVALID_PARAMETER);
	wsman_request_clear(&req);

	test_command_argument_limits();

	request(ACTION_COMMAND, PS_URI, "", SELECTOR,
		"<rsp:CommandLine CommandId=\"" CMD_ID "\"><rsp:Command> </rsp:Command>"
		"</rsp:CommandLine>",
		&req);
	CHECK("a Command without its pipeline is refused",
	      shell_soap_ps_command_parse(&req, &ctx, &c) == ERR_WSMAN_INVALID_PARAMETER &&
		  !c.argv);
	wsman_request_clear(&req);

	request(ACTION_SEND, PS_URI, "", SELECTOR,
		"<rsp:Send><rsp:Stream Name=\"stdin\">AAAA</rsp:Stream></rsp:Send>", &req);
	CHECK("Send to the pool", shell_soap_ps_send_parse(&req, &ctx, &s) == ERR_OK &&
				      !*s.command_id && s.stream == SHELL_STDIN && s.len == 3);
	shell_send_req_clear(&s);
	CHECK("cmd wants a CommandId",
	      shell_soap_send_parse(&req, &ctx, &s) == ERR_WSMAN_INVALID_PARAMETER);
	wsman_request_clear(&req);

	request(ACTION_SEND, PS_URI, "", SELECTOR,
		"<rsp:Send><rsp:Stream Name=\"pr\" CommandId=\"" CMD_ID
		"\">AAAA</rsp:Stream></rsp:Send>",
		&req);
	CHECK("Send on pr to a pipeline", shell_soap_ps_send_parse(&req, &ctx, &s) == ERR_OK &&
					      STREQ(s.command_id, CMD_ID) &&
					      s.stream == SHELL_PROMPT_RESPONSE);
	shell_send_req_clear(&s);
	CHECK("cmd has no pr stream",
	      shell_soap_send_parse(&req, &ctx, &s) == ERR_WSMAN_INVALID_PARAMETER);
	wsman_request_clear(&req);

	request(ACTION_SEND, PS_URI, "", SELECTOR,
		"<rsp:Send><rsp:Stream Name=\"stdin\">AAAA</rsp:Stream>"
		"<rsp:Stream Name=\"pr\">AAAA</rsp:Stream></rsp:Send>",
		&req);
	CHECK("one Send, one stream",
	      shell_soap_ps_send_parse(&req, &ctx, &s) == ERR_WSMAN_INVALID_PARAMETER);
	wsman_request_clear(&req);

	request(ACTION_RECEIVE, PS_URI, "", SELECTOR,
		"<rsp:Receive><rsp:DesiredStream>stdout</rsp:DesiredStream></rsp:Receive>", &req);
	CHECK("Receive from the pool", shell_soap_ps_receive_parse(&req, &ctx, &r) == ERR_OK &&
					   !*r.command_id && r.timeout_ms == 20000);
	wsman_request_clear(&req);

	static const struct {
		const char *code;
		uint32_t sig;
	} codes[] = {
	    {"powershell/signal/crtl_c", SHELL_SIGNAL_PS_STOP},
	    {"POWERSHELL/SIGNAL/CRTL_C", SHELL_SIGNAL_PS_STOP},
	    {"powershell/signal/ctrl_c", SHELL_SIGNAL_TERMINATE},
	    {SIGNAL_URI "Terminate", SHELL_SIGNAL_TERMINATE},
	    {SIGNAL_URI "terminate", SHELL_SIGNAL_TERMINATE},
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char body[512], name[160];
		snprintf(body, sizeof(body),
			 "<rsp:Signal CommandId=\"" CMD_ID
			 "\"><rsp:Code>%s</rsp:Code></rsp:Signal>",
			 codes[i].code);
		request(ACTION_SIGNAL, PS_URI, "", SELECTOR, body, &req);
		snprintf(name, sizeof(name), "signal %s", codes[i].code);
		CHECK(name, shell_soap_ps_signal_parse(&req, &ctx, &g) == ERR_OK &&
				g.signal == codes[i].sig && STREQ(g.command_id, CMD_ID));
		wsman_request_clear(&req);
	}
	request(ACTION_SIGNAL, PS_URI, "", SELECTOR,
		"<rsp:Signal><rsp:Code>" SIGNAL_URI "Terminate</rsp:Code></rsp:Signal>", &req);
	CHECK("a Signal to the pool parses (and does nothing)",
	      shell_soap_ps_signal_parse(&req, &ctx, &g) == ERR_OK && !*g.command_id);
	wsman_request_clear(&req);
}

static void test_replies(void)
{
	struct wsman_request req;
	struct shell_create_reply created = {
	    .shell_id = SHELL_ID, .idle_timeout_ms = 7200000, .process_id = 2780};
	struct shell_reply_ctx rctx = {.machine_url = "https://127.0.0.1:55986/wsman",
				       .owner = "vagrant",
				       .client_ip = "10.0.2.2"};
	struct shell_create_req create = {.compression = SHELL_COMPRESSION_NONE};
	struct buf b;

	request(ACTION_CREATE, PS_URI, PROTOCOL_23, "", SHELL_BODY("stdin pr", CREATION), &req);
	buf_init(&b, 1 << 20);
	CHECK("Create reply builds",
	      shell_soap_ps_create_reply(&b, &req, &rctx, &create, &created) == ERR_OK &&
		  buf_terminate(&b) == ERR_OK);
	const char *t = (const char *)buf_ptr(&b);
	CHECK("ResourceCreated names the shell",
	      strstr(t, "<w:ResourceURI>" PS_URI "</w:ResourceURI>") &&
		  strstr(t, "<w:Selector Name=\"ShellId\">" SHELL_ID "</w:Selector>"));
	/* Windows' element set in Windows' order (the recorded reply). */
	CHECK("rsp:Shell as Windows writes it",
	      strstr(t, "<rsp:ShellId>" SHELL_ID "</rsp:ShellId><rsp:ResourceUri>" PS_URI
			"</rsp:ResourceUri><rsp:Owner>vagrant</rsp:Owner><rsp:ClientIP>10.0.2.2"
			"</rsp:ClientIP><rsp:ProcessId>2780</rsp:ProcessId><rsp:IdleTimeOut>"
			"PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin pr</rsp:InputStreams>"
			"<rsp:OutputStreams>stdout</rsp:OutputStreams><rsp:MaxIdleTimeOut>"
			"PT2147483.647S</rsp:MaxIdleTimeOut><rsp:Locale>en-US</rsp:Locale>"
			"<rsp:DataLocale>en-US</rsp:DataLocale><rsp:CompressionMode>NoCompression"
			"</rsp:CompressionMode><rsp:ProfileLoaded>Yes</rsp:ProfileLoaded>"
			"<rsp:Encoding>UTF8</rsp:Encoding><rsp:BufferMode>Block</rsp:BufferMode>"
			"<rsp:State>Connected</rsp:State><rsp:ShellRunTime>P0DT0H0M0S"
			"</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity>"
			"</rsp:Shell>"));
	buf_reset(&b);
	create.compression = SHELL_COMPRESSION_XPRESS;
	CHECK("Create reply with xpress says XpressCompression, as OMI does",
	      shell_soap_ps_create_reply(&b, &req, &rctx, &create, &created) == ERR_OK &&
		  buf_terminate(&b) == ERR_OK &&
		  strstr((const char *)buf_ptr(&b),
			 "<rsp:CompressionMode>XpressCompression</rsp:CompressionMode>"));
	wsman_request_clear(&req);
	buf_reset(&b);

	static const uint8_t fragment[] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3};
	struct shell_receive_req pool = {.shell_id = SHELL_ID};
	struct shell_receive_reply out = {.nchunks = 2,
					  .chunks = {{SHELL_STDOUT, fragment, sizeof(fragment)},
						     {SHELL_STDOUT, fragment, sizeof(fragment)}}};
	request(ACTION_RECEIVE, PS_URI, "", SELECTOR,
		"<rsp:Receive><rsp:DesiredStream>stdout</rsp:DesiredStream></rsp:Receive>", &req);
	CHECK("pool Receive reply builds",
	      shell_soap_receive_reply(&b, &req, &rctx, &pool, &out) == ERR_OK &&
		  buf_terminate(&b) == ERR_OK);
	t = (const char *)buf_ptr(&b);
	CHECK("one rsp:Stream per fragment, no CommandId, no CommandState",
	      strstr(t, "<rsp:ReceiveResponse><rsp:Stream Name=\"stdout\">AAAAAAAAAAEAAAAAAAAAAAM="
			"</rsp:Stream><rsp:Stream Name=\"stdout\">AAAAAAAAAAEAAAAAAAAAAAM="
			"</rsp:Stream></rsp:ReceiveResponse>") &&
		  !strstr(t, "CommandState") && !strstr(t, "CommandId"));
	wsman_request_clear(&req);
	buf_clear(&b);
}

int main(void)
{
	test_rows();
	test_create();
	test_create_compression();
	test_command_send_receive_signal();
	test_replies();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
