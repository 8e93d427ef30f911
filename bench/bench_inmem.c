/* In-memory benchmark of the stack, with no I/O. Frames are built untimed
 * into the stack's frame buffers; the timed part is exactly what the worker
 * does with a burst (stack_input_burst: parse, verify checksums, look up the
 * connection, TCP, Modbus, the reply written in place) and the telemetry's
 * record of the burst (telemetry.h). Every reply is checked after its round.
 * A round goes through in windows of WINDOW frames, built, timed and checked
 * in turn: a worker sees at most an rx ring of frames at once, written just
 * before (by the NIC or the kernel's copy), whatever its connection count.
 *
 *   bench_inmem [--conns N[,N...]] [--rounds N] [--burst B] [--devices D]
 *       FC 03 (10 registers) requests, one per connection per round, over N
 *       established connections (up to 1,000,000: 16 ports on each of up to
 *       62,500 sources in 198.19.0.0/16), B frames per burst (default and at
 *       most MBX_BURST; 1 is a lone client's case, telemetry's worst). Each
 *       N of a list runs in turn on a fresh stack and prints its figures;
 *       without --rounds, each runs 2,000,000 / N rounds (at least 11).
 *       Without --devices, to the default model (one device answering every
 *       address); with it, to D simulated devices of 100 holding registers
 *       each: D unit ids 1..D on one address when D <= 10, else D / 10
 *       addresses with units 1..10, each device with registers of its own.
 *       Connection i talks to device i mod D.
 *   bench_inmem ... --ipv6
 *       The same over IPv6 (RFC 8200): the same connection counts, from
 *       sources in 2001:2:0:1::/64 (62,500 of them for a million) to
 *       2001:2::1, or to the devices from 2001:2::a on, so that a
 *       request's cost over IPv6 compares with its cost over IPv4.
 *   bench_inmem --lifecycles N [--conns B]
 *       N whole connections, B at a time: SYN, ACK, request, FIN, last ACK.
 *       Fails unless every batch ends with an empty table, the ADU and
 *       send buffer pools whole, and resident memory flat (the soak test
 *       runs it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "frame_build.h"
#include "default_image.h"
#include "stack_harness.h"
#include "telemetry.h"

#define MAX_CONNS 1000000
#define MAX_COUNTS 8 /* connection counts in one --conns list */
/* Frames of a round built, timed and checked at a time: an rx ring
 * (port_afxdp.c), the most a worker finds waiting. */
#define WINDOW 2048
#define PORTS_PER_SOURCE 16
#define SOURCE_FIRST 0xc6130000 /* 198.19.0.0 */

struct conn_state {
	struct fb_flow fl;
	uint32_t seq, ack;
};

static struct harness h;
static struct conn_state *cs;
static struct mbx_frame frames[WINDOW];
static struct telemetry tel;
static struct telemetry_worker tel_worker;
static uint32_t burst = MBX_BURST;
static int ipv6; /* --ipv6 */

/* The device each connection talks to, and where its requests read. */
#define DEVICE_REGS 100
#define DEVICE_SPAN 90 /* first registers read: 10 fit from any of them */
#define DEVICE_ADDR_FIRST 0xc612000a /* 198.18.0.10 */
/* 2001:2::a, the devices' first IPv6 address; its last 32 bits count up */
static const uint8_t device_addr6_first[16] = { 0x20, 0x01, 0, 2, [15] = 0x0a };
static uint32_t n_devices, n_servers, units_per_server;
static uint32_t addr_span = 0x1000; /* default model: 4,096 first registers */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int fail(const char *fmt, uint64_t a, uint64_t b)
{
	fprintf(stderr, "bench_inmem: ");
	fprintf(stderr, fmt, (unsigned long long)a, (unsigned long long)b);
	fprintf(stderr, "\n");
	return 1;
}

/* Connection i: PORTS_PER_SOURCE ports of source SOURCE_FIRST + i / 16, so
 * a million connections come from 62,500 addresses, as from a large plant;
 * over IPv6 of source 2001:2:0:1:: + i / 16. */
