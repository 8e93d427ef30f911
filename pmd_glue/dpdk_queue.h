/* One queue pair of an ethdev port as a struct mbx_port: the data path of
 * the DPDK backend. Internal to pmd_glue: port_dpdk.c opens one per queue. */
#ifndef MBX_DPDK_QUEUE_H
#define MBX_DPDK_QUEUE_H

#include <stdint.h>

#include <rte_mempool.h>

#include "port.h"

/* A port over queue pair q of ethdev port_id, allocating from pool (the
 * pool its receive queue fills from). device_counters: sync_counters brings
 * in the ethdev's device-wide counters (set on one queue only, so a sum over
 * queues counts them once). NULL when out of memory. mbx_port_close() does
 * nothing; the caller frees the port with free() when the device is closed. */
struct mbx_port *mbx_dpdk_queue_open(uint16_t port_id, uint16_t q, struct rte_mempool *pool,
				     int device_counters);

#endif
