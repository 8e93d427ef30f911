/* Writing response bytes into reply segments, and segments out of the send
 * queue (see struct tcp_writer in tcp_priv.h). The first segment of a
 * reply is the received frame; when it is full the writer sends it and
 * continues in a frame from the stack's frame source, with the same
 * Ethernet header. Segments never exceed the smaller of the peer's MSS,
 * ours and the frame's room, and new data never exceeds the peer's window
 * (RFC 9293 3.8.6). */
#include <string.h>

#include "csum.h"
#include "priv/tcp_priv.h"

static uint32_t segment_cap(const struct tcp_writer *w, const struct mbx_frame *f)
{
	uint32_t hdr = w->l2_len + tcp_l3_len(&w->reply) + TCP_HDR_LEN;
	uint32_t cap = f->room > hdr ? f->room - hdr : 0;

	if (cap > w->c->peer_mss)
		cap = w->c->peer_mss;
	if (cap > tcp_our_mss(w->s, w->reply.saddr6 != 0))
		cap = tcp_our_mss(w->s, w->reply.saddr6 != 0);
	return cap;
}

void tcp_writer_init(struct tcp_writer *w, struct stack *s, struct tcp_conn *c,
		     const struct tcp_seg *seg)
{
	w->s = s;
	w->c = c;
	w->seg = seg->f;
	w->reply = seg->reply;
	if (seg->v6) {
		memcpy(w->addr6, seg->addr6, 32);
		w->reply.saddr6 = w->addr6 + 16;
		w->reply.daddr6 = w->addr6;
	}
	w->l2_len = seg->l2_len;
	w->used = 0;
	w->failed = 0;
	w->l2_saved = 0;
	/* Bytes still waiting to be sent go first. */
	w->queued = !!(c->flags & TCP_CF_WAITING);
	w->room = 0;
	if (c->snd_buf != CONN_NONE && !(c->flags & (TCP_CF_WAITING | TCP_CF_FIN))) {
		const struct sndq_block *h = sndq_head(s, c);

		if (h->wblk == c->snd_buf)
			w->room = SNDQ_DATA - h->wlen;
	}
	frame_swap_l2(seg->f->data);
	w->cap = segment_cap(w, seg->f);
}

void tcp_writer_init_conn(struct tcp_writer *w, struct stack *s, struct tcp_conn *c)
{
	w->s = s;
	w->c = c;
	w->seg = 0;
	w->reply = (struct tcp_addrs){ .saddr = c->laddr, .daddr = c->raddr, .sport = c->lport,
				       .dport = c->rport, .l3_len = IP_HDR_LEN };
	if (c->cm_flags & CONN_V6) {
		w->reply.l3_len = IP6_HDR_LEN;
		w->reply.saddr6 = local6_addr(&s->local6, c->laddr);
		w->reply.daddr6 = s->conns.raddr6[c - s->conns.conns];
		w->reply.sum6 = csum_ip6_addrs(w->reply.saddr6, w->reply.daddr6);
	}
	w->l2_len = tcp_out_l2(s, c, w->l2);
	w->l2_saved = 1;
	w->used = 0;
	w->cap = 0;
	w->room = 0;
	w->failed = 0;
	w->queued = 1;
}

/* The frame of the next segment: the one being filled, or a fresh one from
 * the frame source; NULL (counted) when none is free. */
static struct mbx_frame *writer_frame(struct tcp_writer *w)
{
	if (w->seg)
		return w->seg;
	if (w->s->extra.get(w->s->extra.arg, &w->extra) < 0 ||
	    w->extra.room < w->l2_len + tcp_l3_len(&w->reply) + TCP_HDR_LEN) {
		w->s->ctr.drop_no_tx_frame++;
		return 0;
	}
	memcpy(w->extra.data, w->l2, w->l2_len);
	w->seg = &w->extra;
	w->used = 0;
	w->cap = segment_cap(w, w->seg);
	return w->seg;
}

/* Keeps the reply's Ethernet header for segments after the first: the
 * sink may send and recycle the first frame at once. */
static inline void save_l2(struct tcp_writer *w)
{
	if (!w->l2_saved) {
		memcpy(w->l2, w->seg->data, w->l2_len);
		w->l2_saved = 1;
	}
}

/* Sends the segment being filled: n payload bytes already in place at
 * sequence number seq, acknowledging everything consumed so far. */
