/* Runs one scapy-built fixture through the stack, in process, Katran-style:
 * a pcap of frames in (from the client's MAC) and the frames expected out
 * (from the server's MAC), in order. After each input frame, the stack's
 * replies must equal the expected frames that follow it, byte for byte.
 *
 * The server's initial sequence number is a keyed hash the fixture cannot
 * know, so fixtures write the server's sequence space from 0: on each
 * SYN-ACK the runner learns the offset for that client port and family and
 * adds it to the server sequence numbers of expected frames and to the
 * acknowledgment numbers of input frames, fixing the TCP checksums.
 *
 * Time is the pcap timestamps, from the first frame's: before an input
 * frame, the stack's timers run up to its time, and what they send must be
 * the expected frames before that input's replies. An expected frame with
 * nothing left to match it runs the timers up to its own time: so a fixture
 * states when a retransmission is due, and that nothing is sent before.
 *
 *   fixture_runner FIXTURE.pcap [OPTION VALUE]...   exit 0 if every reply matched
 *
 * Options set the stack's connection policy for the fixture, as mbxdp's
 * options of the same names: --max-conns N, --max-conns-per-source N,
 * --priority-source CIDR, --close fin|rst, --idle-timeout S, --time-wait MS,
 * --keepalive IDLE,INTVL,COUNT.
 *
 * The stack owns 198.18.0.1 and 2001:2::1 (lib/stack_harness.c). Frames
 * of either family are translated; an IPv6 input frame's extension
 * headers are walked to its TCP header.
 *
 * Action frames (ethertype 0x88b5, IEEE 802 local experimental, from the
 * MAC 02:00:00:00:00:fe), each a line of text, are taken at their time
 * like an input frame. In any role:
 *   count NAME=N...       each of the stack's counters named (stack.h's
 *                         STACK_COUNTERS) must hold N now
 *
 * --role client makes the stack a client stack (stack_config.app) at the
 * same address and MAC, whose peer is a server at 198.18.0.2:502. Its
 * application is driven by these actions besides:
 *   connect LPORT         stack_connect from LPORT, which must succeed
 *   connect6 LPORT        stack_connect6 from 2001:2::1 LPORT to the peer
 *                         at 2001:2::2:502, which must succeed
 *   send LPORT HEX        stack_send of the bytes, which must succeed
 *   close LPORT           stack_close, which must succeed
 *   abort LPORT           stack_abort
 *   received LPORT HEX    the bytes given to the application since the
 *                         last check must be these
 *   closed LPORT WHY      the connection must have ended, for WHY (closed,
 *                         reset, refused, timed_out, aborted)
 * A client stack's ISS is learnt from its SYN as a server's from its
 * SYN-ACK; sequence numbers are keyed by the stack's own port then. */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_build.h"
#include "stack_harness.h"

#define SERVER_MAC_LAST 0x01 /* fixtures use 02:00:00:00:00:01 for the server */
#define MAX_FRAMES 4096
#define ETH_P_ACTION 0x88b5
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define PEER_IP 0xc6120002u /* 198.18.0.2: a client stack's peer */
#define STACK_IP 0xc6120001u
static const uint8_t peer_ip6[16] = { 0x20, 0x01, 0, 2, [15] = 2 }; /* 2001:2::2 */
static const uint8_t stack_ip6[16] = { 0x20, 0x01, 0, 2, [15] = 1 };

struct frame {
	uint8_t data[2048];
	uint32_t len;
	int from_server;
	uint64_t ns; /* since the first frame */
};

static struct frame frames[MAX_FRAMES];
static uint32_t isn_offset[2 * 65536]; /* by family and client port (key) */
static uint8_t isn_known[2 * 65536];
static int client_role; /* --role client */
static struct harness h; /* large: replies of a whole benchmark round */

/* A client stack's application: what it was given and how its
 * connections ended, by the stack's port. */
static uint16_t conn_port[65536]; /* by connection index */
static uint32_t port_conn[65536];
static uint8_t rx[65536];
static uint32_t n_rx;
static int closed_why[65536]; /* -1: not closed */

