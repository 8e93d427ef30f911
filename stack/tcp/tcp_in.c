/* TCP segment arrival (RFC 9293 3.10.7): a server's passive opens, and the
 * synchronized states of both sides (SYN-SENT is stack/tcp/tcp_connect.c).
 *
 * The checks run in the RFC's order. Each drop is counted under its reason;
 * each control reply (RST, ACK, SYN-ACK) is written into the received frame. */
#include <string.h>

#include <sodium.h>

#include "tcp_cookie.h"
#include "priv/tcp_priv.h"

/* No connection and a port that is not served: CLOSED (RFC 9293 3.10.7.1). */
static enum stack_verdict input_closed(struct stack *s, struct tcp_seg *seg)
{
	if (seg->flags & TCP_RST) {
		s->ctr.drop_rst_no_conn++;
		return STACK_DROP;
	}
	s->ctr.rst_port_not_served++;
	s->ctr.tx_rst++;
	if (seg->flags & TCP_ACK) {
		tcp_reply_control(s, seg, TCP_RST, seg->ack, 0, TCP_RCV_WND);
	} else {
		uint32_t seg_len = seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);

		tcp_reply_control(s, seg, TCP_RST | TCP_ACK, 0, seg->seq + seg_len, TCP_RCV_WND);
	}
	return STACK_SENT;
}

static enum stack_verdict input_synchronized(struct stack *s, struct tcp_seg *seg,
					     struct tcp_conn *c, struct tcp_text *t);
static enum stack_verdict input_listen(struct stack *s, struct tcp_seg *seg, struct tcp_text *t);

static inline uint16_t oow_now(const struct stack *s)
{
	return (uint16_t)(tcp_now_tick(s) >> TCP_OOW_SHIFT);
}

/* RFC 5961 7: whether c answered a segment that failed a check less than
 * TCP_OOW_GAP ago; if not, this answer is the one that counts from now.
 * (After 18 minutes without one, the 16-bit stamp may come round and hold
 * back one answer: the peer's next segment gets it.) */
static int oow_ack_limited(const struct stack *s, struct tcp_conn *c)
{
	uint16_t now = oow_now(s);

	if ((uint16_t)(now - c->oow_ack_at) < TCP_OOW_GAP)
		return 1;
	c->oow_ack_at = now;
	return 0;
}

/* A SYN that may reopen a connection in TIME-WAIT (RFC 1122 4.2.2.13): the
 * old incarnation goes, and the SYN is answered as in LISTEN. */
static enum stack_verdict reopen(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c,
				 struct tcp_text *t)
{
	s->ctr.conn_time_wait_reopened++;
	s->ctr.conn_closed_active++;
	tcp_conn_close(s, c, STACK_CLOSED);
	return input_listen(s, seg, t);
}

/* No connection on a served port: LISTEN (RFC 9293 3.10.7.2), with SYN
 * cookies standing in for SYN-RECEIVED. */
static enum stack_verdict input_listen(struct stack *s, struct tcp_seg *seg, struct tcp_text *t)
{
	struct tcp_conn *c;
	uint16_t peer_mss;

