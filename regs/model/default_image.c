#include "default_image.h"

#include <string.h>

#ifndef MBXDP_VERSION
#define MBXDP_VERSION "0.1"
#endif

/* MAP 6.21 basic objects: VendorName, ProductCode, MajorMinorRevision. */
static const char *const default_id_objects[] = { "mbxdp", "MBXDP", MBXDP_VERSION };

void default_image_identity(struct mb_id_object ids[256])
{
	memset(ids, 0, 256 * sizeof(*ids));
	for (uint32_t id = 0; id < sizeof(default_id_objects) / sizeof(default_id_objects[0]); id++) {
		ids[id].value = (const uint8_t *)default_id_objects[id];
		ids[id].len = (uint8_t)strlen(default_id_objects[id]);
	}
}

void default_image_config(struct cfg_model *m)
{
	static struct cfg_unit unit;
	static struct cfg_server server;

	memset(&unit, 0, sizeof(unit));
	unit.first_id = unit.last_id = 1;
	for (int t = 0; t < CFG_TABLES; t++) {
		unit.table[t].count = DEFAULT_IMAGE_ENTRIES;
		unit.table[t].init = CFG_INIT_ADDRESS;
	}
	unit.n_files = DEFAULT_IMAGE_FILES;
	default_image_identity(unit.id_objects);
	memset(&server, 0, sizeof(server));
	server.any_addr = 1;
	server.unknown_unit = CFG_UNKNOWN_UNIT_OWN; /* every unit id reaches the one unit */
	server.own_unit = 1;
	server.units = &unit;
	server.n_units = 1;
	memset(m, 0, sizeof(*m));
	m->file = "(default model)";
	m->servers = &server;
	m->n_servers = 1;
}
