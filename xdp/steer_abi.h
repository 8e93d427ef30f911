/* What the steering program (mbxdp_steer.bpf.c) and its loader (loader.c)
 * agree on: the program's name, the sizes and value layouts of its maps and
 * the slots of its counter array. Included by both the BPF and the
 * user-space build, so it uses only <linux/types.h> types. */
#ifndef MBX_STEER_ABI_H
#define MBX_STEER_ABI_H

#include <linux/types.h>

/* The program's name as the kernel reports it (bpftool, ip link): how a
 * later run recognises a program left behind by a killed one. */
#define MBXDP_PROG_NAME "mbxdp_steer"

/* Served TCP ports the mbxdp_ports hash map can hold. */
#define MBXDP_PORTS_MAX 64

/* Entries of xsks_map, indexed by receive queue: covers every queue the
 * command line accepts (0..1023). */
#define MBXDP_QUEUES_MAX 1024

/* Served IPv4 addresses mbxdp_addrs can hold: a /16 of simulated devices
 * (65,536 addresses; at 247 units each far beyond what one core serves). */
#define MBXDP_ADDRS_MAX 65536

/* Served IPv6 addresses mbxdp_addrs6 can hold: as many as IPv4's. */
#define MBXDP_ADDRS6_MAX 65536

/* Source prefixes mbxdp_allow (and mbxdp_allow6) can hold, over all servers. */
#define MBXDP_ALLOW_MAX 4096

/* mbxdp_addrs value flags. */
#define MBXDP_ADDR_ANSWER_ARP 0x1 /* the kernel does not own it: XDP answers its ARP and ping */
#define MBXDP_ADDR_ALLOW_LIST 0x2 /* its server admits only sources in mbxdp_allow */

/* What one served address is: its server (an index the configuration
 * assigns; allow-lists are per server) and the flags above. */
struct mbxdp_addr {
	__u16 server;
	__u16 flags;
};

/* mbxdp_addrs6 key: an IPv6 address as on the wire. A map of its own
 * rather than a family-tagged key, so that the IPv4 map's key stays the
 * 4 bytes every lookup of the IPv4 path hashes. */
struct mbxdp_addr6_key {
	__u8 addr[16];
};

/* mbxdp_allow key: an LPM trie key (prefixlen first, then the data it
 * covers, bpf(2) BPF_MAP_TYPE_LPM_TRIE). The data is the server index
 * followed by the IPv4 source; prefixlen is 32 + the CIDR's length, so the
 * server is always matched whole and only the address by prefix. */
struct mbxdp_allow_key {
	__u32 prefixlen;
	__u32 server;
	__u32 addr; /* network order */
};

/* mbxdp_allow6 key: the same for IPv6 sources; prefixlen is 32 + the
 * prefix's length (0..128). A trie of its own, as IPv6 keys are longer and
 * an IPv4 lookup should not pay for them. */
struct mbxdp_allow6_key {
	__u32 prefixlen;
	__u32 server;
	__u8 addr[16];
};

/* The one entry of mbxdp_config. */
struct mbxdp_config {
	__u8 mac[6]; /* the interface's hardware address: sender of XDP's ARP replies */
	/* 0: mbxdp_addrs and mbxdp_addrs6 are empty and every destination,
	 * of either family, is any_addr; 1: only the listed addresses are
	 * served (an IPv6 destination with only IPv4 addresses listed is not). */
	__u16 addr_listed;
	struct mbxdp_addr any_addr;
	/* 1: a steered frame on a queue without a socket goes to the kernel;
	 * 0 (the default, and what a program nobody configured does): dropped. */
	__u16 pass_no_socket;
	/* 1: in front of a Modbus master (mbxdp-bench --afxdp): TCP is
	 * steered by its SOURCE port (the answers of the servers it talks
	 * to), the listed addresses are its own source addresses, and ARP
	 * replies to them (the server's MAC it asked for) go to its socket. */
	__u16 client;
};

/* The per-CPU mbxdp_stats array: X(SLOT, name, meaning). Every frame the
 * program sees is counted in exactly one slot; the name is what mbxdp
 * prints at exit. */
#define MBXDP_STATS(X) \
	X(STEERED, xdp_steered, "redirected into the queue's AF_XDP socket") \
	X(PASSED, xdp_passed, "not IPv4/TCP to a served port, nor ARP or ping XDP answers: to the kernel") \
	X(UNLISTED_ADDR, xdp_passed_unlisted_addr, "to a served port of an address not served: to the kernel") \
	X(NO_SOCKET, xdp_no_socket_for_queue, "for a served port, but no socket on its queue: dropped (--other-queues pass: to the kernel)") \
	X(ARP_REPLIED, xdp_arp_replied, "ARP request for a served address: answered by XDP_TX (RFC 826)") \
	X(ICMP_ECHO_REPLIED, xdp_icmp_echo_replied, "ICMP echo request to a served address: answered by XDP_TX (RFC 1122 3.2.2.6)") \
	X(DROP_SOURCE, xdp_drop_source_not_allowed, "source outside its server's allow-list: dropped") \
	X(IPV6_EXT_PASSED, xdp_passed_ipv6_ext_header, "IPv6 with a fragment header, an extension header not walked, a routing header with segments left, or more than 4 extension headers: to the kernel (RFC 8200 4)") \
	X(IPV6_MALFORMED, xdp_passed_ipv6_malformed, "IPv6 header, extension header or upper-layer header past the frame's end or the payload length, or a payload length past the frame: to the kernel (RFC 8200 3)") \
	X(ICMP6_ECHO_REPLIED, xdp_icmp6_echo_replied, "ICMPv6 echo request to a served address: answered by XDP_TX (RFC 4443 4.2)") \
	X(ND_ADVERTISED, xdp_nd_advertised, "Neighbor Solicitation for a served address: answered with a Neighbor Advertisement by XDP_TX (RFC 4861 7.2.4)") \
	X(DROP_ND_HOP_LIMIT, xdp_drop_nd_hop_limit, "Neighbor Solicitation for a served address with a hop limit other than 255, so from off the link: dropped (RFC 4861 7.1.1)")

enum mbxdp_stat {
#define MBXDP_STAT_SLOT(slot, name, meaning) MBXDP_STAT_##slot,
	MBXDP_STATS(MBXDP_STAT_SLOT)
#undef MBXDP_STAT_SLOT
	MBXDP_STAT_COUNT
};

#endif
