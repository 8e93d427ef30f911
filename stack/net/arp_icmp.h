/* ARP and ICMP echo for I/O paths where no kernel owns the address (DPDK,
 * tap, pcap, in-memory ports). On AF_XDP the kernel owns the address: the
 * XDP program passes ARP and ICMP to it and the stack owns no address. */
#ifndef MBX_ARP_ICMP_H
#define MBX_ARP_ICMP_H

#include <stdint.h>

#include "stack.h"

/* Answers an ARP request for one of the stack's addresses in place
 * (RFC 826); anything else is dropped and counted. l2 is the Ethernet header
 * length (with an 802.1Q tag). */
enum stack_verdict arp_input(struct stack *s, struct mbx_frame *f, uint32_t l2);

/* Answers an ICMP echo request (RFC 792, RFC 1122 3.2.2.6) in place; the IPv4
 * header at l2 has been checked and is addressed to us. */
enum stack_verdict icmp_input(struct stack *s, struct mbx_frame *f, uint32_t l2, uint32_t ihl,
			      uint32_t tot);

#endif
