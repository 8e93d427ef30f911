/* The AF_XDP backend of struct mbx_port: one AF_XDP socket on one receive
 * queue, with a umem of its own, on libxdp's xsk API. The XDP program in
 * front of the sockets (xdp/loader.h) is the caller's: one program serves
 * every queue's socket through its xsks_map. */
#ifndef MBX_PORT_AFXDP_H
#define MBX_PORT_AFXDP_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

/* How the socket gets its frames: zero-copy where the driver offers it,
 * copy otherwise (the kernel tries in that order), or one of them only. */
enum mbx_afxdp_copy { MBX_AFXDP_ANY, MBX_AFXDP_ZERO_COPY, MBX_AFXDP_COPY };

#define MBX_AFXDP_RING_DEFAULT 2048u /* libxdp's default ring size */
#define MBX_AFXDP_RING_MIN 64u
#define MBX_AFXDP_RING_MAX 32768u
#define MBX_AFXDP_FRAMES_MAX (1u << 18) /* 1 GiB of umem per queue */

struct mbx_afxdp_config {
	const char *ifname;
	uint32_t queue; /* receive queue to bind */
	enum mbx_afxdp_copy copy;
	/* Ring sizes (powers of two; the fill ring is as large as rx, the
	 * completion ring as tx) and umem frames; 0: the defaults. */
	uint32_t rx_ring, tx_ring, frames;
	/* Preferred busy polling (SO_PREFER_BUSY_POLL, SO_BUSY_POLL,
	 * SO_BUSY_POLL_BUDGET): the worker's polls run the driver's NAPI
	 * instead of waiting for its interrupt. 0: off. */
	uint32_t busy_poll_us;
};

/* Sets up the umem and binds the socket to its queue; nothing is steered
 * to it until mbx_afxdp_serve(). On failure returns NULL with a one-line
 * reason in err. mbx_port_close() undoes it. */
struct mbx_port *mbx_afxdp_open(const struct mbx_afxdp_config *cfg, char *err, size_t errlen);

/* Puts the socket into the XDP program's xsks_map at its queue. 0, or -1
 * with err set. */
int mbx_afxdp_serve(struct mbx_port *p, int xsks_map_fd, char *err, size_t errlen);

/* The receive queues of ifname (its channels: rx plus combined). 0, or -1
 * with err set when the interface is missing or its driver does not say. */
int mbx_afxdp_queue_count(const char *ifname, uint32_t *n, char *err, size_t errlen);

/* "zero-copy" or "copy": what the kernel gave the socket. */
const char *mbx_afxdp_mode_name(const struct mbx_port *p);

/* The AF_XDP socket, to sleep on with poll() (POLLIN: the rx ring has
 * frames). */
int mbx_afxdp_fd(const struct mbx_port *p);

#endif
