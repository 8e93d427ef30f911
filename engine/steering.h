/* The --address list: every address of every prefix, for the backend that
 * serves them. On AF_XDP the XDP program steers them and answers ARP for
 * each one the kernel does not own (an address the kernel owns, it answers
 * ARP for itself, on any interface: the default arp_ignore); on DPDK the
 * stack owns them. */
#ifndef MBX_STEERING_H
#define MBX_STEERING_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"

/* Every address of the prefixes, network order, in a new array (NULL when
 * n is 0). Returns 0, or -1 with a reason in err when they are more than
 * max (limit says whose: "one XDP program serves") or memory runs out. */
int addresses_expand(const struct mbx_xdp_cidr *prefixes, uint32_t n, uint32_t max,
		     const char *limit, uint32_t **out, uint32_t *n_out, char *err, size_t errlen);

struct steering {
	struct mbx_xdp_addr *addrs; /* NULL when no address is listed: any address */
	uint32_t n_addrs;
	uint32_t n_answer_arp; /* of them, those XDP answers ARP for */
};

/* The XDP program's address list (all of server 0), each marked for ARP
 * answers unless an interface of this network namespace has it. Returns 0,
 * or -1 with a reason in err. */
int steering_for_xdp(const uint32_t *addrs, uint32_t n, struct steering *st, char *err,
		     size_t errlen);

/* Frees the address list; the counts stay for the start-up message. */
void steering_free(struct steering *st);

#endif
