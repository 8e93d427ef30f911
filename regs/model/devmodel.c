/* Builds the device model and its register store (devmodel.h).
 *
 * Two passes over the configuration: the first counts servers, units and
 * table bytes so the store is created at its final size; the second lays
 * out the records and tables, writes the initial values and fills the
 * in-process model that points into the store. The store is published
 * (its magic written) last. */
#include "devmodel.h"
#include "default_image.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t room, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, room, fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t ids_of(const struct cfg_unit *u)
{
	return (uint64_t)u->last_id - u->first_id + 1;
}

/* Bytes of one unit's tables in the store, each table 8-byte aligned. */
static uint64_t table_bytes(const struct cfg_unit *u, enum mbx_regs_table_id t)
{
	switch (t) {
	case MBX_REGS_COILS:
	case MBX_REGS_DISCRETE_INPUTS:
		return ALIGN(((uint64_t)u->table[t].count + 7) / 8, 8);
	case MBX_REGS_HOLDING_REGISTERS:
	case MBX_REGS_INPUT_REGISTERS:
		return ALIGN(2 * (uint64_t)u->table[t].count, 8);
	default:
		return 2 * (uint64_t)u->n_files * MB_FILE_RECORDS;
	}
}

static uint64_t unit_bytes(const struct cfg_unit *u)
{
	uint64_t n = 0;

	for (int t = 0; t < MBX_REGS_TABLES; t++)
		n += table_bytes(u, (enum mbx_regs_table_id)t);
	return n;
}

static void init_bits(uint8_t *bits, const struct cfg_table *t)
{
	for (uint32_t i = 0; i < t->count; i++) {
		uint32_t v = t->init == CFG_INIT_VALUE	 ? t->value :
			     t->init == CFG_INIT_ADDRESS ? (t->start + i) & 1 :
			     t->init == CFG_INIT_LIST	 ? (i < t->n_list ? t->list[i] : 0) :
							   0;

		if (v)
			bits[i >> 3] |= (uint8_t)(1u << (i & 7));
	}
}

static void init_regs(uint16_t *regs, const struct cfg_table *t)
{
	for (uint32_t i = 0; i < t->count; i++) {
		uint32_t v = t->init == CFG_INIT_VALUE	 ? t->value :
			     t->init == CFG_INIT_ADDRESS ? t->start + i :
			     t->init == CFG_INIT_LIST	 ? (i < t->n_list ? t->list[i] : 0) :
							   0;

		regs[i] = htons((uint16_t)v);
	}
}

/* A unit's own script (mb_script.h): the rules are the configuration's,
 * the sequences' progress is the unit's. -1 when out of memory. */
static int place_script(struct mb_unit *mu, const struct cfg_unit *cu)
{
	struct mb_script *s;

	if (!cu->n_rules && !cu->n_seqs)
		return 0;
	s = calloc(1, sizeof(*s) + cu->n_seqs * sizeof(*s->seqs));
	if (!s)
		return -1;
	s->rules = cu->rules;
	s->n_rules = cu->n_rules;
	s->seqs = (struct mb_seq *)(s + 1);
	s->n_seqs = cu->n_seqs;
	for (uint32_t i = 0; i < cu->n_seqs; i++) {
		s->seqs[i].table = (uint8_t)cu->seqs[i].table;
		s->seqs[i].address = (uint16_t)cu->seqs[i].address;
		s->seqs[i].n_steps = cu->seqs[i].n_steps;
		s->seqs[i].steps = cu->seqs[i].steps;
	}
	mb_script_reset(s);
	mu->script = s;
	mu->flags |= MB_UNIT_SCRIPT;
	return 0;
}

/* Lays out one unit's tables from *data_off on, writes their initial values
 * and points the in-process unit at them. */
