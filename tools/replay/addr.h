/* The replay's addresses, of either family, in one type: an IPv6 address,
 * or an IPv4 one as an IPv4-mapped IPv6 address (RFC 4291 2.5.5.2), so one
 * compare, one hash and one field serve flows of both families. */
#ifndef MBX_REPLAY_ADDR_H
#define MBX_REPLAY_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rp_addr {
	uint8_t b[16]; /* network order */
};

/* The families as indexes, for what a target keeps per family. */
enum { RP_V4, RP_V6 };

#define RP_ADDR_STR 46 /* INET6_ADDRSTRLEN */

static inline int rp_family(const struct rp_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a->b, mapped, 12) ? RP_V6 : RP_V4;
}

/* An IPv4 address in host order. */
static inline struct rp_addr rp_addr4(uint32_t ip)
{
	struct rp_addr a = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, (uint8_t)(ip >> 24),
			       (uint8_t)(ip >> 16), (uint8_t)(ip >> 8), (uint8_t)ip } };

	return a;
}

/* The IPv4 address of an RP_V4 one, in host order. */
static inline uint32_t rp_ip4(const struct rp_addr *a)
{
	return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 |
	       a->b[15];
}

static inline struct rp_addr rp_addr6(const uint8_t *b)
{
	struct rp_addr a;

	memcpy(a.b, b, 16);
	return a;
}

static inline int rp_addr_eq(const struct rp_addr *x, const struct rp_addr *y)
{
	return !memcmp(x->b, y->b, 16);
}

/* Dotted for IPv4, RFC 5952 text for IPv6; buf has RP_ADDR_STR bytes. */
char *rp_addr_str(const struct rp_addr *a, char *buf);
/* An address of either family in text; 0, or -1 when s is neither. */
int rp_addr_parse(const char *s, struct rp_addr *a);
/* "ADDR:PORT", or "[ADDR]:PORT" for IPv6 (RFC 5952 6); buf has
 * RP_ADDR_STR + 8 bytes. */
char *rp_endpoint_str(const struct rp_addr *a, uint16_t port, char *buf);

#endif
