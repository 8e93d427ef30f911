/* The Modbus function codes beyond plain data access, ADU in, ADU out:
 * Mask Write Register, Read/Write Multiple registers, Read FIFO Queue, the
 * file records, Read Device Identification with its More Follows
 * continuation, the serial-line diagnostics (counters, event log, listen
 * only mode), Report Server ID, and switching function codes off. Golden
 * frames are MAP chapter 6's examples where our state can match them; the
 * limits are tested on both sides, and every exception. */
#include "modbus_harness.h"

/* One PDU, transaction 0x1234, unit 0x11. */
static uint32_t send_pdu(const uint8_t *pdu, size_t len)
{
	return send_adu(0x1234, 0, 0x11, pdu, len);
}

static void expect_echo(const uint8_t *pdu, size_t len)
{
	expect_pdu(pdu, len, pdu, len);
}


static void expect_silence(const uint8_t *pdu, size_t len)
{
	assert_int_equal(send_pdu(pdu, len), 0);
}

static uint16_t reg(uint32_t i)
{
	const uint8_t *p = (const uint8_t *)(unit->tables.holding_regs + i);

	return (uint16_t)(p[0] << 8 | p[1]);
}

static void set_reg(uint32_t i, uint16_t v)
{
	uint8_t *p = (uint8_t *)(unit->tables.holding_regs + i);

	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t record(uint32_t file, uint32_t r)
{
	const uint8_t *p = (const uint8_t *)(unit->files + (file - 1) * MB_FILE_RECORDS + r);

	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- 0x16 Mask Write Register (MAP 6.16) ---- */

static void test_fc16_mask_write(void **state)
{
	(void)state;
	/* MAP 6.16: register 5 (address 4) holds 0x12; AND 0xF2, OR 0x25
	 * gives 0x17. */
	set_reg(4, 0x0012);
	expect_echo(BYTES(0x16, 0x00, 0x04, 0x00, 0xF2, 0x00, 0x25));
	assert_int_equal(reg(4), 0x0017);
	assert_int_equal(reg(3), 3);
	assert_int_equal(reg(5), 5);
	/* AND all ones keeps the value whatever OR says; AND 0 sets OR. */
	expect_echo(BYTES(0x16, 0x00, 0x04, 0xFF, 0xFF, 0xAB, 0xCD));
	assert_int_equal(reg(4), 0x0017);
	expect_echo(BYTES(0x16, 0xFF, 0xFF, 0x00, 0x00, 0xAB, 0xCD));
	assert_int_equal(reg(0xFFFF), 0xABCD);
	expect_echo(BYTES(0x16, 0xFF, 0xFF, 0x0F, 0x0F, 0x10, 0x01));
	assert_int_equal(reg(0xFFFF), 0x1B0D);
	/* Length: exactly 7 bytes. */
	expect_exception(BYTES(0x16, 0x00, 0x04, 0x00, 0xF2, 0x00), 0x03);
	expect_exception(BYTES(0x16, 0x00, 0x04, 0x00, 0xF2, 0x00, 0x25, 0x00), 0x03);
	assert_int_equal(reg(4), 0x0017);
}

/* ---- 0x17 Read/Write Multiple registers (MAP 6.17) ---- */

/* A FC17 PDU writing wqty registers of value 0xFFFF unless data says. */
static size_t pdu_rw(uint8_t *p, uint32_t raddr, uint32_t rqty, uint32_t waddr, uint32_t wqty,
		     uint32_t count, size_t data_len)
{
	p[0] = 0x17;
	put16(p + 1, raddr);
	put16(p + 3, rqty);
	put16(p + 5, waddr);
	put16(p + 7, wqty);
	p[9] = (uint8_t)count;
	memset(p + 10, 0xFF, data_len);
	return 10 + data_len;
}

static void test_fc17_read_write(void **state)
{
	static const uint16_t example[] = { 0x00FE, 0x0ACD, 0x0001, 0x0003, 0x000D, 0x00FF };
	uint8_t p[MBAP_LEN_MAX - 1];

	(void)state;
	/* MAP 6.17: read 6 from register 4 (address 3), write 3 at register
	 * 15 (address 14). */
	for (uint32_t i = 0; i < 6; i++)
		set_reg(3 + i, example[i]);
	expect_pdu(BYTES(0x17, 0x00, 0x03, 0x00, 0x06, 0x00, 0x0E, 0x00, 0x03, 0x06, 0x00, 0xFF,
			 0x00, 0xFF, 0x00, 0xFF),
		   BYTES(0x17, 0x0C, 0x00, 0xFE, 0x0A, 0xCD, 0x00, 0x01, 0x00, 0x03, 0x00, 0x0D,
			 0x00, 0xFF));
	assert_int_equal(reg(13), 13);
	assert_int_equal(reg(14), 0x00FF);
	assert_int_equal(reg(16), 0x00FF);
	assert_int_equal(reg(17), 17);
	/* The write comes first: an overlapping read sees it. */
	expect_pdu(BYTES(0x17, 0x00, 0x0F, 0x00, 0x03, 0x00, 0x10, 0x00, 0x01, 0x02, 0xBE, 0xEF),
		   BYTES(0x17, 0x06, 0x00, 0xFF, 0xBE, 0xEF, 0x00, 0x11));
	/* Limits: read 1..125, write 1..121, both at once at the ends of the
	 * table; the largest request is 252 bytes. */
	expect_pdu(p, pdu_rw(p, 0, 1, 100, 1, 2, 2), BYTES(0x17, 0x02, 0x00, 0x00));
	assert_int_equal(send_pdu(p, pdu_rw(p, 65536 - 125, 125, 65536 - 121, 121, 242, 242)),
			 MBAP_HDR_LEN + 2 + 250);
	assert_int_equal(resp[MBAP_HDR_LEN + 1], 250);
	assert_int_equal(reg(65536 - 121), 0xFFFF);
	expect_exception(p, pdu_rw(p, 0, 0, 200, 1, 2, 2), 0x03);
	expect_exception(p, pdu_rw(p, 0, 126, 200, 1, 2, 2), 0x03);
	expect_exception(p, pdu_rw(p, 0, 1, 200, 0, 0, 0), 0x03);
	expect_exception(p, pdu_rw(p, 0, 1, 200, 122, 244, 243), 0x03);
	/* Byte count 2 * write quantity, and the PDU ends with the data. */
	expect_exception(p, pdu_rw(p, 0, 1, 200, 2, 3, 3), 0x03);
	expect_exception(p, pdu_rw(p, 0, 1, 200, 2, 4, 3), 0x03);
	expect_exception(p, pdu_rw(p, 0, 1, 200, 2, 4, 5), 0x03);
	expect_exception(p, 9, 0x03);
	/* Address: either range past the end is 02, and nothing is written. */
	expect_exception(p, pdu_rw(p, 65536 - 124, 125, 200, 1, 2, 2), 0x02);
	expect_exception(p, pdu_rw(p, 0, 1, 65536 - 120, 121, 242, 242), 0x02);
	expect_exception(p, pdu_rw(p, 0, 1, 0xFFFF, 2, 4, 4), 0x02);
	/* 03 before 02. */
	expect_exception(p, pdu_rw(p, 0xFFFF, 126, 0xFFFF, 2, 4, 4), 0x03);
	assert_int_equal(reg(200), 200);
	assert_int_equal(reg(65536 - 122), 65536 - 122);
}

/* ---- 0x18 Read FIFO Queue (MAP 6.18) ---- */

static void test_fc18_read_fifo(void **state)
{
	uint8_t want[5 + 62];

	(void)state;
	/* MAP 6.18: pointer 0x04DE holds count 2, then 0x01B8 and 0x1284. */
	set_reg(0x04DE, 2);
	set_reg(0x04DF, 0x01B8);
	set_reg(0x04E0, 0x1284);
	expect_pdu(BYTES(0x18, 0x04, 0xDE),
		   BYTES(0x18, 0x00, 0x06, 0x00, 0x02, 0x01, 0xB8, 0x12, 0x84));
	/* Reading does not empty the queue. */
	expect_pdu(BYTES(0x18, 0x04, 0xDE),
		   BYTES(0x18, 0x00, 0x06, 0x00, 0x02, 0x01, 0xB8, 0x12, 0x84));
	/* Default image: register 5 holds 5, so five entries 6..10. */
	expect_pdu(BYTES(0x18, 0x00, 0x05),
		   BYTES(0x18, 0x00, 0x0C, 0x00, 0x05, 0, 6, 0, 7, 0, 8, 0, 9, 0, 10));
	/* Count 0 and 31 are answered; 32 is exception 03. */
	expect_pdu(BYTES(0x18, 0x00, 0x00), BYTES(0x18, 0x00, 0x02, 0x00, 0x00));
	set_reg(100, 31);
	want[0] = 0x18;
	put16(want + 1, 64);
	put16(want + 3, 31);
	for (uint32_t i = 0; i < 31; i++)
		put16(want + 5 + 2 * i, 101 + i);
	expect_pdu(BYTES(0x18, 0x00, 0x64), want, sizeof(want));
	set_reg(100, 32);
	expect_exception(BYTES(0x18, 0x00, 0x64), 0x03);
	expect_exception(BYTES(0x18, 0x01, 0x00), 0x03); /* register 256 holds 256 */
	/* At the end of the table: the entries must exist. */
	set_reg(0xFFFF, 0);
	expect_pdu(BYTES(0x18, 0xFF, 0xFF), BYTES(0x18, 0x00, 0x02, 0x00, 0x00));
	set_reg(0xFFFF, 1);
	expect_exception(BYTES(0x18, 0xFF, 0xFF), 0x02);
	set_reg(0xFFFE, 1);
	expect_pdu(BYTES(0x18, 0xFF, 0xFE), BYTES(0x18, 0x00, 0x04, 0x00, 0x01, 0x00, 0x01));
	/* Length: exactly 3 bytes. */
	expect_exception(BYTES(0x18, 0x04), 0x03);
	expect_exception(BYTES(0x18, 0x04, 0xDE, 0x00), 0x03);
}

static void test_fc18_small_device(void **state)
{
	uint16_t regs[4] = { 0 };
	struct mb_tables small = { .holding_regs = regs, .n_holding_regs = 4 };

	(void)state;
	use_tables(&small);
	regs[1] = 0x0200; /* big-endian 2: entries are registers 2 and 3 */
	expect_pdu(BYTES(0x18, 0x00, 0x01), BYTES(0x18, 0x00, 0x06, 0x00, 0x02, 0, 0, 0, 0));
	expect_exception(BYTES(0x18, 0x00, 0x04), 0x02);
	regs[2] = 0x0200;
	expect_exception(BYTES(0x18, 0x00, 0x02), 0x02);
	use_tables(&default_tables);
}

/* ---- 0x14, 0x15 file records (MAP 6.14, 6.15) ---- */

/* One sub-request header at p: reference type, file, record, length. */
static uint8_t *subreq(uint8_t *p, uint8_t ref, uint32_t file, uint32_t rec, uint32_t n)
{
	p[0] = ref;
	put16(p + 1, file);
	put16(p + 3, rec);
	put16(p + 5, n);
	return p + 7;
}

static void test_fc14_fc15_spec_examples(void **state)
{
	(void)state;
	/* MAP 6.15: write 3 records of file 4 from record 7. */
	expect_echo(BYTES(0x15, 0x0D, 0x06, 0x00, 0x04, 0x00, 0x07, 0x00, 0x03, 0x06, 0xAF,
			  0x04, 0xBE, 0x10, 0x0D));
	assert_int_equal(record(4, 6), 6);
	assert_int_equal(record(4, 7), 0x06AF);
	assert_int_equal(record(4, 9), 0x100D);
	assert_int_equal(record(4, 10), 10);
	assert_int_equal(record(3, 7), 7);
	/* MAP 6.14: file 4 records 1-2 and file 3 records 9-10, with the
	 * example's contents written first. */
	expect_echo(BYTES(0x15, 0x16, 0x06, 0x00, 0x04, 0x00, 0x01, 0x00, 0x02, 0x0D, 0xFE, 0x00,
			  0x20, 0x06, 0x00, 0x03, 0x00, 0x09, 0x00, 0x02, 0x33, 0xCD, 0x00, 0x40));
	expect_pdu(BYTES(0x14, 0x0E, 0x06, 0x00, 0x04, 0x00, 0x01, 0x00, 0x02, 0x06, 0x00, 0x03,
			 0x00, 0x09, 0x00, 0x02),
		   BYTES(0x14, 0x0C, 0x05, 0x06, 0x0D, 0xFE, 0x00, 0x20, 0x05, 0x06, 0x33, 0xCD,
			 0x00, 0x40));
	/* The default files: record r holds r, in every file. */
	expect_pdu(BYTES(0x14, 0x07, 0x06, 0x00, 0x01, 0x27, 0x0E, 0x00, 0x02),
		   BYTES(0x14, 0x06, 0x05, 0x06, 0x27, 0x0E, 0x27, 0x0F));
}

static void test_fc14_limits(void **state)
{
	uint8_t p[MBAP_LEN_MAX - 1], *q;
	uint32_t n;

	(void)state;
	/* Byte count 0x07..0xF5, a whole number of sub-requests, all of the
	 * PDU. 35 sub-requests of one record each is the most. */
	p[0] = 0x14;
	p[1] = 0xF5;
	for (q = p + 2, n = 0; n < 35; n++)
		q = subreq(q, 6, 1 + n % 4, n, 1);
	n = send_pdu(p, 2 + 0xF5);
	assert_int_equal(n, MBAP_HDR_LEN + 2 + 35 * 4);
	assert_int_equal(resp[MBAP_HDR_LEN + 1], 35 * 4);
	assert_memory_equal(resp + MBAP_HDR_LEN + 2 + 34 * 4, ((const uint8_t[]){ 3, 6, 0, 34 }), 4);
	expect_exception(BYTES(0x14, 0x06, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00), 0x03);
	expect_exception(BYTES(0x14, 0x08, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00), 0x03);
	expect_exception(BYTES(0x14, 0x07, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00), 0x03);
	expect_exception(BYTES(0x14, 0x07, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00), 0x03);
	expect_exception(BYTES(0x14), 0x03);
	p[1] = 0xFC;
	expect_exception(p, 2 + 0xF5, 0x03);
	/* Record length 1.., and the response within 253 bytes: 124 records
	 * fit (252 bytes), 125 do not. */
	expect_exception(BYTES(0x14, 0x07, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00), 0x03);
	assert_int_equal(send_pdu(BYTES(0x14, 0x07, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 124)),
			 MBAP_HDR_LEN + 252);
	expect_exception(BYTES(0x14, 0x07, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 125), 0x03);
	expect_exception(BYTES(0x14, 0x0E, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 62, 0x06, 0x00,
			       0x01, 0x00, 0x00, 0x00, 62),
			 0x03);
	/* Reference type 6, files 1..4, records up to 0x270F. */
	expect_exception(BYTES(0x14, 0x07, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01), 0x02);
	expect_exception(BYTES(0x14, 0x07, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01), 0x02);
	expect_exception(BYTES(0x14, 0x07, 0x06, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01), 0x02);
	expect_exception(BYTES(0x14, 0x07, 0x06, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01), 0x02);
	expect_pdu(BYTES(0x14, 0x07, 0x06, 0x00, 0x04, 0x27, 0x0F, 0x00, 0x01),
		   BYTES(0x14, 0x04, 0x03, 0x06, 0x27, 0x0F));
	expect_exception(BYTES(0x14, 0x07, 0x06, 0x00, 0x04, 0x27, 0x10, 0x00, 0x01), 0x02);
	expect_exception(BYTES(0x14, 0x07, 0x06, 0x00, 0x04, 0x27, 0x0F, 0x00, 0x02), 0x02);
	/* A bad second sub-request fails the whole request; 03 before 02. */
	expect_exception(BYTES(0x14, 0x0E, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x00,
			       0x09, 0x00, 0x00, 0x00, 0x01),
			 0x02);
	expect_exception(BYTES(0x14, 0x0E, 0x06, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01, 0x06, 0x00,
			       0x01, 0x00, 0x00, 0x00, 0x00),
			 0x03);
}

static void test_fc15_limits(void **state)
{
	uint8_t p[MBAP_LEN_MAX - 1];

	(void)state;
	/* The most: one sub-request of 122 records, data length 0xFB. */
	p[0] = 0x15;
	p[1] = 0xFB;
	memset(subreq(p + 2, 6, 2, 0x270F - 121, 122), 0xA5, 244);
	expect_echo(p, 2 + 0xFB);
	assert_int_equal(record(2, 0x270F), 0xA5A5);
	assert_int_equal(record(2, 0x270F - 121), 0xA5A5);
	assert_int_equal(record(2, 0x270F - 122), 0x270F - 122);
	assert_int_equal(record(1, 0x270F), 0x270F);
	/* The least: one record, data length 9; less is 03. */
	expect_echo(BYTES(0x15, 0x09, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x12, 0x34));
	assert_int_equal(record(1, 0), 0x1234);
	expect_exception(BYTES(0x15, 0x08, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x12), 0x03);
	/* Data length = the rest of the PDU, tiled exactly by sub-requests
	 * of 1.. records. */
	expect_exception(BYTES(0x15, 0x0A, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x12, 0x34),
			 0x03);
	expect_exception(BYTES(0x15, 0x09, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x12, 0x34,
			       0x00),
			 0x03);
	expect_exception(BYTES(0x15, 0x09, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x12, 0x34),
			 0x03);
	expect_exception(BYTES(0x15, 0x0B, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34,
			       0x00, 0x00),
			 0x03);
	expect_exception(BYTES(0x15, 0x0C, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x12, 0x34,
			       0x06, 0x00, 0x01),
			 0x03);
	expect_exception(BYTES(0x15), 0x03);
	/* Addresses; a bad second sub-request writes nothing at all. */
	expect_exception(BYTES(0x15, 0x09, 0x07, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x12, 0x34),
			 0x02);
	expect_exception(BYTES(0x15, 0x09, 0x06, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x12, 0x34),
			 0x02);
	expect_exception(BYTES(0x15, 0x09, 0x06, 0x00, 0x01, 0x27, 0x10, 0x00, 0x01, 0x12, 0x34),
			 0x02);
	expect_exception(BYTES(0x15, 0x12, 0x06, 0x00, 0x03, 0x00, 0x05, 0x00, 0x01, 0xAA, 0xAA,
			       0x06, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 0xAA, 0xAA),
			 0x02);
	assert_int_equal(record(3, 5), 5);
	/* Two good sub-requests, two files. */
	expect_echo(BYTES(0x15, 0x12, 0x06, 0x00, 0x03, 0x00, 0x05, 0x00, 0x01, 0xAA, 0xAA, 0x06,
			  0x00, 0x04, 0x00, 0x05, 0x00, 0x01, 0xBB, 0xBB));
	assert_int_equal(record(3, 5), 0xAAAA);
	assert_int_equal(record(4, 5), 0xBBBB);
}

/* A device without files answers every file request with 02. */
static void test_file_no_files(void **state)
{
	(void)state;
	unit->n_files = 0;
	expect_exception(BYTES(0x14, 0x07, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01), 0x02);
	expect_exception(BYTES(0x15, 0x09, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x12, 0x34),
			 0x02);
}

/* ---- 0x2B / 0x0E Read Device Identification (MAP 6.21) ---- */

static void set_object(uint8_t id, const uint8_t *value, size_t len)
{
	assert_true(len <= MB_ID_OBJECT_MAX);
	id_objects[id].value = value;
	id_objects[id].len = (uint8_t)len;
}

/* Appends object id with its value to p; returns the end. */
static uint8_t *object(uint8_t *p, uint8_t id, const struct mb_id_object *ids)
{
	p[0] = id;
	p[1] = ids[id].len;
	memcpy(p + 2, ids[id].value, p[1]);
	return p + 2 + p[1];
}

static void test_fc2b_default_identity(void **state)
{
	uint8_t want[64], *q;

	(void)state;
	/* Basic stream from 0: the three mandatory objects, basic conformity
	 * with individual access (0x81). */
	memcpy(want, (const uint8_t[]){ 0x2B, 0x0E, 0x01, 0x81, 0x00, 0x00, 0x03 }, 7);
	q = want + 7;
	memcpy(q, (const uint8_t[]){ 0x00, 5, 'm', 'b', 'x', 'd', 'p' }, 7);
	q += 7;
	memcpy(q, (const uint8_t[]){ 0x01, 5, 'M', 'B', 'X', 'D', 'P' }, 7);
	q += 7;
	*q++ = 0x02;
	*q++ = (uint8_t)strlen(MBXDP_VERSION);
	memcpy(q, MBXDP_VERSION, strlen(MBXDP_VERSION));
	q += strlen(MBXDP_VERSION);
	expect_pdu(BYTES(0x2B, 0x0E, 0x01, 0x00), want, (size_t)(q - want));
	/* The regular and extended streams hold the same three objects. */
	want[2] = 0x02;
	expect_pdu(BYTES(0x2B, 0x0E, 0x02, 0x00), want, (size_t)(q - want));
	want[2] = 0x03;
	expect_pdu(BYTES(0x2B, 0x0E, 0x03, 0x00), want, (size_t)(q - want));
	/* An object id that is not a present object of the stream restarts it
	 * at 0. */
	expect_pdu(BYTES(0x2B, 0x0E, 0x03, 0x05), want, (size_t)(q - want));
	want[2] = 0x01;
	expect_pdu(BYTES(0x2B, 0x0E, 0x01, 0x03), want, (size_t)(q - want));
	expect_pdu(BYTES(0x2B, 0x0E, 0x01, 0xFF), want, (size_t)(q - want));
	/* A present id starts the stream there: objects 1 and 2. */
	want[6] = 2;
	memmove(want + 7, want + 14, (size_t)(q - want) - 14);
	expect_pdu(BYTES(0x2B, 0x0E, 0x01, 0x01), want, (size_t)(q - want) - 7);
	/* Individual access. */
	expect_pdu(BYTES(0x2B, 0x0E, 0x04, 0x00),
		   BYTES(0x2B, 0x0E, 0x04, 0x81, 0x00, 0x00, 0x01, 0x00, 5, 'm', 'b', 'x', 'd',
			 'p'));
	expect_exception(BYTES(0x2B, 0x0E, 0x04, 0x03), 0x02);
	expect_exception(BYTES(0x2B, 0x0E, 0x04, 0x80), 0x02);
	expect_exception(BYTES(0x2B, 0x0E, 0x04, 0xFF), 0x02);
	/* Read device id codes 01..04 only. */
	expect_exception(BYTES(0x2B, 0x0E, 0x00, 0x00), 0x03);
	expect_exception(BYTES(0x2B, 0x0E, 0x05, 0x00), 0x03);
	expect_exception(BYTES(0x2B, 0x0E, 0xFF, 0x00), 0x03);
	/* Length: exactly 4 bytes. */
	expect_exception(BYTES(0x2B, 0x0E, 0x01), 0x03);
	expect_exception(BYTES(0x2B, 0x0E, 0x01, 0x00, 0x00), 0x03);
	expect_exception(BYTES(0x2B), 0x03);
	/* Other MEI types (0x0D CANopen, ...) are not served. */
	expect_exception(BYTES(0x2B, 0x0D, 0x01, 0x00), 0x01);
	expect_exception(BYTES(0x2B, 0x00), 0x01);
	expect_exception(BYTES(0x2B, 0xFF, 0x01, 0x00), 0x01);
}

/* MAP 6.21's example: basic stream of a device with these three objects
 * (the example device offers stream access only, conformity 0x01; this one
 * answers 0x81, stream and individual access). */
static void test_fc2b_spec_example(void **state)
{
	static const char vendor[] = "Company identification";
	static const char code[] = "Product code XX";
	static const char rev[] = "V2.11";
	uint8_t want[64], *q = want;

	(void)state;
	set_object(0, (const uint8_t *)vendor, strlen(vendor));
	set_object(1, (const uint8_t *)code, strlen(code));
	set_object(2, (const uint8_t *)rev, strlen(rev));
	memcpy(q, (const uint8_t[]){ 0x2B, 0x0E, 0x01, 0x81, 0x00, 0x00, 0x03, 0x00, 0x16 }, 9);
	memcpy(q + 9, vendor, 22);
	q += 31;
	memcpy(q, (const uint8_t[]){ 0x01, 0x0F }, 2);
	memcpy(q + 2, code, 15);
	q += 17;
	memcpy(q, (const uint8_t[]){ 0x02, 0x05, 'V', '2', '.', '1', '1' }, 7);
	q += 7;
	expect_pdu(BYTES(0x2B, 0x0E, 0x01, 0x00), want, (size_t)(q - want));
}

/* Requests the stream `code` from `id` and checks header and objects:
 * objects ids[0..n-1] follow, then More Follows / Next Object Id. */
static void expect_stream(uint8_t code, uint8_t id, uint8_t conformity, const uint8_t *ids,
			  size_t n, uint8_t next)
{
	uint8_t want[MBAP_LEN_MAX], *q = want + 7;
	const uint8_t hdr[7] = { 0x2B, 0x0E, code, conformity, (uint8_t)(next ? 0xFF : 0x00),
				 next, (uint8_t)n };

	memcpy(want, hdr, 7);
	for (size_t i = 0; i < n; i++)
		q = object(q, ids[i], unit->id_objects);
	expect_pdu((const uint8_t[]){ 0x2B, 0x0E, code, id }, 4, want, (size_t)(q - want));
}

static void test_fc2b_more_follows(void **state)
{
	static uint8_t values[256][MB_ID_OBJECT_MAX];

	(void)state;
	for (unsigned i = 0; i < 256; i++)
		memset(values[i], 'a' + (int)(i % 26), sizeof(values[i]));
	/* Regular objects 0..6 of 60 bytes: 62 bytes each in a response, so
	 * three fit after the 7-byte header (193 bytes, a fourth would make
	 * 255). */
	for (uint8_t id = 0; id <= 6; id++)
		set_object(id, values[id], 60);
	expect_stream(0x02, 0x00, 0x82, (const uint8_t[]){ 0, 1, 2 }, 3, 3);
	expect_stream(0x02, 0x03, 0x82, (const uint8_t[]){ 3, 4, 5 }, 3, 6);
	expect_stream(0x02, 0x06, 0x82, (const uint8_t[]){ 6 }, 1, 0);
	/* The basic stream never goes past object 2. */
	expect_stream(0x01, 0x00, 0x82, (const uint8_t[]){ 0, 1, 2 }, 3, 0);
	/* The boundary: a 58-byte fourth object ends the PDU at exactly 253
	 * bytes (7 + 3 * 62 + 60), a 59-byte one does not fit. */
	set_object(3, values[3], 58);
	expect_stream(0x02, 0x00, 0x82, (const uint8_t[]){ 0, 1, 2, 3 }, 4, 4);
	set_object(3, values[3], 59);
	expect_stream(0x02, 0x00, 0x82, (const uint8_t[]){ 0, 1, 2 }, 3, 3);
	/* Extended: private objects of the largest size, one per response;
	 * objects absent in between are skipped. */
	set_object(0x80, values[0x80], MB_ID_OBJECT_MAX);
	set_object(0x9A, values[0x9A], 10);
	set_object(0xFF, values[0xFF], MB_ID_OBJECT_MAX);
	expect_stream(0x03, 0x00, 0x83, (const uint8_t[]){ 0, 1, 2 }, 3, 3);
	expect_stream(0x03, 0x03, 0x83, (const uint8_t[]){ 3, 4, 5 }, 3, 6);
	expect_stream(0x03, 0x06, 0x83, (const uint8_t[]){ 6 }, 1, 0x80);
	expect_stream(0x03, 0x80, 0x83, (const uint8_t[]){ 0x80 }, 1, 0x9A);
	expect_stream(0x03, 0x9A, 0x83, (const uint8_t[]){ 0x9A }, 1, 0xFF);
	expect_stream(0x03, 0xFF, 0x83, (const uint8_t[]){ 0xFF }, 1, 0);
	/* The regular stream leaves the private objects out; from a private
	 * id it restarts. */
	expect_stream(0x02, 0x06, 0x83, (const uint8_t[]){ 6 }, 1, 0);
	expect_stream(0x02, 0x80, 0x83, (const uint8_t[]){ 0, 1, 2 }, 3, 3);
	/* Individual access to the largest object fills the PDU exactly. */
	assert_int_equal(send_pdu(BYTES(0x2B, 0x0E, 0x04, 0xFF)), MBAP_HDR_LEN + 253);
	assert_int_equal(resp[5], 254);
	expect_stream(0x04, 0x9A, 0x83, (const uint8_t[]){ 0x9A }, 1, 0);
	expect_exception(BYTES(0x2B, 0x0E, 0x04, 0x9B), 0x02);
}

/* ---- 0x07, 0x11: Read Exception Status, Report Server ID ---- */

static void test_fc07_fc11(void **state)
{
	(void)state;
	expect_pdu(BYTES(0x07), BYTES(0x07, 0x00));
	expect_exception(BYTES(0x07, 0x00), 0x03);
	/* Server id = the ProductCode object, then the run indicator ON. */
	expect_pdu(BYTES(0x11), BYTES(0x11, 0x06, 'M', 'B', 'X', 'D', 'P', 0xFF));
	expect_exception(BYTES(0x11, 0x00), 0x03);
	unit->id_objects = no_objects;
	expect_pdu(BYTES(0x11), BYTES(0x11, 0x01, 0xFF));
}

/* ---- 0x08 Diagnostics (MAP 6.8) ---- */

static void expect_diag_word(uint16_t sub, uint16_t value)
{
	const uint8_t p[5] = { 0x08, (uint8_t)(sub >> 8), (uint8_t)sub, 0, 0 };
	const uint8_t want[5] = { 0x08, (uint8_t)(sub >> 8), (uint8_t)sub, (uint8_t)(value >> 8),
				  (uint8_t)value };

	expect_pdu(p, 5, want, 5);
}

/* The eight counters of sub-functions 0x0B..0x12, in order. */
static void expect_counters(uint16_t bus, uint16_t bus_exc, uint16_t server,
			    uint16_t no_response)
{
	/* Each request counts itself as a bus and a server message first. */
	expect_diag_word(0x0B, bus + 1);
	expect_diag_word(0x0C, 0);
	expect_diag_word(0x0D, bus_exc);
	expect_diag_word(0x0E, server + 4);
	expect_diag_word(0x0F, no_response);
	expect_diag_word(0x10, 0);
	expect_diag_word(0x11, 0);
	expect_diag_word(0x12, 0);
}

static void test_fc08_sub_functions(void **state)
{
	uint8_t p[MBAP_LEN_MAX - 1];

	(void)state;
	/* MAP 6.8 example: Return Query Data echoes A537. */
	expect_echo(BYTES(0x08, 0x00, 0x00, 0xA5, 0x37));
	/* Any number of words, up to the largest PDU. */
	p[0] = 0x08;
	p[1] = p[2] = 0;
	for (int i = 3; i < 253; i++)
		p[i] = (uint8_t)i;
	expect_echo(p, 253);
	expect_exception(p, 252, 0x03);
	expect_exception(BYTES(0x08, 0x00, 0x00), 0x03);
	expect_exception(BYTES(0x08, 0x00, 0x00, 0x01), 0x03);
	expect_exception(BYTES(0x08, 0x00), 0x03);
	expect_exception(BYTES(0x08), 0x03);
	/* Diagnostic register: always 0 here. */
	expect_diag_word(0x02, 0x0000);
	/* Clear Overrun Counter and Flag echoes. */
	expect_diag_word(0x14, 0x0000);
	/* Restart Communications Option echoes 0000 or FF00. */
	expect_echo(BYTES(0x08, 0x00, 0x01, 0x00, 0x00));
	expect_echo(BYTES(0x08, 0x00, 0x01, 0xFF, 0x00));
	expect_exception(BYTES(0x08, 0x00, 0x01, 0x12, 0x34), 0x03);
	expect_exception(BYTES(0x08, 0x00, 0x01, 0x00, 0xFF), 0x03);
	/* Data other than 0000 where the spec fixes it: 03. */
	static const uint16_t fixed[] = { 0x02, 0x04, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
					  0x0F, 0x10, 0x11, 0x12, 0x14 };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		const uint8_t bad[5] = { 0x08, 0x00, (uint8_t)fixed[i], 0x00, 0x01 };
		const uint8_t bad_ff[5] = { 0x08, 0x00, (uint8_t)fixed[i], 0xFF, 0x00 };

		expect_exception(bad, 5, 0x03);
		expect_exception(bad_ff, 5, 0x03);
		/* One data word exactly. */
		expect_exception(bad, 4, 0x03);
		expect_exception((const uint8_t[]){ 0x08, 0x00, (uint8_t)fixed[i], 0, 0, 0, 0 }, 7,
				 0x03);
	}
	/* Sub-functions not served (ASCII delimiter, Modbus Plus, ...): 01,
	 * whatever their data. */
	static const uint16_t unknown[] = { 0x03, 0x05, 0x09, 0x13, 0x15, 0x16, 0x100, 0xFFFF };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		const uint8_t u[5] = { 0x08, (uint8_t)(unknown[i] >> 8), (uint8_t)unknown[i], 0, 0 };

		expect_exception(u, 5, 0x01);
		expect_exception(u, 3, 0x01);
	}
}

