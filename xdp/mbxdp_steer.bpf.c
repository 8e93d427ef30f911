/* mbxdp_steer: the XDP program in front of mbxdp.
 *
 * TCP segments to a served port (502 by default, the port IANA registered
 * for Modbus/TCP) of a served address go to the AF_XDP socket bound to the
 * queue they arrived on; every other frame goes on to the kernel untouched,
 * so ICMP, SSH and the kernel's own addresses keep working on the same
 * interface.
 *
 * Served addresses: with mbxdp_addrs empty, every destination is served (the
 * kernel owns the interface's address and mbxdp takes only the ports). With
 * addresses listed, only those are steered, and an ARP request or an ICMP
 * echo request (ping) for one the kernel does not own is answered here
 * (XDP_TX), so thousands of simulated devices need no address on the
 * interface and still answer the first thing a lab engineer tries.
 *
 * A server with an allow-list admits only sources inside it: any other
 * segment to its ports, or echo request to its addresses, is dropped here,
 * before it costs user space a frame, and counted. A segment for mbxdp that
 * arrives on a receive queue without mbxdp's socket is dropped and counted
 * too (by default). Those are the only frames the program drops.
 *
 * Parsing stops at the first thing it does not expect and passes the frame.
 * It understands exactly what the user-space stack understands
 * (stack/net/frame_in.c): Ethernet with at most one 802.1Q tag, IPv4 with options,
 * IPv6 with up to 4 hop-by-hop, routing (no segments left) and destination
 * options headers, TCP; Ethernet/IPv4 ARP (RFC 826); and ICMP echo requests (RFC 792) in an
 * IPv4 header without options. An 802.1ad (0x88a8) tag is not
 * steered because the stack would only drop it.
 *
 * In client mode (in front of mbxdp-bench's kernel-bypass Modbus master)
 * the same program works the other way round: the listed addresses are the
 * master's source addresses, TCP from a listed port of the servers to one
 * of them is steered, ARP for them and ping to them are answered here, and
 * an ARP reply to one of them (the master resolving its server) goes to
 * the socket too. */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "steer_abi.h"

/* IEEE 802.1Q tag after the source address: TCI, then the inner ethertype. */
struct vlan_tag {
	__be16 tci;
	__be16 inner_proto;
};

/* RFC 826 (and the IANA ARP parameters registry) numbers; <linux/if_arp.h>
 * pulls in libc headers the BPF target cannot build. */
#define ARP_HTYPE_ETHERNET 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

/* RFC 826 packet for Ethernet hardware and IPv4 protocol addresses. */
struct arp_eth_ipv4 {
	__be16 htype; /* 1: Ethernet */
	__be16 ptype; /* 0x0800: IPv4 */
	__u8 hlen; /* 6 */
	__u8 plen; /* 4 */
	__be16 op; /* 1: request, 2: reply */
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

/* RFC 791 3.1: fragment offset field of the flags/offset word, and the
 * More Fragments flag. */
#define IPV4_FRAG_OFFSET_MASK 0x1fff
#define IPV4_MORE_FRAGMENTS 0x2000

/* RFC 792 "Echo or Echo Reply Message": type 8 asks, type 0 answers, code
 * 0 for both; identifier and sequence number come back unchanged.
 * <linux/icmp.h> pulls in headers the BPF target cannot build. */
#define ICMP_TYPE_ECHO_REPLY 0
#define ICMP_TYPE_ECHO_REQUEST 8

struct icmp_echo {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};

/* The TTL of the replies: RFC 1700's (and Linux's) default. */
#define ECHO_REPLY_TTL 64

/* RFC 8200 4: the extension headers the program walks to reach TCP
 * (hop-by-hop options, routing with no segments left, destination
 * options), at most this many; a longer chain goes to the kernel. Real
 * traffic to a server carries none or one or two, and a fixed bound keeps
 * the walk a loop the verifier can unroll. */
#define IPV6_EXT_HEADERS_MAX 4

/* RFC 4443 4.1, 4.2: ICMPv6 echo request and reply, code 0; identifier,
 * sequence number and data come back unchanged. */
#define ICMP6_TYPE_ECHO_REQUEST 128
#define ICMP6_TYPE_ECHO_REPLY 129

/* The hop limit of the echo replies: Linux's default, as for IPv4. */
#define ECHO_REPLY_HOP_LIMIT 64

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

/* Served IPv4 address (network order) -> its server and flags. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MBXDP_ADDRS_MAX);
	__type(key, __be32);
	__type(value, struct mbxdp_addr);
} mbxdp_addrs SEC(".maps");

/* Served IPv6 address -> its server and flags, as mbxdp_addrs is for IPv4. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MBXDP_ADDRS6_MAX);
	__type(key, struct mbxdp_addr6_key);
	__type(value, struct mbxdp_addr);
} mbxdp_addrs6 SEC(".maps");

/* Allow-lists: (server, source prefix) -> 1. The kernel requires LPM tries
 * to be created without preallocation. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MBXDP_ALLOW_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mbxdp_allow_key);
	__type(value, __u8);
} mbxdp_allow SEC(".maps");

/* Interface MAC and the address mode; one entry, written before attach. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mbxdp_config);
} mbxdp_config SEC(".maps");

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

static __always_inline const struct mbxdp_config *config(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&mbxdp_config, &key);
}

/* The served-address entry of daddr, or NULL when it is not served. */
static __always_inline const struct mbxdp_addr *served_addr(const struct mbxdp_config *cfg,
							    __be32 daddr)
{
	if (!cfg->addr_listed)
		return &cfg->any_addr;
	return bpf_map_lookup_elem(&mbxdp_addrs, &daddr);
}

/* Into the AF_XDP socket of the frame's receive queue. A queue without a
 * socket makes bpf_redirect_map() return its flags argument (bpf-helpers(7))
 * instead of XDP_REDIRECT. Such a frame is for mbxdp but reached a queue
 * mbxdp does not serve (RSS put the connection there): the kernel would
 * only answer it with a reset, as if nothing served the port, so it is
 * dropped and counted unless the user asked for the kernel to have it (a
 * kernel server on the other queues). */
static __always_inline int to_socket(struct xdp_md *ctx, const struct mbxdp_config *cfg)
{
	int action = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);

