/* AF_XDP port (Documentation/networking/af_xdp.rst in the kernel tree).
 *
 * Umem: by default 10240 frames of 4096 bytes (40 MiB) per queue, mapped
 * once at open.
 * - 4096 bytes is one page: in aligned mode a frame must be a power of two
 *   from 2048 to the page size, and page-sized frames suit every zero-copy
 *   driver. After the 256 bytes of XDP headroom the kernel keeps in front of
 *   a received frame, 3840 are left for the reply written over the request:
 *   a full-sized segment up to an MTU of 3822.
 * - 10240 frames: every ring is 2048 entries (libxdp's default), so fill,
 *   rx, tx and completion can all be full at once and 2048 frames still
 *   remain for what the worker holds (a burst, its tx vector) and for
 *   alloc(). The port cannot run dry by its own bookkeeping. Other ring
 *   sizes and frame counts are the user's (--rx-ring, --tx-ring, --frames).
 *
 * One umem per socket, not one umem shared by every queue's socket
 * (xsk_socket__create_shared): each worker's frames, free stack, fill and
 * completion rings are then its own, touched by its core alone, and a
 * frame never travels between workers. A shared umem would still need a
 * fill and a completion ring per queue, and its frames would have to be
 * split between the workers anyway (or handed over under a lock); it saves
 * nothing but the address space of the split.
 *
 * Where a frame is at any moment: in one of the four rings, with the worker,
 * or on the free stack. Released frames and completed tx frames go onto the
 * free stack; the fill ring is topped up from it and alloc() pops from it.
 * The stack is LIFO so the frames reused first are the ones still in cache.
 *
 * The data path allocates nothing, locks nothing, and makes one kind of
 * system call: the kick (sendto for tx, recvfrom for the fill ring), only
 * when the kernel asks for it through XDP_USE_NEED_WAKEUP, or on every
 * empty poll with preferred busy polling, where the kick is what runs the
 * driver's NAPI. */
#include "port_afxdp.h"

#include <dirent.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <xdp/xsk.h>

#include "loader.h"
#include "steer_abi.h"

#define FRAME_SIZE 4096u

struct afxdp_port {
	struct mbx_port port; /* first: the engine holds a pointer to it */
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	uint8_t *umem_area;
	int fd;
	uint32_t fill_size, comp_size;
	uint32_t tx_outstanding; /* submitted to tx, not yet completed */
	uint32_t n_free;
	int zero_copy;
	int busy_poll; /* kick on every empty poll: it runs the NAPI */
	uint32_t queue;
	uint32_t n_frames;
	uint64_t umem_bytes;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	uint64_t free_frames[]; /* n_frames umem offsets of frame starts */
};

static inline struct afxdp_port *afxdp(struct mbx_port *p)
{
	return (struct afxdp_port *)p;
}

static inline uint64_t frame_start(uint64_t addr)
{
	return addr & ~(uint64_t)(FRAME_SIZE - 1);
}

/* The umem frames a queue gets by default: enough for all four rings full
 * at once and MBX_AFXDP_RING_DEFAULT more for the worker. */
static uint32_t default_frames(uint32_t rx_ring, uint32_t tx_ring)
{
	return 2 * rx_ring + 2 * tx_ring + MBX_AFXDP_RING_DEFAULT;
}

/* Completed tx frames go back onto the free stack. */
static void reap_completions(struct afxdp_port *ap)
{
	uint32_t idx;
	uint32_t n = xsk_ring_cons__peek(&ap->comp, ap->comp_size, &idx);

	if (!n)
		return;
	for (uint32_t i = 0; i < n; i++)
		ap->free_frames[ap->n_free++] = frame_start(*xsk_ring_cons__comp_addr(&ap->comp, idx + i));
	xsk_ring_cons__release(&ap->comp, n);
	ap->tx_outstanding -= n;
}

/* Tops the fill ring up from the free stack: the kernel can only receive
 * into frames it has been given. Returns -1 if it could not fill it. */
static int refill(struct afxdp_port *ap)
{
	uint32_t want = xsk_prod_nb_free(&ap->fill, ap->fill_size);
	uint32_t n = want < ap->n_free ? want : ap->n_free;
	uint32_t idx = 0; /* set by reserve(); gcc cannot tell it succeeds */

	if (n) {
		xsk_ring_prod__reserve(&ap->fill, n, &idx); /* n <= free slots: cannot fail */
		for (uint32_t i = 0; i < n; i++)
			*xsk_ring_prod__fill_addr(&ap->fill, idx + i) = ap->free_frames[--ap->n_free];
		xsk_ring_prod__submit(&ap->fill, n);
	}
	return n == want ? 0 : -1;
}

