/* What the files of TCP share, and no other layer sees: the send queue's
 * blocks, the timers' arithmetic, the writer's inside, admission and close.
 * The other layers use tcp/tcp.h. */
#ifndef MBX_TCP_PRIV_H
#define MBX_TCP_PRIV_H

#include <stdint.h>

#include "tcp/tcp.h"

#define TCP_MSS_DEFAULT 536 /* RFC 9293 3.7.1: without the option */
#define TCP_MSS_DEFAULT6 1220 /* the same over IPv6 (RFC 9293 3.7.1, RFC 8200 5) */
#define TCP_MSS_MIN 88 /* smallest peer MSS we honour, as Linux's TCP_MIN_MSS */
#define TCP_MAX_SND_WND 65535u /* no window scaling: the largest a peer can offer */

/* Answers to segments that failed a check (an ACK to an unacceptable
 * sequence number, a challenge ACK) go out at most once per TCP_OOW_GAP per
 * connection (RFC 5961 7; Linux's tcp_invalid_ratelimit, 500 ms): so two
 * peers cannot be made to exchange them without end, and no connection can
 * be probed with them faster. Time in units of 2^TCP_OOW_SHIFT ticks
 * (c->oow_ack_at). */
#define TCP_OOW_SHIFT 4
#define TCP_OOW_GAP 30 /* 503 ms */

/* Per-connection timers on the stack's hashed timing wheel.
 *
 * Each connection has ONE wheel entry (entry i is connection i). Several
 * kinds of deadline share it: the retransmission / persist deadline of the
 * send queue (tcp_sndq.c) and connection management's (idle timeout,
 * TIME-WAIT, keepalive). Every kind keeps its own deadline where its owner
 * keeps its state; the wheel entry only has to fire no later than the
 * earliest of them.
 *
 * Lazily: moving a deadline LATER (the retransmission timer restarted by
 * every ACK, the idle timer by every request) costs no wheel operation. The
 * entry fires at the old time, the dispatcher (tcp.c) finds nothing
 * due, and re-arms at the earliest deadline. Setting a deadline EARLIER than
 * the entry may fire calls tcp_timer_ensure(), which is a compare when the
 * entry already fires in time. So a request costs no wheel operation in the
 * steady state, and a connection no more than one entry's fire per
 * retransmission timeout while it is busy.
 *
 * Time is in ticks of 2^STACK_TICK_SHIFT ns, read from s->now_ns (the
 * engine's TSC time): no clock call. Deadlines stored in a connection or a
 * send buffer may be kept as the low 32 bits of a tick (52 days of range);
 * tcp_tick_expand() gives the full tick back. */

/* RFC 6298 2.1: the RTO before any measurement, 1 s; 2.5: at most 60 s. */
#define TCP_RTO_INITIAL_MS 1000u
#define TCP_RTO_MAX_MS 60000u

static inline uint64_t tcp_now_tick(const struct stack *s)
{
	return s->now_ns >> STACK_TICK_SHIFT;
}

/* Ticks in ms milliseconds, rounded up. */
static inline uint32_t tcp_ticks_from_ms(uint32_t ms)
{
	return (uint32_t)(((uint64_t)ms * 1000000u + (1u << STACK_TICK_SHIFT) - 1) >> STACK_TICK_SHIFT);
}

/* The full tick of a deadline kept in 32 bits, within 2^31 ticks of now. */
static inline uint64_t tcp_tick_expand(const struct stack *s, uint32_t t)
{
	uint64_t now = tcp_now_tick(s);
	int32_t d = (int32_t)(t - (uint32_t)now);

	return d < 0 && (uint64_t)-(int64_t)d > now ? 0 : now + (uint64_t)(int64_t)d;
}

/* Whether a 32-bit deadline has come. */
static inline int tcp_tick_due(const struct stack *s, uint32_t t)
{
	return (int32_t)((uint32_t)tcp_now_tick(s) - t) >= 0;
}

/* Makes c's wheel entry fire at tick `at` or before: call after setting a
 * deadline that may be earlier than the one the entry is armed for. */
void tcp_timer_ensure(struct stack *s, struct tcp_conn *c, uint64_t at);

/* Arms c's entry at the earliest deadline of all kinds (nothing if none;
 * an entry left armed for a deadline that went away fires harmlessly). */
void tcp_timer_arm(struct stack *s, struct tcp_conn *c);

/* The wheel's callback: runs the kinds that are due on connection idx,
 * then re-arms it. */
