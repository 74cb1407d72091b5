/* config: the winrm/config tree (Windows' setting names and defaults),
 * stored in DIR/winrm.conf, one "Path/Name = value" line per setting,
 * e.g. "Service/Auth/Basic = true" or
 * "Listener?Address=*+Transport=HTTPS/Port = 5986". Names compare
 * case-insensitively, as on Windows. Saving is atomic (temporary file,
 * fsync, rename, fsync of the directory), so a crash mid-write leaves the
 * old file or the new one, never a broken one. The winrm CLI, winrmd's
 * privileged part and its network process all read it through here. */
#ifndef OPENWINRM_CONFIG_H
#define OPENWINRM_CONFIG_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"

#define CONFIG_FILE "winrm.conf"
/* Where winrmd, winrm and libwinrm look without --config-dir or
 * $WINRM_CONFIG_DIR (the packaged unit starts winrmd on it). */
#define CONFIG_DEFAULT_DIR "/etc/winrm"
#define CONFIG_MAX_FILE (64 * 1024)
#define CONFIG_MAX_LISTENERS 16
#define CONFIG_MAX_PLUGINS 16
#define CONFIG_MAX_INSTANCES 16 /* of any one resource of many instances */
/* The most selectors an instance has (a certmapping: Issuer, Subject, URI),
 * and the longest text they make: "Issuer=<40 hex>+Subject=<256>+URI=<512>"
 * is 829 bytes. */
#define CONFIG_MAX_SELECTORS 3
#define CONFIG_MAX_SELECTOR_TEXT 1024
#define CONFIG_MAX_VALUE 4096
/* The resource URI of winrm/config; sub-resources append "/service" etc.
 * (MS-WSMV 3.1.4.2), and their XML is in that namespace
 * (docs/protocol-notes.md, "A sub-resource's namespace"). */
#define CONFIG_URI "http://schemas.microsoft.com/wbem/wsman/1/config"

enum config_cbt { CONFIG_CBT_NONE, CONFIG_CBT_RELAXED, CONFIG_CBT_STRICT };

struct config_auth_service {
	int basic, kerberos, negotiate, certificate, credssp;
	enum config_cbt cbt_hardening_level;
	/* openwinrm's own, Linux-only (printed only when set). Keytab: an
	 * absolute path, "" for $KRB5_KTNAME, else the system keytab. */
	char *keytab;
	/* ServicePrincipalNames: acceptor names besides HTTP/<fqdn>, e.g.
	 * "HTTP/localhost,HTTP/web.example.com"; "" for none. */
	char *service_principal_names;
	/* NtlmWinbind: verify NTLM through Samba's winbind, not CONFIG_NTLM_USERS. */
	int ntlm_winbind;
	/* TrustedIssuers: a PEM file of the CA certificates a certmapping's
	 * Issuer may name (Windows finds them in its certificate stores);
	 * "" for the system's trusted CAs (/etc/ssl/certs). */
	char *trusted_issuers;
};
struct config_auth_client {
	int basic, digest, kerberos, negotiate, certificate, credssp;
};
struct config_ports {
	uint32_t http, https;
};

/* Service/IPv4Filter and IPv6Filter, who may connect by address: "*"
 * (anyone), "" (no one) or a comma list of addresses and ranges lo-hi,
 * blanks around entries allowed, an IPv6 address possibly in brackets
 * ("[::1]"). Parsed into ranges once, when set, by the parser that also
 * validates the text, so what the configuration accepts is exactly what
 * config_filter_allows matches. */
#define CONFIG_MAX_FILTER_RANGES 64
struct config_filter {
	char *text; /* as written: stored and printed */
	int family; /* AF_INET or AF_INET6 */
	int any;    /* "*" */
	uint32_t n;
	struct {
		uint8_t lo[16], hi[16]; /* network byte order; IPv4 in the first 4 bytes */
	} r[CONFIG_MAX_FILTER_RANGES];
};

