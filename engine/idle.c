#include "idle.h"

#include <poll.h>

void idle_init(struct idle *i, int fd, const struct tsc_clock *clock)
{
	i->fd = fd;
	i->spin_ticks = clock->hz / 1000000 * IDLE_SPIN_US;
	i->last_traffic_tsc = tsc_read();
	i->ctr = (struct idle_counters){ 0 };
}

void idle_sleep(struct idle *i, uint64_t now)
{
	struct pollfd pfd = { .fd = i->fd, .events = POLLIN };
	/* The worker's loop sees its stop flag at the latest IDLE_SLEEP_MS
	 * after a signal set it (the signal may go to another thread). */
	int n = poll(&pfd, 1, IDLE_SLEEP_MS);

	i->ctr.idle_sleeps++;
	if (n > 0)
		i->ctr.idle_wakeups_traffic++;
	i->ctr.idle_ticks_asleep += tsc_read() - now;
}
