/* peer_xdp_reflector: the floor of the AF_XDP path. UDP datagrams to --port
 * arrive through reflector.bpf.c on an AF_XDP socket; each is sent back from
 * its own umem frame with Ethernet addresses, IPv4 addresses and UDP ports
 * swapped, and nothing else done: no TCP, no Modbus. Swapping keeps both
 * checksums valid (the IPv4 header sum and the UDP pseudo-header sum are
 * sums, RFC 1071, indifferent to the order of their terms). One busy-polling
 * loop on one queue, like mbxdp's worker, so mbxdp-bench --udp-echo against
 * it measures what mbxdp's own path costs before its TCP and Modbus work. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#define FRAME_SIZE 4096u
#define RING_SIZE 2048u
#define BURST 64

struct reflector {
	struct xsk_ring_cons rx, comp;
	struct xsk_ring_prod tx, fill;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	void *area;
	struct bpf_object *obj;
	int ifindex;
	int prog_fd;
	uint32_t mode;
	uint64_t reflected;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[ETH_ALEN];
	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/* The program only redirects what it parsed as Ethernet + IPv4 + UDP. */
static void reflect(uint8_t *f)
{
	struct ethhdr *eth = (struct ethhdr *)f;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)((uint8_t *)ip + ip->ihl * 4);
	swap_bytes(eth->h_dest, eth->h_source, ETH_ALEN);
	swap_bytes((uint8_t *)&ip->saddr, (uint8_t *)&ip->daddr, 4);
	swap_bytes((uint8_t *)&udp->source, (uint8_t *)&udp->dest, 2);
}

/* Completed tx frames go straight back to the fill ring; received frames go
 * to tx. A frame is thus always in exactly one ring, and the umem has as many
 * frames as one ring has entries, so no reserve below can fail for want of
 * space. */
