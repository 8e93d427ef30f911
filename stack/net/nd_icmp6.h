/* ICMPv6 for I/O paths where no kernel owns the address (DPDK, tap, pcap,
 * in-memory ports): Neighbor Discovery's solicitations (RFC 4861) and
 * echo (RFC 4443), as arp_icmp.h does ARP and ping for IPv4. On AF_XDP
 * the XDP program answers them, or passes them to the kernel. */
#ifndef MBX_ND_ICMP6_H
#define MBX_ND_ICMP6_H

#include <stdint.h>

#include "stack.h"

/* Answers an ICMPv6 message in place: an echo request to one of the
 * stack's addresses, or a Neighbor Solicitation for one; anything else is
 * dropped and counted. The IPv6 header at l2 is checked; the message
 * starts off bytes after it and the packet is tot bytes long. */
enum stack_verdict icmp6_input(struct stack *s, struct mbx_frame *f, uint32_t l2, uint32_t off,
			       uint32_t tot);

/* Whether addr is the solicited-node multicast address (RFC 4291 2.7.1)
 * of one of the stack's addresses: a solicitation for it is sent there. */
int stack_solicited6(const struct stack *s, const uint8_t addr[16]);

#endif
