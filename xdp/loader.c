/* Loads, attaches and detaches mbxdp_steer; see loader.h for the rules.
 *
 * Attaching goes through libbpf's netlink call (bpf_xdp_attach), the call
 * libxdp itself makes in its single-program ("legacy") mode, and not through
 * xdp_program__attach(): that one decides on its own whether to wrap the
 * program in libxdp's multi-program dispatcher, and the decision is neither
 * wanted nor stable. Observed with libxdp 1.3.1 on kernel 6.18:
 * - with no bpffs at /sys/fs/bpf (these hosts, and always under
 *   `ip netns exec`, which mounts a fresh /sys) libxdp loads a dispatcher,
 *   finds nowhere to pin it and falls back to single-program mode;
 * - with a bpffs mounted, the dispatcher's compatibility check (loading an
 *   freplace program) fails with EPERM and it falls back again;
 * - where the dispatcher does work, our program would be pinned in the bpffs
 *   of the caller's mount namespace; one made by `ip netns exec` goes away
 *   with the process, so after a kill -9 the next run could no longer tell
 *   the dispatcher left on the interface from anybody else's.
 * A program attached by netlink carries its own name, which is how a leftover
 * is recognised, and XDP_FLAGS_REPLACE lets every detach remove exactly the
 * program it attached and nothing that replaced it since. */
#include "loader.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <linux/if_link.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "steer_abi.h"

struct mbx_xdp {
	struct bpf_object *obj;
	int ifindex;
	uint32_t mode_flags; /* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	int prog_fd; /* -1 until loaded or adopted */
	int attached; /* prog_fd is on the interface (attached or adopted): unhook takes it off */
	int xsks_map_fd;
	int stats_fd;
	int claim_fd;
	int adopted; /* attached by someone else (mbx_xdp_adopt): they detach it */
	uint32_t n_cpus;
	uint64_t *per_cpu; /* n_cpus slots for reading one counter */
};

static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The claim: an mbxdp serving an interface holds an abstract unix socket
 * named after the ifindex. Abstract names belong to the network namespace,
 * as ifindexes do, and the kernel frees them when the holder dies, however
 * it dies (unix(7), "Abstract sockets"). So a taken name means a live mbxdp;
 * with the name free, an mbxdp_steer program on the interface is a leftover. */
