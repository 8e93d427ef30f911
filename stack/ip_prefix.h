/* The one parser of IP prefixes as users write them, of either family:
 * "198.18.0.0/24", "2001:2::/48", or a bare address meaning /32 or /128.
 * The command line (--address, --allow-source, --priority-source) and the
 * device model (servers' addresses, allow and read-only lists) all read
 * them here, each keeping its own representation and limits. */
#ifndef MBX_IP_PREFIX_H
#define MBX_IP_PREFIX_H

#include <arpa/inet.h>
#include <stdint.h>

struct ip_prefix {
	int family; /* AF_INET or AF_INET6 */
	/* As written: bits beyond len are not cleared (whether they are an
	 * error or cleared is the caller's). */
	union {
		uint32_t v4; /* network order */
		uint8_t v6[16]; /* as on the wire */
	} addr;
	uint8_t len; /* 0..32, or 0..128 */
};

/* Parses "A.B.C.D", "A.B.C.D/N", an IPv6 address as inet_pton(3) reads it
 * ("2001:2::5") or one with "/N". Returns NULL, or what is wrong with s for
 * the caller's one-line message: "not an IPv4 address", "not an IPv6
 * address" (s has a ':'), "the prefix length after '/' is not 0..32" (or
 * 0..128), or that an IPv4-mapped IPv6 address (::ffff:A.B.C.D, never on
 * the wire: RFC 4291 2.5.5.2) is to be written as the IPv4 address. */
const char *ip_prefix_parse(const char *s, struct ip_prefix *p);

/* Whether bits beyond the length are set (198.18.1.5/24). */
int ip_prefix_host_bits(const struct ip_prefix *p);

/* Clears them (198.18.1.5/24 becomes 198.18.1.0/24). */
void ip_prefix_clear_host(struct ip_prefix *p);

/* Why an IPv6 address cannot be one a server answers on (a multicast or
 * the unspecified address, RFC 4291 2.5.2, 2.7), or NULL. */
const char *ip6_unicast_problem(const uint8_t addr[16]);

/* The netmask of an IPv4 prefix length, network order. */
static inline uint32_t ip_prefix_mask4(uint8_t len)
{
	return htonl(len ? ~0u << (32 - len) : 0);
}

/* Whether addr lies in the IPv6 prefix net/len (net with no bits beyond
 * len). */
static inline int ip6_prefix_covers(const uint8_t net[16], uint8_t len, const uint8_t addr[16])
{
	uint32_t i = 0;

	for (; len >= 8; len = (uint8_t)(len - 8), i++)
		if (addr[i] != net[i])
			return 0;
	return !len || ((addr[i] ^ net[i]) & (uint8_t)(0xFF00u >> len)) == 0;
}

#endif
