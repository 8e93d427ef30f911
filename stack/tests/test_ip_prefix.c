/* The one prefix parser (ip_prefix.h) every option and the device model
 * read addresses and prefixes with: both families, every reason it gives,
 * and the prefix arithmetic the callers build on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ip_prefix.h"
#include "ip6_text.h"

static void test_ipv4(void **state)
{
	struct ip_prefix p;

	(void)state;
	/* Kept as written: whether bits beyond the length are an error
	 * (--address) or cleared (priority, model) is the caller's. */
	assert_null(ip_prefix_parse("198.18.2.77/24", &p));
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.addr.v4, htonl(0xc612024du));
	assert_int_equal(p.len, 24);
	assert_true(ip_prefix_host_bits(&p));
	ip_prefix_clear_host(&p);
	assert_int_equal(p.addr.v4, htonl(0xc6120200u));
	assert_false(ip_prefix_host_bits(&p));
	assert_int_equal(ip_prefix_mask4(24), htonl(0xffffff00u));
	assert_int_equal(ip_prefix_mask4(0), 0);
	assert_int_equal(ip_prefix_mask4(32), 0xffffffffu);

	assert_null(ip_prefix_parse("198.18.0.9", &p));
	assert_int_equal(p.len, 32);
	assert_null(ip_prefix_parse("0.0.0.0/0", &p));
	assert_int_equal(p.len, 0);
	assert_null(ip_prefix_parse("198.18.0.0/32", &p));
	assert_int_equal(p.len, 32);
}

static void test_ipv6(void **state)
{
	struct ip_prefix p;

	(void)state;
	assert_null(ip_prefix_parse("2001:2::/48", &p));
	assert_int_equal(p.family, AF_INET6);
	assert_memory_equal(p.addr.v6, ip6("2001:2::"), 16);
	assert_int_equal(p.len, 48);
	assert_false(ip_prefix_host_bits(&p));

	assert_null(ip_prefix_parse("2001:2::5", &p));
	assert_int_equal(p.family, AF_INET6);
	assert_memory_equal(p.addr.v6, ip6("2001:2::5"), 16);
	assert_int_equal(p.len, 128);

	/* A length off a byte boundary: the bits past it are the host's. */
	assert_null(ip_prefix_parse("2001:2:0:ff80::/57", &p));
	assert_false(ip_prefix_host_bits(&p));
	assert_null(ip_prefix_parse("2001:2:0:ff80::/55", &p));
	assert_true(ip_prefix_host_bits(&p));
	ip_prefix_clear_host(&p);
	assert_memory_equal(p.addr.v6, ip6("2001:2:0:fe00::"), 16);
	assert_null(ip_prefix_parse("2001:2:0:ffff::1/57", &p));
	ip_prefix_clear_host(&p);
	assert_memory_equal(p.addr.v6, ip6("2001:2:0:ff80::"), 16);
	assert_null(ip_prefix_parse("::/0", &p));
	assert_int_equal(p.len, 0);
	assert_null(ip_prefix_parse("2001:2::1/0", &p));
	ip_prefix_clear_host(&p);
	assert_memory_equal(p.addr.v6, ip6("::"), 16);
	/* The IPv4-mapped block as a whole is a prefix like another. */
	assert_null(ip_prefix_parse("::ffff:0:0/95", &p));
}

