/* What both stack fuzzers assert after each burst, and the clients whose
 * sequence numbers they follow from the stack's answers (so handshakes
 * complete and requests reach Modbus). */
#ifndef MBX_FUZZ_CHECK_H
#define MBX_FUZZ_CHECK_H

#include <stdint.h>

#include "frame_build.h"
#include "stack_harness.h"

#define FUZZ_CLIENTS 32
#define FUZZ_MSS 1460

struct fuzz_client {
	struct fb_flow fl;
	uint32_t seq, ack;
};

/* Client i: 198.18.0.2, port 20000 + i, every eighth behind VLAN 5. */
void fuzz_client_init(struct fuzz_client *c, int i, uint32_t seq);

/* Checks every reply the harness collected (a well-formed segment with
 * valid checksums, within the MSS), follows the clients' sequence numbers
 * from them (reseq: a client's next sequence number after a RST), then
 * gives the frames back and checks that none was leaked and that no more
 * connections are open than max_conns. NULL, or what went wrong. */
const char *fuzz_check_burst(struct harness *h, struct fuzz_client *cl, uint32_t reseq,
			     uint32_t max_conns);

/* The pools' accounting against the connections that hold buffers. NULL,
 * or what went wrong. */
const char *fuzz_check_pools(const struct stack *s);

#endif
