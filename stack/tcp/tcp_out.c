/* Building reply segments in place. The Ethernet header of the received
 * frame is turned around (MACs swapped, an 802.1Q tag kept); the IP (v4 or
 * v6) and TCP headers are written fresh, whole 32-bit words at a time, and their
 * checksums are summed from those words in registers: reading back bytes
 * just stored would stall on store forwarding. The common answer, one
 * segment in reply to one request, is written by the application straight
 * into the request's frame (tcp_single_room) and sent from here with its
 * headers (tcp_single_commit); every other answer goes through the writer
 * (tcp_writer.c). */
#include <string.h>

#include "csum.h"
#include "priv/tcp_priv.h"

static inline void put32(uint8_t *p, uint32_t w)
{
	memcpy(p, &w, 4);
}

/* Words are built as they lie in memory on this little-endian host, so the
 * one's complement sum of the words is the sum of the header (RFC 1071 2.(B):
 * the sum does not depend on byte order as long as it is used consistently).
 * Inlined into each caller, across files by LTO (the header's declaration
 * keeps this an external definition for builds without it): as a call, its
 * eight arguments went through the stack and an FC 03 request took about
 * 3 % longer with 1,000 connections. */
static __attribute__((always_inline)) inline void
tcp_out_finish4(uint8_t *l3, const struct tcp_addrs *a, uint8_t flags, uint32_t seq, uint32_t ack,
		uint32_t payload_len, uint16_t mss_option, uint16_t wnd)
{
	uint8_t *tcp = l3 + IP_HDR_LEN;
	uint32_t hdr_len = TCP_HDR_LEN + (mss_option ? 4 : 0);
	uint32_t tcp_len = hdr_len + payload_len;
	uint32_t w0, w1, w2, w3, opt = 0;
	uint64_t sum;

	/* IPv4: version 4, IHL 5, no options (RFC 1122 3.2.1.8 leaves options
	 * to the transport, and TCP needs none); identification 0 with DF set
	 * (an atomic datagram, RFC 6864 4.1); TTL 64; protocol TCP. */
	w0 = 0x45u | (uint32_t)__builtin_bswap16((uint16_t)(IP_HDR_LEN + tcp_len)) << 16;
	w1 = 0x40u << 16;
	w2 = 64u | 6u << 8;
	sum = (uint64_t)w0 + w1 + w2 + a->saddr + a->daddr;
	w2 |= (uint32_t)csum_fold(sum) << 16;
	put32(l3, w0);
	put32(l3 + 4, w1);
	put32(l3 + 8, w2);
	put32(l3 + 12, a->saddr);
	put32(l3 + 16, a->daddr);

	w0 = (uint32_t)a->sport | (uint32_t)a->dport << 16;
	w1 = __builtin_bswap32(seq);
	w2 = __builtin_bswap32((flags & TCP_ACK) ? ack : 0);
	w3 = (hdr_len / 4) << 4 | (uint32_t)flags << 8 |
	     (uint32_t)__builtin_bswap16(wnd) << 16;
	if (mss_option) /* only a SYN-ACK has options, and no payload */
		opt = 2u | 4u << 8 | (uint32_t)__builtin_bswap16(mss_option) << 16;
	sum = csum_tcp_pseudo(a->saddr, a->daddr, tcp_len) + w0 + w1 + w2 + w3 + opt;
	sum = csum_add(sum, tcp + hdr_len, payload_len);
	put32(tcp, w0);
	put32(tcp + 4, w1);
	put32(tcp + 8, w2);
	put32(tcp + 12, w3);
	put32(tcp + 16, csum_fold(sum)); /* urgent pointer 0 */
	if (mss_option)
		put32(tcp + 20, opt);
}

/* The same for IPv6: a 40-byte header without extension headers, traffic
 * class and flow label 0 (RFC 8200 3, 6, 7), hop limit 64; a checksum over
 * the IPv6 pseudo-header (RFC 8200 8.1). Out of line: IPv4's path stays as
 * it was. */
