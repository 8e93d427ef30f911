#include "engine_watch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

struct engine_watch {
	struct ctl_target target;
	struct ctl_map map;
	struct mbx_stats_worker *parts;
	uint64_t t_measure, t_end; /* CLOCK_MONOTONIC ns */
	const volatile sig_atomic_t *stop;
	pthread_t thread;
	int started;
	uint64_t ticks[2], idle[2]; /* summed over the workers, at the start and the end */
	int read_ok[2];
};

struct engine_watch *engine_watch_open(const char *name, char *err, size_t errlen)
{
	struct engine_watch *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (strlen(name) > TELEMETRY_NAME_MAX) {
		snprintf(err, errlen, "--engine: a name of at most %d characters", TELEMETRY_NAME_MAX);
		free(w);
		return NULL;
	}
	snprintf(w->target.name_buf, sizeof(w->target.name_buf), "%s", name);
	w->target.name = w->target.name_buf;
	if (ctl_map_open(&w->target, "stats", &w->map, err, errlen) < 0) {
		free(w);
		return NULL;
	}
	if (ctl_stats_check(&w->target, &w->map, err, errlen) < 0)
		goto fail;
	if (!ctl_map_alive(&w->map)) {
		snprintf(err, errlen, "--engine %s: no engine of that name is running", name);
		goto fail;
	}
	w->parts = ctl_alloc_parts(((const struct mbx_stats_shm *)w->map.addr)->n_workers);
	if (!w->parts) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return w;
fail:
	engine_watch_close(w);
	return NULL;
}

/* Sleeps until t (CLOCK_MONOTONIC ns), a tenth of a second at a time so
 * that a stopped run is seen. 0, or -1 when stopped first. */
static int sleep_until(const struct engine_watch *w, uint64_t t)
{
	for (;;) {
		struct timespec ts;

		if (*w->stop)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		if (now >= t)
			return 0;
		uint64_t d = t - now < 100000000ull ? t - now : 100000000ull;
		ts = (struct timespec){ 0, (long)d };
		nanosleep(&ts, NULL);
	}
}

/* Each worker's time is that of its own last publication, with the
 * counters it published then: the two agree to the tick. */
static void take(struct engine_watch *w, int k)
{
	struct mbx_stats_worker total;
	struct mbx_stats_xdp xdp;
	const struct mbx_stats_shm *e = w->map.addr;

	if (ctl_read_engine(e, &total, &xdp, w->parts) < 0)
		return;
	w->ticks[k] = w->idle[k] = 0;
	for (uint32_t i = 0; i < e->n_workers; i++) {
		w->ticks[k] += w->parts[i].published_tsc;
		w->idle[k] += w->parts[i].idle.idle_ticks_empty;
	}
	w->read_ok[k] = 1;
}

static void *watch_run(void *arg)
{
	struct engine_watch *w = arg;

	if (sleep_until(w, w->t_measure) == 0)
		take(w, 0);
	if (sleep_until(w, w->t_end) == 0)
		take(w, 1);
	return NULL;
}

int engine_watch_start(struct engine_watch *w, uint64_t t_measure, uint64_t t_end,
		       const volatile sig_atomic_t *stop)
{
	w->t_measure = t_measure;
	w->t_end = t_end;
	w->stop = stop;
	if (pthread_create(&w->thread, NULL, watch_run, w))
		return -1;
	w->started = 1;
	return 0;
}

double engine_watch_finish(struct engine_watch *w)
{
	if (!w->started)
		return -1;
	pthread_join(w->thread, NULL);
	w->started = 0;
	if (!w->read_ok[0] || !w->read_ok[1] || w->ticks[1] <= w->ticks[0] ||
	    w->idle[1] < w->idle[0])
		return -1;
	double idle = (double)(w->idle[1] - w->idle[0]) / (double)(w->ticks[1] - w->ticks[0]);
	return idle >= 1 ? 0 : 1 - idle;
}

void engine_watch_close(struct engine_watch *w)
{
	if (w->started)
		engine_watch_finish(w);
	free(w->parts);
	ctl_map_close(&w->map);
	free(w);
}
