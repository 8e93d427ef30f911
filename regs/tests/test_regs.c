/* The live register store's access library (regs/mbx_regs.h): a store made
 * the way mbxdp makes one is found by name from a second mapping, values
 * written through one mapping are read through the other in host order and
 * lie big-endian (registers) or packed LSB first (bits) in the file, ranges
 * are checked, a held seqlock makes readers and writers give up instead of
 * hanging, and a second owner of the same name is refused; stores crafted
 * by hand (truncated, offsets past the end or over the records, huge counts,
 * overlapping records, indexes out of range) are refused at open with one
 * line, and offsets rewritten after it are never followed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mbx_regs.h"

static char name[64];
static struct mbx_regs owner;

#define ADDR 0x0a0012c6u /* 198.18.0.10, network order */

/* One server at ADDR with unit 5 (also answering 0 and 0xFF): 16 coils
 * from address 100, 8 holding registers from 1000. */
static int setup(void **state)
{
	size_t units_off = 4096, data_off = 8192;
	struct mbx_regs_server *s;
	struct mbx_regs_unit *u;
	char err[256];

	(void)state;
	snprintf(name, sizeof(name), "mbxD-test-regs-%d", (int)getpid());
	if (mbx_regs_create(&owner, name, 3 * 4096, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	mbx_regs_layout(&owner, 1, 1, sizeof(struct mbx_regs_header), units_off, data_off);
	s = mbx_regs_server_at(&owner, 0);
	s->addr = ADDR;
	s->n_units = 1;
	for (int i = 0; i < 256; i++)
		s->unit_index[i] = MBX_REGS_UNIT_NONE;
	s->unit_index[0] = s->unit_index[5] = s->unit_index[0xFF] = 0;
	u = (struct mbx_regs_unit *)(owner.base + units_off);
	u->unit_id = 5;
	u->table[MBX_REGS_COILS] = (struct mbx_regs_table){ .off = data_off, .start = 100, .count = 16 };
	u->table[MBX_REGS_HOLDING_REGISTERS] =
		(struct mbx_regs_table){ .off = data_off + 2, .start = 1000, .count = 8 };
	mbx_regs_publish(&owner);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mbx_regs_destroy(&owner, name);
	return 0;
}

static void found_by_name_address_and_unit(void **state)
{
	struct mbx_regs r;
	char err[256];

	(void)state;
	assert_int_equal(mbx_regs_open(&r, name, err, sizeof(err)), 0);
	assert_non_null(mbx_regs_find(&r, ADDR, 5));
	/* MIG 4.4.1.2: 0 and 0xFF reach the server's own unit. */
	assert_ptr_equal(mbx_regs_find(&r, ADDR, 0), mbx_regs_find(&r, ADDR, 5));
	assert_ptr_equal(mbx_regs_find(&r, ADDR, 0xFF), mbx_regs_find(&r, ADDR, 5));
	assert_null(mbx_regs_find(&r, ADDR, 6));
	assert_null(mbx_regs_find(&r, ADDR + 1, 5));
	mbx_regs_close(&r);
}

static void values_cross_mappings(void **state)
{
	const uint16_t regs[3] = { 0x1234, 0xBEEF, 7 }, bits[4] = { 1, 0, 1, 1 };
	uint16_t back[4] = { 0 };
	struct mbx_regs r;
	struct mbx_regs_unit *u, *own;
	const uint8_t *data;
	char err[256];

	(void)state;
	assert_int_equal(mbx_regs_open(&r, name, err, sizeof(err)), 0);
	u = mbx_regs_find(&r, ADDR, 5);
	own = mbx_regs_find(&owner, ADDR, 5);
	assert_int_equal(mbx_regs_write(&r, u, MBX_REGS_HOLDING_REGISTERS, 1001, 3, regs), 0);
	assert_int_equal(mbx_regs_write(&r, u, MBX_REGS_COILS, 103, 4, bits), 0);
	/* The owner's mapping sees them, in wire order. */
	data = mbx_regs_table_data(&owner, own, MBX_REGS_HOLDING_REGISTERS);
	assert_memory_equal(data + 2, ((const uint8_t[]){ 0x12, 0x34, 0xBE, 0xEF, 0, 7 }), 6);
	data = mbx_regs_table_data(&owner, own, MBX_REGS_COILS);
	assert_int_equal(data[0], 0x68); /* bits 3, 5, 6 */
	assert_int_equal(mbx_regs_read(&owner, own, MBX_REGS_HOLDING_REGISTERS, 1001, 3, back), 0);
	assert_memory_equal(back, regs, sizeof(regs));
	assert_int_equal(mbx_regs_read(&owner, own, MBX_REGS_COILS, 103, 4, back), 0);
	assert_memory_equal(back, bits, sizeof(bits));
	/* Every write moved the seqlock by two: no writer left behind. */
	assert_int_equal(own->seq, 4);
	mbx_regs_close(&r);
}

static void ranges_are_checked(void **state)
{
	struct mbx_regs_unit *u = mbx_regs_find(&owner, ADDR, 5);
	uint16_t v[9] = { 0 };

	(void)state;
	assert_int_equal(mbx_regs_read(&owner, u, MBX_REGS_HOLDING_REGISTERS, 999, 1, v), -1);
	assert_int_equal(mbx_regs_read(&owner, u, MBX_REGS_HOLDING_REGISTERS, 1000, 9, v), -1);
	assert_int_equal(mbx_regs_read(&owner, u, MBX_REGS_HOLDING_REGISTERS, 1000, 8, v), 0);
	assert_int_equal(mbx_regs_write(&owner, u, MBX_REGS_COILS, 116, 1, v), -1);
	assert_int_equal(mbx_regs_read(&owner, u, MBX_REGS_INPUT_REGISTERS, 0, 1, v), -1);
	assert_int_equal(mbx_regs_read(&owner, u, MBX_REGS_HOLDING_REGISTERS, 1000, 0, v), -1);
}

/* A writer that died holding the lock: both sides give up (bounded). */
static void held_lock_is_busy_not_a_hang(void **state)
{
	struct mbx_regs_unit *u = mbx_regs_find(&owner, ADDR, 5);
	uint16_t v = 1;

	(void)state;
	assert_int_equal(mbx_regs_write_begin(u), 0);
	assert_int_equal(mbx_regs_read(&owner, u, MBX_REGS_HOLDING_REGISTERS, 1000, 1, &v), -2);
	assert_int_equal(mbx_regs_write(&owner, u, MBX_REGS_HOLDING_REGISTERS, 1000, 1, &v), -2);
	mbx_regs_write_end(u);
	assert_int_equal(mbx_regs_write(&owner, u, MBX_REGS_HOLDING_REGISTERS, 1000, 1, &v), 0);
}

static void second_owner_and_bad_files_refused(void **state)
{
	struct mbx_regs r;
	char err[256], path[256];
	FILE *f;

	(void)state;
	assert_int_equal(mbx_regs_create(&r, name, 4096, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "held by a running mbxdp"));
	assert_int_equal(mbx_regs_open(&r, "mbxD-no-such-store", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/dev/shm/mbxD-no-such-store.regs"));
	assert_int_equal(mbx_regs_open(&r, "a/b", err, sizeof(err)), -1);
	snprintf(path, sizeof(path), "/dev/shm/%s-junk.regs", name);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 512; i++)
		fputc('x', f);
	fclose(f);
	snprintf(path, sizeof(path), "%s-junk", name);
	assert_int_equal(mbx_regs_open(&r, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a complete register store"));
	snprintf(path, sizeof(path), "/dev/shm/%s-junk.regs", name);
	unlink(path);
}

/* A store written by hand, as a hostile writer of /dev/shm could: one
 * server, one unit, 16 holding registers; then changed by `mutate`. */
#define CRAFT_SIZE 4096u
#define CRAFT_UNITS_OFF 1152u
#define CRAFT_DATA_OFF (CRAFT_UNITS_OFF + sizeof(struct mbx_regs_unit))

struct craft {
	uint8_t *b;
	struct mbx_regs_header *h;
	struct mbx_regs_server *s;
	struct mbx_regs_unit *u;
	size_t len; /* bytes written to the file */
};

static void craft_write(const char *path, void (*mutate)(struct craft *))
{
	static _Alignas(64) uint8_t image[CRAFT_SIZE];
	struct craft c = { .b = image, .len = CRAFT_SIZE };
	FILE *f;

	memset(image, 0, sizeof(image));
	c.h = (struct mbx_regs_header *)image;
	c.s = (struct mbx_regs_server *)(image + 64);
	c.u = (struct mbx_regs_unit *)(image + CRAFT_UNITS_OFF);
	*c.h = (struct mbx_regs_header){ .magic = MBX_REGS_MAGIC, .version = MBX_REGS_VERSION,
					 .header_size = sizeof(*c.h), .total_size = CRAFT_SIZE,
					 .n_servers = 1, .n_units = 1, .servers_off = 64,
					 .units_off = CRAFT_UNITS_OFF,
					 .server_size = sizeof(struct mbx_regs_server),
					 .unit_size = sizeof(struct mbx_regs_unit) };
	for (int i = 0; i < 256; i++)
		c.s->unit_index[i] = i == 1 ? 0 : MBX_REGS_UNIT_NONE;
	c.s->n_units = 1;
	c.u->unit_id = 1;
	c.u->table[MBX_REGS_HOLDING_REGISTERS] =
		(struct mbx_regs_table){ .off = CRAFT_DATA_OFF, .count = 16 };
	if (mutate)
		mutate(&c);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(image, 1, c.len, f), c.len);
	assert_int_equal(fclose(f), 0);
}

static void cut(struct craft *c) { c->len = 2000; }
static void past_end(struct craft *c) { c->u->table[MBX_REGS_HOLDING_REGISTERS].off = CRAFT_SIZE - 8; }
static void huge_count(struct craft *c) { c->u->table[MBX_REGS_HOLDING_REGISTERS].count = UINT32_MAX; }
static void wrapping_off(struct craft *c) { c->u->table[MBX_REGS_HOLDING_REGISTERS].off = UINT64_MAX - 1; }
static void over_records(struct craft *c) { c->u->table[MBX_REGS_HOLDING_REGISTERS].off = CRAFT_UNITS_OFF; }
static void over_header(struct craft *c) { c->h->servers_off = 0; }
static void units_over_servers(struct craft *c) { c->h->units_off = 64 * 2; }
static void huge_units(struct craft *c) { c->h->n_units = UINT32_MAX; }
static void huge_servers_off(struct craft *c) { c->h->servers_off = UINT64_MAX - 63; }
static void misaligned_units(struct craft *c) { c->h->units_off = CRAFT_UNITS_OFF + 8; }
static void index_past_units(struct craft *c) { c->s->unit_index[1] = 1; }
static void server_past_servers(struct craft *c) { c->u->server = 1; }
static void odd_register_off(struct craft *c) { c->u->table[MBX_REGS_HOLDING_REGISTERS].off = CRAFT_DATA_OFF + 1; }

static void crafted_stores_refused(void **state)
{
	static const struct {
		void (*mutate)(struct craft *);
		const char *why;
	} cases[] = {
		{ cut, "size is not the file's" },
		{ past_end, "lies outside the data" },
		{ huge_count, "lies outside the data" },
		{ wrapping_off, "lies outside the data" },
		{ over_records, "lies outside the data" },
		{ over_header, "server records lie outside the file or over the header" },
		{ units_over_servers, "unit records lie outside the file or over the server records" },
		{ huge_units, "unit records lie outside" },
		{ huge_servers_off, "server records lie outside" },
		{ misaligned_units, "unit records lie outside" },
		{ index_past_units, "server 0 names unit 1 of 1" },
		{ server_past_servers, "unit 0 names server 1 of 1" },
		{ odd_register_off, "lies outside the data" },
	};
	char craft_name[64], path[128], err[256];
	struct mbx_regs r;
	uint16_t v[16];

	(void)state;
	snprintf(craft_name, sizeof(craft_name), "mbxD-test-craft-%d", (int)getpid());
	snprintf(path, sizeof(path), "/dev/shm/%s.regs", craft_name);
	craft_write(path, NULL);
	assert_int_equal(mbx_regs_open(&r, craft_name, err, sizeof(err)), 0);
	assert_int_equal(mbx_regs_read(&r, mbx_regs_find(&r, 0, 1), MBX_REGS_HOLDING_REGISTERS, 0,
				       16, v), 0);
	mbx_regs_close(&r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		craft_write(path, cases[i].mutate);
		err[0] = '\0';
		assert_int_equal(mbx_regs_open(&r, craft_name, err, sizeof(err)), -1);
		if (!strstr(err, cases[i].why) || strchr(err, '\n'))
			fail_msg("case %zu: '%s' does not say '%s'", i, err, cases[i].why);
	}
	unlink(path);
}

/* Another writer rewrites a unit's offsets after the store was checked:
 * the reader's own checks at each access keep it inside the file. */
static void offsets_rewritten_after_open(void **state)
{
	char craft_name[64], path[128], err[256];
	struct mbx_regs r;
	struct mbx_regs_unit *u;
	uint16_t v[16] = { 0 };

	(void)state;
	snprintf(craft_name, sizeof(craft_name), "mbxD-test-rewrite-%d", (int)getpid());
	snprintf(path, sizeof(path), "/dev/shm/%s.regs", craft_name);
	craft_write(path, NULL);
	assert_int_equal(mbx_regs_open(&r, craft_name, err, sizeof(err)), 0);
	u = mbx_regs_find(&r, 0, 1);
	assert_non_null(u);
	u->table[MBX_REGS_HOLDING_REGISTERS].off = UINT64_MAX - 1;
	assert_int_equal(mbx_regs_read(&r, u, MBX_REGS_HOLDING_REGISTERS, 0, 16, v), -1);
	assert_int_equal(mbx_regs_write(&r, u, MBX_REGS_HOLDING_REGISTERS, 0, 16, v), -1);
	assert_null(mbx_regs_table_data(&r, u, MBX_REGS_HOLDING_REGISTERS));
	mbx_regs_server_at(&r, 0)->unit_index[1] = 5;
	assert_null(mbx_regs_find(&r, 0, 1));
	((struct mbx_regs_header *)r.base)->n_units = UINT32_MAX;
	assert_null(mbx_regs_find(&r, 0, 1)); /* the count checked at open holds */
	mbx_regs_close(&r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(found_by_name_address_and_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(values_cross_mappings, setup, teardown),
		cmocka_unit_test_setup_teardown(ranges_are_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(held_lock_is_busy_not_a_hang, setup, teardown),
		cmocka_unit_test_setup_teardown(second_owner_and_bad_files_refused, setup, teardown),
		cmocka_unit_test(crafted_stores_refused),
		cmocka_unit_test(offsets_rewritten_after_open),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
