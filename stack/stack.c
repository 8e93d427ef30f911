/* A worker's stack as a whole: its setup and teardown. Each layer keeps its
 * own part of struct stack (stack.h); this file fills them in from one
 * stack_config. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "modbus/mb_device.h"
#include "modbus/mbap_stream.h"
#include "tcp/tcp.h"

int stack_init(struct stack *s, const struct stack_config *cfg, const struct mb_model *model,
	       struct mbx_frame_source extra, struct mbx_frame_sink tx)
{
	struct conn_policy_config policy = cfg->policy;
	const struct stack_app *app = cfg->app;

	memset(s, 0, sizeof(*s));
	/* A server serves ports; a client serves none and has its callbacks. */
	if (cfg->mss < 88 || cfg->n_addrs > STACK_MAX_ADDRS || cfg->n_addrs6 > STACK_MAX_ADDRS ||
	    (app ? cfg->n_ports || !app->established || !app->received || !app->closed :
		   !cfg->n_ports)) {
		errno = EINVAL;
		return -1;
	}
	if (app) {
		/* A server's connection management: its peers come to it, and
		 * it closes idle ones and evicts for new ones. A client's
		 * application decides when its own connections end. */
		policy.max_per_source = 0;
		policy.n_priority = 0;
		policy.idle_ms = policy.priority_idle_ms = 0;
		policy.close_rst = 0;
		s->client = 1;
		s->app = *app;
		/* Its segments all leave from cfg.mac; a server learns the MAC
		 * its peers address from their frames. */
		memcpy(s->l2_self, cfg->mac, sizeof(s->l2_self));
	}
	s->mb = calloc(1, sizeof(*s->mb));
	if (!s->mb) {
		errno = ENOMEM;
		return -1;
	}
	if (tcp_init(s, cfg, &policy) < 0) {
		int e = errno;

		stack_free(s);
		errno = e;
		return -1;
	}
	if (!app)
		s->server_open = mbap_open;
	s->mb->model = model;
	s->mb->clock = &s->now_ns;
	s->extra = extra;
	s->tx = tx;
	if (cfg->n_addrs) /* addrs may be NULL then, which memcpy must not see */
		memcpy(s->addrs, cfg->addrs, cfg->n_addrs * sizeof(*cfg->addrs));
	s->n_addrs = cfg->n_addrs;
	if (cfg->n_addrs6)
		memcpy(s->addrs6, cfg->addrs6, cfg->n_addrs6 * sizeof(*cfg->addrs6));
	s->n_addrs6 = cfg->n_addrs6;
	s->owns_addrs = cfg->n_addrs || cfg->n_addrs6;
	for (uint32_t i = 0; i < cfg->n_addrs6; i++)
		local6_add(&s->local6, cfg->addrs6[i]); /* the table is empty: never full */
	s->n_local6_owned = s->local6.n;
	memcpy(s->mac, cfg->mac, sizeof(s->mac));
	return 0;
}

void stack_free(struct stack *s)
{
	tcp_free(s);
	free(s->mb);
	memset(s, 0, sizeof(*s));
}
