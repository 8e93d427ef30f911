/* The data path of the DPDK backend: bursts of mbufs in and out of one
 * queue pair. Nothing here allocates but rte_pktmbuf_alloc from the queue's
 * own pool (a per-thread cache once the worker called
 * mbx_dpdk_thread_init()), and nothing locks. */
#include "dpdk_queue.h"

#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

/* The port interface puts no bound on n: mbufs move in chunks of the
 * burst array (one chunk in practice: a worker's tx vector fits). */
#define CHUNK MBX_FRAME_VEC_MAX

struct dpdk_queue {
	struct mbx_port port; /* first: the engine holds a pointer to it */
	uint16_t port_id;
	uint16_t q;
	int device_counters;
	struct rte_mempool *pool;
	struct rte_mbuf *burst[CHUNK]; /* the mbufs of one rx or tx call */
};

static inline struct dpdk_queue *dq(struct mbx_port *p)
{
	return (struct dpdk_queue *)p;
}

static inline struct rte_mbuf *mbuf_of(const struct mbx_frame *f)
{
	return (struct rte_mbuf *)(uintptr_t)f->handle;
}

/* The bytes from the data to the end of the buffer: what a reply written
 * over the request may use. */
static inline void frame_of(struct rte_mbuf *m, struct mbx_frame *f)
{
	f->data = rte_pktmbuf_mtod(m, uint8_t *);
	f->len = m->data_len;
	f->room = (uint32_t)(m->buf_len - m->data_off);
	f->handle = (uint64_t)(uintptr_t)m;
}

static uint32_t dq_rx_burst(struct mbx_port *p, struct mbx_frame *f, uint32_t n)
{
	struct dpdk_queue *d = dq(p);
	uint16_t got = rte_eth_rx_burst(d->port_id, d->q, d->burst,
					(uint16_t)(n < CHUNK ? n : CHUNK));
	uint32_t k = 0;

	for (uint16_t i = 0; i < got; i++) {
		struct rte_mbuf *m = d->burst[i];

		/* Without RTE_ETH_RX_OFFLOAD_SCATTER a driver delivers a frame
		 * in one buffer; a chain (a driver that scatters anyway) is
		 * more than the stack reads. */
		if (m->nb_segs != 1) {
			rte_pktmbuf_free(m);
			p->ctr.port_rx_scattered++;
			continue;
		}
		frame_of(m, &f[k++]);
	}
	p->ctr.port_rx_frames += k;
	return k;
}

static void dq_tx_burst(struct mbx_port *p, const struct mbx_frame *f, uint32_t n)
{
	struct dpdk_queue *d = dq(p);

	for (uint32_t off = 0; off < n; off += CHUNK) {
		uint16_t k = (uint16_t)(n - off < CHUNK ? n - off : CHUNK), sent;

		for (uint16_t i = 0; i < k; i++) {
			struct rte_mbuf *m = mbuf_of(&f[off + i]);

			m->data_len = (uint16_t)f[off + i].len;
			m->pkt_len = f[off + i].len;
			m->ol_flags = 0; /* rx flags of the request; no tx offload is asked */
			d->burst[i] = m;
		}
		sent = rte_eth_tx_burst(d->port_id, d->q, d->burst, k);
		p->ctr.port_tx_frames += sent;
		if (sent < k) {
			rte_pktmbuf_free_bulk(d->burst + sent, k - sent);
			p->ctr.port_tx_ring_full += k - sent;
		}
	}
}

static void dq_release(struct mbx_port *p, const struct mbx_frame *f, uint32_t n)
{
	struct dpdk_queue *d = dq(p);

	for (uint32_t off = 0; off < n; off += CHUNK) {
		uint32_t k = n - off < CHUNK ? n - off : CHUNK;

		for (uint32_t i = 0; i < k; i++)
			d->burst[i] = mbuf_of(&f[off + i]);
		rte_pktmbuf_free_bulk(d->burst, k);
	}
}

static int dq_alloc(struct mbx_port *p, struct mbx_frame *out)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dq(p)->pool);

	if (!m) {
		p->ctr.port_alloc_empty++;
		return -1;
	}
	frame_of(m, out);
	out->len = 0;
	return 0;
}

/* rte_eth_stats in the port's words: imissed are frames the device dropped
 * before our receive queue, rx_nombuf frames it had no mbuf for, ierrors
 * and oerrors what it refused. */
static void dq_sync_counters(struct mbx_port *p)
{
	struct dpdk_queue *d = dq(p);
	struct rte_eth_stats st;

	if (!d->device_counters || rte_eth_stats_get(d->port_id, &st) != 0)
		return;
	p->ctr.port_kernel_rx_dropped = st.imissed;
	p->ctr.port_kernel_fill_ring_empty = st.rx_nombuf;
	p->ctr.port_kernel_invalid_descs = st.ierrors + st.oerrors;
}

/* The device owns its queues (port_dpdk.c frees them when it closes), so a
 * wrapper closing its inner port (port_impair.h) cannot free one twice. */
static void dq_close(struct mbx_port *p)
{
	(void)p;
}

static const struct mbx_port_ops dpdk_queue_ops = {
	.name = "dpdk",
	.rx_burst = dq_rx_burst,
	.tx_burst = dq_tx_burst,
	.release = dq_release,
	.alloc = dq_alloc,
	.sync_counters = dq_sync_counters,
	.close = dq_close,
};

struct mbx_port *mbx_dpdk_queue_open(uint16_t port_id, uint16_t q, struct rte_mempool *pool,
				     int device_counters)
{
	struct dpdk_queue *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->port.ops = &dpdk_queue_ops;
	d->port_id = port_id;
	d->q = q;
	d->pool = pool;
	d->device_counters = device_counters;
	return &d->port;
}
