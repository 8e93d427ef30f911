/* The fault-injecting port wrapper (pmd_glue/port_impair.h) over the
 * in-memory port (pmd_glue/port_mem.h): numbered frames go in on rx, what
 * the wrapper hands up is recorded and sent back on tx, and what reaches the
 * wire is recorded too. Checked: loss at the configured rate (within six
 * standard deviations of the binomial mean), the same seed giving the same
 * outcomes, duplicates as exact copies, corruption as exactly one flipped
 * bit, reordering as neighbour swaps that lose nothing, a held frame never
 * kept long, rates of 0 changing nothing, the spec parser's errors, and no
 * frame ever leaked or given back twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "port_impair.h"
#include "port_mem.h"

#define POOL 1024
#define FRAME_LEN 60 /* a minimum Ethernet frame */
#define INJECT_BATCH 32
#define IDLE_POLLS 4 /* more than a held frame can wait (two polls) */

struct rig {
	struct mbx_port *mem; /* the wire side */
	struct mbx_port *port; /* the wrapper: the worker's side */
};

struct rec {
	uint64_t handle;
	uint8_t bytes[FRAME_LEN];
};

struct trace {
	uint32_t n, cap;
	struct rec *r;
};

static void pattern(uint32_t seq, uint8_t *out)
{
	for (uint32_t i = 0; i < FRAME_LEN; i++)
		out[i] = (uint8_t)(seq * 7u + i * 13u);
	memcpy(out, &seq, sizeof(seq));
}

static uint32_t seq_of(const struct rec *r)
{
	uint32_t seq;

	memcpy(&seq, r->bytes, sizeof(seq));
	return seq;
}

static uint32_t bit_distance(const uint8_t *a, const uint8_t *b)
{
	uint32_t d = 0;

	for (uint32_t i = 0; i < FRAME_LEN; i++)
		d += (uint32_t)__builtin_popcount((unsigned)(a[i] ^ b[i]));
	return d;
}

static struct trace trace_new(uint32_t cap)
{
	struct trace t = { .n = 0, .cap = cap, .r = calloc(cap, sizeof(struct rec)) };

	assert_non_null(t.r);
	return t;
}

static void trace_add(struct trace *t, const struct mbx_frame *f, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		assert_true(t->n < t->cap);
		assert_int_equal(f[i].len, FRAME_LEN);
		t->r[t->n].handle = f[i].handle;
		memcpy(t->r[t->n].bytes, f[i].data, FRAME_LEN);
		t->n++;
	}
}

static void rig_open(struct rig *r, const char *spec)
{
	const struct mbx_mem_config mcfg = { .n_frames = POOL, .frame_size = 2048 };
	struct mbx_impair_config icfg;
	char err[256];

	assert_int_equal(mbx_impair_parse(spec, &icfg, err, sizeof(err)), 0);
	r->mem = mbx_mem_open(&mcfg, err, sizeof(err));
	assert_non_null(r->mem);
	r->port = mbx_impair_open(r->mem, &icfg, err, sizeof(err));
	assert_non_null(r->port);
}

/* Every frame is back in the pool and none came back twice. */
static void rig_close(struct rig *r)
{
	assert_int_equal(mbx_mem_free_frames(r->mem), POOL);
	assert_int_equal(mbx_mem_bad_returns(r->mem), 0);
	mbx_port_close(r->port);
}

static void drain_wire(struct rig *r, struct trace *tx)
{
	struct mbx_frame out[MBX_BURST];
	uint32_t n;

	while ((n = mbx_mem_take_tx(r->mem, out, MBX_BURST)) > 0) {
		if (tx)
			trace_add(tx, out, n);
		mbx_port_release(r->mem, out, n);
	}
}

/* Feeds frames 0..n_frames-1 in on the wire and polls the wrapper until it
 * has been idle for IDLE_POLLS polls after the last one. What it hands up is
 * recorded in rx and then sent back (send) or released; what reaches the
 * wire is recorded in tx. */
