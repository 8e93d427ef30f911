/* The comparison of replayed responses with captured ones, printed as a
 * table and written as JSON.
 *
 * Each captured request gets one status:
 *   matched     answered, and the response equals the captured one
 *   differs     answered, both have a response, and these fields differ:
 *               transaction_id, protocol_id, unit, function, exception,
 *               byte_count, data
 *   extra       answered, but the capture has no response to it
 *   missing     not answered, but the capture has a response
 *   unanswered  answered in neither
 *   unsent      never sent: its connection failed first
 * A response that answers no request is an unsolicited response.
 *
 * Pass: every request that is due an answer (player.h's device model says
 * which are not: 08/04, listen only mode, protocol id not 0) was answered by
 * a response that echoes its transaction id, protocol id and unit and
 * carries its function code (or the code with the exception bit, MAP 7),
 * and nothing unsolicited came. Differing data is no failure: the replayed
 * device's registers are not the captured device's. */
#ifndef MBX_REPLAY_REPORT_H
#define MBX_REPLAY_REPORT_H

#include <stdio.h>

#include "flows.h"
#include "player.h"

struct rp_summary {
	uint32_t requests, matched, differs, extra, missing, unanswered, unsent;
	uint32_t not_due; /* requests no answer was due to */
	uint32_t matched_due; /* requests due an answer, and matched */
	uint32_t failed; /* requests that broke the pass rule */
	uint32_t unsolicited;
	uint32_t flows, flows_skipped;
};

void rp_summarize(const struct rp_capture *cap, const struct rp_flow_result *res,
		  struct rp_summary *sum);
void rp_print_table(FILE *out, const char *capture, const char *target,
		    const struct rp_capture *cap, const struct rp_flow_result *res,
		    const struct rp_summary *sum);
/* 0, or -1 when writing failed. */
int rp_write_json(FILE *out, const char *capture, const char *target,
		   const struct rp_capture *cap, const struct rp_flow_result *res,
		   const struct rp_summary *sum);

#endif
