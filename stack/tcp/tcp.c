/* TCP's state as a whole: its setup from the stack's configuration, the
 * connection table, a connection's admission (the per-source limit and
 * eviction of MIG 4.2.1, chosen by conn_policy.c) and its end, what a burst
 * looks ahead at, and the timers (the connection's one wheel entry, the
 * RFC 6298 retransmission timer). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "priv/tcp_priv.h"
#include "prefetch.h"
#include "table_mem.h"

int conn_table_init(struct conn_table *t, uint32_t capacity, uint64_t hash_key)
{
	uint32_t ns = 1, idx_mask = 1;

	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > (1u << 30)) {
		errno = EINVAL;
		return -1;
	}
	while (ns < capacity * 2u) /* load factor at most 1/2 */
		ns <<= 1;
	while (idx_mask < capacity) /* index + 1 fits */
		idx_mask = idx_mask << 1 | 1;
	/* Sizes first: a failed allocation frees what it got. */
	t->capacity = capacity;
	t->slot_mask = ns - 1;
	t->idx_mask = idx_mask;
	t->tag_mask = ~idx_mask & ~CONN_TAG_V6;
	t->conns = table_mem_map((size_t)capacity * sizeof(*t->conns));
	t->l2 = table_mem_map((size_t)capacity * sizeof(*t->l2));
	t->slots = table_mem_map((size_t)ns * sizeof(*t->slots)); /* zeroed: all free */
	t->raddr6 = table_mem_map((size_t)capacity * sizeof(*t->raddr6));
	if (!t->conns || !t->l2 || !t->slots || !t->raddr6) {
		conn_table_free(t);
		errno = ENOMEM;
		return -1;
	}
	for (uint32_t i = 0; i < capacity; i++)
		t->conns[i].next = i + 1 < capacity ? i + 1 : CONN_NONE;
	t->free_head = 0;
	t->hash_key = hash_key;
	return 0;
}

void conn_table_free(struct conn_table *t)
{
	table_mem_unmap(t->conns, (size_t)t->capacity * sizeof(*t->conns));
	table_mem_unmap(t->l2, (size_t)t->capacity * sizeof(*t->l2));
	table_mem_unmap(t->slots, ((size_t)t->slot_mask + 1) * sizeof(*t->slots));
	table_mem_unmap(t->raddr6, (size_t)t->capacity * sizeof(*t->raddr6));
	memset(t, 0, sizeof(*t));
}

struct tcp_conn *conn_insert(struct conn_table *t, uint32_t raddr, uint32_t laddr,
			     uint16_t rport, uint16_t lport, const uint8_t *raddr6)
{
	uint32_t i = t->free_head;
	struct conn_key k;
	struct tcp_conn *c;

	if (i == CONN_NONE)
		return 0;
	c = &t->conns[i];
	t->free_head = c->next;
	memset(c, 0, sizeof(*c));
	c->raddr = raddr;
	c->laddr = laddr;
	c->rport = rport;
	c->lport = lport;
	c->rx_buf = CONN_NONE;
	c->snd_buf = CONN_NONE;
	c->next = CONN_NONE;
	if (raddr6) {
		c->cm_flags = CONN_V6;
		memcpy(t->raddr6[i], raddr6, 16);
	}
	/* At a load of at most 1/2 a free slot is always ahead. */
	k = conn_hash(t, raddr, laddr, rport, lport, raddr6 != 0);
	while (t->slots[k.slot])
		k.slot = (k.slot + 1) & t->slot_mask;
	t->slots[k.slot] = k.tag | (i + 1);
	t->in_use++;
	t->gen++;
	return c;
}

/* The home slot of the entry in slot i. */
static uint32_t home_of(const struct conn_table *t, uint32_t i)
{
	const struct tcp_conn *c = conn_at_slot(t, i);

	return conn_hash(t, c->raddr, c->laddr, c->rport, c->lport, 0).slot; /* either family's */
}

void conn_remove(struct conn_table *t, struct tcp_conn *c)
{
	uint32_t idx = (uint32_t)(c - t->conns);
	uint32_t hole = conn_hash(t, c->raddr, c->laddr, c->rport, c->lport, 0).slot;

	while ((t->slots[hole] & t->idx_mask) != idx + 1)
		hole = (hole + 1) & t->slot_mask;
	/* Knuth's algorithm R (TAOCP 6.4): an entry after the hole moves into
	 * it unless its home lies cyclically in (hole, j], where it must stay
	 * reachable from; the run ends at a free slot. */
	for (uint32_t j = (hole + 1) & t->slot_mask; t->slots[j]; j = (j + 1) & t->slot_mask) {
		uint32_t home = home_of(t, j);

		if (((j - home) & t->slot_mask) >= ((j - hole) & t->slot_mask)) {
			t->slots[hole] = t->slots[j];
			hole = j;
		}
	}
	t->slots[hole] = 0;
	c->state = 0;
	c->next = t->free_head;
	t->free_head = idx;
	t->in_use--;
	t->gen++;
}

