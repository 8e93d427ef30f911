/* Many simulated devices, one request each, from a raw socket.
 *
 * A client for mbxdp serving thousands of addresses: it resolves every
 * target address by ARP itself (checking each reply against RFC 826), then
 * opens one TCP connection per address and sends one Modbus request per
 * unit id on it, checking every answer.
 *
 * Why not the kernel's sockets: the kernel keeps one neighbour entry per
 * on-link destination, and its ARP table is shared by every network
 * namespace of the host (net.ipv4.neigh.default.gc_thresh3, 1024 by
 * default, counts them all). A thousand addresses would fill it for every
 * other test on the machine. So this client speaks ARP and just enough TCP
 * on an AF_PACKET socket, from a source address the client namespace's
 * kernel does not own (its kernel drops the answers, which it has no
 * socket for, instead of resetting the connections).
 *
 *   mb_many_devices --iface IF --source ADDR --targets ADDR[/N]... --units N
 *                   [--port P] [--window W] [--timeout S]
 *                   [--expect-silence | --write-then-read REG]
 *
 * The request to device d (the d-th of targets x units, unit ids 1..N on
 * each address) reads 4 holding registers at d mod 65532; the default
 * device image answers d, d+1, d+2, d+3 (regs/model/default_image.h), so an answer
 * can only belong to its own request.
 *
 * --write-then-read REG: whether every device has a register image of its
 * own. A first pass writes holding register REG of device d with a value
 * of its own (FC 06, MAP 6.6, answered by an echo); a second pass, after all
 * the writes, reads it back (FC 03) from every device. Devices sharing an
 * image read back another device's value.
 *
 * --expect-silence: after ARP, send a SYN (and its retransmissions) to every
 * target and succeed only if no TCP segment at all comes back (a source an
 * allow-list refuses).
 *
 * Prints what it saw; exits 0 when every check passed, 1 otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frame_build.h"

#define TARGETS_MAX 65536
#define PREFIXES_MAX 16
#define FRAME_MAX 2048
#define ARP_WINDOW 256 /* ARP requests outstanding at once */
#define ARP_RETRY_NS 300000000ull
#define ARP_TRIES 5
#define TCP_RETRY_NS 300000000ull
#define TCP_TRIES 4 /* sends of one segment before the connection is started over */
#define ATTEMPTS 3 /* connections per address before it counts as failed */
#define REGS 4
#define ADDR_SPAN 65532 /* register addresses 0..65531 leave room for REGS */

enum conn_state { C_IDLE, C_SYN, C_REQ, C_DONE, C_FAILED };

struct target {
	uint32_t ip; /* host order */
	uint8_t mac[6];
	uint8_t arp_ok;
	uint8_t arp_tries;
	uint8_t state;
	uint8_t tries; /* sends of the current segment */
	uint8_t attempts;
	uint16_t unit; /* next unit id to ask, 1..units */
	uint16_t sport;
	uint32_t snd_nxt, rcv_nxt;
	uint64_t deadline_ns;
};

