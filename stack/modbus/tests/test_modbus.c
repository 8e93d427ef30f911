/* The Modbus application layer, ADU in, ADU out: every served function code
 * against golden frames (the examples of MAP chapter 6, on the default
 * image or on tables set up as in the spec), the quantity limits, the
 * exception codes and their order, MBAP echoing, and bit packing at
 * unaligned addresses checked against a bit-at-a-time model. */
#include <stdlib.h>

#include "modbus_harness.h"


/* Request PDUs: address and quantity (or value) in big-endian. */
static size_t pdu_fixed(uint8_t *p, uint8_t fc, uint32_t addr, uint32_t qty)
{
	p[0] = fc;
	p[1] = (uint8_t)(addr >> 8);
	p[2] = (uint8_t)addr;
	p[3] = (uint8_t)(qty >> 8);
	p[4] = (uint8_t)qty;
	return 5;
}

/* A write-multiple PDU with `count` as byte count and `data_len` bytes of
 * data following it. */
static size_t pdu_multi(uint8_t *p, uint8_t fc, uint32_t addr, uint32_t qty, uint8_t count,
			const uint8_t *data, size_t data_len)
{
	pdu_fixed(p, fc, addr, qty);
	p[5] = count;
	memcpy(p + 6, data, data_len);
	return 6 + data_len;
}

/* The reference model of bit tables: one bit at a time, LSB first. */
static int get_bit(const uint8_t *table, uint32_t i)
{
	return (table[i >> 3] >> (i & 7)) & 1;
}

static void set_bit(uint8_t *table, uint32_t i, int v)
{
	table[i >> 3] = (uint8_t)((table[i >> 3] & ~(1u << (i & 7))) | ((unsigned)v << (i & 7)));
}

