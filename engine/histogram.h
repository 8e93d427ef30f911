/* A log-linear latency histogram in the manner of HdrHistogram: values below
 * HIST_SUB are counted exactly, above that every power-of-two range is cut
 * into HIST_SUB equal buckets, so a bucket is at most 1/128 (0.78 %) of its
 * values wide and a reported percentile, the middle of its bucket, is within
 * 0.4 % of a recorded value. Fixed size, no allocation: a thread records
 * into its own and the results are merged afterwards. The load generator
 * records nanoseconds of round trip into it; the engine records the TSC ticks
 * each request spent from receive to transmit (telemetry.h).
 *
 * The buckets are exactly HdrHistogram's counts array for lowest
 * discernible value 1, 2 significant digits and highest trackable value
 * 2^HIST_MAX_BITS - 1: 2 * 10^2 rounded up to a power of two gives it 256
 * sub-buckets, the lower half of which (0-127) is the exact range here, and
 * each power of two from 128 up is one of its buckets' upper halves of 128;
 * both the index of a value and the array's length (30 * 128) agree. So the
 * counts go into HdrHistogram's encoding as they are (hdr_encode.h). */
#ifndef MBX_HISTOGRAM_H
#define MBX_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)
/* Anything from 2^36 (68.7 s in nanoseconds, 34 s in ticks of a 2 GHz TSC)
 * up lands in the last bucket, far beyond any run's timeout. The exact
 * maximum is kept apart. */
#define HIST_MAX_BITS 36
#define HIST_BUCKETS ((HIST_MAX_BITS - HIST_SUB_BITS + 1) * HIST_SUB)
#define HIST_HIGHEST_TRACKABLE ((1ull << HIST_MAX_BITS) - 1)

struct histogram {
	uint64_t count;
	uint64_t min;
	uint64_t max;
	uint64_t sum; /* of every value recorded: the mean, Prometheus' _sum */
	uint64_t buckets[HIST_BUCKETS];
};

void hist_init(struct histogram *h);
/* Records value n times: the engine times a whole burst once and counts it
 * for every request in it. */
void hist_record_n(struct histogram *h, uint64_t value, uint64_t n);

static inline void hist_record(struct histogram *h, uint64_t value)
{
	hist_record_n(h, value, 1);
}

/* Adds every count of src into dst. */
void hist_merge(struct histogram *dst, const struct histogram *src);
/* The value below or at which pct percent (0..100) of the recorded values
 * lie, to the histogram's precision and clamped to [min, max]; 0 when empty. */
uint64_t hist_percentile(const struct histogram *h, double pct);
/* How many recorded values are at most value, to the histogram's precision:
 * the bucket holding value counts whole. For cumulative exports such as
 * Prometheus' le buckets. */
uint64_t hist_count_at_most(const struct histogram *h, uint64_t value);
/* The values bucket b counts: from its lowest to its highest, and the
 * middle HdrHistogram reports for a mean (its "equivalent" values). */
uint64_t hist_bucket_lowest(uint32_t b);
uint64_t hist_bucket_highest(uint32_t b);
uint64_t hist_bucket_mid(uint32_t b);

#endif
