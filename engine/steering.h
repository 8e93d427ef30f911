/* Which addresses the XDP program serves, from the --serve-address prefixes:
 * every address of every prefix, each marked for ARP answers from XDP when
 * the kernel does not own it (an address the kernel owns, it answers ARP for
 * itself, on any interface: the default arp_ignore). */
#ifndef MBX_STEERING_H
#define MBX_STEERING_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"

struct steering {
	struct mbx_xdp_addr *addrs; /* NULL when no prefix was given: any address */
	uint32_t n_addrs;
	uint32_t n_answer_arp; /* of them, those XDP answers ARP for */
};

/* Expands the prefixes (all of server 0). Returns 0, or -1 with a reason in
 * err (more than MBXDP_ADDRS_MAX addresses, out of memory, cannot list the
 * kernel's addresses). */
int steering_expand(const struct mbx_xdp_cidr *prefixes, uint32_t n, struct steering *st,
		    char *err, size_t errlen);

/* Frees the address list; the counts stay for the start-up message. */
void steering_free(struct steering *st);

#endif
