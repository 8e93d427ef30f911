/* TCP behaviour of the stack, driven by frames without I/O: each test builds
 * client segments, feeds them to the stack and checks the segments it sends
 * back (parsed and checksum-verified by an independent implementation). */
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

static struct harness H;
static uint8_t buf[4096];

/* Without idle timeouts: they would close the connections these tests
 * leave idle for minutes of simulated time (test_conn_mgmt.c tests them). */
static int setup(void **state)
{
	struct conn_policy_config p;

	(void)state;
	conn_policy_defaults(&p);
	p.idle_ms = p.priority_idle_ms = 0;
	return harness_init_opts(&H, 64, 1024, &(struct harness_opts){ .policy = &p });
}

static int teardown(void **state)
{
	(void)state;
	harness_free(&H);
	return 0;
}

/* The i-th reply, parsed; fails the test if it is malformed. */
static struct fb_seg reply(uint32_t i)
{
	struct fb_seg s = tc_reply(&H, i);

	assert_true(i < H.n_out);
	assert_true(s.ok);
	return s;
}

/* A client at 198.18.0.2 (tcp_client.h), and its helpers on H. */
static struct tc_client new_client(uint16_t port)
{
	return tc_client(0xc6120002, port);
}

static void check_read_resp(const uint8_t *p, uint16_t tid, uint16_t a)
{
	assert_true(tc_read_resp_at(p, tid, a));
}

/* RFC 9293 3.5: a SYN to a listening port gets a SYN-ACK acknowledging
 * SEG.SEQ+1 with our MSS; the handshake's ACK opens the connection. With SYN
 * cookies (RFC 4987 3.6) nothing is kept until that ACK. */
