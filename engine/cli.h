/* Command line of the mbxdp program. */
#ifndef MBX_CLI_H
#define MBX_CLI_H

#include <sched.h>
#include <stdint.h>

#include "tcp/conn_policy.h"
#include "loader.h"
#include "port_afxdp.h"
#include "port_impair.h"

#define CLI_MAX_PORTS 16
#define CLI_MAX_PREFIXES 64 /* of --address, and of --allow-source, of each family */
/* The widest --address prefixes: a /16 alone fills the XDP program's IPv4
 * address map, a /112 its IPv6 one. */
#define MBX_ADDRESS_PREFIX_MIN 16
#define MBX_ADDRESS_PREFIX6_MIN 112
_Static_assert(1u << (32 - MBX_ADDRESS_PREFIX_MIN) == MBXDP_ADDRS_MAX,
	       "a /MBX_ADDRESS_PREFIX_MIN fills mbxdp_addrs");
_Static_assert(1u << (128 - MBX_ADDRESS_PREFIX6_MIN) == MBXDP_ADDRS6_MAX,
	       "a /MBX_ADDRESS_PREFIX6_MIN fills mbxdp_addrs6");
#define CLI_MAX_QUEUES 64 /* workers of one mbxdp; MBX_DPDK_QUEUES_MAX */
#define CLI_NAME_MAX 200 /* the instance name; files /dev/shm/<name>.* */

struct cli_options {
	const char *iface;
	uint32_t queue; /* --queue N: this receive queue alone */
	int xdp_generic; /* 0: native (driver) mode, 1: generic (skb) mode */
	int other_queues_pass; /* --other-queues pass: XDP passes frames of queues not served */
	enum mbx_afxdp_copy afxdp_copy; /* --zero-copy, --copy */
	int busy_poll; /* --busy-poll: preferred busy polling on the AF_XDP sockets */
	uint32_t rx_ring, tx_ring, frames; /* AF_XDP ring sizes and umem frames; 0: defaults */
	cpu_set_t cpus; /* --cpus LIST: where the workers run */
	int cpus_given;
	int share_cpus; /* --share-cpus: more workers than CPUs, taken in turn */
	uint16_t ports[CLI_MAX_PORTS];
	uint32_t n_ports;
	uint32_t max_conns;
	struct conn_policy_config policy; /* limits, timeouts, close, keepalive */
	uint32_t rto_min_ms; /* RFC 6298 2.4 minimum RTO */
	uint32_t max_retries; /* retransmissions before a connection is reset */
	/* --address prefixes (each stands for all its addresses) and
	 * --allow-source prefixes, all of server 0, by family. */
	struct mbx_xdp_cidr addresses[CLI_MAX_PREFIXES];
	uint32_t n_addresses;
	struct mbx_xdp_cidr6 addresses6[CLI_MAX_PREFIXES];
	uint32_t n_addresses6;
	struct mbx_xdp_cidr allow[CLI_MAX_PREFIXES];
	uint32_t n_allow;
	struct mbx_xdp_cidr6 allow6[CLI_MAX_PREFIXES];
	uint32_t n_allow6;
	int detach; /* --detach: remove a left-over program and exit */
	int impair; /* --impair given: wrap the port in port_impair.h */
	struct mbx_impair_config impair_cfg;
	const char *capture; /* --capture FILE.pcapng, or NULL */
	const char *cookie_secret_file; /* keys derived from its contents instead of random, or NULL */
	const char *user; /* --user: who the engine serves as; NULL: nobody when root */
	const char *group; /* --group: may read the counters and the capture */
	const char *writers; /* --writers: may read and write the registers */
	uint32_t capture_ring; /* bytes */
	int dpdk; /* --dpdk: serve a DPDK port (port_dpdk.h) instead of AF_XDP */
	/* --queues: AF_XDP receive queues 0..N-1, DPDK queue pairs; one
	 * worker each. 0: every queue of the interface (AF_XDP's default). */
	uint32_t queues;
	int queues_given, queue_given, xdp_mode_given; /* to refuse the other backend's options */
	int afxdp_only_given; /* an AF_XDP socket option (copy mode, busy polling, rings) */
	int eal_argc; /* the arguments after --, behind argv[0]: EAL's argv */
	char **eal_argv;
	/* --name, or name_buf: mbxdp-<iface>, mbxdp-<iface>-<queue> with
	 * --queue, mbxdp-dpdk-<pid> */
	const char *name;
	char name_buf[CLI_NAME_MAX + 1];
	int idle_adaptive; /* --idle adaptive: sleep on the socket when quiet */
	const char *config; /* --config: the device model file; NULL: the default model */
	const char *xdp_object; /* --xdp-object: the steering program; NULL: loader.h's rule */
	/* Not an mbxdp option: mbxdp-bench's master opens the backend with
	 * the steering program in client mode (loader.h), ports being the
	 * servers' and addresses its own sources. */
	int xdp_client;
};

/* Parses argv; with --dpdk, the arguments after -- are EAL's (eal_argv
 * points into argv, whose "--" is overwritten with argv[0]). Returns 0 to run, 1 when --help or --version was answered
 * (exit 0), -1 on a usage error (message already printed; exit 2). */
int cli_parse(int argc, char **argv, struct cli_options *o);

#endif
