/* A PAM module for tests only: it rewrites PAM_USER to its lower-case
 * spelling before the rest of the auth stack runs, as directory modules
 * do when they settle a name the client typed on the directory's own
 * spelling (pam_sss with case_sensitive = false, pam_winbind). It
 * authenticates nothing itself (PAM_IGNORE); pam_unix after it does.
 * In the account stack, with the argument rename=NAME, it settles any
 * account as NAME, as a directory module with a broken mapping might: the
 * service must then refuse the logon, not open NAME's host. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_modules.h>

int pam_sm_authenticate(pam_handle_t *h, int flags, int argc, const char **argv)
{
	const char *user = NULL;
	char *lower;
	int rc;

	(void)flags, (void)argc, (void)argv;
	if (pam_get_user(h, &user, NULL) != PAM_SUCCESS || !user || !(lower = strdup(user)))
		return PAM_AUTH_ERR;
	for (char *c = lower; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	rc = pam_set_item(h, PAM_USER, lower);
	free(lower);
	return rc == PAM_SUCCESS ? PAM_IGNORE : PAM_AUTH_ERR;
}

int pam_sm_setcred(pam_handle_t *h, int flags, int argc, const char **argv)
{
	(void)h, (void)flags, (void)argc, (void)argv;
	return PAM_IGNORE;
}

int pam_sm_acct_mgmt(pam_handle_t *h, int flags, int argc, const char **argv)
{
	(void)flags;
	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], "rename=", 7) == 0)
			return pam_set_item(h, PAM_USER, argv[i] + 7) == PAM_SUCCESS ? PAM_IGNORE
										  : PAM_ACCT_EXPIRED;
	return PAM_IGNORE;
}
