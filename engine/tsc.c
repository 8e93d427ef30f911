#include "tsc.h"

#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A counter value and the monotonic time read as close together as
 * possible: the counter on both sides of the clock read, averaged. */
static void sample(uint64_t *tsc, uint64_t *ns)
{
	uint64_t before = tsc_read();

	*ns = mono_ns();
	*tsc = before + (tsc_read() - before) / 2;
}

static int counter_is_invariant(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, b, c, d;

	/* CPUID 8000_0007h EDX bit 8: invariant TSC (Intel SDM vol. 3 17.17.1,
	 * AMD APM vol. 3 E.4.7). */
	if (!__get_cpuid(0x80000007u, &a, &b, &c, &d))
		return 0;
	return (d >> 8) & 1;
#else
	return 1; /* arm64's generic timer runs at a fixed frequency by definition */
#endif
}

int tsc_calibrate(struct tsc_clock *c, uint32_t ms)
{
	const struct timespec pause = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	uint64_t t0, n0, t1, n1;

	sample(&t0, &n0);
	nanosleep(&pause, NULL);
	sample(&t1, &n1);
	if (t1 <= t0 || n1 <= n0)
		return -1;
	c->hz = (uint64_t)(((unsigned __int128)(t1 - t0) * 1000000000u) / (n1 - n0));
	c->ns_per_tick_q32 = (uint64_t)(((unsigned __int128)(n1 - n0) << 32) / (t1 - t0));
	c->base = t1;
	c->invariant = counter_is_invariant();
	return 0;
}
