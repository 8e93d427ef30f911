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
 * addresses listed, only those are steered, and an ARP request, a Neighbor
 * Solicitation or an ICMP or ICMPv6 echo request (ping) for one the kernel
 * does not own is answered here
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
 * of them is steered, ARP and Neighbor Solicitations for them and ping to
 * them are answered here, and an ARP reply or Neighbor Advertisement to
 * one of them (the master resolving its server) goes to the socket too. */
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

/* RFC 4861 4.3, 4.4, 4.6.1: Neighbor Solicitation and Advertisement,
 * code 0; the link-layer address options; the hop limit both carry, which
 * no router forwards unchanged, so 255 proves the sender on the link. */
#define ICMP6_TYPE_NEIGHBOR_SOLICITATION 135
#define ICMP6_TYPE_NEIGHBOR_ADVERTISEMENT 136
#define ND_OPT_SOURCE_LL_ADDR 1
#define ND_OPT_TARGET_LL_ADDR 2
#define ND_HOP_LIMIT 255
#define NA_FLAG_SOLICITED 0x40000000
#define NA_FLAG_OVERRIDE 0x20000000

/* A solicitation's message: 24 bytes, then options. Only the lengths
 * senders use are answered: none (a unicast check or a DAD probe without a
 * nonce) or one 8-byte option (the source link-layer address, or the DAD
 * nonce of RFC 7527); both are small enough to verify the checksum in a
 * loop the verifier unrolls. */
struct nd_ns {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 reserved;
	struct in6_addr target;
	__u8 opt_type;
	__u8 opt_len; /* in 8-octet units */
	__u8 opt_data[6];
};
#define ND_NS_MIN 24

/* The advertisement sent back: header and the target link-layer address
 * option (4.4: a must in answer to a multicast solicitation). */
struct nd_na {
	struct ipv6hdr ip6;
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 flags;
	struct in6_addr target;
	__u8 opt_type;
	__u8 opt_len;
	__u8 opt_mac[ETH_ALEN];
};
#define ND_NA_LEN (sizeof(struct nd_na) - sizeof(struct ipv6hdr))

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

/* The same for IPv6 source prefixes. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MBXDP_ALLOW_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mbxdp_allow6_key);
	__type(value, __u8);
} mbxdp_allow6 SEC(".maps");

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

/* Turns an echo request's Ethernet header back to where it came from: its
 * destination MAC, unicast as the callers check, is the interface's. */
static __always_inline void eth_back(struct ethhdr *eth)
{
	__u8 mac[ETH_ALEN];

	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
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
	eth_back(eth);
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

/* True when the IPv6 source may talk to the address's server: as
 * source_allowed(), in the IPv6 trie. A server whose allow-list names only
 * IPv4 prefixes admits no IPv6 source. */
static __always_inline int source6_allowed(const struct mbxdp_addr *a, const struct in6_addr *saddr)
{
	struct mbxdp_allow6_key key = { .prefixlen = 32 + 128, .server = a->server };

	if (!(a->flags & MBXDP_ADDR_ALLOW_LIST))
		return 1;
	__builtin_memcpy(key.addr, saddr, sizeof(key.addr));
	return bpf_map_lookup_elem(&mbxdp_allow6, &key) != 0;
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
	/* By the helper: pointer differences the compiler may reorder into
	 * arithmetic on data_end, which the verifier refuses. */
	__u32 frame_len = (__u32)bpf_xdp_get_buff_len(ctx);
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

	if (!cfg || (eth->h_dest[0] & 1) || ipv6_multicast(&ip6->saddr) ||
	    ipv6_unspecified(&ip6->saddr))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	a = answered_addr6(cfg, &ip6->daddr);
	if (!a)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	if (!source6_allowed(a, &ip6->saddr))
		return count(MBXDP_STAT_DROP_SOURCE, XDP_DROP);
	eth_back(eth);
	asker = ip6->saddr;
	ip6->saddr = ip6->daddr;
	ip6->daddr = asker;
	ip6->hop_limit = ECHO_REPLY_HOP_LIMIT;
	icmp->type = ICMP6_TYPE_ECHO_REPLY;
	icmp->checksum = csum_replace16(icmp->checksum, bpf_htons(ICMP6_TYPE_ECHO_REQUEST << 8),
					bpf_htons(ICMP6_TYPE_ECHO_REPLY << 8));
	return count(MBXDP_STAT_ICMP6_ECHO_REPLIED, XDP_TX);
}

/* The one's complement sum of n 16-bit words, as they are on the wire
 * (RFC 1071); n is a constant, so the loop unrolls. */
static __always_inline __u32 sum16(const void *p, int n)
{
	const __u16 *w = p;
	__u32 s = 0;

#pragma clang loop unroll(full)
	for (int i = 0; i < n; i++)
		s += w[i];
	return s;
}

static __always_inline __sum16 csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__sum16)~s;
}

