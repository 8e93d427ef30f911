/* Where the frames come from: the AF_XDP sockets of an interface's receive
 * queues, one per queue behind one XDP program of mbxdp's, or one DPDK
 * port with a queue pair per worker. The rest of the engine sees only
 * ports, one per worker. */
#ifndef MBX_BACKEND_H
#define MBX_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "devmodel.h"
#include "loader.h"
#include "port.h"

struct mbx_dpdk;

struct backend {
	uint32_t n_queues;
	/* What worker i drives: its queue's port, or the impair wrapper
	 * around it. */
	struct mbx_port *port[CLI_MAX_QUEUES];
	uint32_t queue_id[CLI_MAX_QUEUES]; /* the receive queue (or DPDK queue) of port i */
	uint32_t mtu;
	uint8_t mac[6]; /* the port's (interface's) address: the stack's, when it owns addresses */
	uint32_t xdp_addrs, xdp_arp_addrs; /* AF_XDP: addresses XDP serves (0: any), answers ARP for */
	uint32_t xdp_addrs6, xdp_nd_addrs6; /* the same for IPv6: served, answered ND for */
	/* DPDK: the served addresses, which the stack owns (network order) */
	uint32_t *stack_addrs;
	uint32_t n_stack_addrs;
	uint8_t (*stack_addrs6)[16];
	uint32_t n_stack_addrs6;
	char desc[192]; /* "IF queues 0-1 (native XDP, copy)", "net_tap0 (net_tap) 2 queues" */
	struct mbx_xdp *xdp; /* AF_XDP: the program in front of every queue's socket */
	struct mbx_port *afxdp[CLI_MAX_QUEUES]; /* AF_XDP: queue i's own port, unwrapped */
	struct mbx_dpdk *dpdk;
	int eal_up;
};

/* Opens the backend the options choose, serving the addresses of dm's
 * servers (or the --address list, with the default model): see steering.h.
 * On failure returns -1 with one line in err, nothing left open. */
int backend_open(struct backend *b, const struct cli_options *o, const struct devmodel *dm,
		 char *err, size_t errlen);

/* The AF_XDP socket of port i, to sleep on (idle.h); -1 with DPDK. */
int backend_socket_fd(const struct backend *b, uint32_t i);

/* Called first thing on each worker thread. */
int backend_thread_init(const struct backend *b, char *err, size_t errlen);

/* The XDP program's counters, if an mbxdp_steer program is in front;
 * read before backend_close(). 0 on success. */
int backend_xdp_counters(const struct backend *b, struct mbx_xdp_counters *out);

/* Takes an XDP program of ours off its interface and nothing else: for the
 * fatal-signal handler (see mbx_xdp_unhook). */
void backend_unhook(const struct backend *b);

/* Closes every port and the device. */
void backend_close(struct backend *b);

#endif
