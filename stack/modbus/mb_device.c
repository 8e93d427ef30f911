/* Finding a connection's server in the device model (mb_device.h). Runs
 * once per connection, not per request. */
#include "mb_device.h"

/* The slot of an address in mb_model.addr_hash, probed linearly; the
 * builder uses the same. The finaliser of MurmurHash3 (32-bit): the bits
 * that differ between a server's addresses (the last octets, high in a
 * network-order word) must reach the low bits the mask keeps. */
static uint32_t fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85EBCA6Bu;
	h ^= h >> 13;
	h *= 0xC2B2AE35u;
	h ^= h >> 16;
	return h;
}

uint32_t mb_model_hash_slot(uint32_t addr, uint32_t mask)
{
	return fmix32(addr) & mask;
}

/* An IPv6 address's four words, each mixed into the next: a server's
 * addresses differ in the last word, the prefix in the others. */
uint32_t mb_model_hash_slot6(const uint8_t addr[16], uint32_t mask)
{
	uint32_t h = 0;

	for (int i = 0; i < 16; i += 4) {
		uint32_t w;

		memcpy(&w, addr + i, 4);
		h = fmix32(h ^ w);
	}
	return h & mask;
}

/* The default model: one server on every address, of both families. */
static int any_address(const struct mb_model *m)
{
	return m->n_servers == 1 && mb_server_any(&m->servers[0]);
}

uint32_t mb_model_server(const struct mb_model *m, uint32_t addr)
{
	if (any_address(m))
		return 0;
	for (uint32_t i = mb_model_hash_slot(addr, m->addr_hash_mask);; i = (i + 1) & m->addr_hash_mask) {
		uint32_t s = m->addr_hash[i];

		if (s == 0)
			return MB_SERVER_NONE;
		if (m->servers[s - 1].addr == addr)
			return s - 1;
	}
}

uint32_t mb_model_server6(const struct mb_model *m, const uint8_t addr[16])
{
	if (any_address(m))
		return 0;
	for (uint32_t i = mb_model_hash_slot6(addr, m->addr6_hash_mask);;
	     i = (i + 1) & m->addr6_hash_mask) {
		uint32_t s = m->addr6_hash[i];

		if (s == 0)
			return MB_SERVER_NONE;
		if (!memcmp(m->servers[s - 1].addr6, addr, 16))
			return s - 1;
	}
}

/* The peer of a connection to server (its first unit), without rights. */
static struct mb_peer server_peer(const struct mb_model *m, uint32_t server)
{
	struct mb_peer p = { .no_server = 1 };
	const struct mb_server *s;

	if (server == MB_SERVER_NONE)
		return p;
	s = &m->servers[server];
	/* The unit cache starts on the server's own unit (unit id 0), or on
	 * its first unit when it has none; every server has a unit. */
	for (uint32_t id = 0; id < 256; id++) {
		if (s->unit_index[id] != MB_UNIT_NONE) {
			p.unit = s->unit_index[id] & ((1u << 22) - 1);
			p.unit_id = id & 0xFF;
			p.no_server = 0;
			break;
		}
	}
	return p;
}

struct mb_peer mb_model_peer(const struct mb_model *m, uint32_t laddr, uint32_t raddr)
{
	uint32_t server = mb_model_server(m, laddr);
	struct mb_peer p = server_peer(m, server);

	if (!p.no_server) {
		const struct mb_server *s = &m->servers[server];

		p.read_only = mb_cidr_match(s->read_only, s->n_read_only, raddr) & 1;
	}
	return p;
}

struct mb_peer mb_model_peer6(const struct mb_model *m, const uint8_t laddr[16],
			      const uint8_t raddr[16])
{
	uint32_t server = mb_model_server6(m, laddr);
	struct mb_peer p = server_peer(m, server);

	if (!p.no_server) {
		const struct mb_server *s = &m->servers[server];

		p.read_only = mb_cidr6_match(s->read_only6, s->n_read_only6, raddr) & 1;
	}
	return p;
}
