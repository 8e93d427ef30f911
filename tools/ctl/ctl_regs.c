/* mbxdp-ctl get, set and watch: the live registers of a running mbxdp,
 * through the register store's access library (regs/mbx_regs.h), whose
 * seqlock makes every read whole and every set one update. */
#include "ctl.h"
#include "json_out.h"
#include "mbx_regs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_GROUPS 16 /* TABLE ADDRESS VALUE... groups in one set */

static const struct {
	const char *name, *alias;
} table_names[MBX_REGS_TABLES] = {
	[MBX_REGS_COILS] = { "coils", "co" },
	[MBX_REGS_DISCRETE_INPUTS] = { "discrete-inputs", "di" },
	[MBX_REGS_HOLDING_REGISTERS] = { "holding-registers", "hr" },
	[MBX_REGS_INPUT_REGISTERS] = { "input-registers", "ir" },
	[MBX_REGS_FILES] = { "file-records", "fr" },
};

struct regs_opts {
	const char *server; /* NULL: the model's only server */
	int unit; /* -1: the server's only unit */
	int json;
	double interval; /* watch: seconds between looks */
	long count; /* watch: stop after this many prints; 0: until a signal */
};

/* One TABLE ADDRESS VALUE... (set) or TABLE ADDRESS [COUNT] (get, watch). */
struct regs_range {
	enum mbx_regs_table_id table;
	uint32_t addr, n;
	uint16_t *values;
};

__attribute__((format(printf, 2, 3)))
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mbxdp-ctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (mbxdp-ctl --help)\n");
	return 2;
}

/* A number from 0 to max, decimal or 0x hex. */
static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno || *s == '\0' || *s == '-' || *end != '\0' || *out > max ? -1 : 0;
}

static int parse_table(const char *s, enum mbx_regs_table_id *t)
{
	for (int i = 0; i < MBX_REGS_TABLES; i++) {
		if (!strcmp(s, table_names[i].name) || !strcmp(s, table_names[i].alias)) {
			*t = (enum mbx_regs_table_id)i;
			return 0;
		}
	}
	return -1;
}

static int is_bits(enum mbx_regs_table_id t)
{
	return t == MBX_REGS_COILS || t == MBX_REGS_DISCRETE_INPUTS;
}

/* The options every register command takes; watch adds its own two. On
 * return optind is the first operand. */
static int parse_opts(int argc, char **argv, int watch, struct regs_opts *o)
{
	enum { OPT_INTERVAL = 256, OPT_COUNT };
	static const struct option longopts[] = {
		{ "server", required_argument, 0, 's' },
		{ "unit", required_argument, 0, 'u' },
		{ "json", no_argument, 0, 'j' },
		{ "interval", required_argument, 0, OPT_INTERVAL },
		{ "count", required_argument, 0, OPT_COUNT },
		{ 0, 0, 0, 0 },
	};
	unsigned long v;
	char *end;
	int ch;

	*o = (struct regs_opts){ .unit = -1, .interval = 0.5 };
	while ((ch = getopt_long(argc, argv, "s:u:j", longopts, 0)) != -1) {
		switch (ch) {
		case 's':
			o->server = optarg;
			break;
		case 'u':
			if (parse_num(optarg, 255, &v) < 0)
				return usage_error(argv[0], "--unit wants 0-255, not '%s'", optarg);
			o->unit = (int)v;
			break;
		case 'j':
			o->json = 1;
			break;
		case OPT_INTERVAL:
			o->interval = strtod(optarg, &end);
			if (!watch || *end != '\0' || !(o->interval >= 0.001 && o->interval <= 3600))
				return usage_error(argv[0], "--interval wants 0.001-3600 seconds, not '%s'",
						   optarg);
			break;
		case OPT_COUNT:
			if (!watch || parse_num(optarg, 1000000000, &v) < 0 || v == 0)
				return usage_error(argv[0], "--count wants a positive number, not '%s'",
						   optarg);
			o->count = (long)v;
			break;
		default:
			return usage_error(argv[0], "bad option '%s'", argv[optind - 1]);
		}
	}
	return 0;
}

