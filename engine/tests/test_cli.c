/* mbxdp's command line with IPv6: --address and --allow-source take
 * addresses and prefixes of both families into the lists of each, and
 * refuse what cannot be served with one line that says why;
 * --priority-source says it is IPv4 only. Then what the backend is handed
 * (steering.h): every address of the prefixes, by family, and which of them
 * XDP answers Neighbor Solicitations for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "devmodel.h"
#include "ip6_text.h"
#include "steering.h"

static struct cli_options o;
static char said[1024]; /* what the last parse wrote to stderr */

/* Parses the arguments (argv[0] and the NULL added), keeping stderr. */
#define PARSE(...) parse((char *[]){ "mbxdp", __VA_ARGS__, NULL })

static int parse(char **args)
{
	FILE *f = tmpfile();
	int saved = dup(2), argc = 0, rc;
	size_t n;

	assert_non_null(f);
	while (args[argc])
		argc++;
	fflush(stderr);
	dup2(fileno(f), 2);
	rc = cli_parse(argc, args, &o);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(said, 1, sizeof(said) - 1, f);
	said[n] = '\0';
	fclose(f);
	return rc;
}

/* A refusal: exit status 2's -1, one line naming the option and why. */
static void refused(int rc, const char *why)
{
	assert_int_equal(rc, -1);
	if (!strstr(said, why))
		fail_msg("said \"%s\", want \"%s\"", said, why);
	assert_ptr_equal(strchr(said, '\n'), said + strlen(said) - 1);
}

static void test_address_both_families(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-i", "veth0", "--address", "198.18.0.5", "--address", "2001:2::5",
			       "--address", "2001:2::100/120"),
			 0);
	assert_string_equal(said, "");
	assert_int_equal(o.n_addresses, 1);
	assert_int_equal(o.addresses[0].addr, inet_addr("198.18.0.5"));
	assert_int_equal(o.n_addresses6, 2);
	assert_memory_equal(o.addresses6[0].addr, ip6("2001:2::5"), 16);
	assert_int_equal(o.addresses6[0].prefix_len, 128);
	assert_memory_equal(o.addresses6[1].addr, ip6("2001:2::100"), 16);
	assert_int_equal(o.addresses6[1].prefix_len, 120);
	/* DPDK too: the stack owns them. */
	assert_int_equal(PARSE("--dpdk", "--address", "2001:2::5", "--", "--no-pci"), 0);
	assert_int_equal(o.n_addresses6, 1);
}

static void test_address_refusals(void **state)
{
	(void)state;
	refused(PARSE("-i", "veth0", "--address", "2001:2::/111"),
		"--address wants an IPv6 prefix length from 112 to 128, not '2001:2::/111'");
	refused(PARSE("-i", "veth0", "--address", "198.18.0.0/15"),
		"--address wants an IPv4 prefix length from 16 to 32, not '198.18.0.0/15'");
	refused(PARSE("-i", "veth0", "--address", "2001:2::1/112"),
		"--address 2001:2::1/112 has bits set beyond /112 (the prefix is 2001:2::/112)");
	refused(PARSE("-i", "veth0", "--address", "2001:2::g"),
		"--address wants an IPv4 address or prefix (A.B.C.D[/N]) or an IPv6 one "
		"(X:X::X[/N]), not '2001:2::g' (not an IPv6 address)");
	refused(PARSE("-i", "veth0", "--address", "2001:2::/129"),
		"(the prefix length after '/' is not 0..128)");
	refused(PARSE("-i", "veth0", "--address", "ff02::1"),
		"--address ff02::1 is a multicast address, not one a server answers on");
	refused(PARSE("-i", "veth0", "--address", "::"), "the unspecified address");
	refused(PARSE("-i", "veth0", "--address", "::ffff:198.18.0.5"), "IPv4-mapped");
}

/* 64 of each family, not 64 in all. */
static void test_address_limit_by_family(void **state)
{
	static char text[2 * CLI_MAX_PREFIXES][24];
	/* mbxdp -i veth0, two options a prefix, one more, the NULL */
	char *args[3 + 4 * CLI_MAX_PREFIXES + 2 + 1] = { "mbxdp", "-i", "veth0" };
	int n = 3;

	(void)state;
	for (int i = 0; i < CLI_MAX_PREFIXES; i++) {
		snprintf(text[2 * i], sizeof(text[0]), "198.18.1.%d", i);
		snprintf(text[2 * i + 1], sizeof(text[0]), "2001:2::%x", i + 1);
		args[n++] = "--address";
		args[n++] = text[2 * i];
		args[n++] = "--address";
		args[n++] = text[2 * i + 1];
	}
	args[n] = NULL;
	assert_int_equal(parse(args), 0);
	assert_int_equal(o.n_addresses, CLI_MAX_PREFIXES);
	assert_int_equal(o.n_addresses6, CLI_MAX_PREFIXES);
	args[n++] = "--address";
	args[n++] = "2001:2::ffff";
	args[n] = NULL;
	refused(parse(args), "at most 64 --address options of each family");
}

