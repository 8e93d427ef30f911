#include "bypass_neigh.h"

#include <arpa/inet.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "csum.h"

#define ARP_LEN 28 /* Ethernet/IPv4 (RFC 826) */
#define ICMP6_NS 135
#define ICMP6_NA 136
#define ND_MSG_LEN 24 /* type, code, checksum, flags or reserved, target (RFC 4861 4.3, 4.4) */
#define ND_OPT_SLLA 1 /* source link-layer address (RFC 4861 4.6.1) */
#define ND_OPT_TLLA 2 /* target link-layer address */
#define ND_HOP_LIMIT 255 /* sent so, and an answer with another is not valid (RFC 4861 7.1.2) */

/* The request, broadcast, padded to Ethernet's 60-byte minimum. */
static uint32_t arp_request(uint8_t *b, const uint8_t mac[6], const uint8_t *sip,
			    const uint8_t *tip)
{
	memset(b, 0, 60);
	memset(b, 0xff, 6);
	memcpy(b + 6, mac, 6);
	b[12] = ETHERTYPE_ARP >> 8, b[13] = ETHERTYPE_ARP & 0xff;
	uint8_t *a = b + ETHER_HDR_LEN;
	a[1] = 1; /* hardware: Ethernet */
	a[2] = 0x08; /* protocol: IPv4 */
	a[4] = 6, a[5] = 4;
	a[7] = 1; /* request */
	memcpy(a + 8, mac, 6);
	memcpy(a + 14, sip, 4);
	memcpy(a + 24, tip, 4);
	return 60;
}

/* An Ethernet/IPv4 ARP reply from tip to sip (untagged). */
static int arp_is_reply(const struct mbx_frame *f, const uint8_t *sip, const uint8_t *tip,
			uint8_t out[6])
{
	const uint8_t *b = f->data, *a = b + ETHER_HDR_LEN;
	static const uint8_t head[8] = { 0, 1, 0x08, 0, 6, 4, 0, 2 };

	if (f->len < ETHER_HDR_LEN + ARP_LEN || b[12] != ETHERTYPE_ARP >> 8 ||
	    b[13] != (ETHERTYPE_ARP & 0xff) || memcmp(a, head, sizeof(head)) ||
	    memcmp(a + 14, tip, 4) || memcmp(a + 24, sip, 4))
		return 0;
	memcpy(out, a + 8, 6);
	return 1;
}

/* A Neighbor Solicitation for tip to its solicited-node multicast address
 * (RFC 4291 2.7.1), with our MAC as the source link-layer option, which a
 * solicitation from a unicast source carries on Ethernet (RFC 4861 4.3) and
 * from which the target learns ours at once. */
