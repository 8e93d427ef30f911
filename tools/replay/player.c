#include "player.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_build.h"

enum conn_state { C_IDLE, C_SYN_SENT, C_OPEN, C_CLOSING, C_DONE };

/* Our retransmission timer (RFC 6298 in its simplest form: a fixed initial
 * RTO, doubled per retry, no RTT estimate): a replay on a lossy path still
 * delivers every request. In process nothing is lost and it never fires. */
#define RTO_NS 200000000ull
#define MAX_RETRIES 6

struct conn {
	const struct rp_flow *fl;
	struct rp_flow_result *res;
	enum conn_state st;
	uint32_t next; /* next action: 0 open, 1..n_segs segment next - 1, n_segs + 1 close */
	uint32_t iss, snd_nxt, snd_una, rcv_nxt;
	uint64_t deadline; /* for the SYN-ACK or for the close */
	uint64_t rto_at; /* when the oldest unacknowledged segment goes again; 0: nothing unacknowledged */
	uint32_t retries;
	int server_fin;
	uint32_t sent_upto; /* client stream bytes sent */
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

static uint32_t rd16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static void send_tcp(struct player *p, struct conn *c, uint32_t seq, uint8_t flags,
		     const uint8_t *payload, uint32_t len)
{
	const struct rp_target *t = p->t;
	const uint8_t mss_opt[4] = { 2, 4, (uint8_t)(t->mss >> 8), (uint8_t)t->mss };
	struct fb_flow fl = {
		.client_ip = t->client_ip,
		.server_ip = t->server_ip,
		.client_port = c->res->sport,
		.server_port = t->server_port,
		.vlan = -1,
	};
	uint8_t buf[2048];
	size_t n;
	int syn = (flags & FB_SYN) != 0;

	memcpy(fl.client_mac, t->client_mac, 6);
	memcpy(fl.server_mac, t->server_mac, 6);
	n = fb_tcp(buf, &fl, seq, (flags & FB_ACK) ? c->rcv_nxt : 0, flags, 65535,
		   syn ? mss_opt : NULL, syn ? sizeof(mss_opt) : 0, payload, len);
	if (p->t->send(p->t, buf, (uint32_t)n) < 0)
		p->io_error = 1;
}

static void send_ack(struct player *p, struct conn *c)
{
	send_tcp(p, c, c->snd_nxt, FB_ACK, NULL, 0);
}

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

static void mark_sent(struct player *p, struct conn *c, uint64_t now)
{
	const struct rp_stream *s = &c->fl->c;

	while (c->n_sent < s->n_adus && s->adus[c->n_sent].off + s->adus[c->n_sent].len <= c->sent_upto) {
		struct rp_req_result *r = &c->res->req[c->n_sent];
		const struct rp_adu *a = &s->adus[c->n_sent];

		r->st = RQ_WAITING;
		r->sent_ns = now;
		r->no_answer_reason = no_answer_reason(p, s->bytes + a->off, a->len);
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
		uint32_t l = rd16(c->rbuf + off + 4);

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

static void append(struct conn *c, const uint8_t *b, uint32_t len)
{
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

/* After sending or on an ACK: the timer runs while anything is unacknowledged. */
static void arm_rto(struct conn *c, uint64_t now)
{
	if (c->snd_una == c->snd_nxt) {
		c->rto_at = 0;
		c->retries = 0;
	} else if (!c->rto_at) {
		c->rto_at = now + (RTO_NS << c->retries);
	}
}

static void finish(struct conn *c, const char *note)
{
	c->st = C_DONE;
	if (note && !c->res->note)
		c->res->note = note;
}

static void deliver(void *arg, const uint8_t *f, uint32_t len)
{
	struct player *p = arg;
	const struct rp_target *t = p->t;
	struct fb_seg s;
	struct conn *c;
	int ack = 0;

	fb_parse(f, len, &s);
	if (!s.ok || s.src_ip != t->server_ip || s.dst_ip != t->client_ip ||
	    s.src_port != t->server_port || p->by_port[s.dst_port] < 0)
		return;
	c = &p->c[p->by_port[s.dst_port]];
	if (c->st == C_IDLE || c->st == C_DONE)
		return;
	if (s.flags & FB_RST) {
		/* RFC 5961 3.2: only an exactly placed RST is taken. */
		if (c->st == C_SYN_SENT ? s.ack == c->iss + 1 : s.seq == c->rcv_nxt)
			finish(c, c->st == C_SYN_SENT ? "the server refused the connection (RST)"
						       : "the server reset the connection");
		return;
	}
	if (c->st == C_SYN_SENT) {
		if ((s.flags & (FB_SYN | FB_ACK)) == (FB_SYN | FB_ACK) && s.ack == c->iss + 1) {
			c->rcv_nxt = s.seq + 1;
			c->snd_una = s.ack;
			c->st = C_OPEN;
			c->rto_at = 0;
			c->retries = 0;
			send_ack(p, c);
		}
		return;
	}
	if (s.flags & FB_SYN) {
		send_ack(p, c); /* a repeated SYN-ACK: our ACK was lost */
		return;
	}
	if ((s.flags & FB_ACK) && (int32_t)(s.ack - c->snd_una) > 0 &&
	    (int32_t)(s.ack - c->snd_nxt) <= 0) {
		/* New data acknowledged: the timer starts over (RFC 6298 5.3). */
		c->snd_una = s.ack;
		c->rto_at = 0;
		c->retries = 0;
		arm_rto(c, p->t->now(p->t));
	}
	if (s.len) {
		if (s.seq == c->rcv_nxt) {
			c->rcv_nxt += (uint32_t)s.len;
			append(c, s.payload, (uint32_t)s.len);
		}
		ack = 1; /* in order, or a duplicate or early segment: say where we are */
	}
	if (s.flags & FB_FIN) {
		if (!c->server_fin && s.seq + s.len == c->rcv_nxt) {
			c->rcv_nxt++;
			c->server_fin = 1;
		}
		ack = 1;
	}
	if (ack)
		send_ack(p, c);
	if (c->st == C_CLOSING && c->server_fin && c->snd_una == c->snd_nxt)
		finish(c, NULL);
}

/* Sends again what is unacknowledged (go-back-N, in the captured segment
 * boundaries): the SYN, the data from SND.UNA, the FIN. */
static void retransmit(struct player *p, struct conn *c, uint64_t now)
{
	const struct rp_stream *cs = &c->fl->c;
	uint32_t una = c->snd_una - (c->iss + 1); /* stream offset */

	if (++c->retries > MAX_RETRIES) {
		send_tcp(p, c, c->snd_nxt, FB_RST | FB_ACK, NULL, 0);
		finish(c, "no acknowledgment after 6 retransmissions");
		return;
	}
	c->res->retransmissions++;
	if (c->st == C_SYN_SENT) {
		send_tcp(p, c, c->iss, FB_SYN, NULL, 0);
	} else {
		for (uint32_t i = 0; i + 1 < c->next && i < cs->n_segs; i++) {
			const struct rp_segment *sg = &cs->segs[i];
			uint32_t from = una > sg->off ? una : sg->off;

			for (uint32_t off = from; off < sg->off + sg->len;) {
				uint32_t n = sg->off + sg->len - off < p->t->mss ? sg->off + sg->len - off
										  : p->t->mss;

				send_tcp(p, c, c->iss + 1 + off, FB_ACK | FB_PSH, cs->bytes + off, n);
				off += n;
			}
		}
		/* Closing: our FIN is the last thing unacknowledged. */
		if (c->st == C_CLOSING)
			send_tcp(p, c, c->snd_nxt - 1, FB_FIN | FB_ACK, NULL, 0);
	}
	c->rto_at = now + (RTO_NS << c->retries);
}

static void do_open(struct player *p, struct conn *c, uint64_t now)
{
	/* Deterministic, so two in-process replays write the same file. */
	c->iss = 0x10000000u + (uint32_t)(c - p->c) * 0x00100000u;
	send_tcp(p, c, c->iss, FB_SYN, NULL, 0);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->st = C_SYN_SENT;
	c->deadline = now + p->o->timeout_ns;
	c->next = 1;
	arm_rto(c, now);
}

static void do_segment(struct player *p, struct conn *c, uint64_t now)
{
	const struct rp_segment *sg = &c->fl->c.segs[c->next - 1];
	const uint8_t *b = c->fl->c.bytes + sg->off;

	c->next++;
	if (c->st != C_OPEN)
		return;
	/* A captured segment larger than our MSS (a capture taken before TSO
	 * split it) goes out in MSS-sized pieces. */
	for (uint32_t done = 0; done < sg->len;) {
		uint32_t n = sg->len - done < p->t->mss ? sg->len - done : p->t->mss;

		send_tcp(p, c, c->iss + 1 + sg->off + done, FB_ACK | FB_PSH, b + done, n);
		done += n;
	}
	c->snd_nxt = c->iss + 1 + sg->off + sg->len;
	c->sent_upto = sg->off + sg->len;
	c->res->segs_sent++;
	arm_rto(c, now);
	mark_sent(p, c, now);
}

static void do_close(struct player *p, struct conn *c, uint64_t now)
{
	c->next++;
	if (c->st != C_OPEN)
		return;
	if (c->fl->client_rst) {
		send_tcp(p, c, c->snd_nxt, FB_RST | FB_ACK, NULL, 0);
		finish(c, NULL);
		return;
	}
	send_tcp(p, c, c->snd_nxt, FB_FIN | FB_ACK, NULL, 0);
	c->snd_nxt++;
	c->st = C_CLOSING;
	c->deadline = now + p->o->timeout_ns;
	arm_rto(c, now);
}

/* Whether the next action must wait for a response the capture shows
 * before it; *until gets the time the wait gives up. */
static int waits(const struct player *p, const struct conn *c, uint64_t *until)
{
	const struct rp_flow *f = c->fl;
	uint32_t pkt = action_pkt(c);

	if (c->st == C_SYN_SENT) {
		*until = c->deadline;
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

/* Requests past the timeout give up; so do handshakes and closes. Returns
 * the next time something here times out. */
static uint64_t expire(struct player *p, struct conn *c, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	while (c->first_waiting < c->n_sent) {
		struct rp_req_result *r = &c->res->req[c->first_waiting];

		if (r->st == RQ_WAITING) {
			if (r->sent_ns + p->o->timeout_ns > now) {
				next = r->sent_ns + p->o->timeout_ns;
				break;
			}
			r->st = RQ_EXPIRED;
		}
		c->first_waiting++;
	}
	if (c->st == C_SYN_SENT && c->deadline <= now)
		finish(c, "no SYN-ACK within the timeout");
	if (c->st != C_DONE && c->rto_at && c->rto_at <= now)
		retransmit(p, c, now);
	if (c->st != C_DONE && c->rto_at && c->rto_at < next)
		next = c->rto_at;
	if (c->st == C_CLOSING && c->deadline <= now) {
		/* Do not leave the connection open on the server. */
		send_tcp(p, c, c->snd_nxt, FB_RST | FB_ACK, NULL, 0);
		finish(c, "the close did not complete within the timeout");
	}
	if ((c->st == C_SYN_SENT || c->st == C_CLOSING) && c->deadline < next)
		next = c->deadline;
	return next;
}

static void act(struct player *p, struct conn *c, uint64_t now)
{
	if (c->next == 0)
		do_open(p, c, now);
	else if (c->next <= c->fl->c.n_segs)
		do_segment(p, c, now);
	else
		do_close(p, c, now);
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

	while (p->lo < p->cap->n_flows && p->c[p->lo].st == C_DONE)
		p->lo++;
	for (uint32_t i = p->lo; i < p->cap->n_flows; i++) {
		struct conn *c = &p->c[i];
		uint64_t t;

		if (c->st == C_DONE)
			continue;
		active = 1;
		t = expire(p, c, now);
		wake = t < wake ? t : wake;
		if (c->st != C_DONE && c->next <= c->fl->c.n_segs + 1 &&
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
	return p->t->poll(p->t, wake, deliver, p) < 0 ? -1 : 0;
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

		c->fl = f;
		c->res = &p->res[i];
		c->res->req = calloc(f->c.n_adus ? f->c.n_adus : 1, sizeof(*c->res->req));
		if (!c->res->req) {
			rc = -1;
			goto out;
		}
		c->res->sport = (uint16_t)(1024 + (o->sport_base - 1024 + i) % (65536 - 1024));
		if (f->opened_by_server) {
			c->res->skipped = 1;
			finish(c, "opened by the port's side: not a client flow");
			continue;
		}
		p->by_port[c->res->sport] = (int32_t)i;
	}
	p->start = t->now(t);
	while ((rc = step(p)) == 0)
		;
	rc = rc < 0 ? -1 : 0;
	for (uint32_t i = 0; i < cap->n_flows; i++)
		for (uint32_t k = 0; k < p->c[i].n_sent; k++)
			if (p->res[i].req[k].st == RQ_WAITING)
				p->res[i].req[k].st = RQ_EXPIRED;
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
