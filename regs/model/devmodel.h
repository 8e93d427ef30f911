/* Builds the device model (stack/modbus/mb_device.h) and its register store
 * (regs/mbx_regs.h) from a configured model (config.h): one server per
 * configured address, one unit per configured unit id on each, every unit
 * with tables of its own in the store. */
#ifndef MBX_DEVMODEL_H
#define MBX_DEVMODEL_H

#include <stddef.h>

#include "config.h"
#include "modbus/mb_device.h"
#include "mbx_regs.h"

#define DEVMODEL_MAX_SERVERS (1u << 20)
#define DEVMODEL_MAX_UNITS ((1u << 22) - 1) /* mb_peer.unit has 22 bits */

struct devmodel {
	struct mb_model model;
	struct mbx_regs store;
	const char *name; /* the store's name, NULL for an anonymous store */
	struct cfg_model cfg; /* what devmodel_load() read; the model points into it */
	int cfg_loaded;
	/* The store file's owner and mode (owned_file.h); NULL: the caller's,
	 * 0600. Set after devmodel_configure(), before devmodel_build(). */
	const struct owned_file_mode *files;
};

/* For the XDP side (steering, allow-lists): one entry per server. Neither
 * address: any address (the default model). */
struct mb_server_addr {
	uint32_t addr; /* IPv4, network order; 0: none */
	uint8_t addr6[16]; /* with has_addr6 */
	int has_addr6;
	const struct mb_cidr *allow;
	uint32_t n_allow; /* none of either family: every source allowed */
	const struct mb_cidr6 *allow6;
	uint32_t n_allow6;
};

/* The servers of d->cfg, numbered as devmodel_build() numbers them (entry
 * i is the model's server i), so it can be called once the file is read,
 * before the backend opens. Fills out[0..max); returns how many servers
 * there are (which may exceed max). */
uint32_t devmodel_server_addrs(const struct devmodel *d, struct mb_server_addr *out, uint32_t max);

/* Reads the device model file config_path (NULL: the default model) into
 * d->cfg, building nothing yet: mbxdp checks its file before it touches
 * the interface. Returns 0, or -1 with "FILE:LINE: problem" in err. */
int devmodel_configure(struct devmodel *d, const char *config_path, char *err, size_t room);

/* devmodel_configure(), then devmodel_build() of d->cfg into the store
 * called name. */
int devmodel_load(struct devmodel *d, const char *config_path, const char *name, char *err,
		  size_t room);

/* Builds the model of cfg into a store named name (/dev/shm/<name>.regs;
 * NULL: anonymous, for tests and benchmarks). cfg must outlive the model
 * (identification objects point into it); it may be d->cfg. Returns 0, or
 * -1 with a message in err. */
int devmodel_build(struct devmodel *d, const struct cfg_model *cfg, const char *name, char *err,
		   size_t room);

/* The default model (default_image.h) into a store named name. */
int devmodel_build_default(struct devmodel *d, const char *name, char *err, size_t room);

/* Releases the model and what devmodel_load() read, unmaps the store and
 * removes its file. Safe on a zeroed *d. */
void devmodel_free(struct devmodel *d);

#endif
