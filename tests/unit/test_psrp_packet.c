/* Unit tests of psrp_packet: pwsh's line packets, as pwsh 7.6 writes them
 * (captured with `pwsh -s`), and the PSRP peeks. */
#include <string.h>

#include "check.h"
#include "common/buf.h"
#include "host/psrp_packet.h"

#define LOWER_GUID "4d7f234d-8306-4fa4-975f-6ca2c99cabcb"

static int parses(const char *line, struct psrp_packet *p)
{
	return psrp_packet_parse(line, strlen(line), p) == ERR_OK;
}

static void test_parse(void)
{
	struct psrp_packet p;

	CHECK(
	    "Data as pwsh writes it",
	    parses(
		"<Data Stream='Default' PSGuid='00000000-0000-0000-0000-000000000000'>AAAA</Data>",
		&p) &&
		p.kind == PSRP_PACKET_DATA && p.stream == PSRP_STREAM_DEFAULT &&
		strcmp(p.guid, PSRP_POOL_GUID) == 0 && p.text_len == 4 &&
		memcmp(p.text, "AAAA", 4) == 0);
	CHECK("Data on PromptResponse, double quotes, attributes swapped, GUID upper case",
	      parses("<Data PSGuid=\"4D7F234D-8306-4FA4-975F-6CA2C99CABCB\" "
		     "Stream=\"PromptResponse\">QQ==</Data>",
		     &p) &&
		  p.stream == PSRP_STREAM_PROMPT_RESPONSE && strcmp(p.guid, LOWER_GUID) == 0);
	CHECK("an unknown stream counts as Default",
	      parses("<Data Stream='Other' PSGuid='" LOWER_GUID "'></Data>", &p) &&
		  p.stream == PSRP_STREAM_DEFAULT && p.text_len == 0);
	CHECK("DataAck", parses("<DataAck PSGuid='" LOWER_GUID "' />", &p) &&
			     p.kind == PSRP_PACKET_DATA_ACK && strcmp(p.guid, LOWER_GUID) == 0);
	CHECK("CommandAck", parses("<CommandAck PSGuid='" LOWER_GUID "' />", &p) &&
				p.kind == PSRP_PACKET_COMMAND_ACK);
	CHECK("SignalAck", parses("<SignalAck PSGuid='" LOWER_GUID "'/>", &p) &&
			       p.kind == PSRP_PACKET_SIGNAL_ACK);
	CHECK("CloseAck with a CR", parses("<CloseAck PSGuid='" PSRP_POOL_GUID "' />\r", &p) &&
					p.kind == PSRP_PACKET_CLOSE_ACK);
	CHECK("Close",
	      parses("<Close PSGuid='" LOWER_GUID "' />", &p) && p.kind == PSRP_PACKET_CLOSE);

	CHECK("an empty line", !parses("", &p));
	CHECK("an unknown element", !parses("<Datum PSGuid='" LOWER_GUID "' />", &p));
	CHECK("Data with one attribute", !parses("<Data PSGuid='" LOWER_GUID "'>AA</Data>", &p));
	CHECK("DataAck with two attributes",
	      !parses("<DataAck Stream='Default' PSGuid='" LOWER_GUID "' />", &p));
	CHECK("a repeated attribute",
	      !parses("<Data PSGuid='" LOWER_GUID "' PSGuid='" LOWER_GUID "'>AA</Data>", &p));
	CHECK("three attributes",
	      !parses("<Data Stream='Default' PSGuid='" LOWER_GUID "' Stream='Default'>AA</Data>",
		      &p));
	CHECK("attributes run together",
	      !parses("<Data Stream='Default'PSGuid='" LOWER_GUID "'>AA</Data>", &p));
	CHECK("a GUID in braces", !parses("<DataAck PSGuid='{" LOWER_GUID "}' />", &p));
	CHECK("a GUID with a non-hex digit",
	      !parses("<DataAck PSGuid='4d7f234d-8306-4fa4-975f-6ca2c99cabcg' />", &p));
	CHECK("an unterminated value", !parses("<DataAck PSGuid='" LOWER_GUID " />", &p));
	CHECK("Data without its end tag",
	      !parses("<Data Stream='Default' PSGuid='" LOWER_GUID "'>AA", &p));
	CHECK("an ack with text", !parses("<DataAck PSGuid='" LOWER_GUID "'>AA</DataAck>", &p));
	CHECK("trailing bytes", !parses("<DataAck PSGuid='" LOWER_GUID "' />x", &p));
	CHECK("an entity in a value", !parses("<DataAck PSGuid='&amp;' />", &p));
}

