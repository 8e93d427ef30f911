#include "sandbox.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What the threads of a serving engine call, and its exit path. */
static const int allowed[] = {
	/* memory: malloc, thread stacks, the exit path's unmapping */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(madvise),
	SCMP_SYS(mremap),
	/* threads: creating the workers (clone below), joining, pinning */
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(sched_setaffinity),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(sched_yield), SCMP_SYS(gettid), SCMP_SYS(getpid),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* time: the TSC is read without the kernel; naps and the fallback */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	/* signals: SIGINT/SIGTERM stop, a crash detaches in its handler */
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(restart_syscall), /* a nap resumed after SIGSTOP/SIGCONT */
	SCMP_SYS(sigaltstack), SCMP_SYS(tgkill), SCMP_SYS(alarm), SCMP_SYS(setitimer),
	/* I/O on descriptors opened before: the AF_XDP kick and statistics,
	 * the adaptive idle mode's poll, stdout, the capture, DPDK's event loop */
	SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg),
	SCMP_SYS(getsockopt), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(read), SCMP_SYS(write),
	SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64), SCMP_SYS(lseek), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(close), SCMP_SYS(ioctl), SCMP_SYS(fcntl),
	/* DPDK: a worker thread registering looks up its NUMA node in sysfs;
	 * closing the port, its log goes to a memory file for one line; its
	 * telemetry thread waits in accept() on the socket it made before the
	 * filter, and a signal (a stop, the leak check's ptrace) restarts that
	 * call through the filter */
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(memfd_create),
	SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(accept), SCMP_SYS(accept4),
	/* the XDP program's counters through bpf(), published while serving;
	 * at exit the program comes off by netlink, the sockets' map entries
	 * through bpf(), the /dev/shm files are removed */
	SCMP_SYS(bind), SCMP_SYS(getsockname), SCMP_SYS(setsockopt),
	SCMP_SYS(bpf), SCMP_SYS(unlink), SCMP_SYS(flock),
};

/* Sanitizer builds only (ASan, UBSan, LeakSanitizer), at exit: the leak
 * check stops the threads with ptrace from a helper it clones (no
 * CLONE_THREAD), lists them in /proc/self/task, reads its suppressions
 * file and names the modules of its stacks. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

#ifdef SANITIZER_BUILD
static const int sanitizer_allowed[] = {
	SCMP_SYS(prctl), SCMP_SYS(ptrace), SCMP_SYS(clone), SCMP_SYS(wait4), SCMP_SYS(open),
	SCMP_SYS(openat), SCMP_SYS(getdents), SCMP_SYS(getdents64), SCMP_SYS(getppid),
	SCMP_SYS(kill), SCMP_SYS(stat), SCMP_SYS(readlink),
};
#endif

int sandbox_enter(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc = ctx ? 0 : -ENOMEM;

	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	/* A binary tree of the calls rather than a list: the AF_XDP kick and
	 * the idle mode's poll pass few comparisons. */
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; !rc && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	/* Threads of this process only: a new process (fork, or clone
	 * without CLONE_THREAD) is not the serving loop's. clone3 passes its
	 * flags in memory, which the filter cannot read: ENOSYS makes glibc
	 * fall back to clone. */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* New sockets: netlink only, for the detach at exit. No socket that
	 * could reach another host. */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				      SCMP_A0(SCMP_CMP_EQ, AF_NETLINK));
#ifdef SANITIZER_BUILD
	for (size_t i = 0; !rc && i < sizeof(sanitizer_allowed) / sizeof(sanitizer_allowed[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sanitizer_allowed[i], 0);
#endif
	if (!rc)
		rc = seccomp_load(ctx);
	if (rc)
		snprintf(err, errlen, "cannot install the system call filter: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc ? -1 : 0;
}

void sandbox_report(int syscall_nr)
{
	char line[80] = "mbxdp: system call ", num[12];
	size_t len = strlen(line), n = 0;
	unsigned v = syscall_nr < 0 ? 0 : (unsigned)syscall_nr;

	do
		num[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(num));
	while (n)
		line[len++] = num[--n];
	memcpy(line + len, " is not allowed while serving\n", 30);
	len += 30;
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}
