/* Fuzzes config_parse (the stored winrm.conf: the network process parses
 * the text the privileged part sends it). Whatever parses must serialize,
 * parse again to the same serialization, and print. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c, d;
	struct buf msg, once, twice, text;

	buf_init(&msg, 4096);
	buf_init(&once, 2 * CONFIG_MAX_FILE);
	buf_init(&twice, 2 * CONFIG_MAX_FILE);
	buf_init(&text, 1 << 20);
	if (config_parse(&c, (const char *)data, size, &msg) == ERR_OK) {
		if (config_serialize(&c, &once) != ERR_OK)
			abort();
		if (config_parse(&d, (const char *)buf_ptr(&once), buf_len(&once), &msg) != ERR_OK)
			abort();
		if (config_serialize(&d, &twice) != ERR_OK || buf_len(&once) != buf_len(&twice) ||
		    memcmp(buf_ptr(&once), buf_ptr(&twice), buf_len(&once)) != 0)
			abort();
		if (config_print_text(&d, "", &text, &msg) != ERR_OK ||
		    config_print_text(&d, "listener", &text, &msg) != ERR_OK ||
		    config_print_text(&d, "plugin", &text, &msg) != ERR_OK ||
		    config_print_text(&d, "service/certmapping", &text, &msg) != ERR_OK)
			abort();
		for (uint32_t i = 0; config_listener_at(&d, i); i++)
			;
		config_clear(&d);
	} else if (buf_len(&msg) == 0) {
		abort(); /* every refusal says why */
	}
	config_clear(&c);
	buf_clear(&msg);
	buf_clear(&once);
	buf_clear(&twice);
	buf_clear(&text);
	return 0;
}
