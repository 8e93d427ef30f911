/* Modbus/TCP application layer: MBAP framing and the function table.
 *
 * No I/O here. The TCP layer cuts the byte stream into ADUs with
 * mbap_adu_len() and hands each complete ADU to mb_handle_adu(), which writes
 * the response ADU. References: Modbus Application Protocol Specification
 * V1.1b3 (MAP) and Modbus Messaging on TCP/IP Implementation Guide V1.0b (MIG).
 */
#ifndef MBX_MODBUS_H
#define MBX_MODBUS_H

#include <stdint.h>

#define MB_TCP_PORT 502
#define MBAP_HDR_LEN 7 /* transaction id, protocol id, length, unit id (MIG 3.1.3) */
#define MBAP_LEN_MIN 2 /* unit id + function code */
#define MBAP_LEN_MAX 254 /* unit id + 253-byte PDU (MAP 4.1) */
#define MB_ADU_MAX (6 + MBAP_LEN_MAX) /* 260 */

/* The four data tables of one device (MAP 4.3). Registers are kept in
 * network byte order so a read is a memcpy into the response; bits are packed
 * least significant bit first, as on the wire. The engine owns the memory. */
struct mb_tables {
	uint8_t *coils;
	uint8_t *discrete_inputs;
	uint16_t *holding_regs; /* big-endian */
	uint16_t *input_regs; /* big-endian */
	uint32_t n_coils;
	uint32_t n_discrete_inputs;
	uint32_t n_holding_regs;
	uint32_t n_input_regs;
};

#define MB_COUNTERS(X) \
	X(mb_requests) /* every ADU handed in: answered or discarded */ \
	X(mb_responses) /* every answer, exception responses included */ \
	X(mb_exceptions) /* the answers that were exception responses */ \
	X(mb_exception_illegal_function) \
	X(mb_exception_illegal_address) \
	X(mb_exception_illegal_value) \
	X(mb_drop_protocol_id) /* MBAP protocol id != 0: discarded (MIG 4.4.1.1) */ \
	X(mb_reset_bad_length) /* MBAP length outside 2..254: connection reset */

struct mb_counters {
#define X(name) uint64_t name;
	MB_COUNTERS(X)
#undef X
};

/* Per-worker Modbus state: the tables it serves and its own counters. */
struct mb_ctx {
	struct mb_tables *tables;
	struct mb_counters ctr;
};

/* Total ADU length announced by an MBAP header (its first 6 bytes), or 0 when
 * the length field is outside MBAP_LEN_MIN..MBAP_LEN_MAX: the stream can no
 * longer be framed and the connection must be reset. */
static inline uint32_t mbap_adu_len(const uint8_t *hdr)
{
	uint32_t len = ((uint32_t)hdr[4] << 8) | hdr[5];

	if (len < MBAP_LEN_MIN || len > MBAP_LEN_MAX)
		return 0;
	return 6 + len;
}

/* Answers one complete ADU of req_len bytes (as framed by mbap_adu_len).
 * Writes the response ADU (MB_ADU_MAX bytes of room) into resp and returns
 * its length, or 0 when the request is discarded without an answer. req and
 * resp must not overlap. */
uint32_t mb_handle_adu(struct mb_ctx *ctx, const uint8_t *req, uint32_t req_len, uint8_t *resp);

#endif
