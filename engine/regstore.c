#include "regstore.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MBXDP_VERSION
#define MBXDP_VERSION "0.1"
#endif

/* MAP 6.21 basic objects: VendorName, ProductCode, MajorMinorRevision. */
static const char *const default_id_objects[] = { "mbxdp", "MBXDP", MBXDP_VERSION };

/* One mapping holds the tables and the files, 16-bit entries first so they
 * are 2-byte aligned. Its size follows from the table sizes, so
 * regstore_free() needs nothing else. */
static size_t image_bytes(const struct mb_tables *t)
{
	return 2 * ((size_t)t->n_holding_regs + t->n_input_regs +
		    (size_t)t->n_files * MB_FILE_RECORDS) +
	       (t->n_coils + 7) / 8 + (t->n_discrete_inputs + 7) / 8;
}

int regstore_init_default(struct mb_tables *t)
{
	const uint32_t n = REGSTORE_DEFAULT_ENTRIES;
	uint8_t *base;

	memset(t, 0, sizeof(*t));
	t->n_coils = t->n_discrete_inputs = t->n_holding_regs = t->n_input_regs = n;
	t->n_files = REGSTORE_DEFAULT_FILES;
	base = mmap(NULL, image_bytes(t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	if (base == MAP_FAILED) {
		memset(t, 0, sizeof(*t));
		return -1;
	}
	t->holding_regs = (uint16_t *)base;
	t->input_regs = t->holding_regs + n;
	t->files = t->input_regs + n;
	t->coils = (uint8_t *)(t->files + (size_t)t->n_files * MB_FILE_RECORDS);
	t->discrete_inputs = t->coils + n / 8;
	for (uint32_t i = 0; i < n; i++)
		t->holding_regs[i] = t->input_regs[i] = htons((uint16_t)i);
	for (uint32_t f = 0; f < t->n_files; f++)
		for (uint32_t r = 0; r < MB_FILE_RECORDS; r++)
			t->files[f * MB_FILE_RECORDS + r] = htons((uint16_t)r);
	for (uint32_t id = 0; id < sizeof(default_id_objects) / sizeof(default_id_objects[0]);
	     id++) {
		t->id_objects[id].value = (const uint8_t *)default_id_objects[id];
		t->id_objects[id].len = (uint8_t)strlen(default_id_objects[id]);
	}
	/* Bit i of byte i / 8, least significant first (MAP 6.1): odd addresses
	 * are 1. */
	memset(t->coils, 0xAA, n / 8);
	memset(t->discrete_inputs, 0xAA, n / 8);
	return 0;
}

void regstore_free(struct mb_tables *t)
{
	if (t->holding_regs)
		munmap(t->holding_regs, image_bytes(t));
	memset(t, 0, sizeof(*t));
}
