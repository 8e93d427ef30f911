#include "owned_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct owned_file_mode owned_file_private(void)
{
	return (struct owned_file_mode){ .uid = geteuid(), .gid = getegid(), .mode = 0600 };
}

/* Fails with "path: why"; a file this call created goes again. */
static int refuse(int fd, int created, const char *path, const char *why, char *err,
		  size_t errlen)
{
	snprintf(err, errlen, "%s: %s", path, why);
	if (created)
		unlink(path);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Why an existing file is not one to adopt, or NULL. */
static const char *foreign(const struct stat *st, const struct owned_file_mode *m, char *why,
			   size_t room)
{
	if (!S_ISREG(st->st_mode))
		return "exists and is not a regular file; remove it";
	if (st->st_nlink != 1)
		return "exists with another hard link; refusing to write through it (remove it)";
	if (st->st_uid != m->uid && st->st_uid != geteuid()) {
		snprintf(why, room, "exists and belongs to uid %u, not to mbxdp's user; remove it",
			 (unsigned)st->st_uid);
		return why;
	}
	if (st->st_mode & 07777 & ~m->mode) {
		snprintf(why, room, "exists with mode %04o, more open than %04o; remove it",
			 (unsigned)(st->st_mode & 07777), (unsigned)m->mode);
		return why;
	}
	return NULL;
}

int owned_file_open(const char *path, const struct owned_file_mode *m, char *err, size_t errlen)
{
	char why[160];
	const char *no;
	struct stat st;
	int created = 1, fd;
	struct owned_file_mode own = owned_file_private();

	if (!m)
		m = &own;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, m->mode);

	if (fd < 0 && errno == EEXIST) {
		/* What a killed run left, or a trap. O_NONBLOCK: a FIFO planted
		 * at the name must not block the open. */
		created = 0;
		fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && errno == ELOOP)
			return refuse(-1, 0, path, "is a symbolic link; refusing to follow it (remove it)",
				      err, errlen);
	}
	if (fd < 0)
		return refuse(-1, 0, path, strerror(errno), err, errlen);
	if (fstat(fd, &st) < 0)
		return refuse(fd, created, path, strerror(errno), err, errlen);
	if (!created && (no = foreign(&st, m, why, sizeof(why))))
		return refuse(fd, 0, path, no, err, errlen);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return refuse(fd, 0, path,
			      errno == EWOULDBLOCK ?
				      "held by a running mbxdp; give this one another --name" :
				      strerror(errno),
			      err, errlen);
	/* The creation mode went through the umask. The owner is the engine's
	 * user: it removes the file at exit, after it gave up root. The mode
	 * first: changing it needs no capability while the file is still ours. */
	if (fchmod(fd, m->mode) < 0 || fchown(fd, m->uid, m->gid) < 0) {
		snprintf(why, sizeof(why), "cannot give it owner %u, group %u, mode %04o: %s",
			 (unsigned)m->uid, (unsigned)m->gid, (unsigned)m->mode, strerror(errno));
		return refuse(fd, created, path, why, err, errlen);
	}
	return fd;
}
