/* Fair shares of the buffer pools: a peer that keeps its window closed, or
 * holds half-sent requests, from many connections of one source must not
 * starve the other sources' connections of send blocks or ADU buffers; and
 * whatever it holds is given back after a bounded time. The attacks are
 * those of a review, on a stack sized as mbxdp sizes it for 1,024
 * connections (576 send blocks, 320 ADU buffers); the client that must keep
 * its answers comes from another source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_client.h"
#include "tcp/priv/tcp_priv.h"

#define SEC 1000000000ull
#define MS 1000000ull
#define VICTIM 0xc6120002u /* 198.18.0.2 */
#define ATTACKER 0xc6120003u /* 198.18.0.3 */
#define MAX_CONNS 1024
#define N_ZERO_WINDOW 250
#define N_SPLIT 320

static struct harness H;
static struct tc_client att[N_SPLIT];
static uint8_t frame[HARNESS_FRAME_SIZE];

static void start(uint32_t idle_ms)
{
	struct conn_policy_config p;

	conn_policy_defaults(&p);
	p.idle_ms = p.priority_idle_ms = idle_ms;
	assert_int_equal(harness_init_opts(&H, MAX_CONNS, 4096,
					   &(struct harness_opts){ .policy = &p, .program_pools = 1 }),
			 0);
	H.stack->now_ns = SEC;
}

static int teardown(void **state)
{
	(void)state;
	harness_free(&H);
	return 0;
}

/* A segment with the given window; advances c->seq like tc_send. */
static enum stack_verdict send_wnd(struct tc_client *c, uint8_t flags, uint16_t wnd,
				   const void *data, size_t len)
{
	size_t n = fb_tcp(frame, &c->fl, c->seq, c->ack, flags, wnd, 0, 0, data, len);

	harness_clear(&H);
	c->seq += (uint32_t)len + !!(flags & FB_FIN);
	return harness_input(&H, frame, n);
}

/* 121 pipelined reads of 125 registers (259-byte answers): 1,452 bytes. */
static size_t big_reads(uint8_t *req)
{
	size_t n = 0;

	for (uint16_t i = 0; i < 121; i++) {
		n += tc_read_req(req + n, i, i);
		req[n - 1] = 125;
	}
	return n;
}

/* The victim's request and its answer, in the reply to the request itself
 * (no wait: the answer goes in the request's own frame), then its ACK. */
static void victim_request(struct tc_client *v, uint16_t tid)
{
	uint8_t req[12];
	struct fb_seg s;

	tc_send(&H, v, FB_PSH | FB_ACK, req, tc_read_req(req, tid, tid));
	s = tc_reply(&H, 0);
	assert_true(tc_read_resp_ok(&s, tid, tid));
	v->ack += (uint32_t)s.len;
	tc_send(&H, v, FB_ACK, 0, 0);
}

static void run_timers(uint64_t t)
{
	harness_clear(&H);
	stack_timers(H.stack, t);
}

static void assert_pools_whole(void)
{
	assert_int_equal(H.stack->snd.n_free, H.stack->snd.capacity);
	assert_int_equal(H.stack->rx_bufs.n_free, H.stack->rx_bufs.capacity);
}

/* The review's first finding: 250 connections from one source, each
 * asking for 121 pipelined reads of 125 registers with a zero window and
 * then FIN, and answering every window probe with a zero-window ACK. The
 * victim's requests, one a second for three minutes, are each answered at
 * once; the attacker's connections are gone after a bounded time, their
 * blocks back in the pool. */
static void test_zero_window_flood(void **state)
{
	static uint8_t req[1452];
	size_t n = big_reads(req);
	struct tc_client v = tc_client(VICTIM, 30000);
	uint64_t t = SEC;

	(void)state;
	start(10000);
	assert_int_equal(tc_handshake(&H, &v), 0);
	for (uint32_t i = 0; i < N_ZERO_WINDOW; i++) {
		att[i] = tc_client(ATTACKER, (uint16_t)(20000 + i));
		assert_int_equal(tc_handshake(&H, &att[i]), 0);
		send_wnd(&att[i], FB_PSH | FB_ACK | FB_FIN, 0, req, n);
	}
	for (uint16_t step = 0; step < 180; step++) {
		victim_request(&v, step);
		t += SEC;
		run_timers(t);
		for (uint32_t i = 0; i < N_ZERO_WINDOW; i++)
			send_wnd(&att[i], FB_ACK, 0, 0, 0);
	}
	assert_int_equal(stack_open_connections(H.stack), 1);
	tc_send(&H, &v, FB_RST, 0, 0);
	assert_pools_whole();
}