static void test_handshake(void **state)
{
	struct tc_client c = new_client(40000);
	struct fb_seg s;

	(void)state;
	assert_int_equal(tc_send(&H, &c, FB_SYN, 0, 0), STACK_SENT);
	assert_int_equal(H.n_out, 1);
	s = reply(0);
	assert_int_equal(s.flags, FB_SYN | FB_ACK);
	assert_int_equal(s.ack, 1001);
	assert_int_equal(s.mss, 1460);
	assert_int_equal(s.src_port, 502);
	assert_int_equal(s.dst_port, 40000);
	assert_int_equal(s.src_ip, 0xc6120001);
	assert_int_equal(s.dst_ip, 0xc6120002);
	assert_memory_equal(s.dst_mac, c.fl.client_mac, 6);
	assert_memory_equal(s.src_mac, c.fl.server_mac, 6);
	assert_int_equal(stack_open_connections(H.stack), 0);
	c.ack = s.seq + 1;
	assert_int_equal(tc_send(&H, &c, FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(stack_open_connections(H.stack), 1);
	assert_int_equal(H.stack->ctr.conn_opened, 1);

	/* A repeated SYN (our SYN-ACK lost) gets the same cookie. */
	{
		struct tc_client d = new_client(40001);
		uint32_t isn;

		tc_send(&H, &d, FB_SYN, 0, 0);
		isn = reply(0).seq;
		d.seq = 1000;
		assert_int_equal(tc_send(&H, &d, FB_SYN, 0, 0), STACK_SENT);
		assert_int_equal(reply(0).seq, isn);
		assert_int_equal(reply(0).flags, FB_SYN | FB_ACK);
	}
}

/* RFC 4987 3.6: an ACK that does not return one of our cookies (a guess, or
 * one too old) opens nothing and gets <SEQ=SEG.ACK><CTL=RST>. A cookie is
 * good for the period it was made in and the next. */
static void test_cookie_checks(void **state)
{
	struct tc_client c = new_client(40020);
	uint32_t cookie;

	(void)state;
	tc_send(&H, &c, FB_SYN, 0, 0);
	cookie = reply(0).seq;
	c.ack = cookie + 2;
	assert_int_equal(tc_send(&H, &c, FB_ACK, 0, 0), STACK_SENT);
	assert_int_equal(reply(0).flags, FB_RST);
	assert_int_equal(reply(0).seq, cookie + 2);
	assert_int_equal(H.stack->ctr.drop_bad_cookie, 1);
	/* Two clock periods later the right cookie is refused too. */
	H.stack->now_ns = 2ull << 36;
	c.ack = cookie + 1;
	assert_int_equal(tc_send(&H, &c, FB_ACK, 0, 0), STACK_SENT);
	assert_int_equal(reply(0).flags, FB_RST);
	assert_int_equal(H.stack->ctr.drop_bad_cookie, 2);
	/* One period later it is still good. */
	H.stack->now_ns = 1ull << 36;
	assert_int_equal(tc_send(&H, &c, FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(stack_open_connections(H.stack), 1);
	assert_int_equal(H.stack->ctr.drop_bad_cookie, 2);
}

/* The peer's MSS survives in the cookie, rounded down to 536, 1220, 1440 or
 * 1460: replies are cut to it. */
static void test_cookie_mss(void **state)
{
	static const uint8_t mss1300[4] = { 2, 4, 0x05, 0x14 };
	struct tc_client c = new_client(40021);
	uint8_t req[12 * 10];
	size_t n = 0, len;

	(void)state;
	len = fb_tcp(buf, &c.fl, c.seq, 0, FB_SYN, 64240, mss1300, 4, 0, 0);
	c.seq++;
	harness_clear(&H);
	harness_input(&H, buf, len);
	c.ack = reply(0).seq + 1;
	tc_send(&H, &c, FB_ACK, 0, 0);
	for (uint16_t i = 0; i < 10; i++) {
		n += tc_read_req(req + n, i, i);
		req[n - 1] = 125;
	}
	tc_send(&H, &c, FB_PSH | FB_ACK, req, n);
	assert_true(H.n_out > 2);
	assert_int_equal(reply(0).len, 1220);
	assert_int_equal(reply(1).len, 1220);
}

/* RFC 4987: a SYN flood costs no memory, and a client arriving in the middle
 * of it is served. */
static void test_syn_flood(void **state)
{
	struct tc_client c = new_client(40022);
	struct tc_client spoof = new_client(1);
	uint8_t req[12];

	(void)state;
	for (uint32_t i = 0; i < 1000000; i++) {
		spoof.fl.client_ip = 0xc6130000u | (i >> 16); /* 198.19.x.y */
		spoof.fl.client_port = (uint16_t)(i | 1024);
		spoof.seq = i * 2654435761u;
		tc_send(&H, &spoof, FB_SYN, 0, 0);
		if (i == 500000) {
			tc_send(&H, &c, FB_SYN, 0, 0);
			c.ack = reply(0).seq + 1;
			tc_send(&H, &c, FB_ACK, 0, 0);
			tc_send(&H, &c, FB_PSH | FB_ACK, req, tc_read_req(req, 1, 42));
			check_read_resp(reply(0).payload, 1, 42);
		}
	}
	assert_int_equal(H.stack->ctr.tx_syn_ack, 1000001);
	assert_int_equal(stack_open_connections(H.stack), 1);
}

/* A request gets its response in the same frame, the ACK piggybacked. */
static void test_request_response(void **state)
{
	struct tc_client c = new_client(40002);
	uint8_t req[12];
	struct fb_seg s;
	uint32_t isn_next;

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	isn_next = c.ack;
	assert_int_equal(tc_send(&H, &c, FB_PSH | FB_ACK, req, tc_read_req(req, 7, 100)), STACK_SENT);
	assert_int_equal(H.n_out, 1);
	s = reply(0);
	assert_int_equal(s.flags, FB_PSH | FB_ACK);
	assert_int_equal(s.seq, isn_next);
	assert_int_equal(s.ack, c.seq);
	assert_int_equal(s.len, 13);
	assert_int_equal(s.ttl, 64);
	check_read_resp(s.payload, 7, 100);
	/* The client's ACK of the response needs no answer. */
	c.ack += 13;
	assert_int_equal(tc_send(&H, &c, FB_ACK, 0, 0), STACK_DROP);
}

/* An ADU cut anywhere, even inside the MBAP header, is reassembled. */
static void test_split_adu(void **state)
{
	uint8_t req[12];

	(void)state;
	tc_read_req(req, 9, 500);
	for (size_t cut = 1; cut < sizeof(req); cut++) {
		struct tc_client c = new_client((uint16_t)(41000 + cut));
		struct fb_seg s;

		assert_int_equal(tc_handshake(&H, &c), 0);
		assert_int_equal(tc_send(&H, &c, FB_PSH | FB_ACK, req, cut), STACK_SENT);
		s = reply(0);
		assert_int_equal(s.len, 0); /* a pure ACK of the first part */
		assert_int_equal(s.ack, c.seq);
		assert_int_equal(tc_send(&H, &c, FB_PSH | FB_ACK, req + cut, sizeof(req) - cut), STACK_SENT);
		s = reply(0);
		assert_int_equal(s.len, 13);
		check_read_resp(s.payload, 9, 500);
		tc_send(&H, &c, FB_RST, 0, 0);
	}
	assert_int_equal(H.stack->ctr.adu_split_reassembled, sizeof(req) - 1);
	assert_int_equal(stack_open_connections(H.stack), 0);
	assert_int_equal(H.stack->rx_bufs.n_free, H.stack->rx_bufs.capacity);
}

/* Several ADUs in one segment are all answered, in order; a large batch
 * spreads over several segments, none above the MSS, in sequence. */
static void test_pipelined(void **state)
{
	struct tc_client c = new_client(40003);
	uint8_t req[12 * 100], got[13 * 100];
	size_t n = 0, total = 0;
	uint32_t next;

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	for (uint16_t i = 0; i < 3; i++)
		n += tc_read_req(req + n, (uint16_t)(10 + i), (uint16_t)(i * 7));
	tc_send(&H, &c, FB_PSH | FB_ACK, req, n);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).len, 39);
	for (uint16_t i = 0; i < 3; i++)
		check_read_resp(reply(0).payload + 13 * i, (uint16_t)(10 + i), (uint16_t)(i * 7));
	c.ack += 39;

	/* 100 requests of 125 registers: 25,500 response bytes. */
	n = 0;
	for (uint16_t i = 0; i < 100; i++) {
		n += tc_read_req(req + n, i, i);
		req[n - 1] = 125;
	}
	tc_send(&H, &c, FB_PSH | FB_ACK, req, n);
	assert_true(H.n_out > 1);
	next = c.ack;
	for (uint32_t i = 0; i < H.n_out; i++) {
		struct fb_seg s = reply(i);

		assert_true(s.len <= 1460);
		assert_int_equal(s.seq, next);
		next += (uint32_t)s.len;
		total += s.len;
	}
	assert_int_equal(total, 100 * 259);
	assert_int_equal(reply(H.n_out - 1).ack, c.seq);
	/* Check each response's header and first register. */
	{
		static uint8_t all[100 * 259];
		size_t off = 0;

		for (uint32_t i = 0; i < H.n_out; i++) {
			memcpy(all + off, reply(i).payload, reply(i).len);
			off += reply(i).len;
		}
		for (uint16_t i = 0; i < 100; i++) {
			const uint8_t *r = all + 259 * i;
			assert_int_equal(r[1], i);
			assert_int_equal(r[5], 253);
			assert_int_equal(r[8], 250);
			assert_int_equal(r[9] << 8 | r[10], i);
		}
	}
	(void)got;
}

/* RFC 9293 3.6: the peer's FIN is acknowledged with our FIN; its ACK closes. */
static void test_passive_close(void **state)
{
	struct tc_client c = new_client(40004);
	uint8_t req[12];
	struct fb_seg s;

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	/* A request and the FIN in one segment: the response carries our FIN. */
	tc_send(&H, &c, FB_PSH | FB_ACK | FB_FIN, req, tc_read_req(req, 1, 2));
	assert_int_equal(H.n_out, 1);
	s = reply(0);
	assert_int_equal(s.flags, FB_FIN | FB_PSH | FB_ACK);
	assert_int_equal(s.ack, c.seq);
	assert_int_equal(s.len, 13);
	check_read_resp(s.payload, 1, 2);
	/* The FIN repeated, acknowledging nothing (our segment lost): our
	 * unacknowledged response and FIN are repeated. */
	c.seq -= 1;
	tc_send(&H, &c, FB_ACK | FB_FIN, 0, 0);
	assert_int_equal(reply(0).flags, FB_FIN | FB_PSH | FB_ACK);
	assert_int_equal(reply(0).seq, s.seq);
	assert_int_equal(reply(0).len, 13);
	check_read_resp(reply(0).payload, 1, 2);
	assert_int_equal(H.stack->ctr.tx_retransmit_dup_request, 1);
	assert_int_equal(stack_open_connections(H.stack), 1);
	c.ack = s.seq + 13 + 1;
	assert_int_equal(tc_send(&H, &c, FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(stack_open_connections(H.stack), 0);
	assert_int_equal(H.stack->ctr.conn_closed, 1);
}

/* RFC 9293 3.10.7.1 and 3.10.7.2: segments of no connection get a RST. */
static void test_rst_unknown(void **state)
{
	struct tc_client c = new_client(40005);
	struct fb_seg s;

	(void)state;
	c.ack = 777;
	assert_int_equal(tc_send(&H, &c, FB_ACK, "x", 1), STACK_SENT);
	s = reply(0);
	assert_int_equal(s.flags, FB_RST);
	assert_int_equal(s.seq, 777);
	/* No ACK, no SYN in LISTEN: dropped. A RST is never answered. */
	assert_int_equal(tc_send(&H, &c, FB_FIN, 0, 0), STACK_DROP);
	assert_int_equal(tc_send(&H, &c, FB_RST, 0, 0), STACK_DROP);
	/* A port nobody serves (CLOSED): <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK>. */
	c.fl.server_port = 503;
	c.seq = 5000;
	assert_int_equal(tc_send(&H, &c, FB_SYN, 0, 0), STACK_SENT);
	s = reply(0);
	assert_int_equal(s.flags, FB_RST | FB_ACK);
	assert_int_equal(s.seq, 0);
	assert_int_equal(s.ack, 5001);
	assert_int_equal(stack_open_connections(H.stack), 0);
}

/* RFC 5961 3.2 and 4.2: a RST resets only at exactly RCV.NXT; in the window
 * elsewhere, and a SYN on the connection, get a challenge ACK. */
static void test_rst_and_syn_on_connection(void **state)
{
	struct tc_client c = new_client(40006);
	struct fb_seg s;

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	c.seq += 10;
	assert_int_equal(tc_send(&H, &c, FB_RST, 0, 0), STACK_SENT);
	s = reply(0);
	assert_int_equal(s.flags, FB_ACK);
	assert_int_equal(s.ack, c.seq - 10);
	c.seq -= 10;
	H.stack->now_ns += 600 * MS; /* one a connection per 500 ms (RFC 5961 7) */
	assert_int_equal(tc_send(&H, &c, FB_SYN, 0, 0), STACK_SENT);
	assert_int_equal(reply(0).flags, FB_ACK);
	assert_int_equal(H.stack->ctr.tx_challenge_ack, 2);
	assert_int_equal(stack_open_connections(H.stack), 1);
	c.seq -= 1;
	assert_int_equal(tc_send(&H, &c, FB_RST, 0, 0), STACK_DROP);
	assert_int_equal(stack_open_connections(H.stack), 0);
	assert_int_equal(H.stack->ctr.conn_reset_by_peer, 1);
}

/* Frames with a bad IP or TCP checksum are dropped and counted, never answered. */
static void test_bad_checksums(void **state)
{
	struct tc_client c = new_client(40007);
	size_t n;

	(void)state;
	n = fb_tcp(buf, &c.fl, 1, 0, FB_SYN, 1000, 0, 0, 0, 0);
	buf[14 + 10] ^= 0x55;
	assert_int_equal(harness_input(&H, buf, n), STACK_DROP);
	assert_int_equal(H.stack->ctr.drop_ip_bad_csum, 1);
	n = fb_tcp(buf, &c.fl, 1, 0, FB_SYN, 1000, 0, 0, 0, 0);
	buf[14 + 20 + 16] ^= 0x55;
	assert_int_equal(harness_input(&H, buf, n), STACK_DROP);
	assert_int_equal(H.stack->ctr.drop_tcp_bad_csum, 1);
	/* A short or truncated frame. */
	assert_int_equal(harness_input(&H, buf, 40), STACK_DROP);
	assert_int_equal(H.stack->ctr.drop_short_frame, 1);
	assert_int_equal(H.n_out, 0);
	assert_int_equal(stack_open_connections(H.stack), 0);
}

/* RFC 9293 3.10.7.4: a request beyond RCV.NXT is kept, in one ADU buffer
 * of the connection's share, and acknowledged at once with a duplicate
 * ACK; when the hole fills both are answered in one segment and the buffer
 * is free again. A retransmission of answered data is acknowledged, not
 * answered again. */
static void test_out_of_order_and_duplicate(void **state)
{
	struct tc_client c = new_client(40008);
	uint32_t adu_free = H.stack->rx_bufs.n_free;
	uint8_t req[12];
	uint64_t answered;

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	tc_read_req(req, 3, 4);
	c.seq += 12;
	tc_send(&H, &c, FB_PSH | FB_ACK, req, 12);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).len, 0);
	assert_int_equal(reply(0).ack, c.seq - 24);
	assert_int_equal(H.stack->ctr.rx_out_of_order_kept, 1);
	assert_int_equal(H.stack->rx_bufs.n_free, adu_free - 1);
	assert_int_equal(H.stack->mb->ctr.mb_requests, 0);
	c.seq -= 24;
	tc_send(&H, &c, FB_PSH | FB_ACK, req, 12);
	c.seq += 12;
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).len, 2 * TC_READ_RESP_LEN);
	assert_int_equal(reply(0).ack, c.seq);
	check_read_resp(reply(0).payload, 3, 4);
	check_read_resp(reply(0).payload + TC_READ_RESP_LEN, 3, 4);
	assert_int_equal(H.stack->ctr.rx_out_of_order_delivered, 1);
	assert_int_equal(H.stack->rx_bufs.n_free, adu_free);
	answered = H.stack->mb->ctr.mb_requests;
	assert_int_equal(answered, 2);
	/* The request again, our response not acknowledged (lost): the
	 * response is resent from the send queue, not answered again. */
	c.seq -= 12;
	tc_send(&H, &c, FB_PSH | FB_ACK, req, 12);
	assert_int_equal(reply(0).len, 2 * TC_READ_RESP_LEN);
	assert_int_equal(reply(0).seq, c.ack);
	assert_int_equal(reply(0).ack, c.seq);
	check_read_resp(reply(0).payload, 3, 4);
	assert_int_equal(H.stack->ctr.tx_retransmit_dup_request, 1);
	assert_int_equal(H.stack->mb->ctr.mb_requests, answered);
	/* Again, with the response acknowledged: a duplicate ACK only. */
	c.ack += 2 * TC_READ_RESP_LEN;
	c.seq -= 12;
	tc_send(&H, &c, FB_PSH | FB_ACK, req, 12);
	assert_int_equal(reply(0).len, 0);
	assert_int_equal(reply(0).ack, c.seq);
	assert_int_equal(H.stack->mb->ctr.mb_requests, answered);
	assert_int_equal(H.stack->ctr.tx_retransmit_dup_request, 1);
}

