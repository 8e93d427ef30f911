/* Writing response bytes into reply segments. The first segment is the
 * received frame; when it is full the writer sends it and continues in a
 * frame from the stack's frame source, with the same Ethernet header.
 * Segments never exceed the smaller of the peer's MSS, ours and the frame's
 * room. */
#include <string.h>

#include "tcp_internal.h"

static uint32_t segment_cap(const struct tcp_writer *w, const struct mbx_frame *f)
{
	uint32_t hdr = w->l2_len + IP_HDR_LEN + TCP_HDR_LEN;
	uint32_t cap = f->room > hdr ? f->room - hdr : 0;

	if (cap > w->c->peer_mss)
		cap = w->c->peer_mss;
	if (cap > w->s->mss)
		cap = w->s->mss;
	return cap;
}

void tcp_writer_init(struct tcp_writer *w, struct stack *s, struct tcp_conn *c,
		     const struct tcp_seg *seg)
{
	w->s = s;
	w->c = c;
	w->seg = seg->f;
	w->reply = seg->reply;
	w->l2_len = seg->l2_len;
	w->used = 0;
	w->failed = 0;
	w->l2_saved = 0;
	tcp_out_swap_l2(seg->f->data);
	w->cap = segment_cap(w, seg->f);
}

/* Sends the current segment: its sequence number is SND.NXT, and it
 * acknowledges everything consumed so far. */
static void emit(struct tcp_writer *w, uint8_t flags)
{
	struct tcp_conn *c = w->c;

	tcp_out_finish(w->seg->data + w->l2_len, &w->reply, flags | TCP_ACK, c->snd_nxt, c->rcv_nxt,
		       w->used, 0);
	w->seg->len = w->l2_len + IP_HDR_LEN + TCP_HDR_LEN + w->used;
	c->snd_nxt += w->used + ((flags & TCP_FIN) ? 1 : 0);
	if (w->used)
		w->s->ctr.tx_data_segments++;
	else
		w->s->ctr.tx_ack++;
	if (flags & TCP_FIN)
		w->s->ctr.tx_fin++;
	w->s->tx.put(w->s->tx.arg, w->seg);
}

static int next_segment(struct tcp_writer *w)
{
	if (!w->l2_saved) {
		memcpy(w->l2, w->seg->data, w->l2_len);
		w->l2_saved = 1;
	}
	emit(w, 0);
	w->seg = 0;
	if (w->s->extra.get(w->s->extra.arg, &w->extra) < 0 ||
	    w->extra.room < w->l2_len + IP_HDR_LEN + TCP_HDR_LEN) {
		w->s->ctr.drop_no_tx_frame++;
		w->failed = 1;
		return -1;
	}
	memcpy(w->extra.data, w->l2, w->l2_len);
	w->seg = &w->extra;
	w->used = 0;
	w->cap = segment_cap(w, w->seg);
	return 0;
}

uint8_t *tcp_writer_room(struct tcp_writer *w, uint32_t need)
{
	if (w->failed || w->cap - w->used < need)
		return 0;
	return tcp_out_payload(w->seg, w->l2_len) + w->used;
}

void tcp_writer_commit(struct tcp_writer *w, uint32_t n)
{
	w->used += n;
}

void tcp_writer_append(struct tcp_writer *w, const uint8_t *p, uint32_t n)
{
	while (n && !w->failed) {
		uint32_t room = w->cap - w->used;
		uint32_t k = n < room ? n : room;

		memcpy(tcp_out_payload(w->seg, w->l2_len) + w->used, p, k);
		w->used += k;
		p += k;
		n -= k;
		if (n && next_segment(w) < 0)
			return;
	}
}

void tcp_writer_close(struct tcp_writer *w, uint8_t flags)
{
	/* PSH on the last segment of the replies, as a sender's write ends
	 * (RFC 9293 3.9.1). */
	if (!w->failed)
		emit(w, w->used ? flags | TCP_PSH : flags);
}
