/* cim: management data as WMI serves it over WS-Management (issue 16).
 * Resource URIs in Windows' spelling (.../wsman/1/wmi/<namespace>/<Class>)
 * and DMTF's (.../wscim/1/cim-schema/2/<Class>, root/cimv2) name a class;
 * the class's instances are made in the connecting user's own host, as a
 * WMI provider acts as its caller, and travel to the network process
 * typed (a row of shell/shell_ops.h, SHELL_CIM_INSTANCES), which writes
 * them as Windows' WMI plugin does. Who may do what in a namespace is
 * decided in one place, cim_namespace_allows, by the namespace's security
 * descriptor (SDDL, cim_sd.c) from the configuration.
 *
 * The network process: cim_uri_parse, the Enumerate's filters (WQL and
 * selectors, cim_wql.c), cim_instance_xml, cim_item_xml. The host:
 * cim_namespace_allows, cim_instances, cim_select. Both, and the
 * configuration: the IPC codecs, the namespaces served, cim_sd_parse. */
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
#define CIM_MAX_KEYS 3		    /* of a class: Win32_Product's three */
#define CIM_MAX_CLIENT_IP 64	    /* for the refusal's log line */
#define CIM_MAX_GROUP_NAME 256	    /* RemoteUsersGroup */

/* What a resource URI addresses. */
struct cim_target {
	char namespace_name[CIM_MAX_NAMESPACE + 1]; /* "root/cimv2" */
	char class_name[CIM_MAX_NAME + 1];	    /* as the client spelled it */
	int dmtf;				    /* DMTF's URI: CIM_ classes only */
	/* A WMI URI's class "*": every class of the namespace, the class
	 * being a WQL filter's FROM (class_name is empty). */
	int wildcard;
};

/* 1 if uri is under either prefix (case-insensitively, as Windows
 * matches resource URIs): the request is CIM's, well-formed or not. */
int cim_uri_is_cim(const char *uri);
/* The namespace and class of a CIM resource URI. ERR_WSMAN_UNKNOWN_RESOURCE
 * for one that is not of the form prefix + namespace + "/" + Class
 * (namespace segments and the class: letters, digits and '_'; DMTF's:
 * the class alone), or too long. A WMI URI's class may be "*" (wildcard). */
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
/* What reading a namespace over the network takes (every access here is
 * remote); a method call adds CIM_EXECUTE_METHODS, a Put CIM_PROVIDER_WRITE. */
#define CIM_READ_REMOTELY (CIM_ENABLE_ACCOUNT | CIM_REMOTE_ENABLE)
#define CIM_INVOKE_REMOTELY (CIM_READ_REMOTELY | CIM_EXECUTE_METHODS)
/* A Put's: WMI's PutInstance takes Provider Write ("Allows writing to
 * classes and instances"), not Execute Methods. */
#define CIM_PUT_REMOTELY (CIM_READ_REMOTELY | CIM_PROVIDER_WRITE)

/* The namespaces served (root/cimv2), in their canonical spelling: i-th,
 * NULL past the last. */
const char *cim_namespace_at(size_t i);
/* The served namespace name names, compared case-insensitively with '\'
 * taken as '/' (WMI's own spelling, root\cimv2), or NULL. */
const char *cim_namespace_find(const char *name);
/* 1 if the namespace is served. */
int cim_namespace_served(const char *namespace_name);
/* The words of a right for the refusal's log line ("Remote Enable"). */
const char *cim_right_name(enum cim_right right);

/* A namespace's security descriptor, in SDDL (cim_sd.c): what
 * __SystemSecurity.GetSD gives in Windows' binary form and
 * Win32_SecurityDescriptorHelper turns into this text. Checked as SetSD
 * checks a descriptor: an owner and a group, a DACL of A and D ACEs
 * whose flags are CI, OI, NP, IO, ID and whose rights are WMI's
 * (CC Enable Account, DC Execute Methods, LC Full Write, SW Partial
 * Write, RP Provider Write, WP Remote Enable, RC Read Security,
 * WD Edit Security, or 0x within CIM_ALL_RIGHTS), no Full Write without
 * Partial and Provider Write, no IO without CI; and, ours, no SACL and
 * the ACEs in canonical order, so that a deny is never behind an allow.
 * Trustees: Windows' SID aliases and S-R-I-S... SIDs, with Samba's Unix
 * SIDs for Linux accounts (S-1-22-1-UID a user, S-1-22-2-GID a group);
 * docs/design.md, "Namespace security", says who each one is here. */
