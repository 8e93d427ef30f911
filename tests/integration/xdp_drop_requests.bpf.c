/* An XDP program for the server end of a veth pair that loses every TCP
 * segment with data to port 1502 and passes the rest (handshakes, ACKs,
 * resets, ARP): a client whose requests never arrive, for
 * test_bench_linger.sh. As xdp_pass.bpf.c, it also lets veth deliver the
 * frames a client's native XDP program sends back with XDP_TX. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define LOST_PORT 1502

SEC("xdp")
int xdp_drop_requests(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP || ip->ihl != 5)
		return XDP_PASS;
	struct tcphdr *tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > end || tcp->dest != bpf_htons(LOST_PORT))
		return XDP_PASS;
	return bpf_ntohs(ip->tot_len) > sizeof(*ip) + tcp->doff * 4u ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