static void test_encode(void)
{
	struct buf b;

	buf_init(&b, 4096);
	CHECK("Data encodes as pwsh's client writes it",
	      psrp_packet_encode(&b, PSRP_PACKET_DATA, PSRP_STREAM_DEFAULT, PSRP_POOL_GUID, "A",
				 1) == ERR_OK &&
		  buf_len(&b) ==
		      strlen("<Data Stream='Default' PSGuid='" PSRP_POOL_GUID "'>QQ==</Data>\n") &&
		  memcmp(buf_ptr(&b),
			 "<Data Stream='Default' PSGuid='" PSRP_POOL_GUID "'>QQ==</Data>\n",
			 buf_len(&b)) == 0);
	buf_reset(&b);
	CHECK("PromptResponse",
	      psrp_packet_encode(&b, PSRP_PACKET_DATA, PSRP_STREAM_PROMPT_RESPONSE, LOWER_GUID, "",
				 0) == ERR_OK &&
		  strstr((const char *)buf_ptr(&b), "Stream='PromptResponse'") != NULL);
	buf_reset(&b);
	CHECK("Command",
	      psrp_packet_encode(&b, PSRP_PACKET_COMMAND, PSRP_STREAM_DEFAULT, LOWER_GUID, NULL,
				 0) == ERR_OK &&
		  buf_len(&b) == strlen("<Command PSGuid='" LOWER_GUID "' />\n") &&
		  memcmp(buf_ptr(&b), "<Command PSGuid='" LOWER_GUID "' />\n", buf_len(&b)) == 0);
	buf_reset(&b);
	CHECK("Close parses back", psrp_packet_encode(&b, PSRP_PACKET_CLOSE, PSRP_STREAM_DEFAULT,
						      LOWER_GUID, NULL, 0) == ERR_OK);
	struct psrp_packet p;
	CHECK("what is encoded parses back (line end cut)",
	      psrp_packet_parse((const char *)buf_ptr(&b), buf_len(&b) - 1, &p) == ERR_OK &&
		  p.kind == PSRP_PACKET_CLOSE && strcmp(p.guid, LOWER_GUID) == 0);
	buf_clear(&b);
}

/* A fragment holding one whole message of type and pid (.NET order). */
static size_t fragment(uint8_t *out, uint32_t type, const uint8_t pid[16], const char *text)
{
	size_t tlen = strlen(text), blob = PSRP_MESSAGE_HEADER + tlen;
	uint8_t *p = out;

	memset(p, 0, 16);
	p[7] = 1; /* ObjectId 1, FragmentId 0 */
	p[16] = PSRP_FRAGMENT_START | PSRP_FRAGMENT_END;
	p[17] = (uint8_t)(blob >> 24), p[18] = (uint8_t)(blob >> 16);
	p[19] = (uint8_t)(blob >> 8), p[20] = (uint8_t)blob;
	p += PSRP_FRAGMENT_HEADER;
	p[0] = 2, p[1] = p[2] = p[3] = 0;
	for (int i = 0; i < 4; i++)
		p[4 + i] = (uint8_t)(type >> (8 * i));
	memset(p + 8, 0x11, 16);
	memcpy(p + 24, pid, 16);
	memcpy(p + 40, text, tlen);
	return PSRP_FRAGMENT_HEADER + blob;
}

