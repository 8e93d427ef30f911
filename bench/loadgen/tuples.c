#include "tuples.h"

#include <arpa/inet.h>
#include <stdlib.h>

int tuple_pool_init(struct tuple_pool *t, uint32_t first_addr, uint32_t n_addrs,
		    uint16_t first_port, uint32_t n_ports)
{
	uint64_t size = (uint64_t)n_addrs * n_ports;

	*t = (struct tuple_pool){ .first_addr = first_addr, .n_addrs = n_addrs,
				  .first_port = first_port };
	if (!n_addrs || !n_ports || (uint32_t)first_port + n_ports > 65536)
		return -1;
	t->size = size > TUPLES_MAX ? TUPLES_MAX : (uint32_t)size;
	t->bits = calloc((t->size + 63) / 64, sizeof(*t->bits));
	return t->bits ? 0 : -1;
}

void tuple_pool_free(struct tuple_pool *t)
{
	free(t->bits);
	t->bits = NULL;
}

int64_t tuple_get(struct tuple_pool *t)
{
	if (t->live == t->size)
		return -1;
	for (;;) {
		uint32_t i = t->next;

		t->next = i + 1 == t->size ? 0 : i + 1;
		if (!(t->bits[i / 64] >> (i % 64) & 1)) {
			t->bits[i / 64] |= 1ull << (i % 64);
			t->live++;
			return i;
		}
	}
}

void tuple_put(struct tuple_pool *t, uint32_t idx)
{
	t->bits[idx / 64] &= ~(1ull << (idx % 64));
	t->live--;
}

void tuple_of(const struct tuple_pool *t, uint32_t idx, uint32_t *addr, uint16_t *port)
{
	*addr = htonl(t->first_addr + idx % t->n_addrs);
	*port = (uint16_t)(t->first_port + idx / t->n_addrs);
}
