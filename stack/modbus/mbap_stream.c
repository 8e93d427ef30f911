/* The Modbus byte stream of one connection, the application on top of TCP
 * and the only caller of the Modbus handler: cuts in-order TCP payload into
 * ADUs (MIG 3.1.3: the MBAP length field frames them), answers each into
 * the room TCP offers, and keeps an incomplete trailing ADU in a pool buffer
 * until the next segment completes it. Several ADUs in one segment are
 * answered in order. The common request, one whole ADU in one segment, is
 * answered in its own frame (tcp_single_room). */
#include <string.h>

#include "mb_device.h"
#include "mbap_stream.h"
#include "tcp/tcp.h"

/* The connection's Modbus peer (its server, unit and rights), kept in the
 * word TCP holds for the application. */
_Static_assert(sizeof(struct mb_peer) == sizeof(((struct tcp_conn *)0)->app),
	       "the Modbus peer fits the application's word");
/* A split ADU waits in the connection's receive buffer; the room TCP keeps
 * for one more answer takes the largest. */
_Static_assert(MB_ADU_MAX <= TCP_BUF_SIZE, "an ADU fits TCP's receive buffer");

static inline struct mb_peer peer_get(const struct tcp_conn *c)
{
	struct mb_peer p;

	memcpy(&p, &c->app, sizeof(p));
	return p;
}

static inline void peer_set(struct tcp_conn *c, struct mb_peer p)
{
	memcpy(&c->app, &p, sizeof(p));
}

/* The Modbus handler on the connection's peer, which it may update. */
static inline uint32_t handle(struct stack *s, struct tcp_conn *c, const uint8_t *adu,
			      uint32_t len, uint8_t *dst)
{
	struct mb_peer p = peer_get(c);
	uint32_t n = mb_handle_adu(s->mb, &p, adu, len, dst);

	peer_set(c, p);
	return n;
}

/* The Modbus layer's prefetch rule. Both halves are inlined into the
 * burst's look-ahead, across files by LTO (the header's declarations keep
 * them external definitions for builds without it). */
__attribute__((always_inline)) inline const void *mbap_ahead_conn(const struct stack *s,
								  const struct tcp_conn *c)
{
	struct mb_peer p = peer_get(c);

	return mb_prefetch_unit(s->mb->model, &p);
}

__attribute__((always_inline)) inline void mbap_ahead_text(const void *unit, const uint8_t *p,
							   uint32_t len)
{
	if (unit && len >= MBAP_HDR_LEN + 5)
		mb_prefetch_request(unit, p + MBAP_HDR_LEN);
}

void mbap_open(struct stack *s, struct tcp_conn *c, const struct tcp_seg *seg)
{
	const struct mb_model *m = s->mb->model;

	peer_set(c, seg->v6 ? mb_model_peer6(m, seg->addr6 + 16, seg->addr6) :
			      mb_model_peer(m, seg->daddr, seg->saddr));
}

/* Answers one complete ADU. The response is built straight into the segment
 * when a whole maximum-size ADU fits; otherwise it is built aside and
 * queued. The caller reserved room for it in the send queue. */
static void answer(struct stack *s, struct tcp_conn *c, const uint8_t *adu, uint32_t len,
		   struct tcp_writer *w)
{
	uint8_t *dst = tcp_writer_room(w, MB_ADU_MAX);
	uint8_t spill[MB_ADU_MAX];
	uint32_t n;

	if (dst) {
		tcp_writer_commit(w, handle(s, c, adu, len, dst));
		return;
	}
	n = handle(s, c, adu, len, spill);
	tcp_writer_append(w, spill, n);
}

/* Moves up to `want` bytes of p into the held ADU; returns how many. */
static uint32_t hold(struct stack *s, struct tcp_conn *c, const uint8_t *p, uint32_t len,
		     uint32_t want)
{
	uint32_t k = len < want ? len : want;

	memcpy(tcp_buf(s, c) + c->rx_held, p, k);
	c->rx_held = (uint16_t)(c->rx_held + k);
	return k;
}

/* Completes a held ADU from the front of p. Returns bytes taken from p, or
 * -1 when the held header announces an impossible length. */
