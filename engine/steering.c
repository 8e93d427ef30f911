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

int addresses_expand(const struct mbx_xdp_cidr *prefixes, uint32_t n, uint32_t max,
		     const char *limit, uint32_t **out, uint32_t *n_out, char *err, size_t errlen)
{
	uint64_t total = 0;

	*out = NULL;
	*n_out = 0;
	for (uint32_t i = 0; i < n; i++)
		total += 1ull << (32 - prefixes[i].prefix_len);
	if (total > max) {
		snprintf(err, errlen, "--address: %llu addresses, more than the %u %s",
			 (unsigned long long)total, max, limit);
		return -1;
	}
	if (!total)
		return 0;
	*out = calloc(total, sizeof(**out));
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t first = ntohl(prefixes[i].addr);
		uint64_t size = 1ull << (32 - prefixes[i].prefix_len);

		for (uint64_t k = 0; k < size; k++)
			(*out)[(*n_out)++] = htonl(first + (uint32_t)k);
	}
	return 0;
}

int steering_for_xdp(const uint32_t *addrs, uint32_t n, struct steering *st, char *err,
		     size_t errlen)
{
	uint32_t *kernel, n_kernel;

	memset(st, 0, sizeof(*st));
	if (n == 0)
		return 0;
	if (kernel_addrs(&kernel, &n_kernel, err, errlen) < 0)
		return -1;
	st->addrs = calloc(n, sizeof(*st->addrs));
	if (!st->addrs) {
		free(kernel);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct mbx_xdp_addr *a = &st->addrs[i];

		a->addr = addrs[i];
		a->server = 0;
		a->answer_arp = !owned(kernel, n_kernel, addrs[i]);
		st->n_answer_arp += a->answer_arp;
	}
	st->n_addrs = n;
	free(kernel);
	return 0;
}

void steering_free(struct steering *st)
{
	free(st->addrs);
	st->addrs = NULL;
}