struct config_listener {
	char *address; /* "*", "IP:127.0.0.1", "IP:::1" (the selector, as on Windows) */
	int https;     /* Transport=HTTPS */
	uint32_t port;
	char *hostname;
	int enabled;
	char *url_prefix;	      /* "wsman" */
	char *certificate_thumbprint; /* SHA-1 hex of the certificate (shown, as on Windows) */
	char *certificate_file;	      /* PEM paths (ours: Linux has no certificate store) */
	char *key_file;
};

/* A PowerShell session configuration, winrm/config/plugin?Name=X (Windows
 * keeps them as WinRM plugins): the endpoint whose resource URI is
 * CONFIG_PS_URI_PREFIX + Name. With no AllowedUsers and no AllowedGroups
 * it is open to every account that may use the cmd shell and runs in the
 * user's own host; otherwise (and with RunAsUser or ConfigFilePath) each
 * connecting user gets a host of its own for it, which the privileged part
 * starts after checking who connects (docs/design.md, "Session
 * configurations"). */
#define CONFIG_PS_URI_PREFIX "http://schemas.microsoft.com/powershell/"
#define CONFIG_MAX_PLUGIN_NAME 64
struct config_plugin {
	char *name; /* the Name selector: letters, digits, '.', '_', '-' */
	int enabled;
	char *allowed_users;	/* AllowedUsers: comma list of accounts */
	char *allowed_groups;	/* AllowedGroups: comma list of groups */
	char *run_as_user;	/* RunAsUser: the account pwsh runs as; "": the connecting user */
	char *config_file_path; /* configfilepath: a root-owned .pssc, absolute; "": none */
	uint32_t max_shells_per_user; /* at most Winrs/MaxShellsPerUser */
};

/* A client certificate mapped to a local account,
 * winrm/config/service/certmapping?Issuer=T+Subject=S+URI=U (MS-WSMV
 * 2.2.4.3, 3.1.4.1.29.3): a certificate that chains up to the CA whose
 * SHA-1 thumbprint is T, and names S, may log on as UserName to resources
 * whose URI U matches. The three selectors compare case-insensitively and
 * hold no blank, '+', '=', '?' or control character. UserName is required.
 * Windows keeps the account's password too, to log it on; the privileged
 * part starts the host itself and needs none, so a Password given to
 * create or set (as Windows' scripts give one) is accepted and dropped:
 * never stored, printed (it shows empty, as Windows shows write-only
 * values) or logged. */
#define CONFIG_MAX_CERTMAPPINGS 16
#define CONFIG_MAX_CERTMAPPING_SUBJECT 256
#define CONFIG_MAX_CERTMAPPING_URI 512
struct config_certmapping {
	char *issuer;	 /* 40 hex digits, upper case */
	char *subject;	 /* a name, or a pattern with a leading "*" */
	char *uri;	 /* a resource URI, a prefix ending "*", or "*" */
	char *user_name; /* the local account */
	int enabled;
};

/* A WMI namespace's security, winrm/config/service/namespace?Name=root/cimv2
 * (docs/design.md, "Namespace security"): its descriptor in SDDL, as
 * WMI's __SystemSecurity keeps one per namespace, and WMI's
 * RequiresEncryption qualifier. One instance per namespace served, made
 * by the defaults (root/cimv2 with Windows' descriptor, CIM_DEFAULT_SDDL),
 * never created or deleted: set. Name compares case-insensitively and
 * takes WMI's root\cimv2 too; it is kept as the service spells it. */
#define CONFIG_MAX_NAMESPACES 8
struct config_namespace {
	char *name; /* "root/cimv2" */
	char *sddl; /* Sddl: checked by cim_sd_parse */
	int requires_encryption;
};

