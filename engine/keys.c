#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

int keys_init(const char *path, uint8_t secret[STACK_SECRET_LEN], char *err, size_t errlen)
{
	uint8_t text[KEYS_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd;

	if (!path) {
		if (getrandom(secret, STACK_SECRET_LEN, 0) == STACK_SECRET_LEN)
			return 0;
		snprintf(err, errlen, "cannot get random bytes: %s", strerror(errno));
		return -1;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "--cookie-secret-file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		snprintf(err, errlen,
			 "--cookie-secret-file %s: not a regular file only its owner may read "
			 "(chmod 600 it)",
			 path);
		close(fd);
		return -1;
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n > 0 && text[n - 1] == '\n')
		n--;
	if (n < KEYS_FILE_MIN || n > KEYS_FILE_MAX) {
		snprintf(err, errlen, "--cookie-secret-file %s: wants %d to %d bytes of secret", path,
			 KEYS_FILE_MIN, KEYS_FILE_MAX);
		sodium_memzero(text, sizeof(text));
		return -1;
	}
	stack_secret_derive(text, (size_t)n, secret);
	sodium_memzero(text, sizeof(text));
	return 0;
}
