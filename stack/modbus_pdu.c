/* Modbus application layer: MBAP checks, the function code table and the
 * eight data access functions (MAP 6.1-6.6, 6.11, 6.12).
 *
 * Every handler follows its function's state diagram in MAP chapter 6: the
 * request is checked for a well-formed quantity/value (exception 03) before
 * its address range (exception 02); an unknown function code is exception 01
 * (MAP 7). A request PDU whose length does not fit its function code cannot
 * carry a valid quantity or value either, so it is exception 03 too.
 *
 * Counters: mb_requests counts every ADU handed in; each one is either
 * answered (mb_responses, of which mb_exceptions are exception responses) or
 * discarded (mb_drop_protocol_id). */
#include <string.h>

#include "modbus.h"

/* MAP 7 exception codes. */
enum mb_exception {
	MB_EX_ILLEGAL_FUNCTION = 0x01,
	MB_EX_ILLEGAL_ADDRESS = 0x02,
	MB_EX_ILLEGAL_VALUE = 0x03,
};

/* Quantity limits of MAP 6.1-6.4, 6.11, 6.12: each keeps its response (or
 * request) PDU within 253 bytes. */
#define MB_READ_BITS_MAX 2000 /* 0x7D0 */
#define MB_READ_REGS_MAX 125 /* 0x7D */
#define MB_WRITE_BITS_MAX 1968 /* 0x7B0 */
#define MB_WRITE_REGS_MAX 123 /* 0x7B */

#define MB_COIL_ON 0xFF00 /* MAP 6.5 */
#define MB_COIL_OFF 0x0000

/* Request PDU lengths: fc + address + quantity (or value), then for the
 * multiple writes a byte count ahead of the data. */
#define MB_REQ_FIXED_LEN 5u
#define MB_REQ_MULTI_HDR_LEN 6u

/* A handler checks and executes one request PDU and writes the response PDU
 * into out. Returns the response PDU length, or the negated exception code. */
typedef int (*mb_handler)(struct mb_tables *t, const uint8_t *pdu, uint32_t len, uint8_t *out);

static inline uint32_t get16(const uint8_t *p)
{
	return ((uint32_t)p[0] << 8) | p[1];
}

static inline void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Copies qty bits starting at bit addr of a packed table into out from bit
 * 0, zero-padding the last byte (MAP 6.1). Each output byte is two adjacent
 * table bytes shifted together; the second is read only when it holds
 * requested bits, so the table's last byte is never overrun. The response
 * never overlaps the table; saying so (restrict) lets the compiler
 * vectorise the loop. */
static void bits_get(const uint8_t *restrict table, uint32_t addr, uint32_t qty,
		     uint8_t *restrict out)
{
	const uint8_t *p = table + (addr >> 3);
	uint32_t shift = addr & 7;
	uint32_t n = (qty + 7) >> 3;
	uint32_t span = (shift + qty + 7) >> 3; /* table bytes holding the bits: n or n + 1 */
	uint32_t i;

	for (i = 0; i + 1 < n; i++)
		out[i] = (uint8_t)((p[i] >> shift) | (p[i + 1] << (8 - shift)));
	out[i] = (uint8_t)(p[i] >> shift);
	if (span > n)
		out[i] |= (uint8_t)(p[i + 1] << (8 - shift));
	if (qty & 7)
		out[i] &= (uint8_t)((1u << (qty & 7)) - 1);
}

/* Stores qty bits from in (from bit 0) at bit addr of a packed table,
 * leaving its other bits alone. Each input byte lands in at most two table
 * bytes under a 16-bit mask. */
static void bits_put(uint8_t *restrict table, uint32_t addr, const uint8_t *restrict in,
		     uint32_t qty)
{
	uint8_t *p = table + (addr >> 3);
	uint32_t shift = addr & 7;
	uint32_t i;

	for (i = 0; qty; i++) {
		uint32_t nbits = qty < 8 ? qty : 8;
		uint32_t mask = ((1u << nbits) - 1) << shift;
		uint32_t v = ((uint32_t)in[i] << shift) & mask;

		p[i] = (uint8_t)((p[i] & ~mask) | v);
		if (mask >> 8)
			p[i + 1] = (uint8_t)((p[i + 1] & ~(mask >> 8)) | (v >> 8));
		qty -= nbits;
	}
}

