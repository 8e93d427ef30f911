/* Reading a running engine's files in /dev/shm (ctl.h): mapping them, and a
 * consistent reading of the stats file. mbxdp-ctl's subcommands share it,
 * and mbxdp-bench reads an engine's busy share with it (--engine). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

int ctl_map_open(const struct ctl_target *t, const char *suffix, struct ctl_map *m, char *err,
		 size_t errlen)
{
	char path[TELEMETRY_NAME_MAX + 32];
	struct stat st;
	void *addr;
	int fd;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/dev/shm/%s.%s", t->name, suffix);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s (is an mbxdp with --name %s running?)", path,
			 strerror(errno), t->name);
		return -1;
	}
	m->fd = fd;
	if (fstat(fd, &st) < 0 || st.st_size == 0) {
		snprintf(err, errlen, "%s: empty or unreadable", path);
		close(fd);
		return -1;
	}
	addr = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	m->addr = addr;
	m->len = (size_t)st.st_size;
	return 0;
}

void ctl_map_close(struct ctl_map *m)
{
	if (m->addr) {
		munmap((void *)m->addr, m->len);
		close(m->fd);
	}
	m->addr = NULL;
}

int ctl_map_alive(const struct ctl_map *m)
{
	/* A shared lock is granted only when the engine holds none. */
	if (flock(m->fd, LOCK_SH | LOCK_NB) == 0) {
		flock(m->fd, LOCK_UN);
		return 0;
	}
	return errno == EWOULDBLOCK;
}

/* A consistent copy of a part written under a sequence count (the seqlock
 * of telemetry_publish); a worker's histogram is copied as it is. Bounded:
 * 1,000 tries 100 us apart. */
static int snapshot(const uint64_t *seq, const void *src, void *dst, size_t len)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint64_t s0 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);

		if (!(s0 & 1)) {
			memcpy(dst, src, len);
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(seq, __ATOMIC_RELAXED) == s0)
				return 0;
		}
		usleep(100);
	}
	return -1;
}

struct mbx_stats_worker *ctl_alloc_parts(uint32_t n)
{
	return n ? aligned_alloc(64, (size_t)n * sizeof(struct mbx_stats_worker)) : NULL;
}

int ctl_read_engine(const struct mbx_stats_shm *src, struct mbx_stats_worker *total,
		    struct mbx_stats_xdp *xdp, struct mbx_stats_worker *parts)
{
	memset(total, 0, sizeof(*total));
	hist_init(&total->proc_ticks);
	if (snapshot(&src->xdp.seq, &src->xdp, xdp, sizeof(*xdp)) < 0)
		return -1;
	for (uint32_t i = 0; i < src->n_workers; i++) {
		const struct mbx_stats_worker *w = &parts[i];

		if (snapshot(&src->worker[i].seq, &src->worker[i], &parts[i], sizeof(parts[i])) < 0)
			return -1;
#define X(name, help) total->port.name += w->port.name;
		MBX_PORT_COUNTERS(X)
#undef X
#define X(name, help) total->stack.name += w->stack.name;
		STACK_COUNTERS(X)
#undef X
#define X(name, help) total->mb.name += w->mb.name;
		MB_COUNTERS(X)
#undef X
#define X(name, help) total->idle.name += w->idle.name;
		IDLE_COUNTERS(X)
#undef X
		for (unsigned fc = 0; fc < 256; fc++)
			total->mb.fc_requests[fc] += w->mb.fc_requests[fc];
		total->open_connections += w->open_connections;
		hist_merge(&total->proc_ticks, &w->proc_ticks);
	}
	return 0;
}

int ctl_stats_check(const struct ctl_target *t, const struct ctl_map *m, char *err,
		    size_t errlen)
{
	const struct mbx_stats_shm *e = m->addr;

	if (m->len < sizeof(*e) || e->magic != TELEMETRY_MAGIC || e->size != sizeof(*e) ||
	    e->worker_size != sizeof(struct mbx_stats_worker)) {
		snprintf(err, errlen, "/dev/shm/%s.stats is not the layout this mbxdp-ctl knows "
				      "(built from other sources?)", t->name);
		return -1;
	}
	if (e->n_workers == 0 || e->n_workers > (m->len - sizeof(*e)) / sizeof(e->worker[0]) ||
	    e->tsc_hz == 0 || !memchr(e->desc, 0, sizeof(e->desc)) ||
	    !memchr(e->idle_mode, 0, sizeof(e->idle_mode))) {
		snprintf(err, errlen, "/dev/shm/%s.stats is damaged (worker count, clock rate or "
				      "text fields out of range)", t->name);
		return -1;
	}
	return 0;
}
