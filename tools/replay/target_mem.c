#include "target_mem.h"

#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devmodel.h"
#include "port_mem.h"
#include "stats.h"
#include "worker.h"

#define MEM_FRAMES 4096
#define MEM_FRAME_SIZE 2048
#define OUT_QUEUE 4096 /* server frames not yet handed to the player */

/* The addresses of every in-process replay: 198.18.0.0/15 and 2001:2::/48
 * only. */
#define MEM_SERVER_IP 0xc6120001u /* 198.18.0.1 */
#define MEM_CLIENT_IP 0xc6120002u /* 198.18.0.2 */
static const uint8_t mem_server_ip6[16] = { 0x20, 0x01, 0, 2, [15] = 1 }; /* 2001:2::1 */
static const uint8_t mem_client_ip6[16] = { 0x20, 0x01, 0, 2, [15] = 2 }; /* 2001:2::2 */
/* The SYN cookie secret, as text (stack_secret_derive). */
#define MEM_SECRET "mbxdp-replay in-process"

struct mem_target {
	struct rp_target t; /* first: the player holds a pointer to it */
	struct mbx_port *port;
	struct stack *stack;
	struct devmodel dm; /* the default model, or --config's */
	uint32_t addrs[STACK_MAX_ADDRS]; /* the stack's, network order: 198.18.0.1 and the model's */
	uint32_t n_addrs;
	uint8_t addrs6[STACK_MAX_ADDRS][16]; /* 2001:2::1 and the model's */
	uint32_t n_addrs6;
	struct worker w;
	volatile sig_atomic_t stop;
	pcap_t *dead;
	pcap_dumper_t *dump;
	uint64_t now, epoch_ns;
	uint64_t next_tick; /* when the stack's timers run next, as the worker loop would */
	uint8_t (*q)[MEM_FRAME_SIZE];
	uint32_t qlen[OUT_QUEUE];
	uint32_t qhead, qcount;
	uint64_t queue_full;
};

static struct mem_target *mt(struct rp_target *t)
{
	return (struct mem_target *)t;
}

static void dump(struct mem_target *m, const uint8_t *f, uint32_t len)
{
	uint64_t ts = m->epoch_ns + m->now;
	struct pcap_pkthdr h = {
		.ts = { .tv_sec = (time_t)(ts / 1000000000u), .tv_usec = (suseconds_t)(ts % 1000000000u) },
		.caplen = len,
		.len = len,
	};

	pcap_dump((u_char *)m->dump, &h, f);
}

/* Queues what the worker sent for the player. */
static void take_sent(struct mem_target *m)
{
	struct mbx_frame f[MBX_BURST];
	uint32_t n;

	while ((n = mbx_mem_take_tx(m->port, f, MBX_BURST))) {
		for (uint32_t i = 0; i < n; i++) {
			dump(m, f[i].data, f[i].len);
			if (m->qcount == OUT_QUEUE) {
				m->queue_full++;
				continue;
			}
			uint32_t slot = (m->qhead + m->qcount++) % OUT_QUEUE;
			memcpy(m->q[slot], f[i].data, f[i].len);
			m->qlen[slot] = f[i].len;
		}
		mbx_port_release(m->port, f, n);
	}
}

/* Runs the worker until the port has nothing left to receive. */
static void run_worker(struct mem_target *m)
{
	struct mbx_frame f[MBX_BURST];
	uint32_t n;

	while ((n = mbx_port_rx(m->port, f, MBX_BURST)))
		worker_burst(&m->w, f, n, m->now);
	take_sent(m);
}

static int mem_send(struct rp_target *t, const uint8_t *frame, uint32_t len)
{
	struct mem_target *m = mt(t);

	dump(m, frame, len);
	if (mbx_mem_inject(m->port, frame, len) < 0) {
		fprintf(stderr, "mbxdp-replay: the in-memory port has no free frame for a %u-byte frame\n",
			len);
		return -1;
	}
	run_worker(m);
	return 0;
}

static int mem_poll(struct rp_target *t, uint64_t deadline_ns, rp_deliver_fn deliver, void *arg)
{
	struct mem_target *m = mt(t);
	uint8_t frame[MEM_FRAME_SIZE];

	/* The server answers at once. Without anything queued, time moves a
	 * tick at a time, the stack's timers running at each as in the worker
	 * loop, until a timer sends something or the deadline comes. */
	while (!m->qcount && deadline_ns != UINT64_MAX && m->next_tick <= deadline_ns) {
		m->now = m->next_tick > m->now ? m->next_tick : m->now;
		m->next_tick += 1ull << STACK_TICK_SHIFT;
		worker_tick(&m->w, m->now);
		take_sent(m);
	}
	while (m->qcount) {
		uint32_t len = m->qlen[m->qhead];

		memcpy(frame, m->q[m->qhead], len);
		m->qhead = (m->qhead + 1) % OUT_QUEUE;
		m->qcount--;
		deliver(arg, frame, len);
	}
	if (m->queue_full) {
		fprintf(stderr, "mbxdp-replay: %llu server frames did not fit the output queue\n",
			(unsigned long long)m->queue_full);
		return -1;
	}
	if (!m->qcount && deadline_ns != UINT64_MAX && deadline_ns > m->now && m->next_tick > deadline_ns)
		m->now = deadline_ns;
	return 0;
}

static struct rp_addr mem_server_for(struct rp_target *t, const struct rp_addr *captured)
{
	struct mem_target *m = mt(t);
	int fam = rp_family(captured);

