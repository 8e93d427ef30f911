/* The client side of the stack: active open (RFC 9293 3.5), SYN-SENT
 * (3.10.7.3) and the calls of a client stack's application (stack.h).
 *
 * Only the open is the client's own. Once ESTABLISHED, a connection goes
 * through the same input, output, send queue and timer code as a server's:
 * its data is retransmitted by the send queue's timer (RFC 6298), its close
 * is the active close of tcp_close.c (FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT)
 * and a peer's close is answered as a server answers it (LAST-ACK). In
 * SYN-SENT the connection holds no send block: the SYN's retransmission
 * state lives in the connection (tcp_conn.h) and its timer is the
 * connection-management kind of the wheel entry (tcp_close.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "priv/tcp_priv.h"

/* RFC 9293 3.4.1 and RFC 6528: ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey), M a clock of 4 us, F a keyed hash (SipHash under
 * the run's secret), so a new incarnation of a tuple starts above the old
 * one's sequence numbers and no off-path host can guess them. */
static uint32_t iss(const struct stack *s, const struct tcp_conn *c)
{
	/* 32 bytes, or 48 with IPv6 addresses (not TCP's keys of them):
	 * neither a cookie's input (16 or 40) nor the challenge ACK budget's
	 * (24) hashes the same. */
	uint64_t in[6] = { 0x383235362d636672ull /* "rfc-6528" */,
			   (uint64_t)c->laddr << 32 | c->raddr,
			   (uint64_t)c->lport << 16 | c->rport, 0 };
	size_t n = 32;
	uint64_t h;

	if (c->cm_flags & CONN_V6) {
		memcpy(&in[1], s->conns.raddr6[c - s->conns.conns], 16);
		memcpy(&in[4], local6_addr(&s->local6, c->laddr), 16);
		n = 48;
	}
	crypto_shorthash_siphash24((uint8_t *)&h, (const uint8_t *)in, n, s->cookie_key);
	return (uint32_t)(s->now_ns / 4000u) + (uint32_t)h;
}

/* Our SYN, with our MSS (RFC 9293 3.7.1): <SEQ=ISS><CTL=SYN>. */
static int syn_send(struct stack *s, struct tcp_conn *c)
{
	return tcp_send_ctl(s, c, TCP_SYN, c->snd_una);
}

uint64_t tcp_syn_deadline(const struct stack *s, const struct tcp_conn *c)
{
	/* RFC 6298 2.1 and 5.5: the initial RTO, doubled for each time the
	 * SYN went again, at most rto_max. */
	uint64_t rto = (uint64_t)tcp_rto(s, c) << c->ka_probes;

	return tcp_tick_expand(s, c->last_req) + (rto < s->rto_max ? rto : s->rto_max);
}

void tcp_syn_timeout(struct stack *s, struct tcp_conn *c)
{
	if (c->ka_probes >= s->max_retries) {
		/* Nothing was synchronized: no RST (RFC 9293 3.10.4, ABORT in
		 * SYN-SENT), as RFC 1122 4.2.3.5 gives up a SYN's R2. */
		s->ctr.conn_syn_timeout++;
		tcp_conn_close(s, c, STACK_TIMED_OUT);
		return;
	}
	/* Backed off even when no frame was free: the next try comes later. */
	c->ka_probes++;
	c->last_req = (uint32_t)tcp_now_tick(s);
	if (syn_send(s, c) == 0) {
		s->ctr.tx_syn++;
		s->ctr.tx_syn_retransmit++;
	}
}

/* SYN-SENT (RFC 9293 3.10.7.3). With SND.UNA = ISS and SND.NXT = ISS + 1,
 * the only acceptable ACK is SND.NXT. */
enum stack_verdict tcp_syn_sent_input(struct stack *s, struct tcp_seg *seg, struct tcp_conn *c)
{
	uint32_t now = (uint32_t)tcp_now_tick(s), snd_nxt;
	uint64_t due;

