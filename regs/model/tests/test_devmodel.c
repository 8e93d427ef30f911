/* The device model, from configuration file to Modbus answers: bad files
 * are refused with FILE:LINE and the problem; servers are found by address
 * and units by id, with MIG 4.4.1.2's rules for 0 and 0xFF; unknown units
 * get exception 0B or silence as configured; tables start where configured,
 * protected ranges refuse writes; read-only sources cannot write; listen
 * only mode silences one unit, not its neighbours; every device has a
 * register image of its own in the store, which another mapping reads and
 * writes consistently; a writer that never finishes makes the unit busy
 * (exception 06), not the server hang. The shipped example is loaded too
 * (its path is argv[1]). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "modbus/mb_device.h"
#include "modbus_harness.h"
/* after modbus_harness.h, which brings cmocka */
#include "ip6_text.h"

static const char *example_path;
static char path[64];

static uint32_t ip(const char *s)
{
	return inet_addr(s);
}

static void write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/mbxD-devmodel-%d.yaml", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Loads a model file into the harness's model (anonymous store). */
static void load_file(const char *file)
{
	char err[256];

	if (devmodel_load(&dm, file, NULL, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	memset(&ctx, 0, sizeof(ctx));
	ctx.model = &dm.model;
}

static void load(const char *yaml)
{
	write_file(yaml);
	load_file(path);
}

/* The connection a client at raddr opens to laddr. */
static void connect_to(const char *laddr, const char *raddr)
{
	peer = mb_model_peer(&dm.model, ip(laddr), ip(raddr));
}

static int no_setup(void **state)
{
	(void)state;
	memset(&dm, 0, sizeof(dm));
	return 0;
}

static int cleanup(void **state)
{
	unlink(path);
	return teardown(state);
}

/* ---- configuration errors ---- */

struct bad_file {
	const char *yaml;
	int line;
	const char *problem;
};

static const struct bad_file bad_files[] = {
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 0\n", 4, "unit id" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 255\n", 4, "unit id" },
	{ "servers:\n  - address: 198.18.0.10\n    colour: red\n    units:\n      - id: 1\n", 3,
	  "unknown key 'colour'" },
	{ "servers:\n  - address: 198.18.0.300\n    units:\n      - id: 1\n", 2,
	  "not an IPv4 address" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1-5\n      - id: 5\n", 5,
	  "overlap" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        holding_registers: { start: 65000, count: 1000 }\n",
	  5, "runs past address 65535" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "  - address: 198.18.0.9-198.18.0.11\n    units:\n      - id: 1\n",
	  5, "198.18.0.10 is already a server's" },
	{ "servers:\n  - address: 198.18.0.10\n    own_unit: 7\n    units:\n      - id: 1\n", 3,
	  "own_unit 7 is not one of the server's units" },
	{ "servers:\n  - address: 198.18.0.10\n    read_only_sources: [198.18.0.0/33]\n"
	  "    units:\n      - id: 1\n",
	  3, "prefix length" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        coils: { count: 2, init: [1, 0, 1] }\n",
	  5, "3 initial values for 2 entries" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        input_registers: { count: 2, protect: [0] }\n",
	  5, "unknown key 'protect'" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        disabled_functions: [0x80]\n",
	  5, "function code" },
	{ "servers:\n  - address: 198.18.0.10\n    unknown_unit: maybe\n    units:\n      - id: 1\n",
	  3, "unknown_unit is" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        identity: { vendor_name: A }\n",
	  5, "identity needs product_code" },
	{ "servers:\n  - address: 198.18.0.10\n", 2, "a server needs units" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        rules:\n          - { function: 3, sub: 1, exception: 2 }\n",
	  6, "sub is for function 0x08" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        rules:\n          - { function: 0x11, answer: \"12 0\" }\n",
	  6, "answer must be 'none' or hex bytes" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        rules:\n          - { function: 7, exception: 1, answer: none }\n",
	  6, "one of exception or answer" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        rules:\n          - { function: 7, from: 2, until: 1.5, exception: 4 }\n",
	  6, "from must come before its until" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        rules:\n          - { function: 7, until: 1.0000000001, exception: 4 }\n",
	  6, "at most 9 decimals" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        coils: { count: 4 }\n        sequences:\n"
	  "          - { table: coils, address: 4, steps: [[1, 1]] }\n",
	  7, "sequence address 4 is not in the unit's coils" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        coils: { count: 4 }\n        sequences:\n"
	  "          - { table: coils, address: 1, steps: [[1, 2]] }\n",
	  7, "a step's value must be a number from 0 to 1" },
	{ "servers:\n  - address: 198.18.0.10\n    units:\n      - id: 1\n"
	  "        holding_registers: { count: 4 }\n        sequences:\n"
	  "          - { table: holding_registers, address: 1, steps: [[2, 5], [1, 6]] }\n",
	  7, "steps must come in time order" },
	/* IPv6 servers and sources. */
	{ "servers:\n  - address: 2001:2::g\n    units:\n      - id: 1\n", 2,
	  "address '2001:2::g': not an IPv6 address" },
	{ "servers:\n  - address: 2001:2::/64\n    units:\n      - id: 1\n", 2,
	  "an address, not a prefix" },
	{ "servers:\n  - address: ff02::1\n    units:\n      - id: 1\n", 2,
	  "'ff02::1': a multicast address" },
	{ "servers:\n  - address: \"::\"\n    units:\n      - id: 1\n", 2,
	  "the unspecified address" },
	{ "servers:\n  - address: ::ffff:198.18.0.1\n    units:\n      - id: 1\n", 2,
	  "IPv4-mapped" },
	{ "servers:\n  - address: 198.18.0.1-2001:2::1\n    units:\n      - id: 1\n", 2,
	  "mixes IPv4 and IPv6" },
	{ "servers:\n  - address: 2001:2::1-2001:3::1\n    units:\n      - id: 1\n", 2,
	  "may differ in the last 32 bits only" },
	{ "servers:\n  - address: 2001:2::9-2001:2::1\n    units:\n      - id: 1\n", 2,
	  "address range 2001:2::9-2001:2::1 is empty" },
	{ "servers:\n  - address: [198.18.0.1, 198.18.0.2]\n    units:\n      - id: 1\n", 2,
	  "one IPv4 address or range, not two" },
	{ "servers:\n  - address: [2001:2::1, 2001:2::2]\n    units:\n      - id: 1\n", 2,
	  "one IPv6 address or range, not two" },
	{ "servers:\n  - address: [198.18.0.1, 2001:2::1, 2001:2::2]\n    units:\n      - id: 1\n",
	  2, "one address or range of each family" },
	{ "servers:\n  - address: []\n    units:\n      - id: 1\n", 2,
	  "one address or range of each family" },
	{ "servers:\n  - address: [198.18.0.1-198.18.0.2, 2001:2::1]\n    units:\n      - id: 1\n",
	  2, "the IPv4 and IPv6 ranges hold 2 and 1 addresses" },
	{ "servers:\n  - address: 2001:2::5\n    units:\n      - id: 1\n"
	  "  - address: [198.18.0.9, 2001:2::4-2001:2::6]\n    units:\n      - id: 1\n",
	  5, "the IPv4 and IPv6 ranges hold 1 and 3 addresses" },
	{ "servers:\n  - address: 2001:2::5\n    units:\n      - id: 1\n"
	  "  - address: [198.18.0.9-198.18.0.11, 2001:2::4-2001:2::6]\n    units:\n      - id: 1\n",
	  5, "address 2001:2::5 is already a server's" },
	{ "servers:\n  - address: 2001:2::5\n    allow: [2001:2::/129]\n    units:\n      - id: 1\n",
	  3, "'2001:2::/129': the prefix length after '/' is not 0..128" },
	{ "servers:\n  - address: 2001:2::5\n    read_only_sources: [2001:2::/48, \"2001:2::x\"]\n"
	  "    units:\n      - id: 1\n",
	  3, "'2001:2::x': not an IPv6 address" },
	{ "servers:\n  - address: 2001:2::5\n    allow: [::1, ::2, ::3, ::4, ::5, ::6, ::7, ::8, ::9,"
	  " ::a, ::b, ::c, ::d, ::e, ::f, 198.18.0.1, \"::10\", \"::11\"]\n    units:\n      - id: 1\n",
	  3, "at most 16 IPv6 entries in allow" },
	{ "- just a list\n", 1, "must be a mapping with a 'servers' list" },
	/* YAML syntax: libfyaml's own message, with our file and its line. */
	{ "servers:\n  - address: 198.18.0.10\n    units: [ { id: 1 }\n", 4, "" },
};

static void test_bad_files_name_file_and_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		char err[256], want[128];

		write_file(bad_files[i].yaml);
		assert_int_equal(devmodel_load(&dm, path, NULL, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s:%d: ", path, bad_files[i].line);
		if (strncmp(err, want, strlen(want)) || !strstr(err, bad_files[i].problem))
			fail_msg("file %zu: got \"%s\", want \"%s...%s\"", i, err, want,
				 bad_files[i].problem);
		assert_null(dm.model.units); /* nothing of a bad file is kept */
	}
}

static void test_missing_file(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(devmodel_load(&dm, "/nonexistent/mbxD.yaml", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/mbxD.yaml"));
	assert_non_null(strstr(err, "No such file"));
}

/* ---- servers and units ---- */

static const char two_servers[] =
	"servers:\n"
	"  - address: 198.18.0.10\n"
	"    units:\n"
	"      - id: 3-4\n"
	"        holding_registers: { count: 10, init: address }\n"
	"      - id: 7\n"
	"        holding_registers: { count: 10, init: 7 }\n"
	"  - address: 198.18.0.20-198.18.0.21\n"
	"    own_unit: 2\n"
	"    unknown_unit: silence\n"
	"    allow: [198.18.0.0/24, 198.19.0.1]\n"
	"    units:\n"
	"      - id: 1-2\n"
	"        holding_registers: { count: 10 }\n"
	"  - address: 198.18.0.30\n"
	"    own_unit: none\n"
	"    units:\n"
	"      - id: 1\n"
	"        holding_registers: { count: 10 }\n";

static const uint8_t read_reg0[] = { 0x03, 0x00, 0x00, 0x00, 0x01 };

static void test_servers_by_address(void **state)
{
	struct mb_server_addr addrs[8];

	(void)state;
	load(two_servers);
	assert_int_equal(dm.model.n_servers, 4);
	assert_int_equal(dm.model.n_units, 3 + 2 + 2 + 1);
	assert_int_equal(mb_model_server(&dm.model, ip("198.18.0.10")), 0);
	assert_int_equal(mb_model_server(&dm.model, ip("198.18.0.21")), 2);
	assert_int_equal(mb_model_server(&dm.model, ip("198.18.0.11")), MB_SERVER_NONE);
	/* What the XDP side steers and filters. */
	assert_int_equal(devmodel_server_addrs(&dm, addrs, 8), 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(addrs[i].addr, dm.model.servers[i].addr);
	assert_int_equal(addrs[2].addr, ip("198.18.0.21"));
	assert_int_equal(addrs[0].n_allow, 0);
	assert_int_equal(addrs[2].n_allow, 2);
	assert_int_equal(addrs[2].allow[0].addr, ip("198.18.0.0"));
	assert_int_equal(addrs[2].allow[0].mask, ip("255.255.255.0"));
	assert_int_equal(addrs[2].allow[1].mask, 0xFFFFFFFFu);
	assert_int_equal(devmodel_server_addrs(&dm, addrs, 1), 4);
	/* A connection to an address no server has: counted, not answered. */
	connect_to("198.18.0.11", "198.18.1.1");
	assert_int_equal(peer.no_server, 1);
	assert_int_equal(send_adu(1, 0, 1, read_reg0, sizeof(read_reg0)), 0);
	assert_int_equal(ctx.ctr.mb_drop_no_server, 1);
}

/* ---- IPv6 and dual-stack servers ---- */

static const char ipv6_servers[] =
	"servers:\n"
	"  - address: 198.18.0.10\n"
	"    read_only_sources: [198.18.5.0/24]\n"
	"    units:\n"
	"      - id: 1\n"
	"        holding_registers: { count: 10, init: 10 }\n"
	"  - address: 2001:2::a:1-2001:2::a:3\n"
	"    read_only_sources: [2001:2:5::/48, 198.18.5.0/24]\n"
	"    allow: [2001:2::/32, 198.18.0.0/16]\n"
	"    units:\n"
	"      - id: 1\n"
	"        holding_registers: { count: 10, init: 20 }\n"
	"  - address: [198.18.0.30, \"2001:2::1e\"]\n"
	"    units:\n"
	"      - id: 1\n"
	"        holding_registers: { count: 10, init: 30 }\n";

static void connect6_to(const char *laddr, const char *raddr)
{
	peer = mb_model_peer6(&dm.model, ip6(laddr), ip6(raddr));
}

/* A server is found by its IPv6 address, each of a range its own device;
 * a dual-stack server is one device on both its addresses. */
static void test_servers_by_ipv6_address(void **state)
{
	struct mb_server_addr addrs[8];

	(void)state;
	load(ipv6_servers);
	assert_int_equal(dm.model.n_servers, 1 + 3 + 1);
	assert_int_equal(mb_model_server6(&dm.model, ip6("2001:2::a:1")), 1);
	assert_int_equal(mb_model_server6(&dm.model, ip6("2001:2::a:3")), 3);
	assert_int_equal(mb_model_server6(&dm.model, ip6("2001:2::a:4")), MB_SERVER_NONE);
	assert_int_equal(mb_model_server6(&dm.model, ip6("2001:3::a:1")), MB_SERVER_NONE);
	assert_int_equal(mb_model_server6(&dm.model, ip6("2001:2::1e")), 4);
	assert_int_equal(mb_model_server(&dm.model, ip("198.18.0.30")), 4);
	/* An IPv6-only server answers no IPv4 address (its IPv4 word is 0). */
	assert_int_equal(mb_model_server(&dm.model, 0), MB_SERVER_NONE);
	assert_int_equal(mb_model_server6(&dm.model, ip6("::")), MB_SERVER_NONE);

	/* Each address of the range is a device of its own. */
	connect6_to("2001:2::a:1", "2001:2:1::1");
	assert_int_equal(peer.no_server, 0);
	expect_unit_pdu(1, BYTES(0x06, 0x00, 0x01, 0x12, 0x34), BYTES(0x06, 0x00, 0x01, 0x12, 0x34));
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x00, 0x00, 0x02), BYTES(0x03, 0x04, 0, 20, 0x12, 0x34));
	connect6_to("2001:2::a:2", "2001:2:1::1");
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x00, 0x00, 0x02), BYTES(0x03, 0x04, 0, 20, 0, 20));
	/* The dual-stack server: written over IPv4, read over IPv6. */
	connect_to("198.18.0.30", "198.18.1.1");
	expect_unit_pdu(1, BYTES(0x06, 0x00, 0x02, 0xAB, 0xCD), BYTES(0x06, 0x00, 0x02, 0xAB, 0xCD));
	connect6_to("2001:2::1e", "2001:2:1::1");
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x02, 0x00, 0x01), BYTES(0x03, 0x02, 0xAB, 0xCD));
	/* No server on the address: counted, not answered. */
	connect6_to("2001:2::a:4", "2001:2:1::1");
	assert_int_equal(peer.no_server, 1);
	assert_int_equal(send_adu(1, 0, 1, read_reg0, sizeof(read_reg0)), 0);
	assert_int_equal(ctx.ctr.mb_drop_no_server, 1);

	/* What the XDP side steers and filters, by family. */
	assert_int_equal(devmodel_server_addrs(&dm, addrs, 8), 5);
	assert_int_equal(addrs[0].addr, ip("198.18.0.10"));
	assert_false(addrs[0].has_addr6);
	assert_int_equal(addrs[2].addr, 0);
	assert_true(addrs[2].has_addr6);
	assert_memory_equal(addrs[2].addr6, ip6("2001:2::a:2"), 16);
	assert_int_equal(addrs[2].n_allow, 1);
	assert_int_equal(addrs[2].allow[0].addr, ip("198.18.0.0"));
	assert_int_equal(addrs[2].n_allow6, 1);
	assert_memory_equal(addrs[2].allow6[0].addr, ip6("2001:2::"), 16);
	assert_int_equal(addrs[2].allow6[0].len, 32);
	assert_int_equal(addrs[4].addr, ip("198.18.0.30"));
	assert_true(addrs[4].has_addr6);
	assert_memory_equal(addrs[4].addr6, ip6("2001:2::1e"), 16);
	assert_int_equal(addrs[4].n_allow + addrs[4].n_allow6, 0);
}

