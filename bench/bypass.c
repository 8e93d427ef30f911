#include "bypass.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "backend.h"
#include "cli.h"
#include "ip_prefix.h"
#include "bypass_neigh.h"
#include "devmodel.h"
#include "modbus/modbus.h"
#include "report.h"
#include "stack.h"
#include "tsc.h"
#include "tuples.h"
#include "worker.h"

#define NO_SLOT UINT32_MAX
#define RECONNECT_NS 100000000ull /* as the socket master: a lost connection again after 100 ms */
/* Handshakes under way at once, per worker (--open-window): SYNs and the
 * first requests behind them fill the target's receive ring, which an
 * engine's default (2,048) takes with room to spare; a lost SYN costs a
 * retransmission timeout (1 s). */
#define OPEN_WINDOW_DEFAULT 512u
#define OPEN_WINDOW_MIN 16u
#define LINGER_NS 200000000ull /* after the final resets: late segments get a reset too */
#define SCAN_CHUNK 256u /* connections looked at per scan: due sends, timeouts, connects */
/* Closed loop asks again from the answer's callback, so its scan only finds
 * connects and timeouts: once a millisecond is enough, and the loop's time
 * goes to the bursts. */
#define CLOSED_LOOP_SCAN_NS 1000000ull
#define PART_BUFS 4096u /* ADUs split over segments that may wait at once, per worker */
#define SOURCE_PORT_FIRST 1024u /* below: the well-known ports */
#define PUBLISH_EVERY 1024u /* loops between --progress updates */

enum slot_state { SLOT_DOWN, SLOT_CONNECTING, SLOT_UP };

/* One connection of the master: what it is doing and, in the depth-1 modes
 * (hold, connect rate), its one request; closed and open loop keep a
 * pipeline table beside it (bw->inf). */
struct slot {
	uint64_t next_ns; /* down: when to connect; up, open loop and hold: the next request due */
	uint64_t rng;
	uint64_t opened_ns; /* connect rate: when the connect began, where its latency starts */
	struct pending one;
	uint32_t conn; /* the stack's connection, while connecting or up */
	uint16_t part; /* 1 + the partial-ADU buffer holding the start of an answer; 0: none */
	uint16_t part_len;
	uint8_t state;
	uint8_t asked; /* connect rate: its request went */
};

struct bworker {
	pthread_t thread;
	const struct options *opt;
	volatile sig_atomic_t *stop;
	const struct tsc_clock *clock;
	struct worker wk; /* the engine's: bursts through the stack, the tx batch */
	struct stack *stack;
	struct stack_app app;
	struct tuple_pool tuples;
	uint8_t raddr[16]; /* the target as on the wire: IPv4 in its first 4 bytes */
	uint8_t dst_mac[6];
	struct slot *slots;
	struct inflight *inf; /* MODE_REQUESTS: slot i's pipeline */
	uint32_t n_slots;
	uint32_t *slot_of; /* stack connection -> slot, NO_SLOT once we closed it */
	uint32_t *tuple_of; /* stack connection -> its tuple */
	uint32_t max_conns;
	uint8_t (*parts)[MB_ADU_MAX];
	uint16_t *part_free;
	uint32_t n_part_free;
	uint32_t connecting, in_flight, scan;
	/* Connects under way at once: at most open_max, halved when a SYN had
	 * to go again (the target lost it), one more per connection opened. */
	uint32_t open_window, open_max;
	uint64_t syn_resent; /* the stack's tx_syn_retransmit when last looked at */
	uint16_t tid;
	uint64_t now; /* ns, at the burst being handled */
	uint64_t t_measure, t_end, t_stop;
	uint64_t tick_tsc, next_tick, next_scan; /* the loop's: when the timers and the scan are due */
	uint32_t loops;
	struct counters ctr;
	struct histogram hist;
	struct progress *pub;
	char err[160];
};

_Static_assert(BYPASS_QUEUES_MAX == CLI_MAX_QUEUES, "a worker per queue, as mbxdp");

_Static_assert(1u << (128 - BYPASS_SOURCE6_MIN) == LOCAL6_MAX,
	       "a worker's stack names every address of the widest IPv6 --source");