static void test_fc08_counters(void **state)
{
	(void)state;
	expect_counters(0, 0, 0, 0);
	/* Each call of expect_counters is 8 bus and server messages. */
	expect_pdu(BYTES(0x03, 0x00, 0x05, 0x00, 0x01), BYTES(0x03, 0x02, 0x00, 0x05));
	expect_exception(BYTES(0x03, 0xFF, 0xFF, 0x00, 0x02), 0x02);
	expect_exception(BYTES(0x41), 0x01);
	expect_counters(8 + 3, 2, 8 + 3, 0);
	/* A discarded ADU (protocol id 1) is not a Modbus message. */
	memcpy(req, (const uint8_t[]){ 0, 1, 0, 1, 0, 2, 1, 0x07 }, 8);
	assert_int_equal(mb_handle_adu(&ctx, &peer, req, 8, resp), 0);
	expect_counters(19, 2, 19, 0);
	/* Clear Counters: echoed, then everything is 0, the request itself
	 * included. */
	expect_diag_word(0x0A, 0x0000);
	expect_counters(0, 0, 0, 0);
	/* Counters are 16 bits and wrap. */
	unit->diag.counters[MB_DIAG_BUS_MESSAGES] = 0xFFFE;
	expect_diag_word(0x0B, 0xFFFF);
	expect_diag_word(0x0B, 0x0000);
}

