#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration: dnsift-db ingest over real segments and bad ones.
#
#   db_ingest.sh BUILDDIR
#
# Oracle: the segments' own NDJSON (lz4cat | jq), grouped by RRset key with
# min(time_first), max(time_last) and sum(count); never dnsift-db's own output.
#   1. the sensor's segments from every bundled capture (one sensor id each; the
#      basic capture three times, so one sensor has seqs 1..3) plus generated ones:
#      `dnsift-db dump` equals the oracle line for line, and stats match;
#   2. re-ingest changes no record (dump identical), counts duplicates;
#   3. corrupt, truncated and bad-line segments are quarantined with a .reason, and
#      counted exactly; a bad name inside a good segment is a counted bad record;
#   4. kill -9 during ingest (many times, at random moments) and during compaction
#      (under gdb, at the rename, between rename and unlinks, and between unlinks),
#      then a restart: dump equals the oracle, exact counts;
#   5. --watch takes a segment dropped into the directory, and it is queryable
#      (by a separate reader process) within the freshness time plus a slack for
#      this shared VM; the measured delay is printed.
set -u
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
db=$build/db/dnsift-db
dnsift=$build/dataplane/dnsift
gen="python3 $top/tests/tools/make_db_segments.py"
for t in jq lz4 lz4cat python3; do
	command -v $t > /dev/null 2>&1 || { echo "SKIP: $t missing"; exit 77; }
done
[ -x "$db" ] || { echo "SKIP: $db not built"; exit 77; }
tmp=$(mktemp -d /tmp/dnsift-db-ingest.XXXXXX)
watch_pid=
cleanup() {
	[ -n "$watch_pid" ] && kill "$watch_pid" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}
# The value of NAME in name=value output.
val() {
	awk -F= -v k="$2" '$1 == k { print $2 }' "$1"
}

