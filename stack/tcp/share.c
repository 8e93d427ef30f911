/* Fair shares of the buffer pools: see share.h. */
#include "share.h"

#include <stdlib.h>
#include <string.h>

#include "priv/tcp_priv.h"

/* Sources that may hold buffers at once: beyond this (per worker), the
 * rest share the overflow entry. */
#define SHARE_SOURCES_MAX 2048u

static uint32_t conn_cap(const struct buf_pool *p)
{
	uint32_t cap = p->capacity / 8;

	return cap > SHARE_CONN_MIN ? cap : SHARE_CONN_MIN;
}

int share_init(struct share_table *t, const struct buf_pool *snd, const struct buf_pool *adu,
	       uint32_t max_conns, uint64_t hash_key)
{
	uint32_t sources = max_conns < SHARE_SOURCES_MAX ? max_conns : SHARE_SOURCES_MAX;
	uint32_t slots = 16;

	memset(t, 0, sizeof(*t));
	/* At most half full, so probe runs stay short. */
	while (slots < 2 * sources)
		slots <<= 1;
	t->slots = calloc(slots, sizeof(*t->slots));
	if (!t->slots)
		return -1;
	t->mask = slots - 1;
	t->max_used = slots / 2;
	t->hash_key = hash_key;
	t->pool[SHARE_SND] = snd;
	t->pool[SHARE_ADU] = adu;
	t->conn_cap[SHARE_SND] = conn_cap(snd);
	t->conn_cap[SHARE_ADU] = conn_cap(adu);
	return 0;
}

void share_free(struct share_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static uint32_t home(const struct share_table *t, uint32_t key)
{
	/* Keyed, so chosen source addresses cannot be aimed at one run. */
	uint64_t h = (key ^ t->hash_key) * 0x9e3779b97f4a7c15ULL;

	return (uint32_t)(h >> 32) & t->mask;
}

/* The slot of key, or the free slot ending its run (NULL when the key is
 * absent and the table may take no more). */
static struct share_source *lookup(const struct share_table *t, uint32_t key, int add)
{
	uint32_t i = home(t, key);

	while (t->slots[i].key) {
		if (t->slots[i].key == key)
			return &t->slots[i];
		i = (i + 1) & t->mask;
	}
	return add && t->used < t->max_used ? &t->slots[i] : 0;
}

/* Frees slot i, moving later members of its run back so that every key
 * stays reachable from its home without tombstones. */
static void remove_slot(struct share_table *t, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		uint32_t h;

		j = (j + 1) & t->mask;
		if (!t->slots[j].key)
			break;
		h = home(t, t->slots[j].key);
		/* j's entry may fill the hole at i if its home is not in (i, j]. */
		if (((j - h) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->used--;
}

uint32_t share_held(const struct share_table *t, uint32_t raddr, enum share_pool p)
{
	const struct share_source *e = lookup(t, raddr + 1, 0);

	return e ? e->held[p] : 0;
}

static int holds_any(const struct share_source *e)
{
	for (int i = 0; i < SHARE_POOLS; i++)
		if (e->held[i])
			return 1;
	return 0;
}

int share_take(struct stack *s, const struct tcp_conn *c, enum share_pool p, uint32_t conn_held)
{
	struct share_table *t = &s->share;
	uint32_t n_free = t->pool[p]->n_free, key = conn_source(s, c) + 1;
	struct share_source *e;

	if (!n_free)
		return SHARE_POOL_EMPTY;
	if (conn_held >= t->conn_cap[p])
		return SHARE_CONN_FULL;
	/* A client stack's peers are the few servers it loads: their
	 * shares would only cap its own connections. */
	if (__builtin_expect(s->client, 0))
		return 0;
	e = lookup(t, key, 1);
	if (!e) {
		s->ctr.share_source_table_full++;
		e = &t->overflow;
	}
	if (e->held[p] >= n_free)
		return SHARE_SOURCE_FULL;
	if (!e->key && e != &t->overflow) {
		e->key = key;
		t->used++;
	}
	e->held[p]++;
	return 0;
}

void share_return(struct stack *s, const struct tcp_conn *c, enum share_pool p, uint32_t n)
{
	struct share_table *t = &s->share;
	struct share_source *e;
	uint32_t k = 0;

	if (__builtin_expect(s->client, 0))
		return; /* nothing was counted to a source (share_take) */
	e = lookup(t, conn_source(s, c) + 1, 0);
	if (e) {
		/* Buffers taken while the source had no slot are the
		 * overflow's: what this entry lacks comes off there. */
		k = e->held[p] < n ? e->held[p] : n;
		e->held[p] -= k;
		if (!holds_any(e))
			remove_slot(t, (uint32_t)(e - t->slots));
	}
	t->overflow.held[p] -= n - k;
}
