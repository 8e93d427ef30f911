/* The protocol stack of one worker: Ethernet, IPv4 and TCP input, the
 * connection table, and the Modbus application on top. No I/O: frames come
 * in through stack_input(), replies leave through the sink the engine gave.
 *
 * A reply is written into the frame that carried the request. When one
 * request segment asks for more response bytes than fit in one segment, the
 * stack takes extra frames from the frame source. */
#ifndef MBX_STACK_H
#define MBX_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "buf_pool.h"
#include "frame.h"
#include "tcp/conn_policy.h"
#include "tcp/share.h"
#include "tcp/tcp_conn.h"
#include "tcp/timer_wheel.h"

/* Every frame the stack does not answer normally is counted under a named
 * reason, so a lab engineer can tell a bad checksum from a full table. */
#define STACK_COUNTERS(X) \
	X(rx_frames, "frames the stack received") \
	X(drop_short_frame, "frames shorter than their Ethernet/IP/TCP headers (RFC 791 3.1, RFC 9293 3.1): dropped") \
	X(drop_not_ipv4, "frames whose ethertype is neither IPv4, IPv6 nor ARP, after one 802.1Q tag (RFC 894, RFC 2464): dropped") \
	X(drop_arp_not_request, "ARP other than an Ethernet/IPv4 request: dropped (RFC 826)") \
	X(drop_arp_not_ours, "ARP requests for an address the stack does not own: dropped (RFC 826)") \
	X(drop_not_our_address, "IPv4 and IPv6 packets to an address the stack does not own: dropped (RFC 1122 3.2.1.3, RFC 4291 2.7)") \
	X(drop_icmp_bad, "ICMP shorter than 8 bytes or with a bad checksum: dropped (RFC 792)") \
	X(drop_icmp_not_echo, "ICMP other than an echo request: dropped (RFC 1122 3.2.2)") \
	X(drop_ip_bad_header, "IPv4 version, IHL or total length wrong (RFC 791 3.1): dropped") \
	X(drop_ip_bad_csum, "IPv4 header checksum wrong (RFC 1122 3.2.1.2): dropped") \
	X(drop_ip_fragment, "IPv4 fragments, which are not reassembled, unlike what hosts are asked to do (RFC 1122 3.3.2): dropped; a Modbus ADU fits one segment") \
	X(drop_ip_bad_source, "broadcast or multicast IPv4 source (RFC 1122 3.2.1.3): dropped") \
	X(drop_not_tcp, "IPv4 neither TCP nor ICMP: dropped") \
	X(drop_ip6_bad_header, "IPv6 version or payload length wrong (RFC 8200 3): dropped") \
	X(drop_ip6_bad_source, "multicast or unspecified IPv6 source of a TCP or echo packet (RFC 4291 2.5.2, 2.7): dropped") \
	/* The same extension headers the XDP program walks: hop-by-hop (first \
	 * only), routing with no segments left, destination options. */ \
	X(drop_ip6_ext_header, "IPv6 packets with a fragment header, a routing header with segments left, more than 4 extension headers or one past the packet (RFC 8200 4): dropped") \
	X(drop_ip6_not_tcp, "IPv6 neither TCP nor ICMPv6, after its extension headers: dropped") \
	X(drop_ip6_local_table_full, "IPv6 connections refused: their local address found no place in the worker's table of local IPv6 addresses") \
	X(drop_icmp6_bad, "ICMPv6 shorter than its message or with a bad checksum (RFC 4443 2.3): dropped") \
	X(drop_icmp6_not_handled, "ICMPv6 other than an echo request or a Neighbor Solicitation: dropped (RFC 4443 4)") \
	X(drop_nd_bad, "Neighbor Solicitations with a hop limit other than 255, a bad length or option, or for an address the stack does not own: dropped (RFC 4861 7.1.1)") \
	X(drop_tcp_bad_header, "TCP data offset below 5 or past the segment (RFC 9293 3.1): dropped") \
	X(drop_tcp_bad_csum, "TCP checksum wrong (RFC 9293 3.1): dropped") \
	X(rst_port_not_served, "segments for no connection to a port not served (on a client stack, any port): answered with RST (RFC 9293 3.10.7.1)") \
	X(drop_rst_no_conn, "RST for no connection: dropped (RFC 9293 3.10.7.1)") \
	X(drop_syn_with_data, "SYN payloads ignored, not acknowledged, as a SYN cookie keeps no data (RFC 4987 3.6)") \
	X(drop_no_ack_flag, "segments without the ACK flag (RFC 9293 3.10.7.4 fifth check): dropped") \
	X(drop_seq_unacceptable, "segments outside the receive window: answered with an ACK, rate-limited (RFC 9293 3.10.7.4 first check)") \
	X(drop_ack_beyond_snd_nxt, "segments acknowledging data not yet sent: answered with an ACK (RFC 9293 3.10.7.4)") \
	X(drop_bad_cookie, "ACKs of no connection that carry none of our SYN cookies: RST (RFC 9293 3.10.7.2)") \
	X(rx_out_of_order_kept, "segments beyond RCV.NXT kept until the hole before them fills, with a duplicate ACK (RFC 9293 3.10.7.4)") \
	X(rx_out_of_order_delivered, "kept out-of-order text read when its hole filled (RFC 9293 3.10.7.4)") \
	X(drop_out_of_order, "segments beyond RCV.NXT not kept (no text, beyond the connection's one run of 252 bytes, a split ADU waiting, or no buffer in its share): dropped with a duplicate ACK (RFC 9293 3.10.7.4)") \
	X(drop_out_of_order_given_up, "kept out-of-order text given up: the segment that filled part of its hole ended in a split ADU, which needed the buffer (RFC 9293 3.10.7.4)") \
	X(drop_segment_too_long, "segments whose payload is larger than the stack's scratch buffer: dropped") \
	X(drop_no_tx_frame, "replies that needed an extra frame when none was free: dropped") \
	X(drop_no_adu_buffer, "split ADUs that had nowhere to wait: connection reset") \
	X(drop_no_snd_buf, "responses with no send buffer block: request left unacknowledged") \
	X(snd_window_full, "responses that waited in the send queue for the peer's window (RFC 9293 3.8.6)") \
	X(snd_sws_deferred, "sends held back: the usable window was too small to use (RFC 9293 3.8.6.2.1, sender silly window avoidance)") \
	X(drop_snd_queue_full, "requests left unacknowledged because the peer does not read its answers") \
	/* RFC 9293 3.8.6: what waits for the peer's window is ours to hold, so a \
	 * peer not reading must not make us compute and queue more. */ \
	X(drop_window_backlog, "requests left unacknowledged while the answers not yet sent exceed the peer's window (RFC 9293 3.8.6)") \
	/* Fair shares of the pools (share.h). A refused send block leaves the \
	 * request unacknowledged (the peer sends it again); a refused ADU \
	 * buffer resets the connection, as an empty pool does. */ \
	X(drop_conn_share, "buffers refused to a connection holding its share of a pool (an eighth)") \
	X(drop_source_share, "buffers refused to a source holding as many of a pool as are still free") \
	X(share_source_table_full, "buffers taken by a source with no slot in the share table, counted with the others that found none") \
	X(tx_arp_reply, "ARP replies sent (RFC 826)") \
	X(tx_icmp_echo_reply, "ICMP echo replies sent (RFC 1122 3.2.2.6)") \
	X(tx_icmp6_echo_reply, "ICMPv6 echo replies sent (RFC 4443 4.2)") \
	X(tx_nd_advert, "Neighbor Advertisements sent in answer to a Solicitation (RFC 4861 7.2.4)") \
	X(tx_syn_ack, "SYN-ACKs sent, each carrying a SYN cookie (RFC 4987 3.6)") \
	X(tx_rst, "RSTs sent (RFC 9293 3.5.2)") \
	X(tx_challenge_ack, "challenge ACKs sent (RFC 5961 3.2, 4.2 and 5.2)") \
	X(drop_challenge_ack_conn_limited, "challenge ACKs not sent: their connection sent one within 500 ms (RFC 5961 7)") \
	X(drop_challenge_ack_limited, "challenge ACKs not sent: over this second's randomized budget for all connections (RFC 5961 7)") \
	X(drop_oow_ack_limited, "ACKs not sent to unacceptable segments without text or FIN, or to ACKs beyond SND.NXT: their connection sent one within 500 ms (RFC 5961 7)") \
	X(drop_ack_too_old, "segments whose SEG.ACK is before SND.UNA - MAX.SND.WND (RFC 5961 5.2): dropped") \
	X(tx_ack, "pure ACKs sent") \
	X(tx_data_segments, "segments sent carrying response data") \
	X(tx_fin, "FINs sent (RFC 9293 3.6)") \
	X(tx_retransmit_timeout, "retransmissions of the oldest unacknowledged segment on timeout (RFC 6298 5.4)") \
	X(tx_retransmit_dup_request, "answers resent because their request came again while unacknowledged") \
	X(tx_window_probe, "zero window probes and silly window override sends, nothing in flight (RFC 9293 3.8.6.1, 3.8.6.2.1)") \
	X(rtt_samples, "round trips measured (RFC 6298 3, Karn's rule)") \
	X(conn_opened, "connections opened: a valid SYN cookie came back (RFC 4987 3.6)") \
	/* Refusals count segments: each segment of a refused handshake that \
	 * carries a valid cookie (the ACK, the first request) is refused again. */ \
	X(conn_refused_table_full, "handshake segments refused with RST: table full, nothing evictable, all priority (MIG 4.2.1)") \
	X(conn_refused_per_source, "handshake segments refused with RST: the source holds --max-conns-per-source (MIG 4.2.1)") \
	X(conn_evicted, "oldest idle non-priority connections closed for a new one (MIG 4.2.1)") \
	X(conn_time_wait_reclaimed, "TIME-WAIT slots given to a new connection") \
	X(conn_idle_timeout, "connections closed after their pool's idle timeout without a request (MIG 4.2.1)") \
	X(conn_keepalive_timeout, "connections reset because keepalive probes went unanswered (RFC 1122 4.2.3.6)") \
	X(tx_keepalive_probe, "keepalive probes <SEQ=SND.NXT-1><CTL=ACK> sent (RFC 1122 4.2.3.6)") \
	X(conn_close_timeout, "connections reset because the peer did not finish our close in time") \
	X(conn_last_ack_timeout, "connections reset because the peer did not acknowledge our FIN after its own (LAST-ACK) in time") \
	/* RFC 9293 3.8.6.1 (MUST-38) keeps a zero-window peer's connection open \
	 * while it answers probes, subject to resource management (RFC 6429): \
	 * a server short of buffers may close it. */ \
	X(conn_reset_zero_window, "connections reset because the peer kept its window closed on our answers for the close timeout") \
	X(conn_reset_data_after_close, "connections reset for data after our close (RFC 1122 4.2.2.13)") \
	X(conn_time_wait_reopened, "new connections from a SYN beyond RCV.NXT in TIME-WAIT (RFC 1122 4.2.2.13)") \
	X(conn_closed, "passive closes completed (RFC 9293 3.6)") \
	X(conn_closed_active, "our closes completed: TIME-WAIT ended (RFC 9293 3.6)") \
	X(conn_reset_by_peer, "connections the peer reset (RFC 9293 3.10.7.4)") \
	X(drop_rst_time_wait, "RSTs in TIME-WAIT ignored: TIME-WAIT runs its course (RFC 1337 3, TIME-WAIT assassination)") \
	X(conn_reset_retransmit_limit, "connections reset after the most retransmissions of one segment without an ACK (RFC 1122 4.2.3.5)") \
	X(conn_reset_bad_mbap, "connections reset because an MBAP length out of range left the stream unframeable (MIG 3.1.3)") \
	X(adu_split_reassembled, "ADUs that arrived split over segments and were put together") \
	/* A client stack's own opens (stack/tcp/tcp_connect.c). */ \
	X(tx_syn, "SYNs sent to open a connection, with our MSS (RFC 9293 3.5)") \
	X(tx_syn_retransmit, "SYNs sent again on timeout, backed off (RFC 6298 5.5, RFC 9293 3.8.1)") \
	X(conn_connected, "connections we opened: their SYN-ACK came (RFC 9293 3.10.7.3)") \
	X(conn_refused_by_peer, "our SYNs answered with an acceptable RST: connection refused (RFC 9293 3.10.7.3)") \
	X(conn_syn_timeout, "connections given up after the most SYN retransmissions without an answer (RFC 1122 4.2.3.5)") \
	X(drop_syn_sent_bad_ack, "segments in SYN-SENT acknowledging other than our SYN: answered with RST unless a RST (RFC 9293 3.10.7.3)") \
	X(drop_syn_sent_rst_no_ack, "RSTs in SYN-SENT without an ACK: dropped (RFC 9293 3.10.7.3, RFC 5961 3.2)") \
	X(drop_syn_sent_no_syn, "segments in SYN-SENT with neither SYN nor RST (nor an ACK of anything but our SYN): dropped (RFC 9293 3.10.7.3)") \
	X(drop_simultaneous_open, "SYNs without ACK in SYN-SENT, a simultaneous open, not supported: dropped, our SYN goes again (RFC 9293 3.10.7.3)") \
	X(drop_syn_ack_data, "SYN-ACK payloads ignored, not acknowledged: the peer sends them again (RFC 9293 3.10.7.3)")

