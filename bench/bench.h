/* What mbxdp-bench's two masters share: the options, the counters every
 * run reports and the clock. The socket master is mbxdp_bench.c; the
 * kernel-bypass one (--afxdp, --dpdk) is bypass.h. */
#ifndef MBB_BENCH_H
#define MBB_BENCH_H

#include <stdint.h>
#include <time.h>

#include "histogram.h"
#include "mbreq.h"

/* What the kernel-bypass master does with its connections. */
enum bypass_mode {
	MODE_REQUESTS, /* connections x pipeline, closed or open loop (the socket master's) */
	MODE_CONNECT_RATE, /* connect, one request, close, again: connections/s */
	MODE_HOLD, /* open them all, a request each every hold_s: how many the target keeps */
};

/* --source of the kernel-bypass master: a prefix of either family, whose
 * addresses differ in their last 32 bits at most (tuples.h counts through
 * those). */
struct bypass_source {
	int family; /* AF_INET or AF_INET6; 0: none given */
	uint32_t len; /* the prefix length */
	uint32_t first; /* host order: the first address, or an IPv6 one's last 32 bits */
	uint8_t addr6[16]; /* IPv6: the first address, as on the wire */
};

struct options {
	const char *host;
	uint16_t port;
	uint32_t connections;
	uint32_t pipeline;
	struct mix mix;
	double rate; /* requests/s over all connections; 0: closed loop */
	double warmup_s;
	double duration_s;
	uint32_t threads;
	uint64_t timeout_ns;
	int busy_poll;
	int json;
	int progress;
	int udp;
	const char *hdr_log; /* the interval log's file, or NULL */
	const char *engine; /* --engine: the target mbxdp's instance name, or NULL */
	int spectrum;
	/* The kernel-bypass master: --afxdp IF or --dpdk (EAL arguments
	 * after --), sources from --source, one worker per queue. */
	const char *afxdp;
	int dpdk;
	int eal_argc;
	char **eal_argv;
	struct bypass_source source;
	uint32_t queues; /* 0: every queue of the interface (AF_XDP), 1 (DPDK) */
	enum bypass_mode mode;
	double hold_s; /* hold: a request per connection this often */
	uint32_t open_window; /* handshakes under way at once per worker, at most; 0: the default */
};

struct counters {
	uint64_t sent;
	uint64_t answered; /* every answer to a request in flight, right or not, warm-up too */
	uint64_t ok; /* answered correctly, in the measured window */
	uint64_t exceptions;
	uint64_t wrong;
	uint64_t timeouts;
	uint64_t connect_failures;
	uint64_t connections_lost; /* reset, closed or unframeable by the server */
	/* Open loop: requests due in the measured window that were never
	 * sent, their connection stalled behind unanswered ones or down. */
	uint64_t unsent;
	/* The kernel-bypass master only. */
	uint64_t connections_ok; /* connect rate: opened, answered right, closed, in the window */
	uint64_t opened; /* hold: connections that were ever established */
	uint64_t held; /* hold: established at the end, their last request answered */
	uint64_t poll_tsc, idle_tsc; /* the workers' loop time, and of it polls that found nothing */
};

/* Which requests count as asked for and not answered: sent and never
 * answered (lost with their connection, timed out, still in flight when the
 * run stopped). */
static inline uint64_t unanswered_of(const struct counters *c)
{
	return c->sent - c->answered;
}

static inline uint64_t errors_of(const struct counters *c)
{
	return c->exceptions + c->wrong + c->timeouts + c->connect_failures + c->connections_lost +
	       c->unsent;
}

/* Adds a worker's counters into a total. */
static inline void counters_add(struct counters *t, const struct counters *c)
{
	t->sent += c->sent;
	t->answered += c->answered;
	t->ok += c->ok;
	t->exceptions += c->exceptions;
	t->wrong += c->wrong;
	t->timeouts += c->timeouts;
	t->connect_failures += c->connect_failures;
	t->connections_lost += c->connections_lost;
	t->unsent += c->unsent;
	t->connections_ok += c->connections_ok;
	t->opened += c->opened;
	t->held += c->held;
	t->poll_tsc += c->poll_tsc;
	t->idle_tsc += c->idle_tsc;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Counts one answer to a request meant to go at intended_ns, received at
 * now: latency and verdict in the measured window [t_measure, t_end);
 * errors whenever they happen, so warm-up does not hide them. */
static inline void counters_answer(struct counters *c, struct histogram *h, enum check_result r,
				   uint64_t intended_ns, uint64_t now, uint64_t t_measure,
				   uint64_t t_end)
{
	int measured = intended_ns >= t_measure && intended_ns < t_end;

	c->answered++;
	if (measured)
		hist_record(h, now - intended_ns);
	if (r == CHECK_OK)
		c->ok += measured;
	else if (r == CHECK_EXCEPTION)
		c->exceptions++;
	else
		c->wrong++;
}

/* One worker's figures for --progress, written by it with relaxed atomics
 * and read by the main thread once a second. */
struct progress {
	uint64_t ok;
	uint64_t err;
	int done; /* set when the worker is about to end */
	const struct histogram *hist; /* the worker's, read while it records (--hdr-log) */
};

#endif