/* Kept out-of-order text is bounded: one run per connection of at most 252
 * bytes; beyond it, and past a second hole, segments are dropped with the
 * duplicate ACK as before. A segment filling only part of the hole is read
 * and the run stays; closing the connection frees its buffer. */
static void test_out_of_order_bounds(void **state)
{
	struct tc_client c = new_client(40026);
	uint32_t adu_free = H.stack->rx_bufs.n_free;
	uint8_t reqs[24 * 12];
	uint32_t base;

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	base = c.seq;
	for (int i = 0; i < 24; i++)
		tc_read_req(reqs + 12 * i, (uint16_t)i, (uint16_t)i);
	/* Requests 2..22 (252 bytes) kept, one segment at a time. */
	for (int i = 2; i < 23; i++) {
		c.seq = base + 12u * (uint32_t)i;
		tc_send(&H, &c, FB_PSH | FB_ACK, reqs + 12 * i, 12);
		assert_int_equal(reply(0).ack, base);
	}
	assert_int_equal(H.stack->ctr.rx_out_of_order_kept, 21);
	/* The 253rd byte on does not fit; nor does a run past a second hole. */
	c.seq = base + 12u * 23;
	tc_send(&H, &c, FB_PSH | FB_ACK, reqs + 12 * 23, 12);
	assert_int_equal(reply(0).ack, base);
	assert_int_equal(H.stack->ctr.drop_out_of_order, 1);
	assert_int_equal(H.stack->rx_bufs.n_free, adu_free - 1);
	/* Request 0 fills part of the hole: answered alone, the run stays. */
	c.seq = base;
	tc_send(&H, &c, FB_PSH | FB_ACK, reqs, 12);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).len, TC_READ_RESP_LEN);
	assert_int_equal(reply(0).ack, base + 12);
	assert_int_equal(H.stack->rx_bufs.n_free, adu_free - 1);
	/* Request 1 fills the rest: 22 answers at once. */
	c.ack += TC_READ_RESP_LEN;
	tc_send(&H, &c, FB_PSH | FB_ACK, reqs + 12, 12);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).len, 22 * TC_READ_RESP_LEN);
	assert_int_equal(reply(0).ack, base + 12 * 23);
	for (int i = 1; i < 23; i++)
		check_read_resp(reply(0).payload + (i - 1) * TC_READ_RESP_LEN, (uint16_t)i, (uint16_t)i);
	assert_int_equal(H.stack->rx_bufs.n_free, adu_free);
	/* Kept text goes with the connection. */
	c.seq = base + 12u * 24 + 12;
	tc_send(&H, &c, FB_PSH | FB_ACK, reqs, 12);
	assert_int_equal(H.stack->rx_bufs.n_free, adu_free - 1);
	c.seq = base + 12u * 23;
	assert_int_equal(tc_send(&H, &c, FB_RST, 0, 0), STACK_DROP);
	assert_int_equal(stack_open_connections(H.stack), 0);
	assert_int_equal(H.stack->rx_bufs.n_free, adu_free);
}

