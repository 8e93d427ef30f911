#include "target_live.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frame_build.h"

#define ARP_LEN 42
#define ND_LEN 86 /* Ethernet, IPv6, an NS or NA with one link-layer address option */
#define ND_NS 135
#define ND_NA 136

struct live_target {
	struct rp_target t; /* first: the player holds a pointer to it */
	int fam; /* RP_V4 or RP_V6: the family of --source and --target */
	pcap_t *pc;
	int fd;
	int have_server_mac;
	rp_deliver_fn deliver;
	void *arg;
	int got; /* frames taken in this poll */
};

static struct live_target *lt(struct rp_target *t)
{
	return (struct live_target *)t;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An Ethernet ARP frame (RFC 826): op 1 request, 2 reply. */
static void arp_frame(uint8_t *f, uint16_t op, const uint8_t *eth_dst, const uint8_t *sha,
		      uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, sha, 6);
	fb_put16(f + 12, 0x0806);
	fb_put16(f + 14, 1); /* Ethernet */
	fb_put16(f + 16, 0x0800); /* IPv4 */
	f[18] = 6;
	f[19] = 4;
	fb_put16(f + 20, op);
	memcpy(f + 22, sha, 6);
	fb_put32(f + 28, spa);
	memcpy(f + 32, tha, 6);
	fb_put32(f + 38, tpa);
}

/* Our own address as a flow's client, for frame_build's ND frames. */
static struct fb_flow nd_flow(const struct live_target *l)
{
	struct fb_flow fl = { .v6 = 1, .vlan = -1 };

	memcpy(fl.client_mac, l->t.client_mac, 6);
	memcpy(fl.client_ip6, l->t.client_ip[RP_V6].b, 16);
	return fl;
}

static int live_send(struct rp_target *t, const uint8_t *frame, uint32_t len)
{
	struct live_target *l = lt(t);

	if (pcap_inject(l->pc, frame, len) != (int)len) {
		fprintf(stderr, "mbxdp-replay: cannot send a frame: %s\n", pcap_geterr(l->pc));
		return -1;
	}
	return 0;
}

/* ARP: answered for the source address; the target's reply tells us its
 * MAC. */
static void on_arp(struct live_target *l, const u_char *f)
{
	static const uint8_t zero[6];
	uint32_t spa = fb_get32(f + 28), tpa = fb_get32(f + 38);
	uint32_t client = rp_ip4(&l->t.client_ip[RP_V4]), server = rp_ip4(&l->t.server_ip[RP_V4]);
	uint8_t reply[ARP_LEN];

	if (f[21] == 1 && tpa == client) {
		arp_frame(reply, 2, f + 22, l->t.client_mac, client, f + 22, spa);
		(void)live_send(&l->t, reply, ARP_LEN);
	} else if (f[21] == 2 && spa == server && memcmp(f + 22, zero, 6)) {
		memcpy(l->t.server_mac, f + 22, 6);
		l->have_server_mac = 1;
	}
}

/* The link-layer address option of type opt in an NS or NA of len bytes,
 * or NULL. */
static const uint8_t *nd_option(const uint8_t *icmp, uint32_t len, uint8_t opt)
{
	for (uint32_t off = 24; off + 8 <= len && icmp[off + 1];) {
		uint32_t olen = icmp[off + 1] * 8u;

		if (off + olen > len)
			break;
		if (icmp[off] == opt && olen == 8)
			return icmp + off + 2;
		off += olen;
	}
	return NULL;
}

/* Neighbor Discovery (RFC 4861), checked as 7.1.1 and 7.1.2 say: an NS
 * for the source address is answered; the target's NA for its address
 * tells us its MAC, from its target link-layer address option. */
static void on_nd(struct live_target *l, const u_char *f, uint32_t caplen)
{
	const uint8_t *ip = f + 14, *icmp = f + 54, *mac;
	static const uint8_t unspecified[16];
	struct fb_flow fl = nd_flow(l);
	uint8_t reply[ND_LEN];
	struct fb_icmp6 m;

	fb_parse_icmp6(f, caplen, &m);
	if (!m.ok || m.hop_limit != 255 || m.len < 24 || icmp[1] != 0)
		return;
	if (m.type == ND_NS && !memcmp(icmp + 8, fl.client_ip6, 16) &&
	    memcmp(ip + 8, unspecified, 16)) {
		mac = nd_option(icmp, (uint32_t)m.len, 1);
		(void)live_send(&l->t, reply,
				(uint32_t)fb_nd_advert(reply, &fl, mac ? mac : f + 6, ip + 8));
	} else if (m.type == ND_NA && !memcmp(icmp + 8, l->t.server_ip[RP_V6].b, 16) &&
		   (mac = nd_option(icmp, (uint32_t)m.len, 2))) {
		memcpy(l->t.server_mac, mac, 6);
		l->have_server_mac = 1;
	}
}

/* ARP and Neighbor Discovery are ours; everything else goes to the
 * player. */
static void on_frame(u_char *arg, const struct pcap_pkthdr *h, const u_char *f)
{
	struct live_target *l = (struct live_target *)arg;

	l->got++;
	if (h->caplen >= ARP_LEN && fb_get16(f + 12) == 0x0806) {
		if (l->fam == RP_V4)
			on_arp(l, f);
		return;
	}
	if (h->caplen >= 54 && fb_get16(f + 12) == 0x86dd && f[20] == 58) {
		if (l->fam == RP_V6)
			on_nd(l, f, h->caplen);
		return;
	}
	if (l->deliver)
		l->deliver(l->arg, f, h->caplen);
}

