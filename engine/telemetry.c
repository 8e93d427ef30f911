#include "telemetry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

int telemetry_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > TELEMETRY_NAME_MAX || name[0] == '.')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static void init_common(struct telemetry *t, const struct tsc_clock *clock)
{
	struct mbx_stats_shm *s = t->shm;

	memset(s, 0, sizeof(*s));
	s->magic = TELEMETRY_MAGIC;
	s->size = sizeof(*s);
	s->pid = (uint32_t)getpid();
	s->tsc_hz = clock->hz;
	hist_init(&s->proc_ticks);
	t->interval_ticks = clock->hz / (1000 / TELEMETRY_PUBLISH_MS);
	t->next_publish = 0;
}

int telemetry_open(struct telemetry *t, const char *name, const struct tsc_clock *clock,
		   char *err, size_t errlen)
{
	void *m;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (!telemetry_name_ok(name)) {
		snprintf(err, errlen, "--name '%s': use letters, digits, '.', '_', '-' (at most %d)",
			 name, TELEMETRY_NAME_MAX);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "/dev/shm/%s.stats", name);
	t->fd = open(t->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (t->fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", t->path, strerror(errno));
		return -1;
	}
	/* The lock says the engine is alive: a second engine with the same name
	 * is refused, and mbxdp-ctl tells a live file from a dead one's. */
	if (flock(t->fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "%s is held by a running mbxdp; give this one another --name",
			 t->path);
		close(t->fd);
		t->fd = -1;
		return -1;
	}
	if (ftruncate(t->fd, sizeof(struct mbx_stats_shm)) < 0 ||
	    (m = mmap(NULL, sizeof(struct mbx_stats_shm), PROT_READ | PROT_WRITE, MAP_SHARED, t->fd,
		      0)) == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %s: %s", t->path, strerror(errno));
		unlink(t->path);
		close(t->fd);
		t->fd = -1;
		return -1;
	}
	t->shm = m;
	init_common(t, clock);
	return 0;
}

int telemetry_open_private(struct telemetry *t, const struct tsc_clock *clock)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->shm = aligned_alloc(64, (sizeof(struct mbx_stats_shm) + 63) & ~(size_t)63);
	if (!t->shm)
		return -1;
	init_common(t, clock);
	return 0;
}

/* A seqlock with one writer: the count goes odd, the copy is made, the count
 * goes even; the fences keep the copy between the two stores. */
void telemetry_publish(struct telemetry *t, uint64_t now_tsc)
{
	struct mbx_stats_shm *s = t->shm;

	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (t->port)
		s->port = t->port->ctr;
	s->stack = t->stack->ctr;
	s->mb = t->stack->mb.ctr;
	if (t->idle)
		s->idle = *t->idle;
	s->open_connections = stack_open_connections(t->stack);
	s->published_tsc = now_tsc;
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
	t->next_publish = now_tsc + t->interval_ticks;
}

void telemetry_close(struct telemetry *t)
{
	if (!t->shm)
		return;
	if (t->fd >= 0) {
		munmap(t->shm, sizeof(struct mbx_stats_shm));
		unlink(t->path);
		close(t->fd);
	} else {
		free(t->shm);
	}
	t->shm = NULL;
	t->fd = -1;
}