void tcp_timer_fired(void *arg, uint32_t idx);

/* Sequence number comparisons modulo 2^32 (RFC 9293 3.4). */
static inline int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline int seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline int seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

/* A connection's send queue: the response bytes from SND.UNA on, sent or
 * not, in a chain of pool blocks taken only while there are any (or while
 * our FIN waits for its ACK). The head block also carries the state of the
 * retransmission timer, which runs exactly while a queue exists: an idle
 * connection holds no block and no timer state beyond srtt8 / rttvar4.
 * A typical response (10 to 260 bytes) and the header share the head
 * block's first cache lines. */
#define SNDQ_BLOCK 512
#define SNDQ_HDR 32
#define SNDQ_DATA (SNDQ_BLOCK - SNDQ_HDR)
/* The most a connection may queue: more than the largest window a peer
 * can offer (no window scaling) would never be sent in one round trip. */
#define SNDQ_LIMIT 65535u
#define SNDQ_TIMING 0x01 /* an RTT measurement runs (RFC 6298 3, Karn's rule) */
#define SNDQ_ARMED 0x02 /* the wheel entry fires by the deadline (tcp_priv.h) */
#define SNDQ_PERSIST 0x04 /* the timer is the persist timer: a closed window, nothing in flight */

struct sndq_block {
	uint32_t next; /* the next block of the chain, CONN_NONE after the last */
	/* The rest is meaningful in the head block only; it moves along with
	 * the head when a fully acknowledged head block is freed. */
	uint32_t wblk; /* the block the next appended byte goes to */
	uint32_t len; /* bytes queued from SND.UNA on */
	uint16_t off; /* where SND.UNA's byte lies in this block */
	uint16_t wlen; /* bytes used in wblk */
	/* Tick (low 32 bits) the retransmission or persist timer was last
	 * (re)started; it expires an RTO later (sndq_deadline()). */
	uint32_t rto_start;
	uint32_t rtt_seq; /* the measurement ends when this is acknowledged */
	/* Tick the measured segment went out; with TCP_CF_ZW (no measurement
	 * runs then), the tick the peer's window was first seen closed. */
	uint32_t rtt_at;
	uint8_t retries; /* timeouts since the peer last acknowledged anything */
	uint8_t backoff; /* RFC 6298 5.5: the RTO is doubled this many times */
	uint8_t flags; /* SNDQ_* */
	uint8_t nblk; /* blocks in the chain (SNDQ_LIMIT bytes take at most 138) */
	uint8_t data[SNDQ_DATA];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct sndq_block) == SNDQ_BLOCK, "send buffer block size");
_Static_assert(__builtin_offsetof(struct sndq_block, data) == SNDQ_HDR, "send buffer header size");

static inline struct sndq_block *sndq_blk(const struct stack *s, uint32_t i)
{
	return (struct sndq_block *)s->snd.mem + i;
}

static inline struct sndq_block *sndq_head(const struct stack *s, const struct tcp_conn *c)
{
	return sndq_blk(s, c->snd_buf);
}

/* Sequence space of the queue: [SND.UNA, SND.UNA + len) is data, then our
 * FIN if TCP_CF_FIN. Of it, [SND.UNA, SND.NXT) has been sent. */
static inline uint32_t sndq_sent_data(const struct tcp_conn *c, const struct sndq_block *b)
{
	uint32_t sent = c->snd_nxt - c->snd_una;

	return sent < b->len ? sent : b->len;
}

static inline int sndq_fin_sent(const struct tcp_conn *c, const struct sndq_block *b)
{
	return (c->flags & TCP_CF_FIN) && c->snd_nxt - c->snd_una == b->len + 1;
}

/* The source a peer counts as for the per-source limit and the shares
 * (conn_policy.h, share.h): an IPv4 peer's address, or its IPv6 /64's key
 * (addr6.h). A priority source is IPv4 only. */
static inline uint32_t conn_source(const struct stack *s, const struct tcp_conn *c)
{
	if (__builtin_expect(c->cm_flags & CONN_V6, 0))
		return addr6_source_key(s->conns.hash_key, s->conns.raddr6[c - s->conns.conns]);
	return c->raddr;
}

static inline uint32_t seg_source(const struct stack *s, const struct tcp_seg *seg)
{
	if (__builtin_expect(seg->v6, 0))
		return addr6_source_key(s->conns.hash_key, seg->addr6);
	return seg->saddr;
}

