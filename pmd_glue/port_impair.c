/* Fault-injecting port wrapper: see port_impair.h.
 *
 * rx: frames are pulled from the inner port a chunk at a time, run through
 * the impairments into the ready array and handed up from there; a chunk of
 * k frames yields at most 2k + 1 (each frame and its copy, plus the frame
 * held from before), which bounds the array. tx: the caller's frames are run
 * through the impairments a chunk at a time and sent on. */
#include "port_impair.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPAIR_CHUNK MBX_BURST
#define IMPAIR_OUT_MAX (2 * IMPAIR_CHUNK + 1)
/* rx polls a held frame waits for a later frame before it leaves in order. */
#define HOLD_POLLS 2

struct impair_dir {
	uint64_t rng; /* xorshift64* state, never 0 */
	/* Rates as thresholds on 53 random bits: 2^53 is "always". */
	uint64_t loss, dup, reorder, corrupt;
	struct mbx_frame held;
	int holding;
	uint32_t held_polls;
	uint64_t *dropped, *duplicated, *reordered, *corrupted; /* into port.ctr */
};

struct impair_port {
	struct mbx_port port; /* first: callers hold a pointer to it */
	struct mbx_port *inner;
	struct impair_dir rx, tx;
	uint32_t ready_head, ready_n;
	struct mbx_frame rx_in[IMPAIR_CHUNK];
	struct mbx_frame rx_ready[IMPAIR_OUT_MAX];
	struct mbx_frame tx_out[IMPAIR_OUT_MAX];
	struct mbx_frame lost[IMPAIR_CHUNK];
};

static inline struct impair_port *impair(struct mbx_port *p)
{
	return (struct impair_port *)p;
}

/* splitmix64 (Steele, Lea, Flood 2014): turns one seed into well-mixed,
 * distinct states for the two directions. */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* xorshift64* (Vigna 2016): a few cycles, good enough for fault rates. */
static inline uint64_t next_random(struct impair_dir *d)
{
	uint64_t x = d->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	d->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* True with the probability the threshold stands for; draws nothing at 0. */
static inline int chance(struct impair_dir *d, uint64_t threshold)
{
	return threshold && (next_random(d) >> 11) < threshold;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift). */
static inline uint32_t below(struct impair_dir *d, uint32_t n)
{
	return (uint32_t)(((next_random(d) >> 32) * n) >> 32);
}

static uint64_t rate_threshold(double rate)
{
	return (uint64_t)(rate * 9007199254740992.0); /* 2^53 */
}

/* A copy of f in a frame of the inner port; -1 if none is free or big
 * enough. */
static int copy_frame(struct impair_port *ip, const struct mbx_frame *f, struct mbx_frame *copy)
{
	if (mbx_port_alloc(ip->inner, copy) < 0)
		return -1;
	if (copy->room < f->len) {
		mbx_port_release(ip->inner, copy, 1);
		return -1;
	}
	memcpy(copy->data, f->data, f->len);
	copy->len = f->len;
	return 0;
}

/* Runs one frame through d's impairments: what passes is appended to out,
 * a lost frame to lost. */
static void impair_frame(struct impair_port *ip, struct impair_dir *d, struct mbx_frame f,
			 struct mbx_frame *out, uint32_t *n_out, uint32_t *n_lost)
{
	struct mbx_frame copy;
	int has_copy = 0;

	if (chance(d, d->loss)) {
		ip->lost[(*n_lost)++] = f;
		(*d->dropped)++;
		return;
	}
	if (f.len && chance(d, d->corrupt)) {
		uint32_t byte = below(d, f.len);

		f.data[byte] ^= (uint8_t)(1u << below(d, 8));
		(*d->corrupted)++;
	}
	if (chance(d, d->dup)) {
		if (copy_frame(ip, &f, &copy) == 0) {
			has_copy = 1;
			(*d->duplicated)++;
		} else {
			ip->port.ctr.impair_dup_no_frame++;
		}
	}
	if (!d->holding && chance(d, d->reorder)) {
		d->held = f;
		d->holding = 1;
		d->held_polls = 0;
		if (has_copy)
			out[(*n_out)++] = copy;
		return;
	}
	out[(*n_out)++] = f;
	if (has_copy)
		out[(*n_out)++] = copy;
	if (d->holding) {
		out[(*n_out)++] = d->held;
		d->holding = 0;
		(*d->reordered)++;
	}
}

/* One rx poll went by: true if d's held frame has waited long enough and
 * must now leave in order. */
static int hold_expired(struct impair_dir *d)
{
	if (!d->holding || ++d->held_polls <= HOLD_POLLS)
		return 0;
	d->holding = 0;
	return 1;
}

static uint32_t impair_rx_burst(struct mbx_port *p, struct mbx_frame *f, uint32_t n)
{
	struct impair_port *ip = impair(p);
	uint32_t k;

	if (hold_expired(&ip->tx))
		mbx_port_tx(ip->inner, &ip->tx.held, 1);
	if (ip->ready_head == ip->ready_n) {
		uint32_t got, n_lost = 0;

		ip->ready_head = ip->ready_n = 0;
		if (hold_expired(&ip->rx))
			ip->rx_ready[ip->ready_n++] = ip->rx.held;
		/* A whole chunk whatever n is: what the caller does not take now
		 * waits in rx_ready, and a frame can be held even at n = 1. */
		got = mbx_port_rx(ip->inner, ip->rx_in, IMPAIR_CHUNK);
		for (uint32_t i = 0; i < got; i++)
			impair_frame(ip, &ip->rx, ip->rx_in[i], ip->rx_ready, &ip->ready_n, &n_lost);
		mbx_port_release(ip->inner, ip->lost, n_lost);
	}
	k = ip->ready_n - ip->ready_head;
	if (k > n)
		k = n;
	memcpy(f, &ip->rx_ready[ip->ready_head], k * sizeof(*f));
	ip->ready_head += k;
	return k;
}

static void impair_tx_burst(struct mbx_port *p, const struct mbx_frame *f, uint32_t n)
{
	struct impair_port *ip = impair(p);

	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < IMPAIR_CHUNK ? n - done : IMPAIR_CHUNK;
		uint32_t n_out = 0, n_lost = 0;

		for (uint32_t i = 0; i < k; i++)
			impair_frame(ip, &ip->tx, f[done + i], ip->tx_out, &n_out, &n_lost);
		mbx_port_release(ip->inner, ip->lost, n_lost);
		mbx_port_tx(ip->inner, ip->tx_out, n_out);
		done += k;
	}
}

