/* The DPDK backend (pmd_glue/port_dpdk.h) end to end without a network: EAL
 * without hugepages, a net_ring port made of two rings (the test writes
 * frames into one and reads the port's answers from the other), the port
 * set up by mbx_dpdk_open() and a worker (engine/worker.c) with its stack
 * running on a thread of its own. Checked: the gratuitous ARP at start, ARP
 * and ping answered from the port's MAC, a TCP handshake and a Modbus read
 * answered, a full transmit ring counted and nothing leaked, a chained mbuf
 * dropped and counted, and every mbuf back in its pool at the end. */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "frame_build.h"
#include "port_dpdk.h"
#include "devmodel.h"
#include "worker.h"

#define RING_SLOTS 8 /* the tx ring holds 7: small enough to overflow on purpose */
#define TEST_POOL 255
#define SERVER_IP 0xC6120001u /* 198.18.0.1 */
#define CLIENT_IP 0xC6120002u /* 198.18.0.2 */

static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

struct rig {
	struct rte_ring *to_port, *from_port;
	struct rte_mempool *pool; /* the test's own frames */
	struct mbx_dpdk *dev;
	struct devmodel dm;
	struct stack *stack;
	struct worker w;
	struct telemetry tel; /* the worker's counters, in private memory */
	struct tsc_clock clock;
	volatile sig_atomic_t stop;
	pthread_t thread;
	uint8_t server_mac[6];
	uint32_t addr; /* the stack's address, network order */
};

static void *run_worker(void *arg)
{
	static char err[128];
	struct rig *r = arg;

	if (mbx_dpdk_thread_init(err, sizeof(err)) < 0)
		return err; /* not NULL: the test fails on it */
	worker_run(&r->w);
	return NULL;
}

static void start(struct rig *r)
{
	r->stop = 0;
	assert_int_equal(pthread_create(&r->thread, NULL, run_worker, r), 0);
}

static void finish(struct rig *r)
{
	void *ret;

	r->stop = 1;
	assert_int_equal(pthread_join(r->thread, &ret), 0);
	assert_null(ret);
}

static void inject(struct rig *r, const uint8_t *bytes, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), bytes, len);
	assert_int_equal(rte_ring_enqueue(r->to_port, m), 0);
}

/* The next frame the port sent, copied to buf; waits up to 5 s. */
static size_t take(struct rig *r, uint8_t *buf, size_t room)
{
	struct timespec pause = { 0, 1000000 };
	void *obj;

	for (int i = 0; i < 5000; i++) {
		if (rte_ring_dequeue(r->from_port, &obj) == 0) {
			struct rte_mbuf *m = obj;
			size_t len = rte_pktmbuf_data_len(m);

			assert_true(len <= room);
			memcpy(buf, rte_pktmbuf_mtod(m, void *), len);
			rte_pktmbuf_free(m);
			return len;
		}
		nanosleep(&pause, NULL);
	}
	fail_msg("the port sent nothing within 5 s");
	return 0;
}