static void run(struct rig *r, uint32_t n_frames, int send, struct trace *rx, struct trace *tx)
{
	struct mbx_frame f[MBX_BURST];
	uint8_t buf[FRAME_LEN];
	uint32_t seq = 0, idle = 0;

	while (seq < n_frames || idle < IDLE_POLLS) {
		uint32_t got;

		for (uint32_t k = 0; k < INJECT_BATCH && seq < n_frames; k++) {
			pattern(seq++, buf);
			assert_int_equal(mbx_mem_inject(r->mem, buf, FRAME_LEN), 0);
		}
		got = mbx_port_rx(r->port, f, MBX_BURST);
		idle = seq == n_frames && got == 0 ? idle + 1 : 0;
		if (rx)
			trace_add(rx, f, got);
		if (send)
			mbx_port_tx(r->port, f, got);
		else
			mbx_port_release(r->port, f, got);
		drain_wire(r, tx);
	}
}

/* |observed - n p| within six standard deviations of the binomial. */
static void assert_binomial(uint64_t observed, uint64_t n, double p)
{
	double off = (double)observed - (double)n * p;

	assert_true(off * off <= 36.0 * (double)n * p * (1.0 - p));
}

static void assert_no_impairment(const struct mbx_port_counters *c)
{
#define X(name, help) assert_int_equal(c->name, 0);
	MBX_PORT_IMPAIR_COUNTERS(X)
#undef X
}

static void test_parse_accepts_rates_seed_and_directions(void **state)
{
	struct mbx_impair_config c;
	char err[256];

	(void)state;
	assert_int_equal(mbx_impair_parse("loss=0.05,dup=0.01,reorder=0.02,corrupt=0.001,seed=7", &c,
					  err, sizeof(err)),
			 0);
	assert_true(c.rx.loss == 0.05 && c.tx.loss == 0.05);
	assert_true(c.rx.dup == 0.01 && c.tx.dup == 0.01);
	assert_true(c.rx.reorder == 0.02 && c.tx.reorder == 0.02);
	assert_true(c.rx.corrupt == 0.001 && c.tx.corrupt == 0.001);
	assert_int_equal(c.seed, 7);

	assert_int_equal(mbx_impair_parse("rx_loss=0.5,tx_dup=1,seed=0x10", &c, err, sizeof(err)), 0);
	assert_true(c.rx.loss == 0.5 && c.tx.loss == 0.0);
	assert_true(c.rx.dup == 0.0 && c.tx.dup == 1.0);
	assert_int_equal(c.seed, 16);

	/* Later keys override earlier ones; the seed defaults to 1. */
	assert_int_equal(mbx_impair_parse("loss=0.1,rx_loss=0.2", &c, err, sizeof(err)), 0);
	assert_true(c.rx.loss == 0.2 && c.tx.loss == 0.1);
	assert_int_equal(c.seed, 1);
}

static void test_parse_rejects_with_the_key_named(void **state)
{
	static const struct {
		const char *spec, *named;
	} bad[] = {
		{ "foo=0.1", "'foo'" },
		{ "loss=0.1,rx_seed=3", "'rx_seed'" },
		{ "loss=1.5", "loss" },
		{ "dup=-0.1", "dup" },
		{ "reorder=abc", "reorder" },
		{ "corrupt=0.1x", "corrupt" },
		{ "tx_loss=nan", "tx_loss" },
		{ "loss= 0.1", "loss" },
		{ "loss", "loss" },
		{ "rx_dup=", "rx_dup" },
		{ "seed=-1", "seed" },
		{ "seed=12a", "seed" },
		{ "seed=99999999999999999999", "seed" },
		{ "loss=0.1,,dup=0.1", "empty" },
		{ "", "empty" },
	};
	struct mbx_impair_config c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (mbx_impair_parse(bad[i].spec, &c, err, sizeof(err)) != -1)
			fail_msg("accepted '%s'", bad[i].spec);
		if (!strstr(err, bad[i].named) || strchr(err, '\n'))
			fail_msg("'%s': error '%s' does not name %s on one line", bad[i].spec, err,
				 bad[i].named);
	}
}

