/* The per-queue worker: one busy-polling loop that moves bursts from a port
 * through the stack and back. It owns its stack and its tx batch; nothing is
 * shared with another worker, so nothing is locked. */
#ifndef MBX_WORKER_H
#define MBX_WORKER_H

#include <signal.h>

#include "port.h"
#include "stack.h"
#include "tsc.h"

struct worker {
	struct mbx_port *port;
	struct stack *stack;
	const volatile sig_atomic_t *stop;
	const struct tsc_clock *clock; /* the stack's time, without a clock call */
	struct mbx_frame_vec tx; /* replies waiting for the next tx burst */
};

/* The frame source and sink the worker's stack must be built with. */
struct mbx_frame_source worker_frame_source(struct worker *w);
struct mbx_frame_sink worker_frame_sink(struct worker *w);

/* Sends a gratuitous ARP (an RFC 5227 2.3 announcement) for each address
 * the stack owns, so that neighbours learn its MAC before they ask. */
void worker_announce(struct worker *w);

/* Runs until *stop becomes non-zero. */
void worker_run(struct worker *w);

#endif