struct stack_counters {
#define X(name, help) uint64_t name;
	STACK_COUNTERS(X)
#undef X
};

#define STACK_MAX_ADDRS 64

/* The tick of the connection timers: 2^20 ns (about 1.05 ms), so that a
 * time in ticks is a shift of a time in ns. */
#define STACK_TICK_SHIFT 20

#define STACK_SECRET_LEN 24

/* Why a client stack's connection ended (stack_app.closed). */
enum stack_close_why {
	STACK_CLOSED, /* both FINs done: TIME-WAIT ended, or our FIN acknowledged after theirs */
	STACK_RESET, /* a RST from the peer */
	STACK_REFUSED, /* a RST to our SYN */
	STACK_TIMED_OUT, /* retransmissions of the SYN or of data exhausted, or a close not finished in time */
	STACK_ABORTED, /* stack_abort, or our RST (data after our close, no buffer for our FIN) */
};

/* The application of a client stack. Callbacks run inside stack_input,
 * stack_timers and the calls below; they may call stack_send, stack_close,
 * stack_abort and stack_connect. conn is the connection's index, below
 * max_conns: the application keeps its own per-connection data in arrays
 * indexed by it. */
struct stack_app {
	/* Our SYN's SYN-ACK was accepted: ESTABLISHED. A stack_send from here
	 * carries the handshake's ACK. */
	void (*established)(void *arg, uint32_t conn);
	/* n in-order bytes, acknowledged once this returns (with whatever
	 * this sent). p is valid only during the call. */
	void (*received)(void *arg, uint32_t conn, const uint8_t *p, uint32_t n);
	/* The connection is gone; its index may be handed out again once
	 * this returns. Called for every connection stack_connect opened. */
	void (*closed)(void *arg, uint32_t conn, enum stack_close_why why);
	void *arg;
};

