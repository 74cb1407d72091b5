/* Unit tests for psrp/xpress: that wimlib's XPRESS is MS-XCA 2.1
 * LZ77+Huffman (MS-XCA 3.2's examples decoded, and wimlib's output read
 * back by a decoder written here from MS-XCA 2.2.4's pseudo-code), round
 * trips of PowerShell's block framing at its edges, and malformed frames
 * refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wimlib.h>

#include "common/buf.h"
#include "psrp/xpress.h"
#include "check.h"

/* ---- MS-XCA 3.2's examples ---- */

#define XCA_TABLE 256 /* 512 code lengths, 4 bits each */

/* A chunk: its Huffman table (all zero but for the bytes listed) then
 * its bit stream. */
struct xca_example {
	const char *original;
	unsigned repeat; /* the original is `original` this many times */
	struct {
		unsigned at;
		uint8_t value;
	} table[16];
	size_t stream_len;
	uint8_t stream[24];
};

/* MS-XCA's text of the first example has 258 bytes before the bit
 * stream; the table is 256 (2.1.4.3) and the stream decodes from there,
 * so two of the zeros it prints are not in the chunk. */
static const struct xca_example alphabet = {
    "abcdefghijklmnopqrstuvwxyz",
    1,
    {{48, 0x50},
     {49, 0x55},
     {50, 0x55},
     {51, 0x55},
     {52, 0x55},
     {53, 0x55},
     {54, 0x55},
     {55, 0x55},
     {56, 0x55},
     {57, 0x55},
     {58, 0x55},
     {59, 0x45},
     {60, 0x44},
     {61, 0x04},
     {128, 0x04}},
    20,
    {0xd8, 0x52, 0x3e, 0xd7, 0x94, 0x11, 0x5b, 0xe9, 0x19, 0x5f,
     0xf9, 0xd6, 0x7c, 0xdf, 0x8d, 0x04, 0x00, 0x00, 0x00, 0x00},
};

/* abc, then a match of distance 3 and length 297 (MS-XCA 3.2). */
static const struct xca_example abc_match = {
    "abc",
    100,
    {{48, 0x30}, {49, 0x23}, {128, 0x02}, {143, 0x20}},
    7,
    {0xa8, 0xdc, 0x00, 0x00, 0xff, 0x26, 0x01},
};

static size_t xca_chunk(const struct xca_example *x, uint8_t *chunk)
{
	memset(chunk, 0, XCA_TABLE);
	for (size_t i = 0; i < sizeof(x->table) / sizeof(x->table[0]) && x->table[i].value; i++)
		chunk[x->table[i].at] = x->table[i].value;
	memcpy(chunk + XCA_TABLE, x->stream, x->stream_len);
	return XCA_TABLE + x->stream_len;
}

static size_t xca_original(const struct xca_example *x, uint8_t *out)
{
	size_t n = strlen(x->original);
	for (unsigned i = 0; i < x->repeat; i++)
		memcpy(out + i * n, x->original, n);
	return n * x->repeat;
}

/* ---- a decoder after MS-XCA 2.2.4, for one chunk of known size ---- */

struct reader {
	const uint8_t *in;
	size_t len, at;
	int overrun; /* read past the end: 2.2.4, "improper memory access" */
};

static uint32_t read16(struct reader *r)
{
	if (r->len - r->at < 2) {
		r->overrun = 1;
		return 0;
	}
	r->at += 2;
	return (uint32_t)r->in[r->at - 2] | (uint32_t)r->in[r->at - 1] << 8;
}

static uint32_t read8(struct reader *r)
{
	if (r->at >= r->len) {
		r->overrun = 1;
		return 0;
	}
	return r->in[r->at++];
}