/* Read-only sources by IPv6 prefix: a write from inside is refused (MAP 7
 * exception 01), from outside served; an IPv4 prefix says nothing of an
 * IPv6 source, and the other way round. */
static void test_ipv6_read_only_sources(void **state)
{
	static const uint8_t write1[] = { 0x06, 0x00, 0x00, 0x00, 0x01 };

	(void)state;
	load(ipv6_servers);
	connect6_to("2001:2::a:3", "2001:2:5:ffff::7");
	assert_int_equal(peer.read_only, 1);
	expect_unit_exception(1, write1, sizeof(write1), 0x01);
	expect_unit_pdu(1, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0, 20));
	assert_int_equal(ctx.ctr.mb_refused_read_only_source, 1);
	connect6_to("2001:2::a:3", "2001:2:6::7");
	assert_int_equal(peer.read_only, 0);
	expect_unit_pdu(1, write1, sizeof(write1), write1, sizeof(write1));
	/* The first server's read-only sources are IPv4 ones alone. */
	connect_to("198.18.0.10", "198.18.5.9");
	assert_int_equal(peer.read_only, 1);
	connect6_to("2001:2::1e", "2001:2:5::7");
	assert_int_equal(peer.read_only, 0);
}

/* The default model answers on every address of both families. */
static void test_default_model_ipv6(void **state)
{
	(void)state;
	connect6_to("2001:2::99", "2001:2::1");
	assert_int_equal(peer.no_server, 0);
	expect_pdu(BYTES(0x06, 0x00, 0x01, 0x55, 0xAA), BYTES(0x06, 0x00, 0x01, 0x55, 0xAA));
	connect_to("198.18.9.9", "198.18.1.1");
	expect_pdu(BYTES(0x03, 0x00, 0x01, 0x00, 0x01), BYTES(0x03, 0x02, 0x55, 0xAA));
}

