/* The port interface: one way to move bursts of frames in and out, whatever
 * the backend (AF_XDP, in-memory, later DPDK and pcap). Modelled on mTCP's
 * io_module: the engine calls these and never knows which backend it drives.
 *
 * Ownership: rx_burst hands frames to the caller. The caller gives each one
 * back exactly once, either through tx_burst (the port sends it and recycles
 * it when the wire is done with it) or through release (dropped).
 */
#ifndef MBX_PORT_H
#define MBX_PORT_H

#include <stdint.h>
#include "frame.h"

struct mbx_port;

/* Counters every backend keeps; printed by the engine at exit. The impair
 * counters are kept only by the fault-injecting wrapper (port_impair.h) and
 * stay 0 on a port without it. */
#define MBX_PORT_COUNTERS(X) \
	MBX_PORT_BACKEND_COUNTERS(X) \
	MBX_PORT_IMPAIR_COUNTERS(X)

#define MBX_PORT_BACKEND_COUNTERS(X) \
	X(port_rx_frames, "frames received from the port") \
	X(port_tx_frames, "frames handed to the port to send") \
	X(port_tx_ring_full, "frames dropped because the tx ring was full") \
	X(port_alloc_empty, "extra frames wanted when none was free") \
	X(port_fill_ring_short, "times the fill ring could not be refilled fully") \
	X(port_kicks, "system calls that woke the kernel to send (AF_XDP sendto)") \
	X(port_rx_scattered, "DPDK: frames in a chain of mbufs, dropped") \
	/* Kept by the kernel or the device, brought in by sync_counters: */ \
	X(port_kernel_rx_dropped, "frames the kernel dropped before they reached our rx ring") \
	X(port_kernel_rx_ring_full, "frames the kernel dropped because our rx ring was full") \
	X(port_kernel_fill_ring_empty, "frames the kernel dropped for want of a fill ring frame") \
	X(port_kernel_invalid_descs, "rx or tx descriptors the kernel refused")

/* Frames the wrapper changed on purpose, per direction (rx: towards the
 * stack, tx: towards the wire). A reorder is counted when a held frame
 * actually leaves after a later one. */
#define MBX_PORT_IMPAIR_COUNTERS(X) \
	X(impair_rx_dropped, "received frames the fault injector dropped") \
	X(impair_rx_duplicated, "received frames the fault injector duplicated") \
	X(impair_rx_reordered, "received frames the fault injector delivered after a later one") \
	X(impair_rx_corrupted, "received frames the fault injector corrupted") \
	X(impair_tx_dropped, "sent frames the fault injector dropped") \
	X(impair_tx_duplicated, "sent frames the fault injector duplicated") \
	X(impair_tx_reordered, "sent frames the fault injector sent after a later one") \
	X(impair_tx_corrupted, "sent frames the fault injector corrupted") \
	X(impair_dup_no_frame, "duplicates that were due when the inner port had no frame")

struct mbx_port_counters {
#define X(name, help) uint64_t name;
	MBX_PORT_COUNTERS(X)
#undef X
};

struct mbx_port_ops {
	const char *name;
	/* Receive up to n frames into f. Never blocks. */
	uint32_t (*rx_burst)(struct mbx_port *p, struct mbx_frame *f, uint32_t n);
	/* Send n frames; the port owns all n afterwards (what it cannot queue it
	 * counts in port_tx_ring_full and recycles). */
	void (*tx_burst)(struct mbx_port *p, const struct mbx_frame *f, uint32_t n);
	/* Give n received or allocated frames back without sending them. */
	void (*release)(struct mbx_port *p, const struct mbx_frame *f, uint32_t n);
	/* An empty frame to write into; 0 on success, -1 if none is free. */
	int (*alloc)(struct mbx_port *p, struct mbx_frame *out);
	/* Brings the counters the kernel or device keeps into p->ctr. A system
	 * call: only off the data path (at exit, for a stats print). */
	void (*sync_counters)(struct mbx_port *p);
	/* Undo everything open did; safe to call once on any exit path. */
	void (*close)(struct mbx_port *p);
};

struct mbx_port {
	const struct mbx_port_ops *ops;
	struct mbx_port_counters ctr;
};

static inline uint32_t mbx_port_rx(struct mbx_port *p, struct mbx_frame *f, uint32_t n)
{
	return p->ops->rx_burst(p, f, n);
}

static inline void mbx_port_tx(struct mbx_port *p, const struct mbx_frame *f, uint32_t n)
{
	if (n)
		p->ops->tx_burst(p, f, n);
}

static inline void mbx_port_release(struct mbx_port *p, const struct mbx_frame *f, uint32_t n)
{
	if (n)
		p->ops->release(p, f, n);
}

static inline int mbx_port_alloc(struct mbx_port *p, struct mbx_frame *out)
{
	return p->ops->alloc(p, out);
}

static inline void mbx_port_sync_counters(struct mbx_port *p)
{
	p->ops->sync_counters(p);
}

static inline void mbx_port_close(struct mbx_port *p)
{
	p->ops->close(p);
}

#endif