/* 0 when in decodes to exactly out_len bytes at out, -1 otherwise. */
static int reference_decode(const uint8_t *in, size_t len, uint8_t *out, size_t out_len)
{
	static uint16_t table[1 << 15];
	uint8_t bits[512];
	size_t entry = 0, o = 0;
	struct reader r = {in, len, XCA_TABLE, 0};

	if (len < XCA_TABLE)
		return -1;
	for (unsigned s = 0; s < 512; s++)
		bits[s] = (in[s / 2] >> (4 * (s & 1))) & 15;
	for (unsigned b = 1; b <= 15; b++)
		for (unsigned s = 0; s < 512; s++)
			if (bits[s] == b)
				for (size_t k = 0; k < (size_t)1 << (15 - b); k++) {
					if (entry >= 1 << 15)
						return -1;
					table[entry++] = (uint16_t)s;
				}
	if (entry != 1 << 15)
		return -1;
	uint32_t next = read16(&r) << 16;
	next |= read16(&r);
	int extra = 16;
	while (o < out_len && !r.overrun) {
		unsigned sym = table[next >> 17];
		next <<= bits[sym];
		extra -= bits[sym];
		if (extra < 0) {
			next |= read16(&r) << -extra;
			extra += 16;
		}
		if (sym < 256) {
			out[o++] = (uint8_t)sym;
			continue;
		}
		/* Symbol 256 ends the data only once all of it is out, which
		 * the loop's condition sees first: here it is a match. */
		sym -= 256;
		size_t length = sym & 15, offset_bits = sym >> 4;
		if (length == 15) {
			length = read8(&r);
			if (length == 255) {
				length = read16(&r);
				if (length < 15)
					return -1;
				length -= 15;
			}
			length += 15;
		}
		length += 3;
		size_t offset =
		    (offset_bits ? next >> (32 - offset_bits) : 0) + ((size_t)1 << offset_bits);
		next = offset_bits ? next << offset_bits : next;
		extra -= (int)offset_bits;
		if (extra < 0) {
			next |= read16(&r) << -extra;
			extra += 16;
		}
		if (offset > o || length > out_len - o)
			return -1;
		for (size_t i = 0; i < length; i++, o++)
			out[o] = out[o - offset];
	}
	return r.overrun || o != out_len ? -1 : 0;
}

/* ---- helpers ---- */

static uint32_t rng = 2463534242u;
static uint8_t random_byte(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return (uint8_t)rng;
}

enum fill { RANDOM, REPETITIVE, TEXT };

static uint8_t *make_data(size_t n, enum fill fill)
{
	static const char words[] =
	    "<Obj RefId=\"0\"><MS><I64 N=\"ci\">-100</I64><Obj N=\"mi\" RefId=\"1\">"
	    "<TN RefId=\"0\"><T>System.Management.Automation.PSObject</T>";
	uint8_t *p = malloc(n ? n : 1);

	for (size_t i = 0; i < n; i++)
		p[i] = fill == RANDOM ? random_byte()
		       : fill == REPETITIVE
			   ? (uint8_t) "abcab"[i % 5]
			   : (uint8_t)words[(i * 7 / 5 + i / 301) % (sizeof(words) - 1)];
	return p;
}

/* The buffer holds p's n bytes at offset at. (Not through buf_ptr,
 * whose "" for an empty buffer gcc sees as a 1-byte source.) */
static int holds(const struct buf *b, size_t at, const void *p, size_t n)
{
	return buf_len(b) >= at + n && (n == 0 || memcmp(b->data + b->off + at, p, n) == 0);
}

static size_t block_count(size_t n)
{
	return (n + XPRESS_BLOCK_MAX - 1) / XPRESS_BLOCK_MAX;
}

/* Encodes n bytes and decodes them back; the frame's headers must
 * account for every byte. */
static void round_trip(const char *name, size_t n, enum fill fill, struct xpress_codec *c)
{
	uint8_t *data = make_data(n, fill);
	struct buf enc, dec;
	char label[160];
	int headers_ok = 1;

	buf_init(&enc, xpress_stream_encoded_max(n));
	buf_init(&dec, n);
	enum err e1 = xpress_stream_encode(c, data, n, &enc);
	enum err e2 = xpress_stream_decode(c, buf_ptr(&enc), buf_len(&enc), &dec);
	/* Walk the headers: sizes in range, the originals adding up. */
	size_t at = 0, total = 0, blocks = 0;
	const uint8_t *p = buf_ptr(&enc);
	while (at + 4 <= buf_len(&enc)) {
		size_t orig = (size_t)(p[at] | p[at + 1] << 8) + 1;
		size_t packed = (size_t)(p[at + 2] | p[at + 3] << 8) + 1;
		headers_ok &= packed <= orig && (orig == XPRESS_BLOCK_MAX || total + orig == n);
		total += orig;
		at += 4 + packed;
		blocks++;
	}
	headers_ok &= at == buf_len(&enc) && total == n && blocks == block_count(n);
	snprintf(label, sizeof(label), "%s: %zu bytes in %zu block(s), %zu on the wire", name, n,
		 blocks, buf_len(&enc));
	CHECK(label, e1 == ERR_OK && e2 == ERR_OK && headers_ok && buf_len(&dec) == n &&
			 holds(&dec, 0, data, n));
	if (fill == RANDOM)
		CHECK("  incompressible: every block stored", buf_len(&enc) == n + 4 * blocks);
	if (fill == REPETITIVE && n > 1000)
		CHECK("  repetitive: compressed to under 2%", buf_len(&enc) * 50 < n);
	buf_clear(&enc);
	buf_clear(&dec);
	free(data);
}

