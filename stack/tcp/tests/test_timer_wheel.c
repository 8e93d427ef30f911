/* The hashed timing wheel (stack/tcp/timer_wheel.h): entries fire exactly at
 * their deadline tick when the wheel is advanced tick by tick, in deadline
 * order within one advance, after any number of revolutions, and all at
 * once after an idle jump; stop and restart are harmless in any state,
 * including from the callback; a million entries all fire once. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/timer_wheel.h"

/* What fired: entry and tick, in order. */
struct firing {
	uint32_t idx;
	uint64_t tick;
	uint64_t deadline; /* the entry's, as it fired */
};

struct recorder {
	struct timer_wheel *w;
	struct firing *log;
	uint32_t n, cap;
	uint64_t early, late; /* fired before / after their deadline tick */
};

static void record(void *arg, uint32_t idx)
{
	struct recorder *r = arg;
	uint64_t deadline = timer_deadline(r->w, idx);

	assert_false(timer_running(r->w, idx)); /* disarmed before the call */
	r->early += r->w->now < deadline;
	r->late += r->w->now > deadline;
	if (r->log) {
		assert_true(r->n < r->cap);
		r->log[r->n] = (struct firing){ .idx = idx, .tick = r->w->now, .deadline = deadline };
	}
	r->n++;
}

static void wheel(struct timer_wheel *w, uint32_t n_entries, uint32_t n_slots)
{
	assert_int_equal(timer_wheel_init(w, n_entries, 1000000, n_slots), 0);
}

static struct recorder recorder(struct timer_wheel *w, struct firing *log, uint32_t cap)
{
	return (struct recorder){ .w = w, .log = log, .cap = cap };
}