static int live_poll(struct rp_target *t, uint64_t deadline_ns, rp_deliver_fn deliver, void *arg)
{
	struct live_target *l = lt(t);
	struct pollfd pfd = { .fd = l->fd, .events = POLLIN };

	l->deliver = deliver;
	l->arg = arg;
	l->got = 0;
	for (;;) {
		uint64_t now = mono_ns();
		int ms = 0;

		if (pcap_dispatch(l->pc, -1, on_frame, (u_char *)l) < 0) {
			fprintf(stderr, "mbxdp-replay: capture failed: %s\n", pcap_geterr(l->pc));
			return -1;
		}
		if (l->got || now >= deadline_ns)
			return 0;
		/* Wake at the deadline; a 100 ms cap keeps a lost poll wakeup
		 * from stalling the replay. */
		ms = deadline_ns - now > 100000000u ? 100 : (int)((deadline_ns - now + 999999) / 1000000);
		if (poll(&pfd, 1, ms) < 0)
			return -1;
	}
}

static uint64_t live_now(struct rp_target *t)
{
	(void)t;
	return mono_ns();
}

static void live_close(struct rp_target *t)
{
	struct live_target *l = lt(t);

	if (l->pc)
		pcap_close(l->pc);
	free(l);
}

static int iface_mac(const char *ifname, uint8_t *mac)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (rc < 0)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* Whether the local kernel owns addr on any interface. */
static int kernel_owns(const struct rp_addr *addr)
{
	struct ifaddrs *ifa, *i;
	int owns = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i; i = i->ifa_next) {
		struct rp_addr a;

		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			a = rp_addr4(ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr));
		else if (i->ifa_addr->sa_family == AF_INET6)
			a = rp_addr6(((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr);
		else
			continue;
		owns |= rp_addr_eq(&a, addr);
	}
	freeifaddrs(ifa);
	return owns;
}

/* Asks for the target's MAC: an ARP request, or an NS. */
static int solicit(struct live_target *l)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];
	uint8_t req[ND_LEN];

	if (l->fam == RP_V6) {
		struct fb_flow fl = nd_flow(l);

		return live_send(&l->t, req, (uint32_t)fb_nd_solicit(req, &fl, l->t.server_ip[RP_V6].b));
	}
	arp_frame(req, 1, bcast, l->t.client_mac, rp_ip4(&l->t.client_ip[RP_V4]), zero,
		  rp_ip4(&l->t.server_ip[RP_V4]));
	return live_send(&l->t, req, ARP_LEN);
}

struct rp_target *rp_target_live_open(const struct rp_live_config *cfg, char *err, size_t errlen)
{
	struct live_target *l;
	char perr[PCAP_ERRBUF_SIZE], filter[256], a[RP_ADDR_STR], b[RP_ADDR_STR];
	struct bpf_program prog;
	uint64_t until;

	if (kernel_owns(&cfg->source_ip)) {
		snprintf(err, errlen,
			 "the kernel owns %s: it would reset the replayed connections; "
			 "give --source an unused address of the interface's subnet",
			 rp_addr_str(&cfg->source_ip, a));
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->fam = rp_family(&cfg->target_ip);
	l->t.send = live_send;
	l->t.poll = live_poll;
	l->t.now = live_now;
	l->t.close = live_close;
	l->t.client_ip[l->fam] = cfg->source_ip;
	l->t.server_ip[l->fam] = cfg->target_ip;
	l->t.server_port = cfg->port;
	l->t.mss = 1460;
	if (iface_mac(cfg->iface, l->t.client_mac) < 0) {
		snprintf(err, errlen, "no such interface: %s", cfg->iface);
		live_close(&l->t);
		return NULL;
	}
	l->pc = pcap_create(cfg->iface, perr);
	if (!l->pc || pcap_set_snaplen(l->pc, 4096) || pcap_set_immediate_mode(l->pc, 1) ||
	    pcap_activate(l->pc) < 0) {
		snprintf(err, errlen, "%s: %s", cfg->iface, l->pc ? pcap_geterr(l->pc) : perr);
		live_close(&l->t);
		return NULL;
	}
	snprintf(filter, sizeof(filter), "%s or (tcp and src host %s and src port %u and dst host %s)",
		 l->fam == RP_V6 ? "icmp6" : "arp", rp_addr_str(&cfg->target_ip, a), cfg->port,
		 rp_addr_str(&cfg->source_ip, b));
	if (pcap_setdirection(l->pc, PCAP_D_IN) < 0 ||
	    pcap_compile(l->pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(l->pc, &prog) < 0 || pcap_setnonblock(l->pc, 1, perr) < 0 ||
	    (l->fd = pcap_get_selectable_fd(l->pc)) < 0) {
		snprintf(err, errlen, "%s: %s", cfg->iface, pcap_geterr(l->pc));
		live_close(&l->t);
		return NULL;
	}
	pcap_freecode(&prog);
	/* The target's MAC: ask once a second until the timeout. */
	until = mono_ns() + cfg->resolve_timeout_ns;
	while (!l->have_server_mac && mono_ns() < until) {
		uint64_t next = mono_ns() + 1000000000u;

		if (solicit(l) < 0)
			break;
		while (!l->have_server_mac && mono_ns() < next && mono_ns() < until)
			if (live_poll(&l->t, next < until ? next : until, NULL, NULL) < 0)
				break;
	}
	if (!l->have_server_mac) {
		snprintf(err, errlen, "%s does not answer %s on %s", rp_addr_str(&cfg->target_ip, a),
			 l->fam == RP_V6 ? "Neighbor Solicitations" : "ARP", cfg->iface);
		live_close(&l->t);
		return NULL;
	}
	return &l->t;
}