static struct fb_flow flow(uint32_t i)
{
	struct fb_flow fl = {
		.client_mac = { 2, 0, 0, 0, 0, 2 }, .server_mac = { 2, 0, 0, 0, 0, 1 },
		.client_ip = SOURCE_FIRST + i / PORTS_PER_SOURCE,
		.server_ip = n_devices ? DEVICE_ADDR_FIRST + (i % n_devices) % n_servers : 0xc6120001,
		.client_port = (uint16_t)(10000 + i % PORTS_PER_SOURCE), .server_port = 502, .vlan = -1,
		.v6 = ipv6,
		.client_ip6 = { 0x20, 0x01, 0, 2, 0, 1 },
		.server_ip6 = { 0x20, 0x01, 0, 2, [15] = 1 },
	};

	fb_put32(fl.client_ip6 + 12, i / PORTS_PER_SOURCE);
	if (n_devices) {
		memcpy(fl.server_ip6, device_addr6_first, 16);
		fb_put32(fl.server_ip6 + 12, fb_get32(device_addr6_first + 12) + (i % n_devices) % n_servers);
	}
	return fl;
}

static uint8_t unit_of(uint32_t conn)
{
	return n_devices ? (uint8_t)((conn % n_devices) / n_servers + 1) : 1;
}

static uint16_t addr_of(uint32_t round, uint32_t conn)
{
	return (uint16_t)((round * 7 + conn) % addr_span);
}

static void fc03(uint8_t *req, uint16_t tid, uint8_t unit, uint16_t addr)
{
	const uint8_t r[12] = { (uint8_t)(tid >> 8), (uint8_t)tid, 0, 0, 0, 6, unit, 3,
				(uint8_t)(addr >> 8), (uint8_t)addr, 0, 10 };
	memcpy(req, r, sizeof(r));
}

/* Builds one segment for each of connections first..first+n-1 (n at most
 * WINDOW) into fresh frames. */
static void build(uint32_t first, uint32_t n, uint8_t flags, int with_request, uint32_t round)
{
	uint8_t req[12];

	for (uint32_t i = 0; i < n; i++) {
		const struct conn_state *c = &cs[first + i];

		fc03(req, (uint16_t)(round + first + i), unit_of(first + i), addr_of(round, first + i));
		harness_frame(&h, &frames[i]);
		frames[i].len = (uint32_t)fb_tcp(frames[i].data, &c->fl, c->seq, c->ack, flags, 65535, 0,
						 0, req, with_request ? sizeof(req) : 0);
	}
}

/* What the worker does with each burst it receives; returns the time. */
static uint64_t run(uint32_t n)
{
	struct mbx_frame drop[MBX_BURST];
	uint64_t t0 = now_ns();

	for (uint32_t i = 0; i < n; i += burst) {
		uint32_t k = n - i < burst ? n - i : burst;
		uint64_t t0 = tsc_read(), requests_before = h.stack->mb->ctr.mb_requests;
		uint32_t d = stack_input_burst(h.stack, frames + i, k, drop);

		telemetry_tick(&tel_worker, telemetry_burst(&tel_worker, t0, requests_before));

		for (uint32_t j = 0; j < d; j++) /* unanswered: back to the pool */
			h.free_list[h.n_free++] = (uint32_t)drop[j].handle;
	}
	return now_ns() - t0;
}

/* Checks the replies to the FC 03 requests of connections first..first+n-1
 * and advances their sequence numbers. */
static int check_responses(uint32_t first, uint32_t n, uint32_t round, uint8_t extra_flags)
{
	if (h.n_out != n)
		return fail("round %llu: %llu replies", round, h.n_out);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t conn = first + i;
		uint16_t tid = (uint16_t)(round + conn), addr = addr_of(round, conn);
		struct conn_state *c = &cs[conn];
		struct fb_seg s;

		fb_parse(h.out[i].data, h.out[i].len, &s);
		if (!s.ok || s.v6 != ipv6 || s.len != 29 || s.seq != c->ack || s.ack != c->seq + 12 + !!extra_flags ||
		    s.flags != (FB_ACK | FB_PSH | extra_flags) || s.payload[7] != 3 || s.payload[8] != 20 ||
		    (s.payload[0] << 8 | s.payload[1]) != tid || s.payload[6] != unit_of(conn) ||
		    (s.payload[9] << 8 | s.payload[10]) != addr ||
		    (s.payload[27] << 8 | s.payload[28]) != (uint16_t)(addr + 9))
			return fail("round %llu connection %llu: wrong reply", round, conn);
		c->seq += 12 + !!extra_flags;
		c->ack += 29 + !!extra_flags;
	}
	harness_clear(&h);
	return 0;
}

