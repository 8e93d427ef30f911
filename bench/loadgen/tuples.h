/* The source tuples of the kernel-bypass master: every (address, port) of a
 * source prefix and a port range, handed out so that no two live
 * connections share one, in a round over all of them, so a tuple given back
 * is used again only after every other one was (long after the server
 * forgot it). Tuples go round the addresses first, so a server's
 * per-source limit sees the load spread over the whole prefix. No I/O; one
 * per worker. */
#ifndef MBB_TUPLES_H
#define MBB_TUPLES_H

#include <stdint.h>

/* More tuples than this are not used: the bitmap of live ones stays at
 * 8 MiB, and 2^26 connections are beyond any run. */
#define TUPLES_MAX (1u << 26)

struct tuple_pool {
	uint32_t first_addr; /* host order */
	uint32_t n_addrs;
	uint16_t first_port;
	uint32_t size; /* tuples used: n_addrs * ports, at most TUPLES_MAX */
	uint32_t next; /* where the round goes on */
	uint32_t live;
	uint64_t *bits; /* bit i: tuple i is out */
};

/* Tuples of addresses first_addr .. + n_addrs - 1 (host order) and ports
 * first_port .. + n_ports - 1. 0, or -1 when a size is 0, the ports pass
 * 65535, or memory is short. */
int tuple_pool_init(struct tuple_pool *t, uint32_t first_addr, uint32_t n_addrs,
		    uint16_t first_port, uint32_t n_ports);
void tuple_pool_free(struct tuple_pool *t);

/* A tuple's index, or -1 when every tuple is out. Looks at most at `size`
 * bits, and at one when fewer than a few are out. */
int64_t tuple_get(struct tuple_pool *t);
void tuple_put(struct tuple_pool *t, uint32_t idx);

/* The tuple of an index: address in network order, port in host order. */
void tuple_of(const struct tuple_pool *t, uint32_t idx, uint32_t *addr, uint16_t *port);

#endif