/* MBAP: protocol id != 0 is discarded with the connection kept (MIG 4.4.1.1);
 * a length outside 2..254 resets the connection. */
static void test_mbap_errors(void **state)
{
	struct tc_client c = new_client(40009);
	uint8_t req[12];

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	tc_read_req(req, 1, 1);
	req[3] = 1;
	tc_send(&H, &c, FB_PSH | FB_ACK, req, 12);
	assert_int_equal(reply(0).len, 0);
	assert_int_equal(reply(0).flags, FB_ACK);
	assert_int_equal(H.stack->mb->ctr.mb_drop_protocol_id, 1);
	assert_int_equal(stack_open_connections(H.stack), 1);
	tc_read_req(req, 1, 1);
	req[5] = 255;
	tc_send(&H, &c, FB_PSH | FB_ACK, req, 12);
	assert_true(reply(0).flags & FB_RST);
	assert_int_equal(H.stack->mb->ctr.mb_reset_bad_length, 1);
	assert_int_equal(stack_open_connections(H.stack), 0);
}

/* An 802.1Q-tagged request is answered with the same tag. */
static void test_vlan(void **state)
{
	struct tc_client c = new_client(40010);
	uint8_t req[12];

	(void)state;
	c.fl.vlan = 42;
	assert_int_equal(tc_handshake(&H, &c), 0);
	tc_send(&H, &c, FB_PSH | FB_ACK, req, tc_read_req(req, 5, 6));
	assert_int_equal(reply(0).vlan, 42);
	check_read_resp(reply(0).payload, 5, 6);
	tc_send(&H, &c, FB_RST, 0, 0);
}