	/* First, the ACK: one of anything but our SYN gets <SEQ=SEG.ACK>
	 * <CTL=RST>, unless it is a RST itself. */
	if ((seg->flags & TCP_ACK) && seg->ack != c->snd_nxt) {
		s->ctr.drop_syn_sent_bad_ack++;
		if (seg->flags & TCP_RST)
			return STACK_DROP;
		s->ctr.tx_rst++;
		tcp_reply_control(s, seg, TCP_RST, seg->ack, 0, TCP_RCV_WND);
		return STACK_SENT;
	}
	/* Second, RST: with the ACK of our SYN, the peer refuses (RFC 5961
	 * 3.2 keeps this check for SYN-SENT); without an ACK it is dropped. */
	if (seg->flags & TCP_RST) {
		if (!(seg->flags & TCP_ACK)) {
			s->ctr.drop_syn_sent_rst_no_ack++;
			return STACK_DROP;
		}
		s->ctr.conn_refused_by_peer++;
		tcp_conn_close(s, c, STACK_REFUSED);
		return STACK_DROP;
	}
	/* Fourth, SYN. */
	if (!(seg->flags & TCP_SYN)) {
		s->ctr.drop_syn_sent_no_syn++;
		return STACK_DROP;
	}
	if (!(seg->flags & TCP_ACK)) {
		/* A simultaneous open (3.5, figure 8) would need SYN-RECEIVED,
		 * which a load generator's connections never meet: our SYN
		 * keeps going until the peer answers it. */
		s->ctr.drop_simultaneous_open++;
		return STACK_DROP;
	}
	/* A SYN-ACK: its text, if any, is not taken (nor acknowledged), and
	 * comes again. */
	if (seg->len)
		s->ctr.drop_syn_ack_data++;
	if (!c->ka_probes) /* Karn's rule: only a SYN sent once is timed (RFC 6298 3) */
		tcp_rtt_sample(s, c, now - c->last_req);
	c->rcv_nxt = seg->seq + 1;
	c->snd_una = seg->ack;
	c->peer_mss = !seg->mss ? (seg->v6 ? TCP_MSS_DEFAULT6 : TCP_MSS_DEFAULT) :
		      seg->mss < TCP_MSS_MIN ? TCP_MSS_MIN : seg->mss;
	tcp_peer_window(s, c, seg->wnd);
	c->last_rx = c->last_req = now;
	c->ka_probes = 0;
	/* The first answer to a failed check may go at once (RFC 5961 7). */
	c->oow_ack_at = (uint16_t)((now >> TCP_OOW_SHIFT) - TCP_OOW_GAP);
	conn_policy_set_state(&s->policy, c, TCP_ESTABLISHED);
	s->ctr.conn_connected++;
	due = conn_mgmt_deadline(s, c); /* keepalive, if configured */
	if (due != UINT64_MAX)
		tcp_timer_ensure(s, c, due);
	snd_nxt = c->snd_nxt;
	s->app.established(s->app.arg, (uint32_t)(c - s->conns.conns));
	/* What the application sent carries the handshake's third segment's
	 * ACK; if it closed c, the connection's last segment did. */
	if (c->state != TCP_ESTABLISHED || c->snd_nxt != snd_nxt ||
	    !conn_still_of(s, c, seg))
		return STACK_DROP;
	s->ctr.tx_ack++;
	tcp_reply_control(s, seg, TCP_ACK, c->snd_nxt, c->rcv_nxt, tcp_rcv_wnd(s, c));
	return STACK_SENT;
}

/* stack_connect's and stack_connect6's work, on TCP's keys of the tuple
 * (raddr6: as for conn_is). */
static int connect_tuple(struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
			 uint16_t rport, const uint8_t *raddr6, const uint8_t dst_mac[6], uint16_t tci,
			 uint32_t *conn)
{
	uint16_t lp = htons(lport), rp = htons(rport);
	struct conn_l2 *l2;
	struct tcp_conn *c;

	/* A tuple in TIME-WAIT is not reused (RFC 9293 3.6.1; see the TIME-WAIT
	 * of tcp_close.c): the caller takes another source port or address. */
	if (conn_lookup(&s->conns, raddr, laddr, rp, lp, raddr6))
		return -EADDRINUSE;
	c = conn_insert(&s->conns, raddr, laddr, rp, lp, raddr6);
	if (!c)
		return -ENOSPC;
	l2 = &s->conns.l2[c - s->conns.conns];
	memcpy(l2->mac, dst_mac, sizeof(l2->mac));
	l2->tci = tci;
	c->snd_una = iss(s, c);
	c->snd_nxt = c->snd_una + 1;
	c->peer_mss = raddr6 ? TCP_MSS_DEFAULT6 : TCP_MSS_DEFAULT;
	c->last_rx = c->last_req = (uint32_t)tcp_now_tick(s);
	conn_policy_set_state(&s->policy, c, TCP_SYN_SENT);
	if (syn_send(s, c) < 0) {
		/* Never handed out: no callback for it. */
		conn_policy_set_state(&s->policy, c, 0);
		conn_remove(&s->conns, c);
		return -ENOBUFS;
	}
	s->ctr.tx_syn++;
	tcp_timer_ensure(s, c, tcp_syn_deadline(s, c));
	*conn = (uint32_t)(c - s->conns.conns);
	return 0;
}

