/* Writes the counter reference from the counter tables themselves (the
 * X-macros of steer_abi.h, port.h, stack.h, modbus.h, telemetry.h): each
 * counter's name, what it counts and the RFC or specification rule it
 * applies, which a description gives in parentheses, e.g. "(RFC 9293
 * 3.10.7.4)". Run at build time for mbxdp-counters(7) (scdoc) and
 * docs/counters.md (markdown), so neither can fall behind the code.
 *
 *   counter_reference scdoc|md VERSION */
#include <stdio.h>
#include <string.h>

#include "steer_abi.h"
#include "telemetry.h"

struct counter {
	const char *name, *help;
};

struct table {
	const char *title, *intro;
	const struct counter *c;
	size_t n;
};

#define ROW(name, help) { #name, help },
#define XDP_ROW(slot, name, help) { #name, help },
static const struct counter xdp[] = { MBXDP_STATS(XDP_ROW) };
static const struct counter port[] = { MBX_PORT_BACKEND_COUNTERS(ROW) };
static const struct counter impair[] = { MBX_PORT_IMPAIR_COUNTERS(ROW) };
static const struct counter stack[] = { STACK_COUNTERS(ROW) };
static const struct counter modbus[] = { MB_COUNTERS(ROW) };
static const struct counter idle[] = { IDLE_COUNTERS(ROW) };
#define TABLE(title, intro, c) { title, intro, c, sizeof(c) / sizeof(c[0]) }
static const struct table tables[] = {
	TABLE("XDP program", "Every frame the steering program sees is counted in exactly one of "
			     "these (AF_XDP, and DPDK's net_af_xdp with mbxdp's program).", xdp),
	TABLE("Port", "The AF_XDP socket or DPDK queue the workers poll: resources of the engine "
		      "and the kernel, which no protocol rule governs.", port),
	TABLE("Fault injection", "Kept only with --impair (faults injected for tests); 0 "
				 "otherwise.", impair),
	TABLE("Stack", "Ethernet, ARP, ICMP, IPv4, IPv6, ICMPv6 and TCP: every frame the stack does not answer "
		       "normally is counted under a named reason.", stack),
	TABLE("Modbus", "The application layer: requests, responses, exceptions and refusals "
			"(MAP: Modbus Application Protocol V1.1b3; MIG: Modbus Messaging on TCP/IP "
			"Implementation Guide V1.0b).", modbus),
	TABLE("Idle", "The time of the worker's loops that found no frame, kept in either idle "
		      "mode: busy polling runs a core at 100 % whether frames come or not, so this "
		      "tells a saturated worker from a waiting one (mbxdp-bench --engine NAME "
		      "reports the rest of the time as the engine's busy share). The others are "
		      "kept only with --idle adaptive: the engine's own sleeps.", idle),
};

/* The rule a description cites: in its last parenthesis naming an RFC or
 * one of the Modbus documents, from that name to the parenthesis' end. */
static int rule_of(const char *help, const char **start, int *len)
{
	static const char *const sources[] = { "RFC ", "MAP ", "MIG ", "IEEE " };
	int found = 0;

	for (const char *open = strchr(help, '('); open; open = strchr(open + 1, '(')) {
		const char *close = strchr(open, ')');

		for (const char *p = open + 1; close && p < close; p++) {
			size_t i = 0;

			while (i < sizeof(sources) / sizeof(sources[0]) &&
			       strncmp(p, sources[i], strlen(sources[i])))
				i++;
			if (i < sizeof(sources) / sizeof(sources[0])) {
				*start = p;
				*len = (int)(close - p);
				found = 1;
				break;
			}
		}
	}
	return found;
}

static void markdown(const char *version)
{
	printf("# mbxdp counters\n\n"
	       "<!-- Written by docs/man/counter_reference.c from the counter tables; a unit "
	       "test compares. -->\n\n"
	       "What `mbxdp` prints at exit and `mbxdp-ctl stats` shows (mbxdp %s). A rule in "
	       "the last column is the RFC or Modbus specification clause the counted "
	       "behaviour follows; \"-\" marks the engine's own limits and resources.\n",
	       version);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		printf("\n## %s\n\n%s\n\n| counter | counts | rule |\n| --- | --- | --- |\n",
		       tables[t].title, tables[t].intro);
		for (size_t i = 0; i < tables[t].n; i++) {
			const char *r;
			int len;

			printf("| `%s` | %s | ", tables[t].c[i].name, tables[t].c[i].help);
			if (rule_of(tables[t].c[i].help, &r, &len))
				printf("%.*s |\n", len, r);
			else
				printf("- |\n");
		}
	}
	printf("\n## Others\n\n"
	       "`fc_requests_XX`: requests with function code XX (hex), printed when not 0. "
	       "`open_connections`: connections in the table at exit. With `--capture`: "
	       "`capture_frames` written, `capture_drops` left out because the capture ring "
	       "was full, `capture_write_errors`.\n");
}

static void scdoc(const char *version)
{
	printf("mbxdp-counters(7) \"mbxdp %s\"\n\n"
	       "# NAME\n\nmbxdp-counters - what each counter of mbxdp counts, and the rule behind it\n\n"
	       "# DESCRIPTION\n\n"
	       "*mbxdp*(8) prints these counters at exit, one _name value_ per line, and "
	       "*mbxdp-ctl*(8) *stats* shows them while it runs; with several workers, their "
	       "sums. A rule is the RFC or Modbus specification clause the counted behaviour "
	       "follows; counters without one count the engine's own limits and resources.\n",
	       version);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		printf("\n# %s\n\n%s\n", tables[t].title, tables[t].intro);
		for (size_t i = 0; i < tables[t].n; i++) {
			const char *r;
			int len;

			printf("\n*%s*\n\t%s", tables[t].c[i].name, tables[t].c[i].help);
			if (rule_of(tables[t].c[i].help, &r, &len))
				printf("++\nRule: %.*s", len, r);
			printf("\n");
		}
	}
	printf("\n# OTHERS\n\n"
	       "*fc_requests_*_XX_\n\tRequests with function code _XX_ (hex), printed when not 0.\n\n"
	       "*open_connections*\n\tConnections in the table at exit.\n\n"
	       "*capture_frames*, *capture_drops*, *capture_write_errors*\n"
	       "\tWith *--capture*: frames written, frames left out because the capture ring "
	       "was full, failed writes.\n\n"
	       "# SEE ALSO\n\n*mbxdp*(8), *mbxdp-ctl*(8)\n");
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "md")) {
		markdown(argv[2]);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "scdoc")) {
		scdoc(argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: counter_reference scdoc|md VERSION\n");
	return 2;
}
