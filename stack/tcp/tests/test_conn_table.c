/* The connection table (stack/tcp/tcp_conn.h): every connection entered is
 * found under its tuple and no other, through tuples sharing a home slot
 * and a tag, runs that wrap around the end of the slots, a table filled to
 * capacity, removals in any order (the entries after a removed one are
 * shifted back and must stay reachable), and a million connections from a
 * large plant's address and port pattern, whose probe runs must stay short. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/tcp_conn.h"

#define KEY 0x5eed5eed12345678ULL

struct tuple {
	uint32_t raddr, laddr;
	uint16_t rport, lport;
};

/* Tuple i: 16 ports of each of many sources, to one server address. */
static struct tuple tuple(uint32_t i)
{
	return (struct tuple){ 0xc6130000u + i / 16, 0xc6120001u, (uint16_t)(10000 + i % 16), 502 };
}

static struct tcp_conn *insert(struct conn_table *t, struct tuple u)
{
	return conn_insert(t, u.raddr, u.laddr, u.rport, u.lport, 0);
}

static struct tcp_conn *lookup(const struct conn_table *t, struct tuple u)
{
	return conn_lookup(t, u.raddr, u.laddr, u.rport, u.lport, 0);
}

/* Slots from the home slot of the tuple in slot i to i: its probe length. */
static uint32_t displacement(const struct conn_table *t, uint32_t i)
{
	const struct tcp_conn *c = conn_at_slot(t, i);
	uint32_t home = conn_hash(t, c->raddr, c->laddr, c->rport, c->lport, 0).slot;

	return (i - home) & t->slot_mask;
}

/* Every slot in use is reachable from its home: no free slot lies between. */
static void assert_runs_whole(const struct conn_table *t)
{
	uint32_t used = 0;

	for (uint32_t i = 0; i <= t->slot_mask; i++) {
		if (!t->slots[i])
			continue;
		used++;
		for (uint32_t d = displacement(t, i); d; d--)
			assert_true(t->slots[(i - d) & t->slot_mask] != 0);
	}
	assert_int_equal(used, t->in_use);
}

