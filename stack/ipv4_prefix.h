/* The one parser of IPv4 prefixes as users write them ("198.18.0.0/24", or
 * a bare address meaning /32): the command line (--address, --allow-source,
 * --priority-source) and the device model's allow/read-only lists all read
 * them here, each keeping its own representation and limits. */
#ifndef MBX_IPV4_PREFIX_H
#define MBX_IPV4_PREFIX_H

#include <arpa/inet.h>
#include <stdint.h>

struct ipv4_prefix {
	uint32_t addr; /* network order, as written (bits beyond len not cleared) */
	uint8_t len; /* 0..32 */
};

/* Parses "A.B.C.D" or "A.B.C.D/N". Returns NULL, or what is wrong with s
 * ("not an IPv4 address", "the prefix length ... is not 0..32") for the caller's
 * message. */
const char *ipv4_prefix_parse(const char *s, struct ipv4_prefix *p);

/* The netmask of a prefix length, network order. */
static inline uint32_t ipv4_prefix_mask(uint8_t len)
{
	return htonl(len ? ~0u << (32 - len) : 0);
}

#endif