static void refuse(struct stack *s, struct tcp_seg *seg)
{
	s->ctr.tx_rst++;
	tcp_reply_control(s, seg, TCP_RST, seg->ack, 0, TCP_RCV_WND);
}

/* Makes room in a full table (MIG 4.2.1). 0, or -1 if nothing may go. */
static int evict(struct stack *s)
{
	struct tcp_conn *v = conn_policy_victim(&s->policy, &s->conns, (uint32_t)tcp_now_tick(s));

	if (!v)
		return -1;
	if (v->state == TCP_TIME_WAIT) {
		/* Closed already: nothing to tell the peer. */
		s->ctr.conn_time_wait_reclaimed++;
		tcp_conn_close(s, v, STACK_CLOSED);
		return 0;
	}
	/* The slot is needed now, so the victim does not wait in FIN-WAIT
	 * and its FIN is sent once, not retransmitted: the peer sees an
	 * orderly end of stream (FIN) or a reset, and its own FIN later finds
	 * no connection and gets the RST of RFC 9293 3.10.7.2. */
	s->ctr.conn_evicted++;
	if (tcp_send_ctl(s, v, s->policy.cfg.close_rst ? TCP_RST : TCP_FIN | TCP_ACK, v->snd_nxt) == 0) {
		if (s->policy.cfg.close_rst)
			s->ctr.tx_rst++;
		else
			s->ctr.tx_fin++;
	}
	tcp_conn_close(s, v, STACK_ABORTED);
	return 0;
}

struct tcp_conn *tcp_conn_admit(struct stack *s, struct tcp_seg *seg)
{
	int priority = !seg->v6 && conn_policy_is_priority(&s->policy, seg->saddr);
	uint32_t source = seg_source(s, seg);
	struct tcp_conn *c;
	uint32_t now = (uint32_t)tcp_now_tick(s);
	uint64_t due;

	/* Priority sources are trusted (configured by the operator): the
	 * per-source limit guards the table against the others. */
	if (!priority && conn_policy_source_full(&s->policy, source)) {
		s->ctr.conn_refused_per_source++;
		refuse(s, seg);
		return 0;
	}
	/* Our IPv6 address, named in the worker's table when first served. */
	if (seg->v6 && seg->daddr == LOCAL6_NONE &&
	    (seg->daddr = local6_add(&s->local6, seg->addr6 + 16)) == LOCAL6_NONE) {
		s->ctr.drop_ip6_local_table_full++;
		refuse(s, seg);
		return 0;
	}
	if (s->conns.in_use == s->conns.capacity && evict(s) < 0) {
		/* A clear refusal rather than a connection the peer believes in
		 * and we never answer. */
		s->ctr.conn_refused_table_full++;
		refuse(s, seg);
		return 0;
	}
	c = conn_insert(&s->conns, seg->saddr, seg->daddr, seg->sport, seg->dport, seg_raddr6(seg));
	c->cm_flags |= priority ? CONN_PRIORITY : 0;
	c->last_rx = c->last_req = now;
	conn_policy_source_add(&s->policy, source);
	conn_policy_set_state(&s->policy, c, TCP_ESTABLISHED);
	due = conn_mgmt_deadline(s, c);
	if (due != UINT64_MAX)
		tcp_timer_ensure(s, c, due);
	return c;
}

void tcp_conn_close(struct stack *s, struct tcp_conn *c, enum stack_close_why why)
{
	tcp_buf_release(s, c);
	if (c->snd_buf != CONN_NONE)
		sndq_release(s, c);
	conn_policy_source_del(&s->policy, conn_source(s, c));
	conn_policy_set_state(&s->policy, c, 0);
	/* The wheel entry may stay armed: it fires on a free or reused slot,
	 * finds nothing due, and is re-armed only if the new owner needs it. */
	conn_remove(&s->conns, c);
	/* Last: the callback may open a connection, which may take c's slot
	 * (callers return once c is closed, or check c->state). */
	if (__builtin_expect(s->client, 0))
		s->app.closed(s->app.arg, (uint32_t)(c - s->conns.conns), why);
}

