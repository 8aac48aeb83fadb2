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
#  4. Bailiwick oracle (tests/bailiwick_oracle.sh): every record's bailiwick is a zone
#     whose file holds the record's RRset. provider-hosted and hostile (the unsigned
#     hierarchy of tests/captures/zones-provider, run with its root_hints) must have a
#     bailiwick on every record; hostile must record nothing the rogue servers were not
#     delegated (their forged marker addresses never appear, and every rogue response's
#     claim to "." or "test." is counted as refused, against tshark's count).
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
# The zone files of a capture's hierarchy, and the extra arguments it runs with.
zonedir() { case $1 in provider-hosted|hostile|provider-warm) echo "$caps/zones-provider";; *) echo "$caps/zones";; esac; }
world_args() { case $1 in provider-hosted|hostile|provider-warm) echo "-s root_hints=$caps/conf/provider/root.hints";; esac; }
pairs() { jq -r '"\(.rrname)\t\(if (.rrtype|type) == "number" then "TYPE\(.rrtype)" else .rrtype end)"' | sort -u; }
counter() { awk -v n="$1" '$1 == n { print $2; exit }' "$tmp/summary"; }
# The same traffic recorded twice differs in time stamps only.
timeless() { jq -S -c 'del(.time_first, .time_last)' "$1" | sort; }