/* An IPv6 segment's peer address, for conn_is and its kin; NULL for IPv4. */
static inline const uint8_t *seg_raddr6(const struct tcp_seg *seg)
{
	return seg->v6 ? seg->addr6 : 0;
}

/* Whether c is still seg's connection after an application's callback,
 * which may have closed it and opened another, of either family, in its
 * slot (conn_is trusts a lookup's tag for the family). */
static inline int conn_still_of(const struct stack *s, const struct tcp_conn *c,
				const struct tcp_seg *seg)
{
	return !(c->cm_flags & CONN_V6) == !seg->v6 &&
	       conn_is(&s->conns, c, seg->saddr, seg->daddr, seg->sport, seg->dport, seg_raddr6(seg));
}

/* Our MSS on seg's or c's family: the configured one is IPv4's (the MTU
 * less 40), IPv6's header is 20 bytes longer (RFC 8200 3). */
static inline uint32_t tcp_our_mss(const struct stack *s, int v6)
{
	return v6 ? s->mss - 20u : s->mss;
}

/* share.c: fair shares of the pools (share.h). */
/* Whether c, holding conn_held buffers of pool p, may take one more: 0,
 * and the buffer is counted to c's source (the caller then takes it from
 * the pool, which has one free); or SHARE_POOL_EMPTY, SHARE_CONN_FULL or
 * SHARE_SOURCE_FULL, for the caller to count (share_count_refusal). */
int share_take(struct stack *s, const struct tcp_conn *c, enum share_pool p, uint32_t conn_held);
/* n buffers of pool p given back by c. */
void share_return(struct stack *s, const struct tcp_conn *c, enum share_pool p, uint32_t n);
/* Counts a refusal of share_take (an empty pool is the caller's own drop). */
static inline void share_count_refusal(struct stack *s, int r)
{
	if (r == SHARE_CONN_FULL)
		s->ctr.drop_conn_share++;
	else if (r == SHARE_SOURCE_FULL)
		s->ctr.drop_source_share++;
}

/* tcp_sndq.c */
/* Makes room for n more bytes (taking blocks as needed, a head block even
 * for n = 0). Returns 0, or share_take's refusal (not counted) when a
 * block could not be had. */
int sndq_reserve(struct stack *s, struct tcp_conn *c, uint32_t n);
/* Appends n bytes; room for them was reserved. */
void sndq_append(struct stack *s, struct tcp_conn *c, const uint8_t *p, uint32_t n);
/* Copies n queued bytes from offset `from` (relative to SND.UNA) to dst. */
void sndq_copy(const struct stack *s, const struct tcp_conn *c, uint32_t from, uint8_t *dst,
	       uint32_t n);
/* Forgets the first n bytes (acknowledged), freeing blocks left empty. */
void sndq_drop(struct stack *s, struct tcp_conn *c, uint32_t n);
/* Gives every block back. */
void sndq_release(struct stack *s, struct tcp_conn *c);
/* Gives the blocks back if nothing is left to send or to be acknowledged
 * (a queued FIN keeps them until its ACK). */
static inline void sndq_release_if_done(struct stack *s, struct tcp_conn *c)
{
	if (c->snd_buf != CONN_NONE && !sndq_head(s, c)->len && !(c->flags & TCP_CF_FIN))
		sndq_release(s, c);
}

/* Bytes of new data the peer's window takes now (RFC 9293 3.8.6: the usable
 * window SND.UNA + SND.WND - SND.NXT, none if the window shrank). */
static inline uint32_t tcp_window_room(const struct tcp_conn *c)
{
	uint32_t in_flight = c->snd_nxt - c->snd_una;

	return c->peer_wnd > in_flight ? c->peer_wnd - in_flight : 0;
}

/* Whether the answers of c not yet sent (unsent bytes) exceed what the
 * peer's window takes: no further request is read then (mbap_stream.c). */
static inline int tcp_backlogged(const struct tcp_conn *c, uint32_t unsent)
{
	return unsent > tcp_window_room(c);
}