/* MAP 6.8 sub-functions 04 and 01: in listen only mode nothing is
 * answered and nothing executed, until a Restart Communications Option,
 * itself unanswered, brings the device back with its counters cleared. */
static void test_fc08_listen_only(void **state)
{
	(void)state;
	expect_silence(BYTES(0x08, 0x00, 0x04, 0x00, 0x00));
	assert_int_equal(unit->flags & MB_UNIT_LISTEN_ONLY, MB_UNIT_LISTEN_ONLY);
	expect_silence(BYTES(0x03, 0x00, 0x05, 0x00, 0x01));
	expect_silence(BYTES(0x06, 0x00, 0x05, 0x12, 0x34));
	assert_int_equal(reg(5), 5);
	expect_silence(BYTES(0x41));
	expect_silence(BYTES(0x08, 0x00, 0x0B, 0x00, 0x00));
	expect_silence(BYTES(0x08, 0x00, 0x0A, 0x00, 0x00));
	expect_silence(BYTES(0x08, 0x00, 0x04, 0x00, 0x00));
	/* A malformed restart is not executed either. */
	expect_silence(BYTES(0x08, 0x00, 0x01, 0x12, 0x34));
	expect_silence(BYTES(0x08, 0x00, 0x01, 0x00));
	assert_int_equal(unit->flags & MB_UNIT_LISTEN_ONLY, MB_UNIT_LISTEN_ONLY);
	assert_int_equal(unit->diag.counters[MB_DIAG_BUS_MESSAGES], 9);
	assert_int_equal(unit->diag.counters[MB_DIAG_SERVER_MESSAGES], 3);
	assert_int_equal(unit->diag.counters[MB_DIAG_SERVER_NO_RESPONSE], 9);
	assert_int_equal(ctx.ctr.mb_no_response, 9);
	assert_int_equal(ctx.ctr.mb_responses, 0);
	assert_int_equal(ctx.ctr.mb_requests, 9);
	/* The restart: no answer, then normal service, counters at 0. */
	expect_silence(BYTES(0x08, 0x00, 0x01, 0x00, 0x00));
	assert_int_equal(unit->flags & MB_UNIT_LISTEN_ONLY, 0);
	expect_pdu(BYTES(0x03, 0x00, 0x05, 0x00, 0x01), BYTES(0x03, 0x02, 0x00, 0x05));
	expect_counters(1, 0, 1, 0);
	/* Out of listen only mode, a restart is answered. */
	expect_echo(BYTES(0x08, 0x00, 0x01, 0x00, 0x00));
	expect_counters(0, 0, 0, 0);
	assert_int_equal(ctx.ctr.mb_no_response, 10);
	/* With 08 switched off there is no way out. */
	expect_silence(BYTES(0x08, 0x00, 0x04, 0x00, 0x00));
	mb_function_enable(unit, 0x08, 0);
	expect_silence(BYTES(0x08, 0x00, 0x01, 0x00, 0x00));
	assert_int_equal(unit->flags & MB_UNIT_LISTEN_ONLY, MB_UNIT_LISTEN_ONLY);
	mb_function_enable(unit, 0x08, 1);
	expect_silence(BYTES(0x08, 0x00, 0x01, 0x00, 0x00));
	expect_pdu(BYTES(0x07), BYTES(0x07, 0x00));
}

