#include "stats.h"

#include <inttypes.h>

void stats_print(FILE *out, const struct stack *s, const struct mbx_port_counters *pc,
		 const struct mbx_xdp_counters *xc)
{
#define X(name) fprintf(out, #name " %" PRIu64 "\n", pc->name);
	MBX_PORT_COUNTERS(X)
#undef X
	if (xc) {
#define X(name) fprintf(out, #name " %" PRIu64 "\n", xc->name);
		MBX_XDP_COUNTERS(X)
#undef X
	}
#define X(name) fprintf(out, #name " %" PRIu64 "\n", s->ctr.name);
	STACK_COUNTERS(X)
#undef X
#define X(name) fprintf(out, #name " %" PRIu64 "\n", s->mb.ctr.name);
	MB_COUNTERS(X)
#undef X
	for (unsigned fc = 0; fc < 256; fc++)
		if (s->mb.ctr.fc_requests[fc])
			fprintf(out, "fc_requests_%02x %" PRIu64 "\n", fc, s->mb.ctr.fc_requests[fc]);
	fprintf(out, "open_connections %u\n", stack_open_connections(s));
}
