/* What mbxdp-bench's main thread does while either master's workers run,
 * once a second from the start: a line on stderr with the answers and
 * errors so far (--progress), and an interval of the latency log
 * (--hdr-log). The workers publish into struct progress (bench.h). */
#ifndef MBB_REPORT_H
#define MBB_REPORT_H

#include <signal.h>
#include <stdint.h>

#include "bench.h"
#include "hdr_log.h"
#include "histogram.h"

struct engine_watch;

struct reporter {
	int progress;
	struct engine_watch *engine; /* --engine: read at the window's start and end; NULL: none */
	struct hdr_log *log; /* NULL: none, or closed after a write failed */
	int log_failed;
	uint64_t t_measure;
	uint64_t logged_to; /* where the log's last interval ended */
	struct histogram sum; /* the workers' histograms, merged for the log */
	const volatile sig_atomic_t *stop; /* the run's: the loop ends with it */
};

/* Called when the run starts (CLOCK_MONOTONIC times); -1 when the log was
 * refused, said on stderr. The loop ends when *stop becomes non-zero. */
int reporter_begin(struct reporter *r, const struct options *o, uint64_t t_measure,
		   const volatile sig_atomic_t *stop);

/* Logs what the histograms gained from the last interval's end to now
 * (nothing before the measured window); a failed write closes the log and
 * sets log_failed. */
void log_interval(struct reporter *r, const struct histogram *cumulative, uint64_t now);

/* Until the workers are done or t_stop. */
void report_loop(struct reporter *r, struct progress *p, uint32_t n, uint64_t t_start,
		 uint64_t t_stop);

#endif