const char *bypass_parse_source(const char *s, struct bypass_source *src)
{
	struct ip_prefix p;
	const char *why = ip_prefix_parse(s, &p);

	if (why)
		return why;
	if (p.family == AF_INET ? p.len < BYPASS_SOURCE_MIN : p.len < BYPASS_SOURCE6_MIN)
		return p.family == AF_INET ? "an IPv4 source prefix is /16 to /32"
					   : "an IPv6 source prefix is /118 to /128";
	if (ip_prefix_host_bits(&p))
		return "bits are set beyond the prefix length";
	if (p.family == AF_INET6 && ip6_unicast_problem(p.addr.v6))
		return ip6_unicast_problem(p.addr.v6);
	*src = (struct bypass_source){ .family = p.family, .len = p.len };
	if (p.family == AF_INET) {
		src->first = ntohl(p.addr.v4);
	} else {
		memcpy(src->addr6, p.addr.v6, 16);
		memcpy(&src->first, p.addr.v6 + 12, 4);
		src->first = ntohl(src->first);
	}
	return NULL;
}

static uint64_t hold_ns(const struct options *o)
{
	return (uint64_t)(o->hold_s * 1e9);
}

/* Open loop: the time between two requests of one connection. */
static uint64_t due_interval(const struct options *o)
{
	return (uint64_t)((double)o->connections * 1e9 / o->rate);
}

static uint32_t slot_busy(const struct bworker *w, uint32_t i)
{
	return w->inf ? inflight_busy(&w->inf[i]) : w->slots[i].one.busy;
}

static void part_drop(struct bworker *w, struct slot *sl)
{
	if (sl->part)
		w->part_free[w->n_part_free++] = (uint16_t)(sl->part - 1);
	sl->part = 0;
	sl->part_len = 0;
}

/* The slot's requests in flight are gone with their connection: unanswered. */
static void slot_forget(struct bworker *w, uint32_t i)
{
	struct slot *sl = &w->slots[i];

	w->in_flight -= slot_busy(w, i);
	if (w->inf)
		inflight_init(&w->inf[i], w->opt->pipeline);
	sl->one.busy = 0;
	part_drop(w, sl);
	if (sl->state == SLOT_CONNECTING)
		w->connecting--;
	sl->state = SLOT_DOWN;
}

/* Ends the slot's connection from our side: detached at once, the stack
 * sees the close (or the reset) through and gives the tuple back. */
static void slot_end(struct bworker *w, uint32_t i, int abort)
{
	struct slot *sl = &w->slots[i];
	uint32_t conn = sl->conn;

	w->slot_of[conn] = NO_SLOT;
	slot_forget(w, i);
	if (abort)
		stack_abort(w->stack, conn);
	else if (stack_close(w->stack, conn) < 0)
		stack_abort(w->stack, conn);
}

/* Builds the requests due on slot i into one segment and sends it. Nothing
 * is counted as sent unless the stack took it. */
static void send_due(struct bworker *w, uint32_t i)
{
	const struct options *o = w->opt;
	struct slot *sl = &w->slots[i];
	uint8_t buf[PIPELINE_MAX * 16];
	struct pending *claimed[PIPELINE_MAX];
	/* An IPv6 header takes 20 bytes more of the MTU (RFC 8200 5). */
	uint32_t len = 0, n = 0, room = w->stack->mss - (o->source.family == AF_INET6 ? 20u : 0);
	uint64_t due = sl->next_ns, now = w->now;

	if (sl->state != SLOT_UP)
		return;
	if (w->inf) {
		struct inflight *f = &w->inf[i];
		int open = o->rate > 0;

		/* Closed loop: nothing new from the end on; open loop: what fell
		 * due before the end still goes. */
		while (f->n_free && len + MB_ADU_MAX <= sizeof(buf) &&
		       (open ? due <= now && due < w->t_end : now < w->t_end)) {
			struct pending *p = inflight_claim(f);
			uint32_t l;

			p->intended_ns = open ? due : now;
			p->sent_ns = now;
			l = mbreq_build(&o->mix, &sl->rng, p, buf + len);
			if (len + l > room) { /* goes in the next segment */
				inflight_release(f, p);
				break;
			}
			len += l;
			claimed[n++] = p;
			if (open)
				due += due_interval(o);
		}
		if (!n)
			return;
		if (stack_send(w->stack, sl->conn, buf, len) < 0) {
			while (n)
				inflight_release(f, claimed[--n]);
			return;
		}
		sl->next_ns = due;
	} else {
		/* Hold: due and before the end; connect rate: once, for a
		 * connect begun before the end. */
		if (sl->one.busy || (o->mode == MODE_HOLD ? due > now || now >= w->t_end
							  : sl->asked || sl->opened_ns >= w->t_end))
			return;
		sl->one.tid = w->tid++;
		sl->one.intended_ns = o->mode == MODE_HOLD ? due : sl->opened_ns;
		sl->one.sent_ns = now;
		len = mbreq_build(&o->mix, &sl->rng, &sl->one, buf);
		if (stack_send(w->stack, sl->conn, buf, len) < 0)
			return;
		sl->one.busy = 1;
		sl->asked = 1;
		n = 1;
		if (o->mode == MODE_HOLD)
			sl->next_ns = (due + hold_ns(o) > now ? due : now) + hold_ns(o);
	}
	w->ctr.sent += n;
	w->in_flight += n;
}

