#include "hdr_encode.h"

#include <sodium.h>
#include <string.h>
#include <zlib.h>

static unsigned char *put_be32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		*p++ = (unsigned char)(v >> (8 * i));
	return p;
}

static unsigned char *put_be64(unsigned char *p, uint64_t v)
{
	p = put_be32(p, (uint32_t)(v >> 32));
	return put_be32(p, (uint32_t)v);
}

/* HdrHistogram's LEB128 of a ZigZag-encoded value: 7 bits a byte, the high
 * bit saying more follow, for at most 8 bytes; a ninth byte holds the last
 * 8 bits whole, so 64 bits never need a tenth. */
static unsigned char *put_zigzag(unsigned char *p, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);

	for (int i = 0; i < 8; i++) {
		if (z < 0x80) {
			*p++ = (unsigned char)z;
			return p;
		}
		*p++ = (unsigned char)(z & 0x7f) | 0x80;
		z >>= 7;
	}
	*p++ = (unsigned char)z;
	return p;
}

size_t hdr_encode(const struct histogram *h, unsigned char *out)
{
	/* Up to the highest count that is not zero, as HdrHistogram ends its
	 * counts at its maximum's; an empty histogram still has one. */
	uint32_t len = HIST_BUCKETS;
	while (len > 1 && h->buckets[len - 1] == 0)
		len--;

	unsigned char *p = out + HDR_HEADER_LEN;
	for (uint32_t i = 0; i < len;) {
		uint64_t n = h->buckets[i++];
		int64_t zeros = 0;
		if (n == 0) {
			zeros = 1;
			while (i < len && h->buckets[i] == 0) {
				zeros++;
				i++;
			}
		}
		/* HdrHistogram's counts are signed 64-bit: no run comes near 2^63. */
		p = put_zigzag(p, zeros > 1 ? -zeros : (int64_t)n);
	}
	size_t payload = (size_t)(p - out - HDR_HEADER_LEN);

	double ratio = 1.0; /* integer values: no conversion to doubles */
	uint64_t ratio_bits;
	memcpy(&ratio_bits, &ratio, sizeof(ratio_bits));
	unsigned char *q = put_be32(out, HDR_V2_COOKIE);
	q = put_be32(q, (uint32_t)payload);
	q = put_be32(q, 0); /* normalizing index offset: the counts are not shifted */
	q = put_be32(q, HDR_SIGNIFICANT_DIGITS);
	q = put_be64(q, 1); /* lowest discernible value */
	q = put_be64(q, HIST_HIGHEST_TRACKABLE);
	put_be64(q, ratio_bits);
	return HDR_HEADER_LEN + payload;
}

size_t hdr_encode_b64(const struct histogram *h, char *out)
{
	unsigned char raw[HDR_ENCODED_MAX];
	unsigned char packed[HDR_PACKED_MAX];
	size_t raw_len = hdr_encode(h, raw);
	uLongf zlen = sizeof(packed) - 8;

	if (compress2(packed + 8, &zlen, raw, raw_len, Z_DEFAULT_COMPRESSION) != Z_OK)
		return 0;
	put_be32(put_be32(packed, HDR_V2_COMPRESSED_COOKIE), (uint32_t)zlen);
	sodium_bin2base64(out, HDR_B64_MAX, packed, 8 + zlen, sodium_base64_VARIANT_ORIGINAL);
	return strlen(out);
}
