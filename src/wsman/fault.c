/* fault: the one table from enum err to the wire (DSP0226 14; MS-WSMV
 * 2.2.4.43 and 3.1.4.1.21; what Windows sends, docs/protocol-notes.md,
 * "Faults"): HTTP status, SOAP code, subcode, fault detail, WSManFault
 * code and Windows' own wording. Nothing else builds faults. */
#include "wsman/wsman.h"

#include <inttypes.h>

#include "common/log.h"
#include "wsman/wsman_xml.h"

#define FAULT_NS                                                                                   \
	"xmlns:s=\"" NS_SOAP "\" xmlns:a=\"" NS_WSA "\" xmlns:x=\"" NS_TRANSFER                    \
	"\" xmlns:e=\"http://schemas.xmlsoap.org/ws/2004/08/eventing\" xmlns:n=\""                 \
	"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" xmlns:w=\"" NS_WSMAN                  \
	"\" xmlns:p=\"" NS_WSMV "\""
#define ACTION_WSMAN_FAULT "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
#define ACTION_WSA_FAULT NS_WSA "/fault"
#define ACTION_ENUMERATION_FAULT NS_ENUMERATION "/fault"
#define DETAIL_PREFIX "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"

/* The texts are Windows' (winerror.h's ERROR_WSMAN_* messages, and real
 * faults recorded in pypsrp's tests), trailing spaces included: clients
 * match on them. */
#define TEXT_INVALID_SELECTORS                                                                     \
	"The WS-Management service cannot process the request because the request "                \
	"contained invalid selectors for the resource. "
#define TEXT_PARAMETER "The parameter is incorrect. "
#define TEXT_RESOURCE_NOT_FOUND                                                                    \
	"The WS-Management service cannot process the request. The service cannot find the "       \
	"resource identified by the resource URI and selectors. "
#define TEXT_ACCESS_DENIED "Access is denied. "

struct fault_def {
	int status;	     /* 0: no entry, treated as ERR_WSMAN_INTERNAL */
	int receiver;	     /* s:Receiver, else s:Sender */
	const char *subcode; /* w:... or a:...; NULL with status 500: s:MustUnderstand */
	const char *detail;  /* w:FaultDetail after DETAIL_PREFIX, or NULL */
	uint32_t code;	     /* f:WSManFault Code */
	int provider;	     /* f:Message wraps the text in f:ProviderFault */
	const char *reason;  /* s:Reason/s:Text */
	const char *message; /* f:Message when it differs from reason */
	/* WMI's own errors: the detail is p:MSFT_WmiError, as the WMI plug-in
	 * of Windows since Server 2012 writes it, with the MI result
	 * (CIMStatusCode) and PowerShell's ErrorCategory; code is its
	 * error_Code. */
	struct {
		int is;
		uint32_t cim_status, category;
	} wmi;
};

/* The MI results and error categories WMI's errors carry. */
enum {
	MI_RESULT_FAILED = 1,
	MI_RESULT_ACCESS_DENIED = 2,
	MI_RESULT_INVALID_PARAMETER = 4,
	MI_RESULT_NOT_SUPPORTED = 7,
	MI_RESULT_SERVER_LIMITS_EXCEEDED = 27,
};
enum {
	CATEGORY_INVALID_ARGUMENT = 5,
	CATEGORY_INVALID_OPERATION = 7,
	CATEGORY_NOT_IMPLEMENTED = 11,
	CATEGORY_PERMISSION_DENIED = 18,
	CATEGORY_QUOTA_EXCEEDED = 30,
};

