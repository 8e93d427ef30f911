"""Integration test: mbxdp on DPDK's net_pcap, replaying a capture built by
scapy and writing every answer to another, with the stack owning its
address (--address). Checks, frame by frame, what the wire would see: the
gratuitous ARP at start (RFC 5227 2.3), the ARP reply and the ICMP echo
reply for the stack's own address, a SYN-ACK, nothing for another address,
and the drops counted under their names. No hugepages, no root, no network.

Usage: test_dpdk_pcap.py BUILD_DIR   (run with /usr/bin/python3: scapy)
Prints PASS/FAIL per step, ends with "N passed, N failed"; exits 1 on any
failure.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

from scapy.all import ARP, ICMP, IP, TCP, Ether, rdpcap, wrpcap

OURS = "198.18.0.1"
OTHER = "198.18.0.9"
CLIENT = "198.18.0.2"
CLIENT_MAC = "02:00:00:00:00:02"
BCAST = "ff:ff:ff:ff:ff:ff"
PAYLOAD = b"mbxdp-pcap-echo"

results = {"passed": 0, "failed": 0}


def step(name, ok, detail=""):
    if ok:
        results["passed"] += 1
        print(f"PASS: {name}")
    else:
        results["failed"] += 1
        print(f"FAIL: {name}" + (f": {detail}" if detail else ""))


def requests():
    eth = Ether(src=CLIENT_MAC, dst=BCAST)
    return [
        eth / ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT, pdst=OURS),
        eth / ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT, pdst=OTHER),
        eth / IP(src=CLIENT, dst=OURS) / ICMP(id=7, seq=1) / PAYLOAD,
        eth / IP(src=CLIENT, dst=OTHER) / ICMP(id=7, seq=2) / PAYLOAD,
        eth / IP(src=CLIENT, dst=OURS) / TCP(sport=40000, dport=502, flags="S", seq=1000,
                                              options=[("MSS", 1460)]),
    ]


def run_mbxdp(mbxdp, in_pcap, out_pcap):
    """Runs mbxdp until it has answered the capture; returns its counters
    (name -> value), its exit status and its output."""
    # A name of its own: the default DPDK telemetry name is shared host-wide.
    cmd = [mbxdp, "--dpdk", "--name", f"mbxit-pcap-{os.getpid()}", "--address", OURS, "--",
           "--no-huge", "--no-pci", "-m", "256", "--no-shconf", "--no-telemetry",
           "--vdev", f"net_pcap0,rx_pcap={in_pcap},tx_pcap={out_pcap}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    first = proc.stdout.readline()
    if not first.startswith("mbxdp: serving"):
        proc.kill()
        return {}, None, first + proc.stdout.read()
    # net_pcap reads the whole file at once; a second is ample on a busy host.
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        return {}, None, first + out
    counters = {}
    for line in out.splitlines():
        name, _, value = line.partition(" ")
        if value.isdigit():
            counters[name] = int(value)
    return counters, proc.returncode, first + out


def main(build):
    mbxdp = os.path.join(build, "engine", "mbxdp")
    with tempfile.TemporaryDirectory(prefix="mbxdp-pcap.") as tmp:
        in_pcap, out_pcap = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "out.pcap")
        wrpcap(in_pcap, requests())
        counters, status, output = run_mbxdp(mbxdp, in_pcap, out_pcap)
        step("mbxdp serves net_pcap and exits 0 on SIGINT", status == 0, output.strip())
        if status != 0:
            return
        out = list(rdpcap(out_pcap))
    step("four frames out: an announcement and three answers", len(out) == 4,
         " / ".join(f.summary() for f in out))
    if len(out) != 4:
        return
    ann, arp, echo, synack = out
    our_mac = ann.src
    step("first, a gratuitous ARP for the address (RFC 5227 2.3)",
         ann.dst == BCAST and ann.haslayer(ARP) and ann[ARP].op == 1
         and ann[ARP].psrc == OURS and ann[ARP].pdst == OURS and ann[ARP].hwsrc == our_mac
         and ann[ARP].hwdst == "00:00:00:00:00:00", ann.summary())
    step("ARP request for the address answered from the port's MAC",
         arp.haslayer(ARP) and arp[ARP].op == 2 and arp.dst == CLIENT_MAC
         and arp[ARP].psrc == OURS and arp[ARP].hwsrc == our_mac
         and arp[ARP].pdst == CLIENT and arp[ARP].hwdst == CLIENT_MAC, arp.summary())
    ok = echo.haslayer(ICMP) and echo[ICMP].type == 0 and echo[IP].src == OURS
    if ok:
        sent_ip = echo[IP].chksum
        sent_icmp = echo[ICMP].chksum
        del echo[IP].chksum, echo[ICMP].chksum
        again = Ether(bytes(echo))
        ok = (again[IP].chksum == sent_ip and again[ICMP].chksum == sent_icmp
              and bytes(again[ICMP].payload) == PAYLOAD and again[ICMP].id == 7)
    step("ping answered, payload echoed, checksums right", ok, echo.summary())
    step("SYN answered with a SYN-ACK of 1001",
         synack.haslayer(TCP) and synack[TCP].flags == "SA" and synack[TCP].ack == 1001
         and synack[IP].src == OURS and synack.dst == CLIENT_MAC, synack.summary())
    want = {"port_rx_frames": 5, "tx_arp_reply": 1, "tx_icmp_echo_reply": 1,
            "tx_syn_ack": 1, "drop_arp_not_ours": 1, "drop_not_our_address": 1}
    got = {k: counters.get(k) for k in want}
    step("another address is not answered, and counted", got == want, f"counters {got}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: test_dpdk_pcap.py BUILD_DIR")
    main(sys.argv[1])
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)
