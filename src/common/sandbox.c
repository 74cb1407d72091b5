/* sandbox: what the processes that parse what clients send give up once
 * they are set up, as OpenSSH's privilege-separated child does
 * (sandbox-seccomp-filter.c): gaining privileges by exec (no_new_privs),
 * and every system call but those their work needs, by a seccomp filter
 * (libseccomp). A call outside the list kills the process: no code path of
 * ours makes one, so it is an intruder's (or a path the list missed: the
 * kernel's log names the call, "type=1326 ... syscall=N", and the
 * privileged part starts the process again). Out of every list: exec,
 * fork and clone, ptrace, kill, bind, socket() but for syslog's, and
 * whatever else is not named. Each role is a row of the table below: the
 * calls all share, and its own.
 *
 * Wider than OpenSSH's: GSSAPI loads a mechanism's module (dlopen, with
 * its files and executable mappings) when the first context of that
 * mechanism is made or imported, so opening files and mapping code stay
 * allowed.
 *
 * The sanitizer build, which the test suite runs, has the same filters
 * with the calls of the sanitizer runtime added (its leak check at exit
 * stops the process's threads with ptrace from a clone): so the suite
 * checks the lists on every path it takes. */
#include "common/sandbox.h"

#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <seccomp.h>

#include "common/log.h"

/* Every role's, whatever their arguments. */
static const int shared_calls[] = {
    /* the event loop and its channels */
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(read),
    SCMP_SYS(readv),
    SCMP_SYS(write),
    SCMP_SYS(writev),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendto),
    SCMP_SYS(sendmsg),
    SCMP_SYS(connect), /* socket() makes only syslog's */
    SCMP_SYS(close),
    SCMP_SYS(fcntl),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(lseek),
    /* memory, and what GSSAPI needs when it loads a mechanism (dlopen)
     * and reads its files (Kerberos' profile, the passwd database) */
    SCMP_SYS(brk),
    SCMP_SYS(mmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(madvise),
    SCMP_SYS(openat),
    SCMP_SYS(readlinkat),
    SCMP_SYS(pread64),
    SCMP_SYS(getdents64), /* the mechanisms' directory, /etc/gss/mech.d */
    SCMP_SYS(statx),
    SCMP_SYS(statfs),
    SCMP_SYS(fstatfs),
    SCMP_SYS(access), /* glibc's access(2) on x86-64: a forwarded ticket's store */
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(prctl),
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
    SCMP_SYS(prlimit64),
    SCMP_SYS(sysinfo), /* glibc's sysconf, OpenSSL's secure heap sizing */
    SCMP_SYS(uname),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(futex),
    SCMP_SYS(sched_yield),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
};

/* The network process's own: its clients' sockets. */
static const int net_calls[] = {
    SCMP_SYS(accept),	   SCMP_SYS(accept4),	  SCMP_SYS(recvfrom),	SCMP_SYS(shutdown),
    SCMP_SYS(dup),	   SCMP_SYS(ioctl),	  SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
    SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(listen), /* libevent's listener, on the
								       sockets the privileged part
								       sends */
};

/* The GSSAPI acceptor's own: Kerberos' replay cache, a file of its own
 * under /var/tmp that it creates, writes, locks and replaces. */
static const int acceptor_calls[] = {
    SCMP_SYS(pwrite64), SCMP_SYS(fsync),  SCMP_SYS(fdatasync), SCMP_SYS(ftruncate),
    SCMP_SYS(flock),	SCMP_SYS(unlink), SCMP_SYS(unlinkat),  SCMP_SYS(rename),
    SCMP_SYS(renameat), SCMP_SYS(umask),  SCMP_SYS(fchmod),
};

#define CALLS(list) list, sizeof(list) / sizeof(list[0])
static const struct {
	const int *calls;
	size_t n;
} roles[] = {
    [SANDBOX_NET] = {CALLS(net_calls)},
    [SANDBOX_ACCEPTOR] = {CALLS(acceptor_calls)},
};

#if defined(__SANITIZE_ADDRESS__)
/* The sanitizer runtime's own: its leak check at exit (a tracer made by
 * clone stops the other threads with ptrace and reads /proc/self/task,
 * and it opens and lists files with open(2) and getdents(2), not openat
 * and getdents64), its reports (sigaltstack, the alternate stack of its
 * signal handlers). */
static const int sanitizer_calls[] = {
    SCMP_SYS(clone),
    SCMP_SYS(ptrace),
    SCMP_SYS(wait4),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(open),
    SCMP_SYS(getdents),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(getppid),
    SCMP_SYS(tgkill),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(setrlimit),
    SCMP_SYS(kill),
};
#endif

static int allow_all(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0) < 0)
			return -1;
	return 0;
}

/* One argument test, every field named: libseccomp's SCMP_A0() leaves
 * datum_b to the compiler, which clang's -Wmissing-field-initializers
 * refuses. */
static struct scmp_arg_cmp arg_test(unsigned int arg, enum scmp_compare op, scmp_datum_t a,
				    scmp_datum_t b)
{
	return (struct scmp_arg_cmp){.arg = arg, .op = op, .datum_a = a, .datum_b = b};
}

static int rules(scmp_filter_ctx ctx, enum sandbox_role role)
{
	if (allow_all(ctx, CALLS(shared_calls)) < 0 ||
	    allow_all(ctx, roles[role].calls, roles[role].n) < 0)
		return -1;
#if defined(__SANITIZE_ADDRESS__)
	if (allow_all(ctx, CALLS(sanitizer_calls)) < 0)
		return -1;
#endif
	/* The syslog socket, which glibc reopens when syslogd restarts; the
	 * stream socket of nscd, which a passwd lookup tries first, and every
	 * other family are refused with an error. */
	const scmp_datum_t flags = SOCK_CLOEXEC | SOCK_NONBLOCK;
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
			     arg_test(0, SCMP_CMP_EQ, AF_UNIX, 0),
			     arg_test(1, SCMP_CMP_MASKED_EQ, ~flags, SOCK_DGRAM)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 2,
			     arg_test(0, SCMP_CMP_EQ, AF_UNIX, 0),
			     arg_test(1, SCMP_CMP_MASKED_EQ, ~flags, SOCK_STREAM)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
			     arg_test(0, SCMP_CMP_NE, AF_UNIX, 0)) < 0)
		return -1;
	return 0;
}

int sandbox_enter(enum sandbox_role role)
{
	scmp_filter_ctx ctx;
	int rc = -1;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_warn("prctl(PR_SET_NO_NEW_PRIVS)");
		return -1;
	}
	if (!(ctx = seccomp_init(SCMP_ACT_KILL_PROCESS))) {
		log_warnx("seccomp_init failed");
		return -1;
	}
	/* The kernel logs a kill (and its call) whatever the filter's flags;
	 * the flag that would log every refusal would log the expected ones
	 * (nscd's socket) too. */
	if (rules(ctx, role) < 0)
		log_warnx("cannot build the seccomp filter");
	else if (seccomp_load(ctx) < 0)
		log_warnx("cannot load the seccomp filter");
	else
		rc = 0;
	seccomp_release(ctx);
	return rc;
}