struct mb_ctx;
struct mb_model;
struct stack;
struct tcp_conn;
struct tcp_seg;

/* The keys of stack_config.secret from a replay's fixed secret, so that a
 * run repeats another's SYN cookies: a BLAKE2b hash (libsodium) of it, so
 * every key byte depends on every byte of the text and none is left zero
 * however short it is. */
void stack_secret_derive(const void *text, size_t len, uint8_t secret[STACK_SECRET_LEN]);

struct stack_config {
	uint32_t max_conns; /* connection table capacity */
	uint32_t adu_buffers; /* split ADUs that may wait at once; 0: max_conns / 4 + 64 */
	uint16_t mss; /* our MSS: the interface MTU less 40 */
	const uint16_t *ports; /* served TCP ports, host order */
	uint32_t n_ports;
	uint8_t secret[STACK_SECRET_LEN]; /* random per run: SYN cookie key (16), connection hash key (8) */
	/* Challenge ACKs a second, on average; 0: the default, 1000. Each
	 * second's budget is random in [limit / 2, limit * 3 / 2) (RFC 5961 7
	 * and Linux since CVE-2016-5696: a fixed budget, shared by all
	 * connections, lets an off-path attacker count the challenge ACKs one
	 * connection took and so find its sequence numbers). */
	uint32_t challenge_ack_limit;
	uint32_t snd_blocks; /* send buffer blocks (512 B); 0: max_conns / 2 + 64 */
	uint32_t rto_min_ms; /* RFC 6298 2.4 lower bound; 0: the default, 200 (as Linux) */
	uint32_t max_retries; /* retransmissions of one segment before a reset; 0: 8 */
	/* IPv4 addresses the stack itself owns (network order) and its MAC: it
	 * then answers ARP and ICMP echo for them and takes TCP only to them.
	 * None on AF_XDP, where the kernel owns the address; TCP to any
	 * address the XDP program steers is then served. */
	const uint32_t *addrs;
	uint32_t n_addrs;
	/* The same for IPv6 (network order): Neighbor Solicitations and echo
	 * answered for them. With addresses of either family, packets of
	 * both are taken only to an address the stack owns. */
	const uint8_t (*addrs6)[16];
	uint32_t n_addrs6;
	uint8_t mac[6];
	/* Limits and timeouts (conn_policy_defaults). A client stack keeps
	 * time_wait_ms and the keepalive settings only: idle timeouts, the
	 * per-source limit, priority sources and eviction are a server's. */
	struct conn_policy_config policy;
	/* NULL: a server (ports served, SYN cookies). Otherwise a client stack
	 * for this application: no ports (n_ports 0), connections opened by
	 * stack_connect only, segments for no connection answered with RST. */
	const struct stack_app *app;
};

