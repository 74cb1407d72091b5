/* test_wsman: the SOAP codec against the real client requests of
 * MS-WSMV 3.1.4.1.23, 3.1.4.5.2 and 3.1.4.11 to 3.1.4.14 and the clients'
 * quirks of docs/protocol-notes.md, the DTD/entity refusals, the
 * reply shapes and the fault table. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/buf.h"
#include "common/err.h"
#include "shell/shell_ops.h"
#include "shell/shell_soap.h"
#include "wsman/wsman.h"
#include "check.h"

/* What the service adds to requests and replies, where a test needs none. */
static const struct shell_service_ctx no_ctx;
static const struct shell_reply_ctx no_reply_ctx;

#define STREQ(a, b) ((a) && (b) && strcmp((a), (b)) == 0)

#define SHELL_ID "0D6FCA9D-2D40-44C3-B691-E665BE7AA687"
#define CMD_ID "B0973E54-434E-4D99-B4BE-ADE584CE3BFB"

/* The command the Command and Receive replies below name. */
static const struct shell_command_reply command_started = {.command_id = CMD_ID};
static const struct shell_receive_req receive_req = {.command_id = CMD_ID};
#define ANON "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

/* ---- real requests, as the clients send them ---- */

static const char identify_req[] =
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"\n"
    "            xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\">\n"
    "<s:Header/>\n"
    "<s:Body><wsmid:Identify/></s:Body>\n"
    "</s:Envelope>\n";

/* pypsrp's header, section 4: s:mustUnderstand, wsmv:SessionId, To last
 * but for the sets. */
#define PYPSRP_OPEN                                                                                \
	"<s:Envelope xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\" "       \
	"xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "                                     \
	"xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "                          \
	"xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "                          \
	"xmlns:wsmv=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\">\n"
#define PYPSRP_HEADER(action, msgid)                                                               \
	"<s:Header>\n"                                                                             \
	"<wsa:Action s:mustUnderstand=\"true\">" action "</wsa:Action>\n"                          \
	"<wsmv:DataLocale s:mustUnderstand=\"false\" xml:lang=\"en-US\" />\n"                      \
	"<wsman:Locale s:mustUnderstand=\"false\" xml:lang=\"en-US\" />\n"                         \
	"<wsman:MaxEnvelopeSize s:mustUnderstand=\"true\">153600</wsman:MaxEnvelopeSize>\n"        \
	"<wsa:MessageID>" msgid "</wsa:MessageID>\n"                                               \
	"<wsman:OperationTimeout>PT20S</wsman:OperationTimeout>\n"                                 \
	"<wsa:ReplyTo>\n"                                                                          \
	"<wsa:Address s:mustUnderstand=\"true\">" ANON "</wsa:Address>\n"                          \
	"</wsa:ReplyTo>\n"                                                                         \
	"<wsman:ResourceURI s:mustUnderstand=\"true\">" URI_SHELL_CMD "</wsman:ResourceURI>\n"     \
	"<wsmv:SessionId "                                                                         \
	"s:mustUnderstand=\"false\">uuid:E3EDC93B-6629-44A6-8F70-2D94D134ACD3</wsmv:SessionId>\n"  \
	"<wsa:To>http://192.168.56.11:5985/wsman</wsa:To>\n"
#define PYPSRP_SELECTOR                                                                            \
	"<wsman:SelectorSet>\n<wsman:Selector Name=\"ShellId\">" SHELL_ID                          \
	"</wsman:Selector>\n</wsman:SelectorSet>\n"

static const char pypsrp_create[] = PYPSRP_OPEN PYPSRP_HEADER(
    ACTION_CREATE,
    "uuid:B9C6A568-20B0-4B50-93EE-E7BCAD5C20DB") "</"
						 "s:Header>\n<s:Body>\n<rsp:Shell>\n<rsp:"
						 "InputStreams>stdin</rsp:InputStreams>\n"
						 "<rsp:OutputStreams>stdout "
						 "stderr</rsp:OutputStreams>\n</rsp:Shell>\n</"
						 "s:Body>\n</s:Envelope>";

static const char pypsrp_create_env[] = PYPSRP_OPEN PYPSRP_HEADER(
    ACTION_CREATE,
    "uuid:B9C6A568-20B0-4B50-93EE-E7BCAD5C20DC") "<wsman:OptionSet s:mustUnderstand=\"true\">\n"
						 "<wsman:Option MustComply=\"true\" "
						 "Name=\"WINRS_NOPROFILE\">TRUE</wsman:Option>\n"
						 "</wsman:OptionSet>\n"
						 "</"
						 "s:Header>\n<s:Body>\n<rsp:Shell>\n<rsp:"
						 "InputStreams>stdin</rsp:InputStreams>\n"
						 "<rsp:OutputStreams>stdout "
						 "stderr</rsp:OutputStreams>\n"
						 "<rsp:WorkingDirectory>C:\\Windows</"
						 "rsp:WorkingDirectory>\n"
						 "<rsp:Lifetime>PT60S</"
						 "rsp:Lifetime>\n<rsp:Name>shell 1</rsp:Name>\n"
						 "<rsp:IdleTimeOut>PT60S</rsp:IdleTimeOut>\n"
						 "<rsp:Environment>\n<rsp:Variable "
						 "Name=\"env1\">var1</rsp:Variable>\n"
						 "<rsp:Variable "
						 "Name=\"1234\">5&amp;678</rsp:Variable>\n</"
						 "rsp:Environment>\n"
						 "</rsp:Shell>\n</s:Body>\n</s:Envelope>";

/* pywinrm 0.3.0 as xmltodict serialises it (one line; split here). */
#define PYWINRM_OPEN                                                                               \
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"                                             \
	"<env:Envelope xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "                            \
	"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "                                 \
	"xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" "                                   \
	"xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "                            \
	"xmlns:b=\"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd\" "                         \
	"xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" "                           \
	"xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\" "                              \
	"xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "                              \
	"xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\" "                         \
	"xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\" "                   \
	"xmlns:cfg=\"http://schemas.microsoft.com/wbem/wsman/1/config\">"
#define PYWINRM_HEADER(msgid)                                                                      \
	"<env:Header><a:To>http://windows-host:5985/wsman</a:To>"                                  \
	"<a:ReplyTo><a:Address mustUnderstand=\"true\">" ANON "</a:Address></a:ReplyTo>"           \
	"<w:MaxEnvelopeSize mustUnderstand=\"true\">153600</w:MaxEnvelopeSize>"                    \
	"<a:MessageID>" msgid "</a:MessageID>"                                                     \
	"<w:Locale mustUnderstand=\"false\" xml:lang=\"en-US\"></w:Locale>"                        \
	"<p:DataLocale mustUnderstand=\"false\" xml:lang=\"en-US\"></p:DataLocale>"                \
	"<w:OperationTimeout>PT20S</w:OperationTimeout>"                                           \
	"<w:ResourceURI mustUnderstand=\"true\">" URI_SHELL_CMD "</w:ResourceURI>"
#define PYWINRM_ACTION(action) "<a:Action mustUnderstand=\"true\">" action "</a:Action>"
#define PYWINRM_SELECTOR(id)                                                                       \
	"<w:SelectorSet><w:Selector Name=\"ShellId\">" id "</w:Selector></w:SelectorSet>"

static const char pywinrm_create[] =
    PYWINRM_OPEN PYWINRM_HEADER("uuid:36ea1c6e-13ca-4b52-8116-c0b882e1fc50") PYWINRM_ACTION(
	ACTION_CREATE) "<w:OptionSet><w:Option Name=\"WINRS_NOPROFILE\">FALSE</w:Option>"
		       "<w:Option Name=\"WINRS_CODEPAGE\">437</w:Option></w:OptionSet></env:Header>"
		       "<env:Body><rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams>"
		       "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams>"
		       "<rsp:WorkingDirectory>C:\\Temp</rsp:WorkingDirectory>"
		       "<rsp:Environment><rsp:Variable "
		       "Name=\"A\">1</rsp:Variable></rsp:Environment></rsp:Shell>"
		       "</env:Body></env:Envelope>";

static const char pywinrm_command[] =
    PYWINRM_OPEN PYWINRM_HEADER("uuid:11111111-2222-4333-8444-555555555555")
	PYWINRM_ACTION(ACTION_COMMAND) PYWINRM_SELECTOR(
	    SHELL_ID) "<w:OptionSet><w:Option Name=\"WINRS_CONSOLEMODE_STDIN\">TRUE</w:Option>"
		      "<w:Option "
		      "Name=\"WINRS_SKIP_CMD_SHELL\">FALSE</w:Option></w:OptionSet></env:Header>"
		      "<env:Body><rsp:CommandLine><rsp:Command>ipconfig</rsp:Command>"
		      "<rsp:Arguments>/all "
		      "/x</rsp:Arguments></rsp:CommandLine></env:Body></env:Envelope>";

static const char pywinrm_receive[] = PYWINRM_OPEN PYWINRM_HEADER(
    "uuid:11111111-2222-4333-8444-555555555556") PYWINRM_ACTION(ACTION_RECEIVE)
    PYWINRM_SELECTOR(SHELL_ID) "</env:Header>"
			       "<env:Body><rsp:Receive><rsp:DesiredStream CommandId=\"" CMD_ID
			       "\">stdout stderr"
			       "</rsp:DesiredStream></rsp:Receive></env:Body></env:Envelope>";

static const char pywinrm_signal[] =
    PYWINRM_OPEN PYWINRM_HEADER("uuid:11111111-2222-4333-8444-555555555557")
	PYWINRM_ACTION(ACTION_SIGNAL) PYWINRM_SELECTOR(
	    SHELL_ID) "</env:Header>"
		      "<env:Body><rsp:Signal CommandId=\"22222222-2222-2222-2222-222222222222\">"
		      "<rsp:Code>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/"
		      "terminate</rsp:Code>"
		      "</rsp:Signal></env:Body></env:Envelope>";

static const char pywinrm_delete[] =
    PYWINRM_OPEN PYWINRM_HEADER("uuid:11111111-2222-4333-8444-555555555558")
	PYWINRM_ACTION(ACTION_DELETE)
	    PYWINRM_SELECTOR(SHELL_ID) "</env:Header>"
				       "<env:Body></env:Body></env:Envelope>";

/* masterzen/winrm: pretty-printed by simplexml, unqualified
 * mustUnderstand, CDATA around command and arguments; the second Command
 * element is how a pretty printer may indent around the CDATA. */
#define MASTERZEN_OPEN                                                                             \
	"<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"                                            \
	"<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" "                     \
	"xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "                            \
	"xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\" "                   \
	"xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "                              \
	"xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\">\n"                       \
	"  <env:Header>\n"                                                                         \
	"    <a:To>http://localhost:5985/wsman</a:To>\n"                                           \
	"    <a:ReplyTo>\n"                                                                        \
	"      <a:Address mustUnderstand=\"true\">" ANON "</a:Address>\n"                          \
	"    </a:ReplyTo>\n"                                                                       \
	"    <w:MaxEnvelopeSize mustUnderstand=\"true\">153600</w:MaxEnvelopeSize>\n"              \
	"    <w:OperationTimeout>PT60S</w:OperationTimeout>\n"                                     \
	"    <a:MessageID>uuid:6b2f2f0e-9a8e-4b8c-9e0e-7d0d3f7a1c2b</a:MessageID>\n"               \
	"    <w:Locale mustUnderstand=\"false\" xml:lang=\"en-US\"/>\n"                            \
	"    <p:DataLocale mustUnderstand=\"false\" xml:lang=\"en-US\"/>\n"

static const char masterzen_create[] =
    MASTERZEN_OPEN "    <a:Action mustUnderstand=\"true\">" ACTION_CREATE "</a:Action>\n"
		   "    <w:ResourceURI mustUnderstand=\"true\">" URI_SHELL_CMD "</w:ResourceURI>\n"
		   "    <w:OptionSet>\n"
		   "      <w:Option Name=\"WINRS_NOPROFILE\">FALSE</w:Option>\n"
		   "      <w:Option Name=\"WINRS_CODEPAGE\">65001</w:Option>\n"
		   "    </w:OptionSet>\n"
		   "  </env:Header>\n"
		   "  <env:Body>\n"
		   "    <rsp:Shell>\n"
		   "      <rsp:InputStreams>stdin</rsp:InputStreams>\n"
		   "      <rsp:OutputStreams>stdout stderr</rsp:OutputStreams>\n"
		   "    </rsp:Shell>\n"
		   "  </env:Body>\n"
		   "</env:Envelope>\n";

