#include "learn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "devmodel.h"
#include "model_yaml.h"

#define ENTRIES 65536
#define ROUNDS 16 /* runs of the requests that may each add rules */

/* Per-entry flags of a learned table. */
enum { E_PRESENT = 1, E_KNOWN = 2, E_INIT = 4 };

struct step {
	uint16_t address, value;
	uint64_t at_ns;
};

struct ltable {
	uint8_t *flags; /* ENTRIES, allocated at the first access */
	uint16_t *cur, *init;
	uint64_t *seen_ns; /* last read or write */
	struct step *steps;
	uint32_t n_steps, cap_steps;
	uint32_t written_first; /* entries written before any read: initial value unknown */
};

struct lunit {
	uint32_t server; /* host order */
	uint8_t id;
	uint64_t first_ns; /* its first request: time 0 of its rules and sequences */
	uint32_t requests, answered, gateway_failed; /* exception 0B */
	struct ltable tab[CFG_TABLES];
	struct mb_id_object ids[256];
	uint8_t id_bytes[256][MB_ID_OBJECT_MAX];
	int has_ids;
	struct mb_rule *rules;
	uint32_t n_rules;
	uint8_t fc_off[256 / 8];
	int kept; /* a unit of the model (not one that only answered 0B) */
	uint32_t n_seqs; /* in the model last written */
	int held; /* this round adds no more rules to it */
	int own; /* unit ids 0 and 0xFF reached it in the capture */
};

/* One request and what the captured device did with it. */
struct ex {
	uint64_t t_ns;
	uint32_t pkt, flow;
	uint32_t server, client; /* host order */
	const uint8_t *q, *r; /* r: NULL when the capture has no response */
	uint32_t qlen, rlen;
	int silent; /* no response, and the flow went on: the device said nothing */
	struct lunit *u;
	/* Of the last run through mbxdp's Modbus layer. */
	int same;
	uint32_t nlen;
	uint8_t native[MB_ADU_MAX];
};

struct learn {
	const struct rp_capture *cap;
	const struct learn_options *o;
	FILE *rep;
	struct ex *ex;
	uint32_t n_ex;
	struct lunit **units;
	uint32_t n_units;
	char **notes, **left_out;
	uint32_t n_notes, n_left_out;
	uint32_t v6_requests; /* of IPv6 flows: not learned */
	int fd;
};

static void add_line(char ***v, uint32_t *n, const char *fmt, va_list ap)
{
	char buf[512], **grown;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	grown = realloc(*v, (*n + 1) * sizeof(*grown));
	if (!grown)
		return;
	*v = grown;
	(*v)[*n] = strdup(buf);
	if ((*v)[*n])
		(*n)++;
}

/* What the model written last could not infer: made anew with each. */
__attribute__((format(printf, 2, 3))) static void note(struct learn *L, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(&L->notes, &L->n_notes, fmt, ap);
	va_end(ap);
}

/* A request of the capture the model leaves out, found once. */
__attribute__((format(printf, 2, 3))) static void left_out(struct learn *L, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(&L->left_out, &L->n_left_out, fmt, ap);
	va_end(ap);
}

static void ip_str(uint32_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)(p[0] << 8 | p[1]);
}

static int by_time(const void *a, const void *b)
{
	const struct ex *x = a, *y = b;

	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	return x->pkt < y->pkt ? -1 : x->pkt > y->pkt;
}

/* MIG 4.4.1.2: unit ids 0 and 0xFF mean the server itself; the model
 * has them reach the server's first other unit id in the capture, or 1. */
static uint8_t unit_id_of(uint32_t *servers, uint8_t *ids, uint32_t *n, uint32_t server,
			  uint8_t id)
{
	uint32_t i;

	for (i = 0; i < *n && servers[i] != server; i++)
		;
	if (i == *n) {
		servers[i] = server;
		ids[i] = 0;
		(*n)++;
	}
	if (id != 0 && id != 0xFF) {
		if (!ids[i])
			ids[i] = id;
		return id;
	}
	return ids[i] ? ids[i] : 1;
}

static struct lunit *unit_of(struct learn *L, uint32_t server, uint8_t id)
{
	struct lunit **grown, *u;

	for (uint32_t i = 0; i < L->n_units; i++)
		if (L->units[i]->server == server && L->units[i]->id == id)
			return L->units[i];
	grown = realloc(L->units, (L->n_units + 1) * sizeof(*grown));
	u = calloc(1, sizeof(*u));
	if (!grown || !u) {
		free(u);
		if (grown)
			L->units = grown;
		return NULL;
	}
	L->units = grown;
	u->server = server;
	u->id = id;
	L->units[L->n_units++] = u;
	return u;
}

