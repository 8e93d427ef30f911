/* Per-connection timers (see tcp_timer.h) and the RFC 6298 retransmission
 * timer of the send queue. */
#include "tcp_timer.h"

#include "priv/tcp_priv.h"

#define TCP_RTT_MAX_TICKS 8191u /* srtt8 holds 8191 ticks (8.6 s) */
#define TCP_BACKOFF_MAX 16

void tcp_timer_ensure(struct stack *s, struct tcp_conn *c, uint64_t at)
{
	uint32_t idx = (uint32_t)(c - s->conns.conns);

	if (timer_running(&s->timers, idx) && s->timers.entries[idx].deadline <= at)
		return;
	timer_start(&s->timers, idx, at);
}

/* The tick a closed window on c's answers has lasted too long. */
static uint64_t zero_window_deadline(const struct stack *s, const struct tcp_conn *c)
{
	return tcp_tick_expand(s, sndq_head(s, c)->rtt_at) + conn_close_ticks(s, c);
}

void tcp_zero_window(struct stack *s, struct tcp_conn *c)
{
	struct sndq_block *b;

	if (c->snd_buf == CONN_NONE || (c->flags & TCP_CF_ZW))
		return;
	b = sndq_head(s, c);
	/* rtt_at now holds the clock's start: a measurement running is
	 * dropped (its ACK may wait on the peer's reader anyway). */
	b->flags &= (uint8_t)~SNDQ_TIMING;
	b->rtt_at = (uint32_t)tcp_now_tick(s);
	c->flags |= TCP_CF_ZW;
	tcp_timer_ensure(s, c, zero_window_deadline(s, c));
}

void tcp_timer_arm(struct stack *s, struct tcp_conn *c)
{
	uint64_t at = UINT64_MAX;
	uint64_t cm = conn_mgmt_deadline(s, c);

	if (c->snd_buf != CONN_NONE) {
		at = tcp_tick_expand(s, sndq_deadline(s, c, sndq_head(s, c)));
		if (c->flags & TCP_CF_ZW) {
			uint64_t zw = zero_window_deadline(s, c);

			at = zw < at ? zw : at;
		}
	}
	if (cm < at)
		at = cm;
	if (at != UINT64_MAX)
		tcp_timer_ensure(s, c, at);
}

/* RFC 6298 5.4 to 5.6, and RFC 9293 3.8.6.1 for a closed window: resend,
 * back off, restart; after max_retries timeouts without an ACK, give up with
 * a RST (RFC 9293 3.8.3: R2, here counted in retransmissions). Returns -1
 * when c was closed. */
static int rtx_timeout(struct stack *s, struct tcp_conn *c)
{
	struct sndq_block *b = sndq_head(s, c);
	struct tcp_writer w;
	int idle;

	if (b->retries >= s->max_retries) {
		s->ctr.conn_reset_retransmit_limit++;
		if (tcp_send_ctl(s, c, TCP_RST, c->snd_nxt) == 0)
			s->ctr.tx_rst++;
		tcp_conn_close(s, c, STACK_TIMED_OUT);
		return -1;
	}
	tcp_writer_init_conn(&w, s, c);
	idle = c->snd_nxt == c->snd_una; /* the persist timer: a probe, or the override */
	if (tcp_writer_resend(&w) == 0) {
		if (idle)
			s->ctr.tx_window_probe++;
		else
			s->ctr.tx_retransmit_timeout++;
	}
	/* Backed off even when no frame was free: the next try comes later. */
	b->retries++;
	if (b->backoff < TCP_BACKOFF_MAX)
		b->backoff++;
	tcp_rtx_restart(s, c, b);
	return 0;
}

void tcp_timer_fired(void *arg, uint32_t idx)
{
	struct stack *s = arg;
	struct tcp_conn *c = &s->conns.conns[idx];

	if (!c->state)
		return; /* closed since it was armed */
	if ((c->flags & TCP_CF_ZW) && tcp_now_tick(s) >= zero_window_deadline(s, c)) {
		/* RFC 9293 3.8.6.1 lets a live peer keep its window closed for
		 * ever; RFC 6429 lets a server short of buffers end that. The
		 * blocks it holds are wanted by the peers that read. */
		s->ctr.conn_reset_zero_window++;
		if (tcp_send_ctl(s, c, TCP_RST, c->snd_nxt) == 0)
			s->ctr.tx_rst++;
		tcp_conn_close(s, c, STACK_TIMED_OUT);
		return;
	}
	if (c->snd_buf != CONN_NONE && tcp_tick_due(s, sndq_deadline(s, c, sndq_head(s, c))) &&
	    rtx_timeout(s, c) < 0)
		return;
	conn_mgmt_expire(s, c); /* what is due of it; it may close c */
	if (!c->state)
		return;
	tcp_timer_arm(s, c);
}

void tcp_rtt_sample(struct stack *s, struct tcp_conn *c, uint32_t r)
{
	s->ctr.rtt_samples++;
	if (r > TCP_RTT_MAX_TICKS)
		r = TCP_RTT_MAX_TICKS;
	if (!(c->flags & TCP_CF_RTT)) {
		/* RFC 6298 2.2: SRTT = R, RTTVAR = R / 2. */
		c->srtt8 = (uint16_t)(r << 3);
		c->rttvar4 = (uint16_t)(r << 1);
		c->flags |= TCP_CF_RTT;
	} else {
		/* RFC 6298 2.3 with beta 1/4 and alpha 1/8, in scaled integers
		 * (Jacobson and Karels 1988): RTTVAR from the old SRTT first. */
		int32_t err = (int32_t)r - (int32_t)(c->srtt8 >> 3);

		/* With r <= 8191 both stay in 16 bits: rttvar4 converges to at
		 * most 4 * 8191, srtt8 to 8 * 8191. */
		c->rttvar4 = (uint16_t)(c->rttvar4 - (c->rttvar4 >> 2) + (uint32_t)(err < 0 ? -err : err));
		c->srtt8 = (uint16_t)(c->srtt8 - (c->srtt8 >> 3) + r);
	}
}

void tcp_rtx_arm(struct stack *s, struct tcp_conn *c, struct sndq_block *b)
{
	b->flags |= SNDQ_ARMED;
	tcp_timer_ensure(s, c, tcp_tick_expand(s, sndq_deadline(s, c, b)));
}

uint32_t stack_timers(struct stack *s, uint64_t now_ns)
{
	s->now_ns = now_ns;
	return timer_advance(&s->timers, now_ns >> STACK_TICK_SHIFT, tcp_timer_fired, s);
}