#define CIM_MAX_SDDL 4096 /* a configuration value's length */
#define CIM_MAX_ACES 64
/* Windows' default for root/cimv2 as the defaults read it:
 * administrators everything, Remote Management Users (S-1-5-32-580,
 * Windows' group for WMI over WS-Management; here the members of
 * Service/RemoteUsersGroup) Enable Account, Execute Methods and Remote
 * Enable. */
#define CIM_DEFAULT_SDDL "O:BAG:BAD:(A;CI;CCDCLCSWRPWPRCWD;;;BA)(A;CI;CCDCWP;;;S-1-5-32-580)"

/* Who an ACE names, as a caller here can be it. */
enum cim_trustee {
	CIM_NOBODY,	  /* a SID no caller has here (NS, LS, IU, S-1-5-21-...) */
	CIM_ADMINS,	  /* BA: root and the members of Service/AdminGroups */
	CIM_ROOT,	  /* SY, LA: uid 0 */
	CIM_EVERYONE,	  /* WD, AU, NU, BU: every caller is an authenticated network logon */
	CIM_REMOTE_USERS, /* S-1-5-32-580: the members of Service/RemoteUsersGroup */
	CIM_UNIX_USER,	  /* S-1-22-1-UID */
	CIM_UNIX_GROUP,	  /* S-1-22-2-GID */
};
#define CIM_ACE_OBJECT_INHERIT 0x1
#define CIM_ACE_CONTAINER_INHERIT 0x2
#define CIM_ACE_NO_PROPAGATE 0x4
#define CIM_ACE_INHERIT_ONLY 0x8 /* for child namespaces: not this one's */
#define CIM_ACE_INHERITED 0x10
struct cim_ace {
	uint8_t deny;
	uint8_t flags;	 /* CIM_ACE_* */
	uint8_t trustee; /* enum cim_trustee */
	uint32_t id;	 /* the uid or gid of a Unix SID */
	uint32_t rights; /* within CIM_ALL_RIGHTS */
};
struct cim_sd {
	uint32_t naces;
	struct cim_ace aces[CIM_MAX_ACES];
};
/* Parses and checks sddl into out: NULL, or why it is refused (a fixed
 * sentence for the configuration's error message). */
const char *cim_sd_parse(const char *sddl, struct cim_sd *out);

/* Who asks, as the ACEs' trustees see them. */
struct cim_caller {
	uint32_t uid;
	int is_admin;	 /* root or a member of Service/AdminGroups */
	int remote_user; /* a member of Service/RemoteUsersGroup */
	const uint32_t *gids;
	uint32_t ngids; /* the process's groups, its primary one included */
};
/* The rights sd grants the caller, as Windows' AccessCheck reads a DACL:
 * in order, each ACE that names the caller (and is not inherit-only)
 * granting or denying the rights no ACE before it decided. */
uint32_t cim_sd_rights(const struct cim_sd *sd, const struct cim_caller *who);

/* ---- filters (cim_wql.c): an Enumerate's WQL query or selector set
 * (MS-WSMV 3.1.4.1.13), compiled by the network process when the request
 * arrives (a bad one is refused before the host is asked) and applied to
 * each instance before it is written. ---- */
#define CIM_DIALECT_WQL "http://schemas.microsoft.com/wbem/wsman/1/WQL"
/* Limits against hostile queries: past any of them the query is refused
 * as WMI refuses an invalid one (ERR_WSMAN_CANNOT_PROCESS_FILTER). */
#define CIM_MAX_WQL 4096	       /* a query's bytes */
#define CIM_MAX_WQL_LITERAL 512	       /* a string or number literal's bytes */
#define CIM_MAX_WQL_DEPTH 16	       /* nested parentheses and NOTs */
#define CIM_MAX_WQL_TERMS 64	       /* comparisons, and names in a select list */
#define CIM_MAX_WQL_NODES 256	       /* comparisons, ANDs, ORs and NOTs */
#define CIM_WQL_POOL (2 * CIM_MAX_WQL) /* the names and literals, NUL-terminated */

