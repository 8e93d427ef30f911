/* The load generator's own floor, in memory: mbxdp-bench's kernel-bypass
 * master (bypass.h, the worker --afxdp runs, a turn of its loop at a time)
 * against mbxdp's server stack behind the engine's worker, each on an
 * in-memory port (pmd_glue/port_mem.h), on one thread. This program plays
 * the wire between the two ports, and times each side's turns apart with
 * the cycle counter: what one request costs the generator (its stack, the
 * request built, the answer checked, its scan and timers) and what it costs
 * the server (its stack and Modbus), with no I/O and no other CPU. Every
 * answer is checked, as over the network; the exit status is 1 when any
 * was wrong, missing or late, or a server connection outlived the
 * generator's final resets. --ipv6: the same over IPv6, to set each side's
 * IPv6 cost beside its IPv4 one.
 *
 *   bench_generator [--connections N] [--pipeline D] [--warmup S] [--duration S] [--ipv6] */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bypass.h"
#include "devmodel.h"
#include "modbus/modbus.h"
#include "port_mem.h"
#include "stack.h"
#include "tsc.h"
#include "worker.h"

#define CONNS_MAX 65536u
#define MTU 1500u
#define FRAME_SIZE 2048u
#define SERVER_IP "198.18.0.1"
#define SOURCE "198.18.128.0/17" /* as the lab's million-connection run */
#define SERVER_IP6 "2001:2::1"
#define SOURCE6 "2001:2::400/118" /* the widest IPv6 --source */

