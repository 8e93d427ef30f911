#include "flows.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_build.h"

#define FL_FIN 0x01
#define FL_SYN 0x02
#define FL_RST 0x04
#define FL_ACK 0x10

#define MBAP_HDR 7
#define MBAP_LEN_MIN 2 /* unit id and function code (MIG 3.1.3) */
#define MBAP_LEN_MAX 254 /* unit id and a 253-byte PDU (MAP 4.1) */

/* A segment as captured, before the stream is rebuilt. */
struct raw_seg {
	uint32_t seq, len, data; /* data: offset into raw_dir.bytes */
	uint32_t pkt;
	uint64_t t_ns;
};

struct raw_dir {
	struct raw_seg *v;
	uint32_t n, cap;
	uint8_t *bytes;
	size_t blen, bcap;
	uint32_t isn, first_seq;
	int have_isn, have_first;
};

struct building {
	struct raw_dir d[2]; /* 0: client to server, 1: server to client */
	int32_t next; /* hash chain */
};

struct loader {
	struct rp_capture *cap;
	struct building *b; /* parallel to cap->flows */
	uint32_t cap_flows;
	int32_t bucket[4096];
	uint16_t port;
	int dlt;
	int oom;
};

static uint32_t bucket_of(const struct rp_addr *cip, uint16_t cport, const struct rp_addr *sip)
{
	uint32_t h = cport * 97u;

	for (int i = 0; i < 16; i += 4)
		h = (h ^ fb_get32(cip->b + i)) * 2654435761u ^ fb_get32(sip->b + i) * 40503u;
	return (h ^ h >> 16) % 4096;
}

static void *grow(void *v, uint32_t *cap, size_t elem, uint32_t need, int *oom)
{
	void *n;
	uint32_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return v;
	while (c < need)
		c *= 2;
	n = realloc(v, (size_t)c * elem);
	if (!n) {
		*oom = 1;
		return NULL;
	}
	*cap = c;
	return n;
}

/* A flow whose first packet is pkt, at t. */
static struct rp_flow *new_flow(struct loader *l, const struct rp_addr *cip, uint16_t cport,
				const struct rp_addr *sip, uint32_t pkt, uint64_t t, uint32_t *idx)
{
	struct rp_capture *c = l->cap;
	uint32_t h = bucket_of(cip, cport, sip);

	if (c->n_flows == l->cap_flows) {
		uint32_t cap = l->cap_flows ? l->cap_flows * 2 : 16;
		struct rp_flow *nf = realloc(c->flows, (size_t)cap * sizeof(*nf));
		struct building *nb;

		if (nf)
			c->flows = nf;
		nb = realloc(l->b, (size_t)cap * sizeof(*nb));
		if (nb)
			l->b = nb;
		if (!nf || !nb) {
			l->oom = 1;
			return NULL;
		}
		l->cap_flows = cap;
	}
	*idx = c->n_flows++;
	memset(&c->flows[*idx], 0, sizeof(c->flows[*idx]));
	memset(&l->b[*idx], 0, sizeof(l->b[*idx]));
	c->flows[*idx].client_ip = *cip;
	c->flows[*idx].client_port = cport;
	c->flows[*idx].server_ip = *sip;
	c->flows[*idx].server_port = l->port;
	c->flows[*idx].pkt_first = pkt;
	c->flows[*idx].t_first_ns = t;
	l->b[*idx].next = l->bucket[h];
	l->bucket[h] = (int32_t)*idx;
	return &c->flows[*idx];
}

static struct rp_flow *find_flow(struct loader *l, const struct rp_addr *cip, uint16_t cport,
				 const struct rp_addr *sip, uint32_t *idx)
{
	for (int32_t i = l->bucket[bucket_of(cip, cport, sip)]; i >= 0; i = l->b[i].next) {
		struct rp_flow *f = &l->cap->flows[i];

		if (rp_addr_eq(&f->client_ip, cip) && f->client_port == cport &&
		    rp_addr_eq(&f->server_ip, sip)) {
			*idx = (uint32_t)i;
			return f;
		}
	}
	return NULL;
}

/* The IP header in a captured frame, or NULL: the link types libpcap
 * reports for Ethernet (with up to two VLAN tags), Linux cooked captures
 * (the any device) and raw IP. */
