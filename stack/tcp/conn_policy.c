#include "conn_policy.h"
#include "ip_prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table_mem.h"

/* The batch of eviction candidates one scan of the table collects. */
#define CAND_BATCH_MAX 4096u

void conn_policy_defaults(struct conn_policy_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->idle_ms = 10000;
	cfg->priority_idle_ms = 30000;
	cfg->time_wait_ms = 1000;
}

int conn_cidr_parse(const char *s, struct conn_cidr *c)
{
	struct ip_prefix p;

	if (ip_prefix_parse(s, &p) || p.family != AF_INET)
		return -1;
	c->mask = ntohl(ip_prefix_mask4(p.len));
	c->net = ntohl(p.addr.v4) & c->mask;
	return 0;
}

int conn_policy_init(struct conn_policy *p, const struct conn_policy_config *cfg,
		     uint32_t max_conns, uint64_t hash_key)
{
	memset(p, 0, sizeof(*p));
	if (cfg->n_priority > CONN_POLICY_MAX_PRIORITY) {
		errno = EINVAL;
		return -1;
	}
	p->cfg = *cfg;
	p->hash_key = hash_key;
	p->cand_cap = max_conns < CAND_BATCH_MAX ? max_conns : CAND_BATCH_MAX;
	p->cand = calloc(p->cand_cap, sizeof(*p->cand));
	if (!p->cand)
		goto nomem;
	if (cfg->max_per_source) {
		/* One slot per connection at a load factor of at most 4/5 (so
		 * linear probes stay short), 5 bytes a connection. */
		p->n_sources = max_conns + max_conns / 4 + 1;
		p->sources = table_mem_map((size_t)p->n_sources * sizeof(*p->sources));
		if (!p->sources)
			goto nomem;
	}
	return 0;
nomem:
	conn_policy_free(p);
	errno = ENOMEM;
	return -1;
}

void conn_policy_free(struct conn_policy *p)
{
	free(p->cand);
	table_mem_unmap(p->sources, (size_t)p->n_sources * sizeof(*p->sources));
	memset(p, 0, sizeof(*p));
}

int conn_policy_is_priority(const struct conn_policy *p, uint32_t raddr)
{
	uint32_t a = ntohl(raddr);

	for (uint32_t i = 0; i < p->cfg.n_priority; i++)
		if ((a & p->cfg.priority[i].mask) == p->cfg.priority[i].net)
			return 1;
	return 0;
}

/* The per-source table is a multiset of source addresses under linear
 * probing: a connection puts its source in, its close takes one copy out,
 * and a source's count is the number of its copies, all of which lie in the
 * run of occupied slots from the address's home slot on. Counting stops at
 * the limit, so an admission reads at most the run up to max_per_source
 * copies; only opens and closes touch the table. A slot holds the network
 * order address + 1: 0 marks a free slot, and 255.255.255.255, the one
 * address that would wrap, is never a source (frame_in.c drops it). */
static uint32_t source_home(const struct conn_policy *p, uint32_t slot_value)
{
	/* Keyed, so a flood of chosen source addresses cannot be aimed at
	 * one run of slots; reduced to the table by a multiply (Lemire's
	 * "fast alternative to the modulo reduction"). */
	uint64_t h = (slot_value ^ p->hash_key) * 0x9e3779b97f4a7c15ULL;

	return (uint32_t)(((h >> 32) * p->n_sources) >> 32);
}

static uint32_t next_slot(const struct conn_policy *p, uint32_t i)
{
	return i + 1 == p->n_sources ? 0 : i + 1;
}

/* Copies of raddr, counting up to at most `upto`. */
static uint32_t source_copies(const struct conn_policy *p, uint32_t raddr, uint32_t upto)
{
	uint32_t v = raddr + 1, n = 0;

	for (uint32_t i = source_home(p, v); p->sources[i] && n < upto; i = next_slot(p, i))
		n += p->sources[i] == v;
	return n;
}

uint32_t conn_policy_source_count(const struct conn_policy *p, uint32_t raddr)
{
	return p->sources ? source_copies(p, raddr, UINT32_MAX) : 0;
}

int conn_policy_source_full(const struct conn_policy *p, uint32_t raddr)
{
	return p->sources &&
	       source_copies(p, raddr, p->cfg.max_per_source) >= p->cfg.max_per_source;
}

