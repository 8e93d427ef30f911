/* Reads the device model file (config.h) with libfyaml: servers, units and
 * their tables (a unit's rules and sequences: config_script.c). Every
 * problem is reported as "FILE:LINE: what is wrong", the line being the one
 * of the offending key or value, and nothing of a bad file is kept. */
#include "config.h"
#include "config_parse.h"
#include "default_image.h"
#include "ip_prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "N" or "N-M" within min..max. */
static int number_range(struct parse *p, struct fy_node *n, const char *what, uint32_t min,
			uint32_t max, uint32_t *first, uint32_t *last)
{
	char buf[64], *dash, *end1, *end2;
	unsigned long a, b;

	if (!text(p, n, what, buf, sizeof(buf)))
		return -1;
	dash = strchr(buf, '-');
	errno = 0;
	a = strtoul(buf, &end1, 0);
	b = dash ? strtoul(dash + 1, &end2, 0) : a;
	if (errno || buf[0] == '\0' || buf[0] == '-' || (dash ? end1 != dash || *end2 : *end1) ||
	    a < min || b > max || a > b)
		return fail(p, n, "%s must be a number or a range N-M within %u..%u, not '%s'", what,
			    min, max, buf);
	*first = (uint32_t)a;
	*last = (uint32_t)b;
	return 0;
}

/* One address of a server (ip_prefix.h's syntax, no length). */
static int one_address(struct parse *p, struct fy_node *at, const char *s, struct ip_prefix *a)
{
	const char *why = strchr(s, '/') ? "a server's address is an address, not a prefix" :
					   ip_prefix_parse(s, a);

	if (!why && a->family == AF_INET6)
		why = ip6_unicast_problem(a->addr.v6);
	if (why)
		return fail(p, at, "address '%s': %s", s, why);
	return 0;
}

/* "A" or "A-B" of one family: servers on every address from A to B. An
 * IPv6 range counts in its last 32 bits alone, as an IPv4 one does. */
static int address_range(struct parse *p, struct fy_node *n, struct cfg_server *s)
{
	char buf[128], *dash;
	const char *last;
	struct ip_prefix a, b;

	if (!text(p, n, "address", buf, sizeof(buf)))
		return -1;
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	last = dash ? dash + 1 : buf;
	if (one_address(p, n, buf, &a) < 0 || one_address(p, n, last, &b) < 0)
		return -1;
	if (a.family != b.family)
		return fail(p, n, "address range %s-%s mixes IPv4 and IPv6", buf, last);
	if (a.family == AF_INET) {
		if (s->first_addr)
			return fail(p, n, "a server has one IPv4 address or range, not two");
		s->first_addr = ntohl(a.addr.v4);
		s->last_addr = ntohl(b.addr.v4);
		if (s->first_addr == 0 || s->last_addr < s->first_addr)
			return fail(p, n, "address range %s-%s is empty or starts at 0.0.0.0", buf, last);
		return 0;
	}
	if (s->n6)
		return fail(p, n, "a server has one IPv6 address or range, not two");
	if (memcmp(a.addr.v6, b.addr.v6, 12))
		return fail(p, n, "IPv6 address range %s-%s: its ends may differ in the last 32 bits only",
			    buf, last);
	{
		uint32_t lo, hi;

		memcpy(&lo, a.addr.v6 + 12, 4);
		memcpy(&hi, b.addr.v6 + 12, 4);
		if (ntohl(hi) < ntohl(lo))
			return fail(p, n, "address range %s-%s is empty", buf, last);
		memcpy(s->first6, a.addr.v6, 16);
		s->n6 = (uint64_t)ntohl(hi) - ntohl(lo) + 1;
	}
	return 0;
}

/* address: "A", "A-B", or a list of one of each family (dual stack: the
 * k-th server of the entry on the k-th address of each). Errors of the
 * list as a whole are the key's (an empty flow list has no line). */
