/* wsman_api: the part of Windows' WSMan client API (wsman.h) that
 * PowerShell calls on Unix through libpsrpclient: its handles, flags and
 * structures, under Windows' names so they can be checked against
 * Microsoft's header and PowerShell's WSManNativeApi.cs, which declares
 * them for P/Invoke. The layouts are LP64 (Linux x86-64 and arm64, where
 * PowerShell runs); the static assertions at the end pin every offset
 * PowerShell reads or writes (docs/psrpclient.md). Strings are UTF-16LE
 * (CharSet.Unicode marshals string as 2-byte units on Unix too), never
 * wchar_t, which is 4 bytes here. */
#ifndef OPENWINRM_WSMAN_API_H
#define OPENWINRM_WSMAN_API_H

#include <stddef.h>
#include <stdint.h>

typedef uint16_t WSMAN_CHAR; /* one UTF-16 code unit */
typedef const WSMAN_CHAR *PCWSTR;
typedef uint32_t DWORD;
typedef int32_t BOOL;

typedef struct psrp_api *WSMAN_API_HANDLE;
typedef struct psrp_session *WSMAN_SESSION_HANDLE;
typedef struct psrp_shell *WSMAN_SHELL_HANDLE;
typedef struct psrp_command *WSMAN_COMMAND_HANDLE;
typedef struct psrp_operation *WSMAN_OPERATION_HANDLE;

/* ---- return codes (winerror.h, wsmerror.h) ---- */
#define NO_ERROR 0u
#define ERROR_ACCESS_DENIED 5u
#define ERROR_INVALID_DATA 13u
#define ERROR_OUTOFMEMORY 14u
#define ERROR_NOT_SUPPORTED 50u
#define ERROR_INVALID_PARAMETER 87u
#define ERROR_INSUFFICIENT_BUFFER 122u
#define ERROR_OPERATION_ABORTED 995u
#define ERROR_WINHTTP_SECURE_FAILURE 12175u
/* "The client cannot connect to the destination specified in the request." */
#define ERROR_WSMAN_SENDDATA_CANNOT_CONNECT 0x80338012u
/* "The WinRM client received an HTTP status code it did not expect." */
#define ERROR_WSMAN_HTTP_SERVICE_ERROR 0x80338170u
/* "The WS-Management service cannot complete the operation within the time specified" */
#define ERROR_WSMAN_OPERATION_TIMEDOUT 0x80338029u
/* "The WS-Management service cannot find the certificate that was requested." */
#define ERROR_WSMAN_CERT_NOT_FOUND 0x80338082u

/* ---- WSManInitialize ---- */
#define WSMAN_FLAG_REQUESTED_API_VERSION_1_0 0x0
#define WSMAN_FLAG_REQUESTED_API_VERSION_1_1 0x1

/* ---- WSMAN_DATA ---- */
enum WSManDataType {
	WSMAN_DATA_NONE = 0,
	WSMAN_DATA_TYPE_TEXT = 1,
	WSMAN_DATA_TYPE_BINARY = 2,
	WSMAN_DATA_TYPE_DWORD = 4,
};

typedef struct {
	DWORD bufferLength; /* in characters */
	PCWSTR buffer;
} WSMAN_DATA_TEXT;

typedef struct {
	DWORD dataLength; /* in bytes */
	uint8_t *data;
} WSMAN_DATA_BINARY;

typedef struct {
	DWORD type; /* enum WSManDataType */
	union {
		WSMAN_DATA_TEXT text;
		WSMAN_DATA_BINARY binaryData;
		DWORD number;
	};
} WSMAN_DATA;

/* ---- WSManCreateSession ---- */
#define WSMAN_FLAG_DEFAULT_AUTHENTICATION 0x0
#define WSMAN_FLAG_NO_AUTHENTICATION 0x1
#define WSMAN_FLAG_AUTH_DIGEST 0x2
#define WSMAN_FLAG_AUTH_NEGOTIATE 0x4
#define WSMAN_FLAG_AUTH_BASIC 0x8
#define WSMAN_FLAG_AUTH_KERBEROS 0x10
#define WSMAN_FLAG_AUTH_CLIENT_CERTIFICATE 0x20
#define WSMAN_FLAG_AUTH_CREDSSP 0x80

