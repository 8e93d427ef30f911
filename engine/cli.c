#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modbus.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mbxdp --iface IF [options]\n"
		"       mbxdp --detach --iface IF\n"
		"\n"
		"Serves Modbus/TCP from user space: an XDP program on IF steers TCP frames\n"
		"for the served ports into an AF_XDP socket; everything else goes to the kernel.\n"
		"\n"
		"  -i, --iface IF           network interface to serve on (required)\n"
		"  -q, --queue N            receive queue to bind (default 0)\n"
		"  -m, --xdp-mode MODE      native (default) or generic\n"
		"  -p, --port P             TCP port to serve; repeat for more (default 502)\n"
		"  -c, --max-conns N        connection table size (default 65536)\n"
		"      --impair SPEC        inject faults for testing, e.g.\n"
		"                           loss=0.05,dup=0.01,reorder=0.02,corrupt=0.001,seed=7\n"
		"                           (rates 0-1 on rx and tx; rx_KEY/tx_KEY for one side)\n"
		"      --name NAME          instance name: live registers in /dev/shm/NAME.regs\n"
		"                           (default mbxdp-IF-QUEUE)\n"
		"      --config FILE        device model: servers, units, tables (YAML; see\n"
		"                           docs/usage.md); default: one device, every address\n"
		"      --detach             remove an mbxdp XDP program left on IF, then exit\n"
		"  -h, --help               this text\n"
		"  -V, --version            print the version\n"
		"\n"
		"On SIGINT or SIGTERM it detaches, prints its counters (one 'name value'\n"
		"per line) and exits 0.\n");
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

int cli_parse(int argc, char **argv, struct cli_options *o)
{
	enum { OPT_DETACH = 256, OPT_IMPAIR, OPT_NAME, OPT_CONFIG };
	static const struct option longopts[] = {
		{ "iface", required_argument, 0, 'i' },
		{ "queue", required_argument, 0, 'q' },
		{ "xdp-mode", required_argument, 0, 'm' },
		{ "port", required_argument, 0, 'p' },
		{ "max-conns", required_argument, 0, 'c' },
		{ "detach", no_argument, 0, OPT_DETACH },
		{ "impair", required_argument, 0, OPT_IMPAIR },
		{ "name", required_argument, 0, OPT_NAME },
		{ "config", required_argument, 0, OPT_CONFIG },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 },
	};
	char err[256];
	int ch;
	uint32_t v;

	memset(o, 0, sizeof(*o));
	o->max_conns = 65536;
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
			break;
		case 'm':
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
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_CONFIG:
			o->config = optarg;
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
	if (optind < argc) {
		fprintf(stderr, "mbxdp: unexpected argument '%s' (see mbxdp --help)\n", argv[optind]);
		return -1;
	}
	if (!o->iface) {
		fprintf(stderr, "mbxdp: --iface is required (see mbxdp --help)\n");
		return -1;
	}
	if (o->n_ports == 0)
		o->ports[o->n_ports++] = MB_TCP_PORT;
	if (!o->name) {
		snprintf(o->name_buf, sizeof(o->name_buf), "mbxdp-%s-%u", o->iface, o->queue);
		o->name = o->name_buf;
	}
	return 0;
}