static int complete_held(struct stack *s, struct tcp_conn *c, const uint8_t *p, uint32_t len,
			 struct tcp_writer *w)
{
	uint32_t pos = 0, adu_len;

	if (c->rx_held < 6)
		pos += hold(s, c, p, len, 6u - c->rx_held);
	if (c->rx_held < 6) {
		c->rcv_nxt += pos;
		return (int)pos;
	}
	adu_len = mbap_adu_len(tcp_buf(s, c));
	if (!adu_len)
		return -1;
	pos += hold(s, c, p + pos, len - pos, adu_len - c->rx_held);
	c->rcv_nxt += pos;
	if (c->rx_held == adu_len) {
		s->ctr.adu_split_reassembled++;
		answer(s, c, tcp_buf(s, c), adu_len, w);
		tcp_buf_release(s, c);
	}
	return (int)pos;
}

/* Whether the answers not yet sent exceed what the peer's window takes:
 * then no more is read (counted), so a peer that does not read cannot make
 * us compute and queue more; what is left unacknowledged comes again when
 * its window opens. */
static int backlogged(struct stack *s, const struct tcp_writer *w)
{
	if (!tcp_writer_backlogged(w))
		return 0;
	s->ctr.drop_window_backlog++;
	return 1;
}

/* The general way: consumes len in-order payload bytes (already copied out
 * of the frame) through the writer and advances RCV.NXT past them. Returns
 * 0, or -1 when the connection must be reset: an MBAP length out of range
 * (MIG 3.1.3 framing is lost) or no buffer to hold a split ADU. */
static int stream_input(struct stack *s, struct tcp_conn *c, const uint8_t *p, uint32_t len,
			struct tcp_writer *w)
{
	uint32_t start = c->rcv_nxt, pos = 0;

	if (tcp_buf_held(c)) {
		int k;

		/* Room for the answer first: without it nothing is taken. */
		if (backlogged(s, w) || tcp_writer_reserve(w, MB_ADU_MAX) < 0)
			return 0;
		k = complete_held(s, c, p, len, w);
		if (k < 0)
			goto bad_length;
		pos = (uint32_t)k;
	}
	while (pos < len && !w->failed) {
		uint32_t rem = len - pos, adu_len = 0;

		if (backlogged(s, w))
			break;
		if (rem >= 6) {
			adu_len = mbap_adu_len(p + pos);
			if (!adu_len)
				goto bad_length;
		}
		if (rem < 6 || rem < adu_len) {
			if (tcp_buf_take(s, c) < 0)
				return -1;
			pos += hold(s, c, p + pos, rem, rem);
			break;
		}
		if (tcp_writer_reserve(w, MB_ADU_MAX) < 0)
			break;
		/* Consumed from here on: a reply segment the answer fills up and
		 * sends already acknowledges this ADU. */
		pos += adu_len;
		c->rcv_nxt = start + pos;
		answer(s, c, p + pos - adu_len, adu_len, w);
	}
	/* Bytes after an ADU that found no room stay unacknowledged: the peer
	 * sends them again and they are answered then. */
	c->rcv_nxt = start + pos;
	return 0;

bad_length:
	s->mb->ctr.mb_reset_bad_length++;
	s->ctr.conn_reset_bad_mbap++;
	return -1;
}

/* Inlined into frame input's hand-over, across files by LTO (see above). */
__attribute__((always_inline)) inline int mbap_input(struct stack *s, const struct tcp_seg *seg,
						     const struct tcp_text *t, struct tcp_writer *w)
{
	struct tcp_conn *c = t->c;
	const uint8_t *p = s->scratch;
	uint32_t len = t->len;
	uint8_t *dst;

	/* The fast way: exactly one whole ADU, nothing held before it, no FIN
	 * to answer after it, and TCP's room in the request's own frame. */
	if (__builtin_expect(!t->fin && len >= 6 && mbap_adu_len(p) == len && !tcp_buf_held(c), 1) &&
	    (dst = tcp_single_room(s, seg, c, MB_ADU_MAX)) != 0) {
		tcp_single_commit(s, seg, c, len, handle(s, c, p, len, dst));
		return TCP_APP_SENT;
	}
	tcp_writer_init(w, s, c, seg);
	return stream_input(s, c, p, len, w) < 0 ? TCP_APP_RESET : TCP_APP_WRITER;
}