	if (seg->flags & TCP_RST) {
		s->ctr.drop_rst_no_conn++;
		return STACK_DROP;
	}
	if ((seg->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		if (seg->len)
			s->ctr.drop_syn_with_data++; /* not acknowledged: the peer sends it again */
		s->ctr.tx_syn_ack++;
		tcp_reply_control(s, seg, TCP_SYN | TCP_ACK, tcp_cookie_make(s, seg), seg->seq + 1,
				  TCP_RCV_WND);
		return STACK_SENT;
	}
	if (!(seg->flags & TCP_ACK) || (seg->flags & TCP_SYN)) {
		s->ctr.drop_no_ack_flag++;
		return STACK_DROP;
	}
	/* An ACK: the third segment of a handshake, or the first data, if it
	 * carries one of our cookies; otherwise <SEQ=SEG.ACK><CTL=RST>. */
	peer_mss = tcp_cookie_check(s, seg);
	if (!peer_mss) {
		s->ctr.drop_bad_cookie++;
		s->ctr.tx_rst++;
		tcp_reply_control(s, seg, TCP_RST, seg->ack, 0, TCP_RCV_WND);
		return STACK_SENT;
	}
	c = tcp_conn_admit(s, seg);
	if (!c)
		return STACK_SENT;
	tcp_out_learn_l2(s, c, seg->f->data, seg->l2_len);
	c->rcv_nxt = seg->seq;
	c->snd_una = c->snd_nxt = seg->ack;
	c->peer_mss = peer_mss;
	tcp_peer_window(s, c, seg->wnd);
	c->oow_ack_at = (uint16_t)(oow_now(s) - TCP_OOW_GAP); /* the first may go at once */
	s->server_open(s, c, seg);
	s->ctr.conn_opened++;
	return input_synchronized(s, seg, c, t);
}

/* An ACK for a segment that failed a check. One that repeats text or a FIN
 * we had received, and does not acknowledge all we sent, means the peer has
 * not seen our answer: the oldest unacknowledged segment (our answer, our
 * FIN) goes again and carries the ACK (as RFC 6298 5.4 would at the
 * timeout, only sooner). The segment's ACK field only decides this; it
 * changes no state (3.10.7.4: an unacceptable segment is dropped). In
 * TIME-WAIT the segment is the peer's FIN again: acknowledged, and TIME-WAIT
 * restarts (3.10.7.4, eighth check). */
enum stack_verdict tcp_reply_ack(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c)
{
	if (c->state == TCP_TIME_WAIT && (seg->flags & TCP_FIN))
		c->last_req = (uint32_t)tcp_now_tick(s);
	if ((seg->len || (seg->flags & TCP_FIN)) && seq_lt(seg->seq, c->rcv_nxt) &&
	    c->snd_nxt != c->snd_una && !((seg->flags & TCP_ACK) && seg->ack == c->snd_nxt)) {
		struct tcp_writer w;

		tcp_writer_init(&w, s, c, seg);
		tcp_writer_resend(&w); /* cannot fail: the segment's frame is there */
		s->ctr.tx_retransmit_dup_request++;
		return STACK_SENT;
	}
	s->ctr.tx_ack++;
	tcp_reply_control(s, seg, TCP_ACK, c->snd_nxt, c->rcv_nxt, tcp_rcv_wnd(s, c));
	return STACK_SENT;
}

/* SEG.ACK acknowledges new data (RFC 9293 3.10.7.4, fifth check): the send
 * queue forgets it, a running RTT measurement it covers ends (RFC 6298 3),
 * and the retransmission timer restarts for what is still in flight (5.3)
 * or stops (5.2: lazily, the wheel entry fires and finds nothing). Inline
 * in both the server's and the client's input: it is on every request's
 * way. */
static inline __attribute__((always_inline)) void ack_new(struct stack *s, struct tcp_conn *c,
							   uint32_t ack)
{
	uint32_t acked = ack - c->snd_una;
	struct sndq_block *b;

	c->snd_una = ack;
	if (c->snd_buf == CONN_NONE)
		return;
	b = sndq_head(s, c);
	if ((b->flags & SNDQ_TIMING) && !seq_lt(ack, b->rtt_seq)) {
		uint32_t r = (uint32_t)(s->now_ns >> STACK_TICK_SHIFT) - b->rtt_at;

		b->flags &= (uint8_t)~SNDQ_TIMING;
		/* Within the tick it was sent, on a connection whose SRTT is
		 * under a tick and RTTVAR settled (a LAN): the sample would
		 * change neither (2.3 in integers), and is skipped. */
		if (r || c->srtt8 >= 8 || c->rttvar4 >= 4 || !(c->flags & TCP_CF_RTT))
			tcp_rtt_sample(s, c, r);
	}
	if (acked == b->len && b->next == CONN_NONE) {
		/* All of it, in one block (the usual answer): it starts over. */
		b->len = 0;
		b->off = 0;
		b->wlen = 0;
	} else if (acked > b->len) {
		sndq_release(s, c); /* our FIN too: nothing is left */
		return;
	} else {
		sndq_drop(s, c, acked);
		b = sndq_head(s, c);
	}
	b->retries = 0;
	if (__builtin_expect(b->backoff != 0, 0)) {
		b->backoff = 0;
		b->flags &= (uint8_t)~SNDQ_ARMED; /* the deadline may be earlier now */
	}
	b->flags &= (uint8_t)~SNDQ_PERSIST;
	if (c->snd_nxt != c->snd_una)
		tcp_rtx_restart(s, c, b);
}

/* After an ACK: what the peer's window now takes goes out, in the received
 * frame first. Returns STACK_SENT if anything was sent. */
enum stack_verdict tcp_send_waiting(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c)
{
	struct tcp_writer w;