	if (action != XDP_REDIRECT)
		return count(MBXDP_STAT_NO_SOCKET, cfg->pass_no_socket ? XDP_PASS : XDP_DROP);
	return count(MBXDP_STAT_STEERED, action);
}

/* Whether a TCP segment with these ports (as on the wire: source, then
 * destination) is to or from a served port: a server's port is the
 * destination of what comes to a server, the source of what comes back to
 * a client. */
static __always_inline int served_port(const struct mbxdp_config *cfg, const __be16 ports[2])
{
	__u16 port = bpf_ntohs(ports[cfg->client ? 0 : 1]);

	return bpf_map_lookup_elem(&mbxdp_ports, &port) != 0;
}

/* Client mode: an ARP reply to one of the master's listed addresses
 * answers the master's own request and goes to the queue's socket; any
 * other reply is the kernel's. */
static __always_inline int arp_reply_input(struct xdp_md *ctx, struct arp_eth_ipv4 *arp)
{
	const struct mbxdp_config *cfg = config();

	if (!cfg || !cfg->client || !cfg->addr_listed || !bpf_map_lookup_elem(&mbxdp_addrs, &arp->tpa))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	return to_socket(ctx, cfg);
}

/* Answers, in place, an ARP request for a served address the kernel does
 * not own (RFC 826, "Packet Reception": swap the hardware and protocol
 * fields into the target ones, put in our own, set the opcode to reply, and
 * send it back on the same interface). A request whose sender claims the
 * asked address itself (spa == tpa: a gratuitous ARP, RFC 5227 3) announces
 * somebody else's address and is not answered; a probe (spa 0.0.0.0, RFC
 * 5227 2.1.1) is, which is how a host learns the address is taken. */
static __always_inline int arp_input(struct xdp_md *ctx, struct ethhdr *eth,
				     struct arp_eth_ipv4 *arp)
{
	void *data_end = (void *)(long)ctx->data_end;
	const struct mbxdp_config *cfg;
	const struct mbxdp_addr *a;
	__be32 asked;

