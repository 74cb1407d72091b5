/* fuzz_wsman_text: what the winrm tool does with a resource a service
 * sent: the three renderings, and the `winrm set` edit, whose output must
 * be well-formed XML that renders again. */
#include <stdint.h>
#include <stdlib.h>

#include <libxml/parser.h>

#include "wsman/wsman.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wsman_pair pairs[] = {
	    {.name = "MaxEnvelopeSizekb", .value = "500"},
	    {.name = "Basic", .value = "a<&\"b"},
	    {.name = "TrustedHosts", .value = NULL},
	};
	struct buf out, msg;

	buf_init(&out, 1 << 24);
	buf_init(&msg, 1024);
	for (int f = WSMAN_TEXT_PLAIN; f <= WSMAN_TEXT_PRETTY; f++) {
		wsman_text_render((const char *)data, size, (enum wsman_text_format)f, &out);
		buf_reset(&out);
	}
	for (size_t n = 1; n <= sizeof(pairs) / sizeof(pairs[0]); n++) {
		if (wsman_text_set((const char *)data, size, pairs, n, &out, &msg) == ERR_OK) {
			struct buf again;
			buf_init(&again, 1 << 24);
			if (wsman_text_render((const char *)buf_ptr(&out), buf_len(&out),
					      WSMAN_TEXT_PLAIN, &again) != ERR_OK)
				abort();
			buf_clear(&again);
		}
		buf_reset(&out);
		buf_reset(&msg);
	}
	buf_clear(&out);
	buf_clear(&msg);
	return 0;
}