/* ---- 0x0B Get Comm Event Counter, 0x0C Get Comm Event Log ---- */

static void test_fc0b_event_counter(void **state)
{
	(void)state;
	/* MAP 6.9's example answers status FFFF (a program command still
	 * running) and count 0x108; here status is always 0000 (ready). */
	expect_pdu(BYTES(0x0B), BYTES(0x0B, 0x00, 0x00, 0x00, 0x00));
	/* Normal responses count; exceptions and 0B itself do not. */
	expect_pdu(BYTES(0x03, 0x00, 0x05, 0x00, 0x01), BYTES(0x03, 0x02, 0x00, 0x05));
	expect_exception(BYTES(0x03, 0x00, 0x05, 0x00, 0x00), 0x03);
	expect_exception(BYTES(0x41), 0x01);
	expect_pdu(BYTES(0x07), BYTES(0x07, 0x00));
	expect_pdu(BYTES(0x0B), BYTES(0x0B, 0x00, 0x00, 0x00, 0x02));
	expect_pdu(BYTES(0x0B), BYTES(0x0B, 0x00, 0x00, 0x00, 0x02));
	expect_exception(BYTES(0x0B, 0x00), 0x03);
	/* Cleared by 08/0A and by 08/01. */
	expect_diag_word(0x0A, 0x0000);
	expect_pdu(BYTES(0x0B), BYTES(0x0B, 0x00, 0x00, 0x00, 0x00));
	expect_pdu(BYTES(0x07), BYTES(0x07, 0x00));
	expect_pdu(BYTES(0x0B), BYTES(0x0B, 0x00, 0x00, 0x00, 0x01));
	expect_echo(BYTES(0x08, 0x00, 0x01, 0xFF, 0x00));
	expect_pdu(BYTES(0x0B), BYTES(0x0B, 0x00, 0x00, 0x00, 0x00));
}

