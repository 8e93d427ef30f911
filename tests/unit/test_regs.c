/* The live register store's access library (regs/mbx_regs.h): a store made
 * the way mbxdp makes one is found by name from a second mapping, values
 * written through one mapping are read through the other in host order and
 * lie big-endian (registers) or packed LSB first (bits) in the file, ranges
 * are checked, a held seqlock makes readers and writers give up instead of
 * hanging, and a second owner of the same name is refused. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(found_by_name_address_and_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(values_cross_mappings, setup, teardown),
		cmocka_unit_test_setup_teardown(ranges_are_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(held_lock_is_busy_not_a_hang, setup, teardown),
		cmocka_unit_test_setup_teardown(second_owner_and_bad_files_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
