#include "capture.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "owned_file.h"
#include "pcapng.h"

#define CAPTURE_SNAPLEN 65535
#define WRITER_IDLE_NS 1000000 /* the writer's nap when the ring is empty */

struct capture {
	struct capture_ring *rings;
	uint32_t n_rings;
	FILE *f;
	pthread_t writer;
	_Atomic int stop;
	uint64_t wall_offset_ns;
	uint64_t written, write_errors;
	char *iobuf;
};

static void drain(struct capture *c)
{
	for (uint32_t i = 0; i < c->n_rings; i++) {
		struct capture_ring *r = &c->rings[i];
		const struct capture_rec *h;

		while ((h = capture_ring_peek(r))) {
			if (pcapng_write_packet(c->f, c->wall_offset_ns + h->ts_ns,
						(const uint8_t *)h + CAPTURE_REC_HDR, h->len, h->flags) < 0)
				c->write_errors++;
			else
				c->written++;
			capture_ring_done(r, h);
		}
	}
}

static void free_capture(struct capture *c)
{
	for (uint32_t i = 0; c->rings && i < c->n_rings; i++)
		free(c->rings[i].buf);
	free(c->rings);
	free(c->iobuf);
	free(c);
}

static void *writer_main(void *arg)
{
	struct capture *c = arg;
	const struct timespec nap = { 0, WRITER_IDLE_NS };

	while (!atomic_load_explicit(&c->stop, memory_order_acquire)) {
		drain(c);
		/* Empty: the file gets what it has, and the writer naps. */
		if (fflush(c->f))
			c->write_errors++;
		nanosleep(&nap, NULL);
	}
	drain(c);
	return NULL;
}

struct capture *capture_open(const char *path, const struct owned_file_mode *mode,
			     const char *ifname, uint32_t n_rings, uint32_t ring_bytes,
			     uint64_t wall_offset_ns, char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof(*c));
	uint64_t size = 4096;
	int rc, oom, fd;
	char why[512];

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (size < ring_bytes)
		size <<= 1;
	c->wall_offset_ns = wall_offset_ns;
	c->iobuf = malloc(1u << 20);
	c->rings = aligned_alloc(64, (size_t)n_rings * sizeof(*c->rings));
	oom = !c->iobuf || !c->rings;
	if (c->rings) {
		memset(c->rings, 0, (size_t)n_rings * sizeof(*c->rings));
		c->n_rings = n_rings;
		for (uint32_t i = 0; i < n_rings; i++) {
			c->rings[i].buf = aligned_alloc(64, size);
			c->rings[i].mask = size - 1;
			oom |= !c->rings[i].buf;
		}
	}
	if (oom) {
		snprintf(err, errlen, "out of memory for %u capture rings of %llu bytes", n_rings,
			 (unsigned long long)size);
		goto fail;
	}
	fd = owned_file_open(path, mode, why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "--capture %s", why);
		goto fail;
	}
	c->f = ftruncate(fd, 0) == 0 ? fdopen(fd, "wb") : NULL;
	if (!c->f) {
		snprintf(err, errlen, "--capture %s: %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	setvbuf(c->f, c->iobuf, _IOFBF, 1u << 20);
	if (pcapng_write_header(c->f, ifname, CAPTURE_SNAPLEN) < 0 || fflush(c->f)) {
		snprintf(err, errlen, "--capture %s: %s", path, strerror(errno));
		goto fail;
	}
	rc = pthread_create(&c->writer, NULL, writer_main, c);
	if (rc) {
		snprintf(err, errlen, "cannot start the capture writer: %s", strerror(rc));
		goto fail;
	}
	return c;
fail:
	if (c->f)
		fclose(c->f);
	free_capture(c);
	return NULL;
}

struct capture_ring *capture_ring_of(struct capture *c, uint32_t i)
{
	return &c->rings[i];
}

int capture_close(struct capture *c, FILE *counters)
{
	uint64_t drops = 0;
	int rc;

	atomic_store_explicit(&c->stop, 1, memory_order_release);
	pthread_join(c->writer, NULL);
	if (fclose(c->f))
		c->write_errors++;
	for (uint32_t i = 0; i < c->n_rings; i++)
		drops += c->rings[i].drops;
	fprintf(counters, "capture_frames %llu\ncapture_drops %llu\ncapture_write_errors %llu\n",
		(unsigned long long)c->written, (unsigned long long)drops,
		(unsigned long long)c->write_errors);
	rc = c->write_errors ? -1 : 0;
	free_capture(c);
	return rc;
}