static void test_fc0c_event_log(void **state)
{
	(void)state;
	/* Power-up: only this request's receive event. MAP 6.10's example
	 * (status, counts 0x108/0x121, events 20 00) is the same layout. */
	expect_pdu(BYTES(0x0C), BYTES(0x0C, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80));
	/* Events newest first: receive 0x80, send 0x40, send with a read
	 * exception 0x41. */
	expect_exception(BYTES(0x03, 0x00, 0x05, 0x00, 0x00), 0x03);
	expect_pdu(BYTES(0x0C), BYTES(0x0C, 0x0B, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0x80, 0x41,
				     0x80, 0x40, 0x80));
	expect_exception(BYTES(0x0C, 0x00), 0x03);
	/* Listen only mode: 0x04 when entered, receive events with 0x20, no
	 * send events; a restart keeping the log adds 0x00. */
	expect_silence(BYTES(0x08, 0x00, 0x04, 0x00, 0x00));
	expect_silence(BYTES(0x03, 0x00, 0x05, 0x00, 0x01));
	expect_silence(BYTES(0x08, 0x00, 0x01, 0x00, 0x00));
	expect_pdu(BYTES(0x0C), BYTES(0x0C, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00,
				     0xA0, 0xA0, 0x04, 0x80, 0x41, 0x80, 0x40, 0x80, 0x41, 0x80,
				     0x40, 0x80));
	/* A restart with FF00 clears the log first. */
	expect_echo(BYTES(0x08, 0x00, 0x01, 0xFF, 0x00));
	expect_pdu(BYTES(0x0C), BYTES(0x0C, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00));
}

