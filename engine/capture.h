/* --capture FILE.pcapng: every frame the worker receives and sends, with
 * its time and direction, written to a pcapng file off the data path.
 *
 * Each worker only copies frames into its own bounded ring (capture_ring.h)
 * once per burst on receive and once per transmit flush; one writer thread
 * drains the rings to the file (frames of different workers may interleave
 * out of time order; each carries its own timestamp). The worker never waits for the writer: a frame that
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

struct owned_file_mode;

/* Creates path with the owner and mode `mode` gives (owned_file.h: a
 * symbolic link or another user's file there is refused), writes the
 * pcapng header and starts the writer thread,
 * with one ring per worker (n_rings) of ring_bytes each, rounded up to a
 * power of two. Timestamps are the workers' clock plus wall_offset_ns (the
 * Unix time of its 0). NULL with a one-line reason in err on failure. */
struct capture *capture_open(const char *path, const struct owned_file_mode *mode,
			     const char *ifname, uint32_t n_rings, uint32_t ring_bytes,
			     uint64_t wall_offset_ns, char *err, size_t errlen);

/* The ring worker i fills with capture_ring_put(). */
struct capture_ring *capture_ring_of(struct capture *c, uint32_t i);

/* Stops the writer after it drained the ring, closes the file and prints
 * the counters (capture_frames, capture_drops, capture_write_errors), one
 * `name value` per line. Returns 0, or -1 if a write failed. */
int capture_close(struct capture *c, FILE *counters);

#endif