struct config {
	uint32_t max_envelope_size_kb;	/* MaxEnvelopeSizekb, 500 */
	uint32_t max_timeout_ms;	/* MaxTimeoutms, 60000 */
	uint32_t max_batch_items;	/* 32000 */
	uint32_t max_provider_requests; /* 4294967295 */
	struct {
		uint32_t network_delay_ms;
		char *url_prefix;
		int allow_unencrypted;
		struct config_auth_client auth;
		struct config_ports default_ports;
		char *trusted_hosts;
		char *allow_fresh_credentials;
		char *allow_fresh_credentials_when_ntlm_only;
	} client;
	struct {
		char *root_sddl;
		uint32_t max_concurrent_operations;
		uint32_t max_concurrent_operations_per_user;
		uint32_t enumeration_timeout_ms;
		uint32_t max_connections; /* 300: simultaneous active requests */
		/* the part of them one account may hold, in percent: 50 */
		uint32_t max_connections_per_user_percent;
		/* password checks (Basic) one address may have under way */
		uint32_t max_concurrent_logons_per_source;
		/* ... and that may be under way for one account */
		uint32_t max_concurrent_logons_per_account;
		/* failed password checks a minute before further ones from the
		 * address (for the account) are refused unasked; 0: no limit */
		uint32_t max_logon_failures_per_source;
		uint32_t max_logon_failures_per_account;
		uint32_t max_packet_retrieval_time_s;
		int allow_unencrypted; /* false */
		struct config_auth_service auth;
		struct config_ports default_ports;
		struct config_filter ipv4_filter; /* "*", "" or ranges "a-b,c" */
		struct config_filter ipv6_filter;
		int enable_compatibility_http_listener;
		int enable_compatibility_https_listener;
		char *certificate_thumbprint;
		int allow_remote_access;
		/* openwinrm's own, with WinRM-style names: who may connect */
		char *admin_groups; /* AdminGroups: comma list, default the ones of sudo,wheel that
				       exist */
		char *remote_users_group; /* RemoteUsersGroup: "winrm-users" */
		/* AllowNoLoginShells: false, accounts whose shell says they do
		 * not log in (nologin, false, not in /etc/shells) are refused. */
		int allow_no_login_shells;
		/* PowerShell: the pwsh the PowerShell endpoints run; "": the
		 * usual install paths, then PATH (the user's host searches). */
		char *powershell;
		char *audit_log_file; /* AuditLogFile: "" for none */
	} service;
	struct {
		int allow_remote_shell_access; /* true */
		uint32_t idle_timeout_ms;      /* IdleTimeout, 7200000 */
		uint32_t max_concurrent_users;
		uint32_t max_shell_run_time_ms; /* MaxShellRunTime */
		uint32_t max_processes_per_shell;
		uint32_t max_memory_per_shell_mb;
		uint32_t max_shells_per_user; /* 30 */
	} winrs;
	uint32_t nlisteners;
	struct config_listener listeners[CONFIG_MAX_LISTENERS];
	/* Microsoft.PowerShell and PowerShell.7 unless the file names plugins. */
	uint32_t nplugins;
	struct config_plugin plugins[CONFIG_MAX_PLUGINS];
	uint32_t ncertmappings;
	struct config_certmapping certmappings[CONFIG_MAX_CERTMAPPINGS];
	uint32_t nnamespaces;
	struct config_namespace namespaces[CONFIG_MAX_NAMESPACES];
};

/* Windows' defaults, and no listener. */
enum err config_defaults(struct config *c);
void config_clear(struct config *c);

/* Parses the stored format over defaults. On error *errmsg says which line
 * and why, and c is left freed. */
enum err config_parse(struct config *c, const char *text, size_t len, struct buf *errmsg);
/* Reads DIR/winrm.conf; a missing file means the defaults. */
enum err config_load(struct config *c, const char *dir, struct buf *errmsg);
enum err config_serialize(const struct config *c, struct buf *out);
enum err config_save(const struct config *c, const char *dir);
/* Replaces DIR/name with data atomically (as config_save: temporary file,
 * fsync, rename, fsync of the directory), the file ending with mode and
 * owned by the caller. ERR_IO with errno on failure, DIR/name untouched.
 * Temporary files of DIR/name that killed writers left go first. */
enum err config_write_file(const char *dir, const char *name, const void *data, size_t len,
			   mode_t mode);

/* Resource paths are relative to winrm/config and case-insensitive:
 * "" (the root), "service", "service/auth", "winrs", "client/auth",
 * "listener?Address=*+Transport=HTTP". */
enum err config_set(struct config *c, const char *resource, const char *name, const char *value,
		    struct buf *errmsg);
