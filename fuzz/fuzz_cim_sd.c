/* Fuzzes cim_sd_parse, which reads a namespace's Sddl from a remote
 * configuration change (winrm set -r:, a Put), from the stored file, and
 * in the host before each access. What it admits holds only WMI's rights,
 * in canonical order; what it refuses comes with a reason; and the rights
 * an admitted descriptor grants anyone are among those its allow ACEs
 * name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cim/cim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t gids[] = {0, 100, 1005};
	const struct cim_caller callers[] = {
	    {.uid = 0, .is_admin = 1, .gids = gids, .ngids = 1},
	    {.uid = 1005, .remote_user = 1, .gids = gids, .ngids = 3},
	    {.uid = 4294967295u},
	};
	char *text = malloc(size + 1);
	struct cim_sd sd;
	const char *why;
	uint32_t allowed = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	why = cim_sd_parse(text, &sd);
	free(text);
	if (why) {
		if (!*why)
			abort();
		return 0;
	}
	if (sd.naces > CIM_MAX_ACES)
		abort();
	for (uint32_t i = 0; i < sd.naces; i++) {
		const struct cim_ace *a = &sd.aces[i];
		if ((a->rights & ~(uint32_t)CIM_ALL_RIGHTS) || a->trustee > CIM_UNIX_GROUP ||
		    (i && a->deny && !sd.aces[i - 1].deny &&
		     !(a->flags & CIM_ACE_INHERITED) ==
			 !(sd.aces[i - 1].flags & CIM_ACE_INHERITED)))
			abort();
		if (!a->deny)
			allowed |= a->rights;
	}
	for (size_t i = 0; i < sizeof(callers) / sizeof(callers[0]); i++)
		if (cim_sd_rights(&sd, &callers[i]) & ~allowed)
			abort();
	return 0;
}