static uint16_t reg(const uint16_t *table, uint32_t i)
{
	const uint8_t *p = (const uint8_t *)(table + i);

	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Sets bits first..first+8*len-1 of a table from bytes, as the spec's
 * examples list them (LSB = lowest address). */
static void load_bits(uint8_t *table, uint32_t first, const uint8_t *bytes, uint32_t nbits)
{
	for (uint32_t i = 0; i < nbits; i++)
		set_bit(table, first + i, get_bit(bytes, i));
}

static void fill_pseudo_random(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* ---- the default image ---- */

static void test_default_image(void **state)
{
	(void)state;
	assert_int_equal(unit->tables.n_coils, 65536);
	assert_int_equal(unit->tables.n_discrete_inputs, 65536);
	assert_int_equal(unit->tables.n_holding_regs, 65536);
	assert_int_equal(unit->tables.n_input_regs, 65536);
	for (uint32_t i = 0; i < 65536; i++) {
		assert_int_equal(reg(unit->tables.holding_regs, i), i);
		assert_int_equal(reg(unit->tables.input_regs, i), i);
		assert_int_equal(get_bit(unit->tables.coils, i), i & 1);
		assert_int_equal(get_bit(unit->tables.discrete_inputs, i), i & 1);
	}
}

/* ---- normal responses: MAP chapter 6 examples ---- */

/* MAP 6.1: read coils 20-38 (addresses 19..37). */
static void test_fc01_read_coils(void **state)
{
	(void)state;
	/* Default image: odd addresses are on, so address 19 (bit 0) is 1. */
	expect_pdu(BYTES(0x01, 0x00, 0x13, 0x00, 0x13), BYTES(0x01, 0x03, 0x55, 0x55, 0x05));
	/* The spec's own coil states give the spec's own answer. */
	load_bits(unit->tables.coils, 19, (const uint8_t[]){ 0xCD, 0x6B, 0x05 }, 19);
	expect_pdu(BYTES(0x01, 0x00, 0x13, 0x00, 0x13), BYTES(0x01, 0x03, 0xCD, 0x6B, 0x05));
}

/* MAP 6.2: read discrete inputs 197-218 (addresses 196..217). */
static void test_fc02_read_discrete_inputs(void **state)
{
	(void)state;
	expect_pdu(BYTES(0x02, 0x00, 0xC4, 0x00, 0x16), BYTES(0x02, 0x03, 0xAA, 0xAA, 0x2A));
	load_bits(unit->tables.discrete_inputs, 196, (const uint8_t[]){ 0xAC, 0xDB, 0x35 }, 22);
	expect_pdu(BYTES(0x02, 0x00, 0xC4, 0x00, 0x16), BYTES(0x02, 0x03, 0xAC, 0xDB, 0x35));
}

/* MAP 6.3: read holding registers 108-110 (addresses 107..109). */
static void test_fc03_read_holding_regs(void **state)
{
	(void)state;
	expect_pdu(BYTES(0x03, 0x00, 0x6B, 0x00, 0x03),
		   BYTES(0x03, 0x06, 0x00, 0x6B, 0x00, 0x6C, 0x00, 0x6D));
}

/* MAP 6.4: read input register 9 (address 8). */
static void test_fc04_read_input_regs(void **state)
{
	(void)state;
	expect_pdu(BYTES(0x04, 0x00, 0x08, 0x00, 0x01), BYTES(0x04, 0x02, 0x00, 0x08));
}

/* MAP 6.5: write coil 173 (address 172) ON, then OFF; the response echoes
 * the request and only that coil changes. */
static void test_fc05_write_single_coil(void **state)
{
	(void)state;
	expect_pdu(BYTES(0x05, 0x00, 0xAC, 0xFF, 0x00), BYTES(0x05, 0x00, 0xAC, 0xFF, 0x00));
	assert_int_equal(get_bit(unit->tables.coils, 172), 1);
	expect_pdu(BYTES(0x01, 0x00, 0xA8, 0x00, 0x08), BYTES(0x01, 0x01, 0xBA));
	expect_pdu(BYTES(0x05, 0x00, 0xAD, 0x00, 0x00), BYTES(0x05, 0x00, 0xAD, 0x00, 0x00));
	assert_int_equal(get_bit(unit->tables.coils, 173), 0);
	expect_pdu(BYTES(0x01, 0x00, 0xA8, 0x00, 0x08), BYTES(0x01, 0x01, 0x9A));
	/* Writing the value a coil already has changes nothing. */
	expect_pdu(BYTES(0x05, 0x00, 0xAC, 0xFF, 0x00), BYTES(0x05, 0x00, 0xAC, 0xFF, 0x00));
	expect_pdu(BYTES(0x01, 0x00, 0xA8, 0x00, 0x08), BYTES(0x01, 0x01, 0x9A));
}

/* MAP 6.6: write register 2 (address 1) to 3; any 16-bit value is valid. */
static void test_fc06_write_single_reg(void **state)
{
	(void)state;
	expect_pdu(BYTES(0x06, 0x00, 0x01, 0x00, 0x03), BYTES(0x06, 0x00, 0x01, 0x00, 0x03));
	assert_int_equal(reg(unit->tables.holding_regs, 1), 3);
	expect_pdu(BYTES(0x03, 0x00, 0x00, 0x00, 0x03),
		   BYTES(0x03, 0x06, 0x00, 0x00, 0x00, 0x03, 0x00, 0x02));
	expect_pdu(BYTES(0x06, 0xFF, 0xFF, 0xFF, 0xFF), BYTES(0x06, 0xFF, 0xFF, 0xFF, 0xFF));
	assert_int_equal(reg(unit->tables.holding_regs, 0xFFFF), 0xFFFF);
	expect_pdu(BYTES(0x06, 0x00, 0x07, 0x00, 0x00), BYTES(0x06, 0x00, 0x07, 0x00, 0x00));
	assert_int_equal(reg(unit->tables.holding_regs, 7), 0);
}

/* MAP 6.11: write coils 20-29 (addresses 19..28) from CD 01. */
static void test_fc0f_write_multiple_coils(void **state)
{
	(void)state;
	expect_pdu(BYTES(0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01),
		   BYTES(0x0F, 0x00, 0x13, 0x00, 0x0A));
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(get_bit(unit->tables.coils, 19 + i), get_bit((const uint8_t[]){ 0xCD, 0x01 }, i));
	assert_int_equal(get_bit(unit->tables.coils, 18), 0);
	assert_int_equal(get_bit(unit->tables.coils, 29), 1);
	expect_pdu(BYTES(0x01, 0x00, 0x13, 0x00, 0x0A), BYTES(0x01, 0x02, 0xCD, 0x01));
	/* Bits beyond the quantity in the last data byte are not written. */
	expect_pdu(BYTES(0x0F, 0x00, 0x00, 0x00, 0x03, 0x01, 0xF8), BYTES(0x0F, 0x00, 0x00, 0x00, 0x03));
	expect_pdu(BYTES(0x01, 0x00, 0x00, 0x00, 0x08), BYTES(0x01, 0x01, 0xA8));
}

/* MAP 6.12: write registers 2-3 (addresses 1..2) to 000A 0102. */
static void test_fc10_write_multiple_regs(void **state)
{
	(void)state;
	expect_pdu(BYTES(0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02),
		   BYTES(0x10, 0x00, 0x01, 0x00, 0x02));
	assert_int_equal(reg(unit->tables.holding_regs, 1), 0x000A);
	assert_int_equal(reg(unit->tables.holding_regs, 2), 0x0102);
	expect_pdu(BYTES(0x03, 0x00, 0x00, 0x00, 0x04),
		   BYTES(0x03, 0x08, 0x00, 0x00, 0x00, 0x0A, 0x01, 0x02, 0x00, 0x03));
	/* Writes go to holding registers only. */
	expect_pdu(BYTES(0x04, 0x00, 0x01, 0x00, 0x02), BYTES(0x04, 0x04, 0x00, 0x01, 0x00, 0x02));
}

/* ---- quantity and value limits: min and max accepted, one beyond -> 03 ---- */

static void expect_read_ok(uint8_t fc, uint32_t addr, uint32_t qty, size_t data_len)
{
	uint8_t p[5];
	uint32_t n = send_adu(1, 0, 1, p, pdu_fixed(p, fc, addr, qty));

	assert_int_equal(n, MBAP_HDR_LEN + 2 + data_len);
	assert_int_equal(resp[MBAP_HDR_LEN], fc);
	assert_int_equal(resp[MBAP_HDR_LEN + 1], data_len);
}

static void expect_fixed_exception(uint8_t fc, uint32_t addr, uint32_t qty, uint8_t code)
{
	uint8_t p[5];

	expect_exception(p, pdu_fixed(p, fc, addr, qty), code);
}

static void test_read_quantity_limits(void **state)
{
	(void)state;
	for (uint8_t fc = 0x01; fc <= 0x02; fc++) {
		expect_read_ok(fc, 0, 1, 1);
		expect_read_ok(fc, 0, 2000, 250);
		expect_fixed_exception(fc, 0, 0, 0x03);
		expect_fixed_exception(fc, 0, 2001, 0x03);
		expect_fixed_exception(fc, 0, 0xFFFF, 0x03);
	}
	for (uint8_t fc = 0x03; fc <= 0x04; fc++) {
		expect_read_ok(fc, 0, 1, 2);
		expect_read_ok(fc, 0, 125, 250);
		expect_fixed_exception(fc, 0, 0, 0x03);
		expect_fixed_exception(fc, 0, 126, 0x03);
		expect_fixed_exception(fc, 0, 0xFFFF, 0x03);
	}
	/* The largest responses carry their length in the MBAP header. */
	expect_read_ok(0x03, 0, 125, 250);
	assert_int_equal(resp[4], 0);
	assert_int_equal(resp[5], 253);
}

static void test_fc05_values(void **state)
{
	static const uint16_t bad[] = { 0x0001, 0x00FF, 0xFF01, 0xFFFF, 0x0100, 0x1234, 0x7F00 };

	(void)state;
	/* Neither read as ON nor as OFF: coil 0 is off, coil 1 on. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_fixed_exception(0x05, 0, bad[i], 0x03);
		expect_fixed_exception(0x05, 1, bad[i], 0x03);
	}
	assert_int_equal(get_bit(unit->tables.coils, 0), 0);
	assert_int_equal(get_bit(unit->tables.coils, 1), 1);
	expect_pdu(BYTES(0x05, 0x00, 0x00, 0xFF, 0x00), BYTES(0x05, 0x00, 0x00, 0xFF, 0x00));
	expect_pdu(BYTES(0x05, 0x00, 0x00, 0x00, 0x00), BYTES(0x05, 0x00, 0x00, 0x00, 0x00));
}

static void expect_write_ok(uint8_t fc, uint32_t addr, uint32_t qty, uint8_t count)
{
	uint8_t p[MBAP_LEN_MAX - 1], data[246] = { 0 };
	size_t len = pdu_multi(p, fc, addr, qty, count, data, count);

	expect_pdu(p, len, p, 5);
}

static void expect_write_exception(uint8_t fc, uint32_t addr, uint32_t qty, uint8_t count,
				   size_t data_len, uint8_t code)
{
	uint8_t p[MBAP_LEN_MAX - 1], data[247];

	/* All ones: differs from the image wherever a refused write could land. */
	memset(data, 0xFF, sizeof(data));
	expect_exception(p, pdu_multi(p, fc, addr, qty, count, data, data_len), code);
}

static void test_fc0f_quantity_limits(void **state)
{
	(void)state;
	expect_write_ok(0x0F, 0, 1, 1);
	expect_write_ok(0x0F, 0, 1968, 246);
	expect_write_exception(0x0F, 0, 0, 0, 0, 0x03);
	/* 1969 coils: the byte count (247) and the PDU (253 bytes) are
	 * consistent and framable, yet the quantity is over the limit. */
	expect_write_exception(0x0F, 0, 1969, 247, 247, 0x03);
	for (uint32_t i = 0; i < 1969; i++)
		assert_int_equal(get_bit(unit->tables.coils, i), 0);
}

static void test_fc10_quantity_limits(void **state)
{
	(void)state;
	expect_write_ok(0x10, 0, 1, 2);
	expect_write_ok(0x10, 0, 123, 246);
	expect_write_exception(0x10, 0, 0, 0, 0, 0x03);
	/* 124 registers cannot be framed (PDU 254 bytes); a request claiming
	 * them with as much data as fits is refused. */
	expect_write_exception(0x10, 0, 124, 248, 246, 0x03);
	expect_write_exception(0x10, 0, 124, 246, 246, 0x03);
	assert_int_equal(reg(unit->tables.holding_regs, 123), 123);
}

/* ---- exception 03 for byte counts and PDU lengths ---- */

static void test_byte_count_and_length(void **state)
{
	static const uint8_t fixed_fcs[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06 };
	uint8_t p[16];

	(void)state;
	/* FC0F: 10 coils need 2 bytes, no more, no fewer. */
	expect_exception(BYTES(0x0F, 0x00, 0x13, 0x00, 0x0A, 0x01, 0xCD), 0x03);
	expect_exception(BYTES(0x0F, 0x00, 0x13, 0x00, 0x0A, 0x03, 0xCD, 0x01, 0x00), 0x03);
	expect_exception(BYTES(0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD), 0x03);
	expect_exception(BYTES(0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01, 0x00), 0x03);
	expect_exception(BYTES(0x0F, 0x00, 0x13, 0x00, 0x0A), 0x03);
	/* FC10: 2 registers need 4 bytes. */
	expect_exception(BYTES(0x10, 0x00, 0x01, 0x00, 0x02, 0x03, 0x00, 0x0A, 0x01), 0x03);
	expect_exception(BYTES(0x10, 0x00, 0x01, 0x00, 0x02, 0x05, 0x00, 0x0A, 0x01, 0x02, 0x00),
			 0x03);
	expect_exception(BYTES(0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01), 0x03);
	expect_exception(BYTES(0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02, 0x00),
			 0x03);
	expect_exception(BYTES(0x10, 0x00, 0x01, 0x00, 0x02), 0x03);
	/* None of the refused writes touched the tables. */
	expect_pdu(BYTES(0x01, 0x00, 0x13, 0x00, 0x0A), BYTES(0x01, 0x02, 0x55, 0x01));
	assert_int_equal(reg(unit->tables.holding_regs, 1), 1);
	assert_int_equal(reg(unit->tables.holding_regs, 2), 2);
	/* The fixed-size requests are exactly 5 bytes. */
	for (size_t i = 0; i < sizeof(fixed_fcs); i++) {
		/* A value FC05 would accept, so only the length is wrong. */
		size_t len = pdu_fixed(p, fixed_fcs[i], 0, fixed_fcs[i] == 0x05 ? 0xFF00 : 1);

		p[len] = 0;
		expect_exception(p, 1, 0x03);
		expect_exception(p, len - 1, 0x03);
		expect_exception(p, len + 1, 0x03);
	}
	assert_int_equal(get_bit(unit->tables.coils, 0), 0);
	assert_int_equal(reg(unit->tables.holding_regs, 0), 0);
}

/* ---- exception 01: function codes not served ---- */

static void test_illegal_function(void **state)
{
	uint8_t p[5] = { 0, 0x00, 0x00, 0x00, 0x01 };

	(void)state;
	expect_exception(BYTES(0x09), 0x01);
	expect_exception(BYTES(0x41, 0x0E, 0x01, 0x00), 0x01);
	expect_exception(BYTES(0x00), 0x01);
	expect_exception(BYTES(0x80, 0x00, 0x00, 0x00, 0x01), 0x01);
	for (unsigned fc = 0; fc < 256; fc++) {
		switch (fc) {
		case 0x01: case 0x02: case 0x03: case 0x04:
		case 0x05: case 0x06: case 0x07: case 0x08:
		case 0x0B: case 0x0C: case 0x0F: case 0x10:
		case 0x11: case 0x14: case 0x15: case 0x16:
		case 0x17: case 0x18: case 0x2B:
			continue;
		}
		p[0] = (uint8_t)fc;
		expect_exception(p, sizeof(p), 0x01);
	}
	assert_int_equal(ctx.ctr.mb_exception_illegal_function, 4 + 237);
}

/* ---- exception 02: beyond the end of a table, and exactly fitting ---- */

static void test_illegal_address_at_table_end(void **state)
{
	(void)state;
	for (uint8_t fc = 0x01; fc <= 0x02; fc++) {
		expect_pdu((uint8_t[]){ fc, 0xFF, 0xFF, 0x00, 0x01 }, 5, (uint8_t[]){ fc, 0x01, 0x01 },
			   3);
		expect_fixed_exception(fc, 0xFFFF, 2, 0x02);
		expect_read_ok(fc, 65536 - 2000, 2000, 250);
		expect_fixed_exception(fc, 65536 - 1999, 2000, 0x02);
	}
	for (uint8_t fc = 0x03; fc <= 0x04; fc++) {
		expect_pdu((uint8_t[]){ fc, 0xFF, 0xFF, 0x00, 0x01 }, 5,
			   (uint8_t[]){ fc, 0x02, 0xFF, 0xFF }, 4);
		expect_fixed_exception(fc, 0xFFFF, 2, 0x02);
		expect_read_ok(fc, 65536 - 125, 125, 250);
		expect_fixed_exception(fc, 65536 - 124, 125, 0x02);
	}
	expect_write_ok(0x0F, 65536 - 1968, 1968, 246);
	expect_write_exception(0x0F, 65536 - 1967, 1968, 246, 246, 0x02);
	expect_write_exception(0x0F, 0xFFFF, 2, 1, 1, 0x02);
	expect_write_ok(0x10, 65536 - 123, 123, 246);
	expect_write_exception(0x10, 65536 - 122, 123, 246, 246, 0x02);
	expect_write_exception(0x10, 0xFFFF, 2, 4, 4, 0x02);
	/* The accepted writes wrote zeros up to the end; the refused ones
	 * (all ones) changed nothing. */
	assert_int_equal(get_bit(unit->tables.coils, 65536 - 1969), 1);
	assert_int_equal(get_bit(unit->tables.coils, 0xFFFF), 0);
	assert_int_equal(reg(unit->tables.holding_regs, 65536 - 124), 65536 - 124);
	assert_int_equal(reg(unit->tables.holding_regs, 0xFFFF), 0);
}

/* A device smaller than the address space, with tables sized to the byte
 * (so reading past one is caught by a sanitizer): MAP 7's own example, and
 * the single writes, which only fail on the address. */
static void test_illegal_address_small_device(void **state)
{
	enum { N = 10 };
	struct mb_tables small = {
		.coils = calloc(1, (N + 7) / 8),
		.discrete_inputs = calloc(1, (N + 7) / 8),
		.holding_regs = calloc(N, 2),
		.input_regs = calloc(N, 2),
		.n_coils = N,
		.n_discrete_inputs = N,
		.n_holding_regs = N,
		.n_input_regs = N,
	};

	(void)state;
	assert_non_null(small.coils);
	assert_non_null(small.discrete_inputs);
	assert_non_null(small.holding_regs);
	assert_non_null(small.input_regs);
	use_tables(&small);
	small.coils[0] = 0x55;
	small.coils[1] = 0x03;
	expect_exception(BYTES(0x01, 0x04, 0xA1, 0x00, 0x01), 0x02);
	expect_pdu(BYTES(0x01, 0x00, 0x02, 0x00, 0x08), BYTES(0x01, 0x01, 0xD5));
	expect_exception(BYTES(0x01, 0x00, 0x03, 0x00, 0x08), 0x02);
	expect_pdu(BYTES(0x01, 0x00, 0x09, 0x00, 0x01), BYTES(0x01, 0x01, 0x01));
	expect_pdu(BYTES(0x05, 0x00, 0x09, 0x00, 0x00), BYTES(0x05, 0x00, 0x09, 0x00, 0x00));
	assert_int_equal(small.coils[1], 0x01);
	expect_exception(BYTES(0x05, 0x00, 0x0A, 0xFF, 0x00), 0x02);
	expect_pdu(BYTES(0x06, 0x00, 0x09, 0xAB, 0xCD), BYTES(0x06, 0x00, 0x09, 0xAB, 0xCD));
	expect_exception(BYTES(0x06, 0x00, 0x0A, 0x00, 0x01), 0x02);
	expect_exception(BYTES(0x06, 0xFF, 0xFF, 0x00, 0x01), 0x02);
	expect_pdu(BYTES(0x03, 0x00, 0x08, 0x00, 0x02), BYTES(0x03, 0x04, 0x00, 0x00, 0xAB, 0xCD));
	expect_exception(BYTES(0x03, 0x00, 0x08, 0x00, 0x03), 0x02);
	expect_exception(BYTES(0x04, 0x00, 0x00, 0x00, 0x0B), 0x02);
	expect_pdu(BYTES(0x0F, 0x00, 0x06, 0x00, 0x04, 0x01, 0x0A), BYTES(0x0F, 0x00, 0x06, 0x00, 0x04));
	assert_int_equal(small.coils[0], 0x95);
	assert_int_equal(small.coils[1], 0x02);
	use_tables(&default_tables);
	free(small.coils);
	free(small.discrete_inputs);
	free(small.holding_regs);
	free(small.input_regs);
}

/* ---- exception order: 03 before 02 (MAP chapter 6 state diagrams) ---- */

static void test_exception_order(void **state)
{
	(void)state;
	expect_fixed_exception(0x01, 0xFFFF, 0, 0x03);
	expect_fixed_exception(0x02, 0xFFFF, 2001, 0x03);
	expect_fixed_exception(0x03, 0xFFFF, 126, 0x03);
	expect_fixed_exception(0x04, 0xFFFF, 0, 0x03);
	expect_write_exception(0x0F, 0xFFFF, 0, 0, 0, 0x03);
	expect_write_exception(0x0F, 0xFFFF, 16, 1, 1, 0x03);
	expect_write_exception(0x10, 0xFFFF, 124, 248, 246, 0x03);
	expect_write_exception(0x10, 0xFFFF, 2, 3, 3, 0x03);
	/* A bad length beats a bad address too. */
	expect_exception(BYTES(0x03, 0xFF, 0xFF, 0x00, 0x02, 0x00), 0x03);
	/* On a small device, FC05's value is checked before its address. */
	{
		uint8_t coil = 0;
		uint16_t r = 0;
		struct mb_tables one = {
			.coils = &coil, .discrete_inputs = &coil,
			.holding_regs = &r, .input_regs = &r,
			.n_coils = 1, .n_discrete_inputs = 1, .n_holding_regs = 1, .n_input_regs = 1,
		};

		use_tables(&one);
		expect_exception(BYTES(0x05, 0x00, 0x01, 0x12, 0x34), 0x03);
		expect_exception(BYTES(0x05, 0x00, 0x01, 0xFF, 0x00), 0x02);
		use_tables(&default_tables);
	}
	/* An unknown function beats everything. */
	expect_exception(BYTES(0x09, 0xFF, 0xFF, 0x00, 0x00, 0x00), 0x01);
}

/* ---- MBAP ---- */

static void test_mbap_echo(void **state)
{
	static const uint16_t tids[] = { 0x0000, 0x0001, 0xA55A, 0xFFFF };
	static const uint8_t units[] = { 0x00, 0x01, 0x7F, 0xF7, 0xFF };
	const uint8_t pdu[] = { 0x04, 0x00, 0x08, 0x00, 0x01 };

	(void)state;
	for (size_t i = 0; i < sizeof(tids) / sizeof(tids[0]); i++) {
		for (size_t u = 0; u < sizeof(units); u++) {
			const uint8_t want[] = { (uint8_t)(tids[i] >> 8), (uint8_t)tids[i], 0, 0, 0, 5,
						 units[u], 0x04, 0x02, 0x00, 0x08 };

			assert_int_equal(send_adu(tids[i], 0, units[u], pdu, sizeof(pdu)), sizeof(want));
			assert_memory_equal(resp, want, sizeof(want));
		}
	}
	/* Exceptions echo them too. */
	assert_int_equal(send_adu(0xBEEF, 0, 0xFE, BYTES(0x09)), 9);
	assert_memory_equal(resp, ((const uint8_t[]){ 0xBE, 0xEF, 0, 0, 0, 3, 0xFE, 0x89, 0x01 }), 9);
}

/* MIG 4.4.1.1: a protocol id other than 0 is discarded without an answer,
 * and without executing the request. */
static void test_mbap_protocol_id(void **state)
{
	static const uint16_t ids[] = { 0x0001, 0x0100, 0xFFFF };

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_int_equal(send_adu(7, ids[i], 1, BYTES(0x06, 0x00, 0x05, 0x12, 0x34)), 0);
	assert_int_equal(ctx.ctr.mb_drop_protocol_id, 3);
	assert_int_equal(ctx.ctr.mb_responses, 0);
	assert_int_equal(reg(unit->tables.holding_regs, 5), 5);
	/* The next request is served as usual. */
	expect_pdu(BYTES(0x03, 0x00, 0x05, 0x00, 0x01), BYTES(0x03, 0x02, 0x00, 0x05));
}

static void test_counters(void **state)
{
	(void)state;
	expect_pdu(BYTES(0x03, 0x00, 0x05, 0x00, 0x01), BYTES(0x03, 0x02, 0x00, 0x05));
	expect_pdu(BYTES(0x06, 0x00, 0x05, 0x00, 0x01), BYTES(0x06, 0x00, 0x05, 0x00, 0x01));
	expect_exception(BYTES(0x41, 0x0E, 0x01, 0x00), 0x01);
	expect_fixed_exception(0x03, 0xFFFF, 2, 0x02);
	expect_fixed_exception(0x03, 0, 0, 0x03);
	expect_fixed_exception(0x01, 0, 0, 0x03);
	assert_int_equal(send_adu(1, 1, 1, BYTES(0x03, 0x00, 0x00, 0x00, 0x01)), 0);
	assert_int_equal(ctx.ctr.mb_requests, 7);
	assert_int_equal(ctx.ctr.mb_responses, 6);
	assert_int_equal(ctx.ctr.mb_exceptions, 4);
	assert_int_equal(ctx.ctr.mb_exception_illegal_function, 1);
	assert_int_equal(ctx.ctr.mb_exception_illegal_address, 1);
	assert_int_equal(ctx.ctr.mb_exception_illegal_value, 2);
	assert_int_equal(ctx.ctr.mb_drop_protocol_id, 1);
	assert_int_equal(ctx.ctr.mb_reset_bad_length, 0);
}

/* ---- bit packing at unaligned addresses ---- */

/* Every start offset within three bytes and quantities around byte
 * boundaries, up to the maximum, against the bit-at-a-time model; the
 * padding bits of the last byte are zero (MAP 6.1). */
static void test_read_bits_unaligned(void **state)
{
	static const uint32_t qtys[] = { 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 255, 1999, 2000 };

	(void)state;
	fill_pseudo_random(unit->tables.coils, 512, 1);
	fill_pseudo_random(unit->tables.discrete_inputs, 512, 2);
	for (uint8_t fc = 0x01; fc <= 0x02; fc++) {
		const uint8_t *table = fc == 0x01 ? unit->tables.coils : unit->tables.discrete_inputs;

		for (uint32_t start = 0; start < 24; start++) {
			for (size_t q = 0; q < sizeof(qtys) / sizeof(qtys[0]); q++) {
				uint32_t qty = qtys[q], nbytes = (qty + 7) / 8;
				const uint8_t *data = resp + MBAP_HDR_LEN + 2;

				expect_read_ok(fc, start, qty, nbytes);
				for (uint32_t i = 0; i < 8 * nbytes; i++)
					assert_int_equal(get_bit(data, i),
							 i < qty ? get_bit(table, start + i) : 0);
			}
		}
	}
}

/* Writes at every start offset within two bytes with odd and even
 * quantities, data with stray bits past the quantity: the whole table must
 * equal the model afterwards (the written bits changed, no others). */
static void test_write_bits_unaligned(void **state)
{
	static const uint32_t qtys[] = { 1, 3, 5, 7, 8, 9, 13, 16, 17, 63, 1967, 1968 };
	static uint8_t model[65536 / 8];
	uint8_t data[246];

	(void)state;
	fill_pseudo_random(unit->tables.coils, sizeof(model), 3);
	memcpy(model, unit->tables.coils, sizeof(model));
	for (uint32_t start = 0; start < 16; start++) {
		for (size_t q = 0; q < sizeof(qtys) / sizeof(qtys[0]); q++) {
			uint32_t qty = qtys[q], nbytes = (qty + 7) / 8;
			uint32_t addr = 1000 * (start + 1) + start; /* 1000 = 125 * 8 */
			uint8_t p[MBAP_LEN_MAX - 1];

			fill_pseudo_random(data, nbytes, start * 100 + (uint32_t)q);
			expect_pdu(p, pdu_multi(p, 0x0F, addr, qty, (uint8_t)nbytes, data, nbytes), p, 5);
			for (uint32_t i = 0; i < qty; i++)
				set_bit(model, addr + i, get_bit(data, i));
			assert_memory_equal(unit->tables.coils, model, sizeof(model));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		TEST(test_default_image),
		TEST(test_fc01_read_coils),
		TEST(test_fc02_read_discrete_inputs),
		TEST(test_fc03_read_holding_regs),
		TEST(test_fc04_read_input_regs),
		TEST(test_fc05_write_single_coil),
		TEST(test_fc06_write_single_reg),
		TEST(test_fc0f_write_multiple_coils),
		TEST(test_fc10_write_multiple_regs),
		TEST(test_read_quantity_limits),
		TEST(test_fc05_values),
		TEST(test_fc0f_quantity_limits),
		TEST(test_fc10_quantity_limits),
		TEST(test_byte_count_and_length),
		TEST(test_illegal_function),
		TEST(test_illegal_address_at_table_end),
		TEST(test_illegal_address_small_device),
		TEST(test_exception_order),
		TEST(test_mbap_echo),
		TEST(test_mbap_protocol_id),
		TEST(test_counters),
		TEST(test_read_bits_unaligned),
		TEST(test_write_bits_unaligned),
#undef TEST
	};

	return cmocka_run_group_tests_name("modbus", tests, NULL, NULL);
}
