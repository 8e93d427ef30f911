/* Connection management (MIG 4.2.1): the per-source limit, eviction of the
 * oldest idle non-priority connection when the table is full, the priority
 * pool, idle timeouts, our close through FIN-WAIT and TIME-WAIT (RFC 9293
 * 3.6), and keepalive (RFC 1122 4.2.3.6). Frames in, frames out, through the
 * stack harness; the timers are driven by calling the stack's deadline and
 * timeout functions at chosen times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/conn_policy.h"
#include "tcp_client.h"
#include "tcp/priv/tcp_priv.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define CLIENT_A 0xc6120002u /* 198.18.0.2 */
#define CLIENT_B 0xc6120102u /* 198.18.1.2 */
#define CLIENT_P 0xc6120202u /* 198.18.2.2, in the priority prefix of prio_policy() */

static struct harness H;

static struct conn_policy_config policy(void)
{
	struct conn_policy_config p;

	conn_policy_defaults(&p);
	return p;
}

static struct conn_policy_config prio_policy(void)
{
	struct conn_policy_config p = policy();

	assert_int_equal(conn_cidr_parse("198.18.2.0/24", &p.priority[0]), 0);
	p.n_priority = 1;
	return p;
}

static void start(uint32_t max_conns, const struct conn_policy_config *p)
{
	assert_int_equal(harness_init_opts(&H, max_conns, 256, &(struct harness_opts){ .policy = p }),
			 0);
	H.stack->now_ns = SEC;
}

static int teardown(void **state)
{
	(void)state;
	harness_free(&H);
	return 0;
}

static struct tc_client open_conn(uint32_t ip, uint16_t port)
{
	struct tc_client c = tc_client(ip, port);

	assert_int_equal(tc_handshake(&H, &c), 0);
	return c;
}

/* The default policy, a table of 4 and one connection from CLIENT_A. */
static struct tc_client start_one(void)
{
	struct conn_policy_config p = policy();

	start(4, &p);
	return open_conn(CLIENT_A, 40000);
}

static struct tcp_conn *conn_of(const struct tc_client *c)
{
	return conn_lookup(&H.stack->conns, __builtin_bswap32(c->fl.client_ip),
			   __builtin_bswap32(c->fl.server_ip), __builtin_bswap16(c->fl.client_port),
			   __builtin_bswap16(c->fl.server_port), 0);
}

static void request(struct tc_client *c, uint16_t tid)
{
	uint8_t req[12];
	struct fb_seg s;

	tc_send(&H, c, FB_PSH | FB_ACK, req, tc_read_req(req, tid, tid));
	s = tc_reply(&H, 0);
	assert_true(tc_read_resp_ok(&s, tid, tid));
	c->ack += (uint32_t)s.len;
	/* Acknowledged, or it would be retransmitted (RFC 6298). */
	assert_int_equal(tc_send(&H, c, FB_ACK, 0, 0), STACK_DROP);
}

/* Runs the stack's timers at time t (as the worker does every tick); c is
 * the connection the test watches. */
static void run_timer(struct tc_client *c, uint64_t t)
{
	(void)c;
	harness_clear(&H);
	stack_timers(H.stack, t);
}

static void assert_seg(uint32_t i, const struct tc_client *c, uint8_t flags, uint32_t seq,
		       uint32_t ack)
{
	struct fb_seg s = tc_reply(&H, i);

	assert_true(s.ok);
	assert_int_equal(s.dst_port, c->fl.client_port);
	assert_int_equal(s.dst_ip, c->fl.client_ip);
	assert_memory_equal(s.dst_mac, c->fl.client_mac, 6);
	assert_memory_equal(s.src_mac, c->fl.server_mac, 6);
	assert_int_equal(s.flags, flags);
	assert_int_equal(s.seq, seq);
	assert_int_equal(s.ack, ack);
	assert_int_equal(s.len, 0);
}

/* MIG 4.2.1: with the table full, a new connection closes the oldest idle
 * non-priority one (its peer gets a FIN at our SND.NXT) and is accepted. */
