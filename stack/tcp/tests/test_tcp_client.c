/* A client stack's TCP (stack/tcp/tcp_connect.c): its own open, sends,
 * closes and retransmissions, driven by frames without I/O. The peer's
 * segments are built, and ours parsed and checksum-verified, by an
 * independent implementation (frame_build.h); the application is a
 * recorder of the callbacks that may act from them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frame_build.h"
#include "stack_harness.h"
#include "tcp_client.h"

#define MS 1000000ull /* ns */
#define US_IP 0xc6120001u /* 198.18.0.1, the harness stack's address */
#define PEER_IP 0xc6120002u /* 198.18.0.2 */
#define LPORT 40000
#define PEER_MAC_LAST 2

/* What the application saw, and what it does from its callbacks. */
struct app {
	uint32_t established, n_closed;
	uint32_t last_conn;
	enum stack_close_why why;
	uint8_t rx[4096];
	uint32_t n_rx;
	const uint8_t *send_on_established; /* sends these bytes when established */
	uint32_t send_len;
	int close_on_received;
	int send_rc;
};

static struct app A;
static struct harness H;

static void on_established(void *arg, uint32_t conn)
{
	struct app *a = arg;

	a->established++;
	a->last_conn = conn;
	if (a->send_on_established)
		a->send_rc = stack_send(H.stack, conn, a->send_on_established, a->send_len);
}

static void on_received(void *arg, uint32_t conn, const uint8_t *p, uint32_t n)
{
	struct app *a = arg;

	assert_true(a->n_rx + n <= sizeof(a->rx));
	memcpy(a->rx + a->n_rx, p, n);
	a->n_rx += n;
	if (a->close_on_received)
		assert_int_equal(stack_close(H.stack, conn), 0);
}

static void on_closed(void *arg, uint32_t conn, enum stack_close_why why)
{
	struct app *a = arg;

	a->n_closed++;
	a->last_conn = conn;
	a->why = why;
}

static const struct stack_app APP = { on_established, on_received, on_closed, &A };

static int setup(void **state)
{
	(void)state;
	memset(&A, 0, sizeof(A));
	return harness_init_opts(&H, 64, 1024, &(struct harness_opts){ .app = &APP });
}

static int teardown(void **state)
{
	(void)state;
	harness_free(&H);
	return 0;
}

static struct fb_seg reply(uint32_t i)
{
	struct fb_seg s = tc_reply(&H, i);

	assert_true(i < H.n_out);
	assert_true(s.ok);
	return s;
}

/* The peer: a server at 198.18.0.2:502 talking to our LPORT. Its segments
 * are built as tcp_client.h builds a client's, the roles turned around. */
static struct tc_client peer(void)
{
	struct tc_client p = tc_client(PEER_IP, 502);

	p.fl.server_port = LPORT;
	p.seq = 5000;
	return p;
}

static const uint8_t PEER_MAC[6] = { 0x02, 0, 0, 0, 0, PEER_MAC_LAST };

static uint32_t connect_one(void)
{
	uint32_t conn = UINT32_MAX;

	harness_clear(&H);
	assert_int_equal(stack_connect(H.stack, __builtin_bswap32(US_IP), LPORT,
				       __builtin_bswap32(PEER_IP), 502, PEER_MAC, CONN_L2_UNTAGGED,
				       &conn),
			 0);
	assert_true(conn < 64);
	return conn;
}

/* Opens a connection: our SYN, the peer's SYN-ACK (MSS 1460), our ACK.
 * p->ack is then our next sequence number. */
static uint32_t open_one(struct tc_client *p)
{
	uint32_t conn = connect_one();

	p->ack = reply(0).seq + 1;
	assert_int_equal(tc_send(&H, p, FB_SYN | FB_ACK, 0, 0), STACK_SENT);
	assert_int_equal(reply(0).flags, FB_ACK);
	assert_int_equal(A.established, 1);
	return conn;
}

static void advance(uint64_t ns)
{
	H.stack->now_ns += ns;
	stack_timers(H.stack, H.stack->now_ns);
}

