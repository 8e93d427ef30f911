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

/* The --address prefixes, every address of each, server 0. */
static int expand_prefixes(const struct cli_options *o, uint32_t max, const char *limit,
			   struct steering *st, char *err, size_t errlen)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < o->n_addresses; i++)
		total += 1ull << (32 - o->addresses[i].prefix_len);
	if (total > max) {
		snprintf(err, errlen, "--address: %llu addresses, more than the %u %s",
			 (unsigned long long)total, max, limit);
		return -1;
	}
	st->addrs = calloc(total ? total : 1, sizeof(*st->addrs));
	st->allow = calloc(o->n_allow ? o->n_allow : 1, sizeof(*st->allow));
	if (!st->addrs || !st->allow) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < o->n_addresses; i++) {
		uint32_t first = ntohl(o->addresses[i].addr);
		uint64_t size = 1ull << (32 - o->addresses[i].prefix_len);

		for (uint64_t k = 0; k < size; k++)
			st->addrs[st->n_addrs++].addr = htonl(first + (uint32_t)k);
	}
	memcpy(st->allow, o->allow, o->n_allow * sizeof(*st->allow));
	st->n_allow = o->n_allow;
	return 0;
}

/* The model's servers: server i on its address, with its allow-list. */
static int model_servers(const struct mb_server_addr *servers, uint32_t n, uint32_t max,
			 const char *limit, struct steering *st, char *err, size_t errlen)
{
	uint32_t n_allow = 0;

	if (n > max) {
		snprintf(err, errlen, "the device model has %u server addresses, more than the %u %s",
			 n, max, limit);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++)
		n_allow += servers[i].n_allow;
	st->addrs = calloc(n, sizeof(*st->addrs));
	st->allow = calloc(n_allow ? n_allow : 1, sizeof(*st->allow));
	if (!st->addrs || !st->allow) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		st->addrs[st->n_addrs++] = (struct mbx_xdp_addr){ .addr = servers[i].addr,
								  .server = (uint16_t)i };
		for (uint32_t k = 0; k < servers[i].n_allow; k++) {
			const struct mb_cidr *c = &servers[i].allow[k];

			st->allow[st->n_allow++] = (struct mbx_xdp_cidr){
				.addr = c->addr,
				.prefix_len = (uint8_t)__builtin_popcount(c->mask),
				.server = (uint16_t)i,
			};
		}
	}
	return 0;
}

int steering_plan(const struct cli_options *o, const struct devmodel *dm, uint32_t max,
		  const char *limit, struct steering *st, char *err, size_t errlen)
{
	uint32_t n = devmodel_server_addrs(dm, NULL, 0);
	struct mb_server_addr *servers;
	int rc;

	memset(st, 0, sizeof(*st));
	/* The default model is one server on every address (address 0). */
	if (n == 1) {
		struct mb_server_addr one;

		devmodel_server_addrs(dm, &one, 1);
		if (one.addr == 0)
			n = 0;
	}
	if (!n)
		return expand_prefixes(o, max, limit, st, err, errlen);
	if (o->n_addresses || o->n_allow) {
		snprintf(err, errlen, "%s is for the default model; with --config the file lists the "
				      "servers' addresses and allow-lists",
			 o->n_addresses ? "--address" : "--allow-source");
		return -1;
	}
	servers = calloc(n, sizeof(*servers));
	if (!servers) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	devmodel_server_addrs(dm, servers, n);
	rc = model_servers(servers, n, max, limit, st, err, errlen);
	free(servers);
	return rc;
}

int steering_mark_arp(struct steering *st, char *err, size_t errlen)
{
	uint32_t *kernel, n_kernel;

	if (!st->n_addrs)
		return 0;
	if (kernel_addrs(&kernel, &n_kernel, err, errlen) < 0)
		return -1;
	for (uint32_t i = 0; i < st->n_addrs; i++) {
		struct mbx_xdp_addr *a = &st->addrs[i];

		a->answer_arp = !owned(kernel, n_kernel, a->addr);
		st->n_answer_arp += a->answer_arp;
	}
	free(kernel);
	return 0;
}

void steering_free(struct steering *st)
{
	free(st->addrs);
	free(st->allow);
	st->addrs = NULL;
	st->allow = NULL;
}
