/* fuzz_psrp_packet: the lines a pwsh writes to its host (a compromised or
 * confused pwsh runs as the user, but the host must not crash on it), and
 * the PSRP peeks over the bytes a client sends. A packet that parses must
 * encode back to a line that parses to the same packet. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "host/psrp_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct psrp_packet *p)
{
	struct psrp_packet again;
	struct buf payload, line;

	buf_init(&payload, PSRP_PACKET_MAX_LINE);
	buf_init(&line, 2 * PSRP_PACKET_MAX_LINE);
	if (p->kind != PSRP_PACKET_DATA ||
	    util_b64_decode(&payload, p->text, p->text_len) == ERR_OK) {
		if (psrp_packet_encode(&line, p->kind, p->stream, p->guid, buf_ptr(&payload),
				       buf_len(&payload)) != ERR_OK ||
		    psrp_packet_parse((const char *)buf_ptr(&line), buf_len(&line) - 1, &again) !=
			ERR_OK ||
		    again.kind != p->kind || again.stream != p->stream ||
		    strcmp(again.guid, p->guid) != 0)
			abort();
	}
	buf_clear(&payload);
	buf_clear(&line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psrp_packet p;
	char pid[PSRP_GUID_LEN + 1];
	uint32_t state;
	struct psrp_pool_init init;

	if (psrp_packet_parse((const char *)data, size, &p) == ERR_OK)
		round_trip(&p);
	(void)psrp_create_pipeline_pid(data, size, pid);
	(void)psrp_pipeline_end_peek(data, size, &state);
	(void)psrp_pool_init_peek(data, size, &init);
	(void)psrp_single_message_type(data, size);
	return 0;
}