/* RFC 5961 7: challenge ACKs are limited per connection (one per 500 ms)
 * and, for all connections, by a budget drawn at random each second in
 * [limit / 2, limit * 3 / 2): one connection cannot be probed by counting
 * how many are left (CVE-2016-5696). */
static void test_challenge_ack_limit(void **state)
{
	enum { N = 60, LIMIT = 20, SECONDS = 8 };
	struct tc_client c[N];
	uint64_t sent[SECONDS];
	int differ = 0;

	(void)state;
	H.stack->challenge_ack_limit = LIMIT;
	for (int i = 0; i < N; i++) {
		c[i] = new_client((uint16_t)(41000 + i));
		assert_int_equal(tc_handshake(&H, &c[i]), 0);
	}
	/* One connection: a second in-window RST within 500 ms gets nothing,
	 * one 500 ms later its challenge ACK. */
	H.stack->now_ns = 10000 * MS;
	c[0].seq += 10;
	assert_int_equal(tc_send(&H, &c[0], FB_RST, 0, 0), STACK_SENT);
	c[0].seq += 10;
	H.stack->now_ns += 490 * MS;
	assert_int_equal(tc_send(&H, &c[0], FB_RST, 0, 0), STACK_DROP);
	assert_int_equal(H.stack->ctr.drop_challenge_ack_conn_limited, 1);
	H.stack->now_ns += 20 * MS;
	assert_int_equal(tc_send(&H, &c[0], FB_RST, 0, 0), STACK_SENT);
	assert_int_equal(reply(0).flags, FB_ACK);
	/* All connections, once each second: the budget holds them, and it
	 * is not the same every second. */
	for (int t = 0; t < SECONDS; t++) {
		uint64_t before = H.stack->ctr.tx_challenge_ack;

		H.stack->now_ns = (uint64_t)(20 + t) * 1000 * MS;
		for (int i = 0; i < N; i++) {
			c[i].seq += 10;
			tc_send(&H, &c[i], FB_RST, 0, 0);
		}
		sent[t] = H.stack->ctr.tx_challenge_ack - before;
		assert_true(sent[t] >= LIMIT / 2 && sent[t] < LIMIT * 3 / 2);
		differ |= sent[t] != sent[0];
	}
	assert_true(differ);
	assert_int_equal(H.stack->ctr.drop_challenge_ack_limited,
			 (uint64_t)N * SECONDS - (H.stack->ctr.tx_challenge_ack - 2));
	assert_int_equal(stack_open_connections(H.stack), N);
}