static int claim_iface(int ifindex, const char *ifname, char *err, size_t errlen)
{
	struct sockaddr_un addr;
	socklen_t addrlen;
	int fd, n;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "mbxdp-ifindex-%d", ifindex);
	addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		say(err, errlen, "cannot open a unix socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&addr, addrlen) < 0) {
		if (errno == EADDRINUSE)
			say(err, errlen, "an mbxdp is already running on %s; stop it first", ifname);
		else
			say(err, errlen, "cannot claim %s: %s", ifname, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static const char *mode_name(uint32_t mode_flags)
{
	switch (mode_flags) {
	case XDP_FLAGS_DRV_MODE:
		return "native";
	case XDP_FLAGS_SKB_MODE:
		return "generic";
	default:
		return "offload";
	}
}

/* The ip(8) words that remove a program attached in this mode. */
static const char *ip_link_off(uint32_t mode_flags)
{
	switch (mode_flags) {
	case XDP_FLAGS_DRV_MODE:
		return "xdpdrv off";
	case XDP_FLAGS_SKB_MODE:
		return "xdpgeneric off";
	default:
		return "xdpoffload off";
	}
}

/* An mbxdp_steer program found on the interface. */
struct leftover {
	int fd; /* -1: none */
	uint32_t mode_flags;
};

/* Looks at every mode's program on the interface. Ours (by name) is returned
 * in *ours with an fd that pins its identity for the guarded detach; anybody
 * else's is an error. Returns 0, or -1 with err set. */
static int inspect_attached(int ifindex, const char *ifname, struct leftover *ours, char *err,
			    size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	const struct {
		const uint32_t *id;
		uint32_t mode_flags;
	} slots[] = {
		{ &q.drv_prog_id, XDP_FLAGS_DRV_MODE },
		{ &q.skb_prog_id, XDP_FLAGS_SKB_MODE },
		{ &q.hw_prog_id, XDP_FLAGS_HW_MODE },
	};
	int rc;

	ours->fd = -1;
	rc = bpf_xdp_query(ifindex, 0, &q);
	if (rc < 0) {
		say(err, errlen, "cannot query the XDP programs of %s: %s", ifname, strerror(-rc));
		return -1;
	}
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		struct bpf_prog_info info;
		uint32_t info_len = sizeof(info);
		uint32_t id = *slots[i].id;
		int fd;

		if (!id)
			continue;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0) {
			/* The kernel hands out fds by id to CAP_SYS_ADMIN only. */
			say(err, errlen,
			    "%s has XDP program id %u attached; telling whether it is mbxdp's %s: %s",
			    ifname, id, errno == EPERM ? "needs CAP_SYS_ADMIN" : "failed",
			    strerror(errno));
			goto fail;
		}
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &info_len) < 0) {
			say(err, errlen, "cannot read XDP program id %u on %s: %s", id, ifname,
			    strerror(errno));
			close(fd);
			goto fail;
		}
		if (strcmp(info.name, MBXDP_PROG_NAME) != 0) {
			say(err, errlen,
			    "%s has an XDP program that is not mbxdp's (%s mode, id %u, name '%s'); "
			    "leaving it alone (remove it with: ip link set dev %s %s)",
			    ifname, mode_name(slots[i].mode_flags), id, info.name, ifname,
			    ip_link_off(slots[i].mode_flags));
			close(fd);
			goto fail;
		}
		if (ours->fd >= 0) /* one program per mode, so at most one of ours matters */
			close(ours->fd);
		ours->fd = fd;
		ours->mode_flags = slots[i].mode_flags;
	}
	return 0;
fail:
	if (ours->fd >= 0)
		close(ours->fd);
	ours->fd = -1;
	return -1;
}

/* Removes prog_fd from the interface if, and only if, it is still the one
 * attached there in that mode (XDP_FLAGS_REPLACE with an expected fd). */
static int detach_guarded(int ifindex, uint32_t mode_flags, int prog_fd)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = prog_fd);

	return bpf_xdp_detach(ifindex, mode_flags, &opts);
}

static int remove_leftover(int ifindex, const char *ifname, char *err, size_t errlen)
{
	struct leftover ours;
	int rc;

	if (inspect_attached(ifindex, ifname, &ours, err, errlen) < 0)
		return -1;
	if (ours.fd < 0)
		return 0;
	rc = detach_guarded(ifindex, ours.mode_flags, ours.fd);
	close(ours.fd);
	if (rc < 0) {
		say(err, errlen, "cannot remove the mbxdp XDP program left on %s: %s%s", ifname,
		    strerror(-rc), rc == -EPERM ? " (" MBX_NEEDS_PRIVILEGES ")" : "");
		return -1;
	}
	return 1;
}

/* The installed object is found from the executable's own place, not from
 * the prefix the build was configured with, so an installation moved as a
 * whole (a DESTDIR staged for a package, a tree unpacked elsewhere) keeps
 * working: <prefix>/<exe dir>/mbxdp -> <prefix>/<object>. */
const char *mbx_xdp_default_obj_path(char *buf, size_t len)
{
	const char *env = getenv(MBX_XDP_OBJECT_ENV);
	const size_t exedir_len = strlen(MBXDP_INSTALL_EXEDIR);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *dir;
	size_t dir_len;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return buf;
	}
	if (n > 0) {
		exe[n] = '\0';
		if (!strncmp(exe, MBXDP_BUILD_ROOT "/", strlen(MBXDP_BUILD_ROOT) + 1)) {
			snprintf(buf, len, "%s", MBXDP_BPF_OBJ_BUILD_PATH);
			return buf;
		}
		dir = dirname(exe);
		dir_len = strlen(dir);
		if (MBXDP_INSTALL_EXEDIR[0] != '/' && MBXDP_INSTALL_OBJ[0] != '/' &&
		    dir_len > exedir_len + 1 && dir[dir_len - exedir_len - 1] == '/' &&
		    !strcmp(dir + dir_len - exedir_len, MBXDP_INSTALL_EXEDIR)) {
			snprintf(buf, len, "%.*s/%s", (int)(dir_len - exedir_len - 1), dir,
				 MBXDP_INSTALL_OBJ);
			return buf;
		}
	}
	if (MBXDP_INSTALL_OBJ[0] == '/')
		snprintf(buf, len, "%s", MBXDP_INSTALL_OBJ);
	else
		snprintf(buf, len, "%s/%s", MBXDP_INSTALL_PREFIX, MBXDP_INSTALL_OBJ);
	return buf;
}

