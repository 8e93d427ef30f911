/* SYN cookies (RFC 4987 3.6). Every SYN is answered with a SYN-ACK whose
 * sequence number encodes the connection: a keyed hash of the 4-tuple, a
 * coarse clock and the peer's MSS, so a half-open connection costs no memory
 * at all and a SYN flood cannot fill the table. The connection is created
 * when a returning ACK (or the first data segment) carries a valid cookie.
 * The cookie is also the initial sequence number: a keyed hash of the tuple
 * plus a clock, as RFC 9293 3.4.1 and RFC 6528 ask of an ISN. */
#ifndef MBX_TCP_COOKIE_H
#define MBX_TCP_COOKIE_H

#include <stdint.h>

#include "priv/tcp_priv.h"

/* The clock advances every 2^36 ns (about 69 s); a cookie is accepted in
 * the period it was made and the next one, so for 69 to 137 s. */
#define COOKIE_PERIOD_SHIFT 36

/* The cookie for a SYN (seg->seq and seg->mss are the peer's). */
uint32_t tcp_cookie_make(const struct stack *s, const struct tcp_seg *seg);

/* Checks the cookie a segment acknowledges (SEG.ACK - 1, with SEG.SEQ - 1 as
 * the peer's ISN). Returns the peer's MSS it encodes, or 0 when it is not a
 * cookie of ours or is too old. */
uint16_t tcp_cookie_check(const struct stack *s, const struct tcp_seg *seg);

#endif
