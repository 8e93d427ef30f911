/* Hashed timing wheel: see timer_wheel.h. */
#include "timer_wheel.h"

#include <errno.h>
#include <stdlib.h>

#include "table_mem.h"

int timer_wheel_init(struct timer_wheel *w, uint32_t n_entries, uint64_t tick_ns,
		     uint32_t n_slots)
{
	uint32_t slots = 1;

	w->entries = NULL;
	w->heads = NULL;
	if (!n_entries || n_entries == TIMER_NONE || !tick_ns || !n_slots || n_slots > (1u << 31)) {
		errno = EINVAL;
		return -1;
	}
	while (slots < n_slots)
		slots <<= 1;
	w->n_entries = n_entries; /* first: a failed allocation frees what it got */
	w->entries = table_mem_map((size_t)n_entries * sizeof(*w->entries));
	w->heads = malloc(((size_t)slots + 1) * sizeof(*w->heads));
	if (!w->entries || !w->heads) {
		timer_wheel_free(w);
		errno = ENOMEM;
		return -1;
	}
	for (uint32_t i = 0; i < n_entries; i++)
		w->entries[i].list = TIMER_NONE;
	for (uint32_t s = 0; s <= slots; s++)
		w->heads[s] = TIMER_NONE;
	w->n_slots = slots;
	w->now = 0;
	w->tick_ns = tick_ns;
	w->running = 0;
	return 0;
}

void timer_wheel_free(struct timer_wheel *w)
{
	table_mem_unmap(w->entries, (size_t)w->n_entries * sizeof(*w->entries));
	free(w->heads);
	w->entries = NULL;
	w->heads = NULL;
}

static void list_push(struct timer_wheel *w, uint32_t list, uint32_t idx)
{
	struct timer_entry *e = &w->entries[idx];

	e->list = list;
	e->prev = TIMER_NONE;
	e->next = w->heads[list];
	if (e->next != TIMER_NONE)
		w->entries[e->next].prev = idx;
	w->heads[list] = idx;
}

static void list_unlink(struct timer_wheel *w, uint32_t idx)
{
	struct timer_entry *e = &w->entries[idx];

	if (e->prev != TIMER_NONE)
		w->entries[e->prev].next = e->next;
	else
		w->heads[e->list] = e->next;
	if (e->next != TIMER_NONE)
		w->entries[e->next].prev = e->prev;
	e->list = TIMER_NONE;
}

void timer_start(struct timer_wheel *w, uint32_t idx, uint64_t deadline)
{
	/* A past deadline goes where the next advance looks first. */
	uint64_t at;

	if (deadline > w->now + TIMER_AHEAD_MAX)
		deadline = w->now + TIMER_AHEAD_MAX;
	at = deadline > w->now ? deadline : w->now + 1;
	if (timer_running(w, idx))
		list_unlink(w, idx);
	else
		w->running++;
	w->entries[idx].deadline = (uint32_t)deadline;
	list_push(w, (uint32_t)(at & (w->n_slots - 1)), idx);
}

void timer_stop(struct timer_wheel *w, uint32_t idx)
{
	if (!timer_running(w, idx))
		return;
	list_unlink(w, idx);
	w->running--;
}

/* Fires the due entries of one slot. The slot's list is first moved to the
 * expiring list (the last head), so that the callback can start or stop any
 * entry, the next one included, without the walk losing its place: entries
 * are taken off the expiring list one at a time, and a stop from a callback
 * simply unlinks from it. */
static uint32_t expire_slot(struct timer_wheel *w, uint32_t slot, timer_fn fn, void *arg)
{
	const uint32_t expiring = w->n_slots;
	uint32_t fired = 0, idx;

	w->heads[expiring] = w->heads[slot];
	w->heads[slot] = TIMER_NONE;
	for (idx = w->heads[expiring]; idx != TIMER_NONE; idx = w->entries[idx].next)
		w->entries[idx].list = expiring;
	while ((idx = w->heads[expiring]) != TIMER_NONE) {
		list_unlink(w, idx);
		if (timer_deadline(w, idx) > w->now) {
			list_push(w, slot, idx); /* a later revolution's */
			continue;
		}
		w->running--;
		fired++;
		fn(arg, idx);
	}
	return fired;
}

uint32_t timer_advance(struct timer_wheel *w, uint64_t now, timer_fn fn, void *arg)
{
	uint64_t steps, tick;
	uint32_t fired = 0;

	if (now <= w->now)
		return 0;
	/* More than a revolution visits each slot once: every deadline up to
	 * now hashes to one of them. */
	steps = now - w->now < w->n_slots ? now - w->now : w->n_slots;
	/* The clock moves first: a deadline the callback sets at or before now
	 * goes to slot now + 1, which this advance does not visit again. */
	w->now = now;
	for (tick = now - steps + 1; tick <= now; tick++)
		fired += expire_slot(w, (uint32_t)(tick & (w->n_slots - 1)), fn, arg);
	return fired;
}
