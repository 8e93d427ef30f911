#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

static int lookup_group(const char *opt, const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group *g;

	errno = 0;
	g = getgrnam(name);
	if (!g) {
		snprintf(err, errlen, "%s %s: no such group%s%s", opt, name, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return -1;
	}
	*gid = g->gr_gid;
	return 0;
}

int privs_resolve(struct privs *p, const char *user, const char *group, const char *writers,
		  char *err, size_t errlen)
{
	const struct passwd *pw;
	gid_t readers_gid, writers_gid;

	memset(p, 0, sizeof(*p));
	if (!user && geteuid() == 0)
		user = PRIVS_DEFAULT_USER;
	if (user) {
		errno = 0;
		pw = getpwnam(user);
		if (!pw) {
			snprintf(err, errlen, "--user %s: no such user%s%s", user, errno ? ": " : "",
				 errno ? strerror(errno) : "");
			return -1;
		}
		if (pw->pw_uid != geteuid() && geteuid() != 0) {
			snprintf(err, errlen, "--user %s: only root can become another user", user);
			return -1;
		}
		p->uid = pw->pw_uid;
		p->gid = pw->pw_gid;
		p->change_user = pw->pw_uid != geteuid();
		snprintf(p->user, sizeof(p->user), "%s", user);
	} else {
		p->uid = geteuid();
		p->gid = getegid();
	}
	readers_gid = p->gid;
	writers_gid = p->gid;
	if (group && lookup_group("--group", group, &readers_gid, err, errlen) < 0)
		return -1;
	if (writers && lookup_group("--writers", writers, &writers_gid, err, errlen) < 0)
		return -1;
	p->stats = (struct owned_file_mode){ p->uid, readers_gid, group ? 0640 : 0600 };
	p->regs = (struct owned_file_mode){ p->uid, writers_gid, writers ? 0660 : 0600 };
	p->capture = (struct owned_file_mode){ geteuid(), group ? readers_gid : getegid(),
					       group ? 0640 : 0600 };
	return 0;
}

/* The capability sets of this thread: CAP_NET_ADMIN alone, when it is
 * permitted now; nothing else, nothing inheritable. */
static int keep_net_admin(char *err, size_t errlen)
{
	cap_value_t keep = CAP_NET_ADMIN;
	cap_flag_value_t had = CAP_CLEAR;
	cap_t now = cap_get_proc(), caps = cap_init();
	int rc = -1;

	if (now && caps && cap_get_flag(now, keep, CAP_PERMITTED, &had) == 0 &&
	    (had == CAP_CLEAR || (cap_set_flag(caps, CAP_PERMITTED, 1, &keep, CAP_SET) == 0 &&
				  cap_set_flag(caps, CAP_EFFECTIVE, 1, &keep, CAP_SET) == 0)) &&
	    cap_set_proc(caps) == 0)
		rc = 0;
	else
		snprintf(err, errlen, "cannot give up capabilities: %s", strerror(errno));
	cap_free(now);
	cap_free(caps);
	return rc;
}

/* No capability but CAP_NET_ADMIN can come back through exec either. */
static int limit_bounding_set(char *err, size_t errlen)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		if (c != CAP_NET_ADMIN && CAP_IS_SUPPORTED(c) && cap_drop_bound(c) < 0) {
			snprintf(err, errlen, "cannot drop capability %d from the bounding set: %s",
				 (int)c, strerror(errno));
			return -1;
		}
	return 0;
}

int privs_drop(const struct privs *p, char *err, size_t errlen)
{
	cap_flag_value_t setpcap = CAP_CLEAR;
	cap_t now = cap_get_proc();

	/* Only a process that may change it (CAP_SETPCAP) limits the bounding
	 * set; without it, no-new-privileges closes the same door. */
	if (now)
		cap_get_flag(now, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
	cap_free(now);
	if (setpcap == CAP_SET && limit_bounding_set(err, errlen) < 0)
		return -1;
	if (p->change_user) {
		/* setuid() in glibc changes every thread; KEEPCAPS keeps this
		 * thread's permitted set across it, the others lose all. */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
		    setgid(p->gid) < 0 || setuid(p->uid) < 0) {
			snprintf(err, errlen, "cannot become user %s (uid %u, gid %u): %s", p->user,
				 (unsigned)p->uid, (unsigned)p->gid, strerror(errno));
			return -1;
		}
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	if (keep_net_admin(err, errlen) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot set no-new-privileges: %s", strerror(errno));
		return -1;
	}
	return 0;
}