static inline void emit(struct tcp_writer *w, uint32_t seq, uint32_t n, uint8_t flags)
{
	struct stack *s = w->s;

	tcp_out_finish(w->seg->data + w->l2_len, &w->reply, flags | TCP_ACK, seq, w->c->rcv_nxt, n,
		       0, tcp_rcv_wnd(s, w->c));
	w->seg->len = w->l2_len + tcp_l3_len(&w->reply) + TCP_HDR_LEN + n;
	if (n)
		s->ctr.tx_data_segments++;
	else
		s->ctr.tx_ack++;
	if (flags & TCP_FIN)
		s->ctr.tx_fin++;
	s->tx.put(s->tx.arg, w->seg);
	w->seg = 0;
	w->used = 0;
}

int tcp_writer_reserve_slow(struct tcp_writer *w, uint32_t n)
{
	int r;

	if (w->failed)
		return -1;
	/* Nothing is sent after our FIN (RFC 9293 3.10.4). */
	if (w->c->flags & TCP_CF_FIN) {
		w->failed = 1;
		return -1;
	}
	if (w->c->snd_buf != CONN_NONE &&
	    sndq_head(w->s, w->c)->len + (w->queued ? 0 : w->used) + n > SNDQ_LIMIT) {
		w->s->ctr.drop_snd_queue_full++;
		w->failed = 1;
		return -1;
	}
	r = sndq_reserve(w->s, w->c, (w->queued ? 0 : w->used) + n);
	if (r < 0) {
		if (r == SHARE_POOL_EMPTY)
			w->s->ctr.drop_no_snd_buf++;
		share_count_refusal(w->s, r);
		w->failed = 1;
		return -1;
	}
	/* Only what is certain: the rest of the one block. */
	if (!w->queued) {
		const struct sndq_block *h = sndq_head(w->s, w->c);

		w->room = h->wblk == w->c->snd_buf ? SNDQ_DATA - h->wlen : 0;
	}
	return 0;
}

uint8_t *tcp_writer_room(struct tcp_writer *w, uint32_t need)
{
	if (w->queued || w->failed || w->cap - w->used < need)
		return 0;
	return tcp_out_payload(w, w->seg) + w->used;
}

void tcp_writer_commit(struct tcp_writer *w, uint32_t n)
{
	w->used += n;
}

/* From the fast way to the queued one: the bytes in the first segment so
 * far go to the queue, unsent; the segment is cut from the queue later. */
static void to_queue(struct tcp_writer *w)
{
	if (w->used)
		sndq_append(w->s, w->c, tcp_out_payload(w, w->seg), w->used);
	w->used = 0;
	w->queued = 1;
	w->room = 0;
}

void tcp_writer_append(struct tcp_writer *w, const uint8_t *p, uint32_t n)
{
	if (!w->queued)
		to_queue(w);
	sndq_append(w->s, w->c, p, n);
}

/* Keeps TCP_CF_WAITING true to the queue. */
static void update_waiting(struct tcp_conn *c, const struct sndq_block *b)
{
	if (b->len > sndq_sent_data(c, b) || ((c->flags & TCP_CF_FIN) && !sndq_fin_sent(c, b)))
		c->flags |= TCP_CF_WAITING;
	else
		c->flags &= (uint8_t)~TCP_CF_WAITING;
}

/* RFC 9293 3.8.6.2.1 (RFC 1122 4.2.3.4), sender silly window avoidance:
 * whether n bytes the usable window takes, of more that wait, are too few
 * to send now. They go if they fill a segment (Eff.snd.MSS) or half the
 * largest window the peer offered; otherwise when the window opens, or at
 * the override timeout (the persist timer, tcp_writer_resend). All that
 * waits, when it fits, always goes (each answer is pushed): the usual
 * answer is one segment, never held. Without Nagle's rule (RFC 9293
 * 3.7.4): answers are whole messages, and a client pipelining requests
 * would otherwise wait for its own delayed ACK. */
static int sws_hold(const struct tcp_writer *w, uint32_t n)
{
	const struct tcp_conn *c = w->c;
	uint32_t our = tcp_our_mss(w->s, w->reply.saddr6 != 0);
	uint32_t mss = c->peer_mss < our ? c->peer_mss : our;
	uint32_t half_max = (1u << (c->flags >> TCP_CF_MAX_WND_SHIFT)) >> 1;

	return n < mss && n < half_max;
}

