/* EAL and the set-up of the one ethdev port, after DPDK's examples/l2fwd:
 * device info, configure, one mempool and queue pair per worker, start.
 * The data path is dpdk_queue.c. */
#include "port_dpdk.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "dpdk_queue.h"

/* Ring sizes: DPDK's examples use 1024; drivers round to what they support
 * (rte_eth_dev_adjust_nb_rx_tx_desc). */
#define RX_DESC 1024
#define TX_DESC 1024
/* Mbufs per queue: both rings full, plus what the worker holds (a burst,
 * a tx vector, extra reply frames), plus net_af_xdp's fill ring of 2048
 * frames, rounded to 2^n - 1 as rte_mempool likes it. */
#define POOL_MBUFS 8191
#define POOL_CACHE 256

struct mbx_dpdk {
	uint16_t port_id;
	uint32_t n_queues;
	int configured; /* rte_eth_dev_configure succeeded: close the device */
	int started;
	uint16_t mtu;
	uint8_t mac[6];
	struct mbx_xdp *xdp; /* net_af_xdp: the claim on its interface, then its program */
	char desc[128];
	struct rte_mempool *pools[MBX_DPDK_QUEUES_MAX];
	struct mbx_port *queues[MBX_DPDK_QUEUES_MAX];
};

/* What DPDK prints while it starts (EAL's getopt and usage text on stdout
 * and stderr, its log) goes to a memory file: a user gets one line on
 * failure, not forty. */
struct capture {
	int fd; /* the memory file; -1 when capture could not start */
	int saved_out, saved_err;
};

static void capture_begin(struct capture *c)
{
	c->fd = memfd_create("mbxdp-dpdk-log", MFD_CLOEXEC);
	if (c->fd < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	c->saved_out = dup(STDOUT_FILENO);
	c->saved_err = dup(STDERR_FILENO);
	dup2(c->fd, STDOUT_FILENO);
	dup2(c->fd, STDERR_FILENO);
}

static int is_getopt_line(const char *line)
{
	return strstr(line, "unrecognized option") || strstr(line, "invalid option") ||
	       strstr(line, "requires an argument") || strstr(line, "doesn't allow an argument");
}

static int is_error_line(const char *line)
{
	static const char *const words[] = { "rror",   "ailed",  "nvalid", "nable", "annot",
					     "No ",    "larger", "exceed", "must",  "not supported",
					     "denied" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(line, words[i]))
			return 1;
	return 0;
}

/* Ends the capture. With reason set, picks the line that explains a
 * failure: EAL's getopt message if there is one, else the first error line
 * (drivers log the cause first, then each caller's "failed" after it), else
 * the last line; reason is left empty if nothing was printed. Returns 1
 * if the reason is an error or getopt line. */
static int capture_end(struct capture *c, char *reason, size_t len)
{
	char buf[16384], *line, *save = NULL;
	const char *getopt_line = NULL, *error_line = NULL, *last = NULL;
	ssize_t n;

	if (reason && len)
		reason[0] = '\0';
	if (c->fd < 0)
		return 0;
	fflush(stdout);
	fflush(stderr);
	dup2(c->saved_out, STDOUT_FILENO);
	dup2(c->saved_err, STDERR_FILENO);
	close(c->saved_out);
	close(c->saved_err);
	n = reason ? pread(c->fd, buf, sizeof(buf) - 1, 0) : -1;
	close(c->fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!getopt_line && is_getopt_line(line))
			getopt_line = line;
		if (!error_line && is_error_line(line))
			error_line = line;
		last = line;
	}
	snprintf(reason, len, "%s", getopt_line ? getopt_line : error_line ? error_line : last);
	return getopt_line || error_line;
}

/* Why EAL started without the port a user asked for: a driver that failed
 * to probe its device only logs it, and EAL carries on. */
static char probe_note[256];

/* DPDK's own messages rarely say that privileges are missing. */
static const char *privilege_hint(void)
{
	return geteuid() != 0 ? " (DPDK ports need root)" : "";
}

