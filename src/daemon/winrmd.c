/* winrmd: entry point. One binary, four roles: started by a person (or
 * systemd) it is the privileged part; it re-executes itself with
 * --role=net, --role=acceptor and --role=host for the other processes, so each starts from a clean
 * address space with nothing of the privileged part's memory. */
#include <getopt.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acceptor/acceptor.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "daemon/check.h"
#include "config/config.h"
#include "host/host.h"
#include "net/net.h"
#include "priv/priv.h"

#define DEFAULT_SERVICE_ACCOUNT "winrmd"
#define ROLE_FD 3 /* the IPC channel of a re-executed role */

static void usage(FILE *f)
{
	fprintf(f, "usage: winrmd [--config-dir DIR] [--foreground] [--debug] [--user ACCOUNT]\n"
		   "              [--pam-service NAME] [-n] [--check] [--version]\n"
		   "  --config-dir DIR  configuration directory (default $WINRM_CONFIG_DIR "
		   "or " CONFIG_DEFAULT_DIR ")\n"
		   "  --foreground      stay in the foreground and log to stderr\n"
		   "  --debug           log debug lines too\n"
		   "  --user ACCOUNT    service account of the network process "
		   "(default " DEFAULT_SERVICE_ACCOUNT ")\n"
		   "  --pam-service NAME\n"
		   "                    the PAM stack, /etc/pam.d/NAME (default " PRIV_PAM_SERVICE
		   ")\n"
		   "  -n                check the configuration and exit\n"
		   "  --check           check the configuration as the service will use it\n"
		   "                    (account, groups, listeners, certificates, keytab,\n"
		   "                    NTLM hashes, PAM, PowerShell), one line each, and exit\n"
		   "  --version         openwinrm's version\n");
}

static int check_config(const char *dir)
{
	struct config c;
	struct buf msg;

	buf_init(&msg, 4096);
	if (config_load(&c, dir, &msg) != ERR_OK) {
		buf_terminate(&msg);
		fprintf(stderr, "winrmd: %s\n", (const char *)buf_ptr(&msg));
		buf_clear(&msg);
		return 1;
	}
	config_clear(&c);
	buf_clear(&msg);
	printf("configuration OK\n");
	return 0;
}

/* A re-executed role (the network process, a host) makes itself
 * undumpable before anything else: from then on no process of its own
 * account can ptrace it or read its memory, and /proc/PID/ of it belongs
 * to root. For a host this matters most: the user's own commands run as
 * the same uid and, could they attach, would send the network process
 * forged replies. The window from execve to here cannot be closed from
 * this side: the kernel makes an exec dumpable again (SUID_DUMP_USER)
 * whenever the exec's uid equals its euid and its gid its egid, as they
 * must for the host, which runs as the user for good (priv_setids before
 * exec); exec'ing with them unequal would make it a secure exec (AT_SECURE),
 * whose loader strips TMPDIR, LD_LIBRARY_PATH and the like that PAM put in
 * the environment the user's commands inherit. setresuid itself, before
 * exec, leaves the process undumpable (the kernel applies fs.suid_dumpable,
 * 0 by default), so the window is the dynamic loader's and the libraries'
 * start-up only. The commands a host runs are dumpable again: their exec
 * resets the flag by the same rule (docs/design.md, "Processes"). */
static void role_undumpable(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "--role", 6) == 0 && prctl(PR_SET_DUMPABLE, 0) < 0)
			fatal("prctl(PR_SET_DUMPABLE)");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config-dir", required_argument, NULL, 'c'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"debug", no_argument, NULL, 'd'},
	    {"user", required_argument, NULL, 'u'},
	    {"pam-service", required_argument, NULL, 'p'},
	    {"role", required_argument, NULL, 'r'},
	    {"peer-uid", required_argument, NULL, 'U'},
	    {"peer-pid", required_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"check", no_argument, NULL, 'C'},
	    {NULL, 0, NULL, 0},
	};
	struct winrmd_opts o = {0};
	const char *role = NULL;
	int check = 0, ch;
	uint64_t peer_uid = UINT32_MAX, peer_pid = 0;

	role_undumpable(argc, argv);
	util_tune_malloc();
	o.config_dir = getenv("WINRM_CONFIG_DIR");
	if (!o.config_dir || !*o.config_dir)
		o.config_dir = CONFIG_DEFAULT_DIR;
	o.service_account = DEFAULT_SERVICE_ACCOUNT;
	while ((ch = getopt_long(argc, argv, "c:fdu:nh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config_dir = optarg;
			break;
		case 'f':
			o.foreground = 1;
			break;
		case 'd':
			o.debug = 1;
			break;
		case 'u':
			o.service_account = optarg;
			break;
		case 'p':
			o.pam_service = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'U':
			if (util_parse_u64(optarg, UINT32_MAX - 1, &peer_uid) != ERR_OK)
				fatalx("bad --peer-uid");
			break;
		case 'P':
			if (util_parse_u64(optarg, INT32_MAX, &peer_pid) != ERR_OK)
				fatalx("bad --peer-pid");
			break;
		case 'n':
			check = 1;
			break;
		case 'C':
			check = 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("winrmd (openwinrm) %s\n", OPENWINRM_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (check == 2)
		return check_service(o.config_dir, o.service_account,
				     o.pam_service ? o.pam_service : PRIV_PAM_SERVICE);
	if (check)
		return check_config(o.config_dir);
	/* The re-executed roles learn who may talk to them from the privileged
	 * part, which started them: it passes the uid and pid of their peer. */
	if (role && peer_uid == UINT32_MAX)
		fatalx("--role needs --peer-uid");
	/* Executed from a descriptor (priv_exec_role), a role gets the
	 * descriptor's number as its name from older kernels (Debian 12's):
	 * "4", not "winrmd", in ps -e, top and pgrep. */
	if (role && prctl(PR_SET_NAME, "winrmd") < 0)
		fatal("prctl(PR_SET_NAME)");
	if (role && strcmp(role, "net") == 0) {
		log_init("net", o.foreground, o.debug);
		return net_main(ROLE_FD, (uid_t)peer_uid, (pid_t)peer_pid, o.foreground, o.debug);
	}
	if (role && strcmp(role, "acceptor") == 0) {
		log_init("acceptor", o.foreground, o.debug);
		return acceptor_main(ROLE_FD, (uid_t)peer_uid, (pid_t)peer_pid);
	}
	if (role && strcmp(role, "host") == 0) {
		log_init("host", o.foreground, o.debug);
		return host_main(ROLE_FD, (uid_t)peer_uid, (pid_t)peer_pid, o.foreground, o.debug);
	}
	if (role) {
		fprintf(stderr, "winrmd: unknown role\n");
		return 2;
	}
	log_init("priv", o.foreground, o.debug);
	return priv_main(&o);
}