/* The TABLE ADDRESS at argv[i], argv[i + 1]. */
static int parse_table_addr(char **argv, int i, struct regs_range *rg)
{
	unsigned long v;

	if (parse_table(argv[i], &rg->table) < 0)
		return usage_error(argv[0], "no table '%s'", argv[i]);
	if (parse_num(argv[i + 1], 0xFFFFFFFFul, &v) < 0)
		return usage_error(argv[0], "bad address '%s'", argv[i + 1]);
	rg->addr = (uint32_t)v;
	return 0;
}

/* TABLE ADDRESS [COUNT]: get and watch. */
static int parse_read_range(int argc, char **argv, struct regs_range *rg)
{
	unsigned long v;
	int rc;

	if (argc - optind < 2 || argc - optind > 3)
		return usage_error(argv[0], "wants TABLE ADDRESS [COUNT]");
	if ((rc = parse_table_addr(argv, optind, rg)))
		return rc;
	rg->n = 1;
	if (argc - optind == 3) {
		if (parse_num(argv[optind + 2], 65536, &v) < 0 || v == 0)
			return usage_error(argv[0], "COUNT wants 1-65536, not '%s'", argv[optind + 2]);
		rg->n = (uint32_t)v;
	}
	rg->values = calloc(rg->n, sizeof(uint16_t));
	if (!rg->values) {
		fprintf(stderr, "mbxdp-ctl: out of memory\n");
		return 1;
	}
	return 0;
}

/* Maps the store and finds the unit; prints why not. */
static struct mbx_regs_unit *open_unit(const struct ctl_target *t, const char *cmd,
				       const struct regs_opts *o, struct mbx_regs *r)
{
	struct mbx_regs_unit *u;
	char err[512];

	if (mbx_regs_open(r, t->name, err, sizeof(err)) < 0) {
		fprintf(stderr, "mbxdp-ctl %s: %s (is an mbxdp with --name %s running?)\n", cmd, err,
			t->name);
		return NULL;
	}
	u = mbx_regs_select(r, o->server, o->unit, err, sizeof(err));
	if (!u) {
		fprintf(stderr, "mbxdp-ctl %s: %s\n", cmd, err);
		mbx_regs_close(r);
	}
	return u;
}

static int range_ok(const char *cmd, const struct mbx_regs_unit *u, const struct regs_range *rg)
{
	const struct mbx_regs_table *tb = &u->table[rg->table];

	if (mbx_regs_range_ok(u, rg->table, rg->addr, rg->n))
		return 1;
	if (tb->count == 0)
		fprintf(stderr, "mbxdp-ctl %s: this unit has no %s\n", cmd,
			table_names[rg->table].name);
	else
		fprintf(stderr, "mbxdp-ctl %s: %s %u..%u is outside the table (%u..%u)\n", cmd,
			table_names[rg->table].name, rg->addr, rg->addr + rg->n - 1, tb->start,
			tb->start + tb->count - 1);
	return 0;
}

static void busy(const char *cmd)
{
	fprintf(stderr,
		"mbxdp-ctl %s: the unit stayed locked by a writer for the whole wait "
		"(a writer that died holding it?)\n",
		cmd);
}

/* A JSON object with the unit's identity: "server":"198.18.0.1","unit":5;
 * an IPv6-only server by its IPv6 address, a dual-stack one by its IPv4
 * one (either selects it). */
static json_t *json_unit(const struct mbx_regs *r, const struct mbx_regs_unit *u)
{
	static const uint8_t none[16];
	char a[INET6_ADDRSTRLEN];
	uint32_t s = __atomic_load_n(&u->server, __ATOMIC_RELAXED);
	const struct mbx_regs_server *rs = s < r->n_servers ? mbx_regs_server_at(r, s) : NULL;

	if (rs && !rs->addr && memcmp(rs->addr6, none, 16))
		inet_ntop(AF_INET6, rs->addr6, a, sizeof(a));
	else
		inet_ntop(AF_INET, rs ? &rs->addr : (const void *)none, a, sizeof(a));
	return json_pack("{s:s,s:i}", "server", a, "unit", (int)u->unit_id);
}