/* The window we advertise (see TCP_RCV_WND). */
static inline uint16_t tcp_rcv_wnd(const struct stack *s, const struct tcp_conn *c)
{
	const struct sndq_block *h;

	/* A full or backlogged queue has bytes waiting, or nearly a whole
	 * window in flight: the connection alone tells when the queue need
	 * not be looked at. */
	if (__builtin_expect(!(c->flags & TCP_CF_WAITING) &&
			     c->snd_nxt - c->snd_una <= SNDQ_LIMIT - TCP_BUF_SIZE, 1))
		return TCP_RCV_WND;
	if (c->snd_buf == CONN_NONE)
		return TCP_RCV_WND;
	h = sndq_head(s, c);
	if (h->len > SNDQ_LIMIT - TCP_BUF_SIZE || tcp_backlogged(c, h->len - sndq_sent_data(c, h)))
		return 0;
	return TCP_RCV_WND;
}

/* tcp_out.c: headers, and the one-segment way of an answer */
/* Writes the IP and TCP headers at l3 for payload_len bytes of payload
 * already in place after them, checksums included: IPv4, or IPv6 where a
 * has IPv6 addresses (tcp_out_finish6). */
void tcp_out_finish(uint8_t *l3, const struct tcp_addrs *a, uint8_t flags, uint32_t seq,
		    uint32_t ack, uint32_t payload_len, uint16_t mss_option, uint16_t wnd);
void tcp_out_finish6(uint8_t *l3, const struct tcp_addrs *a, uint8_t flags, uint32_t seq,
		     uint32_t ack, uint32_t payload_len, uint16_t mss_option, uint16_t wnd);
/* Writes the Ethernet header of c's frame-less segments; returns its length. */
uint32_t tcp_out_l2(const struct stack *s, const struct tcp_conn *c, uint8_t *eth);
/* Keeps the peer's MAC and 802.1Q tag of the frame that opened c. */
void tcp_out_learn_l2(struct stack *s, const struct tcp_conn *c, const uint8_t *eth,
		      uint32_t l2_len);
/* Where the payload of w's segment in frame f starts. */
static inline uint8_t *tcp_out_payload(const struct tcp_writer *w, struct mbx_frame *f)
{
	return f->data + w->l2_len + tcp_l3_len(&w->reply) + TCP_HDR_LEN;
}
void tcp_reply_control(struct stack *s, const struct tcp_seg *seg, uint8_t flags, uint32_t seq,
		       uint32_t ack, uint16_t wnd);

/* tcp_writer.c */
/* For a timer: every segment from the frame source. */
void tcp_writer_init_conn(struct tcp_writer *w, struct stack *s, struct tcp_conn *c);
/* Sends what was written, with our FIN after it if flags has TCP_FIN (the
 * FIN is then queued: TCP_CF_FIN), and at least an ACK. */
void tcp_writer_close(struct tcp_writer *w, uint8_t flags);
/* Sends queued bytes (and a queued FIN) the peer's window allows, as
 * sender silly window avoidance lets it (RFC 9293 3.8.6.2.1). Returns how
 * many segments went out. how: */
#define TCP_FLUSH_ACK 0x01 /* a pure ACK when there is nothing to send */
#define TCP_FLUSH_OVERRIDE 0x02 /* the override timeout: what fits goes, however little */
uint32_t tcp_writer_flush(struct tcp_writer *w, int how);
/* Sends the oldest unacknowledged segment again (RFC 6298 5.4), or with
 * nothing in flight and a closed window, a one-octet probe (RFC 9293
 * 3.8.6.1). Returns 0, or -1 when no frame was free. */
int tcp_writer_resend(struct tcp_writer *w);
/* A control segment with no text: <SEQ=seq><ACK=RCV.NXT><CTL=flags>, our
 * MSS option on a SYN; 0, or -1 when no frame was free. */
int tcp_writer_control(struct tcp_writer *w, uint8_t flags, uint32_t seq);
/* n bytes of new data, sent now from a frame of the frame source and kept
 * in the send queue until acknowledged (a client stack's stack_send; the
 * caller checked that nothing waits and the window takes them). 0, or -1
 * when no send block (counted) or frame was free: nothing is queued then. */
int tcp_writer_send(struct stack *s, struct tcp_conn *c, const uint8_t *p, uint32_t n);

/* tcp.c: the retransmission timer (RFC 6298) */
/* A round-trip time measurement of r ticks (RFC 6298 2.2, 2.3). */
void tcp_rtt_sample(struct stack *s, struct tcp_conn *c, uint32_t r);
/* Makes the wheel entry fire by the send queue's deadline. */
void tcp_rtx_arm(struct stack *s, struct tcp_conn *c, struct sndq_block *b);
/* The peer's window is closed (RFC 9293 3.8.6.1): if c holds send blocks,
 * the zero-window clock starts (TCP_CF_ZW), unless it runs already. */
