#include "player.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_client.h"

struct conn {
	const struct rp_flow *fl;
	struct rp_flow_result *res;
	struct rp_tcp tcp;
	uint32_t next; /* next action: 0 open, 1..n_segs segment next - 1, n_segs + 1 close */
	uint32_t n_sent; /* requests whose bytes are all sent */
	uint32_t first_waiting; /* no request before it is waiting */
	uint8_t *rbuf; /* server stream received in order, not yet framed */
	uint32_t rlen, rcap;
	int r_unframed;
};

struct player {
	const struct rp_capture *cap;
	struct rp_target *t;
	const struct rp_options *o;
	struct conn *c;
	struct rp_flow_result *res;
	uint32_t lo; /* connections before it are done */
	int32_t by_port[65536];
	uint64_t start;
	int listen_only; /* the device model: MAP 6.8 sub-function 04 */
	int io_error;
};

static uint32_t action_pkt(const struct conn *c)
{
	const struct rp_flow *f = c->fl;

	if (c->next == 0)
		return f->pkt_first;
	if (c->next <= f->c.n_segs)
		return f->c.segs[c->next - 1].pkt;
	return f->pkt_close;
}

static uint64_t action_due(const struct player *p, const struct conn *c)
{
	const struct rp_flow *f = c->fl;
	uint64_t t;

	if (p->o->speed <= 0)
		return p->start;
	if (c->next == 0)
		t = f->t_first_ns;
	else if (c->next <= f->c.n_segs)
		t = f->c.segs[c->next - 1].t_ns;
	else
		t = f->t_close_ns;
	return p->start + (uint64_t)((double)t / p->o->speed);
}

/* The device model behind "no response is due" (MAP 6.8.1, as mbxdp keeps
 * it: listen only mode is one state for every connection). Called once per
 * request, in the order requests are sent. */
static const char *no_answer_reason(struct player *p, const uint8_t *adu, uint32_t len)
{
	int diag = len == 12 && adu[7] == 0x08 && adu[8] == 0;
	int restart = diag && adu[9] == 0x01 && ((adu[10] == 0 && adu[11] == 0) ||
						 (adu[10] == 0xff && adu[11] == 0));
	int listen = diag && adu[9] == 0x04 && adu[10] == 0 && adu[11] == 0;

	if (rp_proto(adu) != 0)
		return "protocol id not 0: not Modbus (MIG 4.4.1.1)";
	if (p->listen_only) {
		if (restart)
			p->listen_only = 0;
		return "listen only mode: nothing answered, 08/01 ends it unanswered (MAP 6.8.1)";
	}
	if (listen) {
		p->listen_only = 1;
		return "08/04 Force Listen Only Mode is never answered (MAP 6.8.1)";
	}
	return NULL;
}

/* Against a stand-in for the captured device, that device says what is
 * due: what it answered. */
static const char *twin_no_answer_reason(const uint8_t *adu, const struct rp_adu *a)
{
	if (rp_proto(adu) != 0)
		return "protocol id not 0: not Modbus (MIG 4.4.1.1)";
	return a->peer < 0 ? "the captured device did not answer it" : NULL;
}

/* Requests whose last byte went out are waiting for their response. */
static void mark_sent(struct player *p, struct conn *c, uint32_t sent_upto, uint64_t now)
{
	const struct rp_stream *s = &c->fl->c;

	while (c->n_sent < s->n_adus && s->adus[c->n_sent].off + s->adus[c->n_sent].len <= sent_upto) {
		struct rp_req_result *r = &c->res->req[c->n_sent];
		const struct rp_adu *a = &s->adus[c->n_sent];

		r->st = RQ_WAITING;
		r->sent_ns = now;
		r->no_answer_reason = p->o->twin ? twin_no_answer_reason(s->bytes + a->off, a) :
						   no_answer_reason(p, s->bytes + a->off, a->len);
		c->n_sent++;
	}
}

static void match_response(struct conn *c, const uint8_t *a, uint32_t len)
{
	const struct rp_stream *s = &c->fl->c;
	uint16_t tid = rp_tid(a);

	/* MIG 4.2: the transaction id pairs a response with its request; the
	 * oldest request still waiting with that id is the one answered. */
	for (uint32_t i = c->first_waiting; i < c->n_sent; i++) {
		struct rp_req_result *r = &c->res->req[i];

		if (r->st == RQ_WAITING && rp_tid(s->bytes + s->adus[i].off) == tid) {
			r->st = RQ_ANSWERED;
			r->resp_len = (uint16_t)len;
			memcpy(r->resp, a, len);
			return;
		}
	}
	if (c->res->n_extra < RP_EXTRA_MAX) {
		c->res->extra[c->res->n_extra].len = (uint16_t)len;
		memcpy(c->res->extra[c->res->n_extra++].bytes, a, len);
	} else {
		c->res->n_extra_dropped++;
	}
}

