#include "tcp_client.h"

#include <string.h>

#define RTO_NS 200000000ull /* RFC 6298 2.1 says 1 s; a replay on a LAN retries sooner */
#define MAX_RETRIES 6

static void send_tcp(struct rp_tcp *c, uint32_t seq, uint8_t flags, const uint8_t *payload,
		     uint32_t len)
{
	const struct rp_target *t = c->t;
	const uint8_t mss_opt[4] = { 2, 4, (uint8_t)(c->mss >> 8), (uint8_t)c->mss };
	struct fb_flow fl = {
		.client_port = c->sport,
		.server_port = t->server_port,
		.vlan = -1,
	};
	uint8_t buf[2048];
	size_t n;
	int syn = (flags & FB_SYN) != 0;

	if (rp_family(&c->server_ip) == RP_V4) {
		fl.client_ip = rp_ip4(&c->client_ip);
		fl.server_ip = rp_ip4(&c->server_ip);
	} else {
		fl.v6 = 1;
		memcpy(fl.client_ip6, c->client_ip.b, 16);
		memcpy(fl.server_ip6, c->server_ip.b, 16);
	}
	memcpy(fl.client_mac, t->client_mac, 6);
	memcpy(fl.server_mac, t->server_mac, 6);
	n = fb_tcp(buf, &fl, seq, (flags & FB_ACK) ? c->rcv_nxt : 0, flags, 65535,
		   syn ? mss_opt : NULL, syn ? sizeof(mss_opt) : 0, payload, len);
	if (c->t->send(c->t, buf, (uint32_t)n) < 0)
		*c->io_error = 1;
}

/* Sends [from, end of segment i) of the client stream, in MSS-sized pieces. */
static void send_part(struct rp_tcp *c, uint32_t i, uint32_t from)
{
	const struct rp_segment *sg = &c->out->segs[i];

	for (uint32_t off = from; off < sg->off + sg->len;) {
		uint32_t n = sg->off + sg->len - off < c->mss ? sg->off + sg->len - off : c->mss;

		send_tcp(c, c->iss + 1 + off, FB_ACK | FB_PSH, c->out->bytes + off, n);
		off += n;
	}
}

/* After sending or on an ACK: the timer runs while anything is unacknowledged. */
static void arm_rto(struct rp_tcp *c, uint64_t now)
{
	if (c->snd_una == c->snd_nxt) {
		c->rto_at = 0;
		c->retries = 0;
	} else if (!c->rto_at) {
		c->rto_at = now + (RTO_NS << c->retries);
	}
}

void rp_tcp_finish(struct rp_tcp *c, const char *note)
{
	c->st = RT_DONE;
	if (note && !c->note)
		c->note = note;
}

void rp_tcp_open(struct rp_tcp *c, uint32_t iss, uint64_t now, uint64_t timeout_ns)
{
	c->iss = iss;
	send_tcp(c, c->iss, FB_SYN, NULL, 0);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->st = RT_SYN_SENT;
	c->deadline = now + timeout_ns;
	arm_rto(c, now);
}

void rp_tcp_send_next(struct rp_tcp *c, uint64_t now)
{
	const struct rp_segment *sg = &c->out->segs[c->segs_sent];

	/* A captured segment larger than our MSS (a capture taken before TSO
	 * split it) goes out in MSS-sized pieces. */
	send_part(c, c->segs_sent, sg->off);
	c->snd_nxt = c->iss + 1 + sg->off + sg->len;
	c->segs_sent++;
	arm_rto(c, now);
}

void rp_tcp_close(struct rp_tcp *c, int rst, uint64_t now, uint64_t timeout_ns)
{
	if (c->st != RT_OPEN) {
		rp_tcp_finish(c, NULL);
		return;
	}
	if (rst) {
		send_tcp(c, c->snd_nxt, FB_RST | FB_ACK, NULL, 0);
		rp_tcp_finish(c, NULL);
		return;
	}
	send_tcp(c, c->snd_nxt, FB_FIN | FB_ACK, NULL, 0);
	c->snd_nxt++;
	c->st = RT_CLOSING;
	c->deadline = now + timeout_ns;
	arm_rto(c, now);
}

