#!/bin/sh
# Install, build, and run the sensor over the bundled capture recorded from a real
# Unbound resolver and NSD/Knot authoritative servers; print what it recorded; then
# ingest its segments into a passive DNS database and ask it the four questions with
# the stock DNSDB client, dnsdbq.
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

db=$spool/db
echo "--- dnsift-db ingest $spool/ready (into $db):"
./build/db/dnsift-db -d "$db" ingest "$spool/ready"
# serve on a port the kernel picks, loopback only (no keys file: any key is accepted)
./build/db/dnsift-db -d "$db" serve --listen 127.0.0.1:0 > "$spool/serve.log" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null; wait $serve 2>/dev/null || true' EXIT
port=""
for _ in $(seq 50); do
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$spool/serve.log")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { cat "$spool/serve.log"; exit 1; }
export DNSDB_SERVER=http://127.0.0.1:$port DNSDB_API_KEY=demo
echo "--- $(head -1 "$spool/serve.log")"
set -f	# "*.knot.test/A" is for dnsdbq, not the shell
for q in "-r www.example.test/A" "-n ns1.example.test/NS" "-i 198.51.100.0/24" "-r *.knot.test/A"; do
	echo "--- dnsdbq $q"
	# shellcheck disable=SC2086  # the words of $q are dnsdbq's arguments
	dnsdbq $q
done
echo "--- dnsdbq -V summarize -r '*.example.test'"
dnsdbq -V summarize -r '*.example.test'