/* HTTP-level refusals have only a status: their body is empty. */
static const struct fault_def faults[ERR_COUNT] = {
    [ERR_HTTP_BAD_REQUEST] = {.status = 400},
    [ERR_HTTP_HEADER_TOO_BIG] = {.status = 400},
    [ERR_HTTP_NOT_FOUND] = {.status = 404},
    [ERR_HTTP_METHOD] = {.status = 405},
    [ERR_HTTP_TOO_LARGE] = {.status = 413},
    [ERR_HTTP_MEDIA_TYPE] = {.status = 415},
    [ERR_HTTP_UNAUTHORIZED] = {.status = 401},
    [ERR_HTTP_BUSY] = {.status = 503},

    /* Windows answers an unparsable envelope at the HTTP layer with 400.
     * The body is our choice (unverified against Windows, which may send
     * none): the fault MS-WSMV 3.1.4.1.31.3 names, "A
     * wsman:SchemaValidationError fault SHOULD be returned for any
     * operation where the XML is invalid", with ERROR_WSMAN_INVALID_XML
     * (docs/protocol-notes.md, "Unparsable XML"). */
    [ERR_WSMAN_INVALID_XML] =
	{
	    .status = 400,
	    .subcode = "w:SchemaValidationError",
	    .code = 2150858819u,
	    .reason = "The WS-Management service cannot process the request because the XML "
		      "is invalid. ",
	},
    [ERR_WSMAN_SCHEMA] =
	{
	    .status = 500,
	    .subcode = "w:SchemaValidationError",
	    .code = 2150858817u,
	    .reason = "The SOAP XML in the message does not match the corresponding XML "
		      "schema definition. Change the XML and retry. ",
	},
    [ERR_WSMAN_HEADER_REQUIRED] =
	{
	    .status = 500,
	    .subcode = "a:MessageInformationHeaderRequired",
	    .code = 2150858769u,
	    .reason = "The WS-Management service cannot process the request. The request does "
		      "not have all the expected SOAP headers. ",
	},
    [ERR_WSMAN_INVALID_HEADER] =
	{
	    .status = 500,
	    .subcode = "a:InvalidMessageInformationHeader",
	    .code = 2150858767u,
	    .reason = "The WS-Management service cannot process the request. The request "
		      "contains one or more invalid SOAP headers. ",
	},
    /* SOAP 1.2 part 1, 5.4.8: a top-level code without subcode. */
    [ERR_WSMAN_MUST_UNDERSTAND] =
	{
	    .status = 500,
	    .code = 2150858768u,
	    .reason = "The WS-Management service cannot process a SOAP header in the request "
		      "that is marked as mustUnderstand by the client. This could be caused "
		      "by the use of a version of the protocol which is not supported, or may "
		      "be an incompatibility between the client and server implementations. ",
	},
    [ERR_WSMAN_ACTION_NOT_SUPPORTED] =
	{
	    .status = 500,
	    .subcode = "a:ActionNotSupported",
	    .code = 2150858771u,
	    .reason = "The WS-Management service does not support the action specified in the "
		      "request. ",
	},
    /* Generic on purpose: the URI is the client's own and goes to the log. */
    [ERR_WSMAN_UNKNOWN_RESOURCE] =
	{
	    .status = 500,
	    .subcode = "a:DestinationUnreachable",
	    .detail = "InvalidResourceURI",
	    .code = 2150858811u,
	    .reason = TEXT_RESOURCE_NOT_FOUND,
	    .message = "The WS-Management service cannot process the request. The resource "
		       "URI is missing or it has an incorrect format. Check the documentation "
		       "or use the following command for information on how to construct a "
		       "resource URI: \"winrm help uris\". ",
	},
    [ERR_WSMAN_UNKNOWN_SHELL] =
	{
	    .status = 500,
	    .subcode = "w:InvalidSelectors",
	    .detail = "UnexpectedSelectors",
	    .code = 2150858843u,
	    .reason = TEXT_INVALID_SELECTORS,
	    .message = "The request for the Windows Remote Shell failed because the shell was "
		       "not found on the server. Possible causes are: the specified ShellId "
		       "is incorrect or the shell no longer exists on the server. Provide the "
		       "correct ShellId or create a new shell and retry the operation. ",
	},
    [ERR_WSMAN_UNKNOWN_COMMAND] =
	{
	    .status = 500,
	    .subcode = "w:InvalidSelectors",
	    .detail = "UnexpectedSelectors",
	    .code = 2150858843u,
	    .reason = TEXT_INVALID_SELECTORS,
	    .message = "The Windows Remote Shell received a request to perform an operation "
		       "on a command identifier that does not exist. Either the command has "
		       "completed execution or the client specified an invalid command "
		       "identifier. ",
	},
    [ERR_WSMAN_INVALID_PARAMETER] =
	{
	    .status = 500,
	    .subcode = "w:InvalidParameter",
	    .detail = "InvalidValue",
	    .code = 87,
	    .provider = 1,
	    .reason = TEXT_PARAMETER,
	},
    /* MS-WSMV 3.1.4.14: with no output before OperationTimeout "the
     * server MUST return a WSManFault with the Code attribute equal to
     * "2150858793"". masterzen retries a Receive when the text contains
     * "OperationTimeout"; pywinrm when Code is 2150858793. */
    [ERR_WSMAN_TIMED_OUT] =
	{
	    .status = 500,
	    .receiver = 1,
	    .subcode = "w:TimedOut",
	    .code = 2150858793u,
	    .reason = "The WS-Management service cannot complete the operation within the "
		      "time specified in OperationTimeout.  ",
	},
    [ERR_WSMAN_ENCODING_LIMIT] =
	{
	    .status = 500,
	    .subcode = "w:EncodingLimit",
	    .code = 2150858805u,
	    .reason = "The WS-Management service cannot process the request because the "
		      "encoding of the request exceeds an internal encoding limit. "
		      "Reconfigure the client to send messages which fit the encoding limits "
		      "of the service. ",
	},
    [ERR_WSMAN_MAX_ENVELOPE] =
	{
	    .status = 500,
	    .subcode = "w:EncodingLimit",
	    .detail = "MaxEnvelopeSize",
	    .code = 2150858824u,
	    .reason = "The response that the WS-Management service computed exceeds the "
		      "maximum envelope size in the request. ",
	},
    [ERR_WSMAN_ACCESS_DENIED] =
	{
	    .status = 500,
	    .subcode = "w:AccessDenied",
	    .code = 5,
	    .reason = TEXT_ACCESS_DENIED,
	},
    [ERR_WSMAN_SHELL_ACCESS_OFF] =
	{
	    .status = 500,
	    .receiver = 1,
	    .subcode = "w:InternalError",
	    .code = 2150859180u,
	    .reason = "The WS-Management service cannot process the request. The service is "
		      "configured to not accept any remote shell requests. ",
	},
    /* As WinRb's recording of a Windows reply (wmi_error_v2.xml) has it:
     * p:MSFT_WmiError, not f:WSManFault. Its Message names the limit
     * ("a maximum number of 30 concurrent shells"); ours is the reason's
     * words, the limit being in the configuration the client can read. */
    [ERR_WSMAN_QUOTA_SHELLS] =
	{
	    .status = 500,
	    .subcode = "w:QuotaLimit",
	    .code = 2150859173u,
	    .reason = "The WS-Management service cannot process the request. The maximum "
		      "number of concurrent shells for this user has been exceeded. Close "
		      "existing shells or raise the quota for this user. ",
	    .wmi = {1, MI_RESULT_SERVER_LIMITS_EXCEEDED, CATEGORY_QUOTA_EXCEEDED},
	},
    [ERR_WSMAN_QUOTA_PROCESSES] =
	{
	    .status = 500,
	    .subcode = "w:QuotaLimit",
	    .code = 2150859174u,
	    .reason = "The WS-Management service cannot process the request. The maximum "
		      "number of concurrent operations for this user has been exceeded. Close "
		      "existing operations for this user, or raise the quota for this user. ",
	},
    [ERR_WSMAN_QUOTA_USERS] =
	{
	    .status = 500,
	    .subcode = "w:QuotaLimit",
	    .code = 2150859179u,
	    .reason = "The WS-Management service cannot process the request. The maximum "
		      "number of users executing shell operations has been exceeded. Retry "
		      "after some time or raise the quota for concurrent shell users. ",
	},
    /* HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND), as the shell plug-in
     * reports it (docs/protocol-notes.md, "Shell plug-in errors"). */
    [ERR_WSMAN_FILE_NOT_FOUND] =
	{
	    .status = 500,
	    .receiver = 1,
	    .subcode = "w:InternalError",
	    .code = 2147942402u,
	    .provider = 1,
	    .reason = "The system cannot find the file specified. ",
	},
    /* ERROR_OPERATION_ABORTED: WinRb treats it as "the shell is gone". */
    /* Windows has no such case (its plugin is always there); the code is
     * ERROR_FILE_NOT_FOUND, as for a command that is not installed. */
    [ERR_WSMAN_NO_PWSH] =
	{
	    .status = 500,
	    .receiver = 1,
	    .subcode = "w:InternalError",
	    .code = 2147942402u,
	    .provider = 1,
	    .reason = "PowerShell (pwsh) is not installed on this host, so its PowerShell "
		      "endpoints cannot start a session. Install it (for example: dotnet tool "
		      "install PowerShell --tool-path /opt/pwsh) and, if it is not on the usual "
		      "paths, name it with: winrm set winrm/config/service "
		      "@{PowerShell=\"/opt/pwsh/pwsh\"} ",
	},
    /* What Windows answers when the plugin's host process dies, which is
     * also how a shell over MaxMemoryPerShellMB ends there (its job object
     * kills the host): RPC_S_CALL_FAILED, and Windows' text with its two
     * spaces. PowerShell shows it as "Processing data for a remote command
     * failed ..." and marks the session Broken. */
    [ERR_WSMAN_PROVIDER_DIED] =
	{
	    .status = 500,
	    .receiver = 1,
	    .subcode = "w:InternalError",
	    .code = 1726,
	    .reason = "The WSMan provider host process did not return a proper response.  A "
		      "provider in the host process may have behaved improperly. ",
	},
    /* Windows' text for a configuration name it does not know (ERROR_NOT_FOUND). */
    [ERR_WSMAN_NO_ENDPOINT] =
	{
	    .status = 500,
	    .subcode = "a:DestinationUnreachable",
	    .detail = "InvalidResourceURI",
	    .code = 2150858811u,
	    .reason = "The WS-Management service cannot process the request. Cannot find the "
		      "session configuration named by the resource URI on this computer. ",
	},
    [ERR_WSMAN_HOST_GONE] =
	{
	    .status = 500,
	    .receiver = 1,
	    .subcode = "w:InternalError",
	    .code = 995,
	    .reason = "The I/O operation has been aborted because of either a thread exit or "
		      "an application request. ",
	},
    /* The configuration resources (MS-WSMV 3.1.4.1.29). Texts are winerror.h's
     * (wsmerror.h) for the codes. A rejected Put or Create names the
     * setting and the reason in the log, not on the wire. */
    [ERR_WSMAN_CONFIG_INVALID] =
	{
	    .status = 500,
	    .subcode = "w:InvalidParameter",
	    .detail = "InvalidValue",
	    .code = 2150858810u,
	    .reason = "The WS-Management service cannot process the request because a "
		      "parameter for the operation is not valid. ",
	},
    /* A Put whose Sddl does not parse: ERROR_WSMAN_INVALID_SECURITY_DESCRIPTOR
     * (0x8033815C) and its text. */
    [ERR_WSMAN_INVALID_SD] =
	{
	    .status = 500,
	    .subcode = "w:InvalidParameter",
	    .detail = "InvalidValue",
	    .code = 2150859100u,
	    .reason = "The WinRM client cannot process the request because the provided "
		      "security descriptor is invalid. ",
	},
    [ERR_WSMAN_ALREADY_EXISTS] =
	{
	    .status = 500,
	    .subcode = "w:AlreadyExists",
	    .code = 2150858803u,
	    .reason = "The WS-Management service cannot create the resource because it "
		      "already exists. ",
	},
    /* A listener the selectors do not name: ERROR_WSMAN_RESOURCE_NOT_FOUND,
     * what `winrm get/delete` reports on Windows as far as we know; the
     * subcode is our choice (docs/protocol-notes.md, "a listener that
     * does not exist"). */
    [ERR_WSMAN_NO_INSTANCE] =
	{
	    .status = 500,
	    .subcode = "w:InvalidSelectors",
	    .code = 2150858752u,
	    .reason = TEXT_RESOURCE_NOT_FOUND,
	},
    /* What Windows' WMI plugin answers for a class or namespace WMI does
     * not have (the reply for a missing WMI instance, docs/protocol-notes
     * and the protocol reference's fault table: ERROR_WSMAN_RESOURCE_NOT_FOUND). */
    [ERR_WSMAN_WMI_NOT_FOUND] =
	{
	    .status = 500,
	    .subcode = "a:DestinationUnreachable",
	    .detail = "InvalidResourceURI",
	    .code = 2150858752u,
	    .reason = TEXT_RESOURCE_NOT_FOUND,
	},
    /* WMI's refusals of a namespace (docs/design.md, "Namespace
     * security"): a right its descriptor does not grant is
     * WBEM_E_ACCESS_DENIED, 0x80041003, "If a user tries to connect to a
     * namespace they are not allowed access to, they will receive error
     * 0x80041003" (Securing a Remote WMI Connection); a connection below
     * the packet privacy a RequiresEncryption namespace wants is DCOM's
     * E_ACCESSDENIED, 0x80070005, the "access denied message" of the same
     * page. */
    [ERR_WSMAN_WMI_ACCESS_DENIED] =
	{
	    .status = 500,
	    .subcode = "w:AccessDenied",
	    .code = 2147749891u,
	    .reason = "Access denied ",
	    .wmi = {1, MI_RESULT_ACCESS_DENIED, CATEGORY_PERMISSION_DENIED},
	},
    [ERR_WSMAN_WMI_UNENCRYPTED] =
	{
	    .status = 500,
	    .subcode = "w:AccessDenied",
	    .code = 2147942405u,
	    .reason = TEXT_ACCESS_DENIED,
	    .wmi = {1, MI_RESULT_ACCESS_DENIED, CATEGORY_PERMISSION_DENIED},
	},
    /* A method's parameter WMI refuses (not the method's, or not of its
     * type): WBEM_E_INVALID_PARAMETER from the provider, in WMI's words
     * (the subcode is our choice: not checked against Windows). */
    [ERR_WSMAN_WMI_INVALID_PARAMETER] =
	{
	    .status = 500,
	    .subcode = "w:InvalidParameter",
	    .detail = "InvalidValue",
	    .code = 2147749896u,
	    .reason = "Invalid parameter ",
	    .wmi = {1, MI_RESULT_INVALID_PARAMETER, CATEGORY_INVALID_ARGUMENT},
	},
    /* A Get without keys of a class of many instances: ERROR_WSMAN_INVALID_URI_WMI_SINGLETON
     * in Windows' words, which a client may take as its cue to enumerate
     * instead (a WMI library over pywinrm does, reading MSFT_WmiError's
     * error_Code); the MI result and category are our choice. */
    [ERR_WSMAN_WMI_SINGLETON] =
	{
	    .status = 500,
	    .subcode = "w:InvalidSelectors",
	    .detail = "InsufficientSelectors",
	    .code = 2150859002u,
	    .reason = "The WinRM client cannot process the request. The resource URI is not "
		      "valid: it does not contain keys, but the class selected is not a "
		      "singleton. To access an instance which is not a singleton, keys must be "
		      "provided. Use the following command to get more information in how to "
		      "construct a resource URI: \"winrm help uris\". ",
	    .wmi = {1, MI_RESULT_INVALID_PARAMETER, CATEGORY_INVALID_ARGUMENT},
	},
    /* A Put's refusals by the provider (docs/protocol-notes.md, "WMI
     * Put"): WMI's own codes and words, wbemcli.h's WBEM_E_READ_ONLY
     * (0x80041023) for a read-only property changed, and
     * WBEM_E_PROVIDER_NOT_CAPABLE (0x80041024), what the provider
     * framework's default PutInstance answers, for a class whose provider
     * writes nothing; as WMI's errors under w:InternalError (the subcode,
     * MI result and category are our choice: not checked against Windows). */
    [ERR_WSMAN_WMI_READ_ONLY] =
	{
	    .status = 500,
	    .receiver = 1,
	    .subcode = "w:InternalError",
	    .code = 2147749923u,
	    .reason = "An attempt was made to modify a read-only property. ",
	    .wmi = {1, MI_RESULT_FAILED, CATEGORY_INVALID_OPERATION},
	},
    [ERR_WSMAN_WMI_NOT_CAPABLE] =
	{
	    .status = 500,
	    .receiver = 1,
	    .subcode = "w:InternalError",
	    .code = 2147749924u,
	    .reason = "Provider is not capable of the attempted operation ",
	    .wmi = {1, MI_RESULT_NOT_SUPPORTED, CATEGORY_NOT_IMPLEMENTED},
	},
    [ERR_WSMAN_INVALID_SELECTORS] =
	{
	    .status = 500,
	    .subcode = "w:InvalidSelectors",
	    .code = 2150858813u,
	    .reason = "The WS-Management service cannot process the request because the "
		      "selectors for the resource are not valid. ",
	},
    /* As Windows sends it: s:Receiver, code 2150858779
     * (docs/protocol-notes.md, "Pull and Release"). */
    [ERR_WSMAN_INVALID_CONTEXT] =
	{
	    .status = 500,
	    .receiver = 1,
	    .subcode = "n:InvalidEnumerationContext",
	    .code = 2150858779u,
	    .reason = "The WS-Enumeration context in the enumeration is not valid. "
		      "Enumeration may have been completed or canceled. You cannot use this "
		      "enumeration context anymore. Start a new enumeration. ",
	},
    [ERR_WSMAN_FILTERING_NOT_SUPPORTED] =
	{
	    .status = 500,
	    .subcode = "n:FilteringNotSupported",
	    .code = 2150858776u,
	    .reason = "The data source does not support filtering. Remove the filter from the "
		      "request and try the request again. ",
	},
    /* A dialect the resource does not take: WS-Enumeration's fault for it,
     * with winerror.h's ERROR_WSMAN_ENUMERATE_FILTER_DIALECT_REQUESTED_UNAVAILABLE
     * (the wording unverified against a Windows reply). */
    [ERR_WSMAN_FILTER_DIALECT] =
	{
	    .status = 500,
	    .subcode = "n:FilterDialectRequestedUnavailable",
	    .code = 2150858777u,
	    .reason = "The filter dialect (the type of filter, such as WQL or selector) is not "
		      "supported for this resource. Change the filter dialect or the resource URI "
		      "and try the request again. ",
	},
    /* A WQL query or selector filter refused, as Windows Server 2008 R2 was
     * recorded answering a query of a class WMI does not have (WinRb's
     * spec/stubs/responses/soap_fault_v2.xml), two trailing spaces
     * included; the f:Message is WMI's WBEM_E_INVALID_QUERY text, where
     * Windows nests WMI's own f:WSManFault and __ExtendedStatus in an
     * f:ProviderFault of the WMI provider (not written here). */
    [ERR_WSMAN_CANNOT_PROCESS_FILTER] =
	{
	    .status = 500,
	    .subcode = "n:CannotProcessFilter",
	    .code = 2150858778u,
	    .reason = "The data source could not process the filter. The filter might be missing "
		      "or it might be invalid. Change the filter and try the request again.  ",
	    .message = "The query was not syntactically valid. ",
	},
    [ERR_WSMAN_ENUMERATION_MODE] =
	{
	    .status = 500,
	    .subcode = "w:UnsupportedFeature",
	    .detail = "EnumerationMode",
	    .code = 2150858818u,
	    .reason = "The WS-Management service does not support the specified feature. "
		      "Remove the unsupported feature from the request and retry. ",
	},
    /* Disconnected shells: the codes are winerror.h's
     * (ERROR_WINRS_SHELL_DISCONNECTED, ERROR_WSMAN_SERVICE_STREAM_DISCONNECTED,
     * ERROR_WINRS_SHELL_CONNECTED_TO_DIFFERENT_CLIENT), which PowerShell's
     * client acts on; the subcodes are our choice (docs/protocol-notes.md,
     * "Disconnected shells"). */
    [ERR_WSMAN_SHELL_DISCONNECTED] =
	{
	    .status = 500,
	    .subcode = "w:InvalidParameter",
	    .code = 2150859204u,
	    .reason = "The request cannot be processed because the shell is disconnected. "
		      "Reconnect to the shell (Connect-PSSession) and retry. ",
	},
    [ERR_WSMAN_STREAM_DISCONNECTED] =
	{
	    .status = 500,
	    .receiver = 1,
	    .subcode = "w:InternalError",
	    .code = 2150859230u,
	    .reason = "The WS-Management service cannot process the request because the "
		      "stream is currently disconnected. ",
	},
    [ERR_WSMAN_SHELL_IN_USE] =
	{
	    .status = 500,
	    .subcode = "w:InvalidParameter",
	    .code = 2150859213u,
	    .reason = "The WinRS client cannot process the request because the shell is "
		      "connected to a different client. Disconnect it there first. ",
	},
    /* Windows' Win32 ERROR_DISK_FULL (112) and its text, for the
     * administrator whose configuration change could not be saved. */
    [ERR_WSMAN_DISK_FULL] =
	{
	    .status = 500,
	    .receiver = 1,
	    .subcode = "w:InternalError",
	    .code = 112,
	    .reason = "There is not enough space on the disk. ",
	},
    [ERR_WSMAN_INTERNAL] =
	{
	    .status = 500,
	    .receiver = 1,
	    .subcode = "w:InternalError",
	    .code = 2150858755u,
	    .reason = "An error was encountered inside the plugin. ",
	},
};

