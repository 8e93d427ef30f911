/* --capture FILE.pcapng: every frame the worker receives and sends, with
 * its time and direction, written to a pcapng file off the data path.
 *
 * The worker only copies frames into a bounded ring (capture_ring.h) once
 * per burst on receive and once per transmit flush; a writer thread drains
 * the ring to the file. The worker never waits for the writer: a frame that
 * does not fit is counted in capture_drops. Received frames are copied
 * before the stack writes its reply over them. */
#ifndef MBX_CAPTURE_H
#define MBX_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture_ring.h"

#define CAPTURE_RING_DEFAULT (8u << 20) /* bytes: ~100k small frames */

struct capture;

/* Creates path, writes the pcapng header and starts the writer thread.
 * ring_bytes is rounded up to a power of two. Timestamps are the worker's
 * clock plus wall_offset_ns (the Unix time of its 0). NULL with a one-line
 * reason in err on failure. */
struct capture *capture_open(const char *path, const char *ifname, uint32_t ring_bytes,
			     uint64_t wall_offset_ns, char *err, size_t errlen);

/* The ring the worker fills with capture_ring_put(). */
struct capture_ring *capture_ring_of(struct capture *c);

/* Stops the writer after it drained the ring, closes the file and prints
 * the counters (capture_frames, capture_drops, capture_write_errors), one
 * `name value` per line. Returns 0, or -1 if a write failed. */
int capture_close(struct capture *c, FILE *counters);

#endif
