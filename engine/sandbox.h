/* The system call filter of a serving mbxdp (seccomp, through libseccomp).
 *
 * Once set up, the engine needs few system calls: the AF_XDP kick
 * (sendto), the adaptive idle mode's poll, the threads' futexes and
 * nanosleeps, the capture writer's writes, the DPDK threads' epoll, and at
 * exit the netlink calls that take the XDP program off, the bpf() calls
 * that read its counters and the unlinks of its files. Every thread gets
 * the same allow-list (TSYNC). Any other call stops the process: the
 * kernel sends SIGSYS, whose handler prints one line naming the call,
 * takes the XDP program off and dies (sandbox_report), rather than
 * returning an error a compromised or confused parser could try again.
 * docs/security.md lists the calls and why each is there. */
#ifndef MBX_SANDBOX_H
#define MBX_SANDBOX_H

#include <stddef.h>

/* Installs the filter in every thread. 0, or -1 with one line in err. */
int sandbox_enter(char *err, size_t errlen);

/* For the SIGSYS handler (async-signal-safe): writes
 * "mbxdp: system call N is not allowed while serving" to stderr. */
void sandbox_report(int syscall_nr);

#endif
