/* IPv6 addresses in TCP's 32-bit words.
 *
 * A connection's record is one cache line with room for two IPv4
 * addresses (tcp_conn.h), and an IPv4 connection must not pay for IPv6.
 * So an IPv6 connection keeps, in place of its addresses:
 *
 *   raddr  a keyed 32-bit fold of the peer's address, which the hash and
 *          the first compare of a lookup read as they read an IPv4 one;
 *          the address itself sits in the table's side array raddr6, by
 *          connection index, read only to confirm a match;
 *   laddr  the index of our address in the worker's table of local IPv6
 *          addresses: a worker serves few, and an index compares exactly.
 *
 * and CONN_V6 in cm_flags, so that no IPv4 tuple can match it. An idle
 * IPv6 connection costs 16 bytes more than an IPv4 one, and the side
 * array's pages are touched only by IPv6 connections.
 *
 * A segment carries the same keys in seg->saddr and seg->daddr, and the
 * addresses themselves at seg->addr6. */
#ifndef MBX_TCP_ADDR6_H
#define MBX_TCP_ADDR6_H

#include <stdint.h>
#include <string.h>

/* c->cm_flags: an IPv6 connection (beside CONN_PRIORITY). */
#define CONN_V6 0x02

/* The local IPv6 addresses a worker may serve, and its table's slots
 * (twice as many: a free slot always ends a probe). On AF_XDP the XDP
 * program decides which addresses reach the stack; the table only names
 * them, and a new connection to one more than it holds is refused and
 * counted (drop_ip6_local_table_full). */
#define LOCAL6_MAX 1024
#define LOCAL6_SLOTS (2 * LOCAL6_MAX)
#define LOCAL6_NONE UINT32_MAX

struct local6_table {
	uint8_t (*addr)[16]; /* by index */
	uint16_t *slots; /* index + 1, 0: free */
	uint32_t n;
	/* The index found last: a worker serves one address, or a few, so
	 * most lookups are a compare of 16 bytes. */
	uint32_t last;
	uint64_t key;
};

static inline int addr6_equal(const uint8_t *a, const uint8_t *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, 16);
	memcpy(y, b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/* A keyed 32-bit fold of the first len8 * 8 bytes of an address (2: all
 * of it, 1: its /64). Keyed with the run's secret hash key, so that no
 * peer can choose addresses that fold alike and pile into one run of the
 * connection hash, or into another source's share. */
static inline uint32_t addr6_fold(uint64_t key, const uint8_t a[16], int len8)
{
	uint64_t hi, lo = 0, h;

	memcpy(&hi, a, 8);
	if (len8 > 1)
		memcpy(&lo, a + 8, 8);
	h = (hi ^ key) * 0x9E3779B97F4A7C15ULL;
	h ^= lo ^ (h >> 29);
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	h *= 0x94d049bb133111ebULL;
	return (uint32_t)(h ^ (h >> 29));
}

/* The peer's key in the connection table: all of its address. */
static inline uint32_t addr6_conn_key(uint64_t key, const uint8_t a[16])
{
	return addr6_fold(key, a, 2);
}

/* The source an IPv6 peer counts as for per-source limits and shares:
 * its /64, the prefix one host is given (RFC 4291 2.5.4, RFC 7136), as
 * Linux's rate limits do; a host choosing a new address for each
 * connection is still one source. */
static inline uint32_t addr6_source_key(uint64_t key, const uint8_t a[16])
{
	return addr6_fold(key, a, 1);
}

int local6_init(struct local6_table *t, uint64_t key);
void local6_free(struct local6_table *t);

/* The index of local address a, or LOCAL6_NONE. */
uint32_t local6_find_slow(struct local6_table *t, const uint8_t a[16]);
static inline uint32_t local6_find(struct local6_table *t, const uint8_t a[16])
{
	if (__builtin_expect(t->n && addr6_equal(t->addr[t->last], a), 1))
		return t->last;
	return local6_find_slow(t, a);
}
/* The same, adding a if it is new: LOCAL6_NONE when the table is full. */
uint32_t local6_add(struct local6_table *t, const uint8_t a[16]);

static inline const uint8_t *local6_addr(const struct local6_table *t, uint32_t i)
{
	return t->addr[i];
}

#endif
