#include "telemetry.h"

#include "owned_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int telemetry_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > TELEMETRY_NAME_MAX || name[0] == '.')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static size_t file_len(uint32_t n_workers)
{
	return sizeof(struct mbx_stats_shm) + (size_t)n_workers * sizeof(struct mbx_stats_worker);
}

static void init_common(struct telemetry *t, uint32_t n_workers, const struct tsc_clock *clock)
{
	struct mbx_stats_shm *s = t->shm;

	memset(s, 0, t->len);
	s->magic = TELEMETRY_MAGIC;
	s->size = sizeof(*s);
	s->worker_size = sizeof(struct mbx_stats_worker);
	s->n_workers = n_workers;
	s->pid = (uint32_t)getpid();
	s->tsc_hz = clock->hz;
	for (uint32_t i = 0; i < n_workers; i++)
		hist_init(&s->worker[i].proc_ticks);
}

int telemetry_open(struct telemetry *t, const char *name, uint32_t n_workers,
		   const struct tsc_clock *clock, const struct owned_file_mode *mode, char *err,
		   size_t errlen)
{
	void *m;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->len = file_len(n_workers);
	if (!telemetry_name_ok(name)) {
		snprintf(err, errlen, "--name '%s': use letters, digits, '.', '_', '-' (at most %d)",
			 name, TELEMETRY_NAME_MAX);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "/dev/shm/%s.stats", name);
	/* Locked: a second engine with the same name is refused, and mbxdp-ctl
	 * tells a live file from a dead one's. */
	t->fd = owned_file_open(t->path, mode, err, errlen);
	if (t->fd < 0)
		return -1;
	if (ftruncate(t->fd, (off_t)t->len) < 0 ||
	    (m = mmap(NULL, t->len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0)) == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %s: %s", t->path, strerror(errno));
		unlink(t->path);
		close(t->fd);
		t->fd = -1;
		return -1;
	}
	t->shm = m;
	init_common(t, n_workers, clock);
	return 0;
}

int telemetry_open_private(struct telemetry *t, uint32_t n_workers, const struct tsc_clock *clock)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->len = file_len(n_workers);
	t->shm = aligned_alloc(64, (t->len + 63) & ~(size_t)63);
	if (!t->shm)
		return -1;
	init_common(t, n_workers, clock);
	return 0;
}

void telemetry_attach(struct telemetry_worker *tw, struct telemetry *t, uint32_t i,
		      const struct stack *stack, const struct mbx_port *port,
		      const struct idle_counters *idle, const struct tsc_clock *clock)
{
	tw->part = &t->shm->worker[i];
	tw->stack = stack;
	tw->port = port;
	tw->idle = idle;
	tw->interval_ticks = clock->hz / (1000 / TELEMETRY_PUBLISH_MS);
	tw->next_publish = 0;
}

void telemetry_place(struct telemetry *t, uint32_t i, uint32_t queue, int cpu)
{
	t->shm->worker[i].queue = queue;
	t->shm->worker[i].cpu = cpu;
}

/* A seqlock with one writer: the count goes odd, the copy is made, the count
 * goes even; the fences keep the copy between the two stores. */
void telemetry_publish(struct telemetry_worker *tw, uint64_t now_tsc)
{
	struct mbx_stats_worker *p = tw->part;

	__atomic_store_n(&p->seq, p->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (tw->port)
		p->port = tw->port->ctr;
	p->stack = tw->stack->ctr;
	p->mb = tw->stack->mb->ctr;
	if (tw->idle)
		p->idle = *tw->idle;
	p->open_connections = stack_open_connections(tw->stack);
	p->published_tsc = now_tsc;
	__atomic_store_n(&p->seq, p->seq + 1, __ATOMIC_RELEASE);
	tw->next_publish = now_tsc + tw->interval_ticks;
}

void telemetry_publish_xdp(struct telemetry *t, const struct mbx_xdp_counters *c,
			   uint64_t now_tsc)
{
	struct mbx_stats_xdp *p = &t->shm->xdp;

	__atomic_store_n(&p->seq, p->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	p->ctr = *c;
	p->present = 1;
	p->published_tsc = now_tsc;
	__atomic_store_n(&p->seq, p->seq + 1, __ATOMIC_RELEASE);
}

void telemetry_close(struct telemetry *t)
{
	if (!t->shm)
		return;
	if (t->fd >= 0) {
		munmap(t->shm, t->len);
		unlink(t->path);
		close(t->fd);
	} else {
		free(t->shm);
	}
	t->shm = NULL;
	t->fd = -1;
}
