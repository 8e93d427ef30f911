/* Where a replay sends its client frames and gets the server's back: an
 * in-process mbxdp (target_mem.c) or a live server on an interface
 * (target_live.c). The player (player.h) sees only this. */
#ifndef MBX_REPLAY_TARGET_H
#define MBX_REPLAY_TARGET_H

#include <stdint.h>

#include "addr.h"

typedef void (*rp_deliver_fn)(void *arg, const uint8_t *frame, uint32_t len);

struct rp_target {
	/* One client frame (Ethernet) towards the server. 0, or -1 when it
	 * could not be sent (the reason is printed). */
	int (*send)(struct rp_target *t, const uint8_t *frame, uint32_t len);
	/* Hands every frame the server sends to deliver, until deadline_ns
	 * (of now()) at the latest; returns earlier once something came. -1 on
	 * an I/O error. */
	int (*poll)(struct rp_target *t, uint64_t deadline_ns, rp_deliver_fn deliver, void *arg);
	/* The target's clock in ns: monotonic time for a live server, a
	 * virtual clock the player's deadlines advance for the in-process one. */
	uint64_t (*now)(struct rp_target *t);
	void (*close)(struct rp_target *t);
	/* The address a flow captured to server is replayed to: NULL for
	 * server_ip of its family, every flow of a family to one server. */
	struct rp_addr (*server_for)(struct rp_target *t, const struct rp_addr *captured);
	/* Addresses the replayed connections use, by family (RP_V4, RP_V6):
	 * the in-process target has both, a live one its --target's. */
	uint8_t client_mac[6], server_mac[6];
	struct rp_addr client_ip[2], server_ip[2];
	uint16_t server_port;
	uint16_t mss; /* the MSS our IPv4 SYNs announce; IPv6 ones 20 less (RFC 8200's larger header) */
};

#endif
