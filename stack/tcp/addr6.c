/* The worker's table of local IPv6 addresses (addr6.h): open addressing
 * over LOCAL6_SLOTS slots, filled when a connection opens to an address
 * first seen, and read by every IPv6 segment's lookup. */
#include "addr6.h"

#include <errno.h>
#include <stdlib.h>

int local6_init(struct local6_table *t, uint64_t key)
{
	t->addr = calloc(LOCAL6_MAX, sizeof(*t->addr));
	t->slots = calloc(LOCAL6_SLOTS, sizeof(*t->slots));
	t->n = 0;
	t->last = 0;
	t->key = key;
	if (!t->addr || !t->slots) {
		local6_free(t);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void local6_free(struct local6_table *t)
{
	free(t->addr);
	free(t->slots);
	t->addr = 0;
	t->slots = 0;
	t->n = 0;
}

/* The slot holding a, or the free one where it would go. */
static uint32_t slot_of(const struct local6_table *t, const uint8_t a[16])
{
	uint32_t i = addr6_conn_key(t->key, a) & (LOCAL6_SLOTS - 1);

	while (t->slots[i] && !addr6_equal(t->addr[t->slots[i] - 1], a))
		i = (i + 1) & (LOCAL6_SLOTS - 1);
	return i;
}

uint32_t local6_find_slow(struct local6_table *t, const uint8_t a[16])
{
	uint32_t v = t->slots[slot_of(t, a)];

	if (!v)
		return LOCAL6_NONE;
	t->last = v - 1u;
	return t->last;
}

uint32_t local6_add(struct local6_table *t, const uint8_t a[16])
{
	uint32_t i = slot_of(t, a);

	if (t->slots[i])
		return t->slots[i] - 1u;
	if (t->n == LOCAL6_MAX)
		return LOCAL6_NONE;
	memcpy(t->addr[t->n], a, 16);
	t->slots[i] = (uint16_t)++t->n;
	return t->n - 1;
}