/* Every request of every client flow, in time order. */
static int collect(struct learn *L)
{
	const struct rp_capture *cap = L->cap;
	uint32_t n = 0, *servers, n_servers = 0;
	uint8_t *ids;

	for (uint32_t f = 0; f < cap->n_flows; f++)
		n += rp_flow_unreplayable(&cap->flows[f]) ? 0 : cap->flows[f].c.n_adus;
	L->ex = calloc(n ? n : 1, sizeof(*L->ex));
	if (!L->ex)
		return -1;
	for (uint32_t fi = 0; fi < cap->n_flows; fi++) {
		const struct rp_flow *f = &cap->flows[fi];
		char a[RP_ADDR_STR + 8], b[RP_ADDR_STR + 8];

		if (f->fragment_pkt)
			left_out(L, "flow %u (%s -> %s): %s, not learned", fi + 1,
			     rp_endpoint_str(&f->client_ip, f->client_port, a),
			     rp_endpoint_str(&f->server_ip, f->server_port, b), rp_flow_unreplayable(f));
		if (rp_flow_unreplayable(f))
			continue;
		/* Learned servers are named by IPv4 address: an IPv6 one is
		 * not learned yet. */
		if (rp_family(&f->server_ip) == RP_V6) {
			if (f->c.n_adus)
				left_out(L, "flow %u (%s -> %s): IPv6, and --learn writes IPv4 servers "
					"only: its %u requests not learned", fi + 1,
				     rp_endpoint_str(&f->client_ip, f->client_port, a),
				     rp_endpoint_str(&f->server_ip, f->server_port, b), f->c.n_adus);
			L->v6_requests += f->c.n_adus;
			continue;
		}
		for (uint32_t i = 0; i < f->c.n_adus; i++) {
			const struct rp_adu *a = &f->c.adus[i];
			struct ex *e = &L->ex[L->n_ex];

			if (a->len < 8)
				continue;
			if (rp_proto(f->c.bytes + a->off) != 0) {
				left_out(L, "packet %u: protocol id %u is not Modbus (MIG 4.4.1.1): mbxdp "
					"discards it, not learned", a->pkt, rp_proto(f->c.bytes + a->off));
				continue;
			}
			e->t_ns = a->t_ns;
			e->pkt = a->pkt;
			e->flow = fi;
			e->server = rp_ip4(&f->server_ip);
			e->client = rp_ip4(&f->client_ip);
			e->q = f->c.bytes + a->off;
			e->qlen = a->len;
			if (a->peer >= 0) {
				e->r = f->s.bytes + f->s.adus[a->peer].off;
				e->rlen = f->s.adus[a->peer].len;
			} else {
				/* Silence is an answer when the client went on:
				 * another request, or its close, came after; and
				 * when the server's stream was whole, so no answer
				 * got lost in it. */
				e->silent = f->s.unframed_at == UINT32_MAX && f->s.hole_at == UINT32_MAX &&
					    (i + 1 < f->c.n_adus ||
					     ((f->client_fin || f->client_rst) && f->pkt_close > a->pkt));
			}
			L->n_ex++;
		}
	}
	qsort(L->ex, L->n_ex, sizeof(*L->ex), by_time);
	servers = calloc(L->n_ex ? L->n_ex : 1, sizeof(*servers));
	ids = calloc(L->n_ex ? L->n_ex : 1, 1);
	if (!servers || !ids) {
		free(servers);
		free(ids);
		return -1;
	}
	/* The servers' unit ids first, so 0 and 0xFF find one whenever
	 * they come. */
	for (uint32_t i = 0; i < L->n_ex; i++)
		if (L->ex[i].q[6] != 0 && L->ex[i].q[6] != 0xFF)
			unit_id_of(servers, ids, &n_servers, L->ex[i].server, L->ex[i].q[6]);
	for (uint32_t i = 0; i < L->n_ex; i++) {
		struct ex *e = &L->ex[i];

		e->u = unit_of(L, e->server, unit_id_of(servers, ids, &n_servers, e->server, e->q[6]));
		if (!e->u)
			return -1;
		e->u->own |= e->q[6] == 0 || e->q[6] == 0xFF;
		if (!e->u->requests++)
			e->u->first_ns = e->t_ns;
		if (e->r) {
			e->u->answered++;
			if (e->rlen >= 9 && (e->r[7] & 0x80) && e->r[8] == 0x0B)
				e->u->gateway_failed++;
		}
	}
	free(servers);
	free(ids);
	return 0;
}

static int table_ready(struct ltable *t)
{
	if (t->flags)
		return 0;
	t->flags = calloc(ENTRIES, 1);
	t->cur = calloc(ENTRIES, sizeof(*t->cur));
	t->init = calloc(ENTRIES, sizeof(*t->init));
	t->seen_ns = calloc(ENTRIES, sizeof(*t->seen_ns));
	return t->flags && t->cur && t->init && t->seen_ns ? 0 : -1;
}

/* A value a response carried: the first one is the initial value; a later
 * one no write explains is a step, halfway between the last time the
 * entry was seen and now. */