int mbx_dpdk_eal_init(int argc, char **argv, char *err, size_t errlen)
{
	struct capture c;
	char why[256];
	int rc, explained;

	/* EAL's getopt names a bad argument only with opterr set (a caller's
	 * own getopt may have cleared it). */
	opterr = 1;
	capture_begin(&c);
	/* EAL logs to syslog as well as the console unless given a stream. */
	rte_openlog_stream(stderr);
	rc = rte_eal_init(argc, argv);
	explained = capture_end(&c, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "DPDK EAL would not start (%s)%s%s%s",
			 rte_strerror(rte_errno), why[0] ? ": " : "", why, privilege_hint());
		return -1;
	}
	if (explained)
		snprintf(probe_note, sizeof(probe_note), "%s", why);
	/* rc: the arguments EAL took; anything after them is nobody's. */
	if (rc + 1 < argc) {
		snprintf(err, errlen, "not an EAL argument: '%s'", argv[rc + 1]);
		rte_eal_cleanup();
		return -1;
	}
	return 0;
}

/* Set when a net_af_xdp device's interface could not be claimed: it is
 * another mbxdp's, or it runs somebody else's XDP program. EAL's cleanup
 * would remove the device, and net_af_xdp's removal takes off whatever XDP
 * program the interface has (remove_xdp_program() is not guarded), so
 * EAL is then left to the process exit, which removes nothing. */
static int interface_not_ours;

void mbx_dpdk_eal_cleanup(void)
{
	if (!interface_not_ours)
		rte_eal_cleanup();
}

