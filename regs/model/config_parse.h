/* Private to the device model reader (config_load.c, config_script.c): the
 * parse state and the helpers that check a node and report
 * "FILE:LINE: problem" (config_parse.c). */
#ifndef MBX_CONFIG_PARSE_H
#define MBX_CONFIG_PARSE_H

#include <libfyaml.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct parse {
	const char *file;
	char *err;
	size_t room;
	struct cfg_model *m;
};

extern const char *const cfg_table_names[CFG_TABLES];

/* The first line of a node (1-based), 0 when unknown. */
int line_of(struct fy_node *n);
/* Writes "FILE:LINE: message" and returns -1. */
__attribute__((format(printf, 3, 4))) int fail(struct parse *p, struct fy_node *at,
					       const char *fmt, ...);
/* A scalar's text in buf, or NULL after an error. */
const char *text(struct parse *p, struct fy_node *n, const char *what, char *buf, size_t room);
/* A number in decimal or 0x-hex within min..max. */
int number(struct parse *p, struct fy_node *n, const char *what, uint32_t min, uint32_t max,
	   uint32_t *out);

/* config_script.c: a unit's rules and sequences (mb_script.h). */
int config_rules(struct parse *p, struct fy_node *n, struct cfg_unit *u);
int config_sequences(struct parse *p, struct fy_node *n, struct cfg_unit *u);
/* Once the unit is read: every sequence's entry lies in its table. */
int config_sequences_check(struct parse *p, struct fy_node *n, const struct cfg_unit *u);

#endif