void conn_policy_source_add(struct conn_policy *p, uint32_t raddr)
{
	uint32_t i;

	if (!p->sources)
		return;
	for (i = source_home(p, raddr + 1); p->sources[i]; i = next_slot(p, i))
		;
	p->sources[i] = raddr + 1;
}

/* Removal by backward shift (Knuth 6.4, algorithm R): no tombstones, so
 * probes never grow with churn. */
void conn_policy_source_del(struct conn_policy *p, uint32_t raddr)
{
	uint32_t v = raddr + 1, i, j;

	if (!p->sources)
		return;
	for (i = source_home(p, v); p->sources[i] != v; i = next_slot(p, i))
		if (!p->sources[i])
			return; /* not there: nothing to take out */
	p->sources[i] = 0;
	for (j = next_slot(p, i); p->sources[j]; j = next_slot(p, j)) {
		uint32_t n = p->n_sources, home = source_home(p, p->sources[j]);

		/* j's entry may move to the hole at i unless its home lies
		 * cyclically in (i, j]. */
		if ((j + n - home) % n >= (j + n - i) % n) {
			p->sources[i] = p->sources[j];
			p->sources[j] = 0;
			i = j;
		}
	}
}

/* A min-heap on rank of the best candidates seen so far. */
static void heap_down(struct conn_candidate *h, uint32_t n, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		struct conn_candidate t;

		if (l < n && h[l].rank < h[m].rank)
			m = l;
		if (l + 1 < n && h[l + 1].rank < h[m].rank)
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void heap_up(struct conn_candidate *h, uint32_t i)
{
	while (i && h[(i - 1) / 2].rank > h[i].rank) {
		struct conn_candidate t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

/* Evictable connections rank by how long they have been idle; TIME-WAIT
 * ranks above any of them. 0: not evictable. */
static uint64_t rank(const struct tcp_conn *c, uint32_t now)
{
	if (!conn_evictable(c))
		return 0;
	return ((c->state == TCP_TIME_WAIT ? 2ull : 1ull) << 32) + (uint32_t)(now - c->last_req);
}

/* One pass over the table collects the cand_cap best candidates, best
 * first. */
static void scan(struct conn_policy *p, const struct conn_table *t, uint32_t now)
{
	struct conn_candidate *h = p->cand;
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->capacity; i++) {
		const struct tcp_conn *c = &t->conns[i];
		uint64_t r = rank(c, now);

		if (!r || (n == p->cand_cap && r <= h[0].rank))
			continue;
		if (n == p->cand_cap) {
			h[0] = (struct conn_candidate){ r, i, c->last_req };
			heap_down(h, n, 0);
		} else {
			h[n] = (struct conn_candidate){ r, i, c->last_req };
			heap_up(h, n++);
		}
	}
	/* Heap sort: popping the minimum to the end leaves the array best
	 * first. */
	for (uint32_t k = n; k > 1; k--) {
		struct conn_candidate tmp = h[0];

		h[0] = h[k - 1];
		h[k - 1] = tmp;
		heap_down(h, k - 1, 0);
	}
	p->n_cand = n;
	p->next_cand = 0;
}

/* Why a scan and not an LRU list: an exact doubly linked LRU would write to
 * two or three other connections' cache lines on every request. Here a
 * request only stamps its own connection (last_req), and the order is
 * worked out when the table is full: one pass over the table keeps the
 * cand_cap longest-idle candidates, and later evictions take them in order
 * until the batch runs out. A candidate whose stamp or state changed since
 * the scan is skipped (it was active, so it is no longer among the oldest).
 * The choice is exact: any connection outside the batch was idle for less
 * at the scan than every candidate still taken, and connections opened
 * since are newer still (to the tick's 1 ms). A scan reads the whole
 * table (64 B a connection: 2.9 ms for a million in conn_capacity.c), so
 * its cost is spread over up to 4096 evictions; none is made while nothing
 * is evictable. */
struct tcp_conn *conn_policy_victim(struct conn_policy *p, struct conn_table *t, uint32_t now)
{
	if (!p->n_evictable)
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		while (p->next_cand < p->n_cand) {
			const struct conn_candidate *k = &p->cand[p->next_cand++];
			struct tcp_conn *c = &t->conns[k->idx];

			if (c->last_req == k->check && rank(c, now) >> 32 == k->rank >> 32)
				return c;
		}
		if (pass == 0)
			scan(p, t, now);
	}
	return 0;
}