/* Copy mode sends at most 32 frames per kick (TX_BATCH_SIZE in
 * net/xdp/xsk.c), so the kick is repeated from the receive poll until the
 * kernel has taken everything. */
static void kick_tx_if_needed(struct afxdp_port *ap)
{
	if (!ap->busy_poll && !xsk_ring_prod__needs_wakeup(&ap->tx))
		return;
	sendto(ap->fd, NULL, 0, MSG_DONTWAIT, NULL, 0); /* EAGAIN/ENOBUFS: next poll retries */
	ap->port.ctr.port_kicks++;
}

static uint32_t afxdp_rx_burst(struct mbx_port *p, struct mbx_frame *f, uint32_t n)
{
	struct afxdp_port *ap = afxdp(p);
	uint32_t idx, rcvd;

	if (ap->tx_outstanding) {
		kick_tx_if_needed(ap);
		reap_completions(ap);
	}
	rcvd = xsk_ring_cons__peek(&ap->rx, n, &idx);
	if (!rcvd) {
		refill(ap);
		/* The driver ran out of fill frames and sleeps until told; with
		 * busy polling, this call is what runs its receive side. */
		if (ap->busy_poll || xsk_ring_prod__needs_wakeup(&ap->fill)) {
			recvfrom(ap->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
			ap->port.ctr.port_kicks++;
		}
		return 0;
	}
	for (uint32_t i = 0; i < rcvd; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&ap->rx, idx + i);

		f[i].data = xsk_umem__get_data(ap->umem_area, d->addr);
		f[i].len = d->len;
		f[i].room = FRAME_SIZE - (uint32_t)(d->addr & (FRAME_SIZE - 1));
		f[i].handle = d->addr;
	}
	xsk_ring_cons__release(&ap->rx, rcvd);
	ap->port.ctr.port_rx_frames += rcvd;
	if (refill(ap) < 0)
		ap->port.ctr.port_fill_ring_short++;
	return rcvd;
}

static void afxdp_tx_burst(struct mbx_port *p, const struct mbx_frame *f, uint32_t n)
{
	struct afxdp_port *ap = afxdp(p);
	uint32_t room = xsk_prod_nb_free(&ap->tx, n);
	uint32_t k = n < room ? n : room;
	uint32_t idx = 0; /* set by reserve(); gcc cannot tell it succeeds */

	if (k) {
		xsk_ring_prod__reserve(&ap->tx, k, &idx); /* k <= free slots: cannot fail */
		for (uint32_t i = 0; i < k; i++) {
			struct xdp_desc *d = xsk_ring_prod__tx_desc(&ap->tx, idx + i);

			d->addr = f[i].handle;
			d->len = f[i].len;
			d->options = 0;
		}
		xsk_ring_prod__submit(&ap->tx, k);
		ap->tx_outstanding += k;
		ap->port.ctr.port_tx_frames += k;
	}
	for (uint32_t i = k; i < n; i++)
		ap->free_frames[ap->n_free++] = frame_start(f[i].handle);
	ap->port.ctr.port_tx_ring_full += n - k;
	kick_tx_if_needed(ap);
	reap_completions(ap);
}

static void afxdp_release(struct mbx_port *p, const struct mbx_frame *f, uint32_t n)
{
	struct afxdp_port *ap = afxdp(p);

	for (uint32_t i = 0; i < n; i++)
		ap->free_frames[ap->n_free++] = frame_start(f[i].handle);
}

static int afxdp_alloc(struct mbx_port *p, struct mbx_frame *out)
{
	struct afxdp_port *ap = afxdp(p);
	uint64_t start;

	if (!ap->n_free)
		reap_completions(ap);
	if (!ap->n_free) {
		ap->port.ctr.port_alloc_empty++;
		return -1;
	}
	start = ap->free_frames[--ap->n_free];
	out->data = xsk_umem__get_data(ap->umem_area, start);
	out->len = 0;
	out->room = FRAME_SIZE;
	out->handle = start;
	return 0;
}