/* RFC 9293 3.10.7.4 (first check) with RFC 5961 7: ACKs to unacceptable
 * segments without text are limited to one per connection per 500 ms (as
 * Linux's tcp_invalid_ratelimit); a retransmission of old text is always
 * acknowledged. */
static void test_unacceptable_ack_limit(void **state)
{
	struct tc_client c = new_client(40024);
	uint32_t next;
	uint8_t req[12];

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	next = c.seq;
	H.stack->now_ns = 5000 * MS;
	for (int i = 0; i < 100; i++) {
		c.seq = next + 200000;
		H.stack->now_ns += 4 * MS;
		tc_send(&H, &c, FB_ACK, 0, 0);
	}
	/* 400 ms: one ACK. */
	assert_int_equal(H.stack->ctr.tx_ack, 1);
	assert_int_equal(H.stack->ctr.drop_oow_ack_limited, 99);
	c.seq = next;
	tc_send(&H, &c, FB_PSH | FB_ACK, req, tc_read_req(req, 1, 1));
	check_read_resp(reply(0).payload, 1, 1);
	c.ack += 13;
	tc_send(&H, &c, FB_ACK, 0, 0);
	c.seq -= 12; /* the request again, its answer acknowledged: an ACK */
	assert_int_equal(tc_send(&H, &c, FB_PSH | FB_ACK, req, 12), STACK_SENT);
	assert_int_equal(reply(0).ack, c.seq);
	H.stack->now_ns += 110 * MS; /* 510 ms after the first */
	c.seq = next + 200000;
	assert_int_equal(tc_send(&H, &c, FB_ACK, 0, 0), STACK_SENT);
	assert_int_equal(reply(0).ack, next + 12);
	assert_int_equal(H.stack->ctr.drop_oow_ack_limited, 99);
}

/* RFC 9293 3.8.6.2.1, sender silly window avoidance: of answers that do
 * not all fit the window, only full segments go (or half the peer's largest
 * window); the tail waits for the window to open, not sent as a sliver. */
static void test_sws_full_segments(void **state)
{
	struct tc_client c = new_client(40025);
	uint8_t reqs[6 * 12];
	uint32_t start;
	size_t n;

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0); /* window 64240 */
	start = c.ack;
	for (int i = 0; i < 6; i++) {
		tc_read_req(reqs + 12 * i, (uint16_t)i, 0);
		reqs[12 * i + 11] = 125; /* 259-byte answers: 1554 bytes */
	}
	n = fb_tcp(buf, &c.fl, c.seq, c.ack, FB_PSH | FB_ACK, 1500, 0, 0, reqs, sizeof(reqs));
	c.seq += sizeof(reqs);
	harness_clear(&H);
	harness_input(&H, buf, n);
	assert_int_equal(H.n_out, 1); /* one full segment; 40 bytes of window unused */
	assert_int_equal(reply(0).len, 1460);
	assert_int_equal(reply(0).ack, c.seq);
	assert_int_equal(H.stack->ctr.snd_sws_deferred, 1);
	/* Its ACK, the window as small: 94 bytes wait, 1500 would take them. */
	c.ack = start + 1460;
	n = fb_tcp(buf, &c.fl, c.seq, c.ack, FB_ACK, 1500, 0, 0, 0, 0);
	harness_clear(&H);
	harness_input(&H, buf, n);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).len, 94);
	assert_int_equal(reply(0).seq, start + 1460);
}