typedef struct {
	PCWSTR username;
	PCWSTR password;
} WSMAN_USERNAME_PASSWORD_CREDS;

typedef struct {
	DWORD authenticationMechanism; /* one WSMAN_FLAG_AUTH_* */
	union {
		WSMAN_USERNAME_PASSWORD_CREDS userAccount;
		PCWSTR certificateThumbprint;
	};
} WSMAN_AUTHENTICATION_CREDENTIALS;

/* PowerShell's ProxyAccessType: None passes no WSMAN_PROXY_INFO at all. */
#define WSMAN_OPTION_PROXY_IE_PROXY_CONFIG 1
#define WSMAN_OPTION_PROXY_WINHTTP_PROXY_CONFIG 2
#define WSMAN_OPTION_PROXY_AUTO_DETECT 4
#define WSMAN_OPTION_PROXY_NO_PROXY_SERVER 8

typedef struct {
	DWORD accessType;
	WSMAN_AUTHENTICATION_CREDENTIALS authenticationCredentials;
} WSMAN_PROXY_INFO;

/* ---- session options (WSManSessionOption) ---- */
enum WSManSessionOption {
	WSMAN_OPTION_DEFAULT_OPERATION_TIMEOUTMS = 1,
	WSMAN_OPTION_MAX_RETRY_TIME = 11,
	WSMAN_OPTION_TIMEOUTMS_CREATE_SHELL = 12,
	WSMAN_OPTION_TIMEOUTMS_RUN_SHELL_COMMAND = 13,
	WSMAN_OPTION_TIMEOUTMS_RECEIVE_SHELL_OUTPUT = 14,
	WSMAN_OPTION_TIMEOUTMS_SEND_SHELL_INPUT = 15,
	WSMAN_OPTION_TIMEOUTMS_SIGNAL_SHELL = 16,
	WSMAN_OPTION_TIMEOUTMS_CLOSE_SHELL = 17,
	WSMAN_OPTION_SKIP_CA_CHECK = 18,
	WSMAN_OPTION_SKIP_CN_CHECK = 19,
	WSMAN_OPTION_UNENCRYPTED_MESSAGES = 20,
	WSMAN_OPTION_UTF16 = 21,
	WSMAN_OPTION_ENABLE_SPN_SERVER_PORT = 22,
	WSMAN_OPTION_MACHINE_ID = 23,
	WSMAN_OPTION_LOCALE = 25,
	WSMAN_OPTION_UI_LANGUAGE = 26,
	WSMAN_OPTION_MAX_ENVELOPE_SIZE_KB = 28,
	WSMAN_OPTION_SHELL_MAX_DATA_SIZE_PER_MESSAGE_KB = 29,
	WSMAN_OPTION_REDIRECT_LOCATION = 30,
	WSMAN_OPTION_SKIP_REVOCATION_CHECK = 31,
	WSMAN_OPTION_ALLOW_NEGOTIATE_IMPLICIT_CREDENTIALS = 32,
	WSMAN_OPTION_USE_SSL = 33,
	WSMAN_OPTION_USE_INTERACTIVE_TOKEN = 34,
};

/* ---- shells ---- */
#define WSMAN_FLAG_NO_COMPRESSION 0x1
#define WSMAN_FLAG_SERVER_BUFFERING_MODE_DROP 0x4
#define WSMAN_FLAG_SERVER_BUFFERING_MODE_BLOCK 0x8
#define WSMAN_FLAG_RECEIVE_DELAY_OUTPUT_STREAM 0x10

typedef struct {
	DWORD streamIDsCount;
	PCWSTR *streamIDs;
} WSMAN_STREAM_ID_SET;

typedef struct {
	PCWSTR name;
	PCWSTR value;
} WSMAN_ENVIRONMENT_VARIABLE;

typedef struct {
	DWORD varsCount;
	WSMAN_ENVIRONMENT_VARIABLE *vars;
} WSMAN_ENVIRONMENT_VARIABLE_SET;

typedef struct {
	WSMAN_STREAM_ID_SET *inputStreamSet;
	WSMAN_STREAM_ID_SET *outputStreamSet;
	DWORD idleTimeoutMs; /* 0xFFFFFFFF (PowerShell's default): the service's */
	PCWSTR workingDirectory;
	WSMAN_ENVIRONMENT_VARIABLE_SET *variableSet;
	PCWSTR name;
} WSMAN_SHELL_STARTUP_INFO;