static void on_established(void *arg, uint32_t conn)
{
	struct bworker *w = arg;
	uint32_t i = w->slot_of[conn];

	if (i == NO_SLOT)
		return;
	w->connecting--;
	w->open_window += w->open_window < w->open_max;
	w->slots[i].state = SLOT_UP;
	w->ctr.opened++;
	send_due(w, i);
}

static void on_closed(void *arg, uint32_t conn, enum stack_close_why why)
{
	struct bworker *w = arg;
	uint32_t i = w->slot_of[conn];

	tuple_put(&w->tuples, w->tuple_of[conn]);
	w->slot_of[conn] = NO_SLOT;
	if (i == NO_SLOT) /* ours, closed or aborted before */
		return;
	struct slot *sl = &w->slots[i];
	if (sl->state == SLOT_CONNECTING)
		w->ctr.connect_failures++;
	else
		w->ctr.connections_lost++;
	(void)why;
	slot_forget(w, i);
	/* Hold: a connection the target dropped is what the run counts, so it
	 * is not opened again. */
	sl->next_ns = w->opt->mode == MODE_HOLD ? UINT64_MAX : w->now + RECONNECT_NS;
}

/* One whole answer on slot i. */
static void on_answer(struct bworker *w, uint32_t i, const uint8_t *adu, uint32_t len)
{
	const struct options *o = w->opt;
	struct slot *sl = &w->slots[i];
	uint16_t tid = mbreq_tid(adu);

	if (w->inf) {
		struct pending *p = inflight_match(&w->inf[i], tid);

		if (!p) {
			w->ctr.wrong++;
			return;
		}
		counters_answer(&w->ctr, &w->hist, mbreq_check(&o->mix, p, adu, len), p->intended_ns,
				w->now, w->t_measure, w->t_end);
		inflight_release(&w->inf[i], p);
		w->in_flight--;
		return;
	}
	if (!sl->one.busy || sl->one.tid != tid) {
		w->ctr.wrong++;
		return;
	}
	enum check_result r = mbreq_check(&o->mix, &sl->one, adu, len);
	counters_answer(&w->ctr, &w->hist, r, sl->one.intended_ns, w->now, w->t_measure, w->t_end);
	sl->one.busy = 0;
	w->in_flight--;
	if (o->mode == MODE_CONNECT_RATE) {
		int measured = sl->opened_ns >= w->t_measure && sl->opened_ns < w->t_end;

		w->ctr.connections_ok += r == CHECK_OK && measured;
		slot_end(w, i, 0);
		sl->next_ns = w->now; /* the next connection at once */
	}
}

/* Frames the stream of slot i into answers; an answer split over segments
 * waits in a buffer of the worker's. An unframeable stream, or no buffer
 * to wait in, ends the connection. */