static void test_zero_rates_pass_everything_untouched(void **state)
{
	const uint32_t n = 5000;
	struct trace rx = trace_new(n), tx = trace_new(n);
	uint8_t want[FRAME_LEN];
	struct rig r;

	(void)state;
	rig_open(&r, "loss=0,dup=0,reorder=0,corrupt=0,seed=7");
	run(&r, n, 1, &rx, &tx);
	assert_int_equal(rx.n, n);
	assert_int_equal(tx.n, n);
	for (uint32_t i = 0; i < n; i++) {
		pattern(i, want);
		assert_memory_equal(rx.r[i].bytes, want, FRAME_LEN);
		assert_memory_equal(tx.r[i].bytes, want, FRAME_LEN);
		assert_int_equal(tx.r[i].handle, rx.r[i].handle); /* sent from the frame it came in */
	}
	mbx_port_sync_counters(r.port);
	assert_int_equal(r.port->ctr.port_rx_frames, n);
	assert_int_equal(r.port->ctr.port_tx_frames, n);
	assert_no_impairment(&r.port->ctr);
	rig_close(&r);
	free(rx.r);
	free(tx.r);
}

static void test_loss_rate_within_bounds_both_directions(void **state)
{
	const uint32_t n = 100000;
	struct trace rx = trace_new(n), tx = trace_new(n);
	const struct mbx_port_counters *c;
	struct rig r;

	(void)state;
	rig_open(&r, "loss=0.1,seed=7");
	run(&r, n, 1, &rx, &tx);
	c = &r.port->ctr;
	assert_int_equal(c->impair_rx_dropped, n - rx.n);
	assert_int_equal(c->impair_tx_dropped, rx.n - tx.n);
	assert_binomial(n - rx.n, n, 0.1);
	assert_binomial(rx.n - tx.n, rx.n, 0.1);
	/* What survives keeps its order and its bytes. */
	for (uint32_t i = 1; i < tx.n; i++)
		assert_true(seq_of(&tx.r[i - 1]) < seq_of(&tx.r[i]));
	rig_close(&r);
	free(rx.r);
	free(tx.r);
}

static void run_mixed(const char *spec, struct trace *rx, struct trace *tx,
		      struct mbx_port_counters *ctr)
{
	struct rig r;

	rig_open(&r, spec);
	run(&r, 20000, 1, rx, tx);
	*ctr = r.port->ctr;
	rig_close(&r);
}

static int same_trace(const struct trace *a, const struct trace *b)
{
	if (a->n != b->n)
		return 0;
	for (uint32_t i = 0; i < a->n; i++)
		if (memcmp(a->r[i].bytes, b->r[i].bytes, FRAME_LEN))
			return 0;
	return 1;
}

static void test_same_seed_same_outcomes(void **state)
{
	const char *spec = "loss=0.1,dup=0.1,reorder=0.1,corrupt=0.1,seed=7";
	struct trace rx1 = trace_new(60000), tx1 = trace_new(60000);
	struct trace rx2 = trace_new(60000), tx2 = trace_new(60000);
	struct trace rx3 = trace_new(60000), tx3 = trace_new(60000);
	struct mbx_port_counters c1, c2, c3;

	(void)state;
	run_mixed(spec, &rx1, &tx1, &c1);
	run_mixed(spec, &rx2, &tx2, &c2);
	run_mixed("loss=0.1,dup=0.1,reorder=0.1,corrupt=0.1,seed=8", &rx3, &tx3, &c3);
	/* Every impairment happened in both directions... */
#define X(name, help) assert_true(c1.name > 0 || !strcmp(#name, "impair_dup_no_frame"));
	MBX_PORT_IMPAIR_COUNTERS(X)
#undef X
	/* ...identically for the same seed, and differently for another. */
	assert_true(same_trace(&rx1, &rx2));
	assert_true(same_trace(&tx1, &tx2));
	assert_memory_equal(&c1, &c2, sizeof(c1));
	assert_false(same_trace(&tx1, &tx3));
	free(rx1.r);
	free(tx1.r);
	free(rx2.r);
	free(tx2.r);
	free(rx3.r);
	free(tx3.r);
}

