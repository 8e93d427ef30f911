/* The engine's reading in the Prometheus text exposition format
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), for
 * `mbxdp-ctl stats --prometheus` and `mbxdp-ctl serve`. Every metric has
 * its HELP (the counter tables' descriptions) and TYPE; names follow
 * Prometheus' conventions, which `promtool check metrics` enforces: base
 * units (seconds), `_total` on counters, no abbreviation that reads as a
 * unit or needs the source to decode. */
#include <inttypes.h>
#include <string.h>

#include "ctl.h"

/* Words of the counters' names spelled out: "mb" reads as megabytes, the
 * others only make sense with the source at hand. */
static const struct {
	const char *word, *spelled;
} words[] = {
	{ "mb", "modbus" },	{ "csum", "checksum" },	   { "snd", "send" },
	{ "nxt", "next" },	{ "conn", "connection" },  { "seq", "sequence" },
	{ "rtt", "round_trip" }, { "dup", "duplicate" },   { "descs", "descriptors" },
	{ "addr", "address" },
};

#define PROM_NAME_MAX 160

/* mbxdp_<name>_total with the words spelled out. A counter of TSC ticks
 * ("ticks" among its words) is exported in seconds: the word goes and
 * `_seconds` comes before `_total`; returns 1 then. */
static int prom_name(const char *name, char *out, size_t room)
{
	char buf[PROM_NAME_MAX];
	size_t n = (size_t)snprintf(out, room, "mbxdp");
	int ticks = 0;

	snprintf(buf, sizeof(buf), "%s", name);
	for (char *save, *w = strtok_r(buf, "_", &save); w; w = strtok_r(NULL, "_", &save)) {
		const char *spelled = w;

		if (!strcmp(w, "ticks")) {
			ticks = 1;
			continue;
		}
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (!strcmp(w, words[i].word))
				spelled = words[i].spelled;
		n += (size_t)snprintf(out + n, n < room ? room - n : 0, "_%s", spelled);
	}
	snprintf(out + n, n < room ? room - n : 0, "%s_total", ticks ? "_seconds" : "");
	return ticks;
}

/* HELP text escapes backslash and line feed. */
static void help_line(FILE *out, const char *metric, const char *help, const char *type)
{
	fprintf(out, "# HELP %s ", metric);
	for (const char *c = help; *c; c++) {
		if (*c == '\\')
			fputs("\\\\", out);
		else if (*c == '\n')
			fputs("\\n", out);
		else
			fputc(*c, out);
	}
	fprintf(out, "\n# TYPE %s %s\n", metric, type);
}

static double ticks_to_s(const struct mbx_stats_shm *e, uint64_t ticks)
{
	return (double)ticks / (double)e->tsc_hz;
}

/* Upper bounds of the exported histogram buckets, in seconds. */
static const double prom_le[] = { 250e-9, 500e-9, 1e-6,	  2e-6,	  5e-6,	  10e-6,
				   20e-6,  50e-6,  100e-6, 250e-6, 1e-3 };

void ctl_prometheus(FILE *out, const char *name, int alive, const struct mbx_stats_shm *e,
		    const struct mbx_stats_worker *s, const struct mbx_stats_xdp *x)
{
	const struct histogram *h = &s->proc_ticks;
	struct ctl_counter c[CTL_COUNTERS_MAX];
	size_t n = ctl_counters(s, x, c);
	char metric[PROM_NAME_MAX];

	/* The instance name is letters, digits, '.', '_' and '-' (it is
	 * checked before a file is opened): nothing in it needs escaping in a
	 * label value. */
	help_line(out, "mbxdp_up", "1 while the engine runs, 0 for the values a stopped one left",
		  "gauge");
	fprintf(out, "mbxdp_up{name=\"%s\"} %d\n", name, alive);
	help_line(out, "mbxdp_workers", "worker threads, one per receive queue", "gauge");
	fprintf(out, "mbxdp_workers{name=\"%s\"} %u\n", name, e->n_workers);
	help_line(out, "mbxdp_open_connections", "connections in the table", "gauge");
	fprintf(out, "mbxdp_open_connections{name=\"%s\"} %" PRIu64 "\n", name,
		s->open_connections);
	help_line(out, "mbxdp_modbus_function_requests_total",
		  "Modbus requests by function code (hex), unknown and switched-off codes too",
		  "counter");
	for (unsigned fc = 0; fc < 256; fc++)
		if (s->mb.fc_requests[fc])
			fprintf(out,
				"mbxdp_modbus_function_requests_total{name=\"%s\",function=\"%02X\"} "
				"%" PRIu64 "\n",
				name, fc, s->mb.fc_requests[fc]);
	for (size_t i = 0; i < n; i++) {
		int seconds = prom_name(c[i].name, metric, sizeof(metric));

		help_line(out, metric, c[i].help, "counter");
		if (seconds)
			fprintf(out, "%s{name=\"%s\"} %.9f\n", metric, name, ticks_to_s(e, c[i].value));
		else
			fprintf(out, "%s{name=\"%s\"} %" PRIu64 "\n", metric, name, c[i].value);
	}
	help_line(out, "mbxdp_processing_seconds",
		  "time from a request's receipt until its reply is written, ready for the port",
		  "histogram");
	for (size_t i = 0; i < sizeof(prom_le) / sizeof(prom_le[0]); i++)
		fprintf(out, "mbxdp_processing_seconds_bucket{name=\"%s\",le=\"%g\"} %" PRIu64 "\n",
			name, prom_le[i],
			hist_count_at_most(h, (uint64_t)(prom_le[i] * (double)e->tsc_hz)));
	fprintf(out, "mbxdp_processing_seconds_bucket{name=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name,
		h->count);
	fprintf(out, "mbxdp_processing_seconds_sum{name=\"%s\"} %.9f\n", name,
		ticks_to_s(e, h->sum));
	fprintf(out, "mbxdp_processing_seconds_count{name=\"%s\"} %" PRIu64 "\n", name, h->count);
}