static void on_received(void *arg, uint32_t conn, const uint8_t *p, uint32_t n)
{
	struct bworker *w = arg;
	uint32_t i = w->slot_of[conn];

	if (i == NO_SLOT)
		return;
	struct slot *sl = &w->slots[i];
	while (n && w->slot_of[conn] == i) {
		if (sl->part) {
			uint8_t *b = w->parts[sl->part - 1];
			uint32_t want = sl->part_len < MBAP_HDR_LEN ? MBAP_HDR_LEN : mbap_adu_len(b);
			uint32_t take = want - sl->part_len < n ? want - sl->part_len : n;

			if (want == 0)
				goto unframeable;
			memcpy(b + sl->part_len, p, take);
			sl->part_len = (uint16_t)(sl->part_len + take);
			p += take;
			n -= take;
			if (sl->part_len >= MBAP_HDR_LEN && mbap_adu_len(b) == sl->part_len) {
				on_answer(w, i, b, sl->part_len);
				part_drop(w, sl);
			}
			continue;
		}
		uint32_t alen = n >= MBAP_HDR_LEN ? mbap_adu_len(p) : 0;
		if (n >= MBAP_HDR_LEN && alen == 0)
			goto unframeable;
		if (n >= MBAP_HDR_LEN && n >= alen) {
			on_answer(w, i, p, alen);
			p += alen;
			n -= alen;
			continue;
		}
		if (!w->n_part_free)
			goto unframeable;
		sl->part = (uint16_t)(w->part_free[--w->n_part_free] + 1);
		sl->part_len = 0;
	}
	/* The slots the segment's answers freed ask again at once, in one
	 * segment that carries the ACK, as the socket master's one send(). */
	if (w->inf && w->slot_of[conn] == i)
		send_due(w, i);
	return;
unframeable:
	w->ctr.wrong++;
	w->ctr.connections_lost++;
	slot_end(w, i, 1);
	sl->next_ns = w->opt->mode == MODE_HOLD ? UINT64_MAX : w->now + RECONNECT_NS;
}

static void slot_connect(struct bworker *w, uint32_t i)
{
	struct slot *sl = &w->slots[i];
	int64_t t = tuple_get(&w->tuples);
	uint32_t laddr, conn;
	uint16_t lport;

	if (t < 0)
		return;
	tuple_of(&w->tuples, (uint32_t)t, &laddr, &lport);
	int rc;
	if (w->opt->source.family == AF_INET6) {
		uint8_t l6[16];

		/* The prefix with the tuple's last 32 bits. */
		memcpy(l6, w->opt->source.addr6, 12);
		memcpy(l6 + 12, &laddr, 4);
		rc = stack_connect6(w->stack, l6, lport, w->raddr, w->opt->port, w->dst_mac,
				    CONN_L2_UNTAGGED, &conn);
	} else {
		uint32_t raddr;

		memcpy(&raddr, w->raddr, 4);
		rc = stack_connect(w->stack, laddr, lport, raddr, w->opt->port, w->dst_mac,
				   CONN_L2_UNTAGGED, &conn);
	}
	if (rc < 0) {
		tuple_put(&w->tuples, (uint32_t)t);
		return;
	}
	w->slot_of[conn] = i;
	w->tuple_of[conn] = (uint32_t)t;
	sl->conn = conn;
	sl->state = SLOT_CONNECTING;
	sl->asked = 0;
	sl->opened_ns = w->now;
	/* Hold: the first request goes once it is up, the next hold_s later. */
	if (w->opt->mode == MODE_HOLD)
		sl->next_ns = w->now;
	w->connecting++;
}

/* A request in flight longer than the timeout is counted; the stream can
 * no longer be trusted, so the connection is reset and opened again. */
static int timed_out(const struct bworker *w, uint32_t i)
{
	const struct slot *sl = &w->slots[i];

	if (!w->inf)
		return sl->one.busy && w->now - sl->one.sent_ns > w->opt->timeout_ns;
	const struct inflight *f = &w->inf[i];
	for (uint32_t s = 0; inflight_busy(f) && s < f->depth; s++)
		if (f->slot[s].busy && w->now - f->slot[s].sent_ns > w->opt->timeout_ns)
			return 1;
	return 0;
}

/* Looks at the next SCAN_CHUNK slots: connects due, requests due, timeouts.
 * At most a burst of them act per scan, so a million connections due at
 * once leave in bursts the target's receive ring takes, rather than in one
 * flood it drops (and TCP then resends a retransmission timeout later).
 * Returns how many acted. */
