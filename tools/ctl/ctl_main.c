/* mbxdp-ctl: the subcommand table and what every subcommand shares: which
 * engine to talk to, and its /dev/shm files mapped read-only. */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	const char *args;
	const char *help;
	ctl_run_fn run;
} commands[] = {
	{ "stats", "[--json | --prometheus] [--per-worker] [--interval S [--count N]]",
	  "processing-time histogram and counters", ctl_stats },
	{ "serve", "--listen ADDR:PORT",
	  "answer Prometheus' scrapes: GET /metrics over HTTP", ctl_serve },
	{ "get", "[REG-OPTIONS] [--json] TABLE ADDRESS [COUNT]", "read live registers",
	  ctl_regs_get },
	{ "set", "[REG-OPTIONS] [--json] TABLE ADDRESS VALUE... [+ TABLE ADDRESS VALUE...]",
	  "write live registers, all groups as one update", ctl_regs_set },
	{ "watch", "[REG-OPTIONS] [--json] [--interval S] [--count N] TABLE ADDRESS [COUNT]",
	  "print live registers whenever they change", ctl_regs_watch },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: mbxdp-ctl [--name NAME | --iface IF [--queue N]] COMMAND [options]\n"
		     "       mbxdp-ctl --help | --version\n"
		     "\n"
		     "Talks to a running mbxdp through /dev/shm/NAME.*; NAME is the engine's --name,\n"
		     "by default mbxdp-IF, or mbxdp-IF-N for an engine given --queue N (--iface and\n"
		     "--queue build it).\n"
		     "\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n           %s\n", commands[i].name, commands[i].args,
			commands[i].help);
	fprintf(out, "\n"
		     "REG-OPTIONS: --server ADDR (IPv4 or IPv6; needed when the model has several\n"
		     "             servers), --unit ID (0-255; needed when the server has\n"
		     "             several units).\n"
		     "TABLE: coils (co), discrete-inputs (di), holding-registers (hr),\n"
		     "       input-registers (ir), file-records (fr: file F record R at\n"
		     "       (F-1)*10000+R). Every table can be set, inputs included: that is\n"
		     "       how a rig feeds a simulated device. Values: 0-65535 (0x.. hex), bits 0-1.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, 0, 'n' },
		{ "iface", required_argument, 0, 'i' },
		{ "queue", required_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct ctl_target t = { 0 };
	const char *iface = NULL, *queue = NULL;
	int ch;

	/* "+": stop at the subcommand; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+n:i:q:hV", longopts, 0)) != -1) {
		switch (ch) {
		case 'n':
			t.name = optarg;
			break;
		case 'i':
			iface = optarg;
			break;
		case 'q':
			queue = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mbxdp-ctl %s\n", MBXDP_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!t.name && iface) {
		snprintf(t.name_buf, sizeof(t.name_buf), "mbxdp-%s%s%s", iface, queue ? "-" : "",
			 queue ? queue : "");
		t.name = t.name_buf;
	}
	if (!t.name || !telemetry_name_ok(t.name)) {
		fprintf(stderr, "mbxdp-ctl: give --name NAME (letters, digits, '.', '_', '-') or "
				"--iface IF\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[optind], commands[i].name)) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;

			optind = 0; /* getopt starts afresh on the subcommand's argv */
			return commands[i].run(&t, sub_argc, sub_argv);
		}
	}
	fprintf(stderr, "mbxdp-ctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
