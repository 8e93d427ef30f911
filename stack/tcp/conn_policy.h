/* Connection management as the Modbus Messaging on TCP/IP Implementation
 * Guide V1.0b 4.2.1 recommends: a global limit (the table's capacity) and a
 * per-source limit; two pools, priority sources (configured CIDRs), whose
 * connections are never closed on our initiative to make room, and the rest,
 * whose oldest idle connection is closed when the table is full and a new
 * connection arrives; an idle timeout per pool.
 *
 * This file is the bookkeeping only (no segments): per-source counts, the
 * priority match, and the choice of an eviction victim. The TCP side (the
 * active close, the timers) is tcp_close.c. */
#ifndef MBX_CONN_POLICY_H
#define MBX_CONN_POLICY_H

#include <stdint.h>

#include "tcp_conn.h"

#define CONN_POLICY_MAX_PRIORITY 32

/* An IPv4 prefix, host order; mask has the top len bits set. */
struct conn_cidr {
	uint32_t net;
	uint32_t mask;
};

struct conn_policy_config {
	uint32_t max_per_source; /* connections one source address may hold; 0: no limit */
	struct conn_cidr priority[CONN_POLICY_MAX_PRIORITY]; /* priority sources */
	uint32_t n_priority;
	uint32_t idle_ms; /* idle timeout of the other pool; 0: none */
	uint32_t priority_idle_ms; /* idle timeout of the priority pool; 0: none */
	int close_rst; /* our close is a RST instead of a FIN */
	uint32_t time_wait_ms; /* how long TIME-WAIT lasts (bounded, see tcp_close.c) */
	uint32_t keepalive_idle_ms; /* RFC 1122 4.2.3.6 probes after this silence; 0: off */
	uint32_t keepalive_intvl_ms;
	uint32_t keepalive_count; /* unanswered probes before the connection is reset */
};

/* The defaults of the command line: no per-source limit, idle timeouts of
 * 10 s (30 s for priority sources), close by FIN, TIME-WAIT 1 s, no
 * keepalive. */
void conn_policy_defaults(struct conn_policy_config *cfg);

/* Parses "A.B.C.D/LEN" (or a plain address, /32; ip_prefix.h) into c.
 * Returns 0, or -1 for anything else, IPv6 prefixes included: priority
 * sources are IPv4 only. */
int conn_cidr_parse(const char *s, struct conn_cidr *c);

/* An eviction candidate, as it was when the table was scanned. */
struct conn_candidate {
	uint64_t rank; /* higher: evicted sooner */
	uint32_t idx;
	uint32_t check; /* stamp at the scan: a changed one is no longer a candidate */
};

struct conn_policy {
	struct conn_policy_config cfg;
	/* Per-source counts (conn_policy.c): one slot per connection holding
	 * its source address + 1, 0 for a free slot. NULL without a limit. */
	uint32_t *sources;
	uint32_t n_sources; /* slots */
	uint64_t hash_key;
	struct conn_candidate *cand; /* the batch of the last scan, best first */
	uint32_t n_cand, next_cand, cand_cap;
	uint32_t n_evictable; /* connections a scan could choose */
};

/* Allocates the per-source table (when there is a limit) and the candidate
 * batch for a table of max_conns. Returns 0, or -1 with errno set. */
int conn_policy_init(struct conn_policy *p, const struct conn_policy_config *cfg,
		     uint32_t max_conns, uint64_t hash_key);
void conn_policy_free(struct conn_policy *p);

/* Whether raddr (network order) is in a priority prefix. */
int conn_policy_is_priority(const struct conn_policy *p, uint32_t raddr);

/* Per-source accounting: whether raddr may open one more, and the counts. */
int conn_policy_source_full(const struct conn_policy *p, uint32_t raddr);
void conn_policy_source_add(struct conn_policy *p, uint32_t raddr);
void conn_policy_source_del(struct conn_policy *p, uint32_t raddr);
uint32_t conn_policy_source_count(const struct conn_policy *p, uint32_t raddr);

/* Whether a scan may choose c to make room: TIME-WAIT (closed already), or
 * ESTABLISHED outside the priority pool. */
static inline int conn_evictable(const struct tcp_conn *c)
{
	return c->state == TCP_TIME_WAIT ||
	       (c->state == TCP_ESTABLISHED && !(c->cm_flags & CONN_PRIORITY));
}

/* Every state change goes through here (0 before the connection is
 * removed), so the policy knows without a scan whether anything could be
 * evicted: a table full of priority connections refuses at once. */
static inline void conn_policy_set_state(struct conn_policy *p, struct tcp_conn *c, uint8_t state)
{
	p->n_evictable -= (uint32_t)conn_evictable(c);
	c->state = state;
	p->n_evictable += (uint32_t)conn_evictable(c);
}

/* The connection to give up for a new one when the table is full: a
 * connection in TIME-WAIT first (it is closed already), otherwise the
 * non-priority ESTABLISHED connection idle the longest. now: the stack's
 * tick (low 32 bits, as last_req). NULL if none. */
struct tcp_conn *conn_policy_victim(struct conn_policy *p, struct conn_table *t, uint32_t now);

#endif
