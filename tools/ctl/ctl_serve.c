/* mbxdp-ctl serve: answers Prometheus' scrapes of one engine over HTTP
 * (libmicrohttpd), off the engine's data path: every GET /metrics maps the
 * engine's stats file afresh, checks it and writes the reading in the text
 * exposition format (ctl_metrics.c). A restarted engine is seen at the
 * next scrape; while none runs, the answer is 503.
 *
 * One server thread handles every request in turn (libmicrohttpd's
 * internal polling thread) with a bounded number of connections, each with
 * a timeout, so a scraper that hangs costs a slot, not a thread. */
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"

#define SERVE_CONNECTIONS_MAX 16
#define SERVE_TIMEOUT_S 10
#define PROMETHEUS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The reading as the exposition text in a malloc'd buffer; NULL with the
 * reason in err (no such engine, a damaged file, a reader outrun). */
static char *scrape(const struct ctl_target *t, size_t *len, char *err, size_t errlen)
{
	struct ctl_map m;
	struct mbx_stats_worker *cur = NULL, *parts = NULL;
	struct mbx_stats_xdp xdp;
	char *text = NULL;
	FILE *out;

	if (ctl_map_open(t, "stats", &m, err, errlen) < 0)
		return NULL;
	if (ctl_stats_check(t, &m, err, errlen) < 0)
		goto out;
	cur = aligned_alloc(64, sizeof(*cur));
	parts = ctl_alloc_parts(((const struct mbx_stats_shm *)m.addr)->n_workers);
	if (!cur || !parts) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (ctl_read_engine(m.addr, cur, &xdp, parts) < 0) {
		snprintf(err, errlen, "the counters kept changing under the reader");
		goto out;
	}
	out = open_memstream(&text, len);
	if (!out) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ctl_prometheus(out, t->name, ctl_map_alive(&m), m.addr, cur, &xdp);
	if (fclose(out) != 0) {
		free(text);
		text = NULL;
		snprintf(err, errlen, "out of memory");
	}
out:
	free(cur);
	free(parts);
	ctl_map_close(&m);
	return text;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
			     const char *type, int must_free)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!r) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **state)
{
	const struct ctl_target *t = cls;
	char err[512], *body;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics is served\n", 28,
			     "text/plain", 0);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "only /metrics is served\n", 24, "text/plain", 0);
	body = scrape(t, &len, err, sizeof(err));
	if (!body) {
		body = malloc(sizeof(err) + 1);
		if (!body)
			return MHD_NO;
		len = (size_t)snprintf(body, sizeof(err) + 1, "%s\n", err);
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, body, len, "text/plain", 1);
	}
	return reply(c, MHD_HTTP_OK, body, len, PROMETHEUS_TYPE, 1);
}

/* ADDR:PORT or [ADDR6]:PORT, numeric only: a listening socket, bound. */
static int listen_on(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM },
			*res;
	char host[128];
	const char *colon = strrchr(spec, ':');
	size_t hlen = colon ? (size_t)(colon - spec) : 0;
	int fd, one = 1, rc;

	if (hlen >= 2 && spec[0] == '[' && spec[hlen - 1] == ']') {
		spec++;
		hlen -= 2;
	}
	if (!colon || hlen == 0 || hlen >= sizeof(host) || !colon[1]) {
		snprintf(err, errlen, "--listen wants ADDR:PORT or [ADDR6]:PORT");
		return -1;
	}
	memcpy(host, spec, hlen);
	host[hlen] = 0;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "--listen %s:%s: %s", host, colon + 1, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, SERVE_CONNECTIONS_MAX) < 0) {
		snprintf(err, errlen, "cannot listen on %s port %s: %s", host, colon + 1,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: mbxdp-ctl [--name NAME | --iface IF] serve --listen ADDR:PORT\n"
		     "  --listen ADDR:PORT  answer GET /metrics (Prometheus text format) there;\n"
		     "                      [ADDR6]:PORT for IPv6. Runs until SIGINT or SIGTERM.\n");
}

int ctl_serve(const struct ctl_target *t, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, 0, 'l' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *listen_spec = NULL;
	struct MHD_Daemon *d;
	sigset_t stop_set;
	char err[256];
	int ch, fd, sig;

	while ((ch = getopt_long(argc, argv, "l:h", longopts, 0)) != -1) {
		switch (ch) {
		case 'l':
			listen_spec = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !listen_spec) {
		usage(stderr);
		return 2;
	}
	fd = listen_on(listen_spec, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "mbxdp-ctl serve: %s\n", err);
		return 1;
	}
	/* Blocked before the server thread starts, so it inherits the mask
	 * and the signals reach sigwait below. */
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	sigaddset(&stop_set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
			     on_request, (void *)t, MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVE_CONNECTIONS_MAX,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SERVE_TIMEOUT_S,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "mbxdp-ctl serve: the HTTP server would not start\n");
		close(fd);
		return 1;
	}
	printf("mbxdp-ctl: serving the metrics of %s at http://%s/metrics\n", t->name,
	       listen_spec);
	fflush(stdout);
	sigwait(&stop_set, &sig);
	MHD_stop_daemon(d); /* closes the listening socket too */
	return 0;
}