/* One server on one IPv6 address is not the default model: it answers
 * no other address, of either family. */
static void test_one_ipv6_server(void **state)
{
	(void)state;
	load("servers:\n  - address: 2001:2::5\n    units:\n      - id: 1\n");
	connect6_to("2001:2::5", "2001:2::1");
	assert_int_equal(peer.no_server, 0);
	connect6_to("2001:2::6", "2001:2::1");
	assert_int_equal(peer.no_server, 1);
	connect_to("198.18.0.5", "198.18.0.1");
	assert_int_equal(peer.no_server, 1);
}

/* Many IPv6 servers: each found by its address through the hash. */
static void test_many_ipv6_servers(void **state)
{
	char yaml[256];

	(void)state;
	snprintf(yaml, sizeof(yaml),
		 "servers:\n  - address: 2001:2::ffff:0-2001:2::1:0:270f\n    units:\n      - id: 1\n");
	write_file(yaml);
	{
		char err[256];

		assert_int_equal(devmodel_load(&dm, path, NULL, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "may differ in the last 32 bits only"));
	}
	load("servers:\n  - address: 2001:2::1:0-2001:2::1:270f\n    units:\n      - id: 1\n");
	assert_int_equal(dm.model.n_servers, 10000);
	for (uint32_t i = 0; i < 10000; i++) {
		uint8_t a[16];

		memcpy(a, ip6("2001:2::1:0"), 16);
		a[14] = (uint8_t)(i >> 8);
		a[15] = (uint8_t)i;
		assert_int_equal(mb_model_server6(&dm.model, a), i);
	}
}

