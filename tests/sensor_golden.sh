#!/bin/sh
# Integration: the real sensor over the bundled captures recorded from a real
# Unbound + NSD + Knot hierarchy (tests/captures/README.md).
#  1. The (rrname, rrtype) set of the records equals what tshark, an independent
#     decoder, finds in the matched upstream responses (scripts/capture/expect-rrsets.sh).
#  2. The full records (sensor_id aside) equal the checked-in golden file, so any change
#     in rdata rendering, bailiwick or counts shows up as a diff.
#  3. Client-side traffic leaves no trace; unmatched responses are dropped by default and
#     recorded with "unmatched":true under unmatched=record; fragments, TCP and QinQ give
#     the same records as plain UDP would.
# Usage: sensor_golden.sh BUILDDIR [--update]
set -u
build=$1
update=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
caps=$top/tests/captures
tmp=$(mktemp -d /tmp/dnsift-golden.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

run() { # capture extra-args... -> records on stdout, summary in $tmp/summary
	cap=$1; shift
	"$build/dataplane/dnsift" -r "$caps/$cap.pcap" -o "$tmp/spool-$cap-$#" -p \
		-s resolver=198.51.100.53 -s resolver=2001:db8:100::53 \
		-s resolver=203.0.113.53 -s resolver=2001:db8:203::53 \
		-s dedup_max_bytes=16M -s dedup_max_entries=65536 -s sensor_id=golden "$@" \
		2> "$tmp/summary"
}
pairs() { jq -r '"\(.rrname)\t\(if (.rrtype|type) == "number" then "TYPE\(.rrtype)" else .rrtype end)"' | sort -u; }
counter() { awk -v n="$1" '$1 == n { print $2; exit }' "$tmp/summary"; }
# The same traffic recorded twice differs in time stamps only.
timeless() { jq -S -c 'del(.time_first, .time_last)' "$1" | sort; }

# The zones the hierarchy serves, from the zone files' names (root.zone is ".").
zones_json=$(for z in "$caps"/zones/*.zone; do
	n=$(basename "$z" .zone); [ "$n" = root ] && echo "." || echo "$n."
done | jq -R . | jq -s -c .)

for cap in upstream-basic upstream-tcp upstream-frag upstream-qinq client-and-upstream unmatched; do
	run "$cap" > "$tmp/$cap.json" || { echo "FAIL $cap: sensor exit $?"; cat "$tmp/summary"; fail=1; continue; }
	jq -S -c 'del(.sensor_id)' "$tmp/$cap.json" | sort > "$tmp/$cap.records"
	golden=$caps/$cap.records.golden
	if [ "$update" = "--update" ]; then
		cp "$tmp/$cap.records" "$golden"
	fi
	if ! diff -u "$golden" "$tmp/$cap.records" > "$tmp/diff"; then
		echo "FAIL $cap: records differ from $golden"; head -30 "$tmp/diff"; fail=1
	else
		echo "ok   $cap: $(wc -l < "$tmp/$cap.records") records equal the golden file"
	fi
	# Bailiwick oracle: the zone files of the recorded hierarchy. Every bailiwick must
	# be one of those zones and at or above the record's owner.
	bad=$(jq -r --argjson zones "$zones_json" 'select(.bailiwick != null) |
		select((.bailiwick as $b | $zones | index($b) | not) or
		       (.bailiwick != "." and (.bailiwick as $b | .rrname | endswith("." + $b) or . == $b | not))) |
		"\(.rrname) \(.rrtype) bailiwick \(.bailiwick)"' "$tmp/$cap.json")
	if [ -n "$bad" ]; then
		echo "FAIL $cap: bailiwick not a served zone above the owner:"; echo "$bad" | head -5; fail=1
	fi
	if command -v tshark > /dev/null; then
		pairs < "$tmp/$cap.json" > "$tmp/$cap.ours"
		sh "$top/scripts/capture/expect-rrsets.sh" "$caps/$cap.pcap" > "$tmp/$cap.tshark"
		if ! diff -u "$tmp/$cap.tshark" "$tmp/$cap.ours" > "$tmp/diff"; then
			echo "FAIL $cap: (rrname, rrtype) set differs from tshark's"; head -30 "$tmp/diff"; fail=1
		else
			echo "ok   $cap: $(wc -l < "$tmp/$cap.ours") (rrname, rrtype) pairs agree with tshark"
		fi
	else
		echo "note: tshark absent, the independent (rrname, rrtype) check is skipped"
	fi
	case $cap in
	client-and-upstream)
		cs=$(counter client_side)
		[ "${cs:-0}" -gt 0 ] || { echo "FAIL $cap: no client-side packets counted"; fail=1; }
		if grep -q '203\.0\.113\.10\|2001:db8:203::10' "$tmp/$cap.json"; then
			echo "FAIL $cap: a client address left the sensor"; fail=1
		fi
		timeless "$tmp/$cap.records" > "$tmp/a"; timeless "$caps/upstream-basic.records.golden" > "$tmp/b"
		cmp -s "$tmp/a" "$tmp/b" ||
			{ echo "FAIL $cap: client traffic changed the upstream records"; diff "$tmp/b" "$tmp/a" | head; fail=1; }
		echo "ok   $cap: $cs client-side packets dropped unparsed, no client address recorded";;
	upstream-qinq)
		timeless "$tmp/$cap.records" > "$tmp/a"; timeless "$caps/upstream-basic.records.golden" > "$tmp/b"
		cmp -s "$tmp/a" "$tmp/b" ||
			{ echo "FAIL $cap: QinQ records differ from the untagged capture's"; diff "$tmp/b" "$tmp/a" | head; fail=1; }
		echo "ok   $cap: same records as the untagged capture";;
	upstream-frag)
		d=$(counter frag_datagrams)
		[ "${d:-0}" -ge 2 ] || { echo "FAIL $cap: expected >= 2 reassembled datagrams, got $d"; fail=1; }
		echo "ok   $cap: $d datagrams reassembled from fragments";;
	upstream-tcp)
		m=$(counter tcp_messages)
		[ "${m:-0}" -gt 0 ] || { echo "FAIL $cap: no DNS message from TCP"; fail=1; }
		echo "ok   $cap: $m DNS messages from TCP streams";;
	unmatched)
		u=$(counter responses_unmatched)
		[ "${u:-0}" -eq 11 ] || { echo "FAIL $cap: expected 11 unmatched responses, got $u"; fail=1; }
		run unmatched -s unmatched=record > "$tmp/rec.json"
		flagged=$(jq -s 'map(select(.unmatched == true)) | length' "$tmp/rec.json")
		[ "$flagged" -gt 0 ] || { echo "FAIL $cap: unmatched=record produced no flagged record"; fail=1; }
		echo "ok   $cap: $u unmatched dropped; unmatched=record gives $flagged flagged records";;
	esac
done

# Two workers sharing one dedup table: the same capture on two ports, one worker each
# (lcore 2 shares a CPU with lcore 1 on small machines). Every RRset is seen twice as
# often; merged per key, the counts are exactly twice the golden counts. The bailiwick
# is left out of this comparison: the workers share what they learn about which server
# serves which zone, so the second pass over the root priming may already know ".".
"$build/dataplane/dnsift" -r "$caps/upstream-basic.pcap" -r "$caps/upstream-basic.pcap" \
	-o "$tmp/spool-two" -p -s dedup_max_bytes=16M -s dedup_max_entries=65536 \
	-s resolver=198.51.100.53 -s resolver=2001:db8:100::53 \
	-- --no-huge --no-pci -m 512 --lcores=0@0,1@1,2@1 --file-prefix=dnsift-golden-$$ \
	> "$tmp/two.json" 2> "$tmp/summary" || { echo "FAIL two workers: exit $?"; fail=1; }
rm -rf "/var/run/dpdk/dnsift-golden-$$"
merge='map(del(.sensor_id, .bailiwick)) | group_by(del(.count, .time_first, .time_last)) |
	map(.[0] + {count: (map(.count) | add)} | del(.time_first, .time_last)) | .[]'
jq -S -s -c "$merge" "$tmp/two.json" | sort > "$tmp/two.merged"
jq -S -s -c "map(.count *= 2) | $merge" "$caps/upstream-basic.records.golden" | sort > "$tmp/two.expected"
workers=$(grep -o '[0-9]* worker(s) running' "$tmp/summary" | cut -d' ' -f1)
if [ "$workers" = 2 ] && diff -u "$tmp/two.expected" "$tmp/two.merged" > "$tmp/diff"; then
	echo "ok   two workers, one table: $(wc -l < "$tmp/two.merged") RRsets, every count exactly doubled"
else
	echo "FAIL two workers ($workers running): merged records differ"; head -20 "$tmp/diff"; fail=1
fi
exit $fail