static const uint8_t *ip_of(int dlt, const uint8_t *p, uint32_t caplen, uint32_t *rest, int *v6)
{
	uint32_t off, type;

	switch (dlt) {
	case DLT_EN10MB:
		off = 12;
		if (caplen < 14)
			return NULL;
		type = fb_get16(p + off);
		for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); tags++) {
			off += 4;
			if (caplen < off + 2)
				return NULL;
			type = fb_get16(p + off);
		}
		off += 2;
		break;
	case DLT_LINUX_SLL: /* 16 bytes; the protocol type is the last field */
		if (caplen < 16)
			return NULL;
		type = fb_get16(p + 14);
		off = 16;
		break;
	case DLT_LINUX_SLL2: /* 20 bytes; the protocol type is the first field */
		if (caplen < 20)
			return NULL;
		type = fb_get16(p);
		off = 20;
		break;
	case DLT_IPV4:
		type = 0x0800;
		off = 0;
		break;
	case DLT_IPV6:
		type = 0x86dd;
		off = 0;
		break;
	default: /* DLT_RAW: the version says which */
		if (caplen < 1)
			return NULL;
		type = p[0] >> 4 == 6 ? 0x86dd : 0x0800;
		off = 0;
		break;
	}
	if (type != 0x0800 && type != 0x86dd)
		return NULL;
	*v6 = type == 0x86dd;
	*rest = caplen - off;
	return p + off;
}

/* What the IP layer of a captured packet holds. */
struct ip_pkt {
	struct rp_addr src, dst;
	const uint8_t *l4;
	uint32_t l4_len; /* as the IP header says */
	uint32_t l4_caplen; /* as captured */
	uint8_t proto;
	int fragment; /* a fragment; l4 is the first one's when frag_first */
	int frag_first;
};

/* The IPv4 header at ip, rest bytes captured (RFC 791). 0, or -1 with why
 * it cannot be read. */
static int read_ipv4(const uint8_t *ip, uint32_t rest, struct ip_pkt *v, const char **why)
{
	uint32_t ihl, tot, frag;

	if (rest < 20 || ip[0] >> 4 != 4) {
		*why = rest < 20 ? "IPv4 header cut short" : "IP version not 4 in an IPv4 frame";
		return -1;
	}
	ihl = (ip[0] & 15u) * 4;
	tot = fb_get16(ip + 2);
	if (ihl < 20 || tot < ihl || rest < ihl) {
		*why = "IPv4 header length or total length impossible";
		return -1;
	}
	v->src = rp_addr4(fb_get32(ip + 12));
	v->dst = rp_addr4(fb_get32(ip + 16));
	v->proto = ip[9];
	v->l4 = ip + ihl;
	v->l4_len = tot - ihl;
	v->l4_caplen = rest - ihl < v->l4_len ? rest - ihl : v->l4_len;
	frag = fb_get16(ip + 6);
	v->fragment = (frag & 0x3fff) != 0; /* MF or an offset */
	v->frag_first = v->fragment && !(frag & 0x1fff);
	return 0;
}

/* IPv6 extension headers whose length field counts 8-byte units beyond
 * the first 8 (RFC 8200 4.3, 4.4, 4.6). */
static int ext_hdr(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60;
}

/* The IPv6 header at ip, rest bytes captured (RFC 8200), its extension
 * headers walked to the upper layer: hop-by-hop options, routing,
 * destination options, and a fragment header (4.5). 0, or -1 with why it
 * cannot be read. */