static uint32_t scan(struct bworker *w)
{
	uint32_t work = 0, n = w->n_slots < SCAN_CHUNK ? w->n_slots : SCAN_CHUNK;

	if (w->stack->ctr.tx_syn_retransmit != w->syn_resent) {
		w->syn_resent = w->stack->ctr.tx_syn_retransmit;
		w->open_window = w->open_window / 2 > OPEN_WINDOW_MIN ? w->open_window / 2
								      : OPEN_WINDOW_MIN;
	}
	for (uint32_t k = 0; k < n && work < MBX_BURST; k++) {
		uint32_t i = w->scan;
		struct slot *sl = &w->slots[i];

		w->scan = i + 1 == w->n_slots ? 0 : i + 1;
		if (sl->state == SLOT_DOWN) {
			if (w->now >= sl->next_ns && w->now < w->t_end &&
			    w->connecting < w->open_window) {
				slot_connect(w, i);
				work++;
			}
		} else if (sl->state == SLOT_UP) {
			if (timed_out(w, i)) {
				uint32_t busy = slot_busy(w, i);

				w->ctr.timeouts += busy;
				slot_end(w, i, 1);
				sl->next_ns = w->opt->mode == MODE_HOLD ? UINT64_MAX : w->now + RECONNECT_NS;
				work++;
				continue;
			}
			uint64_t sent = w->ctr.sent;
			send_due(w, i);
			work += w->ctr.sent != sent;
		}
	}
	return work;
}

/* Whether a connection up can still send a request due before the end. */
static int due_before_end(const struct bworker *w)
{
	if (w->opt->rate <= 0 || !w->inf)
		return 0;
	for (uint32_t i = 0; i < w->n_slots; i++) {
		const struct slot *sl = &w->slots[i];
		if (sl->state == SLOT_UP && w->inf[i].n_free && sl->next_ns < w->t_end)
			return 1;
	}
	return 0;
}

/* The end: in-flight requests are timeouts, connects under way failures,
 * and in hold mode the connections still up with their last request
 * answered are the ones the target kept. Then every connection is reset,
 * a burst at a time, so the target frees them now. */
static void finish(struct bworker *w, int interrupted)
{
	for (uint32_t i = 0; i < w->n_slots; i++) {
		struct slot *sl = &w->slots[i];

		if (!interrupted) {
			w->ctr.timeouts += slot_busy(w, i);
			w->ctr.connect_failures += sl->state == SLOT_CONNECTING;
			if (w->inf && w->opt->rate > 0)
				for (uint64_t due = sl->next_ns; due < w->t_end; due += due_interval(w->opt))
					w->ctr.unsent += due >= w->t_measure;
		}
		w->ctr.held += sl->state == SLOT_UP && !slot_busy(w, i);
		if (sl->state != SLOT_DOWN)
			slot_end(w, i, 1);
		if (i % 32 == 31)
			worker_flush(&w->wk);
	}
	worker_flush(&w->wk);
}

/* One turn of the worker's loop: a receive burst, the scan when due, the
 * transmit batch, the timers when due. 0 once the run is over. */
static int bworker_turn(struct bworker *w)
{
	struct mbx_frame rx[MBX_BURST];
	uint64_t t0 = tsc_read();

	w->now = tsc_to_ns(w->clock, t0);
	w->stack->now_ns = w->now;
	if (*w->stop || w->now >= w->t_stop)
		return 0;
	/* After the end: until what was asked is answered and what
	 * was connecting is up and has asked (connect rate). */
	if (w->now >= w->t_end && !w->in_flight && !w->connecting && !due_before_end(w))
		return 0;
	uint32_t n = mbx_port_rx(w->wk.port, rx, MBX_BURST);
	uint32_t work = n;
	if (n) {
		/* The answers' time is the burst's. */
		uint64_t t = tsc_read();
		w->wk.burst_tsc = t;
		w->now = tsc_to_ns(w->clock, t);
		worker_burst(&w->wk, rx, n, w->now);
	}
	if (w->now >= w->next_scan) {
		work += scan(w);
		if (w->inf && w->opt->rate <= 0)
			w->next_scan = w->now + CLOSED_LOOP_SCAN_NS;
	}
	worker_flush(&w->wk);
	if (t0 >= w->next_tick) {
		w->next_tick = t0 + w->tick_tsc;
		worker_tick(&w->wk, w->now);
	}
	uint64_t spent = tsc_read() - t0;
	w->ctr.poll_tsc += spent;
	if (!work)
		w->ctr.idle_tsc += spent;
	if (w->loops++ % PUBLISH_EVERY == 0) {
		__atomic_store_n(&w->pub->ok, w->ctr.ok, __ATOMIC_RELAXED);
		__atomic_store_n(&w->pub->err, errors_of(&w->ctr), __ATOMIC_RELAXED);
	}
	return 1;
}

