/* Connection management on the TCP side: our own close (RFC 9293 3.6:
 * FIN-WAIT-1, FIN-WAIT-2, CLOSING, TIME-WAIT), and the idle, keepalive and
 * TIME-WAIT deadlines. Admission is tcp.c's.
 *
 * TIME-WAIT is bounded by --time-wait (1 s by default), far below the 2 MSL
 * of RFC 9293 3.6 (4 minutes): a server that closes idle connections would
 * otherwise keep a slot for each of them that long. What TIME-WAIT guards
 * against, an old duplicate segment taken into a new incarnation of the
 * tuple, needs the client to reuse its port within that time; a full table
 * gives TIME-WAIT slots to new connections first anyway.
 *
 * A client stack (stack/tcp/tcp_connect.c) closes first, so TIME-WAIT is
 * its own: time_wait_ms long, and a tuple in it is never reused (stack_
 * connect: -EADDRINUSE). A connection-rate run of hundreds of thousands of
 * connections a second therefore needs BOTH a short TIME-WAIT and many
 * source tuples: at rate R, R * time_wait_ms / 1000 tuples are in
 * TIME-WAIT at once (with 1 s, one source address's 64,511 ports carry
 * about 64,000 connections a second, and a prefix of addresses as many
 * times more). The 2 MSL of RFC 9293
 * 3.6.1 (4 minutes) would need 240 times as many. The short time is safe
 * where the generator runs, a lab link of a few hops whose segments live
 * milliseconds, not the MSL of a routed internet; and since each tuple
 * waits out its TIME-WAIT before it is used again, with an ISS from the
 * 4 us clock (RFC 6528) above the old incarnation's sequence numbers,
 * the reuse RFC 6191 permits with timestamps is not needed. A RST does
 * not end TIME-WAIT early (RFC 1337, tcp_in.c). */
#include "priv/tcp_priv.h"

void tcp_abort(struct stack *s, struct tcp_conn *c, enum stack_close_why why)
{
	if (tcp_send_ctl(s, c, TCP_RST, c->snd_nxt) == 0)
		s->ctr.tx_rst++;
	tcp_conn_close(s, c, why);
}

void tcp_active_close(struct stack *s, struct tcp_conn *c)
{
	/* The FIN goes after anything still queued and is retransmitted
	 * until acknowledged (tcp_send_fin); with no send buffer for it, or
	 * with --close rst, the close is an abort. */
	if (s->policy.cfg.close_rst || tcp_send_fin(s, c) < 0) {
		tcp_abort(s, c, STACK_ABORTED);
		return;
	}
	c->last_req = (uint32_t)tcp_now_tick(s); /* the close's start, for its timeout */
	conn_policy_set_state(&s->policy, c, TCP_FIN_WAIT_1);
}

static void enter_time_wait(struct stack *s, struct tcp_conn *c)
{
	c->last_req = (uint32_t)tcp_now_tick(s); /* TIME-WAIT's start */
	conn_policy_set_state(&s->policy, c, TCP_TIME_WAIT);
	tcp_timer_ensure(s, c, conn_mgmt_deadline(s, c));
}