	if ((void *)(arp + 1) > data_end)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	if (arp->op == bpf_htons(ARP_OP_REPLY))
		return arp_reply_input(ctx, arp);
	if (arp->htype != bpf_htons(ARP_HTYPE_ETHERNET) || arp->ptype != bpf_htons(ETH_P_IP) ||
	    arp->hlen != ETH_ALEN || arp->plen != 4 || arp->op != bpf_htons(ARP_OP_REQUEST) ||
	    arp->spa == arp->tpa)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	cfg = config();
	if (!cfg || !cfg->addr_listed)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	a = bpf_map_lookup_elem(&mbxdp_addrs, &arp->tpa);
	if (!a || !(a->flags & MBXDP_ADDR_ANSWER_ARP))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	asked = arp->tpa;
	/* The reply goes to the asker's hardware address: no cache needed. */
	__builtin_memcpy(eth->h_dest, arp->sha, ETH_ALEN);
	__builtin_memcpy(eth->h_source, cfg->mac, ETH_ALEN);
	arp->op = bpf_htons(ARP_OP_REPLY);
	__builtin_memcpy(arp->tha, arp->sha, ETH_ALEN);
	arp->tpa = arp->spa;
	__builtin_memcpy(arp->sha, cfg->mac, ETH_ALEN);
	arp->spa = asked;
	return count(MBXDP_STAT_ARP_REPLIED, XDP_TX);
}

/* True when the source may talk to the address's server. */
static __always_inline int source_allowed(const struct mbxdp_addr *a, __be32 saddr)
{
	struct mbxdp_allow_key key = { .prefixlen = 64, .server = a->server, .addr = saddr };

	if (!(a->flags & MBXDP_ADDR_ALLOW_LIST))
		return 1;
	return bpf_map_lookup_elem(&mbxdp_allow, &key) != 0;
}

/* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): the Internet checksum HC of
 * data in which the 16-bit word m became m'. One's complement sums do not
 * depend on byte order, so all three are taken as they are on the wire. */
static __always_inline __sum16 csum_replace16(__sum16 hc, __u16 m, __u16 m_new)
{
	__u32 sum = (__u16)~hc + (__u16)~m + m_new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__sum16)~sum;
}

/* RFC 1122 3.2.1.3 and 3.2.2.6: class D (multicast) and E (reserved,
 * 255.255.255.255 among them) addresses; an echo request to one may go
 * unanswered, and none may be the source of a reply or its destination. */
static __always_inline int ipv4_group_or_reserved(__be32 addr)
{
	return (bpf_ntohl(addr) >> 28) >= 0xe;
}

/* Answers, in place, an ICMP echo request (RFC 792) to a served address the
 * kernel does not own (the addresses whose ARP XDP answers), from a source
 * the address's server admits: type 0, addresses swapped, a fresh TTL, both
 * checksums updated from the words that changed (RFC 1624), so the reply
 * costs the same for any payload and carries the request's data back
 * untouched. The checksums are not verified: a request with a wrong one
 * gets a reply just as wrong, which the asker discards (RFC 1624 updates
 * keep an error). Anything the kernel should judge is passed: options
 * (IHL != 5), fragments (only the kernel can reassemble), group or
 * broadcast addresses, other ICMP, a header cut short. */
static __always_inline int icmp_input(struct xdp_md *ctx, struct ethhdr *eth, struct iphdr *ip)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct icmp_echo *icmp = (void *)(ip + 1);
	const struct mbxdp_config *cfg;
	const struct mbxdp_addr *a;
	__u8 mac[ETH_ALEN];
	__be32 asker;

	if (ip->ihl != 5 || (void *)(icmp + 1) > data_end ||
	    bpf_ntohs(ip->tot_len) < sizeof(*ip) + sizeof(*icmp))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	if (icmp->type != ICMP_TYPE_ECHO_REQUEST || icmp->code != 0 ||
	    ip->frag_off & bpf_htons(IPV4_FRAG_OFFSET_MASK | IPV4_MORE_FRAGMENTS) ||
	    (eth->h_dest[0] & 1) || ipv4_group_or_reserved(ip->daddr) ||
	    ipv4_group_or_reserved(ip->saddr))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	cfg = config();
	if (!cfg || !cfg->addr_listed)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	a = bpf_map_lookup_elem(&mbxdp_addrs, &ip->daddr);
	if (!a || !(a->flags & MBXDP_ADDR_ANSWER_ARP))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	if (!source_allowed(a, ip->saddr))
		return count(MBXDP_STAT_DROP_SOURCE, XDP_DROP);
	/* Back to where it came from: the request's destination MAC, unicast
	 * as checked above, is the interface's. */
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	/* Swapping addresses leaves the header's sum as it was. */
	asker = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = asker;
	/* TTL shares its 16-bit word with the protocol. */
	ip->check = csum_replace16(ip->check, bpf_htons(ip->ttl << 8 | IPPROTO_ICMP),
				   bpf_htons(ECHO_REPLY_TTL << 8 | IPPROTO_ICMP));
	ip->ttl = ECHO_REPLY_TTL;
	/* Type and code are one 16-bit word: 8, 0 becomes 0, 0. */
	icmp->type = ICMP_TYPE_ECHO_REPLY;
	icmp->checksum = csum_replace16(icmp->checksum, bpf_htons(ICMP_TYPE_ECHO_REQUEST << 8), 0);
	return count(MBXDP_STAT_ICMP_ECHO_REPLIED, XDP_TX);
}

