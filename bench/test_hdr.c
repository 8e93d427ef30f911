/* HdrHistogram's forms of the load generator's histogram: the layout is
 * HdrHistogram's (indices from its own formula), the V2 encoding of known
 * histograms byte for byte, the compressed base64 form decoded back to the
 * same counts, and the percentile spectrum's rows and footer. Java's
 * HdrHistogram reading a real run's log is tests/integration/test_hdr_log.sh. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <zlib.h>

#include "hdr_encode.h"
#include "histogram.h"
#include "spectrum.h"

static struct histogram hist, back;
static unsigned char raw[HDR_ENCODED_MAX], packed[HDR_PACKED_MAX], unpacked[HDR_ENCODED_MAX];
static char text[HDR_B64_MAX];

/* HdrHistogram's counts index for lowest discernible value 1 and 256
 * sub-buckets (2 significant digits), written from its definition: bucket
 * = how many doublings above the sub-bucket range, sub-bucket = the value
 * shifted down by the bucket, the first bucket whole and every further one
 * its upper half. */
static uint32_t hdr_index(uint64_t v)
{
	uint32_t bucket = 0;
	while ((v >> bucket) >= 256)
		bucket++;
	return ((bucket + 1) << 7) + (uint32_t)(v >> bucket) - 128;
}

static void layout_is_hdrhistogram(void **state)
{
	(void)state;
	for (uint64_t v = 0; v <= HIST_HIGHEST_TRACKABLE; v = v < 4096 ? v + 1 : v * 9 / 8 + 7) {
		hist_init(&hist);
		hist_record(&hist, v);
		uint32_t i = hdr_index(v);
		assert_int_equal(hist.buckets[i], 1);
		assert_true(hist_bucket_lowest(i) <= v && v <= hist_bucket_highest(i));
	}
	/* The last value trackable is the last index: the array lengths agree
	 * (HdrHistogram: 29 buckets, (29 + 1) * 128 counts). */
	assert_int_equal(hdr_index(HIST_HIGHEST_TRACKABLE), HIST_BUCKETS - 1);
	assert_int_equal(HIST_BUCKETS, 30 * 128);
	assert_int_equal(hist_bucket_highest(HIST_BUCKETS - 1), HIST_HIGHEST_TRACKABLE);
}

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* Value 1 three times and 300 once: counts 0, 3, 276 zeros, then 1 at
 * index 278 (300 in [256, 512), 2 wide: sub-bucket 150). */
static void encode_known(void **state)
{
	(void)state;
	hist_init(&hist);
	hist_record_n(&hist, 1, 3);
	hist_record(&hist, 300);
	size_t len = hdr_encode(&hist, raw);
	static const unsigned char header[HDR_HEADER_LEN] = {
		0x1c, 0x84, 0x93, 0x13, /* V2, 1-byte words */
		0, 0, 0, 5, /* payload length */
		0, 0, 0, 0, /* normalizing index offset */
		0, 0, 0, 2, /* significant digits */
		0, 0, 0, 0, 0, 0, 0, 1, /* lowest discernible value */
		0, 0, 0, 0x0f, 0xff, 0xff, 0xff, 0xff, /* highest trackable: 2^36 - 1 */
		0x3f, 0xf0, 0, 0, 0, 0, 0, 0, /* 1.0 */
	};
	/* 0 -> 0; 3 -> 6; -276 -> 551 = 0x27 | 0x80, 0x04; 1 -> 2. */
	static const unsigned char payload[] = { 0x00, 0x06, 0xa7, 0x04, 0x02 };
	assert_int_equal(len, sizeof(header) + sizeof(payload));
	assert_memory_equal(raw, header, sizeof(header));
	assert_memory_equal(raw + HDR_HEADER_LEN, payload, sizeof(payload));

	/* Empty: one zero count, as HdrHistogram writes it. */
	hist_init(&hist);
	assert_int_equal(hdr_encode(&hist, raw), HDR_HEADER_LEN + 1);
	assert_int_equal(be(raw + 4, 4), 1);
	assert_int_equal(raw[HDR_HEADER_LEN], 0);

	/* A count of 2^62 (ZigZag 2^63): 8 bytes of 7 bits, then a ninth of 8. */
	hist_record_n(&hist, 0, 1ull << 62);
	assert_int_equal(hdr_encode(&hist, raw), HDR_HEADER_LEN + 9);
	for (int i = 0; i < 9; i++)
		assert_int_equal(raw[HDR_HEADER_LEN + i], 0x80);
}

