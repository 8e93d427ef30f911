/* Fault injection: a struct mbx_port that wraps another one and drops,
 * duplicates, reorders and corrupts frames at given rates, on rx (between
 * the wire and the stack) and on tx (between the stack and the wire). For
 * proving that the stack holds under a bad network without needing one.
 *
 * Per frame, in this order, each with its own rate:
 *   loss     the frame is given back to the inner port (rx: never handed up;
 *            tx: never sent);
 *   corrupt  one random bit of one random byte is flipped (the stack must
 *            drop it on a checksum, unless the bit is in the Ethernet
 *            header or padding, which no checksum covers);
 *   dup      a copy (a frame from the inner port's alloc) follows it;
 *   reorder  the frame is held back and leaves right after the next frame
 *            that passes, so two neighbours swap. One frame per direction
 *            is held at a time (a reorder due while one is held is skipped),
 *            and never for long: a held frame that two rx polls did not
 *            release leaves, in order, at the next. rx polls are the clock of both
 *            directions, since the worker polls rx all the time and calls tx
 *            only when it has something to send.
 *
 * Outcomes come from a xorshift64* generator per direction, seeded from the
 * configured seed by splitmix64, and a rate of 0 draws nothing: the same
 * seed and the same frames give the same outcomes, and rates of 0 pass every
 * frame through untouched. Everything is allocated at open; the data path
 * allocates nothing and adds no system call. The counters are the
 * impair_* entries of MBX_PORT_COUNTERS (port.h); the port_* ones are the
 * inner port's, brought in by sync_counters. */
#ifndef MBX_PORT_IMPAIR_H
#define MBX_PORT_IMPAIR_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

struct mbx_impair_rates {
	double loss, dup, reorder, corrupt; /* probabilities per frame, 0 to 1 */
};

struct mbx_impair_config {
	struct mbx_impair_rates rx, tx;
	uint64_t seed;
};

/* Parses "key=value,key=value...". Keys: loss, dup, reorder, corrupt (both
 * directions), rx_loss, tx_loss, rx_dup, ... (one direction), seed (an
 * unsigned integer, decimal or 0x hex; default 1). Rates are numbers from 0
 * to 1; later keys override earlier ones. Unnamed rates are 0. Returns 0, or
 * -1 with a one-line reason naming the key in err. */
int mbx_impair_parse(const char *spec, struct mbx_impair_config *out, char *err, size_t errlen);

/* Wraps inner; the returned port owns it from now on (closing the wrapper
 * gives back the frames it holds, then closes inner). NULL with a one-line
 * reason in err on failure; inner is then still the caller's. */
struct mbx_port *mbx_impair_open(struct mbx_port *inner, const struct mbx_impair_config *cfg,
				 char *err, size_t errlen);

#endif
