#include "frame_build.h"

#include <string.h>

uint16_t fb_csum(const uint8_t *p, size_t len, uint32_t initial)
{
	uint32_t sum = initial;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += fb_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, size_t tcp_len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + (uint32_t)tcp_len;
}

/* Ethernet (with fl's tag) and a 20-byte IPv4 header from client to server
 * carrying l4_len bytes of protocol proto; returns the IPv4 header. */
static uint8_t *put_l2_l3(uint8_t *buf, const struct fb_flow *fl, uint8_t proto, size_t l4_len)
{
	size_t l2 = fl->vlan >= 0 ? 18 : 14;
	uint8_t *ip = buf + l2;

	memcpy(buf, fl->server_mac, 6);
	memcpy(buf + 6, fl->client_mac, 6);
	if (fl->vlan >= 0) {
		fb_put16(buf + 12, 0x8100);
		fb_put16(buf + 14, (uint32_t)fl->vlan);
	}
	fb_put16(buf + l2 - 2, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	fb_put16(ip + 2, (uint32_t)(20 + l4_len));
	fb_put16(ip + 4, 0x1234);
	fb_put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = proto;
	fb_put32(ip + 12, fl->client_ip);
	fb_put32(ip + 16, fl->server_ip);
	fb_put16(ip + 10, fb_csum(ip, 20, 0));
	return ip;
}

size_t fb_tcp(uint8_t *buf, const struct fb_flow *fl, uint32_t seq, uint32_t ack, uint8_t flags,
	      uint16_t wnd, const uint8_t *opts, size_t opt_len, const void *payload, size_t len)
{
	size_t tcp_len = 20 + opt_len + len;
	uint8_t *ip = put_l2_l3(buf, fl, 6, tcp_len), *tcp = ip + 20;

	fb_put16(tcp, fl->client_port);
	fb_put16(tcp + 2, fl->server_port);
	fb_put32(tcp + 4, seq);
	fb_put32(tcp + 8, ack);
	tcp[12] = (uint8_t)(((20 + opt_len) / 4) << 4);
	tcp[13] = flags;
	fb_put16(tcp + 14, wnd);
	fb_put16(tcp + 16, 0);
	fb_put16(tcp + 18, 0);
	if (opt_len)
		memcpy(tcp + 20, opts, opt_len);
	if (len)
		memcpy(tcp + 20 + opt_len, payload, len);
	fb_put16(tcp + 16, fb_csum(tcp, tcp_len, pseudo_sum(fl->client_ip, fl->server_ip, tcp_len)));
	return (size_t)(tcp - buf) + tcp_len;
}

size_t fb_icmp_echo(uint8_t *buf, const struct fb_flow *fl, uint16_t id, uint16_t sequence,
		    size_t len)
{
	uint8_t *ip = put_l2_l3(buf, fl, 1, 8 + len), *icmp = ip + 20;

	icmp[0] = 8;
	icmp[1] = 0;
	fb_put16(icmp + 2, 0);
	fb_put16(icmp + 4, id);
	fb_put16(icmp + 6, sequence);
	for (size_t i = 0; i < len; i++)
		icmp[8 + i] = (uint8_t)i;
	fb_put16(icmp + 2, fb_csum(icmp, 8 + len, 0));
	return (size_t)(icmp - buf) + 8 + len;
}

void fb_parse(const uint8_t *buf, size_t len, struct fb_seg *seg)
{
	size_t l2 = 14, ihl, tot, doff;
	const uint8_t *ip, *tcp;

	memset(seg, 0, sizeof(*seg));
	seg->vlan = -1;
	if (len < 54)
		return;
	memcpy(seg->dst_mac, buf, 6);
	memcpy(seg->src_mac, buf + 6, 6);
	if (fb_get16(buf + 12) == 0x8100) {
		seg->vlan = (int)(fb_get16(buf + 14) & 0xfff);
		l2 = 18;
	}
	if (fb_get16(buf + l2 - 2) != 0x0800)
		return;
	ip = buf + l2;
	ihl = (ip[0] & 15u) * 4;
	tot = fb_get16(ip + 2);
	if (ip[0] >> 4 != 4 || ihl < 20 || l2 + tot > len || ip[9] != 6 || fb_csum(ip, ihl, 0))
		return;
	tcp = ip + ihl;
	doff = (size_t)(tcp[12] >> 4) * 4;
	seg->src_ip = fb_get32(ip + 12);
	seg->dst_ip = fb_get32(ip + 16);
	seg->ttl = ip[8];
	if (doff < 20 || ihl + doff > tot ||
	    fb_csum(tcp, tot - ihl, pseudo_sum(seg->src_ip, seg->dst_ip, tot - ihl)))
		return;
	seg->src_port = (uint16_t)fb_get16(tcp);
	seg->dst_port = (uint16_t)fb_get16(tcp + 2);
	seg->seq = fb_get32(tcp + 4);
	seg->ack = fb_get32(tcp + 8);
	seg->flags = tcp[13];
	seg->wnd = (uint16_t)fb_get16(tcp + 14);
	for (size_t i = 20; i + 3 < doff; i++) {
		if (tcp[i] == 2 && tcp[i + 1] == 4) {
			seg->mss = (uint16_t)fb_get16(tcp + i + 2);
			break;
		}
		if (tcp[i] == 0)
			break;
		if (tcp[i] != 1)
			i += tcp[i + 1] ? tcp[i + 1] - 1u : doff;
	}
	seg->payload = tcp + doff;
	seg->len = tot - ihl - doff;
	seg->ok = 1;
}
