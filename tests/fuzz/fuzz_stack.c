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
 * probes and resets after too many retries happen in between. A third of
 * the clients talk IPv6, some segments behind extension headers (up to
 * five, of every kind the stack walks or drops), and send echo requests
 * and Neighbor Solicitations (for its address, another, or to detect a
 * duplicate) between them.
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

/* Puts 1 to 5 extension headers of 8 bytes after the IPv6 header of the
 * frame of len bytes in buf: hop-by-hop, destination options, routing
 * (mostly with no segments left) or, now and then, a fragment header, in
 * any order. Returns the new length. */
static size_t ext_headers(uint8_t *buf, size_t len)
{
	for (int k = (int)below(5); k >= 0; k--) {
		/* next header (set by fb_ip6_insert_ext), length 0, PadN of 4 */
		uint8_t hdr[8] = { 0, 0, 1, 4 }, nh = (uint8_t[]){ 0, 60, 43 }[below(3)];

		if (nh == 43) { /* type, segments left */
			hdr[2] = (uint8_t)below(5);
			hdr[3] = below(4) ? 0 : (uint8_t)rnd();
		}
		if (!below(8)) { /* offset and M, identification */
			nh = 44;
			fb_put16(hdr + 2, below(2) ? 1 : (uint32_t)rnd());
			fb_put32(hdr + 4, (uint32_t)rnd());
		}
		len = fb_ip6_insert_ext(buf, len, nh, hdr, sizeof(hdr));
	}
	return len;
}

/* An ICMPv6 echo request, or a Neighbor Solicitation for the server's
 * address (now and then another, or from :: for duplicate detection). */
static size_t icmp6(uint8_t *buf, const struct fb_flow *fl)
{
	struct fb_flow dad = *fl;
	uint8_t target[16];

	if (below(2))
		return fb_icmp_echo(buf, fl, (uint16_t)rnd(), (uint16_t)rnd(), below(300));
	memcpy(target, fl->server_ip6, 16);
	if (!below(4))
		target[15] = (uint8_t)rnd();
	if (!below(4)) {
		memset(dad.client_ip6, 0, 16);
		return fb_nd_solicit(buf, &dad, target);
	}
	return fb_nd_solicit(buf, fl, target);
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
		if (c->fl.v6 && !below(8))
			n = ext_headers(buf, n);
		if (c->fl.v6 && !below(25))
			n = icmp6(buf, &c->fl);
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
		uint64_t answered6 = 0;

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
		for (int k = 0; k < N_CLIENTS; k++)
			answered6 += cl[k].fl.v6 ? cl[k].answered : 0;
		printf("IPv6: segments with data %llu, echo replies %llu, advertisements %llu, "
		       "extension headers dropped %llu\n", (unsigned long long)answered6,
		       (unsigned long long)s->ctr.tx_icmp6_echo_reply,
		       (unsigned long long)s->ctr.tx_nd_advert,
		       (unsigned long long)s->ctr.drop_ip6_ext_header);
		if (!answered6 || !s->ctr.tx_icmp6_echo_reply || !s->ctr.tx_nd_advert ||
		    !s->ctr.drop_ip6_ext_header)
			return fail("the run never reached IPv6's answers: the test is broken", frames);
	}
	harness_free(&h);
	printf("1 passed, 0 failed\n");
	return 0;
}
