/* TCP as the other layers see it. Frame input hands it checked segments
 * (tcp_input) and gets back the text TCP accepted (struct tcp_text), which
 * it hands to a server's application; the application answers into the
 * room TCP offers and commits: in the request's own frame (tcp_single_room,
 * tcp_single_commit) or through a writer (tcp_writer_room,
 * tcp_writer_commit); then TCP finishes (tcp_text_done). TCP never calls
 * into a server's application but to tell it of a new connection (its
 * server_open hook), and knows nothing of what the text means. Everything
 * else of TCP is private to stack/tcp (priv/tcp_priv.h). */
#ifndef MBX_TCP_H
#define MBX_TCP_H

#include <stdint.h>

#include "frame.h"
#include "stack.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

#define TCP_HDR_LEN 20

/* Our receive window. Every in-order byte is consumed at once (a split ADU
 * waits in a pool buffer), so a full 16-bit window is the truth, except
 * when a peer does not read its answers: while those not yet sent exceed
 * its window, or its queue is full (SNDQ_LIMIT), no request is taken and
 * the window is 0 (tcp_rcv_wnd). */
#define TCP_RCV_WND 65535u

/* The connection's one receive buffer (c->rx_buf, from the pool
 * s->rx_bufs): the application's message cut by a segment boundary waits
 * there for the rest, or TCP keeps text beyond RCV.NXT there
 * (TCP_HELD_OOO). Its size is the largest message an application may
 * hold, and the room TCP keeps in a send queue for one more answer. */
#define TCP_BUF_SIZE 260

/* The addresses and ports of a reply, as on the wire (network order). An
 * IPv6 reply's addresses are saddr6 and daddr6, which point at 16 bytes
 * each that stay put until the reply is written (the request's own, which
 * the reply's header overwrites, the writer's copy of them, or a
 * connection's side tables); saddr and daddr are then only TCP's keys of
 * them (tcp/addr6.h). */
struct tcp_addrs {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	const uint8_t *saddr6, *daddr6; /* NULL for IPv4 */
	uint64_t sum6; /* IPv6: csum_ip6_addrs() of the two */
	/* The IP header's length: IPv4 without options (IP_HDR_LEN), or
	 * IPv6 without extension headers (IP6_HDR_LEN). */
	uint32_t l3_len;
};

/* A received segment, read out of its frame before the reply overwrites it. */
struct tcp_seg {
	struct mbx_frame *f;
	uint32_t l2_len; /* Ethernet header, with its 802.1Q tag if any */
	/* IPv4: the addresses, network order. IPv6: TCP's keys of them, the
	 * source's fold and the local address's index (tcp/addr6.h). */
	uint32_t saddr, daddr;
	uint16_t sport, dport; /* network order */
	struct tcp_addrs reply; /* the same, turned around */
	uint32_t seq, ack; /* host order */
	uint16_t wnd;
	uint16_t mss; /* MSS option of a SYN, 0 if absent */
	uint8_t flags;
	const uint8_t *payload;
	uint32_t len; /* payload bytes */
	uint8_t v6; /* an IPv6 segment: its addresses are at addr6 */
	/* IPv6: the packet's source then destination, in its frame: read
	 * there until the reply is written over them (the writer keeps a
	 * copy for the segments after its first). */
	const uint8_t *addr6;
};

static inline uint32_t tcp_l3_len(const struct tcp_addrs *a)
{
	return a->l3_len;
}

/* In-order text TCP accepted on a server's connection: len bytes, copied
 * aside to s->scratch (the answers overwrite the frame), and a FIN after
 * them if fin. RCV.NXT is not yet past them: the application moves it
 * past what it consumes. */
struct tcp_text {
	struct tcp_conn *c;
	uint32_t len;
	uint8_t fin;
};

/* hint: the segment's connection, looked up ahead by stack_input_burst
 * on an unchanged table; NULL: look it up (none may exist). On a server
 * stack, STACK_TEXT: *t is text for the application, then for
 * tcp_text_done. */
enum stack_verdict tcp_input(struct stack *s, struct tcp_seg *seg, struct tcp_conn *hint,
			     struct tcp_text *t);
/* The same for a client stack (stack_config.app). */
enum stack_verdict tcp_input_client(struct stack *s, struct tcp_seg *seg, struct tcp_conn *hint);

/* TCP's part of struct stack, from the stack's configuration (tcp.c):
 * 0, or -1 with errno (tcp_free then frees what was had). */
int tcp_init(struct stack *s, const struct stack_config *cfg,
	     const struct conn_policy_config *policy);
void tcp_free(struct stack *s);

/* For a burst looking ahead (net/frame_in.c), before c's segment is
 * processed: starts loading what TCP will touch besides c (its timer entry,
 * the head of its send queue, whose second line the answer's copy writes).
 * Returns whether seg's text is for the application as far as a look ahead
 * can tell (c synchronized, the text in the receive window, RFC 9293
 * 3.10.7.4 first check, no SYN or RST). */
int tcp_ahead_conn(const struct stack *s, const struct tcp_conn *c, const struct tcp_seg *seg);

