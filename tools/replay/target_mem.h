/* The in-process target: mbxdp's own worker, stack and default device image
 * on the in-memory port (pmd_glue/port_mem.h), on a virtual clock. Every
 * frame in and out is written to a classic pcap (libpcap's pcap_dump) with
 * virtual timestamps from the capture's first packet on.
 *
 * Deterministic: a fixed SYN cookie secret, the virtual clock, and nothing
 * from the host, so the same capture and options give a byte-identical
 * output file. */
#ifndef MBX_REPLAY_TARGET_MEM_H
#define MBX_REPLAY_TARGET_MEM_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "target.h"

/* out_pcap receives the conversation; epoch_ns is its first timestamp.
 * The server is 198.18.0.1 and 2001:2::1, the client 198.18.0.2 and
 * 2001:2::2: each flow is replayed in its captured family. config: a
 * device model file (NULL: the default image); its servers' addresses are
 * the in-process server's too, and each flow goes to the server on its
 * captured address (to 198.18.0.1 or 2001:2::1 when the model has none
 * there). NULL with a one-line reason in err on failure. */
struct rp_target *rp_target_mem_open(const char *out_pcap, uint16_t port, uint64_t epoch_ns,
				     const char *config, char *err, size_t errlen);

/* The in-process stack's counters, one `name value` per line, as mbxdp
 * prints them at exit. */
void rp_target_mem_print_counters(struct rp_target *t, FILE *out);

#endif