static void test_unit_ids_0_and_ff(void **state)
{
	(void)state;
	load(two_servers);
	/* MIG 4.4.1.2: 0 and 0xFF reach the server's own unit, by default its
	 * lowest id (3, whose register 0 holds 0; unit 7's holds 7). */
	connect_to("198.18.0.10", "198.18.1.1");
	expect_unit_pdu(0x00, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0x00, 0x00));
	expect_unit_pdu(0xFF, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0x00, 0x00));
	expect_unit_pdu(7, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0x00, 0x07));
	expect_unit_pdu(0x00, BYTES(0x06, 0x00, 0x01, 0xAB, 0xCD), BYTES(0x06, 0x00, 0x01, 0xAB, 0xCD));
	expect_unit_pdu(3, BYTES(0x03, 0x00, 0x01, 0x00, 0x01), BYTES(0x03, 0x02, 0xAB, 0xCD));
	/* own_unit 2: unit 0 is unit 2, not the lowest. */
	connect_to("198.18.0.20", "198.18.1.1");
	expect_unit_pdu(2, BYTES(0x06, 0x00, 0x00, 0x00, 0x22), BYTES(0x06, 0x00, 0x00, 0x00, 0x22));
	expect_unit_pdu(0, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0x00, 0x22));
	expect_unit_pdu(1, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0x00, 0x00));
	/* own_unit none: 0 and 0xFF are unknown units (exception 0B). */
	connect_to("198.18.0.30", "198.18.1.1");
	expect_unit_exception(0x00, read_reg0, sizeof(read_reg0), 0x0B);
	expect_unit_exception(0xFF, read_reg0, sizeof(read_reg0), 0x0B);
}

static void test_unknown_unit_exception_or_silence(void **state)
{
	(void)state;
	load(two_servers);
	connect_to("198.18.0.10", "198.18.1.1");
	expect_unit_exception(5, read_reg0, sizeof(read_reg0), 0x0B);
	expect_unit_exception(200, BYTES(0x06, 0x00, 0x00, 0x00, 0x01), 0x0B);
	assert_int_equal(ctx.ctr.mb_exception_unknown_unit, 2);
	connect_to("198.18.0.21", "198.18.1.1");
	assert_int_equal(send_adu(1, 0, 3, read_reg0, sizeof(read_reg0)), 0);
	assert_int_equal(ctx.ctr.mb_drop_unknown_unit, 1);
	expect_unit_pdu(1, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0x00, 0x00));
}

