/* The cookie's layout follows the one Linux uses (net/ipv4/syncookies.c),
 * with one keyed hash where Linux takes two:
 *
 *   H = SipHash-2-4(secret; tuple, count)          (libsodium's crypto_shorthash)
 *   cookie = low32(H) + ISN_peer + (count << 24) + ((high32(H) + (mss_index << 22)) mod 2^24)
 *
 * count is the clock in periods. The first term makes the whole ISN
 * unpredictable (RFC 6528); the low 24 bits carry the rest of the hash, which
 * a forger would have to guess, and the MSS index in their top two bits. A
 * check tries the current period and the one before: for each, the hash
 * gives back what must be left, and the top byte must be that count. Unlike
 * Linux (index in the lowest bits), the index sits high: a check only sees
 * ACK - SEQ, and a segment of a closed connection, in which the two sides
 * sent a few bytes more or fewer, would otherwise pass for a cookie with a
 * neighbouring MSS. Here it must be off by a multiple of 2^22. */
#include "tcp_cookie.h"

#include <string.h>

#include <sodium.h>

/* The peer MSS values a cookie can carry: the common ones, from the IPv4
 * minimum to Ethernet's 1460. A peer's MSS is rounded down to one of them. */
static const uint16_t cookie_mss[4] = { 536, 1220, 1440, 1460 };
#define MSS_INDEX_SHIFT 22 /* two bits at the top of the low 24 */

/* The tuple as on the wire: an IPv6 segment's whole addresses, not TCP's
 * keys of them (a peer whose address folded like another's must not be
 * able to complete a handshake in that one's name). */
static uint64_t keyed_hash(const struct stack *s, const struct tcp_seg *seg, uint32_t count)
{
	uint8_t in[40];
	uint32_t n = 0;
	uint64_t h;

	if (seg->v6) {
		memcpy(in, seg->addr6, 32);
		n = 32;
	} else {
		memcpy(in, &seg->saddr, 4);
		memcpy(in + 4, &seg->daddr, 4);
		n = 8;
	}
	memcpy(in + n, &seg->sport, 2);
	memcpy(in + n + 2, &seg->dport, 2);
	memcpy(in + n + 4, &count, 4);
	crypto_shorthash_siphash24((uint8_t *)&h, in, n + 8, s->cookie_key);
	return h;
}

uint32_t tcp_cookie_make(const struct stack *s, const struct tcp_seg *seg)
{
	uint32_t count = (uint32_t)(s->now_ns >> COOKIE_PERIOD_SHIFT);
	uint32_t peer_mss = seg->mss ? seg->mss : seg->v6 ? TCP_MSS_DEFAULT6 : TCP_MSS_DEFAULT;
	uint64_t h = keyed_hash(s, seg, count);
	uint32_t idx = 0;

	while (idx + 1 < 4 && cookie_mss[idx + 1] <= peer_mss)
		idx++;
	return (uint32_t)h + seg->seq + (count << 24) +
	       (((uint32_t)(h >> 32) + (idx << MSS_INDEX_SHIFT)) & 0xffffffu);
}

uint16_t tcp_cookie_check(const struct stack *s, const struct tcp_seg *seg)
{
	uint32_t now = (uint32_t)(s->now_ns >> COOKIE_PERIOD_SHIFT);

	for (uint32_t count = now; count + 2 != now; count--) {
		uint64_t h = keyed_hash(s, seg, count);
		uint32_t v = (seg->ack - 1) - (uint32_t)h - (seg->seq - 1);
		uint32_t low = (v - (uint32_t)(h >> 32)) & 0xffffffu;

		if ((v >> 24) == (count & 0xffu) && !(low & ((1u << MSS_INDEX_SHIFT) - 1)))
			return cookie_mss[low >> MSS_INDEX_SHIFT];
	}
	return 0;
}

void stack_secret_derive(const void *text, size_t len, uint8_t secret[STACK_SECRET_LEN])
{
	static const char context[] = "mbxdp stack keys: SYN cookie, connection hash";
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, STACK_SECRET_LEN);
	crypto_generichash_update(&st, (const uint8_t *)context, sizeof(context));
	crypto_generichash_update(&st, text, len);
	crypto_generichash_final(&st, secret, STACK_SECRET_LEN);
}
