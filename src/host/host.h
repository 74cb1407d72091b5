/* host: a per-user host process. It runs with exactly one user's uid, gid
 * and supplementary groups inside a PAM session, holds that user's shells,
 * and runs their commands (shell_engine.c). It takes the typed requests of
 * shell/shell_ops.h (IPC_SHELL_REQUEST) and its settings (IPC_HOST_SETTINGS)
 * from the network process and nothing else; when the channel closes it
 * ends every command and exits. */
#ifndef OPENWINRM_HOST_H
#define OPENWINRM_HOST_H

#include <sys/types.h>

/* The privileged part names, in the host's environment, the file where
 * tickets a client forwards (winrs -ad) for this user are stored. The
 * host takes the variable out of its environment and, from the first
 * shell created after tickets arrived, gives the shells' commands
 * KRB5CCNAME: a host may outlive the connection that brought them. */
#define HOST_ENV_FORWARDED_TICKETS "WINRMD_FORWARDED_TICKETS"

/* A user's own host: the key (hex) it opens the credentials CredSSP
 * clients delegate with, sealed for it by the privileged part and carried
 * by the network process, which cannot read them (delegation.h). The
 * host takes it out of its environment. */
#define HOST_ENV_DELEGATION_KEY "WINRMD_DELEGATION_KEY"

/* The KRB5_CONFIG winrmd runs with, if any: the realm the service knows,
 * for the TGT the host obtains with CredSSP's delegated credentials
 * (delegation.h). The host takes it out of its environment, so commands
 * keep their own view of Kerberos (/etc/krb5.conf, or what PAM sets). */
#define HOST_ENV_KRB5_CONFIG "WINRMD_KRB5_CONFIG"

/* A session configuration's host (docs/design.md, "Session
 * configurations"): the privileged part names the endpoint it alone
 * serves, the pwsh to run and the restricted session file it compiled.
 * Such a host refuses every operation but the PowerShell ones, and
 * PowerShell Creates for any other endpoint, and runs every pwsh as
 * named, whatever the request says. The host keeps HOST_ENV_ENDPOINT in
 * its environment (pwsh inherits it with the other WINRMD_* identity
 * variables) and takes the other two out. */
#define HOST_ENV_ENDPOINT "WINRMD_ENDPOINT"
#define HOST_ENV_PWSH "WINRMD_PWSH"
#define HOST_ENV_CONFIGURATION_FILE "WINRMD_CONFIGURATION_FILE"

/* Runs the host on the channel to the network process. Returns the exit status. */
int host_main(int net_fd, uid_t net_uid, pid_t net_pid, int foreground, int debug);

#endif