/* Frames the responses received so far (MIG 3.1.3) and pairs each. */
static void take_responses(struct conn *c)
{
	uint32_t off = 0;

	while (!c->r_unframed && off + 7 <= c->rlen) {
		uint32_t l = fb_get16(c->rbuf + off + 4);

		if (l < 2 || l > 254) {
			c->r_unframed = 1;
			c->res->note = "the server's stream has an MBAP length outside 2..254";
			break;
		}
		if (off + 6 + l > c->rlen)
			break;
		match_response(c, c->rbuf + off, 6 + l);
		off += 6 + l;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

/* The server's bytes, in order, from the connection. */
static void on_data(void *arg, const uint8_t *b, uint32_t len)
{
	struct conn *c = arg;

	if (c->r_unframed)
		return;
	if (c->rlen + len > c->rcap) {
		uint32_t cap = (c->rlen + len) * 2;
		uint8_t *n = realloc(c->rbuf, cap);

		if (!n) {
			c->r_unframed = 1;
			c->res->note = "out of memory for the server's stream";
			return;
		}
		c->rbuf = n;
		c->rcap = cap;
	}
	memcpy(c->rbuf + c->rlen, b, len);
	c->rlen += len;
	take_responses(c);
}

static void deliver(void *arg, const uint8_t *f, uint32_t len)
{
	struct player *p = arg;
	const struct rp_target *t = p->t;
	struct fb_seg s;

	struct rp_tcp *c;
	struct rp_addr src, dst;

	fb_parse(f, len, &s);
	if (!s.ok || s.src_port != t->server_port || p->by_port[s.dst_port] < 0)
		return;
	src = s.v6 ? rp_addr6(s.src_ip6) : rp_addr4(s.src_ip);
	dst = s.v6 ? rp_addr6(s.dst_ip6) : rp_addr4(s.dst_ip);
	c = &p->c[p->by_port[s.dst_port]].tcp;
	if (!rp_addr_eq(&dst, &c->client_ip) || !rp_addr_eq(&src, &c->server_ip))
		return;
	rp_tcp_input(c, &s, p->t->now(p->t));
}

static void act(struct player *p, struct conn *c, uint64_t now)
{
	const struct rp_flow *f = c->fl;

	if (c->next == 0) {
		/* Deterministic, so two in-process replays write the same file. */
		rp_tcp_open(&c->tcp, 0x10000000u + (uint32_t)(c - p->c) * 0x00100000u, now,
			    p->o->timeout_ns);
	} else if (c->next <= f->c.n_segs) {
		if (c->tcp.st == RT_OPEN) {
			const struct rp_segment *sg = &f->c.segs[c->next - 1];

			rp_tcp_send_next(&c->tcp, now);
			mark_sent(p, c, sg->off + sg->len, now);
		}
	} else {
		rp_tcp_close(&c->tcp, f->client_rst, now, p->o->timeout_ns);
	}
	c->next++;
}

/* Whether the next action must wait for a response the capture shows
 * before it (or for the SYN-ACK); *until gets the time the wait gives up. */
static int waits(const struct player *p, const struct conn *c, uint64_t *until)
{
	const struct rp_flow *f = c->fl;
	uint32_t pkt = action_pkt(c);

	if (c->tcp.st == RT_SYN_SENT) {
		*until = c->tcp.deadline;
		return 1;
	}
	for (uint32_t i = c->first_waiting; i < c->n_sent; i++) {
		const struct rp_req_result *r = &c->res->req[i];
		int32_t peer = f->c.adus[i].peer;

		if (r->st == RQ_WAITING && peer >= 0 && f->s.adus[peer].pkt < pkt) {
			*until = r->sent_ns + p->o->timeout_ns;
			return 1;
		}
	}
	return 0;
}

/* Requests past the timeout give up, and the connection's own timers run.
 * Returns the next time something here is due. */
static uint64_t expire(struct player *p, struct conn *c, uint64_t now)
{
	uint64_t next = rp_tcp_timers(&c->tcp, now);

	while (c->first_waiting < c->n_sent) {
		struct rp_req_result *r = &c->res->req[c->first_waiting];

		if (r->st == RQ_WAITING) {
			if (r->sent_ns + p->o->timeout_ns > now) {
				if (r->sent_ns + p->o->timeout_ns < next)
					next = r->sent_ns + p->o->timeout_ns;
				break;
			}
			r->st = RQ_EXPIRED;
		}
		c->first_waiting++;
	}
	return next;
}

/* One step: runs the next action in capture order when it is due and
 * waits for nothing, or waits for the target. Actions of all flows keep the
 * capture's order, so what one connection does to the device (listen only
 * mode, a written register) is seen by the next as in the capture. 0 while
 * there is more to do, 1 when every connection is done, -1 on an error. */
static int step(struct player *p)
{
	uint64_t now = p->t->now(p->t), wake = UINT64_MAX, until, due;
	struct conn *best = NULL;
	int active = 0;

	while (p->lo < p->cap->n_flows && p->c[p->lo].tcp.st == RT_DONE)
		p->lo++;
	for (uint32_t i = p->lo; i < p->cap->n_flows; i++) {
		struct conn *c = &p->c[i];
		uint64_t t;

		if (c->tcp.st == RT_DONE)
			continue;
		active = 1;
		t = expire(p, c, now);
		wake = t < wake ? t : wake;
		if (c->tcp.st != RT_DONE && c->next <= c->fl->c.n_segs + 1 &&
		    (!best || action_pkt(c) < action_pkt(best)))
			best = c;
		/* Flows are in the order of their first packet: none after an
		 * unopened one acts before it. */
		if (c->next == 0)
			break;
	}
	if (!active)
		return 1;
	if (best && waits(p, best, &until)) {
		wake = until < wake ? until : wake;
	} else if (best && (due = action_due(p, best)) > now) {
		wake = due < wake ? due : wake;
	} else if (best) {
		act(p, best, now);
		/* Take whatever is there already, without waiting. */
		return p->io_error || p->t->poll(p->t, now, deliver, p) < 0 ? -1 : 0;
	}
	return p->t->poll(p->t, wake, deliver, p) < 0 || p->io_error ? -1 : 0;
}

int rp_play(const struct rp_capture *cap, struct rp_target *t, const struct rp_options *o,
	    struct rp_flow_result **out)
{
	struct player *p = calloc(1, sizeof(*p));
	int rc = 0;

	*out = NULL;
	if (!p)
		return -1;
	p->cap = cap;
	p->t = t;
	p->o = o;
	p->c = calloc(cap->n_flows ? cap->n_flows : 1, sizeof(*p->c));
	p->res = calloc(cap->n_flows ? cap->n_flows : 1, sizeof(*p->res));
	memset(p->by_port, 0xff, sizeof(p->by_port));
	if (!p->c || !p->res) {
		rc = -1;
		goto out;
	}
	for (uint32_t i = 0; i < cap->n_flows; i++) {
		const struct rp_flow *f = &cap->flows[i];
		struct conn *c = &p->c[i];
		int fam = rp_family(&f->server_ip);

		c->fl = f;
		c->res = &p->res[i];
		c->res->req = calloc(f->c.n_adus ? f->c.n_adus : 1, sizeof(*c->res->req));
		if (!c->res->req) {
			rc = -1;
			goto out;
		}
		c->res->sport = (uint16_t)(1024 + (o->sport_base - 1024 + i) % (65536 - 1024));
		c->tcp = (struct rp_tcp){ .t = t, .io_error = &p->io_error, .out = &f->c,
					  .on_data = on_data, .arg = c, .sport = c->res->sport,
					  .mss = (uint16_t)(t->mss - (fam == RP_V6 ? 20 : 0)),
					  .client_ip = t->client_ip[fam],
					  .server_ip = t->server_for ? t->server_for(t, &f->server_ip) :
								       t->server_ip[fam] };
		if (rp_flow_unreplayable(f)) {
			c->res->skipped = 1;
			rp_tcp_finish(&c->tcp, rp_flow_unreplayable(f));
			continue;
		}
		p->by_port[c->res->sport] = (int32_t)i;
	}
	p->start = t->now(t);
	while ((rc = step(p)) == 0)
		;
	rc = rc < 0 ? -1 : 0;
	for (uint32_t i = 0; i < cap->n_flows; i++) {
		struct conn *c = &p->c[i];

		for (uint32_t k = 0; k < c->n_sent; k++)
			if (c->res->req[k].st == RQ_WAITING)
				c->res->req[k].st = RQ_EXPIRED;
		c->res->segs_sent = c->tcp.segs_sent;
		c->res->retransmissions = c->tcp.retransmissions;
		if (!c->res->note)
			c->res->note = c->tcp.note;
	}
out:
	for (uint32_t i = 0; p->c && i < cap->n_flows; i++)
		free(p->c[i].rbuf);
	free(p->c);
	if (rc == 0) {
		*out = p->res;
	} else {
		rp_results_free(cap, p->res);
	}
	free(p);
	return rc;
}

void rp_results_free(const struct rp_capture *cap, struct rp_flow_result *res)
{
	for (uint32_t i = 0; res && i < cap->n_flows; i++)
		free(res[i].req);
	free(res);
}