/* RFC 9293 3.5: <SEQ=ISS><CTL=SYN> with our MSS, to the tuple and MAC asked
 * for, from our MAC; the tuple is then in use. */
static void test_connect_sends_syn(void **state)
{
	uint32_t conn = connect_one(), other;
	struct fb_seg s;

	(void)state;
	assert_int_equal(H.n_out, 1);
	s = reply(0);
	assert_int_equal(s.flags, FB_SYN);
	assert_int_equal(s.mss, 1460);
	assert_int_equal(s.ack, 0);
	assert_int_equal(s.src_ip, US_IP);
	assert_int_equal(s.dst_ip, PEER_IP);
	assert_int_equal(s.src_port, LPORT);
	assert_int_equal(s.dst_port, 502);
	assert_int_equal(s.vlan, -1);
	assert_memory_equal(s.dst_mac, PEER_MAC, 6);
	assert_memory_equal(s.src_mac, ((const uint8_t[6]){ 2, 0, 0, 0, 0, 1 }), 6);
	assert_int_equal(stack_open_connections(H.stack), 1);
	assert_int_equal(H.stack->ctr.tx_syn, 1);
	assert_int_equal(stack_connect(H.stack, __builtin_bswap32(US_IP), LPORT,
				       __builtin_bswap32(PEER_IP), 502, PEER_MAC, CONN_L2_UNTAGGED,
				       &other),
			 -EADDRINUSE);
	/* Sending before the handshake is done is refused. */
	assert_int_equal(stack_send(H.stack, conn, "x", 1), -ENOTCONN);
	/* Another source port is another connection, with another ISS; an
	 * 802.1Q TCI tags its frames. */
	harness_clear(&H);
	assert_int_equal(stack_connect(H.stack, __builtin_bswap32(US_IP), LPORT + 1,
				       __builtin_bswap32(PEER_IP), 502, PEER_MAC, 0x2007, &other),
			 0);
	assert_int_not_equal(other, conn);
	assert_int_equal(reply(0).vlan, 7);
	assert_int_not_equal(reply(0).seq, s.seq);
}

/* RFC 9293 3.10.7.3: a SYN-ACK acknowledging our SYN opens the connection
 * (the application is told) and is acknowledged: <SEQ=ISS+1><ACK=IRS+1>.
 * Its MSS option bounds our segments. */
static void test_syn_ack_establishes(void **state)
{
	static const uint8_t mss1300[4] = { 2, 4, 0x05, 0x14 };
	struct tc_client p = peer();
	uint8_t buf[256], data[1301] = { 0 };
	uint32_t conn = connect_one(), iss = reply(0).seq;
	size_t len;

	(void)state;
	len = fb_tcp(buf, &p.fl, 5000, iss + 1, FB_SYN | FB_ACK, 29200, mss1300, 4, 0, 0);
	harness_clear(&H);
	assert_int_equal(harness_input(&H, buf, len), STACK_SENT);
	assert_int_equal(A.established, 1);
	assert_int_equal(A.last_conn, conn);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).flags, FB_ACK);
	assert_int_equal(reply(0).seq, iss + 1);
	assert_int_equal(reply(0).ack, 5001);
	assert_int_equal(H.stack->ctr.conn_connected, 1);
	assert_int_equal(stack_send(H.stack, conn, data, 1301), -EMSGSIZE);
	assert_int_equal(stack_send(H.stack, conn, data, 0), -EMSGSIZE);
	harness_clear(&H);
	assert_int_equal(stack_send(H.stack, conn, data, 1300), 0);
	assert_int_equal(reply(0).len, 1300);
}

/* A send from the established callback carries the handshake's ACK: one
 * segment, and the SYN-ACK's frame goes back to the port. */
static void test_send_from_established(void **state)
{
	struct tc_client p = peer();
	uint8_t req[12];

	(void)state;
	A.send_on_established = req;
	A.send_len = (uint32_t)tc_read_req(req, 1, 7);
	connect_one();
	p.ack = reply(0).seq + 1;
	assert_int_equal(tc_send(&H, &p, FB_SYN | FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(A.send_rc, 0);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).flags, FB_ACK | FB_PSH);
	assert_int_equal(reply(0).seq, p.ack);
	assert_int_equal(reply(0).ack, 5001);
	assert_int_equal(reply(0).len, 12);
	assert_memory_equal(reply(0).payload, req, 12);
}