static int addresses(struct parse *p, struct fy_node *key, struct fy_node *n, struct cfg_server *s)
{
	void *it = NULL;
	struct fy_node *item;

	if (!fy_node_is_sequence(n))
		return address_range(p, n, s);
	if (fy_node_sequence_item_count(n) < 1 || fy_node_sequence_item_count(n) > 2)
		return fail(p, key, "address as a list holds one address or range of each family, e.g. "
				  "[198.18.0.5, 2001:2::5]");
	while ((item = fy_node_sequence_iterate(n, &it)))
		if (address_range(p, item, s) < 0)
			return -1;
	if (s->first_addr && s->n6 && (uint64_t)s->last_addr - s->first_addr + 1 != s->n6)
		return fail(p, key, "the IPv4 and IPv6 ranges hold %llu and %llu addresses; a server "
				  "answers on the k-th of each, so they must hold as many",
			    (unsigned long long)s->last_addr - s->first_addr + 1,
			    (unsigned long long)s->n6);
	return 0;
}

/* ip_prefix.h's syntax; bits beyond the length are cleared. */
static int cidr(struct parse *p, struct fy_node *n, struct ip_prefix *pfx)
{
	char buf[128];
	const char *why;

	if (!text(p, n, "CIDR", buf, sizeof(buf)))
		return -1;
	why = ip_prefix_parse(buf, pfx);
	if (why)
		return fail(p, n, "'%s': %s", buf, why);
	ip_prefix_clear_host(pfx);
	return 0;
}

/* A list of prefixes of either family, each into its family's list. */
static int cidr_list(struct parse *p, struct fy_node *n, const char *what, struct mb_cidr *out,
		     uint8_t *count, struct mb_cidr6 *out6, uint8_t *count6)
{
	void *it = NULL;
	struct fy_node *item;
	struct ip_prefix pfx;

	if (!fy_node_is_sequence(n))
		return fail(p, n, "%s must be a list of CIDRs", what);
	while ((item = fy_node_sequence_iterate(n, &it))) {
		if (cidr(p, item, &pfx) < 0)
			return -1;
		if ((pfx.family == AF_INET ? *count : *count6) == MB_CIDRS_MAX)
			return fail(p, item, "at most %d %s entries in %s", MB_CIDRS_MAX,
				    pfx.family == AF_INET ? "IPv4" : "IPv6", what);
		if (pfx.family == AF_INET) {
			out[*count].mask = ip_prefix_mask4(pfx.len);
			out[(*count)++].addr = pfx.addr.v4;
		} else {
			memcpy(out6[*count6].addr, pfx.addr.v6, 16);
			out6[(*count6)++].len = pfx.len;
		}
	}
	return 0;
}

static int function_list(struct parse *p, struct fy_node *n, uint8_t *disabled)
{
	void *it = NULL;
	struct fy_node *item;
	uint32_t fc;

	if (!fy_node_is_sequence(n))
		return fail(p, n, "disabled_functions must be a list of function codes");
	while ((item = fy_node_sequence_iterate(n, &it))) {
		if (number(p, item, "a function code", 1, 127, &fc) < 0)
			return -1;
		disabled[fc >> 3] |= (uint8_t)(1u << (fc & 7));
	}
	return 0;
}

/* protect: [[first, last], addr, ...] */
static int protect_list(struct parse *p, struct fy_node *n, struct cfg_table *t)
{
	void *it = NULL;
	struct fy_node *item;

	if (!fy_node_is_sequence(n))
		return fail(p, n, "protect must be a list of addresses or [first, last] pairs");
	while ((item = fy_node_sequence_iterate(n, &it))) {
		uint32_t first, last;

		if (t->n_protect == MB_PROTECT_MAX)
			return fail(p, item, "at most %d protected ranges per table", MB_PROTECT_MAX);
		if (fy_node_is_sequence(item) && fy_node_sequence_item_count(item) == 2) {
			if (number(p, fy_node_sequence_get_by_index(item, 0), "a protected address", 0,
				   65535, &first) < 0 ||
			    number(p, fy_node_sequence_get_by_index(item, 1), "a protected address",
				   first, 65535, &last) < 0)
				return -1;
		} else if (number(p, item, "a protected address", 0, 65535, &first) < 0) {
			return -1;
		} else {
			last = first;
		}
		t->protect[t->n_protect].first = (uint16_t)first;
		t->protect[t->n_protect].last = (uint16_t)last;
		t->n_protect++;
	}
	return 0;
}

