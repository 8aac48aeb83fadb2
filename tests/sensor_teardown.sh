#!/bin/sh
# Integration: telemetry requests keep arriving while the sensor shuts down (a metrics
# scrape during a restart). The sensor must exit 0 with its records intact, and no
# handler may read state that teardown freed: under the ASan build a use-after-free
# aborts the sensor, which fails this test. Several runs, each of a trace whose final
# flush takes a while, with a client hammering the socket the whole time.
# Usage: sensor_teardown.sh BUILDDIR
set -u
build=$1
runs=${TEARDOWN_RUNS:-4}
tmp=$(mktemp -d /tmp/dnsift-teardown.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
py=$(command -v python3) || { echo "SKIP: python3 not installed"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
"$build/bench/dnsift-tracegen" --preset realistic -n 100000 -s 7 -q -o "$tmp/trace.pcap" \
	>/dev/null 2>&1 || { echo "FAIL: tracegen"; exit 1; }
fail=0
closing_total=0
for i in $(seq 1 "$runs"); do
	prefix=dnsift-teardown-$$-$i
	"$py" "$here/telemetry_hammer.py" "/var/run/dpdk/$prefix/dpdk_telemetry.v2" 60 \
		> "$tmp/hammer.$i" 2>&1 &
	hpid=$!
	"$build/dataplane/dnsift" -r "$tmp/trace.pcap" -o "$tmp/spool.$i" -q \
		-- --no-huge --no-pci -m 512 --log-level='*:warning' --file-prefix=$prefix \
		2> "$tmp/log.$i"
	rc=$?
	wait $hpid
	hrc=$?
	rm -rf "/var/run/dpdk/$prefix"
	cat "$tmp/hammer.$i"
	if [ $rc -ne 0 ]; then
		echo "FAIL run $i: sensor exit $rc"; tail -20 "$tmp/log.$i"; fail=1
	fi
	[ $hrc -eq 0 ] || { echo "FAIL run $i: the client never reached the telemetry socket"; fail=1; }
	if grep -q 'ERROR: AddressSanitizer' "$tmp/log.$i"; then
		echo "FAIL run $i: AddressSanitizer"; grep -A12 'ERROR: AddressSanitizer' "$tmp/log.$i"; fail=1
	fi
	"$build/segment/dnsift-seg" verify "$tmp/spool.$i"/ready/*.lz4 >/dev/null ||
		{ echo "FAIL run $i: segments do not verify"; fail=1; }
	c=$(sed -n 's/.*shutting_down=\([0-9]*\).*/\1/p' "$tmp/hammer.$i")
	closing_total=$((closing_total + ${c:-0}))
done
echo "requests answered 'shutting down' over $runs runs: $closing_total"
[ $fail = 0 ] && echo "ok   $runs shutdowns under a telemetry client: exit 0, segments verify, no sanitizer report"
exit $fail
