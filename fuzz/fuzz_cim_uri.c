/* Fuzzes cim_uri_parse, which reads the ResourceURI of every request
 * under the WMI and DMTF prefixes: what it admits is a namespace and a
 * class of names alone (or WMI's wildcard class "*"), and the URI written
 * back from them parses to the same (the prefixes compare
 * case-insensitively, so the rebuilt URI need not be the input). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cim/cim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *uri = malloc(size + 1), again[512];
	struct cim_target t, u;

	if (!uri)
		return 0;
	memcpy(uri, data, size);
	uri[size] = 0;
	if (cim_uri_parse(uri, &t) == ERR_OK) {
		if (!cim_uri_is_cim(uri) || !*t.namespace_name ||
		    (t.wildcard ? *t.class_name || t.dmtf : !cim_is_name(t.class_name)))
			abort();
		if (t.dmtf)
			snprintf(again, sizeof(again), CIM_DMTF_PREFIX "%s", t.class_name);
		else
			snprintf(again, sizeof(again), CIM_WMI_PREFIX "%s/%s", t.namespace_name,
				 t.wildcard ? "*" : t.class_name);
		if (cim_uri_parse(again, &u) != ERR_OK || memcmp(&t, &u, sizeof(t)) != 0)
			abort();
	}
	free(uri);
	return 0;
}