static int observe(struct lunit *u, enum cfg_table_id id, uint32_t a, uint16_t v, uint64_t t)
{
	struct ltable *tb = &u->tab[id];

	if (a >= ENTRIES)
		return 0; /* a request past the last address: exception 02 */
	if (table_ready(tb) < 0)
		return -1;
	tb->flags[a] |= E_PRESENT;
	if (!(tb->flags[a] & E_KNOWN)) {
		tb->flags[a] |= E_KNOWN | E_INIT;
		tb->init[a] = v;
	} else if (tb->cur[a] != v) {
		if (tb->n_steps == tb->cap_steps) {
			uint32_t cap = tb->cap_steps ? tb->cap_steps * 2 : 16;
			struct step *s = realloc(tb->steps, cap * sizeof(*s));

			if (!s)
				return -1;
			tb->steps = s;
			tb->cap_steps = cap;
		}
		tb->steps[tb->n_steps++] = (struct step){
			.address = (uint16_t)a,
			.value = v,
			.at_ns = tb->seen_ns[a] + (t - tb->seen_ns[a]) / 2 - u->first_ns,
		};
	}
	tb->cur[a] = v;
	tb->seen_ns[a] = t;
	return 0;
}

static int wrote(struct lunit *u, enum cfg_table_id id, uint32_t a, uint16_t v, uint64_t t)
{
	struct ltable *tb = &u->tab[id];

	if (a >= ENTRIES)
		return 0;
	if (table_ready(tb) < 0)
		return -1;
	if (!(tb->flags[a] & E_KNOWN))
		tb->written_first++;
	tb->flags[a] |= E_PRESENT | E_KNOWN;
	tb->cur[a] = v;
	tb->seen_ns[a] = t;
	return 0;
}

static int bit(const uint8_t *p, uint32_t i)
{
	return (p[i >> 3] >> (i & 7)) & 1;
}

/* The tables and values a normal response shows (MAP 6.1-6.6, 6.11,
 * 6.12, 6.16, 6.17). */
static int learn_data(struct ex *e)
{
	const uint8_t *q = e->q + 7, *r = e->r + 7;
	uint32_t ql = e->qlen - 7, rl = e->rlen - 7, a, n;
	struct lunit *u = e->u;
	int rc = 0;

	if (rl < 2 || (r[0] & 0x80) || ql < 5)
		return 0;
	a = get16(q + 1);
	n = get16(q + 3);
	switch (q[0]) {
	case 0x01:
	case 0x02:
		if (rl < 2 + (n + 7) / 8 || r[1] != (n + 7) / 8)
			return 0;
		for (uint32_t i = 0; i < n && !rc; i++)
			rc = observe(u, q[0] == 1 ? CFG_COILS : CFG_DISCRETE_INPUTS, a + i,
				     (uint16_t)bit(r + 2, i), e->t_ns);
		return rc;
	case 0x03:
	case 0x04:
		if (rl < 2 + 2 * n || r[1] != 2 * n)
			return 0;
		for (uint32_t i = 0; i < n && !rc; i++)
			rc = observe(u, q[0] == 3 ? CFG_HOLDING_REGISTERS : CFG_INPUT_REGISTERS, a + i,
				     (uint16_t)get16(r + 2 + 2 * i), e->t_ns);
		return rc;
	case 0x05:
		return wrote(u, CFG_COILS, a, n == 0xFF00, e->t_ns);
	case 0x06:
		return wrote(u, CFG_HOLDING_REGISTERS, a, (uint16_t)n, e->t_ns);
	case 0x0F:
		for (uint32_t i = 0; i < n && ql >= 6 + (n + 7) / 8 && !rc; i++)
			rc = wrote(u, CFG_COILS, a + i, (uint16_t)bit(q + 6, i), e->t_ns);
		return rc;
	case 0x10:
		for (uint32_t i = 0; i < n && ql >= 6 + 2 * n && !rc; i++)
			rc = wrote(u, CFG_HOLDING_REGISTERS, a + i, (uint16_t)get16(q + 6 + 2 * i),
				   e->t_ns);
		return rc;
	case 0x16: {
		struct ltable *tb = &u->tab[CFG_HOLDING_REGISTERS];
		uint32_t and_mask, or_mask;

		if (ql < 7 || table_ready(tb) < 0)
			return ql < 7 ? 0 : -1;
		and_mask = get16(q + 3);
		or_mask = get16(q + 5);
		if (!(tb->flags[a] & E_KNOWN)) {
			tb->flags[a] |= E_PRESENT; /* present, its value still unknown */
			return 0;
		}
		return wrote(u, CFG_HOLDING_REGISTERS, a,
			     (uint16_t)((tb->cur[a] & and_mask) | (or_mask & ~and_mask)), e->t_ns);
	}
	case 0x17: {
		uint32_t wa, wn;

		if (ql < 10)
			return 0;
		wa = get16(q + 5);
		wn = get16(q + 7);
		/* MAP 6.17: the write is done before the read. */
		for (uint32_t i = 0; i < wn && ql >= 10 + 2 * wn && !rc; i++)
			rc = wrote(u, CFG_HOLDING_REGISTERS, wa + i, (uint16_t)get16(q + 10 + 2 * i),
				   e->t_ns);
		if (rl < 2 + 2 * n || r[1] != 2 * n)
			return rc;
		for (uint32_t i = 0; i < n && !rc; i++)
			rc = observe(u, CFG_HOLDING_REGISTERS, a + i, (uint16_t)get16(r + 2 + 2 * i),
				     e->t_ns);
		return rc;
	}
	}
	return 0;
}