static void poll_once(struct reflector *r)
{
	uint32_t idx_c, idx_f, idx_rx, idx_tx;
	uint32_t n = xsk_ring_cons__peek(&r->comp, BURST, &idx_c);
	if (n && xsk_ring_prod__reserve(&r->fill, n, &idx_f) == n) {
		for (uint32_t i = 0; i < n; i++)
			*xsk_ring_prod__fill_addr(&r->fill, idx_f + i) =
				*xsk_ring_cons__comp_addr(&r->comp, idx_c + i);
		xsk_ring_prod__submit(&r->fill, n);
		xsk_ring_cons__release(&r->comp, n);
	}
	n = xsk_ring_cons__peek(&r->rx, BURST, &idx_rx);
	if (n && xsk_ring_prod__reserve(&r->tx, n, &idx_tx) == n) {
		for (uint32_t i = 0; i < n; i++) {
			const struct xdp_desc *in = xsk_ring_cons__rx_desc(&r->rx, idx_rx + i);
			struct xdp_desc *out = xsk_ring_prod__tx_desc(&r->tx, idx_tx + i);
			reflect(xsk_umem__get_data(r->area, in->addr));
			out->addr = in->addr;
			out->len = in->len;
			out->options = 0;
		}
		xsk_ring_prod__submit(&r->tx, n);
		xsk_ring_cons__release(&r->rx, n);
		r->reflected += n;
	}
	/* Copy mode sends only when kicked (net/xdp/xsk.c), 32 frames a kick. */
	if (xsk_ring_prod__needs_wakeup(&r->tx))
		sendto(xsk_socket__fd(r->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
	if (xsk_ring_prod__needs_wakeup(&r->fill))
		recvfrom(xsk_socket__fd(r->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

static int setup(struct reflector *r, const char *ifname, const char *obj_path, uint16_t port,
		 int generic)
{
	struct xsk_umem_config ucfg = { .fill_size = RING_SIZE, .comp_size = RING_SIZE,
					.frame_size = FRAME_SIZE,
					.frame_headroom = XSK_UMEM__DEFAULT_FRAME_HEADROOM };
	struct xsk_socket_config scfg = { .rx_size = RING_SIZE, .tx_size = RING_SIZE,
					  .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
					  .bind_flags = XDP_USE_NEED_WAKEUP };
	uint32_t zero = 0, port32 = port, idx;

	r->ifindex = (int)if_nametoindex(ifname);
	if (!r->ifindex) {
		fprintf(stderr, "peer_xdp_reflector: no such interface: %s\n", ifname);
		return -1;
	}
	r->obj = bpf_object__open_file(obj_path, NULL);
	if (!r->obj || bpf_object__load(r->obj)) {
		fprintf(stderr, "peer_xdp_reflector: cannot load %s: %s\n", obj_path,
			strerror(errno));
		return -1;
	}
	struct bpf_program *prog = bpf_object__find_program_by_name(r->obj, "reflector");
	int port_fd = bpf_object__find_map_fd_by_name(r->obj, "reflect_port");
	int xsks_fd = bpf_object__find_map_fd_by_name(r->obj, "xsks_map");
	if (!prog || port_fd < 0 || xsks_fd < 0 ||
	    bpf_map_update_elem(port_fd, &zero, &port32, BPF_ANY)) {
		fprintf(stderr, "peer_xdp_reflector: %s is not the reflector program\n", obj_path);
		return -1;
	}
	r->area = mmap(NULL, (size_t)RING_SIZE * FRAME_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->area == MAP_FAILED) {
		r->area = NULL;
		perror("peer_xdp_reflector: umem");
		return -1;
	}
	if (xsk_umem__create(&r->umem, r->area, (uint64_t)RING_SIZE * FRAME_SIZE, &r->fill,
			     &r->comp, &ucfg) ||
	    xsk_socket__create(&r->xsk, ifname, 0, r->umem, &r->rx, &r->tx, &scfg) ||
	    xsk_socket__update_xskmap(r->xsk, xsks_fd)) {
		fprintf(stderr, "peer_xdp_reflector: cannot open an AF_XDP socket on %s queue 0: %s\n",
			ifname, strerror(errno));
		return -1;
	}
	/* Every frame starts in the fill ring. */
	xsk_ring_prod__reserve(&r->fill, RING_SIZE, &idx);
	for (uint32_t i = 0; i < RING_SIZE; i++)
		*xsk_ring_prod__fill_addr(&r->fill, idx + i) = (uint64_t)i * FRAME_SIZE;
	xsk_ring_prod__submit(&r->fill, RING_SIZE);

	r->prog_fd = bpf_program__fd(prog);
	r->mode = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	if (bpf_xdp_attach(r->ifindex, r->prog_fd, r->mode | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL)) {
		fprintf(stderr, "peer_xdp_reflector: cannot attach to %s: %s\n", ifname,
			strerror(errno));
		r->prog_fd = -1;
		return -1;
	}
	return 0;
}

/* Detaches first, so frames go to the kernel again before the socket goes. */
static void teardown(struct reflector *r)
{
	if (r->prog_fd >= 0) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = r->prog_fd);
		bpf_xdp_detach(r->ifindex, r->mode | XDP_FLAGS_REPLACE, &opts);
	}
	if (r->xsk)
		xsk_socket__delete(r->xsk);
	if (r->umem)
		xsk_umem__delete(r->umem);
	if (r->area)
		munmap(r->area, (size_t)RING_SIZE * FRAME_SIZE);
	bpf_object__close(r->obj);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "port", required_argument, NULL, 'p' },
		{ "bpf-obj", required_argument, NULL, 'o' },
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ifname = NULL, *obj = REFLECTOR_BPF_OBJ;
	struct reflector r = { .prog_fd = -1 };
	long port = 0;
	int generic = 0, opt;
	char *end;

	while ((opt = getopt_long(argc, argv, "i:p:o:m:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*end || port < 1 || port > 65535)
				port = 0;
			break;
		case 'o':
			obj = optarg;
			break;
		case 'm':
			generic = strcmp(optarg, "generic") == 0;
			if (!generic && strcmp(optarg, "native") != 0)
				ifname = NULL;
			break;
		default:
			ifname = NULL;
			break;
		}
	}
	if (!ifname || !port || optind < argc) {
		fprintf(stderr, "usage: peer_xdp_reflector --iface IF --port P "
				"[--xdp-mode native|generic] [--bpf-obj PATH]\n");
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (setup(&r, ifname, obj, (uint16_t)port, generic)) {
		teardown(&r);
		return 1;
	}
	printf("peer_xdp_reflector: serving UDP port %ld on %s\n", port, ifname);
	fflush(stdout);
	/* Busy-polls until a signal: the one unbounded loop, as in mbxdp. */
	while (!stopping)
		poll_once(&r);
	teardown(&r);
	printf("reflected %llu\n", (unsigned long long)r.reflected);
	return 0;
}