static void on_established(void *arg, uint32_t conn)
{
	(void)arg;
	(void)conn;
}

static void on_received(void *arg, uint32_t conn, const uint8_t *p, uint32_t n)
{
	(void)arg;
	(void)conn;
	if (n_rx + n <= sizeof(rx)) {
		memcpy(rx + n_rx, p, n);
		n_rx += n;
	}
}

static void on_closed(void *arg, uint32_t conn, enum stack_close_why why)
{
	(void)arg;
	closed_why[conn_port[conn]] = (int)why;
}

static const struct stack_app app = { on_established, on_received, on_closed, 0 };

/* What sequence numbers are keyed by: the family (an IPv4 and an IPv6
 * connection from the same port are two) and the TCP header's field of the
 * client's port, which is the stack's in the client role. */
static uint32_t key(const uint8_t *f, uint32_t ip, uint32_t tcp, int from_server)
{
	uint32_t off = from_server != client_role ? 2 : 0;

	return (f[ip] >> 4 == 6) << 16 | (uint32_t)f[tcp + off] << 8 | f[tcp + off + 1];
}

static int hex_bytes(const char *s, uint8_t *out, uint32_t room, uint32_t *n)
{
	unsigned v;

	for (*n = 0; *s && *s != '\n'; s += 2) {
		if (*n == room || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[(*n)++] = (uint8_t)v;
	}
	return 0;
}

/* The stack's counter called name, or NULL if it has none of that name. */
static const uint64_t *counter(const struct stack *s, const char *name, size_t len)
{
#define X(c, help) if (len == sizeof(#c) - 1 && !memcmp(name, #c, len)) return &s->ctr.c;
	STACK_COUNTERS(X)
#undef X
	return NULL;
}

/* "NAME=N NAME=N...": 0 if each counter holds its value, else -1 (said
 * which). */
static int check_counts(const char *list)
{
	int r = 0;

	while (*list) {
		size_t len = strcspn(list, "=");
		const uint64_t *c = counter(h.stack, list, len);
		char *end;
		unsigned long long want;

		if (!c || !list[len]) {
			fprintf(stderr, "  count: no counter %.*s\n", (int)len, list);
			return -1;
		}
		want = strtoull(list + len + 1, &end, 10);
		if (*c != want) {
			fprintf(stderr, "  count: %.*s is %llu, the fixture expects %llu\n", (int)len, list,
				(unsigned long long)*c, want);
			r = -1;
		}
		list = end + strspn(end, " ");
	}
	return r;
}

/* Runs one action frame's line; 0, or -1 (said why) if it failed. */
static int action(const uint8_t *text, uint32_t len)
{
	static const char *whys[] = { "closed", "reset", "refused", "timed_out", "aborted" };
	static const uint8_t peer_mac[6] = { 2, 0, 0, 0, 0, 2 };
	char line[1024], verb[16], arg[1000] = "";
	uint8_t bytes[512];
	unsigned port;
	uint32_t n, conn;
	int r = 0;

	if (len >= sizeof(line))
		return -1;
	memcpy(line, text, len);
	line[len] = 0;
	if (!strncmp(line, "count ", 6))
		return check_counts(line + 6);
	if (sscanf(line, "%15s %u %999s", verb, &port, arg) < 2 || port > 65535) {
		fprintf(stderr, "  bad action: %s\n", line);
		return -1;
	}
	conn = port_conn[port];
	if (!strcmp(verb, "connect") || !strcmp(verb, "connect6")) {
		r = verb[7] ? stack_connect6(h.stack, stack_ip6, (uint16_t)port, peer_ip6, 502, peer_mac,
					     CONN_L2_UNTAGGED, &conn) :
			      stack_connect(h.stack, htonl(STACK_IP), (uint16_t)port, htonl(PEER_IP), 502,
					    peer_mac, CONN_L2_UNTAGGED, &conn);
		if (r == 0) {
			port_conn[port] = conn;
			conn_port[conn] = (uint16_t)port;
			closed_why[port] = -1;
		}
	} else if (!strcmp(verb, "send")) {
		r = hex_bytes(arg, bytes, sizeof(bytes), &n) < 0 ? -1 : stack_send(h.stack, conn, bytes, n);
	} else if (!strcmp(verb, "close")) {
		r = stack_close(h.stack, conn);
	} else if (!strcmp(verb, "abort")) {
		stack_abort(h.stack, conn);
	} else if (!strcmp(verb, "received")) {
		r = hex_bytes(arg, bytes, sizeof(bytes), &n) < 0 || n != n_rx || memcmp(bytes, rx, n) ? -1 : 0;
		n_rx = 0;
	} else if (!strcmp(verb, "closed")) {
		r = closed_why[port] < 0 || strcmp(whys[closed_why[port]], arg) ? -1 : 0;
	} else {
		r = -1;
	}
	if (r)
		fprintf(stderr, "  action failed (%d): %s\n", r, line);
	return r ? -1 : 0;
}

/* Offsets of the IP and TCP headers, or -1 for a frame that is not a
 * well-formed enough IPv4/TCP or IPv6/TCP frame to translate (left as it
 * is). An IPv6 frame's hop-by-hop, routing and destination options
 * headers are stepped over, whatever their order and number: translating
 * a frame the stack must drop does no harm. */
static int locate(const uint8_t *f, uint32_t len, uint32_t *ip, uint32_t *tcp)
{
	uint32_t l2 = (f[12] == 0x81 && f[13] == 0x00) ? 18 : 14;
	uint32_t type = fb_get16(f + l2 - 2), nh;

	*ip = l2;
	if (type == ETH_P_IPV4) {
		if (len < l2 + 40 || f[l2 + 9] != 6)
			return -1;
		*tcp = l2 + (f[l2] & 15u) * 4;
		return *tcp + 20 <= len ? 0 : -1;
	}
	if (type != ETH_P_IPV6 || len < l2 + 60)
		return -1;
	nh = f[l2 + 6];
	*tcp = l2 + 40;
	while ((nh == 0 || nh == 43 || nh == 60) && *tcp + 8 <= len) {
		nh = f[*tcp];
		*tcp += (f[*tcp + 1] + 1u) * 8;
	}
	return nh == 6 && *tcp + 20 <= len ? 0 : -1;
}

/* The TCP checksum over the segment, with the field itself as it stands:
 * 0 when the segment's checksum is right (1 for a segment whose IP length
 * runs past the frame). The pseudo-header: RFC 9293 3.1 for IPv4, RFC 8200
 * 8.1 for IPv6. */
static uint16_t tcp_csum(const uint8_t *f, uint32_t len, uint32_t ip, uint32_t tcp)
{
	uint32_t pseudo = 6, n_addr, seg_len;

	if ((f[ip] >> 4) == 6) {
		seg_len = 40 + fb_get16(f + ip + 4) - (tcp - ip);
		n_addr = 32;
		ip += 8;
	} else {
		seg_len = fb_get16(f + ip + 2) - (tcp - ip);
		n_addr = 8;
		ip += 12;
	}
	if (seg_len > len - tcp)
		return 1;
	pseudo += seg_len;
	for (uint32_t i = 0; i < n_addr; i += 2)
		pseudo += fb_get16(f + ip + i);
	return fb_csum(f + tcp, seg_len, pseudo);
}

/* Adds the learned offset to the ack (input) or seq (expected) field. Only a
 * frame whose checksum was right is fixed up: a fixture's deliberately bad
 * checksum stays bad. */
static void translate(struct frame *fr)
{
	uint32_t ip, tcp, k, field;
	uint16_t c;

	if (locate(fr->data, fr->len, &ip, &tcp) < 0 || tcp_csum(fr->data, fr->len, ip, tcp) != 0)
		return;
	k = key(fr->data, ip, tcp, fr->from_server);
	if (!isn_known[k])
		return;
	if (fr->from_server) {
		/* <SEQ=0><ACK=...><RST,ACK> to a segment of no connection has no
		 * server sequence space to translate. */
		if ((fr->data[tcp + 13] & FB_RST) && fb_get32(fr->data + tcp + 4) == 0)
			return;
		field = tcp + 4;
	} else {
		if (!(fr->data[tcp + 13] & FB_ACK))
			return;
		field = tcp + 8;
	}
	fb_put32(fr->data + field, fb_get32(fr->data + field) + isn_offset[k]);
	fr->data[tcp + 16] = fr->data[tcp + 17] = 0;
	c = tcp_csum(fr->data, fr->len, ip, tcp);
	fr->data[tcp + 16] = (uint8_t)(c >> 8);
	fr->data[tcp + 17] = (uint8_t)c;
}

static void learn_isn(const struct frame *expected, const struct mbx_frame *got)
{
	uint32_t ip, tcp, k;

	if (locate(expected->data, expected->len, &ip, &tcp) < 0)
		return;
	/* A server's SYN-ACK, a client's SYN. */
	if (!(expected->data[tcp + 13] & FB_SYN))
		return;
	k = key(expected->data, ip, tcp, 1);
	isn_offset[k] = fb_get32(got->data + tcp + 4) - fb_get32(expected->data + tcp + 4);
	isn_known[k] = 1;
}

/* On a failure, the stack's non-zero counters say which way it went. */
static void print_counters(const struct stack *s)
{
	fprintf(stderr, "  stack counters:");
#define X(name, help) if (s->ctr.name) fprintf(stderr, " " #name "=%llu", (unsigned long long)s->ctr.name);
	STACK_COUNTERS(X)
#undef X
	fprintf(stderr, "\n");
}

static void describe(const char *what, const uint8_t *f, uint32_t len)
{
	struct fb_seg s;

	fb_parse(f, len, &s);
	fprintf(stderr, "  %s: %u bytes", what, len);
	if (s.ok)
		fprintf(stderr, ", %u > %u flags 0x%02x seq %u ack %u win %u payload %zu", s.src_port,
			s.dst_port, s.flags, s.seq, s.ack, s.wnd, s.len);
	fprintf(stderr, "\n   ");
	for (uint32_t i = 0; i < len; i++)
		fprintf(stderr, "%02x%s", f[i], (i % 32) == 31 ? "\n   " : " ");
	fprintf(stderr, "\n");
}

/* Moves the stack's clock forward to t (never back: a fixture may reuse an
 * earlier frame) and runs its timers. */
static int parse_options(int argc, char **argv, uint32_t *max_conns, struct conn_policy_config *p)
{
	conn_policy_defaults(p);
	*max_conns = 64;
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];

		if (!strcmp(o, "--max-conns"))
			*max_conns = (uint32_t)strtoul(v, 0, 10);
		else if (!strcmp(o, "--max-conns-per-source"))
			p->max_per_source = (uint32_t)strtoul(v, 0, 10);
		else if (!strcmp(o, "--priority-source") && p->n_priority < CONN_POLICY_MAX_PRIORITY &&
			 conn_cidr_parse(v, &p->priority[p->n_priority]) == 0)
			p->n_priority++;
		else if (!strcmp(o, "--close") && (!strcmp(v, "fin") || !strcmp(v, "rst")))
			p->close_rst = !strcmp(v, "rst");
		else if (!strcmp(o, "--idle-timeout"))
			p->idle_ms = (uint32_t)strtoul(v, 0, 10) * 1000;
		else if (!strcmp(o, "--role") && (!strcmp(v, "client") || !strcmp(v, "server")))
			client_role = !strcmp(v, "client");
		else if (!strcmp(o, "--time-wait"))
			p->time_wait_ms = (uint32_t)strtoul(v, 0, 10);
		else if (!strcmp(o, "--keepalive") &&
			 sscanf(v, "%u,%u,%u", &p->keepalive_idle_ms, &p->keepalive_intvl_ms,
				&p->keepalive_count) == 3) {
			p->keepalive_idle_ms *= 1000;
			p->keepalive_intvl_ms *= 1000;
		} else
			return -1;
	}
	return argc % 2 == 0 && *max_conns ? 0 : -1;
}