static void place_unit(struct devmodel *d, const struct cfg_unit *cu, uint32_t server,
		       uint8_t unit_id, uint32_t index, uint64_t *data_off)
{
	struct mbx_regs_unit *ru = mbx_regs_unit_at(&d->store, index);
	struct mb_unit *mu = &d->model.units[index];
	struct mb_tables *mt = &mu->tables;

	ru->server = server;
	ru->unit_id = unit_id;
	mu->server = server;
	for (int t = 0; t < MBX_REGS_TABLES; t++) {
		ru->table[t].off = *data_off;
		ru->table[t].start = t < CFG_TABLES ? cu->table[t].start : 0;
		ru->table[t].count =
			t < CFG_TABLES ? cu->table[t].count : cu->n_files * MB_FILE_RECORDS;
		*data_off += table_bytes(cu, (enum mbx_regs_table_id)t);
	}
	mt->coils = mbx_regs_table_data(&d->store, ru, MBX_REGS_COILS);
	mt->discrete_inputs = mbx_regs_table_data(&d->store, ru, MBX_REGS_DISCRETE_INPUTS);
	mt->holding_regs = mbx_regs_table_data(&d->store, ru, MBX_REGS_HOLDING_REGISTERS);
	mt->input_regs = mbx_regs_table_data(&d->store, ru, MBX_REGS_INPUT_REGISTERS);
	mu->files = mbx_regs_table_data(&d->store, ru, MBX_REGS_FILES);
	mt->n_coils = cu->table[CFG_COILS].count;
	mt->n_discrete_inputs = cu->table[CFG_DISCRETE_INPUTS].count;
	mt->n_holding_regs = cu->table[CFG_HOLDING_REGISTERS].count;
	mt->n_input_regs = cu->table[CFG_INPUT_REGISTERS].count;
	mu->n_files = cu->n_files;
	mt->coils_start = (uint16_t)cu->table[CFG_COILS].start;
	mt->discrete_inputs_start = (uint16_t)cu->table[CFG_DISCRETE_INPUTS].start;
	mt->holding_regs_start = (uint16_t)cu->table[CFG_HOLDING_REGISTERS].start;
	mt->input_regs_start = (uint16_t)cu->table[CFG_INPUT_REGISTERS].start;
	mu->id_objects = cu->id_objects;
	init_bits(mt->coils, &cu->table[CFG_COILS]);
	init_bits(mt->discrete_inputs, &cu->table[CFG_DISCRETE_INPUTS]);
	init_regs(mt->holding_regs, &cu->table[CFG_HOLDING_REGISTERS]);
	init_regs(mt->input_regs, &cu->table[CFG_INPUT_REGISTERS]);
	for (uint32_t i = 0; i < mu->n_files * MB_FILE_RECORDS; i++)
		mu->files[i] = htons((uint16_t)(i % MB_FILE_RECORDS));
	mb_functions_off(mu, cu->fc_disabled);
	mu->n_protect_coils = cu->table[CFG_COILS].n_protect;
	memcpy(mu->protect_coils, cu->table[CFG_COILS].protect, sizeof(mu->protect_coils));
	mu->n_protect_holding = cu->table[CFG_HOLDING_REGISTERS].n_protect;
	memcpy(mu->protect_holding, cu->table[CFG_HOLDING_REGISTERS].protect,
	       sizeof(mu->protect_holding));
}

/* MIG 4.4.1.2: on TCP a device is addressed by its IP address, so unit ids
 * 0 and 0xFF both mean "the server itself": they reach the server's own
 * unit (own_unit, by default its lowest id) unless it has none. */
static uint32_t own_unit_id(const struct cfg_server *cs)
{
	uint32_t lowest = 255;

	if (cs->own_unit != CFG_OWN_UNIT_LOWEST)
		return cs->own_unit;
	for (uint32_t i = 0; i < cs->n_units; i++)
		if (cs->units[i].first_id < lowest)
			lowest = cs->units[i].first_id;
	return lowest;
}

/* Adds server index i on addr (network order) to the IPv4 address hash;
 * -1 if the address is taken already. */
static int hash_add(struct mb_model *m, uint32_t addr, uint32_t i)
{
	uint32_t slot = mb_model_hash_slot(addr, m->addr_hash_mask);

	while (m->addr_hash[slot]) {
		if (m->servers[m->addr_hash[slot] - 1].addr == addr)
			return -1;
		slot = (slot + 1) & m->addr_hash_mask;
	}
	m->addr_hash[slot] = i + 1;
	return 0;
}

/* The same for an IPv6 address. */
static int hash6_add(struct mb_model *m, const uint8_t addr[16], uint32_t i)
{
	uint32_t slot = mb_model_hash_slot6(addr, m->addr6_hash_mask);

	while (m->addr6_hash[slot]) {
		if (!memcmp(m->servers[m->addr6_hash[slot] - 1].addr6, addr, 16))
			return -1;
		slot = (slot + 1) & m->addr6_hash_mask;
	}
	m->addr6_hash[slot] = i + 1;
	return 0;
}

/* Server k of cs (on its k-th address of each family it has) with its
 * own units from *next_unit on. */