struct run {
	int fd;
	uint8_t mac[6];
	uint32_t source;
	uint16_t port;
	uint32_t units;
	uint32_t window;
	uint64_t end_ns;
	int expect_silence;
	int write_read; /* --write-then-read given */
	uint16_t reg; /* its register */
	int writing; /* the pass: 1 writes, 0 reads */
	struct target *t;
	uint32_t n;
	uint64_t rng;
	/* what happened */
	uint32_t arp_answered, arp_wrong;
	uint64_t answered, wrong, retransmits, restarts, resets, tcp_segments;
	uint32_t failed;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t next_rand(struct run *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return (uint32_t)r->rng;
}

static void send_frame(struct run *r, const uint8_t *f, size_t len)
{
	/* A full socket buffer only delays: the retry timers send again. */
	(void)send(r->fd, f, len, MSG_DONTWAIT);
}

/* RFC 826 request: who has t->ip, tell source (broadcast). */
static void send_arp(struct run *r, const struct target *t)
{
	uint8_t f[60];

	memset(f, 0, sizeof(f));
	memset(f, 0xff, 6);
	memcpy(f + 6, r->mac, 6);
	fb_put16(f + 12, ETHERTYPE_ARP);
	fb_put16(f + 14, 1); /* Ethernet */
	fb_put16(f + 16, ETHERTYPE_IP);
	f[18] = 6;
	f[19] = 4;
	fb_put16(f + 20, 1); /* request */
	memcpy(f + 22, r->mac, 6);
	fb_put32(f + 28, r->source);
	fb_put32(f + 38, t->ip);
	send_frame(r, f, sizeof(f));
}

static struct target *find_target(struct run *r, uint32_t ip)
{
	uint32_t lo = 0, hi = r->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (r->t[mid].ip == ip)
			return &r->t[mid];
		if (r->t[mid].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* An ARP reply must be the RFC 826 answer to our request: opcode 2, sender
 * protocol address the target, target fields us, and the Ethernet source
 * the MAC it announces. */
static void arp_input(struct run *r, const uint8_t *f, size_t len)
{
	struct target *t;

	if (len < 42 || fb_get16(f + 20) != 2)
		return;
	t = find_target(r, fb_get32(f + 28));
	if (!t || fb_get32(f + 38) != r->source)
		return;
	if (fb_get16(f + 14) != 1 || fb_get16(f + 16) != ETHERTYPE_IP || f[18] != 6 || f[19] != 4 ||
	    memcmp(f + 32, r->mac, 6) || memcmp(f, r->mac, 6) || memcmp(f + 6, f + 22, 6)) {
		r->arp_wrong++;
		return;
	}
	if (!t->arp_ok) {
		t->arp_ok = 1;
		memcpy(t->mac, f + 22, 6);
		r->arp_answered++;
	}
}

static void flow_of(const struct run *r, const struct target *t, struct fb_flow *fl)
{
	/* Whole, so that a field fb_flow gains (its IPv6 ones) reads as unset
	 * rather than as what the caller's stack held: an IPv4 flow. */
	*fl = (struct fb_flow){ .client_ip = r->source, .server_ip = t->ip, .client_port = t->sport,
				.server_port = r->port, .vlan = -1 };
	memcpy(fl->client_mac, r->mac, 6);
	memcpy(fl->server_mac, t->mac, 6);
}

static uint32_t device_of(const struct run *r, const struct target *t)
{
	return (uint32_t)(t - r->t) * r->units + (t->unit - 1u);
}

/* The value --write-then-read gives device d: its own, and never 0. */
static uint16_t mark_of(uint32_t d)
{
	return (uint16_t)(d % 65535 + 1);
}

/* To the current unit, transaction id = the unit id (MIG 3.1.3): Read
 * Holding Registers (MAP 6.3), REGS registers at the device's number, or
 * with --write-then-read Write Single Register (MAP 6.6) of the device's
 * mark, then a read of that one register. */
static size_t request_adu(const struct run *r, const struct target *t, uint8_t *adu)
{
	fb_put16(adu, t->unit);
	fb_put16(adu + 2, 0);
	fb_put16(adu + 4, 6);
	adu[6] = (uint8_t)t->unit;
	adu[7] = r->write_read && r->writing ? 6 : 3;
	fb_put16(adu + 8, r->write_read ? r->reg : device_of(r, t) % ADDR_SPAN);
	fb_put16(adu + 10, !r->write_read ? REGS : r->writing ? mark_of(device_of(r, t)) : 1);
	return 12;
}

/* (Re)sends what the connection waits on: the SYN, or the current request
 * (carrying the ACK of everything received). */
static void send_current(struct run *r, struct target *t, uint64_t now)
{
	static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 }; /* MSS 1460 */
	uint8_t f[FRAME_MAX], adu[12];
	struct fb_flow fl;
	size_t len;

	flow_of(r, t, &fl);
	if (t->state == C_SYN)
		len = fb_tcp(f, &fl, t->snd_nxt - 1, 0, FB_SYN, 65535, mss, sizeof(mss), NULL, 0);
	else
		len = fb_tcp(f, &fl, t->snd_nxt, t->rcv_nxt, FB_ACK | FB_PSH, 65535, NULL, 0, adu,
			     request_adu(r, t, adu));
	if (t->tries++)
		r->retransmits++;
	send_frame(r, f, len);
	t->deadline_ns = now + TCP_RETRY_NS;
}

static void send_rst(struct run *r, const struct target *t)
{
	uint8_t f[FRAME_MAX];
	struct fb_flow fl;

	flow_of(r, t, &fl);
	send_frame(r, f, fb_tcp(f, &fl, t->snd_nxt, t->rcv_nxt, FB_RST | FB_ACK, 0, NULL, 0, NULL, 0));
}

static void open_conn(struct run *r, struct target *t, uint64_t now)
{
	t->attempts++;
	/* A fresh port per attempt: segments of an abandoned one cannot match. */
	t->sport = (uint16_t)(40000 + t->attempts);
	t->snd_nxt = next_rand(r) + 1;
	t->state = C_SYN;
	t->tries = 0;
	send_current(r, t, now);
}

/* Gives up the connection (RST) and starts over, or fails the address. */
static void restart(struct run *r, struct target *t, uint64_t now)
{
	send_rst(r, t);
	if (t->attempts >= ATTEMPTS) {
		t->state = C_FAILED;
		r->failed++;
		return;
	}
	r->restarts++;
	open_conn(r, t, now);
}

/* The answer: MBAP echoing our header (MIG 3.1.3), then function 03, byte
 * count 2 x REGS and the device's registers d..d+3; or, with
 * --write-then-read, the echo of the write (MAP 6.6), and the read of the
 * device's mark. */
static int answer_ok(const struct run *r, const struct target *t, const uint8_t *p, size_t len)
{
	uint32_t d = device_of(r, t) % ADDR_SPAN;
	uint8_t req[12];

	if (r->write_read && r->writing) {
		request_adu(r, t, req);
		return len == 12 && !memcmp(p, req, 12);
	}
	if (r->write_read)
		return len == 11 && fb_get16(p) == t->unit && fb_get16(p + 2) == 0 && fb_get16(p + 4) == 5 &&
		       p[6] == t->unit && p[7] == 3 && p[8] == 2 &&
		       fb_get16(p + 9) == mark_of(device_of(r, t));
	if (len != 9 + 2 * REGS || fb_get16(p) != t->unit || fb_get16(p + 2) != 0 ||
	    fb_get16(p + 4) != 3 + 2 * REGS || p[6] != t->unit || p[7] != 3 || p[8] != 2 * REGS)
		return 0;
	for (uint32_t i = 0; i < REGS; i++)
		if (fb_get16(p + 9 + 2 * i) != d + i)
			return 0;
	return 1;
}

static void tcp_input(struct run *r, const uint8_t *f, size_t len, uint64_t now)
{
	struct fb_seg s;
	struct target *t;

	fb_parse(f, len, &s);
	if (!s.ok || s.dst_ip != r->source || s.src_port != r->port)
		return;
	t = find_target(r, s.src_ip);
	if (!t)
		return;
	r->tcp_segments++;
	if (r->expect_silence || s.dst_port != t->sport)
		return;
	if (s.flags & FB_RST) {
		if (t->state == C_SYN || t->state == C_REQ) {
			r->resets++;
			restart(r, t, now);
		}
		return;
	}
	if (t->state == C_SYN) {
		if ((s.flags & (FB_SYN | FB_ACK)) != (FB_SYN | FB_ACK) || s.ack != t->snd_nxt)
			return;
		t->rcv_nxt = s.seq + 1;
		t->state = C_REQ;
		t->tries = 0;
		send_current(r, t, now);
		return;
	}
	/* A pure ACK, or data we already have (a retransmission), moves nothing. */
	if (t->state != C_REQ || !s.len || s.seq != t->rcv_nxt)
		return;
	t->rcv_nxt += (uint32_t)s.len;
	t->snd_nxt += 12;
	if (!answer_ok(r, t, s.payload, s.len)) {
		r->wrong++;
		t->state = C_FAILED;
		r->failed++;
		send_rst(r, t);
		return;
	}
	r->answered++;
	if (t->unit == r->units) {
		t->state = C_DONE;
		send_rst(r, t); /* RFC 9293 3.10.7.x: an abort; the server frees the connection */
		return;
	}
	t->unit++;
	t->tries = 0;
	send_current(r, t, now);
}

/* Reads every frame waiting, for at most wait_ms. */
static void receive(struct run *r, int wait_ms, int arp_phase)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	uint8_t f[FRAME_MAX];

