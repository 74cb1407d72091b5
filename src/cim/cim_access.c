/* cim_access: who may do what in a namespace, in one place. Windows keeps
 * a security descriptor per namespace; until they are managed here
 * (winrm-managed access lists, a later step of issue 16), every namespace
 * served has Windows' default for root/cimv2. */
#include "cim/cim.h"

#include <strings.h>

/* The namespaces served. */
static const char *const served[] = {CIM_DEFAULT_NAMESPACE};

int cim_namespace_served(const char *namespace_name)
{
	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++)
		if (strcasecmp(namespace_name, served[i]) == 0)
			return 1;
	return 0;
}

uint32_t cim_namespace_rights(const char *namespace_name, int is_admin, int remote_user)
{
	if (!cim_namespace_served(namespace_name))
		return 0;
	if (is_admin)
		return CIM_ALL_RIGHTS;
	return remote_user ? CIM_READ_REMOTELY : 0;
}

const char *cim_right_name(enum cim_right right)
{
	switch (right) {
	case CIM_ENABLE_ACCOUNT:
		return "Enable Account";
	case CIM_EXECUTE_METHODS:
		return "Execute Methods";
	case CIM_FULL_WRITE:
		return "Full Write";
	case CIM_PARTIAL_WRITE:
		return "Partial Write";
	case CIM_PROVIDER_WRITE:
		return "Provider Write";
	case CIM_REMOTE_ENABLE:
		return "Remote Enable";
	case CIM_READ_SECURITY:
		return "Read Security";
	case CIM_EDIT_SECURITY:
		return "Edit Security";
	}
	return "?";
}
