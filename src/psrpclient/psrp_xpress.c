/* psrp_xpress: PowerShell's stream compression on the client side
 * (MS-WSMV 3.1.4.1.31.6, 3.2.4.1.19). PowerShell asks for it unless told
 * not to (WSManCreateShellEx without WSMAN_FLAG_NO_COMPRESSION, that is
 * without the session option NoCompression); the Create then carries
 * rsp:CompressionType xpress, and when the service's rsp:Shell answers
 * CompressionMode XpressCompression, each Send's data leaves as xpress
 * blocks and each rsp:Stream of a Receive arrives as blocks
 * (psrp/xpress.h, the codec winrmd uses for the other end). */
#include "psrpclient/psrp_int.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/buf.h"
#include "psrp/xpress.h"

/* The fragments PowerShell cuts (WSMAN_OPTION_SHELL_MAX_DATA_SIZE_PER_MESSAGE_KB,
 * whole KiB) still go out in one Send once a header is added per block. */
#define FRAGMENT_MAX ((WINRM_SEND_MAX_BYTES >> 10) << 10)
_Static_assert(FRAGMENT_MAX + (FRAGMENT_MAX + XPRESS_BLOCK_MAX - 1) / XPRESS_BLOCK_MAX *
				  XPRESS_BLOCK_HEADER <=
		   WINRM_SEND_MAX_BYTES,
	       "a compressed fragment fits one Send");

/* The most one rsp:Stream may decode to: winrmd compresses one fragment
 * of at most 32 KiB per stream, Windows as much as an envelope holds;
 * a ratio beyond this is no PowerShell output. */
#define DECODED_MAX (16u << 20)

int psrp_xpress_negotiated(const char *shell_xml)
{
	xmlDoc *doc;
	xmlNode *root;
	int yes = 0;

	if (!shell_xml)
		return 0;
	doc = xmlReadMemory(shell_xml, (int)strlen(shell_xml), NULL, "UTF-8",
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	for (xmlNode *c = root ? root->children : NULL; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE ||
		    xmlStrcmp(c->name, (const xmlChar *)"CompressionMode") != 0)
			continue;
		xmlChar *v = xmlNodeGetContent(c);
		yes = v && xmlStrcmp(v, (const xmlChar *)"XpressCompression") == 0;
		xmlFree(v);
	}
	xmlFreeDoc(doc);
	return yes;
}

int psrp_xpress_start(struct psrp_shell *sh)
{
	return xpress_codec_new(&sh->codec) == ERR_OK;
}

/* in coded by encode or decode into a new buffer *out of *out_len
 * bytes, the codec used by one thread at a time. */
static int recode(struct psrp_shell *sh, int encode, const uint8_t *in, size_t len, uint8_t **out,
		  size_t *out_len)
{
	struct buf b;
	enum err e;

	*out = NULL;
	*out_len = 0;
	buf_init(&b, encode ? xpress_stream_encoded_max(len) : DECODED_MAX);
	pthread_mutex_lock(&sh->codec_lock);
	e = encode ? xpress_stream_encode(sh->codec, in, len, &b)
		   : xpress_stream_decode(sh->codec, in, len, &b);
	pthread_mutex_unlock(&sh->codec_lock);
	if (e == ERR_OK && buf_len(&b) && (*out = malloc(buf_len(&b)))) {
		memcpy(*out, buf_ptr(&b), buf_len(&b));
		*out_len = buf_len(&b);
	} else if (e == ERR_OK && buf_len(&b)) {
		e = ERR_NOMEM;
	}
	buf_clear(&b);
	return e == ERR_OK;
}

int psrp_xpress_encode(struct psrp_shell *sh, const uint8_t *in, size_t len, uint8_t **out,
		       size_t *out_len)
{
	return recode(sh, 1, in, len, out, out_len);
}

int psrp_xpress_decode(struct psrp_shell *sh, const uint8_t *in, size_t len, uint8_t **out,
		       size_t *out_len)
{
	return recode(sh, 0, in, len, out, out_len);
}

void psrp_xpress_end(struct psrp_shell *sh)
{
	xpress_codec_free(sh->codec);
	sh->codec = NULL;
}