enum err config_listener_create(struct config *c, const char *selectors, struct buf *errmsg);
/* config_set, config_listener_delete and the printers answer ERR_NOT_FOUND
 * for a listener that does not exist (config_listener_create ERR_EXISTS for
 * one that does), ERR_CONFIG for anything else they refuse. */
enum err config_listener_delete(struct config *c, const char *selectors, struct buf *errmsg);
/* The same for any resource of many instances, named with its selectors:
 * "listener?Address=*+Transport=HTTP", "plugin?Name=DnsOps",
 * "service/certmapping?Issuer=...+Subject=...+URI=...". The last
 * plugin cannot be deleted (disable it: Enabled=false); namespaces are
 * neither created nor deleted (they are the service's). */
enum err config_instance_create(struct config *c, const char *resource, struct buf *errmsg);
enum err config_instance_delete(struct config *c, const char *resource, struct buf *errmsg);
/* Instance i of the collection resource ("listener", "plugin") named
 * with its selectors ("Plugin?Name=DnsOps") into out; ERR_NOT_FOUND past
 * the last, ERR_CONFIG when resource is no collection. */
enum err config_instance_resource(const struct config *c, const char *resource, uint32_t i,
				  char *out, size_t len);
/* ERR_OK if resource ("plugin?Name=X") names an instance with selectors
 * of the right form, whether it exists or not; else ERR_CONFIG. */
enum err config_instance_check(const char *resource);
/* ERR_CONFIG, saying which, when an instance lacks a setting it requires
 * (a certmapping's UserName). Create and set check before they save; the
 * reader refuses a file with such an instance. */
enum err config_check_required(const struct config *c, struct buf *errmsg);
/* The namespace's security (name as cim_namespace_find takes it), or NULL. */
const struct config_namespace *config_namespace_find(const struct config *c, const char *name);
/* The plugin serving endpoint name (case-insensitive, as Windows), or NULL. */
const struct config_plugin *config_plugin_find(const struct config *c, const char *name);
/* 1 if the plugin has its own host per connecting user: it names who may
 * connect, a RunAs account or a session configuration file. */
int config_plugin_isolated(const struct config_plugin *p);

/* WS-Transfer Put (what `winrm set` sends: the whole resource as a Get
 * returned it, edited): each pair names a setting by its path below the
 * resource ("Basic" under "service/auth", "Auth/Basic" under "service",
 * "Client/Auth/Basic" under ""), value NULL for xsi:nil ($null). A
 * read-only setting or a listener selector given the value it has is
 * accepted and left alone; ListeningOn, computed, is ignored; anything else
 * is config_set. A setting named twice is refused. On error c may be partly
 * changed: put into a copy and keep it only on success. */
struct config_pair {
	const char *name;
	const char *value;
};
enum err config_put(struct config *c, const char *resource, const struct config_pair *pairs,
		    size_t n, struct buf *errmsg);

/* What a resource path without selectors names, and its element's local
 * name as Windows spells it ("Config", "Service", "Auth", "Listener",
 * "PlugInConfiguration", "CertMapping"). */
/* CONFIG_RES_COLLECTION: a resource of many instances named by selectors
 * (listener, plugin, service/certmapping, service/namespace), which alone
 * may be created, deleted and enumerated. */
enum config_resource { CONFIG_RES_UNKNOWN, CONFIG_RES_SINGLETON, CONFIG_RES_COLLECTION };
#define CONFIG_MAX_ELEMENT 32
enum config_resource config_resource_of(const char *resource, char name[CONFIG_MAX_ELEMENT]);

/* Windows' text format (WsmTxt.xsl): four spaces per level, "Name = value". */
enum err config_print_text(const struct config *c, const char *resource, struct buf *out,
			   struct buf *errmsg);
/* The XML a WS-Management Get returns (MS-WSMV 3.1.4.2): the resource's
 * element in the namespace CONFIG_URI[/sub-resource], one child element per
 * setting in the order config_print_text prints them, nested elements for
 * Client, Auth, ..., empty values as empty elements. A listener carries
 * ListeningOn, the addresses it listens on (computed here: this is the
 * only form that shows it). "listener" alone gives every listener's
 * document, one after another. */
