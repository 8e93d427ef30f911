/* The --capture path: the worker-to-writer ring (full ring counts drops,
 * records survive the wrap in order) and the pcapng file, read back with
 * libpcap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "capture.h"

static uint8_t bytes[64][300];

static struct mbx_frame frame_of(uint32_t i, uint32_t len)
{
	for (uint32_t k = 0; k < len; k++)
		bytes[i % 64][k] = (uint8_t)(i * 7 + k);
	return (struct mbx_frame){ .data = bytes[i % 64], .len = len, .room = 300 };
}

static void check_rec(const struct capture_rec *h, uint32_t i, uint32_t len, uint32_t dir)
{
	const uint8_t *d = (const uint8_t *)h + CAPTURE_REC_HDR;

	assert_non_null(h);
	assert_int_equal(h->len, len);
	assert_int_equal(h->flags, dir);
	assert_int_equal(h->ts_ns, 1000 + i);
	for (uint32_t k = 0; k < len; k++)
		assert_int_equal(d[k], (uint8_t)(i * 7 + k));
}

/* Without a consumer the ring fills, and every frame past that is a drop,
 * never an overwrite. */
static void test_full_ring_counts_drops(void **state)
{
	static uint8_t buf[4096] __attribute__((aligned(64)));
	struct capture_ring r = { .buf = buf, .mask = sizeof(buf) - 1 };
	uint32_t i;

	(void)state;
	for (i = 0; i < 100; i++) {
		struct mbx_frame f = frame_of(i, 100);

		capture_ring_put(&r, &f, 1, 1000 + i, CAPTURE_IN);
	}
	/* 100-byte frames take 128 bytes: 32 fit in 4096. */
	assert_int_equal(r.frames, 32);
	assert_int_equal(r.drops, 68);
	for (i = 0; i < 32; i++) {
		const struct capture_rec *h = capture_ring_peek(&r);

		check_rec(h, i, 100, CAPTURE_IN);
		capture_ring_done(&r, h);
	}
	assert_null(capture_ring_peek(&r));
}

/* A record that does not fit before the end of the buffer starts again at
 * 0 behind a skip record; the consumer sees the frames in order. */
static void test_wrap_keeps_order(void **state)
{
	static uint8_t buf[4096] __attribute__((aligned(64)));
	struct capture_ring r = { .buf = buf, .mask = sizeof(buf) - 1 };
	uint32_t next_in = 0, next_out = 0;

	(void)state;
	for (int round = 0; round < 50; round++) {
		struct mbx_frame f[3];

		for (int k = 0; k < 3; k++)
			f[k] = frame_of(next_in + (uint32_t)k, 60 + (next_in + (uint32_t)k) % 200);
		/* One burst, one time stamp: give each its own by putting them
		 * one at a time. */
		for (int k = 0; k < 3; k++, next_in++)
			capture_ring_put(&r, &f[k], 1, 1000 + next_in, k == 1 ? CAPTURE_OUT : CAPTURE_IN);
		for (int k = 0; k < 3; k++, next_out++) {
			const struct capture_rec *h = capture_ring_peek(&r);

			check_rec(h, next_out, 60 + next_out % 200, k == 1 ? CAPTURE_OUT : CAPTURE_IN);
			capture_ring_done(&r, h);
		}
	}
	assert_int_equal(r.drops, 0);
	assert_true(atomic_load(&r.head) > sizeof(buf)); /* it did wrap */
}

/* Frames put through the writer thread come back from the file, in order,
 * with their bytes and nanosecond times. */
static void test_pcapng_reads_back(void **state)
{
	char path[] = "/tmp/mbxdp-capture-test.XXXXXX", err[256];
	int fd = mkstemp(path);
	struct capture *c;
	struct pcap_pkthdr *ph;
	const u_char *data;
	pcap_t *pc;
	FILE *null = fopen("/dev/null", "w");
	uint32_t n = 0;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	c = capture_open(path, NULL, "test0", 1, 1u << 16, 1700000000000000000ull, err, sizeof(err));
	assert_non_null(c);
	for (uint32_t i = 0; i < 40; i++) {
		struct mbx_frame f = frame_of(i, 54 + i);

		capture_ring_put(capture_ring_of(c, 0), &f, 1, 1000 + i, (i & 1) ? CAPTURE_OUT : CAPTURE_IN);
	}
	assert_int_equal(capture_close(c, null), 0);
	fclose(null);
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	assert_non_null(pc);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	while (pcap_next_ex(pc, &ph, &data) == 1) {
		uint64_t ts = 1700000000000000000ull + 1000 + n;

		assert_int_equal(ph->caplen, 54 + n);
		assert_int_equal(ph->len, 54 + n);
		assert_int_equal(ph->ts.tv_sec, ts / 1000000000u);
		assert_int_equal(ph->ts.tv_usec, ts % 1000000000u);
		for (uint32_t k = 0; k < ph->caplen; k++)
			assert_int_equal(data[k], (uint8_t)(n * 7 + k));
		n++;
	}
	assert_int_equal(n, 40);
	pcap_close(pc);
	unlink(path);
}

/* Two workers' rings, one writer: every frame of both reaches the file. */
static void test_two_rings_one_file(void **state)
{
	char path[] = "/tmp/mbxdp-capture-test.XXXXXX", err[256];
	int fd = mkstemp(path), seen[2] = { 0, 0 };
	struct capture *c;
	struct pcap_pkthdr *ph;
	const u_char *data;
	pcap_t *pc;
	FILE *null = fopen("/dev/null", "w");

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	c = capture_open(path, NULL, "test0", 2, 4096, 0, err, sizeof(err));
	assert_non_null(c);
	for (uint32_t i = 0; i < 30; i++) {
		struct mbx_frame f = frame_of(i, 60 + (i & 1));

		capture_ring_put(capture_ring_of(c, i & 1), &f, 1, i, CAPTURE_IN);
	}
	assert_int_equal(capture_close(c, null), 0);
	fclose(null);
	pc = pcap_open_offline(path, err);
	assert_non_null(pc);
	while (pcap_next_ex(pc, &ph, &data) == 1)
		seen[ph->caplen - 60]++;
	assert_int_equal(seen[0], 15);
	assert_int_equal(seen[1], 15);
	pcap_close(pc);
	unlink(path);
}

static void test_unwritable_file_is_an_error(void **state)
{
	char err[256];

	(void)state;
	assert_null(capture_open("/nonexistent-dir/x.pcapng", NULL, "test0", 1, 4096, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir/x.pcapng"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_ring_counts_drops),
		cmocka_unit_test(test_wrap_keeps_order),
		cmocka_unit_test(test_pcapng_reads_back),
		cmocka_unit_test(test_two_rings_one_file),
		cmocka_unit_test(test_unwritable_file_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