	if (!(c->flags & TCP_CF_WAITING))
		return STACK_DROP;
	tcp_writer_init(&w, s, c, seg);
	return tcp_writer_flush(&w, 0) ? STACK_SENT : STACK_DROP;
}

/* RFC 5961 7: the challenge ACKs of one second, for all connections: a
 * keyed hash of the second, so an attacker can neither predict it nor, by
 * exhausting it, learn how many another connection took (CVE-2016-5696). */
static uint32_t challenge_budget(const struct stack *s, uint64_t second)
{
	/* 24 bytes: no cookie's input (16, tcp_cookie.c) hashes the same. */
	const uint64_t in[3] = { 0x6b63612d6c616863ull /* "chal-ack" */, second, 0 };
	uint64_t h;

	crypto_shorthash_siphash24((uint8_t *)&h, (const uint8_t *)in, sizeof(in), s->cookie_key);
	return (s->challenge_ack_limit + 1) / 2 + (uint32_t)(h % s->challenge_ack_limit);
}

/* RFC 5961 4.2, 3.2 and 5.2: an ACK that makes a genuine peer resynchronise
 * and an attacker's guess useless. RFC 5961 7: at most one per connection
 * per TCP_OOW_GAP, then within the second's random budget shared by all
 * (as Linux), so they can neither be turned into a flood nor counted. */
static enum stack_verdict challenge_ack(struct stack *s, struct tcp_seg *seg,
					struct tcp_conn *c)
{
	uint64_t second = s->now_ns / 1000000000u;

