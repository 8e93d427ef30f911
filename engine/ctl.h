/* mbxdp-ctl: talks to a running mbxdp through the files it keeps in
 * /dev/shm, named after its instance name (mbxdp --name, by default
 * mbxdp-<iface>-<queue>). Each subcommand is one function in its own file
 * (ctl_regs.c, ...) and one row of the table in ctl_main.c. */
#ifndef MBX_CTL_H
#define MBX_CTL_H

#include "mbx_regs.h"

/* Which engine a subcommand talks to. */
struct ctl_target {
	const char *name;
	char name_buf[MBX_REGS_NAME_MAX + 1];
};

/* A subcommand: argv[0] is its own name, getopt-ready. Returns the exit
 * status: 0, 1 on a failure (reported), 2 on a usage error. */
typedef int (*ctl_run_fn)(const struct ctl_target *t, int argc, char **argv);

/* The live registers (ctl_regs.c). */
int ctl_regs_get(const struct ctl_target *t, int argc, char **argv);
int ctl_regs_set(const struct ctl_target *t, int argc, char **argv);
int ctl_regs_watch(const struct ctl_target *t, int argc, char **argv);

#endif
