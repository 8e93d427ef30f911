/* A hashed timing wheel (Varghese and Lauck, "Hashed and Hierarchical Timing
 * Wheels", SOSP 1987, scheme 6), for the per-connection timers of the stack
 * (retransmission, delayed ACK, keepalive, TIME-WAIT).
 *
 * Time is in ticks of a fixed length (tick_ns, chosen by the caller); the
 * caller passes the current tick, so the wheel makes no system call and reads
 * no clock. An entry due at tick d sits in slot d mod n_slots, in a doubly
 * linked list of indexes; starting, stopping and restarting an entry are
 * O(1), and each tick visits one slot.
 *
 * Entries are numbered 0..n_entries-1 by the caller, alongside its own
 * objects (entry i is the timer of connection i): the wheel keeps them in an
 * array of its own, so the caller's table needs no pointer and no field for
 * it. At most one deadline per entry: a caller wanting several timers per
 * object keeps the earliest one in the wheel, or numbers them i * k + j.
 * Everything is allocated by timer_wheel_init(); nothing afterwards.
 *
 * Deadlines beyond one revolution (n_slots ticks): each entry keeps its
 * absolute deadline tick, and a slot visit fires only the entries whose
 * deadline has come; the others stay for a later revolution. This is scheme
 * 6's remaining-rounds count, kept as a deadline so that a jump of many
 * ticks needs no per-revolution bookkeeping. It was chosen over a cascaded
 * second level because the stack's timers are restarted far more often than
 * they fire (the retransmission timer on every ACK): a stop must stay O(1)
 * wherever the entry is, and cascading would move every long timer between
 * levels at least once. The price is that a far deadline is looked at once
 * per revolution; size the wheel so the common deadlines fit in one (e.g.
 * 1 ms ticks and 4096 slots: 4 s, over the usual retransmission timeouts).
 *
 * Guarantees: an entry never fires before its deadline tick, and fires in
 * the first timer_advance() whose now reaches it, so at most one tick late
 * when the caller advances every tick. Within one advance of at most one
 * revolution, entries fire in deadline order (equal deadlines in no set
 * order); an advance over more than a revolution (after an idle period)
 * visits every slot once and fires everything due, in slot order. The
 * callback may start or stop any entry, including the one that fired; an
 * entry started from a callback with a deadline already past fires at the
 * next advance, never in the running one. Not thread-safe: one wheel per
 * worker, like the connection table. */
#ifndef MBX_TIMER_WHEEL_H
#define MBX_TIMER_WHEEL_H

#include <stdint.h>

#define TIMER_NONE UINT32_MAX

/* 16 bytes, one per connection: the deadline keeps the tick's low 32 bits,
 * read against the wheel's clock (timer_deadline), so no deadline is
 * kept more than TIMER_AHEAD_MAX ticks ahead. */
struct timer_entry {
	uint32_t deadline; /* tick, modulo 2^32 */
	uint32_t next, prev; /* entry indexes in the slot list, TIMER_NONE at the ends */
	uint32_t list; /* slot it is listed in, TIMER_NONE when not running */
};

/* The furthest a deadline is kept ahead: 2^30 ticks (about 13 days at the
 * stack's tick). A later one fires then, early, and its owner arms it
 * again for what is left (the stack's timers check what is due). */
#define TIMER_AHEAD_MAX (1ull << 30)

struct timer_wheel {
	struct timer_entry *entries;
	uint32_t *heads; /* n_slots slot lists, then the list being expired */
	uint32_t n_entries;
	uint32_t n_slots; /* a power of two */
	uint64_t now; /* the last tick advanced to */
	uint64_t tick_ns;
	uint32_t running; /* entries started and not yet fired or stopped */
};

typedef void (*timer_fn)(void *arg, uint32_t idx);

/* n_slots is rounded up to a power of two. The wheel starts at tick 0.
 * Returns 0, or -1 with errno set (EINVAL for zero sizes, ENOMEM). */
int timer_wheel_init(struct timer_wheel *w, uint32_t n_entries, uint64_t tick_ns,
		     uint32_t n_slots);
void timer_wheel_free(struct timer_wheel *w);

/* Ticks of this wheel in ns nanoseconds, rounded down. */
static inline uint64_t timer_ticks_from_ns(const struct timer_wheel *w, uint64_t ns)
{
	return ns / w->tick_ns;
}

/* Arms entry idx to fire at tick deadline; a running entry is moved. A
 * deadline not after the last advanced tick fires at the next advance. */
void timer_start(struct timer_wheel *w, uint32_t idx, uint64_t deadline);

/* Disarms entry idx; harmless if it is not running. */
void timer_stop(struct timer_wheel *w, uint32_t idx);

static inline int timer_running(const struct timer_wheel *w, uint32_t idx)
{
	return w->entries[idx].list != TIMER_NONE;
}

/* The tick a running entry fires at: within 2^31 ticks of the clock. */
static inline uint64_t timer_deadline(const struct timer_wheel *w, uint32_t idx)
{
	return w->now + (uint64_t)(int64_t)(int32_t)(w->entries[idx].deadline - (uint32_t)w->now);
}

/* Moves the wheel to tick now and calls fn(arg, idx) for every entry whose
 * deadline is at or before now; each is disarmed before its call. A now
 * not after the current tick does nothing. Returns how many fired. */
uint32_t timer_advance(struct timer_wheel *w, uint64_t now, timer_fn fn, void *arg);

#endif
