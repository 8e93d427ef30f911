/* Command line of the mbxdp program. */
#ifndef MBX_CLI_H
#define MBX_CLI_H

#include <stdint.h>

#include "conn_policy.h"
#include "port_impair.h"

#define CLI_MAX_PORTS 16

struct cli_options {
	const char *iface;
	uint32_t queue;
	int xdp_generic; /* 0: native (driver) mode, 1: generic (skb) mode */
	uint16_t ports[CLI_MAX_PORTS];
	uint32_t n_ports;
	uint32_t max_conns;
	struct conn_policy_config policy; /* limits, timeouts, close, keepalive */
	int detach; /* --detach: remove a left-over program and exit */
	int impair; /* --impair given: wrap the port in port_impair.h */
	struct mbx_impair_config impair_cfg;
};

/* Parses argv. Returns 0 to run, 1 when --help or --version was answered
 * (exit 0), -1 on a usage error (message already printed; exit 2). */
int cli_parse(int argc, char **argv, struct cli_options *o);

#endif