static void test_evicts_oldest_idle(void **state)
{
	struct conn_policy_config p = policy();
	struct tc_client c[4], n;

	(void)state;
	start(4, &p);
	for (int i = 0; i < 4; i++) {
		H.stack->now_ns = SEC + (uint64_t)i * SEC;
		c[i] = open_conn(CLIENT_A, (uint16_t)(40000 + i));
	}
	/* c[0] and c[1] are the oldest, but served a request since. */
	H.stack->now_ns = 6 * SEC;
	request(&c[0], 1);
	H.stack->now_ns = 7 * SEC;
	request(&c[1], 2);
	n = tc_client(CLIENT_B, 41000);
	tc_send(&H, &n, FB_SYN, 0, 0);
	n.ack = tc_reply(&H, 0).seq + 1;
	assert_int_equal(tc_send(&H, &n, FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(H.n_out, 1);
	assert_seg(0, &c[2], FB_FIN | FB_ACK, c[2].ack, c[2].seq);
	assert_int_equal(H.stack->ctr.conn_evicted, 1);
	assert_int_equal(stack_open_connections(H.stack), 4);
	assert_null(conn_of(&c[2]));
	request(&n, 3);
	/* The evicted peer's own FIN finds no connection: RST (RFC 9293
	 * 3.10.7.2), so its side closes too. */
	c[2].ack++;
	tc_send(&H, &c[2], FB_FIN | FB_ACK, 0, 0);
	assert_seg(0, &c[2], FB_RST, c[2].ack, 0);
	/* Next in line: c[3], then c[0]. */
	n = tc_client(CLIENT_B, 41001);
	assert_int_equal(tc_handshake(&H, &n), -1); /* the FIN to c[3] is a reply */
	assert_seg(0, &c[3], FB_FIN | FB_ACK, c[3].ack, c[3].seq);
	n = tc_client(CLIENT_B, 41002);
	tc_handshake(&H, &n);
	assert_seg(0, &c[0], FB_FIN | FB_ACK, c[0].ack, c[0].seq);
	assert_int_equal(H.stack->ctr.conn_evicted, 3);
}

/* --close rst: the victim gets <SEQ=SND.NXT><CTL=RST>. */
static void test_evict_by_rst(void **state)
{
	struct conn_policy_config p = policy();
	struct tc_client a, n;

	(void)state;
	p.close_rst = 1;
	start(1, &p);
	a = open_conn(CLIENT_A, 40000);
	request(&a, 1);
	n = tc_client(CLIENT_B, 41000);
	tc_handshake(&H, &n);
	assert_int_equal(H.n_out, 1);
	assert_seg(0, &a, FB_RST, a.ack, 0);
	assert_int_equal(H.stack->ctr.conn_evicted, 1);
	assert_non_null(conn_of(&n));
}

/* MIG 4.2.1: priority connections are never closed to make room, even the
 * oldest; with only priority connections, a new one is refused with a RST. */
static void test_priority_never_evicted(void **state)
{
	struct conn_policy_config p = prio_policy();
	struct tc_client a, n;

	(void)state;
	start(4, &p);
	for (int i = 0; i < 3; i++)
		open_conn(CLIENT_P, (uint16_t)(40000 + i));
	H.stack->now_ns = 5 * SEC;
	a = open_conn(CLIENT_A, 40010);
	H.stack->now_ns = 6 * SEC;
	n = tc_client(CLIENT_P, 40011);
	tc_handshake(&H, &n);
	assert_int_equal(H.n_out, 1);
	assert_seg(0, &a, FB_FIN | FB_ACK, a.ack, a.seq);
	assert_non_null(conn_of(&n));
	/* Four priority connections now: a fifth is refused. */
	n = tc_client(CLIENT_B, 40012);
	tc_send(&H, &n, FB_SYN, 0, 0);
	n.ack = tc_reply(&H, 0).seq + 1;
	assert_int_equal(tc_send(&H, &n, FB_ACK, 0, 0), STACK_SENT);
	assert_int_equal(H.n_out, 1);
	assert_seg(0, &n, FB_RST, n.ack, 0);
	assert_int_equal(H.stack->ctr.conn_evicted, 1);
	assert_int_equal(H.stack->ctr.conn_refused_table_full, 1);
}

static void test_all_priority_refused(void **state)
{
	struct conn_policy_config p = prio_policy();
	struct tc_client n;

	(void)state;
	start(2, &p);
	open_conn(CLIENT_P, 40000);
	open_conn(CLIENT_P, 40001);
	n = tc_client(CLIENT_A, 41000);
	tc_send(&H, &n, FB_SYN, 0, 0);
	n.ack = tc_reply(&H, 0).seq + 1;
	assert_int_equal(tc_send(&H, &n, FB_ACK, 0, 0), STACK_SENT);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(tc_reply(&H, 0).flags, FB_RST);
	assert_int_equal(tc_reply(&H, 0).seq, n.ack);
	assert_int_equal(H.stack->ctr.conn_refused_table_full, 1);
	assert_int_equal(H.stack->ctr.conn_evicted, 0);
	assert_int_equal(stack_open_connections(H.stack), 2);
}

/* MIG 4.2.1: one source may hold at most max_per_source connections; the
 * next is refused with a RST, others are not affected, a closed one frees
 * its place, and priority sources are not limited. */
static void test_per_source_limit(void **state)
{
	struct conn_policy_config p = prio_policy();
	struct tc_client a0, a1, a2, b;
	uint8_t req[12];

	(void)state;
	p.max_per_source = 2;
	start(16, &p);
	a0 = open_conn(CLIENT_A, 40000);
	a1 = open_conn(CLIENT_A, 40001);
	a2 = tc_client(CLIENT_A, 40002);
	tc_send(&H, &a2, FB_SYN, 0, 0);
	a2.ack = tc_reply(&H, 0).seq + 1;
	tc_send(&H, &a2, FB_PSH | FB_ACK, req, tc_read_req(req, 1, 1));
	assert_int_equal(H.n_out, 1);
	assert_int_equal(tc_reply(&H, 0).flags, FB_RST);
	assert_int_equal(H.stack->ctr.conn_refused_per_source, 1);
	b = open_conn(CLIENT_B, 40000);
	(void)b;
	for (int i = 0; i < 3; i++)
		open_conn(CLIENT_P, (uint16_t)(40000 + i));
	/* a0 closes (RFC 9293 3.6 passive close): a2 may come in. */
	tc_send(&H, &a0, FB_FIN | FB_ACK, 0, 0);
	a0.ack++;
	tc_send(&H, &a0, FB_ACK, 0, 0);
	assert_null(conn_of(&a0));
	a2 = open_conn(CLIENT_A, 40002);
	assert_int_equal(conn_policy_source_count(&H.stack->policy, __builtin_bswap32(CLIENT_A)), 2);
	assert_int_equal(H.stack->ctr.conn_refused_per_source, 1);
	(void)a1;
}

/* An idle connection is closed by a FIN after its pool's idle timeout (10 s;
 * a request restarts it), then RFC 9293 3.6: FIN-WAIT-1, the ACK of our FIN
 * (FIN-WAIT-2), the peer's FIN acknowledged (TIME-WAIT), a retransmitted FIN
 * acknowledged again, and the slot freed when TIME-WAIT (1 s) ends. */
static void test_idle_timeout_and_time_wait(void **state)
{
	struct tc_client a;
	struct tcp_conn *k;

	(void)state;
	a = start_one();
	k = conn_of(&a);
	assert_true(conn_mgmt_deadline(H.stack, k) << STACK_TICK_SHIFT >= 11 * SEC - 2 * MS);
	assert_true(conn_mgmt_deadline(H.stack, k) << STACK_TICK_SHIFT <= 11 * SEC);
	H.stack->now_ns = 5 * SEC;
	request(&a, 1);
	run_timer(&a, 12 * SEC); /* 7 s after the request: not yet */
	assert_int_equal(H.n_out, 0);
	run_timer(&a, 15 * SEC);
	assert_int_equal(H.n_out, 1);
	assert_seg(0, &a, FB_FIN | FB_ACK, a.ack, a.seq);
	assert_int_equal(k->state, TCP_FIN_WAIT_1);
	assert_int_equal(H.stack->ctr.conn_idle_timeout, 1);
	a.ack++;
	assert_int_equal(tc_send(&H, &a, FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(k->state, TCP_FIN_WAIT_2);
	assert_int_equal(tc_send(&H, &a, FB_FIN | FB_ACK, 0, 0), STACK_SENT);
	assert_seg(0, &a, FB_ACK, a.ack, a.seq);
	assert_int_equal(k->state, TCP_TIME_WAIT);
	/* Our ACK was lost: the FIN again is acknowledged again. */
	H.stack->now_ns = 15 * SEC + 500 * MS;
	a.seq--;
	assert_int_equal(tc_send(&H, &a, FB_FIN | FB_ACK, 0, 0), STACK_SENT);
	assert_seg(0, &a, FB_ACK, a.ack, a.seq);
	/* TIME-WAIT restarted with it: 1 s from now. */
	run_timer(&a, 16 * SEC + 200 * MS);
	assert_non_null(conn_of(&a));
	run_timer(&a, 16 * SEC + 600 * MS);
	assert_null(conn_of(&a));
	assert_int_equal(H.n_out, 0);
	assert_int_equal(H.stack->ctr.conn_closed_active, 1);
	assert_int_equal(stack_open_connections(H.stack), 0);
}

/* The priority pool has its own idle timeout (30 s by default). */
static void test_priority_idle_timeout(void **state)
{
	struct conn_policy_config p = prio_policy();
	struct tc_client a;

	(void)state;
	start(4, &p);
	a = open_conn(CLIENT_P, 40000);
	run_timer(&a, 20 * SEC);
	assert_int_equal(H.n_out, 0);
	run_timer(&a, 32 * SEC);
	assert_seg(0, &a, FB_FIN | FB_ACK, a.ack, a.seq);
}

/* Simultaneous close (RFC 9293 3.6, figure 13): the peer's FIN crosses ours,
 * CLOSING, then the ACK of ours: TIME-WAIT. */
static void test_simultaneous_close(void **state)
{
	struct tc_client a;

	(void)state;
	a = start_one();
	run_timer(&a, 12 * SEC);
	assert_seg(0, &a, FB_FIN | FB_ACK, a.ack, a.seq);
	assert_int_equal(tc_send(&H, &a, FB_FIN | FB_ACK, 0, 0), STACK_SENT); /* acks nothing new */
	assert_seg(0, &a, FB_ACK, a.ack + 1, a.seq);
	assert_int_equal(conn_of(&a)->state, TCP_CLOSING);
	a.ack++;
	assert_int_equal(tc_send(&H, &a, FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(conn_of(&a)->state, TCP_TIME_WAIT);
}

/* RFC 1122 4.2.2.13: new data after our close has no reader: RST. */
static void test_data_after_close(void **state)
{
	struct tc_client a;
	uint8_t req[12];

	(void)state;
	a = start_one();
	run_timer(&a, 12 * SEC);
	a.ack++;
	tc_send(&H, &a, FB_PSH | FB_ACK, req, tc_read_req(req, 1, 1));
	assert_seg(0, &a, FB_RST, a.ack, 0);
	assert_null(conn_of(&a));
	assert_int_equal(H.stack->ctr.conn_reset_data_after_close, 1);
}

/* A peer that acknowledges our FIN and never sends its own is reset when
 * the close has taken as long as the idle timeout. */
static void test_close_timeout(void **state)
{
	struct tc_client a;

	(void)state;
	a = start_one();
	run_timer(&a, 12 * SEC);
	a.ack++;
	tc_send(&H, &a, FB_ACK, 0, 0);
	run_timer(&a, 21 * SEC);
	assert_int_equal(H.n_out, 0);
	run_timer(&a, 22 * SEC + 10 * MS);
	assert_seg(0, &a, FB_RST, a.ack, 0);
	assert_int_equal(H.stack->ctr.conn_close_timeout, 1);
	assert_int_equal(stack_open_connections(H.stack), 0);
}

/* --close rst: the idle timeout resets and frees at once. */
static void test_idle_timeout_rst(void **state)
{
	struct conn_policy_config p = policy();
	struct tc_client a;

	(void)state;
	p.close_rst = 1;
	start(4, &p);
	a = open_conn(CLIENT_A, 40000);
	run_timer(&a, 12 * SEC);
	assert_seg(0, &a, FB_RST, a.ack, 0);
	assert_int_equal(stack_open_connections(H.stack), 0);
}

/* Opened at t0; our close by idle timeout 10 s later, completed by the
 * peer 0.1 s after that: TIME-WAIT. */
static struct tc_client time_wait_conn(uint16_t port, uint64_t t0)
{
	struct tc_client a;

	H.stack->now_ns = t0;
	a = open_conn(CLIENT_A, port);
	run_timer(&a, t0 + 10 * SEC);
	assert_seg(0, &a, FB_FIN | FB_ACK, a.ack, a.seq);
	a.ack++;
	H.stack->now_ns = t0 + 10 * SEC + 100 * MS;
	tc_send(&H, &a, FB_FIN | FB_ACK, 0, 0);
	assert_seg(0, &a, FB_ACK, a.ack, a.seq);
	assert_int_equal(conn_of(&a)->state, TCP_TIME_WAIT);
	return a;
}

/* A full table takes a TIME-WAIT slot first, without a segment to anyone,
 * even when an established connection has been idle longer. */
static void test_time_wait_reclaimed_first(void **state)
{
	struct conn_policy_config p = policy();
	struct tc_client tw, old, n;

	(void)state;
	start(2, &p);
	H.stack->now_ns = SEC;
	old = open_conn(CLIENT_A, 40000);
	tw = time_wait_conn(40001, SEC / 2);
	H.stack->now_ns = 10 * SEC + 700 * MS;
	n = tc_client(CLIENT_B, 41000);
	assert_int_equal(tc_handshake(&H, &n), 0); /* nothing sent to anyone */
	assert_null(conn_of(&tw));
	assert_non_null(conn_of(&old));
	assert_int_equal(H.stack->ctr.conn_time_wait_reclaimed, 1);
	assert_int_equal(H.stack->ctr.conn_evicted, 0);
}

/* RFC 1122 4.2.2.13: a SYN above RCV.NXT in TIME-WAIT opens a new
 * incarnation: the old one goes and the SYN gets a SYN-ACK. */
static void test_time_wait_syn_reopens(void **state)
{
	struct conn_policy_config p = policy();
	struct tc_client tw;

	(void)state;
	start(2, &p);
	tw = time_wait_conn(40001, SEC / 2);
	tw.seq += 100000;
	assert_int_equal(tc_handshake(&H, &tw), 0);
	assert_int_equal(conn_of(&tw)->state, TCP_ESTABLISHED);
	assert_int_equal(H.stack->ctr.conn_time_wait_reopened, 1);
	request(&tw, 1);
	tc_send(&H, &tw, FB_RST, 0, 0); /* gone before the next part's timers */
	assert_null(conn_of(&tw));
	/* A SYN at or below RCV.NXT does not (it may be an old duplicate). */
	tw = time_wait_conn(40002, 11 * SEC);
	assert_int_equal(tc_send(&H, &tw, FB_SYN, 0, 0), STACK_SENT);
	assert_int_equal(tc_reply(&H, 0).flags, FB_ACK);
	assert_int_equal(H.stack->ctr.conn_time_wait_reopened, 1);
}

/* The per-source table keeps exact counts through collisions and the
 * backward-shift removal. */
static void test_source_table(void **state)
{
	struct conn_policy_config p = policy();
	struct conn_policy pol;

	(void)state;
	p.max_per_source = 3;
	assert_int_equal(conn_policy_init(&pol, &p, 128, 42), 0); /* 128 connections at most */
	for (uint32_t round = 0; round < 3; round++)
		for (uint32_t a = 0; a < 64; a++)
			if (a % 3 >= round)
				conn_policy_source_add(&pol, a * 0x01000193u);
	for (uint32_t a = 0; a < 64; a += 2) {
		while (conn_policy_source_count(&pol, a * 0x01000193u))
			conn_policy_source_del(&pol, a * 0x01000193u);
	}
	for (uint32_t a = 0; a < 64; a++) {
		uint32_t want = (a & 1) ? a % 3 + 1 : 0;

		assert_int_equal(conn_policy_source_count(&pol, a * 0x01000193u), want);
		assert_int_equal(conn_policy_source_full(&pol, a * 0x01000193u), want == 3);
	}
	conn_policy_free(&pol);
}

/* The priority list's view of the one prefix parser (ip_prefix.c, whose
 * own test is stack/tests/test_ip_prefix.c): IPv4 only. */
static void test_cidr_parse(void **state)
{
	struct conn_cidr c;

	(void)state;
	assert_int_equal(conn_cidr_parse("198.18.2.77/24", &c), 0);
	assert_int_equal(c.net, 0xc6120200u);
	assert_int_equal(c.mask, 0xffffff00u);
	assert_int_equal(conn_cidr_parse("198.18.0.9", &c), 0);
	assert_int_equal(c.mask, 0xffffffffu);
	assert_int_equal(conn_cidr_parse("0.0.0.0/0", &c), 0);
	assert_int_equal(c.mask, 0);
	assert_int_equal(conn_cidr_parse("198.18.0.0/33", &c), -1);
	assert_int_equal(conn_cidr_parse("198.18.0.0/", &c), -1);
	assert_int_equal(conn_cidr_parse("198.18.0/8", &c), -1);
	assert_int_equal(conn_cidr_parse("198.18.0.0/-1", &c), -1);
	assert_int_equal(conn_cidr_parse("host", &c), -1);
	assert_int_equal(conn_cidr_parse("2001:2::/48", &c), -1);
	assert_int_equal(conn_cidr_parse("2001:2::5", &c), -1);
}

/* RFC 1122 4.2.3.6: after keepalive_idle_ms of silence a probe
 * <SEQ=SND.NXT-1><CTL=ACK>; an answer resets the count; keepalive_count
 * unanswered probes reset the connection. */
static void test_keepalive(void **state)
{
	struct conn_policy_config p = policy();
	struct tc_client a;

	(void)state;
	p.idle_ms = 0;
	p.keepalive_idle_ms = 2000;
	p.keepalive_intvl_ms = 1000;
	p.keepalive_count = 2;
	start(4, &p);
	a = open_conn(CLIENT_A, 40000);
	run_timer(&a, 2 * SEC);
	assert_int_equal(H.n_out, 0);
	run_timer(&a, 3 * SEC + 10 * MS);
	assert_seg(0, &a, FB_ACK, a.ack - 1, a.seq);
	assert_int_equal(H.stack->ctr.tx_keepalive_probe, 1);
	/* The peer answers: ACK of SND.NXT. */
	assert_int_equal(tc_send(&H, &a, FB_ACK, 0, 0), STACK_DROP);
	run_timer(&a, 4 * SEC);
	assert_int_equal(H.n_out, 0);
	assert_true(conn_mgmt_deadline(H.stack, conn_of(&a)) << STACK_TICK_SHIFT > 5 * SEC);
	run_timer(&a, 5 * SEC + 20 * MS);
	assert_seg(0, &a, FB_ACK, a.ack - 1, a.seq);
	run_timer(&a, 6 * SEC + 30 * MS);
	assert_seg(0, &a, FB_ACK, a.ack - 1, a.seq);
	run_timer(&a, 7 * SEC + 40 * MS);
	assert_seg(0, &a, FB_RST, a.ack, 0);
	assert_int_equal(H.stack->ctr.tx_keepalive_probe, 3);
	assert_int_equal(H.stack->ctr.conn_keepalive_timeout, 1);
	assert_int_equal(stack_open_connections(H.stack), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_evicts_oldest_idle, teardown),
		cmocka_unit_test_teardown(test_evict_by_rst, teardown),
		cmocka_unit_test_teardown(test_priority_never_evicted, teardown),
		cmocka_unit_test_teardown(test_all_priority_refused, teardown),
		cmocka_unit_test_teardown(test_per_source_limit, teardown),
		cmocka_unit_test_teardown(test_idle_timeout_and_time_wait, teardown),
		cmocka_unit_test_teardown(test_priority_idle_timeout, teardown),
		cmocka_unit_test_teardown(test_simultaneous_close, teardown),
		cmocka_unit_test_teardown(test_data_after_close, teardown),
		cmocka_unit_test_teardown(test_close_timeout, teardown),
		cmocka_unit_test_teardown(test_idle_timeout_rst, teardown),
		cmocka_unit_test_teardown(test_time_wait_reclaimed_first, teardown),
		cmocka_unit_test_teardown(test_time_wait_syn_reopens, teardown),
		cmocka_unit_test_teardown(test_keepalive, teardown),
		cmocka_unit_test(test_source_table),
		cmocka_unit_test(test_cidr_parse),
	};
	return cmocka_run_group_tests_name("conn_mgmt", tests, NULL, NULL);
}
