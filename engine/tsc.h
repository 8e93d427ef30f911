/* A clock for the data path: the CPU's time-stamp counter, read in a few
 * cycles without a system call, turned into nanoseconds with a rate measured
 * once at start-up against CLOCK_MONOTONIC. Timers (stack/tcp/timer_wheel.h)
 * take their ticks from it, so no connection ever costs a clock call.
 *
 * Assumes an invariant TSC (constant rate, running in every C-state, in step
 * across cores: the constant_tsc and nonstop_tsc flags of /proc/cpuinfo),
 * as on every x86-64 server since about 2008; tsc_calibrate() reports
 * whether the CPU says so. On arm64 the generic timer's virtual counter
 * plays the same part. */
#ifndef MBX_TSC_H
#define MBX_TSC_H

#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

struct tsc_clock {
	uint64_t hz; /* counter ticks per second, measured */
	uint64_t base; /* counter value at calibration: ns 0 */
	uint64_t ns_per_tick_q32; /* nanoseconds per counter tick, 32.32 fixed point */
	int invariant; /* the CPU says the counter rate is constant */
};

static inline uint64_t tsc_read(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#elif defined(__aarch64__)
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
#else
#error "tsc.h: no cycle counter known for this architecture"
#endif
}

/* Measures the counter's rate over ms milliseconds of CLOCK_MONOTONIC (50
 * is plenty: the error is the read jitter, a few hundred nanoseconds, over
 * the interval). Sleeps; call once at start-up. Returns 0, or -1 if the
 * counter did not advance. */
int tsc_calibrate(struct tsc_clock *c, uint32_t ms);

/* Nanoseconds from calibration to counter value t (t not before it). The
 * product fits 128 bits for any 64-bit count; the result fits 64 bits for
 * 584 years. */
static inline uint64_t tsc_to_ns(const struct tsc_clock *c, uint64_t t)
{
	return (uint64_t)(((unsigned __int128)(t - c->base) * c->ns_per_tick_q32) >> 32);
}

/* Nanoseconds since calibration, now. */
static inline uint64_t tsc_now_ns(const struct tsc_clock *c)
{
	return tsc_to_ns(c, tsc_read());
}

#endif
