/* In-memory benchmark: FC 03 requests (10 registers) for many established
 * connections through the real stack code, with no I/O. Request frames are
 * built untimed into the stack's frame buffers; the timed part is exactly
 * what the worker does per frame (parse, verify checksums, look up the
 * connection, answer Modbus, write the reply in place). Every reply is
 * checked after its round. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frame_build.h"
#include "stack_harness.h"

struct conn_state {
	struct fb_flow fl;
	uint32_t seq, ack;
};

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

static int usage(void)
{
	fprintf(stderr, "usage: bench_inmem [--conns N] [--rounds N]\n"
			"  FC 03 (10 registers) requests, one per connection per round\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint32_t n_conns = 1000, rounds = 2000;
	struct harness h;
	struct conn_state *cs;
	struct mbx_frame *frames;
	uint64_t total_ns = 0, *round_ns;
	uint8_t buf[256];
	struct mbx_frame drop[MBX_BURST];

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--conns"))
			n_conns = (uint32_t)strtoul(argv[++i], 0, 10);
		else if (i + 1 < argc && !strcmp(argv[i], "--rounds"))
			rounds = (uint32_t)strtoul(argv[++i], 0, 10);
		else
			return usage();
	}
	if (n_conns == 0 || n_conns > 60000 || rounds == 0)
		return usage();
	cs = calloc(n_conns, sizeof(*cs));
	frames = calloc(n_conns, sizeof(*frames));
	round_ns = calloc(rounds, sizeof(*round_ns));
	if (!cs || !frames || !round_ns || harness_init(&h, n_conns, n_conns * 2 + 64) < 0) {
		fprintf(stderr, "bench_inmem: out of memory\n");
		return 1;
	}
	/* Open every connection with a real handshake. */
	for (uint32_t i = 0; i < n_conns; i++) {
		struct fb_seg s;
		struct fb_flow fl = {
			.client_mac = { 2, 0, 0, 0, 0, 2 }, .server_mac = { 2, 0, 0, 0, 0, 1 },
			.client_ip = 0xc6120002 + (i >> 14), .server_ip = 0xc6120001,
			.client_port = (uint16_t)(10000 + (i & 0x3fff)), .server_port = 502, .vlan = -1,
		};
		size_t n;

		cs[i].fl = fl;
		cs[i].seq = 1;
		n = fb_tcp(buf, &fl, 0, 0, FB_SYN, 65535, 0, 0, 0, 0);
		harness_input(&h, buf, n);
		fb_parse(h.out[0].data, h.out[0].len, &s);
		cs[i].ack = s.seq + 1;
		harness_clear(&h);
		n = fb_tcp(buf, &fl, cs[i].seq, cs[i].ack, FB_ACK, 65535, 0, 0, 0, 0);
		harness_input(&h, buf, n);
	}
	if (stack_open_connections(h.stack) != n_conns || h.stack->ctr.conn_opened != n_conns) {
		fprintf(stderr, "bench_inmem: only %u of %u connections opened\n",
			stack_open_connections(h.stack), n_conns);
		return 1;
	}

	for (uint32_t r = 0; r < rounds; r++) {
		uint64_t t0, t1;

		for (uint32_t i = 0; i < n_conns; i++) {
			uint16_t tid = (uint16_t)(r + i), addr = (uint16_t)((r * 7 + i) & 0xfff);
			const uint8_t req[12] = { (uint8_t)(tid >> 8), (uint8_t)tid, 0, 0, 0, 6, 1, 3,
						  (uint8_t)(addr >> 8), (uint8_t)addr, 0, 10 };

			harness_frame(&h, &frames[i]);
			frames[i].len = (uint32_t)fb_tcp(frames[i].data, &cs[i].fl, cs[i].seq, cs[i].ack,
							 FB_PSH | FB_ACK, 65535, 0, 0, req, sizeof(req));
		}
		/* What the worker does with each burst it receives. */
		t0 = now_ns();
		for (uint32_t i = 0; i < n_conns; i += MBX_BURST) {
			uint32_t n = n_conns - i < MBX_BURST ? n_conns - i : MBX_BURST;

			if (stack_input_burst(h.stack, frames + i, n, drop)) {
				fprintf(stderr, "bench_inmem: round %u: a request was dropped\n", r);
				return 1;
			}
		}
		t1 = now_ns();
		total_ns += t1 - t0;
		round_ns[r] = t1 - t0;

		if (h.n_out != n_conns) {
			fprintf(stderr, "bench_inmem: round %u: %u replies for %u requests\n", r, h.n_out, n_conns);
			return 1;
		}
		for (uint32_t i = 0; i < n_conns; i++) {
			uint16_t tid = (uint16_t)(r + i), addr = (uint16_t)((r * 7 + i) & 0xfff);
			struct fb_seg s;

			fb_parse(h.out[i].data, h.out[i].len, &s);
			if (!s.ok || s.len != 29 || s.seq != cs[i].ack || s.ack != cs[i].seq + 12 ||
			    s.payload[7] != 3 || s.payload[8] != 20 || (s.payload[0] << 8 | s.payload[1]) != tid ||
			    (s.payload[9] << 8 | s.payload[10]) != addr ||
			    (s.payload[27] << 8 | s.payload[28]) != (uint16_t)(addr + 9)) {
				fprintf(stderr, "bench_inmem: round %u connection %u: wrong reply\n", r, i);
				return 1;
			}
			cs[i].seq += 12;
			cs[i].ack += 29;
		}
		harness_clear(&h);
	}
	/* The median round is the figure: on a shared or virtual machine a few
	 * rounds are stretched by the host, and the mean shows them too. */
	qsort(round_ns, rounds, sizeof(*round_ns), cmp_u64);
	{
		double median = (double)round_ns[rounds / 2] / n_conns;
		double mean = (double)total_ns / ((double)n_conns * rounds);

		printf("connections %u\nrequests %llu\nns_per_request_median %.1f\n"
		       "ns_per_request_mean %.1f\nns_per_request_p99 %.1f\nmrps_median %.2f\n",
		       n_conns, (unsigned long long)n_conns * rounds, median, mean,
		       (double)round_ns[rounds - 1 - rounds / 100] / n_conns, 1000.0 / median);
	}
	harness_free(&h);
	free(cs);
	free(frames);
	free(round_ns);
	return 0;
}