enum cim_filter_kind {
	CIM_FILTER_NONE = 0, /* every instance, whole */
	CIM_FILTER_WQL,	     /* SELECT ... FROM Class [WHERE ...] */
	CIM_FILTER_SELECTOR, /* DSP0226 Annex E: every selector equals its property */
};

/* One node of a WHERE clause, in the filter's array; names and literals
 * are offsets into its pool. */
struct cim_wql_node {
	uint8_t kind;	 /* AND, OR, NOT, a comparison, IS [NOT] NULL (cim_wql.c) */
	uint8_t op;	 /* a comparison's operator */
	uint8_t literal; /* a comparison's literal: string, number or boolean */
	uint16_t a, b;	 /* AND, OR: the operands; NOT: a; else a: the property's name */
	uint16_t value;	 /* a comparison's literal */
};

/* A compiled filter: plain data, no pointers, so it lives inside the
 * request it belongs to. */
struct cim_filter {
	uint32_t kind;	     /* enum cim_filter_kind */
	uint16_t class_name; /* WQL: FROM's class */
	uint16_t nselect;    /* WQL: the select list's names; 0 for SELECT * */
	uint16_t select[CIM_MAX_WQL_TERMS];
	uint16_t nnodes; /* 0: no WHERE (every instance) */
	uint16_t root;
	struct cim_wql_node nodes[CIM_MAX_WQL_NODES];
	uint16_t used;
	char pool[CIM_WQL_POOL];
};

struct cim_instance;

/* Compiles a WQL data query, NUL-terminated (MS-WMI 2.2.1.1): SELECT *
 * or a list of properties, FROM a class, an optional WHERE of
 * comparisons (= <> != < > <= >= LIKE, IS [NOT] NULL) joined by AND, OR,
 * NOT and parentheses; keywords and names case-insensitive.
 * ERR_WSMAN_CANNOT_PROCESS_FILTER for anything else or past a limit, with
 * *why (static text, for the log). */
enum err cim_wql_parse(const char *text, struct cim_filter *out, const char **why);
/* Compiles a selector filter (n name/value pairs; MS-WSMV 3.1.4.1.13's
 * rules: no name twice, no quote in a value). ERR_WSMAN_CANNOT_PROCESS_FILTER
 * with *why otherwise. */
enum err cim_selector_filter(const char *const *names, const char *const *values, uint32_t n,
			     struct cim_filter *out, const char **why);
/* FROM's class of a WQL filter ("" for other kinds). */
const char *cim_filter_class(const struct cim_filter *f);
/* Whether inst passes f (*keep), comparisons typed by the property's type
 * (numbers as numbers, datetimes as instants, strings case-insensitively,
 * a NULL property equal to nothing). ERR_WSMAN_CANNOT_PROCESS_FILTER, with
 * *why, for what WMI refuses once it knows the class: a property the
 * instance does not have, an operator or a literal its type does not take. */
enum err cim_filter_match(const struct cim_filter *f, const struct cim_instance *inst, int *keep,
			  const char **why);
/* 1 if f is a WQL query with a select list (not SELECT *). */
int cim_filter_projects(const struct cim_filter *f);
/* 1 if name is in f's select list (case-insensitively). */
int cim_filter_keeps(const struct cim_filter *f, const char *name);

/* ---- the typed instances (SHELL_CIM_INSTANCES) ---- */

/* What the network process forwards with every request for the
 * namespace's check (cim_namespace_allows): the verified token's verdict,
 * the group whose members are the remote users, the peer (for the log),
 * and from the configuration in force the namespace's descriptor
 * (Service/Namespace?Name=.../Sddl) and RequiresEncryption, with whether
 * this request came encrypted (HTTPS, or sealed with its logon's context). */
struct cim_access {
	uint32_t is_admin;
	char remote_users_group[CIM_MAX_GROUP_NAME + 1];
	char client_ip[CIM_MAX_CLIENT_IP + 1];
	char sddl[CIM_MAX_SDDL + 1];
	uint32_t requires_encryption;
	uint32_t encrypted;
};

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
	struct cim_access access;
	/* The network process alone, never sent: what the Enumerate asked,
	 * and the enumeration its pages are gathered in. */
	uint32_t optimize;
	uint32_t max_elements;
	uint32_t mode;		  /* enum wsman_enumeration_mode: objects, EPRs or both */
	char enumeration[64 + 1]; /* its context: WSMAN_MAX_CONTEXT */
	struct cim_filter filter; /* the Enumerate's, compiled */
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
	/* The class's key properties (as WMI's __RELPATH names them; none for
	 * a singleton), for an enumeration's EPRs: the host knows its
	 * classes, the network process writes the markup. */
	uint32_t nkeys;
	char keys[CIM_MAX_KEYS][CIM_MAX_NAME + 1];
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

