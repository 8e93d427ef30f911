#include "spectrum.h"

#include <math.h>

#include "hdr_encode.h"

/* HdrHistogram's next reporting level after level (percent): the distance
 * to 100 % is halved step by step, each halving cut into
 * SPECTRUM_TICKS_PER_HALF points. The same arithmetic as its iterator, so
 * the levels (and the rows) are the same to the last bit. */
static double next_level(double level)
{
	double halvings = floor(log(100.0 / (100.0 - level)) / log(2));
	return level + 100.0 / (SPECTRUM_TICKS_PER_HALF * pow(2, halvings + 1));
}

static void row(FILE *f, uint64_t value, double level, uint64_t seen, double unit_ratio)
{
	double p = level / 100.0;
	fprintf(f, "%12.*f %12f %12llu %12.2f\n", HDR_SIGNIFICANT_DIGITS, (double)value / unit_ratio,
		p, (unsigned long long)seen, 1 / (1 - p));
}

void spectrum_print(FILE *f, const struct histogram *h, double unit_ratio)
{
	uint64_t total = 0, seen = 0;
	uint32_t last = 0;
	double level = 0, sum = 0, squares = 0;

	for (uint32_t b = 0; b < HIST_BUCKETS; b++) {
		total += h->buckets[b];
		sum += (double)h->buckets[b] * (double)hist_bucket_mid(b);
		if (h->buckets[b])
			last = b;
	}
	double mean = total ? sum / (double)total : 0;
	for (uint32_t b = 0; b <= last; b++) {
		double d = (double)hist_bucket_mid(b) - mean;
		squares += (double)h->buckets[b] * d * d;
	}

	fprintf(f, "%12s %12s %12s %12s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
	/* A bucket reports every level its cumulative share reaches; the last
	 * one reports once, then 100 % once more, as HdrHistogram does. */
	for (uint32_t b = 0; b <= last && total; b++) {
		if (!h->buckets[b])
			continue;
		seen += h->buckets[b];
		while (100.0 * (double)seen / (double)total >= level) {
			row(f, hist_bucket_highest(b), level, seen, unit_ratio);
			level = next_level(level);
			if (seen == total)
				break;
		}
	}
	if (total)
		row(f, hist_bucket_highest(last), 100.0, total, unit_ratio);
	fprintf(f, "#[Mean    = %12.*f, StdDeviation   = %12.*f]\n", HDR_SIGNIFICANT_DIGITS,
		mean / unit_ratio, HDR_SIGNIFICANT_DIGITS,
		total ? sqrt(squares / (double)total) / unit_ratio : 0);
	fprintf(f, "#[Max     = %12.*f, Total count    = %12llu]\n", HDR_SIGNIFICANT_DIGITS,
		total ? (double)hist_bucket_highest(last) / unit_ratio : 0, (unsigned long long)total);
	/* HdrHistogram's own shape: buckets of 256 sub-buckets, the first
	 * whole, each further one its upper half. */
	fprintf(f, "#[Buckets = %12d, SubBuckets     = %12d]\n", HIST_MAX_BITS - HIST_SUB_BITS,
		2 * HIST_SUB);
	fprintf(f, "----------------------------------------------------------\n");
}
