/* The XDP side of mbxdp: loads the steering program (mbxdp_steer.bpf.c),
 * attaches it to one interface, fills its set of served ports, hands out its
 * XSKMAP for the AF_XDP socket and reads its counters.
 *
 * Ownership of the interface's XDP hook:
 * - a program of another name there is someone else's: refused, never
 *   replaced;
 * - an mbxdp_steer program there while no mbxdp runs on the interface was
 *   left by a run that died (kill -9): replaced;
 * - an mbxdp already running on the interface (in this network namespace):
 *   refused, so a second start cannot pull the program from under it. */
#ifndef MBX_LOADER_H
#define MBX_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "steer_abi.h"

struct mbx_xdp;

/* What every "not permitted" message says is missing. */
#define MBX_NEEDS_PRIVILEGES "needs root (CAP_NET_ADMIN, CAP_BPF and CAP_NET_RAW)"

/* One served IPv4 address. */
struct mbx_xdp_addr {
	uint32_t addr; /* network order */
	uint16_t server; /* the server it belongs to: whose allow-list applies */
	uint8_t answer_arp; /* 1: the kernel does not own it, so XDP answers its ARP and ping */
};

/* One served IPv6 address. */
struct mbx_xdp_addr6 {
	uint8_t addr[16]; /* as on the wire */
	uint16_t server;
	uint8_t answer_nd; /* 1: the kernel does not own it, so XDP answers its Neighbor Solicitations and echo requests */
};

/* One source prefix a server admits. A server with none admits every
 * source; one with any admits only sources inside them. */
struct mbx_xdp_cidr {
	uint32_t addr; /* network order; no bits set beyond prefix_len */
	uint8_t prefix_len; /* 0..32 */
	uint16_t server;
};

/* The same for IPv6 sources. */
struct mbx_xdp_cidr6 {
	uint8_t addr[16]; /* as on the wire; no bits set beyond prefix_len */
	uint8_t prefix_len; /* 0..128 */
	uint16_t server;
};

struct mbx_xdp_config {
	const char *ifname;
	int generic; /* 0: native (driver) mode, 1: generic (skb) mode */
	const uint16_t *ports; /* served TCP ports, host order; at least one */
	uint32_t n_ports;
	/* Served addresses, each at most once (up to MBXDP_ADDRS_MAX IPv4 and
	 * MBXDP_ADDRS6_MAX IPv6 ones). None of either family: every
	 * destination address is served, as server 0, and ARP and Neighbor
	 * Discovery are left to the kernel. Some of one family only: the other
	 * family's destinations are not served. */
	const struct mbx_xdp_addr *addrs;
	uint32_t n_addrs;
	const struct mbx_xdp_addr6 *addrs6;
	uint32_t n_addrs6;
	/* Allow-lists of all servers (up to MBXDP_ALLOW_MAX prefixes of each
	 * family). A server with prefixes of one family only admits no source
	 * of the other. */
	const struct mbx_xdp_cidr *allow;
	uint32_t n_allow;
	const struct mbx_xdp_cidr6 *allow6;
	uint32_t n_allow6;
	/* 1: a frame for a served port on a queue without a socket goes to the
	 * kernel; 0: dropped (both counted, xdp_no_socket_for_queue). */
	int pass_no_socket;
	/* 1: in front of a Modbus master: ports are the servers' (TCP from
	 * them is steered), addrs the master's own sources, and ARP replies
	 * to them are steered too (steer_abi.h). */
	int client;
	const char *bpf_obj_path; /* NULL: mbx_xdp_default_obj_path() */
};

/* What the program counted, summed over CPUs: one field per slot of
 * MBXDP_STATS (steer_abi.h). Every frame it saw is in exactly one of them. */
struct mbx_xdp_counters {
#define MBX_XDP_COUNTER_FIELD(slot, name, meaning) uint64_t name;
	MBXDP_STATS(MBX_XDP_COUNTER_FIELD)
#undef MBX_XDP_COUNTER_FIELD
};

/* Loads the program, fills its maps (ports, addresses, allow-lists, the
 * interface's MAC) and attaches it in the chosen mode. On failure returns
 * NULL with a one-line reason in err. */
struct mbx_xdp *mbx_xdp_attach(const struct mbx_xdp_config *cfg, char *err, size_t errlen);

/* The same, without attaching: the interface is only read (its index and
 * MAC). For running the program on test frames (BPF_PROG_TEST_RUN on
 * mbx_xdp_prog_fd()). Free with mbx_xdp_detach(). */
struct mbx_xdp *mbx_xdp_load(const struct mbx_xdp_config *cfg, char *err, size_t errlen);

int mbx_xdp_prog_fd(const struct mbx_xdp *x);

/* For a steering program another party loads and attaches, as DPDK's
 * net_af_xdp does with xdp_prog=: claims the interface and removes a
 * leftover of ours, as mbx_xdp_attach() does, but attaches nothing. Call
 * before the other party attaches; NULL with a reason in err on failure. */
struct mbx_xdp *mbx_xdp_claim(const char *ifname, char *err, size_t errlen);

/* After the other party attached its program to the claimed interface: if
 * it is mbxdp_steer, fills its port set (nobody else knows the served
 * ports, and an empty set steers nothing) and opens its counters; returns
 * 1. Returns 0 with the reason in err if the interface runs no program or
 * another one, -1 with err set on failure. An adopted program is not
 * detached by mbx_xdp_detach() (its attacher does that) but is by
 * mbx_xdp_unhook(). Its other maps stay empty: it serves any address and
 * admits every source. */
int mbx_xdp_adopt(struct mbx_xdp *x, const uint16_t *ports, uint32_t n_ports, char *err,
		  size_t errlen);

/* The program's xsks_map: receive queue -> AF_XDP socket. */
int mbx_xdp_xsks_map_fd(const struct mbx_xdp *x);

/* Reads the counters (drops among them) while the program is loaded; any
 * process can also read them with `bpftool map dump name mbxdp_stats`, one
 * slot per MBXDP_STATS entry. 0 on success, -1 with errno set. */
int mbx_xdp_read_counters(const struct mbx_xdp *x, struct mbx_xdp_counters *out);

/* Detaches the program (only if it is still ours on the interface) and frees
 * everything attach made. Accepts NULL. */
void mbx_xdp_detach(struct mbx_xdp *x);

/* Only takes the program off the interface (if still ours), freeing nothing:
 * for a fatal-signal handler, where the process is about to die anyway. It
 * goes through libbpf's netlink code, which allocates, so a caller in a
 * signal handler bounds it with alarm(). Accepts NULL. */
void mbx_xdp_unhook(const struct mbx_xdp *x);

/* For `mbxdp --detach --iface IF`: removes an mbxdp_steer program a dead run
 * left on IF. Returns 1 if one was removed, 0 if there was none, -1 with a
 * reason in err (no such interface, an mbxdp still running on it, ...). */
int mbx_xdp_detach_iface(const char *ifname, char *err, size_t errlen);

/* The environment variable that names the program's object file. */
#define MBX_XDP_OBJECT_ENV "MBXDP_XDP_OBJECT"

/* Where the program's object file is looked for when the config names none:
 * $MBXDP_XDP_OBJECT; else, for an executable of the build tree, where the
 * build put it; else where `meson install` put it (<libdir>/mbxdp), found
 * relative to the executable, so a moved installation keeps working. */
const char *mbx_xdp_default_obj_path(char *buf, size_t len);

#endif