int tcp_init(struct stack *s, const struct stack_config *cfg,
	     const struct conn_policy_config *policy)
{
	uint64_t hash_key;

	memcpy(&hash_key, cfg->secret + sizeof(s->cookie_key), sizeof(hash_key));
	if (conn_table_init(&s->conns, cfg->max_conns, hash_key) < 0 ||
	    local6_init(&s->local6, hash_key) < 0)
		return -1;
	/* 4096 slots of a tick: the usual retransmission timeouts fit one
	 * revolution (timer_wheel.h). */
	if (conn_policy_init(&s->policy, policy, cfg->max_conns, hash_key) < 0 ||
	    buf_pool_init(&s->rx_bufs, cfg->adu_buffers ? cfg->adu_buffers : cfg->max_conns / 4 + 64,
			  TCP_BUF_SIZE) < 0 ||
	    buf_pool_init(&s->snd, cfg->snd_blocks ? cfg->snd_blocks : cfg->max_conns / 2 + 64,
			  sizeof(struct sndq_block)) < 0 ||
	    share_init(&s->share, &s->snd, &s->rx_bufs, cfg->max_conns, hash_key) < 0 ||
	    timer_wheel_init(&s->timers, cfg->max_conns, 1u << STACK_TICK_SHIFT, 4096) < 0) {
		errno = ENOMEM;
		return -1;
	}
	s->rto_min = tcp_ticks_from_ms(cfg->rto_min_ms ? cfg->rto_min_ms : 200);
	s->rto_initial = tcp_ticks_from_ms(TCP_RTO_INITIAL_MS);
	s->rto_max = tcp_ticks_from_ms(TCP_RTO_MAX_MS);
	if (s->rto_initial < s->rto_min)
		s->rto_initial = s->rto_min;
	if (s->rto_max < s->rto_min)
		s->rto_max = s->rto_min;
	s->max_retries = cfg->max_retries ? cfg->max_retries : 8;
	for (uint32_t i = 0; i < cfg->n_ports; i++)
		s->port_served[cfg->ports[i] >> 3] |= (uint8_t)(1u << (cfg->ports[i] & 7));
	memcpy(s->cookie_key, cfg->secret, sizeof(s->cookie_key));
	s->mss = cfg->mss;
	s->challenge_ack_limit = cfg->challenge_ack_limit ? cfg->challenge_ack_limit : 1000;
	s->challenge_second = UINT64_MAX; /* no budget drawn yet */
	return 0;
}

void tcp_free(struct stack *s)
{
	timer_wheel_free(&s->timers);
	share_free(&s->share);
	buf_pool_free(&s->snd);
	buf_pool_free(&s->rx_bufs);
	conn_policy_free(&s->policy);
	conn_table_free(&s->conns);
	local6_free(&s->local6);
}

/* Inlined into the burst's look-ahead, across files by LTO (the header's
 * declaration keeps this an external definition for builds without it). */
__attribute__((always_inline)) inline int tcp_ahead_conn(const struct stack *s,
							  const struct tcp_conn *c,
							  const struct tcp_seg *seg)
{
	const struct timer_entry *e = &s->timers.entries[c - s->conns.conns];

	mbx_prefetch(e);
	mbx_prefetch((const uint8_t *)(e + 1) - 1); /* 24 bytes may straddle two lines */
	if (c->snd_buf != CONN_NONE) {
		mbx_prefetch(sndq_head(s, c));
		/* The answer's copy also fills the block's second line: fetched
		 * for writing, it keeps 65,536 connections as fast with the
		 * reply's headers inlined (tcp_out_finish). */
		__builtin_prefetch((const uint8_t *)sndq_head(s, c) + 64, 1);
	}
	return seg->len && c->state == TCP_ESTABLISHED && !(seg->flags & (TCP_SYN | TCP_RST)) &&
	       seg->seq - c->rcv_nxt < TCP_RCV_WND;
}

/* The connection's timers (the wheel entry's dispatcher, its arming) and
 * the RFC 6298 retransmission timer of the send queue. */
#define TCP_RTT_MAX_TICKS 8191u /* srtt8 holds 8191 ticks (8.6 s) */
#define TCP_BACKOFF_MAX 16

void tcp_timer_ensure(struct stack *s, struct tcp_conn *c, uint64_t at)
{
	uint32_t idx = (uint32_t)(c - s->conns.conns);

	if (timer_running(&s->timers, idx) && timer_deadline(&s->timers, idx) <= at)
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
