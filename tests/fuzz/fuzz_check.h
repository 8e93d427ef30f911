/* What both stack fuzzers assert after each burst, and the clients whose
 * sequence numbers they follow from the stack's answers (so handshakes
 * complete and requests reach Modbus). */
#ifndef MBX_FUZZ_CHECK_H
#define MBX_FUZZ_CHECK_H

#include <stdint.h>

#include "frame_build.h"
#include "stack_harness.h"

#define FUZZ_CLIENTS 32
#define FUZZ_MSS 1460 /* over IPv4; over IPv6 20 bytes less */

struct fuzz_client {
	struct fb_flow fl;
	uint32_t seq, ack;
	uint32_t answered; /* segments with data the stack sent it */
};

/* Client i: port 20000 + i, every eighth behind VLAN 5; from 198.18.0.2
 * to 198.18.0.1, or every third (i % 3 == 1) from 2001:2::2 to 2001:2::1
 * (the harness stack's addresses). */
void fuzz_client_init(struct fuzz_client *c, int i, uint32_t seq);

/* Checks every reply the harness collected (a well-formed segment with
 * valid checksums, within the MSS; or an ARP reply, an ICMP or ICMPv6
 * echo reply or a Neighbor Advertisement, well formed), follows the clients' sequence numbers from the segments (reseq:
 * a client's next sequence number after a RST), then gives the frames
 * back and checks that none was leaked and that no more connections are
 * open than max_conns. NULL, or what went wrong. */
const char *fuzz_check_burst(struct harness *h, struct fuzz_client *cl, uint32_t reseq,
			     uint32_t max_conns);

/* The pools' accounting against the connections that hold buffers. NULL,
 * or what went wrong. */
const char *fuzz_check_pools(const struct stack *s);

#endif