/* RFC 9293 3.10.7.3, first check: an ACK of anything but our SYN gets
 * <SEQ=SEG.ACK><CTL=RST> and changes nothing; a RST with such an ACK is
 * dropped. */
static void test_bad_ack_in_syn_sent(void **state)
{
	struct tc_client p = peer();
	uint32_t iss;

	(void)state;
	connect_one();
	iss = reply(0).seq;
	p.ack = iss + 2;
	assert_int_equal(tc_send(&H, &p, FB_SYN | FB_ACK, 0, 0), STACK_SENT);
	assert_int_equal(reply(0).flags, FB_RST);
	assert_int_equal(reply(0).seq, iss + 2);
	p.seq = 5000;
	p.ack = iss; /* SEG.ACK =< ISS */
	assert_int_equal(tc_send(&H, &p, FB_ACK, 0, 0), STACK_SENT);
	assert_int_equal(reply(0).flags, FB_RST);
	assert_int_equal(reply(0).seq, iss);
	assert_int_equal(tc_send(&H, &p, FB_RST | FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(H.n_out, 0);
	assert_int_equal(H.stack->ctr.drop_syn_sent_bad_ack, 3);
	assert_int_equal(A.established + A.n_closed, 0);
	/* The right SYN-ACK still opens it. */
	p.seq = 5000;
	p.ack = iss + 1;
	assert_int_equal(tc_send(&H, &p, FB_SYN | FB_ACK, 0, 0), STACK_SENT);
	assert_int_equal(A.established, 1);
}

/* RFC 9293 3.10.7.3, second check: a RST acknowledging our SYN is a refusal
 * (the application is told, the tuple is free); one without an ACK is
 * dropped (RFC 5961 3.2). Neither is answered. */
static void test_rst_refuses(void **state)
{
	struct tc_client p = peer();
	uint32_t conn = connect_one();

	(void)state;
	p.seq = 0;
	p.ack = reply(0).seq + 1;
	assert_int_equal(tc_send(&H, &p, FB_RST, 0, 0), STACK_DROP);
	assert_int_equal(H.stack->ctr.drop_syn_sent_rst_no_ack, 1);
	assert_int_equal(A.n_closed, 0);
	assert_int_equal(tc_send(&H, &p, FB_RST | FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(H.n_out, 0);
	assert_int_equal(A.n_closed, 1);
	assert_int_equal(A.why, STACK_REFUSED);
	assert_int_equal(A.last_conn, conn);
	assert_int_equal(H.stack->ctr.conn_refused_by_peer, 1);
	assert_int_equal(stack_open_connections(H.stack), 0);
	assert_int_equal(stack_send(H.stack, conn, "x", 1), -ENOTCONN);
	/* The SYN's timer finds nothing when it fires. */
	advance(5000 * MS);
	assert_int_equal(H.n_out, 0);
}

/* A SYN without ACK (a simultaneous open) and a segment with neither SYN
 * nor RST are dropped and counted; our SYN goes on. */
static void test_syn_sent_drops(void **state)
{
	struct tc_client p = peer();

	(void)state;
	connect_one();
	assert_int_equal(tc_send(&H, &p, FB_SYN, 0, 0), STACK_DROP);
	assert_int_equal(H.stack->ctr.drop_simultaneous_open, 1);
	assert_int_equal(tc_send(&H, &p, FB_PSH, "ab", 2), STACK_DROP);
	assert_int_equal(H.stack->ctr.drop_syn_sent_no_syn, 1);
	assert_int_equal(H.n_out, 0);
	assert_int_equal(A.established + A.n_closed, 0);
}

/* RFC 6298 2.1 and 5.5: the SYN goes again after 1 s, then 2 s, 4 s, ...
 * (at most 60 s), the same SYN each time; after max_retries (8) the
 * connection is given up, without a RST, and the application is told. */
static void test_syn_retransmission(void **state)
{
	uint32_t conn = connect_one(), iss = reply(0).seq;
	uint64_t wait = 1000 * MS;

	(void)state;
	for (uint32_t i = 0; i < 8; i++) {
		harness_clear(&H);
		/* Within a percent: the RTO is a whole number of ticks. */
		advance(wait - wait / 100);
		assert_int_equal(H.n_out, 0);
		advance(wait / 50);
		assert_int_equal(H.n_out, 1);
		assert_int_equal(reply(0).flags, FB_SYN);
		assert_int_equal(reply(0).seq, iss);
		assert_int_equal(reply(0).mss, 1460);
		wait = wait * 2 > 60000 * MS ? 60000 * MS : wait * 2;
	}
	assert_int_equal(H.stack->ctr.tx_syn_retransmit, 8);
	assert_int_equal(H.stack->ctr.tx_syn, 9);
	harness_clear(&H);
	advance(wait + wait / 50);
	assert_int_equal(H.n_out, 0);
	assert_int_equal(A.n_closed, 1);
	assert_int_equal(A.why, STACK_TIMED_OUT);
	assert_int_equal(A.last_conn, conn);
	assert_int_equal(H.stack->ctr.conn_syn_timeout, 1);
	assert_int_equal(stack_open_connections(H.stack), 0);
}

/* A request goes in one segment and is kept until acknowledged: resent
 * after the RTO (RFC 6298 5.4), the same bytes from the same sequence
 * number; the answer is given to the application in order and
 * acknowledged. */
static void test_send_ack_retransmit(void **state)
{
	struct tc_client p = peer();
	uint8_t req[12], resp[TC_READ_RESP_LEN] = { 0, 9, 0, 0, 0, 7, 1, 3, 4, 0, 8, 0, 9 };
	uint32_t conn = open_one(&p), seq = p.ack;

	(void)state;
	harness_clear(&H);
	assert_int_equal(stack_send(H.stack, conn, req, (uint32_t)tc_read_req(req, 9, 8)), 0);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).seq, seq);
	assert_int_equal(reply(0).ack, p.seq);
	assert_int_equal(reply(0).flags, FB_ACK | FB_PSH);
	/* The window is 64240: a second request goes at once too. */
	harness_clear(&H);
	assert_int_equal(stack_send(H.stack, conn, req, 12), 0);
	assert_int_equal(reply(0).seq, seq + 12);
	/* No ACK: after the RTO the oldest segment goes again. The SYN's
	 * round trip, within a tick, made it the 200 ms minimum. */
	harness_clear(&H);
	advance(150 * MS);
	assert_int_equal(H.n_out, 0);
	advance(100 * MS);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).seq, seq);
	assert_int_equal(H.stack->ctr.tx_retransmit_timeout, 1);
	assert_memory_equal(reply(0).payload, req, 12);
	/* The answer, acknowledging the first request only. */
	p.ack = seq + 12;
	assert_int_equal(tc_send(&H, &p, FB_ACK | FB_PSH, resp, sizeof(resp)), STACK_SENT);
	assert_int_equal(A.n_rx, sizeof(resp));
	assert_memory_equal(A.rx, resp, sizeof(resp));
	assert_int_equal(reply(0).flags, FB_ACK);
	assert_int_equal(reply(0).ack, p.seq);
	/* The same answer again (our ACK lost) is acknowledged, not given to
	 * the application twice. */
	p.seq -= sizeof(resp);
	assert_int_equal(tc_send(&H, &p, FB_ACK | FB_PSH, resp, sizeof(resp)), STACK_SENT);
	assert_int_equal(A.n_rx, sizeof(resp));
	assert_int_equal(reply(0).ack, p.seq);
	/* All acknowledged: no send block is held any more. */
	p.ack = seq + 24;
	assert_int_equal(tc_send(&H, &p, FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(H.stack->snd.n_free, H.stack->snd.capacity);
}

/* Retransmissions of data exhausted: a RST, and the application is told. */
static void test_data_gives_up(void **state)
{
	struct tc_client p = peer();
	uint32_t conn = open_one(&p);

	(void)state;
	assert_int_equal(stack_send(H.stack, conn, "abc", 3), 0);
	for (uint32_t i = 0; i < 12 && !A.n_closed; i++)
		advance(60000 * MS);
	assert_int_equal(A.n_closed, 1);
	assert_int_equal(A.why, STACK_TIMED_OUT);
	assert_int_equal(H.stack->ctr.conn_reset_retransmit_limit, 1);
	assert_int_equal(reply(H.n_out - 1).flags, FB_RST);
}

/* RFC 9293 3.6: our close. FIN after the queued bytes (FIN-WAIT-1), its ACK
 * (FIN-WAIT-2), the peer's FIN acknowledged (TIME-WAIT), which lasts
 * time_wait_ms (1 s by default); the tuple is in use until then. */
static void test_active_close(void **state)
{
	struct tc_client p = peer();
	uint32_t conn = open_one(&p), seq = p.ack, other;

	(void)state;
	harness_clear(&H);
	assert_int_equal(stack_close(H.stack, conn), 0);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).flags, FB_FIN | FB_ACK);
	assert_int_equal(reply(0).seq, seq);
	assert_int_equal(stack_send(H.stack, conn, "x", 1), -ENOTCONN);
	assert_int_equal(stack_close(H.stack, conn), 0); /* closing already */
	/* FIN-WAIT-1: unacknowledged, it goes again after the RTO. */
	harness_clear(&H);
	advance(250 * MS);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).flags, FB_FIN | FB_ACK);
	assert_int_equal(reply(0).seq, seq);
	p.ack = seq + 1;
	assert_int_equal(tc_send(&H, &p, FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(H.n_out, 0);
	assert_int_equal(A.n_closed, 0);
	assert_int_equal(tc_send(&H, &p, FB_FIN | FB_ACK, 0, 0), STACK_SENT);
	assert_int_equal(reply(0).flags, FB_ACK);
	assert_int_equal(reply(0).ack, p.seq);
	assert_int_equal(A.n_closed, 0);
	assert_int_equal(stack_connect(H.stack, __builtin_bswap32(US_IP), LPORT,
				       __builtin_bswap32(PEER_IP), 502, PEER_MAC, CONN_L2_UNTAGGED,
				       &other),
			 -EADDRINUSE);
	harness_clear(&H);
	advance(900 * MS);
	assert_int_equal(A.n_closed, 0);
	advance(200 * MS);
	assert_int_equal(A.n_closed, 1);
	assert_int_equal(A.why, STACK_CLOSED);
	assert_int_equal(H.n_out, 0);
	assert_int_equal(stack_open_connections(H.stack), 0);
	assert_int_equal(H.stack->ctr.conn_closed_active, 1);
	assert_int_equal(H.stack->snd.n_free, H.stack->snd.capacity);
}

/* The connection-rate pattern: the answer's callback closes; the FIN
 * carries the answer's ACK (one segment). Text after our close is
 * answered with RST (RFC 1122 4.2.2.13). */
static void test_close_from_received(void **state)
{
	struct tc_client p = peer();
	uint32_t conn = open_one(&p);

	(void)state;
	(void)conn;
	A.close_on_received = 1;
	assert_int_equal(tc_send(&H, &p, FB_ACK | FB_PSH, "answer", 6), STACK_DROP);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).flags, FB_FIN | FB_ACK);
	assert_int_equal(reply(0).ack, p.seq);
	assert_int_equal(tc_send(&H, &p, FB_ACK | FB_PSH, "more", 4), STACK_SENT);
	assert_int_equal(reply(0).flags, FB_RST);
	assert_int_equal(A.n_closed, 1);
	assert_int_equal(A.why, STACK_ABORTED);
	assert_int_equal(H.stack->ctr.conn_reset_data_after_close, 1);
}