/* Every frame 0..n-1 once, in order, each possibly followed by exact copies
 * in other frames; returns the number of copies. */
static uint64_t count_exact_copies(const struct trace *t, uint32_t n)
{
	uint8_t want[FRAME_LEN];
	uint32_t next = 0;
	uint64_t copies = 0;

	for (uint32_t i = 0; i < t->n; i++) {
		if (next < n) {
			pattern(next, want);
			if (!memcmp(t->r[i].bytes, want, FRAME_LEN)) {
				next++;
				continue;
			}
		}
		assert_true(i > 0);
		assert_memory_equal(t->r[i].bytes, t->r[i - 1].bytes, FRAME_LEN);
		assert_int_not_equal(t->r[i].handle, t->r[i - 1].handle);
		copies++;
	}
	assert_int_equal(next, n);
	return copies;
}

static void test_dup_makes_exact_copies(void **state)
{
	const uint32_t n = 20000;
	struct trace rx = trace_new(2 * n), tx = trace_new(4 * n);
	struct rig r;
	uint64_t rx_copies;

	(void)state;
	rig_open(&r, "rx_dup=0.2,tx_dup=0.3,seed=3");
	run(&r, n, 1, &rx, &tx);
	rx_copies = count_exact_copies(&rx, n);
	assert_int_equal(rx_copies, r.port->ctr.impair_rx_duplicated);
	assert_binomial(rx_copies, n, 0.2);
	/* On tx the copies of rx copies are copies too. */
	assert_int_equal(tx.n, rx.n + r.port->ctr.impair_tx_duplicated);
	assert_int_equal(count_exact_copies(&tx, n), tx.n - n);
	assert_binomial(r.port->ctr.impair_tx_duplicated, rx.n, 0.3);
	assert_int_equal(r.port->ctr.impair_dup_no_frame, 0);
	rig_close(&r);
	free(rx.r);
	free(tx.r);
}

static void test_dup_without_a_free_frame_is_counted(void **state)
{
	const struct mbx_mem_config mcfg = { .n_frames = 2, .frame_size = 2048 };
	struct mbx_impair_config icfg;
	struct mbx_port *mem, *port;
	struct mbx_frame f[4];
	uint8_t buf[FRAME_LEN];
	char err[256];

	(void)state;
	assert_int_equal(mbx_impair_parse("rx_dup=1", &icfg, err, sizeof(err)), 0);
	mem = mbx_mem_open(&mcfg, err, sizeof(err));
	assert_non_null(mem);
	port = mbx_impair_open(mem, &icfg, err, sizeof(err));
	assert_non_null(port);
	pattern(0, buf);
	assert_int_equal(mbx_mem_inject(mem, buf, FRAME_LEN), 0);
	assert_int_equal(mbx_mem_inject(mem, buf, FRAME_LEN), 0);
	/* Both frames are in use: the copies cannot be made, the originals pass. */
	assert_int_equal(mbx_port_rx(port, f, 4), 2);
	assert_int_equal(port->ctr.impair_dup_no_frame, 2);
	assert_int_equal(port->ctr.impair_rx_duplicated, 0);
	mbx_port_release(port, f, 2);
	assert_int_equal(mbx_mem_free_frames(mem), 2);
	mbx_port_close(port);
}

/* Each frame at position i is frame i with `bits` bits flipped (none or one
 * for a rate below 1); returns how many were flipped. */
static uint64_t count_corrupted(const struct trace *t, uint32_t n, uint32_t max_bits)
{
	uint8_t want[FRAME_LEN];
	uint64_t corrupted = 0;

	assert_int_equal(t->n, n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t d;

		pattern(i, want);
		d = bit_distance(t->r[i].bytes, want);
		assert_true(d <= max_bits);
		corrupted += d != 0;
	}
	return corrupted;
}

