/* psrp_packet: pwsh's line packets and PSRP peeks (host role). See psrp_packet.h. */
#include "host/psrp_packet.h"

#include <string.h>

#include "common/util.h"

/* Element names, indexed by enum psrp_packet_kind. */
static const char *const packet_names[PSRP_PACKET_KINDS] = {
    [PSRP_PACKET_DATA] = "Data",       [PSRP_PACKET_DATA_ACK] = "DataAck",
    [PSRP_PACKET_COMMAND] = "Command", [PSRP_PACKET_COMMAND_ACK] = "CommandAck",
    [PSRP_PACKET_SIGNAL] = "Signal",   [PSRP_PACKET_SIGNAL_ACK] = "SignalAck",
    [PSRP_PACKET_CLOSE] = "Close",     [PSRP_PACKET_CLOSE_ACK] = "CloseAck",
};

static const char *const stream_names[] = {
    [PSRP_STREAM_DEFAULT] = "Default",
    [PSRP_STREAM_PROMPT_RESPONSE] = "PromptResponse",
};

/* A cursor over one line: every read checks the end first. */
struct cursor {
	const char *p, *end;
};

static int at_end(const struct cursor *c)
{
	return c->p >= c->end;
}

static void skip_blanks(struct cursor *c)
{
	while (!at_end(c) && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
		c->p++;
}

static int take(struct cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

static int is_name_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/* A name of letters: the element and attribute names are all such. */
static void take_name(struct cursor *c, const char **name, size_t *len)
{
	*name = c->p;
	while (!at_end(c) && is_name_char(*c->p))
		c->p++;
	*len = (size_t)(c->p - *name);
}

static int name_is(const char *name, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(name, want, len) == 0;
}

/* name = 'value' or "value"; values hold no quote or '<' or '&' (a GUID
 * or a stream name). */
static enum err take_attribute(struct cursor *c, const char **name, size_t *nlen,
			       const char **value, size_t *vlen)
{
	char quote;

	take_name(c, name, nlen);
	skip_blanks(c);
	if (*nlen == 0 || !take(c, "="))
		return ERR_FORMAT;
	skip_blanks(c);
	if (at_end(c) || (*c->p != '\'' && *c->p != '"'))
		return ERR_FORMAT;
	quote = *c->p++;
	*value = c->p;
	while (!at_end(c) && *c->p != quote) {
		if (*c->p == '<' || *c->p == '&')
			return ERR_FORMAT;
		c->p++;
	}
	if (at_end(c))
		return ERR_FORMAT;
	*vlen = (size_t)(c->p - *value);
	c->p++;
	return ERR_OK;
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

enum err psrp_guid_parse(const char *s, size_t len, char out[PSRP_GUID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	if (len != PSRP_GUID_LEN)
		return ERR_FORMAT;
	for (size_t i = 0; i < PSRP_GUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return ERR_FORMAT;
			out[i] = '-';
			continue;
		}
		int v = hex_value(s[i]);
		if (v < 0)
			return ERR_FORMAT;
		out[i] = hex[v];
	}
	out[PSRP_GUID_LEN] = '\0';
	return ERR_OK;
}

void psrp_guid_from_dotnet(const uint8_t b[16], char out[PSRP_GUID_LEN + 1])
{
	/* Data1 (4 bytes), Data2 and Data3 (2 each) little-endian, then the
	 * last eight bytes as they are. */
	static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[order[i]] >> 4];
		out[o++] = hex[b[order[i]] & 0xf];
	}
	out[o] = '\0';
}

enum err psrp_packet_parse(const char *line, size_t len, struct psrp_packet *out)
{
	struct cursor c = {line, line + len};
	const char *name, *guid = NULL, *stream = NULL;
	size_t nlen, guid_len = 0, stream_len = 0;
	int kind = -1, nattr = 0;

	memset(out, 0, sizeof(*out));
	if (len > PSRP_PACKET_MAX_LINE || !take(&c, "<"))
		return ERR_FORMAT;
	take_name(&c, &name, &nlen);
	for (int k = 0; k < PSRP_PACKET_KINDS; k++)
		if (name_is(name, nlen, packet_names[k]))
			kind = k;
	if (kind < 0)
		return ERR_FORMAT;
	/* At most two attributes are ever valid: the bound of this loop. */
	for (;;) {
		const char *an, *av;
		size_t anlen, avlen;
		const char *before = c.p;

		skip_blanks(&c);
		if (at_end(&c) || !is_name_char(*c.p))
			break;
		if (c.p == before || ++nattr > 2)
			return ERR_FORMAT; /* no blank before it, or one too many */
		if (take_attribute(&c, &an, &anlen, &av, &avlen) != ERR_OK)
			return ERR_FORMAT;
		if (name_is(an, anlen, "PSGuid") && !guid)
			guid = av, guid_len = avlen;
		else if (name_is(an, anlen, "Stream") && !stream && kind == PSRP_PACKET_DATA)
			stream = av, stream_len = avlen;
		else
			return ERR_FORMAT;
	}
	/* [PS] ProcessElement: Data has exactly two attributes, the others one. */
	if (!guid || nattr != (kind == PSRP_PACKET_DATA ? 2 : 1))
		return ERR_FORMAT;
	if (psrp_guid_parse(guid, guid_len, out->guid) != ERR_OK)
		return ERR_FORMAT;
	out->kind = (enum psrp_packet_kind)kind;
	if (kind != PSRP_PACKET_DATA) {
		if (!take(&c, "/>"))
			return ERR_FORMAT;
		skip_blanks(&c);
		return at_end(&c) ? ERR_OK : ERR_FORMAT;
	}
	/* Anything but PromptResponse is stdin ([PS] OutOfProcessUtils). */
	out->stream = name_is(stream, stream_len, "PromptResponse") ? PSRP_STREAM_PROMPT_RESPONSE
								    : PSRP_STREAM_DEFAULT;
	if (!take(&c, ">"))
		return ERR_FORMAT;
	out->text = c.p;
	while (!at_end(&c) && *c.p != '<')
		c.p++;
	out->text_len = (size_t)(c.p - out->text);
	if (!take(&c, "</Data>"))
		return ERR_FORMAT;
	skip_blanks(&c);
	return at_end(&c) ? ERR_OK : ERR_FORMAT;
}

enum err psrp_packet_encode(struct buf *out, enum psrp_packet_kind kind, enum psrp_stream stream,
			    const char *guid, const void *payload, size_t len)
{
	enum err e;

	if ((unsigned)kind >= PSRP_PACKET_KINDS ||
	    (unsigned)stream >= sizeof(stream_names) / sizeof(stream_names[0]))
		return ERR_INTERNAL;
	if (kind != PSRP_PACKET_DATA)
		return buf_putf(out, "<%s PSGuid='%s' />\n", packet_names[kind], guid);
	if ((e = buf_putf(out, "<Data Stream='%s' PSGuid='%s'>", stream_names[stream], guid)) !=
		ERR_OK ||
	    (e = util_b64_encode(out, payload, len)) != ERR_OK)
		return e;
	return buf_put(out, "</Data>\n", 8);
}

/* ---- PSRP peeks ---- */

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

enum err psrp_fragment_peek(const uint8_t *p, size_t n, struct psrp_fragment *f, size_t *used)
{
	if (n < PSRP_FRAGMENT_HEADER)
		return ERR_INCOMPLETE;
	f->object_id = get_be(p, 8);
	f->fragment_id = get_be(p + 8, 8);
	f->flags = p[16];
	f->blob_len = (uint32_t)get_be(p + 17, 4);
	if (f->blob_len > n - PSRP_FRAGMENT_HEADER)
		return ERR_INCOMPLETE;
	f->blob = p + PSRP_FRAGMENT_HEADER;
	*used = PSRP_FRAGMENT_HEADER + (size_t)f->blob_len;
	return ERR_OK;
}

enum err psrp_message_peek(const uint8_t *blob, size_t n, struct psrp_message *m)
{
	if (n < PSRP_MESSAGE_HEADER)
		return ERR_FORMAT;
	m->destination = get_le32(blob);
	m->type = get_le32(blob + 4);
	psrp_guid_from_dotnet(blob + 8, m->rpid);
	psrp_guid_from_dotnet(blob + 24, m->pid);
	m->data = blob + PSRP_MESSAGE_HEADER;
	m->data_len = n - PSRP_MESSAGE_HEADER;
	return ERR_OK;
}

/* The message a start fragment at the beginning of p opens. */
static enum err first_message(const uint8_t *p, size_t n, struct psrp_message *m)
{
	struct psrp_fragment f;
	size_t used;

	if (psrp_fragment_peek(p, n, &f, &used) != ERR_OK || !(f.flags & PSRP_FRAGMENT_START) ||
	    f.fragment_id != 0)
		return ERR_FORMAT;
	return psrp_message_peek(f.blob, f.blob_len, m);
}

enum err psrp_create_pipeline_pid(const uint8_t *p, size_t n, char pid[PSRP_GUID_LEN + 1])
{
	struct psrp_message m;

	if (first_message(p, n, &m) != ERR_OK ||
	    (m.type != PSRP_MSG_CREATE_PIPELINE && m.type != PSRP_MSG_GET_COMMAND_METADATA) ||
	    strcmp(m.pid, PSRP_POOL_GUID) == 0)
		return ERR_FORMAT;
	memcpy(pid, m.pid, PSRP_GUID_LEN + 1);
	return ERR_OK;
}

int psrp_pipeline_end_peek(const uint8_t *p, size_t n, uint32_t *state)
{
	static const char key[] = "<I32 N=\"PipelineState\">";
	struct psrp_message m;
	const uint8_t *at;
	size_t left;

	if (first_message(p, n, &m) != ERR_OK || m.type != PSRP_MSG_PIPELINE_STATE)
		return 0;
	if (!(at = memmem(m.data, m.data_len, key, sizeof(key) - 1)))
		return 0;
	at += sizeof(key) - 1;
	left = m.data_len - (size_t)(at - m.data);
	/* One digit and the closing tag: the states are 0 to 6. */
	if (left < 2 || at[0] < '0' || at[0] > '9' || at[1] != '<')
		return 0;
	*state = (uint32_t)(at[0] - '0');
	return *state == PSRP_PIPELINE_STOPPED || *state == PSRP_PIPELINE_COMPLETED ||
	       *state == PSRP_PIPELINE_FAILED;
}

/* The decimal of `<I32 N="name">digits<` in data: 0 to 9999 runspaces. */
static int runspaces_of(const struct psrp_message *m, const char *key, int32_t *out)
{
	size_t klen = strlen(key), left;
	const uint8_t *at = memmem(m->data, m->data_len, key, klen);
	int32_t v = 0;
	int digits = 0;

	if (!at)
		return 0;
	at += klen;
	left = m->data_len - (size_t)(at - m->data);
	while (digits < (int)left && digits < 5 && at[digits] >= '0' && at[digits] <= '9')
		v = v * 10 + (at[digits++] - '0');
	if (digits == 0 || digits == 5 || digits == (int)left || at[digits] != '<')
		return 0;
	*out = v;
	return 1;
}

enum err psrp_pool_init_peek(const uint8_t *p, size_t n, struct psrp_pool_init *out)
{
	struct psrp_fragment f;
	struct psrp_message m;
	size_t used;

	/* creationXml: whole fragments, SESSION_CAPABILITY first. */
	for (int i = 0; i < 8 && n > 0; i++, p += used, n -= used) {
		if (psrp_fragment_peek(p, n, &f, &used) != ERR_OK)
			return ERR_FORMAT;
		if (!(f.flags & PSRP_FRAGMENT_START) ||
		    psrp_message_peek(f.blob, f.blob_len, &m) != ERR_OK ||
		    m.type != PSRP_MSG_INIT_RUNSPACEPOOL)
			continue;
		memcpy(out->rpid, f.blob + 8, sizeof(out->rpid));
		if (!runspaces_of(&m, "<I32 N=\"MinRunspaces\">", &out->min_runspaces) ||
		    !runspaces_of(&m, "<I32 N=\"MaxRunspaces\">", &out->max_runspaces))
			return ERR_FORMAT;
		return ERR_OK;
	}
	return ERR_FORMAT;
}

uint32_t psrp_single_message_type(const uint8_t *p, size_t n)
{
	struct psrp_fragment f;
	struct psrp_message m;
	size_t used;

	if (psrp_fragment_peek(p, n, &f, &used) != ERR_OK || used != n ||
	    (f.flags & (PSRP_FRAGMENT_START | PSRP_FRAGMENT_END)) !=
		(PSRP_FRAGMENT_START | PSRP_FRAGMENT_END) ||
	    psrp_message_peek(f.blob, f.blob_len, &m) != ERR_OK)
		return 0;
	return m.type;
}

#define PUT_TRY(x)                                                                                 \
	do {                                                                                       \
		enum err put_e_ = (x);                                                             \
		if (put_e_ != ERR_OK)                                                              \
			return put_e_;                                                             \
	} while (0)

static enum err put_be(struct buf *out, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--)
		PUT_TRY(buf_put_u8(out, (uint8_t)(v >> (8 * i))));
	return ERR_OK;
}

