/* IPv6 addresses written as text in the unit tests (cmocka): include after
 * <cmocka.h>. */
#ifndef MBX_IP6_TEXT_H
#define MBX_IP6_TEXT_H

#include <arpa/inet.h>
#include <stdint.h>

/* The address s, as on the wire, in one of four buffers taken in turn: a
 * result stays valid through the next three calls, enough for one
 * assertion's arguments. Text that is not an address fails the test. */
static inline const uint8_t *ip6(const char *s)
{
	static uint8_t a[4][16];
	static unsigned next;
	uint8_t *out = a[next++ % 4];

	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
	return out;
}

#endif
