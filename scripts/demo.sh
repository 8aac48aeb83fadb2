#!/bin/sh
# Install, build, and run the sensor over the bundled capture recorded from a real
# Unbound resolver and NSD/Knot authoritative servers; print what it recorded.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] && ./scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
spool=${SPOOL:-/tmp/dnsift-demo}
rm -rf "$spool"
./build/dataplane/dnsift -r tests/captures/upstream-basic.pcap -o "$spool"
echo "--- segments in $spool/ready (checked by dnsift-seg verify):"
./build/segment/dnsift-seg verify "$spool"/ready/*.lz4
echo "--- records (lz4cat | jq -c), first 20:"
lz4cat "$spool"/ready/*.lz4 | jq -c . | head -20
