/* xpress: the block framing of PowerShell's compressed streams around
 * wimlib's XPRESS codec, which is MS-XCA 2.1 LZ77+Huffman byte for byte
 * (tests/unit/test_psrp_xpress.c decodes MS-XCA 3.2's examples with it,
 * and checks its output with a decoder written from MS-XCA 2.2.4). */
#include "psrp/xpress.h"

#include <stdlib.h>
#include <string.h>

#include <wimlib.h>

struct xpress_codec {
	struct wimlib_compressor *compressor;	  /* NULL until the first encode */
	struct wimlib_decompressor *decompressor; /* NULL until the first compressed block */
};

enum err xpress_codec_new(struct xpress_codec **out)
{
	return (*out = calloc(1, sizeof(**out))) ? ERR_OK : ERR_NOMEM;
}

void xpress_codec_free(struct xpress_codec *c)
{
	if (!c)
		return;
	wimlib_free_compressor(c->compressor);
	wimlib_free_decompressor(c->decompressor);
	free(c);
}

/* wimlib fails to make one only for want of memory: the type and the
 * block size are fixed and valid. */
static enum err wimlib_status(int status)
{
	if (status == 0)
		return ERR_OK;
	return status == WIMLIB_ERR_NOMEM ? ERR_NOMEM : ERR_INTERNAL;
}

/* MS-XCA 2.1: a chunk opens with the 4-bit code lengths of its 512
 * symbols; 2.2.4: the codes they make MUST fill the code space. wimlib
 * checks that but for one case, a table of zeros (an empty code, which
 * WIM chunks never need), which it takes for a valid code. */
#define XPRESS_HUFFMAN_TABLE 256

static int huffman_table_empty(const uint8_t *block, size_t len)
{
	if (len < XPRESS_HUFFMAN_TABLE)
		return 1;
	for (size_t i = 0; i < XPRESS_HUFFMAN_TABLE; i++)
		if (block[i])
			return 0;
	return 1;
}

static void put_le16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static size_t get_le16(const uint8_t *p)
{
	return (size_t)p[0] | (size_t)p[1] << 8;
}

enum err xpress_stream_encode(struct xpress_codec *c, const uint8_t *in, size_t len,
			      struct buf *out)
{
	uint8_t *space;
	enum err e;

	if (len && !c->compressor &&
	    (e = wimlib_status(wimlib_create_compressor(
		 WIMLIB_COMPRESSION_TYPE_XPRESS, XPRESS_BLOCK_MAX, 0, &c->compressor))) != ERR_OK)
		return e;
	/* Room for the worst case up front: one allocation, and no block
	 * refused half way. */
	if (xpress_stream_encoded_max(len) > out->max - buf_len(out))
		return ERR_LIMIT;
	if ((e = buf_grow(out, xpress_stream_encoded_max(len))) != ERR_OK)
		return e;
	for (size_t done = 0; done < len;) {
		size_t n = len - done < XPRESS_BLOCK_MAX ? len - done : XPRESS_BLOCK_MAX;
		if ((e = buf_reserve(out, XPRESS_BLOCK_HEADER + n, &space)) != ERR_OK)
			return e;
		/* At most n - 1 bytes: a compressed block as long as its
		 * original would read as a stored one. 0: it did not fit. */
		size_t packed = wimlib_compress(in + done, n, space + XPRESS_BLOCK_HEADER, n - 1,
						c->compressor);
		if (packed == 0) {
			memcpy(space + XPRESS_BLOCK_HEADER, in + done, n);
			packed = n;
		}
		put_le16(space, n - 1);
		put_le16(space + 2, packed - 1);
		buf_commit(out, XPRESS_BLOCK_HEADER + packed);
		done += n;
	}
	return ERR_OK;
}

enum err xpress_stream_decode(struct xpress_codec *c, const uint8_t *in, size_t len,
			      struct buf *out)
{
	uint8_t *space;
	enum err e;

	for (size_t at = 0; at < len;) {
		if (len - at < XPRESS_BLOCK_HEADER)
			return ERR_FORMAT;
		size_t original = get_le16(in + at) + 1, packed = get_le16(in + at + 2) + 1;
		const uint8_t *block = in + at + XPRESS_BLOCK_HEADER;
		at += XPRESS_BLOCK_HEADER;
		if (packed > len - at)
			return ERR_FORMAT;
		if ((e = buf_reserve(out, original, &space)) != ERR_OK)
			return e;
		if (packed == original) {
			memcpy(space, block, original);
		} else {
			if (!c->decompressor &&
			    (e = wimlib_status(wimlib_create_decompressor(
				 WIMLIB_COMPRESSION_TYPE_XPRESS, XPRESS_BLOCK_MAX,
				 &c->decompressor))) != ERR_OK)
				return e;
			/* wimlib refuses what it finds invalid (a Huffman
			 * table that is no prefix code, a match reaching before
			 * the block) and writes exactly original bytes; a chunk
			 * that decodes to other bytes passes, as it must in a
			 * format without a checksum. */
			if (huffman_table_empty(block, packed) ||
			    wimlib_decompress(block, packed, space, original, c->decompressor) != 0)
				return ERR_FORMAT;
		}
		buf_commit(out, original);
		at += packed;
	}
	return ERR_OK;
}