__attribute__((always_inline)) inline void
tcp_out_finish(uint8_t *l3, const struct tcp_addrs *a, uint8_t flags, uint32_t seq, uint32_t ack,
	       uint32_t payload_len, uint16_t mss_option, uint16_t wnd)
{
	if (__builtin_expect(a->saddr6 != 0, 0))
		tcp_out_finish6(l3, a, flags, seq, ack, payload_len, mss_option, wnd);
	else
		tcp_out_finish4(l3, a, flags, seq, ack, payload_len, mss_option, wnd);
}

void tcp_out_finish6(uint8_t *l3, const struct tcp_addrs *a, uint8_t flags, uint32_t seq,
		     uint32_t ack, uint32_t payload_len, uint16_t mss_option, uint16_t wnd)
{
	uint8_t *tcp = l3 + IP6_HDR_LEN;
	uint32_t hdr_len = TCP_HDR_LEN + (mss_option ? 4 : 0);
	uint32_t tcp_len = hdr_len + payload_len;
	uint32_t w0, w1, w2, w3, opt = 0;
	uint64_t sum, addrs[4];

	/* Both read before either is written: they may be the request's own,
	 * in this header. */
	memcpy(addrs, a->saddr6, 16);
	memcpy(addrs + 2, a->daddr6, 16);
	put32(l3, 0x60u);
	put32(l3 + 4, (uint32_t)__builtin_bswap16((uint16_t)tcp_len) | 6u << 16 | 64u << 24);
	memcpy(l3 + 8, addrs, 32);

	w0 = (uint32_t)a->sport | (uint32_t)a->dport << 16;
	w1 = __builtin_bswap32(seq);
	w2 = __builtin_bswap32((flags & TCP_ACK) ? ack : 0);
	w3 = (hdr_len / 4) << 4 | (uint32_t)flags << 8 | (uint32_t)__builtin_bswap16(wnd) << 16;
	if (mss_option)
		opt = 2u | 4u << 8 | (uint32_t)__builtin_bswap16(mss_option) << 16;
	sum = csum_ip6_pseudo(a->sum6, tcp_len, 6) + w0 + w1 + w2 + w3 + opt;
	sum = csum_add(sum, tcp + hdr_len, payload_len);
	put32(tcp, w0);
	put32(tcp + 4, w1);
	put32(tcp + 8, w2);
	put32(tcp + 12, w3);
	put32(tcp + 16, csum_fold(sum));
	if (mss_option)
		put32(tcp + 20, opt);
}

void tcp_reply_control(struct stack *s, const struct tcp_seg *seg, uint8_t flags, uint32_t seq,
		       uint32_t ack, uint16_t wnd)
{
	struct mbx_frame *f = seg->f;
	uint16_t mss = (flags & TCP_SYN) ? (uint16_t)tcp_our_mss(s, seg->v6) : 0;

	frame_swap_l2(f->data);
	tcp_out_finish(f->data + seg->l2_len, &seg->reply, flags, seq, ack, 0, mss, wnd);
	f->len = seg->l2_len + tcp_l3_len(&seg->reply) + TCP_HDR_LEN + (mss ? 4 : 0);
	s->tx.put(s->tx.arg, f);
}

uint32_t tcp_out_l2(const struct stack *s, const struct tcp_conn *c, uint8_t *eth)
{
	const struct conn_l2 *l2 = &s->conns.l2[c - s->conns.conns];

	memcpy(eth, l2->mac, 6);
	memcpy(eth + 6, s->l2_self, 6);
	uint8_t *type = eth + 12;
	uint32_t len = 14;

	if (l2->tci != CONN_L2_UNTAGGED) {
		eth[12] = 0x81; /* 802.1Q */
		eth[13] = 0x00;
		eth[14] = (uint8_t)(l2->tci >> 8);
		eth[15] = (uint8_t)l2->tci;
		type += 4;
		len += 4;
	}
	type[0] = (c->cm_flags & CONN_V6) ? 0x86 : 0x08; /* IPv6 or IPv4 */
	type[1] = (c->cm_flags & CONN_V6) ? 0xdd : 0x00;
	return len;
}