	if (poll(&p, 1, wait_ms) <= 0)
		return;
	for (;;) {
		ssize_t n = recv(r->fd, f, sizeof(f), MSG_DONTWAIT);

		if (n < 14)
			return;
		if (fb_get16(f + 12) == ETHERTYPE_ARP)
			arp_input(r, f, (size_t)n);
		else if (!arp_phase)
			tcp_input(r, f, (size_t)n, now_ns());
	}
}

static void resolve_all(struct run *r)
{
	uint32_t next = 0; /* targets before next have had their first request */
	uint32_t first = 0; /* targets before first are settled */
	uint32_t pending;

	for (;;) {
		uint64_t now = now_ns();

		/* Answers come back roughly in order, so skipping the settled
		 * prefix keeps each pass about a window long. */
		while (first < next && (r->t[first].arp_ok || r->t[first].arp_tries >= ARP_TRIES))
			first++;
		pending = 0;
		for (uint32_t i = first; i < next; i++) {
			struct target *t = &r->t[i];

			if (t->arp_ok || t->arp_tries >= ARP_TRIES)
				continue;
			pending++;
			if (now >= t->deadline_ns) {
				send_arp(r, t);
				t->arp_tries++;
				t->deadline_ns = now + ARP_RETRY_NS;
			}
		}
		while (next < r->n && pending < ARP_WINDOW) {
			struct target *t = &r->t[next++];

			send_arp(r, t);
			t->arp_tries = 1;
			t->deadline_ns = now + ARP_RETRY_NS;
			pending++;
		}
		if ((!pending && next == r->n) || now >= r->end_ns)
			return;
		receive(r, 5, 1);
	}
}

/* Keeps up to window connections going until every address is done or
 * failed, or the time is up. */
static void ask_all(struct run *r)
{
	uint32_t next = 0, first = 0, active;

	for (;;) {
		uint64_t now = now_ns();

		while (first < next && r->t[first].state != C_SYN && r->t[first].state != C_REQ)
			first++;
		active = 0;
		for (uint32_t i = first; i < next; i++) {
			struct target *t = &r->t[i];

			if (t->state != C_SYN && t->state != C_REQ)
				continue;
			if (now >= t->deadline_ns) {
				if (t->tries >= TCP_TRIES)
					restart(r, t, now);
				else
					send_current(r, t, now);
			}
			active += t->state == C_SYN || t->state == C_REQ;
		}
		while (next < r->n && active < r->window) {
			struct target *t = &r->t[next++];

			if (!t->arp_ok) {
				t->state = C_FAILED;
				r->failed++;
				continue;
			}
			t->unit = 1;
			open_conn(r, t, now);
			active++;
		}
		if ((!active && next == r->n) || now >= r->end_ns)
			return;
		receive(r, 2, 0);
	}
}

/* SYNs only, each sent TCP_TRIES times; any TCP answer breaks the silence. */
static void knock_all(struct run *r)
{
	uint64_t stop;

	for (uint32_t k = 0; k < TCP_TRIES; k++) {
		for (uint32_t i = 0; i < r->n; i++) {
			struct target *t = &r->t[i];

			if (!t->arp_ok)
				continue;
			if (!k) {
				t->sport = 40000;
				t->snd_nxt = next_rand(r) + 1;
				t->state = C_SYN;
			}
			send_current(r, t, now_ns());
			if (i % 64 == 63)
				receive(r, 0, 0);
		}
		stop = now_ns() + TCP_RETRY_NS;
		while (now_ns() < stop)
			receive(r, 10, 0);
	}
}

/* One request to every device, a connection per address; prints the
 * pass's line and returns 1 if every device answered as it should. */
static int device_pass(struct run *r, const char *label)
{
	uint64_t start = now_ns(), devices = (uint64_t)r->n * r->units;
	double secs;

	for (uint32_t i = 0; i < r->n; i++) {
		r->t[i].state = C_IDLE;
		r->t[i].attempts = 0;
	}
	r->answered = r->wrong = r->retransmits = r->restarts = r->resets = 0;
	r->failed = 0;
	ask_all(r);
	secs = (double)(now_ns() - start) / 1e9;
	printf("%s: %llu of %llu answered correctly, %llu wrong, %u addresses failed; "
	       "%llu retransmissions, %llu restarts, %llu resets; %.3f s (%.0f devices/s)\n",
	       label, (unsigned long long)r->answered, (unsigned long long)devices,
	       (unsigned long long)r->wrong, r->failed, (unsigned long long)r->retransmits,
	       (unsigned long long)r->restarts, (unsigned long long)r->resets, secs,
	       secs > 0 ? (double)r->answered / secs : 0.0);
	return r->answered == devices && !r->wrong;
}

static int add_targets(struct run *r, const char *s)
{
	char text[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	long len = 32;
	struct in_addr a;
	uint64_t size;

	if (n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, &a) != 1)
		return -1;
	if (slash) {
		char *end;

		len = strtol(slash + 1, &end, 10);
		if (*end || len < 16 || len > 32)
			return -1;
	}
	size = 1ull << (32 - len);
	if (r->n + size > TARGETS_MAX)
		return -1;
	for (uint64_t k = 0; k < size; k++)
		r->t[r->n++].ip = ntohl(a.s_addr) + (uint32_t)k;
	return 0;
}

static int by_ip(const void *a, const void *b)
{
	uint32_t x = ((const struct target *)a)->ip, y = ((const struct target *)b)->ip;

	return x < y ? -1 : x > y;
}

static int open_socket(struct run *r, const char *ifname)
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int one = 1, rcvbuf = 16 << 20;

