/* Modbus/TCP client on libmodbus, the library most Modbus masters on Linux
 * use. It reads and writes with every function code libmodbus has a call
 * for (01..06, 0F, 10, 11, 16, 17) and checks the answers against the
 * server's default image (register i holds i, coil/discrete input i holds
 * i & 1). It writes only at addresses 2000..2099 and restores them.
 *
 *   mb_libmodbus_client HOST [--port P]             all function codes once
 *   mb_libmodbus_client HOST [--port P] --cycles N  N connect/read/close cycles
 *
 * HOST is an IPv4 or an IPv6 address (modbus_new_tcp_pi, as mbpoll uses).
 *
 * Exits 0 when every check passed, 1 otherwise (a FAIL line says which).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <modbus.h>

#define WRITE_BASE 2000
#define TABLE_SIZE 65536
#define MAX_FAILURES_SHOWN 10
#define MAX_FAILURES 20 /* a dead server would otherwise cost N timeouts */

static int failures;

static void fail(const char *what)
{
	if (++failures <= MAX_FAILURES_SHOWN)
		fprintf(stderr, "FAIL: mb_libmodbus_client: %s\n", what);
}

static int check_regs(const char *what, const uint16_t *got, int addr, int n,
		      const uint16_t *want)
{
	for (int i = 0; i < n; i++) {
		uint16_t w = want ? want[i] : (uint16_t)(addr + i);
		if (got[i] != w) {
			char msg[160];
			snprintf(msg, sizeof(msg), "%s: register %d is %u, want %u", what,
				 addr + i, got[i], w);
			fail(msg);
			return -1;
		}
	}
	return 0;
}

static int check_bits(const char *what, const uint8_t *got, int addr, int n,
		      const uint8_t *want)
{
	for (int i = 0; i < n; i++) {
		uint8_t w = want ? want[i] : (uint8_t)((addr + i) & 1);
		if (got[i] != w) {
			char msg[160];
			snprintf(msg, sizeof(msg), "%s: bit %d is %u, want %u", what, addr + i,
				 got[i], w);
			fail(msg);
			return -1;
		}
	}
	return 0;
}

/* rc is the libmodbus return value: the count on success, -1 with errno. */
static int call_ok(const char *what, int rc, int want)
{
	char msg[160];

	if (rc == want)
		return 0;
	if (rc < 0)
		snprintf(msg, sizeof(msg), "%s: %s", what, modbus_strerror(errno));
	else
		snprintf(msg, sizeof(msg), "%s: returned %d, want %d", what, rc, want);
	fail(msg);
	return -1;
}

static void check_reads(modbus_t *ctx)
{
	static const struct {
		int addr, n;
	} reg_ranges[] = { { 0, 10 }, { 0, 1 }, { 30000, MODBUS_MAX_READ_REGISTERS },
			   { TABLE_SIZE - 10, 10 } };
	static const struct {
		int addr, n;
	} bit_ranges[] = { { 0, 1 }, { 1, 1 }, { 5, 20 }, { 40000, MODBUS_MAX_READ_BITS },
			   { TABLE_SIZE - 13, 13 } };
	uint16_t regs[MODBUS_MAX_READ_REGISTERS];
	uint8_t bits[MODBUS_MAX_READ_BITS];
	char what[96];

	for (size_t i = 0; i < sizeof(reg_ranges) / sizeof(reg_ranges[0]); i++) {
		int a = reg_ranges[i].addr, n = reg_ranges[i].n;

		snprintf(what, sizeof(what), "FC03 read %d at %d", n, a);
		if (!call_ok(what, modbus_read_registers(ctx, a, n, regs), n))
			check_regs(what, regs, a, n, NULL);
		snprintf(what, sizeof(what), "FC04 read %d at %d", n, a);
		if (!call_ok(what, modbus_read_input_registers(ctx, a, n, regs), n))
			check_regs(what, regs, a, n, NULL);
	}
	for (size_t i = 0; i < sizeof(bit_ranges) / sizeof(bit_ranges[0]); i++) {
		int a = bit_ranges[i].addr, n = bit_ranges[i].n;

		snprintf(what, sizeof(what), "FC01 read %d at %d", n, a);
		if (!call_ok(what, modbus_read_bits(ctx, a, n, bits), n))
			check_bits(what, bits, a, n, NULL);
		snprintf(what, sizeof(what), "FC02 read %d at %d", n, a);
		if (!call_ok(what, modbus_read_input_bits(ctx, a, n, bits), n))
			check_bits(what, bits, a, n, NULL);
	}
}