static int place_server(struct devmodel *d, const struct cfg_model *cfg,
			const struct cfg_server *cs, uint64_t k, uint32_t index,
			uint32_t *next_unit, uint64_t *data_off, char *err, size_t room)
{
	struct mbx_regs_server *rs = mbx_regs_server_at(&d->store, index);
	struct mb_server *ms = &d->model.servers[index];
	uint32_t own = own_unit_id(cs);
	char text[INET6_ADDRSTRLEN];

	ms->addr = cs->first_addr ? htonl(cs->first_addr + (uint32_t)k) : 0;
	rs->addr = ms->addr;
	if (ms->addr && hash_add(&d->model, ms->addr, index) < 0)
		return fail(err, room, "%s:%d: address %s is already a server's", cfg->file, cs->line,
			    inet_ntop(AF_INET, &ms->addr, text, sizeof(text)));
	if (cfg_server_addr6(cs, k, ms->addr6) && hash6_add(&d->model, ms->addr6, index) < 0)
		return fail(err, room, "%s:%d: address %s is already a server's", cfg->file, cs->line,
			    inet_ntop(AF_INET6, ms->addr6, text, sizeof(text)));
	memcpy(rs->addr6, ms->addr6, 16);
	for (int u = 0; u < 256; u++)
		ms->unit_index[u] = rs->unit_index[u] = MBX_REGS_UNIT_NONE;
	rs->n_units = 0;
	for (uint32_t i = 0; i < cs->n_units; i++) {
		const struct cfg_unit *cu = &cs->units[i];

		for (uint32_t id = cu->first_id; id <= cu->last_id; id++) {
			uint32_t u = (*next_unit)++;

			place_unit(d, cu, index, (uint8_t)id, u, data_off);
			if (place_script(&d->model.units[u], cu) < 0)
				return fail(err, room, "out of memory for the rules and sequences");
			ms->unit_index[id] = rs->unit_index[id] = u;
			rs->n_units++;
			if (id == own)
				ms->unit_index[0] = ms->unit_index[0xFF] = rs->unit_index[0] =
					rs->unit_index[0xFF] = u;
		}
	}
	if (cs->unknown_unit == CFG_UNKNOWN_UNIT_OWN && ms->unit_index[0] != MB_UNIT_NONE)
		for (int u = 0; u < 256; u++)
			if (ms->unit_index[u] == MB_UNIT_NONE)
				ms->unit_index[u] = rs->unit_index[u] = ms->unit_index[0];
	ms->unknown_unit_silent = cs->unknown_unit == CFG_UNKNOWN_UNIT_SILENCE;
	ms->n_read_only = cs->n_read_only;
	memcpy(ms->read_only, cs->read_only, sizeof(ms->read_only));
	ms->n_allow = cs->n_allow;
	memcpy(ms->allow, cs->allow, sizeof(ms->allow));
	ms->n_read_only6 = cs->n_read_only6;
	ms->read_only6 = cs->read_only6;
	return 0;
}

/* Undoes devmodel_build(), leaving d->cfg. */
static void release_model(struct devmodel *d)
{
	if (d->store.base)
		mbx_regs_destroy(&d->store, d->name);
	for (uint32_t i = 0; d->model.units && i < d->model.n_units; i++)
		free(d->model.units[i].script);
	free(d->model.servers);
	free(d->model.units);
	free(d->model.addr_hash);
	free(d->model.addr6_hash);
	memset(&d->model, 0, sizeof(d->model));
	memset(&d->store, 0, sizeof(d->store));
	d->name = NULL;
}