static void afxdp_sync_counters(struct mbx_port *p)
{
	struct afxdp_port *ap = afxdp(p);
	struct xdp_statistics st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (getsockopt(ap->fd, SOL_XDP, XDP_STATISTICS, &st, &len) < 0)
		return;
	p->ctr.port_kernel_rx_dropped = st.rx_dropped;
	p->ctr.port_kernel_rx_ring_full = st.rx_ring_full;
	p->ctr.port_kernel_fill_ring_empty = st.rx_fill_ring_empty_descs;
	p->ctr.port_kernel_invalid_descs = st.rx_invalid_descs + st.tx_invalid_descs;
}

static void afxdp_close(struct mbx_port *p)
{
	struct afxdp_port *ap = afxdp(p);

	/* Closing the socket also takes it out of the xsks_map. */
	if (ap->xsk)
		xsk_socket__delete(ap->xsk);
	if (ap->umem)
		xsk_umem__delete(ap->umem);
	if (ap->umem_area)
		munmap(ap->umem_area, ap->umem_bytes);
	free(ap);
}

static const struct mbx_port_ops afxdp_ops = {
	.name = "af_xdp",
	.rx_burst = afxdp_rx_burst,
	.tx_burst = afxdp_tx_burst,
	.release = afxdp_release,
	.alloc = afxdp_alloc,
	.sync_counters = afxdp_sync_counters,
	.close = afxdp_close,
};

/* One ethtool request on ifname. 0, or -1 with err set for a missing
 * interface; any other failure returns 1 (the driver does not say). */
static int ethtool(const char *ifname, void *req, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, rc, e;

	if (strlen(ifname) >= sizeof(ifr.ifr_name)) {
		snprintf(err, errlen, "no such interface: %s", ifname);
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_data = req;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open a socket: %s", strerror(errno));
		return -1;
	}
	rc = ioctl(fd, SIOCETHTOOL, &ifr);
	e = errno;
	close(fd);
	if (rc < 0 && e == ENODEV) {
		snprintf(err, errlen, "no such interface: %s", ifname);
		return -1;
	}
	return rc < 0 ? 1 : 0;
}

/* The receive queues the kernel keeps for ifname: its rx-N directories in
 * sysfs (real_num_rx_queues), which every device has. ip netns exec mounts
 * the namespace's own sysfs. At least 1. */
static uint32_t sysfs_rx_queues(const char *ifname)
{
	char path[64 + IFNAMSIZ];
	struct dirent *e;
	uint32_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return 1;
	while ((e = readdir(d)))
		n += strncmp(e->d_name, "rx-", 3) == 0;
	closedir(d);
	return n ? n : 1;
}

int mbx_afxdp_queue_count(const char *ifname, uint32_t *n, char *err, size_t errlen)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	int rc = ethtool(ifname, &ch, err, errlen);

	if (rc < 0)
		return -1;
	/* Channels are what a NIC's driver reports (ethtool -l); a virtual
	 * device without them (lo, tun, a bridge) has its kernel queues. */
	*n = rc == 0 ? ch.rx_count + ch.combined_count : 0;
	if (*n == 0)
		*n = sysfs_rx_queues(ifname);
	return 0;
}

/* The driver's name, for messages; "its driver" when it does not say. */
static void driver_name(const char *ifname, char *out, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	char ignored[64];

	if (ethtool(ifname, &info, ignored, sizeof(ignored)) == 0 && info.driver[0])
		snprintf(out, len, "its driver %.32s", info.driver);
	else
		snprintf(out, len, "its driver");
}

/* Checks the queue before anything is set up, for a clear message: the bind
 * would only say EINVAL. A driver that does not report its channels is left
 * to the bind. */
static int check_queue(const struct mbx_afxdp_config *cfg, char *err, size_t errlen)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	uint32_t n_queues;
	int rc;

	if (cfg->queue >= MBXDP_QUEUES_MAX) {
		snprintf(err, errlen, "queue %u is beyond the %u queues mbxdp can serve", cfg->queue,
			 MBXDP_QUEUES_MAX);
		return -1;
	}
	rc = ethtool(cfg->ifname, &ch, err, errlen);
	if (rc < 0)
		return -1;
	n_queues = ch.rx_count + ch.combined_count;
	if (rc == 0 && n_queues && cfg->queue >= n_queues) {
		snprintf(err, errlen, "queue %u is beyond the %u receive queue%s of %s", cfg->queue,
			 n_queues, n_queues == 1 ? "" : "s", cfg->ifname);
		return -1;
	}
	return 0;
}

