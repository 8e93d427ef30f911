/* The device image the server answers from: the four Modbus data tables
 * (MAP 4.3), each with the full 16-bit address space, a few files of
 * records (MAP 6.14) and the identification objects (MAP 6.21). */
#ifndef MBX_REGSTORE_H
#define MBX_REGSTORE_H

#include "modbus.h"

#define REGSTORE_DEFAULT_ENTRIES 65536u /* addresses 0..0xFFFF (MAP 4.4) */
#define REGSTORE_DEFAULT_FILES 4u /* files 1..4, 80 KB of records */

/* Allocates the default image, which needs no configuration: in every
 * table, entry i holds i (registers) or i & 1 (coils, discrete inputs), so a
 * client can tell from any value which address it read; record r of every
 * file holds r. The identification objects are VendorName "mbxdp",
 * ProductCode "MBXDP" and MajorMinorRevision the program's version (basic
 * conformity). Returns 0, or -1 with errno set when the memory cannot be
 * had. */
int regstore_init_default(struct mb_tables *t);

/* Releases what regstore_init_default() allocated and zeroes *t. Safe on a
 * zeroed *t, so one error path serves a set-up that failed part way. */
void regstore_free(struct mb_tables *t);

#endif
