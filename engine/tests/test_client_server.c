/* A client stack against a server stack, both real, each with the engine's
 * worker over an in-memory port (pmd_glue/port_mem.h); the test is the
 * wire between the two ports, and may lose frames on it. Each client
 * connection runs Modbus requests through the server's device model and
 * closes; every answer is checked, every connection must end as it
 * should on both sides, and every frame must be back in its pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devmodel.h"
#include "port_mem.h"
#include "stack.h"
#include "tcp_client.h"
#include "worker.h"

#define MS 1000000ull
#define POOL 4096
#define CONNS 64
#define REQUESTS 20
#define SERVER_IP 0xc6120001u /* 198.18.0.1 */
#define CLIENT_IP 0xc6120002u /* 198.18.0.2 */

static const uint8_t SERVER_MAC[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t CLIENT_MAC[6] = { 2, 0, 0, 0, 0, 2 };

struct side {
	struct mbx_port *port;
	struct stack *stack;
	struct worker w;
};

/* The Modbus master: per connection, the requests answered and the
 * answer being received. */
struct master {
	struct stack *stack;
	uint32_t done[CONNS], closed, why_other, bad_answers, connected;
	uint8_t rx[CONNS][TC_READ_RESP_LEN];
	uint32_t n_rx[CONNS];
	uint16_t addr[CONNS];
};

static struct master M;
static struct side C, S;
static struct devmodel DM;
static volatile sig_atomic_t stop_flag;

static void ask(uint32_t conn)
{
	uint8_t req[12];

	assert_int_equal(stack_send(M.stack, conn,
				    req, (uint32_t)tc_read_req(req, (uint16_t)M.done[conn], M.addr[conn])),
			 0);
}

static void on_established(void *arg, uint32_t conn)
{
	(void)arg;
	assert_true(conn < CONNS);
	M.connected++;
	ask(conn);
}

static void on_received(void *arg, uint32_t conn, const uint8_t *p, uint32_t n)
{
	(void)arg;
	assert_true(M.n_rx[conn] + n <= TC_READ_RESP_LEN);
	memcpy(M.rx[conn] + M.n_rx[conn], p, n);
	M.n_rx[conn] += n;
	if (M.n_rx[conn] < TC_READ_RESP_LEN)
		return;
	M.n_rx[conn] = 0;
	if (!tc_read_resp_at(M.rx[conn], (uint16_t)M.done[conn], M.addr[conn]))
		M.bad_answers++;
	if (++M.done[conn] < REQUESTS)
		ask(conn);
	else
		assert_int_equal(stack_close(M.stack, conn), 0);
}

static void on_closed(void *arg, uint32_t conn, enum stack_close_why why)
{
	(void)arg;
	(void)conn;
	M.closed++;
	if (why != STACK_CLOSED)
		M.why_other++;
}

static const struct stack_app APP = { on_established, on_received, on_closed, NULL };

static void side_open(struct side *sd, const struct stack_config *cfg, const struct mb_model *model)
{
	const struct mbx_mem_config mcfg = { .n_frames = POOL, .frame_size = 2048 };
	char err[256];

	memset(sd, 0, sizeof(*sd));
	sd->port = mbx_mem_open(&mcfg, err, sizeof(err));
	assert_non_null(sd->port);
	sd->stack = aligned_alloc(64, sizeof(*sd->stack));
	assert_non_null(sd->stack);
	sd->w.port = sd->port;
	sd->w.stack = sd->stack;
	sd->w.stop = &stop_flag;
	assert_int_equal(stack_init(sd->stack, cfg, model, worker_frame_source(&sd->w),
				    worker_frame_sink(&sd->w)),
			 0);
}

static void side_close(struct side *sd)
{
	stack_free(sd->stack);
	free(sd->stack);
	/* Every frame is back in the pool, none came back twice. */
	assert_int_equal(mbx_mem_free_frames(sd->port), POOL);
	assert_int_equal(mbx_mem_bad_returns(sd->port), 0);
	mbx_port_close(sd->port);
}

/* The side receives what is queued for it, then its timers run. */
static void side_run(struct side *sd, uint64_t now)
{
	struct mbx_frame f[MBX_BURST];
	uint32_t n;

	while ((n = mbx_port_rx(sd->port, f, MBX_BURST)))
		worker_burst(&sd->w, f, n, now);
	worker_tick(&sd->w, now);
}

/* What from sent goes to to, but every lose-th frame (0: none). */
static void wire(struct side *from, struct side *to, uint32_t lose, uint32_t *count)
{
	struct mbx_frame f[MBX_BURST];
	uint32_t n;

	while ((n = mbx_mem_take_tx(from->port, f, MBX_BURST))) {
		for (uint32_t i = 0; i < n; i++)
			if (!lose || ++*count % lose)
				assert_int_equal(mbx_mem_inject(to->port, f[i].data, f[i].len), 0);
		mbx_port_release(from->port, f, n);
	}
}

static void run(uint32_t lose)
{
	static const uint16_t port = 502;
	const uint32_t server_addr = __builtin_bswap32(SERVER_IP);
	const uint32_t client_addr = __builtin_bswap32(CLIENT_IP);
	struct stack_config scfg = {
		.max_conns = 1024, .mss = 1460, .ports = &port, .n_ports = 1,
		.secret = "server secret, 24 bytes", .addrs = &server_addr, .n_addrs = 1,
	};
	struct stack_config ccfg = {
		/* A request in flight on every connection at once. */
		.max_conns = CONNS, .mss = 1460, .app = &APP, .snd_blocks = CONNS + 8,
		.secret = "client secret, 24 bytes", .addrs = &client_addr, .n_addrs = 1,
	};
	uint64_t now = 0;
	uint32_t count = 0, step;
	char err[256];

	memset(&M, 0, sizeof(M));
	conn_policy_defaults(&scfg.policy);
	conn_policy_defaults(&ccfg.policy);
	memcpy(scfg.mac, SERVER_MAC, 6);
	memcpy(ccfg.mac, CLIENT_MAC, 6);
	assert_int_equal(devmodel_build_default(&DM, NULL, err, sizeof(err)), 0);
	side_open(&S, &scfg, &DM.model);
	/* A client answers as no device: its stack has no model (as
	 * mbxdp-bench's master's). */
	side_open(&C, &ccfg, NULL);
	M.stack = C.stack;
	for (uint32_t i = 0; i < CONNS; i++) {
		uint32_t conn;

		assert_int_equal(stack_connect(C.stack, client_addr, (uint16_t)(40000 + i), server_addr,
					       502, SERVER_MAC, CONN_L2_UNTAGGED, &conn),
				 0);
		assert_int_equal(conn, i);
		M.addr[conn] = (uint16_t)(i * 7);
	}
	worker_flush(&C.w);
	/* A millisecond a step, bounded: 120 s of the stacks' time. */
	for (step = 0; step < 120000 && (M.closed < CONNS || stack_open_connections(S.stack)); step++) {
		now += MS;
		wire(&C, &S, lose, &count);
		side_run(&S, now);
		wire(&S, &C, lose, &count);
		side_run(&C, now);
	}
	assert_true(step < 120000);
	assert_int_equal(M.connected, CONNS);
	assert_int_equal(M.closed, CONNS);
	assert_int_equal(M.why_other, 0);
	assert_int_equal(M.bad_answers, 0);
	for (uint32_t i = 0; i < CONNS; i++)
		assert_int_equal(M.done[i], REQUESTS);
	assert_int_equal(S.stack->mb->ctr.mb_requests >= CONNS * REQUESTS, 1);
	assert_int_equal(C.stack->ctr.conn_connected, CONNS);
	assert_int_equal(C.stack->ctr.conn_closed_active, CONNS);
	assert_int_equal(stack_open_connections(C.stack), 0);
	if (!lose) {
		/* Nothing to repeat: one SYN, one request and one answer each. */
		assert_int_equal(C.stack->ctr.tx_syn, CONNS);
		assert_int_equal(S.stack->ctr.conn_closed, CONNS);
		assert_int_equal(S.stack->mb->ctr.mb_requests, CONNS * REQUESTS);
		assert_int_equal(C.stack->ctr.tx_retransmit_timeout + S.stack->ctr.tx_retransmit_timeout, 0);
	} else {
		assert_true(C.stack->ctr.tx_syn_retransmit > 0);
		assert_true(C.stack->ctr.tx_retransmit_timeout > 0);
	}
	/* The pools are whole again. */
	assert_int_equal(C.stack->snd.n_free, C.stack->snd.capacity);
	assert_int_equal(S.stack->snd.n_free, S.stack->snd.capacity);
	side_close(&C);
	side_close(&S);
	devmodel_free(&DM);
}

static void test_requests_through(void **state)
{
	(void)state;
	run(0);
}

/* Every 7th frame lost, each way: SYNs, SYN-ACKs, requests, answers and
 * FINs go again, and every connection still ends in order. */
static void test_requests_through_loss(void **state)
{
	(void)state;
	run(7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests_through),
		cmocka_unit_test(test_requests_through_loss),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