int stack_connect(struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
		  const uint8_t dst_mac[6], uint16_t tci, uint32_t *conn)
{
	if (!s->client)
		return -EINVAL;
	return connect_tuple(s, laddr, lport, raddr, rport, 0, dst_mac, tci, conn);
}

int stack_connect6(struct stack *s, const uint8_t laddr[16], uint16_t lport,
		   const uint8_t raddr[16], uint16_t rport, const uint8_t dst_mac[6], uint16_t tci,
		   uint32_t *conn)
{
	uint32_t local;

	if (!s->client)
		return -EINVAL;
	local = local6_add(&s->local6, laddr);
	if (local == LOCAL6_NONE)
		return -EADDRNOTAVAIL;
	return connect_tuple(s, local, lport, addr6_conn_key(s->conns.hash_key, raddr), rport, raddr,
			     dst_mac, tci, conn);
}

/* Connection conn of a client stack, or NULL (conn out of range, or a
 * server stack). */
static struct tcp_conn *client_conn(struct stack *s, uint32_t conn)
{
	return s->client && conn < s->conns.capacity ? &s->conns.conns[conn] : 0;
}

int stack_send(struct stack *s, uint32_t conn, const void *p, uint32_t n)
{
	struct tcp_conn *c = client_conn(s, conn);
	uint32_t mss;

	if (!c)
		return -EINVAL;
	/* Nothing is sent after our FIN (RFC 9293 3.10.2), nor after the
	 * peer's: it is answered with ours at once (LAST-ACK). */
	if (c->state != TCP_ESTABLISHED || (c->flags & TCP_CF_FIN))
		return -ENOTCONN;
	mss = tcp_our_mss(s, c->cm_flags & CONN_V6);
	if (c->peer_mss < mss)
		mss = c->peer_mss;
	if (!n || n > mss)
		return -EMSGSIZE;
	/* RFC 9293 3.8.6: no more than the peer's window takes. */
	if ((c->flags & TCP_CF_WAITING) || tcp_window_room(c) < n)
		return -EAGAIN;
	return tcp_writer_send(s, c, p, n) < 0 ? -EAGAIN : 0;
}

int stack_close(struct stack *s, uint32_t conn)
{
	struct tcp_conn *c = client_conn(s, conn);

	if (!c)
		return -EINVAL;
	switch (c->state) {
	case 0:
		return -ENOTCONN;
	case TCP_SYN_SENT: /* RFC 9293 3.10.4: CLOSE in SYN-SENT deletes the TCB */
		tcp_conn_close(s, c, STACK_ABORTED);
		return 0;
	case TCP_ESTABLISHED:
		tcp_active_close(s, c);
		/* The peer gets the close timeout to finish it (tcp_close.c),
		 * unless there was no block for our FIN and c is gone. */
		if (c->state == TCP_FIN_WAIT_1)
			tcp_timer_ensure(s, c, conn_mgmt_deadline(s, c));
		return 0;
	default: /* closing already */
		return 0;
	}
}

void stack_abort(struct stack *s, uint32_t conn)
{
	struct tcp_conn *c = client_conn(s, conn);

	if (!c || !c->state)
		return;
	/* RFC 9293 3.10.5: no RST where nothing is synchronized (SYN-SENT)
	 * or left to reset (TIME-WAIT). */
	if (c->state == TCP_SYN_SENT || c->state == TCP_TIME_WAIT)
		tcp_conn_close(s, c, STACK_ABORTED);
	else
		tcp_abort(s, c, STACK_ABORTED);
}
