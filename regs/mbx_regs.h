/* The live register store: the register images of every simulated device,
 * in one shared-memory file another process can map and change while
 * mbxdp serves them.
 *
 * File: /dev/shm/<name>.regs, where <name> is mbxdp's --name (default
 * mbxdp-<iface>-<queue>). mbxdp creates it at start, holds an exclusive
 * flock(2) on it while it runs (a second mbxdp with the same name refuses
 * to start), and removes it when it stops.
 *
 * Layout (version 2: a server's IPv6 address). Everything is found by byte offsets from the start of
 * the file, never by pointers, so any process can map it anywhere. Integers
 * in the header, server and unit records are in the host's byte order (the
 * file never leaves the host); IP addresses are in network order, as on
 * the wire; registers are big-endian 16-bit words, as on the wire, so the
 * server answers a read with one memcpy; coils and discrete inputs are
 * packed 8 to a byte, least significant bit first (MAP 6.1).
 *
 *   offset 0                 struct mbx_regs_header
 *   header.servers_off       struct mbx_regs_server[n_servers]
 *   header.units_off         struct mbx_regs_unit[n_units] (64-byte aligned)
 *   unit.table[t].off        the table's data (registers 2-byte aligned)
 *
 * Consistency: each unit has a seqlock (unit.seq). A writer - a worker
 * thread of mbxdp or any other process - takes it by a compare-and-swap
 * from an even value to that value + 1, writes, then stores value + 2
 * (release). A reader copies the data between two loads of seq and retries
 * when the first was odd or the two differ. So a multi-register read never
 * sees part of a multi-register write, and a bulk update made between one
 * mbx_regs_write_begin() and mbx_regs_write_end() is seen all at once or
 * not at all. Writers hold the lock for a copy only; a process that dies
 * holding it leaves the unit busy: mbxdp gives up after a bounded wait and
 * answers exception 06 (Server Device Busy, MAP 7) rather than hang.
 *
 * The header is written last: header.magic is stored (release) once every
 * record is in place, so a reader that sees the magic sees a whole file.
 */
#ifndef MBX_REGS_H
#define MBX_REGS_H

#include <stddef.h>
#include <stdint.h>

#define MBX_REGS_MAGIC 0x5347455244584d42ull /* "MBXDREGS" in a little-endian load */
#define MBX_REGS_VERSION 2u
#define MBX_REGS_UNIT_NONE UINT32_MAX
#define MBX_REGS_NAME_MAX 200

/* The tables of a unit (MAP 4.3), and the file records (MAP 6.14). */
enum mbx_regs_table_id {
	MBX_REGS_COILS,
	MBX_REGS_DISCRETE_INPUTS,
	MBX_REGS_HOLDING_REGISTERS,
	MBX_REGS_INPUT_REGISTERS,
	MBX_REGS_FILES, /* count records: file f, record r at (f - 1) * 10000 + r */
	MBX_REGS_TABLES
};

struct mbx_regs_header {
	uint64_t magic; /* MBX_REGS_MAGIC once the file is complete */
	uint32_t version; /* MBX_REGS_VERSION; a reader refuses others */
	uint32_t header_size; /* sizeof(struct mbx_regs_header) */
	uint64_t total_size; /* bytes in the file */
	uint32_t n_servers;
	uint32_t n_units;
	uint64_t servers_off;
	uint64_t units_off;
	uint32_t server_size; /* sizeof(struct mbx_regs_server) */
	uint32_t unit_size; /* sizeof(struct mbx_regs_unit) */
	uint32_t pid; /* the mbxdp process serving it */
	uint32_t reserved;
};

/* The IP addresses the server answers on, and its unit ids. Neither
 * address: any address (mbxdp without --config). */
struct mbx_regs_server {
	uint32_t addr; /* IPv4, network order; 0: none */
	uint32_t n_units; /* distinct units configured on it */
	/* Index into the unit records for each unit id of the MBAP header
	 * (MIG 4.4.1.2: 0 and 0xFF name the server's own unit), or
	 * MBX_REGS_UNIT_NONE when the id is not configured. */
	uint32_t unit_index[256];
	uint8_t addr6[16]; /* IPv6, as on the wire; all zero: none */
};

struct mbx_regs_table {
	uint64_t off; /* from the start of the file */
	uint32_t start; /* the Modbus address of the first entry */
	uint32_t count; /* entries (bits, registers or file records); 0: no table */
};

struct mbx_regs_unit {
	uint32_t seq; /* the seqlock: odd while a writer is at work */
	uint32_t server; /* index of its server record */
	uint8_t unit_id; /* the configured id, 1..254 */
	uint8_t reserved[7];
	struct mbx_regs_table table[MBX_REGS_TABLES];
} __attribute__((aligned(64)));