static int load_program(struct mbx_xdp *x, const char *path, char *err, size_t errlen)
{
	struct bpf_program *prog;
	int rc;

	x->obj = bpf_object__open_file(path, NULL);
	if (!x->obj) {
		say(err, errlen, "cannot open the XDP program %s: %s (give its place with "
			"--xdp-object FILE or %s)", path, strerror(errno), MBX_XDP_OBJECT_ENV);
		return -1;
	}
	rc = bpf_object__load(x->obj);
	if (rc < 0) {
		say(err, errlen, "cannot load the XDP program %s: %s%s", path, strerror(-rc),
		    rc == -EPERM ? " (" MBX_NEEDS_PRIVILEGES ")" : "");
		return -1;
	}
	prog = bpf_object__find_program_by_name(x->obj, MBXDP_PROG_NAME);
	x->xsks_map_fd = bpf_object__find_map_fd_by_name(x->obj, "xsks_map");
	x->stats_fd = bpf_object__find_map_fd_by_name(x->obj, "mbxdp_stats");
	if (!prog || x->xsks_map_fd < 0 || x->stats_fd < 0) {
		say(err, errlen, "%s is not mbxdp's XDP program (no %s, xsks_map or mbxdp_stats)",
		    path, MBXDP_PROG_NAME);
		return -1;
	}
	x->prog_fd = bpf_program__fd(prog);
	return 0;
}