typedef struct {
	PCWSTR name;
	PCWSTR value;
	BOOL mustComply;
} WSMAN_OPTION;

typedef struct {
	DWORD optionsCount;
	WSMAN_OPTION *options;
	BOOL optionsMustUnderstand;
} WSMAN_OPTION_SET;

typedef struct {
	DWORD argsCount;
	PCWSTR *args;
} WSMAN_COMMAND_ARG_SET;

typedef struct {
	DWORD idleTimeoutMs;
} WSMAN_SHELL_DISCONNECT_INFO;

/* ---- completion ---- */
/* Flags of a completion call, which PowerShell compares with == (one
 * flag alone: END_OF_OPERATION closes its Receive). */
#define WSMAN_FLAG_CALLBACK_END_OF_OPERATION 0x1
#define WSMAN_FLAG_CALLBACK_END_OF_STREAM 0x8
#define WSMAN_FLAG_CALLBACK_SHELL_SUPPORTS_DISCONNECT 0x20
#define WSMAN_FLAG_CALLBACK_SHELL_AUTODISCONNECTED 0x40
#define WSMAN_FLAG_CALLBACK_NETWORK_FAILURE_DETECTED 0x100
#define WSMAN_FLAG_CALLBACK_RETRYING_AFTER_NETWORK_FAILURE 0x200
#define WSMAN_FLAG_CALLBACK_RECONNECTED_AFTER_NETWORK_FAILURE 0x400
#define WSMAN_FLAG_CALLBACK_SHELL_AUTODISCONNECTING 0x800
#define WSMAN_FLAG_CALLBACK_RETRY_ABORTED_DUE_TO_INTERNAL_ERROR 0x1000
#define WSMAN_FLAG_CALLBACK_RECEIVE_DELAY_STREAM_REQUEST_PROCESSED 0x2000

typedef struct {
	DWORD code;
	PCWSTR errorDetail;
	PCWSTR language;
	PCWSTR machineName;
	PCWSTR pluginName;
} WSMAN_ERROR;

typedef struct {
	PCWSTR streamId;
	WSMAN_DATA streamData; /* BINARY */
	PCWSTR commandState;
	DWORD exitCode;
} WSMAN_RECEIVE_DATA_RESULT;

typedef struct {
	WSMAN_DATA data; /* TEXT: the rsp:Shell of Create's reply */
} WSMAN_CREATE_SHELL_DATA;

typedef struct {
	WSMAN_DATA data; /* TEXT: connectResponseXml */
} WSMAN_CONNECT_DATA;

typedef union {
	WSMAN_RECEIVE_DATA_RESULT receiveData;
	WSMAN_CONNECT_DATA connectData;
	WSMAN_CREATE_SHELL_DATA createData;
} WSMAN_RESPONSE_DATA;

typedef void (*WSMAN_SHELL_COMPLETION_FUNCTION)(void *operationContext, DWORD flags,
						WSMAN_ERROR *error, WSMAN_SHELL_HANDLE shell,
						WSMAN_COMMAND_HANDLE command,
						WSMAN_OPERATION_HANDLE operationHandle,
						WSMAN_RESPONSE_DATA *data);

typedef struct {
	void *operationContext;
	WSMAN_SHELL_COMPLETION_FUNCTION completionFunction;
} WSMAN_SHELL_ASYNC;

