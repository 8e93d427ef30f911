/* In-engine telemetry: what a worker did, readable while it runs.
 *
 * Everything lives in one shared-memory file, /dev/shm/<name>.stats, that
 * the worker writes and `mbxdp-ctl stats` maps read-only:
 * - the histogram of each request's processing time, from the receipt of its
 *   burst until the burst's replies are written, ready for the port (TSC
 *   ticks), recorded in place;
 * - the counters (port, stack drop reasons, Modbus per function code and
 *   exception, idle mode, open connections), which the worker keeps in its
 *   own structures and copies here every TELEMETRY_PUBLISH_MS under a
 *   sequence count, so a reader never sees half a copy.
 *
 * Cost on the data path, per burst, not per request: one TSC read (the
 * burst's start is already stamped for the stack's clock), one histogram
 * bucket, one compare against the next publication time. No system call, no
 * lock: the worker is the only writer. */
#ifndef MBX_TELEMETRY_H
#define MBX_TELEMETRY_H

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "loader.h"
#include "modbus/modbus.h"
#include "port.h"
#include "stack.h"
#include "tsc.h"

#define TELEMETRY_PUBLISH_MS 100 /* counters are at most this old in mbxdp-ctl */
#define TELEMETRY_NAME_MAX 200 /* an instance name; the file is /dev/shm/<name>.stats */
#define TELEMETRY_MAGIC 0x7374786dU /* "mxts" */

/* The time of the worker's loops that found no frame, in either idle mode
 * (busy polling runs a core at 100 % whether frames come or not: against
 * the time between two publications this tells how busy the worker was),
 * and what the adaptive idle mode did (idle.h). */
#define IDLE_COUNTERS(X) \
	X(idle_ticks_empty, "TSC ticks of the worker's loops that found no frame, asleep in them included") \
	X(idle_sleeps, "times the worker slept on the socket (adaptive idle)") \
	X(idle_wakeups_traffic, "sleeps that ended because frames arrived (adaptive idle)") \
	X(idle_ticks_asleep, "TSC ticks the worker spent asleep (adaptive idle)")

struct idle_counters {
#define X(name, help) uint64_t name;
	IDLE_COUNTERS(X)
#undef X
};

/* One worker's part of the file, on cache lines of its own: each worker
 * writes only its part, so no two cores share a line. */
struct mbx_stats_worker {
	/* Odd while the worker copies the counters below; a reader retries. */
	uint64_t seq;
	uint64_t published_tsc;
	uint32_t queue; /* the receive queue it serves; set before it starts */
	int32_t cpu; /* the CPU it is pinned to; the same */
	uint64_t open_connections;
	struct mbx_port_counters port;
	struct stack_counters stack;
	struct mb_counters mb;
	struct idle_counters idle;
	/* Written in place, outside seq: a reader may see one burst's record
	 * half done, which moves a percentile by nothing it could show. */
	struct histogram proc_ticks;
} __attribute__((aligned(64)));

/* The XDP program's counters (steer_abi.h), summed over CPUs: its map is
 * per CPU, and reading it is a system call per slot, so the workers never
 * do it; a housekeeping thread of the engine (xdp_publish.h) copies them
 * here every TELEMETRY_PUBLISH_MS under this part's own sequence count. */
struct mbx_stats_xdp {
	uint64_t seq; /* odd while the copy is made, as in a worker's part */
	uint64_t published_tsc;
	uint64_t present; /* 1 once a steering program's counters are here */
	struct mbx_xdp_counters ctr;
} __attribute__((aligned(64)));

/* The shared file's layout: this header, then n_workers parts. A reader
 * checks magic and the sizes: an mbxdp-ctl built from other sources than
 * the engine refuses rather than misreads. */