/* Advances one tick at a time from the wheel's tick to `to`. */
static void step_to(struct timer_wheel *w, uint64_t to, struct recorder *r)
{
	while (w->now < to)
		timer_advance(w, w->now + 1, record, r);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_init_rejects_zero_sizes_and_rounds_slots_up(void **state)
{
	struct timer_wheel w;

	(void)state;
	errno = 0;
	assert_int_equal(timer_wheel_init(&w, 0, 1000, 8), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(timer_wheel_init(&w, 8, 0, 8), -1);
	assert_int_equal(timer_wheel_init(&w, 8, 1000, 0), -1);
	assert_int_equal(timer_wheel_init(&w, 8, 1000, 100), 0);
	assert_int_equal(w.n_slots, 128);
	assert_int_equal(timer_ticks_from_ns(&w, 2999), 2);
	timer_wheel_free(&w);
}

static void test_each_fires_exactly_at_its_deadline_in_order(void **state)
{
	struct timer_wheel w;
	struct firing log[8];
	struct recorder r = recorder(&w, log, 8);

	(void)state;
	wheel(&w, 8, 8);
	timer_start(&w, 0, 5);
	timer_start(&w, 1, 3);
	timer_start(&w, 2, 12); /* past one revolution */
	timer_start(&w, 3, 8);
	timer_start(&w, 4, 13); /* the same slot as 5 */
	assert_int_equal(w.running, 5);
	step_to(&w, 20, &r);
	assert_int_equal(r.n, 5);
	assert_int_equal(r.early + r.late, 0);
	assert_int_equal(log[0].idx, 1);
	assert_int_equal(log[1].idx, 0);
	assert_int_equal(log[2].idx, 3);
	assert_int_equal(log[3].idx, 2);
	assert_int_equal(log[4].idx, 4);
	assert_int_equal(w.running, 0);
	timer_wheel_free(&w);
}

static void test_one_advance_fires_in_deadline_order(void **state)
{
	enum { N = 500, SLOTS = 64 };
	struct timer_wheel w;
	struct firing log[N];
	struct recorder r = recorder(&w, log, N);
	uint64_t s = 42;

	(void)state;
	wheel(&w, N, SLOTS);
	timer_advance(&w, 1000, record, &r);
	for (uint32_t i = 0; i < N; i++)
		timer_start(&w, i, 1001 + xorshift(&s) % SLOTS);
	assert_int_equal(timer_advance(&w, 1000 + SLOTS, record, &r), N);
	assert_int_equal(r.n, N);
	assert_int_equal(r.early, 0);
	for (uint32_t i = 1; i < N; i++)
		assert_true(log[i - 1].deadline <= log[i].deadline);
	timer_wheel_free(&w);
}

static void test_stop_is_harmless_in_any_state(void **state)
{
	struct timer_wheel w;
	struct recorder r = recorder(&w, NULL, 0);

	(void)state;
	wheel(&w, 4, 8);
	timer_stop(&w, 0); /* never started */
	timer_start(&w, 1, 2);
	step_to(&w, 2, &r);
	assert_int_equal(r.n, 1);
	timer_stop(&w, 1); /* already fired */
	timer_stop(&w, 1);
	assert_int_equal(w.running, 0);
	/* Stopping one of three in a slot leaves the other two. */
	timer_start(&w, 0, 6);
	timer_start(&w, 1, 6);
	timer_start(&w, 2, 6);
	timer_stop(&w, 1);
	assert_false(timer_running(&w, 1));
	assert_int_equal(w.running, 2);
	step_to(&w, 30, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.late, 0);
	assert_int_equal(w.running, 0);
	timer_wheel_free(&w);
}

static void test_restart_moves_the_entry(void **state)
{
	struct timer_wheel w;
	struct firing log[4];
	struct recorder r = recorder(&w, log, 4);

	(void)state;
	wheel(&w, 2, 8);
	timer_start(&w, 0, 5);
	timer_start(&w, 0, 10); /* later */
	timer_start(&w, 1, 10);
	timer_start(&w, 1, 3); /* earlier */
	assert_int_equal(w.running, 2);
	step_to(&w, 9, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(log[0].idx, 1);
	assert_int_equal(log[0].tick, 3);
	step_to(&w, 40, &r);
	assert_int_equal(r.n, 2); /* each once, at its last deadline */
	assert_int_equal(log[1].idx, 0);
	assert_int_equal(log[1].tick, 10);
	timer_wheel_free(&w);
}

static void test_deadlines_many_revolutions_away(void **state)
{
	static const uint64_t deadlines[] = { 100, 1000, 16 * 5 + 3, 17, 4096 };
	enum { N = sizeof(deadlines) / sizeof(deadlines[0]) };
	struct timer_wheel w;
	struct firing log[N];
	struct recorder r = recorder(&w, log, N);

	(void)state;
	wheel(&w, N, 16);
	for (uint32_t i = 0; i < N; i++)
		timer_start(&w, i, deadlines[i]);
	step_to(&w, 5000, &r);
	assert_int_equal(r.n, N);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(log[i].tick, log[i].deadline);
	assert_int_equal(r.early + r.late, 0);
	timer_wheel_free(&w);
}

static void test_past_deadline_fires_at_the_next_advance(void **state)
{
	struct timer_wheel w;
	struct firing log[2];
	struct recorder r = recorder(&w, log, 2);

	(void)state;
	wheel(&w, 2, 8);
	timer_advance(&w, 100, record, &r);
	timer_start(&w, 0, 50);
	timer_start(&w, 1, 100);
	assert_int_equal(timer_advance(&w, 100, record, &r), 0); /* not a new tick */
	assert_int_equal(timer_advance(&w, 101, record, &r), 2);
	assert_int_equal(log[0].tick, 101);
	assert_int_equal(log[1].tick, 101);
	timer_wheel_free(&w);
}

static void test_idle_jump_fires_everything_due(void **state)
{
	enum { N = 10000, SLOTS = 256, SPAN = 100000 };
	struct timer_wheel w;
	struct recorder r = recorder(&w, NULL, 0);
	uint32_t due_by_half = 0;
	uint64_t s = 7;

	(void)state;
	wheel(&w, N, SLOTS);
	for (uint32_t i = 0; i < N; i++) {
		uint64_t d = 1 + xorshift(&s) % SPAN;

		timer_start(&w, i, d);
		due_by_half += d <= SPAN / 2;
	}
	/* Hundreds of revolutions in one call. */
	assert_int_equal(timer_advance(&w, SPAN / 2, record, &r), due_by_half);
	assert_int_equal(r.early, 0);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(timer_running(&w, i), timer_deadline(&w, i) > SPAN / 2);
	assert_int_equal(timer_advance(&w, 3 * SPAN, record, &r), N - due_by_half);
	assert_int_equal(r.n, N);
	assert_int_equal(r.early, 0);
	assert_int_equal(w.running, 0);
	timer_wheel_free(&w);
}

static void test_a_million_entries_fire_once_each_on_time(void **state)
{
	enum { N = 1000000, SLOTS = 4096, SPAN = 100000 };
	struct timer_wheel w;
	struct recorder r = recorder(&w, NULL, 0);
	uint32_t *due = calloc(SPAN + 1, sizeof(*due));

	(void)state;
	assert_non_null(due);
	wheel(&w, N, SLOTS);
	for (uint32_t i = 0; i < N; i++) {
		uint64_t d = 1 + ((uint64_t)i * 7919u) % SPAN;

		timer_start(&w, i, d);
		due[d]++;
	}
	assert_int_equal(w.running, N);
	for (uint64_t t = 1; t <= SPAN; t++)
		assert_int_equal(timer_advance(&w, t, record, &r), due[t]);
	assert_int_equal(r.n, N);
	assert_int_equal(r.early + r.late, 0);
	assert_int_equal(w.running, 0);
	free(due);
	timer_wheel_free(&w);
}

/* Callback state for the re-entrancy test. */
struct reentrant {
	struct timer_wheel *w;
	uint32_t fired[3];
	uint64_t fired_at[3][4];
};

/* Entry 0 re-arms itself 3 ticks on (a periodic timer) up to 4 times;
 * entry 1 stops entry 2, which shares its deadline; entry 2 then must not
 * fire. Whichever of 1 and 2 fires first stops the other. */
static void reentrant_fire(void *arg, uint32_t idx)
{
	struct reentrant *t = arg;

	assert_true(idx < 3);
	t->fired_at[idx][t->fired[idx]++] = t->w->now;
	if (idx == 0 && t->fired[0] < 4)
		timer_start(t->w, 0, t->w->now + 3);
	if (idx == 1)
		timer_stop(t->w, 2);
	if (idx == 2)
		timer_stop(t->w, 1);
}

static void test_callback_may_restart_and_stop(void **state)
{
	struct timer_wheel w;
	struct reentrant t = { .w = &w };

	(void)state;
	wheel(&w, 3, 8);
	timer_start(&w, 0, 2);
	timer_start(&w, 1, 4);
	timer_start(&w, 2, 4);
	while (w.now < 30)
		timer_advance(&w, w.now + 1, reentrant_fire, &t);
	assert_int_equal(t.fired[0], 4);
	assert_int_equal(t.fired_at[0][0], 2);
	assert_int_equal(t.fired_at[0][3], 11);
	assert_int_equal(t.fired[1] + t.fired[2], 1);
	assert_int_equal(w.running, 0);

	timer_wheel_free(&w);
}

static void rearm_at_now(void *arg, uint32_t idx)
{
	struct timer_wheel *w = arg;

	timer_start(w, idx, w->now);
}

/* A callback re-arming its entry at a deadline already come does not loop:
 * the entry fires once per advance. */
static void test_rearm_at_a_past_deadline_waits_for_the_next_advance(void **state)
{
	struct timer_wheel w;

	(void)state;
	wheel(&w, 1, 8);
	timer_start(&w, 0, 3);
	assert_int_equal(timer_advance(&w, 5, rearm_at_now, &w), 1);
	assert_true(timer_running(&w, 0));
	assert_int_equal(timer_advance(&w, 6, rearm_at_now, &w), 1);
	assert_int_equal(timer_advance(&w, 100, rearm_at_now, &w), 1); /* over a revolution */
	assert_int_equal(timer_advance(&w, 101, rearm_at_now, &w), 1);
	timer_wheel_free(&w);
}

/* An entry keeps its deadline's low 32 bits: across 2^32 ticks it still
 * fires exactly at its tick, and one further ahead than TIMER_AHEAD_MAX
 * fires then, early, for its owner to arm again. */
static void test_deadlines_across_2_32_and_the_furthest_ahead(void **state)
{
	struct timer_wheel w;
	struct recorder r;
	const uint64_t wrap = 1ull << 32;

	(void)state;
	wheel(&w, 4, 64);
	r = recorder(&w, NULL, 0);
	timer_advance(&w, wrap - 10, record, &r);
	timer_start(&w, 0, wrap + 5);
	timer_start(&w, 1, wrap - 3);
	assert_int_equal(timer_deadline(&w, 0), wrap + 5);
	step_to(&w, wrap + 4, &r);
	assert_int_equal(r.n, 1); /* entry 1, at its tick */
	assert_true(timer_running(&w, 0));
	step_to(&w, wrap + 5, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.early + r.late, 0);

	timer_start(&w, 2, w.now + 3 * TIMER_AHEAD_MAX);
	assert_int_equal(timer_deadline(&w, 2), w.now + TIMER_AHEAD_MAX);
	timer_advance(&w, w.now + TIMER_AHEAD_MAX - 1, record, &r);
	assert_true(timer_running(&w, 2));
	timer_advance(&w, w.now + 1, record, &r);
	assert_false(timer_running(&w, 2));
	assert_int_equal(r.n, 3);
	timer_wheel_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_zero_sizes_and_rounds_slots_up),
		cmocka_unit_test(test_deadlines_across_2_32_and_the_furthest_ahead),
		cmocka_unit_test(test_each_fires_exactly_at_its_deadline_in_order),
		cmocka_unit_test(test_one_advance_fires_in_deadline_order),
		cmocka_unit_test(test_stop_is_harmless_in_any_state),
		cmocka_unit_test(test_restart_moves_the_entry),
		cmocka_unit_test(test_deadlines_many_revolutions_away),
		cmocka_unit_test(test_past_deadline_fires_at_the_next_advance),
		cmocka_unit_test(test_idle_jump_fires_everything_due),
		cmocka_unit_test(test_a_million_entries_fire_once_each_on_time),
		cmocka_unit_test(test_callback_may_restart_and_stop),
		cmocka_unit_test(test_rearm_at_a_past_deadline_waits_for_the_next_advance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
