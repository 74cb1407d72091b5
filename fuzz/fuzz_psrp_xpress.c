/* Fuzzes xpress_stream_decode, what a Send's stream data goes through
 * when the client asked for xpress: any input must be decoded within the
 * output limit or refused, and what decodes must survive a round trip
 * through the encoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "psrp/xpress.h"

/* Four blocks' worth: enough for the limit to be reached. */
#define FUZZ_MAX_DECODED (4 * XPRESS_BLOCK_MAX)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct xpress_codec *codec;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out, again, back;
	enum err e;

	if (!codec && xpress_codec_new(&codec) != ERR_OK)
		abort();
	buf_init(&out, FUZZ_MAX_DECODED);
	e = xpress_stream_decode(codec, data, size, &out);
	if (e != ERR_OK && e != ERR_FORMAT && e != ERR_LIMIT)
		abort();
	if (e == ERR_OK) {
		buf_init(&again, xpress_stream_encoded_max(buf_len(&out)));
		buf_init(&back, FUZZ_MAX_DECODED);
		if (xpress_stream_encode(codec, buf_ptr(&out), buf_len(&out), &again) != ERR_OK ||
		    xpress_stream_decode(codec, buf_ptr(&again), buf_len(&again), &back) !=
			ERR_OK ||
		    buf_len(&back) != buf_len(&out) ||
		    memcmp(buf_ptr(&back), buf_ptr(&out), buf_len(&out)) != 0)
			abort();
		buf_clear(&again);
		buf_clear(&back);
	}
	buf_clear(&out);
	return 0;
}
