"""Wire fixtures: aRP (RFC 826) and ICMP echo (RFC 792) answered by the stack.

    /usr/bin/python3 arp_icmp.py OUTDIR   (wire.py says what a fixture is)
"""
import sys

from scapy.all import ARP, ICMP, IP, Ether, Raw

from wire import CLIENT_MAC, SERVER_MAC, CLIENT_IP, SERVER_IP, fixture, main


@fixture
def arp_request_answered():
    """RFC 826: a request for our address gets a reply to the asker's
    hardware address; requests for other addresses, and replies, get none."""
    ask = Ether(src=CLIENT_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, pdst=SERVER_IP)
    answer = Ether(src=SERVER_MAC, dst=CLIENT_MAC) / ARP(
        op=2, hwsrc=SERVER_MAC, psrc=SERVER_IP, hwdst=CLIENT_MAC, pdst=CLIENT_IP)
    other = Ether(src=CLIENT_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, pdst="198.18.0.99")
    reply = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / ARP(
        op=2, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, hwdst=SERVER_MAC, pdst=SERVER_IP)
    # The answer keeps the request's length: scapy pads neither.
    return [ask, answer, other, reply]


@fixture
def icmp_echo_answered():
    """RFC 792 and RFC 1122 3.2.2.6: an echo request to our address gets an
    echo reply with its identifier, sequence number and data; a request with
    a bad checksum, or to another address, gets nothing."""
    data = bytes(range(56))
    req = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IP(src=CLIENT_IP, dst=SERVER_IP, ttl=64) / ICMP(
        type=8, id=0x1234, seq=7) / Raw(data)
    rep = Ether(src=SERVER_MAC, dst=CLIENT_MAC) / IP(src=SERVER_IP, dst=CLIENT_IP, ttl=64, id=0,
                                                     flags="DF") / ICMP(type=0, id=0x1234, seq=7) / Raw(data)
    bad = Ether(bytes(req))
    bad[ICMP].chksum ^= 0x0101
    other = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IP(src=CLIENT_IP, dst="198.18.0.99") / ICMP(
        type=8, id=1, seq=1)
    return [req, rep, bad, other]


if __name__ == "__main__":
    main(sys.argv[1])
