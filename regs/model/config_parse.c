/* The checks of a node that every part of the device model reader shares
 * (config_parse.h): config_load.c reads servers, units and tables with them,
 * config_script.c a unit's rules and sequences. They sit below both so the
 * reader's files depend on them one way. */
#include "config_parse.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The four tables as the model file names them (keys of a unit, and the
 * table of a sequence). */
const char *const cfg_table_names[CFG_TABLES] = {
	[CFG_COILS] = "coils",
	[CFG_DISCRETE_INPUTS] = "discrete_inputs",
	[CFG_HOLDING_REGISTERS] = "holding_registers",
	[CFG_INPUT_REGISTERS] = "input_registers",
};

/* The first line of a node: its own token for a scalar, its first child's
 * otherwise (libfyaml gives marks to tokens, and collections start with
 * their first key or item). */
int line_of(struct fy_node *n)
{
	void *it = NULL;

	while (n && !fy_node_is_scalar(n)) {
		if (fy_node_is_mapping(n)) {
			struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);

			n = p ? fy_node_pair_key(p) : NULL;
		} else {
			n = fy_node_sequence_iterate(n, &it);
		}
		it = NULL;
	}
	if (n) {
		struct fy_token *t = fy_node_get_scalar_token(n);
		const struct fy_mark *mk = t ? fy_token_start_mark(t) : NULL;

		if (mk)
			return mk->line + 1;
	}
	return 0;
}

int fail(struct parse *p, struct fy_node *at, const char *fmt, ...)
{
	int k = snprintf(p->err, p->room, "%s:%d: ", p->file, line_of(at));
	va_list ap;

	if (k >= 0 && (size_t)k < p->room) {
		va_start(ap, fmt);
		vsnprintf(p->err + k, p->room - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A scalar's text, NUL-terminated in buf; NULL (and an error) when the node
 * is not a scalar or too long. */
const char *text(struct parse *p, struct fy_node *n, const char *what, char *buf, size_t room)
{
	size_t len;
	const char *s = fy_node_is_scalar(n) ? fy_node_get_scalar(n, &len) : NULL;

	if (!s) {
		fail(p, n, "%s must be a single value", what);
		return NULL;
	}
	if (len >= room) {
		fail(p, n, "%s is too long", what);
		return NULL;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

/* A number in decimal or 0x-hex within min..max. */
int number(struct parse *p, struct fy_node *n, const char *what, uint32_t min, uint32_t max,
	   uint32_t *out)
{
	char buf[32], *end;
	unsigned long v;

	if (!text(p, n, what, buf, sizeof(buf)))
		return -1;
	errno = 0;
	v = strtoul(buf, &end, 0);
	if (errno || buf[0] == '\0' || buf[0] == '-' || *end != '\0' || v < min || v > max)
		return fail(p, n, "%s must be a number from %u to %u, not '%s'", what, min, max, buf);
	*out = (uint32_t)v;
	return 0;
}