	if (oow_ack_limited(s, c)) {
		s->ctr.drop_challenge_ack_conn_limited++;
		return STACK_DROP;
	}
	if (second != s->challenge_second) {
		s->challenge_second = second;
		s->challenge_left = challenge_budget(s, second);
	}
	if (!s->challenge_left) {
		s->ctr.drop_challenge_ack_limited++;
		return STACK_DROP;
	}
	s->challenge_left--;
	s->ctr.tx_challenge_ack++;
	tcp_reply_control(s, seg, TCP_ACK, c->snd_nxt, c->rcv_nxt, tcp_rcv_wnd(s, c));
	return STACK_SENT;
}

/* RFC 9293 3.10.7.4, first check: does the segment overlap the window? */
static int seq_acceptable(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t seg_len = seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
	uint32_t first = seg->seq - c->rcv_nxt; /* offset into the window */

	if (seg_len == 0)
		return first < TCP_RCV_WND;
	return first < TCP_RCV_WND || seg->seq + seg_len - 1 - c->rcv_nxt < TCP_RCV_WND;
}

/* After the text of seg was consumed, with w writing into seg's frame: the
 * eighth check, FIN, only once all text before it is consumed. Our FIN
 * goes with the ACK of theirs; the connection waits in LAST-ACK. Our FIN
 * needs a send buffer block for its retransmission: without one, theirs is
 * left unacknowledged and comes again. Then what was written goes, with at
 * least an ACK. */
static inline enum stack_verdict text_done(struct stack *s, const struct tcp_seg *seg,
					   struct tcp_conn *c, struct tcp_writer *w, uint8_t fin)
{
	if (fin && c->rcv_nxt == seg->seq + seg->len && tcp_writer_reserve(w, 0) == 0) {
		c->rcv_nxt++;
		c->last_req = (uint32_t)tcp_now_tick(s); /* the close's start, for its timeout */
		conn_policy_set_state(&s->policy, c, TCP_LAST_ACK);
		tcp_timer_ensure(s, c, conn_mgmt_deadline(s, c));
		tcp_writer_close(w, TCP_FIN);
	} else {
		tcp_writer_close(w, 0);
	}
	if (c->snd_nxt == c->snd_una) /* else an answer is in flight */
		sndq_release_if_done(s, c);
	return STACK_SENT;
}

/* A client stack's len in-order bytes in s->scratch (and a FIN after them
 * if fin): to the application, which may send, close or abort from its
 * callback. What it sends carries the ACK; else an ACK goes in seg's
 * frame. */
static enum stack_verdict client_text(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c,
				      uint32_t len, uint8_t fin)
{
	uint32_t snd_nxt = c->snd_nxt;
	struct tcp_writer w;

	c->rcv_nxt += len;
	if (len) {
		s->app.received(s->app.arg, (uint32_t)(c - s->conns.conns), s->scratch, len);
		/* The callback may have closed c, and a connect taken its slot. */
		if (!c->state || c->state == TCP_SYN_SENT ||
		    !conn_still_of(s, c, seg))
			return STACK_DROP;
		if (c->state != TCP_ESTABLISHED) /* its close: the FIN carried our ACK */
			return fin ? tcp_close_input(s, seg, c) : STACK_DROP;
		if (!fin && c->snd_nxt != snd_nxt)
			return STACK_DROP; /* what it sent carried the ACK */
	}
	tcp_writer_init(&w, s, c, seg);
	return text_done(s, seg, c, &w, fin);
}

/* The synchronized states (RFC 9293 3.10.7.4), compiled twice: for a server
 * (input_synchronized) and for a client stack (client_synchronized), so
 * neither tests which it is on its way (client is a constant). */
static inline __attribute__((always_inline)) enum stack_verdict
synchronized(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c, const int client,
	     struct tcp_text *t)
{
	uint32_t skip, len;
	uint8_t fin;
	int wnd_closed;