/* A TCP segment (or first fragment) to a port in mbxdp_ports: steered to
 * the queue's socket if its destination is served and its source allowed.
 * Fixed-offset headers are read in place after a bounds check against
 * data_end, as the verifier demands. The TCP port sits behind the
 * variable-length IPv4 header, and moving a packet pointer by a variable
 * amount needs CAP_PERFMON (the verifier's Spectre v1 rule, "pointer
 * arithmetic with it prohibited for !root"); bpf_xdp_load_bytes() (Linux
 * 5.18) reads it by offset instead, bounds-checked by the helper, so the
 * program loads with CAP_BPF alone. */
static __always_inline int ipv4_input(struct xdp_md *ctx, struct ethhdr *eth, struct iphdr *ip,
				      __u32 l3)
{
	void *data_end = (void *)(long)ctx->data_end;
	const struct mbxdp_config *cfg;
	const struct mbxdp_addr *a;
	__be16 ports[2]; /* struct tcphdr's source and dest */

	if ((void *)(ip + 1) > data_end)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	if (ip->version != 4 || ip->ihl < 5)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	if (ip->protocol == IPPROTO_ICMP)
		return icmp_input(ctx, eth, ip);
	if (ip->protocol != IPPROTO_TCP)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	/* Later fragments carry no TCP header: whatever their bytes say, they
	 * are not ours to judge. */
	if (ip->frag_off & bpf_htons(IPV4_FRAG_OFFSET_MASK))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	/* IHL counts 32-bit words, 5..15: options are skipped, not parsed. */
	if (bpf_xdp_load_bytes(ctx, l3 + ip->ihl * 4u + offsetof(struct tcphdr, source), ports,
			       sizeof(ports)) < 0)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	cfg = config();
	if (!cfg || !served_port(cfg, ports))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	a = served_addr(cfg, ip->daddr);
	if (!a)
		return count(MBXDP_STAT_UNLISTED_ADDR, XDP_PASS);
	if (!source_allowed(a, ip->saddr))
		return count(MBXDP_STAT_DROP_SOURCE, XDP_DROP);
	return to_socket(ctx, cfg);
}

/* The served-address entry of an IPv6 destination, or NULL. */
static __always_inline const struct mbxdp_addr *served_addr6(const struct mbxdp_config *cfg,
							     const struct in6_addr *daddr)
{
	if (!cfg->addr_listed)
		return &cfg->any_addr;
	return bpf_map_lookup_elem(&mbxdp_addrs6, daddr);
}

/* True when the IPv6 source may talk to the address's server. IPv6
 * prefixes cannot be listed yet, so a server with an allow-list admits no
 * IPv6 source: an allow-list never lets in what it does not name. */
static __always_inline int source6_allowed(const struct mbxdp_addr *a, const struct in6_addr *saddr)
{
	(void)saddr;
	return !(a->flags & MBXDP_ADDR_ALLOW_LIST);
}

/* IANA's "IPv6 Extension Header Types" (RFC 7045 2): the walked ones, and
 * the others, which the program does not walk and leaves to the kernel
 * (fragment: only the kernel reassembles; AH, ESP: only the kernel holds
 * the keys; mobility, HIP, shim6, experiments). */
static __always_inline int ipv6_walked_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS;
}

static __always_inline int ipv6_other_ext(__u8 nh)
{
	return nh == IPPROTO_FRAGMENT || nh == IPPROTO_ESP || nh == IPPROTO_AH ||
	       nh == IPPROTO_MH || nh == 139 /* HIP */ || nh == 140 /* shim6 */ ||
	       nh == 253 || nh == 254 /* RFC 3692 experiments */;
}

/* Where an IPv6 packet's upper-layer header is, after the extension
 * headers: offsets from the frame's start. */