/* RFC 8200 8.1: the sum of the upper-layer pseudo-header of an ICMPv6
 * message of len bytes between src and dst. */
static __always_inline __u32 pseudo6_sum(const struct in6_addr *src, const struct in6_addr *dst,
					 __u32 len)
{
	return sum16(src, 8) + sum16(dst, 8) + bpf_htons(len) + bpf_htons(IPPROTO_ICMPV6);
}

/* Word by word: the BPF target has no memcmp(). */
static __always_inline int ipv6_equal(const struct in6_addr *a, const struct in6_addr *b)
{
	return ((a->in6_u.u6_addr32[0] ^ b->in6_u.u6_addr32[0]) |
		(a->in6_u.u6_addr32[1] ^ b->in6_u.u6_addr32[1]) |
		(a->in6_u.u6_addr32[2] ^ b->in6_u.u6_addr32[2]) |
		(a->in6_u.u6_addr32[3] ^ b->in6_u.u6_addr32[3])) == 0;
}

/* RFC 4291 2.7.1: the solicited-node multicast address of target,
 * ff02::1:ffXX:XXXX with its low 24 bits. */
static __always_inline int ipv6_solicited_node(const struct in6_addr *a,
					       const struct in6_addr *target)
{
	return a->in6_u.u6_addr32[0] == bpf_htonl(0xff020000) && a->in6_u.u6_addr32[1] == 0 &&
	       a->in6_u.u6_addr32[2] == bpf_htonl(1) &&
	       a->in6_u.u6_addr32[3] ==
		       (bpf_htonl(0xff000000) | (target->in6_u.u6_addr32[3] & bpf_htonl(0x00ffffff)));
}

/* Answers a Neighbor Solicitation for a served address the kernel does not
 * own with a Neighbor Advertisement (RFC 4861 7.2.4), as arp_input() does
 * for ARP, whatever the source (the allow-list guards TCP and echo, not
 * reachability). The solicitation is validated as 7.1.1 asks: hop limit
 * 255 (else dropped and counted: it came from off the link), code 0, a
 * good checksum, options of non-zero length, from the unspecified address
 * (duplicate address detection) only to the solicited-node address and
 * without a source link-layer address. Not answered, so the kernel's:
 * other lengths, a wrong checksum, a multicast source, a destination that
 * is neither the target nor its solicited-node address.
 *
 * The advertisement goes back to the sender's MAC and address with the
 * solicited and override flags (not a router, not an anycast address),
 * or, to a detection probe, to all nodes (ff02::1) with only override set;
 * its target link-layer address option carries the interface's MAC. It is
 * written over the solicitation, by offset (bpf_xdp_store_bytes(), as
 * the tag makes the offset vary), the frame cut or grown to its 72 bytes
 * after the link header. */
