/* The send queue of a connection: see struct sndq_block in tcp_priv.h.
 * Blocks come from a pool allocated at start-up; the data path only moves
 * indexes on and off its free stack. */
#include <string.h>

#include "priv/tcp_priv.h"

int sndq_reserve(struct stack *s, struct tcp_conn *c, uint32_t n)
{
	struct sndq_block *h;
	uint32_t room, b;

	if (c->snd_buf == CONN_NONE) {
		int r = share_take(s, c, SHARE_SND, 0);
		uint32_t i;

		if (r < 0)
			return r;
		i = buf_pool_get(&s->snd);
		h = sndq_blk(s, i);
		/* The timer fields start when something is sent. */
		h->next = CONN_NONE;
		h->wblk = i;
		h->len = 0;
		h->off = 0;
		h->wlen = 0;
		h->retries = 0;
		h->backoff = 0;
		h->flags = 0;
		h->nblk = 1;
		c->snd_buf = i;
	}
	h = sndq_head(s, c);
	room = SNDQ_DATA - h->wlen;
	b = h->wblk;
	while (room < n) {
		struct sndq_block *blk = sndq_blk(s, b);

		if (blk->next == CONN_NONE) {
			/* Blocks taken so far stay for next time. */
			int r = share_take(s, c, SHARE_SND, h->nblk);
			uint32_t i;

			if (r < 0)
				return r;
			i = buf_pool_get(&s->snd);
			sndq_blk(s, i)->next = CONN_NONE;
			blk->next = i;
			h->nblk++;
		}
		b = blk->next;
		room += SNDQ_DATA;
	}
	return 0;
}

void sndq_append(struct stack *s, struct tcp_conn *c, const uint8_t *p, uint32_t n)
{
	struct sndq_block *h = sndq_head(s, c);

	h->len += n;
	while (n) {
		struct sndq_block *w = sndq_blk(s, h->wblk);
		uint32_t k = SNDQ_DATA - h->wlen;

		if (k == 0) {
			h->wblk = w->next;
			h->wlen = 0;
			continue;
		}
		if (k > n)
			k = n;
		memcpy(w->data + h->wlen, p, k);
		h->wlen = (uint16_t)(h->wlen + k);
		p += k;
		n -= k;
	}
}

void sndq_copy(const struct stack *s, const struct tcp_conn *c, uint32_t from, uint8_t *dst,
	       uint32_t n)
{
	const struct sndq_block *b = sndq_head(s, c);
	uint32_t pos = b->off + from;

	while (pos >= SNDQ_DATA) {
		b = sndq_blk(s, b->next);
		pos -= SNDQ_DATA;
	}
	while (n) {
		uint32_t k = SNDQ_DATA - pos;

		if (k > n)
			k = n;
		memcpy(dst, b->data + pos, k);
		dst += k;
		n -= k;
		pos = 0;
		if (n)
			b = sndq_blk(s, b->next);
	}
}

/* Gives the blocks from b to the end of its chain back to the pool. */
static void put_chain(struct stack *s, uint32_t b)
{
	while (b != CONN_NONE) {
		uint32_t next = sndq_blk(s, b)->next;

		buf_pool_put(&s->snd, b);
		b = next;
	}
}

void sndq_drop(struct stack *s, struct tcp_conn *c, uint32_t n)
{
	struct sndq_block *h = sndq_head(s, c);
	uint32_t off = h->off + n, freed = 0;

	h->len -= n;
	if (h->len == 0) {
		/* Empty: the head block starts over, later blocks go back. */
		put_chain(s, h->next);
		h->next = CONN_NONE;
		h->wblk = c->snd_buf;
		h->off = 0;
		h->wlen = 0;
		if (h->nblk > 1)
			share_return(s, c, SHARE_SND, h->nblk - 1u);
		h->nblk = 1;
		return;
	}
	while (off >= SNDQ_DATA) {
		/* The head block is all acknowledged: the header moves on. */
		uint32_t old = c->snd_buf, next = h->next;
		struct sndq_block *nh = sndq_blk(s, next);

		memcpy((uint8_t *)nh + sizeof(nh->next), (const uint8_t *)h + sizeof(h->next),
		       SNDQ_HDR - sizeof(h->next));
		buf_pool_put(&s->snd, old);
		c->snd_buf = next;
		h = nh;
		h->nblk--;
		off -= SNDQ_DATA;
		freed++;
	}
	h->off = (uint16_t)off;
	if (freed)
		share_return(s, c, SHARE_SND, freed);
}

void sndq_release(struct stack *s, struct tcp_conn *c)
{
	share_return(s, c, SHARE_SND, sndq_head(s, c)->nblk);
	c->flags &= (uint8_t)~TCP_CF_ZW; /* nothing held: nothing to time */
	put_chain(s, c->snd_buf);
	c->snd_buf = CONN_NONE;
}
