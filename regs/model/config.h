/* The device model as configured: what regs/model/config_load.c reads from a
 * YAML file (docs/usage.md, examples/devices.yaml) and regs/model/devmodel.c
 * builds the servers, units and the register store from. default_image.c
 * describes the default model the same way. */
#ifndef MBX_CONFIG_H
#define MBX_CONFIG_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "modbus/mb_device.h"
#include "modbus/mb_script.h"

/* The four data tables of MAP 4.3, in the order of mbx_regs_table_id. */
enum cfg_table_id {
	CFG_COILS,
	CFG_DISCRETE_INPUTS,
	CFG_HOLDING_REGISTERS,
	CFG_INPUT_REGISTERS,
	CFG_TABLES
};

/* Initial values: all 0, all one value, each entry its own address (bits:
 * address & 1; file records: the record number), or a list from the first
 * entry on (the rest 0). */
enum cfg_init { CFG_INIT_ZERO, CFG_INIT_VALUE, CFG_INIT_ADDRESS, CFG_INIT_LIST };

struct cfg_table {
	uint32_t start; /* Modbus address of the first entry */
	uint32_t count; /* 0: the unit has no such table (every address is exception 02) */
	enum cfg_init init;
	uint16_t value;
	uint16_t *list;
	uint32_t n_list;
	struct mb_range protect[MB_PROTECT_MAX]; /* coils and holding registers only */
	uint8_t n_protect;
};

/* A timed value of one entry (mb_script.h): steps by time. */
struct cfg_seq {
	enum cfg_table_id table;
	uint32_t address;
	struct mb_step *steps;
	uint32_t n_steps;
};

/* Units first_id..last_id, each with its own copy of these tables. */
struct cfg_unit {
	uint32_t first_id;
	uint32_t last_id;
	struct cfg_table table[CFG_TABLES];
	uint32_t n_files; /* files 1..n_files of MB_FILE_RECORDS records, initialised as CFG_INIT_ADDRESS */
	struct mb_id_object id_objects[256]; /* MAP 6.21; values owned by the cfg_model */
	uint8_t fc_disabled[256 / 8];
	struct mb_rule *rules; /* answers pointing into the cfg_model's strings */
	uint32_t n_rules;
	struct cfg_seq *seqs;
	uint32_t n_seqs;
};

/* What a unit id the server does not have gets: exception 0B, no answer,
 * or the server's own unit (a device that ignores the unit id). */
enum cfg_unknown_unit { CFG_UNKNOWN_UNIT_EXCEPTION, CFG_UNKNOWN_UNIT_SILENCE, CFG_UNKNOWN_UNIT_OWN };

#define CFG_OWN_UNIT_LOWEST 256 /* own_unit default: the lowest configured id */
#define CFG_OWN_UNIT_NONE 257 /* 0 and 0xFF are unknown units */

/* Servers on addresses first_addr..last_addr (host order), one each, all
 * alike; or on IPv6 addresses first6 and the n6 - 1 after it (the last 32
 * bits counting up); or one of each family (dual stack, server k on
 * first_addr + k and first6 + k); any_addr: one server answering every
 * address (the default). */
struct cfg_server {
	uint32_t first_addr; /* 0: no IPv4 address */
	uint32_t last_addr;
	uint8_t first6[16];
	uint64_t n6; /* 0: no IPv6 address */
	int any_addr;
	int line; /* of its entry, for errors found when the model is built */
	enum cfg_unknown_unit unknown_unit;
	uint32_t own_unit; /* unit id 0 and 0xFF reach (MIG 4.4.1.2), or CFG_OWN_UNIT_* */
	/* Sources by family: whose writes are refused; the allow-list. */
	struct mb_cidr read_only[MB_CIDRS_MAX];
	uint8_t n_read_only;
	struct mb_cidr allow[MB_CIDRS_MAX];
	uint8_t n_allow;
	struct mb_cidr6 read_only6[MB_CIDRS_MAX];
	uint8_t n_read_only6;
	struct mb_cidr6 allow6[MB_CIDRS_MAX];
	uint8_t n_allow6;
	struct cfg_unit *units;
	uint32_t n_units;
};

struct cfg_model {
	const char *file; /* for error messages; "(default)" for the built-in model */
	struct cfg_server *servers;
	uint32_t n_servers;
	char **strings; /* identification object values, owned */
	uint32_t n_strings;
};

/* Reads a device model file. Returns 0, or -1 with "FILE:LINE: problem" in
 * err (room bytes); *m is then empty. */
int config_load(const char *path, struct cfg_model *m, char *err, size_t room);
void config_free(struct cfg_model *m);

/* How many servers cs stands for: one per address of the family with
 * addresses (both have as many), one for any_addr. */
static inline uint64_t cfg_servers_of(const struct cfg_server *cs)
{
	if (cs->any_addr)
		return 1;
	return cs->first_addr ? (uint64_t)cs->last_addr - cs->first_addr + 1 : cs->n6;
}

/* The IPv6 address of cs's k-th server into out; 0 (out all zero) if it
 * has none. */
static inline int cfg_server_addr6(const struct cfg_server *cs, uint64_t k, uint8_t out[16])
{
	uint32_t low;

	memset(out, 0, 16);
	if (!cs->n6)
		return 0;
	memcpy(out, cs->first6, 16);
	memcpy(&low, out + 12, 4);
	low = htonl(ntohl(low) + (uint32_t)k);
	memcpy(out + 12, &low, 4);
	return 1;
}

#endif
