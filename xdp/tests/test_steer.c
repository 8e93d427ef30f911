/* The steering program on its fixtures: each record of steer_fixtures.py
 * (configuration, frame in, verdict, counter, frame out) is run through the
 * loaded (not attached) program with BPF_PROG_TEST_RUN, and the verdict,
 * the frame it leaves and the counter that moved are checked. The maps are
 * filled by the loader itself (mbx_xdp_load), so this is the configuration
 * mbxdp runs with.
 *
 *   test_steer IFACE FIXTURES   (FIXTURES: what steer_fixtures.py wrote)
 *
 * IFACE must have the MAC 02:00:00:00:00:01 (run_test_steer.sh makes one in
 * a namespace of its own). The configurations, in steer_fixtures.py's terms:
 * - listed: 198.19.0.1 (server 0, XDP answers ARP), 198.19.0.2 (server 0,
 *   the kernel owns it), 198.19.1.1 (server 1, allow-list 198.18.1.0/24);
 *   and for IPv6 2001:2:0:9::1 (server 0, XDP answers Neighbor
 *   Discovery), 2001:2:0:9::2 (server 0, the kernel owns it),
 *   2001:2:0:a::1 (server 1, which also admits 2001:2:0:1::/64 and
 *   2001:2:0:3::5/128), 2001:2:0:b::1 (server 2, which admits 198.18.1.0/24
 *   only);
 * - any: no address listed, no allow-list (mbxdp without --address);
 * - any_allow: no address listed, server 0 admits 198.18.1.0/24 and
 *   2001:2:0:1::/64;
 * - any_pass: as any, with frames of queues without a socket passed to the
 *   kernel (mbxdp --other-queues pass);
 * - client: in front of mbxdp-bench's master, 198.19.0.1 and
 *   2001:2:0:9::1 its source addresses (XDP answers their ARP and
 *   Neighbor Discovery), the servers' port 502.
 *
 * A frame for the AF_XDP socket meets an empty xsks_map here, so "steered"
 * shows as counted under xdp_no_socket_for_queue: the redirect was tried
 * and found no socket on the queue. Such a frame is dropped, or in any_pass
 * passed to the kernel. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <cmocka.h>
#include <linux/bpf.h>

#include "loader.h"

#define FRAME_MAX 1600 /* the 1,400-byte echo and its headers */
#define MAX_CASES 256

enum config { LISTED, ANY, ANY_ALLOW, ANY_PASS, CLIENT, N_CONFIGS };

static const char *iface;
static struct mbx_xdp *progs[N_CONFIGS];

/* One record of steer_fixtures.py. */
struct steer_case {
	enum config config;
	char name[64];
	uint32_t verdict; /* XDP_PASS, XDP_TX, XDP_DROP */
	enum mbxdp_stat counted; /* the one slot that must move */
	uint8_t in[FRAME_MAX];
	size_t in_len;
	uint8_t out[FRAME_MAX]; /* for XDP_TX, the answer */
	size_t out_len;
};

static uint32_t ipv4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct mbx_xdp_addr6 ipv6(const char *s, uint16_t server, uint8_t answer_nd)
{
	struct mbx_xdp_addr6 a = { .server = server, .answer_nd = answer_nd };

	assert_int_equal(inet_pton(AF_INET6, s, a.addr), 1);
	return a;
}

/* The IPv6 addresses of the listed and client configurations. */
static struct mbx_xdp_addr6 addrs6[4];

static struct mbx_xdp_cidr6 prefix6(const char *s, uint8_t len, uint16_t server)
{
	struct mbx_xdp_cidr6 c = { .prefix_len = len, .server = server };

	assert_int_equal(inet_pton(AF_INET6, s, c.addr), 1);
	return c;
}

/* The IPv6 allow-list of the listed configuration (server 1) and of
 * any_allow (server 0). */
static struct mbx_xdp_cidr6 allow6_1[2], allow6_0[1];

static struct mbx_xdp *load(const struct mbx_xdp_addr *addrs, uint32_t n_addrs,
			    uint32_t n_addrs6, const struct mbx_xdp_cidr *allow, uint32_t n_allow,
			    const struct mbx_xdp_cidr6 *allow6, uint32_t n_allow6,
			    int pass_no_socket, int client)
{
	static const uint16_t ports[] = { 502 };
	const struct mbx_xdp_config cfg = {
		.ifname = iface,
		.ports = ports,
		.n_ports = 1,
		.addrs = addrs,
		.n_addrs = n_addrs,
		.addrs6 = addrs6,
		.n_addrs6 = n_addrs6,
		.allow = allow,
		.n_allow = n_allow,
		.allow6 = allow6,
		.n_allow6 = n_allow6,
		.pass_no_socket = pass_no_socket,
		.client = client,
	};
	char err[256];
	struct mbx_xdp *x = mbx_xdp_load(&cfg, err, sizeof(err));

	if (!x)
		fprintf(stderr, "test_steer: %s\n", err);
	return x;
}

