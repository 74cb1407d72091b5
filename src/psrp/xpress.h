/* xpress: the compression of PowerShell remoting streams (MS-WSMV
 * 3.1.4.1.31.6, 3.2.4.1.19). When a PowerShell Create carries
 * rsp:CompressionType "xpress", the client compresses the data of its
 * Sends and the service MUST compress the data of its ReceiveResponses.
 * Each rsp:Stream payload (after base64) is a run of blocks, each for at
 * most 64 KiB of the original bytes, each behind a 4-byte header:
 *
 *     uint16_le originalSize - 1, uint16_le compressedSize - 1
 *
 * (the sizes one less than they are, psl-omi-provider's
 * BufferManipulation.c: "the protocol has a bug"). A block whose two sizes
 * are equal is stored as it is; any other is one MS-XCA 2.1 LZ77+Huffman
 * chunk ("Xpress Huffman"), coded by wimlib (docs/design.md, "Dependencies
 * and why"). No I/O; payloads come whole, so a short one is malformed, not
 * incomplete. */
#ifndef OPENWINRM_XPRESS_H
#define OPENWINRM_XPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/* The most original bytes one block covers. */
#define XPRESS_BLOCK_MAX 65536
#define XPRESS_BLOCK_HEADER 4

/* wimlib's compressor and decompressor, made on first use and kept for
 * the next payload (the compressor is some 850 KB): one per PowerShell
 * shell, used by one thread at a time. */
struct xpress_codec;

enum err xpress_codec_new(struct xpress_codec **out);
void xpress_codec_free(struct xpress_codec *c);

/* The most bytes xpress_stream_encode writes for len bytes: every block
 * stored, each behind its header. */
static inline size_t xpress_stream_encoded_max(size_t len)
{
	return len + (len + XPRESS_BLOCK_MAX - 1) / XPRESS_BLOCK_MAX * XPRESS_BLOCK_HEADER;
}

/* Appends the blocks of in to out; a block that compression would not
 * make smaller is stored. ERR_LIMIT if out cannot take
 * xpress_stream_encoded_max(len) more bytes; ERR_NOMEM. On error out may
 * hold part of the result: the caller drops it. */
enum err xpress_stream_encode(struct xpress_codec *c, const uint8_t *in, size_t len,
			      struct buf *out);

/* Appends the original bytes of the blocks in in to out, whose maximum is
 * the limit on decoded output. ERR_FORMAT for a truncated header or block
 * and for a chunk wimlib cannot decode; ERR_LIMIT when the output would
 * pass out's maximum; ERR_NOMEM. On error out may hold part of the
 * result: the caller drops it. */
enum err xpress_stream_decode(struct xpress_codec *c, const uint8_t *in, size_t len,
			      struct buf *out);

#endif
