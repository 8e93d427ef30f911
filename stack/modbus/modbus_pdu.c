/* Modbus application layer: MBAP checks, the unit a request addresses, the
 * function code table, the unit's seqlock around each table access, and the
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

#include "mbx_regs.h"
#include "mb_script.h"
#include "modbus_internal.h"

/* Indexed by function code (MAP 5.1, 6); a code without a handler is
 * exception 01. Adding a function: its handler in its family's file
 * (modbus_internal.h), its row here. */
const struct mb_function mb_functions[256] = {
	[0x01] = { mb_read_coils, MB_ACCESS_READ, MB_PREFETCH_COILS },
	[0x02] = { mb_read_discrete_inputs, MB_ACCESS_READ, MB_PREFETCH_DISCRETE_INPUTS },
	[0x03] = { mb_read_holding_regs, MB_ACCESS_READ, MB_PREFETCH_HOLDING_REGS },
	[0x04] = { mb_read_input_regs, MB_ACCESS_READ, MB_PREFETCH_INPUT_REGS },
	[0x05] = { mb_write_single_coil, MB_ACCESS_WRITE, MB_PREFETCH_COILS | MB_PREFETCH_ONE },
	[0x06] = { mb_write_single_reg, MB_ACCESS_WRITE, MB_PREFETCH_HOLDING_REGS | MB_PREFETCH_ONE },
	[0x07] = { mb_read_exception_status, MB_ACCESS_NONE, MB_PREFETCH_NONE },
	[0x08] = { mb_diagnostics, MB_ACCESS_DIAG, MB_PREFETCH_NONE },
	[0x0B] = { mb_get_comm_event_counter, MB_ACCESS_DIAG, MB_PREFETCH_NONE },
	[0x0C] = { mb_get_comm_event_log, MB_ACCESS_DIAG, MB_PREFETCH_NONE },
	[0x0F] = { mb_write_multiple_coils, MB_ACCESS_WRITE, MB_PREFETCH_COILS },
	[0x10] = { mb_write_multiple_regs, MB_ACCESS_WRITE, MB_PREFETCH_HOLDING_REGS },
	[0x11] = { mb_report_server_id, MB_ACCESS_NONE, MB_PREFETCH_NONE },
	[0x14] = { mb_read_file_record, MB_ACCESS_READ, MB_PREFETCH_NONE },
	[0x15] = { mb_write_file_record, MB_ACCESS_WRITE, MB_PREFETCH_NONE },
	[0x16] = { mb_mask_write_reg, MB_ACCESS_WRITE, MB_PREFETCH_NONE },
	/* The read's range: the lines the answer copies out. */
	[0x17] = { mb_read_write_regs, MB_ACCESS_WRITE, MB_PREFETCH_HOLDING_REGS },
	[0x18] = { mb_read_fifo_queue, MB_ACCESS_READ, MB_PREFETCH_NONE },
	[0x2B] = { mb_encapsulated_interface, MB_ACCESS_NONE, MB_PREFETCH_NONE },
};

/* MAP 6.10 event bytes. */
#define MB_EVENT_RECEIVE 0x80
#define MB_EVENT_SEND 0x40
#define MB_EVENT_LISTEN_ONLY 0x20 /* either kind: the port was in listen only mode */
#define MB_EVENT_SEND_READ_EXCEPTION 0x01 /* exception codes 1-3 */
#define MB_EVENT_SEND_BUSY_EXCEPTION 0x04 /* exception codes 5-6 */
#define MB_EVENT_RESTART 0x00

#define MB_FC_DIAGNOSTICS 0x08
#define MB_DIAG_RESTART_COMM 0x0001
#define MB_DIAG_RETURN_QUERY_DATA 0x0000
#define MB_FC_GET_COMM_EVENT_COUNTER 0x0B

void mb_functions_off(struct mb_unit *u, const uint8_t off[256 / 8])
{
	uint8_t any = 0;

	memcpy(u->fc_disabled, off, sizeof(u->fc_disabled));
	for (uint32_t i = 0; i < sizeof(u->fc_disabled); i++)
		any |= off[i];
	u->flags = (uint8_t)((u->flags & ~MB_UNIT_FC_OFF) | (any ? MB_UNIT_FC_OFF : 0));
}

void mb_function_enable(struct mb_unit *u, uint8_t fc, int on)
{
	uint8_t off[256 / 8], bit = (uint8_t)(1u << (fc & 7));

	memcpy(off, u->fc_disabled, sizeof(off));
	if (on)
		off[fc >> 3] &= (uint8_t)~bit;
	else
		off[fc >> 3] |= bit;
	mb_functions_off(u, off);
}