/* Reads the payload back: HdrHistogram's decoder, written from its rules. */
static void decode_counts(const unsigned char *p, size_t len, struct histogram *out)
{
	uint32_t i = 0;
	hist_init(out);
	for (const unsigned char *end = p + len; p < end;) {
		uint64_t z = 0;
		int shift = 0;
		for (;;) {
			unsigned char b = *p++;
			if (shift == 56) {
				z |= (uint64_t)b << 56;
				break;
			}
			z |= (uint64_t)(b & 0x7f) << shift;
			shift += 7;
			if (!(b & 0x80))
				break;
		}
		int64_t v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
		if (v < 0)
			i += (uint32_t)-v;
		else
			out->buckets[i++] = (uint64_t)v;
		assert_true(i <= HIST_BUCKETS);
	}
}

/* A spread of values over the whole range, the clamped ones included: the
 * base64 text decodes, inflates and reads back to the very counts. */
static void compressed_round_trip(void **state)
{
	(void)state;
	hist_init(&hist);
	for (uint64_t v = 1; v < 2000000; v = v * 21 / 20 + 1)
		hist_record_n(&hist, v, v % 7 + 1);
	hist_record(&hist, HIST_HIGHEST_TRACKABLE + 12345);
	size_t n = hdr_encode_b64(&hist, text);
	assert_int_equal(n, strlen(text));
	assert_memory_equal(text, "HISTFAAA", 8); /* the cookie 0x1c849314, in base64 */

	size_t bin_len;
	assert_int_equal(sodium_base642bin(packed, sizeof(packed), text, n, NULL, &bin_len, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_int_equal(be(packed, 4), HDR_V2_COMPRESSED_COOKIE);
	assert_int_equal(be(packed + 4, 4), bin_len - 8);
	uLongf raw_len = sizeof(unpacked);
	assert_int_equal(uncompress(unpacked, &raw_len, packed + 8, bin_len - 8), Z_OK);
	assert_int_equal(raw_len, hdr_encode(&hist, raw));
	assert_memory_equal(unpacked, raw, raw_len);
	assert_int_equal(be(unpacked + 4, 4), raw_len - HDR_HEADER_LEN);

	decode_counts(unpacked + HDR_HEADER_LEN, raw_len - HDR_HEADER_LEN, &back);
	assert_memory_equal(back.buckets, hist.buckets, sizeof(hist.buckets));
}

/* 1..100 once each: exact values, so every row is known. */
static void spectrum_rows(void **state)
{
	(void)state;
	char *out;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	hist_init(&hist);
	for (uint64_t v = 1; v <= 100; v++)
		hist_record(&hist, v);
	spectrum_print(f, &hist, 1);
	fclose(f);
	assert_non_null(strstr(out, "       Value   Percentile   TotalCount 1/(1-Percentile)\n\n"
				    "        1.00     0.000000            1         1.00\n"
				    "       10.00     0.100000           10         1.11\n"));
	/* 50 % then 5 % steps: 55 values at 55 %. */
	assert_non_null(strstr(out, "       50.00     0.500000           50         2.00\n"
				    "       55.00     0.550000           55         2.22\n"));
	/* The last value reports once at its level, then at 100 %. */
	assert_non_null(strstr(out, "      100.00     0.990625          100       106.67\n"
				    "      100.00     1.000000          100          inf\n"));
	/* Population standard deviation of 1..100: sqrt((100^2 - 1) / 12). */
	assert_non_null(strstr(out, "#[Mean    =        50.50, StdDeviation   =        28.87]\n"
				    "#[Max     =       100.00, Total count    =          100]\n"
				    "#[Buckets =           29, SubBuckets     =          256]\n"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_is_hdrhistogram),
		cmocka_unit_test(encode_known),
		cmocka_unit_test(compressed_round_trip),
		cmocka_unit_test(spectrum_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
