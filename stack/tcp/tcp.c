#include "tcp_conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table_mem.h"

int conn_table_init(struct conn_table *t, uint32_t capacity, uint64_t hash_key)
{
	uint32_t ns = 1, idx_mask = 1;

	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > (1u << 30)) {
		errno = EINVAL;
		return -1;
	}
	while (ns < capacity * 2u) /* load factor at most 1/2 */
		ns <<= 1;
	while (idx_mask < capacity) /* index + 1 fits */
		idx_mask = idx_mask << 1 | 1;
	/* Sizes first: a failed allocation frees what it got. */
	t->capacity = capacity;
	t->slot_mask = ns - 1;
	t->idx_mask = idx_mask;
	t->conns = table_mem_map((size_t)capacity * sizeof(*t->conns));
	t->l2 = table_mem_map((size_t)capacity * sizeof(*t->l2));
	t->slots = table_mem_map((size_t)ns * sizeof(*t->slots)); /* zeroed: all free */
	if (!t->conns || !t->l2 || !t->slots) {
		conn_table_free(t);
		errno = ENOMEM;
		return -1;
	}
	for (uint32_t i = 0; i < capacity; i++)
		t->conns[i].next = i + 1 < capacity ? i + 1 : CONN_NONE;
	t->free_head = 0;
	t->hash_key = hash_key;
	return 0;
}

void conn_table_free(struct conn_table *t)
{
	table_mem_unmap(t->conns, (size_t)t->capacity * sizeof(*t->conns));
	table_mem_unmap(t->l2, (size_t)t->capacity * sizeof(*t->l2));
	table_mem_unmap(t->slots, ((size_t)t->slot_mask + 1) * sizeof(*t->slots));
	memset(t, 0, sizeof(*t));
}

struct tcp_conn *conn_insert(struct conn_table *t, uint32_t raddr, uint32_t laddr,
			     uint16_t rport, uint16_t lport)
{
	uint32_t i = t->free_head;
	struct conn_key k;
	struct tcp_conn *c;

	if (i == CONN_NONE)
		return 0;
	c = &t->conns[i];
	t->free_head = c->next;
	memset(c, 0, sizeof(*c));
	c->raddr = raddr;
	c->laddr = laddr;
	c->rport = rport;
	c->lport = lport;
	c->adu_buf = CONN_NONE;
	c->snd_buf = CONN_NONE;
	c->next = CONN_NONE;
	/* At a load of at most 1/2 a free slot is always ahead. */
	k = conn_hash(t, raddr, laddr, rport, lport);
	while (t->slots[k.slot])
		k.slot = (k.slot + 1) & t->slot_mask;
	t->slots[k.slot] = k.tag | (i + 1);
	t->in_use++;
	t->gen++;
	return c;
}

/* The home slot of the entry in slot i. */
static uint32_t home_of(const struct conn_table *t, uint32_t i)
{
	const struct tcp_conn *c = conn_at_slot(t, i);

	return conn_hash(t, c->raddr, c->laddr, c->rport, c->lport).slot;
}

void conn_remove(struct conn_table *t, struct tcp_conn *c)
{
	uint32_t idx = (uint32_t)(c - t->conns);
	uint32_t hole = conn_hash(t, c->raddr, c->laddr, c->rport, c->lport).slot;

	while ((t->slots[hole] & t->idx_mask) != idx + 1)
		hole = (hole + 1) & t->slot_mask;
	/* Knuth's algorithm R (TAOCP 6.4): an entry after the hole moves into
	 * it unless its home lies cyclically in (hole, j], where it must stay
	 * reachable from; the run ends at a free slot. */
	for (uint32_t j = (hole + 1) & t->slot_mask; t->slots[j]; j = (j + 1) & t->slot_mask) {
		uint32_t home = home_of(t, j);

		if (((j - home) & t->slot_mask) >= ((j - hole) & t->slot_mask)) {
			t->slots[hole] = t->slots[j];
			hole = j;
		}
	}
	t->slots[hole] = 0;
	c->state = 0;
	c->next = t->free_head;
	t->free_head = idx;
	t->in_use--;
	t->gen++;
}