static void test_peeks(void)
{
	/* 4d7f234d-8306-4fa4-975f-6ca2c99cabcb in .NET byte order */
	static const uint8_t pid[16] = {0x4d, 0x23, 0x7f, 0x4d, 0x06, 0x83, 0xa4, 0x4f,
					0x97, 0x5f, 0x6c, 0xa2, 0xc9, 0x9c, 0xab, 0xcb};
	static const uint8_t zero[16];
	uint8_t frag[512];
	char guid[PSRP_GUID_LEN + 1];
	struct psrp_fragment f;
	struct psrp_message m;
	uint32_t state = 99;
	size_t n, used;

	n = fragment(frag, PSRP_MSG_CREATE_PIPELINE, pid, "<Obj RefId=\"0\" />");
	CHECK("fragment header", psrp_fragment_peek(frag, n, &f, &used) == ERR_OK &&
				     f.object_id == 1 && f.fragment_id == 0 && f.flags == 3 &&
				     used == n);
	CHECK("a fragment cut short", psrp_fragment_peek(frag, n - 1, &f, &used) == ERR_INCOMPLETE);
	CHECK("a header cut short", psrp_fragment_peek(frag, 20, &f, &used) == ERR_INCOMPLETE);
	CHECK("message header", psrp_message_peek(f.blob, f.blob_len, &m) == ERR_OK &&
				    m.destination == 2 && m.type == PSRP_MSG_CREATE_PIPELINE &&
				    strcmp(m.pid, LOWER_GUID) == 0 &&
				    strcmp(m.rpid, "11111111-1111-1111-1111-111111111111") == 0);
	CHECK("CREATE_PIPELINE's PID, .NET byte order",
	      psrp_create_pipeline_pid(frag, n, guid) == ERR_OK && strcmp(guid, LOWER_GUID) == 0);
	CHECK("no PID from a cut fragment", psrp_create_pipeline_pid(frag, n - 1, guid) != ERR_OK);
	n = fragment(frag, PSRP_MSG_CREATE_PIPELINE, zero, "");
	CHECK("no pipeline of the pool's GUID", psrp_create_pipeline_pid(frag, n, guid) != ERR_OK);
	n = fragment(frag, PSRP_MSG_INIT_RUNSPACEPOOL, pid, "");
	CHECK("no PID from another message", psrp_create_pipeline_pid(frag, n, guid) != ERR_OK);
	n = fragment(frag, PSRP_MSG_GET_COMMAND_METADATA, pid, "");
	CHECK("GET_COMMAND_METADATA opens a pipeline too (Enter-PSSession sends one)",
	      psrp_create_pipeline_pid(frag, n, guid) == ERR_OK && strcmp(guid, LOWER_GUID) == 0);

	n = fragment(
	    frag, PSRP_MSG_PIPELINE_STATE, pid,
	    "\xef\xbb\xbf<Obj RefId=\"0\"><MS><I32 N=\"PipelineState\">4</I32></MS></Obj>");
	CHECK("PIPELINE_STATE Completed is an end",
	      psrp_pipeline_end_peek(frag, n, &state) == 1 && state == PSRP_PIPELINE_COMPLETED);
	n = fragment(frag, PSRP_MSG_PIPELINE_STATE, pid,
		     "<Obj RefId=\"0\"><MS><I32 N=\"PipelineState\">3</I32></MS></Obj>");
	CHECK("Stopped is an end",
	      psrp_pipeline_end_peek(frag, n, &state) == 1 && state == PSRP_PIPELINE_STOPPED);
	n = fragment(frag, PSRP_MSG_PIPELINE_STATE, pid,
		     "<Obj RefId=\"0\"><MS><I32 N=\"PipelineState\">1</I32></MS></Obj>");
	CHECK("Running is not", psrp_pipeline_end_peek(frag, n, &state) == 0);
	n = fragment(frag, PSRP_MSG_PIPELINE_STATE, pid, "<I32 N=\"PipelineState\">");
	CHECK("a state cut short is not", psrp_pipeline_end_peek(frag, n, &state) == 0);
	n = fragment(frag, 0x00041004, pid, "<I32 N=\"PipelineState\">4</I32>");
	CHECK("output that looks like a state is not",
	      psrp_pipeline_end_peek(frag, n, &state) == 0);
}

