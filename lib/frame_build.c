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

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define NH_ICMP6 58

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, size_t tcp_len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + (uint32_t)tcp_len;
}

/* RFC 8200 8.1: the addresses at ip + 8 (source, destination), the
 * upper-layer length and next header. */
static uint32_t pseudo_sum6(const uint8_t *ip, size_t len, uint8_t nh)
{
	uint32_t sum = nh + (uint32_t)len;

	for (int i = 8; i < 40; i += 2)
		sum += fb_get16(ip + i);
	return sum;
}

/* Ethernet from fl's client to its server, with fl's tag, of ethertype
 * type; returns the header's length. */
static size_t put_l2(uint8_t *buf, const struct fb_flow *fl, const uint8_t dst_mac[6], uint32_t type)
{
	size_t l2 = fl->vlan >= 0 ? 18 : 14;

	memcpy(buf, dst_mac, 6);
	memcpy(buf + 6, fl->client_mac, 6);
	if (fl->vlan >= 0) {
		fb_put16(buf + 12, 0x8100);
		fb_put16(buf + 14, (uint32_t)fl->vlan);
	}
	fb_put16(buf + l2 - 2, type);
	return l2;
}

/* Ethernet and a 40-byte IPv6 header from fl's client to dst with hop
 * limit hops, carrying l4_len bytes of next header nh; returns the IPv6
 * header. */
static uint8_t *put_l2_ip6(uint8_t *buf, const struct fb_flow *fl, const uint8_t dst_mac[6],
			   const uint8_t dst[16], uint8_t hops, uint8_t nh, size_t l4_len)
{
	uint8_t *ip = buf + put_l2(buf, fl, dst_mac, ETH_P_IPV6);

	memset(ip, 0, 8);
	ip[0] = 0x60;
	fb_put16(ip + 4, (uint32_t)l4_len);
	ip[6] = nh;
	ip[7] = hops;
	memcpy(ip + 8, fl->client_ip6, 16);
	memcpy(ip + 24, dst, 16);
	return ip;
}

/* Ethernet (with fl's tag) and an IP header from client to server
 * carrying l4_len bytes of protocol proto: IPv4's of 20 bytes, or IPv6's
 * for an IPv6 flow; returns the IP header. */
static uint8_t *put_l2_l3(uint8_t *buf, const struct fb_flow *fl, uint8_t proto, size_t l4_len)
{
	uint8_t *ip;

	if (fl->v6)
		return put_l2_ip6(buf, fl, fl->server_mac, fl->server_ip6, 64, proto, l4_len);
	ip = buf + put_l2(buf, fl, fl->server_mac, ETH_P_IPV4);
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
	uint8_t *ip = put_l2_l3(buf, fl, 6, tcp_len), *tcp = ip + (fl->v6 ? 40 : 20);

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
	fb_put16(tcp + 16, fb_csum(tcp, tcp_len, fl->v6 ? pseudo_sum6(ip, tcp_len, 6) :
				   pseudo_sum(fl->client_ip, fl->server_ip, tcp_len)));
	return (size_t)(tcp - buf) + tcp_len;
}

size_t fb_icmp_echo(uint8_t *buf, const struct fb_flow *fl, uint16_t id, uint16_t sequence,
		    size_t len)
{
	uint8_t *ip = put_l2_l3(buf, fl, fl->v6 ? NH_ICMP6 : 1, 8 + len), *icmp = ip + (fl->v6 ? 40 : 20);

	icmp[0] = fl->v6 ? 128 : 8;
	icmp[1] = 0;
	fb_put16(icmp + 2, 0);
	fb_put16(icmp + 4, id);
	fb_put16(icmp + 6, sequence);
	for (size_t i = 0; i < len; i++)
		icmp[8 + i] = (uint8_t)i;
	fb_put16(icmp + 2, fb_csum(icmp, 8 + len, fl->v6 ? pseudo_sum6(ip, 8 + len, NH_ICMP6) : 0));
	return (size_t)(icmp - buf) + 8 + len;
}