struct ipv6_upper {
	__u32 off;
	__u32 end; /* the payload's end, by the IPv6 payload length */
	__u8 proto;
};

/* Walks the extension headers after the fixed IPv6 header at l3 (RFC 8200
 * 4), each read by offset with bpf_xdp_load_bytes() (their lengths vary;
 * see ipv4_input()). Returns MBXDP_STAT_COUNT with *up filled, or the slot
 * under which the frame goes to the kernel: a header past the frame or the
 * payload length is malformed and never read as something else; a chain
 * the program does not follow to its end is the kernel's. */
static __always_inline __u32 ipv6_walk(struct xdp_md *ctx, const struct ipv6hdr *ip6, __u32 l3,
				       struct ipv6_upper *up)
{
	__u32 frame_len = (__u32)(ctx->data_end - ctx->data);
	__u32 off = l3 + sizeof(*ip6);
	__u32 end = off + bpf_ntohs(ip6->payload_len);
	__u8 nh = ip6->nexthdr;

	if (end > frame_len)
		return MBXDP_STAT_IPV6_MALFORMED;
#pragma clang loop unroll(full)
	for (int i = 0; i < IPV6_EXT_HEADERS_MAX; i++) {
		/* Next header, length in 8-octet units after the first 8, and for
		 * a routing header its type and segments left. */
		__u8 h[4];

		if (!ipv6_walked_ext(nh))
			break;
		/* Hop-by-hop options only right after the IPv6 header (4.3). */
		if (nh == IPPROTO_HOPOPTS && i != 0)
			return MBXDP_STAT_IPV6_EXT_PASSED;
		if (off + sizeof(h) > end || bpf_xdp_load_bytes(ctx, off, h, sizeof(h)) < 0)
			return MBXDP_STAT_IPV6_MALFORMED;
		/* Segments left: the packet is not at its final destination yet
		 * (4.4), and the next hop is the kernel's to process. */
		if (nh == IPPROTO_ROUTING && h[3] != 0)
			return MBXDP_STAT_IPV6_EXT_PASSED;
		nh = h[0];
		off += (h[1] + 1u) * 8;
	}
	if (off > end)
		return MBXDP_STAT_IPV6_MALFORMED;
	if (ipv6_walked_ext(nh) || ipv6_other_ext(nh))
		return MBXDP_STAT_IPV6_EXT_PASSED;
	up->off = off;
	up->end = end;
	up->proto = nh;
	return MBXDP_STAT_COUNT;
}

/* RFC 4291 2.7: ff00::/8, multicast; :: (2.5.2), unspecified. Neither
 * may be the source of a packet answered here. */
static __always_inline int ipv6_multicast(const struct in6_addr *a)
{
	return a->in6_u.u6_addr8[0] == 0xff;
}

static __always_inline int ipv6_unspecified(const struct in6_addr *a)
{
	return (a->in6_u.u6_addr32[0] | a->in6_u.u6_addr32[1] | a->in6_u.u6_addr32[2] |
		a->in6_u.u6_addr32[3]) == 0;
}

/* A served IPv6 address the kernel does not own (whose Neighbor Discovery
 * and echo XDP answers), or NULL. */
static __always_inline const struct mbxdp_addr *answered_addr6(const struct mbxdp_config *cfg,
							       const struct in6_addr *addr)
{
	const struct mbxdp_addr *a;

	if (!cfg->addr_listed)
		return NULL;
	a = bpf_map_lookup_elem(&mbxdp_addrs6, addr);
	return a && (a->flags & MBXDP_ADDR_ANSWER_ARP) ? a : NULL;
}

/* Answers, in place, an ICMPv6 echo request (RFC 4443 4.2) to a served
 * address the kernel does not own, as icmp_input() does for IPv4: type
 * 129, addresses swapped, hop limit 64, the checksum updated from the one
 * word that changed (RFC 1624). The pseudo-header's addresses are only
 * swapped and its length kept, so its sum is the request's. Only an echo
 * right behind the IPv6 header is answered: behind extension headers the
 * reply would have to carry or drop them, which is the kernel's call. */
static __always_inline int icmp6_echo_input(struct ethhdr *eth, struct ipv6hdr *ip6,
					    struct icmp_echo *icmp)
{
	const struct mbxdp_config *cfg = config();
	const struct mbxdp_addr *a;
	struct in6_addr asker;
	__u8 mac[ETH_ALEN];