	for (uint32_t i = 1; fam == RP_V4 && i < m->n_addrs; i++)
		if (m->addrs[i] == __builtin_bswap32(rp_ip4(captured)))
			return *captured;
	for (uint32_t i = 1; fam == RP_V6 && i < m->n_addrs6; i++)
		if (!memcmp(m->addrs6[i], captured->b, 16))
			return *captured;
	return t->server_ip[fam];
}

static uint64_t mem_now(struct rp_target *t)
{
	return mt(t)->now;
}

static void mem_close(struct rp_target *t)
{
	struct mem_target *m = mt(t);

	if (m->dump)
		pcap_dump_close(m->dump);
	if (m->dead)
		pcap_close(m->dead);
	if (m->stack) {
		stack_free(m->stack);
		free(m->stack);
	}
	if (m->port)
		mbx_port_close(m->port);
	devmodel_free(&m->dm);
	free(m->q);
	free(m);
}

void rp_target_mem_print_counters(struct rp_target *t, FILE *out)
{
	struct mem_target *m = mt(t);
	struct stats_totals totals;

	memset(&totals, 0, sizeof(totals));
	stats_add(&totals, m->stack, &m->port->ctr);
	stats_print(out, &totals, NULL);
}

/* The stack owns 198.18.0.1, 2001:2::1 and every address of the model's
 * servers, of both families. */
static int own_addresses(struct mem_target *m, char *err, size_t errlen)
{
	struct mb_server_addr a[STACK_MAX_ADDRS];
	uint32_t n = devmodel_server_addrs(&m->dm, a, STACK_MAX_ADDRS);

	m->addrs[0] = __builtin_bswap32(MEM_SERVER_IP);
	m->n_addrs = 1;
	memcpy(m->addrs6[0], mem_server_ip6, 16);
	m->n_addrs6 = 1;
	if (n >= STACK_MAX_ADDRS) {
		snprintf(err, errlen, "the model has %u servers; in process, at most %u", n,
			 STACK_MAX_ADDRS - 1);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (a[i].addr && a[i].addr != m->addrs[0])
			m->addrs[m->n_addrs++] = a[i].addr;
		if (a[i].has_addr6 && memcmp(a[i].addr6, m->addrs6[0], 16))
			memcpy(m->addrs6[m->n_addrs6++], a[i].addr6, 16);
	}
	return 0;
}

struct rp_target *rp_target_mem_open(const char *out_pcap, uint16_t port, uint64_t epoch_ns,
				     const char *config, char *err, size_t errlen)
{
	static const uint8_t server_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	struct mbx_mem_config pcfg = { .n_frames = MEM_FRAMES, .frame_size = MEM_FRAME_SIZE };
	struct mem_target *m = calloc(1, sizeof(*m));
	struct stack_config cfg = {
		.max_conns = 4096,
		.adu_buffers = 1024,
		.mss = 1460,
		.ports = &port,
		.n_ports = 1,
	};

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(cfg.mac, server_mac, 6);
	/* Fixed, so SYN cookies, and so sequence numbers, repeat: mbxdp given
	 * this text in --cookie-secret-file answers as this replay does. */
	stack_secret_derive(MEM_SECRET, strlen(MEM_SECRET), cfg.secret);
	m->epoch_ns = epoch_ns;
	m->q = calloc(OUT_QUEUE, MEM_FRAME_SIZE);
	m->stack = aligned_alloc(64, sizeof(*m->stack));
	if (!m->q || !m->stack || devmodel_load(&m->dm, config, NULL, err, errlen) < 0 ||
	    own_addresses(m, err, errlen) < 0) {
		if (!m->q || !m->stack)
			snprintf(err, errlen, "out of memory for the in-process server");
		free(m->stack);
		m->stack = NULL;
		mem_close(&m->t);
		return NULL;
	}
	m->port = mbx_mem_open(&pcfg, err, errlen);
	if (!m->port) {
		free(m->stack);
		m->stack = NULL;
		mem_close(&m->t);
		return NULL;
	}
	cfg.addrs = m->addrs;
	cfg.n_addrs = m->n_addrs;
	cfg.addrs6 = (const uint8_t(*)[16])m->addrs6;
	cfg.n_addrs6 = m->n_addrs6;
	m->w.port = m->port;
	m->w.stack = m->stack;
	m->w.stop = &m->stop;
	if (stack_init(m->stack, &cfg, &m->dm.model, worker_frame_source(&m->w),
		       worker_frame_sink(&m->w)) < 0) {
		snprintf(err, errlen, "cannot set up the in-process stack");
		free(m->stack);
		m->stack = NULL;
		mem_close(&m->t);
		return NULL;
	}
	m->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	m->dump = m->dead ? pcap_dump_open(m->dead, out_pcap) : NULL;
	if (!m->dump) {
		snprintf(err, errlen, "%s: %s", out_pcap, m->dead ? pcap_geterr(m->dead) : "libpcap");
		mem_close(&m->t);
		return NULL;
	}
	m->t.send = mem_send;
	m->t.poll = mem_poll;
	m->t.now = mem_now;
	m->t.server_for = config ? mem_server_for : NULL;
	m->t.close = mem_close;
	memcpy(m->t.client_mac, client_mac, 6);
	memcpy(m->t.server_mac, server_mac, 6);
	m->t.client_ip[RP_V4] = rp_addr4(MEM_CLIENT_IP);
	m->t.server_ip[RP_V4] = rp_addr4(MEM_SERVER_IP);
	m->t.client_ip[RP_V6] = rp_addr6(mem_client_ip6);
	m->t.server_ip[RP_V6] = rp_addr6(mem_server_ip6);
	m->t.server_port = port;
	m->t.mss = 1460;
	return &m->t;
}
