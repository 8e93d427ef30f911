/* mbxdp-ctl stats: the engine's telemetry (telemetry.h) as a table for a
 * person, JSON for a script, or the Prometheus text exposition format
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

enum format { FMT_HUMAN, FMT_JSON, FMT_PROMETHEUS };

/* MAP 6 names of the codes the engine serves; others print as a number. */
static const char *const fc_names[256] = {
	[0x01] = "read coils",
	[0x02] = "read discrete inputs",
	[0x03] = "read holding registers",
	[0x04] = "read input registers",
	[0x05] = "write single coil",
	[0x06] = "write single register",
	[0x07] = "read exception status",
	[0x08] = "diagnostics",
	[0x0B] = "get comm event counter",
	[0x0C] = "get comm event log",
	[0x0F] = "write multiple coils",
	[0x10] = "write multiple registers",
	[0x11] = "report server id",
	[0x14] = "read file record",
	[0x15] = "write file record",
	[0x16] = "mask write register",
	[0x17] = "read/write multiple registers",
	[0x18] = "read fifo queue",
	[0x2B] = "encapsulated interface",
};

static const double pcts[] = { 50, 90, 99, 99.9, 99.99 };
static const char *const pct_names[] = { "p50", "p90", "p99", "p99.9", "p99.99" };
#define N_PCTS (sizeof(pcts) / sizeof(pcts[0]))

struct counter {
	const char *name;
	uint64_t value;
};

/* The named counters of a snapshot, flattened. */
static size_t counters_of(const struct mbx_stats_worker *s, struct counter *out)
{
	size_t n = 0;

#define X(name, help) out[n++] = (struct counter){ #name, s->port.name };
	MBX_PORT_COUNTERS(X)
#undef X
#define X(name, help) out[n++] = (struct counter){ #name, s->stack.name };
	STACK_COUNTERS(X)
#undef X
#define X(name, help) out[n++] = (struct counter){ #name, s->mb.name };
	MB_COUNTERS(X)
#undef X
#define X(name, help) out[n++] = (struct counter){ #name, s->idle.name };
	IDLE_COUNTERS(X)
#undef X
	return n;
}

#define COUNTERS_MAX 256

/* A consistent copy of one worker's part (the seqlock of
 * telemetry_publish); the histogram is copied as it is. Bounded: 1,000
 * tries 100 us apart. */
static int snapshot(const struct mbx_stats_worker *src, struct mbx_stats_worker *dst)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint64_t s0 = __atomic_load_n(&src->seq, __ATOMIC_ACQUIRE);

		if (!(s0 & 1)) {
			memcpy(dst, src, sizeof(*dst));
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&src->seq, __ATOMIC_RELAXED) == s0)
				return 0;
		}
		usleep(100);
	}
	return -1;
}

/* The engine as a whole: every worker's counters summed, their histograms
 * merged. */
static int engine_totals(const struct mbx_stats_shm *src, struct mbx_stats_worker *total,
			 struct mbx_stats_worker *scratch)
{
	memset(total, 0, sizeof(*total));
	hist_init(&total->proc_ticks);
	for (uint32_t i = 0; i < src->n_workers; i++) {
		if (snapshot(&src->worker[i], scratch) < 0)
			return -1;
#define X(name, help) total->port.name += scratch->port.name;
		MBX_PORT_COUNTERS(X)
#undef X
#define X(name, help) total->stack.name += scratch->stack.name;
		STACK_COUNTERS(X)
#undef X
#define X(name, help) total->mb.name += scratch->mb.name;
		MB_COUNTERS(X)
#undef X
#define X(name, help) total->idle.name += scratch->idle.name;
		IDLE_COUNTERS(X)
#undef X
		for (unsigned fc = 0; fc < 256; fc++)
			total->mb.fc_requests[fc] += scratch->mb.fc_requests[fc];
		total->open_connections += scratch->open_connections;
		hist_merge(&total->proc_ticks, &scratch->proc_ticks);
	}
	return 0;
}

static double ticks_to_us(const struct mbx_stats_shm *e, uint64_t ticks)
{
	return (double)ticks * 1e6 / (double)e->tsc_hz;
}

