/* The access library of the live register store (mbx_regs.h). */
#include "mbx_regs.h"

#include "owned_file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MBX_REGS_DIR "/dev/shm/"
#define MBX_REGS_SUFFIX ".regs"

int mbx_regs_path(const char *name, char *path, size_t room)
{
	size_t len = strlen(name);

	if (len == 0 || len > MBX_REGS_NAME_MAX || strchr(name, '/') ||
	    snprintf(path, room, MBX_REGS_DIR "%s" MBX_REGS_SUFFIX, name) >= (int)room)
		return -1;
	return 0;
}

static int fail(char *err, size_t room, const char *fmt, const char *path, const char *why)
{
	snprintf(err, room, fmt, path, why);
	return -1;
}

/* Why a mapped file is not a store this library may follow, or NULL: the
 * header against the file's size, then every record's indexes and offsets.
 * What passes is copied into r; readers use only the copies. */
static const char *check_store(struct mbx_regs *r, char *why, size_t room)
{
	const struct mbx_regs_header *h = mbx_regs_header(r);
	uint64_t size = r->size, servers_end, units_end;

	if (size < sizeof(*h) || __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != MBX_REGS_MAGIC)
		return "not a complete register store";
	if (h->version != MBX_REGS_VERSION || h->header_size != sizeof(*h) ||
	    h->server_size != sizeof(struct mbx_regs_server) ||
	    h->unit_size != sizeof(struct mbx_regs_unit))
		return "a register store of another layout version";
	if (h->total_size != size)
		return "the header's size is not the file's (truncated, or grown)";
	r->n_servers = h->n_servers;
	r->n_units = h->n_units;
	r->servers_off = h->servers_off;
	r->units_off = h->units_off;
	if (r->servers_off < sizeof(*h) || r->servers_off > size ||
	    r->servers_off % _Alignof(struct mbx_regs_server) ||
	    (uint64_t)r->n_servers * sizeof(struct mbx_regs_server) > size - r->servers_off)
		return "the server records lie outside the file or over the header";
	servers_end = r->servers_off + (uint64_t)r->n_servers * sizeof(struct mbx_regs_server);
	if (r->units_off < servers_end || r->units_off > size ||
	    r->units_off % _Alignof(struct mbx_regs_unit) ||
	    (uint64_t)r->n_units * sizeof(struct mbx_regs_unit) > size - r->units_off)
		return "the unit records lie outside the file or over the server records";
	units_end = r->units_off + (uint64_t)r->n_units * sizeof(struct mbx_regs_unit);
	r->data_off = units_end;
	for (uint32_t i = 0; i < r->n_servers; i++) {
		const struct mbx_regs_server *s = mbx_regs_server_at(r, i);

		for (int id = 0; id < 256; id++)
			if (s->unit_index[id] != MBX_REGS_UNIT_NONE && s->unit_index[id] >= r->n_units) {
				snprintf(why, room, "server %u names unit %u of %u", i, s->unit_index[id],
					 r->n_units);
				return why;
			}
	}
	for (uint32_t i = 0; i < r->n_units; i++) {
		const struct mbx_regs_unit *u = mbx_regs_unit_at(r, i);
		struct mbx_regs_table tb;

		if (u->server >= r->n_servers) {
			snprintf(why, room, "unit %u names server %u of %u", i, u->server, r->n_servers);
			return why;
		}
		for (int t = 0; t < MBX_REGS_TABLES; t++)
			if (!mbx_regs_table_get(r, u, (enum mbx_regs_table_id)t, &tb)) {
				snprintf(why, room,
					 "unit %u's table %d (%u entries at offset %llu) lies outside the data",
					 i, t, tb.count, (unsigned long long)tb.off);
				return why;
			}
	}
	return NULL;
}

