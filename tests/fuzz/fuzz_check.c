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
	};

	c->fl = fl;
	c->seq = seq;
	c->ack = 0;
}

const char *fuzz_check_burst(struct harness *h, struct fuzz_client *cl, uint32_t reseq,
			     uint32_t max_conns)
{
	for (uint32_t k = 0; k < h->n_out; k++) {
		struct fb_seg s;

		fb_parse(h->out[k].data, h->out[k].len, &s);
		if (!s.ok) {
			for (uint32_t j = 0; j < h->out[k].len; j++)
				fprintf(stderr, "%02x%s", h->out[k].data[j], j % 32 == 31 ? "\n" : " ");
			fprintf(stderr, "\n");
			return "the stack sent a malformed segment (above)";
		}
		if (s.len > FUZZ_MSS)
			return "the stack sent a segment above the MSS";
		/* Track the connection as a client would. */
		for (int j = 0; j < FUZZ_CLIENTS; j++)
			if (cl[j].fl.client_port == s.dst_port) {
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
