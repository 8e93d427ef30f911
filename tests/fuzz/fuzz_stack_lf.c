/* libFuzzer target over the whole stack (built when the compiler is clang;
 * tests/run-all.sh runs it for a bounded time with ASan and UBSan).
 *
 * The input is a script, so that the fuzzer's coverage guidance reaches
 * past the handshake into TCP reassembly and Modbus: each step is an
 * operation byte and its operands. A client (one of 16; a third talk
 * IPv6) sends a SYN, the ACK of what it was sent, data (Modbus bytes
 * straight from the input), a FIN or a RST, with its sequence numbers
 * followed from the stack's answers (fuzz_check.h), an echo request, a
 * Neighbor Solicitation, or a segment behind IPv6 extension headers of the
 * input's choosing; or a frame of raw input bytes goes in as it is; or
 * time moves on (timers, retransmissions, idle closes). Frames go in
 * bursts of the input's choosing. The stack owns the harness's addresses,
 * so that ARP, echo and Neighbor Discovery are answered. After every burst the same invariants as the
 * mutation test (fuzz_stack.c) hold, or the target aborts. One fresh stack
 * per input, so a crash reproduces from its input alone; its device is the
 * default one with 512 entries per table and one file, cheap to build
 * anew (the table sizes are not what the stack's code depends on). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "default_image.h"

#define MAX_CONNS 8 /* fewer than the clients: a full table too */

struct script {
	const uint8_t *p;
	size_t left;
};

static uint32_t take(struct script *s, int bytes)
{
	uint32_t v = 0;

	for (int i = 0; i < bytes && s->left; i++, s->left--)
		v = v << 8 | *s->p++;
	return v;
}

static void check(const char *bad)
{
	if (bad) {
		fprintf(stderr, "fuzz_stack_lf: %s\n", bad);
		abort();
	}
}

/* The default model, smaller. */
static const struct cfg_model *small_model(void)
{
	static struct cfg_model model;
	static struct cfg_server server;
	static struct cfg_unit unit;

	if (!model.n_servers) {
		default_image_config(&model);
		server = model.servers[0];
		unit = server.units[0];
		for (int t = 0; t < CFG_TABLES; t++)
			unit.table[t].count = 512;
		unit.n_files = 1;
		server.units = &unit;
		model.servers = &server;
	}
	return &model;
}

/* The extension header of kind k (of 6) in 8 bytes (RFC 8200 4): its
 * next header value. */
