/* mbxdp-replay: stateful replay of a Modbus/TCP capture against mbxdp in
 * process or against a live server, with a report of every response
 * compared with the captured one. See README.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows.h"
#include "learn.h"
#include "player.h"
#include "report.h"
#include "target_live.h"
#include "target_mem.h"

struct options {
	const char *capture;
	const char *out_pcap; /* --in-process */
	const char *config; /* --config: the in-process server's device model */
	const char *learn; /* --learn: the model file to write */
	const char *iface, *json;
	int force, speed_given, timeout_given;
	int have_source, have_target;
	struct rp_addr source_ip, target_ip;
	uint16_t port;
	int quiet, counters;
	struct rp_options play;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mbxdp-replay CAPTURE --in-process OUT.pcap [--config MODEL.yaml] [options]\n"
		"       mbxdp-replay CAPTURE --iface IF --source ADDR --target ADDR [options]\n"
		"       mbxdp-replay CAPTURE --learn MODEL.yaml [--force] [-p P] [-q]\n"
		"\n"
		"Replays every client flow to the Modbus port in CAPTURE (pcap or pcapng;\n"
		"Ethernet, Linux cooked or raw IP; IPv4 and IPv6) over new TCP connections, with\n"
		"the captured segment boundaries, and compares each response with the captured\n"
		"one.\n"
		"\n"
		"  --in-process OUT.pcap   serve the replay with mbxdp in this process (in-memory\n"
		"                          port, default device image) and write the whole\n"
		"                          conversation to OUT.pcap; the same input gives the\n"
		"                          same file, byte for byte\n"
		"  --config MODEL.yaml     in process, serve this device model (docs/usage.md)\n"
		"                          instead of the default image: each flow goes to the\n"
		"                          server on its captured address, at its captured time\n"
		"                          (--speed 1 and --timeout 1 unless given: virtual\n"
		"                          time, an answer comes at once), and an answer is\n"
		"                          due where the captured device gave one\n"
		"  --learn MODEL.yaml      write the device model that answers as the captured\n"
		"                          device did, check it and report what differs\n"
		"  --force                 --learn may replace an existing file\n"
		"  --iface IF              replay to a live server reached through IF\n"
		"  --source ADDR           our IPv4 or IPv6 address on IF: one the kernel does\n"
		"                          not own, of --target's family\n"
		"  --target ADDR           the server's address: IPv4 or IPv6, the family of the\n"
		"                          capture's flows\n"
		"  -p, --port P            the Modbus port, in the capture and on the target (502)\n"
		"  --speed F               capture time divided by F; 0 (default): as fast as\n"
		"                          the responses allow\n"
		"  --timeout MS            wait for a SYN-ACK, a response or a close (1000)\n"
		"  --sport-base N          our port for flow i is N + i (20000)\n"
		"  --json FILE             write the report as JSON ('-': standard output)\n"
		"  --counters              print the in-process server's counters\n"
		"  -q, --quiet             no table\n"
		"  -h, --help              this text\n"
		"  -V, --version           print the version\n"
		"\n"
		"Exit status: 0 when every request that is due an answer got a proper one,\n"
		"1 when one did not, 2 on a usage or I/O error.\n");
}

static int parse_num(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || *out < min || *out > max) {
		fprintf(stderr, "mbxdp-replay: %s wants a number from %g to %g, not '%s'\n", opt, min,
			max, s);
		return -1;
	}
	return 0;
}

static int parse_ip(const char *opt, const char *s, struct rp_addr *out, int *given)
{
	if (rp_addr_parse(s, out) < 0) {
		fprintf(stderr, "mbxdp-replay: %s wants an IPv4 or IPv6 address, not '%s'\n", opt, s);
		return -1;
	}
	*given = 1;
	return 0;
}

