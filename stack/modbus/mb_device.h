/* The device model the Modbus layer answers from: servers (one IP address
 * each) hold units (unit ids), units hold the four data tables, their
 * identification objects, write-protected ranges and their own diagnostics
 * state. regs/model/devmodel.c builds it (from a config file or the default
 * image); the tables live in the shared register store (regs/mbx_regs.h).
 *
 * Lookups on the data path are direct indexes: a connection finds its
 * server once, when it opens (mb_model_server), and keeps the index in its
 * struct mb_peer; each request then finds its unit by unit_index[unit id].
 * Nothing here is allocated or locked after start-up; register data is
 * guarded by the unit's seqlock in the store. */
#ifndef MBX_MB_DEVICE_H
#define MBX_MB_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ip_prefix.h"
#include "mbx_regs.h"
#include "modbus.h"
#include "prefetch.h"

struct mb_script; /* mb_script.h */

#define MB_UNIT_NONE UINT32_MAX
#define MB_SERVER_NONE UINT32_MAX
#define MB_PROTECT_MAX 8 /* write-protected ranges per table */
#define MB_CIDRS_MAX 16 /* read-only sources, allow-list entries per server */

/* An IPv4 prefix, both words in network order: addr & mask == addr. */
struct mb_cidr {
	uint32_t addr;
	uint32_t mask;
};

static inline int mb_cidr_match(const struct mb_cidr *c, uint32_t n, uint32_t addr)
{
	for (uint32_t i = 0; i < n; i++)
		if ((addr & c[i].mask) == c[i].addr)
			return 1;
	return 0;
}

/* An IPv6 prefix: addr (as on the wire) with no bits set beyond len. */
struct mb_cidr6 {
	uint8_t addr[16];
	uint8_t len; /* 0..128 */
};

static inline int mb_cidr6_match(const struct mb_cidr6 *c, uint32_t n, const uint8_t addr[16])
{
	for (uint32_t i = 0; i < n; i++)
		if (ip6_prefix_covers(c[i].addr, c[i].len, addr))
			return 1;
	return 0;
}

/* Inclusive Modbus addresses first..last. */
struct mb_range {
	uint16_t first;
	uint16_t last;
};

/* mb_unit.flags */
#define MB_UNIT_LISTEN_ONLY 1 /* MAP 6.8 sub-function 04 */
#define MB_UNIT_FC_OFF 2 /* some function switched off: fc_disabled says which */
#define MB_UNIT_SCRIPT 4 /* rules or timed values (mb_script.h) */

/* Laid out for a request on a unit not in cache: an ordinary request (a
 * data access, answered) reads and writes the first line only, the hot
 * one; the rest is read when a flag, a count or the function says so. */
struct mb_unit {
	struct mb_tables tables; /* data in the register store */
	/* Ordinary requests whose serial-line diagnostics are not yet in
	 * diag (modbus_pdu.c adds them in before anything reads diag). */
	uint32_t normal;
	uint8_t flags; /* MB_UNIT_* */
	uint8_t n_protect_coils;
	uint8_t n_protect_holding;
	/* The cold lines. */
	uint16_t *files; /* big-endian; file f, record r at (f - 1) * MB_FILE_RECORDS + r */
	uint32_t n_files;
	const struct mb_id_object *id_objects; /* 256, by object id; shared by alike units */
	uint8_t fc_disabled[256 / 8]; /* bit fc set: answered as unknown (exception 01) */
	struct mb_diag diag; /* MAP 6.7-6.10: a device's own */
	/* Writes touching these answer exception 02 (MAP 7: "not an allowable
	 * address for the server"), as a device answers for a read-only
	 * address; reads are served. */
	struct mb_range protect_coils[MB_PROTECT_MAX];
	struct mb_range protect_holding[MB_PROTECT_MAX];
	uint32_t server; /* its server's index in the model */
	struct mb_script *script; /* with MB_UNIT_SCRIPT; NULL otherwise */
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct mb_unit, files) == 64, "struct mb_unit: the hot line is full");

/* A server answers on an IPv4 address, an IPv6 one, or one of each (dual
 * stack); neither: on every address of both families (the default
 * model, mb_server_any). */
struct mb_server {
	uint32_t addr; /* IPv4, network order; 0: none */
	uint8_t addr6[16]; /* IPv6, as on the wire; all zero (::): none */
	uint32_t unit_index[256]; /* per MBAP unit id: index in mb_model.units, or MB_UNIT_NONE */
	/* An unknown unit id: 1 = no answer at all (a gateway configured not to
	 * answer), 0 = exception 0B (MAP 7: Gateway Target Device Failed to
	 * Respond). */
	uint8_t unknown_unit_silent;
	uint8_t n_read_only;
	uint8_t n_allow;
	uint8_t n_read_only6;
	struct mb_cidr read_only[MB_CIDRS_MAX]; /* sources whose writes are refused */
	struct mb_cidr allow[MB_CIDRS_MAX]; /* for the XDP allow-list; none: everyone */
	/* The IPv6 read-only sources: the configuration's list, shared by
	 * the servers of one address range (a model may have a million
	 * servers, and most none of these). */
	const struct mb_cidr6 *read_only6;
};

static inline int mb_server_any(const struct mb_server *s)
{
	static const uint8_t none[16];

	return s->addr == 0 && !memcmp(s->addr6, none, 16);
}

