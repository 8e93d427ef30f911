/* The in-memory backend of struct mbx_port: no device, no kernel. The caller
 * plays the wire: it feeds frames in with mbx_mem_inject() and takes what the
 * port sent with mbx_mem_take_tx(). For unit tests of code that drives a port
 * (wrappers, the worker) and for benchmarks without I/O.
 *
 * All frames come from one pool allocated at open; nothing is allocated
 * afterwards. Each frame is in exactly one place: free, queued for rx, with
 * the caller (received, allocated or taken from tx), or queued on tx. A frame
 * given back (tx_burst, release) that the caller did not hold is ignored and
 * counted by mbx_mem_bad_returns(), so a test can prove a double release
 * never happened; mbx_mem_free_frames() back at the pool size proves no
 * frame leaked. */
#ifndef MBX_PORT_MEM_H
#define MBX_PORT_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

struct mbx_mem_config {
	uint32_t n_frames; /* pool size */
	uint32_t frame_size; /* bytes per frame: the room of every frame */
};

/* NULL with a one-line reason in err on failure. mbx_port_close() frees it. */
struct mbx_port *mbx_mem_open(const struct mbx_mem_config *cfg, char *err, size_t errlen);

/* Copies len bytes into a free frame and queues it for rx_burst (first in,
 * first out). -1 if no frame is free or len exceeds the frame size. */
int mbx_mem_inject(struct mbx_port *p, const void *bytes, uint32_t len);

/* Moves up to n sent frames, oldest first, to the caller, who gives each
 * back with mbx_port_release(). Returns how many. */
uint32_t mbx_mem_take_tx(struct mbx_port *p, struct mbx_frame *out, uint32_t n);

/* Frames on the free list now. */
uint32_t mbx_mem_free_frames(const struct mbx_port *p);

/* Frames given back by tx_burst or release that the caller did not hold. */
uint64_t mbx_mem_bad_returns(const struct mbx_port *p);

#endif
