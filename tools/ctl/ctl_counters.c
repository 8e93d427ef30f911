/* The reading's counters as one list of names, help texts and values, made
 * from the counter tables (telemetry.h). The table and JSON of `stats`
 * (ctl_stats.c) and the Prometheus format (ctl_metrics.c) all print this
 * list, so it sits below both of them. */
#include "ctl.h"

size_t ctl_counters(const struct mbx_stats_worker *s, const struct mbx_stats_xdp *x,
		    struct ctl_counter *out)
{
	size_t n = 0;

#define X(name, help) out[n++] = (struct ctl_counter){ #name, help, s->port.name };
	MBX_PORT_COUNTERS(X)
#undef X
#define X(name, help) out[n++] = (struct ctl_counter){ #name, help, s->stack.name };
	STACK_COUNTERS(X)
#undef X
#define X(name, help) out[n++] = (struct ctl_counter){ #name, help, s->mb.name };
	MB_COUNTERS(X)
#undef X
#define X(name, help) out[n++] = (struct ctl_counter){ #name, help, s->idle.name };
	IDLE_COUNTERS(X)
#undef X
	if (x && x->present) {
#define X(slot, name, help) out[n++] = (struct ctl_counter){ #name, help, x->ctr.name };
		MBXDP_STATS(X)
#undef X
	}
	return n;
}