static int init_values(struct parse *p, struct fy_node *n, struct cfg_table *t)
{
	char buf[16];
	uint32_t v;

	if (fy_node_is_sequence(n)) {
		void *it = NULL;
		struct fy_node *item;

		t->n_list = (uint32_t)fy_node_sequence_item_count(n);
		t->list = calloc(t->n_list ? t->n_list : 1, sizeof(*t->list));
		if (!t->list)
			return fail(p, n, "out of memory");
		t->init = CFG_INIT_LIST;
		for (uint32_t i = 0; (item = fy_node_sequence_iterate(n, &it)); i++) {
			if (number(p, item, "an initial value", 0, 65535, &v) < 0)
				return -1;
			t->list[i] = (uint16_t)v;
		}
		return 0;
	}
	if (fy_node_is_scalar(n) && text(p, n, "init", buf, sizeof(buf)) && !strcmp(buf, "address")) {
		t->init = CFG_INIT_ADDRESS;
		return 0;
	}
	if (number(p, n, "init (a value, a list of values, or 'address')", 0, 65535, &v) < 0)
		return -1;
	t->init = CFG_INIT_VALUE;
	t->value = (uint16_t)v;
	return 0;
}

static int table(struct parse *p, struct fy_node *n, enum cfg_table_id id, struct cfg_table *t)
{
	void *it = NULL;
	struct fy_node_pair *pair;
	char key[32];

	if (!fy_node_is_mapping(n))
		return fail(p, n, "%s must be a mapping (start, count, init, protect)", cfg_table_names[id]);
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);

		if (!text(p, k, "a key", key, sizeof(key)))
			return -1;
		if (!strcmp(key, "start")) {
			if (number(p, v, "start", 0, 65535, &t->start) < 0)
				return -1;
		} else if (!strcmp(key, "count")) {
			if (number(p, v, "count", 0, 65536, &t->count) < 0)
				return -1;
		} else if (!strcmp(key, "init")) {
			if (init_values(p, v, t) < 0)
				return -1;
		} else if (!strcmp(key, "protect") &&
			   (id == CFG_COILS || id == CFG_HOLDING_REGISTERS)) {
			if (protect_list(p, v, t) < 0)
				return -1;
		} else {
			return fail(p, k, "unknown key '%s' in %s (start, count, init%s)", key,
				    cfg_table_names[id],
				    id == CFG_COILS || id == CFG_HOLDING_REGISTERS ? ", protect" : "");
		}
	}
	if (t->start + t->count > 65536)
		return fail(p, n, "%s: start %u + count %u runs past address 65535", cfg_table_names[id],
			    t->start, t->count);
	if (t->init == CFG_INIT_LIST && t->n_list > t->count)
		return fail(p, n, "%s: %u initial values for %u entries", cfg_table_names[id], t->n_list,
			    t->count);
	return 0;
}

/* MAP 6.21 object ids by name; others by number (0x80-0xFF private). */
static const char *const id_names[] = {
	"vendor_name",	"product_code", "revision",		     "vendor_url",
	"product_name", "model_name",	"user_application_name",
};

static int keep_string(struct parse *p, struct fy_node *n, const char *s, size_t len,
		       struct mb_id_object *o)
{
	char **grown = realloc(p->m->strings, (p->m->n_strings + 1) * sizeof(*grown));
	char *copy = len ? strndup(s, len) : NULL;

	if (!grown || (len && !copy)) {
		free(copy);
		if (grown)
			p->m->strings = grown;
		return fail(p, n, "out of memory");
	}
	p->m->strings = grown;
	p->m->strings[p->m->n_strings++] = copy;
	o->value = (const uint8_t *)(copy ? copy : "");
	o->len = (uint8_t)len;
	return 0;
}

