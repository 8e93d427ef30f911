/* One TCP connection and the table that holds them all.
 *
 * The table is allocated once at start-up for a configured number of
 * connections; opening and closing a connection only moves an index between
 * a free list and the hash slots, so the data path never allocates. All
 * state is owned by one worker (one per queue), so nothing here is locked.
 *
 * The hash is open addressing with linear probing over 32-bit slots, at
 * least two per connection (a load of at most 1/2). A slot holds the
 * connection's index + 1 in its low bits and a tag (more bits of the
 * tuple's hash) in the rest, 0 when free. The tag's top bit is the
 * family (CONN_TAG_V6), so a lookup only ever opens connections of its
 * own family. A lookup reads the slots from the
 * tuple's home slot to the first free one, nearly always within the home
 * slot's cache line (16 slots), and opens a connection's line only where
 * the tag matches: about two lines a lookup, however large the table,
 * where a chain of indexes cost a third one lookup in four. Removal shifts
 * the entries after it back (Knuth's algorithm R), so no tombstones pile
 * up. */
#ifndef MBX_TCP_CONN_H
#define MBX_TCP_CONN_H

#include <stdint.h>
#include <string.h>

#include "addr6.h"

#define CONN_NONE UINT32_MAX

/* The states a server keeps (RFC 9293 3.3.2). LISTEN is implicit: a port in
 * the served set is always listening. SYN-RECEIVED lives only in the SYN
 * cookie (tcp_cookie.h), never in the table; SYN-SENT only in a client
 * stack. CLOSE-WAIT is never entered:
 * our FIN goes out with the ACK of the peer's FIN. FIN-WAIT-1 and the states
 * after it follow our own close on an idle timeout (tcp_close.c). */
enum tcp_state {
	TCP_ESTABLISHED = 1,
	TCP_LAST_ACK,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSING,
	TCP_TIME_WAIT,
	/* A client stack's connection whose SYN is out (stack/tcp/
	 * tcp_connect.c): SND.UNA is the ISS, SND.NXT ISS + 1; last_req is the
	 * tick the SYN last went and ka_probes how often it went again (no
	 * send queue, so a million connections opening hold no block). */
	TCP_SYN_SENT,
};

/* c->flags */
#define TCP_CF_RTT 0x01 /* srtt8 and rttvar4 hold a measurement (RFC 6298 2.2) */
#define TCP_CF_FIN 0x02 /* our FIN is queued after the send queue's bytes */
#define TCP_CF_WAITING 0x04 /* queued bytes or our FIN wait to be sent */
/* The peer's window is closed and we hold send blocks: since the head
 * block's rtt_at; closed after the close timeout (tcp.c). */
#define TCP_CF_ZW 0x08
/* The high nibble: the largest window the peer offered so far, as the
 * position of its highest set bit (RFC 9293 3.8.6.2.1's Max(SND.WND),
 * rounded down to a power of two: tcp_peer_window()). */
#define TCP_CF_MAX_WND_SHIFT 4

#define TCP_HELD_OOO 0x8000 /* c->rx_held: out-of-order text, not the application's */

#define CONN_PRIORITY 0x01 /* c->cm_flags: from a priority source, never evicted */
/* CONN_V6 (addr6.h): an IPv6 connection, whose raddr and laddr are keys */