static void test_init_rejects_zero_and_huge_capacities(void **state)
{
	struct conn_table t;

	(void)state;
	assert_int_equal(conn_table_init(&t, 0, KEY), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(conn_table_init(&t, (1u << 30) + 1, KEY), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(conn_table_init(&t, 1000, KEY), 0);
	assert_true(t.slot_mask + 1 >= 2000); /* a load of at most 1/2 */
	assert_true(t.idx_mask >= 1000);
	conn_table_free(&t);
}

static void test_full_table_finds_all_and_takes_no_more(void **state)
{
	struct conn_table t;
	struct tcp_conn *c[64];

	(void)state;
	assert_int_equal(conn_table_init(&t, 64, KEY), 0);
	for (uint32_t i = 0; i < 64; i++) {
		assert_null(lookup(&t, tuple(i)));
		c[i] = insert(&t, tuple(i));
		assert_non_null(c[i]);
	}
	assert_null(insert(&t, tuple(64)));
	assert_int_equal(t.in_use, 64);
	for (uint32_t i = 0; i < 64; i++)
		assert_ptr_equal(lookup(&t, tuple(i)), c[i]);
	for (uint32_t i = 64; i < 10000; i++)
		assert_null(lookup(&t, tuple(i)));
	/* Another port, address or server is another connection. */
	assert_null(conn_lookup(&t, c[0]->raddr, c[0]->laddr, c[0]->rport, 503, 0));
	assert_null(conn_lookup(&t, c[0]->raddr, c[0]->laddr + 1, c[0]->rport, c[0]->lport, 0));
	assert_runs_whole(&t);
	conn_remove(&t, c[17]);
	assert_null(lookup(&t, tuple(17)));
	assert_non_null(insert(&t, tuple(64))); /* the freed place is taken */
	assert_ptr_equal(lookup(&t, tuple(64)), c[17]);
	conn_table_free(&t);
}

/* Two tuples with the same home slot and the same tag: only the
 * connection's own tuple may match, whichever is entered first and
 * whichever is removed. Found among 2^18 tuples by sorting their keys
 * (a birthday search: a key is about 33 bits). */
struct keyed {
	uint64_t key;
	uint32_t i;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static void test_tuples_sharing_slot_and_tag(void **state)
{
	enum { N = 1u << 18 };
	struct keyed *k = malloc(N * sizeof(*k));
	struct conn_table t;
	uint32_t pairs = 0;

	(void)state;
	assert_non_null(k);
	assert_int_equal(conn_table_init(&t, 1u << 20, KEY), 0);
	for (uint32_t i = 0; i < N; i++) {
		struct tuple u = tuple(i);
		struct conn_key ck = conn_hash(&t, u.raddr, u.laddr, u.rport, u.lport, 0);

		k[i] = (struct keyed){ (uint64_t)ck.slot << 32 | ck.tag, i };
	}
	qsort(k, N, sizeof(*k), cmp_keyed);
	for (uint32_t j = 1; j < N; j++) {
		struct tuple a, b;
		struct tcp_conn *ca, *cb;

		if (k[j].key != k[j - 1].key)
			continue;
		pairs++;
		a = tuple(k[j - 1].i);
		b = tuple(k[j].i);
		ca = insert(&t, a);
		cb = insert(&t, b);
		assert_ptr_equal(lookup(&t, a), ca);
		assert_ptr_equal(lookup(&t, b), cb);
		conn_remove(&t, ca); /* the first entered goes: the second moves back */
		assert_null(lookup(&t, a));
		assert_ptr_equal(lookup(&t, b), cb);
		conn_remove(&t, cb);
		assert_null(lookup(&t, b));
		assert_int_equal(t.in_use, 0);
	}
	assert_true(pairs > 0);
	free(k);
	conn_table_free(&t);
}

/* Random inserts and removals in a table of 64 connections (128 slots:
 * long runs, most of them wrapping round some time) against a model of
 * which tuples are in. */
static void test_random_inserts_and_removals_match_a_model(void **state)
{
	enum { POOL = 200 };
	struct tcp_conn *in[POOL] = { 0 };
	struct conn_table t;
	uint64_t x = 88172645463325252ULL;
	uint32_t wrapped = 0;

	(void)state;
	assert_int_equal(conn_table_init(&t, 64, KEY), 0);
	for (uint32_t step = 0; step < 200000; step++) {
		uint32_t i;

		x ^= x << 13; /* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		i = (uint32_t)(x % POOL);
		if (in[i]) {
			conn_remove(&t, in[i]);
			in[i] = 0;
		} else {
			in[i] = insert(&t, tuple(i));
			assert_true(in[i] != 0 || t.in_use == 64);
		}
		wrapped += t.slots[t.slot_mask] && t.slots[0];
		if (step % 97 == 0) {
			for (uint32_t j = 0; j < POOL; j++)
				assert_ptr_equal(lookup(&t, tuple(j)), in[j]);
			assert_runs_whole(&t);
		}
	}
	assert_true(wrapped > 0);
	conn_table_free(&t);
}

/* A million connections: all found, probe runs short (the hash spreads the
 * plant's pattern), and after removing every other one, the rest found and
 * the removed ones not. */
static void test_a_million_connections(void **state)
{
	enum { N = 1000000 };
	struct conn_table t;
	uint64_t total = 0;
	uint32_t longest = 0;

	(void)state;
	assert_int_equal(conn_table_init(&t, N, KEY), 0);
	for (uint32_t i = 0; i < N; i++)
		assert_non_null(insert(&t, tuple(i)));
	for (uint32_t i = 0; i <= t.slot_mask; i++) {
		if (t.slots[i]) {
			uint32_t d = displacement(&t, i);

			total += d;
			longest = d > longest ? d : longest;
		}
	}
	/* Linear probing at a load of 0.48: 0.46 slots on average for random
	 * keys (Knuth), runs of a few dozen at the most. */
	assert_true(total < N * 0.6);
	assert_true(longest < 64);
	for (uint32_t i = 0; i < N; i++) {
		struct tcp_conn *c = lookup(&t, tuple(i));

		assert_non_null(c);
		assert_int_equal(c - t.conns, i);
	}
	for (uint32_t i = 0; i < N; i += 2)
		conn_remove(&t, &t.conns[i]);
	assert_int_equal(t.in_use, N / 2);
	for (uint32_t i = 0; i < N; i++)
		assert_true((lookup(&t, tuple(i)) != 0) == (i % 2 == 1));
	assert_runs_whole(&t);
	conn_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_zero_and_huge_capacities),
		cmocka_unit_test(test_full_table_finds_all_and_takes_no_more),
		cmocka_unit_test(test_tuples_sharing_slot_and_tag),
		cmocka_unit_test(test_random_inserts_and_removals_match_a_model),
		cmocka_unit_test(test_a_million_connections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