/* Runs the stack's timers at t ns, with the replies of earlier steps
 * cleared. */
static uint32_t timers_at(uint64_t t)
{
	harness_clear(&H);
	return stack_timers(H.stack, t);
}

/* RFC 6298: an unacknowledged response is sent again when the RTO expires
 * (1 s before any measurement, 2.1), with the RTO doubled each time (5.5);
 * an ACK stops it (5.2). Karn's rule: the ACK of a retransmitted segment
 * measures nothing; the next response's does, and its RTO is the 200 ms
 * minimum. */
static void test_retransmit_timeout(void **state)
{
	struct tc_client c = new_client(40030);
	uint8_t req[12];
	struct fb_seg s;

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	tc_send(&H, &c, FB_PSH | FB_ACK, req, tc_read_req(req, 1, 7));
	s = reply(0);
	timers_at(900 * MS);
	assert_int_equal(H.n_out, 0);
	timers_at(1100 * MS);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).seq, s.seq);
	assert_int_equal(reply(0).ack, c.seq);
	assert_int_equal(reply(0).flags, FB_PSH | FB_ACK);
	check_read_resp(reply(0).payload, 1, 7);
	assert_int_equal(H.stack->ctr.tx_retransmit_timeout, 1);
	timers_at(2900 * MS); /* backed off: 2 s after the first retransmission */
	assert_int_equal(H.n_out, 0);
	timers_at(3200 * MS);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).seq, s.seq);
	/* Acknowledged: no more, and no RTT sample (Karn). */
	H.stack->now_ns = 3300 * MS;
	c.ack += 13;
	assert_int_equal(tc_send(&H, &c, FB_ACK, 0, 0), STACK_DROP);
	for (uint64_t t = 3300; t < 20000; t += 500) {
		timers_at(t * MS);
		assert_int_equal(H.n_out, 0);
	}
	assert_int_equal(H.stack->ctr.tx_retransmit_timeout, 2);
	assert_int_equal(H.stack->ctr.rtt_samples, 0);
	assert_int_equal(H.stack->snd.n_free, H.stack->snd.capacity);
	/* A fresh response, acknowledged 3 ms later: measured. */
	H.stack->now_ns = 20000 * MS;
	tc_send(&H, &c, FB_PSH | FB_ACK, req, tc_read_req(req, 2, 8));
	H.stack->now_ns = 20003 * MS;
	c.ack += 13;
	tc_send(&H, &c, FB_ACK, 0, 0);
	assert_int_equal(H.stack->ctr.rtt_samples, 1);
	/* The next one is lost: resent after the 200 ms minimum RTO. */
	tc_send(&H, &c, FB_PSH | FB_ACK, req, tc_read_req(req, 3, 9));
	s = reply(0);
	timers_at(20150 * MS);
	assert_int_equal(H.n_out, 0);
	timers_at(20250 * MS);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).seq, s.seq);
	check_read_resp(reply(0).payload, 3, 9);
}

/* After max_retries (8) retransmissions without an ACK the connection is
 * reset (<SEQ=SND.NXT><CTL=RST>) and counted; everything it held is free. */
static void test_retransmit_limit(void **state)
{
	struct tc_client c = new_client(40031);
	uint8_t req[12];
	uint32_t resent = 0, rst = 0;

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	tc_send(&H, &c, FB_PSH | FB_ACK, req, tc_read_req(req, 1, 7));
	for (uint64_t t = 1; t < 400 && stack_open_connections(H.stack); t++) {
		timers_at(t * 1000 * MS);
		for (uint32_t i = 0; i < H.n_out; i++) {
			if (reply(i).flags & FB_RST) {
				assert_int_equal(reply(i).seq, c.ack + 13);
				rst++;
			} else {
				assert_int_equal(reply(i).seq, c.ack);
				resent++;
			}
		}
	}
	assert_int_equal(resent, 8);
	assert_int_equal(rst, 1);
	assert_int_equal(H.stack->ctr.conn_reset_retransmit_limit, 1);
	assert_int_equal(stack_open_connections(H.stack), 0);
	assert_int_equal(H.stack->snd.n_free, H.stack->snd.capacity);
}

/* RFC 9293 3.6 with RFC 6298: our FIN (in LAST-ACK) is retransmitted like
 * data until acknowledged; its ACK closes. */