struct mbx_stats_shm {
	uint32_t magic;
	uint32_t size; /* sizeof(struct mbx_stats_shm) */
	uint32_t worker_size; /* sizeof(struct mbx_stats_worker) */
	uint32_t n_workers;
	uint32_t pid;
	char desc[192]; /* what it serves: "IF queue N (native XDP, copy)", ... */
	char idle_mode[16];
	uint64_t tsc_hz; /* turns the histogram's ticks into time */
	struct mbx_stats_xdp xdp;
	struct mbx_stats_worker worker[];
};

/* The engine's file. */
struct telemetry {
	struct mbx_stats_shm *shm;
	size_t len;
	int fd; /* the shared file, locked while this engine runs; -1: private memory */
	char path[TELEMETRY_NAME_MAX + 16];
};

/* What a worker needs to keep its part. */
struct telemetry_worker {
	struct mbx_stats_worker *part;
	const struct stack *stack;
	const struct mbx_port *port;
	const struct idle_counters *idle; /* NULL: the idle counters stay 0 */
	uint64_t interval_ticks;
	uint64_t next_publish;
};

struct owned_file_mode;

/* Creates /dev/shm/<name>.stats for n_workers workers with the owner and
 * mode `mode` gives (owned_file.h: replacing a file a dead engine of ours
 * left, refusing anyone else's and one a running engine holds) and maps
 * it. 0, or -1 with a one-line reason in err. */
int telemetry_open(struct telemetry *t, const char *name, uint32_t n_workers,
		   const struct tsc_clock *clock, const struct owned_file_mode *mode, char *err,
		   size_t errlen);

/* The same layout in private memory, for a benchmark without a file. */
int telemetry_open_private(struct telemetry *t, uint32_t n_workers, const struct tsc_clock *clock);

/* Unmaps and removes the file: the name is free for the next run. */
void telemetry_close(struct telemetry *t);

/* Gives worker i its part: its stack, its port and its idle counters are
 * what it will publish. */
void telemetry_attach(struct telemetry_worker *tw, struct telemetry *t, uint32_t i,
		      const struct stack *stack, const struct mbx_port *port,
		      const struct idle_counters *idle, const struct tsc_clock *clock);

/* Records where worker i runs: its queue and its CPU. */
void telemetry_place(struct telemetry *t, uint32_t i, uint32_t queue, int cpu);

/* Copies the worker's counters into its part now. */
void telemetry_publish(struct telemetry_worker *tw, uint64_t now_tsc);

/* After a burst has been processed, its replies written and not yet handed
 * to the port: t0 is the TSC read when the burst arrived, requests_before
 * the worker's Modbus request count then. Records the burst's time once for
 * every request in it and returns the TSC now.
 *
 * The hand-over is left out on purpose: in AF_XDP copy mode it is a sendto()
 * in which the kernel copies each frame and, on veth, runs the receiving
 * side's network stack as well; that is the kernel's time, not the
 * engine's. */
static inline uint64_t telemetry_burst(struct telemetry_worker *tw, uint64_t t0,
				       uint64_t requests_before)
{
	uint64_t t1 = tsc_read();
	uint64_t n = tw->stack->mb->ctr.mb_requests - requests_before;

	if (n)
		hist_record_n(&tw->part->proc_ticks, t1 - t0, n);
	return t1;
}

/* Publishes the counters when due; t1 from telemetry_burst(), after the
 * replies went out so the copy never delays them. */
static inline void telemetry_tick(struct telemetry_worker *tw, uint64_t now_tsc)
{
	if (now_tsc >= tw->next_publish)
		telemetry_publish(tw, now_tsc);
}

/* Copies the XDP program's counters into the file now (the seqlock of
 * telemetry_publish, for the one housekeeping thread that writes them). */
void telemetry_publish_xdp(struct telemetry *t, const struct mbx_xdp_counters *c,
			   uint64_t now_tsc);

/* Checks a name for /dev/shm: letters, digits, '.', '_', '-', not starting
 * with '.', at most TELEMETRY_NAME_MAX characters. */
int telemetry_name_ok(const char *name);

#endif
