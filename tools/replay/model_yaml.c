#include "model_yaml.h"

#include <arpa/inet.h>
#include <string.h>

static const char *const table_keys[CFG_TABLES] = {
	"coils", "discrete_inputs", "holding_registers", "input_registers"
};

static const char *const id_names[7] = {
	"vendor_name",	"product_code", "revision",		 "vendor_url",
	"product_name", "model_name",	"user_application_name",
};

static void addr_str(uint32_t host, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = htonl(host) };

	inet_ntop(AF_INET, &a, buf, (socklen_t)len);
}

/* A YAML double-quoted string of the bytes (escapes for '"', '\' and
 * control characters). */
static void quoted(FILE *out, const uint8_t *b, uint32_t len)
{
	fputc('"', out);
	for (uint32_t i = 0; i < len; i++) {
		if (b[i] == '"' || b[i] == '\\')
			fprintf(out, "\\%c", b[i]);
		else if (b[i] < 0x20 || b[i] >= 0x7F)
			fprintf(out, "\\x%02x", b[i]);
		else
			fputc(b[i], out);
	}
	fputc('"', out);
}

/* Seconds with nine decimals, trailing zeros dropped. */
static void seconds(FILE *out, uint64_t ns)
{
	char frac[16];
	int n;

	if (ns % 1000000000u == 0) {
		fprintf(out, "%llu", (unsigned long long)(ns / 1000000000u));
		return;
	}
	n = snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)(ns % 1000000000u));
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = 0;
	fprintf(out, "%llu.%s", (unsigned long long)(ns / 1000000000u), frac);
}

static void table(FILE *out, enum cfg_table_id id, const struct cfg_table *t)
{
	uint32_t n = t->n_list;

	if (!t->count)
		return;
	fprintf(out, "        %s: { start: %u, count: %u", table_keys[id], t->start, t->count);
	if (t->init == CFG_INIT_VALUE) {
		fprintf(out, ", init: %u", t->value);
	} else if (t->init == CFG_INIT_ADDRESS) {
		fprintf(out, ", init: address");
	} else if (t->init == CFG_INIT_LIST) {
		while (n && !t->list[n - 1])
			n--; /* the rest is 0 */
		if (n) {
			fprintf(out, n > 16 ? ",\n          init: [" : ", init: [");
			for (uint32_t i = 0; i < n; i++)
				fprintf(out, "%s%s%u", i ? ", " : "",
					i && i % 16 == 0 ? "\n            " : "", t->list[i]);
			fprintf(out, "]");
		}
	}
	fprintf(out, " }\n");
}

static void rules(FILE *out, const struct cfg_unit *u)
{
	if (!u->n_rules)
		return;
	fprintf(out, "        rules:\n");
	for (uint32_t i = 0; i < u->n_rules; i++) {
		const struct mb_rule *r = &u->rules[i];

		fprintf(out, "          - { function: 0x%02X", r->function);
		if (r->sub != MB_RULE_ANY_SUB)
			fprintf(out, ", sub: 0x%0*X", r->function == 0x08 ? 4 : 2, r->sub);
		if (r->first != 0 || r->last != 0xFFFF)
			fprintf(out, ", addresses: [%u, %u]", r->first, r->last);
		if (r->from_ns) {
			fprintf(out, ", from: ");
			seconds(out, r->from_ns);
		}
		if (r->until_ns != MB_TIME_NEVER) {
			fprintf(out, ", until: ");
			seconds(out, r->until_ns);
		}
		if (r->action == MB_RULE_EXCEPTION) {
			fprintf(out, ", exception: 0x%02X", r->exception);
		} else if (r->action == MB_RULE_SILENCE) {
			fprintf(out, ", answer: none");
		} else {
			fprintf(out, ", answer: \"");
			for (uint32_t k = 0; k < r->answer_len; k++)
				fprintf(out, "%s%02X", k ? " " : "", r->answer[k]);
			fprintf(out, "\"");
		}
		fprintf(out, " }\n");
	}
}

static void sequences(FILE *out, const struct cfg_unit *u)
{
	if (!u->n_seqs)
		return;
	fprintf(out, "        sequences:\n");
	for (uint32_t i = 0; i < u->n_seqs; i++) {
		const struct cfg_seq *q = &u->seqs[i];

		fprintf(out, "          - { table: %s, address: %u, steps: [", table_keys[q->table],
			q->address);
		for (uint32_t k = 0; k < q->n_steps; k++) {
			fprintf(out, "%s[", k ? ", " : "");
			seconds(out, q->steps[k].at_ns);
			fprintf(out, ", %u]", q->steps[k].value);
		}
		fprintf(out, "] }\n");
	}
}

static void unit(FILE *out, const struct cfg_unit *u, int with_identity)
{
	int any = 0;

	if (u->first_id == u->last_id)
		fprintf(out, "      - id: %u\n", u->first_id);
	else
		fprintf(out, "      - id: %u-%u\n", u->first_id, u->last_id);
	for (int t = 0; t < CFG_TABLES; t++)
		table(out, (enum cfg_table_id)t, &u->table[t]);
	if (u->n_files)
		fprintf(out, "        files: %u\n", u->n_files);
	for (uint32_t fc = 0; fc < 256; fc++) {
		if (!(u->fc_disabled[fc >> 3] & (1u << (fc & 7))))
			continue;
		fprintf(out, "%s0x%02X", any ? ", " : "        disabled_functions: [", fc);
		any = 1;
	}
	if (any)
		fprintf(out, "]\n");
	if (with_identity) {
		fprintf(out, "        identity:\n");
		for (uint32_t id = 0; id < 256; id++) {
			const struct mb_id_object *o = &u->id_objects[id];

			if (!o->value || (id >= 7 && id < 0x80))
				continue;
			if (id < 7)
				fprintf(out, "          %s: ", id_names[id]);
			else
				fprintf(out, "          0x%02X: ", id);
			quoted(out, o->value, o->len);
			fputc('\n', out);
		}
	}
	rules(out, u);
	sequences(out, u);
}

int model_write_yaml(FILE *out, const struct cfg_model *m, const char *header)
{
	static const char *const unknown[] = { "exception", "silence", "own" };
	char a[16], b[16];

	for (const char *l = header; l && *l;) {
		const char *e = strchr(l, '\n');
		int n = e ? (int)(e - l) : (int)strlen(l);

		fprintf(out, "# %.*s\n", n, l);
		l += n + (e ? 1 : 0);
	}
	fprintf(out, "servers:\n");
	for (uint32_t i = 0; i < m->n_servers; i++) {
		const struct cfg_server *s = &m->servers[i];

		addr_str(s->first_addr, a, sizeof(a));
		addr_str(s->last_addr, b, sizeof(b));
		if (s->first_addr == s->last_addr)
			fprintf(out, "  - address: %s\n", a);
		else
			fprintf(out, "  - address: %s-%s\n", a, b);
		fprintf(out, "    unknown_unit: %s\n", unknown[s->unknown_unit]);
		if (s->own_unit == CFG_OWN_UNIT_NONE)
			fprintf(out, "    own_unit: none\n");
		else if (s->own_unit != CFG_OWN_UNIT_LOWEST)
			fprintf(out, "    own_unit: %u\n", s->own_unit);
		fprintf(out, "    units:\n");
		for (uint32_t u = 0; u < s->n_units; u++)
			unit(out, &s->units[u], s->units[u].id_objects[0].value != NULL);
	}
	return ferror(out) ? -1 : 0;
}
