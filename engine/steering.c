#include "steering.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The IPv4 addresses the kernel of this network namespace owns, on any
 * interface. */
static int kernel_addrs(uint32_t **out, uint32_t *n, char *err, size_t errlen)
{
	struct ifaddrs *all, *ifa;
	uint32_t count = 0;

	if (getifaddrs(&all) < 0) {
		snprintf(err, errlen, "cannot list the kernel's addresses: %s", strerror(errno));
		return -1;
	}
	for (ifa = all; ifa; ifa = ifa->ifa_next)
		count += ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_INET;
	*out = calloc(count ? count : 1, sizeof(**out));
	if (!*out) {
		freeifaddrs(all);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*n = 0;
	for (ifa = all; ifa; ifa = ifa->ifa_next)
		if (ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_INET)
			(*out)[(*n)++] = ((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr;
	freeifaddrs(all);
	return 0;
}

static int owned(const uint32_t *kernel, uint32_t n, uint32_t addr)
{
	for (uint32_t i = 0; i < n; i++)
		if (kernel[i] == addr)
			return 1;
	return 0;
}

int steering_expand(const struct mbx_xdp_cidr *prefixes, uint32_t n, struct steering *st,
		    char *err, size_t errlen)
{
	uint64_t total = 0;
	uint32_t *kernel, n_kernel;

	memset(st, 0, sizeof(*st));
	if (n == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		total += 1ull << (32 - prefixes[i].prefix_len);
	if (total > MBXDP_ADDRS_MAX) {
		snprintf(err, errlen, "--serve-address: %llu addresses, more than the %d one XDP program serves",
			 (unsigned long long)total, MBXDP_ADDRS_MAX);
		return -1;
	}
	if (kernel_addrs(&kernel, &n_kernel, err, errlen) < 0)
		return -1;
	st->addrs = calloc(total, sizeof(*st->addrs));
	if (!st->addrs) {
		free(kernel);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t first = ntohl(prefixes[i].addr);
		uint64_t size = 1ull << (32 - prefixes[i].prefix_len);

		for (uint64_t k = 0; k < size; k++) {
			struct mbx_xdp_addr *a = &st->addrs[st->n_addrs++];

			a->addr = htonl(first + (uint32_t)k);
			a->server = prefixes[i].server;
			a->answer_arp = !owned(kernel, n_kernel, a->addr);
			st->n_answer_arp += a->answer_arp;
		}
	}
	free(kernel);
	return 0;
}

void steering_free(struct steering *st)
{
	free(st->addrs);
	st->addrs = NULL;
}