/* 0 to run, 1 for --help, -1 on a usage error. */
static int parse(int argc, char **argv, struct options *o)
{
	enum { O_INPROC = 256, O_IFACE, O_SOURCE, O_TARGET, O_SPEED, O_TIMEOUT, O_SPORT, O_JSON,
	       O_COUNTERS, O_CONFIG, O_LEARN, O_FORCE };
	static const struct option longopts[] = {
		{ "in-process", required_argument, 0, O_INPROC },
		{ "config", required_argument, 0, O_CONFIG },
		{ "learn", required_argument, 0, O_LEARN },
		{ "force", no_argument, 0, O_FORCE },
		{ "iface", required_argument, 0, O_IFACE },
		{ "source", required_argument, 0, O_SOURCE },
		{ "target", required_argument, 0, O_TARGET },
		{ "port", required_argument, 0, 'p' },
		{ "speed", required_argument, 0, O_SPEED },
		{ "timeout", required_argument, 0, O_TIMEOUT },
		{ "sport-base", required_argument, 0, O_SPORT },
		{ "json", required_argument, 0, O_JSON },
		{ "counters", no_argument, 0, O_COUNTERS },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 },
	};
	double v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->port = 502;
	o->play.timeout_ns = 1000000000u;
	o->play.sport_base = 20000;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":p:qhV", longopts, 0)) != -1) {
		switch (ch) {
		case O_INPROC:
			o->out_pcap = optarg;
			break;
		case O_CONFIG:
			o->config = optarg;
			break;
		case O_LEARN:
			o->learn = optarg;
			break;
		case O_FORCE:
			o->force = 1;
			break;
		case O_IFACE:
			o->iface = optarg;
			break;
		case O_SOURCE:
			if (parse_ip("--source", optarg, &o->source_ip, &o->have_source) < 0)
				return -1;
			break;
		case O_TARGET:
			if (parse_ip("--target", optarg, &o->target_ip, &o->have_target) < 0)
				return -1;
			break;
		case 'p':
			if (parse_num("--port", optarg, 1, 65535, &v) < 0)
				return -1;
			o->port = (uint16_t)v;
			break;
		case O_SPEED:
			if (parse_num("--speed", optarg, 0, 1e6, &v) < 0)
				return -1;
			o->play.speed = v;
			o->speed_given = 1;
			break;
		case O_TIMEOUT:
			if (parse_num("--timeout", optarg, 1, 3600000, &v) < 0)
				return -1;
			o->play.timeout_ns = (uint64_t)(v * 1e6);
			o->timeout_given = 1;
			break;
		case O_SPORT:
			if (parse_num("--sport-base", optarg, 1024, 65535, &v) < 0)
				return -1;
			o->play.sport_base = (uint16_t)v;
			break;
		case O_JSON:
			o->json = optarg;
			break;
		case O_COUNTERS:
			o->counters = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("mbxdp-replay %s\n", MBXDP_VERSION);
			return 1;
		case ':':
			fprintf(stderr, "mbxdp-replay: %s needs a value\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "mbxdp-replay: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "mbxdp-replay: give one CAPTURE file (see --help)\n");
		return -1;
	}
	o->capture = argv[optind];
	if (!!o->out_pcap + !!o->iface + !!o->learn != 1) {
		fprintf(stderr, "mbxdp-replay: give one of --in-process OUT.pcap, --iface IF or --learn MODEL.yaml\n");
		return -1;
	}
	if (o->config && !o->out_pcap) {
		fprintf(stderr, "mbxdp-replay: --config is for --in-process (a live server has its own)\n");
		return -1;
	}
	if (o->force && !o->learn) {
		fprintf(stderr, "mbxdp-replay: --force is for --learn\n");
		return -1;
	}
	if (o->learn && (o->json || o->counters || o->speed_given)) {
		fprintf(stderr, "mbxdp-replay: --learn replays nothing: --json, --counters and --speed are for a replay\n");
		return -1;
	}
	/* The model's timed values and rules count from the captured times:
	 * in process, virtual time costs nothing, so it follows the capture.
	 * The in-process server answers at once: an answer not there then
	 * never comes, and waiting for it would make every later request
	 * late on that clock. */
	if (o->config) {
		o->play.twin = 1;
		if (!o->speed_given)
			o->play.speed = 1;
		if (!o->timeout_given)
			o->play.timeout_ns = 1000000u;
	}
	if (o->iface && (!o->have_source || !o->have_target)) {
		fprintf(stderr, "mbxdp-replay: --iface needs --source and --target\n");
		return -1;
	}
	if (o->iface && rp_family(&o->source_ip) != rp_family(&o->target_ip)) {
		fprintf(stderr, "mbxdp-replay: --source and --target must be of one family (IPv4 or IPv6)\n");
		return -1;
	}
	if (o->counters && !o->out_pcap) {
		fprintf(stderr, "mbxdp-replay: --counters is for --in-process\n");
		return -1;
	}
	return 0;
}

