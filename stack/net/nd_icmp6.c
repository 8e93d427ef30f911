#include "nd_icmp6.h"

#include <string.h>

#include "csum.h"

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_OPT_SOURCE_LL 1
#define ND_OPT_TARGET_LL 2
#define ND_NS_LEN 24 /* type .. target */
#define ND_NA_LEN 32 /* type .. target, one target link-layer option */
#define ND_NA_SOLICITED 0x40
#define ND_NA_OVERRIDE 0x20
#define IP6_NH_ICMP6 58

/* ff02::1:ff00:0/104 (RFC 4291 2.7.1) */
static const uint8_t solicited_prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };
static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };

int stack_owns6(const struct stack *s, const uint8_t addr[16])
{
	for (uint32_t i = 0; i < s->n_addrs6; i++)
		if (addr6_equal(s->addrs6[i], addr))
			return 1;
	return 0;
}

int stack_solicited6(const struct stack *s, const uint8_t addr[16])
{
	if (memcmp(addr, solicited_prefix, sizeof(solicited_prefix)) != 0)
		return 0;
	for (uint32_t i = 0; i < s->n_addrs6; i++)
		if (memcmp(s->addrs6[i] + 13, addr + 13, 3) == 0)
			return 1;
	return 0;
}

/* The ICMPv6 checksum of len bytes at msg, in the packet ip (RFC 4443 2.3):
 * 0 when a received one is right, or the value to store in a reply whose
 * checksum field is 0. */
static uint16_t icmp6_csum(const uint8_t *ip, const uint8_t *msg, uint32_t len)
{
	return csum_fold(
		csum_add(csum_ip6_pseudo(csum_ip6_addrs(ip + 8, ip + 24), len, IP6_NH_ICMP6), msg, len));
}

/* Sends the message of len bytes now at ip + 40, from src to dst with hop
 * limit hops, its checksum filled in. */
static void icmp6_send(struct stack *s, struct mbx_frame *f, uint32_t l2, const uint8_t src[16],
		       const uint8_t dst[16], uint8_t hops, uint32_t len)
{
	uint8_t *ip = f->data + l2, *msg = ip + IP6_HDR_LEN, tmp[32];
	uint16_t c;

	memcpy(tmp, src, 16); /* src and dst may be the packet's own */
	memcpy(tmp + 16, dst, 16);
	memset(ip, 0, 8);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(len >> 8);
	ip[5] = (uint8_t)len;
	ip[6] = IP6_NH_ICMP6;
	ip[7] = hops;
	memcpy(ip + 8, tmp, 32);
	msg[2] = msg[3] = 0;
	c = icmp6_csum(ip, msg, len);
	memcpy(msg + 2, &c, 2);
	f->len = l2 + IP6_HDR_LEN + len;
	s->tx.put(s->tx.arg, f);
}

/* RFC 4443 4.2: the reply carries the request's identifier, sequence
 * number and data; our address is the one it was sent to (unicast: a
 * multicast echo is not ours to answer, frame_in.c). */
static enum stack_verdict echo_reply(struct stack *s, struct mbx_frame *f, uint32_t l2,
				     uint8_t *msg, uint32_t len)
{
	uint8_t *ip = f->data + l2;

	if (msg != ip + IP6_HDR_LEN) /* extension headers go: the reply has none */
		memmove(ip + IP6_HDR_LEN, msg, len);
	ip[IP6_HDR_LEN] = ICMP6_ECHO_REPLY;
	frame_swap_l2(f->data);
	memcpy(f->data + 6, s->mac, 6); /* ours, whatever the request was sent to */
	s->ctr.tx_icmp6_echo_reply++;
	icmp6_send(s, f, l2, ip + 24, ip + 8, 64, len);
	return STACK_SENT;
}

/* RFC 4861 7.1.1's checks of a solicitation, and 7.2.4's answer: from the
 * target, with our link-layer address; to the asker (Solicited set), or
 * to all nodes when it asked from :: to detect a duplicate (RFC 4862
 * 5.4.3: Solicited clear). Override set: the address is ours alone. */
static enum stack_verdict neighbor_advert(struct stack *s, struct mbx_frame *f, uint32_t l2,
					  const uint8_t *msg, uint32_t len)
{
	uint8_t *eth = f->data, *ip = eth + l2, *na = ip + IP6_HDR_LEN, target[16];
	static const uint8_t unspecified[16];
	int dad = memcmp(ip + 8, unspecified, 16) == 0;

	if (ip[7] != 255 || msg[1] != 0 || len < ND_NS_LEN || msg[8] == 0xff) {
		s->ctr.drop_nd_bad++;
		return STACK_DROP;
	}
	for (uint32_t o = ND_NS_LEN; o < len; o += msg[o + 1] * 8u) {
		if (o + 2 > len || msg[o + 1] == 0 || o + msg[o + 1] * 8u > len ||
		    (dad && msg[o] == ND_OPT_SOURCE_LL)) {
			s->ctr.drop_nd_bad++;
			return STACK_DROP;
		}
	}
	memcpy(target, msg + 8, 16);
	if (!stack_owns6(s, target) ||
	    (dad && memcmp(ip + 24, solicited_prefix, sizeof(solicited_prefix)) != 0)) {
		s->ctr.drop_nd_bad++;
		return STACK_DROP;
	}
	if (f->room < l2 + IP6_HDR_LEN + ND_NA_LEN) {
		s->ctr.drop_no_tx_frame++;
		return STACK_DROP;
	}
	if (dad) {
		static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };

		memcpy(eth, all_nodes_mac, 6);
		memcpy(ip + 8, all_nodes, 16); /* the destination, below */
	} else {
		memcpy(eth, eth + 6, 6);
	}
	memcpy(eth + 6, s->mac, 6);
	memset(na, 0, ND_NA_LEN);
	na[0] = ND_NEIGHBOR_ADVERT;
	na[4] = dad ? ND_NA_OVERRIDE : ND_NA_SOLICITED | ND_NA_OVERRIDE;
	memcpy(na + 8, target, 16);
	na[24] = ND_OPT_TARGET_LL;
	na[25] = 1;
	memcpy(na + 26, s->mac, 6);
	s->ctr.tx_nd_advert++;
	icmp6_send(s, f, l2, target, ip + 8, 255, ND_NA_LEN);
	return STACK_SENT;
}

enum stack_verdict icmp6_input(struct stack *s, struct mbx_frame *f, uint32_t l2, uint32_t off,
			       uint32_t tot)
{
	uint8_t *ip = f->data + l2, *msg = ip + off;
	uint32_t len = tot - off;

	if (len < 8 || icmp6_csum(ip, msg, len) != 0) {
		s->ctr.drop_icmp6_bad++;
		return STACK_DROP;
	}
	if (msg[0] == ICMP6_ECHO_REQUEST && stack_owns6(s, ip + 24)) {
		static const uint8_t unspecified[16];

		/* Only a solicitation for duplicate address detection comes
		 * from :: (RFC 4291 2.5.2); an echo's reply would go nowhere. */
		if (addr6_equal(ip + 8, unspecified)) {
			s->ctr.drop_ip6_bad_source++;
			return STACK_DROP;
		}
		return echo_reply(s, f, l2, msg, len);
	}
	if (msg[0] == ND_NEIGHBOR_SOLICIT)
		return neighbor_advert(s, f, l2, msg, len);
	s->ctr.drop_icmp6_not_handled++;
	return STACK_DROP;
}