static int identity(struct parse *p, struct fy_node *n, struct cfg_unit *u)
{
	void *it = NULL;
	struct fy_node_pair *pair;
	char key[32];

	if (!fy_node_is_mapping(n))
		return fail(p, n, "identity must be a mapping of object names or ids to strings");
	memset(u->id_objects, 0, sizeof(u->id_objects));
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
		uint32_t id = 256;
		const char *s;
		size_t len;

		if (!text(p, k, "a key", key, sizeof(key)))
			return -1;
		for (uint32_t i = 0; i < sizeof(id_names) / sizeof(id_names[0]); i++)
			if (!strcmp(key, id_names[i]))
				id = i;
		if (id == 256 && number(p, k, "an identification object id (a name, or 0x80-0xFF)",
					0x80, 0xFF, &id) < 0)
			return -1;
		s = fy_node_is_scalar(v) ? fy_node_get_scalar(v, &len) : NULL;
		if (!s)
			return fail(p, v, "identification object '%s' must be a string", key);
		if (len > MB_ID_OBJECT_MAX)
			return fail(p, v, "identification object '%s' is %zu bytes, at most %d", key, len,
				    MB_ID_OBJECT_MAX);
		if (keep_string(p, v, s, len, &u->id_objects[id]) < 0)
			return -1;
	}
	/* MAP 6.21: the three basic objects are mandatory. */
	for (uint32_t i = 0; i < 3; i++)
		if (!u->id_objects[i].value)
			return fail(p, n, "identity needs %s (MAP 6.21: basic objects are mandatory)",
				    id_names[i]);
	return 0;
}

static int unit(struct parse *p, struct fy_node *n, struct cfg_unit *u)
{
	void *it = NULL;
	struct fy_node_pair *pair;
	char key[32];
	int have_id = 0;
	struct fy_node *seqs = NULL;

	if (!fy_node_is_mapping(n))
		return fail(p, n, "a unit must be a mapping (id, tables, identity, ...)");
	default_image_identity(u->id_objects); /* unless configured */
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
		int t, done = 0;

		if (!text(p, k, "a key", key, sizeof(key)))
			return -1;
		for (t = 0; t < CFG_TABLES; t++)
			if (!strcmp(key, cfg_table_names[t])) {
				if (table(p, v, (enum cfg_table_id)t, &u->table[t]) < 0)
					return -1;
				done = 1;
			}
		if (done)
			continue;
		if (!strcmp(key, "id")) {
			/* MIG 4.4.1.2: 0 and 0xFF address the server itself, so
			 * they are not ids of their own (see own_unit). */
			if (number_range(p, v, "unit id", 1, 254, &u->first_id, &u->last_id) < 0)
				return -1;
			have_id = 1;
		} else if (!strcmp(key, "files")) {
			if (number(p, v, "files", 0, 0xFFFF, &u->n_files) < 0)
				return -1;
		} else if (!strcmp(key, "identity")) {
			if (identity(p, v, u) < 0)
				return -1;
		} else if (!strcmp(key, "disabled_functions")) {
			if (function_list(p, v, u->fc_disabled) < 0)
				return -1;
		} else if (!strcmp(key, "rules")) {
			if (config_rules(p, v, u) < 0)
				return -1;
		} else if (!strcmp(key, "sequences")) {
			seqs = v;
			if (config_sequences(p, v, u) < 0)
				return -1;
		} else {
			return fail(p, k,
				    "unknown key '%s' in a unit (id, coils, discrete_inputs, "
				    "holding_registers, input_registers, files, identity, "
				    "disabled_functions, rules, sequences)",
				    key);
		}
	}
	if (!have_id)
		return fail(p, n, "a unit needs an id (1..254, or a range such as 1-10)");
	/* The tables may come after the sequences in the mapping. */
	return seqs ? config_sequences_check(p, seqs, u) : 0;
}

