/* A histogram in HdrHistogram's V2 compressed encoding, in base64: the form
 * each line of an interval log carries (hdr_log.h), which HdrHistogram's own
 * readers decode.
 *
 * The encoding: a 40-byte header (cookie, payload length, normalizing index
 * offset, significant digits, lowest discernible and highest trackable
 * value, integer-to-double ratio; big-endian), then the counts up to the
 * highest one that is not zero as ZigZag LEB128 numbers, a run of two or
 * more zero counts written as its negated length. That whole is deflated
 * (zlib) behind an 8-byte wrapper (cookie, compressed length). The counts are
 * struct histogram's buckets as they are: its layout is HdrHistogram's
 * (histogram.h). */
#ifndef MBX_HDR_ENCODE_H
#define MBX_HDR_ENCODE_H

#include <stddef.h>

#include "histogram.h"

#define HDR_SIGNIFICANT_DIGITS 2
/* What HdrHistogram tells 1-byte-word V2 encodings by; the compressed
 * wrapper's cookie is the next one. */
#define HDR_V2_COOKIE 0x1c849313u
#define HDR_V2_COMPRESSED_COOKIE 0x1c849314u
#define HDR_HEADER_LEN 40
/* A count takes at most 9 bytes in HdrHistogram's LEB128 (its ninth byte
 * holds 8 bits). */
#define HDR_ENCODED_MAX (HDR_HEADER_LEN + 9 * HIST_BUCKETS)
/* The wrapper and the deflated encoding: zlib's compressBound() is the
 * size plus 0.03 % plus 13 bytes, bounded here generously. */
#define HDR_PACKED_MAX (8 + HDR_ENCODED_MAX + HDR_ENCODED_MAX / 1024 + 64)
/* Room for any histogram's base64 text and its NUL. */
#define HDR_B64_MAX ((HDR_PACKED_MAX + 2) / 3 * 4 + 1)

/* Writes h's counts, uncompressed, into out (at least HDR_ENCODED_MAX
 * bytes); returns the length. */
size_t hdr_encode(const struct histogram *h, unsigned char *out);
/* Writes h's compressed encoding in base64 (RFC 4648, padded), NUL-ended,
 * into out (at least HDR_B64_MAX bytes); returns its length, 0 if zlib
 * failed. */
size_t hdr_encode_b64(const struct histogram *h, char *out);

#endif
