/* An XDP program for the server end of a veth pair that loses every TCP
 * segment with data to port 1502 and passes the rest (handshakes, ACKs,
 * resets, ARP, Neighbor Discovery): a client whose requests never arrive,
 * for test_bench_linger.sh, over IPv4 (no options) or IPv6 (no extension
 * headers). As xdp_pass.bpf.c, it also lets veth deliver the frames a
 * client's native XDP program sends back with XDP_TX. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define LOST_PORT 1502

/* Whether tcp, whose IP packet carries tcp_len bytes from it on, is a
 * segment with data to LOST_PORT. */
static __always_inline int lost(const struct tcphdr *tcp, const void *end, __u32 tcp_len)
{
	return (const void *)(tcp + 1) <= end && tcp->dest == bpf_htons(LOST_PORT) &&
	       tcp_len > tcp->doff * 4u;
}

SEC("xdp")
int xdp_drop_requests(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP || ip->ihl != 5)
			return XDP_PASS;
		return lost((void *)(ip + 1), end, bpf_ntohs(ip->tot_len) - sizeof(*ip)) ? XDP_DROP
											  : XDP_PASS;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_TCP)
			return XDP_PASS;
		return lost((void *)(ip6 + 1), end, bpf_ntohs(ip6->payload_len)) ? XDP_DROP : XDP_PASS;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
