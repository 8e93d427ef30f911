/* Random-mutation robustness test of the whole stack: clients that behave,
 * interleaved with frames mutated at random (bytes flipped, lengths cut,
 * flags, sequence numbers, ports and MBAP lengths made up). Deterministic for
 * a seed. Frames go in bursts of random size (stack_input_burst, whose
 * look-ahead stages read every frame before the first is answered). It
 * asserts what a user relies on when the wire misbehaves:
 * nothing crashes (the sanitizer build runs it too), every frame the stack
 * sends is a well-formed segment with valid checksums, frames are never
 * leaked, and the connection table, the ADU pool and the send buffer pool
 * stay consistent. Time moves on at random, so retransmissions, window
 * probes and resets after too many retries happen in between.
 *
 *   fuzz_stack [--frames N] [--seed S]     (default 2,000,000 frames, seed 1) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

#define N_CLIENTS FUZZ_CLIENTS

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: fast, and the same sequence for the same seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

static int fail(const char *what, uint64_t i)
{
	fprintf(stderr, "fuzz_stack: frame %llu: %s\n", (unsigned long long)i, what);
	return 1;
}

/* A plausible Modbus request, sometimes with a made-up MBAP length or cut. */
static size_t request(uint8_t *p)
{
	static const uint8_t fcs[] = { 1, 2, 3, 4, 5, 6, 15, 16, 7, 43, 0 };
	uint8_t fc = fcs[below(sizeof(fcs))];
	size_t n = 12;

	p[0] = (uint8_t)rnd();
	p[1] = (uint8_t)rnd();
	p[2] = 0;
	p[3] = below(8) ? 0 : (uint8_t)rnd();
	p[4] = 0;
	p[5] = 6;
	p[6] = (uint8_t)rnd();
	p[7] = fc;
	p[8] = (uint8_t)below(4);
	p[9] = (uint8_t)rnd();
	p[10] = 0;
	p[11] = (uint8_t)(1 + below(20));
	if (fc == 15 || fc == 16) {
		uint8_t bytes = (uint8_t)(fc == 16 ? 2 * p[11] : (p[11] + 7) / 8);
		p[12] = bytes;
		for (uint8_t i = 0; i < bytes; i++)
			p[13 + i] = (uint8_t)rnd();
		n = 13u + bytes;
		p[5] = (uint8_t)(n - 6);
	}
	if (!below(16))
		p[5] = (uint8_t)rnd(); /* a length that may be out of range */
	if (!below(8))
		n = 1 + below((uint32_t)n); /* a split ADU */
	return n;
}

int main(int argc, char **argv)
{
	uint64_t frames = 2000000, seed = 1;
	static struct harness h;
	struct fuzz_client cl[N_CLIENTS];
	uint8_t buf[2048], payload[1400];
	struct mbx_frame burst[MBX_BURST], drop[MBX_BURST];
	uint32_t n_burst = 0, burst_size = 1;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--frames"))
			frames = strtoull(argv[i + 1], 0, 10);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], 0, 10);
	}
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	if (harness_init(&h, 16, 4096) < 0) /* fewer slots than clients: a full table too */
		return fail("cannot set up the stack", 0);
	for (int i = 0; i < N_CLIENTS; i++)
		fuzz_client_init(&cl[i], i, (uint32_t)rnd());

	for (uint64_t i = 0, now = 0; i < frames; i++) {
		struct fuzz_client *c = &cl[below(N_CLIENTS)];
		const char *bad;
		uint8_t flags = FB_ACK | FB_PSH;
		size_t len = 0, n;
		uint32_t seq = c->seq, ack = c->ack;
		uint32_t pick = below(100);

		if (pick < 10) {
			flags = FB_SYN;
		} else if (pick < 14) {
			flags = FB_FIN | FB_ACK;
		} else if (pick < 16) {
			flags = FB_RST;
		} else if (pick < 20) {
			flags = (uint8_t)rnd();
		} else {
			len = 0;
			for (int k = (int)below(4); k >= 0 && len + 300 < sizeof(payload); k--)
				len += request(payload + len);
		}
		if (!below(10))
			seq += (uint32_t)rnd() % 3000 - 1500; /* old, duplicate or ahead */
		if (!below(20))
			ack = (uint32_t)rnd();
		n = fb_tcp(buf, &c->fl, seq, ack, flags, (uint16_t)rnd(), 0, 0, payload, len);
		if (!below(10)) /* damage: flip bytes, or cut the frame short */
			for (int k = (int)below(3); k >= 0; k--)
				buf[below((uint32_t)n)] ^= (uint8_t)(1u << below(8));
		if (!below(20))
			n = below((uint32_t)n + 1);
		if (!below(50)) /* make the checksums right again over damaged headers */
			n = fb_tcp(buf, &c->fl, (uint32_t)rnd(), (uint32_t)rnd(), (uint8_t)rnd(), 0, 0, 0,
				   payload, below(64));

		harness_frame(&h, &burst[n_burst]);
		memcpy(burst[n_burst].data, buf, n);
		burst[n_burst++].len = (uint32_t)n;
		if (n_burst < burst_size && i + 1 < frames)
			continue;
		if (!below(8)) { /* up to 0.4 s later: the timers that are due run first */
			now += below(400) * 1000000ull;
			stack_timers(h.stack, now);
		}
		for (uint32_t k = stack_input_burst(h.stack, burst, n_burst, drop); k--;)
			h.free_list[h.n_free++] = (uint32_t)drop[k].handle;
		n_burst = 0;
		burst_size = 1 + below(MBX_BURST);
		if ((bad = fuzz_check_burst(&h, cl, (uint32_t)rnd(), 16)))
			return fail(bad, i);
	}
	{
		const struct stack *s = h.stack;
		const char *bad = fuzz_check_pools(s);

		if (bad)
			return fail(bad, frames);
		if (s->ctr.rx_frames != frames)
			return fail("the stack did not count every frame", frames);
		printf("frames %llu, connections opened %llu, requests %llu, bad checksums %llu, "
		       "resets sent %llu, retransmissions %llu, open now %u\n",
		       (unsigned long long)frames, (unsigned long long)s->ctr.conn_opened,
		       (unsigned long long)s->mb->ctr.mb_requests,
		       (unsigned long long)(s->ctr.drop_ip_bad_csum + s->ctr.drop_tcp_bad_csum),
		       (unsigned long long)s->ctr.tx_rst,
		       (unsigned long long)(s->ctr.tx_retransmit_timeout + s->ctr.tx_retransmit_dup_request),
		       stack_open_connections(s));
		if (s->ctr.conn_opened == 0 || s->mb->ctr.mb_requests == 0)
			return fail("the run never reached an open connection: the test is broken", frames);
	}
	harness_free(&h);
	printf("1 passed, 0 failed\n");
	return 0;
}
