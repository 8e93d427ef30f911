/* The XDP half of peer_xdp_reflector: IPv4 UDP datagrams to the reflected
 * port go to the AF_XDP socket of their receive queue; everything else (ARP
 * above all, so the client can resolve the address) goes on to the kernel.
 * Untagged Ethernet and IPv4 without fragments only: it is a measuring
 * instrument, not a router. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define REFLECT_QUEUES_MAX 64
#define IPV4_FRAG_MASK 0x3fff /* more-fragments flag and offset (RFC 791 3.1) */

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, REFLECT_QUEUES_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* Entry 0: the UDP port to reflect, host byte order; set before attaching. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} reflect_port SEC(".maps");

SEC("xdp")
int reflector(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 zero = 0, *port;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->protocol != IPPROTO_UDP || ip->ihl < 5 || (ip->frag_off & bpf_htons(IPV4_FRAG_MASK)))
		return XDP_PASS;
	struct udphdr *udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	port = bpf_map_lookup_elem(&reflect_port, &zero);
	if (!port || udp->dest != bpf_htons((__u16)*port))
		return XDP_PASS;
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