/* Read Device Identification (MAP 6.21): the objects a response lists. */
static void learn_identity(struct ex *e)
{
	const uint8_t *r = e->r + 7;
	uint32_t rl = e->rlen - 7, pos = 7, n;

	if (e->qlen < 11 || e->q[7] != 0x2B || e->q[8] != 0x0E || rl < 7 || r[0] != 0x2B ||
	    r[1] != 0x0E)
		return;
	n = r[6];
	for (uint32_t i = 0; i < n && pos + 2 <= rl && pos + 2 + r[pos + 1] <= rl; i++) {
		uint8_t id = r[pos], len = r[pos + 1];

		if (len <= MB_ID_OBJECT_MAX) {
			memcpy(e->u->id_bytes[id], r + pos + 2, len);
			e->u->ids[id].value = e->u->id_bytes[id];
			e->u->ids[id].len = len;
			e->u->has_ids = 1;
		}
		pos += 2u + len;
	}
}

/* A table's learned range: from its lowest to its highest entry seen. */
static void place_table(struct learn *L, struct lunit *u, enum cfg_table_id id,
			struct cfg_table *t)
{
	static const char *const names[] = { "coils", "discrete inputs", "holding registers",
					     "input registers" };
	struct ltable *tb = &u->tab[id];
	uint32_t lo = ENTRIES, hi = 0, unread = 0;
	char s[16];

	memset(t, 0, sizeof(*t));
	for (uint32_t a = 0; tb->flags && a < ENTRIES; a++)
		if (tb->flags[a] & E_PRESENT) {
			lo = a < lo ? a : lo;
			hi = a;
		}
	if (lo == ENTRIES)
		return;
	t->start = lo;
	t->count = hi - lo + 1;
	t->init = CFG_INIT_LIST;
	t->list = calloc(t->count, sizeof(*t->list));
	t->n_list = t->list ? t->count : 0;
	for (uint32_t a = lo; a <= hi; a++) {
		if (t->list && (tb->flags[a] & E_INIT))
			t->list[a - lo] = tb->init[a];
		unread += !(tb->flags[a] & E_INIT);
	}
	ip_str(u->server, s, sizeof(s));
	if (unread)
		note(L,
		     "%s unit %u: %u of %s %u-%u were never read before a write or at all: "
		     "initial value 0",
		     s, u->id, unread, names[id], lo, hi);
	note(L,
	     "%s unit %u: %s %u-%u as the capture shows them; whether the device has more "
	     "cannot be told (outside: exception 02)",
	     s, u->id, names[id], lo, hi);
}

static int step_order(const void *a, const void *b)
{
	const struct step *x = a, *y = b;

	if (x->address != y->address)
		return x->address < y->address ? -1 : 1;
	return x->at_ns < y->at_ns ? -1 : x->at_ns > y->at_ns;
}

/* Each entry with steps becomes a sequence: its initial value at 0 would
 * be the table's; the steps follow. */
static int place_sequences(struct lunit *u, struct cfg_unit *cu)
{
	for (int id = 0; id < CFG_TABLES; id++) {
		struct ltable *tb = &u->tab[id];

		if (tb->n_steps)
			qsort(tb->steps, tb->n_steps, sizeof(*tb->steps), step_order);
		for (uint32_t i = 0; i < tb->n_steps;) {
			uint32_t j = i;
			struct cfg_seq *grown, *q;

			while (j < tb->n_steps && tb->steps[j].address == tb->steps[i].address)
				j++;
			grown = realloc(cu->seqs, (cu->n_seqs + 1) * sizeof(*grown));
			if (!grown)
				return -1;
			cu->seqs = grown;
			q = &cu->seqs[cu->n_seqs++];
			q->table = (enum cfg_table_id)id;
			q->address = tb->steps[i].address;
			q->n_steps = 0;
			q->steps = calloc(j - i, sizeof(*q->steps));
			if (!q->steps)
				return -1;
			for (uint32_t k = i; k < j; k++) {
				/* Two changes in one interval: the later wins. */
				if (q->n_steps && q->steps[q->n_steps - 1].at_ns >= tb->steps[k].at_ns)
					q->n_steps--;
				q->steps[q->n_steps].at_ns = tb->steps[k].at_ns;
				q->steps[q->n_steps++].value = tb->steps[k].value;
			}
			i = j;
		}
	}
	return 0;
}

/* The objects the answers listed. The basic ones are mandatory in a model
 * (MAP 6.21): one the capture never showed is empty there; objects 07-7F
 * have no key in the file. */
static void place_identity(struct learn *L, struct lunit *u, struct cfg_unit *cu)
{
	static const char *const basic[] = { "vendor_name", "product_code", "revision" };
	char s[16];

	ip_str(u->server, s, sizeof(s));
	memcpy(cu->id_objects, u->ids, sizeof(cu->id_objects));
	for (uint32_t id = 0; id < 3; id++)
		if (!cu->id_objects[id].value) {
			cu->id_objects[id].value = (const uint8_t *)"";
			note(L, "%s unit %u: identification object %s not in the capture: empty", s,
			     u->id, basic[id]);
		}
	for (uint32_t id = 7; id < 0x80; id++)
		if (cu->id_objects[id].value)
			note(L, "%s unit %u: identification object 0x%02X (reserved, MAP 6.21) has no "
				"place in the model file: left out",
			     s, u->id, id);
}

