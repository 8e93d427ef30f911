/* What this mbxdp serves, address by address, for the backend that serves
 * it: the device model's configured servers (each address its own server,
 * with the server's allow-list; a dual-stack server has one address of each
 * family), or with the default model the --address prefixes and
 * --allow-source, all of server 0. On AF_XDP the XDP program steers these
 * addresses and answers ARP, or Neighbor Solicitations, for each one the
 * kernel does not own (steering_mark_arp); on DPDK the stack owns them. */
#ifndef MBX_STEERING_H
#define MBX_STEERING_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "devmodel.h"
#include "loader.h"

struct steering {
	/* None of either family listed: any address (loader.h) */
	struct mbx_xdp_addr *addrs;
	uint32_t n_addrs;
	struct mbx_xdp_addr6 *addrs6;
	uint32_t n_addrs6;
	uint32_t n_answer_arp; /* of addrs, those XDP answers ARP for (steering_mark_arp) */
	uint32_t n_answer_nd; /* of addrs6, those XDP answers Neighbor Solicitations for */
	struct mbx_xdp_cidr *allow; /* allow-lists, by server */
	uint32_t n_allow;
	struct mbx_xdp_cidr6 *allow6;
	uint32_t n_allow6;
};

/* Lists what the options and the model serve, at most max addresses of
 * each family (limit says whose: "one XDP program serves"). Returns 0, or
 * -1 with a reason in err (too many, --address or --allow-source beside a
 * model file, out of memory). */
int steering_plan(const struct cli_options *o, const struct devmodel *dm, uint32_t max,
		  const char *limit, struct steering *st, char *err, size_t errlen);

/* Marks for answers from XDP each IPv4 address no interface of this
 * network namespace has, and each IPv6 address iface does not have.
 * Returns 0, or -1 with a reason in err. */
int steering_mark_arp(struct steering *st, const char *iface, char *err, size_t errlen);

/* Frees the lists; the counts stay for the start-up message. */
void steering_free(struct steering *st);

#endif
