/* The ring between the worker and the capture writer thread: one producer
 * (the worker), one consumer (the writer), bytes in a power-of-two buffer,
 * no lock. The worker copies each frame in and never waits: a frame that
 * does not fit is counted as a drop and left out.
 *
 * A record is a 16-byte header and the frame, padded to 16 bytes, and never
 * wraps: when it does not fit before the end of the buffer, a skip record
 * fills the rest (there is always room for its header: every record is a
 * multiple of 16 bytes) and the record starts at offset 0. */
#ifndef MBX_CAPTURE_RING_H
#define MBX_CAPTURE_RING_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"

#define CAPTURE_REC_HDR 16u
#define CAPTURE_SKIP UINT32_MAX /* flags of a record that only fills to the end */

enum capture_dir { CAPTURE_IN = 1, CAPTURE_OUT = 2 }; /* as pcapng's epb_flags direction */

struct capture_rec {
	uint32_t len; /* frame bytes that follow */
	uint32_t flags; /* enum capture_dir, or CAPTURE_SKIP */
	uint64_t ts_ns;
};

struct capture_ring {
	uint8_t *buf;
	uint64_t mask; /* size - 1 */
	/* Each index on its own cache line: the worker writes head, the writer
	 * thread tail. */
	_Alignas(64) _Atomic uint64_t head;
	uint64_t drops; /* written by the worker only */
	uint64_t frames;
	_Alignas(64) _Atomic uint64_t tail;
};

static inline uint32_t capture_rec_size(uint32_t len)
{
	return (CAPTURE_REC_HDR + len + 15u) & ~15u;
}

/* Copies n frames into the ring with time ts_ns; what does not fit is
 * counted in drops. One release store publishes the burst. */
static inline void capture_ring_put(struct capture_ring *r, const struct mbx_frame *f,
				    uint32_t n, uint64_t ts_ns, enum capture_dir dir)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint64_t size = r->mask + 1;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t pos = head & r->mask, to_end = size - pos;
		uint32_t need = capture_rec_size(f[i].len);
		struct capture_rec h = { .len = f[i].len, .flags = dir, .ts_ns = ts_ns };

		if (need > to_end) {
			if (size - (head - tail) < to_end + need) {
				r->drops++;
				continue;
			}
			h.flags = CAPTURE_SKIP;
			memcpy(r->buf + pos, &h, sizeof(h));
			head += to_end;
			pos = 0;
			h.flags = dir;
		} else if (size - (head - tail) < need) {
			r->drops++;
			continue;
		}
		memcpy(r->buf + pos, &h, sizeof(h));
		memcpy(r->buf + pos + CAPTURE_REC_HDR, f[i].data, f[i].len);
		head += need;
		r->frames++;
	}
	atomic_store_explicit(&r->head, head, memory_order_release);
}

/* The consumer's side: the next record, or NULL when the ring is empty.
 * Skip records are passed over here. capture_ring_done() frees it. */
static inline const struct capture_rec *capture_ring_peek(struct capture_ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	const struct capture_rec *h;

	if (tail == head)
		return NULL;
	h = (const struct capture_rec *)(r->buf + (tail & r->mask));
	if (h->flags == CAPTURE_SKIP) {
		tail += r->mask + 1 - (tail & r->mask);
		atomic_store_explicit(&r->tail, tail, memory_order_release);
		if (tail == head)
			return NULL;
		h = (const struct capture_rec *)(r->buf + (tail & r->mask));
	}
	return h;
}

static inline void capture_ring_done(struct capture_ring *r, const struct capture_rec *h)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store_explicit(&r->tail, tail + capture_rec_size(h->len), memory_order_release);
}

#endif