static int units(struct parse *p, struct fy_node *n, struct cfg_server *s)
{
	void *it = NULL;
	struct fy_node *item;

	if (!fy_node_is_sequence(n) || fy_node_sequence_item_count(n) == 0)
		return fail(p, n, "units must be a non-empty list of units");
	s->n_units = (uint32_t)fy_node_sequence_item_count(n);
	s->units = calloc(s->n_units, sizeof(*s->units));
	if (!s->units)
		return fail(p, n, "out of memory");
	for (uint32_t i = 0; (item = fy_node_sequence_iterate(n, &it)); i++) {
		if (unit(p, item, &s->units[i]) < 0)
			return -1;
		for (uint32_t j = 0; j < i; j++)
			if (s->units[i].first_id <= s->units[j].last_id &&
			    s->units[j].first_id <= s->units[i].last_id)
				return fail(p, item, "unit ids %u-%u overlap another unit of this server",
					    s->units[i].first_id, s->units[i].last_id);
	}
	return 0;
}

static int server(struct parse *p, struct fy_node *n, struct cfg_server *s)
{
	void *it = NULL;
	struct fy_node_pair *pair;
	char key[32], buf[32];
	uint8_t fc_disabled[256 / 8] = { 0 };
	struct fy_node *own = NULL;

	if (!fy_node_is_mapping(n))
		return fail(p, n, "a server must be a mapping (address, units, ...)");
	s->line = line_of(n);
	s->own_unit = CFG_OWN_UNIT_LOWEST;
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);

		if (!text(p, k, "a key", key, sizeof(key)))
			return -1;
		if (!strcmp(key, "address")) {
			if (addresses(p, k, v, s) < 0)
				return -1;
		} else if (!strcmp(key, "units")) {
			if (units(p, v, s) < 0)
				return -1;
		} else if (!strcmp(key, "unknown_unit")) {
			if (!text(p, v, "unknown_unit", buf, sizeof(buf)))
				return -1;
			if (!strcmp(buf, "exception"))
				s->unknown_unit = CFG_UNKNOWN_UNIT_EXCEPTION;
			else if (!strcmp(buf, "silence"))
				s->unknown_unit = CFG_UNKNOWN_UNIT_SILENCE;
			else if (!strcmp(buf, "own"))
				s->unknown_unit = CFG_UNKNOWN_UNIT_OWN;
			else
				return fail(p, v,
					    "unknown_unit is 'exception' (0B), 'silence' or 'own', not '%s'",
					    buf);
		} else if (!strcmp(key, "own_unit")) {
			own = v;
			if (fy_node_is_scalar(v) && text(p, v, "own_unit", buf, sizeof(buf)) &&
			    !strcmp(buf, "none"))
				s->own_unit = CFG_OWN_UNIT_NONE;
			else if (number(p, v, "own_unit (a unit id or 'none')", 1, 254, &s->own_unit) < 0)
				return -1;
		} else if (!strcmp(key, "read_only_sources")) {
			if (cidr_list(p, v, key, s->read_only, &s->n_read_only, s->read_only6,
				      &s->n_read_only6) < 0)
				return -1;
		} else if (!strcmp(key, "allow")) {
			if (cidr_list(p, v, key, s->allow, &s->n_allow, s->allow6, &s->n_allow6) < 0)
				return -1;
		} else if (!strcmp(key, "disabled_functions")) {
			if (function_list(p, v, fc_disabled) < 0)
				return -1;
		} else {
			return fail(p, k,
				    "unknown key '%s' in a server (address, units, unknown_unit, "
				    "own_unit, read_only_sources, allow, disabled_functions)",
				    key);
		}
	}
	if (!s->first_addr && !s->n6)
		return fail(p, n, "a server needs an address (A or a range A-B, IPv4 or IPv6, or a "
				  "list of one of each family)");
	if (!s->units)
		return fail(p, n, "a server needs units");
	if (s->unknown_unit == CFG_UNKNOWN_UNIT_OWN && s->own_unit == CFG_OWN_UNIT_NONE)
		return fail(p, own, "unknown_unit 'own' needs an own_unit");
	if (own && s->own_unit != CFG_OWN_UNIT_NONE) {
		uint32_t found = 0;

		for (uint32_t i = 0; i < s->n_units; i++)
			found |= s->own_unit >= s->units[i].first_id && s->own_unit <= s->units[i].last_id;
		if (!found)
			return fail(p, own, "own_unit %u is not one of the server's units", s->own_unit);
	}
	/* Switched off on the server: off on every unit of it. */
	for (uint32_t i = 0; i < s->n_units; i++)
		for (uint32_t b = 0; b < sizeof(fc_disabled); b++)
			s->units[i].fc_disabled[b] |= fc_disabled[b];
	return 0;
}