static json_t *json_range(const struct regs_range *rg)
{
	json_t *values = json_array();

	for (uint32_t i = 0; i < rg->n; i++)
		json_array_append_new(values, json_integer(rg->values[i]));
	return json_pack("{s:s,s:i,s:i,s:o}", "table", table_names[rg->table].name, "address",
			 (int)rg->addr, "count", (int)rg->n, "values", values);
}

static void print_values(const struct mbx_regs *r, const struct mbx_regs_unit *u,
			 const struct regs_range *rg, int json, const char *stamp)
{
	if (json) {
		json_t *o = json_unit(r, u);

		/* watch: seconds since the epoch, to the millisecond */
		if (stamp)
			json_object_set_new(o, "time", json_real(strtod(stamp, NULL)));
		json_object_set_new(o, "ranges", json_pack("[o]", json_range(rg)));
		json_print_line(o, stdout);
		json_decref(o);
	} else if (stamp) {
		/* watch: one line per change */
		printf("%s %s[%u..%u]:", stamp, table_names[rg->table].name, rg->addr,
		       rg->addr + rg->n - 1);
		for (uint32_t i = 0; i < rg->n; i++)
			printf(" %u", rg->values[i]);
		printf("\n");
	} else {
		for (uint32_t i = 0; i < rg->n; i++)
			printf(is_bits(rg->table) ? "%s[%u] = %u\n" : "%s[%u] = %u (0x%04x)\n",
			       table_names[rg->table].name, rg->addr + i, rg->values[i],
			       rg->values[i]);
	}
}

int ctl_regs_get(const struct ctl_target *t, int argc, char **argv)
{
	struct regs_opts o;
	struct regs_range rg;
	struct mbx_regs r;
	struct mbx_regs_unit *u;
	int rc;

	if ((rc = parse_opts(argc, argv, 0, &o)) || (rc = parse_read_range(argc, argv, &rg)))
		return rc;
	rc = 1;
	u = open_unit(t, argv[0], &o, &r);
	if (u) {
		if (range_ok(argv[0], u, &rg)) {
			if (mbx_regs_read(&r, u, rg.table, rg.addr, rg.n, rg.values) == 0) {
				print_values(&r, u, &rg, o.json, NULL);
				rc = 0;
			} else {
				busy(argv[0]);
			}
		}
		mbx_regs_close(&r);
	}
	free(rg.values);
	return rc;
}

/* TABLE ADDRESS VALUE... [+ TABLE ADDRESS VALUE...]; values point into a
 * buffer of argc entries the caller frees. */
static int parse_set_groups(int argc, char **argv, struct regs_range *g, int *n_groups,
			    uint16_t *buf)
{
	unsigned long v;
	int i = optind, rc;

	*n_groups = 0;
	while (i < argc) {
		struct regs_range *rg = &g[*n_groups];

		if (*n_groups == MAX_GROUPS)
			return usage_error(argv[0], "at most %d groups in one set", MAX_GROUPS);
		if (argc - i < 3)
			return usage_error(argv[0], "wants TABLE ADDRESS VALUE...");
		if ((rc = parse_table_addr(argv, i, rg)))
			return rc;
		rg->values = buf;
		rg->n = 0;
		for (i += 2; i < argc && strcmp(argv[i], "+"); i++) {
			if (parse_num(argv[i], is_bits(rg->table) ? 1 : 0xFFFF, &v) < 0)
				return usage_error(argv[0],
						   is_bits(rg->table) ? "a bit is 0 or 1, not '%s'" :
									"a value is 0-65535, not '%s'",
						   argv[i]);
			rg->values[rg->n++] = (uint16_t)v;
		}
		if (rg->n == 0)
			return usage_error(argv[0], "no value to write");
		buf += rg->n;
		++*n_groups;
		if (i < argc)
			i++; /* the "+" */
	}
	if (*n_groups == 0)
		return usage_error(argv[0], "wants TABLE ADDRESS VALUE...");
	return 0;
}

