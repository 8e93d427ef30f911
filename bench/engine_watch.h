/* How busy an mbxdp on this host was while mbxdp-bench measured it
 * (--engine NAME): its workers' telemetry (engine/telemetry.h) read when
 * the measured window starts and when it ends. A busy-polling engine runs
 * its cores at 100 % whatever the load, so the share comes from the time
 * of its loops that found no frame (idle_ticks_empty) against the time
 * between the two readings. */
#ifndef MBB_ENGINE_WATCH_H
#define MBB_ENGINE_WATCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct engine_watch;

/* Maps the stats file of the running engine named name. NULL with a
 * one-line reason in err (no such engine running, a file of another
 * layout). */
struct engine_watch *engine_watch_open(const char *name, char *err, size_t errlen);

/* Reads the engine at t_measure and at t_end (CLOCK_MONOTONIC ns) from a
 * thread of its own, which sleeps between; gives up early on *stop. 0 or -1. */
int engine_watch_start(struct engine_watch *w, uint64_t t_measure, uint64_t t_end,
		       const volatile sig_atomic_t *stop);

/* Waits for the second reading and returns the engine's busy share over
 * the window (0 to 1), or -1 when a reading failed or the run was cut short. */
double engine_watch_finish(struct engine_watch *w);

/* Unmaps and frees it, after waiting for its thread. */
void engine_watch_close(struct engine_watch *w);

#endif