int mbx_regs_open(struct mbx_regs *r, const char *name, char *err, size_t err_room)
{
	char path[sizeof(MBX_REGS_DIR) + MBX_REGS_NAME_MAX + sizeof(MBX_REGS_SUFFIX)];
	char why[160];
	const char *bad;
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (mbx_regs_path(name, path, sizeof(path)) < 0)
		return fail(err, err_room, "%s%s", "bad store name (empty, too long or with '/'): ",
			    name);
	r->fd = open(path, O_RDWR | O_CLOEXEC);
	if (r->fd < 0)
		return fail(err, err_room, "%s: %s", path, strerror(errno));
	if (fstat(r->fd, &st) < 0 || st.st_size < (off_t)sizeof(struct mbx_regs_header)) {
		close(r->fd);
		return fail(err, err_room, "%s: %s", path, "too short to be a register store");
	}
	r->size = (size_t)st.st_size;
	r->base = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->base == MAP_FAILED) {
		close(r->fd);
		return fail(err, err_room, "%s: %s", path, strerror(errno));
	}
	if ((bad = check_store(r, why, sizeof(why)))) {
		snprintf(err, err_room, "%s: %s", path, bad);
		mbx_regs_close(r);
		return -1;
	}
	return 0;
}

void mbx_regs_close(struct mbx_regs *r)
{
	if (r->base && r->base != MAP_FAILED)
		munmap(r->base, r->size);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

/* A server with neither address answers every address. */
static int server_any(const struct mbx_regs_server *s)
{
	static const uint8_t none[16];

	return s->addr == 0 && !memcmp(s->addr6, none, 16);
}

struct mbx_regs_unit *mbx_regs_find(const struct mbx_regs *r, uint32_t addr, uint8_t unit_id)
{
	for (uint32_t i = 0; i < r->n_servers; i++) {
		const struct mbx_regs_server *s = mbx_regs_server_at(r, i);

		if ((addr && s->addr == addr) || server_any(s)) {
			uint32_t u = __atomic_load_n(&s->unit_index[unit_id], __ATOMIC_RELAXED);

			return u < r->n_units ? mbx_regs_unit_at(r, u) : NULL;
		}
	}
	return NULL;
}

/* The unit ids of server s that have a unit, as text for a message. */
static void list_units(const struct mbx_regs_server *s, char *out, size_t room)
{
	size_t len = 0;

	out[0] = '\0';
	for (int id = 0; id < 256 && len + 8 < room; id++)
		if (s->unit_index[id] != MBX_REGS_UNIT_NONE)
			len += (size_t)snprintf(out + len, room - len, "%s%d", len ? " " : "", id);
}

struct mbx_regs_unit *mbx_regs_select(const struct mbx_regs *r, const char *server, int unit_id,
				      char *err, size_t err_room)
{
	const struct mbx_regs_server *s = NULL;
	char ids[256];
	uint32_t u = MBX_REGS_UNIT_NONE;

	if (server) {
		int v6 = strchr(server, ':') != NULL;
		uint8_t a[16];

		if (inet_pton(v6 ? AF_INET6 : AF_INET, server, a) != 1) {
			snprintf(err, err_room, "server '%s' is not an IPv4 or IPv6 address", server);
			return NULL;
		}
		/* An exact address first; a server on every address after. */
		for (uint32_t i = 0; i < r->n_servers && !s; i++) {
			const struct mbx_regs_server *c = mbx_regs_server_at(r, i);

			if (v6 ? !memcmp(c->addr6, a, 16) && !server_any(c) :
				 !memcmp(&c->addr, a, 4) && c->addr)
				s = c;
		}
		for (uint32_t i = 0; i < r->n_servers && !s; i++)
			if (server_any(mbx_regs_server_at(r, i)))
				s = mbx_regs_server_at(r, i);
		if (!s) {
			snprintf(err, err_room, "no server with address %s in this model", server);
			return NULL;
		}
	} else if (r->n_servers == 1) {
		s = mbx_regs_server_at(r, 0);
	} else {
		snprintf(err, err_room, "the model has %u servers: say which (server address)",
			 r->n_servers);
		return NULL;
	}
	if (unit_id >= 0 && unit_id <= 255) {
		u = __atomic_load_n(&s->unit_index[unit_id], __ATOMIC_RELAXED);
	} else if (s->n_units == 1) {
		for (int id = 0; id < 256 && u == MBX_REGS_UNIT_NONE; id++)
			u = s->unit_index[id];
	} else {
		list_units(s, ids, sizeof(ids));
		snprintf(err, err_room, "the server has %u units: say which (unit id: %s)", s->n_units,
			 ids);
		return NULL;
	}
	if (u >= r->n_units) {
		list_units(s, ids, sizeof(ids));
		snprintf(err, err_room, "the server has no unit %d (it has: %s)", unit_id, ids);
		return NULL;
	}
	return mbx_regs_unit_at(r, u);
}

int mbx_regs_range_ok(const struct mbx_regs_unit *u, enum mbx_regs_table_id t, uint32_t addr,
		      uint32_t n)
{
	const struct mbx_regs_table *tb;

	if ((unsigned)t >= MBX_REGS_TABLES)
		return 0;
	tb = &u->table[t];
	return n > 0 && addr >= tb->start && (uint64_t)addr - tb->start + n <= tb->count;
}

static int is_bits(enum mbx_regs_table_id t)
{
	return t == MBX_REGS_COILS || t == MBX_REGS_DISCRETE_INPUTS;
}

static void copy_out(const uint8_t *data, enum mbx_regs_table_id t, uint32_t i, uint32_t n,
		     uint16_t *values)
{
	for (uint32_t k = 0; k < n; k++, i++)
		values[k] = is_bits(t) ? (uint16_t)((data[i >> 3] >> (i & 7)) & 1) :
					 (uint16_t)(data[2 * i] << 8 | data[2 * i + 1]);
}

/* The tools wait far longer than mbxdp's data path (MBX_REGS_SPIN_MAX): a
 * writer preempted while it holds the unit - any process on a loaded host -
 * keeps it for a scheduler slice or more. Only a unit held for the whole
 * second is reported busy (a writer that died holding it). */
#define TOOL_WAIT_NS 1000000000ll
#define TOOL_NAP_NS 100000l

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* A begin value for a reader, or UINT64_MAX after TOOL_WAIT_NS. */
static uint64_t tool_read_begin(const uint32_t *seq)
{
	const struct timespec nap = { 0, TOOL_NAP_NS };
	long long deadline = now_ns() + TOOL_WAIT_NS;
	uint64_t begin;

	while ((begin = mbx_regs_read_begin(seq)) == UINT64_MAX && now_ns() < deadline)
		nanosleep(&nap, NULL);
	return begin;
}

/* The writer side, or -1 after TOOL_WAIT_NS. */
static int tool_lock(uint32_t *seq)
{
	const struct timespec nap = { 0, TOOL_NAP_NS };
	long long deadline = now_ns() + TOOL_WAIT_NS;
	int rc;

	while ((rc = mbx_regs_lock(seq)) < 0 && now_ns() < deadline)
		nanosleep(&nap, NULL);
	return rc;
}

/* Table t of u as one checked look, and whether addr .. addr + n - 1
 * (n > 0) lie in it. */
static int table_range(const struct mbx_regs *r, const struct mbx_regs_unit *u,
		       enum mbx_regs_table_id t, uint32_t addr, uint32_t n, struct mbx_regs_table *tb)
{
	return (unsigned)t < MBX_REGS_TABLES && mbx_regs_table_get(r, u, t, tb) && n > 0 &&
	       addr >= tb->start && (uint64_t)addr - tb->start + n <= tb->count;
}

int mbx_regs_read(const struct mbx_regs *r, struct mbx_regs_unit *u, enum mbx_regs_table_id t,
		  uint32_t addr, uint32_t n, uint16_t *values)
{
	struct mbx_regs_table tb;
	uint64_t begin;

	if (!table_range(r, u, t, addr, n, &tb))
		return -1;
	do {
		begin = tool_read_begin(&u->seq);
		if (begin == UINT64_MAX)
			return -2;
		copy_out(r->base + tb.off, t, addr - tb.start, n, values);
	} while (!mbx_regs_read_ok(&u->seq, begin));
	return 0;
}

int mbx_regs_put(const struct mbx_regs *r, struct mbx_regs_unit *u, enum mbx_regs_table_id t,
		 uint32_t addr, uint32_t n, const uint16_t *values)
{
	struct mbx_regs_table tb;
	uint8_t *data;
	uint32_t i;

	if (!table_range(r, u, t, addr, n, &tb))
		return -1;
	data = r->base + tb.off;
	i = addr - tb.start;
	for (uint32_t k = 0; k < n; k++, i++) {
		if (is_bits(t)) {
			uint8_t bit = (uint8_t)(1u << (i & 7));

			data[i >> 3] = (uint8_t)(values[k] ? data[i >> 3] | bit : data[i >> 3] & ~bit);
		} else {
			data[2 * i] = (uint8_t)(values[k] >> 8);
			data[2 * i + 1] = (uint8_t)values[k];
		}
	}
	return 0;
}

int mbx_regs_write(const struct mbx_regs *r, struct mbx_regs_unit *u, enum mbx_regs_table_id t,
		   uint32_t addr, uint32_t n, const uint16_t *values)
{
	struct mbx_regs_table tb;

	if (!table_range(r, u, t, addr, n, &tb))
		return -1;
	if (tool_lock(&u->seq) < 0)
		return -2;
	mbx_regs_put(r, u, t, addr, n, values);
	mbx_regs_unlock(&u->seq);
	return 0;
}

int mbx_regs_write_begin(struct mbx_regs_unit *u)
{
	return tool_lock(&u->seq) < 0 ? -2 : 0;
}

void mbx_regs_write_end(struct mbx_regs_unit *u)
{
	mbx_regs_unlock(&u->seq);
}

int mbx_regs_create(struct mbx_regs *r, const char *name, size_t size,
		    const struct owned_file_mode *mode, char *err, size_t err_room)
{
	char path[sizeof(MBX_REGS_DIR) + MBX_REGS_NAME_MAX + sizeof(MBX_REGS_SUFFIX)];

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->size = size;
	if (!name) {
		r->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (r->base == MAP_FAILED)
			return fail(err, err_room, "%s%s", "cannot map the register store: ",
				    strerror(errno));
		return 0;
	}
	if (mbx_regs_path(name, path, sizeof(path)) < 0)
		return fail(err, err_room, "%s%s", "bad --name (empty, too long or with '/'): ", name);
	/* Locked before anything is touched: the file may belong to a running
	 * instance. */
	r->fd = owned_file_open(path, mode, err, err_room);
	if (r->fd < 0)
		return -1;
	/* A stale file of a run that was killed: start from zeroes. The pages
	 * are reserved now, so a full /dev/shm is an error here and not a
	 * SIGBUS on first touch. */
	if (ftruncate(r->fd, 0) < 0 || (errno = posix_fallocate(r->fd, 0, (off_t)size)) != 0) {
		snprintf(err, err_room, "%s: cannot reserve %zu bytes: %s", path, size,
			 strerror(errno));
		close(r->fd);
		unlink(path);
		r->fd = -1;
		return -1;
	}
	r->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->base == MAP_FAILED) {
		snprintf(err, err_room, "%s: cannot map %zu bytes: %s", path, size, strerror(errno));
		close(r->fd);
		unlink(path);
		r->fd = -1;
		return -1;
	}
	return 0;
}