	r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (r->fd < 0) {
		fprintf(stderr, "mb_many_devices: AF_PACKET socket: %s\n", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(r->fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "mb_many_devices: %s: %s\n", ifname, strerror(errno));
		return -1;
	}
	memcpy(r->mac, ifr.ifr_hwaddr.sa_data, 6);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	/* Our own frames are not echoed back to us; a large buffer keeps a
	 * burst of answers while the loop is sending. */
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0) {
		fprintf(stderr, "mb_many_devices: setting up the socket on %s: %s\n", ifname,
			strerror(errno));
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: mb_many_devices --iface IF --source ADDR --targets ADDR[/N]... "
			"--units N [--port P] [--window W] [--timeout S] "
			"[--expect-silence | --write-then-read REG]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, 0, 'i' },
		{ "source", required_argument, 0, 's' },
		{ "targets", required_argument, 0, 't' },
		{ "units", required_argument, 0, 'u' },
		{ "port", required_argument, 0, 'p' },
		{ "window", required_argument, 0, 'w' },
		{ "timeout", required_argument, 0, 'T' },
		{ "expect-silence", no_argument, 0, 'S' },
		{ "write-then-read", required_argument, 0, 'W' },
		{ 0, 0, 0, 0 },
	};
	struct run r = { .port = 502, .units = 1, .window = 64, .rng = 0x9e3779b97f4a7c15ull };
	const char *ifname = NULL;
	struct in_addr src = { 0 };
	uint64_t start;
	double timeout_s = 50, secs;
	int ch, ok;

