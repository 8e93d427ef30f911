/* Modbus application layer: MBAP checks, the function code table, and the
 * per-message accounting of the serial-line diagnostics (MAP 6.8-6.10).
 *
 * An unknown or switched-off function code is exception 01 (MAP 7). The
 * handlers live in one file per family (modbus_internal.h).
 *
 * Counters: mb_requests counts every ADU handed in; each one is either
 * answered (mb_responses, of which mb_exceptions are exception responses),
 * discarded (mb_drop_protocol_id) or left unanswered as MAP 6.8 asks
 * (mb_no_response). */
#include <string.h>

#include "modbus_internal.h"

/* Indexed by function code (MAP 5.1, 6); NULL is exception 01. */
static const mb_handler mb_functions[256] = {
	[0x01] = mb_read_coils,
	[0x02] = mb_read_discrete_inputs,
	[0x03] = mb_read_holding_regs,
	[0x04] = mb_read_input_regs,
	[0x05] = mb_write_single_coil,
	[0x06] = mb_write_single_reg,
	[0x07] = mb_read_exception_status,
	[0x08] = mb_diagnostics,
	[0x0B] = mb_get_comm_event_counter,
	[0x0C] = mb_get_comm_event_log,
	[0x0F] = mb_write_multiple_coils,
	[0x10] = mb_write_multiple_regs,
	[0x11] = mb_report_server_id,
	[0x14] = mb_read_file_record,
	[0x15] = mb_write_file_record,
	[0x16] = mb_mask_write_reg,
	[0x17] = mb_read_write_regs,
	[0x18] = mb_read_fifo_queue,
	[0x2B] = mb_encapsulated_interface,
};

/* MAP 6.10 event bytes. */
#define MB_EVENT_RECEIVE 0x80
#define MB_EVENT_SEND 0x40
#define MB_EVENT_LISTEN_ONLY 0x20 /* either kind: the port was in listen only mode */
#define MB_EVENT_SEND_READ_EXCEPTION 0x01 /* exception codes 1-3 */
#define MB_EVENT_RESTART 0x00

#define MB_FC_DIAGNOSTICS 0x08
#define MB_DIAG_RESTART_COMM 0x0001
#define MB_FC_GET_COMM_EVENT_COUNTER 0x0B

void mb_function_enable(struct mb_ctx *ctx, uint8_t fc, int on)
{
	uint8_t bit = (uint8_t)(1u << (fc & 7));

	if (on)
		ctx->fc_disabled[fc >> 3] &= (uint8_t)~bit;
	else
		ctx->fc_disabled[fc >> 3] |= bit;
}

static mb_handler lookup(const struct mb_ctx *ctx, uint8_t fc)
{
	if (ctx->fc_disabled[fc >> 3] & (1u << (fc & 7)))
		return NULL;
	return mb_functions[fc];
}

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

/* MAP 6.8 sub-function 01 is the one request a port in listen only mode
 * executes. */
static int is_restart_comm(const uint8_t *pdu, uint32_t len)
{
	return len >= 3 && pdu[0] == MB_FC_DIAGNOSTICS && get16(pdu + 1) == MB_DIAG_RESTART_COMM;
}

/* The work 08/01 and 08/0A leave for after their response (MAP 6.8: the
 * response goes out before the restart). */
static void diag_finish(struct mb_diag *d)
{
	uint8_t pending = d->pending;

	d->pending = 0;
	if (pending & MB_DIAG_PENDING_CLEAR_COUNTERS) {
		memset(d->counters, 0, sizeof(d->counters));
		d->event_count = 0;
	}
	if (pending & MB_DIAG_PENDING_CLEAR_LOG) {
		d->n_events = 0;
		d->event_head = 0;
	}
	if (pending & MB_DIAG_PENDING_RESTART) {
		d->listen_only = 0;
		mb_log_event(d, MB_EVENT_RESTART);
	}
}

/* Runs the request and keeps the diagnostics of MAP 6.8-6.10: a receive
 * event before, then a send event, the event counter or the exception
 * count after. In listen only mode nothing is answered and only 08/01 is
 * executed. Returns the response PDU length, 0 or the negated exception. */
static int execute(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len, uint8_t *out)
{
	struct mb_diag *d = &ctx->diag;
	uint8_t listen = d->listen_only ? MB_EVENT_LISTEN_ONLY : 0;
	uint8_t fc = pdu[0];
	mb_handler fn = lookup(ctx, fc);
	int n;

	d->counters[MB_DIAG_BUS_MESSAGES]++;
	mb_log_event(d, MB_EVENT_RECEIVE | listen);
	if (listen && !(fn && is_restart_comm(pdu, len))) {
		d->counters[MB_DIAG_SERVER_NO_RESPONSE]++;
		return 0;
	}
	d->counters[MB_DIAG_SERVER_MESSAGES]++;
	n = fn ? fn(ctx, pdu, len, out) : -MB_EX_ILLEGAL_FUNCTION;
	if (listen || n == 0) {
		d->counters[MB_DIAG_SERVER_NO_RESPONSE]++;
		n = 0;
	} else if (n < 0) {
		d->counters[MB_DIAG_BUS_EXCEPTIONS]++;
		mb_log_event(d, MB_EVENT_SEND | MB_EVENT_SEND_READ_EXCEPTION);
	} else {
		if (fc != MB_FC_GET_COMM_EVENT_COUNTER)
			d->event_count++;
		mb_log_event(d, MB_EVENT_SEND);
	}
	if (d->pending)
		diag_finish(d);
	return n;
}

uint32_t mb_handle_adu(struct mb_ctx *ctx, const uint8_t *req, uint32_t req_len, uint8_t *resp)
{
	const uint8_t *pdu = req + MBAP_HDR_LEN;
	uint8_t *out = resp + MBAP_HDR_LEN;
	int n;

	ctx->ctr.mb_requests++;
	/* MIG 4.4.1.1: a protocol id other than 0 (Modbus) is not ours. */
	if (req[2] | req[3]) {
		ctx->ctr.mb_drop_protocol_id++;
		return 0;
	}
	ctx->ctr.fc_requests[pdu[0]]++;
	n = execute(ctx, pdu, req_len - MBAP_HDR_LEN, out);
	if (n == 0) {
		ctx->ctr.mb_no_response++;
		return 0;
	}
	if (n < 0) {
		/* MAP 7: function code with its top bit set, then the code. */
		out[0] = (uint8_t)(pdu[0] | 0x80);
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
