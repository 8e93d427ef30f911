/* mbxdp-bench: a Modbus/TCP load generator that checks every answer.
 *
 * Connections are spread over threads; each thread drives its own with epoll
 * (or by spinning on non-blocking sockets with --busy-poll) and records the
 * latency of every request, from the time it was meant to be sent to the
 * arrival of its answer, in its own histogram; the histograms are merged at
 * the end. Closed loop: every answer frees its slot for the next request at
 * once. Open loop (--rate): requests are due at fixed intervals whether or
 * not earlier ones were answered, and a request that had to wait for a free
 * pipeline slot is still timed from when it was due, so a stalling server
 * shows in the latency rather than hiding in a lower request rate
 * (coordinated omission). --udp-echo sends 16-byte UDP probes instead, to
 * the reflector in bench/peers, through the same machinery. The merged
 * histogram also goes out in HdrHistogram's forms: an interval log, one
 * interval a second (--hdr-log), and wrk2's percentile spectrum
 * (--latency-spectrum). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bypass.h"
#include "engine_watch.h"
#include "hdr_log.h"
#include "histogram.h"
#include "json_out.h"
#include "mbreq.h"
#include "modbus/modbus.h"
#include "report.h"
#include "spectrum.h"

#define CONNS_MAX 10000
#define THREADS_MAX 64
#define RX_BUF 16384
#define EVENTS_MAX 256
#define RECONNECT_NS 100000000ull /* a lost connection is retried every 100 ms */
#define CONNECT_TIMEOUT_NS 1500000000ull /* TCP resends a lost SYN after 1 s (RFC 6298 2.1) */
#define POLL_NS 1000000ull /* epoll waits at most 1 ms: timeouts and the end are checked */
#define OVERRUN_S 5 /* a run ends within warmup + duration + 5 s */

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_UP };

struct conn {
	int fd;
	enum conn_state state;
	uint64_t next_due_ns; /* open loop: when the next request is due */
	uint64_t retry_ns; /* down: when to connect again; connecting: the deadline */
	uint64_t rng;
	uint32_t rx_len;
	uint32_t tx_len, tx_off;
	uint8_t *tx; /* room for a full pipeline of requests */
	struct inflight inf;
	uint8_t rx[RX_BUF];
};

struct worker {
	pthread_t thread;
	const struct options *opt;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	struct conn *conns;
	uint32_t n_conns;
	int ep;
	uint64_t t_start, t_measure, t_end, t_stop;
	struct counters ctr;
	struct progress *pub;
	struct histogram hist;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void conn_close(struct worker *w, struct conn *c, uint64_t now)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = CONN_DOWN;
	c->retry_ns = now + RECONNECT_NS;
	c->rx_len = c->tx_len = c->tx_off = 0;
	inflight_init(&c->inf, w->opt->pipeline);
}

static void conn_fail(struct worker *w, struct conn *c, uint64_t now)
{
	w->ctr.connect_failures++;
	conn_close(w, c, now);
}

/* Starts a non-blocking connect; conn_poll_connect() sees it through, so a
 * server that is slow to accept holds up no other connection. */
static void conn_open(struct worker *w, struct conn *c, uint64_t now)
{
	const struct options *o = w->opt;
	int type = (o->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
	int one = 1;

	c->fd = socket(w->dst.ss_family, type, 0);
	c->state = CONN_CONNECTING;
	c->retry_ns = now + CONNECT_TIMEOUT_NS; /* the deadline while connecting */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c };
	if (c->fd < 0 ||
	    (!o->udp && setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) ||
	    (!o->busy_poll && epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)) {
		conn_fail(w, c, now);
		return;
	}
	if (connect(c->fd, (const struct sockaddr *)&w->dst, w->dst_len) == 0)
		c->state = CONN_UP;
	else if (errno != EINPROGRESS)
		conn_fail(w, c, now);
}

/* connect() again tells how a pending connect went (connect(2)): EALREADY
 * while it is under way, EISCONN once it succeeded, the error otherwise.
 * Bounded by CONNECT_TIMEOUT_NS, which allows one SYN retransmission. */
static void conn_poll_connect(struct worker *w, struct conn *c, uint64_t now)
{
	if (connect(c->fd, (const struct sockaddr *)&w->dst, w->dst_len) == 0 ||
	    errno == EISCONN)
		c->state = CONN_UP;
	else if ((errno != EALREADY && errno != EINPROGRESS) || now >= c->retry_ns)
		conn_fail(w, c, now);
}

static void conn_lost(struct worker *w, struct conn *c, uint64_t now)
{
	w->ctr.connections_lost++;
	conn_close(w, c, now);
}

/* Sends what is queued; a partial write leaves the rest for EPOLLOUT or the
 * next spin. UDP probes go one datagram each. */
static void conn_flush(struct worker *w, struct conn *c, uint64_t now)
{
	uint32_t step = w->opt->udp ? UDP_PROBE_LEN : c->tx_len - c->tx_off;

	while (c->state == CONN_UP && c->tx_off < c->tx_len) {
		ssize_t n = send(c->fd, c->tx + c->tx_off, step, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				conn_lost(w, c, now);
			return;
		}
		c->tx_off += (uint32_t)n;
	}
	if (c->tx_off == c->tx_len)
		c->tx_off = c->tx_len = 0;
}

