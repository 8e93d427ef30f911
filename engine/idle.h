/* What the worker does when no frame comes: keep polling (busy, the
 * default: the lowest latency, one core at 100 %), or, adaptive, poll while
 * traffic flows and sleep on the AF_XDP socket once it has been quiet for
 * IDLE_SPIN_US, so a quiet rig does not burn a core.
 *
 * The sleep is poll() on the socket for POLLIN: the kernel wakes it when a
 * frame lands in the rx ring. poll() on an AF_XDP socket also does the
 * wake-ups the rings asked for (XDP_USE_NEED_WAKEUP, net/xdp/xsk.c
 * xsk_poll: the driver's rx in zero-copy mode, the pending tx in copy mode),
 * and the port tops the fill ring up on every empty poll before it, so a
 * frame that arrives while the worker sleeps has a buffer to land in. The
 * sleep is bounded by IDLE_SLEEP_MS so timers and the telemetry still run
 * on a silent link. */
#ifndef MBX_IDLE_H
#define MBX_IDLE_H

#include <stdint.h>

#include "telemetry.h"

#define IDLE_SPIN_US 200 /* quiet this long: sleep. A few round trips of a slow master */
#define IDLE_SLEEP_MS 10 /* wake at least this often */
/* Empty polls between two looks at the clock: the busy loop reads no clock
 * per empty poll. 256 empty polls take some 10 us. */
#define IDLE_CHECK_MASK 255u

struct idle {
	int fd; /* the socket to sleep on; -1: busy polling */
	uint32_t empty; /* empty polls since the last frame */
	uint64_t spin_ticks; /* IDLE_SPIN_US in TSC ticks */
	uint64_t last_traffic_tsc;
	struct idle_counters ctr;
};

/* fd -1 makes the worker busy-poll for ever. */
void idle_init(struct idle *i, int fd, const struct tsc_clock *clock);

/* Every IDLE_CHECK_MASK + 1 empty polls: publishes the telemetry when due,
 * and in adaptive mode sleeps once the link has been quiet long enough. */
void idle_check(struct idle *i, struct telemetry_worker *t);

static inline void idle_empty_poll(struct idle *i, struct telemetry_worker *t)
{
	if ((++i->empty & IDLE_CHECK_MASK) == 0)
		idle_check(i, t);
}

/* A burst arrived at TSC t0. */
static inline void idle_traffic(struct idle *i, uint64_t t0)
{
	i->empty = 0;
	i->last_traffic_tsc = t0;
}

#endif
