/* Encapsulated Interface Transport (MAP 6.19), of which only MEI type 0x0E,
 * Read Device Identification (MAP 6.21), is served; any other MEI type is
 * exception 01.
 *
 * Objects 0x00-0x02 are the basic category, 0x03-0x7F regular, 0x80-0xFF
 * extended (private). Stream access (read device id codes 01, 02, 03)
 * returns the present objects of that category and the ones below it from
 * the requested object id on, as many as fit one 253-byte PDU, with More
 * Follows and Next Object Id telling the client where to continue; a
 * requested id that is not a present object of the stream restarts it at 0.
 * Individual access (04) returns one object, exception 02 when it is not
 * present. */
#include <string.h>

#include "modbus_internal.h"

#define MB_MEI_READ_DEVICE_ID 0x0E
#define MB_DEVID_REQ_LEN 4u /* fc, MEI type, read device id code, object id */
#define MB_DEVID_HDR_LEN 7u /* + conformity, more follows, next id, number of objects */

enum {
	MB_DEVID_BASIC = 1,
	MB_DEVID_REGULAR = 2,
	MB_DEVID_EXTENDED = 3,
	MB_DEVID_INDIVIDUAL = 4,
};

#define MB_DEVID_LAST_BASIC 0x02
#define MB_DEVID_LAST_REGULAR 0x7F
#define MB_DEVID_LAST_EXTENDED 0xFF

#define MB_MORE_FOLLOWS 0xFF
#define MB_CONFORMITY_INDIVIDUAL 0x80 /* stream and individual access */

static int present(const struct mb_unit *u, uint32_t id)
{
	return u->id_objects[id].value != NULL;
}

/* MAP 6.21: the highest category with an object present, always with
 * individual access (0x81, 0x82, 0x83). */
static uint8_t conformity(const struct mb_unit *u)
{
	uint32_t id = MB_DEVID_LAST_EXTENDED;

	while (id > MB_DEVID_LAST_REGULAR && !present(u, id))
		id--;
	if (id > MB_DEVID_LAST_REGULAR)
		return MB_CONFORMITY_INDIVIDUAL | MB_DEVID_EXTENDED;
	while (id > MB_DEVID_LAST_BASIC && !present(u, id))
		id--;
	return MB_CONFORMITY_INDIVIDUAL |
	       (id > MB_DEVID_LAST_BASIC ? MB_DEVID_REGULAR : MB_DEVID_BASIC);
}

static uint32_t put_object(const struct mb_unit *u, uint32_t id, uint8_t *p)
{
	const struct mb_id_object *o = &u->id_objects[id];

	p[0] = (uint8_t)id;
	p[1] = o->len;
	memcpy(p + 2, o->value, o->len);
	return 2u + o->len;
}

static int read_device_id(const struct mb_unit *u, const uint8_t *pdu, uint8_t *out)
{
	uint8_t code = pdu[2];
	uint32_t id = pdu[3], last, pos = MB_DEVID_HDR_LEN;
	uint8_t n = 0;

	if (code < MB_DEVID_BASIC || code > MB_DEVID_INDIVIDUAL)
		return -MB_EX_ILLEGAL_VALUE;
	memcpy(out, pdu, 3);
	out[3] = conformity(u);
	out[4] = 0; /* More Follows: no */
	out[5] = 0; /* Next Object Id: 0 unless more follow */
	if (code == MB_DEVID_INDIVIDUAL) {
		if (!present(u, id))
			return -MB_EX_ILLEGAL_ADDRESS;
		out[6] = 1;
		return (int)(pos + put_object(u, id, out + pos));
	}
	last = code == MB_DEVID_BASIC     ? MB_DEVID_LAST_BASIC :
	       code == MB_DEVID_REGULAR ? MB_DEVID_LAST_REGULAR :
					    MB_DEVID_LAST_EXTENDED;
	if (id > last || !present(u, id))
		id = 0;
	for (; id <= last; id++) {
		if (!present(u, id))
			continue;
		if (pos + 2 + u->id_objects[id].len > MB_PDU_MAX) {
			out[4] = MB_MORE_FOLLOWS;
			out[5] = (uint8_t)id;
			break;
		}
		pos += put_object(u, id, out + pos);
		n++;
	}
	out[6] = n;
	return (int)pos;
}

int mb_encapsulated_interface(struct mb_ctx *ctx, const uint8_t *pdu, uint32_t len,
			      uint8_t *out)
{
	if (len < 2)
		return -MB_EX_ILLEGAL_VALUE;
	if (pdu[1] != MB_MEI_READ_DEVICE_ID)
		return -MB_EX_ILLEGAL_FUNCTION;
	if (len != MB_DEVID_REQ_LEN)
		return -MB_EX_ILLEGAL_VALUE;
	return read_device_id(ctx->unit, pdu, out);
}