static void queue_request(struct worker *w, struct conn *c, uint64_t due, uint64_t now)
{
	struct pending *p = inflight_claim(&c->inf);
	p->intended_ns = due;
	p->sent_ns = now;
	if (w->opt->udp) {
		p->fc = 0;
		c->tx_len += udp_probe_build(p, c->tx + c->tx_len);
	} else {
		c->tx_len += mbreq_build(&w->opt->mix, &c->rng, p, c->tx + c->tx_len);
	}
	w->ctr.sent++;
}

/* Open loop: the time between two requests of one connection. */
static uint64_t due_interval(const struct options *o)
{
	return (uint64_t)((double)o->connections * 1e9 / o->rate);
}

/* Open loop, at the end: the requests due in the measured window that c
 * never sent. Counted as errors: a connection that stalled would otherwise
 * leave its requests out of every figure, answers and errors alike. */
static uint64_t unsent_due(const struct worker *w, const struct conn *c)
{
	uint64_t n = 0;

	for (uint64_t due = c->next_due_ns; due < w->t_end; due += due_interval(w->opt))
		n += due >= w->t_measure;
	return n;
}

/* Open loop: whether a connection that can send has a request due before
 * the end still to send. */
static int due_before_end(const struct worker *w)
{
	if (w->opt->rate <= 0)
		return 0;
	for (uint32_t i = 0; i < w->n_conns; i++) {
		const struct conn *c = &w->conns[i];
		if (c->state == CONN_UP && c->inf.n_free && c->next_due_ns < w->t_end)
			return 1;
	}
	return 0;
}

/* Queues every request that is due and has a free slot, then sends them in
 * one write. Closed loop: nothing new from the end of the run on; open
 * loop: nothing due from then on, but what fell due before still goes, so
 * a late wake-up leaves no request unsent. */
static void conn_send_due(struct worker *w, struct conn *c, uint64_t now)
{
	if (c->state != CONN_UP || (w->opt->rate <= 0 && now >= w->t_end))
		return;
	if (w->opt->rate > 0) {
		while (c->next_due_ns <= now && c->next_due_ns < w->t_end && c->inf.n_free) {
			queue_request(w, c, c->next_due_ns, now);
			c->next_due_ns += due_interval(w->opt);
		}
	} else {
		while (c->inf.n_free)
			queue_request(w, c, now, now);
	}
	conn_flush(w, c, now);
}

static void account(struct worker *w, struct conn *c, struct pending *p, enum check_result r,
		    uint64_t now)
{
	counters_answer(&w->ctr, &w->hist, r, p->intended_ns, now, w->t_measure, w->t_end);
	inflight_release(&c->inf, p);
}

/* Checks one response; a transaction id that is not in flight is wrong. */
static void on_response(struct worker *w, struct conn *c, const uint8_t *buf, uint32_t len,
			uint64_t now)
{
	struct pending *p = len >= 2 ? inflight_match(&c->inf, mbreq_tid(buf)) : NULL;
	if (!p) {
		w->ctr.wrong++;
		return;
	}
	account(w, c, p,
		w->opt->udp ? udp_probe_check(p, buf, len) : mbreq_check(&w->opt->mix, p, buf, len),
		now);
}

static void conn_read_udp(struct worker *w, struct conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->rx, sizeof(c->rx), 0);
		if (n < 0)
			return;
		on_response(w, c, c->rx, (uint32_t)n, now_ns());
	}
}

/* Reads everything available and checks every complete ADU in it. */
static void conn_read_tcp(struct worker *w, struct conn *c)
{
	while (c->state == CONN_UP) {
		ssize_t n = recv(c->fd, c->rx + c->rx_len, sizeof(c->rx) - c->rx_len, 0);
		uint64_t now = now_ns();
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			conn_lost(w, c, now);
			return;
		}
		if (n < 0)
			return;
		c->rx_len += (uint32_t)n;
		uint32_t off = 0;
		while (c->rx_len - off >= MBAP_HDR_LEN) {
			uint32_t alen = mbap_adu_len(c->rx + off);
			if (alen == 0) { /* the stream cannot be framed any more */
				w->ctr.wrong++;
				conn_lost(w, c, now);
				return;
			}
			if (c->rx_len - off < alen)
				break;
			on_response(w, c, c->rx + off, alen, now);
			off += alen;
		}
		memmove(c->rx, c->rx + off, c->rx_len - off);
		c->rx_len -= off;
	}
}

static void conn_read(struct worker *w, struct conn *c)
{
	if (c->state != CONN_UP)
		return;
	if (w->opt->udp)
		conn_read_udp(w, c);
	else
		conn_read_tcp(w, c);
}

/* A request unanswered for the timeout is counted; over TCP its stream can
 * no longer be trusted, so the connection is closed and opened again. A lost
 * UDP probe only frees its slot. */
