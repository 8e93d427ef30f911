/* A stack with no port: frames go in by function call, replies are collected
 * in an array. Used by the TCP unit tests and the in-memory benchmark. */
#ifndef MBX_STACK_HARNESS_H
#define MBX_STACK_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "devmodel.h"
#include "stack.h"

#define HARNESS_FRAME_SIZE 2048
#define HARNESS_OUT_MAX 65536 /* replies held until harness_clear() */

struct harness {
	struct stack *stack;
	struct devmodel dm; /* the default model, or the one of harness_init_model() */
	uint8_t (*frames)[HARNESS_FRAME_SIZE];
	uint32_t *free_list;
	uint32_t n_free;
	uint32_t n_frames;
	struct mbx_frame out[HARNESS_OUT_MAX]; /* replies, in the order sent */
	uint32_t n_out;
};

/* A stack with the default device image, the given table size, MSS 1460,
 * port 502, a fixed secret, the default connection policy, and the addresses
 * 198.18.0.1 and 2001:2::1 with the MAC 02:00:00:00:00:01 as its own.
 * Returns 0 or -1. */
int harness_init(struct harness *h, uint32_t max_conns, uint32_t n_frames);
/* The same stack serving a configured model instead, owning no address (as
 * on AF_XDP): TCP to any address is taken, and the model's servers answer. */
int harness_init_model(struct harness *h, uint32_t max_conns, uint32_t n_frames,
		       const struct cfg_model *model);
/* How a harness stack may differ from harness_init's; zeroes: not at all. */
struct harness_opts {
	const struct cfg_model *model; /* as harness_init_model */
	const struct conn_policy_config *policy; /* NULL: conn_policy_defaults() */
	/* ADU and send buffer pools sized as mbxdp sizes them (the stack's
	 * defaults), not for a benchmark round of replies in flight. */
	int program_pools;
	/* A client stack for this application (stack_config.app): no port
	 * served, the same address and MAC as its own. */
	const struct stack_app *app;
	/* With a model, harness_init's addresses all the same: ARP, ICMP,
	 * ND answered for them, IP taken only to them. */
	int own_addresses;
};
int harness_init_opts(struct harness *h, uint32_t max_conns, uint32_t n_frames,
		      const struct harness_opts *o);
void harness_free(struct harness *h);

/* A free frame of HARNESS_FRAME_SIZE bytes; NULL when none is left. */
struct mbx_frame *harness_frame(struct harness *h, struct mbx_frame *f);
/* Copies len bytes into a free frame and runs the stack on it. */
enum stack_verdict harness_input(struct harness *h, const uint8_t *frame, size_t len);
/* Gives every collected reply's frame back. */
void harness_clear(struct harness *h);

#endif