int ctl_regs_set(const struct ctl_target *t, int argc, char **argv)
{
	struct regs_range g[MAX_GROUPS];
	struct regs_opts o;
	struct mbx_regs r;
	struct mbx_regs_unit *u;
	uint16_t *buf;
	int n_groups, rc;

	if ((rc = parse_opts(argc, argv, 0, &o)))
		return rc;
	buf = calloc((size_t)argc, sizeof(uint16_t));
	if (!buf) {
		fprintf(stderr, "mbxdp-ctl: out of memory\n");
		return 1;
	}
	if ((rc = parse_set_groups(argc, argv, g, &n_groups, buf))) {
		free(buf);
		return rc;
	}
	rc = 1;
	u = open_unit(t, argv[0], &o, &r);
	if (!u) {
		free(buf);
		return 1;
	}
	/* Every range is checked before the unit is taken: an update is
	 * published whole or not at all. */
	int all_ok = 1;
	for (int i = 0; i < n_groups; i++)
		all_ok &= range_ok(argv[0], u, &g[i]);
	if (all_ok && mbx_regs_write_begin(u) == 0) {
		for (int i = 0; i < n_groups; i++)
			mbx_regs_put(&r, u, g[i].table, g[i].addr, g[i].n, g[i].values);
		mbx_regs_write_end(u);
		rc = 0;
	} else if (all_ok) {
		busy(argv[0]);
	}
	if (rc == 0 && o.json) {
		json_t *out = json_unit(&r, u), *written = json_array();

		for (int i = 0; i < n_groups; i++)
			json_array_append_new(written, json_range(&g[i]));
		json_object_set_new(out, "written", written);
		json_print_line(out, stdout);
		json_decref(out);
	} else if (rc == 0) {
		for (int i = 0; i < n_groups; i++)
			printf("wrote %u %s at %u\n", g[i].n, table_names[g[i].table].name, g[i].addr);
	}
	mbx_regs_close(&r);
	free(buf);
	return rc;
}

static volatile sig_atomic_t watch_stop;

static void on_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

static void stamp_now(int json, char *out, size_t room)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (json) {
		snprintf(out, room, "%lld.%03ld", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	} else {
		localtime_r(&ts.tv_sec, &tm);
		snprintf(out, room, "%02d:%02d:%02d.%03ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts.tv_nsec / 1000000);
	}
}

int ctl_regs_watch(const struct ctl_target *t, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct regs_opts o;
	struct regs_range rg;
	struct mbx_regs r;
	struct mbx_regs_unit *u;
	uint16_t *prev;
	long printed = 0;
	int rc, have_prev = 0;

	if ((rc = parse_opts(argc, argv, 1, &o)) || (rc = parse_read_range(argc, argv, &rg)))
		return rc;
	prev = calloc(rg.n, sizeof(uint16_t));
	u = prev ? open_unit(t, argv[0], &o, &r) : NULL;
	if (!u || !range_ok(argv[0], u, &rg)) {
		if (!prev)
			fprintf(stderr, "mbxdp-ctl: out of memory\n");
		if (u)
			mbx_regs_close(&r);
		free(prev);
		free(rg.values);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Output goes to pipes and files as it happens. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = 0;
	while (!watch_stop && (o.count == 0 || printed < o.count)) {
		struct timespec nap = { (time_t)o.interval,
					(long)((o.interval - (double)(time_t)o.interval) * 1e9) };

		/* mbxdp holds the store's lock while it runs, as it does the
		 * statistics file's. */
		if (!ctl_map_alive(&(struct ctl_map){ .fd = r.fd })) {
			fprintf(stderr, "mbxdp-ctl watch: mbxdp '%s' stopped\n", t->name);
			rc = 1;
			break;
		}
		if (mbx_regs_read(&r, u, rg.table, rg.addr, rg.n, rg.values) < 0) {
			busy(argv[0]);
			rc = 1;
			break;
		}
		if (!have_prev || memcmp(prev, rg.values, rg.n * sizeof(uint16_t))) {
			char stamp[32];

			stamp_now(o.json, stamp, sizeof(stamp));
			print_values(&r, u, &rg, o.json, stamp);
			memcpy(prev, rg.values, rg.n * sizeof(uint16_t));
			have_prev = 1;
			printed++;
		}
		if (o.count == 0 || printed < o.count)
			nanosleep(&nap, NULL); /* a signal cuts it short */
	}
	mbx_regs_close(&r);
	free(prev);
	free(rg.values);
	return rc;
}