static __always_inline int nd_ns_input(struct xdp_md *ctx, struct ethhdr *eth, struct ipv6hdr *ip6,
				       __u32 l3, __u32 len)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct nd_ns *ns = (void *)(ip6 + 1);
	const struct mbxdp_config *cfg = config();
	struct nd_na na = {};
	__u8 macs[2 * ETH_ALEN];
	__u32 sum;
	int dad;

	if (!cfg || (len != ND_NS_MIN && len != sizeof(*ns)) ||
	    (void *)ns + ND_NS_MIN > data_end || !answered_addr6(cfg, &ns->target))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	if (ip6->hop_limit != ND_HOP_LIMIT)
		return count(MBXDP_STAT_DROP_ND_HOP_LIMIT, XDP_DROP);
	sum = pseudo6_sum(&ip6->saddr, &ip6->daddr, len) + sum16(ns, ND_NS_MIN / 2);
	dad = ipv6_unspecified(&ip6->saddr);
	if (len == sizeof(*ns)) {
		if ((void *)(ns + 1) > data_end)
			return count(MBXDP_STAT_PASSED, XDP_PASS);
		if (ns->opt_len != 1 || (dad && ns->opt_type == ND_OPT_SOURCE_LL_ADDR))
			return count(MBXDP_STAT_PASSED, XDP_PASS);
		sum += sum16(&ns->opt_type, 4);
	}
	if (ns->code != 0 || csum_fold(sum) != 0 || ipv6_multicast(&ip6->saddr) ||
	    (dad && !ipv6_solicited_node(&ip6->daddr, &ns->target)) ||
	    (!dad && !ipv6_solicited_node(&ip6->daddr, &ns->target) &&
	     !ipv6_equal(&ip6->daddr, &ns->target)))
		return count(MBXDP_STAT_PASSED, XDP_PASS);

	na.ip6.version = 6;
	na.ip6.payload_len = bpf_htons(ND_NA_LEN);
	na.ip6.nexthdr = IPPROTO_ICMPV6;
	na.ip6.hop_limit = ND_HOP_LIMIT;
	na.ip6.saddr = ns->target;
	if (dad) {
		/* ff02::1 and its MAC 33:33:00:00:00:01 (RFC 2464 7). */
		na.ip6.daddr.in6_u.u6_addr32[0] = bpf_htonl(0xff020000);
		na.ip6.daddr.in6_u.u6_addr32[3] = bpf_htonl(1);
		macs[0] = 0x33;
		macs[1] = 0x33;
		macs[2] = 0;
		macs[3] = 0;
		macs[4] = 0;
		macs[5] = 1;
	} else {
		na.ip6.daddr = ip6->saddr;
		__builtin_memcpy(macs, eth->h_source, ETH_ALEN);
	}
	__builtin_memcpy(macs + ETH_ALEN, cfg->mac, ETH_ALEN);
	na.type = ICMP6_TYPE_NEIGHBOR_ADVERTISEMENT;
	na.flags = bpf_htonl(NA_FLAG_OVERRIDE | (dad ? 0 : NA_FLAG_SOLICITED));
	na.target = ns->target;
	na.opt_type = ND_OPT_TARGET_LL_ADDR;
	na.opt_len = 1;
	__builtin_memcpy(na.opt_mac, cfg->mac, ETH_ALEN);
	na.checksum = csum_fold(pseudo6_sum(&na.ip6.saddr, &na.ip6.daddr, ND_NA_LEN) +
				sum16(&na.type, ND_NA_LEN / 2));
	if (bpf_xdp_adjust_tail(ctx, (int)(l3 + sizeof(na)) - (int)bpf_xdp_get_buff_len(ctx)) < 0 ||
	    bpf_xdp_store_bytes(ctx, 0, macs, sizeof(macs)) < 0 ||
	    bpf_xdp_store_bytes(ctx, l3, &na, sizeof(na)) < 0)
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	return count(MBXDP_STAT_ND_ADVERTISED, XDP_TX);
}

/* Client mode: a Neighbor Advertisement to one of the master's listed
 * addresses answers the master's own solicitation for its server and goes
 * to the queue's socket, as arp_reply_input() does for ARP; any other is
 * the kernel's. */
static __always_inline int nd_na_input(struct xdp_md *ctx, struct ipv6hdr *ip6)
{
	const struct mbxdp_config *cfg = config();

	if (!cfg || !cfg->client || !cfg->addr_listed ||
	    !bpf_map_lookup_elem(&mbxdp_addrs6, &ip6->daddr))
		return count(MBXDP_STAT_PASSED, XDP_PASS);
	return to_socket(ctx, cfg);
}

/* ICMPv6 right behind the IPv6 header: echo requests and Neighbor
 * Solicitations answered here; the rest, and anything behind extension
 * headers, is the kernel's. */
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
	if (icmp->type == ICMP6_TYPE_NEIGHBOR_SOLICITATION)
		return nd_ns_input(ctx, eth, ip6, l3, up->end - up->off);
	if (icmp->type == ICMP6_TYPE_NEIGHBOR_ADVERTISEMENT)
		return nd_na_input(ctx, ip6);
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
