#include "bypass_arp.h"

#include <arpa/inet.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define ARP_LEN 28 /* Ethernet/IPv4 (RFC 826) */

/* The request, broadcast, padded to Ethernet's 60-byte minimum. */
static uint32_t arp_request(uint8_t *b, const uint8_t mac[6], uint32_t sip, uint32_t tip)
{
	memset(b, 0, 60);
	memset(b, 0xff, 6);
	memcpy(b + 6, mac, 6);
	b[12] = ETHERTYPE_ARP >> 8, b[13] = ETHERTYPE_ARP & 0xff;
	uint8_t *a = b + ETHER_HDR_LEN;
	a[1] = 1; /* hardware: Ethernet */
	a[2] = 0x08; /* protocol: IPv4 */
	a[4] = 6, a[5] = 4;
	a[7] = 1; /* request */
	memcpy(a + 8, mac, 6);
	memcpy(a + 14, &sip, 4);
	memcpy(a + 24, &tip, 4);
	return 60;
}

/* An Ethernet/IPv4 ARP reply from tip to sip (untagged). */
static int is_reply(const struct mbx_frame *f, uint32_t sip, uint32_t tip, uint8_t out[6])
{
	const uint8_t *b = f->data, *a = b + ETHER_HDR_LEN;
	static const uint8_t head[8] = { 0, 1, 0x08, 0, 6, 4, 0, 2 };

	if (f->len < ETHER_HDR_LEN + ARP_LEN || b[12] != ETHERTYPE_ARP >> 8 ||
	    b[13] != (ETHERTYPE_ARP & 0xff) || memcmp(a, head, sizeof(head)) ||
	    memcmp(a + 14, &tip, 4) || memcmp(a + 24, &sip, 4))
		return 0;
	memcpy(out, a + 8, 6);
	return 1;
}

int arp_resolve(struct mbx_port *const *ports, uint32_t n, const uint8_t mac[6], uint32_t sip,
		uint32_t tip, uint8_t out[6], char *err, size_t errlen)
{
	char text[INET_ADDRSTRLEN];

	for (int t = 0; t < ARP_TRIES; t++) {
		struct mbx_frame f;

		if (mbx_port_alloc(ports[0], &f) == 0) {
			f.len = arp_request(f.data, mac, sip, tip);
			mbx_port_tx(ports[0], &f, 1);
		}
		for (uint64_t until = now_ns() + ARP_WAIT_MS * 1000000ull; now_ns() < until;) {
			int found = 0;

			for (uint32_t q = 0; q < n; q++) {
				struct mbx_frame rx[MBX_BURST];
				uint32_t got = mbx_port_rx(ports[q], rx, MBX_BURST);

				for (uint32_t i = 0; i < got && !found; i++)
					found = is_reply(&rx[i], sip, tip, out);
				mbx_port_release(ports[q], rx, got);
			}
			if (found)
				return 0;
			nanosleep(&(struct timespec){ 0, 100000 }, NULL);
		}
	}
	inet_ntop(AF_INET, &tip, text, sizeof(text));
	snprintf(err, errlen, "no ARP reply from %s after %d requests %d ms apart (is it on the link?)",
		 text, ARP_TRIES, ARP_WAIT_MS);
	return -1;
}
