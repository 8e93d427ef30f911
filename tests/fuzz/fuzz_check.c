#include "fuzz_check.h"

#include <stdio.h>

#include "tcp/priv/tcp_priv.h" /* the send queue's blocks, to account for them */

void fuzz_client_init(struct fuzz_client *c, int i, uint32_t seq)
{
	struct fb_flow fl = {
		.client_mac = { 2, 0, 0, 0, 0, 2 }, .server_mac = { 2, 0, 0, 0, 0, 1 },
		.client_ip = 0xc6120002, .server_ip = 0xc6120001,
		.client_port = (uint16_t)(20000 + i), .server_port = 502,
		.vlan = (i & 7) == 7 ? 5 : -1,
		.v6 = i % 3 == 1,
		.client_ip6 = { 0x20, 0x01, 0, 2, [15] = 2 },
		.server_ip6 = { 0x20, 0x01, 0, 2, [15] = 1 },
	};

	c->fl = fl;
	c->seq = seq;
	c->ack = 0;
	c->answered = 0;
}

/* An answer other than a segment, to an address the stack owns: an ARP
 * reply (RFC 826), an ICMP echo reply (RFC 792) with both checksums
 * valid, an ICMPv6 echo reply (RFC 4443 4.2, our hop limit) or a Neighbor
 * Advertisement (RFC 4861 7.2.4: hop limit 255, with the target
 * link-layer option). */
static int other_answer(const struct mbx_frame *f)
{
	const uint8_t *p = f->data;
	uint32_t l2 = f->len >= 18 && fb_get16(p + 12) == 0x8100 ? 18 : 14, tot;
	struct fb_icmp6 m;

	if (f->len >= l2 + 28 && fb_get16(p + l2 - 2) == 0x0806)
		return fb_get16(p + l2 + 6) == 2;
	if (f->len >= l2 + 28 && fb_get16(p + l2 - 2) == 0x0800 && p[l2] == 0x45 && p[l2 + 9] == 1) {
		tot = fb_get16(p + l2 + 2);
		return tot >= 28 && l2 + tot <= f->len && !fb_csum(p + l2, 20, 0) &&
		       p[l2 + 20] == 0 && !fb_csum(p + l2 + 20, tot - 20, 0);
	}
	fb_parse_icmp6(p, f->len, &m);
	return m.ok && ((m.type == 129 && m.hop_limit == 64) ||
			(m.type == 136 && m.hop_limit == 255 && m.len == 32));
}

const char *fuzz_check_burst(struct harness *h, struct fuzz_client *cl, uint32_t reseq,
			     uint32_t max_conns)
{
	for (uint32_t k = 0; k < h->n_out; k++) {
		struct fb_seg s;

		fb_parse(h->out[k].data, h->out[k].len, &s);
		if (!s.ok && other_answer(&h->out[k]))
			continue;
		if (!s.ok) {
			for (uint32_t j = 0; j < h->out[k].len; j++)
				fprintf(stderr, "%02x%s", h->out[k].data[j], j % 32 == 31 ? "\n" : " ");
			fprintf(stderr, "\n");
			return "the stack sent a malformed segment (above)";
		}
		if (s.len > FUZZ_MSS - (s.v6 ? 20u : 0u))
			return "the stack sent a segment above the MSS";
		/* Track the connection as a client would (a raw frame may
		 * open one from a client's port in the other family). */
		for (int j = 0; j < FUZZ_CLIENTS; j++)
			if (cl[j].fl.client_port == s.dst_port && cl[j].fl.v6 == s.v6) {
				cl[j].answered += s.len > 0;
				if (s.flags & FB_SYN)
					cl[j].ack = s.seq + 1;
				else if (!(s.flags & FB_RST))
					cl[j].ack = s.seq + (uint32_t)s.len + !!(s.flags & FB_FIN);
				cl[j].seq = (s.flags & FB_RST) ? reseq : s.ack;
			}
	}
	harness_clear(h);
	if (h->n_free != h->n_frames)
		return "a frame was leaked";
	if (stack_open_connections(h->stack) > max_conns)
		return "more connections than the table holds";
	return NULL;
}

const char *fuzz_check_pools(const struct stack *s)
{
	uint32_t held = 0;

	for (uint32_t k = 0; k < s->conns.capacity; k++)
		if (s->conns.conns[k].state && s->conns.conns[k].rx_buf != CONN_NONE)
			held++;
	if (held + s->rx_bufs.n_free != s->rx_bufs.capacity)
		return "the ADU buffer pool lost track of a buffer";
	held = 0;
	for (uint32_t k = 0; k < s->conns.capacity; k++)
		if (s->conns.conns[k].state)
			for (uint32_t b = s->conns.conns[k].snd_buf; b != CONN_NONE;
			     b = sndq_blk(s, b)->next)
				held++;
	if (held + s->snd.n_free != s->snd.capacity)
		return "the send buffer pool lost track of a block";
	return NULL;
}