static const uint8_t SERVER_MAC[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t CLIENT_MAC[6] = { 2, 0, 0, 0, 0, 2 };

static volatile sig_atomic_t stop;

struct server {
	struct mbx_port *port;
	struct stack *stack;
	struct worker w;
	struct devmodel dm;
};

/* Everything sent on from is received on to, in order; a frame to has no
 * room for is lost (TCP resends it) and counted. */
static void wire(struct mbx_port *from, struct mbx_port *to, uint64_t *lost)
{
	struct mbx_frame f[MBX_BURST];
	uint32_t n;

	while ((n = mbx_mem_take_tx(from, f, MBX_BURST))) {
		for (uint32_t i = 0; i < n; i++)
			*lost += mbx_mem_inject(to, f[i].data, f[i].len) < 0;
		mbx_port_release(from, f, n);
	}
}

/* mbxdp's side: the engine's worker with a server stack of the default
 * model on port 502, as mbxdp on AF_XDP runs it (the kernel owns the
 * address, so the stack serves whatever reaches it). */
static int server_open(struct server *s, uint32_t conns, uint32_t frames, char *err, size_t errlen)
{
	static const uint16_t port = MB_TCP_PORT;
	const struct mbx_mem_config mcfg = { .n_frames = frames, .frame_size = FRAME_SIZE };
	struct stack_config cfg = {
		.max_conns = conns + 1024, .mss = MTU - 40, .ports = &port, .n_ports = 1,
		.secret = "floor server secret, 24",
	};

	conn_policy_defaults(&cfg.policy);
	memcpy(cfg.mac, SERVER_MAC, sizeof(cfg.mac));
	if (devmodel_build_default(&s->dm, NULL, err, errlen) < 0)
		return -1;
	s->port = mbx_mem_open(&mcfg, err, errlen);
	s->stack = aligned_alloc(64, (sizeof(*s->stack) + 63) / 64 * 64);
	if (!s->port || !s->stack) {
		snprintf(err, errlen, "out of memory for the server");
		return -1;
	}
	s->w.port = s->port;
	s->w.stack = s->stack;
	s->w.stop = &stop;
	if (stack_init(s->stack, &cfg, &s->dm.model, worker_frame_source(&s->w),
		       worker_frame_sink(&s->w)) < 0) {
		snprintf(err, errlen, "cannot set up a server stack of %u connections", cfg.max_conns);
		free(s->stack);
		s->stack = NULL;
		return -1;
	}
	return 0;
}

static void server_close(struct server *s)
{
	if (s->stack) {
		stack_free(s->stack);
		free(s->stack);
	}
	if (s->port)
		mbx_port_close(s->port);
	devmodel_free(&s->dm);
}

/* What the engine's loop does with what waits: bursts through the stack,
 * the timers once a tick. */
static void server_turn(struct server *s, const struct tsc_clock *clock, uint64_t *next_tick,
			uint64_t tick_tsc)
{
	struct mbx_frame rx[MBX_BURST];
	uint64_t t = tsc_read();
	uint32_t n;

	while ((n = mbx_port_rx(s->port, rx, MBX_BURST))) {
		s->w.burst_tsc = tsc_read();
		worker_burst(&s->w, rx, n, tsc_to_ns(clock, s->w.burst_tsc));
	}
	if (t >= *next_tick) {
		*next_tick = t + tick_tsc;
		worker_tick(&s->w, tsc_to_ns(clock, t));
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_generator [--connections N] [--pipeline D] [--warmup S] [--duration S]\n"
		"         [--ipv6]\n"
		"  mbxdp-bench's kernel-bypass master against mbxdp's stack in memory, one thread:\n"
		"  ns per request of each side, and requests/s of the one core\n"
		"  --connections  1 to %u (default 256)\n"
		"  --pipeline     requests in flight per connection, 1 to %u (default 1)\n"
		"  --warmup       seconds before the measured window (default 0.5)\n"
		"  --duration     seconds measured, 0.1 to 600 (default 2)\n"
		"  --ipv6         over IPv6, from " SOURCE6 " to " SERVER_IP6 " (default IPv4,\n"
		"                 from " SOURCE " to " SERVER_IP ")\n"
		"  --help, --version\n",
		CONNS_MAX, PIPELINE_MAX);
}

static int parse(const char *s, double lo, double hi, double *v)
{
	char *end;

	*v = strtod(s, &end);
	return end == s || *end || !(*v >= lo && *v <= hi);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "connections", required_argument, NULL, 'c' },
		{ "pipeline", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "duration", required_argument, NULL, 't' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char err[128];
	double v;
	int opt, v6 = 0;
	const char *why;

	/* mbxdp-bench's defaults: FC 03 of 10 registers, every value checked,
	 * a 1 s timeout, closed loop. */
	*o = (struct options){ .port = MB_TCP_PORT, .connections = 256,
			       .pipeline = 1, .warmup_s = 0.5, .duration_s = 2, .threads = 1,
			       .timeout_ns = 1000000000ull, .mode = MODE_REQUESTS };
	if (mix_parse("fc3:10", &o->mix, err, sizeof(err)) ||
	    mix_target(&o->mix, MBREQ_UNIT_ID, 0, 0, 1, err, sizeof(err))) {
		fprintf(stderr, "bench_generator: %s\n", err);
		return -1;
	}
	while ((opt = getopt_long(argc, argv, "c:d:w:t:6hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (parse(optarg, 1, CONNS_MAX, &v) || v != (uint32_t)v)
				goto bad;
			o->connections = (uint32_t)v;
			break;
		case 'd':
			if (parse(optarg, 1, PIPELINE_MAX, &v) || v != (uint32_t)v)
				goto bad;
			o->pipeline = (uint32_t)v;
			break;
		case 'w':
			if (parse(optarg, 0, 600, &o->warmup_s))
				goto bad;
			break;
		case 't':
			if (parse(optarg, 0.1, 600, &o->duration_s))
				goto bad;
			break;
		case '6':
			v6 = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("bench_generator %s\n", MBXDP_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		continue;
bad:
		for (const struct option *lo = longopts; lo->name; lo++)
			if (lo->val == opt)
				fprintf(stderr, "bench_generator: bad value '%s' for --%s\n", optarg,
					lo->name);
		return -1;
	}
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	o->host = v6 ? SERVER_IP6 : SERVER_IP;
	why = bypass_parse_source(v6 ? SOURCE6 : SOURCE, &o->source);
	if (why) { /* the constants above are wrong */
		fprintf(stderr, "bench_generator: %s: %s\n", v6 ? SOURCE6 : SOURCE, why);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct server srv;
	static struct histogram h;
	static struct progress pub;
	struct options o;
	struct tsc_clock clock;
	struct counters total = { 0 };
	uint8_t raddr[16];
	char err[256];

	if (parse_options(argc, argv, &o))
		return 2;
	if (tsc_calibrate(&clock, 50) < 0) {
		fprintf(stderr, "bench_generator: the CPU's cycle counter does not advance\n");
		return 1;
	}
	inet_pton(o.source.family, o.host, raddr);
	/* Room for a segment each way per connection and per pipelined
	 * request, and the bursts beside them: the wire never runs short. */
	uint32_t frames = 2 * o.connections * o.pipeline + 4096;
	const struct mbx_mem_config mcfg = { .n_frames = frames, .frame_size = FRAME_SIZE };
	struct mbx_port *gport = mbx_mem_open(&mcfg, err, sizeof(err));
	if (!gport || server_open(&srv, o.connections, frames, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_generator: %s\n", err);
		return 1;
	}
	hist_init(&h);
	struct bworker *gen = bypass_worker_open(&o, gport, CLIENT_MAC, MTU, raddr, SERVER_MAC,
						 &clock, &stop, &pub, err, sizeof(err));
	if (!gen) {
		fprintf(stderr, "bench_generator: %s\n", err);
		return 1;
	}
	uint64_t t_measure, t_end, lost = 0, gen_tsc = 0, srv_tsc = 0, wire_tsc = 0;
	const struct counters *c = bypass_worker_counters(gen, &t_measure, &t_end);
	const uint64_t tick_tsc = (clock.hz << STACK_TICK_SHIFT) / 1000000000u + 1;
	uint64_t next_tick = 0, answered0 = 0, answered1 = 0, w0 = 0, w1 = 0;
	int window = 0; /* 0 before the measured window, 1 in it, 2 after */

	for (;;) {
		uint64_t t0 = tsc_read();
		if (!bypass_worker_turn(gen))
			break;
		uint64_t t1 = tsc_read();
		wire(gport, srv.port, &lost);
		uint64_t t2 = tsc_read();
		server_turn(&srv, &clock, &next_tick, tick_tsc);
		uint64_t t3 = tsc_read();
		wire(srv.port, gport, &lost);
		uint64_t t4 = tsc_read();
		uint64_t now = tsc_to_ns(&clock, t4);

		/* Only the measured window's turns and answers count. */
		if (window == 0 && now >= t_measure) {
			window = 1;
			answered0 = c->answered;
			w0 = t4;
			continue;
		}
		if (window == 1) {
			gen_tsc += t1 - t0;
			srv_tsc += t3 - t2;
			wire_tsc += (t2 - t1) + (t4 - t3);
			if (now >= t_end) {
				window = 2;
				answered1 = c->answered;
				w1 = t4;
			}
		}
	}
	bypass_worker_close(gen, &total, &h);
	/* The final resets reach the server, which frees every connection. */
	wire(gport, srv.port, &lost);
	server_turn(&srv, &clock, &next_tick, 0);
	uint32_t server_left = stack_open_connections(srv.stack);

	uint64_t n = answered1 - answered0;
	double ns = 1e9 / (double)clock.hz;
	double gen_ns = n ? (double)gen_tsc * ns / (double)n : 0;
	double srv_ns = n ? (double)srv_tsc * ns / (double)n : 0;
	double wire_ns = n ? (double)wire_tsc * ns / (double)n : 0;
	double secs = (double)(w1 - w0) * ns / 1e9;
	printf("%u connections x depth %u over %s, %.1f s: %llu requests answered right, %llu errors, "
	       "%llu unanswered, %llu frames lost on the wire\n",
	       o.connections, o.pipeline, o.source.family == AF_INET6 ? "IPv6" : "IPv4", secs, (unsigned long long)total.ok,
	       (unsigned long long)errors_of(&total), (unsigned long long)unanswered_of(&total),
	       (unsigned long long)lost);
	printf("  generator %.1f ns/request, server %.1f ns/request, wire (copies) %.1f ns/request\n",
	       gen_ns, srv_ns, wire_ns);
	printf("  one core, both sides: %.0f requests/s; the generator alone: %.0f requests/s\n",
	       secs > 0 ? (double)n / secs : 0, gen_ns > 0 ? 1e9 / gen_ns : 0);
	printf("  latency p50 %.1f us, p99 %.1f us; server connections left %u\n",
	       (double)hist_percentile(&h, 50) / 1e3, (double)hist_percentile(&h, 99) / 1e3,
	       server_left);
	server_close(&srv);
	mbx_port_close(gport);
	return errors_of(&total) || total.ok == 0 || unanswered_of(&total) || window != 2 || server_left
		       ? 1
		       : 0;
}
