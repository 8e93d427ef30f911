/* peer_libmodbus_select: the Modbus/TCP server a libmodbus user writes, the
 * way libmodbus's own examples do: a select() loop over the listening socket
 * and the clients, modbus_receive() and modbus_reply() on whichever is
 * readable. libmodbus reads one ADU per modbus_receive(), so pipelined
 * requests are answered one select() round each. */
#include <stdio.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libmodbus_peer.h"

int main(int argc, char **argv)
{
	modbus_mapping_t *map;
	int listen_fd, fdmax;
	fd_set all;

	modbus_t *ctx = peer_open("peer_libmodbus_select", argc, argv, &listen_fd, &map);
	if (!ctx)
		return 1;
	FD_ZERO(&all);
	FD_SET(listen_fd, &all);
	fdmax = listen_fd;
	/* Bounded by the stop flag, checked at least every 100 ms. */
	while (!peer_stopping) {
		fd_set ready = all;
		struct timeval tv = { 0, 100000 };
		if (select(fdmax + 1, &ready, NULL, NULL, &tv) < 0)
			continue;
		for (int fd = 0; fd <= fdmax; fd++) {
			if (!FD_ISSET(fd, &ready))
				continue;
			if (fd == listen_fd) {
				int c = accept(listen_fd, NULL, NULL);
				if (c < 0)
					continue;
				if (c >= FD_SETSIZE) { /* select() cannot watch it */
					close(c);
					continue;
				}
				FD_SET(c, &all);
				if (c > fdmax)
					fdmax = c;
				continue;
			}
			if (peer_serve_one(ctx, fd, map) < 0) {
				close(fd);
				FD_CLR(fd, &all);
			}
		}
	}
	close(listen_fd);
	modbus_free(ctx);
	modbus_mapping_free(map);
	return 0;
}