/* Where replies go. The engine batches them into tx bursts. */
struct mbx_frame_sink {
	void (*put)(void *arg, const struct mbx_frame *f);
	void *arg;
};

struct stack {
	struct conn_table conns;
	struct local6_table local6; /* our IPv6 addresses' indexes (tcp/addr6.h) */
	struct conn_policy policy;
	/* TCP_BUF_SIZE bytes each: a connection's receive buffer, for the
	 * application's split message or text beyond RCV.NXT (tcp/tcp.h) */
	struct buf_pool rx_bufs;
	struct buf_pool snd; /* struct sndq_block each: send queues (tcp_sndq.c) */
	struct share_table share; /* what each source holds of rx_bufs and snd (share.h) */
	struct timer_wheel timers; /* entry i: connection i (tcp/priv/tcp_priv.h) */
	uint32_t rto_min; /* ticks */
	uint32_t rto_initial; /* ticks: RFC 6298 2.1, 1 s, or rto_min if larger */
	uint32_t rto_max; /* ticks: RFC 6298 2.5, 60 s */
	uint32_t max_retries;
	/* The Modbus layer's context (modbus/modbus.h), which the layers below
	 * do not see: allocated by stack_init. */
	struct mb_ctx *mb;
	struct stack_counters ctr;
	struct mbx_frame_source extra; /* frames for replies longer than one segment */
	struct mbx_frame_sink tx;
	uint64_t now_ns; /* set by the engine once per burst */
	/* RFC 5961 7: the challenge ACKs all connections may still send in
	 * the current second (now_ns / 10^9), a random number around the
	 * limit, drawn anew each second. */
	uint64_t challenge_second;
	uint32_t challenge_left;
	uint32_t challenge_ack_limit;
	uint8_t cookie_key[16];
	uint16_t mss;
	uint8_t port_served[65536 / 8]; /* bitmap, host-order port */
	uint32_t addrs[STACK_MAX_ADDRS]; /* owned addresses, network order */
	uint32_t n_addrs;
	uint8_t addrs6[STACK_MAX_ADDRS][16]; /* owned IPv6 addresses */
	uint32_t n_addrs6;
	uint8_t owns_addrs; /* n_addrs or n_addrs6: packets only to those */
	/* The owned IPv6 addresses are the local table's indexes below this
	 * (tcp/addr6.h), so one lookup finds and checks a destination. */
	uint32_t n_local6_owned;
	uint8_t mac[6];
	/* Our MAC as the peers address it, for frame-less segments: learnt
	 * when a connection opens (one interface per stack). */
	uint8_t l2_self[6];
	uint8_t client; /* a client stack: app is its application */
	struct stack_app app;
	/* A server's application (the MBAP stream): a connection opened by
	 * seg (its addresses say what it serves); the application
	 * keeps what it needs in c->app. The only call TCP makes to it: the
	 * text TCP accepts goes back to frame input, which hands it over
	 * (tcp_input, struct tcp_text). */
	void (*server_open)(struct stack *s, struct tcp_conn *c, const struct tcp_seg *seg);
	/* A request payload is copied here before replies overwrite its frame. */
	uint8_t scratch[9216] __attribute__((aligned(64)));
};

