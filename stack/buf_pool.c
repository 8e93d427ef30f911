#include "buf_pool.h"

#include <stdlib.h>
#include <string.h>

#include "table_mem.h"

int buf_pool_init(struct buf_pool *p, uint32_t n, size_t size)
{
	size_t bytes = (size_t)n * size;

	memset(p, 0, sizeof(*p));
	p->mem = table_mem_map(bytes);
	p->free = malloc((size_t)n * sizeof(*p->free));
	if (!p->mem || !p->free) {
		table_mem_unmap(p->mem, bytes);
		free(p->free);
		memset(p, 0, sizeof(*p));
		return -1;
	}
	/* Handed out lowest first, and a freed buffer is the next one taken:
	 * the buffers in use stay few and warm. */
	for (uint32_t i = 0; i < n; i++)
		p->free[i] = n - 1 - i;
	p->n_free = n;
	p->capacity = n;
	p->size = size;
	return 0;
}

void buf_pool_free(struct buf_pool *p)
{
	if (p->free) {
		table_mem_unmap(p->mem, (size_t)p->capacity * p->size);
		free(p->free);
	}
	memset(p, 0, sizeof(*p));
}
