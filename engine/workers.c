#include "workers.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"

struct slot {
	struct worker w;
	struct workers *set;
	uint32_t index;
	int cpu;
	pthread_t thread;
	int started;
	char err[256]; /* why the thread could not run */
};

struct workers {
	struct workers_config cfg;
	uint32_t n;
	struct slot *slots;
};

static int nth_cpu(const cpu_set_t *cpus, uint32_t i)
{
	int count = CPU_COUNT(cpus), seen = 0;

	i %= (uint32_t)(count ? count : 1);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, cpus) && (uint32_t)seen++ == i)
			return cpu;
	return 0;
}

struct workers *workers_create(const struct workers_config *cfg, char *err, size_t errlen)
{
	struct workers *ws;
	uint32_t n = cfg->backend->n_queues;

	/* Two busy-polling workers on one CPU take turns by the scheduler's
	 * time slice: each one's latency becomes milliseconds. Only on
	 * request. */
	if (n > (uint32_t)CPU_COUNT(cfg->cpus) && !cfg->share_cpus) {
		snprintf(err, errlen, "%u queues need %u workers but there %s only %d CPU%s to pin "
				      "them to; give --share-cpus to let them share, --cpus with more "
				      "CPUs, or --queues with fewer",
			 n, n, CPU_COUNT(cfg->cpus) == 1 ? "is" : "are", CPU_COUNT(cfg->cpus),
			 CPU_COUNT(cfg->cpus) == 1 ? "" : "s");
		return NULL;
	}
	ws = calloc(1, sizeof(*ws));
	if (ws)
		ws->slots = calloc(n, sizeof(*ws->slots));
	if (!ws || !ws->slots) {
		free(ws);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ws->cfg = *cfg;
	for (uint32_t i = 0; i < n; i++) {
		struct slot *s = &ws->slots[i];

		s->set = ws;
		s->index = i;
		s->cpu = nth_cpu(cfg->cpus, i);
		s->w.port = cfg->backend->port[i];
		s->w.stop = cfg->stop;
		s->w.clock = cfg->clock;
		s->w.capture = cfg->capture ? capture_ring_of(cfg->capture, i) : NULL;
		s->w.stack = aligned_alloc(64, sizeof(*s->w.stack));
		if (!s->w.stack ||
		    stack_init(s->w.stack, cfg->stack, cfg->model, worker_frame_source(&s->w),
			       worker_frame_sink(&s->w)) < 0) {
			snprintf(err, errlen, "cannot set up the stack for %u connections: %s",
				 cfg->stack->max_conns, strerror(errno));
			free(s->w.stack);
			s->w.stack = NULL;
			workers_free(ws);
			return NULL;
		}
		idle_init(&s->w.idle, cfg->idle_adaptive ? backend_socket_fd(cfg->backend, i) : -1,
			  cfg->clock);
		telemetry_attach(&s->w.tel, cfg->telemetry, i, s->w.stack, s->w.port,
				 &s->w.idle.ctr, cfg->clock);
		telemetry_place(cfg->telemetry, i, cfg->backend->queue_id[i], s->cpu);
		ws->n = i + 1;
	}
	return ws;
}

int workers_cpu(const struct workers *ws, uint32_t i)
{
	return ws->slots[i].cpu;
}

static void *run_one(void *arg)
{
	struct slot *s = arg;
	const struct workers_config *cfg = &s->set->cfg;
	cpu_set_t one;
	int rc;

	CPU_ZERO(&one);
	CPU_SET(s->cpu, &one);
	rc = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	if (rc) {
		snprintf(s->err, sizeof(s->err), "cannot pin worker %u to CPU %d: %s", s->index,
			 s->cpu, strerror(rc));
		*cfg->stop = 1;
		return NULL;
	}
	if (backend_thread_init(cfg->backend, s->err, sizeof(s->err)) < 0) {
		*cfg->stop = 1;
		return NULL;
	}
	if (s->index == 0)
		worker_announce(&s->w);
	worker_run(&s->w);
	return NULL;
}

int workers_run(struct workers *ws, char *err, size_t errlen)
{
	int rc = 0;

	for (uint32_t i = 0; i < ws->n; i++) {
		int e = pthread_create(&ws->slots[i].thread, NULL, run_one, &ws->slots[i]);

		if (e) {
			snprintf(ws->slots[i].err, sizeof(ws->slots[i].err),
				 "cannot start worker %u: %s", i, strerror(e));
			*ws->cfg.stop = 1;
			break;
		}
		ws->slots[i].started = 1;
	}
	for (uint32_t i = 0; i < ws->n; i++) {
		if (ws->slots[i].started)
			pthread_join(ws->slots[i].thread, NULL);
		if (ws->slots[i].err[0] && !rc) {
			snprintf(err, errlen, "%s", ws->slots[i].err);
			rc = -1;
		}
	}
	return rc;
}

void workers_totals(struct workers *ws, struct stats_totals *t)
{
	for (uint32_t i = 0; i < ws->n; i++) {
		mbx_port_sync_counters(ws->slots[i].w.port);
		stats_add(t, ws->slots[i].w.stack, &ws->slots[i].w.port->ctr);
	}
}

void workers_print_balance(const struct workers *ws, FILE *out)
{
	if (ws->n < 2)
		return;
	for (uint32_t i = 0; i < ws->n; i++) {
		const struct stack *st = ws->slots[i].w.stack;

		fprintf(out, "worker%u_rx_frames %llu\nworker%u_conn_opened %llu\n", i,
			(unsigned long long)st->ctr.rx_frames, i,
			(unsigned long long)st->ctr.conn_opened);
	}
}

void workers_free(struct workers *ws)
{
	if (!ws)
		return;
	for (uint32_t i = 0; i < ws->n; i++) {
		stack_free(ws->slots[i].w.stack);
		free(ws->slots[i].w.stack);
	}
	free(ws->slots);
	free(ws);
}
