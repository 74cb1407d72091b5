/* cim: management data as WMI serves it over WS-Management (issue 16).
 * Resource URIs in Windows' spelling (.../wsman/1/wmi/<namespace>/<Class>)
 * and DMTF's (.../wscim/1/cim-schema/2/<Class>, root/cimv2) name a class;
 * the class's instances are made in the connecting user's own host, as a
 * WMI provider acts as its caller, and travel to the network process
 * typed (a row of shell/shell_ops.h, SHELL_CIM_INSTANCES), which writes
 * them as Windows' WMI plugin does. Who may read a namespace is decided
 * in one place, cim_namespace_rights.
 *
 * The network process: cim_uri_parse, cim_instance_xml. The host:
 * cim_instances, cim_select. Both: the IPC codecs. */
#ifndef OPENWINRM_CIM_H
#define OPENWINRM_CIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/err.h"

#define CIM_WMI_PREFIX "http://schemas.microsoft.com/wbem/wsman/1/wmi/"
#define CIM_DMTF_PREFIX "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define CIM_NS_COMMON "http://schemas.dmtf.org/wbem/wscim/1/common"
#define CIM_DEFAULT_NAMESPACE "root/cimv2" /* what DMTF's URIs address */

#define CIM_MAX_NAME 64	      /* a class's or a property's name */
#define CIM_MAX_NAMESPACE 128 /* "root/cimv2" */
#define CIM_MAX_VALUE 256     /* a property's text */
#define CIM_MAX_PROPERTIES 48 /* of one instance */
/* Instances of one reply from the host: a page of a class's answer that
 * always fits one IPC message (48 properties of 256 bytes, 10 times). */
#define CIM_PAGE_INSTANCES 10
#define CIM_MAX_SET_INSTANCES 65536 /* of one class's answer */
#define CIM_MAX_SELECTORS 8	    /* keys of a Get */
#define CIM_MAX_CLIENT_IP 64	    /* for the refusal's log line */
#define CIM_MAX_GROUP_NAME 256	    /* RemoteUsersGroup */

/* What a resource URI addresses. */
struct cim_target {
	char namespace_name[CIM_MAX_NAMESPACE + 1]; /* "root/cimv2" */
	char class_name[CIM_MAX_NAME + 1];	    /* as the client spelled it */
	int dmtf;				    /* DMTF's URI: CIM_ classes only */
};

/* 1 if uri is under either prefix (case-insensitively, as Windows
 * matches resource URIs): the request is CIM's, well-formed or not. */
int cim_uri_is_cim(const char *uri);
/* The namespace and class of a CIM resource URI. ERR_WSMAN_UNKNOWN_RESOURCE
 * for one that is not of the form prefix + namespace + "/" + Class
 * (namespace segments and the class: letters, digits and '_'; DMTF's:
 * the class alone), or too long. */
enum err cim_uri_parse(const char *uri, struct cim_target *out);
/* 1 if s is a name as classes and properties have them: letters, digits
 * and '_', at least one. */
int cim_is_name(const char *s);

/* ---- namespace security (WMI's rights, as its security descriptors
 * name them) ---- */
enum cim_right {
	CIM_ENABLE_ACCOUNT = 1,
	CIM_EXECUTE_METHODS = 2,
	CIM_FULL_WRITE = 4,
	CIM_PARTIAL_WRITE = 8,
	CIM_PROVIDER_WRITE = 0x10,
	CIM_REMOTE_ENABLE = 0x20,
	CIM_READ_SECURITY = 0x20000,
	CIM_EDIT_SECURITY = 0x40000,
};
#define CIM_ALL_RIGHTS 0x6003f
/* What reading a namespace over the network takes, and calling its
 * methods. */
#define CIM_READ_REMOTELY (CIM_ENABLE_ACCOUNT | CIM_REMOTE_ENABLE)
#define CIM_INVOKE_REMOTELY (CIM_READ_REMOTELY | CIM_EXECUTE_METHODS)

/* 1 if the namespace is served (root/cimv2), compared case-insensitively. */
int cim_namespace_served(const char *namespace_name);
/* The rights a caller has on a namespace (0 for a namespace not served),
 * Windows' defaults for root/cimv2: administrators everything, members of
 * the remote users' group (Windows' WinRMRemoteWMIUsers__) Enable Account
 * and Remote Enable, anyone else nothing. */
uint32_t cim_namespace_rights(const char *namespace_name, int is_admin, int remote_user);
/* The words of a right for the refusal's log line ("Remote Enable"). */
const char *cim_right_name(enum cim_right right);

/* ---- the typed instances (SHELL_CIM_INSTANCES) ---- */

/* A Get's key: a property's name and the value it must have. */
struct cim_selector {
	char name[CIM_MAX_NAME + 1];
	char value[CIM_MAX_VALUE + 1];
};

