/* One replayed connection at the TCP level (RFC 9293, the client's side as
 * far as a replay needs it): our own ISN and port, the server's ISN taken
 * from its SYN-ACK, every seq and ack number written fresh, each server
 * segment acknowledged, a FIN or RST to end. Data goes out in the captured
 * segment boundaries of the flow's client stream; what is not acknowledged
 * is sent again (RFC 6298 in its simplest form: a fixed initial timeout,
 * doubled per try, no RTT estimate). The server's in-order bytes go to a
 * callback. The player (player.h) decides what is sent when. */
#ifndef MBX_REPLAY_TCP_CLIENT_H
#define MBX_REPLAY_TCP_CLIENT_H

#include <stdint.h>

#include "flows.h"
#include "frame_build.h"
#include "target.h"

enum rp_tcp_state { RT_IDLE, RT_SYN_SENT, RT_OPEN, RT_CLOSING, RT_DONE };

struct rp_tcp {
	struct rp_target *t;
	int *io_error; /* set when a frame could not be sent */
	const struct rp_stream *out; /* the captured client stream this connection sends */
	void (*on_data)(void *arg, const uint8_t *b, uint32_t len); /* the server's bytes, in order */
	void *arg;
	uint16_t sport;
	uint16_t mss; /* what our SYN announces, and the largest piece we send */
	/* The target's address of the flow's family, and its server's: the
	 * target's, or the flow's own (rp_target.server_for). */
	struct rp_addr client_ip, server_ip;
	enum rp_tcp_state st;
	uint32_t iss, snd_nxt, snd_una, rcv_nxt;
	uint32_t segs_sent; /* out->segs[0, segs_sent) are sent */
	uint64_t deadline; /* for the SYN-ACK or for the close */
	uint64_t rto_at; /* when what is unacknowledged goes again; 0: nothing is */
	uint32_t retries, retransmissions;
	int server_fin;
	const char *note; /* why it ended other than by a clean close, or NULL */
};

/* Sends the SYN; the SYN-ACK is due within timeout_ns. */
void rp_tcp_open(struct rp_tcp *c, uint32_t iss, uint64_t now, uint64_t timeout_ns);
/* Sends the next captured segment, out->segs[segs_sent] (in MSS-sized
 * pieces if it is larger). Only when open. */
void rp_tcp_send_next(struct rp_tcp *c, uint64_t now);
/* Ends it: a RST (rst != 0), or a FIN whose close must complete within
 * timeout_ns. Only when open; otherwise the connection is just done. */
void rp_tcp_close(struct rp_tcp *c, int rst, uint64_t now, uint64_t timeout_ns);
/* A server segment of this connection (already parsed and checked). */
void rp_tcp_input(struct rp_tcp *c, const struct fb_seg *s, uint64_t now);
/* Deadlines and retransmissions due by now; returns the next time
 * something is due here, or UINT64_MAX. */
uint64_t rp_tcp_timers(struct rp_tcp *c, uint64_t now);
/* Marks it done, keeping the first note. */
void rp_tcp_finish(struct rp_tcp *c, const char *note);

#endif
