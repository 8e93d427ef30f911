/* Capacity: a table configured for 1,000,000 connections
 * holds 1,000,000 at once, each opened by a handshake and then served a
 * request, with a per-source limit in force (so the per-source table is
 * counted too). The resident memory the stack grew by, divided by the
 * connections, must stay at or under 128 bytes per idle connection. Then
 * the full table takes new connections by closing the longest idle ones
 * (MIG 4.2.1): the first eviction scans the whole table.
 *
 * With --ipv6 the connections are IPv6 ones (the evicting ones stay
 * IPv4): each keeps its peer's address in a side table besides its record,
 * within the same bound.
 *
 *   conn_capacity [N] [--ipv6]   N connections (default 1000000); exit 0 on success */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tcp_client.h"

#define PORTS_PER_SOURCE 8
/* An IPv6 source is its /64 (tcp/addr6.h): 2001:2::/48 holds 65,536, so
 * a million connections come 16 to a source. */
#define PORTS_PER_SOURCE6 16
#define MAX_BYTES_PER_CONN 128
#define NEW_CONNS 10 /* opened into the full table */

static long resident_bytes(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

static int ipv6; /* --ipv6 */

/* Connection i: 8 ports on each of 125,000 addresses from 198.18.0.2 up
 * to 198.19.232.73 (all inside 198.18.0.0/15); over IPv6 16 ports on each
 * of 62,500 addresses 2001:2:0:S::2, one per /64 S. */
static struct tc_client client(uint32_t i)
{
	uint8_t ip6[16] = { 0x20, 0x01, 0, 2, 0, 0, (uint8_t)(i / PORTS_PER_SOURCE6 >> 8),
			    (uint8_t)(i / PORTS_PER_SOURCE6), [15] = 2 };

	if (ipv6)
		return tc_client6(ip6, (uint16_t)(20000 + i % PORTS_PER_SOURCE6));
	return tc_client(0xc6120002u + i / PORTS_PER_SOURCE,
			 (uint16_t)(20000 + i % PORTS_PER_SOURCE));
}

/* The connection a segment from the stack went to, as client() numbers
 * them. */
static uint32_t conn_of(const struct fb_seg *s)
{
	if (ipv6)
		return (uint32_t)(s->dst_ip6[6] << 8 | s->dst_ip6[7]) * PORTS_PER_SOURCE6 + s->dst_port -
		       20000;
	return (s->dst_ip - 0xc6120002u) * PORTS_PER_SOURCE + s->dst_port - 20000;
}

int main(int argc, char **argv)
{
	uint32_t n = 1000000;
	struct conn_policy_config policy;
	struct harness h;
	uint32_t *isn;
	long before, after;
	double per_conn;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ipv6"))
			ipv6 = 1;
		else
			n = (uint32_t)strtoul(argv[i], 0, 10);
	}
	isn = malloc((size_t)n * sizeof(*isn));
	if (!n || !isn || (ipv6 && n / PORTS_PER_SOURCE6 > 65536)) {
		fprintf(stderr, "conn_capacity: usage: conn_capacity [N >= 1] [--ipv6]\n");
		return 2;
	}

	memset(isn, 0, (size_t)n * sizeof(*isn)); /* the test's own memory, before the count */
	conn_policy_defaults(&policy);
	policy.max_per_source = ipv6 ? PORTS_PER_SOURCE6 : PORTS_PER_SOURCE;
	before = resident_bytes();
	/* The pools as mbxdp sizes them: its memory is what is measured. */
	if (harness_init_opts(&h, n, 64,
			      &(struct harness_opts){ .policy = &policy, .program_pools = 1 }) < 0) {
		fprintf(stderr, "conn_capacity: cannot set up a stack for %u connections\n", n);
		return 1;
	}
	h.stack->now_ns = 1000000000u;
	for (uint32_t i = 0; i < n; i++) {
		struct tc_client c = client(i);

		if (tc_handshake(&h, &c) < 0) {
			fprintf(stderr, "conn_capacity: connection %u was not opened (%u open)\n", i,
				stack_open_connections(h.stack));
			return 1;
		}
		isn[i] = c.ack;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct tc_client c = client(i);
		uint16_t addr = (uint16_t)(i % 1000);
		uint8_t req[12];
		struct fb_seg s;

		c.seq = 1001;
		c.ack = isn[i];
		h.stack->now_ns = 2000000000u + (uint64_t)i * 1000u; /* served in order, 1 us apart */
		tc_send(&h, &c, FB_PSH | FB_ACK, req, tc_read_req(req, (uint16_t)i, addr));
		s = tc_reply(&h, 0);
		if (h.n_out != 1 || !tc_read_resp_ok(&s, (uint16_t)i, addr)) {
			fprintf(stderr, "conn_capacity: connection %u: no right answer to its request\n", i);
			return 1;
		}
		/* Acknowledged: an idle connection holds no send buffer. */
		c.ack += (uint32_t)s.len;
		tc_send(&h, &c, FB_ACK, 0, 0);
	}
	harness_clear(&h);
	if (h.stack->snd.n_free != h.stack->snd.capacity ||
	    h.stack->rx_bufs.n_free != h.stack->rx_bufs.capacity) {
		fprintf(stderr, "conn_capacity: idle connections still hold buffers\n");
		return 1;
	}
	/* The stack's own account of an idle connection's bytes (its tables
	 * divided by capacity), besides what the process grew by below. */
	printf("idle_conn_bytes %.1f\n", stack_idle_conn_bytes(h.stack));
	if (stack_idle_conn_bytes(h.stack) > MAX_BYTES_PER_CONN) {
		fprintf(stderr, "conn_capacity: %.1f bytes per idle connection, over %d\n",
			stack_idle_conn_bytes(h.stack), MAX_BYTES_PER_CONN);
		return 1;
	}
	after = resident_bytes();
	per_conn = (double)(after - before) / n;
	printf("connections %u\nopen %u\nevicted %llu\nrefused %llu\nresident_bytes_per_connection %.1f\n",
	       n, stack_open_connections(h.stack), (unsigned long long)h.stack->ctr.conn_evicted,
	       (unsigned long long)(h.stack->ctr.conn_refused_table_full +
				    h.stack->ctr.conn_refused_per_source),
	       per_conn);
	if (stack_open_connections(h.stack) != n || h.stack->ctr.conn_evicted) {
		fprintf(stderr, "conn_capacity: %u of %u connections open at the end\n",
			stack_open_connections(h.stack), n);
		return 1;
	}
	/* New sources into the full table: each evicts one of the longest
	 * idle (served first, within the first stamp tick of 1.05 ms). */
	for (uint32_t i = 0; i < NEW_CONNS; i++) {
		struct tc_client c = tc_client(0xc613f000u + i, 30000); /* 198.19.240.0 on: new */
		struct timespec t0, t1;
		struct fb_seg fin;

		h.stack->now_ns = 4000000000u;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		tc_handshake(&h, &c);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fin = tc_reply(&h, 0);
		if (h.n_out != 1 || fin.flags != (FB_FIN | FB_ACK) ||
		    fin.v6 != ipv6 || conn_of(&fin) >= 1100) {
			fprintf(stderr, "conn_capacity: new connection %u did not evict one of the oldest\n", i);
			return 1;
		}
		if (i == 0)
			printf("first_eviction_ms %.1f\n", (double)(t1.tv_nsec - t0.tv_nsec) / 1e6 +
								 (double)(t1.tv_sec - t0.tv_sec) * 1e3);
	}
	if (h.stack->ctr.conn_evicted != NEW_CONNS || stack_open_connections(h.stack) != n) {
		fprintf(stderr, "conn_capacity: %llu evictions, %u open\n",
			(unsigned long long)h.stack->ctr.conn_evicted, stack_open_connections(h.stack));
		return 1;
	}
#ifndef __SANITIZE_ADDRESS__ /* its shadow memory is not the stack's */
	if (before < 0 || after < 0 || per_conn > MAX_BYTES_PER_CONN) {
		fprintf(stderr, "conn_capacity: %.1f resident bytes per connection, over %d\n", per_conn,
			MAX_BYTES_PER_CONN);
		return 1;
	}
#endif
	harness_free(&h);
	free(isn);
	return 0;
}
