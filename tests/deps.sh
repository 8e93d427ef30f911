#!/usr/bin/env bash
# Installs the Debian 12 packages mbxdp needs to build, test and run its lab,
# when any is missing. Sourced by tests/run-all.sh and bench/lab.sh.
mbxdp_packages=(
	gcc clang llvm meson ninja-build pkg-config      # build; clang builds the BPF object
	libxdp-dev libbpf-dev libelf-dev zlib1g-dev      # AF_XDP and the XDP loader
	libdpdk-dev                                      # the DPDK backend and its net_* drivers
	libsodium-dev                                    # SipHash for SYN cookies
	libfyaml-dev                                     # the device model file (--config)
	libjansson-dev                                   # every tool's JSON output
	libmicrohttpd-dev                                # mbxdp-ctl serve: Prometheus' scrapes over HTTP
	curl prometheus                                  # scrape and promtool check metrics (integration metrics)
	libseccomp-dev libcap-dev                        # the engine's system call filter, capabilities
	libclang-rt-14-dev                               # libFuzzer for the clang build (tests/fuzz)
	libcmocka-dev                                    # unit tests
	python3-scapy libpcap-dev                        # wire fixtures: built by scapy, read by libpcap
	iproute2 ethtool                                 # namespaces and veth for the labs
	iputils-ping                                     # the real ping of the XDP echo test (integration ping)
	libmodbus-dev mbpoll python3 python3-pymodbus    # real Modbus peers
	python3-serial-asyncio                           # pymodbus 3.0 cannot import its client without it
	tshark                                           # dissects test captures (integration tshark, replay)
	python3-matplotlib                               # the lab's plots (bench/lab_report.py)
	util-linux                                       # taskset pins the lab's server and client
	scdoc                                            # the man pages (docs/man)
	libhdrhistogram-java default-jre-headless        # HdrHistogram reads mbxdp-bench's log (integration hdr_log)
	systemd                                          # the unit's directory (systemd.pc); systemd-analyze verify
	man-db                                           # man -w finds the installed pages
	dpkg-dev debhelper dh-python fakeroot lintian    # the Debian packages (debian/, tests/install/test_deb.sh)
)

mbxdp_install_deps() {
	local missing=() p
	for p in "${mbxdp_packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "mbxdp: missing packages: ${missing[*]} (run as root to install them)" >&2
		return 1
	fi
	echo "mbxdp: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark's wireshark-common asks whether non-root users may capture;
	# answer no ahead, so the install never waits on a question.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
