/* Fuzzes cim_dpkg_packages, Win32_Product's reader of dpkg's status
 * file (local input, but a parser of stanzas of any length): whatever
 * it admits is an installed package with a name, its key
 * "name:architecture" and one of Windows' install states. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cim/cim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct cim_property *property(const struct cim_instance *inst, const char *name)
{
	for (uint32_t i = 0; i < inst->nproperties; i++)
		if (strcmp(inst->properties[i].name, name) == 0)
			return &inst->properties[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cim_set set = {0};
	FILE *f = size ? fmemopen((void *)data, size, "r") : NULL;

	if (!f)
		return 0;
	cim_dpkg_packages(f, "/nonexistent", &set);
	fclose(f);
	for (uint32_t i = 0; i < set.n; i++) {
		const struct cim_property *name = property(&set.v[i], "Name");
		const struct cim_property *key = property(&set.v[i], "IdentifyingNumber");
		const struct cim_property *state = property(&set.v[i], "InstallState");
		if (!name || !*name->value || !key || !strchr(key->value, ':') || !state ||
		    (strcmp(state->value, "5") != 0 && strcmp(state->value, "-6") != 0))
			abort();
	}
	cim_set_free(&set);
	return 0;
}