static const char masterzen_command[] = MASTERZEN_OPEN
    "    <a:Action mustUnderstand=\"true\">" ACTION_COMMAND "</a:Action>\n"
    "    <w:SelectorSet>\n"
    "      <w:Selector Name=\"ShellId\">0d6fca9d-2d40-44c3-b691-e665be7aa687</w:Selector>\n"
    "    </w:SelectorSet>\n"
    "    <w:ResourceURI mustUnderstand=\"true\">" URI_SHELL_CMD "</w:ResourceURI>\n"
    "    <w:OptionSet>\n"
    "      <w:Option Name=\"WINRS_CONSOLEMODE_STDIN\">TRUE</w:Option>\n"
    "      <w:Option Name=\"WINRS_SKIP_CMD_SHELL\">FALSE</w:Option>\n"
    "    </w:OptionSet>\n"
    "  </env:Header>\n"
    "  <env:Body>\n"
    "    <rsp:CommandLine>\n"
    "      <rsp:Command>\n        <![CDATA[echo a & b <c>]]>\n      </rsp:Command>\n"
    "      <rsp:Arguments><![CDATA[arg one]]></rsp:Arguments>\n"
    "      <rsp:Arguments><![CDATA[ x&y ]]></rsp:Arguments>\n"
    "    </rsp:CommandLine>\n"
    "  </env:Body>\n"
    "</env:Envelope>\n";

static const char masterzen_send_end[] = MASTERZEN_OPEN
    "    <a:Action mustUnderstand=\"true\">" ACTION_SEND "</a:Action>\n"
    "    <w:SelectorSet>\n"
    "      <w:Selector Name=\"ShellId\">" SHELL_ID "</w:Selector>\n"
    "    </w:SelectorSet>\n"
    "    <w:ResourceURI mustUnderstand=\"true\">" URI_SHELL_CMD "</w:ResourceURI>\n"
    "  </env:Header>\n"
    "  <env:Body>\n"
    "    <rsp:Send>\n"
    "      <rsp:Stream Name=\"stdin\" CommandId=\"" CMD_ID "\" End=\"true\"></rsp:Stream>\n"
    "    </rsp:Send>\n"
    "  </env:Body>\n"
    "</env:Envelope>\n";

/* WinRb (Gyoku): client-chosen CommandId, quoted command, base64 with a
 * newline every 60 characters and no End attribute. */
#define WINRB_OPEN                                                                                 \
	"<env:Envelope xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "                            \
	"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "                                 \
	"xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" "                                   \
	"xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "                            \
	"xmlns:b=\"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd\" "                         \
	"xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" "                           \
	"xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\" "                              \
	"xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "                              \
	"xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\" "                         \
	"xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\" "                   \
	"xmlns:cfg=\"http://schemas.microsoft.com/wbem/wsman/1/config\">"                          \
	"<env:Header><a:To>http://localhost:55985/wsman</a:To>"                                    \
	"<a:ReplyTo><a:Address mustUnderstand=\"true\">" ANON "</a:Address></a:ReplyTo>"           \
	"<w:MaxEnvelopeSize mustUnderstand=\"true\">153600</w:MaxEnvelopeSize>"                    \
	"<a:MessageID>uuid:0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D</a:MessageID>"                     \
	"<p:SessionId "                                                                            \
	"mustUnderstand=\"false\">uuid:5D1F0F6A-2A8B-4A7C-9C1D-3E4F5A6B7C8D</p:SessionId>"         \
	"<w:Locale xml:lang=\"en-US\" mustUnderstand=\"false\"/>"                                  \
	"<p:DataLocale xml:lang=\"en-US\" mustUnderstand=\"false\"/>"                              \
	"<w:OperationTimeout>PT60S</w:OperationTimeout>"                                           \
	"<w:ResourceURI mustUnderstand=\"true\">" URI_SHELL_CMD "</w:ResourceURI>"

static const char winrb_command[] = WINRB_OPEN
    "<a:Action mustUnderstand=\"true\">" ACTION_COMMAND "</a:Action>"
    "<w:OptionSet><w:Option Name=\"WINRS_CONSOLEMODE_STDIN\">TRUE</w:Option>"
    "<w:Option Name=\"WINRS_SKIP_CMD_SHELL\">FALSE</w:Option></w:OptionSet>"
    "<w:SelectorSet><w:Selector Name=\"ShellId\">" SHELL_ID "</w:Selector></w:SelectorSet>"
    "</env:Header><env:Body><rsp:CommandLine CommandId=\"e7da5a4c-1b2c-4d3e-8f40-5a6b7c8d9e0f\">"
    "<rsp:Command>\"ipconfig\"</rsp:Command><rsp:Arguments>/all</rsp:Arguments>"
    "<rsp:Arguments></rsp:Arguments></rsp:CommandLine></env:Body></env:Envelope>";

#define WINRB_STDIN "echo The quick brown fox jumps over the lazy dog & then sleeps\r\nexit\r\n"
static const char winrb_send[] = WINRB_OPEN
    "<a:Action mustUnderstand=\"true\">" ACTION_SEND "</a:Action>"
    "<w:SelectorSet><w:Selector Name=\"ShellId\">" SHELL_ID "</w:Selector></w:SelectorSet>"
    "</env:Header><env:Body><rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"" CMD_ID "\">"
    "ZWNobyBUaGUgcXVpY2sgYnJvd24gZm94IGp1bXBzIG92ZXIgdGhlIGxhenkg\n"
    "ZG9nICYgdGhlbiBzbGVlcHMNCmV4aXQNCg==\n"
    "</rsp:Stream></rsp:Send></env:Body></env:Envelope>";

static const char pypsrp_command[] = PYPSRP_OPEN PYPSRP_HEADER(
    ACTION_COMMAND,
    "uuid:0B9A3117-A985-4F4B-AE47-BB4A09EBBED9") "<wsman:OptionSet s:mustUnderstand=\"true\">\n"
						 "<wsman:Option "
						 "Name=\"WINRS_SKIP_CMD_SHELL\">False</"
						 "wsman:Option>\n"
						 "</wsman:OptionSet>\n" PYPSRP_SELECTOR
						 "</s:Header>\n<s:Body>\n<rsp:CommandLine>\n"
						 "<rsp:Command>powershell.exe</"
						 "rsp:Command>\n<rsp:Arguments>-</rsp:Arguments>\n"
						 "</rsp:CommandLine>\n</s:Body>\n</s:Envelope>";

static const char pypsrp_send[] =
    PYPSRP_OPEN PYPSRP_HEADER(ACTION_SEND, "uuid:221CD7F2-D09E-4512-BACC-EFCBA50775A3")
	PYPSRP_SELECTOR
    "</s:Header>\n<s:Body>\n<rsp:Send>\n"
    "<rsp:Stream CommandId=\"" CMD_ID "\" End=\"True\" Name=\"stdin\">"
    "V3JpdGUtSG9zdCAib3V0cHV0IDIiOw==</rsp:Stream>\n</rsp:Send>\n</s:Body>\n</s:Envelope>";

static const char pypsrp_receive[] = PYPSRP_OPEN PYPSRP_HEADER(
    ACTION_RECEIVE,
    "uuid:ED6D6F9B-0B0B-43FF-9767-6824A80562E1") "<wsman:OptionSet s:mustUnderstand=\"true\">\n"
						 "<wsman:Option "
						 "Name=\"WSMAN_CMDSHELL_OPTION_KEEPALIVE\">True</"
						 "wsman:Option>\n"
						 "</wsman:OptionSet>\n" PYPSRP_SELECTOR
						 "</s:Header>\n<s:Body>\n<rsp:Receive>\n"
						 "<rsp:DesiredStream CommandId=\"" CMD_ID
						 "\">stdout stderr</rsp:DesiredStream>\n"
						 "</rsp:Receive>\n</s:Body>\n</s:Envelope>";

static const char pypsrp_signal[] =
    PYPSRP_OPEN PYPSRP_HEADER(ACTION_SIGNAL, "uuid:087BF6FD-047C-402D-B561-A44B17323896")
	PYPSRP_SELECTOR
    "</s:Header>\n<s:Body>\n<rsp:Signal CommandId=\"" CMD_ID "\">\n"
    "<rsp:Code>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c</rsp:Code>\n"
    "</rsp:Signal>\n</s:Body>\n</s:Envelope>";

static const char pypsrp_delete[] =
    PYPSRP_OPEN PYPSRP_HEADER(ACTION_DELETE, "uuid:1A8D3A02-2F67-49E4-9A4C-991479803C03")
	PYPSRP_SELECTOR "</s:Header>\n<s:Body />\n</s:Envelope>";

/* ---- helpers ---- */

static enum err parse(const char *s, struct wsman_request *req)
{
	return wsman_parse((const uint8_t *)s, strlen(s), req);
}

/* A pypsrp-style request with extra header elements and a body. */
static enum err parse_with(const char *header_extra, const char *body, struct wsman_request *req)
{
	char doc[8192];
	int n =
	    snprintf(doc, sizeof(doc),
		     PYPSRP_OPEN PYPSRP_HEADER(
			 ACTION_SIGNAL,
			 "uuid:AAAAAAAA-0000-4000-8000-000000000001") "%s</s:Header><s:Body>%s</"
								      "s:Body></s:Envelope>",
		     header_extra, body);
	if (n < 0 || (size_t)n >= sizeof(doc))
		abort();
	return wsman_parse((const uint8_t *)doc, (size_t)n, req);
}

/* The reply with the fresh MessageID GUID masked, as a C string. */
static char *masked(struct buf *b)
{
	static const char tag[] = "<a:MessageID>uuid:";
	char *s;
	char *p;

	if (buf_terminate(b) != ERR_OK)
		abort();
	s = strdup((const char *)buf_ptr(b));
	if ((p = strstr(s, tag)) && strlen(p) > sizeof(tag) - 1 + 36)
		memset(p + sizeof(tag) - 1, 'X', 36);
	return s;
}

static xmlDocPtr reparse(struct buf *b)
{
	return xmlReadMemory((const char *)buf_ptr(b), (int)buf_len(b), NULL, NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/* Text of the first element named local in ns (depth first), or NULL. */
static xmlNodePtr find(xmlNodePtr n, const char *ns, const char *local)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && n->ns &&
		    strcmp((const char *)n->ns->href, ns) == 0 &&
		    strcmp((const char *)n->name, local) == 0)
			return n;
		xmlNodePtr c = find(n->children, ns, local);
		if (c)
			return c;
	}
	return NULL;
}

static int text_is(xmlDocPtr doc, const char *ns, const char *local, const char *want)
{
	xmlNodePtr n = doc ? find(xmlDocGetRootElement(doc), ns, local) : NULL;
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
	int ok = t && strcmp((const char *)t, want) == 0;
	xmlFree(t);
	return ok;
}

/* Elements anywhere with attribute `attr` whose value ends in suffix. */
static int count_attr_suffix(xmlNodePtr n, const char *attr, const char *suffix)
{
	int c = 0;

	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE) {
			xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
			size_t lv = v ? strlen((const char *)v) : 0, ls = strlen(suffix);
			if (v && lv >= ls && strcmp((const char *)v + lv - ls, suffix) == 0)
				c++;
			xmlFree(v);
			c += count_attr_suffix(n->children, attr, suffix);
		}
	}
	return c;
}

/* ---- tests ---- */

static void test_identify(void)
{
	struct wsman_request req;
	struct buf b;
	char *s;

	CHECK("identify parses", parse(identify_req, &req) == ERR_OK);
	CHECK("identify flagged", req.is_identify == 1 && req.hdr.action == NULL);
	wsman_request_clear(&req);

	buf_init(&b, 65536);
	CHECK("identify reply anonymous", wsman_reply_identify(&b, 0) == ERR_OK);
	s = masked(&b);
	CHECK("identify reply anonymous bytes",
	      STREQ(s,
		    "<s:Envelope xml:lang=\"en-US\" "
		    "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
		    "<s:Header/><s:Body><wsmid:IdentifyResponse "
		    "xmlns:wsmid=\"http://schemas.dmtf.org/wbem/"
		    "wsman/identity/1/wsmanidentity.xsd\"><wsmid:ProtocolVersion>http://"
		    "schemas.dmtf.org/"
		    "wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion><wsmid:ProductVendor>openwinrm"
		    "</wsmid:ProductVendor><wsmid:ProductVersion>OS: 0.0.0 SP: 0.0 Stack: 3.0"
		    "</wsmid:ProductVersion></wsmid:IdentifyResponse></s:Body></s:Envelope>"));
	free(s);
	buf_reset(&b);
	CHECK("identify reply authenticated", wsman_reply_identify(&b, 1) == ERR_OK);
	xmlDocPtr d = reparse(&b);
	xmlNodePtr v = d ? find(xmlDocGetRootElement(d), NS_IDENTITY, "ProductVersion") : NULL;
	xmlChar *t = v ? xmlNodeGetContent(v) : NULL;
	CHECK("identify reply authenticated shows OS and Stack",
	      t && strncmp((const char *)t, "OS: ", 4) == 0 &&
		  strcmp((const char *)t, "OS: 0.0.0 SP: 0.0 Stack: 3.0") != 0 &&
		  strstr((const char *)t, " SP: 0.0 Stack: 3.0"));
	xmlFree(t);
	xmlFreeDoc(d);
	buf_clear(&b);
}

