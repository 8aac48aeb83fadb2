#!/bin/sh
# Install everything dnsift needs to build and test on Debian 12 (run as root).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential clang meson ninja-build pkg-config \
	dpdk dpdk-dev libdpdk-dev liburcu-dev liblz4-dev lz4 libbpf-dev bpftool libelf-dev zlib1g-dev \
	libxxhash-dev libcmocka-dev libcurl4-openssl-dev libpcap-dev libnuma-dev \
	libclang-rt-14-dev valgrind jq tshark tcpreplay iproute2 procps \
	unbound nsd knot knot-dnsutils ldnsutils nginx openssl ca-certificates \
	curl netcat-openbsd python3 gnuplot-nox util-linux >/dev/null