int devmodel_build(struct devmodel *d, const struct cfg_model *cfg, const char *name, char *err,
		   size_t room)
{
	uint64_t n_servers = 0, n_units = 0, data = 0, servers_off, units_off, data_off, size;
	uint32_t hash_size = 2, next_unit = 0, next_server = 0;

	/* d->cfg may be what is built: keep it. */
	memset(&d->model, 0, sizeof(d->model));
	memset(&d->store, 0, sizeof(d->store));
	d->name = NULL;
	for (uint32_t i = 0; i < cfg->n_servers; i++) {
		const struct cfg_server *cs = &cfg->servers[i];

		n_servers += cfg_servers_of(cs);
		for (uint32_t u = 0; u < cs->n_units; u++) {
			n_units += cfg_servers_of(cs) * ids_of(&cs->units[u]);
			data += cfg_servers_of(cs) * ids_of(&cs->units[u]) * unit_bytes(&cs->units[u]);
		}
	}
	if (n_servers > DEVMODEL_MAX_SERVERS || n_units > DEVMODEL_MAX_UNITS)
		return fail(err, room, "%s: %llu servers with %llu units; at most %u and %u", cfg->file,
			    (unsigned long long)n_servers, (unsigned long long)n_units,
			    DEVMODEL_MAX_SERVERS, DEVMODEL_MAX_UNITS);
	servers_off = ALIGN(sizeof(struct mbx_regs_header), 64);
	units_off = ALIGN(servers_off + n_servers * sizeof(struct mbx_regs_server), 64);
	data_off = ALIGN(units_off + n_units * sizeof(struct mbx_regs_unit), 64);
	size = data_off + data;
	while (hash_size < 2 * n_servers)
		hash_size *= 2;
	d->model.servers = calloc(n_servers, sizeof(*d->model.servers));
	/* Units are cache-line aligned (mb_device.h); calloc does not promise it. */
	d->model.units = aligned_alloc(64, (n_units ? n_units : 1) * sizeof(*d->model.units));
	if (d->model.units)
		memset(d->model.units, 0, (n_units ? n_units : 1) * sizeof(*d->model.units));
	d->model.addr_hash = calloc(hash_size, sizeof(*d->model.addr_hash));
	d->model.addr_hash_mask = hash_size - 1;
	d->model.addr6_hash = calloc(hash_size, sizeof(*d->model.addr6_hash));
	d->model.addr6_hash_mask = hash_size - 1;
	d->model.n_servers = (uint32_t)n_servers;
	d->model.n_units = (uint32_t)n_units;
	if (!d->model.servers || !d->model.units || !d->model.addr_hash || !d->model.addr6_hash) {
		release_model(d);
		return fail(err, room, "out of memory for %llu units", (unsigned long long)n_units);
	}
	if (mbx_regs_create(&d->store, name, size, d->files, err, room) < 0) {
		release_model(d);
		return -1;
	}
	d->name = name;
	d->model.records = (struct mbx_regs_unit *)(d->store.base + units_off);
	mbx_regs_layout(&d->store, (uint32_t)n_servers, (uint32_t)n_units, servers_off, units_off,
			data_off);
	for (uint32_t i = 0; i < cfg->n_servers; i++) {
		const struct cfg_server *cs = &cfg->servers[i];

		for (uint64_t k = 0; k < cfg_servers_of(cs); k++) {
			if (place_server(d, cfg, cs, k, next_server++, &next_unit, &data_off, err,
					 room) < 0) {
				release_model(d);
				return -1;
			}
		}
	}
	mbx_regs_publish(&d->store);
	return 0;
}

void devmodel_free(struct devmodel *d)
{
	release_model(d);
	if (d->cfg_loaded)
		config_free(&d->cfg);
	memset(d, 0, sizeof(*d));
}

uint32_t devmodel_server_addrs(const struct devmodel *d, struct mb_server_addr *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < d->cfg.n_servers; i++) {
		const struct cfg_server *cs = &d->cfg.servers[i];

		for (uint64_t a = 0; a < cfg_servers_of(cs); a++, n++) {
			if (n >= max)
				continue;
			out[n].addr = cs->first_addr ? htonl(cs->first_addr + (uint32_t)a) : 0;
			out[n].has_addr6 = cfg_server_addr6(cs, a, out[n].addr6);
			out[n].allow = cs->allow;
			out[n].n_allow = cs->n_allow;
			out[n].allow6 = cs->allow6;
			out[n].n_allow6 = cs->n_allow6;
		}
	}
	return n;
}

int devmodel_configure(struct devmodel *d, const char *config_path, char *err, size_t room)
{
	memset(d, 0, sizeof(*d));
	if (!config_path) {
		default_image_config(&d->cfg);
		return 0;
	}
	if (config_load(config_path, &d->cfg, err, room) < 0)
		return -1;
	d->cfg_loaded = 1;
	return 0;
}

int devmodel_load(struct devmodel *d, const char *config_path, const char *name, char *err,
		  size_t room)
{
	if (devmodel_configure(d, config_path, err, room) < 0)
		return -1;
	if (devmodel_build(d, &d->cfg, name, err, room) < 0) {
		devmodel_free(d);
		return -1;
	}
	return 0;
}

int devmodel_build_default(struct devmodel *d, const char *name, char *err, size_t room)
{
	return devmodel_load(d, NULL, name, err, room);
}
