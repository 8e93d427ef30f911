/* Command line of the mbxdp program. */
#ifndef MBX_CLI_H
#define MBX_CLI_H

#include <stdint.h>

#include "port_impair.h"

#define CLI_MAX_PORTS 16
#define CLI_NAME_MAX 200 /* the instance name; files /dev/shm/<name>.* */

struct cli_options {
	const char *iface;
	uint32_t queue;
	int xdp_generic; /* 0: native (driver) mode, 1: generic (skb) mode */
	uint16_t ports[CLI_MAX_PORTS];
	uint32_t n_ports;
	uint32_t max_conns;
	int detach; /* --detach: remove a left-over program and exit */
	int impair; /* --impair given: wrap the port in port_impair.h */
	struct mbx_impair_config impair_cfg;
	const char *name; /* --name, or name_buf: mbxdp-<iface>-<queue> */
	char name_buf[CLI_NAME_MAX + 1];
	const char *config; /* --config: the device model file; NULL: the default image */
};

/* Parses argv. Returns 0 to run, 1 when --help or --version was answered
 * (exit 0), -1 on a usage error (message already printed; exit 2). */
int cli_parse(int argc, char **argv, struct cli_options *o);

#endif
