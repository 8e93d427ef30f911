/* Private to the Modbus application layer: the handlers of the function
 * table (modbus.h) and the helpers the function families share. */
#ifndef MBX_MODBUS_INTERNAL_H
#define MBX_MODBUS_INTERNAL_H

#include <stdint.h>

#include "mb_device.h"
#include "modbus.h"

/* MAP 7 exception codes. */
enum mb_exception {
	MB_EX_ILLEGAL_FUNCTION = 0x01,
	MB_EX_ILLEGAL_ADDRESS = 0x02,
	MB_EX_ILLEGAL_VALUE = 0x03,
	MB_EX_SERVER_BUSY = 0x06,
	MB_EX_GATEWAY_TARGET_FAILED = 0x0B,
};

/* Write protection (mb_unit.protect_*): whether any of the qty entries from
 * Modbus address addr lies in one of the n ranges. */
static inline int mb_protected(const struct mb_range *r, uint32_t n, uint32_t addr, uint32_t qty)
{
	for (uint32_t i = 0; i < n; i++)
		if (addr <= r[i].last && addr + qty - 1 >= r[i].first)
			return 1;
	return 0;
}

/* Work a Diagnostics request asks for once its own response has been
 * accounted (MAP 6.8: a restart follows the response), in mb_diag.pending. */
enum {
	MB_DIAG_PENDING_CLEAR_COUNTERS = 1, /* 08/0A and 08/01 */
	MB_DIAG_PENDING_RESTART = 2, /* 08/01: leave listen only, log event 0x00 */
	MB_DIAG_PENDING_CLEAR_LOG = 4, /* 08/01 with data FF00 */
};

static inline uint32_t get16(const uint8_t *p)
{
	return ((uint32_t)p[0] << 8) | p[1];
}

static inline void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* MAP 6.10: the newest event goes in front of the log; the oldest of 64
 * falls off. */
static inline void mb_log_event(struct mb_diag *d, uint8_t event)
{
	d->events[d->event_head] = event;
	d->event_head = (uint8_t)((d->event_head + 1) % MB_EVENT_LOG_LEN);
	if (d->n_events < MB_EVENT_LOG_LEN)
		d->n_events++;
}

/* modbus_data.c: bits and registers (MAP 6.1-6.6, 6.11, 6.12, 6.16-6.18). */
int mb_read_coils(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_read_discrete_inputs(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_read_holding_regs(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_read_input_regs(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_write_single_coil(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_write_single_reg(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_write_multiple_coils(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_write_multiple_regs(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_mask_write_reg(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_read_write_regs(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_read_fifo_queue(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);

/* modbus_file.c: MAP 6.14, 6.15. */
int mb_read_file_record(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_write_file_record(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);

/* modbus_devid.c: MAP 6.19-6.21 (Encapsulated Interface Transport, 0x2B). */
int mb_encapsulated_interface(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len,
			      uint8_t *out);

/* modbus_diag.c: MAP 6.7-6.10, 6.13. */
int mb_read_exception_status(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len,
			     uint8_t *out);
int mb_diagnostics(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_get_comm_event_counter(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len,
			      uint8_t *out);
int mb_get_comm_event_log(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);
int mb_report_server_id(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out);

#endif