enum stack_verdict {
	STACK_SENT, /* the frame now holds a reply and went to the sink */
	STACK_DROP, /* the caller gives the frame back to its port */
	/* From tcp_input to frame input only: text for the application
	 * (struct tcp_text), whose answer TCP then sends. */
	STACK_TEXT,
};

/* model: the devices the Modbus layer answers as (mb_device.h); NULL for
 * a client stack, which answers as none. */
int stack_init(struct stack *s, const struct stack_config *cfg, const struct mb_model *model,
	       struct mbx_frame_source extra, struct mbx_frame_sink tx);
void stack_free(struct stack *s);

/* Moves the stack's clock to now_ns and runs the connection timers that
 * are due (retransmissions, probes, connection management), which may send
 * frames taken from the frame source. The engine calls it at least once a
 * tick (2^STACK_TICK_SHIFT ns), frames or not; returns how many timers fired. */
uint32_t stack_timers(struct stack *s, uint64_t now_ns);

/* Processes one received frame. */
enum stack_verdict stack_input(struct stack *s, struct mbx_frame *f);

/* Processes a burst: checks all its frames and prefetches what their
 * answers will touch (connections, devices, registers) before answering
 * them in order (net/frame_in.c). Frames the stack did not answer are copied to
 * drop[] (the caller gives them back to the port); returns how many. */