	r.t = calloc(TARGETS_MAX, sizeof(*r.t));
	if (!r.t)
		return 1;
	while ((ch = getopt_long(argc, argv, "", longopts, 0)) != -1) {
		switch (ch) {
		case 'i':
			ifname = optarg;
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &src) != 1) {
				usage();
				return 2;
			}
			break;
		case 't':
			if (add_targets(&r, optarg) < 0) {
				fprintf(stderr, "mb_many_devices: bad --targets '%s' (A.B.C.D[/N], N >= 16, "
						"%d addresses in all at most)\n", optarg, TARGETS_MAX);
				return 2;
			}
			break;
		case 'u':
			r.units = (uint32_t)atoi(optarg);
			break;
		case 'p':
			r.port = (uint16_t)atoi(optarg);
			break;
		case 'w':
			r.window = (uint32_t)atoi(optarg);
			break;
		case 'T':
			timeout_s = atof(optarg);
			break;
		case 'S':
			r.expect_silence = 1;
			break;
		case 'W':
			r.write_read = 1;
			r.reg = (uint16_t)atoi(optarg);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!ifname || !src.s_addr || !r.n || r.units < 1 || r.units > 247 || !r.window ||
	    !r.port || timeout_s <= 0 || (r.expect_silence && r.write_read)) {
		usage();
		return 2;
	}
	r.source = ntohl(src.s_addr);
	qsort(r.t, r.n, sizeof(*r.t), by_ip);
	for (uint32_t i = 1; i < r.n; i++)
		if (r.t[i].ip == r.t[i - 1].ip) {
			fprintf(stderr, "mb_many_devices: a target is listed twice\n");
			return 2;
		}
	if (open_socket(&r, ifname) < 0)
		return 1;

	start = now_ns();
	r.end_ns = start + (uint64_t)(timeout_s * 1e9);
	resolve_all(&r);
	secs = (double)(now_ns() - start) / 1e9;
	printf("arp: %u of %u addresses answered, %u wrong replies, %.3f s\n", r.arp_answered, r.n,
	       r.arp_wrong, secs);
	ok = r.arp_answered == r.n && !r.arp_wrong;
	if (r.expect_silence) {
		knock_all(&r);
		printf("silence: %llu TCP segments came back to %u addresses x %d SYNs\n",
		       (unsigned long long)r.tcp_segments, r.arp_answered, TCP_TRIES);
		ok = ok && r.tcp_segments == 0;
	} else if (r.write_read) {
		r.writing = 1;
		ok = ok && device_pass(&r, "writes");
		r.writing = 0;
		ok = ok && device_pass(&r, "reads");
	} else {
		ok = ok && device_pass(&r, "devices");
	}
	close(r.fd);
	free(r.t);
	return ok ? 0 : 1;
}