static enum err decode_bytes(struct xpress_codec *c, const uint8_t *p, size_t n, size_t max,
			     struct buf *out)
{
	buf_init(out, max);
	return xpress_stream_decode(c, p, n, out);
}

/* ---- the tests ---- */

static void test_ms_xca_examples(struct xpress_codec *c)
{
	const struct xca_example *examples[] = {&alphabet, &abc_match};
	const char *names[] = {"MS-XCA 3.2 alphabet", "MS-XCA 3.2 abc x 100"};

	for (size_t i = 0; i < 2; i++) {
		uint8_t chunk[XCA_TABLE + 24], original[300], mine[300], frame[4 + sizeof(chunk)];
		size_t clen = xca_chunk(examples[i], chunk),
		       olen = xca_original(examples[i], original);
		struct buf out;
		char label[128];

		snprintf(label, sizeof(label), "%s: the reference decoder reads it", names[i]);
		CHECK(label, reference_decode(chunk, clen, mine, olen) == 0 &&
				 memcmp(mine, original, olen) == 0);
		/* Framed as PowerShell frames it, decoded through wimlib. */
		frame[0] = (uint8_t)(olen - 1);
		frame[1] = (uint8_t)((olen - 1) >> 8);
		frame[2] = (uint8_t)(clen - 1);
		frame[3] = (uint8_t)((clen - 1) >> 8);
		memcpy(frame + 4, chunk, clen);
		snprintf(label, sizeof(label), "%s: wimlib decodes it", names[i]);
		CHECK(label, decode_bytes(c, frame, 4 + clen, 1024, &out) == ERR_OK &&
				 buf_len(&out) == olen &&
				 memcmp(buf_ptr(&out), original, olen) == 0);
		buf_clear(&out);
	}

	/* wimlib's own encoding of the alphabet is MS-XCA's, byte for byte
	 * (asked of wimlib itself: the stream stores it, 276 > 26 bytes). */
	uint8_t chunk[XCA_TABLE + 24], original[26], packed[512];
	size_t clen = xca_chunk(&alphabet, chunk);
	struct wimlib_compressor *wc;
	xca_original(&alphabet, original);
	CHECK("wimlib encodes the alphabet as MS-XCA 3.2 does, byte for byte",
	      wimlib_create_compressor(WIMLIB_COMPRESSION_TYPE_XPRESS, XPRESS_BLOCK_MAX, 0, &wc) ==
		      0 &&
		  wimlib_compress(original, 26, packed, sizeof(packed), wc) == clen &&
		  memcmp(packed, chunk, clen) == 0);
	wimlib_free_compressor(wc);
}

/* Every compressed block wimlib writes must be what MS-XCA 2.2.4 reads. */
static void test_wimlib_output_is_ms_xca(struct xpress_codec *c)
{
	const enum fill fills[] = {REPETITIVE, TEXT, TEXT};
	const size_t sizes[] = {300, 5000, XPRESS_BLOCK_MAX};
	uint8_t *decoded = malloc(XPRESS_BLOCK_MAX);

	for (size_t i = 0; i < 3; i++) {
		uint8_t *data = make_data(sizes[i], fills[i]);
		struct buf enc;
		char label[128];

		buf_init(&enc, xpress_stream_encoded_max(sizes[i]));
		enum err e = xpress_stream_encode(c, data, sizes[i], &enc);
		const uint8_t *p = buf_ptr(&enc);
		size_t packed = (size_t)(p[2] | p[3] << 8) + 1;
		snprintf(
		    label, sizeof(label),
		    "wimlib's chunk for %zu bytes (%zu packed) read by the MS-XCA 2.2.4 decoder",
		    sizes[i], packed);
		CHECK(label, e == ERR_OK && packed < sizes[i] &&
				 reference_decode(p + 4, packed, decoded, sizes[i]) == 0 &&
				 memcmp(decoded, data, sizes[i]) == 0);
		buf_clear(&enc);
		free(data);
	}
	free(decoded);
}