/* The log keeps the last 64 events. */
static void test_fc0c_event_log_wraps(void **state)
{
	uint8_t want[8 + 64];

	(void)state;
	for (int i = 0; i < 40; i++) {
		if (i % 2)
			expect_pdu(BYTES(0x07), BYTES(0x07, 0x00));
		else
			expect_exception(BYTES(0x41), 0x01);
	}
	memcpy(want, (const uint8_t[]){ 0x0C, 70, 0x00, 0x00, 0x00, 20, 0x00, 41, 0x80 }, 9);
	for (int i = 0; i < 63; i++)
		want[9 + i] = i % 2 ? 0x80 : (i % 4 ? 0x41 : 0x40);
	expect_pdu(BYTES(0x0C), want, sizeof(want));
}

/* ---- the diagnostics of many requests (MAP 6.8-6.10) ---- */

/* What MAP 6.8-6.10 say a master reads after each request, kept one
 * request at a time: the counters of 08/0B-0F, the event counter and the
 * event log, newest event first. */
static struct {
	uint16_t bus, exceptions, server, no_response, events;
	uint8_t log[64];
	uint32_t n_log;
	int listen;
} ref;

static void ref_event(uint8_t e)
{
	memmove(ref.log + 1, ref.log, sizeof(ref.log) - 1);
	ref.log[0] = e;
	if (ref.n_log < sizeof(ref.log))
		ref.n_log++;
}