static void test_create(void)
{
	struct wsman_request req;
	struct shell_create_req c;

	CHECK("pypsrp create parses", parse(pypsrp_create, &req) == ERR_OK);
	CHECK("pypsrp header action", STREQ(req.hdr.action, ACTION_CREATE));
	CHECK("pypsrp header message id",
	      STREQ(req.hdr.message_id, "uuid:B9C6A568-20B0-4B50-93EE-E7BCAD5C20DB"));
	CHECK("pypsrp header to", STREQ(req.hdr.to, "http://192.168.56.11:5985/wsman"));
	CHECK("pypsrp header resource uri", STREQ(req.hdr.resource_uri, URI_SHELL_CMD));
	CHECK("pypsrp header timeout", req.hdr.operation_timeout_ms == 20000);
	CHECK("pypsrp header max envelope", req.hdr.max_envelope_size == 153600);
	CHECK("pypsrp header locale", STREQ(req.hdr.locale, "en-US"));
	CHECK("pypsrp create not identify", req.is_identify == 0);
	CHECK("pypsrp create decodes", shell_soap_create_parse(&req, &no_ctx, &c) == ERR_OK);
	CHECK("pypsrp create defaults", !c.working_dir && c.nenv == 0 && c.idle_timeout_ms == 0 &&
					    c.noprofile == 0 && c.codepage == 0);
	shell_create_req_clear(&c);
	wsman_request_clear(&req);

	CHECK("pypsrp create env parses", parse(pypsrp_create_env, &req) == ERR_OK);
	CHECK("option MustComply kept", req.hdr.noptions == 1 &&
					    req.hdr.options[0].must_comply == 1 &&
					    STREQ(req.hdr.options[0].value, "TRUE"));
	CHECK("pypsrp create env decodes", shell_soap_create_parse(&req, &no_ctx, &c) == ERR_OK);
	CHECK("create working dir", STREQ(c.working_dir, "C:\\Windows"));
	CHECK("create idle timeout", c.idle_timeout_ms == 60000);
	CHECK("create noprofile", c.noprofile == 1);
	CHECK("create env", c.nenv == 2 && STREQ(c.env_names[0], "env1") &&
				STREQ(c.env_values[0], "var1") && STREQ(c.env_names[1], "1234") &&
				STREQ(c.env_values[1], "5&678"));
	shell_create_req_clear(&c);
	wsman_request_clear(&req);

	CHECK("pywinrm create parses", parse(pywinrm_create, &req) == ERR_OK);
	CHECK("pywinrm message id",
	      STREQ(req.hdr.message_id, "uuid:36ea1c6e-13ca-4b52-8116-c0b882e1fc50"));
	CHECK("pywinrm create decodes", shell_soap_create_parse(&req, &no_ctx, &c) == ERR_OK);
	CHECK("pywinrm create fields",
	      STREQ(c.working_dir, "C:\\Temp") && c.codepage == 437 && c.noprofile == 0 &&
		  c.nenv == 1 && STREQ(c.env_names[0], "A") && STREQ(c.env_values[0], "1"));
	shell_create_req_clear(&c);
	wsman_request_clear(&req);

	CHECK("masterzen create parses", parse(masterzen_create, &req) == ERR_OK);
	CHECK("masterzen timeout", req.hdr.operation_timeout_ms == 60000);
	CHECK("masterzen options", STREQ(wsman_option(&req, "WINRS_CODEPAGE"), "65001") &&
				       wsman_option_bool(&req, "WINRS_NOPROFILE", -7) == 0 &&
				       wsman_option_bool(&req, "ABSENT", -7) == -7 &&
				       wsman_option(&req, "ABSENT") == NULL);
	CHECK("masterzen create decodes",
	      shell_soap_create_parse(&req, &no_ctx, &c) == ERR_OK && c.codepage == 65001);
	shell_create_req_clear(&c);
	wsman_request_clear(&req);

	/* IdleTimeOut variants. */
	static const struct {
		const char *v;
		enum err e;
		uint64_t ms;
	} idle[] = {
	    {"PT60.000S", ERR_OK, 60000},
	    {"P0DT0H1M0S", ERR_OK, 60000},
	    {"3600", ERR_OK, 3600000},
	    {"PT-1S", ERR_WSMAN_INVALID_PARAMETER, 0},
	    {"soon", ERR_WSMAN_INVALID_PARAMETER, 0},
	};
	for (size_t i = 0; i < sizeof(idle) / sizeof(idle[0]); i++) {
		char body[256];
		snprintf(body, sizeof(body),
			 "<rsp:Shell><rsp:IdleTimeOut>%s</rsp:IdleTimeOut></rsp:Shell>", idle[i].v);
		CHECK("idle timeout request parses", parse_with("", body, &req) == ERR_OK);
		enum err e = shell_soap_create_parse(&req, &no_ctx, &c);
		CHECK("idle timeout value",
		      e == idle[i].e && (e != ERR_OK || c.idle_timeout_ms == idle[i].ms));
		shell_create_req_clear(&c);
		wsman_request_clear(&req);
	}

	parse_with("",
		   "<rsp:Shell><rsp:Environment><rsp:Variable>x</rsp:Variable></rsp:Environment></"
		   "rsp:Shell>",
		   &req);
	CHECK("variable without Name",
	      shell_soap_create_parse(&req, &no_ctx, &c) == ERR_WSMAN_SCHEMA &&
		  c.env_names == NULL);
	wsman_request_clear(&req);
	parse_with("",
		   "<rsp:Shell><rsp:Environment><rsp:Variable "
		   "Name=\"A=B\">x</rsp:Variable></rsp:Environment></rsp:Shell>",
		   &req);
	CHECK("variable name with =",
	      shell_soap_create_parse(&req, &no_ctx, &c) == ERR_WSMAN_INVALID_PARAMETER);
	wsman_request_clear(&req);
	parse_with("<wsman:OptionSet><wsman:Option "
		   "Name=\"WINRS_NOPROFILE\">maybe</wsman:Option></wsman:OptionSet>",
		   "<rsp:Shell/>", &req);
	CHECK("bad boolean option",
	      shell_soap_create_parse(&req, &no_ctx, &c) == ERR_WSMAN_INVALID_PARAMETER);
	wsman_request_clear(&req);
	parse_with("", "<rsp:NotAShell/>", &req);
	CHECK("create wrong body", shell_soap_create_parse(&req, &no_ctx, &c) == ERR_WSMAN_SCHEMA);
	wsman_request_clear(&req);

	/* Too many variables: SHELL_MAX_ENV + 1. */
	struct buf big;
	buf_init(&big, 1 << 20);
	buf_putf(&big,
		 PYPSRP_OPEN PYPSRP_HEADER(
		     ACTION_CREATE, "uuid:X") "</s:Header><s:Body><rsp:Shell><rsp:Environment>");
	for (int i = 0; i <= SHELL_MAX_ENV; i++)
		buf_putf(&big, "<rsp:Variable Name=\"V%d\">v</rsp:Variable>", i);
	buf_putf(&big, "</rsp:Environment></rsp:Shell></s:Body></s:Envelope>");
	CHECK("many variables parse", wsman_parse(buf_ptr(&big), buf_len(&big), &req) == ERR_OK);
	CHECK("too many variables",
	      shell_soap_create_parse(&req, &no_ctx, &c) == ERR_WSMAN_ENCODING_LIMIT);
	wsman_request_clear(&req);
	buf_clear(&big);
}

static void test_command(void)
{
	struct wsman_request req;
	struct shell_command_req c;

	CHECK("pypsrp command parses", parse(pypsrp_command, &req) == ERR_OK);
	CHECK("pypsrp command selector", STREQ(wsman_selector(&req, "ShellId"), SHELL_ID) &&
					     wsman_selector(&req, "Other") == NULL);
	CHECK("pypsrp command decodes", shell_soap_command_parse(&req, &no_ctx, &c) == ERR_OK);
	CHECK("pypsrp command fields",
	      STREQ(c.shell_id, SHELL_ID) && c.command_id[0] == 0 && c.skip_cmd_shell == 0 &&
		  c.argc == 2 && STREQ(c.argv[0], "powershell.exe") && STREQ(c.argv[1], "-"));
	shell_command_req_clear(&c);
	wsman_request_clear(&req);

	CHECK("pywinrm command parses", parse(pywinrm_command, &req) == ERR_OK);
	CHECK("pywinrm command decodes", shell_soap_command_parse(&req, &no_ctx, &c) == ERR_OK);
	CHECK("pywinrm joined arguments",
	      c.argc == 2 && STREQ(c.argv[0], "ipconfig") && STREQ(c.argv[1], "/all /x"));
	shell_command_req_clear(&c);
	wsman_request_clear(&req);

	CHECK("masterzen command parses", parse(masterzen_command, &req) == ERR_OK);
	CHECK("masterzen command decodes", shell_soap_command_parse(&req, &no_ctx, &c) == ERR_OK);
	CHECK("masterzen shell id upper-cased", STREQ(c.shell_id, SHELL_ID));
	CHECK("masterzen CDATA command trimmed", c.argc == 3 && STREQ(c.argv[0], "echo a & b <c>"));
	CHECK("masterzen CDATA arguments exact",
	      c.argc == 3 && STREQ(c.argv[1], "arg one") && STREQ(c.argv[2], " x&y "));
	shell_command_req_clear(&c);
	wsman_request_clear(&req);

	CHECK("winrb command parses", parse(winrb_command, &req) == ERR_OK);
	CHECK("winrb command decodes", shell_soap_command_parse(&req, &no_ctx, &c) == ERR_OK);
	CHECK("winrb command id upper-cased",
	      STREQ(c.command_id, "E7DA5A4C-1B2C-4D3E-8F40-5A6B7C8D9E0F"));
	CHECK("winrb quotes kept, empty argument kept",
	      c.argc == 3 && STREQ(c.argv[0], "\"ipconfig\"") && STREQ(c.argv[1], "/all") &&
		  STREQ(c.argv[2], ""));
	shell_command_req_clear(&c);
	wsman_request_clear(&req);

	static const struct {
		const char *name, *hdr, *body;
		enum err e;
	} bad[] = {
	    {"command without shell id", "",
	     "<rsp:CommandLine><rsp:Command>x</rsp:Command></rsp:CommandLine>",
	     ERR_WSMAN_UNKNOWN_SHELL},
	    {"command with non-GUID shell id",
	     "<wsman:SelectorSet><wsman:Selector "
	     "Name=\"ShellId\">../../etc</wsman:Selector></wsman:SelectorSet>",
	     "<rsp:CommandLine><rsp:Command>x</rsp:Command></rsp:CommandLine>",
	     ERR_WSMAN_UNKNOWN_SHELL},
	    {"command without Command", PYPSRP_SELECTOR,
	     "<rsp:CommandLine><rsp:Arguments>x</rsp:Arguments></rsp:CommandLine>",
	     ERR_WSMAN_SCHEMA},
	    {"command empty", PYPSRP_SELECTOR,
	     "<rsp:CommandLine><rsp:Command>  </rsp:Command></rsp:CommandLine>",
	     ERR_WSMAN_INVALID_PARAMETER},
	    {"command two Commands", PYPSRP_SELECTOR,
	     "<rsp:CommandLine><rsp:Command>a</rsp:Command><rsp:Command>b</rsp:Command></"
	     "rsp:CommandLine>",
	     ERR_WSMAN_SCHEMA},
	    {"command bad CommandId", PYPSRP_SELECTOR,
	     "<rsp:CommandLine CommandId=\"zz\"><rsp:Command>a</rsp:Command></rsp:CommandLine>",
	     ERR_WSMAN_INVALID_PARAMETER},
	    {"command in wrong namespace", PYPSRP_SELECTOR,
	     "<CommandLine xmlns=\"urn:x\"><Command>a</Command></CommandLine>", ERR_WSMAN_SCHEMA},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK("bad command envelope parses",
		      parse_with(bad[i].hdr, bad[i].body, &req) == ERR_OK);
		CHECK(bad[i].name,
		      shell_soap_command_parse(&req, &no_ctx, &c) == bad[i].e && c.argv == NULL);
		wsman_request_clear(&req);
	}
	CHECK("skip cmd shell option",
	      parse_with(PYPSRP_SELECTOR
			 "<wsman:OptionSet><wsman:Option Name=\"WINRS_SKIP_CMD_SHELL\">"
			 "TRUE</wsman:Option></wsman:OptionSet>",
			 "<rsp:CommandLine><rsp:Command>/bin/true</rsp:Command></rsp:CommandLine>",
			 &req) == ERR_OK &&
		  shell_soap_command_parse(&req, &no_ctx, &c) == ERR_OK && c.skip_cmd_shell == 1);
	shell_command_req_clear(&c);
	wsman_request_clear(&req);
}