for cap in upstream-basic upstream-tcp upstream-frag upstream-qinq client-and-upstream unmatched \
	provider-hosted hostile provider-warm; do
	# shellcheck disable=SC2046
	run "$cap" $(world_args "$cap") > "$tmp/$cap.json" || { echo "FAIL $cap: sensor exit $?"; cat "$tmp/summary"; fail=1; continue; }
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
	# Bailiwick oracle: the zone files of the recorded hierarchy.
	sh "$top/tests/bailiwick_oracle.sh" "$(zonedir "$cap")" "$tmp/$cap.json" > "$tmp/oracle"
	case $? in
	0) echo "ok   $cap: $(tail -1 "$tmp/oracle")";;
	77) cat "$tmp/oracle";;
	*) echo "FAIL $cap: bailiwick against the zone files:"; head -10 "$tmp/oracle"; fail=1;;
	esac
	if command -v tshark > /dev/null; then
		pairs < "$tmp/$cap.json" > "$tmp/$cap.ours"
		sh "$top/scripts/capture/expect-rrsets.sh" "$caps/$cap.pcap" > "$tmp/$cap.tshark"
		if [ "$cap" = provider-hosted ] || [ "$cap" = hostile ] || [ "$cap" = provider-warm ]; then
			# Servers here add data they may not speak for: ours is a subset of what
			# tshark sees, and the oracle above vouches for what we kept.
			extra=$(comm -13 "$tmp/$cap.tshark" "$tmp/$cap.ours")
			if [ -n "$extra" ]; then
				echo "FAIL $cap: (rrname, rrtype) pairs tshark does not see:"; echo "$extra" | head; fail=1
			else
				echo "ok   $cap: $(wc -l < "$tmp/$cap.ours") of tshark's $(wc -l < "$tmp/$cap.tshark") (rrname, rrtype) pairs kept"
			fi
		elif ! diff -u "$tmp/$cap.tshark" "$tmp/$cap.ours" > "$tmp/diff"; then
			echo "FAIL $cap: (rrname, rrtype) set differs from tshark's"; head -30 "$tmp/diff"; fail=1
		else
			echo "ok   $cap: $(wc -l < "$tmp/$cap.ours") (rrname, rrtype) pairs agree with tshark"
		fi
	else
		echo "note: tshark absent, the independent (rrname, rrtype) check is skipped"
	fi
	case $cap in
	provider-hosted)
		without=$(jq -s 'map(select(.bailiwick == null)) | length' "$tmp/$cap.json")
		[ "$without" -eq 0 ] || { echo "FAIL $cap: $without records without a bailiwick"; fail=1; }
		run "$cap" > "$tmp/priming.json" || fail=1
		timeless "$tmp/priming.json" > "$tmp/a"; timeless "$tmp/$cap.json" > "$tmp/b"
		cmp -s "$tmp/a" "$tmp/b" ||
			{ echo "FAIL $cap: priming (no root_hints) differs from root_hints"; diff "$tmp/b" "$tmp/a" | head; fail=1; }
		echo "ok   $cap: every record has a bailiwick; learning the root from priming gives the same records";;
	hostile)
		without=$(jq -s 'map(select(.bailiwick == null)) | length' "$tmp/$cap.json")
		[ "$without" -eq 0 ] || { echo "FAIL $cap: $without records without a bailiwick"; fail=1; }
		if grep -q '192\.0\.2\.9[89]\|rogue\.test\. hostmaster\|evil\.test\. hostmaster' "$tmp/$cap.json"; then
			echo "FAIL $cap: forged data recorded:"; grep '192\.0\.2\.9[89]\|hostmaster' "$tmp/$cap.json" | head -5; fail=1
		fi
		# What the rogues were delegated is recorded, under their own zones.
		own=$(jq -s -r 'map(select((.rrname == "www.evil.test." and .bailiwick == "evil.test.") or
			(.rrname == "www.rogue.test." and .bailiwick == "rogue.test."))) | length' "$tmp/$cap.json")
		[ "$own" -eq 2 ] || { echo "FAIL $cap: the rogues' own www A records missing ($own of 2)"; fail=1; }
		# Rogue answers with an SOA or NS (every one claims ".", "test." or a zone beside its
		# own), counted by tshark.
		rogue=$(tshark -r "$caps/$cap.pcap" -n -Y 'dns.flags.response == 1 &&
			(ip.src == 198.51.100.166 || ip.src == 198.51.100.167) &&
			(dns.resp.type == 2 || dns.resp.type == 6)' -T fields -e frame.number 2>/dev/null | wc -l)
		refused=$(counter bailiwick_claim_refused)
		if [ "$rogue" -gt 0 ] && [ "${refused:-0}" -eq "$rogue" ]; then
			echo "ok   $cap: nothing forged recorded; $refused rogue claims refused (tshark: $rogue)"
		else
			echo "FAIL $cap: $refused claims refused, tshark sees $rogue rogue answers with SOA or NS"; fail=1
		fi
		drop=$(counter rrsets_out_of_bailiwick)
		[ "${drop:-0}" -gt 0 ] || { echo "FAIL $cap: no out-of-bailiwick RRset dropped"; fail=1; }
		run "$cap" -s bailiwick_unknown=drop > "$tmp/drop.json" || fail=1
		cmp -s "$tmp/drop.json" "$tmp/$cap.json" ||
			{ echo "FAIL $cap: bailiwick_unknown=drop changed records although every chain is known"; fail=1; };;
	provider-warm)
		# Every server here was introduced before the capture began: no chain, so no
		# bailiwick (the record default), and nothing at all under bailiwick_unknown=drop.
		matched=$(counter responses_matched)
		unknown=$(counter bailiwick_unknown)
		with=$(jq -s 'map(select(.bailiwick != null)) | length' "$tmp/$cap.json")
		run "$cap" $(world_args "$cap") -s bailiwick_unknown=drop > "$tmp/drop.json" || fail=1
		dropped=$(counter bailiwick_unknown_dropped)
		if [ "${matched:-0}" -gt 0 ] && [ "$unknown" = "$matched" ] && [ "$with" -eq 0 ] &&
		   [ "$dropped" = "$matched" ] && [ ! -s "$tmp/drop.json" ]; then
			echo "ok   $cap: warm resolver: $unknown of $matched responses from unintroduced servers, recorded without bailiwick; drop records none"
		else
			echo "FAIL $cap: matched=$matched unknown=$unknown with-bailiwick=$with dropped=$dropped"; fail=1
		fi;;
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
	upstream-basic)
		run "$cap" -s root_hints="$caps/conf/root.hints" > "$tmp/hints.json" || fail=1
		timeless "$tmp/hints.json" > "$tmp/a"; timeless "$tmp/$cap.json" > "$tmp/b"
		cmp -s "$tmp/a" "$tmp/b" ||
			{ echo "FAIL $cap: root_hints give other records than priming"; diff "$tmp/b" "$tmp/a" | head; fail=1; }
		echo "ok   $cap: root_hints and priming give the same records";;
	upstream-tcp)
		m=$(counter tcp_messages)
		[ "${m:-0}" -gt 0 ] || { echo "FAIL $cap: no DNS message from TCP"; fail=1; }
		echo "ok   $cap: $m DNS messages from TCP streams";;
	unmatched)
		# The TLD's referrals are unmatched here, so they introduce no leaf server.
		# bailiwick_unknown=drop then records only what the root and the TLD said.
		run unmatched -s bailiwick_unknown=drop > "$tmp/drop.json" || fail=1
		kept=$(jq -s 'map(select(.bailiwick == null)) | length' "$tmp/drop.json")
		dropped=$(counter bailiwick_unknown_dropped)
		if [ "$kept" -eq 0 ] && [ "${dropped:-0}" -gt 0 ]; then
			echo "ok   $cap: bailiwick_unknown=drop: $dropped responses from unintroduced servers dropped"
		else
			echo "FAIL $cap: bailiwick_unknown=drop kept $kept records without bailiwick, dropped $dropped"; fail=1
		fi
		run unmatched > /dev/null
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
