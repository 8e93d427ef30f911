#include "backend.h"

#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port_afxdp.h"
#if MBXDP_DPDK
#include "port_dpdk.h"
#endif
#include "port_impair.h"
#include "stack.h"
#include "steering.h"

/* The interface MTU decides our MSS (RFC 9293 3.7.1: MTU less the fixed
 * IPv4 and TCP headers); its MAC is what a client stack sends from. */
static int iface_mtu_mac(const char *ifname, uint32_t *mtu, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, SIOCGIFMTU, &ifr);
	if (rc == 0)
		*mtu = (uint32_t)ifr.ifr_mtu;
	if (rc == 0)
		rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	if (rc == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return rc < 0 ? -1 : 0;
}

/* The receive queues to serve: --queue N alone, the first --queues N, or
 * every queue of the interface. */
static int choose_queues(struct backend *b, const struct cli_options *o, char *err,
			 size_t errlen)
{
	uint32_t have;

	if (o->queue_given) {
		b->n_queues = 1;
		b->queue_id[0] = o->queue;
		return 0;
	}
	if (mbx_afxdp_queue_count(o->iface, &have, err, errlen) < 0)
		return -1;
	if (o->queues > have) {
		snprintf(err, errlen, "--queues %u: %s has %u receive queue%s (ethtool -l; more with "
				      "ethtool -L)",
			 o->queues, o->iface, have, have == 1 ? "" : "s");
		return -1;
	}
	b->n_queues = o->queues ? o->queues : have;
	if (b->n_queues > CLI_MAX_QUEUES) {
		snprintf(err, errlen, "%s has %u receive queues, more than one mbxdp serves (%u); give "
				      "--queues N, or fewer queues with ethtool -L",
			 o->iface, b->n_queues, CLI_MAX_QUEUES);
		return -1;
	}
	for (uint32_t q = 0; q < b->n_queues; q++)
		b->queue_id[q] = q;
	return 0;
}

/* One socket per queue, bound before the program is attached: a busy queue
 * or a missing zero-copy is reported without the interface having been
 * touched, and steering starts with buffers already in every fill ring.
 * Then one program for all of them, and each socket into its xsks_map. */
