/* What this mbxdp serves, address by address, for the backend that serves
 * it: the device model's configured servers (each address its own server,
 * with the server's allow-list), or with the default model the --address
 * prefixes and --allow-source, all of server 0. On AF_XDP the XDP program
 * steers these addresses and answers ARP for each one the kernel does not
 * own (an address the kernel owns, it answers ARP for itself, on any
 * interface: the default arp_ignore); on DPDK the stack owns them. */
#ifndef MBX_STEERING_H
#define MBX_STEERING_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "devmodel.h"
#include "loader.h"

struct steering {
	struct mbx_xdp_addr *addrs; /* NULL when none is listed: any address */
	uint32_t n_addrs;
	uint32_t n_answer_arp; /* of them, those XDP answers ARP for (steering_mark_arp) */
	struct mbx_xdp_cidr *allow; /* allow-lists, by server */
	uint32_t n_allow;
};

/* Lists what the options and the model serve, at most max addresses (limit
 * says whose: "one XDP program serves"). Returns 0, or -1 with a reason in
 * err (too many, --address or --allow-source beside a model file, out of
 * memory). */
int steering_plan(const struct cli_options *o, const struct devmodel *dm, uint32_t max,
		  const char *limit, struct steering *st, char *err, size_t errlen);

/* Marks for ARP answers from XDP each address no interface of this network
 * namespace has. Returns 0, or -1 with a reason in err. */
int steering_mark_arp(struct steering *st, char *err, size_t errlen);

/* Frees the lists; the counts stay for the start-up message. */
void steering_free(struct steering *st);

#endif
