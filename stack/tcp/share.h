/* Fair shares of the stack's buffer pools (send blocks, ADU buffers): one
 * connection, or one source address with many connections, may not take a
 * pool's last buffers from the others.
 *
 * - A connection holds at most conn_cap buffers of a pool: an eighth of it
 *   (at least SHARE_CONN_MIN), so no handful of connections drains it.
 * - A source address holds at most as many buffers of a pool as are still
 *   free in it: a lone greedy source ends with half the pool, a second with
 *   half of the rest, and a source holding nothing always gets a free one.
 *   The bound moves with the pool, so an ordinary load (many sources, few
 *   buffers each) never meets it, and it needs no option. A client stack
 *   (stack_config.app) has no source shares: its peers are the servers it
 *   loads, all its connections to one of them.
 *
 * What a source holds is kept in a small open-addressing table per worker
 * (keyed hash of the address, linear probes, backward-shift removal),
 * allocated at start: only sources that hold buffers have a slot, and a
 * slot is freed with its last buffer. When the table is full, the sources
 * that found no slot share one entry, and so one source's share, together
 * (counted: share_source_table_full): they are limited more, never less.
 *
 * A connection that keeps its send block from one answer to the next (a
 * client whose next request acknowledges the last answer) costs nothing
 * here; one that gives it back at each acknowledgement costs one lookup
 * of its source to take it and one to give it back. */
#ifndef MBX_SHARE_H
#define MBX_SHARE_H

#include <stdint.h>

#include "buf_pool.h"

enum share_pool {
	SHARE_SND, /* send queue blocks beyond a connection's first */
	SHARE_ADU, /* buffers of incomplete ADUs */
	SHARE_POOLS,
};

#define SHARE_CONN_MIN 4 /* a connection's share of a small pool */

struct share_source {
	uint32_t key; /* source address (network order) + 1; 0: a free slot */
	uint32_t held[SHARE_POOLS];
};

struct share_table {
	const struct buf_pool *pool[SHARE_POOLS];
	uint32_t conn_cap[SHARE_POOLS];
	struct share_source *slots;
	uint32_t mask; /* slots - 1 */
	uint32_t used, max_used; /* taken slots, and how many may be */
	uint64_t hash_key;
	struct share_source overflow; /* the sources the table had no slot for */
};

/* For the stack's pools (which must be initialised) and a table of
 * max_conns connections. Returns 0, or -1 when out of memory. */
int share_init(struct share_table *t, const struct buf_pool *snd, const struct buf_pool *adu,
	       uint32_t max_conns, uint64_t hash_key);
void share_free(struct share_table *t);

/* Buffers of pool p the source raddr (network order) holds. */
uint32_t share_held(const struct share_table *t, uint32_t raddr, enum share_pool p);

/* Why share_take refused (tcp_priv.h). */
#define SHARE_POOL_EMPTY (-1) /* nothing free */
#define SHARE_CONN_FULL (-2) /* the connection holds its share */
#define SHARE_SOURCE_FULL (-3) /* the source holds as many as are free */

#endif
