/* The default device image, served when no --config is given: one server
 * on every address, one unit answering every unit id, each of the four
 * Modbus data tables (MAP 4.3) with the full 16-bit address space, a few
 * files of records (MAP 6.14) and the identification objects (MAP 6.21). */
#ifndef MBX_DEFAULT_IMAGE_H
#define MBX_DEFAULT_IMAGE_H

#include "config.h"

#define DEFAULT_IMAGE_ENTRIES 65536u /* addresses 0..0xFFFF (MAP 4.4) */
#define DEFAULT_IMAGE_FILES 4u /* files 1..4, 80 KB of records */

/* Describes the default image, which needs no configuration: in every
 * table, entry i holds i (registers) or i & 1 (coils, discrete inputs), so a
 * client can tell from any value which address it read; record r of every
 * file holds r. *m points at static storage: do not config_free() it. */
void default_image_config(struct cfg_model *m);

/* The identification objects of a unit configured without any: VendorName
 * "mbxdp", ProductCode "MBXDP" and MajorMinorRevision the program's version
 * (basic conformity). */
void default_image_identity(struct mb_id_object ids[256]);

#endif
