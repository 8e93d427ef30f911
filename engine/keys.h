/* The stack's keys (SYN cookie, connection hash): random for every run, or
 * derived from a secret file when a replay must repeat a run's cookies. */
#ifndef MBX_KEYS_H
#define MBX_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "stack.h"

#define KEYS_FILE_MIN 16 /* bytes of secret: no key is guessed from a short word */
#define KEYS_FILE_MAX 4096

/* Fills secret from the kernel's random source (path NULL) or from the
 * contents of path (one trailing newline left out), which must be a
 * regular file of KEYS_FILE_MIN..KEYS_FILE_MAX bytes that no one but its
 * owner may read. 0, or -1 with one line in err. */
int keys_init(const char *path, uint8_t secret[STACK_SECRET_LEN], char *err, size_t errlen);

#endif
