/* err: the project's one error enum. Every code has a class, so callers
 * react by class (retry when BLOCKED, close on IO, fault on PROTO/DENIED);
 * wsman/fault.c is the one table that maps a code to the wire. */
#ifndef OPENWINRM_ERR_H
#define OPENWINRM_ERR_H

enum err_class {
	ERRC_OK,
	ERRC_BLOCKED,  /* need more input: not an error yet */
	ERRC_IO,       /* the peer or the OS failed: close that connection */
	ERRC_PROTO,    /* the peer sent something invalid: answer with a fault/status */
	ERRC_DENIED,   /* authentication or authorisation refused */
	ERRC_USAGE,    /* our caller or the configuration is wrong */
	ERRC_INTERNAL, /* a broken invariant or resource exhaustion */
};

enum err {
	ERR_OK = 0,

	/* Codecs and buffers. */
	ERR_INCOMPLETE,	 /* BLOCKED: more bytes are needed */
	ERR_FORMAT,	 /* PROTO: these bytes can never be valid */
	ERR_LIMIT,	 /* PROTO: a named limit would be exceeded */
	ERR_NOMEM,	 /* INTERNAL */
	ERR_IO,		 /* IO: read/write/socket failure or EOF */
	ERR_INTERNAL,	 /* INTERNAL */
	ERR_USAGE,	 /* USAGE: bad argument to an API */
	ERR_CONFIG,	 /* USAGE: unknown setting or invalid value */
	ERR_EXISTS,	 /* USAGE: the item already exists (e.g. a listener) */
	ERR_NOT_FOUND,	 /* USAGE: no such item (e.g. a listener) */
	ERR_TIMEOUT,	 /* IO: another process did not answer within the deadline */
	ERR_UNSUPPORTED, /* PROTO: well-formed, but asks for what we do not implement */

	/* HTTP-level refusals (no SOAP body, or a fixed one). */
	ERR_HTTP_BAD_REQUEST,	 /* 400: malformed HTTP */
	ERR_HTTP_HEADER_TOO_BIG, /* 400: header block over the limit (HTTP.sys answers 400) */
	ERR_HTTP_NOT_FOUND,	 /* 404: path other than /<URLPrefix> */
	ERR_HTTP_METHOD,	 /* 405: not POST */
	ERR_HTTP_TOO_LARGE,	 /* 413: body over MaxEnvelopeSizekb */
	ERR_HTTP_MEDIA_TYPE,	 /* 415: Content-Type not SOAP */
	ERR_HTTP_UNAUTHORIZED,	 /* 401: no or failed authentication (DENIED) */
	ERR_HTTP_BUSY,		 /* 503: MaxConnections active requests, or no capacity */