static void test_corrupt_flips_exactly_one_bit(void **state)
{
	const uint32_t n = 20000;
	struct trace rx = trace_new(n), tx = trace_new(n);
	struct rig r;

	(void)state;
	rig_open(&r, "rx_corrupt=0.3,seed=11");
	run(&r, n, 1, &rx, &tx);
	assert_int_equal(count_corrupted(&rx, n, 1), r.port->ctr.impair_rx_corrupted);
	assert_binomial(r.port->ctr.impair_rx_corrupted, n, 0.3);
	assert_int_equal(r.port->ctr.impair_tx_corrupted, 0);
	rig_close(&r);

	rx.n = tx.n = 0;
	rig_open(&r, "tx_corrupt=1,seed=11");
	run(&r, n, 1, &rx, &tx);
	assert_int_equal(count_corrupted(&rx, n, 0), 0);
	assert_int_equal(count_corrupted(&tx, n, 1), n);
	assert_int_equal(r.port->ctr.impair_tx_corrupted, n);
	rig_close(&r);
	free(rx.r);
	free(tx.r);
}

/* Frames 0..n-1, each once, in order but for disjoint swaps of neighbours;
 * returns the number of swaps. */
static uint64_t count_neighbour_swaps(const struct trace *t, uint32_t n)
{
	uint64_t swaps = 0;

	assert_int_equal(t->n, n);
	for (uint32_t i = 0; i < n;) {
		if (seq_of(&t->r[i]) == i) {
			i++;
			continue;
		}
		assert_true(i + 1 < n);
		assert_int_equal(seq_of(&t->r[i]), i + 1);
		assert_int_equal(seq_of(&t->r[i + 1]), i);
		swaps++;
		i += 2;
	}
	return swaps;
}

static void test_reorder_swaps_neighbours_and_loses_nothing(void **state)
{
	const uint32_t n = 20000;
	struct trace rx = trace_new(n), tx = trace_new(n);
	uint64_t swaps;
	struct rig r;

	(void)state;
	rig_open(&r, "rx_reorder=0.2,seed=5");
	run(&r, n, 1, &rx, &tx);
	swaps = count_neighbour_swaps(&rx, n);
	assert_true(swaps > n / 20);
	assert_int_equal(swaps, r.port->ctr.impair_rx_reordered);
	assert_int_equal(count_neighbour_swaps(&tx, n), swaps); /* tx passes them as they came */
	rig_close(&r);

	rx.n = tx.n = 0;
	rig_open(&r, "tx_reorder=0.2,seed=5");
	run(&r, n, 1, &rx, &tx);
	assert_int_equal(count_neighbour_swaps(&rx, n), 0);
	swaps = count_neighbour_swaps(&tx, n);
	assert_true(swaps > n / 20);
	assert_int_equal(swaps, r.port->ctr.impair_tx_reordered);
	rig_close(&r);
	free(rx.r);
	free(tx.r);
}

static void test_held_frame_leaves_within_two_idle_polls(void **state)
{
	struct mbx_frame f[MBX_BURST];
	uint8_t buf[FRAME_LEN];
	struct rig r;

	(void)state;
	/* rx: held at the poll it arrives; two polls later nothing has come to
	 * swap with, so the third hands it up, in order. */
	rig_open(&r, "reorder=1,seed=1");
	pattern(0, buf);
	assert_int_equal(mbx_mem_inject(r.mem, buf, FRAME_LEN), 0);
	assert_int_equal(mbx_port_rx(r.port, f, MBX_BURST), 0);
	assert_int_equal(mbx_port_rx(r.port, f, MBX_BURST), 0);
	assert_int_equal(mbx_port_rx(r.port, f, MBX_BURST), 0);
	assert_int_equal(mbx_port_rx(r.port, f, MBX_BURST), 1);
	assert_memory_equal(f[0].data, buf, FRAME_LEN);
	assert_int_equal(r.port->ctr.impair_rx_reordered, 0); /* left in order */

	/* tx: held when sent; on the wire at the third rx poll after. */
	mbx_port_tx(r.port, f, 1);
	assert_int_equal(mbx_mem_take_tx(r.mem, f, MBX_BURST), 0);
	assert_int_equal(mbx_port_rx(r.port, f, MBX_BURST), 0);
	assert_int_equal(mbx_port_rx(r.port, f, MBX_BURST), 0);
	assert_int_equal(mbx_mem_take_tx(r.mem, f, MBX_BURST), 0);
	assert_int_equal(mbx_port_rx(r.port, f, MBX_BURST), 0);
	assert_int_equal(mbx_mem_take_tx(r.mem, f, MBX_BURST), 1);
	assert_memory_equal(f[0].data, buf, FRAME_LEN);
	mbx_port_release(r.mem, f, 1);
	rig_close(&r);
}