static uint8_t ext_header(uint32_t k, uint8_t hdr[8])
{
	static const uint8_t pad[8] = { 0, 0, 1, 4 }; /* length 0, PadN of 4 */

	memcpy(hdr, pad, 8);
	switch (k % 6) {
	case 0:
		return 0; /* hop-by-hop */
	case 1:
		return 60; /* destination options */
	case 2:
	case 3: /* routing, type 0, with no segment left or one */
		hdr[2] = 0;
		hdr[3] = (uint8_t)(k % 6 == 3);
		return 43;
	default: /* fragment: offset 0 and M (a first fragment), or atomic */
		hdr[2] = 0;
		hdr[3] = (uint8_t)(k % 6 == 4);
		return 44;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness h;
	static uint8_t buf[HARNESS_FRAME_SIZE];
	struct fuzz_client cl[FUZZ_CLIENTS];
	struct mbx_frame burst[MBX_BURST], drop[MBX_BURST];
	struct script s = { data, size };
	uint32_t n_burst = 0;
	uint64_t now = 0;

	if (harness_init_opts(&h, MAX_CONNS, 256,
			      &(struct harness_opts){ .model = small_model(), .own_addresses = 1 }) < 0)
		abort();
	for (int i = 0; i < FUZZ_CLIENTS; i++)
		fuzz_client_init(&cl[i], i, 1000u * (uint32_t)i);
	while (s.left) {
		uint8_t op = (uint8_t)take(&s, 1), target[16], hdr[8], kinds[5];
		struct fuzz_client *c = &cl[op >> 4];
		struct fb_flow fl;
		size_t n = 0, len;
		uint32_t n_ext;

		switch (op & 15) {
		case 0:
			n = fb_tcp(buf, &c->fl, c->seq, 0, FB_SYN, 65535, 0, 0, NULL, 0);
			break;
		case 1:
			n = fb_tcp(buf, &c->fl, c->seq, c->ack, FB_ACK, 65535, 0, 0, NULL, 0);
			break;
		case 2: /* data: a length byte, then that many bytes of payload */
			len = take(&s, 1);
			len = len < s.left ? len : s.left;
			n = fb_tcp(buf, &c->fl, c->seq, c->ack, FB_ACK | FB_PSH, 65535, 0, 0, s.p, len);
			s.p += len;
			s.left -= len;
			break;
		case 3:
			n = fb_tcp(buf, &c->fl, c->seq, c->ack, FB_FIN | FB_ACK, 65535, 0, 0, NULL, 0);
			break;
		case 4: /* any flags, sequence numbers off by an input's amount */
			n = fb_tcp(buf, &c->fl, c->seq + (int16_t)take(&s, 2), c->ack + (int16_t)take(&s, 2),
				   (uint8_t)take(&s, 1), (uint16_t)take(&s, 2), 0, 0, NULL, 0);
			break;
		case 5: /* a raw frame: a length, then its bytes as they are */
			n = take(&s, 2) % sizeof(buf);
			n = n < s.left ? n : s.left;
			memcpy(buf, s.p, n);
			s.p += n;
			s.left -= n;
			break;
		case 6: /* time moves on, up to 65 s, the due timers first */
			now += (uint64_t)take(&s, 2) * 1000000u;
			stack_timers(h.stack, now);
			break;
		case 8: /* an echo request with a length byte's bytes of data */
			n = fb_icmp_echo(buf, &c->fl, (uint16_t)take(&s, 2), 7, take(&s, 1));
			break;
		case 9: /* a solicitation for the server's address; a byte: the
			 * target's last byte instead (bit 0), from :: (bit 1) */
			len = take(&s, 1);
			fl = c->fl;
			memcpy(target, fl.server_ip6, 16);
			if (len & 1)
				target[15] = (uint8_t)take(&s, 1);
			if (len & 2)
				memset(fl.client_ip6, 0, 16);
			n = fl.v6 ? fb_nd_solicit(buf, &fl, target) : 0;
			break;
		case 10: /* data behind extension headers (IPv6): a count byte
			  * (up to 5), a kind byte for each, a length byte and
			  * that many bytes of payload */
			n_ext = take(&s, 1) % 6;
			for (uint32_t k = 0; k < n_ext; k++)
				kinds[k] = (uint8_t)take(&s, 1);
			len = take(&s, 1);
			len = len < s.left ? len : s.left;
			n = fb_tcp(buf, &c->fl, c->seq, c->ack, FB_ACK | FB_PSH, 65535, 0, 0, s.p, len);
			s.p += len;
			s.left -= len;
			for (uint32_t k = 0; c->fl.v6 && k < n_ext; k++)
				n = fb_ip6_insert_ext(buf, n, ext_header(kinds[k], hdr), hdr, sizeof(hdr));
			break;
		default: /* the burst ends here */
			break;
		}
		if (n) {
			harness_frame(&h, &burst[n_burst]);
			memcpy(burst[n_burst].data, buf, n);
			burst[n_burst++].len = (uint32_t)n;
		}
		if (n_burst && (n_burst == MBX_BURST || (op & 15) > 10 || !s.left)) {
			for (uint32_t k = stack_input_burst(h.stack, burst, n_burst, drop); k--;)
				h.free_list[h.n_free++] = (uint32_t)drop[k].handle;
			n_burst = 0;
			check(fuzz_check_burst(&h, cl, c->seq + 1, MAX_CONNS));
		}
	}
	check(fuzz_check_pools(h.stack));
	harness_free(&h);
	return 0;
}