/* Registers the umem area with the kernel. */
static int register_umem(struct afxdp_port *ap, char *err, size_t errlen)
{
	const struct xsk_umem_config ucfg = {
		.fill_size = ap->fill_size,
		.comp_size = ap->comp_size,
		.frame_size = FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	int rc = xsk_umem__create(&ap->umem, ap->umem_area, ap->umem_bytes, &ap->fill, &ap->comp,
				  &ucfg);

	if (rc) {
		ap->umem = NULL;
		/* The kernel pins the umem against RLIMIT_MEMLOCK unless the
		 * process has CAP_IPC_LOCK (net/xdp/xdp_umem.c). */
		snprintf(err, errlen, "cannot register the %u MiB umem of queue %u: %s%s",
			 (unsigned)(ap->umem_bytes >> 20), ap->queue, strerror(-rc),
			 rc == -ENOBUFS || rc == -ENOMEM
				 ? " (raise ulimit -l, grant CAP_IPC_LOCK or give fewer --frames)"
				 : rc == -EPERM ? " (" MBX_NEEDS_PRIVILEGES ")" : "");
		return -1;
	}
	return 0;
}

/* Returns 0, or a negative errno with err set. */
static int create_socket(struct afxdp_port *ap, const struct mbx_afxdp_config *cfg,
			 uint32_t rx_ring, uint32_t tx_ring, char *err, size_t errlen)
{
	/* INHIBIT_PROG_LOAD: libxdp must not attach its default program; ours
	 * is attached by the loader and the socket goes into its xsks_map.
	 * bind_flags without XDP_COPY or XDP_ZEROCOPY: the kernel tries
	 * zero-copy and falls back to copy. */
	const struct xsk_socket_config scfg = {
		.rx_size = rx_ring,
		.tx_size = tx_ring,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
		.bind_flags = (uint16_t)(XDP_USE_NEED_WAKEUP |
					 (cfg->copy == MBX_AFXDP_ZERO_COPY ? XDP_ZEROCOPY
					  : cfg->copy == MBX_AFXDP_COPY    ? XDP_COPY
									   : 0)),
	};
	int rc = xsk_socket__create(&ap->xsk, cfg->ifname, cfg->queue, ap->umem, &ap->rx, &ap->tx,
				    &scfg);
	char drv[64];

	if (rc) {
		ap->xsk = NULL;
		if (rc == -EBUSY) {
			snprintf(err, errlen, "queue %u of %s is already in use by another AF_XDP socket",
				 cfg->queue, cfg->ifname);
		} else if (rc == -EPERM) {
			snprintf(err, errlen, "binding an AF_XDP socket " MBX_NEEDS_PRIVILEGES);
		} else if (cfg->copy == MBX_AFXDP_ZERO_COPY &&
			   (rc == -EOPNOTSUPP || rc == -EINVAL)) {
			driver_name(cfg->ifname, drv, sizeof(drv));
			snprintf(err, errlen, "--zero-copy: %s has no zero-copy AF_XDP on queue %u (%s, "
					      "%s); leave it out or give --copy",
				 cfg->ifname, cfg->queue, drv, strerror(-rc));
		} else {
			snprintf(err, errlen, "cannot bind an AF_XDP socket to queue %u of %s: %s",
				 cfg->queue, cfg->ifname, strerror(-rc));
		}
	}
	return rc;
}

/* A socket closed a moment ago (a run just stopped, a start that failed)
 * can still hold its queue: the kernel lets go of it from a workqueue
 * (xp_put_pool() in net/xdp/xsk_buff_pool.c), and a bind meanwhile gets
 * EBUSY; seen here on veth right after a failed start, for about 20 ms. So
 * EBUSY is only believed after BIND_BUSY_TRIES binds 10 ms apart. */
#define BIND_BUSY_TRIES 100

static int bind_queue(struct afxdp_port *ap, const struct mbx_afxdp_config *cfg,
		      uint32_t rx_ring, uint32_t tx_ring, char *err, size_t errlen)
{
	const struct timespec pause = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };
	struct xdp_options opts;
	socklen_t optlen = sizeof(opts);
	int rc, tries = 1;

	while ((rc = create_socket(ap, cfg, rx_ring, tx_ring, err, errlen)) == -EBUSY &&
	       tries++ < BIND_BUSY_TRIES)
		nanosleep(&pause, NULL);
	if (rc)
		return -1;
	ap->fd = xsk_socket__fd(ap->xsk);
	if (getsockopt(ap->fd, SOL_XDP, XDP_OPTIONS, &opts, &optlen) < 0) {
		snprintf(err, errlen, "cannot read the AF_XDP socket's options: %s", strerror(errno));
		return -1;
	}
	ap->zero_copy = (opts.flags & XDP_OPTIONS_ZEROCOPY) != 0;
	return 0;
}

