/* The kernel-bypass master's one neighbour exchange: the target's MAC,
 * asked from the first source address before any connection opens, by ARP
 * (RFC 826) for an IPv4 target, by Neighbor Discovery (RFC 4861 7.2) for an
 * IPv6 one. The answer comes to the master's sockets because the steering
 * program in client mode steers ARP replies, and Neighbor Advertisements,
 * addressed to its listed addresses. */
#ifndef MBB_BYPASS_NEIGH_H
#define MBB_BYPASS_NEIGH_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

#define NEIGH_TRIES 5
#define NEIGH_WAIT_MS 200 /* per try; an answer on a LAN takes well under a millisecond */

/* Asks for tip from sip (family AF_INET or AF_INET6; addresses as on the
 * wire, 4 or 16 bytes) and our MAC on port 0, listening on all n ports;
 * the target's MAC of the answer into out. 0, or -1 with one line in err
 * after NEIGH_TRIES unanswered requests. */
int neigh_resolve(struct mbx_port *const *ports, uint32_t n, const uint8_t mac[6], int family,
		  const uint8_t *sip, const uint8_t *tip, uint8_t out[6], char *err, size_t errlen);

#endif