static void print_human(const char *name, int alive, const struct mbx_stats_shm *e,
			const struct mbx_stats_worker *s, const struct mbx_stats_worker *prev,
			double dt)
{
	const struct histogram *h = &s->proc_ticks;
	struct counter c[COUNTERS_MAX];
	size_t n = counters_of(s, c);

	printf("%s: pid %u, %s, %u worker%s, %s idle, %s\n", name, e->pid, e->desc, e->n_workers,
	       e->n_workers == 1 ? "" : "s", e->idle_mode,
	       alive ? "running" : "NOT running (the last values it published)");
	printf("  open connections %" PRIu64 ", requests %" PRIu64, s->open_connections,
	       s->mb.mb_requests);
	if (prev && dt > 0)
		printf(" (%.0f/s)", (double)(s->mb.mb_requests - prev->mb.mb_requests) / dt);
	printf(", responses %" PRIu64 ", exceptions %" PRIu64 "\n", s->mb.mb_responses,
	       s->mb.mb_exceptions);
	printf("  processing time, receipt to reply ready (us, %" PRIu64 " requests):\n   ",
	       h->count);
	for (size_t i = 0; i < N_PCTS; i++)
		printf(" %s %.2f", pct_names[i], ticks_to_us(e, hist_percentile(h, pcts[i])));
	printf(" max %.2f mean %.2f\n", ticks_to_us(e, h->count ? h->max : 0),
	       h->count ? ticks_to_us(e, h->sum) / (double)h->count : 0.0);
	printf("  requests by function code:\n");
	for (unsigned fc = 0; fc < 256; fc++)
		if (s->mb.fc_requests[fc])
			printf("    %02X %-30s %" PRIu64 "\n", fc, fc_names[fc] ? fc_names[fc] : "",
			       s->mb.fc_requests[fc]);
	printf("  other counters (not zero):\n");
	for (size_t i = 0; i < n; i++)
		if (c[i].value)
			printf("    %-32s %" PRIu64 "\n", c[i].name, c[i].value);
}

/* The counters of s as JSON members, without braces: for the engine's
 * object and for each worker's. */
static void print_json_fields(const struct mbx_stats_shm *e, const struct mbx_stats_worker *s)
{
	const struct histogram *h = &s->proc_ticks;
	struct counter c[COUNTERS_MAX];
	size_t n = counters_of(s, c);
	const char *sep = "";

	printf("\"open_connections\":%" PRIu64 ",", s->open_connections);
	printf("\"processing_ns\":{\"count\":%" PRIu64 ",\"mean\":%.1f", h->count,
	       h->count ? ticks_to_us(e, h->sum) * 1e3 / (double)h->count : 0.0);
	for (size_t i = 0; i < N_PCTS; i++)
		printf(",\"%s\":%.1f", pct_names[i], ticks_to_us(e, hist_percentile(h, pcts[i])) * 1e3);
	printf(",\"max\":%.1f},\"fc_requests\":{", ticks_to_us(e, h->count ? h->max : 0) * 1e3);
	for (unsigned fc = 0; fc < 256; fc++) {
		if (s->mb.fc_requests[fc]) {
			printf("%s\"%u\":%" PRIu64, sep, fc, s->mb.fc_requests[fc]);
			sep = ",";
		}
	}
	printf("},\"counters\":{");
	for (size_t i = 0; i < n; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "", c[i].name, c[i].value);
	printf("}");
}

static void print_json_head(const char *name, int alive, const struct mbx_stats_shm *e,
			    const struct mbx_stats_worker *s)
{
	printf("{\"name\":\"%s\",\"running\":%s,\"pid\":%u,\"serving\":\"%s\",\"workers\":%u,"
	       "\"idle\":\"%s\",",
	       name, alive ? "true" : "false", e->pid, e->desc, e->n_workers, e->idle_mode);
	print_json_fields(e, s);
}

/* --per-worker: each worker's own counters, after the sums. The workers'
 * parts are read one after the other, so a running engine's parts are each
 * consistent but not of one instant: a sum of them and the total printed
 * above may differ by what arrived in between. */
