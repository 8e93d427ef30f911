#include "stack_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devmodel.h"

static int frame_get(void *arg, struct mbx_frame *out)
{
	return harness_frame(arg, out) ? 0 : -1;
}

static void frame_put(void *arg, const struct mbx_frame *f)
{
	struct harness *h = arg;

	if (h->n_out < HARNESS_OUT_MAX)
		h->out[h->n_out++] = *f;
	else
		abort(); /* a test that sends this much is broken */
}

int harness_init_opts(struct harness *h, uint32_t max_conns, uint32_t n_frames,
		      const struct harness_opts *o)
{
	static const uint16_t port = 502;
	static const uint32_t addr = 0x010012c6; /* 198.18.0.1, network order */
	static const uint8_t addr6[1][16] = { { 0x20, 0x01, 0, 2, [15] = 1 } }; /* 2001:2::1 */
	const struct cfg_model *model = o->model;
	const uint32_t owned = !model || o->own_addresses;
	struct stack_config cfg = {
		.max_conns = max_conns,
		/* Room for a whole benchmark round in flight, and a
		 * connection's share of the send blocks (an eighth, share.h)
		 * for a whole window, unless the program's sizing (0: the
		 * stack's defaults) is asked for. */
		.adu_buffers = o->program_pools ? 0 : max_conns,
		.snd_blocks = o->program_pools ? 0 : max_conns * 2 + 8 * 140,
		.mss = 1460,
		.ports = o->app ? NULL : &port,
		.n_ports = o->app ? 0 : 1,
		.secret = "fixed test secret, 24 B",
		.addrs = owned ? &addr : NULL,
		.n_addrs = owned,
		.addrs6 = owned ? addr6 : NULL,
		.n_addrs6 = owned,
		.mac = { 0x02, 0, 0, 0, 0, 0x01 },
		.app = o->app,
	};
	char err[256];

	if (o->policy)
		cfg.policy = *o->policy;
	else
		conn_policy_defaults(&cfg.policy);
	memset(h, 0, sizeof(*h));
	h->frames = calloc(n_frames, HARNESS_FRAME_SIZE);
	h->free_list = calloc(n_frames, sizeof(*h->free_list));
	h->stack = aligned_alloc(64, sizeof(*h->stack));
	if (!h->frames || !h->free_list || !h->stack)
		return -1;
	if ((model ? devmodel_build(&h->dm, model, NULL, err, sizeof(err)) :
		     devmodel_build_default(&h->dm, NULL, err, sizeof(err))) < 0) {
		fprintf(stderr, "harness: %s\n", err);
		return -1;
	}
	for (uint32_t i = 0; i < n_frames; i++)
		h->free_list[i] = i;
	h->n_free = h->n_frames = n_frames;
	return stack_init(h->stack, &cfg, &h->dm.model,
			  (struct mbx_frame_source){ .get = frame_get, .arg = h },
			  (struct mbx_frame_sink){ .put = frame_put, .arg = h });
}

int harness_init_model(struct harness *h, uint32_t max_conns, uint32_t n_frames,
		       const struct cfg_model *model)
{
	return harness_init_opts(h, max_conns, n_frames, &(struct harness_opts){ .model = model });
}

int harness_init(struct harness *h, uint32_t max_conns, uint32_t n_frames)
{
	return harness_init_opts(h, max_conns, n_frames, &(struct harness_opts){ 0 });
}

void harness_free(struct harness *h)
{
	stack_free(h->stack);
	free(h->stack);
	devmodel_free(&h->dm);
	free(h->frames);
	free(h->free_list);
}

struct mbx_frame *harness_frame(struct harness *h, struct mbx_frame *f)
{
	uint32_t i;

	if (!h->n_free)
		return 0;
	i = h->free_list[--h->n_free];
	f->data = h->frames[i];
	f->len = 0;
	f->room = HARNESS_FRAME_SIZE;
	f->handle = i;
	return f;
}

enum stack_verdict harness_input(struct harness *h, const uint8_t *frame, size_t len)
{
	struct mbx_frame f;
	enum stack_verdict v;

	if (!harness_frame(h, &f))
		abort();
	memcpy(f.data, frame, len);
	f.len = (uint32_t)len;
	v = stack_input(h->stack, &f);
	if (v == STACK_DROP)
		h->free_list[h->n_free++] = (uint32_t)f.handle;
	return v;
}

void harness_clear(struct harness *h)
{
	for (uint32_t i = 0; i < h->n_out; i++)
		h->free_list[h->n_free++] = (uint32_t)h->out[i].handle;
	h->n_out = 0;
}
