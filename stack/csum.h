/* Internet checksum (RFC 1071) for IPv4 headers, TCP segments and ICMPv6.
 *
 * Frames are short (a Modbus request is ~66 bytes on the wire), so the sum is
 * a straight 64-bit accumulation of 32-bit words: no tables, no SIMD set-up
 * cost, and the compiler unrolls it well. */
#ifndef MBX_CSUM_H
#define MBX_CSUM_H

#include <stdint.h>
#include <string.h>

/* Adds len bytes at p to the running 64-bit sum (any alignment; an odd last
 * byte is padded with zero as RFC 1071 2.(1) says). */
static inline uint64_t csum_add(uint64_t sum, const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint64_t w;
	uint32_t h;

	/* 8 bytes a step with an end-around carry: 2^64 is 1 modulo 0xffff, so
	 * folding the 64-bit sum later gives the 16-bit one (RFC 1071 2.(C)). */
	while (len >= 8) {
		memcpy(&w, b, 8);
		sum += w;
		sum += sum < w;
		b += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&h, b, 4);
		sum += h;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t x;
		memcpy(&x, b, 2);
		sum += x;
		b += 2;
		len -= 2;
	}
	if (len)
		sum += *b; /* little-endian host: the byte is the high one on the wire */
	return sum;
}

/* Folds a running sum to the 16-bit one's complement of the one's complement
 * sum, in network byte order, ready to store in a header. */
static inline uint16_t csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32); /* at most 33 bits */
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The TCP pseudo-header sum (RFC 9293 3.1): addresses as stored in the IP
 * header (network order), protocol 6 and the TCP length. */
static inline uint64_t csum_tcp_pseudo(uint32_t saddr, uint32_t daddr, uint32_t tcp_len)
{
	/* Protocol and length are added as they would sit in big-endian words;
	 * on a little-endian host that is the byte-swapped value. */
	return (uint64_t)saddr + daddr + __builtin_bswap16(6) + __builtin_bswap16((uint16_t)tcp_len);
}

/* The IPv6 pseudo-header sum (RFC 8200 8.1): its addresses' part, the
 * same for a reply (the sum does not depend on their order), then with
 * the length of an upper-layer packet (below 65536: no jumbograms) and its
 * next header nh, TCP or ICMPv6 (RFC 4443 2.3). Length and next header are
 * 32-bit words whose high halves are zero, so each adds as its low half. */
static inline uint64_t csum_ip6_addrs(const uint8_t *saddr, const uint8_t *daddr)
{
	return csum_add(csum_add(0, saddr, 16), daddr, 16);
}

static inline uint64_t csum_ip6_pseudo(uint64_t addrs, uint32_t len, uint8_t nh)
{
	return addrs + __builtin_bswap16(nh) + __builtin_bswap16((uint16_t)len);
}

#endif
