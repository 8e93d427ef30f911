#include "idle.h"

#include <poll.h>

void idle_init(struct idle *i, int fd, const struct tsc_clock *clock)
{
	i->fd = fd;
	i->empty = 0;
	i->spin_ticks = clock->hz / 1000000 * IDLE_SPIN_US;
	i->last_traffic_tsc = tsc_read();
	i->ctr = (struct idle_counters){ 0 };
}

void idle_check(struct idle *i, struct telemetry_worker *t)
{
	uint64_t now = tsc_read();
	struct pollfd pfd = { .fd = i->fd, .events = POLLIN };
	int n;

	telemetry_tick(t, now);
	if (i->fd < 0 || now - i->last_traffic_tsc < i->spin_ticks)
		return;
	/* A signal (SIGINT, SIGTERM) ends the poll with EINTR; the worker's
	 * loop then sees its stop flag. */
	n = poll(&pfd, 1, IDLE_SLEEP_MS);
	i->ctr.idle_sleeps++;
	if (n > 0)
		i->ctr.idle_wakeups_traffic++;
	i->ctr.idle_ticks_asleep += tsc_read() - now;
}