/* ---- the host: the check and the classes ---- */

/* May the caller (this process: its uid and groups; the token's verdict
 * and the namespace's security access forwards) have rights on the
 * namespace (class_name: for the log)? The one check of
 * namespace security, for reading (CIM_READ_REMOTELY) and for methods
 * (| CIM_EXECUTE_METHODS). ERR_WSMAN_WMI_NOT_FOUND for a namespace not
 * served; ERR_WSMAN_WMI_UNENCRYPTED when the namespace requires
 * encryption and the request came neither over HTTPS nor sealed, whatever
 * AllowUnencrypted says; ERR_WSMAN_WMI_ACCESS_DENIED when the descriptor
 * does not grant every right asked (or does not parse). Each refusal is
 * logged with the user, the source, the namespace and the right or reason. */
enum err cim_namespace_allows(const char *namespace_name, const char *class_name,
			      const struct cim_access *access, uint32_t rights);

/* A host's answers whose later pages are still to be taken. */
struct cim_snapshots;
struct cim_snapshots *cim_snapshots_new(void);
void cim_snapshots_free(struct cim_snapshots *s);

/* A page of the instances of the request's class, made from this
 * system's own sources as the calling user may read them (snapshot 0),
 * or the next page of an answer kept in s. A new answer needs
 * cim_namespace_allows to grant CIM_READ_REMOTELY (its refusals are this
 * function's); ERR_WSMAN_WMI_NOT_FOUND for a class not served;
 * ERR_WSMAN_INVALID_CONTEXT for an answer no longer kept. */
enum err cim_instances(struct cim_snapshots *s, const struct cim_request *req,
		       struct cim_reply *out);

/* The instance of v[0..n) a Get's selectors name (every selector a
 * property of it, equal case-insensitively); no selectors: the
 * singleton's. ERR_WSMAN_INVALID_SELECTORS for a selector naming no
 * property, ERR_WSMAN_WMI_SINGLETON for none among many instances,
 * ERR_WSMAN_NO_INSTANCE when none matches. */
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

/* What a call asks: both kinds travel as one request (SHELL_CIM_INVOKE,
 * IPC_CIM_INVOKE), since both change the system as the caller, wait for
 * a child the same way and, for an administrator, run as root. */
enum cim_call_kind {
	CIM_CALL_METHOD = 0, /* a method: method names it, parameters its input */
	/* WS-Transfer Put of the instance the selectors name: parameters
	 * are its properties as the body gave them (CIM_MAX_PROPERTIES at
	 * most), method is empty; the reply's output is the instance as it
	 * is after the change. */
	CIM_CALL_PUT = 1,
};

struct cim_invoke_request {
	uint32_t kind; /* enum cim_call_kind */
	char namespace_name[CIM_MAX_NAMESPACE + 1];
	char class_name[CIM_MAX_NAME + 1];
	uint32_t dmtf;
	char method[CIM_MAX_NAME + 1]; /* as the action spelled it; "" for a Put */
	/* The instance's keys (none for a method of the class, Create). */
	uint32_t nselectors;
	struct cim_selector selectors[CIM_MAX_SELECTORS];
	/* The input parameters as the body gave them: each a name and its
	 * text (CIM_STRING) or xsi:nil (CIM_NULL); the method's own table,
	 * in the host, says what type each must be. A Put's properties
	 * likewise, checked against the instance and the class's writable
	 * properties. At most CIM_MAX_PARAMETERS for a method. */
	uint32_t nparameters;
	struct cim_property parameters[CIM_MAX_PROPERTIES];
	/* How long the method may take before it answers ReturnValue 7
	 * (CIM_METHOD_TIMEOUT_MS at most, less under a shorter
	 * OperationTimeout), so the host answers before the network
	 * process gives up on it. */
	uint32_t timeout_ms;
	struct cim_access access;
};