static void test_send(void)
{
	struct wsman_request req;
	struct shell_send_req s;

	CHECK("pypsrp send parses", parse(pypsrp_send, &req) == ERR_OK);
	CHECK("pypsrp send decodes", shell_soap_send_parse(&req, &no_ctx, &s) == ERR_OK);
	CHECK("pypsrp send fields", STREQ(s.shell_id, SHELL_ID) && STREQ(s.command_id, CMD_ID) &&
					s.end == 1 && s.len == 22 &&
					memcmp(s.data, "Write-Host \"output 2\";", 22) == 0);
	shell_send_req_clear(&s);
	wsman_request_clear(&req);

	CHECK("winrb send parses", parse(winrb_send, &req) == ERR_OK);
	CHECK("winrb send decodes (newlines in base64)",
	      shell_soap_send_parse(&req, &no_ctx, &s) == ERR_OK);
	CHECK("winrb send data", s.end == 0 && s.len == strlen(WINRB_STDIN) &&
				     memcmp(s.data, WINRB_STDIN, s.len) == 0);
	shell_send_req_clear(&s);
	wsman_request_clear(&req);

	CHECK("masterzen final send parses", parse(masterzen_send_end, &req) == ERR_OK);
	CHECK("masterzen final send decodes", shell_soap_send_parse(&req, &no_ctx, &s) == ERR_OK);
	CHECK("masterzen final send empty with End", s.end == 1 && s.len == 0 && s.data == NULL);
	shell_send_req_clear(&s);
	wsman_request_clear(&req);

	parse_with(PYPSRP_SELECTOR,
		   "<rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"" CMD_ID
		   "\" End=\"false\">YWJj</rsp:Stream>"
		   "<rsp:Stream Name=\"stdin\" CommandId=\"" CMD_ID
		   "\" End=\"TRUE\">ZGVm</rsp:Stream></rsp:Send>",
		   &req);
	CHECK("two streams concatenate", shell_soap_send_parse(&req, &no_ctx, &s) == ERR_OK &&
					     s.len == 6 && memcmp(s.data, "abcdef", 6) == 0 &&
					     s.end == 1);
	shell_send_req_clear(&s);
	wsman_request_clear(&req);

	static const struct {
		const char *name, *body;
		enum err e;
	} bad[] = {
	    {"send bad base64",
	     "<rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"" CMD_ID
	     "\">YW!j</rsp:Stream></rsp:Send>",
	     ERR_WSMAN_SCHEMA},
	    {"send truncated base64",
	     "<rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"" CMD_ID
	     "\">YWJ</rsp:Stream></rsp:Send>",
	     ERR_WSMAN_SCHEMA},
	    {"send no CommandId",
	     "<rsp:Send><rsp:Stream Name=\"stdin\">YWJj</rsp:Stream></rsp:Send>",
	     ERR_WSMAN_INVALID_PARAMETER},
	    {"send non-GUID CommandId",
	     "<rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"1\">YWJj</rsp:Stream></rsp:Send>",
	     ERR_WSMAN_UNKNOWN_COMMAND},
	    {"send stream not stdin",
	     "<rsp:Send><rsp:Stream Name=\"pr0n\" CommandId=\"" CMD_ID
	     "\">YWJj</rsp:Stream></rsp:Send>",
	     ERR_WSMAN_INVALID_PARAMETER},
	    {"send bad End",
	     "<rsp:Send><rsp:Stream Name=\"stdin\" End=\"yes\" CommandId=\"" CMD_ID
	     "\">YWJj</rsp:Stream></rsp:Send>",
	     ERR_WSMAN_INVALID_PARAMETER},
	    {"send no stream", "<rsp:Send/>", ERR_WSMAN_SCHEMA},
	    {"send two commands",
	     "<rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"" CMD_ID "\">YWJj</rsp:Stream>"
	     "<rsp:Stream Name=\"stdin\" CommandId=\"" SHELL_ID "\">YWJj</rsp:Stream></rsp:Send>",
	     ERR_WSMAN_INVALID_PARAMETER},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse_with(PYPSRP_SELECTOR, bad[i].body, &req);
		CHECK(bad[i].name,
		      shell_soap_send_parse(&req, &no_ctx, &s) == bad[i].e && s.data == NULL);
		wsman_request_clear(&req);
	}
}

static void test_receive_signal_delete(void)
{
	struct wsman_request req;
	struct shell_receive_req r;
	struct shell_signal_req g;
	struct shell_delete_req d;

	CHECK("pypsrp receive parses", parse(pypsrp_receive, &req) == ERR_OK);
	CHECK("pypsrp receive decodes", shell_soap_receive_parse(&req, &no_ctx, &r) == ERR_OK);
	CHECK("pypsrp receive fields", STREQ(r.shell_id, SHELL_ID) && STREQ(r.command_id, CMD_ID) &&
					   r.timeout_ms == 20000 &&
					   r.max_bytes == shell_soap_receive_budget(153600));
	wsman_request_clear(&req);

	CHECK("pywinrm receive parses", parse(pywinrm_receive, &req) == ERR_OK);
	CHECK("pywinrm receive decodes",
	      shell_soap_receive_parse(&req, &no_ctx, &r) == ERR_OK && STREQ(r.command_id, CMD_ID));
	wsman_request_clear(&req);

	parse_with(
	    PYPSRP_SELECTOR,
	    "<rsp:Receive><rsp:DesiredStream>stdout stderr</rsp:DesiredStream></rsp:Receive>",
	    &req);
	CHECK("receive without CommandId",
	      shell_soap_receive_parse(&req, &no_ctx, &r) == ERR_WSMAN_INVALID_PARAMETER);
	wsman_request_clear(&req);
	parse_with(PYPSRP_SELECTOR, "<rsp:Receive SequenceId=\"0\"/>", &req);
	CHECK("receive without DesiredStream",
	      shell_soap_receive_parse(&req, &no_ctx, &r) == ERR_WSMAN_SCHEMA);
	wsman_request_clear(&req);

	CHECK("pypsrp signal parses", parse(pypsrp_signal, &req) == ERR_OK);
	CHECK("pypsrp signal ctrl_c", shell_soap_signal_parse(&req, &no_ctx, &g) == ERR_OK &&
					  g.signal == SHELL_SIGNAL_CTRL_C &&
					  STREQ(g.command_id, CMD_ID) &&
					  STREQ(g.shell_id, SHELL_ID));
	wsman_request_clear(&req);
	CHECK("pywinrm signal parses", parse(pywinrm_signal, &req) == ERR_OK);
	CHECK("pywinrm signal terminate",
	      shell_soap_signal_parse(&req, &no_ctx, &g) == ERR_OK &&
		  g.signal == SHELL_SIGNAL_TERMINATE &&
		  STREQ(g.command_id, "22222222-2222-2222-2222-222222222222"));
	wsman_request_clear(&req);

	static const struct {
		const char *code;
		enum err e;
		uint32_t sig;
	} codes[] = {
	    {"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/Terminate", ERR_OK,
	     SHELL_SIGNAL_TERMINATE},
	    {"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_break", ERR_OK,
	     SHELL_SIGNAL_CTRL_BREAK},
	    {"powershell/signal/CTRL_C", ERR_OK, SHELL_SIGNAL_CTRL_C},
	    {"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/kill",
	     ERR_WSMAN_INVALID_PARAMETER, 0},
	    {"", ERR_WSMAN_INVALID_PARAMETER, 0},
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char body[512];
		snprintf(body, sizeof(body),
			 "<rsp:Signal CommandId=\"%s\"><rsp:Code>%s</rsp:Code></rsp:Signal>",
			 CMD_ID, codes[i].code);
		parse_with(PYPSRP_SELECTOR, body, &req);
		enum err e = shell_soap_signal_parse(&req, &no_ctx, &g);
		CHECK("signal code", e == codes[i].e && (e != ERR_OK || g.signal == codes[i].sig));
		wsman_request_clear(&req);
	}
	parse_with(PYPSRP_SELECTOR, "<rsp:Signal><rsp:Code>terminate</rsp:Code></rsp:Signal>",
		   &req);
	CHECK("signal without CommandId",
	      shell_soap_signal_parse(&req, &no_ctx, &g) == ERR_WSMAN_INVALID_PARAMETER);
	wsman_request_clear(&req);
	parse_with(PYPSRP_SELECTOR, "<rsp:Signal CommandId=\"" CMD_ID "\"/>", &req);
	CHECK("signal without Code",
	      shell_soap_signal_parse(&req, &no_ctx, &g) == ERR_WSMAN_SCHEMA);
	wsman_request_clear(&req);

	CHECK("pypsrp delete parses", parse(pypsrp_delete, &req) == ERR_OK && req.body == NULL);
	CHECK("pypsrp delete decodes",
	      shell_soap_delete_parse(&req, &no_ctx, &d) == ERR_OK && STREQ(d.shell_id, SHELL_ID));
	wsman_request_clear(&req);
	CHECK("pywinrm delete parses", parse(pywinrm_delete, &req) == ERR_OK);
	CHECK("pywinrm delete decodes",
	      shell_soap_delete_parse(&req, &no_ctx, &d) == ERR_OK && STREQ(d.shell_id, SHELL_ID));
	wsman_request_clear(&req);
	parse_with("", "", &req);
	CHECK("delete without selector",
	      shell_soap_delete_parse(&req, &no_ctx, &d) == ERR_WSMAN_UNKNOWN_SHELL);
	wsman_request_clear(&req);
}

static void test_refusals(void)
{
	struct wsman_request req;
	static const char *const bad_xml[] = {
	    /* internal entity: must be refused, not expanded */
	    "<!DOCTYPE s:Envelope [<!ENTITY x \"EXPANDED\">]>"
	    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header>"
	    "<a:MessageID "
	    "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">&x;</a:MessageID>"
	    "</s:Header><s:Body/></s:Envelope>",
	    /* billion laughs */
	    "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
	    "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
	    "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
	    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
	    "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
	    "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
	    "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
	    "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
	    "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
	    "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">]>"
	    "<s:Envelope "
	    "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>&lol9;</s:Body></"
	    "s:Envelope>",
	    /* external entity */
	    "<!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
	    "<s:Envelope "
	    "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>&xxe;</s:Body></"
	    "s:Envelope>",
	    /* external subset only */
	    "<!DOCTYPE s:Envelope SYSTEM \"http://127.0.0.1:9/x.dtd\">"
	    "<s:Envelope "
	    "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>",
	    /* undeclared entity */
	    "<s:Envelope "
	    "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>&nope;</s:Body></"
	    "s:Envelope>",
	    "not xml at all",
	    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>",
	    /* SOAP 1.1 envelope */
	    "<s:Envelope "
	    "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body/></s:Envelope>",
	    "<Envelope><Body/></Envelope>",
	    "<s:Envelope "
	    "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header/></s:Envelope>",
	    "<s:Envelope "
	    "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/><s:Body/></s:Envelope>",
	    "<s:Envelope "
	    "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/><s:Header/></s:Envelope>",
	    "<s:Envelope "
	    "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><x/><s:Body/></s:Envelope>",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad_xml) / sizeof(bad_xml[0]); i++) {
		enum err e = parse(bad_xml[i], &req);
		char name[64];
		snprintf(name, sizeof(name), "refused as invalid XML #%zu", i);
		CHECK(name,
		      e == ERR_WSMAN_INVALID_XML && req.doc == NULL && req.hdr.message_id == NULL);
		wsman_request_clear(&req);
	}

	/* UTF-16LE with a BOM (Windows clients may send charset=UTF-16). */
	size_t n = strlen(pypsrp_delete);
	uint8_t *u16 = malloc(2 * n + 2);
	u16[0] = 0xff;
	u16[1] = 0xfe;
	for (size_t i = 0; i < n; i++) {
		u16[2 + 2 * i] = (uint8_t)pypsrp_delete[i];
		u16[3 + 2 * i] = 0;
	}
	CHECK("UTF-16LE envelope parses",
	      wsman_parse(u16, 2 * n + 2, &req) == ERR_OK &&
		  STREQ(req.hdr.message_id, "uuid:1A8D3A02-2F67-49E4-9A4C-991479803C03"));
	wsman_request_clear(&req);
	free(u16);
}

