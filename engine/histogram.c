#include "histogram.h"

#include <math.h>
#include <string.h>

static uint32_t bucket_of(uint64_t v)
{
	if (v < HIST_SUB)
		return (uint32_t)v;
	if (v >= (1ull << HIST_MAX_BITS))
		return HIST_BUCKETS - 1;
	/* msb >= HIST_SUB_BITS; the top HIST_SUB_BITS + 1 bits pick the bucket. */
	uint32_t shift = (uint32_t)(63 - __builtin_clzll(v)) - HIST_SUB_BITS;
	return HIST_SUB * (shift + 1) + (uint32_t)((v >> shift) - HIST_SUB);
}

uint64_t hist_bucket_lowest(uint32_t b)
{
	if (b < HIST_SUB)
		return b;
	return (uint64_t)(b % HIST_SUB + HIST_SUB) << (b / HIST_SUB - 1);
}

uint64_t hist_bucket_highest(uint32_t b)
{
	if (b < HIST_SUB)
		return b;
	return hist_bucket_lowest(b) + (1ull << (b / HIST_SUB - 1)) - 1;
}

/* The value a percentile in bucket b reports. */
uint64_t hist_bucket_mid(uint32_t b)
{
	if (b < HIST_SUB)
		return b;
	return hist_bucket_lowest(b) + ((1ull << (b / HIST_SUB - 1)) >> 1);
}

void hist_init(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_record_n(struct histogram *h, uint64_t value, uint64_t n)
{
	h->buckets[bucket_of(value)] += n;
	h->count += n;
	h->sum += value * n;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
}

void hist_merge(struct histogram *dst, const struct histogram *src)
{
	for (uint32_t b = 0; b < HIST_BUCKETS; b++)
		dst->buckets[b] += src->buckets[b];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t hist_percentile(const struct histogram *h, double pct)
{
	if (h->count == 0)
		return 0;
	/* The rank of the value asked for, at least the first one; the product
	 * is shaved so 99.9 % of 10000 is rank 9990, not 9991 by rounding. */
	uint64_t rank = (uint64_t)ceil(pct / 100.0 * (double)h->count * (1 - 1e-12));
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	uint64_t seen = 0;
	for (uint32_t b = 0; b < HIST_BUCKETS; b++) {
		seen += h->buckets[b];
		if (seen >= rank) {
			uint64_t v = hist_bucket_mid(b);
			return v < h->min ? h->min : v > h->max ? h->max : v;
		}
	}
	return h->max;
}

uint64_t hist_count_at_most(const struct histogram *h, uint64_t value)
{
	uint32_t last = bucket_of(value);
	uint64_t n = 0;

	for (uint32_t b = 0; b <= last; b++)
		n += h->buckets[b];
	return n;
}
