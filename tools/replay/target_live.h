/* The live target: a Modbus/TCP server reached over an interface (mbxdp or
 * any peer). The replay is its own TCP client at the frame level: it sends
 * and receives through libpcap on the interface, from a source address the
 * local kernel does not own (otherwise the kernel would reset connections it
 * never opened), and answers ARP for that address itself. */
#ifndef MBX_REPLAY_TARGET_LIVE_H
#define MBX_REPLAY_TARGET_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "target.h"

struct rp_live_config {
	const char *iface;
	uint32_t source_ip, target_ip; /* host order */
	uint16_t port;
	uint64_t arp_timeout_ns;
};

/* Opens the interface and finds the target's MAC by ARP. NULL with a
 * one-line reason in err on failure. */
struct rp_target *rp_target_live_open(const struct rp_live_config *cfg, char *err, size_t errlen);

#endif
