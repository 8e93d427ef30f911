#include "pcapng.h"

#include <string.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define LINKTYPE_ETHERNET 1
#define OPT_END 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2

static uint32_t pad4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

/* Appends an option (code, length, value padded to 32 bits) at p. */
static uint32_t option(uint8_t *p, uint16_t code, const void *val, uint16_t len)
{
	memcpy(p, &code, 2);
	memcpy(p + 2, &len, 2);
	memset(p + 4, 0, pad4(len));
	if (len)
		memcpy(p + 4, val, len);
	return 4 + pad4(len);
}

/* Writes a block: type, total length, body, total length again. */
static int block(FILE *f, uint32_t type, const uint8_t *body, uint32_t len)
{
	uint32_t total = 12 + len;

	return fwrite(&type, 4, 1, f) == 1 && fwrite(&total, 4, 1, f) == 1 &&
			       (len == 0 || fwrite(body, len, 1, f) == 1) && fwrite(&total, 4, 1, f) == 1
		       ? 0
		       : -1;
}

int pcapng_write_header(FILE *f, const char *ifname, uint32_t snaplen)
{
	static const char appl[] = "mbxdp " MBXDP_VERSION;
	uint8_t b[512];
	uint32_t n = 0, magic = BYTE_ORDER_MAGIC;
	uint16_t major = 1, minor = 0, linktype = LINKTYPE_ETHERNET, reserved = 0;
	uint64_t section_len = UINT64_MAX; /* not given */
	uint8_t tsresol = 9; /* 10^-9 s */
	size_t name_len = strlen(ifname) < 256 ? strlen(ifname) : 255;

	memcpy(b, &magic, 4);
	memcpy(b + 4, &major, 2);
	memcpy(b + 6, &minor, 2);
	memcpy(b + 8, &section_len, 8);
	n = 16;
	n += option(b + n, OPT_SHB_USERAPPL, appl, sizeof(appl) - 1);
	n += option(b + n, OPT_END, NULL, 0);
	if (block(f, BT_SHB, b, n) < 0)
		return -1;
	memcpy(b, &linktype, 2);
	memcpy(b + 2, &reserved, 2);
	memcpy(b + 4, &snaplen, 4);
	n = 8;
	n += option(b + n, OPT_IF_NAME, ifname, (uint16_t)name_len);
	n += option(b + n, OPT_IF_TSRESOL, &tsresol, 1);
	n += option(b + n, OPT_END, NULL, 0);
	return block(f, BT_IDB, b, n);
}

int pcapng_write_packet(FILE *f, uint64_t ts_ns, const uint8_t *data, uint32_t len, uint32_t dir)
{
	uint32_t head[5] = { 0, (uint32_t)(ts_ns >> 32), (uint32_t)ts_ns, len, len };
	uint32_t type = BT_EPB, total = 12 + 20 + pad4(len) + 8 + 4;
	uint8_t opts[12], zero[3] = { 0 };
	uint32_t nopt = option(opts, OPT_EPB_FLAGS, &dir, 4);

	nopt += option(opts + nopt, OPT_END, NULL, 0);
	return fwrite(&type, 4, 1, f) == 1 && fwrite(&total, 4, 1, f) == 1 &&
			       fwrite(head, sizeof(head), 1, f) == 1 && (!len || fwrite(data, len, 1, f) == 1) &&
			       (pad4(len) == len || fwrite(zero, pad4(len) - len, 1, f) == 1) &&
			       fwrite(opts, nopt, 1, f) == 1 && fwrite(&total, 4, 1, f) == 1
		       ? 0
		       : -1;
}
