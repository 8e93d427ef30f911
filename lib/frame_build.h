/* Builds and reads Ethernet/IPv4/TCP and Ethernet/IPv6/TCP frames, and
 * builds ICMP and ICMPv6 echo requests and Neighbor Solicitations, for the
 * tests, the benchmarks and the replay tool. Deliberately
 * independent of the stack's own code (its own RFC 1071 checksum, its own
 * parsing), so a test checks the stack against a
 * second implementation rather than against itself. */
#ifndef MBX_FRAME_BUILD_H
#define MBX_FRAME_BUILD_H

#include <stddef.h>
#include <stdint.h>

#define FB_FIN 0x01
#define FB_SYN 0x02
#define FB_RST 0x04
#define FB_PSH 0x08
#define FB_ACK 0x10

/* One client talking to the server; addresses and ports in host order. */
struct fb_flow {
	uint8_t client_mac[6];
	uint8_t server_mac[6];
	uint32_t client_ip;
	uint32_t server_ip;
	uint16_t client_port;
	uint16_t server_port;
	int vlan; /* 802.1Q VLAN id, or -1 for an untagged frame */
	/* IPv6 (RFC 8200, hop limit 64) between these addresses instead of
	 * IPv4 between client_ip and server_ip. */
	int v6;
	uint8_t client_ip6[16], server_ip6[16];
};

/* A client-to-server segment. opts (a multiple of 4 bytes) follows the
 * header. Returns the frame length. */
size_t fb_tcp(uint8_t *buf, const struct fb_flow *fl, uint32_t seq, uint32_t ack, uint8_t flags,
	      uint16_t wnd, const uint8_t *opts, size_t opt_len, const void *payload,
	      size_t len);

/* A client-to-server ICMP echo request (RFC 792, type 8; over IPv6 RFC
 * 4443's, type 128) with len bytes of data 0, 1, 2, ... Returns the frame
 * length. */
size_t fb_icmp_echo(uint8_t *buf, const struct fb_flow *fl, uint16_t id, uint16_t sequence,
		    size_t len);

/* A Neighbor Solicitation for target (RFC 4861 4.3) from fl's client to
 * target's solicited-node group, hop limit 255, with the source
 * link-layer address option; without it when the client's address is ::
 * (duplicate address detection). fl must be IPv6. Returns the frame
 * length. */
size_t fb_nd_solicit(uint8_t *buf, const struct fb_flow *fl, const uint8_t target[16]);

/* A Neighbor Advertisement for fl's client address (RFC 4861 4.4), the
 * answer to a Solicitation from dst (its MAC dst_mac): solicited and
 * override set, hop limit 255, with the target link-layer address option
 * (fl's client MAC). fl must be IPv6. Returns the frame length. */
size_t fb_nd_advert(uint8_t *buf, const struct fb_flow *fl, const uint8_t dst_mac[6],
		    const uint8_t dst[16]);

/* Puts an extension header of type nh (RFC 8200 4: hop-by-hop 0, routing
 * 43, fragment 44, destination options 60), hdr_len bytes from hdr whose
 * first byte is overwritten with the next header, right after the IPv6
 * header of the frame of len bytes in buf (room enough); the upper layer
 * and its checksum stay as they were. Returns the new frame length. */
size_t fb_ip6_insert_ext(uint8_t *buf, size_t len, uint8_t nh, const uint8_t *hdr, size_t hdr_len);

struct fb_seg {
	int ok; /* parsed, and the checksums (IPv4's and TCP's) verified */
	int vlan;
	uint8_t dst_mac[6], src_mac[6];
	int v6; /* IPv6, with TCP right after its header: src_ip6, dst_ip6 */
	uint32_t src_ip, dst_ip;
	uint8_t src_ip6[16], dst_ip6[16];
	uint16_t src_port, dst_port;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	uint16_t mss; /* MSS option, 0 if none */
	uint8_t ttl; /* IPv6: the hop limit */
	const uint8_t *payload;
	size_t len;
};

/* Reads a server-to-client frame; seg->ok says whether it is well formed. */
void fb_parse(const uint8_t *buf, size_t len, struct fb_seg *seg);

/* A server-to-client ICMPv6 message, right after the IPv6 header. */
struct fb_icmp6 {
	int ok; /* parsed, inside the frame, its checksum verified */
	uint8_t type, hop_limit;
	size_t len; /* the message's bytes */
};

void fb_parse_icmp6(const uint8_t *buf, size_t len, struct fb_icmp6 *m);

/* Big-endian (network order) fields, byte by byte. */
static inline void fb_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void fb_put32(uint8_t *p, uint32_t v)
{
	fb_put16(p, v >> 16);
	fb_put16(p + 2, v);
}

static inline uint32_t fb_get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t fb_get32(const uint8_t *p)
{
	return fb_get16(p) << 16 | fb_get16(p + 2);
}

/* RFC 1071 checksum, the plain way: 16-bit big-endian words. */
uint16_t fb_csum(const uint8_t *p, size_t len, uint32_t initial);

#endif
