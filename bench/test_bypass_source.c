/* mbxdp-bench's --source of the kernel-bypass master: the prefixes of
 * either family it takes, as the tuples and the steering program read
 * them, and the reason for each it refuses. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bench.h"
#include "bypass.h"

/* s is taken as the family, length and first address's last 32 bits (host
 * order) given. */
static void taken(const char *s, int family, uint32_t len, uint32_t first,
		  struct bypass_source *src)
{
	const char *why = bypass_parse_source(s, src);

	if (why)
		fail_msg("'%s' refused: %s", s, why);
	assert_int_equal(src->family, family);
	assert_int_equal(src->len, len);
	assert_int_equal(src->first, first);
}

static void takes_ipv4(void **state)
{
	struct bypass_source src;

	(void)state;
	taken("198.18.0.128/25", AF_INET, 25, 0xC6120080u, &src);
	taken("198.18.0.0/16", AF_INET, 16, 0xC6120000u, &src);
	taken("198.18.0.9", AF_INET, 32, 0xC6120009u, &src);
}

/* The tuples count through the last 32 bits; the steering program lists the
 * whole address. */
static void takes_ipv6(void **state)
{
	static const uint8_t want[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x04, 0 };
	struct bypass_source src;

	(void)state;
	taken("2001:2::1:400/118", AF_INET6, 118, 0x00010400u, &src);
	assert_memory_equal(src.addr6, want, 16);
	taken("2001:2::5", AF_INET6, 128, 5, &src);
}

static void refused(const char *s, const char *why)
{
	struct bypass_source src = { 0 };
	const char *got = bypass_parse_source(s, &src);

	if (!got || strcmp(got, why))
		fail_msg("'%s': got \"%s\", want \"%s\"", s, got ? got : "(taken)", why);
	assert_int_equal(src.family, 0); /* nothing half-written */
}

static void refuses_with_reason(void **state)
{
	(void)state;
	refused("198.16.0.0/12", "an IPv4 source prefix is /16 to /32");
	refused("198.18.0.1/24", "bits are set beyond the prefix length");
	refused("198.18.0/24", "not an IPv4 address");
	refused("198.18.0.0/33", "the prefix length after '/' is not 0..32");
	/* Wider than a worker's stack names local IPv6 addresses. */
	refused("2001:2::/117", "an IPv6 source prefix is /118 to /128");
	refused("2001:2::/64", "an IPv6 source prefix is /118 to /128");
	refused("2001:2::1/120", "bits are set beyond the prefix length");
	refused("2001:2::/129", "the prefix length after '/' is not 0..128");
	refused("2001:2::g/120", "not an IPv6 address");
	refused("2001:2::/", "the prefix length after '/' is not 0..128");
	refused("ff02::1:ff00:0/120", "a multicast address");
	refused("::/128", "the unspecified address");
	refused("::ffff:198.18.0.0/120",
		"an IPv4-mapped IPv6 address (::ffff:A.B.C.D): write the IPv4 address");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(takes_ipv4),
		cmocka_unit_test(takes_ipv6),
		cmocka_unit_test(refuses_with_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