static const struct fault_def *fault_def(enum err e)
{
	if ((unsigned)e < ERR_COUNT && faults[e].status)
		return &faults[e];
	return &faults[ERR_WSMAN_INTERNAL];
}

int wsman_http_status(enum err e)
{
	return fault_def(e)->status;
}

static enum err put_code(struct buf *out, const struct fault_def *f)
{
	if (!f->subcode)
		return buf_putf(out, "<s:Code><s:Value>s:MustUnderstand</s:Value></s:Code>");
	return buf_putf(
	    out,
	    "<s:Code><s:Value>%s</s:Value><s:Subcode><s:Value>%s</s:Value></s:Subcode></s:Code>",
	    f->receiver ? "s:Receiver" : "s:Sender", f->subcode);
}

/* p:MSFT_WmiError's properties in the order Windows writes them (its
 * instance's, alphabetical): nil where WMI sets nothing. */
static enum err put_wmi_error(struct buf *out, const struct fault_def *f)
{
	const char *text = f->message ? f->message : f->reason;
	enum err e;

	if ((e = buf_putf(
		 out,
		 "<p:MSFT_WmiError b:IsCIM_Error=\"true\" xmlns:b=\"" NS_CIMBINDING
		 "\" xmlns:p=\"" NS_MSFT_WMI_ERROR "\" xmlns:cim=\"" NS_CIM_COMMON
		 "\" xmlns:xsi=\"" NS_XSI "\" xsi:type=\"p:MSFT_WmiError_Type\">"
		 "<p:CIMStatusCode xsi:type=\"cim:cimUnsignedInt\">%" PRIu32 "</p:CIMStatusCode>"
		 "<p:CIMStatusCodeDescription xsi:type=\"cim:cimString\" xsi:nil=\"true\"/>"
		 "<p:ErrorSource xsi:type=\"cim:cimString\" xsi:nil=\"true\"/>"
		 "<p:ErrorSourceFormat xsi:type=\"cim:cimUnsignedShort\">0</p:ErrorSourceFormat>"
		 "<p:ErrorType xsi:type=\"cim:cimUnsignedShort\">0</p:ErrorType>"
		 "<p:Message xsi:type=\"cim:cimString\">",
		 f->wmi.cim_status)) != ERR_OK ||
	    (e = wsman_put_escaped(out, text)) != ERR_OK ||
	    (e = buf_putf(
		 out,
		 "</p:Message><p:MessageID xsi:type=\"cim:cimString\">HRESULT 0x%08" PRIx32
		 "</p:MessageID>"
		 "<p:OtherErrorSourceFormat xsi:type=\"cim:cimString\" xsi:nil=\"true\"/>"
		 "<p:OtherErrorType xsi:type=\"cim:cimString\" xsi:nil=\"true\"/>"
		 "<p:OwningEntity xsi:type=\"cim:cimString\" xsi:nil=\"true\"/>"
		 "<p:PerceivedSeverity xsi:type=\"cim:cimUnsignedShort\">0</p:PerceivedSeverity>"
		 "<p:ProbableCause xsi:type=\"cim:cimUnsignedShort\">0</p:ProbableCause>"
		 "<p:ProbableCauseDescription xsi:type=\"cim:cimString\" xsi:nil=\"true\"/>"
		 "<p:error_Category xsi:type=\"cim:cimUnsignedInt\">%" PRIu32 "</p:error_Category>"
		 "<p:error_Code xsi:type=\"cim:cimUnsignedInt\">%" PRIu32 "</p:error_Code>"
		 "<p:error_Type xsi:type=\"cim:cimString\">HRESULT</p:error_Type>"
		 "<p:error_WindowsErrorMessage xsi:type=\"cim:cimString\">",
		 f->code, f->wmi.category, f->code)) != ERR_OK ||
	    (e = wsman_put_escaped(out, text)) != ERR_OK)
		return e;
	return buf_putf(out, "</p:error_WindowsErrorMessage></p:MSFT_WmiError>");
}

