/* A unit's script: what a device model says beyond its tables, for a
 * stand-in of a captured device (docs/usage.md, "rules" and "sequences").
 *
 * Rules answer a request before the function table does: an exception, a
 * fixed response, or no answer at all, for a function (and a Diagnostics
 * sub-function, an MEI type or a start address range), optionally only in
 * a window of time. Sequences are timed values of one register or bit:
 * step i writes its value into the table when its time has come.
 *
 * Time is the unit's own: nanoseconds since the first request it got, on
 * the stack's clock (mb_ctx.clock). Steps land when the unit next gets a
 * request (under its seqlock, as a master's write does), so what a master
 * reads is what the timed value is at that moment.
 *
 * Only units with a script carry MB_UNIT_SCRIPT: the others never reach
 * this code (one flag test on the unit's hot line). */
#ifndef MBX_MB_SCRIPT_H
#define MBX_MB_SCRIPT_H

#include <stdint.h>

#include "modbus.h"

struct mb_unit;

enum mb_rule_action { MB_RULE_EXCEPTION, MB_RULE_ANSWER, MB_RULE_SILENCE };

#define MB_RULE_ANY_SUB UINT32_MAX
#define MB_TIME_NEVER UINT64_MAX

struct mb_rule {
	uint8_t function;
	uint8_t action; /* enum mb_rule_action */
	uint8_t exception; /* MB_RULE_EXCEPTION: the code */
	uint8_t answer_len; /* MB_RULE_ANSWER: the PDU after the function code */
	uint32_t sub; /* 08: sub-function, 2B: MEI type; MB_RULE_ANY_SUB */
	uint16_t first, last; /* the request's start address within (data functions) */
	uint64_t from_ns, until_ns; /* in force from <= t < until */
	const uint8_t *answer;
};

struct mb_step {
	uint64_t at_ns;
	uint16_t value; /* a bit: 0 or 1 */
};

/* Tables as in mbx_regs_table_id. */
struct mb_seq {
	uint8_t table;
	uint16_t address;
	uint32_t n_steps;
	const struct mb_step *steps; /* by time */
	uint32_t next; /* steps before it have landed */
};

struct mb_script {
	const struct mb_rule *rules;
	uint32_t n_rules;
	struct mb_seq *seqs;
	uint32_t n_seqs;
	uint64_t epoch; /* clock + 1 at the unit's first request; 0: none yet */
	uint64_t next_due; /* the earliest step not landed, MB_TIME_NEVER */
};

#define MB_SCRIPT_PASS INT32_MIN /* no rule: the function table answers */

/* Called for every request to a unit with a script, before it is
 * executed (not in listen only mode): lands the steps that are due, then
 * returns what the first rule in force that matches says (a response PDU
 * length written to out, 0 for no answer, the negated exception), or
 * MB_SCRIPT_PASS. now_ns: the stack's clock. seq: the unit's seqlock. */
int mb_script_run(struct mb_unit *u, uint32_t *seq, uint64_t now_ns, const uint8_t *pdu,
		  uint32_t len, uint8_t *out);

/* Sets up the runtime state (nothing landed, no first request yet). */
void mb_script_reset(struct mb_script *s);

#endif
