#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "ip_prefix.h"
#include "modbus/modbus.h"
#include "stack.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mbxdp --iface IF [--queues N|all | --queue N] [options]\n"
		"       mbxdp --dpdk [--queues N] [--address A[/N]]... [options] -- EAL-ARGS\n"
		"       mbxdp --detach --iface IF\n"
		"\n"
		"Serves Modbus/TCP from user space: an XDP program on IF steers TCP frames\n"
		"for the served ports into an AF_XDP socket; everything else goes to the kernel.\n"
		"With --dpdk it serves the one DPDK port the EAL arguments give instead, e.g.\n"
		"  -- --no-huge --no-pci -m 512 --vdev net_af_xdp0,iface=IF,xdp_prog=mbxdp_steer.bpf.o\n"
		"  -- --no-huge --no-pci -m 512 --vdev net_tap0,iface=NAME   (with --address)\n"
		"\n"
		"  -i, --iface IF           network interface to serve on (AF_XDP)\n"
		"      --queues N|all       AF_XDP: serve receive queues 0..N-1, one socket and\n"
		"                           one worker each (default all); DPDK: queue pairs,\n"
		"                           RSS across them (default 1)\n"
		"  -q, --queue N            serve this receive queue alone\n"
		"      --cpus LIST          CPUs for the workers, one each, e.g. 2-5,8 (default:\n"
		"                           the CPUs mbxdp may run on)\n"
		"      --share-cpus         allow more workers than CPUs, placed in turn\n"
		"      --other-queues drop|pass\n"
		"                           frames for the served ports on a queue mbxdp does\n"
		"                           not serve: dropped (default) or to the kernel; both\n"
		"                           counted (xdp_no_socket_for_queue)\n"
		"      --zero-copy          AF_XDP zero-copy, or an error if the driver lacks it\n"
		"      --copy               AF_XDP copy mode (default: zero-copy if the driver\n"
		"                           has it, else copy)\n"
		"      --busy-poll          preferred busy polling on the AF_XDP sockets\n"
		"                           (SO_PREFER_BUSY_POLL; see docs/nic.md)\n"
		"      --rx-ring N          AF_XDP rx and fill ring entries, a power of two\n"
		"                           (default %u)\n"
		"      --tx-ring N          AF_XDP tx and completion ring entries (default %u)\n"
		"      --frames N           umem frames of 4 KiB per queue (default 2 x rx-ring\n"
		"                           + 2 x tx-ring + %u)\n"
		"  -m, --xdp-mode MODE      native (default) or generic\n"
		"  -p, --port P             TCP port to serve; repeat for more (default 502)\n"
		"  -c, --max-conns N        connection table size (default 65536); when it is\n"
		"                           full, a new connection closes the oldest idle one\n"
		"                           not from a priority source (MIG 4.2.1)\n"
		"      --max-conns-per-source N\n"
		"                           connections one address may hold (default: no limit;\n"
		"                           priority sources are not limited)\n"
		"      --priority-source CIDR\n"
		"                           a trusted IPv4 source, e.g. 198.18.0.0/24 (repeat, up\n"
		"                           to 32): never closed to make room (IPv4 only)\n"
		"      --idle-timeout S     close connections without a request for S seconds\n"
		"                           (default 10; 0: never)\n"
		"      --priority-idle-timeout S\n"
		"                           the same for priority sources (default 30)\n"
		"      --close fin|rst      how we close: FIN, then TIME-WAIT (default), or RST\n"
		"      --time-wait MS       TIME-WAIT length in ms (default 1000, at most 240000)\n"
		"      --keepalive IDLE,INTVL,COUNT\n"
		"                           probe after IDLE s of silence, every INTVL s, reset\n"
		"                           after COUNT unanswered (RFC 1122 4.2.3.6; default off)\n"
		"      --rto-min MS         smallest retransmission timeout (default 200)\n"
		"      --max-retries N      retransmissions of a segment before the connection\n"
		"                           is reset (default 8)\n"
		"      --address A[/N]      serve IPv4 or IPv6 address A, or every address of\n"
		"                           the prefix A/N (N >= %d for IPv4, >= %d for IPv6);\n"
		"                           repeat for more. AF_XDP: XDP steers only these (a\n"
		"                           family with none is left to the kernel) and\n"
		"                           answers ARP and Neighbor Solicitations for those\n"
		"                           the kernel does not own (default: any address\n"
		"                           reaching IF). DPDK: the stack owns them, answers\n"
		"                           ARP, Neighbor Solicitations and ping, announces\n"
		"                           the IPv4 ones at start (at most %d of each family)\n"
		"      --allow-source A/N   admit only sources in these IPv4 or IPv6 prefixes\n"
		"                           (repeat); XDP drops the others and counts them\n"
		"                           (AF_XDP); with prefixes of one family only, no\n"
		"                           source of the other is admitted\n"
		"      --impair SPEC        inject faults for testing, e.g.\n"
		"                           loss=0.05,dup=0.01,reorder=0.02,corrupt=0.001,seed=7\n"
		"                           (rates 0-1 on rx and tx; rx_KEY/tx_KEY for one side)\n"
		"      --capture FILE       record every frame received and sent, with its time\n"
		"                           and direction, to FILE (pcapng), off the data path\n"
		"      --capture-ring KB    the capture ring between worker and writer (8192);\n"
		"                           frames that find it full count as capture_drops\n"
		"      --cookie-secret-file FILE\n"
		"                           derive the SYN cookie and connection hash keys from\n"
		"                           FILE's contents (16-4096 bytes; a file only its owner\n"
		"                           may read) instead of random ones: for reproducible\n"
		"                           replays only, anyone who knows it can forge cookies\n"
		"      --user USER          the user mbxdp serves as once its sockets, maps and\n"
		"                           files are set up (default nobody when started as\n"
		"                           root); it keeps CAP_NET_ADMIN alone, to take its\n"
		"                           XDP program off at exit (docs/security.md)\n"
		"      --group GROUP        group that may read the counters (NAME.stats) and\n"
		"                           the capture (mode 0640; default: owner only, 0600)\n"
		"      --writers GROUP      group that may read and write the live registers\n"
		"                           (NAME.regs mode 0660; default: owner only, 0600)\n"
		"      --name NAME          instance name: live counters in /dev/shm/NAME.stats\n"
		"                           for mbxdp-ctl, live registers in /dev/shm/NAME.regs\n"
		"                           (default mbxdp-IF, with --queue N mbxdp-IF-N, with\n"
		"                           --dpdk mbxdp-dpdk-PID)\n"
		"      --idle MODE          busy (default): poll without pause, lowest latency;\n"
		"                           adaptive: sleep on the socket when traffic stops\n"
		"      --config FILE        device model: servers, units, tables (YAML; see\n"
		"                           docs/usage.md); default: one device, every address\n"
		"      --xdp-object FILE    the XDP program (mbxdp_steer.bpf.o); default:\n"
		"                           $MBXDP_XDP_OBJECT, else the build tree's when run\n"
		"                           from it, else the installed one (LIBDIR/mbxdp)\n"
		"      --detach             remove an mbxdp XDP program left on IF, then exit\n"
		"      --dpdk               serve a DPDK port; EAL arguments follow --\n"
		"  -h, --help               this text\n"
		"  -V, --version            print the version\n"
		"\n"
		"On SIGINT or SIGTERM it detaches, prints its counters (one 'name value'\n"
		"per line) and exits 0.\n",
		MBX_AFXDP_RING_DEFAULT, MBX_AFXDP_RING_DEFAULT, MBX_AFXDP_RING_DEFAULT,
		MBX_ADDRESS_PREFIX_MIN, MBX_ADDRESS_PREFIX6_MIN, STACK_MAX_ADDRS);
}