/* A port in front of the in-memory one that notes, when closed, how many
 * frames were back in the pool at that moment. */
struct spy_port {
	struct mbx_port port;
	struct mbx_port *mem;
	uint32_t free_at_close;
};

static struct spy_port spy;

static uint32_t spy_rx(struct mbx_port *p, struct mbx_frame *f, uint32_t n)
{
	(void)p;
	return mbx_port_rx(spy.mem, f, n);
}

static void spy_tx(struct mbx_port *p, const struct mbx_frame *f, uint32_t n)
{
	(void)p;
	mbx_port_tx(spy.mem, f, n);
}

static void spy_release(struct mbx_port *p, const struct mbx_frame *f, uint32_t n)
{
	(void)p;
	mbx_port_release(spy.mem, f, n);
}

static int spy_alloc(struct mbx_port *p, struct mbx_frame *out)
{
	(void)p;
	return mbx_port_alloc(spy.mem, out);
}

static void spy_sync(struct mbx_port *p)
{
	(void)p;
}

static void spy_close(struct mbx_port *p)
{
	(void)p;
	spy.free_at_close = mbx_mem_free_frames(spy.mem);
	mbx_port_close(spy.mem);
}

static const struct mbx_port_ops spy_ops = {
	.name = "spy",
	.rx_burst = spy_rx,
	.tx_burst = spy_tx,
	.release = spy_release,
	.alloc = spy_alloc,
	.sync_counters = spy_sync,
	.close = spy_close,
};

static void test_close_gives_back_held_frames(void **state)
{
	const struct mbx_mem_config mcfg = { .n_frames = 8, .frame_size = 2048 };
	struct mbx_impair_config icfg;
	struct mbx_port *port;
	struct mbx_frame f[8];
	uint8_t buf[FRAME_LEN];
	char err[256];

	(void)state;
	assert_int_equal(mbx_impair_parse("reorder=1", &icfg, err, sizeof(err)), 0);
	spy.port.ops = &spy_ops;
	spy.mem = mbx_mem_open(&mcfg, err, sizeof(err));
	assert_non_null(spy.mem);
	port = mbx_impair_open(&spy.port, &icfg, err, sizeof(err));
	assert_non_null(port);
	pattern(0, buf);
	for (int i = 0; i < 3; i++)
		assert_int_equal(mbx_mem_inject(spy.mem, buf, FRAME_LEN), 0);
	/* Frames 1 and 0 (swapped) are ready, 2 is held; one is handed up and
	 * sent, and held on tx. */
	assert_int_equal(mbx_port_rx(port, f, 1), 1);
	mbx_port_tx(port, f, 1);
	assert_int_equal(mbx_mem_take_tx(spy.mem, f, 8), 0);
	assert_int_equal(mbx_mem_free_frames(spy.mem), 5);
	mbx_port_close(port);
	assert_int_equal(spy.free_at_close, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts_rates_seed_and_directions),
		cmocka_unit_test(test_parse_rejects_with_the_key_named),
		cmocka_unit_test(test_zero_rates_pass_everything_untouched),
		cmocka_unit_test(test_loss_rate_within_bounds_both_directions),
		cmocka_unit_test(test_same_seed_same_outcomes),
		cmocka_unit_test(test_dup_makes_exact_copies),
		cmocka_unit_test(test_dup_without_a_free_frame_is_counted),
		cmocka_unit_test(test_corrupt_flips_exactly_one_bit),
		cmocka_unit_test(test_reorder_swaps_neighbours_and_loses_nothing),
		cmocka_unit_test(test_held_frame_leaves_within_two_idle_polls),
		cmocka_unit_test(test_close_gives_back_held_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
