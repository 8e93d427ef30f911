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
 * sleep is bounded by IDLE_SLEEP_MS, so the stack's timers (a
 * retransmission to a silent peer) run at most that late and the telemetry
 * is still published on a silent link. */
#ifndef MBX_IDLE_H
#define MBX_IDLE_H

#include <stdint.h>

#include "telemetry.h"

#define IDLE_SPIN_US 200 /* quiet this long: sleep. A few round trips of a slow master */
#define IDLE_SLEEP_MS 10 /* wake at least this often */

struct idle {
	int fd; /* the socket to sleep on; -1: busy polling */
	uint64_t spin_ticks; /* IDLE_SPIN_US in TSC ticks */
	uint64_t last_traffic_tsc;
	struct idle_counters ctr;
};

/* fd -1 makes the worker busy-poll for ever. */
void idle_init(struct idle *i, int fd, const struct tsc_clock *clock);

/* Sleeps on the socket until a frame comes or IDLE_SLEEP_MS pass. */
void idle_sleep(struct idle *i, uint64_t now);

/* An empty poll at TSC now (the worker reads it every loop for the stack's
 * timers): publishes the telemetry when due, and in adaptive mode sleeps
 * once the link has been quiet long enough. A few compares. */
static inline void idle_empty_poll(struct idle *i, struct telemetry_worker *t, uint64_t now)
{
	telemetry_tick(t, now);
	if (i->fd >= 0 && now - i->last_traffic_tsc >= i->spin_ticks)
		idle_sleep(i, now);
}

/* A burst arrived at TSC now. */
static inline void idle_traffic(struct idle *i, uint64_t now)
{
	i->last_traffic_tsc = now;
}

#endif