static void test_header_rules(void)
{
	struct wsman_request req;
	static const char open[] =
	    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
	    "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
	    "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">";
	char doc[2048];

	snprintf(doc, sizeof(doc),
		 "%s<s:Header><a:Action>%s</a:Action></s:Header><s:Body/></s:Envelope>", open,
		 ACTION_DELETE);
	CHECK("missing MessageID",
	      parse(doc, &req) == ERR_WSMAN_HEADER_REQUIRED && req.hdr.message_id == NULL);
	wsman_request_clear(&req);

	snprintf(doc, sizeof(doc),
		 "%s<s:Header><a:MessageID>uuid:M1</a:MessageID></s:Header><s:Body/></s:Envelope>",
		 open);
	CHECK("missing Action keeps MessageID", parse(doc, &req) == ERR_WSMAN_HEADER_REQUIRED &&
						    STREQ(req.hdr.message_id, "uuid:M1") &&
						    req.doc == NULL);
	wsman_request_clear(&req);

	snprintf(doc, sizeof(doc), "%s<s:Body/></s:Envelope>", open);
	CHECK("no header at all", parse(doc, &req) == ERR_WSMAN_HEADER_REQUIRED);
	wsman_request_clear(&req);

	snprintf(doc, sizeof(doc),
		 "%s<s:Header><w:OperationTimeout>PT-1S</w:OperationTimeout><a:Action>%s</a:Action>"
		 "<a:MessageID>uuid:M2</a:MessageID></s:Header><s:Body/></s:Envelope>",
		 open, ACTION_DELETE);
	CHECK("bad OperationTimeout keeps later MessageID",
	      parse(doc, &req) == ERR_WSMAN_INVALID_HEADER && STREQ(req.hdr.message_id, "uuid:M2"));
	wsman_request_clear(&req);

	static const struct {
		const char *name, *extra;
		enum err e;
	} rules[] = {
	    {"duplicate OperationTimeout",
	     "<wsman:OperationTimeout>PT60.000S</wsman:OperationTimeout>",
	     ERR_WSMAN_INVALID_HEADER},
	    {"duplicate MaxEnvelopeSize", "<wsman:MaxEnvelopeSize>153600</wsman:MaxEnvelopeSize>",
	     ERR_WSMAN_INVALID_HEADER},
	    {"unknown wsman header with s:mustUnderstand",
	     "<wsman:FragmentTransfer s:mustUnderstand=\"true\">x</wsman:FragmentTransfer>",
	     ERR_WSMAN_MUST_UNDERSTAND},
	    {"unknown wsa header with s:mustUnderstand=1",
	     "<wsa:FaultTo "
	     "s:mustUnderstand=\"1\"><wsa:Address>http://x</wsa:Address></wsa:FaultTo>",
	     ERR_WSMAN_MUST_UNDERSTAND},
	    {"unknown wsman header, unprefixed mustUnderstand",
	     "<wsman:FragmentTransfer mustUnderstand=\"true\">x</wsman:FragmentTransfer>", ERR_OK},
	    {"unknown wsman header, mustUnderstand false",
	     "<wsman:FragmentTransfer s:mustUnderstand=\"false\">x</wsman:FragmentTransfer>",
	     ERR_OK},
	    {"foreign namespace header with s:mustUnderstand",
	     "<rsp:CompressionType s:mustUnderstand=\"true\">xpress</rsp:CompressionType>", ERR_OK},
	    {"duplicate Action", "<wsa:Action>x</wsa:Action>", ERR_WSMAN_INVALID_HEADER},
	    {"selector without Name",
	     "<wsman:SelectorSet><wsman:Selector>x</wsman:Selector></wsman:SelectorSet>",
	     ERR_WSMAN_SCHEMA},
	    {"nine selectors",
	     "<wsman:SelectorSet><wsman:Selector Name=\"a\">1</wsman:Selector><wsman:Selector "
	     "Name=\"b\">1</wsman:Selector>"
	     "<wsman:Selector Name=\"c\">1</wsman:Selector><wsman:Selector "
	     "Name=\"d\">1</wsman:Selector>"
	     "<wsman:Selector Name=\"e\">1</wsman:Selector><wsman:Selector "
	     "Name=\"f\">1</wsman:Selector>"
	     "<wsman:Selector Name=\"g\">1</wsman:Selector><wsman:Selector "
	     "Name=\"h\">1</wsman:Selector>"
	     "<wsman:Selector Name=\"i\">1</wsman:Selector></wsman:SelectorSet>",
	     ERR_WSMAN_ENCODING_LIMIT},
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		/* The pypsrp header already has OperationTimeout,
		 * MaxEnvelopeSize and Action: a second one is ambiguous. */
		enum err e = parse_with(rules[i].extra, "", &req);
		CHECK(rules[i].name, e == rules[i].e);
		CHECK("MessageID kept",
		      STREQ(req.hdr.message_id, "uuid:AAAAAAAA-0000-4000-8000-000000000001"));
		wsman_request_clear(&req);
	}

	static const struct {
		const char *v;
		enum err e;
	} mes[] = {{"8192", ERR_OK},
		   {"8191", ERR_WSMAN_MAX_ENVELOPE},
		   {"0x100", ERR_WSMAN_INVALID_HEADER},
		   {"99999999999", ERR_WSMAN_INVALID_HEADER},
		   {"", ERR_WSMAN_INVALID_HEADER}};
	for (size_t i = 0; i < sizeof(mes) / sizeof(mes[0]); i++) {
		snprintf(
		    doc, sizeof(doc),
		    "%s<s:Header><w:MaxEnvelopeSize>%s</w:MaxEnvelopeSize><a:Action>%s</a:Action>"
		    "<a:MessageID>uuid:M3</a:MessageID></s:Header><s:Body/></s:Envelope>",
		    open, mes[i].v, ACTION_DELETE);
		CHECK("MaxEnvelopeSize rule", parse(doc, &req) == mes[i].e);
		wsman_request_clear(&req);
	}

	/* A header value one byte over WSMAN_MAX_HEADER_VALUE. */
	char *longid = malloc(WSMAN_MAX_HEADER_VALUE + 2);
	memset(longid, 'a', WSMAN_MAX_HEADER_VALUE + 1);
	longid[WSMAN_MAX_HEADER_VALUE + 1] = 0;
	char *big = malloc(WSMAN_MAX_HEADER_VALUE + 1024);
	snprintf(
	    big, WSMAN_MAX_HEADER_VALUE + 1024,
	    "%s<s:Header><a:Action>%s</a:Action><a:To>%s</a:To><a:MessageID>uuid:M4</a:MessageID>"
	    "</s:Header><s:Body/></s:Envelope>",
	    open, ACTION_DELETE, longid);
	CHECK("header value over limit",
	      parse(big, &req) == ERR_WSMAN_ENCODING_LIMIT && STREQ(req.hdr.message_id, "uuid:M4"));
	wsman_request_clear(&req);
	free(big);
	free(longid);
}

static void test_replies(void)
{
	struct wsman_request req;
	struct buf b;
	xmlDocPtr d;
	char *s;

	buf_init(&b, 1 << 20);
	parse(pypsrp_send, &req);
	CHECK("send reply", shell_soap_send_reply(&b, &req, &no_reply_ctx, NULL, NULL) == ERR_OK);
	s = masked(&b);
	CHECK(
	    "send reply bytes",
	    STREQ(s,
		  "<s:Envelope xml:lang=\"en-US\" "
		  "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
		  "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
		  "xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\" "
		  "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
		  "xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\" "
		  "xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\"><s:Header>"
		  "<a:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SendResponse</"
		  "a:Action>"
		  "<a:MessageID>uuid:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX</a:MessageID>"
		  "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
		  "<a:RelatesTo>uuid:221CD7F2-D09E-4512-BACC-EFCBA50775A3</a:RelatesTo></s:Header>"
		  "<s:Body><rsp:SendResponse/></s:Body></s:Envelope>"));
	free(s);
	wsman_request_clear(&req);

	/* Every reply parses back with the request's MessageID in RelatesTo. */
	static const char *const reqs[] = {pypsrp_create, pypsrp_command, pypsrp_signal,
					   pypsrp_delete, pywinrm_receive};
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		struct shell_receive_reply rr = {0};
		struct shell_reply_ctx ctx = {.machine_url = "http://192.168.56.11:5985/wsman",
					      .owner = "vagrant",
					      .client_ip = "192.168.56.1"};
		struct shell_create_req creq = {0};
		struct shell_create_reply created = {.shell_id = SHELL_ID,
						     .idle_timeout_ms = 7200000};
		enum err e;

		parse(reqs[i], &req);
		buf_reset(&b);
		switch (i) {
		case 0:
			e = shell_soap_create_reply(&b, &req, &ctx, &creq, &created);
			break;
		case 1:
			e = shell_soap_command_reply(&b, &req, &no_reply_ctx, NULL,
						     &command_started);
			break;
		case 2:
			e = shell_soap_signal_reply(&b, &req, &no_reply_ctx, NULL, NULL);
			break;
		case 3:
			e = wsman_reply_delete(&b, &req);
			break;
		default:
			e = shell_soap_receive_reply(&b, &req, &no_reply_ctx, &receive_req, &rr);
			break;
		}
		d = reparse(&b);
		CHECK("reply builds and parses back", e == ERR_OK && d != NULL);
		CHECK("reply RelatesTo is the request MessageID",
		      text_is(d, NS_WSA, "RelatesTo", req.hdr.message_id));
		CHECK("reply To is anonymous", text_is(d, NS_WSA, "To", ANON));
		xmlFreeDoc(d);
		wsman_request_clear(&req);
	}

	/* CreateResponse: both forms of the id, echoes, escaping. */
	char *names[] = {"A&B", "q\"t"}, *values[] = {"<v>", "line1\nline2"};
	struct shell_reply_ctx ctx = {
	    .machine_url = "http://h:5985/wsman", .owner = "DOM\\u<ser>", .client_ip = "::1"};
	struct shell_create_req creq = {
	    .working_dir = "/home/u & v", .nenv = 2, .env_names = names, .env_values = values};
	struct shell_create_reply created = {.shell_id = SHELL_ID, .idle_timeout_ms = 60000};
	parse(pypsrp_create_env, &req);
	buf_reset(&b);
	CHECK("create reply", shell_soap_create_reply(&b, &req, &ctx, &creq, &created) == ERR_OK);
	d = reparse(&b);
	CHECK("create reply parses", d != NULL);
	xmlNodePtr sel = d ? find(xmlDocGetRootElement(d), NS_WSMAN, "Selector") : NULL;
	xmlChar *nm = sel ? xmlGetProp(sel, (const xmlChar *)"Name") : NULL;
	CHECK("create reply selector", nm && strcmp((const char *)nm, "ShellId") == 0 &&
					   text_is(d, NS_WSMAN, "Selector", SHELL_ID));
	xmlFree(nm);
	CHECK("create reply rsp:ShellId", text_is(d, NS_SHELL, "ShellId", SHELL_ID));
	CHECK("create reply address", text_is(d, NS_WSA, "Address", "http://h:5985/wsman"));
	CHECK("create reply owner escaped", text_is(d, NS_SHELL, "Owner", "DOM\\u<ser>"));
	CHECK("create reply working dir", text_is(d, NS_SHELL, "WorkingDirectory", "/home/u & v"));
	CHECK("create reply idle timeout", text_is(d, NS_SHELL, "IdleTimeOut", "PT60.000S"));
	CHECK("create reply run time", text_is(d, NS_SHELL, "ShellRunTime", "P0DT0H0M0S"));
	xmlNodePtr var = d ? find(xmlDocGetRootElement(d), NS_SHELL, "Variable") : NULL;
	xmlChar *vn = var ? xmlGetProp(var, (const xmlChar *)"Name") : NULL;
	xmlChar *vv = var && var->next ? xmlGetProp(var->next, (const xmlChar *)"Name") : NULL;
	xmlChar *vt = var && var->next ? xmlNodeGetContent(var->next) : NULL;
	CHECK("create reply env round-trips", vn && vv && vt &&
						  strcmp((const char *)vn, "A&B") == 0 &&
						  strcmp((const char *)vv, "q\"t") == 0 &&
						  strcmp((const char *)vt, "line1\nline2") == 0);
	xmlFree(vn);
	xmlFree(vv);
	xmlFree(vt);
	xmlFreeDoc(d);
	s = masked(&b);
	CHECK("create reply order",
	      strstr(s, "</rsp:ClientIP><rsp:WorkingDirectory>") &&
		  strstr(s, "</rsp:Environment><rsp:IdleTimeOut>") &&
		  strstr(s, "<rsp:Shell "
			    "xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\">"
			    "<rsp:ShellId>"));
	free(s);
	wsman_request_clear(&req);

	/* A hostile MessageID is escaped in RelatesTo. */
	static const char evil[] =
	    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
	    "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\"><s:Header>"
	    "<a:Action>x</a:Action><a:MessageID>uuid:&lt;/a:RelatesTo&gt;&amp;\"</a:MessageID>"
	    "</s:Header><s:Body/></s:Envelope>";
	CHECK("hostile MessageID parses", parse(evil, &req) == ERR_OK);
	buf_reset(&b);
	shell_soap_signal_reply(&b, &req, &no_reply_ctx, NULL, NULL);
	d = reparse(&b);
	CHECK("hostile MessageID escaped",
	      text_is(d, NS_WSA, "RelatesTo", "uuid:</a:RelatesTo>&\""));
	xmlFreeDoc(d);
	wsman_request_clear(&req);

	/* ReceiveResponse with Done. */
	static const uint8_t out1[] = "output 1", out2[] = "\n", err1[] = "oops";
	struct shell_receive_reply rr = {.nchunks = 4,
					 .chunks = {{SHELL_STDOUT, out1, 8},
						    {SHELL_STDOUT, out2, 1},
						    {SHELL_STDERR, err1, 4},
						    {SHELL_STDOUT, out1, 0}},
					 .stdout_end = 1,
					 .stderr_end = 1,
					 .done = 1,
					 .exit_code = 3221225786u};
	parse(pypsrp_receive, &req);
	buf_reset(&b);
	CHECK("receive reply",
	      shell_soap_receive_reply(&b, &req, &no_reply_ctx, &receive_req, &rr) == ERR_OK);
	s = masked(&b);
	CHECK(
	    "receive reply body bytes",
	    strstr(s,
		   "<s:Body><rsp:ReceiveResponse>"
		   "<rsp:Stream Name=\"stdout\" CommandId=\"" CMD_ID "\">b3V0cHV0IDE=</rsp:Stream>"
		   "<rsp:Stream Name=\"stdout\" CommandId=\"" CMD_ID "\">Cg==</rsp:Stream>"
		   "<rsp:Stream Name=\"stderr\" CommandId=\"" CMD_ID "\">b29wcw==</rsp:Stream>"
		   "<rsp:Stream Name=\"stdout\" CommandId=\"" CMD_ID "\" End=\"true\"></rsp:Stream>"
		   "<rsp:Stream Name=\"stderr\" CommandId=\"" CMD_ID "\" End=\"true\"></rsp:Stream>"
		   "<rsp:CommandState CommandId=\"" CMD_ID
		   "\" State=\"http://schemas.microsoft.com/wbem/wsman/1/"
		   "windows/shell/CommandState/Done\"><rsp:ExitCode>3221225786</rsp:ExitCode></"
		   "rsp:CommandState>"
		   "</rsp:ReceiveResponse></s:Body></s:Envelope>") != NULL);
	free(s);
	d = reparse(&b);
	CHECK("receive reply exactly one Done",
	      d && count_attr_suffix(xmlDocGetRootElement(d), "State", "CommandState/Done") == 1);
	CHECK("receive reply ExitCode", text_is(d, NS_SHELL, "ExitCode", "3221225786"));
	xmlFreeDoc(d);

	struct shell_receive_reply running = {.nchunks = 1,
					      .chunks = {{SHELL_STDOUT, (const uint8_t *)"hi", 2}}};
	buf_reset(&b);
	CHECK("receive reply running",
	      shell_soap_receive_reply(&b, &req, &no_reply_ctx, &receive_req, &running) == ERR_OK);
	d = reparse(&b);
	CHECK("receive reply running has no Done and no ExitCode",
	      d && count_attr_suffix(xmlDocGetRootElement(d), "State", "CommandState/Done") == 0 &&
		  count_attr_suffix(xmlDocGetRootElement(d), "State", "CommandState/Running") ==
		      1 &&
		  !find(xmlDocGetRootElement(d), NS_SHELL, "ExitCode"));
	xmlFreeDoc(d);
	struct shell_receive_reply badstream = {.nchunks = 1,
						.chunks = {{7, (const uint8_t *)"hi", 2}}};
	buf_reset(&b);
	CHECK("receive reply refuses unknown stream",
	      shell_soap_receive_reply(&b, &req, &no_reply_ctx, &receive_req, &badstream) ==
		  ERR_USAGE);

	/* Delete reply: Windows' empty s:Body. */
	buf_reset(&b);
	wsman_reply_delete(&b, &req);
	s = masked(&b);
	CHECK("delete reply empty body",
	      strstr(s, "</s:Header><s:Body></s:Body></s:Envelope>") != NULL &&
		  strstr(s, "transfer/DeleteResponse</a:Action>") != NULL);
	free(s);
	wsman_request_clear(&req);

	/* A reply that does not fit the buffer reports it. */
	struct buf small;
	buf_init(&small, 64);
	parse(pypsrp_send, &req);
	CHECK("reply over buffer max",
	      shell_soap_send_reply(&small, &req, &no_reply_ctx, NULL, NULL) == ERR_LIMIT);
	buf_clear(&small);
	wsman_request_clear(&req);
	buf_clear(&b);
}