struct tcp_conn {
	/* The 4-tuple, as on the wire (network byte order); an IPv6
	 * connection's addresses are keys of them (addr6.h). */
	uint32_t raddr;
	uint32_t laddr;
	uint16_t rport;
	uint16_t lport;
	/* Send and receive sequence variables (RFC 9293 3.3.1), host order.
	 * SND.NXT is the highest sequence number sent: a retransmission goes
	 * out from SND.UNA without moving it back. */
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t rcv_nxt;
	uint16_t peer_mss; /* from the SYN's MSS option, 536 without one */
	uint16_t peer_wnd; /* last window the peer advertised (we do not scale) */
	uint8_t state;
	uint8_t flags; /* TCP_CF_* */
	/* The connection's one receive buffer (tcp/tcp.h): bytes of the
	 * application's incomplete message held in rx_buf (RFC 9293 lets a
	 * request be cut anywhere; the tail waits here for the next segment),
	 * or TCP_HELD_OOO: rx_buf holds text beyond RCV.NXT (tcp_reorder.c). */
	uint16_t rx_held;
	uint32_t rx_buf; /* index into the receive buffer pool, CONN_NONE if none */
	/* Retransmission (tcp_sndq.c, tcp.c). The bytes sent and not yet
	 * acknowledged, and the retransmission timer's state, live in pool
	 * blocks only while there are any: an idle connection holds none. */
	uint32_t snd_buf; /* head block of the send queue, CONN_NONE if none */
	uint16_t srtt8; /* smoothed round-trip time, 1/8 ticks (RFC 6298 2) */
	uint16_t rttvar4; /* its variation, 1/4 ticks */
	/* connection management (conn_policy.h, tcp_close.c) */
	uint32_t last_rx; /* tick (low 32 bits) of the last acceptable segment */
	uint32_t last_req; /* tick of the last request, or of our close */
	uint8_t cm_flags; /* CONN_PRIORITY, CONN_V6 */
	uint8_t ka_probes; /* keepalive probes sent since last_rx */
	/* When we last answered a segment that failed a check (an unacceptable
	 * sequence number, a challenge ACK), in units of 2^TCP_OOW_SHIFT ticks
	 * (16.8 ms, 18 minutes around): such answers are rate-limited per
	 * connection (RFC 5961 7, tcp_in.c). */
	uint16_t oow_ack_at;
	/* The application's word: TCP keeps it and never reads it (the Modbus
	 * layer keeps the peer's server, unit and rights there). */
	uint32_t app;
	uint32_t next; /* free list */
} __attribute__((aligned(64))); /* one cache line: one miss per lookup */

_Static_assert(sizeof(struct tcp_conn) == 64, "a connection is one cache line");

/* The Ethernet header a connection's frame-less segments (retransmissions,
 * timer-driven FIN and RST) are sent with, kept apart from struct tcp_conn
 * because only timers read it: the peer's MAC and the 802.1Q TCI of its
 * frames. VID 4095 is reserved (IEEE 802.1Q 9.6), so 0xffff means untagged. */
struct conn_l2 {
	uint8_t mac[6];
	uint16_t tci;
};
#define CONN_L2_UNTAGGED 0xffffu

struct conn_table {
	struct tcp_conn *conns;
	struct conn_l2 *l2; /* by connection index */
	/* An IPv6 connection's peer address, by connection index (addr6.h):
	 * pages of it are touched by IPv6 connections only. */
	uint8_t (*raddr6)[16];
	uint32_t *slots; /* tag | (index + 1), 0: free */
	uint32_t slot_mask;
	uint32_t idx_mask; /* a slot's index bits; the tag is the rest */
	uint32_t tag_mask; /* the tag's hash bits: the rest but CONN_TAG_V6 */
	uint32_t capacity;
	uint32_t in_use;
	uint32_t free_head;
	/* Moves on every insert and remove: a lookup made earlier (the look-
	 * ahead of stack_input_burst) still holds while it is unchanged. */
	uint32_t gen;
	uint64_t hash_key; /* random per run, so probe runs cannot be aimed at */
};

int conn_table_init(struct conn_table *t, uint32_t capacity, uint64_t hash_key);
void conn_table_free(struct conn_table *t);

/* A tag's family bit: an IPv6 connection's (capacity is below 2^31, so
 * an index never reaches it). */
#define CONN_TAG_V6 0x80000000u

/* A tuple's place in the table: its home slot and its tag. */
struct conn_key {
	uint32_t slot;
	uint32_t tag;
};