static enum err put_detail(struct buf *out, const struct fault_def *f, const char *machine)
{
	enum err e;

	if (f->detail && (e = buf_putf(out, "<w:FaultDetail>" DETAIL_PREFIX "%s</w:FaultDetail>",
				       f->detail)) != ERR_OK)
		return e;
	if (f->wmi.is)
		return put_wmi_error(out, f);
	if ((e = buf_putf(out, "<f:WSManFault xmlns:f=\"" NS_WSMANFAULT "\" Code=\"%" PRIu32 "\"",
			  f->code)) != ERR_OK)
		return e;
	if (machine && ((e = buf_putf(out, " Machine=\"")) != ERR_OK ||
			(e = wsman_put_escaped(out, machine)) != ERR_OK ||
			(e = buf_putf(out, "\"")) != ERR_OK))
		return e;
	/* The shell plug-in's own errors come wrapped in f:ProviderFault
	 * (MS-WSMV 2.2.4.43; docs/protocol-notes.md, "Shell plug-in errors"). */
	if ((e = buf_putf(out, f->provider
				   ? "><f:Message><f:ProviderFault provider=\"Shell cmd plugin\" "
				     "path=\"%%systemroot%%\\system32\\winrscmd.dll\">"
				   : "><f:Message>")) != ERR_OK ||
	    (e = wsman_put_escaped(out, f->message ? f->message : f->reason)) != ERR_OK)
		return e;
	return buf_putf(out, "%s</f:Message></f:WSManFault>",
			f->provider ? "</f:ProviderFault>" : "");
}