static void test_budget(void)
{
	struct wsman_request req;
	struct buf b;

	CHECK("budget default envelope", shell_soap_receive_budget(153600) > 100000 &&
					     shell_soap_receive_budget(153600) < 115200);
	CHECK("budget minimum envelope not zero", shell_soap_receive_budget(8192) > 0);
	CHECK("budget monotonic",
	      shell_soap_receive_budget(20000) <= shell_soap_receive_budget(30000));
	CHECK("budget tiny", shell_soap_receive_budget(100) == 0);

	/* Worst case for a given size: the budget cut in as many chunks as
	 * it allows, alternating streams, End markers and Done, answering a
	 * typical client MessageID. */
	parse(pypsrp_receive, &req);
	buf_init(&b, 1 << 20);
	static uint8_t data[200000]; /* more than any budget below */
	int ok = 1;
	for (uint64_t max = 8192; max <= 200000 && ok; max += 997) {
		uint32_t budget = shell_soap_receive_budget(max);
		struct shell_receive_reply r = {
		    .stdout_end = 1, .stderr_end = 1, .done = 1, .exit_code = 4294967295u};
		uint32_t k = budget < SHELL_MAX_CHUNKS ? budget : SHELL_MAX_CHUNKS;
		for (uint32_t i = 0, off = 0; i < k; i++) {
			uint32_t len = budget / k + (i < budget % k);
			r.chunks[i] = (struct shell_chunk){(uint8_t)(i & 1), data + off, len};
			off += len;
		}
		r.nchunks = k;
		buf_reset(&b);
		ok =
		    budget > 0 &&
		    shell_soap_receive_reply(&b, &req, &no_reply_ctx, &receive_req, &r) == ERR_OK &&
		    buf_len(&b) <= max;
		if (!ok)
			printf("# budget %u for MaxEnvelopeSize %llu gives %zu bytes\n", budget,
			       (unsigned long long)max, buf_len(&b));
	}
	CHECK("budget keeps every worst-case reply within MaxEnvelopeSize", ok);
	buf_clear(&b);
	wsman_request_clear(&req);
}

static void test_faults(void)
{
	struct buf b;
	char *s;
	int status;

	buf_init(&b, 65536);
	status = wsman_fault(&b, ERR_WSMAN_TIMED_OUT, "uuid:9BE5F54A-6B47-487D-9ACD-65201E650446",
			     "192.168.56.11");
	s = masked(&b);
	CHECK("timed out status", status == 500);
	CHECK("timed out fault bytes",
	      STREQ(s,
		    "<s:Envelope xml:lang=\"en-US\" "
		    "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
		    "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
		    "xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\" "
		    "xmlns:e=\"http://schemas.xmlsoap.org/ws/2004/08/eventing\" "
		    "xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" "
		    "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
		    "xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\"><s:Header>"
		    "<a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>"
		    "<a:MessageID>uuid:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX</a:MessageID>"
		    "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
		    "<a:RelatesTo>uuid:9BE5F54A-6B47-487D-9ACD-65201E650446</a:RelatesTo></"
		    "s:Header><s:Body>"
		    "<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</"
		    "s:Value>"
		    "</s:Subcode></s:Code><s:Reason><s:Text xml:lang=\"en-US\">The WS-Management "
		    "service cannot "
		    "complete the operation within the time specified in OperationTimeout.  "
		    "</s:Text></s:Reason>"
		    "<s:Detail><f:WSManFault "
		    "xmlns:f=\"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault\" "
		    "Code=\"2150858793\" Machine=\"192.168.56.11\"><f:Message>The WS-Management "
		    "service cannot "
		    "complete the operation within the time specified in OperationTimeout.  "
		    "</f:Message>"
		    "</f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>"));
	CHECK("timed out has OperationTimeout and code",
	      strstr(s, "OperationTimeout") && strstr(s, "Code=\"2150858793\""));
	free(s);

	buf_reset(&b);
	status = wsman_fault(&b, ERR_WSMAN_UNKNOWN_COMMAND, "uuid:x", "192.168.56.15");
	s = masked(&b);
	CHECK("unknown command fault",
	      status == 500 &&
		  strstr(s, "<s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:InvalidSelectors</"
			    "s:Value>") &&
		  strstr(s, "<s:Detail><w:FaultDetail>http://schemas.dmtf.org/wbem/wsman/1/wsman/"
			    "faultDetail/UnexpectedSelectors</w:FaultDetail>") &&
		  strstr(s, "Code=\"2150858843\"") &&
		  strstr(s, "command identifier that does not exist"));
	free(s);

	buf_reset(&b);
	wsman_fault(&b, ERR_WSMAN_INVALID_PARAMETER, NULL, "h");
	s = masked(&b);
	CHECK("invalid parameter provider fault",
	      strstr(s, "Code=\"87\" Machine=\"h\"><f:Message><f:ProviderFault provider=\"Shell "
			"cmd plugin\" "
			"path=\"%systemroot%\\system32\\winrscmd.dll\">The parameter is incorrect. "
			"</f:ProviderFault>"
			"</f:Message>") &&
		  !strstr(s, "RelatesTo"));
	free(s);

	buf_reset(&b);
	wsman_fault(&b, ERR_WSMAN_HEADER_REQUIRED, "uuid:y", NULL);
	s = masked(&b);
	CHECK(
	    "addressing fault action",
	    strstr(s,
		   "<a:Action>http://schemas.xmlsoap.org/ws/2004/08/addressing/fault</a:Action>") &&
		strstr(s, "<s:Value>a:MessageInformationHeaderRequired</s:Value>") &&
		!strstr(s, "Machine="));
	free(s);

	buf_reset(&b);
	wsman_fault(&b, ERR_WSMAN_MUST_UNDERSTAND, "uuid:z", "h");
	s = masked(&b);
	CHECK("must understand fault",
	      strstr(s, "<s:Code><s:Value>s:MustUnderstand</s:Value></s:Code>") &&
		  strstr(s, "Code=\"2150858768\""));
	free(s);

	buf_reset(&b);
	CHECK("invalid xml is 400 with a body",
	      wsman_fault(&b, ERR_WSMAN_INVALID_XML, NULL, "h") == 400 && buf_len(&b) > 0);

	buf_reset(&b);
	wsman_fault(&b, ERR_WSMAN_UNKNOWN_SHELL, "uuid:\"&<", "<h\"ost>");
	xmlDocPtr d = reparse(&b);
	CHECK("fault escapes machine and relates-to",
	      d && text_is(d, NS_WSA, "RelatesTo", "uuid:\"&<"));
	xmlNodePtr wf = d ? find(xmlDocGetRootElement(d), NS_WSMANFAULT, "WSManFault") : NULL;
	xmlChar *m = wf ? xmlGetProp(wf, (const xmlChar *)"Machine") : NULL;
	CHECK("fault machine round-trips", m && strcmp((const char *)m, "<h\"ost>") == 0);
	xmlFree(m);
	xmlFreeDoc(d);

	/* Every wire code has its own entry: HTTP codes an empty body and
	 * their status, WS-Man codes a fault that parses and is not the
	 * InternalError fallback. */
	static const int http[] = {400, 400, 404, 405, 413, 415, 401, 503};
	for (int e = ERR_HTTP_BAD_REQUEST; e < ERR_COUNT; e++) {
		char name[80];
		buf_reset(&b);
		status = wsman_fault(&b, (enum err)e, "uuid:r", "m");
		if (e <= ERR_HTTP_BUSY) {
			snprintf(name, sizeof(name), "http code %s -> %d, empty body",
				 err_str((enum err)e), http[e - ERR_HTTP_BAD_REQUEST]);
			CHECK(name, status == http[e - ERR_HTTP_BAD_REQUEST] && buf_len(&b) == 0 &&
					wsman_http_status((enum err)e) == status);
			continue;
		}
		d = reparse(&b);
		s = masked(&b);
		snprintf(name, sizeof(name), "fault entry for %s", err_str((enum err)e));
		CHECK(name, d && status == wsman_http_status((enum err)e) &&
				(status == 500 || e == ERR_WSMAN_INVALID_XML) &&
				(e == ERR_WSMAN_INTERNAL || !strstr(s, "Code=\"2150858755\"")) &&
				strstr(s, "<s:Text xml:lang=\"en-US\">") &&
				strstr(s, " </s:Text>"));
		free(s);
		xmlFreeDoc(d);
	}
	CHECK("unmapped code is an internal error", wsman_http_status(ERR_NOMEM) == 500);
	buf_reset(&b);
	wsman_fault(&b, ERR_NOMEM, NULL, NULL);
	s = masked(&b);
	CHECK("unmapped code fault body",
	      strstr(s, "w:InternalError") && strstr(s, "Code=\"2150858755\""));
	free(s);

	struct buf tiny;
	buf_init(&tiny, 100);
	CHECK("fault over buffer max is 500",
	      wsman_fault(&tiny, ERR_WSMAN_INVALID_XML, NULL, NULL) == 500);
	buf_clear(&tiny);
	buf_clear(&b);
}