uint32_t stack_input_burst(struct stack *s, struct mbx_frame *f, uint32_t n,
			   struct mbx_frame *drop);

/* A client stack's side (stack/tcp/tcp_connect.c). Each returns 0 or a
 * negative errno; -EINVAL on a server stack.
 *
 * stack_connect: takes a connection for the tuple and sends our SYN with
 * our MSS, retransmitted with backoff (RFC 6298 5.5) until its SYN-ACK
 * comes or max_retries are spent (closed: STACK_TIMED_OUT). laddr and
 * raddr network order, ports host order; dst_mac and tci (CONN_L2_UNTAGGED
 * or an 802.1Q TCI) address the peer's frames; our MAC is cfg.mac. Sets
 * *conn. -ENOSPC table full, -EADDRINUSE the tuple is in use (TIME-WAIT
 * included), -ENOBUFS no frame.
 *
 * stack_send: n bytes (1 .. the smaller MSS) as one segment now, kept in
 * the send queue until acknowledged and retransmitted (RFC 6298).
 * -EAGAIN: the peer's window, the connection's send-queue share or a frame
 * is missing (nothing was queued: try later); -EMSGSIZE n is 0 or above
 * the MSS; -ENOTCONN not ESTABLISHED (connecting, or closing).
 *
 * stack_close: our FIN after what is queued (FIN-WAIT-1, FIN-WAIT-2,
 * TIME-WAIT for cfg.policy.time_wait_ms; closed: STACK_CLOSED); text that
 * comes after it is answered with RST (RFC 1122 4.2.2.13). In SYN-SENT the
 * connection is forgotten at once (STACK_ABORTED). 0 when already closing.
 *
 * stack_abort: a RST (none in SYN-SENT), and the connection is freed at
 * once (closed: STACK_ABORTED, before this returns). */
int stack_connect(struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
		  const uint8_t dst_mac[6], uint16_t tci, uint32_t *conn);
/* The same over IPv6 (addresses as on the wire); -EADDRNOTAVAIL when laddr
 * is one local address more than the stack can name (LOCAL6_MAX). */
int stack_connect6(struct stack *s, const uint8_t laddr[16], uint16_t lport,
		   const uint8_t raddr[16], uint16_t rport, const uint8_t dst_mac[6], uint16_t tci,
		   uint32_t *conn);
int stack_send(struct stack *s, uint32_t conn, const void *p, uint32_t n);
int stack_close(struct stack *s, uint32_t conn);
void stack_abort(struct stack *s, uint32_t conn);

/* Whether addr (network order) is one of the stack's own addresses. */
int stack_owns(const struct stack *s, uint32_t addr);
/* The same for an IPv6 address. */
int stack_owns6(const struct stack *s, const uint8_t addr[16]);

/* Writes a gratuitous ARP (an RFC 5227 2.3 announcement) for the stack's
 * i-th address into buf; returns its length, or 0 if there is no such
 * address or room. The engine sends one per address at start. */
uint32_t stack_arp_announce(const struct stack *s, uint32_t i, uint8_t *buf, uint32_t room);

static inline uint32_t stack_open_connections(const struct stack *s)
{
	return s->conns.in_use;
}

/* What one idle connection costs, in bytes: its table entry, its frame-less
 * Ethernet header, its share of the hash slots and its timer wheel entry.
 * Buffers (ADU, send queue) are held only while data waits, and an idle
 * connection has none. The requirement: at most 128 bytes, so a million
 * idle connections fit in 128 MB. An IPv6 connection adds its peer's
 * address, 16 bytes (conn_table.raddr6, tcp/addr6.h). */
static inline double stack_idle_conn_bytes(const struct stack *s)
{
	return (double)(sizeof(struct tcp_conn) + sizeof(struct conn_l2) + sizeof(struct timer_entry)) +
	       (double)(s->conns.slot_mask + 1) * sizeof(uint32_t) / s->conns.capacity;
}

#endif