static int model(struct parse *p, struct fy_node *root)
{
	struct fy_node *list;
	void *it = NULL;
	struct fy_node_pair *pair;
	struct fy_node *item;
	char key[32];

	if (!root || !fy_node_is_mapping(root))
		return fail(p, root, "the file must be a mapping with a 'servers' list");
	while ((pair = fy_node_mapping_iterate(root, &it))) {
		if (!text(p, fy_node_pair_key(pair), "a key", key, sizeof(key)))
			return -1;
		if (strcmp(key, "servers"))
			return fail(p, fy_node_pair_key(pair), "unknown key '%s' (the file holds 'servers')",
				    key);
	}
	list = fy_node_mapping_lookup_by_string(root, "servers", (size_t)-1);
	if (!list || !fy_node_is_sequence(list) || fy_node_sequence_item_count(list) == 0)
		return fail(p, list ? list : root, "'servers' must be a non-empty list");
	p->m->n_servers = (uint32_t)fy_node_sequence_item_count(list);
	p->m->servers = calloc(p->m->n_servers, sizeof(*p->m->servers));
	if (!p->m->servers)
		return fail(p, list, "out of memory");
	it = NULL;
	for (uint32_t i = 0; (item = fy_node_sequence_iterate(list, &it)); i++)
		if (server(p, item, &p->m->servers[i]) < 0)
			return -1;
	return 0;
}

/* YAML syntax errors come from libfyaml's collected diagnostics. */
static int syntax_error(struct parse *p, struct fy_diag *diag)
{
	void *it = NULL;
	struct fy_diag_error *e = diag ? fy_diag_errors_iterate(diag, &it) : NULL;

	if (!e) {
		snprintf(p->err, p->room, "%s: cannot read it: %s", p->file,
			 errno ? strerror(errno) : "not valid YAML");
		return -1;
	}
	/* Unlike a token's mark, a collected error's line counts from 1. */
	snprintf(p->err, p->room, "%s:%d: %s", p->file, e->line, e->msg);
	return -1;
}

int config_load(const char *path, struct cfg_model *m, char *err, size_t room)
{
	struct parse p = { .file = path, .err = err, .room = room, .m = m };
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag;
	struct fy_parse_cfg pcfg = { .flags = FYPCF_QUIET };
	struct fy_document *doc;
	int rc;

	memset(m, 0, sizeof(*m));
	m->file = path;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	diag = fy_diag_create(&dcfg);
	if (diag)
		fy_diag_set_collect_errors(diag, true);
	pcfg.diag = diag;
	errno = 0;
	doc = fy_document_build_from_file(&pcfg, path);
	if (!doc) {
		rc = syntax_error(&p, diag);
	} else {
		rc = model(&p, fy_document_root(doc));
		fy_document_destroy(doc);
	}
	if (diag)
		fy_diag_destroy(diag);
	if (rc < 0)
		config_free(m);
	return rc;
}

void config_free(struct cfg_model *m)
{
	for (uint32_t i = 0; i < m->n_servers; i++) {
		for (uint32_t u = 0; u < m->servers[i].n_units; u++) {
			struct cfg_unit *cu = &m->servers[i].units[u];

			for (int t = 0; t < CFG_TABLES; t++)
				free(cu->table[t].list);
			for (uint32_t q = 0; q < cu->n_seqs; q++)
				free(cu->seqs[q].steps);
			free(cu->seqs);
			free(cu->rules);
		}
		free(m->servers[i].units);
	}
	free(m->servers);
	for (uint32_t i = 0; i < m->n_strings; i++)
		free(m->strings[i]);
	free(m->strings);
	memset(m, 0, sizeof(*m));
}
