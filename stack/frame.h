/* A frame as the stack sees it: bytes in memory owned by a port.
 *
 * Every port backend (AF_XDP umem, in-memory, later DPDK mbufs) hands the
 * stack frames in this form. The stack writes its reply into the same bytes
 * and changes len; `handle` is the backend's own reference (a umem address,
 * an mbuf pointer) and is never touched by the stack. `room` is how many bytes
 * may be written from data onwards, so a reply may be longer than the request.
 */
#ifndef MBX_FRAME_H
#define MBX_FRAME_H

#include <stdint.h>
#include <string.h>

struct mbx_frame {
	uint8_t *data;
	uint32_t len;
	uint32_t room;
	uint64_t handle;
};

/* Up to this many frames move through one call of the worker loop. Matches
 * DPDK's examples (MAX_PKT_BURST 32) doubled: AF_XDP rings amortise the kick
 * over more frames. */
#define MBX_BURST 64

/* A burst's worth of frames. Replies may need extra frames (one request
 * segment can ask for more response bytes than fit in its frame), so the
 * output vector holds more than a burst. */
#define MBX_FRAME_VEC_MAX (MBX_BURST * 4)

struct mbx_frame_vec {
	uint32_t n;
	struct mbx_frame f[MBX_FRAME_VEC_MAX];
};

/* Where the stack takes an empty frame when one reply segment is not enough.
 * Returns 0 on success, -1 when the port has none free (counted by caller). */
struct mbx_frame_source {
	int (*get)(void *arg, struct mbx_frame *out);
	void *arg;
};

/* The fixed header lengths the stack reads and writes: Ethernet without a
 * tag, IPv4 without options and IPv6 without extension headers (the
 * stack's replies carry none). */
#define ETH_HLEN 14
#define IP_HDR_LEN 20
#define IP6_HDR_LEN 40

/* A reply leaves the way its request came: the Ethernet addresses turned
 * around, an 802.1Q tag kept. */
static inline void frame_swap_l2(uint8_t *eth)
{
	uint8_t mac[6];

	memcpy(mac, eth, 6);
	memcpy(eth, eth + 6, 6);
	memcpy(eth + 6, mac, 6);
}

#endif