size_t fb_nd_solicit(uint8_t *buf, const struct fb_flow *fl, const uint8_t target[16])
{
	static const uint8_t unspecified[16];
	/* RFC 4291 2.7.1 and RFC 2464 7: ff02::1:ffXX:XXXX, 33:33:ff:XX:XX:XX */
	uint8_t group[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff }, mac[6] = { 0x33, 0x33, 0xff };
	int dad = !memcmp(fl->client_ip6, unspecified, 16);
	size_t len = dad ? 24 : 32;
	uint8_t *ip, *ns;

	memcpy(group + 13, target + 13, 3);
	memcpy(mac + 3, target + 13, 3);
	ip = put_l2_ip6(buf, fl, mac, group, 255, NH_ICMP6, len);
	ns = ip + 40;
	memset(ns, 0, len);
	ns[0] = 135;
	memcpy(ns + 8, target, 16);
	if (!dad) {
		ns[24] = 1; /* source link-layer address, 8 bytes */
		ns[25] = 1;
		memcpy(ns + 26, fl->client_mac, 6);
	}
	fb_put16(ns + 2, fb_csum(ns, len, pseudo_sum6(ip, len, NH_ICMP6)));
	return (size_t)(ns - buf) + len;
}

size_t fb_nd_advert(uint8_t *buf, const struct fb_flow *fl, const uint8_t dst_mac[6],
		    const uint8_t dst[16])
{
	uint8_t *ip = put_l2_ip6(buf, fl, dst_mac, dst, 255, NH_ICMP6, 32), *na = ip + 40;

	memset(na, 0, 32);
	na[0] = 136;
	na[4] = 0x60; /* solicited, override */
	memcpy(na + 8, fl->client_ip6, 16);
	na[24] = 2; /* target link-layer address, 8 bytes */
	na[25] = 1;
	memcpy(na + 26, fl->client_mac, 6);
	fb_put16(na + 2, fb_csum(na, 32, pseudo_sum6(ip, 32, NH_ICMP6)));
	return (size_t)(na - buf) + 32;
}

size_t fb_ip6_insert_ext(uint8_t *buf, size_t len, uint8_t nh, const uint8_t *hdr, size_t hdr_len)
{
	size_t l2 = fb_get16(buf + 12) == 0x8100 ? 18 : 14;
	uint8_t *ip = buf + l2;

	memmove(ip + 40 + hdr_len, ip + 40, len - l2 - 40);
	memcpy(ip + 40, hdr, hdr_len);
	ip[40] = ip[6];
	ip[6] = nh;
	fb_put16(ip + 4, fb_get16(ip + 4) + (uint32_t)hdr_len);
	return len + hdr_len;
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
	ip = buf + l2;
	if (fb_get16(buf + l2 - 2) == ETH_P_IPV6) {
		/* The stack's replies carry no extension headers. */
		ihl = 40;
		tot = 40 + fb_get16(ip + 4);
		if (ip[0] >> 4 != 6 || l2 + 60 > len || l2 + tot > len || ip[6] != 6)
			return;
		seg->v6 = 1;
		memcpy(seg->src_ip6, ip + 8, 16);
		memcpy(seg->dst_ip6, ip + 24, 16);
		seg->ttl = ip[7];
	} else {
		ihl = (ip[0] & 15u) * 4;
		tot = fb_get16(ip + 2);
		if (fb_get16(buf + l2 - 2) != ETH_P_IPV4 || ip[0] >> 4 != 4 || ihl < 20 ||
		    l2 + tot > len || ip[9] != 6 || fb_csum(ip, ihl, 0))
			return;
		seg->src_ip = fb_get32(ip + 12);
		seg->dst_ip = fb_get32(ip + 16);
		seg->ttl = ip[8];
	}
	tcp = ip + ihl;
	doff = tot >= ihl + 20 ? (size_t)(tcp[12] >> 4) * 4 : 0;
	if (doff < 20 || ihl + doff > tot ||
	    fb_csum(tcp, tot - ihl, seg->v6 ? pseudo_sum6(ip, tot - ihl, 6) :
		    pseudo_sum(seg->src_ip, seg->dst_ip, tot - ihl)))
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

void fb_parse_icmp6(const uint8_t *buf, size_t len, struct fb_icmp6 *m)
{
	size_t l2 = len >= 14 && fb_get16(buf + 12) == 0x8100 ? 18 : 14;
	const uint8_t *ip = buf + l2;

	memset(m, 0, sizeof(*m));
	if (len < l2 + 48 || fb_get16(buf + l2 - 2) != ETH_P_IPV6 || ip[0] >> 4 != 6 ||
	    ip[6] != NH_ICMP6)
		return;
	m->len = fb_get16(ip + 4);
	if (m->len < 8 || l2 + 40 + m->len > len || fb_csum(ip + 40, m->len, pseudo_sum6(ip, m->len, NH_ICMP6)))
		return;
	m->type = ip[40];
	m->hop_limit = ip[7];
	m->ok = 1;
}