	if (!seq_acceptable(c, seg)) {
		if (tcp_time_wait_reopens(s, c, seg))
			return reopen(s, seg, c, t);
		s->ctr.drop_seq_unacceptable++;
		if (seg->flags & TCP_RST)
			return STACK_DROP;
		/* RFC 5961 7, as Linux: text or a FIN behind RCV.NXT is the
		 * peer's retransmission, which our ACK (or our answer again)
		 * ends; only segments without either can keep an ACK loop
		 * going, and only theirs are limited. */
		if (!seg->len && !(seg->flags & TCP_FIN) && oow_ack_limited(s, c)) {
			s->ctr.drop_oow_ack_limited++;
			return STACK_DROP;
		}
		return tcp_reply_ack(s, seg, c);
	}
	/* Anything acceptable from the peer answers keepalive probes (RFC
	 * 1122 4.2.3.6); both fields are in the line just read. */
	c->last_rx = (uint32_t)tcp_now_tick(s);
	c->ka_probes = 0;
	/* Second check, RST (RFC 5961 3.2): only an exact RCV.NXT resets. */
	if (seg->flags & TCP_RST) {
		/* RFC 1337 3 (fix F1): not in TIME-WAIT, which then ends as it
		 * should. The RST answers a segment of ours that crossed the
		 * peer's close (an ACK of a FIN it had sent again): taking it
		 * would end TIME-WAIT early, the hazard TIME-WAIT is for. */
		if (__builtin_expect(c->state == TCP_TIME_WAIT, 0)) {
			s->ctr.drop_rst_time_wait++;
			return STACK_DROP;
		}
		if (seg->seq != c->rcv_nxt)
			return challenge_ack(s, seg, c);
		s->ctr.conn_reset_by_peer++;
		tcp_conn_close(s, c, STACK_RESET);
		return STACK_DROP;
	}
	/* Fourth check, SYN in a synchronized state (RFC 5961 4.2). */
	if (seg->flags & TCP_SYN) {
		if (tcp_time_wait_reopens(s, c, seg))
			return reopen(s, seg, c, t);
		return challenge_ack(s, seg, c);
	}
	/* Fifth check, ACK. */
	if (!(seg->flags & TCP_ACK)) {
		s->ctr.drop_no_ack_flag++;
		return STACK_DROP;
	}
	/* RFC 5961 5.2: an ACK older than SND.UNA - MAX.SND.WND is a blind
	 * injection attempt. Without window scaling no window exceeds 65535,
	 * which stands in for MAX.SND.WND. */
	if (seq_lt(seg->ack, c->snd_una - TCP_MAX_SND_WND)) {
		s->ctr.drop_ack_too_old++;
		return challenge_ack(s, seg, c);
	}
	if (seq_gt(seg->ack, c->snd_nxt)) {
		/* RFC 5961 5.2 answers it with an ACK, limited as above (7):
		 * a genuine peer never acknowledges what was not sent. */
		s->ctr.drop_ack_beyond_snd_nxt++;
		if (oow_ack_limited(s, c)) {
			s->ctr.drop_oow_ack_limited++;
			return STACK_DROP;
		}
		return tcp_reply_ack(s, seg, c);
	}
	wnd_closed = !tcp_rcv_wnd(s, c);
	if (seq_gt(seg->ack, c->snd_una))
		ack_new(s, c, seg->ack);
	else if (!seg->wnd && c->snd_buf != CONN_NONE)
		sndq_head(s, c)->retries = 0; /* RFC 1122 4.2.2.17: a live peer's closed window */
	/* RFC 9293 3.10.7.4 takes the window from segments no older than the
	 * last that updated it (SND.WL1, SND.WL2); we keep neither, and let a
	 * segment that is not an old retransmission (SEG.SEQ >= RCV.NXT) stand
	 * in. */
	if (!seq_lt(seg->seq, c->rcv_nxt))
		tcp_peer_window(s, c, seg->wnd);
	if (c->state != TCP_ESTABLISHED) {
		if (c->state != TCP_LAST_ACK)
			return tcp_close_input(s, seg, c);
		if (tcp_fin_acked(c)) {
			s->ctr.conn_closed++;
			tcp_conn_close(s, c, STACK_CLOSED);
			return STACK_DROP;
		}
		return tcp_send_waiting(s, seg, c);
	}

	/* Segment text (seventh check): trim what was received before; text
	 * that starts beyond RCV.NXT leaves a hole: it is kept if it can be
	 * (tcp_reorder.c), and acknowledged at once with a duplicate ACK (RFC
	 * 9293 3.10.7.4, RFC 5681 4.2), which asks the peer for the hole. */
	if (seq_gt(seg->seq, c->rcv_nxt)) {
		tcp_reorder_keep(s, seg, c);
		sndq_release_if_done(s, c);
		return tcp_reply_ack(s, seg, c);
	}
	skip = c->rcv_nxt - seg->seq;
	if (skip > seg->len)
		skip = seg->len;
	/* A FIN is new when its sequence number (after the text) is not
	 * behind RCV.NXT. */
	fin = (seg->flags & TCP_FIN) && !seq_lt(seg->seq + seg->len, c->rcv_nxt);
	if (seg->len == skip && !fin) {
		/* No new text: an ACK, perhaps of a window that opened. */
		enum stack_verdict v = tcp_send_waiting(s, seg, c);

		sndq_release_if_done(s, c);
		if (v == STACK_DROP && wnd_closed && tcp_rcv_wnd(s, c)) {
			/* Ours opened: the peer learns it now rather than
			 * at its next probe (RFC 9293 3.8.6.2.2). */
			s->ctr.tx_ack++;
			tcp_reply_control(s, seg, TCP_ACK, c->snd_nxt, c->rcv_nxt, tcp_rcv_wnd(s, c));
			return STACK_SENT;
		}
		return v;
	}