struct mb_model {
	struct mb_server *servers;
	uint32_t n_servers;
	struct mb_unit *units;
	uint32_t n_units;
	struct mbx_regs_unit *records; /* unit i's record (its seqlock) in the store */
	/* Open addressing, address -> server index + 1 (0 = empty slot);
	 * one table for each family. */
	uint32_t *addr_hash;
	uint32_t addr_hash_mask;
	uint32_t *addr6_hash;
	uint32_t addr6_hash_mask;
};

/* The server answering on local address addr (network order), or
 * MB_SERVER_NONE. Called when a connection opens. The table has a free
 * slot always (the builder sizes it to at least twice the servers). */
uint32_t mb_model_server(const struct mb_model *m, uint32_t addr);
/* Where addr's probe starts in a table of mask + 1 slots. */
uint32_t mb_model_hash_slot(uint32_t addr, uint32_t mask);
/* The same for an IPv6 address (as on the wire), in addr6_hash. */
uint32_t mb_model_server6(const struct mb_model *m, const uint8_t addr[16]);
uint32_t mb_model_hash_slot6(const uint8_t addr[16], uint32_t mask);

/* What a connection opening from raddr to laddr gets: its server, and
 * whether the source is one of that server's read-only sources. */
struct mb_peer mb_model_peer(const struct mb_model *m, uint32_t laddr, uint32_t raddr);
/* The same for a connection over IPv6 (addresses as on the wire). */
struct mb_peer mb_model_peer6(const struct mb_model *m, const uint8_t laddr[16],
			      const uint8_t raddr[16]);

/* Called when a segment's connection is found, a few frames before its
 * requests are answered (stack_input_burst): starts loading the unit it
 * last talked to (its hot line) and that unit's seqlock, so a model of many
 * devices costs fewer cache misses on the answer. Returns the unit, NULL if
 * the connection has none. */
static inline const struct mb_unit *mb_prefetch_unit(const struct mb_model *m,
						     const struct mb_peer *p)
{
	const struct mb_unit *u;

	if (p->no_server)
		return 0;
	u = &m->units[p->unit];
	mbx_prefetch(u);
	mbx_prefetch(&m->records[p->unit]);
	return u;
}

/* Starts loading the lines of entries addr .. addr + qty - 1 of a table
 * whose entry 0 is address start, the first two of them at most: the
 * second only when the entries reach it (a read of a few registers mostly
 * lies in one line). Bits are packed 8 a byte, registers 2 bytes. */
static inline void mb_prefetch_entries(const void *base, uint32_t start, uint32_t n,
				       uint32_t addr, uint32_t qty, uint32_t bits)
{
	uint32_t i = addr - start;

	if (i < n) {
		uintptr_t first = (uintptr_t)base + (bits ? i >> 3 : (size_t)i * 2);
		uintptr_t last = (uintptr_t)base + (bits ? (i + qty - 1) >> 3 : ((size_t)i + qty) * 2 - 1);

		mbx_prefetch((const void *)first);
		if ((first ^ last) >> 6)
			mbx_prefetch((const void *)(first + 64));
	}
}

/* After mb_prefetch_unit(u), a frame or few before the answer: starts
 * loading the lines of u's table entries that the request pdu reads or
 * writes, two at most, as its function's prefetch rule says (struct
 * mb_function). pdu holds at least 5 bytes (function code, address,
 * quantity or value), any contents. Reads u's hot line only. A request to
 * another unit id than the connection's last prefetches lines it will not
 * use, and is answered right all the same. */
static inline void mb_prefetch_request(const struct mb_unit *u, const uint8_t *pdu)
{
	const struct mb_tables *t = &u->tables;
	uint32_t rule = mb_functions[pdu[0]].prefetch;
	uint32_t addr = (uint32_t)(pdu[1] << 8 | pdu[2]);
	uint32_t qty = (uint32_t)(pdu[3] << 8 | pdu[4]);

	if (rule & MB_PREFETCH_ONE)
		qty = 1;
	switch (rule & MB_PREFETCH_TABLE) {
	case MB_PREFETCH_COILS:
		mb_prefetch_entries(t->coils, t->coils_start, t->n_coils, addr, qty, 1);
		break;
	case MB_PREFETCH_DISCRETE_INPUTS:
		mb_prefetch_entries(t->discrete_inputs, t->discrete_inputs_start, t->n_discrete_inputs,
				    addr, qty, 1);
		break;
	case MB_PREFETCH_HOLDING_REGS:
		mb_prefetch_entries(t->holding_regs, t->holding_regs_start, t->n_holding_regs, addr,
				    qty, 0);
		break;
	case MB_PREFETCH_INPUT_REGS:
		mb_prefetch_entries(t->input_regs, t->input_regs_start, t->n_input_regs, addr, qty, 0);
		break;
	}
}

/* Switches function code fc on (on != 0) or off for one unit. A function
 * switched off answers exception 01 (Illegal Function) exactly like an
 * unknown one. */
void mb_function_enable(struct mb_unit *u, uint8_t fc, int on);
/* Sets which functions of a unit are switched off: bit fc of off. */
void mb_functions_off(struct mb_unit *u, const uint8_t off[256 / 8]);

#endif
