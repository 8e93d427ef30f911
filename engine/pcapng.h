/* The three pcapng blocks mbxdp's --capture needs (draft-ietf-opsawg-pcapng:
 * Section Header 4.1, Interface Description 4.2, Enhanced Packet 4.3), in
 * the host's byte order as the format allows.
 *
 * Why not a library: libpcap writes only classic pcap (pcap_dump), which has
 * no per-packet direction; the one pcapng writer Debian packages, DPDK's
 * librte-pcapng, takes DPDK mbufs from a mempool and needs the EAL running,
 * which the AF_XDP engine does not start. These blocks are small and fixed;
 * the tests read the files back with libpcap and tshark. */
#ifndef MBX_PCAPNG_H
#define MBX_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

/* Section header and one Ethernet interface with nanosecond timestamps.
 * 0, or -1 on a write error. */
int pcapng_write_header(FILE *f, const char *ifname, uint32_t snaplen);

/* One frame of interface 0; dir is 1 inbound, 2 outbound (epb_flags). */
int pcapng_write_packet(FILE *f, uint64_t ts_ns, const uint8_t *data, uint32_t len, uint32_t dir);

#endif
