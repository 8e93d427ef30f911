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
 * mbxdp_ports. Every header is bounds-checked against data_end before it is
 * read, as the verifier demands. */
static __always_inline int for_served_port(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct tcphdr *tcp;
	__u16 proto, port;
	__u32 ihl;

	if ((void *)(eth + 1) > data_end)
		return 0;
	proto = eth->h_proto;
	ip = (void *)(eth + 1);
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_tag *tag = (void *)(eth + 1);

		if ((void *)(tag + 1) > data_end)
			return 0;
		proto = tag->inner_proto;
		ip = (void *)(tag + 1);
	}
	if (proto != bpf_htons(ETH_P_IP))
		return 0;
	if ((void *)(ip + 1) > data_end)
		return 0;
	if (ip->version != 4 || ip->ihl < 5 || ip->protocol != IPPROTO_TCP)
		return 0;
	/* Later fragments carry no TCP header: whatever their bytes say, they
	 * are not ours to judge. */
	if (ip->frag_off & bpf_htons(IPV4_FRAG_OFFSET_MASK))
		return 0;
	ihl = ip->ihl * 4u; /* 20..60: options are skipped, not parsed */
	tcp = (void *)ip + ihl;
	if ((void *)(tcp + 1) > data_end)
		return 0;
	port = bpf_ntohs(tcp->dest);
	return bpf_map_lookup_elem(&mbxdp_ports, &port) != 0;
}

SEC("xdp")
int mbxdp_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	int action;

	if (!for_served_port(data, data_end))
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