/* The peer closes: its FIN is answered with ours at once (LAST-ACK); its
 * ACK of ours ends the connection. */
static void test_peer_close(void **state)
{
	struct tc_client p = peer();
	uint32_t conn = open_one(&p), seq = p.ack;

	(void)state;
	assert_int_equal(tc_send(&H, &p, FB_FIN | FB_ACK, "bye", 3), STACK_SENT);
	assert_int_equal(A.n_rx, 3);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).flags, FB_FIN | FB_ACK);
	assert_int_equal(reply(0).seq, seq);
	assert_int_equal(reply(0).ack, p.seq);
	assert_int_equal(stack_send(H.stack, conn, "x", 1), -ENOTCONN);
	p.ack = seq + 1;
	assert_int_equal(tc_send(&H, &p, FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(A.n_closed, 1);
	assert_int_equal(A.why, STACK_CLOSED);
	assert_int_equal(stack_open_connections(H.stack), 0);
}

/* A RST from the peer at RCV.NXT ends the connection (RESET); stack_abort
 * sends <SEQ=SND.NXT><CTL=RST> and frees at once (ABORTED). */
static void test_reset_and_abort(void **state)
{
	struct tc_client p = peer();
	uint32_t conn = open_one(&p), seq = p.ack;

	(void)state;
	assert_int_equal(tc_send(&H, &p, FB_RST, 0, 0), STACK_DROP);
	assert_int_equal(A.n_closed, 1);
	assert_int_equal(A.why, STACK_RESET);
	p = peer();
	A.established = 0;
	conn = open_one(&p);
	seq = p.ack;
	harness_clear(&H);
	stack_abort(H.stack, conn);
	assert_int_equal(reply(0).flags, FB_RST);
	assert_int_equal(reply(0).seq, seq);
	assert_int_equal(A.n_closed, 2);
	assert_int_equal(A.why, STACK_ABORTED);
	assert_int_equal(stack_open_connections(H.stack), 0);
	/* In SYN-SENT, no RST. */
	conn = connect_one();
	harness_clear(&H);
	stack_abort(H.stack, conn);
	assert_int_equal(H.n_out, 0);
	assert_int_equal(A.n_closed, 3);
}

/* RFC 9293 3.10.7.1: a client stack listens nowhere: a segment for no
 * connection gets a RST, a SYN too. */
static void test_no_connection_rst(void **state)
{
	struct tc_client p = peer();

	(void)state;
	assert_int_equal(tc_send(&H, &p, FB_SYN, 0, 0), STACK_SENT);
	assert_int_equal(reply(0).flags, FB_RST | FB_ACK);
	assert_int_equal(reply(0).ack, 5001);
	p.ack = 77;
	assert_int_equal(tc_send(&H, &p, FB_ACK, 0, 0), STACK_SENT);
	assert_int_equal(reply(0).flags, FB_RST);
	assert_int_equal(reply(0).seq, 77);
	assert_int_equal(H.stack->ctr.rst_port_not_served, 2);
	assert_int_equal(stack_open_connections(H.stack), 0);
}

/* The calls check their stack and connection. */
static void test_api_errors(void **state)
{
	struct harness srv;
	uint32_t conn;

	(void)state;
	assert_int_equal(stack_send(H.stack, 64, "x", 1), -EINVAL);
	assert_int_equal(stack_close(H.stack, 3), -ENOTCONN);
	stack_abort(H.stack, 1000); /* nothing */
	assert_int_equal(harness_init(&srv, 4, 16), 0);
	assert_int_equal(stack_connect(srv.stack, 1, 1, 2, 2, PEER_MAC, CONN_L2_UNTAGGED, &conn),
			 -EINVAL);
	assert_int_equal(stack_send(srv.stack, 0, "x", 1), -EINVAL);
	harness_free(&srv);
	/* A full table. */
	for (uint16_t i = 0; i < 64; i++)
		assert_int_equal(stack_connect(H.stack, __builtin_bswap32(US_IP), (uint16_t)(1000 + i),
					       __builtin_bswap32(PEER_IP), 502, PEER_MAC,
					       CONN_L2_UNTAGGED, &conn),
				 0);
	assert_int_equal(stack_connect(H.stack, __builtin_bswap32(US_IP), 999,
				       __builtin_bswap32(PEER_IP), 502, PEER_MAC, CONN_L2_UNTAGGED,
				       &conn),
			 -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_sends_syn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_ack_establishes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_from_established, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ack_in_syn_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_sent_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_retransmission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_ack_retransmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_gives_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_from_received, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_and_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_connection_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
