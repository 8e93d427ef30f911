/* The workers of a run: one per backend queue, each on a thread of its own
 * pinned to one CPU, with its own stack (connection table, counters). Only
 * the device model and the register store are shared. */
#ifndef MBX_WORKERS_H
#define MBX_WORKERS_H

#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "backend.h"
#include "capture.h"
#include "stack.h"
#include "stats.h"
#include "telemetry.h"
#include "tsc.h"

struct workers;

struct workers_config {
	const struct backend *backend; /* worker i drives backend->port[i] */
	const struct stack_config *stack; /* every worker's stack is built from it */
	const struct mb_model *model; /* the devices every worker answers as */
	const struct tsc_clock *clock;
	volatile sig_atomic_t *stop; /* set by a signal, or by a worker that failed */
	const cpu_set_t *cpus; /* worker i runs on the i-th of them */
	int share_cpus; /* more workers than cpus: taken in turn; otherwise an error */
	struct capture *capture; /* --capture: worker i fills ring i; NULL when off */
	struct telemetry *telemetry; /* worker i keeps part i of it */
	int idle_adaptive; /* sleep on the AF_XDP socket when quiet (idle.h) */
};

/* Builds the workers' stacks. NULL with one line in err on failure. */
struct workers *workers_create(const struct workers_config *cfg, char *err, size_t errlen);

/* The CPU worker i is pinned to. */
int workers_cpu(const struct workers *ws, uint32_t i);

/* Runs the workers, worker 0 sending a gratuitous ARP for each of the
 * stack's addresses first, until *stop; returns when all have ended. -1
 * with err if a thread could not be started or set up (the others are
 * stopped). */
int workers_run(struct workers *ws, char *err, size_t errlen);

/* Syncs each port's counters and adds every worker's counters to t. */
void workers_totals(struct workers *ws, struct stats_totals *t);

/* With several workers, how the receive side spread the load: each
 * worker's frames and connections, as `workerI_rx_frames N` lines. */
void workers_print_balance(const struct workers *ws, FILE *out);

void workers_free(struct workers *ws);

#endif