static int read_ipv6(const uint8_t *ip, uint32_t rest, struct ip_pkt *v, const char **why)
{
	uint32_t tot, off = 40;
	uint8_t nh;

	if (rest < 40 || ip[0] >> 4 != 6) {
		*why = rest < 40 ? "IPv6 header cut short" : "IP version not 6 in an IPv6 frame";
		return -1;
	}
	if (!fb_get16(ip + 4)) {
		*why = "IPv6 payload length 0 (a jumbogram): not read";
		return -1;
	}
	tot = 40 + fb_get16(ip + 4);
	v->src = rp_addr6(ip + 8);
	v->dst = rp_addr6(ip + 24);
	nh = ip[6];
	/* Each header is at least 8 bytes: the walk ends within the packet. */
	while (ext_hdr(nh) || nh == 44) {
		uint32_t len = 8;

		if (off + len <= tot && off + len <= rest && nh != 44)
			len = ((uint32_t)ip[off + 1] + 1) * 8;
		if (off + len > tot) {
			*why = "IPv6 extension header past the packet's end";
			return -1;
		}
		if (off + len > rest) {
			*why = "IPv6 extension headers cut by the snap length";
			return -1;
		}
		if (nh == 44) {
			uint32_t fo = fb_get16(ip + off + 2);

			/* An atomic fragment (offset 0, no more: RFC 6946) is the
			 * whole packet. */
			if (fo & 0xfff9) {
				v->fragment = 1;
				v->frag_first = !(fo & 0xfff8);
			}
		}
		nh = ip[off];
		off += len;
		/* A later fragment carries data, no more headers. */
		if (v->fragment && !v->frag_first)
			break;
	}
	v->proto = nh;
	v->l4 = ip + off;
	v->l4_len = tot - off;
	v->l4_caplen = rest - off < v->l4_len ? rest - off : v->l4_len;
	return 0;
}

static void malformed(struct rp_capture *c, uint32_t pkt, const char *why)
{
	if (!c->malformed++) {
		c->malformed_pkt = pkt;
		c->malformed_why = why;
	}
}

static void add_raw(struct loader *l, struct raw_dir *d, uint32_t seq, const uint8_t *payload,
		    uint32_t len, uint32_t pkt, uint64_t t_ns)
{
	uint32_t bcap = (uint32_t)d->bcap;
	void *n;

	if (!d->have_first) {
		d->first_seq = seq;
		d->have_first = 1;
	}
	if (!len)
		return;
	n = grow(d->v, &d->cap, sizeof(*d->v), d->n + 1, &l->oom);
	if (!n)
		return;
	d->v = n;
	n = grow(d->bytes, &bcap, 1, (uint32_t)d->blen + len, &l->oom);
	if (!n)
		return;
	d->bytes = n;
	d->bcap = bcap;
	memcpy(d->bytes + d->blen, payload, len);
	d->v[d->n++] = (struct raw_seg){ .seq = seq, .len = len, .data = (uint32_t)d->blen,
					 .pkt = pkt, .t_ns = t_ns };
	d->blen += len;
}

static void take_packet(struct loader *l, const struct pcap_pkthdr *h, const uint8_t *p)
{
	struct rp_capture *c = l->cap;
	uint32_t rest = 0, doff, seq, plen, idx, pkt = c->packets;
	uint16_t sport, dport, cport;
	int v6 = 0, dir;
	const uint8_t *ip = ip_of(l->dlt, p, h->caplen, &rest, &v6), *tcp;
	uint64_t t = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * 1000u;
	const struct rp_addr *cip, *sip;
	const char *why = NULL;
	struct ip_pkt v = { 0 };
	struct rp_flow *f;
	struct raw_dir *d;
	uint8_t flags;

	if (pkt == 1)
		c->t0_ns = t;
	t -= c->t0_ns;
	if (!ip) {
		c->skipped_link++;
		return;
	}
	if ((v6 ? read_ipv6(ip, rest, &v, &why) : read_ipv4(ip, rest, &v, &why)) < 0) {
		malformed(c, pkt, why);
		return;
	}
	if (v.proto != 6) {
		c->skipped_other++;
		return;
	}
	if (v.fragment) {
		/* A fragment cannot be read as a segment; the first one names
		 * its flow, which then cannot be replayed as captured. */
		if (!c->fragments++)
			c->fragment_pkt = pkt;
		if (!v.frag_first || v.l4_caplen < 4)
			return;
	} else if (v.l4_len < 20 || v.l4_caplen < 20) {
		malformed(c, pkt, v.l4_len < 20 ? "TCP header past the IP packet's end"
						: "TCP header cut by the snap length");
		return;
	}
	tcp = v.l4;
	sport = (uint16_t)fb_get16(tcp);
	dport = (uint16_t)fb_get16(tcp + 2);
	if (dport == l->port)
		dir = 0;
	else if (sport == l->port)
		dir = 1;
	else {
		c->skipped_other++;
		return;
	}
	cip = dir == 0 ? &v.src : &v.dst;
	sip = dir == 0 ? &v.dst : &v.src;
	cport = dir == 0 ? sport : dport;
	f = find_flow(l, cip, cport, sip, &idx);
	if (v.fragment) {
		if (!f)
			f = new_flow(l, cip, cport, sip, pkt, t, &idx);
		if (f && !f->fragment_pkt)
			f->fragment_pkt = pkt;
		return;
	}
	doff = (uint32_t)(tcp[12] >> 4) * 4;
	if (doff < 20 || v.l4_len < doff) {
		malformed(c, pkt, "TCP data offset impossible");
		return;
	}
	plen = v.l4_len - doff;
	if (v.l4_caplen < doff + plen) {
		/* Cut by the snap length: the bytes are not there to replay. */
		malformed(c, pkt, "TCP payload cut by the snap length");
		return;
	}
	seq = fb_get32(tcp + 4);
	flags = tcp[13];
	/* A client SYN with a new sequence number on a flow that already
	 * started is a new connection on the same addresses and ports. */
	if (f && dir == 0 && (flags & (FL_SYN | FL_ACK)) == FL_SYN && l->b[idx].d[0].have_first &&
	    !(l->b[idx].d[0].have_isn && l->b[idx].d[0].isn == seq))
		f = NULL;
	if (!f)
		f = new_flow(l, cip, cport, sip, pkt, t, &idx);
	if (!f)
		return;
	d = &l->b[idx].d[dir];
	if (flags & FL_SYN) {
		d->isn = seq;
		d->have_isn = 1;
		d->first_seq = seq + 1;
		d->have_first = 1;
		if (dir == 0 && !(flags & FL_ACK))
			f->have_syn = 1;
		if (dir == 1 && !(flags & FL_ACK))
			f->opened_by_server = 1;
		seq++;
	}
	add_raw(l, d, seq, tcp + doff, plen, pkt, t);
	if (!f->client_fin && !f->client_rst) {
		f->pkt_close = pkt;
		f->t_close_ns = t;
		if (dir == 0 && (flags & FL_FIN))
			f->client_fin = 1;
		if (dir == 0 && (flags & FL_RST))
			f->client_rst = 1;
	}
}