/* Every server and unit holds registers of its own. */
static void test_units_are_distinct_devices(void **state)
{
	(void)state;
	load(two_servers);
	connect_to("198.18.0.20", "198.18.1.1");
	expect_unit_pdu(1, BYTES(0x06, 0x00, 0x05, 0x12, 0x34), BYTES(0x06, 0x00, 0x05, 0x12, 0x34));
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x05, 0x00, 0x01), BYTES(0x03, 0x02, 0x12, 0x34));
	expect_unit_pdu(2, BYTES(0x03, 0x00, 0x05, 0x00, 0x01), BYTES(0x03, 0x02, 0x00, 0x00));
	connect_to("198.18.0.21", "198.18.1.1");
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x05, 0x00, 0x01), BYTES(0x03, 0x02, 0x00, 0x00));
}

/* ---- tables: start addresses, protected ranges, identity, functions ---- */

static void test_example_device(void **state)
{
	(void)state;
	load_file(example_path);
	connect_to("198.18.0.10", "198.18.1.1");
	/* Input registers 1000..1049, each holding its address. */
	expect_unit_pdu(1, BYTES(0x04, 0x03, 0xE8, 0x00, 0x02), BYTES(0x04, 0x04, 0x03, 0xE8, 0x03, 0xE9));
	expect_unit_pdu(1, BYTES(0x04, 0x04, 0x19, 0x00, 0x01), BYTES(0x04, 0x02, 0x04, 0x19));
	expect_unit_exception(1, BYTES(0x04, 0x03, 0xE7, 0x00, 0x01), 0x02);
	expect_unit_exception(1, BYTES(0x04, 0x04, 0x19, 0x00, 0x02), 0x02);
	expect_unit_exception(1, BYTES(0x04, 0x00, 0x00, 0x00, 0x01), 0x02);
	/* Holding registers: the init list, then zeroes. */
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x00, 0x00, 0x04),
			BYTES(0x03, 0x08, 0x00, 100, 0x00, 200, 0x01, 0x2C, 0x00, 0x00));
	/* Identity: ProductCode is the server id of 0x11; private 0x80. */
	expect_unit_pdu(1, BYTES(0x11), BYTES(0x11, 0x06, 'P', 'L', 'C', '-', '1', 0xFF));
	expect_unit_pdu(1, BYTES(0x2B, 0x0E, 0x04, 0x80),
			BYTES(0x2B, 0x0E, 0x04, 0x83, 0x00, 0x00, 0x01, 0x80, 14, 'l', 'i', 'n', 'e', ' ',
			      '3', ',', ' ', 'c', 'e', 'l', 'l', ' ', '7'));
	/* Discrete inputs init "address": odd addresses on. */
	expect_unit_pdu(1, BYTES(0x02, 0x00, 0x00, 0x00, 0x08), BYTES(0x02, 0x01, 0xAA));
	/* The gateway switched Diagnostics off: exception 01 on every unit. */
	connect_to("198.18.0.11", "198.18.1.1");
	expect_unit_exception(4, BYTES(0x08, 0x00, 0x00, 0x12, 0x34), 0x01);
	expect_unit_pdu(4, BYTES(0x04, 0x00, 0x07, 0x00, 0x01), BYTES(0x04, 0x02, 0x00, 0x07));
}

static void test_protected_ranges_refuse_writes(void **state)
{
	(void)state;
	load_file(example_path);
	connect_to("198.18.0.10", "198.18.1.1");
	/* Holding registers 0..9 and 150 are protected. */
	expect_unit_exception(1, BYTES(0x06, 0x00, 0x09, 0x00, 0x01), 0x02);
	expect_unit_pdu(1, BYTES(0x06, 0x00, 0x0A, 0x00, 0x01), BYTES(0x06, 0x00, 0x0A, 0x00, 0x01));
	expect_unit_exception(1, BYTES(0x10, 0x00, 0x94, 0x00, 0x03, 0x06, 0, 1, 0, 2, 0, 3), 0x02);
	expect_unit_exception(1, BYTES(0x16, 0x00, 0x05, 0x00, 0xF2, 0x00, 0x25), 0x02);
	expect_unit_exception(1, BYTES(0x17, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x01, 0x02, 0, 9),
			      0x02);
	expect_unit_pdu(1, BYTES(0x10, 0x00, 0x97, 0x00, 0x02, 0x04, 0, 1, 0, 2),
			BYTES(0x10, 0x00, 0x97, 0x00, 0x02));
	/* Reads of protected registers are served, unchanged. */
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x00, 0x00, 0x01), BYTES(0x03, 0x02, 0x00, 100));
	/* Coils 0..7. */
	expect_unit_exception(1, BYTES(0x05, 0x00, 0x07, 0xFF, 0x00), 0x02);
	expect_unit_exception(1, BYTES(0x0F, 0x00, 0x04, 0x00, 0x08, 0x01, 0xFF), 0x02);
	expect_unit_pdu(1, BYTES(0x05, 0x00, 0x08, 0xFF, 0x00), BYTES(0x05, 0x00, 0x08, 0xFF, 0x00));
	expect_unit_pdu(1, BYTES(0x01, 0x00, 0x00, 0x00, 0x10), BYTES(0x01, 0x02, 0x00, 0x01));
	assert_int_equal(ctx.ctr.mb_refused_write_protected, 6);
}

