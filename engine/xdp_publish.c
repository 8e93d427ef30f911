#include "xdp_publish.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void *run(void *arg)
{
	struct xdp_publish *p = arg;
	const struct timespec period = { 0, TELEMETRY_PUBLISH_MS * 1000000L };
	struct mbx_xdp_counters c;

	while (!*p->stop) {
		/* A failed read leaves the last copy: the map cannot go away
		 * while the loader holds its fd. */
		if (backend_xdp_counters(p->backend, &c) == 0)
			telemetry_publish_xdp(p->telemetry, &c, tsc_read());
		nanosleep(&period, NULL);
	}
	return NULL;
}

int xdp_publish_start(struct xdp_publish *p, const struct backend *b, struct telemetry *t,
		      volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	struct mbx_xdp_counters c;
	int rc;

	memset(p, 0, sizeof(*p));
	p->backend = b;
	p->telemetry = t;
	p->stop = stop;
	if (backend_xdp_counters(b, &c) < 0)
		return 0; /* no steering program of ours in front */
	telemetry_publish_xdp(t, &c, tsc_read());
	rc = pthread_create(&p->thread, NULL, run, p);
	if (rc) {
		snprintf(err, errlen, "cannot start the XDP counter thread: %s", strerror(rc));
		return -1;
	}
	p->started = 1;
	return 0;
}

void xdp_publish_join(struct xdp_publish *p)
{
	if (p->started)
		pthread_join(p->thread, NULL);
	p->started = 0;
}
