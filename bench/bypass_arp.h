/* The kernel-bypass master's one ARP exchange (RFC 826): the target's MAC,
 * asked from the first source address before any connection opens. The
 * reply comes to the master's sockets because the steering program in
 * client mode steers ARP replies to its listed addresses. */
#ifndef MBB_BYPASS_ARP_H
#define MBB_BYPASS_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

#define ARP_TRIES 5
#define ARP_WAIT_MS 200 /* per try; a reply on a LAN takes well under a millisecond */

/* Asks for tip from sip (network order) and our MAC on port 0, listening on
 * all n ports; the sender's MAC of the reply into out. 0, or -1 with one
 * line in err after ARP_TRIES unanswered requests. */
int arp_resolve(struct mbx_port *const *ports, uint32_t n, const uint8_t mac[6], uint32_t sip,
		uint32_t tip, uint8_t out[6], char *err, size_t errlen);

#endif