static void impair_release(struct mbx_port *p, const struct mbx_frame *f, uint32_t n)
{
	mbx_port_release(impair(p)->inner, f, n);
}

static int impair_alloc(struct mbx_port *p, struct mbx_frame *out)
{
	return mbx_port_alloc(impair(p)->inner, out);
}

static void impair_sync_counters(struct mbx_port *p)
{
	struct mbx_port *inner = impair(p)->inner;

	mbx_port_sync_counters(inner);
#define X(name, help) p->ctr.name = inner->ctr.name;
	MBX_PORT_BACKEND_COUNTERS(X)
#undef X
}

static void impair_close(struct mbx_port *p)
{
	struct impair_port *ip = impair(p);

	if (ip->rx.holding)
		mbx_port_release(ip->inner, &ip->rx.held, 1);
	if (ip->tx.holding)
		mbx_port_release(ip->inner, &ip->tx.held, 1);
	mbx_port_release(ip->inner, &ip->rx_ready[ip->ready_head], ip->ready_n - ip->ready_head);
	mbx_port_close(ip->inner);
	free(ip);
}

static const struct mbx_port_ops impair_ops = {
	.name = "impair",
	.rx_burst = impair_rx_burst,
	.tx_burst = impair_tx_burst,
	.release = impair_release,
	.alloc = impair_alloc,
	.sync_counters = impair_sync_counters,
	.close = impair_close,
};

static int rates_valid(const struct mbx_impair_rates *r)
{
	const double v[] = { r->loss, r->dup, r->reorder, r->corrupt };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!(v[i] >= 0.0 && v[i] <= 1.0)) /* NaN fails too */
			return 0;
	return 1;
}

static void dir_init(struct impair_dir *d, const struct mbx_impair_rates *r, uint64_t *seed)
{
	d->rng = splitmix64(seed);
	if (!d->rng)
		d->rng = 1; /* xorshift's one forbidden state */
	d->loss = rate_threshold(r->loss);
	d->dup = rate_threshold(r->dup);
	d->reorder = rate_threshold(r->reorder);
	d->corrupt = rate_threshold(r->corrupt);
}