/* A round of FC 03 requests (with FIN if extra_flags says so) on
 * connections 0..n-1, window by window; adds the timed part to *ns. */
static int request_round(uint32_t n, uint32_t round, uint8_t extra_flags, uint64_t *ns)
{
	for (uint32_t first = 0; first < n; first += WINDOW) {
		uint32_t k = n - first < WINDOW ? n - first : WINDOW;

		build(first, k, FB_PSH | FB_ACK | extra_flags, 1, round);
		*ns += run(k);
		if (check_responses(first, k, round, extra_flags))
			return 1;
	}
	return 0;
}

/* An ACK from each of connections 0..n-1, which must draw no reply. */
static int ack_round(uint32_t n, uint64_t *ns)
{
	for (uint32_t first = 0; first < n; first += WINDOW) {
		uint32_t k = n - first < WINDOW ? n - first : WINDOW;

		build(first, k, FB_ACK, 0, 0);
		*ns += run(k);
		if (h.n_out)
			return fail("%llu replies to %llu ACKs", h.n_out, k);
	}
	return 0;
}

/* A real handshake for connections 0..n-1 (flows from base); the timed part
 * of it is added to *ns. */
static int handshake(uint32_t n, uint32_t base, uint64_t *ns)
{
	for (uint32_t i = 0; i < n; i++) {
		cs[i].fl = flow(base + i);
		cs[i].seq = 0; /* the client's ISN */
		cs[i].ack = 0;
	}
	for (uint32_t first = 0; first < n; first += WINDOW) {
		uint32_t k = n - first < WINDOW ? n - first : WINDOW;

		build(first, k, FB_SYN, 0, 0);
		*ns += run(k);
		if (h.n_out != k)
			return fail("%llu SYN-ACKs for %llu SYNs", h.n_out, k);
		for (uint32_t i = 0; i < k; i++) {
			struct conn_state *c = &cs[first + i];
			struct fb_seg s;

			fb_parse(h.out[i].data, h.out[i].len, &s);
			if (!s.ok || s.v6 != ipv6 || s.flags != (FB_SYN | FB_ACK) || s.ack != 1)
				return fail("connection %llu: bad SYN-ACK (%llu)", first + i, s.flags);
			c->seq = 1;
			c->ack = s.seq + 1;
		}
		harness_clear(&h);
	}
	return ack_round(n, ns);
}

static long resident_kib(void)
{
	long pages_total, pages_resident = -1;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2)
			pages_resident = -1;
		fclose(f);
	}
	return pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int bench_requests(uint32_t n_conns, uint32_t rounds)
{
	uint64_t total_ns = 0, setup_ns = 0, *round_ns = calloc(rounds, sizeof(uint64_t));

	if (!round_ns || handshake(n_conns, 0, &setup_ns))
		return 1;
	if (stack_open_connections(h.stack) != n_conns)
		return fail("only %llu of %llu connections opened", stack_open_connections(h.stack), n_conns);
	for (uint32_t r = 0; r < rounds; r++) {
		if (request_round(n_conns, r, 0, &round_ns[r]))
			return 1;
		total_ns += round_ns[r];
	}
	/* The median round is the figure: on a shared or virtual machine a few
	 * rounds are stretched by the host, and the mean shows them too. */
	qsort(round_ns, rounds, sizeof(*round_ns), cmp_u64);
	{
		double median = (double)round_ns[rounds / 2] / n_conns;
		double mean = (double)total_ns / ((double)n_conns * rounds);

		printf("ip_version %d\ndevices %u\nconnections %u\nrequests %llu\nns_per_request_median %.1f\n"
		       "ns_per_request_mean %.1f\nns_per_request_p99 %.1f\nmrps_median %.2f\n",
		       ipv6 ? 6 : 4, n_devices ? n_devices : 1, n_conns, (unsigned long long)n_conns * rounds, median, mean,
		       (double)round_ns[rounds - 1 - rounds / 100] / n_conns, 1000.0 / median);
	}
	free(round_ns);
	return 0;
}