int mbx_dpdk_thread_init(char *err, size_t errlen)
{
	if (rte_thread_register() < 0) {
		snprintf(err, errlen, "cannot register a worker thread with EAL: %s",
			 rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/* The interface a net_af_xdp device serves: its iface= device argument. */
static int af_xdp_iface(const struct rte_eth_dev_info *info, char *ifname, size_t len)
{
	const struct rte_devargs *da = rte_dev_devargs(info->device);
	struct rte_kvargs *kv;
	const char *v;

	if (!da || !da->args)
		return -1;
	kv = rte_kvargs_parse(da->args, NULL);
	if (!kv)
		return -1;
	v = rte_kvargs_get(kv, "iface");
	if (v)
		snprintf(ifname, len, "%s", v);
	rte_kvargs_free(kv);
	return v ? 0 : -1;
}

/* One port, EAL's first and only. A second one is refused rather than
 * ignored: which one mbxdp serves must not depend on probe order. */
static int pick_port(uint16_t *port_id, char *err, size_t errlen)
{
	uint16_t n = rte_eth_dev_count_avail();

	if (n == 0 && probe_note[0]) {
		snprintf(err, errlen, "DPDK found no port: %s%s", probe_note, privilege_hint());
		return -1;
	}
	if (n == 0) {
		snprintf(err, errlen, "DPDK found no port: give a --vdev (net_af_xdp0,iface=IF..., "
				      "net_tap0, net_pcap0,...) or bind a NIC (docs/dpdk.md)");
		return -1;
	}
	if (n > 1) {
		snprintf(err, errlen, "DPDK found %u ports; mbxdp serves one: narrow it with -a "
				      "PCI_ADDRESS or a single --vdev", n);
		return -1;
	}
	*port_id = rte_eth_find_next(0);
	return 0;
}

static int configure(struct mbx_dpdk *d, const struct rte_eth_dev_info *info, char *err,
		     size_t errlen)
{
	struct rte_eth_conf conf;
	int rc;

	if (d->n_queues > info->max_rx_queues || d->n_queues > info->max_tx_queues) {
		snprintf(err, errlen, "%s has %u receive and %u transmit queues, not the %u asked%s",
			 d->desc, info->max_rx_queues, info->max_tx_queues, d->n_queues,
			 strcmp(info->driver_name, "net_af_xdp") == 0
				 ? " (net_af_xdp takes queue_count=N)"
				 : "");
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	if (d->n_queues > 1) {
		/* The driver hashes each flow to one queue: both directions
		 * of a connection stay with one worker and its table. */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP) & info->flow_type_rss_offloads;
	}
	/* Every mbuf of a queue comes from its pool with a reference count of
	 * 1: the driver may free them without looking. */
	if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	rc = rte_eth_dev_configure(d->port_id, (uint16_t)d->n_queues, (uint16_t)d->n_queues, &conf);
	if (rc < 0) {
		snprintf(err, errlen, "cannot configure %s with %u queues: %s", d->desc, d->n_queues,
			 rte_strerror(-rc));
		return -1;
	}
	d->configured = 1;
	return 0;
}

static int setup_queues(struct mbx_dpdk *d, const struct rte_eth_dev_info *info, char *err,
			size_t errlen)
{
	uint16_t nb_rxd = RX_DESC, nb_txd = TX_DESC;
	int socket = rte_eth_dev_socket_id(d->port_id);
	int rc;

	if (socket < 0)
		socket = (int)rte_socket_id();
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(d->port_id, &nb_rxd, &nb_txd);
	if (rc < 0) {
		snprintf(err, errlen, "cannot size the rings of %s: %s", d->desc, rte_strerror(-rc));
		return -1;
	}
	for (uint32_t q = 0; q < d->n_queues; q++) {
		char name[RTE_MEMPOOL_NAMESIZE];
		struct rte_eth_rxconf rxconf = info->default_rxconf;
		struct rte_eth_txconf txconf = info->default_txconf;

		snprintf(name, sizeof(name), "mbxdp_q%u", q);
		d->pools[q] = rte_pktmbuf_pool_create(name, POOL_MBUFS, POOL_CACHE, 0,
						      RTE_MBUF_DEFAULT_BUF_SIZE, socket);
		if (!d->pools[q]) {
			snprintf(err, errlen, "cannot allocate %u mbufs for queue %u: %s (EAL -m MB "
					      "sets the memory)", POOL_MBUFS, q, rte_strerror(rte_errno));
			return -1;
		}
		rc = rte_eth_rx_queue_setup(d->port_id, (uint16_t)q, nb_rxd, (unsigned)socket, &rxconf,
					    d->pools[q]);
		if (rc < 0) {
			snprintf(err, errlen, "cannot set up receive queue %u of %s: %s", q, d->desc,
				 rte_strerror(-rc));
			return -1;
		}
		txconf.offloads = 0;
		if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
			txconf.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
		rc = rte_eth_tx_queue_setup(d->port_id, (uint16_t)q, nb_txd, (unsigned)socket, &txconf);
		if (rc < 0) {
			snprintf(err, errlen, "cannot set up transmit queue %u of %s: %s", q, d->desc,
				 rte_strerror(-rc));
			return -1;
		}
		d->queues[q] = mbx_dpdk_queue_open(d->port_id, (uint16_t)q, d->pools[q], q == 0);
		if (!d->queues[q]) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* The MSS follows the MTU; a frame must also fit one mbuf. */
static uint16_t usable_mtu(uint16_t port_id)
{
	const uint16_t fits = RTE_MBUF_DEFAULT_DATAROOM - RTE_ETHER_HDR_LEN - 4; /* + one VLAN tag */
	uint16_t mtu = RTE_ETHER_MTU;

	rte_eth_dev_get_mtu(port_id, &mtu);
	return mtu < fits ? mtu : fits;
}

/* net_af_xdp with mbxdp's program: the served ports go into its map. With
 * another program (none given: libxdp's, which steers every frame), the
 * stack sees what that program sends; said once, as it may be meant. */
static int adopt_steering(struct mbx_dpdk *d, const uint16_t *tcp_ports, uint32_t n_tcp_ports,
			  char *err, size_t errlen)
{
	char why[160];
	int rc = mbx_xdp_adopt(d->xdp, tcp_ports, n_tcp_ports, why, sizeof(why));

	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", d->desc, why);
		return -1;
	}
	if (rc == 0)
		fprintf(stderr, "mbxdp: note: %s: %s; without mbxdp_steer.bpf.o as xdp_prog= "
				"the stack gets whatever the program steers\n", d->desc, why);
	return 0;
}

struct mbx_dpdk *mbx_dpdk_open(uint32_t n_queues, const uint16_t *tcp_ports,
			       uint32_t n_tcp_ports, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	struct mbx_dpdk *d;
	struct capture c;
	char why[256];
	int rc;

	if (n_queues == 0 || n_queues > MBX_DPDK_QUEUES_MAX) {
		snprintf(err, errlen, "between 1 and %u queues, not %u", MBX_DPDK_QUEUES_MAX, n_queues);
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->n_queues = n_queues;
	if (pick_port(&d->port_id, err, errlen) < 0)
		goto fail;
	rc = rte_eth_dev_info_get(d->port_id, &info);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read DPDK port %u: %s", d->port_id, rte_strerror(-rc));
		goto fail;
	}
	snprintf(d->desc, sizeof(d->desc), "%s (%s)", rte_dev_name(info.device), info.driver_name);
	if (strcmp(info.driver_name, "net_af_xdp") == 0) {
		char ifname[64];

		if (af_xdp_iface(&info, ifname, sizeof(ifname)) < 0) {
			snprintf(err, errlen, "%s: no iface= argument", d->desc);
			goto fail;
		}
		d->xdp = mbx_xdp_claim(ifname, err, errlen);
		if (!d->xdp) {
			interface_not_ours = 1;
			goto fail;
		}
	}
	/* Drivers explain a failed queue or start in their log only. */
	capture_begin(&c);
	rc = configure(d, &info, err, errlen) < 0 || setup_queues(d, &info, err, errlen) < 0;
	if (!rc) {
		rc = rte_eth_dev_start(d->port_id);
		if (rc < 0)
			snprintf(err, errlen, "cannot start %s: %s", d->desc, rte_strerror(-rc));
		else
			d->started = 1;
	}
	capture_end(&c, why, sizeof(why));
	if (rc) {
		size_t used = strlen(err);

		snprintf(err + used, errlen - used, "%s%s%s%s", why[0] ? " (" : "", why,
			 why[0] ? ")" : "", privilege_hint());
		goto fail;
	}
	if (d->xdp && adopt_steering(d, tcp_ports, n_tcp_ports, err, errlen) < 0)
		goto fail;
	d->mtu = usable_mtu(d->port_id);
	rte_eth_macaddr_get(d->port_id, &mac);
	memcpy(d->mac, mac.addr_bytes, 6);
	return d;
fail:
	mbx_dpdk_close(d);
	return NULL;
}

struct mbx_port *mbx_dpdk_queue(struct mbx_dpdk *d, uint32_t q)
{
	return d->queues[q];
}

const char *mbx_dpdk_describe(const struct mbx_dpdk *d)
{
	return d->desc;
}

uint16_t mbx_dpdk_mtu(const struct mbx_dpdk *d)
{
	return d->mtu;
}

void mbx_dpdk_mac(const struct mbx_dpdk *d, uint8_t mac[6])
{
	memcpy(mac, d->mac, 6);
}

const struct mbx_xdp *mbx_dpdk_xdp(const struct mbx_dpdk *d)
{
	return d->xdp;
}

void mbx_dpdk_close(struct mbx_dpdk *d)
{
	struct capture c;

	if (!d)
		return;
	/* What a driver says while it shuts down (net_af_xdp complains when a
	 * failed start left no program to remove) helps nobody. */
	capture_begin(&c);
	if (d->started)
		rte_eth_dev_stop(d->port_id);
	/* Closing frees the queues' mbufs back to the pools first. */
	if (d->configured)
		rte_eth_dev_close(d->port_id);
	capture_end(&c, NULL, 0);
	for (uint32_t q = 0; q < d->n_queues; q++) {
		free(d->queues[q]);
		rte_mempool_free(d->pools[q]);
	}
	mbx_xdp_detach(d->xdp); /* after the close, which took the program off */
	free(d);
}