static enum err put_le32(struct buf *out, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		PUT_TRY(buf_put_u8(out, (uint8_t)(v >> (8 * i))));
	return ERR_OK;
}

enum err psrp_fragment_put(struct buf *out, uint64_t object_id, uint32_t destination, uint32_t type,
			   const uint8_t rpid[16], const char *xml)
{
	static const uint8_t bom[3] = {0xEF, 0xBB, 0xBF}, zero_pid[16];
	size_t len = strlen(xml);

	if (len > UINT32_MAX - PSRP_MESSAGE_HEADER - sizeof(bom))
		return ERR_LIMIT;
	PUT_TRY(put_be(out, object_id, 8));
	PUT_TRY(put_be(out, 0, 8)); /* FragmentId */
	PUT_TRY(buf_put_u8(out, PSRP_FRAGMENT_START | PSRP_FRAGMENT_END));
	PUT_TRY(put_be(out, PSRP_MESSAGE_HEADER + sizeof(bom) + len, 4));
	PUT_TRY(put_le32(out, destination));
	PUT_TRY(put_le32(out, type));
	PUT_TRY(buf_put(out, rpid, 16));
	PUT_TRY(buf_put(out, zero_pid, sizeof(zero_pid)));
	PUT_TRY(buf_put(out, bom, sizeof(bom)));
	return buf_put(out, xml, len);
}
