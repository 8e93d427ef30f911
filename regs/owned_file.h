/* Files in shared places (/dev/shm, a capture directory) that mbxdp writes
 * while other users may create names there too.
 *
 * A file is created with O_CREAT | O_EXCL | O_NOFOLLOW, so a symbolic link
 * or a file someone else planted at the predictable name is never followed
 * nor written through. A file that is already there (what a killed run left)
 * is adopted only when it is a regular file with one link, owned by the
 * engine's user or by the user who started it, and allows nothing beyond
 * the mode it would be given; anything else is refused with one line and
 * left untouched. The file is then locked (flock, exclusive: a second
 * engine with the same name is refused while the first runs, and readers
 * tell a live file from a dead one's) and given the owner, group and mode
 * asked for. Nothing is truncated here: the caller does that. */
#ifndef MBX_OWNED_FILE_H
#define MBX_OWNED_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Who owns a file mbxdp writes, and who else may read or write it. */
struct owned_file_mode {
	uid_t uid; /* the engine's user: the owner, who may also unlink it at exit */
	gid_t gid; /* the group that may read (0640) or write (0660) it */
	mode_t mode; /* 0600 by default */
};

/* The caller's own user and group, mode 0600: for a process that stays
 * who it is (tests, tools). */
struct owned_file_mode owned_file_private(void);

/* Opens and locks path read-write as above, for m (NULL:
 * owned_file_private()). Returns the descriptor (O_CLOEXEC), or -1 with
 * "PATH: reason" in err. */
int owned_file_open(const char *path, const struct owned_file_mode *m, char *err, size_t errlen);

#endif
