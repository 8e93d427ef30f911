/* bench_steer: what the steering program costs per frame, by configuration.
 *
 * Loads mbxdp_steer through the loader (mbx_xdp_load: maps filled as mbxdp
 * fills them, nothing attached) and runs one frame through it REPEAT times
 * with BPF_PROG_TEST_RUN, which reports the mean time per run; the median
 * of ROUNDS such runs is printed per case. Needs root (CAP_BPF); the
 * interface is only read (index and MAC), lo by default.
 *
 *   bench_steer [--iface IF] [--repeat N] [--rounds N]
 *
 * The steered frames meet an empty xsks_map, so they end in XDP_DROP after
 * the redirect lookup (xdp_no_socket_for_queue) instead of the socket: the
 * program's work is the same up to the redirect itself.
 *
 * An answered frame (the echo request) is rewritten in place, and a test
 * run's repeats share one buffer: the second repeat would see the reply. So
 * these cases make REPEAT test runs of one frame each and report their
 * mean, which includes a clock read per frame; the steered SYN is measured
 * that way too, as the row to compare with. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "frame_build.h"
#include "loader.h"

#define ROUNDS_MAX 101
#define ALLOW_PREFIXES 1000

struct bench_case {
	const char *name;
	uint32_t n_addrs; /* served: 198.19.0.0 up; 0: any address */
	uint32_t n_allow; /* /32 prefixes from 198.18.1.0 up, server 0 */
	uint32_t src; /* host order */
	uint16_t dport; /* 0: an ICMP echo request with 56 bytes of data (ping's default) */
	uint32_t verdict;
	int one_per_run; /* REPEAT test runs of one frame each */
};

static const struct bench_case cases[] = {
	{ "any address, SYN to 502 (steered)", 0, 0, 0xc6120107, 502, XDP_DROP, 0 },
	{ "any address, SYN to 80 (passed)", 0, 0, 0xc6120107, 80, XDP_PASS, 0 },
	{ "1,024 addresses, SYN to 502 (steered)", 1024, 0, 0xc6120107, 502, XDP_DROP, 0 },
	{ "65,536 addresses, SYN to 502 (steered)", 65536, 0, 0xc6120107, 502, XDP_DROP, 0 },
	{ "65,536 addresses, 1,000-prefix allow-list, allowed source", 65536, ALLOW_PREFIXES,
	  0xc6120108, 502, XDP_DROP, 0 },
	{ "65,536 addresses, 1,000-prefix allow-list, other source (dropped)", 65536,
	  ALLOW_PREFIXES, 0xc6121001, 502, XDP_DROP, 0 },
	{ "65,536 addresses, SYN to 502 (steered), one frame per run", 65536, 0, 0xc6120107, 502,
	  XDP_DROP, 1 },
	{ "65,536 addresses, echo request (answered), one frame per run", 65536, 0, 0xc6120107, 0,
	  XDP_TX, 1 },
};

static int by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int run_case(const char *ifname, const struct bench_case *bc, uint32_t repeat,
		    uint32_t rounds)
{
	static const uint16_t ports[] = { 502 };
	static struct mbx_xdp_addr addrs[65536];
	static struct mbx_xdp_cidr allow[ALLOW_PREFIXES];
	struct fb_flow fl = {
		.client_mac = { 2, 0, 0, 0, 0, 2 },
		.server_mac = { 2, 0, 0, 0, 0, 1 },
		.client_ip = bc->src,
		.server_ip = 0xc6130000 + 700, /* 198.19.2.188: served in every listed case */
		.client_port = 40000,
		.server_port = bc->dport,
		.vlan = -1,
	};
	uint8_t frame[128], out[128];
	uint32_t ns[ROUNDS_MAX];
	size_t len = bc->dport ? fb_tcp(frame, &fl, 1000, 0, FB_SYN, 64240, NULL, 0, NULL, 0)
			       : fb_icmp_echo(frame, &fl, 1, 1, 56);
	struct mbx_xdp_config cfg = {
		.ifname = ifname, .ports = ports, .n_ports = 1,
		.addrs = addrs, .n_addrs = bc->n_addrs, .allow = allow, .n_allow = bc->n_allow,
	};
	char err[256];
	struct mbx_xdp *x;

	for (uint32_t i = 0; i < bc->n_addrs; i++)
		addrs[i] = (struct mbx_xdp_addr){ .addr = htonl(0xc6130000 + i), .answer_arp = 1 };
	/* Every other /32 of 198.18.1.0 up, so the trie has real branching. */
	for (uint32_t i = 0; i < bc->n_allow; i++)
		allow[i] = (struct mbx_xdp_cidr){ .addr = htonl(0xc6120100 + 2 * i), .prefix_len = 32 };
	x = mbx_xdp_load(&cfg, err, sizeof(err));
	if (!x) {
		fprintf(stderr, "bench_steer: %s\n", err);
		return -1;
	}
	for (uint32_t r = 0; r < rounds; r++) {
		uint32_t runs = bc->one_per_run ? repeat : 1;
		uint64_t total = 0;

		for (uint32_t i = 0; i < runs; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
				    .data_size_in = (uint32_t)len, .data_out = out,
				    .data_size_out = sizeof(out), .repeat = bc->one_per_run ? 1 : repeat);

			if (bpf_prog_test_run_opts(mbx_xdp_prog_fd(x), &opts) < 0 ||
			    opts.retval != bc->verdict) {
				fprintf(stderr, "bench_steer: %s: test run failed or verdict %u\n",
					bc->name, opts.retval);
				mbx_xdp_detach(x);
				return -1;
			}
			total += opts.duration;
		}
		ns[r] = (uint32_t)(total / runs);
	}
	mbx_xdp_detach(x);
	qsort(ns, rounds, sizeof(ns[0]), by_value);
	printf("| %s | %u | %u | %u |\n", bc->name, ns[rounds / 2], ns[0], ns[rounds - 1]);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, 0, 'i' },
		{ "repeat", required_argument, 0, 'n' },
		{ "rounds", required_argument, 0, 'r' },
		{ 0, 0, 0, 0 },
	};
	const char *ifname = "lo";
	uint32_t repeat = 1000000, rounds = 5;
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, 0)) != -1) {
		switch (ch) {
		case 'i':
			ifname = optarg;
			break;
		case 'n':
			repeat = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: bench_steer [--iface IF] [--repeat N] [--rounds N]\n");
			return 2;
		}
	}
	if (!repeat || !rounds || rounds > ROUNDS_MAX) {
		fprintf(stderr, "bench_steer: --repeat at least 1, --rounds 1 to %d\n", ROUNDS_MAX);
		return 2;
	}
	printf("| case | ns per frame (median of %u runs of %u) | min | max |\n| --- | --- | --- | --- |\n",
	       rounds, repeat);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (run_case(ifname, &cases[i], repeat, rounds) < 0)
			return 1;
	return 0;
}