static int group_setup(void **state)
{
	static char *eal_argv[] = { "test_port_dpdk", "--no-huge", "--no-pci", "-m", "256",
				    "--no-shconf", "--no-telemetry", "-l", "0", NULL };
	static const uint16_t tcp_ports[] = { 502 };
	struct rig *r = calloc(1, sizeof(*r));
	struct stack_config scfg = { .max_conns = 64, .adu_buffers = 16, .mss = 1460,
				     .ports = tcp_ports, .n_ports = 1, .n_addrs = 1 };
	char err[256];

	assert_non_null(r);
	if (mbx_dpdk_eal_init(9, eal_argv, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	r->to_port = rte_ring_create("mbx_to_port", RING_SLOTS, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	r->from_port = rte_ring_create("mbx_from_port", RING_SLOTS, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	r->pool = rte_pktmbuf_pool_create("mbx_test", TEST_POOL, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	assert_non_null(r->to_port);
	assert_non_null(r->from_port);
	assert_non_null(r->pool);
	assert_true(rte_eth_from_rings("mbxring", &r->to_port, 1, &r->from_port, 1, 0) >= 0);
	r->dev = mbx_dpdk_open(1, tcp_ports, 1, err, sizeof(err));
	if (!r->dev)
		fail_msg("%s", err);
	mbx_dpdk_mac(r->dev, r->server_mac);
	memcpy(scfg.mac, r->server_mac, 6);
	r->addr = htonl(SERVER_IP);
	scfg.addrs = &r->addr;
	if (devmodel_build_default(&r->dm, NULL, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(tsc_calibrate(&r->clock, 10), 0);
	r->stack = aligned_alloc(64, sizeof(*r->stack));
	assert_non_null(r->stack);
	r->w.port = mbx_dpdk_queue(r->dev, 0);
	r->w.stack = r->stack;
	r->w.stop = &r->stop;
	r->w.clock = &r->clock;
	assert_int_equal(stack_init(r->stack, &scfg, &r->dm.model, worker_frame_source(&r->w),
				    worker_frame_sink(&r->w)),
			 0);
	assert_int_equal(telemetry_open_private(&r->tel, 1, &r->clock), 0);
	idle_init(&r->w.idle, -1, &r->clock);
	telemetry_attach(&r->w.tel, &r->tel, 0, r->stack, r->w.port, &r->w.idle.ctr, &r->clock);
	*state = r;
	return 0;
}

static int group_teardown(void **state)
{
	struct rig *r = *state;

	/* Every mbuf the test made came back: nothing the port took leaked. */
	assert_int_equal(rte_mempool_avail_count(r->pool), TEST_POOL);
	telemetry_close(&r->tel);
	stack_free(r->stack);
	free(r->stack);
	devmodel_free(&r->dm);
	mbx_dpdk_close(r->dev);
	rte_mempool_free(r->pool);
	mbx_dpdk_eal_cleanup();
	free(r);
	return 0;
}

static void test_describe(void **state)
{
	struct rig *r = *state;

	assert_non_null(strstr(mbx_dpdk_describe(r->dev), "net_ring"));
	assert_int_equal(mbx_dpdk_mtu(r->dev), 1500);
	assert_null(mbx_dpdk_xdp(r->dev));
}

static void test_announce(void **state)
{
	struct rig *r = *state;
	uint8_t got[128], want[64];

	assert_int_equal(stack_arp_announce(r->stack, 0, want, sizeof(want)), 60);
	worker_announce(&r->w);
	assert_int_equal(take(r, got, sizeof(got)), 60);
	assert_memory_equal(got, want, 60);
	assert_memory_equal(got + 6, r->server_mac, 6);
}

static size_t arp_request(uint8_t *b)
{
	static const uint8_t head[] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	uint32_t sip = htonl(CLIENT_IP), tip = htonl(SERVER_IP);

	memset(b, 0, 60);
	memset(b, 0xff, 6);
	memcpy(b + 6, client_mac, 6);
	b[12] = 0x08;
	b[13] = 0x06;
	memcpy(b + 14, head, sizeof(head));
	memcpy(b + 22, client_mac, 6);
	memcpy(b + 28, &sip, 4);
	memcpy(b + 38, &tip, 4);
	return 60;
}

static size_t echo_request(uint8_t *b)
{
	uint32_t sip = htonl(CLIENT_IP), dip = htonl(SERVER_IP);
	uint8_t *ip = b + 14, *icmp = ip + 20;
	uint16_t c;

	memset(b, 0, 14 + 20 + 16);
	memcpy(b, client_mac, 6); /* any destination: a ring has no filter */
	memcpy(b + 6, client_mac, 6);
	b[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 20 + 16;
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, &sip, 4);
	memcpy(ip + 16, &dip, 4);
	c = htons(fb_csum(ip, 20, 0));
	memcpy(ip + 10, &c, 2);
	icmp[0] = 8;
	memcpy(icmp + 8, "mbxdp-K-", 8);
	c = htons(fb_csum(icmp, 16, 0));
	memcpy(icmp + 2, &c, 2);
	return 14 + 20 + 16;
}

static void test_arp_and_ping(void **state)
{
	struct rig *r = *state;
	uint8_t frame[128], got[2048];
	uint32_t ours = htonl(SERVER_IP);
	size_t len;

	start(r);
	inject(r, frame, arp_request(frame));
	len = take(r, got, sizeof(got));
	assert_int_equal(len, 60);
	assert_memory_equal(got, client_mac, 6);
	assert_memory_equal(got + 6, r->server_mac, 6);
	assert_int_equal(got[21], 2); /* reply */
	assert_memory_equal(got + 22, r->server_mac, 6);
	assert_memory_equal(got + 28, &ours, 4);

	inject(r, frame, echo_request(frame));
	len = take(r, got, sizeof(got));
	assert_int_equal(len, 14 + 20 + 16);
	assert_int_equal(got[14 + 20], 0); /* echo reply */
	assert_memory_equal(got + 14 + 20 + 8, "mbxdp-K-", 8);
	assert_int_equal(fb_csum(got + 14, 20, 0), 0);
	assert_int_equal(fb_csum(got + 14 + 20, 16, 0), 0);
	finish(r);
	assert_int_equal(r->stack->ctr.tx_arp_reply, 1);
	assert_int_equal(r->stack->ctr.tx_icmp_echo_reply, 1);
}

static void test_modbus_read(void **state)
{
	static const uint8_t mss[] = { 2, 4, 0x05, 0xb4 };
	/* MBAP (transaction 7, protocol 0, length 6, unit 1), FC 03 at 100, 2 registers */
	static const uint8_t req[] = { 0, 7, 0, 0, 0, 6, 1, 3, 0, 100, 0, 2 };
	static const uint8_t rsp[] = { 0, 7, 0, 0, 0, 7, 1, 3, 4, 0, 100, 0, 101 };
	struct rig *r = *state;
	struct fb_flow fl = { .client_ip = CLIENT_IP, .server_ip = SERVER_IP, .client_port = 40000,
			      .server_port = 502, .vlan = -1 };
	uint8_t frame[256], got[2048];
	struct fb_seg seg;
	size_t len;

	memcpy(fl.client_mac, client_mac, 6);
	memcpy(fl.server_mac, r->server_mac, 6);
	start(r);
	inject(r, frame, fb_tcp(frame, &fl, 1000, 0, FB_SYN, 65535, mss, sizeof(mss), NULL, 0));
	len = take(r, got, sizeof(got));
	fb_parse(got, len, &seg);
	assert_true(seg.ok);
	assert_int_equal(seg.flags, FB_SYN | FB_ACK);
	assert_int_equal(seg.ack, 1001);
	inject(r, frame,
	       fb_tcp(frame, &fl, 1001, seg.seq + 1, FB_ACK | FB_PSH, 65535, NULL, 0, req, sizeof(req)));
	len = take(r, got, sizeof(got));
	fb_parse(got, len, &seg);
	assert_true(seg.ok);
	assert_int_equal(seg.len, sizeof(rsp));
	assert_memory_equal(seg.payload, rsp, sizeof(rsp));
	finish(r);
	assert_int_equal(stack_open_connections(r->stack), 1);
}

/* Ten SYNs, nobody reading the port's 7-slot transmit ring: seven SYN-ACKs
 * queued, three counted as dropped, and their mbufs freed. */
static void test_tx_ring_full_counted(void **state)
{
	struct rig *r = *state;
	struct mbx_port *p = r->w.port;
	uint64_t full = p->ctr.port_tx_ring_full, sent = p->ctr.port_tx_frames;
	uint8_t frame[256], got[2048];
	struct fb_flow fl = { .client_ip = CLIENT_IP, .server_ip = SERVER_IP, .server_port = 502,
			      .vlan = -1 };

	memcpy(fl.client_mac, client_mac, 6);
	memcpy(fl.server_mac, r->server_mac, 6);
	for (uint16_t i = 0; i < 10; i++) {
		struct timespec pause = { 0, 1000000 };

		fl.client_port = (uint16_t)(41000 + i);
		while (rte_ring_free_count(r->to_port) == 0)
			nanosleep(&pause, NULL);
		inject(r, frame, fb_tcp(frame, &fl, 5, 0, FB_SYN, 65535, NULL, 0, NULL, 0));
		if (i == 0)
			start(r);
	}
	for (int i = 0; i < 5000 && p->ctr.port_tx_frames + p->ctr.port_tx_ring_full < sent + full + 10;
	     i++) {
		struct timespec pause = { 0, 1000000 };

		nanosleep(&pause, NULL);
	}
	finish(r);
	assert_int_equal(p->ctr.port_tx_frames - sent, RING_SLOTS - 1);
	assert_int_equal(p->ctr.port_tx_ring_full - full, 10 - (RING_SLOTS - 1));
	for (int i = 0; i < RING_SLOTS - 1; i++)
		take(r, got, sizeof(got));
}

/* A frame in two chained mbufs is more than the stack reads: dropped,
 * counted, freed. */
static void test_chained_mbuf_dropped(void **state)
{
	struct rig *r = *state;
	struct mbx_port *p = r->w.port;
	struct rte_mbuf *head = rte_pktmbuf_alloc(r->pool), *tail = rte_pktmbuf_alloc(r->pool);
	uint64_t before = p->ctr.port_rx_scattered, rx = r->stack->ctr.rx_frames;
	uint8_t frame[64];

	assert_non_null(head);
	assert_non_null(tail);
	memcpy(rte_pktmbuf_append(head, 30), frame, 30);
	memcpy(rte_pktmbuf_append(tail, 30), frame, 30);
	assert_int_equal(rte_pktmbuf_chain(head, tail), 0);
	assert_int_equal(rte_ring_enqueue(r->to_port, head), 0);
	start(r);
	for (int i = 0; i < 5000 && p->ctr.port_rx_scattered == before; i++) {
		struct timespec pause = { 0, 1000000 };

		nanosleep(&pause, NULL);
	}
	finish(r);
	assert_int_equal(p->ctr.port_rx_scattered - before, 1);
	assert_int_equal(r->stack->ctr.rx_frames, rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_announce),
		cmocka_unit_test(test_arp_and_ping),
		cmocka_unit_test(test_modbus_read),
		cmocka_unit_test(test_tx_ring_full_counted),
		cmocka_unit_test(test_chained_mbuf_dropped),
	};
	return cmocka_run_group_tests_name("port_dpdk", tests, group_setup, group_teardown);
}
