/* The steering program on test frames: each scapy-built frame of
 * steer_frames.py is run through the loaded (not attached) program with
 * BPF_PROG_TEST_RUN, and the verdict, the frame it leaves and the counter
 * that moved are checked. The maps are filled by the loader itself
 * (mbx_xdp_load), so this is the configuration mbxdp runs with.
 *
 *   test_steer IFACE FRAMES_DIR
 *
 * IFACE must have the MAC 02:00:00:00:00:01 (run_test_steer.sh makes one in
 * a namespace of its own). The configurations, in steer_frames.py's terms:
 * - listed: 198.19.0.1 (server 0, XDP answers ARP), 198.19.0.2 (server 0,
 *   the kernel owns it), 198.19.1.1 (server 1, allow-list 198.18.1.0/24);
 * - any: no address listed, no allow-list (mbxdp without --address);
 * - any_allow: no address listed, server 0 admits 198.18.1.0/24;
 * - any_pass: as any, with frames of queues without a socket passed to the
 *   kernel (mbxdp --other-queues pass);
 * - client: in front of mbxdp-bench's master, 198.19.0.1 its source
 *   address (XDP answers its ARP), the servers' port 502.
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
#include <string.h>

#include <bpf/bpf.h>
#include <cmocka.h>
#include <linux/bpf.h>
/* libpcap's classic-BPF header clashes with <linux/bpf.h>; nothing of it is
 * needed to read a capture file. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>

#include "loader.h"

#define FRAME_MAX 1600 /* the 1,400-byte echo and its headers */

enum config { LISTED, ANY, ANY_ALLOW, ANY_PASS, CLIENT, N_CONFIGS };

static const char *iface;
static const char *frames_dir;
static struct mbx_xdp *progs[N_CONFIGS];

struct steer_case {
	enum config config;
	const char *frames; /* steer_frames.py case name */
	uint32_t verdict; /* XDP_PASS, XDP_TX, XDP_DROP */
	enum mbxdp_stat counted; /* the one slot that must move */
};