static int print_workers(const char *name, enum format fmt, const struct mbx_stats_shm *e,
			 struct mbx_stats_worker *w)
{
	for (uint32_t i = 0; i < e->n_workers; i++) {
		if (snapshot(&e->worker[i], w) < 0)
			return -1;
		if (fmt == FMT_JSON) {
			printf("%s{\"worker\":%u,\"queue\":%u,\"cpu\":%d,", i ? "," : "", i, w->queue,
			       w->cpu);
			print_json_fields(e, w);
			printf("}");
		} else {
			printf("worker %u (queue %u, CPU %d) of ", i, w->queue, w->cpu);
			print_human(name, 1, e, w, NULL, 0);
		}
	}
	return 0;
}

/* Upper bounds of the exported histogram buckets, in seconds. */
static const double prom_le[] = { 250e-9, 500e-9, 1e-6,	  2e-6,	  5e-6,	  10e-6,
				   20e-6,  50e-6,  100e-6, 250e-6, 1e-3 };

static void print_prometheus(const char *name, int alive, const struct mbx_stats_shm *e,
			     const struct mbx_stats_worker *s)
{
	const struct histogram *h = &s->proc_ticks;
	struct counter c[COUNTERS_MAX];
	size_t n = counters_of(s, c);

	printf("# HELP mbxdp_up 1 while the engine runs.\n# TYPE mbxdp_up gauge\n");
	printf("mbxdp_up{name=\"%s\",workers=\"%u\"} %d\n", name, e->n_workers, alive);
	printf("# HELP mbxdp_open_connections Connections in the table.\n"
	       "# TYPE mbxdp_open_connections gauge\n");
	printf("mbxdp_open_connections{name=\"%s\"} %" PRIu64 "\n", name, s->open_connections);
	printf("# HELP mbxdp_function_requests_total Modbus requests by function code.\n"
	       "# TYPE mbxdp_function_requests_total counter\n");
	for (unsigned fc = 0; fc < 256; fc++)
		if (s->mb.fc_requests[fc])
			printf("mbxdp_function_requests_total{name=\"%s\",fc=\"%u\"} %" PRIu64 "\n",
			       name, fc, s->mb.fc_requests[fc]);
	for (size_t i = 0; i < n; i++)
		printf("# TYPE mbxdp_%s_total counter\nmbxdp_%s_total{name=\"%s\"} %" PRIu64 "\n",
		       c[i].name, c[i].name, name, c[i].value);
	printf("# HELP mbxdp_processing_seconds Time from a request's receipt until its reply is "
	       "written, ready for the port.\n# TYPE mbxdp_processing_seconds histogram\n");
	for (size_t i = 0; i < sizeof(prom_le) / sizeof(prom_le[0]); i++)
		printf("mbxdp_processing_seconds_bucket{name=\"%s\",le=\"%g\"} %" PRIu64 "\n", name,
		       prom_le[i], hist_count_at_most(h, (uint64_t)(prom_le[i] * (double)e->tsc_hz)));
	printf("mbxdp_processing_seconds_bucket{name=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name,
	       h->count);
	printf("mbxdp_processing_seconds_sum{name=\"%s\"} %.9f\n", name,
	       ticks_to_us(e, h->sum) / 1e6);
	printf("mbxdp_processing_seconds_count{name=\"%s\"} %" PRIu64 "\n", name, h->count);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: mbxdp-ctl [--name NAME | --iface IF] stats [--json | --prometheus]\n"
		     "                 [--per-worker] [--interval S [--count N]]\n"
		     "  --per-worker  each worker's counters too, after the sums (table, JSON)\n"
		     "  --interval S  print again every S seconds (until Ctrl-C, or N times)\n");
}

