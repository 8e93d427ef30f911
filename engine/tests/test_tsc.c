/* The TSC clock (engine/tsc.h): after calibration its nanoseconds agree
 * with CLOCK_MONOTONIC over a sleep, start near 0 and never go backwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "tsc.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A counter value and the monotonic time taken together: retried while a
 * preemption between the two reads could make them disagree. */
static void sample(uint64_t *tsc, uint64_t *ns)
{
	for (int i = 0; i < 1000; i++) {
		uint64_t before = tsc_read();

		*ns = mono_ns();
		*tsc = tsc_read();
		if (*tsc - before < 100000) /* well under 100 us on any clock */
			return;
	}
	fail_msg("could not read the counter and the clock together");
}

static void test_agrees_with_clock_monotonic(void **state)
{
	const struct timespec pause = { .tv_sec = 0, .tv_nsec = 300 * 1000 * 1000 };
	struct tsc_clock c;
	uint64_t t0, n0, t1, n1, prev, mono, by_tsc;

	(void)state;
	assert_int_equal(tsc_calibrate(&c, 50), 0);
	assert_true(c.hz > 1000000); /* any real counter runs above 1 MHz */
	assert_true(tsc_now_ns(&c) < 1000000000u);

	sample(&t0, &n0);
	nanosleep(&pause, NULL);
	sample(&t1, &n1);
	mono = n1 - n0;
	by_tsc = tsc_to_ns(&c, t1) - tsc_to_ns(&c, t0);
	/* Within 1%: the calibration error is far smaller. */
	assert_true(by_tsc > mono - mono / 100 && by_tsc < mono + mono / 100);

	prev = tsc_now_ns(&c);
	for (int i = 0; i < 100000; i++) {
		uint64_t now = tsc_now_ns(&c);

		assert_true(now >= prev);
		prev = now;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agrees_with_clock_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
