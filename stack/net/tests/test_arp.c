/* The gratuitous ARP the engine sends for each owned address at start: an
 * RFC 5227 2.3 announcement, byte for byte. (ARP and ICMP answers are
 * covered by the wire fixtures in tests/traffic.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack_harness.h"

static void test_announce(void **state)
{
	static const uint8_t want[60] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x06, /* Ethernet */
		0, 1, 8, 0, 6, 4, 0, 1, /* Ethernet/IPv4, request */
		0x02, 0, 0, 0, 0, 0x01, 198, 18, 0, 1, /* sender: us */
		0, 0, 0, 0, 0, 0, 198, 18, 0, 1, /* target: unknown MAC, our address */
	};
	static struct harness h; /* large: replies of a whole benchmark round */
	uint8_t buf[128];

	(void)state;
	assert_int_equal(harness_init(&h, 4, 8), 0);
	assert_int_equal(stack_arp_announce(h.stack, 0, buf, sizeof(buf)), 60);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(stack_arp_announce(h.stack, 1, buf, sizeof(buf)), 0); /* no 2nd address */
	assert_int_equal(stack_arp_announce(h.stack, 0, buf, 59), 0); /* no room */
	harness_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_announce),
	};
	return cmocka_run_group_tests_name("arp", tests, NULL, NULL);
}