static void test_allow_source(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-i", "veth0", "--allow-source", "2001:2::/48", "--allow-source",
			       "198.18.0.0/24", "--allow-source", "::/0"),
			 0);
	assert_int_equal(o.n_allow, 1);
	assert_int_equal(o.n_allow6, 2);
	assert_memory_equal(o.allow6[0].addr, ip6("2001:2::"), 16);
	assert_int_equal(o.allow6[0].prefix_len, 48);
	assert_int_equal(o.allow6[1].prefix_len, 0);
	refused(PARSE("-i", "veth0", "--allow-source", "2001:2::1/48"),
		"--allow-source 2001:2::1/48 has bits set beyond /48 (the prefix is 2001:2::/48)");
	refused(PARSE("-i", "veth0", "--allow-source", "2001:2::/200"), "not 0..128");
	/* No XDP program on a DPDK port to enforce it, in either family. */
	refused(PARSE("--dpdk", "--allow-source", "2001:2::/48", "--", "--no-pci"),
		"--allow-source is for AF_XDP");
}

static void test_priority_source_ipv4_only(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-i", "veth0", "--priority-source", "198.18.0.0/24"), 0);
	assert_int_equal(o.policy.n_priority, 1);
	refused(PARSE("-i", "veth0", "--priority-source", "2001:2::/48"),
		"--priority-source takes IPv4 prefixes only, not the IPv6 '2001:2::/48'");
	refused(PARSE("-i", "veth0", "--priority-source", "198.18.0.0/40"),
		"--priority-source wants an IPv4 prefix like 198.18.0.0/24, not '198.18.0.0/40' "
		"(the prefix length after '/' is not 0..32)");
}

/* What the backend is handed with the default model: every address of the
 * prefixes, by family, all server 0, with the allow-lists. */
static void test_steering_plan(void **state)
{
	struct devmodel dm;
	struct steering st;
	char err[256];

	(void)state;
	assert_int_equal(devmodel_configure(&dm, NULL, err, sizeof(err)), 0);
	assert_int_equal(PARSE("-i", "veth0", "--address", "2001:2::8/126", "--address",
			       "198.18.0.1", "--allow-source", "2001:2:1::/48"),
			 0);
	assert_int_equal(steering_plan(&o, &dm, 65536, "one XDP program serves", &st, err,
				       sizeof(err)),
			 0);
	assert_int_equal(st.n_addrs, 1);
	assert_int_equal(st.n_addrs6, 4);
	for (uint32_t i = 0; i < 4; i++) {
		uint8_t want[16];

		memcpy(want, ip6("2001:2::8"), 16);
		want[15] = (uint8_t)(8 + i);
		assert_memory_equal(st.addrs6[i].addr, want, 16);
		assert_int_equal(st.addrs6[i].server, 0);
	}
	assert_int_equal(st.n_allow, 0);
	assert_int_equal(st.n_allow6, 1);
	assert_int_equal(st.allow6[0].prefix_len, 48);
	/* An interface that has none of them: XDP answers for all. */
	assert_int_equal(steering_mark_arp(&st, "mbxD-none", err, sizeof(err)), 0);
	assert_int_equal(st.n_answer_nd, 4);
	steering_free(&st);

	/* Two /112s are more than the program's map holds. */
	assert_int_equal(PARSE("-i", "veth0", "--address", "2001:2::/112", "--address",
			       "2001:2::1:0/112"),
			 0);
	assert_int_equal(steering_plan(&o, &dm, 65536, "one XDP program serves", &st, err,
				       sizeof(err)),
			 -1);
	assert_string_equal(err, "--address: 131072 IPv6 addresses, more than the 65536 one XDP "
				 "program serves");
	steering_free(&st);
	devmodel_free(&dm);
}

/* With a model file: each server on its address of each family, its
 * IPv6 allow-list with its index; --address of either family is the
 * file's to give. */