static void test_read_only_sources(void **state)
{
	(void)state;
	load_file(example_path);
	/* MAP 7 exception 01 for a write from the read-only subnet. */
	connect_to("198.18.0.11", "198.19.5.7");
	assert_int_equal(peer.read_only, 1);
	expect_unit_exception(1, BYTES(0x06, 0x00, 0x00, 0x00, 0x01), 0x01);
	expect_unit_exception(1, BYTES(0x10, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x01), 0x01);
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x00, 0x00, 0x01), BYTES(0x03, 0x02, 0x00, 0x00));
	assert_int_equal(ctx.ctr.mb_refused_read_only_source, 2);
	/* The next subnet writes. */
	connect_to("198.18.0.11", "198.19.6.7");
	assert_int_equal(peer.read_only, 0);
	expect_unit_pdu(1, BYTES(0x06, 0x00, 0x00, 0x00, 0x01), BYTES(0x06, 0x00, 0x00, 0x00, 0x01));
	/* Another server with no read-only sources. */
	connect_to("198.18.0.10", "198.19.5.7");
	assert_int_equal(peer.read_only, 0);
}

/* A read-only source cannot silence a device either. */
static void test_read_only_source_cannot_change_diagnostics(void **state)
{
	(void)state;
	load(two_servers);
	peer = mb_model_peer(&dm.model, ip("198.18.0.10"), ip("198.18.1.1"));
	peer.read_only = 1;
	expect_unit_exception(3, BYTES(0x08, 0x00, 0x04, 0x00, 0x00), 0x01);
	expect_unit_exception(3, BYTES(0x08, 0x00, 0x0A, 0x00, 0x00), 0x01);
	expect_unit_pdu(3, BYTES(0x08, 0x00, 0x00, 0x12, 0x34), BYTES(0x08, 0x00, 0x00, 0x12, 0x34));
	expect_unit_pdu(3, BYTES(0x08, 0x00, 0x0E, 0x00, 0x00), BYTES(0x08, 0x00, 0x0E, 0x00, 0x04));
}

/* MAP 6.8 04: listen only is a unit's state, as on a real device. */
static void test_listen_only_per_unit(void **state)
{
	(void)state;
	load(two_servers);
	connect_to("198.18.0.10", "198.18.1.1");
	assert_int_equal(send_adu(1, 0, 3, BYTES(0x08, 0x00, 0x04, 0x00, 0x00)), 0);
	assert_int_equal(send_adu(2, 0, 3, read_reg0, sizeof(read_reg0)), 0);
	expect_unit_pdu(4, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0x00, 0x00));
	expect_unit_pdu(7, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0x00, 0x07));
	/* Unit 0 is unit 3 (its own unit): silent as well. */
	assert_int_equal(send_adu(3, 0, 0, read_reg0, sizeof(read_reg0)), 0);
	/* Another server's unit 1 is a different device. */
	connect_to("198.18.0.20", "198.18.1.1");
	expect_unit_pdu(1, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0x00, 0x00));
	/* 08/01 brings unit 3 back (unanswered, as it comes in listen only). */
	connect_to("198.18.0.10", "198.18.1.1");
	assert_int_equal(send_adu(4, 0, 3, BYTES(0x08, 0x00, 0x01, 0x00, 0x00)), 0);
	expect_unit_pdu(3, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0x00, 0x00));
	assert_int_equal(ctx.ctr.mb_no_response, 4);
}

static void test_functions_switched_off_per_unit(void **state)
{
	(void)state;
	load("servers:\n"
	     "  - address: 198.18.0.10\n"
	     "    disabled_functions: [0x17]\n"
	     "    units:\n"
	     "      - id: 1\n"
	     "        holding_registers: { count: 4 }\n"
	     "        disabled_functions: [6, 0x10]\n"
	     "      - id: 2\n"
	     "        holding_registers: { count: 4 }\n");
	connect_to("198.18.0.10", "198.18.1.1");
	expect_unit_exception(1, BYTES(0x06, 0x00, 0x00, 0x00, 0x01), 0x01);
	expect_unit_exception(1, BYTES(0x10, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x01), 0x01);
	expect_unit_pdu(2, BYTES(0x06, 0x00, 0x00, 0x00, 0x01), BYTES(0x06, 0x00, 0x00, 0x00, 0x01));
	expect_unit_exception(2, BYTES(0x17, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0, 1),
			      0x01);
	/* The switch also works at run time, per unit. */
	mb_function_enable(&dm.model.units[0], 0x06, 1);
	expect_unit_pdu(1, BYTES(0x06, 0x00, 0x00, 0x00, 0x02), BYTES(0x06, 0x00, 0x00, 0x00, 0x02));
}

/* Rules answer before the tables, in their windows of time, and timed
 * values land when their time has come, counted from the unit's first
 * request; a unit without a script is untouched. */