static void advance(struct harness *h, uint64_t t)
{
	if (t > h->stack->now_ns)
		stack_timers(h->stack, t);
}

static int mismatch(const char *name, uint32_t at, const char *what)
{
	fprintf(stderr, "fixture_runner: %s: frame %u: %s\n", name, at, what);
	return 1;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint32_t n = 0, taken = 0;
	uint64_t t0 = 0;
	struct conn_policy_config policy;
	struct harness_opts opts = { 0 };
	uint32_t max_conns;
	pcap_t *pc;

	if (argc < 2 || parse_options(argc, argv, &max_conns, &policy) < 0) {
		fprintf(stderr, "usage: fixture_runner FIXTURE.pcap [OPTION VALUE]...\n");
		return 2;
	}
	pc = pcap_open_offline(argv[1], errbuf);
	if (!pc) {
		fprintf(stderr, "fixture_runner: %s\n", errbuf);
		return 2;
	}
	while (pcap_next_ex(pc, &hdr, &data) == 1 && n < MAX_FRAMES) {
		uint64_t ns = (uint64_t)hdr->ts.tv_sec * 1000000000u + (uint64_t)hdr->ts.tv_usec * 1000u;

		if (hdr->caplen > sizeof(frames[n].data) || hdr->caplen < 12)
			continue;
		if (n == 0)
			t0 = ns;
		memcpy(frames[n].data, data, hdr->caplen);
		frames[n].len = hdr->caplen;
		frames[n].from_server = data[11] == SERVER_MAC_LAST && data[6] == 0x02;
		frames[n].ns = ns > t0 ? ns - t0 : 0;
		n++;
	}
	pcap_close(pc);
	opts.policy = &policy;
	if (client_role)
		opts.app = &app;
	if (harness_init_opts(&h, max_conns, 1024, &opts) < 0) {
		fprintf(stderr, "fixture_runner: cannot set up the stack\n");
		return 2;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct frame *fr = &frames[i];

		if (!fr->from_server) {
			int is_action = fr->len > 14 && fb_get16(fr->data + 12) == ETH_P_ACTION;

			if (taken < h.n_out) {
				for (uint32_t k = taken; k < h.n_out; k++)
					describe("unexpected", h.out[k].data, h.out[k].len);
				print_counters(h.stack);
				return mismatch(argv[1], i + 1, "replies sent that the fixture does not expect");
			}
			harness_clear(&h);
			taken = 0;
			advance(&h, fr->ns);
			if (is_action) {
				if (action(fr->data + 14, fr->len - 14) < 0) {
					print_counters(h.stack);
					return mismatch(argv[1], i + 1, "the action failed");
				}
				continue;
			}
			translate(fr);
			harness_input(&h, fr->data, fr->len);
			continue;
		}
		if (taken == h.n_out) {
			harness_clear(&h);
			taken = 0;
			advance(&h, fr->ns);
		}
		if (taken == h.n_out) {
			describe("expected", fr->data, fr->len);
			print_counters(h.stack);
			return mismatch(argv[1], i + 1, "expected a frame, the stack sent none");
		}
		learn_isn(fr, &h.out[taken]);
		translate(fr);
		if (fr->len != h.out[taken].len || memcmp(fr->data, h.out[taken].data, fr->len)) {
			describe("expected", fr->data, fr->len);
			describe("got     ", h.out[taken].data, h.out[taken].len);
			print_counters(h.stack);
			return mismatch(argv[1], i + 1, "the stack's frame differs");
		}
		taken++;
	}
	if (taken < h.n_out) {
		for (uint32_t k = taken; k < h.n_out; k++)
			describe("unexpected", h.out[k].data, h.out[k].len);
		print_counters(h.stack);
		return mismatch(argv[1], n, "replies sent after the last expected frame");
	}
	harness_free(&h);
	return 0;
}