/* The bitmap is read only when the unit has a function switched off. */
static mb_handler lookup(const struct mb_unit *u, uint8_t fc)
{
	if ((u->flags & MB_UNIT_FC_OFF) && (u->fc_disabled[fc >> 3] & (1u << (fc & 7))))
		return NULL;
	return mb_functions[fc].handler;
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
	case MB_EX_SERVER_BUSY:
		ctr->mb_exception_busy++;
		break;
	case MB_EX_GATEWAY_TARGET_FAILED:
		ctr->mb_exception_unknown_unit++;
		break;
	}
}

/* MAP 6.8 sub-function 01 is the one request a port in listen only mode
 * executes. */
static int is_restart_comm(const uint8_t *pdu, uint32_t len)
{
	return len >= 3 && pdu[0] == MB_FC_DIAGNOSTICS && get16(pdu + 1) == MB_DIAG_RESTART_COMM;
}

/* The ordinary requests (normal) folded into the unit's diagnostics: each
 * was a bus and a server message, an event (MAP 6.9) and a receive and a
 * send event in the log (MAP 6.10), which holds the last 32 such pairs at
 * most. Done before anything else reads or counts diag, so what a master
 * reads is what counting every request at once gives. */
static void diag_fold(struct mb_unit *u)
{
	struct mb_diag *d = &u->diag;
	uint32_t k = u->normal;

	if (!k)
		return;
	u->normal = 0;
	d->counters[MB_DIAG_BUS_MESSAGES] = (uint16_t)(d->counters[MB_DIAG_BUS_MESSAGES] + k);
	d->counters[MB_DIAG_SERVER_MESSAGES] = (uint16_t)(d->counters[MB_DIAG_SERVER_MESSAGES] + k);
	d->event_count = (uint16_t)(d->event_count + k);
	for (uint32_t i = 0; i < k && i < MB_EVENT_LOG_LEN / 2; i++) {
		mb_log_event(d, MB_EVENT_RECEIVE);
		mb_log_event(d, MB_EVENT_SEND);
	}
}

/* mb_unit.normal is folded when it reaches this, long before it wraps. */
#define MB_NORMAL_MAX (1u << 31)

/* The work 08/01 and 08/0A leave for after their response (MAP 6.8: the
 * response goes out before the restart). */
static void diag_finish(struct mb_unit *u)
{
	struct mb_diag *d = &u->diag;
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
		u->flags &= (uint8_t)~MB_UNIT_LISTEN_ONLY;
		mb_log_event(d, MB_EVENT_RESTART);
	}
}

/* Whether a request changes the device: the data writes, and the
 * Diagnostics sub-functions other than the echo and the counter reads
 * (restart, listen only, clearing counters change what every client
 * sees). */
static int changes_device(const uint8_t *pdu, uint32_t len)
{
	uint32_t sub;

	if (mb_functions[pdu[0]].access == MB_ACCESS_WRITE)
		return 1;
	if (pdu[0] != MB_FC_DIAGNOSTICS || len < 3)
		return 0;
	sub = get16(pdu + 1);
	return sub != MB_DIAG_RETURN_QUERY_DATA && (sub < 0x0B || sub > 0x12);
}

/* The seqlock when it is contended: retried within a bound. A writer that
 * holds the lock for the whole bounded wait (a process that died in the
 * middle of a write) makes the unit busy: exception 06 (MAP 7: "the client
 * should retransmit the message later") instead of a worker that never
 * returns. Read handlers only fill out, so a torn copy is simply made
 * again. */
static __attribute__((noinline, cold)) int run_contended(struct mb_ctx *ctx, mb_handler fn,
							 const uint8_t *pdu, uint32_t len,
							 uint8_t *out)
{
	uint32_t *seq = ctx->seq;
	int n;

	if (mb_functions[pdu[0]].access == MB_ACCESS_WRITE) {
		if (mbx_regs_lock(seq) < 0)
			return -MB_EX_SERVER_BUSY;
		n = fn(ctx, pdu, len, out);
		mbx_regs_unlock(seq);
		return n;
	}
	for (uint32_t tries = 0; tries < MBX_REGS_SPIN_MAX; tries++) {
		uint64_t begin = mbx_regs_read_begin(seq);

		if (begin == UINT64_MAX)
			break;
		n = fn(ctx, pdu, len, out);
		if (mbx_regs_read_ok(seq, begin))
			return n;
	}
	return -MB_EX_SERVER_BUSY;
}

/* Runs a handler under the unit's seqlock: one attempt inline (the lock is
 * free nearly always), the bounded retries out of line. Inlined at both of
 * execute()'s calls: a call costs an ordinary request ~20 instructions. */