/* ---- WS-Transfer and WS-Enumeration on configuration resources ---- */

#define URI_CONFIG "http://schemas.microsoft.com/wbem/wsman/1/config"

/* Section 6.2's real Get (pypsrp to Windows), verbatim. */
static const char config_get[] =
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
    "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
    "xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
    "xmlns:wsmv=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\">\n<s:Header>\n"
    "<wsa:Action "
    "s:mustUnderstand=\"true\">http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</wsa:Action>\n"
    "<wsmv:DataLocale s:mustUnderstand=\"false\" xml:lang=\"en-US\" />\n"
    "<wsman:Locale s:mustUnderstand=\"false\" xml:lang=\"en-US\" />\n"
    "<wsman:MaxEnvelopeSize s:mustUnderstand=\"true\">153600</wsman:MaxEnvelopeSize>\n"
    "<wsa:MessageID>uuid:452E314E-4267-4F1D-AE4F-5E3483848E3B</wsa:MessageID>\n"
    "<wsman:OperationTimeout>PT20S</wsman:OperationTimeout>\n<wsa:ReplyTo>\n"
    "<wsa:Address s:mustUnderstand=\"true\">" ANON "</wsa:Address>\n</wsa:ReplyTo>\n"
    "<wsman:ResourceURI s:mustUnderstand=\"true\">" URI_CONFIG "</wsman:ResourceURI>\n"
    "<wsmv:SessionId "
    "s:mustUnderstand=\"false\">uuid:972FD2C1-AE4A-4396-BDF9-67DF699A009B</wsmv:SessionId>\n"
    "<wsa:To>https://127.0.0.1:55986/wsman</wsa:To>\n</s:Header>\n<s:Body />\n</s:Envelope>";

/* A request in pywinrm's shape on a configuration resource. */
static enum err parse_config(const char *action, const char *uri, const char *selectors,
			     const char *body, struct wsman_request *req)
{
	char doc[65536];
	int n = snprintf(doc, sizeof(doc),
			 "<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" "
			 "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
			 "xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" "
			 "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
			 "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><env:Header>"
			 "<a:To>http://h:5985/wsman</"
			 "a:To><a:MessageID>uuid:C0C0C0C0-0000-4000-8000-000000000001</a:MessageID>"
			 "<w:ResourceURI>%s</w:ResourceURI><a:Action>%s</a:Action>%s</env:Header>"
			 "<env:Body>%s</env:Body></env:Envelope>",
			 uri, action, selectors, body);
	if (n < 0 || (size_t)n >= sizeof(doc))
		abort();
	return wsman_parse((const uint8_t *)doc, (size_t)n, req);
}

/* wsman_properties_parse of a Put/Create body: the error. */
static enum err properties(const char *uri, const char *root, const char *body,
			   struct wsman_properties *out)
{
	struct wsman_request req;
	enum err e = parse_config(ACTION_PUT, uri, "", body, &req);

	out->n = 0;
	if (e == ERR_OK)
		e = wsman_properties_parse(&req, root, out);
	wsman_request_clear(&req);
	return e;
}

static int property_is(const struct wsman_properties *p, uint32_t i, const char *name,
		       const char *value)
{
	return i < p->n && STREQ(p->p[i].name, name) &&
	       (value ? STREQ(p->p[i].value, value) : p->p[i].value == NULL);
}

static void test_config_bodies(void)
{
	struct wsman_properties p;
	struct wsman_request req;
	char body[32768];
	enum err e;

	CHECK("section 6.2 Get parses",
	      parse(config_get, &req) == ERR_OK && STREQ(req.hdr.action, ACTION_GET) &&
		  STREQ(req.hdr.resource_uri, URI_CONFIG) && req.body == NULL);
	wsman_request_clear(&req);

	/* What winrm set sends: the Get result of the sub-resource, edited. */
	e = properties(
	    URI_CONFIG "/Service", "Service",
	    "<cfg:Service xmlns:cfg=\"" URI_CONFIG "/service\">"
	    "<cfg:RootSDDL>O:NSG</cfg:RootSDDL>\n  <cfg:Auth><cfg:Basic> true </cfg:Basic>"
	    "<cfg:CbtHardeningLevel Source=\"GPO\">Strict</cfg:CbtHardeningLevel></cfg:Auth>"
	    "<cfg:CertificateThumbprint xsi:nil=\"true\"/><cfg:IPv4Filter></cfg:IPv4Filter>"
	    "</cfg:Service>",
	    &p);
	CHECK("put body flattened: paths, trimmed text, nil, empty",
	      e == ERR_OK && p.n == 5 && property_is(&p, 0, "RootSDDL", "O:NSG") &&
		  property_is(&p, 1, "Auth/Basic", "true") &&
		  property_is(&p, 2, "Auth/CbtHardeningLevel", "Strict") &&
		  property_is(&p, 3, "CertificateThumbprint", NULL) &&
		  property_is(&p, 4, "IPv4Filter", ""));
	wsman_properties_clear(&p);
	/* Section 6.4's Create body, verbatim. */
	e = properties(
	    URI_CONFIG "/Listener", "Listener",
	    "<p:Listener xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/config/Listener\">"
	    "<p:Hostname>HOST</p:Hostname><p:CertificateThumbprint>XXXXXXXXXX</"
	    "p:CertificateThumbprint>"
	    "</p:Listener>",
	    &p);
	CHECK("section 6.4 create body",
	      e == ERR_OK && p.n == 2 && property_is(&p, 0, "Hostname", "HOST") &&
		  property_is(&p, 1, "CertificateThumbprint", "XXXXXXXXXX"));
	wsman_properties_clear(&p);
	e = properties(URI_CONFIG, "Config",
		       "<cfg:Config xmlns:cfg=\"" URI_CONFIG
		       "\"><cfg:Client><cfg:Auth><cfg:Basic>false"
		       "</cfg:Basic></cfg:Auth></cfg:Client></cfg:Config>",
		       &p);
	CHECK("put root: three levels deep",
	      e == ERR_OK && p.n == 1 && property_is(&p, 0, "Client/Auth/Basic", "false"));
	wsman_properties_clear(&p);

	CHECK("put: another root element",
	      properties(URI_CONFIG "/service", "Service",
			 "<cfg:Winrs xmlns:cfg=\"" URI_CONFIG "/service\"/>",
			 &p) == ERR_WSMAN_SCHEMA);
	CHECK("put: a namespace other than the resource URI",
	      properties(URI_CONFIG "/service", "Service",
			 "<cfg:Service xmlns:cfg=\"" URI_CONFIG "\"/>", &p) == ERR_WSMAN_SCHEMA);
	CHECK("put: a child in another namespace",
	      properties(URI_CONFIG "/winrs", "Winrs",
			 "<cfg:Winrs xmlns:cfg=\"" URI_CONFIG
			 "/winrs\"><x:IdleTimeout xmlns:x=\"urn:x\">1"
			 "</x:IdleTimeout></cfg:Winrs>",
			 &p) == ERR_WSMAN_SCHEMA);
	CHECK("put: nested four deep", properties(URI_CONFIG, "Config",
						  "<c:Config xmlns:c=\"" URI_CONFIG
						  "\"><c:A><c:B><c:C><c:D>1</c:D></c:C></c:B></c:A>"
						  "</c:Config>",
						  &p) == ERR_WSMAN_SCHEMA);
	CHECK("put: no body", properties(URI_CONFIG, "Config", "", &p) == ERR_WSMAN_SCHEMA);
	int o = snprintf(body, sizeof(body), "<c:Winrs xmlns:c=\"" URI_CONFIG "/winrs\">");
	for (int i = 0; i <= WSMAN_MAX_PROPERTIES; i++)
		o += snprintf(body + o, sizeof(body) - (size_t)o, "<c:S%d>1</c:S%d>", i, i);
	snprintf(body + o, sizeof(body) - (size_t)o, "</c:Winrs>");
	CHECK("put: too many settings",
	      properties(URI_CONFIG "/winrs", "Winrs", body, &p) == ERR_WSMAN_ENCODING_LIMIT &&
		  p.n == 0);
	o = snprintf(body, sizeof(body), "<c:Winrs xmlns:c=\"" URI_CONFIG "/winrs\"><c:");
	memset(body + o, 'N', WSMAN_MAX_PROPERTY_NAME + 1);
	o += WSMAN_MAX_PROPERTY_NAME + 1;
	snprintf(body + o, sizeof(body) - (size_t)o, "/></c:Winrs>");
	CHECK("put: overlong name",
	      properties(URI_CONFIG "/winrs", "Winrs", body, &p) == ERR_WSMAN_ENCODING_LIMIT);
}

/* The body decoders of section 6.7 on a listener request: which = 'E'
 * (Enumerate), 'P' (Pull) or 'R' (Release). */
static enum err enumeration_of(int which, const char *body, struct wsman_enumerate_req *en,
			       struct wsman_pull_req *pl)
{
	const char *action = which == 'E'   ? ACTION_ENUMERATE
			     : which == 'P' ? ACTION_PULL
					    : ACTION_RELEASE;
	struct wsman_request req;
	enum err e = parse_config(action, URI_CONFIG "/listener", "", body, &req);

	if (e == ERR_OK)
		e = which == 'E'   ? wsman_enumerate_parse(&req, en)
		    : which == 'P' ? wsman_pull_parse(&req, pl)
				   : wsman_release_parse(&req, pl);
	wsman_request_clear(&req);
	return e;
}