uint32_t tcp_writer_flush(struct tcp_writer *w, int how)
{
	struct stack *s = w->s;
	struct tcp_conn *c = w->c;
	struct sndq_block *b;
	uint32_t sent = 0, unsent = 0;

	while (c->snd_buf != CONN_NONE) {
		uint32_t done, n;
		int fin;
		struct mbx_frame *f;

		b = sndq_head(s, c);
		done = sndq_sent_data(c, b);
		unsent = b->len - done;
		n = tcp_window_room(c);
		if (n > unsent)
			n = unsent;
		/* A FIN takes no window; it goes with or after the last byte. */
		fin = (c->flags & TCP_CF_FIN) && !sndq_fin_sent(c, b) && n == unsent;
		if (!n && !fin)
			break;
		if (n < unsent && !(how & TCP_FLUSH_OVERRIDE) && sws_hold(w, n)) {
			s->ctr.snd_sws_deferred++;
			break;
		}
		f = writer_frame(w);
		if (!f)
			break;
		if (n > w->cap) {
			n = w->cap;
			fin = 0;
			if (!n)
				break;
		}
		sndq_copy(s, c, done, tcp_out_payload(w, f), n);
		save_l2(w);
		emit(w, c->snd_nxt, n, (n && n == unsent ? TCP_PSH : 0) | (fin ? TCP_FIN : 0));
		tcp_sent_new(w->s, w->c, b, n, fin);
		unsent -= n;
		sent++;
	}
	if (c->snd_buf != CONN_NONE)
		update_waiting(c, sndq_head(s, c));
	if (unsent) {
		s->ctr.snd_window_full++;
		/* RFC 9293 3.8.6.1: a closed window with nothing in flight is
		 * probed when the timer (now the persist timer) expires. */
		b = sndq_head(s, c);
		if (c->snd_nxt == c->snd_una && !(b->flags & SNDQ_PERSIST)) {
			b->flags |= SNDQ_PERSIST;
			tcp_rtx_restart(s, c, b);
		}
		if (!c->peer_wnd)
			tcp_zero_window(s, c);
	}
	if (!sent && (how & TCP_FLUSH_ACK) && writer_frame(w))
		emit(w, c->snd_nxt, 0, 0);
	return sent;
}

void tcp_writer_close(struct tcp_writer *w, uint8_t flags)
{
	struct tcp_conn *c = w->c;

	if (flags & TCP_FIN)
		c->flags |= TCP_CF_FIN; /* the caller reserved a block for it */
	if (!w->queued) {
		uint32_t n = w->used;
		int fin = !!(flags & TCP_FIN);

		if (n <= tcp_window_room(c)) {
			/* The fast way: one segment, its bytes kept for a
			 * retransmission. PSH on the last segment of the
			 * replies, as a sender's write ends (RFC 9293 3.9.1). */
			struct sndq_block *h = 0;

			if (n) {
				const uint8_t *p = tcp_out_payload(w, w->seg);

				h = sndq_head(w->s, c);
				if (n <= 64 && w->room >= 64 && w->cap >= 64) {
					/* The usual answer: one fixed-size copy,
					 * inline (the bytes past n are spare room
					 * on both sides). */
					memcpy(h->data + h->wlen, p, 64);
					h->wlen = (uint16_t)(h->wlen + n);
					h->len += n;
				} else if (n <= w->room) {
					memcpy(h->data + h->wlen, p, n);
					h->wlen = (uint16_t)(h->wlen + n);
					h->len += n;
				} else {
					sndq_append(w->s, c, p, n);
				}
			}
			emit(w, c->snd_nxt, n, (n ? TCP_PSH : 0) | (fin ? TCP_FIN : 0));
			if (n || fin)
				tcp_sent_new(w->s, c, h ? h : sndq_head(w->s, c), n, fin);
			return;
		}
		to_queue(w);
	}
	tcp_writer_flush(w, TCP_FLUSH_ACK);
}

