/* A unit's rules and sequences in the device model file (docs/usage.md):
 *
 *   rules:
 *     - { function: 0x08, sub: 0x0004, exception: 0x0B, until: 10.5 }
 *     - { function: 0x11, answer: "12 00 FF 57 69" }
 *     - { function: 0x2B, answer: none }
 *     - { function: 0x03, addresses: [100, 199], exception: 0x02 }
 *   sequences:
 *     - { table: holding_registers, address: 5, steps: [[0, 9], [12.25, 10]] }
 *
 * Times are seconds since the unit's first request, with up to nine
 * decimals. */
#include "config_parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* "S" or "S.F" seconds (F: up to 9 digits) as ns, at most 10^9 s. */
static int seconds(struct parse *p, struct fy_node *n, const char *what, uint64_t *ns)
{
	char buf[32];
	const char *c;
	uint64_t whole = 0, frac = 0, scale = 1000000000u;

	if (!text(p, n, what, buf, sizeof(buf)))
		return -1;
	c = buf;
	if (!isdigit((unsigned char)*c))
		goto bad;
	while (isdigit((unsigned char)*c)) {
		whole = whole * 10 + (uint64_t)(*c++ - '0');
		if (whole > 1000000000u)
			goto bad;
	}
	if (*c == '.') {
		c++;
		if (!isdigit((unsigned char)*c))
			goto bad;
		while (isdigit((unsigned char)*c)) {
			if (scale == 1)
				goto bad;
			scale /= 10;
			frac += (uint64_t)(*c++ - '0') * scale;
		}
	}
	if (*c)
		goto bad;
	*ns = whole * 1000000000u + frac;
	return 0;
bad:
	return fail(p, n, "%s must be seconds (up to 1000000000, at most 9 decimals), not '%s'", what,
		    buf);
}

/* "none", or hex bytes ("12 00 FF", spaces optional), kept in the model. */
static int answer(struct parse *p, struct fy_node *n, struct mb_rule *r)
{
	char buf[1024];
	uint8_t bytes[MB_ADU_MAX];
	uint32_t k = 0;
	char **grown;
	uint8_t *copy;

	if (!text(p, n, "answer", buf, sizeof(buf)))
		return -1;
	if (!strcmp(buf, "none")) {
		r->action = MB_RULE_SILENCE;
		return 0;
	}
	for (const char *c = buf; *c;) {
		char pair[3] = { 0 };

		if (*c == ' ') {
			c++;
			continue;
		}
		if (!isxdigit((unsigned char)c[0]) || !isxdigit((unsigned char)c[1]))
			return fail(p, n, "answer must be 'none' or hex bytes such as '12 00 FF', not '%s'",
				    buf);
		if (k == MBAP_LEN_MAX - 2)
			return fail(p, n, "answer has more than %d bytes (a PDU is 253 with its function)",
				    MBAP_LEN_MAX - 2);
		memcpy(pair, c, 2);
		bytes[k++] = (uint8_t)strtoul(pair, NULL, 16);
		c += 2;
	}
	grown = realloc(p->m->strings, (p->m->n_strings + 1) * sizeof(*grown));
	if (grown)
		p->m->strings = grown;
	copy = malloc(k ? k : 1);
	if (!grown || !copy) {
		free(copy);
		return fail(p, n, "out of memory");
	}
	memcpy(copy, bytes, k);
	p->m->strings[p->m->n_strings++] = (char *)copy;
	r->action = MB_RULE_ANSWER;
	r->answer = copy;
	r->answer_len = (uint8_t)k;
	return 0;
}

static int is_data_function(uint32_t fc)
{
	return (fc >= 0x01 && fc <= 0x06) || fc == 0x0F || fc == 0x10 || fc == 0x16 || fc == 0x17;
}

