/* Counters printed at exit: one `name value` per line, so a script can grep
 * or parse them. With several workers, every counter is the sum over them. */
#ifndef MBX_STATS_H
#define MBX_STATS_H

#include <stdio.h>

#include "loader.h"
#include "modbus/modbus.h"
#include "port.h"
#include "stack.h"

struct stats_totals {
	struct mbx_port_counters port;
	struct stack_counters stack;
	struct mb_counters mb;
	uint64_t open_connections;
};

/* Adds one worker's stack and port counters to t. */
void stats_add(struct stats_totals *t, const struct stack *s, const struct mbx_port_counters *pc);

void stats_print(FILE *out, const struct stats_totals *t, const struct mbx_xdp_counters *xc);

#endif
