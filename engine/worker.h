/* The per-queue worker: one busy-polling loop that moves bursts from a port
 * through the stack and back. It owns its stack and its tx batch; nothing is
 * shared with another worker, so nothing is locked. */
#ifndef MBX_WORKER_H
#define MBX_WORKER_H

#include <signal.h>

#include "capture_ring.h"
#include "idle.h"
#include "port.h"
#include "stack.h"
#include "telemetry.h"
#include "tsc.h"

struct worker {
	struct mbx_port *port;
	struct stack *stack;
	const volatile sig_atomic_t *stop;
	const struct tsc_clock *clock; /* the stack's time, without a clock call */
	struct mbx_frame_vec tx; /* replies waiting for the next tx burst */
	struct capture_ring *capture; /* --capture: frames copied here; NULL when off */
	struct telemetry_worker tel; /* processing times and counters for mbxdp-ctl; part NULL: none */
	uint64_t burst_tsc; /* the TSC when the burst being processed arrived */
	struct idle idle; /* what an empty poll leads to: busy or adaptive */
};

/* The frame source and sink the worker's stack must be built with. */
struct mbx_frame_source worker_frame_source(struct worker *w);
struct mbx_frame_sink worker_frame_sink(struct worker *w);

/* Sends a gratuitous ARP (an RFC 5227 2.3 announcement) for each address
 * the stack owns, so that neighbours learn its MAC before they ask. */
void worker_announce(struct worker *w);

/* Moves n (at most MBX_BURST) received frames through the stack at time
 * now_ns, sends the replies and gives the rest back to the port. The loop
 * below calls it per burst; the in-process replay (tools/replay) calls it
 * with a virtual clock. */
void worker_burst(struct worker *w, struct mbx_frame *rx, uint32_t n, uint64_t now_ns);

/* Sends the replies waiting in the tx batch. The stack's sink fills it
 * during a burst or a tick, which send it at their end; a client stack's
 * application calling stack_connect or stack_send outside them sends
 * its segments with this. */
void worker_flush(struct worker *w);

/* Runs the stack's timers due by now_ns and sends what they sent. The loop
 * below calls it once a tick (2^STACK_TICK_SHIFT ns). */
void worker_tick(struct worker *w, uint64_t now_ns);

/* Runs until *stop becomes non-zero. */
void worker_run(struct worker *w);

#endif
