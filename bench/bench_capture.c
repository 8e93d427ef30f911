/* The worker's cost of --capture: what worker_burst() and tx_flush() add
 * per request when capture is on, measured apart from the stack. Each
 * "request" is one received frame (an FC 03 request, 66 bytes) and one sent
 * frame (its 10-register response, 83 bytes), put into a capture ring in
 * bursts of 64 as the worker does. Two figures:
 *   - the worker's cost: ns per request (median round), each round small
 *     enough for the ring, which the writer thread drains between rounds
 *     (untimed); under callgrind, the instructions per request;
 *   - the writer's rate: a full ring drained to the file, in frames per
 *     second: the capture rate above which frames are dropped.
 *
 *   bench_capture [-r ROUNDS] [-f FILE]     (200 rounds, /dev/null by default) */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"

#define REQ_LEN 66
#define RESP_LEN 83
#define PER_ROUND 4096

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Until the writer thread has taken everything (1 ms naps). */
static void wait_drained(struct capture_ring *r)
{
	const struct timespec nap = { 0, 1000000 };

	while (atomic_load(&r->tail) != atomic_load(&r->head))
		nanosleep(&nap, NULL);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static uint8_t req[MBX_BURST][REQ_LEN], resp[MBX_BURST][RESP_LEN];
	struct mbx_frame rx[MBX_BURST], tx[MBX_BURST];
	const char *path = "/dev/null";
	uint32_t rounds = 200;
	uint64_t *ns;
	struct capture *c;
	struct capture_ring *r;
	char err[256];
	int opt;

	while ((opt = getopt(argc, argv, "r:f:")) != -1) {
		if (opt == 'r')
			rounds = (uint32_t)strtoul(optarg, NULL, 10);
		else if (opt == 'f')
			path = optarg;
		else {
			fprintf(stderr, "usage: bench_capture [-r ROUNDS] [-f FILE]\n");
			return 2;
		}
	}
	if (!rounds || !(ns = calloc(rounds, sizeof(*ns)))) {
		fprintf(stderr, "bench_capture: bad -r\n");
		return 2;
	}
	for (uint32_t i = 0; i < MBX_BURST; i++) {
		memset(req[i], (int)i, REQ_LEN);
		memset(resp[i], (int)~i, RESP_LEN);
		rx[i] = (struct mbx_frame){ .data = req[i], .len = REQ_LEN, .room = REQ_LEN };
		tx[i] = (struct mbx_frame){ .data = resp[i], .len = RESP_LEN, .room = RESP_LEN };
	}
	c = capture_open(path, NULL, "bench", 1, CAPTURE_RING_DEFAULT, 0, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "bench_capture: %s\n", err);
		return 1;
	}
	r = capture_ring_of(c, 0);
	for (uint32_t k = 0; k < rounds; k++) {
		uint64_t t0 = now_ns();

		for (uint32_t b = 0; b < PER_ROUND / MBX_BURST; b++) {
			capture_ring_put(r, rx, MBX_BURST, t0, CAPTURE_IN);
			capture_ring_put(r, tx, MBX_BURST, t0, CAPTURE_OUT);
		}
		ns[k] = now_ns() - t0;
		wait_drained(r);
	}
	qsort(ns, rounds, sizeof(*ns), cmp_u64);
	printf("bench_capture: worker: %.1f ns per request (median of %u rounds of %u requests, "
	       "a %u-byte and a %u-byte frame each), p99 round %.1f; %llu dropped\n",
	       (double)ns[rounds / 2] / PER_ROUND, rounds, PER_ROUND, REQ_LEN, RESP_LEN,
	       (double)ns[rounds * 99 / 100] / PER_ROUND, (unsigned long long)r->drops);
	/* The writer: fill the ring, time the drain. */
	{
		uint64_t before = r->frames, t0, t1;

		while (r->drops == 0)
			capture_ring_put(r, rx, 1, 0, CAPTURE_IN);
		t0 = now_ns();
		wait_drained(r);
		t1 = now_ns();
		printf("bench_capture: writer: %llu frames of %u bytes in %.1f ms: %.2f M frames/s to %s\n",
		       (unsigned long long)(r->frames - before), REQ_LEN, (double)(t1 - t0) / 1e6,
		       (double)(r->frames - before) * 1e3 / (double)(t1 - t0), path);
	}
	fflush(stdout);
	free(ns);
	return capture_close(c, stdout) < 0;
}
