/* Reads a capture (pcap or pcapng, through libpcap; Ethernet, Linux cooked
 * SLL or SLL2, or raw IP; IPv4 and IPv6, the latter's extension headers
 * walked to TCP) and cuts it into the TCP client flows to one Modbus port: for each flow, the client's byte stream with the captured
 * segment boundaries, the server's byte stream, the request and response
 * ADUs found in them (MBAP framing, MIG 3.1.3), and which captured response
 * answered which request.
 *
 * Streams are rebuilt by sequence number: retransmitted bytes are kept once
 * (the first copy's boundaries win), a hole in the capture ends the stream
 * there (what follows it cannot be replayed faithfully) and is noted. */
#ifndef MBX_REPLAY_FLOWS_H
#define MBX_REPLAY_FLOWS_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* A captured client segment with payload, after de-duplication. */
struct rp_segment {
	uint64_t t_ns; /* since the capture's first packet */
	uint32_t pkt; /* packet number in the capture, from 1 */
	uint32_t off, len; /* stream offset (0: first byte after the SYN) and length */
};

/* An ADU in a stream. */
struct rp_adu {
	uint32_t off, len;
	uint32_t pkt; /* the packet that completed it */
	uint64_t t_ns;
	int32_t peer; /* request: index of its captured response; response: of its request; -1 */
};

struct rp_stream {
	uint8_t *bytes;
	uint32_t len;
	struct rp_segment *segs;
	uint32_t n_segs;
	struct rp_adu *adus;
	uint32_t n_adus;
	uint32_t unframed_at; /* offset of an MBAP length outside 2..254, or UINT32_MAX */
	uint32_t hole_at; /* offset of the first byte missing from the capture, or UINT32_MAX */
	uint32_t retransmitted; /* captured segments whose bytes were already in the stream */
};

struct rp_flow {
	struct rp_addr client_ip, server_ip;
	uint16_t client_port, server_port;
	int have_syn; /* the client's SYN is in the capture */
	int opened_by_server; /* the port's side sent the SYN: not a client flow */
	/* The packet of its first fragment, 0 if none: fragments are not
	 * reassembled, so the flow cannot be replayed as captured. */
	uint32_t fragment_pkt;
	int client_fin, client_rst; /* how the client ended it, if captured */
	uint32_t pkt_first, pkt_close; /* pkt_close: the client's FIN or RST, or its last packet */
	uint64_t t_first_ns, t_close_ns;
	struct rp_stream c, s; /* client to server, server to client */
};

struct rp_capture {
	struct rp_flow *flows; /* in the order of their first packet */
	uint32_t n_flows;
	uint64_t t0_ns; /* time of the first packet, ns since the epoch */
	uint32_t packets;
	uint32_t skipped_link; /* not IP (ARP, ...) */
	uint32_t skipped_other; /* IP but not TCP to or from the port */
	uint32_t fragments, fragment_pkt; /* fragments of IP packets, the first one's packet */
	/* IP packets that cannot be read (a header cut short, an extension
	 * header past the packet's end, ...): how many, the first one and why. */
	uint32_t malformed, malformed_pkt;
	const char *malformed_why;
};

/* A flow that cannot be replayed as captured: why, or NULL. */
const char *rp_flow_unreplayable(const struct rp_flow *f);

/* 0, or -1 with a one-line reason in err. */
int rp_capture_load(const char *path, uint16_t port, struct rp_capture *cap, char *err,
		    size_t errlen);
void rp_capture_free(struct rp_capture *cap);

/* The MBAP fields of an ADU at p (MIG 3.1.3). */
static inline uint16_t rp_tid(const uint8_t *adu)
{
	return (uint16_t)(adu[0] << 8 | adu[1]);
}

static inline uint16_t rp_proto(const uint8_t *adu)
{
	return (uint16_t)(adu[2] << 8 | adu[3]);
}

#endif