static int only_0b(const struct lunit *u)
{
	return u->gateway_failed && u->gateway_failed == u->answered;
}

/* The model of everything learned so far, rules included. */
static int build_model(struct learn *L, struct cfg_model *m)
{
	uint32_t n_servers = 0;

	memset(m, 0, sizeof(*m));
	m->file = L->o->model;
	m->servers = calloc(L->n_units ? L->n_units : 1, sizeof(*m->servers));
	if (!m->servers)
		return -1;
	for (uint32_t i = 0; i < L->n_units; i++) {
		struct lunit *u = L->units[i];
		struct cfg_server *s = NULL;
		struct cfg_unit *cu;

		/* A unit that only ever answered 0B is one the server does not
		 * have: the server's unknown unit answer says so (if the server
		 * keeps another unit). */
		if (only_0b(u)) {
			int other = 0;

			for (uint32_t k = 0; k < L->n_units; k++)
				other |= L->units[k]->server == u->server && !only_0b(L->units[k]);
			if (other) {
				u->kept = 0;
				continue;
			}
		}
		for (uint32_t k = 0; k < n_servers; k++)
			if (m->servers[k].first_addr == u->server)
				s = &m->servers[k];
		if (!s) {
			s = &m->servers[n_servers++];
			s->first_addr = s->last_addr = u->server;
			s->own_unit = CFG_OWN_UNIT_LOWEST;
			s->units = calloc(L->n_units, sizeof(*s->units));
			if (!s->units)
				return -1;
		}
		cu = &s->units[s->n_units++];
		cu->first_id = cu->last_id = u->id;
		if (u->own)
			s->own_unit = u->id;
		if (u->has_ids)
			place_identity(L, u, cu);
		for (int t = 0; t < CFG_TABLES; t++)
			place_table(L, u, (enum cfg_table_id)t, &cu->table[t]);
		memcpy(cu->fc_disabled, u->fc_off, sizeof(cu->fc_disabled));
		cu->rules = u->rules;
		cu->n_rules = u->n_rules;
		if (place_sequences(u, cu) < 0)
			return -1;
		u->kept = 1;
		u->n_seqs = cu->n_seqs;
	}
	m->n_servers = n_servers;
	return 0;
}

/* config_free() frees all but the rules, which are the units' (lunit). */
static void free_model(struct cfg_model *m)
{
	for (uint32_t i = 0; i < m->n_servers; i++)
		for (uint32_t u = 0; u < m->servers[i].n_units; u++)
			m->servers[i].units[u].rules = NULL;
	config_free(m);
}

/* Writes the model of what is learned so far into the output file. */
static int write_model(struct learn *L, char *err, size_t errlen)
{
	struct cfg_model m;
	char header[1024];
	FILE *f;
	int fd, rc;

	for (uint32_t i = 0; i < L->n_notes; i++)
		free(L->notes[i]);
	L->n_notes = 0;
	if (build_model(L, &m) < 0) {
		free_model(&m);
		snprintf(err, errlen, "out of memory for the model");
		return -1;
	}
	snprintf(header, sizeof(header),
		 "Learned by mbxdp-replay --learn from %s: the device that capture shows.\n"
		 "Times are seconds since the unit's first request (docs/usage.md).",
		 L->o->capture);
	fd = dup(L->fd);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f || ftruncate(L->fd, 0) < 0 || lseek(L->fd, 0, SEEK_SET) < 0) {
		snprintf(err, errlen, "%s: %s", L->o->model, strerror(errno));
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		free_model(&m);
		return -1;
	}
	rc = model_write_yaml(f, &m, header);
	if (fclose(f) || rc < 0) {
		snprintf(err, errlen, "%s: cannot write it: %s", L->o->model, strerror(errno));
		rc = -1;
	}
	free_model(&m);
	return rc;
}

/* Runs every request through mbxdp's Modbus layer on the model file as
 * written, at the captured times, each flow a connection of its own, and
 * notes for each whether it answers as the captured device did. */
