/* The "Detailed Percentile spectrum" wrk2 prints: HdrHistogram's percentile
 * distribution, 5 reporting points per halving of the distance to 100 %,
 * each with the highest value of the bucket the percentile falls in, the
 * count up to it and 1/(1-Percentile); then the mean and standard deviation
 * (of the buckets' middles), the maximum, the total count and the
 * histogram's shape, as HdrHistogram computes them, so its plotters read the
 * table as theirs. */
#ifndef MBX_SPECTRUM_H
#define MBX_SPECTRUM_H

#include <stdio.h>

#include "histogram.h"

#define SPECTRUM_TICKS_PER_HALF 5

/* Prints h's spectrum to f, every value divided by unit_ratio (1000: the
 * nanoseconds recorded shown in microseconds). */
void spectrum_print(FILE *f, const struct histogram *h, double unit_ratio);

#endif