static uint32_t nd_solicit(uint8_t *b, const uint8_t mac[6], const uint8_t *sip,
			   const uint8_t *tip)
{
	static const uint8_t snm[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
	uint8_t *ip = b + ETHER_HDR_LEN, *m = ip + IP6_HDR_LEN;
	const uint32_t len = ND_MSG_LEN + 8;

	memset(b, 0, ETHER_HDR_LEN + IP6_HDR_LEN + len);
	b[0] = 0x33, b[1] = 0x33, b[2] = 0xff; /* RFC 2464 7: 33:33 and the low 32 bits */
	memcpy(b + 3, tip + 13, 3);
	memcpy(b + 6, mac, 6);
	b[12] = ETHERTYPE_IPV6 >> 8, b[13] = ETHERTYPE_IPV6 & 0xff;
	ip[0] = 0x60;
	ip[5] = (uint8_t)len;
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = ND_HOP_LIMIT;
	memcpy(ip + 8, sip, 16);
	memcpy(ip + 24, snm, sizeof(snm));
	memcpy(ip + 24 + sizeof(snm), tip + 13, 3);
	m[0] = ICMP6_NS;
	memcpy(m + 8, tip, 16);
	m[ND_MSG_LEN] = ND_OPT_SLLA;
	m[ND_MSG_LEN + 1] = 1; /* in 8-byte units */
	memcpy(m + ND_MSG_LEN + 2, mac, 6);
	uint16_t c = csum_fold(csum_add(csum_ip6_pseudo(csum_ip6_addrs(ip + 8, ip + 24), len, IPPROTO_ICMPV6), m, len));
	memcpy(m + 2, &c, 2);
	return ETHER_HDR_LEN + IP6_HDR_LEN + len;
}

/* A valid Neighbor Advertisement (RFC 4861 7.1.2: hop limit 255, code 0,
 * checksum, options of non-zero length) of tip to sip, untagged and without
 * extension headers, with the target's link-layer option: the answer to a
 * multicast solicitation carries it (7.2.4). */
static int nd_is_advert(const struct mbx_frame *f, const uint8_t *sip, const uint8_t *tip,
			uint8_t out[6])
{
	const uint8_t *b = f->data, *ip = b + ETHER_HDR_LEN, *m = ip + IP6_HDR_LEN;
	uint32_t len;

	if (f->len < ETHER_HDR_LEN + IP6_HDR_LEN + ND_MSG_LEN || b[12] != ETHERTYPE_IPV6 >> 8 ||
	    b[13] != (ETHERTYPE_IPV6 & 0xff) || ip[0] >> 4 != 6 || ip[6] != IPPROTO_ICMPV6 ||
	    ip[7] != ND_HOP_LIMIT || memcmp(ip + 24, sip, 16))
		return 0;
	len = (uint32_t)ip[4] << 8 | ip[5];
	if (len < ND_MSG_LEN || len > f->len - ETHER_HDR_LEN - IP6_HDR_LEN || m[0] != ICMP6_NA ||
	    m[1] != 0 || memcmp(m + 8, tip, 16) ||
	    csum_fold(csum_add(csum_ip6_pseudo(csum_ip6_addrs(ip + 8, ip + 24), len, IPPROTO_ICMPV6), m, len)) != 0)
		return 0;
	/* Each option takes at least 8 bytes, so the walk ends. */
	for (uint32_t off = ND_MSG_LEN; off + 8 <= len && m[off + 1];) {
		uint32_t olen = m[off + 1] * 8u;

		if (m[off] == ND_OPT_TLLA && olen == 8) {
			memcpy(out, m + off + 2, 6);
			return 1;
		}
		off += olen;
	}
	return 0;
}

int neigh_resolve(struct mbx_port *const *ports, uint32_t n, const uint8_t mac[6], int family,
		  const uint8_t *sip, const uint8_t *tip, uint8_t out[6], char *err, size_t errlen)
{
	int v6 = family == AF_INET6;
	char text[INET6_ADDRSTRLEN];

	for (int t = 0; t < NEIGH_TRIES; t++) {
		struct mbx_frame f;

		if (mbx_port_alloc(ports[0], &f) == 0) {
			f.len = v6 ? nd_solicit(f.data, mac, sip, tip) : arp_request(f.data, mac, sip, tip);
			mbx_port_tx(ports[0], &f, 1);
		}
		for (uint64_t until = now_ns() + NEIGH_WAIT_MS * 1000000ull; now_ns() < until;) {
			int found = 0;

			for (uint32_t q = 0; q < n; q++) {
				struct mbx_frame rx[MBX_BURST];
				uint32_t got = mbx_port_rx(ports[q], rx, MBX_BURST);

				for (uint32_t i = 0; i < got && !found; i++)
					found = v6 ? nd_is_advert(&rx[i], sip, tip, out)
						   : arp_is_reply(&rx[i], sip, tip, out);
				mbx_port_release(ports[q], rx, got);
			}
			if (found)
				return 0;
			nanosleep(&(struct timespec){ 0, 100000 }, NULL);
		}
	}
	inet_ntop(family, tip, text, sizeof(text));
	snprintf(err, errlen, "no %s from %s after %d %s %d ms apart (is it on the link?)",
		 v6 ? "Neighbor Advertisement" : "ARP reply", text, NEIGH_TRIES,
		 v6 ? "solicitations" : "requests", NEIGH_WAIT_MS);
	return -1;
}
