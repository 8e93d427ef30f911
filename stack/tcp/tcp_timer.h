/* Per-connection timers on the stack's hashed timing wheel.
 *
 * Each connection has ONE wheel entry (entry i is connection i). Several
 * kinds of deadline share it: the retransmission / persist deadline of the
 * send queue (tcp_sndq.c) and connection management's (idle timeout,
 * TIME-WAIT, keepalive). Every kind keeps its own deadline where its owner
 * keeps its state; the wheel entry only has to fire no later than the
 * earliest of them.
 *
 * Lazily: moving a deadline LATER (the retransmission timer restarted by
 * every ACK, the idle timer by every request) costs no wheel operation. The
 * entry fires at the old time, the dispatcher (tcp_timer.c) finds nothing
 * due, and re-arms at the earliest deadline. Setting a deadline EARLIER than
 * the entry may fire calls tcp_timer_ensure(), which is a compare when the
 * entry already fires in time. So a request costs no wheel operation in the
 * steady state, and a connection no more than one entry's fire per
 * retransmission timeout while it is busy.
 *
 * Time is in ticks of 2^STACK_TICK_SHIFT ns, read from s->now_ns (the
 * engine's TSC time): no clock call. Deadlines stored in a connection or a
 * send buffer may be kept as the low 32 bits of a tick (52 days of range);
 * tcp_tick_expand() gives the full tick back. */
#ifndef MBX_TCP_TIMER_H
#define MBX_TCP_TIMER_H

#include <stdint.h>

#include "stack.h"

/* RFC 6298 2.1: the RTO before any measurement, 1 s; 2.5: at most 60 s. */
#define TCP_RTO_INITIAL_MS 1000u
#define TCP_RTO_MAX_MS 60000u

static inline uint64_t tcp_now_tick(const struct stack *s)
{
	return s->now_ns >> STACK_TICK_SHIFT;
}

/* Ticks in ms milliseconds, rounded up. */
static inline uint32_t tcp_ticks_from_ms(uint32_t ms)
{
	return (uint32_t)(((uint64_t)ms * 1000000u + (1u << STACK_TICK_SHIFT) - 1) >> STACK_TICK_SHIFT);
}

/* The full tick of a deadline kept in 32 bits, within 2^31 ticks of now. */
static inline uint64_t tcp_tick_expand(const struct stack *s, uint32_t t)
{
	uint64_t now = tcp_now_tick(s);
	int32_t d = (int32_t)(t - (uint32_t)now);

	return d < 0 && (uint64_t)-(int64_t)d > now ? 0 : now + (uint64_t)(int64_t)d;
}

/* Whether a 32-bit deadline has come. */
static inline int tcp_tick_due(const struct stack *s, uint32_t t)
{
	return (int32_t)((uint32_t)tcp_now_tick(s) - t) >= 0;
}

/* Makes c's wheel entry fire at tick `at` or before: call after setting a
 * deadline that may be earlier than the one the entry is armed for. */
void tcp_timer_ensure(struct stack *s, struct tcp_conn *c, uint64_t at);

/* Arms c's entry at the earliest deadline of all kinds (nothing if none;
 * an entry left armed for a deadline that went away fires harmlessly). */
void tcp_timer_arm(struct stack *s, struct tcp_conn *c);

/* The wheel's callback: runs the kinds that are due on connection idx,
 * then re-arms it. */
void tcp_timer_fired(void *arg, uint32_t idx);

#endif
