/* Modbus/TCP application layer: MBAP framing and the function table.
 *
 * No I/O here. The MBAP stream cuts the byte stream into ADUs with
 * mbap_adu_len() and hands each complete ADU to mb_handle_adu(), which checks
 * its MBAP header, answers its PDU with mb_handle_pdu() and writes the
 * response ADU. References: Modbus Application Protocol Specification
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
#define MB_PDU_MAX 253 /* MAP 4.1 */

/* Read Device Identification objects (MAP 6.21): object i is present when
 * value is not NULL. A value is at most MB_ID_OBJECT_MAX bytes, so any one
 * object fits a response on its own (253-byte PDU less the 7-byte header and
 * the object's id and length). */
#define MB_ID_OBJECT_MAX 244
struct mb_id_object {
	const uint8_t *value;
	uint8_t len;
};

/* File records (MAP 6.14, 6.15): file numbers 1..n_files, each of
 * MB_FILE_RECORDS 16-bit records numbered 0..0x270F. */
#define MB_FILE_RECORDS 10000

/* The four data tables of a unit (MAP 4.3). Registers are kept in network
 * byte order so a read is a memcpy into the response; bits are packed
 * least significant bit first, as on the wire. The register store owns the
 * memory.
 *
 * Read FIFO Queue (MAP 6.18) reads the holding registers: the register at
 * the FIFO pointer address holds the FIFO count, the entries are the
 * registers that follow it, as MAP 6.18 describes the queue.
 *
 * Entry 0 of a table is Modbus address *_start (MAP 4.4: the protocol
 * address a device maps onto its own memory); addresses outside
 * start..start + n - 1 are exception 02. A start is at most 65535 and a
 * count at most 65536. 56 bytes: they share the unit's hot line with what
 * else every request on it needs (struct mb_unit). */
struct mb_tables {
	uint8_t *coils;
	uint8_t *discrete_inputs;
	uint16_t *holding_regs; /* big-endian */
	uint16_t *input_regs; /* big-endian */
	uint32_t n_coils;
	uint32_t n_discrete_inputs;
	uint32_t n_holding_regs;
	uint32_t n_input_regs;
	uint16_t coils_start;
	uint16_t discrete_inputs_start;
	uint16_t holding_regs_start;
	uint16_t input_regs_start;
};

#define MB_COUNTERS(X) \
	X(mb_requests, "Modbus requests: every ADU handed in, answered or discarded (MAP 4.1)") \
	X(mb_responses, "Modbus responses, exception responses included (MAP 4.1)") \
	X(mb_exceptions, "Modbus exception responses (MAP 7)") \
	X(mb_exception_illegal_function, "exception responses 01, illegal function (MAP 7)") \
	X(mb_exception_illegal_address, "exception responses 02, illegal data address (MAP 7)") \
	X(mb_exception_illegal_value, "exception responses 03, illegal data value (MAP 7)") \
	X(mb_exception_busy, "exception responses 06, server busy: a unit's seqlock held past the bounded wait (MAP 7)") \
	X(mb_exception_unknown_unit, "exception responses 0B: unit id not configured on the server (MAP 7)") \
	X(mb_refused_read_only_source, "writes from a read-only source: exception 01 (MAP 7)") \
	X(mb_refused_write_protected, "writes to a protected range: exception 02 (MAP 7)") \
	X(mb_drop_protocol_id, "ADUs with an MBAP protocol id other than 0: discarded (MIG 4.4.1.1)") \
	X(mb_drop_unknown_unit, "ADUs to a unit id not configured, the server set to stay silent: discarded") \
	X(mb_drop_no_server, "ADUs on a connection to an address no server is configured on: discarded") \
	X(mb_no_response, "requests left unanswered: 08/04, and all in listen only mode (MAP 6.8)") \
	X(mb_reset_bad_length, "connections reset for an MBAP length outside 2..254 (MIG 3.1.3)")

struct mb_counters {
#define X(name, help) uint64_t name;
	MB_COUNTERS(X)
#undef X
	/* Requests by function code (MAP 6), the code as index: unknown and
	 * switched-off codes too, so a lab sees what its master really sends. */
	uint64_t fc_requests[256];
};

/* The serial-line diagnostics counters of MAP 6.8, returned by Diagnostics
 * sub-functions 0x0B..0x12 in this order. On TCP there are no CRC errors
 * and no character overruns, and this server never sends the NAK (07)
 * exception, so those three stay 0; busy (06) counts the requests a stuck
 * register writer kept from their unit. All are 16 bits and wrap,
 * as on a serial device. */
enum mb_diag_counter {
	MB_DIAG_BUS_MESSAGES, /* 0B: every Modbus ADU received */
	MB_DIAG_BUS_COMM_ERRORS, /* 0C */
	MB_DIAG_BUS_EXCEPTIONS, /* 0D: exception responses sent */
	MB_DIAG_SERVER_MESSAGES, /* 0E: ADUs processed (not ignored in listen only mode) */
	MB_DIAG_SERVER_NO_RESPONSE, /* 0F: ADUs left unanswered */
	MB_DIAG_SERVER_NAK, /* 10 */
	MB_DIAG_SERVER_BUSY, /* 11: exception 06 sent */
	MB_DIAG_BUS_CHAR_OVERRUN, /* 12 */
	MB_DIAG_COUNTERS
};

#define MB_EVENT_LOG_LEN 64 /* MAP 6.10: at most 64 event bytes */

