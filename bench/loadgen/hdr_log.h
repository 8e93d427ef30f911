/* HdrHistogram's interval log (format version 1.3): a file its tools read
 * (HistogramLogReader, HistogramLogProcessor, the plotters), one line per
 * interval with that interval's histogram in the V2 compressed encoding.
 *
 *   #[Histogram log format version 1.3]
 *   #[StartTime: 1765118818.000 (seconds since epoch), Mon Dec 07 14:46:58 UTC 2026]
 *   #[BaseTime: 1765118818.000 (seconds since epoch)]
 *   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *   0.000,1.000,0.032,HISTFAAA...
 *
 * Timestamps are seconds after BaseTime. Values are nanoseconds; the
 * Interval_Max column is in milliseconds (the maximum divided by 10^6, the
 * ratio HdrHistogram's writer and tools assume), the highest value of the
 * maximum's bucket as HdrHistogram reports it. */
#ifndef MBX_HDR_LOG_H
#define MBX_HDR_LOG_H

#include <stdio.h>

#include "hdr_encode.h"
#include "histogram.h"

struct hdr_log {
	FILE *f;
	const char *path;
	/* The cumulative counts the last interval ended at: an interval is
	 * what the recording histograms gained since. */
	struct histogram last;
	struct histogram interval;
	char text[HDR_B64_MAX];
};

/* Creates path (refusing a link or someone else's file, as owned_file.h
 * says) and writes the header, with start_epoch_s as StartTime and BaseTime
 * and comment as a # line. Returns the log, or NULL with "PATH: reason" in
 * err. */
struct hdr_log *hdr_log_open(const char *path, double start_epoch_s, const char *comment,
			     char *err, size_t errlen);
/* Writes the interval from start_s (seconds after the base time) lasting
 * len_s: what cumulative, every recording histogram merged, gained since the
 * last interval. Returns 0, or -1 with the reason in err. */
int hdr_log_interval(struct hdr_log *l, const struct histogram *cumulative, double start_s,
		     double len_s, char *err, size_t errlen);
/* Flushes and closes the log; -1 with the reason in err when anything
 * written did not reach the file. */
int hdr_log_close(struct hdr_log *l, char *err, size_t errlen);

#endif