void tcp_zero_window(struct stack *s, struct tcp_conn *c);
/* A segment advertised wnd: the zero-window clock starts or stops, and
 * the largest window so far is kept (RFC 9293 3.8.6.2.1, TCP_CF_MAX_WND_SHIFT). */
static inline void tcp_peer_window(struct stack *s, struct tcp_conn *c, uint16_t wnd)
{
	uint32_t bit = wnd ? 31u - (uint32_t)__builtin_clz(wnd) : 0;

	c->peer_wnd = wnd;
	if (bit > (uint32_t)(c->flags >> TCP_CF_MAX_WND_SHIFT))
		c->flags = (uint8_t)((c->flags & ((1u << TCP_CF_MAX_WND_SHIFT) - 1)) |
				     bit << TCP_CF_MAX_WND_SHIFT);
	if (__builtin_expect(!wnd, 0))
		tcp_zero_window(s, c);
	else if (__builtin_expect(c->flags & TCP_CF_ZW, 0))
		c->flags &= (uint8_t)~TCP_CF_ZW;
}

/* The RTO of c (RFC 6298 2), ticks, before any backoff. */
static inline uint32_t tcp_rto(const struct stack *s, const struct tcp_conn *c)
{
	uint32_t rto;

	if (__builtin_expect(!(c->flags & TCP_CF_RTT), 0))
		rto = s->rto_initial; /* 2.1 */
	else /* 2.3: SRTT + max(G, K * RTTVAR), G one tick, K 4 */
		rto = (uint32_t)(c->srtt8 >> 3) + c->rttvar4 + !c->rttvar4;
	return rto > s->rto_min ? rto : s->rto_min; /* 2.4, a configurable minimum */
}

/* The tick c's retransmission or persist timer expires at: its start plus
 * the RTO, backed off (RFC 6298 5.5) up to TCP_RTO_MAX_MS. */
static inline uint32_t sndq_deadline(const struct stack *s, const struct tcp_conn *c,
				     const struct sndq_block *b)
{
	uint64_t rto = (uint64_t)tcp_rto(s, c) << b->backoff;

	return b->rto_start + (rto < s->rto_max ? (uint32_t)rto : s->rto_max);
}

/* Starts (or restarts, RFC 6298 5.3) the retransmission timer of c's send
 * queue now. The deadline is computed when the wheel entry fires: a
 * restart is one store. The entry stays armed no later than the deadline
 * as long as the RTO does not shrink; when it does (SRTT fell), the timer
 * may expire later by as much as it shrank. A backoff reset clears
 * SNDQ_ARMED, so the next start arms the entry exactly. */
static inline void tcp_rtx_restart(struct stack *s, struct tcp_conn *c, struct sndq_block *b)
{
	b->rto_start = (uint32_t)(s->now_ns >> STACK_TICK_SHIFT);
	if (__builtin_expect(!(b->flags & SNDQ_ARMED), 0))
		tcp_rtx_arm(s, c, b);
}

/* New data (n bytes, and our FIN if fin) went out at SND.NXT. Starts the
 * retransmission timer if it was not running (RFC 6298 5.1) and times the
 * segment if no measurement runs (RFC 6298 3). */
static inline void tcp_sent_new(struct stack *s, struct tcp_conn *c, struct sndq_block *b,
				uint32_t n, int fin)
{
	int idle = c->snd_nxt == c->snd_una;

	c->snd_nxt += n + (fin ? 1 : 0);
	b->flags &= (uint8_t)~SNDQ_PERSIST;
	if (!(b->flags & SNDQ_TIMING) && !(c->flags & TCP_CF_ZW)) {
		b->flags |= SNDQ_TIMING;
		b->rtt_seq = c->snd_nxt;
		b->rtt_at = (uint32_t)(s->now_ns >> STACK_TICK_SHIFT);
	}
	if (idle)
		tcp_rtx_restart(s, c, b);
}

/* tcp_reorder.c: text beyond RCV.NXT, kept until the hole fills */
/* Keeps what it can of seg's text (seg starts beyond RCV.NXT); counts it
 * either way. The caller sends the duplicate ACK. */
void tcp_reorder_keep(struct stack *s, const struct tcp_seg *seg, struct tcp_conn *c);
/* For c with kept text (TCP_HELD_OOO), before the application reads the
 * len in-order bytes at p (room bytes there): if they reach the kept text,
 * its bytes beyond them are appended (the new length is returned) and its
 * buffer freed; if not, the kept text stays, unless the application takes
 * the buffer (tcp_buf_take). */