/* --- Seqlock: inline, so mbxdp's data path and tools share one code. --- */

#define MBX_REGS_SPIN_MAX (1u << 16) /* ~ milliseconds of pause; then give up */

static inline void mbx_regs_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* One attempt at the writer side: 1 when taken, 0 when another writer
 * holds it. */
static inline int mbx_regs_try_lock(uint32_t *seq)
{
	uint32_t s = __atomic_load_n(seq, __ATOMIC_RELAXED);

	if ((s & 1) ||
	    !__atomic_compare_exchange_n(seq, &s, s + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	/* Stores of the write must not become visible before the odd value
	 * (the acquire CAS orders later loads, this fence later stores). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return 1;
}

/* Takes the writer side; 0, or -1 when another writer held it for the whole
 * bounded wait. */
static inline int mbx_regs_lock(uint32_t *seq)
{
	for (uint32_t i = 0; i < MBX_REGS_SPIN_MAX; i++) {
		if (mbx_regs_try_lock(seq))
			return 0;
		mbx_regs_pause();
	}
	return -1;
}

static inline void mbx_regs_unlock(uint32_t *seq)
{
	__atomic_add_fetch(seq, 1, __ATOMIC_RELEASE);
}

/* Reader side: a begin value (even), or -1 (as uint64) when writers kept the
 * unit for the whole bounded wait. */
static inline uint64_t mbx_regs_read_begin(const uint32_t *seq)
{
	for (uint32_t i = 0; i < MBX_REGS_SPIN_MAX; i++) {
		uint32_t s = __atomic_load_n(seq, __ATOMIC_ACQUIRE);

		if (!(s & 1))
			return s;
		mbx_regs_pause();
	}
	return UINT64_MAX;
}

/* Whether what was read since mbx_regs_read_begin() returned begin is
 * consistent (no writer came in between). */
static inline int mbx_regs_read_ok(const uint32_t *seq, uint64_t begin)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(seq, __ATOMIC_RELAXED) == (uint32_t)begin;
}

/* --- The access library (libmbxdp_regs), for mbxdp and the tools. --- */

struct mbx_regs {
	uint8_t *base; /* the mapping */
	size_t size;
	int fd;
	/* The layout, copied from the header when the store was checked
	 * (mbx_regs_open) or laid out (mbx_regs_layout): any writer of the file
	 * can change the header under a reader, never these. */
	uint32_t n_servers, n_units;
	uint64_t servers_off, units_off;
	uint64_t data_off; /* where the records end: every table lies at or after it */
};

static inline const struct mbx_regs_header *mbx_regs_header(const struct mbx_regs *r)
{
	return (const struct mbx_regs_header *)r->base;
}

/* Server i < r->n_servers, unit i < r->n_units. */
static inline struct mbx_regs_server *mbx_regs_server_at(const struct mbx_regs *r, uint32_t i)
{
	return (struct mbx_regs_server *)(r->base + r->servers_off) + i;
}

static inline struct mbx_regs_unit *mbx_regs_unit_at(const struct mbx_regs *r, uint32_t i)
{
	return (struct mbx_regs_unit *)(r->base + r->units_off) + i;
}

/* Bytes of n entries of table t: bits packed 8 to a byte, the rest 16-bit
 * words. */
static inline uint64_t mbx_regs_table_bytes(enum mbx_regs_table_id t, uint64_t n)
{
	return t == MBX_REGS_COILS || t == MBX_REGS_DISCRETE_INPUTS ? (n + 7) / 8 : 2 * n;
}

/* One consistent look at table t of unit u (its offset and extent loaded
 * once): 1, or 0 when the table does not lie wholly in the file's data,
 * behind the records: a reader then never follows an offset out of the mapping, even
 * when another process rewrites the unit record meanwhile. */
static inline int mbx_regs_table_get(const struct mbx_regs *r, const struct mbx_regs_unit *u,
				     enum mbx_regs_table_id t, struct mbx_regs_table *out)
{
	out->off = __atomic_load_n(&u->table[t].off, __ATOMIC_RELAXED);
	out->start = __atomic_load_n(&u->table[t].start, __ATOMIC_RELAXED);
	out->count = __atomic_load_n(&u->table[t].count, __ATOMIC_RELAXED);
	return out->count == 0 || /* no table: never read nor written */
	       (out->off >= r->data_off && out->off <= r->size && out->off % 2 == 0 &&
		mbx_regs_table_bytes(t, out->count) <= r->size - out->off);
}

/* The data of table t of unit u, or NULL when its record points outside the
 * file's data. */
static inline void *mbx_regs_table_data(const struct mbx_regs *r, const struct mbx_regs_unit *u,
					enum mbx_regs_table_id t)
{
	struct mbx_regs_table tb;

	return mbx_regs_table_get(r, u, t, &tb) ? r->base + tb.off : NULL;
}

/* Writes "/dev/shm/<name>.regs" into path; -1 when the name is empty, too
 * long, or holds a '/'. */
int mbx_regs_path(const char *name, char *path, size_t room);

/* Maps the store of a running mbxdp read-write. Every field of the header,
 * every server's unit index and every unit's server and table offsets are
 * checked against the file's size first (a store is a file other users may
 * have written). Returns 0, or -1 with a one-line message in err (no such
 * file, not a register store, another version, which record points where). */
int mbx_regs_open(struct mbx_regs *r, const char *name, char *err, size_t err_room);
void mbx_regs_close(struct mbx_regs *r);

/* The unit that answers unit id `unit_id` on server address `addr` (IPv4,
 * network order; a server with neither address answers any address), or
 * NULL. */
struct mbx_regs_unit *mbx_regs_find(const struct mbx_regs *r, uint32_t addr, uint8_t unit_id);

/* What a tool means by "the unit": server is an IPv4 or IPv6 address in text, or
 * NULL for the model's only server; unit_id is 0..255, or -1 for that
 * server's only unit. Returns the unit, or NULL with a message in err that
 * names the choices (several servers or units, no such address or id). */
struct mbx_regs_unit *mbx_regs_select(const struct mbx_regs *r, const char *server, int unit_id,
				      char *err, size_t err_room);

/* Whether addr .. addr + n - 1 (n > 0) lie in table t of unit u. */
int mbx_regs_range_ok(const struct mbx_regs_unit *u, enum mbx_regs_table_id t, uint32_t addr,
		      uint32_t n);

/* Reads n entries of a table from Modbus address addr into values (host
 * order; a bit is 0 or 1), consistently (seqlock reader). Returns 0, -1 when
 * the range is outside the table, -2 when writers kept the unit busy for a
 * whole second (the tools wait longer than the data path: a writer may be
 * preempted while it holds the unit). */
int mbx_regs_read(const struct mbx_regs *r, struct mbx_regs_unit *u, enum mbx_regs_table_id t,
		  uint32_t addr, uint32_t n, uint16_t *values);

/* Writes n entries (host order; a bit is value != 0) from Modbus address
 * addr, as one update readers see whole. Any table may be written, the
 * read-only ones (discrete inputs, input registers) included: that is how a
 * simulation feeds them. Returns 0, -1 (range), -2 (busy). */
int mbx_regs_write(const struct mbx_regs *r, struct mbx_regs_unit *u, enum mbx_regs_table_id t,
		   uint32_t addr, uint32_t n, const uint16_t *values);

/* A bulk update of one unit: between begin (0, or -2 when busy) and end,
 * write the tables in place through mbx_regs_table_data(); readers see all
 * of it or none. Keep it short: mbxdp's readers wait meanwhile. */
int mbx_regs_write_begin(struct mbx_regs_unit *u);
void mbx_regs_write_end(struct mbx_regs_unit *u);

/* Writes like mbx_regs_write() for a caller inside mbx_regs_write_begin()
 * .. mbx_regs_write_end(): several ranges or tables in one update. Returns
 * 0, or -1 (range; nothing written). */
int mbx_regs_put(const struct mbx_regs *r, struct mbx_regs_unit *u, enum mbx_regs_table_id t,
		 uint32_t addr, uint32_t n, const uint16_t *values);

struct owned_file_mode;

/* For mbxdp: creates (replacing a stale file of its own, refusing anyone
 * else's: owned_file.h) and maps a zeroed store of `size` bytes under the
 * exclusive lock, with the owner and mode `mode` gives (NULL: the caller's,
 * 0600); name NULL gives an anonymous shared mapping (tests, benchmarks).
 * The caller calls mbx_regs_layout(), fills the records and then
 * mbx_regs_publish(). Returns 0, or -1 with a message in err. */
int mbx_regs_create(struct mbx_regs *r, const char *name, size_t size,
		    const struct owned_file_mode *mode, char *err, size_t err_room);
/* Where the records of a created store go: n_servers server records at
 * servers_off, n_units unit records at units_off (64-byte aligned), the
 * tables from data_off on. */
void mbx_regs_layout(struct mbx_regs *r, uint32_t n_servers, uint32_t n_units,
		     uint64_t servers_off, uint64_t units_off, uint64_t data_off);
/* Makes a created store visible to readers: stores the magic (release). */
void mbx_regs_publish(struct mbx_regs *r);
/* Unmaps a created store and removes its file. */
void mbx_regs_destroy(struct mbx_regs *r, const char *name);

#endif