/* MAP 6.1, 6.2: read coils / discrete inputs. */
static int read_bits(const uint8_t *table, uint32_t n, const uint8_t *pdu, uint32_t len,
		     uint8_t *out)
{
	uint32_t addr, qty;

	if (len != MB_REQ_FIXED_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	qty = get16(pdu + 3);
	if (qty < 1 || qty > MB_READ_BITS_MAX)
		return -MB_EX_ILLEGAL_VALUE;
	if (addr + qty > n)
		return -MB_EX_ILLEGAL_ADDRESS;
	out[0] = pdu[0];
	out[1] = (uint8_t)((qty + 7) >> 3);
	bits_get(table, addr, qty, out + 2);
	return 2 + out[1];
}

/* MAP 6.3, 6.4: read holding / input registers, already big-endian. */
static int read_regs(const uint16_t *table, uint32_t n, const uint8_t *pdu, uint32_t len,
		     uint8_t *out)
{
	uint32_t addr, qty;

	if (len != MB_REQ_FIXED_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	qty = get16(pdu + 3);
	if (qty < 1 || qty > MB_READ_REGS_MAX)
		return -MB_EX_ILLEGAL_VALUE;
	if (addr + qty > n)
		return -MB_EX_ILLEGAL_ADDRESS;
	out[0] = pdu[0];
	out[1] = (uint8_t)(2 * qty);
	memcpy(out + 2, table + addr, 2 * qty);
	return 2 + out[1];
}

static int read_coils(struct mb_tables *t, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	return read_bits(t->coils, t->n_coils, pdu, len, out);
}

static int read_discrete_inputs(struct mb_tables *t, const uint8_t *pdu, uint32_t len,
				uint8_t *out)
{
	return read_bits(t->discrete_inputs, t->n_discrete_inputs, pdu, len, out);
}

static int read_holding_regs(struct mb_tables *t, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	return read_regs(t->holding_regs, t->n_holding_regs, pdu, len, out);
}

static int read_input_regs(struct mb_tables *t, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	return read_regs(t->input_regs, t->n_input_regs, pdu, len, out);
}

/* MAP 6.5: the response echoes the request. */
static int write_single_coil(struct mb_tables *t, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	uint32_t addr, value;
	uint8_t bit;

	if (len != MB_REQ_FIXED_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	value = get16(pdu + 3);
	if (value != MB_COIL_ON && value != MB_COIL_OFF)
		return -MB_EX_ILLEGAL_VALUE;
	if (addr >= t->n_coils)
		return -MB_EX_ILLEGAL_ADDRESS;
	bit = (uint8_t)(1u << (addr & 7));
	if (value == MB_COIL_ON)
		t->coils[addr >> 3] |= bit;
	else
		t->coils[addr >> 3] &= (uint8_t)~bit;
	memcpy(out, pdu, MB_REQ_FIXED_LEN);
	return MB_REQ_FIXED_LEN;
}

/* MAP 6.6: every 16-bit value is valid; the response echoes the request. */
static int write_single_reg(struct mb_tables *t, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	uint32_t addr;

	if (len != MB_REQ_FIXED_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	if (addr >= t->n_holding_regs)
		return -MB_EX_ILLEGAL_ADDRESS;
	memcpy(t->holding_regs + addr, pdu + 3, 2);
	memcpy(out, pdu, MB_REQ_FIXED_LEN);
	return MB_REQ_FIXED_LEN;
}

/* MAP 6.11: the byte count must be ceil(quantity / 8) and the PDU must end
 * with the last data byte. The response is the request's first five bytes. */
static int write_multiple_coils(struct mb_tables *t, const uint8_t *pdu, uint32_t len,
				uint8_t *out)
{
	uint32_t addr, qty;

	if (len < MB_REQ_MULTI_HDR_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	qty = get16(pdu + 3);
	if (qty < 1 || qty > MB_WRITE_BITS_MAX || pdu[5] != (qty + 7) >> 3 ||
	    len != MB_REQ_MULTI_HDR_LEN + pdu[5])
		return -MB_EX_ILLEGAL_VALUE;
	if (addr + qty > t->n_coils)
		return -MB_EX_ILLEGAL_ADDRESS;
	bits_put(t->coils, addr, pdu + MB_REQ_MULTI_HDR_LEN, qty);
	memcpy(out, pdu, MB_REQ_FIXED_LEN);
	return MB_REQ_FIXED_LEN;
}

/* MAP 6.12: the byte count must be 2 * quantity and the PDU must end with
 * the last register. The response is the request's first five bytes. */
static int write_multiple_regs(struct mb_tables *t, const uint8_t *pdu, uint32_t len,
			       uint8_t *out)
{
	uint32_t addr, qty;

	if (len < MB_REQ_MULTI_HDR_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	qty = get16(pdu + 3);
	if (qty < 1 || qty > MB_WRITE_REGS_MAX || pdu[5] != 2 * qty ||
	    len != MB_REQ_MULTI_HDR_LEN + pdu[5])
		return -MB_EX_ILLEGAL_VALUE;
	if (addr + qty > t->n_holding_regs)
		return -MB_EX_ILLEGAL_ADDRESS;
	memcpy(t->holding_regs + addr, pdu + MB_REQ_MULTI_HDR_LEN, 2 * qty);
	memcpy(out, pdu, MB_REQ_FIXED_LEN);
	return MB_REQ_FIXED_LEN;
}

/* Indexed by function code (MAP 5.1); NULL is exception 01. */
static const mb_handler mb_functions[256] = {
	[0x01] = read_coils,
	[0x02] = read_discrete_inputs,
	[0x03] = read_holding_regs,
	[0x04] = read_input_regs,
	[0x05] = write_single_coil,
	[0x06] = write_single_reg,
	[0x0F] = write_multiple_coils,
	[0x10] = write_multiple_regs,
};

static void count_exception(struct mb_counters *ctr, int code)
{
	ctr->mb_exceptions++;
	switch (code) {
	case MB_EX_ILLEGAL_FUNCTION:
		ctr->mb_exception_illegal_function++;
		break;
	case MB_EX_ILLEGAL_ADDRESS:
		ctr->mb_exception_illegal_address++;
		break;
	case MB_EX_ILLEGAL_VALUE:
		ctr->mb_exception_illegal_value++;
		break;
	}
}

uint32_t mb_handle_adu(struct mb_ctx *ctx, const uint8_t *req, uint32_t req_len, uint8_t *resp)
{
	const uint8_t *pdu = req + MBAP_HDR_LEN;
	uint32_t pdu_len = req_len - MBAP_HDR_LEN;
	uint8_t fc = pdu[0];
	mb_handler fn = mb_functions[fc];
	uint8_t *out = resp + MBAP_HDR_LEN;
	int n;

	ctx->ctr.mb_requests++;
	/* MIG 4.4.1.1: a protocol id other than 0 (Modbus) is not ours. */
	if (req[2] | req[3]) {
		ctx->ctr.mb_drop_protocol_id++;
		return 0;
	}
	n = fn ? fn(ctx->tables, pdu, pdu_len, out) : -MB_EX_ILLEGAL_FUNCTION;
	if (n < 0) {
		/* MAP 7: function code with its top bit set, then the code. */
		out[0] = (uint8_t)(fc | 0x80);
		out[1] = (uint8_t)-n;
		n = 2;
		count_exception(&ctx->ctr, out[1]);
	}
	ctx->ctr.mb_responses++;
	/* MIG 3.1.3: transaction id, protocol id and unit id are echoed; the
	 * length counts the unit id and the PDU. */
	memcpy(resp, req, 4);
	put16(resp + 4, 1 + (uint32_t)n);
	resp[6] = req[6];
	return MBAP_HDR_LEN + (uint32_t)n;
}
