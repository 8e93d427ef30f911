#include "tcp_client.h"

#include <string.h>

struct tc_client tc_client(uint32_t ip, uint16_t port)
{
	struct tc_client c = {
		.fl = {
			.client_mac = { 0x02, 0, 0, 0, 0, 2 },
			.server_mac = { 0x02, 0, 0, 0, 0, 1 },
			.client_ip = ip,
			.server_ip = 0xc6120001, /* 198.18.0.1 */
			.client_port = port,
			.server_port = 502,
			.vlan = -1,
		},
		.seq = 1000,
	};
	return c;
}

struct tc_client tc_client6(const uint8_t ip[16], uint16_t port)
{
	struct tc_client c = tc_client(0, port);
	static const uint8_t server[16] = { 0x20, 0x01, 0, 2, [15] = 1 }; /* 2001:2::1 */

	c.fl.v6 = 1;
	memcpy(c.fl.client_ip6, ip, 16);
	memcpy(c.fl.server_ip6, server, 16);
	return c;
}

enum stack_verdict tc_send(struct harness *h, struct tc_client *c, uint8_t flags,
			   const void *data, size_t len)
{
	static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };
	uint8_t buf[HARNESS_FRAME_SIZE];
	size_t n = fb_tcp(buf, &c->fl, c->seq, c->ack, flags, 64240, (flags & FB_SYN) ? mss : 0,
			  (flags & FB_SYN) ? 4 : 0, data, len);

	harness_clear(h);
	c->seq += (uint32_t)len + !!(flags & FB_SYN) + !!(flags & FB_FIN);
	return harness_input(h, buf, n);
}

struct fb_seg tc_reply(const struct harness *h, uint32_t i)
{
	struct fb_seg s;

	memset(&s, 0, sizeof(s));
	if (i < h->n_out)
		fb_parse(h->out[i].data, h->out[i].len, &s);
	return s;
}

int tc_handshake(struct harness *h, struct tc_client *c)
{
	struct fb_seg s;

	if (tc_send(h, c, FB_SYN, 0, 0) != STACK_SENT)
		return -1;
	s = tc_reply(h, 0);
	if (!s.ok || s.flags != (FB_SYN | FB_ACK))
		return -1;
	c->ack = s.seq + 1;
	return tc_send(h, c, FB_ACK, 0, 0) == STACK_DROP && h->n_out == 0 ? 0 : -1;
}

size_t tc_read_req(uint8_t *p, uint16_t tid, uint16_t addr)
{
	const uint8_t r[12] = { (uint8_t)(tid >> 8), (uint8_t)tid, 0, 0, 0, 6, 1, 3,
				(uint8_t)(addr >> 8), (uint8_t)addr, 0, 2 };
	memcpy(p, r, sizeof(r));
	return sizeof(r);
}

int tc_read_resp_at(const uint8_t *p, uint16_t tid, uint16_t addr)
{
	const uint8_t r[TC_READ_RESP_LEN] = { (uint8_t)(tid >> 8), (uint8_t)tid, 0, 0, 0, 7, 1, 3, 4,
					      (uint8_t)(addr >> 8), (uint8_t)addr,
					      (uint8_t)((addr + 1) >> 8), (uint8_t)(addr + 1) };
	return !memcmp(p, r, sizeof(r));
}

int tc_read_resp_ok(const struct fb_seg *s, uint16_t tid, uint16_t addr)
{
	return s->ok && s->len == TC_READ_RESP_LEN && tc_read_resp_at(s->payload, tid, addr);
}