static int bench_lifecycles(uint32_t batch, uint64_t total)
{
	uint64_t batches = (total + batch - 1) / batch, done = 0;
	uint64_t *batch_ns = calloc(batches, sizeof(uint64_t));
	long rss_start = 0, rss_end;

	if (!batch_ns)
		return fail("out of memory%llu%llu", 0, 0);
	for (uint64_t b = 0; b < batches; b++) {
		uint32_t n = (uint32_t)(total - done < batch ? total - done : batch);
		uint64_t ns = 0;

		/* Tuples move on each batch, as new clients' would. */
		if (handshake(n, (uint32_t)((b * batch) % MAX_CONNS), &ns) ||
		    request_round(n, (uint32_t)b, 0, &ns) || request_round(n, (uint32_t)b + 1, FB_FIN, &ns) ||
		    ack_round(n, &ns))
			return 1;
		if (stack_open_connections(h.stack))
			return fail("batch %llu ends with %llu connections open", b,
				    stack_open_connections(h.stack));
		if (h.stack->rx_bufs.n_free != h.stack->rx_bufs.capacity ||
		    h.stack->snd.n_free != h.stack->snd.capacity || h.n_free != h.n_frames)
			return fail("batch %llu: buffers or frames not all returned%llu", b, 0);
		batch_ns[b] = ns / n;
		done += n;
		if (b == 0)
			rss_start = resident_kib();
	}
	rss_end = resident_kib();
	qsort(batch_ns, batches, sizeof(*batch_ns), cmp_u64);
	printf("lifecycles %llu\nframes_per_lifecycle 5\nns_per_lifecycle_median %llu\n"
	       "resident_kib_after_first_batch %ld\nresident_kib_at_end %ld\n",
	       (unsigned long long)done, (unsigned long long)batch_ns[batches / 2], rss_start, rss_end);
	free(batch_ns);
	if (h.stack->ctr.conn_opened != done || h.stack->ctr.conn_closed != done)
		return fail("%llu opened, %llu closed", h.stack->ctr.conn_opened, h.stack->ctr.conn_closed);
	if (rss_end - rss_start > 1024)
		return fail("resident memory grew by %llu KiB%llu", (uint64_t)(rss_end - rss_start), 0);
	return 0;
}

/* The model of --devices: servers from 198.18.0.10 on (with --ipv6 from
 * 2001:2::a on), each with units 1..units_per_server of DEVICE_REGS
 * holding registers holding their addresses (so replies check as with the
 * default model). */
static void devices_model(struct cfg_model *m, struct cfg_server *srv, struct cfg_unit *unit)
{
	memset(unit, 0, sizeof(*unit));
	unit->first_id = 1;
	unit->last_id = units_per_server;
	unit->table[CFG_HOLDING_REGISTERS].count = DEVICE_REGS;
	unit->table[CFG_HOLDING_REGISTERS].init = CFG_INIT_ADDRESS;
	default_image_identity(unit->id_objects);
	memset(srv, 0, sizeof(*srv));
	if (ipv6) {
		memcpy(srv->first6, device_addr6_first, 16);
		srv->n6 = n_servers;
	} else {
		srv->first_addr = DEVICE_ADDR_FIRST;
		srv->last_addr = DEVICE_ADDR_FIRST + n_servers - 1;
	}
	srv->own_unit = CFG_OWN_UNIT_LOWEST;
	srv->units = unit;
	srv->n_units = 1;
	memset(m, 0, sizeof(*m));
	m->file = "(bench_inmem --devices)";
	m->servers = srv;
	m->n_servers = 1;
	addr_span = DEVICE_SPAN;
}

/* Parses "N[,N...]" into counts[]; returns how many, 0 if malformed. */
static uint32_t parse_counts(const char *s, uint32_t *counts)
{
	uint32_t n = 0;

	for (;;) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v == 0 || v > MAX_CONNS || n == MAX_COUNTS)
			return 0;
		counts[n++] = (uint32_t)v;
		if (*end == 0)
			return n;
		if (*end != ',')
			return 0;
		s = end + 1;
	}
}

