/* The DPDK backend of struct mbx_port, over rte_ethdev: EAL, one ethdev port
 * with one receive/transmit queue pair per worker (RSS spreads the flows over
 * the receive queues), frames in mbufs. Any port EAL finds will do: a
 * virtual device (net_af_xdp, net_tap, net_pcap, net_ring) or a NIC bound to
 * a DPDK driver (docs/dpdk.md).
 *
 * A frame is an mbuf: data = rte_pktmbuf_mtod, room = bytes from there to
 * the end of the buffer, handle = the mbuf pointer. Each queue has its own
 * mempool, so a worker's buffers are its own and a zero-copy net_af_xdp
 * queue's umem is its pool.
 *
 * net_af_xdp with xdp_prog= naming mbxdp_steer.bpf.o: DPDK loads and
 * attaches the program and fills its xsks_map; mbx_dpdk_open() claims the
 * interface first (removing a leftover of a killed run) and fills the
 * program's set of served ports afterwards (xdp/loader.h, mbx_xdp_adopt), so
 * the kernel keeps the address, ARP and ICMP as on the AF_XDP backend. */
#ifndef MBX_PORT_DPDK_H
#define MBX_PORT_DPDK_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"
#include "port.h"

#define MBX_DPDK_QUEUES_MAX 64

struct mbx_dpdk;

/* Initialises EAL with argv (argv[0] is the program name). Once per
 * process. What EAL prints while it starts is held back; on failure err
 * gets one line: the reason EAL or its getopt gave. */
int mbx_dpdk_eal_init(int argc, char **argv, char *err, size_t errlen);

/* Releases what EAL holds (hugepages, the runtime directory). */
void mbx_dpdk_eal_cleanup(void);

/* Sets up and starts the one ethdev port EAL found, with n_queues queue
 * pairs and RSS over them when there are several. tcp_ports are the served
 * ports, for mbxdp's steering program under net_af_xdp. NULL with one line
 * in err on failure (no port, more than one, too few queues, a queue or the
 * device that would not start), nothing left open. */
struct mbx_dpdk *mbx_dpdk_open(uint32_t n_queues, const uint16_t *tcp_ports,
			       uint32_t n_tcp_ports, char *err, size_t errlen);

/* The port of queue q (0 <= q < n_queues), owned by d and freed by
 * mbx_dpdk_close(); mbx_port_close() on it does nothing, so a wrapper may
 * close it as usual. Queue 0's port also brings in
 * the device-wide counters (rte_eth_stats) when synced. */
struct mbx_port *mbx_dpdk_queue(struct mbx_dpdk *d, uint32_t q);

/* The device: its ethdev name and driver ("net_tap0 (net_tap)"), MTU and
 * MAC address. */
const char *mbx_dpdk_describe(const struct mbx_dpdk *d);
uint16_t mbx_dpdk_mtu(const struct mbx_dpdk *d);
void mbx_dpdk_mac(const struct mbx_dpdk *d, uint8_t mac[6]);

/* mbxdp's steering program on a net_af_xdp device, NULL on any other. */
const struct mbx_xdp *mbx_dpdk_xdp(const struct mbx_dpdk *d);

/* Makes the calling (non-EAL) thread an EAL thread, so its mempool
 * operations use a per-thread cache instead of the shared ring. Call once
 * at the start of each worker thread, after pinning it. */
int mbx_dpdk_thread_init(char *err, size_t errlen);

/* Stops and closes the device (net_af_xdp takes its XDP program off) and
 * frees the pools. Accepts NULL. */
void mbx_dpdk_close(struct mbx_dpdk *d);

#endif
