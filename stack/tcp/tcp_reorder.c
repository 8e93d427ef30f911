/* The connection's receive buffer (tcp/tcp.h), and what TCP keeps in it:
 * out-of-order text (RFC 9293 3.10.7.4, seventh check: "segments with
 * higher beginning sequence numbers may be held for later processing"):
 * a request that arrives before the one ahead of it is kept, so that when
 * the hole fills both are answered at once, not after the client's
 * retransmission timeout.
 *
 * Bounded as the rest of a connection's receive state: one run of
 * contiguous text beyond RCV.NXT, at most TCP_OOO_MAX bytes, kept in the
 * connection's one ADU buffer (taken from its share, share.h) while no
 * split ADU waits there. The buffer starts with a struct ooo_run; rx_held
 * then says TCP_HELD_OOO (tcp_conn.h). What does not fit (a second run, a
 * larger one, text while a split ADU waits) is dropped as before: the
 * duplicate ACK asks for it again. */
#include <string.h>

#include "priv/tcp_priv.h"

struct ooo_run {
	uint32_t seq; /* sequence number of its first byte */
	uint16_t len;
	uint16_t pad;
	uint8_t data[];
};

#define TCP_OOO_MAX (TCP_BUF_SIZE - sizeof(struct ooo_run))

static struct ooo_run *run_of(const struct stack *s, const struct tcp_conn *c)
{
	return (struct ooo_run *)tcp_buf(s, c);
}

/* Merges [seq, seq + len) into the run; 0, or -1 when the two would not
 * make one run within TCP_OOO_MAX (nothing changed then). */
static int run_merge(struct ooo_run *r, uint32_t seq, const uint8_t *p, uint32_t len)
{
	uint32_t start = seq_lt(seq, r->seq) ? seq : r->seq;
	uint32_t end = seq_gt(seq + len, r->seq + r->len) ? seq + len : r->seq + r->len;

	if (seq_gt(seq, r->seq + r->len) || seq_lt(seq + len, r->seq) || end - start > TCP_OOO_MAX)
		return -1;
	if (start != r->seq)
		memmove(r->data + (r->seq - start), r->data, r->len);
	memcpy(r->data + (seq - start), p, len); /* overlapping bytes: the newer copy */
	r->seq = start;
	r->len = (uint16_t)(end - start);
	return 0;
}

void tcp_reorder_keep(struct stack *s, const struct tcp_seg *seg, struct tcp_conn *c)
{
	struct ooo_run *r;
	int refused;

	if (!seg->len) {
		s->ctr.drop_out_of_order++;
		return;
	}
	if (c->rx_buf != CONN_NONE) {
		if (!(c->rx_held & TCP_HELD_OOO) || run_merge(run_of(s, c), seg->seq, seg->payload,
							       seg->len) < 0) {
			s->ctr.drop_out_of_order++;
			return;
		}
		s->ctr.rx_out_of_order_kept++;
		return;
	}
	if (seg->len > TCP_OOO_MAX) {
		s->ctr.drop_out_of_order++;
		return;
	}
	refused = share_take(s, c, SHARE_ADU, 0);
	if (refused < 0) {
		share_count_refusal(s, refused);
		s->ctr.drop_out_of_order++;
		return;
	}
	c->rx_buf = buf_pool_get(&s->rx_bufs);
	c->rx_held = TCP_HELD_OOO;
	r = run_of(s, c);
	r->seq = seg->seq;
	r->len = (uint16_t)seg->len;
	memcpy(r->data, seg->payload, seg->len);
	s->ctr.rx_out_of_order_kept++;
}

uint32_t tcp_reorder_fill(struct stack *s, struct tcp_conn *c, uint8_t *p, uint32_t len,
			  uint32_t room)
{
	const struct ooo_run *r = run_of(s, c);
	uint32_t end = c->rcv_nxt + len;

	if (!seq_gt(r->seq, end)) {
		/* The hole is filled: the run's bytes beyond the segment's
		 * follow them, and the buffer is free again. */
		if (seq_gt(r->seq + r->len, end) && len + (r->seq + r->len - end) <= room) {
			uint32_t skip = end - r->seq;

			memcpy(p + len, r->data + skip, r->len - skip);
			len += r->len - skip;
			s->ctr.rx_out_of_order_delivered++;
		}
		tcp_buf_release(s, c);
	}
	/* Else part of the hole: the run stays, unless the application needs
	 * the buffer for a message the segment leaves split (tcp_buf_take). */
	return len;
}

int tcp_buf_take(struct stack *s, struct tcp_conn *c)
{
	int r;

	if (c->rx_buf != CONN_NONE) {
		/* Out-of-order text: the application's message comes first,
		 * and the kept text comes again from the peer. */
		s->ctr.drop_out_of_order_given_up++;
		c->rx_held = 0;
		return 0;
	}
	r = share_take(s, c, SHARE_ADU, 0);
	if (r < 0) {
		if (r == SHARE_POOL_EMPTY)
			s->ctr.drop_no_adu_buffer++;
		share_count_refusal(s, r);
		return -1;
	}
	c->rx_buf = buf_pool_get(&s->rx_bufs);
	c->rx_held = 0;
	return 0;
}

void tcp_buf_release(struct stack *s, struct tcp_conn *c)
{
	if (c->rx_buf != CONN_NONE) {
		share_return(s, c, SHARE_ADU, 1);
		buf_pool_put(&s->rx_bufs, c->rx_buf);
		c->rx_buf = CONN_NONE;
		c->rx_held = 0;
	}
}
