#!/bin/sh
# Install everything dnsift needs to build and test on Debian 12 (run as root).
# Re-recording the bundled captures (scripts/record-captures.sh) also needs
# unbound, nsd, knot and knot-dnsutils; the tests only read the recorded files.
# chromium: the web search page's browser test (tests/db_web.sh, headless).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential clang meson ninja-build pkg-config \
	dpdk dpdk-dev libdpdk-dev liburcu-dev liblz4-dev lz4 libbpf-dev bpftool libelf-dev zlib1g-dev \
	libxxhash-dev libcmocka-dev libcurl4-openssl-dev libpcap-dev libnuma-dev \
	libclang-rt-14-dev valgrind jq tshark tcpreplay iproute2 procps \
	ldnsutils nginx openssl ca-certificates \
	curl ethtool passwd python3 gnuplot-nox util-linux \
	libmtbl-dev mtbl-bin libmicrohttpd-dev dnsdbq gdb \
	libjansson-dev \
	chromium >/dev/null
