/* mbxdp-bench's kernel-bypass master (--afxdp IF, --dpdk): the Modbus
 * master on the engine's own port layer, worker loop and TCP stack (a
 * client stack, stack.h stack_connect and stack_connect6), one worker per
 * queue, each on the thread it was started on. Source addresses come from
 * the --source prefix, IPv4 or IPv6, whose ARP or Neighbor Solicitations
 * the steering program answers (client mode, xdp/loader.h); the target's
 * MAC is resolved by ARP or Neighbor Discovery at start. Latency is taken at the rings:
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

/* The widest --source prefixes. IPv4: one steering program lists every
 * address (a /16 fills its map). IPv6: every worker's stack names each
 * address it connects from, LOCAL6_MAX at most (tcp/addr6.h). */
#define BYPASS_SOURCE_MIN 16
#define BYPASS_SOURCE6_MIN 118

/* Parses --source: "A.B.C.D/LEN", LEN 16 to 32, or an IPv6 unicast
 * "ADDR/LEN", LEN 118 to 128; no bits beyond LEN. NULL, or what is wrong
 * with s in a few words. */
const char *bypass_parse_source(const char *s, struct bypass_source *src);

struct reporter;

/* Runs the master o describes until its end or *stop, reporting through
 * rep, and adds every worker's figures into total and h. 0; -1 with one
 * line in err when it could not start (interface, DPDK, no ARP or Neighbor
 * Discovery answer from the target, memory); -2 when rep refused its log. */
int bypass_run(const struct options *o, volatile sig_atomic_t *stop, struct reporter *rep,
	       struct counters *total, struct histogram *h, char *err, size_t errlen);

/* One worker of the master on a port the caller moves frames for, driven a
 * turn of its loop at a time: the same code as a queue's worker in
 * bypass_run, without a backend (bench_generator runs it against mbxdp's
 * stack in memory). mac is the port's, mtu its frames', raddr the target
 * (as on the wire, of the --source's family) at dst_mac. The run's windows start now. NULL with one
 * line in err when memory is short. */
struct bworker;
struct mbx_port;
struct tsc_clock;
struct bworker *bypass_worker_open(const struct options *o, struct mbx_port *port,
				   const uint8_t mac[6], uint32_t mtu, const uint8_t *raddr,
				   const uint8_t dst_mac[6], const struct tsc_clock *clock,
				   volatile sig_atomic_t *stop, struct progress *pub, char *err,
				   size_t errlen);

/* One turn: a receive burst, the connects, requests and timeouts due, the
 * transmit batch, the timers. 0 once the run is over. */
int bypass_worker_turn(struct bworker *w);

/* The worker's counters so far, and its measured window (TSC ns). */
const struct counters *bypass_worker_counters(const struct bworker *w, uint64_t *t_measure,
					      uint64_t *t_end);

/* The run's end (bypass_run's: what is in flight counts, every connection
 * is reset), its figures added into total and h, the worker freed. */
void bypass_worker_close(struct bworker *w, struct counters *total, struct histogram *h);

#endif