/* What a unit remembers for the diagnostics functions (MAP 6.7-6.10), as a
 * real device does: listen only mode silences that unit alone. All zero is
 * the state after power-up (listen only mode is the unit's
 * MB_UNIT_LISTEN_ONLY flag). Workers serving the same unit share it
 * without a lock: these are 16-bit wrapping counters and flags, and a lost
 * or doubled count under concurrent requests to one unit is as harmless as
 * on a busy serial device. The ordinary requests since the last reader
 * are counted in mb_unit.normal and added in when a reader comes
 * (modbus_pdu.c). */
struct mb_diag {
	uint16_t counters[MB_DIAG_COUNTERS];
	uint16_t event_count; /* MAP 6.9: normal responses, 0B excepted */
	uint8_t event_head;
	uint8_t n_events;
	uint8_t pending; /* MB_DIAG_PENDING_*: done once the response is accounted */
	uint8_t events[MB_EVENT_LOG_LEN]; /* ring; events[event_head - 1] is the newest */
};

struct mb_model; /* mb_device.h */
struct mb_unit;

/* What a connection carries for the Modbus layer, in 4 bytes of its cache
 * line, found when it opens (mb_model_peer): the unit its last request went
 * to (at first, one of its server's units) and the unit id that reached
 * it, whether its source may only read, and whether any server has its
 * address at all. A master mostly polls one unit per connection: a request
 * with the same unit id goes straight to the unit; another id is looked up
 * in that unit's server (the model does not change while it serves). */
struct mb_peer {
	uint32_t unit : 22; /* index in the model's units (at most 1 << 22) */
	uint32_t unit_id : 8;
	uint32_t read_only : 1;
	uint32_t no_server : 1;
};

/* Per-worker Modbus state: the device model it answers from and its own
 * counters. unit, tables and seq are the unit of the request being
 * answered, its tables and its seqlock in the store, set by
 * mb_handle_adu() for the handlers. */
struct mb_ctx {
	const struct mb_model *model;
	struct mb_unit *unit;
	struct mb_tables *tables;
	uint32_t *seq;
	/* The stack's clock (ns), read only for units with a script
	 * (mb_script.h); NULL: time stands at 0. */
	const uint64_t *clock;
	struct mb_counters ctr;
};

/* A handler checks and executes one request PDU of len bytes and writes the
 * response PDU into out (MB_PDU_MAX bytes of room). Returns the response PDU
 * length, 0 for no response at all (MAP 6.8 sub-function 04), or the negated
 * exception code. Every handler follows its function's state diagram in MAP
 * chapter 6: a malformed quantity, count or value (03) is refused before an
 * address (02), and nothing is written unless the whole request is valid. */
typedef int (*mb_handler)(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);

/* How a function uses the unit's tables: readers copy under the seqlock's
 * read side and retry, writers hold it (MAP 6.17 reads inside its write).
 * The diagnostics functions that read or change the unit's diagnostics
 * (08, 0B, 0C) or are accounted otherwise (0B is no event, MAP 6.9) use
 * no table; modbus_pdu.c counts them in full. */
enum mb_access { MB_ACCESS_NONE, MB_ACCESS_READ, MB_ACCESS_WRITE, MB_ACCESS_DIAG };

/* Which table entries a request names, for starting their load before it
 * is answered (mb_prefetch_request): the table its address and quantity
 * (PDU bytes 1-4) lie in; with MB_PREFETCH_ONE the second word is a value,
 * so one entry. Functions with no such range prefetch nothing. */
enum mb_prefetch {
	MB_PREFETCH_NONE,
	MB_PREFETCH_COILS,
	MB_PREFETCH_DISCRETE_INPUTS,
	MB_PREFETCH_HOLDING_REGS,
	MB_PREFETCH_INPUT_REGS,
	MB_PREFETCH_TABLE = 7, /* the bits above that say the table */
	MB_PREFETCH_ONE = 8,
};

/* What the server does with one function code (MAP 5.1, 6). */
struct mb_function {
	mb_handler handler; /* NULL: unknown, exception 01 */
	uint8_t access; /* enum mb_access */
	uint8_t prefetch; /* enum mb_prefetch */
};

/* The function table, indexed by function code: the one place a function
 * is added (modbus_pdu.c). */
extern const struct mb_function mb_functions[256];

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

/* Answers one request PDU of len bytes (function code first; the MBAP
 * length less the unit id) that arrived for MBAP unit id unit_id on a
 * connection of peer, whose unit cache it updates. Writes the response PDU,
 * or an exception response, into room (MB_PDU_MAX bytes; not overlapping
 * pdu) and returns its length, or 0 when nothing is to be sent: no server
 * or unit answers, or MAP 6.8 leaves the request unanswered. Counts from
 * fc_requests on; the MBAP checks before it count mb_requests and
 * mb_drop_protocol_id. */
uint32_t mb_handle_pdu(struct mb_ctx *ctx, struct mb_peer *peer, uint8_t unit_id,
		       const uint8_t *pdu, uint32_t len, uint8_t *room);

/* Answers one complete ADU of req_len bytes (as framed by mbap_adu_len)
 * that arrived on a connection of peer. Writes the response ADU
 * (MB_ADU_MAX bytes of room) into resp and returns its length, or 0 when
 * the request is discarded or, by MAP 6.8, left without an answer. req and
 * resp must not overlap. */
uint32_t mb_handle_adu(struct mb_ctx *ctx, struct mb_peer *peer, const uint8_t *req,
		       uint32_t req_len, uint8_t *resp);

#endif
