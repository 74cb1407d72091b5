/* cim_uri: the namespace and class a CIM resource URI names (network
 * input: fuzz/fuzz_cim_uri.c). */
#include "cim/cim.h"

#include <string.h>
#include <strings.h>

static int has_prefix(const char *uri, const char *prefix)
{
	return strncasecmp(uri, prefix, strlen(prefix)) == 0;
}

int cim_uri_is_cim(const char *uri)
{
	return has_prefix(uri, CIM_WMI_PREFIX) || has_prefix(uri, CIM_DMTF_PREFIX);
}

/* Letters, digits and '_', at least one: a class's name or a namespace's
 * segment as WMI spells them. */
static int is_name(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return 0;
	}
	return 1;
}

enum err cim_uri_parse(const char *uri, struct cim_target *out)
{
	const char *path, *class_name, *segment;
	size_t namespace_len;

	memset(out, 0, sizeof(*out));
	if (has_prefix(uri, CIM_DMTF_PREFIX)) {
		out->dmtf = 1;
		path = uri + strlen(CIM_DMTF_PREFIX);
		strcpy(out->namespace_name, CIM_DEFAULT_NAMESPACE);
		class_name = path;
	} else if (has_prefix(uri, CIM_WMI_PREFIX)) {
		path = uri + strlen(CIM_WMI_PREFIX);
		if (!(class_name = strrchr(path, '/')))
			return ERR_WSMAN_UNKNOWN_RESOURCE;
		namespace_len = (size_t)(class_name - path);
		class_name++;
		if (namespace_len == 0 || namespace_len > CIM_MAX_NAMESPACE)
			return ERR_WSMAN_UNKNOWN_RESOURCE;
		for (segment = path; segment < path + namespace_len;) {
			const char *slash =
			    memchr(segment, '/', (size_t)(path + namespace_len - segment));
			const char *end = slash ? slash : path + namespace_len;
			if (!is_name(segment, (size_t)(end - segment)))
				return ERR_WSMAN_UNKNOWN_RESOURCE;
			segment = end + 1;
		}
		memcpy(out->namespace_name, path, namespace_len);
		out->namespace_name[namespace_len] = 0;
	} else {
		return ERR_WSMAN_UNKNOWN_RESOURCE;
	}
	/* "*", which Microsoft's documentation queries with a WQL filter. */
	if (!out->dmtf && strcmp(class_name, "*") == 0) {
		out->wildcard = 1;
		return ERR_OK;
	}
	if (strlen(class_name) > CIM_MAX_NAME || !is_name(class_name, strlen(class_name))) {
		memset(out, 0, sizeof(*out));
		return ERR_WSMAN_UNKNOWN_RESOURCE;
	}
	strcpy(out->class_name, class_name);
	return ERR_OK;
}

int cim_is_name(const char *s)
{
	return is_name(s, strlen(s));
}