struct mbx_port *mbx_impair_open(struct mbx_port *inner, const struct mbx_impair_config *cfg,
				 char *err, size_t errlen)
{
	struct impair_port *ip;
	uint64_t seed = cfg->seed;

	if (!rates_valid(&cfg->rx) || !rates_valid(&cfg->tx)) {
		snprintf(err, errlen, "impairment rates must be from 0 to 1");
		return NULL;
	}
	ip = calloc(1, sizeof(*ip));
	if (!ip) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ip->port.ops = &impair_ops;
	ip->inner = inner;
	dir_init(&ip->rx, &cfg->rx, &seed);
	dir_init(&ip->tx, &cfg->tx, &seed);
	ip->rx.dropped = &ip->port.ctr.impair_rx_dropped;
	ip->rx.duplicated = &ip->port.ctr.impair_rx_duplicated;
	ip->rx.reordered = &ip->port.ctr.impair_rx_reordered;
	ip->rx.corrupted = &ip->port.ctr.impair_rx_corrupted;
	ip->tx.dropped = &ip->port.ctr.impair_tx_dropped;
	ip->tx.duplicated = &ip->port.ctr.impair_tx_duplicated;
	ip->tx.reordered = &ip->port.ctr.impair_tx_reordered;
	ip->tx.corrupted = &ip->port.ctr.impair_tx_corrupted;
	return &ip->port;
}

/* Spec parsing. */

#define IMPAIR_KEYS "loss, dup, reorder, corrupt, each also as rx_KEY or tx_KEY, and seed"

/* The rate field of r that key (without a direction prefix) names. */
static double *rate_field(struct mbx_impair_rates *r, const char *key, size_t len)
{
	static const char *const names[] = { "loss", "dup", "reorder", "corrupt" };
	double *fields[] = { &r->loss, &r->dup, &r->reorder, &r->corrupt };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !memcmp(names[i], key, len))
			return fields[i];
	return NULL;
}

static int parse_rate(const char *key, const char *v, double *out, char *err, size_t errlen)
{
	char *end;
	double x;

	/* strtod alone would take "nan", "inf", a sign and leading blanks. */
	if ((*v < '0' || *v > '9') && *v != '.')
		goto bad;
	x = strtod(v, &end);
	if (*end || !(x >= 0.0 && x <= 1.0))
		goto bad;
	*out = x;
	return 0;
bad:
	snprintf(err, errlen, "%s wants a rate from 0 to 1, not '%s'", key, v);
	return -1;
}

static int parse_seed(const char *v, uint64_t *out, char *err, size_t errlen)
{
	int hex = v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
	const char *digits = hex ? v + 2 : v;
	char *end;
	unsigned long long x;

	if (!((*digits >= '0' && *digits <= '9') ||
	      (hex && ((*digits >= 'a' && *digits <= 'f') || (*digits >= 'A' && *digits <= 'F')))))
		goto bad;
	errno = 0;
	x = strtoull(digits, &end, hex ? 16 : 10);
	if (errno || *end)
		goto bad;
	*out = x;
	return 0;
bad:
	snprintf(err, errlen, "seed wants an unsigned 64-bit integer, not '%s'", v);
	return -1;
}

/* Applies one key=value item (NUL-terminated, writable). */
static int parse_item(char *item, struct mbx_impair_config *c, char *err, size_t errlen)
{
	char *eq = strchr(item, '=');
	const char *key = item, *name = item;
	int rx = 1, tx = 1;
	double rate, *field;

	if (!*item) {
		snprintf(err, errlen, "empty item (spec is key=value,key=value...)");
		return -1;
	}
	if (eq)
		*eq = '\0';
	if (!strncmp(key, "rx_", 3) || !strncmp(key, "tx_", 3)) {
		rx = key[0] == 'r';
		tx = !rx;
		name = key + 3;
	}
	field = rate_field(&c->rx, name, strlen(name));
	if (!field && strcmp(key, "seed")) {
		snprintf(err, errlen, "unknown key '%s' (keys: " IMPAIR_KEYS ")", key);
		return -1;
	}
	if (!eq || !eq[1]) {
		snprintf(err, errlen, "%s needs a value (%s=...)", key, key);
		return -1;
	}
	if (!field)
		return parse_seed(eq + 1, &c->seed, err, errlen);
	if (parse_rate(key, eq + 1, &rate, err, errlen) < 0)
		return -1;
	if (rx)
		*field = rate;
	if (tx)
		*rate_field(&c->tx, name, strlen(name)) = rate;
	return 0;
}

int mbx_impair_parse(const char *spec, struct mbx_impair_config *out, char *err, size_t errlen)
{
	char buf[512];
	char *item, *next;

	memset(out, 0, sizeof(*out));
	out->seed = 1;
	if (!*spec) {
		snprintf(err, errlen, "empty spec (e.g. loss=0.05,dup=0.01,seed=7)");
		return -1;
	}
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "spec longer than %zu characters", sizeof(buf) - 1);
		return -1;
	}
	strcpy(buf, spec);
	for (item = buf; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (parse_item(item, out, err, errlen) < 0)
			return -1;
	}
	return 0;
}