static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* IDLE,INTVL,COUNT: seconds, seconds, probes. */
static int parse_keepalive(const char *s, struct conn_policy_config *p)
{
	uint32_t v[3];
	char part[3][16];
	const char *name[3] = { "--keepalive IDLE", "--keepalive INTVL", "--keepalive COUNT" };
	int n = sscanf(s, "%15[^,],%15[^,],%15s", part[0], part[1], part[2]);

	if (n != 3) {
		fprintf(stderr, "mbxdp: --keepalive wants IDLE,INTVL,COUNT (e.g. 60,10,5), not '%s'\n", s);
		return -1;
	}
	if (parse_u32(name[0], part[0], 1, 86400, &v[0]) < 0 ||
	    parse_u32(name[1], part[1], 1, 3600, &v[1]) < 0 ||
	    parse_u32(name[2], part[2], 1, 127, &v[2]) < 0)
		return -1;
	p->keepalive_idle_ms = v[0] * 1000;
	p->keepalive_intvl_ms = v[1] * 1000;
	p->keepalive_count = v[2];
	return 0;
}

static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || *s == '-' || v < min || v > max) {
		fprintf(stderr, "mbxdp: %s wants a number from %u to %u, not '%s'\n", opt, min, max, s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* A ring size: a power of two, as the kernel wants (xskq_create). */
static int parse_ring(const char *opt, const char *s, uint32_t *out)
{
	if (parse_u32(opt, s, MBX_AFXDP_RING_MIN, MBX_AFXDP_RING_MAX, out) < 0)
		return -1;
	if (*out & (*out - 1)) {
		fprintf(stderr, "mbxdp: %s wants a power of two, not '%s'\n", opt, s);
		return -1;
	}
	return 0;
}

/* A CPU list as taskset(1) and the kernel's cpulist format write it:
 * "0-3,6,8-9". */
static int parse_cpus(const char *s, cpu_set_t *out)
{
	const char *p = s;

	CPU_ZERO(out);
	while (*p) {
		char *end;
		unsigned long lo, hi;

		if (*p < '0' || *p > '9')
			goto bad;
		lo = strtoul(p, &end, 10);
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				goto bad;
			hi = strtoul(p, &end, 10);
		}
		if (lo > hi || hi >= CPU_SETSIZE)
			goto bad;
		for (unsigned long c = lo; c <= hi; c++)
			CPU_SET(c, out);
		p = end;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			goto bad;
	}
	if (CPU_COUNT(out))
		return 0;
bad:
	fprintf(stderr, "mbxdp: --cpus wants a list of CPUs from 0 to %d like 0-3,6, not '%s'\n",
		CPU_SETSIZE - 1, s);
	return -1;
}

/* ip_prefix.h's syntax, with no bits set beyond N (198.18.1.0/24, not
 * 198.18.1.5/24, as ip-route(8) insists too) and N at least the family's
 * min4 or min6. */
static int parse_prefix(const char *opt, const char *s, uint32_t min4, uint32_t min6,
			struct ip_prefix *p)
{
	const char *why = ip_prefix_parse(s, p);
	uint32_t min = p->family == AF_INET ? min4 : min6, max = p->family == AF_INET ? 32 : 128;

	if (why) {
		fprintf(stderr, "mbxdp: %s wants an IPv4 address or prefix (A.B.C.D[/N]) or an IPv6 "
				"one (X:X::X[/N]), not '%s' (%s)\n",
			opt, s, why);
		return -1;
	}
	if (p->len < min) {
		fprintf(stderr, "mbxdp: %s wants an %s prefix length from %u to %u, not '%s'\n", opt,
			p->family == AF_INET ? "IPv4" : "IPv6", min, max, s);
		return -1;
	}
	if (ip_prefix_host_bits(p)) {
		char text[INET6_ADDRSTRLEN];
		struct ip_prefix net = *p;

		ip_prefix_clear_host(&net);
		fprintf(stderr, "mbxdp: %s %s has bits set beyond /%u (the prefix is %s/%u)\n", opt, s,
			p->len, inet_ntop(p->family, &net.addr, text, sizeof(text)), p->len);
		return -1;
	}
	return 0;
}

/* A prefix into the list of its family. */
static int add_prefix(const char *opt, const struct ip_prefix *p, struct mbx_xdp_cidr *list,
		      uint32_t *n, struct mbx_xdp_cidr6 *list6, uint32_t *n6)
{
	if ((p->family == AF_INET ? *n : *n6) == CLI_MAX_PREFIXES) {
		fprintf(stderr, "mbxdp: at most %d %s options of each family\n", CLI_MAX_PREFIXES,
			opt);
		return -1;
	}
	if (p->family == AF_INET) {
		list[(*n)++] = (struct mbx_xdp_cidr){ .addr = p->addr.v4, .prefix_len = p->len };
	} else {
		list6[*n6] = (struct mbx_xdp_cidr6){ .prefix_len = p->len };
		memcpy(list6[(*n6)++].addr, p->addr.v6, 16);
	}
	return 0;
}

static int add_address(struct cli_options *o, const char *s)
{
	struct ip_prefix p;
	const char *why;

	if (parse_prefix("--address", s, MBX_ADDRESS_PREFIX_MIN, MBX_ADDRESS_PREFIX6_MIN, &p) < 0)
		return -1;
	/* Host bits are clear: the prefix's first address is its lowest. */
	why = p.family == AF_INET6 ? ip6_unicast_problem(p.addr.v6) : NULL;
	if (why) {
		fprintf(stderr, "mbxdp: --address %s is %s, not one a server answers on\n", s, why);
		return -1;
	}
	return add_prefix("--address", &p, o->addresses, &o->n_addresses, o->addresses6,
			  &o->n_addresses6);
}

static int add_allow(struct cli_options *o, const char *s)
{
	struct ip_prefix p;

	if (parse_prefix("--allow-source", s, 0, 0, &p) < 0)
		return -1;
	return add_prefix("--allow-source", &p, o->allow, &o->n_allow, o->allow6, &o->n_allow6);
}

/* Priority sources are IPv4 only for now: the connection policy keeps
 * IPv4 prefixes (tcp/conn_policy.h). */
static int add_priority(struct conn_policy_config *pol, const char *s)
{
	struct ip_prefix p;
	const char *why = ip_prefix_parse(s, &p);

	if (pol->n_priority == CONN_POLICY_MAX_PRIORITY) {
		fprintf(stderr, "mbxdp: at most %d --priority-source options\n",
			CONN_POLICY_MAX_PRIORITY);
		return -1;
	}
	if (!why && p.family == AF_INET6) {
		fprintf(stderr, "mbxdp: --priority-source takes IPv4 prefixes only, not the IPv6 '%s'\n",
			s);
		return -1;
	}
	if (why || conn_cidr_parse(s, &pol->priority[pol->n_priority]) < 0) {
		fprintf(stderr, "mbxdp: --priority-source wants an IPv4 prefix like 198.18.0.0/24, "
				"not '%s' (%s)\n",
			s, why ? why : "not an IPv4 prefix");
		return -1;
	}
	pol->n_priority++;
	return 0;
}

/* The umem must hold at least a full fill ring and a full tx ring. */
static int check_frames(const struct cli_options *o)
{
	uint32_t rx = o->rx_ring ? o->rx_ring : MBX_AFXDP_RING_DEFAULT;
	uint32_t tx = o->tx_ring ? o->tx_ring : MBX_AFXDP_RING_DEFAULT;

	if (o->frames && o->frames < rx + tx) {
		fprintf(stderr, "mbxdp: --frames %u is fewer than the rx and tx rings hold (%u); "
				"give at least that many\n", o->frames, rx + tx);
		return -1;
	}
	return 0;
}

/* Each backend's own options, and only those: an option the chosen backend
 * would ignore is an error, not a surprise. */
static int check_backend_options(const struct cli_options *o)
{
	const char *stray = NULL;

	if (!o->dpdk) {
		if (!o->iface) {
			fprintf(stderr, "mbxdp: --iface (or --dpdk) is required (see mbxdp --help)\n");
			return -1;
		}
		if (o->queues_given && o->queue_given) {
			fprintf(stderr, "mbxdp: --queue N serves one queue, --queues N the first N; "
					"give one of them\n");
			return -1;
		}
		return 0;
	}
	if (o->queues_given && o->queues == 0) {
		fprintf(stderr, "mbxdp: --queues all is for AF_XDP; with --dpdk give the number of "
				"queue pairs\n");
		return -1;
	}
	if (o->idle_adaptive) {
		fprintf(stderr, "mbxdp: --idle adaptive is for AF_XDP: a DPDK poll-mode driver has "
				"no socket to sleep on\n");
		return -1;
	}
	if (o->iface)
		stray = "--iface";
	else if (o->queue_given)
		stray = "--queue";
	else if (o->xdp_mode_given)
		stray = "--xdp-mode";
	else if (o->detach)
		stray = "--detach";
	else if (o->xdp_object)
		stray = "--xdp-object";
	else if (o->other_queues_pass)
		stray = "--other-queues";
	else if (o->afxdp_only_given)
		stray = "--zero-copy, --copy, --busy-poll, --rx-ring, --tx-ring or --frames";
	if (stray) {
		fprintf(stderr, "mbxdp: %s is for AF_XDP; with --dpdk the port and its driver's "
				"settings are EAL arguments after -- (--vdev net_af_xdp0,iface=IF,...)\n",
			stray);
		return -1;
	}
	if (o->n_allow || o->n_allow6) {
		fprintf(stderr, "mbxdp: --allow-source is for AF_XDP, where the XDP program enforces "
				"it; a DPDK port has none\n");
		return -1;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct cli_options *o)
{
	enum {
		OPT_DETACH = 256,
		OPT_IMPAIR,
		OPT_DPDK,
		OPT_QUEUES,
		OPT_ADDRESS,
		OPT_RTO_MIN,
		OPT_MAX_RETRIES,
		OPT_ALLOW_SOURCE,
		OPT_CAPTURE,
		OPT_CAPTURE_RING,
		OPT_COOKIE_SECRET_FILE,
		OPT_USER,
		OPT_GROUP,
		OPT_WRITERS,
		OPT_NAME,
		OPT_IDLE,
		OPT_CONFIG,
		OPT_PER_SOURCE,
		OPT_PRIORITY,
		OPT_IDLE_TIMEOUT,
		OPT_PRIORITY_IDLE_TIMEOUT,
		OPT_CLOSE,
		OPT_TIME_WAIT,
		OPT_KEEPALIVE,
		OPT_XDP_OBJECT,
		OPT_CPUS,
		OPT_SHARE_CPUS,
		OPT_OTHER_QUEUES,
		OPT_ZERO_COPY,
		OPT_COPY,
		OPT_BUSY_POLL,
		OPT_RX_RING,
		OPT_TX_RING,
		OPT_FRAMES,
	};
	static const struct option longopts[] = {
		{ "iface", required_argument, 0, 'i' },
		{ "queue", required_argument, 0, 'q' },
		{ "xdp-mode", required_argument, 0, 'm' },
		{ "port", required_argument, 0, 'p' },
		{ "max-conns", required_argument, 0, 'c' },
		{ "detach", no_argument, 0, OPT_DETACH },
		{ "impair", required_argument, 0, OPT_IMPAIR },
		{ "capture", required_argument, 0, OPT_CAPTURE },
		{ "capture-ring", required_argument, 0, OPT_CAPTURE_RING },
		{ "cookie-secret-file", required_argument, 0, OPT_COOKIE_SECRET_FILE },
		{ "user", required_argument, 0, OPT_USER },
		{ "group", required_argument, 0, OPT_GROUP },
		{ "writers", required_argument, 0, OPT_WRITERS },
		{ "dpdk", no_argument, 0, OPT_DPDK },
		{ "queues", required_argument, 0, OPT_QUEUES },
		{ "address", required_argument, 0, OPT_ADDRESS },
		{ "rto-min", required_argument, 0, OPT_RTO_MIN },
		{ "max-retries", required_argument, 0, OPT_MAX_RETRIES },
		{ "allow-source", required_argument, 0, OPT_ALLOW_SOURCE },
		{ "name", required_argument, 0, OPT_NAME },
		{ "idle", required_argument, 0, OPT_IDLE },
		{ "config", required_argument, 0, OPT_CONFIG },
		{ "max-conns-per-source", required_argument, 0, OPT_PER_SOURCE },
		{ "priority-source", required_argument, 0, OPT_PRIORITY },
		{ "idle-timeout", required_argument, 0, OPT_IDLE_TIMEOUT },
		{ "priority-idle-timeout", required_argument, 0, OPT_PRIORITY_IDLE_TIMEOUT },
		{ "close", required_argument, 0, OPT_CLOSE },
		{ "time-wait", required_argument, 0, OPT_TIME_WAIT },
		{ "keepalive", required_argument, 0, OPT_KEEPALIVE },
		{ "xdp-object", required_argument, 0, OPT_XDP_OBJECT },
		{ "cpus", required_argument, 0, OPT_CPUS },
		{ "share-cpus", no_argument, 0, OPT_SHARE_CPUS },
		{ "other-queues", required_argument, 0, OPT_OTHER_QUEUES },
		{ "zero-copy", no_argument, 0, OPT_ZERO_COPY },
		{ "copy", no_argument, 0, OPT_COPY },
		{ "busy-poll", no_argument, 0, OPT_BUSY_POLL },
		{ "rx-ring", required_argument, 0, OPT_RX_RING },
		{ "tx-ring", required_argument, 0, OPT_TX_RING },
		{ "frames", required_argument, 0, OPT_FRAMES },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 },
	};
	char err[256];
	int ch;
	uint32_t v;

	memset(o, 0, sizeof(*o));
	o->max_conns = 65536;
	o->capture_ring = CAPTURE_RING_DEFAULT;
	o->rto_min_ms = 200;
	o->max_retries = 8;
	conn_policy_defaults(&o->policy);
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":i:q:m:p:c:hV", longopts, 0)) != -1) {
		switch (ch) {
		case 'i':
			o->iface = optarg;
			break;
		case 'q':
			if (parse_u32("--queue", optarg, 0, 1023, &o->queue) < 0)
				return -1;
			o->queue_given = 1;
			break;
		case 'm':
			o->xdp_mode_given = 1;
			if (!strcmp(optarg, "native")) {
				o->xdp_generic = 0;
			} else if (!strcmp(optarg, "generic")) {
				o->xdp_generic = 1;
			} else {
				fprintf(stderr, "mbxdp: --xdp-mode is native or generic, not '%s'\n", optarg);
				return -1;
			}
			break;
		case 'p':
			if (parse_u32("--port", optarg, 1, 65535, &v) < 0)
				return -1;
			if (o->n_ports == CLI_MAX_PORTS) {
				fprintf(stderr, "mbxdp: at most %d --port options\n", CLI_MAX_PORTS);
				return -1;
			}
			o->ports[o->n_ports++] = (uint16_t)v;
			break;
		case 'c':
			if (parse_u32("--max-conns", optarg, 1, 1u << 26, &o->max_conns) < 0)
				return -1;
			break;
		case OPT_RTO_MIN:
			if (parse_u32("--rto-min", optarg, 1, 60000, &o->rto_min_ms) < 0)
				return -1;
			break;
		case OPT_MAX_RETRIES:
			if (parse_u32("--max-retries", optarg, 1, 255, &o->max_retries) < 0)
				return -1;
			break;
		case OPT_DETACH:
			o->detach = 1;
			break;
		case OPT_IMPAIR:
			if (mbx_impair_parse(optarg, &o->impair_cfg, err, sizeof(err)) < 0) {
				fprintf(stderr, "mbxdp: --impair: %s\n", err);
				return -1;
			}
			o->impair = 1;
			break;
		case OPT_PER_SOURCE:
			if (parse_u32("--max-conns-per-source", optarg, 1, 1u << 26,
				      &o->policy.max_per_source) < 0)
				return -1;
			break;
		case OPT_PRIORITY:
			if (add_priority(&o->policy, optarg) < 0)
				return -1;
			break;
		case OPT_IDLE_TIMEOUT:
		case OPT_PRIORITY_IDLE_TIMEOUT:
			if (parse_u32(ch == OPT_IDLE_TIMEOUT ? "--idle-timeout" : "--priority-idle-timeout",
				      optarg, 0, 86400, &v) < 0)
				return -1;
			*(ch == OPT_IDLE_TIMEOUT ? &o->policy.idle_ms : &o->policy.priority_idle_ms) =
				v * 1000;
			break;
		case OPT_CLOSE:
			if (strcmp(optarg, "fin") && strcmp(optarg, "rst")) {
				fprintf(stderr, "mbxdp: --close is fin or rst, not '%s'\n", optarg);
				return -1;
			}
			o->policy.close_rst = !strcmp(optarg, "rst");
			break;
		case OPT_TIME_WAIT:
			/* At most 2 MSL (RFC 9293 3.4.2, MSL 2 minutes). */
			if (parse_u32("--time-wait", optarg, 0, 240000, &o->policy.time_wait_ms) < 0)
				return -1;
			break;
		case OPT_KEEPALIVE:
			if (parse_keepalive(optarg, &o->policy) < 0)
				return -1;
			break;
		case OPT_CAPTURE:
			o->capture = optarg;
			break;
		case OPT_COOKIE_SECRET_FILE:
			o->cookie_secret_file = optarg;
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case OPT_GROUP:
			o->group = optarg;
			break;
		case OPT_WRITERS:
			o->writers = optarg;
			break;
		case OPT_CAPTURE_RING:
			if (parse_u32("--capture-ring", optarg, 4, 1u << 21, &v) < 0)
				return -1;
			o->capture_ring = v * 1024;
			break;
		case OPT_DPDK:
			o->dpdk = 1;
			break;
		case OPT_QUEUES:
			if (strcmp(optarg, "all") &&
			    parse_u32("--queues", optarg, 1, CLI_MAX_QUEUES, &o->queues) < 0)
				return -1;
			o->queues_given = 1;
			break;
		case OPT_CPUS:
			if (parse_cpus(optarg, &o->cpus) < 0)
				return -1;
			o->cpus_given = 1;
			break;
		case OPT_SHARE_CPUS:
			o->share_cpus = 1;
			break;
		case OPT_OTHER_QUEUES:
			if (strcmp(optarg, "drop") && strcmp(optarg, "pass")) {
				fprintf(stderr, "mbxdp: --other-queues is drop or pass, not '%s'\n", optarg);
				return -1;
			}
			o->other_queues_pass = !strcmp(optarg, "pass");
			break;
		case OPT_ZERO_COPY:
		case OPT_COPY:
			if (o->afxdp_copy != MBX_AFXDP_ANY) {
				fprintf(stderr, "mbxdp: give one of --zero-copy and --copy\n");
				return -1;
			}
			o->afxdp_copy = ch == OPT_COPY ? MBX_AFXDP_COPY : MBX_AFXDP_ZERO_COPY;
			o->afxdp_only_given = 1;
			break;
		case OPT_BUSY_POLL:
			o->busy_poll = 1;
			o->afxdp_only_given = 1;
			break;
		case OPT_RX_RING:
		case OPT_TX_RING:
			if (parse_ring(ch == OPT_RX_RING ? "--rx-ring" : "--tx-ring", optarg,
				       ch == OPT_RX_RING ? &o->rx_ring : &o->tx_ring) < 0)
				return -1;
			o->afxdp_only_given = 1;
			break;
		case OPT_FRAMES:
			if (parse_u32("--frames", optarg, 2 * MBX_AFXDP_RING_MIN, MBX_AFXDP_FRAMES_MAX,
				      &o->frames) < 0)
				return -1;
			o->afxdp_only_given = 1;
			break;
		case OPT_ADDRESS:
			if (add_address(o, optarg) < 0)
				return -1;
			break;
		case OPT_ALLOW_SOURCE:
			if (add_allow(o, optarg) < 0)
				return -1;
			break;
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case OPT_XDP_OBJECT:
			o->xdp_object = optarg;
			break;
		case OPT_IDLE:
			if (!strcmp(optarg, "busy")) {
				o->idle_adaptive = 0;
			} else if (!strcmp(optarg, "adaptive")) {
				o->idle_adaptive = 1;
			} else {
				fprintf(stderr, "mbxdp: --idle is busy or adaptive, not '%s'\n", optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("mbxdp %s\n", MBXDP_VERSION);
			return 1;
		case ':':
			fprintf(stderr, "mbxdp: %s needs a value\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "mbxdp: unknown option '%s' (see mbxdp --help)\n", argv[optind - 1]);
			return -1;
		}
	}
	if (o->dpdk && optind > 1 && !strcmp(argv[optind - 1], "--")) {
		o->eal_argv = &argv[optind - 1];
		o->eal_argv[0] = argv[0];
		o->eal_argc = argc - optind + 1;
	} else if (optind < argc) {
		fprintf(stderr, "mbxdp: unexpected argument '%s' (see mbxdp --help)\n", argv[optind]);
		return -1;
	}
	if (check_backend_options(o) < 0 || check_frames(o) < 0)
		return -1;
	if (o->dpdk && !o->queues_given)
		o->queues = 1;
	if (o->n_ports == 0)
		o->ports[o->n_ports++] = MB_TCP_PORT;
	if (!o->name) {
		/* A DPDK port's name is the process's own (net_pcap0 in every
		 * process), so the pid tells concurrent engines apart. */
		if (o->dpdk)
			snprintf(o->name_buf, sizeof(o->name_buf), "mbxdp-dpdk-%ld", (long)getpid());
		else if (o->queue_given)
			snprintf(o->name_buf, sizeof(o->name_buf), "mbxdp-%s-%u", o->iface, o->queue);
		else
			snprintf(o->name_buf, sizeof(o->name_buf), "mbxdp-%s", o->iface);
		o->name = o->name_buf;
	}
	return 0;
}
