/* A unit's rules and timed values (mb_script.h). Off the hot path: only
 * units that have a script come here. */
#include "mb_script.h"

#include <string.h>

#include "mb_device.h"
#include "mbx_regs.h"

void mb_script_reset(struct mb_script *s)
{
	s->epoch = 0;
	s->next_due = MB_TIME_NEVER;
	for (uint32_t i = 0; i < s->n_seqs; i++) {
		s->seqs[i].next = 0;
		if (s->seqs[i].n_steps && s->seqs[i].steps[0].at_ns < s->next_due)
			s->next_due = s->seqs[i].steps[0].at_ns;
	}
}

static void put_entry(struct mb_tables *t, const struct mb_seq *q, uint16_t v)
{
	uint32_t i;

	switch (q->table) {
	case MBX_REGS_COILS:
	case MBX_REGS_DISCRETE_INPUTS: {
		uint8_t *bits = q->table == MBX_REGS_COILS ? t->coils : t->discrete_inputs;

		i = (uint32_t)q->address - (q->table == MBX_REGS_COILS ? t->coils_start :
									  t->discrete_inputs_start);
		if (v)
			bits[i >> 3] |= (uint8_t)(1u << (i & 7));
		else
			bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
		break;
	}
	case MBX_REGS_HOLDING_REGISTERS:
		i = (uint32_t)q->address - t->holding_regs_start;
		t->holding_regs[i] = (uint16_t)(v >> 8 | v << 8);
		break;
	default:
		i = (uint32_t)q->address - t->input_regs_start;
		t->input_regs[i] = (uint16_t)(v >> 8 | v << 8);
		break;
	}
}

/* Lands every step due by t, under the unit's seqlock like a master's
 * write; a lock held past the bounded wait leaves them for the next
 * request. */
static void land_steps(struct mb_unit *u, struct mb_script *s, uint32_t *seq, uint64_t t)
{
	uint64_t next = MB_TIME_NEVER;

	if (mbx_regs_lock(seq) < 0)
		return;
	for (uint32_t i = 0; i < s->n_seqs; i++) {
		struct mb_seq *q = &s->seqs[i];

		while (q->next < q->n_steps && q->steps[q->next].at_ns <= t)
			put_entry(&u->tables, q, q->steps[q->next++].value);
		if (q->next < q->n_steps && q->steps[q->next].at_ns < next)
			next = q->steps[q->next].at_ns;
	}
	__atomic_store_n(&s->next_due, next, __ATOMIC_RELEASE);
	mbx_regs_unlock(seq);
}

static int data_function(uint8_t fc)
{
	return (fc >= 0x01 && fc <= 0x06) || fc == 0x0F || fc == 0x10 || fc == 0x16 || fc == 0x17;
}

static int matches(const struct mb_rule *r, const uint8_t *pdu, uint32_t len, uint64_t t)
{
	if (r->function != pdu[0] || t < r->from_ns || t >= r->until_ns)
		return 0;
	if (r->sub != MB_RULE_ANY_SUB) {
		if (pdu[0] == 0x08 && (len < 3 || (uint32_t)(pdu[1] << 8 | pdu[2]) != r->sub))
			return 0;
		if (pdu[0] == 0x2B && (len < 2 || pdu[1] != r->sub))
			return 0;
	}
	if (data_function(pdu[0]) && (r->first != 0 || r->last != 0xFFFF)) {
		uint32_t a;

		if (len < 3)
			return 0;
		a = (uint32_t)(pdu[1] << 8 | pdu[2]);
		if (a < r->first || a > r->last)
			return 0;
	}
	return 1;
}

int mb_script_run(struct mb_unit *u, uint32_t *seq, uint64_t now_ns, const uint8_t *pdu,
		  uint32_t len, uint8_t *out)
{
	struct mb_script *s = u->script;
	uint64_t epoch = __atomic_load_n(&s->epoch, __ATOMIC_ACQUIRE), t;

	if (!epoch) {
		/* Workers may race for the first request: one epoch wins. */
		uint64_t mine = now_ns + 1;

		if (!__atomic_compare_exchange_n(&s->epoch, &epoch, mine, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			mine = epoch;
		epoch = mine;
	}
	t = now_ns + 1 >= epoch ? now_ns + 1 - epoch : 0; /* another worker's clock may lag */
	if (__atomic_load_n(&s->next_due, __ATOMIC_ACQUIRE) <= t)
		land_steps(u, s, seq, t);
	for (uint32_t i = 0; i < s->n_rules; i++) {
		const struct mb_rule *r = &s->rules[i];

		if (!matches(r, pdu, len, t))
			continue;
		switch (r->action) {
		case MB_RULE_EXCEPTION:
			return -(int)r->exception;
		case MB_RULE_SILENCE:
			return 0;
		default:
			out[0] = pdu[0];
			memcpy(out + 1, r->answer, r->answer_len);
			return 1 + r->answer_len;
		}
	}
	return MB_SCRIPT_PASS;
}
