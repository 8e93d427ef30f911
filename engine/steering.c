#include "steering.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The addresses the kernel of this network namespace owns, as the kernel
 * answers for them: IPv4 ones on any interface (ARP is answered for an
 * address of another interface too, the default arp_ignore 0), IPv6 ones
 * of iface only, as Linux answers a Neighbor Solicitation only for an
 * address of the interface it came in on (ndisc_recv_ns looks the target
 * up on that device alone). That also keeps link-local addresses, whose
 * scope is one link, from counting as owned when another interface has
 * them (every interface has fe80:: addresses of its own). */
struct kernel_addrs {
	uint32_t *v4;
	uint32_t n4;
	uint8_t (*v6)[16];
	uint32_t n6;
};

static int kernel_is(const struct ifaddrs *ifa, int family, const char *iface)
{
	return ifa->ifa_addr && ifa->ifa_addr->sa_family == family &&
	       (family == AF_INET || !strcmp(ifa->ifa_name, iface));
}

static int kernel_addrs(struct kernel_addrs *k, const char *iface, char *err, size_t errlen)
{
	struct ifaddrs *all, *ifa;
	uint32_t n4 = 0, n6 = 0;

	memset(k, 0, sizeof(*k));
	if (getifaddrs(&all) < 0) {
		snprintf(err, errlen, "cannot list the kernel's addresses: %s", strerror(errno));
		return -1;
	}
	for (ifa = all; ifa; ifa = ifa->ifa_next) {
		n4 += kernel_is(ifa, AF_INET, iface);
		n6 += kernel_is(ifa, AF_INET6, iface);
	}
	k->v4 = calloc(n4 ? n4 : 1, sizeof(*k->v4));
	k->v6 = calloc(n6 ? n6 : 1, sizeof(*k->v6));
	if (!k->v4 || !k->v6) {
		freeifaddrs(all);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (ifa = all; ifa; ifa = ifa->ifa_next) {
		if (kernel_is(ifa, AF_INET, iface))
			k->v4[k->n4++] = ((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr;
		if (kernel_is(ifa, AF_INET6, iface))
			memcpy(k->v6[k->n6++], &((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr,
			       16);
	}
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

static int owned6(const uint8_t (*kernel)[16], uint32_t n, const uint8_t addr[16])
{
	for (uint32_t i = 0; i < n; i++)
		if (!memcmp(kernel[i], addr, 16))
			return 1;
	return 0;
}

static int alloc_lists(struct steering *st, uint64_t n4, uint64_t n6, uint32_t allow4,
		       uint32_t allow6, char *err, size_t errlen)
{
	st->addrs = calloc(n4 ? n4 : 1, sizeof(*st->addrs));
	st->addrs6 = calloc(n6 ? n6 : 1, sizeof(*st->addrs6));
	st->allow = calloc(allow4 ? allow4 : 1, sizeof(*st->allow));
	st->allow6 = calloc(allow6 ? allow6 : 1, sizeof(*st->allow6));
	if (!st->addrs || !st->addrs6 || !st->allow || !st->allow6) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* The --address prefixes, every address of each, server 0. (Only the
 * addresses given are served: none is added from the kernel's, so a
 * link-local address is steered only when given, as one a client on the
 * link is to use.) */
static int expand_prefixes(const struct cli_options *o, uint32_t max, const char *limit,
			   struct steering *st, char *err, size_t errlen)
{
	uint64_t total = 0, total6 = 0;

	for (uint32_t i = 0; i < o->n_addresses; i++)
		total += 1ull << (32 - o->addresses[i].prefix_len);
	for (uint32_t i = 0; i < o->n_addresses6; i++)
		total6 += 1ull << (128 - o->addresses6[i].prefix_len);
	if (total > max || total6 > max) {
		snprintf(err, errlen, "--address: %llu %saddresses, more than the %u %s",
			 (unsigned long long)(total > max ? total : total6),
			 total > max ? "" : "IPv6 ", max, limit);
		return -1;
	}
	if (alloc_lists(st, total, total6, o->n_allow, o->n_allow6, err, errlen) < 0)
		return -1;
	for (uint32_t i = 0; i < o->n_addresses; i++) {
		uint32_t first = ntohl(o->addresses[i].addr);
		uint64_t size = 1ull << (32 - o->addresses[i].prefix_len);

		for (uint64_t k = 0; k < size; k++)
			st->addrs[st->n_addrs++].addr = htonl(first + (uint32_t)k);
	}
	/* An IPv6 prefix is at least a /MBX_ADDRESS_PREFIX6_MIN with no host
	 * bits: its addresses differ in the last two bytes alone, counting up
	 * from the first without a carry out of them. */
	for (uint32_t i = 0; i < o->n_addresses6; i++) {
		const uint8_t *first = o->addresses6[i].addr;
		uint64_t size = 1ull << (128 - o->addresses6[i].prefix_len);

		for (uint64_t k = 0; k < size; k++) {
			uint8_t *a = st->addrs6[st->n_addrs6++].addr;
			uint32_t low = (uint32_t)(first[14] << 8 | first[15]) + (uint32_t)k;

			memcpy(a, first, 14);
			a[14] = (uint8_t)(low >> 8);
			a[15] = (uint8_t)low;
		}
	}
	memcpy(st->allow, o->allow, o->n_allow * sizeof(*st->allow));
	st->n_allow = o->n_allow;
	memcpy(st->allow6, o->allow6, o->n_allow6 * sizeof(*st->allow6));
	st->n_allow6 = o->n_allow6;
	return 0;
}

/* The model's servers: server i on its address of each family it has,
 * with its allow-list. */
static int model_servers(const struct mb_server_addr *servers, uint32_t n, uint32_t max,
			 const char *limit, struct steering *st, char *err, size_t errlen)
{
	uint32_t n4 = 0, n6 = 0, n_allow = 0, n_allow6 = 0;

	for (uint32_t i = 0; i < n; i++) {
		n4 += servers[i].addr != 0;
		n6 += servers[i].has_addr6;
		n_allow += servers[i].n_allow;
		n_allow6 += servers[i].n_allow6;
	}
	if (n4 > max || n6 > max) {
		snprintf(err, errlen, "the device model has %u %s server addresses, more than the %u %s",
			 n4 > max ? n4 : n6, n4 > max ? "IPv4" : "IPv6", max, limit);
		return -1;
	}
	if (alloc_lists(st, n4, n6, n_allow, n_allow6, err, errlen) < 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const struct mb_server_addr *s = &servers[i];

		if (s->addr)
			st->addrs[st->n_addrs++] =
				(struct mbx_xdp_addr){ .addr = s->addr, .server = (uint16_t)i };
		if (s->has_addr6) {
			st->addrs6[st->n_addrs6] = (struct mbx_xdp_addr6){ .server = (uint16_t)i };
			memcpy(st->addrs6[st->n_addrs6++].addr, s->addr6, 16);
		}
		for (uint32_t k = 0; k < s->n_allow; k++)
			st->allow[st->n_allow++] = (struct mbx_xdp_cidr){
				.addr = s->allow[k].addr,
				.prefix_len = (uint8_t)__builtin_popcount(s->allow[k].mask),
				.server = (uint16_t)i,
			};
		for (uint32_t k = 0; k < s->n_allow6; k++) {
			st->allow6[st->n_allow6] = (struct mbx_xdp_cidr6){
				.prefix_len = s->allow6[k].len,
				.server = (uint16_t)i,
			};
			memcpy(st->allow6[st->n_allow6++].addr, s->allow6[k].addr, 16);
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
		if (one.addr == 0 && !one.has_addr6)
			n = 0;
	}
	if (!n)
		return expand_prefixes(o, max, limit, st, err, errlen);
	if (o->n_addresses || o->n_addresses6 || o->n_allow || o->n_allow6) {
		snprintf(err, errlen, "%s is for the default model; with --config the file lists the "
				      "servers' addresses and allow-lists",
			 o->n_addresses || o->n_addresses6 ? "--address" : "--allow-source");
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

int steering_mark_arp(struct steering *st, const char *iface, char *err, size_t errlen)
{
	struct kernel_addrs k;

	if (!st->n_addrs && !st->n_addrs6)
		return 0;
	if (kernel_addrs(&k, iface, err, errlen) < 0) {
		free(k.v4);
		free(k.v6);
		return -1;
	}
	for (uint32_t i = 0; i < st->n_addrs; i++) {
		struct mbx_xdp_addr *a = &st->addrs[i];

		a->answer_arp = !owned(k.v4, k.n4, a->addr);
		st->n_answer_arp += a->answer_arp;
	}
	for (uint32_t i = 0; i < st->n_addrs6; i++) {
		struct mbx_xdp_addr6 *a = &st->addrs6[i];

		a->answer_nd = !owned6((const uint8_t(*)[16])k.v6, k.n6, a->addr);
		st->n_answer_nd += a->answer_nd;
	}
	free(k.v4);
	free(k.v6);
	return 0;
}

void steering_free(struct steering *st)
{
	free(st->addrs);
	free(st->addrs6);
	free(st->allow);
	free(st->allow6);
	st->addrs = NULL;
	st->addrs6 = NULL;
	st->allow = NULL;
	st->allow6 = NULL;
}
