#include "json_out.h"

#include <stdlib.h>
#include <string.h>

/* The length of the UTF-8 sequence at s (RFC 3629 4), 0 if none is. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

json_t *json_text(const char *s)
{
	json_t *v;
	size_t len, o = 0;
	char *fixed;

	if (!s)
		return json_null();
	v = json_string(s);
	if (v)
		return v;
	len = strlen(s);
	fixed = malloc(len * 3 + 1); /* each bad byte becomes 3 */
	if (!fixed)
		return json_null();
	for (size_t i = 0; i < len;) {
		size_t n = utf8_len((const unsigned char *)s + i, len - i);

		if (n) {
			memcpy(fixed + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(fixed + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	fixed[o] = 0;
	v = json_string(fixed);
	free(fixed);
	return v ? v : json_null();
}

int json_print_line(const json_t *v, FILE *out)
{
	if (json_dumpf(v, out, JSON_COMPACT | JSON_REAL_PRECISION(15)) < 0 || fputc('\n', out) == EOF)
		return -1;
	return 0;
}