static int fill_ports(int fd, const uint16_t *ports, uint32_t n_ports, char *err, size_t errlen)
{
	const uint8_t served = 1;

	if (fd < 0) {
		say(err, errlen, "the XDP program has no mbxdp_ports map");
		return -1;
	}
	for (uint32_t i = 0; i < n_ports; i++) {
		uint16_t port = ports[i];

		if (bpf_map_update_elem(fd, &port, &served, BPF_ANY) < 0) {
			say(err, errlen, "cannot add port %u to the XDP program: %s", port,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The interface's hardware address, for the sender fields of the ARP
 * replies the program writes. */
static int read_mac(const char *ifname, uint8_t mac[6], char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0) {
		say(err, errlen, "cannot open a socket: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (rc < 0) {
		say(err, errlen, "cannot read the hardware address of %s: %s", ifname,
		    strerror(errno));
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static int server_has_allow_list(const struct mbx_xdp_config *cfg, uint16_t server)
{
	for (uint32_t i = 0; i < cfg->n_allow; i++)
		if (cfg->allow[i].server == server)
			return 1;
	for (uint32_t i = 0; i < cfg->n_allow6; i++)
		if (cfg->allow6[i].server == server)
			return 1;
	return 0;
}

static uint16_t addr_flags(const struct mbx_xdp_config *cfg, uint16_t server, int answer_arp)
{
	return (uint16_t)((answer_arp ? MBXDP_ADDR_ANSWER_ARP : 0) |
			  (server_has_allow_list(cfg, server) ? MBXDP_ADDR_ALLOW_LIST : 0));
}

/* The fd of one of the loaded object's maps, with a message if it has none. */
static int object_map(const struct mbx_xdp *x, const char *name, char *err, size_t errlen)
{
	int fd = bpf_object__find_map_fd_by_name(x->obj, name);

	if (fd < 0)
		say(err, errlen, "the XDP program has no %s map", name);
	return fd;
}

/* Allow-list entries first, then the addresses that point at them, then
 * the configuration: the program sees no address whose allow-list is not
 * complete yet. */
static int fill_allow(struct mbx_xdp *x, const struct mbx_xdp_config *cfg, char *err,
		      size_t errlen)
{
	int fd = object_map(x, "mbxdp_allow", err, errlen);
	const uint8_t allowed = 1;

	if (fd < 0)
		return -1;
	for (uint32_t i = 0; i < cfg->n_allow; i++) {
		const struct mbx_xdp_cidr *c = &cfg->allow[i];
		struct mbxdp_allow_key key = {
			.prefixlen = 32u + c->prefix_len, .server = c->server, .addr = c->addr
		};
		char a[INET_ADDRSTRLEN];

		if (bpf_map_update_elem(fd, &key, &allowed, BPF_NOEXIST) < 0) {
			inet_ntop(AF_INET, &c->addr, a, sizeof(a));
			say(err, errlen, "cannot add the allowed source %s/%u%s: %s", a, c->prefix_len,
			    errno == EEXIST ? " (listed twice)" : "", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int fill_allow6(struct mbx_xdp *x, const struct mbx_xdp_config *cfg, char *err,
		       size_t errlen)
{
	int fd = object_map(x, "mbxdp_allow6", err, errlen);
	const uint8_t allowed = 1;

	if (fd < 0)
		return -1;
	for (uint32_t i = 0; i < cfg->n_allow6; i++) {
		const struct mbx_xdp_cidr6 *c = &cfg->allow6[i];
		struct mbxdp_allow6_key key = { .prefixlen = 32u + c->prefix_len, .server = c->server };
		char a[INET6_ADDRSTRLEN];

		memcpy(key.addr, c->addr, sizeof(key.addr));
		inet_ntop(AF_INET6, c->addr, a, sizeof(a));
		/* The kernel refuses it too (32 + 129 is past the key's 160
		 * bits), but with an EINVAL that names no reason. */
		if (c->prefix_len > 128) {
			say(err, errlen, "cannot add the allowed source %s/%u: an IPv6 prefix is at most 128 bits long",
			    a, c->prefix_len);
			return -1;
		}
		if (bpf_map_update_elem(fd, &key, &allowed, BPF_NOEXIST) < 0) {
			say(err, errlen, "cannot add the allowed source %s/%u%s: %s", a, c->prefix_len,
			    errno == EEXIST ? " (listed twice)" : "", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int fill_addrs(struct mbx_xdp *x, const struct mbx_xdp_config *cfg, char *err,
		      size_t errlen)
{
	int fd = object_map(x, "mbxdp_addrs", err, errlen);

	if (fd < 0)
		return -1;
	for (uint32_t i = 0; i < cfg->n_addrs; i++) {
		const struct mbx_xdp_addr *a = &cfg->addrs[i];
		struct mbxdp_addr v = {
			.server = a->server, .flags = addr_flags(cfg, a->server, a->answer_arp)
		};
		char text[INET_ADDRSTRLEN];

		if (bpf_map_update_elem(fd, &a->addr, &v, BPF_NOEXIST) < 0) {
			inet_ntop(AF_INET, &a->addr, text, sizeof(text));
			say(err, errlen, "cannot serve address %s%s: %s", text,
			    errno == EEXIST ? " (listed twice)" : "", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int fill_addrs6(struct mbx_xdp *x, const struct mbx_xdp_config *cfg, char *err,
		       size_t errlen)
{
	int fd = object_map(x, "mbxdp_addrs6", err, errlen);

	if (fd < 0)
		return -1;
	for (uint32_t i = 0; i < cfg->n_addrs6; i++) {
		const struct mbx_xdp_addr6 *a = &cfg->addrs6[i];
		struct mbxdp_addr6_key key;
		struct mbxdp_addr v = {
			.server = a->server, .flags = addr_flags(cfg, a->server, a->answer_nd)
		};
		char text[INET6_ADDRSTRLEN];

		memcpy(key.addr, a->addr, sizeof(key.addr));
		if (bpf_map_update_elem(fd, &key, &v, BPF_NOEXIST) < 0) {
			inet_ntop(AF_INET6, a->addr, text, sizeof(text));
			say(err, errlen, "cannot serve address %s%s: %s", text,
			    errno == EEXIST ? " (listed twice)" : "", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int fill_config(struct mbx_xdp *x, const struct mbx_xdp_config *cfg, char *err,
		       size_t errlen)
{
	int fd = object_map(x, "mbxdp_config", err, errlen);
	struct mbxdp_config c;
	uint32_t key = 0;

	if (fd < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	if (read_mac(cfg->ifname, c.mac, err, errlen) < 0)
		return -1;
	c.addr_listed = cfg->n_addrs > 0 || cfg->n_addrs6 > 0;
	c.any_addr.server = 0;
	c.any_addr.flags = addr_flags(cfg, 0, 0);
	c.pass_no_socket = cfg->pass_no_socket != 0;
	c.client = cfg->client != 0;
	if (bpf_map_update_elem(fd, &key, &c, BPF_ANY) < 0) {
		say(err, errlen, "cannot configure the XDP program: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int attach_program(struct mbx_xdp *x, const char *ifname, char *err, size_t errlen)
{
	/* UPDATE_IF_NOEXIST: whatever got attached since inspect_attached()
	 * looked is somebody else's and stays. */
	int rc = bpf_xdp_attach(x->ifindex, x->prog_fd, x->mode_flags | XDP_FLAGS_UPDATE_IF_NOEXIST,
				NULL);

	if (rc == 0)
		return 0;
	if (rc == -EOPNOTSUPP && x->mode_flags == XDP_FLAGS_DRV_MODE)
		say(err, errlen, "%s has no native XDP support; use generic mode", ifname);
	else if (rc == -EPERM)
		say(err, errlen, "attaching XDP to %s " MBX_NEEDS_PRIVILEGES, ifname);
	else
		say(err, errlen, "cannot attach the XDP program to %s in %s mode: %s", ifname,
		    mode_name(x->mode_flags), strerror(-rc));
	return -1;
}

/* A new handle on ifname, nothing loaded or claimed. */
static struct mbx_xdp *new_handle(const char *ifname, char *err, size_t errlen)
{
	struct mbx_xdp *x;
	int n_cpus = libbpf_num_possible_cpus();

	x = calloc(1, sizeof(*x));
	if (n_cpus <= 0 || !x) {
		say(err, errlen, "cannot set up the XDP loader: %s",
		    n_cpus <= 0 ? strerror(-n_cpus) : "out of memory");
		free(x);
		return NULL;
	}
	x->prog_fd = -1;
	x->stats_fd = -1;
	x->claim_fd = -1;
	x->n_cpus = (uint32_t)n_cpus;
	x->per_cpu = calloc(x->n_cpus, sizeof(*x->per_cpu));
	x->ifindex = (int)if_nametoindex(ifname);
	if (!x->per_cpu) {
		say(err, errlen, "out of memory");
		goto fail;
	}
	if (x->ifindex == 0) {
		say(err, errlen, "no such interface: %s", ifname);
		goto fail;
	}
	return x;
fail:
	mbx_xdp_detach(x);
	return NULL;
}

/* A new handle on ifname with the interface claimed and a leftover of ours
 * removed: what has to hold before an mbxdp_steer program goes on. */
static struct mbx_xdp *claim_new(const char *ifname, char *err, size_t errlen)
{
	struct mbx_xdp *x = new_handle(ifname, err, errlen);

	if (!x)
		return NULL;
	x->claim_fd = claim_iface(x->ifindex, ifname, err, errlen);
	if (x->claim_fd < 0 || remove_leftover(x->ifindex, ifname, err, errlen) < 0) {
		mbx_xdp_detach(x);
		return NULL;
	}
	return x;
}

static int check_config(const struct mbx_xdp_config *cfg, char *err, size_t errlen)
{
	if (cfg->n_ports == 0 || cfg->n_ports > MBXDP_PORTS_MAX) {
		say(err, errlen, "between 1 and %d served ports, not %u", MBXDP_PORTS_MAX,
		    cfg->n_ports);
		return -1;
	}
	if (cfg->n_addrs > MBXDP_ADDRS_MAX || cfg->n_allow > MBXDP_ALLOW_MAX) {
		say(err, errlen, "at most %d served addresses and %d allowed source prefixes, not %u and %u",
		    MBXDP_ADDRS_MAX, MBXDP_ALLOW_MAX, cfg->n_addrs, cfg->n_allow);
		return -1;
	}
	if (cfg->n_addrs6 > MBXDP_ADDRS6_MAX || cfg->n_allow6 > MBXDP_ALLOW_MAX) {
		say(err, errlen, "at most %d served IPv6 addresses and %d allowed IPv6 source prefixes, not %u and %u",
		    MBXDP_ADDRS6_MAX, MBXDP_ALLOW_MAX, cfg->n_addrs6, cfg->n_allow6);
		return -1;
	}
	return 0;
}

static int load_and_fill(struct mbx_xdp *x, const struct mbx_xdp_config *cfg, char *err,
			 size_t errlen)
{
	char path_buf[PATH_MAX];
	const char *path = cfg->bpf_obj_path;

	if (!path)
		path = mbx_xdp_default_obj_path(path_buf, sizeof(path_buf));
	if (load_program(x, path, err, errlen) < 0 ||
	    fill_ports(bpf_object__find_map_fd_by_name(x->obj, "mbxdp_ports"), cfg->ports,
		       cfg->n_ports, err, errlen) < 0 ||
	    fill_allow(x, cfg, err, errlen) < 0 || fill_allow6(x, cfg, err, errlen) < 0 ||
	    fill_addrs(x, cfg, err, errlen) < 0 ||
	    fill_addrs6(x, cfg, err, errlen) < 0)
		return -1;
	return fill_config(x, cfg, err, errlen);
}

struct mbx_xdp *mbx_xdp_load(const struct mbx_xdp_config *cfg, char *err, size_t errlen)
{
	struct mbx_xdp *x = check_config(cfg, err, errlen) < 0 ? NULL : new_handle(cfg->ifname, err, errlen);

	if (x && load_and_fill(x, cfg, err, errlen) < 0) {
		mbx_xdp_detach(x);
		return NULL;
	}
	return x;
}

struct mbx_xdp *mbx_xdp_attach(const struct mbx_xdp_config *cfg, char *err, size_t errlen)
{
	struct mbx_xdp *x = check_config(cfg, err, errlen) < 0 ? NULL : claim_new(cfg->ifname, err, errlen);

	if (!x)
		return NULL;
	x->mode_flags = cfg->generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	if (load_and_fill(x, cfg, err, errlen) < 0 || attach_program(x, cfg->ifname, err, errlen) < 0) {
		mbx_xdp_detach(x);
		return NULL;
	}
	x->attached = 1;
	return x;
}

int mbx_xdp_prog_fd(const struct mbx_xdp *x)
{
	return x->prog_fd;
}

struct mbx_xdp *mbx_xdp_claim(const char *ifname, char *err, size_t errlen)
{
	return claim_new(ifname, err, errlen);
}

/* The fd of the map called name among the program's maps; -1 if none. */
static int prog_map_fd(int prog_fd, const char *name)
{
	uint32_t ids[16];
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (uint64_t)(uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
		return -1;
	for (uint32_t i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct bpf_map_info minfo;
		uint32_t mlen = sizeof(minfo);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		memset(&minfo, 0, sizeof(minfo));
		if (bpf_obj_get_info_by_fd(fd, &minfo, &mlen) == 0 && !strcmp(minfo.name, name))
			return fd;
		close(fd);
	}
	return -1;
}

int mbx_xdp_adopt(struct mbx_xdp *x, const uint16_t *ports, uint32_t n_ports, char *err,
		  size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	uint32_t info_len = sizeof(info);
	int rc, ports_fd;

	rc = bpf_xdp_query(x->ifindex, 0, &q);
	if (rc < 0) {
		say(err, errlen, "cannot query the XDP program of ifindex %d: %s", x->ifindex,
		    strerror(-rc));
		return -1;
	}
	if (!q.prog_id) {
		say(err, errlen, "no XDP program is attached");
		return 0;
	}
	x->prog_fd = bpf_prog_get_fd_by_id(q.prog_id);
	memset(&info, 0, sizeof(info));
	if (x->prog_fd < 0 || bpf_obj_get_info_by_fd(x->prog_fd, &info, &info_len) < 0) {
		say(err, errlen, "cannot read XDP program id %u: %s", q.prog_id, strerror(errno));
		return -1;
	}
	if (strcmp(info.name, MBXDP_PROG_NAME) != 0) {
		say(err, errlen, "the XDP program is '%s', not %s", info.name, MBXDP_PROG_NAME);
		close(x->prog_fd);
		x->prog_fd = -1;
		return 0;
	}
	x->adopted = 1;
	x->attached = 1;
	x->mode_flags = q.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE
			: q.attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE
							  : XDP_FLAGS_DRV_MODE;
	x->xsks_map_fd = -1;
	x->stats_fd = prog_map_fd(x->prog_fd, "mbxdp_stats");
	ports_fd = prog_map_fd(x->prog_fd, "mbxdp_ports");
	rc = fill_ports(ports_fd, ports, n_ports, err, errlen);
	if (ports_fd >= 0)
		close(ports_fd);
	if (rc == 0 && x->stats_fd < 0) {
		say(err, errlen, "the XDP program has no mbxdp_stats map");
		rc = -1;
	}
	return rc < 0 ? -1 : 1;
}

int mbx_xdp_xsks_map_fd(const struct mbx_xdp *x)
{
	return x->xsks_map_fd;
}

int mbx_xdp_read_counters(const struct mbx_xdp *x, struct mbx_xdp_counters *out)
{
	uint64_t *slot[MBXDP_STAT_COUNT] = {
#define SLOT_FIELD(slot, name, meaning) [MBXDP_STAT_##slot] = &out->name,
		MBXDP_STATS(SLOT_FIELD)
#undef SLOT_FIELD
	};

	for (uint32_t key = 0; key < MBXDP_STAT_COUNT; key++) {
		if (bpf_map_lookup_elem(x->stats_fd, &key, x->per_cpu) < 0)
			return -1;
		*slot[key] = 0;
		for (uint32_t cpu = 0; cpu < x->n_cpus; cpu++)
			*slot[key] += x->per_cpu[cpu];
	}
	return 0;
}

void mbx_xdp_unhook(const struct mbx_xdp *x)
{
	/* An error is not reported: the only ones left are "somebody replaced
	 * our program" and "the interface is gone", where there is nothing to
	 * undo. */
	if (x && x->attached)
		detach_guarded(x->ifindex, x->mode_flags, x->prog_fd);
}

void mbx_xdp_detach(struct mbx_xdp *x)
{
	if (!x)
		return;
	if (x->adopted) { /* our fds, not an object's; the program is its attacher's */
		close(x->prog_fd);
		if (x->stats_fd >= 0)
			close(x->stats_fd);
	} else {
		mbx_xdp_unhook(x); /* first, so frames reach the kernel again at once */
	}
	bpf_object__close(x->obj);
	if (x->claim_fd >= 0)
		close(x->claim_fd);
	free(x->per_cpu);
	free(x);
}

int mbx_xdp_detach_iface(const char *ifname, char *err, size_t errlen)
{
	int ifindex = (int)if_nametoindex(ifname);
	int claim_fd, rc;

	if (ifindex == 0) {
		say(err, errlen, "no such interface: %s", ifname);
		return -1;
	}
	claim_fd = claim_iface(ifindex, ifname, err, errlen);
	if (claim_fd < 0)
		return -1;
	rc = remove_leftover(ifindex, ifname, err, errlen);
	close(claim_fd);
	return rc;
}