/* A request received and, out of listen only mode, processed. */
static void ref_received(void)
{
	ref.bus++;
	ref_event(ref.listen ? 0xA0 : 0x80);
	if (!ref.listen)
		ref.server++;
}

static void ref_answered(int counts_as_event)
{
	ref.events = (uint16_t)(ref.events + counts_as_event);
	ref_event(0x40);
}

static void ref_clear_counters(void)
{
	ref.bus = ref.exceptions = ref.server = ref.no_response = ref.events = 0;
}

/* An ordinary request: FC 03 or FC 06, answered. */
static void ordinary(uint32_t i)
{
	const uint8_t rd[5] = { 0x03, 0x00, (uint8_t)(i % 100), 0x00, 0x02 };
	const uint8_t wr[5] = { 0x06, 0x00, (uint8_t)(200 + i % 50), (uint8_t)(i >> 8), (uint8_t)i };

	if (ref.listen) {
		expect_silence(i % 3 ? rd : wr, 5);
		ref_received();
		ref.no_response++;
		return;
	}
	if (i % 3)
		assert_int_equal(send_pdu(rd, 5), MBAP_HDR_LEN + 6);
	else
		expect_echo(wr, 5);
	ref_received();
	ref_answered(1);
}

static void exception(void)
{
	expect_exception(BYTES(0x03, 0xFF, 0xFF, 0x00, 0x02), 0x02);
	ref_received();
	ref.exceptions++;
	ref_event(0x41);
}

/* 0C: the log as the reference has it, this request's receive event in
 * front. */
