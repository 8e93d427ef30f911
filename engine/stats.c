#include "stats.h"

#include <inttypes.h>

void stats_add(struct stats_totals *t, const struct stack *s, const struct mbx_port_counters *pc)
{
#define X(name, help) t->port.name += pc->name;
	MBX_PORT_COUNTERS(X)
#undef X
#define X(name, help) t->stack.name += s->ctr.name;
	STACK_COUNTERS(X)
#undef X
#define X(name, help) t->mb.name += s->mb->ctr.name;
	MB_COUNTERS(X)
#undef X
	for (unsigned fc = 0; fc < 256; fc++)
		t->mb.fc_requests[fc] += s->mb->ctr.fc_requests[fc];
	t->open_connections += stack_open_connections(s);
}

void stats_print(FILE *out, const struct stats_totals *t, const struct mbx_xdp_counters *xc)
{
#define X(name, help) fprintf(out, #name " %" PRIu64 "\n", t->port.name);
	MBX_PORT_COUNTERS(X)
#undef X
	if (xc) {
#define X(slot, name, meaning) fprintf(out, #name " %" PRIu64 "\n", xc->name);
		MBXDP_STATS(X)
#undef X
	}
#define X(name, help) fprintf(out, #name " %" PRIu64 "\n", t->stack.name);
	STACK_COUNTERS(X)
#undef X
#define X(name, help) fprintf(out, #name " %" PRIu64 "\n", t->mb.name);
	MB_COUNTERS(X)
#undef X
	for (unsigned fc = 0; fc < 256; fc++)
		if (t->mb.fc_requests[fc])
			fprintf(out, "fc_requests_%02x %" PRIu64 "\n", fc, t->mb.fc_requests[fc]);
	fprintf(out, "open_connections %" PRIu64 "\n", t->open_connections);
}