static int simulate(struct learn *L, uint32_t *same, uint32_t *compared, char *err,
		    size_t errlen)
{
	struct devmodel d;
	struct mb_ctx ctx;
	struct mb_peer *peers;
	uint8_t *opened;
	uint64_t now = 0;

	memset(&ctx, 0, sizeof(ctx));
	if (devmodel_load(&d, L->o->model, NULL, err, errlen) < 0)
		return -1;
	peers = calloc(L->cap->n_flows ? L->cap->n_flows : 1, sizeof(*peers));
	opened = calloc(L->cap->n_flows ? L->cap->n_flows : 1, 1);
	if (!peers || !opened) {
		free(peers);
		free(opened);
		devmodel_free(&d);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ctx.model = &d.model;
	ctx.clock = &now;
	*same = *compared = 0;
	for (uint32_t i = 0; i < L->n_ex; i++) {
		struct ex *e = &L->ex[i];

		if (!opened[e->flow]) {
			peers[e->flow] = mb_model_peer(&d.model, htonl(e->server), htonl(e->client));
			opened[e->flow] = 1;
		}
		now = e->t_ns;
		e->nlen = mb_handle_adu(&ctx, &peers[e->flow], e->q, e->qlen, e->native);
		if (e->r)
			e->same = e->nlen == e->rlen && !memcmp(e->native, e->r, e->rlen);
		else
			e->same = !e->silent || e->nlen == 0;
		if (e->r || e->silent) {
			(*compared)++;
			*same += (uint32_t)e->same;
		}
	}
	free(peers);
	free(opened);
	devmodel_free(&d);
	return 0;
}

static int data_function(uint8_t fc)
{
	return (fc >= 0x01 && fc <= 0x06) || fc == 0x0F || fc == 0x10 || fc == 0x16 || fc == 0x17;
}

/* Functions mbxdp serves (stack/modbus/modbus_pdu.c): one the device answers
 * with exception 01 alone is switched off there. */
static int served(uint8_t fc)
{
	static const uint8_t fcs[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0B, 0x0C,
				       0x0F, 0x10, 0x11, 0x14, 0x15, 0x16, 0x17, 0x18, 0x2B };

	for (uint32_t i = 0; i < sizeof(fcs); i++)
		if (fcs[i] == fc)
			return 1;
	return 0;
}

/* What a rule matches a request on: its function, the sub-function or
 * MEI type, the start address of a data function. */
struct key {
	uint8_t fc;
	uint32_t sub;
	int32_t addr; /* -1: any */
};

static struct key key_of(const struct ex *e)
{
	struct key k = { .fc = e->q[7], .sub = MB_RULE_ANY_SUB, .addr = -1 };

	if (k.fc == 0x08 && e->qlen >= 10)
		k.sub = get16(e->q + 8);
	else if (k.fc == 0x2B && e->qlen >= 9)
		k.sub = e->q[8];
	else if (data_function(k.fc) && e->qlen >= 10)
		k.addr = (int32_t)get16(e->q + 8);
	return k;
}

static int same_key(struct key a, struct key b)
{
	return a.fc == b.fc && a.sub == b.sub && a.addr == b.addr;
}

/* Whether two requests got the same answer from the captured device. */
static int same_outcome(const struct ex *a, const struct ex *b)
{
	if (!a->r || !b->r)
		return !a->r && !b->r;
	return a->rlen == b->rlen && !memcmp(a->r + 7, b->r + 7, a->rlen - 7);
}

/* A rule can say what the captured device did: an exception, silence,
 * or a fixed answer to a function the tables do not answer. */
static int ruleable(const struct ex *e)
{
	if (e->q[7] == 0 || e->q[7] > 0x7F)
		return 0; /* no function code (MAP 4.1): mbxdp answers 01 */
	if (!e->r)
		return e->silent;
	if (e->rlen >= 9 && (e->r[7] & 0x80))
		return e->r[8] != 0; /* MAP 7 has no exception 00 */
	return !data_function(e->q[7]) && e->rlen >= 8 && e->rlen - 8 <= MBAP_LEN_MAX - 2;
}

static int add_rule(struct lunit *u, const struct ex *e, struct key k, uint64_t from,
		    uint64_t until)
{
	struct mb_rule *grown = realloc(u->rules, (u->n_rules + 1) * sizeof(*grown)), *r;

	if (!grown)
		return -1;
	u->rules = grown;
	r = &u->rules[u->n_rules++];
	memset(r, 0, sizeof(*r));
	r->function = k.fc;
	r->sub = k.sub;
	r->first = k.addr < 0 ? 0 : (uint16_t)k.addr;
	r->last = k.addr < 0 ? 0xFFFF : (uint16_t)k.addr;
	r->from_ns = from;
	r->until_ns = until;
	if (!e->r) {
		r->action = MB_RULE_SILENCE;
	} else if (e->r[7] & 0x80) {
		r->action = MB_RULE_EXCEPTION;
		r->exception = e->r[8];
	} else {
		r->action = MB_RULE_ANSWER;
		r->answer = e->r + 8; /* the capture outlives the model */
		r->answer_len = (uint8_t)(e->rlen - 8);
	}
	return 0;
}

/* For a request answered otherwise than the captured device did: rules
 * for its key, one per run of equal captured answers that mbxdp does not
 * give, each in force from halfway after the previous run to halfway
 * before the next. A function the device refused with 01 every time is
 * switched off instead. */
static int rules_for(struct learn *L, struct ex *e, uint8_t *done)
{
	struct lunit *u = e->u;
	struct key k = key_of(e);
	uint32_t first = UINT32_MAX, all01 = 1, prev_last = UINT32_MAX;

	for (uint32_t i = 0; i < L->n_ex; i++) {
		const struct ex *x = &L->ex[i];

		if (x->u != u || x->q[7] != e->q[7] || (!x->r && !x->silent))
			continue;
		all01 &= x->r && x->rlen >= 9 && (x->r[7] & 0x80) && x->r[8] == 0x01;
	}
	if (all01 && served(e->q[7])) {
		u->fc_off[e->q[7] >> 3] |= (uint8_t)(1u << (e->q[7] & 7));
		for (uint32_t i = 0; i < L->n_ex; i++)
			if (L->ex[i].u == u && L->ex[i].q[7] == e->q[7])
				done[i] = 1;
		return 0;
	}
	for (uint32_t i = 0; i <= L->n_ex; i++) {
		const struct ex *x = i < L->n_ex ? &L->ex[i] : NULL;
		int differs = 0;
		uint32_t last = UINT32_MAX, next = UINT32_MAX;

		if (x && (x->u != u || !same_key(key_of(x), k) || (!x->r && !x->silent)))
			continue;
		if (x && first == UINT32_MAX) {
			first = i;
			continue;
		}
		if (x && same_outcome(x, &L->ex[first]))
			continue;
		/* The run first..before i ends here. */
		next = x ? i : UINT32_MAX;
		for (uint32_t j = first; j < (x ? i : L->n_ex); j++) {
			const struct ex *y = &L->ex[j];

			if (y->u != u || !same_key(key_of(y), k) || (!y->r && !y->silent))
				continue;
			done[j] = 1;
			differs |= !y->same;
			last = j;
		}
		if (differs && ruleable(&L->ex[first])) {
			uint64_t from = prev_last == UINT32_MAX ?
						0 :
						L->ex[prev_last].t_ns +
							(L->ex[first].t_ns - L->ex[prev_last].t_ns) / 2 -
							u->first_ns;
			uint64_t until = next == UINT32_MAX ?
						 MB_TIME_NEVER :
						 L->ex[last].t_ns + (L->ex[next].t_ns - L->ex[last].t_ns) / 2 -
							 u->first_ns;

			if (from >= until)
				until = from + 1;
			if (add_rule(u, &L->ex[first], k, from, until) < 0)
				return -1;
		}
		prev_last = last;
		first = next;
	}
	return 0;
}

static int add_rules(struct learn *L, uint32_t *added)
{
	uint8_t *done = calloc(L->n_ex ? L->n_ex : 1, 1);

	if (!done)
		return -1;
	*added = 0;
	for (uint32_t i = 0; i < L->n_units; i++)
		L->units[i]->held = 0;
	for (uint32_t i = 0; i < L->n_ex; i++) {
		struct ex *e = &L->ex[i];
		uint32_t before = e->u->n_rules;
		uint8_t off = e->u->fc_off[e->q[7] >> 3];

		if (e->same || done[i] || !e->u->kept || e->u->held)
			continue;
		if (rules_for(L, e, done) < 0) {
			free(done);
			return -1;
		}
		*added += e->u->n_rules - before + (off != e->u->fc_off[e->q[7] >> 3]);
		/* Unanswered where the device answered: the unit may be in
		 * listen only mode from here on, which this rule may undo; what
		 * follows is judged on the next round. */
		if (e->r && !e->nlen)
			e->u->held = 1;
	}
	free(done);
	return 0;
}

/* Why mbxdp on the model still answers a request otherwise. */
static const char *why(const struct ex *e)
{
	if (e->q[7] == 0 || e->q[7] > 0x7F)
		return "no function code (0 or above 0x7F): mbxdp answers exception 01, no rule can say otherwise";
	if (!e->u->kept)
		return "its unit answered only exception 0B: the model has no such unit";
	if (e->r && data_function(e->q[7]) && !(e->r[7] & 0x80))
		return "the values differ: a change the capture does not time";
	if (!e->r)
		return "the captured device did not answer; the model does";
	if (!e->nlen)
		return "the model does not answer (listen only mode, or a rule)";
	return "an answer no rule of the model gives";
}

/* Whether the segment that completed e's request goes on with bytes the
 * MBAP framing refuses: mbxdp resets the connection then, answer or not. */
static int reset_after(const struct rp_capture *cap, const struct ex *e)
{
	const struct rp_stream *c = &cap->flows[e->flow].c;

	if (c->unframed_at == UINT32_MAX)
		return 0;
	for (uint32_t k = 0; k < c->n_segs; k++)
		if (c->segs[k].off <= c->unframed_at && c->unframed_at < c->segs[k].off + c->segs[k].len)
			return c->segs[k].pkt == e->pkt;
	return 0;
}

static void report(struct learn *L, uint32_t same, uint32_t compared, uint32_t rounds)
{
	FILE *out = L->rep;
	uint32_t servers = 0, units = 0, rules = 0, seqs = 0, answered = 0;
	char s[16];

	for (uint32_t i = 0; i < L->n_units; i++) {
		struct lunit *u = L->units[i];
		int first = 1;

		for (uint32_t k = 0; k < i; k++)
			first &= L->units[k]->server != u->server;
		servers += (uint32_t)first;
		if (!u->kept)
			continue;
		units++;
		rules += u->n_rules;
		seqs += u->n_seqs;
	}
	for (uint32_t i = 0; i < L->n_ex; i++)
		answered += L->ex[i].r != NULL;
	fprintf(out, "learned %s from %s: %u requests (%u answered in the capture), %u servers, "
		     "%u units, %u rules, %u sequences (%u rounds)\n",
		L->o->model, L->o->capture, L->n_ex, answered, servers, units, rules, seqs, rounds);
	for (uint32_t i = 0; i < L->n_ex; i++)
		if (!L->ex[i].r && !L->ex[i].silent)
			fprintf(out, "  packet %u: the capture ends before any answer: not learned\n",
				L->ex[i].pkt);
	for (uint32_t i = 0; i < L->n_left_out; i++)
		fprintf(out, "  %s\n", L->left_out[i]);
	fprintf(out, "not inferred (the model's choice):\n");
	for (uint32_t i = 0; i < L->n_units; i++)
		if (!L->units[i]->kept && L->units[i]->requests) {
			ip_str(L->units[i]->server, s, sizeof(s));
			fprintf(out, "  %s unit %u: only exception 0B: not a unit of the model\n", s,
				L->units[i]->id);
		}
	for (uint32_t i = 0; i < L->n_notes; i++)
		fprintf(out, "  %s\n", L->notes[i]);
	fprintf(out, "  unit ids the capture does not show: exception 0B (unknown_unit: exception)\n");
	fprintf(out, "check: mbxdp on the model answers %u of %u requests as the captured device did (%.1f %%)\n",
		same, compared, compared ? 100.0 * same / compared : 100.0);
	for (uint32_t i = 0; i < L->n_ex; i++) {
		const struct ex *e = &L->ex[i];

		if (e->same && e->r && reset_after(L->cap, e)) {
			ip_str(e->server, s, sizeof(s));
			fprintf(out, "  differs: packet %u (%s unit %u fc 0x%02X): its segment goes on with "
				     "bytes that are not Modbus; mbxdp resets the connection on them (MIG "
				     "3.1.3), and the answer is lost\n",
				e->pkt, s, e->q[6], e->q[7]);
		}
	}
	for (uint32_t i = 0; i < L->n_ex; i++) {
		const struct ex *e = &L->ex[i];

		if (!e->same && (e->r || e->silent)) {
			ip_str(e->server, s, sizeof(s));
			fprintf(out, "  differs: packet %u (%s unit %u fc 0x%02X): %s\n", e->pkt, s,
				e->q[6], e->q[7], why(e));
		}
	}
}

/* O_EXCL unless forced; never through a symbolic link. */
static int open_model(const struct learn_options *o, char *err, size_t errlen)
{
	int fd = open(o->model, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (o->force ? 0 : O_EXCL),
		      0644);

	if (fd < 0)
		snprintf(err, errlen, "%s: %s%s", o->model, strerror(errno),
			 errno == EEXIST ? " (--force replaces it)" :
			 errno == ELOOP	 ? " (a symbolic link: refused)" :
					   "");
	return fd;
}

static void learn_free(struct learn *L)
{
	for (uint32_t i = 0; i < L->n_units; i++) {
		struct lunit *u = L->units[i];

		for (int t = 0; t < CFG_TABLES; t++) {
			free(u->tab[t].flags);
			free(u->tab[t].cur);
			free(u->tab[t].init);
			free(u->tab[t].seen_ns);
			free(u->tab[t].steps);
		}
		free(u->rules);
		free(u);
	}
	free(L->units);
	for (uint32_t i = 0; i < L->n_notes; i++)
		free(L->notes[i]);
	free(L->notes);
	for (uint32_t i = 0; i < L->n_left_out; i++)
		free(L->left_out[i]);
	free(L->left_out);
	free(L->ex);
	if (L->fd >= 0)
		close(L->fd);
}

int rp_learn(const struct rp_capture *cap, const struct learn_options *o, FILE *rep, char *err,
	     size_t errlen)
{
	struct learn L = { .cap = cap, .o = o, .rep = rep, .fd = -1 };
	uint32_t same = 0, compared = 0, added = 1, rounds = 0;
	int rc = -1;

	if (collect(&L) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!L.n_ex && L.v6_requests) {
		snprintf(err, errlen, "%s: its %u requests are over IPv6, and --learn writes IPv4 "
			 "servers only: nothing to learn", o->capture, L.v6_requests);
		goto out;
	}
	if (!L.n_ex) {
		snprintf(err, errlen, "%s: no Modbus request to port %u: nothing to learn", o->capture,
			 cap->n_flows ? cap->flows[0].server_port : 502);
		goto out;
	}
	for (uint32_t i = 0; i < L.n_ex; i++) {
		if (!L.ex[i].r || L.ex[i].rlen < 9)
			continue;
		if (learn_data(&L.ex[i]) < 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		learn_identity(&L.ex[i]);
	}
	L.fd = open_model(o, err, errlen);
	if (L.fd < 0)
		goto out;
	while (added && rounds < ROUNDS) {
		if (write_model(&L, err, errlen) < 0 || simulate(&L, &same, &compared, err, errlen) < 0)
			goto out;
		rounds++;
		if (add_rules(&L, &added) < 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	if (added && (write_model(&L, err, errlen) < 0 ||
		      simulate(&L, &same, &compared, err, errlen) < 0))
		goto out;
	if (!o->quiet)
		report(&L, same, compared, rounds);
	rc = 0;
out:
	learn_free(&L);
	return rc;
}
