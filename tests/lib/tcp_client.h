/* A test client of the stack harness: one TCP connection's sequence numbers
 * and the segments it sends, so a test reads as a conversation. */
#ifndef MBX_TCP_CLIENT_H
#define MBX_TCP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "frame_build.h"
#include "stack_harness.h"

struct tc_client {
	struct fb_flow fl;
	uint32_t seq; /* our next sequence number */
	uint32_t ack; /* the server's next sequence number */
};

/* A client at ip:port (host order), talking to the harness's 198.18.0.1:502. */
struct tc_client tc_client(uint32_t ip, uint16_t port);
/* The same over IPv6, talking to the harness's 2001:2::1. */
struct tc_client tc_client6(const uint8_t ip[16], uint16_t port);

/* Sends one segment (a SYN carries MSS 1460) after giving back the replies
 * of the previous one; advances seq. Returns the stack's verdict. */
enum stack_verdict tc_send(struct harness *h, struct tc_client *c, uint8_t flags,
			   const void *data, size_t len);

/* The i-th reply sent since the last tc_send, parsed (ok = 0 if there is
 * none or it is malformed). */
struct fb_seg tc_reply(const struct harness *h, uint32_t i);

/* SYN, SYN-ACK, ACK. Returns 0 when the SYN got a SYN-ACK and the ACK was
 * taken silently (the connection is open), -1 otherwise. */
int tc_handshake(struct harness *h, struct tc_client *c);

/* An FC 03 request for 2 registers at addr into p; returns its length. */
size_t tc_read_req(uint8_t *p, uint16_t tid, uint16_t addr);
/* Whether s holds the answer to tc_read_req(tid, addr) in the default image,
 * and nothing else. */
int tc_read_resp_ok(const struct fb_seg *s, uint16_t tid, uint16_t addr);
/* Whether the TC_READ_RESP_LEN bytes at p are that answer (one of several
 * in a segment). */
#define TC_READ_RESP_LEN 13
int tc_read_resp_at(const uint8_t *p, uint16_t tid, uint16_t addr);

#endif