static void test_steering_model(void **state)
{
	static const char yaml[] =
		"servers:\n"
		"  - address: 198.18.0.10\n"
		"    units: [ { id: 1 } ]\n"
		"  - address: [198.18.0.20, \"2001:2::14\"]\n"
		"    allow: [2001:2:1::/48, 198.18.0.0/24]\n"
		"    units: [ { id: 1 } ]\n"
		"  - address: 2001:2::1e-2001:2::1f\n"
		"    units: [ { id: 1 } ]\n";
	char path[64], err[256];
	struct devmodel dm;
	struct steering st;
	FILE *f;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/mbxdp-cli-XXXXXX.yaml");
	fd = mkstemps(path, 5); /* O_EXCL: a name of its own */
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(yaml, f);
	fclose(f);
	if (devmodel_configure(&dm, path, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	unlink(path);
	assert_int_equal(PARSE("-i", "veth0"), 0);
	assert_int_equal(steering_plan(&o, &dm, 65536, "x", &st, err, sizeof(err)), 0);
	assert_int_equal(st.n_addrs, 2);
	assert_int_equal(st.addrs[1].addr, inet_addr("198.18.0.20"));
	assert_int_equal(st.addrs[1].server, 1);
	assert_int_equal(st.n_addrs6, 3);
	assert_memory_equal(st.addrs6[0].addr, ip6("2001:2::14"), 16);
	assert_int_equal(st.addrs6[0].server, 1);
	assert_memory_equal(st.addrs6[2].addr, ip6("2001:2::1f"), 16);
	assert_int_equal(st.addrs6[2].server, 3);
	assert_int_equal(st.n_allow, 1);
	assert_int_equal(st.allow[0].server, 1);
	assert_int_equal(st.n_allow6, 1);
	assert_memory_equal(st.allow6[0].addr, ip6("2001:2:1::"), 16);
	assert_int_equal(st.allow6[0].prefix_len, 48);
	assert_int_equal(st.allow6[0].server, 1);
	steering_free(&st);
	/* The model has more IPv6 addresses than this limit allows. */
	assert_int_equal(steering_plan(&o, &dm, 2, "x", &st, err, sizeof(err)), -1);
	assert_string_equal(err, "the device model has 3 IPv6 server addresses, more than the 2 x");
	steering_free(&st);
	assert_int_equal(PARSE("-i", "veth0", "--address", "2001:2::5"), 0);
	assert_int_equal(steering_plan(&o, &dm, 65536, "x", &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--address is for the default model"));
	steering_free(&st);
	assert_int_equal(PARSE("-i", "veth0", "--allow-source", "2001:2::/48"), 0);
	assert_int_equal(steering_plan(&o, &dm, 65536, "x", &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--allow-source is for the default model"));
	steering_free(&st);
	devmodel_free(&dm);
}

/* The kernel answers Neighbor Solicitations only for the addresses of the
 * interface they arrive on: ::1 is the loopback's, so XDP on lo leaves it
 * to the kernel, and on another interface answers for it. */
static void test_kernel_owned_ipv6(void **state)
{
	struct devmodel dm;
	struct steering st;
	char err[256];
	FILE *f = fopen("/proc/net/if_inet6", "r");
	char line[256];
	int lo_has = 0;

	(void)state;
	while (f && fgets(line, sizeof(line), f))
		lo_has |= !strncmp(line, "00000000000000000000000000000001 ", 33);
	if (f)
		fclose(f);
	if (!lo_has)
		skip(); /* IPv6 is off here */
	assert_int_equal(devmodel_configure(&dm, NULL, err, sizeof(err)), 0);
	assert_int_equal(PARSE("-i", "lo", "--address", "::1", "--address", "2001:2::5"), 0);
	assert_int_equal(steering_plan(&o, &dm, 65536, "x", &st, err, sizeof(err)), 0);
	assert_int_equal(steering_mark_arp(&st, "lo", err, sizeof(err)), 0);
	assert_int_equal(st.addrs6[0].answer_nd, 0);
	assert_int_equal(st.addrs6[1].answer_nd, 1);
	assert_int_equal(st.n_answer_nd, 1);
	steering_free(&st);
	assert_int_equal(steering_plan(&o, &dm, 65536, "x", &st, err, sizeof(err)), 0);
	assert_int_equal(steering_mark_arp(&st, "mbxD-none", err, sizeof(err)), 0);
	assert_int_equal(st.n_answer_nd, 2);
	steering_free(&st);
	devmodel_free(&dm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_both_families),
		cmocka_unit_test(test_address_refusals),
		cmocka_unit_test(test_address_limit_by_family),
		cmocka_unit_test(test_allow_source),
		cmocka_unit_test(test_priority_source_ipv4_only),
		cmocka_unit_test(test_steering_plan),
		cmocka_unit_test(test_steering_model),
		cmocka_unit_test(test_kernel_owned_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