/* After the final resets, for LINGER_NS: segments still on their way, or a
 * peer's answer to a reset it did not take (a challenge ACK, RFC 5961 3.2,
 * when the reset's sequence number was not the next it expected, as after
 * a lost request), reach a stack that no longer has their connection and
 * answers them with a reset it does take. The steering program answers ARP
 * for the sources meanwhile. So no target connection outlives the run. */
static void linger(struct bworker *w)
{
	struct mbx_frame rx[MBX_BURST];
	uint64_t until = tsc_now_ns(w->clock) + LINGER_NS;

	while ((w->now = tsc_now_ns(w->clock)) < until) {
		uint32_t n = mbx_port_rx(w->wk.port, rx, MBX_BURST);

		w->stack->now_ns = w->now;
		if (n)
			worker_burst(&w->wk, rx, n, w->now);
		worker_flush(&w->wk);
	}
}

static void *bworker_run(void *arg)
{
	struct bworker *w = arg;

	while (bworker_turn(w))
		;
	finish(w, *w->stop != 0);
	linger(w);
	__atomic_store_n(&w->pub->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The run's windows from t_start (TSC ns) on, as o sets them. */
static void bworker_schedule(struct bworker *w, uint64_t t_start)
{
	const struct options *o = w->opt;

	w->t_measure = t_start + (uint64_t)(o->warmup_s * 1e9);
	w->t_end = w->t_measure + (uint64_t)(o->duration_s * 1e9);
	w->t_stop = w->t_end + o->timeout_ns;
	w->tick_tsc = (w->clock->hz << STACK_TICK_SHIFT) / 1000000000u + 1;
	/* Open loop: staggered, so the connections' requests do not come
	 * in bursts. */
	for (uint32_t i = 0; i < w->n_slots; i++)
		w->slots[i].next_ns = t_start + (o->rate > 0 ? due_interval(o) * i / w->n_slots : 0);
}

/* The client stack of a worker. Its TIME-WAIT is the default's 1 s: a
 * tuple comes back only after a round over all the others (tuples.h),
 * millions of connections later, so the round keeps TIME-WAIT's guard
 * against old duplicates, and a short one keeps the table of a connect-rate
 * run small. */
static int stack_open(struct bworker *w, const struct backend *b, char *err, size_t errlen)
{
	struct stack_config cfg = {
		.max_conns = w->max_conns,
		.mss = (uint16_t)(b->mtu - 40),
		.app = &w->app,
	};

	/* DPDK: no kernel and no XDP program answers for the sources, so the
	 * stack owns them (64 at most) and answers their ARP, or Neighbor
	 * Solicitations, itself. */
	cfg.addrs = b->stack_addrs;
	cfg.n_addrs = b->n_stack_addrs;
	cfg.addrs6 = b->stack_addrs6;
	cfg.n_addrs6 = b->n_stack_addrs6;
	conn_policy_defaults(&cfg.policy);
	memcpy(cfg.mac, b->mac, sizeof(cfg.mac));
	if (getrandom(cfg.secret, sizeof(cfg.secret), 0) != sizeof(cfg.secret)) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		return -1;
	}
	w->stack = aligned_alloc(64, (sizeof(struct stack) + 63) / 64 * 64);
	if (!w->stack || stack_init(w->stack, &cfg, NULL, worker_frame_source(&w->wk),
				    worker_frame_sink(&w->wk)) < 0) {
		free(w->stack);
		w->stack = NULL;
		snprintf(err, errlen, "cannot set up a stack of %u connections: %s", w->max_conns,
			 strerror(errno));
		return -1;
	}
	w->wk.stack = w->stack;
	return 0;
}

/* The worker for queue q of nq: its share of the connections, its own
 * ports of every source address, its stack. */
static int bworker_init(struct bworker *w, const struct options *o, const struct backend *b,
			uint32_t q, uint32_t nq, char *err, size_t errlen)
{
	uint32_t ports = (65536 - SOURCE_PORT_FIRST) / nq;
	uint32_t extra = o->mode == MODE_CONNECT_RATE ? 1u << 18 : 1024;
	uint32_t width = o->source.family == AF_INET6 ? 128 : 32; /* bits of an address */

	w->n_slots = o->connections / nq + (q < o->connections % nq);
	w->open_max = o->open_window ? o->open_window : OPEN_WINDOW_DEFAULT;
	w->open_window = w->open_max;
	w->max_conns = w->n_slots + extra; /* connect rate: those in TIME-WAIT */
	w->app = (struct stack_app){ .established = on_established, .received = on_received,
				     .closed = on_closed, .arg = w };
	w->wk.port = b->port[q];
	w->slots = calloc(w->n_slots ? w->n_slots : 1, sizeof(*w->slots));
	w->slot_of = malloc((size_t)w->max_conns * sizeof(*w->slot_of));
	w->tuple_of = calloc(w->max_conns, sizeof(*w->tuple_of));
	w->parts = calloc(PART_BUFS, sizeof(*w->parts));
	w->part_free = calloc(PART_BUFS, sizeof(*w->part_free));
	if (o->mode == MODE_REQUESTS)
		w->inf = calloc(w->n_slots ? w->n_slots : 1, sizeof(*w->inf));
	if (!w->slots || !w->slot_of || !w->tuple_of || !w->parts || !w->part_free ||
	    (o->mode == MODE_REQUESTS && !w->inf) ||
	    tuple_pool_init(&w->tuples, o->source.first, 1u << (width - o->source.len),
			    (uint16_t)(SOURCE_PORT_FIRST + q * ports), ports) < 0) {
		snprintf(err, errlen, "out of memory for %u connections", w->n_slots);
		return -1;
	}
	memset(w->slot_of, 0xff, (size_t)w->max_conns * sizeof(*w->slot_of));
	for (uint32_t k = 0; k < PART_BUFS; k++)
		w->part_free[w->n_part_free++] = (uint16_t)k;
	for (uint32_t i = 0; i < w->n_slots; i++) {
		struct slot *sl = &w->slots[i];

		sl->rng = 0x9e3779b97f4a7c15ull * ((uint64_t)q << 32 | (i + 1));
		if (w->inf)
			inflight_init(&w->inf[i], o->pipeline);
	}
	hist_init(&w->hist);
	return stack_open(w, b, err, errlen);
}

static void bworker_free(struct bworker *w)
{
	if (w->stack) {
		stack_free(w->stack);
		free(w->stack);
	}
	tuple_pool_free(&w->tuples);
	free(w->slots);
	free(w->slot_of);
	free(w->tuple_of);
	free(w->parts);
	free(w->part_free);
	free(w->inf);
}

/* What a worker is given beside its queue: the run's options and clock, the
 * stop flag, the target, where it publishes its progress. */
static void bworker_attach(struct bworker *w, const struct options *o, const struct tsc_clock *clock,
			   volatile sig_atomic_t *stop, const uint8_t *raddr, const uint8_t dst_mac[6],
			   struct progress *pub)
{
	w->opt = o;
	w->stop = stop;
	w->clock = clock;
	w->wk.clock = clock;
	w->wk.stop = stop;
	memcpy(w->raddr, raddr, o->source.family == AF_INET6 ? 16 : 4);
	w->pub = pub;
	pub->hist = &w->hist;
	memcpy(w->dst_mac, dst_mac, sizeof(w->dst_mac));
}

/* The backend mbxdp itself would open, with the steering program in client
 * mode: the target's port, the source prefix as the listed addresses. */
static int open_backend(const struct options *o, struct backend *b, char *err, size_t errlen)
{
	static struct cli_options co;
	struct devmodel dm;

	memset(&co, 0, sizeof(co));
	co.iface = o->afxdp;
	co.dpdk = o->dpdk;
	co.eal_argc = o->eal_argc;
	co.eal_argv = o->eal_argv;
	co.queues = o->dpdk && !o->queues ? 1 : o->queues;
	co.ports[0] = o->port;
	co.n_ports = 1;
	if (o->source.family == AF_INET6) {
		co.addresses6[0].prefix_len = (uint8_t)o->source.len;
		memcpy(co.addresses6[0].addr, o->source.addr6, 16);
		co.n_addresses6 = 1;
	} else {
		co.addresses[0] = (struct mbx_xdp_cidr){ .addr = htonl(o->source.first),
							 .prefix_len = (uint8_t)o->source.len };
		co.n_addresses = 1;
	}
	co.xdp_client = 1;
	co.afxdp_copy = MBX_AFXDP_ANY;
	if (devmodel_configure(&dm, NULL, err, errlen) < 0)
		return -1;
	memset(b, 0, sizeof(*b));
	int rc = backend_open(b, &co, &dm, err, errlen);
	devmodel_free(&dm);
	if (rc < 0)
		backend_close(b);
	return rc;
}

int bypass_run(const struct options *o, volatile sig_atomic_t *stop, struct reporter *rep,
	       struct counters *total, struct histogram *h, char *err, size_t errlen)
{
	static struct tsc_clock clock;
	struct backend b;
	struct bworker *ws = NULL;
	struct progress *pubs = NULL;
	uint32_t nq = 0, started = 0;
	uint8_t mac[6], raddr[16], saddr[16];
	int rc = -1, v6 = o->source.family == AF_INET6;

	if (inet_pton(o->source.family, o->host, raddr) != 1) {
		snprintf(err, errlen, "--host must be an %s address with --afxdp or --dpdk and an "
				      "%s --source, not '%s'",
			 v6 ? "IPv6" : "IPv4", v6 ? "IPv6" : "IPv4", o->host);
		return -1;
	}
	if (tsc_calibrate(&clock, 50) < 0) {
		snprintf(err, errlen, "the CPU's cycle counter does not advance");
		return -1;
	}
	if (open_backend(o, &b, err, errlen) < 0)
		return -1;
	nq = b.n_queues;
	if (v6) {
		memcpy(saddr, o->source.addr6, 16);
	} else {
		uint32_t first = htonl(o->source.first);

		memcpy(saddr, &first, 4);
	}
	if (neigh_resolve(b.port, nq, b.mac, o->source.family, saddr, raddr, mac, err, errlen) < 0)
		goto out;
	ws = calloc(nq, sizeof(*ws));
	pubs = calloc(nq, sizeof(*pubs));
	if (!ws || !pubs) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (uint32_t q = 0; q < nq; q++) {
		struct bworker *w = &ws[q];

		bworker_attach(w, o, &clock, stop, raddr, mac, &pubs[q]);
		if (bworker_init(w, o, &b, q, nq, err, errlen) < 0)
			goto out;
	}
	uint64_t t_start = tsc_now_ns(&clock), mono_start = now_ns();
	if (reporter_begin(rep, o, mono_start + (uint64_t)(o->warmup_s * 1e9), stop) < 0) {
		rc = -2;
		goto out;
	}
	for (; started < nq; started++) {
		struct bworker *w = &ws[started];

		bworker_schedule(w, t_start);
		if (pthread_create(&w->thread, NULL, bworker_run, w)) {
			snprintf(err, errlen, "cannot start worker %u", started);
			*stop = 1;
			break;
		}
	}
	if (started == nq)
		report_loop(rep, pubs, nq, mono_start, mono_start + (ws[0].t_stop - t_start));
	for (uint32_t q = 0; q < started; q++) {
		struct bworker *w = &ws[q];

		pthread_join(w->thread, NULL);
		hist_merge(h, &w->hist);
		counters_add(total, &w->ctr);
	}
	rc = started == nq ? 0 : -1;
out:
	for (uint32_t q = 0; ws && q < nq; q++)
		bworker_free(&ws[q]);
	free(ws);
	free(pubs);
	backend_close(&b);
	return rc;
}

struct bworker *bypass_worker_open(const struct options *o, struct mbx_port *port,
				   const uint8_t mac[6], uint32_t mtu, const uint8_t *raddr,
				   const uint8_t dst_mac[6], const struct tsc_clock *clock,
				   volatile sig_atomic_t *stop, struct progress *pub, char *err,
				   size_t errlen)
{
	/* A backend of one queue: the caller's port. */
	struct backend b = { .n_queues = 1, .mtu = mtu };
	struct bworker *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b.port[0] = port;
	memcpy(b.mac, mac, sizeof(b.mac));
	bworker_attach(w, o, clock, stop, raddr, dst_mac, pub);
	if (bworker_init(w, o, &b, 0, 1, err, errlen) < 0) {
		bworker_free(w);
		free(w);
		return NULL;
	}
	bworker_schedule(w, tsc_now_ns(clock));
	return w;
}

int bypass_worker_turn(struct bworker *w)
{
	return bworker_turn(w);
}

const struct counters *bypass_worker_counters(const struct bworker *w, uint64_t *t_measure,
					      uint64_t *t_end)
{
	*t_measure = w->t_measure;
	*t_end = w->t_end;
	return &w->ctr;
}

void bypass_worker_close(struct bworker *w, struct counters *total, struct histogram *h)
{
	finish(w, *w->stop != 0);
	counters_add(total, &w->ctr);
	hist_merge(h, &w->hist);
	bworker_free(w);
	free(w);
}