static void test_rules_and_sequences(void **state)
{
	uint64_t now = 5000000000ull; /* the first request: time 0 */

	(void)state;
	load("servers:\n"
	     "  - address: 198.18.0.10\n"
	     "    units:\n"
	     "      - id: 1\n"
	     "        holding_registers: { start: 5, count: 2, init: [9, 24] }\n"
	     "        rules:\n"
	     "          - { function: 0x08, sub: 0x0004, exception: 0x0B }\n"
	     "          - { function: 0x08, sub: 0x0001, until: 1.5, exception: 0x0B }\n"
	     "          - { function: 0x11, answer: \"03 41 42 FF\" }\n"
	     "          - { function: 0x2B, sub: 0x0E, answer: none }\n"
	     "          - { function: 0x03, addresses: [6, 6], from: 3, exception: 0x04 }\n"
	     "        sequences:\n"
	     "          - { table: holding_registers, address: 5, steps: [[1, 10], [2.5, 11]] }\n"
	     "      - id: 2\n"
	     "        holding_registers: { count: 1 }\n");
	ctx.clock = &now;
	connect_to("198.18.0.10", "198.18.1.1");
	expect_unit_exception(1, BYTES(0x08, 0x00, 0x04, 0x00, 0x00), 0x0B);
	expect_unit_exception(1, BYTES(0x08, 0x00, 0x01, 0x00, 0x00), 0x0B);
	expect_unit_pdu(1, BYTES(0x11), BYTES(0x11, 0x03, 0x41, 0x42, 0xFF));
	assert_int_equal(send_adu(1, 0, 1, BYTES(0x2B, 0x0E, 0x01, 0x00)), 0);
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x05, 0x00, 0x02), BYTES(0x03, 0x04, 0, 9, 0, 24));
	now += 1500000000ull; /* 1.5 s: the first step has landed, the 08/01 rule is over */
	expect_unit_pdu(1, BYTES(0x08, 0x00, 0x01, 0x00, 0x00), BYTES(0x08, 0x00, 0x01, 0x00, 0x00));
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x05, 0x00, 0x01), BYTES(0x03, 0x02, 0, 10));
	/* A master's write holds until the next step. */
	expect_unit_pdu(1, BYTES(0x06, 0x00, 0x05, 0x00, 0x63), BYTES(0x06, 0x00, 0x05, 0x00, 0x63));
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x05, 0x00, 0x01), BYTES(0x03, 0x02, 0, 0x63));
	now += 2000000000ull; /* 3.5 s */
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x05, 0x00, 0x01), BYTES(0x03, 0x02, 0, 11));
	expect_unit_exception(1, BYTES(0x03, 0x00, 0x06, 0x00, 0x01), 0x04);
	/* Unit 2 has no script: the default answers. */
	expect_unit_pdu(2, BYTES(0x03, 0x00, 0x00, 0x00, 0x01), BYTES(0x03, 0x02, 0, 0));
	assert_null(dm.model.units[1].script);
	assert_int_equal(dm.model.units[1].flags & MB_UNIT_SCRIPT, 0);
}

/* ---- the register store ---- */