static inline struct conn_key conn_hash(const struct conn_table *t, uint32_t raddr, uint32_t laddr,
					uint16_t rport, uint16_t lport, int v6)
{
	/* A multiply-xorshift mix of the tuple and the run's key (the finaliser
	 * of MurmurHash3): cheap, and good enough spread for the probes. The
	 * local address is multiplied in rather than XORed onto the ports:
	 * with many server addresses (a device model of 1,000 addresses), an
	 * XOR let address and port patterns cancel into long runs. The home
	 * slot comes from the low half, the tag from the high half. */
	uint64_t h = (((uint64_t)raddr << 32) | ((uint32_t)rport << 16 | lport)) ^ t->hash_key;

	h ^= (uint64_t)laddr * 0x9E3779B97F4A7C15ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (struct conn_key){ (uint32_t)h & t->slot_mask,
				  ((uint32_t)(h >> 32) & t->tag_mask) | (v6 ? CONN_TAG_V6 : 0) };
}

/* Whether c, found by a tag of the tuple's family, is the tuple's
 * connection. raddr6: an IPv6 peer's address, whose key raddr is
 * (addr6.h); NULL for IPv4, whose lookup reads nothing but c's line. */
static inline int conn_is(const struct conn_table *t, const struct tcp_conn *c, uint32_t raddr,
			  uint32_t laddr, uint16_t rport, uint16_t lport, const uint8_t *raddr6)
{
	if (c->raddr != raddr || c->rport != rport || c->lport != lport || c->laddr != laddr)
		return 0;
	return !raddr6 || addr6_equal(t->raddr6[c - t->conns], raddr6);
}

/* From slot i on, the first slot whose tag is tag; CONN_NONE when a free
 * slot ends the run first. */
static inline uint32_t conn_probe(const struct conn_table *t, uint32_t i, uint32_t tag)
{
	for (;; i = (i + 1) & t->slot_mask) {
		uint32_t v = t->slots[i];

		if (!v)
			return CONN_NONE;
		if ((v ^ tag) <= t->idx_mask) /* the tag bits equal */
			return i;
	}
}

/* The connection slot i (a tag match) points at. */
static inline struct tcp_conn *conn_at_slot(const struct conn_table *t, uint32_t i)
{
	return &t->conns[(t->slots[i] & t->idx_mask) - 1];
}

/* The connection of the tuple, probing from slot i (its home slot or a slot
 * after a mismatched tag in its run), or NULL. */
static inline struct tcp_conn *conn_find_from(const struct conn_table *t, uint32_t i,
					      uint32_t tag, uint32_t raddr, uint32_t laddr,
					      uint16_t rport, uint16_t lport, const uint8_t *raddr6)
{
	while ((i = conn_probe(t, i, tag)) != CONN_NONE) {
		struct tcp_conn *c = conn_at_slot(t, i);

		if (conn_is(t, c, raddr, laddr, rport, lport, raddr6))
			return c;
		i = (i + 1) & t->slot_mask;
	}
	return 0;
}

static inline struct tcp_conn *conn_lookup(const struct conn_table *t, uint32_t raddr,
					   uint32_t laddr, uint16_t rport, uint16_t lport,
					   const uint8_t *raddr6)
{
	struct conn_key k = conn_hash(t, raddr, laddr, rport, lport, raddr6 != 0);

	return conn_find_from(t, k.slot, k.tag, raddr, laddr, rport, lport, raddr6);
}

/* Takes a free connection and enters it under its tuple, which must not be
 * in the table; NULL when full. raddr6 as for conn_is. */
struct tcp_conn *conn_insert(struct conn_table *t, uint32_t raddr, uint32_t laddr,
			     uint16_t rport, uint16_t lport, const uint8_t *raddr6);
/* Removes c from the slots and returns it to the free list. */
void conn_remove(struct conn_table *t, struct tcp_conn *c);

#endif
