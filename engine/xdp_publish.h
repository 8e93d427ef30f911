/* The XDP program's counters, live in the stats file: a housekeeping
 * thread, off the data path, reads the program's per-CPU map every
 * TELEMETRY_PUBLISH_MS and copies the sums into the file
 * (telemetry_publish_xdp), until the run stops.
 *
 * Its system calls, for a seccomp filter: bpf(BPF_MAP_LOOKUP_ELEM) on the
 * map's fd the loader opened at start (no capability needed for an open
 * fd), and clock_nanosleep. */
#ifndef MBX_XDP_PUBLISH_H
#define MBX_XDP_PUBLISH_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

#include "backend.h"
#include "telemetry.h"

struct xdp_publish {
	const struct backend *backend;
	struct telemetry *telemetry;
	volatile sig_atomic_t *stop; /* the run's stop flag: the thread ends with it */
	pthread_t thread;
	int started;
};

/* Starts the thread when an mbxdp_steer program is in front of the backend
 * (AF_XDP, or DPDK's net_af_xdp); otherwise nothing is to be read and no
 * thread starts. 0, or -1 with one line in err. */
int xdp_publish_start(struct xdp_publish *p, const struct backend *b, struct telemetry *t,
		      volatile sig_atomic_t *stop, char *err, size_t errlen);

/* Waits for the thread to end (after *stop is set). */
void xdp_publish_join(struct xdp_publish *p);

#endif
