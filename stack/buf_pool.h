/* A pool of fixed-size buffers allocated at start-up: one mapping of n
 * buffers and a free stack of their indexes. The data path only moves
 * indexes on and off the stack, inline. Serves the ADU buffers (stack.c)
 * and the send queue blocks (tcp_sndq.c). */
#ifndef MBX_BUF_POOL_H
#define MBX_BUF_POOL_H

#include <stddef.h>
#include <stdint.h>

#define BUF_POOL_NONE UINT32_MAX /* buf_pool_get on an empty pool */

struct buf_pool {
	void *mem; /* capacity buffers of `size` bytes; index i at mem + i * size */
	uint32_t *free;
	uint32_t n_free;
	uint32_t capacity;
	size_t size;
};

/* 0, or -1 when the memory cannot be had (the pool is then all zero). */
int buf_pool_init(struct buf_pool *p, uint32_t n, size_t size);
/* Also on a pool that is all zero. */
void buf_pool_free(struct buf_pool *p);

/* The index of a free buffer, or BUF_POOL_NONE. */
static inline uint32_t buf_pool_get(struct buf_pool *p)
{
	if (!p->n_free)
		return BUF_POOL_NONE;
	return p->free[--p->n_free];
}

static inline void buf_pool_put(struct buf_pool *p, uint32_t i)
{
	p->free[p->n_free++] = i;
}

#endif