/* One run on a fresh stack for n connections: requests, or lifecycles. */
static int bench(uint32_t n, uint32_t rounds, uint64_t lifecycles, const struct cfg_model *model,
		 const struct tsc_clock *clock)
{
	int rc;

	if (harness_init_model(&h, n, WINDOW * 2 + 64, model) < 0) {
		fprintf(stderr, "bench_inmem: out of memory for %u connections\n", n);
		return 1;
	}
	if (telemetry_open_private(&tel, 1, clock) < 0) {
		fprintf(stderr, "bench_inmem: out of memory\n");
		return 1;
	}
	telemetry_attach(&tel_worker, &tel, 0, h.stack, NULL, NULL, clock);
	if (lifecycles)
		rc = bench_lifecycles(n, lifecycles);
	else
		rc = bench_requests(n, rounds ? rounds : (2000000 / n > 11 ? 2000000 / n : 11));
	telemetry_close(&tel);
	harness_free(&h);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_inmem [--conns N[,N...]] [--rounds N] [--burst B] [--devices D] [--ipv6]\n"
		   "       bench_inmem --lifecycles N [--conns B] [--ipv6]\n"
		   "  the stack in memory, no I/O: ns per FC 03 request, or per whole connection\n"
		   "  --conns       connections, 1 to 1000000; a list runs each on a fresh stack\n"
		   "                (up to 8; default 1000); with --lifecycles, how many at a time\n"
		   "  --rounds      requests per connection (default 2000000 / N, at least 11)\n"
		   "  --burst       frames per burst, 1 to %u (default %u)\n"
		   "  --devices     D simulated devices: 1 to 10, or a multiple of 10 up to 100000\n"
		   "  --ipv6        the same over IPv6\n"
		   "  --lifecycles  N whole connections: SYN, ACK, request, FIN, last ACK\n"
		   "  --help, --version\n",
		MBX_BURST, MBX_BURST);
}

int main(int argc, char **argv)
{
	uint32_t counts[MAX_COUNTS] = { 1000 }, n_counts = 1, rounds = 0, max_count = 0;
	uint64_t lifecycles = 0;
	struct cfg_model model;
	struct cfg_server server;
	static struct cfg_unit unit;
	struct tsc_clock clock;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--conns"))
			n_counts = parse_counts(argv[++i], counts);
		else if (i + 1 < argc && !strcmp(argv[i], "--rounds") &&
			 (rounds = (uint32_t)strtoul(argv[i + 1], 0, 10)) > 0)
			i++;
		else if (i + 1 < argc && !strcmp(argv[i], "--burst"))
			burst = (uint32_t)strtoul(argv[++i], 0, 10);
		else if (i + 1 < argc && !strcmp(argv[i], "--lifecycles"))
			lifecycles = strtoull(argv[++i], 0, 10);
		else if (i + 1 < argc && !strcmp(argv[i], "--devices"))
			n_devices = (uint32_t)strtoul(argv[++i], 0, 10);
		else if (!strcmp(argv[i], "--ipv6"))
			ipv6 = 1;
		else if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("bench_inmem %s\n", MBXDP_VERSION);
			return 0;
		} else
			n_counts = 0;
	}
	units_per_server = n_devices <= 10 ? n_devices : 10;
	n_servers = n_devices <= 10 ? 1 : n_devices / 10;
	for (uint32_t i = 0; i < n_counts; i++)
		max_count = counts[i] > max_count ? counts[i] : max_count;
	if (n_counts == 0 || burst == 0 ||
	    burst > MBX_BURST || n_devices > 100000 || (n_devices > 10 && n_devices % 10) ||
	    (lifecycles && n_counts != 1)) {
		usage(stderr);
		return 2;
	}
	if (n_devices)
		devices_model(&model, &server, &unit);
	cs = calloc(max_count, sizeof(*cs));
	if (!cs || tsc_calibrate(&clock, 50) < 0) {
		fprintf(stderr, "bench_inmem: no TSC, or out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < n_counts && rc == 0; i++)
		rc = bench(counts[i], rounds, lifecycles, n_devices ? &model : NULL, &clock);
	free(cs);
	return rc;
}
