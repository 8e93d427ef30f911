/* mbxdp-ctl: talks to a running mbxdp through the files it keeps in
 * /dev/shm, named after its instance name (mbxdp --name, by default
 * mbxdp-<iface>-<queue>). Each subcommand is one function in its own file
 * (ctl_stats.c, ctl_regs.c) and one row of the table in ctl_main.c. */
#ifndef MBX_CTL_H
#define MBX_CTL_H

#include <stddef.h>
#include <stdio.h>

#include "telemetry.h"

/* Which engine a subcommand talks to. */
struct ctl_target {
	const char *name;
	char name_buf[TELEMETRY_NAME_MAX + 1];
};

/* A subcommand: argv[0] is its own name, getopt-ready. Returns the exit
 * status: 0, 1 on a failure (reported), 2 on a usage error. */
typedef int (*ctl_run_fn)(const struct ctl_target *t, int argc, char **argv);

/* A file /dev/shm/<name>.<suffix> mapped read-only. */
struct ctl_map {
	const void *addr;
	size_t len;
	int fd;
};

/* 0, or -1 with a one-line reason in err (no such instance, ...). */
int ctl_map_open(const struct ctl_target *t, const char *suffix, struct ctl_map *m, char *err,
		 size_t errlen);
void ctl_map_close(struct ctl_map *m);

/* 1 while an engine holds the file (its lock is taken); 0 when it is what
 * a dead engine left. */
int ctl_map_alive(const struct ctl_map *m);

int ctl_stats(const struct ctl_target *t, int argc, char **argv);

/* `mbxdp-ctl serve`: the Prometheus endpoint (ctl_serve.c). */
int ctl_serve(const struct ctl_target *t, int argc, char **argv);

/* The stats file checked before anything in it is used: magic, sizes, a
 * worker count the file's length holds, a TSC rate, text fields that end
 * inside the file. 0, or -1 with a one-line reason in err. */
int ctl_stats_check(const struct ctl_target *t, const struct ctl_map *m, char *err,
		    size_t errlen);

/* A consistent reading of the engine: each worker's part copied into
 * parts[i] (room for e->n_workers, from ctl_alloc_parts), their counters
 * summed into total and their histograms merged, and the XDP program's
 * counters. The sums are made from those very copies, so a reader that
 * prints both shows sums equal to their parts. 0, or -1 when the counters
 * kept changing under the reader. */
int ctl_read_engine(const struct mbx_stats_shm *e, struct mbx_stats_worker *total,
		    struct mbx_stats_xdp *xdp, struct mbx_stats_worker *parts);

/* Room for n worker parts, 64-byte aligned as the type wants (malloc's
 * 16-byte alignment is not enough: the compiler may move it with aligned
 * vector loads). NULL when out of memory; free() it. */
struct mbx_stats_worker *ctl_alloc_parts(uint32_t n);

/* One named counter of a reading, from the counter tables. */
struct ctl_counter {
	const char *name;
	const char *help;
	uint64_t value;
};
#define CTL_COUNTERS_MAX 256

/* The reading's counters, flattened: port, stack, Modbus, idle, and the
 * XDP program's when x has any (NULL for a worker's alone). Returns how many
 * (ctl_counters.c). */
size_t ctl_counters(const struct mbx_stats_worker *s, const struct mbx_stats_xdp *x,
		    struct ctl_counter *out);

/* The reading in the Prometheus text exposition format (ctl_metrics.c). */
void ctl_prometheus(FILE *out, const char *name, int alive, const struct mbx_stats_shm *e,
		    const struct mbx_stats_worker *s, const struct mbx_stats_xdp *x);

/* The live registers (ctl_regs.c). */
int ctl_regs_get(const struct ctl_target *t, int argc, char **argv);
int ctl_regs_set(const struct ctl_target *t, int argc, char **argv);
int ctl_regs_watch(const struct ctl_target *t, int argc, char **argv);

#endif