static enum err put_fault(struct buf *out, const struct fault_def *f, const char *relates_to,
			  const char *machine)
{
	/* The action follows the subcode's namespace, as on Windows: the
	 * fault action of WS-Man, WS-Addressing or WS-Enumeration
	 * (docs/protocol-notes.md, "Fault action"). */
	const char *action = ACTION_WSMAN_FAULT;
	enum err e;

	if (f->subcode && f->subcode[0] == 'a')
		action = ACTION_WSA_FAULT;
	else if (f->subcode && f->subcode[0] == 'n')
		action = ACTION_ENUMERATION_FAULT;

	if ((e = wsman_put_head(out, FAULT_NS, action, relates_to)) != ERR_OK ||
	    (e = buf_putf(out, "<s:Fault>")) != ERR_OK || (e = put_code(out, f)) != ERR_OK ||
	    (e = buf_putf(out, "<s:Reason><s:Text xml:lang=\"en-US\">")) != ERR_OK ||
	    (e = wsman_put_escaped(out, f->reason)) != ERR_OK ||
	    (e = buf_putf(out, "</s:Text></s:Reason><s:Detail>")) != ERR_OK ||
	    (e = put_detail(out, f, machine)) != ERR_OK)
		return e;
	return buf_putf(out, "</s:Detail></s:Fault></s:Body></s:Envelope>");
}

int wsman_fault(struct buf *out, enum err e, const char *relates_to, const char *machine)
{
	const struct fault_def *f = fault_def(e);
	enum err we;

	if (!f->reason)
		return f->status;
	if ((we = put_fault(out, f, relates_to, machine)) != ERR_OK) {
		/* The client still learns the request failed; the body is
		 * cut short and the operator told why. */
		log_warnx("wsman: cannot write fault for %s: %s", err_str(e), err_str(we));
		return 500;
	}
	return f->status;
}