void mbx_regs_layout(struct mbx_regs *r, uint32_t n_servers, uint32_t n_units,
		     uint64_t servers_off, uint64_t units_off, uint64_t data_off)
{
	struct mbx_regs_header *h = (struct mbx_regs_header *)r->base;

	r->n_servers = h->n_servers = n_servers;
	r->n_units = h->n_units = n_units;
	r->servers_off = h->servers_off = servers_off;
	r->units_off = h->units_off = units_off;
	r->data_off = data_off;
}

void mbx_regs_publish(struct mbx_regs *r)
{
	struct mbx_regs_header *h = (struct mbx_regs_header *)r->base;

	h->version = MBX_REGS_VERSION;
	h->header_size = sizeof(*h);
	h->server_size = sizeof(struct mbx_regs_server);
	h->unit_size = sizeof(struct mbx_regs_unit);
	h->total_size = r->size;
	h->pid = (uint32_t)getpid();
	__atomic_store_n(&h->magic, MBX_REGS_MAGIC, __ATOMIC_RELEASE);
}

void mbx_regs_destroy(struct mbx_regs *r, const char *name)
{
	char path[sizeof(MBX_REGS_DIR) + MBX_REGS_NAME_MAX + sizeof(MBX_REGS_SUFFIX)];

	/* Unlink while the lock is held, so a new instance never loses its
	 * fresh file to an old one's exit. */
	if (r->fd >= 0 && name && mbx_regs_path(name, path, sizeof(path)) == 0)
		unlink(path);
	mbx_regs_close(r);
}
