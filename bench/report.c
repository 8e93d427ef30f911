#include "report.h"

#include <stdio.h>
#include <time.h>

#include "engine_watch.h"

int reporter_begin(struct reporter *r, const struct options *o, uint64_t t_measure,
		   const volatile sig_atomic_t *stop)
{
	r->stop = stop;
	r->progress = o->progress;
	r->t_measure = t_measure;
	if (r->engine && engine_watch_start(r->engine, t_measure,
					    t_measure + (uint64_t)(o->duration_s * 1e9), stop)) {
		fprintf(stderr, "mbxdp-bench: cannot start the thread that reads the engine\n");
		return -1;
	}
	if (o->hdr_log) {
		char err[256], comment[160];
		struct timespec wall;
		clock_gettime(CLOCK_REALTIME, &wall);
		/* The wall clock at the start of the measured window. */
		double start = (double)wall.tv_sec + (double)wall.tv_nsec / 1e9 +
			       ((double)t_measure - (double)now_ns()) / 1e9;
		snprintf(comment, sizeof(comment),
			 "mbxdp-bench %s: latency in nanoseconds (Interval_Max in milliseconds)",
			 MBXDP_VERSION);
		r->log = hdr_log_open(o->hdr_log, start, comment, err, sizeof(err));
		if (!r->log) {
			fprintf(stderr, "mbxdp-bench: %s\n", err);
			return -1;
		}
	}
	return 0;
}

/* Logs what the histograms gained from the last interval's end to now:
 * recorded time, which is when the answers came. Nothing before the
 * measured window, where nothing is recorded. */
void log_interval(struct reporter *r, const struct histogram *cumulative, uint64_t now)
{
	char err[256];

	if (!r->log || now <= r->t_measure)
		return;
	uint64_t from = r->logged_to > r->t_measure ? r->logged_to : r->t_measure;
	if (hdr_log_interval(r->log, cumulative, (double)(from - r->t_measure) / 1e9,
			     (double)(now - from) / 1e9, err, sizeof(err))) {
		fprintf(stderr, "mbxdp-bench: %s\n", err);
		hdr_log_close(r->log, err, sizeof(err));
		r->log = NULL;
		r->log_failed = 1;
	}
	r->logged_to = now;
}

/* Bounded by the run's own end. The workers' histograms are read while they
 * record, as mbxdp-ctl reads the engine's: a count caught half added only
 * moves it to the next interval, and the last interval, taken after the
 * workers ended, makes the intervals add up to the whole. */
void report_loop(struct reporter *r, struct progress *ws, uint32_t nw, uint64_t t_start,
		 uint64_t t_stop)
{
	uint64_t last_ok = 0;
	if (!r->progress && !r->log)
		return;
	for (uint32_t sec = 1; !*r->stop; sec++) {
		uint64_t at = t_start + sec * 1000000000ull;
		if (at >= t_stop)
			return;
		uint64_t now = now_ns();
		if (at > now) {
			struct timespec ts = { (time_t)((at - now) / 1000000000ull),
					       (long)((at - now) % 1000000000ull) };
			nanosleep(&ts, NULL);
		}
		uint64_t ok = 0, err = 0, running = 0;
		for (uint32_t i = 0; i < nw; i++) {
			ok += __atomic_load_n(&ws[i].ok, __ATOMIC_RELAXED);
			err += __atomic_load_n(&ws[i].err, __ATOMIC_RELAXED);
		}
		for (uint32_t i = 0; i < nw; i++)
			running |= !__atomic_load_n(&ws[i].done, __ATOMIC_ACQUIRE);
		if (!running)
			return;
		if (r->log) {
			hist_init(&r->sum);
			for (uint32_t i = 0; i < nw; i++)
				hist_merge(&r->sum, ws[i].hist);
			log_interval(r, &r->sum, now_ns());
		}
		if (r->progress)
			fprintf(stderr, "mbxdp-bench: %us: %llu right (%llu/s), %llu errors\n", sec,
				(unsigned long long)ok, (unsigned long long)(ok - last_ok),
				(unsigned long long)err);
		last_ok = ok;
	}
}
