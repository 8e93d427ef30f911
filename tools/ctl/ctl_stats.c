/* mbxdp-ctl stats: the engine's telemetry (telemetry.h) as a table for a
 * person, JSON for a script, or the Prometheus text exposition format
 * (ctl_metrics.c). */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "json_out.h"

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

static double ticks_to_us(const struct mbx_stats_shm *e, uint64_t ticks)
{
	return (double)ticks * 1e6 / (double)e->tsc_hz;
}

static void print_human(const char *name, int alive, const struct mbx_stats_shm *e,
			const struct mbx_stats_worker *s, const struct mbx_stats_xdp *x,
			const struct mbx_stats_worker *prev, double dt)
{
	const struct histogram *h = &s->proc_ticks;
	struct ctl_counter c[CTL_COUNTERS_MAX];
	size_t n = ctl_counters(s, x, c);

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

/* The counters of s as members of obj: for the engine's object and for
 * each worker's. */
static void json_fields(json_t *obj, const struct mbx_stats_shm *e,
			const struct mbx_stats_worker *s)
{
	const struct histogram *h = &s->proc_ticks;
	struct ctl_counter c[CTL_COUNTERS_MAX];
	size_t n = ctl_counters(s, NULL, c);
	json_t *proc = json_object(), *fcs = json_object(), *ctrs = json_object();
	char key[8];

	json_object_set_new(obj, "open_connections", json_count(s->open_connections));
	json_object_set_new(proc, "count", json_count(h->count));
	json_object_set_new(proc, "mean", json_real(h->count ? ticks_to_us(e, h->sum) * 1e3 /
								       (double)h->count
							     : 0.0));
	for (size_t i = 0; i < N_PCTS; i++)
		json_object_set_new(proc, pct_names[i],
				    json_real(ticks_to_us(e, hist_percentile(h, pcts[i])) * 1e3));
	json_object_set_new(proc, "max", json_real(ticks_to_us(e, h->count ? h->max : 0) * 1e3));
	json_object_set_new(obj, "processing_ns", proc);
	for (unsigned fc = 0; fc < 256; fc++) {
		if (s->mb.fc_requests[fc]) {
			snprintf(key, sizeof(key), "%u", fc);
			json_object_set_new(fcs, key, json_count(s->mb.fc_requests[fc]));
		}
	}
	json_object_set_new(obj, "fc_requests", fcs);
	for (size_t i = 0; i < n; i++)
		json_object_set_new(ctrs, c[i].name, json_count(c[i].value));
	json_object_set_new(obj, "counters", ctrs);
}

/* --per-worker: each worker's own counters, after the sums: the parts the
 * sums were made from (ctl_read_engine), so they add up to them even while
 * frames arrive. In JSON they go into per_worker, an array (NULL: the
 * table). */
static void print_workers(const char *name, const struct mbx_stats_shm *e,
			  const struct mbx_stats_worker *parts, json_t *per_worker)
{
	for (uint32_t i = 0; i < e->n_workers; i++) {
		const struct mbx_stats_worker *w = &parts[i];

		if (per_worker) {
			json_t *o = json_pack("{s:i,s:i,s:i}", "worker", (int)i, "queue",
					      (int)w->queue, "cpu", w->cpu);

			json_fields(o, e, w);
			json_array_append_new(per_worker, o);
		} else {
			printf("worker %u (queue %u, CPU %d) of ", i, w->queue, w->cpu);
			print_human(name, 1, e, w, NULL, NULL, 0);
		}
	}
}

/* The engine's object, with each worker's when per_worker (parts: the
 * workers' copies the sums were made from). */
static void print_json(const char *name, int alive, const struct mbx_stats_shm *e,
		      const struct mbx_stats_worker *s, const struct mbx_stats_xdp *x,
		      int per_worker, const struct mbx_stats_worker *parts)
{
	json_t *root = json_object(), *workers = json_array();

	json_object_set_new(root, "name", json_text(name));
	json_object_set_new(root, "running", json_boolean(alive));
	json_object_set_new(root, "pid", json_integer(e->pid));
	json_object_set_new(root, "serving", json_text(e->desc));
	json_object_set_new(root, "workers", json_integer(e->n_workers));
	json_object_set_new(root, "idle", json_text(e->idle_mode));
	json_fields(root, e, s);
	/* The XDP program's counters are the engine's, not a sum of the
	 * workers': an object of their own. */
	if (x->present) {
		json_t *xdp = json_object();

#define X(slot, cname, help) json_object_set_new(xdp, #cname, json_count(x->ctr.cname));
		MBXDP_STATS(X)
#undef X
		json_object_set_new(root, "xdp", xdp);
	}
	if (per_worker) {
		print_workers(name, e, parts, workers);
		json_object_set(root, "per_worker", workers);
	}
	json_print_line(root, stdout);
	json_decref(workers);
	json_decref(root);
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
	struct mbx_stats_worker *cur = NULL, *prev = NULL, *parts = NULL;
	struct mbx_stats_xdp xdp;

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
	if (ctl_stats_check(t, &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "mbxdp-ctl: %s\n", err);
		ctl_map_close(&m);
		return 1;
	}
	/* The type is cache-line aligned and the compiler may move it with
	 * aligned vector loads: malloc's 16-byte alignment is not enough (and
	 * the size is a multiple of 64, as aligned_alloc wants). */
	cur = aligned_alloc(64, sizeof(*cur));
	prev = aligned_alloc(64, sizeof(*prev));
	parts = ctl_alloc_parts(e->n_workers);
	if (!cur || !prev || !parts) {
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
		if (ctl_read_engine(e, cur, &xdp, parts) < 0) {
			fprintf(stderr, "mbxdp-ctl: the counters kept changing under the reader\n");
			rc = 1;
			break;
		}
		if (fmt == FMT_JSON) {
			print_json(t->name, ctl_map_alive(&m), e, cur, &xdp, per_worker, parts);
		} else if (fmt == FMT_PROMETHEUS) {
			ctl_prometheus(stdout, t->name, ctl_map_alive(&m), e, cur, &xdp);
		} else {
			print_human(t->name, ctl_map_alive(&m), e, cur, &xdp, i ? prev : NULL,
				    interval);
			if (per_worker)
				print_workers(t->name, e, parts, NULL);
		}
		fflush(stdout);
	}
out:
	free(cur);
	free(prev);
	free(parts);
	ctl_map_close(&m);
	return rc;
}
