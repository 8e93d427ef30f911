/* JSON as the tools write it, through jansson: every string escaped as
 * JSON wants it (quotes, backslashes, control characters), whatever a
 * name, a file name or an interface description holds. */
#ifndef MBX_JSON_OUT_H
#define MBX_JSON_OUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* A JSON string of s. Bytes that are not UTF-8 (a file name can hold any)
 * become U+FFFD, so the string is always there; NULL gives JSON null. */
json_t *json_text(const char *s);

/* A counter: JSON integers are signed 64-bit in jansson. */
static inline json_t *json_count(uint64_t v)
{
	return json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v));
}

/* Writes v compactly on one line. 0, or -1 when the write failed. */
int json_print_line(const json_t *v, FILE *out);

#endif