/* qsort has no context argument: the stream being sorted. */
static uint32_t sort_first;

static int by_offset(const void *a, const void *b)
{
	const struct raw_seg *x = a, *y = b;
	int32_t ox = (int32_t)(x->seq - sort_first), oy = (int32_t)(y->seq - sort_first);

	if (ox != oy)
		return ox < oy ? -1 : 1;
	return x->pkt < y->pkt ? -1 : x->pkt > y->pkt;
}

/* Rebuilds one direction's stream from its raw segments. */
static int build_stream(struct raw_dir *d, struct rp_stream *s)
{
	uint32_t covered = 0;

	s->unframed_at = s->hole_at = UINT32_MAX;
	if (!d->n)
		return 0;
	sort_first = d->first_seq;
	qsort(d->v, d->n, sizeof(*d->v), by_offset);
	s->bytes = malloc(d->blen);
	s->segs = calloc(d->n, sizeof(*s->segs));
	if (!s->bytes || !s->segs)
		return -1;
	for (uint32_t i = 0; i < d->n; i++) {
		const struct raw_seg *r = &d->v[i];
		int64_t rel = (int32_t)(r->seq - d->first_seq), skip;

		if (rel + r->len <= (int64_t)covered) {
			s->retransmitted++;
			continue;
		}
		if (rel > (int64_t)covered) {
			s->hole_at = covered;
			break;
		}
		skip = (int64_t)covered - rel;
		memcpy(s->bytes + covered, d->bytes + r->data + skip, r->len - (uint32_t)skip);
		s->segs[s->n_segs++] = (struct rp_segment){ .t_ns = r->t_ns, .pkt = r->pkt,
							    .off = covered,
							    .len = r->len - (uint32_t)skip };
		covered += r->len - (uint32_t)skip;
	}
	s->len = covered;
	return 0;
}

/* Cuts a stream into ADUs by the MBAP length (MIG 3.1.3) and notes which
 * segment completed each. */