static inline __attribute__((always_inline)) int run_locked(struct mb_ctx *ctx, mb_handler fn,
							       const uint8_t *pdu, uint32_t len,
							       uint8_t *out)
{
	uint32_t *seq = ctx->seq;
	uint32_t s;
	int n;

	switch (mb_functions[pdu[0]].access) {
	case MB_ACCESS_READ:
		s = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
		if (__builtin_expect(!(s & 1), 1)) {
			n = fn(ctx, pdu, len, out);
			if (mbx_regs_read_ok(seq, s))
				return n;
		}
		return run_contended(ctx, fn, pdu, len, out);
	case MB_ACCESS_WRITE:
		if (__builtin_expect(mbx_regs_try_lock(seq), 1)) {
			n = fn(ctx, pdu, len, out);
			mbx_regs_unlock(seq);
			return n;
		}
		return run_contended(ctx, fn, pdu, len, out);
	default:
		return fn(ctx, pdu, len, out);
	}
}

/* A request's account once it has run (MAP 6.8-6.10): unanswered, an
 * exception, or an event; then the work a Diagnostics request left. */
static int account_answer(struct mb_unit *u, uint8_t fc, uint8_t listen, int n)
{
	struct mb_diag *d = &u->diag;

	if (listen || n == 0) {
		d->counters[MB_DIAG_SERVER_NO_RESPONSE]++;
		n = 0;
	} else if (n < 0) {
		d->counters[MB_DIAG_BUS_EXCEPTIONS]++;
		if (n == -MB_EX_SERVER_BUSY) {
			d->counters[MB_DIAG_SERVER_BUSY]++;
			mb_log_event(d, MB_EVENT_SEND | MB_EVENT_SEND_BUSY_EXCEPTION);
		} else {
			mb_log_event(d, MB_EVENT_SEND | MB_EVENT_SEND_READ_EXCEPTION);
		}
	} else {
		if (fc != MB_FC_GET_COMM_EVENT_COUNTER)
			d->event_count++;
		mb_log_event(d, MB_EVENT_SEND);
	}
	if (d->pending)
		diag_finish(u);
	return n;
}

/* Whether a request from a read-only source (mb_peer.read_only) is
 * refused: anything that changes the device. MAP 7 defines 01 as "the function code received in the query
 * is not an allowable action for the server", which is what a write is for
 * that client: it tells the client not to retry. 04 (Server Device
 * Failure) would report an unrecoverable fault of the device, which it does
 * not have, and SCADA masters raise device alarms on it. */
static int refused_read_only(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len)
{
	if (!changes_device(pdu, len))
		return 0;
	ctx->ctr.mb_refused_read_only_source++;
	return 1;
}

/* Runs the request and keeps the unit's diagnostics of MAP 6.8-6.10: a
 * receive event before, then a send event, the event counter or the
 * exception count after. In listen only mode nothing is answered and only
 * 08/01 is executed. Returns the response PDU length, 0 or the negated
 * exception.
 *
 * An ordinary request (not in listen only mode, a function the unit has
 * and that is not one of the diagnostics, answered without exception) only
 * counts itself in mb_unit.normal, so it writes the unit's hot line alone;
 * anything else folds the count into diag first (diag_fold) and is then
 * accounted in full. Inlined, as mb_handle_pdu is into mb_handle_adu: a
 * request's way through the Modbus layer is one call (about 20
 * instructions fewer a request). */
static inline __attribute__((always_inline)) int
execute(struct mb_ctx *ctx, const struct mb_peer *peer, const uint8_t *pdu, uint32_t len,
	uint8_t *out)
{
	struct mb_unit *u = ctx->unit;
	struct mb_diag *d = &u->diag;
	uint8_t listen = (u->flags & MB_UNIT_LISTEN_ONLY) ? MB_EVENT_LISTEN_ONLY : 0;
	uint8_t fc = pdu[0];
	mb_handler fn;
	int n;

	if (__builtin_expect(u->flags & MB_UNIT_SCRIPT, 0) && !listen) {
		n = mb_script_run(u, ctx->seq, ctx->clock ? *ctx->clock : 0, pdu, len, out);
		if (n != MB_SCRIPT_PASS) {
			diag_fold(u);
			d->counters[MB_DIAG_BUS_MESSAGES]++;
			mb_log_event(d, MB_EVENT_RECEIVE);
			d->counters[MB_DIAG_SERVER_MESSAGES]++;
			return account_answer(u, fc, 0, n);
		}
	}
	fn = lookup(u, fc);
	if (__builtin_expect(!listen && fn && mb_functions[fc].access != MB_ACCESS_DIAG, 1)) {
		if (__builtin_expect(peer->read_only, 0) && refused_read_only(ctx, pdu, len))
			n = -MB_EX_ILLEGAL_FUNCTION;
		else
			n = run_locked(ctx, fn, pdu, len, out);
		if (__builtin_expect(n > 0, 1)) {
			if (__builtin_expect(++u->normal == MB_NORMAL_MAX, 0))
				diag_fold(u);
			return n;
		}
		diag_fold(u);
		d->counters[MB_DIAG_BUS_MESSAGES]++;
		mb_log_event(d, MB_EVENT_RECEIVE);
		d->counters[MB_DIAG_SERVER_MESSAGES]++;
		return account_answer(u, fc, 0, n);
	}
	diag_fold(u);
	d->counters[MB_DIAG_BUS_MESSAGES]++;
	mb_log_event(d, MB_EVENT_RECEIVE | listen);
	if (listen && !(fn && is_restart_comm(pdu, len) && !peer->read_only)) {
		d->counters[MB_DIAG_SERVER_NO_RESPONSE]++;
		return 0;
	}
	d->counters[MB_DIAG_SERVER_MESSAGES]++;
	if (!fn)
		n = -MB_EX_ILLEGAL_FUNCTION;
	else if (peer->read_only && refused_read_only(ctx, pdu, len))
		n = -MB_EX_ILLEGAL_FUNCTION;
	else
		n = run_locked(ctx, fn, pdu, len, out);
	return account_answer(u, fc, listen, n);
}

