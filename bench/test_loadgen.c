/* The load generator's measuring and checking: percentiles of known
 * distributions within 1 %, and responses told right from wrong, pipelined
 * ones matched by transaction id. */
#include <arpa/inet.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "histogram.h"
#include "mbreq.h"
#include "modbus/modbus.h"
#include "tuples.h"

static struct histogram hist_a, hist_b;

static void assert_within_1pct(uint64_t got, double want)
{
	if (fabs((double)got - want) > 0.01 * want)
		fail_msg("got %llu, want %.1f within 1 %%", (unsigned long long)got, want);
}

/* Uniform 1..1e6 ns: percentile p is p % of 1e6. */
static void hist_uniform(void **state)
{
	(void)state;
	hist_init(&hist_a);
	for (uint64_t v = 1; v <= 1000000; v++)
		hist_record(&hist_a, v);
	assert_int_equal(hist_a.count, 1000000);
	assert_int_equal(hist_a.min, 1);
	assert_int_equal(hist_a.max, 1000000);
	static const double p[] = { 1, 50, 90, 99, 99.9, 99.99 };
	for (unsigned i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		assert_within_1pct(hist_percentile(&hist_a, p[i]), p[i] * 1e4);
	assert_int_equal(hist_percentile(&hist_a, 100), 1000000);
}

/* Exponential with mean 20 us (a queue's service times): percentile p is
 * -mean * ln(1 - p/100). Values by inverse transform of an even grid, so the
 * test is exact and repeatable. */
static void hist_exponential_merged(void **state)
{
	(void)state;
	const double mean = 20000, n = 200000;
	hist_init(&hist_a);
	hist_init(&hist_b);
	for (uint32_t i = 0; i < n; i++) {
		double u = (i + 0.5) / n;
		/* Two threads' histograms, merged as the bench merges them. */
		hist_record(i % 2 ? &hist_a : &hist_b, (uint64_t)llround(-mean * log(1 - u)));
	}
	hist_merge(&hist_a, &hist_b);
	assert_int_equal(hist_a.count, (uint64_t)n);
	static const double p[] = { 50, 90, 99, 99.9 };
	for (unsigned i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		assert_within_1pct(hist_percentile(&hist_a, p[i]), -mean * log(1 - p[i] / 100));
}

/* Two clusters: the tail percentile must come from the far cluster, which a
 * histogram too coarse or a wrong rank would miss. */
static void hist_bimodal_tail(void **state)
{
	(void)state;
	hist_init(&hist_a);
	for (int i = 0; i < 9990; i++)
		hist_record(&hist_a, 15000);
	for (int i = 0; i < 10; i++)
		hist_record(&hist_a, 40000000);
	assert_within_1pct(hist_percentile(&hist_a, 99.9), 15000);
	assert_within_1pct(hist_percentile(&hist_a, 99.91), 40000000);
	assert_int_equal(hist_a.max, 40000000);
	hist_init(&hist_b);
	assert_int_equal(hist_percentile(&hist_b, 50), 0);
}

/* The engine's way of recording: a burst's time once for all its requests.
 * Must equal recording each request, and the cumulative counts behind
 * Prometheus' le buckets must cut at the right values. */
static void hist_weighted_and_cumulative(void **state)
{
	(void)state;
	hist_init(&hist_a);
	hist_init(&hist_b);
	hist_record_n(&hist_a, 300, 64);
	hist_record_n(&hist_a, 5000, 2);
	for (int i = 0; i < 64; i++)
		hist_record(&hist_b, 300);
	hist_record(&hist_b, 5000);
	hist_record(&hist_b, 5000);
	assert_memory_equal(&hist_a, &hist_b, sizeof(hist_a));
	assert_int_equal(hist_a.count, 66);
	assert_int_equal(hist_a.sum, 64 * 300 + 2 * 5000);
	assert_int_equal(hist_count_at_most(&hist_a, 299), 0);
	assert_int_equal(hist_count_at_most(&hist_a, 1000), 64);
	assert_int_equal(hist_count_at_most(&hist_a, 4000), 64);
	assert_int_equal(hist_count_at_most(&hist_a, 10000), 66);
	assert_within_1pct(hist_percentile(&hist_a, 96), 300); /* rank 64 of 66 */
	assert_within_1pct(hist_percentile(&hist_a, 97), 5000); /* rank 65 */
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* The response a correct server gives to req: built here independently of
 * the checker, from the default image (register i holds i, bit i is i & 1). */
static uint32_t correct_response(const uint8_t *req, uint8_t *resp)
{
	uint8_t fc = req[7];
	uint16_t addr = (uint16_t)(req[8] << 8 | req[9]), q = (uint16_t)(req[10] << 8 | req[11]);
	uint32_t pdu_len;
	memcpy(resp, req, 8);
	if (fc == 3 || fc == 4) {
		resp[8] = (uint8_t)(2 * q);
		for (uint16_t i = 0; i < q; i++)
			put16(resp + 9 + 2 * i, (uint16_t)(addr + i));
		pdu_len = 2 + 2u * q;
	} else if (fc == 1 || fc == 2) {
		resp[8] = (uint8_t)((q + 7) / 8);
		memset(resp + 9, 0, resp[8]);
		for (uint16_t i = 0; i < q; i++)
			resp[9 + i / 8] |= (uint8_t)(((addr + i) & 1) << (i % 8));
		pdu_len = 2u + resp[8];
	} else {
		memcpy(resp + 8, req + 8, 4); /* the writes echo address and value/quantity */
		pdu_len = 5;
	}
	put16(resp + 4, (uint16_t)(1 + pdu_len));
	return 7 + pdu_len;
}

static void check_every_function(void **state)
{
	(void)state;
	static const char *mixes[] = { "fc1:37", "fc2:2000", "fc3:125", "fc4:1", "fc5", "fc6",
				       "fc15:1968", "fc16:123" };
	struct mix m;
	char err[128];
	uint64_t rng = 12345;
	uint8_t req[MB_ADU_MAX], resp[MB_ADU_MAX];
	struct inflight *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	inflight_init(f, 1);
	for (unsigned i = 0; i < sizeof(mixes) / sizeof(mixes[0]); i++) {
		assert_int_equal(mix_parse(mixes[i], &m, err, sizeof(err)), 0);
		for (int k = 0; k < 50; k++) {
			struct pending *p = inflight_claim(f);
			assert_non_null(p);
			uint32_t len = mbreq_build(&m, &rng, p, req);
			assert_int_equal(mbap_adu_len(req), len);
			/* Reads stay below the write range, writes inside it. */
			int write = m.e[0].fc == 5 || m.e[0].fc == 6 || m.e[0].fc >= 15;
			assert_true(write ? p->addr >= MBREQ_WRITE_BASE : p->addr < MBREQ_WRITE_BASE);
			uint32_t rlen = correct_response(req, resp);
			assert_int_equal(mbreq_check(&m, p, resp, rlen), CHECK_OK);
			/* One wrong bit in the data or the echo is caught. */
			resp[rlen - 1] ^= 0x01;
			assert_int_equal(mbreq_check(&m, p, resp, rlen), CHECK_WRONG);
			resp[rlen - 1] ^= 0x01;
			/* A wrong byte count or length. */
			if (!write) {
				resp[8]++;
				assert_int_equal(mbreq_check(&m, p, resp, rlen), CHECK_WRONG);
				resp[8]--;
			}
			assert_int_equal(mbreq_check(&m, p, resp, rlen - 1), CHECK_WRONG);
			/* Another function code. */
			resp[7] ^= 0x02;
			assert_int_equal(mbreq_check(&m, p, resp, rlen), CHECK_WRONG);
			resp[7] ^= 0x02;
			inflight_release(f, p);
		}
	}
	free(f);
}

static void check_exceptions_and_header(void **state)
{
	(void)state;
	struct mix m;
	char err[128];
	uint64_t rng = 99;
	uint8_t req[MB_ADU_MAX], resp[MB_ADU_MAX];
	struct inflight f;

	inflight_init(&f, 1);
	assert_int_equal(mix_parse("fc3:10", &m, err, sizeof(err)), 0);
	struct pending *p = inflight_claim(&f);
	mbreq_build(&m, &rng, p, req);
	/* Exception 02, illegal data address (MAP 7). */
	memcpy(resp, req, 7);
	put16(resp + 4, 3);
	resp[7] = 0x83;
	resp[8] = 0x02;
	assert_int_equal(mbreq_check(&m, p, resp, 9), CHECK_EXCEPTION);
	resp[7] = 0x84; /* an exception for another function */
	assert_int_equal(mbreq_check(&m, p, resp, 9), CHECK_WRONG);
	resp[7] = 0x83;
	resp[8] = 0x00; /* no such exception code */
	assert_int_equal(mbreq_check(&m, p, resp, 9), CHECK_WRONG);

	uint32_t rlen = correct_response(req, resp);
	resp[2] = 1; /* protocol id not Modbus */
	assert_int_equal(mbreq_check(&m, p, resp, rlen), CHECK_WRONG);
	resp[2] = 0;
	resp[6] = 7; /* another unit */
	assert_int_equal(mbreq_check(&m, p, resp, rlen), CHECK_WRONG);
}

/* Eight requests in flight, answered in reverse order: each answer finds its
 * own request by transaction id; an id answered twice, or never sent, finds
 * none. */
static void pipelined_matching(void **state)
{
	(void)state;
	struct mix m;
	char err[128];
	uint64_t rng = 7;
	uint8_t req[8][MB_ADU_MAX], resp[MB_ADU_MAX];
	struct pending *p[8];
	struct inflight f;

	inflight_init(&f, 8);
	assert_int_equal(mix_parse("fc3:5=1,fc1:20=1,fc6=1", &m, err, sizeof(err)), 0);
	for (int i = 0; i < 8; i++) {
		p[i] = inflight_claim(&f);
		assert_non_null(p[i]);
		mbreq_build(&m, &rng, p[i], req[i]);
	}
	assert_null(inflight_claim(&f));
	assert_int_equal(inflight_busy(&f), 8);
	for (int i = 7; i >= 0; i--) {
		uint32_t rlen = correct_response(req[i], resp);
		struct pending *q = inflight_match(&f, mbreq_tid(resp));
		assert_ptr_equal(q, p[i]);
		assert_int_equal(mbreq_check(&m, q, resp, rlen), CHECK_OK);
		/* Another request's answer fails this one's check. */
		uint8_t other[MB_ADU_MAX];
		uint32_t olen = correct_response(req[(i + 1) % 8], other);
		assert_int_equal(mbreq_check(&m, q, other, olen), CHECK_WRONG);
		inflight_release(&f, q);
		assert_null(inflight_match(&f, mbreq_tid(resp)));
	}
	/* A slot used again carries a new id: the old answer does not match it. */
	struct pending *again = inflight_claim(&f);
	assert_int_not_equal(again->tid, mbreq_tid(req[0]));
	assert_null(inflight_match(&f, mbreq_tid(req[0])));
	assert_ptr_equal(inflight_match(&f, again->tid), again);
	assert_null(inflight_match(&f, (uint16_t)(again->tid | 0xff))); /* slot beyond depth */
}

static void mix_rejects(void **state)
{
	(void)state;
	struct mix m;
	char err[128];
	assert_int_equal(mix_parse("fc3:10=80,fc16:10=20", &m, err, sizeof(err)), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.total_weight, 100);
	assert_int_equal(m.e[1].fc, 16);
	assert_int_equal(mix_parse("fc7", &m, err, sizeof(err)), -1);
	assert_int_equal(mix_parse("fc3:126", &m, err, sizeof(err)), -1);
	assert_int_equal(mix_parse("fc6:2", &m, err, sizeof(err)), -1);
	assert_int_equal(mix_parse("fc3=0", &m, err, sizeof(err)), -1);
	assert_int_equal(mix_parse("", &m, err, sizeof(err)), -1);
	assert_int_equal(mix_parse("fc3;fc4", &m, err, sizeof(err)), -1);
}

/* A server with a small map: every request inside --address/--count, with
 * its unit id; --no-check takes any read values but still a wrong length. */
static void mix_target_range_and_unit(void **state)
{
	(void)state;
	struct mix m;
	char err[128];
	uint64_t rng = 3;
	uint8_t req[MB_ADU_MAX], resp[MB_ADU_MAX];
	struct pending p = { 0 };
	uint32_t seen_lo = 0xffff, seen_hi = 0;

	assert_int_equal(mix_parse("fc3:10=1,fc6=1,fc1:16=1", &m, err, sizeof(err)), 0);
	assert_int_equal(mix_target(&m, 9, 100, 20, 1, err, sizeof(err)), -1); /* reads and writes */
	assert_int_equal(mix_target(&m, 9, 100, 12, 0, err, sizeof(err)), -1); /* fc1:16 too wide */
	assert_int_equal(mix_target(&m, 9, 65530, 20, 0, err, sizeof(err)), -1); /* past 65535 */
	assert_int_equal(mix_target(&m, 9, 100, 20, 0, err, sizeof(err)), 0);
	for (int i = 0; i < 3000; i++) {
		uint32_t rlen, qty;

		mbreq_build(&m, &rng, &p, req);
		qty = p.fc == 6 ? 1 : p.qty_or_value;
		assert_int_equal(req[6], 9);
		assert_in_range(p.addr, 100, 119);
		assert_in_range(p.addr + qty - 1, 100, 119);
		seen_lo = p.addr < seen_lo ? p.addr : seen_lo;
		seen_hi = p.addr + qty - 1 > seen_hi ? p.addr + qty - 1 : seen_hi;
		rlen = correct_response(req, resp);
		if (p.fc != 6)
			resp[rlen - 1] ^= 0x01; /* not the default image: no check of values */
		assert_int_equal(mbreq_check(&m, &p, resp, rlen), CHECK_OK);
		assert_int_equal(mbreq_check(&m, &p, resp, rlen - 1), CHECK_WRONG);
		resp[6] = 1; /* another unit's answer */
		assert_int_equal(mbreq_check(&m, &p, resp, rlen), CHECK_WRONG);
	}
	assert_int_equal(seen_lo, 100);
	assert_int_equal(seen_hi, 119);
	/* Reads alone in a range are checked against the default image. */
	assert_int_equal(mix_parse("fc4:5", &m, err, sizeof(err)), 0);
	assert_int_equal(mix_target(&m, 0, 40000, 5, 1, err, sizeof(err)), 0);
	mbreq_build(&m, &rng, &p, req);
	assert_int_equal(p.addr, 40000);
	uint32_t rlen = correct_response(req, resp);
	assert_int_equal(mbreq_check(&m, &p, resp, rlen), CHECK_OK);
	resp[rlen - 1] ^= 0x01;
	assert_int_equal(mbreq_check(&m, &p, resp, rlen), CHECK_WRONG);
}

/* The mix's weights are honoured: 80/20 within a few percent over 10000. */
static void mix_weights(void **state)
{
	(void)state;
	struct mix m;
	char err[128];
	uint64_t rng = 1;
	uint8_t req[MB_ADU_MAX];
	struct pending p = { 0 };
	int n16 = 0;
	assert_int_equal(mix_parse("fc3:10=80,fc16:10=20", &m, err, sizeof(err)), 0);
	for (int i = 0; i < 10000; i++) {
		mbreq_build(&m, &rng, &p, req);
		n16 += p.fc == 16;
	}
	assert_in_range(n16, 1800, 2200);
}

static void udp_probe(void **state)
{
	(void)state;
	struct inflight f;
	uint8_t buf[UDP_PROBE_LEN];
	inflight_init(&f, 2);
	struct pending *p = inflight_claim(&f);
	assert_int_equal(udp_probe_build(p, buf), UDP_PROBE_LEN);
	assert_ptr_equal(inflight_match(&f, mbreq_tid(buf)), p);
	assert_int_equal(udp_probe_check(p, buf, UDP_PROBE_LEN), CHECK_OK);
	buf[5] ^= 1;
	assert_int_equal(udp_probe_check(p, buf, UDP_PROBE_LEN), CHECK_WRONG);
	buf[5] ^= 1;
	assert_int_equal(udp_probe_check(p, buf, UDP_PROBE_LEN - 1), CHECK_WRONG);
}

/* The kernel-bypass master's source tuples: never two live alike, every one
 * handed out before any comes again, and none when all are out. */
static void tuples_unique_and_round(void **state)
{
	struct tuple_pool t;
	static uint8_t seen[4 * 3];

	(void)state;
	assert_int_equal(tuple_pool_init(&t, 0xc6128000u, 4, 65533, 3), 0);
	assert_int_equal(tuple_pool_init(&(struct tuple_pool){ 0 }, 1, 4, 65534, 3), -1);
	for (int i = 0; i < 12; i++) {
		int64_t idx = tuple_get(&t);
		assert_true(idx >= 0 && idx < 12);
		assert_int_equal(seen[idx]++, 0);
	}
	assert_int_equal(tuple_get(&t), -1);
	uint32_t addr;
	uint16_t port;
	tuple_of(&t, 5, &addr, &port);
	assert_int_equal(ntohl(addr), 0xc6128001u); /* round the addresses first */
	assert_int_equal(port, 65534);
	/* Given back: 7 then 2; the round goes on from where it was. */
	tuple_put(&t, 7);
	tuple_put(&t, 2);
	assert_int_equal(tuple_get(&t), 2);
	assert_int_equal(tuple_get(&t), 7);
	assert_int_equal(tuple_get(&t), -1);
	tuple_put(&t, 9);
	assert_int_equal(tuple_get(&t), 9);
	tuple_pool_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hist_uniform),
		cmocka_unit_test(hist_exponential_merged),
		cmocka_unit_test(hist_bimodal_tail),
		cmocka_unit_test(hist_weighted_and_cumulative),
		cmocka_unit_test(check_every_function),
		cmocka_unit_test(check_exceptions_and_header),
		cmocka_unit_test(pipelined_matching),
		cmocka_unit_test(mix_rejects),
		cmocka_unit_test(mix_weights),
		cmocka_unit_test(mix_target_range_and_unit),
		cmocka_unit_test(udp_probe),
		cmocka_unit_test(tuples_unique_and_round),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