	/* The payload is copied aside because the replies overwrite its frame.
	 * Only a backend with frames larger than any MTU could exceed it. */
	if (seg->len - skip > sizeof(s->scratch)) {
		s->ctr.drop_segment_too_long++;
		return STACK_DROP;
	}
	len = seg->len - skip;
	memcpy(s->scratch, seg->payload + skip, len);
	c->last_req = (uint32_t)tcp_now_tick(s); /* a request: the idle clock restarts */
	if (__builtin_expect(c->rx_held & TCP_HELD_OOO, 0))
		len = tcp_reorder_fill(s, c, s->scratch, len, sizeof(s->scratch));
	if (client)
		return client_text(s, seg, c, len, fin);
	t->c = c;
	t->len = len;
	t->fin = fin;
	return STACK_TEXT;
}

enum stack_verdict tcp_text_done(struct stack *s, const struct tcp_seg *seg,
				 const struct tcp_text *t, int app, struct tcp_writer *w)
{
	struct tcp_conn *c = t->c;

	if (app == TCP_APP_RESET) {
		/* The application cannot go on: replies already written stay
		 * sent, then its abort, <SEQ=SND.NXT><CTL=RST> (RFC 9293
		 * 3.10.5). */
		if (tcp_writer_control(w, TCP_RST, c->snd_nxt) == 0)
			s->ctr.tx_rst++;
		tcp_conn_close(s, c, STACK_ABORTED);
		return STACK_SENT;
	}
	return text_done(s, seg, c, w, t->fin);
}

static enum stack_verdict input_synchronized(struct stack *s, struct tcp_seg *seg,
					     struct tcp_conn *c, struct tcp_text *t)
{
	return synchronized(s, seg, c, 0, t);
}

static enum stack_verdict client_synchronized(struct stack *s, struct tcp_seg *seg,
					      struct tcp_conn *c)
{
	return synchronized(s, seg, c, 1, 0);
}

enum stack_verdict tcp_input_client(struct stack *s, struct tcp_seg *seg, struct tcp_conn *hint)
{
	struct tcp_conn *c =
		hint ? hint : conn_lookup(&s->conns, seg->saddr, seg->daddr, seg->sport, seg->dport,
					 seg_raddr6(seg));

	if (!c) /* it listens nowhere */
		return input_closed(s, seg);
	if (__builtin_expect(c->state == TCP_SYN_SENT, 0))
		return tcp_syn_sent_input(s, seg, c);
	return client_synchronized(s, seg, c);
}

/* An IPv6 segment checked before its local address had an index: a
 * segment of its burst may have opened the first connection to it since
 * (a handshake's last ACK and the first request, sent back to back). */
static inline void seg_local6_again(struct stack *s, struct tcp_seg *seg)
{
	if (__builtin_expect(seg->v6, 0) && seg->daddr == LOCAL6_NONE) {
		seg->daddr = local6_find(&s->local6, seg->addr6 + 16);
		seg->reply.saddr = seg->daddr;
	}
}

enum stack_verdict tcp_input(struct stack *s, struct tcp_seg *seg, struct tcp_conn *hint,
			     struct tcp_text *t)
{
	struct tcp_conn *c;
	uint16_t dport;

	if (!hint)
		seg_local6_again(s, seg);
	c = hint ? hint : conn_lookup(&s->conns, seg->saddr, seg->daddr, seg->sport, seg->dport,
				     seg_raddr6(seg));

	if (c)
		return input_synchronized(s, seg, c, t);
	dport = (uint16_t)__builtin_bswap16(seg->dport);
	if (!(s->port_served[dport >> 3] & (1u << (dport & 7))))
		return input_closed(s, seg);
	return input_listen(s, seg, t);
}
