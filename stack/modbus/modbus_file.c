/* Read File Record and Write File Record (MAP 6.14, 6.15).
 *
 * A request is a byte count and a list of sub-requests, each naming
 * reference type 6, a file number (1..0xFFFF; files 1..n_files exist), a
 * starting record number (0..0x270F) and a record length in registers. The
 * whole request is checked before any record is read or written: its
 * lengths first (exception 03), then the file and record ranges (02). */
#include <string.h>

#include "modbus_internal.h"

#define MB_FILE_REF_TYPE 6
#define MB_FILE_SUBREQ_HDR 7u /* reference type, file, record number, record length */
#define MB_FILE_READ_COUNT_MIN 0x07u
#define MB_FILE_READ_COUNT_MAX 0xF5u
#define MB_FILE_WRITE_COUNT_MIN 0x09u
#define MB_FILE_WRITE_COUNT_MAX 0xFBu

/* Whether a sub-request names records that exist: reference type 6, an
 * existing file, and records that end within it. */
static int subreq_in_range(const struct mb_unit *u, const uint8_t *sub)
{
	uint32_t file = get16(sub + 1), record = get16(sub + 3), n = get16(sub + 5);

	return sub[0] == MB_FILE_REF_TYPE && file >= 1 && file <= u->n_files &&
	       record + n <= MB_FILE_RECORDS;
}

static uint16_t *records(const struct mb_unit *u, const uint8_t *sub)
{
	return u->files + (size_t)(get16(sub + 1) - 1) * MB_FILE_RECORDS + get16(sub + 3);
}

/* MAP 6.14: the response holds, per sub-request, its length (1 + 2n), the
 * reference type and the records, all within one 253-byte PDU. */
int mb_read_file_record(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	const struct mb_unit *u = ctx->unit;
	uint32_t count, pos, resp_len = 2;

	if (len < 2)
		return -MB_EX_ILLEGAL_VALUE;
	count = pdu[1];
	if (count < MB_FILE_READ_COUNT_MIN || count > MB_FILE_READ_COUNT_MAX ||
	    count % MB_FILE_SUBREQ_HDR || len != 2 + count)
		return -MB_EX_ILLEGAL_VALUE;
	for (pos = 2; pos < len; pos += MB_FILE_SUBREQ_HDR) {
		uint32_t n = get16(pdu + pos + 5);

		resp_len += 2 + 2 * n;
		if (n < 1 || resp_len > MB_PDU_MAX)
			return -MB_EX_ILLEGAL_VALUE;
	}
	for (pos = 2; pos < len; pos += MB_FILE_SUBREQ_HDR)
		if (!subreq_in_range(u, pdu + pos))
			return -MB_EX_ILLEGAL_ADDRESS;
	out[0] = pdu[0];
	out[1] = (uint8_t)(resp_len - 2);
	resp_len = 2;
	for (pos = 2; pos < len; pos += MB_FILE_SUBREQ_HDR) {
		uint32_t n = get16(pdu + pos + 5);

		out[resp_len] = (uint8_t)(1 + 2 * n);
		out[resp_len + 1] = MB_FILE_REF_TYPE;
		memcpy(out + resp_len + 2, records(u, pdu + pos), 2 * n);
		resp_len += 2 + 2 * n;
	}
	return (int)resp_len;
}

/* MAP 6.15: each sub-request carries its records; the response echoes the
 * request. */
int mb_write_file_record(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	const struct mb_unit *u = ctx->unit;
	uint32_t count, pos;

	if (len < 2)
		return -MB_EX_ILLEGAL_VALUE;
	count = pdu[1];
	if (count < MB_FILE_WRITE_COUNT_MIN || count > MB_FILE_WRITE_COUNT_MAX ||
	    len != 2 + count)
		return -MB_EX_ILLEGAL_VALUE;
	/* The sub-requests must tile the data exactly. */
	for (pos = 2; pos < len; pos += MB_FILE_SUBREQ_HDR + 2 * get16(pdu + pos + 5)) {
		if (pos + MB_FILE_SUBREQ_HDR > len || get16(pdu + pos + 5) < 1 ||
		    pos + MB_FILE_SUBREQ_HDR + 2 * get16(pdu + pos + 5) > len)
			return -MB_EX_ILLEGAL_VALUE;
	}
	for (pos = 2; pos < len; pos += MB_FILE_SUBREQ_HDR + 2 * get16(pdu + pos + 5))
		if (!subreq_in_range(u, pdu + pos))
			return -MB_EX_ILLEGAL_ADDRESS;
	for (pos = 2; pos < len; pos += MB_FILE_SUBREQ_HDR + 2 * get16(pdu + pos + 5))
		memcpy(records(u, pdu + pos), pdu + pos + MB_FILE_SUBREQ_HDR,
		       2 * get16(pdu + pos + 5));
	memcpy(out, pdu, len);
	return (int)len;
}