/* What a server's application made of a tcp_text. */
#define TCP_APP_SENT 1 /* answered in seg's own frame (tcp_single_commit): sent */
#define TCP_APP_WRITER 0 /* written through the writer (tcp_writer_init on seg) */
#define TCP_APP_RESET (-1) /* the connection must be reset (the writer holds what was written) */

/* The one-segment way, for an answer of up to max bytes to text that is
 * consumed whole: room for it in seg's own frame, after the headers, when
 * nothing stands in the way on TCP's side (nothing waits or closes, the
 * frame, both MSS and the peer's window take max bytes, and the send
 * queue's one block can keep them); NULL to take the writer. */
uint8_t *tcp_single_room(struct stack *s, const struct tcp_seg *seg, struct tcp_conn *c,
			 uint32_t max);
/* The answer of n bytes is in the room tcp_single_room gave, for the
 * consumed bytes of text: RCV.NXT moves past them, the answer is kept in
 * the send queue and seg's frame goes with it (a pure ACK if n is 0). */
void tcp_single_commit(struct stack *s, const struct tcp_seg *seg, struct tcp_conn *c,
		       uint32_t consumed, uint32_t n);

/* Reply segments of one connection. In reply to a segment, the first is the
 * received frame itself; others, and all of a frame-less sender's (a timer),
 * come from the stack's frame source.
 *
 * Responses take one of two ways. The fast way: they are written straight
 * into the first segment's payload, which at the end is copied into the
 * send queue and sent. The queued way, when they do not fit one segment or
 * the peer's window, or older bytes still wait to be sent: they go into the
 * send queue, and segments are cut from it as the window allows. */
struct tcp_writer {
	struct stack *s;
	struct tcp_conn *c;
	struct mbx_frame *seg; /* the segment being filled; NULL: take a frame first */
	struct mbx_frame extra; /* storage for a segment from the frame source */
	struct tcp_addrs reply;
	uint32_t l2_len;
	uint32_t used; /* payload bytes in seg (fast way) */
	uint32_t cap; /* payload bytes seg may carry */
	/* Bytes the fast way may write before tcp_writer_reserve() has to
	 * look further: the room in the one block of the send queue. */
	uint32_t room;
	uint8_t failed; /* no room or frame: the rest of the input is left unacknowledged */
	/* An IPv6 request's addresses, source then destination: its frame,
	 * where they were, is sent with the first segment. */
	uint8_t addr6[32];
	uint8_t queued; /* the responses go through the send queue */
	uint8_t l2_saved;
	/* The reply's Ethernet header, copied into extra segments. Saved before
	 * the first segment goes to the sink, which may send and recycle it. */
	uint8_t l2[18];
};

/* In reply to seg: its frame is the first segment. */
void tcp_writer_init(struct tcp_writer *w, struct stack *s, struct tcp_conn *c,
		     const struct tcp_seg *seg);
/* Makes sure a response of up to n bytes can be queued; 0, or -1 (and
 * failed set) when the send buffer pool is empty. Inline for the common
 * case: one block with room. */
int tcp_writer_reserve_slow(struct tcp_writer *w, uint32_t n);
static inline int tcp_writer_reserve(struct tcp_writer *w, uint32_t n)
{
	if (w->room && w->used + n <= w->room) /* room 0: perhaps no block at all */
		return 0;
	return tcp_writer_reserve_slow(w, n);
}
void tcp_writer_append(struct tcp_writer *w, const uint8_t *p, uint32_t n);
uint8_t *tcp_writer_room(struct tcp_writer *w, uint32_t need);
void tcp_writer_commit(struct tcp_writer *w, uint32_t n);
/* After the application, for its TCP_APP_WRITER or TCP_APP_RESET: what
 * was written goes, with our FIN if t->fin is consumed, or after it our RST
 * and the connection is freed. */
enum stack_verdict tcp_text_done(struct stack *s, const struct tcp_seg *seg,
				 const struct tcp_text *t, int app, struct tcp_writer *w);

/* Whether the answers not yet sent exceed what the peer's window takes:
 * then the application reads no further request (RFC 9293 3.8.6: what
 * waits for the peer's window is ours to hold). */
int tcp_writer_backlogged(const struct tcp_writer *w);

/* c's receive buffer for the application (see TCP_BUF_SIZE): 0, and
 * c->rx_buf is its, c->rx_held 0; or -1 when c's share of the pool or the
 * pool is exhausted (counted). Out-of-order text TCP kept there is given
 * up for it (counted), and comes again from the peer. */
int tcp_buf_take(struct stack *s, struct tcp_conn *c);
static inline uint8_t *tcp_buf(const struct stack *s, const struct tcp_conn *c)
{
	return (uint8_t *)s->rx_bufs.mem + (size_t)c->rx_buf * TCP_BUF_SIZE;
}
/* Whether c's receive buffer holds the application's bytes. */
static inline int tcp_buf_held(const struct tcp_conn *c)
{
	return c->rx_buf != CONN_NONE && !(c->rx_held & TCP_HELD_OOO);
}
/* Gives back c's receive buffer (out-of-order text, or the application's
 * split message), if it holds one. */
void tcp_buf_release(struct stack *s, struct tcp_conn *c);

#endif
