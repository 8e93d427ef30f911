/* peer_epoll: the fastest Modbus/TCP server on kernel sockets we know how to
 * write, as the baseline mbxdp is measured against. Edge-triggered epoll on
 * non-blocking sockets; each readiness reads everything available, answers
 * every complete ADU in the buffer (pipelined requests included) and sends
 * all the answers in one write. TCP_NODELAY, so an answer leaves at once.
 * With --threads N, N threads each own a listening socket on the same port
 * (SO_REUSEPORT: the kernel spreads connections over them), an epoll set and
 * a copy of the image. The answers come from mbxdp's own dispatcher
 * (stack/modbus/modbus.h) over the default model (regs/model/devmodel.h), so the two
 * servers differ only in how the bytes travel. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "modbus/modbus.h"
#include "devmodel.h"

#define THREADS_MAX 64
#define EVENTS_MAX 256
#define RX_BUF 16384
#define TX_BUF 16384

struct conn {
	int fd;
	uint32_t rx_len;
	uint32_t tx_off, tx_len;
	uint8_t rx[RX_BUF];
	uint8_t tx[TX_BUF];
};

struct server {
	pthread_t thread;
	struct sockaddr_in addr;
	int listen_fd;
	int ep;
	struct devmodel dm;
	struct mb_ctx mb;
	struct mb_peer client; /* every client: the default model's one server, may write */
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void conn_close(struct server *s, struct conn *c)
{
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* 0: all sent; 1: the socket is full, EPOLLOUT resumes; -1: the peer is gone. */
static int conn_flush(struct conn *c)
{
	while (c->tx_off < c->tx_len) {
		ssize_t n = send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : errno == EINTR ? 0 : -1;
		c->tx_off += (uint32_t)n;
	}
	c->tx_off = c->tx_len = 0;
	return 0;
}

/* Answers the complete ADUs in rx while an answer of any size still fits in
 * tx. -1: the stream cannot be framed (MBAP length outside 2..254, MIG
 * 4.4.1.1), the connection is reset as mbxdp does. */
static int answer_buffered(struct server *s, struct conn *c)
{
	uint32_t off = 0;
	while (c->rx_len - off >= MBAP_HDR_LEN && TX_BUF - c->tx_len >= MB_ADU_MAX) {
		uint32_t len = mbap_adu_len(c->rx + off);
		if (len == 0)
			return -1;
		if (c->rx_len - off < len)
			break;
		c->tx_len += mb_handle_adu(&s->mb, &s->client, c->rx + off, len, c->tx + c->tx_len);
		off += len;
	}
	memmove(c->rx, c->rx + off, c->rx_len - off);
	c->rx_len -= off;
	return 0;
}

/* One readiness: read until the socket is empty, answering as the buffer
 * fills, and write the answers once at the end (or when tx is full). Each
 * turn either consumes bytes or returns, so the loop ends when the socket
 * is drained. */
static void conn_service(struct server *s, struct conn *c)
{
	for (;;) {
		if (answer_buffered(s, c) < 0)
			goto close;
		if (c->rx_len >= MBAP_HDR_LEN && c->rx_len >= mbap_adu_len(c->rx)) {
			/* tx is full with ADUs still to answer: send first. */
			int r = conn_flush(c);
			if (r < 0)
				goto close;
			if (r > 0)
				return;
			continue;
		}
		ssize_t n = recv(c->fd, c->rx + c->rx_len, RX_BUF - c->rx_len, 0);
		if (n > 0) {
			c->rx_len += (uint32_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			goto close;
		if (errno == EINTR)
			continue;
		break;
	}
	if (conn_flush(c) >= 0)
		return;
close:
	conn_close(s, c);
}

static void accept_all(struct server *s)
{
	int one = 1;
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct conn *c = malloc(sizeof(*c));
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
					  .data.ptr = c };
		if (!c || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
		    epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->rx_len = c->tx_off = c->tx_len = 0;
	}
}

static void *server_run(void *arg)
{
	struct server *s = arg;
	struct epoll_event ev[EVENTS_MAX];

	/* Bounded by the stop flag, checked at least every 100 ms. */
	while (!stopping) {
		int n = epoll_wait(s->ep, ev, EVENTS_MAX, 100);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == NULL) {
				accept_all(s);
				continue;
			}
			struct conn *c = ev[i].data.ptr;
			if (ev[i].events & (EPOLLERR | EPOLLHUP))
				conn_close(s, c);
			else
				conn_service(s, c);
		}
	}
	return NULL;
}

static int server_open(struct server *s)
{
	char err[256];
	int one = 1;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.ptr = NULL };

	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->listen_fd < 0 || s->ep < 0 ||
	    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(s->listen_fd, (struct sockaddr *)&s->addr, sizeof(s->addr)) < 0 ||
	    listen(s->listen_fd, 4096) < 0 ||
	    epoll_ctl(s->ep, EPOLL_CTL_ADD, s->listen_fd, &ev) < 0)
		return -1;
	if (devmodel_build_default(&s->dm, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "peer_epoll: %s\n", err);
		return -1;
	}
	s->mb.model = &s->dm.model;
	s->client = mb_model_peer(&s->dm.model, s->addr.sin_addr.s_addr, 0);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: peer_epoll [--addr A] [--port P] [--threads N]\n"
		   "  Modbus/TCP server on kernel sockets with the default image;\n"
		   "  --threads 0: one thread per online CPU. Defaults 0.0.0.0, 502, 1.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(MB_TCP_PORT) };
	long threads = 1, v;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "a:p:t:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			if (inet_pton(AF_INET, optarg, &addr.sin_addr) != 1)
				goto bad;
			break;
		case 'p':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 65535)
				goto bad;
			addr.sin_port = htons((uint16_t)v);
			break;
		case 't':
			threads = strtol(optarg, &end, 10);
			if (*end || threads < 0 || threads > THREADS_MAX)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		continue;
bad:
		fprintf(stderr, "peer_epoll: bad value '%s'\n", optarg);
		return 2;
	}
	if (threads == 0) {
		threads = sysconf(_SC_NPROCESSORS_ONLN);
		if (threads < 1 || threads > THREADS_MAX)
			threads = 1;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct server *servers = calloc((size_t)threads, sizeof(*servers));
	if (!servers)
		return 1;
	for (long t = 0; t < threads; t++) {
		servers[t].addr = addr;
		if (server_open(&servers[t]) < 0) {
			fprintf(stderr, "peer_epoll: cannot listen on %s:%u: %s\n",
				inet_ntoa(addr.sin_addr), ntohs(addr.sin_port), strerror(errno));
			return 1;
		}
	}
	for (long t = 0; t < threads; t++)
		if (pthread_create(&servers[t].thread, NULL, server_run, &servers[t])) {
			fprintf(stderr, "peer_epoll: cannot start thread %ld\n", t);
			return 1;
		}
	printf("peer_epoll: serving on %s:%u with %ld thread(s)\n", inet_ntoa(addr.sin_addr),
	       ntohs(addr.sin_port), threads);
	fflush(stdout);
	for (long t = 0; t < threads; t++) {
		pthread_join(servers[t].thread, NULL);
		close(servers[t].listen_fd);
		close(servers[t].ep);
		devmodel_free(&servers[t].dm);
	}
	free(servers);
	return 0;
}