static int load_all(void **state)
{
	const struct mbx_xdp_addr addrs[] = {
		{ .addr = ipv4("198.19.0.1"), .server = 0, .answer_arp = 1 },
		{ .addr = ipv4("198.19.0.2"), .server = 0, .answer_arp = 0 },
		{ .addr = ipv4("198.19.1.1"), .server = 1, .answer_arp = 1 },
	};
	const struct mbx_xdp_cidr allow1[] = {
		{ .addr = ipv4("198.18.1.0"), .prefix_len = 24, .server = 1 },
		{ .addr = ipv4("198.18.1.0"), .prefix_len = 24, .server = 2 },
	};
	const struct mbx_xdp_cidr allow0[] = { { .addr = ipv4("198.18.1.0"), .prefix_len = 24, .server = 0 } };

	(void)state;
	addrs6[0] = ipv6("2001:2:0:9::1", 0, 1);
	addrs6[1] = ipv6("2001:2:0:9::2", 0, 0);
	addrs6[2] = ipv6("2001:2:0:a::1", 1, 1);
	addrs6[3] = ipv6("2001:2:0:b::1", 2, 1);
	allow6_1[0] = prefix6("2001:2:0:1::", 64, 1);
	allow6_1[1] = prefix6("2001:2:0:3::5", 128, 1);
	allow6_0[0] = prefix6("2001:2:0:1::", 64, 0);
	progs[LISTED] = load(addrs, 3, 4, allow1, 2, allow6_1, 2, 0, 0);
	progs[ANY] = load(NULL, 0, 0, NULL, 0, NULL, 0, 0, 0);
	progs[ANY_ALLOW] = load(NULL, 0, 0, allow0, 1, allow6_0, 1, 0, 0);
	progs[ANY_PASS] = load(NULL, 0, 0, NULL, 0, NULL, 0, 1, 0);
	progs[CLIENT] = load(addrs, 1, 1, NULL, 0, NULL, 0, 0, 1);
	return progs[LISTED] && progs[ANY] && progs[ANY_ALLOW] && progs[ANY_PASS] && progs[CLIENT] ?
		       0 :
		       -1;
}

static int unload_all(void **state)
{
	(void)state;
	for (int i = 0; i < N_CONFIGS; i++)
		mbx_xdp_detach(progs[i]);
	return 0;
}

static void counters(enum config c, uint64_t out[MBXDP_STAT_COUNT])
{
	struct mbx_xdp_counters ctr;
	const uint64_t *slot[MBXDP_STAT_COUNT] = {
#define SLOT_FIELD(slot, name, meaning) [MBXDP_STAT_##slot] = &ctr.name,
		MBXDP_STATS(SLOT_FIELD)
#undef SLOT_FIELD
	};

	assert_int_equal(mbx_xdp_read_counters(progs[c], &ctr), 0);
	for (int i = 0; i < MBXDP_STAT_COUNT; i++)
		out[i] = *slot[i];
}

static void run_case(void **state)
{
	const struct steer_case *tc = *state;
	uint8_t in[FRAME_MAX], want[FRAME_MAX], out[FRAME_MAX];
	uint64_t before[MBXDP_STAT_COUNT], after[MBXDP_STAT_COUNT];
	size_t in_len = tc->in_len;
	/* An answer is the record's frame out; anything else leaves as it came. */
	size_t want_len = tc->verdict == XDP_TX ? tc->out_len : 0;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (uint32_t)in_len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	memcpy(in, tc->in, in_len);
	memcpy(want, tc->out, want_len);
	assert_true(in_len > 0);
	if (tc->verdict != XDP_TX) {
		memcpy(want, in, in_len);
		want_len = in_len;
	}
	assert_true(want_len > 0);
	counters(tc->config, before);
	assert_int_equal(bpf_prog_test_run_opts(mbx_xdp_prog_fd(progs[tc->config]), &opts), 0);
	counters(tc->config, after);
	assert_int_equal(opts.retval, tc->verdict);
	assert_int_equal(opts.data_size_out, want_len);
	assert_memory_equal(out, want, want_len);
	for (int i = 0; i < MBXDP_STAT_COUNT; i++)
		assert_int_equal(after[i] - before[i], i == (int)tc->counted);
}