static void check_register_writes(modbus_t *ctx)
{
	static const uint16_t vals[] = { 0x1234, 0xFFFF, 0x0000, 0x8000, 0x00FF };
	const int a = WRITE_BASE, n = (int)(sizeof(vals) / sizeof(vals[0]));
	uint16_t regs[8], want[8];

	if (!call_ok("FC06 write 0xABCD at 2000", modbus_write_register(ctx, a, 0xABCD), 1) &&
	    !call_ok("FC03 read back FC06", modbus_read_registers(ctx, a, 1, regs), 1)) {
		want[0] = 0xABCD;
		check_regs("FC06 read back", regs, a, 1, want);
	}
	if (!call_ok("FC04 after FC06", modbus_read_input_registers(ctx, a, 1, regs), 1))
		check_regs("FC06 must not change input registers", regs, a, 1, NULL);
	if (!call_ok("FC06 restore", modbus_write_register(ctx, a, a), 1) &&
	    !call_ok("FC03 read back FC06 restore", modbus_read_registers(ctx, a, 1, regs), 1))
		check_regs("FC06 restore read back", regs, a, 1, NULL);

	if (!call_ok("FC10 write 5 at 2001", modbus_write_registers(ctx, a + 1, n, vals), n) &&
	    !call_ok("FC03 read back FC10", modbus_read_registers(ctx, a, n + 2, regs), n + 2)) {
		want[0] = (uint16_t)a;
		memcpy(&want[1], vals, sizeof(vals));
		want[n + 1] = (uint16_t)(a + n + 1);
		check_regs("FC10 read back", regs, a, n + 2, want);
	}
	for (int i = 0; i < n; i++)
		want[i] = (uint16_t)(a + 1 + i);
	if (!call_ok("FC10 restore", modbus_write_registers(ctx, a + 1, n, want), n) &&
	    !call_ok("FC03 read back FC10 restore", modbus_read_registers(ctx, a + 1, n, regs), n))
		check_regs("FC10 restore read back", regs, a + 1, n, NULL);
}

static void check_coil_writes(modbus_t *ctx)
{
	static const uint8_t pattern[] = { 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0 };
	const int a = WRITE_BASE, n = (int)sizeof(pattern);
	uint8_t bits[16], want[16];

	/* Coil 2000 is even, so 0 by default. */
	if (!call_ok("FC05 ON at 2000", modbus_write_bit(ctx, a, 1), 1) &&
	    !call_ok("FC01 read back FC05", modbus_read_bits(ctx, a, 2, bits), 2)) {
		want[0] = 1;
		want[1] = 1;
		check_bits("FC05 ON read back", bits, a, 2, want);
	}
	if (!call_ok("FC02 after FC05", modbus_read_input_bits(ctx, a, 1, bits), 1))
		check_bits("FC05 must not change discrete inputs", bits, a, 1, NULL);
	if (!call_ok("FC05 OFF at 2000", modbus_write_bit(ctx, a, 0), 1) &&
	    !call_ok("FC01 read back FC05 OFF", modbus_read_bits(ctx, a, 1, bits), 1))
		check_bits("FC05 OFF read back", bits, a, 1, NULL);

	if (!call_ok("FC0F write 11 at 2003", modbus_write_bits(ctx, a + 3, n, pattern), n) &&
	    !call_ok("FC01 read back FC0F", modbus_read_bits(ctx, a + 2, n + 2, bits), n + 2)) {
		want[0] = (a + 2) & 1;
		memcpy(&want[1], pattern, sizeof(pattern));
		want[n + 1] = (a + 3 + n) & 1;
		check_bits("FC0F read back", bits, a + 2, n + 2, want);
	}
	for (int i = 0; i < n; i++)
		want[i] = (uint8_t)((a + 3 + i) & 1);
	if (!call_ok("FC0F restore", modbus_write_bits(ctx, a + 3, n, want), n) &&
	    !call_ok("FC01 read back FC0F restore", modbus_read_bits(ctx, a + 3, n, bits), n))
		check_bits("FC0F restore read back", bits, a + 3, n, NULL);
}

static void check_exception(modbus_t *ctx)
{
	uint16_t regs[2];

	/* Modbus Application Protocol v1.1b3, 6.3: start + quantity beyond the
	 * table is exception 02, which libmodbus reports as EMBXILADD. */
	errno = 0;
	if (modbus_read_registers(ctx, TABLE_SIZE - 1, 2, regs) != -1 || errno != EMBXILADD) {
		char msg[160];
		snprintf(msg, sizeof(msg), "FC03 read 2 at 65535: want exception 02, got '%s'",
			 errno ? modbus_strerror(errno) : "a normal response");
		fail(msg);
	}
}

/* Report Server ID (MAP 6.13), Mask Write Register (6.16) and Read/Write
 * Multiple registers (6.17). */