void rp_tcp_input(struct rp_tcp *c, const struct fb_seg *s, uint64_t now)
{
	int ack = 0;

	if (c->st == RT_IDLE || c->st == RT_DONE)
		return;
	if (s->flags & FB_RST) {
		/* RFC 5961 3.2: only an exactly placed RST is taken. */
		if (c->st == RT_SYN_SENT ? s->ack == c->iss + 1 : s->seq == c->rcv_nxt)
			rp_tcp_finish(c, c->st == RT_SYN_SENT ? "the server refused the connection (RST)"
							     : "the server reset the connection");
		return;
	}
	if (c->st == RT_SYN_SENT) {
		if ((s->flags & (FB_SYN | FB_ACK)) == (FB_SYN | FB_ACK) && s->ack == c->iss + 1) {
			c->rcv_nxt = s->seq + 1;
			c->snd_una = s->ack;
			c->st = RT_OPEN;
			c->rto_at = 0;
			c->retries = 0;
			send_tcp(c, c->snd_nxt, FB_ACK, NULL, 0);
		}
		return;
	}
	if (s->flags & FB_SYN) {
		send_tcp(c, c->snd_nxt, FB_ACK, NULL, 0); /* a repeated SYN-ACK: our ACK was lost */
		return;
	}
	if ((s->flags & FB_ACK) && (int32_t)(s->ack - c->snd_una) > 0 &&
	    (int32_t)(s->ack - c->snd_nxt) <= 0) {
		/* New data acknowledged: the timer starts over (RFC 6298 5.3). */
		c->snd_una = s->ack;
		c->rto_at = 0;
		c->retries = 0;
		arm_rto(c, now);
	}
	if (s->len) {
		if (s->seq == c->rcv_nxt) {
			c->rcv_nxt += (uint32_t)s->len;
			c->on_data(c->arg, s->payload, (uint32_t)s->len);
		}
		ack = 1; /* in order, or a duplicate or early segment: say where we are */
	}
	if (s->flags & FB_FIN) {
		if (!c->server_fin && s->seq + s->len == c->rcv_nxt) {
			c->rcv_nxt++;
			c->server_fin = 1;
		}
		ack = 1;
	}
	if (ack)
		send_tcp(c, c->snd_nxt, FB_ACK, NULL, 0);
	if (c->st == RT_CLOSING && c->server_fin && c->snd_una == c->snd_nxt)
		rp_tcp_finish(c, NULL);
}

/* Sends again what is unacknowledged (go-back-N, in the captured segment
 * boundaries): the SYN, the data from SND.UNA, the FIN. */
static void retransmit(struct rp_tcp *c, uint64_t now)
{
	uint32_t una = c->snd_una - (c->iss + 1); /* stream offset */

	if (++c->retries > MAX_RETRIES) {
		send_tcp(c, c->snd_nxt, FB_RST | FB_ACK, NULL, 0);
		rp_tcp_finish(c, "no acknowledgment after 6 retransmissions");
		return;
	}
	c->retransmissions++;
	if (c->st == RT_SYN_SENT) {
		send_tcp(c, c->iss, FB_SYN, NULL, 0);
	} else {
		for (uint32_t i = 0; i < c->segs_sent; i++) {
			const struct rp_segment *sg = &c->out->segs[i];

			if (una < sg->off + sg->len)
				send_part(c, i, una > sg->off ? una : sg->off);
		}
		/* Closing: our FIN is the last thing unacknowledged. */
		if (c->st == RT_CLOSING)
			send_tcp(c, c->snd_nxt - 1, FB_FIN | FB_ACK, NULL, 0);
	}
	c->rto_at = now + (RTO_NS << c->retries);
}

uint64_t rp_tcp_timers(struct rp_tcp *c, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	if (c->st == RT_SYN_SENT && c->deadline <= now)
		rp_tcp_finish(c, "no SYN-ACK within the timeout");
	if (c->st == RT_CLOSING && c->deadline <= now) {
		/* Do not leave the connection open on the server. */
		send_tcp(c, c->snd_nxt, FB_RST | FB_ACK, NULL, 0);
		rp_tcp_finish(c, "the close did not complete within the timeout");
	}
	if (c->st != RT_DONE && c->rto_at && c->rto_at <= now)
		retransmit(c, now);
	if (c->st == RT_SYN_SENT || c->st == RT_CLOSING)
		next = c->deadline;
	if (c->st != RT_DONE && c->rto_at && c->rto_at < next)
		next = c->rto_at;
	return next;
}