static int frame_adus(struct rp_stream *s)
{
	uint32_t off = 0, seg = 0, n = 0;

	s->adus = calloc(s->len / (MBAP_HDR + 1) + 1, sizeof(*s->adus));
	if (!s->adus)
		return -1;
	while (off + MBAP_HDR <= s->len) {
		uint32_t l = fb_get16(s->bytes + off + 4), end = off + 6 + l;

		if (l < MBAP_LEN_MIN || l > MBAP_LEN_MAX) {
			s->unframed_at = off;
			break;
		}
		if (end > s->len)
			break;
		while (s->segs[seg].off + s->segs[seg].len < end)
			seg++;
		s->adus[n++] = (struct rp_adu){ .off = off, .len = 6 + l, .pkt = s->segs[seg].pkt,
						.t_ns = s->segs[seg].t_ns, .peer = -1 };
		off = end;
	}
	s->n_adus = n;
	return 0;
}

/* Each captured response answers the oldest unanswered request with its
 * transaction id sent before it (MIG 4.2: the id pairs them). */
static void pair_responses(struct rp_flow *f)
{
	for (uint32_t j = 0; j < f->s.n_adus; j++) {
		struct rp_adu *r = &f->s.adus[j];
		uint16_t tid = rp_tid(f->s.bytes + r->off);

		for (uint32_t i = 0; i < f->c.n_adus; i++) {
			struct rp_adu *q = &f->c.adus[i];

			if (q->peer < 0 && q->pkt < r->pkt && rp_tid(f->c.bytes + q->off) == tid) {
				q->peer = (int32_t)j;
				r->peer = (int32_t)i;
				break;
			}
		}
	}
}

int rp_capture_load(const char *path, uint16_t port, struct rp_capture *cap, char *err,
		    size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *p;
	struct loader l;
	pcap_t *pc;
	int rc = 0;

	memset(cap, 0, sizeof(*cap));
	memset(&l, 0, sizeof(l));
	memset(l.bucket, 0xff, sizeof(l.bucket));
	l.cap = cap;
	l.port = port;
	pc = pcap_open_offline(path, perr);
	if (!pc) {
		snprintf(err, errlen, "%s", perr);
		return -1;
	}
	l.dlt = pcap_datalink(pc);
	if (l.dlt != DLT_EN10MB && l.dlt != DLT_LINUX_SLL && l.dlt != DLT_LINUX_SLL2 &&
	    l.dlt != DLT_RAW && l.dlt != DLT_IPV4 && l.dlt != DLT_IPV6) {
		snprintf(err, errlen, "%s: link type %s is not Ethernet, Linux cooked or raw IP",
			 path, pcap_datalink_val_to_name(l.dlt) ? pcap_datalink_val_to_name(l.dlt) : "?");
		pcap_close(pc);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &h, &p)) == 1 && !l.oom) {
		cap->packets++;
		take_packet(&l, h, p);
	}
	if (rc == PCAP_ERROR) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(pc));
		rc = -1;
	} else {
		rc = 0;
	}
	pcap_close(pc);
	for (uint32_t i = 0; i < cap->n_flows && !rc && !l.oom; i++) {
		struct rp_flow *f = &cap->flows[i];

		if (build_stream(&l.b[i].d[0], &f->c) < 0 || build_stream(&l.b[i].d[1], &f->s) < 0 ||
		    frame_adus(&f->c) < 0 || frame_adus(&f->s) < 0)
			l.oom = 1;
		else
			pair_responses(f);
	}
	for (uint32_t i = 0; i < cap->n_flows; i++)
		for (int d = 0; d < 2; d++) {
			free(l.b[i].d[d].v);
			free(l.b[i].d[d].bytes);
		}
	free(l.b);
	if (l.oom && !rc) {
		snprintf(err, errlen, "%s: out of memory: %s", path, strerror(ENOMEM));
		rc = -1;
	}
	if (rc)
		rp_capture_free(cap);
	return rc;
}

const char *rp_flow_unreplayable(const struct rp_flow *f)
{
	if (f->opened_by_server)
		return "opened by the port's side: not a client flow";
	if (f->fragment_pkt)
		return "fragmented in the capture: fragments are not reassembled";
	return NULL;
}

void rp_capture_free(struct rp_capture *cap)
{
	for (uint32_t i = 0; i < cap->n_flows; i++) {
		struct rp_stream *st[2] = { &cap->flows[i].c, &cap->flows[i].s };

		for (int d = 0; d < 2; d++) {
			free(st[d]->bytes);
			free(st[d]->segs);
			free(st[d]->adus);
		}
	}
	free(cap->flows);
	memset(cap, 0, sizeof(*cap));
}