static void check_more_codes(modbus_t *ctx)
{
	/* Server id "MBXDP" (the ProductCode object), run indicator ON. */
	static const uint8_t server_id[] = { 'M', 'B', 'X', 'D', 'P', 0xFF };
	const int a = WRITE_BASE + 50;
	uint8_t id[MODBUS_MAX_PDU_LENGTH];
	uint16_t regs[4], want[4];

	if (!call_ok("FC11 report server id", modbus_report_slave_id(ctx, sizeof(id), id),
		     (int)sizeof(server_id)) &&
	    memcmp(id, server_id, sizeof(server_id)) != 0)
		fail("FC11: server id is not 'MBXDP' with run indicator 0xFF");

	/* MAP 6.16's masks on register 2050 (0x0802): (0x0802 & 0xF2) |
	 * (0x25 & ~0xF2) = 0x0007. */
	if (!call_ok("FC16 mask write at 2050", modbus_mask_write_register(ctx, a, 0x00F2, 0x0025),
		     1) &&
	    !call_ok("FC03 read back FC16", modbus_read_registers(ctx, a - 1, 3, regs), 3)) {
		want[0] = (uint16_t)(a - 1);
		want[1] = 0x0007;
		want[2] = (uint16_t)(a + 1);
		check_regs("FC16 read back", regs, a - 1, 3, want);
	}
	/* FC17 writes first: writing 2050..2051 back to their defaults and
	 * reading 2049..2052 in the same request reads the restored values. */
	want[0] = (uint16_t)a;
	want[1] = (uint16_t)(a + 1);
	if (!call_ok("FC17 write 2 at 2050, read 4 at 2049",
		     modbus_write_and_read_registers(ctx, a, 2, want, a - 1, 4, regs), 4))
		check_regs("FC17 read part", regs, a - 1, 4, NULL);
}

static int run_checks(modbus_t *ctx)
{
	if (modbus_connect(ctx) < 0) {
		char msg[160];
		snprintf(msg, sizeof(msg), "connect: %s", modbus_strerror(errno));
		fail(msg);
		return 1;
	}
	check_reads(ctx);
	check_register_writes(ctx);
	check_coil_writes(ctx);
	check_exception(ctx);
	check_more_codes(ctx);
	modbus_close(ctx);
	if (failures)
		return 1;
	printf("mb_libmodbus_client: all checks passed\n");
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each cycle is a whole client session: connect, one read, close, the way
 * a polling SCADA master that does not keep connections open behaves. */
static int run_cycles(modbus_t *ctx, long cycles)
{
	uint16_t regs[4];
	long ok = 0, done = 0;
	double t0 = now_s();

	for (; done < cycles && failures < MAX_FAILURES; done++) {
		int addr = (int)((done * 97) % (TABLE_SIZE - 4));
		char what[96];

		snprintf(what, sizeof(what), "cycle %ld: connect", done);
		if (call_ok(what, modbus_connect(ctx), 0))
			continue;
		snprintf(what, sizeof(what), "cycle %ld: FC03 read 4 at %d", done, addr);
		if (!call_ok(what, modbus_read_registers(ctx, addr, 4, regs), 4) &&
		    !check_regs(what, regs, addr, 4, NULL))
			ok++;
		modbus_close(ctx);
	}
	double dt = now_s() - t0;
	printf("cycles: %ld of %ld succeeded in %.3f s (%.0f cycles/s)\n", ok, cycles, dt,
	       dt > 0 ? (double)done / dt : 0.0);
	if (done < cycles)
		fprintf(stderr, "FAIL: mb_libmodbus_client: gave up after %d failures\n", failures);
	return ok == cycles ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: mb_libmodbus_client HOST [--port P] [--cycles N]\n");
}

int main(int argc, char **argv)
{
	const char *host = NULL;
	long port = MODBUS_TCP_DEFAULT_PORT, cycles = 0;

	for (int i = 1; i < argc; i++) {
		char *end;

		if ((!strcmp(argv[i], "--port") || !strcmp(argv[i], "--cycles")) && i + 1 < argc) {
			long v = strtol(argv[i + 1], &end, 10);
			if (*argv[i + 1] == '\0' || *end != '\0' || v < 1 ||
			    v > (argv[i][2] == 'p' ? 65535 : 10000000)) {
				usage();
				return 2;
			}
			*(argv[i][2] == 'p' ? &port : &cycles) = v;
			i++;
		} else if (argv[i][0] != '-' && !host) {
			host = argv[i];
		} else {
			usage();
			return 2;
		}
	}
	if (!host) {
		usage();
		return 2;
	}

	char service[8];

	snprintf(service, sizeof(service), "%ld", port);
	modbus_t *ctx = modbus_new_tcp_pi(host, service);
	if (!ctx) {
		fprintf(stderr, "FAIL: mb_libmodbus_client: modbus_new_tcp_pi: %s\n",
			modbus_strerror(errno));
		return 1;
	}
	modbus_set_slave(ctx, 1);
	modbus_set_response_timeout(ctx, 2, 0);

	int rc = cycles ? run_cycles(ctx, cycles) : run_checks(ctx);
	modbus_free(ctx);
	return rc;
}
