/* An XDP program that passes every frame, for the client end of a veth pair
 * whose server end runs mbxdp_steer in native mode. veth delivers the frames
 * a native program sends back with XDP_TX (mbxdp's ARP replies) to a peer
 * only when the peer has an XDP program too: the flush that wakes the peer's
 * receive NAPI is skipped otherwise (veth_xdp_flush() in drivers/net/veth.c),
 * and the replies sit in its ring until other traffic drains it. A real NIC
 * has no such peer; generic mode does not need it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
