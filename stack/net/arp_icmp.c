#include "arp_icmp.h"

#include <string.h>

#include "csum.h"
#include "tcp/tcp.h"

#define ARP_LEN 28 /* Ethernet/IPv4 ARP (RFC 826) */
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ETH_MIN_FRAME 60 /* without the FCS */

static const uint8_t arp_eth_ipv4[6] = { 0, 1, 8, 0, 6, 4 }; /* htype, ptype, hlen, plen */

int stack_owns(const struct stack *s, uint32_t addr)
{
	for (uint32_t i = 0; i < s->n_addrs; i++)
		if (s->addrs[i] == addr)
			return 1;
	return 0;
}

enum stack_verdict arp_input(struct stack *s, struct mbx_frame *f, uint32_t l2)
{
	uint8_t *eth = f->data, *arp = eth + l2;
	uint32_t target;

	if (f->len < l2 + ARP_LEN || memcmp(arp, arp_eth_ipv4, 6) || arp[6] != 0 ||
	    arp[7] != ARP_REQUEST) {
		s->ctr.drop_arp_not_request++;
		return STACK_DROP;
	}
	memcpy(&target, arp + 24, 4);
	if (!stack_owns(s, target)) {
		s->ctr.drop_arp_not_ours++;
		return STACK_DROP;
	}
	/* The reply goes to the asker's hardware address: no cache needed. */
	memcpy(eth, arp + 8, 6);
	memcpy(eth + 6, s->mac, 6);
	arp[7] = ARP_REPLY;
	memcpy(arp + 18, arp + 8, 10); /* target := the asker (hardware, protocol) */
	memcpy(arp + 8, s->mac, 6); /* sender := us */
	memcpy(arp + 14, &target, 4);
	s->ctr.tx_arp_reply++;
	s->tx.put(s->tx.arg, f);
	return STACK_SENT;
}

uint32_t stack_arp_announce(const struct stack *s, uint32_t i, uint8_t *buf, uint32_t room)
{
	if (i >= s->n_addrs || room < ETH_MIN_FRAME)
		return 0;
	memset(buf, 0, ETH_MIN_FRAME);
	memset(buf, 0xff, 6); /* broadcast */
	memcpy(buf + 6, s->mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x06;
	memcpy(buf + 14, arp_eth_ipv4, 6);
	buf[21] = ARP_REQUEST; /* an announcement is a request (RFC 5227 2.3) */
	memcpy(buf + 22, s->mac, 6);
	memcpy(buf + 28, &s->addrs[i], 4);
	memcpy(buf + 38, &s->addrs[i], 4); /* target = sender; target hardware 0 */
	return ETH_MIN_FRAME;
}

enum stack_verdict icmp_input(struct stack *s, struct mbx_frame *f, uint32_t l2, uint32_t ihl,
			      uint32_t tot)
{
	uint8_t *ip = f->data + l2, *icmp = ip + ihl;
	uint32_t len = tot - ihl, saddr, daddr;
	uint16_t c;

	if (len < 8 || csum_fold(csum_add(0, icmp, len)) != 0) {
		s->ctr.drop_icmp_bad++;
		return STACK_DROP;
	}
	if (icmp[0] != ICMP_ECHO_REQUEST || icmp[1] != 0) {
		s->ctr.drop_icmp_not_echo++;
		return STACK_DROP;
	}
	frame_swap_l2(f->data);
	/* Options of the request are not echoed: the message moves up to a
	 * plain 20-byte header. */
	if (ihl != IP_HDR_LEN)
		memmove(ip + IP_HDR_LEN, icmp, len);
	icmp = ip + IP_HDR_LEN;
	icmp[0] = ICMP_ECHO_REPLY;
	icmp[2] = icmp[3] = 0;
	c = csum_fold(csum_add(0, icmp, len));
	memcpy(icmp + 2, &c, 2);
	memcpy(&saddr, ip + 12, 4);
	memcpy(&daddr, ip + 16, 4);
	ip[0] = 0x45;
	ip[1] = 0;
	ip[2] = (uint8_t)((IP_HDR_LEN + len) >> 8);
	ip[3] = (uint8_t)(IP_HDR_LEN + len);
	ip[4] = ip[5] = 0; /* identification 0 with DF: RFC 6864 4.1 */
	ip[6] = 0x40;
	ip[7] = 0;
	ip[8] = 64;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &daddr, 4);
	memcpy(ip + 16, &saddr, 4);
	c = csum_fold(csum_add(0, ip, IP_HDR_LEN));
	memcpy(ip + 10, &c, 2);
	f->len = l2 + IP_HDR_LEN + len;
	s->ctr.tx_icmp_echo_reply++;
	s->tx.put(s->tx.arg, f);
	return STACK_SENT;
}