/* Preferred busy polling (af_xdp.rst, "XDP_USE_NEED_WAKEUP" and the busy
 * polling section of Documentation/networking/napi.rst): the socket's
 * recvfrom and sendto run the driver's NAPI for up to us microseconds and a
 * burst's budget, and the kernel holds the interrupt back while the
 * application polls (with the interface's napi_defer_hard_irqs and
 * gro_flush_timeout set; docs/nic.md). */
static int set_busy_poll(struct afxdp_port *ap, uint32_t us, char *err, size_t errlen)
{
	const struct {
		int opt;
		int value;
		const char *name;
	} opts[] = {
		{ SO_PREFER_BUSY_POLL, 1, "SO_PREFER_BUSY_POLL" },
		{ SO_BUSY_POLL, (int)us, "SO_BUSY_POLL" },
		{ SO_BUSY_POLL_BUDGET, MBX_BURST, "SO_BUSY_POLL_BUDGET" },
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (setsockopt(ap->fd, SOL_SOCKET, opts[i].opt, &opts[i].value,
			       sizeof(opts[i].value)) < 0) {
			snprintf(err, errlen, "--busy-poll: cannot set %s on the AF_XDP socket of queue "
					      "%u: %s%s",
				 opts[i].name, ap->queue, strerror(errno),
				 errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
			return -1;
		}
	}
	ap->busy_poll = 1;
	return 0;
}

struct mbx_port *mbx_afxdp_open(const struct mbx_afxdp_config *cfg, char *err, size_t errlen)
{
	uint32_t rx_ring = cfg->rx_ring ? cfg->rx_ring : MBX_AFXDP_RING_DEFAULT;
	uint32_t tx_ring = cfg->tx_ring ? cfg->tx_ring : MBX_AFXDP_RING_DEFAULT;
	uint32_t frames = cfg->frames ? cfg->frames : default_frames(rx_ring, tx_ring);
	struct afxdp_port *ap;

	if (check_queue(cfg, err, errlen) < 0)
		return NULL;
	ap = calloc(1, sizeof(*ap) + (size_t)frames * sizeof(ap->free_frames[0]));
	if (!ap) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ap->port.ops = &afxdp_ops;
	ap->fd = -1;
	ap->queue = cfg->queue;
	ap->fill_size = rx_ring;
	ap->comp_size = tx_ring;
	ap->n_frames = frames;
	ap->umem_bytes = (uint64_t)frames * FRAME_SIZE;
	ap->umem_area = mmap(NULL, ap->umem_bytes, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (ap->umem_area == MAP_FAILED) {
		ap->umem_area = NULL;
		snprintf(err, errlen, "cannot map the %u MiB umem of queue %u: %s",
			 (unsigned)(ap->umem_bytes >> 20), cfg->queue, strerror(errno));
		goto fail;
	}
	if (register_umem(ap, err, errlen) < 0 ||
	    bind_queue(ap, cfg, rx_ring, tx_ring, err, errlen) < 0 ||
	    (cfg->busy_poll_us && set_busy_poll(ap, cfg->busy_poll_us, err, errlen) < 0))
		goto fail;
	for (uint32_t i = 0; i < frames; i++)
		ap->free_frames[ap->n_free++] = (uint64_t)i * FRAME_SIZE;
	/* Buffers in the fill ring before anything is steered here. */
	refill(ap);
	return &ap->port;
fail:
	afxdp_close(&ap->port);
	return NULL;
}

int mbx_afxdp_serve(struct mbx_port *p, int xsks_map_fd, char *err, size_t errlen)
{
	struct afxdp_port *ap = afxdp(p);
	int rc = xsk_socket__update_xskmap(ap->xsk, xsks_map_fd);

	if (rc) {
		snprintf(err, errlen, "cannot put the AF_XDP socket of queue %u into xsks_map: %s",
			 ap->queue, strerror(-rc));
		return -1;
	}
	return 0;
}

const char *mbx_afxdp_mode_name(const struct mbx_port *p)
{
	return ((const struct afxdp_port *)p)->zero_copy ? "zero-copy" : "copy";
}

int mbx_afxdp_fd(const struct mbx_port *p)
{
	return ((const struct afxdp_port *)p)->fd;
}