/* The IPv6 trie's key has room for 160 bits of prefix; a caller's 129 or
 * more must be refused with its reason, not widen into the server index. */
static void refuses_long_prefix6(void **state)
{
	static const uint16_t ports[] = { 502 };
	const struct mbx_xdp_cidr6 allow6[] = { prefix6("2001:2:0:1::", 129, 0) };
	const struct mbx_xdp_config cfg = { .ifname = iface, .ports = ports, .n_ports = 1,
					    .allow6 = allow6, .n_allow6 = 1 };
	char err[256] = "";
	struct mbx_xdp *x = mbx_xdp_load(&cfg, err, sizeof(err));

	(void)state;
	mbx_xdp_detach(x);
	assert_null(x);
	assert_non_null(strstr(err, "2001:2:0:1::/129: an IPv6 prefix is at most 128 bits long"));
}

static const char *const config_names[N_CONFIGS] = { "listed", "any", "any_allow", "any_pass",
						     "client" };

/* Index of s in names[n], or -1. */
static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* Hex digits into at most FRAME_MAX bytes; the length, or 0 if malformed. */
static size_t unhex(const char *hex, uint8_t *buf)
{
	size_t n = strlen(hex);

	if (n == 0 || n % 2 || n / 2 > FRAME_MAX)
		return 0;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		buf[i] = (uint8_t)v;
	}
	return n / 2;
}

static struct steer_case cases[MAX_CASES];

/* The records, a line each: CONFIG NAME VERDICT COUNTER IN_HEX OUT_HEX.
 * Their number, or -1 after saying what is wrong. */
static int read_fixtures(const char *path)
{
	static const char *const verdicts[] = { [XDP_DROP] = "XDP_DROP", [XDP_PASS] = "XDP_PASS",
						[XDP_TX] = "XDP_TX" };
	static const char *const counters_named[MBXDP_STAT_COUNT] = {
#define SLOT_NAME(slot, name, meaning) [MBXDP_STAT_##slot] = #slot,
		MBXDP_STATS(SLOT_NAME)
#undef SLOT_NAME
	};
	static char in_hex[2 * FRAME_MAX + 2], out_hex[2 * FRAME_MAX + 2];
	char config[32], verdict[16], counted[64];
	FILE *f = fopen(path, "r");
	int n = 0, line = 0;

	if (!f) {
		fprintf(stderr, "test_steer: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		struct steer_case *c = &cases[n];
		int k = fscanf(f, "%31s %63s %15s %63s %3201s %3201s", config, c->name, verdict,
			       counted, in_hex, out_hex);
		int cfg, v, slot;

		if (k == EOF)
			break;
		line++;
		cfg = lookup(config_names, N_CONFIGS, config);
		v = lookup(verdicts, (int)(sizeof(verdicts) / sizeof(verdicts[0])), verdict);
		slot = lookup(counters_named, MBXDP_STAT_COUNT, counted);
		if (k != 6 || n == MAX_CASES || cfg < 0 || v < 0 || slot < 0) {
			fprintf(stderr, "test_steer: %s:%d: not a record this test knows\n", path, line);
			fclose(f);
			return -1;
		}
		c->config = (enum config)cfg;
		c->verdict = (uint32_t)v;
		c->counted = (enum mbxdp_stat)slot;
		c->in_len = unhex(in_hex, c->in);
		c->out_len = strcmp(out_hex, "-") == 0 ? 0 : unhex(out_hex, c->out);
		n++;
	}
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	static struct CMUnitTest tests[MAX_CASES + 1];
	static char names[MAX_CASES][96];
	int n;

	if (argc != 3) {
		fprintf(stderr, "usage: test_steer IFACE FIXTURES\n");
		return 2;
	}
	iface = argv[1];
	n = read_fixtures(argv[2]);
	if (n <= 0)
		return 1;
	for (int i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "%s: %s", config_names[cases[i].config],
			 cases[i].name);
		tests[i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = run_case,
			.initial_state = (void *)&cases[i],
		};
	}
	tests[n++] = (struct CMUnitTest){ .name = "loader: an IPv6 prefix of 129 bits refused",
					  .test_func = refuses_long_prefix6 };
	return _cmocka_run_group_tests("steer", tests, (size_t)n, load_all, unload_all);
}