void tcp_out_learn_l2(struct stack *s, const struct tcp_conn *c, const uint8_t *eth,
		      uint32_t l2_len)
{
	struct conn_l2 *l2 = &s->conns.l2[c - s->conns.conns];

	memcpy(l2->mac, eth + 6, 6);
	memcpy(s->l2_self, eth, 6);
	l2->tci = l2_len > 14 ? (uint16_t)(eth[14] << 8 | eth[15]) : CONN_L2_UNTAGGED;
}

/* The one-segment way: the answer is written in the request's own frame,
 * after its headers, and copied into the send queue's one block. The same
 * steps as tcp_writer_init(), tcp_writer_commit() and tcp_writer_close(),
 * without their generality. */
/* Both are compiled once for each family (v6 a constant), as the burst's
 * passes are for each kind of stack (frame_in.c): IPv4's headers keep
 * constant lengths. */
static __attribute__((always_inline)) inline uint8_t *
single_room(struct stack *s, const struct tcp_seg *seg, struct tcp_conn *c, uint32_t max,
	    const int v6)
{
	struct mbx_frame *f = seg->f;
	uint32_t hdr = seg->l2_len + (v6 ? IP6_HDR_LEN : IP_HDR_LEN) + TCP_HDR_LEN;

	if ((c->flags & (TCP_CF_WAITING | TCP_CF_FIN)) || f->room < hdr + max || c->peer_mss < max ||
	    tcp_our_mss(s, v6) < max || tcp_window_room(c) < max)
		return 0;
	if (c->snd_buf == CONN_NONE) {
		if (sndq_reserve(s, c, max) < 0)
			return 0; /* the writer counts it */
	} else {
		const struct sndq_block *h = sndq_head(s, c);

		if (h->wblk != c->snd_buf || h->wlen + max > SNDQ_DATA)
			return 0;
	}
	frame_swap_l2(f->data);
	return f->data + hdr;
}

uint8_t *tcp_single_room(struct stack *s, const struct tcp_seg *seg, struct tcp_conn *c,
			 uint32_t max)
{
	return __builtin_expect(seg->v6, 0) ? single_room(s, seg, c, max, 1) :
					      single_room(s, seg, c, max, 0);
}

static __attribute__((always_inline)) inline void
single_commit(struct stack *s, const struct tcp_seg *seg, struct tcp_conn *c, uint32_t consumed,
	      uint32_t n, const int v6)
{
	struct mbx_frame *f = seg->f;
	uint32_t hdr = seg->l2_len + (v6 ? IP6_HDR_LEN : IP_HDR_LEN) + TCP_HDR_LEN;
	struct sndq_block *h = sndq_head(s, c);
	const uint8_t *src = f->data + hdr;

	c->rcv_nxt += consumed;
	if (n <= 64) /* the bytes past n are spare room on both sides */
		memcpy(h->data + h->wlen, src, 64);
	else
		memcpy(h->data + h->wlen, src, n);
	h->wlen = (uint16_t)(h->wlen + n);
	h->len += n;
	(v6 ? tcp_out_finish6 : tcp_out_finish4)(f->data + seg->l2_len, &seg->reply,
						  n ? TCP_ACK | TCP_PSH : TCP_ACK, c->snd_nxt, c->rcv_nxt,
						  n, 0, tcp_rcv_wnd(s, c));
	f->len = hdr + n;
	s->tx.put(s->tx.arg, f);
	if (!n) { /* nothing to answer (MIG 4.4.1.1): an ACK */
		s->ctr.tx_ack++;
		sndq_release_if_done(s, c);
		return;
	}
	s->ctr.tx_data_segments++;
	tcp_sent_new(s, c, h, n, 0);
}

void tcp_single_commit(struct stack *s, const struct tcp_seg *seg, struct tcp_conn *c,
		       uint32_t consumed, uint32_t n)
{
	if (__builtin_expect(seg->v6, 0))
		single_commit(s, seg, c, consumed, n, 1);
	else
		single_commit(s, seg, c, consumed, n, 0);
}