static int rule(struct parse *p, struct fy_node *n, struct mb_rule *r)
{
	void *it = NULL;
	struct fy_node_pair *pair;
	struct fy_node *sub = NULL, *addrs = NULL, *fn = NULL;
	char key[32];
	uint32_t v, first, last;
	int actions = 0;

	if (!fy_node_is_mapping(n))
		return fail(p, n, "a rule must be a mapping (function, sub, addresses, from, until, "
				  "exception or answer)");
	memset(r, 0, sizeof(*r));
	r->sub = MB_RULE_ANY_SUB;
	r->last = 0xFFFF;
	r->until_ns = MB_TIME_NEVER;
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *val = fy_node_pair_value(pair);

		if (!text(p, k, "a key", key, sizeof(key)))
			return -1;
		if (!strcmp(key, "function")) {
			fn = val;
			if (number(p, val, "function", 1, 127, &v) < 0)
				return -1;
			r->function = (uint8_t)v;
		} else if (!strcmp(key, "sub")) {
			sub = val;
			if (number(p, val, "sub", 0, 0xFFFF, &r->sub) < 0)
				return -1;
		} else if (!strcmp(key, "addresses")) {
			addrs = val;
			if (!fy_node_is_sequence(val) || fy_node_sequence_item_count(val) != 2)
				return fail(p, val, "addresses must be [first, last]");
			if (number(p, fy_node_sequence_get_by_index(val, 0), "an address", 0, 65535,
				   &first) < 0 ||
			    number(p, fy_node_sequence_get_by_index(val, 1), "an address", first, 65535,
				   &last) < 0)
				return -1;
			r->first = (uint16_t)first;
			r->last = (uint16_t)last;
		} else if (!strcmp(key, "from")) {
			if (seconds(p, val, "from", &r->from_ns) < 0)
				return -1;
		} else if (!strcmp(key, "until")) {
			if (seconds(p, val, "until", &r->until_ns) < 0)
				return -1;
		} else if (!strcmp(key, "exception")) {
			actions++;
			if (number(p, val, "exception", 1, 255, &v) < 0)
				return -1;
			r->action = MB_RULE_EXCEPTION;
			r->exception = (uint8_t)v;
		} else if (!strcmp(key, "answer")) {
			actions++;
			if (answer(p, val, r) < 0)
				return -1;
		} else {
			return fail(p, k,
				    "unknown key '%s' in a rule (function, sub, addresses, from, until, "
				    "exception, answer)",
				    key);
		}
	}
	if (!fn)
		return fail(p, n, "a rule needs a function");
	if (actions != 1)
		return fail(p, n, "a rule needs one of exception or answer");
	if (sub && r->function != 0x08 && r->function != 0x2B)
		return fail(p, sub, "sub is for function 0x08 (sub-function) or 0x2B (MEI type)");
	if (sub && r->function == 0x2B && r->sub > 0xFF)
		return fail(p, sub, "an MEI type is 0 to 0xFF");
	if (addrs && !is_data_function(r->function))
		return fail(p, addrs, "addresses is for the data functions (01-06, 0F, 10, 16, 17)");
	if (r->from_ns >= r->until_ns)
		return fail(p, n, "a rule's from must come before its until");
	return 0;
}

int config_rules(struct parse *p, struct fy_node *n, struct cfg_unit *u)
{
	void *it = NULL;
	struct fy_node *item;

	if (!fy_node_is_sequence(n))
		return fail(p, n, "rules must be a list of rules");
	u->n_rules = (uint32_t)fy_node_sequence_item_count(n);
	u->rules = calloc(u->n_rules ? u->n_rules : 1, sizeof(*u->rules));
	if (!u->rules)
		return fail(p, n, "out of memory");
	for (uint32_t i = 0; (item = fy_node_sequence_iterate(n, &it)); i++)
		if (rule(p, item, &u->rules[i]) < 0)
			return -1;
	return 0;
}