/* The review's second finding: 320 connections from one source, each
 * holding the first 5 bytes of a request. The victim's split request is
 * reassembled and answered. */
static void test_split_request_flood(void **state)
{
	uint8_t req[12];
	struct tc_client v = tc_client(VICTIM, 30001);
	struct fb_seg s;

	(void)state;
	start(10000);
	tc_read_req(req, 1, 1);
	for (uint32_t i = 0; i < N_SPLIT; i++) {
		att[i] = tc_client(ATTACKER, (uint16_t)(20000 + i));
		assert_int_equal(tc_handshake(&H, &att[i]), 0);
		tc_send(&H, &att[i], FB_PSH | FB_ACK, req, 5);
	}
	assert_int_equal(tc_handshake(&H, &v), 0);
	for (uint16_t k = 0; k < 3; k++) {
		tc_read_req(req, k, k);
		assert_int_equal(tc_send(&H, &v, FB_PSH | FB_ACK, req, 5), STACK_SENT);
		s = tc_reply(&H, 0);
		assert_int_equal(s.flags, FB_ACK); /* the 5 bytes taken, no RST */
		assert_int_equal(s.ack, v.seq);
		tc_send(&H, &v, FB_PSH | FB_ACK, req + 5, 7);
		s = tc_reply(&H, 0);
		assert_true(tc_read_resp_ok(&s, k, k));
		v.ack += (uint32_t)s.len;
	}
}

/* RFC 9293 3.8.6.1 with RFC 6429: a peer that answers every probe with a
 * zero window may keep the connection open for ever; a server short of
 * buffers may close it. Without an idle timeout, a connection whose
 * answers wait behind a closed window is reset after a bounded time, in
 * ESTABLISHED and in LAST-ACK alike. */
static void test_zero_window_bounded(void **state)
{
	uint8_t req[12];
	uint64_t t = SEC;

	(void)state;
	start(0);
	att[0] = tc_client(ATTACKER, 20000);
	att[1] = tc_client(ATTACKER, 20001);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tc_handshake(&H, &att[i]), 0);
		tc_read_req(req, 1, 1);
		/* The second closes its side: LAST-ACK, our FIN behind the answer. */
		send_wnd(&att[i], FB_PSH | FB_ACK | (i ? FB_FIN : 0), 0, req, sizeof(req));
	}
	for (int step = 0; step < 600 && stack_open_connections(H.stack); step++) {
		t += SEC;
		run_timers(t);
		for (int i = 0; i < 2; i++) {
			/* A live peer: it acknowledges nothing new, keeps its
			 * window shut, and sends its request again. */
			send_wnd(&att[i], FB_ACK, 0, 0, 0);
		}
	}
	assert_int_equal(stack_open_connections(H.stack), 0);
	assert_true(t < 200 * SEC);
	assert_pools_whole();
}

/* The first finding's variant with an open window: 250 connections from
 * one source each have 121 answers of 259 bytes in flight (66 send blocks)
 * and acknowledge nothing. The source ends with no more blocks than are
 * left free (share.h), so the victim's own 121 pipelined reads are all
 * answered. */
