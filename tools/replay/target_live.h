/* The live target: a Modbus/TCP server reached over an interface (mbxdp or
 * any peer). The replay is its own TCP client at the frame level: it sends
 * and receives through libpcap on the interface, from a source address the
 * local kernel does not own (otherwise the kernel would reset connections it
 * never opened), and answers ARP (IPv4) or Neighbor Solicitations (IPv6,
 * RFC 4861) for that address itself. */
#ifndef MBX_REPLAY_TARGET_LIVE_H
#define MBX_REPLAY_TARGET_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "target.h"

struct rp_live_config {
	const char *iface;
	struct rp_addr source_ip, target_ip; /* of one family */
	uint16_t port;
	uint64_t resolve_timeout_ns; /* for the target's MAC */
};

/* Opens the interface and finds the target's MAC by ARP, or for IPv6 by
 * Neighbor Discovery. NULL with a one-line reason in err on failure. */
struct rp_target *rp_target_live_open(const struct rp_live_config *cfg, char *err, size_t errlen);

#endif