struct cim_request {
	char namespace_name[CIM_MAX_NAMESPACE + 1];
	char class_name[CIM_MAX_NAME + 1];
	uint32_t dmtf;
	/* Enumerate: every instance, a page at a time; else Get: the one
	 * instance the selectors name (none: the singleton). */
	uint32_t enumerate;
	uint32_t nselectors;
	struct cim_selector selectors[CIM_MAX_SELECTORS];
	/* The page wanted: 0 asks the provider anew; else the host's answer
	 * the first page named, from instance first on. */
	uint32_t snapshot;
	uint32_t first;
	/* Filled by the network process: the verified token's verdict, the
	 * group whose members may read remotely, and the peer, for the log. */
	uint32_t is_admin;
	char remote_users_group[CIM_MAX_GROUP_NAME + 1];
	char client_ip[CIM_MAX_CLIENT_IP + 1];
	/* The network process alone, never sent: what the Enumerate asked,
	 * and the enumeration its pages are gathered in. */
	uint32_t optimize;
	uint32_t max_elements;
	char enumeration[64 + 1]; /* its context: WSMAN_MAX_CONTEXT */
};

enum cim_type {
	CIM_STRING = 0,
	CIM_NUMBER = 1,	  /* integers of any width, in decimal */
	CIM_BOOLEAN = 2,  /* "true" or "false" */
	CIM_DATETIME = 3, /* xs:dateTime, written inside cim:Datetime */
	CIM_NULL = 4,	  /* no value: xsi:nil="true" */
	CIM_TYPE_COUNT
};

struct cim_property {
	char name[CIM_MAX_NAME + 1];
	uint32_t type; /* enum cim_type */
	char value[CIM_MAX_VALUE + 1];
};

struct cim_instance {
	uint32_t nproperties;
	struct cim_property properties[CIM_MAX_PROPERTIES];
};

/* One page of a class's answer: instances first .. first + ninstances - 1
 * of total; snapshot names the rest, kept by the host until taken (0: the
 * answer is whole). */
struct cim_reply {
	char class_name[CIM_MAX_NAME + 1]; /* the class's own spelling */
	uint32_t snapshot;
	uint32_t total;
	uint32_t first;
	uint32_t ninstances;
	struct cim_instance instances[CIM_PAGE_INSTANCES];
};

enum err cim_ipc_request_encode(struct buf *out, const void *request);
enum err cim_ipc_request_decode(struct buf *in, void *request);
enum err cim_ipc_reply_encode(struct buf *out, const void *reply);
enum err cim_ipc_reply_decode(struct buf *in, void *reply);

/* ---- the host: the classes ---- */

/* A host's answers whose later pages are still to be taken. */
struct cim_snapshots;
struct cim_snapshots *cim_snapshots_new(void);
void cim_snapshots_free(struct cim_snapshots *s);

/* A page of the instances of the request's class, made from this
 * system's own sources as the calling user may read them (snapshot 0),
 * or the next page of an answer kept in s. ERR_WSMAN_WMI_ACCESS_DENIED
 * (logged) without CIM_READ_REMOTELY on the namespace;
 * ERR_WSMAN_WMI_NOT_FOUND for a namespace or class not served;
 * ERR_WSMAN_INVALID_CONTEXT for an answer no longer kept. */
enum err cim_instances(struct cim_snapshots *s, const struct cim_request *req,
		       struct cim_reply *out);

/* The instance of v[0..n) a Get's selectors name (every selector a
 * property of it, equal case-insensitively); no selectors: the
 * singleton's. ERR_WSMAN_INVALID_SELECTORS for a selector naming no
 * property or none for a class of many instances, ERR_WSMAN_NO_INSTANCE
 * when none matches. */
enum err cim_select(const struct cim_instance *v, uint32_t n, const struct cim_selector *sel,
		    uint32_t nsel, uint32_t *index);

/* ---- methods (SHELL_CIM_INVOKE): WS-Management's custom actions
 * (DSP0226 9, DSP0227 11, MS-WSMV 3.1.4.1.32): the action is the class's
 * resource URI + "/" + the method, the body <p:Method_INPUT> in the
 * class URI's namespace with one element per input parameter; the reply
 * <p:Method_OUTPUT> with the output parameters and ReturnValue. ---- */

#define CIM_MAX_PARAMETERS 8 /* a method's input or output parameters */
/* What a method may wait for its child (an init script's action):
 * Windows' service control manager waits 30 s for a service's answer. */
#define CIM_METHOD_TIMEOUT_MS 30000

struct cim_invoke_request {
	char namespace_name[CIM_MAX_NAMESPACE + 1];
	char class_name[CIM_MAX_NAME + 1];
	uint32_t dmtf;
	char method[CIM_MAX_NAME + 1]; /* as the action spelled it */
	/* The instance's keys (none for a method of the class, Create). */
	uint32_t nselectors;
	struct cim_selector selectors[CIM_MAX_SELECTORS];
	/* The input parameters as the body gave them: each a name and its
	 * text (CIM_STRING) or xsi:nil (CIM_NULL); the method's own table,
	 * in the host, says what type each must be. */
	uint32_t nparameters;
	struct cim_property parameters[CIM_MAX_PARAMETERS];
	/* How long the method may take before it answers ReturnValue 7
	 * (CIM_METHOD_TIMEOUT_MS at most, less under a shorter
	 * OperationTimeout), so the host answers before the network
	 * process gives up on it. */
	uint32_t timeout_ms;
	/* As struct cim_request's. */
	uint32_t is_admin;
	char remote_users_group[CIM_MAX_GROUP_NAME + 1];
	char client_ip[CIM_MAX_CLIENT_IP + 1];
};