static void test_round_trips(struct xpress_codec *c)
{
	round_trip("empty", 0, TEXT, c);
	round_trip("one byte", 1, TEXT, c);
	round_trip("64 KiB exactly", XPRESS_BLOCK_MAX, TEXT, c);
	round_trip("64 KiB + 1", XPRESS_BLOCK_MAX + 1, TEXT, c);
	round_trip("incompressible", 3 * XPRESS_BLOCK_MAX + 17, RANDOM, c);
	round_trip("repetitive", 5 * XPRESS_BLOCK_MAX, REPETITIVE, c);
	round_trip("multi-block text", 4 * XPRESS_BLOCK_MAX - 3, TEXT, c);

	/* Blocks as a client may send them: one stored, one compressed. */
	struct buf a, out;
	uint8_t *text = make_data(1000, TEXT);
	buf_init(&a, 4096);
	buf_put(&a, "\x04\x00\x04\x00hello", 9);
	xpress_stream_encode(c, text, 1000, &a);
	CHECK("a stored block then a compressed one",
	      decode_bytes(c, buf_ptr(&a), buf_len(&a), 2000, &out) == ERR_OK &&
		  buf_len(&out) == 1005 && holds(&out, 0, "hello", 5) &&
		  holds(&out, 5, text, 1000));
	buf_clear(&out);
	buf_clear(&a);
	free(text);
}

static void test_malformed(struct xpress_codec *c)
{
	struct buf out;
	uint8_t chunk[4 + XCA_TABLE + 24];
	size_t clen = xca_chunk(&abc_match, chunk + 4);

	chunk[0] = 299 & 0xff, chunk[1] = 299 >> 8;
	chunk[2] = (uint8_t)(clen - 1), chunk[3] = (uint8_t)((clen - 1) >> 8);

	for (size_t n = 1; n < 4; n++) {
		CHECK("a header cut short", decode_bytes(c, chunk, n, 1024, &out) == ERR_FORMAT);
		buf_clear(&out);
	}
	CHECK("a compressed block cut short",
	      decode_bytes(c, chunk, 4 + clen - 1, 1024, &out) == ERR_FORMAT);
	buf_clear(&out);
	CHECK("a stored block cut short", decode_bytes(c, (const uint8_t *)"\x04\x00\x04\x00hell",
						       8, 1024, &out) == ERR_FORMAT);
	buf_clear(&out);
	CHECK("a second header cut short", decode_bytes(c, (const uint8_t *)"\x00\x00\x00\x00h\x01",
							6, 1024, &out) == ERR_FORMAT);
	buf_clear(&out);
	CHECK("sizes past the input (65536 of 65536 announced, 4 there)",
	      decode_bytes(c,
			   (const uint8_t *)"\xff\xff\xff\xff"
					    "abcd",
			   8, 1 << 20, &out) == ERR_FORMAT);
	buf_clear(&out);

	uint8_t bad[4 + XCA_TABLE + 24];
	memcpy(bad, chunk, sizeof(bad));
	memset(bad + 4, 0, XCA_TABLE);
	CHECK("a Huffman table with no code at all",
	      decode_bytes(c, bad, 4 + clen, 1024, &out) == ERR_FORMAT);
	buf_clear(&out);
	memset(bad + 4, 0x11, XCA_TABLE);
	CHECK("a Huffman table oversubscribed (512 one-bit codes)",
	      decode_bytes(c, bad, 4 + clen, 1024, &out) == ERR_FORMAT);
	buf_clear(&out);
	memcpy(bad, chunk, sizeof(bad));
	bad[4 + 48] = 0x10; /* 'a' loses its code: the lengths no longer fill the code space */
	CHECK("a Huffman table that leaves codes unused",
	      decode_bytes(c, bad, 4 + clen, 1024, &out) == ERR_FORMAT);
	buf_clear(&out);

	CHECK("decoded output over the limit",
	      decode_bytes(c, chunk, 4 + clen, 299, &out) == ERR_LIMIT);
	buf_clear(&out);
	CHECK("decoded output at the limit", decode_bytes(c, chunk, 4 + clen, 300, &out) == ERR_OK);
	buf_clear(&out);

	buf_init(&out, 100);
	CHECK("encoded output over the limit",
	      xpress_stream_encode(c, chunk, 97, &out) == ERR_LIMIT);
	buf_clear(&out);
}

int main(void)
{
	struct xpress_codec *c;

	CHECK("a codec", xpress_codec_new(&c) == ERR_OK);
	test_ms_xca_examples(c);
	test_wimlib_output_is_ms_xca(c);
	test_round_trips(c);
	test_malformed(c);
	xpress_codec_free(c);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
