/* The cookie's layout follows the one Linux uses (net/ipv4/syncookies.c):
 *
 *   cookie = H(tuple) + ISN_peer + (count << 24) + ((H(tuple, count) + (mss_index << 22)) mod 2^24)
 *
 * count is the clock in periods (its low 8 bits survive in the top byte); the
 * low 24 bits carry the second hash, which a forger would have to guess, and
 * the MSS index in their top two bits. Unlike Linux (mss_index in the low
 * bits), the index sits high: a check only sees ACK - SEQ, and a segment of a
 * closed connection, in which the two sides sent a few bytes more or fewer,
 * would otherwise pass for a cookie with a neighbouring MSS. Here it must be
 * off by a multiple of 2^22. H is SipHash-2-4 (libsodium's crypto_shorthash)
 * keyed with the run's secret. */
#include "tcp_cookie.h"

#include <string.h>

#include <sodium.h>

/* The peer MSS values a cookie can carry: the common ones, from the IPv4
 * minimum to Ethernet's 1460. A peer's MSS is rounded down to one of them. */
static const uint16_t cookie_mss[4] = { 536, 1220, 1440, 1460 };
#define MSS_INDEX_SHIFT 22 /* two bits at the top of the low 24 */

static uint32_t keyed_hash(const struct stack *s, const struct tcp_seg *seg, uint32_t count,
			   uint32_t which)
{
	uint8_t in[20], out[crypto_shorthash_siphash24_BYTES];
	uint32_t h;

	memcpy(in, &seg->saddr, 4);
	memcpy(in + 4, &seg->daddr, 4);
	memcpy(in + 8, &seg->sport, 2);
	memcpy(in + 10, &seg->dport, 2);
	memcpy(in + 12, &count, 4);
	memcpy(in + 16, &which, 4);
	crypto_shorthash_siphash24(out, in, sizeof(in), s->cookie_key);
	memcpy(&h, out, 4);
	return h;
}

uint32_t tcp_cookie_make(const struct stack *s, const struct tcp_seg *seg)
{
	uint32_t count = (uint32_t)(s->now_ns >> COOKIE_PERIOD_SHIFT);
	uint32_t peer_mss = seg->mss ? seg->mss : TCP_MSS_DEFAULT;
	uint32_t idx = 0;

	while (idx + 1 < 4 && cookie_mss[idx + 1] <= peer_mss)
		idx++;
	return keyed_hash(s, seg, 0, 0) + seg->seq + (count << 24) +
	       ((keyed_hash(s, seg, count, 1) + (idx << MSS_INDEX_SHIFT)) & 0xffffffu);
}

uint16_t tcp_cookie_check(const struct stack *s, const struct tcp_seg *seg)
{
	uint32_t now = (uint32_t)(s->now_ns >> COOKIE_PERIOD_SHIFT);
	uint32_t v = (seg->ack - 1) - keyed_hash(s, seg, 0, 0) - (seg->seq - 1);
	uint32_t age = (now - (v >> 24)) & 0xffu;
	uint32_t low;

	if (age > 1)
		return 0;
	low = (v - keyed_hash(s, seg, now - age, 1)) & 0xffffffu;
	if (low & ((1u << MSS_INDEX_SHIFT) - 1))
		return 0;
	return cookie_mss[low >> MSS_INDEX_SHIFT];
}