uint32_t tcp_reorder_fill(struct stack *s, struct tcp_conn *c, uint8_t *p, uint32_t len,
			  uint32_t room);

/* tcp_in.c */

/* For a close on our side (connection management): */
/* Queues our FIN after any queued bytes and sends it when they are sent;
 * it is retransmitted like data until acknowledged. Returns 0, or -1 when
 * no send buffer block is free (nothing queued). */
int tcp_send_fin(struct stack *s, struct tcp_conn *c);
/* Sends one control segment <SEQ=seq><ACK=RCV.NXT><CTL=flags> (a RST, a
 * keepalive probe) in a frame from the frame source; not retransmitted.
 * Returns 0, or -1 when no frame was free (counted: drop_no_tx_frame). */
int tcp_send_ctl(struct stack *s, struct tcp_conn *c, uint8_t flags, uint32_t seq);
/* Whether our FIN was sent and acknowledged. */
static inline int tcp_fin_acked(const struct tcp_conn *c)
{
	return (c->flags & TCP_CF_FIN) && c->snd_buf == CONN_NONE;
}

/* An ACK for a segment that failed a check (RFC 9293 3.10.7.4), or the
 * oldest unacknowledged segment again when the peer evidently missed it. */
enum stack_verdict tcp_reply_ack(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c);
/* After an ACK: sends what the send queue holds and the window takes. */
enum stack_verdict tcp_send_waiting(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c);

/* stack/tcp/tcp_connect.c: a client stack's SYN-SENT (RFC 9293 3.10.7.3) */
enum stack_verdict tcp_syn_sent_input(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c);
/* The tick our SYN is sent again: an RTO after it last went, backed off. */
uint64_t tcp_syn_deadline(const struct stack *s, const struct tcp_conn *c);
/* The SYN's timer expired: it goes again, or after max_retries the
 * connection is given up (STACK_TIMED_OUT). */
void tcp_syn_timeout(struct stack *s, struct tcp_conn *c);

/* tcp.c: a connection's admission and end */
/* A new connection for seg (a valid cookie), after the per-source limit and,
 * when the table is full, an eviction (MIG 4.2.1). NULL when refused: the
 * RST is sent and counted. */
struct tcp_conn *tcp_conn_admit(struct stack *s, struct tcp_seg *seg);
/* Frees c and all it holds; on a client stack, then tells the
 * application why (stack_app.closed). */
void tcp_conn_close(struct stack *s, struct tcp_conn *c, enum stack_close_why why);

/* tcp_close.c: our own close, and the states after it */
/* Closes c on our initiative: a FIN (FIN-WAIT-1) or, with close_rst, a RST
 * and the slot freed. */
void tcp_active_close(struct stack *s, struct tcp_conn *c);
/* The rest of RFC 9293 3.10.7.4 for FIN-WAIT-1, FIN-WAIT-2, CLOSING and
 * TIME-WAIT, from after the ACK field was taken. */
enum stack_verdict tcp_close_input(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c);
/* A SYN in TIME-WAIT: whether it may open a new incarnation. */
int tcp_time_wait_reopens(const struct stack *s, const struct tcp_conn *c,
			  const struct tcp_seg *seg);
/* <SEQ=SND.NXT><CTL=RST> (if a frame is free) and c freed. */
void tcp_abort(struct stack *s, struct tcp_conn *c, enum stack_close_why why);
/* For the stack's timer (tcp.c): the earliest tick at which
 * conn_mgmt_expire() has something to do for c (idle timeout, keepalive
 * probe, the end of TIME-WAIT or of our close), UINT64_MAX if none.
 * conn_mgmt_expire() does what is due at s->now_ns (nothing if the deadline
 * moved on since: a request restarts the idle clock without touching a
 * timer) and may free c. */
uint64_t conn_mgmt_deadline(const struct stack *s, const struct tcp_conn *c);
void conn_mgmt_expire(struct stack *s, struct tcp_conn *c);
/* How long a peer may take to finish a close (FIN-WAIT, CLOSING, LAST-ACK)
 * or keep its window closed on our answers, in ticks: the idle timeout of
 * c's pool, or TCP_CLOSE_TIMEOUT_MS without one. */
#define TCP_CLOSE_TIMEOUT_MS 60000u
uint32_t conn_close_ticks(const struct stack *s, const struct tcp_conn *c);

#endif