/* What a reconnecting client is told of the pool: read from creationXml,
 * written as whole fragments. */
static void test_connect_peeks(void)
{
	static const uint8_t zero[16];
	static const char init[] = "<Obj RefId=\"0\"><MS><I32 N=\"MinRunspaces\">1</I32>"
				   "<I32 N=\"MaxRunspaces\">3</I32></MS></Obj>";
	uint8_t creation[1024], rpid[16];
	struct psrp_pool_init pool;
	struct psrp_fragment f;
	struct psrp_message m;
	size_t n, used;
	struct buf out;

	n = fragment(creation, PSRP_MSG_SESSION_CAPABILITY, zero, "<Obj RefId=\"0\"><MS/></Obj>");
	n += fragment(creation + n, PSRP_MSG_INIT_RUNSPACEPOOL, zero, init);
	memset(rpid, 0x11, sizeof(rpid)); /* fragment() writes this RPID */
	CHECK("the pool's RPID and runspaces from INIT_RUNSPACEPOOL, the second message",
	      psrp_pool_init_peek(creation, n, &pool) == ERR_OK &&
		  memcmp(pool.rpid, rpid, 16) == 0 && pool.min_runspaces == 1 &&
		  pool.max_runspaces == 3);
	CHECK("cut inside INIT_RUNSPACEPOOL: refused",
	      psrp_pool_init_peek(creation, n - (n / 2), &pool) == ERR_FORMAT);
	n = fragment(creation, PSRP_MSG_INIT_RUNSPACEPOOL, zero,
		     "<I32 N=\"MinRunspaces\">123456</I32><I32 N=\"MaxRunspaces\">1</I32>");
	CHECK("runspace counts of 5 digits or more: refused",
	      psrp_pool_init_peek(creation, n, &pool) == ERR_FORMAT);
	n = fragment(creation, PSRP_MSG_INIT_RUNSPACEPOOL, zero, "<I32 N=\"MinRunspaces\">1");
	CHECK("a count cut short: refused", psrp_pool_init_peek(creation, n, &pool) == ERR_FORMAT);

	n = fragment(creation, PSRP_MSG_RUNSPACEPOOL_STATE, zero, "<S/>");
	CHECK("one whole fragment: its message type",
	      psrp_single_message_type(creation, n) == PSRP_MSG_RUNSPACEPOOL_STATE);
	CHECK("a fragment and more: 0", psrp_single_message_type(creation, n + 1) == 0);
	creation[16] = PSRP_FRAGMENT_START;
	CHECK("a start fragment alone: 0", psrp_single_message_type(creation, n) == 0);

	buf_init(&out, 4096);
	CHECK("RUNSPACEPOOL_INIT_DATA as one fragment",
	      psrp_fragment_put(&out, 7, PSRP_DESTINATION_CLIENT, PSRP_MSG_RUNSPACEPOOL_INIT_DATA,
				rpid, init) == ERR_OK &&
		  psrp_fragment_peek(buf_ptr(&out), buf_len(&out), &f, &used) == ERR_OK &&
		  used == buf_len(&out) && f.object_id == 7 && f.fragment_id == 0 &&
		  f.flags == (PSRP_FRAGMENT_START | PSRP_FRAGMENT_END) &&
		  psrp_message_peek(f.blob, f.blob_len, &m) == ERR_OK &&
		  m.destination == PSRP_DESTINATION_CLIENT &&
		  m.type == PSRP_MSG_RUNSPACEPOOL_INIT_DATA &&
		  strcmp(m.rpid, "11111111-1111-1111-1111-111111111111") == 0 &&
		  strcmp(m.pid, PSRP_POOL_GUID) == 0 && m.data_len == 3 + strlen(init) &&
		  memcmp(m.data, "\xef\xbb\xbf", 3) == 0 &&
		  memcmp(m.data + 3, init, strlen(init)) == 0);
	buf_clear(&out);
}

int main(void)
{
	test_parse();
	test_encode();
	test_peeks();
	test_connect_peeks();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