int tcp_writer_resend(struct tcp_writer *w)
{
	struct tcp_conn *c = w->c;
	struct sndq_block *b = sndq_head(w->s, c);
	uint32_t n = sndq_sent_data(c, b);
	struct mbx_frame *f;
	int fin;

	if (c->snd_nxt == c->snd_una) {
		/* Nothing in flight: what waits is sent if the window allows
		 * (no frame was free before, or the window was too small to
		 * use: this is the override timeout of RFC 9293 3.8.6.2.1),
		 * else a window probe: one octet of new data sent although the
		 * window is zero (3.8.6.1), not timed: its ACK comes when the
		 * window opens. */
		if (tcp_window_room(c) || b->len == 0)
			return tcp_writer_flush(w, TCP_FLUSH_OVERRIDE) ? 0 : -1;
		f = writer_frame(w);
		if (!f)
			return -1;
		sndq_copy(w->s, c, 0, tcp_out_payload(w, f), 1);
		emit(w, c->snd_nxt, 1, 0);
		tcp_sent_new(w->s, w->c, b, 1, 0);
		b->flags &= (uint8_t)~SNDQ_TIMING;
		update_waiting(c, b);
		return 0;
	}
	/* RFC 6298 5.4: the earliest segment not acknowledged, not timed
	 * (Karn's rule: its ACK could be for either transmission). */
	f = writer_frame(w);
	if (!f)
		return -1;
	if (n > w->cap)
		n = w->cap;
	fin = sndq_fin_sent(c, b) && n == sndq_sent_data(c, b);
	sndq_copy(w->s, c, 0, tcp_out_payload(w, f), n);
	emit(w, c->snd_una, n, (n ? TCP_PSH : 0) | (fin ? TCP_FIN : 0));
	b->flags &= (uint8_t)~SNDQ_TIMING;
	return 0;
}

int tcp_writer_control(struct tcp_writer *w, uint8_t flags, uint32_t seq)
{
	struct mbx_frame *f = writer_frame(w);
	uint16_t mss = (flags & TCP_SYN) ? (uint16_t)tcp_our_mss(w->s, w->reply.saddr6 != 0) : 0;

	if (!f)
		return -1;
	tcp_out_finish(f->data + w->l2_len, &w->reply, flags, seq, w->c->rcv_nxt, 0, mss,
		       tcp_rcv_wnd(w->s, w->c));
	f->len = w->l2_len + tcp_l3_len(&w->reply) + TCP_HDR_LEN + (mss ? 4 : 0);
	w->s->tx.put(w->s->tx.arg, f);
	w->seg = 0;
	return 0;
}

int tcp_send_ctl(struct stack *s, struct tcp_conn *c, uint8_t flags, uint32_t seq)
{
	struct tcp_writer w;

	tcp_writer_init_conn(&w, s, c);
	return tcp_writer_control(&w, flags, seq);
}

int tcp_writer_send(struct stack *s, struct tcp_conn *c, const uint8_t *p, uint32_t n)
{
	struct tcp_writer w;
	int r = sndq_reserve(s, c, n);

	if (r < 0) {
		if (r == SHARE_POOL_EMPTY)
			s->ctr.drop_no_snd_buf++;
		share_count_refusal(s, r);
		return -1;
	}
	/* The frame first: without one nothing is queued, and the caller
	 * tries again rather than finding its bytes sent later. */
	tcp_writer_init_conn(&w, s, c);
	if (!writer_frame(&w)) {
		sndq_release_if_done(s, c);
		return -1;
	}
	sndq_append(s, c, p, n);
	tcp_writer_flush(&w, TCP_FLUSH_OVERRIDE);
	return 0;
}

int tcp_send_fin(struct stack *s, struct tcp_conn *c)
{
	struct tcp_writer w;

	if (!(c->flags & TCP_CF_FIN)) {
		int r = sndq_reserve(s, c, 0);

		if (r < 0) {
			if (r == SHARE_POOL_EMPTY)
				s->ctr.drop_no_snd_buf++;
			share_count_refusal(s, r);
			return -1;
		}
		c->flags |= TCP_CF_FIN;
	}
	tcp_writer_init_conn(&w, s, c);
	tcp_writer_flush(&w, 0);
	return 0;
}

int tcp_writer_backlogged(const struct tcp_writer *w)
{
	const struct sndq_block *h;
	uint32_t unsent = w->used; /* the fast way: in the segment being filled */

	if (w->queued) {
		if (w->c->snd_buf == CONN_NONE)
			return 0;
		h = sndq_head(w->s, w->c);
		unsent = h->len - sndq_sent_data(w->c, h);
	}
	return tcp_backlogged(w->c, unsent);
}