enum err config_print_xml(const struct config *c, const char *resource, struct buf *out,
			  struct buf *errmsg);

/* 1 if a peer at addr (a struct in_addr for AF_INET, in6_addr for
 * AF_INET6) may connect under f, a filter of that family. */
int config_filter_allows(const struct config_filter *f, int family, const void *addr);

/* The listeners to open: enabled ones, in order. */
const struct config_listener *config_listener_at(const struct config *c, uint32_t i);

/* ntlm_users.c: NTLM for local accounts. gss-ntlmssp verifies NTLM logins
 * against the file NTLM_USER_FILE names, in Samba's smbpasswd format; ours
 * is DIR/CONFIG_NTLM_USERS, root's, mode 0600, one line per account:
 *   COMPUTER\name:uid:<32 X: no LM hash>:<NT hash, 32 uppercase hex>:[U          ]:LCT-<8 hex>:
 * COMPUTER is ntlm_computer_name(), which the service also gives
 * gss-ntlmssp (NETBIOS_COMPUTER_NAME) for its challenges: clients that
 * compute the NTLMv2 response with the challenge's target name as the
 * domain (Go's go-ntlmssp, as Windows' own clients do for a standalone
 * host) need the entry to carry it, and gss-ntlmssp also tries an empty
 * domain, for clients that send none (pywinrm, gss-ntlmssp's initiator).
 * It holds only NT hashes (MD4 of the UTF-16LE password), never passwords.
 * Every change rewrites it with config_write_file, so a running service
 * reads the old file or the new one. Lines that are not entries (comments)
 * are kept as they are. Names are compared exactly, as getpwnam does,
 * except where a logon is matched to its entry: gss-ntlmssp takes the
 * first entry whose name equals the client's ignoring case (libunistring's
 * ulc_casecmp), so ntlm_users_match does the same and an account whose
 * name differs only in case from another's entry cannot have one. */
#define CONFIG_NTLM_USERS "ntlm_users"
#define NTLM_HASH_LEN 16
#define NTLM_MAX_NAME 256		/* gss-ntlmssp reads lines into 1024 bytes */
#define NTLM_MAX_FILE (4 * 1024 * 1024) /* ~40000 entries */
#define NTLM_MAX_COMPUTER_NAME 15	/* NetBIOS */

/* This host's NetBIOS name, as a standalone Windows host has one: the
 * first label of the host name, upper case, at most 15 bytes. */
void ntlm_computer_name(char out[NTLM_MAX_COMPUTER_NAME + 1]);

/* hash = MD4(UTF-16LE(password)). ERR_FORMAT when password is not valid
 * UTF-8, ERR_INTERNAL when OpenSSL has no MD4 (its legacy provider). */
enum err ntlm_nt_hash(const char *password, unsigned char hash[NTLM_HASH_LEN]);
/* Adds name's entry, or replaces it where it is, with the change time now.
 * ERR_CONFIG for a name that cannot be stored (':' or a control character,
 * empty, longer than NTLM_MAX_NAME) or that another entry's name equals
 * but for case; then, and on any error, the file is unchanged and errmsg
 * says why. */
enum err ntlm_users_set(const char *dir, const char *name, uint32_t uid,
			const unsigned char hash[NTLM_HASH_LEN], time_t now, struct buf *errmsg);
/* The entry an NTLM logon as user (the name the client sent, without a
 * domain) was verified against: the account name it was set for, into
 * name (NTLM_MAX_NAME + 1 bytes), and that account's uid then.
 * ERR_NOT_FOUND when no entry matches; ERR_CONFIG, with errmsg, when more
 * than one does, since which hash gss-ntlmssp used cannot be told. */
enum err ntlm_users_match(const char *dir, const char *user, char name[NTLM_MAX_NAME + 1],
			  uint32_t *uid, struct buf *errmsg);
/* ERR_NOT_FOUND when name has no entry. */
enum err ntlm_users_delete(const char *dir, const char *name, struct buf *errmsg);
/* The account names with an entry (without COMPUTER\), in file order,
 * one per line, into out. */
enum err ntlm_users_list(const char *dir, struct buf *out, struct buf *errmsg);

#endif
