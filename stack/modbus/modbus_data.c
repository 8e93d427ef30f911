/* Bits and registers: the eight data access functions (MAP 6.1-6.6, 6.11,
 * 6.12) and the register functions Mask Write Register, Read/Write Multiple
 * registers and Read FIFO Queue (MAP 6.16-6.18).
 *
 * A request PDU whose length does not fit its function code cannot carry a
 * valid quantity or value either, so it is exception 03. */
#include <string.h>

#include "modbus_internal.h"

/* Quantity limits of MAP 6.1-6.4, 6.11, 6.12, 6.17: each keeps its response
 * (or request) PDU within 253 bytes. */
#define MB_READ_BITS_MAX 2000 /* 0x7D0 */
#define MB_READ_REGS_MAX 125 /* 0x7D */
#define MB_WRITE_BITS_MAX 1968 /* 0x7B0 */
#define MB_WRITE_REGS_MAX 123 /* 0x7B */
#define MB_RW_WRITE_REGS_MAX 121 /* 0x79: FC17 carries a read header too */
#define MB_FIFO_MAX 31 /* MAP 6.18 */

#define MB_COIL_ON 0xFF00 /* MAP 6.5 */
#define MB_COIL_OFF 0x0000

/* Request PDU lengths: fc + address + quantity (or value), then for the
 * multiple writes a byte count ahead of the data. */
#define MB_REQ_FIXED_LEN 5u
#define MB_REQ_MULTI_HDR_LEN 6u
#define MB_REQ_MASK_WRITE_LEN 7u /* fc, address, AND mask, OR mask */
#define MB_REQ_RW_HDR_LEN 10u /* fc, read addr, read qty, write addr, write qty, count */
#define MB_REQ_FIFO_LEN 3u /* fc, FIFO pointer address */

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

/* Whether qty entries from Modbus address addr lie in a table of n entries
 * whose first is address start (struct mb_tables). */
static inline int in_table(uint32_t addr, uint32_t qty, uint32_t start, uint32_t n)
{
	return addr >= start && addr - start + qty <= n;
}

/* A write to a protected range is refused like a write to an address the
 * device does not have (mb_unit.protect_*), and counted. */
static int refused(struct mb_ctx *ctx)
{
	ctx->ctr.mb_refused_write_protected++;
	return 1;
}

static int coils_protected(struct mb_ctx *ctx, uint32_t addr, uint32_t qty)
{
	const struct mb_unit *u = ctx->unit;

	return mb_protected(u->protect_coils, u->n_protect_coils, addr, qty) && refused(ctx);
}

static int holding_protected(struct mb_ctx *ctx, uint32_t addr, uint32_t qty)
{
	const struct mb_unit *u = ctx->unit;

	return mb_protected(u->protect_holding, u->n_protect_holding, addr, qty) && refused(ctx);
}

/* The data of a multiple write (MAP 6.11, 6.12, 6.17): 1..max entries,
 * the byte count in the header's last byte is the bytes they take, and
 * the PDU ends with the last of them. qty beyond max is refused before
 * bytes is compared, so bytes fits the count byte when it is. */
static int write_data_ok(const uint8_t *pdu, uint32_t len, uint32_t hdr_len, uint32_t qty,
			 uint32_t max, uint32_t bytes)
{
	return qty >= 1 && qty <= max && pdu[hdr_len - 1] == bytes && len == hdr_len + bytes;
}

