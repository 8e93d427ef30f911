/* Counters printed at exit: one `name value` per line, so a script can grep
 * or parse them. */
#ifndef MBX_STATS_H
#define MBX_STATS_H

#include <stdio.h>

#include "loader.h"
#include "port.h"
#include "stack.h"

void stats_print(FILE *out, const struct stack *s, const struct mbx_port_counters *pc,
		 const struct mbx_xdp_counters *xc);

#endif
