/* err: classes and log strings for the error enum. */
#include "common/err.h"

static const struct {
	enum err_class cls;
	const char *str;
} err_table[ERR_COUNT] = {
    [ERR_OK] = {ERRC_OK, "ok"},
    [ERR_INCOMPLETE] = {ERRC_BLOCKED, "incomplete input"},
    [ERR_FORMAT] = {ERRC_PROTO, "invalid format"},
    [ERR_LIMIT] = {ERRC_PROTO, "limit exceeded"},
    [ERR_NOMEM] = {ERRC_INTERNAL, "out of memory"},
    [ERR_IO] = {ERRC_IO, "input/output error"},
    [ERR_INTERNAL] = {ERRC_INTERNAL, "internal error"},
    [ERR_USAGE] = {ERRC_USAGE, "invalid argument"},
    [ERR_CONFIG] = {ERRC_USAGE, "invalid configuration"},
    [ERR_EXISTS] = {ERRC_USAGE, "already exists"},
    [ERR_NOT_FOUND] = {ERRC_USAGE, "no such item"},
    [ERR_TIMEOUT] = {ERRC_IO, "no answer within the deadline"},
    [ERR_UNSUPPORTED] = {ERRC_PROTO, "not supported"},
    [ERR_HTTP_BAD_REQUEST] = {ERRC_PROTO, "malformed HTTP request"},
    [ERR_HTTP_HEADER_TOO_BIG] = {ERRC_PROTO, "HTTP header too large"},
    [ERR_HTTP_NOT_FOUND] = {ERRC_PROTO, "unknown path"},
    [ERR_HTTP_METHOD] = {ERRC_PROTO, "method not allowed"},
    [ERR_HTTP_TOO_LARGE] = {ERRC_PROTO, "request body too large"},
    [ERR_HTTP_MEDIA_TYPE] = {ERRC_PROTO, "unsupported content type"},
    [ERR_HTTP_UNAUTHORIZED] = {ERRC_DENIED, "authentication required or failed"},
    [ERR_HTTP_BUSY] = {ERRC_INTERNAL, "service busy"},
    [ERR_WSMAN_INVALID_XML] = {ERRC_PROTO, "invalid XML"},
    [ERR_WSMAN_SCHEMA] = {ERRC_PROTO, "schema validation error"},
    [ERR_WSMAN_HEADER_REQUIRED] = {ERRC_PROTO, "required SOAP header missing"},
    [ERR_WSMAN_INVALID_HEADER] = {ERRC_PROTO, "invalid SOAP header"},
    [ERR_WSMAN_MUST_UNDERSTAND] = {ERRC_PROTO, "mustUnderstand header not understood"},
    [ERR_WSMAN_ACTION_NOT_SUPPORTED] = {ERRC_PROTO, "action not supported"},
    [ERR_WSMAN_UNKNOWN_RESOURCE] = {ERRC_PROTO, "unknown resource URI"},
    [ERR_WSMAN_UNKNOWN_SHELL] = {ERRC_PROTO, "unknown shell"},
    [ERR_WSMAN_UNKNOWN_COMMAND] = {ERRC_PROTO, "unknown command"},
    [ERR_WSMAN_INVALID_PARAMETER] = {ERRC_PROTO, "invalid parameter"},
    [ERR_WSMAN_TIMED_OUT] = {ERRC_BLOCKED, "operation timed out"},
    [ERR_WSMAN_ENCODING_LIMIT] = {ERRC_PROTO, "encoding limit"},
    [ERR_WSMAN_MAX_ENVELOPE] = {ERRC_PROTO, "MaxEnvelopeSize too small"},
    [ERR_WSMAN_ACCESS_DENIED] = {ERRC_DENIED, "access denied"},
    [ERR_WSMAN_SHELL_ACCESS_OFF] = {ERRC_DENIED, "remote shell access disabled"},
    [ERR_WSMAN_QUOTA_SHELLS] = {ERRC_PROTO, "MaxShellsPerUser reached"},
    [ERR_WSMAN_QUOTA_PROCESSES] =
	{ERRC_PROTO, "too many operations (MaxProcessesPerShell, MaxConcurrentOperationsPerUser or "
		     "MaxConnectionsPerUserPercent)"},
    [ERR_WSMAN_QUOTA_USERS] = {ERRC_PROTO, "MaxConcurrentUsers reached"},
    [ERR_WSMAN_FILE_NOT_FOUND] = {ERRC_PROTO, "executable not found"},
    [ERR_WSMAN_HOST_GONE] = {ERRC_IO, "user host process ended"},
    [ERR_WSMAN_NO_PWSH] = {ERRC_PROTO, "PowerShell (pwsh) not installed"},
    [ERR_WSMAN_PROVIDER_DIED] = {ERRC_IO, "PowerShell (pwsh) ended under the shell"},
    [ERR_WSMAN_NO_ENDPOINT] = {ERRC_PROTO, "no such PowerShell session configuration"},
    [ERR_WSMAN_CONFIG_INVALID] = {ERRC_PROTO, "invalid configuration setting or value"},
    [ERR_WSMAN_INVALID_SD] = {ERRC_PROTO, "invalid security descriptor"},
    [ERR_WSMAN_ALREADY_EXISTS] = {ERRC_PROTO, "resource already exists"},
    [ERR_WSMAN_NO_INSTANCE] = {ERRC_PROTO, "no such resource instance"},
    [ERR_WSMAN_INVALID_SELECTORS] = {ERRC_PROTO, "invalid selectors"},
    [ERR_WSMAN_INVALID_CONTEXT] = {ERRC_PROTO, "unknown or expired enumeration context"},
    [ERR_WSMAN_FILTERING_NOT_SUPPORTED] = {ERRC_PROTO, "enumeration filter not supported"},
    [ERR_WSMAN_FILTER_DIALECT] = {ERRC_PROTO, "enumeration filter dialect not supported"},
    [ERR_WSMAN_CANNOT_PROCESS_FILTER] = {ERRC_PROTO, "enumeration filter invalid"},
    [ERR_WSMAN_ENUMERATION_MODE] = {ERRC_PROTO, "unsupported enumeration mode"},
    [ERR_WSMAN_SHELL_DISCONNECTED] = {ERRC_PROTO, "the shell is disconnected"},
    [ERR_WSMAN_STREAM_DISCONNECTED] = {ERRC_PROTO, "the shell was disconnected under the Receive"},
    [ERR_WSMAN_SHELL_IN_USE] = {ERRC_PROTO, "the shell is connected to another client"},
    [ERR_WSMAN_DISK_FULL] = {ERRC_INTERNAL, "no space left on the disk"},
    [ERR_WSMAN_WMI_NOT_FOUND] = {ERRC_PROTO, "no such WMI namespace or class"},
    [ERR_WSMAN_WMI_ACCESS_DENIED] = {ERRC_DENIED, "WMI namespace access denied"},
    [ERR_WSMAN_WMI_UNENCRYPTED] = {ERRC_DENIED, "WMI namespace requires an encrypted connection"},
    [ERR_WSMAN_WMI_INVALID_PARAMETER] = {ERRC_PROTO, "invalid WMI method parameter"},
    [ERR_WSMAN_WMI_SINGLETON] = {ERRC_PROTO, "no keys for a class that is not a singleton"},
    [ERR_WSMAN_WMI_READ_ONLY] = {ERRC_PROTO, "a WMI Put changes a read-only property"},
    [ERR_WSMAN_WMI_NOT_CAPABLE] = {ERRC_PROTO, "a WMI Put of a class with nothing writable"},
    [ERR_WSMAN_INTERNAL] = {ERRC_INTERNAL, "internal service error"},
};

enum err_class err_class(enum err e)
{
	if ((unsigned)e >= ERR_COUNT)
		return ERRC_INTERNAL;
	return err_table[e].cls;
}

const char *err_str(enum err e)
{
	if ((unsigned)e >= ERR_COUNT || !err_table[e].str)
		return "unknown error";
	return err_table[e].str;
}