static uint32_t ipv4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct mbx_xdp *load(const struct mbx_xdp_addr *addrs, uint32_t n_addrs,
			    const struct mbx_xdp_cidr *allow, uint32_t n_allow, int pass_no_socket,
			    int client)
{
	static const uint16_t ports[] = { 502 };
	const struct mbx_xdp_config cfg = {
		.ifname = iface,
		.ports = ports,
		.n_ports = 1,
		.addrs = addrs,
		.n_addrs = n_addrs,
		.allow = allow,
		.n_allow = n_allow,
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
	const struct mbx_xdp_cidr allow1[] = { { .addr = ipv4("198.18.1.0"), .prefix_len = 24, .server = 1 } };
	const struct mbx_xdp_cidr allow0[] = { { .addr = ipv4("198.18.1.0"), .prefix_len = 24, .server = 0 } };

	(void)state;
	progs[LISTED] = load(addrs, 3, allow1, 1, 0, 0);
	progs[ANY] = load(NULL, 0, NULL, 0, 0, 0);
	progs[ANY_ALLOW] = load(NULL, 0, allow0, 1, 0, 0);
	progs[ANY_PASS] = load(NULL, 0, NULL, 0, 1, 0);
	progs[CLIENT] = load(addrs, 1, NULL, 0, 0, 1);
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

/* Frame i (0-based) of the case's pcap; its length, or 0 if it has none. */
static size_t read_frame(const char *name, int i, uint8_t *buf)
{
	char path[512], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const uint8_t *data;
	size_t len = 0;
	pcap_t *p;

	snprintf(path, sizeof(path), "%s/%s.pcap", frames_dir, name);
	p = pcap_open_offline(path, err);
	if (!p)
		fail_msg("%s", err);
	for (int k = 0; k <= i; k++) {
		if (pcap_next_ex(p, &h, &data) != 1) {
			pcap_close(p);
			return 0;
		}
	}
	assert_true(h->caplen <= FRAME_MAX);
	memcpy(buf, data, h->caplen);
	len = h->caplen;
	pcap_close(p);
	return len;
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
	size_t in_len = read_frame(tc->frames, 0, in);
	/* An answer is the pcap's second frame; anything else leaves as it came. */
	size_t want_len = tc->verdict == XDP_TX ? read_frame(tc->frames, 1, want) : 0;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (uint32_t)in_len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

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

static const struct steer_case cases[] = {
	/* ARP (RFC 826) for served addresses the kernel does not own. */
	{ LISTED, "arp_served", XDP_TX, MBXDP_STAT_ARP_REPLIED },
	{ LISTED, "arp_served_vlan", XDP_TX, MBXDP_STAT_ARP_REPLIED },
	{ LISTED, "arp_probe_served", XDP_TX, MBXDP_STAT_ARP_REPLIED },
	{ LISTED, "arp_kernel_owned", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "arp_unlisted", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "arp_reply_not_request", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "arp_gratuitous", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "arp_truncated", XDP_PASS, MBXDP_STAT_PASSED },
	{ ANY, "arp_served", XDP_PASS, MBXDP_STAT_PASSED },
	/* ICMP echo (RFC 792) to the same addresses: answered in place, any
	 * data length, the tag kept; the allow-list applies as to TCP. */
	{ LISTED, "icmp_echo_served_0", XDP_TX, MBXDP_STAT_ICMP_ECHO_REPLIED },
	{ LISTED, "icmp_echo_served_1", XDP_TX, MBXDP_STAT_ICMP_ECHO_REPLIED },
	{ LISTED, "icmp_echo_served_56", XDP_TX, MBXDP_STAT_ICMP_ECHO_REPLIED },
	{ LISTED, "icmp_echo_served_57", XDP_TX, MBXDP_STAT_ICMP_ECHO_REPLIED },
	{ LISTED, "icmp_echo_served_1400", XDP_TX, MBXDP_STAT_ICMP_ECHO_REPLIED },
	{ LISTED, "icmp_echo_served_vlan", XDP_TX, MBXDP_STAT_ICMP_ECHO_REPLIED },
	{ LISTED, "icmp_echo_allowed_source", XDP_TX, MBXDP_STAT_ICMP_ECHO_REPLIED },
	{ LISTED, "icmp_echo_stranger_source", XDP_DROP, MBXDP_STAT_DROP_SOURCE },
	/* What the kernel judges: its own and unlisted addresses, other ICMP,
	 * options, fragments, group addresses, a cut header. */
	{ LISTED, "icmp_echo_kernel_owned", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "icmp_echo_unlisted", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "icmp_echo_reply", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "icmp_dest_unreachable", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "icmp_echo_ip_options", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "icmp_echo_first_fragment", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "icmp_echo_later_fragment", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "icmp_echo_broadcast_mac", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "icmp_echo_multicast_source", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "icmp_echo_truncated", XDP_PASS, MBXDP_STAT_PASSED },
	/* Without listed addresses the kernel owns them all, allow-list or not. */
	{ ANY, "icmp_echo_served_56", XDP_PASS, MBXDP_STAT_PASSED },
	{ ANY_ALLOW, "icmp_echo_stranger_source", XDP_PASS, MBXDP_STAT_PASSED },
	/* TCP steering by port and address. */
	{ LISTED, "tcp_served", XDP_DROP, MBXDP_STAT_NO_SOCKET },
	{ LISTED, "tcp_served_vlan", XDP_DROP, MBXDP_STAT_NO_SOCKET },
	{ LISTED, "tcp_unlisted", XDP_PASS, MBXDP_STAT_UNLISTED_ADDR },
	{ LISTED, "tcp_other_port", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "tcp_later_fragment", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "udp_served", XDP_PASS, MBXDP_STAT_PASSED },
	{ ANY, "tcp_unlisted", XDP_DROP, MBXDP_STAT_NO_SOCKET },
	/* Allow-lists. */
	{ LISTED, "tcp_allowed_source", XDP_DROP, MBXDP_STAT_NO_SOCKET },
	{ LISTED, "tcp_stranger_source", XDP_DROP, MBXDP_STAT_DROP_SOURCE },
	{ LISTED, "tcp_served", XDP_DROP, MBXDP_STAT_NO_SOCKET }, /* server 0 has none */
	{ ANY, "tcp_stranger_source", XDP_DROP, MBXDP_STAT_NO_SOCKET },
	{ ANY_ALLOW, "tcp_allowed_source", XDP_DROP, MBXDP_STAT_NO_SOCKET },
	{ ANY_ALLOW, "tcp_stranger_source", XDP_DROP, MBXDP_STAT_DROP_SOURCE },
	/* --other-queues pass: a kernel server may have the unserved queues. */
	{ ANY_PASS, "tcp_served", XDP_PASS, MBXDP_STAT_NO_SOCKET },
	{ ANY_PASS, "udp_served", XDP_PASS, MBXDP_STAT_PASSED },
	/* Client mode: the servers' answers and the ARP reply the master
	 * asked for are steered (no socket here: dropped), what goes to a
	 * server port is not; the master's addresses are answered for. */
	{ CLIENT, "tcp_server_answer", XDP_DROP, MBXDP_STAT_NO_SOCKET },
	{ CLIENT, "tcp_server_answer_unlisted", XDP_PASS, MBXDP_STAT_UNLISTED_ADDR },
	{ CLIENT, "tcp_served", XDP_PASS, MBXDP_STAT_PASSED },
	{ CLIENT, "arp_reply_to_listed", XDP_DROP, MBXDP_STAT_NO_SOCKET },
	{ CLIENT, "arp_reply_to_unlisted", XDP_PASS, MBXDP_STAT_PASSED },
	{ CLIENT, "arp_served", XDP_TX, MBXDP_STAT_ARP_REPLIED },
	{ LISTED, "arp_reply_to_listed", XDP_PASS, MBXDP_STAT_PASSED },
	{ LISTED, "tcp_server_answer", XDP_PASS, MBXDP_STAT_PASSED },
};

static const char *const config_names[N_CONFIGS] = { "listed", "any", "any_allow", "any_pass",
						     "client" };

int main(int argc, char **argv)
{
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct CMUnitTest tests[N];
	static char names[N][96];

	if (argc != 3) {
		fprintf(stderr, "usage: test_steer IFACE FRAMES_DIR\n");
		return 2;
	}
	iface = argv[1];
	frames_dir = argv[2];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "%s: %s", config_names[cases[i].config],
			 cases[i].frames);
		tests[i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = run_case,
			.initial_state = (void *)&cases[i],
		};
	}
	return _cmocka_run_group_tests("steer", tests, N, load_all, unload_all);
}