static void check_log(void)
{
	uint8_t want[8 + 64];

	ref_received();
	want[0] = 0x0C;
	want[1] = (uint8_t)(6 + ref.n_log);
	put16(want + 2, 0);
	put16(want + 4, ref.events);
	put16(want + 6, ref.bus);
	memcpy(want + 8, ref.log, ref.n_log);
	expect_pdu(BYTES(0x0C), want, 8 + ref.n_log);
	ref_answered(1);
}

static void check_counters(void)
{
	const uint8_t want_0b[5] = { 0x0B, 0, 0, (uint8_t)((ref.events) >> 8), (uint8_t)ref.events };

	ref_received();
	expect_pdu(BYTES(0x0B), want_0b, sizeof(want_0b));
	ref_answered(0);
	ref_received();
	expect_diag_word(0x0B, ref.bus);
	ref_answered(1);
	ref_received();
	expect_diag_word(0x0D, ref.exceptions);
	ref_answered(1);
	ref_received();
	expect_diag_word(0x0E, ref.server);
	ref_answered(1);
	ref_received();
	expect_diag_word(0x0F, ref.no_response);
	ref_answered(1);
}

/* Counters, event counter and log after runs of ordinary requests longer
 * and shorter than the log, with exceptions, listen only mode, clears and
 * restarts in between: what the server counts on the side for ordinary
 * requests (mb_unit.normal) must read back as if each had been counted
 * when it came. */
static void test_diag_many_requests(void **state)
{
	static const uint32_t runs[] = { 40, 1, 0, 31, 32, 33, 7, 100, 2, 64, 5 };
	uint32_t i = 0;

	(void)state;
	memset(&ref, 0, sizeof(ref));
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		for (uint32_t k = 0; k < runs[r]; k++)
			ordinary(i++);
		check_log();
		for (uint32_t k = 0; k < runs[r] / 2; k++)
			ordinary(i++);
		exception();
		for (uint32_t k = 0; k < runs[r] % 5; k++)
			ordinary(i++);
		check_counters();
		check_log();
		switch (r % 4) {
		case 1: /* 08/0A: counters and event counter cleared, the log kept */
			ref_received();
			expect_diag_word(0x0A, 0x0000);
			ref_answered(1);
			ref_clear_counters();
			break;
		case 2: /* listen only, ordinary requests unanswered, restart */
			ref_received();
			expect_silence(BYTES(0x08, 0x00, 0x04, 0x00, 0x00));
			ref_event(0x04);
			ref.no_response++;
			ref.listen = 1;
			for (uint32_t k = 0; k < 3; k++)
				ordinary(i++);
			ref_received();
			expect_silence(BYTES(0x08, 0x00, 0x01, 0x00, 0x00));
			ref.listen = 0;
			ref_clear_counters();
			ref_event(0x00);
			break;
		case 3: /* restart clearing the log too, out of listen only mode */
			ref_received();
			expect_echo(BYTES(0x08, 0x00, 0x01, 0xFF, 0x00));
			ref_clear_counters();
			memset(ref.log, 0, sizeof(ref.log));
			ref.n_log = 0;
			ref_event(0x00);
			break;
		}
		check_log();
		check_counters();
	}
}

/* ---- switching function codes off ---- */

static void test_function_enable(void **state)
{
	static const uint8_t served[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
					  0x08, 0x0B, 0x0C, 0x0F, 0x10, 0x11, 0x14,
					  0x15, 0x16, 0x17, 0x18, 0x2B };

	(void)state;
	for (size_t i = 0; i < sizeof(served); i++) {
		/* A valid request of each code when one is 5 bytes or less. */
		uint8_t p[5] = { served[i], 0x00, 0x05, 0x00, 0x01 };

		mb_function_enable(unit, served[i], 0);
		expect_exception(p, sizeof(p), 0x01);
		expect_exception(p, 1, 0x01);
	}
	assert_int_equal(ctx.ctr.mb_exception_illegal_function, 2 * sizeof(served));
	/* Nothing was executed: the writes changed nothing. */
	assert_int_equal(reg(5), 5);
	/* Each code on its own: the others stay as they are. */
	mb_function_enable(unit, 0x03, 1);
	expect_pdu(BYTES(0x03, 0x00, 0x05, 0x00, 0x01), BYTES(0x03, 0x02, 0x00, 0x05));
	expect_exception(BYTES(0x04, 0x00, 0x05, 0x00, 0x01), 0x01);
	expect_exception(BYTES(0x02, 0x00, 0x05, 0x00, 0x01), 0x01);
	mb_function_enable(unit, 0x2B, 1);
	mb_function_enable(unit, 0x07, 1);
	expect_pdu(BYTES(0x07), BYTES(0x07, 0x00));
	expect_exception(BYTES(0x0B), 0x01);
	assert_int_equal(send_pdu(BYTES(0x2B, 0x0E, 0x04, 0x00)), MBAP_HDR_LEN + 14);
	/* Switching off twice and on twice is idempotent; unknown codes can
	 * be switched on without becoming served. */
	mb_function_enable(unit, 0x07, 0);
	mb_function_enable(unit, 0x07, 0);
	expect_exception(BYTES(0x07), 0x01);
	mb_function_enable(unit, 0x07, 1);
	mb_function_enable(unit, 0x07, 1);
	expect_pdu(BYTES(0x07), BYTES(0x07, 0x00));
	mb_function_enable(unit, 0x41, 1);
	expect_exception(BYTES(0x41), 0x01);
	/* A switched-off code is an exception like any other in the
	 * diagnostics. */
	for (size_t i = 0; i < sizeof(served); i++)
		mb_function_enable(unit, served[i], 1);
	expect_diag_word(0x0D, 2 * sizeof(served) + 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		TEST(test_fc16_mask_write),
		TEST(test_fc17_read_write),
		TEST(test_fc18_read_fifo),
		TEST(test_fc18_small_device),
		TEST(test_fc14_fc15_spec_examples),
		TEST(test_fc14_limits),
		TEST(test_fc15_limits),
		TEST(test_file_no_files),
		TEST(test_fc2b_default_identity),
		TEST(test_fc2b_spec_example),
		TEST(test_fc2b_more_follows),
		TEST(test_fc07_fc11),
		TEST(test_fc08_sub_functions),
		TEST(test_fc08_counters),
		TEST(test_fc08_listen_only),
		TEST(test_fc0b_event_counter),
		TEST(test_fc0c_event_log),
		TEST(test_diag_many_requests),
		TEST(test_fc0c_event_log_wraps),
		TEST(test_function_enable),
#undef TEST
	};

	return cmocka_run_group_tests_name("modbus_ext", tests, NULL, NULL);
}