/* ---- the LP64 layouts PowerShell marshals (WSManNativeApi.cs) ---- */
#define WSMAN_LAYOUT(type, member, offset)                                                         \
	_Static_assert(offsetof(type, member) == (offset), #type "." #member " at " #offset)
#define WSMAN_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " is " #size " bytes")

WSMAN_LAYOUT(WSMAN_DATA, type, 0);
WSMAN_LAYOUT(WSMAN_DATA, text.bufferLength, 8);
WSMAN_LAYOUT(WSMAN_DATA, text.buffer, 16);
WSMAN_LAYOUT(WSMAN_DATA, binaryData.dataLength, 8);
WSMAN_LAYOUT(WSMAN_DATA, binaryData.data, 16);
WSMAN_LAYOUT(WSMAN_DATA, number, 8);
WSMAN_SIZE(WSMAN_DATA, 24);
WSMAN_LAYOUT(WSMAN_AUTHENTICATION_CREDENTIALS, authenticationMechanism, 0);
WSMAN_LAYOUT(WSMAN_AUTHENTICATION_CREDENTIALS, userAccount.username, 8);
WSMAN_LAYOUT(WSMAN_AUTHENTICATION_CREDENTIALS, userAccount.password, 16);
WSMAN_LAYOUT(WSMAN_AUTHENTICATION_CREDENTIALS, certificateThumbprint, 8);
WSMAN_SIZE(WSMAN_AUTHENTICATION_CREDENTIALS, 24);
WSMAN_LAYOUT(WSMAN_PROXY_INFO, authenticationCredentials, 8);
WSMAN_LAYOUT(WSMAN_STREAM_ID_SET, streamIDs, 8);
WSMAN_LAYOUT(WSMAN_COMMAND_ARG_SET, args, 8);
WSMAN_LAYOUT(WSMAN_SHELL_STARTUP_INFO, outputStreamSet, 8);
WSMAN_LAYOUT(WSMAN_SHELL_STARTUP_INFO, idleTimeoutMs, 16);
WSMAN_LAYOUT(WSMAN_SHELL_STARTUP_INFO, workingDirectory, 24);
WSMAN_LAYOUT(WSMAN_SHELL_STARTUP_INFO, variableSet, 32);
WSMAN_LAYOUT(WSMAN_SHELL_STARTUP_INFO, name, 40);
WSMAN_SIZE(WSMAN_SHELL_STARTUP_INFO, 48);
WSMAN_LAYOUT(WSMAN_OPTION, value, 8);
WSMAN_LAYOUT(WSMAN_OPTION, mustComply, 16);
WSMAN_SIZE(WSMAN_OPTION, 24);
WSMAN_LAYOUT(WSMAN_OPTION_SET, options, 8);
WSMAN_LAYOUT(WSMAN_OPTION_SET, optionsMustUnderstand, 16);
WSMAN_SIZE(WSMAN_OPTION_SET, 24);
WSMAN_LAYOUT(WSMAN_SHELL_ASYNC, completionFunction, 8);
WSMAN_LAYOUT(WSMAN_ERROR, errorDetail, 8);
WSMAN_LAYOUT(WSMAN_ERROR, language, 16);
WSMAN_LAYOUT(WSMAN_ERROR, machineName, 24);
WSMAN_LAYOUT(WSMAN_RECEIVE_DATA_RESULT, streamData, 8);
WSMAN_LAYOUT(WSMAN_RECEIVE_DATA_RESULT, commandState, 32);
WSMAN_LAYOUT(WSMAN_RECEIVE_DATA_RESULT, exitCode, 40);
WSMAN_LAYOUT(WSMAN_CREATE_SHELL_DATA, data.text.bufferLength, 8);
WSMAN_LAYOUT(WSMAN_CREATE_SHELL_DATA, data.text.buffer, 16);

/* ---- the exports (libpsrpclient.map names exactly these) ---- */
DWORD WSManInitialize(DWORD flags, WSMAN_API_HANDLE *api);
DWORD WSManDeinitialize(WSMAN_API_HANDLE api, DWORD flags);
DWORD WSManGetErrorMessage(WSMAN_API_HANDLE api, DWORD flags, PCWSTR language, DWORD code,
			   DWORD length, WSMAN_CHAR *message, DWORD *used);
DWORD WSManCreateSession(WSMAN_API_HANDLE api, PCWSTR connection, DWORD flags,
			 WSMAN_AUTHENTICATION_CREDENTIALS *credentials, WSMAN_PROXY_INFO *proxy,
			 WSMAN_SESSION_HANDLE *session);
DWORD WSManCloseSession(WSMAN_SESSION_HANDLE session, DWORD flags);
DWORD WSManSetSessionOption(WSMAN_SESSION_HANDLE session, DWORD option, WSMAN_DATA *data);
DWORD WSManGetSessionOptionAsDword(WSMAN_SESSION_HANDLE session, DWORD option, DWORD *value);
DWORD WSManGetSessionOptionAsString(WSMAN_SESSION_HANDLE session, DWORD option, DWORD length,
				    WSMAN_CHAR *value, DWORD *used);
DWORD WSManCloseOperation(WSMAN_OPERATION_HANDLE operation, DWORD flags);
void WSManCreateShellEx(WSMAN_SESSION_HANDLE session, DWORD flags, PCWSTR resourceUri,
			PCWSTR shellId, WSMAN_SHELL_STARTUP_INFO *startup,
			WSMAN_OPTION_SET *options, WSMAN_DATA *createXml, WSMAN_SHELL_ASYNC *async,
			WSMAN_SHELL_HANDLE *shell);
void WSManRunShellCommandEx(WSMAN_SHELL_HANDLE shell, DWORD flags, PCWSTR commandId,
			    PCWSTR commandLine, WSMAN_COMMAND_ARG_SET *args,
			    WSMAN_OPTION_SET *options, WSMAN_SHELL_ASYNC *async,
			    WSMAN_COMMAND_HANDLE *command);
void WSManSendShellInput(WSMAN_SHELL_HANDLE shell, WSMAN_COMMAND_HANDLE command, DWORD flags,
			 PCWSTR streamId, WSMAN_DATA *streamData, BOOL endOfStream,
			 WSMAN_SHELL_ASYNC *async, WSMAN_OPERATION_HANDLE *operation);
void WSManReceiveShellOutput(WSMAN_SHELL_HANDLE shell, WSMAN_COMMAND_HANDLE command, DWORD flags,
			     WSMAN_STREAM_ID_SET *streams, WSMAN_SHELL_ASYNC *async,
			     WSMAN_OPERATION_HANDLE *operation);
void WSManSignalShell(WSMAN_SHELL_HANDLE shell, WSMAN_COMMAND_HANDLE command, DWORD flags,
		      PCWSTR code, WSMAN_SHELL_ASYNC *async, WSMAN_OPERATION_HANDLE *operation);
void WSManCloseCommand(WSMAN_COMMAND_HANDLE command, DWORD flags, WSMAN_SHELL_ASYNC *async);
void WSManCloseShell(WSMAN_SHELL_HANDLE shell, DWORD flags, WSMAN_SHELL_ASYNC *async);
void WSManDisconnectShell(WSMAN_SHELL_HANDLE shell, DWORD flags, WSMAN_SHELL_DISCONNECT_INFO *info,
			  WSMAN_SHELL_ASYNC *async);
void WSManReconnectShell(WSMAN_SHELL_HANDLE shell, DWORD flags, WSMAN_SHELL_ASYNC *async);
void WSManReconnectShellCommand(WSMAN_COMMAND_HANDLE command, DWORD flags,
				WSMAN_SHELL_ASYNC *async);
void WSManConnectShell(WSMAN_SESSION_HANDLE session, DWORD flags, PCWSTR resourceUri,
		       PCWSTR shellId, WSMAN_OPTION_SET *options, WSMAN_DATA *connectXml,
		       WSMAN_SHELL_ASYNC *async, WSMAN_SHELL_HANDLE *shell);
void WSManConnectShellCommand(WSMAN_SHELL_HANDLE shell, DWORD flags, PCWSTR commandId,
			      WSMAN_OPTION_SET *options, WSMAN_DATA *connectXml,
			      WSMAN_SHELL_ASYNC *async, WSMAN_COMMAND_HANDLE *command);

/* ---- Beyond Windows' API (psrp_enumerate.c) ----
 * A WS-Management Enumerate of resourceUri on the session, with a
 * Selector filter when filterName is not NULL (ShellId and its value, as
 * Get-PSSession asks for a shell's commands): *items gets
 * <Items>item...</Items>, each item the XML of one instance, to free with
 * OpenWinRMFree. The error code otherwise, whose words WSManGetErrorMessage
 * gives. For the Microsoft.WSMan.Management module of the project. */
DWORD OpenWinRMEnumerate(WSMAN_SESSION_HANDLE session, PCWSTR resourceUri, PCWSTR filterName,
			 PCWSTR filterValue, WSMAN_CHAR **items);
void OpenWinRMFree(void *p);

#endif
