#include "ip_prefix.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

const char *ip_prefix_parse(const char *s, struct ip_prefix *p)
{
	char text[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int v6 = memchr(s, ':', n) != NULL;
	const char *not_addr = v6 ? "not an IPv6 address" : "not an IPv4 address";
	const char *bad_len = v6 ? "the prefix length after '/' is not 0..128" :
				   "the prefix length after '/' is not 0..32";
	unsigned max = v6 ? 128 : 32, len = max;

	memset(p, 0, sizeof(*p));
	if (n >= sizeof(text))
		return not_addr;
	memcpy(text, s, n);
	text[n] = '\0';
	p->family = v6 ? AF_INET6 : AF_INET;
	if (inet_pton(p->family, text, &p->addr) != 1)
		return not_addr;
	if (slash) {
		const char *d = slash + 1;

		/* Digits only: strtoul would also take "+8", " 8" or "-0". */
		if (*d == '\0')
			return bad_len;
		for (len = 0; *d; d++) {
			if (*d < '0' || *d > '9' || (len = len * 10 + (unsigned)(*d - '0')) > max)
				return bad_len;
		}
	}
	p->len = (uint8_t)len;
	/* RFC 4291 2.5.5.2: such an address stands for an IPv4 node and never
	 * appears in an IPv6 packet; the IPv4 address means what was meant. */
	if (v6 && len >= 96 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)p->addr.v6))
		return "an IPv4-mapped IPv6 address (::ffff:A.B.C.D): write the IPv4 address";
	return NULL;
}

int ip_prefix_host_bits(const struct ip_prefix *p)
{
	struct ip_prefix c = *p;

	ip_prefix_clear_host(&c);
	return memcmp(&c.addr, &p->addr, sizeof(c.addr)) != 0;
}

void ip_prefix_clear_host(struct ip_prefix *p)
{
	if (p->family == AF_INET) {
		p->addr.v4 &= ip_prefix_mask4(p->len);
		return;
	}
	for (uint32_t bit = 0; bit < 128; bit += 8) {
		if (bit + 8 <= p->len)
			continue;
		p->addr.v6[bit / 8] &= (uint8_t)(bit >= p->len ? 0 : 0xFF00u >> (p->len - bit));
	}
}

const char *ip6_unicast_problem(const uint8_t addr[16])
{
	static const uint8_t unspecified[16];

	if (addr[0] == 0xFF)
		return "a multicast address";
	if (!memcmp(addr, unspecified, 16))
		return "the unspecified address";
	return NULL;
}