# Oracle: merged RRsets of segment files, one normalised JSON per line, sorted.
oracle() {
	for f in "$@"; do lz4cat "$f"; done | jq -c -s '
		group_by([.rrname, .rrtype, (.rrclass // "IN"), (.bailiwick // null), .rdata])
		| map({rrname: .[0].rrname, rrtype: .[0].rrtype, rdata: .[0].rdata,
		       bw: (.[0].bailiwick // null), tf: (map(.time_first) | min),
		       tl: (map(.time_last) | max), count: (map(.count) | add)}) | .[]' | sort
}
# What the database holds, in the same form.
dumped() {
	"$db" -d "$1" dump | jq -c '{rrname, rrtype, rdata, bw: (.bailiwick // null),
		tf: .time_first, tl: .time_last, count}' | sort
}

# ---- inputs ------------------------------------------------------------------------
in=$tmp/in
mkdir -p "$in"
n_sensor=0
if [ -x "$dnsift" ]; then
	i=0
	for c in upstream-basic upstream-tcp upstream-frag upstream-qinq client-and-upstream unmatched; do
		i=$((i + 1))
		runs=1
		[ $c = upstream-basic ] && runs=3
		r=0
		while [ $r -lt $runs ]; do
			r=$((r + 1))
			if ! "$dnsift" -q -r "$top/tests/captures/$c.pcap" -o "$tmp/spool$i" \
				-s sensor_id=cap$i -s unmatched=record > "$tmp/sensor$i.log" 2>&1; then
				bad "sensor on $c"; tail -3 "$tmp/sensor$i.log"
			fi
		done
		for s in "$tmp/spool$i"/ready/*.ndjson.lz4; do
			[ -e "$s" ] && cp "$s" "$in/" && n_sensor=$((n_sensor + 1))
		done
	done
	echo "sensor segments: $n_sensor"
else
	echo "note: $dnsift not built; generated segments only"
fi
$gen "$in" gen 1 4 3000 --seed=7 --names=2000 || bad "segment generator"
n_in=$(ls "$in"/*.ndjson.lz4 | wc -l)
oracle "$in"/*.ndjson.lz4 > "$tmp/oracle"
rec_in=$(for f in "$in"/*.ndjson.lz4; do lz4cat "$f"; done | wc -l)
sum_in=$(for f in "$in"/*.ndjson.lz4; do lz4cat "$f"; done | jq -s 'map(.count) | add')

# ---- 1. ingest ---------------------------------------------------------------------
d1=$tmp/db1
"$db" -d "$d1" ingest "$in" > "$tmp/ing1" 2>&1 || bad "ingest exit status"
[ "$(val "$tmp/ing1" segments)" = "$n_in" ] || bad "segments $(val "$tmp/ing1" segments) != $n_in"
[ "$(val "$tmp/ing1" records)" = "$rec_in" ] || bad "records $(val "$tmp/ing1" records) != $rec_in"
[ "$(val "$tmp/ing1" count_sum)" = "$sum_in" ] || bad "count_sum $(val "$tmp/ing1" count_sum) != $sum_in"
[ "$(val "$tmp/ing1" quarantined)" = 0 ] || bad "quarantined on good input"
dumped "$d1" > "$tmp/dump1"
if cmp -s "$tmp/oracle" "$tmp/dump1"; then
	echo "ok   ingest: $n_in segments, $rec_in records, $(wc -l < "$tmp/oracle") RRsets equal the oracle"
else
	bad "dump differs from the oracle"; diff "$tmp/oracle" "$tmp/dump1" | head -10
fi
"$db" -d "$d1" stats > "$tmp/st1" || bad "stats"
[ "$(val "$tmp/st1" segments)" = "$n_in" ] || bad "stats segments"
[ "$(val "$tmp/st1" rrset_entries)" = "$(wc -l < "$tmp/oracle")" ] || bad "stats rrset_entries"
if [ "$n_sensor" -gt 0 ]; then
	# cap1 ran three times: seqs 1..3, no gap, nothing recovered; its drops summed.
	[ "$(val "$tmp/st1" sensor.cap1.segments)" = 3 ] || bad "cap1 segments"
	[ "$(val "$tmp/st1" sensor.cap1.seq_last)" = 3 ] || bad "cap1 seq_last"
	[ "$(val "$tmp/st1" sensor.cap1.missing)" = 0 ] || bad "cap1 missing"
	want=$(for s in "$tmp"/spool1/ready/*.lz4; do "$build/segment/dnsift-seg" info "$s"; done |
		jq -s 'map(.tail.drops.decode_not_ip // 0) | add')
	[ "$(val "$tmp/st1" sensor.cap1.drops.decode_not_ip)" = "$want" ] ||
		bad "cap1 drops.decode_not_ip $(val "$tmp/st1" sensor.cap1.drops.decode_not_ip) != $want"
fi
"$db" -d "$d1" stats --json | jq -e '.sensors | length > 0' > /dev/null || bad "stats --json"

# ---- 2. re-ingest ------------------------------------------------------------------
"$db" -d "$d1" ingest "$in" > "$tmp/ing2" 2>&1 || bad "re-ingest exit status"
[ "$(val "$tmp/ing2" segments)" = 0 ] || bad "re-ingest took segments"
[ "$(val "$tmp/ing2" duplicates)" = "$n_in" ] || bad "re-ingest duplicates"
dumped "$d1" > "$tmp/dump2"
cmp -s "$tmp/dump1" "$tmp/dump2" && echo "ok   re-ingest: nothing changed, $n_in duplicates" ||
	bad "re-ingest changed the data"
"$db" -d "$d1" stats --json > "$tmp/st2.json"
[ "$(jq '[.sensors[].duplicates] | add' "$tmp/st2.json")" = "$n_in" ] || bad "book duplicates"
[ "$(jq .segments "$tmp/st2.json")" = "$n_in" ] || bad "segments after re-ingest"

# ---- 3. bad segments ---------------------------------------------------------------
badin=$tmp/bad
mkdir -p "$badin"
src=$(ls "$in"/gen.*.ndjson.lz4 | head -1)
# a) one flipped byte inside the LZ4 data (name: an unknown segment, so it is read)
cp "$src" "$badin/flip.000000000001.20250101T000000Z.ndjson.lz4"
size=$(stat -c %s "$src")
printf '\377' | dd of="$badin/flip.000000000001.20250101T000000Z.ndjson.lz4" bs=1 \
	seek=$((size / 2)) conv=notrunc 2> /dev/null
# b) truncated to half
head -c $((size / 2)) "$src" > "$badin/trunc.000000000001.20250101T000000Z.ndjson.lz4"
# c) valid frames, a line that is JSON but not COF (no rdata), after good lines
printf '%s\n' '{"rrname":"ok1.bad.test.","rrtype":"A","rdata":["192.0.2.1"],"time_first":1,"time_last":2,"count":1}' \
	'{"rrname":"x.bad.test.","rrtype":"A","time_first":1,"time_last":2,"count":1}' > "$tmp/l1"
$gen --lines "$tmp/l1" "$badin" badline 1 > /dev/null
# d) a good segment with one bad owner name: one bad record, the rest goes in
printf '%s\n' '{"rrname":"ok2.bad.test.","rrtype":"A","rdata":["192.0.2.2"],"time_first":1,"time_last":2,"count":5}' \
	'{"rrname":"a..bad.test.","rrtype":"A","rdata":["192.0.2.3"],"time_first":1,"time_last":2,"count":1}' > "$tmp/l2"
$gen --lines "$tmp/l2" "$badin" badname 1 > /dev/null
"$db" -d "$d1" ingest "$badin" > "$tmp/ing3" 2> "$tmp/ing3.err" || bad "ingest of bad input exit status"
[ "$(val "$tmp/ing3" quarantined)" = 3 ] || bad "quarantined $(val "$tmp/ing3" quarantined) != 3"
[ "$(val "$tmp/ing3" segments)" = 1 ] || bad "segments of bad input $(val "$tmp/ing3" segments) != 1"
[ "$(val "$tmp/ing3" bad_records)" = 1 ] || bad "bad_records"
[ "$(val "$tmp/ing3" bad_records.db_bad_name)" = 1 ] || bad "bad_records.db_bad_name"
q=$d1/quarantine
for n in flip trunc badline; do
	f=$(ls "$q"/$n.*.ndjson.lz4 2> /dev/null | head -1)
	[ -n "$f" ] && [ -s "$f.reason" ] || bad "$n not in quarantine with a reason"
	[ -e "$badin/$(basename "${f:-x}")" ] && bad "$n still in the input directory"
done
grep -q segment_checksum "$q"/flip.*.reason || bad "flip reason: $(cat "$q"/flip.*.reason)"
grep -q segment_truncated "$q"/trunc.*.reason || bad "trunc reason: $(cat "$q"/trunc.*.reason)"
grep -q cof_bad_field "$q"/badline.*.reason || bad "badline reason: $(cat "$q"/badline.*.reason)"
# Nothing of the quarantined segments is in; the bad name's good neighbour is.
"$db" -d "$d1" dump > "$tmp/dump3"
grep -q '"ok1.bad.test."' "$tmp/dump3" && bad "a record of a quarantined segment was committed"
grep -q '"ok2.bad.test.".*"count":5' "$tmp/dump3" || bad "good record of the bad-name segment missing"
grep -v 'bad.test.' "$tmp/dump3" | jq -c '{rrname, rrtype, rdata, bw: (.bailiwick // null),
	tf: .time_first, tl: .time_last, count}' | sort > "$tmp/dump3n"
cmp -s "$tmp/dump3n" "$tmp/dump1" || bad "bad input changed other data"
[ $fail = 0 ] && echo "ok   bad input: 3 quarantined with reasons, 1 bad record counted, nothing else changed"

# ---- 4. kill -9 --------------------------------------------------------------------
big=$tmp/big
$gen "$big" kill 1 40 5000 --seed=3 --names=20000 || bad "generator (big)"
oracle "$big"/*.ndjson.lz4 > "$tmp/oracle_big"
sum_big=$(for f in "$big"/*.ndjson.lz4; do lz4cat "$f"; done | jq -s 'map(.count) | add')
d4=$tmp/db4
# Small batches, so a kill often lands inside a commit.
printf 'db_batch_entries = 20000\n' > "$tmp/small.conf"
kills=0
for delay in 0.05 0.1 0.15 0.2 0.3 0.4 0.5 0.6 0.8 1.0 0.25 0.35; do
	"$db" -c "$tmp/small.conf" -d "$d4" ingest "$big" > /dev/null 2>&1 &
	pid=$!
	sleep $delay
	kill -9 $pid 2> /dev/null && kills=$((kills + 1))
	wait $pid 2> /dev/null
done
"$db" -c "$tmp/small.conf" -d "$d4" ingest "$big" > "$tmp/ing4" 2>&1 || bad "ingest after kills"
dumped "$d4" > "$tmp/dump4"
"$db" -d "$d4" stats > "$tmp/st4"
got_sum=$(jq -s 'map(.count) | add' < "$tmp/dump4")
[ "$(val "$tmp/st4" segments)" = 40 ] || bad "after kills: segments $(val "$tmp/st4" segments) != 40"
if cmp -s "$tmp/oracle_big" "$tmp/dump4" && [ "$got_sum" = "$sum_big" ]; then
	echo "ok   kill -9 during ingest ($kills kills): sum(count) $got_sum exact, RRsets equal the oracle"
else
	bad "after kill -9 during ingest: sum $got_sum != $sum_big or dump differs"
	diff "$tmp/oracle_big" "$tmp/dump4" | head -5
fi
# Compaction, killed by gdb at precise points: before the rename, after it (before any
# input is unlinked), and after the first unlink. Then random kills of a full compact.
if command -v gdb > /dev/null 2>&1; then
	# 1: at the rename of the merged file; 2: right after it, at the first unlink of an
	# input; 3: at the second unlink. A killed run leaves a .tmp (1) or replaced inputs
	# (2, 3); the next open cleans up, and readers must never count anything twice.
	# Each point starts from the same copy of the database as ingest left it.
	cp -a "$d4" "$tmp/db4snap"
	for point in 1 2 3; do
		rm -rf "$d4"
		cp -a "$tmp/db4snap" "$d4"
		nfiles=$(ls "$d4"/*.mtbl | wc -l)
		case $point in
		1) ex="-ex run" ;;
		2) ex="-ex run -ex 'break unlinkat' -ex continue" ;;
		3) ex="-ex run -ex 'break unlinkat' -ex continue -ex continue" ;;
		esac
		eval gdb -q -batch -ex "'set breakpoint pending on'" -ex "'break renameat'" $ex \
			-ex bt -ex kill --args "$db" -d "$d4" compact > "$tmp/gdb$point.log" 2>&1
		grep -q "in compact_files\|in write_file_sync" "$tmp/gdb$point.log" ||
			{ bad "gdb did not stop inside compaction (point $point)"; tail -5 "$tmp/gdb$point.log"; }
		dumped "$d4" > "$tmp/dump5"
		cmp -s "$tmp/oracle_big" "$tmp/dump5" ||
			bad "compaction killed at point $point ($nfiles files): a reader sees other data"
		"$db" -d "$d4" stats > "$tmp/st5"
		[ "$(val "$tmp/st5" segments)" = 40 ] || bad "compaction killed at point $point: segments"
		# The next writer cleans up and finishes the job.
		"$db" -d "$d4" compact > /dev/null 2>&1 || bad "compact after the kill at point $point"
		dumped "$d4" > "$tmp/dump5"
		cmp -s "$tmp/oracle_big" "$tmp/dump5" || bad "after the kill at point $point: data differs"
		[ "$(ls "$d4"/*.mtbl | wc -l)" = 1 ] || bad "after the kill at point $point: files left"
		ls "$d4" | grep -q '\.tmp$' && bad "after the kill at point $point: .tmp left"
		echo "     compaction of $nfiles files killed at point $point: exact before and after cleanup"
	done
	echo "ok   kill -9 in compaction at rename / between rename and unlink / between unlinks"
else
	echo "note: gdb missing: precise compaction kill points not tested"
fi
for delay in 0.01 0.05 0.1 0.2; do
	"$db" -d "$d4" compact > /dev/null 2>&1 &
	pid=$!
	sleep $delay
	kill -9 $pid 2> /dev/null
	wait $pid 2> /dev/null
done
"$db" -d "$d4" compact > /dev/null 2>&1 || bad "compact after kills"
"$db" -d "$d4" stats > "$tmp/st6"
[ "$(val "$tmp/st6" files)" = 1 ] || bad "files after full compaction: $(val "$tmp/st6" files)"
dumped "$d4" > "$tmp/dump6"
cmp -s "$tmp/oracle_big" "$tmp/dump6" && echo "ok   kill -9 during compaction: exact after restart" ||
	bad "after kill -9 during compaction: dump differs"

# ---- 5. --watch and freshness ------------------------------------------------------
wd=$tmp/watch
d5=$tmp/db5
mkdir -p "$wd"
fresh_ms=3000
printf 'db_freshness = %sms\n' $fresh_ms > "$tmp/watch.conf"
"$db" -c "$tmp/watch.conf" -d "$d5" ingest --watch "$wd" > "$tmp/watch.out" 2>&1 &
watch_pid=$!
sleep 0.5
$gen "$tmp/w1" watch 1 1 500 --seed=11 > /dev/null
t0=$(date +%s%N)
mv "$tmp"/w1/*.ndjson.lz4 "$wd/"	# the way a WebDAV collector finishes a PUT
seen=
while :; do
	now=$(date +%s%N)
	el=$(((now - t0) / 1000000))
	if "$db" -d "$d5" stats 2> /dev/null | grep -q '^segments=1$'; then
		seen=$el
		break
	fi
	[ $el -gt $((fresh_ms + 5000)) ] && break
	sleep 0.1
done
if [ -n "$seen" ]; then
	echo "ok   --watch: queryable ${seen} ms after arrival (freshness ${fresh_ms} ms)"
else
	bad "--watch: segment not queryable within $((fresh_ms + 5000)) ms"
fi
# A second one copied in place (close-write event, no rename); then past one full
# rescan (5 s), which must not offer either file again.
$gen "$tmp/w2" watch 2 1 500 --seed=12 > /dev/null
cp "$tmp"/w2/*.ndjson.lz4 "$wd/"
sleep 6.5
"$db" -d "$d5" stats > "$tmp/st7"
[ "$(val "$tmp/st7" segments)" = 2 ] || bad "--watch: second segment (cp) not taken"
kill -TERM "$watch_pid"
wait "$watch_pid"
rc=$?
watch_pid=
[ $rc = 0 ] || bad "--watch exit status $rc after SIGTERM"
[ "$(val "$tmp/watch.out" segments)" = 2 ] || bad "--watch summary: $(cat "$tmp/watch.out")"
[ "$(val "$tmp/watch.out" duplicates)" = 0 ] || bad "--watch: a rescan offered a file again"
[ "$(val "$tmp/watch.out" quarantined)" = 0 ] || bad "--watch: quarantined a good segment"
oracle "$tmp"/w1/../watch/*.ndjson.lz4 > "$tmp/oracle_w"
dumped "$d5" > "$tmp/dump_w"
cmp -s "$tmp/oracle_w" "$tmp/dump_w" || bad "--watch: data differs from the oracle"

[ $fail = 0 ] && echo "PASS"
exit $fail
