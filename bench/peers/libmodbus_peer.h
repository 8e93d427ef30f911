/* What the two libmodbus peers share: their command line and the default
 * image as a libmodbus mapping. */
#ifndef MBB_LIBMODBUS_PEER_H
#define MBB_LIBMODBUS_PEER_H

#include <modbus.h>
#include <signal.h>

/* Set by SIGINT and SIGTERM; the serving loops check it at least every
 * 100 ms. */
extern volatile sig_atomic_t peer_stopping;

/* Parses --addr A (an IPv4 or IPv6 address; default 0.0.0.0) and --port P
 * (default 502), installs the signal handlers, and returns a listening
 * libmodbus context with its socket in *listen_fd and the default image in
 * *map: coils and discrete inputs 0..65535 hold i & 1, holding and input
 * registers hold i. Prints a "serving" line when ready; on failure prints
 * why and returns NULL. */
modbus_t *peer_open(const char *name, int argc, char **argv, int *listen_fd,
		    modbus_mapping_t **map);

/* Reads one request from client socket fd and answers it, as a libmodbus
 * server does. Returns -1 when the client is gone (or sent a request
 * libmodbus cannot frame): the caller closes fd. */
int peer_serve_one(modbus_t *ctx, int fd, modbus_mapping_t *map);

#endif
