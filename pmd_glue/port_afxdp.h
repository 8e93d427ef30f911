/* The AF_XDP backend of struct mbx_port: one AF_XDP socket on one receive
 * queue, fed by mbxdp's own XDP program (xdp/loader.h), on libxdp's xsk API.
 * Zero-copy where the driver offers it, copy mode otherwise (the kernel
 * picks; mbx_afxdp_mode_name() tells which). */
#ifndef MBX_PORT_AFXDP_H
#define MBX_PORT_AFXDP_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"
#include "port.h"

struct mbx_afxdp_config {
	const char *ifname;
	uint32_t queue; /* receive queue to bind */
	int generic; /* 0: native (driver) XDP, 1: generic (skb) XDP */
	const uint16_t *ports; /* served TCP ports, host order */
	uint32_t n_ports;
	const struct mbx_xdp_addr *addrs; /* served addresses; none: any (see loader.h) */
	uint32_t n_addrs;
	const struct mbx_xdp_cidr *allow; /* allow-lists of the servers */
	uint32_t n_allow;
	const char *bpf_obj_path; /* NULL: mbx_xdp_default_obj_path() */
};

/* Attaches the XDP program, sets up the umem and the socket, and returns the
 * port; mbx_port_close() undoes all of it, detaching the program first. On
 * failure returns NULL with a one-line reason in err, nothing left attached. */
struct mbx_port *mbx_afxdp_open(const struct mbx_afxdp_config *cfg, char *err, size_t errlen);

/* "zero-copy" or "copy": what the kernel gave the socket. */
const char *mbx_afxdp_mode_name(const struct mbx_port *p);

/* The AF_XDP socket, to sleep on with poll() (POLLIN: the rx ring has
 * frames). */
int mbx_afxdp_fd(const struct mbx_port *p);

/* Takes the XDP program off the interface and nothing else: for a fatal
 * signal handler (see mbx_xdp_unhook). */
void mbx_afxdp_unhook(const struct mbx_port *p);

/* The XDP program's counters; read them before mbx_port_close(). 0 on
 * success, -1 with errno set. */
int mbx_afxdp_xdp_counters(const struct mbx_port *p, struct mbx_xdp_counters *out);

#endif