int tcp_time_wait_reopens(const struct stack *s, const struct tcp_conn *c,
			   const struct tcp_seg *seg)
{
	/* RFC 1122 4.2.2.13: a SYN may reopen a connection in TIME-WAIT if
	 * its sequence number is above the previous incarnation's; a client
	 * stack listens nowhere. */
	return !s->client && c->state == TCP_TIME_WAIT && (seg->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
	       seq_gt(seg->seq, c->rcv_nxt);
}

enum stack_verdict tcp_close_input(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c)
{
	int fin_acked = tcp_fin_acked(c);
	uint8_t fin;

	switch (c->state) {
	case TCP_FIN_WAIT_1:
		if (fin_acked)
			conn_policy_set_state(&s->policy, c, TCP_FIN_WAIT_2);
		break;
	case TCP_CLOSING:
		if (fin_acked)
			enter_time_wait(s, c);
		return STACK_DROP;
	case TCP_TIME_WAIT:
		/* Only a retransmitted FIN belongs here, and it fails the
		 * sequence check (tcp_reply_ack). */
		return STACK_DROP;
	default:
		break;
	}
	if (seq_gt(seg->seq, c->rcv_nxt)) {
		s->ctr.drop_out_of_order++;
		return tcp_reply_ack(s, seg, c);
	}
	/* New text after our close has no reader: RFC 1122 4.2.2.13 asks for
	 * a RST, so the peer learns its data was lost. */
	if (seq_gt(seg->seq + seg->len, c->rcv_nxt)) {
		s->ctr.conn_reset_data_after_close++;
		s->ctr.tx_rst++;
		tcp_reply_control(s, seg, TCP_RST, c->snd_nxt, 0, TCP_RCV_WND);
		tcp_conn_close(s, c, STACK_ABORTED);
		return STACK_SENT;
	}
	fin = (seg->flags & TCP_FIN) && seg->seq + seg->len == c->rcv_nxt;
	if (!fin) /* an ACK: our FIN may be waiting for the window it opens */
		return c->state == TCP_FIN_WAIT_1 ? tcp_send_waiting(s, seg, c) : STACK_DROP;
	/* Eighth check: FIN-WAIT-1 with our FIN unacknowledged goes to
	 * CLOSING, otherwise to TIME-WAIT; either way the FIN is acknowledged. */
	c->rcv_nxt++;
	if (c->state == TCP_FIN_WAIT_1) {
		c->last_req = (uint32_t)tcp_now_tick(s);
		conn_policy_set_state(&s->policy, c, TCP_CLOSING);
	} else {
		enter_time_wait(s, c);
	}
	s->ctr.tx_ack++;
	tcp_reply_control(s, seg, TCP_ACK, c->snd_nxt, c->rcv_nxt, tcp_rcv_wnd(s, c));
	return STACK_SENT;
}

static uint32_t idle_ms(const struct stack *s, const struct tcp_conn *c)
{
	return (c->cm_flags & CONN_PRIORITY) ? s->policy.cfg.priority_idle_ms : s->policy.cfg.idle_ms;
}

uint32_t conn_close_ticks(const struct stack *s, const struct tcp_conn *c)
{
	uint32_t idle = idle_ms(s, c);

	return tcp_ticks_from_ms(idle ? idle : TCP_CLOSE_TIMEOUT_MS);
}

/* RFC 1122 4.2.3.6: the first probe after keepalive_idle_ms of silence,
 * then one each keepalive_intvl_ms (a segment from the peer zeroes
 * ka_probes and moves last_rx). */
static uint64_t keepalive_deadline(const struct stack *s, const struct tcp_conn *c)
{
	const struct conn_policy_config *cfg = &s->policy.cfg;

	return tcp_tick_expand(s, c->last_rx) + tcp_ticks_from_ms(cfg->keepalive_idle_ms) +
	       c->ka_probes * tcp_ticks_from_ms(cfg->keepalive_intvl_ms);
}

uint64_t conn_mgmt_deadline(const struct stack *s, const struct tcp_conn *c)
{
	uint32_t idle = idle_ms(s, c);
	uint64_t since = tcp_tick_expand(s, c->last_req), d = UINT64_MAX;

	switch (c->state) {
	case TCP_ESTABLISHED:
		if (idle)
			d = since + tcp_ticks_from_ms(idle);
		if (s->policy.cfg.keepalive_idle_ms) {
			uint64_t k = keepalive_deadline(s, c);

			d = k < d ? k : d;
		}
		return d;
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		/* Our close began after idle_ms of silence, or the peer's began
		 * (LAST-ACK); the peer gets as long again to finish it, so no
		 * close holds a slot and its blocks for ever. */
		return since + conn_close_ticks(s, c);
	case TCP_TIME_WAIT:
		return since + tcp_ticks_from_ms(s->policy.cfg.time_wait_ms);
	case TCP_SYN_SENT:
		return tcp_syn_deadline(s, c);
	default:
		return UINT64_MAX;
	}
}

void conn_mgmt_expire(struct stack *s, struct tcp_conn *c)
{
	const struct conn_policy_config *cfg = &s->policy.cfg;
	uint64_t now = tcp_now_tick(s);
	uint32_t idle = idle_ms(s, c);

	if (now < conn_mgmt_deadline(s, c))
		return;
	switch (c->state) {
	case TCP_TIME_WAIT:
		s->ctr.conn_closed_active++;
		tcp_conn_close(s, c, STACK_CLOSED);
		return;
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSING:
		s->ctr.conn_close_timeout++;
		tcp_abort(s, c, STACK_TIMED_OUT);
		return;
	case TCP_LAST_ACK:
		s->ctr.conn_last_ack_timeout++;
		tcp_abort(s, c, STACK_TIMED_OUT);
		return;
	case TCP_SYN_SENT:
		tcp_syn_timeout(s, c);
		return;
	case TCP_ESTABLISHED:
		break;
	default:
		return;
	}
	if (idle && now >= tcp_tick_expand(s, c->last_req) + tcp_ticks_from_ms(idle)) {
		s->ctr.conn_idle_timeout++;
		tcp_active_close(s, c);
		return;
	}
	if (!cfg->keepalive_idle_ms)
		return;
	/* Keepalive is due: too many unanswered probes reset the connection,
	 * otherwise one more probe. */
	if (c->ka_probes >= cfg->keepalive_count) {
		s->ctr.conn_keepalive_timeout++;
		tcp_abort(s, c, STACK_TIMED_OUT);
		return;
	}
	c->ka_probes++;
	/* <SEQ=SND.NXT-1>: one octet the peer has already acknowledged, so it
	 * must answer with an ACK (RFC 1122 4.2.3.6, RFC 9293 3.8.4). */
	if (tcp_send_ctl(s, c, TCP_ACK, c->snd_nxt - 1) == 0)
		s->ctr.tx_keepalive_probe++;
}