static int open_afxdp(struct backend *b, const struct cli_options *o, const struct devmodel *dm,
		      char *err, size_t errlen)
{
	struct steering st;
	struct mbx_xdp_config xcfg = {
		.ifname = o->iface,
		.generic = o->xdp_generic,
		.ports = o->ports,
		.n_ports = o->n_ports,
		.bpf_obj_path = o->xdp_object,
		.pass_no_socket = o->other_queues_pass,
		.client = o->xdp_client,
	};
	/* Kernel documentation's value for the busy-poll time (af_xdp.rst,
	 * the xdpsock sample's -B): long enough for a burst to arrive. */
	const uint32_t busy_poll_us = 20;

	if (if_nametoindex(o->iface) == 0) {
		snprintf(err, errlen, "no such interface: %s", o->iface);
		return -1;
	}
	if (iface_mtu_mac(o->iface, &b->mtu, b->mac) < 0 || b->mtu < 128) {
		snprintf(err, errlen, "cannot read a usable MTU of %s", o->iface);
		return -1;
	}
	if (choose_queues(b, o, err, errlen) < 0)
		return -1;
	for (uint32_t q = 0; q < b->n_queues; q++) {
		const struct mbx_afxdp_config pcfg = {
			.ifname = o->iface,
			.queue = b->queue_id[q],
			.copy = o->afxdp_copy,
			.rx_ring = o->rx_ring,
			.tx_ring = o->tx_ring,
			.frames = o->frames,
			.busy_poll_us = o->busy_poll ? busy_poll_us : 0,
		};

		b->afxdp[q] = b->port[q] = mbx_afxdp_open(&pcfg, err, errlen);
		if (!b->port[q])
			return -1;
	}
	if (steering_plan(o, dm, MBXDP_ADDRS_MAX, "one XDP program serves", &st, err, errlen) < 0 ||
	    steering_mark_arp(&st, o->iface, err, errlen) < 0) {
		steering_free(&st);
		return -1;
	}
	xcfg.addrs = st.addrs;
	xcfg.n_addrs = st.n_addrs;
	xcfg.allow = st.allow;
	xcfg.n_allow = st.n_allow;
	xcfg.addrs6 = st.addrs6;
	xcfg.n_addrs6 = st.n_addrs6;
	xcfg.allow6 = st.allow6;
	xcfg.n_allow6 = st.n_allow6;
	b->xdp = mbx_xdp_attach(&xcfg, err, errlen);
	steering_free(&st); /* the program's maps hold them now */
	if (!b->xdp)
		return -1;
	b->xdp_addrs = st.n_addrs;
	b->xdp_arp_addrs = st.n_answer_arp;
	b->xdp_addrs6 = st.n_addrs6;
	b->xdp_nd_addrs6 = st.n_answer_nd;
	for (uint32_t q = 0; q < b->n_queues; q++)
		if (mbx_afxdp_serve(b->afxdp[q], mbx_xdp_xsks_map_fd(b->xdp), err, errlen) < 0)
			return -1;
	if (b->n_queues == 1)
		snprintf(b->desc, sizeof(b->desc), "%s queue %u", o->iface, b->queue_id[0]);
	else
		snprintf(b->desc, sizeof(b->desc), "%s queues 0-%u", o->iface, b->n_queues - 1);
	snprintf(b->desc + strlen(b->desc), sizeof(b->desc) - strlen(b->desc), " (%s XDP, %s%s)",
		 o->xdp_generic ? "generic" : "native", mbx_afxdp_mode_name(b->afxdp[0]),
		 o->busy_poll ? ", busy polling" : "");
	return 0;
}

#if MBXDP_DPDK
/* The served addresses become the stack's own: no kernel answers their ARP
 * on a DPDK port, and no XDP program of ours enforces allow-lists there. */
static int stack_addresses(struct backend *b, const struct cli_options *o,
			   const struct devmodel *dm, char *err, size_t errlen)
{
	struct steering st;
	int rc = steering_plan(o, dm, STACK_MAX_ADDRS, "the stack owns on a DPDK port", &st, err,
			       errlen);

	/* (--allow-source with --dpdk is refused as a usage error.) */
	if (rc == 0 && (st.n_allow || st.n_allow6)) {
		snprintf(err, errlen, "the device model's allow-lists need AF_XDP, where the XDP "
				      "program enforces them; a DPDK port has none");
		rc = -1;
	}
	if (rc == 0) {
		b->stack_addrs = calloc(st.n_addrs ? st.n_addrs : 1, sizeof(*b->stack_addrs));
		b->stack_addrs6 = calloc(st.n_addrs6 ? st.n_addrs6 : 1, sizeof(*b->stack_addrs6));
		if (!b->stack_addrs || !b->stack_addrs6) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	}
	for (uint32_t i = 0; rc == 0 && i < st.n_addrs; i++)
		b->stack_addrs[b->n_stack_addrs++] = st.addrs[i].addr;
	for (uint32_t i = 0; rc == 0 && i < st.n_addrs6; i++)
		memcpy(b->stack_addrs6[b->n_stack_addrs6++], st.addrs6[i].addr, 16);
	steering_free(&st);
	return rc;
}