struct cim_invoke_reply {
	uint32_t kind;			   /* enum cim_call_kind, as asked */
	char class_name[CIM_MAX_NAME + 1]; /* the class's own spelling */
	char method[CIM_MAX_NAME + 1];	   /* the method's own spelling; "" for a Put */
	/* The output parameters (CIM_MAX_PARAMETERS at most), ReturnValue
	 * among them, written as an instance's properties; a Put's: the
	 * instance as it is now. */
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

/* The network process: a Put's instance (WS-Transfer Put, DSP0226 7.5)
 * on the class t: the selectors as cim_selectors_parse reads them; the
 * body must be the element {resource URI}<Class> (as a Get's reply
 * writes it; w:SchemaValidationError otherwise, or for no body, or for
 * a property whose value is an element: an embedded object or a
 * cim:Datetime) whose children are properties as a method's parameters
 * are read (each once, so an array is refused; a name, text of at most
 * CIM_MAX_VALUE or xsi:nil; at most CIM_MAX_PROPERTIES;
 * ERR_WSMAN_WMI_INVALID_PARAMETER otherwise). Fills out as a Put
 * (CIM_CALL_PUT), its class, selectors and properties only. */
enum err cim_put_parse(const struct wsman_request *ws, const struct cim_target *t,
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
/* Finishes out from the child's end: status as waitpid gives it, or
 * timed_out. A method sets its ReturnValue and answers ERR_OK; a Put
 * answers its fault, or ERR_OK with the instance as it now is. */
typedef enum err cim_finish_fn(struct cim_invoke_reply *out, int status, int timed_out);
struct cim_pending {
	pid_t pid; /* 0: nothing pending, out is whole */
	uint32_t timeout_ms;
	cim_finish_fn *finish;
	/* The call, for the one log line cim_pending_finish writes. */
	char what[512];
};
enum err cim_invoke(const struct cim_invoke_request *req, struct cim_invoke_reply *out,
		    struct cim_pending *pending);
/* pending's finish, logged: the call's answer (ERR_OK, or its fault). */
enum err cim_pending_finish(const struct cim_pending *pending, struct cim_invoke_reply *out,
			    int status, int timed_out);
/* cim_invoke for a process that does nothing else (the privileged part's
 * child of an administrator's call): waits for the pending child itself,
 * at most its timeout, and finishes out. */
enum err cim_invoke_wait(const struct cim_invoke_request *req, struct cim_invoke_reply *out);

/* ---- the network process: the reply ---- */

/* The property of that name (case-insensitively, as WMI's names), or NULL. */
const struct cim_property *cim_property(const struct cim_instance *inst, const char *name);
/* One instance as Windows' WMI plugin writes it: p:<Class> in the
 * class's resource URI's namespace, xsi:type p:<Class>_Type, the
 * properties in alphabetical order, datetimes in cim:Datetime. */
enum err cim_instance_xml(struct buf *out, const struct cim_target *t, const char *class_name,
			  const struct cim_instance *inst);
/* An Enumerate's item for inst, an instance of page's class, under filter
 * f: nothing (*kept 0) when f drops it, else as mode (enum
 * wsman_enumeration_mode) asks: the object, its EPR, or both in a w:Item
 * (DSP0226 8.7). The object is the instance (cim_instance_xml), or for a
 * WQL select list what Windows writes for one (MS-WSMV 3.1.4.1.13, <58>
 * <59>): a w:XmlFragment of the selected properties, unqualified, in
 * alphabetical order. The EPR is a:EndpointReference: the anonymous
 * address, the class's resource URI, a selector per key of page's with
 * the instance's value (none for a singleton), what a Get takes back.
 * ERR_WSMAN_CANNOT_PROCESS_FILTER (*why) as cim_filter_match;
 * ERR_WSMAN_INTERNAL for an instance without one of its keys. */
enum err cim_item_xml(struct buf *out, const struct cim_target *t, const struct cim_reply *page,
		      uint32_t mode, const struct cim_filter *f, const struct cim_instance *inst,
		      int *kept, const char **why);

/* A method's answer as Windows writes it: <p:Method_OUTPUT> in the class
 * URI's namespace (no xsi:type), the output parameters in ordinal order. */
enum err cim_output_xml(struct buf *out, const struct cim_target *t,
			const struct cim_invoke_reply *reply);

#endif
