/* The serial-line diagnostics functions, answered on TCP because test rigs
 * exercise masters with them: Read Exception Status, Diagnostics, Get Comm
 * Event Counter, Get Comm Event Log (MAP 6.7-6.10) and Report Server ID
 * (MAP 6.13). Their state is the unit's struct mb_diag; modbus_pdu.c
 * counts every message and logs its events, and has brought diag up to
 * date before any of these runs. */
#include <string.h>

#include "modbus_internal.h"

#define MB_REQ_BARE_LEN 1u /* the function code alone */
#define MB_DIAG_REQ_LEN 5u /* fc, sub-function, one data word */
#define MB_DIAG_HDR_LEN 3u /* fc, sub-function */
#define MB_RESTART_CLEAR_LOG 0xFF00 /* 08/01 data: clear the event log too */
#define MB_STATUS_READY 0x0000 /* MAP 6.9: no program command in progress */
#define MB_RUN_INDICATOR_ON 0xFF /* MAP 6.13 */
#define MB_ID_PRODUCT_CODE 0x01 /* MAP 6.21 */

/* MAP 6.8 sub-functions served; 03 (ASCII input delimiter) and 0x13 and
 * 0x15 (Modbus Plus) have no meaning on TCP and are unknown. */
enum {
	MB_SUB_RETURN_QUERY_DATA = 0x00,
	MB_SUB_RESTART_COMM = 0x01,
	MB_SUB_DIAG_REGISTER = 0x02,
	MB_SUB_FORCE_LISTEN_ONLY = 0x04,
	MB_SUB_CLEAR_COUNTERS = 0x0A,
	MB_SUB_FIRST_COUNTER = 0x0B, /* 0x0B..0x12: enum mb_diag_counter */
	MB_SUB_LAST_COUNTER = 0x12,
	MB_SUB_CLEAR_OVERRUN = 0x14,
};

#define MB_EVENT_ENTERED_LISTEN_ONLY 0x04 /* MAP 6.10 */

/* MAP 6.7: eight device-specific status outputs. This device has no
 * exception conditions to report, so all are 0. */
int mb_read_exception_status(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len,
			     uint8_t *out)
{
	(void)ctx;
	if (len != MB_REQ_BARE_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	out[0] = pdu[0];
	out[1] = 0;
	return 2;
}

/* The response to a sub-function that returns one word. */
static int diag_word(const uint8_t *pdu, uint8_t *out, uint32_t value)
{
	memcpy(out, pdu, MB_DIAG_HDR_LEN);
	put16(out + MB_DIAG_HDR_LEN, value);
	return MB_DIAG_REQ_LEN;
}

/* MAP 6.8. Every sub-function but 00 carries exactly one data word, 0000
 * where the spec fixes it (else exception 03). The response echoes the
 * request or returns one word in place of its data. */
int mb_diagnostics(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	struct mb_diag *d = &ctx->unit->diag;
	uint32_t sub, data;

	if (len < MB_DIAG_HDR_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	sub = get16(pdu + 1);
	if (sub == MB_SUB_RETURN_QUERY_DATA) {
		/* Any number of data words, echoed. */
		if (len < MB_DIAG_REQ_LEN || (len - MB_DIAG_HDR_LEN) % 2)
			return -MB_EX_ILLEGAL_VALUE;
		memcpy(out, pdu, len);
		return (int)len;
	}
	if (sub != MB_SUB_RESTART_COMM && sub != MB_SUB_DIAG_REGISTER &&
	    sub != MB_SUB_FORCE_LISTEN_ONLY && sub != MB_SUB_CLEAR_COUNTERS &&
	    (sub < MB_SUB_FIRST_COUNTER || sub > MB_SUB_LAST_COUNTER) &&
	    sub != MB_SUB_CLEAR_OVERRUN)
		return -MB_EX_ILLEGAL_FUNCTION;
	if (len != MB_DIAG_REQ_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	data = get16(pdu + 3);
	if (sub == MB_SUB_RESTART_COMM) {
		/* 0000 keeps the event log, FF00 clears it; the restart itself
		 * follows the response (modbus_pdu.c). */
		if (data != 0 && data != MB_RESTART_CLEAR_LOG)
			return -MB_EX_ILLEGAL_VALUE;
		d->pending |= MB_DIAG_PENDING_CLEAR_COUNTERS | MB_DIAG_PENDING_RESTART;
		if (data == MB_RESTART_CLEAR_LOG)
			d->pending |= MB_DIAG_PENDING_CLEAR_LOG;
		return diag_word(pdu, out, data);
	}
	if (data != 0)
		return -MB_EX_ILLEGAL_VALUE;
	switch (sub) {
	case MB_SUB_DIAG_REGISTER:
		/* No device-specific error conditions: the register stays 0. */
		return diag_word(pdu, out, 0);
	case MB_SUB_FORCE_LISTEN_ONLY:
		/* No response; from now on only 08/01 is executed. */
		ctx->unit->flags |= MB_UNIT_LISTEN_ONLY;
		mb_log_event(d, MB_EVENT_ENTERED_LISTEN_ONLY);
		return 0;
	case MB_SUB_CLEAR_COUNTERS:
		d->pending |= MB_DIAG_PENDING_CLEAR_COUNTERS;
		return diag_word(pdu, out, 0);
	case MB_SUB_CLEAR_OVERRUN:
		/* TCP has no character overruns to clear. */
		return diag_word(pdu, out, 0);
	default:
		return diag_word(pdu, out, d->counters[sub - MB_SUB_FIRST_COUNTER]);
	}
}

/* MAP 6.9: status word, then the event counter. */
int mb_get_comm_event_counter(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len,
			      uint8_t *out)
{
	if (len != MB_REQ_BARE_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	out[0] = pdu[0];
	put16(out + 1, MB_STATUS_READY);
	put16(out + 3, ctx->unit->diag.event_count);
	return 5;
}

/* MAP 6.10: byte count, status, event counter, message count (the bus
 * message count of 08/0B), then the events, newest first. */
int mb_get_comm_event_log(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	const struct mb_diag *d = &ctx->unit->diag;
	uint32_t i;

	if (len != MB_REQ_BARE_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	out[0] = pdu[0];
	out[1] = (uint8_t)(6 + d->n_events);
	put16(out + 2, MB_STATUS_READY);
	put16(out + 4, d->event_count);
	put16(out + 6, d->counters[MB_DIAG_BUS_MESSAGES]);
	for (i = 0; i < d->n_events; i++)
		out[8 + i] = d->events[(d->event_head + MB_EVENT_LOG_LEN - 1 - i) % MB_EVENT_LOG_LEN];
	return (int)(8 + d->n_events);
}

/* MAP 6.13: byte count, server id, run indicator. The server id is the
 * ProductCode identification object (MAP 6.21), so one setting names the
 * device in both answers. Nothing follows the run indicator: clients that
 * take the last byte for it (pymodbus) read it right too. */
int mb_report_server_id(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	const struct mb_id_object *id = &ctx->unit->id_objects[MB_ID_PRODUCT_CODE];

	if (len != MB_REQ_BARE_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	out[0] = pdu[0];
	out[1] = (uint8_t)(id->len + 1);
	if (id->value)
		memcpy(out + 2, id->value, id->len);
	out[2 + id->len] = MB_RUN_INDICATOR_ON;
	return 3 + id->len;
}