static int steps(struct parse *p, struct fy_node *n, struct cfg_seq *q)
{
	void *it = NULL;
	struct fy_node *item;
	uint32_t max = q->table == CFG_COILS || q->table == CFG_DISCRETE_INPUTS ? 1 : 65535, v;

	if (!fy_node_is_sequence(n) || fy_node_sequence_item_count(n) == 0)
		return fail(p, n, "steps must be a non-empty list of [seconds, value]");
	q->n_steps = (uint32_t)fy_node_sequence_item_count(n);
	q->steps = calloc(q->n_steps, sizeof(*q->steps));
	if (!q->steps)
		return fail(p, n, "out of memory");
	for (uint32_t i = 0; (item = fy_node_sequence_iterate(n, &it)); i++) {
		if (!fy_node_is_sequence(item) || fy_node_sequence_item_count(item) != 2)
			return fail(p, item, "a step is [seconds, value]");
		if (seconds(p, fy_node_sequence_get_by_index(item, 0), "a step's time",
			    &q->steps[i].at_ns) < 0 ||
		    number(p, fy_node_sequence_get_by_index(item, 1), "a step's value", 0, max, &v) < 0)
			return -1;
		if (i && q->steps[i].at_ns <= q->steps[i - 1].at_ns)
			return fail(p, item, "steps must come in time order");
		q->steps[i].value = (uint16_t)v;
	}
	return 0;
}

static int sequence(struct parse *p, struct fy_node *n, struct cfg_seq *q)
{
	void *it = NULL;
	struct fy_node_pair *pair;
	struct fy_node *st = NULL;
	char key[32], buf[32];
	int have_table = 0, have_addr = 0;

	if (!fy_node_is_mapping(n))
		return fail(p, n, "a sequence must be a mapping (table, address, steps)");
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);

		if (!text(p, k, "a key", key, sizeof(key)))
			return -1;
		if (!strcmp(key, "table")) {
			if (!text(p, v, "table", buf, sizeof(buf)))
				return -1;
			for (int t = 0; t < CFG_TABLES; t++)
				if (!strcmp(buf, cfg_table_names[t])) {
					q->table = (enum cfg_table_id)t;
					have_table = 1;
				}
			if (!have_table)
				return fail(p, v,
					    "table is coils, discrete_inputs, holding_registers or "
					    "input_registers, not '%s'",
					    buf);
		} else if (!strcmp(key, "address")) {
			if (number(p, v, "address", 0, 65535, &q->address) < 0)
				return -1;
			have_addr = 1;
		} else if (!strcmp(key, "steps")) {
			st = v;
		} else {
			return fail(p, k, "unknown key '%s' in a sequence (table, address, steps)", key);
		}
	}
	if (!have_table || !have_addr || !st)
		return fail(p, n, "a sequence needs table, address and steps");
	return steps(p, st, q);
}

int config_sequences(struct parse *p, struct fy_node *n, struct cfg_unit *u)
{
	void *it = NULL;
	struct fy_node *item;

	if (!fy_node_is_sequence(n))
		return fail(p, n, "sequences must be a list of sequences");
	u->n_seqs = (uint32_t)fy_node_sequence_item_count(n);
	u->seqs = calloc(u->n_seqs ? u->n_seqs : 1, sizeof(*u->seqs));
	if (!u->seqs)
		return fail(p, n, "out of memory");
	for (uint32_t i = 0; (item = fy_node_sequence_iterate(n, &it)); i++)
		if (sequence(p, item, &u->seqs[i]) < 0)
			return -1;
	return 0;
}

int config_sequences_check(struct parse *p, struct fy_node *n, const struct cfg_unit *u)
{
	void *it = NULL;
	struct fy_node *item;

	for (uint32_t i = 0; (item = fy_node_sequence_iterate(n, &it)); i++) {
		const struct cfg_seq *q = &u->seqs[i];
		const struct cfg_table *t = &u->table[q->table];

		if (q->address < t->start || q->address >= t->start + t->count)
			return fail(p, item, "sequence address %u is not in the unit's %s", q->address,
				    cfg_table_names[q->table]);
		for (uint32_t j = 0; j < i; j++)
			if (u->seqs[j].table == q->table && u->seqs[j].address == q->address)
				return fail(p, item, "%s %u has a sequence already",
					    cfg_table_names[q->table], q->address);
	}
	return 0;
}
