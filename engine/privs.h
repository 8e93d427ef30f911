/* Least privilege: who mbxdp serves as, who owns its files, and what it
 * keeps once its sockets, maps and files are set up (docs/security.md).
 *
 * Everything that needs root happens first, as root: the XDP program and
 * its maps, the AF_XDP socket or the DPDK port, the files in /dev/shm and
 * the capture. Then, before the first frame is served, the engine becomes
 * --user (nobody by default when started as root), keeps CAP_NET_ADMIN
 * alone (the XDP program comes off the interface at exit, by netlink), sets
 * no-new-privileges, and enters its system call filter (sandbox.h). */
#ifndef MBX_PRIVS_H
#define MBX_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

#include "owned_file.h"

#define PRIVS_DEFAULT_USER "nobody"

struct privs {
	int change_user; /* started as root, serving as another user */
	uid_t uid; /* the user mbxdp serves as */
	gid_t gid;
	char user[64];
	/* Owners and modes: the files in /dev/shm belong to the serving user
	 * (it removes them at exit); the capture to whoever started mbxdp. */
	struct owned_file_mode stats, regs, capture;
};

/* Looks up --user, --group and --writers (NULL: not given) while the user
 * and group databases can still be read. 0, or -1 with one line in err. */
int privs_resolve(struct privs *p, const char *user, const char *group, const char *writers,
		  char *err, size_t errlen);

/* Becomes p's user with CAP_NET_ADMIN alone (when it had it) in the
 * calling thread, and no capability in any other thread; sets
 * no-new-privileges. 0, or -1 with one line in err. */
int privs_drop(const struct privs *p, char *err, size_t errlen);

#endif