static void test_fin_retransmit(void **state)
{
	struct tc_client c = new_client(40032);
	struct fb_seg s;

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	tc_send(&H, &c, FB_FIN | FB_ACK, 0, 0);
	s = reply(0);
	assert_int_equal(s.flags, FB_FIN | FB_ACK);
	timers_at(1100 * MS);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).flags, FB_FIN | FB_ACK);
	assert_int_equal(reply(0).seq, s.seq);
	assert_int_equal(reply(0).ack, c.seq);
	c.ack = s.seq + 1;
	assert_int_equal(tc_send(&H, &c, FB_ACK, 0, 0), STACK_DROP);
	assert_int_equal(stack_open_connections(H.stack), 0);
	assert_int_equal(H.stack->ctr.conn_closed, 1);
	timers_at(10000 * MS);
	assert_int_equal(H.n_out, 0);
	assert_int_equal(H.stack->snd.n_free, H.stack->snd.capacity);
}

/* RFC 9293 3.8.6: a client that does not read its answers (window 0) gets
 * the first queued; while that waits for its window, no request is taken
 * (left unacknowledged, counted) and our window says 0, so a peer that does
 * not read cannot make us compute and queue more. When the client reads,
 * the answer goes, our window opens, and requests are taken again. */
static void test_client_not_reading(void **state)
{
	struct tc_client c = new_client(40040);
	uint8_t req[12];
	uint32_t start;
	size_t n;

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	start = c.ack;
	for (int i = 0; i < 3; i++) {
		tc_read_req(req, (uint16_t)i, 1);
		req[11] = 125; /* 259-byte answers */
		n = fb_tcp(buf, &c.fl, c.seq, c.ack, FB_PSH | FB_ACK, 0, 0, 0, req, sizeof(req));
		harness_clear(&H);
		harness_input(&H, buf, n);
		assert_int_equal(H.n_out, 1);
		assert_int_equal(reply(0).len, 0); /* nothing may go out */
		assert_int_equal(reply(0).wnd, 0);
		if (i == 0) /* the first is taken */
			c.seq += 12;
		assert_int_equal(reply(0).ack, c.seq);
	}
	assert_int_equal(H.stack->ctr.drop_window_backlog, 2);
	/* The client reads: its answer comes, and our window opens with it. */
	n = fb_tcp(buf, &c.fl, c.seq, c.ack, FB_ACK, 65535, 0, 0, 0, 0);
	harness_clear(&H);
	harness_input(&H, buf, n);
	assert_int_equal(H.n_out, 1);
	assert_int_equal(reply(0).seq, start);
	assert_int_equal(reply(0).len, 259);
	assert_int_equal(reply(0).wnd, 65535);
	c.ack += 259;
	/* Their ACK empties the queue. */
	n = fb_tcp(buf, &c.fl, c.seq, c.ack, FB_ACK, 65535, 0, 0, 0, 0);
	harness_clear(&H);
	assert_int_equal(harness_input(&H, buf, n), STACK_DROP);
	assert_int_equal(H.stack->snd.n_free, H.stack->snd.capacity);
	/* And takes requests again. */
	tc_send(&H, &c, FB_PSH | FB_ACK, req, tc_read_req(req, 7, 7));
	check_read_resp(reply(0).payload, 7, 7);
}

/* A client whose window is open but that acknowledges nothing: answers go
 * out until a whole window is in flight and then queue, up to SNDQ_LIMIT
 * bytes; then no request is taken (left unacknowledged, counted) and our
 * window says 0. */
static void test_client_not_acknowledging(void **state)
{
	struct tc_client c = new_client(40041);
	uint8_t req[12];
	uint32_t taken = 0;
	size_t n;

	(void)state;
	assert_int_equal(tc_handshake(&H, &c), 0);
	for (int i = 0; i < 400 && !H.stack->ctr.drop_snd_queue_full; i++) {
		tc_read_req(req, (uint16_t)i, 1);
		req[11] = 125;
		n = fb_tcp(buf, &c.fl, c.seq, c.ack, FB_PSH | FB_ACK, 65535, 0, 0, req, sizeof(req));
		harness_clear(&H);
		harness_input(&H, buf, n);
		if (reply(H.n_out - 1).ack == c.seq + 12) {
			c.seq += 12;
			taken++;
		}
	}
	assert_int_equal(H.stack->ctr.drop_snd_queue_full, 1);
	assert_int_equal(taken, 65535 / 259);
	assert_int_equal(reply(0).wnd, 0);
	assert_int_equal(reply(0).ack, c.seq);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_mss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_adu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passive_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_and_syn_on_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_checksums, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_and_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbap_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_challenge_ack_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unacceptable_ack_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sws_full_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmit_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmit_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin_retransmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_not_reading, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_not_acknowledging, setup, teardown),
	};
	return cmocka_run_group_tests_name("tcp", tests, NULL, NULL);
}
