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

struct live_target {
	struct rp_target t; /* first: the player holds a pointer to it */
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

static int live_send(struct rp_target *t, const uint8_t *frame, uint32_t len)
{
	struct live_target *l = lt(t);

	if (pcap_inject(l->pc, frame, len) != (int)len) {
		fprintf(stderr, "mbxdp-replay: cannot send a frame: %s\n", pcap_geterr(l->pc));
		return -1;
	}
	return 0;
}

/* ARP is ours to answer for the source address, and tells us the target's
 * MAC; everything else goes to the player. */
static void on_frame(u_char *arg, const struct pcap_pkthdr *h, const u_char *f)
{
	struct live_target *l = (struct live_target *)arg;
	static const uint8_t zero[6];
	uint8_t reply[ARP_LEN];

	l->got++;
	if (h->caplen >= ARP_LEN && f[12] == 0x08 && f[13] == 0x06) {
		uint32_t spa = fb_get32(f + 28), tpa = fb_get32(f + 38);

		if (f[21] == 1 && tpa == l->t.client_ip) {
			arp_frame(reply, 2, f + 22, l->t.client_mac, l->t.client_ip, f + 22, spa);
			(void)live_send(&l->t, reply, ARP_LEN);
		} else if (f[21] == 2 && spa == l->t.server_ip && memcmp(f + 22, zero, 6)) {
			memcpy(l->t.server_mac, f + 22, 6);
			l->have_server_mac = 1;
		}
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

/* Whether the local kernel owns addr (host order) on any interface. */
static int kernel_owns(uint32_t addr)
{
	struct ifaddrs *ifa, *i;
	int owns = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr) == addr)
			owns = 1;
	freeifaddrs(ifa);
	return owns;
}

static char *ip_text(uint32_t ip, char *buf)
{
	sprintf(buf, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
	return buf;
}

struct rp_target *rp_target_live_open(const struct rp_live_config *cfg, char *err, size_t errlen)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];
	struct live_target *l;
	char perr[PCAP_ERRBUF_SIZE], filter[160], a[16], b[16];
	struct bpf_program prog;
	uint8_t req[ARP_LEN];
	uint64_t until;

	if (kernel_owns(cfg->source_ip)) {
		snprintf(err, errlen,
			 "the kernel owns %s: it would reset the replayed connections; "
			 "give --source an unused address of the interface's subnet",
			 ip_text(cfg->source_ip, a));
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->t.send = live_send;
	l->t.poll = live_poll;
	l->t.now = live_now;
	l->t.close = live_close;
	l->t.client_ip = cfg->source_ip;
	l->t.server_ip = cfg->target_ip;
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
	snprintf(filter, sizeof(filter), "arp or (tcp and src host %s and src port %u and dst host %s)",
		 ip_text(cfg->target_ip, a), cfg->port, ip_text(cfg->source_ip, b));
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
	until = mono_ns() + cfg->arp_timeout_ns;
	while (!l->have_server_mac && mono_ns() < until) {
		uint64_t next = mono_ns() + 1000000000u;

		arp_frame(req, 1, bcast, l->t.client_mac, cfg->source_ip, zero, cfg->target_ip);
		if (live_send(&l->t, req, ARP_LEN) < 0)
			break;
		while (!l->have_server_mac && mono_ns() < next && mono_ns() < until)
			if (live_poll(&l->t, next < until ? next : until, NULL, NULL) < 0)
				break;
	}
	if (!l->have_server_mac) {
		snprintf(err, errlen, "%s does not answer ARP on %s", ip_text(cfg->target_ip, a),
			 cfg->iface);
		live_close(&l->t);
		return NULL;
	}
	return &l->t;
}