static void test_enumeration(void)
{
	struct wsman_enumerate_req en;
	struct wsman_pull_req pl;

	/* WinRb's Enumerate (section 6.7), with and without its filter. */
	CHECK("enumerate: optimized, 32000",
	      enumeration_of(
		  'E',
		  "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>"
		  "<p:SessionId xmlns:p=\"urn:p\">uuid:1</p:SessionId></n:Enumerate>",
		  &en, &pl) == ERR_OK &&
		  en.optimize && en.max_elements == 32000);
	CHECK("enumerate: a WQL filter's dialect and text",
	      enumeration_of(
		  'E',
		  "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>"
		  "<w:Filter Dialect=\"http://schemas.microsoft.com/wbem/wsman/1/WQL\"> select * "
		  "from x </w:Filter></n:Enumerate>",
		  &en, &pl) == ERR_OK &&
		  en.filtered && !en.selector &&
		  STREQ(en.dialect, "http://schemas.microsoft.com/wbem/wsman/1/WQL") &&
		  STREQ(en.text, "select * from x") && en.nfilter == 0);
	CHECK("enumerate: n:Filter is w:Filter",
	      enumeration_of('E',
			     "<n:Enumerate><n:Filter Dialect=\"urn:d\">q</n:Filter></n:Enumerate>",
			     &en, &pl) == ERR_OK &&
		  en.filtered && STREQ(en.dialect, "urn:d") && STREQ(en.text, "q"));
	CHECK("enumerate: a filter without a Dialect",
	      enumeration_of('E', "<n:Enumerate><w:Filter>q</w:Filter></n:Enumerate>", &en, &pl) ==
		      ERR_OK &&
		  en.filtered && STREQ(en.dialect, "") && STREQ(en.text, "q"));
	CHECK("enumerate: selectors of PowerShell's Selector dialect",
	      enumeration_of('E',
			     "<n:Enumerate><w:Filter Dialect=\"" WSMAN_SELECTOR_FILTER_MS "\">"
			     "<w:SelectorSet><w:Selector Name=\"Name\">sshd</w:Selector>"
			     "<w:Selector Name=\"State\">Running</w:Selector></w:SelectorSet>"
			     "</w:Filter></n:Enumerate>",
			     &en, &pl) == ERR_OK &&
		  en.selector && en.nfilter == 2 && STREQ(en.filter[1].name, "State") &&
		  STREQ(en.filter[1].value, "Running"));
	CHECK("enumerate: a selector filter without a SelectorSet",
	      enumeration_of('E',
			     "<n:Enumerate><w:Filter Dialect=\"" WSMAN_SELECTOR_FILTER "\">x"
			     "</w:Filter></n:Enumerate>",
			     &en, &pl) == ERR_WSMAN_INVALID_SELECTORS);
	CHECK("enumerate: two filters",
	      enumeration_of(
		  'E', "<n:Enumerate><w:Filter>a</w:Filter><n:Filter>b</n:Filter></n:Enumerate>",
		  &en, &pl) == ERR_WSMAN_SCHEMA);
	{
		static char body[WSMAN_MAX_FILTER_TEXT + 256];
		int o = snprintf(body, sizeof(body), "<n:Enumerate><w:Filter>");
		memset(body + o, 'q', WSMAN_MAX_FILTER_TEXT + 1);
		o += WSMAN_MAX_FILTER_TEXT + 1;
		snprintf(body + o, sizeof(body) - (size_t)o, "</w:Filter></n:Enumerate>");
		CHECK("enumerate: a filter past WSMAN_MAX_FILTER_TEXT",
		      enumeration_of('E', body, &en, &pl) == ERR_WSMAN_CANNOT_PROCESS_FILTER);
		o = snprintf(body, sizeof(body), "<n:Enumerate><w:Filter Dialect=\"");
		memset(body + o, 'd', WSMAN_MAX_DIALECT + 1);
		o += WSMAN_MAX_DIALECT + 1;
		snprintf(body + o, sizeof(body) - (size_t)o, "\">q</w:Filter></n:Enumerate>");
		CHECK("enumerate: a Dialect past WSMAN_MAX_DIALECT",
		      enumeration_of('E', body, &en, &pl) == ERR_WSMAN_FILTER_DIALECT);
	}
	CHECK("enumerate: EnumerateEPR",
	      enumeration_of(
		  'E',
		  "<n:Enumerate><w:EnumerationMode>EnumerateEPR</w:EnumerationMode></n:Enumerate>",
		  &en, &pl) == ERR_OK &&
		  en.mode == WSMAN_ENUM_EPRS &&
		  wsman_enumerate_objects_only(&en) == ERR_WSMAN_ENUMERATION_MODE);
	CHECK("enumerate: EnumerateObjectAndEPR, blanks trimmed",
	      enumeration_of('E',
			     "<n:Enumerate><w:EnumerationMode> EnumerateObjectAndEPR "
			     "</w:EnumerationMode></n:Enumerate>",
			     &en, &pl) == ERR_OK &&
		  en.mode == WSMAN_ENUM_OBJECTS_AND_EPRS);
	CHECK("enumerate: another mode is refused",
	      enumeration_of('E',
			     "<n:Enumerate><w:EnumerationMode>EnumerateObjects</w:EnumerationMode>"
			     "</n:Enumerate>",
			     &en, &pl) == ERR_WSMAN_ENUMERATION_MODE);
	CHECK("enumerate: plain", enumeration_of('E', "<n:Enumerate/>", &en, &pl) == ERR_OK &&
				      !en.optimize && en.max_elements == 0 &&
				      en.mode == WSMAN_ENUM_OBJECTS &&
				      wsman_enumerate_objects_only(&en) == ERR_OK);
	CHECK("enumerate: MaxElements 0",
	      enumeration_of('E', "<n:Enumerate><w:MaxElements>0</w:MaxElements></n:Enumerate>",
			     &en, &pl) == ERR_WSMAN_SCHEMA);
	CHECK("enumerate: another body",
	      enumeration_of('E', "<n:Pull/>", &en, &pl) == ERR_WSMAN_SCHEMA);

	/* WinRb's Pull, oddity included. */
	static const char winrb_pull[] =
	    "<n:Pull><n:EnumerationContext>uuid:CD02E6BD-C6F3-47F5-9AF5-6DCBE89A448E</"
	    "n:EnumerationContext>"
	    "<w:OptimizeEnumeration/><n:MaxElements>32000</n:MaxElements></n:Pull>";
	CHECK("pull: context and MaxElements",
	      enumeration_of('P', winrb_pull, &en, &pl) == ERR_OK &&
		  STREQ(pl.context, "uuid:CD02E6BD-C6F3-47F5-9AF5-6DCBE89A448E") &&
		  pl.max_elements == 32000);
	CHECK("release of a Pull body",
	      enumeration_of('R', winrb_pull, &en, &pl) == ERR_WSMAN_SCHEMA);
	CHECK("pull: no context",
	      enumeration_of('P', "<n:Pull><n:MaxElements>1</n:MaxElements></n:Pull>", &en, &pl) ==
		  ERR_WSMAN_INVALID_CONTEXT);
	CHECK("pull: overlong context",
	      enumeration_of(
		  'P',
		  "<n:Pull><n:EnumerationContext>uuid:01234567890123456789012345678901234567890123"
		  "45678901234567890</n:EnumerationContext></n:Pull>",
		  &en, &pl) == ERR_WSMAN_INVALID_CONTEXT);
	CHECK("release",
	      enumeration_of('R',
			     "<n:Release><n:EnumerationContext> uuid:1 </n:EnumerationContext>"
			     "</n:Release>",
			     &en, &pl) == ERR_OK &&
		  STREQ(pl.context, "uuid:1") && pl.max_elements == 0);
}

static void test_config_replies(void)
{
	static const char *const items[] = {"<cfg:Listener xmlns:cfg=\"urn:l\">A</cfg:Listener>",
					    "<cfg:Listener xmlns:cfg=\"urn:l\">B</cfg:Listener>"};
	static const char *const names[] = {"Address", "Transport"}, *const values[] = {"*",
											"HT<TP"};
	struct wsman_request req;
	struct buf b;
	xmlDocPtr d;
	char *s;

	buf_init(&b, 1 << 20);
	parse(config_get, &req);
	static const char config_xml[] = "<cfg:Config xmlns:cfg=\"" URI_CONFIG "\"/>";
	CHECK("get response", wsman_reply_resource(&b, &req, NS_TRANSFER "/GetResponse", config_xml,
						   sizeof(config_xml) - 1) == ERR_OK);
	s = masked(&b);
	CHECK(
	    "get response bytes: section 6.2's envelope",
	    STREQ(s,
		  "<s:Envelope xml:lang=\"en-US\" "
		  "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
		  "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
		  "xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\" "
		  "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
		  "xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\"><s:Header>"
		  "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</a:Action>"
		  "<a:MessageID>uuid:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX</a:MessageID>"
		  "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
		  "<a:RelatesTo>uuid:452E314E-4267-4F1D-AE4F-5E3483848E3B</a:RelatesTo></s:Header>"
		  "<s:Body><cfg:Config xmlns:cfg=\"" URI_CONFIG "\"/></s:Body></s:Envelope>"));
	free(s);

	buf_reset(&b);
	CHECK("create response",
	      wsman_reply_resource_created(&b, &req, "http://h:5985/wsman", URI_CONFIG "/Listener",
					   names, values, 2) == ERR_OK);
	d = reparse(&b);
	s = masked(&b);
	CHECK("create response: the new listener's EPR",
	      d &&
		  strstr(s, "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/"
			    "CreateResponse</a:Action>") &&
		  strstr(s, "<s:Body><x:ResourceCreated><a:Address>http://h:5985/wsman</a:Address>"
			    "<a:ReferenceParameters><w:ResourceURI>" URI_CONFIG
			    "/Listener</w:ResourceURI>"
			    "<w:SelectorSet><w:Selector Name=\"Address\">*</w:Selector>"
			    "<w:Selector Name=\"Transport\">HT&lt;TP</w:Selector></w:SelectorSet>"
			    "</a:ReferenceParameters></x:ResourceCreated></s:Body>"));
	free(s);
	xmlFreeDoc(d);

	buf_reset(&b);
	wsman_reply_enumerate(&b, &req, "uuid:E", 1, items, 2, 1);
	d = reparse(&b);
	s = masked(&b);
	CHECK(
	    "optimized enumerate response, all items",
	    d &&
		strstr(s, "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/"
			  "EnumerateResponse</a:Action>") &&
		strstr(s, "xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\"") &&
		strstr(
		    s,
		    "<s:Body><n:EnumerateResponse><n:EnumerationContext></n:EnumerationContext>"
		    "<w:Items><cfg:Listener xmlns:cfg=\"urn:l\">A</cfg:Listener>"
		    "<cfg:Listener xmlns:cfg=\"urn:l\">B</cfg:Listener></w:Items><w:EndOfSequence/>"
		    "</n:EnumerateResponse></s:Body>"));
	free(s);
	xmlFreeDoc(d);
	buf_reset(&b);
	wsman_reply_enumerate(&b, &req, "uuid:E", 1, items, 1, 0);
	s = masked(&b);
	CHECK("optimized enumerate response, more to pull",
	      strstr(s, "<n:EnumerationContext>uuid:E</n:EnumerationContext><w:Items>") &&
		  !strstr(s, "EndOfSequence"));
	free(s);
	buf_reset(&b);
	wsman_reply_enumerate(&b, &req, "uuid:E", 0, items, 0, 0);
	s = masked(&b);
	CHECK("enumerate response: the context alone",
	      strstr(s, "<n:EnumerateResponse><n:EnumerationContext>uuid:E</n:EnumerationContext>"
			"</n:EnumerateResponse>"));
	free(s);
	buf_reset(&b);
	wsman_reply_pull(&b, &req, "uuid:E", items, 1, 0);
	s = masked(&b);
	CHECK("pull response, more to come",
	      strstr(
		  s,
		  "<n:PullResponse><n:EnumerationContext>uuid:E</n:EnumerationContext><n:Items>"
		  "<cfg:Listener xmlns:cfg=\"urn:l\">A</cfg:Listener></n:Items></n:PullResponse>"));
	free(s);
	buf_reset(&b);
	wsman_reply_pull(&b, &req, "uuid:E", items + 1, 1, 1);
	d = reparse(&b);
	s = masked(&b);
	CHECK("pull response, the last",
	      d && strstr(
		       s,
		       "<n:PullResponse><n:Items><cfg:Listener xmlns:cfg=\"urn:l\">B</cfg:Listener>"
		       "</n:Items><n:EndOfSequence/></n:PullResponse>"));
	free(s);
	xmlFreeDoc(d);
	buf_reset(&b);
	wsman_reply_release(&b, &req);
	s = masked(&b);
	CHECK("release response: empty body",
	      strstr(s,
		     "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/ReleaseResponse"
		     "</a:Action>") &&
		  strstr(s, "<s:Body></s:Body>"));
	free(s);
	wsman_request_clear(&req);

	buf_reset(&b);
	wsman_fault(&b, ERR_WSMAN_INVALID_CONTEXT, "uuid:q", "h");
	s = masked(&b);
	CHECK("invalid enumeration context fault",
	      strstr(
		  s,
		  "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault</a:Action>") &&
		  strstr(s, "<s:Value>s:Receiver</"
			    "s:Value><s:Subcode><s:Value>n:InvalidEnumerationContext") &&
		  strstr(s, "Code=\"2150858779\""));
	free(s);
	buf_reset(&b);
	wsman_fault(&b, ERR_WSMAN_ALREADY_EXISTS, "uuid:q", "h");
	s = masked(&b);
	CHECK("already exists fault", strstr(s, "<s:Value>w:AlreadyExists</s:Value>") &&
					  strstr(s, "Code=\"2150858803\"") &&
					  strstr(s, "because it already exists. </f:Message>"));
	free(s);
	buf_reset(&b);
	wsman_fault(&b, ERR_WSMAN_CONFIG_INVALID, "uuid:q", "h");
	s = masked(&b);
	CHECK("invalid setting fault", strstr(s, "<s:Value>w:InvalidParameter</s:Value>") &&
					   strstr(s, "Code=\"2150858810\"") &&
					   !strstr(s, "ProviderFault"));
	free(s);
	buf_clear(&b);
}

int main(void)
{
	test_identify();
	test_create();
	test_command();
	test_send();
	test_receive_signal_delete();
	test_refusals();
	test_header_rules();
	test_replies();
	test_budget();
	test_faults();
	test_config_bodies();
	test_enumeration();
	test_config_replies();
	xmlCleanupParser();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
