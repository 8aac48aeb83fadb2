#!/bin/sh
# Integration: pcapng (Wireshark's and dumpcap's default) is read offline. Each bundled
# capture is converted with Wireshark's editcap; the sensor's records from the pcapng
# copy must equal those from the classic file (whose records sensor_golden checks
# against the golden files and tshark), and so must the frame accounting. A pcapng cut
# mid-block gives a message and the records before the cut, never a crash.
# Usage: sensor_pcapng.sh BUILDDIR
set -u
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
command -v editcap >/dev/null || { echo "SKIP: editcap (wireshark-common) not installed"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
tmp=$(mktemp -d /tmp/dnsift-pcapng.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
run() { # FILE TAG: records (sorted, canonical JSON) and the accounting line
	"$build/dataplane/dnsift" -r "$1" -o "$tmp/spool.$2" -p \
		-- --no-huge --no-pci -m 512 --log-level='*:warning' --file-prefix=dnsift-ng-$$ \
		> "$tmp/$2.out" 2> "$tmp/$2.log"
	rc=$?
	jq -cS 'del(.sensor_id)' "$tmp/$2.out" | sort > "$tmp/$2.rec"
	grep '^dnsift: accounting:' "$tmp/$2.log" > "$tmp/$2.acc"
	return $rc
}
for c in upstream-basic upstream-tcp upstream-frag upstream-qinq client-and-upstream unmatched; do
	f=$top/tests/captures/$c.pcap
	[ -f "$f" ] || continue
	editcap -F pcapng "$f" "$tmp/$c.pcapng" || { echo "FAIL $c: editcap"; fail=1; continue; }
	head -c 4 "$tmp/$c.pcapng" | od -An -tx1 | grep -q '0a 0d 0d 0a' ||
		{ echo "FAIL $c: editcap did not write pcapng"; fail=1; continue; }
	run "$f" "$c.classic" || { echo "FAIL $c: classic run exit $?"; fail=1; continue; }
	run "$tmp/$c.pcapng" "$c.ng" || { echo "FAIL $c: pcapng run exit $?"; cat "$tmp/$c.ng.log"; fail=1; continue; }
	n=$(wc -l < "$tmp/$c.classic.rec")
	if [ "$n" -eq 0 ]; then
		echo "FAIL $c: no records from the classic file"; fail=1
	elif ! cmp -s "$tmp/$c.classic.rec" "$tmp/$c.ng.rec"; then
		echo "FAIL $c: records differ between pcap and pcapng"
		diff "$tmp/$c.classic.rec" "$tmp/$c.ng.rec" | head -5; fail=1
	elif ! cmp -s "$tmp/$c.classic.acc" "$tmp/$c.ng.acc"; then
		echo "FAIL $c: accounting differs: $(cat "$tmp/$c.classic.acc") / $(cat "$tmp/$c.ng.acc")"; fail=1
	else
		echo "ok   $c: $n records, the same from pcapng"
	fi
done
# A pcapng cut in the middle of a block.
f=$tmp/upstream-basic.pcapng
if [ -f "$f" ]; then
	size=$(stat -c %s "$f")
	head -c $((size * 2 / 3)) "$f" > "$tmp/cut.pcapng"
	run "$tmp/cut.pcapng" cut
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL cut pcapng: exit $rc"; tail -5 "$tmp/cut.log"; fail=1
	elif ! grep -q 'complete records before it are processed' "$tmp/cut.log"; then
		echo "FAIL cut pcapng: no message about the cut"; fail=1
	else
		echo "ok   pcapng cut mid-block: $(wc -l < "$tmp/cut.rec") records, and: $(grep 'records before it' "$tmp/cut.log")"
	fi
fi
exit $fail
