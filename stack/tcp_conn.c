#include "tcp_conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table_mem.h"

int conn_table_init(struct conn_table *t, uint32_t capacity, uint64_t hash_key)
{
	uint32_t nb = 1;

	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > (1u << 30)) {
		errno = EINVAL;
		return -1;
	}
	while (nb < capacity * 2u) /* load factor at most 1/2 */
		nb <<= 1;
	/* Sizes first: a failed allocation frees what it got. */
	t->capacity = capacity;
	t->bucket_mask = nb - 1;
	t->conns = table_mem_map((size_t)capacity * sizeof(*t->conns));
	t->l2 = table_mem_map((size_t)capacity * sizeof(*t->l2));
	t->buckets = table_mem_map((size_t)nb * sizeof(*t->buckets));
	if (!t->conns || !t->l2 || !t->buckets) {
		conn_table_free(t);
		errno = ENOMEM;
		return -1;
	}
	memset(t->buckets, 0xff, (size_t)nb * sizeof(*t->buckets));
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
	table_mem_unmap(t->buckets, ((size_t)t->bucket_mask + 1) * sizeof(*t->buckets));
	memset(t, 0, sizeof(*t));
}

struct tcp_conn *conn_insert(struct conn_table *t, uint32_t raddr, uint32_t laddr,
			     uint16_t rport, uint16_t lport)
{
	uint32_t i = t->free_head;
	uint32_t *bucket;
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
	bucket = &t->buckets[conn_hash(t, raddr, laddr, rport, lport)];
	c->next = *bucket;
	*bucket = i;
	t->in_use++;
	t->gen++;
	return c;
}

void conn_remove(struct conn_table *t, struct tcp_conn *c)
{
	uint32_t idx = (uint32_t)(c - t->conns);
	uint32_t *link = &t->buckets[conn_hash(t, c->raddr, c->laddr, c->rport, c->lport)];

	while (*link != idx)
		link = &t->conns[*link].next;
	*link = c->next;
	c->state = 0;
	c->next = t->free_head;
	t->free_head = idx;
	t->in_use--;
	t->gen++;
}
