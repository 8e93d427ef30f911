#include "worker.h"

void worker_flush(struct worker *w)
{
	if (w->capture && w->tx.n)
		capture_ring_put(w->capture, w->tx.f, w->tx.n, w->stack->now_ns, CAPTURE_OUT);
	mbx_port_tx(w->port, w->tx.f, w->tx.n);
	w->tx.n = 0;
}

static void sink_put(void *arg, const struct mbx_frame *f)
{
	struct worker *w = arg;

	if (w->tx.n == MBX_FRAME_VEC_MAX)
		worker_flush(w);
	w->tx.f[w->tx.n++] = *f;
}

static int source_get(void *arg, struct mbx_frame *out)
{
	struct worker *w = arg;

	return mbx_port_alloc(w->port, out);
}

struct mbx_frame_source worker_frame_source(struct worker *w)
{
	return (struct mbx_frame_source){ .get = source_get, .arg = w };
}

struct mbx_frame_sink worker_frame_sink(struct worker *w)
{
	return (struct mbx_frame_sink){ .put = sink_put, .arg = w };
}

void worker_announce(struct worker *w)
{
	struct mbx_frame f;

	for (uint32_t i = 0; i < w->stack->n_addrs; i++) {
		if (mbx_port_alloc(w->port, &f) < 0)
			return; /* counted by the port; the peers' ARP requests still work */
		f.len = stack_arp_announce(w->stack, i, f.data, f.room);
		sink_put(w, &f);
	}
	worker_flush(w);
}

void worker_burst(struct worker *w, struct mbx_frame *rx, uint32_t n, uint64_t now_ns)
{
	struct mbx_frame drop[MBX_BURST];
	uint32_t n_drop;
	uint64_t requests_before, t1;

	/* Copied before the stack writes replies over the requests. */
	if (w->capture)
		capture_ring_put(w->capture, rx, n, now_ns, CAPTURE_IN);
	w->stack->now_ns = now_ns;
	requests_before = w->stack->mb->ctr.mb_requests;
	n_drop = stack_input_burst(w->stack, rx, n, drop);
	/* Timed before the hand-over (telemetry.h). The in-process replay, on
	 * its virtual clock, has no telemetry. */
	t1 = w->tel.part ? telemetry_burst(&w->tel, w->burst_tsc, requests_before) : 0;
	worker_flush(w);
	mbx_port_release(w->port, drop, n_drop);
	if (w->tel.part)
		telemetry_tick(&w->tel, t1);
}

void worker_tick(struct worker *w, uint64_t now_ns)
{
	if (stack_timers(w->stack, now_ns))
		worker_flush(w);
}

void worker_run(struct worker *w)
{
	struct mbx_frame rx[MBX_BURST];
	/* The stack's timers are run once a tick, frames or not: the check is
	 * one counter read and a compare per loop. */
	const uint64_t tick_tsc = (w->clock->hz << STACK_TICK_SHIFT) / 1000000000u + 1;
	uint64_t next_tick = 0, last = 0;
	uint32_t last_n = 1;

	while (!*w->stop) {
		uint32_t n = mbx_port_rx(w->port, rx, MBX_BURST);
		uint64_t now = tsc_read();

		/* An empty loop is counted whole, from its counter read to the
		 * next loop's: the same read that dates the burst, no second. */
		if (!last_n)
			w->idle.ctr.idle_ticks_empty += now - last;
		last = now;
		last_n = n;
		if (n) {
			w->burst_tsc = now;
			worker_burst(w, rx, n, tsc_to_ns(w->clock, now));
			idle_traffic(&w->idle, now);
		} else {
			idle_empty_poll(&w->idle, &w->tel, now);
		}
		/* After the burst, not before: frames already taken from the
		 * ring do not wait for the timers. */
		if (now >= next_tick) {
			next_tick = now + tick_tsc;
			worker_tick(w, tsc_to_ns(w->clock, now));
		}
	}
}