/* The unit a request addresses: the server's slot for the MBAP unit id
 * (MIG 4.4.1.2; the builder points 0 and 0xFF at the server's own unit),
 * remembered by the connection for its next request. */
static struct mb_unit *find_unit(const struct mb_ctx *ctx, struct mb_peer *peer, uint8_t unit_id)
{
	const struct mb_model *m = ctx->model;
	uint32_t i = m->servers[m->units[peer->unit].server].unit_index[unit_id];

	if (i == MB_UNIT_NONE)
		return NULL;
	peer->unit = i & ((1u << 22) - 1);
	peer->unit_id = unit_id;
	return &m->units[i];
}

/* modbus.h's declaration keeps this an external definition for its other
 * callers. */
__attribute__((always_inline)) inline uint32_t
mb_handle_pdu(struct mb_ctx *ctx, struct mb_peer *peer, uint8_t unit_id, const uint8_t *pdu,
	      uint32_t len, uint8_t *room)
{
	int n;

	ctx->ctr.fc_requests[pdu[0]]++;
	if (peer->no_server) {
		ctx->ctr.mb_drop_no_server++;
		return 0;
	}
	if (peer->unit_id == unit_id)
		ctx->unit = &ctx->model->units[peer->unit]; /* the unit of its last request */
	else
		ctx->unit = find_unit(ctx, peer, unit_id);
	if (ctx->unit) {
		ctx->tables = &ctx->unit->tables;
		ctx->seq = &ctx->model->records[peer->unit].seq;
		n = execute(ctx, peer, pdu, len, room);
	} else if (ctx->model->servers[ctx->model->units[peer->unit].server].unknown_unit_silent) {
		ctx->ctr.mb_drop_unknown_unit++;
		return 0;
	} else {
		/* MAP 7: a gateway answers 0B for a target device that does not
		 * respond; a unit id nobody serves is exactly that. */
		n = -MB_EX_GATEWAY_TARGET_FAILED;
	}
	if (n == 0) {
		ctx->ctr.mb_no_response++;
		return 0;
	}
	if (n < 0) {
		/* MAP 7: function code with its top bit set, then the code. */
		room[0] = (uint8_t)(pdu[0] | 0x80);
		room[1] = (uint8_t)-n;
		n = 2;
		count_exception(&ctx->ctr, room[1]);
	}
	ctx->ctr.mb_responses++;
	return (uint32_t)n;
}

uint32_t mb_handle_adu(struct mb_ctx *ctx, struct mb_peer *peer, const uint8_t *req,
		       uint32_t req_len, uint8_t *resp)
{
	uint32_t n;

	ctx->ctr.mb_requests++;
	/* MIG 4.4.1.1: a protocol id other than 0 (Modbus) is not ours. */
	if (req[2] | req[3]) {
		ctx->ctr.mb_drop_protocol_id++;
		return 0;
	}
	n = mb_handle_pdu(ctx, peer, req[6], req + MBAP_HDR_LEN, req_len - MBAP_HDR_LEN,
			  resp + MBAP_HDR_LEN);
	if (n == 0)
		return 0;
	/* MIG 3.1.3: transaction id, protocol id and unit id are echoed; the
	 * length counts the unit id and the PDU. */
	memcpy(resp, req, 4);
	put16(resp + 4, 1 + n);
	resp[6] = req[6];
	return MBAP_HDR_LEN + n;
}
