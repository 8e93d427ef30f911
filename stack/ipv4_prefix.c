#include "ipv4_prefix.h"

#include <arpa/inet.h>
#include <string.h>

const char *ipv4_prefix_parse(const char *s, struct ipv4_prefix *p)
{
	char text[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned len = 32;

	if (n >= sizeof(text))
		return "not an IPv4 address";
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, &p->addr) != 1)
		return "not an IPv4 address";
	if (slash) {
		const char *d = slash + 1;

		/* Digits only: strtoul would also take "+8", " 8" or "-0". */
		if (*d == '\0')
			return "the prefix length after '/' is not 0..32";
		for (len = 0; *d; d++) {
			if (*d < '0' || *d > '9' || (len = len * 10 + (unsigned)(*d - '0')) > 32)
				return "the prefix length after '/' is not 0..32";
		}
	}
	p->len = (uint8_t)len;
	return NULL;
}
