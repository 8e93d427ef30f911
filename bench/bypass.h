/* mbxdp-bench's kernel-bypass master (--afxdp IF, --dpdk): the Modbus
 * master on the engine's own port layer, worker loop and TCP stack (a
 * client stack, stack.h stack_connect), one worker per queue, each on the
 * thread it was started on. Source addresses come from the --source prefix,
 * whose ARP the steering program answers (client mode, xdp/loader.h); the
 * target's MAC is resolved by ARP at start. Latency is taken at the rings:
 * the TSC of the burst that sent a request and of the burst that received
 * its answer. */
#ifndef MBB_BYPASS_H
#define MBB_BYPASS_H

#include <signal.h>
#include <stddef.h>

#include "bench.h"
#include "histogram.h"

/* Connections the kernel-bypass master drives in hold and connect-rate
 * modes; closed and open loop keep the socket master's bound (a pipeline
 * table per connection). */
#define BYPASS_CONNS_MAX 4000000u
#define BYPASS_QUEUES_MAX 64 /* mbxdp's workers at most (cli.h) */

/* Parses --source: "A.B.C.D/LEN", LEN 16 to 32 (one steering program lists
 * every address), no bits beyond LEN. addr in host order. 0 or -1. */
int bypass_parse_source(const char *s, uint32_t *addr, uint32_t *len);

/* What mbxdp_bench.c does once a second while the workers run (--progress,
 * --hdr-log): reporter_begin() when the run starts (CLOCK_MONOTONIC times;
 * -1 when the log was refused, said on stderr), then report_loop() until
 * the workers are done. */
struct reporter;
int reporter_begin(struct reporter *r, const struct options *o, uint64_t t_measure);
void report_loop(struct reporter *r, struct progress *p, uint32_t n, uint64_t t_start,
		 uint64_t t_stop);

/* Runs the master o describes until its end or *stop, reporting through
 * rep, and adds every worker's figures into total and h. 0; -1 with one
 * line in err when it could not start (interface, DPDK, no ARP answer from
 * the target, memory); -2 when rep refused its log. */
int bypass_run(const struct options *o, volatile sig_atomic_t *stop, struct reporter *rep,
	       struct counters *total, struct histogram *h, char *err, size_t errlen);

#endif
