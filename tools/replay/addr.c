#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>

char *rp_addr_str(const struct rp_addr *a, char *buf)
{
	if (rp_family(a) == RP_V4)
		inet_ntop(AF_INET, a->b + 12, buf, RP_ADDR_STR);
	else
		inet_ntop(AF_INET6, a->b, buf, RP_ADDR_STR);
	return buf;
}

int rp_addr_parse(const char *s, struct rp_addr *a)
{
	uint8_t v4[4];

	if (inet_pton(AF_INET, s, v4) == 1) {
		*a = rp_addr4((uint32_t)v4[0] << 24 | (uint32_t)v4[1] << 16 | (uint32_t)v4[2] << 8 |
			      v4[3]);
		return 0;
	}
	/* A mapped address would be an IPv4 one sent as IPv6: not taken. */
	if (inet_pton(AF_INET6, s, a->b) == 1 && rp_family(a) == RP_V6)
		return 0;
	return -1;
}

char *rp_endpoint_str(const struct rp_addr *a, uint16_t port, char *buf)
{
	char s[RP_ADDR_STR];

	snprintf(buf, RP_ADDR_STR + 8, rp_family(a) == RP_V4 ? "%s:%u" : "[%s]:%u",
		 rp_addr_str(a, s), port);
	return buf;
}
