/* A client stack (stack_config.app) as a Modbus master against the kernel's
 * TCP: frames go in and out through a packet socket on an interface that
 * has no address of its own, so the kernel there stays out of the way and
 * the stack answers ARP for its address itself.
 *
 *   mb_stack_client IFNAME OUR_IP PEER_IP PEER_MAC CONNS REQUESTS
 *
 * Opens CONNS connections to PEER_IP:502 (source ports 40000 on), reads
 * holding registers REQUESTS times on each (FC 03, 2 registers at the
 * connection's number; a register's value must be its address), closes
 * them, and waits for every close to end (TIME-WAIT 200 ms). Exit 0 when
 * every answer was right and every connection ended closed, 1 otherwise,
 * 2 on bad arguments; bounded to 20 s. Prints the stack's non-zero
 * counters. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "stack.h"
#include "tcp_client.h"

#define FRAMES 1024
#define FRAME_SIZE 2048
#define MAX_CONNS 256

static uint8_t pool[FRAMES][FRAME_SIZE];
static uint32_t free_list[FRAMES], n_free;
static int fd;
static struct stack *S;
static uint32_t conns, requests;
static uint32_t done[MAX_CONNS], n_rx[MAX_CONNS], closed, closed_ok, bad;
static uint8_t rx[MAX_CONNS][TC_READ_RESP_LEN];

static int frame_get(void *arg, struct mbx_frame *out)
{
	(void)arg;
	if (!n_free)
		return -1;
	out->handle = free_list[--n_free];
	out->data = pool[out->handle];
	out->len = 0;
	out->room = FRAME_SIZE;
	return 0;
}

static void frame_put(void *arg, const struct mbx_frame *f)
{
	(void)arg;
	if (send(fd, f->data, f->len, 0) < 0)
		fprintf(stderr, "mb_stack_client: send: %s\n", strerror(errno));
	free_list[n_free++] = (uint32_t)f->handle;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void ask(uint32_t conn)
{
	uint8_t req[12];
	int r = stack_send(S, conn, req, (uint32_t)tc_read_req(req, (uint16_t)done[conn], (uint16_t)conn));

	if (r < 0) {
		fprintf(stderr, "mb_stack_client: connection %u: stack_send: %s\n", conn, strerror(-r));
		bad++;
	}
}

static void on_established(void *arg, uint32_t conn)
{
	(void)arg;
	ask(conn);
}

static void on_received(void *arg, uint32_t conn, const uint8_t *p, uint32_t n)
{
	(void)arg;
	if (n_rx[conn] + n > TC_READ_RESP_LEN) {
		bad++;
		return;
	}
	memcpy(rx[conn] + n_rx[conn], p, n);
	n_rx[conn] += n;
	if (n_rx[conn] < TC_READ_RESP_LEN)
		return;
	n_rx[conn] = 0;
	if (!tc_read_resp_at(rx[conn], (uint16_t)done[conn], (uint16_t)conn))
		bad++;
	if (++done[conn] < requests)
		ask(conn);
	else if (stack_close(S, conn) < 0)
		bad++;
}

static void on_closed(void *arg, uint32_t conn, enum stack_close_why why)
{
	(void)arg;
	closed++;
	if (why == STACK_CLOSED && done[conn] == requests)
		closed_ok++;
	else
		fprintf(stderr, "mb_stack_client: connection %u ended (%d) after %u answers\n", conn,
			(int)why, done[conn]);
}

static const struct stack_app app = { on_established, on_received, on_closed, NULL };

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned m[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

int main(int argc, char **argv)
{
	static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	struct stack_config cfg = { .max_conns = MAX_CONNS, .mss = 1460, .app = &app,
				    .snd_blocks = MAX_CONNS + 8, .secret = "mb_stack_client secret" };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	uint8_t peer_mac[6];
	uint32_t our_ip, peer_ip;
	uint64_t start;

	if (argc != 7 || inet_pton(AF_INET, argv[2], &our_ip) != 1 ||
	    inet_pton(AF_INET, argv[3], &peer_ip) != 1 || parse_mac(argv[4], peer_mac) < 0 ||
	    (conns = (uint32_t)atoi(argv[5])) == 0 || conns > MAX_CONNS ||
	    (requests = (uint32_t)atoi(argv[6])) == 0) {
		fprintf(stderr, "usage: mb_stack_client IFNAME OUR_IP PEER_IP PEER_MAC CONNS(1-%d) REQUESTS\n",
			MAX_CONNS);
		return 2;
	}
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (!sll.sll_ifindex || fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "mb_stack_client: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	for (uint32_t i = 0; i < FRAMES; i++)
		free_list[n_free++] = i;
	conn_policy_defaults(&cfg.policy);
	cfg.policy.time_wait_ms = 200;
	cfg.addrs = &our_ip;
	cfg.n_addrs = 1;
	memcpy(cfg.mac, our_mac, 6);
	S = aligned_alloc(64, sizeof(*S));
	if (!S || stack_init(S, &cfg, NULL, (struct mbx_frame_source){ .get = frame_get },
			     (struct mbx_frame_sink){ .put = frame_put }) < 0) {
		fprintf(stderr, "mb_stack_client: cannot set up the stack\n");
		return 2;
	}
	start = S->now_ns = now_ns();
	for (uint32_t i = 0; i < conns; i++) {
		uint32_t conn;
		int r = stack_connect(S, our_ip, (uint16_t)(40000 + i), peer_ip, 502, peer_mac,
				      CONN_L2_UNTAGGED, &conn);

		if (r < 0 || conn >= MAX_CONNS) {
			fprintf(stderr, "mb_stack_client: stack_connect: %s\n", strerror(-r));
			return 1;
		}
	}
	while (closed < conns && now_ns() - start < 20000000000ull) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		struct mbx_frame f;
		ssize_t n;

		if (poll(&p, 1, 1) > 0 && frame_get(NULL, &f) == 0) {
			n = recvfrom(fd, f.data, f.room, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
			S->now_ns = now_ns();
			/* Our own frames, as the socket sees them leave, are not input. */
			if (n > 0 && from.sll_pkttype != PACKET_OUTGOING) {
				f.len = (uint32_t)n;
				if (stack_input(S, &f) == STACK_DROP)
					free_list[n_free++] = (uint32_t)f.handle;
			} else {
				free_list[n_free++] = (uint32_t)f.handle;
			}
		}
		stack_timers(S, now_ns());
	}
#define X(name, help) \
	if (S->ctr.name) \
		printf("%s %llu\n", #name, (unsigned long long)S->ctr.name);
	STACK_COUNTERS(X)
#undef X
	printf("connections %u closed %u closed_ok %u bad %u\n", conns, closed, closed_ok, bad);
	stack_free(S);
	free(S);
	return closed_ok == conns && !bad ? 0 : 1;
}