/* A live replay goes to one server: every flow it replays must be of the
 * target's family. 0, or -1 with the first flow that is not. */
static int families_match(const struct rp_capture *cap, const struct rp_addr *target)
{
	for (uint32_t i = 0; i < cap->n_flows; i++) {
		const struct rp_flow *f = &cap->flows[i];
		char a[RP_ADDR_STR + 8], t[RP_ADDR_STR];

		if (rp_flow_unreplayable(f) || rp_family(&f->server_ip) == rp_family(target))
			continue;
		fprintf(stderr, "mbxdp-replay: flow %u (to %s) is %s, --target %s is not: give a "
				"--target of the flows' family\n",
			i + 1, rp_endpoint_str(&f->server_ip, f->server_port, a),
			rp_family(&f->server_ip) == RP_V6 ? "IPv6" : "IPv4", rp_addr_str(target, t));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct rp_capture cap;
	struct rp_flow_result *res;
	struct rp_summary sum;
	struct rp_target *t;
	char err[256], target[128];
	int rc = parse(argc, argv, &o);

	if (rc)
		return rc > 0 ? 0 : 2;
	if (rp_capture_load(o.capture, o.port, &cap, err, sizeof(err)) < 0) {
		fprintf(stderr, "mbxdp-replay: %s\n", err);
		return 2;
	}
	if (o.learn) {
		struct learn_options lo = { .capture = o.capture, .model = o.learn, .force = o.force,
					    .quiet = o.quiet };

		rc = rp_learn(&cap, &lo, stdout, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "mbxdp-replay: %s\n", err);
		rp_capture_free(&cap);
		return rc < 0 ? 2 : 0;
	}
	if (o.out_pcap) {
		t = rp_target_mem_open(o.out_pcap, o.port, cap.t0_ns, o.config, err, sizeof(err));
		snprintf(target, sizeof(target), "mbxdp in process (%s)", o.out_pcap);
	} else {
		struct rp_live_config lc = {
			.iface = o.iface,
			.source_ip = o.source_ip,
			.target_ip = o.target_ip,
			.port = o.port,
			.resolve_timeout_ns = o.play.timeout_ns * 3,
		};
		char ep[RP_ADDR_STR + 8];

		if (families_match(&cap, &o.target_ip) < 0) {
			rp_capture_free(&cap);
			return 2;
		}
		t = rp_target_live_open(&lc, err, sizeof(err));
		snprintf(target, sizeof(target), "%s via %s", rp_endpoint_str(&o.target_ip, o.port, ep),
			 o.iface);
	}
	if (!t) {
		fprintf(stderr, "mbxdp-replay: %s\n", err);
		rp_capture_free(&cap);
		return 2;
	}
	if (rp_play(&cap, t, &o.play, &res) < 0) {
		fprintf(stderr, "mbxdp-replay: the replay stopped on an error\n");
		t->close(t);
		rp_capture_free(&cap);
		return 2;
	}
	rp_summarize(&cap, res, &sum);
	if (!o.quiet)
		rp_print_table(stdout, o.capture, target, &cap, res, &sum);
	if (o.counters)
		rp_target_mem_print_counters(t, stdout);
	rc = sum.failed || sum.unsolicited ? 1 : 0;
	if (o.json) {
		FILE *f = strcmp(o.json, "-") ? fopen(o.json, "w") : stdout;

		if (!f) {
			fprintf(stderr, "mbxdp-replay: %s: %s\n", o.json, strerror(errno));
			rc = 2;
		} else {
			int wrc = rp_write_json(f, o.capture, target, &cap, res, &sum);

			if ((f != stdout && fclose(f)) || (f == stdout && fflush(f)) || wrc < 0) {
				fprintf(stderr, "mbxdp-replay: %s: %s\n", o.json, strerror(errno));
				rc = 2;
			}
		}
	}
	t->close(t);
	rp_results_free(&cap, res);
	rp_capture_free(&cap);
	return rc;
}