static void test_store_shared_with_another_mapping(void **state)
{
	/* The model keeps a pointer to its name until the teardown frees it
	 * (and removes the store): the name must outlive this function. */
	static char name[64];
	char err[256];
	struct mbx_regs other;
	struct mbx_regs_unit *u;
	uint16_t v[2];

	(void)state;
	snprintf(name, sizeof(name), "mbxD-test-devmodel-%d", (int)getpid());
	write_file(two_servers);
	if (devmodel_load(&dm, path, name, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	ctx.model = &dm.model;
	assert_int_equal(mbx_regs_open(&other, name, err, sizeof(err)), 0);
	u = mbx_regs_find(&other, ip("198.18.0.21"), 2);
	assert_non_null(u);
	assert_ptr_equal(mbx_regs_find(&other, ip("198.18.0.21"), 0), u); /* own_unit 2 */
	/* A master's write is seen by the other process... */
	connect_to("198.18.0.21", "198.18.1.1");
	expect_unit_pdu(2, BYTES(0x10, 0x00, 0x03, 0x00, 0x02, 0x04, 0xCA, 0xFE, 0xBE, 0xEF),
			BYTES(0x10, 0x00, 0x03, 0x00, 0x02));
	assert_int_equal(mbx_regs_read(&other, u, MBX_REGS_HOLDING_REGISTERS, 3, 2, v), 0);
	assert_int_equal(v[0], 0xCAFE);
	assert_int_equal(v[1], 0xBEEF);
	/* ...and its writes are what the master reads. */
	v[0] = 0x0102;
	v[1] = 0x0304;
	assert_int_equal(mbx_regs_write(&other, u, MBX_REGS_HOLDING_REGISTERS, 8, 2, v), 0);
	expect_unit_pdu(2, BYTES(0x03, 0x00, 0x08, 0x00, 0x02), BYTES(0x03, 0x04, 1, 2, 3, 4));
	expect_unit_pdu(1, BYTES(0x03, 0x00, 0x08, 0x00, 0x02), BYTES(0x03, 0x04, 0, 0, 0, 0));
	mbx_regs_close(&other);
}

/* IPv6 servers in the store: another process finds them by their IPv6
 * address, and an IPv6-only server is not taken for one on every
 * address. */
static void test_store_ipv6_servers(void **state)
{
	static char name[64];
	char err[256];
	struct mbx_regs other;
	struct mbx_regs_unit *u;
	uint16_t v;

	(void)state;
	snprintf(name, sizeof(name), "mbxD-test-devmodel6-%d", (int)getpid());
	write_file(ipv6_servers);
	if (devmodel_load(&dm, path, name, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	ctx.model = &dm.model;
	assert_int_equal(mbx_regs_open(&other, name, err, sizeof(err)), 0);
	u = mbx_regs_select(&other, "2001:2::a:2", 1, err, sizeof(err));
	assert_non_null(u);
	assert_int_equal(u->server, 2);
	connect6_to("2001:2::a:2", "2001:2:1::1");
	expect_unit_pdu(1, BYTES(0x06, 0x00, 0x04, 0x0B, 0xAD), BYTES(0x06, 0x00, 0x04, 0x0B, 0xAD));
	assert_int_equal(mbx_regs_read(&other, u, MBX_REGS_HOLDING_REGISTERS, 4, 1, &v), 0);
	assert_int_equal(v, 0x0BAD);
	/* The dual-stack server by either address. */
	assert_ptr_equal(mbx_regs_select(&other, "2001:2::1e", 1, err, sizeof(err)),
			 mbx_regs_select(&other, "198.18.0.30", 1, err, sizeof(err)));
	assert_ptr_equal(mbx_regs_find(&other, ip("198.18.0.30"), 1),
			 mbx_regs_select(&other, "198.18.0.30", 1, err, sizeof(err)));
	/* No server on these: the IPv6-only ones answer no other address. */
	assert_null(mbx_regs_find(&other, ip("198.18.0.99"), 1));
	assert_null(mbx_regs_select(&other, "198.18.0.99", 1, err, sizeof(err)));
	assert_string_equal(err, "no server with address 198.18.0.99 in this model");
	assert_null(mbx_regs_select(&other, "2001:2::a:9", 1, err, sizeof(err)));
	assert_null(mbx_regs_select(&other, "2001:2::zz", 1, err, sizeof(err)));
	assert_string_equal(err, "server '2001:2::zz' is not an IPv4 or IPv6 address");
	mbx_regs_close(&other);
}

/* A writer that died holding a unit's seqlock: that unit answers busy
 * (exception 06, MAP 7) after a bounded wait; its neighbours are served. */
static void test_stuck_writer_makes_unit_busy(void **state)
{
	uint32_t *seq;

	(void)state;
	load(two_servers);
	connect_to("198.18.0.10", "198.18.1.1");
	seq = &dm.model.records[dm.model.servers[0].unit_index[7]].seq;
	assert_int_equal(mbx_regs_lock(seq), 0);
	expect_unit_exception(7, read_reg0, sizeof(read_reg0), 0x06);
	expect_unit_exception(7, BYTES(0x06, 0x00, 0x00, 0x00, 0x01), 0x06);
	expect_unit_pdu(3, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0x00, 0x00));
	mbx_regs_unlock(seq);
	assert_int_equal(ctx.ctr.mb_exception_busy, 2);
	/* MAP 6.8 sub-function 0x11: the unit counted its busy answers. */
	expect_unit_pdu(7, BYTES(0x08, 0x00, 0x11, 0x00, 0x00), BYTES(0x08, 0x00, 0x11, 0x00, 0x02));
	expect_unit_pdu(7, read_reg0, sizeof(read_reg0), BYTES(0x03, 0x02, 0x00, 0x07));
}

/* The example's 10,000 devices (1,000 addresses x 10 units): each keeps
 * what was written to it. */
static void test_ten_thousand_devices(void **state)
{
	uint8_t pdu[5] = { 0x06, 0x00, 0x00 };

	(void)state;
	load_file(example_path);
	assert_int_equal(dm.model.n_servers, 1002);
	assert_int_equal(dm.model.n_units, 1 + 10 + 10000);
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t a = 0; a < 1000; a++) {
			struct in_addr laddr = { .s_addr = htonl(ntohl(ip("198.18.4.0")) + a) };

			connect_to(inet_ntoa(laddr), "198.18.1.1");
			for (uint8_t u = 1; u <= 10; u++) {
				uint32_t device = a * 10 + u;

				pdu[3] = (uint8_t)(device >> 8);
				pdu[4] = (uint8_t)device;
				if (pass == 0)
					expect_unit_pdu(u, pdu, sizeof(pdu), pdu, sizeof(pdu));
				else
					expect_unit_pdu(u, read_reg0, sizeof(read_reg0),
							BYTES(0x03, 0x02, pdu[3], pdu[4]));
			}
		}
	}
	/* Unit 11 is unknown there, and stays silent. */
	assert_int_equal(send_adu(1, 0, 11, read_reg0, sizeof(read_reg0)), 0);
}

/* ---- the default model ---- */

/* Without a file: one device on every address, answering every unit id. */
static void test_default_model(void **state)
{
	(void)state;
	connect_to("198.18.9.9", "198.18.1.1");
	assert_int_equal(peer.no_server, 0);
	for (uint32_t u = 0; u < 256; u += 51)
		expect_unit_pdu((uint8_t)u, BYTES(0x03, 0x01, 0x02, 0x00, 0x01), BYTES(0x03, 0x02, 0x01, 0x02));
	expect_pdu(BYTES(0x06, 0x00, 0x01, 0x55, 0xAA), BYTES(0x06, 0x00, 0x01, 0x55, 0xAA));
	expect_unit_pdu(0xFF, BYTES(0x03, 0x00, 0x01, 0x00, 0x01), BYTES(0x03, 0x02, 0x55, 0xAA));
	expect_exception(BYTES(0x03, 0x00, 0x01, 0x00, 0x00), 0x03);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_files_name_file_and_line, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_missing_file, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_servers_by_address, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_servers_by_ipv6_address, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_ipv6_read_only_sources, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_one_ipv6_server, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_many_ipv6_servers, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_unit_ids_0_and_ff, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_unknown_unit_exception_or_silence, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_units_are_distinct_devices, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_example_device, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_protected_ranges_refuse_writes, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_read_only_sources, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_read_only_source_cannot_change_diagnostics, no_setup,
						cleanup),
		cmocka_unit_test_setup_teardown(test_listen_only_per_unit, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_functions_switched_off_per_unit, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_rules_and_sequences, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_store_shared_with_another_mapping, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_store_ipv6_servers, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_stuck_writer_makes_unit_busy, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_ten_thousand_devices, no_setup, cleanup),
		cmocka_unit_test_setup_teardown(test_default_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_model_ipv6, setup, teardown),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test_devmodel EXAMPLE.yaml\n");
		return 2;
	}
	example_path = argv[1];
	return cmocka_run_group_tests(tests, 0, 0);
}
