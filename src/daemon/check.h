/* check: `winrmd --check`, the service's configuration in dir checked as
 * the service will use it (account: the network process's service
 * account; pam_service: the PAM stack's name), one line per check with
 * what to change; the exit status. */
#ifndef OPENWINRM_CHECK_H
#define OPENWINRM_CHECK_H

int check_service(const char *dir, const char *account, const char *pam_service);

#endif
