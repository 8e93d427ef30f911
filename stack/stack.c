/* A worker's stack as a whole: its setup and teardown. Each layer keeps its
 * own part of struct stack (stack.h); this file fills them in from one
 * stack_config. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "modbus/mb_device.h"
#include "tcp/priv/tcp_priv.h"
#include "tcp/tcp_timer.h"

int stack_init(struct stack *s, const struct stack_config *cfg, const struct mb_model *model,
	       struct mbx_frame_source extra, struct mbx_frame_sink tx)
{
	struct conn_policy_config policy = cfg->policy;
	const struct stack_app *app = cfg->app;
	uint64_t hash_key;

	memset(s, 0, sizeof(*s));
	/* A server serves ports; a client serves none and has its callbacks. */
	if (cfg->mss < 88 || cfg->n_addrs > STACK_MAX_ADDRS ||
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
	memcpy(&hash_key, cfg->secret + sizeof(s->cookie_key), sizeof(hash_key));
	if (conn_table_init(&s->conns, cfg->max_conns, hash_key) < 0)
		return -1;
	/* 4096 slots of a tick: the usual retransmission timeouts fit one
	 * revolution (timer_wheel.h). */
	if (conn_policy_init(&s->policy, &policy, cfg->max_conns, hash_key) < 0 ||
	    buf_pool_init(&s->adu, cfg->adu_buffers ? cfg->adu_buffers : cfg->max_conns / 4 + 64,
			  MB_ADU_MAX) < 0 ||
	    buf_pool_init(&s->snd, cfg->snd_blocks ? cfg->snd_blocks : cfg->max_conns / 2 + 64,
			  sizeof(struct sndq_block)) < 0 ||
	    share_init(&s->share, &s->snd, &s->adu, cfg->max_conns, hash_key) < 0 ||
	    timer_wheel_init(&s->timers, cfg->max_conns, 1u << STACK_TICK_SHIFT, 4096) < 0) {
		stack_free(s);
		errno = ENOMEM;
		return -1;
	}
	s->rto_min = tcp_ticks_from_ms(cfg->rto_min_ms ? cfg->rto_min_ms : 200);
	s->rto_initial = tcp_ticks_from_ms(TCP_RTO_INITIAL_MS);
	s->rto_max = tcp_ticks_from_ms(TCP_RTO_MAX_MS);
	if (s->rto_initial < s->rto_min)
		s->rto_initial = s->rto_min;
	if (s->rto_max < s->rto_min)
		s->rto_max = s->rto_min;
	s->max_retries = cfg->max_retries ? cfg->max_retries : 8;
	for (uint32_t i = 0; i < cfg->n_ports; i++)
		s->port_served[cfg->ports[i] >> 3] |= (uint8_t)(1u << (cfg->ports[i] & 7));
	s->mb.model = model;
	s->mb.clock = &s->now_ns;
	s->extra = extra;
	s->tx = tx;
	memcpy(s->cookie_key, cfg->secret, sizeof(s->cookie_key));
	s->mss = cfg->mss;
	if (cfg->n_addrs) /* addrs may be NULL then, which memcpy must not see */
		memcpy(s->addrs, cfg->addrs, cfg->n_addrs * sizeof(*cfg->addrs));
	s->n_addrs = cfg->n_addrs;
	memcpy(s->mac, cfg->mac, sizeof(s->mac));
	s->challenge_ack_limit = cfg->challenge_ack_limit ? cfg->challenge_ack_limit : 1000;
	s->challenge_second = UINT64_MAX; /* no budget drawn yet */
	return 0;
}

void stack_free(struct stack *s)
{
	timer_wheel_free(&s->timers);
	share_free(&s->share);
	buf_pool_free(&s->snd);
	buf_pool_free(&s->adu);
	conn_policy_free(&s->policy);
	conn_table_free(&s->conns);
	memset(s, 0, sizeof(*s));
}