	/* WS-Management faults (HTTP 500 with a SOAP fault). */
	ERR_WSMAN_INVALID_XML,	   /* body is not well-formed XML, or has a DTD */
	ERR_WSMAN_SCHEMA,	   /* well-formed but not what the action needs */
	ERR_WSMAN_HEADER_REQUIRED, /* a:MessageInformationHeaderRequired */
	ERR_WSMAN_INVALID_HEADER,  /* a:InvalidMessageInformationHeader (e.g. OperationTimeout) */
	ERR_WSMAN_MUST_UNDERSTAND, /* s:MustUnderstand */
	ERR_WSMAN_ACTION_NOT_SUPPORTED,
	ERR_WSMAN_UNKNOWN_RESOURCE,  /* resource URI not in the catalogue */
	ERR_WSMAN_UNKNOWN_SHELL,     /* w:InvalidSelectors: no such shell for this user */
	ERR_WSMAN_UNKNOWN_COMMAND,   /* w:InvalidSelectors: no such command in the shell */
	ERR_WSMAN_INVALID_PARAMETER, /* w:InvalidParameter, code 87 */
	ERR_WSMAN_TIMED_OUT,	     /* w:TimedOut: Receive long poll expired ("poll again") */
	ERR_WSMAN_ENCODING_LIMIT,    /* w:EncodingLimit: envelope over the limit after parsing */
	ERR_WSMAN_MAX_ENVELOPE,	     /* client's MaxEnvelopeSize too small for any reply */
	ERR_WSMAN_ACCESS_DENIED,     /* DENIED: authenticated but not allowed */
	ERR_WSMAN_SHELL_ACCESS_OFF,  /* AllowRemoteShellAccess=false */
	ERR_WSMAN_QUOTA_SHELLS,	     /* MaxShellsPerUser */
	ERR_WSMAN_QUOTA_PROCESSES,   /* MaxProcessesPerShell */
	ERR_WSMAN_QUOTA_USERS,	     /* MaxConcurrentUsers */
	ERR_WSMAN_FILE_NOT_FOUND,    /* WINRS_SKIP_CMD_SHELL and no such executable */
	ERR_WSMAN_HOST_GONE,	     /* the user's host process died under the request */
	ERR_WSMAN_NO_PWSH,	     /* a PowerShell endpoint and no pwsh to run it */
	ERR_WSMAN_PROVIDER_DIED,     /* pwsh ended under the shell (or over MaxMemoryPerShellMB) */
	ERR_WSMAN_NO_ENDPOINT,	     /* no session configuration of that name */
	ERR_WSMAN_CONFIG_INVALID, /* w:InvalidParameter: a Put/Create names an unknown setting or a
				     bad value */
	ERR_WSMAN_INVALID_SD,	  /* ... a security descriptor (SDDL) that is not valid */
	ERR_WSMAN_ALREADY_EXISTS, /* w:AlreadyExists: Create of an existing listener */
	ERR_WSMAN_NO_INSTANCE,	  /* the selectors name no instance (no such listener) */
	ERR_WSMAN_INVALID_SELECTORS, /* selectors missing, unexpected or malformed for the resource
				      */
	ERR_WSMAN_INVALID_CONTEXT,   /* n:InvalidEnumerationContext: unknown or expired */
	ERR_WSMAN_FILTERING_NOT_SUPPORTED, /* n:FilteringNotSupported: Enumerate with a filter */
	ERR_WSMAN_FILTER_DIALECT,	   /* n:FilterDialectRequestedUnavailable */
	ERR_WSMAN_CANNOT_PROCESS_FILTER,   /* n:CannotProcessFilter: a bad WQL query or selector
					      filter */
	ERR_WSMAN_ENUMERATION_MODE, /* w:UnsupportedFeature (EnumerationMode): only objects are
				       enumerated */
	/* Disconnected PowerShell shells (MS-PSRP 3.1.5.3.16 to 3.1.5.3.19). */
	ERR_WSMAN_SHELL_DISCONNECTED,  /* an operation on a shell that is disconnected */
	ERR_WSMAN_STREAM_DISCONNECTED, /* a Receive pending when the shell was disconnected */
	ERR_WSMAN_SHELL_IN_USE,	       /* Connect/Reconnect to a shell another client holds */
	/* Management data (cim/). */
	ERR_WSMAN_WMI_NOT_FOUND,     /* no such namespace or class served */
	ERR_WSMAN_WMI_ACCESS_DENIED, /* DENIED: the namespace's descriptor refuses a right
					(0x80041003) */
	ERR_WSMAN_WMI_UNENCRYPTED,   /* DENIED: the namespace requires encryption (0x80070005) */
	ERR_WSMAN_WMI_INVALID_PARAMETER, /* a method's parameter it does not take, or mistyped */
	ERR_WSMAN_WMI_SINGLETON,	 /* a Get without keys of a class that is not a singleton */
	ERR_WSMAN_WMI_READ_ONLY,	 /* a Put changes a read-only property (0x80041023) */
	ERR_WSMAN_WMI_NOT_CAPABLE,	 /* a Put of a class with nothing writable (0x80041024) */
	ERR_WSMAN_DISK_FULL, /* a configuration change could not be saved: no space left */
	ERR_WSMAN_INTERNAL,  /* w:InternalError, anything else on our side */

	ERR_COUNT
};

enum err_class err_class(enum err e);
/* A short, fixed, English description for logs (never for the wire). */
const char *err_str(enum err e);

#endif
