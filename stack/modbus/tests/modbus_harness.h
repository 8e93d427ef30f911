/* Shared by the Modbus unit tests: a fresh default device model per test
 * (one server, one unit answering every unit id, in an anonymous register
 * store), and requests sent as whole ADUs through mb_handle_adu() on a
 * read-write connection, the way the TCP stream hands them over. Included
 * once per test program. */
#ifndef MBX_MODBUS_HARNESS_H
#define MBX_MODBUS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devmodel.h"
#include "modbus/modbus.h"

/* A byte array literal and its length, as two arguments. */
#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

static struct devmodel dm;
static struct mb_ctx ctx;
static struct mb_unit *unit; /* the default model's one unit */
static struct mb_tables default_tables; /* its tables as built */
static struct mb_peer peer; /* server 0, may write */
static struct mb_id_object id_objects[256]; /* the unit's, for tests to change */
static const struct mb_id_object no_objects[256]; /* a device without any */
static uint8_t req[MB_ADU_MAX];
static uint8_t resp[MB_ADU_MAX];

static int setup(void **state)
{
	char err[256];

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	if (devmodel_build_default(&dm, NULL, err, sizeof(err)) < 0) {
		print_error("%s\n", err);
		return -1;
	}
	ctx.model = &dm.model;
	unit = &dm.model.units[0];
	memcpy(id_objects, unit->id_objects, sizeof(id_objects));
	unit->id_objects = id_objects;
	default_tables = unit->tables;
	peer = mb_model_peer(&dm.model, 0x010012c6 /* 198.18.0.1 */, 0x020012c6);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	devmodel_free(&dm);
	return 0;
}

/* Serves t (the test's own memory) as the unit's tables from now on. */
static inline void use_tables(const struct mb_tables *t)
{
	unit->tables = *t;
}

/* Sends one PDU in an ADU with the given MBAP fields; returns the response
 * length, 0 when unanswered. The response buffer is poisoned first, so a
 * byte the handler forgot to write shows. */
static uint32_t send_adu(uint16_t tid, uint16_t proto, uint8_t unit, const uint8_t *pdu,
			 size_t len)
{
	assert_true(len >= 1 && len <= MBAP_LEN_MAX - 1);
	req[0] = (uint8_t)(tid >> 8);
	req[1] = (uint8_t)tid;
	req[2] = (uint8_t)(proto >> 8);
	req[3] = (uint8_t)proto;
	req[4] = 0;
	req[5] = (uint8_t)(len + 1);
	req[6] = unit;
	memcpy(req + MBAP_HDR_LEN, pdu, len);
	assert_int_equal(mbap_adu_len(req), MBAP_HDR_LEN + len);
	memset(resp, 0xEE, sizeof(resp));
	return mb_handle_adu(&ctx, &peer, req, (uint32_t)(MBAP_HDR_LEN + len), resp);
}

/* Sends pdu (transaction 0x1234) to unit_id and checks the whole response
 * ADU: echoed MBAP fields, the length field, the response PDU byte for byte. */
static void expect_unit_pdu(uint8_t unit_id, const uint8_t *pdu, size_t len, const uint8_t *want,
			    size_t want_len)
{
	uint32_t n = send_adu(0x1234, 0, unit_id, pdu, len);
	const uint8_t mbap[MBAP_HDR_LEN] = { 0x12, 0x34, 0, 0, (uint8_t)((want_len + 1) >> 8),
					     (uint8_t)(want_len + 1), unit_id };

	assert_int_equal(n, MBAP_HDR_LEN + want_len);
	assert_memory_equal(resp, mbap, MBAP_HDR_LEN);
	assert_memory_equal(resp + MBAP_HDR_LEN, want, want_len);
}

/* The same for unit 0x11, which the default model's one unit answers. */
static void expect_pdu(const uint8_t *pdu, size_t len, const uint8_t *want, size_t want_len)
{
	expect_unit_pdu(0x11, pdu, len, want, want_len);
}

/* Expects the exception response: the function code with its top bit
 * set, then the exception code (MAP 7). */
static void expect_unit_exception(uint8_t unit_id, const uint8_t *pdu, size_t len, uint8_t code)
{
	const uint8_t want[2] = { (uint8_t)(pdu[0] | 0x80), code };

	expect_unit_pdu(unit_id, pdu, len, want, 2);
}

static void expect_exception(const uint8_t *pdu, size_t len, uint8_t code)
{
	expect_unit_exception(0x11, pdu, len, code);
}

#endif
