/* Stateful replay of a capture's client flows against a target: for each
 * flow a new TCP connection of our own (tcp_client.h), the captured request
 * segments sent with their captured boundaries, at their captured times
 * scaled by a speed factor or as fast as possible; each response paired
 * with its request by transaction id, and the device model saying which
 * requests are due no answer.
 *
 * Order: actions (open, each segment, close) run in capture order. A
 * segment or close that in the capture came after the response to an
 * earlier request waits for that response (or the timeout), so a request is
 * never sent before the reply the client had seen, whatever the speed. */
#ifndef MBX_REPLAY_PLAYER_H
#define MBX_REPLAY_PLAYER_H

#include <stdint.h>

#include "flows.h"
#include "target.h"

#define RP_ADU_MAX 260 /* 7-byte MBAP header and a 253-byte PDU (MAP 4.1) */
#define RP_EXTRA_MAX 32 /* unmatched responses kept per flow */

enum rp_req_state {
	RQ_UNSENT, /* never sent: its flow failed before it */
	RQ_WAITING, /* sent, no response yet */
	RQ_ANSWERED,
	RQ_EXPIRED, /* no response within the timeout */
};

struct rp_req_result {
	enum rp_req_state st;
	/* Why no response is due, per the Modbus specification as mbxdp
	 * implements it; NULL when one is. */
	const char *no_answer_reason;
	uint64_t sent_ns;
	uint16_t resp_len;
	uint8_t resp[RP_ADU_MAX];
};

struct rp_adu_copy {
	uint16_t len;
	uint8_t bytes[RP_ADU_MAX];
};

struct rp_flow_result {
	int skipped; /* not replayed (why: note) */
	const char *note; /* what went wrong with the connection, or NULL */
	uint16_t sport; /* our port for it */
	struct rp_req_result *req; /* one per captured request ADU */
	struct rp_adu_copy extra[RP_EXTRA_MAX]; /* responses that answered no request */
	uint32_t n_extra, n_extra_dropped;
	uint32_t segs_sent;
	uint32_t retransmissions; /* of ours: timeouts that sent unacknowledged segments again */
};

struct rp_options {
	double speed; /* 0: as fast as possible; otherwise capture time / speed */
	uint64_t timeout_ns; /* for a SYN-ACK, a response, the close */
	uint16_t sport_base; /* our port for flow i is sport_base + i */
	/* The target stands in for the captured device (a learned model):
	 * an answer is due exactly when the captured device gave one. */
	int twin;
};

/* Replays every client flow of cap against t; res gets one entry per flow
 * (allocated here; rp_results_free). 0, or -1 on a target I/O error. */
int rp_play(const struct rp_capture *cap, struct rp_target *t, const struct rp_options *o,
	    struct rp_flow_result **res);
void rp_results_free(const struct rp_capture *cap, struct rp_flow_result *res);

#endif