static void conn_check_timeouts(struct worker *w, struct conn *c, uint64_t now)
{
	if (c->state != CONN_UP || inflight_busy(&c->inf) == 0)
		return;
	uint32_t expired = 0;
	for (uint32_t s = 0; s < c->inf.depth; s++) {
		struct pending *p = &c->inf.slot[s];
		if (p->busy && now - p->sent_ns > w->opt->timeout_ns) {
			expired++;
			if (w->opt->udp)
				inflight_release(&c->inf, p);
		}
	}
	w->ctr.timeouts += expired;
	if (expired && !w->opt->udp)
		conn_close(w, c, now);
}

static uint32_t busy_total(const struct worker *w)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < w->n_conns; i++)
		n += inflight_busy(&w->conns[i].inf);
	return n;
}

/* Waits for readiness until the next open-loop request is due, at most
 * POLL_NS, and services what became ready. */
static void wait_and_service(struct worker *w, uint64_t now)
{
	struct epoll_event ev[EVENTS_MAX];
	uint64_t wait = POLL_NS;

	if (w->opt->rate > 0) {
		for (uint32_t i = 0; i < w->n_conns; i++) {
			const struct conn *c = &w->conns[i];
			if (c->state != CONN_UP || !c->inf.n_free || c->next_due_ns >= w->t_end)
				continue;
			uint64_t until_due = c->next_due_ns > now ? c->next_due_ns - now : 0;
			if (until_due < wait)
				wait = until_due;
		}
	}
	struct timespec ts = { (time_t)(wait / 1000000000ull), (long)(wait % 1000000000ull) };
	int n = epoll_pwait2(w->ep, ev, EVENTS_MAX, &ts, NULL);
	for (int i = 0; i < n; i++) {
		struct conn *c = ev[i].data.ptr;
		if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			conn_read(w, c);
		if ((ev[i].events & EPOLLOUT) && c->state == CONN_UP)
			conn_flush(w, c, now_ns());
	}
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint64_t next_timeout_check = 0;

	for (uint32_t i = 0; i < w->n_conns; i++)
		conn_open(w, &w->conns[i], w->t_start);
	/* Bounded: the loop ends at t_stop at the latest; after t_end it only
	 * waits for the answers still due. */
	for (;;) {
		uint64_t now = now_ns();
		if (now >= w->t_stop || interrupted)
			break;
		if (now >= w->t_end && busy_total(w) == 0 && !due_before_end(w))
			break;
		for (uint32_t i = 0; i < w->n_conns; i++) {
			struct conn *c = &w->conns[i];
			if (c->state == CONN_DOWN && now >= c->retry_ns && now < w->t_end)
				conn_open(w, c, now);
			if (c->state == CONN_CONNECTING)
				conn_poll_connect(w, c, now);
			conn_send_due(w, c, now);
		}
		if (w->opt->busy_poll) {
			for (uint32_t i = 0; i < w->n_conns; i++) {
				conn_read(w, &w->conns[i]);
				conn_flush(w, &w->conns[i], now_ns());
			}
		} else {
			wait_and_service(w, now);
		}
		now = now_ns();
		if (now >= next_timeout_check) {
			for (uint32_t i = 0; i < w->n_conns; i++)
				conn_check_timeouts(w, &w->conns[i], now);
			next_timeout_check = now + POLL_NS;
		}
		__atomic_store_n(&w->pub->ok, w->ctr.ok, __ATOMIC_RELAXED);
		__atomic_store_n(&w->pub->err, errors_of(&w->ctr), __ATOMIC_RELAXED);
	}
	/* What is still in flight when the run stops was never answered: a
	 * timeout, unless the run was interrupted; in open loop, what was due
	 * and never sent is counted as unsent. */
	for (uint32_t i = 0; i < w->n_conns; i++) {
		struct conn *c = &w->conns[i];
		if (!interrupted) {
			w->ctr.timeouts += inflight_busy(&c->inf);
			if (w->opt->rate > 0)
				w->ctr.unsent += unsent_due(w, c);
			/* A connect still under way never got to ask. */
			w->ctr.connect_failures += c->state == CONN_CONNECTING;
		}
		if (c->fd >= 0)
			close(c->fd);
	}
	__atomic_store_n(&w->pub->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mbxdp-bench --host ADDR [--port P] [--connections N] [--pipeline D]\n"
		"         [--mix SPEC] [--unit U] [--address A --count N] [--no-check]\n"
		"         [--rate R] [--warmup S] [--duration S] [--threads T]\n"
		"         [--timeout-ms MS] [--busy-poll] [--udp-echo] [--json] [--progress]\n"
		"         [--hdr-log FILE] [--latency-spectrum] [--engine NAME]\n"
		"       mbxdp-bench --afxdp IF --source PREFIX --host ADDR [--queues N]\n"
		"         [--connect-rate | --hold S] [--open-window N]\n"
		"         [the options above but --threads,\n"
		"         --busy-poll, --udp-echo]\n"
		"       mbxdp-bench --dpdk --source PREFIX --host ADDR [...] -- EAL-ARGS\n"
		"       mbxdp-bench --help | --version\n"
		"  --host      the server: an IPv4 or IPv6 address, or a name (its first\n"
		"              address); the kernel-bypass master takes an address only\n"
		"  --mix       function mix, e.g. fc3:10=80,fc16:10=20 (code:quantity=weight;\n"
		"              codes 1-6, 15, 16); default fc3:10\n"
		"  --unit      unit id of every request (0-255); default 1\n"
		"  --address, --count\n"
		"              every request inside addresses A to A+N-1 (a mix that reads and\n"
		"              writes there needs --no-check); default: reads at 0-0x7FFF,\n"
		"              writes at 0x8000-0xFFFF\n"
		"  --no-check  check only that each answer is well-formed for its request, not\n"
		"              the values read (which are the default image's: register i holds i)\n"
		"  --rate      open loop at R requests/s over all connections; default closed loop\n"
		"  --udp-echo  16-byte UDP probes to a reflector instead of Modbus/TCP\n"
		"  --afxdp     kernel-bypass master on AF_XDP sockets of every queue of IF (or\n"
		"              the first --queues N), one worker each, on the engine's stack\n"
		"  --dpdk      the same on a DPDK port, EAL's arguments after --\n"
		"  --source    its source addresses, an IPv4 prefix of /16 to /32 or an IPv6 one\n"
		"              of /118 to /128 on the link (XDP answers their ARP or Neighbor\n"
		"              Solicitations); the target's MAC is asked by ARP or Neighbor\n"
		"              Discovery; --host an address of the same family\n"
		"  --connect-rate\n"
		"              connect, one request, close, again, on --connections at once:\n"
		"              connections/s, each answer checked\n"
		"  --hold      open --connections, a request on each every S seconds: how many\n"
		"              the target keeps\n"
		"  --open-window\n"
		"              at most N handshakes under way at once per worker (1-65536,\n"
		"              default 512): halved, down to 16, whenever a SYN had to be sent\n"
		"              again, one more per connection opened, so connections open at\n"
		"              the pace the target takes them\n"
		"  --engine    the target is the mbxdp of this instance name (its --name) on\n"
		"              this host: report its workers' busy share in the measured window\n"
		"  --hdr-log   write HdrHistogram's interval log to FILE (mode 0600): one\n"
		"              line a second of the latency measured, in nanoseconds\n"
		"  --latency-spectrum\n"
		"              print wrk2's detailed percentile spectrum (HdrHistogram's) after\n"
		"              the results, in microseconds; not with --json\n"
		"Exits 0 when every request sent was answered right; 1 when any error was\n"
		"counted or fewer requests were answered than sent (none sent included), or\n"
		"the log could not be written whole; 2 on usage (a log file refused too).\n");
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* The kernel-bypass master's options: long only. */
enum {
	OPT_AFXDP = 256,
	OPT_DPDK,
	OPT_SOURCE,
	OPT_QUEUES,
	OPT_CONNECT_RATE,
	OPT_HOLD,
	OPT_OPEN_WINDOW,
	OPT_ENGINE,
};

/* The combinations of the kernel-bypass master's options, one line each. */
static int bypass_check(const struct options *o, int threads_given)
{
	const char *why = NULL;
	int bypass = o->afxdp || o->dpdk;

	if (o->afxdp && o->dpdk)
		why = "--afxdp and --dpdk exclude each other";
	else if (bypass && !o->source.family)
		why = "--afxdp and --dpdk need --source PREFIX";
	else if (!bypass && (o->source.family || o->queues || o->mode != MODE_REQUESTS ||
			     o->open_window))
		why = "--source, --queues, --connect-rate, --hold and --open-window need --afxdp "
		      "or --dpdk";
	else if (bypass && (threads_given || o->busy_poll || o->udp))
		why = "--threads, --busy-poll and --udp-echo are the socket master's; the "
		      "kernel-bypass one runs a busy-polling worker per queue";
	else if (o->mode != MODE_REQUESTS && (o->rate > 0 || o->pipeline > 1))
		why = "--connect-rate and --hold ask one request at a time, without --rate or "
		      "--pipeline";
	else if (o->mode == MODE_REQUESTS && o->connections > CONNS_MAX)
		why = "--connections above 10000 needs --connect-rate or --hold";
	if (why) {
		fprintf(stderr, "mbxdp-bench: %s\n", why);
		return -1;
	}
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "connections", required_argument, NULL, 'c' },
		{ "pipeline", required_argument, NULL, 'd' },
		{ "mix", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "duration", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'T' },
		{ "timeout-ms", required_argument, NULL, 'o' },
		{ "busy-poll", no_argument, NULL, 'b' },
		{ "udp-echo", no_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "progress", no_argument, NULL, 'P' },
		{ "unit", required_argument, NULL, 'U' },
		{ "address", required_argument, NULL, 'A' },
		{ "count", required_argument, NULL, 'N' },
		{ "no-check", no_argument, NULL, 'C' },
		{ "hdr-log", required_argument, NULL, 'L' },
		{ "latency-spectrum", no_argument, NULL, 'S' },
		{ "afxdp", required_argument, NULL, OPT_AFXDP },
		{ "dpdk", no_argument, NULL, OPT_DPDK },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "queues", required_argument, NULL, OPT_QUEUES },
		{ "connect-rate", no_argument, NULL, OPT_CONNECT_RATE },
		{ "hold", required_argument, NULL, OPT_HOLD },
		{ "open-window", required_argument, NULL, OPT_OPEN_WINDOW },
		{ "engine", required_argument, NULL, OPT_ENGINE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char err[128];
	double v, timeout_ms = 1000;
	int opt, port_given = 0, address_given = 0, check_values = 1, threads_given = 0;
	uint8_t unit = MBREQ_UNIT_ID;
	uint16_t first = 0;
	uint32_t count = 0;

	*o = (struct options){ .port = MB_TCP_PORT, .connections = 1, .pipeline = 1,
			       .warmup_s = 1, .duration_s = 5, .threads = 1 };
	mix_parse("fc3:10", &o->mix, err, sizeof(err));
	while ((opt = getopt_long(argc, argv, "H:p:c:d:m:r:w:t:T:o:bujPU:A:N:ChV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'H':
			o->host = optarg;
			break;
		case 'p':
			if (parse_double(optarg, 1, 65535, &v))
				goto bad;
			o->port = (uint16_t)v;
			port_given = 1;
			break;
		case 'c':
			if (parse_double(optarg, 1, BYPASS_CONNS_MAX, &v))
				goto bad;
			o->connections = (uint32_t)v;
			break;
		case 'd':
			if (parse_double(optarg, 1, PIPELINE_MAX, &v))
				goto bad;
			o->pipeline = (uint32_t)v;
			break;
		case 'm':
			if (mix_parse(optarg, &o->mix, err, sizeof(err))) {
				fprintf(stderr, "mbxdp-bench: %s\n", err);
				return -1;
			}
			break;
		case 'r':
			if (parse_double(optarg, 1, 1e9, &o->rate))
				goto bad;
			break;
		case 'w':
			if (parse_double(optarg, 0, 3600, &o->warmup_s))
				goto bad;
			break;
		case 't':
			if (parse_double(optarg, 0.1, 86400, &o->duration_s))
				goto bad;
			break;
		case 'T':
			if (parse_double(optarg, 1, THREADS_MAX, &v))
				goto bad;
			o->threads = (uint32_t)v;
			threads_given = 1;
			break;
		case 'o':
			/* A run ends within OVERRUN_S of its duration, so the
			 * wait for the last answers is shorter than that. */
			if (parse_double(optarg, 1, (OVERRUN_S - 1) * 1000, &timeout_ms))
				goto bad;
			break;
		case 'b':
			o->busy_poll = 1;
			break;
		case 'u':
			o->udp = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'P':
			o->progress = 1;
			break;
		case 'U':
			if (parse_double(optarg, 0, 255, &v) || v != (uint8_t)v)
				goto bad;
			unit = (uint8_t)v;
			break;
		case 'A':
			if (parse_double(optarg, 0, 65535, &v) || v != (uint16_t)v)
				goto bad;
			first = (uint16_t)v;
			address_given = 1;
			break;
		case 'N':
			if (parse_double(optarg, 1, 65536, &v) || v != (uint32_t)v)
				goto bad;
			count = (uint32_t)v;
			break;
		case 'C':
			check_values = 0;
			break;
		case 'L':
			o->hdr_log = optarg;
			break;
		case 'S':
			o->spectrum = 1;
			break;
		case OPT_AFXDP:
			o->afxdp = optarg;
			break;
		case OPT_DPDK:
			o->dpdk = 1;
			break;
		case OPT_SOURCE: {
			const char *why = bypass_parse_source(optarg, &o->source);

			if (why) {
				fprintf(stderr, "mbxdp-bench: bad value '%s' for --source: %s\n", optarg,
					why);
				return -1;
			}
			break;
		}
		case OPT_QUEUES:
			if (parse_double(optarg, 1, BYPASS_QUEUES_MAX, &v) || v != (uint32_t)v)
				goto bad;
			o->queues = (uint32_t)v;
			break;
		case OPT_CONNECT_RATE:
			o->mode = MODE_CONNECT_RATE;
			break;
		case OPT_HOLD:
			if (parse_double(optarg, 0.001, 3600, &o->hold_s))
				goto bad;
			o->mode = MODE_HOLD;
			break;
		case OPT_OPEN_WINDOW:
			if (parse_double(optarg, 1, 65536, &v) || v != (uint32_t)v)
				goto bad;
			o->open_window = (uint32_t)v;
			break;
		case OPT_ENGINE:
			o->engine = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("mbxdp-bench %s\n", MBXDP_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		continue;
bad:
		for (const struct option *lo = longopts; lo->name; lo++)
			if (lo->val == opt)
				fprintf(stderr, "mbxdp-bench: bad value '%s' for --%s\n", optarg,
					lo->name);
		return -1;
	}
	if (o->dpdk && optind < argc) {
		/* EAL's argv: what follows --, behind our argv[0]. */
		o->eal_argv = &argv[optind - 1];
		o->eal_argv[0] = argv[0];
		o->eal_argc = argc - optind + 1;
		optind = argc;
	}
	if (optind < argc || !o->host) {
		usage(stderr);
		return -1;
	}
	if (bypass_check(o, threads_given) < 0)
		return -1;
	if (o->udp && !port_given) {
		fprintf(stderr, "mbxdp-bench: --udp-echo needs --port\n");
		return -1;
	}
	if (o->spectrum && o->json) {
		fprintf(stderr, "mbxdp-bench: --latency-spectrum prints text, --json one object: "
				"choose one\n");
		return -1;
	}
	if (address_given != (count != 0)) {
		fprintf(stderr, "mbxdp-bench: --address and --count go together\n");
		return -1;
	}
	if (mix_target(&o->mix, unit, first, count, check_values, err, sizeof(err))) {
		fprintf(stderr, "mbxdp-bench: %s\n", err);
		return -1;
	}
	if (o->threads > o->connections)
		o->threads = o->connections;
	o->timeout_ns = (uint64_t)(timeout_ms * 1e6);
	return 0;
}

static const char *mode_name(const struct options *o)
{
	if (o->udp)
		return "udp-echo";
	return o->mode == MODE_CONNECT_RATE ? "connect-rate" : o->mode == MODE_HOLD ? "hold" : "modbus";
}

static const char *master_name(const struct options *o)
{
	return o->afxdp ? "afxdp" : o->dpdk ? "dpdk" : "socket";
}

/* The share of the kernel-bypass workers' loop time spent on polls that
 * found frames or work; 0 for the socket master, which does not measure it. */
static double busy_share(const struct counters *c)
{
	return c->poll_tsc ? 1 - (double)c->idle_tsc / (double)c->poll_tsc : 0;
}

/* Which side set the pace, or NULL when that is not known. A side busy 90 %
 * of its time or more is saturated. With the engine's share read
 * (--engine, engine_busy >= 0) both shares decide, and when neither side
 * was saturated the connections' depth did ("neither"); the socket master
 * does not measure itself, so for it only a saturated engine says. */
static const char *pace_of(const struct counters *c, double engine_busy)
{
	int gen = busy_share(c) >= 0.9, eng = engine_busy >= 0.9;

	if (!c->poll_tsc)
		return eng ? "target" : NULL;
	if (engine_busy < 0)
		return gen ? "generator" : "target";
	return gen && eng ? "both" : gen ? "generator" : eng ? "target" : "neither";
}

static json_t *results_json(const struct options *o, const struct counters *c,
			    const struct histogram *h, double engine_busy, const double *pcts,
			    const char *const *names, size_t n_pcts)
{
	/* The distribution for a CDF plot: latency at these percentiles. */
	static const double cdf[] = { 1,  5,  10, 20, 30,   40,	  50,	60,    70,   80,
				      90, 95, 98, 99, 99.5, 99.8, 99.9, 99.95, 99.99 };
	json_t *root = json_object(), *lat = json_object(), *points = json_array(),
	       *errs = json_object();

	json_object_set_new(root, "mode", json_string(mode_name(o)));
	json_object_set_new(root, "master", json_string(master_name(o)));
	json_object_set_new(root, "host", json_text(o->host));
	json_object_set_new(root, "port", json_integer(o->port));
	json_object_set_new(root, "unit", json_integer(o->mix.unit));
	json_object_set_new(root, "address", json_integer(o->mix.first));
	json_object_set_new(root, "count", json_integer(o->mix.count));
	json_object_set_new(root, "check_values", json_boolean(o->mix.check_values));
	json_object_set_new(root, "connections", json_integer(o->connections));
	json_object_set_new(root, "pipeline", json_integer(o->pipeline));
	json_object_set_new(root, "threads", json_integer(o->threads));
	json_object_set_new(root, "rate", json_real(o->rate));
	json_object_set_new(root, "busy_poll", json_boolean(o->busy_poll));
	json_object_set_new(root, "warmup_s", json_real(o->warmup_s));
	json_object_set_new(root, "duration_s", json_real(o->duration_s));
	json_object_set_new(root, "requests", json_count(c->sent));
	json_object_set_new(root, "answered", json_count(c->answered));
	json_object_set_new(root, "responses_ok", json_count(c->ok));
	json_object_set_new(root, "throughput_rps", json_real((double)c->ok / o->duration_s));
	if (o->mode == MODE_CONNECT_RATE) {
		json_object_set_new(root, "connections_ok", json_count(c->connections_ok));
		json_object_set_new(root, "connections_per_s",
				    json_real((double)c->connections_ok / o->duration_s));
	}
	if (o->mode == MODE_HOLD) {
		json_object_set_new(root, "hold_s", json_real(o->hold_s));
		json_object_set_new(root, "opened", json_count(c->opened));
		json_object_set_new(root, "held", json_count(c->held));
	}
	if (c->poll_tsc)
		json_object_set_new(root, "generator_busy", json_real(busy_share(c)));
	if (engine_busy >= 0)
		json_object_set_new(root, "engine_busy", json_real(engine_busy));
	if (pace_of(c, engine_busy))
		json_object_set_new(root, "pace", json_string(pace_of(c, engine_busy)));
	json_object_set_new(lat, "count", json_count(h->count));
	json_object_set_new(lat, "min", json_count(h->count ? h->min : 0));
	for (size_t i = 0; i < n_pcts; i++)
		json_object_set_new(lat, names[i], json_count(hist_percentile(h, pcts[i])));
	json_object_set_new(lat, "max", json_count(h->max));
	for (size_t i = 0; i < sizeof(cdf) / sizeof(cdf[0]); i++)
		json_array_append_new(points, json_pack("[f,o]", cdf[i],
							json_count(hist_percentile(h, cdf[i]))));
	json_object_set_new(lat, "cdf", points);
	json_object_set_new(root, "latency_ns", lat);
	json_object_set_new(errs, "total", json_count(errors_of(c)));
	json_object_set_new(errs, "timeouts", json_count(c->timeouts));
	json_object_set_new(errs, "exceptions", json_count(c->exceptions));
	json_object_set_new(errs, "wrong", json_count(c->wrong));
	json_object_set_new(errs, "connect_failures", json_count(c->connect_failures));
	json_object_set_new(errs, "connections_lost", json_count(c->connections_lost));
	json_object_set_new(errs, "unsent", json_count(c->unsent));
	json_object_set_new(errs, "unanswered", json_count(unanswered_of(c)));
	json_object_set_new(root, "errors", errs);
	return root;
}

static void print_results(const struct options *o, const struct counters *c,
			  const struct histogram *h, double engine_busy)
{
	static const double pcts[] = { 50, 90, 99, 99.9, 99.99 };
	static const char *const names[] = { "p50", "p90", "p99", "p99.9", "p99.99" };
	double tput = (double)c->ok / o->duration_s;

	if (o->json) {
		json_t *root = results_json(o, c, h, engine_busy, pcts, names, 5);

		json_print_line(root, stdout);
		json_decref(root);
		return;
	}
	/* An IPv6 address in brackets before its port (RFC 3986 3.2.2). */
	int bracket = strchr(o->host, ':') != NULL;
	printf("mbxdp-bench: %s %s%s%s:%u, %u connection(s), pipeline %u, ", mode_name(o),
	       bracket ? "[" : "", o->host, bracket ? "]" : "", o->port, o->connections, o->pipeline);
	if (o->afxdp || o->dpdk)
		printf("%s master, %s\n", master_name(o), o->rate > 0 ? "open loop" : "closed loop");
	else
		printf("%u thread(s), %s%s\n", o->threads, o->rate > 0 ? "open loop" : "closed loop",
		       o->busy_poll ? ", busy-poll" : "");
	printf("  %-18s %12.1f requests/s (%llu answered right in %g s)\n", "throughput", tput,
	       (unsigned long long)c->ok, o->duration_s);
	printf("  latency (us)       ");
	for (unsigned i = 0; i < 5; i++)
		printf(" %8s", names[i]);
	printf(" %8s\n                     ", "max");
	for (unsigned i = 0; i < 5; i++)
		printf(" %8.1f", (double)hist_percentile(h, pcts[i]) / 1e3);
	printf(" %8.1f\n", (double)h->max / 1e3);
	if (o->mode == MODE_CONNECT_RATE)
		printf("  %-18s %12.1f connections/s (%llu opened, answered right and closed)\n",
		       "connection rate", (double)c->connections_ok / o->duration_s,
		       (unsigned long long)c->connections_ok);
	if (o->mode == MODE_HOLD)
		printf("  %-18s %12llu of %u kept to the end (%llu opened, a request each every %g s)\n",
		       "held", (unsigned long long)c->held, o->connections,
		       (unsigned long long)c->opened, o->hold_s);
	if (c->poll_tsc)
		printf("  generator busy %.1f %% of its polls\n", 100 * busy_share(c));
	if (engine_busy >= 0)
		printf("  engine (mbxdp %s) busy %.1f %% of its loops\n", o->engine, 100 * engine_busy);
	if (pace_of(c, engine_busy))
		printf("  pace set by: %s\n", pace_of(c, engine_busy));
	printf("  requests sent %llu, answered %llu, unanswered %llu\n", (unsigned long long)c->sent,
	       (unsigned long long)c->answered, (unsigned long long)unanswered_of(c));
	printf("  errors %llu: timeouts %llu, exceptions %llu, wrong %llu, connect failures %llu, "
	       "connections lost %llu, unsent %llu\n",
	       (unsigned long long)errors_of(c), (unsigned long long)c->timeouts,
	       (unsigned long long)c->exceptions, (unsigned long long)c->wrong,
	       (unsigned long long)c->connect_failures, (unsigned long long)c->connections_lost,
	       (unsigned long long)c->unsent);
	if (o->spectrum) {
		printf("  Latency Distribution (HdrHistogram - Recorded Latency), in microseconds\n"
		       "  Detailed Percentile spectrum:\n");
		spectrum_print(stdout, h, 1e3);
	}
}

/* --host as getaddrinfo(3) reads it: an IPv4 or IPv6 address, or a name,
 * whose first address (in RFC 6724's order) is the target. */
static int resolve(const struct options *o, struct sockaddr_storage *dst, socklen_t *len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", o->port);
	rc = getaddrinfo(o->host, port, &hints, &res);
	if (rc) {
		fprintf(stderr, "mbxdp-bench: %s: %s\n", o->host, gai_strerror(rc));
		return -1;
	}
	memcpy(dst, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* The socket master: threads of epoll-driven (or spinning) connections.
 * 0, -1 on a failure it printed, -2 when the latency log was refused. */
static int socket_run(const struct options *o, const struct sockaddr_storage *dst,
		      socklen_t dst_len, struct reporter *rep, struct counters *total, struct histogram *h)
{
	struct worker *ws = calloc(o->threads, sizeof(*ws));
	struct progress *pubs = calloc(o->threads, sizeof(*pubs));
	struct conn *conns = calloc(o->connections, sizeof(*conns));
	uint8_t *tx = calloc(o->connections, (size_t)o->pipeline * MB_ADU_MAX);
	int rc = 0;

	if (!ws || !pubs || !conns || !tx) {
		fprintf(stderr, "mbxdp-bench: out of memory\n");
		rc = -1;
		goto out;
	}
	uint64_t t_start = now_ns();
	uint64_t t_measure = t_start + (uint64_t)(o->warmup_s * 1e9);
	uint64_t t_end = t_measure + (uint64_t)(o->duration_s * 1e9);
	uint64_t t_stop = t_end + o->timeout_ns;
	uint64_t interval = o->rate > 0 ? due_interval(o) : 0;
	if (reporter_begin(rep, o, t_measure, &interrupted) < 0) {
		rc = -2;
		goto out;
	}

	for (uint32_t i = 0; i < o->connections; i++) {
		struct conn *c = &conns[i];
		c->fd = -1;
		c->rng = 0x9e3779b97f4a7c15ull * (i + 1);
		c->tx = tx + (size_t)i * o->pipeline * MB_ADU_MAX;
		/* Staggered, so the connections' requests do not come in bursts. */
		c->next_due_ns = t_start + interval * i / o->connections;
		inflight_init(&c->inf, o->pipeline);
	}
	/* Each thread drives a contiguous block; the block sizes differ by at
	 * most one. */
	for (uint32_t t = 0, first = 0; t < o->threads; t++) {
		struct worker *w = &ws[t];
		w->opt = o;
		w->dst = *dst;
		w->dst_len = dst_len;
		w->conns = conns + first;
		w->n_conns = o->connections / o->threads + (t < o->connections % o->threads);
		first += w->n_conns;
		w->t_start = t_start;
		w->t_measure = t_measure;
		w->t_end = t_end;
		w->t_stop = t_stop;
		w->pub = &pubs[t];
		hist_init(&w->hist);
		pubs[t].hist = &w->hist;
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		if (w->ep < 0 || pthread_create(&w->thread, NULL, worker_run, w)) {
			fprintf(stderr, "mbxdp-bench: cannot start thread %u\n", t);
			exit(1);
		}
	}
	report_loop(rep, pubs, o->threads, t_start, t_stop);

	for (uint32_t t = 0; t < o->threads; t++) {
		struct worker *w = &ws[t];
		pthread_join(w->thread, NULL);
		close(w->ep);
		hist_merge(h, &w->hist);
		counters_add(total, &w->ctr);
	}
out:
	free(tx);
	free(conns);
	free(pubs);
	free(ws);
	return rc;
}

int main(int argc, char **argv)
{
	static struct histogram h;
	static struct reporter rep;
	struct counters total = { 0 };
	double engine_busy = -1;
	struct options o;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	char err[256];
	int rc;

	if (parse_options(argc, argv, &o))
		return 2;
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	hist_init(&h);
	if (o.engine) {
		rep.engine = engine_watch_open(o.engine, err, sizeof(err));
		if (!rep.engine) {
			fprintf(stderr, "mbxdp-bench: %s\n", err);
			return 2;
		}
	}
	if (o.afxdp || o.dpdk) {
		rc = bypass_run(&o, &interrupted, &rep, &total, &h, err, sizeof(err));
		if (rc == -1)
			fprintf(stderr, "mbxdp-bench: %s\n", err);
	} else {
		if (resolve(&o, &dst, &dst_len))
			return 2;
		rc = socket_run(&o, &dst, dst_len, &rep, &total, &h);
	}
	if (o.engine) {
		engine_busy = engine_watch_finish(rep.engine);
		if (engine_busy < 0 && !interrupted)
			fprintf(stderr, "mbxdp-bench: the engine %s could not be read at the measured "
					"window's start and end\n", o.engine);
		engine_watch_close(rep.engine);
	}
	if (rc < 0)
		return rc == -2 ? 2 : 1;
	log_interval(&rep, &h, now_ns());
	if (rep.log && hdr_log_close(rep.log, err, sizeof(err))) {
		fprintf(stderr, "mbxdp-bench: %s\n", err);
		rep.log_failed = 1;
	}
	print_results(&o, &total, &h, engine_busy);
	/* Interrupted, what was in flight is not held against the server. */
	return errors_of(&total) || total.sent == 0 || (!interrupted && unanswered_of(&total)) ||
			       rep.log_failed
		       ? 1
		       : 0;
}
