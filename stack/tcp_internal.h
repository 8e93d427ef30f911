/* What the TCP input, output and stream files share inside the stack. */
#ifndef MBX_TCP_INTERNAL_H
#define MBX_TCP_INTERNAL_H

#include <stdint.h>

#include "stack.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

#define TCP_HDR_LEN 20
#define IP_HDR_LEN 20
#define TCP_MSS_DEFAULT 536 /* RFC 9293 3.7.1: without the option */
/* Our receive window. Every in-order byte is consumed at once (a split ADU
 * waits in a pool buffer), so a full 16-bit window is the truth. */
#define TCP_RCV_WND 65535u
#define TCP_MAX_SND_WND 65535u /* no window scaling: the largest a peer can offer */

/* Sequence number comparisons modulo 2^32 (RFC 9293 3.4). */
static inline int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline int seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline int seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

/* The addresses and ports of a reply, as on the wire (network order). */
struct tcp_addrs {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
};

/* A received segment, read out of its frame before the reply overwrites it. */
struct tcp_seg {
	struct mbx_frame *f;
	uint32_t l2_len; /* Ethernet header, with its 802.1Q tag if any */
	uint32_t saddr, daddr; /* network order */
	uint16_t sport, dport; /* network order */
	struct tcp_addrs reply; /* the same, turned around */
	uint32_t seq, ack; /* host order */
	uint16_t wnd;
	uint16_t mss; /* MSS option of a SYN, 0 if absent */
	uint8_t flags;
	const uint8_t *payload;
	uint32_t len; /* payload bytes */
};

/* Reply segments being written for one connection. The first reply segment
 * is the received frame itself; more come from the stack's frame source. */
struct tcp_writer {
	struct stack *s;
	struct tcp_conn *c;
	struct mbx_frame *seg; /* the segment being filled */
	struct mbx_frame extra; /* storage for a segment from the frame source */
	struct tcp_addrs reply;
	uint32_t l2_len;
	uint32_t used; /* payload bytes in seg */
	uint32_t cap; /* payload bytes seg may carry */
	int failed; /* an extra frame was needed and none was free */
	int l2_saved;
	/* The reply's Ethernet header, copied into extra segments. Saved before
	 * the first segment goes to the sink, which may send and recycle it. */
	uint8_t l2[18];
};

/* tcp_output.c */
void tcp_out_swap_l2(uint8_t *eth);
/* Writes the IPv4 and TCP headers at l3 for payload_len bytes of payload
 * already in place after them, checksums included. */
void tcp_out_finish(uint8_t *l3, const struct tcp_addrs *a, uint8_t flags, uint32_t seq,
		    uint32_t ack, uint32_t payload_len, uint16_t mss_option);
static inline uint8_t *tcp_out_payload(struct mbx_frame *f, uint32_t l2_len)
{
	return f->data + l2_len + IP_HDR_LEN + TCP_HDR_LEN;
}
void tcp_reply_control(struct stack *s, const struct tcp_seg *seg, uint8_t flags, uint32_t seq,
		       uint32_t ack);
/* A control segment (no payload; the ACK field, if flagged, RCV.NXT) on c
 * with no received frame to answer in: built in a frame from the stack's
 * frame source, with the peer's link layer kept in c. Returns 0, or -1 when
 * no frame was free (counted as drop_no_tx_frame). */
int tcp_send_ctl(struct stack *s, const struct tcp_conn *c, uint8_t flags, uint32_t seq);

/* tcp_writer.c */
void tcp_writer_init(struct tcp_writer *w, struct stack *s, struct tcp_conn *c,
		     const struct tcp_seg *seg);
void tcp_writer_append(struct tcp_writer *w, const uint8_t *p, uint32_t n);
uint8_t *tcp_writer_room(struct tcp_writer *w, uint32_t need);
void tcp_writer_commit(struct tcp_writer *w, uint32_t n);
void tcp_writer_close(struct tcp_writer *w, uint8_t flags);

/* tcp_stream.c */
int tcp_stream_input(struct stack *s, struct tcp_conn *c, const uint8_t *p, uint32_t len,
		     struct tcp_writer *w);
void tcp_stream_release(struct stack *s, struct tcp_conn *c);

/* tcp_input.c */
enum stack_verdict tcp_input(struct stack *s, struct tcp_seg *seg);
/* An ACK for a segment that failed a check (RFC 9293 3.10.7.4); it repeats
 * our FIN while that is unacknowledged. */
enum stack_verdict tcp_reply_ack(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c);

/* tcp_close.c: admission, our own close, and the states after it */
/* A new connection for seg (a valid cookie), after the per-source limit and,
 * when the table is full, an eviction (MIG 4.2.1). NULL when refused: the
 * RST is sent and counted. */
struct tcp_conn *tcp_conn_admit(struct stack *s, struct tcp_seg *seg);
/* Frees c: its ADU buffer, its per-source count, its slot. */
void tcp_conn_release(struct stack *s, struct tcp_conn *c);
/* Closes c on our initiative: a FIN (FIN-WAIT-1) or, with close_rst, a RST
 * and the slot freed. */
void tcp_active_close(struct stack *s, struct tcp_conn *c);
/* The rest of RFC 9293 3.10.7.4 for FIN-WAIT-1, FIN-WAIT-2, CLOSING and
 * TIME-WAIT, from after the ACK field was taken. */
enum stack_verdict tcp_close_input(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c);
/* A SYN in TIME-WAIT: whether it may open a new incarnation. */
int tcp_time_wait_reopens(const struct tcp_conn *c, const struct tcp_seg *seg);
/* For the stack's timer: the earliest tick (2^20 ns, conn_stamp) at which
 * conn_mgmt_expire() has something to do for c (idle timeout, keepalive
 * probe, the end of TIME-WAIT or of our close), UINT64_MAX if none.
 * conn_mgmt_expire() does what is due at s->now_ns (nothing if the deadline
 * moved on since: a request restarts the idle clock without touching a
 * timer) and may free c. */
uint64_t conn_mgmt_deadline(const struct stack *s, const struct tcp_conn *c);
void conn_mgmt_expire(struct stack *s, struct tcp_conn *c);

#endif
