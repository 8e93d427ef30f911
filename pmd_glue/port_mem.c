/* In-memory port: see port_mem.h. The handle of a frame is its index in the
 * pool. The rx and tx queues are rings of indexes as large as the pool, so
 * they cannot overflow: a frame is in at most one of them. */
#include "port_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum frame_place { MEM_FREE, MEM_RX_QUEUED, MEM_WITH_CALLER, MEM_TX_QUEUED };

struct index_ring {
	uint32_t head, count;
	uint32_t *slot;
};

struct mem_port {
	struct mbx_port port; /* first: callers hold a pointer to it */
	uint32_t n_frames, frame_size;
	uint8_t *bytes; /* n_frames * frame_size */
	uint32_t *len; /* per frame: bytes queued on rx or tx */
	uint8_t *place; /* per frame: enum frame_place */
	uint32_t *free_stack;
	uint32_t n_free;
	struct index_ring rxq, txq;
	uint64_t bad_returns;
};

static inline struct mem_port *mem(struct mbx_port *p)
{
	return (struct mem_port *)p;
}

static void ring_push(struct index_ring *r, uint32_t cap, uint32_t idx)
{
	r->slot[(r->head + r->count++) % cap] = idx;
}

static uint32_t ring_pop(struct index_ring *r, uint32_t cap)
{
	uint32_t idx = r->slot[r->head];

	r->head = (r->head + 1) % cap;
	r->count--;
	return idx;
}

/* Hands frame idx to the caller. */
static struct mbx_frame hand_out(struct mem_port *mp, uint32_t idx, uint32_t len)
{
	mp->place[idx] = MEM_WITH_CALLER;
	return (struct mbx_frame){
		.data = mp->bytes + (size_t)idx * mp->frame_size,
		.len = len,
		.room = mp->frame_size,
		.handle = idx,
	};
}

/* Takes a frame back from the caller; -1 (and counted) if the caller did
 * not hold it. */
static int take_back(struct mem_port *mp, const struct mbx_frame *f, enum frame_place to)
{
	if (f->handle >= mp->n_frames || mp->place[f->handle] != MEM_WITH_CALLER) {
		mp->bad_returns++;
		return -1;
	}
	mp->place[f->handle] = (uint8_t)to;
	return 0;
}

static uint32_t mem_rx_burst(struct mbx_port *p, struct mbx_frame *f, uint32_t n)
{
	struct mem_port *mp = mem(p);
	uint32_t k = n < mp->rxq.count ? n : mp->rxq.count;

	for (uint32_t i = 0; i < k; i++) {
		uint32_t idx = ring_pop(&mp->rxq, mp->n_frames);

		f[i] = hand_out(mp, idx, mp->len[idx]);
	}
	p->ctr.port_rx_frames += k;
	return k;
}

static void mem_tx_burst(struct mbx_port *p, const struct mbx_frame *f, uint32_t n)
{
	struct mem_port *mp = mem(p);

	for (uint32_t i = 0; i < n; i++) {
		if (take_back(mp, &f[i], MEM_TX_QUEUED) < 0)
			continue;
		/* A length past the room would be a caller bug: keep what fits. */
		mp->len[f[i].handle] = f[i].len < mp->frame_size ? f[i].len : mp->frame_size;
		ring_push(&mp->txq, mp->n_frames, (uint32_t)f[i].handle);
		p->ctr.port_tx_frames++;
	}
}

static void mem_release(struct mbx_port *p, const struct mbx_frame *f, uint32_t n)
{
	struct mem_port *mp = mem(p);

	for (uint32_t i = 0; i < n; i++)
		if (take_back(mp, &f[i], MEM_FREE) == 0)
			mp->free_stack[mp->n_free++] = (uint32_t)f[i].handle;
}

static int mem_alloc(struct mbx_port *p, struct mbx_frame *out)
{
	struct mem_port *mp = mem(p);

	if (!mp->n_free) {
		p->ctr.port_alloc_empty++;
		return -1;
	}
	*out = hand_out(mp, mp->free_stack[--mp->n_free], 0);
	return 0;
}

static void mem_sync_counters(struct mbx_port *p)
{
	(void)p; /* every counter is kept as it happens */
}

static void mem_close(struct mbx_port *p)
{
	struct mem_port *mp = mem(p);

	free(mp->bytes);
	free(mp->len);
	free(mp->place);
	free(mp->free_stack);
	free(mp->rxq.slot);
	free(mp->txq.slot);
	free(mp);
}

static const struct mbx_port_ops mem_ops = {
	.name = "mem",
	.rx_burst = mem_rx_burst,
	.tx_burst = mem_tx_burst,
	.release = mem_release,
	.alloc = mem_alloc,
	.sync_counters = mem_sync_counters,
	.close = mem_close,
};

struct mbx_port *mbx_mem_open(const struct mbx_mem_config *cfg, char *err, size_t errlen)
{
	struct mem_port *mp;
	uint32_t n = cfg->n_frames;

	if (n == 0 || cfg->frame_size == 0) {
		snprintf(err, errlen, "an in-memory port needs at least one frame of at least one byte");
		return NULL;
	}
	mp = calloc(1, sizeof(*mp));
	if (!mp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mp->port.ops = &mem_ops;
	mp->n_frames = n;
	mp->frame_size = cfg->frame_size;
	mp->bytes = calloc(n, cfg->frame_size);
	mp->len = calloc(n, sizeof(*mp->len));
	mp->place = calloc(n, sizeof(*mp->place));
	mp->free_stack = calloc(n, sizeof(*mp->free_stack));
	mp->rxq.slot = calloc(n, sizeof(*mp->rxq.slot));
	mp->txq.slot = calloc(n, sizeof(*mp->txq.slot));
	if (!mp->bytes || !mp->len || !mp->place || !mp->free_stack || !mp->rxq.slot ||
	    !mp->txq.slot) {
		snprintf(err, errlen, "cannot allocate %u in-memory frames of %u bytes", n,
			 cfg->frame_size);
		mem_close(&mp->port);
		return NULL;
	}
	/* Lowest index on top, so frames come out in index order. */
	for (uint32_t i = 0; i < n; i++)
		mp->free_stack[mp->n_free++] = n - 1 - i;
	return &mp->port;
}

int mbx_mem_inject(struct mbx_port *p, const void *bytes, uint32_t len)
{
	struct mem_port *mp = mem(p);
	uint32_t idx;

	if (!mp->n_free || len > mp->frame_size)
		return -1;
	idx = mp->free_stack[--mp->n_free];
	memcpy(mp->bytes + (size_t)idx * mp->frame_size, bytes, len);
	mp->len[idx] = len;
	mp->place[idx] = MEM_RX_QUEUED;
	ring_push(&mp->rxq, mp->n_frames, idx);
	return 0;
}

uint32_t mbx_mem_take_tx(struct mbx_port *p, struct mbx_frame *out, uint32_t n)
{
	struct mem_port *mp = mem(p);
	uint32_t k = n < mp->txq.count ? n : mp->txq.count;

	for (uint32_t i = 0; i < k; i++) {
		uint32_t idx = ring_pop(&mp->txq, mp->n_frames);

		out[i] = hand_out(mp, idx, mp->len[idx]);
	}
	return k;
}

uint32_t mbx_mem_free_frames(const struct mbx_port *p)
{
	return ((const struct mem_port *)p)->n_free;
}

uint64_t mbx_mem_bad_returns(const struct mbx_port *p)
{
	return ((const struct mem_port *)p)->bad_returns;
}
