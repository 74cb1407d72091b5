/* psrp_enumerate: libpsrpclient's one export of its own (wsman_api.h,
 * "Beyond Windows' API"): a WS-Management Enumerate on a session made
 * with WSManCreateSession. Windows' client does this through its WSMan
 * automation objects and the Get-WSManInstance cmdlet, which pwsh on Linux
 * does not have; PowerShell's Get-PSSession -ComputerName runs that cmdlet,
 * so the project's Microsoft.WSMan.Management module (share/powershell)
 * provides it over this call. */
#include "psrpclient/psrp_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

/* All the items of one enumeration, as text: bounded so that a service
 * cannot make the caller hold more than this. */
#define ENUMERATED_MAX (16u << 20)

struct enumerated {
	struct buf xml;
	int failed;
};

static void item(void *arg, const char *xml)
{
	struct enumerated *got = arg;

	if (!got->failed && buf_putf(&got->xml, "%s", xml) != ERR_OK)
		got->failed = 1;
}

DWORD OpenWinRMEnumerate(WSMAN_SESSION_HANDLE session, PCWSTR resourceUri, PCWSTR filterName,
			 PCWSTR filterValue, WSMAN_CHAR **items)
{
	char errbuf[1200] = "";
	char *uri, *name = NULL, *value = NULL;
	struct winrm_selector filter;
	struct enumerated got = {.failed = 0};
	struct winrm_session *w;
	enum winrm_result r;
	DWORD code = NO_ERROR;

	if (!items)
		return ERROR_INVALID_PARAMETER;
	*items = NULL;
	if (!session || !(uri = psrp_to_utf8(resourceUri)))
		return ERROR_INVALID_PARAMETER;
	/* No filter: no name, or an empty one (what PowerShell's marshalling
	 * makes of $null). */
	if (filterName && *filterName &&
	    (!(name = psrp_to_utf8(filterName)) || !(value = psrp_to_utf8(filterValue)))) {
		code = ERROR_INVALID_PARAMETER;
		goto out;
	}
	if (!(w = psrp_connection_get(session, &code, errbuf, sizeof(errbuf)))) {
		psrp_error_remember(code, errbuf);
		goto out;
	}
	filter = (struct winrm_selector){name, value};
	buf_init(&got.xml, ENUMERATED_MAX);
	if (buf_putf(&got.xml, "<Items>") != ERR_OK)
		got.failed = 1;
	r = winrm_enumerate_ex(w, uri, NULL, 0, &filter, name ? 1 : 0, item, &got);
	if (r != WINRM_OK) {
		code = psrp_error_code(r, w);
		psrp_error_remember(code, winrm_error(w));
	} else if (got.failed || buf_putf(&got.xml, "</Items>") != ERR_OK ||
		   buf_terminate(&got.xml) != ERR_OK ||
		   !(*items = psrp_to_utf16((const char *)buf_ptr(&got.xml), NULL))) {
		code = ERROR_OUTOFMEMORY;
	}
	buf_clear(&got.xml);
	if (r == WINRM_OK || r == WINRM_E_FAULT || r == WINRM_E_TIMEOUT)
		psrp_connection_put(session, w);
	else
		winrm_session_free(w);
out:
	free(uri);
	free(name);
	free(value);
	return code;
}

void OpenWinRMFree(void *p)
{
	free(p);
}