static void test_errors(void **state)
{
	struct ip_prefix p;

	(void)state;
	assert_string_equal(ip_prefix_parse("198.18.0.300", &p), "not an IPv4 address");
	assert_string_equal(ip_prefix_parse("198.18.0.0.0.0.0.0.0/8", &p), "not an IPv4 address");
	assert_string_equal(ip_prefix_parse("198.18.0/8", &p), "not an IPv4 address");
	assert_string_equal(ip_prefix_parse("host", &p), "not an IPv4 address");
	assert_string_equal(ip_prefix_parse("", &p), "not an IPv4 address");
	assert_string_equal(ip_prefix_parse("/24", &p), "not an IPv4 address");
	assert_string_equal(ip_prefix_parse("198.18.0.0/33", &p),
			    "the prefix length after '/' is not 0..32");
	assert_string_equal(ip_prefix_parse("198.18.0.0/", &p),
			    "the prefix length after '/' is not 0..32");
	assert_string_equal(ip_prefix_parse("198.18.0.0/+8", &p),
			    "the prefix length after '/' is not 0..32");
	assert_string_equal(ip_prefix_parse("198.18.0.0/ 8", &p),
			    "the prefix length after '/' is not 0..32");
	assert_string_equal(ip_prefix_parse("198.18.0.0/-0", &p),
			    "the prefix length after '/' is not 0..32");
	assert_string_equal(ip_prefix_parse("198.18.0.0/8x", &p),
			    "the prefix length after '/' is not 0..32");
	assert_string_equal(ip_prefix_parse("198.18.0.0/8/8", &p),
			    "the prefix length after '/' is not 0..32");

	assert_string_equal(ip_prefix_parse("2001:2::g", &p), "not an IPv6 address");
	assert_string_equal(ip_prefix_parse("2001:2:::5", &p), "not an IPv6 address");
	assert_string_equal(ip_prefix_parse("2001:2::5::6", &p), "not an IPv6 address");
	assert_string_equal(ip_prefix_parse("1:2:3:4:5:6:7:8:9", &p), "not an IPv6 address");
	/* A zone is the kernel's business, not a served address's. */
	assert_string_equal(ip_prefix_parse("fe80::1%eth0", &p), "not an IPv6 address");
	assert_string_equal(ip_prefix_parse("[2001:2::5]", &p), "not an IPv6 address");
	assert_string_equal(
		ip_prefix_parse("2001:0002:0000:0000:0000:0000:0000:0000:0000/48", &p),
		"not an IPv6 address");
	assert_string_equal(ip_prefix_parse("2001:2::/129", &p),
			    "the prefix length after '/' is not 0..128");
	assert_string_equal(ip_prefix_parse("2001:2::/", &p),
			    "the prefix length after '/' is not 0..128");
	assert_string_equal(ip_prefix_parse("2001:2::/+48", &p),
			    "the prefix length after '/' is not 0..128");
	assert_string_equal(ip_prefix_parse("2001:2::/1000", &p),
			    "the prefix length after '/' is not 0..128");
	assert_non_null(strstr(ip_prefix_parse("::ffff:198.18.0.1", &p), "IPv4-mapped"));
	assert_non_null(strstr(ip_prefix_parse("::ffff:198.18.0.0/120", &p), "IPv4-mapped"));
}

static void test_covers(void **state)
{
	(void)state;
	assert_true(ip6_prefix_covers(ip6("2001:2::"), 48, ip6("2001:2:0:ffff::1")));
	assert_false(ip6_prefix_covers(ip6("2001:2::"), 48, ip6("2001:2:1::1")));
	assert_true(ip6_prefix_covers(ip6("2001:2:0:ff80::"), 57, ip6("2001:2:0:ffff::")));
	assert_false(ip6_prefix_covers(ip6("2001:2:0:ff80::"), 57, ip6("2001:2:0:ff7f::")));
	assert_true(ip6_prefix_covers(ip6("::"), 0, ip6("2001:2::1")));
	assert_true(ip6_prefix_covers(ip6("2001:2::5"), 128, ip6("2001:2::5")));
	assert_false(ip6_prefix_covers(ip6("2001:2::5"), 128, ip6("2001:2::4")));
	assert_false(ip6_prefix_covers(ip6("2001:2::"), 1, ip6("8001:2::")));
}

static void test_unicast(void **state)
{
	(void)state;
	assert_null(ip6_unicast_problem(ip6("2001:2::5")));
	assert_null(ip6_unicast_problem(ip6("fe80::1")));
	assert_string_equal(ip6_unicast_problem(ip6("ff02::1")), "a multicast address");
	assert_string_equal(ip6_unicast_problem(ip6("::")), "the unspecified address");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),   cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_errors), cmocka_unit_test(test_covers),
		cmocka_unit_test(test_unicast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
