/* delegation: the credentials a CredSSP client delegated (MS-CSSP
 * TSPasswordCreds), in the user's host, for the second hop: a command in
 * the user's shell reaching another host as the user, as on Windows.
 * They arrive with the first Create after the logon (shell_create_req).
 * With them the host
 *   - obtains a Kerberos TGT for the user (when krb5 has a default realm)
 *     into a ticket cache of the user's, which shells made from then on
 *     get as KRB5CCNAME;
 *   - offers them to gss-ntlmssp for NTLM onward: its user file in a
 *     sealed memfd, the host's memory, which the commands inherit at
 *     SPAWN_INHERITED_FD and NTLM_USER_FILE names (/proc/self/fd/N).
 * They arrive sealed by the privileged part for this host (sealbox.h):
 * the network process that carried them cannot open them. The host keeps
 * no other copy of the password. Everything is wiped and removed when the
 * host's last shell ends, when newer credentials replace them, and when
 * the host exits. */
#ifndef OPENWINRM_DELEGATION_H
#define OPENWINRM_DELEGATION_H

#include "shell/shell_ops.h"

struct delegation;

/* krb5_config: the krb5.conf to obtain the TGT with (NULL: krb5's own
 * default, /etc/krb5.conf), copied. key_hex: HOST_ENV_DELEGATION_KEY, the
 * key the credentials come sealed with (NULL: this host takes none).
 * base: the host's loop, which learns there when the TGT request has
 * ended. */
struct event_base;
struct delegation *delegation_new(struct event_base *base, const char *krb5_config,
				  const char *key_hex);
/* Takes create's delegated credentials, if it carries any (create keeps
 * none afterwards). The TGT is asked for in a child process, so nothing
 * waits for the KDC: KRB5CCNAME names the cache at once, and the ticket
 * is in it once the KDC has answered (a command that runs before finds
 * the cache empty). */
void delegation_take(struct delegation *d, struct shell_create_req *create);
/* Removes the ticket cache and the NTLM file and their variables. */
void delegation_forget(struct delegation *d);
void delegation_free(struct delegation *d);

#endif