	if (!cfg || (eth->h_dest[0] & 1) || ipv6_multicast(&ip6->saddr) ||
	    ipv6_unspecified(&ip6->saddr))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	a = answered_addr6(cfg, &ip6->daddr);
	if (!a)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	if (!source6_allowed(a, &ip6->saddr))
		return count(MBXDP_STAT_DROP_SOURCE, XDP_DROP);
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	asker = ip6->saddr;
	ip6->saddr = ip6->daddr;
	ip6->daddr = asker;
	ip6->hop_limit = ECHO_REPLY_HOP_LIMIT;
	icmp->type = ICMP6_TYPE_ECHO_REPLY;
	icmp->checksum = csum_replace16(icmp->checksum, bpf_htons(ICMP6_TYPE_ECHO_REQUEST << 8),
					bpf_htons(ICMP6_TYPE_ECHO_REPLY << 8));
	return count(MBXDP_STAT_ICMP6_ECHO_REPLIED, XDP_TX);
}

/* ICMPv6 right behind the IPv6 header: echo requests answered here; the
 * rest, and anything behind extension headers, is the kernel's. */
static __always_inline int icmp6_input(struct xdp_md *ctx, struct ethhdr *eth, struct ipv6hdr *ip6,
				       __u32 l3, const struct ipv6_upper *up)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct icmp_echo *icmp = (void *)(ip6 + 1);

	if (up->off != l3 + sizeof(*ip6))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	if (up->end - up->off < sizeof(*icmp) || (void *)(icmp + 1) > data_end)
		return count(MBXDP_STAT_IPV6_MALFORMED, XDP_PASS);
	if (icmp->type == ICMP6_TYPE_ECHO_REQUEST && icmp->code == 0)
		return icmp6_echo_input(eth, ip6, icmp);
	return count(MBXDP_STAT_PASSED, XDP_PASS);
}

/* IPv6 (RFC 8200) as ipv4_input() takes IPv4: TCP to a served port of a
 * served address, from an allowed source, to the queue's socket. */
static __always_inline int ipv6_input(struct xdp_md *ctx, struct ethhdr *eth, struct ipv6hdr *ip6,
				      __u32 l3)
{
	void *data_end = (void *)(long)ctx->data_end;
	const struct mbxdp_config *cfg;
	const struct mbxdp_addr *a;
	struct ipv6_upper up;
	__be16 ports[2]; /* struct tcphdr's source and dest */
	__u32 slot;

	if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
		return count(MBXDP_STAT_IPV6_MALFORMED, XDP_PASS);
	slot = ipv6_walk(ctx, ip6, l3, &up);
	if (slot != MBXDP_STAT_COUNT)
		return count(slot, XDP_PASS);
	if (up.proto == IPPROTO_ICMPV6)
		return icmp6_input(ctx, eth, ip6, l3, &up);
	if (up.proto != IPPROTO_TCP)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	if (up.off + sizeof(ports) > up.end ||
	    bpf_xdp_load_bytes(ctx, up.off + offsetof(struct tcphdr, source), ports, sizeof(ports)) < 0)
		return count(MBXDP_STAT_IPV6_MALFORMED, XDP_PASS);
	cfg = config();
	if (!cfg || !served_port(cfg, ports))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	a = served_addr6(cfg, &ip6->daddr);
	if (!a)
		return count(MBXDP_STAT_UNLISTED_ADDR, XDP_PASS);
	if (!source6_allowed(a, &ip6->saddr))
		return count(MBXDP_STAT_DROP_SOURCE, XDP_DROP);
	return to_socket(ctx, cfg);
}

SEC("xdp")
int mbxdp_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_tag *tag = l3;

		if ((void *)(tag + 1) > data_end)
			return count(MBXDP_STAT_PASSED, XDP_PASS);
		proto = tag->inner_proto;
		l3 = tag + 1;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return ipv4_input(ctx, eth, l3, (__u32)(l3 - data));
	if (proto == bpf_htons(ETH_P_IPV6))
		return ipv6_input(ctx, eth, l3, (__u32)(l3 - data));
	if (proto == bpf_htons(ETH_P_ARP))
		return arp_input(ctx, eth, l3);
	return count(MBXDP_STAT_PASSED, XDP_PASS);
}

/* "Dual MIT/GPL": the project's licence, and GPL-compatible for the kernel. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";
