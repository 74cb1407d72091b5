/* net_sandbox: what the network process gives up once it is set up, as
 * OpenSSH's privilege-separated child does (sandbox-seccomp-filter.c):
 * gaining privileges by exec (no_new_privs) and every system call but
 * those its event loop needs, by a seccomp filter. A call outside the
 * list kills the process (the privileged part then stops the service,
 * and the service manager restarts it): a call no code path of ours
 * makes is an intruder's. Out of the list: exec, fork and clone, ptrace,
 * kill, bind, socket() but for syslog's, and whatever else is not named.
 *
 * Wider than OpenSSH's: GSSAPI loads a mechanism's module (dlopen, with
 * its files and executable mappings) when the network process imports
 * the first context of that mechanism (net_gss.c), so opening files and
 * mapping code stay allowed. */
#include "net/net_int.h"

#include <sys/prctl.h>
#include <sys/socket.h>

#include <seccomp.h>

#include "common/log.h"

int net_sandbox_prepare(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_warn("prctl(PR_SET_NO_NEW_PRIVS)");
		return -1;
	}
	return 0;
}

#if defined(__SANITIZE_ADDRESS__)
/* AddressSanitizer's runtime makes calls of its own at any time (its leak
 * check at exit stops the process's threads with ptrace from a clone):
 * the sanitizer build runs without the filter. */
int net_sandbox_enter(void)
{
	return 0;
}
#else
#include <errno.h>

/* Allowed whatever their arguments. */
static const int allowed[] = {
    /* the event loop and its sockets */
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(read),
    SCMP_SYS(readv),
    SCMP_SYS(write),
    SCMP_SYS(writev),
    SCMP_SYS(recvfrom),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendto),
    SCMP_SYS(sendmsg),
    SCMP_SYS(accept),
    SCMP_SYS(accept4),
    SCMP_SYS(listen), /* libevent's listener, on the sockets the privileged part sends */
    SCMP_SYS(shutdown),
    SCMP_SYS(close),
    SCMP_SYS(dup),
    SCMP_SYS(fcntl),
    SCMP_SYS(getsockopt),
    SCMP_SYS(setsockopt),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(connect), /* socket() makes only syslog's */
    SCMP_SYS(socketpair),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(lseek),
    SCMP_SYS(ioctl),
    /* memory, and what GSSAPI needs when it imports the first context of
     * a mechanism: the mechanism's module, loaded then (dlopen), and the
     * files it reads (Kerberos' profile) */
    SCMP_SYS(brk),
    SCMP_SYS(mmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(openat),
    SCMP_SYS(readlinkat),
    SCMP_SYS(pread64),
    SCMP_SYS(getdents64), /* the mechanisms' directory, /etc/gss/mech.d */
    SCMP_SYS(statx),
    SCMP_SYS(statfs),
    SCMP_SYS(fstatfs),
    SCMP_SYS(prctl),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(madvise),
    /* time, randomness, identity, signals */
    SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(time),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(getrandom),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(getgid),
    SCMP_SYS(getegid),
    SCMP_SYS(getrlimit),
    SCMP_SYS(sysinfo), /* glibc's sysconf, OpenSSL's secure heap sizing */
    SCMP_SYS(uname),
    SCMP_SYS(prlimit64),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(futex),
    SCMP_SYS(sched_yield),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
};

static int rules(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0) < 0)
			return -1;
	/* The syslog socket, which glibc reopens when syslogd restarts; the
	 * stream socket of nscd, which a passwd lookup tries first
	 * (net_host.c), and every other family are refused. */
	const scmp_datum_t flags = SOCK_CLOEXEC | SOCK_NONBLOCK;
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
			     SCMP_A0(SCMP_CMP_EQ, AF_UNIX),
			     SCMP_A1(SCMP_CMP_MASKED_EQ, ~flags, SOCK_DGRAM)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 2,
			     SCMP_A0(SCMP_CMP_EQ, AF_UNIX),
			     SCMP_A1(SCMP_CMP_MASKED_EQ, ~flags, SOCK_STREAM)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
			     SCMP_A0(SCMP_CMP_NE, AF_UNIX)) < 0)
		return -1;
	return 0;
}

int net_sandbox_enter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc = -1;

	if (!ctx)
		log_warnx("seccomp_init failed");
	else if (rules(ctx) < 0)
		log_warnx("cannot build the seccomp filter");
	else if (seccomp_load(ctx) < 0)
		log_warnx("cannot load the seccomp filter");
	else
		rc = 0;
	seccomp_release(ctx);
	return rc;
}
#endif