struct cim_invoke_reply {
	char class_name[CIM_MAX_NAME + 1]; /* the class's own spelling */
	char method[CIM_MAX_NAME + 1];	   /* the method's own spelling */
	/* The output parameters (CIM_MAX_PARAMETERS at most), ReturnValue
	 * among them, written as an instance's properties. */
	struct cim_instance output;
};

enum err cim_ipc_invoke_encode(struct buf *out, const void *request);
enum err cim_ipc_invoke_decode(struct buf *in, void *request);
enum err cim_ipc_invoke_reply_encode(struct buf *out, const void *reply);
enum err cim_ipc_invoke_reply_decode(struct buf *in, void *reply);

/* The network process: the selectors of a request as keys (at most
 * CIM_MAX_SELECTORS, each a name as cim_is_name admits within
 * CIM_MAX_NAME and a value within CIM_MAX_VALUE; w:InvalidSelectors
 * otherwise: a key no property could have is no key of the class). */
struct wsman_request;
enum err cim_selectors_parse(const struct wsman_request *ws, struct cim_selector *out, uint32_t *n);
/* The network process: the method and its input from an Invoke on the
 * class t (wsman_parse's request). The action must be the resource URI
 * + "/" + a name (a:ActionNotSupported otherwise); the body, when there
 * is one, the element {resource URI}<Method>_INPUT (case-insensitively,
 * as Windows matches URIs; w:SchemaValidationError otherwise) whose
 * children are the parameters: each once, a name of at most
 * CIM_MAX_NAME, text of at most CIM_MAX_VALUE or xsi:nil, no child
 * elements (embedded objects are not taken), at most CIM_MAX_PARAMETERS
 * (ERR_WSMAN_WMI_INVALID_PARAMETER otherwise). The selectors as
 * cim_selectors_parse reads them. Fills the request's class, method,
 * selectors and parameters only. */
enum err cim_invoke_parse(const struct wsman_request *ws, const struct cim_target *t,
			  struct cim_invoke_request *out);

/* The host: a method of a class, as the caller. Execute Methods on the
 * namespace (with Enable Account and Remote Enable) is required
 * (ERR_WSMAN_WMI_ACCESS_DENIED, logged); an unknown class is
 * ERR_WSMAN_WMI_NOT_FOUND, an unknown method ERR_WSMAN_ACTION_NOT_SUPPORTED,
 * a parameter the method does not take or of the wrong type
 * ERR_WSMAN_WMI_INVALID_PARAMETER, a method of an instance without its
 * key ERR_WSMAN_INVALID_SELECTORS and one of no instance
 * ERR_WSMAN_NO_INSTANCE. What the operating system refuses the caller is
 * a ReturnValue, as WMI's providers answer (2: access denied).
 *
 * Most methods answer at once (ERR_OK, out filled). One whose work goes
 * on in a child (an init script's start or stop) sets *pending and
 * returns ERR_OK with out filled but for ReturnValue: the caller waits
 * for pending->pid (at most pending->timeout_ms; then it kills the
 * child's process group) and calls cim_pending_finish. */
struct cim_pending {
	pid_t pid; /* 0: nothing pending, out is whole */
	uint32_t timeout_ms;
	/* Sets out's ReturnValue from the child's end: status as waitpid
	 * gives it, or timed_out. */
	void (*finish)(struct cim_invoke_reply *out, int status, int timed_out);
	/* The call, for the one log line cim_pending_finish writes. */
	char what[512];
};
enum err cim_invoke(const struct cim_invoke_request *req, struct cim_invoke_reply *out,
		    struct cim_pending *pending);
void cim_pending_finish(const struct cim_pending *pending, struct cim_invoke_reply *out, int status,
			int timed_out);

/* ---- the network process: the reply ---- */
/* One instance as Windows' WMI plugin writes it: p:<Class> in the
 * class's resource URI's namespace, xsi:type p:<Class>_Type, the
 * properties in alphabetical order, datetimes in cim:Datetime. */
enum err cim_instance_xml(struct buf *out, const struct cim_target *t, const char *class_name,
			  const struct cim_instance *inst);
/* A method's answer as Windows writes it: <p:Method_OUTPUT> in the class
 * URI's namespace (no xsi:type), the output parameters in ordinal order. */
enum err cim_output_xml(struct buf *out, const struct cim_target *t,
			const struct cim_invoke_reply *reply);

#endif