static int open_dpdk(struct backend *b, const struct cli_options *o, const struct devmodel *dm,
		     char *err, size_t errlen)
{
	if (stack_addresses(b, o, dm, err, errlen) < 0)
		return -1;
	if (mbx_dpdk_eal_init(o->eal_argc, o->eal_argv, err, errlen) < 0)
		return -1;
	b->eal_up = 1;
	b->dpdk = mbx_dpdk_open(o->queues, o->ports, o->n_ports, err, errlen);
	if (!b->dpdk)
		return -1;
	b->n_queues = o->queues;
	for (uint32_t q = 0; q < b->n_queues; q++) {
		b->port[q] = mbx_dpdk_queue(b->dpdk, q);
		b->queue_id[q] = q;
	}
	b->mtu = mbx_dpdk_mtu(b->dpdk);
	mbx_dpdk_mac(b->dpdk, b->mac);
	snprintf(b->desc, sizeof(b->desc), "DPDK port %s with %u queue%s",
		 mbx_dpdk_describe(b->dpdk), b->n_queues, b->n_queues == 1 ? "" : "s");
	return 0;
}
#else
static int open_dpdk(struct backend *b, const struct cli_options *o, const struct devmodel *dm,
		     char *err, size_t errlen)
{
	(void)b, (void)o, (void)dm;
	snprintf(err, errlen, "this mbxdp was built without DPDK (meson -Ddpdk=enabled, with "
			      "libdpdk-dev, builds it in)");
	return -1;
}
#endif

/* Each queue's port in its own wrapper; queue q's draws start from seed +
 * q, so the queues' faults are independent and still reproducible. */
static int wrap_impair(struct backend *b, const struct cli_options *o, char *err, size_t errlen)
{
	for (uint32_t q = 0; q < b->n_queues; q++) {
		struct mbx_impair_config ic = o->impair_cfg;
		struct mbx_port *w;

		ic.seed += q;
		w = mbx_impair_open(b->port[q], &ic, err, errlen);
		if (!w)
			return -1;
		b->port[q] = w;
	}
	return 0;
}

int backend_open(struct backend *b, const struct cli_options *o, const struct devmodel *dm,
		 char *err, size_t errlen)
{
	int rc;

	memset(b, 0, sizeof(*b));
	rc = o->dpdk ? open_dpdk(b, o, dm, err, errlen) : open_afxdp(b, o, dm, err, errlen);
	if (rc == 0 && o->impair)
		rc = wrap_impair(b, o, err, errlen);
	if (rc < 0)
		backend_close(b);
	return rc;
}

int backend_socket_fd(const struct backend *b, uint32_t i)
{
	return b->afxdp[i] ? mbx_afxdp_fd(b->afxdp[i]) : -1;
}

int backend_thread_init(const struct backend *b, char *err, size_t errlen)
{
#if MBXDP_DPDK
	if (b->dpdk)
		return mbx_dpdk_thread_init(err, errlen);
#endif
	(void)b, (void)err, (void)errlen;
	return 0;
}

/* The steering program: ours, or the one DPDK's net_af_xdp loaded. */
static const struct mbx_xdp *steering(const struct backend *b)
{
	if (b->xdp)
		return b->xdp;
#if MBXDP_DPDK
	if (b->dpdk)
		return mbx_dpdk_xdp(b->dpdk);
#endif
	return NULL;
}

int backend_xdp_counters(const struct backend *b, struct mbx_xdp_counters *out)
{
	return steering(b) ? mbx_xdp_read_counters(steering(b), out) : -1;
}

void backend_unhook(const struct backend *b)
{
	mbx_xdp_unhook(steering(b));
}

void backend_close(struct backend *b)
{
	/* The program first: frames stop coming to sockets about to close. */
	mbx_xdp_detach(b->xdp);
	/* A wrapper closes what it wraps: the AF_XDP port, or a DPDK queue,
	 * which leaves the rest to the device. A port that failed to open
	 * left the ones after it NULL. */
	for (uint32_t q = 0; q < b->n_queues; q++)
		if (b->port[q])
			mbx_port_close(b->port[q]);
#if MBXDP_DPDK
	mbx_dpdk_close(b->dpdk);
	if (b->eal_up)
		mbx_dpdk_eal_cleanup();
#endif
	free(b->stack_addrs);
	free(b->stack_addrs6);
	memset(b, 0, sizeof(*b));
}