/* MAP 6.1, 6.2: read coils / discrete inputs. */
static int read_bits(const uint8_t *table, uint32_t n, uint32_t start, const uint8_t *pdu,
		     uint32_t len, uint8_t *out)
{
	uint32_t addr, qty;

	if (len != MB_REQ_FIXED_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	qty = get16(pdu + 3);
	if (qty < 1 || qty > MB_READ_BITS_MAX)
		return -MB_EX_ILLEGAL_VALUE;
	if (!in_table(addr, qty, start, n))
		return -MB_EX_ILLEGAL_ADDRESS;
	out[0] = pdu[0];
	out[1] = (uint8_t)((qty + 7) >> 3);
	bits_get(table, addr - start, qty, out + 2);
	return 2 + out[1];
}

/* MAP 6.3, 6.4: read holding / input registers, already big-endian. */
static int read_regs(const uint16_t *table, uint32_t n, uint32_t start, const uint8_t *pdu,
		     uint32_t len, uint8_t *out)
{
	uint32_t addr, qty;

	if (len != MB_REQ_FIXED_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	qty = get16(pdu + 3);
	if (qty < 1 || qty > MB_READ_REGS_MAX)
		return -MB_EX_ILLEGAL_VALUE;
	if (!in_table(addr, qty, start, n))
		return -MB_EX_ILLEGAL_ADDRESS;
	out[0] = pdu[0];
	out[1] = (uint8_t)(2 * qty);
	memcpy(out + 2, table + (addr - start), 2 * qty);
	return 2 + out[1];
}

int mb_read_coils(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	const struct mb_tables *t = ctx->tables;

	return read_bits(t->coils, t->n_coils, t->coils_start, pdu, len, out);
}

int mb_read_discrete_inputs(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	const struct mb_tables *t = ctx->tables;

	return read_bits(t->discrete_inputs, t->n_discrete_inputs, t->discrete_inputs_start, pdu, len,
			 out);
}

int mb_read_holding_regs(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	const struct mb_tables *t = ctx->tables;

	return read_regs(t->holding_regs, t->n_holding_regs, t->holding_regs_start, pdu, len, out);
}

int mb_read_input_regs(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	const struct mb_tables *t = ctx->tables;

	return read_regs(t->input_regs, t->n_input_regs, t->input_regs_start, pdu, len, out);
}

/* MAP 6.5: the response echoes the request. */
int mb_write_single_coil(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	struct mb_tables *t = ctx->tables;
	uint32_t addr, value;
	uint8_t bit;

	if (len != MB_REQ_FIXED_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	value = get16(pdu + 3);
	if (value != MB_COIL_ON && value != MB_COIL_OFF)
		return -MB_EX_ILLEGAL_VALUE;
	if (!in_table(addr, 1, t->coils_start, t->n_coils) || coils_protected(ctx, addr, 1))
		return -MB_EX_ILLEGAL_ADDRESS;
	addr -= t->coils_start;
	bit = (uint8_t)(1u << (addr & 7));
	if (value == MB_COIL_ON)
		t->coils[addr >> 3] |= bit;
	else
		t->coils[addr >> 3] &= (uint8_t)~bit;
	memcpy(out, pdu, MB_REQ_FIXED_LEN);
	return MB_REQ_FIXED_LEN;
}

/* MAP 6.6: every 16-bit value is valid; the response echoes the request. */
int mb_write_single_reg(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	struct mb_tables *t = ctx->tables;
	uint32_t addr;

	if (len != MB_REQ_FIXED_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	if (!in_table(addr, 1, t->holding_regs_start, t->n_holding_regs) ||
	    holding_protected(ctx, addr, 1))
		return -MB_EX_ILLEGAL_ADDRESS;
	memcpy(t->holding_regs + (addr - t->holding_regs_start), pdu + 3, 2);
	memcpy(out, pdu, MB_REQ_FIXED_LEN);
	return MB_REQ_FIXED_LEN;
}

/* MAP 6.11: the byte count is ceil(quantity / 8). The response is the
 * request's first five bytes. */
int mb_write_multiple_coils(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	struct mb_tables *t = ctx->tables;
	uint32_t addr, qty;

	if (len < MB_REQ_MULTI_HDR_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	qty = get16(pdu + 3);
	if (!write_data_ok(pdu, len, MB_REQ_MULTI_HDR_LEN, qty, MB_WRITE_BITS_MAX, (qty + 7) >> 3))
		return -MB_EX_ILLEGAL_VALUE;
	if (!in_table(addr, qty, t->coils_start, t->n_coils) || coils_protected(ctx, addr, qty))
		return -MB_EX_ILLEGAL_ADDRESS;
	bits_put(t->coils, addr - t->coils_start, pdu + MB_REQ_MULTI_HDR_LEN, qty);
	memcpy(out, pdu, MB_REQ_FIXED_LEN);
	return MB_REQ_FIXED_LEN;
}

/* MAP 6.12: the byte count is 2 * quantity. The response is the request's
 * first five bytes. */
int mb_write_multiple_regs(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	struct mb_tables *t = ctx->tables;
	uint32_t addr, qty;

	if (len < MB_REQ_MULTI_HDR_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	qty = get16(pdu + 3);
	if (!write_data_ok(pdu, len, MB_REQ_MULTI_HDR_LEN, qty, MB_WRITE_REGS_MAX, 2 * qty))
		return -MB_EX_ILLEGAL_VALUE;
	if (!in_table(addr, qty, t->holding_regs_start, t->n_holding_regs) ||
	    holding_protected(ctx, addr, qty))
		return -MB_EX_ILLEGAL_ADDRESS;
	memcpy(t->holding_regs + (addr - t->holding_regs_start), pdu + MB_REQ_MULTI_HDR_LEN, 2 * qty);
	memcpy(out, pdu, MB_REQ_FIXED_LEN);
	return MB_REQ_FIXED_LEN;
}

/* MAP 6.16: result = (current AND and_mask) OR (or_mask AND NOT and_mask);
 * the response echoes the request. */
int mb_mask_write_reg(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	struct mb_tables *t = ctx->tables;
	uint32_t addr, and_mask, or_mask, cur;

	if (len != MB_REQ_MASK_WRITE_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	if (!in_table(addr, 1, t->holding_regs_start, t->n_holding_regs) ||
	    holding_protected(ctx, addr, 1))
		return -MB_EX_ILLEGAL_ADDRESS;
	addr -= t->holding_regs_start;
	and_mask = get16(pdu + 3);
	or_mask = get16(pdu + 5);
	cur = get16((const uint8_t *)(t->holding_regs + addr));
	put16((uint8_t *)(t->holding_regs + addr), (cur & and_mask) | (or_mask & ~and_mask));
	memcpy(out, pdu, MB_REQ_MASK_WRITE_LEN);
	return MB_REQ_MASK_WRITE_LEN;
}

/* MAP 6.17: read 1..125 and write 1..121 holding registers in one
 * transaction; the byte count is 2 * write quantity and ends the PDU. The
 * write is done before the read, so overlapping ranges read what was just
 * written. */
int mb_read_write_regs(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	struct mb_tables *t = ctx->tables;
	uint32_t raddr, rqty, waddr, wqty;

	if (len < MB_REQ_RW_HDR_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	raddr = get16(pdu + 1);
	rqty = get16(pdu + 3);
	waddr = get16(pdu + 5);
	wqty = get16(pdu + 7);
	if (rqty < 1 || rqty > MB_READ_REGS_MAX ||
	    !write_data_ok(pdu, len, MB_REQ_RW_HDR_LEN, wqty, MB_RW_WRITE_REGS_MAX, 2 * wqty))
		return -MB_EX_ILLEGAL_VALUE;
	if (!in_table(raddr, rqty, t->holding_regs_start, t->n_holding_regs) ||
	    !in_table(waddr, wqty, t->holding_regs_start, t->n_holding_regs) ||
	    holding_protected(ctx, waddr, wqty))
		return -MB_EX_ILLEGAL_ADDRESS;
	memcpy(t->holding_regs + (waddr - t->holding_regs_start), pdu + MB_REQ_RW_HDR_LEN, 2 * wqty);
	out[0] = pdu[0];
	out[1] = (uint8_t)(2 * rqty);
	memcpy(out + 2, t->holding_regs + (raddr - t->holding_regs_start), 2 * rqty);
	return 2 + out[1];
}

/* MAP 6.18: the register at the pointer address holds the FIFO count (at
 * most 31, else exception 03), the queue is the registers after it. The
 * response is a 2-byte byte count (count field and entries), the count and
 * the entries; the queue is read, not emptied. */
int mb_read_fifo_queue(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	const struct mb_tables *t = ctx->tables;
	uint32_t addr, count;

	if (len != MB_REQ_FIFO_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	addr = get16(pdu + 1);
	if (!in_table(addr, 1, t->holding_regs_start, t->n_holding_regs))
		return -MB_EX_ILLEGAL_ADDRESS;
	addr -= t->holding_regs_start;
	count = get16((const uint8_t *)(t->holding_regs + addr));
	if (count > MB_FIFO_MAX)
		return -MB_EX_ILLEGAL_VALUE;
	if (addr + 1 + count > t->n_holding_regs)
		return -MB_EX_ILLEGAL_ADDRESS;
	out[0] = pdu[0];
	put16(out + 1, 2 + 2 * count);
	put16(out + 3, count);
	memcpy(out + 5, t->holding_regs + addr + 1, 2 * count);
	return (int)(5 + 2 * count);
}
