#include "libmodbus_peer.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#define ENTRIES 65536

volatile sig_atomic_t peer_stopping;

static void on_signal(int sig)
{
	(void)sig;
	peer_stopping = 1;
}

modbus_t *peer_open(const char *name, int argc, char **argv, int *listen_fd,
		    modbus_mapping_t **map)
{
	static const struct option longopts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *addr = "0.0.0.0";
	long port = 502;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "a:p:", longopts, NULL)) != -1) {
		if (opt == 'a') {
			addr = optarg;
		} else if (opt == 'p') {
			port = strtol(optarg, &end, 10);
			if (*end || port < 1 || port > 65535) {
				fprintf(stderr, "%s: bad port '%s'\n", name, optarg);
				return NULL;
			}
		} else {
			fprintf(stderr, "usage: %s [--addr A] [--port P]\n", name);
			return NULL;
		}
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	*map = modbus_mapping_new_start_address(0, ENTRIES, 0, ENTRIES, 0, ENTRIES, 0, ENTRIES);
	if (!*map) {
		fprintf(stderr, "%s: %s\n", name, modbus_strerror(errno));
		return NULL;
	}
	for (unsigned i = 0; i < ENTRIES; i++) {
		(*map)->tab_bits[i] = (*map)->tab_input_bits[i] = (uint8_t)(i & 1);
		(*map)->tab_registers[i] = (*map)->tab_input_registers[i] = (uint16_t)i;
	}
	/* The protocol-independent context: --addr of either family. */
	char service[8];
	snprintf(service, sizeof(service), "%ld", port);
	modbus_t *ctx = modbus_new_tcp_pi(addr, service);
	if (!ctx || (*listen_fd = modbus_tcp_pi_listen(ctx, 1024)) < 0) {
		fprintf(stderr, "%s: cannot listen on %s:%ld: %s\n", name, addr, port,
			modbus_strerror(errno));
		if (ctx)
			modbus_free(ctx);
		modbus_mapping_free(*map);
		return NULL;
	}
	printf("%s: serving on %s:%ld\n", name, addr, port);
	fflush(stdout);
	return ctx;
}

int peer_serve_one(modbus_t *ctx, int fd, modbus_mapping_t *map)
{
	uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
	int rc;

	modbus_set_socket(ctx, fd);
	rc = modbus_receive(ctx, query);
	if (rc > 0)
		modbus_reply(ctx, query, rc, map);
	return rc < 0 ? -1 : 0;
}