static void test_in_flight_flood(void **state)
{
	static uint8_t req[1452];
	size_t n = big_reads(req);
	struct tc_client v = tc_client(VICTIM, 30002);
	uint32_t got = 0;

	(void)state;
	start(10000);
	for (uint32_t i = 0; i < N_ZERO_WINDOW; i++) {
		att[i] = tc_client(ATTACKER, (uint16_t)(20000 + i));
		assert_int_equal(tc_handshake(&H, &att[i]), 0);
		send_wnd(&att[i], FB_PSH | FB_ACK, 65535, req, n);
	}
	assert_true(H.stack->ctr.drop_source_share > 0);
	/* Taken while it held fewer than were free: at most one more now. */
	assert_true(share_held(&H.stack->share, __builtin_bswap32(ATTACKER), SHARE_SND) <=
		    H.stack->snd.n_free + 1);
	assert_int_equal(tc_handshake(&H, &v), 0);
	send_wnd(&v, FB_PSH | FB_ACK, 65535, req, n);
	for (uint32_t i = 0; i < H.n_out; i++)
		got += (uint32_t)tc_reply(&H, i).len;
	assert_int_equal(got, 121 * 259);
	assert_int_equal(tc_reply(&H, H.n_out - 1).ack, v.seq);
}

/* One connection takes at most an eighth of the send blocks: a client
 * with an open window that acknowledges nothing gets the answers that fit
 * in its share; the rest of its requests are left unacknowledged (counted),
 * and another connection of the same source is answered. */
static void test_conn_share(void **state)
{
	static uint8_t req[1452];
	size_t n = big_reads(req);
	struct tc_client a = tc_client(ATTACKER, 20000), b = tc_client(ATTACKER, 20001);
	uint8_t one[12];
	struct fb_seg s;

	(void)state;
	assert_int_equal(harness_init_opts(&H, 64, 1024, &(struct harness_opts){ .program_pools = 1 }),
			 0);
	assert_int_equal(tc_handshake(&H, &a), 0);
	send_wnd(&a, FB_PSH | FB_ACK, 65535, req, n);
	assert_int_equal(H.stack->ctr.drop_conn_share, 1);
	assert_int_equal(H.stack->snd.capacity - H.stack->snd.n_free, H.stack->share.conn_cap[SHARE_SND]);
	assert_true(tc_reply(&H, H.n_out - 1).ack < a.seq); /* the rest left unacknowledged */
	assert_int_equal(tc_handshake(&H, &b), 0);
	tc_send(&H, &b, FB_PSH | FB_ACK, one, tc_read_req(one, 5, 5));
	s = tc_reply(&H, 0);
	assert_true(tc_read_resp_ok(&s, 5, 5));
}

/* The table of sources holding buffers is bounded (2,048 per worker): the
 * sources beyond it share one entry (counted), and everything is given back
 * when they go. */
static void test_source_table_full(void **state)
{
	enum { N = 2100 };
	static struct tc_client c[N];
	uint8_t req[12];

	(void)state;
	assert_int_equal(harness_init_opts(&H, 4096, 1024, &(struct harness_opts){ 0 }), 0);
	tc_read_req(req, 1, 1);
	for (uint32_t i = 0; i < N; i++) {
		c[i] = tc_client(0xc6130000u + i, 20000); /* 198.19.x.y */
		assert_int_equal(tc_handshake(&H, &c[i]), 0);
		tc_send(&H, &c[i], FB_PSH | FB_ACK, req, 5);
		assert_int_equal(tc_reply(&H, 0).flags, FB_ACK);
	}
	assert_int_equal(H.stack->share.used, H.stack->share.max_used);
	assert_int_equal(H.stack->ctr.share_source_table_full, N - H.stack->share.max_used);
	assert_int_equal(H.stack->share.overflow.held[SHARE_ADU], N - H.stack->share.max_used);
	for (uint32_t i = 0; i < N; i++) /* in an order other than the adds */
		tc_send(&H, &c[(i * 11) % N], FB_RST, 0, 0);
	assert_int_equal(stack_open_connections(H.stack), 0);
	assert_int_equal(H.stack->share.used, 0);
	assert_int_equal(H.stack->share.overflow.held[SHARE_ADU], 0);
	assert_pools_whole();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_zero_window_flood, teardown),
		cmocka_unit_test_teardown(test_split_request_flood, teardown),
		cmocka_unit_test_teardown(test_zero_window_bounded, teardown),
		cmocka_unit_test_teardown(test_in_flight_flood, teardown),
		cmocka_unit_test_teardown(test_conn_share, teardown),
		cmocka_unit_test_teardown(test_source_table_full, teardown),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
