/* net_sandbox: what the network process gives up once it is set up, as
 * OpenSSH's privilege-separated child does: gaining privileges by exec
 * (no_new_privs), so nothing it could be made to run becomes more than
 * the service account. OpenSSH's seccomp filter of system calls is not
 * here yet (docs/design.md, "Processes"). */
#include "net/net_int.h"

#include <sys/prctl.h>

#include "common/log.h"

int net_sandbox_enter(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_warn("prctl(PR_SET_NO_NEW_PRIVS)");
		return -1;
	}
	return 0;
}
