/* mbxdp_steer: the XDP program in front of mbxdp.
 *
 * TCP segments to a served port (502 by default, the port IANA registered
 * for Modbus/TCP) go to the AF_XDP socket bound to the queue they arrived on;
 * every other frame goes on to the kernel untouched, so ARP, ICMP and SSH
 * keep working on the same interface.
 *
 * Parsing stops at the first thing it does not expect and passes the frame:
 * the program never drops. It understands exactly what the user-space stack
 * understands (stack/stack.c): Ethernet with at most one 802.1Q tag, IPv4
 * with options, TCP. An 802.1ad (0x88a8) tag is not steered because the stack
 * would only drop it. */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "steer_abi.h"

/* IEEE 802.1Q tag after the source address: TCI, then the inner ethertype. */
struct vlan_tag {
	__be16 tci;
	__be16 inner_proto;
};

/* RFC 791 3.1: fragment offset field of the flags/offset word. */
#define IPV4_FRAG_OFFSET_MASK 0x1fff

/* Receive queue -> AF_XDP socket; filled by user space with
 * xsk_socket__update_xskmap(). DPDK's net_af_xdp looks the map up by this
 * name, so the name is part of the interface. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, MBXDP_QUEUES_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* Served TCP ports, host byte order -> 1. Filled by the loader before the
 * program is attached. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MBXDP_PORTS_MAX);
	__type(key, __u16);
	__type(value, __u8);
} mbxdp_ports SEC(".maps");

/* Per-CPU so that counting costs no atomic operation; the loader sums. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MBXDP_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} mbxdp_stats SEC(".maps");

static __always_inline int count(__u32 slot, int action)
{
	__u64 *n = bpf_map_lookup_elem(&mbxdp_stats, &slot);

	if (n)
		*n += 1;
	return action;
}

/* True for a TCP segment (or first fragment) whose destination port is in
 * mbxdp_ports. Fixed-offset headers are read in place after a bounds check
 * against data_end, as the verifier demands. The TCP port sits behind the
 * variable-length IPv4 header, and moving a packet pointer by a variable
 * amount needs CAP_PERFMON (the verifier's Spectre v1 rule, "pointer
 * arithmetic with it prohibited for !root"); bpf_xdp_load_bytes() (Linux
 * 5.18) reads it by offset instead, bounds-checked by the helper, so the
 * program loads with CAP_BPF alone. */
static __always_inline int for_served_port(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 l3 = sizeof(*eth);
	__be16 dest;
	__u16 port;

	if ((void *)(eth + 1) > data_end)
		return 0;
	ip = (void *)(eth + 1);
	if (eth->h_proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_tag *tag = (void *)(eth + 1);

		if ((void *)(tag + 1) > data_end || tag->inner_proto != bpf_htons(ETH_P_IP))
			return 0;
		ip = (void *)(tag + 1);
		l3 += sizeof(*tag);
	} else if (eth->h_proto != bpf_htons(ETH_P_IP)) {
		return 0;
	}
	if ((void *)(ip + 1) > data_end)
		return 0;
	if (ip->version != 4 || ip->ihl < 5 || ip->protocol != IPPROTO_TCP)
		return 0;
	/* Later fragments carry no TCP header: whatever their bytes say, they
	 * are not ours to judge. */
	if (ip->frag_off & bpf_htons(IPV4_FRAG_OFFSET_MASK))
		return 0;
	/* IHL counts 32-bit words, 5..15: options are skipped, not parsed. */
	if (bpf_xdp_load_bytes(ctx, l3 + ip->ihl * 4u + offsetof(struct tcphdr, dest), &dest,
			       sizeof(dest)) < 0)
		return 0;
	port = bpf_ntohs(dest);
	return bpf_map_lookup_elem(&mbxdp_ports, &port) != 0;
}

SEC("xdp")
int mbxdp_steer(struct xdp_md *ctx)
{
	int action;

	if (!for_served_port(ctx))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	/* With XDP_PASS as the flags argument, a queue without a socket yields
	 * XDP_PASS instead of XDP_ABORTED (bpf-helpers(7), bpf_redirect_map), so
	 * a program left behind by a dead server never blackholes traffic. */
	action = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
	if (action != XDP_REDIRECT)
		return count(MBXDP_STAT_NO_SOCKET, action);
	return count(MBXDP_STAT_STEERED, action);
}

/* "Dual MIT/GPL": the project's licence, and GPL-compatible for the kernel. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";
