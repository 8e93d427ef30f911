/* peer_libmodbus_epoll: the libmodbus server of peer_libmodbus_select with
 * epoll in place of select(), as a libmodbus user with many clients writes
 * it: level-triggered, since modbus_receive() reads one ADU at a time and
 * leaves pipelined requests in the socket for the next round. */
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libmodbus_peer.h"

#define EVENTS_MAX 256

int main(int argc, char **argv)
{
	modbus_mapping_t *map;
	struct epoll_event ev[EVENTS_MAX];
	int listen_fd;

	modbus_t *ctx = peer_open("peer_libmodbus_epoll", argc, argv, &listen_fd, &map);
	if (!ctx)
		return 1;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event lev = { .events = EPOLLIN, .data.fd = listen_fd };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &lev) < 0) {
		perror("peer_libmodbus_epoll: epoll");
		return 1;
	}
	/* Bounded by the stop flag, checked at least every 100 ms. */
	while (!peer_stopping) {
		int n = epoll_wait(ep, ev, EVENTS_MAX, 100);
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;
			if (fd == listen_fd) {
				int c = accept(listen_fd, NULL, NULL);
				struct epoll_event cev = { .events = EPOLLIN, .data.fd = c };
				if (c >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) < 0)
					close(c);
				continue;
			}
			if (peer_serve_one(ctx, fd, map) < 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
			}
		}
	}
	close(ep);
	close(listen_fd);
	modbus_free(ctx);
	modbus_mapping_free(map);
	return 0;
}
