#!/bin/sh
# Integration: the real sensor binary (EAL --no-huge --no-pci, net_pcap) over every
# public capture in ../shared/pcaps and every bundled capture. For each one it must
#   - exit 0 (no crash, whatever the input: malformed, truncated, odd link types),
#   - account for every frame (received + reassembled == sum of outcomes),
#   - leave only segments that dnsift-seg verifies,
#   - conserve observations: sum(count) over all records in the segments equals the
#     observations dedup accepted, which equals the RRsets the workers handed over.
# Usage: sensor_captures.sh BUILDDIR
set -u
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
dnsift=$build/dataplane/dnsift
seg=$build/segment/dnsift-seg
tmp=$(mktemp -d /tmp/dnsift-captures.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

shared=""
for d in "$top/../shared/pcaps" /work/shared/pcaps; do
	[ -f "$d/INDEX.tsv" ] && { shared=$d; break; }
done
list=$tmp/list
: > "$list"
if [ -n "$shared" ]; then
	tail -n +2 "$shared/INDEX.tsv" | cut -f1 | sed "s|^|$shared/|" >> "$list"
else
	echo "note: ../shared/pcaps not found; only bundled captures are checked"
fi
ls "$top"/tests/captures/*.pcap >> "$list" 2>/dev/null
[ -s "$list" ] || { echo "SKIP: no captures at all"; exit 77; }

fail=0 n=0
while read -r f; do
	n=$((n + 1))
	spool=$tmp/spool$n
	out=$tmp/out$n
	if ! "$dnsift" -r "$f" -o "$spool" -s sensor_id=test -s dedup_max_bytes=16M \
		-s dedup_max_entries=65536 > "$out" 2>&1; then
		echo "FAIL $f: exit status $?"; tail -5 "$out"; fail=1; continue
	fi
	if ! grep -q '^dnsift: accounting: \([0-9]*\) frames+datagrams in, \1 accounted for$' "$out"; then
		echo "FAIL $f: accounting"; grep accounting "$out"; fail=1
	fi
	obs=$(awk '$1 == "dedup_observations" { print $2 }' "$out")
	rrsets=$(awk '$1 == "rrsets" { print $2 }' "$out")
	sum=0
	for s in "$spool"/ready/*.lz4; do
		[ -e "$s" ] || continue
		if ! "$seg" verify "$s" > /dev/null 2>&1; then
			echo "FAIL $f: segment $s does not verify"; "$seg" verify "$s"; fail=1
		fi
		c=$("$seg" cat "$s" | jq -s 'map(.count) | add // 0')
		sum=$((sum + c))
	done
	if [ "${obs:-x}" != "$sum" ] || [ "${rrsets:-y}" != "$sum" ]; then
		echo "FAIL $f: conservation: rrsets=$rrsets observations=$obs sum(count)=$sum"
		fail=1
	else
		echo "ok   $(basename "$f"): rrsets=$rrsets sum(count)=$sum"
	fi
done < "$list"
echo "$n captures checked"
exit $fail