int ctl_stats(const struct ctl_target *t, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, 0, 'j' },
		{ "prometheus", no_argument, 0, 'P' },
		{ "interval", required_argument, 0, 'i' },
		{ "count", required_argument, 0, 'c' },
		{ "per-worker", no_argument, 0, 'w' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	enum format fmt = FMT_HUMAN;
	double interval = 0;
	long count = 1;
	int ch, count_given = 0, per_worker = 0, rc = 0;
	char *end, err[512];
	struct ctl_map m;
	struct mbx_stats_worker *cur = NULL, *prev = NULL, *scratch = NULL;

	while ((ch = getopt_long(argc, argv, "jPi:c:wh", longopts, 0)) != -1) {
		switch (ch) {
		case 'j':
			fmt = FMT_JSON;
			break;
		case 'P':
			fmt = FMT_PROMETHEUS;
			break;
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || !(interval >= 0.01 && interval <= 86400)) {
				fprintf(stderr, "mbxdp-ctl stats: --interval wants 0.01 to 86400 s\n");
				return 2;
			}
			break;
		case 'c':
			count = strtol(optarg, &end, 10);
			if (*end || count < 1) {
				fprintf(stderr, "mbxdp-ctl stats: --count wants a positive number\n");
				return 2;
			}
			count_given = 1;
			break;
		case 'w':
			per_worker = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || (count_given && interval == 0)) {
		usage(stderr);
		return 2;
	}
	if (per_worker && fmt == FMT_PROMETHEUS) {
		fprintf(stderr, "mbxdp-ctl stats: --per-worker is for the table and --json\n");
		return 2;
	}
	if (interval > 0 && !count_given)
		count = -1; /* until interrupted */
	if (ctl_map_open(t, "stats", &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "mbxdp-ctl: %s\n", err);
		return 1;
	}
	const struct mbx_stats_shm *e = m.addr;
	if (m.len < sizeof(*e) || e->magic != TELEMETRY_MAGIC || e->size != sizeof(*e) ||
	    e->worker_size != sizeof(struct mbx_stats_worker) ||
	    m.len < sizeof(*e) + (size_t)e->n_workers * sizeof(struct mbx_stats_worker)) {
		fprintf(stderr, "mbxdp-ctl: /dev/shm/%s.stats is not the layout this mbxdp-ctl "
				"knows (built from other sources?)\n",
			t->name);
		ctl_map_close(&m);
		return 1;
	}
	/* The type is cache-line aligned and the compiler may move it with
	 * aligned vector loads: malloc's 16-byte alignment is not enough (and
	 * the size is a multiple of 64, as aligned_alloc wants). */
	cur = aligned_alloc(64, sizeof(*cur));
	prev = aligned_alloc(64, sizeof(*prev));
	scratch = aligned_alloc(64, sizeof(*scratch));
	if (!cur || !prev || !scratch) {
		fprintf(stderr, "mbxdp-ctl: out of memory\n");
		rc = 1;
		goto out;
	}
	for (long i = 0; count < 0 || i < count; i++) {
		if (i) {
			struct timespec ts = { (time_t)interval,
					       (long)((interval - (double)(time_t)interval) * 1e9) };
			struct mbx_stats_worker *tmp = prev;

			nanosleep(&ts, NULL);
			prev = cur;
			cur = tmp;
		}
		if (engine_totals(e, cur, scratch) < 0) {
			fprintf(stderr, "mbxdp-ctl: the counters kept changing under the reader\n");
			rc = 1;
			break;
		}
		if (fmt == FMT_JSON)
			print_json_head(t->name, ctl_map_alive(&m), e, cur);
		else if (fmt == FMT_PROMETHEUS)
			print_prometheus(t->name, ctl_map_alive(&m), e, cur);
		else
			print_human(t->name, ctl_map_alive(&m), e, cur, i ? prev : NULL, interval);
		if (per_worker && fmt == FMT_JSON)
			printf(",\"per_worker\":[");
		if (per_worker && print_workers(t->name, fmt, e, scratch) < 0) {
			fprintf(stderr, "mbxdp-ctl: the counters kept changing under the reader\n");
			rc = 1;
			break;
		}
		if (fmt == FMT_JSON)
			printf("%s}\n", per_worker ? "]" : "");
		fflush(stdout);
	}
out:
	free(cur);
	free(prev);
	free(scratch);
	ctl_map_close(&m);
	return rc;
}
